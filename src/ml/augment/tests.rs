//! Unit tests of every augmentation on small hand-made batches.

use super::*;
use crate::ml::data::{Graph, Graphs, Images, Sequences};

fn image_samples(height: usize, width: usize) -> Samples {
    let mut images = Images::new(2, height, width);
    let mut g = rng(3, Stream::Data);
    for i in 0..6 {
        images
            .pixels
            .extend((0..2 * height * width).map(|_| g.random::<f32>()));
        images.labels.push(i % 3);
    }
    Samples::Images(images)
}

fn dna_samples() -> Samples {
    let mut set = Sequences::new(4, Some("ACGT".into()));
    let texts = [
        "ACGTTGCAAGGCTTAACGTA",
        "GGGCCCAAATTTNACG",
        "ACGTACGTACGTACGTACGTACGTACGTAC",
        "TTTT",
        "A",
    ];
    for (i, text) in texts.iter().enumerate() {
        set.push(Sequences::one_hot("ACGT", text), i as u32 % 2);
    }
    Samples::Sequences(set)
}

fn series_samples() -> Samples {
    let mut set = Sequences::new(2, None);
    for (i, length) in [40usize, 25, 33, 1].into_iter().enumerate() {
        let values = (0..length * 2)
            .map(|k| ((k as f32) * 0.3 + i as f32).sin() * 3.0 + 1.0)
            .collect();
        set.push(values, i as u32 % 2);
    }
    Samples::Sequences(set)
}

fn graph_samples() -> Samples {
    let ring = |n: u32| Graph {
        features: (0..n * 3).map(|k| (k % 3) as f32 + 0.5).collect(),
        edges: (0..n).map(|k| [k, (k + 1) % n]).collect(),
        bonds: Vec::new(),
    };
    let mut star = ring(9);
    star.edges.extend((2..8).map(|k| [0, k]));
    Samples::Graphs(Graphs {
        measured: Vec::new(),
        feature_dim: 3,
        feature_names: vec!["a".into(), "b".into(), "c".into()],
        graphs: vec![
            ring(6),
            star,
            ring(3),
            Graph {
                features: vec![1.0, 0.0, 0.0],
                edges: vec![],
                bonds: vec![],
            },
        ],
        labels: vec![0, 1, 0, 1],
    })
}

fn node_samples() -> Samples {
    let graph = Graph {
        features: (0..20 * 2).map(|k| k as f32 * 0.1).collect(),
        edges: (0..20)
            .flat_map(|k| [[k, (k + 1) % 20], [k, (k + 5) % 20]])
            .collect(),
        bonds: Vec::new(),
    };
    Samples::Nodes(crate::ml::data::Nodes::all(
        2,
        graph,
        (0..20).map(|k| k % 2).collect(),
    ))
}

/// Every kind of test batch with its context.
fn cases() -> Vec<(&'static str, Samples)> {
    vec![
        ("square images", image_samples(8, 8)),
        ("wide images", image_samples(5, 7)),
        ("dna", dna_samples()),
        ("series", series_samples()),
        ("graphs", graph_samples()),
        ("nodes", node_samples()),
    ]
}

fn run(step: AugmentStep, samples: &Samples, seed: u64) -> (Batch, Batch, AugmentContext) {
    let context = AugmentContext::of_samples(samples, 3);
    let original = samples.batch(&(0..samples.len()).collect::<Vec<_>>());
    let mut batch = original.clone();
    let config = AugmentConfig { steps: vec![step] };
    augment_batch(&config, &mut batch, &context, &mut augment_rng(seed, 7));
    (original, batch, context)
}

