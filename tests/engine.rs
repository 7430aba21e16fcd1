//! The engine driven as the worker drives it, natively on Flex: requests in, reports out.

mod platform;

use petri::engine::Engine;
use petri::ml::experiment::{Compute, Experiment};
use petri::protocol::{
    AdapterInfo, Backend, FromWorker, LayersAgainst, RunState, SampleRef, SampleView, ToWorker,
};
use platform::{TestPlatform, engine_with, send, take};

fn engine() -> Engine<TestPlatform> {
    engine_with(None)
}

/// Runs slices until `done` holds for a report, or panics after `limit` slices.
fn train_until(
    engine: &mut Engine<TestPlatform>,
    limit: usize,
    done: impl Fn(&FromWorker) -> bool,
) -> Vec<FromWorker> {
    let mut seen = Vec::new();
    for _ in 0..limit {
        if !engine.is_busy() {
            let last: Vec<String> = seen.iter().rev().take(3).map(brief).collect();
            panic!("the engine stopped; last reports: {last:?}");
        }
        pollster::block_on(engine.run_slice());
        let new = take(engine);
        let finished = new.iter().any(&done);
        seen.extend(new);
        if finished {
            return seen;
        }
    }
    let last: Vec<String> = seen.iter().rev().take(3).map(brief).collect();
    panic!("condition not reached in {limit} slices; last reports: {last:?}");
}

/// A report without its sample data, for failure messages.
fn brief(message: &FromWorker) -> String {
    match message {
        FromWorker::Eval(e) => format!(
            "Eval(step {}, loss {:.3}, accuracy {:.3})",
            e.step, e.loss, e.accuracy
        ),
        FromWorker::RunStarted(r) => format!("RunStarted(seed {})", r.experiment.seed),
        other => format!("{other:?}"),
    }
}

#[test]
fn auto_without_webgpu_falls_back_to_the_cpu_and_says_why() {
    let mut engine = engine();
    send(&mut engine, ToWorker::SetCompute(Compute::Auto));
    let reports = take(&engine);
    let Some(FromWorker::Backend { backend, reason }) = reports.first() else {
        panic!("no backend report: {reports:?}");
    };
    assert_eq!(*backend, Backend::Cpu);
    assert!(reason.contains("no WebGPU adapter"), "{reason}");

    let mut engine = engine_with(Some(AdapterInfo {
        name: "google, swiftshader".into(),
        software: true,
    }));
    send(&mut engine, ToWorker::SetCompute(Compute::Auto));
    assert!(
        matches!(&take(&engine)[0], FromWorker::Backend { backend: Backend::Cpu, reason }
        if reason.contains("software renderer"))
    );

    let mut engine = engine_with(Some(AdapterInfo {
        name: "a real GPU".into(),
        software: false,
    }));
    send(&mut engine, ToWorker::SetCompute(Compute::WebGpu));
    assert!(
        matches!(&take(&engine)[0], FromWorker::Backend { backend: Backend::Cpu, reason }
        if reason.contains("not available") && reason.contains("no WebGPU"))
    );
}

#[test]
fn start_trains_to_high_accuracy_pause_stops_and_reset_restarts() {
    let mut engine = engine();
    send(&mut engine, ToWorker::Configure(Experiment::default()));
    send(&mut engine, ToWorker::SetCompute(Compute::Cpu));
    send(&mut engine, ToWorker::Start);
    let started = take(&engine);
    assert!(
        started
            .iter()
            .any(|m| matches!(m, FromWorker::RunStarted(_)))
    );
    assert!(started.contains(&FromWorker::State(RunState::Running)));

    let reports = train_until(
        &mut engine,
        2000,
        |m| matches!(m, FromWorker::Eval(e) if e.accuracy > 0.95),
    );
    let train_steps: Vec<u64> = reports
        .iter()
        .filter_map(|m| match m {
            FromWorker::Train(t) => Some(t.step),
            _ => None,
        })
        .collect();
    assert!(
        train_steps.windows(2).all(|w| w[0] < w[1]),
        "{train_steps:?}"
    );

    send(&mut engine, ToWorker::Pause);
    assert!(!engine.is_busy());
    let paused = take(&engine);
    assert!(paused.contains(&FromWorker::State(RunState::Paused)));
    let last_step = paused
        .iter()
        .chain(&reports)
        .filter_map(|m| match m {
            FromWorker::Train(t) => Some(t.step),
            _ => None,
        })
        .max()
        .unwrap();

    send(&mut engine, ToWorker::Step);
    pollster::block_on(engine.run_slice());
    let stepped = take(&engine);
    let step_after = stepped.iter().find_map(|m| match m {
        FromWorker::Train(t) => Some(t.step),
        _ => None,
    });
    assert_eq!(step_after, Some(last_step + 1));
    assert!(stepped.iter().any(|m| matches!(m, FromWorker::Eval(_))));
    assert!(!engine.is_busy(), "Step trains exactly one batch");

    send(&mut engine, ToWorker::Reset);
    let reset = take(&engine);
    assert!(reset.iter().any(|m| matches!(m, FromWorker::RunStarted(_))));
    send(&mut engine, ToWorker::Start);
    let again = train_until(&mut engine, 50, |m| matches!(m, FromWorker::Train(_)));
    let first = again.iter().find_map(|m| match m {
        FromWorker::Train(t) => Some(t.step),
        _ => None,
    });
    assert!(first.unwrap() < 100, "the step counter restarted");
}

