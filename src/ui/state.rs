//! The UI's state as plain data and the one function that changes it. No browser APIs, so it
//! is unit-tested natively.

use crate::ml::augment::AugmentConfig;
use crate::ml::data::{BuiltinDataset, DataShape};
use crate::ml::experiment::{Compute, DatasetId, Experiment};
use crate::ml::export::LabelBook;
use crate::ml::import::{ImportError, Progress};
use crate::ml::label::budget::{BudgetArm, BudgetConfig, BudgetPoint};
use crate::ml::label::{AssignedLabel, LabelSource, Part};
use crate::ml::models::{ModelConfig, ModelSummary};
use crate::ml::pretrain::Objective;
use crate::protocol::{
    AdapterInfo, AttentionView, AttributionCheck, AttributionView, AugmentPreview, Backend,
    CellSamples, ComparePoint, EngineBuild, Estimate, EvalReport, FilterKernels, FromWorker,
    Guesses, LabelQueue, LayerActivations, LayerSimilarity, ProjectionView, Proposals, RunInfo,
    RunState, SampleRef, SampleView, TestReport, TrainReport, UploadSummary,
};
use crate::ui::embed::Embed;
use crate::ui::lesson::Lesson;
use crate::ui::link::{Decoded, LinkState};
use std::collections::BTreeMap;
use std::rc::Rc;

/// Whether the training engine can take requests.
#[derive(Clone, Debug, PartialEq)]
pub enum EngineStatus {
    /// The worker's code is still loading.
    Loading,
    /// The worker answered.
    Ready,
    /// The worker failed to load or crashed while starting; the message says why.
    Failed(String),
}

/// What the browser said when asked for a WebGPU adapter.
#[derive(Clone, Debug, PartialEq)]
pub enum AdapterProbe {
    /// Not answered yet.
    Pending,
    /// An adapter is on offer.
    Found(AdapterInfo),
    /// None is; the message says why.
    Missing(String),
}

/// A point of a validation curve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EvalPoint {
    pub step: u64,
    pub loss: f64,
    pub accuracy: f64,
    /// Measured targets: the validation RMSE, in the target's units.
    pub rmse: Option<f64>,
}

/// An upload being read by the engine.
#[derive(Clone, Debug, PartialEq)]
pub struct Importing {
    pub id: u64,
    pub files: Vec<String>,
    pub progress: Option<Progress>,
}

/// The uploaded dataset: what the engine read, what is being read, and which files the app
/// keeps (their bytes stay in the browser, beside this state, under these ids).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct UploadState {
    /// The uploaded dataset as the engine read it.
    pub summary: Option<Rc<UploadSummary>>,
    /// An upload being read.
    pub importing: Option<Importing>,
    /// A failed upload whose valid part the user may load (its id).
    pub partial_offer: Option<u64>,
    /// The upload kept in the browser's storage for the next visit (its id).
    pub kept: Option<u64>,
    /// The browser kept no upload from an earlier visit.
    pub no_stored: bool,
    /// The files of the dataset the engine holds.
    pub current: Option<u64>,
    /// Files sent to be read (or waiting for an engine), or whose valid part the user may
    /// still accept.
    pub pending: Option<u64>,
    /// Whether the pending files are the current ones (read again, restored, or the same
    /// bytes chosen again), so that the person's labels stay theirs.
    pub pending_keeps_labels: bool,
    /// An upload that came inside an opened experiment file (its labels came with it).
    pub opened: Option<u64>,
    /// An experiment file to open once an engine that reads files runs.
    pub opening: Option<u64>,
}

impl UploadState {
    /// The id of the upload the engine read.
    pub fn id(&self) -> Option<u64> {
        self.summary.as_ref().map(|u| u.id)
    }
}

/// Two runs trained side by side, with and without augmentation.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// Labeled training samples each run uses.
    pub labeled: usize,
    pub epochs: usize,
    /// Validation results of each run, by epoch.
    pub points: [Vec<ComparePoint>; 2],
    /// `None` while running; then whether it ran to the end.
    pub finished: Option<bool>,
}

impl Comparison {
    /// Each run's last validation accuracy.
    pub fn last_accuracy(&self) -> [Option<f64>; 2] {
        [0, 1].map(|run| self.points[run].last().map(|p| p.accuracy))
    }
}

/// The panels below Data, Model and Training, one visible at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Augmentation,
    Labeling,
    Explain,
}

impl Tab {
    /// Every tab, in order.
    pub const ALL: [Tab; 3] = [Tab::Augmentation, Tab::Labeling, Tab::Explain];

    /// Its name in the URL fragment (`#labeling`).
    pub fn id(self) -> &'static str {
        match self {
            Tab::Augmentation => "augmentation",
            Tab::Labeling => "labeling",
            Tab::Explain => "explain",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Tab::Augmentation => "Augmentation",
            Tab::Labeling => "Labeling",
            Tab::Explain => "Explain",
        }
    }

    /// The tab named `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.id() == id)
    }
}

/// The lessons offered, the open one and how far the learner got in each.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LessonsState {
    pub catalogue: Vec<Rc<Lesson>>,
    /// The open lesson's id and step (one past the last: finished).
    pub open: Option<(String, usize)>,
    /// The furthest step reached in each lesson (kept in this browser).
    pub progress: BTreeMap<String, usize>,
    /// A lesson a link asked for before the lessons were read.
    pub requested: Option<(String, usize, bool)>,
    /// The learner asked for the lessons (they are read then, not with the page).
    pub wanted: bool,
}

impl LessonsState {
    /// The open lesson and its step.
    pub fn open_lesson(&self) -> Option<(&Lesson, usize)> {
        let (id, step) = self.open.as_ref()?;
        let lesson = self.catalogue.iter().find(|l| &l.id == id)?;
        Some((lesson, *step))
    }
}

/// Said when a link names an uploaded dataset this browser does not have.
pub const MISSING_UPLOAD: &str = "This link's experiment learns from an uploaded dataset, which this browser does not have: upload the same file in the Data panel (the link's model and settings are kept), or choose a built-in dataset.";

/// A long job of the engine, as last reported.
#[derive(Clone, Debug, PartialEq)]
pub struct JobProgress {
    pub what: String,
    pub done: usize,
    pub total: usize,
}

/// The label-budget experiment as reported so far.
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetView {
    pub arms: Vec<BudgetArm>,
    pub config: BudgetConfig,
    /// Each arm's points.
    pub curves: Vec<Vec<BudgetPoint>>,
    /// `None` while running; then whether it ran to the end.
    pub finished: Option<bool>,
}

/// Pretraining as reported so far.
#[derive(Clone, Debug, PartialEq)]
pub struct PretrainView {
    pub samples: usize,
    pub steps: usize,
    /// Masked prediction (else contrastive).
    pub masked: bool,
    /// `(step, mean loss)` at each report.
    pub losses: Vec<(u64, f64)>,
    /// `None` while running; then whether it ran to the end.
    pub finished: Option<bool>,
}

