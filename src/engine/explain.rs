//! The Explain panel's work: an attribution of one validation sample, each layer's activations
//! for it, the validation set's embeddings in the plane, similarity between layers, and the
//! sanity checks of the attribution methods. The long ones run in slices as an
//! [`Activity::Explaining`] job, with progress; Pause cancels them.

use super::views::network_item;
use super::{Activity, Engine, PROGRESS_MS, Platform, SLICE_MS, sample_view};
use crate::ml::data::{BatchInput, DataKind, Dataset, Samples};
use crate::ml::experiment::DatasetId;
use crate::ml::explain::attribute::{AttributionJob, Attributor};
use crate::ml::explain::cka::{Representation, cka_matrix};
use crate::ml::explain::points::baseline_values;
use crate::ml::explain::project::{Tsne, TsneConfig, pca_2d};
use crate::ml::explain::randomise::{layers_from_head, reinitialise_from};
use crate::ml::explain::regions::{RegionScore, mean_score, rank_correlation, region_score};
use crate::ml::explain::{AttributionMethod, Baseline};
use crate::ml::label::{LabelSource, Part};
use crate::ml::metrics::argmax_rows;
use crate::ml::models::{Model, ModelInput};
use crate::ml::session::{Session, read_floats};
use crate::protocol::{
    AttentionView, AttributionCheck, AttributionView, CheckRow, FilterKernels, FromWorker,
    LabelOrigin, LayerActivations, LayerSimilarity, LayersAgainst, Projection, ProjectionView,
    RandomisedRow, SampleRef, SampleView,
};
use burn::module::Module;
use std::sync::Arc;

/// Most validation samples projected (t-SNE is quadratic in them).
const PROJECTED: usize = 600;
/// Validation samples the layer similarity is measured on.
const CKA_SAMPLES: usize = 256;
/// Samples the randomised-model check explains at each step.
const RANDOMISED_SAMPLES: usize = 6;
/// Most samples the region check may be asked for.
pub const MAX_CHECKED: usize = 200;
/// Shortest time between t-SNE snapshots sent while it runs (ms).
const SNAPSHOT_MS: f64 = 400.0;
/// Checkpoints kept per run (the first and the latest ones).
const CHECKPOINTS: usize = 5;
/// A method whose maps keep this rank correlation with every layer re-initialised is suspect.
const SUSPECT: f32 = 0.5;

/// A long explain job.
pub(super) enum ExplainJob {
    Attribution(Box<AttributionRun>),
    Tsne(Box<TsneRun>),
    Check(Box<CheckRun>),
}

pub(super) struct AttributionRun {
    attributor: Attributor,
    job: AttributionJob,
    view: AttributionView,
    started_ms: f64,
}

pub(super) struct TsneRun {
    tsne: Tsne,
    view: ProjectionView,
    last_snapshot_ms: f64,
}

/// A sample the checks explain.
struct Checked {
    input: BatchInput,
    class: usize,
    region: Vec<bool>,
    baseline: Vec<f32>,
}

impl Checked {
    async fn explain(
        &self,
        with: &Attributor,
        method: &AttributionMethod,
    ) -> Result<crate::ml::explain::attribute::Attribution, String> {
        with.attribute(&self.input, self.class, method, &self.baseline, |_, _| {})
            .await
    }
}

pub(super) struct CheckRun {
    methods: Vec<AttributionMethod>,
    samples: Vec<Checked>,
    /// Whether the samples have true regions (else only the randomisation check runs).
    with_truth: bool,
    /// Units of work done: first every (method, sample) on the trained model, then every
    /// (step, method, randomised sample).
    next: usize,
    scores: Vec<Vec<RegionScore>>,
    /// Per method, the maps with no positive attribution to place (left out of its scores).
    unscored: Vec<usize>,
    /// The trained model's maps (signed, per input value) of the first samples, per method.
    trained_maps: Vec<Vec<Vec<f32>>>,
    /// Layers from the head down: depth and name.
    steps: Vec<(usize, String)>,
    /// Per method, per step: the correlation of each randomised sample's map.
    correlations: Vec<Vec<Vec<f32>>>,
    trained: Attributor,
    /// The model re-initialised down to the current step, and that step.
    randomised: Option<(usize, Attributor)>,
    model: Model,
    seed: u64,
    check: AttributionCheck,
    last_post_ms: f64,
}

