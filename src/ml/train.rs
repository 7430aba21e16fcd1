//! One training step and evaluation. No loop, no sleeping, no I/O: the caller decides when to
//! step and when to read results back, so GPU work is never stalled by a read.

use super::data::{Batch, BatchInput, DataShape};
use super::experiment::OptimizerKind;
use super::models::{Model, ModelConfig, ModelInput};
use super::pretrain::Transfer;
use super::regression::{RegressionLoss, TargetScale};
use super::rng::{Stream, rng};
use burn::module::{ModuleMapper, Param};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, GradientsAccumulator, GradientsParams, ModuleOptimizer, SgdConfig};
use burn::prelude::*;
use burn::tensor::activation::{log_softmax, softmax};
use std::sync::Mutex;

/// The tensors a training step leaves on the device, not yet read back.
pub struct StepOutput {
    /// The step's loss (weighted soft-target cross-entropy, plus the consistency term). `[1]`
    pub loss: Tensor<1>,
    /// Number of correctly classified samples in the batch. `[1]`
    pub correct: Tensor<1, Int>,
    /// With consistency training: how many unlabeled samples passed the threshold. `[1]`
    pub confident: Option<Tensor<1>>,
}

/// The tensors a regression step leaves on the device, not yet read back.
pub struct RegressionStepOutput {
    /// The step's loss (on standardised targets). `[1]`
    pub loss: Tensor<1>,
    /// `Σ (predicted − target)²` over the batch, standardised, unweighted. `[1]`
    pub squared_error: Tensor<1>,
}

/// The unlabeled half of a consistency-training step (see [`Trainer::step_with`]).
pub struct Consistency<'a> {
    /// Unlabeled samples, weakly augmented: their predictions propose pseudo-labels.
    pub weak: &'a Batch,
    /// The same samples, strongly augmented: trained towards those proposals.
    pub strong: &'a Batch,
    /// The confidence a proposal needs to count.
    pub threshold: f32,
    /// The unlabeled loss's weight.
    pub weight: f32,
}

/// Predictions left on the device by [`Trainer::predict`].
pub struct Prediction {
    /// Class probabilities; for a measured target, the predicted value in its units.
    /// `[batch, classes]`
    pub probabilities: Tensor<2>,
    /// Penultimate representations. `[batch, width]`
    pub embeddings: Tensor<2>,
    /// With [`SpreadConfig`]: the standard deviation of the predicted value over dropout
    /// masks, in the target's units. `[batch, 1]`
    pub spread: Option<Tensor<2>>,
}

/// How [`Trainer::predict`] measures a prediction's spread by MC dropout: the head reads the
/// embedding through `passes` random dropout masks of probability `rate` (the model's own,
/// at the layer its head reads).
#[derive(Clone, Copy, Debug)]
pub struct SpreadConfig {
    pub rate: f64,
    pub passes: usize,
    /// Seeds the masks: the same seed gives the same spread.
    pub seed: u64,
}

/// `Σᵢ Σ_c −targetᵢ_c · log softmax(logitsᵢ)_c / batch`: cross-entropy against soft targets
/// whose rows already carry each sample's weight.
///
/// # Shapes
/// - logits, targets: `[batch, classes]`
/// - output: `[1]`
pub fn soft_cross_entropy(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    let [n, _] = logits.dims();
    (log_softmax(logits, 1) * targets)
        .sum()
        .mul_scalar(-1.0 / n.max(1) as f64)
}

/// `Σᵢ wᵢ · (predictedᵢ − targetᵢ)² / batch`: mean squared error, each sample weighted.
///
/// # Shapes
/// - predicted, targets, weights: `[batch, 1]`
/// - output: `[1]`
pub fn squared_error(predicted: Tensor<2>, targets: Tensor<2>, weights: Tensor<2>) -> Tensor<1> {
    let [n, _] = predicted.dims();
    ((predicted - targets).powi_scalar(2) * weights)
        .sum()
        .div_scalar(n.max(1) as f64)
}

