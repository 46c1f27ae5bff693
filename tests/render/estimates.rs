//! The Fisher-estimate layers rendered offscreen and checked on the pixels:
//!
//! * at the probe, each toggled estimate's ellipse (F, EF, EF_N, MC) is drawn in its colour
//!   around the probe, at the size the f64 estimates and the common radius give; an estimate
//!   toggled off leaves no pixel of its colour (negative control), and the legend names each;
//! * the grid's ellipse layer with source EF differs from the F layer away from θ* and matches
//!   it at θ* (EF = F where p_θ = p*).
//!
//! On failure the image is written to target/test-output/ for a look.

use crate::common;
use crate::common::pixels::{count_in_ring, is_color, keep};

use fisherflow::features::estimates::job::{EstimateKey, compute};
use fisherflow::features::estimates::layer::{ESTIMATES, F_RADIUS_PT, Which};
use fisherflow::frame::FrameRenderer;
use fisherflow::gpu::context::GpuContext;
use fisherflow::render::canvas::Image;
use fisherflow::render::layer::LegendItem;
use fisherflow::scene::{Camera, EllipseSource, Layers, Scene};

const SIZE: [u32; 2] = [400, 400];

/// Pixels of `hex` at distances in [r_min, r_max] px from the image centre.
fn ring_count(image: &Image, hex: u32, r_min: f64, r_max: f64) -> usize {
    let centre = [SIZE[0] as f64 / 2.0, SIZE[1] as f64 / 2.0];
    count_in_ring(image, centre, hex, r_min, r_max)
}

fn nothing_but(mut scene: Scene, ellipses: bool) -> Scene {
    scene.layers = Layers {
        ellipses,
        axes: false,
        handles: false,
        probe: false,
        particles: false,
        legend: true,
    };
    scene
}

/// The seed scene, the view centred on the probe.
fn probe_scene() -> Scene {
    let mut scene = nothing_but(Scene::default(), false);
    let probe = [1.2, 0.4];
    scene.probe = Some(probe);
    scene.camera = Camera {
        center: probe,
        half_height: 1.5,
        x_per_y: 1.0,
    };
    scene.features.estimates.at_probe = true;
    scene.features.estimates.samples = 200;
    scene
}

fn frames(ctx: &GpuContext) -> FrameRenderer {
    let mut frames = FrameRenderer::new(ctx, false).unwrap();
    // Wait for the worker's estimates, as screenshots do.
    frames.scene_renderer_mut().set_deterministic(true);
    frames
}

#[test]
fn estimate_ellipses_draw_in_their_colours_around_the_probe() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let mut frames = frames(ctx);
    let scene = probe_scene();
    let (info, image) = frames.render_image(ctx, SIZE, 1.0, &scene).unwrap();
    let path = keep(&image, "estimates_at_probe");
    let e = compute(&EstimateKey::for_scene(&scene).unwrap());
    // F's ellipse: semi-axes r/√λ whose geometric mean is F_RADIUS_PT (here 1 px per point);
    // every ellipse lies within the cap (6× that) of the probe.
    let f = e.fisher.eigen();
    let (long, short) = (
        F_RADIUS_PT * (f.lambda_max / f.lambda_min).powf(0.25),
        F_RADIUS_PT * (f.lambda_min / f.lambda_max).powf(0.25),
    );
    for (which, hex) in ESTIMATES {
        let (lo, hi) = if which == Which::Fisher {
            (short - 3.0, long + 3.0)
        } else {
            (2.0, 6.0 * F_RADIUS_PT + 3.0)
        };
        let n = ring_count(&image, hex, lo, hi);
        assert!(
            n > 40,
            "{which:?}: {n} pixels of #{hex:06x} near the probe: {path}"
        );
        // Nothing of F's colour outside its ellipse's ring.
        if which == Which::Fisher {
            let outside = ring_count(&image, hex, long + 4.0, 1e9);
            assert!(
                outside < 5,
                "F's colour outside its ring: {outside}: {path}"
            );
        }
    }
    // The legend names all four, with N.
    let legends = frames.scene_renderer().legends(&scene, &info);
    let text: Vec<String> = legends
        .iter()
        .flat_map(|l| l.items.iter())
        .filter_map(|i| match i {
            LegendItem::Swatch { label, .. } => Some(label.clone()),
            _ => None,
        })
        .collect();
    for which in [Which::Fisher, Which::Empirical] {
        assert!(text.contains(&which.label(200)), "{text:?}");
    }
    assert!(
        text.iter().any(|t| t.contains("200 samples of p*")),
        "{text:?}"
    );

    // Negative controls: MC toggled off leaves none of its colour; the layer off leaves none of
    // any; a probe-less scene draws nothing either.
    let mut off = scene.clone();
    off.features.estimates.monte_carlo = false;
    let image = frames.render_image(ctx, SIZE, 1.0, &off).unwrap().1;
    let mc = ESTIMATES[3].1;
    assert_eq!(ring_count(&image, mc, 0.0, 1e9), 0, "MC off");
    assert!(
        ring_count(&image, ESTIMATES[0].1, 0.0, 1e9) > 40,
        "F still on"
    );
    let mut none = scene.clone();
    none.features.estimates.at_probe = false;
    let image = frames.render_image(ctx, SIZE, 1.0, &none).unwrap().1;
    for (which, hex) in ESTIMATES {
        assert_eq!(
            ring_count(&image, hex, 0.0, 1e9),
            0,
            "{which:?} with the layer off"
        );
    }
}