impl CheckRun {
    fn first_phase(&self) -> usize {
        self.methods.len() * self.phase_one_samples()
    }

    fn phase_one_samples(&self) -> usize {
        if self.with_truth {
            self.samples.len()
        } else {
            self.samples.len().min(RANDOMISED_SAMPLES)
        }
    }

    fn randomised_samples(&self) -> usize {
        self.samples.len().min(RANDOMISED_SAMPLES)
    }

    fn total(&self) -> usize {
        self.first_phase() + self.steps.len() * self.methods.len() * self.randomised_samples()
    }

    /// Brings the published table up to date.
    fn publish(&mut self) {
        if self.with_truth {
            self.check.rows = self
                .methods
                .iter()
                .zip(self.scores.iter().zip(&self.unscored))
                .filter(|(_, (scores, unscored))| !scores.is_empty() || **unscored > 0)
                .map(|(method, (scores, &unscored))| match mean_score(scores) {
                    Some((mean, hits)) => CheckRow {
                        method: method.title().into(),
                        inside: mean.inside,
                        region_share: mean.region_share,
                        pointing: hits as f32 / scores.len() as f32,
                        samples: scores.len(),
                        unscored,
                    },
                    None => CheckRow {
                        method: method.title().into(),
                        inside: 0.0,
                        region_share: 0.0,
                        pointing: 0.0,
                        samples: 0,
                        unscored,
                    },
                })
                .collect();
        }
        self.check.randomised = self
            .methods
            .iter()
            .zip(&self.correlations)
            .filter(|(_, steps)| steps.iter().any(|s| !s.is_empty()))
            .map(|(method, steps)| {
                let correlation: Vec<f32> = steps
                    .iter()
                    .filter(|s| !s.is_empty())
                    .map(|s| s.iter().sum::<f32>() / s.len() as f32)
                    .collect();
                let complete = correlation.len() == self.steps.len();
                RandomisedRow {
                    method: method.title().into(),
                    suspect: complete && correlation.last().is_some_and(|&c| c > SUSPECT),
                    correlation,
                }
            })
            .collect();
    }
}

/// What `sample` is for the model, and how it is drawn.
fn explained_sample(
    session: &Session,
    layout: Option<&[(f32, f32)]>,
    sample: SampleRef,
) -> (BatchInput, crate::protocol::SampleView) {
    let dataset = session.dataset();
    let samples = dataset.part(sample.part);
    let index = sample.index;
    let input = session.model_batch(samples, &[index]).input;
    let view = match (samples, layout) {
        (Samples::Nodes(nodes), Some(layout)) => {
            network_item(dataset, layout, None, Some(&[nodes.nodes[index]])).view
        }
        _ => sample_view(samples, index),
    };
    (input, view)
}

/// An error naming `sample` when its part has no such sample.
fn missing_sample(dataset: &Dataset, sample: SampleRef) -> Option<String> {
    let count = dataset.part(sample.part).len();
    (sample.index >= count).then(|| match count {
        0 => format!("There is no {}: that part is empty.", sample.describe()),
        _ => format!(
            "There is no {}: there are {count} (0 to {}).",
            sample.describe(),
            count - 1
        ),
    })
}

/// Edge values of a graph input laid out along the drawing's edge list (matched as unordered
/// pairs); empty when the drawing has no edges.
fn edges_as_drawn(input: &BatchInput, values: &[f32], view: &SampleView) -> Vec<f32> {
    let drawn = match view {
        SampleView::Graph { edges, .. } | SampleView::Network { edges, .. } => edges,
        _ => return Vec::new(),
    };
    let key = |[a, b]: [u32; 2]| (a.min(b), a.max(b));
    let by_pair: std::collections::HashMap<(u32, u32), f32> = match input {
        BatchInput::Graphs { edges, .. } | BatchInput::Nodes { edges, .. } => edges
            .iter()
            .zip(values)
            .map(|(&edge, &v)| (key(edge), v))
            .collect(),
        _ => return Vec::new(),
    };
    drawn
        .iter()
        .map(|&edge| by_pair.get(&key(edge)).copied().unwrap_or(0.0))
        .collect()
}

