//! Native tests of the training core on Flex: learning, determinism, gradients, model sizes.

mod common;

use burn::module::Module;
use burn::prelude::*;
use petri::ml::data::{BuiltinDataset, DataShape};
use petri::ml::experiment::{Experiment, OptimizerKind};
use petri::ml::models::{Activation, CnnConfig, ConvBlock, ModelConfig, Padding};
use petri::ml::session::Session;
use petri::ml::train::Trainer;
use petri::ml::weights::read_weights;
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

#[test]
fn a_part_of_a_batch_is_the_batch_of_its_samples() {
    for dataset in [
        BuiltinDataset::Shapes,
        BuiltinDataset::DnaMotif,
        BuiltinDataset::Molecules,
    ] {
        let data = dataset.generate(4);
        let indices: Vec<usize> = (0..12).map(|i| (i * 7) % data.train.len()).collect();
        let whole = data.train.batch(&indices);
        for range in [0..5, 5..12, 3..4] {
            let part = whole.part(range.clone());
            assert!(
                part == Some(data.train.batch(&indices[range.clone()])),
                "{dataset:?}, samples {range:?}"
            );
        }
    }
    let nodes = BuiltinDataset::Communities.generate(4);
    assert_eq!(nodes.train.batch(&[0, 1, 2]).part(0..2), None);
}

#[test]
fn a_step_split_over_two_threads_learns_what_the_whole_batch_teaches() {
    let data = BuiltinDataset::Shapes.generate(5);
    let indices: Vec<usize> = (0..32).collect();
    let batch = data.train.batch(&indices);
    let shape = data.shape();
    let step = |threads: usize| {
        let mut trainer = Trainer::new(
            &ModelConfig::default_for_dataset(BuiltinDataset::Shapes),
            &shape,
            data.num_classes(),
            OptimizerKind::SgdMomentum,
            0.1,
            7,
            &Device::flex(),
        )
        .unwrap();
        trainer.set_threads(threads);
        let output = trainer.step(&batch);
        let loss: f32 = output.loss.into_scalar();
        let correct: i64 = output.correct.into_scalar();
        let weights = pollster::block_on(read_weights(trainer.model())).unwrap();
        (loss, correct, weights)
    };
    let (whole_loss, whole_correct, whole) = step(1);
    let (split_loss, split_correct, split) = step(2);
    assert!(
        (whole_loss - split_loss).abs() < 1e-5,
        "{whole_loss} against {split_loss}"
    );
    assert_eq!(whole_correct, split_correct);
    assert_eq!(whole.len(), split.len());
    let mut largest_change = 0f32;
    for (a, b) in whole.iter().zip(&split) {
        assert_eq!(a.name, b.name);
        for (x, y) in a.values.iter().zip(&b.values) {
            assert!((x - y).abs() < 1e-5, "{}: {x} against {y}", a.name);
            largest_change = largest_change.max(x.abs());
        }
    }
    assert!(largest_change > 0.0);
}

#[test]
fn a_run_split_over_two_threads_is_repeatable_and_learns() {
    let curve = || {
        let experiment = Experiment {
            seed: 11,
            ..Experiment::default()
        };
        let dataset = Arc::new(BuiltinDataset::Shapes.generate(11));
        let mut session = Session::new(&experiment, dataset, &Device::flex()).unwrap();
        session.set_threads(2);
        run_steps(&mut session, 60, 20)
    };
    let first = curve();
    assert_eq!(first, curve());
    assert!(first[2] < first[0] * 0.8, "{first:?}");
}
