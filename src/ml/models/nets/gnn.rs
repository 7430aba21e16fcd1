//! The Burn module of the graph neural network whose plain config is [`crate::ml::models::gnn`].

use crate::ml::data::{EDGE_TYPES, edge_type};
use crate::ml::models::Activation;
use crate::ml::models::gnn::*;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::IndexingUpdateOp;

impl GnnConfig {
    /// Builds the network. Call [`GnnConfig::summary`] first.
    pub fn init(&self, features: usize, classes: usize, device: &Device) -> Gnn {
        let h = self.hidden;
        let mut input = features;
        let mut layers = Vec::new();
        for _ in 0..self.layers {
            let mlp = matches!(self.kind, GnnKind::Gin | GnnKind::Gine);
            layers.push(GnnLayer {
                linear: LinearConfig::new(input, h).init(device),
                mlp_out: mlp.then(|| LinearConfig::new(h, h).init(device)),
                bond: (self.kind == GnnKind::Gine)
                    .then(|| LinearConfig::new(EDGE_TYPES, input).init(device)),
                attend: (self.kind == GnnKind::Gat)
                    .then(|| LinearConfig::new(h, 2).with_bias(false).init(device)),
            });
            input = h;
        }
        Gnn {
            layers,
            kind: self.kind,
            activation: self.activation,
            readout: self.readout,
            dropout: DropoutConfig::new(self.dropout).init(),
            head: LinearConfig::new(h, classes).init(device),
        }
    }
}

/// One message-passing layer: its linear map (and, for GIN and GINE, the MLP's second
/// layer; for GINE the embedding of each edge's type added to its messages; for GAT the
/// attention vectors of the receiver and the sender, as the two columns of `attend`).
#[derive(Module, Debug)]
pub struct GnnLayer {
    linear: Linear,
    mlp_out: Option<Linear>,
    bond: Option<Linear>,
    attend: Option<Linear>,
}

/// The edge list of a (batched) graph as tensors, ready for message passing.
pub struct GraphTensors {
    /// Number of nodes.
    pub nodes: usize,
    /// Senders and receivers of every directed message (each undirected edge both ways; for
    /// GCN also a self-loop per node).
    pub senders: Tensor<1, Int>,
    pub receivers: Tensor<1, Int>,
    /// The weight of each message, `[messages, 1]`.
    pub weights: Tensor<2>,
    /// GINE: the one-hot type of each message's edge, `[messages, EDGE_TYPES]`.
    pub edge_types: Option<Tensor<2>>,
}

impl GraphTensors {
    /// Messages for `kind` over `nodes` nodes joined by undirected `edges`.
    pub fn new(kind: GnnKind, nodes: usize, edges: &[[u32; 2]], device: &Device) -> Self {
        let mut pairs: Vec<(usize, usize)> = Vec::with_capacity(2 * edges.len() + nodes);
        for &[a, b] in edges {
            pairs.push((a as usize, b as usize));
            pairs.push((b as usize, a as usize));
        }
        let weights: Vec<f32> = match kind {
            GnnKind::Gin | GnnKind::Gine => vec![1.0; pairs.len()],
            GnnKind::Gat => {
                pairs.extend((0..nodes).map(|i| (i, i)));
                vec![1.0; pairs.len()]
            }
            GnnKind::Gcn => {
                pairs.extend((0..nodes).map(|i| (i, i)));
                let mut degree = vec![0.0f32; nodes];
                for &(_, to) in &pairs {
                    degree[to] += 1.0;
                }
                pairs
                    .iter()
                    .map(|&(from, to)| 1.0 / (degree[from] * degree[to]).sqrt())
                    .collect()
            }
        };
        let ints = |values: Vec<i64>| {
            let n = values.len();
            Tensor::<1, Int>::from_data(TensorData::new(values, [n]), device)
        };
        let count = pairs.len();
        Self {
            nodes,
            senders: ints(pairs.iter().map(|p| p.0 as i64).collect()),
            receivers: ints(pairs.iter().map(|p| p.1 as i64).collect()),
            weights: Tensor::from_data(TensorData::new(weights, [count, 1]), device),
            edge_types: None,
        }
    }

