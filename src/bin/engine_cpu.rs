//! The training engine without WebGPU: Burn's Flex backend only (the default download).
//! Loaded by the page as a module Web Worker.

#[cfg(target_arch = "wasm32")]
fn main() {
    petri::worker::run();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("The engine runs in a browser: build it with `trunk build`.");
}
