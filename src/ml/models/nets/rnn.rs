//! The Burn module of the recurrent network whose plain config is [`crate::ml::models::rnn`].

use crate::ml::models::rnn::*;
use burn::nn::gru::{Gru, GruConfig};
use burn::nn::lstm::{Lstm, LstmConfig};
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::prelude::*;

impl RnnConfig {
    /// Builds the network. Call [`RnnConfig::summary`] first.
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
#[derive(Module, Debug)]
// A model holds at most four cells; boxing them would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum RnnCell {
    Gru(Gru),
    Lstm(Lstm),
}

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
fn rows(values: Vec<i64>, device: &Device) -> Tensor<1, Int> {
    let n = values.len();
    Tensor::from_data(TensorData::new(values, [n]), device)
}

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
