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
    let name = |class: u32| {
        props
            .class_names
            .get(class as usize)
            .cloned()
            .unwrap_or_else(|| format!("class {class}"))
    };
    let item = &props.item;
    let truth = name(item.label);
    let (class, caption) = match item.prediction {
        None => ("sample", truth.clone()),
        Some((predicted, confidence)) if predicted == item.label => (
            "sample correct",
            format!("{} {:.0}%", name(predicted), confidence * 100.0),
        ),
        Some((predicted, confidence)) => (
            "sample wrong",
            format!(
                "{} {:.0}% (is {truth})",
                name(predicted),
                confidence * 100.0
            ),
        ),
    };
    let view = match &item.view {
        view @ SampleView::Image { .. } => html! {
            <ImageCanvas view={view.clone()} label={format!("{truth} #{}", item.index)} />
        },
    };
    html! {
        <figure class={class}>
            { view }
            <figcaption>{ caption }</figcaption>
        </figure>
    }
}

#[derive(Properties, PartialEq)]
pub struct SampleGridProps {
    pub items: Vec<GalleryItem>,
    pub class_names: Vec<String>,
    pub label: AttrValue,
}

/// A grid of sample cards.
#[component]
pub fn SampleGrid(props: &SampleGridProps) -> Html {
    html! {
        <div class="samples" role="list" aria-label={props.label.clone()}>
            { for props.items.iter().map(|item| html! {
                <div role="listitem">
                    <SampleCard item={item.clone()} class_names={props.class_names.clone()} />
                </div>
            }) }
        </div>
    }
}
