//! The Burn modules of every family, built from the plain configs of [`crate::ml::models`]:
//! compiled only with the engine, so that the UI never carries them.

pub mod cnn;
pub mod cnn1d;
pub mod gnn;
pub mod mlp;
pub mod rnn;
pub mod transformer;

pub use cnn::Cnn;

use crate::ml::data::{BatchInput, DataShape};
use crate::ml::models::{Activation, ModelConfig};
use burn::prelude::*;

impl Activation {
    /// Applies the activation.
    pub fn forward<const D: usize>(self, x: Tensor<D>) -> Tensor<D> {
        match self {
            Activation::Relu => burn::tensor::activation::relu(x),
            Activation::Gelu => burn::tensor::activation::gelu(x),
            Activation::Tanh => x.tanh(),
        }
    }
}

impl ModelConfig {
    /// Builds the Burn module for `shape` inputs and `classes` outputs on `device`.
    pub fn init(
        &self,
        shape: &DataShape,
        classes: usize,
        device: &Device,
    ) -> Result<Model, String> {
        self.summary(shape, classes)?;
        Ok(match (self, shape) {
            (
                ModelConfig::Cnn(config),
                DataShape::Image {
                    channels,
                    height,
                    width,
                },
            ) => Model::Cnn(config.init([*channels, *height, *width], classes, device)),
            (ModelConfig::Rnn(config), DataShape::Sequence { channels, .. }) => {
                Model::Rnn(config.init(*channels, classes, device))
            }
            (ModelConfig::Cnn1d(config), DataShape::Sequence { channels, .. }) => {
                Model::Cnn1d(config.init(*channels, classes, device))
            }
            (
                ModelConfig::Transformer(config),
                DataShape::Sequence {
                    channels,
                    max_length,
                },
            ) => Model::Transformer(config.init(*channels, *max_length, classes, device)),
            (
                ModelConfig::Gnn(config),
                DataShape::Graph { features } | DataShape::Node { features },
            ) => Model::Gnn(config.init(*features, classes, device)),
            (ModelConfig::Mlp(config), DataShape::Table { features }) => {
                Model::Mlp(config.init(*features, classes, device))
            }
            _ => unreachable!("summary() rejects models that do not fit the data"),
        })
    }
}

/// A model of any family, ready to train.
// One model lives per run, moved rarely; boxing a variant would need Burn's `Module` for `Box`.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Model {
    Cnn(Cnn),
    Rnn(rnn::Rnn),
    Cnn1d(cnn1d::Cnn1d),
    Transformer(transformer::Transformer),
    Gnn(gnn::Gnn),
    Mlp(mlp::Mlp),
}

/// A batch's model input as tensors. The caller creates them, so it can ask for their
/// gradient (attribution) or keep them across calls.
#[derive(Clone, Debug)]
pub enum ModelInput {
    /// `[batch, channels, height, width]`
    Images(Tensor<4>),
    /// `[batch, time, channels]`, sequence `i` real for its first `lengths[i]` positions.
    Sequences {
        values: Tensor<3>,
        lengths: Vec<usize>,
    },
    /// Node features `[nodes, features]` of a block-diagonal batch of graphs, its edges, and
    /// each node's graph.
    Graphs {
        features: Tensor<2>,
        edges: Vec<[u32; 2]>,
        /// Each edge's bond (see [`crate::ml::data::edge_type`]).
        bonds: Vec<u8>,
        /// A weight per edge `[edges]` multiplying its messages; `None`: all 1.
        edge_weights: Option<Tensor<1>>,
        node_graph: Vec<u32>,
        graphs: usize,
    },
    /// Node features `[nodes, features]` of one graph, its edges, and the nodes classified.
    Nodes {
        features: Tensor<2>,
        edges: Vec<[u32; 2]>,
        /// As for `Graphs`.
        edge_weights: Option<Tensor<1>>,
        targets: Vec<u32>,
    },
    /// `[batch, features]`
    Table(Tensor<2>),
}

impl ModelInput {
    /// The message-passing tensors of a graph or node input for `kind`; `None` for others.
    pub fn graph_tensors(&self, kind: crate::ml::models::GnnKind) -> Option<gnn::GraphTensors> {
        let (features, edges, bonds, edge_weights) = match self {
            ModelInput::Graphs {
                features,
                edges,
                bonds,
                edge_weights,
                ..
            } => (features, edges, bonds.as_slice(), edge_weights),
            ModelInput::Nodes {
                features,
                edges,
                edge_weights,
                ..
            } => (features, edges, &[][..], edge_weights),
            _ => return None,
        };
        let [nodes, _] = features.dims();
        let graph =
            gnn::GraphTensors::new(kind, nodes, edges, &features.device()).with_bonds(kind, bonds);
        Some(match edge_weights {
            Some(weights) => graph.with_edge_weights(weights.clone()),
            None => graph,
        })
    }

