//! Walking a model's float parameters with their module paths: one visitor and one mapper
//! type for every use (reading weights, loading them, the randomised-model check), because
//! Burn instantiates a model's whole `visit`/`map` code once per visitor type, and each copy
//! weighs on the engine's download.

use super::Model;
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::prelude::*;

/// The modules entered down to a parameter, each as `(name, container type)`: struct fields
/// (`"Struct:Linear"`), enum variants (`"Enum:…"`), vector indices (`"Vec"`); the last is the
/// parameter's own name in its module.
pub type ParamPath = [(String, String)];

/// What [`visit_params`] calls with each parameter: its path, shape and flattened values.
pub type ReadParam<'a> = dyn FnMut(&ParamPath, &[usize], Tensor<1>) + 'a;

/// What [`map_params`] calls with each parameter: its replacement's flattened values, if any.
pub type ReplaceParam<'a> = dyn FnMut(&ParamPath, &[usize], Tensor<1>) -> Option<Tensor<1>> + 'a;

/// Calls `f` with each float parameter's path, shape and values (flattened, on the model's
/// device), in the model's order; batch norm's running statistics included.
pub fn visit_params(model: &Model, f: &mut ReadParam<'_>) {
    model.visit(&mut Walker {
        path: Vec::new(),
        f,
    });
}

/// The model with each float parameter replaced by what `f` returns for it (flattened values
/// of the same shape), or kept when it returns `None`. Gradients stay required where they were.
pub fn map_params(model: Model, f: &mut ReplaceParam<'_>) -> Model {
    model.map(&mut Walker {
        path: Vec::new(),
        f,
    })
}

struct Walker<F: ?Sized> {
    path: Vec<(String, String)>,
    f: F,
}

impl ModuleVisitor for Walker<&mut ReadParam<'_>> {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.path
            .push((name.to_string(), container_type.to_string()));
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let tensor = param.val();
        let dims = tensor.dims();
        (self.f)(&self.path, &dims, tensor.reshape([-1]));
    }
}

impl ModuleMapper for Walker<&mut ReplaceParam<'_>> {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.path
            .push((name.to_string(), container_type.to_string()));
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (path, f) = (&self.path, &mut self.f);
        param.map(|tensor| {
            let dims = tensor.dims();
            match f(path, &dims, tensor.clone().reshape([-1])) {
                Some(values) => {
                    let fresh = values.reshape(dims);
                    if tensor.is_require_grad() {
                        fresh.require_grad()
                    } else {
                        fresh
                    }
                }
                None => tensor,
            }
        })
    }
}
