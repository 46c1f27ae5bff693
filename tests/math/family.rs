//! The geodesic solvers and the optimizers see a family only through `Plane`: a closed-form
//! plane that is not the mixture — the Gaussian N(μ, σ²) on (μ, σ), F = diag(1/σ², 2/σ²),
//! written here without quadrature — gets shortest paths and exponential maps that match the
//! closed-form Fisher–Rao distance, and natural-gradient steps that match −lr F⁻¹∇L by hand;
//! an optimizer whose preconditioner a family lacks is refused with a reason, not run.

use fisherflow::math::Sym2;
use fisherflow::math::family::{MetricJet, Plane, Preconditioner, TargetTerms};
use fisherflow::math::geodesic::{GeodesicError, exp_map, shortest_path};
use fisherflow::math::optimize::{Hyperparameters, Optimizer, Stop, first_step, run};

/// N(μ, σ²) on (μ, σ), the loss KL(N(μ*, σ*²) ‖ N(μ, σ²)).
struct Gaussian {
    target: [f64; 2],
    /// Whether it offers F to the optimizers (off: a family with no natural gradient).
    offers_fisher: bool,
}

const GAUSSIAN: Gaussian = Gaussian {
    target: [0.5, 1.2],
    offers_fisher: true,
};

impl Plane for Gaussian {
    fn check(&self, xy: [f64; 2]) -> Result<(), String> {
        if xy.iter().all(|v| v.is_finite()) && xy[1] > 0.0 {
            Ok(())
        } else {
            Err(format!("σ must be a positive finite number, got {}", xy[1]))
        }
    }

    fn metric(&self, xy: [f64; 2]) -> Sym2<f64> {
        let s2 = xy[1] * xy[1];
        Sym2::new(1.0 / s2, 0.0, 2.0 / s2)
    }

    fn metric_jet(&self, xy: [f64; 2]) -> MetricJet {
        let s3 = xy[1].powi(3);
        MetricJet {
            metric: self.metric(xy),
            derivative: [
                Sym2::new(0.0, 0.0, 0.0),
                Sym2::new(-2.0 / s3, 0.0, -4.0 / s3),
            ],
        }
    }

    fn coordinate_scales(&self, xy: [f64; 2]) -> [f64; 2] {
        [0.25 * xy[1]; 2]
    }

    fn target_terms(&self, xy: [f64; 2], _with_empirical_fisher: bool) -> TargetTerms {
        let ([m, s], [mt, st]) = (xy, self.target);
        let q = st * st + (mt - m) * (mt - m);
        TargetTerms {
            loss: (s / st).ln() + q / (2.0 * s * s) - 0.5,
            grad: [(m - mt) / (s * s), 1.0 / s - q / s.powi(3)],
            empirical_fisher: None,
        }
    }

    fn offers(&self, which: Preconditioner) -> bool {
        self.offers_fisher && which == Preconditioner::Fisher
    }

    fn preconditioner(&self, _which: Preconditioner, xy: [f64; 2], _: &TargetTerms) -> Sym2<f64> {
        self.metric(xy)
    }
}

/// The Fisher–Rao distance between N(μa, σa²) and N(μb, σb²): √2 times the hyperbolic
/// distance in (μ/√2, σ).
fn distance(a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dm, ds) = (a[0] - b[0], a[1] - b[1]);
    2f64.sqrt() * (1.0 + (0.5 * dm * dm + ds * ds) / (2.0 * a[1] * b[1])).acosh()
}

