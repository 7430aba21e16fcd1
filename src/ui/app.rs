use super::embed::{self, Command, Embed, Event, Part};
use super::lesson;
use super::link;
use super::panels::{
    AugmentPanel, DataPanel, ExplainPanel, LabelingPanel, LessonsBar, ModelPanel, PanelProps,
    TrainingPanel,
};
use super::state::{Action, AppState, EngineStatus, Tab};
use crate::ml::augment::AugmentConfig;
use crate::ml::import::ImportOptions;
use crate::protocol::{FromWorker, RunState, ToWorker};
use crate::web::{self, EngineLink, UploadFiles};
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = Rc::unwrap_or_clone(self);
        next.apply(action);
        Rc::new(next)
    }
}

/// Sends requests to the engine, if one is running.
#[derive(Clone)]
pub struct Engine {
    link: Rc<RefCell<Option<EngineLink>>>,
    /// An experiment file to open once an engine that reads files runs: its name and bytes.
    pending_open: Rc<RefCell<Option<(String, js_sys::ArrayBuffer)>>>,
}

impl PartialEq for Engine {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.link, &other.link)
    }
}

impl Engine {
    pub fn send(&self, message: ToWorker) {
        if let Some(link) = self.link.borrow().as_ref() {
            link.send(&message);
        }
    }

    /// The engine running now, if it reads files.
    fn file_reader(&self) -> Option<std::cell::Ref<'_, EngineLink>> {
        std::cell::Ref::filter_map(self.link.borrow(), |link| {
            link.as_ref().filter(|l| l.build().reads_files())
        })
        .ok()
    }

    /// Asks the engine to open the experiment file `name`; an engine that does not read files
    /// is replaced by one that does first ([`sync_engine`] sends the file to it).
    pub fn open(
        &self,
        name: &str,
        file: &js_sys::ArrayBuffer,
        dispatch: &UseReducerDispatcher<AppState>,
    ) {
        match self.file_reader() {
            Some(link) => link.send_open(js_sys::Date::now() as u64, name, file),
            None => {
                *self.pending_open.borrow_mut() = Some((name.to_string(), file.clone()));
                dispatch.dispatch(Action::ReadFiles);
            }
        }
    }
}

/// The uploaded files, kept as the browser's buffers (not in [`AppState`]).
#[derive(Default)]
struct Uploads {
    /// The files of the uploaded dataset the engine holds.
    current: Option<UploadFiles>,
    /// Files sent to be read (or waiting for the engine to start), or whose valid part the
    /// user may still accept.
    pending: Option<(u64, UploadFiles)>,
    /// The last upload id handed out.
    last_id: u64,
    /// An upload that came inside an opened experiment file: its labels came with it.
    opened: Option<u64>,
}

/// Sends `files` to the engine to read, as the newest upload. Before an engine exists they
/// wait, and [`sync_engine`] sends them to the first one.
fn start_import(
    uploads: &Rc<RefCell<Uploads>>,
    engine: &Engine,
    dispatch: &UseReducerDispatcher<AppState>,
    files: UploadFiles,
) {
    let mut uploads = uploads.borrow_mut();
    let id = (js_sys::Date::now() as u64).max(uploads.last_id + 1);
    uploads.last_id = id;
    if let Some(link) = engine.file_reader() {
        link.send_import(id, &files);
    }
    dispatch.dispatch(Action::ImportStarted {
        id,
        files: files.names.clone(),
    });
    uploads.pending = Some((id, files));
}

