//! The policy plane's geodesic ball (`shaders/geodesic_policy.wgsl`: the shared integrator on
//! the closed-form jet of F = Σ_K/σ²) against its f64 mirror (`cpu::geodesic::
//! policy_geodesic_ball`) on both plants, within 1e-5 of the ball's extent; a small ball's
//! tips on the metric ellipse δᵀFδ = r²; a ball about a probe near the triangle's edge stopping
//! its rays where they leave the model, in both. Negative control: the mirror of another radius.

use crate::common;
use crate::geodesic::compare;

use fisherflow::compute::geodesic::{BallReadback, GeodesicPipeline, run_geodesic_ball};
use fisherflow::cpu::geodesic::{Geodesic, policy_geodesic_ball};
use fisherflow::gpu::context::GpuContext;
use fisherflow::gpu::geodesic_data::{STOP_OUTSIDE, policy_geodesic_params};
use fisherflow::math::QuadratureRule;
use fisherflow::math::family::Plane;
use fisherflow::math::policy::{PolicyPlane, System};

/// The policy plane's tolerance, relative to the ball's extent (the bar).
const TOLERANCE: f64 = 1e-5;

struct Ball {
    system: System,
    probe: [f64; 2],
    radius: f64,
    rays: u32,
    steps: u32,
}

fn gpu(ctx: &GpuContext, pipeline: &GeodesicPipeline, b: &Ball) -> BallReadback {
    let params = policy_geodesic_params(&b.system, b.probe, b.radius, b.rays, b.steps)
        .expect("the probe starts a ball");
    // The node table is bound but unused on the policy plane.
    run_geodesic_ball(ctx, pipeline, &params, &QuadratureRule::new(16).unwrap()).unwrap()
}

fn mirror(b: &Ball) -> Vec<Geodesic> {
    policy_geodesic_ball(&b.system, b.probe, b.radius, b.rays, b.steps)
        .expect("the probe starts a ball")
}

fn balls() -> Vec<(&'static str, Ball)> {
    vec![
        (
            "pendulum at (31.6, 3.2), r = 15",
            Ball {
                system: "plant=pendulum".parse().unwrap(),
                probe: [31.6, 3.2],
                radius: 15.0,
                rays: 64,
                steps: 32,
            },
        ),
        (
            "cart (friction 0.5, dt 0.1) at (2, 3), r = 4",
            Ball {
                system: "plant=cart,friction=0.5,dt=0.1".parse().unwrap(),
                probe: [2.0, 3.0],
                radius: 4.0,
                rays: 64,
                steps: 32,
            },
        ),
    ]
}

#[test]
fn policy_ball_matches_its_f64_mirror() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let pipeline = GeodesicPipeline::policy(&ctx.device);
    for (name, ball) in balls() {
        let g = gpu(ctx, &pipeline, &ball);
        let m = mirror(&ball);
        let c = compare(&g, &m, TOLERANCE, 0).unwrap_or_else(|e| panic!("{name}: {e}"));
        eprintln!(
            "{name}: tips within {:.2e} of the extent, {} stopped",
            c.tip_error, c.stopped
        );
        // Negative control: the mirror of a ball 1% larger is beyond the tolerance.
        let other = Ball {
            radius: ball.radius * 1.01,
            ..ball
        };
        assert!(
            compare(&g, &mirror(&other), TOLERANCE, 0).is_err(),
            "{name}: control passed"
        );
    }
}

#[test]
fn a_small_balls_tips_lie_on_the_metric_ellipse() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let pipeline = GeodesicPipeline::policy(&ctx.device);
    let system: System = "plant=pendulum".parse().unwrap();
    let probe = [25.0, 6.0];
    let radius = 0.05;
    let f = PolicyPlane::new(&system).metric(probe);
    let ball = Ball {
        system,
        probe,
        radius,
        rays: 32,
        steps: 8,
    };
    let g = gpu(ctx, &pipeline, &ball);
    for (i, tip) in g.tips.iter().enumerate() {
        let d = [tip[0] as f64, tip[1] as f64];
        let q = (f.xx * d[0] * d[0] + 2.0 * f.xy * d[0] * d[1] + f.yy * d[1] * d[1]).sqrt();
        assert!(
            (q / radius - 1.0).abs() < 1e-3,
            "ray {i}: √(δᵀFδ) = {q} for r = {radius}"
        );
    }
}

#[test]
fn rays_toward_a_near_edge_stop_where_they_leave_the_model() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let pipeline = GeodesicPipeline::policy(&ctx.device);
    let system: System = "plant=pendulum".parse().unwrap();
    let plane = PolicyPlane::new(&system);
    // Just inside the triangle's left edge (k1 = ω² … the ρ = 1 line), a ball larger than the
    // distance to it.
    let probe = [10.3, 5.0];
    assert!(plane.check(probe).is_ok());
    let ball = Ball {
        system,
        probe,
        radius: 20.0,
        rays: 64,
        steps: 32,
    };
    let g = gpu(ctx, &pipeline, &ball);
    let m = mirror(&ball);
    let outside_gpu = g.flags.iter().filter(|&&f| f & STOP_OUTSIDE != 0).count();
    let outside_mirror = m.iter().filter(|g| g.flags & STOP_OUTSIDE != 0).count();
    assert!(outside_mirror > 0, "no mirror ray left the model");
    assert!(
        outside_gpu.abs_diff(outside_mirror) <= 2,
        "{outside_gpu} GPU rays left the model, {outside_mirror} mirror rays"
    );
    // Every point either drew lies inside the triangle.
    for path in &g.paths {
        for p in path {
            let k = [probe[0] + p[0] as f64, probe[1] + p[1] as f64];
            assert!(plane.check(k).is_ok(), "a drawn point outside: {k:?}");
        }
    }
}
