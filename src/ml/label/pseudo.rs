//! Pseudo-labels (self-training): the model's confident predictions on unlabeled samples,
//! proposed to a person who accepts or rejects them.

use crate::ml::metrics::argmax_rows;
use serde::{Deserialize, Serialize};

/// A label the model proposes for an unlabeled sample.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    /// The candidate's position (row of the probabilities).
    pub index: usize,
    pub class: u32,
    pub confidence: f32,
}

/// The candidates whose top class probability is at least `threshold`, most confident first
/// within each class, classes in order. With `class_balanced`, each class keeps at most as many
/// as the class with the fewest proposals (classes with none do not count), so self-training
/// does not drift towards the class the model already favours.
///
/// `probabilities` is `[candidates, classes]`, row-major.
pub fn propose(
    probabilities: &[f32],
    classes: usize,
    threshold: f32,
    class_balanced: bool,
) -> Vec<Proposal> {
    let mut by_class: Vec<Vec<Proposal>> = vec![Vec::new(); classes];
    for (index, (class, confidence)) in argmax_rows(probabilities, classes).into_iter().enumerate()
    {
        if confidence >= threshold {
            by_class[class as usize].push(Proposal {
                index,
                class,
                confidence,
            });
        }
    }
    let cap = if class_balanced {
        by_class
            .iter()
            .map(Vec::len)
            .filter(|&n| n > 0)
            .min()
            .unwrap_or(0)
    } else {
        usize::MAX
    };
    by_class
        .into_iter()
        .flat_map(|mut proposals| {
            proposals.sort_by(|a, b| {
                b.confidence
                    .total_cmp(&a.confidence)
                    .then(a.index.cmp(&b.index))
            });
            proposals.truncate(cap);
            proposals
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proposals_honour_the_threshold_and_the_class_balance() {
        // Five candidates over two classes.
        let p = [
            0.97, 0.03, // class 0, 0.97
            0.60, 0.40, // below
            0.10, 0.90, // class 1, 0.90
            0.99, 0.01, // class 0, 0.99
            0.95, 0.05, // class 0, 0.95
        ];
        let all = propose(&p, 2, 0.9, false);
        assert_eq!(
            all.iter().map(|p| (p.index, p.class)).collect::<Vec<_>>(),
            vec![(3, 0), (0, 0), (4, 0), (2, 1)]
        );
        assert!(all.iter().all(|p| p.confidence >= 0.9));
        assert!(propose(&p, 2, 0.91, false).iter().all(|p| p.class == 0));
        assert_eq!(propose(&p, 2, 0.995, false), vec![]);
        // Balanced: class 1 has one proposal, so class 0 keeps its single most confident.
        let balanced = propose(&p, 2, 0.9, true);
        assert_eq!(
            balanced.iter().map(|p| p.index).collect::<Vec<_>>(),
            vec![3, 2]
        );
        // A class without proposals does not zero the others.
        let one_class = propose(&p, 2, 0.95, true);
        assert_eq!(
            one_class.iter().map(|p| p.index).collect::<Vec<_>>(),
            vec![3, 0, 4]
        );
    }
}
