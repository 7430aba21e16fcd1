//! Metrics computed from plain numbers read back from the device.

use serde::{Deserialize, Serialize};

/// Counts of (true class, predicted class) pairs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfusionMatrix {
    /// `counts[truth][predicted]`.
    pub counts: Vec<Vec<u32>>,
}

impl ConfusionMatrix {
    /// The matrix of `truth` against `predicted` over `classes` classes.
    pub fn new(classes: usize, truth: &[u32], predicted: &[u32]) -> Self {
        let mut counts = vec![vec![0; classes]; classes];
        for (&t, &p) in truth.iter().zip(predicted) {
            counts[t as usize][p as usize] += 1;
        }
        Self { counts }
    }

    /// The fraction of samples on the diagonal (0 when empty).
    pub fn accuracy(&self) -> f64 {
        let total: u32 = self.counts.iter().flatten().sum();
        let correct: u32 = (0..self.counts.len()).map(|i| self.counts[i][i]).sum();
        if total == 0 {
            0.0
        } else {
            f64::from(correct) / f64::from(total)
        }
    }
}

/// Index and value of the largest entry of each row of a row-major `[rows, cols]` matrix.
pub fn argmax_rows(values: &[f32], cols: usize) -> Vec<(u32, f32)> {
    values
        .chunks(cols)
        .map(|row| {
            row.iter()
                .enumerate()
                .fold((0u32, f32::NEG_INFINITY), |best, (i, &v)| {
                    if v > best.1 { (i as u32, v) } else { best }
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_counts_and_accuracy() {
        let m = ConfusionMatrix::new(3, &[0, 1, 2, 2], &[0, 2, 2, 2]);
        assert_eq!(m.counts, vec![vec![1, 0, 0], vec![0, 0, 1], vec![0, 0, 2]]);
        assert!((m.accuracy() - 0.75).abs() < 1e-12);
    }

    #[test]
    fn argmax_picks_largest_per_row() {
        assert_eq!(
            argmax_rows(&[0.1, 0.7, 0.2, 0.5, 0.3, 0.2], 3),
            vec![(1, 0.7), (0, 0.5)]
        );
    }
}
