//! A training run: an experiment, its dataset and a [`Trainer`], stepping through epochs.
//!
//! Steps queue work on the device; metrics accumulate there and are read back only when the
//! caller asks ([`Session::read_train_metrics`], [`Session::evaluate`]), asynchronously, so
//! the same code serves the browser worker (where reads must be async), the bench and tests.

use super::augment::{
    AugmentConfig, AugmentContext, Augmentation, Preset, augment_batch, augment_rng,
};
use super::data::{Batch, Dataset, Samples, Standardizer};
use super::experiment::Experiment;
use super::export::{FORMAT_VERSION, MODEL_FORMAT, ModelDescription, read_model, write_model};
use super::metrics::argmax_rows;
use super::regression::{RegressionLoss, RegressionMetrics, TargetScale};
use super::rng::{Rng, Stream, rng};
use super::train::{Consistency, Prediction, SpreadConfig, Trainer};
use burn::prelude::*;
use rand::RngExt;
use rand::seq::SliceRandom;
use std::sync::Arc;

/// Validation samples per evaluation batch.
const EVAL_BATCH: usize = 500;
/// Dropout masks per prediction when its spread is measured.
const SPREAD_PASSES: usize = 20;

/// Training metrics since the last read.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainMetrics {
    /// Steps taken since the start of the run.
    pub step: u64,
    /// Epochs completed, with the fraction of the current one.
    pub epoch: f64,
    /// Mean training loss over the steps since the last read.
    pub loss: f64,
    /// Training accuracy over the same steps (0 to 1; 0 for measured targets).
    pub accuracy: f64,
    /// For measured targets: the training root mean squared error over the same steps, in
    /// the target's units.
    pub rmse: Option<f64>,
    /// Number of samples those steps saw.
    pub samples: usize,
    /// With consistency training: the share of unlabeled samples whose proposal passed the
    /// confidence threshold.
    pub confident: Option<f64>,
}

/// Results of one pass over the validation set.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalMetrics {
    /// Steps taken when evaluated.
    pub step: u64,
    /// Mean validation loss.
    pub loss: f64,
    /// Validation accuracy (0 to 1; 0 for measured targets).
    pub accuracy: f64,
    /// Predicted class of each validation sample (0 for measured targets).
    pub predictions: Vec<u32>,
    /// Probability of the predicted class for each validation sample (1 for measured
    /// targets).
    pub confidences: Vec<f32>,
    /// For measured targets: each sample's predicted value in the target's units, and the
    /// RMSE, MAE and R² over the samples with a measured value.
    pub regression: Option<(Vec<f32>, RegressionMetrics)>,
}

/// Accumulated, unread step results.
struct Pending {
    loss_sum: Tensor<1>,
    /// Correctly classified samples (classes), or the summed squared error (quantities,
    /// standardised).
    score: Score,
    steps: u64,
    samples: usize,
    /// Unlabeled samples that passed the threshold, and how many were drawn.
    confident: Option<(Tensor<1>, usize)>,
}

/// What a step adds up besides the loss.
enum Score {
    Correct(Tensor<1, Int>),
    SquaredError(Tensor<1>),
}

impl Score {
    fn add(self, other: Score) -> Score {
        match (self, other) {
            (Score::Correct(a), Score::Correct(b)) => Score::Correct(a + b),
            (Score::SquaredError(a), Score::SquaredError(b)) => Score::SquaredError(a + b),
            _ => unreachable!("a run's targets do not change kind"),
        }
    }
}

/// What turns sample indices into the batches a training step learns from: the experiment's
/// augmentation, the weight of accepted pseudo-labels, the unlabeled draws of consistency
/// training and the run's standardization. The page's loop and the command line's
/// data-parallel loaders ([`super::parallel`]) share it.
#[derive(Clone)]
pub struct BatchSource {
    experiment: Experiment,
    dataset: Arc<Dataset>,
    standardizer: Standardizer,
    /// For measured targets: their scale over the training samples.
    target_scale: Option<TargetScale>,
    augment_context: AugmentContext,
}

/// A training run in progress.
pub struct Session {
    source: BatchSource,
    trainer: Trainer,
    order_rng: Rng,
    /// Draws the unlabeled samples of consistency steps.
    unlabeled_rng: Rng,
    order: Vec<usize>,
    cursor: usize,
    step: u64,
    epochs_done: u64,
    pending: Option<Pending>,
}

