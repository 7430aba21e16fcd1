//! Files that take work out of the page and back in: the trained model as safetensors with
//! PyTorch's names and layouts (what `python/petri_torch.py` loads), and the `.petri`
//! experiment file (a zip) that the page and the `petri` command line open and write.
//!
//! A `.petri` file holds `petri.json` ([`ExperimentFile`]), `model.safetensors` (the model
//! file, when a model was trained) and `data/0`, `data/1`, … (the uploaded files, when kept).

use super::data::DataShape;
use super::experiment::Experiment;
use super::import::{ImportOptions, UploadFile};
use super::label::AssignedLabel;
use super::models::ModelConfig;
use super::regression::TargetScale;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
#[cfg(feature = "files")]
use std::io::{Cursor, Read};

/// What `format` says in a model file's description.
pub const MODEL_FORMAT: &str = "petri-model";
/// What `format` says in `petri.json`.
pub const EXPERIMENT_FORMAT: &str = "petri-experiment";
/// The version of both formats this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The safetensors metadata key holding the [`ModelDescription`] as JSON.
pub const DESCRIPTION_KEY: &str = "petri";

const EXPERIMENT_ENTRY: &str = "petri.json";
const MODEL_ENTRY: &str = "model.safetensors";

/// Everything besides the weights that a trained model needs to be used elsewhere.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelDescription {
    /// [`MODEL_FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] when written.
    pub version: u32,
    /// The architecture.
    pub model: ModelConfig,
    /// The shape of one sample, as the data are before standardization.
    pub input: DataShape,
    /// Class names in the order of the logits.
    pub classes: Vec<String>,
    /// The standardization the model expects, `(mean, std)`: empty (none), one pair for every
    /// value (images, numeric sequences: their real positions only), or one per feature column
    /// (tables), applied as `(x - mean) / std`.
    pub standardize: Vec<(f32, f32)>,
    /// Names of the feature columns of a table, or of the node features of a graph.
    #[serde(default)]
    pub features: Vec<String>,
    /// One-hot sequences: the letter of each channel, in order.
    #[serde(default)]
    pub alphabet: Option<String>,
    /// Training steps the weights have had.
    pub step: u64,
    /// The dataset's name, for people reading the file.
    pub dataset: String,
    /// A measured target (`classes` holds its name): the model's one output is standardised,
    /// and `output · std + mean` is the value in the target's units.
    #[serde(default)]
    pub measured: Option<TargetScale>,
}

/// One parameter tensor, named and laid out as PyTorch does: row-major `f32`.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedTensor {
    /// Dotted path, e.g. `convs.0.weight`.
    pub name: String,
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

/// A model file: the tensors as safetensors, with the description as JSON in the metadata.
pub fn write_model(description: &ModelDescription, tensors: &[NamedTensor]) -> Vec<u8> {
    let bytes: Vec<Vec<u8>> = tensors
        .iter()
        .map(|t| t.values.iter().flat_map(|v| v.to_le_bytes()).collect())
        .collect();
    let views = tensors.iter().zip(&bytes).map(|(t, data)| {
        let view =
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, t.shape.clone(), data)
                .expect("a tensor's bytes match its shape");
        (t.name.clone(), view)
    });
    let metadata = HashMap::from([(
        DESCRIPTION_KEY.to_string(),
        serde_json::to_string(description).expect("descriptions serialise"),
    )]);
    safetensors::tensor::serialize(views, Some(metadata)).expect("safetensors serialise")
}

