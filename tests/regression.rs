//! Native tests of regression on Flex: the losses' gradients against finite differences, and
//! a GIN learning a property computed from generated molecules, and a session that trains
//! and evaluates measured targets.

use burn::prelude::*;
use petri::ml::augment::{AugmentStep, Augmentation};
use petri::ml::data::molecules::{generate, lipophilicity};
use petri::ml::data::{DataShape, Dataset, Samples};
use petri::ml::experiment::{Experiment, OptimizerKind};
use petri::ml::models::{Activation, GnnConfig, GnnKind, ModelConfig, Readout};
use petri::ml::regression::{RegressionLoss, RegressionMetrics, TargetScale};
use petri::ml::session::Session;
use petri::ml::train::{Trainer, regression_loss};
use std::sync::Arc;

/// Predictions and targets whose errors fall on both sides of the Huber loss's bend (δ = 1)
/// and never on it or at zero, where the gradient changes.
const PREDICTED: [f32; 6] = [0.3, -1.2, 2.5, 0.0, 4.0, -0.7];
const TARGETS: [f32; 6] = [0.1, 0.4, -0.5, 0.6, 1.5, -0.75];
const WEIGHTS: [f32; 6] = [1.0, 0.5, 1.0, 2.0, 1.0, 0.25];

fn column(values: &[f32], device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(values.to_vec(), [values.len(), 1]), device)
}

fn loss_value(kind: RegressionLoss, predicted: &[f32], device: &Device) -> f64 {
    let loss = regression_loss(
        kind,
        column(predicted, device),
        column(&TARGETS, device),
        column(&WEIGHTS, device),
    );
    f64::from(loss.into_scalar::<f32>())
}

#[test]
fn regression_losses_have_the_gradients_of_finite_differences() {
    let plain = Device::flex();
    let device = plain.clone().autodiff();
    for kind in [RegressionLoss::Mse, RegressionLoss::Huber { delta: 1.0 }] {
        let predicted = column(&PREDICTED, &device).require_grad();
        let loss = regression_loss(
            kind,
            predicted.clone(),
            column(&TARGETS, &device),
            column(&WEIGHTS, &device),
        );
        let grads = loss.backward();
        let analytic: Vec<f32> = predicted
            .grad(&grads)
            .expect("a gradient for the predictions")
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let eps = 1e-3f32;
        for i in 0..PREDICTED.len() {
            let mut up = PREDICTED;
            let mut down = PREDICTED;
            up[i] += eps;
            down[i] -= eps;
            let numeric = (loss_value(kind, &up, &plain) - loss_value(kind, &down, &plain))
                / (2.0 * f64::from(eps));
            assert!(
                (numeric - f64::from(analytic[i])).abs() < 2e-3,
                "{kind:?} element {i}: analytic {}, numeric {numeric}",
                analytic[i]
            );
        }
    }
    // The values themselves: MSE is the weighted mean of squares; Huber is half of it for
    // errors within δ and linear beyond.
    let mse = loss_value(RegressionLoss::Mse, &PREDICTED, &plain);
    let expected: f64 = PREDICTED
        .iter()
        .zip(&TARGETS)
        .zip(&WEIGHTS)
        .map(|((&p, &t), &w)| f64::from(w) * f64::from(p - t).powi(2))
        .sum::<f64>()
        / 6.0;
    assert!((mse - expected).abs() < 1e-5, "{mse} vs {expected}");
    let huber = loss_value(RegressionLoss::Huber { delta: 1.0 }, &PREDICTED, &plain);
    let expected: f64 = PREDICTED
        .iter()
        .zip(&TARGETS)
        .zip(&WEIGHTS)
        .map(|((&p, &t), &w)| {
            let e = f64::from(p - t).abs();
            f64::from(w) * if e <= 1.0 { e * e / 2.0 } else { e - 0.5 }
        })
        .sum::<f64>()
        / 6.0;
    assert!((huber - expected).abs() < 1e-5, "{huber} vs {expected}");
}

