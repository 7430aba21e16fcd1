use crate::ml::data::NO_LABEL;
use crate::protocol::{GalleryItem, SampleView};
use crate::web;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
struct ImageCanvasProps {
    view: SampleView,
    label: AttrValue,
}

#[component]
fn ImageCanvas(props: &ImageCanvasProps) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        use_effect_with(props.view.clone(), move |view| {
            if let Some(element) = canvas.cast::<HtmlCanvasElement>() {
                web::draw_image(&element, view);
            }
        });
    }
    html! { <canvas ref={canvas} class="sample-image" role="img" aria-label={props.label.clone()} /> }
}

#[derive(Properties, PartialEq)]
pub struct SampleCardProps {
    pub item: GalleryItem,
    pub class_names: Vec<String>,
}

/// A sample with its label and, if predicted, the prediction and confidence.
#[component]
pub fn SampleCard(props: &SampleCardProps) -> Html {
    let name = |class: u32| match class {
        NO_LABEL => "unlabeled".to_string(),
        _ => props
            .class_names
            .get(class as usize)
            .cloned()
            .unwrap_or_else(|| format!("class {class}")),
    };
    let item = &props.item;
    let truth = name(item.label);
    let (class, caption) = match (item.value, item.prediction) {
        (Some((measured, predicted)), _) => {
            let value = |v: f32| {
                if v.is_nan() {
                    "unknown".to_string()
                } else {
                    format!("{v:.2}")
                }
            };
            let quantity = props.class_names.first().cloned().unwrap_or_default();
            match predicted {
                None => ("sample", format!("{quantity} {}", value(measured))),
                Some(p) => (
                    "sample",
                    format!("predicted {} (is {})", value(p), value(measured)),
                ),
            }
        }
        (None, None) => ("sample", truth.clone()),
        (None, Some((predicted, confidence))) if predicted == item.label => (
            "sample correct",
            format!("{} {:.0}%", name(predicted), confidence * 100.0),
        ),
        (None, Some((predicted, confidence))) => (
            "sample wrong",
            format!(
                "{} {:.0}% (is {truth})",
                name(predicted),
                confidence * 100.0
            ),
        ),
    };
    let label = format!("{truth} #{}", item.index);
    let view = match &item.view {
        view @ SampleView::Image { .. } => html! {
            <ImageCanvas view={view.clone()} {label} />
        },
        SampleView::Letters { alphabet, letters } => letter_strip(alphabet, letters, &label),
        SampleView::Series { values } => series_line(values, &label),
        SampleView::Row { names, values } => table_row(names, values, &label),
        SampleView::Graph {
            positions,
            edges,
            bonds,
            node_types,
            type_names,
        } => molecule(positions, edges, bonds, node_types, type_names, &label),
        SampleView::Network { .. } => {
            return html! {
                <figure class="sample network">
                    <NetworkView view={item.view.clone()} class_names={props.class_names.clone()} />
                </figure>
            };
        }
    };
    let wide = matches!(
        item.view,
        SampleView::Letters { .. } | SampleView::Series { .. } | SampleView::Row { .. }
    );
    html! {
        <figure class={classes!(class, wide.then_some("wide"))}>
            { view }
            <figcaption>{ caption }</figcaption>
        </figure>
    }
}

/// Most features listed for a table row.
const ROW_FEATURES: usize = 6;

fn table_row(names: &[String], values: &[f32], label: &str) -> Html {
    let shown = names.iter().zip(values).take(ROW_FEATURES);
    html! {
        <dl class="sample-row" aria-label={label.to_string()}>
            { for shown.map(|(name, value)| html! {
                <div><dt>{ name.clone() }</dt><dd>{ format!("{value:.3}") }</dd></div>
            }) }
            if names.len() > ROW_FEATURES {
                <div><dt>{"…"}</dt><dd>{ format!("{} more", names.len() - ROW_FEATURES) }</dd></div>
            }
        </dl>
    }
}

/// How nodes whose class is not known are drawn.
pub const UNLABELED_FILL: &str = "#ffffff";
pub const UNLABELED_RING: &str = "#868e96";

/// Colours for up to eight categories (letters, atom types, classes).
pub const PALETTE: [&str; 8] = [
    "#2f9e44", "#1c7ed6", "#f08c00", "#e03131", "#7048e8", "#0c8599", "#c2255c", "#5c940d",
];

