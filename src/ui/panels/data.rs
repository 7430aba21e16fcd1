use super::{PanelProps, on_edit};
use crate::ml::data::{BuiltinDataset, DataKind};
use crate::ml::experiment::{DatasetId, Experiment};
use crate::ml::import::{
    IMAGE_SIZES, ImageColor, ImageFit, ImportOptions, MAX_SAMPLES, MAX_UPLOAD_BYTES, MissingValues,
    TableAs, TargetKind,
};
use crate::protocol::{RunInfo, UploadSummary};
use crate::ui::state::{AppState, Importing};
use crate::ui::widgets::{Checkbox, SampleGrid, SelectField, thousands};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DataPanelProps {
    pub experiment: Experiment,
    pub run: Option<Rc<RunInfo>>,
    pub upload: Option<Rc<UploadSummary>>,
    pub importing: Option<Importing>,
    /// The upload is stored in the browser for the next visit.
    pub kept: bool,
    pub dispatch: UseReducerDispatcher<AppState>,
    /// Files chosen in the file input or dropped on the panel.
    pub on_files: Callback<Vec<web_sys::File>>,
    /// Read the upload again with these options.
    pub on_options: Callback<ImportOptions>,
    /// Forget the uploaded dataset.
    pub on_remove: Callback<()>,
}

/// Choose or upload the dataset; see what it is and a few of its samples.
#[component]
pub fn DataPanel(props: &DataPanelProps) -> Html {
    let edit = PanelProps {
        experiment: props.experiment.clone(),
        dispatch: props.dispatch.clone(),
    };
    let dataset = props.experiment.dataset;
    let on_dataset = on_edit(&edit, |experiment, id: String| {
        if let Some(dataset) = DatasetId::from_id(&id) {
            experiment.dataset = dataset;
        }
    });
    let mut options: Vec<(AttrValue, AttrValue)> = BuiltinDataset::ALL
        .iter()
        .map(|d| (AttrValue::from(d.id()), AttrValue::from(d.title())))
        .collect();
    if let Some(upload) = &props.upload {
        options.push((
            AttrValue::from(DatasetId::Uploaded.id()),
            AttrValue::from(format!("Uploaded: {}", upload.name)),
        ));
    }
    let on_input = {
        let on_files = props.on_files.clone();
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            if let Some(files) = input.files() {
                on_files.emit(crate::web::files_of(&files));
            }
            // Choosing the same file again must fire another change.
            input.set_value("");
        })
    };
    let on_drag_over = Callback::from(|e: DragEvent| e.prevent_default());
    let on_drop = {
        let on_files = props.on_files.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            if let Some(files) = e.data_transfer().and_then(|t| t.files())
                && files.length() > 0
            {
                on_files.emit(crate::web::files_of(&files));
            }
        })
    };
    let run = props
        .run
        .as_ref()
        .filter(|r| r.experiment.dataset == dataset);
    html! {
        <section class="panel data" aria-label="Data panel" ondragover={on_drag_over} ondrop={on_drop}>
            <h2 id="data-heading">{"Data"}</h2>
            <SelectField id="dataset" label="Dataset" {options} selected={dataset.id()}
                         onchange={on_dataset} />
            <div class="upload">
                <label for="upload" class="button">{"Upload dataset"}</label>
                <input id="upload" class="sr-only" type="file" multiple=true onchange={on_input} />
                <p class="hint">
                    { format!("Or drop files here: a .zip of class folders of images, images with a \
                               labels CSV, a CSV/TSV table, FASTA, or graph JSON / edge-list CSVs. \
                               Up to {} MB and {} samples; read in your browser, never uploaded \
                               anywhere.", MAX_UPLOAD_BYTES / (1024 * 1024), thousands(MAX_SAMPLES)) }
                </p>
                if let Some(importing) = &props.importing {
                    { import_progress(importing) }
                }
            </div>
            {
                match (dataset, &props.upload) {
                    (DatasetId::Builtin(builtin), _) => html! {
                        <>
                            <p class="description">{ builtin.description() }</p>
                            <p class="facts">{ format!("Classes: {}", builtin.class_names().join(", ")) }</p>
                            { labels_per_class(&edit) }
                            if let Some(run) = run {
                                <p class="facts" aria-label="Parts">
                                    { parts(run) }
                                </p>
                                <SampleGrid items={run.preview.clone()} class_names={run.class_names.clone()}
                                            label="Training samples" />
                            }
                        </>
                    },
                    (DatasetId::Uploaded, Some(upload)) => inspector(props, upload),
                    (DatasetId::Uploaded, None) => html! {
                        <p class="hint">{"The uploaded dataset was removed; choose another."}</p>
                    },
                }
            }
        </section>
    }
}

