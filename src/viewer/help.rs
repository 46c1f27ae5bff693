//! The help window: every key and pointer binding, then how to read the plane.

use egui::RichText;

use super::ui_state::UiState;

/// Every key binding, for the help overlay and the README.
pub const BINDINGS: &[(&str, &str)] = &[
    (
        "drag a handle",
        "move θ* (and its twin, where the slice has one: they may meet on the diagonal)",
    ),
    ("drag empty canvas", "pan"),
    ("wheel / pinch", "zoom around the cursor"),
    ("click", "place the probe (arrows −∇L red, −F⁻¹∇L cyan)"),
    (
        "drag μ1* / μ2* on the strip",
        "move one mean of θ*, on any slice",
    ),
    (
        "Space",
        "flow on/off: particles follow −F⁻¹∇L (cyan) and −∇L (red)",
    ),
    ("F", "fit the view to the handles and probe"),
    ("R", "reset the scene"),
    ("P", "save a screenshot PNG of the window"),
    (
        "V",
        "start / stop recording: saves the session as a scenario TOML and renders it to a GIF",
    ),
    ("H", "toggle this help"),
    ("Esc", "close this help"),
];

pub(super) fn show(ui: &egui::Ui, state: &mut UiState) {
    let mut open = state.show_help;
    egui::Window::new("Help").open(&mut open).collapsible(false).resizable(false).show(ui, |ui| {
        egui::Grid::new("bindings").striped(true).show(ui, |ui| {
            for (key, what) in BINDINGS {
                ui.label(RichText::new(*key).strong());
                ui.label(*what);
                ui.end_row();
            }
        });
        ui.separator();
        ui.label("Ellipses: level sets δᵀF(θ)δ = ε of the Fisher metric, coloured by log₁₀ κ.");
        ui.label("On (μ1, μ2) with σ1 = σ2, F loses rank at μ1 = μ2: ellipses stretch along (1 − π, −π) and get capped (hatched).");
        ui.label("Hatched grey: outside the model (σ ≤ 0, π ≤ 0 or π ≥ 1); nothing is computed there.");
    });
    state.show_help = open;
}
