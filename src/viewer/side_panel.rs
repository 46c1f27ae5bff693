//! The side panel: its sections in order, the short ones (field, layers, buttons, scene file,
//! performance) written out here.

use egui::RichText;

use super::command::{Command, edit_copy};
use super::ui_state::{FrameContext, UiState};
use super::{model_panel, numbers_panel};
use crate::scene::{Scene, SceneEdit};

/// The side panel's sections, top to bottom, with a separator between each two.
pub(super) fn show(
    ui: &mut egui::Ui,
    scene: &Scene,
    state: &mut UiState,
    frame: &FrameContext<'_>,
) -> Vec<Command> {
    let mut out = Vec::new();
    ui.heading("fisherflow");
    out.extend(model_panel::show(ui, scene, state));
    ui.separator();
    out.extend(crate::features::field::panel::show(ui, scene, frame));

    // The sections of features the canvas's family offers (the policy plane: none of these
    // yet; Scene::offers).
    use crate::scene::Feature;
    if scene.offers(Feature::Particles) {
        ui.separator();
        out.extend(crate::features::flow::panel::show(ui, scene, frame));
    }
    if scene.offers(Feature::GeodesicBall) {
        ui.separator();
        out.extend(crate::features::geodesics::panel::show(ui, scene));
    }
    if scene.offers(Feature::ConvergenceMap) {
        ui.separator();
        out.extend(crate::features::convergence::panel::show(ui, scene));
    }
    if scene.offers(Feature::Race) {
        ui.separator();
        out.extend(crate::features::race::panel::show(ui, scene));
    }
    if scene.family() == crate::scene::Family::Policy {
        ui.separator();
        out.extend(crate::features::estimates::panel_policy::show(
            ui, scene, frame.jobs,
        ));
    }

    ui.separator();
    out.extend(layers_section(ui, scene, state));

    ui.separator();
    out.extend(file_section(ui, state));

    out.extend(crate::features::cramer_rao::panel::show(ui, scene));
    ui.separator();
    if scene.offers(Feature::Estimates) {
        out.extend(crate::features::estimates::panel::show(
            ui, scene, frame.jobs,
        ));
    }
    out.extend(match &scene.system {
        Some(system) => super::policy_panel::numbers(ui, scene, system, frame.jobs),
        None => numbers_panel::show(ui, scene, state.numbers(scene, &frame.info)),
    });
    ui.separator();
    ui.strong("Performance");
    ui.label(format!(
        "{:.1} ms/frame · {} cells",
        frame.frame_ms, frame.info.cells
    ));
    ui.label(RichText::new(frame.adapter).small());
    out
}

/// The "Layers" section: which layers are drawn, the heatmap, and the fit view, screenshot
/// and help buttons.
fn layers_section(ui: &mut egui::Ui, scene: &Scene, state: &mut UiState) -> Vec<Command> {
    let mut out = Vec::new();
    ui.strong("Layers");
    edit_copy(
        &mut out,
        scene,
        |s| s.layers,
        |l| {
            ui.horizontal_wrapped(|ui| {
                ui.checkbox(&mut l.ellipses, "ellipses");
                ui.checkbox(&mut l.axes, "axes");
                ui.checkbox(&mut l.handles, "handles");
                ui.checkbox(&mut l.probe, "probe");
                ui.checkbox(&mut l.legend, "legend");
            });
        },
        SceneEdit::SetLayers,
    );
    out.extend(crate::features::heatmap::panel::choice(ui, scene));
    ui.horizontal(|ui| {
        if ui.button("Fit view (F)").clicked() {
            out.push(Command::Edit(SceneEdit::FitView));
        }
        if ui.button("Screenshot (P)").clicked() {
            out.push(Command::Screenshot);
        }
        if ui.button("Help (H)").clicked() {
            state.show_help = !state.show_help;
        }
    });
    out
}

/// The "Scene file and recording" section: the file's path, save, load and the record button.
fn file_section(ui: &mut egui::Ui, state: &mut UiState) -> Vec<Command> {
    let mut out = Vec::new();
    ui.strong("Scene file and recording");
    ui.horizontal(|ui| {
        let l = ui.label("file");
        ui.add(egui::TextEdit::singleline(&mut state.scene_path).desired_width(150.0))
            .labelled_by(l.id);
        if ui.button("Save").clicked() {
            out.push(Command::SaveScene);
        }
        if ui.button("Load").clicked() {
            out.push(Command::LoadScene);
        }
    });
    let record_label = if state.recording {
        "■ Stop recording (V)"
    } else {
        "● Record (V)"
    };
    if ui.button(record_label).clicked() {
        out.push(Command::ToggleRecording);
    }
    out
}
