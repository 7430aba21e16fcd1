use crate::ml::rng::{Stream, rng};
use rand::seq::SliceRandom;

/// Splits sample indices into `(train, valid)` so that each class keeps its share in both.
///
/// `valid_fraction` of each class (rounded down, at least one sample where a class has two or
/// more) goes to validation. Deterministic for a given `seed`; both parts come out shuffled.
pub fn stratified_split(
    labels: &[u32],
    num_classes: usize,
    valid_fraction: f64,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let mut rng = rng(seed, Stream::Split);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); num_classes];
    for (index, &label) in labels.iter().enumerate() {
        by_class[label as usize].push(index);
    }
    let (mut train, mut valid) = (Vec::new(), Vec::new());
    for mut members in by_class {
        members.shuffle(&mut rng);
        let mut n_valid = (members.len() as f64 * valid_fraction).floor() as usize;
        if n_valid == 0 && members.len() >= 2 && valid_fraction > 0.0 {
            n_valid = 1;
        }
        valid.extend_from_slice(&members[..n_valid]);
        train.extend_from_slice(&members[n_valid..]);
    }
    train.shuffle(&mut rng);
    valid.shuffle(&mut rng);
    (train, valid)
}

/// Splits sample indices into `(train, valid, test)`, each class keeping its share in all
/// three: `test_fraction` of each class is held out first, then `valid_fraction` of the whole
/// goes to validation. Deterministic for a given `seed`.
pub fn stratified_split3(
    labels: &[u32],
    num_classes: usize,
    valid_fraction: f64,
    test_fraction: f64,
    seed: u64,
) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
    let (rest, test) = stratified_split(labels, num_classes, test_fraction, seed ^ 0x7e57);
    let rest_labels: Vec<u32> = rest.iter().map(|&i| labels[i]).collect();
    let share = (valid_fraction / (1.0 - test_fraction).max(1e-9)).min(1.0);
    let (train, valid) = stratified_split(&rest_labels, num_classes, share, seed);
    (
        train.into_iter().map(|i| rest[i]).collect(),
        valid.into_iter().map(|i| rest[i]).collect(),
        test,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_stratified_disjoint_and_deterministic() {
        let labels: Vec<u32> = (0..100).map(|i| (i % 4) as u32).collect();
        let (train, valid) = stratified_split(&labels, 4, 0.2, 7);
        assert_eq!(train.len() + valid.len(), 100);
        for class in 0..4 {
            assert_eq!(valid.iter().filter(|&&i| labels[i] == class).count(), 5);
        }
        let mut all: Vec<usize> = train.iter().chain(&valid).copied().collect();
        all.sort();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
        assert_eq!(
            (train.clone(), valid.clone()),
            stratified_split(&labels, 4, 0.2, 7)
        );
        assert_ne!(train, stratified_split(&labels, 4, 0.2, 8).0);
    }

    #[test]
    fn three_way_split_covers_every_sample_once() {
        let labels: Vec<u32> = (0..200).map(|i| (i % 2) as u32).collect();
        let (train, valid, test) = stratified_split3(&labels, 2, 0.15, 0.15, 3);
        assert_eq!((train.len(), valid.len(), test.len()), (140, 30, 30));
        let mut all: Vec<usize> = train.iter().chain(&valid).chain(&test).copied().collect();
        all.sort();
        assert_eq!(all, (0..200).collect::<Vec<_>>());
        assert_eq!(test.iter().filter(|&&i| labels[i] == 0).count(), 15);
    }
}
