//! The field and its ellipses: the Fisher matrix evaluated on the GPU at every cell of a grid
//! over the view (and at the probe), drawn as metric ellipses. Every layer that draws the field
//! reads this stage's buffers: the ellipses and the heatmap its cells, the probe's arrows the
//! probe's cell.
//!
//! Its files, by role: `stage.rs` (which kernel a scene goes to, the cache keys, the
//! dispatches), `stage_drag.rs` (a target drag's coarse field), `stage_layout.rs` (the grid
//! over the view), `layer_ellipses.rs` (the ellipses and the outside of the model), `panel.rs`
//! (the side panel's "Field" section).

pub mod layer_ellipses;
pub mod panel;
pub mod stage;
pub mod stage_drag;
pub mod stage_layout;
