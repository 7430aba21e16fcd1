//! Messages between the UI and the training worker. Plain data only: no Burn types cross.
//!
//! Both directions travel as JSON strings through `postMessage`.

use crate::ml::augment::AugmentConfig;
use crate::ml::data::DataShape;
use crate::ml::experiment::{Compute, Experiment};
use crate::ml::explain::{AttributionMethod, Baseline};
use crate::ml::export::{History, LabelBook};
use crate::ml::import::{ColumnInfo, ImportError, ImportOptions, Problem, Progress, UploadFile};
use crate::ml::label::budget::{BudgetArm, BudgetConfig, BudgetPoint};
use crate::ml::label::{AssignedLabel, Part};
use crate::ml::metrics::ConfusionMatrix;
use crate::ml::models::ModelSummary;
use crate::ml::pretrain::{Objective, PretrainConfig};
use crate::ml::regression::RegressionMetrics;
use serde::{Deserialize, Serialize};

/// UI → worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToWorker {
    /// Use this experiment. Learning rate and batch size apply to a run in progress; any other
    /// change starts a new run (reported with [`FromWorker::RunStarted`]).
    Configure(Experiment),
    /// Choose where tensors live; a change of backend starts a new run.
    SetCompute(Compute),
    /// On the CPU, learn on at most this many threads (0: every thread the engine has), from
    /// the next step on.
    SetCpuThreads(usize),
    /// Train until paused.
    Start,
    /// Stop after the current step and evaluate.
    Pause,
    /// Train on one batch, then evaluate.
    Step,
    /// Start the run again from freshly initialised weights (same seed).
    Reset,
    /// Send the validation samples whose true class is `truth` and predicted class is
    /// `predicted` at the last evaluation (a confusion-matrix cell).
    ShowCell {
        truth: u32,
        predicted: u32,
    },
    /// Send validation sample `index` with its measured and predicted value at the last
    /// evaluation (a point of the predicted-against-measured plot).
    ShowPoint {
        index: usize,
    },
    /// Read uploaded files as the dataset [`crate::ml::experiment::DatasetId::Uploaded`].
    /// Answered with [`FromWorker::Imported`] or [`FromWorker::ImportFailed`] (then the
    /// current dataset and run are untouched). The files' bytes travel beside the JSON.
    Import {
        /// Chosen by the UI; echoed in the answer.
        id: u64,
        files: Vec<UploadFile>,
        options: ImportOptions,
    },
    /// Draw a few training samples of the current dataset, each as it is and augmented with
    /// `config` as training steps `0..versions` of a run seeded `seed` would see them.
    PreviewAugment {
        config: AugmentConfig,
        seed: u64,
    },
    /// Train two runs of the current experiment on its first `labeled` training samples for
    /// `epochs` epochs, one with each augmentation, side by side (same data, split, seed and
    /// initial weights). Training pauses meanwhile; Pause stops the comparison.
    Compare {
        runs: [AugmentConfig; 2],
        labeled: usize,
        epochs: usize,
    },
    /// The labels a person gave to samples of the dataset whose labels are kept under `key`
    /// ([`Experiment::labels_key`]), and the pseudo-labels they rejected. The whole set each
    /// time; ignored while the engine's dataset has another key.
    SetLabels {
        key: String,
        labels: Vec<AssignedLabel>,
        rejected: Vec<String>,
    },
    /// Score the unlabeled pool and send the labeling queue and pseudo-label proposals.
    Score,
    /// Report accuracy on the held-out test part.
    EvaluateTest,
    /// Send a CSV of every sample's prediction ([`FromWorker::Download`]).
    ExportPredictions,
    /// Send the assigned labels as a CSV ([`FromWorker::Download`]).
    ExportLabels,
    /// Read a labels CSV (`id,label,source`) against the current dataset; answered with
    /// [`FromWorker::LabelsRead`], or an error naming the lines (then nothing changes).
    ImportLabels {
        file: String,
        text: String,
    },
    /// Run the label-budget experiment on the current built-in dataset (Pause cancels it).
    RunBudget(BudgetConfig),
    /// Explain `sample` for `class` (the predicted class when `None`) with `method`. Training
    /// pauses; Pause cancels.
    Explain {
        sample: SampleRef,
        class: Option<u32>,
        method: AttributionMethod,
        baseline: Baseline,
    },
    /// Draw the inside of the model for `sample`: each layer's activations.
    Activations {
        sample: SampleRef,
    },
    /// A Transformer's attention over `sample`: every layer and head, and the rollout
    /// ([`FromWorker::Attention`]).
    Attention {
        sample: SampleRef,
    },
    /// Send the first conv layer's kernels ([`FromWorker::Filters`]).
    Filters,
    /// Project the penultimate embeddings of the validation set (or, with `every_sample`, of
    /// every sample: training, validation, test and the unlabeled pool) to the plane.
    Project {
        method: Projection,
        every_sample: bool,
    },
    /// Linear CKA between the model's layers and the layers of what `against` names, on
    /// validation samples.
    CompareLayers {
        against: LayersAgainst,
    },
    /// Score every method against the built-in dataset's true regions on `samples`
    /// validation samples, then the randomised-model check.
    CheckAttributions {
        samples: usize,
    },
    /// Panic inside the engine on purpose: lets tests check crash recovery.
    /// Offer the trained model as a safetensors file ([`FromWorker::File`]).
    ExportModel,
    /// Offer the experiment as a `.petri` file, with the uploaded files if `include_data`.
    ExportExperiment {
        include_data: bool,
    },
    /// Open a `.petri` file (its bytes travel beside the JSON, as an upload's do); an upload
    /// in it becomes upload `id`.
    OpenExperiment {
        id: u64,
        file: UploadFile,
    },
    Crash,
    /// Pretrain the model's encoder on every sample without labels ([`PretrainConfig`]);
    /// the run then starts from it with a new head. Training pauses; Pause cancels.
    Pretrain(PretrainConfig),
    /// Start runs from the encoder in a model file or `.petri` file of the same kind of data
    /// (its bytes travel beside the JSON); tensors are matched by name and shape.
    StartFromFile {
        file: UploadFile,
    },
    /// Start runs from freshly initialised weights again.
    StartFromScratch,
}

