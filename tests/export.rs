//! Taking work out of Petri and back: model files (export → import → identical logits, and the
//! same logits from PyTorch through `python/petri_torch.py`), `.petri` experiment files through
//! the engine, and the `petri` command line.

mod platform;

use burn::prelude::*;
use petri::engine::Engine;
use petri::ml::data::{BatchInput, BuiltinDataset, Dataset};
use petri::ml::experiment::{DatasetId, Experiment};
use petri::ml::export::{read_archive, read_model, write_archive};
use petri::ml::import::{self, ImportOptions, UploadFile};
use petri::ml::label::{AssignedLabel, Collection, LabelSource};
use petri::ml::models::{
    CellKind, CnnConfig, GnnConfig, GnnKind, MlpConfig, ModelConfig, Pooling, Positions, Readout,
    RnnConfig, TokenPooling, TransformerConfig,
};
use petri::ml::session::Session;
use petri::protocol::{FromWorker, ToWorker};
use platform::{TestPlatform, cpu_engine, take};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn upload(path: &str) -> UploadFile {
    UploadFile {
        name: path.rsplit('/').next().unwrap().to_string(),
        bytes: std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}")),
    }
}

fn table_dataset(seed: u64) -> Dataset {
    let imported = import::import(
        &[upload("assets/examples/table.csv")],
        &ImportOptions::default(),
        &mut |_| {},
    )
    .expect("the example table reads");
    let collection = Collection::upload(&imported, seed);
    let (assigned, _) = collection.assign(&[]);
    collection.dataset(&assigned)
}

/// One model of each family, on data it learns from.
fn cases() -> Vec<(&'static str, Experiment, Dataset)> {
    let builtin = |dataset: BuiltinDataset, model: ModelConfig| Experiment {
        dataset: dataset.into(),
        model,
        seed: 3,
        ..Experiment::default()
    };
    vec![
        (
            "cnn",
            builtin(
                BuiltinDataset::Shapes,
                ModelConfig::Cnn(CnnConfig {
                    batch_norm: true,
                    padding: petri::ml::models::Padding::Same,
                    ..CnnConfig::default()
                }),
            ),
            BuiltinDataset::Shapes.generate(3),
        ),
        (
            "cnn1d",
            builtin(
                BuiltinDataset::DnaMotif,
                ModelConfig::default_for_dataset(BuiltinDataset::DnaMotif),
            ),
            BuiltinDataset::DnaMotif.generate(3),
        ),
        (
            "gru",
            builtin(
                BuiltinDataset::Waveforms,
                ModelConfig::Rnn(RnnConfig {
                    hidden: 12,
                    bidirectional: true,
                    ..RnnConfig::default()
                }),
            ),
            BuiltinDataset::Waveforms.generate(3),
        ),
        (
            "lstm",
            builtin(
                BuiltinDataset::DnaMotif,
                ModelConfig::Rnn(RnnConfig {
                    cell: CellKind::Lstm,
                    layers: 2,
                    hidden: 8,
                    pooling: Pooling::Mean,
                    ..RnnConfig::default()
                }),
            ),
            BuiltinDataset::DnaMotif.generate(3),
        ),
        (
            "transformer",
            builtin(
                BuiltinDataset::DnaMotif,
                ModelConfig::Transformer(TransformerConfig::default()),
            ),
            BuiltinDataset::DnaMotif.generate(3),
        ),
        (
            "transformer-patches",
            builtin(
                BuiltinDataset::Waveforms,
                ModelConfig::Transformer(TransformerConfig {
                    kmer: 6,
                    stride: 4,
                    positions: Positions::Learned,
                    pre_norm: false,
                    pooling: TokenPooling::Mean,
                    heads: 2,
                    width: 16,
                    ..TransformerConfig::default()
                }),
            ),
            BuiltinDataset::Waveforms.generate(3),
        ),
        (
            "gin",
            builtin(
                BuiltinDataset::Molecules,
                ModelConfig::Gnn(GnnConfig {
                    kind: GnnKind::Gin,
                    readout: Readout::Max,
                    ..GnnConfig::default()
                }),
            ),
            BuiltinDataset::Molecules.generate(3),
        ),
        (
            "gat",
            builtin(
                BuiltinDataset::Molecules,
                ModelConfig::Gnn(GnnConfig {
                    kind: GnnKind::Gat,
                    ..GnnConfig::default()
                }),
            ),
            BuiltinDataset::Molecules.generate(3),
        ),
        (
            "gcn",
            builtin(
                BuiltinDataset::KarateClub,
                ModelConfig::Gnn(GnnConfig {
                    activation: petri::ml::models::Activation::Gelu,
                    ..GnnConfig::default()
                }),
            ),
            BuiltinDataset::KarateClub.generate(3),
        ),
        (
            "gin-measured",
            Experiment {
                dataset: DatasetId::Uploaded,
                model: ModelConfig::Gnn(GnnConfig {
                    kind: GnnKind::Gin,
                    ..GnnConfig::default()
                }),
                seed: 3,
                ..Experiment::default()
            },
            smiles_dataset(3),
        ),
        (
            "gine-bonds",
            Experiment {
                dataset: DatasetId::Uploaded,
                model: ModelConfig::Gnn(GnnConfig {
                    kind: GnnKind::Gine,
                    readout: Readout::Sum,
                    ..GnnConfig::default()
                }),
                seed: 3,
                ..Experiment::default()
            },
            molecules_dataset(3),
        ),
        (
            "mlp",
            Experiment {
                dataset: DatasetId::Uploaded,
                model: ModelConfig::Mlp(MlpConfig::default()),
                seed: 3,
                ..Experiment::default()
            },
            table_dataset(3),
        ),
    ]
}

