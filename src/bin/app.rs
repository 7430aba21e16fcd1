//! The UI binary: the Yew app shell.

#[cfg(target_arch = "wasm32")]
fn main() {
    petri::ui::run();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("The app runs in a browser: serve it with `trunk serve`.");
}
