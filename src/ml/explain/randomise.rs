//! The randomised-model check (Adebayo et al., 2018): re-initialise a trained model's weights
//! layer by layer from the head down. An attribution method whose maps barely change while the
//! model is destroyed is showing the input, not the model.

use crate::ml::models::Model;
use crate::ml::rng::{Stream, rng};
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::prelude::*;
use rand::RngExt;

/// Where a parameter sits: its path's first index (the block it belongs to) or, for the
/// head and other unnumbered parts, after every block.
fn depth(path: &[String]) -> usize {
    path.iter()
        .find_map(|p| p.parse::<usize>().ok())
        .unwrap_or(usize::MAX)
}

/// Tracks the path of the parameter being visited or mapped.
#[derive(Default)]
struct Path(Vec<String>);

impl Path {
    fn enter(&mut self, name: &str) {
        self.0.push(name.to_string());
    }
    fn exit(&mut self) {
        self.0.pop();
    }
}

struct Depths {
    path: Path,
    found: Vec<usize>,
}

impl ModuleVisitor for Depths {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.enter(name);
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.exit();
    }
    fn visit_float<const D: usize>(&mut self, _param: &Param<Tensor<D>>) {
        let d = depth(&self.path.0);
        if !self.found.contains(&d) {
            self.found.push(d);
        }
    }
}

/// The model's layers from the head down, as the steps of the check re-initialise them: a
/// name per step ("head", "block 2", …).
pub fn layers_from_head(model: &Model) -> Vec<(usize, String)> {
    let mut depths = Depths {
        path: Path::default(),
        found: Vec::new(),
    };
    model.visit(&mut depths);
    let mut found = depths.found;
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

struct Reinitialise {
    path: Path,
    /// Parameters at this depth or deeper (nearer the head) are re-initialised.
    from_depth: usize,
    rng: crate::ml::rng::Rng,
    /// The bound of the last weight seen, for the biases and norms after it.
    bound: f32,
}

impl ModuleMapper for Reinitialise {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.enter(name);
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.exit();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if depth(&self.path.0) < self.from_depth {
            return param;
        }
        param.map(|tensor| {
            let dims = tensor.dims();
            // Burn's default: uniform in ±1/√fan-in. Linear weights are [in, out]; conv
            // kernels [out, in, k…].
            let fan_in: usize = match D {
                1 => 0,
                2 => dims[0],
                _ => dims[1..].iter().product(),
            };
            if fan_in > 0 {
                self.bound = 1.0 / (fan_in as f32).sqrt();
            }
            let count: usize = dims.iter().product();
            let values: Vec<f32> = (0..count)
                .map(|_| self.rng.random_range(-self.bound..=self.bound))
                .collect();
            let device = tensor.device();
            let fresh = Tensor::<D>::from_data(TensorData::new(values, dims), &device);
            if tensor.is_require_grad() {
                fresh.require_grad()
            } else {
                fresh
            }
        })
    }
}

/// `model` with every parameter from layer depth `from_depth` to the head re-initialised
/// (seeded), the layers below kept.
pub fn reinitialise_from(model: Model, from_depth: usize, seed: u64) -> Model {
    model.map(&mut Reinitialise {
        path: Path::default(),
        from_depth,
        rng: rng(seed, Stream::Model),
        bound: 0.1,
    })
}
