//! The training engine: turns [`ToWorker`] requests into training steps and [`FromWorker`]
//! reports. It owns the device, the dataset and the run.
//!
//! Platform-independent: the browser worker drives it with a [`Platform`] built on
//! `postMessage` and WebGPU, the native tests with a plain one. The caller's loop is:
//! hand every waiting message to [`Engine::handle`]; while [`Engine::is_busy`], call
//! [`Engine::run_slice`] and let the event loop breathe between slices.

mod upload;
mod views;

use crate::ml::augment::{self, AugmentConfig, AugmentContext};
use crate::ml::data::{Batch, DataShape, Dataset, Samples};
use crate::ml::experiment::{Compute, DatasetId, Experiment};
use crate::ml::import::{self, ImportOptions, Imported, UploadFile};
use crate::ml::layout::stress_layout;
use crate::ml::metrics::ConfusionMatrix;
use crate::ml::session::Session;
use crate::protocol::{
    AdapterInfo, AugmentPreview, Backend, CellSamples, ComparePoint, EvalReport, FromWorker,
    GalleryItem, RunInfo, RunState, ToWorker, TrainReport,
};
use burn::prelude::*;
use std::future::Future;
use std::sync::Arc;
use upload::{NO_UPLOAD, split_upload, upload_summary};
pub use views::sample_view;
use views::{batch_view, network_item, network_of};

/// How long one slice of training may run before the caller's event loop gets a turn (ms).
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
/// Shortest time between import progress reports (ms).
const PROGRESS_MS: f64 = 100.0;

/// Training samples in the augmentation preview, and augmented versions of each.
const PREVIEW_SAMPLES: usize = 4;
const PREVIEW_VERSIONS: usize = 5;

/// Two runs trained side by side, differing only in augmentation.
struct Comparison {
    runs: [Session; 2],
    /// Epochs each run has finished.
    epochs: [usize; 2],
    target_epochs: usize,
}

/// The dataset the user uploaded, as read.
struct Upload {
    id: u64,
    imported: Arc<Imported>,
}

/// What a generated or split dataset was made from.
#[derive(Clone, Copy, PartialEq)]
struct DatasetKey {
    id: DatasetId,
    seed: u64,
    upload: Option<u64>,
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
}

/// The engine's state between messages.
pub struct Engine<P: Platform> {
    platform: P,
    experiment: Experiment,
    compute: Compute,
    backend: Option<(Backend, Device)>,
    webgpu: Option<Result<WebGpu, String>>,
    dataset: Option<(DatasetKey, Arc<Dataset>)>,
    upload: Option<Upload>,
    /// Node positions for drawing the dataset's graph (node classification only).
    layout: Option<Arc<Vec<(f32, f32)>>>,
    /// Predicted class and confidence of each validation sample at the last evaluation.
    last_predictions: Option<(Vec<u32>, Vec<f32>)>,
    session: Option<Session>,
    comparison: Option<Comparison>,
    state: RunState,
    queued_steps: u32,
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
            backend: None,
            webgpu: None,
            dataset: None,
            upload: None,
            layout: None,
            last_predictions: None,
            session: None,
            comparison: None,
            state: RunState::Paused,
            queued_steps: 0,
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

    /// Whether there is training to do.
    pub fn is_busy(&self) -> bool {
        self.comparison.is_some()
            || self.session.is_some() && (self.state == RunState::Running || self.queued_steps > 0)
    }

