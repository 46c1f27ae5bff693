//! The notices floating over the window: the toast (a message for a few seconds) and the
//! recording badge.

use egui::{Color32, RichText, vec2};

use super::ui_state::UiState;

/// The toast, until its time is up.
pub(super) fn toast(ui: &egui::Ui, state: &mut UiState) {
    let now = ui.input(|i| i.time);
    match &state.toast {
        Some((message, until)) if *until > now => {
            let message = message.clone();
            egui::Area::new(egui::Id::unique("fisherflow toast"))
                .anchor(egui::Align2::CENTER_BOTTOM, vec2(0.0, -170.0))
                .show(ui, |ui| {
                    egui::Frame::popup(ui.style()).show(ui, |ui| ui.label(message));
                });
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(250));
        }
        Some(_) => state.toast = None,
        None => {}
    }
}

/// "● REC" in the bottom right corner while a recording runs.
pub(super) fn recording_badge(ui: &egui::Ui, state: &UiState) {
    if state.recording {
        egui::Area::new(egui::Id::unique("fisherflow recording"))
            .anchor(egui::Align2::RIGHT_BOTTOM, vec2(-12.0, -160.0))
            .show(ui, |ui| {
                ui.label(
                    RichText::new("● REC")
                        .color(Color32::from_rgb(255, 60, 60))
                        .strong(),
                );
            });
    }
}
