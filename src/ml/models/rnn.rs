//! Recurrent networks for sequences: GRU or LSTM cells (Burn's), one or two layers, optionally
//! bidirectional, pooled by the last state or the mean over real positions, then a linear head.
//!
//! Sequences of different lengths are zero-padded at the end. The forward direction never
//! sees the padding before a real step; the backward direction reads each sequence reversed
//! within its own length, so padding never leaks into either.

use super::{LayerSummary, ModelSummary};
#[cfg(feature = "engine")]
use burn::nn::gru::{Gru, GruConfig};
#[cfg(feature = "engine")]
use burn::nn::lstm::{Lstm, LstmConfig};
#[cfg(feature = "engine")]
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
#[cfg(feature = "engine")]
use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// The recurrent cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum CellKind {
    /// Gated recurrent unit (3 gates).
    #[default]
    Gru,
    /// Long short-term memory (4 gates).
    Lstm,
}

impl CellKind {
    pub const ALL: [CellKind; 2] = [CellKind::Gru, CellKind::Lstm];

    /// A short stable identifier (links, selects).
    pub fn id(self) -> &'static str {
        match self {
            CellKind::Gru => "gru",
            CellKind::Lstm => "lstm",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.id() == id)
    }
}

impl CellKind {
    /// Gates per cell.
    fn gates(self) -> usize {
        match self {
            CellKind::Gru => 3,
            CellKind::Lstm => 4,
        }
    }

    /// The name shown in the UI.
    pub fn title(self) -> &'static str {
        match self {
            CellKind::Gru => "GRU",
            CellKind::Lstm => "LSTM",
        }
    }
}

/// How the per-step outputs become one vector per sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Pooling {
    /// The state after the last real step (both ends when bidirectional).
    #[default]
    Last,
    /// The mean over the real steps.
    Mean,
}

impl Pooling {
    pub const ALL: [Pooling; 2] = [Pooling::Last, Pooling::Mean];

    /// A short stable identifier (links, selects).
    pub fn id(self) -> &'static str {
        match self {
            Pooling::Last => "last",
            Pooling::Mean => "mean",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.id() == id)
    }
}

/// Most hidden units.
pub const MAX_HIDDEN: usize = 256;
/// Most stacked layers.
pub const MAX_LAYERS: usize = 2;

/// Configuration of an [`Rnn`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RnnConfig {
    pub cell: CellKind,
    /// Stacked layers, 1 or 2.
    pub layers: usize,
    /// Hidden units per direction.
    pub hidden: usize,
    /// A second cell per layer reads the sequence backwards.
    pub bidirectional: bool,
    pub pooling: Pooling,
    /// Dropout between layers and before the head, 0 to 0.9.
    pub dropout: f64,
}

impl Default for RnnConfig {
    fn default() -> Self {
        Self {
            cell: CellKind::Gru,
            layers: 1,
            hidden: 32,
            bidirectional: false,
            pooling: Pooling::Last,
            dropout: 0.0,
        }
    }
}

impl RnnConfig {
    fn directions(&self) -> usize {
        if self.bidirectional { 2 } else { 1 }
    }