#[test]
fn every_augmentation_fits_some_case_and_keeps_the_batch_valid() {
    let mut covered = std::collections::HashSet::new();
    for (name, samples) in cases() {
        let context = AugmentContext::of_samples(&samples, 3);
        for augmentation in Augmentation::fitting(context.kind, context.alphabet.as_deref()) {
            covered.insert(augmentation);
            for magnitude in [0.3, 1.0] {
                let mut changed = false;
                for seed in 0..5 {
                    let step = AugmentStep::new(augmentation, 1.0, magnitude);
                    let (original, batch, context) = run(step, &samples, seed);
                    check_batch(&batch, &context)
                        .unwrap_or_else(|e| panic!("{name} {augmentation:?} {magnitude}: {e}"));
                    assert_eq!(batch.targets, original.targets, "{name} {augmentation:?}");
                    assert_eq!(
                        batch.mix.is_some(),
                        augmentation == Augmentation::Mixup,
                        "{name} {augmentation:?}"
                    );
                    assert_eq!(
                        batch,
                        run(step, &samples, seed).1,
                        "{name} {augmentation:?} is not deterministic"
                    );
                    changed |= batch != original;
                }
                assert!(
                    changed,
                    "{name} {augmentation:?} {magnitude} never changed anything"
                );
            }
        }
    }
    assert_eq!(covered.len(), Augmentation::ALL.len());
}

#[test]
fn magnitude_or_probability_zero_is_the_identity() {
    for (name, samples) in cases() {
        for augmentation in Augmentation::ALL {
            for (p, m) in [(1.0, 0.0), (0.0, 1.0)] {
                let (original, batch, _) = run(AugmentStep::new(augmentation, p, m), &samples, 1);
                assert_eq!(batch, original, "{name} {augmentation:?} p {p} m {m}");
            }
        }
    }
}

#[test]
fn geometric_transforms_at_tiny_magnitudes_barely_move_pixels() {
    // The functions themselves (not only the skipped zero) tend to the identity.
    let samples = image_samples(8, 8);
    for augmentation in [
        Augmentation::Rotate,
        Augmentation::Translate,
        Augmentation::Scale,
        Augmentation::ResizedCrop,
        Augmentation::Elastic,
        Augmentation::Brightness,
        Augmentation::Contrast,
        Augmentation::Gamma,
        Augmentation::Noise,
    ] {
        let (original, batch, _) = run(AugmentStep::new(augmentation, 1.0, 1e-4), &samples, 2);
        let (BatchInput::Images { pixels: a, .. }, BatchInput::Images { pixels: b, .. }) =
            (&original.input, &batch.input)
        else {
            unreachable!()
        };
        let worst = a
            .iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max);
        assert!(worst < 0.01, "{augmentation:?} moved a value by {worst}");
    }
}

#[test]
fn flips_and_quarter_turns_undo_themselves() {
    let samples = image_samples(6, 6);
    let context = AugmentContext::of_samples(&samples, 3);
    let original = samples.batch(&[0, 1, 2]);
    for (augmentation, times) in [
        (Augmentation::FlipHorizontal, 2),
        (Augmentation::FlipVertical, 2),
    ] {
        let mut batch = original.clone();
        let config = AugmentConfig {
            steps: vec![AugmentStep::new(augmentation, 1.0, 1.0); times],
        };
        augment_batch(&config, &mut batch, &context, &mut augment_rng(0, 0));
        assert_eq!(batch, original, "{augmentation:?}");
    }
    // Four turns by the same random amount each time: the draws differ, so instead check
    // the multiset of values is kept.
    let mut batch = original.clone();
    let config = AugmentConfig {
        steps: vec![AugmentStep::new(Augmentation::Rotate90, 1.0, 1.0)],
    };
    augment_batch(&config, &mut batch, &context, &mut augment_rng(0, 0));
    let sorted = |b: &Batch| {
        let BatchInput::Images { pixels, .. } = &b.input else {
            unreachable!()
        };
        let mut v = pixels.clone();
        v.sort_by(f32::total_cmp);
        v
    };
    assert_ne!(batch, original);
    assert_eq!(sorted(&batch), sorted(&original));
}

