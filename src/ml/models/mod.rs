//! The model families. Each has a plain, serialisable config (used by the UI to explain and
//! count) and a Burn module built from it with `init(&device)`.

pub mod cnn;

#[cfg(feature = "engine")]
pub use cnn::Cnn;
pub use cnn::{CnnConfig, ConvBlock, Padding};

#[cfg(feature = "engine")]
use super::data::BatchInput;
use super::data::{DataKind, DataShape};
#[cfg(feature = "engine")]
use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// Nonlinearity between layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    /// max(0, x).
    #[default]
    Relu,
    /// Gaussian error linear unit.
    Gelu,
    /// Hyperbolic tangent.
    Tanh,
}

impl Activation {
    /// Every activation, in menu order.
    pub const ALL: [Activation; 3] = [Activation::Relu, Activation::Gelu, Activation::Tanh];

    /// A short stable identifier.
    pub fn id(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Gelu => "gelu",
            Activation::Tanh => "tanh",
        }
    }

    /// The name shown in the UI.
    pub fn title(self) -> &'static str {
        match self {
            Activation::Relu => "ReLU",
            Activation::Gelu => "GELU",
            Activation::Tanh => "tanh",
        }
    }

    /// The activation with identifier `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.id() == id)
    }

    /// Applies the activation.
    #[cfg(feature = "engine")]
    pub fn forward<const D: usize>(self, x: Tensor<D>) -> Tensor<D> {
        match self {
            Activation::Relu => burn::tensor::activation::relu(x),
            Activation::Gelu => burn::tensor::activation::gelu(x),
            Activation::Tanh => x.tanh(),
        }
    }
}

/// The families of models Petri trains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelFamily {
    /// Convolutional network for images.
    Cnn,
}

impl ModelFamily {
    /// Every family, in menu order.
    pub const ALL: [ModelFamily; 1] = [ModelFamily::Cnn];

    /// A short stable identifier.
    pub fn id(self) -> &'static str {
        match self {
            ModelFamily::Cnn => "cnn",
        }
    }

    /// The name shown in the UI.
    pub fn title(self) -> &'static str {
        match self {
            ModelFamily::Cnn => "CNN (convolutional)",
        }
    }

    /// The family with identifier `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.id() == id)
    }

    /// Whether this family can learn from samples of `kind`.
    pub fn fits(self, kind: DataKind) -> bool {
        match self {
            ModelFamily::Cnn => kind == DataKind::Image,
        }
    }

    /// The default config of this family.
    pub fn default_config(self) -> ModelConfig {
        match self {
            ModelFamily::Cnn => ModelConfig::Cnn(CnnConfig::default()),
        }
    }
}

/// The config of any model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelConfig {
    /// A convolutional network.
    Cnn(CnnConfig),
}

/// One row of a model's layer table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerSummary {
    /// What the layer does, e.g. `conv 3×3, 8 channels`.
    pub name: String,
    /// Its output shape per sample, e.g. `8×26×26`.
    pub output: String,
    /// Its number of trainable parameters.
    pub params: usize,
}

/// A model's layers and parameter count for a given input, or why it cannot be built.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    /// The layers in order.
    pub layers: Vec<LayerSummary>,
    /// The total number of trainable parameters.
    pub params: usize,
}

impl ModelConfig {
    /// A sensible default model for samples of `kind`.
    pub fn default_for(kind: DataKind) -> Self {
        match kind {
            DataKind::Image => ModelConfig::Cnn(CnnConfig::default()),
        }
    }

    /// The family of this model.
    pub fn family(&self) -> ModelFamily {
        match self {
            ModelConfig::Cnn(_) => ModelFamily::Cnn,
        }
    }

    /// The layer table and parameter count for `shape` inputs and `classes` outputs, or a
    /// message saying which setting makes the model impossible and what would fix it.
    pub fn summary(&self, shape: &DataShape, classes: usize) -> Result<ModelSummary, String> {
        if !self.family().fits(shape.kind()) {
            return Err(format!(
                "A {} cannot learn from {:?} data.",
                self.family().title(),
                shape.kind()
            ));
        }
        match (self, shape) {
            (
                ModelConfig::Cnn(config),
                DataShape::Image {
                    channels,
                    height,
                    width,
                },
            ) => config.summary([*channels, *height, *width], classes),
        }
    }

    /// Builds the Burn module for `shape` inputs and `classes` outputs on `device`.
    #[cfg(feature = "engine")]
    pub fn init(
        &self,
        shape: &DataShape,
        classes: usize,
        device: &Device,
    ) -> Result<Model, String> {
        self.summary(shape, classes)?;
        Ok(match (self, shape) {
            (
                ModelConfig::Cnn(config),
                DataShape::Image {
                    channels,
                    height,
                    width,
                },
            ) => Model::Cnn(config.init([*channels, *height, *width], classes, device)),
        })
    }
}

/// A model of any family, ready to train.
#[cfg(feature = "engine")]
#[derive(Module, Debug)]
pub enum Model {
    /// A convolutional network.
    Cnn(Cnn),
}

#[cfg(feature = "engine")]
impl Model {
    /// Class scores (logits) for a batch.
    ///
    /// # Shapes
    /// - output: `[batch, classes]`
    pub fn forward(&self, input: &BatchInput, device: &Device) -> Tensor<2> {
        match (self, input) {
            (Model::Cnn(cnn), BatchInput::Images { pixels, shape }) => {
                let x = Tensor::<4>::from_data(TensorData::new(pixels.clone(), *shape), device);
                cnn.forward(x)
            }
        }
    }
}
