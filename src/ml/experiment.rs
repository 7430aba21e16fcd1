//! The whole experiment as plain, serialisable data: what the UI edits, the worker runs,
//! and (later) the URL, exports and lessons carry.

use super::augment::AugmentConfig;
use super::data::{BuiltinDataset, DataShape};
use super::label::LabelingConfig;
use super::models::ModelConfig;
use super::regression::RegressionLoss;
use serde::{Deserialize, Serialize};

/// Which optimizer updates the weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OptimizerKind {
    /// Adam (β₁ = 0.9, β₂ = 0.999).
    Adam,
    /// Stochastic gradient descent with momentum 0.9.
    SgdMomentum,
}

impl OptimizerKind {
    /// Every optimizer, in menu order.
    pub const ALL: [OptimizerKind; 2] = [OptimizerKind::Adam, OptimizerKind::SgdMomentum];

    /// A short stable identifier.
    pub fn id(self) -> &'static str {
        match self {
            OptimizerKind::Adam => "adam",
            OptimizerKind::SgdMomentum => "sgd",
        }
    }

    /// The name shown in the UI.
    pub fn title(self) -> &'static str {
        match self {
            OptimizerKind::Adam => "Adam",
            OptimizerKind::SgdMomentum => "SGD + momentum",
        }
    }

    /// The optimizer with identifier `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.id() == id)
    }
}

/// Where the tensors live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Compute {
    /// Pick the faster of WebGPU and CPU for this machine and model.
    #[default]
    Auto,
    /// The browser's WebGPU adapter.
    WebGpu,
    /// Burn's Flex backend on the CPU (WebAssembly SIMD in the browser).
    Cpu,
}

impl Compute {
    /// Every choice, in menu order.
    pub const ALL: [Compute; 3] = [Compute::Auto, Compute::WebGpu, Compute::Cpu];

    /// A short stable identifier.
    pub fn id(self) -> &'static str {
        match self {
            Compute::Auto => "auto",
            Compute::WebGpu => "webgpu",
            Compute::Cpu => "cpu",
        }
    }

    /// The name shown in the UI.
    pub fn title(self) -> &'static str {
        match self {
            Compute::Auto => "Auto",
            Compute::WebGpu => "WebGPU",
            Compute::Cpu => "CPU",
        }
    }

    /// The choice with identifier `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.id() == id)
    }
}

/// Which data an experiment learns from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetId {
    /// A dataset Petri generates.
    Builtin(BuiltinDataset),
    /// The dataset the user uploaded (the engine holds at most one).
    Uploaded,
}

impl DatasetId {
    /// The built-in dataset, if it is one.
    pub fn builtin(self) -> Option<BuiltinDataset> {
        match self {
            DatasetId::Builtin(dataset) => Some(dataset),
            DatasetId::Uploaded => None,
        }
    }

    /// A short stable identifier (the Dataset select's values).
    pub fn id(self) -> &'static str {
        match self {
            DatasetId::Builtin(dataset) => dataset.id(),
            DatasetId::Uploaded => "uploaded",
        }
    }

    /// The dataset with identifier `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        match id {
            "uploaded" => Some(DatasetId::Uploaded),
            _ => BuiltinDataset::from_id(id).map(DatasetId::Builtin),
        }
    }
}

impl From<BuiltinDataset> for DatasetId {
    fn from(dataset: BuiltinDataset) -> Self {
        DatasetId::Builtin(dataset)
    }
}

/// Everything that defines a run. The same experiment on the same backend gives the same curves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    /// The data to learn from.
    pub dataset: DatasetId,
    /// The network.
    pub model: ModelConfig,
    /// The weight update rule.
    pub optimizer: OptimizerKind,
    /// Step size of the optimizer.
    pub learning_rate: f64,
    /// Samples per training step.
    pub batch_size: usize,
    /// Seeds the data, the split, the sample order, the initial weights, dropout and
    /// augmentation.
    pub seed: u64,
    /// Augmentation of training batches (none when absent, so older experiments still load).
    #[serde(default)]
    pub augment: AugmentConfig,
    /// Hidden labels, the labeling queue, pseudo-labels and consistency training.
    #[serde(default)]
    pub labeling: LabelingConfig,
    /// The loss for measured targets (regression); classes always train with cross-entropy.
    #[serde(default)]
    pub regression_loss: RegressionLoss,
    /// Train the head alone on the encoder's fixed embeddings (a linear probe of a
    /// pretrained or transferred encoder); otherwise every layer learns.
    #[serde(default)]
    pub head_only: bool,
}

impl Default for Experiment {
    fn default() -> Self {
        let dataset = BuiltinDataset::Shapes;
        Self {
            dataset: dataset.into(),
            model: ModelConfig::default_for_dataset(dataset),
            optimizer: OptimizerKind::Adam,
            learning_rate: 0.005,
            batch_size: 32,
            seed: 1,
            augment: AugmentConfig::none(),
            labeling: LabelingConfig::default(),
            regression_loss: RegressionLoss::default(),
            head_only: false,
        }
    }
}

/// Largest batch the UI offers; bigger batches gain little at these model sizes.
pub const MAX_BATCH_SIZE: usize = 1024;

impl Experiment {
    /// The name under which the labels a person gives to this experiment's data are kept: one
    /// book per built-in dataset, seed and labels-per-class setting, and one for the upload.
    pub fn labels_key(&self) -> String {
        match self.dataset {
            DatasetId::Builtin(dataset) => format!(
                "{}/seed-{}/{}",
                dataset.id(),
                self.seed,
                self.labeling
                    .labels_per_class
                    .map_or("all".to_string(), |n| format!("{n}-per-class"))
            ),
            DatasetId::Uploaded => "upload".into(),
        }
    }

    /// Checks everything: the training settings and that the model can be built for samples
    /// of `shape` in `classes` classes.
    pub fn validate(&self, shape: &DataShape, classes: usize) -> Result<(), String> {
        self.validate_settings()?;
        self.model.summary(shape, classes).map(|_| ())
    }

    /// Checks the training settings a user types (learning rate, batch size, augmentation
    /// ranges); the message says what is wrong and what is allowed.
    pub fn validate_settings(&self) -> Result<(), String> {
        if !(self.learning_rate.is_finite()
            && self.learning_rate > 0.0
            && self.learning_rate <= 1.0)
        {
            return Err(format!(
                "Learning rate {} is out of range: use a number above 0 and at most 1.",
                self.learning_rate
            ));
        }
        if self.batch_size == 0 || self.batch_size > MAX_BATCH_SIZE {
            return Err(format!(
                "Batch size {} is out of range: use 1 to {MAX_BATCH_SIZE}.",
                self.batch_size
            ));
        }
        self.augment.validate()?;
        self.labeling.validate()
    }
}
