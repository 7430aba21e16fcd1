//! What the page asks of the engine and of the browser, decided in one place from the state
//! before and after a change ([`requests`]). `App` carries the requests out in order; this
//! module only decides, so every transition that matters is tested natively.

use super::lesson;
use super::link;
use super::state::{AppState, EngineStatus, Tab};
use crate::ml::label::AssignedLabel;
use crate::protocol::{EngineBuild, ToWorker};
use std::rc::Rc;

/// One thing to do after a change of the state.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// Start an engine of this build, replacing the one running (if any).
    SpawnEngine(EngineBuild),
    /// A message to the engine.
    Send(ToWorker),
    /// Send the upload whose files the app keeps under this id to the engine to read.
    Import(u64),
    /// Send the experiment file the app keeps under this id to the engine to open.
    Open(u64),
    /// Read the labels kept in the browser for this book.
    LoadLabels(String),
    /// Keep a book's labels in the browser.
    SaveLabels {
        key: String,
        labels: Vec<AssignedLabel>,
        rejected: Vec<String>,
    },
    /// Keep this upload's files in the browser for the next visit.
    KeepUpload(u64),
    /// Forget the upload kept in the browser, and its labels.
    ForgetUpload,
    /// Offer a file the engine made to the user.
    SaveFile { name: String, bytes: Rc<Vec<u8>> },
    /// Show this fragment in the address bar (if it is not there already).
    SetFragment(String),
    /// Keep how far the learner got in each lesson (JSON).
    SaveLessonProgress(String),
    /// Read the lesson files.
    ReadLessons,
}

/// What to do after the state went from `before` to `after` (`None`: the page just opened).
///
/// A new engine (first, after a crash, or another build) is brought up to date in order:
/// the upload it must read and the one the user chose meanwhile, the compute, the
/// experiment, the person's labels, the experiment file to open, the augmentation preview.
/// Otherwise each request follows the part of the state it reflects.
pub fn requests(before: Option<&AppState>, after: &AppState) -> Vec<Request> {
    let mut out = Vec::new();
    if let Some(build) = after.engine_build() {
        let new_engine = before.is_none_or(|b| {
            (b.engine.generation, b.engine_build()) != (after.engine.generation, Some(build))
        });
        match before {
            Some(before) if !new_engine => engine_follows(before, after, &mut out),
            _ => new_engine_catches_up(after, build, &mut out),
        }
    }
    browser_follows(before, after, &mut out);
    out
}

/// Everything a new engine must be told, in order.
fn new_engine_catches_up(after: &AppState, build: EngineBuild, out: &mut Vec<Request>) {
    out.push(Request::SpawnEngine(build));
    let upload = &after.upload;
    out.extend(upload.current.map(Request::Import));
    if upload.pending != upload.current {
        out.extend(upload.pending.map(Request::Import));
    }
    out.push(Request::Send(ToWorker::SetCompute(after.compute)));
    if after.cpu_threads != 0 {
        out.push(Request::Send(ToWorker::SetCpuThreads(after.cpu_threads)));
    }
    if after.model_check().is_ok() {
        out.push(Request::Send(ToWorker::Configure(after.experiment.clone())));
    }
    out.extend(set_labels(after));
    out.extend(upload.opening.map(Request::Open));
    out.push(preview(after));
}

/// What an engine that runs already must be told about a change.
fn engine_follows(before: &AppState, after: &AppState, out: &mut Vec<Request>) {
    let (was, now) = (&before.upload, &after.upload);
    if now.pending.is_some() && now.pending != was.pending {
        out.extend(now.pending.map(Request::Import));
    }
    if now.opening.is_some() && now.opening != was.opening {
        out.extend(now.opening.map(Request::Open));
    }
    if after.compute != before.compute {
        out.push(Request::Send(ToWorker::SetCompute(after.compute)));
    }
    if after.cpu_threads != before.cpu_threads {
        out.push(Request::Send(ToWorker::SetCpuThreads(after.cpu_threads)));
    }
    // The engine drops its run when it reads a new upload in use: the same experiment is
    // sent again then, and the labels after it. While an experiment file opens, the file
    // decides the experiment (the page follows once it is open).
    let new_data = now.id() != was.id() && now.opening.is_none();
    let valid = after.model_check().is_ok() && now.opening.is_none();
    if valid && (after.experiment != before.experiment || new_data || before.model_check().is_err())
    {
        out.push(Request::Send(ToWorker::Configure(after.experiment.clone())));
    }
    let labels = |s: &AppState| {
        (
            s.labeling.key.clone(),
            s.labeling.labels.clone(),
            s.labeling.rejected.clone(),
        )
    };
    if new_data || labels(before) != labels(after) {
        out.extend(set_labels(after));
    }
    let run = |s: &AppState| s.run.info.as_ref().map(Rc::as_ptr);
    if wants_queue(after) && (!wants_queue(before) || run(before) != run(after)) {
        out.push(Request::Send(ToWorker::Score));
    }
    if preview_key(before) != preview_key(after) {
        out.push(preview(after));
    }
    let autostart = after.share.embed.as_ref().is_some_and(|e| e.autostart);
    if autostart
        && after.engine.status == EngineStatus::Ready
        && before.engine.status != EngineStatus::Ready
    {
        out.push(Request::Send(ToWorker::Start));
    }
}

