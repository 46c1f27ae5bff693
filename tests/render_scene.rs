//! Offscreen renders of the scene checked numerically on the pixels: ellipse orientation and
//! clamping near the diagonal, round ellipses far from it, and the probe's arrows (present,
//! in their colours, pointing along −∇L and −F⁻¹∇L as the f64 reference says). Each check has
//! a negative control. On failure the image is written to target/test-output/ for a look.

mod common;

use fisherflow::gpu::context::GpuContext;
use fisherflow::math::fisher::fisher_rotated;
use fisherflow::math::loss::gradient_rotated;
use fisherflow::math::sym2::{natural_gradient, rotate_vector};
use fisherflow::math::{Mixture, QuadratureRule};
use fisherflow::render::colormap::palette;
use fisherflow::render::target::{Image, RenderTarget};
use fisherflow::render::{CANVAS_FORMAT, SceneRenderer};
use fisherflow::scene::{Camera, Layers, Scene};

const SIZE: [u32; 2] = [400, 400];

fn render(ctx: &GpuContext, scene: &Scene) -> Image {
    let mut renderer = SceneRenderer::new(ctx, CANVAS_FORMAT).unwrap();
    let target = RenderTarget::new(&ctx.device, SIZE, CANVAS_FORMAT, "test");
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    renderer
        .render(ctx, &mut encoder, &target.view, SIZE, 1.0, scene)
        .unwrap();
    ctx.queue.submit([encoder.finish()]);
    target.read(ctx).unwrap()
}