impl<P: Platform> Engine<P> {
    /// Starts explaining `sample` (pausing training).
    pub(super) async fn explain(
        &mut self,
        sample: SampleRef,
        class: Option<u32>,
        method: AttributionMethod,
        baseline: Baseline,
    ) {
        if !self.ready_to_explain().await {
            return;
        }
        let regions = match sample.part {
            Part::Valid => self.regions_of_valid(),
            _ => None,
        };
        let session = self.session.as_ref().expect("ensured");
        if let Some(message) = missing_sample(session.dataset(), sample) {
            return self.platform.post(FromWorker::Error(message));
        }
        let samples = session.dataset().part(sample.part);
        if let AttributionMethod::GradCam { .. } = method
            && !matches!(session.trainer().model(), Model::Cnn(_) | Model::Cnn1d(_))
        {
            return self.platform.post(FromWorker::Error(
                "Grad-CAM needs a CNN or a 1-D CNN: choose another method.".into(),
            ));
        }
        if method == AttributionMethod::AttentionRollout
            && !matches!(session.trainer().model(), Model::Transformer(_))
        {
            return self.platform.post(FromWorker::Error(
                "Attention rollout needs a Transformer: choose another method.".into(),
            ));
        }
        let (input, view) =
            explained_sample(session, self.layout.as_deref().map(Vec::as_slice), sample);
        let probabilities = match read_floats(
            session.predict(samples, &[sample.index]).probabilities,
            "predictions",
        )
        .await
        {
            Ok(p) => p,
            Err(message) => return self.platform.post(FromWorker::Error(message)),
        };
        let classes = session.dataset().num_classes();
        let prediction = argmax_rows(&probabilities, classes)[0];
        let class = class.unwrap_or(prediction.0).min(classes as u32 - 1);
        let value = session.target_scale().map(|_| {
            let measured = samples.measured().get(sample.index).copied();
            (probabilities[0], measured.filter(|m| !m.is_nan()))
        });
        let mean = self.mean_input(&input);
        let baseline = baseline_values(baseline, &input, mean.as_deref(), sample.index as u64);
        let region = regions
            .and_then(|regions| regions.get(sample.index).cloned())
            .unwrap_or_default();
        let run = AttributionRun {
            attributor: Attributor::new(session.trainer().model(), session.trainer().device()),
            job: AttributionJob::new(input, class as usize, method, baseline),
            view: AttributionView {
                sample,
                label: samples.labels()[sample.index],
                prediction,
                class,
                value,
                method,
                view,
                region,
                points: Vec::new(),
                edges: Vec::new(),
                milliseconds: 0.0,
            },
            started_ms: self.platform.now_ms(),
        };
        self.set_activity(Activity::Explaining(Box::new(ExplainJob::Attribution(
            Box::new(run),
        ))));
    }

    /// Sends each layer's activations for `sample`.
    pub(super) async fn send_activations(&mut self, sample: SampleRef) {
        if !self.ensure_session().await {
            return;
        }
        let session = self.session.as_ref().expect("ensured");
        if let Some(message) = missing_sample(session.dataset(), sample) {
            return self.platform.post(FromWorker::Error(message));
        }
        let device = session.trainer().device().clone().without_autodiff();
        let model = session.trainer().model().valid();
        let input = session
            .model_batch(session.dataset().part(sample.part), &[sample.index])
            .input;
        let mut layers = Vec::new();
        for output in model.layer_outputs(&ModelInput::from_batch(&input, &device), true) {
            match read_floats(output.values, "activations").await {
                Ok(values) => layers.push(LayerActivations {
                    name: output.name,
                    layout: output.layout,
                    values,
                }),
                Err(message) => return self.platform.post(FromWorker::Error(message)),
            }
        }
        self.platform
            .post(FromWorker::Activations { sample, layers });
    }

