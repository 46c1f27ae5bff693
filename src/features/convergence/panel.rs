//! The side panel's "Convergence map" section: enable, which map (gd, ngd, or both side by
//! side), the two learning rates, the step cap, the relative threshold, the lattice size and
//! the updates per frame. Like every panel it edits a copy of the scene's value and returns
//! one [`SceneEdit::SetFeature`] when that changed; the simulation restarts the map
//! whenever the settings, the model, the slice or the view change.

use crate::scene::{
    CONVERGENCE_SIDE_RANGE, CONVERGENCE_STEPS_RANGE, CONVERGENCE_THRESHOLD_RANGE, ConvergenceView,
    LR_RANGE, Scene, SceneEdit,
};
use crate::viewer::command::Command;

/// Lays out the section; returns the edit, if any.
pub fn show(ui: &mut egui::Ui, scene: &Scene) -> Vec<Command> {
    let before = scene.features.convergence;
    let mut c = before;
    ui.horizontal(|ui| {
        ui.strong("Convergence map");
        ui.checkbox(&mut c.enabled, "on");
    });
    if c.enabled {
        // The policy plane's natural gradient is npg, with its own rates (its scales differ).
        let policy = scene.system.is_some();
        let natural = if policy { "npg" } else { "ngd" };
        ui.horizontal(|ui| {
            ui.selectable_value(&mut c.view, ConvergenceView::Gd, "gd");
            ui.selectable_value(&mut c.view, ConvergenceView::Ngd, natural);
            ui.selectable_value(&mut c.view, ConvergenceView::Split, "split");
        });
        let (lr_gd, lr_natural) = if policy {
            (&mut c.policy_lr_gd, &mut c.policy_lr_npg)
        } else {
            (&mut c.lr_gd, &mut c.lr_ngd)
        };
        ui.add(
            egui::Slider::new(lr_gd, LR_RANGE.0..=LR_RANGE.1)
                .logarithmic(true)
                .text("lr gd"),
        );
        ui.add(
            egui::Slider::new(lr_natural, LR_RANGE.0..=LR_RANGE.1)
                .logarithmic(true)
                .text(format!("lr {natural}")),
        );
        ui.add(
            egui::Slider::new(
                &mut c.max_steps,
                CONVERGENCE_STEPS_RANGE.0..=CONVERGENCE_STEPS_RANGE.1,
            )
            .logarithmic(true)
            .text("max steps"),
        );
        ui.add(
            egui::Slider::new(
                &mut c.threshold,
                CONVERGENCE_THRESHOLD_RANGE.0..=CONVERGENCE_THRESHOLD_RANGE.1,
            )
            .logarithmic(true)
            .text(if policy {
                "threshold (C/C* − 1)"
            } else {
                "threshold (× L0)"
            }),
        );
        ui.add(
            egui::Slider::new(
                &mut c.side,
                CONVERGENCE_SIDE_RANGE.0..=CONVERGENCE_SIDE_RANGE.1,
            )
            .logarithmic(true)
            .text("cells per side"),
        );
        ui.add(egui::Slider::new(&mut c.steps_per_frame, 1..=16).text("steps per visit"));
        ui.small("progress: see the legend on the canvas");
    }
    if c != before {
        vec![Command::Edit(SceneEdit::feature(c))]
    } else {
        Vec::new()
    }
}
