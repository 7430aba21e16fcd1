//! Training with burn-train's learner: the command line's `--devices N`, Burn's distributed
//! data-parallel strategy (a replica of the model per device, each learning from its own
//! batches, gradients all-reduced after every backward pass). The batches, the loss and the
//! optimizer are the page's ([`BatchSource`], [`step_loss`], [`optimizer_of`]); one step here
//! is one batch on every device, so N devices learn from N batches a step.
//!
//! Burn 0.22 all-reduces only on CUDA (NCCL); its CPU and WGPU backends have no collective
//! operations ("Distributed operations are not supported for device Flex"). The same learner
//! runs on one device of any backend with [`Strategy::Single`] (the native tests do, on the
//! CPU).

use super::data::Samples;
use super::models::{Model, ModelInput};
use super::rng::{Stream, rng};
use super::session::BatchSource;
use super::train::{StepLoss, StepTensors, optimizer_of, step_loss};
use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::InMemDataset;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::prelude::*;
use burn::tensor::distributed::{DistributedConfig, ReduceOperation};
use burn::train::logger::{EvaluationProgressLogger, TrainingProgressLogger};
use burn::train::metric::{
    AccuracyMetric, LossMetric, Metric, MetricDefinition, MetricId, NumericEntry,
};
use burn::train::renderer::{
    EvaluationName, MetricState, MetricsRenderer, MetricsRendererEvaluation,
    MetricsRendererTraining,
};
use burn::train::{
    ClassificationOutput, ExecutionStrategy, InferenceStep, Learner, SupervisedTraining,
    TrainOutput, TrainStep,
};
use rand::seq::SliceRandom;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Sender;

/// Where the learner runs.
#[derive(Clone, Debug)]
pub enum Strategy {
    /// One device (any backend).
    Single(Device),
    /// Burn's distributed data parallel over these devices (CUDA), gradients averaged.
    DataParallel(Vec<Device>),
}

impl Strategy {
    /// How many devices learn at once.
    pub fn devices(&self) -> usize {
        match self {
            Strategy::Single(_) => 1,
            Strategy::DataParallel(devices) => devices.len(),
        }
    }
}

/// One step as the learner reports it: the mean loss and accuracy (0 to 1) of its batches,
/// one per device.
#[derive(Clone, Debug, PartialEq)]
pub struct StepReport {
    /// Steps of the run done, this one included.
    pub step: u64,
    pub loss: f64,
    pub accuracy: f64,
}

/// A training step's tensors as the learner sees them.
impl TrainStep for Model {
    type Input = StepTensors;
    type Output = ClassificationOutput;

    fn step(&self, tensors: StepTensors) -> TrainOutput<ClassificationOutput> {
        let labels = tensors.labels().clone();
        let StepLoss { loss, logits, .. } = step_loss(self, tensors);
        let grads = loss.backward();
        TrainOutput::new(
            self,
            grads,
            ClassificationOutput::new(loss.detach(), logits.detach(), labels),
        )
    }
}

/// A validation batch: the model's input and each sample's class.
#[derive(Clone, Debug)]
pub struct ValidTensors {
    input: ModelInput,
    labels: Tensor<1, Int>,
}

impl InferenceStep for Model {
    type Input = ValidTensors;
    type Output = ClassificationOutput;

    fn step(&self, tensors: ValidTensors) -> ClassificationOutput {
        let logits = self.head(self.embed(&tensors.input));
        let loss = CrossEntropyLossConfig::new()
            .init(&logits.device())
            .forward(logits.clone(), tensors.labels.clone());
        ClassificationOutput::new(loss, logits, tensors.labels)
    }
}

/// Training batches: the page's, numbered from the run's step so that augmentation draws
/// differ from batch to batch.
struct TrainBatcher {
    source: BatchSource,
    classes: usize,
    next_step: AtomicU64,
}

impl Batcher<usize, StepTensors> for TrainBatcher {
    fn batch(&self, indices: Vec<usize>, device: &Device) -> StepTensors {
        let step = self.next_step.fetch_add(1, Ordering::Relaxed);
        let batch = self.source.labeled_batch(&indices, step);
        let unlabeled = self.source.uses_consistency().then(|| {
            let seed = self.source.experiment().seed ^ step;
            let mut draws = rng(seed, Stream::Unlabeled);
            self.source
                .consistency_batches(batch.len(), &mut draws, step)
        });
        let consistency = unlabeled
            .as_ref()
            .map(|(weak, strong)| self.source.consistency(weak, strong));
        StepTensors::new(&batch, consistency, self.classes, device)
            .with_head_only(self.source.experiment().head_only)
    }
}