/// Brings a new engine up to date, in order: the upload it must read (and one the user chose
/// meanwhile), the compute, the experiment, the person's labels.
fn sync_engine(
    state: &AppState,
    engine: &Engine,
    uploads: &Rc<RefCell<Uploads>>,
    dispatch: &UseReducerDispatcher<AppState>,
) {
    let (current, pending) = {
        let kept = uploads.borrow();
        (kept.current.clone(), kept.pending.clone())
    };
    if let Some(files) = current {
        start_import(uploads, engine, dispatch, files);
    }
    if let Some((_, files)) = pending {
        start_import(uploads, engine, dispatch, files);
    }
    engine.send(ToWorker::SetCompute(state.compute));
    if state.model_check().is_ok() {
        engine.send(ToWorker::Configure(state.experiment.clone()));
    }
    send_labels(state, engine);
    if let Some(link) = engine.file_reader()
        && let Some((name, file)) = engine.pending_open.borrow_mut().take()
    {
        link.send_open(js_sys::Date::now() as u64, &name, &file);
    }
}

fn send_labels(state: &AppState, engine: &Engine) {
    if let Some(key) = &state.labeling.key {
        engine.send(ToWorker::SetLabels {
            key: key.clone(),
            labels: state.labeling.labels.clone(),
            rejected: state.labeling.rejected.clone(),
        });
    }
}

