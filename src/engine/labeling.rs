//! The engine's side of labeling: applying a person's labels, scoring the unlabeled pool in
//! slices, the queue and the pseudo-label proposals, the test set, and exports.

use super::views::sample_view;
use super::{Activity, Engine, PROGRESS_MS, Platform, SLICE_MS};
use crate::ml::data::{Dataset, NO_LABEL, Samples};
use crate::ml::label::csv::{
    MeasuredRow, PredictionRow, labels_to_csv, measured_predictions_csv, parse_labels,
    predictions_csv,
};
use crate::ml::label::pseudo::propose;
use crate::ml::label::query::{Candidates, MAX_CENTRES, rank};
use crate::ml::label::{AssignedLabel, Collection, LabelSource, LabelingConfig, Part};
use crate::ml::metrics::argmax_rows;
use crate::ml::session::read_floats;
use crate::protocol::{
    Estimate, FromWorker, Guesses, LabelQueue, Proposals, ProposedLabel, QueueItem, SampleView,
};
use std::collections::HashSet;
use std::sync::Arc;

/// Samples sent in the labeling queue.
const QUEUE_LENGTH: usize = 12;
/// Samples predicted per inference call.
const CHUNK: usize = 256;
/// Proposals drawn per class (the others are listed without a drawing).
const PROPOSAL_VIEWS: usize = 6;
/// Guesses shown per sample.
const GUESSES: usize = 3;

/// The labels a person gave (as last sent) and what the last scoring of the pool found.
#[derive(Default)]
pub(in crate::engine) struct Labeling {
    /// The book the labels belong to ([`crate::ml::experiment::Experiment::labels_key`]).
    key: String,
    labels: Vec<AssignedLabel>,
    /// Ids whose pseudo-label proposal the person rejected.
    rejected: HashSet<String>,
    /// Human labels given since the pool was last scored.
    new_labels: usize,
    /// While training runs: the step at which the pool is scored again.
    rescore_at: Option<u64>,
    /// Stored labels that name no pool sample of the current data.
    unknown: usize,
    scores: Option<PoolScores>,
}

/// The model's predictions on the unlabeled pool at one step.
struct PoolScores {
    /// The pool indices scored.
    pool: Vec<usize>,
    /// `[pool.len(), classes]`.
    probabilities: Vec<f32>,
}

impl Labeling {
    /// `collection` with the labels of book `key` (none if the engine holds another book).
    pub(super) fn dataset(&mut self, collection: &Collection, key: &str) -> Dataset {
        let labels: &[AssignedLabel] = if self.key == key { &self.labels } else { &[] };
        let (assigned, unknown) = collection.assign(labels);
        self.unknown = unknown.len();
        collection.dataset(&assigned)
    }

    /// The book the labels belong to.
    pub(super) fn key(&self) -> &str {
        &self.key
    }

    /// The labels held (a person's and accepted proposals).
    pub(super) fn labels(&self) -> &[AssignedLabel] {
        &self.labels
    }

    /// Ids whose proposal the person rejected.
    pub(super) fn rejected_ids(&self) -> Vec<String> {
        self.rejected.iter().cloned().collect()
    }

    /// Holds `book` instead of the labels held.
    pub(super) fn set_book(&mut self, book: crate::ml::export::LabelBook) {
        self.key = book.key;
        self.labels = book.labels;
        self.rejected = book.rejected.into_iter().collect();
        self.new_labels = 0;
        self.scores = None;
    }

    /// A new run: earlier scores belong to another model.
    pub(super) fn run_started(&mut self) {
        self.scores = None;
        self.rescore_at = None;
        self.new_labels = 0;
    }

    fn human_ids(&self) -> HashSet<&str> {
        self.labels
            .iter()
            .filter(|l| l.source == LabelSource::Human)
            .map(|l| l.id.as_str())
            .collect()
    }
}

/// What a prediction job is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// Scoring the unlabeled pool for the queue and the proposals.
    Queue,
    /// Every sample's prediction, for a CSV file.
    Export,
}

/// Predictions of many samples, made a chunk at a time.
pub(super) struct PredictJob {
    purpose: Purpose,
    /// The samples, by part of the collection, in order.
    items: Vec<(Part, usize)>,
    done: usize,
    probabilities: Vec<f32>,
    embeddings: Vec<f32>,
    width: usize,
    /// Measured targets: each prediction's spread under MC dropout (empty without dropout).
    spread: Vec<f32>,
    /// Whether training goes on once the job ends.
    pub resume_training: bool,
    last_progress_ms: f64,
}

