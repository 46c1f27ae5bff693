//! The f64 geodesic solvers (`math::geodesic`) against exact oracles: the hyperbolic
//! half-plane (π = 1, slice (mu1, sigma1), MATH.md "Geodesics"): closed-form distances, the
//! exponential map's reach and the Fisher–Rao ball's ellipse; and facts of the seed's slice:
//! symmetry, the triangle inequality, the infinitesimal distance √(δᵀFδ), the antidiagonal
//! geodesic running into the singular diagonal, and the twin's distance (twice the distance
//! to the diagonal). Every comparison goes through [`check`], which a negative control shows
//! rejects a wrong value and NaN.

use fisherflow::math::family::MixturePlane;
use fisherflow::math::general::fisher_slice;
use fisherflow::math::geodesic::{
    GeodesicError, PathMethod, StopReason, exp_map, polyline_length, shortest_path,
    shortest_path_until, speed_squared,
};
use fisherflow::math::{Model, Param, QuadratureRule, Slice};

fn rule() -> QuadratureRule {
    QuadratureRule::new(64).expect("64 is a valid node count")
}

/// π = 1: one Gaussian N(μ1, σ1²); the slice (mu1, sigma1) is the half-plane.
fn half_plane() -> (Model, Slice) {
    (
        Model::from_array([1.0, 0.0, 0.0, 1.0, 1.0]),
        Slice::new(Param::Mu1, Param::Sigma1).expect("two different parameters"),
    )
}

/// d = √2·arccosh(1 + ((Δμ)²/2 + (Δσ)²)/(2σ_aσ_b)) (MATH.md).
fn half_plane_distance(a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dm, ds) = (a[0] - b[0], a[1] - b[1]);
    2f64.sqrt() * (1.0 + (0.5 * dm * dm + ds * ds) / (2.0 * a[1] * b[1])).acosh()
}

/// Ok when `got` is finite and within `tol` of `want`, relative to max(|want|, `floor`).
fn check(what: &str, got: f64, want: f64, tol: f64, floor: f64) -> Result<f64, String> {
    let err = (got - want).abs() / want.abs().max(floor);
    if got.is_finite() && err <= tol {
        Ok(err)
    } else {
        Err(format!(
            "{what}: {got} against {want} (error {err:e} > {tol:e})"
        ))
    }
}

/// A seeded generator (SplitMix64), uniform in [lo, hi).
struct Rng(u64);