/// Weights a run starts from besides a fresh initialisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StartingPoint {
    /// Where they came from ("pretrained without labels on 2,400 samples, 300 steps").
    pub origin: String,
    /// What the current run took from them ([`crate::ml::pretrain::Transfer::describe`]).
    pub taken: String,
    /// How many tensors the current run took.
    pub loaded: usize,
}

/// How embeddings are laid out in the plane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Projection {
    /// The first two principal components.
    Pca,
    /// t-SNE, run in steps with progress.
    Tsne,
}

impl Projection {
    pub fn title(self) -> &'static str {
        match self {
            Projection::Pca => "PCA",
            Projection::Tsne => "t-SNE",
        }
    }
}

/// A sample of the run's data: its part and its index there (the training part holds every
/// sample labeled since; the pool every sample that came without a label).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleRef {
    pub part: Part,
    pub index: usize,
}

impl SampleRef {
    /// Validation sample `index`.
    pub fn valid(index: usize) -> Self {
        Self {
            part: Part::Valid,
            index,
        }
    }

    /// How it is named to a person ("validation sample 3").
    pub fn describe(self) -> String {
        let part = match self.part {
            Part::Train => "training",
            Part::Valid => "validation",
            Part::Test => "test",
            Part::Pool => "pool",
        };
        format!("{part} sample {}", self.index)
    }
}

/// Where a sample's label came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LabelOrigin {
    /// It came with the data.
    Data,
    /// A person labeled it.
    Human,
    /// A person accepted the model's proposal.
    Pseudo,
    /// It has none yet.
    Unlabeled,
}