/// `Σᵢ wᵢ · huber(predictedᵢ − targetᵢ) / batch`, where `huber(e)` is `e² / 2` within `delta`
/// of zero and `delta · (|e| − delta / 2)` beyond.
///
/// # Shapes
/// - predicted, targets, weights: `[batch, 1]`
/// - output: `[1]`
pub fn huber_error(
    predicted: Tensor<2>,
    targets: Tensor<2>,
    weights: Tensor<2>,
    delta: f32,
) -> Tensor<1> {
    let [n, _] = predicted.dims();
    let error = (predicted - targets).abs();
    // min(|e|, δ) · (2|e| − min(|e|, δ)) / 2 is e²/2 inside and δ(|e| − δ/2) outside.
    let inner = error.clone().clamp_max(delta);
    (inner.clone() * (error.mul_scalar(2.0) - inner) * weights)
        .sum()
        .div_scalar(2.0 * n.max(1) as f64)
}

/// The regression loss `kind` of `predicted` against standardised `targets`.
///
/// # Shapes
/// - predicted, targets, weights: `[batch, 1]`
/// - output: `[1]`
pub fn regression_loss(
    kind: RegressionLoss,
    predicted: Tensor<2>,
    targets: Tensor<2>,
    weights: Tensor<2>,
) -> Tensor<1> {
    match kind {
        RegressionLoss::Mse => squared_error(predicted, targets, weights),
        RegressionLoss::Huber { delta } => huber_error(predicted, targets, weights, delta),
    }
}

/// The tensors an evaluation pass leaves on the device.
pub struct EvalOutput {
    /// Summed cross-entropy over the batch. `[1]`
    pub loss_sum: Tensor<1>,
    /// Class probabilities. `[batch, classes]`
    pub probabilities: Tensor<2>,
}

/// A training step's inputs as tensors on the step's device, made before its first kernel.
#[derive(Clone, Debug)]
pub struct StepTensors {
    input: ModelInput,
    /// Soft targets, each row times its sample's weight. `[batch, classes]`
    weighted_targets: Tensor<2>,
    /// Each sample's class. `[batch]`
    labels: Tensor<1, Int>,
    /// With consistency training: the weak and strong unlabeled inputs, threshold, weight.
    unlabeled: Option<(ModelInput, ModelInput, f32, f32)>,
    /// Whether only the head learns (a linear probe): the embeddings carry no gradient.
    head_only: bool,
}

impl StepTensors {
    /// The tensors of `batch` (and the consistency half, if any) in `classes` classes.
    pub fn new(
        batch: &Batch,
        consistency: Option<Consistency>,
        classes: usize,
        device: &Device,
    ) -> Self {
        // Every upload comes before the first kernel: on WebGPU a write between kernels
        // splits the step's queue (measured: 2.4× slower steps on the software adapter).
        let input = ModelInput::from_batch(&batch.input, device);
        let n = batch.len();
        let labels = Tensor::from_data(TensorData::new(batch.targets.clone(), [n]), device);
        let (soft, weights) = batch.soft_targets(classes);
        let weighted: Vec<f32> = soft
            .chunks(classes)
            .zip(&weights)
            .flat_map(|(row, &w)| row.iter().map(move |v| v * w))
            .collect();
        let weighted_targets = Tensor::from_data(TensorData::new(weighted, [n, classes]), device);
        let unlabeled = consistency.map(|c| {
            (
                ModelInput::from_batch(&c.weak.input, device),
                ModelInput::from_batch(&c.strong.input, device),
                c.threshold,
                c.weight,
            )
        });
        Self {
            input,
            weighted_targets,
            labels,
            unlabeled,
            head_only: false,
        }
    }

    /// With `head_only`, the step trains the head alone (see [`Trainer::set_head_only`]).
    pub fn with_head_only(mut self, head_only: bool) -> Self {
        self.head_only = head_only;
        self
    }