fn letter_strip(alphabet: &str, letters: &str, label: &str) -> Html {
    let cells = letters.chars().enumerate().map(|(i, c)| {
        let colour = alphabet
            .chars()
            .position(|a| a == c)
            .map_or("#adb5bd", |k| PALETTE[k % PALETTE.len()]);
        html! { <rect x={i.to_string()} y="0" width="1" height="10" fill={colour} /> }
    });
    let length = letters.chars().count().max(1);
    html! {
        <svg class="sample-strip" viewBox={format!("0 0 {length} 10")} preserveAspectRatio="none"
             role="img" aria-label={format!("{label}: {letters}")}>
            <title>{ letters.to_string() }</title>
            { for cells }
        </svg>
    }
}

fn series_line(values: &[f32], label: &str) -> Html {
    let (lo, hi) = values
        .iter()
        .fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let span = (hi - lo).max(1e-6);
    let n = values.len().max(2) - 1;
    let points: String = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                "{:.1},{:.1} ",
                100.0 * i as f32 / n as f32,
                38.0 - 36.0 * (v - lo) / span
            )
        })
        .collect();
    html! {
        <svg class="sample-series" viewBox="0 0 100 40" preserveAspectRatio="none" role="img"
             aria-label={label.to_string()}>
            <polyline points={points} />
        </svg>
    }
}

fn molecule(
    positions: &[(f32, f32)],
    edges: &[[u32; 2]],
    orders: &[u8],
    node_types: &[u32],
    type_names: &[String],
    label: &str,
) -> Html {
    let at = |i: u32| positions.get(i as usize).copied().unwrap_or((0.5, 0.5));
    let bonds = edges.iter().enumerate().map(|(k, &[a, b])| {
        let (pa, pb) = (at(a), at(b));
        let (x1, y1, x2, y2) = (pa.0 * 100.0, pa.1 * 100.0, pb.0 * 100.0, pb.1 * 100.0);
        // A unit normal, for the parallel strokes of multiple bonds.
        let length = (x2 - x1).hypot(y2 - y1).max(1e-3);
        let (nx, ny) = (-(y2 - y1) / length, (x2 - x1) / length);
        let stroke = |offset: f32, class: Option<&'static str>| {
            html! { <line class={classes!(class)} x1={(x1 + nx * offset).to_string()} y1={(y1 + ny * offset).to_string()}
            x2={(x2 + nx * offset).to_string()} y2={(y2 + ny * offset).to_string()} /> }
        };
        let order = orders.get(k).copied().unwrap_or(1);
        let name = match order {
            2 => "double",
            3 => "triple",
            4 => "aromatic",
            _ => "single",
        };
        html! {
            <g class={classes!("bond", name)}>
                { match order {
                    2 => html! { <>{ stroke(-1.3, None) }{ stroke(1.3, None) }</> },
                    3 => html! { <>{ stroke(-2.0, None) }{ stroke(0.0, None) }{ stroke(2.0, None) }</> },
                    4 => html! { <>{ stroke(-1.0, None) }{ stroke(1.6, Some("dashed")) }</> },
                    _ => stroke(0.0, None),
                } }
            </g>
        }
    });
    let atoms = positions.iter().zip(node_types).map(|(p, &t)| {
        let name = type_names.get(t as usize).cloned().unwrap_or_default();
        let (x, y) = ((p.0 * 100.0).to_string(), (p.1 * 100.0).to_string());
        match element_colour(&name) {
            // Carbon is the skeleton, drawn as a small dot; other elements are named.
            Some(_) if name == "C" => html! {
                <circle class="carbon" cx={x} cy={y} r="2.5"><title>{ name }</title></circle>
            },
            Some(colour) => html! {
                <g class="atom">
                    <circle cx={x.clone()} cy={y.clone()} r="6" fill={colour}><title>{ name.clone() }</title></circle>
                    <text x={x} y={y} aria-hidden="true">{ name }</text>
                </g>
            },
            None => html! {
                <circle cx={x} cy={y} r="5"
                        fill={PALETTE[t as usize % PALETTE.len()]}><title>{ name }</title></circle>
            },
        }
    });
    html! {
        <svg class="sample-graph" viewBox="0 0 100 100" role="img" aria-label={label.to_string()}>
            <g class="edges">{ for bonds }</g>
            { for atoms }
        </svg>
    }
}

/// The conventional (CPK) colour of an element, darkened where white text must stay legible
/// on it; `None` for a name that is not an element.
fn element_colour(name: &str) -> Option<&'static str> {
    Some(match name {
        "C" => "#495057",
        "N" => "#1c4fd6",
        "O" => "#d9230f",
        "S" => "#8f7400",
        "F" | "Cl" => "#2b8a3e",
        "Br" => "#8c2020",
        "I" => "#7a007a",
        "P" => "#b35900",
        _ => return None,
    })
}

