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

use serde::{Deserialize, Serialize};

use super::model::{Model, ModelError, Slice};
use super::quadrature::QuadratureRule;
use super::sym2::{Sym2, angle_deg, natural_gradient};

/// Default Q (per `QuadratureRule`, i.e. Q/2 nodes per panel) for the general f64 path.
pub const DEFAULT_NODES_GENERAL: u32 = 64;

/// The tail bound of the truncation rule: Q(T)·(1 + T²)² ≤ TAIL·m² (module docs).
const TAIL: f64 = 1e-18;
/// Graded splits at r ± k·w around each switch point r (module docs).
const GRADES: [f64; 2] = [3.0, 12.0];

/// ln √(2π).
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// A 5×5 matrix indexed by [`Param::index`](super::model::Param::index) (ψ = (π, μ1, μ2, σ1, σ2)).
pub type Mat5 = [[f64; 5]; 5];

/// One point of the general mixture, with the logarithms the evaluation needs precomputed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GeneralMixture {
    model: Model,
    /// ln π, ln(1 − π) (−∞ for a zero weight).
    ln_w: [f64; 2],
    /// ln σ1, ln σ2.
    ln_s: [f64; 2],
}

/// A root of the log-ratio ℓ: where the responsibilities cross ½.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SwitchPoint {
    /// Position x.
    pub x: f64,
    /// |ℓ'(x)|: the logistic's width there is 1/slope.
    pub slope: f64,
}

