use super::panels::{AugmentPanel, DataPanel, ModelPanel, PanelProps, TrainingPanel};
use super::state::{Action, AppState, EngineStatus};
use crate::ml::augment::AugmentConfig;
use crate::ml::import::ImportOptions;
use crate::protocol::ToWorker;
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
pub struct Engine(Rc<RefCell<Option<EngineLink>>>);

impl PartialEq for Engine {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Engine {
    pub fn send(&self, message: ToWorker) {
        if let Some(link) = self.0.borrow().as_ref() {
            link.send(&message);
        }
    }

    /// Whether an engine is running.
    fn is_running(&self) -> bool {
        self.0.borrow().is_some()
    }
}

/// The uploaded files, kept as the browser's buffers (not in [`AppState`]).
#[derive(Default)]
struct Uploads {
    /// The files of the uploaded dataset the engine holds.
    current: Option<UploadFiles>,
    /// Files being read, or whose valid part the user may still accept.
    pending: Option<(u64, UploadFiles)>,
    /// The last upload id handed out.
    last_id: u64,
}

/// Sends `files` to the engine to read, as the newest upload.
fn start_import(
    uploads: &Rc<RefCell<Uploads>>,
    engine: &Engine,
    dispatch: &UseReducerDispatcher<AppState>,
    files: UploadFiles,
) {
    let link = engine.0.borrow();
    let Some(link) = link.as_ref() else {
        return;
    };
    let mut uploads = uploads.borrow_mut();
    let id = (js_sys::Date::now() as u64).max(uploads.last_id + 1);
    uploads.last_id = id;
    link.send_import(id, &files);
    dispatch.dispatch(Action::ImportStarted {
        id,
        files: files.names.clone(),
    });
    uploads.pending = Some((id, files));
}

#[component]
pub fn App() -> Html {
    let state = use_reducer(AppState::default);
    let link = use_mut_ref(|| None::<EngineLink>);
    let engine = Engine(link.clone());
    let uploads = use_mut_ref(Uploads::default);

    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                dispatcher.dispatch(Action::AdapterProbed(web::probe_adapter().await));
            });
        });
    }
    // A new engine whenever the needed build changes or the old one crashed. The effects
    // below depend on the same values, so they re-send the settings to each new engine.
    let engine_key = (state.engine_generation, state.engine_build());
    {
        let dispatcher = state.dispatcher();
        use_effect_with(engine_key, move |(_, build)| {
            if let Some(build) = *build {
                let deliver = dispatcher.clone();
                match EngineLink::spawn(build, move |message| match message {
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
        // A new engine reads the current upload again before it hears the experiment.
        let (uploads, engine, dispatch) = (uploads.clone(), engine.clone(), state.dispatcher());
        use_effect_with(engine_key, move |_| {
            let current = uploads.borrow().current.clone();
            if let Some(files) = current {
                start_import(&uploads, &engine, &dispatch, files);
            }
        });
    }
    {
        // The upload kept from the last visit.
        let (uploads, engine, dispatch) = (uploads.clone(), engine.clone(), state.dispatcher());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Some(files) = web::load_upload().await {
                    uploads.borrow_mut().current = Some(files.clone());
                    if engine.is_running() {
                        start_import(&uploads, &engine, &dispatch, files);
                    }
                }
            });
        });
    }
    {
        // An upload the engine accepted becomes the current one, kept for the next visit.
        let (uploads, dispatch) = (uploads.clone(), state.dispatcher());
        use_effect_with(state.upload.as_ref().map(|u| u.id), move |id| {
            let mut kept = uploads.borrow_mut();
            if let (Some(id), Some((pending, _))) = (*id, &kept.pending)
                && *pending == id
            {
                let (_, files) = kept.pending.take().expect("just matched");
                kept.current = Some(files.clone());
                wasm_bindgen_futures::spawn_local(async move {
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
        use_effect_with(
            (state.experiment.clone(), engine_key),
            move |(experiment, _)| {
                if valid {
                    engine.send(ToWorker::Configure(experiment.clone()));
                }
            },
        );
    }
    {
        let engine = engine.clone();
        use_effect_with((state.compute, engine_key), move |(compute, _)| {
            engine.send(ToWorker::SetCompute(*compute));
        });
    }
    {
        // The preview follows every change of augmentation, data or seed.
        let engine = engine.clone();
        let key = (
            state.experiment.augment.clone(),
            state.experiment.dataset,
            state.experiment.seed,
            state.preview_seed,
            state.upload.as_ref().map(|u| u.id),
            engine_key,
        );
        use_effect_with(key, move |(config, _, _, seed, _, _)| {
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
            wasm_bindgen_futures::spawn_local(web::clear_upload());
        })
    };
    let on_compare = {
        let (engine, augment) = (engine.clone(), state.experiment.augment.clone());
        Callback::from(move |(labelled, epochs): (usize, usize)| {
            engine.send(ToWorker::Compare {
                runs: [augment.clone(), AugmentConfig::none()],
                labelled,
                epochs,
            });
        })
    };
    let on_stop = {
        let engine = engine.clone();
        Callback::from(move |()| engine.send(ToWorker::Pause))
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

    html! {
        <>
            <header class="top">
                <div class="brand">
                    <h1>{"Petri"}</h1>
                    <p class="tagline">{"Train CNNs, RNNs and GNNs in your browser — nothing leaves this page."}</p>
                </div>
                { engine_status }
            </header>
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
            <main class="layout">
                <DataPanel experiment={state.experiment.clone()} run={state.run.clone()}
                           upload={state.upload.clone()} importing={state.importing.clone()}
                           kept={state.upload.as_ref().is_some_and(|u| state.kept_upload == Some(u.id))}
                           dispatch={state.dispatcher()} {on_files} {on_options} {on_remove} />
                <ModelPanel experiment={state.experiment.clone()} data={data.clone()}
                            dispatch={state.dispatcher()} />
                <TrainingPanel state={state.clone()} engine={engine} />
                <AugmentPanel edit={PanelProps { experiment: state.experiment.clone(), dispatch: state.dispatcher() }}
                              kind={data.as_ref().map(|(shape, _)| shape.kind())}
                              alphabet={state.alphabet()}
                              class_names={data.map(|(_, names)| names).unwrap_or_default()}
                              preview={state.augment_preview.clone()}
                              comparison={state.comparison.clone()} {on_compare} {on_stop} />
            </main>
        </>
    }
}