impl Session {
    /// A new run of `experiment` on `dataset`, with a model initialised on `device`.
    pub fn new(
        experiment: &Experiment,
        dataset: Arc<Dataset>,
        device: &Device,
    ) -> Result<Self, String> {
        experiment.validate(&dataset.shape(), dataset.num_classes())?;
        let target_scale = dataset.is_regression().then(|| {
            let known: Vec<f32> = dataset
                .train
                .measured()
                .iter()
                .copied()
                .filter(|v| !v.is_nan())
                .collect();
            TargetScale::fit(&known)
        });
        if target_scale.is_some() {
            if experiment.labeling.consistency {
                return Err(
                    "Consistency training proposes classes; it is not available for \
                            measured targets."
                        .into(),
                );
            }
            if experiment
                .augment
                .steps
                .iter()
                .any(|s| s.augmentation == Augmentation::Mixup)
            {
                return Err(
                    "Mixup blends classes; it is not available for measured targets.".into(),
                );
            }
        }
        let mut trainer = Trainer::for_run(experiment, &dataset, device)?;
        trainer.set_head_only(experiment.head_only);
        trainer.set_threads(super::train::cpu_threads(device));
        let mut session = Self {
            source: BatchSource {
                experiment: experiment.clone(),
                standardizer: Standardizer::fit(&dataset.train),
                target_scale,
                augment_context: AugmentContext::of(&dataset),
                dataset,
            },
            trainer,
            order_rng: rng(experiment.seed, Stream::Order),
            unlabeled_rng: rng(experiment.seed, Stream::Unlabeled),
            order: Vec::new(),
            cursor: 0,
            step: 0,
            epochs_done: 0,
            pending: None,
        };
        session.shuffle();
        Ok(session)
    }

    /// The experiment being run.
    pub fn experiment(&self) -> &Experiment {
        &self.source.experiment
    }

    /// The dataset being learnt.
    pub fn dataset(&self) -> &Arc<Dataset> {
        &self.source.dataset
    }

    /// What the augmentation of training batches knows about the data.
    pub fn augment_context(&self) -> &AugmentContext {
        &self.source.augment_context
    }

    /// How many threads a training step learns on (see [`Trainer::set_threads`]).
    pub fn set_threads(&mut self, threads: usize) {
        self.trainer.set_threads(threads);
    }

    /// The trainer (model, optimizer, device).
    pub fn trainer(&self) -> &Trainer {
        &self.trainer
    }

    /// Steps taken so far.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// Epochs completed, with the fraction of the current one.
    pub fn epoch(&self) -> f64 {
        self.epochs_done as f64 + self.cursor as f64 / self.order.len().max(1) as f64
    }

    /// Training steps in one epoch.
    pub fn steps_per_epoch(&self) -> usize {
        self.order.len().div_ceil(self.source.experiment.batch_size)
    }

    /// Counts `step` steps as taken by a new session (a run restored from a file goes on from
    /// there, with the fresh pass over the training part it started with).
    pub fn resume_at(&mut self, step: u64) {
        self.step = step;
        self.epochs_done = step / self.steps_per_epoch().max(1) as u64;
    }

    /// What the model needs besides its weights to be used elsewhere ([`super::export`]).
    pub fn model_description(&self) -> ModelDescription {
        let dataset = &self.source.dataset;
        let (features, alphabet) = match &dataset.train {
            Samples::Table(table) => (table.feature_names.clone(), None),
            Samples::Graphs(graphs) => (graphs.feature_names.clone(), None),
            Samples::Sequences(sequences) => (Vec::new(), sequences.alphabet.clone()),
            _ => (Vec::new(), None),
        };
        ModelDescription {
            format: MODEL_FORMAT.into(),
            version: FORMAT_VERSION,
            model: self.source.experiment.model.clone(),
            input: dataset.shape(),
            classes: dataset.class_names.clone(),
            standardize: self.source.standardizer.stats().to_vec(),
            features,
            alphabet,
            step: self.step,
            dataset: dataset.name.clone(),
            measured: self.source.target_scale,
        }
    }

    /// The model file of the current weights ([`super::export::write_model`]), read back
    /// asynchronously.
    pub async fn model_file(&self) -> Result<Vec<u8>, String> {
        let tensors = super::weights::read_weights(self.trainer.model()).await?;
        Ok(write_model(&self.model_description(), &tensors))
    }