#[test]
fn bad_settings_are_refused_and_the_run_goes_on() {
    let mut engine = engine();
    send(&mut engine, ToWorker::SetCompute(Compute::Cpu));
    send(&mut engine, ToWorker::Start);
    train_until(&mut engine, 50, |m| matches!(m, FromWorker::Train(_)));
    let bad = Experiment {
        learning_rate: f64::NAN,
        ..Experiment::default()
    };
    send(&mut engine, ToWorker::Configure(bad));
    let replies = take(&engine);
    assert!(matches!(&replies[..], [FromWorker::Error(e)] if e.contains("Learning rate")));
    assert!(engine.is_busy(), "training goes on after a refused change");

    let live = Experiment {
        learning_rate: 0.001,
        ..Experiment::default()
    };
    send(&mut engine, ToWorker::Configure(live));
    assert!(
        take(&engine).is_empty(),
        "a learning-rate change applies without a restart"
    );

    let structural = Experiment {
        seed: 77,
        ..Experiment::default()
    };
    send(&mut engine, ToWorker::Configure(structural));
    let replies = take(&engine);
    assert!(replies.iter().any(|m| matches!(m, FromWorker::Notice(_))));
    assert!(
        replies
            .iter()
            .any(|m| matches!(m, FromWorker::RunStarted(r) if r.experiment.seed == 77))
    );
    assert!(engine.is_busy(), "a restart keeps training");
}

fn example(name: &str) -> petri::ml::import::UploadFile {
    // Tests run from the package root; a path baked in at compile time would point into
    // whichever checkout last built this binary (the build cache is shared).
    let path = name.to_string();
    petri::ml::import::UploadFile {
        name: name.rsplit('/').next().unwrap().to_string(),
        bytes: std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}")),
    }
}

fn import(engine: &mut Engine<TestPlatform>, id: u64, file: &str) -> Vec<FromWorker> {
    send(
        engine,
        ToWorker::Import {
            id,
            files: vec![example(file)],
            options: Default::default(),
        },
    );
    take(engine)
}

#[test]
fn an_upload_trains_and_a_bad_one_leaves_the_run_untouched() {
    use petri::ml::experiment::DatasetId;
    use petri::ml::models::ModelConfig;
    let mut engine = engine();
    send(&mut engine, ToWorker::SetCompute(Compute::Cpu));
    let reports = import(&mut engine, 7, "assets/examples/table.csv");
    let Some(FromWorker::Imported(summary)) = reports.last() else {
        panic!(
            "no summary: {:?}",
            reports.iter().map(brief).collect::<Vec<_>>()
        );
    };
    assert_eq!(summary.id, 7);
    assert_eq!(summary.class_names.len(), 3);
    let [train, valid, test] = summary.split;
    assert_eq!(
        train + valid + test,
        summary.class_counts.iter().sum::<usize>()
    );
    assert!(valid > 0 && test > 0 && train > valid);

    let experiment = Experiment {
        dataset: DatasetId::Uploaded,
        model: ModelConfig::default_for(summary.shape.kind()),
        learning_rate: 0.01,
        ..Experiment::default()
    };
    send(&mut engine, ToWorker::Configure(experiment));
    send(&mut engine, ToWorker::Start);
    train_until(
        &mut engine,
        400,
        |m| matches!(m, FromWorker::Eval(e) if e.accuracy >= 0.8),
    );
    send(&mut engine, ToWorker::Pause);
    take(&engine);

    // A bad upload: an error naming the file and line; the run goes on where it was.
    let reports = import(&mut engine, 8, "tests/data/bad/short-row.csv");
    let Some(FromWorker::ImportFailed { id: 8, error }) = reports.last() else {
        panic!(
            "no failure: {:?}",
            reports.iter().map(brief).collect::<Vec<_>>()
        );
    };
    let message = error.to_string();
    assert!(
        message.contains("short-row.csv") && message.contains("line"),
        "{message}"
    );
    send(&mut engine, ToWorker::Step);
    let after = train_until(&mut engine, 5, |m| matches!(m, FromWorker::Eval(_)));
    assert!(
        after
            .iter()
            .any(|m| matches!(m, FromWorker::Eval(e) if e.accuracy >= 0.8)),
        "the trained model survives a bad upload"
    );
    assert!(!after.iter().any(|m| matches!(m, FromWorker::RunStarted(_))));

    // Uploading no dataset at all for an experiment that wants one is an error, not a crash.
    let mut fresh = engine_with(None);
    send(
        &mut fresh,
        ToWorker::Configure(Experiment {
            dataset: DatasetId::Uploaded,
            ..Experiment::default()
        }),
    );
    assert!(
        take(&fresh)
            .iter()
            .any(|m| matches!(m, FromWorker::Error(e) if e.contains("No uploaded dataset")))
    );
}

