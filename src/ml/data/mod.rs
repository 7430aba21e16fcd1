//! Datasets: the built-in procedural ones, splits and batching.
//!
//! Everything here is plain data (no tensors), so the UI can hold it too.

mod builtin;
pub mod cells;
pub mod communities;
pub mod dna;
mod graphs;
mod images;
pub mod karate;
pub mod molecules;
mod sequences;
pub mod shapes;
mod split;
mod table;
pub mod waveforms;

pub use builtin::BuiltinDataset;
pub use graphs::{EDGE_TYPES, Graph, Graphs, Nodes, UNTYPED, edge_type};
pub use images::Images;
pub use sequences::Sequences;
pub use split::{stratified_split, stratified_split3};
pub use table::Table;

use crate::ml::label::{LabelSource, Part};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What kind of samples a dataset holds; decides which models and views fit it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DataKind {
    /// Images: `[channels, height, width]` per sample.
    Image,
    /// Sequences: `[length, channels]` per sample, lengths may differ.
    Sequence,
    /// Graph classification: each sample is a graph.
    Graph,
    /// Node classification: each sample is a node of one graph.
    Node,
    /// Tables: each sample is a row of numeric features.
    Table,
}

impl DataKind {
    /// The name shown in the UI.
    pub fn title(self) -> &'static str {
        match self {
            DataKind::Image => "images",
            DataKind::Sequence => "sequences",
            DataKind::Graph => "graphs",
            DataKind::Node => "graph nodes",
            DataKind::Table => "table rows",
        }
    }
}

/// The shape of one sample, which decides the model's input layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DataShape {
    /// Images of `channels × height × width`.
    Image {
        channels: usize,
        height: usize,
        width: usize,
    },
    /// Sequences of up to `max_length` positions of `channels` values.
    Sequence { channels: usize, max_length: usize },
    /// Graphs whose nodes carry `features` values.
    Graph { features: usize },
    /// Nodes carrying `features` values, in one graph.
    Node { features: usize },
    /// Table rows of `features` numbers.
    Table { features: usize },
}

impl DataShape {
    /// The kind of samples of this shape.
    pub fn kind(&self) -> DataKind {
        match self {
            DataShape::Image { .. } => DataKind::Image,
            DataShape::Sequence { .. } => DataKind::Sequence,
            DataShape::Graph { .. } => DataKind::Graph,
            DataShape::Node { .. } => DataKind::Node,
            DataShape::Table { .. } => DataKind::Table,
        }
    }
}

/// The label of a sample whose class is not known (an unlabeled sample). Never a class index:
/// a batch that would train on it is refused (see [`Samples::batch`]).
pub const NO_LABEL: u32 = u32::MAX;

/// A dataset as a run sees it: labeled training, validation and test parts, and the pool of
/// samples without a label.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Shown in the UI.
    pub name: String,
    /// One name per class; labels index into it.
    pub class_names: Vec<String>,
    /// Samples the model learns from (labels from the data, a person, or accepted
    /// pseudo-labels).
    pub train: Samples,
    /// Who gave each training sample's label when the data did not (`None`: the data; empty:
    /// every label came with the data).
    pub train_sources: Vec<Option<LabelSource>>,
    /// Samples held out to measure generalisation.
    pub valid: Samples,
    /// Samples held out for a final check (may be empty).
    pub test: Samples,
    /// Every sample that came without a (visible) label, labeled since or not. Shared, so a
    /// new labeling does not copy it.
    pub pool: Arc<Samples>,
    /// The pool samples still without a label, as indices into `pool`.
    pub unlabeled: Vec<usize>,
}

impl Dataset {
    /// A dataset of fully labeled training and validation parts, with no test part or pool.
    pub fn new(name: String, class_names: Vec<String>, train: Samples, valid: Samples) -> Self {
        let empty = train.subset(&[]);
        Self {
            name,
            class_names,
            train,
            train_sources: Vec::new(),
            valid,
            test: empty.clone(),
            pool: Arc::new(empty),
            unlabeled: Vec::new(),
        }
    }

    /// Who gave training sample `index`'s label (`None`: it came with the data).
    pub fn train_source(&self, index: usize) -> Option<LabelSource> {
        self.train_sources.get(index).copied().flatten()
    }

    /// Whether training sample `index` carries a pseudo-label.
    pub fn is_pseudo(&self, index: usize) -> bool {
        self.train_source(index) == Some(LabelSource::Pseudo)
    }

