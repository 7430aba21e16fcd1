//! The page around the app: files saved and read, the URL fragment, and keys pressed.

use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_futures::JsFuture;

/// Offers `bytes` to the user as a file named `name` (the browser's download).
///
/// Written with web-sys rather than a JavaScript snippet: every build of the crate (the UI
/// and both engines) writes its snippets to the same folder, so they must be identical.
pub fn save_file(name: &str, bytes: &[u8]) {
    let kind = match name.rsplit('.').next() {
        Some("csv") => "text/csv;charset=utf-8",
        Some("petri") => "application/zip",
        Some("safetensors") => "application/octet-stream",
        _ => "text/plain;charset=utf-8",
    };
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(kind);
    let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let document = web_sys::window().and_then(|w| w.document());
    if let Some(link) = document
        .as_ref()
        .and_then(|d| d.create_element("a").ok())
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        link.set_href(&url);
        link.set_download(name);
        if let Some(body) = document.and_then(|d| d.body()) {
            let _ = body.append_child(&link);
            link.click();
            link.remove();
        }
    }
    // The download has started; the URL can go once this task ends.
    let revoke = Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    if let Some(window) = web_sys::window() {
        let _ = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 10_000);
    }
}

/// The text of a file the user chose.
pub async fn read_text(file: &web_sys::File) -> Result<String, String> {
    let name = file.name();
    JsFuture::from(file.text())
        .await
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(|| format!("{name}: the browser could not read the file as text."))
}

/// The URL fragment without its `#`.
pub fn fragment() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .map(|h| h.trim_start_matches('#').to_string())
        .unwrap_or_default()
}

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
export async function fetchText(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: the server answered ${response.status}`);
  return response.text();
}
export function loadItem(key) { try { return localStorage.getItem(key); } catch { return null; } }
export function saveItem(key, value) { try { localStorage.setItem(key, value); } catch {} }
"#)]
extern "C" {
    #[wasm_bindgen(js_name = fetchText)]
    fn fetch_text_js(url: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = loadItem)]
    fn load_item_js(key: &str) -> Option<String>;
    #[wasm_bindgen(js_name = saveItem)]
    fn save_item_js(key: &str, value: &str);
}

/// The text of the file at `url` (relative to the page).
pub async fn fetch_text(url: &str) -> Result<String, String> {
    JsFuture::from(fetch_text_js(url))
        .await
        .map_err(|e| {
            e.dyn_ref::<js_sys::Error>()
                .map_or(format!("{url} could not be read."), |e| {
                    String::from(e.message())
                })
        })?
        .as_string()
        .ok_or_else(|| format!("{url} is not text."))
}

/// A small value kept in this browser (`None`: never kept, or storage is off).
pub fn load_item(key: &str) -> Option<String> {
    load_item_js(key)
}

/// Keeps a small value in this browser (quietly not, where storage is off).
pub fn save_item(key: &str, value: &str) {
    save_item_js(key, value)
}

/// Whether the page runs inside another page's frame.
pub fn embedded() -> bool {
    web_sys::window()
        .and_then(|w| {
            w.parent()
                .ok()
                .flatten()
                .map(|p| !js_sys::Object::is(&p, &w))
        })
        .unwrap_or(false)
}

/// Posts `json` (as an object) to the parent window, to each of `origins` (any origin when
/// there are none).
pub fn post_to_parent(json: &str, origins: &[String]) {
    let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) else {
        return;
    };
    let Ok(message) = js_sys::JSON::parse(json) else {
        return;
    };
    if origins.is_empty() {
        let _ = parent.post_message(&message, "*");
    }
    for origin in origins {
        let _ = parent.post_message(&message, origin);
    }
}

/// Calls `f(origin, json)` for each message the parent window posts (messages from any other
/// window are dropped here); removed when dropped.
pub fn on_parent_message(mut f: impl FnMut(String, String) + 'static) -> Listener {
    Listener::window("message", move |event| {
        let Ok(event) = event.dyn_into::<web_sys::MessageEvent>() else {
            return;
        };
        let parent = web_sys::window().and_then(|w| w.parent().ok().flatten());
        let from_parent = match (event.source(), parent) {
            (Some(source), Some(parent)) => js_sys::Object::is(&source, &parent),
            _ => false,
        };
        if !from_parent {
            return;
        }
        if let Some(json) = js_sys::JSON::stringify(&event.data())
            .ok()
            .and_then(|s| s.as_string())
        {
            f(event.origin(), json);
        }
    })
}

/// The page's address as the address bar shows it.
pub fn page_url() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default()
}

/// How many cores the browser says the machine has (at least 1).
pub fn cpu_cores() -> usize {
    web_sys::window()
        .map(|w| w.navigator().hardware_concurrency() as usize)
        .unwrap_or(1)
        .max(1)
}

/// Puts `text` on the clipboard.
pub async fn copy_text(text: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("There is no window.")?;
    JsFuture::from(window.navigator().clipboard().write_text(text))
        .await
        .map(|_| ())
        .map_err(|_| "The browser did not let the page copy: copy the link from the field.".into())
}

/// Sets the URL fragment without adding a history entry or scrolling.
pub fn set_fragment(fragment: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Ok(history) = window.history() {
        let url = format!("#{fragment}");
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
}

/// A listener on the window, removed when dropped.
pub struct Listener {
    event: &'static str,
    closure: Closure<dyn FnMut(web_sys::Event)>,
}

impl Listener {
    /// Calls `f` with every `event` (e.g. `keydown`, `hashchange`) on the window.
    pub fn window(event: &'static str, f: impl FnMut(web_sys::Event) + 'static) -> Self {
        let closure = Closure::<dyn FnMut(web_sys::Event)>::new(f);
        if let Some(window) = web_sys::window() {
            let _ =
                window.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
        }
        Self { event, closure }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            let _ = window.remove_event_listener_with_callback(
                self.event,
                self.closure.as_ref().unchecked_ref(),
            );
        }
    }
}

/// Whether keys typed now go to a text field (an input, select or text area has focus).
pub fn typing() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element())
        .is_some_and(|e| {
            let tag = e.tag_name().to_ascii_lowercase();
            matches!(tag.as_str(), "input" | "select" | "textarea")
                || e.get_attribute("contenteditable").is_some()
        })
}
