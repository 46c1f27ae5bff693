//! Shooting: Newton on the initial velocity of the exponential map so that the geodesic ends
//! at a given point, started from a relaxed polyline.

use super::flow::{Flow, Run, Stepping, dense_path, metric_is_safe};
use super::jet::speed_squared;
use super::mat2::{Mat2, mat_inv, mat_vec};
use super::shortest::{PathMethod, ShortestPath};
use crate::math::sym2::Sym2;

/// Newton's target residual at `to`, in Fisher–Rao length (times max(1, distance)): the
/// distance moves by at most the residual, and the integrator's own error is ~1e-9.
const SHOOTING_TOLERANCE: f64 = 1e-9;
/// Newton iterations of shooting.
const SHOOTING_ITERATIONS: usize = 16;

/// The geodesic from `from` with velocity w over t ∈ [0, 1] (length √(wᵀFw)), integrated
/// adaptively or along given steps; None when it stops short.
fn shoot_once(
    flow: &Flow<'_>,
    from: [f64; 2],
    f_from: &Sym2<f64>,
    w: [f64; 2],
    stepping: Stepping<'_>,
) -> Option<Run> {
    let speed = speed_squared(f_from, w).sqrt();
    if !(speed > 0.0 && speed.is_finite()) {
        return None;
    }
    let run = flow
        .integrate([from[0], from[1], w[0], w[1]], 1.0, speed, stepping)
        .ok()?;
    // A replayed run's time is a sum of the nominal steps, which need not round to exactly 1:
    // reaching the end is "not stopped".
    run.stopped.is_none().then_some(run)
}

/// Newton on the initial velocity w so that exp(w) = `to`, with the Jacobian by forward
/// differences along the nominal run's own steps (the discrete flow map is then smooth in w,
/// so the differences are accurate to ~1e-7), from the velocity of the relaxed polyline
/// `guess` at its start (a one-sided second-order difference).
pub(super) fn shoot(
    flow: &Flow<'_>,
    from: [f64; 2],
    to: [f64; 2],
    guess: &[[f64; 2]],
    guess_length: f64,
) -> Option<ShortestPath> {
    let f_from = flow.metric(from).ok()?;
    let f_to = flow.metric(to).ok()?;
    if !(metric_is_safe(&f_from) && metric_is_safe(&f_to)) {
        return None;
    }
    let n = (guess.len() - 1) as f64;
    let mut w: [f64; 2] =
        std::array::from_fn(|i| n * (-3.0 * guess[0][i] + 4.0 * guess[1][i] - guess[2][i]) / 2.0);
    let first = |w: [f64; 2]| (0.05 / speed_squared(&f_from, w).sqrt()).min(1.0);
    let miss = |run: &Run| {
        let y = run.last().y;
        [y[0] - to[0], y[1] - to[1]]
    };
    let norm = |r: [f64; 2]| speed_squared(&f_to, r).max(0.0).sqrt();
    // A guess aimed just past the singular set (an end next to the seed's diagonal) runs into
    // it: shorten the first shot until it arrives.
    let (mut run, start) = [1.0, 0.9, 0.75, 0.5].into_iter().find_map(|scale| {
        let ws = w.map(|x| scale * x);
        shoot_once(
            flow,
            from,
            &f_from,
            ws,
            Stepping::Adaptive { first: first(ws) },
        )
        .map(|run| (run, ws))
    })?;
    w = start;
    let mut r = miss(&run);
    let target = SHOOTING_TOLERANCE * guess_length.max(1.0);
    let mut converged = norm(r) <= target;
    let mut inverse: Option<Mat2> = None;
    for _ in 0..SHOOTING_ITERATIONS {
        if converged {
            break;
        }
        let fresh = inverse.is_none();
        // The chord method: the Jacobian (two more integrations) is kept while it still
        // cuts the residual tenfold per iteration.
        if inverse.is_none() {
            let eps = 1e-7 * w[0].abs().max(w[1].abs());
            let mut jac = [[0.0; 2]; 2];
            for (j, wj) in [[w[0] + eps, w[1]], [w[0], w[1] + eps]]
                .into_iter()
                .enumerate()
            {
                let rj = shoot_once(flow, from, &f_from, wj, Stepping::Replay(&run.steps))?;
                let (y, y0) = (rj.last().y, run.last().y);
                jac[0][j] = (y[0] - y0[0]) / eps;
                jac[1][j] = (y[1] - y0[1]) / eps;
            }
            inverse = Some(mat_inv(&jac)?);
        }
        let before = norm(r);
        let d = mat_vec(inverse.as_ref()?, r).map(|x| -x);
        let mut alpha = 1.0;
        let mut improved = false;
        for _ in 0..8 {
            let wn = [w[0] + alpha * d[0], w[1] + alpha * d[1]];
            if let Some(rn) = shoot_once(
                flow,
                from,
                &f_from,
                wn,
                Stepping::Adaptive { first: first(wn) },
            ) {
                let resid = miss(&rn);
                if norm(resid) < norm(r) {
                    (w, run, r) = (wn, rn, resid);
                    improved = true;
                    break;
                }
            }
            alpha *= 0.5;
        }
        if !improved {
            if fresh {
                break;
            }
            // A stale Jacobian may be the reason: try again with a fresh one.
            inverse = None;
            continue;
        }
        if norm(r) > 0.1 * before {
            inverse = None;
        }
        converged = norm(r) <= target;
    }
    // Newton may stall a little above the target where the adaptive steps change between
    // iterations; 10 × the target is still far below the accuracy promised.
    if norm(r) > 10.0 * target {
        return None;
    }
    let distance = speed_squared(&f_from, w).sqrt();
    // A geodesic much longer than the relaxed path is another, non-minimizing one.
    if distance > guess_length * 1.02 + 1e-9 {
        return None;
    }
    let mut path = dense_path(flow, &run, distance, distance);
    path[0] = from;
    let last = path.len() - 1;
    path[last] = to;
    Some(ShortestPath {
        distance,
        path,
        method: PathMethod::Shooting,
        error_estimate: norm(r) + 1e-9 * distance.max(1.0),
    })
}