impl LabelOrigin {
    pub const ALL: [LabelOrigin; 4] = [
        LabelOrigin::Data,
        LabelOrigin::Human,
        LabelOrigin::Pseudo,
        LabelOrigin::Unlabeled,
    ];

    pub fn title(self) -> &'static str {
        match self {
            LabelOrigin::Data => "From the data",
            LabelOrigin::Human => "Labeled by a person",
            LabelOrigin::Pseudo => "Accepted proposal",
            LabelOrigin::Unlabeled => "Unlabeled",
        }
    }
}

/// An attribution map of one sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttributionView {
    pub sample: SampleRef,
    /// Its label ([`crate::ml::data::NO_LABEL`] when it has none).
    pub label: u32,
    /// The model's prediction and its probability.
    pub prediction: (u32, f32),
    /// The class whose score is explained.
    pub class: u32,
    /// A measured target: the predicted value and the measured one (if the sample has it),
    /// in the target's units; the attribution is of the predicted value.
    pub value: Option<(f32, Option<f32>)>,
    pub method: AttributionMethod,
    /// The sample drawn.
    pub view: SampleView,
    /// Where the signal truly is (built-in datasets): one flag per point, or empty.
    pub region: Vec<bool>,
    /// One value per point (pixel, position, node, feature); travels as a typed array.
    #[serde(skip)]
    pub points: Vec<f32>,
    /// Graphs: one value per edge of the view's drawing (see `Attribution::edges`), else
    /// empty; travels as a typed array.
    #[serde(skip)]
    pub edges: Vec<f32>,
    pub milliseconds: f64,
}

/// A model's attention over one sample: a Transformer's over a sequence's tokens, or a GAT's
/// over a graph's edges.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttentionView {
    pub sample: SampleRef,
    /// The sample drawn (a sequence's letters, a graph).
    pub view: SampleView,
    pub layers: usize,
    /// Transformers: heads per layer (a GAT has one).
    pub heads: usize,
    /// Transformers: real tokens, the class token (first) counted.
    pub tokens: usize,
    pub class_token: bool,
    /// Transformers: positions each token reads (its k-mer), and from one token to the next.
    pub kmer: usize,
    pub stride: usize,
    /// Where the signal truly is (built-in datasets): one flag per position or node, or empty.
    pub region: Vec<bool>,
    /// Transformers: `[layers, heads, tokens, tokens]`, rows the queries. GATs: `[layers,
    /// edges]`, each edge of the drawing's mean attention over its two directions. Travels as
    /// a typed array.
    #[serde(skip)]
    pub weights: Vec<f32>,
    /// Transformers: the rollout read where the head reads, one value per position. GATs:
    /// `[layers, nodes]`, the attention each node receives from its neighbours. Travels as a
    /// typed array.
    #[serde(skip)]
    pub rollout: Vec<f32>,
}

/// One layer's activations for one sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerActivations {
    pub name: String,
    /// `[maps, rows, columns]`.
    pub layout: [usize; 3],
    /// Travels as a typed array.
    #[serde(skip)]
    pub values: Vec<f32>,
}

/// Embeddings in the plane.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectionView {
    pub method: Projection,
    /// Each point's sample, label ([`crate::ml::data::NO_LABEL`]: none), where the label came
    /// from, and predicted class.
    pub samples: Vec<SampleRef>,
    pub truth: Vec<u32>,
    pub sources: Vec<LabelOrigin>,
    pub predicted: Vec<u32>,
    /// x, y per point; travels as a typed array.
    #[serde(skip)]
    pub xy: Vec<f32>,
    /// PCA: the share of the variance each axis explains.
    pub explained: Option<[f32; 2]>,
}

/// The first conv layer's kernels: `filters` of `channels × kernel` (× `kernel` for images)
/// values each; `alphabet` for letter sequences (a logo each).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FilterKernels {
    pub filters: usize,
    pub channels: usize,
    pub kernel: usize,
    /// Image kernels (`kernel × kernel`), else sequence kernels (`kernel` positions).
    pub image: bool,
    pub alphabet: Option<String>,
    /// Travels as a typed array.
    #[serde(skip)]
    pub values: Vec<f32>,
}

