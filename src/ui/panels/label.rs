//! The labeling panel: label what the model asks about, accept the labels it proposes, train
//! on the unlabeled pool, measure what labels buy, and take predictions and labels out.

use super::{PanelProps, on_edit};
use crate::ml::data::{DataKind, NO_LABEL};
use crate::ml::label::budget::{BudgetConfig, summary};
use crate::ml::label::{LabelSource, QueryStrategy};
use crate::ml::pretrain::{Objective, PretrainConfig};
use crate::protocol::{
    Estimate, GalleryItem, Guesses, ProposedLabel, RunInfo, SampleView, ToWorker,
};
use crate::ui::app::Engine;
use crate::ui::state::{Action, Asked, JobProgress, LabelingState};
use crate::ui::widgets::{
    Checkbox, LineChart, NumberField, PALETTE, SampleCard, SelectField, Series, UNLABELED_FILL,
    UNLABELED_RING, YFormat, slider,
};
use crate::web;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Proposals listed per class (the rest are counted).
const PROPOSALS_LISTED: usize = 5;

#[derive(Properties, PartialEq)]
pub struct LabelingPanelProps {
    pub edit: PanelProps,
    pub labeling: LabelingState,
    pub class_names: Vec<String>,
    pub kind: Option<DataKind>,
    pub run: Option<Rc<RunInfo>>,
    pub progress: Option<JobProgress>,
    /// The share of unlabeled samples confident enough to learn, at the last report.
    pub confident: Option<f64>,
    pub engine: Engine,
    /// Whether the tab is open (keys work only then).
    pub active: bool,
    /// A labels file the user chose to import.
    pub on_import: Callback<web_sys::File>,
    /// The data's target is a measured value: a person gives values, and the tools that
    /// propose classes are left out.
    #[prop_or_default]
    pub measured: bool,
}

/// Label a few, let the model ask for the rest and propose labels.
#[component]
pub fn LabelingPanel(props: &LabelingPanelProps) -> Html {
    let dispatch = props.edit.dispatch.clone();
    let budget_config = use_state(BudgetConfig::default);
    let pretrain_config = use_state(PretrainConfig::default);
    {
        // Keys 1–9 label, S skips, Backspace undoes, whenever the tab is open and no text
        // field has focus.
        let dispatch = dispatch.clone();
        let classes = if props.measured {
            0
        } else {
            props.class_names.len()
        };
        use_effect_with((props.active, classes), move |(active, classes)| {
            let classes = *classes;
            let listener = active.then(|| {
                web::Listener::window("keydown", move |event| {
                    let Some(key) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
                        return;
                    };
                    if web::typing() || key.ctrl_key() || key.meta_key() || key.alt_key() {
                        return;
                    }
                    let action = match key.key().as_str() {
                        "s" | "S" => Some(Action::Skip),
                        "Backspace" => Some(Action::Undo),
                        digit => digit
                            .parse::<u32>()
                            .ok()
                            .filter(|&d| (1..=9).contains(&d) && d as usize <= classes)
                            .map(|d| Action::Label(d - 1)),
                    };
                    if let Some(action) = action {
                        event.prevent_default();
                        dispatch.dispatch(action);
                    }
                })
            });
            move || drop(listener)
        });
    }
    let labeling = &props.labeling;
    let run = props.run.as_ref();
    let unlabeled = labeling
        .queue
        .as_ref()
        .map(|q| q.unlabeled)
        .or(run.map(|r| r.unlabeled_samples));
    html! {
        <section class="panel labeling" aria-label="Labeling panel">
            <h2>{"Labeling"}</h2>
            { status(props) }
            if let Some(progress) = &props.progress {
                <p class="importing" role="status">
                    <progress aria-label={progress.what.clone()} max={progress.total.max(1).to_string()}
                              value={progress.done.to_string()}></progress>
                    { format!(" {}… {} / {}", progress.what, progress.done, progress.total) }
                </p>
            }
            if labeling.key.is_none() || (labeling.queue.is_none() && unlabeled != Some(0)) {
                <p class="hint">{"Scoring the unlabeled samples…"}</p>
            } else if unlabeled == Some(0) && labeling.labels.is_empty() && props.measured {
                <p class="hint" aria-label="No unlabeled samples">
                    {"Every sample of this dataset has a measured value. Rows whose target cell is \
                      empty form the pool: the model asks which of them to measure next."}
                </p>
            } else if unlabeled == Some(0) && labeling.labels.is_empty() {
                <p class="hint" aria-label="No unlabeled samples">
                    {"This dataset has no unlabeled samples. For a built-in dataset, choose Labels per \
                      class in the Data panel: the other labels are hidden and those samples become \
                      the pool. Or upload data with unlabeled samples (an unlabeled/ folder in a zip, \
                      empty labels in a CSV, null node labels)."}
                </p>
            } else {
                <div class="labeling-layout">
                    { queue_section(props) }
                    <div class="labeling-side">
                        if props.measured {
                            <p class="hint" aria-label="Pseudo-labels are for classes">
                                {"Pseudo-labels and consistency training propose classes; this dataset's \
                                  target is a measured value (regression). Measure the samples the model \
                                  asks about: each value joins the training set, and after every few the \
                                  model trains and asks again."}
                            </p>
                        } else {
                            { proposals_section(props) }
                            { consistency_section(props) }
                        }
                    </div>
                </div>
            }
            if matches!(props.kind, Some(DataKind::Image | DataKind::Sequence | DataKind::Graph)) {
                { pretrain_section(props, pretrain_config) }
            }
            if !props.measured {
                { budget_section(props, budget_config) }
            }
            { results_section(props) }
        </section>
    }
}

