//! The optimizer race: every enabled optimizer run from one start (and, on the policy plane,
//! from a ring of starts about it) in f64 off the frame loop, drawn as polylines with a dot
//! per step, with a results table and plots of L and ‖∇L‖ against the step.
//!
//! Its files, by role: `settings.rs`, `job.rs` (the runs), `layer.rs` (the polylines),
//! `panel.rs` (the settings section and the results window).

pub mod job;
pub mod layer;
pub mod panel;
pub mod settings;
