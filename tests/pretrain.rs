//! Self-supervised pretraining and transfer: NT-Xent against a value worked by hand and against
//! finite differences, pretraining then fine-tuning against training from scratch with five
//! labels per class, and an encoder carried to another dataset. A binary of its own: its
//! seeded runs share no device generator with other tests, so they repeat.

mod platform;

use burn::prelude::*;
use burn::tensor::TensorData;
use petri::ml::data::BuiltinDataset;
use petri::ml::experiment::Experiment;
use petri::ml::label::Collection;
use petri::ml::models::{CnnConfig, ConvBlock, ModelConfig};
use petri::ml::pretrain::{PretrainConfig, Pretraining, nt_xent};
use petri::ml::session::Session;
use std::sync::{Arc, Mutex, MutexGuard};

/// Burn draws initial weights from one global generator: one seeded model at a time.
fn one_model_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn tensor(values: &[f32], shape: [usize; 2], device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(values.to_vec(), shape), device)
}

/// NT-Xent computed on the host in f64, row by row, as SimCLR's paper writes it.
fn host_nt_xent(first: &[f32], second: &[f32], width: usize, temperature: f64) -> f64 {
    let rows: Vec<Vec<f64>> = first
        .chunks(width)
        .chain(second.chunks(width))
        .map(|row| {
            let norm = row.iter().map(|&v| (v as f64).powi(2)).sum::<f64>().sqrt();
            row.iter().map(|&v| v as f64 / norm).collect()
        })
        .collect();
    let n = rows.len() / 2;
    let similarity = |a: &[f64], b: &[f64]| -> f64 {
        a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>() / temperature
    };
    let mut total = 0.0;
    for i in 0..2 * n {
        let positive = similarity(&rows[i], &rows[(i + n) % (2 * n)]);
        let others: f64 = (0..2 * n)
            .filter(|&k| k != i)
            .map(|k| similarity(&rows[i], &rows[k]).exp())
            .sum();
        total += others.ln() - positive;
    }
    total / (2 * n) as f64
}

#[test]
fn nt_xent_matches_a_value_worked_by_hand_and_its_gradient_checks() {
    let device = Device::flex();
    // Two samples along the axes, each view equal to its sample: every row is 1 from its
    // positive and 0 from the two others, so each term is ln(e + 2) − 1.
    let axes = [1.0f32, 0.0, 0.0, 1.0];
    let loss: f32 = nt_xent(
        tensor(&axes, [2, 2], &device),
        tensor(&axes, [2, 2], &device),
        1.0,
    )
    .into_scalar();
    let by_hand = (std::f64::consts::E + 2.0).ln() - 1.0;
    assert!((loss as f64 - by_hand).abs() < 1e-5, "{loss} vs {by_hand}");
    // One sample: its other view is the only candidate, so nothing is left to learn.
    let one: f32 = nt_xent(
        tensor(&[0.3, -2.0], [1, 2], &device),
        tensor(&[1.0, 0.5], [1, 2], &device),
        0.5,
    )
    .into_scalar();
    assert!(one.abs() < 1e-6, "{one}");

    // Three samples of width 4 at temperature 0.5: the value and the gradient with respect
    // to every input against the host's loss and its central differences.
    let first = [
        0.3f32, -1.2, 2.0, 0.5, 0.5, -0.1, -2.0, 1.0, 0.0, 1.5, 0.2, -0.7,
    ];
    let second = [
        0.1f32, -0.9, 1.7, 0.8, 0.9, 0.4, -1.5, 0.2, -0.6, 1.1, 0.9, -0.2,
    ];
    let autodiff = device.autodiff();
    let a = tensor(&first, [3, 4], &autodiff).require_grad();
    let b = tensor(&second, [3, 4], &autodiff).require_grad();
    let loss = nt_xent(a.clone(), b.clone(), 0.5);
    let value: f32 = loss.clone().into_scalar();
    let host = host_nt_xent(&first, &second, 4, 0.5);
    assert!((value as f64 - host).abs() < 1e-5, "{value} vs {host}");
    let grads = loss.backward();
    let read = |t: Tensor<2>| -> Vec<f32> {
        t.grad(&grads)
            .unwrap()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap()
    };
    let (grad_a, grad_b) = (read(a), read(b));
    let h = 1e-3f32;
    for i in 0..first.len() {
        for (which, gradient) in [(0, &grad_a), (1, &grad_b)] {
            let (mut up, mut down) = ((first, second), (first, second));
            if which == 0 {
                up.0[i] += h;
                down.0[i] -= h;
            } else {
                up.1[i] += h;
                down.1[i] -= h;
            }
            let numeric = (host_nt_xent(&up.0, &up.1, 4, 0.5)
                - host_nt_xent(&down.0, &down.1, 4, 0.5))
                / (2.0 * h as f64);
            assert!(
                (gradient[i] as f64 - numeric).abs() < 1e-3,
                "view {which}, value {i}: {} vs {numeric}",
                gradient[i]
            );
        }
    }
}