#[test]
fn an_uploaded_fasta_trains_with_the_upload_default_model() {
    use petri::ml::experiment::DatasetId;
    use petri::ml::models::ModelConfig;
    let mut engine = engine();
    send(&mut engine, ToWorker::SetCompute(Compute::Cpu));
    let reports = import(&mut engine, 1, "assets/examples/sequences.fasta");
    let Some(FromWorker::Imported(summary)) = reports.last() else {
        panic!("no summary");
    };
    send(
        &mut engine,
        ToWorker::Configure(Experiment {
            dataset: DatasetId::Uploaded,
            model: ModelConfig::default_for_upload(summary.shape.kind()),
            ..Experiment::default()
        }),
    );
    send(&mut engine, ToWorker::Start);
    train_until(
        &mut engine,
        3000,
        |m| matches!(m, FromWorker::Eval(e) if e.accuracy >= 0.75),
    );
}

#[test]
fn the_augmentation_preview_and_a_comparison_run_through_the_protocol() {
    use petri::ml::augment::{AugmentConfig, Preset};
    use petri::ml::data::DataKind;
    use petri::protocol::SampleView;
    let mut engine = engine();
    send(&mut engine, ToWorker::SetCompute(Compute::Cpu));
    let light = AugmentConfig::preset(Preset::Light, DataKind::Image, None);
    send(
        &mut engine,
        ToWorker::PreviewAugment {
            config: light.clone(),
            seed: 3,
        },
    );
    let reports = take(&engine);
    let Some(FromWorker::AugmentPreview(preview)) = reports.last() else {
        panic!(
            "no preview: {:?}",
            reports.iter().map(brief).collect::<Vec<_>>()
        );
    };
    assert_eq!(preview.rows.len(), 4);
    assert!(preview.rows.iter().all(|row| row.len() == 6));
    assert!(matches!(preview.rows[0][1], SampleView::Image { .. }));
    assert_ne!(preview.rows[0][0], preview.rows[0][1], "augmented differs");
    assert_eq!(preview.training_samples, 2400);
    send(
        &mut engine,
        ToWorker::PreviewAugment {
            config: light.clone(),
            seed: 3,
        },
    );
    assert_eq!(
        take(&engine).last(),
        Some(&FromWorker::AugmentPreview(preview.clone())),
        "the same seed draws the same preview"
    );
    send(
        &mut engine,
        ToWorker::PreviewAugment {
            config: AugmentConfig::none(),
            seed: 3,
        },
    );
    let Some(FromWorker::AugmentPreview(plain)) = take(&engine).pop() else {
        panic!("no preview");
    };
    assert!(
        plain
            .rows
            .iter()
            .all(|row| row.iter().all(|v| *v == row[0]))
    );

    send(
        &mut engine,
        ToWorker::CompareLayers {
            against: LayersAgainst::AugmentationRuns,
        },
    );
    assert!(
        matches!(take(&engine).pop(), Some(FromWorker::Error(e)) if e.contains("Augmentation tab"))
    );
    send(
        &mut engine,
        ToWorker::Compare {
            runs: [light, AugmentConfig::none()],
            labeled: 60,
            epochs: 3,
        },
    );
    assert!(matches!(
        take(&engine).last(),
        Some(FromWorker::CompareStarted {
            labeled: 60,
            epochs: 3
        })
    ));
    let seen = train_until(&mut engine, 2000, |m| {
        matches!(m, FromWorker::CompareDone { finished: true })
    });
    for run in 0..2 {
        let epochs: Vec<usize> = seen
            .iter()
            .filter_map(|m| match m {
                FromWorker::Compare(p) if p.run == run => Some(p.epoch),
                _ => None,
            })
            .collect();
        assert_eq!(epochs, vec![1, 2, 3], "run {run}");
    }
    assert!(!engine.is_busy());

    // The two runs' layers: the input is the same data, the layers the runs learned differ.
    send(
        &mut engine,
        ToWorker::CompareLayers {
            against: LayersAgainst::AugmentationRuns,
        },
    );
    let Some(FromWorker::LayerSimilarity(runs)) = take(&engine).pop() else {
        panic!("no similarity between the runs");
    };
    assert_eq!(runs.against, LayersAgainst::AugmentationRuns);
    let n = runs.layers.len();
    assert!(n >= 3 && runs.cka.len() == n * n);
    assert!(
        (runs.cka[0] - 1.0).abs() < 1e-3,
        "both see the same validation input"
    );
    assert!(
        (1..n).any(|i| runs.cka[i * n + i] < 0.999),
        "the runs learned different layers: {:?}",
        runs.cka
    );
}

