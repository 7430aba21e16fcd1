//! The model families as plain, serialisable configs: what the UI edits and explains, links,
//! lessons and experiment files carry, and the protocol sends. The Burn module each config
//! builds with `init(&device)` lives in [`nets`], compiled only with the engine.

pub mod cnn;
pub mod cnn1d;
pub mod gnn;
pub mod mlp;
#[cfg(feature = "engine")]
pub mod nets;
#[cfg(feature = "engine")]
pub mod params;
pub mod rnn;
pub mod transformer;

pub use cnn::{CnnConfig, ConvBlock, Padding};
pub use cnn1d::Cnn1dConfig;
pub use gnn::{GnnConfig, GnnKind, Readout};
pub use mlp::MlpConfig;
#[cfg(feature = "engine")]
pub use nets::{Cnn, LayerOutput, Model, ModelInput};
pub use rnn::{CellKind, Pooling, RnnConfig};
pub use transformer::{Positions, TokenPooling, TransformerConfig};

use super::data::{BuiltinDataset, DataKind, DataShape};
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
}

/// The families of models Petri trains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelFamily {
    /// Convolutional network for images.
    Cnn,
    /// Recurrent network (GRU or LSTM) for sequences.
    Rnn,
    /// 1-D convolutional network for sequences.
    Cnn1d,
    /// Transformer encoder (self-attention) for sequences.
    Transformer,
    /// Graph neural network (GCN or GIN) for graphs and their nodes.
    Gnn,
    /// Multilayer perceptron for table rows.
    Mlp,
}

impl ModelFamily {
    /// Every family, in menu order.
    pub const ALL: [ModelFamily; 6] = [
        ModelFamily::Cnn,
        ModelFamily::Rnn,
        ModelFamily::Cnn1d,
        ModelFamily::Transformer,
        ModelFamily::Gnn,
        ModelFamily::Mlp,
    ];

    /// A short stable identifier.
    pub fn id(self) -> &'static str {
        match self {
            ModelFamily::Cnn => "cnn",
            ModelFamily::Rnn => "rnn",
            ModelFamily::Cnn1d => "cnn1d",
            ModelFamily::Transformer => "transformer",
            ModelFamily::Gnn => "gnn",
            ModelFamily::Mlp => "mlp",
        }
    }

    /// The name shown in the UI.
    pub fn title(self) -> &'static str {
        match self {
            ModelFamily::Cnn => "CNN (convolutional)",
            ModelFamily::Rnn => "RNN (GRU / LSTM)",
            ModelFamily::Cnn1d => "1-D CNN (convolution along the sequence)",
            ModelFamily::Transformer => "Transformer (self-attention)",
            ModelFamily::Gnn => "GNN (GCN / GIN / GAT message passing)",
            ModelFamily::Mlp => "MLP (dense layers)",
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
            ModelFamily::Rnn | ModelFamily::Cnn1d | ModelFamily::Transformer => {
                kind == DataKind::Sequence
            }
            ModelFamily::Gnn => matches!(kind, DataKind::Graph | DataKind::Node),
            ModelFamily::Mlp => kind == DataKind::Table,
        }
    }

    /// The default config of this family.
    pub fn default_config(self) -> ModelConfig {
        match self {
            ModelFamily::Cnn => ModelConfig::Cnn(CnnConfig::default()),
            ModelFamily::Rnn => ModelConfig::Rnn(RnnConfig::default()),
            ModelFamily::Cnn1d => ModelConfig::Cnn1d(Cnn1dConfig::default()),
            ModelFamily::Transformer => ModelConfig::Transformer(TransformerConfig::default()),
            ModelFamily::Gnn => ModelConfig::Gnn(GnnConfig::default()),
            ModelFamily::Mlp => ModelConfig::Mlp(MlpConfig::default()),
        }
    }
}

