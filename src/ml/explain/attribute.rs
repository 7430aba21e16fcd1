//! Attribution for one sample: which parts of its input drove the model's score for a class.
//! Gradients are taken with respect to input tensors this module creates, on the autodiff
//! device, with the model frozen (dropout off, batch norm on its running statistics).

use super::AttributionMethod;
use super::points::{Layout, input_values, windows, with_values};
use crate::ml::data::BatchInput;
use crate::ml::models::{Model, ModelInput};
use crate::ml::rng::{Stream, normal, rng};
use crate::ml::session::read_floats;
use burn::module::Module;
use burn::prelude::*;
use burn::tensor::Gradients;

/// An attribution map of one sample.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribution {
    /// One value per input value, laid out as the input.
    pub values: Vec<f32>,
    /// One value per point (pixel, sequence position, node, table feature): the input values
    /// of the point summed (their absolute values for saliency).
    pub points: Vec<f32>,
}

/// Several versions of one sample as one batch (graphs side by side, block-diagonal). Node
/// inputs cannot be stacked: `None`.
fn stack(versions: &[BatchInput]) -> Option<BatchInput> {
    let first = versions.first()?;
    let values: Vec<f32> = versions
        .iter()
        .flat_map(|v| input_values(v).to_vec())
        .collect();
    let k = versions.len();
    Some(match first {
        BatchInput::Images { shape, .. } => BatchInput::Images {
            pixels: values,
            shape: [k, shape[1], shape[2], shape[3]],
        },
        BatchInput::Sequences { shape, lengths, .. } => BatchInput::Sequences {
            values,
            shape: [k, shape[1], shape[2]],
            lengths: vec![lengths[0]; k],
        },
        BatchInput::Table { shape, .. } => BatchInput::Table {
            values,
            shape: [k, shape[1]],
        },
        BatchInput::Graphs {
            feature_dim,
            edges,
            node_graph,
            ..
        } => {
            let nodes = node_graph.len() as u32;
            BatchInput::Graphs {
                features: values,
                feature_dim: *feature_dim,
                edges: (0..k as u32)
                    .flat_map(|g| {
                        edges
                            .iter()
                            .map(move |[a, b]| [a + g * nodes, b + g * nodes])
                    })
                    .collect(),
                node_graph: (0..k as u32)
                    .flat_map(|g| std::iter::repeat_n(g, nodes as usize))
                    .collect(),
                graphs: k,
            }
        }
        BatchInput::Nodes { .. } => return None,
    })
}

/// How many versions of a sample go through the model at once.
const CHUNK: usize = 16;

/// Computes attributions of one sample's score for `class` with `model` (a trained model, on
/// `device` with autodiff).
pub struct Attributor {
    model: Model,
    device: Device,
}

impl Attributor {
    pub fn new(model: &Model, device: &Device) -> Self {
        Self {
            model: model.clone().freeze(),
            device: device.clone(),
        }
    }

    /// The class scores (logits) of one version of the sample per entry of `versions`, no
    /// gradients. A node input names one target node: the sample explained.
    pub async fn scores(&self, versions: &[BatchInput], class: usize) -> Result<Vec<f32>, String> {
        let plain = self.device.clone().without_autodiff();
        let model = self.model.valid();
        let mut scores = Vec::with_capacity(versions.len());
        for chunk in chunked(versions) {
            let logits = model.head(model.embed(&ModelInput::from_batch(&chunk, &plain)));
            let [rows, _] = logits.dims();
            let column = logits.slice([0..rows, class..class + 1]);
            scores.extend(read_floats(column, "scores").await?);
        }
        Ok(scores)
    }

