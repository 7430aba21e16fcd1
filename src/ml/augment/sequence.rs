//! Sequence augmentations on `[n, time, channels]` values, each sequence zero-padded after
//! its length: one-hot letters (`alphabet` set) or numeric series.

use super::{Augmentation, add_noise, chance, signed};
use rand::RngExt;

/// The complement of a nucleotide letter.
fn complement(letter: char) -> Option<char> {
    match letter.to_ascii_uppercase() {
        'A' => Some('T'),
        'T' | 'U' => Some('A'),
        'C' => Some('G'),
        'G' => Some('C'),
        'N' => Some('N'),
        _ => None,
    }
}

/// For a DNA or RNA alphabet, the channel of each channel's complement (an involution).
fn complements(alphabet: &str) -> Option<Vec<usize>> {
    let letters: Vec<char> = alphabet.chars().map(|c| c.to_ascii_uppercase()).collect();
    if letters.is_empty() || (letters.contains(&'T') && letters.contains(&'U')) {
        return None;
    }
    letters
        .iter()
        .map(|&l| {
            let target = match complement(l)? {
                'T' if letters.contains(&'U') => 'U',
                other => other,
            };
            letters.iter().position(|&x| x == target)
        })
        .collect()
}

/// Whether `alphabet` is one of nucleotides (DNA or RNA, optionally with N), so reverse
/// complement applies.
pub(super) fn is_nucleic(alphabet: &str) -> bool {
    complements(alphabet).is_some()
}

/// Applies `augmentation` to each sequence with probability `p` and magnitude `m`.
#[allow(clippy::too_many_arguments)]
pub(super) fn apply<R: rand::Rng + ?Sized>(
    augmentation: Augmentation,
    p: f32,
    m: f32,
    values: &mut [f32],
    shape: [usize; 3],
    lengths: &mut [usize],
    alphabet: Option<&str>,
    rng: &mut R,
) {
    let [n, time, c] = shape;
    if time == 0 || c == 0 {
        return;
    }
    let complements = match augmentation {
        Augmentation::ReverseComplement => match alphabet.and_then(complements) {
            Some(map) if map.len() == c => map,
            _ => return,
        },
        _ => Vec::new(),
    };
    let mut scratch = vec![0.0; time * c];
    for (row, sequence) in values.chunks_exact_mut(time * c).take(n).enumerate() {
        let length = lengths[row].min(time);
        if !chance(rng, p) || length == 0 {
            continue;
        }
        let real = length * c;
        match augmentation {
            Augmentation::ReverseComplement => {
                scratch[..real].copy_from_slice(&sequence[..real]);
                for pos in 0..length {
                    let from = (length - 1 - pos) * c;
                    for k in 0..c {
                        sequence[pos * c + complements[k]] = scratch[from + k];
                    }
                }
            }
            Augmentation::Mutate => {
                let rate = 0.2 * m;
                for position in sequence[..real].chunks_exact_mut(c) {
                    if !chance(rng, rate) || c < 2 {
                        continue;
                    }
                    let Some(current) = position.iter().position(|&v| v > 0.0) else {
                        continue; // an unknown letter stays unknown
                    };
                    let mut other = rng.random_range(0..c - 1);
                    if other >= current {
                        other += 1;
                    }
                    position.fill(0.0);
                    position[other] = 1.0;
                }
            }
            Augmentation::MaskPositions => {
                let rate = 0.25 * m;
                for position in sequence[..real].chunks_exact_mut(c) {
                    if chance(rng, rate) {
                        position.fill(0.0);
                    }
                }
            }
            Augmentation::Crop => {
                let keep = 1.0 - 0.5 * m * rng.random::<f32>();
                let kept = ((keep * length as f32).round() as usize).clamp(1, length);
                let start = rng.random_range(0..=length - kept);
                sequence.copy_within(start * c..(start + kept) * c, 0);
                sequence[kept * c..real].fill(0.0);
                lengths[row] = kept;
            }
            Augmentation::Shift => {
                let by = (signed(rng) * 0.25 * m * length as f32).round() as isize;
                scratch[..real].copy_from_slice(&sequence[..real]);
                for pos in 0..length {
                    let from = pos as isize - by;
                    let target = &mut sequence[pos * c..(pos + 1) * c];
                    if (0..length as isize).contains(&from) {
                        let from = from as usize * c;
                        target.copy_from_slice(&scratch[from..from + c]);
                    } else if alphabet.is_some() {
                        target.fill(0.0);
                    } else {
                        let edge = if from < 0 { 0 } else { (length - 1) * c };
                        target.copy_from_slice(&scratch[edge..edge + c]);
                    }
                }
            }
            Augmentation::Jitter => {
                let real_values = &sequence[..real];
                let mean = real_values.iter().sum::<f32>() / real as f32;
                let var = real_values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / real as f32;
                let sigma = 0.2 * m * var.sqrt();
                add_noise(&mut sequence[..real], sigma, f32::MIN..=f32::MAX, rng);
            }
            Augmentation::Scaling => {
                let factors: Vec<f32> = (0..c).map(|_| 1.0 + 0.5 * m * signed(rng)).collect();
                for position in sequence[..real].chunks_exact_mut(c) {
                    for (v, f) in position.iter_mut().zip(&factors) {
                        *v *= f;
                    }
                }
            }
            Augmentation::TimeWarp => {
                // Four segments, each played at a random speed; `knots` is where each
                // segment's end falls in the original series (0 to 1).
                const SEGMENTS: usize = 4;
                let speeds: Vec<f32> = (0..SEGMENTS).map(|_| (m * signed(rng)).exp2()).collect();
                let total: f32 = speeds.iter().sum();
                let mut knots = [0.0f32; SEGMENTS + 1];
                for j in 0..SEGMENTS {
                    knots[j + 1] = knots[j] + speeds[j] / total;
                }
                knots[SEGMENTS] = 1.0;
                resample(sequence, &mut scratch, length, c, |u| {
                    let j = ((u * SEGMENTS as f32) as usize).min(SEGMENTS - 1);
                    let t = u * SEGMENTS as f32 - j as f32;
                    knots[j] + (knots[j + 1] - knots[j]) * t
                });
            }
            Augmentation::WindowSlice => {
                let width = 1.0 - 0.5 * m * rng.random::<f32>();
                let start = rng.random::<f32>() * (1.0 - width);
                resample(sequence, &mut scratch, length, c, |u| start + u * width);
            }
            _ => {}
        }
    }
}

/// Resamples the first `length` positions: position `i` takes the linear interpolation of the
/// original at `source(i / (length − 1))`, a fraction (0 to 1) of the series.
fn resample(
    sequence: &mut [f32],
    scratch: &mut [f32],
    length: usize,
    c: usize,
    source: impl Fn(f32) -> f32,
) {
    if length < 2 {
        return;
    }
    let real = length * c;
    scratch[..real].copy_from_slice(&sequence[..real]);
    let last = (length - 1) as f32;
    for pos in 0..length {
        let at = (source(pos as f32 / last) * last).clamp(0.0, last);
        let i0 = at as usize;
        let i1 = (i0 + 1).min(length - 1);
        let t = at - i0 as f32;
        for k in 0..c {
            sequence[pos * c + k] = scratch[i0 * c + k] * (1.0 - t) + scratch[i1 * c + k] * t;
        }
    }
}
