//! Fisher–Rao geodesics on the canvas: the geodesic ball at the probe (shot on the GPU) and
//! the shortest paths from the probe to θ* and its twin (solved in f64 off the frame loop).
//!
//! Its files, by role: `settings.rs`, `job_paths.rs` (the shortest paths' job), `stage_ball.rs`
//! (the ball's compute stage and key), `layer_ball.rs` and `layer_paths.rs` (their drawing),
//! `panel.rs` (the side panel's section).

pub mod job_paths;
pub mod layer_ball;
pub mod layer_paths;
pub mod panel;
pub mod settings;
pub mod stage_ball;