struct ValidBatcher {
    source: BatchSource,
}

impl Batcher<usize, ValidTensors> for ValidBatcher {
    fn batch(&self, indices: Vec<usize>, device: &Device) -> ValidTensors {
        let samples: &Samples = &self.source.dataset().valid;
        let batch = self.source.model_batch(samples, &indices);
        ValidTensors {
            input: ModelInput::from_batch(&batch.input, device),
            labels: Tensor::from_data(
                TensorData::new(batch.targets.clone(), [batch.len()]),
                device,
            ),
        }
    }
}

/// The learner's metrics a [`Reporter`] reads.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Reported {
    Loss,
    /// In percent.
    Accuracy,
}

/// Passes the learner's per-batch metrics on as a [`StepReport`] per step, and draws nothing.
struct Reporter {
    reports: Sender<StepReport>,
    /// The metrics it reads, by id.
    metrics: HashMap<MetricId, Reported>,
    /// Every device reports each of its batches: a step is `devices` batches.
    devices: usize,
    /// Summed loss and accuracy (0 to 1) of the current step's batches so far, and how many.
    losses: (f64, usize),
    accuracies: (f64, usize),
    step: u64,
}

impl Reporter {
    fn new(reports: Sender<StepReport>, devices: usize, first_step: u64) -> Self {
        Self {
            reports,
            metrics: HashMap::new(),
            devices,
            losses: (0.0, 0),
            accuracies: (0.0, 0),
            step: first_step,
        }
    }
}

impl MetricsRendererTraining for Reporter {
    fn update_train(&mut self, state: MetricState) {
        let MetricState::Numeric(entry, Some(numeric)) = state else {
            return;
        };
        let value = match numeric {
            NumericEntry::Value(v) | NumericEntry::Final(v) => v,
            NumericEntry::Aggregated {
                aggregated_value, ..
            } => aggregated_value,
        };
        match self.metrics.get(&entry.metric_id) {
            Some(Reported::Loss) => self.losses = (self.losses.0 + value, self.losses.1 + 1),
            Some(Reported::Accuracy) => {
                self.accuracies = (self.accuracies.0 + value / 100.0, self.accuracies.1 + 1)
            }
            None => return,
        }
        if self.losses.1 == self.devices && self.accuracies.1 == self.devices {
            self.step += 1;
            let n = self.devices as f64;
            let _ = self.reports.send(StepReport {
                step: self.step,
                loss: self.losses.0 / n,
                accuracy: self.accuracies.0 / n,
            });
            self.losses = (0.0, 0);
            self.accuracies = (0.0, 0);
        }
    }

    fn update_valid(&mut self, _state: MetricState) {}
}

impl MetricsRendererEvaluation for Reporter {
    fn update_test(&mut self, _name: EvaluationName, _state: MetricState) {}
}

impl TrainingProgressLogger for Reporter {
    fn start(&mut self, _: usize, _: usize, _: Option<usize>, _: Option<&str>) {}
    fn update_epoch(&mut self, _: usize) {}
    fn start_split(&mut self, _: &str, _: usize) {}
    fn update_split(&mut self, _: usize) {}
    fn end_split(&mut self) {}
    fn end(&mut self) {}
    fn log_event_training(&mut self, _: String) {}
}

impl EvaluationProgressLogger for Reporter {
    fn start_global_progress(&mut self, _: usize) {}
    fn start_test(&mut self, _: &str, _: usize) {}
    fn update_test_progress(&mut self, _: usize) {}
    fn end_test(&mut self) {}
    fn end_global_progress(&mut self) {}
    fn log_event_evaluation(&mut self, _: String) {}
}

impl MetricsRenderer for Reporter {
    fn manual_close(&mut self) {}

    fn register_metric(&mut self, definition: MetricDefinition) {
        let reported = if definition.name == LossMetric::new().name() {
            Reported::Loss
        } else if definition.name == AccuracyMetric::new().name() {
            Reported::Accuracy
        } else {
            return;
        };
        self.metrics.insert(definition.metric_id, reported);
    }
}