/// Counts: what is left, what was given, and true accuracy on the pool where known.
fn status(props: &LabelingPanelProps) -> Html {
    let labeling = &props.labeling;
    let Some(queue) = &labeling.queue else {
        return html! {};
    };
    let human = labeling.count(LabelSource::Human);
    let pseudo = labeling.count(LabelSource::Pseudo);
    let mut facts = vec![
        format!("{} unlabeled", queue.unlabeled),
        if props.measured {
            format!("{human} measured by you")
        } else {
            format!("{human} labeled by you")
        },
    ];
    if pseudo > 0 {
        facts.push(format!("{pseudo} pseudo-labels accepted"));
    }
    html! {
        <>
            <p class="facts" aria-label="Pool">{ facts.join(" · ") }</p>
            if let Some(accuracy) = queue.pool_accuracy {
                <p class="facts" aria-label="True accuracy on the pool">
                    { format!("True accuracy on the unlabeled pool: {:.1}% (the hidden labels are used only \
                               to report this, never to train), model at step {}.", accuracy * 100.0, queue.step) }
                </p>
            }
            if queue.unknown_labels > 0 {
                <p class="hint">
                    { format!("{} of your labels name samples this data no longer has (read with other \
                               options?). They are kept and count again when those samples come back.",
                              queue.unknown_labels) }
                </p>
            }
        </>
    }
}

fn class_name(names: &[String], class: u32) -> String {
    names
        .get(class as usize)
        .cloned()
        .unwrap_or_else(|| format!("class {class}"))
}