/// Label counts per class the Labels per class select offers.
const LABELS_PER_CLASS: [usize; 8] = [1, 2, 5, 10, 20, 50, 100, 200];

/// Built-in datasets: keep every training label, or only a few per class (the rest become
/// the unlabeled pool).
fn labels_per_class(edit: &PanelProps) -> Html {
    let mut options = vec![(AttrValue::from("all"), AttrValue::from("all"))];
    options.extend(LABELS_PER_CLASS.iter().map(|n| {
        (
            AttrValue::from(n.to_string()),
            AttrValue::from(n.to_string()),
        )
    }));
    let selected = edit
        .experiment
        .labeling
        .labels_per_class
        .map_or("all".to_string(), |n| n.to_string());
    let onchange = on_edit(edit, |experiment, value: String| {
        experiment.labeling.labels_per_class = value.parse().ok();
    });
    html! {
        <SelectField id="labels-per-class" label="Labels per class" {options} selected={selected}
                     {onchange} />
    }
}

/// The run's parts in words.
fn parts(run: &RunInfo) -> String {
    let mut text = format!(
        "{} training and {} validation samples",
        run.train_samples, run.valid_samples
    );
    if run.test_samples > 0 {
        text.push_str(&format!(", {} held out for testing", run.test_samples));
    }
    if run.unlabeled_samples > 0 {
        text.push_str(&format!(
            ", {} unlabeled{}",
            run.unlabeled_samples,
            if run.hidden_labels {
                " (labels hidden)"
            } else {
                ""
            }
        ));
    }
    format!("{text} (seed {}).", run.experiment.seed)
}

fn import_progress(importing: &Importing) -> Html {
    let (done, total, file) = match &importing.progress {
        Some(p) => (p.done, p.total.max(1), p.file.clone()),
        None => (0, 1, importing.files.join(", ")),
    };
    html! {
        <p class="importing" role="status">
            <progress aria-label="Reading the upload" max={total.to_string()} value={done.to_string()}></progress>
            { format!(" Reading {file}… {done} / {total}") }
        </p>
    }
}

