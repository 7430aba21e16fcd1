//! Native tests of data augmentation on the built-in datasets: invariants, determinism,
//! identity, value ranges, labels, the preview, the mixup loss and a short augmented run.

use burn::prelude::*;
use petri::ml::augment::{
    AugmentConfig, AugmentContext, AugmentStep, Augmentation, Preset, augment_batch, augment_rng,
    check_batch, preview, split_batch,
};
use petri::ml::data::{Batch, BatchInput, BuiltinDataset, Dataset, Mix};
use petri::ml::experiment::Experiment;
use petri::ml::rng::device_seed;
use petri::ml::session::Session;
use petri::ml::train::Trainer;
use std::sync::{Arc, Mutex, MutexGuard};

/// Burn draws initial weights lazily (at a model's first use) from a global generator, so
/// tests that compare runs must not create models in parallel with each other.
fn one_model_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn datasets() -> Vec<(BuiltinDataset, Dataset)> {
    BuiltinDataset::ALL
        .into_iter()
        .map(|d| (d, d.generate(1)))
        .collect()
}

fn first_batch(dataset: &Dataset, size: usize) -> Batch {
    let size = size.min(dataset.train.len());
    dataset.train.batch(&(0..size).collect::<Vec<_>>())
}

fn augmented(config: &AugmentConfig, dataset: &Dataset, seed: u64, step: u64) -> Batch {
    let mut batch = first_batch(dataset, 32);
    let context = AugmentContext::of(dataset);
    augment_batch(config, &mut batch, &context, &mut augment_rng(seed, step));
    batch
}

#[test]
fn presets_keep_shapes_labels_and_ranges_and_repeat_for_a_seed() {
    for (id, dataset) in datasets() {
        let context = AugmentContext::of(&dataset);
        let original = first_batch(&dataset, 32);
        for preset in Preset::ALL {
            let config = AugmentConfig::preset(preset, context.kind, context.alphabet.as_deref());
            config
                .validate_for(context.kind, context.alphabet.as_deref())
                .unwrap();
            for step in 0..20 {
                let batch = augmented(&config, &dataset, 3, step);
                check_batch(&batch, &context).unwrap_or_else(|e| panic!("{id:?} {preset:?}: {e}"));
                assert_eq!(batch.targets, original.targets, "{id:?} {preset:?}");
                assert_eq!(
                    batch,
                    augmented(&config, &dataset, 3, step),
                    "{id:?} {preset:?}"
                );
                if preset == Preset::None {
                    assert_eq!(batch, original);
                }
            }
            if preset == Preset::Strong && context.kind != petri::ml::data::DataKind::Table {
                assert_ne!(
                    augmented(&config, &dataset, 3, 0),
                    augmented(&config, &dataset, 4, 0),
                    "{id:?}: another seed gives another batch"
                );
            }
        }
    }
}

#[test]
fn every_fitting_augmentation_at_full_strength_keeps_the_batch_valid() {
    for (id, dataset) in datasets() {
        let context = AugmentContext::of(&dataset);
        let original = first_batch(&dataset, 32);
        for augmentation in Augmentation::fitting(context.kind, context.alphabet.as_deref()) {
            for magnitude in [0.0, 0.5, 1.0] {
                let config = AugmentConfig {
                    steps: vec![AugmentStep::new(augmentation, 1.0, magnitude)],
                };
                for step in 0..5 {
                    let batch = augmented(&config, &dataset, 9, step);
                    check_batch(&batch, &context)
                        .unwrap_or_else(|e| panic!("{id:?} {augmentation:?} {magnitude}: {e}"));
                    if magnitude == 0.0 {
                        assert_eq!(batch, original, "{id:?} {augmentation:?}");
                    }
                    if augmentation != Augmentation::Mixup {
                        assert_eq!(batch.targets, original.targets);
                        assert!(batch.mix.is_none());
                    }
                }
            }
        }
    }
}

#[test]
fn reverse_complement_twice_is_the_identity_on_dna() {
    let dataset = BuiltinDataset::DnaMotif.generate(2);
    let step = AugmentStep::new(Augmentation::ReverseComplement, 1.0, 1.0);
    let once = AugmentConfig { steps: vec![step] };
    let twice = AugmentConfig {
        steps: vec![step, step],
    };
    assert_ne!(augmented(&once, &dataset, 1, 0), first_batch(&dataset, 32));
    assert_eq!(augmented(&twice, &dataset, 1, 0), first_batch(&dataset, 32));
}

