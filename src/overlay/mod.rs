//! Text and legends over the canvas, drawn with egui's painter: tick labels, axis names,
//! handle labels, the probe's angle, the κ colour bar and the ε / clamping / arrow legend.
//! The same function serves the viewer and captures, so a capture shows the same labels.
//! Lives below both (the viewer records through the capture pipeline, so neither may own it).

pub mod fonts;

pub use fonts::setup_egui;

use egui::{Align2, Color32, FontId, Pos2, Rect, Stroke, pos2, vec2};

use crate::render::FrameInfo;
use crate::render::axes::ticks;
use crate::render::colormap::{colormap_srgb, palette};
use crate::render::layer::{Legend, LegendItem, SwatchShape};
use crate::scene::Scene;

/// An egui colour from a palette hex.
pub fn color(hex: u32) -> Color32 {
    Color32::from_rgb((hex >> 16) as u8, (hex >> 8) as u8, hex as u8)
}

/// World (μ1, μ2) to a point in `rect` (the canvas in egui points).
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
    /// κ(F) at θ*, None when infinite (shown beside the target handle).
    pub target_kappa: Option<f64>,
    /// The layers' legend boxes, back to front (`SceneRenderer::legends`).
    pub legends: &'a [Legend],
}

/// Draws the overlay for `scene` on the canvas `rect`.
pub fn draw(painter: &egui::Painter, rect: Rect, scene: &Scene, input: &OverlayInput<'_>) {
    let text = Color32::from_gray(220);
    let dim = Color32::from_gray(150);
    let small = FontId::proportional(11.0);
    let (lo, hi) = scene.camera.visible_rect([rect.width(), rect.height()]);
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
        painter.text(
            rect.right_bottom() + vec2(-8.0, -18.0),
            Align2::RIGHT_BOTTOM,
            "μ1 →",
            FontId::proportional(14.0),
            text,
        );
        painter.text(
            rect.left_top() + vec2(28.0, 8.0),
            Align2::LEFT_TOP,
            "↑ μ2",
            FontId::proportional(14.0),
            text,
        );
        // Label the diagonal a little above where it enters the view at the bottom or left.
        let start = lo[0].max(lo[1]);
        let end = hi[0].min(hi[1]);
        if end > start {
            let at = start + 0.12 * (end - start);
            let p = world_to_screen(scene, rect, [at, at]);
            let galley = painter.layout_no_wrap(
                "μ1 = μ2: F singular".into(),
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
        let kappa = input.target_kappa.map_or("∞".to_owned(), |k| {
            if k < 1e4 {
                format!("{k:.1}")
            } else {
                format!("{k:.1e}")
            }
        });
        label(
            scene.target(),
            &format!("θ*   κ = {kappa}"),
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
    if scene.layers.legend {
        draw_legends(painter, rect, input.legends);
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