    /// Each sample's class. `[batch]`
    pub fn labels(&self) -> &Tensor<1, Int> {
        &self.labels
    }
}

/// A training step's loss, before its backward pass.
pub struct StepLoss {
    /// The weighted soft-target cross-entropy, plus the consistency term. `[1]`
    pub loss: Tensor<1>,
    /// The labeled samples' class scores. `[batch, classes]`
    pub logits: Tensor<2>,
    /// With consistency training: how many unlabeled samples passed the threshold. `[1]`
    pub confident: Option<Tensor<1>>,
}

/// The loss of one training step of `model` on `tensors`: the weighted soft-target
/// cross-entropy of the labeled samples ([`Batch::soft_targets`]) plus, with consistency
/// training, its weight times that of the strongly augmented unlabeled samples towards the
/// pseudo-labels the weakly augmented ones propose with confidence at least the threshold
/// (FixMatch, with ReMixMatch's distribution alignment of the proposals; the proposals carry
/// no gradient).
pub fn step_loss(model: &Model, tensors: StepTensors) -> StepLoss {
    let embed = |input: &ModelInput| {
        let embedding = model.embed(input);
        if tensors.head_only {
            embedding.detach()
        } else {
            embedding
        }
    };
    let logits = model.head(embed(&tensors.input));
    let mut loss = soft_cross_entropy(logits.clone(), tensors.weighted_targets);
    let mut confident = None;
    if let Some((weak, strong, threshold, weight)) = tensors.unlabeled {
        let proposals = softmax(model.head(embed(&weak)).detach(), 1);
        let [m, classes] = proposals.dims();
        // Distribution alignment (ReMixMatch): divided by the batch's mean prediction,
        // proposals do not all fall into the class the model already favours, which with
        // a few labels per class otherwise makes self-training collapse.
        let aligned = proposals.clone() / proposals.mean_dim(0);
        let proposals = aligned.clone() / aligned.sum_dim(1);
        let confidence = proposals.clone().max_dim(1);
        let mask = confidence.clone().greater_equal_elem(threshold).float();
        let pseudo = proposals.equal(confidence.expand([m, classes])).float() * mask.clone();
        let strong = model.head(embed(&strong));
        loss = loss + soft_cross_entropy(strong, pseudo).mul_scalar(f64::from(weight));
        confident = Some(mask.sum());
    }
    StepLoss {
        loss,
        logits,
        confident,
    }
}

/// How many of `logits`' rows score their label highest. `[1]`
fn correct_count(logits: Tensor<2>, labels: Tensor<1, Int>) -> Tensor<1, Int> {
    logits
        .detach()
        .argmax(1)
        .squeeze_dim::<1>(1)
        .equal(labels)
        .int()
        .sum()
}

/// A part of a step's batch ([`Trainer::set_threads`]): labeled samples and, with
/// consistency training, unlabeled ones weakly and strongly augmented, threshold, weight.
struct StepPart {
    labeled: Batch,
    unlabeled: Option<(Batch, Batch, f32, f32)>,
}

/// What learning from one part leaves: gradients, and the step's outputs for the part.
struct PartOutput {
    grads: GradientsParams,
    loss: Tensor<1>,
    correct: Tensor<1, Int>,
    confident: Option<Tensor<1>>,
}

/// How many threads a step on `device` learns on: on the CPU every thread of rayon's pool
/// (the native pool's, or the threaded web engine's; the single-threaded engine has one),
/// on a GPU one.
pub fn cpu_threads(device: &Device) -> usize {
    if *device != Device::flex() {
        return 1;
    }
    #[cfg(any(not(target_family = "wasm"), feature = "threads"))]
    return rayon::current_num_threads();
    #[cfg(not(any(not(target_family = "wasm"), feature = "threads")))]
    return 1;
}