/// Shapes with five labels per class, for a CNN whose three pooled blocks leave a 64-value
/// embedding that does not depend on where in the image a feature was (the default CNN's
/// flattened 16×5×5 maps do, and 20 labels cannot teach a linear head every position).
fn five_per_class() -> (Experiment, Arc<petri::ml::data::Dataset>) {
    let block = |channels| ConvBlock {
        channels,
        kernel: 3,
        pool: true,
    };
    let mut experiment = Experiment {
        model: ModelConfig::Cnn(CnnConfig {
            blocks: vec![block(16), block(32), block(64)],
            ..CnnConfig::default()
        }),
        learning_rate: 0.001,
        ..Experiment::default()
    };
    experiment.labeling.labels_per_class = Some(5);
    let collection = Collection::builtin(BuiltinDataset::Shapes, experiment.seed, Some(5));
    let dataset = Arc::new(collection.dataset(&vec![None; collection.pool.len()]));
    (experiment, dataset)
}

fn accuracy_after(session: &mut Session, steps: usize) -> f64 {
    for _ in 0..steps {
        session.train_step();
    }
    pollster::block_on(session.evaluate()).unwrap().accuracy
}

#[test]
fn pretraining_on_the_pool_then_fine_tuning_beats_training_from_scratch() {
    let _lock = one_model_at_a_time();
    let (experiment, dataset) = five_per_class();
    let device = Device::flex();
    let mut scratch = Session::new(&experiment, dataset.clone(), &device).unwrap();
    let from_scratch = accuracy_after(&mut scratch, 300);

    let mut pretraining =
        Pretraining::new(&experiment, &dataset, PretrainConfig::default(), &device).unwrap();
    assert_eq!(
        pretraining.samples(),
        dataset.train.len() + dataset.unlabeled.len()
    );
    let mut losses = Vec::new();
    while !pretraining.is_done() {
        pretraining.train_step();
        if pretraining.step().is_multiple_of(100) {
            losses.push(
                pollster::block_on(pretraining.read_loss())
                    .unwrap()
                    .unwrap()
                    .1,
            );
        }
    }
    assert!(
        losses.last().unwrap() < &(losses[0] - 0.2),
        "the contrastive loss fell: {losses:?}"
    );
    let encoder = pollster::block_on(pretraining.encoder_weights()).unwrap();

    let mut fine_tuned = Session::new(&experiment, dataset.clone(), &device).unwrap();
    let transfer = fine_tuned.start_from(&encoder);
    assert_eq!(transfer.loaded, 6, "three conv layers' weights and biases");
    assert_eq!(transfer.unused, vec!["head.weight", "head.bias"]);
    assert_eq!(
        transfer.kept,
        vec!["head.weight: a new head", "head.bias: a new head"]
    );
    let pretrained = accuracy_after(&mut fine_tuned, 300);

    // The head alone, at a step size a linear head needs, on the pretrained encoder and, as
    // the control, on a freshly initialised one.
    let probe_experiment = Experiment {
        head_only: true,
        learning_rate: 0.005,
        ..experiment.clone()
    };
    let mut probe = Session::new(&probe_experiment, dataset.clone(), &device).unwrap();
    probe.start_from(&encoder);
    let linear_probe = accuracy_after(&mut probe, 300);
    let mut random = Session::new(&probe_experiment, dataset, &device).unwrap();
    let random_probe = accuracy_after(&mut random, 300);
    eprintln!(
        "losses {losses:?}; scratch {from_scratch:.3}, pretrained and fine-tuned \
         {pretrained:.3}, linear probe {linear_probe:.3} (on a random encoder {random_probe:.3})"
    );
    assert!(
        linear_probe >= from_scratch + 0.10,
        "linear probe {linear_probe:.3} vs scratch {from_scratch:.3}"
    );
    assert!(
        pretrained >= from_scratch + 0.03,
        "fine-tuned {pretrained:.3} vs scratch {from_scratch:.3}"
    );
    assert!(
        linear_probe >= random_probe + 0.15,
        "linear probe {linear_probe:.3} vs on a random encoder {random_probe:.3}"
    );
}

