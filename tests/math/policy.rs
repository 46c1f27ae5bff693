//! The policy plane's f64 closed loop against 30-digit mpmath references (the public points of
//! shared/reference and our own set near the triangle's edges and corners,
//! tests/data/make_lqr_reference.py), and the family on the generic geodesic and optimizer
//! code: distances symmetric, triangle inequality, short steps ≈ √(δᵀFδ), a ray into an edge
//! stops there, npg descends to K* while a large gd step crashes out of the triangle.

use fisherflow::math::Sym2;
use fisherflow::math::family::Plane;
use fisherflow::math::geodesic::{StopReason, exp_map, shortest_path};
use fisherflow::math::optimize::{Hyperparameters, Optimizer, Stop, run};
use fisherflow::math::policy::{Lqr, PolicyPlane, System};
use serde_json::Value;

fn data(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn system(v: &Value) -> System {
    serde_json::from_value(v.clone()).unwrap()
}

fn pair(v: &Value) -> [f64; 2] {
    [v[0].as_f64().unwrap(), v[1].as_f64().unwrap()]
}

fn matrix(v: &Value) -> Sym2<f64> {
    Sym2::new(
        v[0][0].as_f64().unwrap(),
        v[0][1].as_f64().unwrap(),
        v[1][1].as_f64().unwrap(),
    )
}

/// |got − want| ≤ rel·(|want| + scale), entrywise.
fn close(what: &str, got: &[f64], want: &[f64], scale: f64, rel: f64) -> Result<f64, String> {
    let mut worst = 0.0f64;
    for (g, w) in got.iter().zip(want) {
        let err = (g - w).abs() / (w.abs() + scale);
        if err.is_nan() || err > rel {
            return Err(format!(
                "{what}: got {got:?}, want {want:?} (error {err:.2e})"
            ));
        }
        worst = worst.max(err);
    }
    Ok(worst)
}

/// Checks one reference point; returns the worst relative error seen.
fn check_point(p: &Value) -> Result<f64, String> {
    let lqr = Lqr::new(&system(&p["system"]));
    let k = pair(&p["gains"]);
    let got = lqr.evaluate(k);
    let rho = p["spectral_radius"].as_f64().unwrap();
    let mut worst = close("ρ", &[got.spectral_radius], &[rho], 0.0, 1e-12)?;
    if (rho - 1.0).abs() >= 1e-9 && got.stable != p["stable"].as_bool().unwrap() {
        return Err(format!("stable: got {}, want {}", got.stable, p["stable"]));
    }
    // Within 0.99 < ρ < 1 the Stein solves lose accuracy like 1/(1 − ρ²): a looser bound.
    let rel = if rho <= 0.99 { 1e-10 } else { 1e-8 };
    match got.closed {
        None => {
            if p["cost"] != Value::Null {
                return Err("unstable here, but the reference has a cost".into());
            }
        }
        Some(c) => {
            let norm = |v: [f64; 2]| v[0].hypot(v[1]);
            let s = c.sigma;
            let sigma_norm = Sym2::new(s.xx, s.xy, s.yy).eigen().lambda_max;
            // MATH.md's scales: E_K vanishes at K* as a difference of terms of size h.
            let h = c.h * norm(k);
            let e2 = lqr.system.exploration.powi(2);
            let f = c.fisher;
            let want_f = matrix(&p["fisher"]);
            let fs = want_f.eigen().lambda_max;
            for (what, got, want, scale) in [
                ("cost", vec![c.cost], vec![p["cost"].as_f64().unwrap()], 0.0),
                (
                    "control energy",
                    vec![c.control_energy],
                    vec![p["control_energy"].as_f64().unwrap()],
                    0.0,
                ),
                (
                    "grad",
                    c.grad.to_vec(),
                    pair(&p["grad"]).to_vec(),
                    2.0 * h * sigma_norm,
                ),
                (
                    "natgrad",
                    c.natgrad.to_vec(),
                    pair(&p["natgrad"]).to_vec(),
                    2.0 * e2 * h,
                ),
                (
                    "gauss-newton",
                    c.gauss_newton.to_vec(),
                    pair(&p["gauss_newton"]).to_vec(),
                    2.0 * norm(k),
                ),
                (
                    "fisher",
                    vec![f.xx, f.xy, f.yy],
                    vec![want_f.xx, want_f.xy, want_f.yy],
                    fs,
                ),
                (
                    "eigenvalues",
                    c.eigenvalues.to_vec(),
                    pair(&p["eigenvalues"]).to_vec(),
                    0.0,
                ),
                (
                    "kappa",
                    vec![c.kappa],
                    vec![p["kappa"].as_f64().unwrap()],
                    0.0,
                ),
            ] {
                worst = worst.max(close(what, &got, &want, scale, rel)?);
            }
        }
    }
    if let Some(horizon) = p["horizon"].as_u64() {
        let fh = lqr.finite_horizon(k, horizon as u32);
        let want_g = pair(&p["grad_h"]);
        let want_f = matrix(&p["fisher_h"]);
        worst = worst.max(close(
            "cost_h",
            &[fh.cost],
            &[p["cost_h"].as_f64().unwrap()],
            0.0,
            1e-10,
        )?);
        worst = worst.max(close(
            "grad_h",
            &fh.grad,
            &want_g,
            1e-3 * want_g[0].hypot(want_g[1]),
            1e-10,
        )?);
        worst = worst.max(close(
            "fisher_h",
            &[fh.fisher.xx, fh.fisher.xy, fh.fisher.yy],
            &[want_f.xx, want_f.xy, want_f.yy],
            want_f.eigen().lambda_max,
            1e-10,
        )?);
    }
    Ok(worst)
}

#[test]
fn closed_loop_matches_the_30_digit_references() {
    let public = data("public_lqr_points.json");
    let ours = data("lqr_points.json");
    let points: Vec<&Value> = public
        .as_array()
        .unwrap()
        .iter()
        .chain(ours["points"].as_array().unwrap())
        .collect();
    let (mut worst, mut stable, mut unstable) = (0.0f64, 0, 0);
    for p in &points {
        let err = check_point(p).unwrap_or_else(|e| panic!("{e}\nat {p}"));
        worst = worst.max(err);
        if p["stable"].as_bool().unwrap() {
            stable += 1
        } else {
            unstable += 1
        }
    }
    assert!(
        stable >= 90 && unstable >= 10,
        "{stable} stable, {unstable} unstable"
    );
    eprintln!(
        "policy plane: {} points, worst relative error {worst:.1e}",
        points.len()
    );
    // Negative controls: a perturbed reference value fails, as does a wrong system.
    let mut bad = (*points[0]).clone();
    let cost = bad["cost"].as_f64().unwrap();
    bad["cost"] = (cost * (1.0 + 1e-8)).into();
    assert!(check_point(&bad).is_err());
    let mut bad = (*points[0]).clone();
    bad["system"]["r"] = 0.1001.into();
    assert!(check_point(&bad).is_err());
}

#[test]
fn policy_iteration_reaches_the_dare_optimum() {
    let ours = data("lqr_points.json");
    for o in ours["optimum"].as_array().unwrap() {
        let lqr = Lqr::new(&system(&o["system"]));
        let (k, cost) = lqr.optimum();
        let want = pair(&o["gains"]);
        let err = (k[0] - want[0]).hypot(k[1] - want[1]) / want[0].hypot(want[1]);
        assert!(err <= 1e-10, "K* = {k:?}, want {want:?} ({err:.1e})");
        let c = o["cost"].as_f64().unwrap();
        assert!((cost - c).abs() <= 1e-12 * c, "C* = {cost}, want {c}");
        // At K* the gradient vanishes on MATH.md's scale; one percent away it does not.
        let closed = lqr.evaluate(k).closed.unwrap();
        let scale = 2.0 * closed.h * k[0].hypot(k[1]) * closed.sigma.eigen().lambda_max;
        assert!(closed.grad[0].hypot(closed.grad[1]) <= 1e-12 * scale);
        let off = lqr.evaluate([k[0] * 1.01, k[1]]).closed.unwrap();
        assert!(off.grad[0].hypot(off.grad[1]) > 1e-6 * scale);
    }
}

#[test]
fn system_keys_are_checked() {
    let ok: System = "plant=pendulum,dt=0.02,omega2=20,friction=0.3"
        .parse()
        .unwrap();
    assert_eq!((ok.dt(), ok.a()), (0.02, 20.0));
    let cart: System = "".parse().unwrap();
    assert_eq!((cart.dt(), cart.a()), (0.1, 0.0));
    for (text, key) in [
        ("plant=segway", "plant"),
        ("omega2=9.81", "omega2"),
        ("dt=0", "dt"),
        ("r=0", "r"),
        ("q_pos=0", "q_pos"),
        ("q_vel=-1", "q_vel"),
        ("x0_pos=0", "x0_pos"),
        ("x0_vel=-1", "x0_vel"),
        ("exploration=0", "exploration"),
        ("friction=-0.1", "friction"),
        ("r=NaN", "r"),
        ("mass=2", "mass"),
        ("plant", "plant"),
        ("plant=pendulum,omega2=0", "omega2"),
    ] {
        let err = text.parse::<System>().unwrap_err();
        assert_eq!(err.key, key, "{text}: {err}");
    }
    // The same checks for a file's system.
    let from_json: System = serde_json::from_str(r#"{"plant": "pendulum", "dt": 0.05}"#).unwrap();
    assert!(from_json.validate().is_ok());
    assert!(serde_json::from_str::<System>(r#"{"plant": "cart", "mass": 1}"#).is_err());
}

fn pendulum() -> PolicyPlane {
    PolicyPlane::new(&"plant=pendulum".parse().unwrap())
}

#[test]
fn the_metric_jet_is_the_derivative_of_the_metric() {
    for plane in [pendulum(), PolicyPlane::new(&System::default())] {
        let (k, _) = plane.lqr.optimum();
        let k = [k[0] * 1.3, k[1] * 0.8];
        let jet = plane.metric_jet(k);
        for j in 0..2 {
            let h = 1e-6 * k[j].abs();
            let step = |s: f64| {
                let mut q = k;
                q[j] += s * h;
                plane.metric(q)
            };
            let (plus, minus) = (step(1.0), step(-1.0));
            let fd = Sym2::new(
                (plus.xx - minus.xx) / (2.0 * h),
                (plus.xy - minus.xy) / (2.0 * h),
                (plus.yy - minus.yy) / (2.0 * h),
            );
            let err = jet.derivative[j].max_abs_difference(&fd) / fd.max_abs();
            assert!(
                err < 1e-6,
                "∂F/∂k{j}: {:?} vs {fd:?} ({err:.1e})",
                jet.derivative[j]
            );
            let other = jet.derivative[1 - j].max_abs_difference(&fd) / fd.max_abs();
            assert!(
                other > 1e-3,
                "control: the other derivative matched ({other:.1e})"
            );
        }
    }
}

#[test]
fn geodesics_on_the_policy_plane() {
    let plane = pendulum();
    let (k_star, _) = plane.lqr.optimum();
    let a = [k_star[0] * 1.5, k_star[1] * 1.2];
    let b = [k_star[0] * 0.8, k_star[1] * 0.9];
    let c = [k_star[0] * 1.2, k_star[1] * 0.7];
    let d = |x, y| shortest_path(&plane, x, y).unwrap().distance;
    let (ab, ba) = (d(a, b), d(b, a));
    assert!((ab - ba).abs() <= 1e-7 * ab, "symmetric: {ab} vs {ba}");
    let (ac, cb) = (d(a, c), d(c, b));
    assert!(ab <= ac + cb + 1e-9, "triangle: {ab} > {ac} + {cb}");
    // Short steps: the distance approaches √(δᵀFδ).
    let f = plane.metric(a);
    for scale in [1e-2, 1e-3] {
        let delta = [scale * k_star[0], -0.5 * scale * k_star[1]];
        let want = (f.xx * delta[0] * delta[0]
            + 2.0 * f.xy * delta[0] * delta[1]
            + f.yy * delta[1] * delta[1])
            .sqrt();
        let got = d(a, [a[0] + delta[0], a[1] + delta[1]]);
        assert!(
            (got - want).abs() <= 20.0 * scale * want,
            "{scale}: {got} vs {want}"
        );
    }
    // On the cart, a ray down from K* reaches the lower edge k2 = dt·k1 (an open edge, at a
    // finite distance) and stops there as having left the model, at a finite length, with
    // ρ(A_K) within 1e-4 of 1.
    let cart = PolicyPlane::new(&System::default());
    let (k_star, _) = cart.lqr.optimum();
    let g = exp_map(&cart, k_star, [0.0, -1.0], 100.0).unwrap();
    assert_eq!(
        g.stopped,
        Some(StopReason::LeftModel),
        "{:?} after {}",
        g.end,
        g.length
    );
    assert!(g.length > 1.0 && g.length < 100.0, "{}", g.length);
    let rho = cart.lqr.spectral_radius(g.end);
    assert!(rho < 1.0 && rho > 1.0 - 1e-4, "ρ = {rho} at {:?}", g.end);
    // Control: a shorter ray goes its whole length and stays well inside.
    let short = exp_map(&cart, k_star, [0.0, -1.0], 0.5 * g.length).unwrap();
    assert_eq!(short.stopped, None);
    assert!(cart.lqr.spectral_radius(short.end) < 0.999);
}

#[test]
fn npg_settles_where_a_large_gd_step_crashes() {
    let plane = pendulum();
    let (k_star, c_star) = plane.lqr.optimum();
    let start = [k_star[0] * 2.0, k_star[1] * 1.5];
    let hyper = Hyperparameters::default();
    let npg = run(&plane, start, Optimizer::Ngd, 0.5, 400, &hyper);
    assert_eq!(npg.stop, Stop::Completed);
    let last = npg.last().unwrap();
    assert!(
        last.loss <= c_star * (1.0 + 1e-6),
        "C = {} vs C* = {c_star}",
        last.loss
    );
    let gd = run(&plane, start, Optimizer::Gd, 1.0, 400, &hyper);
    match &gd.stop {
        Stop::LeftDomain { detail, theta, .. } => {
            assert!(detail.starts_with("unstable: ρ(A_K) = "), "{detail}");
            assert!(plane.check(*theta).is_err());
            assert!(gd.trajectory.iter().all(|s| plane.check(s.theta).is_ok()));
        }
        other => panic!("expected gd to crash, got {other:?}"),
    }
    // The family offers F and Gauss–Newton, not the mixture's data-based Fishers.
    assert!(Optimizer::Ngd.offered_by(&plane));
    assert!(!Optimizer::EfNgd.offered_by(&plane) && !Optimizer::McNgd.offered_by(&plane));
}

#[test]
fn rollouts_settle_at_k_star_and_leave_outside_the_triangle() {
    let plane = pendulum();
    let lqr = &plane.lqr;
    let (k_star, _) = lqr.optimum();
    let x0 = [1.0, 0.0];
    let settle = lqr.rollout(k_star, x0, 400, 1e3);
    assert_eq!(settle.len(), 401);
    // Step n is A_K^n x0 (checked by the matrix power) and u = −Kx.
    let m = lqr.closed_loop(k_star);
    let mut x = x0;
    for s in &settle[..50] {
        assert!((s.x[0] - x[0]).abs() < 1e-12 && (s.x[1] - x[1]).abs() < 1e-12);
        assert!((s.u + k_star[0] * x[0] + k_star[1] * x[1]).abs() < 1e-12);
        x = [
            m[0][0] * x[0] + m[0][1] * x[1],
            m[1][0] * x[0] + m[1][1] * x[1],
        ];
    }
    let last = settle.last().unwrap();
    assert!(last.x[0].hypot(last.x[1]) < 1e-6, "{last:?}");
    assert!((last.t - 400.0 * 0.05).abs() < 1e-9);
    // Gains below the left edge (k1 < ω²: too weak to hold it up): the pendulum falls, and the
    // rollout stops once the state has grown a thousandfold.
    let fall = lqr.rollout([5.0, 3.0], x0, 400, 1e3);
    assert!(fall.len() < 401);
    let end = fall.last().unwrap();
    assert!(end.x[0].hypot(end.x[1]) > 1e3, "{end:?}");
}

/// REINFORCE's error against the exact ∇C_{H,σ} falls like 1/√N (the rms error at 16N is about
/// a quarter of that at N, over 12 seeds), and F̂'s against F_H too; judged against the F of
/// another horizon (F_5 for rollouts of 30 steps) F̂'s error stops falling — the comparator's
/// control. The per-step baseline lowers the gradient's variance.
#[test]
fn rollout_estimates_converge_like_one_over_root_n() {
    use fisherflow::math::policy::sampling::estimate;
    let system: System = "plant=cart,friction=0.3".parse().unwrap();
    let lqr = Lqr::new(&system);
    let (k, horizon) = ([2.0, 3.0], 30);
    let exact = lqr.finite_horizon(k, horizon);
    let other_horizon = lqr.finite_horizon(k, 5).fisher;
    let norm = |v: [f64; 2]| v[0].hypot(v[1]);
    let seeds = 12;
    // rms relative errors of ∇̂ against ∇C_{H,σ}, of F̂ against `f_target`.
    let rms = |n: u32, baseline: bool, f_target: &Sym2<f64>| -> (f64, f64) {
        let (mut g2, mut f2) = (0.0, 0.0);
        for seed in 0..seeds {
            let e = estimate(&lqr, k, n, horizon, seed, 1, baseline);
            let d = [e.grad[0] - exact.grad[0], e.grad[1] - exact.grad[1]];
            g2 += (norm(d) / norm(exact.grad)).powi(2);
            f2 += (e.fisher.max_abs_difference(f_target) / f_target.max_abs()).powi(2);
        }
        ((g2 / seeds as f64).sqrt(), (f2 / seeds as f64).sqrt())
    };
    let (g_small, f_small) = rms(200, true, &exact.fisher);
    let (g_large, f_large) = rms(3200, true, &exact.fisher);
    let (g_ratio, f_ratio) = (g_small / g_large, f_small / f_large);
    eprintln!(
        "REINFORCE: rms error {g_small:.3} at N = 200, {g_large:.3} at 3200 ({g_ratio:.2}×); \
         F̂ {f_small:.4}, {f_large:.4} ({f_ratio:.2}×)"
    );
    assert!(
        (2.5..6.5).contains(&g_ratio),
        "gradient error ratio {g_ratio} (√16 = 4)"
    );
    assert!(
        (2.5..6.5).contains(&f_ratio),
        "Fisher error ratio {f_ratio}"
    );
    // Control: against F_5 the error plateaus at F_30's distance from it.
    let (_, c_small) = rms(200, true, &other_horizon);
    let (_, c_large) = rms(3200, true, &other_horizon);
    assert!(
        c_small / c_large < 1.5,
        "{c_small} → {c_large}: the wrong target should plateau"
    );
    // Without the baseline the gradient's error at the same N is larger.
    let (plain, _) = rms(200, false, &exact.fisher);
    assert!(
        plain > 1.2 * g_small,
        "no baseline {plain} vs baseline {g_small}"
    );
    // The mean sampled cost estimates C_{H,σ}.
    let e = estimate(&lqr, k, 3200, horizon, 7, 1, true);
    assert!(
        (e.cost - exact.cost).abs() < 0.05 * exact.cost,
        "{} vs {}",
        e.cost,
        exact.cost
    );
}
