//! The Burn module of the multilayer perceptron whose plain config is [`crate::ml::models::mlp`].

use crate::ml::models::Activation;
use crate::ml::models::mlp::*;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::prelude::*;

impl MlpConfig {
    /// Builds the network. Call [`MlpConfig::summary`] first.
    pub fn init(&self, features: usize, classes: usize, device: &Device) -> Mlp {
        let mut width = features;
        let mut hidden = Vec::new();
        for &out in &self.hidden {
            hidden.push(LinearConfig::new(width, out).init(device));
            width = out;
        }
        Mlp {
            hidden,
            activation: self.activation,
            dropout: DropoutConfig::new(self.dropout).init(),
            head: LinearConfig::new(width, classes).init(device),
        }
    }
}

/// A multilayer perceptron built by [`MlpConfig::init`].
#[derive(Module, Debug)]
pub struct Mlp {
    hidden: Vec<Linear>,
    #[module(skip)]
    activation: Activation,
    dropout: Dropout,
    head: Linear,
}

impl Mlp {
    /// Class scores for a batch of rows.
    ///
    /// # Shapes
    /// - input: `[batch, features]`
    /// - output: `[batch, classes]`
    pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        self.head(self.embed(input))
    }

    /// The last hidden layer's output (the input itself without hidden layers).
    ///
    /// # Shapes
    /// - input: `[batch, features]`
    /// - output: `[batch, width]`
    pub fn embed(&self, input: Tensor<2>) -> Tensor<2> {
        self.layer_outputs(input.clone()).pop().unwrap_or(input)
    }

    /// Each hidden layer's output.
    ///
    /// # Shapes
    /// - input: `[batch, features]`
    /// - output: one `[batch, width]` per hidden layer
    pub fn layer_outputs(&self, input: Tensor<2>) -> Vec<Tensor<2>> {
        let mut x = input;
        let mut outputs = Vec::with_capacity(self.hidden.len());
        for layer in &self.hidden {
            x = self
                .dropout
                .forward(self.activation.forward(layer.forward(x)));
            outputs.push(x.clone());
        }
        outputs
    }

    /// Class scores from [`Mlp::embed`]'s output.
    ///
    /// # Shapes
    /// - embedding: `[batch, width]`
    /// - output: `[batch, classes]`
    pub fn head(&self, embedding: Tensor<2>) -> Tensor<2> {
        self.head.forward(embedding)
    }
}
