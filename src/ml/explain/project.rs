//! Projections of embeddings to two dimensions: PCA, and t-SNE (van der Maaten & Hinton,
//! 2008) in steps, so the worker can report progress and stop between them.

use crate::ml::rng::{Stream, normal, rng};

/// Points in the plane, one per sample.
pub type Plane = Vec<[f32; 2]>;

/// The first two principal components of `x` (n × `dim`, row-major): each sample's
/// coordinates, and the share of the variance each component explains.
pub fn pca_2d(x: &[f32], dim: usize) -> (Plane, [f32; 2]) {
    let n = x.len() / dim;
    let mut means = vec![0.0f64; dim];
    for row in x.chunks(dim) {
        means.iter_mut().zip(row).for_each(|(m, &v)| *m += v as f64);
    }
    means.iter_mut().for_each(|m| *m /= n.max(1) as f64);
    let centred: Vec<f64> = x
        .chunks(dim)
        .flat_map(|row| row.iter().zip(&means).map(|(&v, m)| v as f64 - m))
        .collect();
    let mut covariance = vec![0.0f64; dim * dim];
    for row in centred.chunks(dim) {
        for i in 0..dim {
            for j in i..dim {
                covariance[i * dim + j] += row[i] * row[j];
            }
        }
    }
    for i in 0..dim {
        for j in 0..i {
            covariance[i * dim + j] = covariance[j * dim + i];
        }
    }
    let total: f64 = (0..dim).map(|i| covariance[i * dim + i]).sum();
    let mut components: Vec<Vec<f64>> = Vec::new();
    let mut explained = [0.0f32; 2];
    for (c, share) in explained.iter_mut().enumerate() {
        let (vector, value) = leading_eigenvector(&covariance, dim, &components, c);
        *share = if total > 0.0 {
            (value / total) as f32
        } else {
            0.0
        };
        components.push(vector);
    }
    let plane = centred
        .chunks(dim)
        .map(|row| {
            let at = |v: &Vec<f64>| row.iter().zip(v).map(|(a, b)| a * b).sum::<f64>() as f32;
            [at(&components[0]), at(&components[1])]
        })
        .collect();
    (plane, explained)
}

/// Power iteration for the leading eigenvector of the symmetric `matrix` orthogonal to
/// `found`, with its eigenvalue. The sign is fixed (largest entry positive) so the picture does
/// not flip between runs.
fn leading_eigenvector(
    matrix: &[f64],
    dim: usize,
    found: &[Vec<f64>],
    which: usize,
) -> (Vec<f64>, f64) {
    let orthogonalise = |v: &mut Vec<f64>| {
        for f in found {
            let d: f64 = v.iter().zip(f).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(f).for_each(|(a, b)| *a -= d * b);
        }
    };
    let normalise = |v: &mut Vec<f64>| {
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|a| *a /= norm);
        }
        norm
    };
    // A fixed, generic start: not orthogonal to any particular axis.
    let mut v: Vec<f64> = (0..dim)
        .map(|i| 1.0 + ((i * 7 + which * 3) % 11) as f64 / 11.0)
        .collect();
    orthogonalise(&mut v);
    normalise(&mut v);
    let mut value = 0.0;
    for _ in 0..500 {
        let mut next: Vec<f64> = (0..dim)
            .map(|i| (0..dim).map(|j| matrix[i * dim + j] * v[j]).sum())
            .collect();
        orthogonalise(&mut next);
        value = normalise(&mut next);
        let change: f64 = next.iter().zip(&v).map(|(a, b)| (a - b).abs()).sum();
        v = next;
        if value == 0.0 || change < 1e-10 {
            break;
        }
    }
    let largest = v
        .iter()
        .copied()
        .fold(0.0f64, |m, a| if a.abs() > m.abs() { a } else { m });
    if largest < 0.0 {
        v.iter_mut().for_each(|a| *a = -*a);
    }
    (v, value)
}

/// t-SNE's settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TsneConfig {
    pub perplexity: f32,
    pub iterations: usize,
    pub seed: u64,
}

impl Default for TsneConfig {
    fn default() -> Self {
        Self {
            perplexity: 30.0,
            iterations: 500,
            seed: 1,
        }
    }
}

/// Exact t-SNE, advanced a few iterations at a time (O(n²) per iteration: meant for the
/// hundreds of samples of a validation set).
pub struct Tsne {
    n: usize,
    config: TsneConfig,
    /// Symmetric joint probabilities, n × n.
    affinities: Vec<f32>,
    points: Vec<f32>,
    velocity: Vec<f32>,
    gains: Vec<f32>,
    done: usize,
}

