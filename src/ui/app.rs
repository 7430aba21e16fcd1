use super::panels::{DataPanel, ModelPanel, TrainingPanel};
use super::state::{Action, AppState, EngineStatus};
use crate::protocol::ToWorker;
use crate::web::{self, EngineLink};
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
}

#[component]
pub fn App() -> Html {
    let state = use_reducer(AppState::default);
    let link = use_mut_ref(|| None::<EngineLink>);
    let engine = Engine(link.clone());

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
                        <button class="dismiss" aria-label="Dismiss" onclick={dismiss}>{"×"}</button>
                    </p>
                }
            </div>
            <main class="layout">
                <DataPanel experiment={state.experiment.clone()} run={state.run.clone()}
                           dispatch={state.dispatcher()} />
                <ModelPanel experiment={state.experiment.clone()} dispatch={state.dispatcher()} />
                <TrainingPanel state={state.clone()} engine={engine} />
            </main>
        </>
    }
}
