//! One mixture in the y frame (the shaders' `Mixture`) as a node sees it: responsibilities,
//! scores, the truncation of its windows.

/// Tail bound of the truncation rule (`GENERAL_TAIL`).
pub const GENERAL_TAIL: f32 = 1e-12;
/// Smallest truncation, in σ (`TRUNCATION_MIN`).
pub const TRUNCATION_MIN: f32 = 6.0;
/// Largest truncation, in σ (`TRUNCATION_MAX`).
pub const TRUNCATION_MAX: f32 = 16.0;
/// ln √(2π).
pub const LN_SQRT_2PI: f32 = 0.918_938_5;
/// √(2π).
pub const SQRT_2PI: f32 = 2.506_628_3;
/// ℓ on the weight boundary (`SATURATED_LOG_RATIO`).
pub const SATURATED_LOG_RATIO: f32 = 1e30;

/// One mixture in the y frame (`Mixture`).
#[derive(Clone, Copy, Debug)]
pub struct Mixture {
    /// (π, 1 − π).
    pub weight: [f32; 2],
    /// (μ1, μ2) − the frame origin.
    pub mean: [f32; 2],
    /// (σ1, σ2).
    pub sigma: [f32; 2],
    /// (1/σ1, 1/σ2).
    pub inv_sigma: [f32; 2],
    /// (1/π, 1/(1 − π)), for [`weight_score`].
    pub inv_weight: [f32; 2],
    /// ln w_c − ln σ_c − ln √(2π).
    pub log_norm: [f32; 2],
    /// ln(φ1/φ2) = (a·y' + b)·y' + c_phi, y' = y − mean₁ (for the switch points; nodes use
    /// [`log_phi_ratio`]).
    pub a: f32,
    /// See `a`.
    pub b: f32,
    /// See `a`.
    pub c_phi: f32,
    /// ln(σ2/σ1).
    pub log_sigma_ratio: f32,
    /// ln π − ln(1 − π).
    pub logit_w: f32,
    /// π = 0 or 1.
    pub boundary: bool,
}

/// `make_mixture`.
pub fn make_mixture(pi: f32, mean: [f32; 2], sigma: [f32; 2]) -> Mixture {
    mixture_shape(pi, sigma).placed(mean)
}

/// A mixture's weights and widths with what depends on them alone (the logarithms), its
/// means at 0: [`Mixture::placed`] puts it anywhere. The particles form the target's shape
/// once and place it in each particle's frame.
pub fn mixture_shape(pi: f32, sigma: [f32; 2]) -> Mixture {
    let boundary = pi <= 0.0 || pi >= 1.0;
    let v1 = sigma[0] * sigma[0];
    let v2 = sigma[1] * sigma[1];
    let (log_norm, logit_w) = if !boundary {
        (
            [
                pi.ln() - sigma[0].ln() - LN_SQRT_2PI,
                (1.0 - pi).ln() - sigma[1].ln() - LN_SQRT_2PI,
            ],
            pi.ln() - (1.0 - pi).ln(),
        )
    } else {
        (
            [-sigma[0].ln() - LN_SQRT_2PI, -sigma[1].ln() - LN_SQRT_2PI],
            if pi >= 1.0 {
                SATURATED_LOG_RATIO
            } else {
                -SATURATED_LOG_RATIO
            },
        )
    };
    Mixture {
        weight: [pi, 1.0 - pi],
        mean: [0.0; 2],
        sigma,
        inv_sigma: sigma.map(|v| 1.0 / v),
        inv_weight: [1.0 / pi, 1.0 / (1.0 - pi)],
        log_norm,
        a: 0.5 * (sigma[0] - sigma[1]) * (sigma[0] + sigma[1]) / (v1 * v2),
        b: 0.0,
        log_sigma_ratio: (sigma[1] / sigma[0]).ln(),
        c_phi: 0.0,
        logit_w,
        boundary,
    }
}

impl Mixture {
    /// This mixture with its means at `mean` (in the frame's y), and the terms of ln(φ1/φ2)
    /// that depend on their difference formed as `make_mixture` forms them.
    #[inline]
    pub fn placed(&self, mean: [f32; 2]) -> Mixture {
        let d = mean[0] - mean[1];
        let v2 = self.sigma[1] * self.sigma[1];
        Mixture {
            mean,
            b: d / v2,
            c_phi: self.log_sigma_ratio + 0.5 * d * d / v2,
            ..*self
        }
    }
}

