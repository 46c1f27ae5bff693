//! The long soak: random edits of every feature over many frames on its own device, with GPU
//! memory and pipeline compilations counted (its own binary: it reads the device's counters).

#[path = "../common/mod.rs"]
mod common;

mod soak;
