//! Two runs trained side by side, differing only in augmentation.

use super::{Activity, Engine, Platform, SLICE_MS};
use crate::ml::augment::AugmentConfig;
use crate::ml::data::Dataset;
use crate::ml::experiment::Experiment;
use crate::ml::session::Session;
use crate::protocol::{ComparePoint, FromWorker};
use std::sync::Arc;

/// The runs of a comparison and how far each has got.
pub(super) struct Comparison {
    runs: [Session; 2],
    /// Epochs each run has finished.
    epochs: [usize; 2],
    target_epochs: usize,
}

impl<P: Platform> Engine<P> {
    /// Starts two runs of the current experiment on a labeled subset, one per augmentation.
    pub(super) async fn start_comparison(
        &mut self,
        runs: [AugmentConfig; 2],
        labeled: usize,
        epochs: usize,
    ) {
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
        let subset = Arc::new(labeled_subset(&dataset, labeled));
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
        self.stop_activity();
        self.platform.post(FromWorker::CompareStarted {
            labeled: subset.train.len(),
            epochs,
        });
        self.set_activity(Activity::Comparing(Box::new(Comparison {
            runs: sessions,
            epochs: [0, 0],
            target_epochs: epochs,
        })));
    }

    /// Steps both runs of the comparison in turn for one time slice, evaluating each at its
    /// epoch ends.
    pub(super) async fn compare_slice(&mut self) {
        let start = self.platform.now_ms();
        while let Activity::Comparing(comparison) = &mut self.activity {
            for run in 0..2 {
                if comparison.epochs[run] >= comparison.target_epochs {
                    continue;
                }
                let session = &mut comparison.runs[run];
                if session.train_step() {
                    comparison.epochs[run] += 1;
                    let evaluated = match session.read_train_metrics().await {
                        Ok(_) => session.evaluate().await,
                        Err(message) => Err(message),
                    };
                    match evaluated {
                        Ok(metrics) => self.platform.post(FromWorker::Compare(ComparePoint {
                            run,
                            epoch: comparison.epochs[run],
                            loss: metrics.loss,
                            accuracy: metrics.accuracy,
                        })),
                        Err(message) => {
                            self.platform.post(FromWorker::Error(message));
                            return self.stop_activity();
                        }
                    }
                }
            }
            if comparison
                .epochs
                .iter()
                .all(|&e| e >= comparison.target_epochs)
                && let Activity::Comparing(comparison) =
                    std::mem::replace(&mut self.activity, Activity::Idle)
            {
                return self.end_comparison(comparison, true);
            }
            if self.platform.now_ms() - start >= SLICE_MS {
                return;
            }
        }
    }

    /// Keeps the comparison's runs for comparing their layers and tells the UI it ended.
    pub(super) fn end_comparison(&mut self, comparison: Box<Comparison>, finished: bool) {
        self.compared_runs = Some(Box::new(comparison.runs));
        self.platform.post(FromWorker::CompareDone { finished });
    }
}

/// `dataset` with only (about) `labeled` training samples, the same share of each class,
/// taken in the order of the (already shuffled) training part; validation is kept whole.
fn labeled_subset(dataset: &Dataset, labeled: usize) -> Dataset {
    let labels = dataset.train.labels();
    let classes = dataset.num_classes().max(1);
    let mut counts = vec![0usize; classes];
    for &label in labels {
        counts[label as usize] += 1;
    }
    let share = (labeled as f64 / labels.len().max(1) as f64).min(1.0);
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
    Dataset::new(
        dataset.name.clone(),
        dataset.class_names.clone(),
        dataset.train.subset(&indices),
        dataset.valid.clone(),
    )
}
