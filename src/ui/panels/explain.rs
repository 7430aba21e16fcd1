//! The explain panel: what in a sample drove the model's decision (attribution maps), what the
//! model represents (activations, embeddings in the plane, similarity between layers), and
//! whether the attribution methods can be trusted (checked against the true regions of the
//! built-in data and against a randomised model).

use super::PanelProps;
use crate::ml::data::{DataKind, NO_LABEL};
use crate::ml::explain::{AttributionMethod, Baseline};
use crate::ml::label::Part;
use crate::ml::models::{GnnKind, ModelConfig};
use crate::protocol::{
    AttentionView, AttributionCheck, AttributionView, FilterKernels, LabelOrigin, LayerActivations,
    LayerSimilarity, LayersAgainst, Projection, ProjectionView, RunInfo, SampleRef, SampleView,
    ToWorker,
};
use crate::ui::app::Engine;
use crate::ui::heat::{activation_map, kernel_image, logo, overlay, similarity_colours};
use crate::ui::state::{Action, ExplainJob, ExplainState, JobProgress};
use crate::ui::widgets::{Checkbox, NumberField, PALETTE, SelectField, slider};
use crate::web;
use std::rc::Rc;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ExplainPanelProps {
    pub edit: PanelProps,
    pub explain: ExplainState,
    pub class_names: Vec<String>,
    pub kind: Option<DataKind>,
    pub run: Option<Rc<RunInfo>>,
    pub progress: Option<JobProgress>,
    pub engine: Engine,
    /// Whether the augmentation comparison has ended (its runs can be compared).
    pub runs_compared: bool,
}

/// The method settings a person can change.
#[derive(Clone, PartialEq)]
struct Settings {
    sample: SampleRef,
    /// `None`: the predicted class.
    class: Option<u32>,
    method: &'static str,
    smooth_samples: usize,
    noise: f32,
    steps: usize,
    baseline: Baseline,
    window: Option<usize>,
    stride: Option<usize>,
    layer: Option<usize>,
    opacity: f32,
    signed: bool,
    colour_by: ColourBy,
    /// Project every sample, not only the validation set.
    every_sample: bool,
    checked: usize,
    /// What the layers are compared with.
    against: LayersAgainst,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            sample: SampleRef::valid(0),
            class: None,
            method: "saliency",
            smooth_samples: 16,
            noise: 0.15,
            steps: 32,
            baseline: Baseline::Zeros,
            window: None,
            stride: None,
            layer: None,
            opacity: 0.7,
            signed: false,
            colour_by: ColourBy::Truth,
            every_sample: false,
            checked: 20,
            against: LayersAgainst::Itself,
        }
    }
}

/// What the points of the embeddings are coloured by.
#[derive(Clone, Copy, PartialEq)]
enum ColourBy {
    Truth,
    Prediction,
    Source,
}

impl ColourBy {
    const ALL: [ColourBy; 3] = [ColourBy::Truth, ColourBy::Prediction, ColourBy::Source];

    fn id(self) -> &'static str {
        match self {
            ColourBy::Truth => "truth",
            ColourBy::Prediction => "prediction",
            ColourBy::Source => "source",
        }
    }

    fn title(self) -> &'static str {
        match self {
            ColourBy::Truth => "Label",
            ColourBy::Prediction => "Prediction",
            ColourBy::Source => "Label source",
        }
    }
}

/// The colour of each label source in the embeddings.
fn origin_colour(origin: LabelOrigin) -> &'static str {
    match origin {
        LabelOrigin::Data => "#1c7ed6",
        LabelOrigin::Human => "#e8590c",
        LabelOrigin::Pseudo => "#7048e8",
        LabelOrigin::Unlabeled => "#adb5bd",
    }
}

const BASELINES: [(Baseline, &str); 4] = [
    (Baseline::Zeros, "Zeros"),
    (Baseline::Blurred, "Blurred input"),
    (Baseline::DatasetMean, "Dataset mean"),
    (Baseline::Noise, "Uniform noise"),
];

/// The conv blocks of a conv model (Grad-CAM's layers).
fn conv_blocks(model: &ModelConfig) -> usize {
    match model {
        ModelConfig::Cnn(c) => c.blocks.len(),
        ModelConfig::Cnn1d(c) => c.blocks.len(),
        _ => 0,
    }
}

/// Whether the model attends: a Transformer, or a GAT.
fn has_attention(model: &ModelConfig) -> bool {
    match model {
        ModelConfig::Transformer(_) => true,
        ModelConfig::Gnn(gnn) => gnn.kind == GnnKind::Gat,
        _ => false,
    }
}

/// The methods on offer for this model and data, with the person's settings.
fn methods(props: &ExplainPanelProps, settings: &Settings) -> Vec<AttributionMethod> {
    let model = &props.edit.experiment.model;
    let blocks = conv_blocks(model);
    let kind = props.kind.unwrap_or(DataKind::Image);
    AttributionMethod::defaults(model.family(), kind, blocks)
        .into_iter()
        .map(|method| match method {
            AttributionMethod::SmoothGrad { .. } => AttributionMethod::SmoothGrad {
                samples: settings.smooth_samples,
                noise: settings.noise,
            },
            AttributionMethod::IntegratedGradients { .. } => {
                AttributionMethod::IntegratedGradients {
                    steps: settings.steps,
                    baseline: settings.baseline,
                }
            }
            AttributionMethod::Occlusion { size, stride } => AttributionMethod::Occlusion {
                size: settings.window.unwrap_or(size),
                stride: settings.stride.unwrap_or(stride),
            },
            AttributionMethod::GradCam { layer } => AttributionMethod::GradCam {
                layer: settings
                    .layer
                    .unwrap_or(layer)
                    .min(blocks.saturating_sub(1)),
            },
            other => other,
        })
        .collect()
}

