//! Uploaded files on the UI side: reading what the user chose or dropped, and keeping the
//! current upload in IndexedDB so a reload brings it back. The bytes stay JavaScript
//! `ArrayBuffer`s: the UI never copies them into its own memory, it hands them to the worker.

use crate::ml::import::{ImportOptions, MAX_UPLOAD_BYTES};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(inline_js = r#"
const DB = 'petri', UPLOADS = 'uploads', LABELS = 'labels', KEY = 'current';
function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 2);
    request.onupgradeneeded = () => {
      for (const store of [UPLOADS, LABELS]) {
        if (!request.result.objectStoreNames.contains(store)) request.result.createObjectStore(store);
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}
function run(store, mode, act) {
  return open().then((db) => new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const request = act(tx.objectStore(store));
    tx.oncomplete = () => { db.close(); resolve(request.result); };
    tx.onerror = () => { db.close(); reject(tx.error); };
    tx.onabort = () => { db.close(); reject(tx.error); };
  }));
}
export function saveUpload(record) { return run(UPLOADS, 'readwrite', (s) => s.put(record, KEY)); }
export function loadUpload() { return run(UPLOADS, 'readonly', (s) => s.get(KEY)); }
export function clearUpload() { return run(UPLOADS, 'readwrite', (s) => s.delete(KEY)); }
export function saveLabels(key, text) { return run(LABELS, 'readwrite', (s) => s.put(text, key)); }
export function loadLabels(key) { return run(LABELS, 'readonly', (s) => s.get(key)); }
export function clearLabels(key) { return run(LABELS, 'readwrite', (s) => s.delete(key)); }
export function sameBytes(a, b) {
  if (a === b) return true;
  if (a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a), y = new Uint8Array(b);
  for (let i = 0; i < x.length; i += 1) if (x[i] !== y[i]) return false;
  return true;
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = saveUpload)]
    fn save_upload_js(record: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = loadUpload)]
    fn load_upload_js() -> js_sys::Promise;
    #[wasm_bindgen(js_name = clearUpload)]
    fn clear_upload_js() -> js_sys::Promise;
    #[wasm_bindgen(js_name = saveLabels)]
    fn save_labels_js(key: &str, text: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = loadLabels)]
    fn load_labels_js(key: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = clearLabels)]
    fn clear_labels_js(key: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = sameBytes)]
    fn same_bytes(a: &js_sys::ArrayBuffer, b: &js_sys::ArrayBuffer) -> bool;
}

/// Whether two uploads are the same files: the same names and the same bytes (a person who
/// chooses the same file again keeps their labels).
pub fn same_files(a: &UploadFiles, b: &UploadFiles) -> bool {
    a.names == b.names
        && a.buffers.len() == b.buffers.len()
        && a.buffers
            .iter()
            .zip(&b.buffers)
            .all(|(x, y)| same_bytes(x, y))
}

/// A person's labels for one book, as kept in the browser.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredLabels {
    pub labels: Vec<crate::ml::label::AssignedLabel>,
    pub rejected: Vec<String>,
}

/// Keeps the labels of book `key` (replacing what was kept).
pub async fn save_labels(key: &str, labels: &StoredLabels) -> Result<(), String> {
    let text = serde_json::to_string(labels).expect("labels serialise");
    JsFuture::from(save_labels_js(key, &text))
        .await
        .map(|_| ())
        .map_err(|e| {
            format!(
                "Your labels could not be kept in this browser ({e:?}); export them to keep them."
            )
        })
}

