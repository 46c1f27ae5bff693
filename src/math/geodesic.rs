//! Fisher–Rao geodesics on a slice, in f64 (MATH.md, "Geodesics"): the metric's first
//! derivatives by quadrature, the Christoffel symbols, and the geodesic equation's
//! acceleration. Every geodesic path in fisherflow (the CLI's exponential map and shortest
//! path, the WGSL kernel's f64 mirror) is built on [`metric_jet`].
//!
//! # The jet
//! On a slice (a, b) the metric is the induced block F_ij, i, j ∈ {a, b}, of the full Fisher
//! matrix. Its derivatives are exact expectations (∂ₖp = p sₖ):
//!
//!   ∂ₖF_ij = E_p[(∂ₖsᵢ) sⱼ + sᵢ (∂ₖsⱼ) + sᵢ sⱼ sₖ],
//!
//! with ∂ₖsᵢ = ∂ₖ∂ᵢ log p from [`GeneralMixture::log_density_hessian`]. The expectation uses the
//! general model's quadrature (the model's splits and derived truncation, see
//! [`super::general`]): the integrands are φ-weighted polynomials of degree ≤ 6 in z times
//! responsibilities, the same family the rule was sized for, one degree higher. Geodesics use
//! the induced metric only: the profiled metric's Christoffel symbols would need the derivative
//! of a Schur complement, and its distance is not the length of curves in the slice.
//!
//! # Christoffel symbols
//! Γᵏᵢⱼ = ½ Fᵏˡ (∂ᵢF_lj + ∂ⱼF_li − ∂ₗF_ij); the geodesic equation is θ̈ᵏ = −Γᵏᵢⱼ θ̇ⁱ θ̇ʲ.
//! Where F is singular (the seed's diagonal, a held π at a vanishing component) Fᵏˡ does not
//! exist and [`christoffel`] returns None: geodesics stop there (the callers' step control).
//!
//! # The exponential map ([`exp_map`])
//! The first-order system θ' = v, v' = −Γ(θ)(v, v) at unit Fisher–Rao speed, integrated by
//! Dormand–Prince 5(4) in f64. The local error is measured in the metric's own norm (position
//! error √(eᵀFe) in length, velocity error relative to the speed) against 1e-8 per step: near
//! the singular set the coordinate speed 1/√λ blows up while lengths stay small, and a
//! coordinate norm would force the steps to zero there. Steps are capped at 0.25 in length
//! and σ/4 (π: 0.05) in each coordinate. A step whose stages leave the model or meet an F that
//! is not safely positive definite (κ > [`SINGULAR_CONDITION_GEODESIC`]) is shrunk fourfold;
//! below 1e-12 in length the geodesic stops, with [`StopReason`] saying which. The drawn path
//! adds cubic Hermite points (θ, θ' at both ends of a step) between the steps.
//!
//! # The shortest path ([`shortest_path`])
//! A boundary value problem, solved by shooting from a relaxed discrete path:
//! 1. relax a 16-segment polyline to a rough minimizer of the discrete energy Σ δᵀḠδ (Ḡ the
//!    metric averaged along the segment by Simpson's rule; Newton-like steps with the metric
//!    Laplacian, a block-tridiagonal solve, and a line search);
//! 2. shoot: Newton on the initial velocity w of the exponential map (t ∈ [0, 1], length
//!    √(wᵀFw)), the Jacobian by forward differences along the nominal run's own steps (so the
//!    discrete flow map is smooth in w), kept while it still cuts the residual tenfold (the
//!    chord method), from the relaxed path's initial velocity, to a residual ≤ 1e-9; the
//!    distance is then the integrator's, measured ≤ 1e-7 relative on the half-plane;
//! 3. where shooting fails — it cannot cross the singular set (θ to its twin on the seed's
//!    slice) or start or end on it — relax on 32- and 64-segment polylines instead; the
//!    distance is the 64-segment polyline's length (measured 3e-6 on the seed's twin pairs,
//!    3.5e-4 for a path ending on the diagonal, where it converges only like h).
//!
//! Release timings (seed's slice, σ = 1, typical pairs; `cargo test --release --test
//! geodesic_math -- --ignored --nocapture timings`): shooting 15–75 ms at Q = 32, 21–146 ms
//! at Q = 64; the twin by relaxation 250 ms at Q = 32, 380 ms at Q = 64; an exponential map
//! of length 3, 27 ms (Q = 32) and 51 ms (Q = 64).
//!
//! # The singular set
//! On the seed's slice, near the diagonal, with u along (1, 1)/√2 and r = Δ²/(4√2σ²) (Δ =
//! μ1 − μ2), the metric is ds² ≈ du²/(2σ²) + dr²: the diagonal is at a finite distance r, and
//! the slice folds there onto itself (θ and its twin are mirror images). A geodesic that
//! heads into it arrives in finite length with unbounded coordinate speed and ends there
//! ([`StopReason::SingularSet`]; stopping at κ = 1e10 leaves 0.35/κ of length untravelled); a
//! shortest path between the two sides touches the diagonal once, and d(θ, twin) =
//! 2·d(θ, diagonal) (tested). On slices with π, a mean's row of F vanishes as its weight goes
//! to 0: the edge π ∈ {0, 1} is then singular too, and elsewhere it is the model's edge
//! ([`StopReason::LeftModel`]) at finite length where F_ππ stays finite there.

