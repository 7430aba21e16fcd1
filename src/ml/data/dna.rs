//! "DNA motif": random DNA of 100–200 bases; the positive class carries a planted binding
//! motif (with point mutations) at a random position.

use super::Sequences;
use crate::ml::rng::{Stream, rng};
use rand::RngExt;

/// The alphabet, in one-hot channel order.
pub const ALPHABET: &str = "ACGT";
/// The planted motif.
pub const MOTIF: &str = "TATAAGGCAC";
/// Chance that each motif base is mutated.
pub const MUTATION: f64 = 0.1;
/// Class names, in label order.
pub const CLASSES: [&str; 2] = ["no motif", "motif"];

/// `count` sequences with balanced labels, deterministic for `seed`.
pub fn generate(count: usize, seed: u64) -> Sequences {
    generate_with_regions(count, seed).0
}

/// As [`generate`], with each sequence's motif positions (none for negatives).
pub fn generate_with_regions(count: usize, seed: u64) -> (Sequences, Vec<Vec<bool>>) {
    let mut regions = Vec::with_capacity(count);
    let mut rng = rng(seed, Stream::Data);
    let bases: Vec<char> = ALPHABET.chars().collect();
    let mut set = Sequences::new(4, Some(ALPHABET.to_string()));
    for i in 0..count {
        let label = (i % 2) as u32;
        let length = rng.random_range(100..=200);
        let mut text: Vec<char> = (0..length).map(|_| bases[rng.random_range(0..4)]).collect();
        let mut region = vec![false; length];
        if label == 1 {
            let start = rng.random_range(0..=length - MOTIF.len());
            region[start..start + MOTIF.len()].fill(true);
            for (k, base) in MOTIF.chars().enumerate() {
                text[start + k] = if rng.random_bool(MUTATION) {
                    bases[rng.random_range(0..4)]
                } else {
                    base
                };
            }
        }
        let text: String = text.into_iter().collect();
        set.push(Sequences::one_hot(ALPHABET, &text), label);
        regions.push(region);
    }
    (set, regions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positives_carry_the_motif_and_lengths_vary() {
        let set = generate(200, 1);
        assert_eq!(set, generate(200, 1));
        let near_motif = |s: &str| {
            let m: Vec<char> = MOTIF.chars().collect();
            let t: Vec<char> = s.chars().collect();
            t.windows(m.len())
                .any(|w| w.iter().zip(&m).filter(|(a, b)| a == b).count() >= m.len() - 3)
        };
        let positives = (0..set.len()).filter(|&i| set.labels[i] == 1);
        assert!(
            positives
                .clone()
                .all(|i| near_motif(&set.letters(i).unwrap()))
        );
        let lengths: Vec<usize> = (0..set.len()).map(|i| set.length(i)).collect();
        assert!(lengths.iter().all(|l| (100..=200).contains(l)));
        assert!(lengths.iter().min() != lengths.iter().max());
        let one_hot_rows = set.values[0]
            .chunks(4)
            .all(|p| p.iter().sum::<f32>() == 1.0);
        assert!(one_hot_rows);
        let (same, regions) = generate_with_regions(200, 1);
        assert_eq!(same, set);
        for (i, region) in regions.iter().enumerate() {
            let inside: Vec<usize> = (0..region.len()).filter(|&p| region[p]).collect();
            if set.labels[i] == 1 {
                assert_eq!(inside.len(), MOTIF.len());
                let letters: Vec<char> = set.letters(i).unwrap().chars().collect();
                let found: String = inside.iter().map(|&p| letters[p]).collect();
                let matching = found
                    .chars()
                    .zip(MOTIF.chars())
                    .filter(|(a, b)| a == b)
                    .count();
                assert!(matching >= MOTIF.len() - 4, "{found}");
            } else {
                assert!(inside.is_empty());
            }
        }
    }
}
