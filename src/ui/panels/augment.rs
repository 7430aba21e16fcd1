use super::{PanelProps, on_edit};
use crate::ml::augment::{AugmentConfig, AugmentStep, Augmentation, Preset};
use crate::ml::data::DataKind;
use crate::protocol::{AugmentPreview, GalleryItem};
use crate::ui::state::{Action, Comparison};
use crate::ui::widgets::{Checkbox, LineChart, SampleGrid, SelectField, Series, YFormat, slider};
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct AugmentPanelProps {
    pub edit: PanelProps,
    pub kind: Option<DataKind>,
    pub alphabet: Option<String>,
    pub class_names: Vec<String>,
    pub preview: Option<AugmentPreview>,
    pub comparison: Option<Comparison>,
    /// Ask for a comparison: labeled samples, epochs.
    pub on_compare: Callback<(usize, usize)>,
    /// Stop a comparison.
    pub on_stop: Callback<()>,
}

/// Compose augmentations, see what the model will be fed, and measure the effect.
#[component]
pub fn AugmentPanel(props: &AugmentPanelProps) -> Html {
    let labeled = use_state(|| None::<usize>);
    let epochs = use_state(|| 20usize);
    let Some(kind) = props.kind else {
        return html! {};
    };
    let alphabet = props.alphabet.clone();
    let config = props.edit.experiment.augment.clone();
    let fitting = Augmentation::fitting(kind, alphabet.as_deref());
    let on_preset = {
        let alphabet = alphabet.clone();
        on_edit(&props.edit, move |experiment, id: String| {
            if let Some(preset) = Preset::from_id(&id) {
                experiment.augment = AugmentConfig::preset(preset, kind, alphabet.as_deref());
            }
        })
    };
    let preset = Preset::ALL
        .into_iter()
        .find(|p| AugmentConfig::preset(*p, kind, alphabet.as_deref()) == config)
        .map_or("custom", Preset::id);
    let mut presets: Vec<(AttrValue, AttrValue)> = Preset::ALL
        .iter()
        .map(|p| (AttrValue::from(p.id()), AttrValue::from(p.title())))
        .collect();
    if preset == "custom" {
        presets.push((AttrValue::from("custom"), AttrValue::from("custom")));
    }
    let reroll = {
        let dispatch = props.edit.dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::RerollPreview))
    };
    html! {
        <section class="panel augment" aria-label="Augmentation panel">
            <h2>{"Augmentation"}</h2>
            if fitting.is_empty() {
                <p class="hint">{ format!("No augmentation fits {} yet.", kind.title()) }</p>
            } else {
                <div class="augment-layout">
                    <div class="augment-list">
                        <SelectField id="augment-preset" label="Preset" options={presets}
                                     selected={preset} onchange={on_preset} />
                        <ul class="augmentations">
                            { for fitting.iter().map(|&a| step_row(props, &config, a)) }
                        </ul>
                    </div>
                    <div class="augment-preview">
                        <div class="row">
                            <h3>{"Preview: training samples as the model sees them"}</h3>
                            <button class="small" onclick={reroll}>{"Re-roll"}</button>
                        </div>
                        { preview(props) }
                    </div>
                </div>
                { compare(props, labeled, epochs) }
            }
        </section>
    }
}

/// One augmentation: on/off, probability and magnitude, and what it assumes.
fn step_row(props: &AugmentPanelProps, config: &AugmentConfig, augmentation: Augmentation) -> Html {
    let step = config
        .steps
        .iter()
        .find(|s| s.augmentation == augmentation)
        .copied();
    let toggle = on_edit(&props.edit, move |experiment, on: bool| {
        experiment
            .augment
            .steps
            .retain(|s| s.augmentation != augmentation);
        if on {
            experiment
                .augment
                .steps
                .push(AugmentStep::new(augmentation, 0.5, 0.5));
        }
    });
    let step_slider = |what: &'static str, value: f32, set: fn(&mut AugmentStep, f32)| {
        let edit = on_edit(&props.edit, move |experiment, v: f32| {
            if let Some(step) = experiment
                .augment
                .steps
                .iter_mut()
                .find(|s| s.augmentation == augmentation)
            {
                set(step, v);
            }
        });
        let name = format!("{} {}", augmentation.title(), what);
        slider(what, name, value, (0.0, 1.0, 0.05), true, edit)
    };
    html! {
        <li class={classes!("augmentation", step.is_some().then_some("on"))}>
            <Checkbox id={format!("augment-{}", augmentation.id())} label={augmentation.title()}
                      checked={step.is_some()} onchange={toggle} />
            if let Some(step) = step {
                <div class="sliders">
                    { step_slider("probability", step.probability, |s, v| s.probability = v) }
                    { step_slider("magnitude", step.magnitude, |s, v| s.magnitude = v) }
                </div>
            }
            <p class="hint">{ augmentation.assumes() }</p>
        </li>
    }
}

