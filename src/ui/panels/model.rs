use super::{PanelProps, edit_number, on_edit};
use crate::ml::experiment::Experiment;
use crate::ml::models::cnn::{MAX_BLOCKS, MAX_CHANNELS, MAX_KERNEL};
use crate::ml::models::{Activation, CnnConfig, ConvBlock, ModelConfig, ModelFamily, Padding};
use crate::ui::state::Action;
use crate::ui::widgets::{Checkbox, NumberField, SelectField, thousands};
use yew::prelude::*;

/// Choose and shape the network; see its layers and size, or why it cannot be built.
#[component]
pub fn ModelPanel(props: &PanelProps) -> Html {
    let experiment = &props.experiment;
    let kind = experiment.dataset.kind();
    let family = experiment.model.family();
    let on_family = on_edit(props, move |experiment, id: String| {
        if let Some(family) = ModelFamily::from_id(&id).filter(|f| f.fits(kind))
            && family != experiment.model.family()
        {
            experiment.model = family.default_config();
        }
    });
    let options: Vec<(AttrValue, AttrValue)> = ModelFamily::ALL
        .iter()
        .filter(|f| f.fits(kind))
        .map(|f| (AttrValue::from(f.id()), AttrValue::from(f.title())))
        .collect();
    let builder = match &experiment.model {
        ModelConfig::Cnn(cnn) => cnn_builder(props, cnn),
    };
    let shape = experiment.dataset.shape();
    let check = experiment
        .model
        .summary(&shape, experiment.dataset.class_names().len());
    html! {
        <section class="panel model" aria-labelledby="model-heading">
            <h2 id="model-heading">{"Model"}</h2>
            <SelectField id="model" label="Model" {options} selected={family.id()} onchange={on_family} />
            { builder }
            {
                match check {
                    Ok(summary) => html! {
                        <>
                            <p class="params">
                                {"Parameters: "}
                                <output aria-label="Parameter count">{ thousands(summary.params) }</output>
                            </p>
                            <table class="layers">
                                <thead><tr><th>{"Layer"}</th><th>{"Output"}</th><th>{"Params"}</th></tr></thead>
                                <tbody>
                                    { for summary.layers.iter().map(|l| html! {
                                        <tr><td>{ l.name.clone() }</td><td>{ l.output.clone() }</td>
                                            <td>{ thousands(l.params) }</td></tr>
                                    }) }
                                </tbody>
                            </table>
                        </>
                    },
                    Err(message) => html! {
                        <p class="invalid" aria-label="Model problem">{ message }</p>
                    },
                }
            }
        </section>
    }
}

/// A callback that changes the CNN config with `change` and the value it receives.
fn on_cnn<T: 'static>(
    props: &PanelProps,
    change: impl Fn(&mut CnnConfig, T) + 'static,
) -> Callback<T> {
    on_edit(props, move |experiment: &mut Experiment, value: T| {
        #[allow(irrefutable_let_patterns)]
        if let ModelConfig::Cnn(cnn) = &mut experiment.model {
            change(cnn, value);
        }
    })
}

fn block_number(
    props: &PanelProps,
    index: usize,
    what: &'static str,
    set: fn(&mut ConvBlock, usize),
) -> Callback<String> {
    let edit = on_cnn(props, move |cnn, value: usize| {
        if let Some(block) = cnn.blocks.get_mut(index) {
            set(block, value);
        }
    });
    let dispatch = props.dispatch.clone();
    Callback::from(move |text: String| match text.trim().parse::<usize>() {
        Ok(value) => edit.emit(value),
        Err(_) => dispatch.dispatch(Action::Alert(format!(
            "Block {} {what}: \"{text}\" is not a whole number; the previous value is kept.",
            index + 1
        ))),
    })
}

fn cnn_builder(props: &PanelProps, cnn: &CnnConfig) -> Html {
    let rows = cnn.blocks.iter().enumerate().map(|(i, block)| {
        let n = i + 1;
        let on_pool = on_cnn(props, move |c, pool: bool| {
            if let Some(b) = c.blocks.get_mut(i) {
                b.pool = pool;
            }
        });
        let remove = on_cnn(props, move |c, _: MouseEvent| {
            if c.blocks.len() > 1 {
                c.blocks.remove(i);
            }
        });
        html! {
            <li class="block">
                <span class="block-name">{ format!("Block {n}") }</span>
                <NumberField id={format!("block-{n}-channels")} label="channels" context={format!("Block {n}")}
                             value={block.channels.to_string()} step="1" min="1"
                             max={MAX_CHANNELS.to_string()}
                             onchange={block_number(props, i, "channels", |b, v| b.channels = v)} />
                <NumberField id={format!("block-{n}-kernel")} label="kernel" context={format!("Block {n}")}
                             value={block.kernel.to_string()} step="1" min="1"
                             max={MAX_KERNEL.to_string()}
                             onchange={block_number(props, i, "kernel", |b, v| b.kernel = v)} />
                <Checkbox id={format!("block-{n}-pool")} label="pool 2×2" context={format!("Block {n}")} checked={block.pool}
                          onchange={on_pool} />
                <button class="small" onclick={remove} disabled={cnn.blocks.len() <= 1}
                        aria-label={format!("Remove block {n}")}>{"Remove"}</button>
            </li>
        }
    });
    let add = on_cnn(props, |c, _: MouseEvent| {
        if c.blocks.len() < MAX_BLOCKS {
            let channels = c
                .blocks
                .last()
                .map_or(8, |b| (b.channels * 2).min(MAX_CHANNELS));
            c.blocks.push(ConvBlock {
                channels,
                kernel: 3,
                pool: false,
            });
        }
    });
    let on_activation = on_cnn(props, |c, id: String| {
        if let Some(activation) = Activation::from_id(&id) {
            c.activation = activation;
        }
    });
    let on_padding = on_cnn(props, |c, id: String| {
        c.padding = if id == "same" {
            Padding::Same
        } else {
            Padding::Valid
        };
    });
    let on_batch_norm = on_cnn(props, |c, on: bool| c.batch_norm = on);
    let on_dropout = edit_number::<f64>(props, "Dropout", |e, v| {
        #[allow(irrefutable_let_patterns)]
        if let ModelConfig::Cnn(cnn) = &mut e.model {
            cnn.dropout = v;
        }
    });
    let activations: Vec<(AttrValue, AttrValue)> = Activation::ALL
        .iter()
        .map(|a| (AttrValue::from(a.id()), AttrValue::from(a.title())))
        .collect();
    let paddings = vec![
        (
            AttrValue::from("valid"),
            AttrValue::from("valid (no padding)"),
        ),
        (
            AttrValue::from("same"),
            AttrValue::from("same (zero padding)"),
        ),
    ];
    html! {
        <div class="builder">
            <ol class="blocks" aria-label="Conv blocks">{ for rows }</ol>
            <button class="small" onclick={add} disabled={cnn.blocks.len() >= MAX_BLOCKS}>{"Add block"}</button>
            <div class="row">
                <SelectField id="activation" label="Activation" options={activations}
                             selected={cnn.activation.id()} onchange={on_activation} />
                <SelectField id="padding" label="Padding" options={paddings}
                             selected={if cnn.padding == Padding::Same { "same" } else { "valid" }}
                             onchange={on_padding} />
            </div>
            <div class="row">
                <Checkbox id="batch-norm" label="Batch norm" checked={cnn.batch_norm} onchange={on_batch_norm} />
                <NumberField id="dropout" label="Dropout" value={cnn.dropout.to_string()} step="0.05"
                             min="0" max="0.9" onchange={on_dropout} />
            </div>
        </div>
    }
}