/// What in a sample drove the decision, and what the model learned.
#[component]
pub fn ExplainPanel(props: &ExplainPanelProps) -> Html {
    let settings = use_state(Settings::default);
    let explain = &props.explain;
    let set = {
        let settings = settings.clone();
        move |change: fn(&mut Settings, String)| {
            let settings = settings.clone();
            Callback::from(move |text: String| {
                let mut next = (*settings).clone();
                change(&mut next, text);
                settings.set(next);
            })
        }
    };
    let all_methods = methods(props, &settings);
    let method = all_methods
        .iter()
        .find(|m| m.id() == settings.method)
        .copied()
        .unwrap_or(AttributionMethod::Saliency);
    let send_explain = {
        let engine = props.engine.clone();
        let dispatch = props.edit.dispatch.clone();
        let settings = settings.clone();
        move |sample: SampleRef| {
            engine.send(ToWorker::Explain {
                sample,
                class: settings.class,
                method,
                baseline: settings.baseline,
            });
            dispatch.dispatch(Action::ExplainStarted(ExplainJob::Attribution));
        }
    };
    let on_explain = {
        let send = send_explain.clone();
        let sample = settings.sample;
        Callback::from(move |_: MouseEvent| send(sample))
    };
    let on_cancel = {
        let engine = props.engine.clone();
        Callback::from(move |_: MouseEvent| engine.send(ToWorker::Pause))
    };
    {
        // A sample picked on a gallery card: explain it with the method chosen here.
        let send = send_explain.clone();
        let settings = settings.clone();
        use_effect_with(explain.pick, move |pick| {
            if let Some((_, sample)) = *pick {
                settings.set(Settings {
                    sample,
                    ..(*settings).clone()
                });
                send(sample);
            }
        });
    }
    let Some(run) = &props.run else {
        return html! {
            <section class="panel explain" aria-label="Explain panel">
                <h2>{"Explain"}</h2>
                <p class="hint">{"Train a model first (or press Step): then explain its decisions here."}</p>
                if props.runs_compared {
                    { similarity_section(props, &settings) }
                }
            </section>
        };
    };
    let running = explain.running;
    let valid = run.valid_samples;
    let class_options: Vec<(AttrValue, AttrValue)> =
        std::iter::once(("predicted".into(), "Predicted class".into()))
            .chain(
                props
                    .class_names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (i.to_string().into(), n.clone().into())),
            )
            .collect();
    let method_options: Vec<(AttrValue, AttrValue)> = all_methods
        .iter()
        .map(|m| (m.id().into(), m.title().into()))
        .collect();
    let progress = props.progress.as_ref().filter(|_| running.is_some());
    html! {
        <section class="panel explain" aria-label="Explain panel">
            <h2>{"Explain"}</h2>
            <div class="explain-layout">
                <div class="explain-attribution">
                    <h3>{"Attribution"}</h3>
                    <p class="hint">{ format!("Pick one of the {valid} validation samples by its index, or click a point of the embeddings below, a gallery card or a sample of the labeling queue.") }</p>
                    if settings.sample.part != Part::Valid {
                        <p class="facts">{ format!("Picked: {}. Type an index to pick a validation sample instead.", settings.sample.describe()) }</p>
                    }
                    <div class="fields">
                        <NumberField id="explain-sample" label="Validation sample"
                                     value={if settings.sample.part == Part::Valid { settings.sample.index.to_string() } else { String::new() }}
                                     step="1" min={Some(AttrValue::from("0"))} max={Some(AttrValue::from(valid.saturating_sub(1).to_string()))}
                                     onchange={set(|s, t| if let Ok(v) = t.trim().parse() { s.sample = SampleRef::valid(v) })} />
                        <SelectField id="explain-class" label="Class" options={class_options}
                                     selected={settings.class.map_or("predicted".to_string(), |c| c.to_string())}
                                     onchange={set(|s, t| s.class = t.parse().ok())} />
                        <SelectField id="explain-method" label="Method" options={method_options}
                                     selected={method.id()}
                                     onchange={set(|s, t| s.method = match t.as_str() {
                                         "gradient-times-input" => "gradient-times-input",
                                         "smoothgrad" => "smoothgrad",
                                         "integrated-gradients" => "integrated-gradients",
                                         "occlusion" => "occlusion",
                                         "grad-cam" => "grad-cam",
                                         "attention-rollout" => "attention-rollout",
                                         _ => "saliency",
                                     })} />
                        { method_settings(&method, &settings, &set, conv_blocks(&props.edit.experiment.model)) }
                    </div>
                    <div class="buttons">
                        <button class="primary" onclick={on_explain} disabled={running.is_some()}>{"Explain"}</button>
                        if running.is_some() {
                            <button onclick={on_cancel}>{"Cancel"}</button>
                        }
                    </div>
                    if let Some(progress) = progress {
                        <p class="importing" role="status">
                            <progress aria-label={progress.what.clone()} max={progress.total.max(1).to_string()}
                                      value={progress.done.to_string()}></progress>
                            { format!(" {}… {} / {}", progress.what, progress.done, progress.total) }
                        </p>
                    }
                    if explain.cancelled {
                        <p class="hint" role="status">{"Cancelled: nothing was changed."}</p>
                    }
                    if let Some(view) = &explain.attribution {
                        { attribution_view(view, &props.class_names, &settings) }
                        <div class="fields">
                            { slider("Opacity", "Attribution opacity".into(), settings.opacity, (0.0, 1.0, 0.05), true, {
                                let settings = settings.clone();
                                Callback::from(move |v: f32| settings.set(Settings { opacity: v, ..(*settings).clone() }))
                            }) }
                            <Checkbox id="explain-signed" label="Signed (red positive, blue negative)" checked={settings.signed}
                                      onchange={{
                                          let settings = settings.clone();
                                          Callback::from(move |v: bool| settings.set(Settings { signed: v, ..(*settings).clone() }))
                                      }} />
                        </div>
                        { activations_section(props, view.sample) }
                        if has_attention(&props.edit.experiment.model) {
                            <AttentionSection engine={props.engine.clone()} sample={view.sample}
                                              view={props.explain.attention.clone()} />
                        }
                    }
                </div>
                <div class="explain-side">
                    if conv_blocks(&props.edit.experiment.model) > 0 {
                        { filters_section(props) }
                    }
                    { embeddings_section(props, &settings, send_explain) }
                    { similarity_section(props, &settings) }
                </div>
            </div>
            { check_section(props, &settings) }
        </section>
    }
}

