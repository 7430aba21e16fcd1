//! Reading an upload, and opening a `.petri` file as the current experiment and run (the files
//! themselves are read by [`Platform::read`]).

use super::upload::Upload;
use super::views::{gallery_item, network_of};
use super::{Activity, Engine, MAX_DRAWN_NODES, PREVIEW, Platform};
use crate::ml::data::Samples;
use crate::ml::experiment::DatasetId;
use crate::ml::import::{ImportOptions, Imported, UploadFile};
use crate::ml::label::Collection;
use crate::ml::layout::stress_layout;
use crate::ml::session::Session;
use crate::protocol::FromWorker;
use crate::protocol::{GalleryItem, UploadSummary};
use crate::reader::{ReadAnswer, ReadRequest};
use std::sync::Arc;

/// Skipped records listed in an upload summary.
const SKIPPED_LISTED: usize = 100;

impl<P: Platform> Engine<P> {
    /// Reads an upload; on success it becomes the uploaded dataset, on failure nothing changes.
    pub(super) async fn import(&mut self, id: u64, files: Vec<UploadFile>, options: ImportOptions) {
        let request = ReadRequest::Upload { files, options };
        let answer = self.platform.read(&request).await;
        let ReadRequest::Upload { files, options } = request else {
            unreachable!("built above")
        };
        let imported = match answer {
            ReadAnswer::Upload(Ok(imported)) => Arc::new(*imported),
            ReadAnswer::Upload(Err(error)) => {
                self.platform.post(FromWorker::ImportFailed { id, error });
                return;
            }
            _ => unreachable!("an upload is answered with an upload"),
        };
        let summary = upload_summary(id, &files, &options, &imported, self.experiment.seed);
        self.upload = Some(Upload {
            id,
            imported,
            files,
            options,
        });
        if self.experiment.dataset == DatasetId::Uploaded {
            // The old run learnt the previous upload; the UI configures the next one.
            self.session = None;
            self.stop_activity();
            self.set_activity(Activity::Idle);
        }
        self.platform.post(FromWorker::Imported(Box::new(summary)));
    }

    /// Opens a `.petri` file as the current experiment and run; on any problem nothing
    /// changes and the message names the file. Its upload, if it holds one, becomes upload
    /// `id`.
    pub(super) async fn open_experiment(&mut self, id: u64, file: UploadFile) {
        match self.try_open(id, &file).await {
            Ok(()) => {}
            Err(message) => self
                .platform
                .post(FromWorker::Error(format!("{message} Nothing was changed."))),
        }
    }

    async fn try_open(&mut self, id: u64, file: &UploadFile) -> Result<(), String> {
        let request = ReadRequest::Experiment { file: file.clone() };
        let mut opened = match self.platform.read(&request).await {
            ReadAnswer::Experiment(opened) => *opened?,
            _ => unreachable!("an experiment file is answered with an experiment"),
        };
        let files = opened.take_data_files();
        let saved = opened.file;
        let experiment = saved.experiment.clone();
        experiment
            .validate_settings()
            .map_err(|e| format!("{}: {e}", file.name))?;
        let upload = match (&saved.data, opened.imported) {
            (Some(data), Some(imported)) => Some(Upload {
                id,
                imported: Arc::new(imported),
                files,
                options: data.options.clone(),
            }),
            _ => None,
        };
        let collection =
            super::collection_of(&experiment, upload.as_ref().or(self.upload.as_ref()))
                .ok_or_else(|| {
                    format!(
                        "{} learns from an uploaded dataset that was not saved in it: upload that \
                     data first, then open the file again.",
                        file.name
                    )
                })?;
        // Build the run once aside, so that a model that does not fit changes nothing.
        let device = self.ensure_backend().await;
        let mut labeling = super::labeling::Labeling::default();
        labeling.set_book(saved.labels.clone());
        let dataset = Arc::new(labeling.dataset(&collection, &experiment.labels_key()));
        let mut check = Session::new(&experiment, dataset, &device)
            .map_err(|e| format!("{}: {e}", file.name))?;
        if let Some(model) = &opened.model {
            check.load_model_file(&file.name, model)?;
        }
        drop(check);

        if let Some(upload) = upload {
            let summary = upload_summary(
                id,
                &upload.files,
                &upload.options,
                &upload.imported,
                experiment.seed,
            );
            self.platform.post(FromWorker::UploadFiles {
                id,
                files: upload.files.clone(),
                options: upload.options.clone(),
            });
            self.upload = Some(upload);
            self.platform.post(FromWorker::Imported(Box::new(summary)));
        }
        self.stop_activity();
        self.report_state();
        self.experiment = experiment.clone();
        self.labeling.set_book(saved.labels.clone());
        self.collection = None;
        self.dataset = None;
        self.session = None;
        self.restart().await;
        let Some(session) = self.session.as_mut() else {
            return Err(format!("{} could not be opened.", file.name));
        };
        if let Some(model) = &opened.model {
            session.load_model_file(&file.name, model)?;
        }
        session.resume_at(saved.step);
        self.history = saved.history.clone();
        self.platform.post(FromWorker::ExperimentOpened {
            name: file.name.clone(),
            experiment,
            labels: saved.labels,
            history: saved.history,
            step: saved.step,
            with_data: saved.data.is_some(),
        });
        if saved.step > 0 {
            self.evaluate().await;
        }
        Ok(())
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
                value: None,
                view: network_of(samples, &positions, None),
            }]
        }
        _ => class_round_robin(samples.labels(), imported.class_names.len(), PREVIEW)
            .into_iter()
            .map(|i| gallery_item(samples, i, None, None))
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
        measured: !samples.measured().is_empty(),
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
