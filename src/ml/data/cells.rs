//! "Cells": synthetic fluorescence-microscopy crops of one cell that is round, elongated or
//! dividing, with a nucleus, uneven illumination, blur and noise.

use super::Images;
use crate::ml::rng::{Rng, Stream, normal, rng};
use rand::RngExt;

/// Image side in pixels.
pub const SIZE: usize = 28;

/// Class names, in label order.
pub const CLASSES: [&str; 3] = ["round", "elongated", "dividing"];

/// `count` images with balanced labels, deterministic for `seed`.
pub fn generate(count: usize, seed: u64) -> Images {
    generate_with_regions(count, seed).0
}

/// As [`generate`], with each image's cell pixels (the cell body before blurring).
pub fn generate_with_regions(count: usize, seed: u64) -> (Images, Vec<Vec<bool>>) {
    let mut rng = rng(seed, Stream::Data);
    let mut images = Images::new(1, SIZE, SIZE);
    let mut regions = Vec::with_capacity(count);
    for i in 0..count {
        let label = (i % CLASSES.len()) as u32;
        let (image, region) = draw(label, &mut rng);
        images.push(&image, label);
        regions.push(region);
    }
    (images, regions)
}

/// An ellipse: centre, half-axes and orientation.
struct Blob {
    x: f32,
    y: f32,
    a: f32,
    b: f32,
    angle: f32,
}

impl Blob {
    /// Approximate signed distance (negative inside).
    fn distance(&self, px: f32, py: f32) -> f32 {
        let (s, c) = self.angle.sin_cos();
        let (dx, dy) = (px - self.x, py - self.y);
        let (u, v) = (c * dx + s * dy, -s * dx + c * dy);
        let r = ((u / self.a).powi(2) + (v / self.b).powi(2)).sqrt();
        (r - 1.0) * self.a.min(self.b)
    }
}

fn draw(label: u32, rng: &mut Rng) -> (Vec<f32>, Vec<bool>) {
    let centre = SIZE as f32 / 2.0;
    let jitter = |rng: &mut Rng| rng.random_range(-3.0f32..3.0);
    let angle = rng.random_range(0.0f32..std::f32::consts::PI);
    let (cx, cy) = (centre + jitter(rng), centre + jitter(rng));
    let bodies: Vec<Blob> = match label {
        0 => {
            let r = rng.random_range(5.0f32..7.5);
            let squash = rng.random_range(1.0f32..1.2);
            vec![Blob {
                x: cx,
                y: cy,
                a: r * squash,
                b: r,
                angle,
            }]
        }
        1 => {
            let b = rng.random_range(3.0f32..4.5);
            let a = b * rng.random_range(2.0f32..2.8);
            vec![Blob {
                x: cx,
                y: cy,
                a,
                b,
                angle,
            }]
        }
        _ => {
            let r = rng.random_range(3.8f32..5.2);
            let gap = r * rng.random_range(0.8f32..1.0);
            let (s, c) = angle.sin_cos();
            vec![
                Blob {
                    x: cx + c * gap,
                    y: cy + s * gap,
                    a: r,
                    b: r * 0.95,
                    angle,
                },
                Blob {
                    x: cx - c * gap,
                    y: cy - s * gap,
                    a: r,
                    b: r * 0.95,
                    angle,
                },
            ]
        }
    };
    let nuclei: Vec<Blob> = bodies
        .iter()
        .map(|body| Blob {
            x: body.x + rng.random_range(-1.0f32..1.0),
            y: body.y + rng.random_range(-1.0f32..1.0),
            a: body.a * 0.45,
            b: body.b * 0.45,
            angle: body.angle,
        })
        .collect();
    let brightness = rng.random_range(0.45f32..0.8);
    let (gx, gy) = (
        rng.random_range(-0.012f32..0.012),
        rng.random_range(-0.012f32..0.012),
    );
    let mut image = vec![0.0f32; SIZE * SIZE];
    let mut region = vec![false; SIZE * SIZE];
    for y in 0..SIZE {
        for x in 0..SIZE {
            let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
            let inside = |blobs: &[Blob]| {
                blobs
                    .iter()
                    .map(|b| (0.5 - b.distance(px, py)).clamp(0.0, 1.0))
                    .fold(0.0f32, f32::max)
            };
            let body = inside(&bodies);
            region[y * SIZE + x] = body > 0.0;
            let nucleus = inside(&nuclei);
            let illumination = 1.0 + gx * (px - centre) + gy * (py - centre);
            image[y * SIZE + x] = (body * brightness + nucleus * 0.25) * illumination + 0.08;
        }
    }
    let mut image = blur(&image);
    for v in &mut image {
        *v = (*v + 0.06 * normal(rng)).clamp(0.0, 1.0);
    }
    (image, region)
}

/// Separable Gaussian blur (σ ≈ 1 px) with clamped borders.
fn blur(image: &[f32]) -> Vec<f32> {
    const KERNEL: [f32; 5] = [0.054, 0.244, 0.404, 0.244, 0.054];
    let pass = |src: &[f32], horizontal: bool| {
        let mut out = vec![0.0; src.len()];
        for y in 0..SIZE {
            for x in 0..SIZE {
                out[y * SIZE + x] = KERNEL
                    .iter()
                    .enumerate()
                    .map(|(k, w)| {
                        let d = k as isize - 2;
                        let (sx, sy) = if horizontal {
                            ((x as isize + d).clamp(0, SIZE as isize - 1) as usize, y)
                        } else {
                            (x, (y as isize + d).clamp(0, SIZE as isize - 1) as usize)
                        };
                        w * src[sy * SIZE + sx]
                    })
                    .sum();
            }
        }
        out
    };
    pass(&pass(image, true), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_deterministic_and_in_range() {
        let a = generate(9, 2);
        assert_eq!(a, generate(9, 2));
        assert_ne!(a.pixels, generate(9, 3).pixels);
        assert!(a.pixels.iter().all(|v| (0.0..=1.0).contains(v)));
        assert_eq!(a.labels, vec![0, 1, 2, 0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn a_cell_is_brighter_than_the_background() {
        let images = generate(12, 4);
        for i in 0..images.len() {
            let image = images.image(i);
            let centre_region: f32 = (10..18)
                .flat_map(|y| (10..18).map(move |x| image[y * SIZE + x]))
                .sum::<f32>()
                / 64.0;
            let corner: f32 = (0..4)
                .flat_map(|y| (0..4).map(move |x| image[y * SIZE + x]))
                .sum::<f32>()
                / 16.0;
            assert!(
                centre_region > corner + 0.1,
                "image {i}: {centre_region} vs {corner}"
            );
        }
    }
}
