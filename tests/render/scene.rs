//! Offscreen renders of the scene checked numerically on the pixels: ellipse orientation and
//! clamping near the diagonal, round ellipses far from it, and the probe's arrows (present,
//! in their colours, pointing along −∇L and −F⁻¹∇L as the f64 reference says). Each check has
//! a negative control. On failure the image is written to target/test-output/ for a look.

use crate::common;
use crate::common::pixels::{differing, is_color, keep};

use fisherflow::frame::FrameRenderer;
use fisherflow::gpu::context::GpuContext;
use fisherflow::math::fisher::fisher_rotated;
use fisherflow::math::loss::gradient_rotated;
use fisherflow::math::sym2::{natural_gradient, rotate_vector};
use fisherflow::math::{Mixture, Model, Param, QuadratureRule, Slice};
use fisherflow::render::CANVAS_FORMAT;
use fisherflow::render::canvas::{Canvas, Image};
use fisherflow::render::colormap::palette;
use fisherflow::scene::{Camera, Layers, Scene};

const SIZE: [u32; 2] = [400, 400];

fn render(ctx: &GpuContext, scene: &Scene) -> Image {
    let mut frames = FrameRenderer::new(ctx, false).unwrap();
    frames.render_image(ctx, SIZE, 1.0, scene).unwrap().1
}

/// [`render`] in deterministic mode (as captures and screenshots): off-loop work and work the
/// viewer spreads over frames (the geodesic ball, the convergence map) complete in the frame.
fn render_deterministic(ctx: &GpuContext, scene: &Scene) -> Image {
    let mut frames = FrameRenderer::new(ctx, false).unwrap();
    frames.scene_renderer_mut().set_deterministic(true);
    frames.render_image(ctx, SIZE, 1.0, scene).unwrap().1
}

