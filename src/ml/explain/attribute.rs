//! Attribution for one sample: which parts of its input drove the model's score for a class.
//! Gradients are taken with respect to input tensors this module creates, on the autodiff
//! device, with the model frozen (dropout off, batch norm on its running statistics).

use super::AttributionMethod;
use super::attention::AttentionMaps;
use super::points::{Layout, input_values, windows, with_values};
use crate::ml::data::BatchInput;
use crate::ml::models::gnn::MAX_LAYERS;
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
    /// One value per edge of a graph input, in its edge list's order (else empty): the drop in
    /// the class score when the edge's messages are switched off (occlusion), or the score's
    /// gradient with respect to the edge's weight in message passing (every other method).
    pub edges: Vec<f32>,
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
            bonds,
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
                bonds: bonds.repeat(k),
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

    /// The autodiff device the model lives on.
    pub fn device(&self) -> &Device {
        &self.device
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

    /// The class score of `input` (one sample) with each edge of `off` switched off in turn
    /// (its messages weighted 0), one score per entry.
    pub async fn scores_without_edges(
        &self,
        input: &BatchInput,
        off: &[usize],
        class: usize,
    ) -> Result<Vec<f32>, String> {
        let edges = edge_list(input).len();
        let weights: Vec<Vec<f32>> = off
            .iter()
            .map(|&e| {
                let mut w = vec![1.0; edges];
                w[e] = 0.0;
                w
            })
            .collect();
        self.scores_with_edge_weights(input, &weights, class).await
    }

    /// The class score of `input` (a graph or node sample) with its edges' messages weighted
    /// by each entry of `weights` (one weight per edge), one score per entry.
    pub async fn scores_with_edge_weights(
        &self,
        input: &BatchInput,
        weights: &[Vec<f32>],
        class: usize,
    ) -> Result<Vec<f32>, String> {
        let plain = self.device.clone().without_autodiff();
        let model = self.model.valid();
        let mut scores = Vec::with_capacity(weights.len());
        // Graphs stack side by side, a chunk per forward; a node input is one whole graph.
        let per_forward = match input {
            BatchInput::Graphs { .. } => CHUNK,
            _ => 1,
        };
        for chunk in weights.chunks(per_forward) {
            let version = match input {
                BatchInput::Graphs { .. } => {
                    stack(&vec![input.clone(); chunk.len()]).ok_or("nothing to score")?
                }
                _ => input.clone(),
            };
            let flat: Vec<f32> = chunk.concat();
            let n = flat.len();
            let flat = Tensor::<1>::from_data(TensorData::new(flat, [n]), &plain);
            let model_input = ModelInput::from_batch(&version, &plain).with_edge_weights(flat);
            let logits = model.head(model.embed(&model_input));
            let [rows, _] = logits.dims();
            scores.extend(read_floats(logits.slice([0..rows, class..class + 1]), "scores").await?);
        }
        Ok(scores)
    }

    /// The gradient of the class score of `input` (one sample) with respect to each edge's
    /// weight in message passing (all weights 1); empty without edges.
    pub async fn edge_gradient(
        &self,
        input: &BatchInput,
        class: usize,
    ) -> Result<Vec<f32>, String> {
        let edges = edge_list(input).len();
        if edges == 0 {
            return Ok(Vec::new());
        }
        let weights = Tensor::<1>::ones([edges], &self.device).require_grad();
        let model_input =
            ModelInput::from_batch(input, &self.device).with_edge_weights(weights.clone());
        let logits = self.model.head(self.model.embed(&model_input));
        let [rows, _] = logits.dims();
        let grads = logits.slice([0..rows, class..class + 1]).sum().backward();
        read_floats(
            weights
                .grad(&grads)
                .ok_or("the edge weights have no gradient")?,
            "edge gradients",
        )
        .await
    }

    /// A Transformer's attention over `input` (one sequence), on its real tokens; `None` for
    /// other models.
    pub async fn attention(&self, input: &BatchInput) -> Result<Option<AttentionMaps>, String> {
        let plain = self.device.clone().without_autodiff();
        let model = self.model.valid();
        let model_input = ModelInput::from_batch(input, &plain);
        let Some((layers, (kmer, stride), class_token)) = model.attention(&model_input) else {
            return Ok(None);
        };
        let length = match input {
            BatchInput::Sequences { lengths, shape, .. } => {
                lengths.first().copied().unwrap_or(shape[1])
            }
            _ => return Ok(None),
        };
        let tokens = length.max(1).div_ceil(stride.max(1)) + usize::from(class_token);
        let (count, mut heads) = (layers.len(), 0);
        let mut weights = Vec::new();
        for layer in layers {
            let [_, h, all, _] = layer.dims();
            heads = h;
            let real = layer.slice([0..1, 0..h, 0..tokens.min(all), 0..tokens.min(all)]);
            weights.extend(read_floats(real, "attention").await?);
        }
        Ok(Some(AttentionMaps {
            layers: count,
            heads,
            tokens,
            class_token,
            kmer,
            stride,
            weights,
        }))
    }

    /// A GAT's attention over `input`, per layer: each undirected edge's mean over its two
    /// directions (in the input's edge order), and the attention each node receives from its
    /// neighbours; `None` for other models.
    pub async fn graph_attention(
        &self,
        input: &BatchInput,
    ) -> Result<Option<Vec<(Vec<f32>, Vec<f32>)>>, String> {
        let plain = self.device.clone().without_autodiff();
        let model = self.model.valid();
        let Some(layers) = model.graph_attention(&ModelInput::from_batch(input, &plain)) else {
            return Ok(None);
        };
        let edges = edge_list(input);
        let nodes = match input {
            BatchInput::Graphs { node_graph, .. } => node_graph.len(),
            BatchInput::Nodes {
                features,
                feature_dim,
                ..
            } => features.len() / (*feature_dim).max(1),
            _ => 0,
        };
        let mut out = Vec::with_capacity(layers.len());
        for alpha in layers {
            let alpha = read_floats(alpha, "attention").await?;
            let mut received = vec![0.0f32; nodes];
            let per_edge = edges
                .iter()
                .enumerate()
                .map(|(e, &[a, b])| {
                    // Message 2e runs a → b, 2e + 1 b → a.
                    let (ab, ba) = (alpha[2 * e], alpha[2 * e + 1]);
                    received[a as usize] += ab;
                    received[b as usize] += ba;
                    (ab + ba) / 2.0
                })
                .collect();
            out.push((per_edge, received));
        }
        Ok(Some(out))
    }

    /// An attribution map of `input` (one sample) for `class`. `baseline` is what Integrated
    /// Gradients starts from and occlusion fills in (one value per input value).
    /// `progress(done, total)` follows the versions computed.
    pub async fn attribute(
        &self,
        input: &BatchInput,
        class: usize,
        method: &AttributionMethod,
        baseline: &[f32],
        mut progress: impl FnMut(usize, usize),
    ) -> Result<Attribution, String> {
        let mut job = AttributionJob::new(input.clone(), class, *method, baseline.to_vec());
        loop {
            let finished = job.advance(self).await?;
            let (done, total) = job.progress();
            progress(done, total);
            if let Some(attribution) = finished {
                return Ok(attribution);
            }
        }
    }
}

