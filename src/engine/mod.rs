//! The training engine: turns [`ToWorker`] requests into training steps and reports
//! ([`FromWorker`]). It owns the device, the dataset and the run.
//!
//! Platform-independent: the browser worker drives it with a [`Platform`] built on
//! `postMessage` and WebGPU, the native tests with a plain one. The caller's loop is:
//! hand every waiting message to [`Engine::handle`]; while [`Engine::is_busy`], call
//! [`Engine::run_slice`] and let the event loop breathe between slices.
//!
//! What the engine is doing is one [`Activity`]; every long job (training, a re-scoring of
//! the pool, an export, a comparison, the label-budget experiment) is one of its variants,
//! run in slices with progress, and Pause cancels it.

mod backend;
mod budget;
mod compare;
mod explain;
mod files;
mod labeling;
#[cfg(not(target_arch = "wasm32"))]
mod learner;
mod pretrain;
mod reading;
mod upload;
mod views;

use crate::ml::augment::{self, AugmentConfig, AugmentContext};
use crate::ml::data::{Batch, DataShape, Dataset, Samples};
use crate::ml::experiment::{Compute, DatasetId, Experiment};
use crate::ml::export::{History, MetricPoint};
use crate::ml::label::Collection;
use crate::ml::layout::stress_layout;
use crate::ml::metrics::ConfusionMatrix;
use crate::ml::session::Session;
use crate::protocol::{
    AdapterInfo, AugmentPreview, Backend, EvalReport, FromWorker, RegressionView, RunInfo,
    RunState, TestReport, ToWorker, TrainReport,
};
use crate::reader::{ReadAnswer, ReadRequest};
use budget::BudgetRun;
use burn::prelude::*;
use compare::Comparison;
use labeling::{Labeling, PredictJob};
use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use upload::{NO_UPLOAD, Upload};
pub use views::sample_view;
use views::{batch_view, gallery_item, network_item, network_of};

/// How long one slice of work may run before the caller's event loop gets a turn (ms).
const SLICE_MS: f64 = 40.0;
/// Longest time between training reports (ms).
const REPORT_MS: f64 = 250.0;
/// Most queued steps before a read-back on a GPU (bounds Pause latency and queue length).
const GPU_MAX_UNREAD: u64 = 4;
/// Most steps between read-backs on the CPU.
const CPU_MAX_UNREAD: u64 = 64;
/// Shortest time between evaluations at epoch ends (ms): fast epochs are not all evaluated.
const EVAL_MS: f64 = 1000.0;
/// Validation samples always shown in the gallery.
const GALLERY_FIXED: usize = 12;
/// Extra misclassified validation samples shown in the gallery.
const GALLERY_MISTAKES: usize = 6;
/// Training samples shown in the data panel.
const PREVIEW: usize = 12;
/// Samples sent for a confusion-matrix cell.
const CELL_SAMPLES: usize = 12;
/// Largest graph drawn as a whole network (the layout grows with the square of the nodes).
const MAX_DRAWN_NODES: usize = 1000;
/// Shortest time between progress reports (ms).
const PROGRESS_MS: f64 = 100.0;

/// Training samples in the augmentation preview, and augmented versions of each.
const PREVIEW_SAMPLES: usize = 4;
const PREVIEW_VERSIONS: usize = 5;

/// One flag per point of each validation sample: where the signal truly is.
type Regions = Arc<Vec<Vec<bool>>>;

/// What the engine is doing between messages.
enum Activity {
    /// Waiting for a request.
    Idle,
    /// Training until paused.
    Training,
    /// Training this many more single steps, each evaluated.
    Stepping(u32),
    /// Training on new labels until step `until`, then re-scoring the pool.
    Refining { until: u64 },
    /// Predicting many samples in chunks (scoring the pool, exporting predictions).
    Predicting(Box<PredictJob>),
    /// Two runs side by side, with and without augmentation.
    Comparing(Box<Comparison>),
    /// The label-budget experiment.
    Budget(Box<BudgetRun>),
    /// An attribution, a t-SNE projection or the attribution checks.
    Explaining(Box<explain::ExplainJob>),
    /// Self-supervised pretraining of the encoder.
    Pretraining(Box<pretrain::PretrainJob>),
}

impl Activity {
    /// Whether this is a job that other jobs wait behind: it holds the model or runs its own
    /// sessions until it ends or Pause stops it.
    fn is_job(&self) -> bool {
        matches!(
            self,
            Activity::Refining { .. }
                | Activity::Predicting(_)
                | Activity::Comparing(_)
                | Activity::Budget(_)
                | Activity::Explaining(_)
                | Activity::Pretraining(_)
        )
    }