#[derive(Properties, PartialEq)]
struct NetworkViewProps {
    view: SampleView,
    class_names: Vec<String>,
}

/// A whole graph: each node filled with its predicted class (or its true class before any
/// prediction) and ringed with its true class; emphasised nodes drawn larger.
#[component]
fn NetworkView(props: &NetworkViewProps) -> Html {
    let SampleView::Network {
        positions,
        edges,
        truth,
        predicted,
        highlight,
    } = &props.view
    else {
        return Html::default();
    };
    let at = |i: u32| positions.get(i as usize).copied().unwrap_or((0.5, 0.5));
    let links = edges.iter().map(|&[a, b]| {
        let (pa, pb) = (at(a), at(b));
        html! { <line x1={(pa.0 * 300.0).to_string()} y1={(pa.1 * 300.0).to_string()}
        x2={(pb.0 * 300.0).to_string()} y2={(pb.1 * 300.0).to_string()} /> }
    });
    let mut wrong = 0;
    let nodes = positions.iter().enumerate().map(|(i, p)| {
        let known = truth[i] != NO_LABEL;
        let true_class = truth[i] as usize;
        let shown = predicted.as_ref().map(|p| p[i] as usize).or(known.then_some(true_class));
        let is_wrong = known && shown.is_some_and(|s| s != true_class);
        if is_wrong {
            wrong += 1;
        }
        let name = |c: usize| props.class_names.get(c).cloned().unwrap_or_default();
        let truth_name = if known { name(true_class) } else { "unlabeled".to_string() };
        let title = match shown.filter(|_| predicted.is_some()) {
            Some(shown) => format!("node {i}: {truth_name} (predicted {})", name(shown)),
            None => format!("node {i}: {truth_name}"),
        };
        html! {
            <circle cx={(p.0 * 300.0).to_string()} cy={(p.1 * 300.0).to_string()}
                    r={if highlight[i] { "6" } else { "4" }}
                    fill={shown.map_or(UNLABELED_FILL, |s| PALETTE[s % PALETTE.len()])}
                    stroke={if known { PALETTE[true_class % PALETTE.len()] } else { UNLABELED_RING }}
                    class={classes!(highlight[i].then_some("emphasised"), is_wrong.then_some("wrong"))}>
                <title>{ title }</title>
            </circle>
        }
    }).collect::<Vec<Html>>();
    let legend = props.class_names.iter().enumerate().map(|(k, name)| {
        html! { <span class="key-dot"><i style={format!("background:{}", PALETTE[k % PALETTE.len()])}></i>{ name.clone() }</span> }
    });
    let caption = match predicted {
        Some(_) => format!(
            "Fill: predicted class, ring: true class (grey: unlabeled); {wrong} of {} labeled nodes wrong. Larger nodes: validation nodes.",
            truth.iter().filter(|&&t| t != NO_LABEL).count()
        ),
        None => {
            "Nodes coloured by true class; larger nodes: validation nodes (or the selected cell's)."
                .to_string()
        }
    };
    html! {
        <>
            <svg class="sample-network" viewBox="0 0 300 300" role="img"
                 aria-label={format!("graph of {} nodes", truth.len())}>
                <g class="edges">{ for links }</g>
                { for nodes }
            </svg>
            <figcaption>{ for legend }<br />{ caption }</figcaption>
        </>
    }
}

#[derive(Properties, PartialEq)]
pub struct SampleGridProps {
    pub items: Vec<GalleryItem>,
    pub class_names: Vec<String>,
    pub label: AttrValue,
    /// Validation samples: an Explain button on each card, with the sample's index.
    #[prop_or_default]
    pub on_explain: Option<Callback<usize>>,
}

/// A grid of sample cards.
#[component]
pub fn SampleGrid(props: &SampleGridProps) -> Html {
    html! {
        <div class="samples" role="list" aria-label={props.label.clone()}>
            { for props.items.iter().map(|item| html! {
                <div role="listitem" class={match item.view {
                    SampleView::Letters { .. } | SampleView::Series { .. } | SampleView::Row { .. } => "wide",
                    SampleView::Network { .. } => "full",
                    _ => "",
                }}>
                    <SampleCard item={item.clone()} class_names={props.class_names.clone()} />
                    if let (Some(on_explain), false) = (&props.on_explain, matches!(item.view, SampleView::Network { .. })) {
                        <button class="small explain-sample" aria-label={format!("Explain validation sample {}", item.index)}
                                onclick={{ let (on_explain, index) = (on_explain.clone(), item.index); Callback::from(move |_: MouseEvent| on_explain.emit(index)) }}>
                            {"Explain"}
                        </button>
                    }
                </div>
            }) }
        </div>
    }
}
