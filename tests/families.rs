//! Native tests of the sequence and graph model families on Flex: message passing against a
//! dense reference, invariances, batching, padding, gradients, and learning.

mod common;

use burn::prelude::*;
use petri::ml::data::{BatchInput, BuiltinDataset, DataShape, Graph, Samples};
use petri::ml::experiment::Experiment;
use petri::ml::explain::randomise::reinitialise_from;
use petri::ml::models::nets::gnn::GraphTensors;
use petri::ml::models::{
    CellKind, Cnn1dConfig, GnnConfig, GnnKind, Model, ModelConfig, Pooling, Positions, Readout,
    RnnConfig, TokenPooling, TransformerConfig,
};
use petri::ml::session::Session;
use std::sync::Arc;

fn values(tensor: Tensor<2>) -> Vec<f32> {
    tensor.into_data().try_to_vec::<f32>().unwrap()
}

fn assert_close(a: &[f32], b: &[f32], tolerance: f32, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tolerance * (1.0 + y.abs()),
            "{what}: element {i}: {x} vs {y}"
        );
    }
}

/// A 5-node graph: a triangle with a two-node tail.
const EDGES: [[u32; 2]; 5] = [[0, 1], [1, 2], [2, 0], [2, 3], [3, 4]];
const NODES: usize = 5;

#[test]
fn gcn_propagation_matches_the_dense_normalised_adjacency() {
    let device = Device::flex();
    let x: Vec<f32> = (0..NODES * 3).map(|i| (i as f32 * 0.37).sin()).collect();
    let graph = GraphTensors::new(GnnKind::Gcn, NODES, &EDGES, &device);
    let got = values(graph.propagate(Tensor::from_data(
        TensorData::new(x.clone(), [NODES, 3]),
        &device,
    )));

    // Dense reference: D^-1/2 (A + I) D^-1/2 X.
    let mut a = [[0.0f32; NODES]; NODES];
    for (i, row) in a.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    for [p, q] in EDGES {
        a[p as usize][q as usize] = 1.0;
        a[q as usize][p as usize] = 1.0;
    }
    let degree: Vec<f32> = a.iter().map(|row| row.iter().sum()).collect();
    let mut expected = vec![0.0f32; NODES * 3];
    for i in 0..NODES {
        for j in 0..NODES {
            let w = a[i][j] / (degree[i] * degree[j]).sqrt();
            for f in 0..3 {
                expected[i * 3 + f] += w * x[j * 3 + f];
            }
        }
    }
    assert_close(&got, &expected, 1e-5, "GCN propagation");

    // GIN sums the neighbours without self-loops or weights: A X.
    let graph = GraphTensors::new(GnnKind::Gin, NODES, &EDGES, &device);
    let got = values(graph.propagate(Tensor::from_data(
        TensorData::new(x.clone(), [NODES, 3]),
        &device,
    )));
    let mut expected = vec![0.0f32; NODES * 3];
    for [p, q] in EDGES {
        for f in 0..3 {
            expected[p as usize * 3 + f] += x[q as usize * 3 + f];
            expected[q as usize * 3 + f] += x[p as usize * 3 + f];
        }
    }
    assert_close(&got, &expected, 1e-5, "GIN neighbour sum");
}

fn gnn(kind: GnnKind, readout: Readout) -> ModelConfig {
    ModelConfig::Gnn(GnnConfig {
        kind,
        layers: 3,
        hidden: 8,
        readout,
        ..GnnConfig::default()
    })
}

fn graphs_input(graphs: &[Graph], feature_dim: usize) -> BatchInput {
    let set = petri::ml::data::Graphs {
        measured: Vec::new(),
        feature_dim,
        feature_names: vec![],
        graphs: graphs.to_vec(),
        labels: vec![0; graphs.len()],
    };
    Samples::Graphs(set)
        .batch(&(0..graphs.len()).collect::<Vec<_>>())
        .input
}

fn molecule_batch() -> (Vec<Graph>, usize) {
    let data = BuiltinDataset::Molecules.generate(3);
    let Samples::Graphs(set) = data.train else {
        panic!("molecules are graphs")
    };
    // Bonds of every type, as SMILES molecules have them (GINE reads them).
    let graphs = set.graphs[..4]
        .iter()
        .map(|g| Graph {
            bonds: (0..g.edges.len()).map(|k| (k % 5) as u8).collect(),
            ..g.clone()
        })
        .collect();
    (graphs, set.feature_dim)
}