    /// What the job is doing, as said to a person ("scoring the unlabeled pool").
    fn describe(&self) -> &'static str {
        match self {
            Activity::Predicting(job) => job.describe(),
            Activity::Comparing(_) => "the augmentation comparison",
            Activity::Budget(_) => "the label-budget experiment",
            Activity::Explaining(_) => "the explanation in progress",
            Activity::Pretraining(_) => "pretraining",
            Activity::Refining { .. } => "training on the new labels",
            Activity::Idle | Activity::Training | Activity::Stepping(_) => "training",
        }
    }

    /// Whether the main run trains on its own (what the Train/Pause button shows).
    fn runs(&self) -> bool {
        match self {
            Activity::Training => true,
            Activity::Predicting(job) => job.resume_training,
            _ => false,
        }
    }
}

/// How a request meets the engine's activity ([`Engine::admission`]).
enum Admission {
    /// Carried out now.
    Now,
    /// The job in progress answers it too.
    Merged,
    /// Carried out once the job in progress (and the requests waiting before it) end.
    Wait,
}

/// What a person asked for, for the notice that it waits (`None`: a request the page sends
/// by itself, such as a new configuration, waits without a word).
fn waits_visibly(request: &ToWorker) -> Option<&'static str> {
    Some(match request {
        ToWorker::Step => "The step",
        ToWorker::Score => "Scoring the pool",
        ToWorker::EvaluateTest => "The test-set evaluation",
        ToWorker::ExportPredictions => "Export predictions",
        ToWorker::RunBudget(_) => "The label-budget experiment",
        ToWorker::Compare { .. } => "The comparison",
        ToWorker::Explain { .. }
        | ToWorker::Project { .. }
        | ToWorker::CheckAttributions { .. } => "The explanation",
        ToWorker::Activations { .. }
        | ToWorker::Attention { .. }
        | ToWorker::Filters
        | ToWorker::CompareLayers { .. } => "Drawing the model's inside",
        ToWorker::ExportModel | ToWorker::ExportExperiment { .. } => "The export",
        ToWorker::OpenExperiment { .. } => "Opening the experiment",
        ToWorker::Import { .. } => "Reading the upload",
        ToWorker::Pretrain(_) => "Pretraining",
        ToWorker::StartFromFile { .. } | ToWorker::StartFromScratch => "The new start",
        _ => return None,
    })
}

/// What a generated or split dataset was made from.
#[derive(Clone, PartialEq)]
struct DatasetKey {
    id: DatasetId,
    seed: u64,
    upload: Option<u64>,
    labels_per_class: Option<usize>,
}

/// A WebGPU device and its adapter.
#[derive(Clone)]
struct WebGpu {
    device: Device,
    adapter: AdapterInfo,
}

/// What the engine needs from where it runs.
pub trait Platform {
    /// A monotonic clock in milliseconds.
    fn now_ms(&self) -> f64;
    /// Sends a report to the UI.
    fn post(&self, message: FromWorker);
    /// The WebGPU adapter on offer, or why there is none.
    fn adapter(&self) -> impl Future<Output = Result<AdapterInfo, String>>;
    /// Initialises Burn's WebGPU device (called at most once; the engine keeps the result).
    fn init_webgpu(&self) -> impl Future<Output = Result<Device, String>>;
    /// Reads an upload or an experiment file. Reports of progress go to the UI as
    /// [`FromWorker::Importing`]; the result is the last answer ([`ReadAnswer::Upload`] or
    /// [`ReadAnswer::Experiment`]). Natively the files are read here, in the browser by the
    /// reader worker.
    #[cfg(feature = "files")]
    fn read(&self, request: &ReadRequest) -> impl Future<Output = ReadAnswer> {
        let mut last_progress = f64::NEG_INFINITY;
        let answer = crate::reader::read(request, &mut |progress| {
            let now = self.now_ms();
            if now - last_progress >= PROGRESS_MS {
                last_progress = now;
                self.post(FromWorker::Importing(progress));
            }
        });
        std::future::ready(answer)
    }
    #[cfg(not(feature = "files"))]
    fn read(&self, request: &ReadRequest) -> impl Future<Output = ReadAnswer>;
}

