//! Offscreen renders of the heatmap layer, read back as colours and decoded through the colour
//! map (`render::colormap::colormap_srgb`) into positions t on the scale, then checked against
//! the f64 reference at the same points (`features::heatmap::layer::value_at` on the layer's own scale
//! `scene_scale`): every heatmap on a lattice of pixels; log κ high at the diagonal and ~0 far
//! from it; √det F on the half-plane falling along σ and flat along μ; L lowest at θ* with
//! contour lines; smoothness at a coarse grid (no cell steps, with a step pattern as the
//! negative control); heatmap = none draws nothing; the region outside the model shows only
//! its fill and hatch. On failure the image is written to target/test-output/.

use crate::common;
use crate::common::pixels::keep;

use fisherflow::features::heatmap::layer::{HeatScale, HeatValue, scene_scale, value_at};
use fisherflow::frame::FrameRenderer;
use fisherflow::gpu::context::GpuContext;
use fisherflow::math::Model;
use fisherflow::render::canvas::Image;
use fisherflow::render::colormap::{colormap_srgb, palette};
use fisherflow::scene::{Camera, Heatmap, Layers, Preset, Scene, SceneEdit};

const SIZE: [u32; 2] = [240, 240];

fn render(ctx: &GpuContext, scene: &Scene) -> Image {
    let mut frames = FrameRenderer::new(ctx, false).unwrap();
    frames.render_image(ctx, SIZE, 1.0, scene).unwrap().1
}

/// `scene` with `heatmap` under its layers.
fn with_heatmap(mut scene: Scene, heatmap: Heatmap) -> Scene {
    scene.features.heatmap = heatmap;
    scene
}

/// Only the heatmap: every other layer off.
fn heat_only(scene: Scene, heatmap: Heatmap) -> Scene {
    let mut scene = Scene {
        layers: Layers::NONE,
        ..scene
    };
    scene.features.heatmap = heatmap;
    scene
}

/// The seed's slice, σ = 1, θ* = (−1.5, 1), the view ±3 about the origin.
fn seed() -> Scene {
    Scene {
        model: Model::seed(-1.5, 1.0, 1.0),
        grid: 48,
        camera: Camera {
            center: [0.0, 0.0],
            half_height: 3.0,
            x_per_y: 1.0,
        },
        ..Scene::default()
    }
}

fn half_plane() -> Scene {
    let mut scene = Scene::default();
    scene.apply(SceneEdit::ApplyPreset(Preset::HalfPlane));
    scene
}

/// The world point at the centre of pixel (x, y) (row 0 at the top).
fn world(scene: &Scene, x: u32, y: u32) -> [f64; 2] {
    let c = &scene.camera;
    let wpp = 2.0 * c.half_height / SIZE[1] as f64;
    [
        c.center[0] + (x as f64 + 0.5 - SIZE[0] as f64 / 2.0) * wpp * c.x_per_y,
        c.center[1] + (SIZE[1] as f64 / 2.0 - (y as f64 + 0.5)) * wpp,
    ]
}

/// The colour map position of a pixel and how far (in 8-bit steps, max over channels) its
/// colour is from the map there.
fn decode(p: [u8; 4]) -> (f64, f64) {
    let mut best = (0.0, f64::INFINITY);
    for i in 0..=2000 {
        let t = i as f32 / 2000.0;
        let c = colormap_srgb(t);
        let d = (0..3)
            .map(|k| (p[k] as f64 - c[k] as f64 * 255.0).abs())
            .fold(0.0, f64::max);
        if d < best.1 {
            best = (t as f64, d);
        }
    }
    best
}

/// On the map (not background, not a contour line).
const ON_MAP: f64 = 3.0;

fn is_background(p: [u8; 4]) -> bool {
    let b = palette::BACKGROUND;
    let want = [(b >> 16) & 255, (b >> 8) & 255, b & 255];
    (0..3).all(|k| (p[k] as i32 - want[k] as i32).abs() <= 1)
}