/// What a model's layers are compared with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LayersAgainst {
    /// Its own layers.
    #[default]
    Itself,
    /// The same model at the checkpoint of this step.
    Checkpoint(u64),
    /// The augmentation comparison's two runs: the run with augmentation (rows) against the
    /// run without (columns).
    AugmentationRuns,
}

/// Linear CKA between the model's layers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerSimilarity {
    pub layers: Vec<String>,
    /// Row-major, `layers × layers`: rows the model now (or the run with augmentation),
    /// columns what it is compared with.
    pub cka: Vec<f32>,
    pub samples: usize,
    /// The step of the model now.
    pub step: u64,
    pub against: LayersAgainst,
    /// The steps of the checkpoints kept in this run.
    pub checkpoints: Vec<u64>,
}

/// One method's agreement with the true regions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckRow {
    pub method: String,
    /// Means over the samples scored, as fractions.
    pub inside: f32,
    pub region_share: f32,
    pub pointing: f32,
    /// The maps scored.
    pub samples: usize,
    /// The maps with no positive attribution to place, left out of the means.
    pub unscored: usize,
}

/// The randomised-model check for one method: the rank correlation of its maps with the
/// trained model's after each step of re-initialisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RandomisedRow {
    pub method: String,
    pub correlation: Vec<f32>,
    /// Maps that stay alike (correlation above 0.5 with every layer re-initialised).
    pub suspect: bool,
}

/// The sanity checks of the attribution methods.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttributionCheck {
    /// Against the true regions; empty when the data has none (see `no_truth`).
    pub rows: Vec<CheckRow>,
    /// Why there is no ground truth (uploads, data whose signal has no place).
    pub no_truth: Option<String>,
    /// What was re-initialised at each step of the randomised-model check, head first.
    pub steps: Vec<String>,
    pub randomised: Vec<RandomisedRow>,
    pub randomised_samples: usize,
}

/// The compute backend in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Backend {
    /// The browser's WebGPU adapter.
    WebGpu,
    /// Burn's Flex backend on the CPU.
    Cpu,
}

impl Backend {
    /// The name shown in the status line.
    pub fn title(self) -> &'static str {
        match self {
            Backend::WebGpu => "WebGPU",
            Backend::Cpu => "CPU",
        }
    }
}

/// What the browser says about its WebGPU adapter (found without loading the engine).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdapterInfo {
    /// Vendor, architecture and description, for the status line.
    pub name: String,
    /// A software rasteriser or fallback adapter: far slower than the CPU engine.
    pub software: bool,
}

/// The builds of the engine. The UI loads the one the chosen compute needs, so a page
/// without a usable GPU never downloads the WebGPU backend. Neither reads files: both ask the
/// `reader` worker, so a page whose user chose no file never downloads the readers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EngineBuild {
    /// Burn's Flex backend only: the first download.
    Cpu,
    /// Flex and Burn's WebGPU backend.
    Gpu,
}

impl EngineBuild {
    /// The build for `compute`, given the adapter the browser offers (`None`: none).
    pub fn for_compute(compute: Compute, adapter: Option<&AdapterInfo>) -> Self {
        match compute {
            Compute::Cpu => EngineBuild::Cpu,
            Compute::WebGpu => EngineBuild::Gpu,
            Compute::Auto => match adapter {
                Some(adapter) if !adapter.software => EngineBuild::Gpu,
                _ => EngineBuild::Cpu,
            },
        }
    }
}

/// Whether the engine is training.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunState {
    /// Not training.
    #[default]
    Paused,
    /// Training continuously.
    Running,
}