/// One attribution computed a chunk of versions at a time, so a caller can report progress
/// and stop between chunks.
pub struct AttributionJob {
    input: BatchInput,
    class: usize,
    method: AttributionMethod,
    baseline: Vec<f32>,
    /// Versions computed so far, of `total`.
    done: usize,
    total: usize,
    /// Gradients summed so far (SmoothGrad, Integrated Gradients).
    sum: Vec<f32>,
    noise: crate::ml::rng::Rng,
    occlusion: Option<Occluded>,
}

/// Occlusion's windows and what their scores added up to so far.
struct Occluded {
    windows: Vec<Vec<usize>>,
    original: f32,
    total: Vec<f32>,
    covered: Vec<u32>,
    /// The edges switched off one at a time after the windows, and each one's score drop.
    edges: Vec<usize>,
    edge_drop: Vec<f32>,
}

impl AttributionJob {
    pub fn new(
        input: BatchInput,
        class: usize,
        method: AttributionMethod,
        baseline: Vec<f32>,
    ) -> Self {
        let total = match method {
            AttributionMethod::SmoothGrad { samples, .. } => samples.max(1),
            AttributionMethod::IntegratedGradients { steps, .. } => steps.max(1),
            AttributionMethod::Occlusion { size, stride } => {
                windows(&input, size.max(1), stride.max(1)).len()
                    + 1
                    + reachable_edges(&input).len()
            }
            _ => 1,
        };
        let values = input_values(&input).len();
        Self {
            input,
            class,
            method,
            baseline,
            done: 0,
            total,
            sum: vec![0.0; values],
            noise: rng(total as u64, Stream::Augment),
            occlusion: None,
        }
    }

