//! The policy plane's sample efficiency at the probe (MATH.md, "Sample-based estimates"):
//! REINFORCE's ∇̂C_{H,σ} (with and without the per-step leave-one-out baseline) and F̂ from N
//! seeded rollouts of horizon H, for N = 16 … 4096, against the exact ∇C_{H,σ} and F_H of
//! [`Lqr::finite_horizon`]. The probe panel plots their relative errors against N beside the
//! 1/√N a Monte-Carlo estimate should follow.
//!
//! Each point is the RMS over [`REPEATS`] independent estimates (streams 0 …), since one
//! draw's error scatters by a factor of a few. About 44 000 rollouts of H steps, twice (with
//! and without the baseline): a fraction of a second at H = 30, so it runs as a
//! [`crate::jobs::Job`] off the frame loop.

use crate::math::policy::sampling::estimate;
use crate::math::policy::{FiniteHorizon, Lqr, System};
use crate::scene::Scene;

/// The rollout counts of the curve.
pub const SAMPLE_COUNTS: [u32; 5] = [16, 64, 256, 1024, 4096];

/// Independent estimates per count (streams 0 … REPEATS − 1): the curve is their RMS error,
/// since one draw's error scatters by a factor of a few about it.
pub const REPEATS: u32 = 8;

/// Everything the curve depends on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PolicyEstimateKey {
    /// The system.
    pub system: System,
    /// The gains (the probe).
    pub probe: [f64; 2],
    /// H.
    pub horizon: u32,
    /// The generator's seed.
    pub seed: u32,
}

impl PolicyEstimateKey {
    /// The key at `scene`'s probe on the policy plane (the race's horizon and seed), or None
    /// off the policy plane, without a probe or with one outside the triangle.
    pub fn for_scene(scene: &Scene) -> Option<Self> {
        let system = scene.system?;
        let probe = scene.probe?;
        Lqr::new(&system).evaluate(probe).closed?;
        Some(Self {
            system,
            probe,
            horizon: scene.features.race.hyper.horizon,
            seed: scene.features.race.hyper.seed,
        })
    }
}

/// One row of the curve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SampleRow {
    /// N.
    pub rollouts: u32,
    /// ‖∇̂ − ∇C_H‖/‖∇C_H‖ with the baseline (RMS over the repeats, as the others).
    pub grad_error: f64,
    /// The same without it.
    pub grad_error_plain: f64,
    /// ‖F̂ − F_H‖_F/‖F_H‖_F.
    pub fisher_error: f64,
}

/// The curve at one key.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleEfficiency {
    /// What it was computed for.
    pub key: PolicyEstimateKey,
    /// C_{H,σ}, ∇C_{H,σ} and F_H, exact.
    pub exact: FiniteHorizon,
    /// One row per [`SAMPLE_COUNTS`] entry.
    pub rows: Vec<SampleRow>,
}

fn norm2(v: [f64; 2]) -> f64 {
    v[0].hypot(v[1])
}

/// How long a request must stand before the job spends its rollouts on it (a σ or ω²
/// slider being dragged asks for a new curve every frame).
pub const SETTLE: std::time::Duration = std::time::Duration::from_millis(200);

/// The job's work: waits for the request to settle, computes the curve unless a newer
/// request comes meanwhile, and publishes it.
pub fn sample_efficiency_work(
    key: &PolicyEstimateKey,
    progress: &mut crate::jobs::Progress<'_, PolicyEstimateKey, SampleEfficiency>,
) {
    if !progress.settle(SETTLE) {
        return;
    }
    if let Some(curve) = sample_efficiency_unless(key, || progress.superseded()) {
        progress.publish(curve);
    }
}

/// Computes the curve (f64, rollouts on all cores).
pub fn compute_sample_efficiency(key: &PolicyEstimateKey) -> SampleEfficiency {
    sample_efficiency_unless(key, || false).expect("never stopped")
}

/// The curve, or None as soon as `stop` says so (checked between estimates).
fn sample_efficiency_unless(
    key: &PolicyEstimateKey,
    stop: impl Fn() -> bool,
) -> Option<SampleEfficiency> {
    let lqr = Lqr::new(&key.system);
    let exact = lqr.finite_horizon(key.probe, key.horizon);
    let f = exact.fisher;
    let f_norm = (f.xx * f.xx + 2.0 * f.xy * f.xy + f.yy * f.yy).sqrt();
    let grad_norm = norm2(exact.grad).max(1e-300);
    let rows = SAMPLE_COUNTS
        .iter()
        .map(|&n| {
            let (mut grad, mut plain, mut fisher) = (0.0, 0.0, 0.0);
            for stream in 0..REPEATS {
                if stop() {
                    return None;
                }
                let run = |baseline| {
                    estimate(&lqr, key.probe, n, key.horizon, key.seed, stream, baseline)
                };
                let (with, without) = (run(true), run(false));
                let grad_error = |e: &crate::math::policy::sampling::Estimate| {
                    norm2([e.grad[0] - exact.grad[0], e.grad[1] - exact.grad[1]]) / grad_norm
                };
                let d = [
                    with.fisher.xx - f.xx,
                    with.fisher.xy - f.xy,
                    with.fisher.yy - f.yy,
                ];
                grad += grad_error(&with).powi(2);
                plain += grad_error(&without).powi(2);
                fisher += (d[0] * d[0] + 2.0 * d[1] * d[1] + d[2] * d[2]) / (f_norm * f_norm);
            }
            let rms = |sum: f64| (sum / REPEATS as f64).sqrt();
            Some(SampleRow {
                rollouts: n,
                grad_error: rms(grad),
                grad_error_plain: rms(plain),
                fisher_error: rms(fisher),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(SampleEfficiency {
        key: *key,
        exact,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_fall_like_one_over_root_n_and_the_baseline_helps() {
        let mut scene = Scene::default();
        scene.apply(crate::scene::SceneEdit::ApplyPreset(
            crate::scene::Preset::Pendulum,
        ));
        let key = PolicyEstimateKey::for_scene(&scene).expect("the preset's probe is inside");
        let curve = compute_sample_efficiency(&key);
        assert_eq!(curve.rows.len(), SAMPLE_COUNTS.len());
        // 256× the rollouts: 1/√N predicts a 16× smaller RMS error; allow a factor 2 either
        // way (eight estimates per point).
        let (first, last) = (curve.rows[0], *curve.rows.last().unwrap());
        for (name, a, b) in [
            ("grad", first.grad_error, last.grad_error),
            (
                "grad without the baseline",
                first.grad_error_plain,
                last.grad_error_plain,
            ),
            ("fisher", first.fisher_error, last.fisher_error),
        ] {
            let ratio = a / b;
            assert!(
                (8.0..32.0).contains(&ratio),
                "{name}: {a:e} → {b:e} ({ratio:.1}×)"
            );
        }
        // The baseline lowers the gradient's error at most counts.
        let better = curve
            .rows
            .iter()
            .filter(|r| r.grad_error < r.grad_error_plain)
            .count();
        assert!(better >= 4, "{:?}", curve.rows);
        // Off the policy plane: no curve.
        assert!(PolicyEstimateKey::for_scene(&Scene::default()).is_none());
    }
}