fn guesses_text(names: &[String], guesses: &Guesses) -> String {
    guesses
        .iter()
        .map(|&(c, p)| format!("{} {:.0}%", class_name(names, c), p * 100.0))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The sample asked about, the class buttons, and the queue's settings.
fn queue_section(props: &LabelingPanelProps) -> Html {
    let labeling = &props.labeling;
    let dispatch = props.edit.dispatch.clone();
    let labeling_config = &props.edit.experiment.labeling;
    let measured = props.measured;
    let strategies: Vec<(AttrValue, AttrValue)> = QueryStrategy::ALL
        .iter()
        .filter(|s| s.fits(measured))
        .map(|s| (AttrValue::from(s.id()), AttrValue::from(s.title())))
        .collect();
    let strategy = labeling_config.strategy.for_target(measured);
    let no_spread = measured
        && props.edit.experiment.model.dropout() == 0.0
        && matches!(
            strategy,
            QueryStrategy::Variance | QueryStrategy::UncertainDiversity
        );
    let on_strategy = on_edit(&props.edit, |e, id: String| {
        if let Some(strategy) = QueryStrategy::from_id(&id) {
            e.labeling.strategy = strategy;
        }
    });
    let on_retrain = super::edit_number::<usize>(&props.edit, "Retrain after", |e, v| {
        e.labeling.retrain_every = v
    });
    let asked = labeling.asked();
    let waiting = labeling.waiting();
    let class_buttons = props.class_names.iter().enumerate().map(|(k, name)| {
        let onclick = dispatch
            .to_callback()
            .reform(move |_: MouseEvent| Action::Label(k as u32));
        let key = if k < 9 {
            format!(" ({})", k + 1)
        } else {
            String::new()
        };
        html! {
            <button class="class-button" {onclick} disabled={asked.is_none()}
                    style={format!("border-color: {}", PALETTE[k % PALETTE.len()])}>
                { name.clone() }<span class="key-hint">{ key }</span>
            </button>
        }
    });
    let undo_enabled = labeling.count(LabelSource::Human) > 0;
    html! {
        <div class="queue">
            <h3>{ if measured { "Measure what the model asks about" } else { "Label what the model asks about" } }</h3>
            <div class="row">
                <SelectField id="query-strategy" label="Query strategy" options={strategies}
                             selected={strategy.id()} onchange={on_strategy} />
                <NumberField id="retrain-every" label="Retrain after (labels)"
                             value={labeling_config.retrain_every.to_string()} step="1" min="1" max="100"
                             onchange={on_retrain} />
            </div>
            if no_spread {
                <p class="hint" aria-label="No dropout">
                    {"The model has no dropout, so MC dropout cannot sample its uncertainty: the queue \
                      is in random order (with diversity, by diversity alone). Set Dropout above 0 in \
                      the Model panel and train again."}
                </p>
            }
            if let Some(asked) = &asked {
                { asked_view(props, asked) }
            } else {
                <p class="hint" aria-label="Asked sample">
                    { if labeling.queue.as_ref().is_some_and(|q| q.unlabeled == 0) {
                        "Every sample has a label."
                    } else {
                        "The queue is empty: the model is training on your labels and scores the pool again…"
                    } }
                </p>
            }
            if measured {
                { value_form(props, asked.as_ref()) }
            } else {
                <div class="class-buttons" role="group" aria-label="Label as">{ for class_buttons }</div>
            }
            <div class="row">
                <button onclick={dispatch.to_callback().reform(|_: MouseEvent| Action::Skip)} disabled={asked.is_none()}>
                    {"Skip"}<span class="key-hint">{" (S)"}</span>
                </button>
                <button onclick={dispatch.to_callback().reform(|_: MouseEvent| Action::Undo)} disabled={!undo_enabled}>
                    {"Undo"}<span class="key-hint">{" (Backspace)"}</span>
                </button>
                <span class="facts" aria-label="Queue">
                    { format!("{waiting} in the queue; the model trains and asks again after every {} {}.",
                              labeling_config.retrain_every, if measured { "values" } else { "labels" }) }
                </span>
            </div>
            if let Some(queue) = &labeling.queue && !queue.nodes.is_empty() {
                { pick_graph(props, asked.as_ref()) }
            }
        </div>
    }
}

/// The asked sample drawn large, with the model's top guesses.
fn asked_view(props: &LabelingPanelProps, asked: &Asked) -> Html {
    let names = &props.class_names;
    let guesses = match asked.estimate {
        Some(estimate) => format!(
            "the model predicts {}",
            estimate_text(target_name(names), estimate)
        ),
        None => format!(
            "the model's guesses: {}",
            guesses_text(names, &asked.guesses)
        ),
    };
    let view = match &asked.view {
        Some(SampleView::Letters { alphabet, letters }) => letters_view(alphabet, letters),
        Some(SampleView::Network { .. }) | None => html! {},
        Some(view) => html! {
            <SampleCard item={GalleryItem { index: 0, label: NO_LABEL, prediction: None, value: None, view: view.clone() }}
                        class_names={names.clone()} />
        },
    };
    let on_explain = {
        let dispatch = props.edit.dispatch.clone();
        let sample = asked.sample;
        Callback::from(move |_: MouseEvent| {
            dispatch.dispatch(Action::ExplainSample(sample));
        })
    };
    html! {
        <div class="asked" aria-label="Asked sample" data-id={asked.id.clone()}>
            { view }
            <p class="facts">
                <span class="asked-id">{ asked.id.clone() }</span>
                { format!(" — {guesses}") }
                {" "}
                <button onclick={on_explain}>{"Why? Explain this sample"}</button>
            </p>
        </div>
    }
}

/// The name of a measured target (its column's header).
fn target_name(names: &[String]) -> &str {
    names.first().map_or("value", String::as_str)
}

/// `logP 1.23 ± 0.40`: a predicted value and its spread under MC dropout.
fn estimate_text(name: &str, estimate: Estimate) -> String {
    match estimate.spread {
        Some(spread) => format!("{name} {:.2} ± {spread:.2}", estimate.value),
        None => format!("{name} {:.2}", estimate.value),
    }
}

/// For a measured target: the value a person measured for the asked sample.
fn value_form(props: &LabelingPanelProps, asked: Option<&Asked>) -> Html {
    let name = target_name(&props.class_names).to_string();
    let input = NodeRef::default();
    let onsubmit = {
        let input = input.clone();
        let dispatch = props.edit.dispatch.clone();
        let name = name.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(field) = input.cast::<HtmlInputElement>() else {
                return;
            };
            let text = field.value();
            match text.trim().parse::<f32>() {
                Ok(value) if value.is_finite() => {
                    field.set_value("");
                    dispatch.dispatch(Action::Measure(value));
                }
                _ => dispatch.dispatch(Action::Alert(format!(
                    "Measured {name}: \"{text}\" is not a number; nothing was saved."
                ))),
            }
        })
    };
    html! {
        <form class="row value-form" {onsubmit} aria-label="Measured value">
            <label for="measured-value">{ format!("Measured {name}") }</label>
            <input id="measured-value" ref={input} type="text" inputmode="decimal"
                   autocomplete="off" disabled={asked.is_none()} />
            <button type="submit" class="primary" disabled={asked.is_none()}>{"Save value"}</button>
        </form>
    }
}

