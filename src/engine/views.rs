//! How samples are drawn for the UI: plain views of dataset samples and augmented batches.

use crate::ml::data::{Batch, BatchInput, Dataset, Samples};
use crate::ml::layout::stress_layout;
use crate::protocol::{GalleryItem, SampleView};

/// One sample of a (one-sample) batch drawn as [`sample_view`] draws it from `samples`.
pub(super) fn batch_view(
    batch: &Batch,
    samples: &Samples,
    layout: Option<&[(f32, f32)]>,
) -> SampleView {
    let to_bytes = |values: &[f32]| {
        values
            .iter()
            .map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
            .collect()
    };
    match (&batch.input, samples) {
        (BatchInput::Images { pixels, shape }, _) => SampleView::Image {
            channels: shape[1],
            height: shape[2],
            width: shape[3],
            pixels: to_bytes(pixels),
        },
        (
            BatchInput::Sequences {
                values,
                shape,
                lengths,
            },
            Samples::Sequences(set),
        ) => {
            let channels = shape[2];
            let real = &values[..lengths[0] * channels];
            let mut one = crate::ml::data::Sequences::new(channels, set.alphabet.clone());
            one.push(real.to_vec(), 0);
            sample_view(&Samples::Sequences(one), 0)
        }
        (
            BatchInput::Graphs {
                features,
                feature_dim,
                edges,
                ..
            },
            Samples::Graphs(set),
        ) => {
            let graphs = crate::ml::data::Graphs {
                measured: Vec::new(),
                feature_dim: *feature_dim,
                feature_names: set.feature_names.clone(),
                graphs: vec![crate::ml::data::Graph {
                    features: features.clone(),
                    edges: edges.clone(),
                    bonds: Vec::new(),
                }],
                labels: vec![0],
            };
            sample_view(&Samples::Graphs(graphs), 0)
        }
        (BatchInput::Nodes { edges, .. }, Samples::Nodes(_)) => match layout {
            Some(layout) => network_of(samples, layout, Some(edges)),
            None => SampleView::Series { values: vec![] },
        },
        (BatchInput::Table { values, .. }, Samples::Table(table)) => SampleView::Row {
            names: table.feature_names.clone(),
            values: values.clone(),
        },
        _ => SampleView::Series { values: vec![] },
    }
}

/// A node dataset's whole graph, with `edges` in place of its own if given.
pub(super) fn network_of(
    samples: &Samples,
    layout: &[(f32, f32)],
    edges: Option<&Vec<[u32; 2]>>,
) -> SampleView {
    let Samples::Nodes(nodes) = samples else {
        unreachable!("network views are for node datasets");
    };
    SampleView::Network {
        positions: layout.to_vec(),
        edges: edges.unwrap_or(&nodes.graph.edges).clone(),
        truth: nodes.all_labels.to_vec(),
        predicted: None,
        highlight: vec![false; nodes.all_labels.len()],
    }
}

/// The whole graph of a node-classification dataset as one gallery item: emphasised are the
/// `selected` nodes, or else the validation nodes.
pub(super) fn network_item(
    dataset: &Dataset,
    layout: &[(f32, f32)],
    predicted: Option<Vec<u32>>,
    selected: Option<&[usize]>,
) -> GalleryItem {
    let (Samples::Nodes(train), Samples::Nodes(valid)) = (&dataset.train, &dataset.valid) else {
        unreachable!("network views are for node datasets");
    };
    let mut highlight = vec![false; train.all_labels.len()];
    for &node in selected.unwrap_or(&valid.nodes) {
        highlight[node] = true;
    }
    GalleryItem {
        index: 0,
        label: 0,
        prediction: None,
        value: None,
        view: SampleView::Network {
            positions: layout.to_vec(),
            edges: train.graph.edges.clone(),
            truth: train.all_labels.to_vec(),
            predicted,
            highlight,
        },
    }
}

/// Sample `index` of `samples` for a gallery, with the model's class and probability, or its
/// value for a measured target, when it has seen it.
pub(super) fn gallery_item(
    samples: &Samples,
    index: usize,
    prediction: Option<(u32, f32)>,
    predicted_value: Option<f32>,
) -> GalleryItem {
    let measured = samples.measured();
    GalleryItem {
        index,
        label: samples.labels()[index],
        prediction,
        value: (!measured.is_empty()).then(|| (measured[index], predicted_value)),
        view: sample_view(samples, index),
    }
}

/// A sample as the UI draws it (node samples are drawn as the whole network instead).
pub fn sample_view(samples: &Samples, index: usize) -> SampleView {
    match samples {
        Samples::Sequences(set) => match (&set.alphabet, set.letters(index)) {
            (Some(alphabet), Some(letters)) => SampleView::Letters {
                alphabet: alphabet.clone(),
                letters,
            },
            _ => SampleView::Series {
                values: set.values[index]
                    .iter()
                    .step_by(set.channels)
                    .copied()
                    .collect(),
            },
        },
        Samples::Graphs(set) => {
            let graph = &set.graphs[index];
            let nodes = graph.num_nodes(set.feature_dim);
            SampleView::Graph {
                positions: stress_layout(nodes, &graph.edges, 100),
                edges: graph.edges.clone(),
                bonds: graph.bonds.clone(),
                node_types: graph
                    .features
                    .chunks(set.feature_dim)
                    .map(|f| crate::ml::metrics::argmax_rows(f, set.feature_dim)[0].0)
                    .collect(),
                type_names: set.feature_names.clone(),
            }
        }
        Samples::Nodes(set) => SampleView::Series {
            values: set.graph.features
                [set.nodes[index] * set.feature_dim..(set.nodes[index] + 1) * set.feature_dim]
                .to_vec(),
        },
        Samples::Table(table) => SampleView::Row {
            names: table.feature_names.clone(),
            values: table.row(index).to_vec(),
        },
        Samples::Images(images) => SampleView::Image {
            channels: images.channels,
            height: images.height,
            width: images.width,
            pixels: images
                .image(index)
                .iter()
                .map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
                .collect(),
        },
    }
}
