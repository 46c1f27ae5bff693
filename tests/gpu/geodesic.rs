//! The geodesic ball on the GPU (`shaders/geodesic.wgsl`) against its f64 mirror
//! (`cpu::geodesic`) and the half-plane's closed form, near the seed's singular diagonal, and
//! drawn (pixels of the ball's colour where the tips are). The comparator has negative
//! controls: a mirror run with another radius, a NaN tip and a flipped stop flag must fail.

use crate::common;
use crate::common::pixels::is_color;

use fisherflow::compute::geodesic::{
    BallReadback, GeodesicPipeline, evaluate_geodesic_ball, run_geodesic_ball,
};
use fisherflow::cpu::geodesic::{Geodesic, geodesic_ball};
use fisherflow::gpu::context::GpuContext;
use fisherflow::gpu::geodesic_data::{
    BallSpec, KAPPA_MAX, STEP_CAP, STOP_SINGULAR, STOP_STEP, SUBSTEP_BUDGET, geodesic_params,
};
use fisherflow::math::{Model, Param, QuadratureRule, Slice};

/// Q of the GPU ball's node table (the viewer's default: general_nodes(64) = 32).
const GPU_NODES: u32 = 32;

fn rule(q: u32) -> QuadratureRule {
    QuadratureRule::new(q).unwrap()
}

fn half_plane(mu0: f64, sigma0: f64, radius: f64, rays: u32, steps: u32) -> BallSpec {
    BallSpec {
        base: Model::from_array([1.0, mu0, 0.0, sigma0, 1.0]),
        slice: Slice::new(Param::Mu1, Param::Sigma1).unwrap(),
        probe: [mu0, sigma0],
        radius,
        rays,
        steps,
    }
}

fn seed(probe: [f64; 2], radius: f64) -> BallSpec {
    BallSpec {
        base: Model::seed(-1.5, 1.0, 1.0),
        slice: Slice::SEED,
        probe,
        radius,
        rays: 64,
        steps: 32,
    }
}

fn general_pi_mu1() -> BallSpec {
    BallSpec {
        base: Model::from_array([0.3, -0.5, 1.0, 0.6, 1.4]),
        slice: Slice::new(Param::Pi, Param::Mu1).unwrap(),
        probe: [0.3, -0.5],
        radius: 0.5,
        rays: 64,
        steps: 32,
    }
}

fn gpu_ball(ctx: &GpuContext, pipeline: &GeodesicPipeline, spec: &BallSpec) -> BallReadback {
    let r = rule(GPU_NODES);
    let params = geodesic_params(spec, &r).expect("the probe starts a ball");
    run_geodesic_ball(ctx, pipeline, &params, &r).unwrap()
}

fn mirror(spec: &BallSpec, q: u32) -> Vec<Geodesic> {
    geodesic_ball(spec, &rule(q)).expect("the probe starts a ball")
}

/// How a GPU ball compares with a mirror ball.
#[derive(Debug, Default)]
pub(crate) struct Comparison {
    /// Largest tip error of geodesics that reached length r in both, per coordinate relative to
    /// the ball's coordinate extent along that axis (the largest |tip offset| of the mirror).
    pub(crate) tip_error: f64,
    /// Geodesics whose stop flags differ.
    pub(crate) flag_mismatches: usize,
    /// Geodesics stopped in both.
    pub(crate) stopped: usize,
}