/// The config of any model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelConfig {
    /// A convolutional network for images.
    Cnn(CnnConfig),
    /// A recurrent network for sequences.
    Rnn(RnnConfig),
    /// A 1-D convolutional network for sequences.
    Cnn1d(Cnn1dConfig),
    /// A Transformer encoder for sequences.
    Transformer(TransformerConfig),
    /// A graph neural network.
    Gnn(GnnConfig),
    /// A multilayer perceptron for table rows.
    Mlp(MlpConfig),
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
            DataKind::Sequence => ModelConfig::Rnn(RnnConfig::default()),
            DataKind::Graph => ModelConfig::Gnn(GnnConfig {
                kind: GnnKind::Gin,
                layers: 3,
                readout: Readout::Sum,
                ..GnnConfig::default()
            }),
            DataKind::Node => ModelConfig::Gnn(GnnConfig {
                dropout: 0.3,
                ..GnnConfig::default()
            }),
            DataKind::Table => ModelConfig::Mlp(MlpConfig::default()),
        }
    }

    /// The model a user starts from on an uploaded dataset of `kind`: as [`Self::default_for`],
    /// but a 1-D CNN for sequences, which finds short motifs from few samples where an RNN
    /// needs many.
    pub fn default_for_upload(kind: DataKind) -> Self {
        match kind {
            DataKind::Sequence => ModelConfig::Cnn1d(Cnn1dConfig::default()),
            other => Self::default_for(other),
        }
    }

    /// The model a user starts from on `dataset`.
    pub fn default_for_dataset(dataset: BuiltinDataset) -> Self {
        match dataset {
            BuiltinDataset::DnaMotif => ModelConfig::Cnn1d(Cnn1dConfig::default()),
            other => Self::default_for(other.kind()),
        }
    }

    /// The dropout probability (0 to 0.9).
    pub fn dropout(&self) -> f64 {
        match self {
            ModelConfig::Cnn(c) => c.dropout,
            ModelConfig::Cnn1d(c) => c.dropout,
            ModelConfig::Transformer(c) => c.dropout,
            ModelConfig::Rnn(c) => c.dropout,
            ModelConfig::Gnn(c) => c.dropout,
            ModelConfig::Mlp(c) => c.dropout,
        }
    }

    /// The family of this model.
    pub fn family(&self) -> ModelFamily {
        match self {
            ModelConfig::Cnn(_) => ModelFamily::Cnn,
            ModelConfig::Rnn(_) => ModelFamily::Rnn,
            ModelConfig::Cnn1d(_) => ModelFamily::Cnn1d,
            ModelConfig::Transformer(_) => ModelFamily::Transformer,
            ModelConfig::Gnn(_) => ModelFamily::Gnn,
            ModelConfig::Mlp(_) => ModelFamily::Mlp,
        }
    }

    /// The layer table and parameter count for `shape` inputs and `classes` outputs, or a
    /// message saying which setting makes the model impossible and what would fix it.
    pub fn summary(&self, shape: &DataShape, classes: usize) -> Result<ModelSummary, String> {
        match (self, shape) {
            (
                ModelConfig::Cnn(config),
                DataShape::Image {
                    channels,
                    height,
                    width,
                },
            ) => config.summary([*channels, *height, *width], classes),
            (ModelConfig::Rnn(config), DataShape::Sequence { channels, .. }) => {
                config.summary(*channels, classes)
            }
            (
                ModelConfig::Cnn1d(config),
                DataShape::Sequence {
                    channels,
                    max_length,
                },
            ) => config.summary(*channels, *max_length, classes),
            (
                ModelConfig::Transformer(config),
                DataShape::Sequence {
                    channels,
                    max_length,
                },
            ) => config.summary(*channels, *max_length, classes),
            (ModelConfig::Gnn(config), DataShape::Graph { features }) => {
                config.summary(*features, classes, true)
            }
            (ModelConfig::Gnn(config), DataShape::Node { features }) => {
                config.summary(*features, classes, false)
            }
            (ModelConfig::Mlp(config), DataShape::Table { features }) => {
                config.summary(*features, classes)
            }
            _ => Err(format!(
                "A {} cannot learn from {}.",
                self.family().title(),
                shape.kind().title()
            )),
        }
    }
}