/// What the browser keeps, reads and shows, following the state.
fn browser_follows(before: Option<&AppState>, after: &AppState, out: &mut Vec<Request>) {
    let key = after.experiment.labels_key();
    let book_unread = after.labeling.key.is_none()
        && before.is_none_or(|b| b.experiment.labels_key() != key || b.labeling.key.is_some());
    if book_unread {
        out.push(Request::LoadLabels(key));
    }
    let revised = before.is_some_and(|b| b.labeling.revision != after.labeling.revision);
    if let Some(key) = &after.labeling.key
        && revised
    {
        out.push(Request::SaveLabels {
            key: key.clone(),
            labels: after.labeling.labels.clone(),
            rejected: after.labeling.rejected.clone(),
        });
    }
    let (was, now) = (before.map(|b| &b.upload), &after.upload);
    if now.current.is_some() && now.current != was.and_then(|u| u.current) {
        out.extend(now.current.map(Request::KeepUpload));
    }
    if now.current.is_none() && was.is_some_and(|u| u.current.is_some()) {
        out.push(Request::ForgetUpload);
    }
    let serial = |s: &AppState| s.download.as_ref().map(|d| d.0);
    if let Some((_, name, bytes)) = &after.download
        && before.is_none_or(|b| serial(b) != serial(after))
    {
        out.push(Request::SaveFile {
            name: name.clone(),
            bytes: bytes.clone(),
        });
    }
    let shown = |s: &AppState| (s.link_state(), s.lessons.open.clone());
    if before.is_none_or(|b| shown(b) != shown(after)) {
        out.push(Request::SetFragment(fragment(after)));
    }
    let progress = &after.lessons.progress;
    if !progress.is_empty()
        && before.is_some_and(|b| b.lessons.progress != *progress)
        && let Ok(text) = serde_json::to_string(progress)
    {
        out.push(Request::SaveLessonProgress(text));
    }
    if after.lessons.wanted && !before.is_some_and(|b| b.lessons.wanted) {
        out.push(Request::ReadLessons);
    }
}

fn set_labels(state: &AppState) -> Option<Request> {
    let key = state.labeling.key.clone()?;
    Some(Request::Send(ToWorker::SetLabels {
        key,
        labels: state.labeling.labels.clone(),
        rejected: state.labeling.rejected.clone(),
    }))
}

/// The open Labeling tab asks for the queue whenever it has none.
fn wants_queue(state: &AppState) -> bool {
    state.tab == Tab::Labeling
        && state.labeling.queue.is_none()
        && state.labeling.key.is_some()
        && state.engine.status == EngineStatus::Ready
        && state.model_check().is_ok()
}

/// What the augmentation preview shows: it follows every change of these.
fn preview_key(state: &AppState) -> impl PartialEq + use<> {
    let e = &state.experiment;
    (
        e.augment.clone(),
        e.dataset,
        e.seed,
        e.labeling.labels_per_class,
        state.augment.preview_seed,
        state.upload.id(),
    )
}

fn preview(state: &AppState) -> Request {
    Request::Send(ToWorker::PreviewAugment {
        config: state.experiment.augment.clone(),
        seed: state.augment.preview_seed,
    })
}