/// One sample drawn for the user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SampleView {
    /// An image; `pixels` holds `channels × height × width` bytes.
    Image {
        channels: usize,
        height: usize,
        width: usize,
        pixels: Vec<u8>,
    },
    /// A letter sequence (DNA, protein), drawn as a coloured strip.
    Letters { alphabet: String, letters: String },
    /// A numeric series (its first channel), drawn as a line.
    Series { values: Vec<f32> },
    /// A table row: each feature's name and value.
    Row {
        names: Vec<String>,
        values: Vec<f32>,
    },
    /// A small graph (a molecule): node positions in the unit square, edges, and each
    /// node's type (an index into `type_names`) for colour.
    Graph {
        positions: Vec<(f32, f32)>,
        edges: Vec<[u32; 2]>,
        /// Each edge's bond order for molecules (see `Graph::bonds`), else empty.
        bonds: Vec<u8>,
        node_types: Vec<u32>,
        type_names: Vec<String>,
    },
    /// A whole graph whose nodes are the samples: each node's true and (once evaluated)
    /// predicted class, and the nodes to emphasise (validation nodes, or a selection).
    Network {
        positions: Vec<(f32, f32)>,
        edges: Vec<[u32; 2]>,
        truth: Vec<u32>,
        predicted: Option<Vec<u32>>,
        highlight: Vec<bool>,
    },
}

/// A sample with its label and, after evaluation, the model's prediction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GalleryItem {
    /// Index in its split.
    pub index: usize,
    /// True class.
    pub label: u32,
    /// Predicted class and its probability, if the model has seen it.
    pub prediction: Option<(u32, f32)>,
    /// The sample itself.
    pub view: SampleView,
    /// Measured targets: the sample's value (NaN when unknown) and, if the model has seen it,
    /// the predicted one, in the target's units.
    #[serde(default)]
    pub value: Option<(f32, Option<f32>)>,
}

/// Training metrics over the steps since the last report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    pub step: u64,
    pub epoch: f64,
    pub loss: f64,
    pub accuracy: f64,
    /// Training throughput since the last report.
    pub samples_per_second: f64,
    /// With consistency training: the share of unlabeled samples confident enough to learn.
    #[serde(default)]
    pub confident: Option<f64>,
    /// Measured targets: the root mean squared error, in the target's units.
    #[serde(default)]
    pub rmse: Option<f64>,
}

/// One pass over the validation set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    pub step: u64,
    pub epoch: f64,
    pub loss: f64,
    pub accuracy: f64,
    /// A few validation samples with predictions.
    pub gallery: Vec<GalleryItem>,
    pub confusion: ConfusionMatrix,
    /// Measured targets: the metrics and every validation sample's point.
    #[serde(default)]
    pub regression: Option<RegressionView>,
}

/// How the predicted values of the validation samples match their measurements.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegressionView {
    pub metrics: RegressionMetrics,
    /// Each validation sample's measured and predicted value, in the target's units, in
    /// sample order (measured NaN where unknown).
    pub points: Vec<(f32, f32)>,
}

/// What a new run trains on and with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub experiment: Experiment,
    pub model: ModelSummary,
    pub class_names: Vec<String>,
    /// The target is a measured value (named `class_names[0]`), not a class.
    #[serde(default)]
    pub measured: bool,
    pub train_samples: usize,
    pub valid_samples: usize,
    /// Held-out test samples (0 when the dataset has none).
    pub test_samples: usize,
    /// Samples without a label (the labeling pool).
    pub unlabeled_samples: usize,
    /// Whether the pool's labels are known to Petri (built-in datasets with hidden labels).
    pub hidden_labels: bool,
    pub steps_per_epoch: usize,
    /// A few training samples to show in the data panel.
    pub preview: Vec<GalleryItem>,
}

/// The validation samples of one confusion-matrix cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellSamples {
    pub truth: u32,
    pub predicted: u32,
    /// How many samples the cell holds (at most a few are sent).
    pub count: usize,
    pub items: Vec<GalleryItem>,
}