#[test]
fn a_closed_form_plane_gets_exact_geodesics() {
    let pairs = [
        ([0.0, 1.0], [1.5, 0.7]),
        ([-1.0, 0.4], [2.0, 2.5]),
        ([0.3, 2.0], [0.3, 0.5]),
    ];
    for (a, b) in pairs {
        let want = distance(a, b);
        let got = shortest_path(&GAUSSIAN, a, b).unwrap();
        let err = (got.distance - want).abs() / want;
        assert!(err < 1e-6, "d({a:?}, {b:?}) = {} vs {want}", got.distance);
        // Negative control: the Euclidean length is not the distance.
        let euclid = (a[0] - b[0]).hypot(a[1] - b[1]);
        assert!(
            (euclid - want).abs() / want > 1e-2,
            "control {euclid} vs {want}"
        );
        // Along the exponential map, the end lies at the distance travelled from the start.
        let g = exp_map(&GAUSSIAN, a, [b[0] - a[0], b[1] - a[1]], 0.7).unwrap();
        assert_eq!(g.stopped, None);
        let travelled = distance(a, g.end);
        assert!(
            (travelled - 0.7).abs() < 1e-6,
            "exp map from {a:?}: {travelled}"
        );
    }
    // The plane's own words reach the caller when a point is outside.
    let err = shortest_path(&GAUSSIAN, [0.0, 1.0], [0.0, -1.0]).unwrap_err();
    match err {
        GeodesicError::OutsideModel { which, error, .. } => {
            assert_eq!(which, "end");
            assert!(error.contains("σ must be a positive"), "{error}");
        }
        other => panic!("expected OutsideModel, got {other:?}"),
    }
}

#[test]
fn a_closed_form_plane_gets_natural_gradient_steps() {
    let hyper = Hyperparameters::default();
    let start = [1.5, 0.8];
    let (lr, terms) = (0.3, GAUSSIAN.target_terms(start, false));
    let f = GAUSSIAN.metric(start);
    let want = [-lr * terms.grad[0] / f.xx, -lr * terms.grad[1] / f.yy];
    let got = first_step(&GAUSSIAN, start, Optimizer::Ngd, lr, &hyper).unwrap();
    assert!(
        (got[0] - want[0]).abs() < 1e-14 && (got[1] - want[1]).abs() < 1e-14,
        "{got:?} vs {want:?}"
    );
    // Negative control: gd's step is −lr∇L, not the natural one.
    let gd = first_step(&GAUSSIAN, start, Optimizer::Gd, lr, &hyper).unwrap();
    assert!((gd[0] - want[0]).abs() > 1e-3, "{gd:?} vs {want:?}");
    // A whole run descends to the target.
    let r = run(&GAUSSIAN, start, Optimizer::Ngd, 0.5, 60, &hyper);
    assert_eq!(r.stop, Stop::Completed);
    let last = r.last().unwrap();
    assert!(last.loss < 1e-10, "L = {} at {:?}", last.loss, last.theta);
    assert!(last.fisher_rao_length > 0.9 * distance(start, GAUSSIAN.target));
}

#[test]
fn optimizers_a_family_lacks_are_refused() {
    let no_fisher = Gaussian {
        offers_fisher: false,
        ..GAUSSIAN
    };
    let offered: Vec<_> = Optimizer::MIXTURE
        .into_iter()
        .filter(|o| o.offered_by(&no_fisher))
        .collect();
    assert_eq!(
        offered,
        [Optimizer::Gd, Optimizer::Momentum, Optimizer::Adam]
    );
    // Control: the family with F offers the natural gradients too, but not EF's or MC's.
    assert!(Optimizer::Ngd.offered_by(&GAUSSIAN) && Optimizer::NgdDamped.offered_by(&GAUSSIAN));
    assert!(!Optimizer::EfNgd.offered_by(&GAUSSIAN) && !Optimizer::McNgd.offered_by(&GAUSSIAN));
    let hyper = Hyperparameters::default();
    let r = run(&no_fisher, [1.5, 0.8], Optimizer::Ngd, 0.5, 10, &hyper);
    match &r.stop {
        Stop::Breakdown { step: 1, detail } => {
            assert!(detail.contains("does not offer"), "{detail}")
        }
        other => panic!("expected a breakdown at step 1, got {other:?}"),
    }
    assert_eq!(r.trajectory.len(), 1);
    // A start outside the model is reported in the plane's words.
    let r = run(&GAUSSIAN, [0.0, -0.1], Optimizer::Gd, 0.5, 10, &hyper);
    match &r.stop {
        Stop::LeftDomain {
            step: 0, detail, ..
        } => assert!(detail.contains("σ must be")),
        other => panic!("expected left-domain at the start, got {other:?}"),
    }
}