#[test]
fn graph_predictions_do_not_depend_on_node_order() {
    let device = Device::flex();
    let (graphs, dim) = molecule_batch();
    let shape = DataShape::Graph { features: dim };
    for (kind, readout) in [
        (GnnKind::Gcn, Readout::Mean),
        (GnnKind::Gin, Readout::Sum),
        (GnnKind::Gin, Readout::Max),
        (GnnKind::Gine, Readout::Sum),
        (GnnKind::Gat, Readout::Mean),
    ] {
        let model = gnn(kind, readout).init(&shape, 2, &device).unwrap();
        let original = values(model.forward(&graphs_input(&graphs, dim), &device));
        let permuted: Vec<Graph> = graphs
            .iter()
            .map(|g| {
                let n = g.num_nodes(dim);
                let order: Vec<usize> = (0..n).map(|i| (i * 7 + 3) % n).collect();
                let mut seen = order.clone();
                seen.sort();
                if seen != (0..n).collect::<Vec<_>>() {
                    // 7 shares a factor with n: reverse instead.
                    return g.permuted(dim, &(0..n).rev().collect::<Vec<_>>());
                }
                g.permuted(dim, &order)
            })
            .collect();
        let shuffled = values(model.forward(&graphs_input(&permuted, dim), &device));
        assert_close(&shuffled, &original, 1e-4, &format!("{kind:?}/{readout:?}"));
    }
}

#[test]
fn graphs_of_different_sizes_batch_as_if_run_alone() {
    let device = Device::flex();
    let (graphs, dim) = molecule_batch();
    let sizes: Vec<usize> = graphs.iter().map(|g| g.num_nodes(dim)).collect();
    assert!(
        sizes.iter().min() != sizes.iter().max(),
        "sizes differ: {sizes:?}"
    );
    let shape = DataShape::Graph { features: dim };
    for (kind, readout) in [
        (GnnKind::Gin, Readout::Mean),
        (GnnKind::Gin, Readout::Sum),
        (GnnKind::Gin, Readout::Max),
        (GnnKind::Gine, Readout::Sum),
        (GnnKind::Gat, Readout::Max),
    ] {
        let model = gnn(kind, readout).init(&shape, 2, &device).unwrap();
        let together = values(model.forward(&graphs_input(&graphs, dim), &device));
        for (i, graph) in graphs.iter().enumerate() {
            let alone =
                values(model.forward(&graphs_input(std::slice::from_ref(graph), dim), &device));
            assert_close(
                &together[i * 2..i * 2 + 2],
                &alone,
                1e-4,
                &format!("graph {i} {readout:?}"),
            );
        }
    }
}

#[test]
fn gat_attention_sums_to_one_at_each_node_and_an_edge_weighted_0_gets_none() {
    let device = Device::flex();
    let (graphs, dim) = molecule_batch();
    let graph = &graphs[0];
    let nodes = graph.num_nodes(dim);
    let Model::Gnn(model) = gnn(GnnKind::Gat, Readout::Mean)
        .init(&DataShape::Graph { features: dim }, 2, &device)
        .unwrap()
    else {
        unreachable!()
    };
    let features = Tensor::<2>::from_data(
        TensorData::new(graph.features.clone(), [nodes, dim]),
        &device,
    );
    let edges = graph.edges.len();
    let mut switch = vec![1.0f32; edges];
    switch[0] = 0.0;
    let plain = GraphTensors::new(GnnKind::Gat, nodes, &graph.edges, &device);
    let receivers: Vec<i32> = plain.receivers.clone().into_data().try_to_vec().unwrap();
    let off = GraphTensors::new(GnnKind::Gat, nodes, &graph.edges, &device)
        .with_edge_weights(Tensor::from_data(TensorData::new(switch, [edges]), &device));
    for (tensors, name) in [(&plain, "plain"), (&off, "edge 0 off")] {
        let layers = model.attention(features.clone(), tensors);
        assert_eq!(layers.len(), 3);
        for alpha in layers {
            let alpha: Vec<f32> = alpha.into_data().try_to_vec().unwrap();
            assert_eq!(alpha.len(), 2 * edges + nodes, "both ways and a self-loop");
            let mut sums = vec![0.0f32; nodes];
            for (a, &r) in alpha.iter().zip(&receivers) {
                assert!(*a >= 0.0);
                sums[r as usize] += a;
            }
            for s in sums {
                assert!((s - 1.0).abs() < 1e-5, "{name}: {s}");
            }
            if name == "edge 0 off" {
                assert_eq!(&alpha[..2], &[0.0, 0.0], "messages 0 and 1 carry edge 0");
            } else {
                assert!(alpha[0] > 0.0);
            }
        }
    }
}

