//! The training engine without WebGPU but with the readers of uploads and experiment files
//! (image decoders, zip): loaded instead of `engine-cpu` once the person chooses a file.

#[cfg(target_arch = "wasm32")]
fn main() {
    petri::worker::run();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("The engine runs in a browser: build it with `trunk build`.");
}
