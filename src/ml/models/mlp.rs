//! A multilayer perceptron for table rows: dense hidden layers with an activation and dropout,
//! then a linear head. Inputs are standardized per column before they reach it.

use super::{Activation, LayerSummary, ModelSummary};
use serde::{Deserialize, Serialize};

/// Most hidden layers the builder offers.
pub const MAX_HIDDEN_LAYERS: usize = 6;
/// Widest hidden layer the builder offers.
pub const MAX_WIDTH: usize = 1024;

/// Configuration of an [`Mlp`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MlpConfig {
    /// Width of each hidden layer, input side first (may be empty: a linear model).
    pub hidden: Vec<usize>,
    /// Nonlinearity after each hidden layer.
    pub activation: Activation,
    /// Dropout probability after each hidden layer, 0 to 0.9.
    pub dropout: f64,
}

impl Default for MlpConfig {
    /// 64 → 32 → linear, ReLU, dropout 0.1.
    fn default() -> Self {
        Self {
            hidden: vec![64, 32],
            activation: Activation::Relu,
            dropout: 0.1,
        }
    }
}

impl MlpConfig {
    /// Layer table and parameter count for rows of `features` values.
    pub fn summary(&self, features: usize, classes: usize) -> Result<ModelSummary, String> {
        if self.hidden.len() > MAX_HIDDEN_LAYERS {
            return Err(format!(
                "An MLP here has at most {MAX_HIDDEN_LAYERS} hidden layers."
            ));
        }
        if !(0.0..=0.9).contains(&self.dropout) {
            return Err(format!(
                "Dropout {} is out of range: use 0 to 0.9.",
                self.dropout
            ));
        }
        if features == 0 {
            return Err("The table has no feature columns: choose at least one.".into());
        }
        let mut layers = Vec::new();
        let mut width = features;
        for (i, &out) in self.hidden.iter().enumerate() {
            if out == 0 || out > MAX_WIDTH {
                return Err(format!(
                    "Hidden layer {}: use 1 to {MAX_WIDTH} units.",
                    i + 1
                ));
            }
            layers.push(LayerSummary {
                name: format!("dense {out}, {}", self.activation.title()),
                output: format!("{out}"),
                params: width * out + out,
            });
            if self.dropout > 0.0 {
                layers.push(LayerSummary {
                    name: format!("dropout {}", self.dropout),
                    output: format!("{out}"),
                    params: 0,
                });
            }
            width = out;
        }
        layers.push(LayerSummary {
            name: "linear".into(),
            output: format!("{classes}"),
            params: width * classes + classes,
        });
        let params = layers.iter().map(|l| l.params).sum();
        Ok(ModelSummary { layers, params })
    }
}