    /// Carries out one request from the UI.
    pub async fn handle(&mut self, message: ToWorker) {
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
            ToWorker::Start => {
                if self.ensure_session().await {
                    self.last_report_ms = self.platform.now_ms();
                    self.samples_since_report = 0;
                    self.set_state(RunState::Running);
                }
            }
            ToWorker::Pause => {
                if self.comparison.take().is_some() {
                    self.platform
                        .post(FromWorker::CompareDone { finished: false });
                }
                // Report the steps still queued before saying "paused", so the step count
                // the UI shows once paused is final.
                self.queued_steps = 0;
                let was_running = self.state == RunState::Running;
                self.state = RunState::Paused;
                self.report().await;
                self.evaluate().await;
                if was_running {
                    self.platform.post(FromWorker::State(RunState::Paused));
                }
            }
            ToWorker::Step => {
                if self.state == RunState::Paused && self.ensure_session().await {
                    self.queued_steps += 1;
                }
            }
            ToWorker::Reset => {
                self.set_state(RunState::Paused);
                self.queued_steps = 0;
                self.restart().await;
            }
            ToWorker::ShowCell { truth, predicted } => self.show_cell(truth, predicted),
            ToWorker::Import { id, files, options } => self.import(id, &files, &options),
            ToWorker::PreviewAugment { config, seed } => self.preview_augment(&config, seed),
            ToWorker::Compare {
                runs,
                labelled,
                epochs,
            } => self.start_comparison(runs, labelled, epochs).await,
            ToWorker::Crash => panic!("crash requested by the UI (a test of crash recovery)"),
        }
    }

    /// Trains for one time slice, reporting and evaluating when due.
    pub async fn run_slice(&mut self) {
        if self.comparison.is_some() {
            self.run_comparison_slice().await;
            return;
        }
        let start = self.platform.now_ms();
        while self.is_busy() {
            let stepping = self.queued_steps > 0;
            let session = self.session.as_mut().expect("busy implies a session");
            let batch = session
                .experiment()
                .batch_size
                .min(session.dataset().train.len());
            let epoch_done = session.train_step();
            self.samples_since_report += batch;
            self.queued_steps = self.queued_steps.saturating_sub(1);
            let max_unread = match self.backend {
                Some((Backend::WebGpu, _)) => GPU_MAX_UNREAD,
                _ => CPU_MAX_UNREAD,
            };
            let now = self.platform.now_ms();
            let unread = self.session.as_ref().map_or(0, Session::unread_steps);
            if stepping || unread >= max_unread || now - self.last_report_ms >= REPORT_MS {
                self.report().await;
            }
            let eval_due = epoch_done && now - self.last_eval_ms >= EVAL_MS;
            if stepping || eval_due {
                self.evaluate().await;
            }
            if self.platform.now_ms() - start >= SLICE_MS {
                break;
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
        if let Some(session) = &mut self.session {
            if session.update(&experiment) {
                self.experiment = experiment;
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

    /// Builds a fresh run of the current experiment; on failure keeps the old one.
    async fn restart(&mut self) {
        let device = self.ensure_backend().await;
        let made = self
            .dataset_for(&self.experiment.clone())
            .and_then(|dataset| Session::new(&self.experiment, dataset, &device));
        match made {
            Ok(session) => {
                self.platform.post(FromWorker::RunStarted(run_info(
                    &session,
                    self.layout.as_deref(),
                )));
                self.session = Some(session);
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

    fn dataset_for(&mut self, experiment: &Experiment) -> Result<Arc<Dataset>, String> {
        let key = DatasetKey {
            id: experiment.dataset,
            seed: experiment.seed,
            upload: self.upload.as_ref().map(|u| u.id),
        };
        if let Some((cached, data)) = &self.dataset
            && *cached == key
        {
            return Ok(data.clone());
        }
        let data = Arc::new(match (experiment.dataset, &self.upload) {
            (DatasetId::Builtin(dataset), _) => dataset.generate(experiment.seed),
            (DatasetId::Uploaded, Some(upload)) => {
                split_upload(&upload.imported, experiment.seed).0
            }
            (DatasetId::Uploaded, None) => return Err(NO_UPLOAD.into()),
        });
        self.dataset = Some((key, data.clone()));
        self.layout = match &data.train {
            Samples::Nodes(nodes) if nodes.all_labels.len() <= MAX_DRAWN_NODES => Some(Arc::new(
                stress_layout(nodes.all_labels.len(), &nodes.graph.edges, 150),
            )),
            _ => None,
        };
        Ok(data)
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

    /// Starts two runs of the current experiment on a labelled subset, one per augmentation.
    async fn start_comparison(&mut self, runs: [AugmentConfig; 2], labelled: usize, epochs: usize) {
        if let Some(message) = runs.iter().find_map(|r| r.validate().err()) {
            return self.platform.post(FromWorker::Error(message));
        }
        if epochs == 0 || epochs > 500 {
            return self
                .platform
                .post(FromWorker::Error("Epochs to compare: use 1 to 500.".into()));
        }
        let device = self.ensure_backend().await;
        let dataset = match self.dataset_for(&self.experiment.clone()) {
            Ok(dataset) => dataset,
            Err(message) => return self.platform.post(FromWorker::Error(message)),
        };
        let subset = Arc::new(labelled_subset(&dataset, labelled));
        let make = |augment: &AugmentConfig| {
            let experiment = Experiment {
                augment: augment.clone(),
                ..self.experiment.clone()
            };
            Session::new(&experiment, subset.clone(), &device)
        };
        let sessions = match (make(&runs[0]), make(&runs[1])) {
            (Ok(a), Ok(b)) => [a, b],
            (Err(message), _) | (_, Err(message)) => {
                return self.platform.post(FromWorker::Error(message));
            }
        };
        self.set_state(RunState::Paused);
        self.queued_steps = 0;
        self.platform.post(FromWorker::CompareStarted {
            labelled: subset.train.len(),
            epochs,
        });
        self.comparison = Some(Comparison {
            runs: sessions,
            epochs: [0, 0],
            target_epochs: epochs,
        });
    }

    /// Steps both runs of the comparison in turn for one time slice, evaluating each at its
    /// epoch ends.
    async fn run_comparison_slice(&mut self) {
        let start = self.platform.now_ms();
        while let Some(comparison) = &mut self.comparison {
            for run in 0..2 {
                if comparison.epochs[run] >= comparison.target_epochs {
                    continue;
                }
                let session = &mut comparison.runs[run];
                if session.train_step() {
                    comparison.epochs[run] += 1;
                    let _ = session.read_train_metrics().await;
                    match session.evaluate().await {
                        Ok(metrics) => self.platform.post(FromWorker::Compare(ComparePoint {
                            run,
                            epoch: comparison.epochs[run],
                            loss: metrics.loss,
                            accuracy: metrics.accuracy,
                        })),
                        Err(message) => {
                            self.comparison = None;
                            self.platform.post(FromWorker::Error(message));
                            self.platform
                                .post(FromWorker::CompareDone { finished: false });
                            return;
                        }
                    }
                }
            }
            if comparison
                .epochs
                .iter()
                .all(|&e| e >= comparison.target_epochs)
            {
                self.comparison = None;
                self.platform
                    .post(FromWorker::CompareDone { finished: true });
                return;
            }
            if self.platform.now_ms() - start >= SLICE_MS {
                return;
            }
        }
    }

    /// Reads an upload; on success it becomes the uploaded dataset, on failure nothing changes.
    fn import(&mut self, id: u64, files: &[UploadFile], options: &ImportOptions) {
        let mut last_progress = f64::NEG_INFINITY;
        let platform = &self.platform;
        let result = import::import(files, options, &mut |progress| {
            let now = platform.now_ms();
            if now - last_progress >= PROGRESS_MS {
                last_progress = now;
                platform.post(FromWorker::Importing(progress));
            }
        });
        let imported = match result {
            Ok(imported) => Arc::new(imported),
            Err(error) => {
                self.platform.post(FromWorker::ImportFailed { id, error });
                return;
            }
        };
        let summary = upload_summary(id, files, options, &imported, self.experiment.seed);
        self.upload = Some(Upload { id, imported });
        if self.experiment.dataset == DatasetId::Uploaded {
            // The old run learnt the previous upload; the UI configures the next one.
            self.session = None;
            self.set_state(RunState::Paused);
            self.queued_steps = 0;
        }
        self.platform.post(FromWorker::Imported(Box::new(summary)));
    }

    fn set_state(&mut self, state: RunState) {
        if self.state != state {
            self.state = state;
            self.platform.post(FromWorker::State(state));
        }
    }

    /// The device for the chosen compute, deciding and announcing it the first time.
    async fn ensure_backend(&mut self) -> Device {
        if let Some((_, device)) = &self.backend {
            return device.clone();
        }
        let (backend, device, reason) = match self.compute {
            Compute::Cpu => (
                Backend::Cpu,
                Device::flex(),
                "chosen in Compute".to_string(),
            ),
            Compute::WebGpu => match self.webgpu().await {
                Ok(gpu) => (
                    Backend::WebGpu,
                    gpu.device,
                    format!("chosen in Compute; adapter: {}", gpu.adapter.name),
                ),
                Err(error) => (
                    Backend::Cpu,
                    Device::flex(),
                    format!("WebGPU is not available here ({error}), so the CPU is used"),
                ),
            },
            Compute::Auto => self.choose_automatically().await,
        };
        self.platform.post(FromWorker::Backend { backend, reason });
        self.backend = Some((backend, device.clone()));
        device
    }

    async fn webgpu(&mut self) -> Result<WebGpu, String> {
        if self.webgpu.is_none() {
            let gpu = match self.platform.adapter().await {
                Ok(adapter) => self
                    .platform
                    .init_webgpu()
                    .await
                    .map(|device| WebGpu { device, adapter }),
                Err(error) => Err(error),
            };
            self.webgpu = Some(gpu);
        }
        self.webgpu.clone().expect("just set")
    }

    /// Auto: no adapter or a software one → CPU; otherwise a short timed probe decides.
    async fn choose_automatically(&mut self) -> (Backend, Device, String) {
        match self.platform.adapter().await {
            Err(error) => {
                return (
                    Backend::Cpu,
                    Device::flex(),
                    format!("Auto: no WebGPU adapter ({error})"),
                );
            }
            Ok(adapter) if adapter.software => {
                return (
                    Backend::Cpu,
                    Device::flex(),
                    format!(
                        "Auto: the WebGPU adapter ({}) is a software renderer, far slower than the CPU",
                        adapter.name
                    ),
                );
            }
            Ok(_) => {}
        }
        let gpu = match self.webgpu().await {
            Ok(gpu) => gpu,
            Err(error) => {
                return (
                    Backend::Cpu,
                    Device::flex(),
                    format!("Auto: WebGPU could not be started ({error})"),
                );
            }
        };
        let experiment = self.experiment.clone();
        let gpu_speed = self.probe(&experiment, &gpu.device).await;
        let cpu_speed = self.probe(&experiment, &Device::flex()).await;
        match (gpu_speed, cpu_speed) {
            (Ok(g), Ok(c)) if g >= c => (
                Backend::WebGpu,
                gpu.device,
                format!(
                    "Auto: WebGPU ({}) measured {g:.0} samples/s vs CPU {c:.0}",
                    gpu.adapter.name
                ),
            ),
            (Ok(g), Ok(c)) => (
                Backend::Cpu,
                Device::flex(),
                format!("Auto: CPU measured {c:.0} samples/s vs WebGPU {g:.0}"),
            ),
            (Err(error), _) => (
                Backend::Cpu,
                Device::flex(),
                format!("Auto: WebGPU failed a test run ({error})"),
            ),
            (Ok(_), Err(error)) => (
                Backend::WebGpu,
                gpu.device,
                format!("Auto: the CPU failed a test run ({error})"),
            ),
        }
    }

    /// Training samples per second of `experiment` on `device` over a few steps.
    async fn probe(&mut self, experiment: &Experiment, device: &Device) -> Result<f64, String> {
        let dataset = self.dataset_for(experiment)?;
        let mut session = Session::new(experiment, dataset, device)?;
        session.train_step();
        session.read_train_metrics().await?;
        let start = self.platform.now_ms();
        let steps = 4;
        for _ in 0..steps {
            session.train_step();
        }
        session.read_train_metrics().await?;
        let seconds = ((self.platform.now_ms() - start) / 1000.0).max(1e-6);
        Ok((steps * experiment.batch_size) as f64 / seconds)
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
                self.platform.post(FromWorker::Train(TrainReport {
                    step: metrics.step,
                    epoch: metrics.epoch,
                    loss: metrics.loss,
                    accuracy: metrics.accuracy,
                    samples_per_second,
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
                        let mistakes = (GALLERY_FIXED..valid.len())
                            .filter(|&i| metrics.predictions[i] != valid.labels()[i])
                            .take(GALLERY_MISTAKES);
                        (0..GALLERY_FIXED.min(valid.len()))
                            .chain(mistakes)
                            .map(|i| GalleryItem {
                                index: i,
                                label: valid.labels()[i],
                                prediction: Some((metrics.predictions[i], metrics.confidences[i])),
                                view: sample_view(valid, i),
                            })
                            .collect()
                    }
                };
                self.evaluated_at = Some(metrics.step);
                self.last_eval_ms = self.platform.now_ms();
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
                }));
                self.last_predictions = Some((metrics.predictions, metrics.confidences));
            }
            Err(message) => self.platform.post(FromWorker::Error(message)),
        }
    }
}

impl<P: Platform> Engine<P> {
    /// Sends the validation samples of one confusion-matrix cell.
    fn show_cell(&self, truth: u32, predicted: u32) {
        let (Some(session), Some((predictions, confidences))) =
            (&self.session, &self.last_predictions)
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
                .map(|&i| GalleryItem {
                    index: i,
                    label: truth,
                    prediction: Some((predictions[i], confidences[i])),
                    view: sample_view(valid, i),
                })
                .collect(),
        };
        self.platform.post(FromWorker::Cell(CellSamples {
            truth,
            predicted,
            count: members.len(),
            items,
        }));
    }
}

/// `dataset` with only (about) `labelled` training samples, the same share of each class,
/// taken in the order of the (already shuffled) training part; validation is kept whole.
fn labelled_subset(dataset: &Dataset, labelled: usize) -> Dataset {
    let labels = dataset.train.labels();
    let classes = dataset.num_classes().max(1);
    let mut counts = vec![0usize; classes];
    for &label in labels {
        counts[label as usize] += 1;
    }
    let share = (labelled as f64 / labels.len().max(1) as f64).min(1.0);
    let quota: Vec<usize> = counts
        .iter()
        .map(|&n| ((n as f64 * share).round() as usize).clamp(n.min(1), n))
        .collect();
    let mut taken = vec![0usize; classes];
    let indices: Vec<usize> = (0..labels.len())
        .filter(|&i| {
            let class = labels[i] as usize;
            let keep = taken[class] < quota[class];
            taken[class] += usize::from(keep);
            keep
        })
        .collect();
    Dataset {
        name: dataset.name.clone(),
        class_names: dataset.class_names.clone(),
        train: dataset.train.subset(&indices),
        valid: dataset.valid.clone(),
    }
}

fn run_info(session: &Session, layout: Option<&Vec<(f32, f32)>>) -> RunInfo {
    let dataset = session.dataset();
    let experiment = session.experiment().clone();
    let model = experiment
        .model
        .summary(&dataset.shape(), dataset.num_classes())
        .expect("a session exists only for a valid model");
    RunInfo {
        model,
        class_names: dataset.class_names.clone(),
        train_samples: dataset.train.len(),
        valid_samples: dataset.valid.len(),
        steps_per_epoch: session.steps_per_epoch(),
        preview: match layout {
            Some(layout) => vec![network_item(dataset, layout, None, None)],
            None => (0..PREVIEW.min(dataset.train.len()))
                .map(|i| GalleryItem {
                    index: i,
                    label: dataset.train.labels()[i],
                    prediction: None,
                    view: sample_view(&dataset.train, i),
                })
                .collect(),
        },
        experiment,
    }
}