/// The sample the labeling panel asks about.
#[derive(Clone, Debug, PartialEq)]
pub struct Asked {
    pub id: String,
    /// Where it is in the pool (to explain it).
    pub sample: SampleRef,
    /// Drawn large (`None` for a node picked in the graph: the graph is drawn anyway).
    pub view: Option<SampleView>,
    pub guesses: Guesses,
    /// A measured target: the model's predicted value.
    pub estimate: Option<Estimate>,
    pub node: Option<u32>,
}

/// The labeling panel's state: the person's labels (their work, kept in the browser) and
/// what the engine reported about the pool.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LabelingState {
    /// The book the labels belong to ([`Experiment::labels_key`]); `None` until the stored
    /// labels were read (nothing is sent or stored before).
    pub key: Option<String>,
    /// Every label given, oldest first.
    pub labels: Vec<AssignedLabel>,
    /// Ids whose proposals were rejected.
    pub rejected: Vec<String>,
    /// Ids skipped: asked again after the rest of the queue.
    pub skipped: Vec<String>,
    pub queue: Option<LabelQueue>,
    pub proposals: Option<Proposals>,
    /// A node the person picked in the graph: asked about before the queue.
    pub picked: Option<String>,
    pub test: Option<TestReport>,
    pub budget: Option<BudgetView>,
    pub pretrain: Option<PretrainView>,
    /// What runs start from besides fresh weights, as the engine last said.
    pub starting_point: Option<crate::protocol::StartingPoint>,
    /// Counts the person's changes to the labels (not their loading from storage): each one
    /// is written to the browser's storage.
    pub revision: u64,
    /// The last change could not be written to the browser's storage (said once; the labels
    /// stay in memory and can be exported).
    pub unsaved: bool,
}

impl LabelingState {
    fn labeled(&self, id: &str) -> bool {
        self.labels.iter().any(|l| l.id == id)
    }

    /// The sample to label next: the picked node, else the queue's first that is neither
    /// labeled nor skipped, else the skipped ones in turn.
    pub fn asked(&self) -> Option<Asked> {
        let queue = self.queue.as_ref()?;
        if let Some(id) = &self.picked
            && let Some(index) = queue.nodes.iter().position(|n| &n.1 == id)
            && !self.labeled(id)
        {
            let (node, _, guesses) = &queue.nodes[index];
            return Some(Asked {
                id: id.clone(),
                sample: SampleRef {
                    part: Part::Pool,
                    index,
                },
                view: None,
                guesses: guesses.clone(),
                estimate: None,
                node: Some(*node),
            });
        }
        let open = |item: &&crate::protocol::QueueItem| !self.labeled(&item.id);
        let fresh = queue
            .items
            .iter()
            .filter(open)
            .find(|item| !self.skipped.contains(&item.id));
        let item = fresh.or_else(|| {
            self.skipped
                .iter()
                .find_map(|id| queue.items.iter().filter(open).find(|i| &i.id == id))
        })?;
        Some(Asked {
            id: item.id.clone(),
            sample: SampleRef {
                part: Part::Pool,
                index: item.pool_index,
            },
            view: Some(item.view.clone()),
            guesses: item.guesses.clone(),
            estimate: item.estimate,
            node: item.node,
        })
    }

    /// Queue samples still to ask about (not labeled since the queue came).
    pub fn waiting(&self) -> usize {
        self.queue.as_ref().map_or(0, |q| {
            q.items.iter().filter(|i| !self.labeled(&i.id)).count()
        })
    }

    /// Labels given by a person, or accepted pseudo-labels.
    pub fn count(&self, source: LabelSource) -> usize {
        self.labels.iter().filter(|l| l.source == source).count()
    }

    /// Sets `id`'s label (replacing an earlier one): a class, or a measured `value`.
    fn give(&mut self, id: String, class: u32, source: LabelSource, value: Option<f32>) {
        self.revision += 1;
        self.labels.retain(|l| l.id != id);
        self.skipped.retain(|s| *s != id);
        self.labels.push(AssignedLabel {
            id,
            class,
            source,
            value,
        });
    }
}

/// The explain panel's long jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExplainJob {
    Attribution,
    Tsne,
    Check,
}

/// What the engine reported for the explain panel (of the current run).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ExplainState {
    pub attribution: Option<Rc<AttributionView>>,
    /// A sample's activations, layer by layer.
    pub activations: Option<(SampleRef, Rc<Vec<LayerActivations>>)>,
    /// A Transformer's attention over a sample.
    pub attention: Option<Rc<AttentionView>>,
    pub projection: Option<Rc<ProjectionView>>,
    pub filters: Option<Rc<FilterKernels>>,
    pub similarity: Option<Rc<LayerSimilarity>>,
    pub check: Option<Rc<AttributionCheck>>,
    /// A sample picked elsewhere (a gallery card, the labeling queue) to explain, with a
    /// serial number so that picking the same sample again explains it again.
    pub pick: Option<(u64, SampleRef)>,
    /// The job running, if any (the Cancel button stops it).
    pub running: Option<ExplainJob>,
    /// The last job was cancelled.
    pub cancelled: bool,
}

/// The engine as the page knows it: which build runs and whether it answers.
#[derive(Clone, Debug, PartialEq)]
pub struct EngineState {
    pub status: EngineStatus,
    /// The browser's WebGPU adapter, which decides the engine build for Auto.
    pub adapter: AdapterProbe,
    /// The backend in use and why.
    pub backend: Option<(Backend, String)>,
    /// Bumped when the engine must be replaced (after a crash).
    pub generation: u32,
}

impl Default for EngineState {
    fn default() -> Self {
        Self {
            status: EngineStatus::Loading,
            adapter: AdapterProbe::Pending,
            backend: None,
            generation: 0,
        }
    }
}

/// The run the Training panel shows: its curves, state and last evaluation.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RunView {
    /// The run the charts belong to.
    pub info: Option<Rc<RunInfo>>,
    pub state: RunState,
    pub train: Vec<TrainReport>,
    pub eval: Vec<EvalPoint>,
    pub last_eval: Option<EvalReport>,
    /// The samples of the confusion-matrix cell the user picked.
    pub cell: Option<CellSamples>,
}

/// The Augmentation tab: its preview and the comparison of runs with and without.
#[derive(Clone, Debug, PartialEq)]
pub struct AugmentView {
    /// Seeds the preview; re-roll draws another.
    pub preview_seed: u64,
    pub preview: Option<AugmentPreview>,
    pub comparison: Option<Comparison>,
}

impl Default for AugmentView {
    fn default() -> Self {
        Self {
            preview_seed: 1,
            preview: None,
            comparison: None,
        }
    }
}

/// Sharing the page: how it is embedded, and the link and snippet last made.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ShareState {
    /// What the page shows when embedded in another page's frame (`None`: the whole page).
    pub embed: Option<Embed>,
    /// The `<iframe>` snippet last asked for with Embed.
    pub embed_code: Option<String>,
    /// The link last copied with Share, shown to copy by hand.
    pub shared_link: Option<String>,
}

