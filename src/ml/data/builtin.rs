use super::{DataKind, DataShape, Dataset, Samples, shapes, stratified_split};
use serde::{Deserialize, Serialize};

/// The datasets Petri generates itself, deterministically from a seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BuiltinDataset {
    /// Circles, squares, triangles and crosses in noise (28×28 grayscale).
    Shapes,
}

impl BuiltinDataset {
    /// Every built-in dataset, in menu order.
    pub const ALL: [BuiltinDataset; 1] = [BuiltinDataset::Shapes];

    /// A short stable identifier (used in URLs and the Dataset select).
    pub fn id(self) -> &'static str {
        match self {
            BuiltinDataset::Shapes => "shapes",
        }
    }

    /// The dataset with identifier `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.id() == id)
    }

    /// The name shown in the UI.
    pub fn title(self) -> &'static str {
        match self {
            BuiltinDataset::Shapes => "Shapes in noise (images)",
        }
    }

    /// One paragraph on what the dataset stands for in science.
    pub fn description(self) -> &'static str {
        match self {
            BuiltinDataset::Shapes => {
                "28×28 grayscale images of one bright shape (circle, square, triangle or cross) \
                 of random size, position, rotation and brightness in noise. It stands for the \
                 first step of many imaging pipelines — telling objects apart by morphology in a \
                 noisy detector image (particles in a micrograph, sources on a sky survey plate) \
                 — and is small enough to train in seconds in a browser."
            }
        }
    }

    /// The kind of samples.
    pub fn kind(self) -> DataKind {
        self.shape().kind()
    }

    /// The shape of one sample.
    pub fn shape(self) -> DataShape {
        match self {
            BuiltinDataset::Shapes => DataShape::Image {
                channels: 1,
                height: shapes::SIZE,
                width: shapes::SIZE,
            },
        }
    }

    /// Class names in label order.
    pub fn class_names(self) -> Vec<String> {
        match self {
            BuiltinDataset::Shapes => shapes::CLASSES.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Generates the dataset for `seed`: the same seed always gives the same samples and split.
    pub fn generate(self, seed: u64) -> Dataset {
        let class_names = self.class_names();
        let all = match self {
            BuiltinDataset::Shapes => Samples::Images(shapes::generate(3000, seed)),
        };
        let (train, valid) = stratified_split(all.labels(), class_names.len(), 0.2, seed);
        Dataset {
            name: self.title().to_string(),
            class_names,
            train: all.subset(&train),
            valid: all.subset(&valid),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_dataset_is_deterministic_per_seed() {
        for dataset in BuiltinDataset::ALL {
            let a = dataset.generate(5);
            assert_eq!(a, dataset.generate(5), "{}", dataset.id());
            assert_ne!(a.train, dataset.generate(6).train, "{}", dataset.id());
            assert!(a.train.len() > a.valid.len() && !a.valid.is_empty());
            assert_eq!(BuiltinDataset::from_id(dataset.id()), Some(dataset));
            assert_eq!(a.shape(), dataset.shape());
            assert_eq!(a.class_names, dataset.class_names());
        }
    }

    #[test]
    fn batches_have_the_model_input_shape() {
        let dataset = BuiltinDataset::Shapes.generate(1);
        let batch = dataset.train.batch(&[0, 5, 9]);
        let super::super::BatchInput::Images { pixels, shape } = &batch.input;
        assert_eq!(*shape, [3, 1, 28, 28]);
        assert_eq!(pixels.len(), 3 * 28 * 28);
        assert_eq!(batch.targets.len(), 3);
        assert_eq!(batch.targets[1], i64::from(dataset.train.labels()[5]));
    }
}