impl Tsne {
    /// Prepares t-SNE of `x` (n × `dim`, row-major).
    pub fn new(x: &[f32], dim: usize, config: TsneConfig) -> Self {
        let n = x.len() / dim;
        let mut distances = vec![0.0f32; n * n];
        for i in 0..n {
            for j in i + 1..n {
                let d: f32 = x[i * dim..(i + 1) * dim]
                    .iter()
                    .zip(&x[j * dim..(j + 1) * dim])
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum();
                distances[i * n + j] = d;
                distances[j * n + i] = d;
            }
        }
        let perplexity = config
            .perplexity
            .min((n.saturating_sub(1)) as f32 / 3.0)
            .max(1.0);
        let mut conditional = vec![0.0f32; n * n];
        for i in 0..n {
            let row = conditional_row(&distances[i * n..(i + 1) * n], i, perplexity);
            conditional[i * n..(i + 1) * n].copy_from_slice(&row);
        }
        let mut affinities = vec![0.0f32; n * n];
        for i in 0..n {
            for j in 0..n {
                affinities[i * n + j] = ((conditional[i * n + j] + conditional[j * n + i])
                    / (2.0 * n as f32))
                    .max(1e-12);
            }
        }
        let mut r = rng(config.seed, Stream::Query);
        let points = (0..2 * n).map(|_| 1e-4 * normal(&mut r)).collect();
        Self {
            n,
            config,
            affinities,
            points,
            velocity: vec![0.0; 2 * n],
            gains: vec![1.0; 2 * n],
            done: 0,
        }
    }

    /// Iterations run so far, and in all.
    pub fn progress(&self) -> (usize, usize) {
        (self.done, self.config.iterations)
    }

    pub fn finished(&self) -> bool {
        self.done >= self.config.iterations
    }

    /// Runs up to `count` more iterations.
    pub fn run(&mut self, count: usize) {
        let n = self.n;
        let exaggerated = (self.config.iterations / 4).min(250);
        // The learning rate of Belkina et al. (2019): n / exaggeration, at least 50.
        let rate = (n as f32 / 12.0).max(50.0);
        let mut q = vec![0.0f32; n * n];
        for _ in 0..count {
            if self.finished() {
                break;
            }
            let exaggeration = if self.done < exaggerated { 12.0 } else { 1.0 };
            let momentum = if self.done < exaggerated { 0.5 } else { 0.8 };
            let mut sum = 0.0f32;
            for i in 0..n {
                for j in i + 1..n {
                    let dx = self.points[2 * i] - self.points[2 * j];
                    let dy = self.points[2 * i + 1] - self.points[2 * j + 1];
                    let kernel = 1.0 / (1.0 + dx * dx + dy * dy);
                    q[i * n + j] = kernel;
                    q[j * n + i] = kernel;
                    sum += 2.0 * kernel;
                }
            }
            let sum = sum.max(1e-12);
            for i in 0..n {
                let (mut gx, mut gy) = (0.0f32, 0.0f32);
                for j in 0..n {
                    if i == j {
                        continue;
                    }
                    let kernel = q[i * n + j];
                    let force = (exaggeration * self.affinities[i * n + j] - kernel / sum) * kernel;
                    gx += force * (self.points[2 * i] - self.points[2 * j]);
                    gy += force * (self.points[2 * i + 1] - self.points[2 * j + 1]);
                }
                for (k, g) in [(2 * i, 4.0 * gx), (2 * i + 1, 4.0 * gy)] {
                    // Gains grow where the gradient keeps its direction (Jacobs, 1988).
                    self.gains[k] = if (g > 0.0) != (self.velocity[k] > 0.0) {
                        self.gains[k] + 0.2
                    } else {
                        (self.gains[k] * 0.8).max(0.01)
                    };
                    self.velocity[k] = momentum * self.velocity[k] - rate * self.gains[k] * g;
                }
            }
            for (p, v) in self.points.iter_mut().zip(&self.velocity) {
                *p += v;
            }
            let (mut mx, mut my) = (0.0, 0.0);
            for p in self.points.chunks(2) {
                mx += p[0];
                my += p[1];
            }
            for p in self.points.chunks_mut(2) {
                p[0] -= mx / n as f32;
                p[1] -= my / n as f32;
            }
            self.done += 1;
        }
    }

    pub fn points(&self) -> Plane {
        self.points.chunks(2).map(|p| [p[0], p[1]]).collect()
    }
}

