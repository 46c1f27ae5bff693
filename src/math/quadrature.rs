//! Quadrature for expectations under a Gaussian component: split Gauss–Legendre panels.
//!
//! Every expectation fisherflow needs has the form E_{x∼N(c, σ²)}[f(x)] where f is built from
//! the responsibilities r_i(x) = logistic(z(x)). When |μ1 − μ2| ≫ σ the logistic turns into a
//! near-step of width σ²/|Δ| at the midpoint m̄ = (μ1 + μ2)/2, and any rule that is blind to that
//! point converges slowly (a uniform trapezoid reaches only 1e-2..1e-4 on ∇L when the target
//! sits on θ's midpoint with Δ = 20σ). So the rule is:
//!
//! * truncate to [c − Tσ, c + Tσ] with T = 8 (the Gaussian mass beyond is 1.2e-15);
//! * split that interval at the *break point* (the logistic's centre) when it lies inside,
//!   otherwise at c, so there are always exactly two panels;
//! * apply an n-point Gauss–Legendre rule on each panel, weight w = (panel half-length) · ω ·
//!   φ((x − c)/σ)/σ.
//!
//! A "node count" Q always means nodes per Gaussian component, Q = 2n. Gauss–Legendre clusters
//! nodes at the panel ends, exactly where the logistic is sharp. Measured against 30-digit
//! mpmath references (see README): Q = 64 gives ≤ 2e-9 relative on F and ∇L for |Δ| ≤ 10σ and
//! ≤ 3e-6 at |Δ| = 40σ; Q = 128 gives ≤ 2e-11 everywhere we probed. The f64 reference defaults to
//! 128 nodes, the f32 paths (GPU and its CPU mirror) to 64, where quadrature error sits far below
//! f32 rounding's effect on the outputs.
//!
//! The WGSL kernels use the same construction (`shaders/common/quadrature.wgsl`), fed with the
//! node table from [`GaussLegendre::table_f32`].

use crate::math::InputError;

/// Half-width of the truncated integration interval, in units of σ.
pub const TRUNCATION_SIGMAS: f64 = 8.0;
/// Default nodes per component for the f64 reference.
pub const DEFAULT_NODES_F64: u32 = 128;
/// Default nodes per component for the f32 paths (GPU kernel and its CPU mirror).
pub const DEFAULT_NODES_F32: u32 = 64;
/// Smallest accepted node count per component.
pub const MIN_NODES: u32 = 4;
/// Largest accepted node count per component (the GPU node table is sized by this).
pub const MAX_NODES: u32 = 512;

/// An n-point Gauss–Legendre rule on [−1, 1].
#[derive(Clone, Debug, PartialEq)]
pub struct GaussLegendre {
    /// Nodes ξ_j in ascending order.
    pub nodes: Vec<f64>,
    /// Weights ω_j (they sum to 2).
    pub weights: Vec<f64>,
}

impl GaussLegendre {
    /// Computes the rule by Newton iteration on the Legendre polynomial P_n (f64 accurate).
    pub fn new(n: usize) -> Self {
        assert!(n >= 1, "Gauss–Legendre needs at least one node");
        let mut nodes = vec![0.0; n];
        let mut weights = vec![0.0; n];
        let nf = n as f64;
        for i in 0..n.div_ceil(2) {
            // Tricomi's initial guess for the i-th largest root, then Newton.
            let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (nf + 0.5)).cos();
            let mut derivative = 1.0;
            for _ in 0..100 {
                let (p, dp) = legendre_with_derivative(n, x);
                derivative = dp;
                let step = p / dp;
                x -= step;
                if step.abs() <= 1e-16 * x.abs().max(1e-300) {
                    let (_, dp) = legendre_with_derivative(n, x);
                    derivative = dp;
                    break;
                }
            }
            let w = 2.0 / ((1.0 - x * x) * derivative * derivative);
            nodes[n - 1 - i] = x;
            weights[n - 1 - i] = w;
            nodes[i] = -x;
            weights[i] = w;
        }
        if n % 2 == 1 {
            nodes[n / 2] = 0.0;
        }
        Self { nodes, weights }
    }

    /// The rule as (ξ, ω) pairs in f32, the layout of the WGSL node table.
    pub fn table_f32(&self) -> Vec<[f32; 2]> {
        self.nodes
            .iter()
            .zip(&self.weights)
            .map(|(&x, &w)| [x as f32, w as f32])
            .collect()
    }
}

