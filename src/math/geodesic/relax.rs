//! Discrete geodesics: polylines on a slice relaxed toward a minimizer of the discrete energy
//! Σ δᵀḠδ, measured by their Fisher–Rao length.

use super::flow::{Flow, metric_is_safe};
use super::jet::{MetricJet, speed_squared};
use super::mat2::{Mat2, mat, mat_inv, mat_mul, mat_sub, mat_vec};
use crate::math::family::Plane;
use crate::math::sym2::Sym2;

/// The Fisher–Rao length of a polyline: Σ √(δᵀ F(midpoint) δ) over its segments (second-order
/// accurate in the segment length). NaN where a midpoint is outside the model (it never is
/// for points inside: a plane's domain is convex).
pub fn polyline_length(plane: &dyn Plane, path: &[[f64; 2]]) -> f64 {
    path.windows(2)
        .map(|w| {
            let mid = [0.5 * (w[0][0] + w[1][0]), 0.5 * (w[0][1] + w[1][1])];
            if plane.check(mid).is_err() {
                return f64::NAN;
            }
            let d = [w[1][0] - w[0][0], w[1][1] - w[0][1]];
            speed_squared(&plane.metric(mid), d).max(0.0).sqrt()
        })
        .sum()
}

/// The jets along a polyline at its vertices and segment midpoints, interleaved (index 2k is
/// vertex k, 2k + 1 the midpoint of segment k), or None when a point is outside the model.
fn chain_jets(flow: &Flow<'_>, pts: &[[f64; 2]]) -> Option<Vec<MetricJet>> {
    use rayon::prelude::*;
    // Points and segment midpoints in order: x0, m0, x1, m1, …, xn.
    let mut at = Vec::with_capacity(2 * pts.len());
    for (k, &p) in pts.iter().enumerate() {
        if k > 0 {
            let q = pts[k - 1];
            at.push([0.5 * (q[0] + p[0]), 0.5 * (q[1] + p[1])]);
        }
        at.push(p);
    }
    // Each jet is a whole quadrature (~100 µs): worth spreading over the cores.
    at.par_iter().map(|&p| flow.jet(p)).collect()
}

fn segment(pts: &[[f64; 2]], k: usize) -> [f64; 2] {
    [pts[k + 1][0] - pts[k][0], pts[k + 1][1] - pts[k][1]]
}

/// Simpson's weights over a segment's end, midpoint and end.
fn simpson(a: f64, m: f64, b: f64) -> f64 {
    (a + 4.0 * m + b) / 6.0
}

/// Segment k's metric averaged by Simpson's rule, Ḡₖ = (F(xₖ) + 4F(mₖ) + F(xₖ₊₁))/6.
fn segment_metric(jets: &[MetricJet], k: usize) -> Sym2<f64> {
    let (a, m, b) = (
        &jets[2 * k].metric,
        &jets[2 * k + 1].metric,
        &jets[2 * k + 2].metric,
    );
    Sym2::new(
        simpson(a.xx, m.xx, b.xx),
        simpson(a.xy, m.xy, b.xy),
        simpson(a.yy, m.yy, b.yy),
    )
}

/// The discrete energy Σ δₖᵀḠₖδₖ: Simpson's rule for ∫ δᵀF(x(s))δ ds along each straight
/// segment. Its minimizers are constant-speed discrete geodesics. (The midpoint rule alone
/// would let a segment cross the seed's diagonal for free: with its midpoint on the diagonal
/// and δ along the null direction, δᵀF(m)δ = 0. Simpson's rule is exact there, where F's null
/// eigenvalue grows quadratically off the diagonal.)
fn energy(pts: &[[f64; 2]], jets: &[MetricJet]) -> f64 {
    (0..pts.len() - 1)
        .map(|k| speed_squared(&segment_metric(jets, k), segment(pts, k)))
        .sum()
}

/// The polyline's Fisher–Rao length, Simpson's rule on the speed along each segment.
fn discrete_length(pts: &[[f64; 2]], jets: &[MetricJet]) -> f64 {
    let speed = |j: &MetricJet, d| speed_squared(&j.metric, d).max(0.0).sqrt();
    (0..pts.len() - 1)
        .map(|k| {
            let d = segment(pts, k);
            simpson(
                speed(&jets[2 * k], d),
                speed(&jets[2 * k + 1], d),
                speed(&jets[2 * k + 2], d),
            )
        })
        .sum()
}

