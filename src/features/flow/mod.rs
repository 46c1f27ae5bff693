//! The flow: particles advected on the GPU along −F⁻¹∇L (cyan), −∇L (red), or the empirical
//! Fisher's direction beside the natural one, with fading trails.
//!
//! Its files, by role: `settings.rs`, `stage.rs` (the particles' key, parameters and the step a
//! frame runs), `layer_particles.rs` and `layer_trails.rs` (their drawing), `panel.rs` (the
//! side panel's section).

pub mod layer_particles;
pub mod layer_trails;
pub mod panel;
pub mod settings;
pub mod stage;
