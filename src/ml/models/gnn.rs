//! Graph neural networks written as message passing on Burn tensors: gather the senders'
//! vectors along the edge list (`select`), weight them, and add them up at the receivers
//! (`select_assign` with `Add`). Several small graphs are batched as one block-diagonal graph.
//!
//! - GCN (Kipf & Welling): `H' = act(D^-½ (A + I) D^-½ H W)`.
//! - GIN (Xu et al.): `H' = MLP(H + Σ_neighbours H)`, the MLP being linear–act–linear–act.
//! - GINE (Hu et al., 2020): `H' = MLP(H + Σ_neighbours relu(H_j + W e_ij))`, `e_ij` the
//!   one-hot type of the edge (single, double, triple, aromatic bond, or untyped).
//! - GAT (Veličković et al., 2018), one head: `H'_i = act(Σ_j α_ij H_j W + b)` over the
//!   neighbours and the node itself, `α_i· = softmax_j(LeakyReLU(a_dst·H_i W + a_src·H_j W))`.
//!
//! Graph tasks pool node vectors per graph (mean, sum or max); node tasks classify each node.

use super::{Activation, LayerSummary, ModelSummary};
use crate::ml::data::EDGE_TYPES;
use serde::{Deserialize, Serialize};

/// The message-passing rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum GnnKind {
    /// Graph convolution: a normalised average over the neighbourhood.
    #[default]
    Gcn,
    /// Graph isomorphism network: a sum over the neighbourhood, then an MLP.
    Gin,
    /// GIN whose messages also read the type of their edge (a molecule's bond order).
    Gine,
    /// Graph attention: a learned weighting of the neighbourhood, per node.
    Gat,
}

impl GnnKind {
    pub const ALL: [GnnKind; 4] = [GnnKind::Gcn, GnnKind::Gin, GnnKind::Gine, GnnKind::Gat];

    /// A short stable identifier (links, selects).
    pub fn id(self) -> &'static str {
        match self {
            GnnKind::Gcn => "gcn",
            GnnKind::Gin => "gin",
            GnnKind::Gine => "gine",
            GnnKind::Gat => "gat",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.id() == id)
    }
}

impl GnnKind {
    /// The name shown in the UI.
    pub fn title(self) -> &'static str {
        match self {
            GnnKind::Gcn => "GCN",
            GnnKind::Gin => "GIN",
            GnnKind::Gine => "GINE",
            GnnKind::Gat => "GAT",
        }
    }
}

/// How node vectors become one vector per graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Readout {
    #[default]
    Mean,
    Sum,
    Max,
}

impl Readout {
    pub const ALL: [Readout; 3] = [Readout::Mean, Readout::Sum, Readout::Max];

    /// A short stable identifier (links, selects).
    pub fn id(self) -> &'static str {
        match self {
            Readout::Mean => "mean",
            Readout::Sum => "sum",
            Readout::Max => "max",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.id() == id)
    }
}

/// Most message-passing layers.
pub const MAX_LAYERS: usize = 4;
/// Most hidden units.
pub const MAX_HIDDEN: usize = 256;

/// Configuration of a [`Gnn`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GnnConfig {
    pub kind: GnnKind,
    /// Message-passing layers, 1 to 4.
    pub layers: usize,
    /// Units per layer.
    pub hidden: usize,
    pub activation: Activation,
    /// Dropout after each layer, 0 to 0.9.
    pub dropout: f64,
    /// Pooling for graph classification (unused for node tasks).
    pub readout: Readout,
}

impl Default for GnnConfig {
    fn default() -> Self {
        Self {
            kind: GnnKind::Gcn,
            layers: 2,
            hidden: 32,
            activation: Activation::Relu,
            dropout: 0.0,
            readout: Readout::Mean,
        }
    }
}

impl GnnConfig {
    /// Layer table and parameter count for nodes with `features` values; `graph_task` adds
    /// the readout.
    pub fn summary(
        &self,
        features: usize,
        classes: usize,
        graph_task: bool,
    ) -> Result<ModelSummary, String> {
        if self.layers == 0 || self.layers > MAX_LAYERS {
            return Err(format!(
                "A GNN has 1 to {MAX_LAYERS} message-passing layers."
            ));
        }
        if self.hidden == 0 || self.hidden > MAX_HIDDEN {
            return Err(format!("Use 1 to {MAX_HIDDEN} hidden units."));
        }
        if !(0.0..=0.9).contains(&self.dropout) {
            return Err(format!(
                "Dropout {} is out of range: use 0 to 0.9.",
                self.dropout
            ));
        }
        let h = self.hidden;
        let mut input = features;
        let mut layers = Vec::new();
        for layer in 1..=self.layers {
            let params = match self.kind {
                GnnKind::Gcn => input * h + h,
                GnnKind::Gat => input * h + h + 2 * h,
                GnnKind::Gin => input * h + h + h * h + h,
                GnnKind::Gine => input * h + h + h * h + h + EDGE_TYPES * input + input,
            };
            layers.push(LayerSummary {
                name: format!("{} layer {layer}", self.kind.title()),
                output: format!("nodes×{h}"),
                params,
            });
            input = h;
        }
        if graph_task {
            layers.push(LayerSummary {
                name: format!("{:?} readout", self.readout).to_lowercase(),
                output: format!("{h}"),
                params: 0,
            });
        }
        layers.push(LayerSummary {
            name: "linear".into(),
            output: if graph_task {
                format!("{classes}")
            } else {
                format!("nodes×{classes}")
            },
            params: h * classes + classes,
        });
        let params = layers.iter().map(|l| l.params).sum();
        Ok(ModelSummary { layers, params })
    }
}