/// What the engine understood of the upload, and the choices for reading it.
fn inspector(props: &DataPanelProps, upload: &Rc<UploadSummary>) -> Html {
    let total: usize = upload.class_counts.iter().sum();
    let largest = upload
        .class_counts
        .iter()
        .copied()
        .max()
        .unwrap_or(1)
        .max(1);
    let [train, valid, test] = upload.split;
    let remove = props.on_remove.reform(|_: MouseEvent| ());
    html! {
        <section class="inspector" aria-label="Dataset inspector">
            <h3>{ format!("Uploaded: {}", upload.name) }</h3>
            <p class="facts">{ format!("{} — {}", upload.format, upload.files.join(", ")) }</p>
            if upload.measured {
                <p class="facts" aria-label="Sample count">
                    { format!("{} labeled {} with a measured {} (regression).", thousands(total),
                              upload.shape.kind().title(), upload.class_names[0]) }
                </p>
            } else {
                <p class="facts" aria-label="Sample count">
                    { format!("{} labeled {} in {} classes.", thousands(total),
                              upload.shape.kind().title(), upload.class_names.len()) }
                </p>
            }
            <table class="balance" aria-label="Class balance" hidden={upload.measured}>
                <tbody>
                    { for upload.class_names.iter().zip(&upload.class_counts).map(|(name, &count)| html! {
                        <tr>
                            <th scope="row">{ name.clone() }</th>
                            <td class="count">{ thousands(count) }</td>
                            <td class="bar"><span style={format!("width: {:.0}%", 100.0 * count as f64 / largest as f64)}></span></td>
                        </tr>
                    }) }
                </tbody>
            </table>
            <p class="facts" aria-label="Split">
                { format!("Split ({}, seed {}): {train} training, {valid} validation, {test} held-out test.",
                          if upload.measured { "random" } else { "stratified" }, props.experiment.seed) }
            </p>
            if upload.unlabeled > 0 {
                <p class="facts" aria-label="Unlabeled samples">
                    { if upload.measured {
                        format!("{} samples without a value: measure them in the Labeling tab.", thousands(upload.unlabeled))
                    } else {
                        format!("{} unlabeled samples: label them in the Labeling tab.", thousands(upload.unlabeled))
                    } }
                </p>
            }
            { for upload.notes.iter().map(|note| html! { <p class="hint">{ note.clone() }</p> }) }
            if upload.skipped_count > 0 {
                <details class="skipped">
                    <summary aria-label="Skipped records">{ format!("{} records skipped", upload.skipped_count) }</summary>
                    <ul>
                        { for upload.skipped.iter().map(|p| html! { <li>{ p.to_string() }</li> }) }
                        if upload.skipped_count > upload.skipped.len() {
                            <li>{ format!("… and {} more", upload.skipped_count - upload.skipped.len()) }</li>
                        }
                    </ul>
                </details>
            }
            if props.kept {
                <p class="hint" aria-label="Storage">{"Kept in this browser: it comes back when you reload."}</p>
            }
            { target_kind(props, upload) }
            { read_options(props, upload) }
            <SampleGrid items={upload.preview.clone()} class_names={upload.class_names.clone()}
                        label="Uploaded samples" />
            <button class="small" onclick={remove}>{"Remove uploaded dataset"}</button>
        </section>
    }
}

/// Whether the labels are classes or measured values.
fn target_kind(props: &DataPanelProps, upload: &Rc<UploadSummary>) -> Html {
    if upload.shape.kind() == DataKind::Node {
        return html! {};
    }
    let current = upload.options.clone();
    let options: Vec<(AttrValue, AttrValue)> = [
        (TargetKind::Auto, "as the values suggest"),
        (TargetKind::Classes, "classes"),
        (TargetKind::Measured, "measured values (regression)"),
    ]
    .into_iter()
    .map(|(kind, title)| (AttrValue::from(kind.id()), AttrValue::from(title)))
    .collect();
    let onchange = props.on_options.reform(move |id: String| ImportOptions {
        target: TargetKind::from_id(&id).unwrap_or_default(),
        ..current.clone()
    });
    html! {
        <div class="row">
            <SelectField id="target-kind" label="Target" {options}
                         selected={upload.options.target.id()} {onchange} />
        </div>
    }
}

