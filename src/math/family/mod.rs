//! The f64 face of a statistical family on its canvas: the [`Plane`] trait that the geodesic
//! solvers ([`super::geodesic`]) and the optimizers ([`super::optimize`]) are written against,
//! so a second family (the policy plane of MATH.md's last section) gets geodesics, shortest
//! paths and the race by implementing it, with no edits to those solvers.
//!
//! A plane is a family with everything but two coordinates fixed: the two-component mixture's
//! slice through its target ([`MixturePlane`]), or the policy plane of feedback gains K. It
//! answers, at canvas coordinates `xy`: whether the point is inside the model, the metric F
//! and its first derivatives (for the geodesic equation), per-coordinate step scales (for the
//! integrators' step caps), the loss L with ∇L, and the preconditioners the family offers to
//! the optimizers (the Fisher block, the empirical Fisher, a Monte-Carlo Fisher, …).
//!
//! Families differ in what they offer: [`Preconditioner`] names every kind a family may have,
//! and [`Plane::offers`] says which it has, which is how each family gets its own list of
//! optimizers ([`super::optimize::Optimizer::offered_by`]).

mod mixture;

pub use mixture::MixturePlane;

use super::sym2::Sym2;

/// A metric on the canvas and its first derivatives at one point, in canvas order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MetricJet {
    /// F at the point.
    pub metric: Sym2<f64>,
    /// [∂_a F, ∂_b F]: the derivative of F along each canvas coordinate.
    pub derivative: [Sym2<f64>; 2],
}

/// The loss and its gradient at one point, and (when asked for and the family has one) the
/// empirical Fisher's block, which the mixture computes in the same pass.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TargetTerms {
    /// L: the mixture's KL(p* ‖ p_θ), the policy plane's cost C(K).
    pub loss: f64,
    /// ∇L in canvas coordinates.
    pub grad: [f64; 2],
    /// EF = E_{p*}[s sᵀ], canvas block (only when asked for).
    pub empirical_fisher: Option<Sym2<f64>>,
}

/// A matrix an optimizer may precondition ∇L with. A family offers some of these
/// ([`Plane::offers`]); the optimizers that need one it lacks are not raced on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preconditioner {
    /// The Fisher matrix F (the metric).
    Fisher,
    /// The population empirical Fisher E_{p*}[s sᵀ] under the target.
    EmpiricalFisher,
    /// A Monte-Carlo Fisher from `samples` model samples, drawn from stream `step` of `seed`
    /// (so every step resamples, reproducibly).
    MonteCarloFisher {
        /// Samples per estimate.
        samples: u32,
        /// The seed.
        seed: u32,
        /// The step whose stream is drawn.
        step: u32,
    },
    /// The Gauss–Newton matrix of a quadratic cost (the policy plane's (R + BᵀP_K B) Σ_K,
    /// whose step ½ is policy iteration).
    GaussNewton,
}

impl Preconditioner {
    /// How a message names it ("F", "the empirical Fisher EF", …).
    pub fn name(self) -> &'static str {
        match self {
            Preconditioner::Fisher => "F",
            Preconditioner::EmpiricalFisher => "the empirical Fisher EF",
            Preconditioner::MonteCarloFisher { .. } => "the Monte-Carlo Fisher F̂",
            Preconditioner::GaussNewton => "the Gauss–Newton matrix",
        }
    }
}

/// A family on its two-coordinate canvas, in f64: what the CPU's geodesics and optimizers
/// need from it.
///
/// Contract: the model's domain on the canvas is convex (the mixture's is a box; the policy
/// plane's a triangle), so a segment between two points inside stays inside — the optimizers
/// measure a step's Fisher–Rao length at its midpoint and the relaxed geodesic paths measure
/// segments there. Every method but [`Plane::check`] is called only at points inside.
pub trait Plane: Sync {
    /// Ok inside the model; outside, what is wrong in words a user can act on.
    fn check(&self, xy: [f64; 2]) -> Result<(), String>;

    /// The metric F at `xy`.
    fn metric(&self, xy: [f64; 2]) -> Sym2<f64>;

    /// F and its first derivatives at `xy` (the geodesic equation's Christoffel symbols).
    fn metric_jet(&self, xy: [f64; 2]) -> MetricJet;

    /// The largest change of each coordinate an integrator step may take at `xy`: the
    /// family's natural length there (the mixture: a quarter of the smaller σ, 0.05 for π).
    fn coordinate_scales(&self, xy: [f64; 2]) -> [f64; 2];

    /// L and ∇L at `xy`, with the empirical Fisher's block when `with_empirical_fisher` and the
    /// family has one.
    fn target_terms(&self, xy: [f64; 2], with_empirical_fisher: bool) -> TargetTerms;

    /// Whether F grows without bound toward the model's open edges (the policy plane's Σ_K/σ²
    /// as ρ(A_K) → 1), so that a geodesic meeting an ill-conditioned F has reached an edge
    /// rather than a singular set where F degenerates (the mixture's). Default: no.
    fn edges_blow_up(&self) -> bool {
        false
    }

    /// A sample-based estimate of (∇L, F) at `xy` from `samples` seeded draws (rollouts of
    /// `horizon` steps on the policy plane), the `step`-th of an optimizer's run; None where
    /// the family has none ([`Plane::samples_rollouts`]).
    fn sampled(
        &self,
        _xy: [f64; 2],
        _samples: u32,
        _horizon: u32,
        _seed: u32,
        _step: u32,
    ) -> Option<([f64; 2], Sym2<f64>)> {
        None
    }

    /// Whether [`Plane::sampled`] has estimates (the sample-based optimizers run on it).
    fn samples_rollouts(&self) -> bool {
        false
    }

    /// Whether the family has the preconditioner `which` (its seed and sample count aside).
    fn offers(&self, which: Preconditioner) -> bool;

    /// The matrix `which` at `xy`, for a `which` the family [offers](Plane::offers); `terms`
    /// are the target terms there, which may already hold it.
    fn preconditioner(&self, which: Preconditioner, xy: [f64; 2], terms: &TargetTerms)
    -> Sym2<f64>;
}
