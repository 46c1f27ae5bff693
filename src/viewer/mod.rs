//! The native viewer: a winit window, egui for the panels, our [`SceneRenderer`] for the
//! plane. See [`app`] for the frame loop.

pub mod app;
pub mod ui;

pub use app::{ViewOptions, run};