/// What the engine read from an upload: the dataset inspector's contents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UploadSummary {
    pub id: u64,
    /// The dataset's name (from the main file).
    pub name: String,
    /// The format recognised, in words.
    pub format: String,
    /// The uploaded files' names.
    pub files: Vec<String>,
    pub shape: DataShape,
    /// The one-hot alphabet of letter sequences.
    pub alphabet: Option<String>,
    pub class_names: Vec<String>,
    /// Labeled samples per class.
    pub class_counts: Vec<usize>,
    /// The target is a measured value (named `class_names[0]`), not a class.
    #[serde(default)]
    pub measured: bool,
    /// Training, validation and held-out test samples (seeded, stratified).
    pub split: [usize; 3],
    /// Samples without a label, kept for labeling.
    pub unlabeled: usize,
    /// The first records left out, and why.
    pub skipped: Vec<Problem>,
    /// How many records were left out in all.
    pub skipped_count: usize,
    /// How the files were read, in sentences.
    pub notes: Vec<String>,
    /// Tables: every column.
    pub columns: Vec<ColumnInfo>,
    /// The options used, label and feature columns filled in.
    pub options: ImportOptions,
    /// A few samples to show.
    pub preview: Vec<GalleryItem>,
}

/// Training samples and their augmented versions, as asked with [`ToWorker::PreviewAugment`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AugmentPreview {
    pub seed: u64,
    /// One row per sample: the sample as it is, then its augmented versions.
    pub rows: Vec<Vec<SampleView>>,
    /// Each sample's class.
    pub labels: Vec<u32>,
    /// Training samples in the dataset (the most a comparison can use).
    pub training_samples: usize,
}

/// A validation result of one run of a comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComparePoint {
    /// Which run (0 or 1, in the order asked).
    pub run: usize,
    pub epoch: usize,
    pub loss: f64,
    pub accuracy: f64,
}

/// The model's top guesses for a sample: `(class, probability)`, most probable first.
pub type Guesses = Vec<(u32, f32)>;

/// An unlabeled sample to ask about.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueItem {
    pub id: String,
    /// Its index in the pool.
    pub pool_index: usize,
    /// The sample drawn large (for nodes: the graph with the node emphasised).
    pub view: SampleView,
    pub guesses: Guesses,
    /// A measured target: the predicted value instead of guesses.
    pub estimate: Option<Estimate>,
    /// Node datasets: the node in the graph.
    pub node: Option<u32>,
}

/// A predicted value of a measured target, in its units.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub value: f32,
    /// Its standard deviation under MC dropout (`None`: the model has no dropout).
    pub spread: Option<f32>,
}

/// The labeling queue: the pool scored by the query strategy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelQueue {
    /// The step of the model that scored the pool.
    pub step: u64,
    /// The samples to ask about, first first.
    pub items: Vec<QueueItem>,
    /// Samples still without a label.
    pub unlabeled: usize,
    /// Samples a person labeled, and accepted pseudo-labels.
    pub human: usize,
    pub pseudo: usize,
    /// Built-in datasets with hidden labels: the model's accuracy on the pool's true labels.
    pub pool_accuracy: Option<f64>,
    /// Node datasets: every node of the pool with its id and, while unlabeled, the model's
    /// guesses, so a person can pick one in the graph.
    pub nodes: Vec<(u32, String, Guesses)>,
    /// Stored labels naming samples this dataset does not have (kept, but unused).
    pub unknown_labels: usize,
}

/// A pseudo-label proposal shown to the user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProposedLabel {
    pub id: String,
    pub class: u32,
    pub confidence: f32,
    /// Drawn for the first few of each class only.
    pub view: Option<SampleView>,
}

/// The unlabeled samples whose prediction passes the confidence threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Proposals {
    pub threshold: f32,
    /// Every proposal, grouped by class (classes in order), most confident first.
    pub items: Vec<ProposedLabel>,
    /// Built-in datasets with hidden labels: how many proposals are right.
    pub correct: Option<usize>,
}