/// The engine's state between messages.
pub struct Engine<P: Platform> {
    platform: P,
    experiment: Experiment,
    compute: Compute,
    /// The most threads a CPU run learns on (0: every thread the engine has).
    cpu_threads: usize,
    backend: Option<(Backend, Device)>,
    webgpu: Option<Result<WebGpu, String>>,
    /// Every sample of the current data, with ids and parts.
    collection: Option<(DatasetKey, Arc<Collection>)>,
    /// The collection with the person's labels applied: what the run learns from.
    dataset: Option<Arc<Dataset>>,
    upload: Option<Upload>,
    /// The labels a person gave, the pool's scores and the queue.
    labeling: Labeling,
    /// Node positions for drawing the dataset's graph (node classification only).
    layout: Option<Arc<Vec<(f32, f32)>>>,
    /// The true regions of the validation samples of a built-in dataset and seed (`None`
    /// inside: the data has none).
    regions: Option<((crate::ml::data::BuiltinDataset, u64), Option<Regions>)>,
    /// Copies of the model at a few evaluated steps (doubling apart), for comparing layers.
    checkpoints: Vec<(u64, crate::ml::models::Model)>,
    /// The augmentation comparison's runs (with, without) once it has ended, for comparing
    /// their layers.
    compared_runs: Option<Box<[Session; 2]>>,
    /// The model's predictions for the validation samples at the last evaluation.
    last_predictions: Option<ValidPredictions>,
    session: Option<Session>,
    /// Weights new runs start from (a pretrained or transferred encoder); `None`: fresh.
    start: Option<pretrain::StartWeights>,
    /// The run's curves, as reported (saved in experiment files).
    history: History,
    activity: Activity,
    /// Requests that arrived during a job, in order: each runs once the jobs before it end.
    waiting: VecDeque<ToWorker>,
    /// The run state the UI was last told.
    reported: RunState,
    last_report_ms: f64,
    samples_since_report: usize,
    evaluated_at: Option<u64>,
    last_eval_ms: f64,
}

impl<P: Platform> Engine<P> {
    /// An idle engine with the default experiment; nothing is built until asked.
    pub fn new(platform: P) -> Self {
        Self {
            platform,
            experiment: Experiment::default(),
            compute: Compute::Auto,
            cpu_threads: 0,
            backend: None,
            webgpu: None,
            collection: None,
            dataset: None,
            upload: None,
            labeling: Labeling::default(),
            layout: None,
            regions: None,
            checkpoints: Vec::new(),
            compared_runs: None,
            last_predictions: None,
            session: None,
            start: None,
            history: History::default(),
            activity: Activity::Idle,
            waiting: VecDeque::new(),
            reported: RunState::Paused,
            last_report_ms: 0.0,
            samples_since_report: 0,
            evaluated_at: None,
            last_eval_ms: f64::NEG_INFINITY,
        }
    }

    /// The platform (for tests to inspect).
    pub fn platform(&self) -> &P {
        &self.platform
    }

    /// Steps the current run has taken (0 without a run).
    pub fn step(&self) -> u64 {
        self.session.as_ref().map_or(0, Session::step)
    }

    /// Whether there is work to do.
    pub fn is_busy(&self) -> bool {
        !matches!(self.activity, Activity::Idle) || !self.waiting.is_empty()
    }

    /// Takes one request from the UI: carried out now, merged into the job in progress (whose
    /// answer serves it too), or kept waiting behind that job. None is dropped.
    pub async fn handle(&mut self, message: ToWorker) {
        match self.admission(&message) {
            Admission::Now => self.carry_out(message).await,
            Admission::Merged => {}
            Admission::Wait => {
                if let Some(what) = waits_visibly(&message) {
                    self.platform.post(FromWorker::Notice(format!(
                        "{what} starts once {} ends (Pause stops it).",
                        self.activity.describe()
                    )));
                }
                self.waiting.push_back(message);
            }
        }
    }

    /// How `request` meets what the engine is doing. Requests that only read or set state
    /// (and Pause, Start, Reset, which act on the job itself) run at once; requests that start
    /// a job or change the run wait behind a job, and behind requests already waiting, so
    /// that they run in the order they came.
    fn admission(&self, request: &ToWorker) -> Admission {
        use ToWorker as T;
        let immediate = matches!(
            request,
            T::Start
                | T::Pause
                | T::Reset
                | T::Crash
                | T::SetLabels { .. }
                | T::ShowCell { .. }
                | T::ShowPoint { .. }
                | T::PreviewAugment { .. }
                | T::ExportLabels
                | T::ImportLabels { .. }
        );
        if immediate {
            return Admission::Now;
        }
        let merged = match &self.activity {
            Activity::Predicting(job) => job.answers(request),
            // Training on new labels ends by scoring the pool.
            Activity::Refining { .. } => matches!(request, T::Score),
            _ => false,
        };
        if merged {
            return Admission::Merged;
        }
        let explains = matches!(
            request,
            T::Explain { .. } | T::Project { .. } | T::CheckAttributions { .. }
        );
        if self.activity.is_job() && !(explains && matches!(self.activity, Activity::Explaining(_)))
            || !self.waiting.is_empty()
        {
            return Admission::Wait;
        }
        Admission::Now
    }

