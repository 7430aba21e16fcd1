//! Petri: a deep-learning lab that runs entirely in a web page.
//!
//! - [`ml`]: the pure core (datasets, models, training, metrics); compiles and is tested natively.
//! - [`protocol`]: the plain messages between the UI and the training worker.
//! - [`reader`]: reading uploads and experiment files (the `reader` worker in the browser).
//! - `engine`: turns UI requests into training steps and reports (feature `engine`).
//! - `worker`: runs the engine in a Web Worker (wasm, feature `engine`).
//! - `ui`: the Yew application, holding plain data only (its components are wasm only, feature
//!   `ui`).
//! - `web`: the one module that touches browser APIs (wasm only).
//! - `cli`: the `petri` command line, the engine driven natively (feature `engine`, native).
//!
//! The feature `engine` (on by default) brings in Burn. The UI binary is built without it, so
//! the page's shell stays small and never waits for the engine.

#[cfg(all(feature = "engine", not(target_arch = "wasm32")))]
pub mod cli;
#[cfg(feature = "engine")]
pub mod engine;
pub mod ml;
pub mod protocol;
pub mod reader;
// In the browser only in the app (feature `ui`): a change to the UI then rebuilds the UI alone,
// and the engines and the reader never compile Yew.
#[cfg(any(not(target_arch = "wasm32"), feature = "ui"))]
pub mod ui;
#[cfg(target_arch = "wasm32")]
pub mod web;
#[cfg(all(target_arch = "wasm32", feature = "engine"))]
pub mod worker;