    /// Sends a Transformer's attention over `sample`.
    pub(super) async fn send_attention(&mut self, sample: SampleRef) {
        if !self.ensure_session().await {
            return;
        }
        let regions = match sample.part {
            Part::Valid => self.regions_of_valid(),
            _ => None,
        };
        let session = self.session.as_ref().expect("ensured");
        if let Some(message) = missing_sample(session.dataset(), sample) {
            return self.platform.post(FromWorker::Error(message));
        }
        let (input, view) =
            explained_sample(session, self.layout.as_deref().map(Vec::as_slice), sample);
        let region = regions
            .and_then(|regions| regions.get(sample.index).cloned())
            .unwrap_or_default();
        let attributor = Attributor::new(session.trainer().model(), session.trainer().device());
        let view = match attributor.attention(&input).await {
            Ok(Some(maps)) => AttentionView {
                sample,
                layers: maps.layers,
                heads: maps.heads,
                tokens: maps.tokens,
                class_token: maps.class_token,
                kmer: maps.kmer,
                stride: maps.stride,
                region,
                rollout: maps.relevance(crate::ml::explain::points::Layout::of(&input).points),
                weights: maps.weights,
                view,
            },
            Ok(None) => match attributor.graph_attention(&input).await {
                Ok(Some(layers)) => AttentionView {
                    sample,
                    layers: layers.len(),
                    heads: 1,
                    tokens: 0,
                    class_token: false,
                    kmer: 1,
                    stride: 1,
                    region,
                    weights: layers
                        .iter()
                        .flat_map(|(edges, _)| edges_as_drawn(&input, edges, &view))
                        .collect(),
                    rollout: layers.into_iter().flat_map(|(_, nodes)| nodes).collect(),
                    view,
                },
                Ok(None) => {
                    return self.platform.post(FromWorker::Error(
                        "Attention maps need a Transformer or a GAT: choose one in the Model panel."
                            .into(),
                    ));
                }
                Err(message) => return self.platform.post(FromWorker::Error(message)),
            },
            Err(message) => return self.platform.post(FromWorker::Error(message)),
        };
        self.platform.post(FromWorker::Attention(Box::new(view)));
    }

    /// Sends the first conv layer's kernels (CNNs and 1-D CNNs).
    pub(super) async fn send_filters(&mut self) {
        if !self.ensure_session().await {
            return;
        }
        let session = self.session.as_ref().expect("ensured");
        let alphabet = match &session.dataset().train {
            Samples::Sequences(set) => set.alphabet.clone(),
            _ => None,
        };
        let read = match session.trainer().model() {
            Model::Cnn(cnn) => match cnn.first_filters() {
                Some(w) => {
                    let [filters, channels, kernel, _] = w.dims();
                    Some((
                        read_floats(w, "filters").await,
                        filters,
                        channels,
                        kernel,
                        true,
                    ))
                }
                None => None,
            },
            Model::Cnn1d(cnn) => match cnn.first_filters() {
                Some(w) => {
                    let [filters, channels, kernel] = w.dims();
                    Some((
                        read_floats(w, "filters").await,
                        filters,
                        channels,
                        kernel,
                        false,
                    ))
                }
                None => None,
            },
            _ => None,
        };
        match read {
            Some((Ok(values), filters, channels, kernel, image)) => {
                self.platform.post(FromWorker::Filters(FilterKernels {
                    filters,
                    channels,
                    kernel,
                    image,
                    alphabet: if image { None } else { alphabet },
                    values,
                }))
            }
            Some((Err(message), ..)) => self.platform.post(FromWorker::Error(message)),
            None => self.platform.post(FromWorker::Error(
                "Only convolutional networks have filters to draw.".into(),
            )),
        }
    }

    /// Projects the embeddings of the validation set, or of every sample, to the plane: PCA
    /// at once, t-SNE as a job.
    pub(super) async fn project(&mut self, method: Projection, every_sample: bool) {
        if !self.ready_to_explain().await {
            return;
        }
        let session = self.session.as_ref().expect("ensured");
        let dataset = session.dataset();
        let chosen = projected_samples(dataset, every_sample);
        let count = chosen.len();
        let mut embeddings = Vec::new();
        let mut probabilities = Vec::new();
        for part in Part::ALL {
            let indices: Vec<usize> = chosen
                .iter()
                .filter(|(s, _)| s.part == part)
                .map(|(s, _)| s.index)
                .collect();
            // Node datasets: one pass over the graph whatever the chunk.
            for chunk in indices.chunks(256) {
                let prediction = session.predict(dataset.part(part), chunk);
                let read = async {
                    Ok::<_, String>((
                        read_floats(prediction.embeddings, "embeddings").await?,
                        read_floats(prediction.probabilities, "predictions").await?,
                    ))
                };
                match read.await {
                    Ok((e, p)) => {
                        embeddings.extend(e);
                        probabilities.extend(p);
                    }
                    Err(message) => return self.platform.post(FromWorker::Error(message)),
                }
            }
        }
        let width = embeddings.len() / count.max(1);
        let classes = dataset.num_classes();
        let mut view = ProjectionView {
            method,
            truth: chosen
                .iter()
                .map(|(s, _)| dataset.part(s.part).labels()[s.index])
                .collect(),
            sources: chosen.iter().map(|(_, origin)| *origin).collect(),
            samples: chosen.into_iter().map(|(s, _)| s).collect(),
            predicted: argmax_rows(&probabilities, classes)
                .into_iter()
                .map(|(c, _)| c)
                .collect(),
            xy: Vec::new(),
            explained: None,
        };
        match method {
            Projection::Pca => {
                let (points, explained) = pca_2d(&embeddings, width.max(1));
                view.xy = points.into_iter().flatten().collect();
                view.explained = Some(explained);
                self.platform.post(FromWorker::Projection {
                    view: Box::new(view),
                    finished: true,
                });
            }
            Projection::Tsne => {
                let tsne = Tsne::new(
                    &embeddings,
                    width.max(1),
                    TsneConfig {
                        seed: self.experiment.seed,
                        ..TsneConfig::default()
                    },
                );
                let run = TsneRun {
                    tsne,
                    view,
                    last_snapshot_ms: self.platform.now_ms(),
                };
                self.set_activity(Activity::Explaining(Box::new(ExplainJob::Tsne(Box::new(
                    run,
                )))));
            }
        }
    }

