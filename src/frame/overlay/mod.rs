//! Text and legends over the canvas, drawn with egui's painter: the region outside the model
//! (hatched and named), tick labels in the slice's units, the slice's axis names, handle
//! labels, the probe's angle, the κ colour bar and the ε / clamping / arrow legend.
//! The same function serves the viewer and captures, so a capture shows the same labels.
//! Lives below both (the viewer records through the capture pipeline, so neither may own it).
//!
//! Every world ↔ screen conversion goes through the camera ([`world_to_screen`],
//! [`screen_to_world`]), which knows the unequal scaling (`x_per_y`) of slices whose axes do
//! not share units, e.g. (π, μ1).

pub mod fonts;

pub use fonts::setup_egui;

use egui::{Align2, Color32, FontId, Pos2, Rect, Stroke, pos2, vec2};

use crate::frame::numbers::Kappa;
use crate::math::Param;
use crate::render::FrameInfo;
use crate::render::axes::{diagonal_is_singular, ticks};
use crate::render::colormap::{colormap_srgb, palette};
use crate::render::layer::{CanvasLabel, Legend, LegendItem, SwatchShape};
use crate::scene::Scene;

/// A parameter's symbol as the canvas and the panel show it (π, μ1, μ2, σ1, σ2).
pub fn symbol(p: Param) -> &'static str {
    match p {
        Param::Pi => "π",
        Param::Mu1 => "μ1",
        Param::Mu2 => "μ2",
        Param::Sigma1 => "σ1",
        Param::Sigma2 => "σ2",
    }
}

/// The parts of one slice axis that lie outside the model ([`Param::domain`]), as (from, to,
/// label): σ ≤ 0 for a σ, π ≤ 0 and π ≥ 1 for π (at the ends F can be infinite), nothing for
/// a mean.
pub fn outside_model(p: Param) -> Vec<(f64, f64, String)> {
    let name = symbol(p);
    let (low, high) = p.domain();
    let mut parts = Vec::new();
    if low.is_finite() {
        parts.push((
            f64::NEG_INFINITY,
            low,
            format!("outside the model ({name} ≤ {low})"),
        ));
    }
    if high.is_finite() {
        parts.push((
            high,
            f64::INFINITY,
            format!("outside the model ({name} ≥ {high})"),
        ));
    }
    parts
}

/// An egui colour from a palette hex.
pub fn color(hex: u32) -> Color32 {
    Color32::from_rgb((hex >> 16) as u8, (hex >> 8) as u8, hex as u8)
}

/// World (slice coordinates) to a point in `rect` (the canvas in egui points).
pub fn world_to_screen(scene: &Scene, rect: Rect, world: [f64; 2]) -> Pos2 {
    let p = scene
        .camera
        .world_to_pixel(world, [rect.width(), rect.height()]);
    pos2(rect.left() + p[0], rect.top() + p[1])
}

/// A point in `rect` to world.
pub fn screen_to_world(scene: &Scene, rect: Rect, pos: Pos2) -> [f64; 2] {
    scene.camera.pixel_to_world(
        [pos.x - rect.left(), pos.y - rect.top()],
        [rect.width(), rect.height()],
    )
}

/// What the overlay shows besides the scene.
pub struct OverlayInput<'a> {
    /// The renderer's frame info (ε, cell size).
    pub info: &'a FrameInfo,
    /// The angle between the arrows at the probe, if defined.
    pub probe_angle_deg: Option<f64>,
    /// κ of the chosen metric at θ* (shown beside the target handle).
    pub target_kappa: Kappa,
    /// The layers' legend boxes, back to front (`SceneRenderer::legends`).
    pub legends: &'a [Legend],
    /// Text the layers write at points of the canvas (`SceneRenderer::labels`).
    pub labels: &'a [CanvasLabel],
}

