use super::embed::{self, Command, Embed, Event, Part};
use super::lesson;
use super::link::{self, Fragment};
use super::panels::{
    AugmentPanel, DataPanel, ExplainPanel, LabelingPanel, LessonsBar, ModelPanel, PanelProps,
    TrainingPanel,
};
use super::requests::{Request, requests};
use super::state::{Action, AppState, EngineStatus, Tab};
use crate::ml::augment::AugmentConfig;
use crate::ml::import::ImportOptions;
use crate::protocol::{FromWorker, RunState, ToWorker};
use crate::web::{self, EngineLink, UploadFiles};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
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

/// The browser's side of the page beside [`AppState`]: the engine, the bytes of the files
/// the state names by id, and the state the last requests were decided from.
#[derive(Default)]
struct Shell {
    link: Option<EngineLink>,
    /// Requests a person made while no engine ran: sent once one has caught up.
    outbox: Vec<ToWorker>,
    /// Uploaded files by upload id (the current and the pending upload).
    uploads: HashMap<u64, UploadFiles>,
    /// Experiment files to open, by id: name and bytes.
    experiment_files: HashMap<u64, (String, js_sys::ArrayBuffer)>,
    last_id: u64,
    /// How many times the kept upload was forgotten: a save that finishes after a later
    /// forget (storage is asynchronous) is undone rather than bringing the upload back.
    forgotten: Rc<Cell<u64>>,
    /// The state the last requests were decided from.
    seen: Option<AppState>,
}

impl Shell {
    /// A new id for files, later than every earlier one.
    fn next_id(&mut self) -> u64 {
        self.last_id = (js_sys::Date::now() as u64).max(self.last_id + 1);
        self.last_id
    }

    fn send(&mut self, message: ToWorker) {
        match &self.link {
            Some(link) => link.send(&message),
            None => self.outbox.push(message),
        }
    }
}

/// The panels' way to the engine: a request made while no engine runs waits for one.
#[derive(Clone)]
pub struct Engine {
    shell: Rc<RefCell<Shell>>,
}

impl PartialEq for Engine {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.shell, &other.shell)
    }
}

impl Engine {
    pub fn send(&self, message: ToWorker) {
        self.shell.borrow_mut().send(message);
    }

    /// Makes runs start from the encoder in the model or experiment file `name`.
    pub fn start_from_file(&self, name: &str, file: &js_sys::ArrayBuffer) {
        if let Some(link) = &self.shell.borrow().link {
            link.send_start_from(name, file);
        }
    }

    /// Opens the experiment file `name` (read by an engine that reads files).
    pub fn open(
        &self,
        name: &str,
        file: &js_sys::ArrayBuffer,
        dispatch: &UseReducerDispatcher<AppState>,
    ) {
        let mut shell = self.shell.borrow_mut();
        let id = shell.next_id();
        shell
            .experiment_files
            .insert(id, (name.to_string(), file.clone()));
        dispatch.dispatch(Action::OpenExperiment(id));
    }

    /// Keeps `files` as a new upload to read; `keeps_labels`: they are the current upload's
    /// files, so the person's labels stay theirs.
    fn import(
        &self,
        files: UploadFiles,
        keeps_labels: bool,
        dispatch: &UseReducerDispatcher<AppState>,
    ) {
        let mut shell = self.shell.borrow_mut();
        let id = shell.next_id();
        let names = files.names.clone();
        shell.uploads.insert(id, files);
        dispatch.dispatch(Action::ImportStarted {
            id,
            files: names,
            keeps_labels,
        });
    }

    /// Carries out what [`requests`] decided for the change from the last state seen to
    /// `state`.
    fn follow(&self, state: &AppState, dispatch: &UseReducerDispatcher<AppState>) {
        let seen = self.shell.borrow_mut().seen.replace(state.clone());
        let decided = requests(seen.as_ref(), state);
        let spawned = decided.iter().any(|r| matches!(r, Request::SpawnEngine(_)));
        for request in decided {
            self.carry_out(request, dispatch);
        }
        let mut shell = self.shell.borrow_mut();
        if spawned || shell.link.is_some() {
            for message in std::mem::take(&mut shell.outbox) {
                shell.send(message);
            }
        }
        let keep = [state.upload.current, state.upload.pending];
        shell.uploads.retain(|id, _| keep.contains(&Some(*id)));
        let opening = state.upload.opening;
        shell.experiment_files.retain(|id, _| opening == Some(*id));
    }

