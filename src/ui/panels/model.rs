use super::{PanelProps, edit_number, on_edit};
use crate::ml::data::{DataKind, DataShape};
use crate::ml::experiment::Experiment;
use crate::ml::models::cnn::{MAX_BLOCKS, MAX_CHANNELS, MAX_KERNEL};
use crate::ml::models::{
    Activation, CellKind, Cnn1dConfig, CnnConfig, ConvBlock, GnnConfig, GnnKind, MlpConfig,
    ModelConfig, ModelFamily, Padding, Pooling, Positions, Readout, RnnConfig, TokenPooling,
    TransformerConfig, mlp, transformer,
};
use crate::ui::state::{Action, AppState};
use crate::ui::widgets::{Checkbox, NumberField, SelectField, thousands};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ModelPanelProps {
    pub experiment: Experiment,
    /// The chosen dataset's sample shape and class names (`None` while it is missing).
    pub data: Option<(DataShape, Vec<String>)>,
    pub dispatch: UseReducerDispatcher<AppState>,
}

/// Choose and shape the network; see its layers and size, or why it cannot be built.
#[component]
pub fn ModelPanel(model_props: &ModelPanelProps) -> Html {
    let props = &PanelProps {
        experiment: model_props.experiment.clone(),
        dispatch: model_props.dispatch.clone(),
    };
    let experiment = &props.experiment;
    let Some((shape, class_names)) = model_props.data.clone() else {
        return html! {
            <section class="panel model" aria-label="Model panel">
                <h2 id="model-heading">{"Model"}</h2>
                <p class="hint">{"Upload a dataset, or choose a built-in one, to build a model."}</p>
            </section>
        };
    };
    let kind = shape.kind();
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
        ModelConfig::Cnn1d(cnn) => cnn1d_builder(props, cnn),
        ModelConfig::Rnn(rnn) => rnn_builder(props, rnn),
        ModelConfig::Transformer(t) => transformer_builder(props, t),
        ModelConfig::Gnn(gnn) => gnn_builder(props, gnn, kind == DataKind::Graph),
        ModelConfig::Mlp(mlp) => mlp_builder(props, mlp),
    };
    let check = experiment.model.summary(&shape, class_names.len());
    html! {
        <section class="panel model" aria-label="Model panel">
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

/// A callback that changes the model config with `change` and the value it receives.
fn on_model<T: Clone + 'static>(
    props: &PanelProps,
    change: impl Fn(&mut ModelConfig, T) + 'static,
) -> Callback<T> {
    on_edit(props, move |experiment: &mut Experiment, value: T| {
        change(&mut experiment.model, value)
    })
}

/// A callback that changes the conv blocks (of a CNN or 1-D CNN).
fn on_blocks<T: Clone + 'static>(
    props: &PanelProps,
    change: impl Fn(&mut Vec<ConvBlock>, T) + 'static,
) -> Callback<T> {
    on_model(props, move |model, value| match model {
        ModelConfig::Cnn(cnn) => change(&mut cnn.blocks, value),
        ModelConfig::Cnn1d(cnn) => change(&mut cnn.blocks, value),
        _ => {}
    })
}

/// A number field's callback that sets a model setting, or alerts naming `what`.
fn model_number<T: std::str::FromStr + Clone + 'static>(
    props: &PanelProps,
    what: &'static str,
    apply: impl Fn(&mut ModelConfig, T) + 'static,
) -> Callback<String> {
    edit_number(props, what, move |experiment: &mut Experiment, value: T| {
        apply(&mut experiment.model, value)
    })
}

