//! Fisher–Rao geodesics on any [`Plane`] (a family on its canvas), in f64 (MATH.md,
//! "Geodesics"): the Christoffel symbols from the plane's metric jet, the geodesic equation,
//! the exponential map and shortest paths. Every geodesic path in fisherflow (the CLI's
//! exponential map and shortest path, the viewer's paths, the WGSL ball kernel's f64 mirror)
//! is built on a [`MetricJet`]; the solvers see the family only through [`Plane`].
//!
//! # The jet (the mixture's)
//! On a slice (a, b) of the mixture the metric is the induced block F_ij, i, j ∈ {a, b}, of the
//! full Fisher matrix. Its derivatives are exact expectations (∂ₖp = p sₖ,
//! [`crate::math::general::metric_jet`]):
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
//! and the plane's coordinate scales (the mixture: σ/4, π: 0.05). A step whose stages leave the model or meet an F that
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
//!
//! [`GeneralMixture::log_density_hessian`]: super::general::GeneralMixture::log_density_hessian
//! [`Plane`]: super::family::Plane

mod exponential;
mod flow;
mod jet;
mod mat2;
mod relax;
mod shooting;
mod shortest;

pub use exponential::{Geodesic, StopReason, exp_map};
pub use flow::{SINGULAR_CONDITION_GEODESIC, Stop};
pub use jet::{Christoffel, MetricJet, acceleration, christoffel, speed_squared};
pub use relax::polyline_length;
pub use shortest::{PathMethod, ShortestPath, shortest_path, shortest_path_until};

use super::family::Plane;

/// Bad input to the geodesic solvers, or no path found.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeodesicError {
    /// A point outside the model.
    #[error("the {which} point ({}, {}) is outside the model: {error}", point[0], point[1])]
    OutsideModel {
        /// Which point ("start", "end").
        which: &'static str,
        /// Its canvas coordinates.
        point: [f64; 2],
        /// What is wrong there ([`Plane::check`]).
        error: String,
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
    /// The caller asked the solve to stop ([`shortest_path_until`]).
    #[error("the solve was stopped before it finished")]
    Stopped,
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

fn check_point(
    plane: &dyn Plane,
    which: &'static str,
    point: [f64; 2],
) -> Result<(), GeodesicError> {
    plane
        .check(point)
        .map_err(|error| GeodesicError::OutsideModel {
            which,
            point,
            error,
        })
}
