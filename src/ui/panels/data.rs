use super::{PanelProps, on_edit};
use crate::ml::data::BuiltinDataset;
use crate::protocol::RunInfo;
use crate::ui::state::AppState;
use crate::ui::widgets::{SampleGrid, SelectField};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DataPanelProps {
    pub experiment: crate::ml::experiment::Experiment,
    pub run: Option<Rc<RunInfo>>,
    pub dispatch: UseReducerDispatcher<AppState>,
}

/// Choose the dataset; see what it is and a few of its samples.
#[component]
pub fn DataPanel(props: &DataPanelProps) -> Html {
    let edit = PanelProps {
        experiment: props.experiment.clone(),
        dispatch: props.dispatch.clone(),
    };
    let dataset = props.experiment.dataset;
    let on_dataset = on_edit(&edit, |experiment, id: String| {
        if let Some(dataset) = BuiltinDataset::from_id(&id) {
            experiment.dataset = dataset;
        }
    });
    let options: Vec<(AttrValue, AttrValue)> = BuiltinDataset::ALL
        .iter()
        .map(|d| (AttrValue::from(d.id()), AttrValue::from(d.title())))
        .collect();
    let run = props
        .run
        .as_ref()
        .filter(|r| r.experiment.dataset == dataset);
    html! {
        <section class="panel data" aria-label="Data panel">
            <h2 id="data-heading">{"Data"}</h2>
            <SelectField id="dataset" label="Dataset" {options} selected={dataset.id()}
                         onchange={on_dataset} />
            <p class="description">{ dataset.description() }</p>
            <p class="facts">{ format!("Classes: {}", dataset.class_names().join(", ")) }</p>
            if let Some(run) = run {
                <p class="facts">
                    { format!("{} training and {} validation samples (seed {}).",
                              run.train_samples, run.valid_samples, run.experiment.seed) }
                </p>
                <SampleGrid items={run.preview.clone()} class_names={run.class_names.clone()}
                            label="Training samples" />
            }
        </section>
    }
}