fn sequences(lengths: &[usize], channels: usize) -> Samples {
    let mut set = petri::ml::data::Sequences::new(channels, None);
    for (k, &length) in lengths.iter().enumerate() {
        let values = (0..length * channels)
            .map(|i| ((i + 13 * k) as f32 * 0.71).sin())
            .collect();
        set.push(values, 0);
    }
    Samples::Sequences(set)
}

#[test]
fn padding_does_not_change_sequence_outputs() {
    let device = Device::flex();
    let lengths = [7, 3, 11, 5];
    let samples = sequences(&lengths, 2);
    let shape = DataShape::Sequence {
        channels: 2,
        max_length: 11,
    };
    let mut configs = Vec::new();
    for cell in [CellKind::Gru, CellKind::Lstm] {
        for bidirectional in [false, true] {
            for pooling in [Pooling::Last, Pooling::Mean] {
                configs.push(ModelConfig::Rnn(RnnConfig {
                    cell,
                    layers: 2,
                    hidden: 6,
                    bidirectional,
                    pooling,
                    dropout: 0.0,
                }));
            }
        }
    }
    configs.push(ModelConfig::Cnn1d(Cnn1dConfig::default()));
    configs.extend(small_transformers().map(ModelConfig::Transformer));
    for config in configs {
        let model = config.init(&shape, 3, &device).unwrap();
        let batch = samples.batch(&[0, 1, 2, 3]);
        let BatchInput::Sequences {
            shape: batch_shape, ..
        } = &batch.input
        else {
            unreachable!()
        };
        assert_eq!(*batch_shape, [4, 11, 2], "padded to the longest");
        let together = values(model.forward(&batch.input, &device));
        assert_eq!(together.len(), 4 * 3);
        for i in 0..lengths.len() {
            let alone = values(model.forward(&samples.batch(&[i]).input, &device));
            assert_close(
                &together[i * 3..i * 3 + 3],
                &alone,
                1e-4,
                &format!("{config:?} sequence {i}"),
            );
        }
    }
}

/// Transformers covering every choice: class token or mean, sinusoids or learned positions,
/// pre- or post-norm, one position per token, patches of 3 or overlapping 4-mers every 2.
fn small_transformers() -> impl Iterator<Item = TransformerConfig> {
    [
        (1, 1, Positions::Sinusoidal, true, TokenPooling::ClassToken),
        (3, 3, Positions::Learned, false, TokenPooling::Mean),
        (1, 1, Positions::Learned, true, TokenPooling::Mean),
        (4, 2, Positions::Sinusoidal, false, TokenPooling::ClassToken),
        (3, 1, Positions::Learned, true, TokenPooling::ClassToken),
    ]
    .into_iter()
    .map(
        |(kmer, stride, positions, pre_norm, pooling)| TransformerConfig {
            kmer,
            stride,
            positions,
            layers: 2,
            heads: 2,
            width: 8,
            feed_forward: 12,
            dropout: 0.0,
            pre_norm,
            pooling,
        },
    )
}

#[test]
fn attention_rows_sum_to_one_over_the_real_tokens() {
    let device = Device::flex();
    let lengths = [7, 3, 11, 5];
    let samples = sequences(&lengths, 2);
    let shape = DataShape::Sequence {
        channels: 2,
        max_length: 11,
    };
    for config in small_transformers() {
        let Model::Transformer(model) = ModelConfig::Transformer(config.clone())
            .init(&shape, 3, &device)
            .unwrap()
        else {
            unreachable!()
        };
        let BatchInput::Sequences {
            values,
            shape: batch_shape,
            lengths: batch_lengths,
        } = samples.batch(&[0, 1, 2, 3]).input
        else {
            unreachable!()
        };
        let input = Tensor::<3>::from_data(TensorData::new(values, batch_shape), &device);
        let lead = usize::from(config.pooling == TokenPooling::ClassToken);
        for weights in model.attention(input, &batch_lengths) {
            let [batch, heads, tokens, keys] = weights.dims();
            assert_eq!(
                (batch, heads, tokens, keys),
                (4, 2, config.tokens(11) + lead, tokens)
            );
            let w = weights.into_data().try_to_vec::<f32>().unwrap();
            for (b, &length) in lengths.iter().enumerate() {
                let real = config.tokens(length) + lead;
                for h in 0..heads {
                    for q in 0..real {
                        let row = &w[((b * heads + h) * tokens + q) * tokens..][..tokens];
                        let inside: f32 = row[..real].iter().sum();
                        assert!(
                            (inside - 1.0).abs() < 1e-5,
                            "{config:?}: row sums to {inside}"
                        );
                        assert!(row[real..].iter().all(|&v| v == 0.0), "{config:?}: {row:?}");
                    }
                }
            }
        }
    }
}