impl PredictJob {
    fn new(purpose: Purpose, items: Vec<(Part, usize)>, resume_training: bool) -> Self {
        Self {
            purpose,
            items,
            done: 0,
            probabilities: Vec::new(),
            embeddings: Vec::new(),
            width: 0,
            spread: Vec::new(),
            resume_training,
            last_progress_ms: f64::NEG_INFINITY,
        }
    }

    /// Whether this job's answer also answers `request` (a second Score while the pool is
    /// scored, a second export while every sample is predicted).
    pub(super) fn answers(&self, request: &crate::protocol::ToWorker) -> bool {
        use crate::protocol::ToWorker;
        matches!(
            (self.purpose, request),
            (Purpose::Queue, ToWorker::Score) | (Purpose::Export, ToWorker::ExportPredictions)
        )
    }

    /// The job as said to a person.
    pub(super) fn describe(&self) -> &'static str {
        match self.purpose {
            Purpose::Queue => "scoring the unlabeled pool",
            Purpose::Export => "predicting every sample",
        }
    }

    fn title(&self) -> &'static str {
        match self.purpose {
            Purpose::Queue => SCORING,
            Purpose::Export => "Predicting every sample",
        }
    }

    fn progress(&self) -> FromWorker {
        FromWorker::Progress {
            what: self.title().into(),
            done: self.done,
            total: self.items.len(),
        }
    }

    /// The report that ends the job's progress early.
    pub(super) fn cancelled(&self) -> FromWorker {
        FromWorker::Progress {
            what: self.title().into(),
            done: self.items.len(),
            total: self.items.len(),
        }
    }

    /// The next run of items of one part, at most [`CHUNK`] (a node part whole: each pass
    /// runs the whole graph anyway).
    fn next_chunk(&self, nodes: bool) -> (Part, Vec<usize>) {
        let part = self.items[self.done].0;
        let limit = if nodes { usize::MAX } else { CHUNK };
        let indices = self.items[self.done..]
            .iter()
            .take_while(|(p, _)| *p == part)
            .take(limit)
            .map(|&(_, i)| i)
            .collect();
        (part, indices)
    }
}

/// What the progress of scoring says.
const SCORING: &str = "Scoring the unlabeled pool";
/// What the progress of training on new labels says.
const REFINING: &str = "Training on the new labels";

/// The report that ends "training on the new labels" early.
pub(super) fn refined() -> FromWorker {
    FromWorker::Progress {
        what: REFINING.into(),
        done: 1,
        total: 1,
    }
}

/// The top guesses of a probability row.
fn guesses(row: &[f32]) -> Guesses {
    let mut ranked: Vec<(u32, f32)> = row
        .iter()
        .enumerate()
        .map(|(c, &p)| (c as u32, p))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked.truncate(GUESSES);
    ranked
}

impl<P: Platform> Engine<P> {
    /// Takes the person's labels: the run's training set follows at once; after
    /// `retrain_every` new ones the model trains on them and the pool is scored again.
    pub(super) fn set_labels(
        &mut self,
        key: String,
        labels: Vec<AssignedLabel>,
        rejected: Vec<String>,
    ) {
        let before: HashSet<String> = if self.labeling.key == key {
            self.labeling
                .human_ids()
                .into_iter()
                .map(str::to_string)
                .collect()
        } else {
            HashSet::new()
        };
        let fresh = labels
            .iter()
            .filter(|l| l.source == LabelSource::Human && !before.contains(&l.id))
            .count();
        self.labeling.key = key;
        self.labeling.labels = labels;
        self.labeling.rejected = rejected.into_iter().collect();
        if self.labeling.key != self.experiment.labels_key() || self.collection.is_none() {
            return;
        }
        self.dataset = None;
        let dataset = match self.dataset_for(&self.experiment.clone()) {
            Ok(dataset) => dataset,
            Err(message) => return self.platform.post(FromWorker::Error(message)),
        };
        let Some(session) = &mut self.session else {
            return;
        };
        session.set_dataset(dataset);
        self.labeling.new_labels += fresh;
        if self.labeling.new_labels >= self.experiment.labeling.retrain_every {
            self.labeling.new_labels = 0;
            let session = self.session.as_ref().expect("checked");
            let steps = (2 * session.steps_per_epoch()).clamp(30, 300) as u64;
            let until = session.step() + steps;
            match self.activity {
                Activity::Idle => {
                    self.platform.post(FromWorker::Progress {
                        what: REFINING.into(),
                        done: 0,
                        total: steps as usize,
                    });
                    self.activity = Activity::Refining { until };
                }
                Activity::Training => self.labeling.rescore_at = Some(until),
                _ => {}
            }
        }
        self.post_proposals();
    }

