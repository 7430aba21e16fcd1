//! Images: a zip of one folder per class, or loose image files with a `filename,label` CSV.

use super::table::read_csv;
use super::{
    Classes, Context, ImageColor, ImageFit, ImportError, Imported, MAX_ENTRY_BYTES, MAX_IMAGE_SIDE,
    MAX_SAMPLES, MAX_UNZIPPED_BYTES, UploadFile, base_name, extension, fatal, imported, is_missing,
    megabytes, named, stem,
};
use crate::ml::data::{Images, NO_LABEL, Samples};
use image::{DynamicImage, ImageReader, Limits, RgbImage, imageops};
use std::collections::HashMap;
use std::io::{Cursor, Read};

/// Expansion ratio above which a zip entry of more than a megabyte is refused as a bomb.
const MAX_RATIO: u64 = 200;
/// The folder whose images have no label.
const UNLABELED: &str = "unlabeled";

/// One image brought to the training size, RGB, before the colour is decided.
struct Picture {
    /// The sample's id: its path in the zip, or the uploaded file's name.
    id: String,
    rgb: Vec<u8>,
    colored: bool,
    label: Option<String>,
}

fn is_image_name(name: &str) -> bool {
    matches!(
        extension(name).as_str(),
        "png" | "jpg" | "jpeg" | "bmp" | "gif" | "webp"
    )
}

/// Decodes an image with size limits, pads or crops it to a square and resizes it.
fn picture(bytes: &[u8], size: u32, fit: ImageFit) -> Result<(Vec<u8>, bool), String> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    if reader.format().is_none() {
        return Err("not a PNG, JPEG, BMP, GIF or WebP image".into());
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => {
            format!("the image is larger than {MAX_IMAGE_SIDE}×{MAX_IMAGE_SIDE} pixels")
        }
        e => format!("not a readable image ({e})"),
    })?;
    let gray_source = !image.color().has_color();
    let rgb = to_rgb(image);
    let (w, h) = rgb.dimensions();
    if w == 0 || h == 0 {
        return Err("the image has no pixels".into());
    }
    let square = match fit {
        ImageFit::Pad => {
            let side = w.max(h);
            let mut canvas = RgbImage::new(side, side);
            imageops::replace(
                &mut canvas,
                &rgb,
                i64::from((side - w) / 2),
                i64::from((side - h) / 2),
            );
            canvas
        }
        ImageFit::Crop => {
            let side = w.min(h);
            imageops::crop_imm(&rgb, (w - side) / 2, (h - side) / 2, side, side).to_image()
        }
    };
    let resized = imageops::resize(&square, size, size, imageops::FilterType::Triangle);
    let colored = !gray_source && resized.pixels().any(|p| p[0] != p[1] || p[1] != p[2]);
    Ok((resized.into_raw(), colored))
}

/// RGB, transparent parts over black.
fn to_rgb(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let (w, h) = rgba.dimensions();
    RgbImage::from_fn(w, h, |x, y| {
        let p = rgba.get_pixel(x, y);
        let a = u16::from(p[3]);
        image::Rgb([0, 1, 2].map(|k| (u16::from(p[k]) * a / 255) as u8))
    })
}

fn check_size(size: usize, file: &str) -> Result<u32, ImportError> {
    if !(4..=256).contains(&size) {
        return Err(fatal(
            file,
            "",
            format!("image size {size} is not between 4 and 256 pixels"),
        ));
    }
    Ok(size as u32)
}

