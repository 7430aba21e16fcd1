//! A small convolutional network: conv blocks (conv, optional batch norm, activation, optional
//! 2×2 max pooling), then dropout and a linear head.

use super::{Activation, LayerSummary, ModelSummary};
use serde::{Deserialize, Serialize};

/// How convolutions treat the border.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Padding {
    /// No padding: each convolution shrinks the image by `kernel - 1`.
    #[default]
    Valid,
    /// Zero padding that keeps the image size.
    Same,
}

impl Padding {
    pub const ALL: [Padding; 2] = [Padding::Valid, Padding::Same];

    /// A short stable identifier (links, selects).
    pub fn id(self) -> &'static str {
        match self {
            Padding::Valid => "valid",
            Padding::Same => "same",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.id() == id)
    }
}

/// One convolution block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvBlock {
    /// Output channels (feature maps), 1 to [`MAX_CHANNELS`].
    pub channels: usize,
    /// Kernel side, 1 to [`MAX_KERNEL`].
    pub kernel: usize,
    /// Whether a 2×2 max pooling halves the feature maps after the block.
    pub pool: bool,
}

/// Most channels a block may have.
pub const MAX_CHANNELS: usize = 256;
/// Largest kernel side.
pub const MAX_KERNEL: usize = 9;
/// Most conv blocks.
pub const MAX_BLOCKS: usize = 6;

/// Configuration of a [`Cnn`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CnnConfig {
    /// The conv blocks, input side first.
    pub blocks: Vec<ConvBlock>,
    /// How convolutions treat the border.
    pub padding: Padding,
    /// Nonlinearity after each convolution.
    pub activation: Activation,
    /// Batch normalisation after each convolution.
    pub batch_norm: bool,
    /// Dropout probability before the linear head, 0 to 0.9.
    pub dropout: f64,
}

impl Default for CnnConfig {
    /// conv3×3(8) → pool → conv3×3(16) → pool → linear: the TF.js reference model.
    fn default() -> Self {
        Self {
            blocks: vec![
                ConvBlock {
                    channels: 8,
                    kernel: 3,
                    pool: true,
                },
                ConvBlock {
                    channels: 16,
                    kernel: 3,
                    pool: true,
                },
            ],
            padding: Padding::Valid,
            activation: Activation::Relu,
            batch_norm: false,
            dropout: 0.0,
        }
    }
}

impl CnnConfig {
    /// Layer table and parameter count for `[channels, height, width]` inputs.
    pub fn summary(&self, input: [usize; 3], classes: usize) -> Result<ModelSummary, String> {
        if self.blocks.is_empty() || self.blocks.len() > MAX_BLOCKS {
            return Err(format!("A CNN needs 1 to {MAX_BLOCKS} conv blocks."));
        }
        if !(0.0..=0.9).contains(&self.dropout) {
            return Err(format!(
                "Dropout {} is out of range: use 0 to 0.9.",
                self.dropout
            ));
        }
        let [mut channels, mut height, mut width] = input;
        let mut layers = Vec::new();
        for (i, block) in self.blocks.iter().enumerate() {
            let n = i + 1;
            if block.channels == 0 || block.channels > MAX_CHANNELS {
                return Err(format!("Block {n}: use 1 to {MAX_CHANNELS} channels."));
            }
            if block.kernel == 0 || block.kernel > MAX_KERNEL {
                return Err(format!("Block {n}: use a kernel of 1 to {MAX_KERNEL}."));
            }
            if self.padding == Padding::Valid {
                if block.kernel > height || block.kernel > width {
                    return Err(format!(
                        "Block {n}: a {k}×{k} kernel does not fit the {height}×{width} feature \
                         map. Use a smaller kernel, fewer blocks or pooling, or 'same' padding.",
                        k = block.kernel
                    ));
                }
                height -= block.kernel - 1;
                width -= block.kernel - 1;
            }
            let params = channels * block.channels * block.kernel * block.kernel + block.channels;
            channels = block.channels;
            layers.push(LayerSummary {
                name: format!(
                    "conv {k}×{k}, {c} channels",
                    k = block.kernel,
                    c = block.channels
                ),
                output: format!("{channels}×{height}×{width}"),
                params,
            });
            if self.batch_norm {
                layers.push(LayerSummary {
                    name: "batch norm".into(),
                    output: format!("{channels}×{height}×{width}"),
                    params: 2 * channels,
                });
            }
            if block.pool {
                if height < 2 || width < 2 {
                    return Err(format!(
                        "Block {n}: the {height}×{width} feature map is too small to pool. \
                         Remove pooling from this block or use fewer blocks."
                    ));
                }
                height /= 2;
                width /= 2;
                layers.push(LayerSummary {
                    name: "max pool 2×2".into(),
                    output: format!("{channels}×{height}×{width}"),
                    params: 0,
                });
            }
        }
        let features = channels * height * width;
        if self.dropout > 0.0 {
            layers.push(LayerSummary {
                name: format!("dropout {}", self.dropout),
                output: format!("{features}"),
                params: 0,
            });
        }
        layers.push(LayerSummary {
            name: "linear".into(),
            output: format!("{classes}"),
            params: features * classes + classes,
        });
        let params = layers.iter().map(|l| l.params).sum();
        Ok(ModelSummary { layers, params })
    }
}