/// A letter sequence as text, each letter coloured, readable.
fn letters_view(alphabet: &str, letters: &str) -> Html {
    let spans = letters.chars().map(|c| {
        let colour = alphabet
            .chars()
            .position(|a| a == c)
            .map_or("#495057", |k| PALETTE[k % PALETTE.len()]);
        html! { <span style={format!("color: {colour}")}>{ c }</span> }
    });
    html! {
        <p class="letters" aria-label={format!("sequence of {} letters: {letters}", letters.chars().count())}>
            { for spans }
        </p>
    }
}

/// A node dataset's graph: labeled nodes in their class colour, unlabeled ones white and
/// clickable (a person picks the node to label), the asked node emphasised.
fn pick_graph(props: &LabelingPanelProps, asked: Option<&Asked>) -> Html {
    let Some(queue) = &props.labeling.queue else {
        return html! {};
    };
    let Some(SampleView::Network {
        positions,
        edges,
        truth,
        ..
    }) = queue.items.first().map(|i| &i.view)
    else {
        return html! {};
    };
    let labeled: std::collections::HashMap<&str, u32> = props
        .labeling
        .labels
        .iter()
        .map(|l| (l.id.as_str(), l.class))
        .collect();
    let pool: std::collections::HashMap<u32, &str> = queue
        .nodes
        .iter()
        .map(|(n, id, _)| (*n, id.as_str()))
        .collect();
    let at = |i: u32| positions.get(i as usize).copied().unwrap_or((0.5, 0.5));
    let links = edges.iter().map(|&[a, b]| {
        let (pa, pb) = (at(a), at(b));
        html! { <line x1={(pa.0 * 300.0).to_string()} y1={(pa.1 * 300.0).to_string()}
        x2={(pb.0 * 300.0).to_string()} y2={(pb.1 * 300.0).to_string()} /> }
    });
    let nodes = positions.iter().enumerate().map(|(i, p)| {
        let node = i as u32;
        let (cx, cy) = ((p.0 * 300.0).to_string(), (p.1 * 300.0).to_string());
        let emphasised = asked.and_then(|a| a.node) == Some(node);
        match pool.get(&node) {
            Some(id) => {
                let given = labeled.get(id).copied();
                let fill = given.map_or(UNLABELED_FILL, |c| PALETTE[c as usize % PALETTE.len()]);
                let name = match given {
                    Some(c) => format!("node {id}, labeled {} by you", class_name(&props.class_names, c)),
                    None => format!("node {id}, unlabeled"),
                };
                let pick = {
                    let id = id.to_string();
                    props.edit.dispatch.to_callback().reform(move |_: MouseEvent| Action::Pick(id.clone()))
                };
                let pick_key = {
                    let id = id.to_string();
                    let dispatch = props.edit.dispatch.clone();
                    Callback::from(move |e: KeyboardEvent| {
                        if e.key() == "Enter" || e.key() == " " {
                            e.prevent_default();
                            e.stop_propagation();
                            dispatch.dispatch(Action::Pick(id.clone()));
                        }
                    })
                };
                html! {
                    <circle {cx} {cy} r={if emphasised { "8" } else { "5" }} fill={fill}
                            stroke={UNLABELED_RING} class={classes!("pickable", emphasised.then_some("asked-node"))}
                            role="button" tabindex="0" aria-label={name.clone()}
                            onclick={pick} onkeydown={pick_key}>
                        <title>{ name }</title>
                    </circle>
                }
            }
            None => {
                let class = truth.get(i).copied().unwrap_or(NO_LABEL);
                let colour = if class == NO_LABEL { UNLABELED_RING } else { PALETTE[class as usize % PALETTE.len()] };
                html! {
                    <circle {cx} {cy} r="4" fill={colour} stroke={colour}>
                        <title>{ format!("node {i}: {}", if class == NO_LABEL { "unlabeled".into() } else { class_name(&props.class_names, class) }) }</title>
                    </circle>
                }
            }
        }
    });
    html! {
        <figure class="pick-graph">
            <svg class="sample-network" viewBox="0 0 300 300" role="group"
                 aria-label="Graph: pick an unlabeled node to label">
                <g class="edges">{ for links }</g>
                { for nodes }
            </svg>
            <figcaption class="hint">{"Filled: labeled (from the data or by you). White: unlabeled — click one to label it. The large node is the one asked about."}</figcaption>
        </figure>
    }
}