/// Trains `model` `steps` steps from step `first_step` with `source`'s batches and the
/// experiment's optimizer and learning rate, on `strategy`'s devices, sending a [`StepReport`]
/// per step. Returns the trained model (the caller validates it: the learner's own pass over
/// the validation part, which it always makes, is not reported).
///
/// Every device's batches come from successive shuffled passes over the training part
/// (seeded by the experiment's seed and `first_step`).
pub fn train(
    model: Model,
    source: &BatchSource,
    strategy: Strategy,
    first_step: u64,
    steps: u64,
    reports: Sender<StepReport>,
) -> Result<Model, String> {
    let experiment = source.experiment();
    let dataset = source.dataset();
    let train_len = dataset.train.len();
    if train_len == 0 {
        return Err("there are no labeled samples to train on".into());
    }
    let batch_size = experiment.batch_size.min(train_len);
    let devices = strategy.devices();
    let wanted = steps as usize * devices * batch_size;
    let mut order = Vec::with_capacity(wanted);
    let mut shuffle = rng(experiment.seed ^ first_step, Stream::Order);
    while order.len() < wanted {
        let mut pass: Vec<usize> = (0..train_len).collect();
        pass.shuffle(&mut shuffle);
        order.extend(pass);
    }
    order.truncate(wanted);
    let train_loader = DataLoaderBuilder::new(TrainBatcher {
        source: source.clone(),
        classes: dataset.num_classes(),
        next_step: AtomicU64::new(first_step),
    })
    .batch_size(batch_size)
    .build(InMemDataset::new(order));
    let valid_loader = DataLoaderBuilder::new(ValidBatcher {
        source: source.clone(),
    })
    .batch_size(500)
    .build(InMemDataset::new((0..dataset.valid.len()).collect()));
    let directory = scratch_directory();
    let execution = match strategy {
        Strategy::Single(device) => ExecutionStrategy::single(device),
        Strategy::DataParallel(devices) => ExecutionStrategy::ddp(
            devices,
            DistributedConfig {
                all_reduce_op: ReduceOperation::Mean,
            },
        ),
    };
    let reporter = Reporter::new(reports, devices, first_step);
    let learner = Learner::new(
        model,
        optimizer_of(experiment.optimizer),
        experiment.learning_rate,
    );
    let training = SupervisedTraining::new(&directory, train_loader, valid_loader)
        .with_training_strategy(execution.into())
        .with_application_logger(None)
        .metric_train_numeric(LossMetric::new())
        .metric_train_numeric(AccuracyMetric::new())
        .renderer(Box::new(reporter))
        .num_epochs(1);
    let result = training.launch(learner);
    let _ = std::fs::remove_dir_all(&directory);
    if let Some(error) = result.error {
        return Err(format!("training failed: {error}"));
    }
    Ok(result.model)
}

/// Where the learner writes its logs for the length of a run.
fn scratch_directory() -> PathBuf {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    std::env::temp_dir().join(format!(
        "petri-learner-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::train::metric::{MetricEntry, SerializedEntry};
    use std::sync::Arc;

    fn state(id: &MetricId, value: f64) -> MetricState {
        let entry = MetricEntry::new(
            id.clone(),
            SerializedEntry {
                formatted: String::new(),
                serialized: String::new(),
            },
        );
        let numeric = NumericEntry::Aggregated {
            aggregated_value: value,
            count: 32,
        };
        MetricState::Numeric(entry, Some(numeric))
    }

    #[test]
    fn a_step_is_one_batch_on_every_device_averaged() {
        let (sender, receiver) = std::sync::mpsc::channel();
        let mut reporter = Reporter::new(sender, 2, 100);
        let loss = MetricId::new(Arc::new("a".into()));
        let accuracy = MetricId::new(Arc::new("b".into()));
        reporter.register_metric(MetricDefinition::new(loss.clone(), &LossMetric::new()));
        reporter.register_metric(MetricDefinition::new(
            accuracy.clone(),
            &AccuracyMetric::new(),
        ));
        // Two devices' batches of step 101, interleaved, then the first of step 102.
        for (id, value) in [
            (&loss, 1.0),
            (&accuracy, 50.0),
            (&loss, 3.0),
            (&accuracy, 70.0),
        ] {
            reporter.update_train(state(id, value));
        }
        reporter.update_train(state(&loss, 9.0));
        reporter.update_train(state(&MetricId::new(Arc::new("other".into())), 7.0));
        let reports: Vec<StepReport> = receiver.try_iter().collect();
        assert_eq!(
            reports,
            vec![StepReport {
                step: 101,
                loss: 2.0,
                accuracy: 0.6,
            }]
        );
    }
}
