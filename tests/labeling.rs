//! Native tests of semi-supervised training and labeling: the soft-target loss against plain
//! cross-entropy and finite differences, consistency training against labeled-only training,
//! and the engine's labeling protocol (queue, retraining after new labels, explaining a queued
//! sample, embeddings by label source, label files, predictions, the test set, the
//! label-budget experiment).

mod platform;

use burn::nn::loss::CrossEntropyLossConfig;
use burn::prelude::*;
use burn::tensor::TensorData;
use petri::engine::Engine;
use petri::ml::data::{Batch, BatchInput, BuiltinDataset, Mix, NO_LABEL};
use petri::ml::experiment::{DatasetId, Experiment};
use petri::ml::explain::{AttributionMethod, Baseline};
use petri::ml::label::budget::BudgetConfig;
use petri::ml::label::{AssignedLabel, Collection, LabelSource, Part, QueryStrategy};
use petri::ml::session::Session;
use petri::ml::train::soft_cross_entropy;
use petri::protocol::{FromWorker, LabelOrigin, LabelQueue, Projection, SampleRef, ToWorker};
use platform::{TestPlatform, cpu_engine, send, take};
use std::sync::{Arc, Mutex, MutexGuard};

/// Burn draws initial weights from one global generator: one seeded model at a time.
fn one_model_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn tensor(values: &[f32], shape: [usize; 2], device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(values.to_vec(), shape), device)
}

#[test]
fn the_soft_target_loss_is_cross_entropy_for_one_hot_targets_and_its_gradient_checks() {
    let device = Device::flex();
    let logits = [
        0.3f32, -1.2, 2.0, 0.5, 0.5, -0.1, -2.0, 1.0, 0.0, 1.5, 0.2, -0.7,
    ];
    let targets = [2i64, 0, 1, 0];
    let batch = Batch {
        input: BatchInput::Table {
            values: vec![0.0; 4],
            shape: [4, 1],
        },
        targets: targets.to_vec(),
        measured: None,
        mix: None,
        weights: None,
    };
    let (soft, weights) = batch.soft_targets(3);
    assert_eq!(weights, vec![1.0; 4]);
    let ours = soft_cross_entropy(
        tensor(&logits, [4, 3], &device),
        tensor(&soft, [4, 3], &device),
    );
    let burn = CrossEntropyLossConfig::new().init(&device).forward(
        tensor(&logits, [4, 3], &device),
        Tensor::<1, Int>::from_data(TensorData::new(targets.to_vec(), [4]), &device),
    );
    let (ours, burn): (f32, f32) = (ours.into_scalar(), burn.into_scalar());
    assert!((ours - burn).abs() < 1e-6, "{ours} vs {burn}");

    // Mixed, weighted targets: the gradient with respect to the logits against central
    // differences of the loss computed on the host.
    let weighted = Batch {
        mix: Some(Mix {
            partner: vec![1, 2, 1, 0],
            weight: vec![0.7, 1.0, 0.6, 1.0],
        }),
        weights: Some(vec![1.0, 0.5, 0.25, 0.0]),
        ..batch
    };
    let (soft, weights) = weighted.soft_targets(3);
    assert_eq!(soft[..3], [0.0, 0.3, 0.7]);
    let rows: Vec<f32> = soft
        .chunks(3)
        .zip(&weights)
        .flat_map(|(row, w)| row.iter().map(move |v| v * w))
        .collect();
    let host_loss = |z: &[f32]| -> f64 {
        let mut total = 0.0;
        for (row, target) in z.chunks(3).zip(rows.chunks(3)) {
            let max = row.iter().copied().fold(f32::MIN, f32::max) as f64;
            let log_sum = row
                .iter()
                .map(|&v| (v as f64 - max).exp())
                .sum::<f64>()
                .ln()
                + max;
            for (v, t) in row.iter().zip(target) {
                total -= *t as f64 * (*v as f64 - log_sum);
            }
        }
        total / 4.0
    };
    let autodiff = device.clone().autodiff();
    let z = tensor(&logits, [4, 3], &autodiff).require_grad();
    let loss = soft_cross_entropy(z.clone(), tensor(&rows, [4, 3], &autodiff));
    let value: f32 = loss.clone().into_scalar();
    assert!((value as f64 - host_loss(&logits)).abs() < 1e-5);
    let grads = loss.backward();
    let gradient: Vec<f32> = z
        .grad(&grads)
        .unwrap()
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    for i in 0..logits.len() {
        let h = 1e-3f32;
        let mut up = logits;
        up[i] += h;
        let mut down = logits;
        down[i] -= h;
        let numeric = (host_loss(&up) - host_loss(&down)) / (2.0 * h as f64);
        assert!(
            (gradient[i] as f64 - numeric).abs() < 1e-3,
            "logit {i}: {} vs {numeric}",
            gradient[i]
        );
    }
    // A sample of weight 0 contributes nothing.
    assert!(gradient[9..12].iter().all(|g| g.abs() < 1e-9));
}