/// p(j | i) for one row of squared distances, its Gaussian's width found by bisection so its
/// perplexity is `perplexity`.
fn conditional_row(distances: &[f32], i: usize, perplexity: f32) -> Vec<f32> {
    let target = perplexity.ln();
    let (mut low, mut high, mut beta) = (0.0f32, f32::INFINITY, 1.0f32);
    let scale = distances
        .iter()
        .enumerate()
        .filter(|&(j, _)| j != i)
        .map(|(_, &d)| d)
        .fold(f32::INFINITY, f32::min);
    let scale = if scale.is_finite() { scale } else { 0.0 };
    let mut row = vec![0.0f32; distances.len()];
    for _ in 0..64 {
        let mut sum = 0.0f32;
        for (j, (&d, p)) in distances.iter().zip(row.iter_mut()).enumerate() {
            *p = if j == i {
                0.0
            } else {
                (-(d - scale) * beta).exp()
            };
            sum += *p;
        }
        let sum = sum.max(1e-12);
        let entropy: f32 = row
            .iter()
            .zip(distances)
            .map(|(&p, &d)| p * (d - scale) * beta)
            .sum::<f32>()
            / sum
            + sum.ln();
        row.iter_mut().for_each(|p| *p /= sum);
        if (entropy - target).abs() < 1e-4 {
            break;
        }
        if entropy > target {
            low = beta;
            beta = if high.is_finite() {
                (beta + high) / 2.0
            } else {
                beta * 2.0
            };
        } else {
            high = beta;
            beta = (beta + low) / 2.0;
        }
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `clusters` Gaussian blobs of `per` points in `dim` dimensions, centres 10 apart.
    fn blobs(clusters: usize, per: usize, dim: usize) -> (Vec<f32>, Vec<usize>) {
        let mut r = rng(3, Stream::Data);
        let mut x = Vec::new();
        let mut labels = Vec::new();
        for c in 0..clusters {
            for _ in 0..per {
                x.extend((0..dim).map(|d| if d == c { 10.0 } else { 0.0 } + normal(&mut r)));
                labels.push(c);
            }
        }
        (x, labels)
    }

    /// Leave-one-out k-nearest-neighbour accuracy of labels in the plane.
    fn knn_accuracy(plane: &Plane, labels: &[usize], k: usize) -> f32 {
        let mut right = 0;
        for (i, p) in plane.iter().enumerate() {
            let mut near: Vec<(f32, usize)> = plane
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(j, q)| ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2), labels[j]))
                .collect();
            near.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut votes = vec![0; labels.iter().max().unwrap() + 1];
            near.iter().take(k).for_each(|&(_, l)| votes[l] += 1);
            let vote = (0..votes.len()).max_by_key(|&l| votes[l]).unwrap();
            right += usize::from(vote == labels[i]);
        }
        right as f32 / plane.len() as f32
    }

    #[test]
    fn pca_finds_the_axes_of_a_stretched_cloud() {
        // Variance 9 along (1, 1, 0)/√2, 1 along z, ~0 elsewhere.
        let mut r = rng(1, Stream::Data);
        let mut x = Vec::new();
        for _ in 0..500 {
            let (a, b) = (3.0 * normal(&mut r), normal(&mut r));
            x.extend([a / 2f32.sqrt(), a / 2f32.sqrt(), b]);
        }
        let (plane, explained) = pca_2d(&x, 3);
        assert!(
            (explained[0] - 0.9).abs() < 0.03 && (explained[1] - 0.1).abs() < 0.03,
            "{explained:?}"
        );
        // The first coordinate is the centred projection on (1, 1, 0)/√2, up to its sign.
        let along: Vec<f32> = x
            .chunks(3)
            .map(|row| (row[0] + row[1]) / 2f32.sqrt())
            .collect();
        let mean = along.iter().sum::<f32>() / along.len() as f32;
        let sign = plane[0][0].signum() * (along[0] - mean).signum();
        for (p, a) in plane.iter().zip(&along).take(50) {
            assert!(
                (p[0] - sign * (a - mean)).abs() < 0.05,
                "{p:?} against {}",
                a - mean
            );
        }
    }

    #[test]
    fn tsne_keeps_separate_clusters_apart_and_is_seeded() {
        let (x, labels) = blobs(4, 40, 10);
        let config = TsneConfig {
            iterations: 300,
            ..TsneConfig::default()
        };
        let mut tsne = Tsne::new(&x, 10, config);
        while !tsne.finished() {
            tsne.run(50);
        }
        assert_eq!(tsne.progress(), (300, 300));
        let plane = tsne.points();
        assert!(plane.iter().all(|p| p[0].is_finite() && p[1].is_finite()));
        let accuracy = knn_accuracy(&plane, &labels, 5);
        assert!(accuracy > 0.95, "5-NN accuracy in the plane {accuracy}");
        let mut again = Tsne::new(&x, 10, config);
        again.run(300);
        assert_eq!(again.points(), plane);
    }
}
