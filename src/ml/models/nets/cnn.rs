//! The Burn module of the convolutional network whose plain config is [`crate::ml::models::cnn`].

use crate::ml::models::Activation;
use crate::ml::models::cnn::*;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d,
};
use burn::prelude::*;

impl CnnConfig {
    /// Builds the network for `[channels, height, width]` inputs. Call [`CnnConfig::summary`]
    /// first: this panics on a config it rejects.
    pub fn init(&self, input: [usize; 3], classes: usize, device: &Device) -> Cnn {
        let [mut channels, mut height, mut width] = input;
        let padding = match self.padding {
            Padding::Valid => PaddingConfig2d::Valid,
            Padding::Same => PaddingConfig2d::Same,
        };
        let (mut convs, mut norms, mut pools) = (Vec::new(), Vec::new(), Vec::new());
        for block in &self.blocks {
            convs.push(
                Conv2dConfig::new([channels, block.channels], [block.kernel, block.kernel])
                    .with_padding(padding.clone())
                    .init(device),
            );
            if self.batch_norm {
                norms.push(BatchNormConfig::new(block.channels).init(device));
            }
            if self.padding == Padding::Valid {
                height -= block.kernel - 1;
                width -= block.kernel - 1;
            }
            pools.push(block.pool.then(|| MaxPool2dConfig::new([2, 2]).init()));
            if block.pool {
                height /= 2;
                width /= 2;
            }
            channels = block.channels;
        }
        Cnn {
            convs,
            norms,
            pools,
            activation: self.activation,
            dropout: DropoutConfig::new(self.dropout).init(),
            head: LinearConfig::new(channels * height * width, classes).init(device),
        }
    }
}

/// A convolutional classifier built by [`CnnConfig::init`].
#[derive(Module, Debug)]
pub struct Cnn {
    convs: Vec<Conv2d>,
    /// One per conv when batch norm is on, else empty.
    norms: Vec<BatchNorm>,
    pools: Vec<Option<MaxPool2d>>,
    #[module(skip)]
    activation: Activation,
    dropout: Dropout,
    head: Linear,
}

impl Cnn {
    /// Class scores for a batch of images.
    ///
    /// # Shapes
    /// - input: `[batch, channels, height, width]`
    /// - output: `[batch, classes]`
    pub fn forward(&self, input: Tensor<4>) -> Tensor<2> {
        self.head(self.embed(input))
    }

    /// The flattened output of the last conv block: what the head reads.
    ///
    /// # Shapes
    /// - input: `[batch, channels, height, width]`
    /// - output: `[batch, channels' × height' × width']`
    pub fn embed(&self, input: Tensor<4>) -> Tensor<2> {
        self.features(input).flatten(1, 3)
    }

    /// Class scores from [`Cnn::embed`]'s output.
    ///
    /// # Shapes
    /// - embedding: `[batch, width]`
    /// - output: `[batch, classes]`
    pub fn head(&self, embedding: Tensor<2>) -> Tensor<2> {
        self.head.forward(self.dropout.forward(embedding))
    }

    /// The output of the last conv block.
    ///
    /// # Shapes
    /// - input: `[batch, channels, height, width]`
    /// - output: `[batch, channels', height', width']`
    pub fn features(&self, input: Tensor<4>) -> Tensor<4> {
        self.block_outputs(input.clone(), 0).pop().unwrap_or(input)
    }

    /// The number of conv blocks.
    pub fn blocks(&self) -> usize {
        self.convs.len()
    }

    /// The first conv layer's kernels.
    ///
    /// # Shapes
    /// - output: `[filters, channels, kernel, kernel]`
    pub fn first_filters(&self) -> Option<Tensor<4>> {
        self.convs.first().map(|conv| conv.weight.val())
    }

    /// The output of every conv block from block `from` on, given the input of block `from`
    /// (the images for 0, else block `from - 1`'s output). Grad-CAM starts in the middle.
    ///
    /// # Shapes
    /// - input: `[batch, channels, height, width]` of block `from`
    /// - output: one `[batch, channels', height', width']` per block from `from`
    pub fn block_outputs(&self, input: Tensor<4>, from: usize) -> Vec<Tensor<4>> {
        let mut x = input;
        let mut outputs = Vec::with_capacity(self.convs.len());
        for (i, conv) in self.convs.iter().enumerate().skip(from) {
            x = conv.forward(x);
            if let Some(norm) = self.norms.get(i) {
                x = norm.forward(x);
            }
            x = self.activation.forward(x);
            if let Some(pool) = &self.pools[i] {
                x = pool.forward(x);
            }
            outputs.push(x.clone());
        }
        outputs
    }
}
