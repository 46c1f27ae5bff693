//! The two-component mixture itself: responsibilities, scores and log-density (f64).
//!
//! Responsibilities are never a ratio of densities (both underflow far from the means): with
//! y = x − m̄, m̄ = (μ1 + μ2)/2 and Δ = μ1 − μ2, the log-ratio is z = Δ·y/σ², r1 = logistic(z),
//! and the gap d = r1 − r2 = tanh(z/2). In the rotated basis u = (s1 + s2)/√2,
//! v = (s1 − s2)/√2 the scores become
//!
//!   σ²√2 · u = y − (Δ/2)·d,      σ²√2 · v = y·d − Δ/2,
//!
//! and v carries no cancellation near the diagonal (both terms are O(Δ) and d is computed as a
//! tanh, not as a difference of two numbers close to ½).

use std::f64::consts::{LN_2, SQRT_2};

/// One parameter point θ = (μ1, μ2) of the mixture with shared σ.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mixture {
    /// Mean of component 1.
    pub mu1: f64,
    /// Mean of component 2.
    pub mu2: f64,
    /// Shared standard deviation (> 0).
    pub sigma: f64,
}

/// ln √(2π).
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

impl Mixture {
    /// The mixture at θ = (mu1, mu2) with standard deviation sigma.
    pub fn new(mu1: f64, mu2: f64, sigma: f64) -> Self {
        Self { mu1, mu2, sigma }
    }

    /// Δ = μ1 − μ2.
    pub fn delta(&self) -> f64 {
        self.mu1 - self.mu2
    }

    /// m̄ = (μ1 + μ2)/2, where the responsibilities cross ½ (the quadrature's break point).
    pub fn midpoint(&self) -> f64 {
        0.5 * (self.mu1 + self.mu2)
    }

    /// z(x) = log N1(x) − log N2(x) = Δ·(x − m̄)/σ².
    pub fn log_ratio(&self, x: f64) -> f64 {
        self.delta() * (x - self.midpoint()) / (self.sigma * self.sigma)
    }

    /// (r1, r2) as stable logistics of z.
    pub fn responsibilities(&self, x: f64) -> (f64, f64) {
        let z = self.log_ratio(x);
        (logistic(z), logistic(-z))
    }

    /// d = r1 − r2 = tanh(z/2), accurate also when it is tiny.
    pub fn responsibility_gap(&self, x: f64) -> f64 {
        (0.5 * self.log_ratio(x)).tanh()
    }

    /// Scores s_i = ∂ log p/∂μ_i = r_i (x − μ_i)/σ² in the standard basis.
    pub fn scores(&self, x: f64) -> [f64; 2] {
        let (r1, r2) = self.responsibilities(x);
        let s2 = self.sigma * self.sigma;
        [r1 * (x - self.mu1) / s2, r2 * (x - self.mu2) / s2]
    }

    /// Scores in the orthonormal rotated basis: u = (s1 + s2)/√2, v = (s1 − s2)/√2.
    pub fn rotated_scores(&self, x: f64) -> [f64; 2] {
        let y = x - self.midpoint();
        let half_delta = 0.5 * self.delta();
        let d = self.responsibility_gap(x);
        let scale = 1.0 / (self.sigma * self.sigma * SQRT_2);
        [(y - half_delta * d) * scale, (y * d - half_delta) * scale]
    }

    /// The Hessian of log p in μ, [H11, H12, H22], used by the negative-Hessian form of F.
    pub fn log_density_hessian(&self, x: f64) -> [f64; 3] {
        let (r1, r2) = self.responsibilities(x);
        let s2 = self.sigma * self.sigma;
        let s4 = s2 * s2;
        let (e1, e2) = (x - self.mu1, x - self.mu2);
        let r12 = r1 * r2;
        [
            r12 * e1 * e1 / s4 - r1 / s2,
            -r12 * e1 * e2 / s4,
            r12 * e2 * e2 / s4 - r2 / s2,
        ]
    }

    /// log p(x|θ), by log-sum-exp.
    pub fn log_density(&self, x: f64) -> f64 {
        let t1 = (x - self.mu1) / self.sigma;
        let t2 = (x - self.mu2) / self.sigma;
        let (a, b) = (-0.5 * t1 * t1, -0.5 * t2 * t2);
        let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
        hi + (lo - hi).exp().ln_1p() - LN_2 - LN_SQRT_2PI - self.sigma.ln()
    }

    /// p(x|θ).
    pub fn density(&self, x: f64) -> f64 {
        self.log_density(x).exp()
    }

    /// The label-swapped twin (μ2, μ1): the same distribution.
    pub fn swapped(&self) -> Self {
        Self::new(self.mu2, self.mu1, self.sigma)
    }
}

/// 1/(1 + e^(−z)) without overflow for either sign of z.
pub fn logistic(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_scores_match_standard_scores() {
        let m = Mixture::new(0.7, -1.1, 0.8);
        for &x in &[-3.0, -1.1, 0.0, 0.4, 2.5] {
            let [s1, s2] = m.scores(x);
            let [u, v] = m.rotated_scores(x);
            assert!((u - (s1 + s2) / SQRT_2).abs() < 1e-14);
            assert!((v - (s1 - s2) / SQRT_2).abs() < 1e-14);
        }
    }

    #[test]
    fn responsibilities_stay_finite_far_out() {
        let m = Mixture::new(-30.0, 30.0, 0.5);
        let (r1, r2) = m.responsibilities(400.0);
        assert!(r1.is_finite() && r2.is_finite());
        assert!((r1 + r2 - 1.0).abs() < 1e-15);
        assert_eq!(r2, 1.0);
        assert!(m.log_density(400.0).is_finite());
    }

    #[test]
    fn log_density_integrates_to_one() {
        let m = Mixture::new(-1.0, 2.0, 0.7);
        let h = 1e-3;
        let total: f64 = (0..20_000)
            .map(|i| m.density(-9.0 + h * i as f64) * h)
            .sum();
        assert!((total - 1.0).abs() < 1e-9, "∫p = {total}");
    }
}