#[test]
fn a_gin_learns_a_property_of_generated_molecules() {
    let molecules = generate(720, 11);
    let targets: Vec<f32> = molecules.graphs.iter().map(lipophilicity).collect();
    let samples = Samples::Graphs(molecules);
    let (train, valid): (Vec<usize>, Vec<usize>) = (0..600).partition(|&i| i % 6 != 0);
    let valid: Vec<usize> = valid.into_iter().chain(600..720).collect();
    let train_targets: Vec<f32> = train.iter().map(|&i| targets[i]).collect();
    let scale = TargetScale::fit(&train_targets);
    assert!(scale.std > 0.5, "the property varies: {scale:?}");

    let config = ModelConfig::Gnn(GnnConfig {
        kind: GnnKind::Gin,
        layers: 2,
        hidden: 32,
        activation: Activation::Relu,
        dropout: 0.0,
        readout: Readout::Sum,
    });
    let shape = DataShape::Graph { features: 4 };
    let mut trainer = Trainer::new(
        &config,
        &shape,
        1,
        OptimizerKind::Adam,
        0.003,
        5,
        &Device::flex(),
    )
    .unwrap();
    let mut first_loss = None;
    for step in 0..1000 {
        let indices: Vec<usize> = (0..32)
            .map(|k| train[(step * 32 + k) % train.len()])
            .collect();
        let batch = samples.batch(&indices);
        let standard: Vec<f32> = indices
            .iter()
            .map(|&i| scale.standardize(targets[i]))
            .collect();
        let output = trainer.regression_step(&batch.input, &standard, None, RegressionLoss::Mse);
        first_loss.get_or_insert(output.loss.into_scalar::<f32>());
    }
    let outputs: Vec<f32> = trainer
        .logits(&samples.batch(&valid).input)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let predicted: Vec<f32> = outputs.iter().map(|&o| scale.restore(o)).collect();
    let measured: Vec<f32> = valid.iter().map(|&i| targets[i]).collect();
    let metrics = RegressionMetrics::of(&predicted, &measured);
    assert!(
        metrics.r2 >= 0.9,
        "validation R² {:.3} (RMSE {:.3}, target std {:.3}; first loss {first_loss:?})",
        metrics.r2,
        metrics.rmse,
        scale.std
    );
}

/// Generated molecules whose target is their lipophilicity: 600 to train on, 150 to validate.
fn lipophilicity_dataset() -> Dataset {
    let molecules = generate(750, 3);
    let measured: Vec<f32> = molecules.graphs.iter().map(lipophilicity).collect();
    let all = Samples::Graphs(molecules).with_measured(measured);
    let train: Vec<usize> = (0..600).collect();
    let valid: Vec<usize> = (600..750).collect();
    Dataset::new(
        "lipophilicity".into(),
        vec!["lipophilicity".into()],
        all.subset(&train),
        all.subset(&valid),
    )
}

#[test]
fn a_session_trains_measured_targets_and_reports_them_in_their_units() {
    let data = Arc::new(lipophilicity_dataset());
    assert!(data.is_regression());
    let experiment = Experiment {
        model: ModelConfig::Gnn(GnnConfig {
            kind: GnnKind::Gin,
            layers: 2,
            hidden: 32,
            activation: Activation::Relu,
            dropout: 0.0,
            readout: Readout::Sum,
        }),
        learning_rate: 0.003,
        batch_size: 32,
        ..Experiment::default()
    };
    let mut session = Session::new(&experiment, data.clone(), &Device::flex()).unwrap();
    let scale = session
        .target_scale()
        .expect("a scale for measured targets");
    for _ in 0..20 {
        session.train_step();
    }
    let early = pollster::block_on(session.read_train_metrics())
        .unwrap()
        .unwrap();
    for _ in 0..1000 {
        session.train_step();
    }
    let late = pollster::block_on(session.read_train_metrics())
        .unwrap()
        .unwrap();
    let (early_rmse, late_rmse) = (early.rmse.unwrap(), late.rmse.unwrap());
    assert!(late_rmse < early_rmse / 2.0, "{early_rmse} → {late_rmse}");

    let evaluated = pollster::block_on(session.evaluate()).unwrap();
    let (predicted, metrics) = evaluated.regression.expect("regression metrics");
    assert_eq!(predicted.len(), 150);
    // The reported figures are in the target's units: recomputed from the predictions.
    let measured = data.valid.measured();
    assert_eq!(metrics, RegressionMetrics::of(&predicted, measured));
    assert!(
        metrics.r2 >= 0.9 && metrics.rmse < f64::from(scale.std) / 3.0,
        "validation {metrics:?}, target std {}",
        scale.std
    );

    // Mixup blends classes and is refused for measured targets, by name.
    let mut mixup = experiment.clone();
    mixup.augment.steps = vec![AugmentStep::new(Augmentation::Mixup, 0.5, 0.4)];
    let refused = Session::new(&mixup, data, &Device::flex()).err();
    assert!(refused.is_some_and(|e| e.contains("Mixup")));
}