/// `items` mapped by `f`, in order, on rayon's pool where there is one.
fn map_on_threads<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync + Send) -> Vec<R> {
    #[cfg(any(not(target_family = "wasm"), feature = "threads"))]
    {
        use rayon::prelude::*;
        items.into_par_iter().map(f).collect()
    }
    #[cfg(not(any(not(target_family = "wasm"), feature = "threads")))]
    {
        items.into_iter().map(f).collect()
    }
}

/// The fewest samples in a part of a batch for a step of `config` to learn from parts on
/// several threads at once (`None`: never). Measured natively on two cores (`bench
/// --threads`): convolutions and attention gain from parts of 16 samples on (CNN 1.9×,
/// 1-D CNN 1.8×, Transformer 1.4×); a GIN loses on parts of 16 molecules (0.8×) and gains
/// little on 64 (1.15×), small MLPs are alike; recurrent networks, a chain of small products
/// step after step, gain nothing (GRU 0.95×, LSTM 1.1×).
///
/// A model with dropout steps whole: its masks come from Flex's one generator, which threads
/// would draw from in no fixed order, and the same seed must give the same run.
fn smallest_part(config: &ModelConfig) -> Option<usize> {
    if config.dropout() > 0.0 {
        return None;
    }
    match config {
        ModelConfig::Cnn(_) | ModelConfig::Cnn1d(_) | ModelConfig::Transformer(_) => Some(8),
        ModelConfig::Gnn(_) | ModelConfig::Mlp(_) => Some(64),
        ModelConfig::Rnn(_) => None,
    }
}

/// Gives every parameter a leaf of its own in the autodiff graph, same id and value.
struct OwnLeaves;

impl ModuleMapper for OwnLeaves {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.map(|tensor| {
            let require_grad = tensor.is_require_grad();
            tensor.detach().set_require_grad(require_grad)
        })
    }
}

/// The optimizer of `kind` (Adam with Burn's defaults, or SGD with momentum 0.9).
pub fn optimizer_of(kind: OptimizerKind) -> ModuleOptimizer {
    match kind {
        OptimizerKind::Adam => AdamConfig::new().init(),
        OptimizerKind::SgdMomentum => SgdConfig::new()
            .with_momentum(Some(MomentumConfig::new().with_momentum(0.9)))
            .init(),
    }
}

/// A model, its optimizer and learning rate, on one device.
pub struct Trainer {
    /// Always `Some` between calls; taken while the optimizer consumes it.
    model: Option<Model>,
    optimizer: ModuleOptimizer,
    learning_rate: f64,
    device: Device,
    classes: usize,
    /// Whether only the head learns (see [`Self::set_head_only`]).
    head_only: bool,
    /// Into how many parts a step splits its batch, each learnt from on a thread of its own
    /// (see [`Self::set_threads`]).
    threads: usize,
    /// The fewest samples a part has for this model's steps to split (`None`: they never do).
    smallest_part: Option<usize>,
}

impl Trainer {
    /// The trainer a run of `experiment` on `dataset` starts from: its model, optimizer and
    /// learning rate, initialised from the experiment's seed.
    pub fn for_run(
        experiment: &crate::ml::experiment::Experiment,
        dataset: &crate::ml::data::Dataset,
        device: &Device,
    ) -> Result<Self, String> {
        Self::new(
            &experiment.model,
            &dataset.shape(),
            dataset.num_classes(),
            experiment.optimizer,
            experiment.learning_rate,
            crate::ml::rng::device_seed(experiment.seed),
            device,
        )
    }