use super::general::{GeneralMixture, expectation, fisher_slice};
use super::model::{Model, ModelError, Param, Slice};
use super::quadrature::QuadratureRule;
use super::sym2::Sym2;

/// The induced metric on a slice and its first derivatives at one point, in slice order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MetricJet {
    /// F, the (a, b) block of the full Fisher matrix.
    pub metric: Sym2<f64>,
    /// [∂_a F, ∂_b F]: the derivative of the block along each slice coordinate.
    pub derivative: [Sym2<f64>; 2],
}

/// Γᵏᵢⱼ as `gamma[k][i][j]` (symmetric in i, j), slice order.
pub type Christoffel = [[[f64; 2]; 2]; 2];

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

/// The entry (i, j) of a symmetric 2×2 matrix.
fn entry(m: &Sym2<f64>, i: usize, j: usize) -> f64 {
    match (i, j) {
        (0, 0) => m.xx,
        (1, 1) => m.yy,
        _ => m.xy,
    }
}

/// Γᵏᵢⱼ from a jet, or None where F is not positive definite (det F ≤ 0, or not finite).
pub fn christoffel(jet: &MetricJet) -> Option<Christoffel> {
    let f = &jet.metric;
    let det = f.det();
    if !(det > 0.0 && det.is_finite() && f.xx > 0.0) {
        return None;
    }
    let inv = [[f.yy / det, -f.xy / det], [-f.xy / det, f.xx / det]];
    let d = |k: usize, i: usize, j: usize| entry(&jet.derivative[k], i, j);
    // Christoffel symbols of the first kind: Γ_lij = ½(∂ᵢF_lj + ∂ⱼF_li − ∂ₗF_ij).
    let first = |l: usize, i: usize, j: usize| 0.5 * (d(i, l, j) + d(j, l, i) - d(l, i, j));
    let mut gamma = [[[0.0; 2]; 2]; 2];
    for (k, gk) in gamma.iter_mut().enumerate() {
        for (i, row) in gk.iter_mut().enumerate() {
            for (j, g) in row.iter_mut().enumerate() {
                *g = (0..2).map(|l| inv[k][l] * first(l, i, j)).sum();
            }
        }
    }
    Some(gamma)
}

/// The geodesic equation's acceleration θ̈ᵏ = −Γᵏᵢⱼ vⁱ vʲ at velocity `v`.
pub fn acceleration(gamma: &Christoffel, v: [f64; 2]) -> [f64; 2] {
    std::array::from_fn(|k| {
        -(gamma[k][0][0] * v[0] * v[0]
            + 2.0 * gamma[k][0][1] * v[0] * v[1]
            + gamma[k][1][1] * v[1] * v[1])
    })
}

/// The squared Fisher–Rao speed vᵀFv.
pub fn speed_squared(metric: &Sym2<f64>, v: [f64; 2]) -> f64 {
    metric.xx * v[0] * v[0] + 2.0 * metric.xy * v[0] * v[1] + metric.yy * v[1] * v[1]
}

// ---------------------------------------------------------------------------------------------
// Solvers: the exponential map (an initial value problem) and the shortest path (a boundary
// value problem), both in slice coordinates.
// ---------------------------------------------------------------------------------------------

/// Beyond this condition number F counts as singular for a geodesic: the integration stops
/// with [`StopReason::SingularSet`]. On the seed's slice κ ≈ 2σ²/Δ², and the Fisher–Rao
/// distance left to the diagonal at κ is about 0.35/κ (the metric near the diagonal is
/// ds² ≈ dr² + … with r = Δ²/(4√2σ²)), so stopping at 1e10 loses < 1e-10 of length; F is
/// computed in the standard basis, which costs κ·ε of relative accuracy in λ_min, 1e-6 there.
pub const SINGULAR_CONDITION_GEODESIC: f64 = 1e10;

/// Local error tolerance of the integrator per step, in Fisher–Rao units (module docs).
const STEP_TOLERANCE: f64 = 1e-8;
/// Largest step in Fisher–Rao length (keeps the cubic Hermite dense output accurate).
const MAX_STEP_LENGTH: f64 = 0.25;
/// Steps below this Fisher–Rao length mean the geodesic cannot go on (singular set or edge).
const MIN_STEP_LENGTH: f64 = 1e-12;
/// The drawn path has a point at least every 1/`PATH_POINTS` of its length.
const PATH_POINTS: f64 = 128.0;
/// Largest number of accepted plus rejected steps of one integration.
const MAX_STEPS: usize = 20_000;

/// Why a geodesic stopped before its requested length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The next step would leave the model's domain (σ ≤ 0, or π ∉ (0, 1) on a slice with π).
    LeftModel,
    /// F stopped being safely positive definite (κ > [`SINGULAR_CONDITION_GEODESIC`], det ≤ 0,
    /// or the step shrank below its floor there): the geodesic reached the singular set.
    SingularSet,
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StopReason::LeftModel => "left the model",
            StopReason::SingularSet => "singular set",
        })
    }
}

/// A geodesic from the exponential map.
#[derive(Clone, Debug, PartialEq)]
pub struct Geodesic {
    /// Slice coordinates along it, dense (a point at least every 1/128 of its length and
    /// small steps in coordinates), from the start to `end`.
    pub path: Vec<[f64; 2]>,
    /// The last point: where the requested length was reached, or the last valid point.
    pub end: [f64; 2],
    /// The Fisher–Rao length travelled (the requested one unless it stopped early).
    pub length: f64,
    /// Why it stopped early; None when it went the whole length.
    pub stopped: Option<StopReason>,
}