    /// For GINE, the type of each message's edge from `bonds` (one per undirected edge, in
    /// edge order; missing ones untyped); other kinds are returned as they are.
    pub fn with_bonds(mut self, kind: GnnKind, bonds: &[u8]) -> Self {
        if kind != GnnKind::Gine {
            return self;
        }
        let [messages, _] = self.weights.dims();
        let mut one_hot = vec![0.0f32; messages * EDGE_TYPES];
        // Messages 2e and 2e + 1 carry edge e.
        for m in 0..messages {
            let bond = bonds
                .get(m / 2)
                .copied()
                .unwrap_or(crate::ml::data::UNTYPED);
            one_hot[m * EDGE_TYPES + edge_type(bond)] = 1.0;
        }
        let device = self.weights.device();
        self.edge_types = Some(Tensor::from_data(
            TensorData::new(one_hot, [messages, EDGE_TYPES]),
            &device,
        ));
        self
    }

    /// The same messages, those of undirected edge `e` (both ways) multiplied by
    /// `edge_weights[e]`; self-loops keep theirs. A weight of 0 switches an edge off, and a
    /// tracked weight gives the class score's gradient per edge (edge attribution).
    ///
    /// # Shapes
    /// - edge_weights: `[edges]`
    pub fn with_edge_weights(mut self, edge_weights: Tensor<1>) -> Self {
        let [edges] = edge_weights.dims();
        let [messages, _] = self.weights.dims();
        let device = edge_weights.device();
        // Messages 2e and 2e + 1 carry edge e; the rest (self-loops) read the appended 1.
        let of_message: Vec<i64> = (0..messages).map(|m| (m / 2).min(edges) as i64).collect();
        let index = Tensor::<1, Int>::from_data(TensorData::new(of_message, [messages]), &device);
        let per_message = Tensor::cat(vec![edge_weights, Tensor::ones([1], &device)], 0)
            .select(0, index)
            .unsqueeze_dim::<2>(1);
        self.weights = self.weights * per_message;
        self
    }

    /// GAT's attention of each receiver over its messages: `softmax(LeakyReLU(a_dst·h_i +
    /// a_src·h_j))` over the messages into `i`, each scaled by its weight (0 switches a message
    /// off) and renormalised.
    ///
    /// # Shapes
    /// - h: `[nodes, width]`
    /// - output: `[messages, 1]`, summing to one at each receiver
    pub fn attention(&self, h: Tensor<2>, attend: &Linear) -> Tensor<2> {
        let scores = attend.forward(h);
        let [nodes, _] = scores.dims();
        let receiving = scores
            .clone()
            .slice([0..nodes, 0..1])
            .select(0, self.receivers.clone());
        let sending = scores
            .slice([0..nodes, 1..2])
            .select(0, self.senders.clone());
        let e = burn::tensor::activation::leaky_relu(receiving + sending, 0.2);
        // Any constant leaves a softmax unchanged; the largest score keeps exp from overflowing.
        let top = e.clone().max().detach().reshape([1, 1]);
        let w = (e - top).exp() * self.weights.clone();
        let sums = Tensor::zeros([self.nodes, 1], &w.device()).select_assign(
            0,
            self.receivers.clone(),
            w.clone(),
            IndexingUpdateOp::Add,
        );
        w / sums.select(0, self.receivers.clone()).add_scalar(1e-30)
    }

    /// Sums the senders' rows, each times its `[messages, 1]` weight, at each receiver.
    ///
    /// # Shapes
    /// - x: `[nodes, width]`
    /// - output: `[nodes, width]`
    pub fn propagate_weighted(&self, x: Tensor<2>, weights: Tensor<2>) -> Tensor<2> {
        let [_, width] = x.dims();
        let messages = x.clone().select(0, self.senders.clone()) * weights;
        Tensor::zeros([self.nodes, width], &x.device()).select_assign(
            0,
            self.receivers.clone(),
            messages,
            IndexingUpdateOp::Add,
        )
    }