/// Everything the UI shows, by part.
#[derive(Clone, Debug, PartialEq)]
pub struct AppState {
    /// The experiment as edited (may be invalid; see [`AppState::model_check`]).
    pub experiment: Experiment,
    pub compute: Compute,
    /// The most threads a CPU run learns on (0: every core).
    pub cpu_threads: usize,
    pub engine: EngineState,
    pub run: RunView,
    /// The error shown in the alert region.
    pub alert: Option<String>,
    /// A passing remark (not an error).
    pub notice: Option<String>,
    pub upload: UploadState,
    pub augment: AugmentView,
    /// The open tab below the three panels.
    pub tab: Tab,
    pub lessons: LessonsState,
    pub share: ShareState,
    pub labeling: LabelingState,
    pub explain: ExplainState,
    /// The engine's long job in progress (scoring, an export, the budget experiment).
    pub progress: Option<JobProgress>,
    /// A file the engine made for the user to save (taken by the app): serial, name, bytes.
    pub download: Option<(u64, String, Rc<Vec<u8>>)>,
    /// The labels of an opened experiment file, waiting for their book to be read, and
    /// whether they replace it (the file brought its own data).
    pub opened_labels: Option<(LabelBook, bool)>,
}

/// A change to the experiment, e.g. one field set. Compared by identity.
#[derive(Clone)]
pub struct Change(Rc<dyn Fn(&mut Experiment)>);

impl Change {
    pub fn new(change: impl Fn(&mut Experiment) + 'static) -> Self {
        Self(Rc::new(change))
    }
}

impl std::fmt::Debug for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Change")
    }
}

impl PartialEq for Change {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Things that happen to the UI.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// A report from the engine.
    Engine(FromWorker),
    /// The engine could not be started or failed to load.
    EngineFailed(String),
    /// The user edited the experiment.
    Edit(Experiment),
    /// The user changed part of the experiment (applied to the experiment as it is then).
    Change(Change),
    /// The user chose a compute backend.
    SetCompute(Compute),
    /// The user chose how many threads a CPU run learns on (0: every core).
    SetCpuThreads(usize),
    /// The browser answered the WebGPU adapter request.
    AdapterProbed(Result<AdapterInfo, String>),
    /// Show an error (e.g. a value that is not a number).
    Alert(String),
    /// The user closed the alert.
    DismissAlert,
    /// Files are to be read as upload `id` (the app keeps their bytes under that id);
    /// `keeps_labels`: they are the current upload's files (restored, read again with other
    /// options, or the same bytes chosen again), so the person's labels stay.
    ImportStarted {
        id: u64,
        files: Vec<String>,
        keeps_labels: bool,
    },
    /// An opened experiment file brought its upload's files (kept by the app as upload `id`).
    UploadOpened(u64),
    /// The user chose an experiment file to open (kept by the app under `id`).
    OpenExperiment(u64),
    /// The labels were written to the browser's storage, or could not be.
    LabelsSaved(Result<(), String>),
    /// The user removed the uploaded dataset.
    RemoveUpload,
    /// The user asked for other augmented versions in the preview.
    RerollPreview,
    /// The upload `id` is stored for the next visit.
    UploadKept(u64),
    /// The user opened a tab.
    SetTab(Tab),
    /// A link was opened: its experiment, compute and tab at once.
    LoadLink(Decoded),
    /// The browser kept no upload from an earlier visit.
    NoStoredUpload,
    /// The lesson files were read (`problems`: the files refused), with the learner's
    /// progress kept in this browser.
    LessonsLoaded {
        lessons: Vec<Lesson>,
        problems: Vec<String>,
        progress: BTreeMap<String, usize>,
    },
    /// The learner chose a lesson: it opens where they left it, the page set up for that step.
    ChooseLesson(String),
    /// A link names a lesson and step (counted from 0); `set_up`: set the page up for it.
    RequestLesson {
        id: String,
        step: usize,
        set_up: bool,
    },
    /// Go to step `n` of the open lesson (past the last: finished).
    LessonStep(usize),
    CloseLesson,
    /// Show the lessons (read them first).
    WantLessons,
    /// The Embed button: show this `<iframe>` snippet.
    ShowEmbedCode(String),
    /// The page's link was copied with Share.
    Shared {
        link: String,
        copied: Result<(), String>,
    },
    /// The labels kept in the browser for book `key` were read.
    LabelsLoaded {
        key: String,
        labels: Vec<AssignedLabel>,
        rejected: Vec<String>,
    },
    /// An explain job was asked for.
    ExplainStarted(ExplainJob),
    /// Open the Explain tab on a sample.
    ExplainSample(SampleRef),
    /// The person labels the sample asked about as `class`.
    Label(u32),
    /// The person gives the sample asked about its measured value (a measured target).
    Measure(f32),
    /// The person skips the sample asked about.
    Skip,
    /// The person takes back their last label.
    Undo,
    /// The person picks a node of the graph to label.
    Pick(String),
    /// Accept the proposal for `id`, or every proposal shown (`None`).
    AcceptProposals(Option<String>),
    /// Reject the proposal for `id`.
    RejectProposal(String),
}

impl Default for AppState {
    fn default() -> Self {
        Self {
            experiment: Experiment::default(),
            compute: Compute::Auto,
            cpu_threads: 0,
            engine: EngineState::default(),
            run: RunView::default(),
            alert: None,
            notice: None,
            upload: UploadState::default(),
            augment: AugmentView::default(),
            tab: Tab::default(),
            lessons: LessonsState::default(),
            share: ShareState::default(),
            labeling: LabelingState::default(),
            explain: ExplainState::default(),
            progress: None,
            download: None,
            opened_labels: None,
        }
    }
}

impl AppState {
    /// Applies one action. Labels belong to one book ([`Experiment::labels_key`]): when the
    /// data in use changes, the labeling state starts empty until that book is read.
    pub fn apply(&mut self, action: Action) {
        let key = self.experiment.labels_key();
        self.apply_action(action);
        let now = self.experiment.labels_key();
        if now != key && self.labeling.key.as_ref() != Some(&now) {
            self.labeling = LabelingState::default();
        }
    }

