//! Uploaded datasets on the engine side: reading them, and the inspector's summary.

use super::views::{network_of, sample_view};
use super::{Activity, Engine, MAX_DRAWN_NODES, PREVIEW, PROGRESS_MS, Platform};
use crate::ml::data::Samples;
use crate::ml::experiment::DatasetId;
use crate::ml::import::{self, ImportOptions, Imported, UploadFile};
use crate::ml::label::Collection;
use crate::ml::layout::stress_layout;
use crate::protocol::{FromWorker, GalleryItem, UploadSummary};
use std::sync::Arc;

/// Skipped records listed in an upload summary.
const SKIPPED_LISTED: usize = 100;

pub(super) const NO_UPLOAD: &str =
    "No uploaded dataset is loaded: choose a file with Upload dataset.";

/// The dataset the user uploaded, as read.
pub(super) struct Upload {
    pub id: u64,
    pub imported: Arc<Imported>,
}

impl<P: Platform> Engine<P> {
    /// Reads an upload; on success it becomes the uploaded dataset, on failure nothing changes.
    pub(super) fn import(&mut self, id: u64, files: &[UploadFile], options: &ImportOptions) {
        let mut last_progress = f64::NEG_INFINITY;
        let platform = &self.platform;
        let result = import::import(files, options, &mut |progress| {
            let now = platform.now_ms();
            if now - last_progress >= PROGRESS_MS {
                last_progress = now;
                platform.post(FromWorker::Importing(progress));
            }
        });
        let imported = match result {
            Ok(imported) => Arc::new(imported),
            Err(error) => {
                self.platform.post(FromWorker::ImportFailed { id, error });
                return;
            }
        };
        let summary = upload_summary(id, files, options, &imported, self.experiment.seed);
        self.upload = Some(Upload { id, imported });
        if self.experiment.dataset == DatasetId::Uploaded {
            // The old run learnt the previous upload; the UI configures the next one.
            self.session = None;
            self.stop_activity();
            self.set_activity(Activity::Idle);
        }
        self.platform.post(FromWorker::Imported(Box::new(summary)));
    }
}

/// Up to `count` sample indices taking each class in turn (uploads often come sorted by
/// class, so the first samples would all be of one).
fn class_round_robin(labels: &[u32], classes: usize, count: usize) -> Vec<usize> {
    let mut by_class: Vec<std::collections::VecDeque<usize>> = vec![Default::default(); classes];
    for (i, &label) in labels.iter().enumerate() {
        by_class[label as usize].push_back(i);
    }
    let mut picked = Vec::new();
    while picked.len() < count && by_class.iter().any(|c| !c.is_empty()) {
        for class in &mut by_class {
            if picked.len() < count
                && let Some(i) = class.pop_front()
            {
                picked.push(i);
            }
        }
    }
    picked
}

/// The inspector's view of an upload.
pub(super) fn upload_summary(
    id: u64,
    files: &[UploadFile],
    options: &ImportOptions,
    imported: &Imported,
    seed: u64,
) -> UploadSummary {
    let samples = &imported.samples;
    let mut class_counts = vec![0; imported.class_names.len()];
    for &label in samples.labels() {
        class_counts[label as usize] += 1;
    }
    let collection = Collection::upload(imported, seed);
    let preview = match samples {
        Samples::Nodes(nodes) if nodes.all_labels.len() <= MAX_DRAWN_NODES => {
            let positions = stress_layout(nodes.all_labels.len(), &nodes.graph.edges, 150);
            vec![GalleryItem {
                index: 0,
                label: 0,
                prediction: None,
                view: network_of(samples, &positions, None),
            }]
        }
        _ => class_round_robin(samples.labels(), imported.class_names.len(), PREVIEW)
            .into_iter()
            .map(|i| GalleryItem {
                index: i,
                label: samples.labels()[i],
                prediction: None,
                view: sample_view(samples, i),
            })
            .collect(),
    };
    UploadSummary {
        id,
        name: imported.name.clone(),
        format: imported.format.clone(),
        files: files.iter().map(|f| f.name.clone()).collect(),
        shape: samples.shape(),
        alphabet: match samples {
            Samples::Sequences(set) => set.alphabet.clone(),
            _ => None,
        },
        class_names: imported.class_names.clone(),
        class_counts,
        split: [
            collection.train.len(),
            collection.valid.len(),
            collection.test.len(),
        ],
        unlabeled: imported.unlabeled.as_ref().map_or(0, Samples::len),
        skipped: imported
            .skipped
            .iter()
            .take(SKIPPED_LISTED)
            .cloned()
            .collect(),
        skipped_count: imported.skipped.len(),
        notes: imported.notes.clone(),
        columns: imported.columns.clone(),
        options: ImportOptions {
            label_column: imported.label_column.clone(),
            feature_columns: (!imported.columns.is_empty())
                .then(|| imported.feature_columns.clone()),
            accept_partial: false,
            ..options.clone()
        },
        preview,
    }
}