/// Compares tips and flags; Err lists what is not finite or beyond `tolerance` (relative tip
/// error) or has more than `allowed_flag_mismatches` differing flags.
pub(crate) fn compare(
    gpu: &BallReadback,
    mirror: &[Geodesic],
    tolerance: f64,
    allowed_flag_mismatches: usize,
) -> Result<Comparison, String> {
    if gpu.tips.len() != mirror.len() {
        return Err(format!(
            "{} GPU tips, {} mirror",
            gpu.tips.len(),
            mirror.len()
        ));
    }
    let mut extent = [0.0f64; 2];
    for g in mirror {
        for (e, t) in extent.iter_mut().zip(g.tip()) {
            *e = e.max(t.abs());
        }
    }
    let mut out = Comparison::default();
    let mut problems = Vec::new();
    for (i, g) in mirror.iter().enumerate() {
        let tip = gpu.tips[i];
        if !tip.iter().all(|v| v.is_finite())
            || !gpu.paths[i].iter().flatten().all(|v| v.is_finite())
        {
            problems.push(format!("ray {i}: GPU path not finite (tip {tip:?})"));
            continue;
        }
        if gpu.flags[i] != g.flags {
            out.flag_mismatches += 1;
            continue;
        }
        if g.flags != 0 {
            out.stopped += 1;
            continue;
        }
        let err = (0..2)
            .map(|k| (tip[k] as f64 - g.tip()[k]).abs() / extent[k].max(1e-300))
            .fold(0.0, f64::max);
        if err.is_nan() || err > tolerance {
            problems.push(format!(
                "ray {i}: GPU tip {tip:?} vs mirror {:?} ({err:.2e} of the extent)",
                g.tip()
            ));
        }
        out.tip_error = out.tip_error.max(err);
    }
    if out.flag_mismatches > allowed_flag_mismatches {
        problems.push(format!(
            "{} stop flags differ (allowed {allowed_flag_mismatches})",
            out.flag_mismatches
        ));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems.join("\n"))
    }
}

/// The half-plane's Fisher–Rao circle (MATH.md): the ellipse centred (μ0, σ0 cosh ρ) with
/// semi-axes √2σ0 sinh ρ (μ) and σ0 sinh ρ (σ), ρ = r/√2. Returns the radial error of a tip
/// (θ − probe) relative to the ellipse (0 on it).
fn half_plane_level(sigma0: f64, radius: f64, tip: [f64; 2]) -> f64 {
    let rho = radius / 2f64.sqrt();
    let dx = tip[0] / (2f64.sqrt() * sigma0 * rho.sinh());
    let dy = (sigma0 + tip[1] - sigma0 * rho.cosh()) / (sigma0 * rho.sinh());
    (dx * dx + dy * dy).sqrt() - 1.0
}

/// The f32 tolerance of a tip, relative to the ball's coordinate extent: the jet's sums carry
/// ~1e-6 relative rounding (κ-amplified in F⁻¹ near the singular set), 32 steps × 4 stages
/// accumulate it, and the positions are f32 offsets; 1e-3 leaves a decade over what is seen.
const GPU_TOLERANCE: f64 = 1e-3;