    /// Layer table and parameter count for `channels` values per position.
    pub fn summary(&self, channels: usize, classes: usize) -> Result<ModelSummary, String> {
        if self.layers == 0 || self.layers > MAX_LAYERS {
            return Err(format!("An RNN has 1 to {MAX_LAYERS} layers."));
        }
        if self.hidden == 0 || self.hidden > MAX_HIDDEN {
            return Err(format!("Use 1 to {MAX_HIDDEN} hidden units."));
        }
        if !(0.0..=0.9).contains(&self.dropout) {
            return Err(format!(
                "Dropout {} is out of range: use 0 to 0.9.",
                self.dropout
            ));
        }
        let h = self.hidden;
        let out = h * self.directions();
        let mut input = channels;
        let mut layers = Vec::new();
        for layer in 1..=self.layers {
            let per_direction = self.cell.gates() * (input * h + h + h * h + h);
            layers.push(LayerSummary {
                name: format!(
                    "{} layer {layer}{}",
                    self.cell.title(),
                    if self.bidirectional {
                        ", both directions"
                    } else {
                        ""
                    }
                ),
                output: format!("time×{out}"),
                params: per_direction * self.directions(),
            });
            input = out;
        }
        layers.push(LayerSummary {
            name: match self.pooling {
                Pooling::Last => "last state".into(),
                Pooling::Mean => "mean over time".into(),
            },
            output: format!("{out}"),
            params: 0,
        });
        layers.push(LayerSummary {
            name: "linear".into(),
            output: format!("{classes}"),
            params: out * classes + classes,
        });
        let params = layers.iter().map(|l| l.params).sum();
        Ok(ModelSummary { layers, params })
    }

    /// Builds the network. Call [`RnnConfig::summary`] first.
    #[cfg(feature = "engine")]
    pub fn init(&self, channels: usize, classes: usize, device: &Device) -> Rnn {
        let h = self.hidden;
        let cell = |input: usize| match self.cell {
            CellKind::Gru => RnnCell::Gru(GruConfig::new(input, h, true).init(device)),
            CellKind::Lstm => RnnCell::Lstm(LstmConfig::new(input, h, true).init(device)),
        };
        let (mut forward, mut backward) = (Vec::new(), Vec::new());
        let mut input = channels;
        for _ in 0..self.layers {
            forward.push(cell(input));
            if self.bidirectional {
                backward.push(cell(input));
            }
            input = h * self.directions();
        }
        Rnn {
            forward,
            backward,
            pooling: self.pooling,
            hidden: h,
            dropout: DropoutConfig::new(self.dropout).init(),
            head: LinearConfig::new(input, classes).init(device),
        }
    }
}

/// One recurrent cell of either kind.
#[cfg(feature = "engine")]
#[derive(Module, Debug)]
// A model holds at most four cells; boxing them would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum RnnCell {
    Gru(Gru),
    Lstm(Lstm),
}

#[cfg(feature = "engine")]
impl RnnCell {
    /// # Shapes
    /// - input: `[batch, time, input]`
    /// - output: `[batch, time, hidden]`
    fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        match self {
            RnnCell::Gru(gru) => gru.forward(x, None),
            RnnCell::Lstm(lstm) => lstm.forward(x, None).0,
        }
    }
}

/// A recurrent sequence classifier built by [`RnnConfig::init`].
#[cfg(feature = "engine")]
#[derive(Module, Debug)]
pub struct Rnn {
    forward: Vec<RnnCell>,
    /// One per layer when bidirectional, else empty.
    backward: Vec<RnnCell>,
    #[module(skip)]
    pooling: Pooling,
    #[module(skip)]
    hidden: usize,
    dropout: Dropout,
    head: Linear,
}

/// Row indices into a `[batch × time]` flattening.
#[cfg(feature = "engine")]
fn rows(values: Vec<i64>, device: &Device) -> Tensor<1, Int> {
    let n = values.len();
    Tensor::from_data(TensorData::new(values, [n]), device)
}

#[cfg(feature = "engine")]
impl Rnn {
    /// Every step's output (both directions concatenated when bidirectional).
    ///
    /// # Shapes
    /// - input: `[batch, time, channels]`, sequence `i` real for its first `lengths[i]` steps
    /// - output: `[batch, time, hidden × directions]`
    pub fn sequence_outputs(&self, input: Tensor<3>, lengths: &[usize]) -> Tensor<3> {
        self.layer_outputs(input.clone(), lengths)
            .pop()
            .unwrap_or(input)
    }

