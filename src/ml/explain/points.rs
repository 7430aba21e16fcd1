//! A sample's input as points (pixels, sequence positions, nodes, table features), each with
//! its channels; what attribution maps are drawn over and occlusion hides.

use super::Baseline;
use crate::ml::data::BatchInput;
use crate::ml::rng::{Stream, rng};
use rand::RngExt;

/// How a sample's input values are grouped into points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub points: usize,
    pub channels: usize,
    /// Images store a channel's pixels together; every other input a point's channels.
    pub planar: bool,
}

impl Layout {
    pub fn of(input: &BatchInput) -> Self {
        match input {
            BatchInput::Images { shape, .. } => Self {
                points: shape[2] * shape[3],
                channels: shape[1],
                planar: true,
            },
            BatchInput::Sequences { shape, lengths, .. } => Self {
                points: lengths.first().copied().unwrap_or(shape[1]),
                channels: shape[2],
                planar: false,
            },
            BatchInput::Graphs {
                feature_dim,
                node_graph,
                ..
            } => Self {
                points: node_graph.len(),
                channels: *feature_dim,
                planar: false,
            },
            BatchInput::Nodes {
                features,
                feature_dim,
                ..
            } => Self {
                points: features.len() / (*feature_dim).max(1),
                channels: *feature_dim,
                planar: false,
            },
            BatchInput::Table { shape, .. } => Self {
                points: shape[1],
                channels: 1,
                planar: false,
            },
        }
    }

    /// The index of `point`'s `channel` in the input's values.
    pub fn index(&self, point: usize, channel: usize) -> usize {
        if self.planar {
            channel * self.points + point
        } else {
            point * self.channels + channel
        }
    }

    pub fn reduce(&self, values: &[f32], absolute: bool) -> Vec<f32> {
        (0..self.points)
            .map(|p| {
                (0..self.channels)
                    .map(|c| values[self.index(p, c)])
                    .map(|v| if absolute { v.abs() } else { v })
                    .sum()
            })
            .collect()
    }
}

/// The values attribution is about: pixels, sequence values, node features or a table row.
pub fn input_values(input: &BatchInput) -> &[f32] {
    match input {
        BatchInput::Images { pixels, .. } => pixels,
        BatchInput::Sequences { values, .. } | BatchInput::Table { values, .. } => values,
        BatchInput::Graphs { features, .. } | BatchInput::Nodes { features, .. } => features,
    }
}

/// `input` with its values replaced by `values` (same layout).
pub fn with_values(input: &BatchInput, values: Vec<f32>) -> BatchInput {
    assert_eq!(values.len(), input_values(input).len());
    let mut out = input.clone();
    match &mut out {
        BatchInput::Images { pixels, .. } => *pixels = values,
        BatchInput::Sequences { values: v, .. } | BatchInput::Table { values: v, .. } => {
            *v = values
        }
        BatchInput::Graphs { features, .. } | BatchInput::Nodes { features, .. } => {
            *features = values
        }
    }
    out
}

/// The windows occlusion hides: square patches of an image, runs of a sequence, single nodes
/// of a graph and single features of a table row.
pub fn windows(input: &BatchInput, size: usize, stride: usize) -> Vec<Vec<usize>> {
    match input {
        BatchInput::Images { shape, .. } => {
            let (h, w) = (shape[2], shape[3]);
            let starts = |n: usize| {
                let mut s: Vec<usize> = (0..n.saturating_sub(size) + 1).step_by(stride).collect();
                if s.last().is_some_and(|&l| l + size < n) {
                    s.push(n - size);
                }
                s
            };
            let mut out = Vec::new();
            for y in starts(h) {
                for x in starts(w) {
                    out.push(
                        (y..(y + size).min(h))
                            .flat_map(|yy| (x..(x + size).min(w)).map(move |xx| yy * w + xx))
                            .collect(),
                    );
                }
            }
            out
        }
        BatchInput::Sequences { .. } => {
            let n = Layout::of(input).points;
            let mut out: Vec<Vec<usize>> = (0..n.saturating_sub(size) + 1)
                .step_by(stride)
                .map(|s| (s..(s + size).min(n)).collect())
                .collect();
            if out.last().is_some_and(|w| w.last() != Some(&(n - 1))) {
                out.push((n.saturating_sub(size)..n).collect());
            }
            out
        }
        _ => (0..Layout::of(input).points).map(|p| vec![p]).collect(),
    }
}

