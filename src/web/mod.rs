//! The one module that touches browser APIs: the worker link (UI side), the worker scope
//! (engine side), the file reader worker and the engine's link to it, WebGPU discovery, uploaded files and their storage, canvases, clocks and the
//! panic hook.

mod canvas;
mod engine_link;
mod gpu;
mod page;
#[cfg(any(feature = "engine", feature = "files"))]
mod reader;
mod upload;
mod worker_scope;

pub use canvas::{draw_image, draw_rgba};
pub use engine_link::EngineLink;
#[cfg(feature = "webgpu")]
pub use gpu::init_webgpu;
pub use gpu::probe_adapter;
pub use page::{
    Listener, copy_text, cpu_cores, embedded, fetch_text, fragment, load_item, on_parent_message,
    page_url, post_to_parent, read_text, save_file, save_item, set_fragment, typing,
};
#[cfg(feature = "engine")]
pub use reader::ReaderLink;
#[cfg(feature = "files")]
pub use reader::run_reader;
pub use upload::{
    StoredLabels, UploadFiles, clear_labels, clear_upload, files_of, load_labels, load_upload,
    read_files, same_files, save_labels, save_upload,
};
pub use worker_scope::{WorkerScope, yield_now};

use wasm_bindgen::{JsCast, JsValue};

/// Milliseconds from a monotonic clock, in a page or a worker.
pub fn now_ms() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("performance"))
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

/// Whether the page's URL asks for debugging hooks (`?debug`).
pub fn debug_requested() -> bool {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|search| search.split(['?', '&']).any(|p| p == "debug"))
}

/// Installs `f` as `window.petriDebug[name]` (only used with `?debug`, for tests).
pub fn expose_debug_hook(name: &str, f: impl Fn() + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let key = JsValue::from_str("petriDebug");
    let hooks = js_sys::Reflect::get(&window, &key)
        .ok()
        .filter(|v| v.is_object())
        .unwrap_or_else(|| js_sys::Object::new().into());
    let closure = wasm_bindgen::closure::Closure::<dyn Fn()>::new(f);
    let _ = js_sys::Reflect::set(&hooks, &JsValue::from_str(name), closure.as_ref());
    closure.forget();
    let _ = js_sys::Reflect::set(&window, &key, &hooks);
}

/// The root element the app renders into, emptied of the static boot placeholder.
pub fn app_root() -> web_sys::Element {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("the app runs in a page");
    let root = document
        .get_element_by_id("app")
        .or_else(|| document.body().map(Into::into))
        .expect("the page has a body");
    root.set_inner_html("");
    root
}
