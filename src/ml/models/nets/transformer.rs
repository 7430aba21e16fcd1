//! The Burn module of the Transformer encoder whose plain config is
//! [`crate::ml::models::transformer`]. Attention is Burn's `MultiHeadAttention`, which returns
//! its weights: the explain panel draws them.

use crate::ml::models::transformer::*;
use burn::module::Param;
use burn::nn::attention::{MhaInput, MultiHeadAttention, MultiHeadAttentionConfig};
use burn::nn::{Dropout, DropoutConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::Distribution;

impl TransformerConfig {
    /// Builds the network for sequences of `channels` values per position, up to `max_length`
    /// positions. Call [`TransformerConfig::summary`] first.
    pub fn init(
        &self,
        channels: usize,
        max_length: usize,
        classes: usize,
        device: &Device,
    ) -> Transformer {
        let (d, f) = (self.width, self.feed_forward);
        let small = |shape: [usize; 2]| {
            Param::from_tensor(Tensor::random(
                shape,
                Distribution::Normal(0.0, 0.02),
                device,
            ))
        };
        Transformer {
            embed: LinearConfig::new(self.kmer * channels, d).init(device),
            positions: (self.positions == Positions::Learned)
                .then(|| small([self.tokens(max_length.max(1)), d])),
            class_token: (self.pooling == TokenPooling::ClassToken).then(|| small([1, d])),
            layers: (0..self.layers)
                .map(|_| EncoderLayer {
                    attention: MultiHeadAttentionConfig::new(d, self.heads)
                        .with_dropout(self.dropout)
                        .init(device),
                    attention_norm: LayerNormConfig::new(d).init(device),
                    expand: LinearConfig::new(d, f).init(device),
                    contract: LinearConfig::new(f, d).init(device),
                    feed_forward_norm: LayerNormConfig::new(d).init(device),
                    dropout: DropoutConfig::new(self.dropout).init(),
                    pre_norm: self.pre_norm,
                })
                .collect(),
            norm: self.pre_norm.then(|| LayerNormConfig::new(d).init(device)),
            dropout: DropoutConfig::new(self.dropout).init(),
            head: LinearConfig::new(d, classes).init(device),
            kmer: self.kmer,
            stride: self.stride,
            width: d,
        }
    }
}

/// One encoder layer: self-attention, then a feed-forward network (linear, GELU, linear), each
/// with a residual connection and a layer norm.
#[derive(Module, Debug)]
pub struct EncoderLayer {
    attention: MultiHeadAttention,
    attention_norm: LayerNorm,
    expand: Linear,
    contract: Linear,
    feed_forward_norm: LayerNorm,
    dropout: Dropout,
    #[module(skip)]
    pre_norm: bool,
}

impl EncoderLayer {
    /// The layer's output and its attention weights.
    ///
    /// # Shapes
    /// - x: `[batch, tokens, width]`; padding: `[batch, tokens]`, true on padding tokens
    /// - output: `[batch, tokens, width]` and `[batch, heads, tokens, tokens]` (rows: queries)
    fn forward(&self, x: Tensor<3>, padding: Tensor<2, Bool>) -> (Tensor<3>, Tensor<4>) {
        let attend = |x: Tensor<3>| {
            self.attention
                .forward(MhaInput::self_attn(x).mask_pad(padding.clone()))
        };
        let feed_forward = |x: Tensor<3>| {
            let hidden = burn::tensor::activation::gelu(self.expand.forward(x));
            self.contract.forward(self.dropout.forward(hidden))
        };
        if self.pre_norm {
            let attended = attend(self.attention_norm.forward(x.clone()));
            let x = x + self.dropout.forward(attended.context);
            let out = feed_forward(self.feed_forward_norm.forward(x.clone()));
            (x + self.dropout.forward(out), attended.weights)
        } else {
            let attended = attend(x.clone());
            let x = self
                .attention_norm
                .forward(x + self.dropout.forward(attended.context));
            let out = feed_forward(x.clone());
            (
                self.feed_forward_norm
                    .forward(x + self.dropout.forward(out)),
                attended.weights,
            )
        }
    }
}

/// A Transformer sequence classifier built by [`TransformerConfig::init`].
#[derive(Module, Debug)]
pub struct Transformer {
    embed: Linear,
    /// Learned positions `[tokens, width]`, else sinusoids.
    positions: Option<Param<Tensor<2>>>,
    /// `[1, width]`, when pooling by a class token.
    class_token: Option<Param<Tensor<2>>>,
    layers: Vec<EncoderLayer>,
    /// After the last layer, when pre-norm.
    norm: Option<LayerNorm>,
    dropout: Dropout,
    head: Linear,
    #[module(skip)]
    kmer: usize,
    #[module(skip)]
    stride: usize,
    #[module(skip)]
    width: usize,
}

/// The encoder's input, ready for the layers.
struct Tokens {
    /// `[batch, tokens, width]`, the class token first when there is one.
    x: Tensor<3>,
    /// `[batch, tokens]`, true on padding tokens.
    padding: Tensor<2, Bool>,
    /// Each sequence's real tokens (the class token counted).
    real: Vec<usize>,
}

/// `pe[n, 2i] = sin(n / 10000^(2i/d))`, `pe[n, 2i + 1] = cos(..)`.
///
/// # Shapes
/// - output: `[tokens, width]`
pub fn sinusoids(tokens: usize, width: usize, device: &Device) -> Tensor<2> {
    let mut values = vec![0.0f32; tokens * width];
    for n in 0..tokens {
        for i in 0..width / 2 {
            let angle = n as f64 / 10_000f64.powf(2.0 * i as f64 / width as f64);
            values[n * width + 2 * i] = angle.sin() as f32;
            values[n * width + 2 * i + 1] = angle.cos() as f32;
        }
    }
    Tensor::from_data(TensorData::new(values, [tokens, width]), device)
}

impl Transformer {
    /// Positions each token reads, and positions from one token to the next.
    pub fn kmer_and_stride(&self) -> (usize, usize) {
        (self.kmer, self.stride)
    }

    /// Whether a class token leads every sequence.
    pub fn has_class_token(&self) -> bool {
        self.class_token.is_some()
    }

    /// # Shapes
    /// - input: `[batch, time, channels]`, sequence `i` real for its first `lengths[i]` steps
    fn tokens(&self, input: Tensor<3>, lengths: &[usize]) -> Tokens {
        let device = input.device();
        let [batch, time, channels] = input.dims();
        let (kmer, stride) = (self.kmer.max(1), self.stride.max(1));
        let tokens = time.div_ceil(stride).max(1);
        // Zero after each sequence's end, so that a k-mer reaching past it reads what it would
        // read alone; and zeros past the batch's end for the last k-mers.
        let mut real = vec![0.0f32; batch * time];
        for (b, &length) in lengths.iter().enumerate().take(batch) {
            real[b * time..b * time + length.min(time)].fill(1.0);
        }
        let real = Tensor::<3>::from_data(TensorData::new(real, [batch, time, 1]), &device);
        let reach = (tokens - 1) * stride + kmer;
        let padded = Tensor::cat(
            vec![
                input * real,
                Tensor::zeros([batch, reach - time.min(reach) + 1, channels], &device),
            ],
            1,
        );
        // Token t reads positions t·stride .. t·stride + kmer.
        let index: Vec<i64> = (0..tokens)
            .flat_map(|t| (0..kmer).map(move |j| (t * stride + j) as i64))
            .collect();
        let index = Tensor::<1, Int>::from_data(TensorData::new(index, [tokens * kmer]), &device);
        // Scaled by √width as in Vaswani et al., so that the sinusoids (±1) do not drown the
        // content of a one-hot input's small embedding.
        let mut x = self
            .embed
            .forward(
                padded
                    .select(1, index)
                    .reshape([batch, tokens, kmer * channels]),
            )
            .mul_scalar((self.width as f32).sqrt());
        let d = self.width;
        let positions = match &self.positions {
            Some(table) => {
                let [rows, _] = table.dims();
                let used = table.val().slice([0..rows.min(tokens), 0..d]);
                // Longer than any training sequence: only padding lies beyond the table.
                if tokens > rows {
                    Tensor::cat(vec![used, Tensor::zeros([tokens - rows, d], &device)], 0)
                } else {
                    used
                }
            }
            None => sinusoids(tokens, d, &device),
        };
        x = x + positions.unsqueeze::<3>();
        let lead = usize::from(self.class_token.is_some());
        if let Some(class_token) = &self.class_token {
            let class_token = class_token.val().reshape([1, 1, d]).repeat_dim(0, batch);
            x = Tensor::cat(vec![class_token, x], 1);
        }
        let all = tokens + lead;
        let mut padding = vec![false; batch * all];
        let mut real = Vec::with_capacity(batch);
        for (b, &length) in lengths.iter().enumerate().take(batch) {
            let count = length.clamp(1, time).div_ceil(stride);
            for t in count..tokens {
                padding[b * all + lead + t] = true;
            }
            real.push(count + lead);
        }
        Tokens {
            x: self.dropout.forward(x),
            padding: Tensor::from_data(TensorData::new(padding, [batch, all]), &device),
            real,
        }
    }

    /// Every layer's token vectors (the last after the final norm) and attention weights.
    ///
    /// # Shapes
    /// - input: `[batch, time, channels]`, sequence `i` real for its first `lengths[i]` steps
    /// - output: per layer `[batch, tokens, width]` and `[batch, heads, tokens, tokens]`, the
    ///   class token first when there is one; the real tokens of sequence `i` as returned
    fn encode(
        &self,
        input: Tensor<3>,
        lengths: &[usize],
    ) -> (Vec<Tensor<3>>, Vec<Tensor<4>>, Vec<usize>) {
        let Tokens {
            mut x,
            padding,
            real,
        } = self.tokens(input, lengths);
        let (mut outputs, mut weights) = (Vec::new(), Vec::new());
        for (i, layer) in self.layers.iter().enumerate() {
            let (next, w) = layer.forward(x, padding.clone());
            x = match (&self.norm, i + 1 == self.layers.len()) {
                (Some(norm), true) => norm.forward(next),
                _ => next,
            };
            outputs.push(x.clone());
            weights.push(w);
        }
        (outputs, weights, real)
    }

    /// Each layer's token vectors.
    ///
    /// # Shapes
    /// - input: `[batch, time, channels]`, sequence `i` real for its first `lengths[i]` steps
    /// - output: one `[batch, tokens, width]` per layer (class token first, if any)
    pub fn layer_outputs(&self, input: Tensor<3>, lengths: &[usize]) -> Vec<Tensor<3>> {
        self.encode(input, lengths).0
    }

    /// Each layer's attention weights: each row (a query token) sums to one over the real
    /// tokens and is 0 on padding.
    ///
    /// # Shapes
    /// - input: `[batch, time, channels]`, sequence `i` real for its first `lengths[i]` steps
    /// - output: one `[batch, heads, tokens, tokens]` per layer (class token first, if any)
    pub fn attention(&self, input: Tensor<3>, lengths: &[usize]) -> Vec<Tensor<4>> {
        self.encode(input, lengths).1
    }

    /// The class token's final vector, or the mean over the real tokens: what the head reads.
    ///
    /// # Shapes
    /// - input: `[batch, time, channels]`, sequence `i` real for its first `lengths[i]` steps
    /// - output: `[batch, width]`
    pub fn embed(&self, input: Tensor<3>, lengths: &[usize]) -> Tensor<2> {
        let (mut outputs, _, real) = self.encode(input, lengths);
        let x = outputs.pop().expect("at least one layer");
        let [batch, tokens, width] = x.dims();
        if self.class_token.is_some() {
            return x.slice([0..batch, 0..1, 0..width]).reshape([batch, width]);
        }
        let mut mask = vec![0.0f32; batch * tokens];
        for (b, &count) in real.iter().enumerate() {
            for t in 0..count {
                mask[b * tokens + t] = 1.0 / count as f32;
            }
        }
        let mask = Tensor::<3>::from_data(TensorData::new(mask, [batch, tokens, 1]), &x.device());
        (x * mask).sum_dim(1).reshape([batch, width])
    }

    /// Class scores from [`Transformer::embed`]'s output.
    ///
    /// # Shapes
    /// - embedding: `[batch, width]`
    /// - output: `[batch, classes]`
    pub fn head(&self, embedding: Tensor<2>) -> Tensor<2> {
        self.head.forward(self.dropout.forward(embedding))
    }
}
