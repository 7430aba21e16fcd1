use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SelectFieldProps {
    pub id: AttrValue,
    pub label: AttrValue,
    /// `(value, shown text)` pairs.
    pub options: Vec<(AttrValue, AttrValue)>,
    pub selected: AttrValue,
    pub onchange: Callback<String>,
    #[prop_or_default]
    pub disabled: bool,
}

/// A labeled `<select>`.
#[component]
pub fn SelectField(props: &SelectFieldProps) -> Html {
    let onchange = props
        .onchange
        .reform(|e: Event| e.target_unchecked_into::<HtmlSelectElement>().value());
    html! {
        <div class="field">
            <label for={props.id.clone()}>{ props.label.clone() }</label>
            <select id={props.id.clone()} {onchange} disabled={props.disabled}>
                { for props.options.iter().map(|(value, text)| html! {
                    <option value={value.clone()} selected={*value == props.selected}>{ text.clone() }</option>
                }) }
            </select>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct NumberFieldProps {
    pub id: AttrValue,
    pub label: AttrValue,
    /// Words read before the label by screen readers only (e.g. "Block 2").
    #[prop_or_default]
    pub context: Option<AttrValue>,
    pub value: AttrValue,
    #[prop_or(AttrValue::Static("any"))]
    pub step: AttrValue,
    #[prop_or_default]
    pub min: Option<AttrValue>,
    #[prop_or_default]
    pub max: Option<AttrValue>,
    /// The text typed, on commit (change event).
    pub onchange: Callback<String>,
}

/// A labeled number input that reports the raw text on commit.
///
/// What the person is typing is kept until they commit it: the page re-renders many times a
/// second while training, and each render would otherwise put the value in use back.
#[component]
pub fn NumberField(props: &NumberFieldProps) -> Html {
    let draft = use_state(|| None::<String>);
    let oninput = {
        let draft = draft.clone();
        Callback::from(move |e: InputEvent| {
            draft.set(Some(e.target_unchecked_into::<HtmlInputElement>().value()));
        })
    };
    let onchange = {
        let (draft, commit) = (draft.clone(), props.onchange.clone());
        Callback::from(move |e: Event| {
            draft.set(None);
            commit.emit(e.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    let value = (*draft)
        .clone()
        .map_or(props.value.clone(), AttrValue::from);
    html! {
        <div class="field">
            <label for={props.id.clone()}>
                if let Some(context) = &props.context {
                    <span class="sr-only">{ context.clone() }{" "}</span>
                }
                { props.label.clone() }
            </label>
            <input id={props.id.clone()} type="number" {value}
                   step={props.step.clone()} min={props.min.clone()} max={props.max.clone()}
                   {oninput} {onchange} />
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct CheckboxProps {
    pub id: AttrValue,
    pub label: AttrValue,
    /// Words read before the label by screen readers only.
    #[prop_or_default]
    pub context: Option<AttrValue>,
    pub checked: bool,
    pub onchange: Callback<bool>,
}

/// A labeled checkbox.
#[component]
pub fn Checkbox(props: &CheckboxProps) -> Html {
    let onchange = props
        .onchange
        .reform(|e: Event| e.target_unchecked_into::<HtmlInputElement>().checked());
    html! {
        <div class="field check">
            <input id={props.id.clone()} type="checkbox" checked={props.checked} {onchange} />
            <label for={props.id.clone()}>
                if let Some(context) = &props.context {
                    <span class="sr-only">{ context.clone() }{" "}</span>
                }
                { props.label.clone() }
            </label>
        </div>
    }
}

/// A range input with its visible label and value. `range` is `(min, max, step)`. A `live`
/// slider reports every movement; otherwise only the value it is let go at (for settings
/// whose change starts work).
pub fn slider(
    label: &str,
    accessible_name: String,
    value: f32,
    range: (f32, f32, f32),
    live: bool,
    on_value: Callback<f32>,
) -> Html {
    let read = on_value.reform(|e: Event| {
        e.target_unchecked_into::<HtmlInputElement>()
            .value()
            .parse::<f32>()
            .unwrap_or(0.0)
    });
    let (oninput, onchange) = if live {
        (Some(read.reform(|e: InputEvent| e.into())), None)
    } else {
        (None, Some(read))
    };
    let (min, max, step) = range;
    html! {
        <label class="slider">
            <span>{ label.to_string() }</span>
            <input type="range" min={min.to_string()} max={max.to_string()} step={step.to_string()}
                   value={value.to_string()} aria-label={accessible_name} {oninput} {onchange} />
            <output>{ format!("{value:.2}") }</output>
        </label>
    }
}
