//! The reader worker (the `reader` build: reads files, no Burn) and the engine's handle on it.
//!
//! Engine to reader: an array of a [`ReadRequest`]'s JSON and each file's bytes. Reader to
//! engine: `"ready"` once, then per request [`ReadAnswer::Progress`] reports and one answer,
//! each as bytes ([`ReadAnswer::encode`]) in a transferred buffer.

use crate::reader::{ReadAnswer, ReadRequest};
use wasm_bindgen::{JsCast, JsValue};

const READY: &str = "ready";

/// Starts the reader: answers each request from the engine.
#[cfg(feature = "files")]
pub fn run_reader() {
    use wasm_bindgen::closure::Closure;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply = scope.clone();
    let post = move |answer: &ReadAnswer| {
        let typed = js_sys::Uint8Array::from(answer.encode().as_slice());
        let _ = reply.post_message_with_transfer(&typed, &js_sys::Array::of1(&typed.buffer()));
    };
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let request = decode_request(event.data())
            .unwrap_or_else(|e| panic!("the engine sent the file reader a broken request: {e}"));
        let mut last_progress = f64::NEG_INFINITY;
        let answer = crate::reader::read(&request, &mut |progress| {
            let now = super::now_ms();
            if now - last_progress >= 100.0 {
                last_progress = now;
                post(&ReadAnswer::Progress(progress));
            }
        });
        post(&answer);
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let _ = scope.post_message(&JsValue::from_str(READY));
}

#[cfg(feature = "files")]
fn decode_request(data: JsValue) -> Result<ReadRequest, String> {
    let parts = js_sys::Array::from(&data);
    let text = parts.get(0).as_string().unwrap_or_default();
    let mut request: ReadRequest = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let files = request.files_mut();
    if files.len() + 1 != parts.length() as usize {
        return Err("files arrived without all of their bytes".into());
    }
    for (i, file) in files.into_iter().enumerate() {
        file.bytes = js_sys::Uint8Array::new(&parts.get(i as u32 + 1)).to_vec();
    }
    Ok(request)
}

/// The engine's handle on a reader worker. A reader that fails is dropped (and its worker
/// ended); the next request starts a new one.
#[cfg(feature = "engine")]
pub struct ReaderLink {
    worker: web_sys::Worker,
    inbox: futures_channel::mpsc::UnboundedReceiver<Result<JsValue, String>>,
    ready: bool,
    _on_message: wasm_bindgen::closure::Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: wasm_bindgen::closure::Closure<dyn FnMut(web_sys::ErrorEvent)>,
}

#[cfg(feature = "engine")]
impl ReaderLink {
    /// Starts a reader worker (Trunk's loader of the `reader` build, beside the engine's).
    pub fn spawn() -> Result<Self, String> {
        use wasm_bindgen::closure::Closure;
        use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};

        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker = Worker::new_with_options("./reader_loader.js", &options)
            .map_err(|e| format!("the file reader could not be started: {e:?}"))?;
        let (sender, inbox) = futures_channel::mpsc::unbounded();
        let to_inbox = sender.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let _ = to_inbox.unbounded_send(Ok(event.data()));
        });
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            event.prevent_default();
            let detail = event.message();
            let _ = sender.unbounded_send(Err(if detail.is_empty() {
                "its script failed to load".into()
            } else {
                detail
            }));
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self {
            worker,
            inbox,
            ready: false,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Reads `request`, handing each progress report to `progress`; an error says why the
    /// reader could not answer.
    pub async fn read(
        &mut self,
        request: &ReadRequest,
        progress: impl Fn(crate::ml::import::Progress),
    ) -> Result<ReadAnswer, String> {
        while !self.ready {
            let message = self.next().await?;
            self.ready = message.as_string().as_deref() == Some(READY);
        }
        // The JSON leaves the bytes out; each file's bytes are copied once, into a buffer
        // that is then transferred.
        let json = serde_json::to_string(request).map_err(|e| e.to_string())?;
        let message = js_sys::Array::of1(&JsValue::from_str(&json));
        let transfer = js_sys::Array::new();
        for file in request.files() {
            let typed = js_sys::Uint8Array::from(file.bytes.as_slice());
            transfer.push(&typed.buffer());
            message.push(&typed);
        }
        self.worker
            .post_message_with_transfer(&message, &transfer)
            .map_err(|e| format!("{e:?}"))?;
        loop {
            let bytes = js_sys::Uint8Array::new(&self.next().await?).to_vec();
            match ReadAnswer::decode(&bytes)? {
                ReadAnswer::Progress(report) => progress(report),
                answer => return Ok(answer),
            }
        }
    }

    async fn next(&mut self) -> Result<JsValue, String> {
        use futures_util::StreamExt;
        self.inbox
            .next()
            .await
            .unwrap_or_else(|| Err("it was closed".into()))
    }
}

#[cfg(feature = "engine")]
impl Drop for ReaderLink {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}
