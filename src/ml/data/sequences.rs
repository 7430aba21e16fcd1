use serde::{Deserialize, Serialize};

/// Sequences of varying length, each position a vector of `channels` values: one-hot letters
/// for biological sequences (`alphabet` set) or measurements for time series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sequences {
    /// Values per position.
    pub channels: usize,
    /// The letters of a one-hot alphabet, in channel order (e.g. `ACGT`); `None` for numbers.
    pub alphabet: Option<String>,
    /// Each sequence as `length × channels` values, position-major.
    pub values: Vec<Vec<f32>>,
    pub labels: Vec<u32>,
    /// The measured value of each sample when the targets are quantities (regression: each
    /// sample with a value has label 0, one without [`super::NO_LABEL`] and NaN); empty when
    /// the targets are classes.
    #[serde(default)]
    pub measured: Vec<f32>,
}

impl Sequences {
    /// An empty set.
    pub fn new(channels: usize, alphabet: Option<String>) -> Self {
        Self {
            channels,
            alphabet,
            values: Vec::new(),
            labels: Vec::new(),
            measured: Vec::new(),
        }
    }

    /// The number of sequences.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The number of positions of sequence `index`.
    pub fn length(&self, index: usize) -> usize {
        self.values[index].len() / self.channels
    }

    /// The longest sequence's length.
    pub fn max_length(&self) -> usize {
        (0..self.len()).map(|i| self.length(i)).max().unwrap_or(0)
    }

    /// Appends a sequence of `values.len() / channels` positions.
    pub fn push(&mut self, values: Vec<f32>, label: u32) {
        assert_eq!(values.len() % self.channels, 0, "partial position");
        self.values.push(values);
        self.labels.push(label);
    }

    /// One-hot encodes `text` over the alphabet (letters not in it become all-zero positions).
    pub fn one_hot(alphabet: &str, text: &str) -> Vec<f32> {
        let letters: Vec<char> = alphabet.chars().collect();
        let mut values = vec![0.0; text.chars().count() * letters.len()];
        for (position, c) in text.chars().enumerate() {
            if let Some(k) = letters.iter().position(|&l| l == c) {
                values[position * letters.len() + k] = 1.0;
            }
        }
        values
    }

    /// The letters of sequence `index` (the most active channel at each position).
    pub fn letters(&self, index: usize) -> Option<String> {
        let alphabet: Vec<char> = self.alphabet.as_ref()?.chars().collect();
        Some(
            self.values[index]
                .chunks(self.channels)
                .map(|position| {
                    let best = position
                        .iter()
                        .enumerate()
                        .fold((0, f32::MIN), |b, (k, &v)| if v > b.1 { (k, v) } else { b });
                    if best.1 > 0.0 { alphabet[best.0] } else { 'N' }
                })
                .collect(),
        )
    }

    /// The sequences at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Sequences {
        Sequences {
            channels: self.channels,
            alphabet: self.alphabet.clone(),
            values: indices.iter().map(|&i| self.values[i].clone()).collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            measured: super::pick(&self.measured, indices),
        }
    }

    /// The sequences at `indices` zero-padded to the longest of them: `[batch, time, channels]`
    /// values, the shape, and each sequence's length.
    pub fn padded(&self, indices: &[usize]) -> (Vec<f32>, [usize; 3], Vec<usize>) {
        let lengths: Vec<usize> = indices.iter().map(|&i| self.length(i)).collect();
        let time = lengths.iter().copied().max().unwrap_or(0).max(1);
        let mut values = vec![0.0; indices.len() * time * self.channels];
        for (row, &i) in indices.iter().enumerate() {
            let start = row * time * self.channels;
            values[start..start + self.values[i].len()].copy_from_slice(&self.values[i]);
        }
        (values, [indices.len(), time, self.channels], lengths)
    }
}