/// Draws the overlay for `scene` on the canvas `rect`.
pub fn draw(painter: &egui::Painter, rect: Rect, scene: &Scene, input: &OverlayInput<'_>) {
    let text = Color32::from_gray(220);
    let dim = Color32::from_gray(150);
    let small = FontId::proportional(11.0);
    let (lo, hi) = scene.camera.visible_rect([rect.width(), rect.height()]);
    // The model's domain first, so the labels stay readable on top of the hatching.
    match scene.lqr() {
        Some(lqr) => outside_triangle(painter, rect, scene, lqr.triangle()),
        None => outside_regions(painter, rect, scene, lo, hi),
    }
    if scene.layers.axes {
        let (xs, step) = ticks(lo[0], hi[0], 8);
        for x in xs {
            let p = world_to_screen(scene, rect, [x, lo[1]]);
            painter.text(
                pos2(p.x, rect.bottom() - 3.0),
                Align2::CENTER_BOTTOM,
                fmt_tick(x, step),
                small.clone(),
                dim,
            );
        }
        let (ys, step) = ticks(lo[1], hi[1], 8);
        for y in ys {
            let p = world_to_screen(scene, rect, [lo[0], y]);
            painter.text(
                pos2(rect.left() + 4.0, p.y),
                Align2::LEFT_CENTER,
                fmt_tick(y, step),
                small.clone(),
                dim,
            );
        }
        let [a, b] = scene.slice.params();
        let policy = scene.system.is_some();
        let [name_a, name_b] = if policy {
            ["k₁ (position gain)", "k₂ (velocity gain)"]
        } else {
            [symbol(a), symbol(b)]
        };
        // On a dark box, since they may sit over the hatching of the outside; the vertical
        // axis' name moves right of a strip outside the model at the left edge.
        let name_font = FontId::proportional(14.0);
        boxed_text(
            painter,
            rect.right_bottom() + vec2(-8.0, -18.0),
            Align2::RIGHT_BOTTOM,
            format!("{name_a} →"),
            name_font.clone(),
            text,
        );
        let left_edge = if policy || outside_model(a).is_empty() || lo[0] >= 0.0 {
            rect.left()
        } else {
            world_to_screen(scene, rect, [0.0, lo[1]])
                .x
                .min(rect.right() - 80.0)
        };
        boxed_text(
            painter,
            pos2(left_edge.max(rect.left()) + 28.0, rect.top() + 8.0),
            Align2::LEFT_TOP,
            format!("↑ {name_b}"),
            name_font,
            text,
        );
        // Label the singular diagonal (where the slice has one) a little above where it enters
        // the view at the bottom or left.
        let start = lo[0].max(lo[1]);
        let end = hi[0].min(hi[1]);
        if diagonal_is_singular(scene) && end > start {
            let at = start + 0.12 * (end - start);
            let p = world_to_screen(scene, rect, [at, at]);
            let galley = painter.layout_no_wrap(
                format!("{} = {}: F singular", symbol(a), symbol(b)),
                small.clone(),
                color(palette::DIAGONAL),
            );
            let pos = p + vec2(14.0, -0.5 * galley.size().y);
            painter.rect_filled(
                Rect::from_min_size(pos, galley.size()).expand(3.0),
                3.0,
                Color32::from_black_alpha(190),
            );
            painter.galley(pos, galley, color(palette::DIAGONAL));
        }
    }
    if scene.layers.handles {
        let label = |world: [f64; 2], name: &str, c: Color32| {
            let p = world_to_screen(scene, rect, world);
            painter.text(
                p + vec2(10.0, -10.0),
                Align2::LEFT_BOTTOM,
                name,
                FontId::proportional(14.0),
                c,
            );
        };
        let kappa = match input.target_kappa {
            Kappa::Finite(k) if k < 1e4 => format!("{k:.1}"),
            Kappa::Finite(k) => format!("{k:.1e}"),
            Kappa::Infinite => "∞".to_owned(),
            Kappa::Undefined => "undefined".to_owned(),
        };
        let star = if scene.system.is_some() { "K*" } else { "θ*" };
        label(
            scene.target(),
            &format!("{star}   κ = {kappa}"),
            color(palette::TARGET),
        );
        if let Some(twin) = scene.twin() {
            label(twin, "twin", color(palette::TWIN));
        }
    }
    if let (true, Some(p)) = (scene.layers.probe, scene.probe) {
        let at = world_to_screen(scene, rect, p);
        let angle = input
            .probe_angle_deg
            .map_or("Δθ undefined".to_owned(), |a| format!("Δθ = {a:.1}°"));
        let galley = painter.layout_no_wrap(angle, FontId::proportional(15.0), Color32::WHITE);
        let pos = at + vec2(-0.5 * galley.size().x, -16.0 - galley.size().y);
        painter.rect_filled(
            Rect::from_min_size(pos, galley.size()).expand(3.0),
            3.0,
            Color32::from_black_alpha(160),
        );
        painter.galley(pos, galley, Color32::WHITE);
    }
    for label in input.labels {
        let at = world_to_screen(scene, rect, label.at);
        if rect.contains(at) {
            boxed_text(
                painter,
                at + vec2(10.0, 0.0),
                Align2::LEFT_CENTER,
                label.text.clone(),
                FontId::proportional(13.0),
                color(label.color),
            );
        }
    }
    if scene.layers.legend {
        draw_legends(painter, rect, input.legends);
    }
}

