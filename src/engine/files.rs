//! The model file and the `.petri` experiment file, written from the current run (opening one
//! is in `reading`), the run's curves, and the command line's training loop.

use super::{Engine, Platform};
use crate::ml::experiment::DatasetId;
use crate::ml::export::{
    Archive, DataFiles, ExperimentFile, History, LabelBook, MetricPoint, write_archive,
};
use crate::protocol::FromWorker;

impl History {
    /// Adds a training report's point (reports of steps already recorded are skipped).
    pub(super) fn record_train(&mut self, point: MetricPoint) {
        if self.train.last().is_none_or(|last| last.step < point.step) {
            self.train.push(point);
        }
    }

    /// Adds a validation's point.
    pub(super) fn record_valid(&mut self, point: MetricPoint) {
        if self.valid.last().is_none_or(|last| last.step < point.step) {
            self.valid.push(point);
        }
    }
}

/// A file name made of `parts`: lowercase letters and digits, words joined by `-`.
fn file_name(parts: &[&str], extension: &str) -> String {
    let mut name = String::new();
    for c in parts.join(" ").chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.ends_with('-') && !name.is_empty() {
            name.push('-');
        }
    }
    format!("{}.{extension}", name.trim_end_matches('-'))
}

impl<P: Platform> Engine<P> {
    /// Trains the current run (built first if needed) `steps` more steps without yielding:
    /// the command line's loop. Training metrics are read back and reported every
    /// `report_every` steps and at the end; validation runs at epoch ends (at most once a
    /// second) and at the end. Returns `false` if the run could not be built.
    pub async fn train_for(&mut self, steps: u64, report_every: u64) -> bool {
        if !self.ensure_session().await {
            return false;
        }
        self.last_report_ms = self.platform.now_ms();
        self.samples_since_report = 0;
        let report_every = report_every.max(1);
        for _ in 0..steps {
            let session = self.session.as_mut().expect("ensured");
            let batch = session.batch_len();
            let epoch_done = session.train_step();
            let step = session.step();
            self.samples_since_report += batch;
            if step.is_multiple_of(report_every) {
                self.report().await;
            }
            if epoch_done && self.platform.now_ms() - self.last_eval_ms >= super::EVAL_MS {
                self.evaluate().await;
            }
        }
        self.report().await;
        self.evaluate().await;
        true
    }

    /// Offers the trained model as a safetensors file with PyTorch's names and layouts.
    pub(super) async fn export_model(&mut self) {
        if !self.ensure_session().await {
            return;
        }
        let session = self.session.as_ref().expect("ensured");
        let name = file_name(
            &[
                "petri",
                &session.dataset().name,
                session.experiment().model.family().id(),
                &format!("step {}", session.step()),
            ],
            "safetensors",
        );
        match session.model_file().await {
            Ok(bytes) => self.platform.post(FromWorker::File { name, bytes }),
            Err(message) => self.platform.post(FromWorker::Error(message)),
        }
    }

    /// Offers the whole experiment as a `.petri` file: settings, the person's labels, the
    /// weights and curves of the run, and (with `include_data`) the uploaded files.
    pub(super) async fn export_experiment(&mut self, include_data: bool) {
        match self.experiment_archive(include_data).await {
            Ok((name, archive)) => self.platform.post(FromWorker::File {
                name,
                bytes: write_archive(&archive),
            }),
            Err(message) => self.platform.post(FromWorker::Error(message)),
        }
    }

    /// The `.petri` file of the current experiment and run, and a name for it.
    pub async fn experiment_archive(
        &mut self,
        include_data: bool,
    ) -> Result<(String, Archive), String> {
        let backend = self.backend.as_ref().map_or("CPU", |(b, _)| b.title());
        let mut file = ExperimentFile::new(
            self.experiment.clone(),
            format!("Petri {} ({backend})", env!("CARGO_PKG_VERSION")),
        );
        file.labels.key = self.experiment.labels_key();
        if self.labeling.key() == file.labels.key {
            file.labels = self.labeling.book();
        }
        let mut archive = Archive {
            file,
            model: None,
            data: Vec::new(),
        };
        let mut dataset_name = self.experiment.dataset.id().to_string();
        if let Some(session) = &self.session {
            archive.file.experiment = session.experiment().clone();
            archive.file.step = session.step();
            archive.file.history = self.history.clone();
            archive.model = Some(session.model_file().await?);
            dataset_name = session.dataset().name.clone();
        }
        if include_data
            && self.experiment.dataset == DatasetId::Uploaded
            && let Some(upload) = &self.upload
        {
            archive.file.data = Some(DataFiles {
                options: upload.options.clone(),
                files: upload.files.iter().map(|f| f.name.clone()).collect(),
            });
            archive.data = upload.files.clone();
        }
        let name = file_name(
            &[
                "petri",
                &dataset_name,
                &format!("step {}", archive.file.step),
            ],
            "petri",
        );
        Ok((name, archive))
    }
}

impl super::labeling::Labeling {
    /// The book of labels held.
    pub(super) fn book(&self) -> LabelBook {
        LabelBook {
            key: self.key().to_string(),
            labels: self.labels().to_vec(),
            rejected: self.rejected_ids(),
        }
    }
}