/// Pixels that differ by more than 24 in some channel.
fn differing(a: &Image, b: &Image) -> f64 {
    let n = a
        .rgba
        .chunks_exact(4)
        .zip(b.rgba.chunks_exact(4))
        .filter(|(p, q)| (0..3).any(|c| (p[c] as i32 - q[c] as i32).abs() > 24))
        .count();
    n as f64 / (a.width * a.height) as f64
}

#[test]
fn ef_grid_ellipses_match_f_at_the_target_and_differ_away_from_it() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let mut frames = frames(ctx);
    let render = |frames: &mut FrameRenderer, center: [f64; 2], source: EllipseSource| {
        let mut scene = nothing_but(Scene::default(), true);
        scene.layers.legend = false;
        scene.probe = None;
        scene.grid = 12;
        scene.camera = Camera {
            center,
            half_height: 0.02,
            x_per_y: 1.0,
        };
        scene.features.estimates.grid_ellipses = source;
        frames.render_image(ctx, SIZE, 1.0, &scene).unwrap().1
    };
    // The default scene's θ* is (−1.5, 1): cells within 0.03 of it (σ = 1), where EF = F to
    // first order in the distance (a view of ±0.2 already shows 9% of pixels changed at its
    // corners).
    let target = Scene::default().target();
    let at_f = render(&mut frames, target, EllipseSource::Fisher);
    let at_ef = render(&mut frames, target, EllipseSource::EmpiricalFisher);
    let near = differing(&at_f, &at_ef);
    // Away from θ* (and from the diagonal): EF = C + ∇L∇Lᵀ is another matrix.
    let away = [2.5, -1.0];
    let far_f = render(&mut frames, away, EllipseSource::Fisher);
    let far_ef = render(&mut frames, away, EllipseSource::EmpiricalFisher);
    let far = differing(&far_f, &far_ef);
    let paths = [
        keep(&at_f, "grid_f_at_target"),
        keep(&at_ef, "grid_ef_at_target"),
        keep(&far_f, "grid_f_away"),
        keep(&far_ef, "grid_ef_away"),
    ];
    eprintln!("differing pixels: at θ* {near:.4}, away {far:.4}");
    assert!(near < 0.01, "EF ≠ F at θ*: {near}: {paths:?}");
    assert!(far > 0.05, "EF = F away from θ*: {far}: {paths:?}");
    // The drawn glyphs are there at all (a blank pair would 'match' trivially).
    let background = fisherflow::render::colormap::palette::BACKGROUND;
    let glyphs = at_ef
        .rgba
        .chunks_exact(4)
        .filter(|p| !is_color([p[0], p[1], p[2], p[3]], background, 6))
        .count();
    assert!(glyphs > 20_000, "only {glyphs} glyph pixels: {paths:?}");
}