impl GeneralMixture {
    /// The mixture at a (validated) model.
    pub fn new(model: &Model) -> Self {
        Self {
            model: *model,
            ln_w: [model.pi.ln(), (-model.pi).ln_1p()],
            ln_s: [model.sigma1.ln(), model.sigma2.ln()],
        }
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The component weights [π, 1 − π].
    pub fn weights(&self) -> [f64; 2] {
        [self.model.pi, 1.0 - self.model.pi]
    }

    /// The components' (mean, standard deviation).
    pub fn components(&self) -> [(f64, f64); 2] {
        [
            (self.model.mu1, self.model.sigma1),
            (self.model.mu2, self.model.sigma2),
        ]
    }

    /// Whether π is 0 or 1 (one component only; the π score is undefined).
    pub fn on_weight_boundary(&self) -> bool {
        self.model.pi == 0.0 || self.model.pi == 1.0
    }

    /// The two weighted log-densities ln(π φ1(x)), ln((1 − π) φ2(x)).
    fn weighted_log_densities(&self, x: f64) -> [f64; 2] {
        let m = &self.model;
        let z1 = (x - m.mu1) / m.sigma1;
        let z2 = (x - m.mu2) / m.sigma2;
        [
            self.ln_w[0] - self.ln_s[0] - LN_SQRT_2PI - 0.5 * z1 * z1,
            self.ln_w[1] - self.ln_s[1] - LN_SQRT_2PI - 0.5 * z2 * z2,
        ]
    }

    /// ℓ(x) = ln(π φ1(x)) − ln((1 − π) φ2(x)); +∞ at π = 1, −∞ at π = 0.
    pub fn log_ratio(&self, x: f64) -> f64 {
        let m = &self.model;
        let z1 = (x - m.mu1) / m.sigma1;
        let z2 = (x - m.mu2) / m.sigma2;
        (self.ln_w[0] - self.ln_w[1]) + (self.ln_s[1] - self.ln_s[0]) - 0.5 * (z1 * z1 - z2 * z2)
    }

    /// (r1, r2) as stable logistics of ℓ.
    pub fn responsibilities(&self, x: f64) -> (f64, f64) {
        // logistic(ℓ) and logistic(−ℓ) from one exponential: e^{−|ℓ|} gives the smaller one
        // as e/(1 + e) and the larger as 1/(1 + e), each to full relative precision.
        let l = self.log_ratio(x);
        let e = (-l.abs()).exp();
        let (big, small) = (1.0 / (1.0 + e), e / (1.0 + e));
        if l >= 0.0 { (big, small) } else { (small, big) }
    }

    /// ln p(x), by log-sum-exp of the weighted component log-densities.
    pub fn log_density(&self, x: f64) -> f64 {
        let [a, b] = self.weighted_log_densities(x);
        let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
        if hi == f64::NEG_INFINITY {
            return hi;
        }
        hi + (lo - hi).exp().ln_1p()
    }

    /// p(x).
    pub fn density(&self, x: f64) -> f64 {
        self.log_density(x).exp()
    }

    /// The coefficients (a, b, c) of ℓ = a y² + b y + c in y = x − μ1, or None on the weight
    /// boundary (ℓ = ±∞ there, nothing switches).
    pub fn log_ratio_quadratic(&self) -> Option<[f64; 3]> {
        if self.on_weight_boundary() {
            return None;
        }
        let m = &self.model;
        let d = m.mu1 - m.mu2;
        let v2 = m.sigma2 * m.sigma2;
        let a = 0.5 * (1.0 / v2 - 1.0 / (m.sigma1 * m.sigma1));
        let b = d / v2;
        let c = (self.ln_w[0] - self.ln_w[1]) + (self.ln_s[1] - self.ln_s[0]) + 0.5 * d * d / v2;
        Some([a, b, c])
    }

    /// The real roots of ℓ (0, 1 or 2), with |ℓ'| there. Stable: the root of larger magnitude
    /// from q = −(b + sign(b)√disc)/2 as q/a, the other as c/q.
    pub fn switch_points(&self) -> Vec<SwitchPoint> {
        let Some([a, b, c]) = self.log_ratio_quadratic() else {
            return Vec::new();
        };
        let mut ys = Vec::with_capacity(2);
        if a == 0.0 {
            if b != 0.0 {
                ys.push(-c / b);
            }
        } else {
            let disc = b * b - 4.0 * a * c;
            if disc >= 0.0 {
                let q = -0.5 * (b + disc.sqrt().copysign(if b == 0.0 { 1.0 } else { b }));
                if q == 0.0 {
                    ys.push(0.0);
                } else {
                    ys.push(q / a);
                    ys.push(c / q);
                }
            }
        }
        ys.into_iter()
            .filter(|y| y.is_finite())
            .map(|y| SwitchPoint {
                x: self.model.mu1 + y,
                slope: (2.0 * a * y + b).abs(),
            })
            .collect()
    }

    /// The vertex of ℓ when σ1 ≠ σ2 (where the narrower component's responsibility peaks).
    pub fn log_ratio_vertex(&self) -> Option<f64> {
        let [a, b, _] = self.log_ratio_quadratic()?;
        (a != 0.0).then(|| self.model.mu1 - b / (2.0 * a))
    }

    /// The quadrature splits this mixture's responsibilities call for: switch points, graded
    /// splits around them, and the vertex (module docs).
    pub fn quadrature_splits(&self) -> Vec<f64> {
        let mut out = Vec::new();
        for sp in self.switch_points() {
            out.push(sp.x);
            if sp.slope > 0.0 {
                let w = 1.0 / sp.slope;
                for k in GRADES {
                    out.push(sp.x - k * w);
                    out.push(sp.x + k * w);
                }
            }
        }
        if let (Some(v), Some([a, _, _])) = (self.log_ratio_vertex(), self.log_ratio_quadratic()) {
            // ℓ's own length scale about its vertex: ℓ − ℓ(v) = a (x − v)².
            let s = 1.0 / (2.0 * a.abs()).sqrt();
            out.push(v);
            for k in GRADES {
                out.push(v - k * s);
                out.push(v + k * s);
            }
        }
        out.retain(|x| x.is_finite());
        out
    }

    /// The score s = ∇_ψ log p(x) in the order of [`Param::ALL`](super::model::Param::ALL). The π entry is NaN on the
    /// weight boundary (π = 0 or 1), where it is undefined.
    pub fn scores(&self, x: f64) -> [f64; 5] {
        let (r1, r2) = self.responsibilities(x);
        self.scores_from(x, r1, r2)
    }

    /// The scores at x given its responsibilities (r1, r2).
    fn scores_from(&self, x: f64, r1: f64, r2: f64) -> [f64; 5] {
        let m = &self.model;
        let z1 = (x - m.mu1) / m.sigma1;
        let z2 = (x - m.mu2) / m.sigma2;
        let s_pi = if self.on_weight_boundary() {
            f64::NAN
        } else {
            r1 / m.pi - r2 / (1.0 - m.pi)
        };
        [
            s_pi,
            r1 * z1 / m.sigma1,
            r2 * z2 / m.sigma2,
            r1 * (z1 * z1 - 1.0) / m.sigma1,
            r2 * (z2 * z2 - 1.0) / m.sigma2,
        ]
    }

    /// The Hessian ∂ᵢ∂ⱼ log p(x) = (∂ᵢ∂ⱼ p)/p − sᵢsⱼ (MATH.md's second derivatives). The π row
    /// and column are NaN on the weight boundary.
    pub fn log_density_hessian(&self, x: f64) -> Mat5 {
        self.scores_and_hessian(x).1
    }

    /// [`GeneralMixture::scores`] and [`GeneralMixture::log_density_hessian`] together, the
    /// responsibilities computed once.
    pub fn scores_and_hessian(&self, x: f64) -> ([f64; 5], Mat5) {
        let (r1, r2) = self.responsibilities(x);
        let s = self.scores_from(x, r1, r2);
        let hessian = std::array::from_fn(|i| {
            std::array::from_fn(|j| self.density_hessian_ratio(x, r1, r2, i, j) - s[i] * s[j])
        });
        (s, hessian)
    }

    /// The scores (s_a, s_b) and the Hessian block ∂ᵢ∂ⱼ log p for i, j ∈ {a, b} (parameter
    /// indices) at x: what a metric jet on the slice (a, b) needs, without the rest of the 5×5
    /// (the geodesic code evaluates it at every node of every jet).
    pub fn slice_scores_and_hessian(
        &self,
        x: f64,
        a: usize,
        b: usize,
    ) -> ([f64; 2], [[f64; 2]; 2]) {
        let (r1, r2) = self.responsibilities(x);
        let s5 = self.scores_from(x, r1, r2);
        let s = [s5[a], s5[b]];
        let index = [a, b];
        let hessian = std::array::from_fn(|i| {
            std::array::from_fn(|j| {
                self.density_hessian_ratio(x, r1, r2, index[i], index[j]) - s[i] * s[j]
            })
        });
        (s, hessian)
    }

    /// (∂ᵢ∂ⱼ p)/p at x given its responsibilities (MATH.md's second derivatives): per
    /// component r_k times the component's ∂∂φ/φ in (μ, σ); ∂π∂(μk, σk) p/p = ±(r_k/w_k)·
    /// ∂φk/φk; ∂π²p = 0 and the cross-component entries are 0. NaN in the π row and column on
    /// the weight boundary.
    fn density_hessian_ratio(&self, x: f64, r1: f64, r2: f64, i: usize, j: usize) -> f64 {
        let m = &self.model;
        let (i, j) = (i.min(j), i.max(j));
        // Parameter order: π, μ1, μ2, σ1, σ2.
        let component = |k: usize| match k {
            1 | 3 => Some(0),
            2 | 4 => Some(1),
            _ => None,
        };
        // The component the pair belongs to (π pairs with either).
        let c = match (component(i), component(j)) {
            (Some(c), _) | (None, Some(c)) => c,
            (None, None) => return 0.0, // ∂π² p = 0
        };
        let (r, mu, sigma, weight_score) = if c == 0 {
            (r1, m.mu1, m.sigma1, r1 / m.pi)
        } else {
            (r2, m.mu2, m.sigma2, -r2 / (1.0 - m.pi))
        };
        let z = (x - mu) / sigma;
        let z2 = z * z;
        if i == 0 {
            let g = if self.on_weight_boundary() {
                f64::NAN
            } else {
                weight_score
            };
            return if j <= 2 {
                g * z / sigma
            } else {
                g * (z2 - 1.0) / sigma
            };
        }
        if component(i) != component(j) {
            return 0.0;
        }
        let v = sigma * sigma;
        match (i <= 2, j <= 2) {
            (true, true) => r * (z2 - 1.0) / v,
            (true, false) => r * z * (z2 - 3.0) / v,
            _ => r * (z2 * z2 - 5.0 * z2 + 2.0) / v,
        }
    }
}

/// The half-width T (in σ) of each component's window: the smallest T with
/// Q(T)·(1 + T²)² ≤ 1e-18·m², m the smallest positive weight among the mixtures (module docs).
pub fn truncation_sigmas(mixtures: &[&GeneralMixture]) -> f64 {
    let m = mixtures
        .iter()
        .flat_map(|g| g.weights())
        .filter(|&w| w > 0.0)
        .fold(1.0f64, f64::min);
    let bound = TAIL * m * m;
    // Q(T) ≤ φ(T)/T: solve φ(T)(1 + T²)²/T = bound by fixed-point iteration on T² (monotone,
    // converges in a few steps from T = 8).
    let mut t: f64 = 8.0;
    for _ in 0..20 {
        let poly = (1.0 + t * t).powi(2) / (t * (2.0 * std::f64::consts::PI).sqrt());
        t = (2.0 * (poly / bound).ln()).sqrt();
    }
    t.clamp(8.0, 40.0)
}

/// E_{x∼p_under}[f(x)] for K quantities, with the panels of the module docs: splits from every
/// mixture in `features` (whose responsibilities or log-density enter f) and truncation from
/// all of them and `under`.
pub fn expectation<const K: usize>(
    rule: &QuadratureRule,
    under: &GeneralMixture,
    features: &[&GeneralMixture],
    mut f: impl FnMut(f64) -> [f64; K],
) -> [f64; K] {
    let mut all: Vec<&GeneralMixture> = features.to_vec();
    all.push(under);
    let t = truncation_sigmas(&all);
    let splits: Vec<f64> = features
        .iter()
        .flat_map(|g| g.quadrature_splits())
        .collect();
    let mut acc = [0.0; K];
    for (weight, (center, sigma)) in under.weights().into_iter().zip(under.components()) {
        if weight <= 0.0 {
            continue;
        }
        let edges = panel_edges(center, sigma, t, &splits);
        let part = rule.panel_expectation(center, sigma, &edges, &mut f);
        for (a, p) in acc.iter_mut().zip(part) {
            *a += weight * p;
        }
    }
    acc
}

/// The ascending panel edges over [c − Tσ, c + Tσ]: the ends, c, and every split inside.
pub fn panel_edges(center: f64, sigma: f64, t: f64, splits: &[f64]) -> Vec<f64> {
    let (lo, hi) = (center - t * sigma, center + t * sigma);
    let mut edges: Vec<f64> = splits
        .iter()
        .copied()
        .filter(|&x| x > lo && x < hi)
        .collect();
    edges.push(lo);
    edges.push(center);
    edges.push(hi);
    edges.sort_by(f64::total_cmp);
    edges.dedup();
    edges
}

/// Packs the upper triangle of a symmetric 5×5 product into 15 values and back.
const TRI: [(usize, usize); 15] = {
    let mut out = [(0, 0); 15];
    let mut k = 0;
    let mut i = 0;
    while i < 5 {
        let mut j = i;
        while j < 5 {
            out[k] = (i, j);
            k += 1;
            j += 1;
        }
        i += 1;
    }
    out
};

fn unpack(v: [f64; 15]) -> Mat5 {
    let mut m = [[0.0; 5]; 5];
    for (k, &(i, j)) in TRI.iter().enumerate() {
        m[i][j] = v[k];
        m[j][i] = v[k];
    }
    m
}

fn outer(s: [f64; 5]) -> [f64; 15] {
    TRI.map(|(i, j)| s[i] * s[j])
}

/// The full Fisher matrix F = E_p[s sᵀ] (score-square form), rows in [`Param::ALL`](super::model::Param::ALL) order.
/// The π row and column are NaN on the weight boundary.
pub fn fisher_full(model: &Model, rule: &QuadratureRule) -> Mat5 {
    let g = GeneralMixture::new(model);
    unpack(expectation(rule, &g, &[&g], |x| outer(g.scores(x))))
}

/// The full Fisher matrix in the negative-Hessian form F = −E_p[∂² log p].
pub fn fisher_full_hessian(model: &Model, rule: &QuadratureRule) -> Mat5 {
    let g = GeneralMixture::new(model);
    let h = expectation(rule, &g, &[&g], |x| {
        let h = g.log_density_hessian(x);
        TRI.map(|(i, j)| h[i][j])
    });
    unpack(h.map(|v| -v))
}

/// The 2×2 block of a 5×5 matrix for a slice, in slice order.
pub fn slice_block(full: &Mat5, slice: &Slice) -> Sym2<f64> {
    let (a, b) = (slice.a.index(), slice.b.index());
    Sym2::new(full[a][a], full[a][b], full[b][b])
}

/// The slice's components of a 5-vector, in slice order.
pub fn slice_vector(v: &[f64; 5], slice: &Slice) -> [f64; 2] {
    [v[slice.a.index()], v[slice.b.index()]]
}

/// The induced metric on the slice: the (a, b) block of F, in slice order.
pub fn fisher_slice(model: &Model, slice: &Slice, rule: &QuadratureRule) -> Sym2<f64> {
    slice_block(&fisher_full(model, rule), slice)
}

/// Which metric a slice carries (MATH.md, "The general two-component mixture and its slices").
///
/// * `Induced`: the (a, b) block F_ss of the full 5×5 F — the geometry of the slice as a
///   submanifold, the three held parameters known exactly;
/// * `Profiled`: its Schur complement F_ss − F_sn F_nn⁻¹ F_ns — the information about (a, b)
///   left when the three held parameters are unknown and estimated too (the inverse of the
///   (s, s) block of F⁻¹). It is ≤ the induced metric in the Loewner order, with equality where
///   the held parameters are orthogonal to the slice (F_sn = 0).
///
/// Serialized as "induced" / "profiled"; [`Metric::code`] is the kernels' `metric` value
/// (`METRIC_*` in `shaders/common/gmm_general.wgsl`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// The (a, b) block of F.
    #[default]
    Induced = 0,
    /// The Schur complement of the held parameters' block.
    Profiled = 1,
}

