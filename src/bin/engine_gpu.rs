//! The training engine with Burn's WebGPU backend as well as Flex (loaded when a GPU may help).
//! Loaded by the page as a module Web Worker.

#[cfg(target_arch = "wasm32")]
fn main() {
    petri::worker::run();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("The engine runs in a browser: build it with `trunk build`.");
}
