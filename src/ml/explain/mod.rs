//! Explanation: what a trained model represents and what in an input drove its decision.
//!
//! Burn-free: the method settings (what the UI and the protocol carry), representation
//! similarity ([`cka`]), projections of embeddings ([`project`]), a sample's input as points
//! ([`points`]) and scores of attribution maps against a built-in sample's true region
//! ([`regions`]). With the engine: attribution itself ([`attribute`]).

#[cfg(feature = "engine")]
pub mod attribute;
pub mod cka;
pub mod points;
pub mod project;
pub mod regions;

use serde::{Deserialize, Serialize};

/// What Integrated Gradients starts from and occlusion fills in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Baseline {
    /// All zeros (black, an all-zero one-hot, zero features).
    #[default]
    Zeros,
    /// A heavily blurred copy of the input.
    Blurred,
    /// The training set's mean input.
    DatasetMean,
    /// Uniform noise over the input's range.
    Noise,
}

/// An attribution method and its settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum AttributionMethod {
    /// The absolute gradient of the class score (Simonyan et al., 2014).
    Saliency,
    /// The gradient times the input.
    GradientTimesInput,
    /// The gradient averaged over noisy copies (Smilkov et al., 2017), times the input;
    /// `noise` is the noise's standard deviation as a share of the input's range.
    SmoothGrad { samples: usize, noise: f32 },
    /// Integrated Gradients (Sundararajan et al., 2017): the gradient along the straight path
    /// from the baseline, times the difference; its sum is the score's difference.
    IntegratedGradients { steps: usize, baseline: Baseline },
    /// The drop in the score when a window (`size` pixels square, `size` positions; one node)
    /// is replaced by the baseline, every `stride`.
    Occlusion { size: usize, stride: usize },
}
