//! Self-supervised pretraining of the run's encoder, and the weights runs start from: a
//! pretrained encoder, or the encoder of a model file of other data.

use super::{Activity, Engine, Platform, SLICE_MS};
use crate::ml::export::{NamedTensor, read_model};
use crate::ml::import::UploadFile;
use crate::ml::pretrain::{Objective, PretrainConfig, Pretraining};
use crate::ml::session::Session;
use crate::protocol::{FromWorker, StartingPoint};
use crate::reader::{ReadAnswer, ReadRequest};

/// What the progress reports say.
const TITLE: &str = "Pretraining";
/// Most pretraining steps in one slice (each slice ends by reading their loss).
const MAX_UNREAD_STEPS: usize = 4;

/// Weights every new run starts from, until another start is chosen.
pub(super) struct StartWeights {
    origin: String,
    tensors: Vec<NamedTensor>,
}

/// Pretraining in progress.
pub(super) struct PretrainJob {
    run: Pretraining,
    steps: usize,
}

impl<P: Platform> Engine<P> {
    /// Starts pretraining `config` on the current data's every sample.
    pub(super) async fn start_pretraining(&mut self, config: PretrainConfig) {
        let device = self.ensure_backend().await;
        let made = self
            .dataset_for(&self.experiment.clone())
            .and_then(|dataset| Pretraining::new(&self.experiment, &dataset, config, &device));
        let run = match made {
            Ok(run) => run,
            Err(message) => return self.platform.post(FromWorker::Error(message)),
        };
        self.stop_activity();
        self.platform.post(FromWorker::PretrainStarted {
            samples: run.samples(),
            steps: config.steps,
            objective: config.objective,
        });
        self.platform.post(FromWorker::Progress {
            what: TITLE.into(),
            done: 0,
            total: config.steps,
        });
        self.set_activity(Activity::Pretraining(Box::new(PretrainJob {
            run,
            steps: config.steps,
        })));
    }

    /// Takes pretraining steps for one time slice, reporting the loss; at the end the
    /// encoder becomes what runs start from.
    pub(super) async fn pretrain_slice(&mut self) {
        let start = self.platform.now_ms();
        let Activity::Pretraining(job) = &mut self.activity else {
            return;
        };
        // A bound on the steps queued between reads: on a GPU, steps queue without waiting,
        // and Pause should not wait out a long queue.
        for _ in 0..MAX_UNREAD_STEPS {
            if job.run.is_done() || self.platform.now_ms() - start >= SLICE_MS {
                break;
            }
            job.run.train_step();
        }
        let done = job.run.is_done();
        match job.run.read_loss().await {
            Ok(Some((step, loss))) => self.platform.post(FromWorker::PretrainLoss { step, loss }),
            Ok(None) => {}
            Err(message) => {
                self.platform.post(FromWorker::Error(message));
                return self.stop_activity();
            }
        }
        let step = job.run.step() as usize;
        self.platform.post(FromWorker::Progress {
            what: TITLE.into(),
            done: step.min(job.steps),
            total: job.steps,
        });
        if !done {
            return;
        }
        let origin = format!(
            "the encoder pretrained without labels{} on {} samples for {} steps",
            match job.run.objective() {
                Objective::Contrastive => "",
                Objective::Masked => " by masked prediction",
            },
            job.run.samples(),
            job.run.step()
        );
        let tensors = job.run.encoder_weights().await;
        self.set_activity(Activity::Idle);
        match tensors {
            Ok(tensors) => {
                self.start = Some(StartWeights { origin, tensors });
                self.platform
                    .post(FromWorker::PretrainDone { finished: true });
                self.restart().await;
            }
            Err(message) => self.platform.post(FromWorker::Error(message)),
        }
    }

    /// Makes runs start from the encoder in `file` (a model file or an experiment file with a
    /// model), for the same kind of data; on failure nothing changes.
    pub(super) async fn start_from_file(&mut self, file: UploadFile) {
        match self.encoder_in(&file).await {
            Ok(tensors) => {
                self.start = Some(StartWeights {
                    origin: format!("the encoder of {}", file.name),
                    tensors,
                });
                self.restart().await;
            }
            Err(message) => self
                .platform
                .post(FromWorker::Error(format!("{message} Nothing was changed."))),
        }
    }

    async fn encoder_in(&mut self, file: &UploadFile) -> Result<Vec<NamedTensor>, String> {
        let model = if file.name.to_lowercase().ends_with(".petri") {
            let request = ReadRequest::Experiment { file: file.clone() };
            let opened = match self.platform.read(&request).await {
                ReadAnswer::Experiment(opened) => *opened?,
                _ => unreachable!("an experiment file is answered with an experiment"),
            };
            opened.model.ok_or_else(|| {
                format!(
                    "{} holds no trained model: export it after training.",
                    file.name
                )
            })?
        } else {
            file.bytes.clone()
        };
        let (description, tensors) = read_model(&file.name, &model)?;
        let (shape, _) = self.data_shape(self.experiment.dataset)?;
        if description.input.kind() != shape.kind() {
            return Err(format!(
                "{} holds a model for {}; this data is {}.",
                file.name,
                description.input.kind().title(),
                shape.kind().title()
            ));
        }
        Ok(tensors)
    }

    /// Makes runs start from fresh weights again.
    pub(super) async fn start_from_scratch(&mut self) {
        if self.start.take().is_some() {
            self.restart().await;
        }
        self.platform.post(FromWorker::StartingPoint(None));
    }

    /// Gives the new run `session` the chosen start's weights, and says what it took.
    pub(super) fn apply_start(&self, session: &mut Session) {
        let Some(start) = &self.start else {
            return;
        };
        let transfer = session.start_from(&start.tensors);
        if transfer.loaded == 0 {
            self.platform.post(FromWorker::Notice(format!(
                "No tensor of {} fits this model: the run starts from fresh weights.",
                start.origin
            )));
        }
        self.platform
            .post(FromWorker::StartingPoint(Some(StartingPoint {
                origin: start.origin.clone(),
                taken: transfer.describe(),
                loaded: transfer.loaded,
            })));
    }
}
