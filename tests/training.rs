//! Native tests of the training core on Flex: learning, determinism, gradients, model sizes.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::GradientsParams;
use burn::prelude::*;
use petri::ml::data::{BuiltinDataset, DataShape};
use petri::ml::experiment::Experiment;
use petri::ml::models::{Activation, CnnConfig, ConvBlock, ModelConfig, Padding};
use petri::ml::session::Session;
use std::sync::Arc;

fn run_steps(session: &mut Session, steps: usize, read_every: usize) -> Vec<f64> {
    let mut losses = Vec::new();
    for i in 1..=steps {
        session.train_step();
        if i % read_every == 0 {
            let metrics = pollster::block_on(session.read_train_metrics())
                .unwrap()
                .unwrap();
            losses.push(metrics.loss);
        }
    }
    losses
}

#[test]
fn a_short_run_on_flex_learns_shapes_well_above_chance() {
    let experiment = Experiment::default();
    let dataset = Arc::new(experiment.dataset.generate(experiment.seed));
    let mut session = Session::new(&experiment, dataset, &Device::flex()).unwrap();
    let losses = run_steps(&mut session, 450, 50);
    let chance = (4f64).ln();
    let eval = pollster::block_on(session.evaluate()).unwrap();
    assert!(
        losses.last().unwrap() < &(chance * 0.35),
        "training loss stayed high: {losses:?}"
    );
    assert!(eval.loss < chance * 0.35, "validation loss {}", eval.loss);
    assert!(
        eval.accuracy > 0.85,
        "validation accuracy {}",
        eval.accuracy
    );
    assert_eq!(eval.predictions.len(), session.dataset().valid.len());
}

#[test]
fn the_same_seed_gives_the_same_loss_curve_and_another_seed_does_not() {
    let curve = |seed: u64| {
        let experiment = Experiment {
            seed,
            ..Experiment::default()
        };
        let dataset = Arc::new(experiment.dataset.generate(seed));
        let mut session = Session::new(&experiment, dataset, &Device::flex()).unwrap();
        run_steps(&mut session, 12, 3)
    };
    let a = curve(11);
    assert_eq!(a, curve(11));
    assert_ne!(a, curve(12));
}

#[test]
fn live_settings_apply_and_structural_changes_are_refused() {
    let experiment = Experiment::default();
    let dataset = Arc::new(experiment.dataset.generate(1));
    let mut session = Session::new(&experiment, dataset, &Device::flex()).unwrap();
    let faster = Experiment {
        learning_rate: 0.01,
        batch_size: 64,
        ..experiment.clone()
    };
    assert!(session.update(&faster));
    assert_eq!(session.experiment().batch_size, 64);
    let other_seed = Experiment {
        seed: 9,
        ..experiment
    };
    assert!(!session.update(&other_seed));
    assert_eq!(session.experiment().seed, 1);
}

const SHAPE: DataShape = DataShape::Image {
    channels: 2,
    height: 8,
    width: 8,
};

fn tiny_cnn() -> ModelConfig {
    ModelConfig::Cnn(CnnConfig {
        blocks: vec![
            ConvBlock {
                channels: 3,
                kernel: 3,
                pool: true,
            },
            ConvBlock {
                channels: 4,
                kernel: 2,
                pool: false,
            },
        ],
        padding: Padding::Valid,
        activation: Activation::Tanh,
        batch_norm: false,
        dropout: 0.0,
    })
}

/// Every float parameter's values and gradients, in visiting order.
struct Collect<'a> {
    grads: &'a GradientsParams,
    params: Vec<(Vec<f32>, Vec<f32>)>,
}

impl ModuleVisitor for Collect<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let grad = self
            .grads
            .get::<D>(param.id)
            .expect("every parameter has a gradient");
        self.params.push((
            param.val().into_data().try_to_vec::<f32>().unwrap(),
            grad.into_data().try_to_vec::<f32>().unwrap(),
        ));
    }
}

