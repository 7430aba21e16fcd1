//! The label-budget experiment: accuracy against the number of labels a person gave, for a
//! query strategy against random picks, with and without semi-supervised training. Built-in
//! datasets with hidden labels let Petri play the person (the oracle).

use super::QueryStrategy;
use serde::{Deserialize, Serialize};

/// The schedule of a label-budget experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetConfig {
    /// Labels per class every curve starts from (the same samples for all).
    pub start_per_class: usize,
    /// Labels the oracle gives after each round.
    pub per_round: usize,
    /// Rounds of labeling after the first evaluation.
    pub rounds: usize,
    /// Training steps before each evaluation.
    pub steps_per_round: usize,
    /// Steps of pretraining on the pool without labels ([`crate::ml::pretrain`]) for curves
    /// that start from the pretrained encoder, labeled-only; 0: no such curves.
    #[serde(default)]
    pub pretrain_steps: usize,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        Self {
            start_per_class: 2,
            per_round: 8,
            rounds: 5,
            steps_per_round: 60,
            pretrain_steps: 0,
        }
    }
}

impl BudgetConfig {
    /// Checks the ranges; the message names the setting and what is allowed.
    pub fn validate(&self) -> Result<(), String> {
        let check = |what: &str, value: usize, max: usize| {
            if (1..=max).contains(&value) {
                Ok(())
            } else {
                Err(format!("{what} {value} is out of range: use 1 to {max}."))
            }
        };
        check("Starting labels per class", self.start_per_class, 100)?;
        check("Labels per round", self.per_round, 200)?;
        check("Rounds", self.rounds, 20)?;
        check("Steps per round", self.steps_per_round, 2000)?;
        if self.pretrain_steps > 20_000 {
            return Err("Pretraining steps must be from 0 to 20000.".into());
        }
        Ok(())
    }
}

/// One curve: how labels are picked and how the model trains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetArm {
    pub strategy: QueryStrategy,
    /// Consistency training on the unlabeled pool besides the labeled loss.
    pub semi_supervised: bool,
    /// Starts from an encoder pretrained on the pool without labels.
    #[serde(default)]
    pub pretrained: bool,
}

impl BudgetArm {
    /// The four curves: random and `strategy`, each labeled-only and semi-supervised; with
    /// `pretrained`, each also labeled-only from a pretrained encoder.
    pub fn arms(strategy: QueryStrategy, pretrained: bool) -> Vec<BudgetArm> {
        let mut strategies = vec![QueryStrategy::Random];
        if strategy != QueryStrategy::Random {
            strategies.push(strategy);
        }
        let trainings: &[(bool, bool)] = if pretrained {
            &[(false, false), (true, false), (false, true)]
        } else {
            &[(false, false), (true, false)]
        };
        strategies
            .into_iter()
            .flat_map(|strategy| {
                trainings
                    .iter()
                    .map(move |&(semi_supervised, pretrained)| BudgetArm {
                        strategy,
                        semi_supervised,
                        pretrained,
                    })
            })
            .collect()
    }

    /// The curve's name, e.g. `entropy + consistency`.
    pub fn title(&self) -> String {
        let training = match (self.semi_supervised, self.pretrained) {
            (true, _) => "consistency",
            (false, true) => "pretrained",
            (false, false) => "labeled only",
        };
        format!("{}, {training}", self.strategy.title().to_lowercase())
    }
}

/// One evaluation of one curve.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BudgetPoint {
    /// Which arm (index into the arms).
    pub arm: usize,
    /// Human labels so far.
    pub labels: usize,
    /// Validation accuracy (0 to 1).
    pub accuracy: f64,
}

/// The accuracy the summary states: the highest multiple of 5% at most 95% of the best final
/// accuracy of any curve.
pub fn target_accuracy(curves: &[Vec<BudgetPoint>]) -> f64 {
    let best = curves
        .iter()
        .filter_map(|c| c.last())
        .map(|p| p.accuracy)
        .fold(0.0, f64::max);
    (best * 0.95 * 20.0).floor() / 20.0
}

/// The labels `curve` needed to reach `target` (its first point at or above it).
pub fn labels_to_reach(curve: &[BudgetPoint], target: f64) -> Option<usize> {
    curve
        .iter()
        .find(|p| p.accuracy + 1e-9 >= target)
        .map(|p| p.labels)
}

/// One sentence stating the labels each curve needed to reach the target accuracy.
pub fn summary(arms: &[BudgetArm], curves: &[Vec<BudgetPoint>]) -> String {
    let target = target_accuracy(curves);
    let parts: Vec<String> = arms
        .iter()
        .zip(curves)
        .map(|(arm, curve)| match labels_to_reach(curve, target) {
            Some(labels) => format!("{} needed {labels} labels", arm.title()),
            None => format!(
                "{} did not reach it with {} labels",
                arm.title(),
                curve.last().map_or(0, |p| p.labels)
            ),
        })
        .collect();
    format!(
        "To reach {:.0}% validation accuracy: {}.",
        target * 100.0,
        parts.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(arm: usize, points: &[(usize, f64)]) -> Vec<BudgetPoint> {
        points
            .iter()
            .map(|&(labels, accuracy)| BudgetPoint {
                arm,
                labels,
                accuracy,
            })
            .collect()
    }

    #[test]
    fn the_summary_states_the_labels_each_curve_needed() {
        let arms = BudgetArm::arms(QueryStrategy::Entropy, false);
        assert_eq!(arms.len(), 4);
        let with_pretrained = BudgetArm::arms(QueryStrategy::Entropy, true);
        assert_eq!(with_pretrained.len(), 6);
        assert_eq!(with_pretrained[5].title(), "entropy, pretrained");
        assert_eq!(arms[3].title(), "entropy, consistency");
        let curves = vec![
            curve(0, &[(8, 0.4), (16, 0.6), (24, 0.7)]),
            curve(1, &[(8, 0.5), (16, 0.8), (24, 0.9)]),
            curve(2, &[(8, 0.4), (16, 0.75), (24, 0.86)]),
            curve(3, &[(8, 0.6), (16, 0.9), (24, 0.95)]),
        ];
        assert!((target_accuracy(&curves) - 0.9).abs() < 1e-9);
        assert_eq!(
            summary(&arms, &curves),
            "To reach 90% validation accuracy: random, labeled only did not reach it with 24 \
             labels; random, consistency needed 24 labels; entropy, labeled only did not reach \
             it with 24 labels; entropy, consistency needed 16 labels."
        );
        assert_eq!(BudgetArm::arms(QueryStrategy::Random, false).len(), 2);
        assert!(BudgetConfig::default().validate().is_ok());
        assert!(
            BudgetConfig {
                rounds: 0,
                ..Default::default()
            }
            .validate()
            .is_err()
        );
    }
}
