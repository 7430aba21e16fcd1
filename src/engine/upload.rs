//! Uploaded datasets on the engine side: reading them, and the inspector's summary.

use crate::ml::import::{ImportOptions, Imported, UploadFile};
use std::sync::Arc;
#[cfg(not(feature = "files"))]
use {super::Engine, super::Platform, crate::protocol::FromWorker};

/// What the engine without the `files` feature says when asked to read a file.
#[cfg(not(feature = "files"))]
pub(super) const NO_FILES: &str =
    "this engine build reads no files (a bug: the page should have loaded engine-files)";

pub(super) const NO_UPLOAD: &str =
    "No uploaded dataset is loaded: choose a file with Upload dataset.";

/// The dataset the user uploaded, as read.
pub(super) struct Upload {
    pub id: u64,
    pub imported: Arc<Imported>,
    /// The files as uploaded, and how they were read (saved in experiment files).
    pub files: Vec<UploadFile>,
    pub options: ImportOptions,
}

#[cfg(not(feature = "files"))]
impl<P: Platform> Engine<P> {
    /// The CPU engine of the first download reads no files (the page loads the build that
    /// does, `engine-files`, before it sends one).
    pub(super) fn import(&mut self, id: u64, _files: &[UploadFile], _options: &ImportOptions) {
        self.platform.post(FromWorker::ImportFailed {
            id,
            error: crate::ml::import::ImportError::Fatal(crate::ml::import::Problem {
                file: String::new(),
                location: String::new(),
                message: NO_FILES.into(),
            }),
        });
    }
}