    /// Keeps a copy of the model at this step when it is twice the last one kept (the first
    /// evaluated step always), holding the first and the latest few.
    pub(super) fn keep_checkpoint(&mut self) {
        let Some(session) = &self.session else {
            return;
        };
        let step = session.step();
        if step == 0
            || self
                .checkpoints
                .last()
                .is_some_and(|(last, _)| step < 2 * last)
        {
            return;
        }
        if self.checkpoints.len() == CHECKPOINTS {
            self.checkpoints.remove(1);
        }
        self.checkpoints
            .push((step, session.trainer().model().clone()));
    }

    /// Sends linear CKA between the layers of the model and those of what `against` names:
    /// itself, a checkpoint of the run, or (for the augmentation comparison's two runs) the
    /// run with augmentation against the run without.
    pub(super) async fn compare_layers(&mut self, against: LayersAgainst) {
        let (rows, columns, session) = match against {
            LayersAgainst::AugmentationRuns => {
                let Some(runs) = &self.compared_runs else {
                    return self.platform.post(FromWorker::Error(
                        "There are no runs to compare yet: run the comparison in the Augmentation tab first.".into(),
                    ));
                };
                (
                    runs[0].trainer().model(),
                    runs[1].trainer().model(),
                    &runs[0],
                )
            }
            LayersAgainst::Itself | LayersAgainst::Checkpoint(_) => {
                if !self.ensure_session().await {
                    return;
                }
                let session = self.session.as_ref().expect("ensured");
                let model = session.trainer().model();
                let columns = match against {
                    LayersAgainst::Checkpoint(step) => {
                        match self.checkpoints.iter().find(|(s, _)| *s == step) {
                            Some((_, checkpoint)) => checkpoint,
                            None => {
                                return self.platform.post(FromWorker::Error(format!(
                                    "There is no checkpoint at step {step} in this run."
                                )));
                            }
                        }
                    }
                    _ => model,
                };
                (model, columns, session)
            }
        };
        let valid = &session.dataset().valid;
        let count = valid.len().min(CKA_SAMPLES);
        let indices: Vec<usize> = (0..count).collect();
        let input = session.model_batch(valid, &indices).input;
        let device = session.trainer().device();
        let now = match representations(rows, &input, device).await {
            Ok(now) => now,
            Err(message) => return self.platform.post(FromWorker::Error(message)),
        };
        let then = if std::ptr::eq(rows, columns) {
            now.clone()
        } else {
            match representations(columns, &input, device).await {
                Ok(then) => then,
                Err(message) => return self.platform.post(FromWorker::Error(message)),
            }
        };
        let matrix = cka_matrix(
            &now.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(),
            &then.into_iter().map(|(_, r)| r).collect::<Vec<_>>(),
        );
        let step = session.step();
        self.platform
            .post(FromWorker::LayerSimilarity(LayerSimilarity {
                layers: now.into_iter().map(|(name, _)| name).collect(),
                cka: matrix.into_iter().flatten().map(|v| v as f32).collect(),
                samples: count,
                step,
                against,
                checkpoints: self.checkpoints.iter().map(|(s, _)| *s).collect(),
            }));
    }