    /// Replaces the model's weights with those of a model file made for the same experiment.
    pub fn load_model_file(&mut self, name: &str, bytes: &[u8]) -> Result<(), String> {
        let (description, tensors) = read_model(name, bytes)?;
        if description.model != self.source.experiment.model
            || description.input != self.source.dataset.shape()
            || description.classes.len() != self.source.dataset.num_classes()
        {
            return Err(format!(
                "{name} holds a model for other data or another architecture than this \
                 experiment's."
            ));
        }
        self.trainer
            .load_weights(&tensors)
            .map_err(|e| format!("{name}: {e}"))
    }

    /// Starts this run (at step 0) from the encoder in `tensors`: pretrained weights, or a
    /// model file of other data ([`super::weights::transfer_weights`]).
    pub fn start_from(
        &mut self,
        tensors: &[super::export::NamedTensor],
    ) -> super::pretrain::Transfer {
        self.trainer.start_from(tensors)
    }

    /// Takes the weights `tensors` (trained `steps` steps from here elsewhere: the command
    /// line's learner) and counts those steps as taken.
    pub fn adopt_weights(
        &mut self,
        tensors: &[super::export::NamedTensor],
        steps: u64,
    ) -> Result<(), String> {
        self.trainer.load_weights(tensors)?;
        self.resume_at(self.step + steps);
        Ok(())
    }

    /// Samples in a training batch (the batch size, or the whole training part if smaller).
    pub fn batch_len(&self) -> usize {
        self.source
            .experiment
            .batch_size
            .min(self.source.dataset.train.len())
    }

    /// Steps whose metrics have not been read yet.
    pub fn unread_steps(&self) -> u64 {
        self.pending.as_ref().map_or(0, |p| p.steps)
    }

    /// Applies the settings that can change mid-run (learning rate, batch size,
    /// augmentation, and every labeling setting but the labels kept per class); returns
    /// `false`, changing nothing, when `experiment` differs in anything else.
    pub fn update(&mut self, experiment: &Experiment) -> bool {
        let mut live = Experiment {
            learning_rate: self.source.experiment.learning_rate,
            batch_size: self.source.experiment.batch_size,
            augment: self.source.experiment.augment.clone(),
            ..experiment.clone()
        };
        live.labeling = super::label::LabelingConfig {
            labels_per_class: experiment.labeling.labels_per_class,
            ..self.source.experiment.labeling.clone()
        };
        if live != self.source.experiment
            || experiment
                .validate(
                    &self.source.dataset.shape(),
                    self.source.dataset.num_classes(),
                )
                .is_err()
        {
            return false;
        }
        self.trainer.set_learning_rate(experiment.learning_rate);
        self.source.experiment = experiment.clone();
        true
    }

    /// Goes on training the same model on `dataset` (new labels joined it, or left it): the
    /// next batch starts a fresh pass over its training part. The standardization stays as
    /// the run began, so the model's inputs do not shift.
    pub fn set_dataset(&mut self, dataset: Arc<Dataset>) {
        self.source.dataset = dataset;
        self.shuffle();
    }

    /// Whether a step draws unlabeled samples for consistency training.
    pub fn uses_consistency(&self) -> bool {
        self.source.uses_consistency()
    }

    /// What makes this run's training batches.
    pub fn batch_source(&self) -> &BatchSource {
        &self.source
    }

    /// One optimisation step on the next batch ([`BatchSource::labeled_batch`] and, with
    /// consistency training, [`BatchSource::consistency_batches`]). Returns `true` when it
    /// completed an epoch.
    pub fn train_step(&mut self) -> bool {
        let end = (self.cursor + self.source.experiment.batch_size).min(self.order.len());
        let batch = self
            .source
            .labeled_batch(&self.order[self.cursor..end], self.step);
        let samples = batch.len();
        let (loss, score, confident) = match (&self.source.target_scale, &batch.measured) {
            (Some(scale), Some(measured)) => {
                let standard: Vec<f32> = measured.iter().map(|&v| scale.standardize(v)).collect();
                let output = self.trainer.regression_step(
                    &batch.input,
                    &standard,
                    batch.weights.as_deref(),
                    self.source.experiment.regression_loss,
                );
                (output.loss, Score::SquaredError(output.squared_error), None)
            }
            _ => {
                let unlabeled = self.uses_consistency().then(|| {
                    self.source
                        .consistency_batches(samples, &mut self.unlabeled_rng, self.step)
                });
                let output = self.trainer.step_with(
                    &batch,
                    unlabeled
                        .as_ref()
                        .map(|(weak, strong)| self.source.consistency(weak, strong)),
                );
                let confident = output
                    .confident
                    .zip(unlabeled.as_ref().map(|(weak, _)| weak.len()));
                (output.loss, Score::Correct(output.correct), confident)
            }
        };
        let loss_sum = loss * samples as f64;
        self.pending = Some(match self.pending.take() {
            None => Pending {
                loss_sum,
                score,
                steps: 1,
                samples,
                confident,
            },
            Some(p) => Pending {
                loss_sum: p.loss_sum + loss_sum,
                score: p.score.add(score),
                steps: p.steps + 1,
                samples: p.samples + samples,
                confident: match (p.confident, confident) {
                    (Some((a, n)), Some((b, m))) => Some((a + b, n + m)),
                    (a, b) => a.or(b),
                },
            },
        });
        self.step += 1;
        self.cursor = end;
        if self.cursor >= self.order.len() {
            self.epochs_done += 1;
            self.shuffle();
            true
        } else {
            false
        }
    }