/// The address bar's fragment: the experiment, compute and tab, the open lesson, and the
/// embedding's own keys.
pub fn fragment(state: &AppState) -> String {
    let mut fragment = link::encode(&state.link_state());
    if let Some((id, step)) = &state.lessons.open {
        fragment = format!("{fragment}&{}", lesson::fragment_keys(id, *step));
    }
    if let Some(embed) = &state.share.embed {
        fragment = format!("{fragment}&{}", embed.fragment_keys());
    }
    fragment
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::data::DataShape;
    use crate::ml::experiment::{Compute, DatasetId};
    use crate::ml::label::LabelSource;
    use crate::protocol::{FromWorker, UploadSummary};
    use crate::ui::state::Action;
    use std::collections::HashMap;

    fn uploaded(id: u64) -> FromWorker {
        FromWorker::Imported(Box::new(UploadSummary {
            id,
            name: "digits".into(),
            format: "zip of images".into(),
            files: vec!["digits.zip".into()],
            shape: DataShape::Image {
                channels: 1,
                height: 28,
                width: 28,
            },
            alphabet: None,
            class_names: (0..10).map(|d| d.to_string()).collect(),
            class_counts: vec![10; 10],
            measured: false,
            split: [70, 15, 15],
            unlabeled: 1697,
            skipped: vec![],
            skipped_count: 0,
            notes: vec![],
            columns: vec![],
            options: Default::default(),
            preview: vec![],
        }))
    }

    fn label(id: &str, class: u32) -> AssignedLabel {
        AssignedLabel {
            id: id.into(),
            class,
            source: LabelSource::Human,
            value: None,
        }
    }

    /// The requests to the engine only, as short names in order.
    fn to_engine(requests: &[Request]) -> Vec<String> {
        requests
            .iter()
            .filter_map(|r| match r {
                Request::SpawnEngine(build) => Some(format!("spawn {build:?}")),
                Request::Import(id) => Some(format!("import {id}")),
                Request::Open(id) => Some(format!("open {id}")),
                Request::Send(message) => {
                    let text = format!("{message:?}");
                    Some(text[..text.find([' ', '(', '{']).unwrap_or(text.len())].to_string())
                }
                _ => None,
            })
            .collect()
    }

    /// A page on the CPU whose link names the uploaded dataset, opened with no engine yet.
    fn reloaded_page() -> AppState {
        let mut state = AppState {
            compute: Compute::Cpu,
            ..AppState::default()
        };
        state.experiment.dataset = DatasetId::Uploaded;
        state
    }

    /// Applies `action` and returns what the page does about it.
    fn act(state: &mut AppState, action: Action) -> Vec<Request> {
        let before = state.clone();
        state.apply(action);
        requests(Some(&before), state)
    }

    #[test]
    fn a_new_engine_gets_upload_compute_experiment_and_labels_in_order() {
        let mut state = reloaded_page();
        state.upload.current = Some(3);
        state.upload.pending = Some(4);
        state.upload.opening = Some(5);
        state.apply(Action::Engine(uploaded(3)));
        state.labeling.key = Some(state.experiment.labels_key());
        state.labeling.labels = vec![label("unlabeled/7.png", 7)];
        let expected = [
            "spawn Cpu",
            "import 3",
            "import 4",
            "SetCompute",
            "Configure",
            "SetLabels",
            "open 5",
            "PreviewAugment",
        ];
        assert_eq!(to_engine(&requests(None, &state)), expected);

        // A crash: the replacement gets the same, in the same order.
        let requests = act(&mut state, Action::Engine(FromWorker::Ready));
        assert_eq!(to_engine(&requests), Vec::<String>::new());
        let requests = act(
            &mut state,
            Action::Engine(FromWorker::Crashed("boom".into())),
        );
        assert_eq!(to_engine(&requests), expected);
    }

    #[test]
    fn an_upload_restored_from_storage_gets_its_labels_after_its_data() {
        let mut state = reloaded_page();
        let opened = requests(None, &state);
        assert_eq!(to_engine(&opened)[..2], ["spawn Cpu", "SetCompute"]);
        assert!(opened.contains(&Request::LoadLabels("upload".into())));
        assert!(
            !to_engine(&opened).contains(&"Configure".to_string()),
            "no data yet: nothing to configure"
        );

        // The stored labels are read first, the stored upload after them.
        let five: Vec<AssignedLabel> = (0..5)
            .map(|i| label(&format!("unlabeled/{i}.png"), i))
            .collect();
        let requests = act(
            &mut state,
            Action::LabelsLoaded {
                key: "upload".into(),
                labels: five.clone(),
                rejected: vec![],
            },
        );
        assert_eq!(to_engine(&requests), ["SetLabels"]);
        assert!(
            !requests
                .iter()
                .any(|r| matches!(r, Request::SaveLabels { .. })),
            "what was read is not written back"
        );
        let requests = act(
            &mut state,
            Action::ImportStarted {
                id: 11,
                files: vec!["digits.zip".into()],
                keeps_labels: true,
            },
        );
        assert_eq!(
            to_engine(&requests),
            ["import 11"],
            "the engine running asks the reader"
        );
        let requests = act(&mut state, Action::Engine(uploaded(11)));
        let engine = to_engine(&requests);
        assert_eq!(engine[..2], ["Configure", "SetLabels"]);
        assert!(matches!(
            requests.iter().find(|r| matches!(r, Request::Send(ToWorker::SetLabels { .. }))),
            Some(Request::Send(ToWorker::SetLabels { labels, .. })) if *labels == five
        ));
        assert!(requests.contains(&Request::KeepUpload(11)));
        assert_eq!(state.labeling.labels, five, "the person's labels stay");

        // The same bytes chosen again keep them; other files start a new, empty book.
        act(
            &mut state,
            Action::ImportStarted {
                id: 12,
                files: vec!["digits.zip".into()],
                keeps_labels: true,
            },
        );
        act(&mut state, Action::Engine(uploaded(12)));
        assert_eq!(state.labeling.labels, five);
        act(
            &mut state,
            Action::ImportStarted {
                id: 13,
                files: vec!["other.zip".into()],
                keeps_labels: false,
            },
        );
        let requests = act(&mut state, Action::Engine(uploaded(13)));
        assert!(state.labeling.labels.is_empty());
        assert!(requests.contains(&Request::SaveLabels {
            key: "upload".into(),
            labels: vec![],
            rejected: vec![],
        }));
        assert!(
            !requests.iter().any(|r| matches!(r, Request::LoadLabels(_))),
            "the old book is not read back"
        );
    }

    #[test]
    fn cpu_threads_reach_the_engine_and_the_link_and_a_new_engine_gets_them() {
        let mut state = AppState {
            compute: Compute::Cpu,
            ..AppState::default()
        };
        requests(None, &state);
        act(&mut state, Action::Engine(FromWorker::Ready));
        let requests = act(&mut state, Action::SetCpuThreads(1));
        assert!(requests.contains(&Request::Send(ToWorker::SetCpuThreads(1))));
        assert!(matches!(requests.last(), Some(Request::SetFragment(f)) if f.contains("ct=1")));
        let to_gpu = act(&mut state, Action::SetCompute(Compute::WebGpu));
        assert!(to_gpu.contains(&Request::Send(ToWorker::SetCpuThreads(1))));
    }

    #[test]
    fn a_change_of_experiment_sends_exactly_what_changed() {
        let mut state = AppState {
            compute: Compute::Cpu,
            ..AppState::default()
        };
        requests(None, &state);
        act(&mut state, Action::Engine(FromWorker::Ready));
        let mut edited = state.experiment.clone();
        edited.learning_rate = 0.01;
        let requests = act(&mut state, Action::Edit(edited.clone()));
        assert_eq!(
            requests
                .iter()
                .filter(|r| matches!(r, Request::Send(_)))
                .collect::<Vec<_>>(),
            [&Request::Send(ToWorker::Configure(edited))]
        );
        assert!(matches!(requests.last(), Some(Request::SetFragment(f)) if f.contains("lr=0.01")));

        // A refused value changes nothing, so nothing is sent.
        let mut refused = state.experiment.clone();
        refused.batch_size = 0;
        assert_eq!(
            to_engine(&act(&mut state, Action::Edit(refused))),
            Vec::<String>::new()
        );

        // A new seed: the experiment, a new book of labels to read, a new preview.
        let mut seeded = state.experiment.clone();
        seeded.seed = 9;
        let requests = act(&mut state, Action::Edit(seeded));
        assert_eq!(to_engine(&requests), ["Configure", "PreviewAugment"]);
        assert!(requests.contains(&Request::LoadLabels("shapes/seed-9/all".into())));

        // Opening the Labeling tab asks for the queue once.
        act(
            &mut state,
            Action::LabelsLoaded {
                key: "shapes/seed-9/all".into(),
                labels: vec![],
                rejected: vec![],
            },
        );
        assert_eq!(
            to_engine(&act(&mut state, Action::SetTab(Tab::Labeling))),
            ["Score"]
        );
        assert_eq!(
            to_engine(&act(&mut state, Action::SetTab(Tab::Labeling))),
            Vec::<String>::new()
        );
    }

    /// The browser's storage of labels, which can be made to fail (quota, private mode).
    #[derive(Default)]
    struct Store {
        books: HashMap<String, (Vec<AssignedLabel>, Vec<String>)>,
        failing: bool,
    }

    /// Carries out the storage requests as the app does, returning what they report.
    fn store_follows(store: &mut Store, requests: &[Request]) -> Vec<Action> {
        let mut reports = Vec::new();
        for request in requests {
            match request {
                Request::SaveLabels {
                    key,
                    labels,
                    rejected,
                } => reports.push(Action::LabelsSaved(if store.failing {
                    Err("Your labels could not be kept in this browser".into())
                } else {
                    store
                        .books
                        .insert(key.clone(), (labels.clone(), rejected.clone()));
                    Ok(())
                })),
                Request::LoadLabels(key) => {
                    let (labels, rejected) = store.books.get(key).cloned().unwrap_or_default();
                    reports.push(Action::LabelsLoaded {
                        key: key.clone(),
                        labels,
                        rejected,
                    });
                }
                _ => {}
            }
        }
        reports
    }

    /// Applies `action` and everything the storage reports back, as the page would.
    fn act_with(store: &mut Store, state: &mut AppState, action: Action) -> Vec<Request> {
        let mut all = Vec::new();
        let mut actions = vec![action];
        while let Some(action) = actions.pop() {
            let requests = act(state, action);
            actions.extend(store_follows(store, &requests));
            all.extend(requests);
        }
        all
    }

    fn queue_of(ids: &[&str]) -> Action {
        use crate::protocol::{LabelQueue, QueueItem, SampleView};
        Action::Engine(FromWorker::Queue(LabelQueue {
            step: 1,
            items: ids
                .iter()
                .enumerate()
                .map(|(pool_index, id)| QueueItem {
                    id: id.to_string(),
                    pool_index,
                    view: SampleView::Series { values: vec![] },
                    guesses: vec![],
                    estimate: None,
                    node: None,
                })
                .collect(),
            unlabeled: ids.len(),
            human: 0,
            pseudo: 0,
            pool_accuracy: None,
            nodes: vec![],
            unknown_labels: 0,
        }))
    }

    #[test]
    fn labels_round_trip_through_storage_and_a_failing_store_is_said_once() {
        let mut store = Store::default();
        let mut state = AppState {
            compute: Compute::Cpu,
            ..AppState::default()
        };
        let opened = requests(None, &state);
        for action in store_follows(&mut store, &opened) {
            act_with(&mut store, &mut state, action);
        }
        act_with(&mut store, &mut state, queue_of(&["a", "b", "c", "d"]));
        act_with(&mut store, &mut state, Action::Label(1));
        act_with(&mut store, &mut state, Action::Label(2));
        let book = state.experiment.labels_key();
        assert_eq!(store.books[&book].0, [label("a", 1), label("b", 2)]);

        // Storage fails: said once, the labels stay in memory and still reach the engine.
        store.failing = true;
        let requests = act_with(&mut store, &mut state, Action::Label(3));
        assert!(
            state
                .alert
                .as_deref()
                .unwrap()
                .contains("could not be kept")
        );
        assert!(requests.iter().any(|r| matches!(r,
            Request::Send(ToWorker::SetLabels { labels, .. }) if labels.len() == 3)));
        act_with(&mut store, &mut state, Action::DismissAlert);
        act_with(&mut store, &mut state, Action::Label(0));
        assert_eq!(state.alert, None, "said once");
        assert_eq!(state.labeling.labels.len(), 4);

        // Storage works again: the next change writes all four; a reload reads them back.
        store.failing = false;
        act_with(&mut store, &mut state, Action::Skip);
        act_with(&mut store, &mut state, Action::Undo);
        act_with(&mut store, &mut state, Action::Label(0));
        assert_eq!(store.books[&book].0.len(), 4);
        let mut reloaded = AppState {
            compute: Compute::Cpu,
            ..AppState::default()
        };
        for action in store_follows(&mut store, &requests_none(&reloaded)) {
            act_with(&mut store, &mut reloaded, action);
        }
        assert_eq!(reloaded.labeling.labels, state.labeling.labels);
    }

    fn requests_none(state: &AppState) -> Vec<Request> {
        requests(None, state)
    }
}