/// The choices for reading the upload that fit its kind.
fn read_options(props: &DataPanelProps, upload: &Rc<UploadSummary>) -> Html {
    let current = upload.options.clone();
    let change = |apply: fn(&mut ImportOptions, &str)| {
        let current = current.clone();
        props.on_options.reform(move |value: String| {
            let mut options = current.clone();
            apply(&mut options, &value);
            options
        })
    };
    let pairs = |items: &[(&'static str, &'static str)]| -> Vec<(AttrValue, AttrValue)> {
        items
            .iter()
            .map(|&(v, t)| (AttrValue::from(v), AttrValue::from(t)))
            .collect()
    };
    if upload.shape.kind() == DataKind::Image {
        let sizes: Vec<(AttrValue, AttrValue)> = IMAGE_SIZES
            .iter()
            .map(|s| {
                (
                    AttrValue::from(s.to_string()),
                    AttrValue::from(format!("{s}×{s}")),
                )
            })
            .collect();
        return html! {
            <div class="row">
                <SelectField id="image-size" label="Image size" options={sizes}
                             selected={current.image_size.to_string()}
                             onchange={change(|o, v| o.image_size = v.parse().unwrap_or(o.image_size))} />
                <SelectField id="image-fit" label="Aspect ratio"
                             options={pairs(&[("pad", "pad to square"), ("crop", "crop the centre")])}
                             selected={if current.image_fit == ImageFit::Crop { "crop" } else { "pad" }}
                             onchange={change(|o, v| o.image_fit = if v == "crop" { ImageFit::Crop } else { ImageFit::Pad })} />
                <SelectField id="image-color" label="Colour"
                             options={pairs(&[("auto", "as the images"), ("gray", "grayscale"), ("rgb", "RGB")])}
                             selected={match current.image_color { ImageColor::Auto => "auto", ImageColor::Gray => "gray", ImageColor::Rgb => "rgb" }}
                             onchange={change(|o, v| o.image_color = match v { "gray" => ImageColor::Gray, "rgb" => ImageColor::Rgb, _ => ImageColor::Auto })} />
            </div>
        };
    }
    if upload.columns.is_empty() {
        return html! {};
    }
    let label = current.label_column.clone().unwrap_or_default();
    let features = current.feature_columns.clone().unwrap_or_default();
    let columns: Vec<(AttrValue, AttrValue)> = upload
        .columns
        .iter()
        .map(|c| {
            let missing = if c.missing > 0 {
                format!(" ({} missing)", c.missing)
            } else {
                String::new()
            };
            (
                AttrValue::from(c.name.clone()),
                AttrValue::from(format!("{}{missing}", c.name)),
            )
        })
        .collect();
    let on_label = {
        let current = current.clone();
        props.on_options.reform(move |name: String| ImportOptions {
            label_column: Some(name),
            feature_columns: None,
            ..current.clone()
        })
    };
    // Molecules take their features from the SMILES: only the target is chosen.
    let molecules = upload.shape.kind() == DataKind::Graph;
    html! {
        <div class="table-options">
            <div class="row">
                <SelectField id="label-column" label="Target column" options={columns} selected={label.clone()}
                             onchange={on_label} />
                if !molecules {
                <SelectField id="missing" label="Missing values"
                             options={pairs(&[("drop", "drop the row"), ("fill-mean", "fill with the column mean")])}
                             selected={if current.missing == MissingValues::FillMean { "fill-mean" } else { "drop" }}
                             onchange={change(|o, v| o.missing = if v == "fill-mean" { MissingValues::FillMean } else { MissingValues::Drop })} />
                <SelectField id="table-as" label="Read rows as"
                             options={pairs(&[("features", "features (MLP)"), ("series", "a time series (RNN, 1-D CNN)")])}
                             selected={if current.table_as == TableAs::Series { "series" } else { "features" }}
                             onchange={change(|o, v| o.table_as = if v == "series" { TableAs::Series } else { TableAs::Features })} />
                }
            </div>
            <fieldset class="features" hidden={molecules}>
                <legend>{"Feature columns"}</legend>
                { for upload.columns.iter().filter(|c| c.name != label).map(|column| {
                    let name = column.name.clone();
                    let on_toggle = {
                        let current = current.clone();
                        let features = features.clone();
                        let all: Vec<String> = upload.columns.iter().map(|c| c.name.clone()).collect();
                        props.on_options.reform(move |on: bool| {
                            // Keep the file's column order (it is the time order of a series).
                            let chosen = all
                                .iter()
                                .filter(|c| if **c == name { on } else { features.contains(c) })
                                .cloned()
                                .collect();
                            ImportOptions { feature_columns: Some(chosen), ..current.clone() }
                        })
                    };
                    html! {
                        <Checkbox id={format!("feature-{}", column.name)} label={column.name.clone()}
                                  context={"Feature"} checked={features.contains(&column.name)}
                                  onchange={on_toggle} />
                    }
                }) }
            </fieldset>
        </div>
    }
}