    /// A freshly initialised model on `device` (autodiff is enabled here), seeded by `seed`.
    pub fn new(
        config: &ModelConfig,
        shape: &DataShape,
        classes: usize,
        optimizer: OptimizerKind,
        learning_rate: f64,
        seed: u64,
        device: &Device,
    ) -> Result<Self, String> {
        let device = device.clone().autodiff();
        // Some backends keep one global generator: seed and draw the initial weights without
        // another thread's draws in between (native tests run in parallel).
        let model = {
            static INIT: Mutex<()> = Mutex::new(());
            let _guard = INIT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            device.seed(seed);
            config.init(shape, classes, &device)?
        };
        Ok(Self {
            model: Some(model),
            optimizer: optimizer_of(optimizer),
            learning_rate,
            device,
            classes,
            head_only: false,
            threads: 1,
            smallest_part: smallest_part(config),
        })
    }

    /// The model, for a caller that trains it its own way (pretraining).
    pub fn into_model(self) -> Model {
        self.model.expect("model present between steps")
    }

    /// With `head_only`, steps train the linear head alone on the encoder's fixed
    /// embeddings (a linear probe); otherwise every layer.
    pub fn set_head_only(&mut self, head_only: bool) {
        self.head_only = head_only;
    }

    /// Takes from `tensors` every encoder tensor of this model's name and shape; the head
    /// and any tensor that does not fit stay as initialised ([`Transfer`] says which).
    pub fn start_from(&mut self, tensors: &[super::export::NamedTensor]) -> Transfer {
        let (model, transfer) = super::weights::transfer_weights(self.model().clone(), tensors);
        self.model = Some(model);
        transfer
    }

    /// The model being trained.
    pub fn model(&self) -> &Model {
        self.model.as_ref().expect("model present between steps")
    }

    /// Replaces the model's weights with `tensors` ([`super::weights`]' names and layouts);
    /// on failure nothing changes and the message names the tensor at fault.
    pub fn load_weights(&mut self, tensors: &[super::export::NamedTensor]) -> Result<(), String> {
        let loaded = super::weights::load_weights(self.model().clone(), tensors)?;
        self.model = Some(loaded);
        Ok(())
    }

    /// The device the model lives on (with autodiff).
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Changes the learning rate from the next step on.
    pub fn set_learning_rate(&mut self, learning_rate: f64) {
        self.learning_rate = learning_rate;
    }

    /// One optimisation step on `batch`. The returned tensors are detached and unread.
    pub fn step(&mut self, batch: &Batch) -> StepOutput {
        self.step_with(batch, None)
    }

    /// One optimisation step on `batch` and, if given, an unlabeled consistency batch, with
    /// the loss of [`step_loss`].
    pub fn step_with(&mut self, batch: &Batch, consistency: Option<Consistency>) -> StepOutput {
        if let Some(parts) = self.parts(batch, consistency.as_ref()) {
            return self.step_in_parts(batch.len(), parts);
        }
        let tensors = StepTensors::new(batch, consistency, self.classes, &self.device)
            .with_head_only(self.head_only);
        let labels = tensors.labels.clone();
        let model = self.model.take().expect("model present between steps");
        let StepLoss {
            loss,
            logits,
            confident,
        } = step_loss(&model, tensors);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        self.model = Some(self.optimizer.step(self.learning_rate, model, grads));
        StepOutput {
            loss: loss.detach(),
            correct: correct_count(logits, labels),
            confident: confident.map(Tensor::detach),
        }
    }

    /// From the next step on, each step splits its batch into `threads` parts of nearly
    /// equal size and learns from them at once, one thread each (rayon's pool), summing the
    /// parts' gradients; 1 (the default) steps on the whole batch. Models whose steps gain
    /// nothing from it step whole at any count ([`smallest_part`]). The sum is the whole
    /// batch's gradient up to the order of float additions, except where a layer looks
    /// across the batch: batch norm's statistics and consistency training's distribution
    /// alignment are each part's own.
    pub fn set_threads(&mut self, threads: usize) {
        self.threads = threads.max(1);
    }

