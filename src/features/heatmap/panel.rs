//! The heatmap's controls: the menu of scalars the canvas's family offers, and the value under
//! the pointer in a box beside it.

use egui::{Color32, FontId, Pos2, Rect, vec2};

use super::layer::value_at;
use super::settings::Heatmap;
use crate::frame::overlay::screen_to_world;
use crate::math::{Metric, Model, Slice};
use crate::scene::{Feature, Scene, SceneEdit};
use crate::viewer::command::{Command, edit_copy};
use crate::viewer::numbers_panel::short;

/// The heatmap menu (in the side panel's "Layers" section): the scalars `Scene::offers` on
/// this canvas.
pub fn choice(ui: &mut egui::Ui, scene: &Scene) -> Vec<Command> {
    let mut out = Vec::new();
    edit_copy(
        &mut out,
        scene,
        |s| s.features.heatmap,
        |h| {
            egui::ComboBox::from_label("heatmap")
                .selected_text(h.label_for(scene.family()))
                .show_ui(ui, |ui| {
                    for choice in Heatmap::ALL
                        .into_iter()
                        .filter(|&h| scene.offers(Feature::Heatmap(h)))
                    {
                        ui.selectable_value(h, choice, choice.label_for(scene.family()));
                    }
                });
        },
        SceneEdit::feature,
    );
    out
}

/// The heatmap's value under the pointer, by the f64 reference ([`value_at`]),
/// in a box beside it. Evaluated once per pointer position and scene (kept in egui's temporary
/// memory): a general point costs up to a millisecond.
pub fn hover(ui: &egui::Ui, painter: &egui::Painter, rect: Rect, hover: Pos2, scene: &Scene) {
    if scene.features.heatmap == Heatmap::None {
        return;
    }
    let xy = screen_to_world(scene, rect, hover);
    let key = (
        scene.features.heatmap,
        xy,
        scene.model,
        scene.slice,
        scene.metric,
        scene.damping,
    );
    type HoverKey = (Heatmap, [f64; 2], Model, Slice, Metric, f64);
    let id = egui::Id::unique("fisherflow heatmap hover");
    let cached = ui.ctx().data(|d| d.get_temp::<(HoverKey, String)>(id));
    let text = match cached {
        Some((k, text)) if k == key => text,
        _ => {
            let value = value_at(
                scene,
                scene.features.heatmap,
                xy,
                crate::math::general::DEFAULT_NODES_GENERAL,
            );
            let text = format!(
                "{}: {}\nat ({}, {})",
                scene.features.heatmap.label_for(scene.family()),
                value.describe(scene.features.heatmap),
                short(xy[0]),
                short(xy[1])
            );
            ui.ctx()
                .data_mut(|d| d.insert_temp(id, (key, text.clone())));
            text
        }
    };
    let galley = painter.layout_no_wrap(text, FontId::monospace(12.0), Color32::WHITE);
    let size = galley.size();
    // Beside the pointer, flipped to stay inside the canvas.
    let mut pos = hover + vec2(16.0, 16.0);
    if pos.x + size.x + 6.0 > rect.right() {
        pos.x = hover.x - 16.0 - size.x;
    }
    if pos.y + size.y + 6.0 > rect.bottom() {
        pos.y = hover.y - 16.0 - size.y;
    }
    painter.rect_filled(
        Rect::from_min_size(pos, size).expand(4.0),
        3.0,
        Color32::from_black_alpha(200),
    );
    painter.galley(pos, galley, Color32::WHITE);
}