#[test]
fn gpu_ball_matches_the_f64_mirror_on_every_slice() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let pipeline = GeodesicPipeline::new(&ctx.device);
    let cases: [(&str, BallSpec, usize); 4] = [
        ("half-plane", half_plane(0.3, 0.8, 1.0, 64, 32), 0),
        ("seed, away from the diagonal", seed([1.2, 0.4], 0.5), 0),
        // Borderline stops (κ or the substep count at its limit at the same step) may fall
        // either side in f32: a few are allowed.
        ("seed, near the diagonal", seed([0.3, 0.1], 0.5), 3),
        ("(pi, mu1), π = 0.3, σ = 0.6, 1.4", general_pi_mu1(), 0),
    ];
    let mut failures = Vec::new();
    for (name, spec, allowed) in cases {
        let gpu = gpu_ball(ctx, &pipeline, &spec);
        let cpu = mirror(&spec, GPU_NODES);
        match compare(&gpu, &cpu, GPU_TOLERANCE, allowed) {
            Ok(c) => eprintln!(
                "{name}: tip error {:.2e} of the extent, {} stopped in both, {} flags differ",
                c.tip_error, c.stopped, c.flag_mismatches
            ),
            Err(e) => failures.push(format!("{name}:\n{e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn comparator_rejects_another_radius_a_nan_tip_and_a_flipped_flag() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let pipeline = GeodesicPipeline::new(&ctx.device);
    let spec = seed([1.2, 0.4], 0.5);
    let gpu = gpu_ball(ctx, &pipeline, &spec);
    let cpu = mirror(&spec, GPU_NODES);
    compare(&gpu, &cpu, GPU_TOLERANCE, 0).expect("the control itself must pass");
    // A mirror run 2% shorter.
    let shorter = mirror(
        &BallSpec {
            radius: 0.49,
            ..spec
        },
        GPU_NODES,
    );
    assert!(compare(&gpu, &shorter, GPU_TOLERANCE, 0).is_err());
    // A NaN tip.
    let mut nan = gpu.clone();
    nan.tips[5][1] = f32::NAN;
    let e = compare(&nan, &cpu, GPU_TOLERANCE, 0).unwrap_err();
    assert!(e.contains("ray 5"), "{e}");
    // A flipped stop flag.
    let mut flipped = gpu.clone();
    flipped.flags[7] ^= STOP_SINGULAR;
    let e = compare(&flipped, &cpu, GPU_TOLERANCE, 0).unwrap_err();
    assert!(e.contains("stop flags differ"), "{e}");
}

#[test]
fn half_plane_tips_lie_on_the_closed_form_circle() {
    let (mu0, sigma0, radius) = (0.3, 0.8, 1.0);
    // The mirror, tight: RK4 with 64 steps of h = 1/64.
    let spec = half_plane(mu0, sigma0, radius, 64, 64);
    let cpu = mirror(&spec, GPU_NODES);
    let worst = cpu
        .iter()
        .map(|g| half_plane_level(sigma0, radius, g.tip()).abs())
        .fold(0.0, f64::max);
    eprintln!("mirror (64 steps): worst radial error {worst:.2e}");
    assert!(cpu.iter().all(|g| g.flags == 0));
    assert!(
        worst < 1e-6,
        "mirror off the closed-form circle by {worst:.2e}"
    );
    // Negative control: the circle of another radius is missed.
    let off = cpu
        .iter()
        .map(|g| half_plane_level(sigma0, 1.02 * radius, g.tip()).abs())
        .fold(f64::INFINITY, f64::min);
    assert!(off > 1e-3, "the wrong circle fits too ({off:.2e})");
    // Mirror at the viewer's 32 steps.
    let cpu32 = mirror(&half_plane(mu0, sigma0, radius, 64, 32), GPU_NODES);
    let worst32 = cpu32
        .iter()
        .map(|g| half_plane_level(sigma0, radius, g.tip()).abs())
        .fold(0.0, f64::max);
    eprintln!("mirror (32 steps): worst radial error {worst32:.2e}");
    assert!(worst32 < 1e-5);

    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let r = rule(GPU_NODES);
    for steps in [32, 64] {
        let params = geodesic_params(&half_plane(mu0, sigma0, radius, 64, steps), &r).unwrap();
        let gpu = evaluate_geodesic_ball(ctx, &params, &r).unwrap();
        let worst_gpu = gpu
            .tips
            .iter()
            .map(|t| half_plane_level(sigma0, radius, [t[0] as f64, t[1] as f64]).abs())
            .fold(0.0, f64::max);
        eprintln!("GPU ({steps} steps): worst radial error {worst_gpu:.2e}");
        assert!(gpu.flags.iter().all(|&f| f == 0), "{:?}", gpu.flags);
        assert!(
            worst_gpu < 1e-4,
            "GPU off the closed-form circle by {worst_gpu:.2e}"
        );
    }
}

#[test]
fn near_the_seed_diagonal_geodesics_stay_finite_and_some_stop() {
    // Δ = 0.02σ: κ ≈ 5e3 at the probe, and the diagonal is ~1e-4 away in Fisher–Rao length.
    let spec = BallSpec {
        rays: 128,
        ..seed([0.51, 0.49], 0.3)
    };
    let cpu = mirror(&spec, GPU_NODES);
    let cpu_stopped = cpu.iter().filter(|g| g.flags != 0).count();
    assert!(cpu_stopped > 0, "the mirror stopped none");
    assert!(
        cpu.iter()
            .all(|g| g.path.iter().flatten().all(|v| v.is_finite()))
    );
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let r = rule(GPU_NODES);
    let gpu = evaluate_geodesic_ball(ctx, &geodesic_params(&spec, &r).unwrap(), &r).unwrap();
    let stopped = gpu.flags.iter().filter(|&&f| f != 0).count();
    let singular = gpu
        .flags
        .iter()
        .filter(|&&f| f & STOP_SINGULAR != 0)
        .count();
    let step = gpu.flags.iter().filter(|&&f| f & STOP_STEP != 0).count();
    eprintln!(
        "near the diagonal: {stopped}/{} GPU geodesics stopped ({singular} κ, {step} step \
         limit), mirror {cpu_stopped}",
        spec.rays
    );
    assert!(stopped > 0, "no GPU geodesic stopped near the diagonal");
    assert!(stopped < spec.rays as usize, "every GPU geodesic stopped");
    for (i, path) in gpu.paths.iter().enumerate() {
        assert!(
            path.iter()
                .flatten()
                .all(|v| v.is_finite() && v.abs() < 10.0),
            "ray {i}: {path:?}"
        );
    }
    // The mirror agrees where both ran the full length.
    let c = compare(&gpu, &cpu, GPU_TOLERANCE, spec.rays as usize / 20).unwrap();
    eprintln!("near the diagonal vs the mirror: {c:?}");
}

#[test]
fn the_mirror_at_q32_matches_q64() {
    for (name, spec) in [
        ("half-plane", half_plane(0.3, 0.8, 1.0, 32, 32)),
        ("seed", seed([1.2, 0.4], 0.5)),
        ("seed near the diagonal", seed([0.3, 0.1], 0.5)),
        ("(pi, mu1)", general_pi_mu1()),
    ] {
        let a = mirror(&spec, 32);
        let b = mirror(&spec, 64);
        let mut worst: f64 = 0.0;
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.flags, y.flags, "{name}");
            if x.flags == 0 {
                worst = worst.max(
                    (x.tip()[0] - y.tip()[0])
                        .abs()
                        .max((x.tip()[1] - y.tip()[1]).abs()),
                );
            }
        }
        eprintln!("{name}: Q = 32 vs 64, worst tip difference {worst:.2e}");
        // Q = 32 is the GPU's rule: it must not move a tip by more than ~1e-6 of r.
        assert!(worst < 2e-6 * spec.radius, "{name}: {worst:e}");
    }
}

#[test]
fn shader_constants_match_the_mirror() {
    let source = fisherflow::gpu::shader::spliced("geodesic.wgsl");
    let float = |name: &str| -> f64 {
        let prefix = format!("const {name}: f32 = ");
        source
            .lines()
            .find_map(|l| l.trim().strip_prefix(&prefix))
            .and_then(|rest| rest.trim_end_matches(';').parse().ok())
            .unwrap_or_else(|| panic!("geodesic.wgsl declares no {name}"))
    };
    assert_eq!(float("KAPPA_MAX"), KAPPA_MAX);
    assert_eq!(float("STEP_CAP") as f32, STEP_CAP as f32);
    assert!(source.contains(&format!("const SUBSTEP_BUDGET: u32 = {SUBSTEP_BUDGET}u;")));
}

/// Cost of the viewer's ball on this adapter: `cargo test --release --test gpu --
/// --ignored --nocapture`.
#[test]
#[ignore = "measurement: prints the ball cost table for the README; run by hand in release"]
fn measure_ball_cost() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let pipeline = GeodesicPipeline::new(&ctx.device);
    let r = rule(GPU_NODES);
    for (name, spec) in [
        ("half-plane", half_plane(0.3, 0.8, 1.0, 256, 32)),
        (
            "seed",
            BallSpec {
                rays: 256,
                ..seed([1.2, 0.4], 0.5)
            },
        ),
        (
            "(pi, mu1)",
            BallSpec {
                rays: 256,
                ..general_pi_mu1()
            },
        ),
    ] {
        let params = geodesic_params(&spec, &r).unwrap();
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let start = std::time::Instant::now();
            run_geodesic_ball(ctx, &pipeline, &params, &r).unwrap();
            best = best.min(start.elapsed().as_secs_f64() * 1e3);
        }
        let start = std::time::Instant::now();
        mirror(&spec, GPU_NODES);
        let cpu = start.elapsed().as_secs_f64() * 1e3;
        eprintln!(
            "{name}: {} rays × {} steps: GPU {best:.1} ms (alloc + dispatch + read-back, best \
             of 3), f64 mirror {cpu:.1} ms (one thread)",
            spec.rays, spec.steps
        );
    }
}

