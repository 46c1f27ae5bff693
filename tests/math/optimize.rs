//! The optimizers of `math::optimize` against their textbook updates: the first step of gd,
//! ngd, ngd-damped and ef-ngd against −lr·P⁻¹∇L from 30-digit references
//! (tests/data/optimize_refs.json, five slices, points not tuned on), momentum's and Adam's
//! first two steps against a hand computation, mc-ngd's deterministic resampling, the domain
//! exit and the singular-preconditioner breakdown (reported, never NaN), and the race's point:
//! from near the seed's singular diagonal ngd reaches θ* in a few steps while gd crawls.

use fisherflow::math::estimates::mc_fisher;
use fisherflow::math::family::MixturePlane;
use fisherflow::math::general::{fisher_slice, gradient, kl_divergence};
use fisherflow::math::optimize::{Hyperparameters, Optimizer, Run, Stop, first_step, race, run};
use fisherflow::math::{Model, QuadratureRule, Slice, Sym2};

fn rule() -> QuadratureRule {
    QuadratureRule::new(fisherflow::math::general::DEFAULT_NODES_GENERAL).unwrap()
}

/// The tolerance of the issue: 1e-8 relative to the reference step's norm.
const REL_TOL: f64 = 1e-8;

fn norm(v: [f64; 2]) -> f64 {
    v[0].hypot(v[1])
}

fn rel_err(got: [f64; 2], want: [f64; 2]) -> f64 {
    norm([got[0] - want[0], got[1] - want[1]]) / norm(want)
}

fn sym(m: &serde_json::Value) -> Sym2<f64> {
    let e = |i: usize, j: usize| m[i][j].as_f64().unwrap();
    Sym2::new(e(0, 0), e(0, 1), e(1, 1))
}

fn pair(v: &serde_json::Value) -> [f64; 2] {
    [v[0].as_f64().unwrap(), v[1].as_f64().unwrap()]
}

/// Every trajectory value is finite (the "never NaN in the output" rule).
fn assert_finite(r: &Run) {
    for s in &r.trajectory {
        assert!(
            s.theta.iter().all(|v| v.is_finite())
                && s.loss.is_finite()
                && s.fisher_rao_length.is_finite()
                && s.euclidean_length.is_finite(),
            "{:?}: non-finite step {s:?}",
            r.optimizer
        );
    }
}

