//! Self-supervised pretraining: the model's encoder learns from every sample, labeled or not,
//! without reading a label (SimCLR: two augmented views of each sample are pulled together and
//! pushed away from the other samples' views; or, for sequences, hidden positions are filled in
//! from the rest), and a run then starts from that encoder with a new head. The same path
//! carries an encoder from a model file of other data ([`Transfer`]).

use serde::{Deserialize, Serialize};

/// What the encoder learns to do without labels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Objective {
    /// Two augmented views of a sample agree, against the other samples' views (SimCLR's
    /// NT-Xent): images, sequences and graphs.
    #[default]
    Contrastive,
    /// Hidden positions of a sequence are filled in from the rest (BERT's masked prediction):
    /// a letter as one of the alphabet's, a number as its value.
    Masked,
}

impl Objective {
    pub const ALL: [Objective; 2] = [Objective::Contrastive, Objective::Masked];

    /// A short stable identifier (the UI's select values).
    pub fn id(self) -> &'static str {
        match self {
            Objective::Contrastive => "contrastive",
            Objective::Masked => "masked",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.id() == id)
    }
}

/// How pretraining runs (with the experiment's optimizer).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PretrainConfig {
    /// What the encoder learns.
    #[serde(default)]
    pub objective: Objective,
    /// Optimisation steps.
    pub steps: usize,
    /// Samples per step (each seen as two views).
    pub batch_size: usize,
    /// NT-Xent's temperature: lower sharpens the similarities.
    pub temperature: f32,
    /// Width of the projection head's output, where the loss is computed.
    pub projection: usize,
    /// The optimizer's step size while pretraining.
    pub learning_rate: f64,
    /// Masked prediction: the share of each sequence's positions hidden at each step.
    #[serde(default = "default_mask_share")]
    pub mask_share: f32,
}

fn default_mask_share() -> f32 {
    0.15
}

impl Default for PretrainConfig {
    fn default() -> Self {
        Self {
            objective: Objective::Contrastive,
            steps: 400,
            batch_size: 128,
            temperature: 0.5,
            projection: 64,
            learning_rate: 0.002,
            mask_share: default_mask_share(),
        }
    }
}

impl PretrainConfig {
    /// Checks each setting; the message names the one out of range and its range.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=20_000).contains(&self.steps) {
            return Err("Pretraining steps must be from 1 to 20000.".into());
        }
        if !(4..=1024).contains(&self.batch_size) {
            return Err("The pretraining batch must hold from 4 to 1024 samples.".into());
        }
        if !(self.temperature.is_finite() && (0.01..=10.0).contains(&self.temperature)) {
            return Err("The temperature must be a number from 0.01 to 10.".into());
        }
        if !(2..=1024).contains(&self.projection) {
            return Err("The projection width must be from 2 to 1024.".into());
        }
        if !(self.learning_rate > 0.0 && self.learning_rate <= 1.0) {
            return Err("The pretraining learning rate must be above 0 and at most 1.".into());
        }
        if !(self.mask_share.is_finite() && (0.01..=0.5).contains(&self.mask_share)) {
            return Err("The share of positions hidden must be from 0.01 to 0.5.".into());
        }
        Ok(())
    }
}

/// What a run took from the weights it started from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Transfer {
    /// Tensors taken (same name and shape).
    pub loaded: usize,
    /// The model's tensors left as initialised, each with why (`head.weight`: a new head;
    /// others: missing from the weights, or of another shape).
    pub kept: Vec<String>,
    /// Tensors of the weights this model has no place for.
    pub unused: Vec<String>,
}

impl Transfer {
    /// One line for a person: what was taken and what was not.
    pub fn describe(&self) -> String {
        let mut text = format!(
            "{} tensor{} taken",
            self.loaded,
            if self.loaded == 1 { "" } else { "s" }
        );
        let misfits: Vec<&str> = self
            .kept
            .iter()
            .filter(|k| !k.starts_with("head."))
            .map(String::as_str)
            .collect();
        if misfits.is_empty() {
            text.push_str("; the head starts new");
        } else {
            text.push_str(&format!(
                "; the head and {} other tensor{} start new ({})",
                misfits.len(),
                if misfits.len() == 1 { "" } else { "s" },
                misfits.join("; ")
            ));
        }
        let unused: Vec<&str> = self
            .unused
            .iter()
            .filter(|u| !u.starts_with("head."))
            .map(String::as_str)
            .collect();
        if !unused.is_empty() {
            text.push_str(&format!("; not used: {}", unused.join(", ")));
        }
        text
    }
}