#[test]
fn reverse_complement_maps_letters_and_twice_is_the_identity() {
    let mut set = Sequences::new(4, Some("ACGT".into()));
    set.push(Sequences::one_hot("ACGT", "AACGTN"), 0);
    let samples = Samples::Sequences(set.clone());
    let step = AugmentStep::new(Augmentation::ReverseComplement, 1.0, 1.0);
    let (original, batch, _) = run(step, &samples, 0);
    let BatchInput::Sequences { values, .. } = &batch.input else {
        unreachable!()
    };
    let mut out = set.clone();
    out.values[0] = values.clone();
    assert_eq!(out.letters(0).unwrap(), "NACGTT");
    let config = AugmentConfig {
        steps: vec![step, step],
    };
    let mut twice = original.clone();
    let context = AugmentContext::of_samples(&samples, 3);
    augment_batch(&config, &mut twice, &context, &mut augment_rng(0, 0));
    assert_eq!(twice, original);
}

#[test]
fn nucleic_alphabets_are_recognised() {
    assert!(sequence::is_nucleic("ACGT"));
    assert!(sequence::is_nucleic("ACGU"));
    assert!(sequence::is_nucleic("TGCAN"));
    assert!(!sequence::is_nucleic("ACDEFGHIKLMNPQRSTVWY"));
    assert!(!sequence::is_nucleic("ACGTU"));
    assert!(!sequence::is_nucleic(""));
}

#[test]
fn fits_offers_only_what_suits_the_data() {
    use Augmentation::*;
    let fit = |kind, alphabet| Augmentation::fitting(kind, alphabet);
    assert!(fit(DataKind::Sequence, Some("ACGT")).contains(&ReverseComplement));
    assert!(!fit(DataKind::Sequence, Some("ACDEFGHIKLMNPQRSTVWY")).contains(&ReverseComplement));
    assert!(fit(DataKind::Sequence, Some("ACDEFGHIKLMNPQRSTVWY")).contains(&Mutate));
    assert!(!fit(DataKind::Sequence, None).contains(&Mutate));
    assert!(fit(DataKind::Sequence, None).contains(&TimeWarp));
    assert!(!fit(DataKind::Sequence, Some("ACGT")).contains(&Jitter));
    assert!(fit(DataKind::Node, None).contains(&DropEdges));
    assert!(!fit(DataKind::Node, None).contains(&DropNodes));
    assert!(fit(DataKind::Graph, None).contains(&Subgraph));
    assert!(fit(DataKind::Table, None).is_empty());
    assert!(fit(DataKind::Image, None).contains(&FlipVertical));
    for a in Augmentation::ALL {
        assert_eq!(Augmentation::from_id(a.id()), Some(a));
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, format!("\"{}\"", a.id()));
        assert!(!a.title().is_empty() && !a.assumes().is_empty());
    }
}

#[test]
fn presets_fit_their_kind_and_validate() {
    let kinds: [(DataKind, Option<&str>); 6] = [
        (DataKind::Image, None),
        (DataKind::Sequence, Some("ACGT")),
        (DataKind::Sequence, Some("ACDEFGHIKLMNPQRSTVWY")),
        (DataKind::Sequence, None),
        (DataKind::Graph, None),
        (DataKind::Node, None),
    ];
    for (kind, alphabet) in kinds {
        assert!(AugmentConfig::preset(Preset::None, kind, alphabet).is_identity());
        for preset in [Preset::Light, Preset::Strong] {
            let config = AugmentConfig::preset(preset, kind, alphabet);
            config.validate_for(kind, alphabet).unwrap();
            assert!(!config.is_identity(), "{preset:?} {kind:?}");
        }
    }
    assert!(AugmentConfig::preset(Preset::Strong, DataKind::Table, None).is_identity());
}