    /// The parts of a step on `batch` (and `consistency`) over [`Self::set_threads`] threads:
    /// `None` where it steps whole (one thread, a part would be smaller than
    /// [`smallest_part`], or the samples are the nodes of one graph).
    fn parts(&self, batch: &Batch, consistency: Option<&Consistency>) -> Option<Vec<StepPart>> {
        let threads = self.threads.min(batch.len() / self.smallest_part?);
        if threads < 2 {
            return None;
        }
        let range = |len: usize, part: usize| part * len / threads..(part + 1) * len / threads;
        (0..threads)
            .map(|part| {
                let labeled = batch.part(range(batch.len(), part))?;
                let unlabeled = match consistency {
                    Some(c) => {
                        let rows = range(c.weak.len(), part);
                        Some((
                            c.weak.part(rows.clone())?,
                            c.strong.part(rows)?,
                            c.threshold,
                            c.weight,
                        ))
                    }
                    None => None,
                };
                Some(StepPart { labeled, unlabeled })
            })
            .collect()
    }

    /// One optimisation step learnt from `parts` of a batch of `len` samples at once: each
    /// part's loss, weighted by its share of the batch, gives its gradients on a replica of
    /// the model whose parameters are leaves of their own (Burn's autodiff would otherwise put
    /// every part in one graph and run their backward passes one after another).
    fn step_in_parts(&mut self, len: usize, parts: Vec<StepPart>) -> StepOutput {
        let model = self.model.take().expect("model present between steps");
        let (classes, head_only, device) = (self.classes, self.head_only, &self.device);
        let learnt = map_on_threads(parts, |part| {
            let replica = model.clone().map(&mut OwnLeaves);
            let consistency = part
                .unlabeled
                .as_ref()
                .map(|(weak, strong, threshold, weight)| Consistency {
                    weak,
                    strong,
                    threshold: *threshold,
                    weight: *weight,
                });
            let tensors = StepTensors::new(&part.labeled, consistency, classes, device)
                .with_head_only(head_only);
            let labels = tensors.labels.clone();
            let StepLoss {
                loss,
                logits,
                confident,
            } = step_loss(&replica, tensors);
            let loss = loss.mul_scalar(part.labeled.len() as f64 / len as f64);
            let grads = GradientsParams::from_grads(loss.backward(), &replica);
            PartOutput {
                grads,
                loss: loss.detach(),
                correct: correct_count(logits, labels),
                confident: confident.map(Tensor::detach),
            }
        });
        let mut sum = GradientsAccumulator::<Model>::new();
        let mut outputs = learnt.into_iter().map(|part| {
            sum.accumulate(&model, part.grads);
            (part.loss, part.correct, part.confident)
        });
        let (mut loss, mut correct, mut confident) = outputs.next().expect("two parts or more");
        for (part_loss, part_correct, part_confident) in outputs {
            loss = loss + part_loss;
            correct = correct + part_correct;
            confident = confident.zip(part_confident).map(|(a, b)| a + b);
        }
        let grads = sum.grads();
        self.model = Some(self.optimizer.step(self.learning_rate, model, grads));
        StepOutput {
            loss,
            correct,
            confident,
        }
    }

    /// One optimisation step of a one-output model towards measured values: `targets` (one
    /// per sample of `input`, standardised, see [`super::regression::TargetScale`]) under the
    /// loss `kind`, each sample weighted by `weights` (1 each when `None`). The returned
    /// tensors are detached and unread.
    pub fn regression_step(
        &mut self,
        input: &BatchInput,
        targets: &[f32],
        weights: Option<&[f32]>,
        kind: RegressionLoss,
    ) -> RegressionStepOutput {
        let n = targets.len();
        let input = ModelInput::from_batch(input, &self.device);
        let targets = Tensor::from_data(TensorData::new(targets.to_vec(), [n, 1]), &self.device);
        let weights = match weights {
            Some(w) => Tensor::from_data(TensorData::new(w.to_vec(), [n, 1]), &self.device),
            None => Tensor::ones([n, 1], &self.device),
        };
        let model = self.model.take().expect("model present between steps");
        let embedding = model.embed(&input);
        let embedding = if self.head_only {
            embedding.detach()
        } else {
            embedding
        };
        let predicted = model.head(embedding);
        let squared_error = (predicted.clone().detach() - targets.clone())
            .powi_scalar(2)
            .sum();
        let loss = regression_loss(kind, predicted, targets, weights);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        self.model = Some(self.optimizer.step(self.learning_rate, model, grads));
        RegressionStepOutput {
            loss: loss.detach(),
            squared_error,
        }
    }

