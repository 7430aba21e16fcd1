//! Labeling with the model's help: the samples a user owns and what is known of their labels
//! ([`Collection`]), which unlabeled samples to ask about next ([`query`]), which labels to
//! propose ([`pseudo`]), and labels and predictions as CSV ([`csv`]).
//!
//! Plain data and pure functions: no tensors, no browser.

pub mod budget;
mod collection;
pub mod csv;
pub mod pseudo;
pub mod query;

pub use collection::{Collection, Part, PoolLabel};
pub use query::QueryStrategy;

use serde::{Deserialize, Serialize};

/// Who gave a label that the data did not come with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LabelSource {
    /// A person chose it.
    Human,
    /// The model proposed it and a person accepted it.
    Pseudo,
}

impl LabelSource {
    /// The word used in CSV files (`human`, `pseudo`).
    pub fn id(self) -> &'static str {
        match self {
            LabelSource::Human => "human",
            LabelSource::Pseudo => "pseudo",
        }
    }

    /// The source named `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        match id {
            "human" => Some(LabelSource::Human),
            "pseudo" => Some(LabelSource::Pseudo),
            _ => None,
        }
    }
}

/// A label given to a sample that came without one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssignedLabel {
    /// The sample's id (file name, FASTA id, line number, node id; the sample number of a
    /// built-in dataset).
    pub id: String,
    /// Its class index (0 for a measured value).
    pub class: u32,
    pub source: LabelSource,
    /// The value a person measured, where the target is a measured quantity.
    #[serde(default)]
    pub value: Option<f32>,
}

/// How a run uses and asks for labels. Part of the experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LabelingConfig {
    /// Built-in datasets: keep this many training labels per class and put the other training
    /// samples, their labels hidden, in the unlabeled pool (`None`: keep every label).
    pub labels_per_class: Option<usize>,
    /// How the labeling queue orders the pool.
    pub strategy: QueryStrategy,
    /// Train on and re-score the pool after this many new labels (1 to 100).
    pub retrain_every: usize,
    /// The confidence a pseudo-label proposal needs (0.5 to 1), for proposals and for
    /// consistency training.
    pub threshold: f32,
    /// Propose at most as many pseudo-labels per class as the class with the fewest.
    pub class_balanced: bool,
    /// How much an accepted pseudo-label counts in the loss next to a human one (0.05 to 1).
    pub pseudo_weight: f32,
    /// Consistency training (FixMatch) on the unlabeled pool.
    pub consistency: bool,
    /// The weight of the unlabeled loss (0 to 10).
    pub consistency_weight: f32,
    /// Unlabeled samples per labeled sample in a consistency step (1 to 8).
    pub unlabeled_ratio: usize,
}

impl Default for LabelingConfig {
    fn default() -> Self {
        Self {
            labels_per_class: None,
            strategy: QueryStrategy::Entropy,
            retrain_every: 5,
            threshold: 0.95,
            class_balanced: false,
            pseudo_weight: 1.0,
            consistency: false,
            consistency_weight: 1.0,
            unlabeled_ratio: 3,
        }
    }
}

/// Most labels per class a built-in dataset can be cut down to.
pub const MAX_LABELS_PER_CLASS: usize = 10_000;

impl LabelingConfig {
    /// Checks every setting's range; the message names the setting and what is allowed.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(n) = self.labels_per_class
            && !(1..=MAX_LABELS_PER_CLASS).contains(&n)
        {
            return Err(format!(
                "Labels per class {n} is out of range: use 1 to {MAX_LABELS_PER_CLASS}, or all."
            ));
        }
        if !(1..=100).contains(&self.retrain_every) {
            return Err(format!(
                "Retrain after {} labels is out of range: use 1 to 100.",
                self.retrain_every
            ));
        }
        if !(0.5..=1.0).contains(&self.threshold) {
            return Err(format!(
                "Confidence threshold {} is out of range: use 0.5 to 1.",
                self.threshold
            ));
        }
        if !(0.05..=1.0).contains(&self.pseudo_weight) {
            return Err(format!(
                "Pseudo-label weight {} is out of range: use 0.05 to 1.",
                self.pseudo_weight
            ));
        }
        if !(0.0..=10.0).contains(&self.consistency_weight) {
            return Err(format!(
                "Unlabeled loss weight {} is out of range: use 0 to 10.",
                self.consistency_weight
            ));
        }
        if !(1..=8).contains(&self.unlabeled_ratio) {
            return Err(format!(
                "Unlabeled-to-labeled ratio {} is out of range: use 1 to 8.",
                self.unlabeled_ratio
            ));
        }
        Ok(())
    }
}