    /// The samples of `part` (the training part with every sample labeled since; the whole
    /// pool).
    pub fn part(&self, part: Part) -> &Samples {
        match part {
            Part::Train => &self.train,
            Part::Valid => &self.valid,
            Part::Test => &self.test,
            Part::Pool => &self.pool,
        }
    }

    /// The kind of samples held.
    pub fn kind(&self) -> DataKind {
        self.train.kind()
    }

    /// The shape of one sample.
    pub fn shape(&self) -> DataShape {
        self.train.shape()
    }

    /// The number of classes (1 for a measured quantity: the model's one output).
    pub fn num_classes(&self) -> usize {
        self.class_names.len()
    }

    /// Whether the targets are measured quantities (regression) rather than classes; the
    /// quantity's name is then `class_names[0]`.
    pub fn is_regression(&self) -> bool {
        !self.train.measured().is_empty() || !self.valid.measured().is_empty()
    }
}

/// A set of labeled samples of one kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Samples {
    /// Images of one size.
    Images(Images),
    /// Sequences, possibly of different lengths.
    Sequences(Sequences),
    /// Whole graphs.
    Graphs(Graphs),
    /// Nodes of one graph.
    Nodes(Nodes),
    /// Rows of a table.
    Table(Table),
}

impl Samples {
    /// The kind of samples held.
    pub fn kind(&self) -> DataKind {
        self.shape().kind()
    }