impl Metric {
    /// Both, in code order.
    pub const ALL: [Metric; 2] = [Metric::Induced, Metric::Profiled];

    /// The kernels' `metric` value.
    pub const fn code(self) -> u32 {
        self as u32
    }

    /// The name used in files and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Metric::Induced => "induced",
            Metric::Profiled => "profiled",
        }
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Metric {
    type Err = String;

    /// Parses "induced" or "profiled".
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Metric::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| format!("unknown metric '{s}': expected induced or profiled"))
    }
}

/// Why the profiled metric is undefined at a point.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
pub enum ProfiledError {
    /// π is held at exactly 0 or 1: one component is absent, the π score (φ1 − φ2)/p is
    /// undefined there and F_ππ = ∫φ1²/φ2 − 1 (or its mirror) is infinite when the present
    /// component is wide enough (σ1 ≥ √2σ2), so π cannot be profiled out.
    #[error(
        "the profiled metric is undefined with pi held at {pi}: F_pi,pi is undefined (or infinite) on the weight boundary; use the induced metric or hold pi inside (0, 1)"
    )]
    WeightOnBoundary {
        /// The held π.
        pi: f64,
    },
    /// The held parameters' block F_nn is singular to working precision: a pivot of its
    /// unit-diagonal scaling is below [`PROFILE_MIN_PIVOT`] (e.g. the π score vanishes where
    /// the two components coincide), so F_nn⁻¹ does not exist.
    #[error(
        "the profiled metric is undefined here: the held parameters' Fisher block is singular (smallest pivot {min_pivot:.1e})"
    )]
    SingularNuisance {
        /// The smallest pivot of the unit-diagonal F_nn (0 when a diagonal entry is 0).
        min_pivot: f64,
    },
}