/// `log_phi_ratio`: ln(φ1/φ2) = ln(σ2/σ1) + ½(z2 − z1)(z2 + z1) at standardized positions
/// z, with z2 − z1 taken whichever way rounds less (see the shader).
#[inline]
pub fn log_phi_ratio(m: &Mixture, z: [f32; 2]) -> f32 {
    let sigma_diff = m.sigma[0] - m.sigma[1];
    let mean_diff = m.mean[0] - m.mean[1];
    let direct = z[1] - z[0];
    let formula = (sigma_diff * (z[0] * m.sigma[0]) + m.sigma[0] * mean_diff)
        * (m.inv_sigma[0] * m.inv_sigma[1]);
    let direct_error = z[0].abs() + z[1].abs();
    let formula_error = (sigma_diff.abs() * z[0].abs() + mean_diff.abs()) * m.inv_sigma[1];
    let difference = if formula_error < direct_error {
        formula
    } else {
        direct
    };
    m.log_sigma_ratio + 0.5 * difference * (z[0] + z[1])
}

/// `NodeState`: what the scores at one node are built from.
#[derive(Clone, Copy, Debug)]
pub struct NodeState {
    /// (r1, r2).
    pub r: [f32; 2],
    /// ((y − μ1)/σ1, (y − μ2)/σ2).
    pub z: [f32; 2],
    /// ln(φ1/φ2).
    pub log_phi: f32,
    /// ℓ = ln(πφ1/((1 − π)φ2)).
    pub log_ratio: f32,
    /// e^{−|ℓ|}.
    pub tail: f32,
}

/// `node_state`.
#[inline]
pub fn node_state(m: &Mixture, y: f32) -> NodeState {
    let z = [
        (y - m.mean[0]) * m.inv_sigma[0],
        (y - m.mean[1]) * m.inv_sigma[1],
    ];
    let lphi = log_phi_ratio(m, z);
    // (r1, r2) = (logistic(ℓ), logistic(−ℓ)) from one exponential, e^{−|ℓ|}.
    let l = lphi + m.logit_w;
    let e = (-l.abs()).exp();
    let near = 1.0 / (1.0 + e);
    let far = e * near;
    NodeState {
        r: if l >= 0.0 { [near, far] } else { [far, near] },
        z,
        log_phi: lphi,
        log_ratio: l,
        tail: e,
    }
}

/// `weight_score`: ∂ log p/∂π = (φ1 − φ2)/p without an exponential. For u = |ln φ1/φ2| ≤ 2,
/// (r_c/w_c)(1 − e^{−u}) signed by the larger φ, with 1 − e^{−u} = 2t/(1 + t) and
/// t = tanh(u/2) from the (7,6) Padé approximant, in one division (no cancellation where the
/// components coincide); beyond, r1/π − r2/(1 − π), whose terms then differ by at least e².
#[inline]
pub fn weight_score(m: &Mixture, s: &NodeState) -> f32 {
    let u = s.log_phi.abs();
    let a = 0.5 * u;
    let a2 = a * a;
    let num = a * (135135.0 + a2 * (17325.0 + a2 * (378.0 + a2)));
    let den = 135135.0 + a2 * (62370.0 + a2 * (3150.0 + 28.0 * a2));
    let one_minus_exp = 2.0 * num / (den + num);
    let first = s.r[0] * m.inv_weight[0];
    let second = s.r[1] * m.inv_weight[1];
    if u <= 2.0 {
        let larger = if s.log_phi >= 0.0 { first } else { -second };
        larger * one_minus_exp
    } else {
        first - second
    }
}

/// `score`: ∂ log p / ∂ψ_k (k a `Param::index`).
#[inline]
pub fn score(m: &Mixture, s: &NodeState, k: u32) -> f32 {
    match k {
        0 => weight_score(m, s),
        1 => s.r[0] * s.z[0] * m.inv_sigma[0],
        2 => s.r[1] * s.z[1] * m.inv_sigma[1],
        3 => s.r[0] * (s.z[0] * s.z[0] - 1.0) * m.inv_sigma[0],
        _ => s.r[1] * (s.z[1] * s.z[1] - 1.0) * m.inv_sigma[1],
    }
}

/// `truncation_sigmas`: T from the smallest positive weight.
pub fn truncation_sigmas(min_weight: f32) -> f32 {
    let w = min_weight.clamp(1e-12, 1.0);
    let bound = GENERAL_TAIL * w * w;
    let mut t: f32 = 8.0;
    for _ in 0..6 {
        let poly = (1.0 + t * t) * (1.0 + t * t) / (t * SQRT_2PI);
        t = (2.0 * (poly / bound).ln()).sqrt();
    }
    t.clamp(TRUNCATION_MIN, TRUNCATION_MAX)
}