    /// Sums the weighted senders' rows at each receiver.
    ///
    /// # Shapes
    /// - x: `[nodes, width]`
    /// - output: `[nodes, width]`
    pub fn propagate(&self, x: Tensor<2>) -> Tensor<2> {
        self.propagate_weighted(x, self.weights.clone())
    }
}

/// A graph neural network built by [`GnnConfig::init`].
#[derive(Module, Debug)]
pub struct Gnn {
    layers: Vec<GnnLayer>,
    #[module(skip)]
    kind: GnnKind,
    #[module(skip)]
    activation: Activation,
    #[module(skip)]
    readout: Readout,
    dropout: Dropout,
    head: Linear,
}

impl Gnn {
    /// The message-passing rule.
    pub fn kind(&self) -> GnnKind {
        self.kind
    }

    /// Node vectors after every layer.
    ///
    /// # Shapes
    /// - features: `[nodes, features]`
    /// - output: `[nodes, hidden]`
    pub fn embed(&self, features: Tensor<2>, graph: &GraphTensors) -> Tensor<2> {
        self.layer_outputs(features.clone(), graph)
            .pop()
            .unwrap_or(features)
    }

    /// Node vectors after each layer.
    ///
    /// # Shapes
    /// - features: `[nodes, features]`
    /// - output: one `[nodes, hidden]` per layer
    pub fn layer_outputs(&self, features: Tensor<2>, graph: &GraphTensors) -> Vec<Tensor<2>> {
        self.pass(features, graph).0
    }

    /// GAT's attention in each layer (empty for other kinds).
    ///
    /// # Shapes
    /// - features: `[nodes, features]`
    /// - output: one `[messages, 1]` per layer, in `graph`'s message order
    pub fn attention(&self, features: Tensor<2>, graph: &GraphTensors) -> Vec<Tensor<2>> {
        self.pass(features, graph).1
    }

    /// Node vectors after each layer, and GAT's attention in each.
    fn pass(&self, features: Tensor<2>, graph: &GraphTensors) -> (Vec<Tensor<2>>, Vec<Tensor<2>>) {
        let mut x = features;
        let mut outputs = Vec::with_capacity(self.layers.len());
        let mut attention = Vec::new();
        for layer in &self.layers {
            x = match (&layer.mlp_out, &layer.bond, &graph.edge_types) {
                // GAT: Σ_j α_ij (x_j W) + b.
                _ if layer.attend.is_some() => {
                    let h = x.matmul(layer.linear.weight.val());
                    let alpha = graph.attention(h.clone(), layer.attend.as_ref().expect("GAT"));
                    attention.push(alpha.clone());
                    let weighted = graph.propagate_weighted(h, alpha);
                    match &layer.linear.bias {
                        Some(bias) => weighted + bias.val().unsqueeze::<2>(),
                        None => weighted,
                    }
                }
                // GINE: MLP(x + Σ relu(x_sender + bond embedding)), each message weighted.
                (Some(mlp_out), Some(bond), Some(edge_types)) => {
                    let [_, width] = x.dims();
                    let messages = burn::tensor::activation::relu(
                        x.clone().select(0, graph.senders.clone())
                            + bond.forward(edge_types.clone()),
                    ) * graph.weights.clone();
                    let summed = x.clone()
                        + Tensor::zeros([graph.nodes, width], &x.device()).select_assign(
                            0,
                            graph.receivers.clone(),
                            messages,
                            IndexingUpdateOp::Add,
                        );
                    mlp_out.forward(self.activation.forward(layer.linear.forward(summed)))
                }
                // Â (X W) + b: the bias is added after the (non-averaging) normalised sum.
                (None, ..) => {
                    let weighted = graph.propagate(x.matmul(layer.linear.weight.val()));
                    match &layer.linear.bias {
                        Some(bias) => weighted + bias.val().unsqueeze::<2>(),
                        None => weighted,
                    }
                }
                (Some(mlp_out), ..) => {
                    let summed = x.clone() + graph.propagate(x);
                    mlp_out.forward(self.activation.forward(layer.linear.forward(summed)))
                }
            };
            x = self.dropout.forward(self.activation.forward(x));
            outputs.push(x.clone());
        }
        (outputs, attention)
    }

