use serde::{Deserialize, Serialize};

/// Rows of numeric features (tabular data): each sample is one row of `feature_names.len()`
/// values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// One name per feature column, in value order.
    pub feature_names: Vec<String>,
    /// `rows × features` values, row-major.
    pub values: Vec<f32>,
    pub labels: Vec<u32>,
    /// The measured value of each sample when the targets are quantities (regression: each
    /// sample with a value has label 0, one without [`super::NO_LABEL`] and NaN); empty when
    /// the targets are classes.
    #[serde(default)]
    pub measured: Vec<f32>,
}

impl Table {
    /// An empty table with these feature columns.
    pub fn new(feature_names: Vec<String>) -> Self {
        Self {
            feature_names,
            values: Vec::new(),
            labels: Vec::new(),
            measured: Vec::new(),
        }
    }

    /// The number of features per row.
    pub fn features(&self) -> usize {
        self.feature_names.len()
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Appends one row; `row` must hold [`Table::features`] values.
    pub fn push(&mut self, row: &[f32], label: u32) {
        assert_eq!(row.len(), self.features(), "row width mismatch");
        self.values.extend_from_slice(row);
        self.labels.push(label);
    }

    /// The values of row `index`.
    pub fn row(&self, index: usize) -> &[f32] {
        let width = self.features();
        &self.values[index * width..(index + 1) * width]
    }

    /// The values of the rows at `indices`, concatenated.
    pub fn gather(&self, indices: &[usize]) -> Vec<f32> {
        let mut out = Vec::with_capacity(indices.len() * self.features());
        for &i in indices {
            out.extend_from_slice(self.row(i));
        }
        out
    }

    /// The rows at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Table {
        Table {
            feature_names: self.feature_names.clone(),
            values: self.gather(indices),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            measured: super::pick(&self.measured, indices),
        }
    }

    /// Each feature's mean and standard deviation over the rows (std at least 1e-6).
    pub fn column_stats(&self) -> Vec<(f32, f32)> {
        let width = self.features();
        let n = self.len().max(1) as f64;
        (0..width)
            .map(|c| {
                let column = || (0..self.len()).map(|r| f64::from(self.values[r * width + c]));
                let mean = column().sum::<f64>() / n;
                let var = column().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
                (mean as f32, (var.sqrt() as f32).max(1e-6))
            })
            .collect()
    }
}
