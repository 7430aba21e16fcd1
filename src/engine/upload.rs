//! The uploaded dataset on the engine side.

use crate::ml::import::{ImportOptions, Imported, UploadFile};
use std::sync::Arc;

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
