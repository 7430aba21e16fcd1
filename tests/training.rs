//! Native tests of the training core on Flex: learning, determinism, gradients, model sizes.

mod common;

use burn::module::Module;
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
    let dataset = Arc::new(BuiltinDataset::Shapes.generate(experiment.seed));
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
        let dataset = Arc::new(BuiltinDataset::Shapes.generate(seed));
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
    let dataset = Arc::new(BuiltinDataset::Shapes.generate(1));
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

#[test]
fn cnn_gradients_match_finite_differences() {
    let device = Device::flex().autodiff();
    device.seed(3);
    let model = tiny_cnn().init(&SHAPE, 3, &device).unwrap();
    let pixels: Vec<f32> = (0..4 * 2 * 8 * 8)
        .map(|i| ((i * 37 % 101) as f32 / 101.0) - 0.5)
        .collect();
    let input = petri::ml::data::BatchInput::Images {
        pixels,
        shape: [4, 2, 8, 8],
    };
    let checked = common::check_gradients(&model, &input, &[0, 2, 1, 2], &device);
    assert!(checked >= 20, "{checked} elements checked");
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