    /// The same input with a weight per edge multiplying its messages (graph and node
    /// inputs; others are returned as they are).
    ///
    /// # Shapes
    /// - weights: `[edges]`
    pub fn with_edge_weights(mut self, weights: Tensor<1>) -> Self {
        if let ModelInput::Graphs { edge_weights, .. } | ModelInput::Nodes { edge_weights, .. } =
            &mut self
        {
            *edge_weights = Some(weights);
        }
        self
    }

    /// The tensors of `input` on `device`.
    pub fn from_batch(input: &BatchInput, device: &Device) -> Self {
        match input {
            BatchInput::Images { pixels, shape } => ModelInput::Images(Tensor::from_data(
                TensorData::new(pixels.clone(), *shape),
                device,
            )),
            BatchInput::Sequences {
                values,
                shape,
                lengths,
            } => ModelInput::Sequences {
                values: Tensor::from_data(TensorData::new(values.clone(), *shape), device),
                lengths: lengths.clone(),
            },
            BatchInput::Graphs {
                features,
                feature_dim,
                edges,
                bonds,
                node_graph,
                graphs,
            } => ModelInput::Graphs {
                bonds: bonds.clone(),
                features: Tensor::from_data(
                    TensorData::new(features.clone(), [node_graph.len(), *feature_dim]),
                    device,
                ),
                edges: edges.clone(),
                edge_weights: None,
                node_graph: node_graph.clone(),
                graphs: *graphs,
            },
            BatchInput::Nodes {
                features,
                feature_dim,
                edges,
                targets,
            } => ModelInput::Nodes {
                features: Tensor::from_data(
                    TensorData::new(
                        features.clone(),
                        [features.len() / (*feature_dim).max(1), *feature_dim],
                    ),
                    device,
                ),
                edges: edges.clone(),
                edge_weights: None,
                targets: targets.clone(),
            },
            BatchInput::Table { values, shape } => ModelInput::Table(Tensor::from_data(
                TensorData::new(values.clone(), *shape),
                device,
            )),
        }
    }
}

impl Model {
    /// Class scores (logits) for a batch.
    ///
    /// # Shapes
    /// - output: `[batch, classes]`
    pub fn forward(&self, input: &BatchInput, device: &Device) -> Tensor<2> {
        self.head(self.embed(&ModelInput::from_batch(input, device)))
    }

    /// A Transformer's attention weights per layer (else `None`), with the positions each
    /// token reads and from one token to the next, and whether a class token leads.
    ///
    /// # Shapes
    /// - output: per layer `[batch, heads, tokens, tokens]`
    pub fn attention(&self, input: &ModelInput) -> Option<(Vec<Tensor<4>>, (usize, usize), bool)> {
        match (self, input) {
            (Model::Transformer(t), ModelInput::Sequences { values, lengths }) => Some((
                t.attention(values.clone(), lengths),
                t.kmer_and_stride(),
                t.has_class_token(),
            )),
            _ => None,
        }
    }

    /// A GAT's attention per layer, `[messages, 1]` in the order of
    /// [`ModelInput::graph_tensors`] (both directions of edge `e` at `2e` and `2e + 1`, then a
    /// self-loop per node); `None` for other models.
    pub fn graph_attention(&self, input: &ModelInput) -> Option<Vec<Tensor<2>>> {
        match (self, input) {
            (
                Model::Gnn(gnn),
                ModelInput::Graphs { features, .. } | ModelInput::Nodes { features, .. },
            ) if gnn.kind() == crate::ml::models::GnnKind::Gat => {
                let graph = input.graph_tensors(gnn.kind())?;
                Some(gnn.attention(features.clone(), &graph))
            }
            _ => None,
        }
    }

