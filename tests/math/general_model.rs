//! The general model's f64 reference (`math::general`) against MATH.md's oracles and 30-digit
//! references: the public general points (tests/data/public_general_points.json, a copy of
//! ../shared/reference/public_general_points.json) and our own harder set
//! (tests/data/general_points.json, `python3 tests/data/make_reference.py --general`).
//!
//! Tolerance: 1e-8 relative per quantity. Entries of a matrix are relative to the matrix's
//! largest entry (for F, λ_max), vector components to the vector's norm; an absolute floor of
//! 1e-15 of that scale applies only to reference values that are ~0 (an off-diagonal 8.7e-38 on
//! the half-plane). λ_min and ñ are relative to themselves, with an allowance of κ·1e-14 where
//! the block is ill-conditioned (the seed's diagonal at Δ = 0.001σ, κ ≈ 2e6: the general path
//! computes λ_min = det/λ_max from standard-basis entries; the seed's rotated path is the one
//! that resolves it). Every oracle has a negative control: a plausible wrong formula or value
//! that the same check rejects.

use fisherflow::math::fisher::fisher_rotated;
use fisherflow::math::general::{
    GeneralInput, GeneralMixture, Mat5, empirical_fisher_full, evaluate_general, expectation,
    fisher_full, fisher_full_hessian, fisher_slice, gradient, kl_divergence, panel_edges,
    slice_block, truncation_sigmas,
};
use fisherflow::math::{
    Mixture, Model, Param, PointInput, QuadratureRule, Slice, Sym2, evaluate_point,
};
use serde::Deserialize;

const REL: f64 = 1e-8;
const OWN_POINTS: usize = 35;
const PUBLIC_POINTS: usize = 5;

fn rule() -> QuadratureRule {
    QuadratureRule::new(fisherflow::math::general::DEFAULT_NODES_GENERAL).unwrap()
}

fn model(pi: f64, mu1: f64, mu2: f64, sigma1: f64, sigma2: f64) -> Model {
    Model {
        pi,
        mu1,
        mu2,
        sigma1,
        sigma2,
    }
}

fn slice(a: Param, b: Param) -> Slice {
    Slice::new(a, b).unwrap()
}

/// Relative difference of two matrices, by their largest entry; NaN-propagating.
fn rel_diff(a: &Sym2<f64>, b: &Sym2<f64>) -> f64 {
    let d = a.max_abs_difference(b) / b.max_abs();
    if d.is_nan() { f64::INFINITY } else { d }
}

// ------------------------------------------------------------------------------------------
// References.

#[derive(Debug, Deserialize)]
struct RefPoint {
    #[serde(default)]
    label: Option<String>,
    model: Model,
    slice: Slice,
    #[serde(default)]
    target: Option<Model>,
    fisher: [[f64; 2]; 2],
    eigenvalues: [f64; 2],
    #[serde(default)]
    kl: Option<f64>,
    #[serde(default)]
    grad: Option<[f64; 2]>,
    #[serde(default)]
    natgrad: Option<[f64; 2]>,
    #[serde(default)]
    empirical_fisher: Option<[[f64; 2]; 2]>,
}

impl RefPoint {
    fn name(&self) -> String {
        self.label
            .clone()
            .unwrap_or_else(|| format!("{:?} on {}", self.model, self.slice))
    }
}

fn load(name: &str) -> Vec<RefPoint> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// |got − want|/scale, infinite when NaN.
fn rel_err(got: f64, want: f64, scale: f64) -> f64 {
    let e = (got - want).abs() / scale;
    if e.is_nan() { f64::INFINITY } else { e }
}

/// Every compared quantity's error in units of its own tolerance scale: (what, error, allowed).
fn errors(p: &RefPoint, q: &QuadratureRule) -> Vec<(String, f64, f64)> {
    let input = GeneralInput {
        model: p.model,
        slice: p.slice,
        target: p.target,
    };
    input.validate().unwrap();
    let got = evaluate_general(&input, q, 0.0);
    let mut out = Vec::new();
    let lmax = p.eigenvalues[0];
    for i in 0..2 {
        for j in 0..2 {
            // Entries relative to λ_max (the block's scale).
            let e = rel_err(got.fisher[i][j], p.fisher[i][j], lmax);
            out.push((format!("F{i}{j}"), e, REL));
        }
    }
    let kappa = p.eigenvalues[0] / p.eigenvalues[1];
    let ill = if kappa.is_finite() && kappa > 1e4 {
        kappa * 1e-14
    } else {
        0.0
    };
    out.push(("λmax".into(), rel_err(got.eigenvalues[0], lmax, lmax), REL));
    let lmin = p.eigenvalues[1];
    let e = rel_err(got.eigenvalues[1], lmin, lmin.abs().max(1e-15 * lmax));
    out.push(("λmin".into(), e, REL + ill));
    if let Some(t) = &got.loss {
        let kl = p.kl.expect("reference has kl");
        out.push(("kl".into(), rel_err(t.kl, kl, kl.abs().max(1e-15)), REL));
        let g = p.grad.expect("reference has grad");
        let gn = g[0].hypot(g[1]);
        for (k, (&got, &want)) in t.grad.iter().zip(&g).enumerate() {
            out.push((format!("grad{k}"), rel_err(got, want, gn), REL));
        }
        match (t.natgrad, p.natgrad) {
            (Some(n), Some(w)) => {
                let wn = w[0].hypot(w[1]);
                for k in 0..2 {
                    out.push((format!("natgrad{k}"), rel_err(n[k], w[k], wn), REL + ill));
                }
            }
            (None, None) => {}
            (a, b) => out.push((format!("natgrad {a:?} vs {b:?}"), f64::INFINITY, 0.0)),
        }
        let ef = p.empirical_fisher.expect("reference has EF");
        let scale = ef.iter().flatten().fold(0.0f64, |a, v| a.max(v.abs()));
        for (i, (got_row, want_row)) in t.empirical_fisher.iter().zip(&ef).enumerate() {
            for (j, (&got, &want)) in got_row.iter().zip(want_row).enumerate() {
                out.push((format!("EF{i}{j}"), rel_err(got, want, scale), REL));
            }
        }
    } else {
        assert!(p.kl.is_none(), "{}: target part on one side only", p.name());
    }
    out
}

