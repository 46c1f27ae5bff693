//! The heatmap: one scalar of the field painted under the ellipses (log₁₀ κ, √det F, the loss,
//! the angle between ∇L and ñ, ‖ñ‖, the empirical Fisher's gap; on the policy plane ρ(A_K)
//! and the control energy), with its value under the pointer.
//!
//! Its files, by role: `settings.rs` (which scalar), `layer.rs` (the drawing and the f64 value
//! at a point), `panel.rs` (the menu and the value under the pointer).

pub mod layer;
pub mod panel;
pub mod settings;
