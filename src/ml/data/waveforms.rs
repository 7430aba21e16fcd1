//! "Waveforms": noisy 128-sample signals that are a sine, square, sawtooth or chirp of
//! random frequency, phase, amplitude and offset — a stand-in for classifying sensor traces.

use super::Sequences;
use crate::ml::rng::{Stream, normal, rng};
use rand::RngExt;
use std::f32::consts::TAU;

/// Samples per signal.
pub const LENGTH: usize = 128;
/// Class names, in label order.
pub const CLASSES: [&str; 4] = ["sine", "square", "sawtooth", "chirp"];

/// `count` signals with balanced labels, deterministic for `seed`.
pub fn generate(count: usize, seed: u64) -> Sequences {
    let mut rng = rng(seed, Stream::Data);
    let mut set = Sequences::new(1, None);
    for i in 0..count {
        let label = (i % CLASSES.len()) as u32;
        let cycles = rng.random_range(2.0f32..6.0);
        let phase = rng.random_range(0.0f32..1.0);
        let amplitude = rng.random_range(0.5f32..1.5);
        let offset = rng.random_range(-0.5f32..0.5);
        let noise = rng.random_range(0.15f32..0.35);
        let values = (0..LENGTH)
            .map(|t| {
                let x = t as f32 / LENGTH as f32;
                let turn = match label {
                    3 => {
                        let (f0, f1) = (cycles * 0.3, cycles * 1.6);
                        phase + f0 * x + 0.5 * (f1 - f0) * x * x
                    }
                    _ => phase + cycles * x,
                };
                let wave = match label {
                    0 | 3 => (TAU * turn).sin(),
                    1 => {
                        if turn.fract() < 0.5 {
                            1.0
                        } else {
                            -1.0
                        }
                    }
                    _ => 2.0 * turn.fract() - 1.0,
                };
                offset + amplitude * wave + noise * normal(&mut rng)
            })
            .collect();
        set.push(values, label);
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waveforms_are_deterministic_with_fixed_length() {
        let set = generate(8, 3);
        assert_eq!(set, generate(8, 3));
        assert!((0..8).all(|i| set.length(i) == LENGTH));
        assert_eq!(set.labels, vec![0, 1, 2, 3, 0, 1, 2, 3]);
        assert!(
            set.values
                .iter()
                .flatten()
                .all(|v| v.is_finite() && v.abs() < 4.0)
        );
    }
}