    /// Reads back the loss and accuracy accumulated since the last read (`None` if no step
    /// was taken since). Waits for the device to finish the queued steps.
    pub async fn read_train_metrics(&mut self) -> Result<Option<TrainMetrics>, String> {
        let Some(pending) = self.pending.take() else {
            return Ok(None);
        };
        let loss_sum = read_scalar(pending.loss_sum).await?;
        let samples = pending.samples.max(1) as f64;
        let (correct, rmse) = match pending.score {
            Score::Correct(correct) => {
                let correct = correct
                    .into_data_async()
                    .await
                    .map_err(|e| format!("reading the accuracy back failed: {e:?}"))?
                    .iter::<i64>()
                    .next()
                    .unwrap_or(0);
                (correct, None)
            }
            Score::SquaredError(sum) => {
                let std = self.source.target_scale.map_or(1.0, |s| f64::from(s.std));
                (0, Some((read_scalar(sum).await? / samples).sqrt() * std))
            }
        };
        let confident = match pending.confident {
            Some((count, drawn)) => Some(read_scalar(count).await? / drawn.max(1) as f64),
            None => None,
        };
        Ok(Some(TrainMetrics {
            step: self.step,
            epoch: self.epoch(),
            loss: loss_sum / samples,
            accuracy: correct as f64 / samples,
            rmse,
            samples: pending.samples,
            confident,
        }))
    }

    /// Loss, accuracy and every prediction on the validation set.
    pub async fn evaluate(&self) -> Result<EvalMetrics, String> {
        self.evaluate_on(&self.source.dataset.valid).await
    }

    /// Class probabilities (for a measured target, predicted values in its units) and
    /// embeddings of `samples` at `indices`, left on the device.
    pub fn predict(&self, samples: &Samples, indices: &[usize]) -> Prediction {
        self.trainer.predict(
            &self.model_batch(samples, indices).input,
            self.source.target_scale,
            None,
        )
    }

    /// [`Session::predict`], and for a measured target each prediction's spread under MC
    /// dropout (seeded by `seed`): `None` where the model has no dropout to sample.
    pub fn predict_with_spread(
        &self,
        samples: &Samples,
        indices: &[usize],
        seed: u64,
    ) -> Prediction {
        let rate = self.source.experiment.model.dropout();
        let spread = (rate > 0.0).then_some(SpreadConfig {
            rate,
            passes: SPREAD_PASSES,
            seed,
        });
        self.trainer.predict(
            &self.model_batch(samples, indices).input,
            self.source.target_scale,
            spread,
        )
    }

    /// Loss, accuracy and every prediction on the labeled `samples`.
    pub async fn evaluate_on(&self, samples: &Samples) -> Result<EvalMetrics, String> {
        if let Some(scale) = self.source.target_scale {
            return self.evaluate_measured(samples, scale).await;
        }
        let valid = samples;
        let indices: Vec<usize> = (0..valid.len()).collect();
        let mut loss_sum: Option<Tensor<1>> = None;
        let mut probabilities = Vec::new();
        for chunk in indices.chunks(EVAL_BATCH) {
            let output = self.trainer.evaluate(&self.model_batch(valid, chunk));
            loss_sum = Some(match loss_sum {
                None => output.loss_sum,
                Some(sum) => sum + output.loss_sum,
            });
            probabilities.push(output.probabilities);
        }
        let Some(loss_sum) = loss_sum else {
            return Err("there are no samples to evaluate".into());
        };
        let loss = read_scalar(loss_sum).await? / valid.len() as f64;
        let probabilities = read_floats(Tensor::cat(probabilities, 0), "predictions").await?;
        let (predictions, confidences): (Vec<u32>, Vec<f32>) =
            argmax_rows(&probabilities, self.source.dataset.num_classes())
                .into_iter()
                .unzip();
        let correct = predictions
            .iter()
            .zip(valid.labels())
            .filter(|(p, t)| p == t)
            .count();
        Ok(EvalMetrics {
            step: self.step,
            loss,
            accuracy: correct as f64 / valid.len() as f64,
            predictions,
            confidences,
            regression: None,
        })
    }