#[test]
fn first_steps_match_the_30_digit_references() {
    let refs: serde_json::Value =
        serde_json::from_str(include_str!("../data/optimize_refs.json")).unwrap();
    let points = refs["points"].as_array().unwrap();
    assert!(points.len() >= 4);
    let rule = rule();
    let lr = 0.3;
    let hyper = Hyperparameters {
        damping: 0.05,
        ..Hyperparameters::default()
    };
    let mut worst = [0.0f64; 4];
    for (i, p) in points.iter().enumerate() {
        let model: Model = serde_json::from_value(p["model"].clone()).unwrap();
        let slice: Slice = serde_json::from_value(p["slice"].clone()).unwrap();
        let target: Model = serde_json::from_value(p["target"].clone()).unwrap();
        let start = slice.coords(&model);
        assert!(slice.passes_through(&target, &model), "point {i}");
        let g = pair(&p["grad"]);
        let f = sym(&p["fisher"]);
        let ef = sym(&p["empirical_fisher"]);
        let n = pair(&p["natgrad"]);
        // −lr·P⁻¹∇L; F⁻¹∇L from the reference itself, the damped and EF solves in f64 from the
        // reference matrices (κ < 1e3 here, so the solve adds < 1e-13).
        let scale = |v: [f64; 2]| [-lr * v[0], -lr * v[1]];
        let want = [
            (Optimizer::Gd, scale(g)),
            (Optimizer::Ngd, scale(n)),
            (
                Optimizer::NgdDamped,
                scale(f.add_diagonal(hyper.damping).solve(g)),
            ),
            (Optimizer::EfNgd, scale(ef.solve(g))),
        ];
        for (k, (o, want)) in want.into_iter().enumerate() {
            let got = first_step(
                &MixturePlane::new(&target, &slice, &rule),
                start,
                o,
                lr,
                &hyper,
            )
            .unwrap();
            let err = rel_err(got, want);
            worst[k] = worst[k].max(err);
            assert!(
                err < REL_TOL,
                "point {i} {o}: {got:?} vs {want:?} ({err:.2e})"
            );
            // The run's first point is the same step.
            let r = run(
                &MixturePlane::new(&target, &slice, &rule),
                start,
                o,
                lr,
                1,
                &hyper,
            );
            assert_eq!(r.stop, Stop::Completed, "point {i} {o}");
            let t1 = r.trajectory[1].theta;
            assert!(rel_err([t1[0] - start[0], t1[1] - start[1]], want) < REL_TOL);
            // And its loss at step 0 is the reference L.
            let kl = p["kl"].as_f64().unwrap();
            assert!(
                (r.trajectory[0].loss - kl).abs() < 1e-10 * kl,
                "point {i}: L"
            );
        }
        // Negative control: the four preconditioners give four different steps here, further
        // apart than the tolerance, so a mix-up could not pass.
        let steps: Vec<[f64; 2]> = [
            Optimizer::Gd,
            Optimizer::Ngd,
            Optimizer::NgdDamped,
            Optimizer::EfNgd,
        ]
        .into_iter()
        .map(|o| {
            first_step(
                &MixturePlane::new(&target, &slice, &rule),
                start,
                o,
                lr,
                &hyper,
            )
            .unwrap()
        })
        .collect();
        for a in 0..4 {
            for b in a + 1..4 {
                assert!(
                    rel_err(steps[a], steps[b]) > 1e3 * REL_TOL,
                    "point {i}: {a} ≈ {b}"
                );
            }
        }
    }
    println!(
        "worst relative error of the first step (gd, ngd, ngd-damped, ef-ngd): {:?}",
        worst.map(|w| format!("{w:.2e}"))
    );
}

