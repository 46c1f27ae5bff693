//! The region outside the model, drawn by the renderer into the glyph layer's cache
//! (`render::outside`): on the half-plane below σ1 = 0 every pixel is the fill over the
//! background or on the way from it to a hatch line, with hatch lines at the expected
//! density, and above it the background is untouched (with every layer off: the outside is
//! drawn all the same); on the pendulum's policy plane the unstable gains are hatched without
//! the fill and the inside of the triangle is not. The colour test rejects the background, a
//! heatmap colour and a red pixel (negative controls).

use crate::common;
use crate::common::pixels::keep;

use fisherflow::frame::FrameRenderer;
use fisherflow::render::canvas::Image;
use fisherflow::render::colormap::{linear_rgba, palette, srgb_to_linear};
use fisherflow::render::outside::{FILL_ALPHA, FILL_SRGB, HATCH_SRGB};
use fisherflow::scene::{Camera, Heatmap, Layers, Preset, Scene, SceneEdit};

const SIZE: [u32; 2] = [240, 240];

fn linear(p: [u8; 4]) -> [f32; 3] {
    [0, 1, 2].map(|k| srgb_to_linear(p[k] as f32 / 255.0))
}

/// Where `p` lies on the linear blend from `base` (the outside without a line) to the hatch
/// colour: Some(coverage) when every channel agrees on one coverage (within 8-bit rounding),
/// None for any other colour.
pub fn hatch_coverage(p: [u8; 4], base: [f32; 3]) -> Option<f32> {
    let hatch = linear_rgba(HATCH_SRGB, 1.0);
    let lin = linear(p);
    let c: Vec<f32> = (0..3)
        .map(|k| (lin[k] - base[k]) / (hatch[k] - base[k]))
        .collect();
    let mean = (c[0] + c[1] + c[2]) / 3.0;
    // One 8-bit step of a dark channel is ~0.0006 linear, of grey 90 ~0.004: 0.06 of the span.
    let agree = c.iter().all(|v| (v - mean).abs() < 0.06);
    (agree && (-0.04..=1.04).contains(&mean)).then_some(mean.clamp(0.0, 1.0))
}

/// Whether `p` is the plain fill over the background (no line), within one 8-bit step.
fn is_plain_fill(p: [u8; 4]) -> bool {
    let lin = filled_background();
    let srgb = lin.map(|v| {
        let s = if v <= 0.0031308 {
            12.92 * v
        } else {
            1.055 * v.powf(1.0 / 2.4) - 0.055
        };
        (s * 255.0).round() as i32
    });
    (0..3).all(|k| (p[k] as i32 - srgb[k]).abs() <= 1)
}

/// The mixture's outside without a line: the fill over the background, in linear colour.
pub fn filled_background() -> [f32; 3] {
    let (bg, fill) = (
        linear_rgba(palette::BACKGROUND, 1.0),
        linear_rgba(FILL_SRGB, 1.0),
    );
    [0, 1, 2].map(|k| fill[k] * FILL_ALPHA + bg[k] * (1.0 - FILL_ALPHA))
}

fn render(scene: &Scene) -> Option<Image> {
    let ctx = common::shared_gpu()?;
    let mut frames = FrameRenderer::new(ctx, false).unwrap();
    Some(frames.render_image(ctx, SIZE, 1.0, scene).unwrap().1)
}

#[test]
fn the_colour_test_rejects_other_colours() {
    let base = filled_background();
    let bg = palette::BACKGROUND;
    let background = [(bg >> 16) as u8, (bg >> 8) as u8, bg as u8, 255];
    // The background is close to the fill's blend line (the fill darkens it by a quarter),
    // so the tests count plain fill pixels, which the background is not.
    assert!(!is_plain_fill(background), "the bare background");
    assert!(is_plain_fill([15, 16, 20, 255]), "the fill");
    assert!(
        hatch_coverage([68, 1, 84, 255], base).is_none(),
        "viridis' low end"
    );
    assert!(hatch_coverage([200, 40, 40, 255], base).is_none(), "red");
    let hatch = [0x5a, 0x5a, 0x5a, 255];
    assert!(hatch_coverage(hatch, base).is_some_and(|c| c > 0.95));
}

