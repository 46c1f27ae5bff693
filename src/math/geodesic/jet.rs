//! The geodesic equation's right-hand side on a slice: the induced metric's jet (F and its
//! first derivatives, by quadrature), the Christoffel symbols, the acceleration.

use crate::math::general::{GeneralMixture, expectation};
use crate::math::model::{Model, Slice};
use crate::math::quadrature::QuadratureRule;
use crate::math::sym2::Sym2;

/// The induced metric on a slice and its first derivatives at one point, in slice order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MetricJet {
    /// F, the (a, b) block of the full Fisher matrix.
    pub metric: Sym2<f64>,
    /// [∂_a F, ∂_b F]: the derivative of the block along each slice coordinate.
    pub derivative: [Sym2<f64>; 2],
}

/// Γᵏᵢⱼ as `gamma[k][i][j]` (symmetric in i, j), slice order.
pub type Christoffel = [[[f64; 2]; 2]; 2];

/// The metric and its derivatives at `model` (a point of the slice, all five parameters
/// given), by quadrature with `rule`.
pub fn metric_jet(model: &Model, slice: &Slice, rule: &QuadratureRule) -> MetricJet {
    let g = GeneralMixture::new(model);
    let (a, b) = (slice.a.index(), slice.b.index());
    // Sums: F_aa, F_ab, F_bb, then ∂_a F (aa, ab, bb), then ∂_b F (aa, ab, bb).
    let sums = expectation(rule, &g, &[&g], |x| {
        // ds[k][i] = ∂ₖsᵢ (the Hessian block is symmetric).
        let (s, ds) = g.slice_scores_and_hessian(x, a, b);
        let pairs = [(0, 0), (0, 1), (1, 1)];
        let mut out = [0.0; 9];
        for (n, &(i, j)) in pairs.iter().enumerate() {
            out[n] = s[i] * s[j];
            for k in 0..2 {
                out[3 + 3 * k + n] = ds[k][i] * s[j] + s[i] * ds[k][j] + s[i] * s[j] * s[k];
            }
        }
        out
    });
    MetricJet {
        metric: Sym2::new(sums[0], sums[1], sums[2]),
        derivative: [
            Sym2::new(sums[3], sums[4], sums[5]),
            Sym2::new(sums[6], sums[7], sums[8]),
        ],
    }
}

/// The entry (i, j) of a symmetric 2×2 matrix.
fn entry(m: &Sym2<f64>, i: usize, j: usize) -> f64 {
    match (i, j) {
        (0, 0) => m.xx,
        (1, 1) => m.yy,
        _ => m.xy,
    }
}

/// Γᵏᵢⱼ from a jet, or None where F is not positive definite (det F ≤ 0, or not finite).
pub fn christoffel(jet: &MetricJet) -> Option<Christoffel> {
    let f = &jet.metric;
    let det = f.det();
    if !(det > 0.0 && det.is_finite() && f.xx > 0.0) {
        return None;
    }
    let inv = [[f.yy / det, -f.xy / det], [-f.xy / det, f.xx / det]];
    let d = |k: usize, i: usize, j: usize| entry(&jet.derivative[k], i, j);
    // Christoffel symbols of the first kind: Γ_lij = ½(∂ᵢF_lj + ∂ⱼF_li − ∂ₗF_ij).
    let first = |l: usize, i: usize, j: usize| 0.5 * (d(i, l, j) + d(j, l, i) - d(l, i, j));
    let mut gamma = [[[0.0; 2]; 2]; 2];
    for (k, gk) in gamma.iter_mut().enumerate() {
        for (i, row) in gk.iter_mut().enumerate() {
            for (j, g) in row.iter_mut().enumerate() {
                *g = (0..2).map(|l| inv[k][l] * first(l, i, j)).sum();
            }
        }
    }
    Some(gamma)
}

/// The geodesic equation's acceleration θ̈ᵏ = −Γᵏᵢⱼ vⁱ vʲ at velocity `v`.
pub fn acceleration(gamma: &Christoffel, v: [f64; 2]) -> [f64; 2] {
    std::array::from_fn(|k| {
        -(gamma[k][0][0] * v[0] * v[0]
            + 2.0 * gamma[k][0][1] * v[0] * v[1]
            + gamma[k][1][1] * v[1] * v[1])
    })
}

