//! The pure core: no browser APIs, no UI. Everything here runs natively on `Device::flex()`.
//!
//! Burn-free parts ([`data`], [`experiment`], [`metrics`], [`rng`], the model configs) are
//! also used by the UI; the parts that build tensors ([`models`], [`train`], [`session`]) are
//! used only by the worker, the bench and the tests.

pub mod augment;
pub mod data;
pub mod experiment;
pub mod explain;
pub mod export;
pub mod import;
pub mod label;
pub mod layout;
pub mod metrics;
pub mod models;
#[cfg(all(feature = "engine", not(target_arch = "wasm32")))]
pub mod parallel;
pub mod pretrain;
pub mod regression;
pub mod rng;
#[cfg(feature = "engine")]
pub mod session;
#[cfg(feature = "engine")]
pub mod train;
#[cfg(feature = "engine")]
pub mod weights;