/// Reads a zip of class folders.
pub(crate) fn from_zip(file: &UploadFile, ctx: &mut Context) -> Result<Imported, ImportError> {
    let name = &file.name;
    let size = check_size(ctx.options.image_size, name)?;
    let damaged = |e: zip::result::ZipError| {
        fatal(
            name,
            "",
            format!("this zip archive is damaged or truncated ({e})"),
        )
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(&file.bytes[..])).map_err(damaged)?;
    // First pass: names and declared sizes.
    let mut entries = Vec::new();
    let mut ignored = Vec::new();
    let mut declared = 0u64;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(damaged)?;
        let path = entry.name().replace('\\', "/");
        if entry.is_dir() {
            continue;
        }
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        if parts.is_empty() || parts[0] == "__MACOSX" || parts.iter().any(|p| p.starts_with('.')) {
            continue;
        }
        declared = declared.saturating_add(entry.size());
        if declared > MAX_UNZIPPED_BYTES {
            return Err(fatal(
                name,
                "",
                format!(
                    "the archive expands to more than {} (a zip bomb?)",
                    megabytes(MAX_UNZIPPED_BYTES)
                ),
            ));
        }
        if entry.size() > 1 << 20 && entry.size() / entry.compressed_size().max(1) > MAX_RATIO {
            return Err(fatal(
                name,
                &format!("entry {path}"),
                "compressed more than 200 times (a zip bomb?)",
            ));
        }
        if is_image_name(&path) {
            let parts = parts.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            entries.push((i, path, parts));
        } else {
            ignored.push(path);
        }
    }
    if entries.is_empty() {
        return Err(fatal(
            name,
            "",
            "the archive holds no PNG, JPEG, BMP, GIF or WebP images",
        ));
    }
    if entries.len() > MAX_SAMPLES {
        return Err(fatal(
            name,
            "",
            format!(
                "{} images, more than the limit of {MAX_SAMPLES}",
                entries.len()
            ),
        ));
    }
    // A folder above the class folders (pets/cats/1.png) is dropped.
    let top = &entries[0].2[0];
    let strip = entries.iter().all(|e| e.2.len() >= 3 && &e.2[0] == top);
    if entries.iter().all(|e| e.2.len() == 1 + usize::from(strip)) {
        return Err(fatal(
            name,
            "",
            "the images are not in class folders: put each class's images in a folder named \
             after the class (cats/001.png, dogs/001.png)",
        ));
    }
    let mut pictures = Vec::with_capacity(entries.len());
    let mut unzipped = 0u64;
    let total = entries.len();
    ctx.tick(name, 0, total);
    for (done, (index, path, parts)) in entries.iter().enumerate() {
        let parts = &parts[usize::from(strip)..];
        let location = format!("entry {path}");
        if parts.len() < 2 {
            ctx.problem(name, location, "not in a class folder");
            continue;
        }
        let mut entry = match archive.by_index(*index) {
            Ok(entry) => entry,
            Err(e) => {
                ctx.problem(name, location, format!("cannot be read ({e})"));
                continue;
            }
        };
        let compressed = entry.compressed_size().max(1);
        let limit = (MAX_UNZIPPED_BYTES - unzipped).min(MAX_ENTRY_BYTES);
        let mut bytes = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        let mut reader = (&mut entry).take(limit + 1);
        let read = loop {
            match reader.read(&mut chunk) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    bytes.extend_from_slice(&chunk[..n]);
                    let len = bytes.len() as u64;
                    if len > limit || (len > 1 << 20 && len / compressed > MAX_RATIO) {
                        return Err(fatal(
                            name,
                            &location,
                            "expands far more than its compressed size (a zip bomb?)",
                        ));
                    }
                }
                Err(e) => break Err(e),
            }
        };
        unzipped += bytes.len() as u64;
        if let Err(e) = read {
            ctx.problem(name, location, format!("cannot be unpacked ({e})"));
            continue;
        }
        let class = &parts[0];
        let label = (!class.eq_ignore_ascii_case(UNLABELED)).then(|| class.clone());
        match picture(&bytes, size, ctx.options.image_fit) {
            Ok((rgb, colored)) => pictures.push(Picture {
                id: path.clone(),
                rgb,
                colored,
                label,
            }),
            Err(e) => ctx.problem(name, location, e),
        }
        if done % 16 == 15 {
            ctx.tick(name, done + 1, total);
        }
    }
    ctx.tick(name, total, total);
    let mut out = finish(name, pictures, ctx, "images in class folders (zip)")?;
    if !ignored.is_empty() {
        out.notes.push(format!(
            "Files that are not images, ignored: {} (e.g. {}).",
            ignored.len(),
            ignored[0]
        ));
    }
    Ok(out)
}

/// Reads loose image files labeled by a `filename,label` CSV.
pub(crate) fn from_files(
    files: &[&UploadFile],
    csv: &UploadFile,
    ctx: &mut Context,
) -> Result<Imported, ImportError> {
    let size = check_size(ctx.options.image_size, &csv.name)?;
    let (header, rows) = read_csv(csv, ctx)?;
    if header.len() < 2 {
        return Err(fatal(
            &csv.name,
            "line 1",
            "a label CSV needs two columns: filename,label",
        ));
    }
    let file_col = header
        .iter()
        .position(|h| {
            named(
                h,
                &["filename", "file", "image", "name", "path", "file_name"],
            )
        })
        .unwrap_or(0);
    let label_col = header
        .iter()
        .position(|h| named(h, &["label", "class", "target", "y"]))
        .unwrap_or(if file_col == 0 { 1 } else { 0 });
    let mut labels: HashMap<String, Option<String>> = HashMap::new();
    for row in &rows {
        let label = &row.fields[label_col];
        let label = (!is_missing(label)).then(|| label.clone());
        labels.insert(base_name(&row.fields[file_col]).to_string(), label.clone());
        labels
            .entry(base_name(&row.fields[file_col]).to_lowercase())
            .or_insert(label);
    }
    let total = files.len();
    let mut pictures = Vec::new();
    let mut matched = 0;
    for (done, file) in files.iter().enumerate() {
        let base = base_name(&file.name);
        let Some(label) = labels
            .get(base)
            .or_else(|| labels.get(&base.to_lowercase()))
        else {
            ctx.problem(&file.name, "", format!("not listed in {}", csv.name));
            continue;
        };
        matched += 1;
        match picture(&file.bytes, size, ctx.options.image_fit) {
            Ok((rgb, colored)) => pictures.push(Picture {
                id: file.name.clone(),
                rgb,
                colored,
                label: label.clone(),
            }),
            Err(e) => ctx.problem(&file.name, "", e),
        }
        ctx.tick(&csv.name, done + 1, total);
    }
    let mut out = finish(&csv.name, pictures, ctx, "images with a label CSV")?;
    if rows.len() > matched {
        out.notes.push(format!(
            "Rows of {} naming images that were not uploaded: {}.",
            csv.name,
            rows.len() - matched
        ));
    }
    Ok(out)
}

