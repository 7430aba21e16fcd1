//! The file reader: a small worker without Burn that reads uploads and experiment files for
//! the engine (image decoders, zip, CSV, FASTA, graphs), started by the engine when a file
//! arrives.

#[cfg(target_arch = "wasm32")]
fn main() {
    petri::web::run_reader();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("The file reader runs in a browser: build it with `trunk build`.");
}
