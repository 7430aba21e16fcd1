//! A Transformer encoder for sequences (Vaswani et al., 2017): a token every `stride`
//! positions, each reading the `kmer` positions from there (one base or character; a k-mer,
//! overlapping when `kmer > stride` as DNABERT's; a patch of a series) by one linear map,
//! positions added (sinusoids or learned), 1–4 encoder layers of multi-head self-attention and
//! a feed-forward network (pre- or post-norm), pooled by a class token or the mean over the
//! real tokens, then a linear head.
//!
//! Sequences of different lengths are zero-padded at the end; a padding mask keeps every real
//! token from attending to padding, and pooling reads real tokens only, so padding never
//! changes a sequence's scores.

use super::{LayerSummary, ModelSummary};
use serde::{Deserialize, Serialize};

/// How a token learns where it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Positions {
    /// Fixed sines and cosines of the token's index (any length).
    #[default]
    Sinusoidal,
    /// A learned vector per token index, up to the data's longest sequence.
    Learned,
}

impl Positions {
    pub const ALL: [Positions; 2] = [Positions::Sinusoidal, Positions::Learned];

    /// A short stable identifier (links, selects).
    pub fn id(self) -> &'static str {
        match self {
            Positions::Sinusoidal => "sinusoidal",
            Positions::Learned => "learned",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.id() == id)
    }

    /// The name shown in the UI.
    pub fn title(self) -> &'static str {
        match self {
            Positions::Sinusoidal => "Sinusoidal",
            Positions::Learned => "Learned",
        }
    }
}

/// How the token vectors become one vector per sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TokenPooling {
    /// A learned class token put before the sequence; its final vector is read.
    #[default]
    ClassToken,
    /// The mean over the real tokens.
    Mean,
}

impl TokenPooling {
    pub const ALL: [TokenPooling; 2] = [TokenPooling::ClassToken, TokenPooling::Mean];

    /// A short stable identifier (links, selects).
    pub fn id(self) -> &'static str {
        match self {
            TokenPooling::ClassToken => "class-token",
            TokenPooling::Mean => "mean",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.id() == id)
    }

    /// The name shown in the UI.
    pub fn title(self) -> &'static str {
        match self {
            TokenPooling::ClassToken => "Class token",
            TokenPooling::Mean => "Mean over real tokens",
        }
    }
}

/// Most encoder layers.
pub const MAX_LAYERS: usize = 4;
/// Most attention heads.
pub const MAX_HEADS: usize = 8;
/// Widest model (token vectors).
pub const MAX_WIDTH: usize = 256;
/// Widest feed-forward layer.
pub const MAX_FEED_FORWARD: usize = 1024;
/// Most positions a token reads, and most between tokens.
pub const MAX_KMER: usize = 16;

/// Configuration of a [`Transformer`](super::nets::transformer::Transformer).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransformerConfig {
    /// Positions each token reads: 1 (a base, a character, a time step) or k (a k-mer, a patch).
    pub kmer: usize,
    /// Positions from one token to the next, 1 to `kmer` (`kmer`: tokens do not overlap).
    pub stride: usize,
    pub positions: Positions,
    /// Encoder layers, 1 to 4.
    pub layers: usize,
    /// Attention heads; they split the width.
    pub heads: usize,
    /// The width of every token vector (d_model).
    pub width: usize,
    /// The feed-forward layer's width.
    pub feed_forward: usize,
    /// Dropout on the attention weights, after each sublayer and before the head, 0 to 0.9.
    pub dropout: f64,
    /// Layer norm before each sublayer (pre-norm, and one after the last layer) rather than
    /// after each residual sum (post-norm, as the original Transformer).
    pub pre_norm: bool,
    pub pooling: TokenPooling,
}

impl Default for TransformerConfig {
    fn default() -> Self {
        Self {
            kmer: 8,
            stride: 1,
            positions: Positions::Sinusoidal,
            layers: 2,
            heads: 4,
            width: 32,
            feed_forward: 64,
            dropout: 0.1,
            pre_norm: true,
            pooling: TokenPooling::ClassToken,
        }
    }
}

impl TransformerConfig {
    /// The tokens of a sequence of `length` positions (the class token not counted): one
    /// starting at every `stride`-th position.
    pub fn tokens(&self, length: usize) -> usize {
        length.div_ceil(self.stride.max(1))
    }

