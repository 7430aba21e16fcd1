//! Reading the user's files into a dataset: image folders in a zip, images with a label CSV,
//! CSV/TSV tables, FASTA and sequence CSVs, graph JSON and edge-list CSVs.
//!
//! Pure functions of bytes: no browser APIs, so every parser is tested natively. Nothing here
//! panics on any input; every problem names the file and the line or entry.

#[cfg(feature = "files")]
mod fasta;
#[cfg(feature = "files")]
mod graphs;
#[cfg(feature = "files")]
mod images;
#[cfg(feature = "files")]
pub mod molecules;
#[cfg(feature = "files")]
pub mod smiles;
#[cfg(feature = "files")]
mod table;

use super::data::Samples;
use serde::{Deserialize, Serialize};
#[cfg(feature = "files")]
use std::borrow::Cow;
#[cfg(feature = "files")]
use std::collections::HashMap;
use std::fmt;

/// Largest upload, all files together (bytes).
pub const MAX_UPLOAD_BYTES: usize = 100 * 1024 * 1024;
/// Most samples in one dataset.
pub const MAX_SAMPLES: usize = 50_000;
/// Most bytes a zip archive may expand to, all entries together.
pub const MAX_UNZIPPED_BYTES: u64 = 400 * 1024 * 1024;
/// Most bytes one zip entry may expand to.
pub const MAX_ENTRY_BYTES: u64 = 100 * 1024 * 1024;
/// Largest image side accepted (pixels).
pub const MAX_IMAGE_SIDE: u32 = 4096;
/// Training sizes the user may pick for images (pixels per side).
pub const IMAGE_SIZES: [usize; 4] = [28, 32, 48, 64];

/// One uploaded file. The bytes travel beside the JSON of protocol messages, never inside.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UploadFile {
    /// The file's name as the user's system gave it (may include a folder path).
    pub name: String,
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// How images are brought to the training size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ImageFit {
    /// Pad the shorter side with black to a square, then resize: nothing is cut off.
    #[default]
    Pad,
    /// Crop the centre square, then resize: no borders, the edges are lost.
    Crop,
}

/// The colour of the training images.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ImageColor {
    /// RGB if any image has colour, grayscale otherwise.
    #[default]
    Auto,
    /// One channel.
    Gray,
    /// Three channels.
    Rgb,
}

/// What to do with table rows that have empty or missing values (`""`, `NA`, `NaN`, `?`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum MissingValues {
    /// Leave such rows out (they are listed as skipped).
    #[default]
    Drop,
    /// Fill a missing feature with its column's mean.
    FillMean,
}

/// How the feature columns of a table are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TableAs {
    /// Independent features (an MLP learns them).
    #[default]
    Features,
    /// One time series per row, the columns in order (RNNs and 1-D CNNs learn them).
    Series,
}

/// Whether the labels of an upload are classes or measured values (regression).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    /// Measured values when every label is a number and there are more than
    /// [`MOST_NUMBERED_CLASSES`] of them or one has a fraction; classes otherwise.
    #[default]
    Auto,
    Classes,
    Measured,
}

impl TargetKind {
    pub const ALL: [TargetKind; 3] = [TargetKind::Auto, TargetKind::Classes, TargetKind::Measured];

    pub fn id(self) -> &'static str {
        match self {
            TargetKind::Auto => "auto",
            TargetKind::Classes => "classes",
            TargetKind::Measured => "measured",
        }
    }

    pub fn from_id(id: &str) -> Option<TargetKind> {
        TargetKind::ALL.into_iter().find(|k| k.id() == id)
    }
}

/// Most distinct whole-number labels read as classes when the target kind is
/// [`TargetKind::Auto`].
pub const MOST_NUMBERED_CLASSES: usize = 20;