/// How [`shortest_path`] found its answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathMethod {
    /// Shooting: Newton on the initial velocity of the exponential map, started from a relaxed
    /// discrete path. The path is a geodesic to integrator accuracy (distance error ~1e-7).
    Shooting,
    /// Relaxation: the discrete energy of a polyline minimized on finer and finer polylines
    /// (used where shooting fails, e.g. when the path must touch the singular set; measured
    /// error 3e-6 for the seed's twin, 3.5e-4 for a path ending on the diagonal).
    Relaxation,
}

impl std::fmt::Display for PathMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PathMethod::Shooting => "shooting",
            PathMethod::Relaxation => "relaxation",
        })
    }
}

/// A shortest path between two points of a slice.
#[derive(Clone, Debug, PartialEq)]
pub struct ShortestPath {
    /// The slice distance: the Fisher–Rao length of the path.
    pub distance: f64,
    /// Slice coordinates, starting exactly at `from` and ending exactly at `to`.
    pub path: Vec<[f64; 2]>,
    /// How it was found.
    pub method: PathMethod,
    /// An estimate of the absolute error of `distance`.
    pub error_estimate: f64,
}

/// Bad input to the geodesic solvers, or no path found.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeodesicError {
    /// A point whose model is not valid on the slice.
    #[error("the {which} point ({}, {}) is outside the model: {error}", point[0], point[1])]
    OutsideModel {
        /// Which point ("start", "end").
        which: &'static str,
        /// Its slice coordinates.
        point: [f64; 2],
        /// What is wrong with the model there.
        error: ModelError,
    },
    /// A direction of length zero, or not finite.
    #[error("the direction ({}, {}) must be a finite nonzero vector", direction[0], direction[1])]
    BadDirection {
        /// The direction given.
        direction: [f64; 2],
    },
    /// A negative or non-finite length.
    #[error("the length must be a finite number >= 0, got {length}")]
    BadLength {
        /// The length given.
        length: f64,
    },
    /// Neither shooting nor relaxation produced a path.
    #[error("no path found from ({}, {}) to ({}, {}): {reason}", from[0], from[1], to[0], to[1])]
    NoPath {
        /// Start.
        from: [f64; 2],
        /// End.
        to: [f64; 2],
        /// Why.
        reason: String,
    },
}

/// What stopped one right-hand-side evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Blocked {
    LeftModel,
    Singular,
}

impl From<Blocked> for StopReason {
    fn from(b: Blocked) -> Self {
        match b {
            Blocked::LeftModel => StopReason::LeftModel,
            Blocked::Singular => StopReason::SingularSet,
        }
    }
}

/// State y = (θa, θb, va, vb) of the first-order system θ' = v, v' = −Γ(θ)(v, v).
type State = [f64; 4];

/// The derivative y' at a state, with the metric there (for the error norm).
#[derive(Clone, Copy, Debug)]
struct Slope {
    dy: State,
    metric: Sym2<f64>,
}

/// An accepted node of an integration: time, state and slope.
#[derive(Clone, Copy, Debug)]
struct Node {
    t: f64,
    y: State,
    dy: State,
}

/// One integration: its nodes (first at t = 0), the accepted step sizes, and why it stopped
/// short of the end (None when it reached it).
#[derive(Clone, Debug)]
struct Run {
    nodes: Vec<Node>,
    steps: Vec<f64>,
    stopped: Option<StopReason>,
}

impl Run {
    fn last(&self) -> &Node {
        self.nodes
            .last()
            .expect("a run always holds its start node")
    }
}

/// Whether F is safely positive definite for the geodesic equation.
fn metric_is_safe(f: &Sym2<f64>) -> bool {
    let e = f.eigen();
    f.det() > 0.0
        && e.lambda_max.is_finite()
        && e.lambda_min > 0.0
        && e.lambda_max <= SINGULAR_CONDITION_GEODESIC * e.lambda_min
}

/// The geodesic equation on one slice through one base model.
struct Flow<'a> {
    base: &'a Model,
    slice: &'a Slice,
    rule: &'a QuadratureRule,
}

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
enum Stepping<'s> {
    /// Error-controlled, starting from this step.
    Adaptive { first: f64 },
    /// Exactly these steps (the nominal run's), so that finite differences across nearby
    /// initial velocities see a smooth map.
    Replay(&'s [f64]),
}

impl<'a> Flow<'a> {
    fn model_at(&self, xy: [f64; 2]) -> Result<Model, Blocked> {
        let m = self.slice.place(self.base, xy);
        m.validate_for(self.slice).map_err(|_| Blocked::LeftModel)?;
        Ok(m)
    }

    fn metric(&self, xy: [f64; 2]) -> Result<Sym2<f64>, Blocked> {
        let m = self.model_at(xy)?;
        Ok(fisher_slice(&m, self.slice, self.rule))
    }

