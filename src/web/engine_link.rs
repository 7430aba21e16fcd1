use super::upload::UploadFiles;
use crate::ml::import::UploadFile;
use crate::protocol::{EngineBuild, FromWorker, ToWorker};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};

/// The script Trunk emits to start an engine binary (relative to the page, so the app works
/// under any sub-path).
fn script(build: EngineBuild) -> &'static str {
    match build {
        EngineBuild::Cpu => "./engine-cpu_loader.js",
        EngineBuild::Gpu => "./engine-gpu_loader.js",
    }
}

/// The UI's handle on the training worker. Messages sent before the worker says
/// [`FromWorker::Ready`] are queued; dropping the link terminates the worker.
pub struct EngineLink {
    build: EngineBuild,
    worker: Worker,
    outbox: Rc<RefCell<Option<Vec<JsValue>>>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl EngineLink {
    /// Starts the engine `build` in a worker; `on_message` receives its reports, or an error
    /// if it fails to load.
    ///
    /// A worker that dies after it was ready is reported once, as [`FromWorker::Crashed`]:
    /// a panic posts that report and then traps, and the trap also raises an error event.
    /// The two arrive in either order, and the first one replaces the engine, which drops the
    /// other; so whichever comes first is the crash, and anything after it is ignored.
    pub fn spawn(
        build: EngineBuild,
        on_message: impl Fn(Result<FromWorker, String>) + 'static,
    ) -> Result<Self, String> {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker = Worker::new_with_options(script(build), &options)
            .map_err(|e| format!("The ML engine could not be started: {e:?}"))?;
        let outbox: Rc<RefCell<Option<Vec<JsValue>>>> = Rc::new(RefCell::new(Some(Vec::new())));
        let on_message = Rc::new(on_message);
        let dead = Rc::new(Cell::new(false));

        let (queued, target, deliver) = (outbox.clone(), worker.clone(), on_message.clone());
        let died = dead.clone();
        let message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if died.get() {
                return;
            }
            let parsed = decode(event.data());
            match parsed {
                Ok(FromWorker::Ready) => {
                    for message in queued.borrow_mut().take().unwrap_or_default() {
                        let _ = target.post_message(&message);
                    }
                }
                Ok(FromWorker::Crashed(_)) => died.set(true),
                _ => {}
            }
            deliver(parsed);
        });
        worker.set_onmessage(Some(message.as_ref().unchecked_ref()));

        let ready = outbox.clone();
        let error = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            event.prevent_default();
            if dead.replace(true) {
                return;
            }
            let detail = event.message();
            if ready.borrow().is_none() {
                on_message(Ok(FromWorker::Crashed(detail)));
            } else if detail.is_empty() {
                on_message(Err(
                    "The ML engine stopped: the worker script failed to load".into(),
                ));
            } else {
                on_message(Err(format!("The ML engine stopped: {detail}")));
            }
        });
        worker.set_onerror(Some(error.as_ref().unchecked_ref()));

        Ok(Self {
            build,
            worker,
            outbox,
            _on_message: message,
            _on_error: error,
        })
    }

    /// Which build runs in the worker.
    pub fn build(&self) -> EngineBuild {
        self.build
    }

    /// Sends a request (queued until the worker is ready).
    pub fn send(&self, message: &ToWorker) {
        self.post(JsValue::from_str(&message.to_json()));
    }

    /// Asks the engine to read `upload` (as upload `id`). The message is an array: the
    /// request's JSON, then each file's bytes (copied, so the UI keeps them).
    pub fn send_import(&self, id: u64, upload: &UploadFiles) {
        let request = ToWorker::Import {
            id,
            files: upload
                .names
                .iter()
                .map(|name| UploadFile {
                    name: name.clone(),
                    bytes: Vec::new(),
                })
                .collect(),
            options: upload.options.clone(),
        };
        let message = js_sys::Array::new();
        message.push(&JsValue::from_str(&request.to_json()));
        for buffer in &upload.buffers {
            message.push(buffer);
        }
        self.post(message.into());
    }

    /// Asks the engine to open the experiment file `file` (its bytes copied beside the
    /// request); an upload in it becomes upload `id`.
    pub fn send_open(&self, id: u64, name: &str, file: &js_sys::ArrayBuffer) {
        let request = ToWorker::OpenExperiment {
            id,
            file: UploadFile {
                name: name.to_string(),
                bytes: Vec::new(),
            },
        };
        self.post(js_sys::Array::of2(&JsValue::from_str(&request.to_json()), file).into());
    }

    /// Asks the engine to start runs from the encoder in `file` (its bytes copied beside the
    /// request).
    pub fn send_start_from(&self, name: &str, file: &js_sys::ArrayBuffer) {
        let request = ToWorker::StartFromFile {
            file: UploadFile {
                name: name.to_string(),
                bytes: Vec::new(),
            },
        };
        self.post(js_sys::Array::of2(&JsValue::from_str(&request.to_json()), file).into());
    }

    fn post(&self, message: JsValue) {
        if let Some(queue) = self.outbox.borrow_mut().as_mut() {
            queue.push(message);
            return;
        }
        let _ = self.worker.post_message(&message);
    }
}

impl Drop for EngineLink {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

/// A report from the engine: its JSON, or an array of its JSON and its files' bytes
/// ([`FromWorker::bytes_mut`]) as `Uint8Array`s or its large arrays
/// ([`FromWorker::arrays_mut`]) as `Float32Array`s.
fn decode(data: JsValue) -> Result<FromWorker, String> {
    if let Some(text) = data.as_string() {
        return FromWorker::from_json(&text);
    }
    if !js_sys::Array::is_array(&data) {
        return Err("The ML engine sent a message that is neither text nor a list.".into());
    }
    let parts = js_sys::Array::from(&data);
    let text = parts.get(0).as_string().unwrap_or_default();
    let mut message = FromWorker::from_json(&text)?;
    let files = message.bytes_mut();
    if !files.is_empty() {
        if files.len() + 1 != parts.length() as usize {
            return Err("The ML engine sent files without all of their bytes.".into());
        }
        for (i, bytes) in files.into_iter().enumerate() {
            *bytes = js_sys::Uint8Array::new(&parts.get(i as u32 + 1)).to_vec();
        }
        return Ok(message);
    }
    let slots = message.arrays_mut();
    if slots.len() + 1 != parts.length() as usize {
        return Err("The ML engine sent a report without all of its arrays.".into());
    }
    for (i, slot) in slots.into_iter().enumerate() {
        *slot = js_sys::Float32Array::new(&parts.get(i as u32 + 1)).to_vec();
    }
    Ok(message)
}
