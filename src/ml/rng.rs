//! Seeded random streams. Every random choice in Petri (data, split, order, augmentation)
//! draws from a stream derived from the experiment's seed, so a run can be repeated.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The random generator used throughout the core: portable and reproducible across platforms.
pub type Rng = ChaCha8Rng;

/// Independent streams derived from one seed, one per purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Generating a built-in dataset.
    Data = 1,
    /// Splitting samples into training and validation.
    Split = 2,
    /// The order of training samples in each epoch.
    Order = 3,
    /// Model initialisation and dropout (seeds the device).
    Model = 4,
    /// Data augmentation of training batches (see `augment::augment_rng`).
    Augment = 5,
    /// Query strategies' random order and subsets.
    Query = 6,
    /// Which unlabeled samples a consistency-training step draws.
    Unlabeled = 7,
    /// Which labels a built-in dataset keeps when its labels are cut down.
    Labels = 8,
    /// Measurement noise added to a generated property.
    Measurement = 9,
    /// The dropout masks that measure a prediction's spread (MC dropout).
    Spread = 10,
    /// The order of samples in self-supervised pretraining.
    Pretrain = 11,
}

/// A generator for `seed` and `stream`; the same pair always gives the same sequence.
pub fn rng(seed: u64, stream: Stream) -> Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream as u64);
    rng
}

/// A standard normal sample (Box-Muller).
pub fn normal(rng: &mut Rng) -> f32 {
    use rand::RngExt;
    let u1: f32 = rng.random_range(f32::EPSILON..1.0);
    let u2: f32 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
}

/// The device seed for `seed`: distinct from the data streams.
pub fn device_seed(seed: u64) -> u64 {
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ Stream::Model as u64
}