    /// The sample explained.
    pub fn input(&self) -> &BatchInput {
        &self.input
    }

    /// Versions computed, and how many there are.
    pub fn progress(&self) -> (usize, usize) {
        (self.done, self.total)
    }

    /// Computes the next chunk; the attribution once the last is done.
    pub async fn advance(&mut self, with: &Attributor) -> Result<Option<Attribution>, String> {
        let Some(mut attribution) = self.advance_points(with).await? else {
            return Ok(None);
        };
        if attribution.edges.is_empty() {
            attribution.edges = with.edge_gradient(&self.input, self.class).await?;
        }
        Ok(Some(attribution))
    }

    async fn advance_points(&mut self, with: &Attributor) -> Result<Option<Attribution>, String> {
        let layout = Layout::of(&self.input);
        let x = input_values(&self.input).to_vec();
        let (input, class) = (&self.input, self.class);
        let chunk = self.done..(self.done + CHUNK).min(self.total);
        let values: Vec<f32> = match self.method {
            AttributionMethod::Saliency => {
                let g = with.gradients(std::slice::from_ref(input), class).await?;
                let values = g.into_iter().next().unwrap_or_default();
                self.done = 1;
                return Ok(Some(Attribution {
                    points: layout.reduce(&values, true),
                    values,
                    edges: Vec::new(),
                }));
            }
            AttributionMethod::GradientTimesInput => {
                let g = with.gradients(std::slice::from_ref(input), class).await?;
                self.done = 1;
                g[0].iter().zip(&x).map(|(g, x)| g * x).collect()
            }
            AttributionMethod::GradCam { layer } => {
                self.done = 1;
                return with.grad_cam(input, class, layer).await.map(Some);
            }
            AttributionMethod::AttentionRollout => {
                let maps = with
                    .attention(input)
                    .await?
                    .ok_or("Attention rollout needs a Transformer: choose another method.")?;
                self.done = 1;
                let channels = layout.channels.max(1);
                let mut relevance = maps.relevance(layout.points);
                relevance.resize(x.len() / channels, 0.0);
                relevance
                    .iter()
                    .flat_map(|&r| std::iter::repeat_n(r / channels as f32, channels))
                    .collect()
            }
            AttributionMethod::SmoothGrad { noise, .. } => {
                let (low, high) = x
                    .iter()
                    .fold((f32::MAX, f32::MIN), |(l, h), &v| (l.min(v), h.max(v)));
                let sigma = noise * (high - low).max(1e-6);
                let versions: Vec<BatchInput> = chunk
                    .clone()
                    .map(|_| {
                        let noisy = x.iter().map(|v| v + sigma * normal(&mut self.noise));
                        with_values(input, noisy.collect())
                    })
                    .collect();
                if !self.add_gradients(with, &versions, chunk.end).await? {
                    return Ok(None);
                }
                // SmoothGrad averages the gradient; shown as gradient × input so that its sign
                // and the input's scale read as for the other methods.
                let n = self.total as f32;
                self.sum.iter().zip(&x).map(|(s, x)| s / n * x).collect()
            }
            AttributionMethod::IntegratedGradients { .. } => {
                let steps = self.total;
                // Midpoints of the path from the baseline to the input.
                let versions: Vec<BatchInput> = chunk
                    .clone()
                    .map(|k| {
                        let alpha = (k as f32 + 0.5) / steps as f32;
                        let point = x
                            .iter()
                            .zip(&self.baseline)
                            .map(|(x, b)| b + alpha * (x - b));
                        with_values(input, point.collect())
                    })
                    .collect();
                if !self.add_gradients(with, &versions, chunk.end).await? {
                    return Ok(None);
                }
                self.sum
                    .iter()
                    .zip(x.iter().zip(&self.baseline))
                    .map(|(s, (x, b))| s / steps as f32 * (x - b))
                    .collect()
            }
            AttributionMethod::Occlusion { size, stride } => {
                return self.occlude(with, size, stride, &layout, &x).await;
            }
        };
        Ok(Some(Attribution {
            points: layout.reduce(&values, false),
            values,
            edges: Vec::new(),
        }))
    }