/// The squared Fisher–Rao speed vᵀFv.
pub fn speed_squared(metric: &Sym2<f64>, v: [f64; 2]) -> f64 {
    metric.xx * v[0] * v[0] + 2.0 * metric.xy * v[0] * v[1] + metric.yy * v[1] * v[1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::Param;

    fn rule() -> QuadratureRule {
        QuadratureRule::new(64).unwrap()
    }

    /// On the half-plane (π = 1, slice (μ1, σ1)) F = diag(1/σ², 2/σ²), so ∂_σF = diag(−2/σ³,
    /// −4/σ³) and ∂_μF = 0; the Christoffel symbols are Γ^μ_μσ = −1/σ, Γ^σ_μμ = 1/(2σ),
    /// Γ^σ_σσ = −1/σ, the others zero.
    #[test]
    fn half_plane_jet_and_christoffel_match_closed_form() {
        let sigma = 0.7;
        let model = Model::from_array([1.0, 0.3, 0.0, sigma, 1.0]);
        let slice = Slice::new(Param::Mu1, Param::Sigma1).unwrap();
        let jet = metric_jet(&model, &slice, &rule());
        let s3 = sigma.powi(3);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * (1.0 + b.abs());
        assert!(close(jet.metric.xx, 1.0 / (sigma * sigma)), "{jet:?}");
        assert!(close(jet.metric.yy, 2.0 / (sigma * sigma)), "{jet:?}");
        assert!(jet.metric.xy.abs() < 1e-12, "{jet:?}");
        assert!(jet.derivative[0].max_abs() < 1e-12, "{jet:?}");
        assert!(close(jet.derivative[1].xx, -2.0 / s3), "{jet:?}");
        assert!(close(jet.derivative[1].yy, -4.0 / s3), "{jet:?}");
        let g = christoffel(&jet).unwrap();
        assert!(close(g[0][0][1], -1.0 / sigma) && close(g[0][1][0], -1.0 / sigma));
        assert!(close(g[1][0][0], 0.5 / sigma));
        assert!(close(g[1][1][1], -1.0 / sigma));
        assert!(g[0][0][0].abs() < 1e-12 && g[0][1][1].abs() < 1e-12 && g[1][0][1].abs() < 1e-12);
    }

    /// The quadrature derivative agrees with a central difference of F on the general model
    /// (a slice with π, unequal σ's), and the negative control (a wrong sign on the sₖ term)
    /// does not.
    #[test]
    fn jet_matches_finite_differences_of_the_metric() {
        let model = Model::from_array([0.3, -0.4, 0.9, 0.6, 1.3]);
        let slice = Slice::new(Param::Pi, Param::Sigma2).unwrap();
        let r = rule();
        let jet = metric_jet(&model, &slice, &r);
        let h = 1e-5;
        for (k, p) in slice.params().into_iter().enumerate() {
            let plus = metric_jet(&model.with(p, model.get(p) + h), &slice, &r).metric;
            let minus = metric_jet(&model.with(p, model.get(p) - h), &slice, &r).metric;
            let fd = Sym2::new(
                (plus.xx - minus.xx) / (2.0 * h),
                (plus.xy - minus.xy) / (2.0 * h),
                (plus.yy - minus.yy) / (2.0 * h),
            );
            let scale = fd.max_abs();
            let err = jet.derivative[k].max_abs_difference(&fd) / scale;
            assert!(
                err < 1e-7,
                "∂{p:?}F: {:?} vs {fd:?} ({err:e})",
                jet.derivative[k]
            );
            // Negative control: the difference of two different derivatives is not small.
            let other = jet.derivative[1 - k].max_abs_difference(&fd) / scale;
            assert!(
                other > 1e-3,
                "control: ∂F along the other axis matched ({other:e})"
            );
        }
    }

    /// On the seed's diagonal F is singular: no Christoffel symbols.
    #[test]
    fn christoffel_is_none_on_the_singular_diagonal() {
        let model = Model::seed(0.4, 0.4, 1.0);
        let jet = metric_jet(&model, &Slice::SEED, &rule());
        assert!(
            christoffel(&jet).is_none() || jet.metric.det() < 1e-12,
            "{jet:?}"
        );
        let off = metric_jet(&Model::seed(0.0, 1.0, 1.0), &Slice::SEED, &rule());
        assert!(christoffel(&off).is_some());
        let nan = MetricJet {
            metric: Sym2::new(f64::NAN, 0.0, 1.0),
            derivative: off.derivative,
        };
        assert!(christoffel(&nan).is_none());
    }
}