/// Where the f64 reference puts `xy` on `scale` (clamped like the shader; ∞ at the top).
fn expected_t(scene: &Scene, heatmap: Heatmap, scale: &HeatScale, xy: [f64; 2]) -> Option<f64> {
    match value_at(scene, heatmap, xy, 64) {
        HeatValue::Finite(v) if v > 0.0 || !scale.log => Some(scale.t(v).clamp(0.0, 1.0)),
        HeatValue::Finite(_) => Some(0.0),
        HeatValue::Infinite => Some(1.0),
        HeatValue::Undefined(_) => None,
    }
}

#[test]
fn every_heatmap_matches_the_f64_reference_on_a_lattice() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    for heatmap in Heatmap::ALL.into_iter().filter(|h| *h != Heatmap::None) {
        for (name, base) in [("seed", seed()), ("half_plane", half_plane())] {
            if !base.offers(fisherflow::scene::Feature::Heatmap(heatmap)) {
                continue;
            }
            let scene = heat_only(Scene { grid: 64, ..base }, heatmap);
            let image = render(ctx, &scene);
            let scale = scene_scale(&scene, heatmap, [SIZE[0] as f32, SIZE[1] as f32]).unwrap();
            let (mut compared, mut failures) = (0, Vec::new());
            for i in 1..8 {
                for j in 1..8 {
                    let (x, y) = (i * SIZE[0] / 8, j * SIZE[1] / 8);
                    let xy = world(&scene, x, y);
                    // Skip where the value changes faster than a cell resolves: the seed's
                    // singular diagonal, and the half-plane's σ ≤ 0.3 (outside the model, or a
                    // cell from it).
                    if (name == "seed" && (xy[0] - xy[1]).abs() < 0.6)
                        || (name == "half_plane" && xy[1] < 0.3)
                    {
                        continue;
                    }
                    let (t, distance) = decode(image.pixel(x, y));
                    let Some(want) = expected_t(&scene, heatmap, &scale, xy) else {
                        continue;
                    };
                    if distance > ON_MAP {
                        // A contour line (the loss) lands here: not comparable.
                        assert_eq!(heatmap, Heatmap::Loss, "{name} {heatmap:?} at {xy:?}");
                        continue;
                    }
                    compared += 1;
                    if (t - want).abs() > 0.03 {
                        failures.push(format!("{xy:?}: drawn t = {t:.3}, f64 t = {want:.3}"));
                    }
                }
            }
            if compared < 15 || !failures.is_empty() {
                let path = keep(&image, &format!("heatmap_lattice_{name}_{heatmap:?}"));
                panic!(
                    "{name} {heatmap:?} ({scale:?}): {compared} compared, mismatches:\n{}\n{path}",
                    failures.join("\n")
                );
            }
        }
    }
}

#[test]
fn log_kappa_is_high_at_the_diagonal_and_low_far_from_it() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let scene = heat_only(seed(), Heatmap::Log10Kappa);
    let image = render(ctx, &scene);
    // The diagonal runs corner to corner; (30, 30) from the top left is (μ1, μ2) ≈ (−2.2, 2.2),
    // 3.1σ apart.
    let (on, _) = decode(image.pixel(SIZE[0] / 2, SIZE[1] / 2));
    let (far, _) = decode(image.pixel(30, 30));
    let path = keep(&image, "heatmap_kappa");
    assert!(on > 0.35, "log κ at the diagonal: t = {on} ({path})");
    assert!(far < 0.05, "κ ≈ 1 far from it: t = {far} ({path})");
    // Across the diagonal (along the anti-diagonal) t rises towards it and falls after, where
    // κ ≈ 2σ²/Δ² (|Δ| < 1.2σ: past Δ ≈ 1.64σ the eigenvalues cross and κ rises again).
    let mut previous: Option<(f64, f64)> = None;
    for k in (0..SIZE[0]).step_by(3) {
        let w = world(&scene, k, k);
        let d = (w[0] - w[1]).abs();
        if !(0.2..=1.2).contains(&d) {
            previous = None;
            continue;
        }
        let t = decode(image.pixel(k, k)).0;
        if let Some((d0, t0)) = previous {
            let rising = d < d0;
            assert!(
                if rising {
                    t >= t0 - 0.01
                } else {
                    t <= t0 + 0.01
                },
                "t {t0} -> {t} as |Δ| {d0} -> {d} ({path})"
            );
        }
        previous = Some((d, t));
    }
}

