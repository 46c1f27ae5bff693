//! The geodesic equation as a first-order system on a slice, integrated by Dormand–Prince 5(4)
//! (adaptive or along replayed steps), with the drawn path between its nodes.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::exponential::StopReason;
use super::jet::{acceleration, christoffel, speed_squared};
use crate::math::family::Plane;
use crate::math::sym2::Sym2;

/// Beyond this condition number F counts as singular for a geodesic: the integration stops
/// with [`StopReason::SingularSet`]. On the seed's slice κ ≈ 2σ²/Δ², and the Fisher–Rao
/// distance left to the diagonal at κ is about 0.35/κ (the metric near the diagonal is
/// ds² ≈ dr² + … with r = Δ²/(4√2σ²)), so stopping at 1e10 loses < 1e-10 of length; F is
/// computed in the standard basis, which costs κ·ε of relative accuracy in λ_min, 1e-6 there.
pub const SINGULAR_CONDITION_GEODESIC: f64 = 1e10;

/// Local error tolerance of the integrator per step, in Fisher–Rao units ([`super`]'s docs).
const STEP_TOLERANCE: f64 = 1e-8;
/// Largest step in Fisher–Rao length (keeps the cubic Hermite dense output accurate).
const MAX_STEP_LENGTH: f64 = 0.25;
/// Steps below this Fisher–Rao length mean the geodesic cannot go on (singular set or edge).
const MIN_STEP_LENGTH: f64 = 1e-12;
/// The drawn path has a point at least every 1/`PATH_POINTS` of its length.
const PATH_POINTS: f64 = 128.0;
/// Largest number of accepted plus rejected steps of one integration.
const MAX_STEPS: usize = 20_000;
/// Right-hand-side evaluations (each a quadrature of the metric's jet) that shooting may spend
/// on all its integrations together. Shots that converge take 1.5–29k (the seed's, the
/// weight-singularity's and the half-plane's paths, out to σ = 0.001); a hopeless one, aimed
/// where the adaptive steps shrink without end (an end at σ1 = 0.001 on a (σ2, σ1) slice), ran
/// 28 integrations of up to [`MAX_STEPS`] steps each, 4 million evaluations and 105 s, before
/// the relaxation answered in 0.2 s.
pub(super) const SHOOTING_SLOPE_BUDGET: usize = 60_000;

/// What stopped one right-hand-side evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Blocked {
    LeftModel,
    Singular,
}

impl Flow<'_> {
    /// Why a geodesic blocked by `b` stops: an ill-conditioned metric is the singular set,
    /// except on a plane whose metric blows up at its open edges ([`Plane::edges_blow_up`]),
    /// where it means the geodesic has reached the edge.
    fn reason(&self, b: Blocked) -> StopReason {
        match b {
            Blocked::LeftModel => StopReason::LeftModel,
            Blocked::Singular if self.plane.edges_blow_up() => StopReason::LeftModel,
            Blocked::Singular => StopReason::SingularSet,
        }
    }
}

/// State y = (θa, θb, va, vb) of the first-order system θ' = v, v' = −Γ(θ)(v, v).
pub(super) type State = [f64; 4];

/// The derivative y' at a state, with the metric there (for the error norm).
#[derive(Clone, Copy, Debug)]
struct Slope {
    dy: State,
    metric: Sym2<f64>,
}

/// An accepted node of an integration: time, state and slope.
#[derive(Clone, Copy, Debug)]
pub(super) struct Node {
    pub(super) t: f64,
    pub(super) y: State,
    dy: State,
}

/// One integration: its nodes (first at t = 0), the accepted step sizes, and why it stopped
/// short of the end (None when it reached it).
#[derive(Clone, Debug)]
pub(super) struct Run {
    nodes: Vec<Node>,
    pub(super) steps: Vec<f64>,
    pub(super) stopped: Option<StopReason>,
}

impl Run {
    pub(super) fn last(&self) -> &Node {
        self.nodes
            .last()
            .expect("a run always holds its start node")
    }
}

/// Whether F is safely positive definite for the geodesic equation.
pub(super) fn metric_is_safe(f: &Sym2<f64>) -> bool {
    let e = f.eigen();
    f.det() > 0.0
        && e.lambda_max.is_finite()
        && e.lambda_min > 0.0
        && e.lambda_max <= SINGULAR_CONDITION_GEODESIC * e.lambda_min
}