/// The user's choices for reading an upload. Defaults suit most files.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportOptions {
    /// Training image side in pixels (one of [`IMAGE_SIZES`]).
    pub image_size: usize,
    pub image_fit: ImageFit,
    pub image_color: ImageColor,
    /// Tables: the label column (`None`: a column named label/class/target/y, else the last).
    pub label_column: Option<String>,
    /// Tables: the feature columns (`None`: every numeric column except the label).
    pub feature_columns: Option<Vec<String>>,
    pub missing: MissingValues,
    pub table_as: TableAs,
    /// Load the valid part of files that have bad records (the user agreed to).
    pub accept_partial: bool,
    /// Classes or measured values.
    #[serde(default)]
    pub target: TargetKind,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            image_size: 28,
            image_fit: ImageFit::Pad,
            image_color: ImageColor::Auto,
            label_column: None,
            feature_columns: None,
            missing: MissingValues::Drop,
            table_as: TableAs::Features,
            accept_partial: false,
            target: TargetKind::Auto,
        }
    }
}

/// Something wrong in one place of one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The file's name.
    pub file: String,
    /// Where in it, e.g. `line 5`, `entry cats/003.png`, `graph 3, edge 2`; empty for the
    /// whole file.
    pub location: String,
    /// What is wrong, said for a person.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.location.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}, {}: {}", self.file, self.location, self.message)
        }
    }
}

/// Why an upload was not loaded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ImportError {
    /// Nothing usable can be read (empty, unknown format, truncated archive, over a limit).
    Fatal(Problem),
    /// Some records are bad; the rest (`valid` samples) can be loaded if the user agrees
    /// (import again with [`ImportOptions::accept_partial`]).
    Partial {
        problems: Vec<Problem>,
        valid: usize,
    },
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Fatal(problem) => write!(f, "{problem}"),
            ImportError::Partial { problems, valid } => {
                write!(f, "{}", problems[0])?;
                if problems.len() > 1 {
                    write!(f, " (and {} more problems)", problems.len() - 1)?;
                }
                write!(f, ". {valid} samples are valid.")
            }
        }
    }
}

/// A column of an uploaded table, for the user to pick labels and features.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnInfo {
    pub name: String,
    /// Every present value parses as a number.
    pub numeric: bool,
    /// Rows where the value is missing.
    pub missing: usize,
    /// Distinct values (capped at 1000).
    pub distinct: usize,
}

/// An upload read into samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Imported {
    /// A name for the dataset (from the main file).
    pub name: String,
    /// What was recognised, e.g. "images in class folders (zip)".
    pub format: String,
    /// One name per class; labels index into it.
    pub class_names: Vec<String>,
    /// Every labeled sample.
    pub samples: Samples,
    /// Samples without a label (kept for labeling later), if any; their labels are
    /// [`crate::ml::data::NO_LABEL`].
    pub unlabeled: Option<Samples>,
    /// Each labeled sample's id as the upload names it: the file name (a zip entry's path),
    /// the FASTA id, the line number of a table row, the node id, or the graph's id (its
    /// position in the list when it has none).
    pub ids: Vec<String>,
    /// Each unlabeled sample's id.
    pub unlabeled_ids: Vec<String>,
    /// Molecules only: each labeled sample's SMILES as the file wrote it, then each unlabeled
    /// sample's (empty for other data).
    pub smiles: Vec<String>,
    pub unlabeled_smiles: Vec<String>,
    /// Records left out, and why (only non-empty when the user accepted a partial load, or for
    /// rows dropped for missing values).
    pub skipped: Vec<Problem>,
    /// How the data was read, in sentences (e.g. "Images padded to square and resized to
    /// 28×28, grayscale.").
    pub notes: Vec<String>,
    /// Tables only: every column, for choosing labels and features.
    pub columns: Vec<ColumnInfo>,
    /// Tables only: the label and feature columns used.
    pub label_column: Option<String>,
    pub feature_columns: Vec<String>,
}

/// How far reading has got, for a progress bar.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// What is being read, e.g. `cells.zip`.
    pub file: String,
    pub done: usize,
    pub total: usize,
}