#[test]
fn jeffreys_on_the_half_plane_falls_along_sigma_and_not_along_mu() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let scene = heat_only(half_plane(), Heatmap::Jeffreys);
    let image = render(ctx, &scene);
    let path = keep(&image, "heatmap_jeffreys");
    let column: Vec<f64> = (0..SIZE[1])
        .filter(|&y| world(&scene, 0, y)[1] > 0.3)
        .map(|y| decode(image.pixel(SIZE[0] / 2, y)).0)
        .collect();
    assert!(column.len() > 100, "{path}");
    // Row 0 is the top (largest σ): √2/σ² grows down the column.
    for w in column.windows(2) {
        assert!(w[1] >= w[0] - 0.004, "not monotone along σ: {w:?} ({path})");
    }
    assert!(column.last().unwrap() - column[0] > 0.3, "{path}");
    for y in [40, 120, 200] {
        if world(&scene, 0, y)[1] <= 0.3 {
            continue;
        }
        let row: Vec<f64> = (0..SIZE[0])
            .step_by(10)
            .map(|x| decode(image.pixel(x, y)).0)
            .collect();
        let spread = row.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            - row.iter().copied().fold(f64::INFINITY, f64::min);
        assert!(
            spread < 0.01,
            "changes along μ at row {y}: {row:?} ({path})"
        );
    }
}

#[test]
fn loss_is_lowest_at_the_target_with_contour_lines() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let scene = heat_only(seed(), Heatmap::Loss);
    let image = render(ctx, &scene);
    let path = keep(&image, "heatmap_loss");
    // The target's pixel.
    let t = scene.target();
    let wpp = 2.0 * scene.camera.half_height / SIZE[1] as f64;
    let px = ((t[0] - scene.camera.center[0]) / wpp + SIZE[0] as f64 / 2.0) as u32;
    let py = (SIZE[1] as f64 / 2.0 - (t[1] - scene.camera.center[1]) / wpp) as u32;
    let (at_target, _) = decode(image.pixel(px, py));
    let mut max_t: f64 = 0.0;
    let mut line_pixels = 0;
    let twin = scene.twin().unwrap();
    let near_a_minimum = |w: [f64; 2]| {
        [t, twin]
            .iter()
            .any(|m| (w[0] - m[0]).hypot(w[1] - m[1]) < 0.6)
    };
    for y in 0..SIZE[1] {
        for x in 0..SIZE[0] {
            let (tx, d) = decode(image.pixel(x, y));
            if d > 12.0 {
                line_pixels += 1;
                continue;
            }
            max_t = max_t.max(tx);
            // The bottom of the scale only around θ* and its twin (where L = 0).
            let w = world(&scene, x, y);
            assert!(
                d > ON_MAP || tx > 0.08 || near_a_minimum(w),
                "t = {tx} at {w:?}, away from θ* and its twin ({path})"
            );
        }
    }
    // L = 0 at θ*: the scale's bottom there (the interpolation between cells lifts the minimum
    // a little).
    assert!(at_target < 0.06, "t at θ* = {at_target} ({path})");
    assert!(
        max_t > 0.8,
        "far away the loss tops the scale: {max_t} ({path})"
    );
    // Contour lines: lighter pixels off the colour map, a few percent of the canvas.
    let total = (SIZE[0] * SIZE[1]) as usize;
    assert!(
        line_pixels > total / 100 && line_pixels < total / 4,
        "{line_pixels} contour pixels of {total} ({path})"
    );
    // Negative control: log κ has no contours.
    let kappa = render(ctx, &heat_only(seed(), Heatmap::Log10Kappa));
    let off_map = (0..SIZE[1])
        .flat_map(|y| (0..SIZE[0]).map(move |x| (x, y)))
        .filter(|&(x, y)| decode(kappa.pixel(x, y)).1 > 12.0)
        .count();
    assert!(
        off_map < total / 1000,
        "{off_map} off-map pixels without contours"
    );
}