/// The geodesic equation on one plane.
pub(super) struct Flow<'a> {
    pub(super) plane: &'a dyn Plane,
    /// Right-hand-side evaluations so far (an atomic: the relaxation shares the flow across
    /// threads).
    slopes: AtomicUsize,
    /// Evaluations allowed: an integration stops short once they are spent.
    slope_budget: usize,
    /// Asked between steps: true stops every integration short (a newer request is waiting).
    stop: Option<&'a Stop<'a>>,
}

/// A caller's "stop now" (a background job whose request was superseded); shared across the
/// relaxation's threads.
pub type Stop<'s> = dyn Fn() -> bool + Sync + 's;

/// Dormand–Prince 5(4): the stage matrix a (lower triangle; the system is autonomous, so the
/// nodes c = (0, 1/5, 3/10, 4/5, 8/9, 1, 1) are not needed), whose last row is the 5th-order
/// weights b (so the 7th stage is the next step's first: FSAL), and the error weights e = b − b̂
/// against the embedded 4th-order solution.
const DP_A: [[f64; 6]; 7] = [
    [0.0; 6],
    [0.2, 0.0, 0.0, 0.0, 0.0, 0.0],
    [3.0 / 40.0, 9.0 / 40.0, 0.0, 0.0, 0.0, 0.0],
    [44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0, 0.0, 0.0, 0.0],
    [
        19372.0 / 6561.0,
        -25360.0 / 2187.0,
        64448.0 / 6561.0,
        -212.0 / 729.0,
        0.0,
        0.0,
    ],
    [
        9017.0 / 3168.0,
        -355.0 / 33.0,
        46732.0 / 5247.0,
        49.0 / 176.0,
        -5103.0 / 18656.0,
        0.0,
    ],
    [
        35.0 / 384.0,
        0.0,
        500.0 / 1113.0,
        125.0 / 192.0,
        -2187.0 / 6784.0,
        11.0 / 84.0,
    ],
];
const DP_E: [f64; 7] = [
    71.0 / 57600.0,
    0.0,
    -71.0 / 16695.0,
    71.0 / 1920.0,
    -17253.0 / 339200.0,
    22.0 / 525.0,
    -1.0 / 40.0,
];

/// How an integration picks its steps.
pub(super) enum Stepping<'s> {
    /// Error-controlled, starting from this step.
    Adaptive { first: f64 },
    /// Exactly these steps (the nominal run's), so that finite differences across nearby
    /// initial velocities see a smooth map.
    Replay(&'s [f64]),
}

impl<'a> Flow<'a> {
    /// The flow on `plane`, its integrations bounded only by [`MAX_STEPS`] each.
    pub(super) fn new(plane: &'a dyn Plane) -> Self {
        Self::with_budget(plane, usize::MAX)
    }

    /// The flow on `plane` whose integrations together stop short after `slope_budget`
    /// right-hand-side evaluations.
    pub(super) fn with_budget(plane: &'a dyn Plane, slope_budget: usize) -> Self {
        Self {
            plane,
            slopes: AtomicUsize::new(0),
            slope_budget,
            stop: None,
        }
    }

    /// The same flow, asking `stop` between steps.
    pub(super) fn stopping_when(self, stop: &'a Stop<'a>) -> Self {
        Self {
            stop: Some(stop),
            ..self
        }
    }

    /// Whether the caller asked to stop.
    pub(super) fn stopped(&self) -> bool {
        self.stop.is_some_and(|stop| stop())
    }

    /// Whether an integration must stop short: the evaluations allowed are spent, or the
    /// caller asked to stop.
    pub(super) fn must_stop(&self) -> bool {
        self.slopes.load(Ordering::Relaxed) >= self.slope_budget || self.stopped()
    }

    /// Ok where `xy` is inside the model.
    pub(super) fn inside(&self, xy: [f64; 2]) -> Result<(), Blocked> {
        self.plane.check(xy).map_err(|_| Blocked::LeftModel)
    }

    pub(super) fn metric(&self, xy: [f64; 2]) -> Result<Sym2<f64>, Blocked> {
        self.inside(xy)?;
        Ok(self.plane.metric(xy))
    }

    /// The metric's jet at `xy`, or None outside the model.
    pub(super) fn jet(&self, xy: [f64; 2]) -> Option<crate::math::family::MetricJet> {
        self.inside(xy).ok()?;
        Some(self.plane.metric_jet(xy))
    }

