//! Recurrent networks for sequences: GRU or LSTM cells (Burn's), one or two layers, optionally
//! bidirectional, pooled by the last state or the mean over real positions, then a linear head.
//!
//! Sequences of different lengths are zero-padded at the end. The forward direction never
//! sees the padding before a real step; the backward direction reads each sequence reversed
//! within its own length, so padding never leaks into either.

use super::{LayerSummary, ModelSummary};
use serde::{Deserialize, Serialize};

/// The recurrent cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum CellKind {
    /// Gated recurrent unit (3 gates).
    #[default]
    Gru,
    /// Long short-term memory (4 gates).
    Lstm,
}

impl CellKind {
    pub const ALL: [CellKind; 2] = [CellKind::Gru, CellKind::Lstm];

    /// A short stable identifier (links, selects).
    pub fn id(self) -> &'static str {
        match self {
            CellKind::Gru => "gru",
            CellKind::Lstm => "lstm",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.id() == id)
    }
}

impl CellKind {
    /// Gates per cell.
    fn gates(self) -> usize {
        match self {
            CellKind::Gru => 3,
            CellKind::Lstm => 4,
        }
    }

    /// The name shown in the UI.
    pub fn title(self) -> &'static str {
        match self {
            CellKind::Gru => "GRU",
            CellKind::Lstm => "LSTM",
        }
    }
}

/// How the per-step outputs become one vector per sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Pooling {
    /// The state after the last real step (both ends when bidirectional).
    #[default]
    Last,
    /// The mean over the real steps.
    Mean,
}

impl Pooling {
    pub const ALL: [Pooling; 2] = [Pooling::Last, Pooling::Mean];

    /// A short stable identifier (links, selects).
    pub fn id(self) -> &'static str {
        match self {
            Pooling::Last => "last",
            Pooling::Mean => "mean",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.id() == id)
    }
}

/// Most hidden units.
pub const MAX_HIDDEN: usize = 256;
/// Most stacked layers.
pub const MAX_LAYERS: usize = 2;

/// Configuration of an [`Rnn`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RnnConfig {
    pub cell: CellKind,
    /// Stacked layers, 1 or 2.
    pub layers: usize,
    /// Hidden units per direction.
    pub hidden: usize,
    /// A second cell per layer reads the sequence backwards.
    pub bidirectional: bool,
    pub pooling: Pooling,
    /// Dropout between layers and before the head, 0 to 0.9.
    pub dropout: f64,
}

impl Default for RnnConfig {
    fn default() -> Self {
        Self {
            cell: CellKind::Gru,
            layers: 1,
            hidden: 32,
            bidirectional: false,
            pooling: Pooling::Last,
            dropout: 0.0,
        }
    }
}

impl RnnConfig {
    pub(crate) fn directions(&self) -> usize {
        if self.bidirectional { 2 } else { 1 }
    }

    /// Layer table and parameter count for `channels` values per position.
    pub fn summary(&self, channels: usize, classes: usize) -> Result<ModelSummary, String> {
        if self.layers == 0 || self.layers > MAX_LAYERS {
            return Err(format!("An RNN has 1 to {MAX_LAYERS} layers."));
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
        let out = h * self.directions();
        let mut input = channels;
        let mut layers = Vec::new();
        for layer in 1..=self.layers {
            let per_direction = self.cell.gates() * (input * h + h + h * h + h);
            layers.push(LayerSummary {
                name: format!(
                    "{} layer {layer}{}",
                    self.cell.title(),
                    if self.bidirectional {
                        ", both directions"
                    } else {
                        ""
                    }
                ),
                output: format!("time×{out}"),
                params: per_direction * self.directions(),
            });
            input = out;
        }
        layers.push(LayerSummary {
            name: match self.pooling {
                Pooling::Last => "last state".into(),
                Pooling::Mean => "mean over time".into(),
            },
            output: format!("{out}"),
            params: 0,
        });
        layers.push(LayerSummary {
            name: "linear".into(),
            output: format!("{classes}"),
            params: out * classes + classes,
        });
        let params = layers.iter().map(|l| l.params).sum();
        Ok(ModelSummary { layers, params })
    }
}