#[test]
fn explain_requests_run_as_jobs_with_progress_and_cancel() {
    use petri::ml::data::BuiltinDataset;
    use petri::ml::explain::{AttributionMethod, Baseline};
    use petri::protocol::Projection;
    let mut engine = engine();
    send(&mut engine, ToWorker::SetCompute(Compute::Cpu));
    send(&mut engine, ToWorker::Configure(Experiment::default()));
    for _ in 0..20 {
        send(&mut engine, ToWorker::Step);
        while engine.is_busy() {
            pollster::block_on(engine.run_slice());
        }
    }
    take(&engine);

    // Integrated Gradients with many steps: progress, then Pause cancels it.
    let explain = |method| ToWorker::Explain {
        sample: SampleRef::valid(2),
        class: None,
        method,
        baseline: Baseline::Blurred,
    };
    send(
        &mut engine,
        explain(AttributionMethod::IntegratedGradients {
            steps: 2000,
            baseline: Baseline::Blurred,
        }),
    );
    train_until(
        &mut engine,
        50,
        |m| matches!(m, FromWorker::Progress { what, done, .. } if what == "Integrated Gradients" && *done > 0),
    );
    send(&mut engine, ToWorker::Pause);
    assert!(!engine.is_busy());
    assert!(take(&engine).contains(&FromWorker::ExplainCancelled));

    // Each method finishes with a map of one value per pixel and the shape as the region.
    for method in [
        AttributionMethod::Saliency,
        AttributionMethod::Occlusion { size: 4, stride: 2 },
        AttributionMethod::GradCam { layer: 1 },
    ] {
        send(&mut engine, explain(method));
        let reports = train_until(&mut engine, 500, |m| {
            matches!(m, FromWorker::Attribution(_))
        });
        let Some(FromWorker::Attribution(view)) = reports.last() else {
            panic!(
                "no attribution: {:?}",
                reports.iter().map(brief).collect::<Vec<_>>()
            );
        };
        assert_eq!(view.points.len(), 28 * 28, "{method:?}");
        assert_eq!(view.region.len(), 28 * 28);
        assert!(view.region.iter().filter(|&&r| r).count() > 20);
        assert_eq!(view.sample, SampleRef::valid(2));
        assert_eq!(
            view.class, view.prediction.0,
            "the predicted class by default"
        );
    }

    // Activations, layer by layer, laid out as the layers are.
    send(
        &mut engine,
        ToWorker::Activations {
            sample: SampleRef::valid(0),
        },
    );
    let Some(FromWorker::Activations { layers, .. }) = take(&engine).pop() else {
        panic!("no activations");
    };
    let layouts: Vec<(String, [usize; 3])> =
        layers.iter().map(|l| (l.name.clone(), l.layout)).collect();
    assert_eq!(
        layouts,
        vec![
            ("input".into(), [1, 28, 28]),
            ("conv 1".into(), [8, 13, 13]),
            ("conv 2".into(), [16, 5, 5]),
            ("class scores".into(), [1, 1, 4]),
        ]
    );
    assert!(
        layers
            .iter()
            .all(|l| l.values.len() == l.layout.iter().product::<usize>())
    );

    // The first conv layer's kernels.
    send(&mut engine, ToWorker::Filters);
    let Some(FromWorker::Filters(kernels)) = take(&engine).pop() else {
        panic!("no filters");
    };
    assert_eq!(
        (
            kernels.filters,
            kernels.channels,
            kernels.kernel,
            kernels.image
        ),
        (8, 1, 3, true)
    );
    assert_eq!(kernels.values.len(), 8 * 9);

    // PCA at once; t-SNE as a job ending with its projection.
    send(
        &mut engine,
        ToWorker::Project {
            method: Projection::Pca,
            every_sample: false,
        },
    );
    let Some(FromWorker::Projection { view, finished }) = take(&engine).pop() else {
        panic!("no PCA");
    };
    assert!(finished && view.xy.len() == 2 * view.samples.len() && view.explained.is_some());
    send(
        &mut engine,
        ToWorker::Project {
            method: Projection::Tsne,
            every_sample: false,
        },
    );
    let reports = train_until(&mut engine, 5000, |m| {
        matches!(m, FromWorker::Projection { finished: true, .. })
    });
    assert!(
        reports
            .iter()
            .any(|m| matches!(m, FromWorker::Progress { what, .. } if what == "t-SNE"))
    );

    // CKA: each layer matches itself.
    send(
        &mut engine,
        ToWorker::CompareLayers {
            against: LayersAgainst::Itself,
        },
    );
    let Some(FromWorker::LayerSimilarity(similarity)) = take(&engine).pop() else {
        panic!("no similarity");
    };
    let n = similarity.layers.len();
    assert_eq!(n, 4);
    for i in 0..n {
        assert!((similarity.cka[i * n + i] - 1.0).abs() < 1e-3);
    }
    // Checkpoints at the evaluated steps doubling apart; against the first, the input layer is
    // the same and the class scores differ.
    assert_eq!(similarity.checkpoints, vec![1, 2, 4, 8, 16]);
    send(
        &mut engine,
        ToWorker::CompareLayers {
            against: LayersAgainst::Checkpoint(1),
        },
    );
    let Some(FromWorker::LayerSimilarity(early)) = take(&engine).pop() else {
        panic!("no similarity with the checkpoint");
    };
    assert_eq!(early.against, LayersAgainst::Checkpoint(1));
    assert!((early.cka[0] - 1.0).abs() < 1e-3, "the input is the input");
    assert!(early.cka[n * n - 1] < 0.999, "the class scores moved");
    send(
        &mut engine,
        ToWorker::CompareLayers {
            against: LayersAgainst::Checkpoint(3),
        },
    );
    assert!(matches!(take(&engine).pop(), Some(FromWorker::Error(_))));

    // The checks: one row per method against the regions, and the randomised model.
    send(&mut engine, ToWorker::CheckAttributions { samples: 4 });
    let reports = train_until(&mut engine, 20_000, |m| {
        matches!(m, FromWorker::Check { finished: true, .. })
    });
    let Some(FromWorker::Check { check, .. }) = reports.last() else {
        panic!("no check");
    };
    // One row per method over the 4 samples; a map with no positive attribution (Grad-CAM's
    // ReLU, Occlusion early in training) is counted apart, and saliency always has one.
    assert_eq!(check.rows.len(), 6);
    assert!(check.rows.iter().all(|r| r.samples + r.unscored == 4));
    assert!(
        check
            .rows
            .iter()
            .all(|r| r.samples == 0 || r.region_share > 0.0)
    );
    let saliency = &check.rows[0];
    assert!(saliency.method.starts_with("Saliency") && saliency.samples == 4);
    assert_eq!(check.steps, vec!["head", "block 2", "block 1"]);
    assert!(check.randomised.iter().all(|r| r.correlation.len() == 3));

    // Data without regions: the table says why; the randomisation check still runs.
    send(
        &mut engine,
        ToWorker::Configure(Experiment {
            dataset: BuiltinDataset::Waveforms.into(),
            model: petri::ml::models::ModelConfig::default_for_dataset(BuiltinDataset::Waveforms),
            ..Experiment::default()
        }),
    );
    send(&mut engine, ToWorker::CheckAttributions { samples: 4 });
    let reports = train_until(&mut engine, 20_000, |m| {
        matches!(m, FromWorker::Check { finished: true, .. })
    });
    let Some(FromWorker::Check { check, .. }) = reports.last() else {
        panic!("no check");
    };
    assert!(check.rows.is_empty());
    assert!(
        check
            .no_truth
            .as_ref()
            .unwrap()
            .contains("no ground-truth region")
    );
    assert!(!check.randomised.is_empty());
}

