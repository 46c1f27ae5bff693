//! The Fisher information matrix F(θ) by quadrature, in f64, in three independent ways:
//!
//! * [`fisher_rotated`]: the score-square form in the rotated basis (u, v), the primary path:
//!   F_vv = E\[v²\] has no cancellation near the diagonal, so λ_min stays accurate there;
//! * [`fisher_score_form`]: E[s sᵀ] in the standard basis, straight from MATH.md;
//! * [`fisher_hessian_form`]: −E[∂² log p] in the standard basis (the seed's form).
//!
//! The three agree to quadrature error away from the diagonal; tests hold them to that.

use super::mixture::Mixture;
use super::quadrature::QuadratureRule;
use super::sym2::Sym2;

/// F in the rotated basis: [[F_uu, F_uv], [F_uv, F_vv]] with u = (s1+s2)/√2, v = (s1−s2)/√2.
pub fn fisher_rotated(m: &Mixture, rule: &QuadratureRule) -> Sym2<f64> {
    let [uu, uv, vv] = rule.mixture_expectation([m.mu1, m.mu2], m.sigma, &[m.midpoint()], |x| {
        let [u, v] = m.rotated_scores(x);
        [u * u, u * v, v * v]
    });
    Sym2::new(uu, uv, vv)
}

/// F = E[s sᵀ] in the standard basis.
pub fn fisher_score_form(m: &Mixture, rule: &QuadratureRule) -> Sym2<f64> {
    let [a, b, c] = rule.mixture_expectation([m.mu1, m.mu2], m.sigma, &[m.midpoint()], |x| {
        let [s1, s2] = m.scores(x);
        [s1 * s1, s1 * s2, s2 * s2]
    });
    Sym2::new(a, b, c)
}

/// F = −E[∂² log p / ∂μ_i ∂μ_j] in the standard basis.
pub fn fisher_hessian_form(m: &Mixture, rule: &QuadratureRule) -> Sym2<f64> {
    let [h11, h12, h22] = rule.mixture_expectation([m.mu1, m.mu2], m.sigma, &[m.midpoint()], |x| {
        m.log_density_hessian(x)
    });
    Sym2::new(-h11, -h12, -h22)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_forms_agree() {
        let rule = QuadratureRule::new(128).unwrap();
        for &(a, b, s) in &[
            (0.3, -0.4, 1.0),
            (2.0, -3.0, 0.5),
            (0.0, 0.05, 1.0),
            (-6.0, 6.0, 1.0),
        ] {
            let m = Mixture::new(a, b, s);
            let rot = fisher_rotated(&m, &rule).rotate_basis();
            let score = fisher_score_form(&m, &rule);
            let hess = fisher_hessian_form(&m, &rule);
            let scale = score.max_abs();
            for (x, y) in [(rot, score), (hess, score)] {
                let err = x.max_abs_difference(&y);
                assert!(err <= 1e-12 * scale, "θ=({a},{b}) σ={s}: {x:?} vs {y:?}");
            }
        }
    }
}