#[test]
fn edge_and_node_dropping_never_leave_invalid_graphs() {
    let dataset = BuiltinDataset::Molecules.generate(3);
    let context = AugmentContext::of(&dataset);
    let original = first_batch(&dataset, 32);
    let BatchInput::Graphs {
        edges: all_edges, ..
    } = &original.input
    else {
        panic!("molecules are graphs")
    };
    for augmentation in [
        Augmentation::DropEdges,
        Augmentation::DropNodes,
        Augmentation::Subgraph,
    ] {
        let config = AugmentConfig {
            steps: vec![AugmentStep::new(augmentation, 1.0, 1.0)],
        };
        for step in 0..50 {
            let batch = augmented(&config, &dataset, 5, step);
            check_batch(&batch, &context).unwrap_or_else(|e| panic!("{augmentation:?}: {e}"));
            let BatchInput::Graphs {
                edges, node_graph, ..
            } = &batch.input
            else {
                unreachable!()
            };
            assert!(
                edges.len() < all_edges.len(),
                "{augmentation:?} kept every edge"
            );
            if augmentation == Augmentation::DropEdges {
                // Only removes: every edge left was in the original.
                assert!(edges.iter().all(|e| all_edges.contains(e)));
            } else {
                assert!((0..32).all(|g| node_graph.contains(&g)));
            }
        }
    }
    for id in [BuiltinDataset::Communities, BuiltinDataset::KarateClub] {
        let dataset = id.generate(1);
        let context = AugmentContext::of(&dataset);
        let config = AugmentConfig {
            steps: vec![
                AugmentStep::new(Augmentation::DropEdges, 1.0, 1.0),
                AugmentStep::new(Augmentation::MaskFeatures, 1.0, 1.0),
            ],
        };
        for step in 0..20 {
            check_batch(&augmented(&config, &dataset, 5, step), &context).unwrap();
        }
    }
}

#[test]
fn mixup_blends_images_and_labels_with_matching_weights() {
    let dataset = BuiltinDataset::Shapes.generate(1);
    let context = AugmentContext::of(&dataset);
    let original = first_batch(&dataset, 32);
    let config = AugmentConfig {
        steps: vec![AugmentStep::new(Augmentation::Mixup, 1.0, 1.0)],
    };
    let batch = augmented(&config, &dataset, 2, 0);
    check_batch(&batch, &context).unwrap();
    assert_eq!(batch.targets, original.targets);
    let mix = batch.mix.as_ref().expect("mixup sets soft labels");
    assert!(mix.weight.iter().any(|&w| w < 0.9));
    let (BatchInput::Images { pixels: a, shape }, BatchInput::Images { pixels: b, .. }) =
        (&original.input, &batch.input)
    else {
        unreachable!()
    };
    let len = shape[1] * shape[2] * shape[3];
    for i in 0..32 {
        let w = mix.weight[i];
        // Some sample j of the batch with the partner's label explains the blend.
        let explained = (0..32).any(|j| {
            original.targets[j] == mix.partner[i]
                && (0..len).all(|k| {
                    let expected = w * a[i * len + k] + (1.0 - w) * a[j * len + k];
                    (expected - b[i * len + k]).abs() < 1e-5
                })
        });
        assert!(explained, "sample {i} is not a blend with weight {w}");
    }
    // With probability 0 nothing is mixed.
    let none = AugmentConfig {
        steps: vec![AugmentStep::new(Augmentation::Mixup, 0.0, 1.0)],
    };
    assert_eq!(augmented(&none, &dataset, 2, 0), original);
}

#[test]
fn the_preview_is_exactly_what_a_training_step_produces() {
    for id in [
        BuiltinDataset::Cells,
        BuiltinDataset::DnaMotif,
        BuiltinDataset::Waveforms,
        BuiltinDataset::Molecules,
    ] {
        let dataset = id.generate(1);
        let context = AugmentContext::of(&dataset);
        let config =
            AugmentConfig::preset(Preset::Strong, context.kind, context.alphabet.as_deref());
        let indices = [4, 0, 9];
        let versions = preview(&config, &dataset.train, &context, &indices, 4, 77);
        assert_eq!(versions.len(), 4);
        for (step, version) in versions.iter().enumerate() {
            let mut batch = dataset.train.batch(&indices);
            augment_batch(
                &config,
                &mut batch,
                &context,
                &mut augment_rng(77, step as u64),
            );
            assert_eq!(&batch, version);
            let parts = split_batch(version);
            assert_eq!(parts.len(), 3);
            for (part, &i) in parts.iter().zip(&indices) {
                check_batch(part, &context).unwrap();
                assert_eq!(part.targets, vec![i64::from(dataset.train.labels()[i])]);
            }
        }
        assert_ne!(versions[0], versions[1], "{id:?}");
    }
}