    fn apply_action(&mut self, action: Action) {
        match action {
            Action::Engine(message) => self.apply_report(message),
            Action::EngineFailed(message) => {
                self.alert = Some(message.clone());
                self.engine.status = EngineStatus::Failed(message);
            }
            Action::Change(change) => {
                let mut edited = self.experiment.clone();
                (change.0)(&mut edited);
                self.apply_action(Action::Edit(edited));
            }
            Action::Edit(experiment) => {
                if let Err(message) = experiment.validate_settings() {
                    self.alert = Some(format!("{message} The previous value is kept."));
                    return;
                }
                self.apply_edit(experiment);
            }
            Action::SetCompute(compute) => {
                let build = self.engine_build();
                self.compute = compute;
                if self.engine_build() != build {
                    self.engine_replaced();
                }
            }
            Action::SetCpuThreads(threads) => self.cpu_threads = threads,
            Action::AdapterProbed(answer) => {
                self.engine.adapter = match answer {
                    Ok(info) => AdapterProbe::Found(info),
                    Err(why) => AdapterProbe::Missing(why),
                };
            }
            Action::Alert(message) => self.alert = Some(message),
            Action::DismissAlert => {
                self.alert = None;
                self.upload.partial_offer = None;
            }
            Action::ImportStarted {
                id,
                files,
                keeps_labels,
            } => {
                self.upload.partial_offer = None;
                self.upload.pending = Some(id);
                self.upload.pending_keeps_labels = keeps_labels;
                self.upload.importing = Some(Importing {
                    id,
                    files,
                    progress: None,
                });
            }
            // The engine holds it already (read with the file).
            Action::UploadOpened(id) => {
                self.upload.current = Some(id);
                self.upload.opened = Some(id);
            }
            Action::OpenExperiment(id) => {
                self.upload.opening = Some(id);
            }
            Action::LabelsSaved(result) => match result {
                Ok(()) => self.labeling.unsaved = false,
                Err(message) => {
                    if !self.labeling.unsaved {
                        self.alert = Some(message);
                    }
                    self.labeling.unsaved = true;
                }
            },
            Action::RerollPreview => self.augment.preview_seed += 1,
            Action::SetTab(tab) => self.tab = tab,
            Action::LoadLink(decoded) => self.load_link(decoded),
            Action::LessonsLoaded {
                lessons,
                problems,
                progress,
            } => {
                self.lessons.catalogue = lessons.into_iter().map(Rc::new).collect();
                self.lessons.progress = progress;
                if !problems.is_empty() {
                    self.alert = Some(problems.join(" "));
                }
                if let Some((id, step, set_up)) = self.lessons.requested.take() {
                    self.open_lesson_step(&id, step, set_up);
                }
            }
            Action::ChooseLesson(id) => {
                let reached = self.lessons.progress.get(&id).copied().unwrap_or(0);
                let finished = self
                    .lessons
                    .catalogue
                    .iter()
                    .find(|l| l.id == id)
                    .is_none_or(|l| reached >= l.steps.len());
                self.open_lesson_step(&id, if finished { 0 } else { reached }, true);
            }
            Action::WantLessons => self.lessons.wanted = true,
            Action::RequestLesson { id, step, set_up } => {
                self.lessons.wanted = true;
                if self.lessons.catalogue.is_empty() {
                    self.lessons.requested = Some((id, step, set_up));
                } else {
                    self.open_lesson_step(&id, step, set_up);
                }
            }
            Action::LessonStep(step) => {
                if let Some((id, now)) = self.lessons.open.clone() {
                    let set_up = step > now
                        && self
                            .lessons
                            .open_lesson()
                            .and_then(|(lesson, _)| lesson.steps.get(step))
                            .is_some_and(|s| s.setup.is_some());
                    self.open_lesson_step(&id, step, set_up);
                }
            }
            Action::CloseLesson => self.lessons.open = None,
            Action::NoStoredUpload => {
                self.upload.no_stored = true;
                if self.experiment.dataset == DatasetId::Uploaded && self.upload.summary.is_none() {
                    self.alert = Some(MISSING_UPLOAD.into());
                }
            }
            Action::ShowEmbedCode(snippet) => self.share.embed_code = Some(snippet),
            Action::Shared { link, copied } => {
                match copied {
                    Ok(()) => {
                        self.notice =
                            Some("Link copied: whoever opens it gets this experiment.".into())
                    }
                    Err(message) => self.alert = Some(message),
                }
                self.share.shared_link = Some(link);
            }
            Action::LabelsLoaded {
                key,
                labels,
                rejected,
            } => {
                // Only into a book not yet read; labels given meanwhile win over stored ones.
                if key == self.experiment.labels_key() && self.labeling.key.is_none() {
                    let given = std::mem::replace(&mut self.labeling.labels, labels);
                    // Labels given meanwhile are written once the book is read.
                    let revision = self.labeling.revision + u64::from(!given.is_empty());
                    for label in given {
                        self.labeling
                            .give(label.id, label.class, label.source, label.value);
                    }
                    for id in rejected {
                        if !self.labeling.rejected.contains(&id) {
                            self.labeling.rejected.push(id);
                        }
                    }
                    self.labeling.revision = revision;
                    self.labeling.key = Some(key);
                    self.take_opened_labels();
                }
            }
            Action::Label(class) => {
                let classes = self.data_shape().map_or(0, |(_, names)| names.len());
                if let Some(asked) = self.labeling.asked()
                    && (class as usize) < classes
                    && !self.measured_target()
                {
                    self.labeling
                        .give(asked.id, class, LabelSource::Human, None);
                    self.labeling.picked = None;
                }
            }
            Action::Measure(value) => {
                if let Some(asked) = self.labeling.asked()
                    && value.is_finite()
                    && self.measured_target()
                {
                    self.labeling
                        .give(asked.id, 0, LabelSource::Human, Some(value));
                    self.labeling.picked = None;
                }
            }
            Action::Skip => {
                if let Some(asked) = self.labeling.asked() {
                    self.labeling.skipped.retain(|s| *s != asked.id);
                    self.labeling.skipped.push(asked.id);
                    self.labeling.picked = None;
                }
            }
            Action::Undo => {
                if let Some(last) = self
                    .labeling
                    .labels
                    .iter()
                    .rposition(|l| l.source == LabelSource::Human)
                {
                    self.labeling.labels.remove(last);
                    self.labeling.revision += 1;
                }
            }
            Action::Pick(id) => self.labeling.picked = Some(id),
            Action::ExplainSample(sample) => {
                let serial = self.explain.pick.map_or(0, |(s, _)| s) + 1;
                self.explain.pick = Some((serial, sample));
                self.tab = Tab::Explain;
            }
            Action::ExplainStarted(job) => {
                self.explain.running = Some(job);
                self.explain.cancelled = false;
            }
            Action::AcceptProposals(which) => {
                if let Some(proposals) = self.labeling.proposals.clone() {
                    for p in proposals.items {
                        if which.as_ref().is_none_or(|id| *id == p.id)
                            && !self.labeling.labeled(&p.id)
                        {
                            self.labeling.give(p.id, p.class, LabelSource::Pseudo, None);
                        }
                    }
                }
            }
            Action::RejectProposal(id) => {
                if !self.labeling.rejected.contains(&id) {
                    self.labeling.rejected.push(id.clone());
                    self.labeling.revision += 1;
                }
                if let Some(proposals) = &mut self.labeling.proposals {
                    proposals.items.retain(|p| p.id != id);
                }
            }
            Action::UploadKept(id) => self.upload.kept = Some(id),
            Action::RemoveUpload => {
                self.upload = UploadState {
                    no_stored: self.upload.no_stored,
                    ..UploadState::default()
                };
                if self.experiment.dataset == DatasetId::Uploaded {
                    let dataset = BuiltinDataset::Shapes;
                    self.experiment = Experiment {
                        dataset: dataset.into(),
                        model: ModelConfig::default_for_dataset(dataset),
                        ..self.experiment.clone()
                    };
                }
            }
        }
    }

    /// What a link of the page now restores.
    pub fn link_state(&self) -> LinkState {
        LinkState {
            experiment: self.experiment.clone(),
            compute: self.compute,
            cpu_threads: self.cpu_threads,
            tab: self.tab,
        }
    }