    /// Adds the gradients of `versions` to the sum, the versions done now `done`; whether
    /// that was the last chunk.
    async fn add_gradients(
        &mut self,
        with: &Attributor,
        versions: &[BatchInput],
        done: usize,
    ) -> Result<bool, String> {
        for g in with.gradients(versions, self.class).await? {
            self.sum.iter_mut().zip(&g).for_each(|(s, g)| *s += g);
        }
        self.done = done;
        Ok(self.done >= self.total)
    }

    /// The drop in the class score when a window of points is replaced by the baseline, shared
    /// out over the points of the window (averaged where windows overlap).
    async fn occlude(
        &mut self,
        with: &Attributor,
        size: usize,
        stride: usize,
        layout: &Layout,
        x: &[f32],
    ) -> Result<Option<Attribution>, String> {
        let (input, class) = (&self.input, self.class);
        let state = match &mut self.occlusion {
            Some(state) => state,
            None => {
                let original = with.scores(std::slice::from_ref(input), class).await?[0];
                self.done = 1;
                self.occlusion.insert(Occluded {
                    windows: windows(input, size.max(1), stride.max(1)),
                    original,
                    total: vec![0.0; layout.points],
                    covered: vec![0; layout.points],
                    edges: reachable_edges(input),
                    edge_drop: vec![0.0; edge_list(input).len()],
                })
            }
        };
        let first = self.done - 1;
        if first >= state.windows.len() {
            let from = first - state.windows.len();
            let batch = &state.edges[from..(from + CHUNK).min(state.edges.len())];
            let scores = with.scores_without_edges(input, batch, class).await?;
            for (&e, score) in batch.iter().zip(scores) {
                state.edge_drop[e] = state.original - score;
            }
            self.done += batch.len();
            return Ok(self.finish_occlusion(layout, x.len()));
        }
        let batch = &state.windows[first..(first + CHUNK).min(state.windows.len())];
        let versions: Vec<BatchInput> = batch
            .iter()
            .map(|window| {
                let mut values = x.to_vec();
                for &p in window {
                    for c in 0..layout.channels {
                        let i = layout.index(p, c);
                        values[i] = self.baseline[i];
                    }
                }
                with_values(input, values)
            })
            .collect();
        let scores = with.scores(&versions, class).await?;
        for (window, score) in batch.iter().zip(scores) {
            for &p in window {
                state.total[p] += state.original - score;
                state.covered[p] += 1;
            }
        }
        self.done += batch.len();
        Ok(self.finish_occlusion(layout, x.len()))
    }