#[test]
fn attention_maps_and_rollout_reach_the_page_and_the_sanity_table() {
    use petri::ml::data::BuiltinDataset;
    use petri::ml::models::{GnnConfig, GnnKind, ModelConfig, TransformerConfig};
    let mut engine = engine();
    send(&mut engine, ToWorker::SetCompute(Compute::Cpu));
    let small = TransformerConfig {
        width: 16,
        heads: 2,
        feed_forward: 16,
        ..TransformerConfig::default()
    };
    send(
        &mut engine,
        ToWorker::Configure(Experiment {
            dataset: BuiltinDataset::DnaMotif.into(),
            model: ModelConfig::Transformer(small),
            ..Experiment::default()
        }),
    );
    for _ in 0..3 {
        send(&mut engine, ToWorker::Step);
        while engine.is_busy() {
            pollster::block_on(engine.run_slice());
        }
    }
    take(&engine);
    // A sequence that carries the motif: its region is marked.
    let sample = (0..50)
        .map(SampleRef::valid)
        .find(|&sample| {
            send(&mut engine, ToWorker::Attention { sample });
            matches!(take(&engine).pop(), Some(FromWorker::Attention(view)) if view.region.contains(&true))
        })
        .expect("a validation sequence with the motif");
    send(&mut engine, ToWorker::Attention { sample });
    let Some(FromWorker::Attention(view)) = take(&engine).pop() else {
        panic!("no attention");
    };
    let SampleView::Letters { letters, .. } = &view.view else {
        panic!("a DNA sequence is drawn as letters");
    };
    let length = letters.len();
    assert_eq!((view.layers, view.heads), (2, 2));
    assert!(view.class_token);
    assert_eq!(
        (view.kmer, view.stride, view.tokens),
        (8, 1, length + 1),
        "the class token and an 8-mer starting at every base"
    );
    assert_eq!(view.weights.len(), 2 * 2 * view.tokens * view.tokens);
    for row in view.weights.chunks(view.tokens) {
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    }
    assert_eq!(view.rollout.len(), length);
    assert_eq!(view.region.len(), length);
    assert!(
        view.rollout.iter().all(|&r| r > 0.0),
        "every base reaches the class token"
    );

    // The sanity table: attention rollout beside the gradient methods, scored against the motif
    // and against a randomised model.
    send(&mut engine, ToWorker::CheckAttributions { samples: 2 });
    let reports = train_until(&mut engine, 20_000, |m| {
        matches!(m, FromWorker::Check { finished: true, .. })
    });
    let Some(FromWorker::Check { check, .. }) = reports.last() else {
        panic!("no check");
    };
    let row = check
        .rows
        .iter()
        .find(|r| r.method == "Attention rollout")
        .expect("attention rollout in the table");
    assert!(row.samples == 2 && row.region_share > 0.0);
    assert!(
        check
            .randomised
            .iter()
            .any(|r| r.method == "Attention rollout")
    );

    // A GAT: attention on the drawn edges and the nodes, per layer.
    send(
        &mut engine,
        ToWorker::Configure(Experiment {
            dataset: BuiltinDataset::Molecules.into(),
            model: ModelConfig::Gnn(GnnConfig {
                kind: GnnKind::Gat,
                ..GnnConfig::default()
            }),
            ..Experiment::default()
        }),
    );
    take(&engine);
    send(
        &mut engine,
        ToWorker::Attention {
            sample: SampleRef::valid(0),
        },
    );
    let Some(FromWorker::Attention(view)) = take(&engine).pop() else {
        panic!("no GAT attention");
    };
    let SampleView::Graph {
        positions, edges, ..
    } = &view.view
    else {
        panic!("a molecule is drawn as a graph");
    };
    assert_eq!(view.layers, 2);
    assert_eq!(view.weights.len(), 2 * edges.len());
    assert_eq!(view.rollout.len(), 2 * positions.len());
    assert!(view.weights.iter().all(|&w| w > 0.0 && w < 1.0));

    // Other models have no attention: a clear message.
    send(
        &mut engine,
        ToWorker::Configure(Experiment {
            dataset: BuiltinDataset::Molecules.into(),
            model: ModelConfig::default_for_dataset(BuiltinDataset::Molecules),
            ..Experiment::default()
        }),
    );
    take(&engine);
    send(
        &mut engine,
        ToWorker::Attention {
            sample: SampleRef::valid(0),
        },
    );
    assert!(
        matches!(take(&engine).pop(), Some(FromWorker::Error(e)) if e.contains("Transformer or a GAT"))
    );
}