fn method_settings(
    method: &AttributionMethod,
    settings: &UseStateHandle<Settings>,
    set: &impl Fn(fn(&mut Settings, String)) -> Callback<String>,
    blocks: usize,
) -> Html {
    match method {
        AttributionMethod::SmoothGrad { samples, noise } => html! {
            <>
                <NumberField id="explain-smooth-samples" label="Noisy samples" value={samples.to_string()} step="1"
                             min={Some(AttrValue::from("1"))} max={Some(AttrValue::from("256"))}
                             onchange={set(|s, t| if let Ok(v) = t.trim().parse::<usize>() { s.smooth_samples = v.clamp(1, 256) })} />
                <NumberField id="explain-noise" label="Noise level" value={noise.to_string()} step="0.05"
                             min={Some(AttrValue::from("0"))} max={Some(AttrValue::from("1"))}
                             onchange={set(|s, t| if let Ok(v) = t.trim().parse::<f32>() { s.noise = v.clamp(0.0, 1.0) })} />
            </>
        },
        AttributionMethod::IntegratedGradients { steps, baseline } => html! {
            <>
                <NumberField id="explain-steps" label="Integration steps" value={steps.to_string()} step="1"
                             min={Some(AttrValue::from("1"))} max={Some(AttrValue::from("4096"))}
                             onchange={set(|s, t| if let Ok(v) = t.trim().parse::<usize>() { s.steps = v.clamp(1, 4096) })} />
                <SelectField id="explain-baseline" label="Baseline"
                             options={BASELINES.iter().map(|(b, t)| (baseline_id(*b).into(), (*t).into())).collect::<Vec<_>>()}
                             selected={baseline_id(*baseline)}
                             onchange={set(|s, t| s.baseline = BASELINES.iter().map(|(b, _)| *b)
                                 .find(|b| baseline_id(*b) == t).unwrap_or_default())} />
            </>
        },
        AttributionMethod::Occlusion { size, stride } => html! {
            <>
                <NumberField id="explain-window" label="Window" value={size.to_string()} step="1"
                             min={Some(AttrValue::from("1"))}
                             onchange={set(|s, t| if let Ok(v) = t.trim().parse::<usize>() { s.window = Some(v.max(1)) })} />
                <NumberField id="explain-stride" label="Stride" value={stride.to_string()} step="1"
                             min={Some(AttrValue::from("1"))}
                             onchange={set(|s, t| if let Ok(v) = t.trim().parse::<usize>() { s.stride = Some(v.max(1)) })} />
            </>
        },
        AttributionMethod::GradCam { layer } => {
            let _ = settings;
            html! {
                <SelectField id="explain-layer" label="Conv layer"
                             options={(0..blocks).map(|b| (b.to_string().into(), format!("conv {}", b + 1).into())).collect::<Vec<_>>()}
                             selected={layer.to_string()}
                             onchange={set(|s, t| s.layer = t.parse().ok())} />
            }
        }
        _ => html! {},
    }
}

fn baseline_id(baseline: Baseline) -> &'static str {
    match baseline {
        Baseline::Zeros => "zeros",
        Baseline::Blurred => "blurred",
        Baseline::DatasetMean => "mean",
        Baseline::Noise => "noise",
    }
}

fn class_name(names: &[String], class: u32) -> String {
    names
        .get(class as usize)
        .cloned()
        .unwrap_or_else(|| format!("class {class}"))
}

/// The map drawn for its data type, with a sentence saying what it shows.
fn attribution_view(view: &AttributionView, names: &[String], settings: &Settings) -> Html {
    let label = match view.value {
        Some((predicted, measured)) => format!(
            "Attribution of {} ({}predicted {predicted:.2}) for the predicted {} by {}",
            view.sample.describe(),
            measured.map_or(String::new(), |m| format!("measured {m:.2}, ")),
            class_name(names, 0),
            view.method.title()
        ),
        None => format!(
            "Attribution of {} ({}, predicted {} at {:.0}%) for class {} by {}",
            view.sample.describe(),
            if view.label == NO_LABEL {
                "no label yet".to_string()
            } else {
                format!("true class {}", class_name(names, view.label))
            },
            class_name(names, view.prediction.0),
            100.0 * view.prediction.1,
            class_name(names, view.class),
            view.method.title()
        ),
    };
    let drawing = match &view.view {
        SampleView::Image { .. } => html! {
            <HeatMap view={view.view.clone()} points={view.points.clone()} region={view.region.clone()}
                     opacity={settings.opacity} signed={settings.signed} label={label.clone()} />
        },
        SampleView::Letters { letters, .. } => sequence_bars(
            &view.points,
            Some(letters),
            &view.region,
            settings.signed,
            &label,
        ),
        SampleView::Series { .. } | SampleView::Row { .. } => {
            let names = match &view.view {
                SampleView::Row { names, .. } => Some(names.clone()),
                _ => None,
            };
            match names {
                Some(names) => feature_bars(&view.points, &names, settings.signed, &label),
                None => sequence_bars(&view.points, None, &view.region, settings.signed, &label),
            }
        }
        SampleView::Graph {
            positions, edges, ..
        } => graph_importance(
            positions,
            edges,
            &view.points,
            &view.edges,
            &view.region,
            settings.signed,
            &label,
        ),
        SampleView::Network {
            positions,
            edges,
            highlight,
            ..
        } => {
            let mut region = highlight.clone();
            region.truncate(view.points.len());
            graph_importance(
                positions,
                edges,
                &view.points,
                &view.edges,
                &region,
                settings.signed,
                &label,
            )
        }
    };
    let region_note = if view.region.contains(&true) {
        " Green marks where the signal truly is."
    } else {
        ""
    };
    let edge_note = match (view.edges.is_empty(), view.method) {
        (true, _) => "",
        (false, AttributionMethod::Occlusion { .. }) => {
            " Edges: the score's drop when the edge's messages are switched off."
        }
        (false, _) => {
            " Edges: the score's gradient with respect to the edge's weight in message passing."
        }
    };
    html! {
        <div class="attribution">
            { drawing }
            <p class="facts" aria-label="Attribution summary">
                { format!("{label}. Computed in {:.0} ms.{region_note}{edge_note}", view.milliseconds) }
            </p>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct HeatMapProps {
    view: SampleView,
    points: Vec<f32>,
    region: Vec<bool>,
    opacity: f32,
    signed: bool,
    label: AttrValue,
}

/// An image with its attribution laid over it.
#[component]
fn HeatMap(props: &HeatMapProps) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        use_effect_with(
            (
                props.view.clone(),
                props.points.clone(),
                props.region.clone(),
                props.opacity.to_bits(),
                props.signed,
            ),
            move |(view, points, region, opacity, signed)| {
                if let (
                    Some(element),
                    SampleView::Image {
                        channels,
                        height,
                        width,
                        pixels,
                    },
                ) = (canvas.cast::<HtmlCanvasElement>(), view)
                {
                    let plane = height * width;
                    let gray: Vec<u8> = (0..plane)
                        .map(|p| {
                            let sum: u32 = (0..*channels)
                                .map(|c| u32::from(pixels[c * plane + p]))
                                .sum();
                            (sum / (*channels).max(1) as u32) as u8
                        })
                        .collect();
                    let rgba = overlay(
                        &gray,
                        points,
                        f32::from_bits(*opacity),
                        *signed,
                        region,
                        *width,
                    );
                    web::draw_rgba(&element, *width, *height, &rgba);
                }
            },
        );
    }
    html! { <canvas ref={canvas} class="heat-map" role="img" aria-label={props.label.clone()} /> }
}