/// Reads a model file written by [`write_model`] (its tensors in no particular order); `name`
/// is used in messages.
pub fn read_model(
    name: &str,
    bytes: &[u8],
) -> Result<(ModelDescription, Vec<NamedTensor>), String> {
    let broken = |problem: String| format!("{name} is not a Petri model file: {problem}.");
    let tensors = safetensors::SafeTensors::deserialize(bytes)
        .map_err(|e| broken(format!("its safetensors header cannot be read ({e})")))?;
    let (_, metadata) = safetensors::SafeTensors::read_metadata(bytes)
        .map_err(|e| broken(format!("its safetensors header cannot be read ({e})")))?;
    let text = metadata
        .metadata()
        .as_ref()
        .and_then(|m| m.get(DESCRIPTION_KEY))
        .ok_or_else(|| broken(format!("it has no \"{DESCRIPTION_KEY}\" description")))?;
    let header: Header = serde_json::from_str(text)
        .map_err(|e| broken(format!("its description is not valid JSON ({e})")))?;
    check_header(name, &header, MODEL_FORMAT)?;
    let description: ModelDescription = serde_json::from_str(text).map_err(|e| {
        broken(format!(
            "its description does not fit format {FORMAT_VERSION} ({e})"
        ))
    })?;
    let mut named = Vec::new();
    for (tensor_name, view) in tensors.tensors() {
        if view.dtype() != safetensors::Dtype::F32 {
            return Err(broken(format!(
                "tensor {tensor_name} is {:?}, not F32",
                view.dtype()
            )));
        }
        named.push(NamedTensor {
            name: tensor_name,
            shape: view.shape().to_vec(),
            values: view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
        });
    }
    Ok((description, named))
}

/// One point of a training or validation curve.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricPoint {
    pub step: u64,
    pub epoch: f64,
    pub loss: f64,
    pub accuracy: f64,
    /// Measured targets: the root mean squared error, in the target's units.
    #[serde(default)]
    pub rmse: Option<f64>,
}

/// The curves of a run: training metrics as reported (means over the steps since the previous
/// point) and each validation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub train: Vec<MetricPoint>,
    pub valid: Vec<MetricPoint>,
}

/// A person's labels for one book (see [`Experiment::labels_key`]), accepted pseudo-labels
/// marked by their source.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LabelBook {
    pub key: String,
    pub labels: Vec<AssignedLabel>,
    /// Ids whose pseudo-label proposal the person rejected.
    pub rejected: Vec<String>,
}

/// The uploaded files an experiment learns from, and how they were read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataFiles {
    pub options: ImportOptions,
    /// The files' names, in the order of the `data/N` entries.
    pub files: Vec<String>,
}

/// `petri.json`: the experiment and what was learnt so far.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExperimentFile {
    /// [`EXPERIMENT_FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] when written.
    pub version: u32,
    /// Which program wrote it, e.g. "Petri 0.1.0 (page, WebGPU)".
    pub written_by: String,
    pub experiment: Experiment,
    /// Training steps the model in `model.safetensors` has had (0: no model).
    pub step: u64,
    pub labels: LabelBook,
    pub history: History,
    /// The uploaded data, when the experiment learns from an upload and it was kept.
    pub data: Option<DataFiles>,
}

impl ExperimentFile {
    /// A file for `experiment` with nothing learnt yet.
    pub fn new(experiment: Experiment, written_by: String) -> Self {
        Self {
            format: EXPERIMENT_FORMAT.into(),
            version: FORMAT_VERSION,
            written_by,
            experiment,
            step: 0,
            labels: LabelBook::default(),
            history: History::default(),
            data: None,
        }
    }
}

/// A whole `.petri` file, read or about to be written.
#[derive(Clone, Debug, PartialEq)]
pub struct Archive {
    pub file: ExperimentFile,
    /// The model file ([`write_model`]), when a model was trained.
    pub model: Option<Vec<u8>>,
    /// The uploaded files named in `file.data`.
    pub data: Vec<UploadFile>,
}

/// The `.petri` file (a zip) of `archive`.
pub fn write_archive(archive: &Archive) -> Vec<u8> {
    let mut zip = StoredZip::default();
    // Compact, like every other message: another formatter would add a second copy of the
    // serialisation code to the engine's download.
    let json = serde_json::to_vec(&archive.file).expect("experiment files serialise");
    zip.add(EXPERIMENT_ENTRY, &json);
    if let Some(model) = &archive.model {
        zip.add(MODEL_ENTRY, model);
    }
    for (i, file) in archive.data.iter().enumerate() {
        zip.add(&format!("data/{i}"), &file.bytes);
    }
    zip.finish()
}

/// A zip archive of uncompressed entries. Written here rather than with the zip crate's
/// writer, whose deflate encoder would add tens of kilobytes to the first download (the
/// weights hardly compress, and uploads are mostly compressed already); read with the zip
/// crate like any other.
#[derive(Default)]
struct StoredZip {
    bytes: Vec<u8>,
    directory: Vec<u8>,
    entries: u16,
}