#[test]
#[should_panic(expected = "unlabeled sample reached a loss")]
fn an_unlabeled_sample_never_trains_as_class_zero() {
    let collection = Collection::builtin(BuiltinDataset::Shapes, 1, Some(2));
    collection.pool.batch(&[0, 1]).soft_targets(4);
}

fn accuracy_after(consistency: bool, steps: usize) -> f64 {
    let mut experiment = Experiment::default();
    experiment.labeling.labels_per_class = Some(5);
    experiment.labeling.consistency = consistency;
    let collection = Collection::builtin(BuiltinDataset::Shapes, experiment.seed, Some(5));
    let dataset = Arc::new(collection.dataset(&vec![None; collection.pool.len()]));
    let mut session = Session::new(&experiment, dataset, &Device::flex()).unwrap();
    for _ in 0..steps {
        session.train_step();
    }
    let metrics = pollster::block_on(session.read_train_metrics())
        .unwrap()
        .unwrap();
    assert_eq!(metrics.confident.is_some(), consistency);
    pollster::block_on(session.evaluate()).unwrap().accuracy
}

#[test]
fn consistency_training_beats_labeled_only_with_five_labels_per_class() {
    let _lock = one_model_at_a_time();
    let labeled_only = accuracy_after(false, 600);
    let consistency = accuracy_after(true, 600);
    assert!(
        consistency >= labeled_only + 0.10,
        "consistency {consistency:.3} vs labeled only {labeled_only:.3}"
    );
}

fn engine() -> Engine<TestPlatform> {
    cpu_engine()
}

/// Runs slices until a report matches, returning it (panics after `limit` slices or when
/// the engine goes idle first).
fn run_until<T>(
    engine: &mut Engine<TestPlatform>,
    limit: usize,
    find: impl Fn(&FromWorker) -> Option<T>,
) -> T {
    for _ in 0..limit {
        if let Some(found) = take(engine).iter().find_map(&find) {
            return found;
        }
        assert!(engine.is_busy(), "the engine went idle first");
        pollster::block_on(engine.run_slice());
    }
    panic!("not reached in {limit} slices");
}

fn queue(message: &FromWorker) -> Option<LabelQueue> {
    match message {
        FromWorker::Queue(queue) => Some(queue.clone()),
        _ => None,
    }
}

fn hidden(per_class: usize) -> Experiment {
    let mut experiment = Experiment::default();
    experiment.labeling.labels_per_class = Some(per_class);
    experiment.labeling.retrain_every = 3;
    experiment
}