fn bar_colour(value: f32, signed: bool) -> &'static str {
    if signed && value < 0.0 {
        "#1971c2"
    } else {
        "#e03131"
    }
}

/// Bars along a sequence, with its letters under them when it has letters.
fn sequence_bars(
    points: &[f32],
    letters: Option<&String>,
    region: &[bool],
    signed: bool,
    label: &str,
) -> Html {
    let values: Vec<f32> = if signed {
        points.to_vec()
    } else {
        points.iter().map(|v| v.abs()).collect()
    };
    let top = values.iter().map(|v| v.abs()).fold(1e-12, f32::max);
    let n = values.len().max(1);
    let cell = 8.0;
    let middle = if signed { 30.0 } else { 58.0 };
    let scale = if signed { 28.0 } else { 56.0 };
    let bars = values.iter().enumerate().map(|(i, &v)| {
        let h = scale * v.abs() / top;
        let y = if v >= 0.0 { middle - h } else { middle };
        html! { <rect x={format!("{:.1}", i as f32 * cell + 1.0)} y={format!("{y:.1}")} width={format!("{:.1}", cell - 2.0)}
                      height={format!("{h:.1}")} fill={bar_colour(v, signed)} /> }
    });
    let marks = region.iter().enumerate().filter(|(_, r)| **r).map(|(i, _)| html! {
        <rect x={format!("{:.1}", i as f32 * cell)} y="60" width={cell.to_string()} height="3" fill="#2f9e44" />
    });
    let text = letters.map(|letters| {
        let glyphs = letters.chars().enumerate().map(|(i, c)| html! {
            <text x={format!("{:.1}", i as f32 * cell + cell / 2.0)} y="74" text-anchor="middle">{ c.to_string() }</text>
        });
        html! { <g class="letters">{ for glyphs }</g> }
    });
    let width = n as f32 * cell;
    html! {
        <div class="sequence-scroll" tabindex="0" role="group" aria-label="Attribution along the sequence (scrolls)">
            <svg class="sequence-bars" width={width.to_string()} height="80" viewBox={format!("0 0 {width} 80")}
                 role="img" aria-label={label.to_string()}>
                { for bars }
                { for marks }
                { text.unwrap_or_default() }
            </svg>
        </div>
    }
}

/// One bar per table feature, named.
fn feature_bars(points: &[f32], names: &[String], signed: bool, label: &str) -> Html {
    let top = points.iter().map(|v| v.abs()).fold(1e-12, f32::max);
    let rows = points.iter().zip(names).map(|(&v, name)| {
        let shown = if signed { v } else { v.abs() };
        html! {
            <div class="feature-bar">
                <span class="feature-name">{ name.clone() }</span>
                <span class="bar" style={format!("width:{:.0}%;background:{}", 100.0 * shown.abs() / top, bar_colour(shown, signed))}></span>
                <span class="feature-value">{ format!("{shown:.3}") }</span>
            </div>
        }
    });
    html! { <div class="feature-bars" role="img" aria-label={label.to_string()}>{ for rows }</div> }
}

/// Node and edge importance on the graph: the stronger, the larger (thicker) and more
/// coloured; true region ringed.
fn graph_importance(
    positions: &[(f32, f32)],
    edges: &[[u32; 2]],
    points: &[f32],
    edge_values: &[f32],
    region: &[bool],
    signed: bool,
    label: &str,
) -> Html {
    let top = points.iter().map(|v| v.abs()).fold(1e-12, f32::max);
    let top_edge = edge_values.iter().map(|v| v.abs()).fold(1e-12, f32::max);
    let at = |i: u32| positions.get(i as usize).copied().unwrap_or((0.5, 0.5));
    let lines = edges.iter().enumerate().map(|(e, &[a, b])| {
        let (pa, pb) = (at(a), at(b));
        let (x1, y1) = (
            format!("{:.1}", pa.0 * 100.0),
            format!("{:.1}", pa.1 * 100.0),
        );
        let (x2, y2) = (
            format!("{:.1}", pb.0 * 100.0),
            format!("{:.1}", pb.1 * 100.0),
        );
        match edge_values.get(e) {
            Some(&v) => {
                let shown = if signed { v } else { v.abs() };
                let strength = shown.abs() / top_edge;
                html! {
                    <line {x1} {y1} {x2} {y2} class="weighted" stroke={bar_colour(shown, signed)}
                          stroke-width={format!("{:.2}", 0.4 + 2.6 * strength)}
                          stroke-opacity={format!("{:.2}", 0.25 + 0.75 * strength)}>
                        <title>{ format!("edge {a}–{b}: {v:.4}") }</title>
                    </line>
                }
            }
            None => html! { <line {x1} {y1} {x2} {y2} /> },
        }
    });
    let small = positions.len() > 60;
    let nodes = positions.iter().enumerate().map(|(i, p)| {
        let v = points.get(i).copied().unwrap_or(0.0);
        let shown = if signed { v } else { v.abs() };
        let strength = shown.abs() / top;
        let r = if small { 1.0 + 2.0 * strength } else { 3.0 + 4.0 * strength };
        let ring = region.get(i).copied().unwrap_or(false);
        html! {
            <circle cx={format!("{:.1}", p.0 * 100.0)} cy={format!("{:.1}", p.1 * 100.0)} r={format!("{r:.1}")}
                    fill={bar_colour(shown, signed)} fill-opacity={format!("{:.2}", 0.15 + 0.85 * strength)}
                    stroke={if ring { "#2f9e44" } else { "#495057" }} stroke-width={if ring { "1.5" } else { "0.4" }}>
                <title>{ format!("node {i}: {v:.4}") }</title>
            </circle>
        }
    });
    html! {
        <svg class="graph-importance" viewBox="-8 -8 116 116" role="img" aria-label={label.to_string()}>
            <g class="edges">{ for lines }</g>
            { for nodes }
        </svg>
    }
}