    /// Called after each training step: starts scoring the pool when it is due, and then
    /// returns `true` (the slice ends).
    pub(super) fn labeling_due(&mut self, step: u64) -> bool {
        match self.activity {
            Activity::Refining { until } if step >= until => {
                self.platform.post(refined());
                self.start_scoring(false);
                true
            }
            Activity::Training if self.labeling.rescore_at.is_some_and(|at| step >= at) => {
                self.labeling.rescore_at = None;
                self.start_scoring(true);
                true
            }
            _ => false,
        }
    }

    /// Scores the pool now (the UI asks when the Labeling tab opens).
    pub(super) async fn score(&mut self) {
        if !self.ensure_session().await {
            return;
        }
        let running = self.activity.runs();
        if matches!(self.activity, Activity::Refining { .. }) {
            self.platform.post(refined());
        }
        self.start_scoring(running);
    }

    /// Starts scoring the unlabeled pool (and, for the diversity strategies, some labeled
    /// samples whose embeddings are the starting centres).
    fn start_scoring(&mut self, resume_training: bool) {
        let Some(dataset) = self.dataset.clone() else {
            return;
        };
        self.labeling.new_labels = 0;
        let mut items: Vec<(Part, usize)> =
            dataset.unlabeled.iter().map(|&i| (Part::Pool, i)).collect();
        if items.is_empty() {
            self.labeling.scores = None;
            self.post_queue(&dataset, &[], &[], &[], &[], 0);
            self.post_proposals();
            if !resume_training {
                self.set_activity(Activity::Idle);
            }
            return;
        }
        let strategy = (self.experiment.labeling.strategy).for_target(dataset.is_regression());
        if strategy.needs_embeddings() {
            items.extend((0..dataset.train.len().min(MAX_CENTRES)).map(|i| (Part::Train, i)));
        }
        let job = PredictJob::new(Purpose::Queue, items, resume_training);
        self.platform.post(job.progress());
        self.set_activity(Activity::Predicting(Box::new(job)));
    }

    /// Predicts the next chunks of the current job for one time slice; finishes it when done.
    pub(super) async fn predict_slice(&mut self) {
        let start = self.platform.now_ms();
        loop {
            let (Activity::Predicting(job), Some(session), Some(dataset)) =
                (&mut self.activity, &self.session, &self.dataset)
            else {
                return;
            };
            if job.done < job.items.len() {
                let nodes = matches!(dataset.train, Samples::Nodes(_));
                let (part, indices) = job.next_chunk(nodes);
                // The pool and the run's training part (for the queue's centres); the
                // collection's parts for exports.
                let collection = &self.collection.as_ref().expect("a run has data").1;
                let samples: &Samples = match (job.purpose, part) {
                    (_, Part::Pool) => &dataset.pool,
                    (Purpose::Queue, _) => &dataset.train,
                    (Purpose::Export, part) => collection.part(part),
                };
                // A measured target's queue asks about the widest spread.
                let prediction = if job.purpose == Purpose::Queue && dataset.is_regression() {
                    let seed = self.experiment.seed ^ session.step() ^ job.done as u64;
                    session.predict_with_spread(samples, &indices, seed)
                } else {
                    session.predict(samples, &indices)
                };
                let read = async {
                    let probabilities =
                        read_floats(prediction.probabilities, "predictions").await?;
                    let [_, width] = prediction.embeddings.dims();
                    let embeddings = read_floats(prediction.embeddings, "embeddings").await?;
                    let spread = match prediction.spread {
                        Some(spread) => read_floats(spread, "spread").await?,
                        None => Vec::new(),
                    };
                    Ok::<_, String>((probabilities, embeddings, width, spread))
                };
                match read.await {
                    Ok((probabilities, embeddings, width, spread)) => {
                        job.probabilities.extend(probabilities);
                        if job.purpose == Purpose::Queue {
                            job.embeddings.extend(embeddings);
                            job.width = width;
                            job.spread.extend(spread);
                        }
                        job.done += indices.len();
                    }
                    Err(message) => {
                        self.platform.post(FromWorker::Error(message));
                        self.stop_activity();
                        self.report_state();
                        return;
                    }
                }
                let now = self.platform.now_ms();
                if now - job.last_progress_ms >= PROGRESS_MS && job.done < job.items.len() {
                    job.last_progress_ms = now;
                    self.platform.post(job.progress());
                }
            }
            if job.done >= job.items.len() {
                let Activity::Predicting(job) =
                    std::mem::replace(&mut self.activity, Activity::Idle)
                else {
                    unreachable!("matched above");
                };
                self.platform.post(job.progress());
                if job.resume_training {
                    self.activity = Activity::Training;
                }
                self.report_state();
                match job.purpose {
                    Purpose::Queue => self.finish_scoring(*job),
                    Purpose::Export => self.finish_export(*job),
                }
                return;
            }
            if self.platform.now_ms() - start >= SLICE_MS {
                return;
            }
        }
    }