    /// Starts the sanity checks on the first `samples` validation samples that have a true
    /// region (all samples when the data has none).
    pub(super) async fn check_attributions(&mut self, samples: usize) {
        if !self.ready_to_explain().await {
            return;
        }
        let regions = self.regions_of_valid();
        let session = self.session.as_ref().expect("ensured");
        let dataset = session.dataset();
        let valid = &dataset.valid;
        let wanted = samples.clamp(1, MAX_CHECKED);
        let chosen: Vec<(usize, Vec<bool>)> = match &regions {
            Some(regions) => regions
                .iter()
                .enumerate()
                .filter(|(_, r)| !r.is_empty())
                .take(wanted)
                .map(|(i, r)| (i, r.clone()))
                .collect(),
            None => (0..valid.len().min(RANDOMISED_SAMPLES))
                .map(|i| (i, Vec::new()))
                .collect(),
        };
        let model = session.trainer().model();
        let conv_blocks = match model {
            Model::Cnn(cnn) => cnn.blocks(),
            Model::Cnn1d(cnn) => cnn.blocks(),
            _ => 0,
        };
        let methods = AttributionMethod::defaults(
            session.experiment().model.family(),
            dataset.shape().kind(),
            conv_blocks,
        );
        let checked = chosen
            .into_iter()
            .map(|(i, region)| {
                let input = session.model_batch(valid, &[i]).input;
                Checked {
                    baseline: baseline_values(Baseline::Zeros, &input, None, i as u64),
                    class: valid.labels()[i] as usize,
                    input,
                    region,
                }
            })
            .collect::<Vec<_>>();
        let no_truth = regions.is_none().then(|| match self.experiment.dataset {
            DatasetId::Uploaded => "An upload has no ground truth: Petri does not know where \
                                    the signal is in your data, so only the randomised-model \
                                    check runs."
                .to_string(),
            DatasetId::Builtin(builtin) => format!(
                "{} has no ground-truth region (its signal is not in one place), so only the \
                 randomised-model check runs.",
                builtin.title()
            ),
        });
        let device = session.trainer().device().clone();
        let steps = layers_from_head(model);
        let run = CheckRun {
            with_truth: regions.is_some(),
            scores: vec![Vec::new(); methods.len()],
            unscored: vec![0; methods.len()],
            trained_maps: vec![Vec::new(); methods.len()],
            correlations: vec![vec![Vec::new(); steps.len()]; methods.len()],
            trained: Attributor::new(model, &device),
            randomised: None,
            model: model.clone(),
            seed: self.experiment.seed,
            check: AttributionCheck {
                rows: Vec::new(),
                no_truth,
                steps: steps.iter().map(|(_, name)| name.clone()).collect(),
                randomised: Vec::new(),
                randomised_samples: checked.len().min(RANDOMISED_SAMPLES),
            },
            steps,
            methods,
            samples: checked,
            next: 0,
            last_post_ms: f64::NEG_INFINITY,
        };
        self.set_activity(Activity::Explaining(Box::new(ExplainJob::Check(Box::new(
            run,
        )))));
    }

    /// A session to explain, with training paused first.
    async fn ready_to_explain(&mut self) -> bool {
        if !self.ensure_session().await {
            return false;
        }
        if self.activity.runs() {
            self.stop_activity();
            self.report().await;
            self.evaluate().await;
            self.report_state();
        } else {
            self.stop_activity();
        }
        true
    }

    /// The true region of each validation sample of the current built-in dataset, or `None`
    /// (uploads, data without regions).
    fn regions_of_valid(&mut self) -> Option<super::Regions> {
        let DatasetId::Builtin(dataset) = self.experiment.dataset else {
            return None;
        };
        let key = (dataset, self.experiment.seed);
        if let Some((cached, regions)) = &self.regions
            && *cached == key
        {
            return regions.clone();
        }
        let collection = self.collection.as_ref().map(|(_, c)| c.clone())?;
        let regions = dataset.regions(self.experiment.seed).map(|all| {
            Arc::new(
                collection.ids[1]
                    .iter()
                    .map(|id| {
                        id.parse::<usize>()
                            .ok()
                            .and_then(|n| all.get(n).cloned())
                            .unwrap_or_default()
                    })
                    .collect(),
            )
        });
        self.regions = Some((key, regions.clone()));
        regions
    }