/// The empirical Fisher's gap ‖EF − F‖/‖F‖ is lowest at θ* and its twin (the same
/// distribution, where EF = F) and high elsewhere, most of all next to the singular diagonal.
#[test]
fn ef_gap_is_lowest_at_the_target_and_its_twin() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let scene = heat_only(seed(), Heatmap::EfGap);
    let image = render(ctx, &scene);
    let path = keep(&image, "heatmap_ef_gap");
    let pixel_of = |w: [f64; 2]| {
        let wpp = 2.0 * scene.camera.half_height / SIZE[1] as f64;
        let px = ((w[0] - scene.camera.center[0]) / wpp + SIZE[0] as f64 / 2.0) as u32;
        let py = (SIZE[1] as f64 / 2.0 - (w[1] - scene.camera.center[1]) / wpp) as u32;
        decode(image.pixel(px, py)).0
    };
    let (t, twin) = (scene.target(), scene.twin().unwrap());
    let (at_target, at_twin) = (pixel_of(t), pixel_of(twin));
    let mut samples = Vec::new();
    for y in (0..SIZE[1]).step_by(6) {
        for x in (0..SIZE[0]).step_by(6) {
            let w = world(&scene, x, y);
            let near = [t, twin]
                .iter()
                .any(|m| (w[0] - m[0]).hypot(w[1] - m[1]) < 0.8);
            let (tx, d) = decode(image.pixel(x, y));
            if !near && d <= ON_MAP {
                samples.push(tx);
            }
        }
    }
    samples.sort_by(f64::total_cmp);
    let median_away = samples[samples.len() / 2];
    assert!(
        at_target < median_away - 0.15 && at_twin < median_away - 0.15,
        "t at θ* {at_target}, at the twin {at_twin}, median away {median_away} ({path})"
    );
    // Negative control: the Jeffreys map has no dip at θ* (it does not know the target).
    let jeffreys = render(ctx, &heat_only(seed(), Heatmap::Jeffreys));
    let wpp = 2.0 * scene.camera.half_height / SIZE[1] as f64;
    let px = ((t[0] - scene.camera.center[0]) / wpp + SIZE[0] as f64 / 2.0) as u32;
    let py = (SIZE[1] as f64 / 2.0 - (t[1] - scene.camera.center[1]) / wpp) as u32;
    let beside = decode(jeffreys.pixel(px + 30, py)).0;
    assert!(
        (decode(jeffreys.pixel(px, py)).0 - beside).abs() < 0.1,
        "√det F dips at θ*"
    );
}

/// Largest jump between vertical neighbours, against the per-cell change of the column: a
/// bilinear map changes by about 1/(pixels per cell) of a cell's change per pixel, a
/// nearest-cell map by the whole of it at the cell edges.
fn blockiness(column: &[f64], px_per_cell: usize) -> f64 {
    let max_step = column
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f64::max);
    let per_cell = column
        .windows(px_per_cell + 1)
        .map(|w| (w[px_per_cell] - w[0]).abs())
        .fold(0.0, f64::max);
    max_step / per_cell.max(1e-9)
}

#[test]
fn a_coarse_grid_gives_a_smooth_map_not_cells() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    // 8 cells across 240 px: 30 px per cell.
    let scene = heat_only(
        Scene {
            grid: 8,
            ..half_plane()
        },
        Heatmap::Jeffreys,
    );
    let image = render(ctx, &scene);
    let path = keep(&image, "heatmap_coarse");
    let column: Vec<f64> = (0..SIZE[1])
        .filter(|&y| world(&scene, 0, y)[1] > 0.6)
        .map(|y| decode(image.pixel(SIZE[0] / 3, y)).0)
        .collect();
    let smooth = blockiness(&column, 30);
    assert!(smooth < 0.15, "blockiness {smooth} ({path})");
    // Negative control: the same column sampled nearest-cell (constant over 30 px).
    let stepped: Vec<f64> = (0..column.len())
        .map(|i| column[(i / 30) * 30 + 15.min(column.len() - 1 - (i / 30) * 30)])
        .collect();
    assert!(blockiness(&stepped, 30) > 0.5, "the measure must see steps");
    let max_neighbour = column
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f64::max);
    assert!(
        max_neighbour < 0.02,
        "neighbouring pixels jump by {max_neighbour} ({path})"
    );
}

