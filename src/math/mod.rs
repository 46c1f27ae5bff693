//! The Fisher geometry of p(x|θ) = ½N(μ1, σ²) + ½N(μ2, σ²), in f64: the reference every other
//! path (the WGSL kernels, the f32 CPU mirror) is tested against. Definitions: `MATH.md`.
//!
//! * [`mixture`]: responsibilities, scores (standard and rotated basis), log-density;
//! * [`quadrature`]: the split Gauss–Legendre rule and why it was chosen;
//! * [`fisher`]: F in the score-square form (rotated and standard basis) and the
//!   negative-Hessian form;
//! * [`sym2`]: 2×2 symmetric algebra shared by f64 and f32 code (eigen-decomposition, solve,
//!   natural gradient, angle), written to stay accurate for near-zero and near-equal eigenvalues;
//! * [`loss`]: L = KL(p_θ* ‖ p_θ) and ∇L;
//! * [`point`]: everything above at one point, the record `fisherflow fim` prints.
//!
//! The general model π N(μ1, σ1²) + (1 − π) N(μ2, σ2²) on any 2-parameter slice:
//!
//! * [`model`]: the [`Model`], [`Param`] and [`Slice`] types (validation, label swap, twin);
//! * [`general`]: its scores, full 5×5 Fisher matrix, slice block, L, ∇L, ñ and empirical
//!   Fisher, with the quadrature rule that splits where the responsibilities switch;
//! * [`estimates`]: the seeded sampler and finite-sample Fisher estimates (empirical Fisher from
//!   data, Monte-Carlo Fisher from the model);
//! * [`family`]: the [`family::Plane`] trait, a family on its canvas as the geodesics and the
//!   optimizers see it, and the mixture's slice as one ([`family::MixturePlane`]);
//! * [`geodesic`]: Christoffel symbols, the geodesic equation, the exponential map and shortest
//!   paths on any plane (MATH.md, "Geodesics");
//! * [`optimize`]: the optimizers and their race on any plane.
//!
//! The second family, the policy plane of a learned controller ([`policy`]).

pub mod estimates;
pub mod family;
pub mod fisher;
pub mod general;
pub mod geodesic;
pub mod loss;
pub mod mixture;
pub mod model;
pub mod optimize;
pub mod point;
pub mod policy;
pub mod quadrature;
pub mod sym2;

pub use general::{GeneralInput, GeneralReport, Metric, ProfiledError, evaluate_general};
pub use mixture::Mixture;
pub use model::{Model, ModelError, Param, Slice};
pub use point::{PointInput, PointReport, evaluate_point};
pub use quadrature::QuadratureRule;
pub use sym2::{Eigen, Sym2};

use quadrature::{MAX_NODES, MIN_NODES};

/// Bad numeric input to the math: what is wrong, in words a user can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InputError {
    /// σ was zero, negative, NaN or infinite.
    #[error("sigma must be a positive finite number, got {value}")]
    Sigma {
        /// The rejected value.
        value: f64,
    },
    /// A coordinate was NaN or infinite.
    #[error("{field} must be a finite number, got {value}")]
    NonFinite {
        /// Which input field.
        field: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// The damping λ was negative, NaN or infinite.
    #[error("damping must be a finite number >= 0, got {value}")]
    Damping {
        /// The rejected value.
        value: f64,
    },
    /// The node count was odd or out of range.
    #[error("nodes must be an even number from {MIN_NODES} to {MAX_NODES}, got {nodes}")]
    Nodes {
        /// The rejected value.
        nodes: u32,
    },
}

/// Checks σ > 0 and finite.
pub fn validate_sigma(sigma: f64) -> Result<(), InputError> {
    if sigma.is_finite() && sigma > 0.0 {
        Ok(())
    } else {
        Err(InputError::Sigma { value: sigma })
    }
}

/// Checks that a named coordinate is finite.
pub fn validate_finite(field: &'static str, value: f64) -> Result<(), InputError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(InputError::NonFinite { field, value })
    }
}

/// Checks λ ≥ 0 and finite.
pub fn validate_damping(damping: f64) -> Result<(), InputError> {
    if damping.is_finite() && damping >= 0.0 {
        Ok(())
    } else {
        Err(InputError::Damping { value: damping })
    }
}