    /// Takes what a link restores, at once (not as a replay of edits, so the link's model
    /// survives its dataset); what it could not read is said in the alert region.
    pub fn load_link(&mut self, decoded: Decoded) {
        let Decoded {
            state,
            mut problems,
        } = decoded;
        if state.experiment.dataset != self.experiment.dataset {
            self.augment.preview = None;
            self.augment.comparison = None;
        }
        if state.experiment.dataset == DatasetId::Uploaded
            && self.upload.summary.is_none()
            && self.upload.no_stored
        {
            problems.push(MISSING_UPLOAD.into());
        }
        self.experiment = state.experiment;
        self.apply_action(Action::SetCompute(state.compute));
        self.cpu_threads = state.cpu_threads;
        self.tab = state.tab;
        if !problems.is_empty() {
            self.alert = Some(problems.join(" "));
        }
    }

    /// Opens step `step` of lesson `id` (past its last: finished), setting the page up for it
    /// when `set_up` (the learner's compute choice is kept), and records how far they got.
    fn open_lesson_step(&mut self, id: &str, step: usize, set_up: bool) {
        let Some(lesson) = self.lessons.catalogue.iter().find(|l| l.id == id).cloned() else {
            self.alert = Some(format!("There is no lesson `{id}`: choose one in Lessons."));
            return;
        };
        let step = step.min(lesson.steps.len());
        if let Some(current) = lesson.steps.get(step) {
            if set_up && let Some(mut decoded) = lesson.setup_at(step) {
                decoded.state.compute = self.compute;
                decoded.state.cpu_threads = self.cpu_threads;
                self.load_link(decoded);
            }
            if let Some(tab) = current.tab.as_deref().and_then(Tab::from_id) {
                self.tab = tab;
            }
        }
        let reached = self.lessons.progress.entry(id.to_string()).or_default();
        *reached = (*reached).max(step);
        self.lessons.open = Some((id.to_string(), step));
    }

    /// Takes an edited experiment (already checked): a new dataset starts from the model that
    /// suits it, without augmentation.
    fn apply_edit(&mut self, experiment: Experiment) {
        if experiment.dataset != self.experiment.dataset {
            // A new dataset starts from the model that suits it.
            let model = match (experiment.dataset, &self.upload.summary) {
                (DatasetId::Builtin(dataset), _) => ModelConfig::default_for_dataset(dataset),
                (DatasetId::Uploaded, Some(upload)) => {
                    ModelConfig::default_for_upload(upload.shape.kind())
                }
                (DatasetId::Uploaded, None) => return,
            };
            self.experiment = Experiment {
                model,
                augment: AugmentConfig::none(),
                ..experiment
            };
            self.augment.preview = None;
            self.augment.comparison = None;
        } else {
            self.experiment = experiment;
        }
    }

