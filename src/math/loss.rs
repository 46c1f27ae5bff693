//! The loss L(θ) = KL(p_θ* ‖ p_θ) and its gradient ∇L(θ) = −E_{x∼p_θ*}[s(x; θ)], in f64.

use super::mixture::Mixture;
use super::quadrature::QuadratureRule;
use super::sym2::rotate_vector;

/// ∇L in the rotated basis (g_u, g_v). The integrand's sharp feature is θ's midpoint, so the
/// panels break there; the expectation is under the target mixture.
pub fn gradient_rotated(m: &Mixture, target: [f64; 2], rule: &QuadratureRule) -> [f64; 2] {
    let [u, v] =
        rule.mixture_expectation(target, m.sigma, &[m.midpoint()], |x| m.rotated_scores(x));
    [-u, -v]
}

/// ∇L in the standard basis (∂L/∂μ1, ∂L/∂μ2).
pub fn gradient(m: &Mixture, target: [f64; 2], rule: &QuadratureRule) -> [f64; 2] {
    rotate_vector(gradient_rotated(m, target, rule))
}

/// L = E_{p*}[log p* − log p_θ]. log p_θ bends at θ's midpoint, log p* at the target's, so the
/// panels break at both.
pub fn kl_divergence(m: &Mixture, target: [f64; 2], rule: &QuadratureRule) -> f64 {
    let star = Mixture::new(target[0], target[1], m.sigma);
    let breaks = [m.midpoint(), star.midpoint()];
    let [kl] = rule.mixture_expectation(target, m.sigma, &breaks, |x| {
        [star.log_density(x) - m.log_density(x)]
    });
    kl
}

/// A KL divergence as it is shown (panels, tables, legends): ≥ 0 by definition, so a
/// quadrature's rounding below zero (−2e-17 where θ reaches θ*) shows as 0; NaN stays NaN.
/// The computed value itself (JSON, the optimizers' stopping rules) is left as it is.
pub fn shown_divergence(l: f64) -> f64 {
    if l < 0.0 { 0.0 } else { l }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_divergence_is_shown_non_negative() {
        assert_eq!(shown_divergence(-1.97e-17), 0.0);
        assert_eq!(shown_divergence(-0.0), 0.0);
        assert_eq!(shown_divergence(3e-9), 3e-9);
        assert!(shown_divergence(f64::NAN).is_nan());
        // Control: a real negative number is not left negative, a positive one not zeroed.
        assert!(shown_divergence(-1.0) >= 0.0 && shown_divergence(1.0) == 1.0);
    }

    #[test]
    fn gradient_matches_finite_differences_of_the_loss() {
        let rule = QuadratureRule::new(128).unwrap();
        let target = [-1.0, 1.5];
        for &(a, b) in &[(0.3, -0.2), (2.0, -1.0), (-0.5, 0.52)] {
            let m = Mixture::new(a, b, 0.8);
            let g = gradient(&m, target, &rule);
            let h = 1e-5;
            let fd = |da: f64, db: f64| {
                let plus = kl_divergence(&Mixture::new(a + da, b + db, 0.8), target, &rule);
                let minus = kl_divergence(&Mixture::new(a - da, b - db, 0.8), target, &rule);
                (plus - minus) / (2.0 * h)
            };
            let (f1, f2) = (fd(h, 0.0), fd(0.0, h));
            assert!(
                (g[0] - f1).abs() < 1e-8 && (g[1] - f2).abs() < 1e-8,
                "{g:?} vs {f1},{f2}"
            );
        }
    }

    #[test]
    fn loss_and_gradient_vanish_at_both_minima() {
        let rule = QuadratureRule::new(128).unwrap();
        let target = [-1.2, 0.7];
        for m in [Mixture::new(-1.2, 0.7, 0.6), Mixture::new(0.7, -1.2, 0.6)] {
            assert!(kl_divergence(&m, target, &rule).abs() < 1e-14);
            let g = gradient(&m, target, &rule);
            assert!(g[0].abs() < 1e-13 && g[1].abs() < 1e-13, "{g:?}");
        }
        // Negative control: a nearby point is not a minimum.
        let off = Mixture::new(-1.1, 0.7, 0.6);
        assert!(gradient(&off, target, &rule)[0].abs() > 1e-3);
    }
}