/// Most problems kept in [`ImportError::Partial`].
pub const MAX_PROBLEMS_SHOWN: usize = 20;
/// Most problems kept in [`Imported::skipped`].
pub const MAX_PROBLEMS_KEPT: usize = 1000;
/// Most classes in one dataset.
pub const MAX_CLASSES: usize = 1000;
/// Longest biological sequence kept (longer ones are cut).
pub const MAX_SEQUENCE_LENGTH: usize = 10_000;

#[cfg(feature = "files")]
/// Reads `files` as one dataset, recognising the format from names and contents.
/// `progress` is called now and then with how far it has got.
pub fn import(
    files: &[UploadFile],
    options: &ImportOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Imported, ImportError> {
    if files.is_empty() {
        return Err(fatal("", "", "no files were uploaded"));
    }
    let total: usize = files.iter().map(|f| f.bytes.len()).sum();
    if total > MAX_UPLOAD_BYTES {
        return Err(fatal(
            &files[0].name,
            "",
            format!(
                "the upload is {}, more than the limit of {}",
                megabytes(total as u64),
                megabytes(MAX_UPLOAD_BYTES as u64)
            ),
        ));
    }
    // Text saved as UTF-16 (spreadsheet "Unicode text") is read as UTF-8.
    let decoded: Vec<Cow<UploadFile>> = files
        .iter()
        .map(|f| utf16_to_utf8(f).map_or(Cow::Borrowed(f), Cow::Owned))
        .collect();
    let files: Vec<&UploadFile> = decoded.iter().map(|f| f.as_ref()).collect();
    let mut kinds = Vec::with_capacity(files.len());
    for &file in &files {
        if file.bytes.is_empty() {
            return Err(fatal(&file.name, "", "the file is empty"));
        }
        let kind = FileKind::of(file);
        if kind == FileKind::Unknown {
            return Err(fatal(
                &file.name,
                "",
                "unknown file type: upload a zip of image folders, images with a label CSV, \
                 a CSV or TSV table, FASTA, or graph JSON",
            ));
        }
        kinds.push(kind);
    }
    let mut ctx = Context {
        options,
        progress,
        problems: Problems::default(),
    };
    let of = |kind: FileKind| -> Vec<&UploadFile> {
        files
            .iter()
            .zip(&kinds)
            .filter(|(_, k)| **k == kind)
            .map(|(f, _)| *f)
            .collect()
    };
    let (zips, pictures, tables, fastas, jsons) = (
        of(FileKind::Zip),
        of(FileKind::Image),
        of(FileKind::Table),
        of(FileKind::Fasta),
        of(FileKind::Json),
    );
    let mut imported = if let Some(zip) = zips.first() {
        if files.len() > 1 {
            return Err(fatal(
                &zip.name,
                "",
                "upload a zip archive on its own (put label files inside class folders instead)",
            ));
        }
        images::from_zip(zip, &mut ctx)?
    } else if !pictures.is_empty() {
        let csv = only_one(
            &tables,
            &pictures[0].name,
            "a label CSV (filename,label) for the images",
        )?;
        if let Some(other) = fastas.first().or(jsons.first()) {
            return Err(mixed(other));
        }
        images::from_files(&pictures, csv, &mut ctx)?
    } else if !fastas.is_empty() {
        if let Some(other) = jsons.first() {
            return Err(mixed(other));
        }
        let csv = match tables.len() {
            0 => None,
            _ => Some(only_one(
                &tables,
                &fastas[0].name,
                "a label CSV (id,label) for the FASTA files",
            )?),
        };
        fasta::from_fasta(&fastas, csv, &mut ctx)?
    } else if !jsons.is_empty() {
        if let Some(other) = tables.first().or(jsons.get(1)) {
            return Err(mixed(other));
        }
        graphs::from_json(jsons[0], &mut ctx)?
    } else {
        match tables.len() {
            1 => table::from_csv(tables[0], &mut ctx)?,
            2 => graphs::from_csvs(tables[0], tables[1], &mut ctx)?,
            _ => {
                return Err(fatal(
                    &tables[2].name,
                    "",
                    "too many CSV files: upload one table, or an edge list and a node list",
                ));
            }
        }
    };
    let len = imported.samples.len() + imported.unlabeled.as_ref().map_or(0, Samples::len);
    if len > MAX_SAMPLES {
        return Err(fatal(
            &imported.name,
            "",
            format!("{len} samples, more than the limit of {MAX_SAMPLES}"),
        ));
    }
    let mut skipped = ctx.problems.finish(imported.samples.len(), options)?;
    skipped.append(&mut imported.skipped);
    imported.skipped = skipped;
    if imported.class_names.is_empty() || imported.samples.is_empty() {
        return Err(fatal(
            &imported.name,
            "",
            "no sample has a label, so there is nothing to learn: add labels (see the examples)",
        ));
    }
    if is_measured(&imported, options.target) {
        return measured(imported);
    }
    let file = &imported.name;
    if imported.class_names.len() > MAX_CLASSES {
        return Err(fatal(
            file,
            "",
            format!(
                "{} different labels, more than {MAX_CLASSES} classes: is it really a column \
                 of classes? (Choose Target: measured values for numbers.)",
                imported.class_names.len()
            ),
        ));
    }
    if imported.class_names.len() < 2 {
        return Err(fatal(
            file,
            "",
            format!(
                "every labeled sample is in one class ({}): a classifier needs at least 2 classes",
                imported.class_names[0]
            ),
        ));
    }
    Ok(imported)
}

#[cfg(feature = "files")]
/// Whether `imported`'s labels are to be read as measured values.
fn is_measured(imported: &Imported, kind: TargetKind) -> bool {
    if matches!(imported.samples, Samples::Nodes(_)) {
        return false;
    }
    match kind {
        TargetKind::Classes => false,
        TargetKind::Measured => true,
        TargetKind::Auto => {
            let numbers: Option<Vec<f64>> = imported
                .class_names
                .iter()
                .map(|n| parse_number(n))
                .collect();
            numbers.is_some_and(|numbers| {
                numbers.len() > MOST_NUMBERED_CLASSES || numbers.iter().any(|v| v.fract() != 0.0)
            })
        }
    }
}

#[cfg(feature = "files")]
/// `imported` with its labels read as measured values: one output, named after the target
/// column. Samples without a value stay unlabeled.
fn measured(mut imported: Imported) -> Result<Imported, ImportError> {
    let file = imported.name.clone();
    if matches!(imported.samples, Samples::Nodes(_)) {
        return Err(fatal(
            &file,
            "",
            "the nodes of a graph are classified here: measured node values are not supported",
        ));
    }
    let labels = imported.samples.labels().to_vec();
    let mut values = Vec::with_capacity(imported.class_names.len());
    for (class, name) in imported.class_names.iter().enumerate() {
        let Some(value) = parse_number(name) else {
            let sample = labels
                .iter()
                .position(|&l| l as usize == class)
                .unwrap_or(0);
            let id = imported.ids.get(sample).cloned().unwrap_or_default();
            let location = if id.parse::<usize>().is_ok() {
                format!("line {id}")
            } else {
                id
            };
            return Err(fatal(
                &file,
                &location,
                format!(
                    "{} is not a number, so the target cannot be a measured value (choose \
                     Target: classes, or correct the value)",
                    shown(name)
                ),
            ));
        };
        values.push(value as f32);
    }
    let measured: Vec<f32> = labels.iter().map(|&l| values[l as usize]).collect();
    let n = measured.len() as f64;
    let mean = measured.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let sd = (measured
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n)
        .sqrt();
    if sd == 0.0 {
        return Err(fatal(
            &file,
            "",
            format!(
                "every measured value is {}: there is nothing to learn",
                imported.class_names[0]
            ),
        ));
    }
    let (low, high) = measured
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let target = imported
        .label_column
        .clone()
        .unwrap_or_else(|| "value".to_string());
    imported.notes.push(format!(
        "Target {}: measured values from {low} to {high} (mean {mean:.3}, SD {sd:.3}), \
         learned as a regression.",
        shown(&target)
    ));
    imported.samples = std::mem::replace(
        &mut imported.samples,
        Samples::Table(crate::ml::data::Table::new(Vec::new())),
    )
    .with_measured(measured);
    imported.unlabeled = imported.unlabeled.take().map(|pool| {
        let n = pool.len();
        pool.with_measured(vec![f32::NAN; n])
    });
    imported.class_names = vec![target];
    Ok(imported)
}

#[cfg(feature = "files")]
/// What a file holds, from its name, else its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FileKind {
    Zip,
    Image,
    Table,
    Fasta,
    Json,
    Unknown,
}