#[test]
fn momentum_and_adam_take_their_textbook_first_two_steps() {
    let rule = rule();
    let slice: Slice = "mu1,sigma2".parse().unwrap();
    let target = Model {
        pi: 0.4,
        mu1: -0.9,
        mu2: 1.1,
        sigma1: 0.8,
        sigma2: 1.2,
    };
    let start = [-0.2, 0.9];
    let lr = 0.2;
    let hyper = Hyperparameters {
        momentum: 0.7,
        beta1: 0.8,
        beta2: 0.95,
        eps: 1e-3,
        ..Hyperparameters::default()
    };
    let grad = |t: [f64; 2]| gradient(&slice.place(&target, t), &slice, &target, &rule);
    let close = |got: [f64; 2], want: [f64; 2], what: &str| {
        assert!(rel_err(got, want) < 1e-12, "{what}: {got:?} vs {want:?}");
    };

    // Heavy ball: v1 = g0, θ1 = θ0 − lr v1; v2 = β v1 + g1, θ2 = θ1 − lr v2.
    let r = run(
        &MixturePlane::new(&target, &slice, &rule),
        start,
        Optimizer::Momentum,
        lr,
        2,
        &hyper,
    );
    let g0 = grad(start);
    let t1 = [start[0] - lr * g0[0], start[1] - lr * g0[1]];
    close(r.trajectory[1].theta, t1, "momentum θ1");
    let g1 = grad(t1);
    let v2 = [
        hyper.momentum * g0[0] + g1[0],
        hyper.momentum * g0[1] + g1[1],
    ];
    close(
        r.trajectory[2].theta,
        [t1[0] - lr * v2[0], t1[1] - lr * v2[1]],
        "momentum θ2",
    );
    // Negative control: plain gd's second step is another point.
    let gd = run(
        &MixturePlane::new(&target, &slice, &rule),
        start,
        Optimizer::Gd,
        lr,
        2,
        &hyper,
    );
    assert!(rel_err(gd.trajectory[2].theta, r.trajectory[2].theta) > 1e-3);

    // Adam: m = β1 m + (1 − β1) g, v = β2 v + (1 − β2) g², d = m̂/(√v̂ + ε) with
    // m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t).
    let (b1, b2, eps) = (hyper.beta1, hyper.beta2, hyper.eps);
    let r = run(
        &MixturePlane::new(&target, &slice, &rule),
        start,
        Optimizer::Adam,
        lr,
        2,
        &hyper,
    );
    let adam = |m: [f64; 2], v: [f64; 2], t: i32| {
        let d = |i: usize| (m[i] / (1.0 - b1.powi(t))) / ((v[i] / (1.0 - b2.powi(t))).sqrt() + eps);
        [d(0), d(1)]
    };
    let m1 = [(1.0 - b1) * g0[0], (1.0 - b1) * g0[1]];
    let v1 = [(1.0 - b2) * g0[0] * g0[0], (1.0 - b2) * g0[1] * g0[1]];
    let d1 = adam(m1, v1, 1);
    // Bias-corrected, the first Adam step is lr·g/(|g| + ε) per coordinate: almost ±lr.
    assert!((d1[0].abs() - 1.0).abs() < 1e-2 && (d1[1].abs() - 1.0).abs() < 1e-2);
    let t1 = [start[0] - lr * d1[0], start[1] - lr * d1[1]];
    close(r.trajectory[1].theta, t1, "adam θ1");
    let g1 = grad(t1);
    let m2 = [
        b1 * m1[0] + (1.0 - b1) * g1[0],
        b1 * m1[1] + (1.0 - b1) * g1[1],
    ];
    let v2 = [
        b2 * v1[0] + (1.0 - b2) * g1[0] * g1[0],
        b2 * v1[1] + (1.0 - b2) * g1[1] * g1[1],
    ];
    let d2 = adam(m2, v2, 2);
    close(
        r.trajectory[2].theta,
        [t1[0] - lr * d2[0], t1[1] - lr * d2[1]],
        "adam θ2",
    );
    // The recorded loss is L at each point.
    let l2 = kl_divergence(&slice.place(&target, r.trajectory[2].theta), &target, &rule);
    assert!((r.trajectory[2].loss - l2).abs() <= 1e-13 * l2.abs().max(1e-300));
}

#[test]
fn mc_ngd_resamples_each_step_deterministically() {
    let rule = rule();
    let slice = Slice::SEED;
    let target = Model::seed(-1.5, 1.0, 1.0);
    let start = [0.4, -0.6];
    let hyper = Hyperparameters {
        samples: 500,
        seed: 7,
        ..Hyperparameters::default()
    };
    let lr = 0.5;
    let a = run(
        &MixturePlane::new(&target, &slice, &rule),
        start,
        Optimizer::McNgd,
        lr,
        3,
        &hyper,
    );
    let b = run(
        &MixturePlane::new(&target, &slice, &rule),
        start,
        Optimizer::McNgd,
        lr,
        3,
        &hyper,
    );
    assert_eq!(a, b, "same seed, same run");
    assert_finite(&a);
    // Step k uses the k-th resample: stream 1 + k of mc_fisher.
    for k in 0..2 {
        let t = a.trajectory[k].theta;
        let m = slice.place(&target, t);
        let g = gradient(&m, &slice, &target, &rule);
        let n = mc_fisher(&m, &slice, hyper.samples, hyper.seed, k as u32).solve(g);
        let want = [t[0] - lr * n[0], t[1] - lr * n[1]];
        let got = a.trajectory[k + 1].theta;
        assert!(rel_err(got, want) < 1e-12, "step {k}: {got:?} vs {want:?}");
        // Negative control: the other step's resample gives another point.
        let other = mc_fisher(&m, &slice, hyper.samples, hyper.seed, k as u32 + 1).solve(g);
        assert!(rel_err(got, [t[0] - lr * other[0], t[1] - lr * other[1]]) > 1e-6);
    }
    let c = run(
        &MixturePlane::new(&target, &slice, &rule),
        start,
        Optimizer::McNgd,
        lr,
        3,
        &Hyperparameters { seed: 8, ..hyper },
    );
    assert_ne!(
        a.trajectory[1], c.trajectory[1],
        "another seed, another run"
    );
}

