//! The general two-component mixture p = π N(μ1, σ1²) + (1 − π) N(μ2, σ2²) in f64: scores, the
//! full 5×5 Fisher matrix (score-square and negative-Hessian forms), its 2×2 block on a slice,
//! L = KL(p_ψ* ‖ p_ψ), ∇L, the natural gradient and the population empirical Fisher
//! (MATH.md, "The general two-component mixture and its slices"). The seed's rotated-basis path
//! (`math::fisher`, `math::point`) stays the accuracy-critical path for the seed's slice; this
//! one agrees with it there to ~1e-13 in the entries, but near the seed's diagonal it
//! computes λ_min as det/λ_max from standard-basis entries, which loses about κ·ε: against the
//! rotated path λ_min is off by 1e-11 at Δ = 0.001σ (κ = 2e6), 1e-8 at 1e-4σ, 3e-6 at 1e-5σ,
//! 4e-4 at 1e-6σ (where ñ is undefined in both, κ > 1e12), and it reads 0 (κ = ∞) at 1e-8σ.
//!
//! # Responsibilities
//! r1 = logistic(ℓ), r2 = logistic(−ℓ) with the log-ratio
//! ℓ(x) = log(π φ1(x)) − log((1 − π) φ2(x)), computed from log-densities (never a ratio of
//! two densities that may both underflow). In y = x − μ1, d = μ1 − μ2,
//!
//!   ℓ = a y² + b y + c,  a = (1/σ2² − 1/σ1²)/2,  b = d/σ2²,  c = ln(π σ2/((1 − π) σ1)) + d²/(2σ2²),
//!
//! a quadratic with up to two real roots when σ1 ≠ σ2 and a line (one root, none when μ1 = μ2)
//! when σ1 = σ2. The π score is taken as r1/π − r2/(1 − π). At π = 0 or 1 (allowed only while π is
//! held) the π score, and so the π row and column of F, are NaN: undefined, never used.
//!
//! # Quadrature rule
//! Every expectation is E_p\[f\] = π E_{N1}\[f\] + (1 − π) E_{N2}\[f\] (a component of weight 0 is
//! skipped), each E_{Nc} a Gauss–Legendre sum on panels over [μc − Tσc, μc + Tσc]:
//!
//! * **splits** at the component centre μc and at every *switch point* of each mixture whose
//!   responsibilities enter the integrand (the model's; for expectations under the target also
//!   the target's, since log p* switches there too): the real roots r of ℓ with *graded* splits
//!   at r ± 3w and r ± 12w, w = 1/|ℓ'(r)| the logistic's width; and, when σ1 ≠ σ2, the vertex
//!   v = −b/(2a) of ℓ with graded splits at v ± 3s and v ± 12s, s = 1/√(2|a|) (where the narrower
//!   component's responsibility peaks, a bump of width ≈ σ_narrow even when it never reaches ½,
//!   e.g. π = 1e-3, σ1 = 0.1σ2). The logistic's poles lie π·w off the real axis beside each root;
//!   the graded splits keep every panel short against its distance to the nearest pole or bump,
//!   which is what Gauss–Legendre convergence depends on. Splits outside the window are dropped.
//!   Without the grading (roots and vertex only) Q = 128 still leaves 1e-6 (a σ2 = 0.1σ1 point);
//!   with a single ±6w level, Q = 96 is needed for 1e-10.
//! * **truncation** T is derived from the integrand. Every integrand here is φc times a function
//!   g bounded by a quartic in z = (x − μc)/σc times max(1/π, 1/(1 − π))² (the π score is bounded
//!   by 1/min(π, 1 − π), the σ scores by (z² + 1)/σ; F_ππ's integrand (1 − π)φ2·s_π² is the one
//!   that reaches that bound, since where component 1 takes over s_π ≈ 1/π: this is how
//!   ∫φ1²/φ2 diverges as π → 0 when σ1 ≥ √2σ2, its mass moving out to where πφ1 and (1 − π)φ2
//!   cross). So T is the smallest value with Q(T)·(1 + T²)² ≤ 1e-18·m², Q the standard normal
//!   tail and m the smallest positive weight of the mixtures involved: T ≈ 9.7 at m = 1 (one
//!   Gaussian), 9.9 at m = ½, 11.1 at m = 1e-3 (the seed's rule uses 8). Measured: with T fixed
//!   at 8 the (pi, mu1) point at π = 1e-3, σ1 = 2σ2 (and its mirror on (pi, mu2)) stalls at
//!   4e-11 on F_ππ (λ_min 2e-10) for every node count; with the derived T it reaches 5e-13.
//! * **nodes**: each panel gets the Q/2-point Gauss–Legendre rule of the `QuadratureRule` passed
//!   in (Q as in the seed's rule, which always has exactly two panels). A window here has 2 to 17
//!   panels under the model (F), up to 32 under the target (model and target splits together), so
//!   the evaluations per component are (panels)·Q/2.
//!
//! Measured worst error against the 30-digit references (the 35 points of
//! tests/data/general_points.json and the 5 public ones; every F entry relative to λ_max, every
//! EF entry to EF's largest, ∇L and ñ components to the vector's norm, λ's and L to themselves;
//! `cargo test --release --test math -- --ignored --nocapture error_table` prints it):
//!
//! | Q | nodes/panel | evaluations/component, F (max panels) | under p* (max panels) | worst F, λ_max, L, ∇L, EF | worst λ_min, ñ (κ ≤ 1e4) | worst λ_min, ñ (κ > 1e4) |
//! |---|---|---|---|---|---|---|
//! | 16 | 8 | 136 (17) | 256 (32) | 1.6e-1 | 3.5e-2 | 3.0e-2 |
//! | 24 | 12 | 204 (17) | 384 (32) | 1.6e-4 | 1.6e-4 | 2.0e-4 |
//! | 32 | 16 | 272 (17) | 512 (32) | 6.8e-7 | 6.8e-7 | 7.7e-7 |
//! | 48 | 24 | 408 (17) | 768 (32) | 2.5e-13 | 2.4e-13 | 3.6e-10 |
//! | **64** | 32 | 544 (17) | 1024 (32) | 4.9e-13 | 3.5e-15 | 9.5e-11 |
//! | 96 | 48 | 816 (17) | 1536 (32) | 2.2e-13 | 2.3e-15 | 1.0e-10 |
//! | 128 | 64 | 1088 (17) | 2048 (32) | 2.4e-13 | 4.0e-15 | 3.4e-10 |
//! | 256 | 128 | 2176 (17) | 4096 (32) | 1.3e-12 | 5.5e-15 | 1.6e-11 |
//!
//! From Q = 48 on the errors are rounding, not quadrature: the 2e-13 floor is ∇L at the
//! (mu1, mu2) point with Δ = 0.001σ and π = 0.3 (a small difference of O(1) terms), and the last
//! column (the eight points with κ from 1e4 to 4e6: the diagonal at Δ = 0.001σ, π = 1e-3 on a
//! slice with π) is λ_min = det/λ_max losing κ·ε in the determinant. Q = 32 is the cliff (the
//! worst case there is F at means 40 apart with σ1 ≠ σ2); Q = 64 is the default for margin.
//! The default is [`DEFAULT_NODES_GENERAL`].

mod expectation;
mod fisher;
mod jet;
mod mixture;
mod point;

pub use expectation::{expectation, panel_edges, truncation_sigmas};
pub use fisher::{
    Metric, PROFILE_MIN_PIVOT, ProfiledError, fisher_full, fisher_full_hessian, fisher_metric,
    fisher_profiled, fisher_slice, held_params, schur_complement, slice_block, slice_vector,
};
pub use jet::metric_jet;
pub use mixture::{GeneralMixture, Mat5, SwitchPoint};
pub use point::{
    GeneralInput, GeneralReport, GeneralTargetReport, empirical_fisher_full, evaluate_general,
    evaluate_general_metric, gradient, kl_divergence, score_mean,
};

/// Default Q (per `QuadratureRule`, i.e. Q/2 nodes per panel) for the general f64 path.
pub const DEFAULT_NODES_GENERAL: u32 = 64;