#[test]
fn the_half_plane_below_sigma_zero_is_filled_and_hatched_with_every_layer_off() {
    let mut scene = Scene::default();
    scene.apply(SceneEdit::ApplyPreset(Preset::HalfPlane));
    let mut scene = Scene {
        camera: Camera {
            center: [0.0, 0.0],
            half_height: 2.0,
            x_per_y: 1.0,
        },
        grid: 32,
        layers: Layers::NONE,
        ..scene
    };
    scene.features.heatmap = Heatmap::None;
    let Some(image) = render(&scene) else { return };
    let path = keep(&image, "outside_half_plane");
    let base = filled_background();
    let bg = palette::BACKGROUND;
    let (mut outside, mut on_lines, mut plain) = (0, 0, 0);
    // σ1 = 0 is the middle row; keep two pixels clear of it.
    for y in 0..SIZE[1] {
        for x in 0..SIZE[0] {
            let p = image.pixel(x, y);
            if y > SIZE[1] / 2 + 2 {
                let c = hatch_coverage(p, base).unwrap_or_else(|| {
                    panic!("({x}, {y}) = {p:?}: neither fill nor hatch ({path})")
                });
                outside += 1;
                on_lines += usize::from(c > 0.5);
                plain += usize::from(is_plain_fill(p));
            } else if y + 2 < SIZE[1] / 2 {
                assert!(
                    common::pixels::is_color(p, bg, 1),
                    "({x}, {y}) = {p:?} inside the model ({path})"
                );
            }
        }
    }
    // One-point lines every 12 points along x at 45°: about one pixel in 12 along a row is
    // mostly line.
    let share = on_lines as f64 / outside as f64;
    assert!((0.04..0.2).contains(&share), "hatch share {share} ({path})");
    let plain = plain as f64 / outside as f64;
    assert!(plain > 0.6, "plain fill share {plain} ({path})");
}

#[test]
fn the_policy_planes_unstable_gains_are_hatched_without_fill() {
    let mut scene = Scene {
        grid: 16,
        layers: Layers::NONE,
        ..Scene::default()
    };
    scene.features.heatmap = Heatmap::None;
    scene.apply(SceneEdit::ApplyPreset(Preset::Pendulum));
    let Some(image) = render(&scene) else { return };
    let path = keep(&image, "outside_policy");
    let lqr = scene.lqr().expect("the pendulum is a policy scene");
    let triangle = lqr.triangle();
    let bg = linear_rgba(palette::BACKGROUND, 1.0);
    let base = [bg[0], bg[1], bg[2]];
    let (mut inside, mut outside_lines, mut outside) = (0, 0, 0);
    for y in (0..SIZE[1]).step_by(3) {
        for x in 0..SIZE[0] {
            let world = scene
                .camera
                .pixel_to_world([x as f32 + 0.5, y as f32 + 0.5], SIZE.map(|v| v as f32));
            let margin = distance_inside(triangle, world, &scene, SIZE[1]);
            let p = image.pixel(x, y);
            if margin > 2.0 {
                inside += 1;
                assert!(
                    common::pixels::is_color(p, palette::BACKGROUND, 1),
                    "({x}, {y}) = {p:?} inside the triangle ({path})"
                );
            } else if margin < -2.0 {
                let c = hatch_coverage(p, base)
                    .unwrap_or_else(|| panic!("({x}, {y}) = {p:?}: not hatch ({path})"));
                outside += 1;
                outside_lines += usize::from(c > 0.5);
            }
        }
    }
    assert!(
        inside > 1000 && outside > 1000,
        "{inside} inside, {outside} outside"
    );
    let share = outside_lines as f64 / outside as f64;
    assert!((0.04..0.2).contains(&share), "hatch share {share} ({path})");
}

/// The signed distance in pixels from `world` to the triangle's boundary (positive inside).
fn distance_inside(triangle: [[f64; 2]; 3], world: [f64; 2], scene: &Scene, height: u32) -> f64 {
    let s = scene.camera.world_per_pixel_xy(height as f32);
    let to_px = |w: [f64; 2]| [w[0] / s[0], w[1] / s[1]];
    let (c, p) = (triangle.map(to_px), to_px(world));
    (0..3)
        .map(|i| {
            let (a, b, r) = (c[i], c[(i + 1) % 3], c[(i + 2) % 3]);
            let n = [-(b[1] - a[1]), b[0] - a[0]];
            let len = n[0].hypot(n[1]);
            let side = |q: [f64; 2]| (n[0] * (q[0] - a[0]) + n[1] * (q[1] - a[1])) / len;
            side(p) * side(r).signum()
        })
        .fold(f64::INFINITY, f64::min)
}
