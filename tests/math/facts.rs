//! The exact facts of MATH.md as tests of the f64 reference: both limits, the three
//! invariances, the two forms of F agreeing, the KL link, ∇L against finite differences of L,
//! and ∇L = 0 at the target and its twin. Each has a negative control where a wrong formula
//! would slip through otherwise.

use fisherflow::math::fisher::{fisher_hessian_form, fisher_rotated, fisher_score_form};
use fisherflow::math::loss::{gradient, kl_divergence};
use fisherflow::math::{Mixture, QuadratureRule, Sym2};

fn rule() -> QuadratureRule {
    QuadratureRule::new(128).unwrap()
}

fn fisher(m: &Mixture) -> Sym2<f64> {
    fisher_rotated(m, &rule()).rotate_basis()
}

/// Largest entry difference, NaN if any entry is NaN (so `max_diff(..) < tol` fails on NaN;
/// `f64::max` would drop it).
fn max_diff(a: &Sym2<f64>, b: &Sym2<f64>) -> f64 {
    [a.xx - b.xx, a.xy - b.xy, a.yy - b.yy]
        .into_iter()
        .map(f64::abs)
        .fold(0.0, fisherflow::bench::verify::max_nan)
}

#[test]
fn max_diff_does_not_hide_nan() {
    let nan = Sym2::new(1.0, f64::NAN, 1.0);
    assert!(max_diff(&nan, &Sym2::new(1.0, 0.0, 1.0)).is_nan());
}

#[test]
fn coincident_means_give_the_rank_one_limit() {
    for sigma in [0.3, 1.0, 2.5] {
        let f = fisher(&Mixture::new(0.7, 0.7, sigma));
        let v = 1.0 / (4.0 * sigma * sigma);
        assert!(
            max_diff(&f, &Sym2::new(v, v, v)) < 1e-12 * v,
            "σ={sigma}: {f:?}"
        );
        let e = fisher_rotated(&Mixture::new(0.7, 0.7, sigma), &rule()).eigen();
        assert_eq!(e.lambda_min, 0.0);
        assert_eq!(e.condition(), None, "κ must be infinite on the diagonal");
    }
}

#[test]
fn far_apart_means_give_the_isotropic_limit() {
    let sigma = 0.5;
    let f = fisher(&Mixture::new(-10.0, 10.0, sigma));
    let v = 1.0 / (2.0 * sigma * sigma);
    assert!(max_diff(&f, &Sym2::new(v, 0.0, v)) < 1e-12 * v, "{f:?}");
    // Negative control: at 3σ apart F is visibly not isotropic yet.
    let near = fisher(&Mixture::new(-0.75, 0.75, sigma));
    assert!(max_diff(&near, &Sym2::new(v, 0.0, v)) > 1e-3 * v);
}

#[test]
fn translation_swap_and_scale_invariances_hold() {
    let base = Mixture::new(0.4, -0.9, 0.8);
    let f = fisher(&base);
    let shifted = fisher(&Mixture::new(0.4 + 3.3, -0.9 + 3.3, 0.8));
    assert!(max_diff(&f, &shifted) < 1e-13, "translation");
    let swapped = fisher(&base.swapped());
    assert!(
        max_diff(&Sym2::new(f.yy, f.xy, f.xx), &swapped) < 1e-14,
        "swap"
    );
    // F_σ(θ) = F_1(θ/σ)/σ².
    let unit = fisher(&Mixture::new(0.4 / 0.8, -0.9 / 0.8, 1.0));
    let scaled = Sym2::new(unit.xx / 0.64, unit.xy / 0.64, unit.yy / 0.64);
    assert!(max_diff(&f, &scaled) < 1e-13, "scale");
    // Negative control: scaling by σ instead of σ² is caught.
    let wrong = Sym2::new(unit.xx / 0.8, unit.xy / 0.8, unit.yy / 0.8);
    assert!(max_diff(&f, &wrong) > 1e-2);
}

#[test]
fn eigenvectors_are_the_diagonals_and_eigenvalues_cross_near_1_636() {
    for delta in [0.05, 0.8, 3.0] {
        let e = fisher(&Mixture::new(delta / 2.0, -delta / 2.0, 1.0)).eigen();
        let q = e.q_max;
        let along_diagonal = (q[0].abs() - q[1].abs()).abs();
        assert!(along_diagonal < 1e-12, "Δ={delta}: q_max {q:?}");
    }
    // Across Δ/σ ≈ 1.636 the order of F_uu and F_vv flips (κ passes through 1).
    let below = fisher_rotated(&Mixture::new(0.8, -0.8, 1.0), &rule());
    let above = fisher_rotated(&Mixture::new(0.84, -0.84, 1.0), &rule());
    assert!(
        below.xx > below.yy && above.xx < above.yy,
        "{below:?} {above:?}"
    );
}

