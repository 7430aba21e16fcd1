//! One training step and evaluation. No loop, no sleeping, no I/O: the caller decides when to
//! step and when to read results back, so GPU work is never stalled by a read.

use super::data::{Batch, BatchInput, DataShape, Mix};
use super::experiment::OptimizerKind;
use super::models::{Model, ModelConfig};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, SgdConfig};
use burn::prelude::*;
use burn::tensor::activation::{log_softmax, softmax};
use std::sync::Mutex;

/// The tensors a training step leaves on the device, not yet read back.
pub struct StepOutput {
    /// Mean cross-entropy of the batch. `[1]`
    pub loss: Tensor<1>,
    /// Number of correctly classified samples in the batch. `[1]`
    pub correct: Tensor<1, Int>,
}

/// The tensors an evaluation pass leaves on the device.
pub struct EvalOutput {
    /// Summed cross-entropy over the batch. `[1]`
    pub loss_sum: Tensor<1>,
    /// Class probabilities. `[batch, classes]`
    pub probabilities: Tensor<2>,
}

/// A model, its optimizer and learning rate, on one device.
pub struct Trainer {
    /// Always `Some` between calls; taken while the optimizer consumes it.
    model: Option<Model>,
    optimizer: ModuleOptimizer,
    learning_rate: f64,
    device: Device,
}

impl Trainer {
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
        let optimizer = match optimizer {
            OptimizerKind::Adam => AdamConfig::new().init(),
            OptimizerKind::SgdMomentum => SgdConfig::new()
                .with_momentum(Some(MomentumConfig::new().with_momentum(0.9)))
                .init(),
        };
        Ok(Self {
            model: Some(model),
            optimizer,
            learning_rate,
            device,
        })
    }

    /// The model being trained.
    pub fn model(&self) -> &Model {
        self.model.as_ref().expect("model present between steps")
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
        let targets = self.targets(batch);
        let model = self.model.take().expect("model present between steps");
        let logits = model.forward(&batch.input, &self.device);
        let loss = match &batch.mix {
            None => CrossEntropyLossConfig::new()
                .init(&self.device)
                .forward(logits.clone(), targets.clone()),
            Some(mix) => self.mixed_loss(logits.clone(), batch, mix),
        };
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        self.model = Some(self.optimizer.step(self.learning_rate, model, grads));
        let correct = logits
            .detach()
            .argmax(1)
            .squeeze_dim::<1>(1)
            .equal(targets)
            .int()
            .sum();
        StepOutput {
            loss: loss.detach(),
            correct,
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

    /// Class scores of `input` in inference mode.
    ///
    /// # Shapes
    /// - output: `[batch, classes]`
    pub fn logits(&self, input: &BatchInput) -> Tensor<2> {
        let device = self.device.clone().without_autodiff();
        self.model().valid().forward(input, &device)
    }

    /// Mean over the batch of `w · CE(target) + (1 − w) · CE(partner)` (mixup's soft labels).
    fn mixed_loss(&self, logits: Tensor<2>, batch: &Batch, mix: &Mix) -> Tensor<1> {
        let [n, classes] = logits.dims();
        let mut soft = vec![0.0f32; n * classes];
        for i in 0..n {
            let w = mix.weight[i];
            soft[i * classes + batch.targets[i] as usize] += w;
            soft[i * classes + mix.partner[i] as usize] += 1.0 - w;
        }
        let soft = Tensor::<2>::from_data(TensorData::new(soft, [n, classes]), &self.device);
        (log_softmax(logits, 1) * soft)
            .sum()
            .mul_scalar(-1.0 / n.max(1) as f64)
    }

    fn targets(&self, batch: &Batch) -> Tensor<1, Int> {
        Tensor::from_data(
            TensorData::new(batch.targets.clone(), [batch.len()]),
            &self.device,
        )
    }
}
