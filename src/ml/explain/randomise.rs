//! The randomised-model check (Adebayo et al., 2018): re-initialise a trained model's weights
//! layer by layer from the head down. An attribution method whose maps barely change while the
//! model is destroyed is showing the input, not the model.

use crate::ml::models::Model;
use crate::ml::models::params::{ParamPath, map_params, visit_params};
use crate::ml::rng::{Stream, rng};
use burn::prelude::*;
use rand::RngExt;

/// Where a parameter sits: its path's first index (the block it belongs to) or, for the
/// head and other unnumbered parts, after every block.
fn depth(path: &ParamPath) -> usize {
    path.iter()
        .find_map(|(p, _)| p.parse::<usize>().ok())
        .unwrap_or(usize::MAX)
}

/// The model's layers from the head down, as the steps of the check re-initialise them: a
/// name per step ("head", "block 2", …).
pub fn layers_from_head(model: &Model) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    visit_params(model, &mut |path, _, _| {
        let d = depth(path);
        if !found.contains(&d) {
            found.push(d);
        }
    });
    found.sort_unstable_by(|a, b| b.cmp(a));
    found
        .into_iter()
        .map(|d| {
            let name = if d == usize::MAX {
                "head".to_string()
            } else {
                format!("block {}", d + 1)
            };
            (d, name)
        })
        .collect()
}

/// `model` with every parameter from layer depth `from_depth` to the head re-initialised
/// (seeded), the layers below kept.
pub fn reinitialise_from(model: Model, from_depth: usize, seed: u64) -> Model {
    let mut rng = rng(seed, Stream::Model);
    // The bound of the last weight seen, for the biases and norms after it.
    let mut bound = 0.1f32;
    map_params(model, &mut |path, dims, tensor| {
        if depth(path) < from_depth {
            return None;
        }
        // Burn's default: uniform in ±1/√fan-in. Linear weights are [in, out]; conv kernels
        // [out, in, k…].
        let fan_in: usize = match dims.len() {
            1 => 0,
            2 => dims[0],
            _ => dims[1..].iter().product(),
        };
        if fan_in > 0 {
            bound = 1.0 / (fan_in as f32).sqrt();
        }
        let count: usize = dims.iter().product();
        let values: Vec<f32> = (0..count)
            .map(|_| rng.random_range(-bound..=bound))
            .collect();
        Some(Tensor::from_data(
            TensorData::new(values, [count]),
            &tensor.device(),
        ))
    })
}
