//! A model's parameters as [`NamedTensor`]s with PyTorch's names and layouts, and back.
//!
//! Names are the module path without enum variants (`convs.0.weight`, `head.bias`,
//! `forward.0.update_gate.input_transform.weight`); linear weights are transposed to
//! `[out, in]` and batch-norm's `gamma`/`beta` (and layer norm's) become `weight`/`bias`, as Burn's
//! `BurnToPyTorchAdapter` does. Reading is asynchronous (one read per tensor), so it works on
//! WebGPU in a browser, where synchronous reads are not allowed.

use super::export::NamedTensor;
use super::models::Model;
use super::models::params::{ParamPath, map_params, visit_params};
use super::pretrain::Transfer;
use super::session::read_floats;
use burn::prelude::*;

/// The PyTorch name of the parameter at `path`, and whether it is a linear weight (stored
/// transposed).
fn pytorch_name(path: &ParamPath) -> (String, bool) {
    let (param, container) = path.last().cloned().unwrap_or_default();
    let param = match (container.as_str(), param.as_str()) {
        ("Struct:BatchNorm" | "Struct:LayerNorm", "gamma") => "weight".to_string(),
        ("Struct:BatchNorm" | "Struct:LayerNorm", "beta") => "bias".to_string(),
        _ => param,
    };
    let mut parts: Vec<&str> = path[..path.len().saturating_sub(1)]
        .iter()
        .filter(|(_, container)| !container.starts_with("Enum:"))
        .map(|(name, _)| name.as_str())
        .collect();
    parts.push(&param);
    (
        parts.join("."),
        container == "Struct:Linear" && param == "weight",
    )
}

/// Every parameter of `model` (and batch-norm's running statistics), in the model's order.
pub async fn read_weights(model: &Model) -> Result<Vec<NamedTensor>, String> {
    let mut found = Vec::new();
    visit_params(model, &mut |path, dims, values| {
        found.push((pytorch_name(path), dims.to_vec(), values));
    });
    let mut tensors = Vec::with_capacity(found.len());
    for ((name, transposed), mut shape, tensor) in found {
        let mut values = read_floats(tensor, "the weights").await?;
        if transposed {
            values = transpose(&values, shape[0], shape[1]);
            shape.swap(0, 1);
        }
        tensors.push(NamedTensor {
            name,
            shape,
            values,
        });
    }
    Ok(tensors)
}

/// Why a parameter kept its value when tensors were matched to a model.
enum Unmatched {
    /// Left out on purpose (the head, for a transfer).
    Skipped(String),
    Missing(String),
    Shape {
        name: String,
        found: Vec<usize>,
        expected: Vec<usize>,
    },
}

/// `model` with each parameter not `skipped` (by name) replaced by the tensor of the same
/// name and shape in `tensors`; the parameters kept and why, and which tensors were used.
fn match_params(
    model: Model,
    tensors: &[NamedTensor],
    skipped: impl Fn(&str) -> bool,
) -> (Model, Vec<Unmatched>, Vec<bool>) {
    let mut used = vec![false; tensors.len()];
    let mut unmatched = Vec::new();
    let model = map_params(model, &mut |path, dims, old| {
        let (name, transposed) = pytorch_name(path);
        if skipped(&name) {
            unmatched.push(Unmatched::Skipped(name));
            return None;
        }
        let Some(index) = tensors.iter().position(|t| t.name == name) else {
            unmatched.push(Unmatched::Missing(name));
            return None;
        };
        let tensor = &tensors[index];
        let expected: Vec<usize> = if transposed && dims.len() == 2 {
            vec![dims[1], dims[0]]
        } else {
            dims.to_vec()
        };
        if tensor.shape != expected || tensor.values.len() != expected.iter().product::<usize>() {
            unmatched.push(Unmatched::Shape {
                name,
                found: tensor.shape.clone(),
                expected,
            });
            return None;
        }
        used[index] = true;
        let values = if transposed {
            transpose(&tensor.values, expected[0], expected[1])
        } else {
            tensor.values.clone()
        };
        let count = values.len();
        Some(Tensor::from_data(
            TensorData::new(values, [count]),
            &old.device(),
        ))
    });
    (model, unmatched, used)
}

/// `model` with every parameter replaced by the tensor of the same name in `tensors`; fails,
/// naming the parameter, when one is missing, has another shape, or `tensors` holds extras.
pub fn load_weights(model: Model, tensors: &[NamedTensor]) -> Result<Model, String> {
    let (model, unmatched, used) = match_params(model, tensors, |_| false);
    if let Some(first) = unmatched.first() {
        return Err(match first {
            Unmatched::Missing(name) | Unmatched::Skipped(name) => {
                format!("The weights have no tensor {name}.")
            }
            Unmatched::Shape {
                name,
                found,
                expected,
            } => format!("Tensor {name} has shape {found:?}; this model needs {expected:?}."),
        });
    }
    let extra: Vec<&str> = tensors
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(t, _)| t.name.as_str())
        .collect();
    if !extra.is_empty() {
        return Err(format!(
            "The weights hold tensors this model does not have: {}.",
            extra.join(", ")
        ));
    }
    Ok(model)
}

/// `model` with each parameter outside its head replaced by the tensor of the same name and
/// shape in `tensors`, and what was taken: the head always stays as initialised (it is new for
/// the task at hand); a tensor missing or of another shape is kept as initialised, named.
pub fn transfer_weights(model: Model, tensors: &[NamedTensor]) -> (Model, Transfer) {
    let (model, unmatched, used) = match_params(model, tensors, |name| name.starts_with("head."));
    let transfer = Transfer {
        loaded: used.iter().filter(|&&u| u).count(),
        kept: unmatched
            .into_iter()
            .map(|u| match u {
                Unmatched::Skipped(name) => format!("{name}: a new head"),
                Unmatched::Missing(name) => format!("{name}: not in the weights"),
                Unmatched::Shape {
                    name,
                    found,
                    expected,
                } => format!("{name}: {found:?} in the weights, {expected:?} here"),
            })
            .collect(),
        unused: tensors
            .iter()
            .zip(&used)
            .filter(|(_, used)| !**used)
            .map(|(t, _)| t.name.clone())
            .collect(),
    };
    (model, transfer)
}

/// `values` of a `[rows, columns]` matrix, transposed.
fn transpose(values: &[f32], rows: usize, columns: usize) -> Vec<f32> {
    let mut out = vec![0.0; values.len()];
    for r in 0..rows {
        for c in 0..columns {
            out[c * rows + r] = values[r * columns + c];
        }
    }
    out
}