#[test]
fn labeling_from_the_queue_trains_on_the_labels_and_scores_the_pool_again() {
    let _lock = one_model_at_a_time();
    let experiment = hidden(2);
    let key = experiment.labels_key();
    let collection = Collection::builtin(BuiltinDataset::Shapes, experiment.seed, Some(2));
    let truth = collection.pool_truth.clone().unwrap();
    let index = collection.pool_index();
    let mut engine = engine();
    send(&mut engine, ToWorker::Configure(experiment.clone()));
    send(
        &mut engine,
        ToWorker::SetLabels {
            key: key.clone(),
            labels: vec![],
            rejected: vec![],
        },
    );
    send(&mut engine, ToWorker::Score);
    let first = run_until(&mut engine, 500, queue);
    assert_eq!(first.unlabeled, 2392);
    assert_eq!(first.items.len(), 12);
    assert!(first.pool_accuracy.is_some());
    assert_eq!(first.human, 0);
    assert!(!engine.is_busy(), "scoring ends");

    // Label three from the queue with their true classes: the model trains, then scores
    // the pool again.
    let labels: Vec<AssignedLabel> = first.items[..3]
        .iter()
        .map(|item| AssignedLabel {
            id: item.id.clone(),
            class: truth[index[&item.id]],
            source: LabelSource::Human,
            value: None,
        })
        .collect();
    send(
        &mut engine,
        ToWorker::SetLabels {
            key: key.clone(),
            labels: labels.clone(),
            rejected: vec![],
        },
    );
    assert!(engine.is_busy(), "training on the new labels");
    let second = run_until(&mut engine, 2000, queue);
    assert_eq!(second.unlabeled, 2389);
    assert_eq!(second.human, 3);
    assert!(second.step > first.step);
    assert!(
        second
            .items
            .iter()
            .all(|i| labels.iter().all(|l| l.id != i.id))
    );

    // A sample of the queue can be explained, and every sample projected with where its label
    // came from: the person's three labels are all there.
    let asked = SampleRef {
        part: Part::Pool,
        index: second.items[0].pool_index,
    };
    assert_eq!(index[&second.items[0].id], asked.index);
    send(
        &mut engine,
        ToWorker::Explain {
            sample: asked,
            class: None,
            method: AttributionMethod::Saliency,
            baseline: Baseline::Zeros,
        },
    );
    let view = run_until(&mut engine, 500, |m| match m {
        FromWorker::Attribution(view) => Some(view.clone()),
        _ => None,
    });
    assert_eq!((view.sample, view.label), (asked, NO_LABEL));
    assert!(view.points.len() == 28 * 28 && view.points.iter().any(|v| *v != 0.0));
    assert!(view.region.is_empty(), "no true region outside validation");
    send(
        &mut engine,
        ToWorker::Project {
            method: Projection::Pca,
            every_sample: true,
        },
    );
    let projection = run_until(&mut engine, 10, |m| match m {
        FromWorker::Projection { view, .. } => Some(view.clone()),
        _ => None,
    });
    let count = |origin| projection.sources.iter().filter(|&&o| o == origin).count();
    assert_eq!(projection.samples.len(), 600);
    assert_eq!(count(LabelOrigin::Human), 3);
    assert!(count(LabelOrigin::Data) > 0 && count(LabelOrigin::Unlabeled) > 0);
    for ((sample, origin), truth) in projection
        .samples
        .iter()
        .zip(&projection.sources)
        .zip(&projection.truth)
    {
        match origin {
            LabelOrigin::Human => assert!(sample.part == Part::Train && sample.index >= 8),
            LabelOrigin::Unlabeled => assert!(sample.part == Part::Pool && *truth == NO_LABEL),
            _ => assert!(*truth != NO_LABEL),
        }
    }
    send(
        &mut engine,
        ToWorker::Project {
            method: Projection::Pca,
            every_sample: false,
        },
    );
    let projection = run_until(&mut engine, 10, |m| match m {
        FromWorker::Projection { view, .. } => Some(view.clone()),
        _ => None,
    });
    assert!(projection.samples.iter().all(|s| s.part == Part::Valid));

    // Labels of another book are kept aside.
    send(
        &mut engine,
        ToWorker::SetLabels {
            key: "other".into(),
            labels: vec![],
            rejected: vec![],
        },
    );
    send(
        &mut engine,
        ToWorker::SetLabels {
            key: key.clone(),
            labels,
            rejected: vec![],
        },
    );

    // The test part (evaluated once the training on the book's labels ends), and every
    // sample's prediction in a file.
    send(&mut engine, ToWorker::EvaluateTest);
    let test = run_until(&mut engine, 2000, |m| match m {
        FromWorker::Test(t) => Some(t.clone()),
        _ => None,
    });
    assert_eq!(test.samples, 600);
    send(&mut engine, ToWorker::ExportPredictions);
    let (name, text) = run_until(&mut engine, 500, |m| match m {
        FromWorker::Download { name, text } => Some((name.clone(), text.clone())),
        _ => None,
    });
    assert_eq!(name, "shapes-in-noise-images-predictions.csv");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 3600);
    assert_eq!(
        lines[0],
        "id,split,label,label_source,predicted,confidence,p_circle,p_square,p_triangle,p_cross"
    );
    assert!(lines.iter().all(|l| l.split(',').count() == 10));
    assert_eq!(lines.iter().filter(|l| l.contains(",human,")).count(), 3);
    assert_eq!(
        lines.iter().filter(|l| l.contains(",unlabeled,,,")).count(),
        2389
    );
    assert_eq!(lines.iter().filter(|l| l.contains(",test,")).count(), 600);
}