/// `min_weight`.
pub fn min_weight(m: &Mixture) -> f32 {
    if m.boundary {
        return 1.0;
    }
    m.weight[0].min(m.weight[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_matches_the_rule_by_hand() {
        // Q(T)(1 + T²)² ≤ 1e-12·m²: at m = ½, T ≈ 8.6; at m = 1e-3 wider.
        let t = truncation_sigmas(0.5);
        assert!((8.2..9.0).contains(&t), "{t}");
        assert!(truncation_sigmas(1e-3) > t + 0.8);
    }

    /// A shape placed at a pair of means is `make_mixture` at them, bit for bit (the
    /// particles place the target's shape in every particle's frame).
    #[test]
    fn a_placed_shape_is_make_mixture_bit_for_bit() {
        let bits = |m: &Mixture| {
            [
                m.weight[0],
                m.weight[1],
                m.mean[0],
                m.mean[1],
                m.sigma[0],
                m.sigma[1],
                m.inv_sigma[0],
                m.inv_sigma[1],
                m.log_norm[0],
                m.log_norm[1],
                m.a,
                m.b,
                m.c_phi,
                m.log_sigma_ratio,
                m.logit_w,
            ]
            .map(f32::to_bits)
        };
        for (pi, sigma) in [(0.3, [0.6, 1.4]), (0.5, [1.0, 1.0]), (1.0, [0.7, 2.0])] {
            let shape = mixture_shape(pi, sigma);
            for mean in [[0.0, 1.5], [-2.3, 0.7], [1e3, -1e-3]] {
                let placed = shape.placed(mean);
                assert_eq!(bits(&placed), bits(&make_mixture(pi, mean, sigma)));
                // Control: another pair of means is another mixture.
                let moved = shape.placed([mean[0] + 0.25, mean[1]]);
                assert_ne!(bits(&moved), bits(&make_mixture(pi, mean, sigma)));
            }
        }
    }

    /// The weight's score, formed without an exponential (`weight_score`), is (φ1 − φ2)/p to
    /// f32 rounding, against f64 from the same node state (ℓ and ln φ1/φ2 as the node formed
    /// them: their own rounding is the state's, not the score's), over weights from 10⁻⁶ to
    /// 1 − 10⁻⁶ and nodes from the components' coincidence (u = |ln φ1/φ2| → 0) to their far
    /// tails, across the switch at u = 2. Control: the MATH.md form r1/π − r2/(1 − π)
    /// everywhere cancels where the components nearly coincide and misses by far.
    #[test]
    fn the_weight_score_is_exact_to_rounding_without_an_exponential() {
        // (φ1 − φ2)/p = (r1/π)(1 − φ2/φ1), r1 = logistic(ℓ).
        let exact = |pi: f64, s: &NodeState| {
            let r1 = 1.0 / (1.0 + (-(s.log_ratio as f64)).exp());
            r1 / pi * -(-(s.log_phi as f64)).exp_m1()
        };
        let (mut worst, mut worst_naive) = (0.0f64, 0.0f64);
        let mut near_switch = 0;
        for pi in [1e-6f32, 0.01, 0.3, 0.5, 0.8, 1.0 - 1e-6] {
            // Nearly coincident components (u tiny over the whole line) and distinct ones.
            for (mean, sigma) in [([0.0, 1e-3], [1.0, 1.0]), ([0.0, 1.0], [1.0, 1.3])] {
                let m = make_mixture(pi, mean, sigma);
                for k in 0..400 {
                    let s = node_state(&m, -6.0 + 0.03 * k as f32);
                    let reference = exact(pi as f64, &s);
                    let scale = reference.abs().max(1e-30);
                    let got = weight_score(&m, &s) as f64;
                    worst = worst.max((got - reference).abs() / scale);
                    let naive = (s.r[0] / m.weight[0] - s.r[1] / m.weight[1]) as f64;
                    worst_naive = worst_naive.max((naive - reference).abs() / scale);
                    near_switch += usize::from((1.9..2.1).contains(&s.log_phi.abs()));
                }
            }
        }
        eprintln!("weight score: worst {worst:.2e}, naive form {worst_naive:.2e}");
        assert!(near_switch > 0, "no node near the switch at u = 2");
        assert!(worst < 2e-6, "worst relative error {worst:.2e}");
        assert!(
            worst_naive > 1e-3,
            "control: the naive form reached {worst_naive:.2e}"
        );
    }
}
