//! The viewer's egui layer: lays out the window (tab bar, side panel, density strip, race
//! results, canvas, or the K-FAC tab) and applies the scene edits its panels return. Each
//! panel edits the [`Scene`] only through [`Scene::apply`] (widgets work on a copy of the
//! value and return a [`Command::Edit`] when it changed), so the UI obeys the same clamps as
//! the soak test that replays random edits. Nothing here draws the plane itself. Pure egui, so
//! the kittest tests drive it without a window.

use super::{canvas, density_strip, help, keys, notices, side_panel};
use crate::features::kfac_lab::panel::KfacTab;
use crate::features::race::panel as race_panel;
use crate::scene::{Scene, SceneEdit, Tab};

pub use super::canvas::target_for_twin;
pub use super::command::Command;
pub use super::help::BINDINGS;
pub use super::model_panel::{model_heading, pick_axis};
pub use super::ui_state::{Drag, FrameContext, UiState};

/// Lays out the whole window: side panel, density strip, canvas. Each panel returns the
/// commands its widgets produced; the scene edits among them are applied here, in one place,
/// and the rest are returned for the app (screenshot, save, load, recording).
///
/// The side panels are no narrower than their widest content (the controls of every family
/// and feature, the race table), so that what they show never widens them: a panel that
/// grows with its content resizes the canvas, and a resized canvas is reallocated and every
/// cached layer redrawn, 35–50 ms a frame on llvmpipe for the two or three frames egui takes
/// to settle (measured on a switch of scene that removed the probe).
pub fn show(
    ui: &mut egui::Ui,
    scene: &mut Scene,
    state: &mut UiState,
    frame: &FrameContext<'_>,
) -> Vec<Command> {
    let mut commands = keys::handle_keys(ui, state);
    let current = scene.clone();
    commands.extend(tab_bar(ui, &current));
    if current.tab == Tab::Kfac {
        return kfac_view(ui, scene, state, frame, commands);
    }
    commands.extend(
        egui::Panel::left("controls")
            .resizable(true)
            .default_size(CONTROLS_WIDTH)
            .min_size(CONTROLS_WIDTH)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .show(ui, |ui| side_panel::show(ui, &current, state, frame))
                    .inner
            })
            .inner,
    );
    if current.offers(crate::scene::Feature::DensityStrip) {
        commands.extend(
            egui::Panel::bottom("density")
                .resizable(false)
                .exact_size(150.0)
                // The strip fills its own background: no panel fill under it, one layer less
                // of egui's per-pixel work wherever a drag redraws the strip.
                .frame(egui::Frame::NONE)
                .show(ui, |ui| density_strip::show(ui, &current, state))
                .inner,
        );
    } else if let Some(system) = &current.system {
        egui::Panel::bottom("rollout")
            .resizable(false)
            .exact_size(190.0)
            .show(ui, |ui| {
                super::rollout_strip::show(ui, &current, system, state)
            });
    }
    if current.features.race.enabled && current.offers(crate::scene::Feature::Race) {
        egui::Panel::right("race results")
            .resizable(true)
            .default_size(RACE_RESULTS_WIDTH)
            .min_size(RACE_RESULTS_WIDTH)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .show(ui, |ui| race_panel::results(ui, &current, frame.jobs));
            });
    }
    commands.extend(
        egui::CentralPanel::no_frame()
            .show(ui, |ui| canvas::show(ui, &current, state, frame))
            .inner,
    );
    let for_app = apply_edits(scene, commands);
    help::show(ui, state);
    notices::toast(ui, state);
    notices::recording_badge(ui, state);
    for_app
}

/// The controls panel's least width, points: its widest content (the mixture's controls on
/// a slice with a probe, 380 points wide) with a little room.
const CONTROLS_WIDTH: f32 = 390.0;
/// The race results' least width, points: the mixture's seven-optimizer table (421 points).
const RACE_RESULTS_WIDTH: f32 = 430.0;

/// The strip above everything that switches between the geometry view and the K-FAC lab.
fn tab_bar(ui: &mut egui::Ui, scene: &Scene) -> Vec<Command> {
    let mut tab = scene.tab;
    egui::Panel::top("tabs").show(ui, |ui| {
        ui.horizontal(|ui| {
            let geometry = if scene.system.is_some() {
                "Policy-plane geometry"
            } else {
                "Mixture geometry"
            };
            ui.selectable_value(&mut tab, Tab::Geometry, geometry);
            ui.selectable_value(&mut tab, Tab::Kfac, "K-FAC lab");
        });
    });
    if tab == scene.tab {
        Vec::new()
    } else {
        vec![Command::Edit(SceneEdit::SetTab(tab))]
    }
}

/// The K-FAC tab fills the window below the tab bar; its edits are applied like the panels'.
fn kfac_view(
    ui: &mut egui::Ui,
    scene: &mut Scene,
    state: &mut UiState,
    frame: &FrameContext<'_>,
    mut commands: Vec<Command>,
) -> Vec<Command> {
    let current = scene.clone();
    let tab = state.kfac.get_or_insert_with(KfacTab::new);
    let (edited, reset) = egui::CentralPanel::default()
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .show(ui, |ui| {
                    tab.ui(ui, &current.features.kfac, frame.jobs.lab_snapshot())
                })
                .inner
        })
        .inner;
    if let Some(lab) = edited {
        commands.push(Command::Edit(SceneEdit::feature(lab)));
    }
    if reset {
        commands.push(Command::RestartLab);
    }
    let for_app = apply_edits(scene, commands);
    help::show(ui, state);
    notices::toast(ui, state);
    for_app
}

/// Applies the scene edits among `commands` in order; the rest are for the app.
fn apply_edits(scene: &mut Scene, commands: Vec<Command>) -> Vec<Command> {
    let mut for_app = Vec::new();
    for command in commands {
        match command {
            Command::Edit(edit) => scene.apply(edit),
            other => for_app.push(other),
        }
    }
    for_app
}