#[test]
fn label_files_are_refused_by_line_and_read_when_right() {
    let experiment = hidden(2);
    let collection = Collection::builtin(BuiltinDataset::Shapes, experiment.seed, Some(2));
    let pool = collection.ids(Part::Pool);
    let mut engine = engine();
    send(&mut engine, ToWorker::Configure(experiment));
    let bad = format!(
        "id,label\n{},circle\nno-such,square\n{},dog\n",
        pool[0], pool[1]
    );
    send(
        &mut engine,
        ToWorker::ImportLabels {
            file: "mine.csv".into(),
            text: bad,
        },
    );
    let Some(FromWorker::Error(message)) = take(&engine).pop() else {
        panic!("no error")
    };
    assert!(message.contains("mine.csv, line 3"), "{message}");
    assert!(message.contains("mine.csv, line 4"), "{message}");
    assert!(message.contains("unchanged"), "{message}");
    let good = format!(
        "id,label,source\n{},circle,human\n{},cross,pseudo\n",
        pool[0], pool[1]
    );
    send(
        &mut engine,
        ToWorker::ImportLabels {
            file: "mine.csv".into(),
            text: good,
        },
    );
    assert_eq!(
        take(&engine).pop(),
        Some(FromWorker::LabelsRead(vec![
            AssignedLabel {
                id: pool[0].clone(),
                class: 0,
                source: LabelSource::Human,
                value: None,
            },
            AssignedLabel {
                id: pool[1].clone(),
                class: 3,
                source: LabelSource::Pseudo,
                value: None,
            },
        ]))
    );
}