    /// [`Session::evaluate_on`] for measured targets: the loss (standardised, of the
    /// experiment's kind) and the metrics over the samples with a measured value, every
    /// prediction in the target's units.
    async fn evaluate_measured(
        &self,
        samples: &Samples,
        scale: TargetScale,
    ) -> Result<EvalMetrics, String> {
        let indices: Vec<usize> = (0..samples.len()).collect();
        if indices.is_empty() {
            return Err("there are no samples to evaluate".into());
        }
        let mut outputs = Vec::new();
        for chunk in indices.chunks(EVAL_BATCH) {
            let batch = self.model_batch(samples, chunk);
            outputs.push(self.trainer.logits(&batch.input));
        }
        let outputs = read_floats(Tensor::cat(outputs, 0), "predictions").await?;
        let predicted: Vec<f32> = outputs.iter().map(|&o| scale.restore(o)).collect();
        let (known_predicted, known): (Vec<f32>, Vec<f32>) = predicted
            .iter()
            .zip(samples.measured())
            .filter(|(_, m)| !m.is_nan())
            .map(|(&p, &m)| (p, m))
            .unzip();
        let metrics = RegressionMetrics::of(&known_predicted, &known);
        let loss = {
            let error = |p: f32, m: f32| f64::from(scale.standardize(p) - scale.standardize(m));
            let per_sample = known_predicted.iter().zip(&known).map(|(&p, &m)| {
                let e = error(p, m);
                match self.source.experiment.regression_loss {
                    RegressionLoss::Mse => e * e,
                    RegressionLoss::Huber { delta } => {
                        let (a, d) = (e.abs(), f64::from(delta));
                        if a <= d {
                            a * a / 2.0
                        } else {
                            d * (a - d / 2.0)
                        }
                    }
                }
            });
            per_sample.sum::<f64>() / known.len().max(1) as f64
        };
        Ok(EvalMetrics {
            step: self.step,
            loss,
            accuracy: 0.0,
            predictions: vec![0; samples.len()],
            confidences: vec![1.0; samples.len()],
            regression: Some((predicted, metrics)),
        })
    }

    /// For measured targets: their scale over the training samples.
    pub fn target_scale(&self) -> Option<TargetScale> {
        self.source.target_scale
    }

    /// The samples at `indices` as the model sees them (standardized).
    pub fn model_batch(&self, samples: &Samples, indices: &[usize]) -> Batch {
        self.source.model_batch(samples, indices)
    }

    /// For node classification: the predicted class of every node of the graph (training and
    /// validation nodes alike), for drawing. `None` for other kinds of data.
    pub async fn predict_all_nodes(&self) -> Result<Option<Vec<u32>>, String> {
        let super::data::Samples::Nodes(nodes) = &self.source.dataset.train else {
            return Ok(None);
        };
        let count = nodes.all_labels.len();
        let input = super::data::BatchInput::Nodes {
            features: nodes.graph.features.clone(),
            feature_dim: nodes.feature_dim,
            edges: nodes.graph.edges.clone(),
            targets: (0..count as u32).collect(),
        };
        let predicted = self
            .trainer
            .logits(&input)
            .argmax(1)
            .into_data_async()
            .await
            .map_err(|e| format!("reading node predictions back failed: {e:?}"))?;
        Ok(Some(predicted.iter::<i64>().map(|p| p as u32).collect()))
    }

    fn shuffle(&mut self) {
        self.order = (0..self.source.dataset.train.len()).collect();
        self.order.shuffle(&mut self.order_rng);
        self.cursor = 0;
    }
}

impl BatchSource {
    /// The experiment the batches are made for.
    pub fn experiment(&self) -> &Experiment {
        &self.experiment
    }

    /// The dataset the batches are drawn from.
    pub fn dataset(&self) -> &Arc<Dataset> {
        &self.dataset
    }

    /// Whether a step draws unlabeled samples for consistency training.
    pub fn uses_consistency(&self) -> bool {
        self.experiment.labeling.consistency && !self.dataset.unlabeled.is_empty()
    }

