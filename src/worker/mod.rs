//! The training worker: runs the [`Engine`] inside a Web Worker, off the UI thread.

use crate::engine::{Engine, Platform};
use crate::protocol::{AdapterInfo, FromWorker};
use crate::reader::{ReadAnswer, ReadRequest};
use crate::web::{self, ReaderLink, WorkerScope};
use burn::prelude::Device;
use futures_util::StreamExt;
use std::cell::RefCell;

struct BrowserPlatform {
    scope: WorkerScope,
    /// The file reader, started by the first file.
    reader: RefCell<Option<ReaderLink>>,
}

impl Platform for BrowserPlatform {
    fn now_ms(&self) -> f64 {
        web::now_ms()
    }

    fn post(&self, message: FromWorker) {
        self.scope.post(&message);
    }

    async fn adapter(&self) -> Result<AdapterInfo, String> {
        web::probe_adapter().await
    }

    #[cfg(feature = "webgpu")]
    async fn init_webgpu(&self) -> Result<Device, String> {
        web::init_webgpu().await
    }

    #[cfg(not(feature = "webgpu"))]
    async fn init_webgpu(&self) -> Result<Device, String> {
        Err("the CPU-only engine is loaded; choose WebGPU in Compute to load the GPU engine".into())
    }

    async fn read(&self, request: &ReadRequest) -> ReadAnswer {
        let link = self.reader.take().map_or_else(ReaderLink::spawn, Ok);
        let answer = match link {
            Ok(mut link) => {
                let scope = &self.scope;
                let answer = link
                    .read(request, |progress| {
                        scope.post(&FromWorker::Importing(progress))
                    })
                    .await;
                if answer.is_ok() {
                    self.reader.replace(Some(link));
                }
                answer
            }
            Err(error) => Err(error),
        };
        answer.unwrap_or_else(|why| request.failed(&why))
    }
}

/// Starts the engine: listens for requests and trains between them.
pub fn run() {
    let (scope, mut inbox) = WorkerScope::listen();
    scope.report_panics();
    let mut engine = Engine::new(BrowserPlatform {
        scope: scope.clone(),
        reader: RefCell::new(None),
    });
    wasm_bindgen_futures::spawn_local(async move {
        scope.post(&FromWorker::Ready);
        loop {
            while let Ok(message) = inbox.try_recv() {
                engine.handle(message).await;
            }
            if engine.is_busy() {
                engine.run_slice().await;
                web::yield_now().await;
            } else {
                match inbox.next().await {
                    Some(message) => engine.handle(message).await,
                    None => break,
                }
            }
        }
    });
}
