//! The three panels: data, model, training.

mod augment;
mod data;
mod model;
mod training;

pub use augment::AugmentPanel;
pub use data::DataPanel;
pub use model::ModelPanel;
pub use training::TrainingPanel;

use super::state::{Action, AppState};
use crate::ml::experiment::Experiment;
use yew::prelude::*;

/// The props of the panels that edit the experiment. Both compare cheaply, so a panel renders
/// again only when the experiment changes, not on every training report.
#[derive(Properties, PartialEq, Clone)]
pub struct PanelProps {
    pub experiment: Experiment,
    pub dispatch: UseReducerDispatcher<AppState>,
}

/// A callback that edits a copy of the experiment with `change` and the value it receives.
fn on_edit<T: 'static>(
    props: &PanelProps,
    change: impl Fn(&mut Experiment, T) + 'static,
) -> Callback<T> {
    let experiment = props.experiment.clone();
    let dispatch = props.dispatch.clone();
    Callback::from(move |value: T| {
        let mut edited = experiment.clone();
        change(&mut edited, value);
        dispatch.dispatch(Action::Edit(edited));
    })
}

/// A callback that parses typed text as `T` and applies it with `apply`, or alerts with
/// `what` named when the text is not a number of that kind.
fn edit_number<T: std::str::FromStr + 'static>(
    props: &PanelProps,
    what: &'static str,
    apply: impl Fn(&mut Experiment, T) + 'static,
) -> Callback<String> {
    let edit = on_edit(props, apply);
    let dispatch = props.dispatch.clone();
    Callback::from(move |text: String| match text.trim().parse::<T>() {
        Ok(value) => edit.emit(value),
        Err(_) => dispatch.dispatch(Action::Alert(format!(
            "{what}: \"{text}\" is not a valid number; the previous value is kept."
        ))),
    })
}