    /// Layer table and parameter count for sequences of `channels` values per position and up
    /// to `max_length` positions.
    pub fn summary(
        &self,
        channels: usize,
        max_length: usize,
        classes: usize,
    ) -> Result<ModelSummary, String> {
        if self.layers == 0 || self.layers > MAX_LAYERS {
            return Err(format!("A Transformer has 1 to {MAX_LAYERS} layers."));
        }
        if self.kmer == 0 || self.kmer > MAX_KMER {
            return Err(format!(
                "Use tokens of 1 to {MAX_KMER} positions (the k-mer)."
            ));
        }
        if self.stride == 0 || self.stride > self.kmer {
            return Err(format!(
                "Use a step between tokens of 1 to {} positions (the k-mer): a longer step \
                 would skip positions.",
                self.kmer
            ));
        }
        if self.width == 0 || self.width > MAX_WIDTH {
            return Err(format!("Use a width of 1 to {MAX_WIDTH}."));
        }
        if self.heads == 0 || self.heads > MAX_HEADS || !self.width.is_multiple_of(self.heads) {
            return Err(format!(
                "Use 1 to {MAX_HEADS} heads that divide the width {} evenly (e.g. {}).",
                self.width,
                (1..=MAX_HEADS.min(self.width))
                    .rev()
                    .find(|h| self.width.is_multiple_of(*h))
                    .unwrap_or(1)
            ));
        }
        if self.positions == Positions::Sinusoidal && !self.width.is_multiple_of(2) {
            return Err("Sinusoidal positions need an even width.".into());
        }
        if self.feed_forward == 0 || self.feed_forward > MAX_FEED_FORWARD {
            return Err(format!(
                "Use a feed-forward width of 1 to {MAX_FEED_FORWARD}."
            ));
        }
        if !(0.0..=0.9).contains(&self.dropout) {
            return Err(format!(
                "Dropout {} is out of range: use 0 to 0.9.",
                self.dropout
            ));
        }
        let (d, f) = (self.width, self.feed_forward);
        let tokens = self.tokens(max_length.max(1));
        let class_token = self.pooling == TokenPooling::ClassToken;
        let shown = tokens + usize::from(class_token);
        let mut layers = vec![LayerSummary {
            name: format!(
                "token embedding: {}-mer{}",
                self.kmer,
                if self.stride == 1 {
                    " at every position".to_string()
                } else {
                    format!(" every {} positions", self.stride)
                }
            ),
            output: format!("{tokens}×{d}"),
            params: self.kmer * channels * d + d,
        }];
        layers.push(LayerSummary {
            name: format!("{} positions", self.positions.title().to_lowercase()),
            output: format!("{tokens}×{d}"),
            params: match self.positions {
                Positions::Sinusoidal => 0,
                Positions::Learned => tokens * d,
            },
        });
        if class_token {
            layers.push(LayerSummary {
                name: "class token".into(),
                output: format!("{shown}×{d}"),
                params: d,
            });
        }
        for layer in 1..=self.layers {
            layers.push(LayerSummary {
                name: format!(
                    "encoder layer {layer}: {} heads, feed-forward {f}{}",
                    self.heads,
                    if self.pre_norm { ", pre-norm" } else { "" }
                ),
                output: format!("{shown}×{d}"),
                // Q, K, V and output maps; two linear layers; two layer norms.
                params: 4 * (d * d + d) + (d * f + f) + (f * d + d) + 4 * d,
            });
        }
        if self.pre_norm {
            layers.push(LayerSummary {
                name: "layer norm".into(),
                output: format!("{shown}×{d}"),
                params: 2 * d,
            });
        }
        layers.push(LayerSummary {
            name: match self.pooling {
                TokenPooling::ClassToken => "class token's vector".into(),
                TokenPooling::Mean => "mean over real tokens".into(),
            },
            output: format!("{d}"),
            params: 0,
        });
        layers.push(LayerSummary {
            name: "linear".into(),
            output: format!("{classes}"),
            params: d * classes + classes,
        });
        let params = layers.iter().map(|l| l.params).sum();
        Ok(ModelSummary { layers, params })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_must_divide_the_width() {
        let config = TransformerConfig {
            width: 30,
            heads: 4,
            ..TransformerConfig::default()
        };
        let message = config.summary(4, 100, 2).unwrap_err();
        assert!(message.contains("divide the width 30"), "{message}");
    }

    #[test]
    fn a_stride_shortens_the_sequence_and_may_not_skip_positions() {
        let config = TransformerConfig {
            kmer: 3,
            stride: 3,
            positions: Positions::Learned,
            ..TransformerConfig::default()
        };
        let summary = config.summary(4, 100, 2).unwrap();
        assert_eq!(summary.layers[0].output, "34×32");
        assert_eq!(summary.layers[0].params, 3 * 4 * 32 + 32);
        assert_eq!(summary.layers[1].params, 34 * 32);
        assert_eq!(summary.layers[2].output, "35×32");
        let skipping = TransformerConfig {
            kmer: 2,
            stride: 3,
            ..config
        };
        let message = skipping.summary(4, 100, 2).unwrap_err();
        assert!(message.contains("skip positions"), "{message}");
    }
}