#[test]
fn experiments_without_augmentation_still_load_and_augmentation_round_trips() {
    let experiment = Experiment {
        augment: AugmentConfig::preset(Preset::Strong, petri::ml::data::DataKind::Image, None),
        ..Experiment::default()
    };
    let json = serde_json::to_value(&experiment).unwrap();
    assert!(json.to_string().contains("\"flip-horizontal\""));
    let back: Experiment = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, experiment);
    let mut old = json;
    old.as_object_mut().unwrap().remove("augment");
    let old: Experiment = serde_json::from_value(old).unwrap();
    assert!(old.augment.is_identity());
    let bad = Experiment {
        augment: AugmentConfig {
            steps: vec![AugmentStep::new(Augmentation::Noise, 2.0, 0.1)],
        },
        ..Experiment::default()
    };
    assert!(bad.validate_settings().unwrap_err().contains("probability"));
}

#[test]
fn mixup_loss_with_weight_one_is_plain_cross_entropy() {
    let _lock = one_model_at_a_time();
    let dataset = BuiltinDataset::Shapes.generate(1);
    let experiment = Experiment::default();
    let trainer = || {
        Trainer::new(
            &experiment.model,
            &dataset.shape(),
            dataset.num_classes(),
            experiment.optimizer,
            experiment.learning_rate,
            device_seed(1),
            &Device::flex(),
        )
        .unwrap()
    };
    let plain = first_batch(&dataset, 16);
    let mut mixed = plain.clone();
    mixed.mix = Some(Mix {
        partner: plain.targets.iter().map(|t| (t + 1) % 4).collect(),
        weight: vec![1.0; 16],
    });
    let loss = |mut t: Trainer, b: &Batch| {
        let out = t.step(b);
        out.loss.into_data().iter::<f32>().next().unwrap()
    };
    let (a, b) = (loss(trainer(), &plain), loss(trainer(), &mixed));
    assert!((a - b).abs() < 1e-5 * a.abs().max(1.0), "{a} vs {b}");
    // Half and half: the mean of the two cross-entropies, which differs from either.
    let mut half = mixed.clone();
    half.mix.as_mut().unwrap().weight = vec![0.5; 16];
    let c = loss(trainer(), &half);
    assert!((c - a).abs() > 1e-3, "{c} vs {a}");
}

#[test]
fn a_short_run_with_the_light_preset_still_learns_shapes() {
    let _lock = one_model_at_a_time();
    let experiment = Experiment {
        augment: AugmentConfig::preset(Preset::Light, petri::ml::data::DataKind::Image, None),
        ..Experiment::default()
    };
    let dataset = Arc::new(BuiltinDataset::Shapes.generate(experiment.seed));
    let mut session = Session::new(&experiment, dataset, &Device::flex()).unwrap();
    for _ in 0..300 {
        session.train_step();
    }
    let eval = pollster::block_on(session.evaluate()).unwrap();
    println!(
        "light preset, 300 steps: validation accuracy {}",
        eval.accuracy
    );
    assert!(eval.accuracy > 0.7, "validation accuracy {}", eval.accuracy);
}

#[test]
fn augmentation_changes_apply_live_and_runs_repeat() {
    let _lock = one_model_at_a_time();
    let experiment = Experiment::default();
    let dataset = Arc::new(BuiltinDataset::Shapes.generate(1));
    let curve = |experiment: &Experiment| {
        let mut session = Session::new(experiment, dataset.clone(), &Device::flex()).unwrap();
        (0..4)
            .map(|_| {
                session.train_step();
                pollster::block_on(session.read_train_metrics())
                    .unwrap()
                    .unwrap()
                    .loss
            })
            .collect::<Vec<_>>()
    };
    let strong = Experiment {
        augment: AugmentConfig::preset(Preset::Strong, petri::ml::data::DataKind::Image, None),
        ..experiment.clone()
    };
    assert_eq!(curve(&strong), curve(&strong));
    assert_ne!(curve(&strong), curve(&experiment));
    let mut session = Session::new(&experiment, dataset.clone(), &Device::flex()).unwrap();
    assert!(session.update(&strong));
    assert_eq!(session.experiment().augment, strong.augment);
    session.train_step();
    let bad = Experiment {
        augment: AugmentConfig {
            steps: vec![AugmentStep::new(Augmentation::Noise, 2.0, 0.1)],
        },
        ..experiment
    };
    assert!(!session.update(&bad));
}

#[test]
fn evaluation_sees_the_data_unaugmented() {
    let _lock = one_model_at_a_time();
    let dataset = Arc::new(BuiltinDataset::Shapes.generate(1));
    let evaluate = |augment: AugmentConfig| {
        let experiment = Experiment {
            augment,
            ..Experiment::default()
        };
        let session = Session::new(&experiment, dataset.clone(), &Device::flex()).unwrap();
        pollster::block_on(session.evaluate()).unwrap()
    };
    let strong = AugmentConfig::preset(Preset::Strong, petri::ml::data::DataKind::Image, None);
    assert_eq!(evaluate(strong), evaluate(AugmentConfig::none()));
}