#[test]
fn a_dense_grid_draws_per_pixel_and_matches_the_reference() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    // 160 cells across 240 px: 1.5 px cells, under `MIN_CELL_AREA_PX`, so the layer draws the
    // full-canvas per-pixel path instead of the cell blocks the other tests see.
    let scene = heat_only(
        Scene {
            grid: 160,
            ..half_plane()
        },
        Heatmap::Jeffreys,
    );
    let cell_px = SIZE[1] as f32 / scene.grid as f32;
    assert!(cell_px * cell_px < fisherflow::features::heatmap::layer::MIN_CELL_AREA_PX);
    let image = render(ctx, &scene);
    let scale = scene_scale(&scene, Heatmap::Jeffreys, [SIZE[0] as f32, SIZE[1] as f32]).unwrap();
    let mut compared = 0;
    for i in 1..8 {
        for j in 1..8 {
            let (x, y) = (i * SIZE[0] / 8, j * SIZE[1] / 8);
            let xy = world(&scene, x, y);
            if xy[1] < 0.3 {
                continue;
            }
            let want = expected_t(&scene, Heatmap::Jeffreys, &scale, xy).unwrap();
            let (t, distance) = decode(image.pixel(x, y));
            let path = keep(&image, "heatmap_dense");
            assert!(distance <= ON_MAP, "off the map at {xy:?} ({path})");
            assert!(
                (t - want).abs() < 0.03,
                "{xy:?}: t = {t}, f64 {want} ({path})"
            );
            compared += 1;
        }
    }
    assert!(compared >= 15, "{compared} compared");
}

#[test]
fn heatmap_none_draws_nothing_and_a_heatmap_covers_the_canvas() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let none = render(ctx, &heat_only(seed(), Heatmap::None));
    let total = (SIZE[0] * SIZE[1]) as usize;
    let bg = none
        .rgba
        .chunks(4)
        .filter(|p| is_background([p[0], p[1], p[2], p[3]]))
        .count();
    assert_eq!(bg, total, "heatmap none leaves the background");
    let kappa = render(ctx, &heat_only(seed(), Heatmap::Log10Kappa));
    let bg = kappa
        .rgba
        .chunks(4)
        .filter(|p| is_background([p[0], p[1], p[2], p[3]]))
        .count();
    assert_eq!(bg, 0, "log κ is defined everywhere on the seed's slice");
}

#[test]
fn outside_the_model_nothing_is_coloured() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    // The half-plane with σ from −2 to 2: the lower half lies outside the model.
    let scene = heat_only(
        Scene {
            camera: Camera {
                center: [0.0, 0.0],
                half_height: 2.0,
                x_per_y: 1.0,
            },
            grid: 32,
            ..half_plane()
        },
        Heatmap::Jeffreys,
    );
    let image = render(ctx, &scene);
    let path = keep(&image, "heatmap_outside");
    let cell = 4.0 / 32.0;
    for y in (0..SIZE[1]).step_by(7) {
        for x in (0..SIZE[0]).step_by(7) {
            let sigma = world(&scene, x, y)[1];
            let p = image.pixel(x, y);
            if sigma < -cell {
                // The renderer's fill and hatch of the outside, nothing of the heatmap.
                let band = crate::outside::hatch_coverage(p, crate::outside::filled_background());
                assert!(band.is_some(), "coloured at σ = {sigma}: {p:?} ({path})");
            } else if sigma > 2.0 * cell {
                assert!(
                    decode(p).1 <= ON_MAP,
                    "not on the map at σ = {sigma}: {p:?} ({path})"
                );
            }
        }
    }
}