/// Each layer's activations for the sample explained.
fn activations_section(props: &ExplainPanelProps, sample: SampleRef) -> Html {
    let on_show = {
        let engine = props.engine.clone();
        Callback::from(move |_: MouseEvent| engine.send(ToWorker::Activations { sample }))
    };
    let shown = props
        .explain
        .activations
        .as_ref()
        .filter(|(s, _)| *s == sample);
    html! {
        <div class="activations">
            <button onclick={on_show}>{"Show activations"}</button>
            if let Some((_, layers)) = shown {
                <div class="activation-layers" role="list" aria-label="Activations by layer">
                    { for layers.iter().map(|layer| html! { <ActivationLayer layer={layer.clone()} /> }) }
                </div>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct AttentionSectionProps {
    engine: Engine,
    sample: SampleRef,
    view: Option<Rc<AttentionView>>,
}

/// A Transformer's attention over the sample: one layer's and head's map (queries down, keys
/// across), and the rollout through every layer along the sequence.
#[component]
fn AttentionSection(props: &AttentionSectionProps) -> Html {
    let chosen = use_state(|| (0usize, 0usize));
    let on_show = {
        let (engine, sample) = (props.engine.clone(), props.sample);
        Callback::from(move |_: MouseEvent| engine.send(ToWorker::Attention { sample }))
    };
    let shown = props.view.as_ref().filter(|v| v.sample == props.sample);
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        use_effect_with((shown.cloned(), *chosen), move |(view, (layer, head))| {
            if let (Some(element), Some(view)) = (canvas.cast::<HtmlCanvasElement>(), view)
                && view.tokens > 0
            {
                let size = view.tokens * view.tokens;
                let (layer, head) = ((*layer).min(view.layers - 1), (*head).min(view.heads - 1));
                let at = (layer * view.heads + head) * size;
                if let Some(map) = view.weights.get(at..at + size) {
                    web::draw_rgba(&element, view.tokens, view.tokens, &activation_map(map));
                }
            }
        });
    }
    let Some(view) = shown else {
        return html! {
            <div class="attention">
                <button onclick={on_show}>{"Show attention"}</button>
            </div>
        };
    };
    let (layer, head) = *chosen;
    let on_layer = {
        let chosen = chosen.clone();
        Callback::from(move |v: String| chosen.set((v.parse().unwrap_or(0), chosen.1)))
    };
    let on_head = {
        let chosen = chosen.clone();
        Callback::from(move |v: String| chosen.set((chosen.0, v.parse().unwrap_or(0))))
    };
    let numbered = |count: usize, what: &str| -> Vec<(AttrValue, AttrValue)> {
        (0..count)
            .map(|i| (i.to_string().into(), format!("{what} {}", i + 1).into()))
            .collect()
    };
    let layer_select = html! {
        <SelectField id="attention-layer" label="Layer" options={numbered(view.layers, "layer")}
                     selected={layer.min(view.layers - 1).to_string()} onchange={on_layer} />
    };
    if let SampleView::Graph {
        positions, edges, ..
    }
    | SampleView::Network {
        positions, edges, ..
    } = &view.view
    {
        let layer = layer.min(view.layers - 1);
        let (edge_count, nodes) = (edges.len(), positions.len());
        let edge_values = view
            .weights
            .get(layer * edge_count..(layer + 1) * edge_count)
            .unwrap_or_default();
        let received = view
            .rollout
            .get(layer * nodes..(layer + 1) * nodes)
            .unwrap_or_default();
        return html! {
            <div class="attention">
                <button onclick={on_show}>{"Show attention"}</button>
                <div class="fields">{ layer_select }</div>
                { graph_importance(positions, edges, received, edge_values, &view.region, false,
                                   &format!("Attention of layer {}: edges by their weight, nodes by the attention they receive", layer + 1)) }
                <p class="hint">{"Each edge drawn by the attention its two ends give each other (the mean of both directions); each node by the attention its neighbours give it. A node's shares over its neighbours and itself sum to one."}</p>
            </div>
        };
    }
    let letters = match &view.view {
        SampleView::Letters { letters, .. } => Some(letters),
        _ => None,
    };
    let tokens = if view.class_token {
        format!("the class token, then {} tokens", view.tokens - 1)
    } else {
        format!("{} tokens", view.tokens)
    };
    let per_token = match (view.kmer, view.stride) {
        (1, _) => String::new(),
        (k, s) if k == s => format!(" of {k} positions"),
        (k, 1) => format!(", a {k}-mer starting at every position"),
        (k, s) => format!(", a {k}-mer every {s} positions"),
    };
    html! {
        <div class="attention">
            <button onclick={on_show}>{"Show attention"}</button>
            <div class="fields">
                { layer_select }
                <SelectField id="attention-head" label="Head" options={numbered(view.heads, "head")}
                             selected={head.min(view.heads - 1).to_string()} onchange={on_head} />
            </div>
            <canvas ref={canvas} class="heat-map attention-map" role="img"
                    aria-label={format!("Attention of layer {}, head {}: queries down, keys across", layer.min(view.layers - 1) + 1, head.min(view.heads - 1) + 1)} />
            <p class="hint">{ format!("Each row is a token ({tokens}{per_token}) and how it shares its attention over the tokens; bright is most.") }</p>
            <h3>{"Attention rollout"}</h3>
            { sequence_bars(&view.rollout, letters, &view.region, false, "Attention rollout along the sequence") }
            <p class="hint">{"How much each position flows into what the head reads, through every layer's attention and the residual path (Abnar & Zuidema, 2020). Green marks the true motif."}</p>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ActivationLayerProps {
    layer: LayerActivations,
}

/// A layer's maps (at most 16 drawn), each as a small image.
#[component]
fn ActivationLayer(props: &ActivationLayerProps) -> Html {
    let layer = &props.layer;
    let [maps, rows, columns] = layer.layout;
    let drawn = maps.min(16);
    let canvases: Vec<NodeRef> = (0..drawn).map(|_| NodeRef::default()).collect();
    {
        let canvases = canvases.clone();
        use_effect_with(layer.clone(), move |layer| {
            let size = rows * columns;
            for (m, canvas) in canvases.iter().enumerate() {
                if let Some(element) = canvas.cast::<HtmlCanvasElement>()
                    && let Some(values) = layer.values.get(m * size..(m + 1) * size)
                {
                    web::draw_rgba(&element, columns, rows, &activation_map(values));
                }
            }
        });
    }
    let what = match (maps, rows) {
        (1, 1) => format!("{columns} values"),
        (1, _) => format!("{rows} × {columns}"),
        _ => format!("{maps} maps of {rows} × {columns}"),
    };
    html! {
        <div class="activation-layer" role="listitem">
            <span>{ format!("{} ({what})", layer.name) }</span>
            <div class="activation-maps">
                { for canvases.iter().enumerate().map(|(m, canvas)| html! {
                    <canvas ref={canvas.clone()} class={if rows == 1 { "activation strip" } else { "activation" }} role="img"
                            aria-label={format!("Activations of {}, map {}", layer.name, m + 1)} />
                }) }
            </div>
        </div>
    }
}

/// The first conv layer's kernels: small images, or sequence logos for letters.
fn filters_section(props: &ExplainPanelProps) -> Html {
    let on_show = {
        let engine = props.engine.clone();
        Callback::from(move |_: MouseEvent| engine.send(ToWorker::Filters))
    };
    html! {
        <div class="filters">
            <h3>{"First-layer filters"}</h3>
            <button onclick={on_show}>{"Show first-layer filters"}</button>
            if let Some(filters) = &props.explain.filters {
                <div class="filter-list" role="list" aria-label="First-layer filters">
                    { for (0..filters.filters).map(|f| html! {
                        <div role="listitem"><FilterView filters={filters.clone()} index={f} /></div>
                    }) }
                </div>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct FilterViewProps {
    filters: Rc<FilterKernels>,
    index: usize,
}

/// One kernel: an image (the mean over input channels) or a sequence logo.
#[component]
fn FilterView(props: &FilterViewProps) -> Html {
    let filters = &props.filters;
    let per = filters.values.len() / filters.filters.max(1);
    let values = &filters.values[props.index * per..(props.index + 1) * per];
    let k = filters.kernel;
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        // Images: the mean over input channels, k × k; sequences without letters: a row per
        // channel, k positions wide.
        let (width, height, shown): (usize, usize, Vec<f32>) = if filters.image {
            let mean = (0..k * k)
                .map(|p| {
                    (0..filters.channels)
                        .map(|c| values[c * k * k + p])
                        .sum::<f32>()
                        / filters.channels.max(1) as f32
                })
                .collect();
            (k, k, mean)
        } else {
            (k, filters.channels, values.to_vec())
        };
        use_effect_with(shown, move |shown| {
            if let Some(element) = canvas.cast::<HtmlCanvasElement>() {
                web::draw_rgba(&element, width, height, &kernel_image(shown));
            }
        });
    }
    let number = props.index + 1;
    match (&filters.alphabet, filters.image) {
        (Some(alphabet), false) => {
            let (columns, consensus) = logo(values, filters.channels, alphabet);
            let letters = alphabet.chars().collect::<Vec<_>>();
            let glyphs = columns.iter().enumerate().flat_map(|(p, column)| {
                let mut base = 40.0;
                column
                    .iter()
                    .map(|&(letter, height)| {
                        let h = 40.0 * height;
                        base -= h;
                        let colour = letters
                            .iter()
                            .position(|&l| l == letter)
                            .map_or("#495057", |c| PALETTE[c % PALETTE.len()]);
                        html! {
                            <text transform={format!("translate({:.1},{:.2}) scale(1,{:.3})", p as f32 * 10.0, base + h, h / 10.0)}
                                  fill={colour}>{ letter.to_string() }</text>
                        }
                    })
                    .collect::<Vec<_>>()
            });
            html! {
                <svg class="logo" viewBox={format!("0 0 {} 40", columns.len() * 10)} role="img"
                     aria-label={format!("Filter {number} of the first conv layer: prefers {consensus}")}>
                    { for glyphs }
                </svg>
            }
        }
        _ => html! {
            <canvas ref={canvas} class="filter" role="img"
                    aria-label={if filters.image {
                        format!("Filter {number} of the first conv layer ({k} × {k})")
                    } else {
                        format!("Filter {number} of the first conv layer ({k} positions × {} channels)", filters.channels)
                    }} />
        },
    }
}

/// The embeddings of the validation set, or of every sample, in the plane.
fn embeddings_section(
    props: &ExplainPanelProps,
    settings: &UseStateHandle<Settings>,
    explain_sample: impl Fn(SampleRef) + Clone + 'static,
) -> Html {
    let busy = props.explain.running.is_some();
    let every_sample = settings.every_sample;
    let project = |method: Projection| {
        let engine = props.engine.clone();
        let dispatch = props.edit.dispatch.clone();
        Callback::from(move |_: MouseEvent| {
            engine.send(ToWorker::Project {
                method,
                every_sample,
            });
            if method == Projection::Tsne {
                dispatch.dispatch(Action::ExplainStarted(ExplainJob::Tsne));
            }
        })
    };
    let colour_options: Vec<(AttrValue, AttrValue)> = ColourBy::ALL
        .iter()
        .map(|c| (c.id().into(), c.title().into()))
        .collect();
    let on_colour = {
        let settings = settings.clone();
        Callback::from(move |t: String| {
            settings.set(Settings {
                colour_by: ColourBy::ALL
                    .into_iter()
                    .find(|c| c.id() == t)
                    .unwrap_or(ColourBy::Truth),
                ..(*settings).clone()
            })
        })
    };
    let on_every = {
        let settings = settings.clone();
        Callback::from(move |v: bool| {
            settings.set(Settings {
                every_sample: v,
                ..(*settings).clone()
            })
        })
    };
    html! {
        <div class="embeddings">
            <h3>{"Embeddings"}</h3>
            <p class="hint">{"What the head reads, for each sample, laid out in the plane. Click a point to explain it."}</p>
            <div class="fields">
                <Checkbox id="explain-every-sample" label="Every sample (training, test and unlabeled too)"
                          checked={every_sample} onchange={on_every} />
                <SelectField id="explain-colour" label="Colour by" options={colour_options}
                             selected={settings.colour_by.id()} onchange={on_colour} />
            </div>
            <div class="buttons">
                <button onclick={project(Projection::Pca)} disabled={busy}>{"Project with PCA"}</button>
                <button onclick={project(Projection::Tsne)} disabled={busy}>{"Project with t-SNE"}</button>
            </div>
            if let Some(view) = &props.explain.projection {
                { scatter(view, &props.class_names, settings, explain_sample) }
            }
        </div>
    }
}

fn scatter(
    view: &ProjectionView,
    names: &[String],
    settings: &UseStateHandle<Settings>,
    explain_sample: impl Fn(SampleRef) + Clone + 'static,
) -> Html {
    let n = view.samples.len();
    let (mut low, mut high) = ([f32::MAX; 2], [f32::MIN; 2]);
    for p in view.xy.chunks(2) {
        for k in 0..2 {
            low[k] = low[k].min(p[k]);
            high[k] = high[k].max(p[k]);
        }
    }
    let span = [(high[0] - low[0]).max(1e-6), (high[1] - low[1]).max(1e-6)];
    let colour_by = settings.colour_by;
    let class_colour = |class: u32| {
        if class == NO_LABEL {
            origin_colour(LabelOrigin::Unlabeled)
        } else {
            PALETTE[class as usize % PALETTE.len()]
        }
    };
    let dots = view.xy.chunks(2).enumerate().map(|(i, p)| {
        let fill = match colour_by {
            ColourBy::Truth => class_colour(view.truth[i]),
            ColourBy::Prediction => class_colour(view.predicted[i]),
            ColourBy::Source => origin_colour(view.sources[i]),
        };
        let sample = view.samples[i];
        let onclick = {
            let explain_sample = explain_sample.clone();
            let settings = settings.clone();
            Callback::from(move |_: MouseEvent| {
                settings.set(Settings { sample, ..(*settings).clone() });
                explain_sample(sample);
            })
        };
        let label = if view.truth[i] == NO_LABEL {
            "no label".to_string()
        } else {
            class_name(names, view.truth[i])
        };
        html! {
            <circle cx={format!("{:.2}", 4.0 + 92.0 * (p[0] - low[0]) / span[0])}
                    cy={format!("{:.2}", 96.0 - 92.0 * (p[1] - low[1]) / span[1])} r="1.3"
                    {fill} {onclick}>
                <title>{ format!("{}: {label} ({}), predicted {}", sample.describe(),
                                 view.sources[i].title().to_lowercase(), class_name(names, view.predicted[i])) }</title>
            </circle>
        }
    });
    let legend: Html = match colour_by {
        ColourBy::Source => LabelOrigin::ALL
            .iter()
            .filter(|o| view.sources.contains(o))
            .map(|&o| html! {
                <li><span class="swatch" style={format!("background:{}", origin_colour(o))}></span>
                    { format!("{} ({})", o.title(), view.sources.iter().filter(|&&s| s == o).count()) }</li>
            })
            .collect(),
        _ => names
            .iter()
            .enumerate()
            .map(|(c, name)| html! {
                <li><span class="swatch" style={format!("background:{}", PALETTE[c % PALETTE.len()])}></span>{ name.clone() }</li>
            })
            .chain(view.truth.contains(&NO_LABEL).then(|| html! {
                <li><span class="swatch" style={format!("background:{}", origin_colour(LabelOrigin::Unlabeled))}></span>{"No label"}</li>
            }))
            .collect(),
    };
    let explained = view
        .explained
        .map(|[a, b]| {
            format!(
                " The axes explain {:.0}% and {:.0}% of the variance.",
                100.0 * a,
                100.0 * b
            )
        })
        .unwrap_or_default();
    let which = if view.samples.iter().all(|s| s.part == Part::Valid) {
        "validation samples"
    } else {
        "samples"
    };
    let label = format!(
        "Embeddings of {n} {which} by {}, coloured by {}",
        view.method.title(),
        colour_by.title().to_lowercase()
    );
    html! {
        <>
            <svg class="scatter" viewBox="0 0 100 100" role="img" aria-label={label.clone()}>
                { for dots }
            </svg>
            <ul class="legend" aria-label={if colour_by == ColourBy::Source { "Label sources" } else { "Classes" }}>{ legend }</ul>
            <p class="facts">{ format!("{label}.{explained}") }</p>
        </>
    }
}

/// Linear CKA between the model's layers, as a table whose cells are shaded.
fn similarity_section(props: &ExplainPanelProps, settings: &UseStateHandle<Settings>) -> Html {
    let checkpoints = props
        .explain
        .similarity
        .as_ref()
        .map(|s| s.checkpoints.clone())
        .unwrap_or_default();
    let against = match settings.against {
        LayersAgainst::Checkpoint(step) if !checkpoints.contains(&step) => LayersAgainst::Itself,
        LayersAgainst::AugmentationRuns if !props.runs_compared => LayersAgainst::Itself,
        against => against,
    };
    let on_compare = {
        let engine = props.engine.clone();
        Callback::from(move |_: MouseEvent| engine.send(ToWorker::CompareLayers { against }))
    };
    let options: Vec<(AttrValue, AttrValue)> =
        std::iter::once(("self".into(), "Its own layers".into()))
            .chain(checkpoints.iter().map(|s| {
                (
                    s.to_string().into(),
                    format!("The model at step {s}").into(),
                )
            }))
            .chain(props.runs_compared.then(|| {
                (
                    "runs".into(),
                    "The augmentation comparison: with against without".into(),
                )
            }))
            .collect();
    let selected = match against {
        LayersAgainst::Itself => "self".to_string(),
        LayersAgainst::Checkpoint(step) => step.to_string(),
        LayersAgainst::AugmentationRuns => "runs".to_string(),
    };
    let on_against = {
        let settings = settings.clone();
        Callback::from(move |t: String| {
            let against = match t.as_str() {
                "runs" => LayersAgainst::AugmentationRuns,
                step => step
                    .parse()
                    .map_or(LayersAgainst::Itself, LayersAgainst::Checkpoint),
            };
            settings.set(Settings {
                against,
                ..(*settings).clone()
            })
        })
    };
    html! {
        <div class="similarity">
            <h3>{"Layer similarity"}</h3>
            if options.len() > 1 {
                <SelectField id="explain-against" label="Compare with" {options} {selected}
                             onchange={on_against} />
            }
            <button onclick={on_compare} disabled={props.explain.running.is_some()}>{"Compare layers"}</button>
            if let Some(similarity) = &props.explain.similarity {
                { similarity_table(similarity) }
            }
        </div>
    }
}

fn similarity_table(similarity: &LayerSimilarity) -> Html {
    let n = similarity.layers.len();
    let rows = similarity.layers.iter().enumerate().map(|(i, name)| {
        let cells = (0..n).map(|j| {
            let v = similarity.cka[i * n + j];
            let (background, text) = similarity_colours(v);
            html! { <td style={format!("background:{background};color:{text}")}>{ format!("{v:.2}") }</td> }
        });
        html! { <tr><th scope="row">{ name.clone() }</th>{ for cells }</tr> }
    });
    html! {
        <div class="table-scroll">
            <table class="heat-table">
                <caption>{ match similarity.against {
                    LayersAgainst::Itself => format!("Linear CKA between the model's layers ({} validation samples)", similarity.samples),
                    LayersAgainst::Checkpoint(then) => format!("Linear CKA between the model's layers at step {} (rows) and at step {then} (columns), {} validation samples",
                        similarity.step, similarity.samples),
                    LayersAgainst::AugmentationRuns => format!("Linear CKA between the layers of the run with augmentation (rows) and the run without (columns), {} validation samples",
                        similarity.samples),
                } }</caption>
                <thead><tr><td></td>{ for similarity.layers.iter().map(|l| html! { <th scope="col">{ l.clone() }</th> }) }</tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}

/// The sanity checks: against the true regions, and against a randomised model.
fn check_section(props: &ExplainPanelProps, settings: &UseStateHandle<Settings>) -> Html {
    let on_check = {
        let engine = props.engine.clone();
        let dispatch = props.edit.dispatch.clone();
        let samples = settings.checked;
        Callback::from(move |_: MouseEvent| {
            engine.send(ToWorker::CheckAttributions { samples });
            dispatch.dispatch(Action::ExplainStarted(ExplainJob::Check));
        })
    };
    let on_samples = {
        let settings = settings.clone();
        Callback::from(move |t: String| {
            if let Ok(v) = t.trim().parse::<usize>() {
                settings.set(Settings {
                    checked: v.clamp(1, 200),
                    ..(*settings).clone()
                });
            }
        })
    };
    html! {
        <div class="checks">
            <h3>{"Sanity checks"}</h3>
            <p class="hint">{"Every method on validation samples whose true region Petri knows (the shape, the cell, the motif, the 6-ring), then on the model with its weights re-initialised layer by layer from the head down (Adebayo et al., 2018)."}</p>
            <div class="fields">
                <NumberField id="explain-checked" label="Samples to check" value={settings.checked.to_string()} step="1"
                             min={Some(AttrValue::from("1"))} max={Some(AttrValue::from("200"))} onchange={on_samples} />
            </div>
            <button onclick={on_check} disabled={props.explain.running.is_some()}>{"Check attributions"}</button>
            if let Some(check) = &props.explain.check {
                { check_tables(check) }
            }
        </div>
    }
}

fn percent(v: f32) -> String {
    format!("{:.0}%", 100.0 * v)
}

fn check_tables(check: &AttributionCheck) -> Html {
    let rows = check.rows.iter().map(|row| {
        let measure = |v: f32| {
            if row.samples == 0 {
                "—".to_string()
            } else {
                percent(v)
            }
        };
        let left_out = match row.unscored {
            0 => String::new(),
            1 => " (1 map placed no positive attribution: left out)".to_string(),
            n => format!(" ({n} maps placed no positive attribution: left out)"),
        };
        html! {
            <tr>
                <th scope="row">{ row.method.clone() }{ left_out }</th>
                <td>{ measure(row.inside) }</td>
                <td>{ measure(row.region_share) }</td>
                <td>{ measure(row.pointing) }</td>
            </tr>
        }
    });
    let randomised = check.randomised.iter().map(|row| html! {
        <tr>
            <th scope="row">{ row.method.clone() }</th>
            { for row.correlation.iter().map(|c| html! { <td>{ format!("{c:.2}") }</td> }) }
            { for (row.correlation.len()..check.steps.len()).map(|_| html! { <td>{"…"}</td> }) }
            <td>{ if row.suspect { "Suspect: the map ignores the model" } else if row.correlation.len() == check.steps.len() { "Changes with the model" } else { "" } }</td>
        </tr>
    });
    html! {
        <>
            <table class="check-table">
                <caption>{"Attribution inside the true region"}</caption>
                <thead><tr>
                    <th scope="col">{"Method"}</th>
                    <th scope="col">{"Inside the region"}</th>
                    <th scope="col">{"Region's share"}</th>
                    <th scope="col">{"Pointing game"}</th>
                </tr></thead>
                <tbody>
                    { for rows }
                    if let Some(reason) = &check.no_truth {
                        <tr><td colspan="4">{ reason.clone() }</td></tr>
                    }
                </tbody>
            </table>
            if let Some(row) = check.rows.first() {
                <p class="facts">{ format!("Over {} validation samples. A map spread at random scores the region's share; a method that finds the signal scores well above it.", row.samples + row.unscored) }</p>
            }
            <table class="check-table">
                <caption>{ format!("Randomised model: rank correlation with the trained model's maps ({} samples)", check.randomised_samples) }</caption>
                <thead><tr>
                    <th scope="col">{"Method"}</th>
                    { for check.steps.iter().enumerate().map(|(i, s)| html! {
                        <th scope="col">{ if i == 0 { format!("{s} re-initialised") } else { format!("+ {s}") } }</th>
                    }) }
                    <th scope="col">{"Verdict"}</th>
                </tr></thead>
                <tbody>{ for randomised }</tbody>
            </table>
        </>
    }
}