#[test]
fn validate_explains_what_is_wrong() {
    let bad = AugmentConfig {
        steps: vec![AugmentStep::new(Augmentation::Noise, 1.5, 0.2)],
    };
    assert!(bad.validate().unwrap_err().contains("probability 1.5"));
    let bad = AugmentConfig {
        steps: vec![AugmentStep::new(Augmentation::Noise, 0.5, f32::NAN)],
    };
    assert!(bad.validate().unwrap_err().contains("magnitude"));
    let twice = AugmentConfig {
        steps: vec![AugmentStep::new(Augmentation::Mixup, 0.5, 0.5); 2],
    };
    assert!(twice.validate().unwrap_err().contains("Mixup"));
    let misfit = AugmentConfig {
        steps: vec![AugmentStep::new(Augmentation::Jitter, 0.5, 0.5)],
    };
    assert!(misfit.validate().is_ok());
    assert!(
        misfit
            .validate_for(DataKind::Image, None)
            .unwrap_err()
            .contains("Jitter")
    );
    assert!(misfit.fitted(DataKind::Image, None).steps.is_empty());
}

#[test]
fn steps_of_a_run_draw_different_numbers_and_the_same_step_the_same() {
    use rand::RngExt;
    let draw = |seed, step| augment_rng(seed, step).random::<u64>();
    assert_eq!(draw(1, 5), draw(1, 5));
    assert_ne!(draw(1, 5), draw(1, 6));
    assert_ne!(draw(1, 5), draw(2, 5));
    assert_ne!(draw(1, 0), rng(1, Stream::Order).random::<u64>());
}

#[test]
fn the_catalogue_has_one_row_per_augmentation_in_variant_order_named_as_serialised() {
    for (i, row) in CATALOGUE.iter().enumerate() {
        assert_eq!(row.augmentation as usize, i, "{} out of order", row.id);
        assert_eq!(row.augmentation.row().id, row.id);
        assert_eq!(
            serde_json::to_string(&row.augmentation).unwrap(),
            format!("\"{}\"", row.id)
        );
        assert_eq!(Augmentation::from_id(row.id), Some(row.augmentation));
        assert!(!row.title.is_empty() && !row.assumes.is_empty());
    }
}

#[test]
fn graph_augmentations_keep_each_bond_with_its_edge() {
    // Node k of every graph carries k + 1 (unique); edge (a, b) has bond (a + b) % 5.
    let bond_of = |a: u32, b: u32| ((a + b) % 5) as u8;
    let molecule = |n: u32| {
        let mut edges: Vec<[u32; 2]> = (0..n).map(|k| [k, (k + 1) % n]).collect();
        edges.extend((2..n - 1).map(|k| [0, k]));
        Graph {
            features: (0..n).map(|k| (k + 1) as f32).collect(),
            bonds: edges.iter().map(|&[a, b]| bond_of(a, b)).collect(),
            edges,
        }
    };
    let samples = Samples::Graphs(Graphs {
        measured: Vec::new(),
        feature_dim: 1,
        feature_names: vec!["id".into()],
        graphs: vec![molecule(7), molecule(9), molecule(5)],
        labels: vec![0, 1, 0],
    });
    for augmentation in [
        Augmentation::DropEdges,
        Augmentation::DropNodes,
        Augmentation::Subgraph,
    ] {
        let mut edges_seen = 0;
        for seed in 0..5 {
            let (original, batch, _) =
                run(AugmentStep::new(augmentation, 1.0, 1.0), &samples, seed);
            let BatchInput::Graphs {
                features,
                edges,
                bonds,
                ..
            } = &batch.input
            else {
                panic!("graphs")
            };
            assert_eq!(edges.len(), bonds.len(), "{augmentation:?}");
            assert_ne!(batch, original, "{augmentation:?} changed nothing");
            for (&[a, b], &bond) in edges.iter().zip(bonds) {
                let id = |node: u32| features[node as usize] as u32 - 1;
                assert_eq!(bond, bond_of(id(a), id(b)), "{augmentation:?} seed {seed}");
                edges_seen += 1;
            }
        }
        assert!(edges_seen > 0, "{augmentation:?} kept no edge");
    }
}