#[cfg(feature = "files")]
impl FileKind {
    fn of(file: &UploadFile) -> FileKind {
        match extension(&file.name).as_str() {
            "zip" => return FileKind::Zip,
            "png" | "jpg" | "jpeg" | "bmp" | "gif" | "webp" => return FileKind::Image,
            "csv" | "tsv" | "tab" => return FileKind::Table,
            "fa" | "fasta" | "fna" | "faa" | "ffn" | "fas" => return FileKind::Fasta,
            "json" => return FileKind::Json,
            _ => {}
        }
        let b = &file.bytes;
        if b.starts_with(b"PK\x03\x04") || b.starts_with(b"PK\x05\x06") {
            return FileKind::Zip;
        }
        if image::guess_format(b).is_ok() {
            return FileKind::Image;
        }
        let head = &b[..b.len().min(8192)];
        if is_binary(head) {
            return FileKind::Unknown;
        }
        let text = String::from_utf8_lossy(head);
        let text = text.trim_start_matches('\u{feff}').trim_start();
        if text.starts_with('>') {
            FileKind::Fasta
        } else if text.starts_with('{') {
            FileKind::Json
        } else if text
            .lines()
            .next()
            .is_some_and(|l| l.contains(',') || l.contains('\t'))
        {
            FileKind::Table
        } else {
            FileKind::Unknown
        }
    }
}

