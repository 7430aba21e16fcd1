use crate::protocol::{FromWorker, ToWorker};
use futures_channel::mpsc::{UnboundedReceiver, unbounded};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{DedicatedWorkerGlobalScope, MessageChannel, MessageEvent};

/// The worker's side of the channel to the UI.
#[derive(Clone)]
pub struct WorkerScope {
    scope: DedicatedWorkerGlobalScope,
}

impl WorkerScope {
    /// The current worker's scope, with a stream of decoded requests from the UI. Requests that
    /// fail to decode are answered with an error report and dropped.
    pub fn listen() -> (Self, UnboundedReceiver<ToWorker>) {
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let this = Self {
            scope: scope.clone(),
        };
        let (sender, receiver) = unbounded();
        let reply = this.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            match decode(event.data()) {
                Ok(message) => {
                    let _ = sender.unbounded_send(message);
                }
                Err(error) => reply.post(&FromWorker::Error(error)),
            }
        });
        scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        (this, receiver)
    }

    /// Sends a report to the UI: its JSON, or, when it carries files or large arrays, an array
    /// of its JSON and each of them as a `Uint8Array` or `Float32Array` (transferred, not
    /// copied).
    pub fn post(&self, message: &FromWorker) {
        let mut message = message.clone();
        let files: Vec<Vec<u8>> = message
            .bytes_mut()
            .into_iter()
            .map(std::mem::take)
            .collect();
        if !files.is_empty() {
            let parts = js_sys::Array::of1(&JsValue::from_str(&message.to_json()));
            let transfer = js_sys::Array::new();
            for bytes in files {
                let typed = js_sys::Uint8Array::from(bytes.as_slice());
                transfer.push(&typed.buffer());
                parts.push(&typed);
            }
            let _ = self.scope.post_message_with_transfer(&parts, &transfer);
            return;
        }
        let arrays: Vec<Vec<f32>> = message
            .arrays_mut()
            .into_iter()
            .map(std::mem::take)
            .collect();
        let text = JsValue::from_str(&message.to_json());
        if arrays.is_empty() {
            let _ = self.scope.post_message(&text);
            return;
        }
        let parts = js_sys::Array::of1(&text);
        let transfer = js_sys::Array::new();
        for array in arrays {
            let typed = js_sys::Float32Array::from(array.as_slice());
            transfer.push(&typed.buffer());
            parts.push(&typed);
        }
        let _ = self.scope.post_message_with_transfer(&parts, &transfer);
    }

    /// Reports panics to the UI as [`FromWorker::Crashed`] (and to the console).
    /// The hook looks the scope up when a panic comes rather than holding it: a hook must be
    /// `Send` and `Sync`, which JavaScript values are not in a build with wasm threads.
    pub fn report_panics(&self) {
        std::panic::set_hook(Box::new(|info| {
            let text = info.to_string();
            web_sys::console::error_1(&JsValue::from_str(&text));
            let scope = WorkerScope {
                scope: js_sys::global().unchecked_into(),
            };
            scope.post(&FromWorker::Crashed(text));
        }));
    }
}

/// A request from the UI: a JSON string, or an array of a JSON [`ToWorker::Import`] and the
/// bytes of each of its files.
fn decode(data: JsValue) -> Result<ToWorker, String> {
    if let Some(text) = data.as_string() {
        return ToWorker::from_json(&text);
    }
    let parts = js_sys::Array::from(&data);
    let text = parts.get(0).as_string().unwrap_or_default();
    let mut message = ToWorker::from_json(&text)?;
    let files = match &mut message {
        ToWorker::Import { files, .. } => files.iter_mut().collect(),
        ToWorker::OpenExperiment { file, .. } | ToWorker::StartFromFile { file } => vec![file],
        _ => Vec::new(),
    };
    if files.len() + 1 != parts.length() as usize {
        return Err("an upload arrived without all of its files".into());
    }
    for (i, file) in files.into_iter().enumerate() {
        file.bytes = js_sys::Uint8Array::new(&parts.get(i as u32 + 1)).to_vec();
    }
    Ok(message)
}

/// Lets the event loop run (delivering messages) and resumes at once: a `MessageChannel`
/// round trip, which, unlike `setTimeout(0)`, is not clamped to 4 ms.
pub async fn yield_now() {
    let Ok(channel) = MessageChannel::new() else {
        return;
    };
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        channel.port1().set_onmessage(Some(resolve.unchecked_ref()));
    });
    let _ = channel.port2().post_message(&JsValue::NULL);
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    channel.port1().set_onmessage(None);
}