    /// The training set's mean model input, when samples have one shape (images, tables).
    fn mean_input(&self, like: &BatchInput) -> Option<Vec<f32>> {
        let session = self.session.as_ref()?;
        let train = &session.dataset().train;
        if !matches!(train.shape().kind(), DataKind::Image | DataKind::Table) {
            return None;
        }
        let count = train.len().min(256);
        let indices: Vec<usize> = (0..count).collect();
        let batch = session.model_batch(train, &indices).input;
        let values = crate::ml::explain::points::input_values(&batch);
        let width = crate::ml::explain::points::input_values(like).len();
        let mut mean = vec![0.0f32; width];
        for row in values.chunks(width) {
            mean.iter_mut()
                .zip(row)
                .for_each(|(m, v)| *m += v / count as f32);
        }
        Some(mean)
    }

    /// Works on the explain job for one time slice.
    pub(super) async fn explain_slice(&mut self) {
        let start = self.platform.now_ms();
        let Activity::Explaining(job) = &mut self.activity else {
            return;
        };
        let mut finished: Option<FromWorker> = None;
        let mut progress: Option<(String, usize, usize)> = None;
        match job.as_mut() {
            ExplainJob::Attribution(run) => loop {
                match run.job.advance(&run.attributor).await {
                    Ok(Some(attribution)) => {
                        run.view.edges =
                            edges_as_drawn(run.job.input(), &attribution.edges, &run.view.view);
                        run.view.points = attribution.points;
                        run.view.milliseconds = self.platform.now_ms() - run.started_ms;
                        finished = Some(FromWorker::Attribution(Box::new(run.view.clone())));
                        break;
                    }
                    Ok(None) => {
                        let (done, total) = run.job.progress();
                        progress = Some((run.view.method.title().into(), done, total));
                        if self.platform.now_ms() - start >= SLICE_MS {
                            break;
                        }
                    }
                    Err(message) => {
                        finished = Some(FromWorker::Error(message));
                        break;
                    }
                }
            },
            ExplainJob::Tsne(run) => {
                while !run.tsne.finished() && self.platform.now_ms() - start < SLICE_MS {
                    run.tsne.run(2);
                }
                let (done, total) = run.tsne.progress();
                let now = self.platform.now_ms();
                if run.tsne.finished() || now - run.last_snapshot_ms >= SNAPSHOT_MS {
                    run.last_snapshot_ms = now;
                    run.view.xy = run.tsne.points().into_iter().flatten().collect();
                    let message = FromWorker::Projection {
                        view: Box::new(run.view.clone()),
                        finished: run.tsne.finished(),
                    };
                    if run.tsne.finished() {
                        finished = Some(message);
                    } else {
                        self.platform.post(message);
                    }
                }
                progress = Some(("t-SNE".into(), done, total));
            }
            ExplainJob::Check(run) => {
                while run.next < run.total() && self.platform.now_ms() - start < SLICE_MS {
                    if let Err(message) = check_unit(run).await {
                        finished = Some(FromWorker::Error(message));
                        break;
                    }
                    run.next += 1;
                }
                let now = self.platform.now_ms();
                let done = run.next >= run.total();
                if finished.is_none() && (done || now - run.last_post_ms >= PROGRESS_MS * 5.0) {
                    run.last_post_ms = now;
                    run.publish();
                    let message = FromWorker::Check {
                        check: Box::new(run.check.clone()),
                        finished: done,
                    };
                    if done {
                        finished = Some(message);
                    } else {
                        self.platform.post(message);
                    }
                }
                progress = Some(("Checking attributions".into(), run.next, run.total()));
            }
        }
        if let Some(message) = finished {
            self.activity = Activity::Idle;
            if let Some((what, _, total)) = progress {
                self.platform.post(FromWorker::Progress {
                    what,
                    done: total,
                    total,
                });
            }
            self.platform.post(message);
        } else if let Some((what, done, total)) = progress {
            self.platform
                .post(FromWorker::Progress { what, done, total });
        }
    }
}