impl StoredZip {
    /// Version 2.0, names in UTF-8, stored, dated 1980-01-01.
    const HEADER: [u16; 5] = [20, 0x0800, 0, 0, 0x21];

    fn add(&mut self, name: &str, data: &[u8]) {
        let offset = self.bytes.len() as u32;
        let sizes = [crc32fast::hash(data), data.len() as u32, data.len() as u32];
        let name_length = [name.len() as u16, 0];
        put32(&mut self.bytes, &[0x0403_4b50]);
        put16(&mut self.bytes, &Self::HEADER);
        put32(&mut self.bytes, &sizes);
        put16(&mut self.bytes, &name_length);
        self.bytes.extend_from_slice(name.as_bytes());
        self.bytes.extend_from_slice(data);

        let directory = &mut self.directory;
        put32(directory, &[0x0201_4b50]);
        put16(directory, &[20]);
        put16(directory, &Self::HEADER);
        put32(directory, &sizes);
        put16(directory, &name_length);
        put16(directory, &[0, 0, 0]);
        put32(directory, &[0, offset]);
        directory.extend_from_slice(name.as_bytes());
        self.entries += 1;
    }

    fn finish(mut self) -> Vec<u8> {
        let start = self.bytes.len() as u32;
        let size = self.directory.len() as u32;
        self.bytes.append(&mut self.directory);
        put32(&mut self.bytes, &[0x0605_4b50]);
        put16(&mut self.bytes, &[0, 0, self.entries, self.entries]);
        put32(&mut self.bytes, &[size, start]);
        put16(&mut self.bytes, &[0]);
        self.bytes
    }
}

fn put16(out: &mut Vec<u8>, values: &[u16]) {
    values
        .iter()
        .for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
}

fn put32(out: &mut Vec<u8>, values: &[u32]) {
    values
        .iter()
        .for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
}

#[cfg(feature = "files")]
/// Reads a `.petri` file; `name` (the file's name) is used in messages. Checks everything it
/// can without the data: the format and version, the JSON, that the model file and every
/// data file named are there and that the model file reads.
pub fn read_archive(name: &str, bytes: &[u8]) -> Result<Archive, String> {
    let broken = |problem: String| format!("{name} is not a Petri experiment file: {problem}.");
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        broken(format!(
            "it is not a complete zip archive ({e}); it may be cut short or another kind of file"
        ))
    })?;
    let mut entry = |entry: &str| -> Result<Option<Vec<u8>>, String> {
        let mut file = match zip.by_name(entry) {
            Ok(file) => file,
            Err(zip::result::ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(broken(format!("{entry} cannot be read ({e})"))),
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| broken(format!("{entry} cannot be read ({e})")))?;
        Ok(Some(bytes))
    };
    let json =
        entry(EXPERIMENT_ENTRY)?.ok_or_else(|| broken(format!("it has no {EXPERIMENT_ENTRY}")))?;
    // Parsed from a `str`, like the protocol's messages: one copy of the parsing code.
    let json = String::from_utf8(json)
        .map_err(|_| broken(format!("{EXPERIMENT_ENTRY} is not UTF-8 text")))?;
    let at = |e: &serde_json::Error| format!("line {}, column {}", e.line(), e.column());
    let header: Header = serde_json::from_str(&json)
        .map_err(|e| broken(format!("{EXPERIMENT_ENTRY} at {}: {e}", at(&e))))?;
    check_header(name, &header, EXPERIMENT_FORMAT)?;
    let file: ExperimentFile = serde_json::from_str(&json)
        .map_err(|e| broken(format!("{EXPERIMENT_ENTRY} at {}: {e}", at(&e))))?;
    let model = entry(MODEL_ENTRY)?;
    match (&model, file.step) {
        (Some(model), _) => {
            read_model(&format!("{name} ({MODEL_ENTRY})"), model)?;
        }
        (None, 0) => {}
        (None, step) => {
            return Err(broken(format!(
                "{EXPERIMENT_ENTRY} says the model trained {step} steps, but {MODEL_ENTRY} is missing"
            )));
        }
    }
    let mut data = Vec::new();
    for (i, file_name) in file.data.iter().flat_map(|d| &d.files).enumerate() {
        let bytes = entry(&format!("data/{i}"))?.ok_or_else(|| {
            broken(format!(
                "the uploaded file {file_name} (data/{i}) is missing"
            ))
        })?;
        data.push(UploadFile {
            name: file_name.clone(),
            bytes,
        });
    }
    Ok(Archive { file, model, data })
}