fn check_file(name: &str, expected: usize) {
    let points = load(name);
    assert_eq!(
        points.len(),
        expected,
        "{name}: point count (truncated file?)"
    );
    let q = rule();
    let mut failures = Vec::new();
    for p in &points {
        for (what, err, allowed) in errors(p, &q) {
            // rel_err maps NaN to ∞, so this comparison cannot be fooled by a NaN.
            if err > allowed {
                failures.push(format!(
                    "{}: {what} error {err:.2e} > {allowed:.1e}",
                    p.name()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{name}:\n{}", failures.join("\n"));
}

#[test]
fn public_general_points_match() {
    check_file("public_general_points.json", PUBLIC_POINTS);
}

#[test]
fn own_general_points_match() {
    check_file("general_points.json", OWN_POINTS);
}

/// Negative controls for the reference check: it fails a coarse rule and a reversed slice order.
#[test]
fn reference_check_rejects_wrong_answers() {
    let points = load("general_points.json");
    let failing = |q: &QuadratureRule, p: &RefPoint| errors(p, q).iter().any(|(_, e, a)| e > a);
    // Q = 16 (8 nodes per panel) is far from converged on the hard points.
    let coarse = QuadratureRule::new(16).unwrap();
    assert!(points.iter().filter(|p| failing(&coarse, p)).count() >= 5);
    // The same point read in the other slice order is a different block (and gradient).
    let q = rule();
    for p in points.iter().filter(|p| p.fisher[0][0] != p.fisher[1][1]) {
        let reversed = RefPoint {
            label: p.label.clone(),
            model: p.model,
            slice: Slice::new(p.slice.b, p.slice.a).unwrap(),
            target: p.target,
            fisher: p.fisher,
            eigenvalues: p.eigenvalues,
            kl: p.kl,
            grad: p.grad,
            natgrad: p.natgrad,
            empirical_fisher: p.empirical_fisher,
        };
        assert!(failing(&q, &reversed), "{}", p.name());
    }
}

#[test]
fn own_points_cover_every_preset_slice_and_hard_case() {
    let points = load("general_points.json");
    let has = |f: &dyn Fn(&RefPoint) -> bool| points.iter().any(f);
    let on =
        |p: &RefPoint, a: Param, b: Param| p.slice.params() == [a, b] || p.slice.params() == [b, a];
    use Param::*;
    assert!(has(&|p| p.slice.is_seed()
        && p.model.pi == 0.5
        && p.model.sigma1 == p.model.sigma2));
    assert!(has(&|p| on(p, Mu1, Sigma1) && p.model.pi == 1.0));
    assert!(has(&|p| on(p, Pi, Mu1)));
    assert!(has(&|p| on(p, Sigma1, Sigma2)));
    assert!(has(&|p| on(p, Mu1, Sigma2)));
    assert!(has(&|p| on(p, Mu1, Mu2) && p.model.pi != 0.5));
    assert!(has(&|p| on(p, Mu1, Mu2) && p.model.sigma1 != p.model.sigma2));
    for pi in [1e-3, 0.25, 0.5, 0.9, 0.999, 1.0] {
        assert!(has(&|p| p.model.pi == pi), "π = {pi}");
    }
    assert!(has(&|p| p.model.sigma1 / p.model.sigma2 >= 10.0));
    assert!(has(&|p| p.model.sigma1 / p.model.sigma2 <= 0.1));
    assert!(has(
        &|p| (p.model.mu1 - p.model.mu2).abs() >= 20.0 * p.model.sigma1
    ));
    assert!(has(&|p| {
        let d = (p.model.mu1 - p.model.mu2).abs();
        d > 0.0 && d <= 1.01e-3 * p.model.sigma1 && p.model.sigma1 == p.model.sigma2
    }));
    assert!(has(&|p| p
        .target
        .is_some_and(|t| !p.slice.passes_through(&p.model, &t))));
}

/// The error table of the module docs: worst error over both reference files per node count.
#[test]
#[ignore = "prints the node-count table of math::general's docs; run with --release"]
fn error_table() {
    let mut points = load("general_points.json");
    points.extend(load("public_general_points.json"));
    println!("{} points", points.len());
    println!(
        "| Q | nodes/panel | evaluations/component: F (max panels) | under p* (max panels) | \
         worst F, λ_max, L, ∇L, EF | worst λ_min, ñ (κ ≤ 1e4) | worst λ_min, ñ (κ > 1e4) |"
    );
    println!("|---|---|---|---|---|---|---|");
    // Panels per component window: for F the model's splits, under the target both mixtures'.
    let panels = |under: &GeneralMixture, features: &[&GeneralMixture]| {
        let mut all = features.to_vec();
        all.push(under);
        let t = truncation_sigmas(&all);
        let splits: Vec<f64> = features
            .iter()
            .flat_map(|m| m.quadrature_splits())
            .collect();
        under
            .components()
            .iter()
            .map(|&(c, s)| panel_edges(c, s, t, &splits).len() - 1)
            .max()
            .unwrap()
    };
    let (mut f_panels, mut t_panels) = (0, 0);
    for p in &points {
        let g = GeneralMixture::new(&p.model);
        f_panels = f_panels.max(panels(&g, &[&g]));
        if let Some(t) = &p.target {
            let gt = GeneralMixture::new(t);
            t_panels = t_panels.max(panels(&gt, &[&g, &gt]));
        }
    }
    for nodes in [16u32, 24, 32, 48, 64, 96, 128, 256] {
        let q = QuadratureRule::new(nodes).unwrap();
        let (mut worst, mut worst_min, mut worst_ill) = (0.0f64, 0.0f64, 0.0f64);
        let mut worst_at = String::new();
        for p in &points {
            let kappa = p.eigenvalues[0] / p.eigenvalues[1];
            for (what, err, _) in errors(p, &q) {
                let sensitive = what.starts_with("λmin") || what.starts_with("natgrad");
                if sensitive && (kappa.is_nan() || kappa > 1e4) {
                    worst_ill = worst_ill.max(err);
                } else if sensitive {
                    worst_min = worst_min.max(err);
                } else if err > worst {
                    worst = err;
                    worst_at = format!("{} {what}", p.name());
                }
            }
        }
        let n = nodes as usize / 2;
        println!(
            "| {nodes} | {n} | {} ({f_panels}) | {} ({t_panels}) | {worst:.1e} | {worst_min:.1e} | \
             {worst_ill:.1e} |   ({worst_at})",
            n * f_panels,
            n * t_panels,
        );
    }
}

// ------------------------------------------------------------------------------------------
// Oracles.

#[test]
fn half_plane_is_diag_one_two_over_sigma_squared() {
    let s = slice(Param::Mu1, Param::Sigma1);
    for (mu, sigma) in [(0.0, 1.0), (0.3, 0.05), (-2.0, 4.0)] {
        // The held component 2 is irrelevant at π = 1.
        let m = model(1.0, mu, 7.0, sigma, 0.3);
        m.validate_for(&s).unwrap();
        let f = fisher_slice(&m, &s, &rule());
        let v = 1.0 / (sigma * sigma);
        let want = Sym2::new(v, 0.0, 2.0 * v);
        assert!(rel_diff(&f, &want) < 1e-12, "σ={sigma}: {f:?}");
        // Negative controls: the Poincaré half-plane's diag(1, 1)/σ² (a σ score without the
        // −1/σ term would give 3/σ² instead of 2/σ²) is rejected by the same check.
        assert!(rel_diff(&f, &Sym2::new(v, 0.0, v)) > 0.1);
        assert!(rel_diff(&f, &Sym2::new(v, 0.0, 3.0 * v)) > 0.1);
        // The full matrix: component 2's rows vanish, π's are undefined (NaN), not numbers.
        let full = fisher_full(&m, &rule());
        assert!(full[Param::Pi.index()].iter().all(|v| v.is_nan()));
        for p in [Param::Mu2, Param::Sigma2] {
            assert_eq!(full[p.index()][p.index()], 0.0);
        }
    }
}

#[test]
fn mu1_mu2_is_singular_on_the_diagonal_iff_sigmas_are_equal() {
    let s = Slice::SEED;
    for pi in [0.25, 0.5, 0.8] {
        let m = model(pi, 0.3, 0.3, 0.7, 0.7);
        let f = fisher_slice(&m, &s, &rule());
        let e = f.eigen();
        assert!(e.lambda_min <= 1e-14 * e.lambda_max, "π={pi}: {e:?}");
        // Null direction (1 − π, −π).
        let n = [1.0 - pi, -pi];
        let fn_ = [f.xx * n[0] + f.xy * n[1], f.xy * n[0] + f.yy * n[1]];
        assert!(
            fn_[0].hypot(fn_[1]) < 1e-13 * e.lambda_max,
            "π={pi}: F·n = {fn_:?}"
        );
        // Negative control: the seed's null direction (1, −1) is not null unless π = ½.
        let d = [f.xx - f.xy, f.xy - f.yy];
        if pi != 0.5 {
            assert!(d[0].hypot(d[1]) > 1e-2 * e.lambda_max, "π={pi}");
        }
        // σ1 ≠ σ2: regular on the diagonal.
        let unequal = model(pi, 0.3, 0.3, 0.7, 0.9);
        let e = fisher_slice(&unequal, &s, &rule()).eigen();
        assert!(e.condition().is_some_and(|k| k < 1e3), "π={pi}: {e:?}");
    }
    // Natural gradient on the singular diagonal: undefined, not NaN.
    let input = GeneralInput {
        model: model(0.3, 0.3, 0.3, 0.7, 0.7),
        slice: Slice::SEED,
        target: Some(model(0.3, -1.0, 1.0, 0.7, 0.7)),
    };
    let r = evaluate_general(&input, &rule(), 0.0);
    assert!(r.kappa.is_none() || r.kappa.unwrap() > 1e12);
    assert!(r.loss.as_ref().unwrap().natgrad.is_none());
}

#[test]
fn mu1_row_vanishes_as_pi_goes_to_zero() {
    // σ1 < √2σ2, so every entry of the μ1 row is O(π) (and F_μ1μ1 ≤ π/σ1² always).
    let base = model(0.5, -1.0, 1.0, 1.0, 1.2);
    let i = Param::Mu1.index();
    let mut rows = Vec::new();
    for pi in [1e-2, 1e-3, 1e-4, 1e-5, 1e-6] {
        let f = fisher_full(&base.with(Param::Pi, pi), &rule());
        assert!(f[i][i] <= pi / (base.sigma1 * base.sigma1), "π={pi}");
        let row: [f64; 5] = std::array::from_fn(|j| f[i][j] / pi);
        assert!(
            row.iter().all(|v| v.is_finite() && v.abs() < 20.0),
            "π={pi}: {row:?}"
        );
        rows.push(row);
        // Negative control: the μ2 row does not vanish (F_μ2μ2 → 1/σ2²).
        let k = Param::Mu2.index();
        assert!(f[k][k] > 0.5 / (base.sigma2 * base.sigma2), "π={pi}");
    }
    // Row/π settles to a finite limit (the approach is slow at 1e-2: where φ1²/φ2 has its mass,
    // πφ1 is still 16% of φ2 there).
    let (a, b) = (rows[3], rows[4]);
    for j in 0..5 {
        assert!(
            (a[j] - b[j]).abs() < 1e-3 * a[0].abs(),
            "j={j}: {a:?} vs {b:?}"
        );
    }
    // On the (pi, mu1) slice the ellipse stretches along μ1: κ grows without bound.
    let s = slice(Param::Pi, Param::Mu1);
    let k3 = fisher_slice(&base.with(Param::Pi, 1e-3), &s, &rule()).eigen();
    let k6 = fisher_slice(&base.with(Param::Pi, 1e-6), &s, &rule()).eigen();
    assert!(k6.condition().unwrap() > 100.0 * k3.condition().unwrap());
    assert!(k6.q_min[1].abs() > 0.99, "stretch along μ1: {k6:?}");
}

fn max_rel_5(a: &Mat5, b: &Mat5) -> f64 {
    // Entry (i, j) relative to √(F_ii F_jj) (Cauchy–Schwarz scale).
    let mut worst = 0.0f64;
    for i in 0..5 {
        for j in 0..5 {
            let scale = (b[i][i] * b[j][j]).sqrt();
            let e = (a[i][j] - b[i][j]).abs() / scale;
            worst = if e.is_nan() {
                f64::INFINITY
            } else {
                worst.max(e)
            };
        }
    }
    worst
}

#[test]
fn score_square_and_negative_hessian_forms_agree_on_all_five() {
    let q = QuadratureRule::new(128).unwrap();
    for m in [
        model(0.5, -0.3, 0.4, 1.0, 1.0),
        model(0.3, -1.0, 1.5, 0.5, 1.0),
        model(1e-3, 0.0, 0.0, 2.0, 1.0),
        model(0.9, 0.0, 0.5, 1.0, 0.1),
        model(0.6, -20.0, 20.0, 2.0, 1.5),
        model(0.999, 0.0, 0.0, 1.0, 10.0),
    ] {
        let s = fisher_full(&m, &q);
        let h = fisher_full_hessian(&m, &q);
        let e = max_rel_5(&h, &s);
        assert!(e < 1e-10, "{m:?}: {e:.2e}\n{s:?}\n{h:?}");
        // Negative control 1: a Hessian with ∂σ²φ = φ(z⁴ − 5z² + 1)/σ² (a wrong constant) shifts
        // F_σ1σ1 by π/σ1²; the check catches it.
        let mut wrong = h;
        wrong[3][3] += m.pi / (m.sigma1 * m.sigma1);
        assert!(max_rel_5(&wrong, &s) > 1e-3, "{m:?}");
    }
    // Negative control 2: the two forms agree only under the model's own distribution: under a
    // different target, E*[s sᵀ] (EF) and −E*[∂² log p] differ.
    let m = model(0.3, -1.0, 1.5, 0.5, 1.0);
    let t = model(0.5, 0.0, 1.0, 1.0, 1.0);
    let ef = empirical_fisher_full(&m, &t, &q);
    let g = GeneralMixture::new(&m);
    let gt = GeneralMixture::new(&t);
    let h: [f64; 25] = expectation(&q, &gt, &[&g, &gt], |x| {
        let h = g.log_density_hessian(x);
        std::array::from_fn(|k| -h[k / 5][k % 5])
    });
    let h: Mat5 = std::array::from_fn(|i| std::array::from_fn(|j| h[5 * i + j]));
    assert!(max_rel_5(&h, &ef) > 1e-2);
}

#[test]
fn gradient_matches_finite_differences_of_the_loss() {
    let q = QuadratureRule::new(128).unwrap();
    let cases = [
        (
            model(0.3, -1.0, 1.0, 1.0, 1.0),
            slice(Param::Pi, Param::Mu1),
            model(0.6, -0.5, 1.0, 1.0, 1.0),
        ),
        (
            model(0.5, -1.0, 1.0, 1.0, 1.0),
            slice(Param::Sigma1, Param::Sigma2),
            model(0.5, -1.0, 1.0, 0.5, 2.0),
        ),
        (
            model(1.0, 0.3, 0.0, 0.7, 1.0),
            slice(Param::Mu1, Param::Sigma1),
            model(0.7, 0.5, 2.0, 1.0, 0.5),
        ),
        (
            model(0.25, -2.0, 2.0, 0.5, 1.5),
            slice(Param::Mu1, Param::Sigma2),
            model(0.6, 0.0, 1.0, 1.0, 1.0),
        ),
        (
            model(0.7, 1.0, -1.0, 1.0, 0.8),
            slice(Param::Mu2, Param::Mu1),
            model(0.4, 0.5, -0.5, 1.2, 0.6),
        ),
        (
            model(0.1, 0.0, 0.5, 1.0, 0.3),
            slice(Param::Sigma2, Param::Pi),
            model(0.8, 0.0, 0.5, 1.0, 0.3),
        ),
    ];
    for (m, s, t) in cases {
        let g = gradient(&m, &s, &t, &q);
        let xy = s.coords(&m);
        let fd: [f64; 2] = std::array::from_fn(|k| {
            let h = 1e-5 * xy[k].abs().max(0.1);
            let mut plus = xy;
            let mut minus = xy;
            plus[k] += h;
            minus[k] -= h;
            (kl_divergence(&s.place(&m, plus), &t, &q) - kl_divergence(&s.place(&m, minus), &t, &q))
                / (2.0 * h)
        });
        let scale = g[0].hypot(g[1]);
        let err = (g[0] - fd[0]).hypot(g[1] - fd[1]) / scale;
        assert!(
            err < 1e-7,
            "{m:?} on {s}: ∇L {g:?} vs FD {fd:?} ({err:.1e})"
        );
        // Negative control: the gradient of the other slice order (b, a) does not match.
        let swapped = [g[1], g[0]];
        assert!(
            (swapped[0] - fd[0]).hypot(swapped[1] - fd[1]) / scale > 1e-3,
            "{s}"
        );
    }
}

#[test]
fn loss_and_gradient_vanish_at_the_target_and_its_twin() {
    let q = rule();
    let cases = [
        (Slice::SEED, model(0.5, 0.0, 0.0, 0.8, 0.8), [-1.2, 0.7]),
        (
            slice(Param::Sigma1, Param::Sigma2),
            model(0.5, 0.4, 0.4, 1.0, 1.0),
            [0.5, 2.0],
        ),
        (
            slice(Param::Pi, Param::Mu1),
            model(0.5, 0.0, 1.0, 1.0, 1.0),
            [0.2, -0.5],
        ),
        (
            slice(Param::Mu1, Param::Sigma1),
            model(1.0, 0.0, 0.0, 1.0, 1.0),
            [0.3, 0.6],
        ),
        (
            slice(Param::Mu1, Param::Sigma2),
            model(0.3, 0.0, 2.0, 1.0, 1.0),
            [-0.5, 0.4],
        ),
    ];
    for (s, base, handle) in cases {
        let target = s.place(&base, handle);
        let mut minima = vec![handle];
        minima.extend(s.twin(&base, &target));
        for xy in &minima {
            let at = s.place(&base, *xy);
            let l = kl_divergence(&at, &target, &q);
            let g = gradient(&at, &s, &target, &q);
            assert!(l.abs() < 1e-14, "{s} at {xy:?}: L = {l:e}");
            assert!(
                g[0].abs() < 1e-12 && g[1].abs() < 1e-12,
                "{s} at {xy:?}: ∇L = {g:?}"
            );
        }
        // Negative control: a nearby point is not a minimum.
        let off = s.place(&base, [handle[0] + 0.05, handle[1]]);
        assert!(gradient(&off, &s, &target, &q)[0].abs() > 1e-3, "{s}");
        assert!(kl_divergence(&off, &target, &q) > 1e-5, "{s}");
    }
    // The twins that exist: seed slice, (σ1, σ2) with μ1 = μ2 and π = ½, (π, μ1) with μ1* = μ2.
    let twins = [
        Slice::SEED.twin(
            &model(0.5, 0.0, 0.0, 0.8, 0.8),
            &model(0.5, -1.2, 0.7, 0.8, 0.8),
        ),
        slice(Param::Sigma1, Param::Sigma2).twin(
            &model(0.5, 0.4, 0.4, 1.0, 1.0),
            &model(0.5, 0.4, 0.4, 0.5, 2.0),
        ),
        slice(Param::Pi, Param::Mu1).twin(
            &model(0.5, 0.0, 1.0, 1.0, 1.0),
            &model(0.2, 1.0, 1.0, 1.0, 1.0),
        ),
    ];
    assert_eq!(
        twins,
        [Some([0.7, -1.2]), Some([2.0, 0.5]), Some([0.8, 1.0])]
    );
    // Off the slice the target is not reached: L stays > 0 at the handle's slice point.
    let s = slice(Param::Mu1, Param::Sigma1);
    let base = model(1.0, 0.0, 0.0, 1.0, 1.0);
    let off = model(0.7, 0.5, 2.0, 1.0, 0.5);
    assert!(!s.passes_through(&base, &off));
    assert!(kl_divergence(&s.place(&base, s.coords(&off)), &off, &q) > 1e-2);
}

#[test]
fn general_path_matches_the_seed_rotated_path() {
    let q = QuadratureRule::new(128).unwrap();
    for (mu1, mu2, sigma, target) in [
        (0.3, -0.4, 1.0, [-1.0, 1.5]),
        (2.0, -3.0, 0.5, [1.0, 1.0]),
        (0.0, 0.05, 1.0, [0.5, -0.5]),
        (-6.0, 6.0, 1.0, [0.3, -0.2]),
        (-0.7, -0.7005, 0.5, [1.0, -1.0]),
    ] {
        let seed = evaluate_point(
            &PointInput {
                mu1,
                mu2,
                sigma,
                target: Some(target),
            },
            &q,
            0.0,
        );
        let m = Model::seed(mu1, mu2, sigma);
        let t = Model::seed(target[0], target[1], sigma);
        let f = fisher_slice(&m, &Slice::SEED, &q);
        let rot = fisher_rotated(&Mixture::new(mu1, mu2, sigma), &q).rotate_basis();
        assert!(
            rel_diff(&f, &rot) < 1e-12,
            "θ=({mu1},{mu2}): {f:?} vs {rot:?}"
        );
        let r = evaluate_general(
            &GeneralInput {
                model: m,
                slice: Slice::SEED,
                target: Some(t),
            },
            &q,
            0.0,
        );
        let (a, b) = (r.loss.unwrap(), seed.loss.unwrap());
        assert!(
            (a.kl - b.kl).abs() <= 1e-12 * b.kl,
            "kl {} vs {}",
            a.kl,
            b.kl
        );
        let gn = b.grad[0].hypot(b.grad[1]);
        for k in 0..2 {
            assert!(
                (a.grad[k] - b.grad[k]).abs() <= 1e-12 * gn,
                "grad {:?} vs {:?}",
                a.grad,
                b.grad
            );
        }
        // λ_max always; λ_min and ñ to the block's conditioning (the rotated path resolves the
        // diagonal, the general one carries κ times its entry error there).
        let kappa = seed.kappa.unwrap();
        assert!((r.eigenvalues[0] / seed.eigenvalues[0] - 1.0).abs() < 1e-12);
        let tol = 1e-12 + kappa * 1e-14;
        assert!(
            (r.eigenvalues[1] / seed.eigenvalues[1] - 1.0).abs() < tol,
            "λmin {} vs {} (κ {kappa:.1e})",
            r.eigenvalues[1],
            seed.eigenvalues[1]
        );
        let (na, nb) = (a.natgrad.unwrap(), b.natgrad.unwrap());
        let nn = nb[0].hypot(nb[1]);
        assert!(
            (na[0] - nb[0]).hypot(na[1] - nb[1]) < tol * nn,
            "ñ {na:?} vs {nb:?}"
        );
    }
    // Negative control: π = ½ + 1e-3 is visibly a different block.
    let m = Model::seed(0.3, -0.4, 1.0);
    let f = fisher_slice(&m, &Slice::SEED, &q);
    let g = fisher_slice(&m.with(Param::Pi, 0.501), &Slice::SEED, &q);
    assert!(rel_diff(&g, &f) > 1e-4);
}

#[test]
fn slice_block_is_in_slice_order() {
    let m = model(0.3, -1.0, 1.5, 0.5, 1.0);
    let full = fisher_full(&m, &rule());
    let ab = slice_block(&full, &slice(Param::Pi, Param::Mu2));
    let ba = slice_block(&full, &slice(Param::Mu2, Param::Pi));
    assert_eq!((ab.xx, ab.xy, ab.yy), (ba.yy, ba.xy, ba.xx));
    assert_eq!(ab.xx, full[0][0]);
    assert_eq!(ab.yy, full[2][2]);
    assert!(
        ab.xx != ab.yy,
        "negative control: the two orders are distinguishable"
    );
}

/// What the general path does near the seed's diagonal (σ1 = σ2, π = ½), against the rotated
/// fast path: λ_min = det/λ_max from standard-basis entries loses about κ·ε (measured: 4e-13 at
/// Δ = 0.01σ, 1e-11 at 1e-3σ, 1e-8 at 1e-4σ, 3e-6 at 1e-5σ, 4e-4 at 1e-6σ, 2e-2 at 1e-7σ, and
/// λ_min = 0, κ = ∞ at 1e-8σ where the rotated path still has 2.5e-17). ñ is undefined
/// (κ > 1e12) in both from Δ = 1e-6σ on. The seed's slice keeps the rotated path.
#[test]
fn near_the_seed_diagonal_the_general_path_loses_kappa_epsilon() {
    let q = rule();
    for (d, defined) in [
        (1e-2, true),
        (1e-3, true),
        (1e-4, true),
        (1e-5, true),
        (1e-6, false),
    ] {
        let seed = evaluate_point(
            &PointInput {
                mu1: 0.3,
                mu2: 0.3 + d,
                sigma: 1.0,
                target: Some([-1.0, 1.0]),
            },
            &QuadratureRule::new(128).unwrap(),
            0.0,
        );
        let r = evaluate_general(
            &GeneralInput {
                model: Model::seed(0.3, 0.3 + d, 1.0),
                slice: Slice::SEED,
                target: Some(Model::seed(-1.0, 1.0, 1.0)),
            },
            &q,
            0.0,
        );
        let kappa = seed.kappa.unwrap();
        let err = (r.eigenvalues[1] / seed.eigenvalues[1] - 1.0).abs();
        assert!(
            err <= kappa * 1e-14,
            "Δ={d}: λ_min error {err:.1e}, κ {kappa:.1e}"
        );
        let (a, b) = (r.loss.unwrap().natgrad, seed.loss.unwrap().natgrad);
        assert_eq!((a.is_some(), b.is_some()), (defined, defined), "Δ={d}");
        if d == 1e-6 {
            // Negative control: here the general path is visibly worse than the rotated one.
            assert!(err > 1e-6, "Δ={d}: {err:.1e}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The profiled metric (Schur complement of the held parameters' block).

use fisherflow::math::general::{
    Metric, PROFILE_MIN_PIVOT, ProfiledError, fisher_metric, fisher_profiled, held_params,
    schur_complement,
};

/// The inverse of a symmetric positive definite 5×5 by Gauss–Jordan with partial pivoting (an
/// independent route to the profiled metric: S⁻¹ = (F⁻¹)_ss).
fn inverse5(m: &Mat5) -> Mat5 {
    let mut a = *m;
    let mut inv: Mat5 = std::array::from_fn(|i| std::array::from_fn(|j| (i == j) as u8 as f64));
    for col in 0..5 {
        let pivot = (col..5)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap();
        a.swap(col, pivot);
        inv.swap(col, pivot);
        let p = a[col][col];
        for j in 0..5 {
            a[col][j] /= p;
            inv[col][j] /= p;
        }
        for i in 0..5 {
            if i != col {
                let f = a[i][col];
                for j in 0..5 {
                    a[i][j] -= f * a[col][j];
                    inv[i][j] -= f * inv[col][j];
                }
            }
        }
    }
    inv
}

/// Points spread over the model, off the weight boundary and away from coincident components.
fn profiled_points() -> Vec<(Model, Slice)> {
    use Param::*;
    let models = [
        model(0.5, -1.0, 1.2, 1.0, 1.0),
        model(0.3, 0.4, -0.8, 0.6, 1.4),
        model(0.8, -2.0, 0.5, 1.3, 0.7),
        model(0.05, 1.0, -1.0, 0.9, 1.1),
        model(0.6, 0.0, 0.3, 0.5, 2.0),
    ];
    let slices = [
        slice(Mu1, Mu2),
        slice(Mu1, Sigma1),
        slice(Pi, Mu1),
        slice(Sigma1, Sigma2),
        slice(Mu1, Sigma2),
        slice(Sigma2, Pi),
    ];
    models
        .iter()
        .flat_map(|m| slices.iter().map(move |s| (*m, *s)))
        .collect()
}

/// S = F_ss − F_sn F_nn⁻¹ F_ns equals ((F⁻¹)_ss)⁻¹ (the Schur complement identity), to 1e-9 of
/// ‖S‖; the induced block in its place is rejected (negative control).
#[test]
fn profiled_metric_is_the_inverse_of_the_inverse_fishers_block() {
    let rule = rule();
    let mut worst = 0.0f64;
    let mut worst_control = f64::INFINITY;
    for (m, s) in profiled_points() {
        let full = fisher_full(&m, &rule);
        let profiled = fisher_profiled(&m, &s, &rule).unwrap();
        let inv = inverse5(&full);
        let block = slice_block(&inv, &s);
        let det = block.det();
        let expected = Sym2::new(block.yy / det, -block.xy / det, block.xx / det);
        let e = rel_diff(&profiled, &expected);
        worst = worst.max(e);
        assert!(
            e < 1e-9,
            "{m:?} {s:?}: {profiled:?} vs {expected:?} ({e:.1e})"
        );
        worst_control = worst_control.min(rel_diff(&slice_block(&full, &s), &expected));
    }
    eprintln!(
        "profiled vs ((F⁻¹)_ss)⁻¹: worst {worst:.1e}; the induced block differs by ≥ {worst_control:.1e}"
    );
    assert!(worst_control > 1e-3, "the control never differs");
}

/// Whether a symmetric 2×2 is positive semi-definite up to `tol` (diagonal and determinant).
fn is_psd(m: &Sym2<f64>, tol: f64) -> bool {
    m.xx >= -tol && m.yy >= -tol && m.det() >= -tol * m.max_abs()
}

/// Loewner order: F_ss − S = F_sn F_nn⁻¹ F_ns is positive semi-definite, so S ≤ F_ss (less
/// information with the held parameters unknown), at every test point.
#[test]
fn profiled_metric_is_at_most_the_induced_metric() {
    let rule = rule();
    for (m, s) in profiled_points() {
        let induced = fisher_slice(&m, &s, &rule);
        let profiled = fisher_profiled(&m, &s, &rule).unwrap();
        let diff = Sym2::new(
            induced.xx - profiled.xx,
            induced.xy - profiled.xy,
            induced.yy - profiled.yy,
        );
        let tol = 1e-12 * induced.eigen().lambda_max;
        assert!(
            is_psd(&diff, tol),
            "{m:?} {s:?}: F_ss − S = {diff:?} is not PSD"
        );
        assert!(
            profiled.eigen().lambda_min > 0.0,
            "{m:?} {s:?}: S not positive definite"
        );
    }
    // Negative control: the order reversed (S ≥ F_ss) fails somewhere.
    let (m, s) = profiled_points()[0];
    let induced = fisher_slice(&m, &s, &rule);
    let profiled = fisher_profiled(&m, &s, &rule).unwrap();
    let reversed = Sym2::new(
        profiled.xx - induced.xx,
        profiled.xy - induced.xy,
        profiled.yy - induced.yy,
    );
    assert!(!is_psd(&reversed, 1e-12 * induced.eigen().lambda_max));
}

/// Orthogonality: with the components 20σ apart, (μ1, σ1) of component 1 is orthogonal to the
/// held (π, μ2, σ2) up to the overlap (F_μ1π = E_φ1[z]/σ1 = 0 and F_σ1π = E_φ1[z² − 1]/σ1 = 0
/// once the responsibilities are 0/1), so the profiled metric equals the induced one (1e-10).
/// With the components 1σ apart it does not (the check has teeth).
#[test]
fn profiled_equals_induced_where_the_held_parameters_are_orthogonal() {
    let rule = rule();
    let s = slice(Param::Mu1, Param::Sigma1);
    let far = model(0.4, -10.0, 10.0, 1.0, 1.0);
    let induced = fisher_slice(&far, &s, &rule);
    let profiled = fisher_profiled(&far, &s, &rule).unwrap();
    let e = rel_diff(&profiled, &induced);
    eprintln!("far apart: profiled vs induced {e:.1e}; induced {induced:?}");
    assert!(e < 1e-10, "{e:.1e}");
    // F_sn itself vanishes there.
    let full = fisher_full(&far, &rule);
    for k in held_params(&s) {
        for c in [Param::Mu1.index(), Param::Sigma1.index()] {
            assert!(
                full[c][k].abs() < 1e-10 * induced.max_abs(),
                "F[{c}][{k}] = {}",
                full[c][k]
            );
        }
    }
    let near = model(0.4, -0.5, 0.5, 1.0, 1.0);
    let e = rel_diff(
        &fisher_profiled(&near, &s, &rule).unwrap(),
        &fisher_slice(&near, &s, &rule),
    );
    assert!(
        e > 1e-2,
        "overlapping components: profiled ≈ induced ({e:.1e})"
    );
}

/// Where the profiled metric is undefined it says so: π held at exactly 0 or 1 (the
/// half-plane), and F_nn singular (the seed's slice at μ1 = μ2, σ1 = σ2: the held π's score
/// vanishes). Just off the diagonal it is defined.
#[test]
fn profiled_metric_is_undefined_on_the_weight_boundary_and_where_f_nn_is_singular() {
    let rule = rule();
    let half_plane = slice(Param::Mu1, Param::Sigma1);
    for pi in [0.0, 1.0] {
        let m = model(pi, 0.0, 0.0, 1.0, 1.0);
        let err = fisher_profiled(&m, &half_plane, &rule).unwrap_err();
        assert_eq!(err, ProfiledError::WeightOnBoundary { pi });
        assert!(err.to_string().contains("induced metric"), "{err}");
        assert!(fisher_metric(&m, &half_plane, Metric::Induced, &rule).is_ok());
    }
    let seed = slice(Param::Mu1, Param::Mu2);
    let diagonal = model(0.5, 0.3, 0.3, 1.0, 1.0);
    match fisher_profiled(&diagonal, &seed, &rule) {
        Err(ProfiledError::SingularNuisance { min_pivot }) => {
            assert!(min_pivot < PROFILE_MIN_PIVOT, "{min_pivot}")
        }
        other => panic!("expected a singular F_nn, got {other:?}"),
    }
    let (_, pivot) = schur_complement(&fisher_full(&diagonal, &rule), &seed);
    assert!(pivot < PROFILE_MIN_PIVOT);
    assert!(fisher_profiled(&model(0.5, 0.3, 0.5, 1.0, 1.0), &seed, &rule).is_ok());
}

/// The metric's names, codes and serde form.
#[test]
fn metric_names_codes_and_serde() {
    for (m, name, code) in [
        (Metric::Induced, "induced", 0),
        (Metric::Profiled, "profiled", 1),
    ] {
        assert_eq!(m.to_string(), name);
        assert_eq!(name.parse::<Metric>().unwrap(), m);
        assert_eq!(m.code(), code);
        assert_eq!(serde_json::to_string(&m).unwrap(), format!("\"{name}\""));
        assert_eq!(
            serde_json::from_str::<Metric>(&format!("\"{name}\"")).unwrap(),
            m
        );
    }
    assert_eq!(Metric::default(), Metric::Induced);
    assert!("Profiled".parse::<Metric>().is_err());
    assert!(serde_json::from_str::<Metric>("\"schur\"").is_err());
}

/// The geodesic code's slice-only scores and Hessian block are the full ones' entries, for every
/// pair of parameters (π with itself and across components included), away from and on the
/// weight boundary (NaN in the π row there), and the responsibilities from one exponential
/// keep full relative precision in the far tail.
#[test]
fn slice_scores_and_hessian_are_the_full_ones_entries() {
    let same = |a: f64, b: f64| (a.is_nan() && b.is_nan()) || a == b;
    for m in [
        model(0.3, -1.0, 1.5, 0.5, 1.0),
        model(0.5, -1.5, 1.0, 1.0, 1.0),
        model(1.0, 0.3, 0.0, 0.7, 1.0),
    ] {
        let g = GeneralMixture::new(&m);
        for x in [-6.0, -1.2, 0.0, 0.4, 2.5, 9.0] {
            let (s5, h5) = g.scores_and_hessian(x);
            assert_eq!(
                h5.map(|r| r.map(f64::to_bits)),
                g.log_density_hessian(x).map(|r| r.map(f64::to_bits))
            );
            for a in 0..5 {
                for b in 0..5 {
                    let (s, h) = g.slice_scores_and_hessian(x, a, b);
                    let idx = [a, b];
                    for i in 0..2 {
                        assert!(same(s[i], s5[idx[i]]), "{m:?} x={x} s[{i}] ({a},{b})");
                        for j in 0..2 {
                            assert!(
                                same(h[i][j], h5[idx[i]][idx[j]]),
                                "{m:?} x={x} ({a},{b}) h[{i}][{j}]: {} vs {}",
                                h[i][j],
                                h5[idx[i]][idx[j]]
                            );
                        }
                    }
                }
            }
            // Negative control: the block of (μ1, σ1) is not the block of (μ1, μ2).
            let (_, h_ms) = g.slice_scores_and_hessian(x, 1, 3);
            assert!(!same(h_ms[0][1], h5[1][2]), "{m:?} x={x}");
        }
    }
    // Far in component 1's tail r2 = e^{ℓ}/(1 + e^{ℓ}) is tiny and must not be 1 − r1 (= 0).
    let g = GeneralMixture::new(&model(0.5, -1.0, 1.0, 1.0, 1.0));
    let (r1, r2) = g.responsibilities(-20.0);
    assert_eq!(r1, 1.0);
    let exact = (-40.0f64).exp(); // ℓ = ln(φ1/φ2) = 2x at σ = 1, μ = ∓1
    assert!(((r2 - exact) / exact).abs() < 1e-12, "{r2} vs {exact}");
}