/// P_n(x) and P_n'(x) by the three-term recurrence.
fn legendre_with_derivative(n: usize, x: f64) -> (f64, f64) {
    let (mut p0, mut p1) = (1.0, x);
    for k in 2..=n {
        let kf = k as f64;
        let p2 = ((2.0 * kf - 1.0) * x * p1 - (kf - 1.0) * p0) / kf;
        p0 = p1;
        p1 = p2;
    }
    let p = if n == 0 { 1.0 } else { p1 };
    let dp = n as f64 * (x * p - p0) / (x * x - 1.0);
    (p, dp)
}

/// The split Gauss–Legendre rule with Q nodes per Gaussian component.
#[derive(Clone, Debug, PartialEq)]
pub struct QuadratureRule {
    nodes_per_component: u32,
    panel: GaussLegendre,
}

impl QuadratureRule {
    /// A rule with `nodes_per_component` = Q nodes (even, MIN_NODES..=MAX_NODES).
    pub fn new(nodes_per_component: u32) -> Result<Self, InputError> {
        validate_nodes(nodes_per_component)?;
        Ok(Self {
            nodes_per_component,
            panel: GaussLegendre::new(nodes_per_component as usize / 2),
        })
    }

    /// Q, the number of integrand evaluations per Gaussian component.
    pub fn nodes_per_component(&self) -> u32 {
        self.nodes_per_component
    }

    /// The per-panel Gauss–Legendre rule (Q/2 nodes).
    pub fn panel_rule(&self) -> &GaussLegendre {
        &self.panel
    }

    /// The panels [a, b] covering [c − Tσ, c + Tσ], split at every break point strictly
    /// inside (sorted), or at the centre when none is inside.
    pub fn panels(center: f64, sigma: f64, breaks: &[f64]) -> Vec<(f64, f64)> {
        let lo = center - TRUNCATION_SIGMAS * sigma;
        let hi = center + TRUNCATION_SIGMAS * sigma;
        let mut cuts: Vec<f64> = breaks
            .iter()
            .copied()
            .filter(|&b| b > lo && b < hi)
            .collect();
        cuts.sort_by(f64::total_cmp);
        cuts.dedup();
        if cuts.is_empty() {
            cuts.push(center);
        }
        let mut edges = Vec::with_capacity(cuts.len() + 2);
        edges.push(lo);
        edges.extend(cuts);
        edges.push(hi);
        edges.windows(2).map(|w| (w[0], w[1])).collect()
    }

    /// E_{x∼N(center, σ²)}[f(x)] for K quantities at once, panels split at `breaks`.
    pub fn gaussian_expectation<const K: usize>(
        &self,
        center: f64,
        sigma: f64,
        breaks: &[f64],
        mut f: impl FnMut(f64) -> [f64; K],
    ) -> [f64; K] {
        let mut acc = [0.0; K];
        let norm = 1.0 / (sigma * (2.0 * std::f64::consts::PI).sqrt());
        for (a, b) in Self::panels(center, sigma, breaks) {
            let half = 0.5 * (b - a);
            let mid = 0.5 * (a + b);
            for (&xi, &omega) in self.panel.nodes.iter().zip(&self.panel.weights) {
                let x = mid + half * xi;
                let t = (x - center) / sigma;
                let w = half * omega * norm * (-0.5 * t * t).exp();
                let values = f(x);
                for (sum, v) in acc.iter_mut().zip(values) {
                    *sum += w * v;
                }
            }
        }
        acc
    }

