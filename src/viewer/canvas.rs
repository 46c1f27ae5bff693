//! The canvas widget: the scene texture, the pointer's gestures on it (pan, zoom, handle
//! drags, probe clicks) turned into edits, and the heatmap's value under the pointer.

use egui::{Color32, Pos2, Rect, Sense, pos2};

use super::command::Command;
use super::ui_state::{Drag, FrameContext, UiState};
use crate::frame::overlay::{self, color, screen_to_world, world_to_screen};
use crate::render::HANDLE_RADIUS_PT;
use crate::render::colormap::palette;
use crate::scene::{Scene, SceneEdit};

/// The canvas: the scene texture filling the central panel, its gestures and overlay.
pub(super) fn show(
    ui: &mut egui::Ui,
    scene: &Scene,
    state: &mut UiState,
    frame: &FrameContext<'_>,
) -> Vec<Command> {
    let mut out = Vec::new();
    let rect = ui.max_rect();
    state.canvas_rect = Some(rect);
    let response = ui.allocate_rect(rect, Sense::click_and_drag());
    let painter = ui.painter_at(rect);
    if let Some(texture) = frame.canvas_texture {
        painter.image(
            texture,
            rect,
            Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)),
            Color32::WHITE,
        );
    } else {
        painter.rect_filled(rect, 0.0, color(palette::BACKGROUND));
    }

    let handle_at = |pos: Pos2, scene: &Scene| -> Option<Drag> {
        let pick = HANDLE_RADIUS_PT + 4.0;
        [
            (Drag::Target, Some(scene.target())),
            (Drag::Twin, scene.twin()),
            (
                Drag::RaceStart,
                crate::features::race::job::RaceKey::for_scene(scene).map(|k| k.start),
            ),
        ]
        .into_iter()
        .filter_map(|(d, w)| w.map(|w| (d, w)))
        .find(|(_, w)| world_to_screen(scene, rect, *w).distance(pos) <= pick)
        .map(|(d, _)| d)
    };
    if response.drag_started()
        && let Some(origin) = ui.input(|i| i.pointer.press_origin())
    {
        state.drag = Some(if scene.layers.handles {
            handle_at(origin, scene).unwrap_or(Drag::Pan)
        } else {
            Drag::Pan
        });
    }
    if response.dragged()
        && let Some(pos) = response.interact_pointer_pos()
    {
        match state.drag {
            Some(Drag::Target) => {
                out.push(Command::Edit(SceneEdit::SetTarget(screen_to_world(
                    scene, rect, pos,
                ))));
            }
            Some(Drag::Twin) => {
                let w = screen_to_world(scene, rect, pos);
                out.push(Command::Edit(SceneEdit::SetTarget(target_for_twin(
                    scene, w,
                ))));
            }
            Some(Drag::RaceStart) => {
                out.push(Command::Edit(SceneEdit::SetRaceStart(Some(
                    screen_to_world(scene, rect, pos),
                ))));
            }
            Some(Drag::Pan) => {
                let d = response.drag_delta();
                out.push(Command::Edit(SceneEdit::Pan {
                    delta_px: [d.x, d.y],
                    height_px: rect.height(),
                }));
            }
            _ => {}
        }
    }
    if response.drag_stopped() {
        state.drag = None;
    }
    if response.clicked()
        && let Some(pos) = response.interact_pointer_pos()
    {
        out.push(Command::Edit(SceneEdit::SetProbe(Some(screen_to_world(
            scene, rect, pos,
        )))));
    }
    if let Some(hover) = response.hover_pos() {
        let (scroll, zoom) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
        let factor = (scroll as f64 * 0.002).exp() * zoom as f64;
        if factor != 1.0 {
            out.push(Command::Edit(SceneEdit::ZoomAbout {
                factor,
                pixel: [hover.x - rect.left(), hover.y - rect.top()],
                size: [rect.width(), rect.height()],
            }));
        }
        if state.drag.is_none() && scene.layers.handles && handle_at(hover, scene).is_some() {
            ui.ctx().set_cursor_icon(egui::CursorIcon::Grab);
        }
    }
    if matches!(
        state.drag,
        Some(Drag::Target | Drag::Twin | Drag::RaceStart)
    ) {
        ui.ctx().set_cursor_icon(egui::CursorIcon::Grabbing);
    }
    let numbers = state.numbers(scene, &frame.info);
    let input = overlay::OverlayInput {
        info: &frame.info,
        probe_angle_deg: numbers.probe.as_ref().and_then(|p| p.angle_deg),
        target_kappa: numbers.target.kappa(),
        legends: frame.legends,
        labels: frame.labels,
    };
    overlay::draw(&painter, rect, scene, &input);
    if let Some(hover) = response.hover_pos() {
        crate::features::heatmap::panel::hover(ui, &painter, rect, hover, scene);
    }
    out
}

/// The target's slice coordinates that put the twin handle at `w`: the twin is the swapped
/// target's coordinates, so swap, place the twin's coordinates, swap back (on the seed's slice
/// (w1, w0); the held parameters stay as they are).
pub fn target_for_twin(scene: &Scene, w: [f64; 2]) -> [f64; 2] {
    let twin_model = scene.slice.place(&scene.model.swapped(), w);
    scene.slice.coords(&twin_model.swapped())
}
