//! Query strategies for active learning: which unlabeled samples to ask a person about next.

use crate::ml::rng::{Stream, rng};
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

/// How the labeling queue orders the unlabeled pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum QueryStrategy {
    /// In a seeded random order: the baseline every other strategy must beat.
    Random,
    /// Lowest top-class probability first.
    LeastConfidence,
    /// Smallest gap between the two most probable classes first.
    Margin,
    /// Highest entropy of the predicted distribution first.
    #[default]
    Entropy,
    /// Measured targets: the widest spread of the predicted value under MC dropout first.
    Variance,
    /// k-centre greedy on the model's embeddings: each pick is the sample farthest from
    /// everything labeled or picked, so the queue covers the data.
    Diversity,
    /// k-centre greedy over the most uncertain candidates (by entropy, or for a measured
    /// target by spread): uncertain, and not all alike.
    UncertainDiversity,
}

/// Most labeled samples whose embeddings serve as k-centre's starting centres.
pub const MAX_CENTRES: usize = 500;
/// Most pool samples k-centre greedy looks at (a seeded random subset beyond that).
pub const MAX_CANDIDATES: usize = 5000;

impl QueryStrategy {
    /// Every strategy, in menu order.
    pub const ALL: [QueryStrategy; 7] = [
        QueryStrategy::Random,
        QueryStrategy::LeastConfidence,
        QueryStrategy::Margin,
        QueryStrategy::Entropy,
        QueryStrategy::Variance,
        QueryStrategy::Diversity,
        QueryStrategy::UncertainDiversity,
    ];

    /// A short stable identifier.
    pub fn id(self) -> &'static str {
        match self {
            QueryStrategy::Random => "random",
            QueryStrategy::LeastConfidence => "least-confidence",
            QueryStrategy::Margin => "margin",
            QueryStrategy::Entropy => "entropy",
            QueryStrategy::Variance => "variance",
            QueryStrategy::Diversity => "diversity",
            QueryStrategy::UncertainDiversity => "uncertain-diversity",
        }
    }

    /// The name shown in the UI.
    pub fn title(self) -> &'static str {
        match self {
            QueryStrategy::Random => "Random",
            QueryStrategy::LeastConfidence => "Least confidence",
            QueryStrategy::Margin => "Margin",
            QueryStrategy::Entropy => "Entropy",
            QueryStrategy::Variance => "Uncertainty (MC-dropout variance)",
            QueryStrategy::Diversity => "Diversity (k-centre on embeddings)",
            QueryStrategy::UncertainDiversity => "Diversity among the most uncertain",
        }
    }

    /// The strategy with identifier `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.id() == id)
    }

    /// Whether the strategy can order a pool whose target is measured (`measured`) or a
    /// class: the class-probability strategies need classes, the spread a measured value.
    pub fn fits(self, measured: bool) -> bool {
        match self {
            QueryStrategy::LeastConfidence | QueryStrategy::Margin | QueryStrategy::Entropy => {
                !measured
            }
            QueryStrategy::Variance => measured,
            QueryStrategy::Random
            | QueryStrategy::Diversity
            | QueryStrategy::UncertainDiversity => true,
        }
    }

    /// The strategy used for the target: this one where it fits, else the uncertainty
    /// strategy of the target's kind (spread for a measured value, entropy for classes).
    pub fn for_target(self, measured: bool) -> Self {
        match (self.fits(measured), measured) {
            (true, _) => self,
            (false, true) => QueryStrategy::Variance,
            (false, false) => QueryStrategy::Entropy,
        }
    }

    /// Whether the strategy reads embeddings (the others need only probabilities).
    pub fn needs_embeddings(self) -> bool {
        matches!(
            self,
            QueryStrategy::Diversity | QueryStrategy::UncertainDiversity
        )
    }
}

/// The model's view of the candidates: row `i` of each matrix is candidate `i`.
pub struct Candidates<'a> {
    /// Class probabilities, `[candidates, classes]` row-major.
    pub probabilities: &'a [f32],
    pub classes: usize,
    /// Penultimate embeddings `[candidates, width]` (needed by the diversity strategies).
    pub embeddings: &'a [f32],
    /// Embeddings of labeled samples, `[labeled, width]`: the centres k-centre starts from.
    pub labeled: &'a [f32],
    pub width: usize,
    /// Measured targets: each candidate's spread (standard deviation) of the predicted value
    /// under MC dropout; empty for classes, or when the model has no dropout.
    pub spread: &'a [f32],
}

impl Candidates<'_> {
    fn len(&self) -> usize {
        self.probabilities.len() / self.classes.max(1)
    }

    fn row(&self, i: usize) -> &[f32] {
        &self.probabilities[i * self.classes..(i + 1) * self.classes]
    }
}

/// 1 − the top class probability: high when the model is unsure.
pub fn least_confidence(p: &[f32]) -> f32 {
    1.0 - p.iter().copied().fold(0.0, f32::max)
}

/// Top probability minus the runner-up: small when two classes compete.
pub fn margin(p: &[f32]) -> f32 {
    let (mut first, mut second) = (0.0f32, 0.0f32);
    for &v in p {
        if v > first {
            second = first;
            first = v;
        } else if v > second {
            second = v;
        }
    }
    first - second
}