    fn apply_report(&mut self, message: FromWorker) {
        match message {
            FromWorker::Ready => self.engine.status = EngineStatus::Ready,
            FromWorker::Backend { backend, reason } => {
                self.engine.backend = Some((backend, reason))
            }
            FromWorker::RunStarted(info) => {
                self.forget_run();
                self.run.info = Some(Rc::new(info));
                // A new model: its queue and proposals come after it scores the pool.
                self.labeling.queue = None;
                self.labeling.proposals = None;
                self.labeling.test = None;
            }
            FromWorker::Progress { what, done, total } => {
                self.progress = (done < total).then_some(JobProgress { what, done, total });
            }
            FromWorker::Attribution(view) => {
                self.explain.attribution = Some(Rc::new(*view));
                self.explain.running = None;
            }
            FromWorker::Activations { sample, layers } => {
                self.explain.activations = Some((sample, Rc::new(layers)));
            }
            FromWorker::Attention(view) => self.explain.attention = Some(Rc::new(*view)),
            FromWorker::Projection { view, finished } => {
                self.explain.projection = Some(Rc::new(*view));
                if finished {
                    self.explain.running = None;
                }
            }
            FromWorker::Filters(kernels) => self.explain.filters = Some(Rc::new(kernels)),
            FromWorker::LayerSimilarity(similarity) => {
                self.explain.similarity = Some(Rc::new(similarity));
            }
            FromWorker::Check { check, finished } => {
                self.explain.check = Some(Rc::new(*check));
                if finished {
                    self.explain.running = None;
                }
            }
            FromWorker::ExplainCancelled => {
                self.explain.running = None;
                self.explain.cancelled = true;
            }
            FromWorker::Queue(queue) => self.labeling.queue = Some(queue),
            FromWorker::Proposals(proposals) => self.labeling.proposals = Some(proposals),
            FromWorker::Test(report) => self.labeling.test = Some(report),
            FromWorker::Download { name, text } => self.offer_file(name, text.into_bytes()),
            FromWorker::File { name, bytes } => self.offer_file(name, bytes),
            // Kept by the app beside the state (see `app::Uploads`).
            FromWorker::UploadFiles { .. } => {}
            FromWorker::ExperimentOpened {
                name,
                experiment,
                labels,
                history,
                step,
                with_data,
            } => {
                self.upload.opening = None;
                self.experiment = experiment;
                self.run.train = history
                    .train
                    .iter()
                    .map(|p| TrainReport {
                        step: p.step,
                        epoch: p.epoch,
                        loss: p.loss,
                        accuracy: p.accuracy,
                        samples_per_second: 0.0,
                        confident: None,
                        rmse: p.rmse,
                    })
                    .collect();
                self.run.eval = history
                    .valid
                    .iter()
                    .map(|p| EvalPoint {
                        step: p.step,
                        loss: p.loss,
                        accuracy: p.accuracy,
                        rmse: p.rmse,
                    })
                    .collect();
                self.notice = Some(format!(
                    "Opened {name}: the experiment, {} label{}, and the model at step {step}.",
                    labels.labels.len(),
                    if labels.labels.len() == 1 { "" } else { "s" }
                ));
                self.opened_labels = Some((labels, with_data));
                self.take_opened_labels();
            }
            FromWorker::LabelsRead(labels) => {
                let count = labels.len();
                for label in labels {
                    self.labeling
                        .give(label.id, label.class, label.source, label.value);
                }
                self.notice = Some(format!(
                    "Imported {count} label{}.",
                    if count == 1 { "" } else { "s" }
                ));
            }
            FromWorker::BudgetStarted { arms, config } => {
                self.labeling.budget = Some(BudgetView {
                    curves: vec![Vec::new(); arms.len()],
                    arms,
                    config,
                    finished: None,
                });
            }
            FromWorker::Budget(point) => {
                if let Some(budget) = &mut self.labeling.budget
                    && let Some(curve) = budget.curves.get_mut(point.arm)
                {
                    curve.push(point);
                }
            }
            FromWorker::PretrainStarted {
                samples,
                steps,
                objective,
            } => {
                self.labeling.pretrain = Some(PretrainView {
                    samples,
                    steps,
                    masked: objective == Objective::Masked,
                    losses: Vec::new(),
                    finished: None,
                });
            }
            FromWorker::PretrainLoss { step, loss } => {
                if let Some(pretrain) = &mut self.labeling.pretrain {
                    pretrain.losses.push((step, loss));
                }
            }
            FromWorker::PretrainDone { finished } => {
                if let Some(pretrain) = &mut self.labeling.pretrain {
                    pretrain.finished = Some(finished);
                }
            }
            FromWorker::StartingPoint(start) => self.labeling.starting_point = start,
            FromWorker::BudgetDone { finished } => {
                if let Some(budget) = &mut self.labeling.budget {
                    budget.finished = Some(finished);
                }
            }
            FromWorker::State(state) => self.run.state = state,
            FromWorker::Train(report) => {
                if self
                    .run
                    .train
                    .last()
                    .is_none_or(|last| last.step < report.step)
                {
                    self.run.train.push(report);
                }
            }
            FromWorker::Eval(report) => {
                if self
                    .run
                    .eval
                    .last()
                    .is_none_or(|last| last.step < report.step)
                {
                    self.run.eval.push(EvalPoint {
                        step: report.step,
                        loss: report.loss,
                        accuracy: report.accuracy,
                        rmse: report.regression.as_ref().map(|r| r.metrics.rmse),
                    });
                }
                self.run.last_eval = Some(report);
            }
            FromWorker::Cell(cell) => self.run.cell = Some(cell),
            FromWorker::Importing(progress) => {
                if let Some(importing) = &mut self.upload.importing {
                    importing.progress = Some(progress);
                }
            }
            FromWorker::Imported(summary) => {
                self.upload.importing = None;
                self.upload.partial_offer = None;
                let kind = summary.shape.kind();
                if self.experiment.dataset == DatasetId::Uploaded {
                    // The engine dropped the run on the previous upload.
                    self.forget_run();
                }
                // The same kind of data again, or the data a link's model was made for.
                let keeps_model = self.experiment.dataset == DatasetId::Uploaded
                    && match &self.upload.summary {
                        Some(upload) => upload.shape.kind() == kind,
                        None => self.experiment.model.family().fits(kind),
                    };
                if !keeps_model {
                    self.experiment = Experiment {
                        dataset: DatasetId::Uploaded,
                        model: ModelConfig::default_for_upload(kind),
                        augment: AugmentConfig::none(),
                        ..self.experiment.clone()
                    };
                }
                self.augment.preview = None;
                self.augment.comparison = None;
                self.experiment.dataset = DatasetId::Uploaded;
                if self.upload.pending == Some(summary.id) {
                    self.upload.current = self.upload.pending.take();
                    if !self.upload.pending_keeps_labels {
                        // Other files: a new book of labels, empty, replacing the old one.
                        self.labeling = LabelingState {
                            key: Some(self.experiment.labels_key()),
                            revision: self.labeling.revision + 1,
                            ..LabelingState::default()
                        };
                    }
                }
                self.upload.summary = Some(Rc::new(*summary));
            }
            FromWorker::ImportFailed { id, error } => {
                self.upload.importing = None;
                let advice = match &error {
                    ImportError::Fatal(_) => {
                        " Nothing was loaded; your current dataset and model are unchanged."
                    }
                    ImportError::Partial { .. } => {
                        " Load only the valid part, or fix the file and upload it again; until \
                         then your current dataset and model are unchanged."
                    }
                };
                self.alert = Some(format!("Upload not loaded: {error}.{advice}"));
                self.upload.partial_offer =
                    matches!(error, ImportError::Partial { .. }).then_some(id);
            }
            FromWorker::AugmentPreview(preview) => self.augment.preview = Some(preview),
            FromWorker::CompareStarted { labeled, epochs } => {
                self.augment.comparison = Some(Comparison {
                    labeled,
                    epochs,
                    points: [Vec::new(), Vec::new()],
                    finished: None,
                });
            }
            FromWorker::Compare(point) => {
                if let Some(comparison) = &mut self.augment.comparison
                    && point.run < 2
                {
                    comparison.points[point.run].push(point);
                }
            }
            FromWorker::CompareDone { finished } => {
                if let Some(comparison) = &mut self.augment.comparison {
                    comparison.finished = Some(finished);
                }
            }
            FromWorker::Notice(text) => self.notice = Some(text),
            FromWorker::Error(text) => {
                // An explain job that fails ends with this, and so does a file that does not
                // open.
                self.explain.running = None;
                self.upload.opening = None;
                self.alert = Some(text);
            }
            // Restarting an engine that crashes before it is ready would only repeat the crash.
            FromWorker::Crashed(text) if self.engine.status != EngineStatus::Ready => {
                let message = format!(
                    "The training engine crashed while starting ({text}). Reload the page to \
                     try again."
                );
                self.alert = Some(message.clone());
                self.engine.status = EngineStatus::Failed(message);
            }
            FromWorker::Crashed(text) => {
                self.alert = Some(format!(
                    "The training engine crashed ({text}). It was restarted with your settings; \
                     press Train to start again."
                ));
                self.engine.generation += 1;
                self.engine_replaced();
            }
        }
    }

    fn offer_file(&mut self, name: String, bytes: Vec<u8>) {
        let serial = self.download.as_ref().map_or(0, |d| d.0) + 1;
        self.download = Some((serial, name, Rc::new(bytes)));
    }

    /// Adds an opened file's labels to the person's book once it is read (the file's win
    /// where both label a sample; the person's other labels stay), or makes them the book
    /// when the file brought its own data.
    fn take_opened_labels(&mut self) {
        let ready = matches!(
            (&self.opened_labels, &self.labeling.key),
            (Some((book, _)), Some(key)) if *key == book.key
        );
        if !ready {
            return;
        }
        let (book, replace) = self.opened_labels.take().expect("checked");
        self.labeling.revision += 1;
        if replace {
            self.labeling.labels.clear();
            self.labeling.rejected.clear();
        }
        for label in book.labels {
            self.labeling
                .give(label.id, label.class, label.source, label.value);
        }
        for id in book.rejected {
            if !self.labeling.rejected.contains(&id) {
                self.labeling.rejected.push(id);
            }
        }
    }

    /// Forgets the run's history (the engine reports whether it goes on training).
    fn forget_run(&mut self) {
        self.explain = ExplainState::default();
        self.run.train.clear();
        self.run.eval.clear();
        self.run.last_eval = None;
        self.run.cell = None;
        self.run.info = None;
    }

    /// Forgets what the old engine reported; a new one is loading.
    fn engine_replaced(&mut self) {
        self.engine.status = EngineStatus::Loading;
        self.run.state = RunState::Paused;
        self.engine.backend = None;
        self.run.info = None;
        // A new engine starts runs from fresh weights; a pretraining in progress is gone.
        self.labeling.starting_point = None;
        if let Some(pretrain) = &mut self.labeling.pretrain
            && pretrain.finished.is_none()
        {
            pretrain.finished = Some(false);
        }
    }

    /// The engine build the chosen compute needs (`None` until the adapter question is
    /// answered, where that decides).
    pub fn engine_build(&self) -> Option<EngineBuild> {
        Some(match (&self.engine.adapter, self.compute) {
            (AdapterProbe::Pending, Compute::Auto) => return None,
            (AdapterProbe::Found(info), compute) => EngineBuild::for_compute(compute, Some(info)),
            (_, compute) => EngineBuild::for_compute(compute, None),
        })
    }

