//! The side panel's "Cramér–Rao region" section (the mixture only): on or off, N and p.

use egui::RichText;

use super::layer::{offered, shown};
use super::settings::{CR_LEVEL_RANGE, CR_SAMPLES_RANGE};
use crate::scene::{Scene, SceneEdit};
use crate::viewer::command::{Command, edit_copy};

/// The section, with a separator above it; nothing on the policy plane.
pub fn show(ui: &mut egui::Ui, scene: &Scene) -> Vec<Command> {
    let mut out = Vec::new();
    if !offered(scene) {
        return out;
    }
    ui.separator();
    edit_copy(
        &mut out,
        scene,
        |s| s.features.cramer_rao,
        |c| {
            ui.horizontal(|ui| {
                ui.strong("Cramér–Rao region");
                ui.checkbox(&mut c.enabled, "at θ* and its twin");
            });
            if !c.enabled {
                return;
            }
            ui.add(
                egui::Slider::new(&mut c.samples, CR_SAMPLES_RANGE.0..=CR_SAMPLES_RANGE.1)
                    .logarithmic(true)
                    .text("samples N"),
            );
            ui.add(
                egui::Slider::new(&mut c.level, CR_LEVEL_RANGE.0..=CR_LEVEL_RANGE.1)
                    .text("probability p"),
            );
        },
        SceneEdit::feature,
    );
    if shown(scene) {
        ui.label(
            RichText::new(
                "where N samples' maximum-likelihood estimate lands with probability p \
                 (asymptotically: covariance F⁻¹/N); the metric above sets its shape",
            )
            .small(),
        );
    }
    out
}