#[test]
fn an_upload_with_unlabeled_images_and_a_node_dataset_have_queues() {
    let _lock = one_model_at_a_time();
    let mut engine = engine();
    let path = "assets/examples/images.zip".to_string();
    send(
        &mut engine,
        ToWorker::Import {
            id: 1,
            files: vec![petri::ml::import::UploadFile {
                name: "images.zip".into(),
                bytes: std::fs::read(path).unwrap(),
            }],
            options: Default::default(),
        },
    );
    let mut experiment = Experiment {
        dataset: DatasetId::Uploaded,
        ..Experiment::default()
    };
    send(&mut engine, ToWorker::Configure(experiment.clone()));
    send(&mut engine, ToWorker::Score);
    let upload = run_until(&mut engine, 200, queue);
    assert_eq!(upload.unlabeled, 5);
    assert!(
        upload.pool_accuracy.is_none(),
        "an upload's pool has no known labels"
    );
    assert!(
        upload.items.iter().all(|i| i.id.contains("unlabeled/")),
        "{:?}",
        upload.items[0].id
    );

    experiment = hidden(2);
    experiment.dataset = DatasetId::Builtin(BuiltinDataset::KarateClub);
    experiment.model =
        petri::ml::models::ModelConfig::default_for_dataset(BuiltinDataset::KarateClub);
    experiment.labeling.strategy = QueryStrategy::Diversity;
    send(&mut engine, ToWorker::Configure(experiment));
    send(&mut engine, ToWorker::Score);
    let nodes = run_until(&mut engine, 200, queue);
    assert_eq!(nodes.unlabeled, 14);
    assert_eq!(nodes.nodes.len(), 14);
    assert!(
        nodes.nodes.iter().all(|n| !n.2.is_empty()),
        "every unlabeled node has guesses"
    );
    assert!(nodes.items.iter().all(|i| i.node.is_some()));
}

#[test]
fn the_label_budget_experiment_draws_every_curve() {
    let _lock = one_model_at_a_time();
    let mut engine = engine();
    send(&mut engine, ToWorker::Configure(Experiment::default()));
    let config = BudgetConfig {
        start_per_class: 2,
        per_round: 4,
        rounds: 2,
        steps_per_round: 5,
        pretrain_steps: 3,
    };
    send(&mut engine, ToWorker::RunBudget(config));
    let mut points = Vec::new();
    let finished = loop {
        pollster::block_on(engine.run_slice());
        let mut done = None;
        for message in take(&engine) {
            match message {
                FromWorker::Budget(point) => points.push(point),
                FromWorker::BudgetDone { finished } => done = Some(finished),
                _ => {}
            }
        }
        if let Some(finished) = done {
            break finished;
        }
        assert!(engine.is_busy());
    };
    assert!(finished);
    // Random and entropy, each labeled only, with consistency, and pretrained.
    assert_eq!(points.len(), 6 * 3);
    for arm in 0..6 {
        let labels: Vec<usize> = points
            .iter()
            .filter(|p| p.arm == arm)
            .map(|p| p.labels)
            .collect();
        assert_eq!(labels, vec![8, 12, 16], "arm {arm}");
    }
    // Cancelling stops it with a report.
    send(&mut engine, ToWorker::RunBudget(config));
    send(&mut engine, ToWorker::Pause);
    assert!(take(&engine).contains(&FromWorker::BudgetDone { finished: false }));
    assert!(!engine.is_busy());
}