#[component]
pub fn App() -> Html {
    let state = use_reducer(|| {
        let mut state = AppState::default();
        let fragment = web::fragment();
        state.load_link(link::decode(&fragment));
        let (embed, problems) = Embed::from_fragment(&fragment);
        if let Some(embed) = &embed
            && let [only] = embedded_tabs(embed)[..]
        {
            state.tab = only;
        }
        state.embed = embed;
        if !problems.is_empty() {
            let before = state.alert.take().unwrap_or_default();
            state.alert = Some(
                format!("{before} {}", problems.join(" "))
                    .trim()
                    .to_string(),
            );
        }
        state
    });
    let reported = use_mut_ref(Reported::default);
    let link = use_mut_ref(|| None::<EngineLink>);
    let pending_open = use_mut_ref(|| None);
    let engine = Engine {
        link: link.clone(),
        pending_open,
    };
    let uploads = use_mut_ref(Uploads::default);

    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                dispatcher.dispatch(Action::AdapterProbed(web::probe_adapter().await));
            });
        });
    }
    {
        // A link typed or pasted into the address bar of the open page is loaded too.
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            let listener = web::Listener::window("hashchange", move |_| {
                let fragment = web::fragment();
                let decoded = link::decode(&fragment);
                match lesson::from_fragment(&fragment) {
                    Some((id, step)) => dispatcher.dispatch(Action::RequestLesson {
                        id,
                        step,
                        set_up: !fragment.contains("v="),
                    }),
                    None => dispatcher.dispatch(Action::CloseLesson),
                }
                if fragment.contains("v=") || lesson::from_fragment(&fragment).is_none() {
                    dispatcher.dispatch(Action::LoadLink(decoded));
                }
            });
            move || drop(listener)
        });
    }
    {
        // Embedded: obey the host's commands, tell it how training goes, start if asked.
        let (engine, dispatch) = (engine.clone(), state.dispatcher());
        let embed = state.embed.clone();
        use_effect_with((), move |_| {
            let listener = embed.map(|embed| {
                web::on_parent_message(move |origin, json| {
                    if !embed.accepts(&origin) {
                        return;
                    }
                    let tell = |message: String| {
                        let error = Event::Error { message };
                        web::post_to_parent(&embed::event_json(&error), &embed.origins);
                    };
                    match embed::read_command(&json) {
                        Ok(Some(Command::Start)) => engine.send(ToWorker::Start),
                        Ok(Some(Command::Pause)) => engine.send(ToWorker::Pause),
                        Ok(Some(Command::Reset)) => engine.send(ToWorker::Reset),
                        Ok(Some(Command::SetExperiment { link: fragment })) => {
                            let decoded = link::decode(&fragment);
                            if let Some(problem) = decoded.problems.first() {
                                tell(problem.clone());
                            }
                            dispatch.dispatch(Action::LoadLink(decoded));
                        }
                        Ok(None) => {}
                        Err(message) => tell(message),
                    }
                })
            });
            move || drop(listener)
        });
    }
    if let Some(embed) = &state.embed {
        for event in host_events(&state, &mut reported.borrow_mut()) {
            web::post_to_parent(&embed::event_json(&event), &embed.origins);
        }
    }
    {
        let engine = engine.clone();
        let ready = state.engine == EngineStatus::Ready;
        let autostart = state.embed.as_ref().is_some_and(|e| e.autostart);
        use_effect_with(ready, move |ready| {
            if *ready && autostart {
                engine.send(ToWorker::Start);
            }
        });
    }
    {
        // The lessons, and how far this browser got in each; a lesson the link names opens
        // once they are read (set up for its step unless the link holds an experiment).
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            let fragment = web::fragment();
            if let Some((id, step)) = lesson::from_fragment(&fragment) {
                dispatcher.dispatch(Action::RequestLesson {
                    id,
                    step,
                    set_up: !fragment.contains("v="),
                });
            }
        });
    }
    {
        // Read when asked for, not with the page: the first download stays small.
        let dispatcher = state.dispatcher();
        use_effect_with(state.lessons.wanted, move |wanted| {
            if *wanted {
                wasm_bindgen_futures::spawn_local(async move {
                    dispatcher.dispatch(read_lessons().await);
                });
            }
        });
    }
    {
        let progress = state.lessons.progress.clone();
        use_effect_with(progress, |progress| {
            if !progress.is_empty()
                && let Ok(text) = serde_json::to_string(progress)
            {
                web::save_item(LESSON_PROGRESS, &text);
            }
        });
    }
    {
        // The fragment follows the experiment, the compute choice, the tab and the lesson.
        let shown = state.link_state();
        let embed = state.embed.clone();
        use_effect_with(
            (shown, state.lessons.open.clone()),
            move |(shown, lesson)| {
                let mut fragment = link::encode(shown);
                if let Some((id, step)) = lesson {
                    fragment = format!("{fragment}&{}", lesson::fragment_keys(id, *step));
                }
                if let Some(embed) = &embed {
                    fragment = format!("{fragment}&{}", embed.fragment_keys());
                }
                if web::fragment() != fragment {
                    web::set_fragment(&fragment);
                }
            },
        );
    }
    // A new engine whenever the needed build changes or the old one crashed.
    let engine_key = (state.engine_generation, state.engine_build());
    {
        let dispatcher = state.dispatcher();
        let link = link.clone();
        let uploads = uploads.clone();
        use_effect_with(engine_key, move |(_, build)| {
            if let Some(build) = *build {
                let deliver = dispatcher.clone();
                match EngineLink::spawn(build, move |message| match message {
                    // The files of an opened experiment become the upload, as if chosen
                    // (kept for the next visit, sent to a replacement engine).
                    Ok(FromWorker::UploadFiles { id, files, options }) => {
                        let mut kept = uploads.borrow_mut();
                        kept.pending = Some((id, UploadFiles::from_files(files, options)));
                        kept.opened = Some(id);
                    }
                    Ok(report) => deliver.dispatch(Action::Engine(report)),
                    Err(error) => deliver.dispatch(Action::EngineFailed(error)),
                }) {
                    Ok(spawned) => *link.borrow_mut() = Some(spawned),
                    Err(error) => dispatcher.dispatch(Action::EngineFailed(error)),
                }
            }
            move || drop(link.borrow_mut().take())
        });
    }
    {
        let (uploads, engine, dispatch) = (uploads.clone(), engine.clone(), state.dispatcher());
        let snapshot = state.clone();
        use_effect_with(engine_key, move |_| {
            sync_engine(&snapshot, &engine, &uploads, &dispatch);
        });
    }
    {
        // The upload kept from the last visit.
        let (uploads, engine, dispatch) = (uploads.clone(), engine.clone(), state.dispatcher());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                match web::load_upload().await {
                    Some(files) => {
                        uploads.borrow_mut().current = Some(files.clone());
                        start_import(&uploads, &engine, &dispatch, files);
                    }
                    None => dispatch.dispatch(Action::NoStoredUpload),
                }
            });
        });
    }
    {
        // An upload the engine accepted becomes the current one, kept for the next visit;
        // new files (not the same ones read again) start a new book of labels.
        let (uploads, dispatch) = (uploads.clone(), state.dispatcher());
        use_effect_with(state.upload.as_ref().map(|u| u.id), move |id| {
            let mut kept = uploads.borrow_mut();
            if let (Some(id), Some((pending, _))) = (*id, &kept.pending)
                && *pending == id
            {
                let (_, files) = kept.pending.take().expect("just matched");
                let same_files = kept.current.as_ref().is_some_and(|current| {
                    current.buffers.len() == files.buffers.len()
                        && current
                            .buffers
                            .iter()
                            .zip(&files.buffers)
                            .all(|(a, b)| js_sys::Object::is(a, b))
                });
                kept.current = Some(files.clone());
                let new_book = !same_files && kept.opened != Some(id);
                wasm_bindgen_futures::spawn_local(async move {
                    if new_book {
                        web::clear_labels(UPLOAD_LABELS).await;
                        dispatch.dispatch(Action::LabelsLoaded {
                            key: UPLOAD_LABELS.into(),
                            labels: Vec::new(),
                            rejected: Vec::new(),
                        });
                    }
                    match web::save_upload(&files).await {
                        Ok(()) => dispatch.dispatch(Action::UploadKept(id)),
                        Err(message) => dispatch.dispatch(Action::Alert(message)),
                    }
                });
            }
        });
    }
    {
        let engine = engine.clone();
        let valid = state.model_check().is_ok();
        use_effect_with(state.experiment.clone(), move |experiment| {
            if valid {
                engine.send(ToWorker::Configure(experiment.clone()));
            }
        });
    }
    {
        let engine = engine.clone();
        use_effect_with(state.compute, move |compute| {
            engine.send(ToWorker::SetCompute(*compute));
        });
    }
    {
        // The labels kept in this browser for the data in use.
        let dispatch = state.dispatcher();
        use_effect_with(state.experiment.labels_key(), move |key| {
            let key = key.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let stored = web::load_labels(&key).await;
                dispatch.dispatch(Action::LabelsLoaded {
                    key,
                    labels: stored.labels,
                    rejected: stored.rejected,
                });
            });
        });
    }
    {
        // Every change of the labels goes to the engine and into the browser's storage.
        let (engine, dispatch, snapshot) = (engine.clone(), state.dispatcher(), state.clone());
        let key = (
            state.labeling.key.clone(),
            state.labeling.labels.clone(),
            state.labeling.rejected.clone(),
        );
        use_effect_with(key, move |(key, labels, rejected)| {
            send_labels(&snapshot, &engine);
            if let Some(key) = key.clone() {
                let stored = web::StoredLabels {
                    labels: labels.clone(),
                    rejected: rejected.clone(),
                };
                wasm_bindgen_futures::spawn_local(async move {
                    if let Err(message) = web::save_labels(&key, &stored).await {
                        dispatch.dispatch(Action::Alert(message));
                    }
                });
            }
        });
    }
    {
        // The open Labeling tab asks for the queue whenever it has none.
        let engine = engine.clone();
        let wanted = state.tab == Tab::Labeling
            && state.labeling.queue.is_none()
            && state.labeling.key.is_some()
            && state.engine == EngineStatus::Ready
            && state.model_check().is_ok();
        use_effect_with(
            (wanted, state.run.as_ref().map(Rc::as_ptr), engine_key),
            move |(wanted, _, _)| {
                if *wanted {
                    engine.send(ToWorker::Score);
                }
            },
        );
    }
    {
        // A file the engine made is offered to the user.
        let download = state.download.clone();
        use_effect_with(download.as_ref().map(|d| d.0), move |_| {
            if let Some((_, name, bytes)) = download {
                web::save_file(&name, &bytes);
            }
        });
    }
    {
        // The preview follows every change of augmentation, data or seed.
        let engine = engine.clone();
        let key = (
            state.experiment.augment.clone(),
            state.experiment.dataset,
            state.experiment.seed,
            state.experiment.labeling.labels_per_class,
            state.preview_seed,
            state.upload.as_ref().map(|u| u.id),
            engine_key,
        );
        use_effect_with(key, move |(config, _, _, _, seed, _, _)| {
            engine.send(ToWorker::PreviewAugment {
                config: config.clone(),
                seed: *seed,
            });
        });
    }
    {
        let engine = engine.clone();
        use_effect_with((), move |_| {
            if web::debug_requested() {
                web::expose_debug_hook("crashEngine", move || engine.send(ToWorker::Crash));
            }
        });
    }

    let dismiss = {
        let dispatch = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::DismissAlert))
    };
    let on_files = {
        let (uploads, engine, dispatch) = (uploads.clone(), engine.clone(), state.dispatcher());
        Callback::from(move |list: Vec<web_sys::File>| {
            let (uploads, engine, dispatch) = (uploads.clone(), engine.clone(), dispatch.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match web::read_files(list).await {
                    Ok(files) => start_import(&uploads, &engine, &dispatch, files),
                    Err(message) => dispatch.dispatch(Action::Alert(message)),
                }
            });
        })
    };
    let on_options = {
        let (uploads, engine, dispatch) = (uploads.clone(), engine.clone(), state.dispatcher());
        Callback::from(move |options: ImportOptions| {
            let current = uploads.borrow().current.clone();
            if let Some(files) = current {
                let options = ImportOptions {
                    accept_partial: files.options.accept_partial,
                    ..options
                };
                start_import(&uploads, &engine, &dispatch, files.with_options(options));
            }
        })
    };
    let on_remove = {
        let (uploads, dispatch) = (uploads.clone(), state.dispatcher());
        Callback::from(move |()| {
            uploads.borrow_mut().current = None;
            dispatch.dispatch(Action::RemoveUpload);
            wasm_bindgen_futures::spawn_local(async {
                web::clear_upload().await;
                web::clear_labels(UPLOAD_LABELS).await;
            });
        })
    };
    let on_compare = {
        let (engine, augment) = (engine.clone(), state.experiment.augment.clone());
        Callback::from(move |(labeled, epochs): (usize, usize)| {
            engine.send(ToWorker::Compare {
                runs: [augment.clone(), AugmentConfig::none()],
                labeled,
                epochs,
            });
        })
    };
    let on_stop = {
        let engine = engine.clone();
        Callback::from(move |()| engine.send(ToWorker::Pause))
    };
    let on_import_labels = {
        let (engine, dispatch) = (engine.clone(), state.dispatcher());
        Callback::from(move |file: web_sys::File| {
            let (engine, dispatch) = (engine.clone(), dispatch.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match web::read_text(&file).await {
                    Ok(text) => engine.send(ToWorker::ImportLabels {
                        file: file.name(),
                        text,
                    }),
                    Err(message) => dispatch.dispatch(Action::Alert(message)),
                }
            });
        })
    };
    let data = state.data_shape();
    let accept_partial = {
        let (uploads, engine, dispatch) = (uploads.clone(), engine.clone(), state.dispatcher());
        Callback::from(move |_: MouseEvent| {
            let pending = uploads.borrow().pending.clone();
            if let Some((_, files)) = pending {
                let options = ImportOptions {
                    accept_partial: true,
                    ..files.options.clone()
                };
                dispatch.dispatch(Action::DismissAlert);
                start_import(&uploads, &engine, &dispatch, files.with_options(options));
            }
        })
    };

    let on_share = {
        let dispatch = state.dispatcher();
        let shown = state.link_state();
        Callback::from(move |_: MouseEvent| {
            web::set_fragment(&link::encode(&shown));
            let link = web::page_url();
            let dispatch = dispatch.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let copied = web::copy_text(&link).await;
                dispatch.dispatch(Action::Shared { link, copied });
            });
        })
    };
    let on_embed = {
        let dispatch = state.dispatcher();
        let shown = state.link_state();
        Callback::from(move |_: MouseEvent| {
            let page = web::page_url();
            let page = page.split('#').next().unwrap_or_default();
            let fragment = format!("{}&embed=training.{}", link::encode(&shown), shown.tab.id());
            dispatch.dispatch(Action::ShowEmbedCode(embed::iframe_snippet(
                page, &fragment,
            )));
        })
    };
    let select_all = Callback::from(|e: FocusEvent| {
        if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
            input.select();
        }
    });
    let engine_status = match &state.engine {
        EngineStatus::Loading => html! {
            <span class="engine loading" role="status">
                <progress aria-label="Loading the ML engine"></progress>
                {" Loading the ML engine…"}
            </span>
        },
        EngineStatus::Ready => html! {
            <span class="engine ready" role="status">{"Engine ready"}</span>
        },
        EngineStatus::Failed(_) => html! {
            <span class="engine failed" role="status">{"Engine unavailable"}</span>
        },
    };
    let edit = PanelProps {
        experiment: state.experiment.clone(),
        dispatch: state.dispatcher(),
    };
    let class_names = data
        .as_ref()
        .map(|(_, names)| names.clone())
        .unwrap_or_default();
    let kind = data.as_ref().map(|(shape, _)| shape.kind());

    let shows = |part: Part| state.embed.as_ref().is_none_or(|e| e.shows(part));
    let read_only = state.embed.as_ref().is_some_and(|e| e.read_only);
    let tabs_shown: Vec<Tab> = match &state.embed {
        Some(embed) => embedded_tabs(embed),
        None => Tab::ALL.to_vec(),
    };
    html! {
        <>
            <header class="top">
                <div class="brand">
                    <h1>{"Petri"}</h1>
                    <p class="tagline">{"Train CNNs, RNNs and GNNs in your browser — nothing leaves this page."}</p>
                </div>
                if state.embed.is_none() {
                <div class="share">
                    <button onclick={on_share}>{"Share"}</button>
                    <button onclick={on_embed}>{"Embed"}</button>
                    if let Some(snippet) = &state.embed_code {
                        <label class="field">{"Embed code"}
                            <input type="text" readonly=true value={snippet.clone()} onfocus={select_all.clone()} />
                        </label>
                    }
                    if let Some(link) = &state.shared_link {
                        <label class="field">{"Link"}
                            <input type="text" readonly=true value={link.clone()} onfocus={select_all.clone()} />
                        </label>
                    }
                </div>
                }
                { engine_status }
            </header>
            if state.embed.is_none() {
                <LessonsBar state={state.clone()} />
            }
            <div class="alert-region" role="alert">
                if let Some(message) = &state.alert {
                    <p class="alert">
                        <span>{ message.clone() }</span>
                        if state.partial_offer.is_some() {
                            <button class="small" onclick={accept_partial}>{"Load the valid part"}</button>
                        }
                        <button class="dismiss" aria-label="Dismiss" onclick={dismiss}>{"×"}</button>
                    </p>
                }
            </div>
            <main class={classes!("layout", state.embed.is_some().then_some("embedded"))}>
                <fieldset class="settings" disabled={read_only}>
                    <legend class="visually-hidden">{"Data and model"}</legend>
                    if shows(Part::Data) {
                        <DataPanel experiment={state.experiment.clone()} run={state.run.clone()}
                                   upload={state.upload.clone()} importing={state.importing.clone()}
                                   kept={state.upload.as_ref().is_some_and(|u| state.kept_upload == Some(u.id))}
                                   dispatch={state.dispatcher()} {on_files} {on_options} {on_remove} />
                    }
                    if shows(Part::Model) {
                        <ModelPanel experiment={state.experiment.clone()} data={data.clone()}
                                    dispatch={state.dispatcher()} />
                    }
                </fieldset>
                if shows(Part::Training) {
                    <TrainingPanel state={state.clone()} engine={engine.clone()} />
                }
                <fieldset class="settings" disabled={read_only}>
                <legend class="visually-hidden">{"Workspace"}</legend>
                <div class="workspace" hidden={tabs_shown.is_empty()}>
                    if tabs_shown.len() > 1 {
                        { tab_list(&state) }
                    }
                    <div id="tab-augmentation" role="tabpanel" aria-labelledby="tab-button-augmentation"
                         hidden={state.tab != Tab::Augmentation}>
                        <AugmentPanel edit={edit.clone()} {kind}
                                      alphabet={state.alphabet()}
                                      class_names={class_names.clone()}
                                      preview={state.augment_preview.clone()}
                                      comparison={state.comparison.clone()} {on_compare} {on_stop} />
                    </div>
                    <div id="tab-labeling" role="tabpanel" aria-labelledby="tab-button-labeling"
                         hidden={state.tab != Tab::Labeling}>
                        <LabelingPanel edit={edit.clone()} labeling={state.labeling.clone()}
                                       class_names={class_names.clone()} {kind} run={state.run.clone()}
                                       progress={state.progress.clone()}
                                       confident={state.train.last().and_then(|r| r.confident)}
                                       engine={engine.clone()} active={state.tab == Tab::Labeling}
                                       on_import={on_import_labels} />
                    </div>
                    <div id="tab-explain" role="tabpanel" aria-labelledby="tab-button-explain"
                         hidden={state.tab != Tab::Explain}>
                        <ExplainPanel edit={edit} explain={state.explain.clone()}
                                      class_names={class_names} {kind} run={state.run.clone()}
                                      progress={state.progress.clone()} engine={engine}
                                      runs_compared={state.comparison.as_ref().is_some_and(|c| c.finished.is_some())} />
                    </div>
                </div>
                </fieldset>
            </main>
        </>
    }
}