/// The labels kept for book `key` (none if nothing was kept or it cannot be read).
pub async fn load_labels(key: &str) -> StoredLabels {
    JsFuture::from(load_labels_js(key))
        .await
        .ok()
        .and_then(|v| v.as_string())
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// Forgets the labels of book `key`.
pub async fn clear_labels(key: &str) {
    let _ = JsFuture::from(clear_labels_js(key)).await;
}

/// Files the user uploaded, with the options to read them with.
#[derive(Clone, Debug)]
pub struct UploadFiles {
    pub names: Vec<String>,
    pub buffers: Vec<js_sys::ArrayBuffer>,
    pub options: ImportOptions,
}

impl UploadFiles {
    /// Files whose bytes are in this module's memory, as the browser's buffers.
    pub fn from_files(files: Vec<crate::ml::import::UploadFile>, options: ImportOptions) -> Self {
        Self {
            names: files.iter().map(|f| f.name.clone()).collect(),
            buffers: files
                .iter()
                .map(|f| js_sys::Uint8Array::from(f.bytes.as_slice()).buffer())
                .collect(),
            options,
        }
    }

    /// The same files read with other options.
    pub fn with_options(&self, options: ImportOptions) -> Self {
        Self {
            options,
            ..self.clone()
        }
    }
}

/// The files of a file list. Take them at once: an input's list empties when it is reset.
pub fn files_of(list: &web_sys::FileList) -> Vec<web_sys::File> {
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

/// Reads the chosen or dropped files. Refuses, before reading anything, an upload over the
/// size limit or an empty choice.
pub async fn read_files(files: Vec<web_sys::File>) -> Result<UploadFiles, String> {
    if files.is_empty() {
        return Err("No file was chosen.".into());
    }
    let total: f64 = files.iter().map(|f| f.size()).sum();
    if total > MAX_UPLOAD_BYTES as f64 {
        return Err(format!(
            "The upload is {:.1} MB; the limit is {} MB per upload. Nothing was loaded.",
            total / 1e6,
            MAX_UPLOAD_BYTES / (1024 * 1024)
        ));
    }
    let mut names = Vec::new();
    let mut buffers = Vec::new();
    for file in files {
        let relative = js_sys::Reflect::get(&file, &JsValue::from_str("webkitRelativePath"))
            .ok()
            .and_then(|v| v.as_string())
            .filter(|p| !p.is_empty());
        let name = relative.unwrap_or_else(|| file.name());
        let buffer = JsFuture::from(file.array_buffer())
            .await
            .map_err(|e| format!("{name}: the browser could not read the file ({e:?})."))?;
        names.push(name);
        buffers.push(buffer.unchecked_into());
    }
    Ok(UploadFiles {
        names,
        buffers,
        options: ImportOptions::default(),
    })
}

/// Keeps `upload` in IndexedDB, replacing the one kept before.
pub async fn save_upload(upload: &UploadFiles) -> Result<(), String> {
    let record = js_sys::Object::new();
    let names: js_sys::Array = upload.names.iter().map(|n| JsValue::from_str(n)).collect();
    let buffers: js_sys::Array = upload.buffers.iter().collect();
    let options = serde_json::to_string(&upload.options).expect("options serialise");
    let set = |key: &str, value: &JsValue| js_sys::Reflect::set(&record, &key.into(), value);
    set("names", &names).map_err(|e| format!("{e:?}"))?;
    set("buffers", &buffers).map_err(|e| format!("{e:?}"))?;
    set("options", &JsValue::from_str(&options)).map_err(|e| format!("{e:?}"))?;
    JsFuture::from(save_upload_js(&record))
        .await
        .map(|_| ())
        .map_err(|e| format!("The upload could not be kept for the next visit ({e:?})."))
}

/// The upload kept by [`save_upload`], if any.
pub async fn load_upload() -> Option<UploadFiles> {
    let record = JsFuture::from(load_upload_js()).await.ok()?;
    if !record.is_object() {
        return None;
    }
    let get = |key: &str| js_sys::Reflect::get(&record, &key.into()).ok();
    let names: Vec<String> = js_sys::Array::from(&get("names")?)
        .iter()
        .filter_map(|n| n.as_string())
        .collect();
    let buffers: Vec<js_sys::ArrayBuffer> = js_sys::Array::from(&get("buffers")?)
        .iter()
        .filter_map(|b| b.dyn_into().ok())
        .collect();
    let options = serde_json::from_str(&get("options")?.as_string()?).ok()?;
    (names.len() == buffers.len() && !names.is_empty()).then_some(UploadFiles {
        names,
        buffers,
        options,
    })
}

/// Forgets the kept upload.
pub async fn clear_upload() {
    let _ = JsFuture::from(clear_upload_js()).await;
}
