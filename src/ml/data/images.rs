use serde::{Deserialize, Serialize};

/// Images of one size, values in `[0, 1]`, stored `[n, channels, height, width]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Images {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub pixels: Vec<f32>,
    pub labels: Vec<u32>,
    /// The measured value of each sample when the targets are quantities (regression: each
    /// sample with a value has label 0, one without [`super::NO_LABEL`] and NaN); empty when
    /// the targets are classes.
    #[serde(default)]
    pub measured: Vec<f32>,
}

impl Images {
    /// An empty set of images of the given size.
    pub fn new(channels: usize, height: usize, width: usize) -> Self {
        Self {
            channels,
            height,
            width,
            pixels: Vec::new(),
            labels: Vec::new(),
            measured: Vec::new(),
        }
    }

    /// The number of values in one image.
    pub fn image_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// The number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Appends one image; `pixels` must hold [`Images::image_len`] values.
    pub fn push(&mut self, pixels: &[f32], label: u32) {
        assert_eq!(pixels.len(), self.image_len(), "image size mismatch");
        self.pixels.extend_from_slice(pixels);
        self.labels.push(label);
    }

    /// The values of image `index`.
    pub fn image(&self, index: usize) -> &[f32] {
        let len = self.image_len();
        &self.pixels[index * len..(index + 1) * len]
    }

    /// The values of the images at `indices`, concatenated.
    pub fn gather(&self, indices: &[usize]) -> Vec<f32> {
        let mut out = Vec::with_capacity(indices.len() * self.image_len());
        for &i in indices {
            out.extend_from_slice(self.image(i));
        }
        out
    }

    /// The images at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Images {
        Images {
            channels: self.channels,
            height: self.height,
            width: self.width,
            pixels: self.gather(indices),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            measured: super::pick(&self.measured, indices),
        }
    }
}