impl Rng {
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        lo + (hi - lo) * (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Pseudo-random half-plane pairs: near (δ ≈ 1e-3), moderate, and far (distance > 4).
fn half_plane_pairs() -> Vec<([f64; 2], [f64; 2])> {
    let mut rng = Rng(7);
    let mut pairs = Vec::new();
    for _ in 0..6 {
        let a = [rng.uniform(-2.0, 2.0), rng.uniform(0.4, 2.5)];
        let b = [rng.uniform(-2.0, 2.0), rng.uniform(0.4, 2.5)];
        pairs.push((a, b));
    }
    for _ in 0..3 {
        let a = [rng.uniform(-1.0, 1.0), rng.uniform(0.5, 1.5)];
        let b = [
            a[0] + rng.uniform(-1e-3, 1e-3),
            a[1] + rng.uniform(-1e-3, 1e-3),
        ];
        pairs.push((a, b));
    }
    pairs.push(([-4.0, 0.3], [4.0, 2.5]));
    pairs.push(([-3.0, 0.5], [3.0, 0.5]));
    pairs.push(([0.2, 0.2], [0.1, 6.0]));
    pairs
}

/// Each consecutive pair of path points at most `spacing` apart in closed-form distance.
fn assert_dense(path: &[[f64; 2]], spacing: f64) {
    for w in path.windows(2) {
        let d = half_plane_distance(w[0], w[1]);
        assert!(
            d <= spacing,
            "path points {w:?} are {d} apart (> {spacing})"
        );
    }
}

#[test]
fn comparator_rejects_a_wrong_distance_and_nan() {
    let (a, b) = ([0.3, 0.8], [-1.1, 1.7]);
    let right = half_plane_distance(a, b);
    // The closed form with Δσ scaled by 1.01: a plausible bug (a wrong σ weight).
    let scaled = {
        let (dm, ds) = (a[0] - b[0], 1.01 * (a[1] - b[1]));
        2f64.sqrt() * (1.0 + (0.5 * dm * dm + ds * ds) / (2.0 * a[1] * b[1])).acosh()
    };
    assert!(check("control", scaled, right, 1e-5, 1e-3).is_err());
    assert!(check("control", f64::NAN, right, 1e-5, 1e-3).is_err());
    assert!(check("control", right * (1.0 + 5e-6), right, 1e-5, 1e-3).is_ok());
}

#[test]
fn half_plane_shortest_paths_match_the_closed_form() {
    let (base, slice) = half_plane();
    let r = rule();
    let mut worst = (0.0f64, 0.0f64);
    for (a, b) in half_plane_pairs() {
        let want = half_plane_distance(a, b);
        let got = shortest_path(&MixturePlane::new(&base, &slice, &r), a, b).unwrap();
        let err = check(&format!("d({a:?}, {b:?})"), got.distance, want, 1e-5, 0.0).unwrap();
        worst.0 = worst.0.max(err);
        assert_eq!(got.method, PathMethod::Shooting, "{a:?} → {b:?}");
        assert_eq!(got.path.first(), Some(&a));
        assert_eq!(got.path.last(), Some(&b));
        let poly = polyline_length(&MixturePlane::new(&base, &slice, &r), &got.path);
        let perr = (poly - got.distance).abs();
        assert!(
            perr <= 1e-3 && perr <= 1e-3 * got.distance,
            "polyline {poly} against {} ({a:?} → {b:?})",
            got.distance
        );
        worst.1 = worst.1.max(perr);
        assert_dense(&got.path, want / 100.0);
    }
    eprintln!(
        "half-plane shortest paths: worst relative distance error {:.1e}, worst polyline-length \
         error {:.1e}",
        worst.0, worst.1
    );
}

#[test]
fn half_plane_exp_map_reaches_its_length() {
    let (base, slice) = half_plane();
    let r = rule();
    let mut rng = Rng(11);
    let mut worst = 0.0f64;
    for _ in 0..8 {
        let from = [rng.uniform(-1.0, 1.0), rng.uniform(0.5, 2.0)];
        let angle = rng.uniform(0.0, std::f64::consts::TAU);
        let length = rng.uniform(0.2, 3.5);
        let g = exp_map(
            &MixturePlane::new(&base, &slice, &r),
            from,
            [angle.cos(), angle.sin()],
            length,
        )
        .unwrap();
        assert_eq!(g.stopped, None);
        assert_eq!(g.length, length);
        assert_eq!(g.path.first(), Some(&from));
        assert_eq!(g.path.last(), Some(&g.end));
        let d = half_plane_distance(from, g.end);
        worst = worst.max(check("exp reach", d, length, 1e-5, 0.0).unwrap());
        assert_dense(&g.path, length / 100.0);
    }
    eprintln!("half-plane exp map: worst relative reach error {worst:.1e}");
}

#[test]
fn half_plane_ball_is_the_ellipse() {
    let (base, slice) = half_plane();
    let r = rule();
    let (mu0, sigma0, radius) = (0.5, 0.8, 1.3);
    let rho = radius / 2f64.sqrt();
    let (centre, a, b) = (
        sigma0 * rho.cosh(),
        2f64.sqrt() * sigma0 * rho.sinh(),
        sigma0 * rho.sinh(),
    );
    let mut worst = 0.0f64;
    for k in 0..24 {
        let angle = std::f64::consts::TAU * k as f64 / 24.0;
        let g = exp_map(
            &MixturePlane::new(&base, &slice, &r),
            [mu0, sigma0],
            [angle.cos(), angle.sin()],
            radius,
        )
        .unwrap();
        let [m, s] = g.end;
        let level = ((m - mu0) / a).powi(2) + ((s - centre) / b).powi(2);
        worst = worst.max(check("ellipse level", level, 1.0, 1e-6, 0.0).unwrap());
    }
    eprintln!("half-plane ball: worst ellipse level error {worst:.1e}");
}

#[test]
fn bad_input_is_refused() {
    let (base, slice) = half_plane();
    let r = rule();
    assert!(matches!(
        exp_map(
            &MixturePlane::new(&base, &slice, &r),
            [0.0, 1.0],
            [0.0, 0.0],
            1.0
        ),
        Err(GeodesicError::BadDirection { .. })
    ));
    assert!(matches!(
        exp_map(
            &MixturePlane::new(&base, &slice, &r),
            [0.0, 1.0],
            [1.0, f64::NAN],
            1.0
        ),
        Err(GeodesicError::BadDirection { .. })
    ));
    for length in [-1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            exp_map(
                &MixturePlane::new(&base, &slice, &r),
                [0.0, 1.0],
                [1.0, 0.0],
                length
            ),
            Err(GeodesicError::BadLength { .. })
        ));
    }
    let err = shortest_path(
        &MixturePlane::new(&base, &slice, &r),
        [0.0, 1.0],
        [0.0, -1.0],
    )
    .unwrap_err();
    assert!(
        matches!(err, GeodesicError::OutsideModel { which: "end", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("sigma1"), "{err}");
    let err = exp_map(
        &MixturePlane::new(&base, &slice, &r),
        [0.0, 0.0],
        [1.0, 0.0],
        1.0,
    )
    .unwrap_err();
    assert!(
        matches!(err, GeodesicError::OutsideModel { which: "start", .. }),
        "{err}"
    );
}

/// The seed's slice at σ = 1.
fn seed() -> (Model, Slice) {
    (Model::seed(0.0, 0.0, 1.0), Slice::SEED)
}

fn seed_distance(a: [f64; 2], b: [f64; 2]) -> f64 {
    let (base, slice) = seed();
    let found = shortest_path(&MixturePlane::new(&base, &slice, &rule()), a, b).unwrap();
    assert_eq!(found.path.first(), Some(&a));
    assert_eq!(found.path.last(), Some(&b));
    found.distance
}

#[test]
fn seed_distances_are_symmetric_and_obey_the_triangle_inequality() {
    let mut rng = Rng(3);
    // Points on one side of the diagonal (μ1 < μ2), at least 0.3σ away from it.
    let mut point = || loop {
        let p = [rng.uniform(-2.0, 1.0), rng.uniform(-1.0, 2.0)];
        if p[1] - p[0] > 0.3 {
            return p;
        }
    };
    for _ in 0..3 {
        let (a, b, c) = (point(), point(), point());
        let (ab, ba) = (seed_distance(a, b), seed_distance(b, a));
        check("symmetry", ba, ab, 1e-6, 1e-3).unwrap();
        let (bc, ac) = (seed_distance(b, c), seed_distance(a, c));
        assert!(ac <= ab + bc + 1e-8, "d(a,c) = {ac} > {ab} + {bc}");
        assert!(ab <= ac + bc + 1e-8, "d(a,b) = {ab} > {ac} + {bc}");
    }
}

#[test]
fn seed_short_distances_are_the_metric_norm() {
    let (base, slice) = seed();
    let r = rule();
    let theta = [-0.4, 0.9];
    let delta = [0.6, -0.3];
    let f = fisher_slice(&slice.place(&base, theta), &slice, &r);
    let mut errors = Vec::new();
    for t in [1e-1, 1e-2, 1e-3] {
        let to = [theta[0] + t * delta[0], theta[1] + t * delta[1]];
        let d = seed_distance(theta, to);
        errors.push((d / (t * speed_squared(&f, delta).sqrt()) - 1.0).abs());
    }
    // The ratio's error is first order in t (the metric changes along δ).
    assert!(
        errors[2] < 1e-3 && errors[2] < errors[1] && errors[1] < errors[0],
        "{errors:?}"
    );
}

/// The antidiagonal μ1 = −μ2 is a geodesic (fixed set of the isometry (μ1, μ2) ↦ (−μ2, −μ1)),
/// along F's eigenvector u = (1, −1)/√2, so its length from (1, −1) to the diagonal is
/// ∫ √(uᵀFu) along it (Simpson, 400 intervals, on the quadrature metric). (uᵀFu is λ_min only
/// for |Δ| < 1.636σ, where the eigenvalues cross.)
fn antidiagonal_length_to_diagonal() -> f64 {
    let (base, slice) = seed();
    let r = rule();
    let n = 400;
    let h = 2f64.sqrt() / n as f64;
    let speed = |t: f64| {
        let p = [t / 2f64.sqrt(), -t / 2f64.sqrt()];
        let f = fisher_slice(&slice.place(&base, p), &slice, &r);
        speed_squared(&f, [0.5f64.sqrt(), -(0.5f64.sqrt())]).sqrt()
    };
    (0..=n)
        .map(|k| {
            let w = if k == 0 || k == n {
                1.0
            } else if k % 2 == 1 {
                4.0
            } else {
                2.0
            };
            w * speed(k as f64 * h)
        })
        .sum::<f64>()
        * h
        / 3.0
}

#[test]
fn seed_geodesic_toward_the_diagonal_stops_on_the_singular_set() {
    let (base, slice) = seed();
    let g = exp_map(
        &MixturePlane::new(&base, &slice, &rule()),
        [1.0, -1.0],
        [-1.0, 1.0],
        5.0,
    )
    .unwrap();
    assert_eq!(g.stopped, Some(StopReason::SingularSet));
    assert!(
        g.length.is_finite() && g.length > 0.0 && g.length < 5.0,
        "{g:?}"
    );
    let want = antidiagonal_length_to_diagonal();
    let err = check("length to the diagonal", g.length, want, 1e-6, 0.0).unwrap();
    assert!(
        g.end[0].abs() < 1e-3 && g.end[1].abs() < 1e-3,
        "end {:?}",
        g.end
    );
    for p in &g.path {
        assert!((p[0] + p[1]).abs() < 1e-7, "off the antidiagonal: {p:?}");
    }
    eprintln!(
        "length to the diagonal {} (error {err:.1e}), end {:?}",
        g.length, g.end
    );
}

#[test]
fn seed_twin_distance_is_twice_the_distance_to_the_diagonal() {
    let (base, slice) = seed();
    let r = rule();
    // Translation invariance: every twin pair is an antidiagonal pair moved along (1, 1).
    let (a, twin) = ([1.7, -0.3], [-0.3, 1.7]);
    let found = shortest_path(&MixturePlane::new(&base, &slice, &r), a, twin).unwrap();
    assert_eq!(found.method, PathMethod::Relaxation);
    let want = 2.0 * antidiagonal_length_to_diagonal();
    let err = check("twin distance", found.distance, want, 1e-4, 0.0).unwrap();
    assert!(
        found.error_estimate >= (found.distance - want).abs(),
        "{found:?}"
    );
    let poly = polyline_length(&MixturePlane::new(&base, &slice, &r), &found.path);
    assert!(
        (poly - found.distance).abs() <= 1e-3,
        "{poly} vs {}",
        found.distance
    );
    eprintln!(
        "twin distance {} (error {err:.1e}, estimate {:.1e})",
        found.distance, found.error_estimate
    );
}

/// A path ending on the diagonal is found by relaxation; the distance to a point 1e-3 off the
/// diagonal (found by shooting) differs by at most the distance between the two ends,
/// Δ²/(4√2) ≈ 7e-7 here (MATH.md near-diagonal metric). Relaxation converges like h² on this
/// path (its error estimate, the change between the last two levels, says so).
#[test]
fn relaxation_agrees_with_shooting_next_to_the_singular_set() {
    let (base, slice) = seed();
    let r = rule();
    let a = [1.5, -0.8];
    let on = shortest_path(&MixturePlane::new(&base, &slice, &r), a, [0.6, 0.6]).unwrap();
    assert_eq!(on.method, PathMethod::Relaxation);
    let off = shortest_path(&MixturePlane::new(&base, &slice, &r), a, [0.601, 0.599]).unwrap();
    assert_eq!(off.method, PathMethod::Shooting);
    let err = check("relaxation", on.distance, off.distance, 1e-3, 0.0).unwrap();
    assert!(
        on.error_estimate >= (on.distance - off.distance).abs(),
        "{on:?}"
    );
    eprintln!(
        "relaxation {} vs shooting {} ({err:.1e})",
        on.distance, off.distance
    );
}

/// Release timings for the README (`cargo test --release --test math geodesic:: -- --ignored
/// --nocapture`).
#[test]
#[ignore = "timing report, run by hand in release"]
fn timings() {
    let (base, slice) = seed();
    let pairs = [
        ([-1.0, 1.5], [0.5, 2.0]),
        ([-1.5, 0.2], [1.0, 2.5]),
        ([-2.0, 2.0], [-0.5, -0.2]),
        ([0.3, 1.2], [-0.8, 0.1]),
        ([1.7, -0.3], [-0.3, 1.7]),
    ];
    for q in [32, 64] {
        let r = QuadratureRule::new(q).unwrap();
        for (a, b) in pairs {
            let t = std::time::Instant::now();
            let found = shortest_path(&MixturePlane::new(&base, &slice, &r), a, b).unwrap();
            eprintln!(
                "q={q} shortest {a:?} → {b:?}: {:.3} ms, d = {:.9}, {}, {} points",
                t.elapsed().as_secs_f64() * 1e3,
                found.distance,
                found.method,
                found.path.len()
            );
        }
        let t = std::time::Instant::now();
        let g = exp_map(
            &MixturePlane::new(&base, &slice, &r),
            [-1.0, 1.5],
            [1.0, 0.3],
            3.0,
        )
        .unwrap();
        eprintln!(
            "q={q} exp_map length 3: {:.3} ms, {} points",
            t.elapsed().as_secs_f64() * 1e3,
            g.path.len()
        );
        let t = std::time::Instant::now();
        let g = exp_map(
            &MixturePlane::new(&base, &slice, &r),
            [1.0, -1.0],
            [-1.0, 1.0],
            5.0,
        )
        .unwrap();
        eprintln!(
            "q={q} exp_map into the diagonal: {:.3} ms, length {}, {:?}",
            t.elapsed().as_secs_f64() * 1e3,
            g.length,
            g.stopped
        );
    }
}

/// A solve asked to stop ends with `Stopped` soon after the request, whether it is shooting
/// (a half-plane pair) or relaxing (the seed's twin pair, through the singular diagonal);
/// never asked, the same solves answer (the control).
#[test]
fn a_stopped_solve_ends_with_stopped() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let r = rule();
    let (half, half_slice) = half_plane();
    let (seed_model, seed_slice) = seed();
    let cases = [
        (
            MixturePlane::new(&half, &half_slice, &r),
            [0.5, 0.2],
            [3.0, 4.0],
        ),
        (
            MixturePlane::new(&seed_model, &seed_slice, &r),
            [1.7, -0.3],
            [-0.3, 1.7],
        ),
    ];
    for (plane, a, b) in &cases {
        // Never stopped, the solve answers; `checks` counts how often it asked.
        let counted = AtomicUsize::new(0);
        let count = || {
            counted.fetch_add(1, Ordering::Relaxed);
            false
        };
        assert!(shortest_path_until(plane, *a, *b, &count).is_ok());
        let checks = counted.load(Ordering::Relaxed);
        assert!(checks >= 10, "{a:?} → {b:?}: only {checks} checks");
        for after in [0, 5, checks / 2] {
            let asked = AtomicUsize::new(0);
            let stop = || asked.fetch_add(1, Ordering::Relaxed) >= after;
            let got = shortest_path_until(plane, *a, *b, &stop);
            assert_eq!(
                got.err(),
                Some(GeodesicError::Stopped),
                "{a:?} → {b:?}, stop after {after}"
            );
        }
    }
}