#[test]
fn an_encoder_carries_to_other_data_and_names_what_does_not_fit() {
    let _lock = one_model_at_a_time();
    let device = Device::flex();
    let experiment = Experiment::default();
    let shapes = Collection::builtin(BuiltinDataset::Shapes, 1, None);
    let shapes = Arc::new(shapes.dataset(&vec![None; shapes.pool.len()]));
    let mut trained = Session::new(&experiment, shapes, &device).unwrap();
    for _ in 0..5 {
        trained.train_step();
    }
    let weights =
        pollster::block_on(petri::ml::weights::read_weights(trained.trainer().model())).unwrap();

    // Cells: three classes, the same 28×28 images: every tensor but the head fits.
    let cells_experiment = Experiment {
        dataset: BuiltinDataset::Cells.into(),
        ..experiment.clone()
    };
    let cells = Collection::builtin(BuiltinDataset::Cells, 1, None);
    let cells = Arc::new(cells.dataset(&vec![None; cells.pool.len()]));
    let mut carried = Session::new(&cells_experiment, cells.clone(), &device).unwrap();
    let transfer = carried.start_from(&weights);
    assert_eq!(transfer.loaded, weights.len() - 2);
    assert!(transfer.describe().contains("the head starts new"));

    // A wider second conv block: its weights cannot be taken and are named.
    let ModelConfig::Cnn(cnn) = &experiment.model else {
        panic!("the default model for Shapes is a CNN")
    };
    let mut wider: CnnConfig = cnn.clone();
    wider.blocks[1].channels *= 2;
    let wider_experiment = Experiment {
        model: ModelConfig::Cnn(wider),
        ..cells_experiment
    };
    let mut misfit = Session::new(&wider_experiment, cells, &device).unwrap();
    let transfer = misfit.start_from(&weights);
    assert!(transfer.loaded >= 2, "{transfer:?}");
    let said = transfer.describe();
    assert!(
        said.contains("blocks.1") || said.contains("convs.1"),
        "{said}"
    );
    assert!(said.contains("in the weights"), "{said}");
}

