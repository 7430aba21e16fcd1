//! The label-budget experiment: each curve trains its own run from the same initial weights
//! and labels, and after every round Petri, knowing the hidden labels, labels the samples
//! the curve's strategy asks for.

use super::{Activity, Engine, Platform, SLICE_MS};
use crate::ml::data::NO_LABEL;
use crate::ml::experiment::{DatasetId, Experiment};
use crate::ml::export::NamedTensor;
use crate::ml::label::budget::{BudgetArm, BudgetConfig, BudgetPoint};
use crate::ml::label::query::{Candidates, MAX_CENTRES, rank};
use crate::ml::label::{Collection, LabelSource, PoolLabel};
use crate::ml::pretrain::{PretrainConfig, Pretraining};
use crate::ml::rng::{Stream, rng};
use crate::ml::session::{Session, read_floats};
use crate::protocol::FromWorker;
use burn::prelude::*;
use rand::seq::SliceRandom;
use std::sync::Arc;

/// Most unlabeled samples scored per round (a seeded random subset of larger pools).
const CANDIDATES: usize = 1000;
/// What the progress reports say.
const TITLE: &str = "Label-budget experiment";

/// A label-budget experiment in progress.
pub(super) struct BudgetRun {
    config: BudgetConfig,
    arms: Vec<BudgetArm>,
    experiment: Experiment,
    collection: Arc<Collection>,
    truth: Vec<u32>,
    device: Device,
    /// The curve being trained, its run, its labels, its round and the steps left in it.
    arm: usize,
    session: Option<Session>,
    assigned: Vec<Option<PoolLabel>>,
    round: usize,
    steps_left: usize,
    /// The pretrained curves' encoder, pretrained once (labels play no part in it).
    encoder: Option<Vec<NamedTensor>>,
    pretraining: Option<Pretraining>,
}

impl BudgetRun {
    fn evaluations(&self) -> usize {
        self.arms.len() * (self.config.rounds + 1)
    }

    fn evaluated(&self) -> usize {
        self.arm * (self.config.rounds + 1) + self.round
    }
}

impl<P: Platform> Engine<P> {
    /// Starts the experiment on the current built-in dataset.
    pub(super) async fn start_budget(&mut self, config: BudgetConfig) {
        if let Err(message) = config.validate() {
            return self.platform.post(FromWorker::Error(message));
        }
        let DatasetId::Builtin(dataset) = self.experiment.dataset else {
            return self.platform.post(FromWorker::Error(
                "The label-budget experiment needs a built-in dataset: Petri plays the person \
                 who labels, so it must know every label."
                    .into(),
            ));
        };
        let device = self.ensure_backend().await;
        let collection =
            Collection::builtin(dataset, self.experiment.seed, Some(config.start_per_class));
        let truth = collection.pool_truth.clone().unwrap_or_default();
        let needed = config.per_round * config.rounds;
        if truth.len() < needed {
            return self.platform.post(FromWorker::Error(format!(
                "The pool has {} samples, fewer than the {needed} the rounds would label: use \
                 fewer rounds or labels per round.",
                truth.len()
            )));
        }
        self.stop_activity();
        let arms = BudgetArm::arms(self.experiment.labeling.strategy, config.pretrain_steps > 0);
        self.platform.post(FromWorker::BudgetStarted {
            arms: arms.clone(),
            config,
        });
        let run = BudgetRun {
            config,
            arms,
            experiment: self.experiment.clone(),
            assigned: vec![None; truth.len()],
            collection: Arc::new(collection),
            truth,
            device,
            arm: 0,
            session: None,
            round: 0,
            steps_left: 0,
            encoder: None,
            pretraining: None,
        };
        self.platform.post(FromWorker::Progress {
            what: TITLE.into(),
            done: 0,
            total: run.evaluations(),
        });
        self.set_activity(Activity::Budget(Box::new(run)));
    }

    /// Trains, evaluates and labels for one time slice.
    pub(super) async fn budget_slice(&mut self) {
        let start = self.platform.now_ms();
        while let Activity::Budget(run) = &mut self.activity {
            match step_budget(run).await {
                Ok(Some(point)) => {
                    self.platform.post(FromWorker::Budget(point));
                    let done = run.evaluated();
                    let total = run.evaluations();
                    self.platform.post(FromWorker::Progress {
                        what: TITLE.into(),
                        done: done.min(total),
                        total,
                    });
                    if done >= total {
                        self.set_activity(Activity::Idle);
                        self.platform
                            .post(FromWorker::BudgetDone { finished: true });
                        return;
                    }
                }
                Ok(None) => {}
                Err(message) => {
                    self.platform.post(FromWorker::Error(message));
                    self.stop_activity();
                    return;
                }
            }
            if self.platform.now_ms() - start >= SLICE_MS {
                return;
            }
        }
    }
}

