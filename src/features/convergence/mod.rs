//! The convergence map: for every cell of a lattice over the view as a start, the steps gd and
//! ngd need to converge, advanced on the GPU a few steps a frame and drawn as a backdrop.
//!
//! Its files, by role: `settings.rs`, `stage.rs` (the map's spec and its frame share),
//! `layer.rs` (the drawing and its legend), `panel.rs` (the side panel's section).

pub mod layer;
pub mod panel;
pub mod settings;
pub mod stage;