/// The part of a file's JSON every version keeps.
#[derive(Deserialize)]
struct Header {
    format: String,
    version: u32,
}

fn check_header(name: &str, header: &Header, format: &str) -> Result<(), String> {
    if header.format != format {
        return Err(format!(
            "{name} is a \"{}\" file, not a \"{format}\" file.",
            header.format
        ));
    }
    if header.version > FORMAT_VERSION {
        return Err(format!(
            "{name} was written by a newer Petri (format version {}); this Petri reads version \
             {FORMAT_VERSION}. Open it in the newer Petri, or update this one.",
            header.version
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn description() -> ModelDescription {
        ModelDescription {
            format: MODEL_FORMAT.into(),
            version: FORMAT_VERSION,
            model: ModelConfig::default_for(super::super::data::DataKind::Table),
            input: DataShape::Table { features: 2 },
            classes: vec!["a".into(), "b".into()],
            standardize: vec![(1.0, 2.0), (0.5, 1.5)],
            features: vec!["x".into(), "y".into()],
            alphabet: None,
            step: 7,
            dataset: "table.csv".into(),
            measured: None,
        }
    }

    fn tensors() -> Vec<NamedTensor> {
        vec![
            NamedTensor {
                name: "head.bias".into(),
                shape: vec![2],
                values: vec![0.5, -0.5],
            },
            NamedTensor {
                name: "head.weight".into(),
                shape: vec![2, 3],
                values: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            },
        ]
    }

    fn archive() -> Archive {
        let mut file = ExperimentFile::new(Experiment::default(), "test".into());
        file.step = 7;
        file.labels.key = "upload".into();
        file.labels.labels.push(AssignedLabel {
            id: "row 3".into(),
            class: 1,
            source: super::super::label::LabelSource::Pseudo,
            value: None,
        });
        file.history.train.push(MetricPoint {
            step: 7,
            epoch: 0.5,
            loss: 0.25,
            accuracy: 0.75,
            rmse: None,
        });
        file.data = Some(DataFiles {
            options: ImportOptions::default(),
            files: vec!["folder/table.csv".into()],
        });
        Archive {
            file,
            model: Some(write_model(&description(), &tensors())),
            data: vec![UploadFile {
                name: "folder/table.csv".into(),
                bytes: b"x,y,label\n1,2,a\n".to_vec(),
            }],
        }
    }

    #[test]
    fn model_files_round_trip() {
        let bytes = write_model(&description(), &tensors());
        let (read, mut back) = read_model("m", &bytes).unwrap();
        back.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!((read, back), (description(), tensors()));
    }

    #[test]
    fn archives_round_trip() {
        let archive = archive();
        assert_eq!(
            read_archive("x.petri", &write_archive(&archive)).unwrap(),
            archive
        );
    }

    #[test]
    fn broken_files_are_refused_with_their_name() {
        let bytes = write_archive(&archive());
        let cut = read_archive("x.petri", &bytes[..bytes.len() / 2]).unwrap_err();
        assert!(cut.contains("x.petri") && cut.contains("zip"), "{cut}");
        let foreign = read_archive("notes.txt", b"hello").unwrap_err();
        assert!(
            foreign.contains("notes.txt is not a Petri experiment file"),
            "{foreign}"
        );

        let mut newer = archive();
        newer.file.version = FORMAT_VERSION + 1;
        let message = read_archive("new.petri", &write_archive(&newer)).unwrap_err();
        assert!(message.contains("newer Petri"), "{message}");

        let mut no_model = archive();
        no_model.model = None;
        let message = read_archive("x.petri", &write_archive(&no_model)).unwrap_err();
        assert!(
            message.contains("model.safetensors is missing"),
            "{message}"
        );

        let mut no_data = archive();
        no_data.data.clear();
        let message = read_archive("x.petri", &write_archive(&no_data)).unwrap_err();
        assert!(message.contains("folder/table.csv"), "{message}");

        let message = read_model("m.safetensors", b"\x08\0\0\0\0\0\0\0{}").unwrap_err();
        assert!(message.contains("m.safetensors"), "{message}");
    }
}
