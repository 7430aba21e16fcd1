//! Uploaded datasets on the engine side: their split and the inspector's summary.

use super::views::{network_of, sample_view};
use super::{MAX_DRAWN_NODES, PREVIEW};
use crate::ml::data::{Dataset, Samples, stratified_split3};
use crate::ml::import::{ImportOptions, Imported, UploadFile};
use crate::ml::layout::stress_layout;
use crate::protocol::{GalleryItem, UploadSummary};

/// Shares of an uploaded dataset for validation and the held-out test set.
const UPLOAD_VALID: f64 = 0.15;
const UPLOAD_TEST: f64 = 0.15;
/// Skipped records listed in an upload summary.
const SKIPPED_LISTED: usize = 100;

pub(super) const NO_UPLOAD: &str =
    "No uploaded dataset is loaded: choose a file with Upload dataset.";

/// An upload split into training and validation parts, and the held-out test part.
pub(super) fn split_upload(imported: &Imported, seed: u64) -> (Dataset, Samples) {
    let samples = &imported.samples;
    let (train, valid, test) = stratified_split3(
        samples.labels(),
        imported.class_names.len(),
        UPLOAD_VALID,
        UPLOAD_TEST,
        seed,
    );
    let dataset = Dataset {
        name: imported.name.clone(),
        class_names: imported.class_names.clone(),
        train: samples.subset(&train),
        valid: samples.subset(&valid),
    };
    (dataset, samples.subset(&test))
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
    let (dataset, test) = split_upload(imported, seed);
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
        split: [dataset.train.len(), dataset.valid.len(), test.len()],
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
