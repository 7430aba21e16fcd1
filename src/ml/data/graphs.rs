use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// An undirected graph with a feature vector per node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Graph {
    /// `nodes × feature_dim` values, node-major.
    pub features: Vec<f32>,
    /// Each undirected edge once, as node indices.
    pub edges: Vec<[u32; 2]>,
    /// Molecules read from SMILES: each edge's bond (1 single, 2 double, 3 triple, 4
    /// aromatic), in edge order, for drawing; empty where edges have no type.
    pub bonds: Vec<u8>,
}

impl Graph {
    /// The number of nodes for features of width `feature_dim`.
    pub fn num_nodes(&self, feature_dim: usize) -> usize {
        self.features.len() / feature_dim.max(1)
    }

    /// Whether every edge joins two distinct existing nodes.
    pub fn edges_valid(&self, feature_dim: usize) -> bool {
        let n = self.num_nodes(feature_dim) as u32;
        self.edges.iter().all(|&[a, b]| a < n && b < n && a != b)
    }

    /// The graph with its nodes renumbered: node `i` becomes `order[i]`.
    pub fn permuted(&self, feature_dim: usize, order: &[usize]) -> Graph {
        let mut features = vec![0.0; self.features.len()];
        for (old, &new) in order.iter().enumerate() {
            features[new * feature_dim..(new + 1) * feature_dim]
                .copy_from_slice(&self.features[old * feature_dim..(old + 1) * feature_dim]);
        }
        Graph {
            features,
            edges: self
                .edges
                .iter()
                .map(|&[a, b]| [order[a as usize] as u32, order[b as usize] as u32])
                .collect(),
            bonds: self.bonds.clone(),
        }
    }
}

/// Labeled graphs (graph classification): each sample is a whole graph.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Graphs {
    pub feature_dim: usize,
    /// What each feature means (e.g. atom types), for drawing.
    pub feature_names: Vec<String>,
    pub graphs: Vec<Graph>,
    pub labels: Vec<u32>,
    /// The measured value of each sample when the targets are quantities (regression: each
    /// sample with a value has label 0, one without [`super::NO_LABEL`] and NaN); empty when
    /// the targets are classes.
    #[serde(default)]
    pub measured: Vec<f32>,
}

impl Graphs {
    /// The graphs at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Graphs {
        Graphs {
            feature_dim: self.feature_dim,
            feature_names: self.feature_names.clone(),
            graphs: indices.iter().map(|&i| self.graphs[i].clone()).collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            measured: super::pick(&self.measured, indices),
        }
    }

    /// The graphs at `indices` as one block-diagonal graph: features of all nodes, edges with
    /// shifted indices, each edge's bond ([`UNTYPED`] where the graph has none), and the
    /// graph (batch position) of each node.
    pub fn block_diagonal(&self, indices: &[usize]) -> BlockDiagonal {
        let (mut features, mut edges, mut node_graph) = (Vec::new(), Vec::new(), Vec::new());
        let mut bonds = Vec::new();
        for (position, &i) in indices.iter().enumerate() {
            let graph = &self.graphs[i];
            let offset = node_graph.len() as u32;
            features.extend_from_slice(&graph.features);
            edges.extend(graph.edges.iter().map(|&[a, b]| [a + offset, b + offset]));
            if graph.bonds.len() == graph.edges.len() {
                bonds.extend_from_slice(&graph.bonds);
            } else {
                bonds.extend(std::iter::repeat_n(UNTYPED, graph.edges.len()));
            }
            node_graph.extend(std::iter::repeat_n(
                position as u32,
                graph.num_nodes(self.feature_dim),
            ));
        }
        (features, edges, bonds, node_graph)
    }
}

/// A batch of graphs as one graph: node features, edges, each edge's bond, each node's graph.
pub type BlockDiagonal = (Vec<f32>, Vec<[u32; 2]>, Vec<u8>, Vec<u32>);

/// The bond of an edge without a type (every edge of a graph that is not a molecule).
pub const UNTYPED: u8 = 0;
/// The kinds of edge a model can tell apart: single, double, triple and aromatic bonds, and
/// untyped edges.
pub const EDGE_TYPES: usize = 5;

/// The slot of `bond` (1 single, 2 double, 3 triple, 4 aromatic, else untyped) in an edge
/// type's one-hot vector of [`EDGE_TYPES`].
pub fn edge_type(bond: u8) -> usize {
    match bond {
        1..=4 => bond as usize - 1,
        _ => EDGE_TYPES - 1,
    }
}

/// Labeled nodes of one graph (node classification): each sample is a node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Nodes {
    pub feature_dim: usize,
    /// The whole graph, shared by the training and validation parts.
    pub graph: Arc<Graph>,
    /// The true class of every node of the graph (for drawing).
    pub all_labels: Arc<Vec<u32>>,
    /// The nodes in this part.
    pub nodes: Vec<usize>,
    /// Their classes.
    pub labels: Vec<u32>,
    /// The measured value of each sample when the targets are quantities (regression: each
    /// sample with a value has label 0, one without [`super::NO_LABEL`] and NaN); empty when
    /// the targets are classes.
    #[serde(default)]
    pub measured: Vec<f32>,
}

impl Nodes {
    /// All nodes of `graph` labeled with `labels`.
    pub fn all(feature_dim: usize, graph: Graph, labels: Vec<u32>) -> Self {
        Self {
            feature_dim,
            nodes: (0..labels.len()).collect(),
            graph: Arc::new(graph),
            all_labels: Arc::new(labels.clone()),
            labels,
            measured: Vec::new(),
        }
    }

    /// The samples at `indices` (positions in this part), in that order.
    pub fn subset(&self, indices: &[usize]) -> Nodes {
        Nodes {
            feature_dim: self.feature_dim,
            graph: self.graph.clone(),
            all_labels: self.all_labels.clone(),
            nodes: indices.iter().map(|&i| self.nodes[i]).collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            measured: super::pick(&self.measured, indices),
        }
    }
}