/// Keeps the image for inspection when an assertion is about to fail.
fn keep(image: &Image, name: &str) -> String {
    let dir = format!("{}/target/test-output", env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = format!("{dir}/{name}.png");
    std::fs::write(&path, image.to_png().unwrap()).unwrap();
    path
}

fn ellipses_only(scene: Scene) -> Scene {
    Scene {
        layers: Layers {
            ellipses: true,
            axes: false,
            handles: false,
            probe: false,
            particles: false,
            legend: false,
        },
        ..scene
    }
}

fn is_color(p: [u8; 4], hex: u32, tolerance: i32) -> bool {
    let want = [
        (hex >> 16) as i32 & 255,
        (hex >> 8) as i32 & 255,
        hex as i32 & 255,
    ];
    (0..3).all(|c| (p[c] as i32 - want[c]).abs() <= tolerance)
}

/// The structure tensor Σ∇m∇mᵀ of a mask m (1 where `inside` holds), in *world* orientation
/// (y up): returns (dominant gradient direction, anisotropy λ1/λ2). The outlines of ellipses
/// elongated along d have their gradients mostly perpendicular to d.
fn structure_tensor(image: &Image, inside: impl Fn([u8; 4]) -> bool) -> ([f64; 2], f64) {
    let m = |x: u32, y: u32| -> f64 { if inside(image.pixel(x, y)) { 1.0 } else { 0.0 } };
    let (mut xx, mut xy, mut yy) = (0.0, 0.0, 0.0);
    for y in 1..image.height - 1 {
        for x in 1..image.width - 1 {
            let gx = m(x + 1, y) - m(x - 1, y);
            let gy = -(m(x, y + 1) - m(x, y - 1));
            xx += gx * gx;
            xy += gx * gy;
            yy += gy * gy;
        }
    }
    let mean = 0.5 * (xx + yy);
    let r = (0.25 * (xx - yy) * (xx - yy) + xy * xy).sqrt();
    let phi = 0.5 * (2.0 * xy).atan2(xx - yy);
    ([phi.cos(), phi.sin()], (mean + r) / (mean - r).max(1e-9))
}

fn count_near(image: &Image, hex: u32, tolerance: i32) -> usize {
    image
        .rgba
        .chunks(4)
        .filter(|p| is_color([p[0], p[1], p[2], p[3]], hex, tolerance))
        .count()
}

#[test]
fn near_the_diagonal_ellipses_are_long_along_1_minus_1_and_clamp_marked() {
    let Some(ctx) = common::gpu() else { return };
    // σ large against the view: every cell is within 0.3σ of the diagonal.
    let near = ellipses_only(Scene {
        sigma: 5.0,
        grid: 16,
        camera: Camera {
            center: [0.3, 0.3],
            half_height: 0.5,
        },
        ..Scene::default()
    });
    let image = render(&ctx, &near);
    // The clamp-marked outlines (the hatching inside is screen-aligned and left out).
    let (gradient_dir, anisotropy) =
        structure_tensor(&image, |p| is_color(p, palette::CLAMPED, 40));
    // Gradients ⟂ long axes: along (1, 1)/√2 when the long axes lie along (1, −1).
    let along_11 = (gradient_dir[0] + gradient_dir[1]).abs() / 2f64.sqrt();
    let clamped = count_near(&image, palette::CLAMPED, 40);
    let path = keep(&image, "near_diagonal");
    assert!(
        along_11 > 0.99 && anisotropy > 3.0,
        "gradient {gradient_dir:?}, anisotropy {anisotropy}: {path}"
    );
    assert!(
        clamped > 500,
        "clamp-marked outline pixels: {clamped}: {path}"
    );

    // Negative control: far from the diagonal the ellipses are round and none is clamped.
    let far = ellipses_only(Scene {
        sigma: 0.2,
        grid: 16,
        camera: Camera {
            center: [3.0, -3.0],
            half_height: 0.5,
        },
        ..Scene::default()
    });
    let image = render(&ctx, &far);
    // Here the glyphs are unclamped: use the whole glyph (anything off the background).
    let (_, anisotropy) = structure_tensor(&image, |p| !is_color(p, palette::BACKGROUND, 6));
    let clamped = count_near(&image, palette::CLAMPED, 40);
    let path = keep(&image, "far_from_diagonal");
    assert!(
        anisotropy < 1.2,
        "far ellipses must be round, anisotropy {anisotropy}: {path}"
    );
    assert_eq!(
        clamped, 0,
        "nothing is clamped far from the diagonal: {path}"
    );
}

#[test]
fn a_far_ellipse_has_equal_radii_in_pixels() {
    let Some(ctx) = common::gpu() else { return };
    // One cell spans 400/8 = 50 px; at scale 1 the semi-axes are 0.45 cell = 22.5 px.
    let scene = ellipses_only(Scene {
        sigma: 0.2,
        grid: 8,
        camera: Camera {
            center: [3.0625, -2.9375],
            half_height: 0.5,
        },
        ..Scene::default()
    });
    let image = render(&ctx, &scene);
    // The cell centred on the view centre: walk out from the centre until the background.
    let (cx, cy) = (SIZE[0] / 2, SIZE[1] / 2);
    let radius = |dx: i32, dy: i32| {
        (1..100)
            .find(|&k| {
                let p = image.pixel((cx as i32 + dx * k) as u32, (cy as i32 + dy * k) as u32);
                is_color(p, palette::BACKGROUND, 6)
            })
            .unwrap_or(100)
    };
    let (right, up, left, down) = (radius(1, 0), radius(0, -1), radius(-1, 0), radius(0, 1));
    let path = keep(&image, "far_ellipse");
    for r in [right, up, left, down] {
        assert!(
            (21..=25).contains(&r),
            "radii {right} {up} {left} {down} px, expected ≈ 23: {path}"
        );
    }
}

/// Centroid of pixels near `hex`, relative to `origin`, in world orientation (y up).
fn centroid(image: &Image, hex: u32, origin: [f64; 2]) -> Option<[f64; 2]> {
    let (mut sx, mut sy, mut n) = (0.0, 0.0, 0usize);
    for y in 0..image.height {
        for x in 0..image.width {
            if is_color(image.pixel(x, y), hex, 30) {
                sx += x as f64 - origin[0];
                sy += origin[1] - y as f64;
                n += 1;
            }
        }
    }
    (n > 50).then(|| [sx / n as f64, sy / n as f64])
}

fn angle_between(a: [f64; 2], b: [f64; 2]) -> f64 {
    let cross = a[0] * b[1] - a[1] * b[0];
    let dot = a[0] * b[0] + a[1] * b[1];
    cross.abs().atan2(dot).to_degrees()
}

#[test]
fn probe_arrows_point_along_the_descent_directions() {
    let Some(ctx) = common::gpu() else { return };
    let probe = [0.55, 0.35];
    let scene = Scene {
        probe: Some(probe),
        target: [-1.0, 1.2],
        layers: Layers {
            ellipses: false,
            axes: false,
            handles: false,
            probe: true,
            particles: false,
            legend: false,
        },
        camera: Camera {
            center: probe,
            half_height: 1.0,
        },
        ..Scene::default()
    };
    let image = render(&ctx, &scene);
    let path = keep(&image, "probe_arrows");
    let centre = [SIZE[0] as f64 / 2.0, SIZE[1] as f64 / 2.0];
    let red =
        centroid(&image, palette::EUCLID, centre).unwrap_or_else(|| panic!("no red arrow: {path}"));
    let cyan = centroid(&image, palette::NATURAL, centre)
        .unwrap_or_else(|| panic!("no cyan arrow: {path}"));
    // The f64 reference's directions.
    let rule = QuadratureRule::new(128).unwrap();
    let m = Mixture::new(probe[0], probe[1], scene.sigma);
    let g_rot = gradient_rotated(&m, scene.target, &rule);
    let n_rot = natural_gradient(&fisher_rotated(&m, &rule), 0.0, g_rot).unwrap();
    let (g, n) = (rotate_vector(g_rot), rotate_vector(n_rot));
    let (down_g, down_n) = ([-g[0], -g[1]], [-n[0], -n[1]]);
    assert!(
        angle_between(red, down_g) < 4.0,
        "red {red:?} vs −∇L {down_g:?}: {path}"
    );
    assert!(
        angle_between(cyan, down_n) < 4.0,
        "cyan {cyan:?} vs −ñ {down_n:?}: {path}"
    );
    // Near the diagonal they part by tens of degrees; and the arrows share one display length.
    let parting = angle_between(red, cyan);
    assert!(
        parting > 20.0,
        "arrows part by {parting}° at Δ = 0.2σ: {path}"
    );
    let (lr, lc) = (red[0].hypot(red[1]), cyan[0].hypot(cyan[1]));
    assert!(
        (lr / lc - 1.0).abs() < 0.1,
        "same display length: {lr} vs {lc}"
    );

    // Negative control: without a probe there are no arrows.
    let image = render(
        &ctx,
        &Scene {
            probe: None,
            ..scene
        },
    );
    assert!(centroid(&image, palette::EUCLID, centre).is_none());
    assert!(centroid(&image, palette::NATURAL, centre).is_none());
}
