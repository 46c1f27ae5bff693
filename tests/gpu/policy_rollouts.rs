//! The policy plane's rollouts on the GPU (`shaders/policy_rollouts.wgsl`) against the f64
//! reference `math::policy::sampling::estimate`, which draws the same numbers: ∇̂C_{H,σ} (with
//! and without the baseline), F̂ and the mean cost agree to f32 rounding of the sums, on both
//! plants, for a rollout count that is not a multiple of the workgroup; another seed's
//! reference is the negative control; bad shapes are refused.

use crate::common;

use fisherflow::compute::policy_rollouts::{MAX_GPU_HORIZON, RolloutPipeline, estimate_on_gpu};
use fisherflow::math::policy::sampling::{Estimate, estimate};
use fisherflow::math::policy::{Lqr, System};

/// The largest difference of the estimates, each relative to its own scale: ∇̂ to ‖∇̂‖ plus
/// the scale of the summands (the baseline's cancellation), F̂ to its largest entry, the cost
/// relative.
fn gap(gpu: &Estimate, reference: &Estimate, grad_scale: f64) -> f64 {
    let g = (0..2)
        .map(|i| (gpu.grad[i] - reference.grad[i]).abs())
        .fold(0.0, f64::max)
        / (reference.grad[0].hypot(reference.grad[1]) + grad_scale);
    let f = reference.fisher;
    let f_scale = f.xx.abs().max(f.yy.abs());
    let fg = gpu.fisher;
    let fe = [fg.xx - f.xx, fg.xy - f.xy, fg.yy - f.yy]
        .iter()
        .map(|d| d.abs())
        .fold(0.0, f64::max)
        / f_scale;
    let c = (gpu.cost - reference.cost).abs() / reference.cost;
    g.max(fe).max(c)
}

#[test]
fn gpu_rollouts_match_the_f64_reference() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let pipeline = RolloutPipeline::new(&ctx.device);
    let cases: [(&str, [f64; 2], u32); 2] = [
        ("plant=pendulum", [31.6, 3.2], 30),
        ("plant=cart,friction=0.5,dt=0.1", [2.0, 3.0], 50),
    ];
    for (text, k, horizon) in cases {
        let system: System = text.parse().unwrap();
        let lqr = Lqr::new(&system);
        // The scale of a summand G_t s_t: C_H times a score's size √(F_H's trace/H).
        let exact = lqr.finite_horizon(k, horizon);
        let grad_scale = exact.cost * ((exact.fisher.xx + exact.fisher.yy) / horizon as f64).sqrt()
            / (1000.0f64).sqrt();
        for baseline in [true, false] {
            let n = 1000;
            let gpu =
                estimate_on_gpu(ctx, &pipeline, &system, k, n, horizon, 7, 3, baseline).unwrap();
            let reference = estimate(&lqr, k, n, horizon, 7, 3, baseline);
            let d = gap(&gpu, &reference, grad_scale);
            eprintln!("{text}, baseline {baseline}: largest relative gap {d:.2e}");
            assert!(
                d < 1e-5,
                "{text}, baseline {baseline}: {gpu:?} vs {reference:?} ({d:e})"
            );
            // Negative control: another seed's draws.
            let other = estimate(&lqr, k, n, horizon, 8, 3, baseline);
            assert!(
                gap(&gpu, &other, grad_scale) > 1e-2,
                "{text}: control agreed"
            );
        }
    }
}

#[test]
fn bad_shapes_are_refused() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let pipeline = RolloutPipeline::new(&ctx.device);
    let system: System = "plant=pendulum".parse().unwrap();
    for (n, h) in [(0, 30), (10, 0), (10, MAX_GPU_HORIZON + 1)] {
        let e = estimate_on_gpu(ctx, &pipeline, &system, [31.6, 3.2], n, h, 1, 0, true)
            .expect_err("refused");
        assert!(e.to_string().contains("GPU estimate"), "{e}");
    }
}
