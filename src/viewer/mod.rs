//! The native viewer: a winit window, egui for the panels, our [`SceneRenderer`] for the
//! plane. See [`app`] for the frame loop.

pub mod app;
pub mod convergence_panel;
pub mod damage;
pub mod estimates_panel;
pub mod kfac_tab;
pub mod race_panel;
pub mod ui;

pub use app::{ViewOptions, run};