    /// The sample shape and class names of the chosen dataset (`None`: the upload is gone).
    pub fn data_shape(&self) -> Option<(DataShape, Vec<String>)> {
        match (self.experiment.dataset, &self.upload.summary) {
            (DatasetId::Builtin(dataset), _) => Some((dataset.shape(), dataset.class_names())),
            (DatasetId::Uploaded, Some(upload)) => Some((upload.shape, upload.class_names.clone())),
            (DatasetId::Uploaded, None) => None,
        }
    }

    /// Whether the chosen dataset's target is a measured value (regression), not a class.
    pub fn measured_target(&self) -> bool {
        match (self.experiment.dataset, &self.upload.summary) {
            (DatasetId::Builtin(dataset), _) => dataset.is_measured(),
            (DatasetId::Uploaded, Some(upload)) => upload.measured,
            (DatasetId::Uploaded, None) => false,
        }
    }

    /// The one-hot alphabet of the chosen dataset's letter sequences, if it has one.
    pub fn alphabet(&self) -> Option<String> {
        match (self.experiment.dataset, &self.upload.summary) {
            (DatasetId::Builtin(dataset), _) => dataset.alphabet().map(str::to_string),
            (DatasetId::Uploaded, Some(upload)) => upload.alphabet.clone(),
            (DatasetId::Uploaded, None) => None,
        }
    }

    /// The model's layer table, or why the edited model cannot be built.
    pub fn model_check(&self) -> Result<ModelSummary, String> {
        let (shape, classes) = self
            .data_shape()
            .ok_or_else(|| "Upload a dataset first.".to_string())?;
        self.experiment.validate_settings()?;
        self.experiment.model.summary(&shape, classes.len())
    }