#[cfg(feature = "engine")]
pub use pretext::{Pretraining, Projection, nt_xent};

#[cfg(feature = "engine")]
mod pretext {
    use super::{Objective, PretrainConfig};
    use crate::ml::augment::{
        AugmentConfig, AugmentContext, Augmentation, Preset, augment_batch, augment_rng,
    };
    use crate::ml::data::{Batch, BatchInput, DataKind, Dataset, Samples, Standardizer};
    use crate::ml::experiment::Experiment;
    use crate::ml::export::NamedTensor;
    use crate::ml::models::{Model, ModelInput};
    use crate::ml::rng::{Rng, Stream, rng};
    use crate::ml::session::read_floats;
    use crate::ml::train::{Trainer, optimizer_of, soft_cross_entropy};
    use burn::module::Module;
    use burn::nn::{Linear, LinearConfig};
    use burn::optim::{GradientsParams, ModuleOptimizer};
    use burn::prelude::*;
    use burn::tensor::activation::relu;
    use rand::RngExt;
    use rand::seq::SliceRandom;

    /// NT-Xent, SimCLR's loss: the `2n` projections of two views are compared by cosine
    /// similarity over `temperature`, and each is classified among the other `2n − 1`, its
    /// own other view being the right answer; the mean cross-entropy over all `2n`.
    ///
    /// # Shapes
    /// - first, second: `[n, width]` (row `i` of each: two views of sample `i`)
    /// - output: `[1]`
    pub fn nt_xent(first: Tensor<2>, second: Tensor<2>, temperature: f32) -> Tensor<1> {
        let [n, _] = first.dims();
        let device = first.device();
        let z = Tensor::cat(vec![first, second], 0);
        let norms = z.clone().powi_scalar(2).sum_dim(1).add_scalar(1e-12).sqrt();
        let z = z / norms;
        let similarity = z
            .clone()
            .matmul(z.transpose())
            .div_scalar(f64::from(temperature));
        let rows = 2 * n;
        let mut self_pairs = vec![0.0f32; rows * rows];
        let mut positives = vec![0.0f32; rows * rows];
        for i in 0..rows {
            self_pairs[i * rows + i] = -1e9;
            positives[i * rows + (i + n) % rows] = 1.0;
        }
        let matrix = |values: Vec<f32>| {
            Tensor::<2>::from_data(TensorData::new(values, [rows, rows]), &device)
        };
        soft_cross_entropy(similarity + matrix(self_pairs), matrix(positives))
    }

    /// The head a pretext task reads the encoder through (Linear–ReLU–Linear), dropped after
    /// pretraining: SimCLR's projection (the representation before it transfers better), or
    /// masked prediction's guess at each hidden position.
    #[derive(Module, Debug)]
    pub struct Projection {
        hidden: Linear,
        output: Linear,
    }

    impl Projection {
        /// A head from `width` embeddings to `output` values, through `width` hidden units.
        pub fn new(width: usize, output: usize, device: &Device) -> Self {
            Self {
                hidden: LinearConfig::new(width, width).init(device),
                output: LinearConfig::new(width, output).init(device),
            }
        }

        /// # Shapes
        /// - embedding: `[batch, width]`
        /// - output: `[batch, output]`
        pub fn forward(&self, embedding: Tensor<2>) -> Tensor<2> {
            self.output.forward(relu(self.hidden.forward(embedding)))
        }
    }

    /// What pretraining optimises: the model (its head unused) and the pretext task's head.
    #[derive(Module, Debug)]
    struct Pretext {
        encoder: Model,
        projection: Projection,
    }

    /// A batch with some positions of each sequence hidden (zeros: no letter, or the mean).
    struct Masked {
        batch: Batch,
        /// `(sequence, position)` of each hidden position.
        hidden: Vec<(usize, usize)>,
        /// What each hidden position held: `[hidden, channels]`, standardised.
        truth: Vec<f32>,
        channels: usize,
    }

    /// A pretraining run: the experiment's model, initialised as a run of it would be, learning
    /// from two augmented views of every training and unlabeled sample.
    pub struct Pretraining {
        config: PretrainConfig,
        samples: Samples,
        standardizer: Standardizer,
        context: AugmentContext,
        views: AugmentConfig,
        seed: u64,
        learning_rate: f64,
        model: Option<Pretext>,
        optimizer: ModuleOptimizer,
        device: Device,
        order_rng: Rng,
        order: Vec<usize>,
        cursor: usize,
        step: u64,
        /// Summed loss and steps since the last read.
        pending: Option<(Tensor<1>, u64)>,
    }

