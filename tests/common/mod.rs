//! Helpers shared by the native tests: gradient checks against finite differences.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::GradientsParams;
use burn::prelude::*;
use petri::ml::data::BatchInput;
use petri::ml::models::Model;

/// Every float parameter's values and gradients, in visiting order.
struct Collect<'a> {
    grads: &'a GradientsParams,
    params: Vec<(Vec<f32>, Vec<f32>)>,
}

impl ModuleVisitor for Collect<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let Some(grad) = self.grads.get::<D>(param.id) else {
            return; // e.g. running statistics, which are not trained
        };
        self.params.push((
            param.val().into_data().try_to_vec::<f32>().unwrap(),
            grad.into_data().try_to_vec::<f32>().unwrap(),
        ));
    }
}

/// Adds `delta` to one element of the `param`-th float parameter that has a gradient.
struct Nudge<'a> {
    grads: &'a GradientsParams,
    param: usize,
    element: usize,
    delta: f32,
    seen: usize,
}

impl ModuleMapper for Nudge<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if self.grads.get::<D>(param.id).is_none() {
            return param;
        }
        let index = self.seen;
        self.seen += 1;
        if index != self.param {
            return param;
        }
        let (element, delta) = (self.element, self.delta);
        param.map(|tensor| {
            let (shape, device) = (tensor.shape(), tensor.device());
            let mut values = tensor.into_data().try_to_vec::<f32>().unwrap();
            values[element] += delta;
            Tensor::from_data(TensorData::new(values, shape), &device)
        })
    }
}

fn loss(model: &Model, input: &BatchInput, targets: &[i64], device: &Device) -> Tensor<1> {
    let logits = model.forward(input, device);
    let targets =
        Tensor::<1, Int>::from_data(TensorData::new(targets.to_vec(), [targets.len()]), device);
    CrossEntropyLossConfig::new()
        .init(device)
        .forward(logits, targets)
}

/// Checks every parameter's gradient (a few elements each) against central differences.
/// Returns the number of elements checked.
pub fn check_gradients(
    model: &Model,
    input: &BatchInput,
    targets: &[i64],
    device: &Device,
) -> usize {
    let grads = GradientsParams::from_grads(loss(model, input, targets, device).backward(), model);
    let mut collect = Collect {
        grads: &grads,
        params: Vec::new(),
    };
    model.visit(&mut collect);
    let plain = device.clone().without_autodiff();
    let value = |param: usize, element: usize, delta: f32| {
        let nudged = model.valid().map(&mut Nudge {
            grads: &grads,
            param,
            element,
            delta,
            seen: 0,
        });
        f64::from(loss(&nudged, input, targets, &plain).into_scalar::<f32>())
    };
    let eps = 1e-2f32;
    let mut checked = 0;
    for (param, (values, grads)) in collect.params.iter().enumerate() {
        for element in (0..values.len()).step_by((values.len() / 4).max(1)) {
            let numeric =
                (value(param, element, eps) - value(param, element, -eps)) / (2.0 * f64::from(eps));
            let analytic = f64::from(grads[element]);
            assert!(
                (numeric - analytic).abs() <= 3e-3 + 0.05 * analytic.abs(),
                "param {param} element {element}: analytic {analytic}, numeric {numeric}"
            );
            checked += 1;
        }
    }
    checked
}