    /// Carries out one request from the UI.
    async fn carry_out(&mut self, message: ToWorker) {
        if let Some(refusal) = self.refusal_for_measured(&message) {
            return self.platform.post(FromWorker::Error(refusal));
        }
        match message {
            ToWorker::Configure(experiment) => self.configure(experiment).await,
            ToWorker::SetCompute(compute) => {
                if compute == self.compute && self.backend.is_some() {
                    return;
                }
                self.compute = compute;
                self.backend = None;
                if self.session.is_some() {
                    self.restart().await;
                } else {
                    self.ensure_backend().await;
                }
            }
            ToWorker::SetCpuThreads(threads) => {
                self.cpu_threads = threads;
                let threads = self.run_threads();
                if let Some(session) = &mut self.session {
                    session.set_threads(threads);
                }
            }
            ToWorker::Start => {
                if self.ensure_session().await {
                    self.last_report_ms = self.platform.now_ms();
                    self.samples_since_report = 0;
                    match &mut self.activity {
                        Activity::Predicting(job) => job.resume_training = true,
                        _ => {
                            self.stop_activity();
                            self.activity = Activity::Training;
                        }
                    }
                    self.report_state();
                }
            }
            ToWorker::Pause => {
                let was_running = self.activity.runs();
                match &mut self.activity {
                    // A scoring or export finishes (it is short); training stays paused.
                    Activity::Predicting(job) => job.resume_training = false,
                    _ => self.stop_activity(),
                }
                // Report the steps still queued before saying "paused", so the step count
                // the UI shows once paused is final.
                self.report().await;
                self.evaluate().await;
                if was_running {
                    self.report_state();
                }
            }
            ToWorker::Step => {
                if matches!(self.activity, Activity::Training) {
                    return self.platform.post(FromWorker::Error(
                        "Training is running: pause it to train one step at a time.".into(),
                    ));
                }
                if self.ensure_session().await {
                    self.activity = match self.activity {
                        Activity::Stepping(n) => Activity::Stepping(n + 1),
                        _ => Activity::Stepping(1),
                    };
                }
            }
            ToWorker::Reset => {
                self.stop_activity();
                self.report_state();
                self.restart().await;
            }
            ToWorker::ShowCell { truth, predicted } => self.show_cell(truth, predicted),
            ToWorker::ShowPoint { index } => self.show_point(index),
            ToWorker::Import { id, files, options } => self.import(id, files, options).await,
            ToWorker::PreviewAugment { config, seed } => self.preview_augment(&config, seed),
            ToWorker::Compare {
                runs,
                labeled,
                epochs,
            } => self.start_comparison(runs, labeled, epochs).await,
            ToWorker::SetLabels {
                key,
                labels,
                rejected,
            } => self.set_labels(key, labels, rejected),
            ToWorker::Score => self.score().await,
            ToWorker::EvaluateTest => self.evaluate_test().await,
            ToWorker::ExportPredictions => self.export_predictions().await,
            ToWorker::ExportLabels => self.export_labels(),
            ToWorker::ImportLabels { file, text } => self.import_labels(&file, &text),
            ToWorker::RunBudget(config) => self.start_budget(config).await,
            ToWorker::Explain {
                sample,
                class,
                method,
                baseline,
            } => self.explain(sample, class, method, baseline).await,
            ToWorker::Activations { sample } => self.send_activations(sample).await,
            ToWorker::Attention { sample } => self.send_attention(sample).await,
            ToWorker::Filters => self.send_filters().await,
            ToWorker::Project {
                method,
                every_sample,
            } => self.project(method, every_sample).await,
            ToWorker::CompareLayers { against } => self.compare_layers(against).await,
            ToWorker::CheckAttributions { samples } => self.check_attributions(samples).await,
            ToWorker::ExportModel => self.export_model().await,
            ToWorker::ExportExperiment { include_data } => {
                self.export_experiment(include_data).await
            }
            ToWorker::OpenExperiment { id, file } => self.open_experiment(id, file).await,
            ToWorker::Pretrain(config) => self.start_pretraining(config).await,
            ToWorker::StartFromFile { file } => self.start_from_file(file).await,
            ToWorker::StartFromScratch => self.start_from_scratch().await,
            ToWorker::Crash => panic!("crash requested by the UI (a test of crash recovery)"),
        }
    }

    /// Why `message` cannot be carried out when the current data's target is a measured
    /// value (the labeling tools and comparisons that are about classes), if it cannot.
    fn refusal_for_measured(&mut self, message: &ToWorker) -> Option<String> {
        let what = match message {
            ToWorker::RunBudget(_) => "Label-budget experiments",
            ToWorker::Compare { .. } => "The augmentation comparison",
            ToWorker::CheckAttributions { .. } => "The attribution sanity checks",
            _ => return None,
        };
        let measured = self
            .dataset_for(&self.experiment.clone())
            .is_ok_and(|dataset| dataset.is_regression());
        measured.then(|| {
            format!(
                "{what} are for classes; this dataset's target is a measured value \
                 (regression). Train it, see its errors, explain and export its predictions."
            )
        })
    }