#[test]
fn a_step_out_of_the_domain_ends_the_run_and_is_reported() {
    let rule = rule();
    let slice: Slice = "mu1,sigma1".parse().unwrap();
    let target = Model {
        pi: 0.5,
        mu1: -1.0,
        mu2: 1.0,
        sigma1: 0.5,
        sigma2: 1.0,
    };
    // σ1 far too wide: the gradient in σ1 is large and positive, a big lr overshoots σ1 ≤ 0.
    let start = [0.0, 2.0];
    let r = run(
        &MixturePlane::new(&target, &slice, &rule),
        start,
        Optimizer::Gd,
        50.0,
        20,
        &Hyperparameters::default(),
    );
    let Stop::LeftDomain {
        step,
        theta,
        detail,
    } = &r.stop
    else {
        panic!("expected left-domain, got {:?}", r.stop);
    };
    assert!(theta[1] <= 0.0, "{theta:?}");
    assert!(detail.contains("sigma1"), "{detail}");
    // The trajectory ends at the last valid point, step − 1.
    assert_eq!(r.trajectory.len() as u32, *step);
    assert_eq!(r.trajectory.last().unwrap().step, step - 1);
    assert!(r.trajectory.iter().all(|s| s.theta[1] > 0.0));
    assert_finite(&r);
    // Negative control: a small lr stays inside.
    let ok = run(
        &MixturePlane::new(&target, &slice, &rule),
        start,
        Optimizer::Gd,
        0.1,
        20,
        &Hyperparameters::default(),
    );
    assert_eq!(ok.stop, Stop::Completed);
    assert_eq!(ok.trajectory.len(), 21);

    // π leaving (0, 1) on a slice that varies it.
    let slice: Slice = "pi,mu1".parse().unwrap();
    let target = Model {
        pi: 0.9,
        mu1: -1.0,
        mu2: 1.0,
        sigma1: 0.6,
        sigma2: 0.6,
    };
    let r = run(
        &MixturePlane::new(&target, &slice, &rule),
        [0.5, -1.0],
        Optimizer::Gd,
        20.0,
        20,
        &Hyperparameters::default(),
    );
    let Stop::LeftDomain { theta, detail, .. } = &r.stop else {
        panic!("expected left-domain, got {:?}", r.stop);
    };
    assert!(theta[0] >= 1.0 || theta[0] <= 0.0, "{theta:?}");
    assert!(detail.contains("pi"), "{detail}");
    assert_finite(&r);
}