#[test]
fn the_engine_pretrains_starts_runs_from_the_encoder_and_goes_back_on_request() {
    use petri::protocol::{FromWorker, ToWorker};
    use platform::{cpu_engine, send, take};
    let _lock = one_model_at_a_time();
    let mut engine = cpu_engine();
    let mut experiment = Experiment::default();
    experiment.labeling.labels_per_class = Some(2);
    send(&mut engine, ToWorker::Configure(experiment));
    // The embeddings view reads the run's model: before any pretraining, the fresh weights.
    let embeddings = |engine: &mut petri::engine::Engine<platform::TestPlatform>| {
        send(
            engine,
            ToWorker::Project {
                method: petri::protocol::Projection::Pca,
                every_sample: false,
            },
        );
        take(engine)
            .into_iter()
            .find_map(|m| match m {
                FromWorker::Projection { view, .. } => Some(view.xy),
                _ => None,
            })
            .expect("a PCA view")
    };
    let fresh = embeddings(&mut engine);
    let config = PretrainConfig {
        steps: 6,
        batch_size: 16,
        ..PretrainConfig::default()
    };
    let bad = PretrainConfig {
        temperature: 0.0,
        ..config
    };
    send(&mut engine, ToWorker::Pretrain(bad));
    assert!(
        take(&engine)
            .iter()
            .any(|m| matches!(m, FromWorker::Error(e) if e.contains("temperature")))
    );

    // Cancelled: nothing changes.
    send(&mut engine, ToWorker::Pretrain(config));
    send(&mut engine, ToWorker::Pause);
    let said = take(&engine);
    assert!(
        said.iter()
            .any(|m| matches!(m, FromWorker::PretrainStarted { steps: 6, .. }))
    );
    assert!(said.contains(&FromWorker::PretrainDone { finished: false }));
    assert!(
        !said
            .iter()
            .any(|m| matches!(m, FromWorker::StartingPoint(_)))
    );

    send(&mut engine, ToWorker::Pretrain(config));
    let mut said = Vec::new();
    for _ in 0..200 {
        said.extend(take(&engine));
        if said
            .iter()
            .any(|m| matches!(m, FromWorker::StartingPoint(_)))
        {
            break;
        }
        pollster::block_on(engine.run_slice());
    }
    let losses: Vec<f64> = said
        .iter()
        .filter_map(|m| match m {
            FromWorker::PretrainLoss { loss, .. } => Some(*loss),
            _ => None,
        })
        .collect();
    assert!(!losses.is_empty() && losses.iter().all(|l| l.is_finite() && *l > 0.0));
    assert!(said.contains(&FromWorker::PretrainDone { finished: true }));
    assert!(said.iter().any(|m| matches!(m, FromWorker::RunStarted(_))));
    let start = said
        .iter()
        .find_map(|m| match m {
            FromWorker::StartingPoint(Some(start)) => Some(start.clone()),
            _ => None,
        })
        .expect("the run starts from the pretrained encoder");
    assert!(
        start.origin.contains("pretrained without labels"),
        "{start:?}"
    );
    assert_eq!(start.loaded, 4, "two conv layers' weights and biases");
    // Before any label is used, the embeddings view shows the pretrained space.
    let pretrained = embeddings(&mut engine);
    assert_eq!(pretrained.len(), fresh.len());
    assert_ne!(pretrained, fresh, "the view reads the pretrained encoder");

    // A file that is no model is refused by name; the start stays.
    send(
        &mut engine,
        ToWorker::StartFromFile {
            file: petri::ml::import::UploadFile {
                name: "notes.safetensors".into(),
                bytes: b"not a model".to_vec(),
            },
        },
    );
    let said = take(&engine);
    assert!(said.iter().any(|m| matches!(m,
        FromWorker::Error(e) if e.contains("notes.safetensors") && e.contains("Nothing was changed"))));
    assert!(
        !said
            .iter()
            .any(|m| matches!(m, FromWorker::StartingPoint(_)))
    );

    send(&mut engine, ToWorker::StartFromScratch);
    assert!(take(&engine).contains(&FromWorker::StartingPoint(None)));
    assert_eq!(
        embeddings(&mut engine),
        fresh,
        "fresh weights again, the same seed"
    );
}

#[test]
fn sequences_and_graphs_pretrain_too_and_node_data_is_refused() {
    let _lock = one_model_at_a_time();
    let device = Device::flex();
    let config = PretrainConfig {
        steps: 3,
        batch_size: 16,
        ..PretrainConfig::default()
    };
    for dataset in [
        BuiltinDataset::DnaMotif,
        BuiltinDataset::Waveforms,
        BuiltinDataset::Molecules,
    ] {
        let experiment = Experiment {
            dataset: dataset.into(),
            model: ModelConfig::default_for_dataset(dataset),
            ..Experiment::default()
        };
        let collection = Collection::builtin(dataset, 1, Some(3));
        let data = collection.dataset(&vec![None; collection.pool.len()]);
        let mut run = Pretraining::new(&experiment, &data, config, &device).unwrap();
        while !run.is_done() {
            run.train_step();
        }
        let (step, loss) = pollster::block_on(run.read_loss()).unwrap().unwrap();
        assert_eq!(step, 3);
        assert!(loss.is_finite() && loss > 0.0, "{dataset:?}: {loss}");
        let encoder = pollster::block_on(run.encoder_weights()).unwrap();
        let mut session = Session::new(&experiment, Arc::new(data), &device).unwrap();
        let transfer = session.start_from(&encoder);
        assert_eq!(
            transfer.loaded + 2,
            encoder.len(),
            "{dataset:?}: {transfer:?}"
        );
    }
    let karate = BuiltinDataset::KarateClub;
    let experiment = Experiment {
        dataset: karate.into(),
        model: ModelConfig::default_for_dataset(karate),
        ..Experiment::default()
    };
    let data = karate.generate(1);
    let refused = Pretraining::new(&experiment, &data, config, &device)
        .err()
        .unwrap();
    assert!(refused.contains("images, sequences or graphs"), "{refused}");
}