/// The input Integrated Gradients starts from and occlusion fills in, one value per input
/// value. `mean` is the training set's mean input (same layout), when known.
pub fn baseline_values(
    baseline: Baseline,
    input: &BatchInput,
    mean: Option<&[f32]>,
    seed: u64,
) -> Vec<f32> {
    let x = input_values(input);
    match baseline {
        Baseline::Zeros => vec![0.0; x.len()],
        Baseline::DatasetMean => match mean {
            Some(m) if m.len() == x.len() => m.to_vec(),
            _ => vec![x.iter().sum::<f32>() / x.len().max(1) as f32; x.len()],
        },
        Baseline::Noise => {
            let (low, high) = x
                .iter()
                .fold((f32::MAX, f32::MIN), |(l, h), &v| (l.min(v), h.max(v)));
            let mut r = rng(seed, Stream::Augment);
            x.iter()
                .map(|_| low + (high - low) * r.random::<f32>())
                .collect()
        }
        Baseline::Blurred => blurred(input),
    }
}

/// A heavily smoothed copy: a 9×9 box blur of an image, a moving average over 9 positions of a
/// sequence, every node the mean node (graphs, tables: the mean value).
fn blurred(input: &BatchInput) -> Vec<f32> {
    let x = input_values(input);
    let layout = Layout::of(input);
    let mut out = vec![0.0; x.len()];
    match input {
        BatchInput::Images { shape, .. } => {
            let (h, w, r) = (shape[2] as isize, shape[3] as isize, 4isize);
            for c in 0..layout.channels {
                for y in 0..h {
                    for xx in 0..w {
                        let (mut sum, mut n) = (0.0, 0.0);
                        for yy in (y - r).max(0)..(y + r + 1).min(h) {
                            for xs in (xx - r).max(0)..(xx + r + 1).min(w) {
                                sum += x[layout.index((yy * w + xs) as usize, c)];
                                n += 1.0;
                            }
                        }
                        out[layout.index((y * w + xx) as usize, c)] = sum / n;
                    }
                }
            }
        }
        BatchInput::Sequences { .. } => {
            let n = layout.points as isize;
            for c in 0..layout.channels {
                for p in 0..n {
                    let range = (p - 4).max(0)..(p + 5).min(n);
                    let count = range.len() as f32;
                    let sum: f32 = range.map(|q| x[layout.index(q as usize, c)]).sum();
                    out[layout.index(p as usize, c)] = sum / count;
                }
            }
        }
        _ => {
            for c in 0..layout.channels {
                let mean = (0..layout.points)
                    .map(|p| x[layout.index(p, c)])
                    .sum::<f32>()
                    / layout.points.max(1) as f32;
                (0..layout.points).for_each(|p| out[layout.index(p, c)] = mean);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_windows_cover_every_pixel_and_sequences_reach_the_end() {
        let image = BatchInput::Images {
            pixels: vec![0.0; 2 * 7 * 5],
            shape: [1, 2, 7, 5],
        };
        let layout = Layout::of(&image);
        assert_eq!((layout.points, layout.channels), (35, 2));
        assert_eq!(layout.index(3, 1), 38);
        let covered: std::collections::BTreeSet<usize> =
            windows(&image, 3, 2).into_iter().flatten().collect();
        assert_eq!(covered.len(), 35);
        let sequence = BatchInput::Sequences {
            values: vec![0.0; 4 * 20],
            shape: [1, 20, 4],
            lengths: vec![11],
        };
        let w = windows(&sequence, 4, 3);
        assert_eq!(w.first().unwrap(), &vec![0, 1, 2, 3]);
        assert_eq!(w.last().unwrap(), &vec![7, 8, 9, 10]);
        assert_eq!(Layout::of(&sequence).index(2, 1), 9);
    }

    #[test]
    fn baselines_keep_the_layout_and_blur_flattens() {
        let pixels: Vec<f32> = (0..36)
            .map(|i| if i % 2 == 0 { 1.0 } else { 0.0 })
            .collect();
        let image = BatchInput::Images {
            pixels,
            shape: [1, 1, 6, 6],
        };
        let blurred = baseline_values(Baseline::Blurred, &image, None, 1);
        assert!(
            blurred.iter().all(|v| (0.3..0.7).contains(v)),
            "{blurred:?}"
        );
        assert_eq!(
            baseline_values(Baseline::Zeros, &image, None, 1),
            vec![0.0; 36]
        );
        let noise = baseline_values(Baseline::Noise, &image, None, 1);
        assert!(noise.iter().all(|v| (0.0..=1.0).contains(v)));
        assert_eq!(noise, baseline_values(Baseline::Noise, &image, None, 1));
        assert_eq!(
            baseline_values(Baseline::DatasetMean, &image, Some(&[0.25; 36]), 1),
            vec![0.25; 36]
        );
    }
}