/// The tabs an embedding shows.
fn embedded_tabs(embed: &Embed) -> Vec<Tab> {
    [
        (Part::Augmentation, Tab::Augmentation),
        (Part::Labeling, Tab::Labeling),
        (Part::Explain, Tab::Explain),
    ]
    .into_iter()
    .filter(|(part, _)| embed.shows(*part))
    .map(|(_, tab)| tab)
    .collect()
}

/// What the host page was last told.
#[derive(Default)]
struct Reported {
    ready: bool,
    step: Option<u64>,
    epoch: u64,
    evaluated: Option<u64>,
    running: bool,
}

/// The events the host has not been told yet, given what it was told (`reported`, updated).
fn host_events(state: &AppState, reported: &mut Reported) -> Vec<Event> {
    let mut events = Vec::new();
    if state.engine == EngineStatus::Ready && !reported.ready {
        reported.ready = true;
        events.push(Event::Ready);
    }
    if let Some(report) = state.train.last()
        && reported.step != Some(report.step)
    {
        reported.step = Some(report.step);
        events.push(Event::Step {
            step: report.step,
            epoch: report.epoch,
            loss: report.loss,
        });
        let epoch = report.epoch.floor() as u64;
        if epoch > reported.epoch {
            reported.epoch = epoch;
            events.push(Event::Epoch {
                epoch,
                step: report.step,
            });
        }
    }
    if let Some(eval) = &state.last_eval
        && reported.evaluated != Some(eval.step)
    {
        reported.evaluated = Some(eval.step);
        let train = state.train.last();
        events.push(Event::Losses {
            step: eval.step,
            training: train.map_or(f64::NAN, |t| t.loss),
            validation: eval.loss,
        });
        events.push(Event::Accuracy {
            step: eval.step,
            training: train.map_or(f64::NAN, |t| t.accuracy),
            validation: eval.accuracy,
        });
    }
    let running = state.state == RunState::Running;
    if reported.running && !running {
        events.push(Event::Finished { step: state.step() });
    }
    reported.running = running;
    events
}

