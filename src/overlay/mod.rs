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
use crate::render::ellipses::{CAP_CELLS, LOG_KAPPA_TOP};
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
            scene.target,
            &format!("θ*   κ = {kappa}"),
            color(palette::TARGET),
        );
        label(scene.twin(), "twin", color(palette::TWIN));
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
        draw_legend(painter, rect, input.info);
        if input.info.particles > 0 {
            draw_flow_legend(painter, rect, scene);
        }
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

fn draw_legend(painter: &egui::Painter, rect: Rect, info: &FrameInfo) {
    let small = FontId::proportional(11.0);
    let text = Color32::from_gray(225);
    let width = 190.0;
    let origin = pos2(rect.right() - width - 10.0, rect.top() + 10.0);
    let box_rect = Rect::from_min_size(origin, vec2(width, 150.0));
    painter.rect_filled(box_rect, 6.0, Color32::from_black_alpha(170));
    let mut y = origin.y + 8.0;
    let x = origin.x + 10.0;
    painter.text(
        pos2(x, y),
        Align2::LEFT_TOP,
        "ellipse colour: log₁₀ κ(F)",
        small.clone(),
        text,
    );
    y += 16.0;
    let bar = Rect::from_min_size(pos2(x, y), vec2(width - 20.0, 10.0));
    color_bar(painter, bar);
    y += 12.0;
    for k in 0..=LOG_KAPPA_TOP as i32 {
        let tx = bar.left() + bar.width() * k as f32 / LOG_KAPPA_TOP;
        let label = if k == LOG_KAPPA_TOP as i32 {
            format!("{k}+, ∞")
        } else {
            k.to_string()
        };
        painter.text(pos2(tx, y), Align2::CENTER_TOP, label, small.clone(), text);
    }
    y += 18.0;
    painter.text(
        pos2(x, y),
        Align2::LEFT_TOP,
        format!("level set δᵀFδ = ε = {:.2e}", info.epsilon),
        small.clone(),
        text,
    );
    y += 15.0;
    painter.text(
        pos2(x, y),
        Align2::LEFT_TOP,
        format!("(KL ≈ ε/2 = {:.1e} on each outline)", info.epsilon / 2.0),
        small.clone(),
        text,
    );
    y += 17.0;
    painter.rect_stroke(
        Rect::from_min_size(pos2(x, y), vec2(14.0, 10.0)),
        2.0,
        Stroke::new(2.0, color(palette::CLAMPED)),
        egui::StrokeKind::Inside,
    );
    painter.text(
        pos2(x + 20.0, y - 1.0),
        Align2::LEFT_TOP,
        format!("semi-axis capped at {CAP_CELLS} cells"),
        small.clone(),
        text,
    );
    y += 17.0;
    let arrow = |y: f32, c: Color32, label: &str| {
        painter.arrow(pos2(x, y + 6.0), vec2(16.0, 0.0), Stroke::new(2.5, c));
        painter.text(
            pos2(x + 22.0, y),
            Align2::LEFT_TOP,
            label,
            small.clone(),
            text,
        );
    };
    arrow(y, color(palette::EUCLID), "−∇L  Euclidean descent");
    arrow(y + 15.0, color(palette::NATURAL), "−F⁻¹∇L  natural descent");
}

fn draw_flow_legend(painter: &egui::Painter, rect: Rect, scene: &Scene) {
    use crate::render::particle_draw::LOG_SPEED_RANGE;
    use crate::scene::ParticleColor;
    let small = FontId::proportional(11.0);
    let text = Color32::from_gray(225);
    let width = 190.0;
    let origin = pos2(rect.right() - width - 10.0, rect.top() + 168.0);
    painter.rect_filled(
        Rect::from_min_size(origin, vec2(width, 50.0)),
        6.0,
        Color32::from_black_alpha(170),
    );
    let x = origin.x + 10.0;
    let y = origin.y + 8.0;
    match scene.flow.color {
        ParticleColor::Mode => {
            painter.circle_filled(pos2(x + 4.0, y + 6.0), 3.0, color(palette::NATURAL));
            painter.text(
                pos2(x + 14.0, y),
                Align2::LEFT_TOP,
                "particles on −F⁻¹∇L (natural)",
                small.clone(),
                text,
            );
            painter.circle_filled(pos2(x + 4.0, y + 22.0), 3.0, color(palette::EUCLID));
            painter.text(
                pos2(x + 14.0, y + 16.0),
                Align2::LEFT_TOP,
                "particles on −∇L (Euclidean)",
                small.clone(),
                text,
            );
        }
        ParticleColor::Speed => {
            painter.text(
                pos2(x, y),
                Align2::LEFT_TOP,
                "particle colour: log₁₀ Fisher–Rao speed",
                small.clone(),
                text,
            );
            let bar = Rect::from_min_size(pos2(x, y + 15.0), vec2(width - 20.0, 8.0));
            color_bar(painter, bar);
            painter.text(
                bar.left_bottom() + vec2(0.0, 1.0),
                Align2::LEFT_TOP,
                format!("{}", LOG_SPEED_RANGE.0),
                small.clone(),
                text,
            );
            painter.text(
                bar.right_bottom() + vec2(0.0, 1.0),
                Align2::RIGHT_TOP,
                format!("{}", LOG_SPEED_RANGE.1),
                small.clone(),
                text,
            );
        }
    }
}