    /// The penultimate representation of each sample: what the linear head reads (pooled
    /// conv features, the pooled recurrent state, a graph readout or a node's vector).
    ///
    /// # Shapes
    /// - output: `[batch, width]`
    pub fn embed(&self, input: &ModelInput) -> Tensor<2> {
        match (self, input) {
            (Model::Cnn(cnn), ModelInput::Images(x)) => cnn.embed(x.clone()),
            (Model::Rnn(rnn), ModelInput::Sequences { values, lengths }) => {
                rnn.embed(values.clone(), lengths)
            }
            (Model::Cnn1d(cnn), ModelInput::Sequences { values, lengths }) => {
                cnn.embed(values.clone(), lengths)
            }
            (Model::Transformer(t), ModelInput::Sequences { values, lengths }) => {
                t.embed(values.clone(), lengths)
            }
            (
                Model::Gnn(gnn),
                ModelInput::Graphs {
                    features,
                    node_graph,
                    graphs,
                    ..
                },
            ) => {
                let graph = input.graph_tensors(gnn.kind()).expect("a graph input");
                gnn.readout(features.clone(), &graph, node_graph, *graphs)
            }
            (
                Model::Gnn(gnn),
                ModelInput::Nodes {
                    features, targets, ..
                },
            ) => {
                let graph = input.graph_tensors(gnn.kind()).expect("a graph input");
                let targets = node_indices(targets, &features.device());
                gnn.embed(features.clone(), &graph).select(0, targets)
            }
            (Model::Mlp(mlp), ModelInput::Table(x)) => mlp.embed(x.clone()),
            _ => panic!("the model does not fit this batch (a bug: summary() checks this)"),
        }
    }

    /// A sequence model's vectors along the sequence at its last layer, and for each input
    /// position the one that covers it (the same step of a recurrent net, the block output a
    /// 1-D CNN's pooling brought it to, a Transformer's token); `None` for other models.
    ///
    /// # Shapes
    /// - output: `[batch, positions, width]`, and `time` indices into `positions`
    pub fn positions(&self, input: &ModelInput) -> Option<(Tensor<3>, Vec<usize>)> {
        let ModelInput::Sequences { values, lengths } = input else {
            return None;
        };
        let [_, time, _] = values.dims();
        match self {
            Model::Rnn(rnn) => Some((
                rnn.sequence_outputs(values.clone(), lengths),
                (0..time).collect(),
            )),
            Model::Cnn1d(cnn) => {
                let x = values.clone().swap_dims(1, 2);
                let (x, _) = cnn
                    .block_outputs(x.clone(), lengths, 0)
                    .pop()
                    .unwrap_or((x, lengths.to_vec()));
                let [_, _, steps] = x.dims();
                let reads = (0..time)
                    .map(|t| (t * steps / time.max(1)).min(steps.saturating_sub(1)))
                    .collect();
                Some((x.swap_dims(1, 2), reads))
            }
            Model::Transformer(t) => {
                let x = t.layer_outputs(values.clone(), lengths).pop()?;
                let [_, tokens, _] = x.dims();
                let lead = usize::from(t.has_class_token());
                let (_, stride) = t.kmer_and_stride();
                let reads = (0..time)
                    .map(|p| (lead + p / stride.max(1)).min(tokens - 1))
                    .collect();
                Some((x, reads))
            }
            _ => None,
        }
    }

    /// Class scores from [`Model::embed`]'s output.
    ///
    /// # Shapes
    /// - embedding: `[batch, width]`
    /// - output: `[batch, classes]`
    pub fn head(&self, embedding: Tensor<2>) -> Tensor<2> {
        match self {
            Model::Cnn(m) => m.head(embedding),
            Model::Rnn(m) => m.head(embedding),
            Model::Cnn1d(m) => m.head(embedding),
            Model::Transformer(m) => m.head(embedding),
            Model::Gnn(m) => m.head(embedding),
            Model::Mlp(m) => m.head(embedding),
        }
    }