    /// The shape of one sample.
    pub fn shape(&self) -> DataShape {
        match self {
            Samples::Images(images) => DataShape::Image {
                channels: images.channels,
                height: images.height,
                width: images.width,
            },
            Samples::Sequences(set) => DataShape::Sequence {
                channels: set.channels,
                max_length: set.max_length(),
            },
            Samples::Graphs(set) => DataShape::Graph {
                features: set.feature_dim,
            },
            Samples::Nodes(set) => DataShape::Node {
                features: set.feature_dim,
            },
            Samples::Table(table) => DataShape::Table {
                features: table.features(),
            },
        }
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.labels().len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One class index per sample.
    pub fn labels(&self) -> &[u32] {
        match self {
            Samples::Images(images) => &images.labels,
            Samples::Sequences(set) => &set.labels,
            Samples::Graphs(set) => &set.labels,
            Samples::Nodes(set) => &set.labels,
            Samples::Table(table) => &table.labels,
        }
    }

    /// The measured value of each sample (NaN where unknown) when the targets are quantities;
    /// empty when they are classes.
    pub fn measured(&self) -> &[f32] {
        match self {
            Samples::Images(images) => &images.measured,
            Samples::Sequences(set) => &set.measured,
            Samples::Graphs(set) => &set.measured,
            Samples::Nodes(set) => &set.measured,
            Samples::Table(table) => &table.measured,
        }
    }

    /// The same samples as quantities with these measured values (one per sample, NaN where
    /// unknown): label 0 where a value is known, [`NO_LABEL`] where not.
    pub fn with_measured(self, measured: Vec<f32>) -> Samples {
        assert_eq!(measured.len(), self.len(), "one value per sample");
        let labels = measured
            .iter()
            .map(|v| if v.is_nan() { NO_LABEL } else { 0 })
            .collect();
        let mut samples = self.with_labels(labels);
        match &mut samples {
            Samples::Images(set) => set.measured = measured,
            Samples::Sequences(set) => set.measured = measured,
            Samples::Graphs(set) => set.measured = measured,
            Samples::Nodes(set) => set.measured = measured,
            Samples::Table(set) => set.measured = measured,
        }
        samples
    }

    /// The samples at `indices`, in that order, as one batch.
    pub fn batch(&self, indices: &[usize]) -> Batch {
        let input = match self {
            Samples::Images(images) => BatchInput::Images {
                pixels: images.gather(indices),
                shape: [indices.len(), images.channels, images.height, images.width],
            },
            Samples::Sequences(set) => {
                let (values, shape, lengths) = set.padded(indices);
                BatchInput::Sequences {
                    values,
                    shape,
                    lengths,
                }
            }
            Samples::Graphs(set) => {
                let (features, edges, bonds, node_graph) = set.block_diagonal(indices);
                BatchInput::Graphs {
                    features,
                    feature_dim: set.feature_dim,
                    edges,
                    bonds,
                    node_graph,
                    graphs: indices.len(),
                }
            }
            Samples::Nodes(set) => BatchInput::Nodes {
                features: set.graph.features.clone(),
                feature_dim: set.feature_dim,
                edges: set.graph.edges.clone(),
                targets: indices.iter().map(|&i| set.nodes[i] as u32).collect(),
            },
            Samples::Table(table) => BatchInput::Table {
                values: table.gather(indices),
                shape: [indices.len(), table.features()],
            },
        };
        let labels = self.labels();
        let measured = self.measured();
        Batch {
            input,
            measured: (!measured.is_empty()).then(|| pick(measured, indices)),
            targets: indices
                .iter()
                .map(|&i| match labels[i] {
                    NO_LABEL => UNLABELED_TARGET,
                    label => i64::from(label),
                })
                .collect(),
            mix: None,
            weights: None,
        }
    }

    /// The same samples with these labels (one per sample).
    pub fn with_labels(mut self, labels: Vec<u32>) -> Samples {
        assert_eq!(labels.len(), self.len(), "one label per sample");
        match &mut self {
            Samples::Images(set) => set.labels = labels,
            Samples::Sequences(set) => set.labels = labels,
            Samples::Graphs(set) => set.labels = labels,
            Samples::Nodes(set) => set.labels = labels,
            Samples::Table(set) => set.labels = labels,
        }
        self
    }

    /// Appends the samples of `other`, which must be of the same kind and shape (for nodes:
    /// of the same graph).
    pub fn append(&mut self, other: &Samples) {
        match (self, other) {
            (Samples::Images(a), Samples::Images(b)) => {
                assert_eq!(a.image_len(), b.image_len(), "image size mismatch");
                a.pixels.extend_from_slice(&b.pixels);
                a.labels.extend_from_slice(&b.labels);
                a.measured.extend_from_slice(&b.measured);
            }
            (Samples::Sequences(a), Samples::Sequences(b)) => {
                assert_eq!(a.channels, b.channels, "channel mismatch");
                a.values.extend(b.values.iter().cloned());
                a.labels.extend_from_slice(&b.labels);
                a.measured.extend_from_slice(&b.measured);
            }
            (Samples::Graphs(a), Samples::Graphs(b)) => {
                assert_eq!(a.feature_dim, b.feature_dim, "feature mismatch");
                a.graphs.extend(b.graphs.iter().cloned());
                a.labels.extend_from_slice(&b.labels);
                a.measured.extend_from_slice(&b.measured);
            }
            (Samples::Nodes(a), Samples::Nodes(b)) => {
                assert!(Arc::ptr_eq(&a.graph, &b.graph), "nodes of another graph");
                a.nodes.extend_from_slice(&b.nodes);
                a.labels.extend_from_slice(&b.labels);
                a.measured.extend_from_slice(&b.measured);
            }
            (Samples::Table(a), Samples::Table(b)) => {
                assert_eq!(a.features(), b.features(), "column mismatch");
                a.values.extend_from_slice(&b.values);
                a.labels.extend_from_slice(&b.labels);
                a.measured.extend_from_slice(&b.measured);
            }
            _ => panic!("cannot append samples of another kind"),
        }
    }

    /// The samples at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Samples {
        match self {
            Samples::Images(images) => Samples::Images(images.subset(indices)),
            Samples::Sequences(set) => Samples::Sequences(set.subset(indices)),
            Samples::Graphs(set) => Samples::Graphs(set.subset(indices)),
            Samples::Nodes(set) => Samples::Nodes(set.subset(indices)),
            Samples::Table(table) => Samples::Table(table.subset(indices)),
        }
    }
}

/// The entries of `measured` at `indices` (none when `measured` is empty: classes).
fn pick(measured: &[f32], indices: &[usize]) -> Vec<f32> {
    if measured.is_empty() {
        Vec::new()
    } else {
        indices.iter().map(|&i| measured[i]).collect()
    }
}

/// Shift and scale that give model inputs zero mean and unit variance over the training set:
/// pooled over all values for images and numeric series, per column for tables; one-hot
/// letters and graph features are left as they are.
#[derive(Clone, Debug, PartialEq)]
pub struct Standardizer {
    /// `(mean, std)`: one pair applied to every value, one per feature for tables, or none.
    stats: Vec<(f32, f32)>,
}

impl Standardizer {
    /// Leaves values unchanged.
    pub const IDENTITY: Standardizer = Standardizer { stats: Vec::new() };

    /// `(mean, std)`: none, one pair for every value, or one per table column.
    pub fn stats(&self) -> &[(f32, f32)] {
        &self.stats
    }

