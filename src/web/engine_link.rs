use crate::protocol::{EngineBuild, FromWorker, ToWorker};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
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
    worker: Worker,
    outbox: Rc<RefCell<Option<Vec<String>>>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl EngineLink {
    /// Starts the engine `build` in a worker; `on_message` receives its reports, or an error
    /// if it fails to load or dies.
    pub fn spawn(
        build: EngineBuild,
        on_message: impl Fn(Result<FromWorker, String>) + 'static,
    ) -> Result<Self, String> {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker = Worker::new_with_options(script(build), &options)
            .map_err(|e| format!("The ML engine could not be started: {e:?}"))?;
        let outbox: Rc<RefCell<Option<Vec<String>>>> = Rc::new(RefCell::new(Some(Vec::new())));
        let on_message = Rc::new(on_message);

        let (queued, target, deliver) = (outbox.clone(), worker.clone(), on_message.clone());
        let message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(text) = event.data().as_string() else {
                deliver(Err("The ML engine sent a message that is not text.".into()));
                return;
            };
            let parsed = FromWorker::from_json(&text);
            if matches!(parsed, Ok(FromWorker::Ready)) {
                for text in queued.borrow_mut().take().unwrap_or_default() {
                    let _ = target.post_message(&text.into());
                }
            }
            deliver(parsed);
        });
        worker.set_onmessage(Some(message.as_ref().unchecked_ref()));

        let error = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            event.prevent_default();
            let detail = event.message();
            let detail = if detail.is_empty() {
                "the worker script failed to load".to_string()
            } else {
                detail
            };
            on_message(Err(format!("The ML engine stopped: {detail}")));
        });
        worker.set_onerror(Some(error.as_ref().unchecked_ref()));

        Ok(Self {
            worker,
            outbox,
            _on_message: message,
            _on_error: error,
        })
    }

    /// Sends a request (queued until the worker is ready).
    pub fn send(&self, message: &ToWorker) {
        let text = message.to_json();
        if let Some(queue) = self.outbox.borrow_mut().as_mut() {
            queue.push(text);
            return;
        }
        let _ = self.worker.post_message(&text.into());
    }
}

impl Drop for EngineLink {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}
