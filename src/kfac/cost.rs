//! What K-FAC saves, measured (issue 13, item 4): solving with a layer's exact n × n Fisher
//! block (n = d_in·d_out; dense Cholesky factorization and one solve) against K-FAC's two
//! factor solves (Cholesky of the d_out × d_out G and the d_in × d_in A, then
//! vec_r(G⁻¹ V A⁻¹)), on the CPU with faer (blocked, SIMD, multi-threaded).
//!
//! The matrices are synthetic and SPD: G and A are damped Gram matrices of seeded values, the
//! exact block is G ⊗ A + λI (dense, the same cost as a real block: Cholesky does not look at
//! the values). Square layers d_in = d_out = d, so n = d². The exact solve costs O(n³) = O(d⁶),
//! K-FAC's O(d³) = O(n^1.5); [`fit_exponent`] reads the exponents off the measurements.

use std::time::Instant;

use faer::linalg::solvers::Solve;
use faer::{Mat, Side};

/// One layer size's timings (seconds; the median of the repeats).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct SolveTiming {
    /// Layer width: d_in = d_out = d.
    pub d: usize,
    /// Parameters n = d².
    pub n: usize,
    /// Factor + solve with the exact n × n block; None when skipped (over the time budget or
    /// memory).
    pub exact_seconds: Option<f64>,
    /// Factor both K-FAC factors and apply G⁻¹ V A⁻¹.
    pub kfac_seconds: f64,
    /// The exact solve on the GPU (`compute::cholesky`, f32), when measured.
    pub gpu_exact_seconds: Option<f64>,
    /// K-FAC's solve on the GPU, when measured.
    pub gpu_kfac_seconds: Option<f64>,
}

/// A seeded SPD matrix d × d: B Bᵀ/d + I with B's entries uniform in [−½, ½].
fn spd(d: usize, seed: u64) -> Mat<f64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let b = Mat::<f64>::from_fn(d, d, |_, _| next());
    let mut m = &b * b.transpose();
    for i in 0..d {
        for j in 0..d {
            m[(i, j)] /= d as f64;
        }
        m[(i, i)] += 1.0;
    }
    m
}

/// The synthetic problem at width d, row-major f64: G, A (both d × d SPD), V (d × d) and the
/// exact block G ⊗ A + λI's diagonal shift λ: what the CPU timings below factor and what the
/// GPU's (`compute::cholesky`) are given.
pub fn synthetic(d: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>, f64) {
    let flat = |m: Mat<f64>| -> Vec<f64> {
        (0..d)
            .flat_map(|i| (0..d).map(move |j| (i, j)))
            .map(|(i, j)| m[(i, j)])
            .collect()
    };
    let v = (0..d * d).map(|p| (p as f64 * 0.618).sin()).collect();
    (flat(spd(d, 1)), flat(spd(d, 2)), v, EXACT_SHIFT)
}

/// λ of the synthetic exact block G ⊗ A + λI.
pub const EXACT_SHIFT: f64 = 1e-3;

/// Seconds for K-FAC's solve at width d: factor G and A, X = G⁻¹V, Y = X A⁻¹.
pub fn time_kfac(d: usize) -> f64 {
    let g = spd(d, 1);
    let a = spd(d, 2);
    let v = Mat::<f64>::from_fn(d, d, |i, j| ((i * d + j) as f64 * 0.618).sin());
    let start = Instant::now();
    let g_llt = g.llt(Side::Lower).expect("G is SPD");
    let a_llt = a.llt(Side::Lower).expect("A is SPD");
    let mut x = v.clone();
    g_llt.solve_in_place(x.as_mut());
    // X A⁻¹ = (A⁻¹ Xᵀ)ᵀ, A symmetric.
    let mut xt = x.transpose().to_owned();
    a_llt.solve_in_place(xt.as_mut());
    let seconds = start.elapsed().as_secs_f64();
    std::hint::black_box(&xt);
    seconds
}