#[cfg(feature = "files")]
fn mixed(file: &UploadFile) -> ImportError {
    fatal(
        &file.name,
        "",
        "this file does not belong with the others: upload one dataset at a time",
    )
}

#[cfg(feature = "files")]
fn only_one<'a>(
    files: &[&'a UploadFile],
    main: &str,
    what: &str,
) -> Result<&'a UploadFile, ImportError> {
    match files {
        [one] => Ok(one),
        [] => Err(fatal(main, "", format!("missing {what}"))),
        [_, second, ..] => Err(fatal(&second.name, "", format!("expected only {what}"))),
    }
}

#[cfg(feature = "files")]
/// What every reader shares: the options, the progress callback, the record problems.
pub(crate) struct Context<'a> {
    pub options: &'a ImportOptions,
    pub progress: &'a mut dyn FnMut(Progress),
    pub problems: Problems,
}

#[cfg(feature = "files")]
impl Context<'_> {
    /// Reports progress when `done` crosses a step of about 1% (and at the start and end).
    pub fn tick(&mut self, file: &str, done: usize, total: usize) {
        let step = (total / 100).clamp(1, 200);
        if done == 0 || done >= total || done.is_multiple_of(step) {
            (self.progress)(Progress {
                file: file.to_string(),
                done,
                total,
            });
        }
    }

    /// A record-level problem: that record is left out.
    pub fn problem(&mut self, file: &str, location: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            file: file.to_string(),
            location: location.into(),
            message: message.into(),
        });
    }
}