/// The f64 reference's pivot limit for the profiled metric: F_nn counts as singular where a
/// pivot of its unit-diagonal Cholesky factorization is below this (the Schur complement's
/// rounding grows like ε/pivot, 1e-4 relative at the limit). The f32 kernels use 1e-3.
pub const PROFILE_MIN_PIVOT: f64 = 1e-12;

/// The three parameters a slice holds, ascending.
pub fn held_params(slice: &Slice) -> [usize; 3] {
    let (a, b) = (slice.a.index(), slice.b.index());
    let mut out = [0; 3];
    let mut n = 0;
    for k in 0..5 {
        if k != a && k != b {
            out[n] = k;
            n += 1;
        }
    }
    out
}

/// The Schur complement F_ss − F_sn F_nn⁻¹ F_ns of a full F for a slice (slice order), with the
/// smallest pivot of F_nn's unit-diagonal Cholesky factorization. The algorithm is the f32
/// kernel's (`profiled_block` in gmm_general.wgsl): scale F_nn to unit diagonal (the held
/// parameters mix units), factor it C = LLᵀ, and S = F_ss − WᵀW with W = L⁻¹ D F_ns. The
/// pivot is 0 (and the block NaN) where a diagonal entry of F_nn is not positive.
pub fn schur_complement(full: &Mat5, slice: &Slice) -> (Sym2<f64>, f64) {
    let n = held_params(slice);
    let s = [slice.a.index(), slice.b.index()];
    let d = n.map(|k| full[k][k]);
    if !d.iter().all(|&v| v > 0.0) {
        return (Sym2::new(f64::NAN, f64::NAN, f64::NAN), 0.0);
    }
    let d = d.map(|v| v.sqrt().recip());
    let c = |i: usize, j: usize| full[n[i]][n[j]] * d[i] * d[j];
    let l10 = c(1, 0);
    let l20 = c(2, 0);
    let p1 = 1.0 - l10 * l10;
    let l11 = p1.max(0.0).sqrt();
    let l21 = (c(2, 1) - l20 * l10) / l11;
    let p2 = 1.0 - l20 * l20 - l21 * l21;
    let l22 = p2.max(0.0).sqrt();
    // W = L⁻¹ D F_ns, row by row (forward substitution), both columns at once.
    let row = |i: usize| s.map(|sc| d[i] * full[n[i]][sc]);
    let w0 = row(0);
    let w1: [f64; 2] = std::array::from_fn(|c| (row(1)[c] - l10 * w0[c]) / l11);
    let w2: [f64; 2] = std::array::from_fn(|c| (row(2)[c] - l20 * w0[c] - l21 * w1[c]) / l22);
    let w = [w0, w1, w2];
    let dot = |x: usize, y: usize| w.iter().map(|r| r[x] * r[y]).sum::<f64>();
    let block = Sym2::new(
        full[s[0]][s[0]] - dot(0, 0),
        full[s[0]][s[1]] - dot(0, 1),
        full[s[1]][s[1]] - dot(1, 1),
    );
    (block, p1.min(p2))
}