/// Accuracy on the held-out test part.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestReport {
    pub step: u64,
    pub samples: usize,
    pub loss: f64,
    pub accuracy: f64,
    /// Measured targets: RMSE, MAE and R² on the test part.
    #[serde(default)]
    pub regression: Option<RegressionMetrics>,
}

/// Worker → UI.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// The engine is loaded and listening.
    Ready,
    /// The backend now in use, and why it was chosen.
    Backend { backend: Backend, reason: String },
    /// A new run started (step 0).
    RunStarted(RunInfo),
    /// The engine started or stopped training.
    State(RunState),
    /// Training metrics.
    Train(TrainReport),
    /// Validation metrics.
    Eval(EvalReport),
    /// The samples of a confusion-matrix cell, as asked with [`ToWorker::ShowCell`].
    Cell(CellSamples),
    /// How far reading an upload has got.
    Importing(Progress),
    /// An upload was read; it is now the uploaded dataset.
    Imported(Box<UploadSummary>),
    /// An upload could not be read; nothing changed.
    ImportFailed { id: u64, error: ImportError },
    /// The augmentation preview asked for.
    AugmentPreview(AugmentPreview),
    /// A comparison started: how many labeled samples each run trains on.
    CompareStarted { labeled: usize, epochs: usize },
    /// One run of the comparison finished an epoch.
    Compare(ComparePoint),
    /// The comparison ended; `finished` is false when it was stopped early.
    CompareDone { finished: bool },
    /// How far a long job has got (`what` says which: scoring, exporting, the budget
    /// experiment); `done == total` ends it.
    Progress {
        what: String,
        done: usize,
        total: usize,
    },
    /// The labeling queue after scoring the pool.
    Queue(LabelQueue),
    /// Pseudo-label proposals at the current threshold.
    Proposals(Proposals),
    /// Accuracy on the held-out test part, as asked with [`ToWorker::EvaluateTest`].
    Test(TestReport),
    /// A file for the user to save.
    Download { name: String, text: String },
    /// A labels file was read: these labels, by id.
    LabelsRead(Vec<AssignedLabel>),
    /// The label-budget experiment started, with these curves.
    BudgetStarted {
        arms: Vec<BudgetArm>,
        config: BudgetConfig,
    },
    /// One evaluation of one curve.
    Budget(BudgetPoint),
    /// The label-budget experiment ended; `finished` is false when it was cancelled.
    BudgetDone { finished: bool },
    /// An attribution map, as asked with [`ToWorker::Explain`].
    Attribution(Box<AttributionView>),
    /// Each layer's activations for one sample, as asked with [`ToWorker::Activations`].
    Activations {
        sample: SampleRef,
        layers: Vec<LayerActivations>,
    },
    /// Attention maps, as asked with [`ToWorker::Attention`].
    Attention(Box<AttentionView>),
    /// The first conv layer's kernels, as asked with [`ToWorker::Filters`].
    Filters(FilterKernels),
    /// Embeddings in the plane; t-SNE sends a few of these while it runs (`finished` false).
    Projection {
        view: Box<ProjectionView>,
        finished: bool,
    },
    /// Linear CKA between the model's layers.
    LayerSimilarity(LayerSimilarity),
    /// The sanity checks' table, filled as they run (`finished` false until the end).
    Check {
        check: Box<AttributionCheck>,
        finished: bool,
    },
    /// An explain job was cancelled.
    ExplainCancelled,
    /// Pretraining by `objective` began on `samples` samples for `steps` steps.
    PretrainStarted {
        samples: usize,
        steps: usize,
        objective: Objective,
    },
    /// The mean loss (contrastive or masked prediction) of the pretraining steps up to `step`.
    PretrainLoss { step: u64, loss: f64 },
    /// Pretraining ended; `finished` is false when it was cancelled (the run is unchanged).
    PretrainDone { finished: bool },
    /// What runs start from: `None` for freshly initialised weights.
    StartingPoint(Option<StartingPoint>),
    /// A binary file for the user to save (its bytes travel beside the JSON).
    File {
        name: String,
        #[serde(skip)]
        bytes: Vec<u8>,
    },
    /// The uploaded files an opened `.petri` file brought (their bytes travel beside the
    /// JSON), for the UI to keep as the upload `id` that [`FromWorker::Imported`] then reports.
    UploadFiles {
        id: u64,
        files: Vec<UploadFile>,
        options: ImportOptions,
    },
    /// A `.petri` file was opened: the run now is its experiment at `step`, with these labels
    /// and curves (a run follows with [`FromWorker::RunStarted`] before this).
    ExperimentOpened {
        name: String,
        experiment: Experiment,
        labels: LabelBook,
        history: History,
        step: u64,
        /// The file held the uploaded data, which is now the upload (with its own labels).
        with_data: bool,
    },
    /// Something the user should know that is not an error (e.g. a restart).
    Notice(String),
    /// A request could not be carried out; nothing else changed.
    Error(String),
    /// The engine panicked; the UI replaces it.
    Crashed(String),
}