/// What the engine can be doing when a request arrives, and how to get it there.
#[derive(Clone, Copy, Debug)]
enum Doing {
    Idle,
    Training,
    Stepping,
    Refining,
    Scoring,
    Exporting,
    Comparing,
    Budget,
    Explaining,
}

/// An engine on the karate club (labels hidden but two per class) with a run, doing `doing`;
/// the pool's ids come back to label with.
fn engine_doing(doing: Doing) -> (Engine<TestPlatform>, Vec<String>) {
    use petri::ml::data::BuiltinDataset;
    use petri::ml::explain::{AttributionMethod, Baseline};
    use petri::ml::label::budget::BudgetConfig;
    let mut engine = engine();
    send(&mut engine, ToWorker::SetCompute(Compute::Cpu));
    let mut experiment = Experiment {
        dataset: BuiltinDataset::KarateClub.into(),
        model: petri::ml::models::ModelConfig::default_for_dataset(BuiltinDataset::KarateClub),
        ..Default::default()
    };
    experiment.labeling.labels_per_class = Some(2);
    experiment.labeling.retrain_every = 1;
    send(&mut engine, ToWorker::Configure(experiment.clone()));
    send(
        &mut engine,
        ToWorker::SetLabels {
            key: experiment.labels_key(),
            labels: vec![],
            rejected: vec![],
        },
    );
    send(&mut engine, ToWorker::Score);
    let reports = train_until(&mut engine, 500, |m| matches!(m, FromWorker::Queue(_)));
    let pool: Vec<String> = reports
        .iter()
        .find_map(|m| match m {
            FromWorker::Queue(queue) => Some(queue.nodes.iter().map(|n| n.1.clone()).collect()),
            _ => None,
        })
        .expect("a queue");
    take(&engine);
    let request = match doing {
        Doing::Idle => None,
        Doing::Training => Some(ToWorker::Start),
        Doing::Stepping => Some(ToWorker::Step),
        Doing::Refining => Some(ToWorker::SetLabels {
            key: experiment.labels_key(),
            labels: vec![petri::ml::label::AssignedLabel {
                id: pool[0].clone(),
                class: 0,
                source: petri::ml::label::LabelSource::Human,
                value: None,
            }],
            rejected: vec![],
        }),
        Doing::Scoring => Some(ToWorker::Score),
        Doing::Exporting => Some(ToWorker::ExportPredictions),
        Doing::Comparing => Some(ToWorker::Compare {
            runs: [Default::default(), Default::default()],
            labeled: 4,
            epochs: 3,
        }),
        Doing::Budget => Some(ToWorker::RunBudget(BudgetConfig {
            start_per_class: 2,
            per_round: 2,
            rounds: 2,
            steps_per_round: 5,
            pretrain_steps: 0,
        })),
        Doing::Explaining => Some(ToWorker::Explain {
            sample: SampleRef::valid(0),
            class: None,
            method: AttributionMethod::IntegratedGradients {
                steps: 64,
                baseline: Baseline::Zeros,
            },
            baseline: Baseline::Zeros,
        }),
    };
    if let Some(request) = request {
        send(&mut engine, request);
    }
    assert_eq!(
        engine.is_busy(),
        !matches!(doing, Doing::Idle),
        "{doing:?} is under way"
    );
    (engine, pool)
}

