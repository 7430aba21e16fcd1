//! `petri`: the page's experiments, trained natively (see `petri::cli`).

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    petri::cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}
