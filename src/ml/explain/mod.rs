//! Explanation: what a trained model represents and what in an input drove its decision.
//!
//! Burn-free: the method settings (what the UI and the protocol carry), representation
//! similarity ([`cka`]), projections of embeddings ([`project`]), a sample's input as points
//! ([`points`]) and scores of attribution maps against a built-in sample's true region
//! ([`regions`]). With the engine: attribution itself ([`attribute`]).

pub mod attention;
#[cfg(feature = "engine")]
pub mod attribute;
pub mod cka;
pub mod points;
pub mod project;
#[cfg(feature = "engine")]
pub mod randomise;
pub mod regions;

use crate::ml::data::DataKind;
use crate::ml::models::ModelFamily;
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
    /// Grad-CAM (Selvaraju et al., 2017), CNNs and 1-D CNNs: conv block `layer`'s maps
    /// weighted by their mean gradient, rectified, stretched over the input.
    GradCam { layer: usize },
    /// Attention rollout (Abnar & Zuidema, 2020), Transformers: the attention of every layer,
    /// averaged over heads and mixed with the residual path, multiplied through the layers and
    /// read where the head reads. Not a gradient: the same for every class.
    AttentionRollout,
}

impl AttributionMethod {
    /// The name shown in the UI and the sanity table.
    pub fn title(&self) -> &'static str {
        match self {
            AttributionMethod::Saliency => "Saliency (gradient)",
            AttributionMethod::GradientTimesInput => "Gradient × input",
            AttributionMethod::SmoothGrad { .. } => "SmoothGrad",
            AttributionMethod::IntegratedGradients { .. } => "Integrated Gradients",
            AttributionMethod::Occlusion { .. } => "Occlusion",
            AttributionMethod::GradCam { .. } => "Grad-CAM",
            AttributionMethod::AttentionRollout => "Attention rollout",
        }
    }

    /// A short stable identifier (the UI's select values).
    pub fn id(&self) -> &'static str {
        match self {
            AttributionMethod::Saliency => "saliency",
            AttributionMethod::GradientTimesInput => "gradient-times-input",
            AttributionMethod::SmoothGrad { .. } => "smoothgrad",
            AttributionMethod::IntegratedGradients { .. } => "integrated-gradients",
            AttributionMethod::Occlusion { .. } => "occlusion",
            AttributionMethod::GradCam { .. } => "grad-cam",
            AttributionMethod::AttentionRollout => "attention-rollout",
        }
    }

    /// Every method with its usual settings for a model of `family` whose last conv block is
    /// `conv_blocks - 1`: occlusion windows of 4 pixels (stride 2), 8 positions (stride 4), one
    /// node or one feature; Grad-CAM on the last block, for conv networks only; attention rollout for Transformers.
    pub fn defaults(family: ModelFamily, kind: DataKind, conv_blocks: usize) -> Vec<Self> {
        let (size, stride) = match kind {
            DataKind::Image => (4, 2),
            DataKind::Sequence => (8, 4),
            _ => (1, 1),
        };
        let mut all = vec![
            AttributionMethod::Saliency,
            AttributionMethod::GradientTimesInput,
            AttributionMethod::SmoothGrad {
                samples: 16,
                noise: 0.15,
            },
            AttributionMethod::IntegratedGradients {
                steps: 32,
                baseline: Baseline::Zeros,
            },
            AttributionMethod::Occlusion { size, stride },
        ];
        if matches!(family, ModelFamily::Cnn | ModelFamily::Cnn1d) && conv_blocks > 0 {
            all.push(AttributionMethod::GradCam {
                layer: conv_blocks - 1,
            });
        }
        if family == ModelFamily::Transformer {
            all.push(AttributionMethod::AttentionRollout);
        }
        all
    }
}