/// Of `points` (world), the fraction with a pixel of colour `hex` within 2 px.
fn coverage(
    image: &fisherflow::render::canvas::Image,
    camera: &fisherflow::scene::Camera,
    points: &[[f64; 2]],
    hex: u32,
) -> f64 {
    let size = [image.width as f32, image.height as f32];
    let hits = points
        .iter()
        .filter(|&&p| {
            let [x, y] = camera.world_to_pixel(p, size);
            (-2..=2).any(|dy| {
                (-2..=2).any(|dx| {
                    let (px, py) = (x.round() as i64 + dx, y.round() as i64 + dy);
                    px >= 0
                        && py >= 0
                        && (px as u32) < image.width
                        && (py as u32) < image.height
                        && is_color(image.pixel(px as u32, py as u32), hex, 40)
                })
            })
        })
        .count();
    hits as f64 / points.len() as f64
}

/// The layer draws the Fisher–Rao circle where the half-plane's closed form puts it, and the
/// dashed metric ellipse δᵀFδ = r² (F = diag(1, 2) at σ = 1: semi-axes r and r/√2); with the
/// ball off, neither colour appears there.
#[test]
fn the_ball_layer_draws_the_circle_and_the_metric_ellipse() {
    use fisherflow::features::geodesics::layer_ball::{BALL_COLOR, METRIC_ELLIPSE_COLOR};
    use fisherflow::frame::FrameRenderer;
    use fisherflow::scene::{Camera, Geodesics, Layers, Scene};
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let radius = 1.0;
    let mut scene = Scene {
        model: Model::from_array([1.0, 0.0, 0.0, 1.0, 1.0]),
        slice: Slice::new(Param::Mu1, Param::Sigma1).unwrap(),
        probe: Some([0.0, 1.0]),
        layers: Layers::NONE,
        camera: Camera {
            center: [0.0, 1.3],
            half_height: 1.6,
            x_per_y: 1.0,
        },
        ..Scene::default()
    };
    scene.features.geodesics = Geodesics {
        ball: true,
        radius,
        rays: 128,
        spokes: false,
        shortest_path: false,
    };
    let rho = radius / 2f64.sqrt();
    let circle: Vec<[f64; 2]> = (0..90)
        .map(|k| {
            let t = std::f64::consts::TAU * k as f64 / 90.0;
            [
                2f64.sqrt() * rho.sinh() * t.cos(),
                rho.cosh() + rho.sinh() * t.sin(),
            ]
        })
        .collect();
    let ellipse: Vec<[f64; 2]> = (0..90)
        .map(|k| {
            let t = std::f64::consts::TAU * k as f64 / 90.0;
            [radius * t.cos(), 1.0 + radius / 2f64.sqrt() * t.sin()]
        })
        .collect();
    let mut frames = FrameRenderer::new(ctx, false).unwrap();
    // The whole ball in this frame, as a capture's (the viewer spreads it over frames).
    frames.scene_renderer_mut().set_deterministic(true);
    let image = frames.render_image(ctx, [400, 400], 1.0, &scene).unwrap().1;
    let on_circle = coverage(&image, &scene.camera, &circle, BALL_COLOR);
    let on_ellipse = coverage(&image, &scene.camera, &ellipse, METRIC_ELLIPSE_COLOR);
    eprintln!("circle {on_circle:.2}, ellipse {on_ellipse:.2}");
    if on_circle < 0.95 || on_ellipse < 0.3 {
        let dir = format!("{}/target/test-output", env!("CARGO_MANIFEST_DIR"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(format!("{dir}/geodesic_ball.png"), image.to_png().unwrap()).unwrap();
    }
    assert!(
        on_circle >= 0.95,
        "circle drawn at {on_circle:.2} of the closed form's points"
    );
    assert!(
        on_ellipse >= 0.3,
        "metric ellipse at {on_ellipse:.2} of its points (dashed)"
    );
    // Negative control: the ball off.
    let mut off = scene.clone();
    off.features.geodesics.ball = false;
    let image = frames.render_image(ctx, [400, 400], 1.0, &off).unwrap().1;
    assert_eq!(coverage(&image, &scene.camera, &circle, BALL_COLOR), 0.0);
    assert_eq!(
        coverage(&image, &scene.camera, &ellipse, METRIC_ELLIPSE_COLOR),
        0.0
    );
}
