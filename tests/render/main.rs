//! Rendered frames: the scene renderer's layers (heatmaps, paths, race, estimates), scenarios
//! and captures, read back and checked pixel by pixel.

#[path = "../common/mod.rs"]
mod common;

mod capture;
mod cramer_rao;
mod estimates;
mod heatmap;
mod narrowing;
mod outside;
mod overlay;
mod paths;
mod policy;
mod race;
mod scenario_geodesic;
mod scene;