/// Whether a report answers a request.
type Answers = fn(&FromWorker) -> bool;

/// Every request, each with the report that answers it (an error that says why also answers).
fn every_request(pool: &[String]) -> Vec<(ToWorker, Answers)> {
    use petri::ml::explain::{AttributionMethod, Baseline};
    use petri::protocol::Projection;
    let mut experiment = Experiment {
        dataset: petri::ml::data::BuiltinDataset::KarateClub.into(),
        model: petri::ml::models::ModelConfig::default_for_dataset(
            petri::ml::data::BuiltinDataset::KarateClub,
        ),
        seed: 5,
        ..Default::default()
    };
    experiment.labeling.labels_per_class = Some(2);
    let garbage = petri::ml::import::UploadFile {
        name: "garbage.petri".into(),
        bytes: b"not a zip".to_vec(),
    };
    vec![
        (
            ToWorker::Configure(experiment),
            |m| matches!(m, FromWorker::RunStarted(r) if r.experiment.seed == 5),
        ),
        (ToWorker::Reset, |m| matches!(m, FromWorker::RunStarted(_))),
        (ToWorker::Step, |m| {
            matches!(m, FromWorker::Eval(_) | FromWorker::Error(_))
        }),
        (
            ToWorker::ShowCell {
                truth: 0,
                predicted: 0,
            },
            |m| matches!(m, FromWorker::Cell(_) | FromWorker::Error(_)),
        ),
        (
            ToWorker::PreviewAugment {
                config: Default::default(),
                seed: 1,
            },
            |m| matches!(m, FromWorker::AugmentPreview(_)),
        ),
        (ToWorker::Score, |m| matches!(m, FromWorker::Queue(_))),
        (ToWorker::EvaluateTest, |m| {
            matches!(m, FromWorker::Test(_) | FromWorker::Error(_))
        }),
        (
            ToWorker::ExportPredictions,
            |m| matches!(m, FromWorker::Download { name, .. } if name.ends_with("-predictions.csv")),
        ),
        (
            ToWorker::ExportLabels,
            |m| matches!(m, FromWorker::Download { name, .. } if name.ends_with("-labels.csv")),
        ),
        (
            ToWorker::ImportLabels {
                file: "mine.csv".into(),
                text: format!("id,label\n{},Mr. Hi\n", pool[1]),
            },
            |m| matches!(m, FromWorker::LabelsRead(labels) if labels.len() == 1),
        ),
        (
            ToWorker::SetLabels {
                key: "another book".into(),
                labels: vec![],
                rejected: vec![],
            },
            |_| true, // no answer: it only sets the labels (see the loop below)
        ),
        (
            ToWorker::Compare {
                runs: [Default::default(), Default::default()],
                labeled: 4,
                epochs: 1,
            },
            |m| matches!(m, FromWorker::CompareDone { .. } | FromWorker::Error(_)),
        ),
        (
            ToWorker::RunBudget(petri::ml::label::budget::BudgetConfig {
                start_per_class: 2,
                per_round: 2,
                rounds: 1,
                steps_per_round: 2,
                pretrain_steps: 0,
            }),
            |m| matches!(m, FromWorker::BudgetDone { .. } | FromWorker::Error(_)),
        ),
        (
            ToWorker::Explain {
                sample: SampleRef::valid(1),
                class: None,
                method: AttributionMethod::Saliency,
                baseline: Baseline::Zeros,
            },
            |m| matches!(m, FromWorker::Attribution(_) | FromWorker::Error(_)),
        ),
        (
            ToWorker::Activations {
                sample: SampleRef::valid(0),
            },
            |m| matches!(m, FromWorker::Activations { .. } | FromWorker::Error(_)),
        ),
        (
            ToWorker::Attention {
                sample: SampleRef::valid(0),
            },
            |m| matches!(m, FromWorker::Attention(_) | FromWorker::Error(_)),
        ),
        (ToWorker::Filters, |m| {
            matches!(m, FromWorker::Filters(_) | FromWorker::Error(_))
        }),
        (
            ToWorker::Project {
                method: Projection::Pca,
                every_sample: false,
            },
            |m| {
                matches!(
                    m,
                    FromWorker::Projection { finished: true, .. } | FromWorker::Error(_)
                )
            },
        ),
        (
            ToWorker::CompareLayers {
                against: LayersAgainst::Itself,
            },
            |m| matches!(m, FromWorker::LayerSimilarity(_) | FromWorker::Error(_)),
        ),
        (ToWorker::CheckAttributions { samples: 2 }, |m| {
            matches!(
                m,
                FromWorker::Check { finished: true, .. } | FromWorker::Error(_)
            )
        }),
        (
            ToWorker::ExportModel,
            |m| matches!(m, FromWorker::File { name, .. } if name.ends_with(".safetensors")),
        ),
        (
            ToWorker::ExportExperiment {
                include_data: false,
            },
            |m| matches!(m, FromWorker::File { name, .. } if name.ends_with(".petri")),
        ),
        (
            ToWorker::OpenExperiment {
                id: 7,
                file: garbage.clone(),
            },
            |m| matches!(m, FromWorker::Error(e) if e.contains("garbage.petri")),
        ),
        (
            ToWorker::Import {
                id: 8,
                files: vec![garbage],
                options: Default::default(),
            },
            |m| matches!(m, FromWorker::ImportFailed { id: 8, .. }),
        ),
    ]
}