/// The profiled metric on the slice (see [`Metric::Profiled`]): the Schur complement of the
/// held parameters' block of [`fisher_full`], in slice order. Undefined — an error saying why,
/// never a number — where π is held at exactly 0 or 1, or where F_nn is singular to f64
/// working precision (a pivot below [`PROFILE_MIN_PIVOT`], e.g. on (μ1, μ2) at μ1 = μ2 with
/// σ1 = σ2, where the held π's score vanishes). Near that set the block is accurate to about
/// ε/pivot relative to F_sn F_nn⁻¹ F_ns.
pub fn fisher_profiled(
    model: &Model,
    slice: &Slice,
    rule: &QuadratureRule,
) -> Result<Sym2<f64>, ProfiledError> {
    if model.pi == 0.0 || model.pi == 1.0 {
        return Err(ProfiledError::WeightOnBoundary { pi: model.pi });
    }
    let (block, min_pivot) = schur_complement(&fisher_full(model, rule), slice);
    // Written so that a NaN pivot also counts as singular.
    let regular = min_pivot >= PROFILE_MIN_PIVOT;
    if !regular {
        return Err(ProfiledError::SingularNuisance { min_pivot });
    }
    Ok(block)
}

/// The slice's metric block of either kind (induced never fails).
pub fn fisher_metric(
    model: &Model,
    slice: &Slice,
    metric: Metric,
    rule: &QuadratureRule,
) -> Result<Sym2<f64>, ProfiledError> {
    match metric {
        Metric::Induced => Ok(fisher_slice(model, slice, rule)),
        Metric::Profiled => fisher_profiled(model, slice, rule),
    }
}