    /// Occlusion's attribution once every window and edge is done.
    fn finish_occlusion(&self, layout: &Layout, values: usize) -> Option<Attribution> {
        let state = self.occlusion.as_ref()?;
        if self.done < self.total {
            return None;
        }
        let points: Vec<f32> = state
            .total
            .iter()
            .zip(&state.covered)
            .map(|(t, &c)| if c == 0 { 0.0 } else { t / c as f32 })
            .collect();
        let mut spread = vec![0.0; values];
        for (p, v) in points.iter().enumerate() {
            for c in 0..layout.channels {
                spread[layout.index(p, c)] = *v / layout.channels as f32;
            }
        }
        Some(Attribution {
            values: spread,
            points,
            edges: state.edge_drop.clone(),
        })
    }
}

impl Attributor {
    /// Grad-CAM: the maps of conv block `layer` weighted by the mean gradient of the class
    /// score over each map, summed and rectified, then stretched over the input's points.
    async fn grad_cam(
        &self,
        input: &BatchInput,
        class: usize,
        layer: usize,
    ) -> Result<Attribution, String> {
        let layout = Layout::of(input);
        let model_input = ModelInput::from_batch(input, &self.device);
        // The maps become a leaf of the graph: the rest of the model runs from them.
        // Read back as `[channels, cells]` with the cells' grid.
        let (gradient, maps, [channels, cells], grid) = match (&self.model, model_input) {
            (Model::Cnn(cnn), ModelInput::Images(x)) => {
                let layer = layer.min(cnn.blocks().saturating_sub(1));
                let maps = cnn
                    .block_outputs(x, 0)
                    .into_iter()
                    .nth(layer)
                    .ok_or("Grad-CAM needs a conv block")?
                    .detach()
                    .require_grad();
                let rest = cnn
                    .block_outputs(maps.clone(), layer + 1)
                    .pop()
                    .unwrap_or(maps.clone());
                let [_, c, h, w] = maps.dims();
                let logits = cnn.head(rest.flatten(1, 3));
                let (gradient, values) = leaf_gradient(maps, logits, class).await?;
                (gradient, values, [c, h * w], [h, w])
            }
            (Model::Cnn1d(cnn), ModelInput::Sequences { values, lengths }) => {
                let layer = layer.min(cnn.blocks().saturating_sub(1));
                let (maps, lengths) = cnn
                    .block_outputs(values.swap_dims(1, 2), &lengths, 0)
                    .into_iter()
                    .nth(layer)
                    .ok_or("Grad-CAM needs a conv block")?;
                let maps = maps.detach().require_grad();
                let (rest, lengths) = cnn
                    .block_outputs(maps.clone(), &lengths, layer + 1)
                    .pop()
                    .unwrap_or((maps.clone(), lengths));
                let logits = cnn.head(cnn.pool(rest, &lengths));
                let [_, c, t] = maps.dims();
                let (gradient, values) = leaf_gradient(maps, logits, class).await?;
                (gradient, values, [c, t], [1, t])
            }
            _ => return Err("Grad-CAM needs a CNN or a 1-D CNN.".into()),
        };
        let mut cam = vec![0.0f32; cells];
        for c in 0..channels {
            let row = c * cells..(c + 1) * cells;
            let weight = gradient[row.clone()].iter().sum::<f32>() / cells as f32;
            cam.iter_mut()
                .zip(&maps[row])
                .for_each(|(cam, a)| *cam += weight * a);
        }
        let cam: Vec<f32> = cam.into_iter().map(|v| v.max(0.0)).collect();
        let points = stretch(&cam, grid, input, layout.points);
        let mut values = vec![0.0; input_values(input).len()];
        for (p, v) in points.iter().enumerate() {
            for c in 0..layout.channels {
                values[layout.index(p, c)] = *v / layout.channels as f32;
            }
        }
        Ok(Attribution {
            values,
            points,
            edges: Vec::new(),
        })
    }
}

