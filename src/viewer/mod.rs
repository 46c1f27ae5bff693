//! The native viewer: a winit window, egui for the panels, our [`SceneRenderer`](crate::render::SceneRenderer) for the
//! plane. See [`app`] for the frame loop and [`ui`] for the window's layout.

pub mod app;
mod app_commands;
mod automation;
mod canvas;
pub(crate) mod command;
mod compositor;
pub mod damage;
mod density_strip;
pub mod fills;
mod graphics;
mod help;
pub mod job_cache;
mod keys;
mod model_panel;
mod notices;
pub(crate) mod numbers_panel;
mod policy_panel;
mod rollout_strip;
mod side_panel;
pub mod ui;
pub(crate) mod ui_state;

pub use app::{ViewOptions, run};