/// Where this browser keeps how far the learner got in each lesson.
const LESSON_PROGRESS: &str = "petri-lesson-progress";

/// Reads the lesson catalogue and every lesson it lists; a file that cannot be read or is
/// malformed is named in a message and left out.
async fn read_lessons() -> Action {
    let mut lessons = Vec::new();
    let mut problems = Vec::new();
    let index = format!("{}index.json", lesson::FOLDER);
    let catalogue = match web::fetch_text(&index).await {
        Ok(text) => lesson::parse_catalogue(&text),
        Err(message) => Err(message),
    };
    match catalogue {
        Ok(catalogue) => {
            for file in catalogue.lessons {
                let read = web::fetch_text(&format!("{}{file}", lesson::FOLDER)).await;
                match read.and_then(|text| lesson::parse_lesson(&file, &text)) {
                    Ok(lesson) => lessons.push(lesson),
                    Err(message) => problems.push(message),
                }
            }
        }
        Err(message) => problems.push(message),
    }
    let progress = web::load_item(LESSON_PROGRESS)
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    Action::LessonsLoaded {
        lessons,
        problems,
        progress,
    }
}

/// The labels book of the uploaded dataset ([`crate::ml::experiment::Experiment::labels_key`]).
const UPLOAD_LABELS: &str = "upload";

