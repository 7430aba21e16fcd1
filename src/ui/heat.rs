//! Colours of attribution maps and activations: pure, so they are tested natively.

/// Red for positive, blue for negative (or red alone for magnitudes), with how strongly a
/// value of `value` shows against the map's largest magnitude `largest`.
pub fn heat(value: f32, largest: f32, signed: bool) -> ([u8; 3], f32) {
    let strength = if largest > 0.0 {
        (value.abs() / largest).min(1.0)
    } else {
        0.0
    };
    let colour = if signed && value < 0.0 {
        [25, 113, 194]
    } else {
        [224, 49, 49]
    };
    (colour, strength)
}

/// The largest magnitude of `values` (what full colour means).
pub fn largest(values: &[f32]) -> f32 {
    values.iter().map(|v| v.abs()).fold(0.0, f32::max)
}

/// An attribution map laid over a grey image: `gray` and `points` one per pixel; `opacity`
/// scales the colour; pixels on the edge of the true `region` (if given) drawn green.
pub fn overlay(
    gray: &[u8],
    points: &[f32],
    opacity: f32,
    signed: bool,
    region: &[bool],
    width: usize,
) -> Vec<u8> {
    let values: Vec<f32> = if signed {
        points.to_vec()
    } else {
        points.iter().map(|v| v.abs()).collect()
    };
    let top = largest(&values);
    let edge = |p: usize| {
        if region.len() != gray.len() || !region[p] {
            return false;
        }
        let (y, x) = (p / width, p % width);
        let height = gray.len() / width.max(1);
        [(0isize, 1isize), (0, -1), (1, 0), (-1, 0)]
            .iter()
            .any(|(dy, dx)| {
                let (ny, nx) = (y as isize + dy, x as isize + dx);
                ny < 0
                    || nx < 0
                    || ny >= height as isize
                    || nx >= width as isize
                    || !region[ny as usize * width + nx as usize]
            })
    };
    let mut rgba = Vec::with_capacity(gray.len() * 4);
    for (p, &g) in gray.iter().enumerate() {
        if edge(p) {
            rgba.extend_from_slice(&[47, 158, 68, 255]);
            continue;
        }
        let (colour, strength) = heat(values.get(p).copied().unwrap_or(0.0), top, signed);
        let a = (opacity * strength).clamp(0.0, 1.0);
        for c in colour {
            rgba.push(((1.0 - a) * g as f32 + a * c as f32).round() as u8);
        }
        rgba.push(255);
    }
    rgba
}

/// One activation map as an image: dark for low, bright yellow for high (each map scaled to
/// its own range).
pub fn activation_map(values: &[f32]) -> Vec<u8> {
    let (low, high) = values
        .iter()
        .fold((f32::MAX, f32::MIN), |(l, h), &v| (l.min(v), h.max(v)));
    let span = (high - low).max(1e-6);
    values
        .iter()
        .flat_map(|&v| {
            let t = (v - low) / span;
            [
                (20.0 + 235.0 * t) as u8,
                (20.0 + 200.0 * t) as u8,
                (60.0 - 40.0 * t) as u8,
                255,
            ]
        })
        .collect()
}

/// A kernel as an image on white: red where positive, blue where negative, scaled to its
/// largest magnitude.
pub fn kernel_image(values: &[f32]) -> Vec<u8> {
    let top = largest(values);
    values
        .iter()
        .flat_map(|&v| {
            let (colour, strength) = heat(v, top, true);
            let mix = |c: u8| (255.0 + (f32::from(c) - 255.0) * strength).round() as u8;
            [mix(colour[0]), mix(colour[1]), mix(colour[2]), 255]
        })
        .collect()
}

/// A sequence logo of one kernel (`channels × positions`, channel-major): at each position
/// the letters with positive weight, smallest first, each with its height as a share of the
/// tallest column; and the consensus (the heaviest letter, or `-` where none is positive).
pub fn logo(values: &[f32], channels: usize, alphabet: &str) -> (Vec<Vec<(char, f32)>>, String) {
    let letters: Vec<char> = alphabet.chars().collect();
    let positions = values.len() / channels.max(1);
    let columns: Vec<Vec<(char, f32)>> = (0..positions)
        .map(|p| {
            let mut column: Vec<(char, f32)> = (0..channels)
                .map(|c| {
                    (
                        letters.get(c).copied().unwrap_or('?'),
                        values[c * positions + p].max(0.0),
                    )
                })
                .filter(|(_, w)| *w > 0.0)
                .collect();
            column.sort_by(|a, b| a.1.total_cmp(&b.1));
            column
        })
        .collect();
    let tallest = columns
        .iter()
        .map(|c| c.iter().map(|(_, w)| w).sum::<f32>())
        .fold(1e-12, f32::max);
    let consensus = columns
        .iter()
        .map(|c| c.last().map_or('-', |(l, _)| *l))
        .collect();
    let scaled = columns
        .into_iter()
        .map(|c| c.into_iter().map(|(l, w)| (l, w / tallest)).collect())
        .collect();
    (scaled, consensus)
}

/// A cell's background for a similarity in 0–1 (white to dark blue), and a text colour that
/// stays readable on it.
pub fn similarity_colours(value: f32) -> (String, &'static str) {
    let t = value.clamp(0.0, 1.0);
    let mix = |white: f32, blue: f32| white + (blue - white) * t;
    let (r, g, b) = (mix(255.0, 24.0), mix(255.0, 74.0), mix(255.0, 140.0));
    let linear = |c: f32| {
        let c = c / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
    let text = if luminance > 0.18 {
        "#000000"
    } else {
        "#ffffff"
    };
    (format!("rgb({r:.0},{g:.0},{b:.0})"), text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_strongest_point_gets_full_colour_and_the_region_edge_is_green() {
        let gray = vec![100u8; 9];
        let points = [0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, -1.0];
        let rgba = overlay(&gray, &points, 1.0, true, &[], 3);
        assert_eq!(&rgba[16..19], &[224, 49, 49]);
        assert_eq!(&rgba[0..3], &[100, 100, 100]);
        assert!(rgba[32 + 2] > rgba[32], "a negative value is blue");
        let mut region = vec![false; 9];
        region[4] = true;
        let rgba = overlay(&gray, &points, 1.0, true, &region, 3);
        assert_eq!(&rgba[16..19], &[47, 158, 68]);
    }

    #[test]
    fn a_logo_stacks_positive_weights_and_names_the_consensus() {
        // Two positions, channels A C G T: position 0 prefers T, position 1 A then G.
        let values = [0.0, 2.0, -1.0, 0.0, 0.0, 1.0, 4.0, -3.0];
        let (columns, consensus) = logo(&values, 4, "ACGT");
        assert_eq!(consensus, "TA");
        assert_eq!(columns[0], vec![('T', 1.0)]);
        assert_eq!(columns[1], vec![('G', 0.25), ('A', 0.5)]);
        assert_eq!(kernel_image(&[0.0, -1.0])[4..7], [25, 113, 194]);
    }

    #[test]
    fn similarity_text_stays_readable() {
        assert_eq!(similarity_colours(0.0).1, "#000000");
        assert_eq!(similarity_colours(1.0).1, "#ffffff");
    }
}