/// `scene` with the grid's glyphs the only layer drawn.
pub(crate) fn ellipses_only(scene: Scene) -> Scene {
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
        model: Model::seed(-1.5, 1.0, 5.0),
        grid: 16,
        camera: Camera {
            center: [0.3, 0.3],
            half_height: 0.5,
            x_per_y: 1.0,
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
        model: Model::seed(-1.5, 1.0, 0.2),
        grid: 16,
        camera: Camera {
            center: [3.0, -3.0],
            half_height: 0.5,
            x_per_y: 1.0,
        },
        ..Scene::default()
    });
    let image = render(&ctx, &far);
    // Here the glyphs are unclamped: use the whole glyph (anything off the background).
    let (_, anisotropy) = structure_tensor(&image, |p| !is_color(p, palette::BACKGROUND, 6));
    let clamped = count_near(&image, palette::CLAMPED, 40);
    let path = keep(&image, "far_from_diagonal");
    // A blank (or all-glyph) image would score anisotropy 0: require the glyphs to be there.
    // 256 glyphs of radius ≈ 0.45·25 px ≈ 11 px are ≈ 100k pixels; any drawn field has >10k.
    let glyph_pixels = image
        .rgba
        .chunks(4)
        .filter(|p| !is_color([p[0], p[1], p[2], p[3]], palette::BACKGROUND, 6))
        .count();
    assert!(
        (10_000..150_000).contains(&glyph_pixels),
        "the glyphs are drawn: {glyph_pixels} pixels: {path}"
    );
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
        model: Model::seed(-1.5, 1.0, 0.2),
        grid: 8,
        camera: Camera {
            center: [3.0625, -2.9375],
            half_height: 0.5,
            x_per_y: 1.0,
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
        model: Model::seed(-1.0, 1.2, 1.0),
        layers: Layers {
            probe: true,
            ..Layers::NONE
        },
        camera: Camera {
            center: probe,
            half_height: 1.0,
            x_per_y: 1.0,
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
    let m = Mixture::new(probe[0], probe[1], scene.model.sigma1);
    let g_rot = gradient_rotated(&m, scene.target(), &rule);
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

/// The runs of `inside` pixels along one line of the image: (first, last) pixel of each run.
fn runs(inside: &[bool]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, &v) in inside.iter().chain([false].iter()).enumerate() {
        match (v, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i - 1));
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// (median spacing of the runs' centres, worst deviation of a spacing from it, worst
/// deviation of a run's width from the median width), over the runs that do not touch the
/// image edge.
fn spacing_regularity(runs: &[(usize, usize)], len: usize) -> (f64, f64, f64) {
    let inner: Vec<(usize, usize)> = runs
        .iter()
        .copied()
        .filter(|&(a, b)| a > 0 && b + 1 < len)
        .collect();
    assert!(
        inner.len() >= 3,
        "too few glyph runs to measure a lattice: {runs:?}"
    );
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let centres: Vec<f64> = inner.iter().map(|&(a, b)| 0.5 * (a + b) as f64).collect();
    let spacings: Vec<f64> = centres.windows(2).map(|w| w[1] - w[0]).collect();
    let widths: Vec<f64> = inner.iter().map(|&(a, b)| (b - a) as f64).collect();
    let spacing = median(spacings.clone());
    let width = median(widths.clone());
    let worst_spacing = spacings
        .iter()
        .map(|s| (s - spacing).abs())
        .fold(0.0, f64::max);
    let worst_width = widths.iter().map(|w| (w - width).abs()).fold(0.0, f64::max);
    (spacing, worst_spacing, worst_width)
}

/// The glyph lattice of an ellipses-only render, measured along the pixel row and column with
/// the most glyph pixels (the glyphs' equators): (spacing, worst spacing deviation, worst width
/// deviation) for each direction.
fn glyph_lattice(image: &Image) -> [(f64, f64, f64); 2] {
    // Glyph pixels: more than half covered (the fill differs from the background by ~88 in
    // blue), so the antialiased rims of neighbouring glyphs (2.5 px apart) do not merge.
    let glyph = |p: [u8; 4]| !is_color(p, palette::BACKGROUND, 44);
    let (w, h) = (image.width as usize, image.height as usize);
    let row_mask = |y: usize| -> Vec<bool> {
        (0..w)
            .map(|x| glyph(image.pixel(x as u32, y as u32)))
            .collect()
    };
    let column_mask = |x: usize| -> Vec<bool> {
        (0..h)
            .map(|y| glyph(image.pixel(x as u32, y as u32)))
            .collect()
    };
    let count = |m: &Vec<bool>| m.iter().filter(|v| **v).count();
    let best_row = (0..h).max_by_key(|&y| count(&row_mask(y))).unwrap();
    let best_column = (0..w).max_by_key(|&x| count(&column_mask(x))).unwrap();
    [
        spacing_regularity(&runs(&row_mask(best_row)), w),
        spacing_regularity(&runs(&column_mask(best_column)), h),
    ]
}

#[test]
fn deep_zoom_keeps_the_glyph_lattice_regular() {
    let Some(ctx) = common::gpu() else { return };
    // Negative control of the measure: one glyph moved by 3 px (what f32 absolute positions
    // did here: at (3, −2) an f32 step is 2.4e-7, a fifth of a 25 px cell of a 2e-5 view).
    let mut mask = vec![false; 400];
    for k in 0..16 {
        let centre = 12 + 25 * k + if k == 7 { 3 } else { 0 };
        for m in mask.iter_mut().take(centre + 10).skip(centre - 10) {
            *m = true;
        }
    }
    let (_, bad_spacing, _) = spacing_regularity(&runs(&mask), 400);
    assert!(
        bad_spacing >= 2.5,
        "the measure sees a 3 px shift: {bad_spacing}"
    );
    // And that is what absolute f32 cell positions (the kernel before the floating origin:
    // view_min + (c + ½)·cell in f32) give at (3, −2) with a 2e-5-high view: spacings off by
    // more than the 1 px this test allows.
    let (view_min, cell) = (3.0f64 - 1e-5, 2e-5 / 16.0);
    let px_of = |c: u32| {
        let x = view_min as f32 + (c as f32 + 0.5) * cell as f32;
        (x as f64 - view_min) / cell * 25.0
    };
    let worst_f32 = (0..15)
        .map(|c| (px_of(c + 1) - px_of(c) - 25.0).abs())
        .fold(0.0, f64::max);
    assert!(
        worst_f32 > 1.0,
        "f32 absolutes would be irregular: {worst_f32}"
    );

    // 16 cells across 400 px: a lattice of exactly 25 px (hand-computed: 400/16).
    for (name, center, half_height) in [
        ("deep_zoom_3_-2", [3.0, -2.0], 1e-5),
        ("deep_zoom_300_-200", [300.0, -200.0], 1e-3),
    ] {
        let scene = ellipses_only(Scene {
            model: Model::seed(-1.5, 1.0, 1.0),
            grid: 16,
            camera: Camera {
                center,
                half_height,
                x_per_y: 1.0,
            },
            ..Scene::default()
        });
        let image = render(&ctx, &scene);
        let path = keep(&image, name);
        for (axis, (spacing, worst_spacing, worst_width)) in ["μ1 (row)", "μ2 (column)"]
            .iter()
            .zip(glyph_lattice(&image))
        {
            eprintln!(
                "{name} along {axis}: spacing {spacing} px, worst spacing deviation \
                 {worst_spacing} px, worst width deviation {worst_width} px"
            );
            assert!(
                (spacing - 25.0).abs() <= 0.5 && worst_spacing <= 1.0 && worst_width <= 1.0,
                "{name} along {axis}: irregular glyph lattice (spacing {spacing}, worst \
                 deviation {worst_spacing}, width deviation {worst_width}): {path}"
            );
        }
    }
}

#[test]
fn layers_draw_back_to_front_and_say_what_they_show() {
    let Some(ctx) = common::gpu() else { return };
    let frames = FrameRenderer::new(&ctx, false).unwrap();
    let renderer = frames.scene_renderer();
    assert_eq!(
        renderer.layer_names(),
        [
            "heatmap",
            "convergence",
            "axes",
            "ellipses",
            "flow trails",
            "paths",
            "race",
            "geodesic ball",
            "estimates",
            "cramer-rao",
            "probe arrows",
            "markers"
        ]
    );
    let info = fisherflow::render::FrameInfo {
        epsilon: 2.5e-3,
        ..Default::default()
    };
    let with_probe = Scene::default();
    assert!(with_probe.probe.is_some());
    let legends = renderer.legends(&with_probe, &info);
    assert_eq!(legends.len(), 2, "ellipses and arrows: {legends:#?}");
    assert!(
        legends[0].title.as_deref() == Some("ellipse colour: log₁₀ κ(F)")
            && legends[0]
                .items
                .iter()
                .any(|i| matches!(i, fisherflow::render::layer::LegendItem::Text(t) if t.contains("2.50e-3"))),
        "the ellipse legend states ε: {:#?}",
        legends[0]
    );
    // Negative controls: a layer that is off says nothing; the legend switch silences all;
    // the flow says something only while particles run.
    let no_ellipses = Scene {
        layers: Layers {
            ellipses: false,
            ..Layers::default()
        },
        ..Scene::default()
    };
    assert_eq!(renderer.legends(&no_ellipses, &info).len(), 1);
    let no_legend = Scene {
        layers: Layers {
            legend: false,
            ..Layers::default()
        },
        ..Scene::default()
    };
    assert!(renderer.legends(&no_legend, &info).is_empty());
    let flowing = fisherflow::render::FrameInfo {
        particles: 1024,
        ..info
    };
    assert_eq!(renderer.legends(&with_probe, &flowing).len(), 3);
}

/// Pixel radii (right, up, left, down) of the glyph under the canvas centre.
fn centre_glyph_radii(image: &Image) -> [u32; 4] {
    let (cx, cy) = (SIZE[0] as i32 / 2, SIZE[1] as i32 / 2);
    let radius = |dx: i32, dy: i32| {
        (1..100)
            .find(|&k| {
                let p = image.pixel((cx + dx * k) as u32, (cy + dy * k) as u32);
                is_color(p, palette::BACKGROUND, 6)
            })
            .unwrap_or(100)
    };
    [radius(1, 0), radius(0, -1), radius(-1, 0), radius(0, 1)].map(|r| r as u32)
}

#[test]
fn half_plane_glyphs_follow_diag_one_over_sigma_squared_two_over_sigma_squared() {
    let Some(ctx) = common::gpu() else { return };
    // One Gaussian (π = 1) on (μ1, σ1): F = diag(1/σ², 2/σ²). The ellipse level is set by the
    // target's block (λ_min = 1 at σ = 1), so at scale 1 the glyph at σ has semi-axes
    // 0.45·cell·σ along μ1 and that /√2 along σ1. Grid 8 over a 400 px canvas 1 unit high:
    // 50 px cells; the centre cell sits at σ = 1.0625: 23.9 px across and 16.9 px up.
    let model = Model {
        pi: 1.0,
        mu1: 0.0,
        mu2: 0.0,
        sigma1: 1.0,
        sigma2: 1.0,
    };
    let slice = Slice {
        a: Param::Mu1,
        b: Param::Sigma1,
    };
    let scene = |x_per_y: f64| {
        ellipses_only(Scene {
            model,
            slice,
            grid: 8,
            camera: Camera {
                // A cell centre: cells are 0.125·x_per_y wide and 0.125 high from 0.
                center: [0.0625 * x_per_y, 1.0625],
                half_height: 0.5,
                x_per_y,
            },
            ..Scene::default()
        })
    };
    let equal = render(&ctx, &scene(1.0));
    let path = keep(&equal, "half_plane_glyph");
    let [right, up, left, down] = centre_glyph_radii(&equal);
    for (r, want) in [(right, 23.9), (left, 23.9), (up, 16.9), (down, 16.9)] {
        assert!(
            (r as f64 - want).abs() <= 2.0,
            "radii {right} {up} {left} {down} px, expected 23.9 across, 16.9 up: {path}"
        );
    }
    // Unequal scaling (two horizontal world units per vertical one on screen): the metric in
    // display units is diag(4, 2)/σ² at the target, so the level follows λ_min = 2 and the
    // glyph turns: 16.9 px across, 23.9 px up. (Drawn in world units with equal pixels it
    // would stay 23.9 by 16.9 squeezed to 12 px across.)
    let stretched = render(&ctx, &scene(2.0));
    let path = keep(&stretched, "half_plane_glyph_x_per_y_2");
    let [right, up, left, down] = centre_glyph_radii(&stretched);
    // Upwards the glyph touches its neighbour (23.9 px + 26.8 px at σ = 1.19 > one 50 px
    // cell), so the walk measures only down, towards the smaller glyphs.
    for (r, want) in [(right, 16.9), (left, 16.9), (down, 23.9)] {
        assert!(
            (r as f64 - want).abs() <= 2.0,
            "radii {right} {up} {left} {down} px, expected 16.9 across, 23.9 up: {path}"
        );
    }
}

#[test]
fn nothing_is_drawn_outside_the_model() {
    let Some(ctx) = common::gpu() else { return };
    // The half-plane around σ1 = 0: the lower half of the canvas (σ1 < 0) is outside the
    // model and shows nothing but its fill and hatch (`render::outside`); the upper half has
    // glyphs.
    let scene = ellipses_only(Scene {
        model: Model {
            pi: 1.0,
            ..Model::default()
        },
        slice: Slice {
            a: Param::Mu1,
            b: Param::Sigma1,
        },
        grid: 16,
        camera: Camera {
            center: [0.0, 0.0],
            half_height: 1.0,
            x_per_y: 1.0,
        },
        ..Scene::default()
    });
    let image = render(&ctx, &scene);
    let path = keep(&image, "outside_the_model");
    let drawn = |rows: std::ops::Range<u32>| {
        rows.flat_map(|y| (0..SIZE[0]).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let p = image.pixel(x, y);
                let band = crate::outside::hatch_coverage(p, crate::outside::filled_background());
                !is_color(p, palette::BACKGROUND, 6) && band.is_none()
            })
            .count()
    };
    // Row 200 is σ1 = 0; leave the antialiased boundary row out.
    let below = drawn(SIZE[1] / 2 + 2..SIZE[1]);
    let above = drawn(0..SIZE[1] / 2 - 2);
    assert_eq!(below, 0, "pixels drawn where σ1 < 0: {path}");
    assert!(
        above > 5000,
        "the model's half has glyphs ({above} px): {path}"
    );
}

/// The ellipse layer draws its glyphs into a cache and composites it while nothing they depend
/// on changed. One renderer taken through a sequence of edits must give, at every step, the
/// image a fresh renderer gives for that scene (a stale cache would show the previous glyphs);
/// each edit that changes the glyphs is checked to change the image (the control), and moving
/// the target under F glyphs, which must not redraw them, leaves the image as it was.
#[test]
fn the_ellipse_cache_never_shows_stale_glyphs() {
    use fisherflow::scene::{EllipseSource, SceneEdit};
    let Some(ctx) = common::gpu() else { return };
    let mut reused = FrameRenderer::new(&ctx, false).unwrap();
    let mut scene = ellipses_only(Scene::default());
    let mut previous = reused.render_image(&ctx, SIZE, 1.0, &scene).unwrap().1;
    assert_eq!(previous.rgba, render(&ctx, &scene).rgba, "first frame");
    type Edit = Box<dyn Fn(&mut Scene)>;
    let steps: Vec<(&str, Edit, bool)> = vec![
        ("ellipse scale", Box::new(|s| s.ellipse_scale *= 1.6), true),
        ("grid", Box::new(|s| s.grid = 23), true),
        ("pan", Box::new(|s| s.camera.center[0] += 0.37), true),
        (
            "target under F glyphs",
            Box::new(|s| {
                let [a, b] = s.target();
                s.apply(SceneEdit::SetTarget([a + 0.4, b - 0.3]));
            }),
            false,
        ),
        (
            "EF glyphs",
            Box::new(|s| s.features.estimates.grid_ellipses = EllipseSource::EmpiricalFisher),
            true,
        ),
        (
            "target under EF glyphs",
            Box::new(|s| {
                let [a, b] = s.target();
                s.apply(SceneEdit::SetTarget([a - 0.9, b + 0.5]));
            }),
            true,
        ),
        (
            "ellipses off",
            Box::new(|s| s.layers.ellipses = false),
            true,
        ),
        ("ellipses on", Box::new(|s| s.layers.ellipses = true), true),
    ];
    for (what, edit, changes) in steps {
        edit(&mut scene);
        let got = reused.render_image(&ctx, SIZE, 1.0, &scene).unwrap().1;
        let fresh = render(&ctx, &scene);
        // The reused renderer may have recomputed only the target's half of the field, whose
        // values differ from a whole dispatch's in the last f32 bits (another pipeline): a
        // colour step or two on a few pixels. Stale glyphs differ by far more.
        let (apart, largest) = differing(&got, &fresh, 3);
        if largest > 3 {
            panic!(
                "{what}: the reused renderer differs from a fresh one on {apart} pixels, by up \
                 to {largest} ({})",
                keep(&got, "stale_cache")
            );
        }
        let (moved, _) = differing(&got, &previous, 3);
        assert_eq!(
            moved > 100,
            changes,
            "{what}: the control ({moved} pixels changed)"
        );
        previous = got;
    }
}

/// The viewer's warm-up (`FrameRenderer::warm_up`) covers both kinds of slice, every flow mode
/// and the profiled metric, and leaves nothing behind: a scene drawn after it is the same image,
/// pixel for pixel, as on a fresh renderer. Control: a different scene differs.
#[test]
fn warm_up_covers_every_mode_and_leaves_nothing_behind() {
    use fisherflow::frame::warm_up_scenes;
    use fisherflow::math::Metric;
    use fisherflow::scene::FlowMode;
    let scenes = warm_up_scenes();
    assert!(
        scenes
            .iter()
            .any(|s| s.slice == fisherflow::math::Slice::SEED)
    );
    assert!(
        scenes
            .iter()
            .any(|s| s.slice != fisherflow::math::Slice::SEED)
    );
    for mode in [
        FlowMode::Natural,
        FlowMode::Both,
        FlowMode::NaturalVsEmpirical,
    ] {
        assert!(
            scenes
                .iter()
                .any(|s| s.features.flow.enabled && s.features.flow.mode == mode),
            "{mode:?}"
        );
    }
    assert!(scenes.iter().any(|s| s.metric == Metric::Profiled));
    // Both general step entry points: a flow on a general slice that varies π, and one on a
    // slice that holds it (compute::particles::StepEntry).
    let pi = fisherflow::math::Param::Pi;
    let general_flow = |varies_pi: bool| {
        scenes.iter().any(|s| {
            s.system.is_none()
                && s.slice != fisherflow::math::Slice::SEED
                && s.features.flow.enabled
                && s.slice.contains(pi) == varies_pi
        })
    };
    assert!(general_flow(true) && general_flow(false));
    // Every mixture scene but that last flow's (its other pipelines are the (π, μ1) scenes')
    // has the ball and the map on; the policy plane's kernel is warmed too.
    assert!(
        scenes
            .iter()
            .filter(|s| s.system.is_none()
                && (s.slice == fisherflow::math::Slice::SEED || s.slice.contains(pi)))
            .all(|s| s.features.geodesics.ball && s.features.convergence.enabled)
    );
    assert!(scenes.iter().any(|s| s.system.is_some()));

    let Some(ctx) = common::gpu() else { return };
    let scene = Scene {
        probe: Some([0.6, 0.3]),
        ..Scene::default()
    };
    let fresh = render(&ctx, &scene);
    let mut frames = FrameRenderer::new(&ctx, false).unwrap();
    let (_, failed) = frames.warm_up(&ctx);
    assert_eq!(failed, 0, "every warm-up scene renders");
    let (_, after) = frames.render_image(&ctx, SIZE, 1.0, &scene).unwrap();
    assert_eq!([after.width, after.height], [fresh.width, fresh.height]);
    assert!(
        after.rgba == fresh.rgba,
        "the warm-up left something behind"
    );
    let other = render(
        &ctx,
        &Scene {
            probe: Some([0.2, 0.3]),
            ..scene.clone()
        },
    );
    assert!(
        other.rgba != fresh.rgba,
        "control: another probe is another image"
    );

    // Particles whose key matches the last warm-up scene's (its slice, flow mode, 64 particles,
    // the default seed) start afresh too, over this scene's view. This renderer takes its
    // stages' pipelines built ahead, as the viewer's does (simulation::PipelinesAhead): the
    // warm-up then draws with those, and the image must not change.
    let warm_flow = scenes.last().expect("warm-up scenes");
    assert!(warm_flow.features.flow.enabled);
    let mut flow = Scene::default();
    flow.apply(fisherflow::scene::SceneEdit::ApplyPreset(
        fisherflow::scene::Preset::WeightSingularity,
    ));
    flow.slice = warm_flow.slice;
    flow.features.flow = warm_flow.features.flow;
    let fresh = render(&ctx, &flow);
    let mut frames = FrameRenderer::new(&ctx, false).unwrap();
    frames.scene_renderer_mut().adopt_pipelines(
        &ctx,
        fisherflow::simulation::PipelinesAhead::build(&ctx.device),
    );
    let (_, failed) = frames.warm_up(&ctx);
    assert_eq!(
        failed, 0,
        "every warm-up scene renders with the pipelines built ahead"
    );
    let (_, after) = frames.render_image(&ctx, SIZE, 1.0, &flow).unwrap();
    assert!(after.rgba == fresh.rgba, "warm-up particles were reused");
}

/// A preset's scene at grid density `grid` with `heatmap`.
fn preset_scene(
    preset: fisherflow::scene::Preset,
    grid: u32,
    heatmap: fisherflow::scene::Heatmap,
) -> Scene {
    let mut scene = Scene {
        grid,
        ..Scene::default()
    };
    scene.features.heatmap = heatmap;
    scene.apply(fisherflow::scene::SceneEdit::ApplyPreset(preset));
    scene
}

/// How many channels of two images' pixels differ by more than 2/255.
fn channels_apart(a: &Image, b: &Image) -> usize {
    a.rgba
        .iter()
        .zip(&b.rgba)
        .filter(|(x, y)| x.abs_diff(**y) > 2)
        .count()
}

/// While nothing drawn reads the target's half of the field (F's ellipses only), a moved target
/// does not rerun the field's target-only pass; turning on the L heatmap afterwards runs it, and
/// the frame is the one a fresh renderer draws for that scene (within 2/255 per channel), on the
/// seed's slice and on a general one. Control: the heatmap for the old target differs.
#[test]
fn a_deferred_target_pass_runs_when_a_layer_needs_it() {
    use fisherflow::scene::{Heatmap, Preset, SceneEdit};
    use fisherflow::simulation::draws_target_half;
    let Some(ctx) = common::gpu() else { return };
    for preset in [Preset::Seed, Preset::Unequal] {
        let start = preset_scene(preset, 32, Heatmap::None);
        assert!(!draws_target_half(&start), "{preset:?}: F's ellipses only");
        let mut frames = FrameRenderer::new(&ctx, false).unwrap();
        frames.render_image(&ctx, SIZE, 1.0, &start).unwrap();
        let before = frames.scene_renderer().simulation().field_generation(true);
        let mut moved = start.clone();
        let t = moved.target();
        moved.apply(SceneEdit::SetTarget([t[0] + 0.2, t[1] - 0.1]));
        frames.render_image(&ctx, SIZE, 1.0, &moved).unwrap();
        assert_eq!(
            frames.scene_renderer().simulation().field_generation(true),
            before,
            "{preset:?}: the target-only pass was deferred"
        );
        let mut with_heatmap = moved.clone();
        with_heatmap.features.heatmap = Heatmap::Loss;
        assert!(draws_target_half(&with_heatmap));
        let (_, deferred) = frames.render_image(&ctx, SIZE, 1.0, &with_heatmap).unwrap();
        assert!(frames.scene_renderer().simulation().field_generation(true) > before);
        let fresh = render(&ctx, &with_heatmap);
        assert_eq!(
            channels_apart(&deferred, &fresh),
            0,
            "{preset:?}: {}",
            keep(&deferred, "deferred_target")
        );
        let old_target = render(&ctx, &{
            let mut old = start.clone();
            old.features.heatmap = Heatmap::Loss;
            old
        });
        assert!(
            channels_apart(&old_target, &fresh) > 100,
            "{preset:?}: control"
        );
    }
}

/// While a handle is dragged the geodesic ball (which follows the model) is shot with
/// `DRAG_RAYS` rays, so the drag frame waits for a quarter of the work; the first frame after
/// the drag shoots the scene's rays and equals a fresh renderer's pixel for pixel. Without the
/// drag flag (captures, tests) every ball has the scene's rays. (Deterministic frames, as
/// captures' and screenshots': each ball is complete in its frame.)
#[test]
fn a_drag_shoots_a_coarse_ball_then_the_whole_one() {
    use fisherflow::scene::SceneEdit;
    use fisherflow::simulation::DRAG_RAYS;
    let Some(ctx) = common::gpu() else { return };
    let mut start = Scene {
        probe: Some([1.2, 0.4]),
        ..Scene::default()
    };
    start.features.geodesics.ball = true;
    start.features.geodesics.rays = 128;
    start.features.geodesics.spokes = true;
    let mut frames = FrameRenderer::new(&ctx, false).unwrap();
    // Every ball in its own frame (the viewer spreads a large one over frames: the next test).
    frames.scene_renderer_mut().set_deterministic(true);
    frames.render_image(&ctx, SIZE, 1.0, &start).unwrap();
    let rays = |frames: &FrameRenderer, scene: &Scene| {
        frames
            .scene_renderer()
            .simulation()
            .geodesic_ball(scene)
            .expect("the ball is drawn")
            .rays
    };
    assert_eq!(rays(&frames, &start), 128);
    let mut moved = start.clone();
    let t = moved.target();
    moved.apply(SceneEdit::SetTarget([t[0] + 0.2, t[1] - 0.1]));
    frames.scene_renderer_mut().set_dragging(true);
    let (_, dragged) = frames.render_image(&ctx, SIZE, 1.0, &moved).unwrap();
    assert_eq!(rays(&frames, &moved), DRAG_RAYS, "a drag frame's ball");
    let fresh = render_deterministic(&ctx, &moved);
    // Control: the coarse ball's spokes are not the whole ball's.
    assert!(
        channels_apart(&dragged, &fresh) > 20,
        "the drag frame draws fewer geodesics ({})",
        keep(&dragged, "ball_drag")
    );
    frames.scene_renderer_mut().set_dragging(false);
    let (_, rested) = frames.render_image(&ctx, SIZE, 1.0, &moved).unwrap();
    assert_eq!(rays(&frames, &moved), 128, "refined after the drag");
    assert_eq!(
        channels_apart(&rested, &fresh),
        0,
        "the frame after the drag is the whole ball ({})",
        keep(&rested, "ball_rested")
    );
}

/// In the viewer (background mode) a large ball is spread over frames: a 256-ray ball takes
/// `RAY_DISPATCHES_PER_FRAME` ray-dispatches a frame, the last complete ball stays drawn
/// meanwhile (at its own probe), and the ball it ends with equals a deterministic frame's pixel
/// for pixel.
#[test]
fn a_large_ball_fills_in_over_frames_behind_the_last_one() {
    use fisherflow::simulation::RAY_DISPATCHES_PER_FRAME;
    let Some(ctx) = common::gpu() else { return };
    let mut scene = Scene {
        probe: Some([1.2, 0.4]),
        ..Scene::default()
    };
    scene.features.geodesics.ball = true;
    scene.features.geodesics.rays = 256;
    scene.features.geodesics.spokes = true;
    // start, 32 steps × 4 substeps / 4 per dispatch, ring.
    let dispatches: u32 = 1 + 32 + 1;
    let expected_frames = dispatches.div_ceil(RAY_DISPATCHES_PER_FRAME / 256);
    assert!(expected_frames > 1, "the budget spreads a 256-ray ball");
    let mut frames = FrameRenderer::new(&ctx, false).unwrap();
    frames.scene_renderer_mut().set_deterministic(false);
    // Frames until the scene's ball is drawn; before it, `shown` says what is drawn.
    let fill = |frames: &mut FrameRenderer, scene: &Scene, shown: Option<[f64; 2]>| {
        for n in 1..=expected_frames + 2 {
            let (_, image) = frames.render_image(&ctx, SIZE, 1.0, scene).unwrap();
            let sim = frames.scene_renderer().simulation();
            let probe = sim.geodesic_ball(scene).map(|b| b.probe);
            if probe == scene.probe && !sim.in_progress(scene) {
                return (n, image);
            }
            assert_eq!(probe, shown, "frame {n}: the last complete ball is drawn");
            assert!(
                sim.in_progress(scene),
                "frame {n}: the viewer keeps drawing"
            );
        }
        panic!(
            "the ball was not complete after {} frames",
            expected_frames + 2
        );
    };
    let (n, first) = fill(&mut frames, &scene, None);
    assert_eq!(n, expected_frames, "frames to the first ball");
    assert_eq!(
        channels_apart(&first, &render_deterministic(&ctx, &scene)),
        0,
        "the completed ball is the deterministic one ({})",
        keep(&first, "ball_progressive")
    );
    // The probe moves (once): the old ball stays drawn until the new one is complete.
    let mut moved = scene.clone();
    moved.probe = Some([1.0, 0.6]);
    let (n, last) = fill(&mut frames, &moved, scene.probe);
    assert_eq!(n, expected_frames, "frames to the moved ball");
    let fresh = render_deterministic(&ctx, &moved);
    assert_eq!(channels_apart(&last, &fresh), 0, "the moved ball");
    // Control: the old ball's frame is not the new one's.
    assert!(
        channels_apart(&first, &fresh) > 20,
        "the probe moved the ball"
    );
    // Off for a frame and on again: the same ball is drawn at once, nothing shot anew.
    let mut off = moved.clone();
    off.features.geodesics.ball = false;
    frames.render_image(&ctx, SIZE, 1.0, &off).unwrap();
    let (_, again) = frames.render_image(&ctx, SIZE, 1.0, &moved).unwrap();
    let sim = frames.scene_renderer().simulation();
    assert!(!sim.in_progress(&moved), "the kept ball is this key's");
    assert_eq!(channels_apart(&again, &fresh), 0, "the ball on again");
}

/// A convergence map filling in keeps the viewer drawing frames (`Simulation::in_progress`),
/// and stops asking for them when it is turned off midway (it would never finish then).
#[test]
fn a_filling_map_asks_for_frames_until_it_is_turned_off() {
    let Some(ctx) = common::gpu() else { return };
    let mut scene = Scene::default();
    scene.features.convergence.enabled = true;
    scene.features.convergence.side = 64;
    let mut frames = FrameRenderer::new(&ctx, false).unwrap();
    frames.scene_renderer_mut().set_deterministic(false);
    frames.render_image(&ctx, SIZE, 1.0, &scene).unwrap();
    let sim = frames.scene_renderer().simulation();
    assert!(sim.in_progress(&scene), "a 64² map is not done in a frame");
    let mut off = scene.clone();
    off.features.convergence.enabled = false;
    assert!(!sim.in_progress(&off), "the map is off");
    // Control: without the map nothing at all is under way once the frame is drawn.
    frames.render_image(&ctx, SIZE, 1.0, &off).unwrap();
    assert!(!frames.scene_renderer().simulation().in_progress(&off));
}

/// While the viewer says a target handle is dragged, a heatmap of L draws from the coarse
/// field (`features::field::stage_drag`: ~1000 cells over the same region), close to the full map;
/// the first frame after the drag equals a fresh renderer's pixel for pixel. With the EF's
/// ellipses on (they read the target's half too), or without the drag flag (captures, tests),
/// no coarse field is used.
#[test]
fn a_drag_draws_the_heatmap_from_a_coarse_field_then_refines_it() {
    use fisherflow::scene::{EllipseSource, Heatmap, Preset, SceneEdit};
    use fisherflow::simulation::COARSE_CELLS;
    let Some(ctx) = common::gpu() else { return };
    for preset in [Preset::Seed, Preset::Unequal] {
        let start = preset_scene(preset, 96, Heatmap::Loss);
        let mut frames = FrameRenderer::new(&ctx, false).unwrap();
        frames.render_image(&ctx, SIZE, 1.0, &start).unwrap();
        let mut moved = start.clone();
        let t = moved.target();
        moved.apply(SceneEdit::SetTarget([t[0] + 0.2, t[1] - 0.1]));
        frames.scene_renderer_mut().set_dragging(true);
        let (_, dragged) = frames.render_image(&ctx, SIZE, 1.0, &moved).unwrap();
        let full = fisherflow::simulation::GridLayout::for_view(
            &moved,
            SIZE.map(|v| v as f32),
            moved.grid,
        );
        let sim = frames.scene_renderer().simulation();
        let (_, cells, coarse) = sim
            .coarse_field()
            .expect("a drag frame draws the coarse field");
        assert!(sim.needs_refinement());
        assert!(
            cells <= 2 * COARSE_CELLS && coarse.cell > 1.5 * full.cell,
            "{preset:?}: {cells} cells of {}",
            coarse.cell
        );
        // The same picture at a lower resolution: most pixels within a few 8-bit steps.
        let fresh = render(&ctx, &moved);
        let close = dragged
            .rgba
            .chunks(4)
            .zip(fresh.rgba.chunks(4))
            .filter(|(a, b)| (0..3).all(|k| a[k].abs_diff(b[k]) <= 12))
            .count();
        let share = close as f64 / (SIZE[0] * SIZE[1]) as f64;
        assert!(
            share > 0.9,
            "{preset:?}: {share} close ({})",
            keep(&dragged, "drag_coarse")
        );
        frames.scene_renderer_mut().set_dragging(false);
        let (_, rested) = frames.render_image(&ctx, SIZE, 1.0, &moved).unwrap();
        assert!(
            frames
                .scene_renderer()
                .simulation()
                .coarse_field()
                .is_none()
        );
        assert!(!frames.scene_renderer().simulation().needs_refinement());
        // (A target-only pass and a whole pass round the target's half alike to within the
        // 2/255 the deferred-pass test allows.)
        assert_eq!(
            channels_apart(&rested, &fresh),
            0,
            "{preset:?}: the frame after the drag is the full field ({})",
            keep(&rested, "drag_rested")
        );
        // Controls: the coarse frame is not the full one, and the EF's ellipses or the lack of
        // the drag flag keep the full field.
        assert!(
            channels_apart(&dragged, &fresh) > 100,
            "{preset:?}: the drag frame is coarse"
        );
        let mut again = moved.clone();
        again.apply(SceneEdit::SetTarget([t[0] - 0.2, t[1] + 0.1]));
        frames.render_image(&ctx, SIZE, 1.0, &again).unwrap();
        assert!(
            frames
                .scene_renderer()
                .simulation()
                .coarse_field()
                .is_none()
        );
        frames.scene_renderer_mut().set_dragging(true);
        let mut ef = moved.clone();
        ef.features.estimates.grid_ellipses = EllipseSource::EmpiricalFisher;
        frames.render_image(&ctx, SIZE, 1.0, &ef).unwrap();
        let mut ef_moved = ef.clone();
        ef_moved.apply(SceneEdit::SetTarget([t[0] + 0.3, t[1]]));
        frames.render_image(&ctx, SIZE, 1.0, &ef_moved).unwrap();
        assert!(
            frames
                .scene_renderer()
                .simulation()
                .coarse_field()
                .is_none(),
            "{preset:?}: EF ellipses read the full field"
        );
    }
}

/// One frame of `scene` into a canvas whose gamma view is a twin texture; with `sync` the
/// twin is brought up to date. Returns the canvas's and the twin's pixels.
fn draw_with_twin(ctx: &GpuContext, frames: &mut FrameRenderer, sync: bool) -> (Image, Image) {
    let canvas = Canvas::with_gamma_twin(&ctx.device, SIZE, CANVAS_FORMAT, "twin test");
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    let (_, overlay) = frames
        .encode(
            ctx,
            &mut encoder,
            &canvas.view,
            canvas.size,
            1.0,
            &Scene::default(),
        )
        .unwrap();
    assert!(overlay.is_empty());
    if sync {
        canvas.sync_gamma(&mut encoder);
    }
    ctx.queue.submit([encoder.finish()]);
    let main = canvas.read(ctx).unwrap();
    let twin = canvas.read_gamma_twin(ctx).expect("a twin").unwrap();
    (main, twin)
}

/// The viewer's canvas where the device cannot view a texture in another format (wgpu's GL
/// backend lacks `DownlevelFlags::VIEW_FORMATS`; `view --backend gl` panicked on it): egui
/// samples a twin texture in the non-sRGB format that `sync_gamma` fills by a copy. Taken by
/// hand here on lavapipe: after a frame and the sync the twin holds the canvas's bytes (a copy
/// between the sRGB and the plain format changes no byte, so egui reads the same gamma-encoded
/// values as through a reinterpreting view); without the sync it does not (negative control).
#[test]
fn the_gamma_twin_holds_the_canvas_bytes_after_a_sync() {
    let Some(ctx) = common::gpu() else { return };
    let mut frames = FrameRenderer::new(&ctx, false).unwrap();
    let (main, twin) = draw_with_twin(&ctx, &mut frames, true);
    let distinct: std::collections::HashSet<[u8; 4]> = main
        .rgba
        .chunks(4)
        .map(|p| [p[0], p[1], p[2], p[3]])
        .collect();
    assert!(
        distinct.len() > 50,
        "a real frame ({} colours)",
        distinct.len()
    );
    assert!(
        main == twin,
        "the twin differs from the canvas after the sync"
    );
    let (main, stale) = draw_with_twin(&ctx, &mut frames, false);
    assert!(main != stale, "without the sync the twin matched anyway");
}