/// Seconds for the exact block at width d: factor the n × n G ⊗ A + λI and solve once.
pub fn time_exact(d: usize) -> f64 {
    let g = spd(d, 1);
    let a = spd(d, 2);
    let n = d * d;
    let block = Mat::<f64>::from_fn(n, n, |p, q| {
        let v = g[(p / d, q / d)] * a[(p % d, q % d)];
        if p == q { v + EXACT_SHIFT } else { v }
    });
    let mut rhs = Mat::<f64>::from_fn(n, 1, |p, _| (p as f64 * 0.618).sin());
    let start = Instant::now();
    let llt = block.llt(Side::Lower).expect("G ⊗ A + λI is SPD");
    llt.solve_in_place(rhs.as_mut());
    let seconds = start.elapsed().as_secs_f64();
    std::hint::black_box(&rhs);
    seconds
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Times both solves over `widths`; the exact one only while its predicted time (the last
/// measured one scaled by (n'/n)³) stays under `exact_budget_s` and its matrix under
/// `max_exact_bytes`. Small sizes are repeated (median of up to 7).
pub fn measure(widths: &[usize], exact_budget_s: f64, max_exact_bytes: usize) -> Vec<SolveTiming> {
    let mut rows = Vec::with_capacity(widths.len());
    let mut last_exact: Option<(usize, f64)> = None;
    let mut exact_open = true;
    for &d in widths {
        let n = d * d;
        let repeats = |one: f64| {
            if one < 0.05 {
                7
            } else if one < 1.0 {
                3
            } else {
                1
            }
        };
        let first = time_kfac(d);
        let kfac = median(
            std::iter::once(first)
                .chain((1..repeats(first)).map(|_| time_kfac(d)))
                .collect(),
        );
        let predicted = last_exact.map_or(0.0, |(n0, t0)| t0 * (n as f64 / n0 as f64).powi(3));
        let fits = n.saturating_mul(n).saturating_mul(16) <= max_exact_bytes;
        let exact = if exact_open && fits && predicted <= exact_budget_s {
            let first = time_exact(d);
            let t = median(
                std::iter::once(first)
                    .chain((1..repeats(first)).map(|_| time_exact(d)))
                    .collect(),
            );
            last_exact = Some((n, t));
            Some(t)
        } else {
            exact_open = false;
            None
        };
        rows.push(SolveTiming {
            d,
            n,
            exact_seconds: exact,
            kfac_seconds: kfac,
            gpu_exact_seconds: None,
            gpu_kfac_seconds: None,
        });
    }
    rows
}

/// The least-squares slope of log t against log n over the points with t ≥ `min_seconds`
/// (smaller ones measure call overhead, not the algorithm); None with fewer than two.
pub fn fit_exponent(points: &[(usize, f64)], min_seconds: f64) -> Option<f64> {
    let pts: Vec<(f64, f64)> = points
        .iter()
        .filter(|(_, t)| *t >= min_seconds)
        .map(|&(n, t)| ((n as f64).ln(), t.ln()))
        .collect();
    if pts.len() < 2 {
        return None;
    }
    let k = pts.len() as f64;
    let (mx, my) = (
        pts.iter().map(|p| p.0).sum::<f64>() / k,
        pts.iter().map(|p| p.1).sum::<f64>() / k,
    );
    let sxy: f64 = pts.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = pts.iter().map(|(x, _)| (x - mx).powi(2)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fit recovers a known exponent and ignores points under the floor.
    #[test]
    fn fit_recovers_a_power_law() {
        let pts: Vec<(usize, f64)> = [100usize, 400, 1600, 6400]
            .iter()
            .map(|&n| (n, 1e-9 * (n as f64).powi(3)))
            .chain([(10usize, 1e-12)])
            .collect();
        let e = fit_exponent(&pts, 1e-6).unwrap();
        assert!((e - 3.0).abs() < 1e-9, "{e}");
        assert!(fit_exponent(&pts[..1], 0.0).is_none());
    }

    /// Both solvers run and the exact one stops at the budget.
    #[test]
    fn measure_respects_the_budget() {
        let rows = measure(&[2, 4, 8], 1e-12, usize::MAX);
        assert_eq!(rows.len(), 3);
        // The first exact size always runs (nothing to predict from); the budget then stops it.
        assert!(rows[0].exact_seconds.is_some());
        assert!(rows[2].exact_seconds.is_none());
        assert!(rows.iter().all(|r| r.kfac_seconds > 0.0));
    }
}