    fn slope(&self, y: &State) -> Result<Slope, Blocked> {
        self.slopes.fetch_add(1, Ordering::Relaxed);
        self.inside([y[0], y[1]])?;
        let jet = self.plane.metric_jet([y[0], y[1]]);
        if !metric_is_safe(&jet.metric) {
            return Err(Blocked::Singular);
        }
        let gamma = christoffel(&jet).ok_or(Blocked::Singular)?;
        let acc = acceleration(&gamma, [y[2], y[3]]);
        let dy = [y[2], y[3], acc[0], acc[1]];
        if dy.iter().all(|v| v.is_finite()) {
            Ok(Slope {
                dy,
                metric: jet.metric,
            })
        } else {
            Err(Blocked::Singular)
        }
    }

    /// One Dormand–Prince step of size h from (y, k1): the new state, its slope and the
    /// error estimate (a state difference).
    fn step(&self, y: &State, k1: &Slope, h: f64) -> Result<(State, Slope, State), Blocked> {
        let mut k = [[0.0; 4]; 7];
        k[0] = k1.dy;
        for s in 1..7 {
            let ys: State = std::array::from_fn(|i| {
                y[i] + h * (0..s).map(|j| DP_A[s][j] * k[j][i]).sum::<f64>()
            });
            let last = self.slope(&ys)?;
            k[s] = last.dy;
            if s == 6 {
                let err =
                    std::array::from_fn(|i| h * (0..7).map(|j| DP_E[j] * k[j][i]).sum::<f64>());
                return Ok((ys, last, err));
            }
        }
        unreachable!("the loop returns at its last stage")
    }

    /// Integrates from y0 to time `t_end` (the speed √(vᵀFv) is constant along a geodesic,
    /// `speed` given so steps can be measured in Fisher–Rao length). Err only when the start
    /// itself is blocked.
    pub(super) fn integrate(
        &self,
        y0: State,
        t_end: f64,
        speed: f64,
        stepping: Stepping<'_>,
    ) -> Result<Run, Blocked> {
        let k0 = self.slope(&y0)?;
        let mut run = Run {
            nodes: vec![Node {
                t: 0.0,
                y: y0,
                dy: k0.dy,
            }],
            steps: Vec::new(),
            stopped: None,
        };
        let (mut y, mut k, mut t) = (y0, k0, 0.0);
        match stepping {
            Stepping::Replay(steps) => {
                for &h in steps {
                    if self.must_stop() {
                        run.stopped = Some(self.reason(Blocked::Singular));
                        return Ok(run);
                    }
                    match self.step(&y, &k, h) {
                        Ok((yn, kn, _)) => {
                            (y, k, t) = (yn, kn, t + h);
                            run.nodes.push(Node { t, y, dy: k.dy });
                            run.steps.push(h);
                        }
                        Err(b) => {
                            run.stopped = Some(self.reason(b));
                            return Ok(run);
                        }
                    }
                }
            }
            Stepping::Adaptive { first } => {
                let mut h = first;
                let mut last_block = Blocked::Singular;
                for _ in 0..MAX_STEPS {
                    if t >= t_end {
                        break;
                    }
                    if self.must_stop() {
                        run.stopped = Some(self.reason(last_block));
                        return Ok(run);
                    }
                    // Caps: Fisher–Rao length per step, and coordinate change per step
                    // (where F degenerates the coordinate speed 1/√λ blows up).
                    let mut cap = MAX_STEP_LENGTH / speed;
                    let scales = self.plane.coordinate_scales([y[0], y[1]]);
                    for i in 0..2 {
                        let rate = y[2 + i].abs();
                        if rate > 0.0 {
                            cap = cap.min(scales[i] / rate);
                        }
                    }
                    h = h.min(cap);
                    let last_step = t + h >= t_end * (1.0 - 1e-12);
                    if last_step {
                        h = t_end - t;
                    }
                    if h * speed < MIN_STEP_LENGTH && !last_step {
                        run.stopped = Some(self.reason(last_block));
                        return Ok(run);
                    }
                    match self.step(&y, &k, h) {
                        Ok((yn, kn, e)) => {
                            let f = &kn.metric;
                            let err_pos = speed_squared(f, [e[0], e[1]]).max(0.0).sqrt();
                            let err_vel = speed_squared(f, [e[2], e[3]]).max(0.0).sqrt() / speed;
                            // Position error in Fisher–Rao length, velocity error relative to
                            // the (constant) speed: both measured by the metric, so where F
                            // degenerates the steps are not forced down by coordinate errors
                            // that cost no length.
                            let err = err_pos.max(err_vel) / STEP_TOLERANCE;
                            if err <= 1.0 {
                                t = if last_step { t_end } else { t + h };
                                (y, k) = (yn, kn);
                                run.nodes.push(Node { t, y, dy: k.dy });
                                run.steps.push(h);
                                let grow = if err > 0.0 {
                                    (0.9 * err.powf(-0.2)).clamp(0.2, 5.0)
                                } else {
                                    5.0
                                };
                                h *= grow;
                            } else {
                                last_block = Blocked::Singular;
                                let shrink = if err.is_finite() {
                                    (0.9 * err.powf(-0.2)).clamp(0.1, 0.9)
                                } else {
                                    0.1
                                };
                                h *= shrink;
                            }
                        }
                        Err(b) => {
                            last_block = b;
                            h *= 0.25;
                        }
                    }
                }
                if t < t_end {
                    run.stopped = Some(self.reason(last_block));
                }
            }
        }
        Ok(run)
    }
}