    fn finish_scoring(&mut self, job: PredictJob) {
        let Some(dataset) = self.dataset.clone() else {
            return;
        };
        let classes = dataset.num_classes();
        let pool: Vec<usize> = job
            .items
            .iter()
            .filter(|(p, _)| *p == Part::Pool)
            .map(|&(_, i)| i)
            .collect();
        let split = pool.len();
        let (probabilities, width) = (&job.probabilities[..split * classes], job.width);
        let embeddings = job.embeddings.get(..split * width).unwrap_or(&[]);
        let labeled = job.embeddings.get(split * width..).unwrap_or(&[]);
        let spread = job.spread.get(..split).unwrap_or(&[]);
        let step = self.session.as_ref().map_or(0, |s| s.step());
        let measured = dataset.is_regression();
        let order = rank(
            self.experiment.labeling.strategy.for_target(measured),
            &Candidates {
                probabilities,
                classes,
                embeddings,
                labeled,
                width,
                spread,
            },
            QUEUE_LENGTH,
            self.experiment.seed ^ step,
        );
        self.post_queue(&dataset, &pool, probabilities, spread, &order, step);
        self.labeling.scores = Some(PoolScores {
            pool,
            probabilities: probabilities.to_vec(),
        });
        self.post_proposals();
    }

    /// Sends the queue: the samples at `order` (positions in `pool`) first.
    fn post_queue(
        &self,
        dataset: &Dataset,
        pool: &[usize],
        probabilities: &[f32],
        spread: &[f32],
        order: &[usize],
        step: u64,
    ) {
        let classes = dataset.num_classes();
        let ids = self
            .collection
            .as_ref()
            .map(|(_, c)| c.ids(Part::Pool))
            .unwrap_or(&[]);
        let row = |k: usize| &probabilities[k * classes..(k + 1) * classes];
        let truth = self
            .collection
            .as_ref()
            .and_then(|(_, c)| c.pool_truth.as_ref());
        let pool_accuracy = truth.filter(|_| !pool.is_empty()).map(|truth| {
            let predicted = argmax_rows(probabilities, classes);
            let right = pool
                .iter()
                .zip(&predicted)
                .filter(|(i, p)| truth[**i] == p.0)
                .count();
            right as f64 / pool.len() as f64
        });
        let node_of = |i: usize| match &*dataset.pool {
            Samples::Nodes(nodes) => Some(nodes.nodes[i] as u32),
            _ => None,
        };
        let measured = dataset.is_regression();
        let items = order
            .iter()
            .map(|&k| {
                let i = pool[k];
                QueueItem {
                    id: ids[i].clone(),
                    pool_index: i,
                    view: self.labeling_view(dataset, i),
                    guesses: if measured {
                        Vec::new()
                    } else {
                        guesses(row(k))
                    },
                    estimate: measured.then(|| Estimate {
                        value: probabilities[k],
                        spread: spread.get(k).copied(),
                    }),
                    node: node_of(i),
                }
            })
            .collect();
        let nodes = match &*dataset.pool {
            Samples::Nodes(_) => {
                let scored: std::collections::HashMap<usize, usize> =
                    pool.iter().enumerate().map(|(k, &i)| (i, k)).collect();
                (0..dataset.pool.len())
                    .map(|i| {
                        let guessed = scored.get(&i).map(|&k| guesses(row(k)));
                        (
                            node_of(i).expect("nodes"),
                            ids[i].clone(),
                            guessed.unwrap_or_default(),
                        )
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        let count = |source: LabelSource| {
            self.labeling
                .labels
                .iter()
                .filter(|l| l.source == source)
                .count()
                .saturating_sub(if source == LabelSource::Human {
                    self.labeling.unknown
                } else {
                    0
                })
        };
        self.platform.post(FromWorker::Queue(LabelQueue {
            step,
            items,
            unlabeled: dataset.unlabeled.len(),
            human: count(LabelSource::Human),
            pseudo: count(LabelSource::Pseudo),
            pool_accuracy,
            nodes,
            unknown_labels: self.labeling.unknown,
        }));
    }

    /// Pool sample `i` drawn for labeling: as itself, or for a node its graph with the node
    /// emphasised.
    fn labeling_view(&self, dataset: &Dataset, i: usize) -> SampleView {
        match (&*dataset.pool, &dataset.train, self.layout.as_deref()) {
            (Samples::Nodes(pool), Samples::Nodes(known), Some(layout)) => {
                let mut highlight = vec![false; known.all_labels.len()];
                highlight[pool.nodes[i]] = true;
                SampleView::Network {
                    positions: layout.to_vec(),
                    edges: known.graph.edges.clone(),
                    truth: known.all_labels.to_vec(),
                    predicted: None,
                    highlight,
                }
            }
            (pool, _, _) => sample_view(pool, i),
        }
    }

    /// Sends the pseudo-labels proposed at the current threshold: unlabeled, not rejected.
    pub(super) fn post_proposals(&self) {
        let (Some(scores), Some(dataset), Some((_, collection))) =
            (&self.labeling.scores, &self.dataset, &self.collection)
        else {
            return;
        };
        if dataset.is_regression() {
            // Pseudo-labels are classes.
            return;
        }
        let config = &self.experiment.labeling;
        let classes = dataset.num_classes();
        let unlabeled: HashSet<usize> = dataset.unlabeled.iter().copied().collect();
        let ids = collection.ids(Part::Pool);
        let open: Vec<usize> = (0..scores.pool.len())
            .filter(|&k| {
                let i = scores.pool[k];
                unlabeled.contains(&i) && !self.labeling.rejected.contains(&ids[i])
            })
            .collect();
        let probabilities: Vec<f32> = open
            .iter()
            .flat_map(|&k| {
                scores.probabilities[k * classes..(k + 1) * classes]
                    .iter()
                    .copied()
            })
            .collect();
        let proposals = propose(
            &probabilities,
            classes,
            config.threshold,
            config.class_balanced,
        );
        let mut drawn = vec![0usize; classes];
        let items: Vec<ProposedLabel> = proposals
            .iter()
            .map(|p| {
                let i = scores.pool[open[p.index]];
                let draw = drawn[p.class as usize] < PROPOSAL_VIEWS;
                drawn[p.class as usize] += 1;
                ProposedLabel {
                    id: ids[i].clone(),
                    class: p.class,
                    confidence: p.confidence,
                    view: draw.then(|| self.labeling_view(dataset, i)),
                }
            })
            .collect();
        let correct = collection.pool_truth.as_ref().map(|truth| {
            proposals
                .iter()
                .filter(|p| truth[scores.pool[open[p.index]]] == p.class)
                .count()
        });
        self.platform.post(FromWorker::Proposals(Proposals {
            threshold: config.threshold,
            items,
            correct,
        }));
    }

    /// After a live change of the labeling settings: a new strategy re-scores the pool, a new
    /// threshold or balance proposes again.
    pub(super) async fn labeling_changed(&mut self, before: &LabelingConfig) {
        let now = &self.experiment.labeling;
        if now.strategy != before.strategy && self.labeling.scores.is_some() {
            self.score().await;
        } else if now.threshold != before.threshold || now.class_balanced != before.class_balanced {
            self.post_proposals();
        }
    }

    /// Starts predicting every sample for the predictions file (the engine runs it once no
    /// other job holds the model: see [`Engine::handle`]).
    pub(super) async fn export_predictions(&mut self) {
        if !self.ensure_session().await {
            return;
        }
        let Some((_, collection)) = &self.collection else {
            return;
        };
        let items = Part::ALL
            .iter()
            .flat_map(|&part| (0..collection.part(part).len()).map(move |i| (part, i)))
            .collect();
        let running = self.activity.runs();
        let job = PredictJob::new(Purpose::Export, items, running);
        self.platform.post(job.progress());
        self.set_activity(Activity::Predicting(Box::new(job)));
    }

    fn finish_export(&mut self, job: PredictJob) {
        let Some((_, collection)) = &self.collection else {
            return;
        };
        let classes = collection.class_names.len();
        let name = format!("{}-predictions.csv", file_stem(&collection.name));
        let labels: &[AssignedLabel] = if self.labeling.key == self.experiment.labels_key() {
            &self.labeling.labels
        } else {
            &[]
        };
        let (assigned, _) = collection.assign(labels);
        // A pool sample a person labeled is trained on.
        let given = |part: Part, i: usize| match part {
            Part::Pool => assigned.get(i).copied().flatten(),
            _ => None,
        };
        if collection.is_measured() {
            let rows = job
                .items
                .iter()
                .enumerate()
                .map(|(k, &(part, i))| MeasuredRow {
                    id: &collection.ids(part)[i],
                    split: if given(part, i).is_some() {
                        "train"
                    } else {
                        part.id()
                    },
                    smiles: collection.smiles(part).map(|s| s[i].as_str()),
                    measured: given(part, i).and_then(|g| g.value).unwrap_or_else(|| {
                        collection
                            .part(part)
                            .measured()
                            .get(i)
                            .copied()
                            .unwrap_or(f32::NAN)
                    }),
                    predicted: job.probabilities[k],
                });
            let text = measured_predictions_csv(collection.smiles.is_some(), rows);
            return self.platform.post(FromWorker::Download { name, text });
        }
        let rows = job.items.iter().enumerate().map(|(k, &(part, i))| {
            let known = collection.part(part).labels()[i];
            let (split, label, source) = match (part, given(part, i)) {
                (_, Some(label)) => ("train", Some(label.class), Some(label.source)),
                (Part::Pool, None) => (part.id(), None, None),
                _ => (part.id(), (known != NO_LABEL).then_some(known), None),
            };
            PredictionRow {
                id: &collection.ids(part)[i],
                smiles: collection.smiles(part).map(|s| s[i].as_str()),
                split,
                label,
                source,
                probabilities: &job.probabilities[k * classes..(k + 1) * classes],
            }
        });
        let text = predictions_csv(&collection.class_names, collection.smiles.is_some(), rows);
        self.platform.post(FromWorker::Download { name, text });
    }

    /// Sends the assigned labels as a CSV file.
    pub(super) fn export_labels(&mut self) {
        let collection = match self.collection_for(&self.experiment.clone()) {
            Ok(collection) => collection,
            Err(message) => return self.platform.post(FromWorker::Error(message)),
        };
        let labels: &[AssignedLabel] = if self.labeling.key == self.experiment.labels_key() {
            &self.labeling.labels
        } else {
            &[]
        };
        self.platform.post(FromWorker::Download {
            name: format!("{}-labels.csv", file_stem(&collection.name)),
            text: labels_to_csv(labels, &collection.class_names, collection.is_measured()),
        });
    }

    /// Reads a labels file against the current data's pool.
    pub(super) fn import_labels(&mut self, file: &str, text: &str) {
        let collection: Arc<Collection> = match self.collection_for(&self.experiment.clone()) {
            Ok(collection) => collection,
            Err(message) => return self.platform.post(FromWorker::Error(message)),
        };
        match parse_labels(
            file,
            text,
            &collection.pool_index(),
            &collection.class_names,
            collection.is_measured(),
        ) {
            Ok(labels) => self.platform.post(FromWorker::LabelsRead(labels)),
            Err(problems) => {
                let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
                self.platform.post(FromWorker::Error(format!(
                    "Labels not imported: {}. Your labels are unchanged.",
                    listed.join("; ")
                )));
            }
        }
    }
}

/// A file-name-safe version of a dataset's name.
fn file_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let stem = stem
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if stem.is_empty() {
        "petri".into()
    } else {
        stem
    }
}
