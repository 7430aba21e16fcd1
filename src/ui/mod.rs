//! The Yew UI. It holds plain data only ([`state`]) and talks to the engine through
//! [`crate::web::EngineLink`]; it never links the ML engine.

pub mod embed;
pub mod heat;
pub mod lesson;
pub mod link;
pub mod requests;
pub mod state;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod panels;
#[cfg(target_arch = "wasm32")]
mod widgets;

/// Renders the app into the page.
#[cfg(target_arch = "wasm32")]
pub fn run() {
    yew::Renderer::<app::App>::with_root(crate::web::app_root()).render();
}