impl ToWorker {
    /// Encodes for `postMessage`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("protocol messages always serialise")
    }

    /// Decodes a message from the UI.
    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("bad message to the engine: {e}"))
    }
}

impl FromWorker {
    /// The large arrays that travel beside the JSON as typed arrays, in a fixed order.
    pub fn arrays_mut(&mut self) -> Vec<&mut Vec<f32>> {
        match self {
            FromWorker::Attribution(view) => vec![&mut view.points, &mut view.edges],
            FromWorker::Activations { layers, .. } => {
                layers.iter_mut().map(|l| &mut l.values).collect()
            }
            FromWorker::Projection { view, .. } => vec![&mut view.xy],
            FromWorker::Filters(kernels) => vec![&mut kernels.values],
            FromWorker::Attention(view) => vec![&mut view.weights, &mut view.rollout],
            _ => Vec::new(),
        }
    }

    /// The file bytes this message carries beside its JSON.
    pub fn bytes_mut(&mut self) -> Vec<&mut Vec<u8>> {
        match self {
            FromWorker::File { bytes, .. } => vec![bytes],
            FromWorker::UploadFiles { files, .. } => {
                files.iter_mut().map(|f| &mut f.bytes).collect()
            }
            _ => Vec::new(),
        }
    }

    /// Encodes for `postMessage`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("protocol messages always serialise")
    }

    /// Decodes a message from the worker.
    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("bad message from the engine: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_through_json() {
        let to = ToWorker::Configure(Experiment::default());
        assert_eq!(ToWorker::from_json(&to.to_json()).unwrap(), to);
        let from = FromWorker::Backend {
            backend: Backend::Cpu,
            reason: "no adapter".into(),
        };
        assert_eq!(FromWorker::from_json(&from.to_json()).unwrap(), from);
        assert!(ToWorker::from_json("{\"Nope\":1}").is_err());
    }

    #[test]
    fn large_arrays_leave_the_json_and_come_back() {
        let mut message = FromWorker::Activations {
            sample: SampleRef::valid(3),
            layers: vec![LayerActivations {
                name: "conv 1".into(),
                layout: [2, 1, 2],
                values: vec![1.0, 2.0, 3.0, 4.0],
            }],
        };
        let arrays: Vec<Vec<f32>> = message
            .arrays_mut()
            .into_iter()
            .map(std::mem::take)
            .collect();
        let text = message.to_json();
        assert!(!text.contains("3.0"), "{text}");
        let mut back = FromWorker::from_json(&text).unwrap();
        for (slot, array) in back.arrays_mut().into_iter().zip(arrays) {
            *slot = array;
        }
        let FromWorker::Activations { layers, .. } = back else {
            panic!("not activations")
        };
        assert_eq!(layers[0].values, vec![1.0, 2.0, 3.0, 4.0]);
    }
}