    /// The statistics of `samples`.
    pub fn fit(samples: &Samples) -> Self {
        let values: Vec<f32> = match samples {
            Samples::Images(images) => images.pixels.clone(),
            Samples::Sequences(set) if set.alphabet.is_none() => {
                set.values.iter().flatten().copied().collect()
            }
            Samples::Table(table) => {
                return Self {
                    stats: table.column_stats(),
                };
            }
            _ => return Self::IDENTITY,
        };
        let n = values.len().max(1) as f64;
        let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let var = values
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / n;
        Self {
            stats: vec![(mean as f32, (var.sqrt() as f32).max(1e-6))],
        }
    }

    /// Standardizes the model input of `batch` in place.
    pub fn apply(&self, batch: &mut Batch) {
        let (values, stats) = match (&mut batch.input, self.stats.as_slice()) {
            (_, []) => return,
            (BatchInput::Table { values, .. }, stats) => (values, stats),
            (BatchInput::Images { pixels, .. }, stats) => (pixels, stats),
            (
                BatchInput::Sequences {
                    values,
                    shape,
                    lengths,
                },
                &[(mean, std)],
            ) => {
                // Padding stays zero: standardize only the real positions.
                let [_, time, channels] = *shape;
                for (row, &length) in lengths.iter().enumerate() {
                    let start = row * time * channels;
                    for v in &mut values[start..start + length * channels] {
                        *v = (*v - mean) / std;
                    }
                }
                return;
            }
            _ => return,
        };
        for (i, v) in values.iter_mut().enumerate() {
            let (mean, std) = stats[i % stats.len()];
            *v = (*v - mean) / std;
        }
    }
}

/// The model input of one batch, as plain numbers.
#[derive(Clone, Debug, PartialEq)]
pub enum BatchInput {
    /// `pixels` holds `shape = [batch, channels, height, width]` values in row-major order.
    Images { pixels: Vec<f32>, shape: [usize; 4] },
    /// `values` holds `shape = [batch, time, channels]`, each sequence zero-padded after its
    /// `lengths[i]` positions.
    Sequences {
        values: Vec<f32>,
        shape: [usize; 3],
        lengths: Vec<usize>,
    },
    /// Several graphs as one block-diagonal graph: node features `[nodes, feature_dim]`,
    /// undirected edges (each once) with their bonds (one per edge, see
    /// [`graphs::edge_type`]), and the batch position of each node's graph.
    Graphs {
        features: Vec<f32>,
        feature_dim: usize,
        edges: Vec<[u32; 2]>,
        bonds: Vec<u8>,
        node_graph: Vec<u32>,
        graphs: usize,
    },
    /// One whole graph; the batch's samples are the nodes `targets`.
    Nodes {
        features: Vec<f32>,
        feature_dim: usize,
        edges: Vec<[u32; 2]>,
        targets: Vec<u32>,
    },
    /// Table rows: `values` holds `shape = [batch, features]`.
    Table { values: Vec<f32>, shape: [usize; 2] },
}

/// The target of a batch sample without a label ([`NO_LABEL`]): out of every class's range, so
/// a loss that reads it fails loudly instead of learning class 0.
pub const UNLABELED_TARGET: i64 = -1;

/// One batch: model input and the class index of each sample.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// The model input.
    pub input: BatchInput,
    /// The class index of each sample ([`UNLABELED_TARGET`] for an unlabeled one); 0 for each
    /// sample with a measured value.
    pub targets: Vec<i64>,
    /// When the targets are quantities: each sample's measured value, in its units.
    pub measured: Option<Vec<f32>>,
    /// Soft labels of samples blended with others (mixup); `None` for plain hard labels.
    pub mix: Option<Mix>,
    /// How much each sample counts in the loss (`None`: 1 each), e.g. less for pseudo-labels.
    pub weights: Option<Vec<f32>>,
}

/// Soft labels from mixup: sample `i` is `weight[i]` of class `targets[i]` and
/// `1 − weight[i]` of class `partner[i]`, so its loss is
/// `weight · CE(targets) + (1 − weight) · CE(partner)`. Accuracy still counts `targets`
/// (weights are at least 0.5). Unmixed samples have `partner = target` and weight 1.
#[derive(Clone, Debug, PartialEq)]
pub struct Mix {
    /// The class of the sample blended in, per sample.
    pub partner: Vec<i64>,
    /// The weight of `targets` (0.5 to 1), per sample.
    pub weight: Vec<f32>,
}