/// The tab buttons: click, or arrow keys between them; the URL fragment follows.
fn tab_list(state: &UseReducerHandle<AppState>) -> Html {
    let select = |tab: Tab| {
        let dispatch = state.dispatcher();
        move || dispatch.dispatch(Action::SetTab(tab))
    };
    let buttons = Tab::ALL.iter().enumerate().map(|(i, &tab)| {
        let selected = state.tab == tab;
        let onclick = {
            let select = select(tab);
            Callback::from(move |_: MouseEvent| select())
        };
        let onkeydown = {
            let count = Tab::ALL.len();
            let (previous, next) = (
                select(Tab::ALL[(i + count - 1) % count]),
                select(Tab::ALL[(i + 1) % count]),
            );
            Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
                "ArrowLeft" => {
                    e.prevent_default();
                    previous();
                    focus_selected_tab();
                }
                "ArrowRight" => {
                    e.prevent_default();
                    next();
                    focus_selected_tab();
                }
                _ => {}
            })
        };
        html! {
            <button id={format!("tab-button-{}", tab.id())} role="tab" aria-selected={selected.to_string()}
                    aria-controls={format!("tab-{}", tab.id())} tabindex={if selected { "0" } else { "-1" }}
                    class={classes!("tab", selected.then_some("selected"))} {onclick} {onkeydown}>
                { tab.title() }
            </button>
        }
    });
    html! {
        <div class="tabs" role="tablist" aria-label="Workspace">{ for buttons }</div>
    }
}

/// Moves the keyboard focus to the selected tab once it is drawn.
fn focus_selected_tab() {
    use wasm_bindgen::JsCast;
    let closure = wasm_bindgen::closure::Closure::once_into_js(|| {
        if let Some(button) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| {
                d.query_selector("[role=tab][aria-selected=true]")
                    .ok()
                    .flatten()
            })
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = button.focus();
        }
    });
    if let Some(window) = web_sys::window() {
        let _ = window.set_timeout_with_callback(closure.unchecked_ref());
    }
}
