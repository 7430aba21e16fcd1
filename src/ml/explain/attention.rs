//! Attention maps of a Transformer for one sequence, and attention rollout across layers
//! (Abnar & Zuidema, 2020): how much each position flows into what the head reads.

/// Every layer's and head's attention over one sequence's real tokens.
#[derive(Clone, Debug, PartialEq)]
pub struct AttentionMaps {
    pub layers: usize,
    pub heads: usize,
    /// Real tokens, the class token counted (it comes first).
    pub tokens: usize,
    pub class_token: bool,
    /// Positions each token reads (its k-mer), and from one token to the next.
    pub kmer: usize,
    pub stride: usize,
    /// `[layers, heads, tokens, tokens]`, rows the queries, each summing to one.
    pub weights: Vec<f32>,
}

impl AttentionMaps {
    /// Layer `layer`'s head `head` as `[tokens, tokens]`.
    pub fn head(&self, layer: usize, head: usize) -> &[f32] {
        let size = self.tokens * self.tokens;
        let at = (layer * self.heads + head) * size;
        &self.weights[at..at + size]
    }

    /// The rollout `Π_l (½ mean_h A_l + ½ I)`, rows renormalised: `[tokens, tokens]`, row `q`
    /// how much of token `q`'s final vector comes from each input token through attention
    /// and the residual connections.
    pub fn rollout(&self) -> Vec<f32> {
        let n = self.tokens;
        let mut joint: Vec<f32> = identity(n);
        for layer in 0..self.layers {
            let mut mixed = vec![0.0f32; n * n];
            for head in 0..self.heads {
                for (m, w) in mixed.iter_mut().zip(self.head(layer, head)) {
                    *m += 0.5 * w / self.heads as f32;
                }
            }
            for i in 0..n {
                mixed[i * n + i] += 0.5;
                let sum: f32 = mixed[i * n..(i + 1) * n].iter().sum();
                mixed[i * n..(i + 1) * n]
                    .iter_mut()
                    .for_each(|v| *v /= sum.max(1e-12));
            }
            joint = product(&mixed, &joint, n);
        }
        joint
    }

    /// The rollout read where the head reads (the class token's row, else the mean of the real
    /// tokens' rows), over the sequence tokens, each spread evenly over the positions it reads
    /// (of `length`).
    pub fn relevance(&self, length: usize) -> Vec<f32> {
        let n = self.tokens;
        let joint = self.rollout();
        let lead = usize::from(self.class_token);
        let read: Vec<f32> = if self.class_token {
            joint[..n].to_vec()
        } else {
            (0..n)
                .map(|k| (0..n).map(|q| joint[q * n + k]).sum::<f32>() / n as f32)
                .collect()
        };
        let (kmer, stride) = (self.kmer.max(1), self.stride.max(1));
        let mut spread = vec![0.0f32; length];
        for (t, r) in read.iter().skip(lead).enumerate() {
            let start = (t * stride).min(length);
            for p in &mut spread[start..(start + kmer).min(length)] {
                *p += r / kmer as f32;
            }
        }
        spread
    }
}

fn identity(n: usize) -> Vec<f32> {
    let mut m = vec![0.0; n * n];
    (0..n).for_each(|i| m[i * n + i] = 1.0);
    m
}

/// `a · b` for `n × n` row-major matrices.
fn product(a: &[f32], b: &[f32], n: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; n * n];
    for i in 0..n {
        for k in 0..n {
            let aik = a[i * n + k];
            if aik != 0.0 {
                for j in 0..n {
                    out[i * n + j] += aik * b[k * n + j];
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maps(weights: Vec<f32>, layers: usize, tokens: usize, class_token: bool) -> AttentionMaps {
        AttentionMaps {
            layers,
            heads: 1,
            tokens,
            class_token,
            kmer: 1,
            stride: 1,
            weights,
        }
    }

    #[test]
    fn one_layer_rollout_is_half_attention_half_identity() {
        let a = maps(vec![0.0, 1.0, 0.0, 1.0], 1, 2, false);
        assert_eq!(a.rollout(), vec![0.5, 0.5, 0.0, 1.0]);
    }

    #[test]
    fn rollout_composes_layers_and_rows_stay_distributions() {
        // Layer 1: token 2 reads token 1; layer 2: the class token reads token 2.
        let mut w = identity(3);
        w[2 * 3 + 2] = 0.0;
        w[2 * 3 + 1] = 1.0;
        let mut second = identity(3);
        second[0] = 0.0;
        second[2] = 1.0;
        w.extend(second);
        let a = maps(w, 2, 3, true);
        let joint = a.rollout();
        for row in joint.chunks(3) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        }
        // Class token: ½ itself, ½ token 2, which is ½ itself and ½ token 1.
        assert_eq!(&joint[..3], &[0.5, 0.25, 0.25]);
        // Spread over two positions per token, the class token left out.
        let patches = AttentionMaps {
            kmer: 2,
            stride: 2,
            ..a.clone()
        };
        assert_eq!(patches.relevance(3), vec![0.125, 0.125, 0.125]);
        // Overlapping 2-mers every position: position 1 is read by both tokens.
        let overlapping = AttentionMaps {
            kmer: 2,
            stride: 1,
            ..a
        };
        assert_eq!(overlapping.relevance(3), vec![0.125, 0.25, 0.125]);
    }
}