/// Shannon entropy of the distribution (nats).
pub fn entropy(p: &[f32]) -> f32 {
    -p.iter()
        .filter(|&&v| v > 0.0)
        .map(|&v| v * v.ln())
        .sum::<f32>()
}

/// Up to `count` candidates, the one to ask about first first. Ties keep candidate order.
/// `seed` decides the random order and the subsets drawn for large pools. The spread
/// strategies without spreads (a model without dropout) fall back to the random order.
pub fn rank(
    strategy: QueryStrategy,
    candidates: &Candidates,
    count: usize,
    seed: u64,
) -> Vec<usize> {
    let n = candidates.len();
    let by_score = |score: &dyn Fn(&[f32]) -> f32, descending: bool| {
        let scores: Vec<f32> = (0..n).map(|i| score(candidates.row(i))).collect();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| {
            let ord = scores[a].total_cmp(&scores[b]);
            if descending { ord.reverse() } else { ord }
        });
        order
    };
    // Without spreads (a model without dropout) a measured target has no uncertainty.
    let spread_known = candidates.spread.len() == n;
    let spread_order = || {
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| candidates.spread[b].total_cmp(&candidates.spread[a]));
        order
    };
    let uncertain_first = || {
        if spread_known && n > 0 {
            spread_order()
        } else {
            by_score(&entropy, true)
        }
    };
    let strategy = match strategy {
        QueryStrategy::Variance if !spread_known => QueryStrategy::Random,
        QueryStrategy::UncertainDiversity if candidates.classes == 1 && !spread_known => {
            QueryStrategy::Diversity
        }
        other => other,
    };
    let mut order = match strategy {
        QueryStrategy::Random => {
            let mut order: Vec<usize> = (0..n).collect();
            order.shuffle(&mut rng(seed, Stream::Query));
            order
        }
        QueryStrategy::LeastConfidence => by_score(&least_confidence, true),
        QueryStrategy::Margin => by_score(&margin, false),
        QueryStrategy::Entropy => by_score(&entropy, true),
        QueryStrategy::Variance => spread_order(),
        QueryStrategy::Diversity => {
            let mut pool: Vec<usize> = (0..n).collect();
            if n > MAX_CANDIDATES {
                pool.shuffle(&mut rng(seed, Stream::Query));
                pool.truncate(MAX_CANDIDATES);
                pool.sort_unstable();
            }
            k_centre(candidates, &pool, count, seed)
        }
        QueryStrategy::UncertainDiversity => {
            let shortlist: Vec<usize> = uncertain_first()
                .into_iter()
                .take((count * 10).max(100))
                .collect();
            k_centre(candidates, &shortlist, count, seed)
        }
    };
    order.truncate(count);
    order
}

