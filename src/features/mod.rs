//! The features of the canvas, one folder each. A feature's files are named for their role,
//! and each role sits at one level of the crate (checked by `architecture` in `lib.rs`):
//! `settings` with the scene (its serde settings, defaults and ranges), `job` with the jobs,
//! `stage` with the simulation (its compute stage and cache key), `layer` with the renderer
//! and `panel` with the viewer. So the scene reads a feature's settings, the simulation its
//! stage, the renderer its layers and the window its panel, each naming only the files of its
//! own level or below.

pub mod convergence;
pub mod cramer_rao;
pub mod estimates;
pub mod field;
pub mod flow;
pub mod geodesics;
pub mod heatmap;
pub mod kfac_lab;
pub mod race;