#[test]
fn rnn_transformer_and_gnn_gradients_match_finite_differences() {
    let device = Device::flex().autodiff();
    device.seed(5);
    let samples = sequences(&[6, 4, 5], 3);
    let shape = DataShape::Sequence {
        channels: 3,
        max_length: 6,
    };
    for cell in [CellKind::Gru, CellKind::Lstm] {
        let model = ModelConfig::Rnn(RnnConfig {
            cell,
            layers: 1,
            hidden: 4,
            bidirectional: true,
            pooling: Pooling::Mean,
            dropout: 0.0,
        })
        .init(&shape, 3, &device)
        .unwrap();
        let checked = common::check_gradients(
            &model,
            &samples.batch(&[0, 1, 2]).input,
            &[0, 2, 1],
            &device,
        );
        assert!(checked >= 10, "{cell:?}: {checked} checked");
    }
    for config in small_transformers() {
        let config = TransformerConfig {
            layers: 1,
            ..config
        };
        // Weights from a seeded stream of their own: tests running beside this one draw from
        // the device's, and a GAT's LeakyReLU has a kink that a random draw may sit near.
        let model = reinitialise_from(
            ModelConfig::Transformer(config.clone())
                .init(&shape, 3, &device)
                .unwrap(),
            0,
            7,
        );
        let checked = common::check_gradients(
            &model,
            &samples.batch(&[0, 1, 2]).input,
            &[0, 2, 1],
            &device,
        );
        assert!(checked >= 10, "{config:?}: {checked} checked");
    }
    let (graphs, dim) = molecule_batch();
    for kind in GnnKind::ALL {
        let model: Model = ModelConfig::Gnn(GnnConfig {
            kind,
            layers: 2,
            hidden: 5,
            activation: petri::ml::models::Activation::Tanh,
            dropout: 0.0,
            readout: Readout::Mean,
        })
        .init(&DataShape::Graph { features: dim }, 2, &device)
        .unwrap();
        let model = if kind == GnnKind::Gat {
            reinitialise_from(model, 0, 7)
        } else {
            model
        };
        let checked =
            common::check_gradients(&model, &graphs_input(&graphs, dim), &[0, 1, 1, 0], &device);
        assert!(checked >= 10, "{kind:?}: {checked} checked");
    }
}

#[test]
fn gine_reads_the_bond_types_and_gin_does_not() {
    let device = Device::flex();
    let (graphs, dim) = molecule_batch();
    let shape = DataShape::Graph { features: dim };
    let retyped: Vec<Graph> = graphs
        .iter()
        .map(|g| Graph {
            bonds: g.bonds.iter().map(|&b| (b + 1) % 5).collect(),
            ..g.clone()
        })
        .collect();
    for (kind, reads) in [(GnnKind::Gin, false), (GnnKind::Gine, true)] {
        let model = gnn(kind, Readout::Sum).init(&shape, 2, &device).unwrap();
        let typed = values(model.forward(&graphs_input(&graphs, dim), &device));
        let other = values(model.forward(&graphs_input(&retyped, dim), &device));
        let differs = typed.iter().zip(&other).any(|(a, b)| (a - b).abs() > 1e-4);
        assert_eq!(differs, reads, "{kind:?}: {typed:?} vs {other:?}");
    }
    // A graph without bond types is read as untyped edges, as bonds of type 0 are.
    let untyped: Vec<Graph> = graphs
        .iter()
        .map(|g| Graph {
            bonds: Vec::new(),
            ..g.clone()
        })
        .collect();
    let zeros: Vec<Graph> = graphs
        .iter()
        .map(|g| Graph {
            bonds: vec![0; g.edges.len()],
            ..g.clone()
        })
        .collect();
    let model = gnn(GnnKind::Gine, Readout::Mean)
        .init(&shape, 2, &device)
        .unwrap();
    assert_close(
        &values(model.forward(&graphs_input(&untyped, dim), &device)),
        &values(model.forward(&graphs_input(&zeros, dim), &device)),
        1e-6,
        "untyped edges",
    );
}