#[test]
fn near_diagonal_asymptotics_hold() {
    let sigma = 0.7f64;
    let delta = 1e-3;
    let e = fisher_rotated(&Mixture::new(delta / 2.0, -delta / 2.0, sigma), &rule()).eigen();
    let expected = delta * delta / (4.0 * sigma.powi(4));
    assert!(
        (e.lambda_min / expected - 1.0).abs() < 1e-5,
        "λmin {} vs {expected}",
        e.lambda_min
    );
    let kappa = e.condition().unwrap();
    assert!((kappa / (2.0 * sigma * sigma / (delta * delta)) - 1.0).abs() < 1e-5);
}

#[test]
fn score_and_hessian_forms_agree() {
    for &(a, b, s) in &[
        (0.2, -0.5, 1.0),
        (3.0, -1.0, 0.6),
        (1.0, 1.01, 1.0),
        (-7.0, 8.0, 1.5),
    ] {
        let m = Mixture::new(a, b, s);
        let score = fisher_score_form(&m, &rule());
        let hess = fisher_hessian_form(&m, &rule());
        let scale = score.max_abs();
        assert!(
            max_diff(&score, &hess) < 1e-12 * scale,
            "θ=({a},{b}): {score:?} vs {hess:?}"
        );
    }
    // Negative control: dropping the −r_i/σ² term of the Hessian is caught.
    let m = Mixture::new(0.2, -0.5, 1.0);
    let [h11] = rule().mixture_expectation([m.mu1, m.mu2], m.sigma, &[m.midpoint()], |x| {
        let (r1, r2) = m.responsibilities(x);
        [r1 * r2 * (x - m.mu1).powi(2)]
    });
    assert!((h11 - fisher_score_form(&m, &rule()).xx).abs() > 1e-2);
}

#[test]
fn kl_is_half_the_fisher_quadratic_form_for_small_steps() {
    let m = Mixture::new(0.3, -0.6, 0.9);
    let f = fisher(&m);
    for dir in [[1.0, 0.0], [0.6, 0.8], [1.0, -1.0]] {
        let h = 1e-3;
        let d = [h * dir[0], h * dir[1]];
        let kl = kl_divergence(
            &Mixture::new(m.mu1 + d[0], m.mu2 + d[1], m.sigma),
            [m.mu1, m.mu2],
            &rule(),
        );
        let quad = 0.5 * (f.xx * d[0] * d[0] + 2.0 * f.xy * d[0] * d[1] + f.yy * d[1] * d[1]);
        // KL − ½δᵀFδ = O(|δ|³): relative O(|δ|).
        assert!(
            (kl / quad - 1.0).abs() < 5e-3,
            "dir {dir:?}: KL {kl:e} vs {quad:e}"
        );
    }
}

#[test]
fn gradient_matches_central_differences() {
    let target = [1.2, -0.4];
    for &(a, b, s) in &[(0.0, 0.3, 1.0), (2.5, 1.0, 0.5), (-3.0, 3.0, 1.0)] {
        let m = Mixture::new(a, b, s);
        let g = gradient(&m, target, &rule());
        let h = 1e-5;
        let l = |x: f64, y: f64| kl_divergence(&Mixture::new(x, y, s), target, &rule());
        let fd = [
            (l(a + h, b) - l(a - h, b)) / (2.0 * h),
            (l(a, b + h) - l(a, b - h)) / (2.0 * h),
        ];
        let scale = g[0].hypot(g[1]).max(1e-3);
        assert!(
            (g[0] - fd[0]).abs() < 1e-7 * scale.max(1.0)
                && (g[1] - fd[1]).abs() < 1e-7 * scale.max(1.0),
            "θ=({a},{b}): {g:?} vs {fd:?}"
        );
    }
}

#[test]
fn gradient_vanishes_at_the_target_and_its_twin_only() {
    let target = [-0.8, 1.1];
    for theta in [target, [target[1], target[0]]] {
        let g = gradient(&Mixture::new(theta[0], theta[1], 0.7), target, &rule());
        assert!(
            g[0].abs() < 1e-13 && g[1].abs() < 1e-13,
            "θ={theta:?}: {g:?}"
        );
    }
    // L itself against a closed form: with μ1 = μ2 each mixture is one Gaussian, and
    // KL(N(m*, σ²) ‖ N(m, σ²)) = (m − m*)²/(2σ²) = 0.25/0.98 for m* = 0.3, m = −0.2, σ = 0.7.
    let l = kl_divergence(&Mixture::new(-0.2, -0.2, 0.7), [0.3, 0.3], &rule());
    assert!((l - 0.25 / 0.98).abs() < 1e-12, "KL {l}");
    let off = kl_divergence(&Mixture::new(-0.8, 0.2, 0.7), target, &rule());
    assert!(
        off > 1e-3,
        "negative control: L > 0 away from the minima: {off}"
    );
    let g = gradient(&Mixture::new(-0.8, 0.2, 0.7), target, &rule());
    assert!(g[0].hypot(g[1]) > 1e-2, "negative control: not a minimum");
}
