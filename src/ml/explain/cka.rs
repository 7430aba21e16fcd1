//! Linear centred kernel alignment (Kornblith et al., 2019): how alike two representations of
//! the same samples are, 1 when one is the other up to a rotation and an isotropic scale.

/// One layer's representation of n samples: `values` is n × `width`, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Representation {
    pub values: Vec<f32>,
    pub width: usize,
}

impl Representation {
    pub fn new(values: Vec<f32>, width: usize) -> Self {
        assert!(
            width > 0 && values.len().is_multiple_of(width),
            "{} values are not rows of {width}",
            values.len()
        );
        Self { values, width }
    }

    pub fn samples(&self) -> usize {
        self.values.len() / self.width
    }
}

/// Linear CKA between two representations of the same samples.
pub fn linear_cka(x: &Representation, y: &Representation) -> f64 {
    let gx = NormalisedGram::new(x);
    let gy = NormalisedGram::new(y);
    gx.alignment(&gy)
}

/// Linear CKA between every layer of `rows` and every layer of `columns`:
/// `result[i][j]` compares `rows[i]` with `columns[j]`. Each layer's Gram matrix is formed
/// once.
pub fn cka_matrix(rows: &[Representation], columns: &[Representation]) -> Vec<Vec<f64>> {
    let rows: Vec<NormalisedGram> = rows.iter().map(NormalisedGram::new).collect();
    let columns: Vec<NormalisedGram> = columns.iter().map(NormalisedGram::new).collect();
    rows.iter()
        .map(|r| columns.iter().map(|c| r.alignment(c)).collect())
        .collect()
}

/// The centred Gram matrix of a representation divided by its Frobenius norm, so that CKA is
/// one dot product. The n × n Gram form is used because conv layers are thousands wide while
/// CKA runs on a few hundred samples.
struct NormalisedGram {
    n: usize,
    /// Upper triangle, row-major; `None` for a constant representation.
    values: Option<Vec<f64>>,
}

impl NormalisedGram {
    fn new(x: &Representation) -> Self {
        let (n, p) = (x.samples(), x.width);
        let mut means = vec![0.0f64; p];
        for row in x.values.chunks(p) {
            for (m, &v) in means.iter_mut().zip(row) {
                *m += v as f64;
            }
        }
        means.iter_mut().for_each(|m| *m /= n.max(1) as f64);
        let centred: Vec<f64> = x
            .values
            .chunks(p)
            .flat_map(|row| row.iter().zip(&means).map(|(&v, m)| v as f64 - m))
            .collect();
        let mut gram = Vec::with_capacity(n * (n + 1) / 2);
        let mut norm = 0.0;
        for i in 0..n {
            let a = &centred[i * p..(i + 1) * p];
            for j in i..n {
                let b = &centred[j * p..(j + 1) * p];
                let g: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
                norm += if i == j { g * g } else { 2.0 * g * g };
                gram.push(g);
            }
        }
        let norm = norm.sqrt();
        let values = (norm > 1e-12).then(|| gram.into_iter().map(|g| g / norm).collect());
        Self { n, values }
    }

    fn alignment(&self, other: &Self) -> f64 {
        assert_eq!(
            self.n, other.n,
            "CKA compares representations of the same samples"
        );
        let (Some(a), Some(b)) = (&self.values, &other.values) else {
            return 0.0;
        };
        let mut sum = 0.0;
        let mut k = 0;
        for i in 0..self.n {
            for j in i..self.n {
                let term = a[k] * b[k];
                sum += if i == j { term } else { 2.0 * term };
                k += 1;
            }
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::rng::{Stream, normal, rng};

    fn random(n: usize, p: usize, seed: u64) -> Representation {
        let mut r = rng(seed, Stream::Data);
        Representation::new((0..n * p).map(|_| normal(&mut r)).collect(), p)
    }

    /// `x` times a random rotation (Gram-Schmidt on a random matrix), times `scale`.
    fn rotated(x: &Representation, scale: f32, seed: u64) -> Representation {
        let p = x.width;
        let mut basis: Vec<Vec<f32>> = Vec::new();
        let mut r = rng(seed, Stream::Query);
        while basis.len() < p {
            let mut v: Vec<f32> = (0..p).map(|_| normal(&mut r)).collect();
            for b in &basis {
                let d: f32 = v.iter().zip(b).map(|(a, b)| a * b).sum();
                v.iter_mut().zip(b).for_each(|(a, b)| *a -= d * b);
            }
            let norm = v.iter().map(|a| a * a).sum::<f32>().sqrt();
            v.iter_mut().for_each(|a| *a /= norm);
            basis.push(v);
        }
        let values = x
            .values
            .chunks(p)
            .flat_map(|row| {
                basis
                    .iter()
                    .map(|b| scale * row.iter().zip(b).map(|(a, b)| a * b).sum::<f32>())
                    .collect::<Vec<_>>()
            })
            .collect();
        Representation::new(values, p)
    }

    #[test]
    fn a_representation_matches_itself_its_rotations_and_scalings() {
        let x = random(60, 8, 1);
        assert!((linear_cka(&x, &x) - 1.0).abs() < 1e-9);
        let turned = rotated(&x, 3.5, 2);
        assert!((linear_cka(&x, &turned) - 1.0).abs() < 1e-4);
        // Adding a constant to every sample changes nothing either (centring).
        let shifted = Representation::new(x.values.iter().map(|v| v + 10.0).collect(), 8);
        assert!((linear_cka(&x, &shifted) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn unrelated_representations_score_low_and_the_matrix_is_symmetric() {
        let x = random(200, 8, 1);
        let y = random(200, 5, 9);
        let unrelated = linear_cka(&x, &y);
        assert!(unrelated < 0.15, "independent noise scores {unrelated}");
        // Half of y's features copied from x: in between.
        let mixed_values: Vec<f32> = x
            .values
            .chunks(8)
            .zip(y.values.chunks(5))
            .flat_map(|(a, b)| a[..4].iter().chain(&b[..4]).copied().collect::<Vec<_>>())
            .collect();
        let mixed = Representation::new(mixed_values, 8);
        let partly = linear_cka(&x, &mixed);
        assert!(
            partly > unrelated + 0.2 && partly < 0.9,
            "partly shared scores {partly}"
        );
        let m = cka_matrix(&[x.clone(), y.clone()], &[x, y]);
        assert!((m[0][1] - m[1][0]).abs() < 1e-12 && (m[1][1] - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_constant_representation_scores_zero() {
        let x = random(10, 3, 1);
        let constant = Representation::new(vec![2.0; 30], 3);
        assert_eq!(linear_cka(&x, &constant), 0.0);
    }
}