/// The drawn path of a run: the nodes, with cubic Hermite points (θ and θ' = v at both ends
/// of each step, so fourth-order accurate) in between, a point at least every
/// 1/[`PATH_POINTS`] of `total_length` and every quarter of the plane's coordinate scale (the
/// mixture: a sixteenth of σ, a twentieth of π).
pub(super) fn dense_path(
    flow: &Flow<'_>,
    run: &Run,
    speed: f64,
    total_length: f64,
) -> Vec<[f64; 2]> {
    let mut path = vec![[run.nodes[0].y[0], run.nodes[0].y[1]]];
    let spacing = (total_length / PATH_POINTS).max(1e-300);
    for pair in run.nodes.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let h = b.t - a.t;
        let scales = flow.plane.coordinate_scales([a.y[0], a.y[1]]);
        let mut pieces = (h * speed / spacing).ceil();
        for (i, scale) in scales.iter().enumerate() {
            pieces = pieces.max(((b.y[i] - a.y[i]).abs() / (0.25 * scale)).ceil());
        }
        let pieces = pieces.clamp(1.0, 4096.0) as usize;
        for n in 1..pieces {
            let s = n as f64 / pieces as f64;
            let (s2, s3) = (s * s, s * s * s);
            let (h00, h10) = (2.0 * s3 - 3.0 * s2 + 1.0, s3 - 2.0 * s2 + s);
            let (h01, h11) = (-2.0 * s3 + 3.0 * s2, s3 - s2);
            path.push(std::array::from_fn(|i| {
                h00 * a.y[i] + h10 * h * a.dy[i] + h01 * b.y[i] + h11 * h * b.dy[i]
            }));
        }
        path.push([b.y[0], b.y[1]]);
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::family::MixturePlane;
    use crate::math::{Model, Param, QuadratureRule, Slice};

    /// A budgeted flow stops an integration short once its evaluations are spent; the same
    /// integration unbounded reaches its end (the control).
    #[test]
    fn a_spent_budget_stops_the_integration_short() {
        let model = Model::from_array([0.5, -1.0, 1.0, 1.0, 1.0]);
        let slice = Slice::new(Param::Mu1, Param::Mu2).unwrap();
        let rule = QuadratureRule::new(32).unwrap();
        let plane = MixturePlane::new(&model, &slice, &rule);
        let start: State = [-1.0, 1.0, 0.6, 0.8];
        let speed = speed_squared(&plane.metric([-1.0, 1.0]), [0.6, 0.8]).sqrt();
        let run = |flow: &Flow<'_>| {
            flow.integrate(start, 1.0, speed, Stepping::Adaptive { first: 0.01 })
                .unwrap()
        };
        let free = Flow::new(&plane);
        let whole = run(&free);
        assert_eq!(whole.stopped, None, "the unbounded run reaches t = 1");
        let needed = free.slopes.load(Ordering::Relaxed);
        assert!(needed > 40, "{needed} evaluations: too few to cut short");

        let budget = needed / 4;
        let bounded = Flow::with_budget(&plane, budget);
        let short = run(&bounded);
        assert!(short.stopped.is_some(), "the budgeted run stopped short");
        assert!(short.last().t < 1.0);
        // The last step may finish its stages past the budget, never more than one step's.
        let spent = bounded.slopes.load(Ordering::Relaxed);
        assert!(
            (budget..budget + 7).contains(&spent),
            "{spent} evaluations against a budget of {budget}"
        );
    }
}
