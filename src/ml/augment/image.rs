//! Image augmentations on `[n, channels, height, width]` values in [0, 1].

use super::{Augmentation, add_noise, chance, signed};
use rand::RngExt;

/// Applies `augmentation` to each image of `pixels` with probability `p` and magnitude `m`.
pub(super) fn apply<R: rand::Rng + ?Sized>(
    augmentation: Augmentation,
    p: f32,
    m: f32,
    pixels: &mut [f32],
    shape: [usize; 4],
    rng: &mut R,
) {
    let [n, c, h, w] = shape;
    let len = c * h * w;
    if len == 0 {
        return;
    }
    let mut scratch = vec![0.0; len];
    for image in pixels.chunks_exact_mut(len).take(n) {
        if !chance(rng, p) {
            continue;
        }
        let (hf, wf) = (h as f32, w as f32);
        match augmentation {
            Augmentation::FlipHorizontal => {
                for row in image.chunks_exact_mut(w) {
                    row.reverse();
                }
            }
            Augmentation::FlipVertical => {
                for plane in image.chunks_exact_mut(h * w) {
                    for y in 0..h / 2 {
                        let (top, bottom) = plane.split_at_mut((h - 1 - y) * w);
                        top[y * w..(y + 1) * w].swap_with_slice(&mut bottom[..w]);
                    }
                }
            }
            Augmentation::Rotate90 => {
                let turns = if h == w { rng.random_range(1..4) } else { 2 };
                scratch.copy_from_slice(image);
                for (plane, source) in image
                    .chunks_exact_mut(h * w)
                    .zip(scratch.chunks_exact(h * w))
                {
                    for y in 0..h {
                        for x in 0..w {
                            // Counter-clockwise turns; (sy, sx) is where (y, x) comes from.
                            let (sy, sx) = match turns {
                                1 => (x, w - 1 - y),
                                2 => (h - 1 - y, w - 1 - x),
                                _ => (h - 1 - x, y),
                            };
                            plane[y * w + x] = source[sy * w + sx];
                        }
                    }
                }
            }
            Augmentation::Rotate => {
                let angle = signed(rng) * std::f32::consts::PI * m;
                let (sin, cos) = angle.sin_cos();
                let (cy, cx) = ((hf - 1.0) / 2.0, (wf - 1.0) / 2.0);
                warp(image, &mut scratch, c, h, w, |y, x| {
                    let (dy, dx) = (y - cy, x - cx);
                    (cy + cos * dy - sin * dx, cx + sin * dy + cos * dx)
                });
            }
            Augmentation::Translate => {
                let dy = signed(rng) * 0.25 * m * hf;
                let dx = signed(rng) * 0.25 * m * wf;
                warp(image, &mut scratch, c, h, w, |y, x| (y - dy, x - dx));
            }
            Augmentation::Scale => {
                let factor = 1.0 + 0.5 * m * signed(rng);
                let (cy, cx) = ((hf - 1.0) / 2.0, (wf - 1.0) / 2.0);
                warp(image, &mut scratch, c, h, w, |y, x| {
                    (cy + (y - cy) / factor, cx + (x - cx) / factor)
                });
            }
            Augmentation::ResizedCrop => {
                let area = 1.0 - 0.75 * m * rng.random::<f32>();
                let ratio = ((4.0f32 / 3.0).ln() * m * signed(rng)).exp();
                let ch = (hf * (area / ratio).sqrt()).min(hf);
                let cw = (wf * (area * ratio).sqrt()).min(wf);
                let y0 = rng.random::<f32>() * (hf - ch);
                let x0 = rng.random::<f32>() * (wf - cw);
                let (sy, sx) = (ch / hf, cw / wf);
                warp(image, &mut scratch, c, h, w, |y, x| {
                    (y0 + (y + 0.5) * sy - 0.5, x0 + (x + 0.5) * sx - 0.5)
                });
            }
            Augmentation::Elastic => {
                // A 4 × 4 grid of cells whose corners move at random, interpolated bilinearly.
                const GRID: usize = 4;
                let reach = 0.1 * m * hf.max(wf);
                let mut shift = [[[0.0f32; 2]; GRID + 1]; GRID + 1];
                for row in &mut shift {
                    for corner in row.iter_mut() {
                        *corner = [signed(rng) * reach, signed(rng) * reach];
                    }
                }
                let (gy, gx) = (
                    GRID as f32 / (hf - 1.0).max(1.0),
                    GRID as f32 / (wf - 1.0).max(1.0),
                );
                warp(image, &mut scratch, c, h, w, |y, x| {
                    let (fy, fx) = (y * gy, x * gx);
                    let (iy, ix) = ((fy as usize).min(GRID - 1), (fx as usize).min(GRID - 1));
                    let (ty, tx) = (fy - iy as f32, fx - ix as f32);
                    let at = |k: usize| {
                        (shift[iy][ix][k] * (1.0 - tx) + shift[iy][ix + 1][k] * tx) * (1.0 - ty)
                            + (shift[iy + 1][ix][k] * (1.0 - tx) + shift[iy + 1][ix + 1][k] * tx)
                                * ty
                    };
                    (y + at(0), x + at(1))
                });
            }
            Augmentation::Noise => {
                add_noise(image, 0.15 * m, 0.0..=1.0, rng);
            }
            Augmentation::Blur => {
                let sigma = 2.0 * m * (1.0 - rng.random::<f32>());
                blur(image, &mut scratch, c, h, w, sigma);
            }
            Augmentation::Brightness => {
                let delta = 0.3 * m * signed(rng);
                for v in image.iter_mut() {
                    *v = (*v + delta).clamp(0.0, 1.0);
                }
            }
            Augmentation::Contrast => {
                let factor = 1.0 + 0.5 * m * signed(rng);
                let mean = image.iter().sum::<f32>() / len as f32;
                for v in image.iter_mut() {
                    *v = (mean + factor * (*v - mean)).clamp(0.0, 1.0);
                }
            }
            Augmentation::Gamma => {
                let gamma = (m * signed(rng)).exp2();
                for v in image.iter_mut() {
                    *v = v.clamp(0.0, 1.0).powf(gamma);
                }
            }
            Augmentation::Cutout => {
                let side = (0.5 * m * h.min(w) as f32).round().max(1.0) as isize;
                let cy = rng.random_range(0..h) as isize;
                let cx = rng.random_range(0..w) as isize;
                let (y0, x0) = (cy - side / 2, cx - side / 2);
                let ys = y0.max(0) as usize..((y0 + side).min(h as isize)).max(0) as usize;
                let xs = x0.max(0) as usize..((x0 + side).min(w as isize)).max(0) as usize;
                for plane in image.chunks_exact_mut(h * w) {
                    for y in ys.clone() {
                        plane[y * w + xs.start..y * w + xs.end].fill(0.0);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Resamples `image` (`c` planes of `h × w`): output pixel `(y, x)` takes the bilinear
/// interpolation of the input at `source(y, x)`, with coordinates outside clamped to the
/// nearest edge pixel. Values are clipped to [0, 1].
fn warp(
    image: &mut [f32],
    scratch: &mut [f32],
    c: usize,
    h: usize,
    w: usize,
    source: impl Fn(f32, f32) -> (f32, f32),
) {
    scratch.copy_from_slice(image);
    let (ymax, xmax) = ((h - 1) as f32, (w - 1) as f32);
    for y in 0..h {
        for x in 0..w {
            let (sy, sx) = source(y as f32, x as f32);
            let (sy, sx) = (sy.clamp(0.0, ymax), sx.clamp(0.0, xmax));
            let (y0, x0) = (sy as usize, sx as usize);
            let (y1, x1) = ((y0 + 1).min(h - 1), (x0 + 1).min(w - 1));
            let (ty, tx) = (sy - y0 as f32, sx - x0 as f32);
            for k in 0..c {
                let plane = &scratch[k * h * w..(k + 1) * h * w];
                let top = plane[y0 * w + x0] * (1.0 - tx) + plane[y0 * w + x1] * tx;
                let bottom = plane[y1 * w + x0] * (1.0 - tx) + plane[y1 * w + x1] * tx;
                image[k * h * w + y * w + x] = (top * (1.0 - ty) + bottom * ty).clamp(0.0, 1.0);
            }
        }
    }
}

/// Separable Gaussian blur of width `sigma` pixels, edges clamped.
fn blur(image: &mut [f32], scratch: &mut [f32], c: usize, h: usize, w: usize, sigma: f32) {
    if sigma < 0.1 {
        return;
    }
    let radius = (3.0 * sigma).ceil() as isize;
    let mut kernel: Vec<f32> = (-radius..=radius)
        .map(|d| (-((d * d) as f32) / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f32 = kernel.iter().sum();
    kernel.iter_mut().for_each(|k| *k /= total);
    let clamp = |i: isize, n: usize| i.clamp(0, n as isize - 1) as usize;
    for k in 0..c {
        let plane = k * h * w..(k + 1) * h * w;
        // Rows into scratch, then columns back into the image.
        for y in 0..h {
            for x in 0..w {
                let mut sum = 0.0;
                for (j, weight) in kernel.iter().enumerate() {
                    let sx = clamp(x as isize + j as isize - radius, w);
                    sum += weight * image[plane.start + y * w + sx];
                }
                scratch[plane.start + y * w + x] = sum;
            }
        }
        for y in 0..h {
            for x in 0..w {
                let mut sum = 0.0;
                for (j, weight) in kernel.iter().enumerate() {
                    let sy = clamp(y as isize + j as isize - radius, h);
                    sum += weight * scratch[plane.start + sy * w + x];
                }
                image[plane.start + y * w + x] = sum.clamp(0.0, 1.0);
            }
        }
    }
}