    /// E_{x∼N(center, σ²)}[f(x)] restricted to \[edges\[0\], edges\[last\]\], for K quantities at
    /// once: one Gauss–Legendre panel (Q/2 nodes, [`Self::panel_rule`]) between each pair of
    /// consecutive edges. The caller chooses truncation and splits (the general model's rule,
    /// `math::general`); edges must be ascending.
    pub fn panel_expectation<const K: usize>(
        &self,
        center: f64,
        sigma: f64,
        edges: &[f64],
        mut f: impl FnMut(f64) -> [f64; K],
    ) -> [f64; K] {
        let mut acc = [0.0; K];
        let norm = 1.0 / (sigma * (2.0 * std::f64::consts::PI).sqrt());
        for w in edges.windows(2) {
            let (a, b) = (w[0], w[1]);
            let half = 0.5 * (b - a);
            let mid = 0.5 * (a + b);
            for (&xi, &omega) in self.panel.nodes.iter().zip(&self.panel.weights) {
                let x = mid + half * xi;
                let t = (x - center) / sigma;
                let weight = half * omega * norm * (-0.5 * t * t).exp();
                let values = f(x);
                for (sum, v) in acc.iter_mut().zip(values) {
                    *sum += weight * v;
                }
            }
        }
        acc
    }

    /// E under the equal-weight mixture ½N(c1, σ²) + ½N(c2, σ²).
    pub fn mixture_expectation<const K: usize>(
        &self,
        centers: [f64; 2],
        sigma: f64,
        breaks: &[f64],
        mut f: impl FnMut(f64) -> [f64; K],
    ) -> [f64; K] {
        let first = self.gaussian_expectation(centers[0], sigma, breaks, &mut f);
        let second = self.gaussian_expectation(centers[1], sigma, breaks, &mut f);
        std::array::from_fn(|k| 0.5 * (first[k] + second[k]))
    }
}

/// Checks a node count: even and within MIN_NODES..=MAX_NODES.
pub fn validate_nodes(nodes: u32) -> Result<(), InputError> {
    if !(MIN_NODES..=MAX_NODES).contains(&nodes) || !nodes.is_multiple_of(2) {
        return Err(InputError::Nodes { nodes });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_legendre_integrates_polynomials_exactly() {
        let rule = GaussLegendre::new(7);
        // Exact up to degree 13: ∫_{-1}^{1} x^12 dx = 2/13.
        let sum: f64 = rule
            .nodes
            .iter()
            .zip(&rule.weights)
            .map(|(x, w)| w * x.powi(12))
            .sum();
        assert!((sum - 2.0 / 13.0).abs() < 1e-14, "got {sum}");
        let total: f64 = rule.weights.iter().sum();
        assert!((total - 2.0).abs() < 1e-14);
    }

    #[test]
    fn gaussian_moments_are_exact() {
        let rule = QuadratureRule::new(64).unwrap();
        let [m0, m1, m2, m4] = rule.gaussian_expectation(0.3, 1.7, &[1.0], |x| {
            let y = x - 0.3;
            [1.0, y, y * y, y.powi(4)]
        });
        assert!((m0 - 1.0).abs() < 1e-13, "mass {m0}");
        assert!(m1.abs() < 1e-13, "mean {m1}");
        assert!((m2 - 1.7f64.powi(2)).abs() < 1e-12, "variance {m2}");
        assert!(
            (m4 / (3.0 * 1.7f64.powi(4)) - 1.0).abs() < 1e-11,
            "fourth moment {m4}"
        );
    }

    #[test]
    fn panels_split_at_inside_breaks_only() {
        assert_eq!(
            QuadratureRule::panels(0.0, 1.0, &[100.0]),
            vec![(-8.0, 0.0), (0.0, 8.0)]
        );
        assert_eq!(
            QuadratureRule::panels(0.0, 1.0, &[2.0]),
            vec![(-8.0, 2.0), (2.0, 8.0)]
        );
        assert_eq!(QuadratureRule::panels(0.0, 1.0, &[2.0, -1.0]).len(), 3);
    }

    #[test]
    fn odd_or_out_of_range_node_counts_are_refused() {
        assert!(QuadratureRule::new(63).is_err());
        assert!(QuadratureRule::new(2).is_err());
        assert!(QuadratureRule::new(MAX_NODES + 2).is_err());
        assert!(QuadratureRule::new(64).is_ok());
    }
}
