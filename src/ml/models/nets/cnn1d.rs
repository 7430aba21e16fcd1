//! The Burn module of the 1-D convolutional network whose plain config is [`crate::ml::models::cnn1d`].

use crate::ml::models::Activation;
use crate::ml::models::cnn1d::*;
use burn::nn::conv::{Conv1d, Conv1dConfig};
use burn::nn::pool::{MaxPool1d, MaxPool1dConfig};
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig1d};
use burn::prelude::*;

impl Cnn1dConfig {
    /// Builds the network. Call [`Cnn1dConfig::summary`] first.
    pub fn init(&self, channels: usize, classes: usize, device: &Device) -> Cnn1d {
        let mut c = channels;
        let (mut convs, mut pools) = (Vec::new(), Vec::new());
        for block in &self.blocks {
            convs.push(
                Conv1dConfig::new(c, block.channels, block.kernel)
                    .with_padding(PaddingConfig1d::Same)
                    .init(device),
            );
            pools.push(block.pool.then(|| MaxPool1dConfig::new(2).init()));
            c = block.channels;
        }
        Cnn1d {
            convs,
            pools,
            activation: self.activation,
            dropout: DropoutConfig::new(self.dropout).init(),
            head: LinearConfig::new(c, classes).init(device),
        }
    }
}

/// A 1-D convolutional sequence classifier built by [`Cnn1dConfig::init`].
#[derive(Module, Debug)]
pub struct Cnn1d {
    convs: Vec<Conv1d>,
    pools: Vec<Option<MaxPool1d>>,
    #[module(skip)]
    activation: Activation,
    dropout: Dropout,
    head: Linear,
}

impl Cnn1d {
    /// Class scores for a batch of zero-padded sequences.
    ///
    /// # Shapes
    /// - input: `[batch, time, channels]`, sequence `i` real for its first `lengths[i]` steps
    /// - output: `[batch, classes]`
    pub fn forward(&self, input: Tensor<3>, lengths: &[usize]) -> Tensor<2> {
        self.head(self.embed(input, lengths))
    }

    /// Class scores from [`Cnn1d::embed`]'s output.
    ///
    /// # Shapes
    /// - embedding: `[batch, channels]`
    /// - output: `[batch, classes]`
    pub fn head(&self, embedding: Tensor<2>) -> Tensor<2> {
        self.head.forward(self.dropout.forward(embedding))
    }

    /// Each channel's maximum over the real positions: what the head reads.
    ///
    /// # Shapes
    /// - input: `[batch, time, channels]`, sequence `i` real for its first `lengths[i]` steps
    /// - output: `[batch, channels']`
    pub fn embed(&self, input: Tensor<3>, lengths: &[usize]) -> Tensor<2> {
        let x = input.swap_dims(1, 2);
        let (x, lengths) = self
            .block_outputs(x.clone(), lengths, 0)
            .pop()
            .unwrap_or((x, lengths.to_vec()));
        self.pool(x, &lengths)
    }

    /// The number of conv blocks.
    pub fn blocks(&self) -> usize {
        self.convs.len()
    }

    /// The first conv layer's kernels.
    ///
    /// # Shapes
    /// - output: `[filters, channels, kernel]`
    pub fn first_filters(&self) -> Option<Tensor<3>> {
        self.convs.first().map(|conv| conv.weight.val())
    }

    /// The output of every conv block from block `from` on, given block `from`'s input, each
    /// with the sequences' real lengths there (pooling halves them).
    ///
    /// # Shapes
    /// - input: `[batch, channels, time]`, sequence `i` real for its first `lengths[i]` steps
    /// - output: one `[batch, channels', time']` per block from `from`
    pub fn block_outputs(
        &self,
        input: Tensor<3>,
        lengths: &[usize],
        from: usize,
    ) -> Vec<(Tensor<3>, Vec<usize>)> {
        let device = input.device();
        let mut lengths = lengths.to_vec();
        let mut x = input;
        // 1 on real positions, 0 on padding: `[batch, 1, time]`.
        let real = |lengths: &[usize], time: usize| {
            let mask: Vec<f32> = lengths
                .iter()
                .flat_map(|&length| (0..time).map(move |t| if t < length { 1.0 } else { 0.0 }))
                .collect();
            Tensor::<3>::from_data(TensorData::new(mask, [lengths.len(), 1, time]), &device)
        };
        let mut outputs = Vec::with_capacity(self.convs.len());
        for (conv, pool) in self.convs.iter().zip(&self.pools).skip(from) {
            x = self.activation.forward(conv.forward(x));
            // Zero the padding again, so the next convolution sees each sequence as if alone
            // (its 'same' padding is zeros too).
            let [_, _, time] = x.dims();
            x = x * real(&lengths, time);
            if let Some(pool) = pool {
                x = pool.forward(x);
                for length in &mut lengths {
                    *length = (*length / 2).max(1);
                }
                let [_, _, time] = x.dims();
                x = x * real(&lengths, time);
            }
            outputs.push((x.clone(), lengths.clone()));
        }
        outputs
    }

    /// Each channel's maximum over the real positions of a block's output.
    ///
    /// # Shapes
    /// - input: `[batch, channels, time]`
    /// - output: `[batch, channels]`
    pub fn pool(&self, x: Tensor<3>, lengths: &[usize]) -> Tensor<2> {
        let device = x.device();
        let [batch, channels, time] = x.dims();
        // Padded positions must not win the max: push them far down.
        let mut penalty = vec![0.0f32; batch * time];
        for (row, &length) in lengths.iter().enumerate() {
            for t in length.min(time)..time {
                penalty[row * time + t] = -1e9;
            }
        }
        let penalty = Tensor::<3>::from_data(TensorData::new(penalty, [batch, 1, time]), &device);
        (x + penalty).max_dim(2).reshape([batch, channels])
    }
}