#[cfg(feature = "files")]
/// Record-level problems found so far.
#[derive(Default)]
pub(crate) struct Problems {
    list: Vec<Problem>,
    count: usize,
}

#[cfg(feature = "files")]
impl Problems {
    pub fn push(&mut self, problem: Problem) {
        self.count += 1;
        if self.list.len() < MAX_PROBLEMS_KEPT {
            self.list.push(problem);
        }
    }

    /// The problems as skipped records if the user accepts a partial load, else the error.
    fn finish(self, valid: usize, options: &ImportOptions) -> Result<Vec<Problem>, ImportError> {
        if self.count == 0 {
            return Ok(Vec::new());
        }
        let mut list = self.list;
        if self.count > list.len() {
            let last = list.last().cloned().unwrap_or_else(|| problem("", "", ""));
            list.push(Problem {
                file: last.file,
                location: String::new(),
                message: format!("and {} more problems", self.count - MAX_PROBLEMS_KEPT),
            });
        }
        if options.accept_partial {
            Ok(list)
        } else {
            list.truncate(MAX_PROBLEMS_SHOWN);
            if self.count > MAX_PROBLEMS_SHOWN {
                let file = list[0].file.clone();
                list.push(problem(
                    &file,
                    "",
                    format!("and {} more problems", self.count - MAX_PROBLEMS_SHOWN),
                ));
            }
            Err(ImportError::Partial {
                problems: list,
                valid,
            })
        }
    }
}

#[cfg(feature = "files")]
pub(crate) fn problem(file: &str, location: &str, message: impl Into<String>) -> Problem {
    Problem {
        file: file.to_string(),
        location: location.to_string(),
        message: message.into(),
    }
}

#[cfg(feature = "files")]
pub(crate) fn fatal(file: &str, location: &str, message: impl Into<String>) -> ImportError {
    ImportError::Fatal(problem(file, location, message))
}

#[cfg(feature = "files")]
/// The lower-case extension of a file name, without the dot.
pub(crate) fn extension(name: &str) -> String {
    let base = base_name(name);
    match base.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
        _ => String::new(),
    }
}

#[cfg(feature = "files")]
/// The name without its folders.
pub(crate) fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

#[cfg(feature = "files")]
/// The name without folders and extension, for naming the dataset.
pub(crate) fn stem(name: &str) -> String {
    let base = base_name(name);
    match base.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_string(),
        _ => base.to_string(),
    }
}

#[cfg(feature = "files")]
pub(crate) fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

#[cfg(feature = "files")]
/// A text file with a UTF-16 byte-order mark, as UTF-8.
fn utf16_to_utf8(file: &UploadFile) -> Option<UploadFile> {
    let b = &file.bytes;
    let little = match b.get(..2)? {
        [0xff, 0xfe] => true,
        [0xfe, 0xff] => false,
        _ => return None,
    };
    let units = b[2..].chunks_exact(2).map(|c| {
        if little {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    let text: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    Some(UploadFile {
        name: file.name.clone(),
        bytes: text.into_bytes(),
    })
}

#[cfg(feature = "files")]
/// NUL bytes or invalid UTF-8 (a cut character at the end is fine).
fn is_binary(head: &[u8]) -> bool {
    if head.contains(&0) {
        return true;
    }
    match std::str::from_utf8(head) {
        Ok(_) => false,
        Err(e) => e.error_len().is_some() || head.len() - e.valid_up_to() > 3,
    }
}

#[cfg(feature = "files")]
/// The file as text: refuses empty and binary files; drops a byte-order mark.
pub(crate) fn text_of(file: &UploadFile) -> Result<&str, ImportError> {
    let bytes = &file.bytes;
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(fatal(&file.name, "", "the file is empty"));
    }
    let kind = match extension(&file.name).as_str() {
        "json" => "JSON",
        "fa" | "fasta" | "fna" | "faa" | "ffn" | "fas" => "FASTA",
        "tsv" | "tab" => "TSV",
        _ => "CSV",
    };
    if is_binary(&bytes[..bytes.len().min(8192)]) {
        return Err(fatal(
            &file.name,
            "",
            format!("this looks like a binary file, not {kind} text"),
        ));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.strip_prefix('\u{feff}').unwrap_or(text)),
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            Err(fatal(
                &file.name,
                &format!("line {line}"),
                "the text is not UTF-8 (save the file as UTF-8)",
            ))
        }
    }
}

