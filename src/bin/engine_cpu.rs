//! The training engine without WebGPU: Burn's Flex backend only (the default download).
//! Loaded by the page as a module Web Worker.
//!
//! Built with `threads` (scripts/build-threads) it runs on every core: its loader starts
//! rayon's pool (`initThreadPool`, one Web Worker per thread) and only then `runEngine`, so
//! the engine's first step already has its threads.

#[cfg(all(target_arch = "wasm32", feature = "threads"))]
pub use wasm_bindgen_rayon::init_thread_pool;

#[cfg(all(target_arch = "wasm32", not(feature = "threads")))]
fn main() {
    petri::worker::run();
}

#[cfg(all(target_arch = "wasm32", feature = "threads"))]
fn main() {}

/// Starts the engine, once the loader has started the thread pool.
#[cfg(all(target_arch = "wasm32", feature = "threads"))]
#[wasm_bindgen::prelude::wasm_bindgen(js_name = runEngine)]
pub fn run_engine() {
    petri::worker::run();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("The engine runs in a browser: build it with `trunk build`.");
}
