//! One point of the general mixture: its log-densities, responsibilities, scores and
//! Hessians at x, and the switch points of ℓ where the quadrature splits.

use crate::math::model::Model;

/// Graded splits at r ± k·w around each switch point r ([`super`]'s docs).
const GRADES: [f64; 2] = [3.0, 12.0];

/// ln √(2π).
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// A 5×5 matrix indexed by [`Param::index`](crate::math::Param::index) (ψ = (π, μ1, μ2, σ1, σ2)).
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
    /// splits around them, and the vertex ([`super`]'s docs).
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

    /// The score s = ∇_ψ log p(x) in the order of [`Param::ALL`](crate::math::Param::ALL). The π entry is NaN on the
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
}