/// L = KL(p_target ‖ p_model) = E_{p*}[ln p* − ln p].
pub fn kl_divergence(model: &Model, target: &Model, rule: &QuadratureRule) -> f64 {
    let (g, t) = (GeneralMixture::new(model), GeneralMixture::new(target));
    let [kl] = expectation(rule, &t, &[&g, &t], |x| {
        [t.log_density(x) - g.log_density(x)]
    });
    kl
}

/// E_{p*}[s(x; model)] for all five parameters; ∇L = −this.
pub fn score_mean(model: &Model, target: &Model, rule: &QuadratureRule) -> [f64; 5] {
    let (g, t) = (GeneralMixture::new(model), GeneralMixture::new(target));
    expectation(rule, &t, &[&g, &t], |x| g.scores(x))
}

/// ∇L = −E_{p*}\[s\] in slice coordinates (slice order).
pub fn gradient(model: &Model, slice: &Slice, target: &Model, rule: &QuadratureRule) -> [f64; 2] {
    slice_vector(&score_mean(model, target, rule), slice).map(|v| -v)
}

/// The population empirical Fisher EF = E_{p*}[s sᵀ] (s the model's score), 5×5.
pub fn empirical_fisher_full(model: &Model, target: &Model, rule: &QuadratureRule) -> Mat5 {
    let (g, t) = (GeneralMixture::new(model), GeneralMixture::new(target));
    unpack(expectation(rule, &t, &[&g, &t], |x| outer(g.scores(x))))
}