/// The samples projected, in [`Part::ALL`] order, with where each one's label came from: the
/// validation set, or every sample. At most [`PROJECTED`]: each label source gets an equal
/// share of the room (a small one, such as the person's own labels, is kept whole; what it
/// leaves goes to the others), and a source larger than its share is evenly thinned.
fn projected_samples(dataset: &Dataset, every_sample: bool) -> Vec<(SampleRef, LabelOrigin)> {
    let at = |part, index| SampleRef { part, index };
    let mut all: Vec<(SampleRef, LabelOrigin)> = Vec::new();
    if every_sample {
        all.extend((0..dataset.train.len()).map(|i| {
            let origin = match dataset.train_source(i) {
                None => LabelOrigin::Data,
                Some(LabelSource::Human) => LabelOrigin::Human,
                Some(LabelSource::Pseudo) => LabelOrigin::Pseudo,
            };
            (at(Part::Train, i), origin)
        }));
    }
    all.extend((0..dataset.valid.len()).map(|i| (SampleRef::valid(i), LabelOrigin::Data)));
    if every_sample {
        all.extend((0..dataset.test.len()).map(|i| (at(Part::Test, i), LabelOrigin::Data)));
        all.extend(
            dataset
                .unlabeled
                .iter()
                .map(|&i| (at(Part::Pool, i), LabelOrigin::Unlabeled)),
        );
    }
    let mut groups: Vec<Vec<(SampleRef, LabelOrigin)>> = LabelOrigin::ALL
        .iter()
        .map(|&origin| all.iter().filter(|(_, o)| *o == origin).copied().collect())
        .filter(|group: &Vec<_>| !group.is_empty())
        .collect();
    groups.sort_by_key(Vec::len);
    let mut room = PROJECTED;
    let mut chosen = Vec::new();
    let count = groups.len();
    for (k, group) in groups.into_iter().enumerate() {
        let share = room / (count - k);
        let n = group.len();
        let taken = n.min(share);
        chosen.extend((0..taken).map(|j| group[j * n / taken]));
        room -= taken;
    }
    let order = |part| Part::ALL.iter().position(|&p| p == part);
    chosen.sort_by_key(|(s, _)| (order(s.part), s.index));
    chosen
}

/// Each layer's outputs (flattened per sample) of `model` on `input`, in inference mode.
async fn representations(
    model: &Model,
    input: &BatchInput,
    device: &burn::prelude::Device,
) -> Result<Vec<(String, Representation)>, String> {
    let model = model.valid();
    let device = device.clone().without_autodiff();
    let mut out = Vec::new();
    for output in model.layer_outputs(&ModelInput::from_batch(input, &device), false) {
        let [_, width] = output.values.dims();
        let values = read_floats(output.values, "activations").await?;
        out.push((output.name, Representation::new(values, width)));
    }
    Ok(out)
}

/// One unit of the sanity checks: one map on the trained model (scored against its region),
/// or one map on the model re-initialised down to a step (compared with the trained map).
async fn check_unit(run: &mut CheckRun) -> Result<(), String> {
    let first = run.first_phase();
    if run.next < first {
        let per = run.phase_one_samples();
        let (m, s) = (run.next / per, run.next % per);
        let sample = &run.samples[s];
        let map = sample.explain(&run.trained, &run.methods[m]).await?;
        if run.with_truth {
            match region_score(&map.points, &sample.region) {
                Some(score) => run.scores[m].push(score),
                None => run.unscored[m] += 1,
            }
        }
        if s < RANDOMISED_SAMPLES {
            run.trained_maps[m].push(map.values);
        }
        return Ok(());
    }
    let unit = run.next - first;
    let per_step = run.methods.len() * run.randomised_samples();
    let (step, rest) = (unit / per_step, unit % per_step);
    let (m, s) = (
        rest / run.randomised_samples(),
        rest % run.randomised_samples(),
    );
    if run.randomised.as_ref().is_none_or(|(at, _)| *at != step) {
        let depth = run.steps[step].0;
        let model = reinitialise_from(run.model.clone(), depth, run.seed);
        let device = run.trained.device().clone();
        run.randomised = Some((step, Attributor::new(&model, &device)));
    }
    let (_, attributor) = run.randomised.as_ref().expect("made above");
    let map = run.samples[s].explain(attributor, &run.methods[m]).await?;
    // Signed, per input value: magnitudes alone keep much of the input's structure whatever
    // the weights (Adebayo et al. show both).
    let trained = &run.trained_maps[m][s];
    run.correlations[m][step].push(rank_correlation(trained, &map.values));
    Ok(())
}