#[test]
fn a_measured_pool_is_asked_about_by_its_spread_and_takes_values() {
    use petri::ml::models::{GnnConfig, ModelConfig};
    let _lock = one_model_at_a_time();
    // The example's first 400 molecules, the last 100 of them without a value: the pool.
    let text = std::fs::read_to_string("assets/examples/lipophilicity.csv").unwrap();
    let mut rows: Vec<String> = text.lines().take(401).map(str::to_string).collect();
    for row in &mut rows[301..] {
        let cut = row.rfind(',').unwrap();
        row.truncate(cut + 1);
    }
    let mut engine = engine();
    send(
        &mut engine,
        ToWorker::Import {
            id: 1,
            files: vec![petri::ml::import::UploadFile {
                name: "pool.csv".into(),
                bytes: rows.join("\n").into_bytes(),
            }],
            options: Default::default(),
        },
    );
    let ModelConfig::Gnn(gin) = ModelConfig::default_for(petri::ml::data::DataKind::Graph) else {
        panic!("a GNN for graphs")
    };
    let experiment = Experiment {
        dataset: DatasetId::Uploaded,
        model: ModelConfig::Gnn(GnnConfig {
            dropout: 0.2,
            ..gin
        }),
        learning_rate: 0.003,
        ..Experiment::default()
    };
    let key = experiment.labels_key();
    send(&mut engine, ToWorker::Configure(experiment.clone()));
    send(&mut engine, ToWorker::Step);
    send(&mut engine, ToWorker::Score);
    let first = run_until(&mut engine, 500, queue);
    assert_eq!(first.unlabeled, 100);
    // The default strategy (entropy) needs classes: the spread orders the queue instead.
    let spreads: Vec<f32> = first
        .items
        .iter()
        .map(|i| {
            let estimate = i
                .estimate
                .expect("a measured target's items carry estimates");
            assert!(estimate.value.is_finite() && i.guesses.is_empty());
            estimate.spread.expect("the model has dropout")
        })
        .collect();
    assert!(spreads.iter().all(|&s| s > 0.0), "{spreads:?}");
    assert!(spreads.windows(2).all(|w| w[0] >= w[1]), "{spreads:?}");
    // The same model and seed give the same queue.
    send(&mut engine, ToWorker::Score);
    let again = run_until(&mut engine, 500, queue);
    let ids = |q: &LabelQueue| q.items.iter().map(|i| i.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&again), ids(&first));

    // A person measures the first: the value trains, and the pool shrinks.
    let measured = AssignedLabel {
        id: first.items[0].id.clone(),
        class: 0,
        source: LabelSource::Human,
        value: Some(2.5),
    };
    send(
        &mut engine,
        ToWorker::SetLabels {
            key: key.clone(),
            labels: vec![measured.clone()],
            rejected: vec![],
        },
    );
    send(&mut engine, ToWorker::Score);
    let second = run_until(&mut engine, 500, queue);
    assert_eq!((second.unlabeled, second.human), (99, 1));
    assert!(second.items.iter().all(|i| i.id != measured.id));
    send(&mut engine, ToWorker::ExportLabels);
    let download = |m: &FromWorker| match m {
        FromWorker::Download { text, .. } => Some(text.clone()),
        _ => None,
    };
    let labels = run_until(&mut engine, 10, download);
    assert_eq!(
        labels,
        format!("id,value,source\r\n{},2.5,human\r\n", measured.id)
    );
    send(&mut engine, ToWorker::ExportPredictions);
    let predictions = run_until(&mut engine, 500, download);
    let row = predictions
        .lines()
        .find(|l| l.starts_with(&format!("{},", measured.id)))
        .unwrap();
    assert!(row.contains(",train,2.5,"), "{row}");
    // A class labels file does not fit (its labels are no numbers); the values file does.
    send(
        &mut engine,
        ToWorker::ImportLabels {
            file: "classes.csv".into(),
            text: format!("id,label\n{},high\n", measured.id),
        },
    );
    assert!(take(&engine).iter().any(
        |m| matches!(m, FromWorker::Error(e) if e.contains("classes.csv, line 2") && e.contains("not a number"))
    ));
    send(
        &mut engine,
        ToWorker::ImportLabels {
            file: "values.csv".into(),
            text: labels,
        },
    );
    assert!(
        take(&engine)
            .iter()
            .any(|m| matches!(m, FromWorker::LabelsRead(read) if read == &vec![measured.clone()]))
    );
    // The label-budget experiment needs classes and says so.
    send(&mut engine, ToWorker::RunBudget(BudgetConfig::default()));
    assert!(
        take(&engine)
            .iter()
            .any(|m| matches!(m, FromWorker::Error(e) if e.contains("for classes")))
    );

    // Without dropout there is no spread to sample; the queue still comes.
    let plain = Experiment {
        model: ModelConfig::Gnn(GnnConfig {
            dropout: 0.0,
            ..gin
        }),
        ..experiment
    };
    send(&mut engine, ToWorker::Configure(plain));
    send(&mut engine, ToWorker::Score);
    let without = run_until(&mut engine, 500, queue);
    assert_eq!(without.unlabeled, 99);
    assert!(
        without
            .items
            .iter()
            .all(|i| i.estimate.unwrap().spread.is_none())
    );
}