/// The scene pass's wall time (median of 15 frames, after 3 warm-up frames) at 1280 × 720 with
/// each heatmap against none, every other layer off, then with the default layers. A
/// measurement, not a check: `cargo test --release --test render -- --ignored
/// --nocapture frame_cost`.
#[test]
#[ignore = "measurement: prints the frame cost per heatmap; timing belongs in benchmarks, run by hand in release"]
fn frame_cost() {
    use fisherflow::render::canvas::Canvas;
    use fisherflow::render::{CANVAS_FORMAT, SceneRenderer};
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let size = [1280, 720];
    let target = Canvas::new(&ctx.device, size, CANVAS_FORMAT, "frame cost");
    let mut renderer = SceneRenderer::new(ctx, CANVAS_FORMAT).unwrap();
    let mut median = |scene: &Scene| {
        let mut times: Vec<f64> = (0..18)
            .map(|_| {
                let (_, t) = renderer
                    .render_timed(ctx, &target.view, size, 1.0, scene)
                    .unwrap();
                t[2]
            })
            .skip(3)
            .collect();
        times.sort_by(f64::total_cmp);
        times[times.len() / 2]
    };
    let quick = std::env::var_os("HEATMAP_COST_QUICK").is_some();
    for (name, base) in [("seed", seed()), ("half-plane", half_plane())] {
        for layers in ["heatmap only", "default layers"] {
            for heatmap in Heatmap::ALL {
                if !base.offers(fisherflow::scene::Feature::Heatmap(heatmap)) {
                    continue;
                }
                if quick
                    && (name != "seed"
                        || layers != "heatmap only"
                        || !matches!(heatmap, Heatmap::None | Heatmap::Log10Kappa))
                {
                    continue;
                }
                let scene = if layers == "heatmap only" {
                    heat_only(base.clone(), heatmap)
                } else {
                    with_heatmap(base.clone(), heatmap)
                };
                println!(
                    "{name}, {layers}, grid {}: {:?}: scene pass {:.2} ms",
                    scene.grid,
                    heatmap,
                    median(&scene)
                );
            }
        }
    }
}

/// `HeatmapParams` in Rust and in WGSL have one size (naga's layout of the spliced shader).
#[test]
fn heatmap_params_match_the_shader_struct() {
    use fisherflow::features::heatmap::layer::HeatmapParams;
    use fisherflow::gpu::shader::spliced;
    let source = spliced("heatmap.wgsl");
    let module = naga::front::wgsl::parse_str(&source).unwrap();
    let mut layouter = naga::proc::Layouter::default();
    layouter.update(module.to_ctx()).unwrap();
    let (handle, _) = module
        .types
        .iter()
        .find(|(_, t)| t.name.as_deref() == Some("HeatmapParams"))
        .expect("HeatmapParams in heatmap.wgsl");
    assert_eq!(
        layouter[handle].size as usize,
        size_of::<HeatmapParams>(),
        "WGSL HeatmapParams and the Rust struct differ"
    );
}

/// The heatmap is the canvas's backdrop: drawn once into a texture of the canvas's format and
/// copied into the canvas each frame (`LayerCache::copy_into`). A target that takes no copies
/// gets the same texture composited instead; both must give the same pixels, also on a second
/// frame that reuses the cache, and a different heatmap must not (negative control).
#[test]
fn the_copied_backdrop_equals_the_composited_one() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let scene = with_heatmap(half_plane(), Heatmap::Loss);
    let mut frames = FrameRenderer::new(ctx, false).unwrap();
    let copied = frames.render_image(ctx, SIZE, 1.0, &scene).unwrap().1;
    let again = frames.render_image(ctx, SIZE, 1.0, &scene).unwrap().1;
    assert!(copied.rgba == again.rgba, "the cached frame differs");
    let format = frames.scene_renderer().format();
    let texture = ctx.device.create_texture(&wgpu::TextureDescriptor {
        label: Some("no copies"),
        size: wgpu::Extent3d {
            width: SIZE[0],
            height: SIZE[1],
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    });
    let canvas = fisherflow::render::canvas::Canvas::wrap(texture, SIZE, format);
    let composited = |frames: &mut FrameRenderer, scene: &Scene| {
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        let (_, mut buffers) = frames
            .encode(ctx, &mut encoder, &canvas.view, SIZE, 1.0, scene)
            .unwrap();
        buffers.push(encoder.finish());
        ctx.queue.submit(buffers);
        canvas.read(ctx).unwrap()
    };
    let image = composited(&mut frames, &scene);
    let path = keep(&image, "heatmap_composited");
    let differing = (0..copied.rgba.len())
        .filter(|&i| copied.rgba[i].abs_diff(image.rgba[i]) > 1)
        .count();
    assert_eq!(differing, 0, "composite against copy ({path})");
    let other = composited(&mut frames, &with_heatmap(scene, Heatmap::Jeffreys));
    let differing = (0..copied.rgba.len())
        .filter(|&i| copied.rgba[i].abs_diff(other.rgba[i]) > 1)
        .count();
    assert!(differing > 1000, "another heatmap differs: {differing}");
}