/// The example molecules with classes, single, double, triple and aromatic bonds among them.
fn molecules_dataset(seed: u64) -> Dataset {
    let imported = import::import(
        &[upload("assets/examples/molecules.csv")],
        &ImportOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let collection = Collection::upload(&imported, seed);
    let dataset = collection.dataset(&vec![None; collection.pool.len()]);
    let petri::ml::data::Samples::Graphs(set) = &dataset.valid else {
        panic!("molecules are graphs")
    };
    let mut kinds: Vec<u8> = set.graphs.iter().flat_map(|g| g.bonds.clone()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert!(kinds.len() >= 3, "bond kinds in validation: {kinds:?}");
    dataset
}

/// The first 200 molecules of the example SMILES file and their measured logP.
fn smiles_dataset(seed: u64) -> Dataset {
    let text = std::fs::read_to_string("assets/examples/lipophilicity.csv").unwrap();
    let head: String = text.lines().take(201).map(|l| format!("{l}\n")).collect();
    let file = UploadFile {
        name: "lipophilicity.csv".into(),
        bytes: head.into_bytes(),
    };
    let imported = import::import(&[file], &ImportOptions::default(), &mut |_| {}).unwrap();
    let collection = Collection::upload(&imported, seed);
    let dataset = collection.dataset(&vec![None; collection.pool.len()]);
    assert!(dataset.is_regression());
    dataset
}

fn logits(session: &Session, indices: &[usize]) -> Vec<f32> {
    let valid = &session.dataset().valid;
    session
        .trainer()
        .logits(&session.model_batch(valid, indices).input)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap()
}

/// The raw (not standardized) inputs of a batch, as `check_petri_torch.py` reads them.
fn inputs_json(input: &BatchInput) -> serde_json::Value {
    use serde_json::json;
    match input {
        BatchInput::Images { pixels, shape } => json!({"values": pixels, "shape": shape}),
        BatchInput::Table { values, shape } => json!({"values": values, "shape": shape}),
        BatchInput::Sequences {
            values,
            shape,
            lengths,
        } => json!({"values": values, "shape": shape, "lengths": lengths}),
        BatchInput::Graphs {
            features,
            feature_dim,
            edges,
            bonds,
            node_graph,
            graphs,
        } => json!({"values": features, "shape": [node_graph.len(), feature_dim],
                    "edges": edges, "bonds": bonds, "node_graph": node_graph, "graphs": graphs}),
        BatchInput::Nodes {
            features,
            feature_dim,
            edges,
            targets,
        } => json!({"values": features, "shape": [features.len() / feature_dim, feature_dim],
                    "edges": edges, "targets": targets}),
    }
}

#[test]
fn model_files_reload_to_the_same_logits_here_and_in_pytorch() {
    let folder = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("petri-torch-cases");
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    let device = Device::flex();
    for (name, experiment, dataset) in cases() {
        let dataset = Arc::new(dataset);
        let mut session = Session::new(&experiment, dataset.clone(), &device).unwrap();
        for _ in 0..5 {
            session.train_step();
        }
        let indices: Vec<usize> = (0..dataset.valid.len().min(8)).collect();
        let before = logits(&session, &indices);
        let file = pollster::block_on(session.model_file()).unwrap();

        let (description, tensors) = read_model(name, &file).unwrap();
        assert_eq!(description.model, experiment.model, "{name}");
        assert_eq!(description.classes, dataset.class_names, "{name}");
        if name == "cnn" {
            let names: Vec<&str> = tensors.iter().map(|t| t.name.as_str()).collect();
            for expected in ["convs.0.weight", "norms.0.weight", "norms.0.running_var"] {
                assert!(names.contains(&expected), "{names:?}");
            }
            let head = tensors.iter().find(|t| t.name == "head.weight").unwrap();
            assert_eq!(
                head.shape[0], 4,
                "linear weights are [out, in] as in PyTorch"
            );
        }

        // Another seed: other initial weights, until the file's are loaded.
        let other = Experiment {
            seed: 99,
            ..experiment.clone()
        };
        let mut fresh = Session::new(&other, dataset.clone(), &device).unwrap();
        assert_ne!(
            logits(&fresh, &indices),
            before,
            "{name}: a fresh model differs"
        );
        fresh.load_model_file(name, &file).unwrap();
        assert_eq!(logits(&fresh, &indices), before, "{name}: reloaded logits");

        // A measured target: PyTorch returns values in the target's units, as Petri predicts.
        let expected = if dataset.is_regression() {
            let values = session.predict(&dataset.valid, &indices).probabilities;
            let values = values.into_data().try_to_vec::<f32>().unwrap();
            let scale = description
                .measured
                .expect("a measured target is described");
            for (value, logit) in values.iter().zip(&before) {
                assert!((value - scale.restore(*logit)).abs() < 1e-4, "{name}");
            }
            values
        } else {
            before.clone()
        };
        let raw = dataset.valid.batch(&indices);
        let case = serde_json::json!({"inputs": inputs_json(&raw.input), "logits": expected});
        std::fs::write(folder.join(format!("{name}.json")), case.to_string()).unwrap();
        std::fs::write(folder.join(format!("{name}.safetensors")), &file).unwrap();
    }

    // A file for another architecture is refused with its name.
    let (_, experiment, dataset) = cases().remove(0);
    let mut session = Session::new(&experiment, Arc::new(dataset), &device).unwrap();
    let cases = cases();
    let (_, mlp, table) = cases.last().unwrap();
    let mlp_session = Session::new(mlp, Arc::new(table.clone()), &device).unwrap();
    let mlp_file = pollster::block_on(mlp_session.model_file()).unwrap();
    let message = session
        .load_model_file("mlp.safetensors", &mlp_file)
        .unwrap_err();
    assert!(message.contains("mlp.safetensors"), "{message}");

    check_in_pytorch(&folder);
}

/// Runs `python/check_petri_torch.py` in the environment `scripts/python-env` makes (torch
/// and safetensors, cached outside the clone).
fn check_in_pytorch(folder: &Path) {
    let env = std::process::Command::new("scripts/python-env")
        .output()
        .expect("scripts/python-env runs");
    assert!(
        env.status.success(),
        "the Python environment could not be made: {}",
        String::from_utf8_lossy(&env.stderr)
    );
    let python = String::from_utf8(env.stdout).unwrap().trim().to_string();
    let check = std::process::Command::new(&python)
        .arg("python/check_petri_torch.py")
        .arg(folder)
        .output()
        .expect("python runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    println!("{report}");
    assert!(check.status.success(), "PyTorch disagrees:\n{report}");
    assert_eq!(report.matches(" ok").count(), 12, "{report}");
}

fn new_engine() -> Engine<TestPlatform> {
    cpu_engine()
}

/// Hands `message` to the engine; what it posted.
fn send(engine: &mut Engine<TestPlatform>, message: ToWorker) -> Vec<FromWorker> {
    platform::send(engine, message);
    take(engine)
}

fn steps(engine: &mut Engine<TestPlatform>, count: u32) -> Vec<FromWorker> {
    let mut seen = Vec::new();
    for _ in 0..count {
        seen.extend(send(engine, ToWorker::Step));
        while engine.is_busy() {
            pollster::block_on(engine.run_slice());
        }
        seen.extend(std::mem::take(&mut *engine.platform().posted.borrow_mut()));
    }
    seen
}

fn last_eval(reports: &[FromWorker]) -> petri::protocol::EvalReport {
    reports
        .iter()
        .rev()
        .find_map(|m| match m {
            FromWorker::Eval(e) => Some(e.clone()),
            _ => None,
        })
        .expect("an evaluation")
}

fn file(reports: &[FromWorker]) -> UploadFile {
    reports
        .iter()
        .find_map(|m| match m {
            FromWorker::File { name, bytes } => Some(UploadFile {
                name: name.clone(),
                bytes: bytes.clone(),
            }),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no file in {} reports", reports.len()))
}

fn error(reports: &[FromWorker]) -> String {
    reports
        .iter()
        .find_map(|m| match m {
            FromWorker::Error(e) => Some(e.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no error in {} reports", reports.len()))
}

#[test]
fn experiment_files_round_trip_through_the_engine_and_bad_ones_change_nothing() {
    // A run on the table upload with hidden labels: a person's label and an accepted proposal.
    let mut engine = new_engine();
    send(
        &mut engine,
        ToWorker::Import {
            id: 5,
            files: vec![upload("assets/examples/table.csv")],
            options: ImportOptions::default(),
        },
    );
    let experiment = Experiment {
        dataset: DatasetId::Uploaded,
        model: ModelConfig::Mlp(MlpConfig::default()),
        learning_rate: 0.01,
        seed: 4,
        ..Experiment::default()
    };
    send(&mut engine, ToWorker::Configure(experiment.clone()));
    let labels = vec![AssignedLabel {
        id: "line 2".into(),
        class: 0,
        source: LabelSource::Human,
        value: None,
    }];
    send(
        &mut engine,
        ToWorker::SetLabels {
            key: experiment.labels_key(),
            labels: labels.clone(),
            rejected: vec!["line 9".into()],
        },
    );
    let trained = steps(&mut engine, 12);
    let before = last_eval(&trained);
    assert_eq!(before.step, 12);

    let exported = file(&send(
        &mut engine,
        ToWorker::ExportExperiment { include_data: true },
    ));
    assert!(exported.name.ends_with(".petri"), "{}", exported.name);
    let archive = read_archive(&exported.name, &exported.bytes).unwrap();
    assert_eq!(archive.file.experiment, experiment);
    assert_eq!(archive.file.step, 12);
    assert_eq!(archive.file.labels.labels, labels);
    assert_eq!(archive.file.labels.rejected, vec!["line 9".to_string()]);
    assert_eq!(archive.file.history.valid.len(), 12);
    assert_eq!(archive.file.history.train.len(), 12);
    assert_eq!(archive.data.len(), 1);
    assert!(archive.model.is_some());

    // A fresh engine, without the upload, opens it: same data, labels, weights and curves.
    let mut other = new_engine();
    let opened = send(
        &mut other,
        ToWorker::OpenExperiment {
            id: 9,
            file: exported.clone(),
        },
    );
    let Some(FromWorker::ExperimentOpened {
        experiment: back,
        labels: book,
        history,
        step,
        with_data,
        ..
    }) = opened
        .iter()
        .find(|m| matches!(m, FromWorker::ExperimentOpened { .. }))
    else {
        panic!("not opened: {}", error(&opened));
    };
    assert_eq!(*back, experiment);
    assert_eq!(book.labels, labels);
    assert_eq!(*step, 12);
    assert!(*with_data);
    assert_eq!(history, &archive.file.history);
    assert!(
        opened
            .iter()
            .any(|m| matches!(m, FromWorker::Imported(s) if s.id == 9))
    );
    // The UI gets the files back, to keep them as its upload.
    assert!(opened.iter().any(|m| matches!(
        m,
        FromWorker::UploadFiles { id: 9, files, .. }
            if *files == vec![upload("assets/examples/table.csv")]
    )));
    let after = last_eval(&opened);
    assert_eq!(after.step, 12);
    assert_eq!(after.loss, before.loss, "the same predictions");
    assert_eq!(after.accuracy, before.accuracy);
    assert_eq!(after.confusion, before.confusion);

    // Training goes on from step 12, and the next export carries the whole history.
    let more = steps(&mut other, 3);
    assert_eq!(last_eval(&more).step, 15);
    let again = file(&send(
        &mut other,
        ToWorker::ExportExperiment {
            include_data: false,
        },
    ));
    let archive = read_archive(&again.name, &again.bytes).unwrap();
    assert_eq!(archive.file.history.valid.len(), 15);
    assert!(archive.data.is_empty() && archive.file.data.is_none());

    // Cut short, foreign, newer: refused with the name, and the run is untouched.
    let cut = UploadFile {
        name: "cut.petri".into(),
        bytes: exported.bytes[..exported.bytes.len() - 100].to_vec(),
    };
    let message = error(&send(
        &mut other,
        ToWorker::OpenExperiment { id: 10, file: cut },
    ));
    assert!(
        message.contains("cut.petri") && message.contains("Nothing was changed"),
        "{message}"
    );
    let foreign = upload("assets/examples/table.csv");
    let message = error(&send(
        &mut other,
        ToWorker::OpenExperiment {
            id: 11,
            file: foreign,
        },
    ));
    assert!(
        message.contains("table.csv is not a Petri experiment file"),
        "{message}"
    );
    let mut newer = read_archive(&exported.name, &exported.bytes).unwrap();
    newer.file.version += 1;
    let message = error(&send(
        &mut other,
        ToWorker::OpenExperiment {
            id: 12,
            file: UploadFile {
                name: "newer.petri".into(),
                bytes: write_archive(&newer),
            },
        },
    ));
    assert!(message.contains("newer Petri"), "{message}");
    // Data without the upload it needs.
    let message = error(&send(
        &mut engine_without_upload(),
        ToWorker::OpenExperiment {
            id: 13,
            file: again,
        },
    ));
    assert!(message.contains("upload that data first"), "{message}");
    let still = steps(&mut other, 1);
    assert_eq!(last_eval(&still).step, 16, "the run went on as before");
}

fn engine_without_upload() -> Engine<TestPlatform> {
    new_engine()
}

#[test]
fn the_command_line_trains_a_petri_file_that_the_engine_opens() {
    let folder = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("petri-cli");
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    // A built-in experiment saved by the page before any training.
    let mut engine = new_engine();
    let experiment = Experiment {
        dataset: BuiltinDataset::Shapes.into(),
        seed: 8,
        ..Experiment::default()
    };
    send(&mut engine, ToWorker::Configure(experiment.clone()));
    let saved = file(&send(
        &mut engine,
        ToWorker::ExportExperiment { include_data: true },
    ));
    let input = folder.join("shapes.petri");
    std::fs::write(&input, &saved.bytes).unwrap();
    let output = folder.join("trained.petri");
    let log = folder.join("log.jsonl");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_petri"))
        .args(["train", input.to_str().unwrap(), "--steps", "300", "--out"])
        .arg(&output)
        .arg("--log")
        .arg(&log)
        .args(["--backend", "cpu", "--log-every", "10"])
        .output()
        .expect("petri runs");
    let said = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "petri failed: {said}");

    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let train: Vec<&serde_json::Value> = lines.iter().filter(|l| l["kind"] == "train").collect();
    assert_eq!(train.len(), 30, "a line every 10 steps");
    assert_eq!(train.last().unwrap()["step"], 300);

    let trained = UploadFile {
        name: "trained.petri".into(),
        bytes: std::fs::read(&output).unwrap(),
    };
    let mut page = new_engine();
    let opened = send(
        &mut page,
        ToWorker::OpenExperiment {
            id: 1,
            file: trained,
        },
    );
    let Some(FromWorker::ExperimentOpened { step, history, .. }) = opened
        .iter()
        .find(|m| matches!(m, FromWorker::ExperimentOpened { .. }))
    else {
        panic!("not opened: {}", error(&opened));
    };
    assert_eq!(*step, 300);
    assert_eq!(history.train.len(), 30);
    let eval = last_eval(&opened);
    assert!(
        eval.accuracy > 0.8,
        "300 steps learn the shapes: {}",
        eval.accuracy
    );
}

#[test]
fn burns_learner_trains_the_run_that_the_page_would_and_several_devices_need_cuda() {
    // `--devices N` runs the run through burn-train's learner with Burn's data-parallel
    // strategy. Its all-reduce exists only on CUDA, so here the same learner, batches, loss
    // and optimizer run on one CPU device.
    let mut engine = new_engine();
    let experiment = Experiment {
        dataset: BuiltinDataset::Shapes.into(),
        seed: 8,
        ..Experiment::default()
    };
    send(&mut engine, ToWorker::Configure(experiment));
    let trained = pollster::block_on(engine.train_with_learner(
        petri::ml::parallel::Strategy::Single(Device::flex()),
        300,
        10,
    ));
    let reports = std::mem::take(&mut *engine.platform().posted.borrow_mut());
    assert!(trained, "{reports:?}");
    let train: Vec<&petri::protocol::TrainReport> = reports
        .iter()
        .filter_map(|m| match m {
            FromWorker::Train(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(
        train.iter().map(|r| r.step).collect::<Vec<_>>(),
        (1..=30).map(|k| k * 10).collect::<Vec<_>>()
    );
    assert!(
        train.last().unwrap().loss < train[0].loss * 0.5,
        "the loss falls: {:?}",
        train.iter().map(|r| r.loss).collect::<Vec<_>>()
    );
    assert_eq!(engine.step(), 300);
    let eval = last_eval(&reports);
    assert_eq!(eval.step, 300);
    assert!(
        eval.accuracy > 0.8,
        "the learner's weights are the run's: {}",
        eval.accuracy
    );
    let saved = read_archive(
        "learner.petri",
        &file(&send(
            &mut engine,
            ToWorker::ExportExperiment { include_data: true },
        ))
        .bytes,
    )
    .unwrap();
    assert_eq!(saved.file.step, 300);
    assert_eq!(saved.file.history.train.len(), 30);

    let folder = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("petri-devices");
    std::fs::create_dir_all(&folder).unwrap();
    let input = folder.join("shapes.petri");
    std::fs::write(&input, write_archive(&saved)).unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_petri"))
        .args(["train", input.to_str().unwrap(), "--steps", "10", "--out"])
        .arg(folder.join("out.petri"))
        .args(["--backend", "cpu", "--devices", "2"])
        .output()
        .expect("petri runs");
    let said = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(
        said.contains("--devices 2 needs --backend cuda"),
        "a clear refusal: {said}"
    );
}