impl Batch {
    /// Soft targets `[len, classes]` (row-major) and per-sample weights: one-hot rows for hard
    /// labels, two classes blended for mixed samples. Every loss Petri trains with is
    /// `Σᵢ wᵢ · CE(softᵢ, pᵢ) / len`.
    ///
    /// # Panics
    /// On an unlabeled sample ([`UNLABELED_TARGET`]) or a class out of range.
    pub fn soft_targets(&self, classes: usize) -> (Vec<f32>, Vec<f32>) {
        let n = self.len();
        let mut soft = vec![0.0f32; n * classes];
        let class = |t: i64| {
            assert!(
                (0..classes as i64).contains(&t),
                "training target {t} is not a class (an unlabeled sample reached a loss)"
            );
            t as usize
        };
        for i in 0..n {
            let target = class(self.targets[i]);
            match &self.mix {
                Some(mix) => {
                    soft[i * classes + target] += mix.weight[i];
                    soft[i * classes + class(mix.partner[i])] += 1.0 - mix.weight[i];
                }
                None => soft[i * classes + target] = 1.0,
            }
        }
        let weights = self.weights.clone().unwrap_or_else(|| vec![1.0; n]);
        (soft, weights)
    }

    /// The number of samples in the batch.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }
}

impl Batch {
    /// The samples `range` of this batch as a batch of their own, in order; `None` for a
    /// batch of nodes of one graph, whose samples share every node (it does not split).
    pub fn part(&self, range: std::ops::Range<usize>) -> Option<Batch> {
        let rows =
            |values: &[f32], width: usize| values[range.start * width..range.end * width].to_vec();
        let n = range.len();
        let input = match &self.input {
            BatchInput::Images { pixels, shape } => {
                let [_, c, h, w] = *shape;
                BatchInput::Images {
                    pixels: rows(pixels, c * h * w),
                    shape: [n, c, h, w],
                }
            }
            BatchInput::Sequences {
                values,
                shape,
                lengths,
            } => {
                // Padded to the part's longest sequence, as a batch of its samples is.
                let [_, t, c] = *shape;
                let lengths = lengths[range.clone()].to_vec();
                let longest = lengths.iter().copied().max().unwrap_or(0);
                let values = range
                    .clone()
                    .flat_map(|i| &values[i * t * c..(i * t + longest) * c])
                    .copied()
                    .collect();
                BatchInput::Sequences {
                    values,
                    shape: [n, longest, c],
                    lengths,
                }
            }
            BatchInput::Table { values, shape } => BatchInput::Table {
                values: rows(values, shape[1]),
                shape: [n, shape[1]],
            },
            BatchInput::Graphs {
                features,
                feature_dim,
                edges,
                bonds,
                node_graph,
                ..
            } => {
                let mut renumbered = vec![u32::MAX; node_graph.len()];
                let mut kept_graph = Vec::new();
                let mut kept_features = Vec::new();
                for (node, &graph) in node_graph.iter().enumerate() {
                    if range.contains(&(graph as usize)) {
                        renumbered[node] = kept_graph.len() as u32;
                        kept_graph.push(graph - range.start as u32);
                        kept_features.extend_from_slice(
                            &features[node * feature_dim..(node + 1) * feature_dim],
                        );
                    }
                }
                let (kept_edges, kept_bonds) = edges
                    .iter()
                    .zip(bonds)
                    .filter(|([a, _], _)| renumbered[*a as usize] != u32::MAX)
                    .map(|([a, b], bond)| {
                        ([renumbered[*a as usize], renumbered[*b as usize]], *bond)
                    })
                    .unzip();
                BatchInput::Graphs {
                    features: kept_features,
                    feature_dim: *feature_dim,
                    edges: kept_edges,
                    bonds: kept_bonds,
                    node_graph: kept_graph,
                    graphs: n,
                }
            }
            BatchInput::Nodes { .. } => return None,
        };
        Some(Batch {
            input,
            targets: self.targets[range.clone()].to_vec(),
            measured: self.measured.as_ref().map(|m| m[range.clone()].to_vec()),
            mix: self.mix.as_ref().map(|mix| Mix {
                partner: mix.partner[range.clone()].to_vec(),
                weight: mix.weight[range.clone()].to_vec(),
            }),
            weights: self.weights.as_ref().map(|w| w[range].to_vec()),
        })
    }
}
