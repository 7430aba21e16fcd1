use super::{PanelProps, edit_number, on_edit};
use crate::ml::experiment::{Compute, DatasetId, OptimizerKind};
use crate::ml::regression::RegressionLoss;
use crate::protocol::{RunState, SampleRef, ToWorker};
use crate::ui::app::Engine;
use crate::ui::state::{Action, AppState, EngineStatus};
use crate::ui::widgets::{
    ConfusionTable, LineChart, NumberField, PointPlot, ReferenceLine, SampleGrid, SelectField,
    Series, YFormat,
};
use crate::web;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct TrainingPanelProps {
    pub state: UseReducerHandle<AppState>,
    pub engine: Engine,
}

fn percent(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// Run, pause, step and reset training; watch the curves and the model's predictions.
#[component]
pub fn TrainingPanel(props: &TrainingPanelProps) -> Html {
    let state = &props.state;
    let edit = PanelProps {
        experiment: state.experiment.clone(),
        dispatch: state.dispatcher(),
    };
    let ready = state.engine.status == EngineStatus::Ready;
    let valid = state.model_check();
    let can_train = ready && valid.is_ok();
    let running = state.run.state == RunState::Running;

    let send = |message: ToWorker| {
        let engine = props.engine.clone();
        Callback::from(move |_: MouseEvent| engine.send(message.clone()))
    };
    let on_train = if running {
        send(ToWorker::Pause)
    } else {
        send(ToWorker::Start)
    };
    let on_cell = {
        let engine = props.engine.clone();
        Callback::from(move |(truth, predicted): (u32, u32)| {
            engine.send(ToWorker::ShowCell { truth, predicted })
        })
    };
    let on_point = {
        let engine = props.engine.clone();
        Callback::from(move |index: usize| engine.send(ToWorker::ShowPoint { index }))
    };
    // A gallery card's Explain button opens the Explain tab on that sample.
    let on_explain = {
        let dispatch = state.dispatcher();
        Some(Callback::from(move |index: usize| {
            dispatch.dispatch(Action::ExplainSample(SampleRef::valid(index)));
        }))
    };
    let include_data = use_state(|| true);
    let on_include_data = {
        let include_data = include_data.clone();
        Callback::from(move |_: Event| include_data.set(!*include_data))
    };
    let on_open = {
        let (engine, dispatch) = (props.engine.clone(), state.dispatcher());
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            let files = input.files().map(|l| web::files_of(&l)).unwrap_or_default();
            input.set_value("");
            let (engine, dispatch) = (engine.clone(), dispatch.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match web::read_files(files).await {
                    Ok(read) => engine.open(&read.names[0], &read.buffers[0], &dispatch),
                    Err(message) => dispatch.dispatch(Action::Alert(message)),
                }
            });
        })
    };
    let uploaded = state.experiment.dataset == DatasetId::Uploaded;
    let on_compute = {
        let dispatch = state.dispatcher();
        Callback::from(move |id: String| {
            dispatch.dispatch(Action::SetCompute(
                Compute::from_id(&id).unwrap_or_default(),
            ))
        })
    };
    // Every core is 0, so that a link made on one machine means every core on another.
    let cores = web::cpu_cores();
    let on_cpu_threads = {
        let dispatch = state.dispatcher();
        Callback::from(move |text: String| match text.trim().parse::<usize>() {
            Ok(threads) if (1..=cores).contains(&threads) => {
                dispatch.dispatch(Action::SetCpuThreads(if threads == cores {
                    0
                } else {
                    threads
                }))
            }
            _ => dispatch.dispatch(Action::Alert(format!(
                "CPU threads: `{text}` is not a whole number from 1 to {cores} (this machine's \
                 cores). The previous value is kept."
            ))),
        })
    };
    let on_optimizer = on_edit(&edit, |e, id: String| {
        e.optimizer = OptimizerKind::from_id(&id).unwrap_or(OptimizerKind::Adam);
    });
    let on_lr = edit_number::<f64>(&edit, "Learning rate", |e, v| e.learning_rate = v);
    let on_batch = edit_number::<usize>(&edit, "Batch size", |e, v| e.batch_size = v);
    let on_seed = edit_number::<u64>(&edit, "Seed", |e, v| e.seed = v);
    let on_loss = on_edit(&edit, |e, id: String| {
        if let Some(loss) = RegressionLoss::from_id(&id) {
            e.regression_loss = loss;
        }
    });
    let losses: Vec<(AttrValue, AttrValue)> = {
        let current = state.experiment.regression_loss;
        let mut choices = RegressionLoss::CHOICES.to_vec();
        if !choices.contains(&current) {
            choices.push(current);
        }
        choices
            .into_iter()
            .map(|l| (AttrValue::from(l.id()), AttrValue::from(l.title())))
            .collect()
    };

    let computes: Vec<(AttrValue, AttrValue)> = Compute::ALL
        .iter()
        .map(|c| (AttrValue::from(c.id()), AttrValue::from(c.title())))
        .collect();
    let optimizers: Vec<(AttrValue, AttrValue)> = OptimizerKind::ALL
        .iter()
        .map(|o| (AttrValue::from(o.id()), AttrValue::from(o.title())))
        .collect();

    let status = match &state.engine.backend {
        Some((backend, reason)) => format!("Compute: {} — {reason}", backend.title()),
        None if ready => "Compute: choosing a backend…".to_string(),
        None if state.engine_build().is_none() => "Compute: looking for a GPU…".to_string(),
        None => "Compute: waiting for the engine…".to_string(),
    };
    let last_train = state.run.train.last();
    let last_eval = state.run.eval.last();
    let dash = || "—".to_string();
    let class_names = state
        .run
        .info
        .as_ref()
        .map(|r| r.class_names.clone())
        .unwrap_or_default();
    // A measured target: errors in its units where classes have accuracy.
    let measured = state.run.info.as_ref().is_some_and(|r| r.measured);
    let quantity = class_names.first().cloned().unwrap_or_default();

    let train_loss: Vec<(f64, f64)> = state
        .run
        .train
        .iter()
        .map(|r| (r.step as f64, r.loss))
        .collect();
    // The curve beside the loss: RMSE for a measured target, else accuracy.
    let score = |step: u64, accuracy: f64, rmse: Option<f64>| {
        let value = if measured {
            rmse.unwrap_or(f64::NAN)
        } else {
            accuracy
        };
        (step as f64, value)
    };
    let train_acc: Vec<(f64, f64)> = state
        .run
        .train
        .iter()
        .map(|r| score(r.step, r.accuracy, r.rmse))
        .collect();
    let val_loss: Vec<(f64, f64)> = state
        .run
        .eval
        .iter()
        .map(|r| (r.step as f64, r.loss))
        .collect();
    let val_acc: Vec<(f64, f64)> = state
        .run
        .eval
        .iter()
        .map(|r| score(r.step, r.accuracy, r.rmse))
        .collect();
    let regression = state
        .run
        .last_eval
        .as_ref()
        .and_then(|e| e.regression.as_ref());
    let number = |v: f64| format!("{v:.3}");

    let stat = |label: &'static str, value: String| {
        html! {
            <div class="stat">
                <span class="stat-name">{ label }</span>
                <output class="stat-value" aria-label={label}>{ value }</output>
            </div>
        }
    };

    html! {
        <section class="panel training" aria-label="Training panel">
            <h2 id="training-heading">{"Training"}</h2>
            <div class="controls">
                <button class="primary" onclick={on_train} disabled={!can_train && !running}
                        title={valid.clone().err().unwrap_or_default()}>
                    { if running { "Pause" } else { "Train" } }
                </button>
                <button onclick={send(ToWorker::Step)} disabled={!can_train || running}>{"Step"}</button>
                <button onclick={send(ToWorker::Reset)} disabled={!can_train}>{"Reset"}</button>
                <SelectField id="compute" label="Compute" options={computes}
                             selected={state.compute.id()} onchange={on_compute} />
                <NumberField id="cpu-threads" label="CPU threads"
                             value={(if state.cpu_threads == 0 { cores } else { state.cpu_threads.min(cores) }).to_string()}
                             step="1" min="1" max={cores.to_string()} onchange={on_cpu_threads} />
            </div>
            <div class="controls files">
                <button onclick={send(ToWorker::ExportModel)} disabled={!can_train}>{"Export model"}</button>
                <button onclick={send(ToWorker::ExportExperiment { include_data: uploaded && *include_data })}
                        disabled={!ready}>{"Export experiment"}</button>
                if uploaded {
                    <label><input type="checkbox" checked={*include_data} onchange={on_include_data} />
                        {"with the uploaded data"}</label>
                }
                <label for="open-experiment" class="button">{"Open experiment"}</label>
                <input id="open-experiment" class="sr-only" type="file" accept=".petri"
                       onchange={on_open} disabled={!ready} />
            </div>
            <p class="status" role="status" aria-label="Compute status">{ status }</p>
            if let Some(notice) = &state.notice {
                <p class="notice">{ notice.clone() }</p>
            }
            <div class="row settings">
                <SelectField id="optimizer" label="Optimizer" options={optimizers}
                             selected={state.experiment.optimizer.id()} onchange={on_optimizer} />
                <NumberField id="learning-rate" label="Learning rate"
                             value={state.experiment.learning_rate.to_string()} step="0.001"
                             min="0" max="1" onchange={on_lr} />
                <NumberField id="batch-size" label="Batch size"
                             value={state.experiment.batch_size.to_string()} step="1"
                             min="1" onchange={on_batch} />
                <NumberField id="seed" label="Seed" value={state.experiment.seed.to_string()}
                             step="1" min="0" onchange={on_seed} />
                if measured {
                    <SelectField id="regression-loss" label="Loss" options={losses}
                                 selected={state.experiment.regression_loss.id()} onchange={on_loss} />
                }
            </div>
            <div class="stats">
                { stat("Steps", state.step().to_string()) }
                { stat("Epoch", last_train.map_or_else(dash, |r| format!("{:.2}", r.epoch))) }
                { stat("Training loss", last_train.map_or_else(dash, |r| format!("{:.4}", r.loss))) }
                if measured {
                    { stat("Training RMSE", last_train.and_then(|r| r.rmse).map_or_else(dash, number)) }
                    { stat("Validation loss", last_eval.map_or_else(dash, |r| format!("{:.4}", r.loss))) }
                    { stat("Validation RMSE", regression.map_or_else(dash, |r| number(r.metrics.rmse))) }
                    { stat("Validation MAE", regression.map_or_else(dash, |r| number(r.metrics.mae))) }
                    { stat("Validation R²", regression.map_or_else(dash, |r| number(r.metrics.r2))) }
                } else {
                    { stat("Training accuracy", last_train.map_or_else(dash, |r| percent(r.accuracy))) }
                    { stat("Validation loss", last_eval.map_or_else(dash, |r| format!("{:.4}", r.loss))) }
                    { stat("Validation accuracy", last_eval.map_or_else(dash, |r| percent(r.accuracy))) }
                }
                { stat("Samples/s", last_train.map_or_else(dash, |r| format!("{:.0}", r.samples_per_second))) }
            </div>
            <div class="charts">
                <LineChart title="Loss" series={vec![
                    Series { name: "training".into(), class: "train", points: train_loss },
                    Series { name: "validation".into(), class: "valid", points: val_loss },
                ]} />
                if measured {
                    <LineChart title={format!("RMSE ({quantity})")} series={vec![
                        Series { name: "training".into(), class: "train", points: train_acc },
                        Series { name: "validation".into(), class: "valid", points: val_acc },
                    ]} />
                } else {
                    <LineChart title="Accuracy" y_range={Some((0.0, 1.0))}
                               y_format={YFormat::Percent}
                               series={vec![
                        Series { name: "training".into(), class: "train", points: train_acc },
                        Series { name: "validation".into(), class: "valid", points: val_acc },
                    ]} />
                }
            </div>
            if let Some(eval) = &state.run.last_eval {
                <h3>{ format!("Validation predictions at step {}", eval.step) }</h3>
                <SampleGrid items={eval.gallery.clone()} class_names={class_names.clone()}
                            label="Validation predictions" on_explain={on_explain.clone()} />
                if let Some(regression) = &eval.regression {
                    <div class="charts">
                        <PointPlot title={format!("Predicted against measured {quantity} (validation)")}
                                   x_label="measured" y_label="predicted" line={ReferenceLine::Identity}
                                   points={regression.points.iter().map(|&(m, p)| (f64::from(m), f64::from(p))).collect::<Vec<_>>()}
                                   onselect={on_point.clone()}
                                   selected={state.run.cell.as_ref().and_then(|c| c.items.first()).map(|i| i.index)} />
                        <PointPlot title="Residuals (predicted − measured)"
                                   x_label="measured" y_label="residual" line={ReferenceLine::Zero}
                                   points={regression.points.iter().map(|&(m, p)| (f64::from(m), f64::from(p - m))).collect::<Vec<_>>()}
                                   onselect={on_point}
                                   selected={state.run.cell.as_ref().and_then(|c| c.items.first()).map(|i| i.index)} />
                    </div>
                    if let Some(item) = state.run.cell.as_ref().and_then(|c| c.items.first()) {
                        <h3>{ format!("Validation sample {}", item.index) }</h3>
                        <SampleGrid items={vec![item.clone()]} class_names={class_names.clone()}
                                    label="The selected sample" on_explain={on_explain.clone()} />
                    }
                } else {
                    <ConfusionTable matrix={eval.confusion.clone()} class_names={class_names.clone()}
                                    onselect={on_cell}
                                    selected={state.run.cell.as_ref().map(|c| (c.truth, c.predicted))} />
                }
                if let Some(cell) = state.run.cell.as_ref().filter(|_| !measured) {
                    <h3>{ format!("True {}, predicted {}: {} sample{}{}",
                        class_names.get(cell.truth as usize).cloned().unwrap_or_default(),
                        class_names.get(cell.predicted as usize).cloned().unwrap_or_default(),
                        cell.count,
                        if cell.count == 1 { "" } else { "s" },
                        if cell.count > cell.items.len() && cell.items.len() > 1 { format!(" (first {})", cell.items.len()) } else { String::new() }) }</h3>
                    <SampleGrid items={cell.items.clone()} class_names={class_names}
                                label="Samples of the selected cell" {on_explain} />
                }
            } else {
                <p class="hint">{"Press Train: predictions on validation samples appear here after the first epoch."}</p>
            }
        </section>
    }
}
