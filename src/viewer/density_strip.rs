//! The density strip below the canvas: p(x | θ*) and p(x | probe) with their weighted
//! components, and the draggable μ1*, μ2* markers.

use egui::{Color32, FontId, Pos2, Rect, Sense, Stroke, pos2, vec2};

use super::command::Command;
use super::ui_state::{Drag, UiState};
use crate::frame::overlay::color;
use crate::math::{Model, Param};
use crate::render::colormap::palette;
use crate::scene::{Scene, SceneEdit};

/// The weighted components π N(x | μ1, σ1²), (1 − π) N(x | μ2, σ2²) and their sum p(x).
fn mixture_density(x: f64, m: &Model) -> [f64; 3] {
    let n = |w: f64, mu: f64, sigma: f64| {
        w * (-0.5 * ((x - mu) / sigma).powi(2)).exp()
            / (sigma * (2.0 * std::f64::consts::PI).sqrt())
    };
    let (a, b) = (n(m.pi, m.mu1, m.sigma1), n(1.0 - m.pi, m.mu2, m.sigma2));
    [a + b, a, b]
}

/// The strip: both densities on a shared x range, with the markers that move θ*'s means.
pub(super) fn show(ui: &mut egui::Ui, scene: &Scene, state: &mut UiState) -> Vec<Command> {
    let mut out = Vec::new();
    let (response, painter) = ui.allocate_painter(ui.available_size(), Sense::hover());
    let rect = response.rect.shrink2(vec2(30.0, 8.0));
    painter.rect_filled(response.rect, 0.0, Color32::from_rgb(24, 26, 32));
    // θ* and the probe's model, each with its two components; x spans every component's
    // μ ± 4σ.
    let mut curves = vec![(scene.model, Color32::WHITE)];
    if let Some(p) = scene.probe {
        curves.push((scene.model_at(p), color(palette::NATURAL)));
    }
    let (lo, hi) = curves
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (m, _)| {
            (
                lo.min(m.mu1 - 4.0 * m.sigma1).min(m.mu2 - 4.0 * m.sigma2),
                hi.max(m.mu1 + 4.0 * m.sigma1).max(m.mu2 + 4.0 * m.sigma2),
            )
        });
    let axis_y = rect.bottom() - 16.0;
    let to_x = |x: f64| rect.left() + ((x - lo) / (hi - lo)) as f32 * rect.width();
    let from_x = |px: f32| lo + (px - rect.left()) as f64 / rect.width() as f64 * (hi - lo);
    let samples = 320;
    let grid: Vec<f64> = (0..=samples)
        .map(|i| lo + (hi - lo) * i as f64 / samples as f64)
        .collect();
    let peak = curves
        .iter()
        .flat_map(|(m, _)| grid.iter().map(|&x| mixture_density(x, m)[0]))
        .fold(1e-12, f64::max);
    let to_y = |d: f64| axis_y - (d / peak) as f32 * (axis_y - rect.top() - 4.0);
    painter.line_segment(
        [pos2(rect.left(), axis_y), pos2(rect.right(), axis_y)],
        Stroke::new(1.0, Color32::from_gray(120)),
    );
    for (m, c) in &curves {
        for k in 0..3 {
            let points: Vec<Pos2> = grid
                .iter()
                .map(|&x| pos2(to_x(x), to_y(mixture_density(x, m)[k])))
                .collect();
            let stroke = if k == 0 {
                Stroke::new(2.0, *c)
            } else {
                Stroke::new(1.0, c.gamma_multiply(0.55))
            };
            painter.line(points, stroke);
        }
    }
    painter.text(
        rect.left_top(),
        egui::Align2::LEFT_TOP,
        "p(x | θ*)",
        FontId::proportional(12.0),
        Color32::WHITE,
    );
    if scene.probe.is_some() {
        painter.text(
            rect.left_top() + vec2(70.0, 0.0),
            egui::Align2::LEFT_TOP,
            "p(x | probe)",
            FontId::proportional(12.0),
            color(palette::NATURAL),
        );
    }
    painter.text(
        pos2(rect.right(), axis_y + 2.0),
        egui::Align2::RIGHT_TOP,
        "x",
        FontId::proportional(12.0),
        Color32::GRAY,
    );
    // Draggable μ1*, μ2* markers on the x axis: each sets that mean of θ* (a slice coordinate
    // or a held parameter, whichever it is on this slice).
    for (k, param) in [Param::Mu1, Param::Mu2].into_iter().enumerate() {
        let x = to_x(scene.model.get(param));
        let marker = Rect::from_center_size(pos2(x, axis_y + 6.0), vec2(16.0, 14.0));
        let id = ui.make_persistent_id(("density marker", k));
        let r = ui.interact(marker, id, Sense::drag());
        let name = if k == 0 { "μ1*" } else { "μ2*" };
        r.widget_info(|| {
            egui::WidgetInfo::labeled(egui::Role::Slider, true, format!("{name} marker"))
        });
        let c = if k == 0 {
            color(palette::TARGET)
        } else {
            color(palette::TWIN)
        };
        painter.add(egui::Shape::convex_polygon(
            vec![
                pos2(x, axis_y),
                pos2(x - 6.0, axis_y + 10.0),
                pos2(x + 6.0, axis_y + 10.0),
            ],
            c,
            Stroke::NONE,
        ));
        painter.text(
            pos2(x + 8.0, axis_y + 2.0),
            egui::Align2::LEFT_TOP,
            name,
            FontId::proportional(11.0),
            c,
        );
        if r.drag_started() {
            state.drag = Some(Drag::DensityMarker(k));
        }
        if r.dragged()
            && let Some(pos) = r.interact_pointer_pos()
        {
            out.push(Command::Edit(SceneEdit::SetParam(param, from_x(pos.x))));
        }
        if r.drag_stopped() {
            state.drag = None;
        }
        if r.hovered() {
            ui.ctx().set_cursor_icon(egui::CursorIcon::ResizeHorizontal);
        }
    }
    out
}