    /// The latest step reported.
    pub fn step(&self) -> u64 {
        let train = self.run.train.last().map_or(0, |r| r.step);
        let eval = self.run.eval.last().map_or(0, |r| r.step);
        train.max(eval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(step: u64) -> FromWorker {
        FromWorker::Train(TrainReport {
            step,
            epoch: 0.0,
            loss: 1.0,
            accuracy: 0.5,
            samples_per_second: 100.0,
            confident: None,
            rmse: None,
        })
    }

    #[test]
    fn reports_build_the_history_and_a_new_run_clears_it() {
        let mut state = AppState::default();
        state.apply(Action::Engine(FromWorker::Ready));
        state.apply(Action::Engine(report(5)));
        state.apply(Action::Engine(report(5)));
        state.apply(Action::Engine(report(9)));
        assert_eq!(state.run.train.len(), 2);
        assert_eq!(state.step(), 9);
        let info = RunInfo {
            experiment: Experiment::default(),
            measured: false,
            model: state.model_check().unwrap(),
            class_names: vec![],
            train_samples: 1,
            valid_samples: 1,
            test_samples: 0,
            unlabeled_samples: 0,
            hidden_labels: false,
            steps_per_epoch: 1,
            preview: vec![],
        };
        state.apply(Action::Engine(FromWorker::RunStarted(info)));
        assert!(state.run.train.is_empty());
        assert_eq!(state.step(), 0);
    }

    #[test]
    fn choosing_a_file_keeps_the_engine() {
        let mut state = AppState {
            compute: Compute::Cpu,
            ..AppState::default()
        };
        state.apply(Action::Engine(FromWorker::Ready));
        assert_eq!(state.engine_build(), Some(EngineBuild::Cpu));
        state.apply(Action::ImportStarted {
            id: 1,
            files: vec!["table.csv".into()],
            keeps_labels: false,
        });
        state.apply(Action::OpenExperiment(2));
        assert_eq!(state.engine_build(), Some(EngineBuild::Cpu));
        assert_eq!(
            state.engine.status,
            EngineStatus::Ready,
            "the engine asks the reader"
        );
        state.apply(Action::SetCompute(Compute::WebGpu));
        assert_eq!(state.engine_build(), Some(EngineBuild::Gpu));
    }

    #[test]
    fn a_crash_alerts_and_asks_for_a_new_engine_keeping_the_settings() {
        let mut state = AppState::default();
        state.apply(Action::Engine(FromWorker::Ready));
        let mut edited = state.experiment.clone();
        edited.seed = 42;
        state.apply(Action::Edit(edited.clone()));
        state.apply(Action::Engine(FromWorker::Crashed("boom".into())));
        assert!(state.alert.as_deref().unwrap().contains("boom"));
        assert_eq!(state.engine.generation, 1);
        assert_eq!(state.engine.status, EngineStatus::Loading);
        assert_eq!(state.experiment, edited);

        // The new engine crashes before it is ready: no third engine, the page says so.
        state.apply(Action::Engine(FromWorker::Crashed("again".into())));
        assert_eq!(state.engine.generation, 1);
        assert!(matches!(&state.engine.status, EngineStatus::Failed(why) if why.contains("again")));
        assert!(state.alert.as_deref().unwrap().contains("Reload the page"));
    }

    #[test]
    fn out_of_range_settings_are_refused_and_impossible_models_explained() {
        let mut state = AppState::default();
        let mut edited = state.experiment.clone();
        edited.learning_rate = -1.0;
        state.apply(Action::Edit(edited));
        assert!(state.alert.as_deref().unwrap().contains("Learning rate"));
        assert_eq!(state.experiment, Experiment::default());

        let mut edited = state.experiment.clone();
        let crate::ml::models::ModelConfig::Cnn(cnn) = &mut edited.model else {
            panic!("the default model is a CNN");
        };
        cnn.blocks[0].kernel = 9;
        cnn.blocks[1].kernel = 9;
        cnn.blocks.push(cnn.blocks[1]);
        state.apply(Action::Edit(edited.clone()));
        assert_eq!(
            state.experiment, edited,
            "an impossible model is kept for editing"
        );
        assert!(state.model_check().unwrap_err().contains("does not fit"));
    }

    fn summary(id: u64, shape: DataShape) -> FromWorker {
        FromWorker::Imported(Box::new(UploadSummary {
            id,
            name: "table".into(),
            format: "CSV table".into(),
            files: vec!["table.csv".into()],
            shape,
            alphabet: None,
            class_names: vec!["a".into(), "b".into()],
            class_counts: vec![5, 5],
            measured: false,
            split: [6, 2, 2],
            unlabeled: 0,
            skipped: vec![],
            skipped_count: 0,
            notes: vec![],
            columns: vec![],
            options: Default::default(),
            preview: vec![],
        }))
    }

    #[test]
    fn an_upload_becomes_the_dataset_and_a_failed_one_changes_nothing() {
        use crate::ml::import::Problem;
        let mut state = AppState::default();
        state.apply(Action::ImportStarted {
            id: 1,
            files: vec!["table.csv".into()],
            keeps_labels: false,
        });
        assert!(state.upload.importing.is_some());
        state.apply(Action::Engine(summary(1, DataShape::Table { features: 4 })));
        assert!(state.upload.importing.is_none());
        assert_eq!(state.experiment.dataset, DatasetId::Uploaded);
        assert_eq!(
            state.experiment.model.family(),
            crate::ml::models::ModelFamily::Mlp
        );
        assert!(state.model_check().is_ok());
        let before = state.experiment.clone();

        state.apply(Action::ImportStarted {
            id: 2,
            files: vec!["bad.csv".into()],
            keeps_labels: false,
        });
        state.apply(Action::Engine(FromWorker::ImportFailed {
            id: 2,
            error: ImportError::Partial {
                problems: vec![Problem {
                    file: "bad.csv".into(),
                    location: "line 4".into(),
                    message: "2 fields, but the header has 3".into(),
                }],
                valid: 3,
            },
        }));
        let alert = state.alert.clone().unwrap();
        assert!(alert.contains("bad.csv, line 4"), "{alert}");
        assert_eq!(state.upload.partial_offer, Some(2));
        assert_eq!(state.experiment, before);
        assert_eq!(state.upload.id(), Some(1));
        assert_eq!(state.upload.current, Some(1));
        assert_eq!(state.upload.pending, Some(2), "kept for its valid part");

        state.apply(Action::RemoveUpload);
        assert!(state.upload.summary.is_none());
        assert_eq!(
            state.experiment.dataset,
            DatasetId::Builtin(BuiltinDataset::Shapes)
        );
        assert!(state.model_check().is_ok());
    }

    #[test]
    fn a_restart_while_training_keeps_showing_training() {
        let mut state = AppState::default();
        state.apply(Action::Engine(FromWorker::State(RunState::Running)));
        let info = RunInfo {
            experiment: Experiment::default(),
            measured: false,
            model: state.model_check().unwrap(),
            class_names: vec![],
            train_samples: 1,
            valid_samples: 1,
            test_samples: 0,
            unlabeled_samples: 0,
            hidden_labels: false,
            steps_per_epoch: 1,
            preview: vec![],
        };
        state.apply(Action::Engine(FromWorker::RunStarted(info)));
        assert_eq!(state.run.state, RunState::Running, "the engine trains on");
    }

    fn queue(ids: &[&str]) -> FromWorker {
        FromWorker::Queue(LabelQueue {
            step: 3,
            items: ids
                .iter()
                .enumerate()
                .map(|(pool_index, id)| crate::protocol::QueueItem {
                    id: id.to_string(),
                    pool_index,
                    view: SampleView::Series { values: vec![] },
                    guesses: vec![(1, 0.6), (0, 0.4)],
                    estimate: None,
                    node: None,
                })
                .collect(),
            unlabeled: 100,
            human: 0,
            pseudo: 0,
            pool_accuracy: None,
            nodes: vec![],
            unknown_labels: 0,
        })
    }

    #[test]
    fn labeling_asks_skips_undoes_and_keeps_labels_apart_from_proposals() {
        let mut state = AppState::default();
        let key = state.experiment.labels_key();
        state.apply(Action::Engine(queue(&["a", "b", "c"])));
        assert!(
            state.labeling.asked().is_some(),
            "the queue arrived before the book"
        );
        state.apply(Action::LabelsLoaded {
            key: "another book".into(),
            labels: vec![],
            rejected: vec![],
        });
        assert_eq!(
            state.labeling.key, None,
            "labels of another book are not taken"
        );
        state.apply(Action::LabelsLoaded {
            key: key.clone(),
            labels: vec![],
            rejected: vec![],
        });
        assert_eq!(state.labeling.asked().unwrap().id, "a");
        state.apply(Action::Label(2));
        assert_eq!(state.labeling.labels[0].id, "a");
        assert_eq!(state.labeling.asked().unwrap().id, "b");
        state.apply(Action::Skip);
        assert_eq!(state.labeling.asked().unwrap().id, "c");
        state.apply(Action::Label(9));
        assert_eq!(state.labeling.labels.len(), 1, "no class 9 among 4 classes");
        state.apply(Action::Label(1));
        assert_eq!(
            state.labeling.asked().unwrap().id,
            "b",
            "skipped ones come last"
        );
        state.apply(Action::Undo);
        assert_eq!(state.labeling.asked().unwrap().id, "c");
        assert_eq!(state.labeling.waiting(), 2);

        state.apply(Action::Engine(FromWorker::Proposals(Proposals {
            threshold: 0.9,
            items: ["p", "q", "a"]
                .iter()
                .map(|id| crate::protocol::ProposedLabel {
                    id: id.to_string(),
                    class: 3,
                    confidence: 0.95,
                    view: None,
                })
                .collect(),
            correct: None,
        })));
        state.apply(Action::RejectProposal("q".into()));
        state.apply(Action::AcceptProposals(None));
        let sources: Vec<(&str, u32, LabelSource)> = state
            .labeling
            .labels
            .iter()
            .map(|l| (l.id.as_str(), l.class, l.source))
            .collect();
        assert_eq!(
            sources,
            vec![("a", 2, LabelSource::Human), ("p", 3, LabelSource::Pseudo)],
            "a person's label is never replaced by a proposal; a rejected one is not taken"
        );
        assert_eq!(state.labeling.rejected, vec!["q".to_string()]);
        assert_eq!(state.labeling.count(LabelSource::Human), 1);

        // Other data: another book, empty until read.
        let mut edited = state.experiment.clone();
        edited.labeling.labels_per_class = Some(5);
        state.apply(Action::Edit(edited));
        assert_eq!(state.labeling, LabelingState::default());

        // A measured target takes values, not classes.
        let mut measured = state.experiment.clone();
        measured.dataset = crate::ml::experiment::DatasetId::Builtin(
            crate::ml::data::BuiltinDataset::MoleculeLogp,
        );
        measured.labeling.labels_per_class = None;
        state.apply(Action::Edit(measured));
        assert!(state.measured_target());
        state.apply(Action::LabelsLoaded {
            key: state.experiment.labels_key(),
            labels: vec![],
            rejected: vec![],
        });
        state.apply(Action::Engine(queue(&["m1", "m2"])));
        state.apply(Action::Label(0));
        state.apply(Action::Measure(f32::NAN));
        assert!(state.labeling.labels.is_empty(), "no class, no NaN");
        state.apply(Action::Measure(-1.5));
        let given = &state.labeling.labels[0];
        assert_eq!((given.id.as_str(), given.value), ("m1", Some(-1.5)));
        assert_eq!(state.labeling.asked().unwrap().id, "m2");
    }

    #[test]
    fn quick_changes_in_a_row_all_take_effect() {
        let mut state = AppState::default();
        state.apply(Action::Change(Change::new(|e| e.learning_rate = 0.02)));
        state.apply(Action::Change(Change::new(|e| e.seed = 7)));
        assert_eq!(
            (state.experiment.learning_rate, state.experiment.seed),
            (0.02, 7)
        );
    }

    #[test]
    fn tabs_come_from_their_fragment_name() {
        for tab in Tab::ALL {
            assert_eq!(Tab::from_id(tab.id()), Some(tab));
        }
        assert_eq!(Tab::from_id("nope"), None);
        let mut state = AppState::default();
        state.apply(Action::SetTab(Tab::Labeling));
        assert_eq!(state.tab, Tab::Labeling);
    }
}
