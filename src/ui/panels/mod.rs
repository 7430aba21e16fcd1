//! The panels: data, model and training, then augmentation and labeling in tabs.

mod augment;
mod data;
mod explain;
mod label;
mod lessons;
mod model;
mod training;

pub use augment::AugmentPanel;
pub use data::DataPanel;
pub use explain::ExplainPanel;
pub use label::LabelingPanel;
pub use lessons::LessonsBar;
pub use model::ModelPanel;
pub use training::TrainingPanel;

use super::state::{Action, AppState, Change};
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
///
/// The change applies to the experiment as it is when the reducer runs, not as this panel
/// last drew it: two quick edits in a row both take effect.
fn on_edit<T: Clone + 'static>(
    props: &PanelProps,
    change: impl Fn(&mut Experiment, T) + 'static,
) -> Callback<T> {
    let dispatch = props.dispatch.clone();
    let change = std::rc::Rc::new(change);
    Callback::from(move |value: T| {
        let change = change.clone();
        dispatch.dispatch(Action::Change(Change::new(move |experiment| {
            change(experiment, value.clone())
        })));
    })
}

/// A callback that parses typed text as `T` and applies it with `apply`, or alerts with
/// `what` named when the text is not a number of that kind.
fn edit_number<T: std::str::FromStr + Clone + 'static>(
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