    fn slope(&self, y: &State) -> Result<Slope, Blocked> {
        let m = self.model_at([y[0], y[1]])?;
        let jet = metric_jet(&m, self.slice, self.rule);
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
    fn integrate(
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
                    match self.step(&y, &k, h) {
                        Ok((yn, kn, _)) => {
                            (y, k, t) = (yn, kn, t + h);
                            run.nodes.push(Node { t, y, dy: k.dy });
                            run.steps.push(h);
                        }
                        Err(b) => {
                            run.stopped = Some(b.into());
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
                    // Caps: Fisher–Rao length per step, and coordinate change per step
                    // (where F degenerates the coordinate speed 1/√λ blows up).
                    let mut cap = MAX_STEP_LENGTH / speed;
                    let scales = self.coordinate_scales([y[0], y[1]]);
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
                        run.stopped = Some(last_block.into());
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
                    run.stopped = Some(last_block.into());
                }
            }
        }
        Ok(run)
    }

    /// Per-coordinate step caps at a point: a quarter of the smaller σ there for a mean or a
    /// σ (the model's natural length), 0.05 for π.
    fn coordinate_scales(&self, xy: [f64; 2]) -> [f64; 2] {
        let m = self.slice.place(self.base, xy);
        let sigma = m.sigma1.min(m.sigma2);
        self.slice.params().map(|p| match p {
            Param::Pi => 0.05,
            _ => 0.25 * sigma,
        })
    }
}