    /// Loss and class probabilities for `batch` in inference mode (no dropout, batch norm
    /// uses its running statistics, no gradients).
    pub fn evaluate(&self, batch: &Batch) -> EvalOutput {
        let model = self.model().valid();
        let device = self.device.clone().without_autodiff();
        let logits = model.forward(&batch.input, &device);
        let targets = Tensor::<1, Int>::from_data(
            TensorData::new(batch.targets.clone(), [batch.len()]),
            &device,
        );
        let loss = CrossEntropyLossConfig::new()
            .init(&device)
            .forward(logits.clone(), targets);
        EvalOutput {
            loss_sum: loss * batch.len() as f64,
            probabilities: softmax(logits, 1),
        }
    }

    /// Class probabilities and penultimate embeddings of `input` in inference mode; for a
    /// measured target with `spread`, also each prediction's spread under MC dropout.
    pub fn predict(
        &self,
        input: &BatchInput,
        scale: Option<TargetScale>,
        spread: Option<SpreadConfig>,
    ) -> Prediction {
        let model = self.model().valid();
        let device = self.device.clone().without_autodiff();
        let embeddings = model.embed(&ModelInput::from_batch(input, &device));
        let outputs = model.head(embeddings.clone());
        let spread = scale
            .zip(spread)
            .map(|(scale, config)| dropout_spread(&model, embeddings.clone(), config, scale));
        Prediction {
            probabilities: match scale {
                Some(scale) => outputs.mul_scalar(scale.std).add_scalar(scale.mean),
                None => softmax(outputs, 1),
            },
            embeddings,
            spread,
        }
    }

    /// Class scores of `input` in inference mode.
    ///
    /// # Shapes
    /// - output: `[batch, classes]`
    pub fn logits(&self, input: &BatchInput) -> Tensor<2> {
        let device = self.device.clone().without_autodiff();
        self.model().valid().forward(input, &device)
    }
}

/// The standard deviation, in the target's units, of `model`'s predicted value over
/// `config.passes` dropout masks on `embeddings`. The masks are drawn here, seeded, so the
/// queue they order repeats, and the model's batch norm stays in inference mode.
///
/// # Shapes
/// - embeddings: `[batch, width]`
/// - output: `[batch, 1]`
fn dropout_spread(
    model: &Model,
    embeddings: Tensor<2>,
    config: SpreadConfig,
    scale: TargetScale,
) -> Tensor<2> {
    use rand::RngExt;
    let [batch, width] = embeddings.dims();
    let passes = config.passes.max(2);
    let keep = (1.0 - config.rate).clamp(0.05, 1.0) as f32;
    let mut draw = rng(config.seed, Stream::Spread);
    let masks: Vec<f32> = (0..passes * batch * width)
        .map(|_| {
            if draw.random::<f32>() < keep {
                1.0 / keep
            } else {
                0.0
            }
        })
        .collect();
    let device = embeddings.device();
    let masks = Tensor::<3>::from_data(TensorData::new(masks, [passes, batch, width]), &device);
    let masked = (embeddings.unsqueeze_dim::<3>(0) * masks).reshape([passes * batch, width]);
    let outputs = model.head(masked).reshape([passes, batch]);
    outputs
        .var(0)
        .sqrt()
        .mul_scalar(scale.std)
        .reshape([batch, 1])
}