/// k-centre greedy: repeatedly picks, among `pool`, the candidate whose nearest centre
/// (labeled samples, up to [`MAX_CENTRES`] of them, and earlier picks) is farthest.
pub fn k_centre(candidates: &Candidates, pool: &[usize], count: usize, seed: u64) -> Vec<usize> {
    let width = candidates.width.max(1);
    let embedding = |i: usize| &candidates.embeddings[i * width..(i + 1) * width];
    let distance =
        |a: &[f32], b: &[f32]| -> f32 { a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum() };
    let mut centres: Vec<usize> = (0..candidates.labeled.len() / width).collect();
    if centres.len() > MAX_CENTRES {
        centres.shuffle(&mut rng(seed, Stream::Query));
        centres.truncate(MAX_CENTRES);
    }
    let mut nearest: Vec<f32> = pool
        .iter()
        .map(|&i| {
            centres
                .iter()
                .map(|&c| {
                    distance(
                        embedding(i),
                        &candidates.labeled[c * width..(c + 1) * width],
                    )
                })
                .fold(f32::INFINITY, f32::min)
        })
        .collect();
    let mut picked = Vec::new();
    let mut taken = vec![false; pool.len()];
    while picked.len() < count.min(pool.len()) {
        let Some(best) = (0..pool.len())
            .filter(|&k| !taken[k])
            .max_by(|&a, &b| nearest[a].total_cmp(&nearest[b]).then(b.cmp(&a)))
        else {
            break;
        };
        taken[best] = true;
        picked.push(pool[best]);
        let centre = embedding(pool[best]).to_vec();
        for (k, &i) in pool.iter().enumerate() {
            if !taken[k] {
                nearest[k] = nearest[k].min(distance(embedding(i), &centre));
            }
        }
    }
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidates<'a>(
        probabilities: &'a [f32],
        embeddings: &'a [f32],
        labeled: &'a [f32],
    ) -> Candidates<'a> {
        Candidates {
            probabilities,
            classes: 2,
            embeddings,
            labeled,
            width: 1,
            spread: &[],
        }
    }

    #[test]
    fn uncertainty_strategies_order_hand_made_probabilities() {
        // Candidate 0 is sure, 1 is torn, 2 leans one way, 3 almost sure.
        let p = [0.99, 0.01, 0.5, 0.5, 0.7, 0.3, 0.9, 0.1];
        let c = candidates(&p, &[0.0; 4], &[]);
        for strategy in [
            QueryStrategy::LeastConfidence,
            QueryStrategy::Margin,
            QueryStrategy::Entropy,
        ] {
            assert_eq!(rank(strategy, &c, 4, 1), vec![1, 2, 3, 0], "{strategy:?}");
        }
        assert_eq!(rank(QueryStrategy::Entropy, &c, 2, 1), vec![1, 2]);
        // Three classes where margin and least confidence disagree.
        let p3 = [0.5, 0.49, 0.01, 0.4, 0.3, 0.3];
        let c3 = Candidates {
            probabilities: &p3,
            classes: 3,
            embeddings: &[],
            labeled: &[],
            width: 1,
            spread: &[],
        };
        assert_eq!(rank(QueryStrategy::Margin, &c3, 2, 1), vec![0, 1]);
        assert_eq!(rank(QueryStrategy::LeastConfidence, &c3, 2, 1), vec![1, 0]);
        assert!(entropy(&[0.25; 4]) > entropy(&[0.7, 0.1, 0.1, 0.1]));
    }

    #[test]
    fn random_order_is_seeded_and_covers_the_pool() {
        let p = vec![0.5; 200];
        let c = candidates(&p, &[], &[]);
        let a = rank(QueryStrategy::Random, &c, 100, 7);
        assert_eq!(a, rank(QueryStrategy::Random, &c, 100, 7));
        assert_ne!(a, rank(QueryStrategy::Random, &c, 100, 8));
        let mut sorted = a.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 100);
    }

    #[test]
    fn k_centre_greedy_picks_the_far_points_first() {
        // One-dimensional embeddings: a labeled centre at 0; candidates near it and far away.
        let embeddings = [0.1, 0.2, 10.0, 5.0, 9.9, -6.0];
        let p = [0.5; 12];
        let c = candidates(&p, &embeddings, &[0.0]);
        let picks = rank(QueryStrategy::Diversity, &c, 3, 1);
        // 10 is farthest from 0; then −6 (16 from 10, 6 from 0); then 5 (5 from 0 and 10).
        assert_eq!(picks, vec![2, 5, 3]);
        // Without labeled centres the first pick is the first of the farthest from nothing.
        let alone = candidates(&p, &embeddings, &[]);
        assert_eq!(rank(QueryStrategy::Diversity, &alone, 6, 1).len(), 6);
    }

    #[test]
    fn uncertain_diversity_only_picks_uncertain_candidates() {
        let mut p = Vec::new();
        let mut embeddings = Vec::new();
        for i in 0..300 {
            // Candidates below 150 are sure; the others are torn.
            let sure = i < 150;
            p.extend_from_slice(if sure { &[0.99, 0.01] } else { &[0.55, 0.45] });
            embeddings.push(i as f32);
        }
        let c = candidates(&p, &embeddings, &[]);
        let picks = rank(QueryStrategy::UncertainDiversity, &c, 5, 1);
        assert_eq!(picks.len(), 5);
        assert!(picks.iter().all(|&i| i >= 150), "{picks:?}");
        // Spread out, not neighbours.
        let mut sorted = picks.clone();
        sorted.sort_unstable();
        assert!(sorted.windows(2).all(|w| w[1] - w[0] >= 10), "{sorted:?}");
    }

    #[test]
    fn measured_targets_are_asked_about_by_their_spread() {
        // One output per candidate (the predicted value); the spread decides.
        let values = [1.0, 2.0, 3.0, 4.0, 5.0];
        let spread = [0.1, 0.9, 0.0, 0.5, 0.7];
        let embeddings = [0.0, 1.0, 2.0, 3.0, 4.0];
        let c = Candidates {
            probabilities: &values,
            classes: 1,
            embeddings: &embeddings,
            labeled: &[],
            width: 1,
            spread: &spread,
        };
        assert_eq!(rank(QueryStrategy::Variance, &c, 3, 1), vec![1, 4, 3]);
        // Among the most uncertain (all five here), spread out.
        assert_eq!(rank(QueryStrategy::UncertainDiversity, &c, 5, 1).len(), 5);
        // Without spreads (no dropout): the seeded random order.
        let without = Candidates { spread: &[], ..c };
        assert_eq!(
            rank(QueryStrategy::Variance, &without, 5, 3),
            rank(QueryStrategy::Random, &without, 5, 3)
        );
    }

    #[test]
    fn each_target_gets_a_strategy_that_fits_it() {
        for strategy in QueryStrategy::ALL {
            for measured in [false, true] {
                let used = strategy.for_target(measured);
                assert!(used.fits(measured), "{strategy:?} {measured}");
                if strategy.fits(measured) {
                    assert_eq!(used, strategy);
                }
            }
        }
        assert_eq!(
            QueryStrategy::Entropy.for_target(true),
            QueryStrategy::Variance
        );
        assert_eq!(
            QueryStrategy::Variance.for_target(false),
            QueryStrategy::Entropy
        );
    }
}