    fn carry_out(&self, request: Request, dispatch: &UseReducerDispatcher<AppState>) {
        let dispatch = dispatch.clone();
        match request {
            Request::SpawnEngine(build) => {
                // The old engine ends first: its late reports must not reach the state.
                drop(self.shell.borrow_mut().link.take());
                let (shell, deliver) = (self.shell.clone(), dispatch.clone());
                let spawned = EngineLink::spawn(build, move |message| match message {
                    // The files of an opened experiment become the upload (kept for the next
                    // visit, sent to a replacement engine).
                    Ok(FromWorker::UploadFiles { id, files, options }) => {
                        shell
                            .borrow_mut()
                            .uploads
                            .insert(id, UploadFiles::from_files(files, options));
                        deliver.dispatch(Action::UploadOpened(id));
                    }
                    Ok(report) => deliver.dispatch(Action::Engine(report)),
                    Err(error) => deliver.dispatch(Action::EngineFailed(error)),
                });
                match spawned {
                    Ok(link) => self.shell.borrow_mut().link = Some(link),
                    Err(error) => dispatch.dispatch(Action::EngineFailed(error)),
                }
            }
            Request::Send(message) => self.send(message),
            Request::Import(id) => {
                let shell = self.shell.borrow();
                if let (Some(link), Some(files)) = (&shell.link, shell.uploads.get(&id)) {
                    link.send_import(id, files);
                }
            }
            Request::Open(id) => {
                let shell = self.shell.borrow();
                if let (Some(link), Some((name, file))) =
                    (&shell.link, shell.experiment_files.get(&id))
                {
                    link.send_open(id, name, file);
                }
            }
            Request::LoadLabels(key) => wasm_bindgen_futures::spawn_local(async move {
                let stored = web::load_labels(&key).await;
                dispatch.dispatch(Action::LabelsLoaded {
                    key,
                    labels: stored.labels,
                    rejected: stored.rejected,
                });
            }),
            Request::SaveLabels {
                key,
                labels,
                rejected,
            } => wasm_bindgen_futures::spawn_local(async move {
                let stored = web::StoredLabels { labels, rejected };
                dispatch.dispatch(Action::LabelsSaved(web::save_labels(&key, &stored).await));
            }),
            Request::KeepUpload(id) => {
                let Some(files) = self.shell.borrow().uploads.get(&id).cloned() else {
                    return;
                };
                let forgotten = self.shell.borrow().forgotten.clone();
                let forgotten_before = forgotten.get();
                wasm_bindgen_futures::spawn_local(async move {
                    let saved = web::save_upload(&files).await;
                    if forgotten.get() != forgotten_before {
                        web::clear_upload().await;
                        return;
                    }
                    match saved {
                        Ok(()) => dispatch.dispatch(Action::UploadKept(id)),
                        Err(message) => dispatch.dispatch(Action::Alert(message)),
                    }
                });
            }
            Request::ForgetUpload => {
                let forgotten = self.shell.borrow().forgotten.clone();
                forgotten.set(forgotten.get() + 1);
                wasm_bindgen_futures::spawn_local(async {
                    web::clear_upload().await;
                    web::clear_labels(UPLOAD_LABELS).await;
                })
            }
            Request::SaveFile { name, bytes } => web::save_file(&name, &bytes),
            Request::SetFragment(fragment) => {
                if web::fragment() != fragment {
                    web::set_fragment(&fragment);
                }
            }
            Request::SaveLessonProgress(text) => web::save_item(LESSON_PROGRESS, &text),
            Request::ReadLessons => wasm_bindgen_futures::spawn_local(async move {
                dispatch.dispatch(read_lessons().await);
            }),
        }
    }
}