fn preview(props: &AugmentPanelProps) -> Html {
    let Some(preview) = &props.preview else {
        return html! { <p class="hint">{"Drawing the preview…"}</p> };
    };
    html! {
        <div class="preview-rows" aria-label="Augmentation preview" data-seed={preview.seed.to_string()}>
            { for preview.rows.iter().enumerate().map(|(row, views)| {
                let label = preview.labels.get(row).copied().unwrap_or(0);
                let items: Vec<GalleryItem> = views
                    .iter()
                    .enumerate()
                    .map(|(index, view)| GalleryItem { index, label, prediction: None, value: None, view: view.clone() })
                    .collect();
                html! {
                    <SampleGrid {items} class_names={props.class_names.clone()}
                                label={format!("Sample {}: original, then augmented", row + 1)} />
                }
            }) }
        </div>
    }
}

/// Train with and without the augmentation on a labeled subset; both curves and the gap.
fn compare(
    props: &AugmentPanelProps,
    labeled: UseStateHandle<Option<usize>>,
    epochs: UseStateHandle<usize>,
) -> Html {
    let total = props
        .preview
        .as_ref()
        .map_or(1, |p| p.training_samples)
        .max(1);
    let labeled_value = labeled.unwrap_or(total / 10).clamp(1, total);
    let on_labeled = {
        let labeled = labeled.clone();
        Callback::from(move |e: InputEvent| {
            if let Ok(v) = e
                .target_unchecked_into::<HtmlInputElement>()
                .value()
                .parse()
            {
                labeled.set(Some(v));
            }
        })
    };
    let on_epochs = {
        let epochs = epochs.clone();
        Callback::from(move |e: Event| {
            if let Ok(v) = e
                .target_unchecked_into::<HtmlInputElement>()
                .value()
                .parse()
            {
                epochs.set(v);
            }
        })
    };
    let running = props
        .comparison
        .as_ref()
        .is_some_and(|c| c.finished.is_none());
    let start = {
        let on_compare = props.on_compare.clone();
        let epochs = *epochs;
        Callback::from(move |_: MouseEvent| on_compare.emit((labeled_value, epochs)))
    };
    let stop = props.on_stop.reform(|_: MouseEvent| ());
    html! {
        <div class="compare">
            <h3>{"Compare: with and without this augmentation"}</h3>
            <div class="row">
                <label class="slider">
                    <span>{"Labeled samples"}</span>
                    <input type="range" min="1" max={total.to_string()} step="1"
                           value={labeled_value.to_string()} aria-label="Labeled samples"
                           oninput={on_labeled} />
                    <output>{ format!("{labeled_value} of {total}") }</output>
                </label>
                <div class="field">
                    <label for="compare-epochs">{"Epochs"}</label>
                    <input id="compare-epochs" type="number" min="1" max="500" step="1"
                           value={epochs.to_string()} onchange={on_epochs} />
                </div>
                if running {
                    <button onclick={stop}>{"Stop comparison"}</button>
                } else {
                    <button class="primary" onclick={start}>{"Compare"}</button>
                }
            </div>
            if let Some(comparison) = &props.comparison {
                { comparison_view(comparison) }
            }
        </div>
    }
}

fn comparison_view(comparison: &Comparison) -> Html {
    let series = |run: usize, name: &'static str, class: &'static str| Series {
        name: name.into(),
        class,
        points: comparison.points[run]
            .iter()
            .map(|p| (p.epoch as f64, p.accuracy))
            .collect(),
    };
    let [with, without] = comparison.last_accuracy();
    let done = |run: usize| comparison.points[run].len();
    let summary = match (comparison.finished, with, without) {
        (Some(_), Some(a), Some(b)) => format!(
            "After {} epochs on {} labeled samples: {:.1}% with augmentation, {:.1}% without \
             — a gap of {:+.1} points.",
            done(0).min(done(1)),
            comparison.labeled,
            a * 100.0,
            b * 100.0,
            (a - b) * 100.0
        ),
        (Some(_), _, _) => "The comparison was stopped before both runs were evaluated.".into(),
        (None, _, _) => format!(
            "Training both runs on {} labeled samples: epoch {} and {} of {}…",
            comparison.labeled,
            done(0),
            done(1),
            comparison.epochs
        ),
    };
    html! {
        <>
            <LineChart title="Validation accuracy by epoch"
                       series={vec![series(0, "with augmentation", "train"), series(1, "without", "valid")]}
                       y_range={Some((0.0, 1.0))} y_format={YFormat::Percent} x_label="epoch" />
            <p class="facts" aria-label="Comparison result" role="status">{ summary }</p>
        </>
    }
}