    impl Pretraining {
        /// A run of `config` for `experiment`'s model on every sample of `dataset`.
        pub fn new(
            experiment: &Experiment,
            dataset: &Dataset,
            config: PretrainConfig,
            device: &Device,
        ) -> Result<Self, String> {
            config.validate()?;
            let kind = dataset.kind();
            if config.objective == Objective::Masked && kind != DataKind::Sequence {
                return Err(format!(
                    "Masked prediction fills in hidden positions of sequences, not {}: \
                     pretrain these by contrast.",
                    kind.title()
                ));
            }
            if !matches!(kind, DataKind::Image | DataKind::Sequence | DataKind::Graph) {
                return Err(format!(
                    "Pretraining learns from augmented views of whole samples: images, \
                     sequences or graphs, not {}.",
                    kind.title()
                ));
            }
            let mut samples = dataset.train.clone();
            samples.append(&dataset.pool.subset(&dataset.unlabeled));
            if samples.len() < 4 {
                return Err("Pretraining needs at least 4 samples.".into());
            }
            let trainer = Trainer::for_run(experiment, dataset, device)?;
            let device = trainer.device().clone();
            let encoder = trainer.into_model();
            let standardizer = Standardizer::fit(&dataset.train);
            let mut probe = samples.batch(&[0]);
            standardizer.apply(&mut probe);
            let probe_input = ModelInput::from_batch(&probe.input, &device);
            let (width, output) = match config.objective {
                Objective::Contrastive => {
                    let [_, width] = encoder.embed(&probe_input).dims();
                    (width, config.projection)
                }
                Objective::Masked => {
                    let Some((positions, _)) = encoder.positions(&probe_input) else {
                        return Err("Masked prediction needs a sequence model.".into());
                    };
                    let [_, _, width] = positions.dims();
                    let BatchInput::Sequences { shape, .. } = &probe.input else {
                        unreachable!("sequence data gives sequence batches")
                    };
                    (width, shape[2])
                }
            };
            let context = AugmentContext::of(dataset);
            let alphabet = context.alphabet.as_deref();
            let mut views = if experiment.augment.is_identity() {
                AugmentConfig::preset(Preset::Strong, kind, alphabet)
            } else {
                experiment.augment.clone()
            };
            // Mixup blends two samples: a view of one would have two right answers.
            views
                .steps
                .retain(|s| s.augmentation != Augmentation::Mixup);
            Ok(Self {
                model: Some(Pretext {
                    encoder,
                    projection: Projection::new(width, output, &device),
                }),
                config,
                order: (0..samples.len()).collect(),
                samples,
                standardizer,
                context,
                views,
                seed: experiment.seed,
                learning_rate: config.learning_rate,
                optimizer: optimizer_of(experiment.optimizer),
                device,
                order_rng: rng(experiment.seed, Stream::Pretrain),
                cursor: usize::MAX,
                step: 0,
                pending: None,
            })
        }

        /// Samples pretraining learns from (every training and unlabeled sample).
        pub fn samples(&self) -> usize {
            self.samples.len()
        }

        /// What the encoder learns.
        pub fn objective(&self) -> Objective {
            self.config.objective
        }

        /// Steps taken.
        pub fn step(&self) -> u64 {
            self.step
        }

        /// Whether every configured step has been taken.
        pub fn is_done(&self) -> bool {
            self.step >= self.config.steps as u64
        }

        /// The next batch, every sample once per pass in a shuffled order.
        fn next_batch(&mut self) -> Batch {
            let size = self.config.batch_size.min(self.samples.len());
            if self.cursor.saturating_add(size) > self.order.len() {
                self.order.shuffle(&mut self.order_rng);
                self.cursor = 0;
            }
            let indices = &self.order[self.cursor..self.cursor + size];
            self.cursor += size;
            self.samples.batch(indices)
        }

        /// The next batch's two views, augmented independently and standardised.
        fn views(&mut self) -> (Batch, Batch) {
            let mut first = self.next_batch();
            let mut second = first.clone();
            let mut draws = augment_rng(self.seed ^ 0x51_3c1a, self.step);
            augment_batch(&self.views, &mut first, &self.context, &mut draws);
            augment_batch(&self.views, &mut second, &self.context, &mut draws);
            self.standardizer.apply(&mut first);
            self.standardizer.apply(&mut second);
            (first, second)
        }

