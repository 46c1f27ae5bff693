//! The policy plane, fisherflow's second family (MATH.md, "The policy plane"): a linear plant
//! (a cart, or an inverted pendulum linearized upright) driven by the Gaussian policy
//! u = −Kx + σε, on the plane of its two feedback gains K = (k1, k2). The model is the open
//! stability triangle, the metric F(K) = Σ_K/σ², the loss the LQR cost C(K), and the target
//! the DARE optimum K* (computed, no twin).
//!
//! * [`system`]: the plant, its weights and exploration, their defaults and range checks;
//! * [`lqr`]: the closed loop in f64 — Stein solves, C, ∇C, F and its derivatives, the natural
//!   and Gauss–Newton directions, the finite-horizon noisy cost, K* by policy iteration;
//! * [`sampling`]: REINFORCE's gradient and the Fisher estimate from seeded rollouts;
//! * [`plane`]: the family's [`crate::math::family::Plane`], so the geodesic solvers and the
//!   optimizers run on it unchanged.

pub mod lqr;
pub mod plane;
pub mod sampling;
pub mod system;

pub use lqr::{Closed, FiniteHorizon, Lqr, PolicyPoint, RolloutStep};
pub use plane::PolicyPlane;
pub use system::{Plant, System, SystemError};