/// Text on a translucent dark box (readable over the field and over hatching).
fn boxed_text(
    painter: &egui::Painter,
    pos: Pos2,
    align: Align2,
    text: String,
    font: FontId,
    color: Color32,
) {
    let galley = painter.layout_no_wrap(text, font, color);
    let rect = align.anchor_size(pos, galley.size());
    painter.rect_filled(rect.expand(3.0), 3.0, Color32::from_black_alpha(150));
    painter.galley(rect.min, galley, color);
}

/// Names the parts of the visible plane outside the model ([`outside_model`]; the renderer
/// fills and hatches them: `render::outside`):
/// a vertical strip for the horizontal axis' parameter, a horizontal band for the vertical
/// one's. The label runs along the strip (rotated for a vertical one) and is left out where
/// the strip is too thin to hold it.
fn outside_regions(painter: &egui::Painter, rect: Rect, scene: &Scene, lo: [f64; 2], hi: [f64; 2]) {
    let label_color = Color32::from_gray(200);
    let font = FontId::proportional(13.0);
    for (k, p) in scene.slice.params().into_iter().enumerate() {
        for (from, to, label) in outside_model(p) {
            let (from, to) = (from.max(lo[k]), to.min(hi[k]));
            if from >= to {
                continue;
            }
            // Screen extent along axis k (y grows downwards, so the ends swap for k = 1).
            let ends = [from, to].map(|v| {
                let world = if k == 0 { [v, lo[1]] } else { [lo[0], v] };
                world_to_screen(scene, rect, world)
            });
            let region = if k == 0 {
                Rect::from_x_y_ranges(ends[0].x..=ends[1].x, rect.y_range())
            } else {
                Rect::from_x_y_ranges(rect.x_range(), ends[1].y..=ends[0].y)
            }
            .intersect(rect);
            if !region.is_positive() {
                continue;
            }
            let (w, h) = (region.width(), region.height());
            let galley = painter.layout_no_wrap(label, font.clone(), label_color);
            let size = galley.size();
            let center = region.center();
            if k == 0 && w >= size.y + 6.0 {
                // Reads bottom to top along the strip: the galley turned by −90° about its
                // top-left corner spans x ∈ [pos.x, pos.x + h], y ∈ [pos.y − w, pos.y].
                let pos = pos2(center.x - 0.5 * size.y, center.y + 0.5 * size.x);
                painter.add(
                    egui::epaint::TextShape::new(pos, galley, label_color)
                        .with_angle(-std::f32::consts::FRAC_PI_2),
                );
            } else if k == 1 && h >= size.y + 6.0 {
                let pos = center - 0.5 * size;
                painter.galley(pos, galley, label_color);
            }
        }
    }
}

/// The policy plane's model is the open stability triangle: its three edges drawn as exact
/// lines through the closed-form corners (MATH.md) and the outside named (the renderer hatches
/// it: `render::outside`).
fn outside_triangle(painter: &egui::Painter, rect: Rect, scene: &Scene, corners: [[f64; 2]; 3]) {
    let edge = Stroke::new(2.0, Color32::from_gray(210));
    let c = corners.map(|k| world_to_screen(scene, rect, k));
    let clipped = painter.with_clip_rect(rect);
    for i in 0..3 {
        clipped.line_segment([c[i], c[(i + 1) % 3]], edge);
    }
    let font = FontId::proportional(13.0);
    let label = "unstable: ρ(A_K) ≥ 1, C = ∞".to_owned();
    // Below the lower edge (the corner (a, −b) to the far corner), under the middle of the
    // canvas where the edge crosses it, else a third of the way along.
    let (p, q) = (c[0], c[2]);
    let s = if (q.x - p.x).abs() > 1.0 {
        ((rect.center().x - p.x) / (q.x - p.x)).clamp(0.0, 1.0)
    } else {
        0.3
    };
    let at = p + s * (q - p) + vec2(0.0, 22.0);
    if rect.contains(at) {
        boxed_text(
            painter,
            at,
            Align2::CENTER_TOP,
            label,
            font,
            Color32::from_gray(200),
        );
    }
}