        /// The next batch, standardised, with `mask_share` of each sequence's real positions
        /// (at least one) hidden.
        fn masked(&mut self) -> Masked {
            let mut batch = self.next_batch();
            self.standardizer.apply(&mut batch);
            let BatchInput::Sequences {
                values,
                shape: [_, time, channels],
                lengths,
            } = &mut batch.input
            else {
                unreachable!("masked prediction is for sequences (checked in new)")
            };
            let (time, channels) = (*time, *channels);
            let mut draws = augment_rng(self.seed ^ 0x6d_a5c3, self.step);
            let (mut hidden, mut truth) = (Vec::new(), Vec::new());
            for (b, &length) in lengths.iter().enumerate() {
                let length = length.clamp(1, time);
                let mut chosen: Vec<usize> = (0..length)
                    .filter(|_| draws.random::<f32>() < self.config.mask_share)
                    .collect();
                if chosen.is_empty() {
                    chosen.push(draws.random_range(0..length));
                }
                for t in chosen {
                    let at = (b * time + t) * channels;
                    truth.extend_from_slice(&values[at..at + channels]);
                    values[at..at + channels].fill(0.0);
                    hidden.push((b, t));
                }
            }
            Masked {
                batch,
                hidden,
                truth,
                channels,
            }
        }

        /// Masked prediction's loss on the next batch: cross-entropy over the alphabet for
        /// letters, the squared error for numbers, at the hidden positions.
        fn masked_loss(&mut self, model: &Pretext) -> Tensor<1> {
            let Masked {
                batch,
                hidden,
                truth,
                channels,
            } = self.masked();
            let input = ModelInput::from_batch(&batch.input, &self.device);
            let (positions, reads) = model
                .encoder
                .positions(&input)
                .expect("a sequence model (checked in new)");
            let [sequences, outputs, width] = positions.dims();
            let rows: Vec<i64> = hidden
                .iter()
                .map(|&(b, t)| (b * outputs + reads[t]) as i64)
                .collect();
            let count = rows.len();
            let rows = Tensor::<1, Int>::from_data(TensorData::new(rows, [count]), &self.device);
            let guess = model.projection.forward(
                positions
                    .reshape([sequences * outputs, width])
                    .select(0, rows),
            );
            let truth =
                Tensor::<2>::from_data(TensorData::new(truth, [count, channels]), &self.device);
            if self.context.alphabet.is_some() {
                soft_cross_entropy(guess, truth)
            } else {
                (guess - truth).powi_scalar(2).mean()
            }
        }

        /// One optimisation step on the next batch (two fresh views, or hidden positions); the
        /// loss stays on the device until [`Self::read_loss`].
        pub fn train_step(&mut self) {
            let model = self.model.take().expect("model present between steps");
            let loss = match self.config.objective {
                Objective::Contrastive => {
                    let (first, second) = self.views();
                    let project = |batch: &Batch| {
                        let input = ModelInput::from_batch(&batch.input, &self.device);
                        model.projection.forward(model.encoder.embed(&input))
                    };
                    nt_xent(project(&first), project(&second), self.config.temperature)
                }
                Objective::Masked => self.masked_loss(&model),
            };
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            self.model = Some(self.optimizer.step(self.learning_rate, model, grads));
            let loss = loss.detach();
            self.pending = Some(match self.pending.take() {
                None => (loss, 1),
                Some((sum, steps)) => (sum + loss, steps + 1),
            });
            self.step += 1;
        }

        /// The mean loss over the steps since the last read, and the step count; `None` when
        /// no step was taken since.
        pub async fn read_loss(&mut self) -> Result<Option<(u64, f64)>, String> {
            let Some((sum, steps)) = self.pending.take() else {
                return Ok(None);
            };
            let sum = read_floats(sum, "the pretraining loss").await?;
            Ok(Some((self.step, f64::from(sum[0]) / steps as f64)))
        }

        /// The encoder's weights (the model's, its unused head included), for a run to start
        /// from ([`crate::ml::session::Session::start_from`]).
        pub async fn encoder_weights(&self) -> Result<Vec<NamedTensor>, String> {
            let model = self.model.as_ref().expect("model present between steps");
            crate::ml::weights::read_weights(&model.encoder).await
        }
    }
}