    /// Every layer's outputs at every step (both directions concatenated when
    /// bidirectional): the hidden state over time.
    ///
    /// # Shapes
    /// - input: `[batch, time, channels]`, sequence `i` real for its first `lengths[i]` steps
    /// - output: one `[batch, time, hidden × directions]` per layer
    pub fn layer_outputs(&self, input: Tensor<3>, lengths: &[usize]) -> Vec<Tensor<3>> {
        let device = input.device();
        let [batch, time, _] = input.dims();
        // Reverses each sequence within its own length (padding stays in place).
        let reversal: Vec<i64> = (0..batch)
            .flat_map(|b| {
                let length = lengths[b].clamp(1, time);
                (0..time).map(move |t| {
                    let source = if t < length { length - 1 - t } else { t };
                    (b * time + source) as i64
                })
            })
            .collect();
        let reversal = rows(reversal, &device);
        let reverse = |x: Tensor<3>| {
            let [b, t, d] = x.dims();
            x.reshape([b * t, d])
                .select(0, reversal.clone())
                .reshape([b, t, d])
        };
        let mut x = input;
        let mut outputs = Vec::with_capacity(self.forward.len());
        for (layer, cell) in self.forward.iter().enumerate() {
            if layer > 0 {
                x = self.dropout.forward(x);
            }
            let ahead = cell.forward(x.clone());
            x = match self.backward.get(layer) {
                Some(back) => Tensor::cat(vec![ahead, reverse(back.forward(reverse(x)))], 2),
                None => ahead,
            };
            outputs.push(x.clone());
        }
        outputs
    }

    /// Class scores for a batch of zero-padded sequences.
    ///
    /// # Shapes
    /// - input: `[batch, time, channels]`, sequence `i` real for its first `lengths[i]` steps
    /// - output: `[batch, classes]`
    pub fn forward(&self, input: Tensor<3>, lengths: &[usize]) -> Tensor<2> {
        self.head(self.embed(input, lengths))
    }

    /// Class scores from [`Rnn::embed`]'s output.
    ///
    /// # Shapes
    /// - embedding: `[batch, hidden × directions]`
    /// - output: `[batch, classes]`
    pub fn head(&self, embedding: Tensor<2>) -> Tensor<2> {
        self.head.forward(self.dropout.forward(embedding))
    }

    /// The pooled state (last or mean over the real positions): what the head reads.
    ///
    /// # Shapes
    /// - input: `[batch, time, channels]`, sequence `i` real for its first `lengths[i]` steps
    /// - output: `[batch, hidden × directions]`
    pub fn embed(&self, input: Tensor<3>, lengths: &[usize]) -> Tensor<2> {
        let device = input.device();
        let [batch, time, _] = input.dims();
        let x = self.sequence_outputs(input, lengths);
        let [_, _, width] = x.dims();
        match self.pooling {
            Pooling::Last => {
                let flat = x.reshape([batch * time, width]);
                let last = rows(
                    (0..batch)
                        .map(|b| (b * time + lengths[b].clamp(1, time) - 1) as i64)
                        .collect(),
                    &device,
                );
                let ahead = flat.clone().select(0, last);
                if self.backward.is_empty() {
                    ahead
                } else {
                    let first = rows((0..batch).map(|b| (b * time) as i64).collect(), &device);
                    let h = self.hidden;
                    Tensor::cat(
                        vec![
                            ahead.slice([0..batch, 0..h]),
                            flat.select(0, first).slice([0..batch, h..2 * h]),
                        ],
                        1,
                    )
                }
            }
            Pooling::Mean => {
                let mut mask = vec![0.0f32; batch * time];
                for (b, &length) in lengths.iter().enumerate() {
                    for t in 0..length.clamp(1, time) {
                        mask[b * time + t] = 1.0 / length.clamp(1, time) as f32;
                    }
                }
                let mask = Tensor::<3>::from_data(TensorData::new(mask, [batch, time, 1]), &device);
                (x * mask).sum_dim(1).reshape([batch, width])
            }
        }
    }
}