/// One general point to evaluate: model, slice and optional target (any model, on the slice or
/// off it).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeneralInput {
    /// The model ψ (the base of the slice).
    pub model: Model,
    /// The two varied parameters.
    pub slice: Slice,
    /// The target ψ* for L, ∇L and ñ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Model>,
}

impl GeneralInput {
    /// Checks the model for the slice ([`Model::validate_for`]) and the target ([`Model::validate`]).
    pub fn validate(&self) -> Result<(), ModelError> {
        self.model.validate_for(&self.slice)?;
        if let Some(t) = &self.target {
            t.validate()?;
        }
        Ok(())
    }
}

/// The loss part of a general report (present when a target was given).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeneralTargetReport {
    /// L = KL(p_ψ* ‖ p_ψ).
    pub kl: f64,
    /// ∇L in slice coordinates.
    pub grad: [f64; 2],
    /// (F + λI)⁻¹∇L in slice coordinates; null when F + λI is singular (κ > 1e12, the seed
    /// path's rule, `sym2::SINGULAR_CONDITION`).
    pub natgrad: Option<[f64; 2]>,
    /// Angle between ∇L and ñ in degrees; null when undefined.
    pub angle_deg: Option<f64>,
    /// The population empirical Fisher's slice block E_{p*}[s sᵀ], slice order.
    pub empirical_fisher: [[f64; 2]; 2],
}

/// Everything at one general point (the schema of the references' records).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeneralReport {
    /// The model.
    pub model: Model,
    /// The slice.
    pub slice: Slice,
    /// The target, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Model>,
    /// The slice block of F, slice order.
    pub fisher: [[f64; 2]; 2],
    /// [λ_max, λ_min] of the block.
    pub eigenvalues: [f64; 2],
    /// κ of the block, null when infinite.
    pub kappa: Option<f64>,
    /// L, ∇L, ñ, angle and EF, when a target was given.
    #[serde(flatten)]
    pub loss: Option<GeneralTargetReport>,
}

/// Evaluates a (validated) general point with the f64 reference (induced metric).
pub fn evaluate_general(
    input: &GeneralInput,
    rule: &QuadratureRule,
    damping: f64,
) -> GeneralReport {
    build_report(
        input,
        rule,
        damping,
        fisher_slice(&input.model, &input.slice, rule),
    )
}