    /// The gradient of the class score with respect to every input value, for each version.
    pub async fn gradients(
        &self,
        versions: &[BatchInput],
        class: usize,
    ) -> Result<Vec<Vec<f32>>, String> {
        let mut out = Vec::with_capacity(versions.len());
        for chunk in chunked(versions) {
            let input = tracked(ModelInput::from_batch(&chunk, &self.device));
            let logits = self.model.head(self.model.embed(&input));
            let [batch, _] = logits.dims();
            let grads = logits.slice([0..batch, class..class + 1]).sum().backward();
            let gradient = values_gradient(&input, &grads).await?;
            // A node input is one graph whatever its targets: one gradient per version.
            let versions_here = if matches!(chunk, BatchInput::Nodes { .. }) {
                1
            } else {
                batch
            };
            let per = gradient.len() / versions_here.max(1);
            out.extend(gradient.chunks(per.max(1)).map(<[f32]>::to_vec));
        }
        Ok(out)
    }

    /// An attribution map of `input` (one sample) for `class`. `baseline` is what Integrated
    /// Gradients starts from and occlusion fills in (one value per input value).
    pub async fn attribute(
        &self,
        input: &BatchInput,
        class: usize,
        method: &AttributionMethod,
        baseline: &[f32],
        mut progress: impl FnMut(usize, usize),
    ) -> Result<Attribution, String> {
        let layout = Layout::of(input);
        let x = input_values(input);
        let values: Vec<f32> = match *method {
            AttributionMethod::Saliency => {
                let g = self.gradients(std::slice::from_ref(input), class).await?;
                let values = g.into_iter().next().unwrap_or_default();
                return Ok(Attribution {
                    points: layout.reduce(&values, true),
                    values,
                });
            }
            AttributionMethod::GradientTimesInput => {
                let g = self.gradients(std::slice::from_ref(input), class).await?;
                g[0].iter().zip(x).map(|(g, x)| g * x).collect()
            }
            AttributionMethod::SmoothGrad { samples, noise } => {
                let (low, high) = x
                    .iter()
                    .fold((f32::MAX, f32::MIN), |(l, h), &v| (l.min(v), h.max(v)));
                let sigma = noise * (high - low).max(1e-6);
                let mut r = rng(samples as u64, Stream::Augment);
                let mut sum = vec![0.0f32; x.len()];
                let samples = samples.max(1);
                for done in (0..samples).step_by(CHUNK) {
                    let versions: Vec<BatchInput> = (done..(done + CHUNK).min(samples))
                        .map(|_| {
                            with_values(
                                input,
                                x.iter().map(|v| v + sigma * normal(&mut r)).collect(),
                            )
                        })
                        .collect();
                    for g in self.gradients(&versions, class).await? {
                        sum.iter_mut().zip(&g).for_each(|(s, g)| *s += g);
                    }
                    progress((done + CHUNK).min(samples), samples);
                }
                // SmoothGrad averages the gradient; shown as gradient × input so that its sign
                // and the input's scale read as for the other methods.
                sum.iter()
                    .zip(x)
                    .map(|(s, x)| s / samples as f32 * x)
                    .collect()
            }
            AttributionMethod::IntegratedGradients { steps, .. } => {
                let steps = steps.max(1);
                let mut sum = vec![0.0f32; x.len()];
                for done in (0..steps).step_by(CHUNK) {
                    // Midpoints of the path from the baseline to the input.
                    let versions: Vec<BatchInput> = (done..(done + CHUNK).min(steps))
                        .map(|k| {
                            let alpha = (k as f32 + 0.5) / steps as f32;
                            with_values(
                                input,
                                x.iter()
                                    .zip(baseline)
                                    .map(|(x, b)| b + alpha * (x - b))
                                    .collect(),
                            )
                        })
                        .collect();
                    for g in self.gradients(&versions, class).await? {
                        sum.iter_mut().zip(&g).for_each(|(s, g)| *s += g);
                    }
                    progress((done + CHUNK).min(steps), steps);
                }
                sum.iter()
                    .zip(x.iter().zip(baseline))
                    .map(|(s, (x, b))| s / steps as f32 * (x - b))
                    .collect()
            }
            AttributionMethod::Occlusion { size, stride } => {
                return self
                    .occlusion(input, class, size, stride, baseline, &mut progress)
                    .await;
            }
        };
        Ok(Attribution {
            points: layout.reduce(&values, false),
            values,
        })
    }

