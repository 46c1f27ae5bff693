//! The Cramér–Rao region: where the maximum-likelihood estimate from N samples of p_θ* lands,
//! asymptotically, with probability p — the ellipse δᵀFδ ≤ χ²₂(p)/N about θ* and about its
//! twin, whose shape is the metric's and whose size is the data's. With the profiled metric
//! it is the region when the three held parameters are estimated too (larger where they are
//! entangled with the slice's two).
//!
//! Its files, by role: `settings.rs` (on or off, N, p), `layer.rs` (the two ellipses and
//! their legend), `panel.rs` (the side panel's section).

pub mod layer;
pub mod panel;
pub mod settings;