    /// The input, each hidden layer's output and the class scores, per sample: what the
    /// representation-similarity and activation views read. Graph batches: each layer's node
    /// vectors pooled per graph as the readout does, or with `per_node` (a batch of one
    /// graph) every node's vector.
    pub fn layer_outputs(&self, input: &ModelInput, per_node: bool) -> Vec<LayerOutput> {
        let flat3 = |name: String, x: Tensor<3>| {
            let [batch, rows, columns] = x.dims();
            LayerOutput {
                name,
                values: x.reshape([batch, rows * columns]),
                layout: [1, rows, columns],
            }
        };
        let flat2 = |name: String, x: Tensor<2>| {
            let [_, width] = x.dims();
            LayerOutput {
                name,
                values: x,
                layout: [1, 1, width],
            }
        };
        let mut outputs = Vec::new();
        match (self, input) {
            (Model::Cnn(cnn), ModelInput::Images(x)) => {
                for (i, a) in std::iter::once(x.clone())
                    .chain(cnn.block_outputs(x.clone(), 0))
                    .enumerate()
                {
                    let [batch, c, h, w] = a.dims();
                    outputs.push(LayerOutput {
                        name: layer_name(i, "conv"),
                        values: a.reshape([batch, c * h * w]),
                        layout: [c, h, w],
                    });
                }
            }
            (Model::Cnn1d(cnn), ModelInput::Sequences { values, lengths }) => {
                let x = values.clone().swap_dims(1, 2);
                outputs.push(flat3(layer_name(0, ""), x.clone()));
                for (i, (a, _)) in cnn.block_outputs(x, lengths, 0).into_iter().enumerate() {
                    outputs.push(flat3(layer_name(i + 1, "conv"), a));
                }
                outputs.push(flat2("pooled".into(), self.embed(input)));
            }
            (Model::Rnn(rnn), ModelInput::Sequences { values, lengths }) => {
                outputs.push(flat3(layer_name(0, ""), values.clone().swap_dims(1, 2)));
                for (i, a) in rnn
                    .layer_outputs(values.clone(), lengths)
                    .into_iter()
                    .enumerate()
                {
                    outputs.push(flat3(layer_name(i + 1, "recurrent"), a.swap_dims(1, 2)));
                }
                outputs.push(flat2("pooled".into(), self.embed(input)));
            }
            (Model::Transformer(t), ModelInput::Sequences { values, lengths }) => {
                outputs.push(flat3(layer_name(0, ""), values.clone().swap_dims(1, 2)));
                for (i, a) in t
                    .layer_outputs(values.clone(), lengths)
                    .into_iter()
                    .enumerate()
                {
                    outputs.push(flat3(layer_name(i + 1, "encoder"), a.swap_dims(1, 2)));
                }
                outputs.push(flat2("pooled".into(), self.embed(input)));
            }
            (
                Model::Gnn(gnn),
                ModelInput::Graphs {
                    features,
                    node_graph,
                    graphs,
                    ..
                },
            ) => {
                let graph = input.graph_tensors(gnn.kind()).expect("a graph input");
                let layers = std::iter::once(features.clone())
                    .chain(gnn.layer_outputs(features.clone(), &graph));
                for (i, a) in layers.enumerate() {
                    let name = layer_name(i, "message passing");
                    if per_node {
                        let [nodes, width] = a.dims();
                        outputs.push(LayerOutput {
                            name,
                            values: a.reshape([1, nodes * width]),
                            layout: [1, nodes, width],
                        });
                    } else {
                        outputs.push(flat2(name, gnn.pool(a, node_graph, *graphs)));
                    }
                }
            }
            (
                Model::Gnn(gnn),
                ModelInput::Nodes {
                    features, targets, ..
                },
            ) => {
                let graph = input.graph_tensors(gnn.kind()).expect("a graph input");
                let targets = node_indices(targets, &features.device());
                let layers = std::iter::once(features.clone())
                    .chain(gnn.layer_outputs(features.clone(), &graph));
                for (i, a) in layers.enumerate() {
                    outputs.push(flat2(
                        layer_name(i, "message passing"),
                        a.select(0, targets.clone()),
                    ));
                }
            }
            (Model::Mlp(mlp), ModelInput::Table(x)) => {
                let layers = std::iter::once(x.clone()).chain(mlp.layer_outputs(x.clone()));
                for (i, a) in layers.enumerate() {
                    outputs.push(flat2(layer_name(i, "dense"), a));
                }
            }
            _ => panic!("the model does not fit this batch (a bug: summary() checks this)"),
        }
        let scores = self.head(self.embed(input));
        outputs.push(flat2("class scores".into(), scores));
        outputs
    }
}

/// Node numbers as an index tensor.
fn node_indices(nodes: &[u32], device: &Device) -> Tensor<1, Int> {
    Tensor::from_data(
        TensorData::new(
            nodes.iter().map(|&t| i64::from(t)).collect::<Vec<_>>(),
            [nodes.len()],
        ),
        device,
    )
}

/// "input" for layer 0, else e.g. "conv 2".
fn layer_name(index: usize, kind: &str) -> String {
    if index == 0 {
        "input".into()
    } else {
        format!("{kind} {index}")
    }
}

/// One layer's output for each sample of a batch.
pub struct LayerOutput {
    /// "input", "conv 1", "recurrent 2", "class scores", …
    pub name: String,
    /// `[batch, features]`
    pub values: Tensor<2>,
    /// How one sample's features are laid out: `[maps, rows, columns]` (a conv layer's
    /// channels, height and width; a sequence layer's channels by positions; nodes by width).
    pub layout: [usize; 3],
}