    /// Class scores per node.
    ///
    /// # Shapes
    /// - features: `[nodes, features]`
    /// - output: `[nodes, classes]`
    pub fn forward_nodes(&self, features: Tensor<2>, graph: &GraphTensors) -> Tensor<2> {
        self.head(self.embed(features, graph))
    }

    /// Class scores from node vectors or a graph readout.
    ///
    /// # Shapes
    /// - embedding: `[rows, hidden]`
    /// - output: `[rows, classes]`
    pub fn head(&self, embedding: Tensor<2>) -> Tensor<2> {
        self.head.forward(embedding)
    }

    /// Class scores per graph of a block-diagonal batch; `node_graph[i]` is node `i`'s graph.
    ///
    /// # Shapes
    /// - features: `[nodes, features]`
    /// - output: `[graphs, classes]`
    pub fn forward_graphs(
        &self,
        features: Tensor<2>,
        graph: &GraphTensors,
        node_graph: &[u32],
        graphs: usize,
    ) -> Tensor<2> {
        self.head(self.readout(features, graph, node_graph, graphs))
    }

    /// The readout of each graph of a block-diagonal batch: what the head reads.
    ///
    /// # Shapes
    /// - features: `[nodes, features]`
    /// - output: `[graphs, hidden]`
    pub fn readout(
        &self,
        features: Tensor<2>,
        graph: &GraphTensors,
        node_graph: &[u32],
        graphs: usize,
    ) -> Tensor<2> {
        self.pool(self.embed(features, graph), node_graph, graphs)
    }

    /// Node vectors of a block-diagonal batch pooled per graph, as the readout does.
    ///
    /// # Shapes
    /// - x: `[nodes, width]`
    /// - output: `[graphs, width]`
    pub fn pool(&self, x: Tensor<2>, node_graph: &[u32], graphs: usize) -> Tensor<2> {
        let device = x.device();
        let [nodes, width] = x.dims();
        let owner = Tensor::<1, Int>::from_data(
            TensorData::new(
                node_graph.iter().map(|&g| i64::from(g)).collect::<Vec<_>>(),
                [nodes],
            ),
            &device,
        );
        match self.readout {
            Readout::Sum | Readout::Mean => {
                let sum = Tensor::zeros([graphs, width], &device).select_assign(
                    0,
                    owner,
                    x,
                    IndexingUpdateOp::Add,
                );
                if self.readout == Readout::Sum {
                    sum
                } else {
                    let mut counts = vec![0.0f32; graphs];
                    for &g in node_graph {
                        counts[g as usize] += 1.0;
                    }
                    let counts = counts
                        .into_iter()
                        .map(|c| 1.0 / c.max(1.0))
                        .collect::<Vec<_>>();
                    sum * Tensor::<2>::from_data(TensorData::new(counts, [graphs, 1]), &device)
                }
            }
            Readout::Max => {
                // Lay each graph's nodes out in a row padded with a very low dummy row, then
                // take the max along the row.
                let mut members: Vec<Vec<i64>> = vec![Vec::new(); graphs];
                for (node, &g) in node_graph.iter().enumerate() {
                    members[g as usize].push(node as i64);
                }
                let longest = members.iter().map(Vec::len).max().unwrap_or(1).max(1);
                let index: Vec<i64> = members
                    .iter()
                    .flat_map(|m| (0..longest).map(|k| m.get(k).copied().unwrap_or(nodes as i64)))
                    .collect();
                let padded = Tensor::cat(vec![x, Tensor::full([1, width], -1e9, &device)], 0);
                let index = Tensor::<1, Int>::from_data(
                    TensorData::new(index, [graphs * longest]),
                    &device,
                );
                padded
                    .select(0, index)
                    .reshape([graphs, longest, width])
                    .max_dim(1)
                    .reshape([graphs, width])
            }
        }
    }
}
