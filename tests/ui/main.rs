//! The viewer's panels driven with egui_kittest (no window, no GPU).

#[path = "../common/mod.rs"]
mod common;

mod cramer_rao;
mod estimates;
mod kfac;
mod panels;

use fisherflow::jobs::{JobMode, SceneJobs};
use fisherflow::render::FrameInfo;
use fisherflow::scene::Scene;
use fisherflow::viewer::ui::{self, FrameContext, UiState};

/// The jobs a test window reads: deterministic, so one frame shows its own results.
pub fn test_jobs() -> SceneJobs {
    SceneJobs::new(JobMode::Deterministic)
}

/// One frame of the whole window as the app draws it, without a canvas: the jobs are
/// requested for the scene first (as the simulation does), and the K-FAC tab's reset reaches
/// them (as the app does). Returns the commands the panels gave the app.
pub fn show_window(
    ui: &mut egui::Ui,
    scene: &mut Scene,
    state: &mut UiState,
    jobs: &mut SceneJobs,
) -> Vec<ui::Command> {
    jobs.update(scene);
    let frame = FrameContext {
        canvas_texture: None,
        info: FrameInfo {
            cells: 1000,
            grid: 32,
            max_grid: 900,
            field_recomputed: false,
            particles: 0,
            epsilon: 6e-3,
            cell: 0.25,
        },
        adapter: "test",
        frame_ms: 0.0,
        default_particles: 16_384,
        legends: &[],
        labels: &[],
        jobs,
    };
    let commands = ui::show(ui, scene, state, &frame);
    if commands.contains(&ui::Command::RestartLab) {
        jobs.restart_lab();
    }
    commands
}