    /// Works on the current activity for one time slice; once no job holds the engine, the
    /// next waiting request is carried out first.
    pub async fn run_slice(&mut self) {
        if !self.activity.is_job()
            && let Some(request) = self.waiting.pop_front()
        {
            return self.carry_out(request).await;
        }
        match self.activity {
            Activity::Idle => {}
            Activity::Training | Activity::Stepping(_) | Activity::Refining { .. } => {
                self.train_slice().await
            }
            Activity::Predicting(_) => self.predict_slice().await,
            Activity::Comparing(_) => self.compare_slice().await,
            Activity::Budget(_) => self.budget_slice().await,
            Activity::Explaining(_) => self.explain_slice().await,
            Activity::Pretraining(_) => self.pretrain_slice().await,
        }
    }

    /// Ends the current activity, telling the UI about a job that was cut short.
    fn stop_activity(&mut self) {
        match std::mem::replace(&mut self.activity, Activity::Idle) {
            Activity::Comparing(comparison) => self.end_comparison(comparison, false),
            Activity::Budget(_) => self
                .platform
                .post(FromWorker::BudgetDone { finished: false }),
            Activity::Predicting(job) => self.platform.post(job.cancelled()),
            Activity::Refining { .. } => self.platform.post(labeling::refined()),
            Activity::Explaining(_) => self.platform.post(FromWorker::ExplainCancelled),
            Activity::Pretraining(_) => self
                .platform
                .post(FromWorker::PretrainDone { finished: false }),
            Activity::Idle | Activity::Training | Activity::Stepping(_) => {}
        }
    }

    /// Switches to `activity` and tells the UI if training started or stopped.
    fn set_activity(&mut self, activity: Activity) {
        self.activity = activity;
        self.report_state();
    }

    fn report_state(&mut self) {
        let state = if self.activity.runs() {
            RunState::Running
        } else {
            RunState::Paused
        };
        if state != self.reported {
            self.reported = state;
            self.platform.post(FromWorker::State(state));
        }
    }

    /// Trains the main run for one time slice, reporting and evaluating when due.
    async fn train_slice(&mut self) {
        let start = self.platform.now_ms();
        loop {
            let stepping = matches!(self.activity, Activity::Stepping(_));
            let Some(session) = self.session.as_mut() else {
                self.set_activity(Activity::Idle);
                return;
            };
            let batch = session.batch_len();
            let epoch_done = session.train_step();
            let step = session.step();
            let unread = session.unread_steps();
            self.samples_since_report += batch;
            if let Activity::Stepping(n) = &mut self.activity {
                *n -= 1;
                if *n == 0 {
                    self.activity = Activity::Idle;
                }
            }
            let max_unread = match self.backend {
                Some((Backend::WebGpu, _)) => GPU_MAX_UNREAD,
                _ => CPU_MAX_UNREAD,
            };
            let now = self.platform.now_ms();
            if stepping || unread >= max_unread || now - self.last_report_ms >= REPORT_MS {
                self.report().await;
            }
            let eval_due = epoch_done && now - self.last_eval_ms >= EVAL_MS;
            if stepping || eval_due {
                self.evaluate().await;
            }
            if self.labeling_due(step)
                || !matches!(
                    self.activity,
                    Activity::Training | Activity::Refining { .. }
                )
                || self.platform.now_ms() - start >= SLICE_MS
            {
                return;
            }
        }
    }

    async fn configure(&mut self, experiment: Experiment) {
        let checked = self
            .data_shape(experiment.dataset)
            .and_then(|(shape, classes)| experiment.validate(&shape, classes));
        if let Err(message) = checked {
            self.platform.post(FromWorker::Error(message));
            return;
        }
        let before = self.experiment.labeling.clone();
        if let Some(session) = &mut self.session {
            if session.update(&experiment) {
                self.experiment = experiment;
                self.labeling_changed(&before).await;
                return;
            }
            let restarting = session.step() > 0;
            self.experiment = experiment;
            if restarting {
                self.platform.post(FromWorker::Notice(
                    "The model, data or seed changed, so training restarted from step 0.".into(),
                ));
            }
            self.restart().await;
        } else {
            self.experiment = experiment;
        }
    }

    /// How many threads a run's steps learn on: those asked for in `SetCpuThreads`, at most
    /// as many as the engine has on its device (one on a GPU).
    fn run_threads(&self) -> usize {
        let available = self
            .backend
            .as_ref()
            .map_or(1, |(_, device)| crate::ml::train::cpu_threads(device));
        match self.cpu_threads {
            0 => available,
            asked => asked.min(available),
        }
    }