/// Picks the colour, builds the image sets, writes the notes.
fn finish(
    file: &str,
    pictures: Vec<Picture>,
    ctx: &mut Context,
    format: &str,
) -> Result<Imported, ImportError> {
    let options = ctx.options;
    let size = options.image_size;
    let rgb = match options.image_color {
        ImageColor::Rgb => true,
        ImageColor::Gray => false,
        ImageColor::Auto => pictures.iter().any(|p| p.colored),
    };
    let classes = Classes::new(pictures.iter().filter_map(|p| p.label.as_deref()));
    classes.check(file, "the folders")?;
    let channels = if rgb { 3 } else { 1 };
    let mut samples = Images::new(channels, size, size);
    let mut unlabeled = Images::new(channels, size, size);
    let (mut ids, mut unlabeled_ids) = (Vec::new(), Vec::new());
    let mut values = vec![0.0f32; channels * size * size];
    for p in &pictures {
        let plane = size * size;
        for (i, px) in p.rgb.chunks_exact(3).enumerate() {
            if rgb {
                for k in 0..3 {
                    values[k * plane + i] = f32::from(px[k]) / 255.0;
                }
            } else {
                let luma =
                    0.299 * f32::from(px[0]) + 0.587 * f32::from(px[1]) + 0.114 * f32::from(px[2]);
                values[i] = (luma / 255.0).clamp(0.0, 1.0);
            }
        }
        match &p.label {
            Some(l) => {
                samples.push(&values, classes.get(l));
                ids.push(p.id.clone());
            }
            None => {
                unlabeled.push(&values, NO_LABEL);
                unlabeled_ids.push(p.id.clone());
            }
        }
    }
    let mut notes = vec![format!(
        "{} images {} and resized to {size}×{size}, {}.",
        samples.len() + unlabeled.len(),
        match options.image_fit {
            ImageFit::Pad => "padded with black to square",
            ImageFit::Crop => "cropped to their centre square",
        },
        if rgb { "RGB" } else { "grayscale" }
    )];
    if !unlabeled.is_empty() {
        notes.push(format!(
            "Images without a label, kept as unlabeled: {}.",
            unlabeled.len()
        ));
    }
    let mut out = imported(stem(file), format, classes.names, Samples::Images(samples));
    out.unlabeled = (!unlabeled.is_empty()).then_some(Samples::Images(unlabeled));
    out.ids = ids;
    out.unlabeled_ids = unlabeled_ids;
    out.notes = notes;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32, color: [u8; 3]) -> Vec<u8> {
        let img = RgbImage::from_pixel(w, h, image::Rgb(color));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn pad_and_crop() {
        let bytes = png(20, 10, [255, 0, 0]);
        let (pad, colored) = picture(&bytes, 8, ImageFit::Pad).unwrap();
        assert!(colored);
        assert_eq!(pad.len(), 8 * 8 * 3);
        assert_eq!(&pad[..3], [0, 0, 0]); // the top border is padding
        let (crop, _) = picture(&bytes, 8, ImageFit::Crop).unwrap();
        assert_eq!(&crop[..3], [255, 0, 0]);
        let (_, colored) = picture(&png(5, 5, [7, 7, 7]), 8, ImageFit::Pad).unwrap();
        assert!(!colored);
    }

    #[test]
    fn corrupt_is_an_error() {
        let mut bytes = png(20, 10, [1, 2, 3]);
        bytes.truncate(30);
        assert!(picture(&bytes, 8, ImageFit::Pad).is_err());
        assert!(picture(b"hello", 8, ImageFit::Pad).is_err());
    }

    #[test]
    fn huge_declared_size_is_refused() {
        // A PNG header declaring 100000×100000 pixels.
        let mut bytes = png(2, 2, [0, 0, 0]);
        bytes[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let e = picture(&bytes, 8, ImageFit::Pad).unwrap_err();
        assert!(e.contains("larger") || e.contains("readable"), "{e}");
    }
}
