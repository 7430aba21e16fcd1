//! Datasets: the built-in procedural ones, splits and batching.
//!
//! Everything here is plain data (no tensors), so the UI can hold it too.

mod builtin;
mod images;
pub mod shapes;
mod split;

pub use builtin::BuiltinDataset;
pub use images::Images;
pub use split::stratified_split;

use serde::{Deserialize, Serialize};

/// What kind of samples a dataset holds; decides which models and views fit it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DataKind {
    /// Images: `[channels, height, width]` per sample.
    Image,
}

/// The shape of one sample, which decides the model's input layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DataShape {
    /// Images of `channels × height × width`.
    Image {
        channels: usize,
        height: usize,
        width: usize,
    },
}

impl DataShape {
    /// The kind of samples of this shape.
    pub fn kind(&self) -> DataKind {
        match self {
            DataShape::Image { .. } => DataKind::Image,
        }
    }
}

/// A labelled dataset with its training and validation parts.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Shown in the UI.
    pub name: String,
    /// One name per class; labels index into it.
    pub class_names: Vec<String>,
    /// Samples the model learns from.
    pub train: Samples,
    /// Samples held out to measure generalisation.
    pub valid: Samples,
}

impl Dataset {
    /// The kind of samples held.
    pub fn kind(&self) -> DataKind {
        self.train.kind()
    }

    /// The shape of one sample.
    pub fn shape(&self) -> DataShape {
        self.train.shape()
    }

    /// The number of classes.
    pub fn num_classes(&self) -> usize {
        self.class_names.len()
    }
}

/// A set of labelled samples of one kind.
#[derive(Clone, Debug, PartialEq)]
pub enum Samples {
    /// Images of one size.
    Images(Images),
}

impl Samples {
    /// The kind of samples held.
    pub fn kind(&self) -> DataKind {
        match self {
            Samples::Images(_) => DataKind::Image,
        }
    }

    /// The shape of one sample.
    pub fn shape(&self) -> DataShape {
        match self {
            Samples::Images(images) => DataShape::Image {
                channels: images.channels,
                height: images.height,
                width: images.width,
            },
        }
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.labels().len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One class index per sample.
    pub fn labels(&self) -> &[u32] {
        match self {
            Samples::Images(images) => &images.labels,
        }
    }

    /// The samples at `indices`, in that order, as one batch.
    pub fn batch(&self, indices: &[usize]) -> Batch {
        match self {
            Samples::Images(images) => Batch {
                input: BatchInput::Images {
                    pixels: images.gather(indices),
                    shape: [indices.len(), images.channels, images.height, images.width],
                },
                targets: indices
                    .iter()
                    .map(|&i| i64::from(images.labels[i]))
                    .collect(),
            },
        }
    }

    /// The samples at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Samples {
        match self {
            Samples::Images(images) => Samples::Images(images.subset(indices)),
        }
    }
}

/// Shift and scale that give model inputs zero mean and unit variance over the training set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Standardizer {
    pub mean: f32,
    pub std: f32,
}

impl Standardizer {
    /// The statistics of `samples` (all values pooled).
    pub fn fit(samples: &Samples) -> Self {
        let values: &[f32] = match samples {
            Samples::Images(images) => &images.pixels,
        };
        let n = values.len().max(1) as f64;
        let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let var = values
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / n;
        Self {
            mean: mean as f32,
            std: (var.sqrt() as f32).max(1e-6),
        }
    }

    /// Standardizes the model input of `batch` in place.
    pub fn apply(&self, batch: &mut Batch) {
        match &mut batch.input {
            BatchInput::Images { pixels, .. } => {
                for v in pixels {
                    *v = (*v - self.mean) / self.std;
                }
            }
        }
    }
}

/// The model input of one batch, as plain numbers.
#[derive(Clone, Debug, PartialEq)]
pub enum BatchInput {
    /// `pixels` holds `shape = [batch, channels, height, width]` values in row-major order.
    Images { pixels: Vec<f32>, shape: [usize; 4] },
}

/// One batch: model input and the class index of each sample.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// The model input.
    pub input: BatchInput,
    /// The class index of each sample.
    pub targets: Vec<i64>,
}

impl Batch {
    /// The number of samples in the batch.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }
}