    /// Builds a fresh run of the current experiment; on failure keeps the old one.
    async fn restart(&mut self) {
        let device = self.ensure_backend().await;
        let made = self
            .dataset_for(&self.experiment.clone())
            .and_then(|dataset| Session::new(&self.experiment, dataset, &device));
        match made {
            Ok(mut session) => {
                session.set_threads(self.run_threads());
                self.apply_start(&mut session);
                self.platform.post(FromWorker::RunStarted(run_info(
                    &session,
                    self.layout.as_deref(),
                    self.collection_pool_truth(),
                )));
                self.session = Some(session);
                self.history = History::default();
                self.labeling.run_started();
                self.checkpoints.clear();
                self.last_predictions = None;
                self.evaluated_at = None;
                self.last_eval_ms = f64::NEG_INFINITY;
                self.last_report_ms = self.platform.now_ms();
                self.samples_since_report = 0;
            }
            Err(message) => self.platform.post(FromWorker::Error(message)),
        }
    }

    async fn ensure_session(&mut self) -> bool {
        if self.session.is_none() {
            self.restart().await;
        }
        self.session.is_some()
    }

    /// The sample shape and class count of dataset `id`.
    fn data_shape(&self, id: DatasetId) -> Result<(DataShape, usize), String> {
        match (id, &self.upload) {
            (DatasetId::Builtin(dataset), _) => Ok((dataset.shape(), dataset.class_names().len())),
            (DatasetId::Uploaded, Some(upload)) => Ok((
                upload.imported.samples.shape(),
                upload.imported.class_names.len(),
            )),
            (DatasetId::Uploaded, None) => Err(NO_UPLOAD.into()),
        }
    }

    /// The collection of `experiment`'s data (made once per data, seed and hidden labels).
    fn collection_for(&mut self, experiment: &Experiment) -> Result<Arc<Collection>, String> {
        let key = DatasetKey {
            id: experiment.dataset,
            seed: experiment.seed,
            upload: self.upload.as_ref().map(|u| u.id),
            labels_per_class: experiment.labeling.labels_per_class,
        };
        if let Some((cached, collection)) = &self.collection
            && *cached == key
        {
            return Ok(collection.clone());
        }
        let collection = Arc::new(
            collection_of(experiment, self.upload.as_ref()).ok_or_else(|| NO_UPLOAD.to_string())?,
        );
        self.layout = match &collection.train {
            Samples::Nodes(nodes) if nodes.all_labels.len() <= MAX_DRAWN_NODES => Some(Arc::new(
                stress_layout(nodes.all_labels.len(), &nodes.graph.edges, 150),
            )),
            _ => None,
        };
        self.collection = Some((key, collection.clone()));
        self.dataset = None;
        Ok(collection)
    }

    /// The dataset `experiment` learns from: its collection with the person's labels.
    fn dataset_for(&mut self, experiment: &Experiment) -> Result<Arc<Dataset>, String> {
        let collection = self.collection_for(experiment)?;
        if let Some(dataset) = &self.dataset {
            return Ok(dataset.clone());
        }
        let dataset = Arc::new(self.labeling.dataset(&collection, &experiment.labels_key()));
        self.dataset = Some(dataset.clone());
        Ok(dataset)
    }

    fn collection_pool_truth(&self) -> bool {
        self.collection
            .as_ref()
            .is_some_and(|(_, c)| c.pool_truth.is_some())
    }

    /// Sends the first training samples of the current dataset and their augmented versions.
    fn preview_augment(&mut self, config: &AugmentConfig, seed: u64) {
        if let Err(message) = config.validate() {
            self.platform.post(FromWorker::Error(message));
            return;
        }
        let dataset = match self.dataset_for(&self.experiment.clone()) {
            Ok(dataset) => dataset,
            Err(message) => return self.platform.post(FromWorker::Error(message)),
        };
        let train = &dataset.train;
        let context = AugmentContext::of(&dataset);
        let indices: Vec<usize> = match train {
            // Node tasks: one row, the whole graph.
            Samples::Nodes(_) => vec![0],
            _ => (0..PREVIEW_SAMPLES.min(train.len())).collect(),
        };
        let versions = augment::preview(config, train, &context, &indices, PREVIEW_VERSIONS, seed);
        let split: Vec<Vec<Batch>> = versions.iter().map(augment::split_batch).collect();
        let layout = self.layout.as_deref();
        let rows =
            indices
                .iter()
                .enumerate()
                .map(|(row, &index)| {
                    let original = match (train, layout) {
                        (Samples::Nodes(_), Some(layout)) => network_of(train, layout, None),
                        _ => sample_view(train, index),
                    };
                    std::iter::once(original)
                        .chain(split.iter().map(|version| {
                            batch_view(&version[row], train, layout.map(Vec::as_slice))
                        }))
                        .collect()
                })
                .collect();
        self.platform
            .post(FromWorker::AugmentPreview(AugmentPreview {
                seed,
                rows,
                labels: indices.iter().map(|&i| train.labels()[i]).collect(),
                training_samples: train.len(),
            }));
    }