/// The drawn path of a run: the nodes, with cubic Hermite points (θ and θ' = v at both ends
/// of each step, so fourth-order accurate) in between, a point at least every
/// 1/[`PATH_POINTS`] of `total_length` and every sixteenth of σ (a twentieth of π) in
/// coordinates.
fn dense_path(flow: &Flow<'_>, run: &Run, speed: f64, total_length: f64) -> Vec<[f64; 2]> {
    let mut path = vec![[run.nodes[0].y[0], run.nodes[0].y[1]]];
    let spacing = (total_length / PATH_POINTS).max(1e-300);
    for pair in run.nodes.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let h = b.t - a.t;
        let scales = flow.coordinate_scales([a.y[0], a.y[1]]);
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

fn check_point(
    base: &Model,
    slice: &Slice,
    which: &'static str,
    point: [f64; 2],
) -> Result<(), GeodesicError> {
    slice
        .place(base, point)
        .validate_for(slice)
        .map_err(|error| GeodesicError::OutsideModel {
            which,
            point,
            error,
        })
}

/// The exponential map: the geodesic from `from` with initial direction `direction` (slice
/// coordinates; normalized to unit Fisher–Rao speed, vᵀF v = 1), followed for Fisher–Rao
/// length `length`.
///
/// Integrated by Dormand–Prince 5(4) in f64 with per-step error ≤ 1e-8 in the metric's norm,
/// steps capped at 0.25 in length and at σ/4 (π: 0.05) in each coordinate. It stops early,
/// with `stopped` saying why and `length` the length reached, where the next point would leave
/// the model, or where F is no longer safely positive definite (κ > 1e10, det ≤ 0, or the
/// step shrinks below 1e-12 in length there). A start on the singular set stops at once
/// (length 0).
pub fn exp_map(
    base: &Model,
    slice: &Slice,
    from: [f64; 2],
    direction: [f64; 2],
    length: f64,
    rule: &QuadratureRule,
) -> Result<Geodesic, GeodesicError> {
    check_point(base, slice, "start", from)?;
    if !(direction.iter().all(|d| d.is_finite()) && direction != [0.0, 0.0]) {
        return Err(GeodesicError::BadDirection { direction });
    }
    if !(length.is_finite() && length >= 0.0) {
        return Err(GeodesicError::BadLength { length });
    }
    let flow = Flow { base, slice, rule };
    let stay = |stopped| Geodesic {
        path: vec![from],
        end: from,
        length: 0.0,
        stopped,
    };
    let f = flow.metric(from).expect("the start point was validated");
    if !metric_is_safe(&f) {
        return Ok(stay(Some(StopReason::SingularSet)));
    }
    if length == 0.0 {
        return Ok(stay(None));
    }
    let norm = speed_squared(&f, direction).sqrt();
    let v = direction.map(|d| d / norm);
    let y0 = [from[0], from[1], v[0], v[1]];
    let first = length.min(0.05);
    let Ok(run) = flow.integrate(y0, length, 1.0, Stepping::Adaptive { first }) else {
        return Ok(stay(Some(StopReason::SingularSet)));
    };
    let last = run.last();
    let mut path = dense_path(&flow, &run, 1.0, length);
    path[0] = from;
    Ok(Geodesic {
        end: [last.y[0], last.y[1]],
        length: last.t,
        stopped: run.stopped,
        path,
    })
}

/// The Fisher–Rao length of a polyline: Σ √(δᵀ F(midpoint) δ) over its segments (second-order
/// accurate in the segment length). NaN where a midpoint is outside the model (it never is
/// for points inside: the domain is a product of intervals, so convex).
pub fn polyline_length(
    base: &Model,
    slice: &Slice,
    path: &[[f64; 2]],
    rule: &QuadratureRule,
) -> f64 {
    path.windows(2)
        .map(|w| {
            let mid = [0.5 * (w[0][0] + w[1][0]), 0.5 * (w[0][1] + w[1][1])];
            let m = slice.place(base, mid);
            if m.validate_for(slice).is_err() {
                return f64::NAN;
            }
            let d = [w[1][0] - w[0][0], w[1][1] - w[0][1]];
            speed_squared(&fisher_slice(&m, slice, rule), d)
                .max(0.0)
                .sqrt()
        })
        .sum()
}

// ----- Relaxation: the discrete energy of a polyline ------------------------------------------

/// A 2×2 matrix, row-major.
type Mat2 = [[f64; 2]; 2];

fn mat(s: &Sym2<f64>) -> Mat2 {
    s.to_array()
}

fn mat_mul(a: &Mat2, b: &Mat2) -> Mat2 {
    std::array::from_fn(|i| std::array::from_fn(|j| a[i][0] * b[0][j] + a[i][1] * b[1][j]))
}

fn mat_vec(a: &Mat2, v: [f64; 2]) -> [f64; 2] {
    [
        a[0][0] * v[0] + a[0][1] * v[1],
        a[1][0] * v[0] + a[1][1] * v[1],
    ]
}

fn mat_sub(a: &Mat2, b: &Mat2) -> Mat2 {
    std::array::from_fn(|i| std::array::from_fn(|j| a[i][j] - b[i][j]))
}

fn mat_inv(a: &Mat2) -> Option<Mat2> {
    let det = a[0][0] * a[1][1] - a[0][1] * a[1][0];
    (det.is_finite() && det != 0.0).then(|| {
        [
            [a[1][1] / det, -a[0][1] / det],
            [-a[1][0] / det, a[0][0] / det],
        ]
    })
}

/// The jets along a polyline at its vertices and segment midpoints, interleaved (index 2k is
/// vertex k, 2k + 1 the midpoint of segment k), or None when a point is outside the model.
fn chain_jets(flow: &Flow<'_>, pts: &[[f64; 2]]) -> Option<Vec<MetricJet>> {
    use rayon::prelude::*;
    // Points and segment midpoints in order: x0, m0, x1, m1, …, xn.
    let mut at = Vec::with_capacity(2 * pts.len());
    for (k, &p) in pts.iter().enumerate() {
        if k > 0 {
            let q = pts[k - 1];
            at.push([0.5 * (q[0] + p[0]), 0.5 * (q[1] + p[1])]);
        }
        at.push(p);
    }
    // Each jet is a whole quadrature (~100 µs): worth spreading over the cores.
    at.par_iter()
        .map(|&p| Some(metric_jet(&flow.model_at(p).ok()?, flow.slice, flow.rule)))
        .collect()
}

fn segment(pts: &[[f64; 2]], k: usize) -> [f64; 2] {
    [pts[k + 1][0] - pts[k][0], pts[k + 1][1] - pts[k][1]]
}

/// Simpson's weights over a segment's end, midpoint and end.
fn simpson(a: f64, m: f64, b: f64) -> f64 {
    (a + 4.0 * m + b) / 6.0
}

/// Segment k's metric averaged by Simpson's rule, Ḡₖ = (F(xₖ) + 4F(mₖ) + F(xₖ₊₁))/6.
fn segment_metric(jets: &[MetricJet], k: usize) -> Sym2<f64> {
    let (a, m, b) = (
        &jets[2 * k].metric,
        &jets[2 * k + 1].metric,
        &jets[2 * k + 2].metric,
    );
    Sym2::new(
        simpson(a.xx, m.xx, b.xx),
        simpson(a.xy, m.xy, b.xy),
        simpson(a.yy, m.yy, b.yy),
    )
}

/// The discrete energy Σ δₖᵀḠₖδₖ: Simpson's rule for ∫ δᵀF(x(s))δ ds along each straight
/// segment. Its minimizers are constant-speed discrete geodesics. (The midpoint rule alone
/// would let a segment cross the seed's diagonal for free: with its midpoint on the diagonal
/// and δ along the null direction, δᵀF(m)δ = 0. Simpson's rule is exact there, where F's null
/// eigenvalue grows quadratically off the diagonal.)
fn energy(pts: &[[f64; 2]], jets: &[MetricJet]) -> f64 {
    (0..pts.len() - 1)
        .map(|k| speed_squared(&segment_metric(jets, k), segment(pts, k)))
        .sum()
}

/// The polyline's Fisher–Rao length, Simpson's rule on the speed along each segment.
fn discrete_length(pts: &[[f64; 2]], jets: &[MetricJet]) -> f64 {
    let speed = |j: &MetricJet, d| speed_squared(&j.metric, d).max(0.0).sqrt();
    (0..pts.len() - 1)
        .map(|k| {
            let d = segment(pts, k);
            simpson(
                speed(&jets[2 * k], d),
                speed(&jets[2 * k + 1], d),
                speed(&jets[2 * k + 2], d),
            )
        })
        .sum()
}

/// Minimizes the discrete energy over the interior points of `pts` (ends fixed): Newton-like
/// steps with the block-tridiagonal metric Laplacian (the Hessian without the ∂F terms; its
/// blocks 2(Ḡₖ₋₁ + Ḡₖ) and −2Ḡₖ) and a backtracking line search, until the predicted
/// decrease is below `tolerance` × the energy. Returns the polyline's Fisher–Rao length, or
/// None when the metric could not be evaluated along it.
fn relax(
    flow: &Flow<'_>,
    pts: &mut [[f64; 2]],
    max_iterations: usize,
    tolerance: f64,
) -> Option<Relaxed> {
    let n = pts.len() - 1;
    let mut jets = chain_jets(flow, pts)?;
    let mut e = energy(pts, &jets);
    for _ in 0..max_iterations {
        if n < 2 {
            break;
        }
        let g: Vec<Mat2> = (0..n).map(|k| mat(&segment_metric(&jets, k))).collect();
        // ∂/∂x of δᵀḠδ through the metric, for the segment's left (x_k) or right (x_k+1) end.
        let through_metric = |k: usize, right: bool| -> [f64; 2] {
            let d = segment(pts, k);
            let end = if right { 2 * k + 2 } else { 2 * k };
            std::array::from_fn(|c| {
                (speed_squared(&jets[end].derivative[c], d)
                    + 2.0 * speed_squared(&jets[2 * k + 1].derivative[c], d))
                    / 6.0
            })
        };
        // Gradient at interior points j = 1..n−1.
        let grad: Vec<[f64; 2]> = (1..n)
            .map(|j| {
                let (dl, dr) = (segment(pts, j - 1), segment(pts, j));
                let (al, ar) = (mat_vec(&g[j - 1], dl), mat_vec(&g[j], dr));
                let (ml, mr) = (through_metric(j - 1, true), through_metric(j, false));
                std::array::from_fn(|c| 2.0 * (al[c] - ar[c]) + ml[c] + mr[c])
            })
            .collect();
        let reg = 1e-12 * g.iter().map(|m| m[0][0] + m[1][1]).fold(0.0, f64::max);
        // Block Thomas: forward elimination of H d = −g, unknown i is point i + 1.
        let m = n - 1;
        let off = |k: usize| -> Mat2 { g[k].map(|r| r.map(|x| -2.0 * x)) };
        let mut diag: Vec<Mat2> = Vec::with_capacity(m);
        let mut rhs: Vec<[f64; 2]> = Vec::with_capacity(m);
        for i in 0..m {
            let mut di: Mat2 = std::array::from_fn(|r| {
                std::array::from_fn(|c| 2.0 * (g[i][r][c] + g[i + 1][r][c]))
            });
            di[0][0] += reg;
            di[1][1] += reg;
            let mut ri = grad[i].map(|x| -x);
            if i > 0 {
                // The block between unknowns i − 1 and i: segment i.
                let c = off(i);
                let l = mat_mul(&c, &mat_inv(&diag[i - 1])?);
                di = mat_sub(&di, &mat_mul(&l, &c));
                let lr = mat_vec(&l, rhs[i - 1]);
                ri = [ri[0] - lr[0], ri[1] - lr[1]];
            }
            diag.push(di);
            rhs.push(ri);
        }
        let mut step = vec![[0.0; 2]; m];
        for i in (0..m).rev() {
            let mut r = rhs[i];
            if i + 1 < m {
                let cd = mat_vec(&off(i + 1), step[i + 1]);
                r = [r[0] - cd[0], r[1] - cd[1]];
            }
            step[i] = mat_vec(&mat_inv(&diag[i])?, r);
        }
        let decrease: f64 = grad
            .iter()
            .zip(&step)
            .map(|(g, d)| -(g[0] * d[0] + g[1] * d[1]))
            .sum();
        if decrease.is_nan() || decrease <= tolerance * e {
            break;
        }
        let mut alpha = 1.0;
        let mut accepted = false;
        for _ in 0..12 {
            let trial: Vec<[f64; 2]> = pts
                .iter()
                .enumerate()
                .map(|(k, p)| {
                    if k == 0 || k == n {
                        *p
                    } else {
                        [p[0] + alpha * step[k - 1][0], p[1] + alpha * step[k - 1][1]]
                    }
                })
                .collect();
            if let Some(tj) = chain_jets(flow, &trial) {
                let te = energy(&trial, &tj);
                if te < e {
                    pts.copy_from_slice(&trial);
                    (jets, e) = (tj, te);
                    accepted = true;
                    break;
                }
            }
            alpha *= 0.5;
        }
        if !accepted {
            break;
        }
    }
    Some(Relaxed {
        length: discrete_length(pts, &jets),
        touches_singular_set: jets.iter().any(|j| !metric_is_safe(&j.metric)),
    })
}

/// What [`relax`] found about its polyline.
struct Relaxed {
    /// The discrete length (Simpson per segment).
    length: f64,
    /// Whether the metric is (numerically) singular at one of its points or segment midpoints:
    /// the path runs through the singular set, which no geodesic of the exponential map can
    /// cross, so shooting is not tried.
    touches_singular_set: bool,
}

/// The Fisher–Rao length of a polyline with each segment cut into [`LENGTH_PIECES`] pieces,
/// midpoint rule on each: the speed along a segment that crosses the seed's diagonal has a
/// kink (|t|-like), where Simpson's rule on the whole segment would miss a third of its length.
fn fine_length(flow: &Flow<'_>, pts: &[[f64; 2]]) -> f64 {
    polyline_length(flow.base, flow.slice, &subdivide(pts), flow.rule)
}

/// The polyline with each segment cut into [`LENGTH_PIECES`] equal pieces.
fn subdivide(pts: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut fine = Vec::with_capacity(LENGTH_PIECES * pts.len());
    for w in pts.windows(2) {
        for i in 0..LENGTH_PIECES {
            let s = i as f64 / LENGTH_PIECES as f64;
            fine.push([
                w[0][0] + s * (w[1][0] - w[0][0]),
                w[0][1] + s * (w[1][1] - w[0][1]),
            ]);
        }
    }
    fine.push(pts[pts.len() - 1]);
    fine
}

/// Pieces per segment in [`fine_length`].
const LENGTH_PIECES: usize = 8;

/// Doubles a polyline's segments by inserting midpoints.
fn refine(pts: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut out = Vec::with_capacity(2 * pts.len());
    for w in pts.windows(2) {
        out.push(w[0]);
        out.push([0.5 * (w[0][0] + w[1][0]), 0.5 * (w[0][1] + w[1][1])]);
    }
    out.push(pts[pts.len() - 1]);
    out
}

/// Segments of the relaxed polyline that seeds shooting.
const GUESS_SEGMENTS: usize = 16;
/// Segments of the finest relaxation level (the fallback answer).
const FINE_SEGMENTS: usize = 64;
/// Newton's target residual at `to`, in Fisher–Rao length (times max(1, distance)): the
/// distance moves by at most the residual, and the integrator's own error is ~1e-9.
const SHOOTING_TOLERANCE: f64 = 1e-9;
/// Newton iterations of shooting.
const SHOOTING_ITERATIONS: usize = 16;

// ----- Shooting ----------------------------------------------------------------------------

/// The geodesic from `from` with velocity w over t ∈ [0, 1] (length √(wᵀFw)), integrated
/// adaptively or along given steps; None when it stops short.
fn shoot_once(
    flow: &Flow<'_>,
    from: [f64; 2],
    f_from: &Sym2<f64>,
    w: [f64; 2],
    stepping: Stepping<'_>,
) -> Option<Run> {
    let speed = speed_squared(f_from, w).sqrt();
    if !(speed > 0.0 && speed.is_finite()) {
        return None;
    }
    let run = flow
        .integrate([from[0], from[1], w[0], w[1]], 1.0, speed, stepping)
        .ok()?;
    // A replayed run's time is a sum of the nominal steps, which need not round to exactly 1:
    // reaching the end is "not stopped".
    run.stopped.is_none().then_some(run)
}

/// Newton on the initial velocity w so that exp(w) = `to`, with the Jacobian by forward
/// differences along the nominal run's own steps (the discrete flow map is then smooth in w,
/// so the differences are accurate to ~1e-7), from the velocity of the relaxed polyline
/// `guess` at its start (a one-sided second-order difference).
fn shoot(
    flow: &Flow<'_>,
    from: [f64; 2],
    to: [f64; 2],
    guess: &[[f64; 2]],
    guess_length: f64,
) -> Option<ShortestPath> {
    let f_from = flow.metric(from).ok()?;
    let f_to = flow.metric(to).ok()?;
    if !(metric_is_safe(&f_from) && metric_is_safe(&f_to)) {
        return None;
    }
    let n = (guess.len() - 1) as f64;
    let mut w: [f64; 2] =
        std::array::from_fn(|i| n * (-3.0 * guess[0][i] + 4.0 * guess[1][i] - guess[2][i]) / 2.0);
    let first = |w: [f64; 2]| (0.05 / speed_squared(&f_from, w).sqrt()).min(1.0);
    let miss = |run: &Run| {
        let y = run.last().y;
        [y[0] - to[0], y[1] - to[1]]
    };
    let norm = |r: [f64; 2]| speed_squared(&f_to, r).max(0.0).sqrt();
    // A guess aimed just past the singular set (an end next to the seed's diagonal) runs into
    // it: shorten the first shot until it arrives.
    let (mut run, start) = [1.0, 0.9, 0.75, 0.5].into_iter().find_map(|scale| {
        let ws = w.map(|x| scale * x);
        shoot_once(
            flow,
            from,
            &f_from,
            ws,
            Stepping::Adaptive { first: first(ws) },
        )
        .map(|run| (run, ws))
    })?;
    w = start;
    let mut r = miss(&run);
    let target = SHOOTING_TOLERANCE * guess_length.max(1.0);
    let mut converged = norm(r) <= target;
    let mut inverse: Option<Mat2> = None;
    for _ in 0..SHOOTING_ITERATIONS {
        if converged {
            break;
        }
        let fresh = inverse.is_none();
        // The chord method: the Jacobian (two more integrations) is kept while it still
        // cuts the residual tenfold per iteration.
        if inverse.is_none() {
            let eps = 1e-7 * w[0].abs().max(w[1].abs());
            let mut jac = [[0.0; 2]; 2];
            for (j, wj) in [[w[0] + eps, w[1]], [w[0], w[1] + eps]]
                .into_iter()
                .enumerate()
            {
                let rj = shoot_once(flow, from, &f_from, wj, Stepping::Replay(&run.steps))?;
                let (y, y0) = (rj.last().y, run.last().y);
                jac[0][j] = (y[0] - y0[0]) / eps;
                jac[1][j] = (y[1] - y0[1]) / eps;
            }
            inverse = Some(mat_inv(&jac)?);
        }
        let before = norm(r);
        let d = mat_vec(inverse.as_ref()?, r).map(|x| -x);
        let mut alpha = 1.0;
        let mut improved = false;
        for _ in 0..8 {
            let wn = [w[0] + alpha * d[0], w[1] + alpha * d[1]];
            if let Some(rn) = shoot_once(
                flow,
                from,
                &f_from,
                wn,
                Stepping::Adaptive { first: first(wn) },
            ) {
                let resid = miss(&rn);
                if norm(resid) < norm(r) {
                    (w, run, r) = (wn, rn, resid);
                    improved = true;
                    break;
                }
            }
            alpha *= 0.5;
        }
        if !improved {
            if fresh {
                break;
            }
            // A stale Jacobian may be the reason: try again with a fresh one.
            inverse = None;
            continue;
        }
        if norm(r) > 0.1 * before {
            inverse = None;
        }
        converged = norm(r) <= target;
    }
    // Newton may stall a little above the target where the adaptive steps change between
    // iterations; 10 × the target is still far below the accuracy promised.
    if norm(r) > 10.0 * target {
        return None;
    }
    let distance = speed_squared(&f_from, w).sqrt();
    // A geodesic much longer than the relaxed path is another, non-minimizing one.
    if distance > guess_length * 1.02 + 1e-9 {
        return None;
    }
    let mut path = dense_path(flow, &run, distance, distance);
    path[0] = from;
    let last = path.len() - 1;
    path[last] = to;
    Some(ShortestPath {
        distance,
        path,
        method: PathMethod::Shooting,
        error_estimate: norm(r) + 1e-9 * distance.max(1.0),
    })
}

/// The shortest path within the slice from `from` to `to` (slice coordinates) and its
/// Fisher–Rao length, the slice distance (MATH.md, "Geodesics").
///
/// 1. Relax a 16-segment polyline (the straight line to start with) roughly toward a
///    minimizer of the discrete energy Σ δᵀḠδ (Ḡ: F averaged along each segment by Simpson).
/// 2. Shoot: Newton on the initial velocity of the exponential map (the integrator of
///    [`exp_map`]), started from the relaxed polyline's initial velocity. When it converges
///    to a geodesic no longer than the relaxed polyline (2% slack), that is the answer
///    ([`PathMethod::Shooting`]); its distance error is the integrator's, ~1e-7.
/// 3. Otherwise (shooting cannot cross the singular set: a point and its label-swapped twin on
///    the seed's slice, an end on the singular set), relax on finer polylines up to 64
///    segments ([`PathMethod::Relaxation`]); the distance is the last one's length, each
///    segment measured in 8 pieces, and the path is that polyline in those pieces (so
///    [`polyline_length`] of it is the distance exactly); the error estimate is twice the
///    change from the 32-segment level.
pub fn shortest_path(
    base: &Model,
    slice: &Slice,
    from: [f64; 2],
    to: [f64; 2],
    rule: &QuadratureRule,
) -> Result<ShortestPath, GeodesicError> {
    check_point(base, slice, "start", from)?;
    check_point(base, slice, "end", to)?;
    if from == to {
        return Ok(ShortestPath {
            distance: 0.0,
            path: vec![from, to],
            method: PathMethod::Shooting,
            error_estimate: 0.0,
        });
    }
    let flow = Flow { base, slice, rule };
    let no_path = |reason: &str| GeodesicError::NoPath {
        from,
        to,
        reason: reason.to_owned(),
    };
    let mut pts: Vec<[f64; 2]> = (0..=GUESS_SEGMENTS)
        .map(|k| {
            let s = k as f64 / GUESS_SEGMENTS as f64;
            [
                from[0] + s * (to[0] - from[0]),
                from[1] + s * (to[1] - from[1]),
            ]
        })
        .collect();
    // A rough minimizer is enough to land in Newton's basin.
    let guess = relax(&flow, &mut pts, 15, 1e-8)
        .ok_or_else(|| no_path("the metric could not be evaluated along the straight line"))?;
    // Through the singular set (a point and its label-swapped twin on the seed's slice) shooting
    // would spend its Newton iterations in vain (~0.15 s): go straight to the fine relaxation.
    if !guess.touches_singular_set
        && let Some(found) = shoot(&flow, from, to, &pts, guess.length)
    {
        return Ok(found);
    }
    let mut previous = f64::NAN;
    let mut length = f64::NAN;
    while pts.len() - 1 < FINE_SEGMENTS {
        pts = refine(&pts);
        relax(&flow, &mut pts, 30, 1e-9)
            .ok_or_else(|| no_path("the metric could not be evaluated along the polyline"))?;
        previous = length;
        length = fine_length(&flow, &pts);
    }
    if !length.is_finite() {
        return Err(no_path("the relaxed path has no finite length"));
    }
    let path = subdivide(&pts);
    Ok(ShortestPath {
        distance: length,
        path,
        method: PathMethod::Relaxation,
        // Twice the change between the last two levels: on the seed's twin pairs the lengths
        // converge faster than h² (the change overestimates the error tenfold), but toward an
        // end on the singular set only like h (the error equals the change).
        error_estimate: 2.0 * (length - previous).abs(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::Param;

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

    /// On the seed's diagonal F is singular: no Christoffel symbols.
    #[test]
    fn christoffel_is_none_on_the_singular_diagonal() {
        let model = Model::seed(0.4, 0.4, 1.0);
        let jet = metric_jet(&model, &Slice::SEED, &rule());
        assert!(
            christoffel(&jet).is_none() || jet.metric.det() < 1e-12,
            "{jet:?}"
        );
        let off = metric_jet(&Model::seed(0.0, 1.0, 1.0), &Slice::SEED, &rule());
        assert!(christoffel(&off).is_some());
        let nan = MetricJet {
            metric: Sym2::new(f64::NAN, 0.0, 1.0),
            derivative: off.derivative,
        };
        assert!(christoffel(&nan).is_none());
    }
}