    /// The training samples at `indices` as step `step` (counting the steps before it) learns
    /// them: accepted pseudo-labels weigh `labeling.pseudo_weight`; the batch is augmented
    /// (before standardization) with the experiment's augmentation, drawn from
    /// [`augment_rng`]`(seed, step)`, then standardized.
    pub fn labeled_batch(&self, indices: &[usize], step: u64) -> Batch {
        let mut batch = self.dataset.train.batch(indices);
        if indices.iter().any(|&i| self.dataset.is_pseudo(i)) {
            let pseudo_weight = self.experiment.labeling.pseudo_weight;
            batch.weights = Some(
                indices
                    .iter()
                    .map(|&i| {
                        if self.dataset.is_pseudo(i) {
                            pseudo_weight
                        } else {
                            1.0
                        }
                    })
                    .collect(),
            );
        }
        let augment = &self.experiment.augment;
        if !augment.is_identity() {
            let mut rng = augment_rng(self.experiment.seed, step);
            augment_batch(augment, &mut batch, &self.augment_context, &mut rng);
        }
        self.standardizer.apply(&mut batch);
        batch
    }

    /// The weakly and the strongly augmented versions of `ratio × labeled` unlabeled samples
    /// drawn with `draws` for the consistency half of step `step`, standardized: `ratio` is
    /// `labeling.unlabeled_ratio`; weak is the light preset, strong the experiment's
    /// augmentation (the strong preset when it has none), both without mixup.
    pub fn consistency_batches(
        &self,
        labeled: usize,
        draws: &mut Rng,
        step: u64,
    ) -> (Batch, Batch) {
        let pool = &self.dataset.unlabeled;
        let count = (labeled * self.experiment.labeling.unlabeled_ratio).min(pool.len());
        let indices: Vec<usize> = (0..count)
            .map(|_| pool[draws.random_range(0..pool.len())])
            .collect();
        let context = &self.augment_context;
        let kind = context.kind;
        let alphabet = context.alphabet.as_deref();
        let mut weak = self.dataset.pool.batch(&indices);
        let mut strong = weak.clone();
        let mut rng = augment_rng(self.experiment.seed ^ 0x5eed_u64, step);
        augment_batch(
            &AugmentConfig::preset(Preset::Light, kind, alphabet),
            &mut weak,
            context,
            &mut rng,
        );
        // Mixup blends two samples' labels, which a proposal for one cannot follow.
        let mut strong_config = if self.experiment.augment.is_identity() {
            AugmentConfig::preset(Preset::Strong, kind, alphabet)
        } else {
            self.experiment.augment.clone()
        };
        strong_config
            .steps
            .retain(|s| s.augmentation != Augmentation::Mixup);
        augment_batch(&strong_config, &mut strong, context, &mut rng);
        self.standardizer.apply(&mut weak);
        self.standardizer.apply(&mut strong);
        (weak, strong)
    }

    /// The consistency half of a step on `weak` and `strong`, with the experiment's threshold
    /// and weight.
    pub fn consistency<'a>(&self, weak: &'a Batch, strong: &'a Batch) -> Consistency<'a> {
        Consistency {
            weak,
            strong,
            threshold: self.experiment.labeling.threshold,
            weight: self.experiment.labeling.consistency_weight,
        }
    }

    /// The samples at `indices` as the model sees them (standardized).
    pub fn model_batch(&self, samples: &Samples, indices: &[usize]) -> Batch {
        let mut batch = samples.batch(indices);
        self.standardizer.apply(&mut batch);
        batch
    }
}

/// Reads `tensor`'s values back from the device (asynchronously: synchronous reads panic on
/// WebGPU in a browser); `what` names them in the error.
pub async fn read_floats<const D: usize>(
    tensor: Tensor<D>,
    what: &str,
) -> Result<Vec<f32>, String> {
    tensor
        .into_data_async()
        .await
        .map_err(|e| format!("reading {what} back failed: {e:?}"))?
        .try_to_vec::<f32>()
        .map_err(|e| format!("reading {what} back failed: {e:?}"))
}

async fn read_scalar(tensor: Tensor<1>) -> Result<f64, String> {
    let data = tensor
        .into_data_async()
        .await
        .map_err(|e| format!("reading a value back failed: {e:?}"))?;
    data.iter::<f64>()
        .next()
        .ok_or_else(|| "the device returned no value".to_string())
}