/// The colour map as a horizontal bar filling `bar` (sRGB anchors, as the shaders use).
fn color_bar(painter: &egui::Painter, bar: Rect) {
    let steps = 48;
    for i in 0..steps {
        let t0 = i as f32 / steps as f32;
        let c = colormap_srgb(t0 + 0.5 / steps as f32);
        let r = Rect::from_min_max(
            pos2(bar.left() + bar.width() * t0, bar.top()),
            pos2(
                bar.left() + bar.width() * (t0 + 1.0 / steps as f32) + 0.5,
                bar.bottom(),
            ),
        );
        let rgb = |v: f32| (v * 255.0).round() as u8;
        painter.rect_filled(r, 0.0, Color32::from_rgb(rgb(c[0]), rgb(c[1]), rgb(c[2])));
    }
}

fn fmt_tick(v: f64, step: f64) -> String {
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    format!("{v:.decimals$}")
}

/// Height of a legend line in points.
fn legend_item_height(item: &LegendItem) -> f32 {
    match item {
        LegendItem::ColorBar { .. } => 30.0,
        LegendItem::Text(_) => 15.0,
        LegendItem::Swatch { .. } => 16.0,
    }
}

/// The layers' legend boxes, stacked down the canvas's top-right corner.
fn draw_legends(painter: &egui::Painter, rect: Rect, legends: &[Legend]) {
    let small = FontId::proportional(11.0);
    let text = Color32::from_gray(225);
    let width = 190.0;
    let x = rect.right() - width;
    let mut top = rect.top() + 10.0;
    for legend in legends {
        let title_height = if legend.title.is_some() { 16.0 } else { 0.0 };
        let height = 14.0 + title_height + legend.items.iter().map(legend_item_height).sum::<f32>();
        let box_rect = Rect::from_min_size(pos2(x - 10.0, top), vec2(width, height));
        painter.rect_filled(box_rect, 6.0, Color32::from_black_alpha(170));
        let left = box_rect.left() + 10.0;
        let mut y = top + 8.0;
        if let Some(title) = &legend.title {
            painter.text(pos2(left, y), Align2::LEFT_TOP, title, small.clone(), text);
            y += title_height;
        }
        for item in &legend.items {
            match item {
                LegendItem::ColorBar { ticks } => {
                    let bar = Rect::from_min_size(pos2(left, y), vec2(width - 20.0, 10.0));
                    color_bar(painter, bar);
                    let last = ticks.len().saturating_sub(1).max(1) as f32;
                    for (k, label) in ticks.iter().enumerate() {
                        let tx = bar.left() + bar.width() * k as f32 / last;
                        let align = match k {
                            0 if ticks.len() == 2 => Align2::LEFT_TOP,
                            1 if ticks.len() == 2 => Align2::RIGHT_TOP,
                            _ => Align2::CENTER_TOP,
                        };
                        painter.text(pos2(tx, y + 12.0), align, label, small.clone(), text);
                    }
                }
                LegendItem::Text(line) => {
                    painter.text(pos2(left, y), Align2::LEFT_TOP, line, small.clone(), text);
                }
                LegendItem::Swatch {
                    color: hex,
                    shape,
                    label,
                } => {
                    let c = color(*hex);
                    match shape {
                        SwatchShape::Outline => {
                            painter.rect_stroke(
                                Rect::from_min_size(pos2(left, y + 1.0), vec2(14.0, 10.0)),
                                2.0,
                                Stroke::new(2.0, c),
                                egui::StrokeKind::Inside,
                            );
                        }
                        SwatchShape::Arrow => {
                            painter.arrow(
                                pos2(left, y + 6.0),
                                vec2(16.0, 0.0),
                                Stroke::new(2.5, c),
                            );
                        }
                        SwatchShape::Dot => {
                            painter.circle_filled(pos2(left + 4.0, y + 6.0), 3.0, c);
                        }
                    }
                    painter.text(
                        pos2(left + 22.0, y),
                        Align2::LEFT_TOP,
                        label,
                        small.clone(),
                        text,
                    );
                }
            }
            y += legend_item_height(item);
        }
        top += height + 8.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::outside::inside_planes;
    use crate::scene::{Preset, SceneEdit};

    /// Runs the overlay for `scene` on a 1000×700 canvas; returns every text it drew and the
    /// filled rectangles in the out-of-model colour.
    fn drawn(scene: &Scene) -> (Rect, Vec<String>, Vec<Rect>) {
        let ctx = egui::Context::default();
        let rect = Rect::from_min_size(Pos2::ZERO, vec2(1000.0, 700.0));
        let info = FrameInfo::default();
        let input = OverlayInput {
            info: &info,
            probe_angle_deg: Some(12.0),
            target_kappa: Kappa::Finite(2.0),
            legends: &[],
            labels: &[],
        };
        let mut output = ctx.run_ui(
            egui::RawInput {
                screen_rect: Some(rect),
                ..Default::default()
            },
            |ui| draw(ui.painter(), rect, scene, &input),
        );
        // No renderer here: the font atlas upload is dropped on purpose.
        output.textures_delta.clear();
        let mut texts = Vec::new();
        let mut fills = Vec::new();
        for clipped in std::mem::take(&mut output.shapes) {
            match clipped.shape {
                egui::Shape::Text(t) => texts.push(t.galley.job.text.clone()),
                egui::Shape::Rect(r)
                    if r.fill == Color32::from_rgba_unmultiplied(12, 12, 16, 190) =>
                {
                    fills.push(r.rect)
                }
                _ => {}
            }
        }
        (rect, texts, fills)
    }

    fn preset(p: Preset) -> Scene {
        let mut scene = Scene::default();
        scene.apply(SceneEdit::ApplyPreset(p));
        scene
    }

    #[test]
    fn half_plane_names_its_axes_and_hatches_sigma_below_zero() {
        let scene = preset(Preset::HalfPlane);
        let (rect, texts, fills) = drawn(&scene);
        for wanted in ["μ1 →", "↑ σ1", "outside the model (σ1 ≤ 0)"] {
            assert!(texts.iter().any(|t| t == wanted), "{wanted}: {texts:?}");
        }
        assert!(!texts.iter().any(|t| t.contains("F singular")), "{texts:?}");
        // The renderer fills and hatches the band (not the overlay, every frame): its one
        // inside half-plane is "above σ1 = 0", −y ≥ −y(σ1 = 0) in canvas pixels.
        assert!(fills.is_empty(), "{fills:?}");
        let planes = inside_planes(&scene, [rect.width(), rect.height()]);
        let zero = world_to_screen(&scene, rect, [0.0, 0.0]).y - rect.top();
        assert_eq!(planes.len(), 1, "{planes:?}");
        let [nx, ny, d] = planes[0];
        assert_eq!((nx, ny), (0.0, -1.0));
        assert!((-d - zero as f64).abs() < 1e-3, "{d} against {zero}");
    }

    #[test]
    fn weight_axis_hatches_both_ends() {
        let scene = preset(Preset::WeightSingularity);
        let (rect, texts, fills) = drawn(&scene);
        for wanted in [
            "π →",
            "↑ μ1",
            "outside the model (π ≤ 0)",
            "outside the model (π ≥ 1)",
        ] {
            assert!(texts.iter().any(|t| t == wanted), "{wanted}: {texts:?}");
        }
        // Inside: right of π = 0 and left of π = 1, x_per_y included.
        assert!(fills.is_empty(), "{fills:?}");
        let planes = inside_planes(&scene, [rect.width(), rect.height()]);
        let x0 = (world_to_screen(&scene, rect, [0.0, 0.0]).x - rect.left()) as f64;
        let x1 = (world_to_screen(&scene, rect, [1.0, 0.0]).x - rect.left()) as f64;
        assert_eq!(planes.len(), 2, "{planes:?}");
        assert_eq!(planes[0][..2], [1.0, 0.0]);
        assert!((planes[0][2] - x0).abs() < 1e-3, "{planes:?} {x0}");
        assert_eq!(planes[1][..2], [-1.0, 0.0]);
        assert!((-planes[1][2] - x1).abs() < 1e-3, "{planes:?} {x1}");
        assert!(x1 - x0 > 100.0, "π's domain spans the view: {x0}..{x1}");
    }

    #[test]
    fn seed_slice_labels_its_diagonal_and_has_no_outside() {
        let (_, texts, fills) = drawn(&Scene::default());
        assert!(
            texts.iter().any(|t| t == "μ1 = μ2: F singular"),
            "{texts:?}"
        );
        assert!(texts.iter().any(|t| t == "θ*   κ = 2.0"), "{texts:?}");
        assert!(texts.iter().any(|t| t == "twin"), "{texts:?}");
        assert!(fills.is_empty(), "means have no outside: {fills:?}");
        let planes = inside_planes(&Scene::default(), [800.0, 600.0]);
        assert!(planes.is_empty(), "{planes:?}");
        // Negative control: σ1 ≠ σ2 on (μ1, μ2) has no singular diagonal, and no twin.
        let (_, texts, _) = drawn(&preset(Preset::Unequal));
        assert!(!texts.iter().any(|t| t.contains("F singular")), "{texts:?}");
        assert!(!texts.iter().any(|t| t == "twin"), "{texts:?}");
    }
}