    async fn report(&mut self) {
        let Some(session) = &mut self.session else {
            return;
        };
        match session.read_train_metrics().await {
            Ok(Some(metrics)) => {
                let now = self.platform.now_ms();
                let seconds = ((now - self.last_report_ms) / 1000.0).max(1e-6);
                let samples_per_second = self.samples_since_report as f64 / seconds;
                self.last_report_ms = now;
                self.samples_since_report = 0;
                self.history.record_train(MetricPoint {
                    step: metrics.step,
                    epoch: metrics.epoch,
                    loss: metrics.loss,
                    accuracy: metrics.accuracy,
                    rmse: metrics.rmse,
                });
                self.platform.post(FromWorker::Train(TrainReport {
                    step: metrics.step,
                    epoch: metrics.epoch,
                    loss: metrics.loss,
                    accuracy: metrics.accuracy,
                    samples_per_second,
                    confident: metrics.confident,
                    rmse: metrics.rmse,
                }));
            }
            Ok(None) => {}
            Err(message) => self.platform.post(FromWorker::Error(message)),
        }
    }

    async fn evaluate(&mut self) {
        let Some(session) = &self.session else {
            return;
        };
        if self.evaluated_at == Some(session.step()) {
            return;
        }
        let evaluated = session.evaluate().await;
        let all_nodes = match &evaluated {
            Ok(_) => session.predict_all_nodes().await,
            Err(_) => Ok(None),
        };
        match evaluated.and_then(|metrics| all_nodes.map(|nodes| (metrics, nodes))) {
            Ok((metrics, all_nodes)) => {
                let dataset = session.dataset();
                let valid = &dataset.valid;
                let gallery = match (&dataset.train, self.layout.as_deref()) {
                    (Samples::Nodes(_), Some(layout)) => {
                        vec![network_item(dataset, layout, all_nodes, None)]
                    }
                    _ => {
                        let values = metrics.regression.as_ref().map(|(values, _)| values);
                        let mistakes: Vec<usize> = match values {
                            // The largest errors.
                            Some(values) => {
                                let measured = valid.measured();
                                let mut rest: Vec<usize> = (GALLERY_FIXED..valid.len()).collect();
                                rest.sort_by(|&a, &b| {
                                    let error = |i: usize| (values[i] - measured[i]).abs();
                                    error(b).total_cmp(&error(a))
                                });
                                rest.truncate(GALLERY_MISTAKES);
                                rest
                            }
                            None => (GALLERY_FIXED..valid.len())
                                .filter(|&i| metrics.predictions[i] != valid.labels()[i])
                                .take(GALLERY_MISTAKES)
                                .collect(),
                        };
                        (0..GALLERY_FIXED.min(valid.len()))
                            .chain(mistakes)
                            .map(|i| {
                                let prediction = (metrics.predictions[i], metrics.confidences[i]);
                                gallery_item(valid, i, Some(prediction), values.map(|v| v[i]))
                            })
                            .collect()
                    }
                };
                self.evaluated_at = Some(metrics.step);
                self.last_eval_ms = self.platform.now_ms();
                let regression =
                    metrics
                        .regression
                        .as_ref()
                        .map(|(values, metrics)| RegressionView {
                            metrics: *metrics,
                            points: valid
                                .measured()
                                .iter()
                                .copied()
                                .zip(values.iter().copied())
                                .collect(),
                        });
                self.history.record_valid(MetricPoint {
                    step: metrics.step,
                    epoch: session.epoch(),
                    loss: metrics.loss,
                    accuracy: metrics.accuracy,
                    rmse: regression.as_ref().map(|r| r.metrics.rmse),
                });
                self.platform.post(FromWorker::Eval(EvalReport {
                    step: metrics.step,
                    epoch: session.epoch(),
                    loss: metrics.loss,
                    accuracy: metrics.accuracy,
                    gallery,
                    confusion: ConfusionMatrix::new(
                        dataset.num_classes(),
                        valid.labels(),
                        &metrics.predictions,
                    ),
                    regression,
                }));
                self.last_predictions = Some(ValidPredictions {
                    values: metrics.regression.map(|(values, _)| values),
                    classes: metrics.predictions,
                    confidences: metrics.confidences,
                });
                self.keep_checkpoint();
            }
            Err(message) => self.platform.post(FromWorker::Error(message)),
        }
    }