/// A coarse map (a conv block's `[rows, columns]` cells) stretched over the input's points,
/// nearest cell.
fn stretch(cam: &[f32], [h, w]: [usize; 2], input: &BatchInput, points: usize) -> Vec<f32> {
    match input {
        BatchInput::Images { shape, .. } => {
            let [_, _, height, width] = *shape;
            (0..height * width)
                .map(|p| {
                    let (y, x) = (p / width, p % width);
                    cam[(y * h / height) * w + x * w / width]
                })
                .collect()
        }
        BatchInput::Sequences { shape, lengths, .. } => {
            let time = shape[1];
            let length = lengths[0].clamp(1, time);
            let cells = cam.len();
            // Pooling halves the real length; the block's real cells cover the real positions.
            let real = ((length * cells) as f64 / time as f64).ceil().max(1.0) as usize;
            (0..points)
                .map(|p| {
                    if p < length {
                        cam[(p * real / length).min(cells - 1)]
                    } else {
                        0.0
                    }
                })
                .collect()
        }
        _ => vec![0.0; points],
    }
}

/// The gradient of `logits`' column `class` with respect to the leaf `maps`, and the maps'
/// values, read back.
async fn leaf_gradient<const D: usize>(
    maps: Tensor<D>,
    logits: Tensor<2>,
    class: usize,
) -> Result<(Vec<f32>, Vec<f32>), String> {
    let [batch, _] = logits.dims();
    let grads = logits.slice([0..batch, class..class + 1]).sum().backward();
    let gradient = read_floats(
        maps.grad(&grads).ok_or("the maps have no gradient")?,
        "gradients",
    )
    .await?;
    Ok((gradient, read_floats(maps.detach(), "activations").await?))
}

/// The edge list of a graph or node input; empty for others.
fn edge_list(input: &BatchInput) -> &[[u32; 2]] {
    match input {
        BatchInput::Graphs { edges, .. } | BatchInput::Nodes { edges, .. } => edges,
        _ => &[],
    }
}

/// The edges occlusion switches off: every edge of a graph; for a node, those whose messages
/// can reach it through the deepest GNN (an endpoint within `MAX_LAYERS - 1` hops) — switching
/// off any other changes nothing.
fn reachable_edges(input: &BatchInput) -> Vec<usize> {
    let edges = edge_list(input);
    let BatchInput::Nodes { targets, .. } = input else {
        return (0..edges.len()).collect();
    };
    let nodes = edges
        .iter()
        .flatten()
        .chain(targets)
        .map(|&n| n as usize + 1)
        .max()
        .unwrap_or(0);
    let mut neighbours = vec![Vec::new(); nodes];
    for &[a, b] in edges {
        neighbours[a as usize].push(b as usize);
        neighbours[b as usize].push(a as usize);
    }
    let mut hops = vec![usize::MAX; nodes];
    let mut frontier: Vec<usize> = targets.iter().map(|&t| t as usize).collect();
    for &t in &frontier {
        hops[t] = 0;
    }
    for depth in 1..MAX_LAYERS {
        let mut next = Vec::new();
        for n in frontier {
            for &m in &neighbours[n] {
                if hops[m] == usize::MAX {
                    hops[m] = depth;
                    next.push(m);
                }
            }
        }
        frontier = next;
    }
    (0..edges.len())
        .filter(|&e| edges[e].iter().any(|&n| hops[n as usize] < MAX_LAYERS))
        .collect()
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
            bonds,
            edge_weights,
            node_graph,
            graphs,
        } => ModelInput::Graphs {
            features: features.require_grad(),
            edges,
            bonds,
            edge_weights,
            node_graph,
            graphs,
        },
        ModelInput::Nodes {
            features,
            edges,
            edge_weights,
            targets,
        } => ModelInput::Nodes {
            features: features.require_grad(),
            edges,
            edge_weights,
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