/// Trains `dataset` with its default model for `steps` steps; returns validation accuracy.
fn accuracy_after(dataset: BuiltinDataset, steps: usize, learning_rate: f64) -> f64 {
    let experiment = Experiment {
        dataset: dataset.into(),
        model: ModelConfig::default_for_dataset(dataset),
        learning_rate,
        ..Experiment::default()
    };
    let data = Arc::new(dataset.generate(experiment.seed));
    let mut session = Session::new(&experiment, data, &Device::flex()).unwrap();
    for _ in 0..steps {
        session.train_step();
    }
    pollster::block_on(session.evaluate()).unwrap().accuracy
}

#[test]
fn each_family_learns_its_task_well_above_chance() {
    let dna = accuracy_after(BuiltinDataset::DnaMotif, 250, 0.005);
    assert!(dna > 0.85, "DNA motif with a 1-D CNN: {dna}");
    let waves = accuracy_after(BuiltinDataset::Waveforms, 120, 0.005);
    assert!(waves > 0.5, "waveforms with a GRU (chance 0.25): {waves}");
    let rings = accuracy_after(BuiltinDataset::Molecules, 400, 0.005);
    assert!(rings > 0.8, "molecule rings with a GIN: {rings}");
    let club = accuracy_after(BuiltinDataset::KarateClub, 80, 0.01);
    assert!(club > 0.85, "karate club with a GCN: {club}");
}

/// Three classes of rows whose features live on very different scales (so per-column
/// standardization matters) and whose class depends on two of them.
fn table_dataset(rows: usize, seed: u64) -> petri::ml::data::Dataset {
    use petri::ml::data::{Table, stratified_split};
    let mut table = Table::new(vec!["a".into(), "b".into(), "noise".into(), "c".into()]);
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f32 / (1u64 << 53) as f32
    };
    for i in 0..rows {
        let class = (i % 3) as u32;
        let a = 1000.0 * (class as f32 + next() * 0.8);
        let c = 0.001 * (if class == 2 { 1.0 } else { 0.0 } + next() * 0.5);
        table.push(&[a, next(), 50.0 * next(), c], class);
    }
    let (train, valid) = stratified_split(&table.labels, 3, 0.25, seed);
    let all = Samples::Table(table);
    petri::ml::data::Dataset::new(
        "table".into(),
        vec!["x".into(), "y".into(), "z".into()],
        all.subset(&train),
        all.subset(&valid),
    )
}

#[test]
fn an_mlp_learns_a_table_with_features_on_different_scales() {
    let data = Arc::new(table_dataset(600, 3));
    let experiment = Experiment {
        model: ModelConfig::default_for(petri::ml::data::DataKind::Table),
        ..Experiment::default()
    };
    let summary = experiment
        .model
        .summary(&DataShape::Table { features: 4 }, 3)
        .unwrap();
    assert_eq!(
        summary.params,
        (4 * 64 + 64) + (64 * 32 + 32) + (32 * 3 + 3)
    );
    let mut session = Session::new(&experiment, data, &Device::flex()).unwrap();
    for _ in 0..150 {
        session.train_step();
    }
    let accuracy = pollster::block_on(session.evaluate()).unwrap().accuracy;
    assert!(accuracy > 0.9, "MLP on a table (chance 0.33): {accuracy}");
}

#[test]
fn mlp_gradients_match_finite_differences() {
    let device = Device::flex().autodiff();
    let model = ModelConfig::Mlp(petri::ml::models::MlpConfig {
        hidden: vec![5],
        activation: petri::ml::models::Activation::Tanh,
        dropout: 0.0,
    })
    .init(&DataShape::Table { features: 3 }, 2, &device)
    .unwrap();
    let input = BatchInput::Table {
        values: vec![0.5, -1.0, 0.25, 1.5, 0.1, -0.3],
        shape: [2, 3],
    };
    let checked = common::check_gradients(&model, &input, &[0, 1], &device);
    assert!(checked >= 10, "{checked} checked");
}