    /// Reports accuracy on the held-out test part.
    async fn evaluate_test(&mut self) {
        if !self.ensure_session().await {
            return;
        }
        let session = self.session.as_ref().expect("ensured");
        let test = &session.dataset().test;
        if test.is_empty() {
            return self.platform.post(FromWorker::Error(
                "This dataset has no held-out test part (a single small graph is split into \
                 training and validation only)."
                    .into(),
            ));
        }
        match session.evaluate_on(test).await {
            Ok(metrics) => self.platform.post(FromWorker::Test(TestReport {
                step: metrics.step,
                samples: test.len(),
                loss: metrics.loss,
                accuracy: metrics.accuracy,
                regression: metrics.regression.map(|(_, metrics)| metrics),
            })),
            Err(message) => self.platform.post(FromWorker::Error(message)),
        }
    }

    /// Sends the validation samples of one confusion-matrix cell.
    fn show_cell(&self, truth: u32, predicted: u32) {
        let (
            Some(session),
            Some(ValidPredictions {
                classes: predictions,
                confidences,
                ..
            }),
        ) = (&self.session, &self.last_predictions)
        else {
            self.platform.post(FromWorker::Error(
                "Train or step first: the confusion matrix fills after an evaluation.".into(),
            ));
            return;
        };
        let dataset = session.dataset();
        let valid = &dataset.valid;
        let members: Vec<usize> = (0..valid.len())
            .filter(|&i| valid.labels()[i] == truth && predictions[i] == predicted)
            .collect();
        let items = match (&valid, self.layout.as_deref()) {
            (Samples::Nodes(nodes), Some(layout)) => {
                let selected: Vec<usize> = members.iter().map(|&i| nodes.nodes[i]).collect();
                vec![network_item(dataset, layout, None, Some(&selected))]
            }
            _ => members
                .iter()
                .take(CELL_SAMPLES)
                .map(|&i| gallery_item(valid, i, Some((predictions[i], confidences[i])), None))
                .collect(),
        };
        self.platform
            .post(FromWorker::Cell(crate::protocol::CellSamples {
                truth,
                predicted,
                count: members.len(),
                items,
            }));
    }

    /// Sends validation sample `index` with its measured and predicted value (a point of
    /// the predicted-against-measured plot), as a one-sample cell.
    fn show_point(&self, index: usize) {
        let (
            Some(session),
            Some(ValidPredictions {
                values: Some(values),
                ..
            }),
        ) = (&self.session, &self.last_predictions)
        else {
            self.platform.post(FromWorker::Error(
                "Train or step first: the plot of predicted values fills after an evaluation."
                    .into(),
            ));
            return;
        };
        let valid = &session.dataset().valid;
        if index >= valid.len() {
            return;
        }
        self.platform
            .post(FromWorker::Cell(crate::protocol::CellSamples {
                truth: 0,
                predicted: 0,
                count: 1,
                items: vec![gallery_item(
                    valid,
                    index,
                    Some((0, 1.0)),
                    Some(values[index]),
                )],
            }));
    }
}

/// The model's predictions for the validation samples at one evaluation.
struct ValidPredictions {
    /// Predicted class of each sample (0 for a measured target).
    classes: Vec<u32>,
    /// The predicted class's probability (1 for a measured target).
    confidences: Vec<f32>,
    /// Measured targets: each sample's predicted value, in the target's units.
    values: Option<Vec<f32>>,
}

/// Every sample of `experiment`'s data: generated, or `upload`'s (`None` without one).
fn collection_of(experiment: &Experiment, upload: Option<&Upload>) -> Option<Collection> {
    Some(match experiment.dataset {
        DatasetId::Builtin(dataset) => Collection::builtin(
            dataset,
            experiment.seed,
            experiment.labeling.labels_per_class,
        ),
        DatasetId::Uploaded => Collection::upload(&upload?.imported, experiment.seed),
    })
}

fn run_info(session: &Session, layout: Option<&Vec<(f32, f32)>>, hidden_labels: bool) -> RunInfo {
    let dataset = session.dataset();
    let experiment = session.experiment().clone();
    let model = experiment
        .model
        .summary(&dataset.shape(), dataset.num_classes())
        .expect("a session exists only for a valid model");
    RunInfo {
        model,
        class_names: dataset.class_names.clone(),
        measured: dataset.is_regression(),
        train_samples: dataset.train.len(),
        valid_samples: dataset.valid.len(),
        test_samples: dataset.test.len(),
        unlabeled_samples: dataset.unlabeled.len(),
        hidden_labels,
        steps_per_epoch: session.steps_per_epoch(),
        preview: match layout {
            Some(layout) => vec![network_item(dataset, layout, None, None)],
            None => (0..PREVIEW.min(dataset.train.len()))
                .map(|i| gallery_item(&dataset.train, i, None, None))
                .collect(),
        },
        experiment,
    }
}