/// Masked pretraining on `dataset` with `model`: the loss after each of `steps` steps.
fn masked_losses(
    dataset: BuiltinDataset,
    model: ModelConfig,
    steps: usize,
) -> (
    Vec<f64>,
    Experiment,
    petri::ml::data::Dataset,
    Vec<petri::ml::export::NamedTensor>,
) {
    use petri::ml::pretrain::Objective;
    let device = Device::flex();
    let experiment = Experiment {
        dataset: dataset.into(),
        model,
        ..Experiment::default()
    };
    let collection = Collection::builtin(dataset, 1, Some(3));
    let data = collection.dataset(&vec![None; collection.pool.len()]);
    let config = PretrainConfig {
        objective: Objective::Masked,
        steps,
        batch_size: 32,
        ..PretrainConfig::default()
    };
    let mut run = Pretraining::new(&experiment, &data, config, &device).unwrap();
    let mut losses = Vec::new();
    while !run.is_done() {
        run.train_step();
        let (_, loss) = pollster::block_on(run.read_loss()).unwrap().unwrap();
        losses.push(loss);
    }
    let encoder = pollster::block_on(run.encoder_weights()).unwrap();
    (losses, experiment, data, encoder)
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

#[test]
fn masked_prediction_fills_in_what_the_context_tells_and_nothing_hidden_leaks() {
    use petri::ml::models::TransformerConfig;
    let _lock = one_model_at_a_time();
    // Waveforms (numbers, squared error): a hidden step of a smooth curve is near its
    // neighbours'.
    let waveforms = BuiltinDataset::Waveforms;
    let (losses, ..) = masked_losses(waveforms, ModelConfig::default_for_dataset(waveforms), 60);
    let (first, last) = (mean(&losses[..5]), mean(&losses[losses.len() - 5..]));
    println!("waveforms (GRU): squared error {first:.3} → {last:.3}");
    assert!(
        last < 0.6 * first,
        "the GRU learns to interpolate: {first} → {last}"
    );
    // The noise on each step cannot be told from its neighbours (0.01 when the step leaks).
    assert!(last > 0.1, "a hidden step leaked: {last}");

    // DNA (letters, cross-entropy over ACGT): bases outside the motif are random, so the loss
    // can fall only a little below ln 4; a hidden base that leaked would drive it to 0.
    let dna = BuiltinDataset::DnaMotif;
    for model in [
        ModelConfig::default_for_dataset(dna),
        ModelConfig::Transformer(TransformerConfig::default()),
    ] {
        let family = model.family();
        let (losses, experiment, data, encoder) = masked_losses(dna, model, 30);
        let last = mean(&losses[losses.len() - 5..]);
        println!(
            "DNA ({family:?}): cross-entropy {:.3} → {last:.3}",
            losses[0]
        );
        assert!(
            last > 1.2 && last < 4f64.ln() + 0.05,
            "{family:?}: {losses:?}"
        );
        // The run starts from the encoder; only the head is new.
        let mut session = Session::new(&experiment, Arc::new(data), &Device::flex()).unwrap();
        let transfer = session.start_from(&encoder);
        assert_eq!(
            transfer.loaded + 2,
            encoder.len(),
            "{family:?}: {transfer:?}"
        );
    }

    // Images are pretrained by contrast; masked prediction says so.
    let (experiment, dataset) = five_per_class();
    let refused = Pretraining::new(
        &experiment,
        &dataset,
        PretrainConfig {
            objective: petri::ml::pretrain::Objective::Masked,
            ..PretrainConfig::default()
        },
        &Device::flex(),
    )
    .err()
    .unwrap();
    assert!(
        refused.contains("sequences") && refused.contains("contrast"),
        "{refused}"
    );
}
