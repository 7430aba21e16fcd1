//! A 1-D convolutional network for sequences: conv blocks along time ('same' padding,
//! optional 2× max pooling), a global max over the real (unpadded) positions, then dropout
//! and a linear head. It finds motifs wherever they sit in a sequence.

use super::cnn::{ConvBlock, MAX_BLOCKS, MAX_CHANNELS, MAX_KERNEL};
use super::{Activation, LayerSummary, ModelSummary};
use serde::{Deserialize, Serialize};

/// Configuration of a [`Cnn1d`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cnn1dConfig {
    /// The conv blocks, input side first.
    pub blocks: Vec<ConvBlock>,
    /// Nonlinearity after each convolution.
    pub activation: Activation,
    /// Dropout probability before the linear head, 0 to 0.9.
    pub dropout: f64,
}

impl Default for Cnn1dConfig {
    /// conv 9 (32) → pool → conv 5 (32) → global max → linear.
    fn default() -> Self {
        Self {
            blocks: vec![
                ConvBlock {
                    channels: 32,
                    kernel: 9,
                    pool: true,
                },
                ConvBlock {
                    channels: 32,
                    kernel: 5,
                    pool: false,
                },
            ],
            activation: Activation::Relu,
            dropout: 0.1,
        }
    }
}

impl Cnn1dConfig {
    /// Layer table and parameter count for sequences of `channels` values per position and up
    /// to `max_length` positions.
    pub fn summary(
        &self,
        channels: usize,
        max_length: usize,
        classes: usize,
    ) -> Result<ModelSummary, String> {
        if self.blocks.is_empty() || self.blocks.len() > MAX_BLOCKS {
            return Err(format!("A 1-D CNN needs 1 to {MAX_BLOCKS} conv blocks."));
        }
        if !(0.0..=0.9).contains(&self.dropout) {
            return Err(format!(
                "Dropout {} is out of range: use 0 to 0.9.",
                self.dropout
            ));
        }
        let (mut c, mut length) = (channels, max_length);
        let mut layers = Vec::new();
        for (i, block) in self.blocks.iter().enumerate() {
            let n = i + 1;
            if block.channels == 0 || block.channels > MAX_CHANNELS {
                return Err(format!("Block {n}: use 1 to {MAX_CHANNELS} channels."));
            }
            if block.kernel == 0 || block.kernel > 2 * MAX_KERNEL + 1 {
                return Err(format!(
                    "Block {n}: use a kernel of 1 to {}.",
                    2 * MAX_KERNEL + 1
                ));
            }
            layers.push(LayerSummary {
                name: format!(
                    "conv {} along time, {} channels",
                    block.kernel, block.channels
                ),
                output: format!("{}×{length}", block.channels),
                params: c * block.channels * block.kernel + block.channels,
            });
            c = block.channels;
            if block.pool {
                if length < 2 {
                    return Err(format!(
                        "Block {n}: sequences are too short to pool again. Remove pooling \
                         from this block or use fewer blocks."
                    ));
                }
                length /= 2;
                layers.push(LayerSummary {
                    name: "max pool 2".into(),
                    output: format!("{c}×{length}"),
                    params: 0,
                });
            }
        }
        layers.push(LayerSummary {
            name: "max over time".into(),
            output: format!("{c}"),
            params: 0,
        });
        if self.dropout > 0.0 {
            layers.push(LayerSummary {
                name: format!("dropout {}", self.dropout),
                output: format!("{c}"),
                params: 0,
            });
        }
        layers.push(LayerSummary {
            name: "linear".into(),
            output: format!("{classes}"),
            params: c * classes + classes,
        });
        let params = layers.iter().map(|l| l.params).sum();
        Ok(ModelSummary { layers, params })
    }
}
