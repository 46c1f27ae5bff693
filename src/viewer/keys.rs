//! The keyboard shortcuts: a pressed key becomes a command, or opens or closes the help.

use egui::Key;

use super::command::Command;
use super::ui_state::UiState;
use crate::scene::{FlowEdit, SceneEdit};

/// The commands of the keys pressed this frame (none while a text field has the keyboard).
pub(super) fn handle_keys(ui: &egui::Ui, state: &mut UiState) -> Vec<Command> {
    let mut out = Vec::new();
    if ui.ctx().egui_wants_keyboard_input() {
        return out;
    }
    let pressed = |key| ui.input(|i| i.key_pressed(key));
    if pressed(Key::R) {
        out.push(Command::Edit(SceneEdit::Reset));
        state.toast(ui.ctx(), "scene reset (R)");
    }
    if pressed(Key::F) {
        out.push(Command::Edit(SceneEdit::FitView));
    }
    if pressed(Key::P) {
        out.push(Command::Screenshot);
    }
    if pressed(Key::Space) {
        out.push(Command::Edit(SceneEdit::Flow(FlowEdit::Toggle)));
    }
    if pressed(Key::V) {
        out.push(Command::ToggleRecording);
    }
    if pressed(Key::H) {
        state.show_help = !state.show_help;
    }
    if pressed(Key::Escape) {
        state.show_help = false;
    }
    out
}
