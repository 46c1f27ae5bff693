//! The side panel's "Field" section: the grid density (with the device's limit), the
//! quadrature nodes and the ellipse scale.

use egui::{Color32, RichText};

use crate::scene::{ELLIPSE_SCALE_RANGE, MAX_GRID, MIN_GRID, NODE_CHOICES, Scene, SceneEdit};
use crate::viewer::command::{Command, edit_copy};
use crate::viewer::ui_state::FrameContext;

/// The "Field" section: the grid (with the device's limit), the quadrature nodes and the
/// ellipse scale.
pub fn show(ui: &mut egui::Ui, scene: &Scene, frame: &FrameContext<'_>) -> Vec<Command> {
    let mut out = Vec::new();
    ui.strong("Field");
    let limit = frame.info.max_grid.clamp(MIN_GRID, MAX_GRID);
    edit_copy(
        &mut out,
        scene,
        |s| s.grid,
        |v| {
            ui.add(
                egui::Slider::new(v, MIN_GRID..=limit.max(1024.min(MAX_GRID)))
                    .logarithmic(true)
                    .text("grid"),
            );
        },
        SceneEdit::SetGrid,
    );
    if scene.grid > frame.info.max_grid {
        ui.colored_label(
            Color32::from_rgb(255, 170, 60),
            format!("device limit: {} (using it)", frame.info.max_grid),
        );
    } else {
        ui.label(
            RichText::new(format!(
                "cells across the view height; device limit {}",
                frame.info.max_grid
            ))
            .small(),
        );
    }
    // The policy plane's cells are closed forms: no quadrature to choose.
    if scene.system.is_none() {
        edit_copy(
            &mut out,
            scene,
            |s| s.nodes,
            |nodes| {
                egui::ComboBox::from_label("quadrature nodes")
                    .selected_text(nodes.to_string())
                    .show_ui(ui, |ui| {
                        for q in NODE_CHOICES {
                            ui.selectable_value(nodes, q, q.to_string());
                        }
                    });
            },
            SceneEdit::SetNodes,
        );
    }
    edit_copy(
        &mut out,
        scene,
        |s| s.ellipse_scale,
        |v| {
            ui.add(
                egui::Slider::new(v, ELLIPSE_SCALE_RANGE.0..=ELLIPSE_SCALE_RANGE.1)
                    .logarithmic(true)
                    .text("ellipse scale"),
            );
        },
        SceneEdit::SetEllipseScale,
    );
    out
}