    /// The drop in the class score when a window of points is replaced by the baseline, shared
    /// out over the points of the window (averaged where windows overlap).
    async fn occlusion(
        &self,
        input: &BatchInput,
        class: usize,
        size: usize,
        stride: usize,
        baseline: &[f32],
        progress: &mut impl FnMut(usize, usize),
    ) -> Result<Attribution, String> {
        let layout = Layout::of(input);
        let x = input_values(input);
        let windows = windows(input, size.max(1), stride.max(1));
        let original = self.scores(std::slice::from_ref(input), class).await?[0];
        let mut total = vec![0.0f32; layout.points];
        let mut covered = vec![0u32; layout.points];
        for (done, batch) in windows.chunks(CHUNK).enumerate() {
            let versions: Vec<BatchInput> = batch
                .iter()
                .map(|window| {
                    let mut values = x.to_vec();
                    for &p in window {
                        for c in 0..layout.channels {
                            let i = layout.index(p, c);
                            values[i] = baseline[i];
                        }
                    }
                    with_values(input, values)
                })
                .collect();
            let scores = self.scores(&versions, class).await?;
            for (window, score) in batch.iter().zip(scores) {
                for &p in window {
                    total[p] += original - score;
                    covered[p] += 1;
                }
            }
            progress(((done + 1) * CHUNK).min(windows.len()), windows.len());
        }
        let points: Vec<f32> = total
            .iter()
            .zip(&covered)
            .map(|(t, &c)| if c == 0 { 0.0 } else { t / c as f32 })
            .collect();
        let mut values = vec![0.0; x.len()];
        for (p, v) in points.iter().enumerate() {
            for c in 0..layout.channels {
                values[layout.index(p, c)] = *v / layout.channels as f32;
            }
        }
        Ok(Attribution { values, points })
    }
}

fn chunked(versions: &[BatchInput]) -> Vec<BatchInput> {
    debug_assert!(
        versions
            .iter()
            .all(|v| !matches!(v, BatchInput::Nodes { targets, .. } if targets.len() != 1)),
        "a node input explains one node"
    );
    match versions.first() {
        Some(BatchInput::Nodes { .. }) => versions.to_vec(),
        _ => versions
            .chunks(CHUNK)
            .map(|c| stack(c).expect("stackable"))
            .collect(),
    }
}

fn tracked(input: ModelInput) -> ModelInput {
    match input {
        ModelInput::Images(x) => ModelInput::Images(x.require_grad()),
        ModelInput::Sequences { values, lengths } => ModelInput::Sequences {
            values: values.require_grad(),
            lengths,
        },
        ModelInput::Graphs {
            features,
            edges,
            node_graph,
            graphs,
        } => ModelInput::Graphs {
            features: features.require_grad(),
            edges,
            node_graph,
            graphs,
        },
        ModelInput::Nodes {
            features,
            edges,
            targets,
        } => ModelInput::Nodes {
            features: features.require_grad(),
            edges,
            targets,
        },
        ModelInput::Table(x) => ModelInput::Table(x.require_grad()),
    }
}

async fn values_gradient(input: &ModelInput, grads: &Gradients) -> Result<Vec<f32>, String> {
    let missing = || "the input has no gradient".to_string();
    match input {
        ModelInput::Images(x) => read_floats(x.grad(grads).ok_or_else(missing)?, "gradients").await,
        ModelInput::Sequences { values, .. } => {
            read_floats(values.grad(grads).ok_or_else(missing)?, "gradients").await
        }
        ModelInput::Graphs { features, .. } | ModelInput::Nodes { features, .. } => {
            read_floats(features.grad(grads).ok_or_else(missing)?, "gradients").await
        }
        ModelInput::Table(x) => read_floats(x.grad(grads).ok_or_else(missing)?, "gradients").await,
    }
}
