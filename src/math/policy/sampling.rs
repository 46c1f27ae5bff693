//! Sample-based estimates on the policy plane (MATH.md, "Sample-based estimates"): N rollouts
//! of horizon H under the Gaussian policy u = −Kx + σε from x0 ~ N(0, Σ0), seeded and
//! reproducible, give REINFORCE's gradient ∇̂ = (1/N) Σ_n Σ_t (G_t − b_t) s_t with the row score
//! s_t = −ε_t x_tᵀ/σ and the cost-to-go G_t (the current step included), and the Fisher
//! estimate F̂ = (1/N) Σ_n Σ_t s_tᵀ s_t. The baseline b_t is, per step, the mean cost-to-go of
//! the *other* rollouts (leave-one-out), which lowers the variance and keeps ∇̂ unbiased for
//! ∇C_{H,σ}; F̂ estimates F_H = σ⁻² Σ_{t<H} M_t. Neither is ∇C or Σ_K/σ²: at a fixed σ the
//! finite-horizon noisy cost's minimizer is not K* (MATH.md).
//!
//! Random numbers: the PCG-hash streams of [`crate::math::estimates`] — rollout n of step k
//! draws counters n·(H + 2)·2 … from stream `1 + k` of `seed`, two uniforms per normal
//! (Box–Muller, the cosine branch), so every estimate is a pure function of its inputs.

use rayon::prelude::*;

use super::lqr::Lqr;
use crate::math::estimates::uniform;
use crate::math::sym2::Sym2;

/// The longest rollout horizon (the optimizers' and the CLI's limit).
pub const MAX_HORIZON: u32 = 10_000;

/// Most rollouts × (horizon + 2) one estimate may draw (its counters stay below 2³¹).
pub const MAX_DRAWS: u64 = 1 << 30;

/// The estimates from one batch of rollouts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// REINFORCE's ∇̂C_{H,σ}.
    pub grad: [f64; 2],
    /// F̂, the estimate of F_H.
    pub fisher: Sym2<f64>,
    /// The mean sampled cost Σ_t (x_tᵀQx_t + r u_t²), an estimate of C_{H,σ}.
    pub cost: f64,
}

/// A standard normal: draw `counter` of (`seed`, `stream`), Box–Muller on two uniforms.
fn normal(seed: u32, stream: u32, counter: u32) -> f64 {
    let c = counter.wrapping_mul(2);
    let (u1, u2) = (
        uniform(seed, stream, c),
        uniform(seed, stream, c.wrapping_add(1)),
    );
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// One rollout's per-step cost-to-go and score, and its Fisher and cost sums.
struct Rollout {
    cost_to_go: Vec<f64>,
    score: Vec<[f64; 2]>,
    fisher: [f64; 3],
    cost: f64,
}

fn rollout(lqr: &Lqr, k: [f64; 2], horizon: u32, seed: u32, stream: u32, n: u32) -> Rollout {
    let s = &lqr.system;
    let (sigma, dt, a) = (s.exploration, s.dt(), lqr.plant_matrix());
    let base = n.wrapping_mul(horizon + 2);
    let mut x = [
        s.x0_pos.sqrt() * normal(seed, stream, base),
        s.x0_vel.sqrt() * normal(seed, stream, base + 1),
    ];
    let h = horizon as usize;
    let (mut stage, mut score) = (Vec::with_capacity(h), Vec::with_capacity(h));
    let mut fisher = [0.0; 3];
    for t in 0..horizon {
        let eps = normal(seed, stream, base + 2 + t);
        let u = -(k[0] * x[0] + k[1] * x[1]) + sigma * eps;
        stage.push(s.q_pos * x[0] * x[0] + s.q_vel * x[1] * x[1] + s.r * u * u);
        score.push([-eps * x[0] / sigma, -eps * x[1] / sigma]);
        let w = eps * eps / (sigma * sigma);
        fisher[0] += w * x[0] * x[0];
        fisher[1] += w * x[0] * x[1];
        fisher[2] += w * x[1] * x[1];
        x = [
            a[0][0] * x[0] + a[0][1] * x[1],
            a[1][0] * x[0] + a[1][1] * x[1] + dt * u,
        ];
    }
    let cost = stage.iter().sum();
    // G_t = Σ_{τ ≥ t} stage_τ, summed from the end.
    let mut cost_to_go = stage;
    for t in (0..h.saturating_sub(1)).rev() {
        cost_to_go[t] += cost_to_go[t + 1];
    }
    Rollout {
        cost_to_go,
        score,
        fisher,
        cost,
    }
}

/// ∇̂C_{H,σ}, F̂ and the mean cost from `n` rollouts of `horizon` steps at gains `k`, from stream
/// `stream` of `seed`; with `baseline`, the leave-one-out per-step baseline (needs n ≥ 2).
/// Rollouts run in parallel; the result does not depend on the thread count.
pub fn estimate(
    lqr: &Lqr,
    k: [f64; 2],
    n: u32,
    horizon: u32,
    seed: u32,
    stream: u32,
    baseline: bool,
) -> Estimate {
    assert!(
        n >= 1 && (n as u64) * (horizon as u64 + 2) <= MAX_DRAWS,
        "estimate: {n} rollouts of {horizon} steps exceed the draw budget"
    );
    let rollouts: Vec<Rollout> = (0..n)
        .into_par_iter()
        .map(|i| rollout(lqr, k, horizon, seed, stream, i))
        .collect();
    let mut totals = vec![0.0; horizon as usize];
    for r in &rollouts {
        for (total, g) in totals.iter_mut().zip(&r.cost_to_go) {
            *total += g;
        }
    }
    let use_baseline = baseline && n >= 2;
    let mut grad = [0.0; 2];
    let mut fisher = [0.0; 3];
    let mut cost = 0.0;
    for r in &rollouts {
        for ((&g, score), total) in r.cost_to_go.iter().zip(&r.score).zip(&totals) {
            let b = if use_baseline {
                (total - g) / (n - 1) as f64
            } else {
                0.0
            };
            grad[0] += (g - b) * score[0];
            grad[1] += (g - b) * score[1];
        }
        for (f, v) in fisher.iter_mut().zip(r.fisher) {
            *f += v;
        }
        cost += r.cost;
    }
    let inv = 1.0 / n as f64;
    Estimate {
        grad: grad.map(|g| g * inv),
        fisher: Sym2::new(fisher[0] * inv, fisher[1] * inv, fisher[2] * inv),
        cost: cost * inv,
    }
}