#[cfg(feature = "files")]
/// Whether a table cell counts as missing.
pub(crate) fn is_missing(value: &str) -> bool {
    let v = value.trim();
    v.is_empty()
        || v.eq_ignore_ascii_case("na")
        || v.eq_ignore_ascii_case("nan")
        || v.eq_ignore_ascii_case("null")
        || v.eq_ignore_ascii_case("n/a")
        || v == "?"
}

#[cfg(feature = "files")]
/// A number, if the cell holds one that is finite even as `f32`.
pub(crate) fn parse_number(value: &str) -> Option<f64> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| (*v as f32).is_finite())
}

#[cfg(feature = "files")]
/// Class names from label strings: sorted (numerically when every label is a number), and a
/// map from label to class index.
pub(crate) struct Classes {
    pub names: Vec<String>,
    index: HashMap<String, u32>,
}

#[cfg(feature = "files")]
impl Classes {
    pub fn new<'a>(labels: impl IntoIterator<Item = &'a str>) -> Classes {
        let mut names: Vec<String> = labels.into_iter().map(str::to_string).collect();
        names.sort();
        names.dedup();
        if !names.is_empty() && names.iter().all(|n| parse_number(n).is_some()) {
            names.sort_by(|a, b| {
                let (x, y) = (
                    parse_number(a).unwrap_or(0.0),
                    parse_number(b).unwrap_or(0.0),
                );
                x.total_cmp(&y).then_with(|| a.cmp(b))
            });
        }
        let index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i as u32))
            .collect();
        Classes { names, index }
    }

    pub fn get(&self, label: &str) -> u32 {
        self.index.get(label).copied().unwrap_or(0)
    }

    /// Fails when there are more classes than [`MAX_CLASSES`] and they are not numbers.
    pub fn check(&self, file: &str, column: &str) -> Result<(), ImportError> {
        // Numbers may be measured values; [`import`] decides and checks.
        let numbers = self.names.iter().all(|n| parse_number(n).is_some());
        if self.names.len() > MAX_CLASSES && !numbers {
            return Err(fatal(
                file,
                "",
                format!(
                    "{} has {} different labels, more than {MAX_CLASSES} classes: is it \
                     really a column of classes?",
                    column,
                    self.names.len()
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(feature = "files")]
/// A short, printable form of a value for messages.
pub(crate) fn shown(value: &str) -> String {
    let mut s: String = value.chars().take(40).collect();
    if value.chars().count() > 40 {
        s.push('…');
    }
    format!("{s:?}")
}

#[cfg(feature = "files")]
/// Whether a column name is one of `names`, ignoring case and spaces.
pub(crate) fn named(column: &str, names: &[&str]) -> bool {
    let c = column.trim();
    names.iter().any(|n| c.eq_ignore_ascii_case(n))
}

#[cfg(feature = "files")]
/// An upload with every field empty but the ones given.
pub(crate) fn imported(
    name: String,
    format: &str,
    classes: Vec<String>,
    samples: Samples,
) -> Imported {
    Imported {
        name,
        format: format.to_string(),
        class_names: classes,
        samples,
        unlabeled: None,
        ids: Vec::new(),
        unlabeled_ids: Vec::new(),
        smiles: Vec::new(),
        unlabeled_smiles: Vec::new(),
        skipped: Vec::new(),
        notes: Vec::new(),
        columns: Vec::new(),
        label_column: None,
        feature_columns: Vec::new(),
    }
}
