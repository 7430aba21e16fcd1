use crate::protocol::AdapterInfo;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

fn get(target: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Words in adapter info that mark a software rasteriser.
const SOFTWARE_MARKERS: [&str; 6] = [
    "swiftshader",
    "llvmpipe",
    "lavapipe",
    "software",
    "basic render",
    "warp",
];

/// Asks the browser (page or worker) for a WebGPU adapter and describes it, without loading
/// any GPU code: the UI uses this to decide which engine to load.
pub async fn probe_adapter() -> Result<AdapterInfo, String> {
    let navigator = get(&js_sys::global(), "navigator");
    let gpu = get(&navigator, "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return Err("this browser exposes no navigator.gpu".into());
    }
    let request: js_sys::Function = get(&gpu, "requestAdapter")
        .dyn_into()
        .map_err(|_| "navigator.gpu.requestAdapter is missing".to_string())?;
    let promise: js_sys::Promise = request
        .call0(&gpu)
        .map_err(|e| format!("requestAdapter failed: {e:?}"))?
        .dyn_into()
        .map_err(|_| "requestAdapter did not return a promise".to_string())?;
    let adapter = JsFuture::from(promise)
        .await
        .map_err(|e| format!("requestAdapter failed: {e:?}"))?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err("the browser offers no WebGPU adapter".into());
    }
    let info = get(&adapter, "info");
    let fields: Vec<String> = ["vendor", "architecture", "device", "description"]
        .iter()
        .filter_map(|key| get(&info, key).as_string())
        .filter(|s| !s.is_empty())
        .collect();
    let fallback = get(&info, "isFallbackAdapter").as_bool().unwrap_or(false)
        || get(&adapter, "isFallbackAdapter")
            .as_bool()
            .unwrap_or(false);
    let joined = fields.join(" ").to_lowercase();
    Ok(AdapterInfo {
        name: if fields.is_empty() {
            "unnamed adapter".to_string()
        } else {
            fields.join(", ")
        },
        software: fallback || SOFTWARE_MARKERS.iter().any(|m| joined.contains(m)),
    })
}

/// Initialises Burn's WebGPU device.
#[cfg(feature = "webgpu")]
pub async fn init_webgpu() -> Result<burn::prelude::Device, String> {
    burn::prelude::Device::wgpu_options()
        .init_async()
        .await
        .map_err(|e| format!("WebGPU device setup failed: {e}"))
}