/// Pseudo-labels: the confident predictions, per class, to accept or reject.
fn proposals_section(props: &LabelingPanelProps) -> Html {
    let labeling = &props.labeling;
    let config = &props.edit.experiment.labeling;
    let dispatch = props.edit.dispatch.clone();
    let on_threshold = on_edit(&props.edit, |e, v: f32| e.labeling.threshold = v);
    let on_balanced = on_edit(&props.edit, |e, on: bool| e.labeling.class_balanced = on);
    let on_weight = on_edit(&props.edit, |e, v: f32| e.labeling.pseudo_weight = v);
    let shown: Vec<&ProposedLabel> = labeling
        .proposals
        .as_ref()
        .map(|p| {
            p.items
                .iter()
                .filter(|item| !labeling.labels.iter().any(|l| l.id == item.id))
                .collect()
        })
        .unwrap_or_default();
    let per_class = props.class_names.iter().enumerate().map(|(k, name)| {
        let items: Vec<&&ProposedLabel> = shown.iter().filter(|p| p.class as usize == k).collect();
        if items.is_empty() {
            return html! {};
        }
        html! {
            <li>
                <h4>{ format!("{name}: {} proposed", items.len()) }</h4>
                <ul class="proposal-list">
                    { for items.iter().take(PROPOSALS_LISTED).map(|p| proposal(props, p)) }
                </ul>
            </li>
        }
    });
    let correct = labeling.proposals.as_ref().and_then(|p| p.correct);
    html! {
        <div class="proposals">
            <h3>{"Pseudo-labels: what the model is sure of"}</h3>
            { slider("Confidence threshold", "Confidence threshold".into(), config.threshold, (0.5, 1.0, 0.01), false, on_threshold) }
            <Checkbox id="class-balanced" label="At most as many per class as the rarest class"
                      checked={config.class_balanced} onchange={on_balanced} />
            { slider("Pseudo-label weight", "Pseudo-label weight".into(), config.pseudo_weight, (0.05, 1.0, 0.05), false, on_weight) }
            <p class="facts" aria-label="Proposals">
                { format!("{} unlabeled samples above {:.0}% confidence{}.", shown.len(), config.threshold * 100.0,
                          match correct {
                              Some(c) if !shown.is_empty() => format!(" ({c} of them right by the hidden labels)"),
                              _ => String::new(),
                          }) }
            </p>
            if !shown.is_empty() {
                <button onclick={dispatch.to_callback().reform(|_: MouseEvent| Action::AcceptProposals(None))}>
                    { format!("Accept all {}", shown.len()) }
                </button>
                <ul class="proposal-classes">{ for per_class }</ul>
            }
            <p class="hint">{"Accepted pseudo-labels train the model like your labels, weighted as set above, and are marked as pseudo-labels everywhere (exports included)."}</p>
        </div>
    }
}

fn proposal(props: &LabelingPanelProps, item: &ProposedLabel) -> Html {
    let dispatch = &props.edit.dispatch;
    let accept = {
        let id = item.id.clone();
        dispatch
            .to_callback()
            .reform(move |_: MouseEvent| Action::AcceptProposals(Some(id.clone())))
    };
    let reject = {
        let id = item.id.clone();
        dispatch
            .to_callback()
            .reform(move |_: MouseEvent| Action::RejectProposal(id.clone()))
    };
    let view = match &item.view {
        Some(SampleView::Network { .. }) | None => html! {},
        Some(view) => html! {
            <SampleCard item={GalleryItem { index: 0, label: item.class, prediction: Some((item.class, item.confidence)), value: None, view: view.clone() }}
                        class_names={props.class_names.clone()} />
        },
    };
    html! {
        <li class="proposal" aria-label={format!("Proposal for {}", item.id)}>
            { view }
            <span class="facts">{ item.id.clone() }</span>
            <button class="small" onclick={accept} aria-label={format!("Accept the proposal for {}", item.id)}>{"Accept"}</button>
            <button class="small" onclick={reject} aria-label={format!("Reject the proposal for {}", item.id)}>{"Reject"}</button>
        </li>
    }
}