/// One piece of work: a training step, or an evaluation (returned) followed by the oracle's
/// labels for the next round.
async fn step_budget(run: &mut BudgetRun) -> Result<Option<BudgetPoint>, String> {
    if run.session.is_none() {
        let arm = run.arms[run.arm];
        let mut experiment = run.experiment.clone();
        experiment.labeling.consistency = arm.semi_supervised;
        run.assigned = vec![None; run.truth.len()];
        let dataset = Arc::new(run.collection.dataset(&run.assigned));
        if arm.pretrained && run.encoder.is_none() {
            let pretraining = match &mut run.pretraining {
                Some(pretraining) => pretraining,
                None => run.pretraining.insert(Pretraining::new(
                    &experiment,
                    &dataset,
                    PretrainConfig {
                        steps: run.config.pretrain_steps,
                        ..PretrainConfig::default()
                    },
                    &run.device,
                )?),
            };
            pretraining.train_step();
            if pretraining.is_done() {
                run.encoder = Some(pretraining.encoder_weights().await?);
                run.pretraining = None;
            } else if pretraining.step().is_multiple_of(4) {
                pretraining.read_loss().await?;
            }
            return Ok(None);
        }
        let mut session = Session::new(&experiment, dataset, &run.device)?;
        if arm.pretrained
            && let Some(encoder) = &run.encoder
        {
            session.start_from(encoder);
        }
        run.session = Some(session);
        run.round = 0;
        run.steps_left = run.config.steps_per_round;
    }
    let session = run.session.as_mut().expect("made above");
    if run.steps_left > 0 {
        session.train_step();
        run.steps_left -= 1;
        return Ok(None);
    }
    session.read_train_metrics().await?;
    let metrics = session.evaluate().await?;
    let point = BudgetPoint {
        arm: run.arm,
        labels: session.dataset().train.len(),
        accuracy: metrics.accuracy,
    };
    if run.round == run.config.rounds {
        run.arm += 1;
        run.round = 0;
        run.session = None;
        // `evaluated` counts finished curves through `arm`.
        return Ok(Some(point));
    }
    let picks = oracle_picks(run).await?;
    for i in picks {
        run.assigned[i] = Some(PoolLabel {
            class: run.truth[i],
            source: LabelSource::Human,
            value: None,
        });
    }
    let dataset = Arc::new(run.collection.dataset(&run.assigned));
    let session = run.session.as_mut().expect("made above");
    session.set_dataset(dataset);
    run.round += 1;
    run.steps_left = run.config.steps_per_round;
    Ok(Some(point))
}

/// The pool samples the current curve's strategy asks about next.
async fn oracle_picks(run: &BudgetRun) -> Result<Vec<usize>, String> {
    let session = run.session.as_ref().expect("a curve is running");
    let dataset = session.dataset();
    let round_seed = run.experiment.seed ^ ((run.arm as u64) << 32) ^ run.round as u64;
    let mut candidates = dataset.unlabeled.clone();
    candidates.shuffle(&mut rng(round_seed, Stream::Query));
    candidates.truncate(CANDIDATES);
    let strategy = run.arms[run.arm].strategy;
    let count = run.config.per_round;
    let probabilities = read_floats(
        session.predict(&dataset.pool, &candidates).probabilities,
        "predictions",
    )
    .await?;
    let (embeddings, labeled, width) = if strategy.needs_embeddings() {
        let pool = session.predict(&dataset.pool, &candidates).embeddings;
        let [_, width] = pool.dims();
        let train: Vec<usize> = (0..dataset.train.len().min(MAX_CENTRES)).collect();
        let labeled = session.predict(&dataset.train, &train).embeddings;
        (
            read_floats(pool, "embeddings").await?,
            read_floats(labeled, "embeddings").await?,
            width,
        )
    } else {
        (Vec::new(), Vec::new(), 1)
    };
    let order = rank(
        strategy,
        &Candidates {
            probabilities: &probabilities,
            classes: dataset.num_classes(),
            embeddings: &embeddings,
            labeled: &labeled,
            width,
            spread: &[],
        },
        count,
        round_seed,
    );
    debug_assert!(order.iter().all(|&k| run.truth[candidates[k]] != NO_LABEL));
    Ok(order.into_iter().map(|k| candidates[k]).collect())
}
