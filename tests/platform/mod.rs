//! The engine driven natively as the worker drives it: a platform that keeps what the engine
//! posts, and offers the WebGPU adapter a test chooses.
#![allow(dead_code)] // each test crate uses its share

use burn::prelude::*;
use petri::engine::{Engine, Platform};
use petri::protocol::{AdapterInfo, FromWorker, ToWorker};
use std::cell::RefCell;
use std::time::Instant;

pub struct TestPlatform {
    start: Instant,
    pub posted: RefCell<Vec<FromWorker>>,
    /// The adapter the "browser" offers.
    adapter: Option<AdapterInfo>,
}

impl Platform for TestPlatform {
    fn now_ms(&self) -> f64 {
        self.start.elapsed().as_secs_f64() * 1000.0
    }

    fn post(&self, message: FromWorker) {
        self.posted.borrow_mut().push(message);
    }

    async fn adapter(&self) -> Result<AdapterInfo, String> {
        self.adapter
            .clone()
            .ok_or_else(|| "none offered".to_string())
    }

    async fn init_webgpu(&self) -> Result<Device, String> {
        Err("this build has no WebGPU".into())
    }
}

/// An engine in a "browser" that offers `adapter`.
pub fn engine_with(adapter: Option<AdapterInfo>) -> Engine<TestPlatform> {
    Engine::new(TestPlatform {
        start: Instant::now(),
        posted: RefCell::new(Vec::new()),
        adapter,
    })
}

/// An engine told to compute on the CPU, with nothing posted yet.
pub fn cpu_engine() -> Engine<TestPlatform> {
    let mut engine = engine_with(None);
    send(
        &mut engine,
        ToWorker::SetCompute(petri::ml::experiment::Compute::Cpu),
    );
    take(&engine);
    engine
}

/// Hands `message` to the engine and waits for it to be handled.
pub fn send(engine: &mut Engine<TestPlatform>, message: ToWorker) {
    pollster::block_on(engine.handle(message));
}

/// What the engine posted since the last take.
pub fn take(engine: &Engine<TestPlatform>) -> Vec<FromWorker> {
    std::mem::take(&mut *engine.platform().posted.borrow_mut())
}