/// Consistency training on the pool (FixMatch).
fn consistency_section(props: &LabelingPanelProps) -> Html {
    let config = &props.edit.experiment.labeling;
    let on_toggle = on_edit(&props.edit, |e, on: bool| e.labeling.consistency = on);
    let on_weight = on_edit(&props.edit, |e, v: f32| e.labeling.consistency_weight = v);
    let on_ratio = super::edit_number::<usize>(&props.edit, "Unlabeled per labeled", |e, v| {
        e.labeling.unlabeled_ratio = v
    });
    html! {
        <div class="consistency">
            <h3>{"Learn from the unlabeled samples too"}</h3>
            <Checkbox id="consistency" label="Consistency training" checked={config.consistency}
                      onchange={on_toggle} />
            <p class="hint">
                {"Each step also draws unlabeled samples: a lightly augmented copy proposes a label \
                  where the model is at least as confident as the threshold above, and a strongly \
                  augmented copy (your augmentation, or the strong preset) learns it (FixMatch, with \
                  the proposals' class balance aligned)."}
            </p>
            if config.consistency {
                { slider("Unlabeled loss weight", "Unlabeled loss weight".into(), config.consistency_weight, (0.0, 5.0, 0.1), false, on_weight) }
                <NumberField id="unlabeled-ratio" label="Unlabeled per labeled sample"
                             value={config.unlabeled_ratio.to_string()} step="1" min="1" max="8"
                             onchange={on_ratio} />
                if let Some(share) = props.confident {
                    <p class="facts" aria-label="Confident share">
                        { format!("{:.0}% of the unlabeled samples drawn were confident enough to learn from.", share * 100.0) }
                    </p>
                }
            }
        </div>
    }
}

/// Self-supervised pretraining on every sample, and what runs start from.
fn pretrain_section(props: &LabelingPanelProps, config: UseStateHandle<PretrainConfig>) -> Html {
    let pretrain = props.labeling.pretrain.as_ref();
    let running = pretrain.is_some_and(|p| p.finished.is_none());
    let setting = |what: &'static str,
                   id: &'static str,
                   value: String,
                   step: &'static str,
                   set: fn(&mut PretrainConfig, f64)| {
        let config = config.clone();
        let dispatch = props.edit.dispatch.clone();
        let onchange = Callback::from(move |text: String| match text.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => {
                let mut next = *config;
                set(&mut next, v);
                config.set(next);
            }
            _ => dispatch.dispatch(Action::Alert(format!(
                "{what}: \"{text}\" is not a valid number; the previous value is kept."
            ))),
        });
        html! { <NumberField id={id} label={what} value={value} step={step} min="0" {onchange} /> }
    };
    // Masked prediction is for sequences; other data is pretrained by contrast.
    let sequences = props.kind == Some(DataKind::Sequence);
    let objective = if sequences {
        config.objective
    } else {
        Objective::Contrastive
    };
    let run = {
        let engine = props.engine.clone();
        let config = PretrainConfig {
            objective,
            ..*config
        };
        Callback::from(move |_: MouseEvent| engine.send(ToWorker::Pretrain(config)))
    };
    let on_objective = {
        let config = config.clone();
        Callback::from(move |id: String| {
            if let Some(objective) = Objective::from_id(&id) {
                config.set(PretrainConfig {
                    objective,
                    ..*config
                });
            }
        })
    };
    let objectives: Vec<(AttrValue, AttrValue)> = vec![
        (
            Objective::Contrastive.id().into(),
            "Contrastive: two augmented views agree (SimCLR)".into(),
        ),
        (
            Objective::Masked.id().into(),
            "Masked prediction: fill in hidden positions".into(),
        ),
    ];
    let cancel = {
        let engine = props.engine.clone();
        Callback::from(move |_: MouseEvent| engine.send(ToWorker::Pause))
    };
    let scratch = {
        let engine = props.engine.clone();
        Callback::from(move |_: MouseEvent| engine.send(ToWorker::StartFromScratch))
    };
    let on_file = {
        let (engine, dispatch) = (props.engine.clone(), props.edit.dispatch.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let files = input.files().map(|l| web::files_of(&l)).unwrap_or_default();
            input.set_value("");
            let (engine, dispatch) = (engine.clone(), dispatch.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match web::read_files(files).await {
                    Ok(read) if !read.names.is_empty() => {
                        engine.start_from_file(&read.names[0], &read.buffers[0])
                    }
                    Ok(_) => {}
                    Err(message) => dispatch.dispatch(Action::Alert(message)),
                }
            });
        })
    };
    let on_head_only = on_edit(&props.edit, |e, on: bool| e.head_only = on);
    let start = match &props.labeling.starting_point {
        Some(point) => format!("Runs start from {}: {}.", point.origin, point.taken),
        None => "Runs start from freshly initialised weights.".into(),
    };
    html! {
        <div class="pretrain">
            <h3>{"Learn from every sample first: self-supervised pretraining"}</h3>
            <p class="hint">
                {"Without reading a label, the model's encoder learns to match two augmented views of \
                  each sample (your augmentation, or the strong preset) against the other samples' views \
                  (SimCLR's contrastive loss, NT-Xent), on every training and unlabeled sample. Sequences \
                  can instead learn to fill in positions hidden from them (masked prediction, as BERT). \
                  The run then starts from that encoder with a new head: fine-tune every layer, or \
                  train the head only (a linear probe). With a few labels per class the probe often \
                  keeps more of what was learnt, and more pretraining steps learn more. The embeddings \
                  view shows the pretrained space before any label is learnt."}
            </p>
            if sequences {
                <SelectField id="pretrain-objective" label="Pretraining task" options={objectives}
                             selected={AttrValue::from(objective.id())} onchange={on_objective} />
            }
            <div class="row">
                { setting("Pretraining steps", "pretrain-steps", config.steps.to_string(), "50", |c, v| c.steps = v.round().max(0.0) as usize) }
                { setting("Pretraining learning rate", "pretrain-rate", config.learning_rate.to_string(), "0.001", |c, v| c.learning_rate = v) }
                if objective == Objective::Contrastive {
                    { setting("Temperature", "pretrain-temperature", config.temperature.to_string(), "0.05", |c, v| c.temperature = v as f32) }
                } else {
                    { setting("Share of positions hidden", "pretrain-mask-share", config.mask_share.to_string(), "0.05", |c, v| c.mask_share = v as f32) }
                }
                if running {
                    <button onclick={cancel}>{"Cancel"}</button>
                } else {
                    <button class="primary" onclick={run}>{"Pretrain"}</button>
                }
            </div>
            if let Some(pretrain) = pretrain {
                <LineChart title={ if pretrain.masked { "Masked-prediction loss by step" } else { "Contrastive loss (NT-Xent) by step" } }
                           series={vec![Series {
                               name: "loss".into(),
                               class: "train",
                               points: pretrain.losses.iter().map(|&(s, l)| (s as f64, l)).collect(),
                           }]} />
                <p class="facts" role="status" aria-label="Pretraining result">
                    { match pretrain.finished {
                        Some(true) => format!("Pretrained on {} samples for {} steps; final loss {:.3}.",
                                              pretrain.samples, pretrain.steps,
                                              pretrain.losses.last().map_or(f64::NAN, |p| p.1)),
                        Some(false) => "Pretraining was cancelled: runs start as before.".into(),
                        None => format!("Pretraining on {} samples…", pretrain.samples),
                    } }
                </p>
            }
            <Checkbox id="head-only" label="Train the head only (linear probe)"
                      checked={props.edit.experiment.head_only} onchange={on_head_only} />
            <p class="facts" role="status" aria-label="Starting point">{ start }</p>
            <div class="row">
                if props.labeling.starting_point.is_some() {
                    <button onclick={scratch}>{"Start from fresh weights"}</button>
                }
                <span class="upload-inline">
                    <label for="start-from-file" class="button">{"Start from a model file"}</label>
                    <input id="start-from-file" class="sr-only" type="file"
                           accept=".petri,.safetensors" onchange={on_file} />
                </span>
            </div>
            <p class="hint">
                {"A model file (Export model) or an experiment file (.petri) trained on other data of \
                  the same kind: its layers that match this model's by name and shape are taken, the \
                  others named here and left new."}
            </p>
        </div>
    }
}