/// Minimizes the discrete energy over the interior points of `pts` (ends fixed): Newton-like
/// steps with the block-tridiagonal metric Laplacian (the Hessian without the ∂F terms; its
/// blocks 2(Ḡₖ₋₁ + Ḡₖ) and −2Ḡₖ) and a backtracking line search, until the predicted
/// decrease is below `tolerance` × the energy. Returns the polyline's Fisher–Rao length, or
/// None when the metric could not be evaluated along it.
pub(super) fn relax(
    flow: &Flow<'_>,
    pts: &mut [[f64; 2]],
    max_iterations: usize,
    tolerance: f64,
) -> Option<Relaxed> {
    let n = pts.len() - 1;
    let mut jets = chain_jets(flow, pts)?;
    let mut e = energy(pts, &jets);
    for _ in 0..max_iterations {
        if n < 2 || flow.stopped() {
            break;
        }
        let g: Vec<Mat2> = (0..n).map(|k| mat(&segment_metric(&jets, k))).collect();
        // ∂/∂x of δᵀḠδ through the metric, for the segment's left (x_k) or right (x_k+1) end.
        let through_metric = |k: usize, right: bool| -> [f64; 2] {
            let d = segment(pts, k);
            let end = if right { 2 * k + 2 } else { 2 * k };
            std::array::from_fn(|c| {
                (speed_squared(&jets[end].derivative[c], d)
                    + 2.0 * speed_squared(&jets[2 * k + 1].derivative[c], d))
                    / 6.0
            })
        };
        // Gradient at interior points j = 1..n−1.
        let grad: Vec<[f64; 2]> = (1..n)
            .map(|j| {
                let (dl, dr) = (segment(pts, j - 1), segment(pts, j));
                let (al, ar) = (mat_vec(&g[j - 1], dl), mat_vec(&g[j], dr));
                let (ml, mr) = (through_metric(j - 1, true), through_metric(j, false));
                std::array::from_fn(|c| 2.0 * (al[c] - ar[c]) + ml[c] + mr[c])
            })
            .collect();
        let reg = 1e-12 * g.iter().map(|m| m[0][0] + m[1][1]).fold(0.0, f64::max);
        // Block Thomas: forward elimination of H d = −g, unknown i is point i + 1.
        let m = n - 1;
        let off = |k: usize| -> Mat2 { g[k].map(|r| r.map(|x| -2.0 * x)) };
        let mut diag: Vec<Mat2> = Vec::with_capacity(m);
        let mut rhs: Vec<[f64; 2]> = Vec::with_capacity(m);
        for i in 0..m {
            let mut di: Mat2 = std::array::from_fn(|r| {
                std::array::from_fn(|c| 2.0 * (g[i][r][c] + g[i + 1][r][c]))
            });
            di[0][0] += reg;
            di[1][1] += reg;
            let mut ri = grad[i].map(|x| -x);
            if i > 0 {
                // The block between unknowns i − 1 and i: segment i.
                let c = off(i);
                let l = mat_mul(&c, &mat_inv(&diag[i - 1])?);
                di = mat_sub(&di, &mat_mul(&l, &c));
                let lr = mat_vec(&l, rhs[i - 1]);
                ri = [ri[0] - lr[0], ri[1] - lr[1]];
            }
            diag.push(di);
            rhs.push(ri);
        }
        let mut step = vec![[0.0; 2]; m];
        for i in (0..m).rev() {
            let mut r = rhs[i];
            if i + 1 < m {
                let cd = mat_vec(&off(i + 1), step[i + 1]);
                r = [r[0] - cd[0], r[1] - cd[1]];
            }
            step[i] = mat_vec(&mat_inv(&diag[i])?, r);
        }
        let decrease: f64 = grad
            .iter()
            .zip(&step)
            .map(|(g, d)| -(g[0] * d[0] + g[1] * d[1]))
            .sum();
        if decrease.is_nan() || decrease <= tolerance * e {
            break;
        }
        let mut alpha = 1.0;
        let mut accepted = false;
        for _ in 0..12 {
            let trial: Vec<[f64; 2]> = pts
                .iter()
                .enumerate()
                .map(|(k, p)| {
                    if k == 0 || k == n {
                        *p
                    } else {
                        [p[0] + alpha * step[k - 1][0], p[1] + alpha * step[k - 1][1]]
                    }
                })
                .collect();
            if let Some(tj) = chain_jets(flow, &trial) {
                let te = energy(&trial, &tj);
                if te < e {
                    pts.copy_from_slice(&trial);
                    (jets, e) = (tj, te);
                    accepted = true;
                    break;
                }
            }
            alpha *= 0.5;
        }
        if !accepted {
            break;
        }
    }
    Some(Relaxed {
        length: discrete_length(pts, &jets),
        touches_singular_set: jets.iter().any(|j| !metric_is_safe(&j.metric)),
    })
}

/// What [`relax`] found about its polyline.
pub(super) struct Relaxed {
    /// The discrete length (Simpson per segment).
    pub(super) length: f64,
    /// Whether the metric is (numerically) singular at one of its points or segment midpoints:
    /// the path runs through the singular set, which no geodesic of the exponential map can
    /// cross, so shooting is not tried.
    pub(super) touches_singular_set: bool,
}

/// The Fisher–Rao length of a polyline with each segment cut into [`LENGTH_PIECES`] pieces,
/// midpoint rule on each: the speed along a segment that crosses the seed's diagonal has a
/// kink (|t|-like), where Simpson's rule on the whole segment would miss a third of its length.
pub(super) fn fine_length(flow: &Flow<'_>, pts: &[[f64; 2]]) -> f64 {
    polyline_length(flow.plane, &subdivide(pts))
}

/// The polyline with each segment cut into [`LENGTH_PIECES`] equal pieces.
pub(super) fn subdivide(pts: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut fine = Vec::with_capacity(LENGTH_PIECES * pts.len());
    for w in pts.windows(2) {
        for i in 0..LENGTH_PIECES {
            let s = i as f64 / LENGTH_PIECES as f64;
            fine.push([
                w[0][0] + s * (w[1][0] - w[0][0]),
                w[0][1] + s * (w[1][1] - w[0][1]),
            ]);
        }
    }
    fine.push(pts[pts.len() - 1]);
    fine
}

/// Pieces per segment in [`fine_length`].
const LENGTH_PIECES: usize = 8;

/// Doubles a polyline's segments by inserting midpoints.
pub(super) fn refine(pts: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut out = Vec::with_capacity(2 * pts.len());
    for w in pts.windows(2) {
        out.push(w[0]);
        out.push([0.5 * (w[0][0] + w[1][0]), 0.5 * (w[0][1] + w[1][1])]);
    }
    out.push(pts[pts.len() - 1]);
    out
}