fn block_number(
    props: &PanelProps,
    index: usize,
    what: &'static str,
    set: fn(&mut ConvBlock, usize),
) -> Callback<String> {
    let edit = on_blocks(props, move |blocks, value: usize| {
        if let Some(block) = blocks.get_mut(index) {
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

/// The list of conv blocks with add/remove.
fn blocks_editor(
    props: &PanelProps,
    blocks: &[ConvBlock],
    pool_label: &'static str,
    max_kernel: usize,
) -> Html {
    let rows = blocks.iter().enumerate().map(|(i, block)| {
        let n = i + 1;
        let on_pool = on_blocks(props, move |blocks, pool: bool| {
            if let Some(b) = blocks.get_mut(i) {
                b.pool = pool;
            }
        });
        let remove = on_blocks(props, move |blocks, _: MouseEvent| {
            if blocks.len() > 1 {
                blocks.remove(i);
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
                             max={max_kernel.to_string()}
                             onchange={block_number(props, i, "kernel", |b, v| b.kernel = v)} />
                <Checkbox id={format!("block-{n}-pool")} label={pool_label} context={format!("Block {n}")}
                          checked={block.pool} onchange={on_pool} />
                <button class="small" onclick={remove} disabled={blocks.len() <= 1}
                        aria-label={format!("Remove block {n}")}>{"Remove"}</button>
            </li>
        }
    });
    let add = on_blocks(props, |blocks, _: MouseEvent| {
        if blocks.len() < MAX_BLOCKS {
            let channels = blocks
                .last()
                .map_or(8, |b| (b.channels * 2).min(MAX_CHANNELS));
            blocks.push(ConvBlock {
                channels,
                kernel: 3,
                pool: false,
            });
        }
    });
    html! {
        <>
            <ol class="blocks" aria-label="Conv blocks">{ for rows }</ol>
            <button class="small" onclick={add} disabled={blocks.len() >= MAX_BLOCKS}>{"Add block"}</button>
        </>
    }
}

fn activation_field(props: &PanelProps, current: Activation) -> Html {
    let on_activation = on_model(props, |model, id: String| {
        if let Some(activation) = Activation::from_id(&id) {
            match model {
                ModelConfig::Cnn(c) => c.activation = activation,
                ModelConfig::Cnn1d(c) => c.activation = activation,
                ModelConfig::Gnn(c) => c.activation = activation,
                ModelConfig::Mlp(c) => c.activation = activation,
                ModelConfig::Rnn(_) | ModelConfig::Transformer(_) => {}
            }
        }
    });
    let activations: Vec<(AttrValue, AttrValue)> = Activation::ALL
        .iter()
        .map(|a| (AttrValue::from(a.id()), AttrValue::from(a.title())))
        .collect();
    html! {
        <SelectField id="activation" label="Activation" options={activations}
                     selected={current.id()} onchange={on_activation} />
    }
}

fn dropout_field(props: &PanelProps, current: f64) -> Html {
    let on_dropout = model_number::<f64>(props, "Dropout", |model, v| match model {
        ModelConfig::Cnn(c) => c.dropout = v,
        ModelConfig::Cnn1d(c) => c.dropout = v,
        ModelConfig::Rnn(c) => c.dropout = v,
        ModelConfig::Transformer(c) => c.dropout = v,
        ModelConfig::Gnn(c) => c.dropout = v,
        ModelConfig::Mlp(c) => c.dropout = v,
    });
    html! {
        <NumberField id="dropout" label="Dropout" value={current.to_string()} step="0.05"
                     min="0" max="0.9" onchange={on_dropout} />
    }
}

fn cnn_builder(props: &PanelProps, cnn: &CnnConfig) -> Html {
    let on_padding = on_model(props, |model, id: String| {
        if let ModelConfig::Cnn(c) = model {
            c.padding = Padding::from_id(&id).unwrap_or_default();
        }
    });
    let on_batch_norm = on_model(props, |model, on: bool| {
        if let ModelConfig::Cnn(c) = model {
            c.batch_norm = on;
        }
    });
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
            { blocks_editor(props, &cnn.blocks, "pool 2×2", MAX_KERNEL) }
            <div class="row">
                { activation_field(props, cnn.activation) }
                <SelectField id="padding" label="Padding" options={paddings}
                             selected={cnn.padding.id()}
                             onchange={on_padding} />
            </div>
            <div class="row">
                <Checkbox id="batch-norm" label="Batch norm" checked={cnn.batch_norm} onchange={on_batch_norm} />
                { dropout_field(props, cnn.dropout) }
            </div>
        </div>
    }
}

fn mlp_builder(props: &PanelProps, config: &MlpConfig) -> Html {
    let layers = config.hidden.len();
    let add = on_model(props, |model, _: MouseEvent| {
        if let ModelConfig::Mlp(c) = model
            && c.hidden.len() < mlp::MAX_HIDDEN_LAYERS
        {
            let width = c.hidden.last().copied().unwrap_or(32);
            c.hidden.push(width);
        }
    });
    html! {
        <div class="builder">
            { for config.hidden.iter().enumerate().map(|(i, &width)| {
                let on_width = model_number::<usize>(props, "Units", move |model, v| {
                    if let ModelConfig::Mlp(c) = model && i < c.hidden.len() {
                        c.hidden[i] = v;
                    }
                });
                let remove = on_model(props, move |model, _: MouseEvent| {
                    if let ModelConfig::Mlp(c) = model && i < c.hidden.len() {
                        c.hidden.remove(i);
                    }
                });
                html! {
                    <div class="block">
                        <strong>{ format!("Hidden layer {}", i + 1) }</strong>
                        <NumberField id={format!("mlp-units-{i}")} label="units"
                                     context={format!("Hidden layer {}", i + 1)}
                                     value={width.to_string()} min="1" max={mlp::MAX_WIDTH.to_string()}
                                     step="1" onchange={on_width} />
                        <button class="small" onclick={remove}>{"Remove"}</button>
                    </div>
                }
            }) }
            <button class="small" onclick={add} disabled={layers >= mlp::MAX_HIDDEN_LAYERS}>{"Add layer"}</button>
            <p class="hint">{"Dense layers over the table's feature columns, each standardized to zero mean and unit variance."}</p>
            <div class="row">
                { activation_field(props, config.activation) }
                { dropout_field(props, config.dropout) }
            </div>
        </div>
    }
}

fn cnn1d_builder(props: &PanelProps, cnn: &Cnn1dConfig) -> Html {
    html! {
        <div class="builder">
            { blocks_editor(props, &cnn.blocks, "pool 2", 2 * MAX_KERNEL + 1) }
            <p class="hint">{"Convolutions run along the sequence ('same' padding); a max over all positions then finds a pattern wherever it sits."}</p>
            <div class="row">
                { activation_field(props, cnn.activation) }
                { dropout_field(props, cnn.dropout) }
            </div>
        </div>
    }
}

fn rnn_builder(props: &PanelProps, rnn: &RnnConfig) -> Html {
    let on_cell = on_model(props, |model, id: String| {
        if let ModelConfig::Rnn(c) = model {
            c.cell = CellKind::from_id(&id).unwrap_or_default();
        }
    });
    let on_pooling = on_model(props, |model, id: String| {
        if let ModelConfig::Rnn(c) = model {
            c.pooling = Pooling::from_id(&id).unwrap_or_default();
        }
    });
    let on_bidirectional = on_model(props, |model, on: bool| {
        if let ModelConfig::Rnn(c) = model {
            c.bidirectional = on;
        }
    });
    let on_layers = model_number::<usize>(props, "Layers", |model, v| {
        if let ModelConfig::Rnn(c) = model {
            c.layers = v;
        }
    });
    let on_hidden = model_number::<usize>(props, "Hidden units", |model, v| {
        if let ModelConfig::Rnn(c) = model {
            c.hidden = v;
        }
    });
    let cells = vec![
        (AttrValue::from("gru"), AttrValue::from("GRU")),
        (AttrValue::from("lstm"), AttrValue::from("LSTM")),
    ];
    let poolings = vec![
        (AttrValue::from("last"), AttrValue::from("last state")),
        (AttrValue::from("mean"), AttrValue::from("mean over time")),
    ];
    html! {
        <div class="builder">
            <div class="row">
                <SelectField id="cell" label="Cell" options={cells}
                             selected={rnn.cell.id()} onchange={on_cell} />
                <NumberField id="rnn-layers" label="Layers" value={rnn.layers.to_string()} step="1"
                             min="1" max={crate::ml::models::rnn::MAX_LAYERS.to_string()} onchange={on_layers} />
                <NumberField id="rnn-hidden" label="Hidden units" value={rnn.hidden.to_string()} step="1"
                             min="1" max={crate::ml::models::rnn::MAX_HIDDEN.to_string()} onchange={on_hidden} />
            </div>
            <div class="row">
                <Checkbox id="bidirectional" label="Bidirectional" checked={rnn.bidirectional} onchange={on_bidirectional} />
                <SelectField id="pooling" label="Pooling" options={poolings}
                             selected={rnn.pooling.id()} onchange={on_pooling} />
                { dropout_field(props, rnn.dropout) }
            </div>
        </div>
    }
}

/// A callback that changes the Transformer's config.
fn on_transformer<T: Clone + 'static>(
    props: &PanelProps,
    change: fn(&mut TransformerConfig, T),
) -> Callback<T> {
    on_model(props, move |model, value| {
        if let ModelConfig::Transformer(c) = model {
            change(c, value);
        }
    })
}

/// A number field's callback for a Transformer setting, alerting with `what`.
fn transformer_number(
    props: &PanelProps,
    what: &'static str,
    set: fn(&mut TransformerConfig, usize),
) -> Callback<String> {
    model_number::<usize>(props, what, move |model, v| {
        if let ModelConfig::Transformer(c) = model {
            set(c, v);
        }
    })
}

fn transformer_builder(props: &PanelProps, config: &TransformerConfig) -> Html {
    let on_positions = on_transformer(props, |c, id: String| {
        c.positions = Positions::from_id(&id).unwrap_or_default();
    });
    let on_pooling = on_transformer(props, |c, id: String| {
        c.pooling = TokenPooling::from_id(&id).unwrap_or_default();
    });
    let on_pre_norm = on_transformer(props, |c, on: bool| c.pre_norm = on);
    let on_kmer = transformer_number(props, "Positions per token (k-mer)", |c, v| c.kmer = v);
    let on_stride = transformer_number(props, "Step between tokens", |c, v| c.stride = v);
    let on_layers = transformer_number(props, "Layers", |c, v| c.layers = v);
    let on_heads = transformer_number(props, "Heads", |c, v| c.heads = v);
    let on_width = transformer_number(props, "Width", |c, v| c.width = v);
    let on_feed_forward =
        transformer_number(props, "Feed-forward width", |c, v| c.feed_forward = v);
    let positions: Vec<(AttrValue, AttrValue)> = Positions::ALL
        .iter()
        .map(|p| (AttrValue::from(p.id()), AttrValue::from(p.title())))
        .collect();
    let poolings: Vec<(AttrValue, AttrValue)> = TokenPooling::ALL
        .iter()
        .map(|p| (AttrValue::from(p.id()), AttrValue::from(p.title())))
        .collect();
    html! {
        <div class="builder">
            <div class="row">
                <NumberField id="tf-kmer" label="Positions per token (k-mer)" value={config.kmer.to_string()} step="1"
                             min="1" max={transformer::MAX_KMER.to_string()} onchange={on_kmer} />
                <NumberField id="tf-stride" label="Step between tokens" value={config.stride.to_string()} step="1"
                             min="1" max={config.kmer.to_string()} onchange={on_stride} />
                <SelectField id="tf-positions" label="Positions" options={positions}
                             selected={config.positions.id()} onchange={on_positions} />
                <SelectField id="tf-pooling" label="Pooling" options={poolings}
                             selected={config.pooling.id()} onchange={on_pooling} />
            </div>
            <div class="row">
                <NumberField id="tf-layers" label="Layers" value={config.layers.to_string()} step="1"
                             min="1" max={transformer::MAX_LAYERS.to_string()} onchange={on_layers} />
                <NumberField id="tf-heads" label="Heads" value={config.heads.to_string()} step="1"
                             min="1" max={transformer::MAX_HEADS.to_string()} onchange={on_heads} />
                <NumberField id="tf-width" label="Width" value={config.width.to_string()} step="1"
                             min="1" max={transformer::MAX_WIDTH.to_string()} onchange={on_width} />
                <NumberField id="tf-feed-forward" label="Feed-forward width" value={config.feed_forward.to_string()}
                             step="1" min="1" max={transformer::MAX_FEED_FORWARD.to_string()} onchange={on_feed_forward} />
            </div>
            <div class="row">
                <Checkbox id="tf-pre-norm" label="Pre-norm" checked={config.pre_norm} onchange={on_pre_norm} />
                { dropout_field(props, config.dropout) }
            </div>
            <p class="hint">
                {"Each token reads a run of positions: one base or character, or a k-mer (several \
                  bases), or a patch of a series; a step shorter than the k-mer makes tokens \
                  overlap. Every token attends to every real token; Explain shows where each \
                  head looked."}
            </p>
        </div>
    }
}

fn gnn_builder(props: &PanelProps, gnn: &GnnConfig, graph_task: bool) -> Html {
    let on_kind = on_model(props, |model, id: String| {
        if let ModelConfig::Gnn(c) = model {
            c.kind = GnnKind::from_id(&id).unwrap_or_default();
        }
    });
    let on_readout = on_model(props, |model, id: String| {
        if let ModelConfig::Gnn(c) = model {
            c.readout = Readout::from_id(&id).unwrap_or_default();
        }
    });
    let on_layers = model_number::<usize>(props, "Layers", |model, v| {
        if let ModelConfig::Gnn(c) = model {
            c.layers = v;
        }
    });
    let on_hidden = model_number::<usize>(props, "Hidden units", |model, v| {
        if let ModelConfig::Gnn(c) = model {
            c.hidden = v;
        }
    });
    let kinds = vec![
        (
            AttrValue::from("gcn"),
            AttrValue::from("GCN (normalised mean)"),
        ),
        (AttrValue::from("gin"), AttrValue::from("GIN (sum + MLP)")),
        (
            AttrValue::from("gine"),
            AttrValue::from("GINE (GIN reading bond types)"),
        ),
        (
            AttrValue::from("gat"),
            AttrValue::from("GAT (graph attention)"),
        ),
    ];
    let readouts = vec![
        (AttrValue::from("mean"), AttrValue::from("mean")),
        (AttrValue::from("sum"), AttrValue::from("sum")),
        (AttrValue::from("max"), AttrValue::from("max")),
    ];
    html! {
        <div class="builder">
            <div class="row">
                <SelectField id="gnn-kind" label="Layer type" options={kinds}
                             selected={gnn.kind.id()} onchange={on_kind} />
                <NumberField id="gnn-layers" label="Layers" value={gnn.layers.to_string()} step="1"
                             min="1" max={crate::ml::models::gnn::MAX_LAYERS.to_string()} onchange={on_layers} />
                <NumberField id="gnn-hidden" label="Hidden units" value={gnn.hidden.to_string()} step="1"
                             min="1" max={crate::ml::models::gnn::MAX_HIDDEN.to_string()} onchange={on_hidden} />
            </div>
            <div class="row">
                { activation_field(props, gnn.activation) }
                if graph_task {
                    <SelectField id="readout" label="Readout" options={readouts} selected={gnn.readout.id()} onchange={on_readout} />
                }
                { dropout_field(props, gnn.dropout) }
            </div>
            if gnn.kind == GnnKind::Gat {
                <p class="hint">
                    {"GAT weighs each neighbour (and the node itself) by a learned attention score \
                      instead of a fixed average: Explain shows the weights on the edges."}
                </p>
            }
            if gnn.kind == GnnKind::Gine {
                <p class="hint">
                    {"GINE adds an embedding of each edge's type to its messages: single, double, \
                      triple or aromatic bonds of molecules read from SMILES. Edges of other graphs \
                      have no type, and GINE treats them all alike."}
                </p>
            }
        </div>
    }
}
