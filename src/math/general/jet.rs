//! The mixture's induced metric on a slice and its first derivatives (the jet the geodesic
//! equation needs), by quadrature: ∂ₖF_ij = E_p[(∂ₖsᵢ) sⱼ + sᵢ (∂ₖsⱼ) + sᵢ sⱼ sₖ] (MATH.md,
//! "Geodesics").

use super::{GeneralMixture, expectation};
use crate::math::family::MetricJet;
use crate::math::model::{Model, Slice};
use crate::math::quadrature::QuadratureRule;
use crate::math::sym2::Sym2;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::Param;
    use crate::math::geodesic::christoffel;

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
}
