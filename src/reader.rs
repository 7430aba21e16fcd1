//! Reading files into samples, apart from the engine: uploads (images, zip, CSV, FASTA, graphs)
//! and `.petri` experiment files. In the browser this runs in a small worker of its own (the
//! `reader` build, without Burn), so that one engine build serves every page; the engine asks
//! it through [`crate::engine::Platform::read`] and gets the samples back as one buffer
//! (transferred, not copied). Natively the engine calls [`read`] directly.

use crate::ml::data::Samples;
use crate::ml::export::ExperimentFile;
use crate::ml::import::{ImportError, ImportOptions, Imported, Problem, Progress, UploadFile};
use serde::{Deserialize, Serialize};

/// What the engine asks to be read. The files' bytes travel beside the JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ReadRequest {
    /// An upload, read with `options`.
    Upload {
        files: Vec<UploadFile>,
        options: ImportOptions,
    },
    /// A `.petri` experiment file, and the upload saved in it, if any.
    Experiment { file: UploadFile },
}

impl ReadRequest {
    /// The files of the request, whose bytes travel beside its JSON.
    pub fn files_mut(&mut self) -> Vec<&mut UploadFile> {
        match self {
            ReadRequest::Upload { files, .. } => files.iter_mut().collect(),
            ReadRequest::Experiment { file } => vec![file],
        }
    }

    /// The files of the request, whose bytes travel beside its JSON.
    pub fn files(&self) -> Vec<&UploadFile> {
        match self {
            ReadRequest::Upload { files, .. } => files.iter().collect(),
            ReadRequest::Experiment { file } => vec![file],
        }
    }

    /// The answer when the reader could not answer (it failed to load, or stopped).
    pub fn failed(&self, why: &str) -> ReadAnswer {
        let message = format!("the file reader stopped ({why}); reload the page and try again");
        match self {
            ReadRequest::Upload { .. } => ReadAnswer::Upload(Err(ImportError::Fatal(Problem {
                file: String::new(),
                location: String::new(),
                message,
            }))),
            ReadRequest::Experiment { file } => {
                ReadAnswer::Experiment(Err(format!("{} could not be read: {message}.", file.name)))
            }
        }
    }
}

/// A `.petri` file as read: its experiment, its model file and the upload saved in it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpenedExperiment {
    pub file: ExperimentFile,
    pub model: Option<Vec<u8>>,
    /// The uploaded files saved in it, with their bytes.
    pub data: Vec<(String, Vec<u8>)>,
    /// Those files read with the options saved beside them.
    pub imported: Option<Imported>,
}

impl OpenedExperiment {
    /// Takes the saved upload's files out.
    pub fn take_data_files(&mut self) -> Vec<UploadFile> {
        std::mem::take(&mut self.data)
            .into_iter()
            .map(|(name, bytes)| UploadFile { name, bytes })
            .collect()
    }
}

/// What the reader says: progress while reading, then one answer to the request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ReadAnswer {
    Progress(Progress),
    Upload(Result<Box<Imported>, ImportError>),
    /// The experiment, or a message naming the file.
    Experiment(Result<Box<OpenedExperiment>, String>),
}

impl ReadAnswer {
    /// The answer as bytes, for one transferred buffer.
    pub fn encode(&self) -> Vec<u8> {
        bincode::serialize(self).expect("every answer encodes")
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        let mut answer: ReadAnswer = bincode::deserialize(bytes)
            .map_err(|e| format!("the file reader's answer is broken: {e}"))?;
        match &mut answer {
            ReadAnswer::Upload(Ok(imported)) => share_graph(imported),
            ReadAnswer::Experiment(Ok(opened)) => opened.imported.iter_mut().for_each(share_graph),
            _ => {}
        }
        Ok(answer)
    }
}

/// Decoding gives each part of an upload of nodes its own copy of their graph; the parts must
/// share one (samples of one graph are told apart from another's by that).
fn share_graph(imported: &mut Imported) {
    if let (Samples::Nodes(labeled), Some(Samples::Nodes(unlabeled))) =
        (&imported.samples, &mut imported.unlabeled)
        && labeled.graph == unlabeled.graph
        && labeled.all_labels == unlabeled.all_labels
    {
        unlabeled.graph = labeled.graph.clone();
        unlabeled.all_labels = labeled.all_labels.clone();
    }
}

/// Reads what `request` asks for; `progress` hears how far reading has got.
#[cfg(feature = "files")]
pub fn read(request: &ReadRequest, progress: &mut dyn FnMut(Progress)) -> ReadAnswer {
    use crate::ml::{export::read_archive, import::import};
    match request {
        ReadRequest::Upload { files, options } => {
            ReadAnswer::Upload(import(files, options, progress).map(Box::new))
        }
        ReadRequest::Experiment { file } => ReadAnswer::Experiment((|| {
            let archive = read_archive(&file.name, &file.bytes)?;
            let imported = match &archive.file.data {
                Some(data) => Some(
                    import(&archive.data, &data.options, progress)
                        .map_err(|e| format!("The data in {} cannot be read: {e}.", file.name))?,
                ),
                None => None,
            };
            Ok(Box::new(OpenedExperiment {
                file: archive.file,
                model: archive.model,
                data: archive
                    .data
                    .into_iter()
                    .map(|f| (f.name, f.bytes))
                    .collect(),
                imported,
            }))
        })()),
    }
}