/// The label-budget experiment: accuracy against labels, per strategy and training.
fn budget_section(props: &LabelingPanelProps, config: UseStateHandle<BudgetConfig>) -> Html {
    let budget = props.labeling.budget.as_ref();
    let running = budget.is_some_and(|b| b.finished.is_none());
    let builtin = props.edit.experiment.dataset.builtin().is_some();
    let number = |what: &'static str,
                  id: &'static str,
                  value: usize,
                  set: fn(&mut BudgetConfig, usize)| {
        let config = config.clone();
        let dispatch = props.edit.dispatch.clone();
        let onchange = Callback::from(move |text: String| match text.trim().parse::<usize>() {
            Ok(v) => {
                let mut next = *config;
                set(&mut next, v);
                config.set(next);
            }
            Err(_) => dispatch.dispatch(Action::Alert(format!(
                "{what}: \"{text}\" is not a valid number; the previous value is kept."
            ))),
        });
        html! { <NumberField id={id} label={what} value={value.to_string()} step="1" min="0" {onchange} /> }
    };
    let run = {
        let engine = props.engine.clone();
        let config = *config;
        Callback::from(move |_: MouseEvent| engine.send(ToWorker::RunBudget(config)))
    };
    let cancel = {
        let engine = props.engine.clone();
        Callback::from(move |_: MouseEvent| engine.send(ToWorker::Pause))
    };
    html! {
        <div class="budget">
            <h3>{"What do labels buy? The label-budget experiment"}</h3>
            if builtin {
                <p class="hint">
                    { format!("Petri plays the person who labels, using the hidden labels: starting from a few \
                               labels per class, each round it labels the samples a strategy asks for and trains \
                               on. Four curves — random and {} picks, each with labeled-only and with \
                               consistency training — from the same start; with pretraining steps, also labeled-only curves \
                               that start from an encoder pretrained on the pool without labels.",
                              props.edit.experiment.labeling.strategy.title().to_lowercase()) }
                </p>
                <div class="row">
                    { number("Starting labels per class", "budget-start", config.start_per_class, |c, v| c.start_per_class = v) }
                    { number("Labels per round", "budget-per-round", config.per_round, |c, v| c.per_round = v) }
                    { number("Rounds", "budget-rounds", config.rounds, |c, v| c.rounds = v) }
                    { number("Steps per round", "budget-steps", config.steps_per_round, |c, v| c.steps_per_round = v) }
                    { number("Pretraining steps for pretrained curves (0: none)", "budget-pretrain", config.pretrain_steps, |c, v| c.pretrain_steps = v) }
                    if running {
                        <button onclick={cancel}>{"Cancel"}</button>
                    } else {
                        <button class="primary" onclick={run}>{"Run label-budget experiment"}</button>
                    }
                </div>
            } else {
                <p class="hint">{"It needs a built-in dataset, whose hidden labels Petri knows."}</p>
            }
            if let Some(budget) = budget {
                { budget_view(budget) }
            }
        </div>
    }
}

