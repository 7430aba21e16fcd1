//! The command line's `--devices`: the current run, trained by burn-train's learner
//! ([`crate::ml::parallel`]) on a thread of its own while this one reports.

use super::{Engine, Platform};
use crate::ml::export::MetricPoint;
use crate::ml::parallel::{self, StepReport, Strategy};
use crate::ml::weights::read_weights;
use crate::protocol::{FromWorker, TrainReport};
use std::sync::mpsc;

impl<P: Platform> Engine<P> {
    /// Trains the current run (built first if needed) `steps` more steps with burn-train's
    /// learner on `strategy`, reporting the mean of every `report_every` steps, then takes the
    /// trained weights into the run and validates it. Returns `false`, with an error posted,
    /// if the run could not be built or training failed; the run is then as it was.
    pub async fn train_with_learner(
        &mut self,
        strategy: Strategy,
        steps: u64,
        report_every: u64,
    ) -> bool {
        if !self.ensure_session().await {
            return false;
        }
        let session = self.session.as_ref().expect("ensured");
        if session.dataset().is_regression() {
            self.platform.post(FromWorker::Error(
                "--devices trains classes: for a measured target, train on one device.".into(),
            ));
            return false;
        }
        let model = session.trainer().model().clone();
        let source = session.batch_source().clone();
        let first_step = session.step();
        let first_epoch = session.epoch();
        let samples_per_step = session.batch_len() * strategy.devices();
        let train_len = source.dataset().train.len().max(1);
        let report_every = report_every.max(1);
        let (sender, receiver) = mpsc::channel::<StepReport>();
        let trained = std::thread::scope(|scope| {
            let learner = scope.spawn(move || {
                parallel::train(model, &source, strategy, first_step, steps, sender)
            });
            let mut window = (0.0, 0.0, 0u64);
            self.last_report_ms = self.platform.now_ms();
            for report in receiver {
                window = (
                    window.0 + report.loss,
                    window.1 + report.accuracy,
                    window.2 + 1,
                );
                if report.step.is_multiple_of(report_every) || report.step == first_step + steps {
                    let now = self.platform.now_ms();
                    let seconds = ((now - self.last_report_ms) / 1000.0).max(1e-6);
                    self.last_report_ms = now;
                    let n = window.2 as f64;
                    let point = MetricPoint {
                        step: report.step,
                        epoch: first_epoch
                            + ((report.step - first_step) as usize * samples_per_step) as f64
                                / train_len as f64,
                        loss: window.0 / n,
                        accuracy: window.1 / n,
                        rmse: None,
                    };
                    self.history.record_train(point);
                    self.platform.post(FromWorker::Train(TrainReport {
                        step: point.step,
                        epoch: point.epoch,
                        loss: point.loss,
                        accuracy: point.accuracy,
                        samples_per_second: n * samples_per_step as f64 / seconds,
                        confident: None,
                        rmse: None,
                    }));
                    window = (0.0, 0.0, 0);
                }
            }
            learner.join()
        });
        let model = match trained {
            Ok(Ok(model)) => model,
            Ok(Err(message)) => {
                self.platform.post(FromWorker::Error(message));
                return false;
            }
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "unknown panic".into());
                self.platform
                    .post(FromWorker::Error(format!("training failed: {message}")));
                return false;
            }
        };
        let adopted = match read_weights(&model).await {
            Ok(tensors) => self
                .session
                .as_mut()
                .expect("ensured")
                .adopt_weights(&tensors, steps),
            Err(message) => Err(message),
        };
        if let Err(message) = adopted {
            self.platform.post(FromWorker::Error(message));
            return false;
        }
        self.evaluate().await;
        true
    }
}