/// Evaluates a (validated) general point with the f64 reference under either metric: the
/// report's `fisher`, eigenvalues, κ, ñ and angle are those of the chosen metric's block
/// (the same record and JSON keys as [`evaluate_general`], which is the induced case). An
/// error where the profiled metric is undefined.
pub fn evaluate_general_metric(
    input: &GeneralInput,
    rule: &QuadratureRule,
    damping: f64,
    metric: Metric,
) -> Result<GeneralReport, ProfiledError> {
    let f = fisher_metric(&input.model, &input.slice, metric, rule)?;
    Ok(build_report(input, rule, damping, f))
}

fn build_report(
    input: &GeneralInput,
    rule: &QuadratureRule,
    damping: f64,
    f: Sym2<f64>,
) -> GeneralReport {
    let eig = f.eigen();
    let loss = input.target.map(|target| {
        let grad = gradient(&input.model, &input.slice, &target, rule);
        let natgrad = natural_gradient(&f, damping, grad);
        let ef = slice_block(
            &empirical_fisher_full(&input.model, &target, rule),
            &input.slice,
        );
        GeneralTargetReport {
            kl: kl_divergence(&input.model, &target, rule),
            grad,
            natgrad,
            angle_deg: natgrad.and_then(|n| angle_deg(grad, n)),
            empirical_fisher: ef.to_array(),
        }
    });
    GeneralReport {
        model: input.model,
        slice: input.slice,
        target: input.target,
        fisher: f.to_array(),
        eigenvalues: [eig.lambda_max, eig.lambda_min],
        kappa: eig.condition(),
        loss,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switch_points_are_roots_of_the_log_ratio() {
        for m in [
            Model::seed(-1.0, 2.0, 0.7),
            Model {
                pi: 0.3,
                mu1: 0.0,
                mu2: 1.0,
                sigma1: 2.0,
                sigma2: 0.5,
            },
            Model {
                pi: 0.999,
                mu1: 0.0,
                mu2: 0.0,
                sigma1: 1.0,
                sigma2: 10.0,
            },
            Model {
                pi: 1e-3,
                mu1: 0.0,
                mu2: 0.0,
                sigma1: 2.0,
                sigma2: 1.0,
            },
        ] {
            let g = GeneralMixture::new(&m);
            let pts = g.switch_points();
            assert!(!pts.is_empty(), "{m:?}");
            for sp in pts {
                let l = g.log_ratio(sp.x);
                assert!(
                    l.abs() < 1e-12 * (1.0 + sp.slope * sp.x.abs()),
                    "{m:?}: ℓ={l}"
                );
            }
        }
        // μ1 = μ2, σ1 = σ2: ℓ is constant, nothing switches.
        assert!(
            GeneralMixture::new(&Model::seed(1.0, 1.0, 1.0))
                .switch_points()
                .is_empty()
        );
        // One Gaussian: nothing switches either.
        let one = Model {
            pi: 1.0,
            ..Model::default()
        };
        assert!(GeneralMixture::new(&one).switch_points().is_empty());
    }

    #[test]
    fn responsibilities_and_scores_stay_finite_far_out() {
        let m = Model {
            pi: 0.3,
            mu1: -30.0,
            mu2: 30.0,
            sigma1: 0.5,
            sigma2: 2.0,
        };
        let g = GeneralMixture::new(&m);
        for x in [-500.0, 0.0, 500.0] {
            let (r1, r2) = g.responsibilities(x);
            assert!((r1 + r2 - 1.0).abs() < 1e-15);
            assert!(g.scores(x).iter().all(|v| v.is_finite()), "x={x}");
            assert!(g.log_density(x).is_finite());
        }
    }

    #[test]
    fn truncation_widens_with_small_weights() {
        let g = GeneralMixture::new(&Model::default());
        let t = truncation_sigmas(&[&g]);
        assert!((9.0..11.0).contains(&t), "{t}");
        let small = GeneralMixture::new(&Model {
            pi: 1e-3,
            ..Model::default()
        });
        let ts = truncation_sigmas(&[&small]);
        assert!(ts > t + 1.0 && ts < 13.0, "{ts}");
        let one = GeneralMixture::new(&Model {
            pi: 1.0,
            ..Model::default()
        });
        assert!(truncation_sigmas(&[&one]) < t);
    }
}