fn budget_view(budget: &crate::ui::state::BudgetView) -> Html {
    const CLASSES: [&str; 6] = ["arm0", "arm1", "arm2", "arm3", "arm4", "arm5"];
    let series: Vec<Series> = budget
        .arms
        .iter()
        .zip(&budget.curves)
        .enumerate()
        .map(|(k, (arm, curve))| Series {
            name: arm.title().into(),
            class: CLASSES[k % CLASSES.len()],
            points: curve
                .iter()
                .map(|p| (p.labels as f64, p.accuracy))
                .collect(),
        })
        .collect();
    let sentence = match budget.finished {
        Some(true) => summary(&budget.arms, &budget.curves),
        Some(false) => "The experiment was cancelled.".into(),
        None => "Running…".into(),
    };
    html! {
        <>
            <LineChart title="Validation accuracy by labels" {series} y_range={Some((0.0, 1.0))}
                       y_format={YFormat::Percent} x_label="labels" />
            <p class="facts" role="status" aria-label="Label-budget result">{ sentence }</p>
        </>
    }
}

/// The held-out test set, and files out and in.
fn results_section(props: &LabelingPanelProps) -> Html {
    let send = |message: ToWorker| {
        let engine = props.engine.clone();
        Callback::from(move |_: MouseEvent| engine.send(message.clone()))
    };
    let test_samples = props.run.as_ref().map_or(0, |r| r.test_samples);
    let on_file = {
        let on_import = props.on_import.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                on_import.emit(file);
            }
            input.set_value("");
        })
    };
    html! {
        <div class="results">
            <h3>{"Results and files"}</h3>
            <div class="row">
                <button onclick={send(ToWorker::EvaluateTest)}>{"Evaluate on the test set"}</button>
                <button onclick={send(ToWorker::ExportPredictions)}>{"Export predictions"}</button>
                <button onclick={send(ToWorker::ExportLabels)}>
                    { if props.measured { "Export values" } else { "Export labels" } }
                </button>
                <span class="upload-inline">
                    <label for="import-labels" class="button">
                        { if props.measured { "Import values" } else { "Import labels" } }
                    </label>
                    <input id="import-labels" class="sr-only" type="file" accept=".csv,text/csv" onchange={on_file} />
                </span>
            </div>
            if let Some(test) = &props.labeling.test {
                if let Some(errors) = &test.regression {
                    <p class="facts" aria-label="Test errors" role="status">
                        { format!("Test RMSE {:.3}, MAE {:.3}, R² {:.3} on {} held-out samples (model at step {}).",
                                  errors.rmse, errors.mae, errors.r2, test.samples, test.step) }
                    </p>
                } else {
                    <p class="facts" aria-label="Test accuracy" role="status">
                        { format!("Test accuracy: {:.1}% on {} held-out samples (model at step {}).",
                                  test.accuracy * 100.0, test.samples, test.step) }
                    </p>
                }
            }
            <p class="hint">
                { if test_samples > 0 {
                    format!("The {test_samples} test samples are never trained on or used to choose settings; \
                             looking at their accuracy often, and changing things until it improves, fits your \
                             choices to them and defeats their purpose.")
                } else {
                    "This dataset has no held-out test part.".to_string()
                } }
            </p>
            if props.measured {
                <p class="hint">{"Predictions: a CSV of every sample (training, validation, test, unlabeled): id (and the SMILES of a molecule), split, target (the measured value) and predicted, in the target's units; a sample you measured is in the training split. Values: id,value,source."}</p>
            } else {
                <p class="hint">{"Predictions: a CSV of every sample (training, validation, test, unlabeled) with its id (and the SMILES of a molecule), its label, who gave it, the predicted class, its confidence and every class's probability. Labels: id,label,source (human or pseudo)."}</p>
            }
        </div>
    }
}
