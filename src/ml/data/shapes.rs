//! "Shapes": grayscale images of a circle, square, triangle or cross in noise.
//!
//! Each image has one filled shape of random size, position, rotation and brightness over
//! uniform background noise, drawn with anti-aliased edges from a signed distance function.

use super::Images;
use crate::ml::rng::{Rng, Stream, normal, rng};
use rand::RngExt;

/// Image side in pixels.
pub const SIZE: usize = 28;

/// Class names, in label order.
pub const CLASSES: [&str; 4] = ["circle", "square", "triangle", "cross"];

/// `count` images with balanced labels (`i % 4`), deterministic for `seed`.
pub fn generate(count: usize, seed: u64) -> Images {
    generate_with_regions(count, seed).0
}

/// As [`generate`], with each image's shape pixels (those the shape covers at all): where the
/// signal is, for checking attributions.
pub fn generate_with_regions(count: usize, seed: u64) -> (Images, Vec<Vec<bool>>) {
    let mut rng = rng(seed, Stream::Data);
    let mut images = Images::new(1, SIZE, SIZE);
    let mut pixels = vec![0.0; SIZE * SIZE];
    let mut regions = Vec::with_capacity(count);
    for i in 0..count {
        let label = (i % CLASSES.len()) as u32;
        let mut region = vec![false; SIZE * SIZE];
        draw(label, &mut rng, &mut pixels, &mut region);
        images.push(&pixels, label);
        regions.push(region);
    }
    (images, regions)
}

fn draw(label: u32, rng: &mut Rng, pixels: &mut [f32], region: &mut [bool]) {
    let half = rng.random_range(5.0f32..9.0);
    let margin = half + 1.5;
    let cx = rng.random_range(margin..SIZE as f32 - margin);
    let cy = rng.random_range(margin..SIZE as f32 - margin);
    let angle = rng.random_range(-0.5f32..0.5);
    let brightness = rng.random_range(0.55f32..1.0);
    let noise = rng.random_range(0.2f32..0.4);
    let (sin, cos) = angle.sin_cos();
    for y in 0..SIZE {
        for x in 0..SIZE {
            let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
            let (px, py) = (cos * dx + sin * dy, -sin * dx + cos * dy);
            let distance = match label {
                0 => circle(px, py, half),
                1 => square(px, py, half * 0.85),
                2 => triangle(px, py, half * 1.15),
                _ => cross(px, py, half),
            };
            let coverage = (0.5 - distance).clamp(0.0, 1.0);
            region[y * SIZE + x] = coverage > 0.0;
            let background = rng.random::<f32>() * noise + 0.03 * normal(rng);
            pixels[y * SIZE + x] = (background + brightness * coverage).clamp(0.0, 1.0);
        }
    }
}

fn circle(x: f32, y: f32, radius: f32) -> f32 {
    (x * x + y * y).sqrt() - radius
}

fn rectangle(x: f32, y: f32, half_w: f32, half_h: f32) -> f32 {
    let (qx, qy) = (x.abs() - half_w, y.abs() - half_h);
    let outside = (qx.max(0.0).powi(2) + qy.max(0.0).powi(2)).sqrt();
    outside + qx.max(qy).min(0.0)
}

fn square(x: f32, y: f32, half: f32) -> f32 {
    rectangle(x, y, half, half)
}

/// Equilateral triangle pointing up, circumradius-like size `r` (Quilez's exact SDF).
fn triangle(x: f32, y: f32, r: f32) -> f32 {
    let k = 3f32.sqrt();
    let (mut px, mut py) = (x.abs() - r, -y + r / k);
    if px + k * py > 0.0 {
        (px, py) = ((px - k * py) / 2.0, (-k * px - py) / 2.0);
    }
    px -= px.clamp(-2.0 * r, 0.0);
    -(px * px + py * py).sqrt() * py.signum()
}

fn cross(x: f32, y: f32, half: f32) -> f32 {
    let bar = half * 0.32;
    rectangle(x, y, half, bar).min(rectangle(x, y, bar, half))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_images_other_seed_other_images() {
        let a = generate(12, 3);
        assert_eq!(a, generate(12, 3));
        assert_ne!(a.pixels, generate(12, 4).pixels);
        assert_eq!(a.len(), 12);
        assert_eq!(a.pixels.len(), 12 * SIZE * SIZE);
        assert!(a.pixels.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn every_shape_is_brighter_than_its_background() {
        let images = generate(40, 1);
        for i in 0..images.len() {
            let bright = images.image(i).iter().filter(|&&v| v > 0.6).count();
            assert!(bright >= 20, "image {i} has only {bright} bright pixels");
        }
    }

    #[test]
    fn regions_cover_the_bright_shape_and_leave_the_images_as_they_were() {
        let (images, regions) = generate_with_regions(20, 5);
        assert_eq!(images, generate(20, 5));
        for (i, region) in regions.iter().enumerate() {
            let inside = region.iter().filter(|&&r| r).count();
            assert!(
                (20..SIZE * SIZE / 2).contains(&inside),
                "image {i}: {inside} pixels"
            );
            let mean = |want: bool| {
                let v: Vec<f32> = images
                    .image(i)
                    .iter()
                    .zip(region)
                    .filter(|(_, r)| **r == want)
                    .map(|(v, _)| *v)
                    .collect();
                v.iter().sum::<f32>() / v.len() as f32
            };
            assert!(mean(true) > mean(false) + 0.2, "image {i}");
        }
    }

    #[test]
    fn signed_distances_are_negative_inside() {
        assert!(circle(0.0, 0.0, 3.0) < 0.0 && circle(4.0, 0.0, 3.0) > 0.0);
        assert!(square(0.0, 0.0, 3.0) < 0.0 && square(0.0, 4.0, 3.0) > 0.0);
        assert!(triangle(0.0, 0.0, 6.0) < 0.0 && triangle(0.0, -8.0, 6.0) > 0.0);
        assert!(cross(0.0, 4.0, 5.0) < 0.0 && cross(4.0, 4.0, 5.0) > 0.0);
    }
}