#[test]
fn singular_preconditioners_break_down_without_nan() {
    let rule = rule();
    let slice = Slice::SEED;
    let target = Model::seed(-1.5, 1.0, 1.0);
    // On the seed's diagonal μ1 = μ2 the two mean scores coincide: F and EF have rank 1.
    let on_diagonal = [0.5, 0.5];
    for o in [Optimizer::Ngd, Optimizer::EfNgd] {
        let r = run(
            &MixturePlane::new(&target, &slice, &rule),
            on_diagonal,
            o,
            0.5,
            10,
            &Hyperparameters::default(),
        );
        let Stop::Breakdown { step, detail } = &r.stop else {
            panic!("{o}: expected breakdown, got {:?}", r.stop);
        };
        assert_eq!(*step, 1);
        assert!(detail.contains("singular"), "{detail}");
        assert_eq!(r.trajectory.len(), 1);
        assert_finite(&r);
        let json = serde_json::to_string(&r).unwrap();
        assert!(!json.contains("NaN") && !json.contains("null"), "{json}");
    }
    // Damping makes F + λI regular there, and gd does not need F at all.
    for o in [Optimizer::NgdDamped, Optimizer::Gd] {
        let r = run(
            &MixturePlane::new(&target, &slice, &rule),
            on_diagonal,
            o,
            0.5,
            10,
            &Hyperparameters::default(),
        );
        assert_eq!(r.stop, Stop::Completed, "{o}");
        assert_finite(&r);
    }
    // A NaN learning rate is a breakdown too, not NaN in the trajectory.
    let r = run(
        &MixturePlane::new(&target, &slice, &rule),
        [0.1, 0.3],
        Optimizer::Gd,
        f64::NAN,
        5,
        &Hyperparameters::default(),
    );
    assert!(
        matches!(r.stop, Stop::Breakdown { step: 1, .. }),
        "{:?}",
        r.stop
    );
    assert_finite(&r);
}

#[test]
fn near_the_diagonal_ngd_converges_in_a_few_steps_while_gd_crawls() {
    let rule = rule();
    let slice = Slice::SEED;
    let target = Model::seed(-1.5, 1.0, 1.0);
    let start = [0.1, 0.3];
    let hyper = Hyperparameters::default();
    // The F block at the start is ill-conditioned (near the diagonal μ1 = μ2, where it is
    // singular): gd's steps follow the steep direction and crawl along the flat one.
    let eig = fisher_slice(&slice.place(&target, start), &slice, &rule).eigen();
    assert!(eig.condition().unwrap() > 50.0, "{:?}", eig.condition());
    for (lr, steps) in [(1.0, 100), (0.1, 100)] {
        let runs = race(
            &MixturePlane::new(&target, &slice, &rule),
            start,
            &Optimizer::MIXTURE,
            |_| lr,
            steps,
            &hyper,
        );
        assert_eq!(runs.len(), 7);
        for (r, o) in runs.iter().zip(Optimizer::MIXTURE) {
            println!(
                "lr {lr}: {:>10}: steps to 1e-6 {:?}, final L {:.3e}, euclid {:.3}, FR {:.3}, {}",
                r.optimizer.name(),
                r.steps_to(1e-6),
                r.last().unwrap().loss,
                r.last().unwrap().euclidean_length,
                r.last().unwrap().fisher_rao_length,
                r.stop.reason()
            );
            assert_eq!(r.optimizer, o);
            assert_eq!(r.stop, Stop::Completed);
            assert_eq!(r.trajectory.len(), steps as usize + 1);
            assert_finite(r);
            // Lengths are cumulative and start at 0.
            assert_eq!(r.trajectory[0].fisher_rao_length, 0.0);
            assert!(r.trajectory.windows(2).all(|w| {
                w[1].fisher_rao_length >= w[0].fisher_rao_length
                    && w[1].euclidean_length >= w[0].euclidean_length
            }));
        }
        let ngd = &runs[Optimizer::Ngd.index()];
        let gd = &runs[Optimizer::Gd.index()];
        let ngd_steps = ngd.steps_to(1e-6).expect("ngd reaches L < 1e-6");
        if lr == 1.0 {
            // Measured: ngd 4 steps, gd 16.
            assert!(ngd_steps <= 6, "ngd took {ngd_steps} steps");
            let gd_steps = gd.steps_to(1e-6).expect("gd gets there too at lr 1");
            assert!(gd_steps >= 3 * ngd_steps, "gd {gd_steps}, ngd {ngd_steps}");
        } else {
            // Measured: ngd 53 steps, gd still at L = 6e-4 after 100.
            assert!(ngd_steps <= 70, "ngd took {ngd_steps} steps");
            assert_eq!(gd.steps_to(1e-6), None, "gd should still be crawling");
            assert!(gd.last().unwrap().loss > 1e3 * ngd.last().unwrap().loss);
        }
    }
}