/// Adds `delta` to one element of one float parameter.
struct Nudge {
    param: usize,
    element: usize,
    delta: f32,
    seen: usize,
}

impl ModuleMapper for Nudge {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
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

#[test]
fn cnn_gradients_match_finite_differences() {
    let device = Device::flex().autodiff();
    device.seed(3);
    let model = tiny_cnn().init(&SHAPE, 3, &device).unwrap();
    let batch_size = 4;
    let pixels: Vec<f32> = (0..batch_size * 2 * 8 * 8)
        .map(|i| ((i * 37 % 101) as f32 / 101.0) - 0.5)
        .collect();
    let input = petri::ml::data::BatchInput::Images {
        pixels,
        shape: [batch_size, 2, 8, 8],
    };
    let targets = vec![0i64, 2, 1, 2];
    let loss_of = |model: &petri::ml::models::Model, device: &Device| {
        let logits = model.forward(&input, device);
        let targets = Tensor::<1, Int>::from_data(TensorData::new(targets.clone(), [4]), device);
        CrossEntropyLossConfig::new()
            .init(device)
            .forward(logits, targets)
    };

    let grads = GradientsParams::from_grads(loss_of(&model, &device).backward(), &model);
    let mut collect = Collect {
        grads: &grads,
        params: Vec::new(),
    };
    model.visit(&mut collect);
    assert_eq!(
        collect.params.len(),
        6,
        "two convs and a head, each weight + bias"
    );

    let plain = device.clone().without_autodiff();
    let value = |param: usize, element: usize, delta: f32| {
        let nudged = model.valid().map(&mut Nudge {
            param,
            element,
            delta,
            seen: 0,
        });
        f64::from(loss_of(&nudged, &plain).into_scalar::<f32>())
    };
    let eps = 1e-2f32;
    let mut checked = 0;
    for (param, (values, grads)) in collect.params.iter().enumerate() {
        for element in (0..values.len()).step_by((values.len() / 5).max(1)) {
            let numeric =
                (value(param, element, eps) - value(param, element, -eps)) / (2.0 * f64::from(eps));
            let analytic = f64::from(grads[element]);
            assert!(
                (numeric - analytic).abs() <= 2e-3 + 0.03 * analytic.abs(),
                "param {param} element {element}: analytic {analytic}, numeric {numeric}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 20);
}

#[test]
fn parameter_counts_match_the_built_models() {
    let configs = [
        ModelConfig::default_for(petri::ml::data::DataKind::Image),
        tiny_cnn(),
        ModelConfig::Cnn(CnnConfig {
            batch_norm: true,
            padding: Padding::Same,
            dropout: 0.3,
            ..CnnConfig::default()
        }),
    ];
    let device = Device::flex();
    for config in configs {
        let shape = BuiltinDataset::Shapes.shape();
        let summary = config.summary(&shape, 4).unwrap();
        let model = config.init(&shape, 4, &device).unwrap();
        // Burn also counts batch norm's running mean and variance, which are not trained.
        let running_stats = match &config {
            ModelConfig::Cnn(cnn) if cnn.batch_norm => {
                cnn.blocks.iter().map(|b| 2 * b.channels).sum()
            }
            _ => 0,
        };
        assert_eq!(
            summary.params + running_stats,
            model.num_params(),
            "{config:?}"
        );
    }
}

#[test]
fn impossible_models_are_explained_not_built() {
    let config = ModelConfig::Cnn(CnnConfig {
        blocks: vec![
            ConvBlock {
                channels: 8,
                kernel: 5,
                pool: true,
            };
            4
        ],
        ..CnnConfig::default()
    });
    let shape = BuiltinDataset::Shapes.shape();
    let error = config.summary(&shape, 4).unwrap_err();
    assert!(error.contains("does not fit"), "{error}");
    assert!(config.init(&shape, 4, &Device::flex()).is_err());
}