/// The report that ends what `doing` started, for a job whose end a person waits for.
fn job_result(doing: Doing) -> Option<fn(&FromWorker) -> bool> {
    Some(match doing {
        Doing::Scoring | Doing::Refining => |m| matches!(m, FromWorker::Queue(_)),
        Doing::Exporting => {
            |m| matches!(m, FromWorker::Download { name, .. } if name.ends_with("-predictions.csv"))
        }
        Doing::Comparing => |m| matches!(m, FromWorker::CompareDone { finished: true }),
        Doing::Budget => |m| matches!(m, FromWorker::BudgetDone { finished: true }),
        Doing::Explaining => |m| matches!(m, FromWorker::Attribution(_)),
        Doing::Idle | Doing::Training | Doing::Stepping => return None,
    })
}

/// Whether `request` ends the job in progress on purpose (Pause, Reset and Start do; a new
/// explanation replaces the one in progress).
fn cancels(request: &ToWorker, doing: Doing) -> bool {
    let explains = matches!(
        request,
        ToWorker::Explain { .. } | ToWorker::Project { .. } | ToWorker::CheckAttributions { .. }
    );
    matches!(request, ToWorker::Pause | ToWorker::Reset | ToWorker::Start)
        || explains && matches!(doing, Doing::Explaining)
}

#[test]
fn every_request_during_every_activity_is_answered() {
    let doings = [
        Doing::Idle,
        Doing::Training,
        Doing::Stepping,
        Doing::Refining,
        Doing::Scoring,
        Doing::Exporting,
        Doing::Comparing,
        Doing::Budget,
        Doing::Explaining,
    ];
    let requests = every_request(&engine_doing(Doing::Idle).1).len();
    for doing in doings {
        for k in 0..requests {
            let (mut engine, pool) = engine_doing(doing);
            let (request, answers) = every_request(&pool).swap_remove(k);
            let name = format!("{request:?}");
            let name = &name[..name.len().min(60)];
            let job = job_result(doing).filter(|_| !cancels(&request, doing));
            send(&mut engine, request);
            let mut seen = take(&engine);
            if name.starts_with("SetLabels") {
                seen.push(FromWorker::Ready);
            }
            let mut slices = 0;
            while !seen.iter().any(answers) {
                assert!(
                    engine.is_busy() && slices < 3000,
                    "{name} during {doing:?} was never answered; reports: {:?}",
                    seen.iter().map(brief).collect::<Vec<_>>()
                );
                pollster::block_on(engine.run_slice());
                slices += 1;
                seen.extend(take(&engine));
            }
            // The job it arrived during is not dropped either: its result comes too.
            if let Some(result) = job {
                while !seen.iter().any(result) {
                    assert!(
                        engine.is_busy() && slices < 3000,
                        "{doing:?} never ended after {name}; reports: {:?}",
                        seen.iter().map(brief).collect::<Vec<_>>()
                    );
                    pollster::block_on(engine.run_slice());
                    slices += 1;
                    seen.extend(take(&engine));
                }
            }
        }
    }
}