/// Listens to the address bar, the host page (when embedded) and the browser's answers that
/// come once: the WebGPU adapter, the upload kept from the last visit, a lesson the link names.
/// Returns what to drop when the page goes.
fn listen(
    engine: &Engine,
    dispatch: &UseReducerDispatcher<AppState>,
    embed: Option<Embed>,
) -> (web::Listener, Option<web::Listener>) {
    {
        let dispatch = dispatch.clone();
        wasm_bindgen_futures::spawn_local(async move {
            dispatch.dispatch(Action::AdapterProbed(web::probe_adapter().await));
        });
    }
    {
        // The upload kept from the last visit: the same files, so the labels stay.
        let (engine, dispatch) = (engine.clone(), dispatch.clone());
        wasm_bindgen_futures::spawn_local(async move {
            match web::load_upload().await {
                Some(files) => engine.import(files, true, &dispatch),
                None => dispatch.dispatch(Action::NoStoredUpload),
            }
        });
    }
    let opened = Fragment::read(&web::fragment());
    if let Some((id, step)) = opened.lesson {
        dispatch.dispatch(Action::RequestLesson {
            id,
            step,
            set_up: !opened.has_experiment,
        });
    }
    if web::debug_requested() {
        let engine = engine.clone();
        web::expose_debug_hook("crashEngine", move || engine.send(ToWorker::Crash));
    }
    // A link typed or pasted into the address bar of the open page is loaded too.
    let hash = {
        let dispatch = dispatch.clone();
        web::Listener::window("hashchange", move |_| {
            let fragment = Fragment::read(&web::fragment());
            let load_link = fragment.has_experiment || fragment.lesson.is_none();
            match fragment.lesson {
                Some((id, step)) => dispatch.dispatch(Action::RequestLesson {
                    id,
                    step,
                    set_up: !fragment.has_experiment,
                }),
                None => dispatch.dispatch(Action::CloseLesson),
            }
            if load_link {
                dispatch.dispatch(Action::LoadLink(fragment.link));
            }
        })
    };
    // Embedded: obey the host's commands (training goes on; the host is told by `host_events`).
    let host = embed.map(|embed| {
        let (engine, dispatch) = (engine.clone(), dispatch.clone());
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
    (hash, host)
}

/// The state as a link first describes it: the experiment, compute and tab, the embedding,
/// and what could not be read.
fn opened_state() -> AppState {
    let mut state = AppState::default();
    let Fragment {
        link,
        embed,
        embed_problems: problems,
        ..
    } = Fragment::read(&web::fragment());
    state.load_link(link);
    if let Some(embed) = &embed
        && let [only] = embedded_tabs(embed)[..]
    {
        state.tab = only;
    }
    state.share.embed = embed;
    if !problems.is_empty() {
        let before = state.alert.take().unwrap_or_default();
        state.alert = Some(
            format!("{before} {}", problems.join(" "))
                .trim()
                .to_string(),
        );
    }
    state
}

#[component]
pub fn App() -> Html {
    let state = use_reducer(opened_state);
    let reported = use_mut_ref(Reported::default);
    let shell = use_mut_ref(Shell::default);
    let engine = Engine { shell };

    {
        let (engine, dispatch, embed) = (
            engine.clone(),
            state.dispatcher(),
            state.share.embed.clone(),
        );
        use_effect_with((), move |_| {
            let listeners = listen(&engine, &dispatch, embed);
            move || drop(listeners)
        });
    }
    {
        // Every change of the state: what the engine and the browser must be told.
        let (engine, dispatch) = (engine.clone(), state.dispatcher());
        use_effect_with(state.clone(), move |state| engine.follow(state, &dispatch));
    }
    if let Some(embed) = &state.share.embed {
        for event in host_events(&state, &mut reported.borrow_mut()) {
            web::post_to_parent(&embed::event_json(&event), &embed.origins);
        }
    }

    let dismiss = {
        let dispatch = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::DismissAlert))
    };
    let on_files = {
        let (engine, dispatch, current) =
            (engine.clone(), state.dispatcher(), state.upload.current);
        Callback::from(move |list: Vec<web_sys::File>| {
            let (engine, dispatch) = (engine.clone(), dispatch.clone());
            let kept = current.and_then(|id| engine.shell.borrow().uploads.get(&id).cloned());
            wasm_bindgen_futures::spawn_local(async move {
                match web::read_files(list).await {
                    Ok(files) => {
                        let same = kept.is_some_and(|kept| web::same_files(&kept, &files));
                        engine.import(files, same, &dispatch);
                    }
                    Err(message) => dispatch.dispatch(Action::Alert(message)),
                }
            });
        })
    };
    let on_options = {
        let (engine, dispatch, current) =
            (engine.clone(), state.dispatcher(), state.upload.current);
        Callback::from(move |options: ImportOptions| {
            let kept = current.and_then(|id| engine.shell.borrow().uploads.get(&id).cloned());
            if let Some(files) = kept {
                let options = ImportOptions {
                    accept_partial: files.options.accept_partial,
                    ..options
                };
                engine.import(files.with_options(options), true, &dispatch);
            }
        })
    };
    let on_remove = {
        let dispatch = state.dispatcher();
        Callback::from(move |()| dispatch.dispatch(Action::RemoveUpload))
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
        let (engine, dispatch) = (engine.clone(), state.dispatcher());
        let (pending, keeps_labels) = (state.upload.pending, state.upload.pending_keeps_labels);
        Callback::from(move |_: MouseEvent| {
            let kept = pending.and_then(|id| engine.shell.borrow().uploads.get(&id).cloned());
            if let Some(files) = kept {
                let options = ImportOptions {
                    accept_partial: true,
                    ..files.options.clone()
                };
                dispatch.dispatch(Action::DismissAlert);
                engine.import(files.with_options(options), keeps_labels, &dispatch);
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
    let engine_status = match &state.engine.status {
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

    let shows = |part: Part| state.share.embed.as_ref().is_none_or(|e| e.shows(part));
    let read_only = state.share.embed.as_ref().is_some_and(|e| e.read_only);
    let tabs_shown: Vec<Tab> = match &state.share.embed {
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
                if state.share.embed.is_none() {
                <div class="share">
                    <button onclick={on_share}>{"Share"}</button>
                    <button onclick={on_embed}>{"Embed"}</button>
                    if let Some(snippet) = &state.share.embed_code {
                        <label class="field">{"Embed code"}
                            <input type="text" readonly=true value={snippet.clone()} onfocus={select_all.clone()} />
                        </label>
                    }
                    if let Some(link) = &state.share.shared_link {
                        <label class="field">{"Link"}
                            <input type="text" readonly=true value={link.clone()} onfocus={select_all.clone()} />
                        </label>
                    }
                </div>
                }
                { engine_status }
            </header>
            if state.share.embed.is_none() {
                <LessonsBar state={state.clone()} />
            }
            <div class="alert-region" role="alert">
                if let Some(message) = &state.alert {
                    <p class="alert">
                        <span>{ message.clone() }</span>
                        if state.upload.partial_offer.is_some() {
                            <button class="small" onclick={accept_partial}>{"Load the valid part"}</button>
                        }
                        <button class="dismiss" aria-label="Dismiss" onclick={dismiss}>{"×"}</button>
                    </p>
                }
            </div>
            <main class={classes!("layout", state.share.embed.is_some().then_some("embedded"))}>
                <fieldset class="settings" disabled={read_only}>
                    <legend class="visually-hidden">{"Data and model"}</legend>
                    if shows(Part::Data) {
                        <DataPanel experiment={state.experiment.clone()} run={state.run.info.clone()}
                                   upload={state.upload.summary.clone()} importing={state.upload.importing.clone()}
                                   kept={state.upload.id().is_some_and(|id| state.upload.kept == Some(id))}
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
                                      preview={state.augment.preview.clone()}
                                      comparison={state.augment.comparison.clone()} {on_compare} {on_stop} />
                    </div>
                    <div id="tab-labeling" role="tabpanel" aria-labelledby="tab-button-labeling"
                         hidden={state.tab != Tab::Labeling}>
                        <LabelingPanel edit={edit.clone()} labeling={state.labeling.clone()}
                                       class_names={class_names.clone()} {kind} run={state.run.info.clone()}
                                       progress={state.progress.clone()}
                                       confident={state.run.train.last().and_then(|r| r.confident)}
                                       engine={engine.clone()} active={state.tab == Tab::Labeling}
                                       on_import={on_import_labels}
                                       measured={state.measured_target()} />
                    </div>
                    <div id="tab-explain" role="tabpanel" aria-labelledby="tab-button-explain"
                         hidden={state.tab != Tab::Explain}>
                        <ExplainPanel edit={edit} explain={state.explain.clone()}
                                      class_names={class_names} {kind} run={state.run.info.clone()}
                                      progress={state.progress.clone()} engine={engine}
                                      runs_compared={state.augment.comparison.as_ref().is_some_and(|c| c.finished.is_some())} />
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
    if state.engine.status == EngineStatus::Ready && !reported.ready {
        reported.ready = true;
        events.push(Event::Ready);
    }
    if let Some(report) = state.run.train.last()
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
    if let Some(eval) = &state.run.last_eval
        && reported.evaluated != Some(eval.step)
    {
        reported.evaluated = Some(eval.step);
        let train = state.run.train.last();
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
    let running = state.run.state == RunState::Running;
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
