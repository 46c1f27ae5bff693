//! The Fisher estimates at the probe (MATH.md, "Fisher estimates"), f64 on the CPU, and the
//! one background thread that computes them for the viewer.
//!
//! At the probe θ (slice coordinates; the three held parameters are the scene model's), four
//! 2×2 slice blocks, all of the full 5×5 score outer products (the induced block, whatever the
//! scene's metric):
//!
//! * **F** = E_{p_θ}[s sᵀ] by quadrature ([`fisher_slice`]);
//! * **EF** = E_{p*}[s sᵀ], the population empirical Fisher, by quadrature under the target
//!   ([`empirical_fisher_full`]);
//! * **EF_N**, the finite-sample empirical Fisher from N samples of p* and
//! * **MC**, the Monte-Carlo Fisher from N samples of p_θ, both from the one seeded generator
//!   of [`crate::math::estimates`] (the same samples the GPU's `sampling.wgsl` draws).
//!
//! With them the steps the viewer compares: the natural step −(F + λI)⁻¹∇L and the EF step
//! −(EF + λI)⁻¹∇L (λ the scene's damping), their angle and Fisher-norm lengths √(vᵀFv), and
//! the saturation ‖EF⁻¹∇L‖_C = √q/(1 + q) ≤ ½ with C = EF − ∇L∇Lᵀ = Cov_{p*}(s) and
//! q = ∇LᵀC⁻¹∇L.
//!
//! Cost: the two quadratures take about a millisecond; the sampled estimates grow like N (two
//! million score evaluations at N = 2²⁰, a large fraction of a second). The viewer therefore
//! never computes them on the frame loop: they are a [`crate::jobs::Job`] of the simulation,
//! whose result the canvas layer and the side panel share.

use crate::math::estimates::{empirical_fisher_samples, mc_fisher};
use crate::math::general::{
    DEFAULT_NODES_GENERAL, empirical_fisher_full, fisher_slice, gradient, slice_block,
};
use crate::math::sym2::{Sym2, angle_deg, natural_gradient};
use crate::math::{Model, QuadratureRule, Slice};
use crate::scene::Scene;

/// Everything the estimates at the probe depend on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EstimateKey {
    /// The target θ* (all five parameters; the held three are the slice's base).
    pub model: Model,
    /// The slice.
    pub slice: Slice,
    /// The probe, slice coordinates.
    pub probe: [f64; 2],
    /// N, samples per finite-sample estimate.
    pub samples: u32,
    /// The generator's seed.
    pub seed: u32,
    /// The damping λ of both steps.
    pub damping: f64,
}

impl EstimateKey {
    /// The key of `scene`'s estimates, or None when it shows none (estimates off, no probe, a
    /// model or probe outside the model).
    pub fn for_scene(scene: &Scene) -> Option<Self> {
        if !scene.features.estimates.at_probe {
            return None;
        }
        Self::at_probe(scene)
    }

    /// The key of the estimates at `scene`'s probe whether or not the scene draws them (the
    /// side panel's numbers); None without a probe or outside the model.
    pub fn at_probe(scene: &Scene) -> Option<Self> {
        if !scene.offers(crate::scene::Feature::Estimates) {
            return None;
        }
        let probe = scene.inside_model(scene.probe?)?;
        Some(Self {
            model: scene.model,
            slice: scene.slice,
            probe,
            samples: scene.features.estimates.samples,
            seed: scene.features.estimates.seed,
            damping: scene.damping,
        })
    }
}

/// The four estimates at the probe and the steps they give.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeEstimates {
    /// What they were computed for.
    pub key: EstimateKey,
    /// F, the slice block of the Fisher matrix (quadrature).
    pub fisher: Sym2<f64>,
    /// EF = E_{p*}[s sᵀ], the population empirical Fisher (quadrature under p*).
    pub empirical: Sym2<f64>,
    /// EF_N, from N samples of p*.
    pub empirical_samples: Sym2<f64>,
    /// The Monte-Carlo Fisher from N samples of p_θ.
    pub monte_carlo: Sym2<f64>,
    /// ∇L at the probe.
    pub grad: [f64; 2],
    /// The natural step −(F + λI)⁻¹∇L; None where F + λI is singular.
    pub natural_step: Option<[f64; 2]>,
    /// The EF step −(EF + λI)⁻¹∇L; None where EF + λI is singular.
    pub empirical_step: Option<[f64; 2]>,
    /// The angle between the two steps, degrees.
    pub angle_deg: Option<f64>,
    /// ‖natural step‖_F = √(vᵀFv).
    pub natural_length: Option<f64>,
    /// ‖EF step‖_F.
    pub empirical_length: Option<f64>,
    /// q = ∇LᵀC⁻¹∇L with C = EF − ∇L∇Lᵀ (None where C is singular).
    pub q: Option<f64>,
}

/// The Fisher norm √(vᵀMv).
pub fn metric_norm(m: &Sym2<f64>, v: [f64; 2]) -> f64 {
    let mv = [m.xx * v[0] + m.xy * v[1], m.xy * v[0] + m.yy * v[1]];
    (v[0] * mv[0] + v[1] * mv[1]).max(0.0).sqrt()
}

/// Computes the estimates of `key` (f64, on the calling thread).
pub fn compute(key: &EstimateKey) -> ProbeEstimates {
    let rule = QuadratureRule::new(DEFAULT_NODES_GENERAL).expect("the default node count is valid");
    let at = key.slice.place(&key.model, key.probe);
    let fisher = fisher_slice(&at, &key.slice, &rule);
    let empirical = slice_block(&empirical_fisher_full(&at, &key.model, &rule), &key.slice);
    let empirical_samples =
        empirical_fisher_samples(&at, &key.slice, &key.model, key.samples, key.seed);
    let monte_carlo = mc_fisher(&at, &key.slice, key.samples, key.seed, 0);
    let grad = gradient(&at, &key.slice, &key.model, &rule);
    let step = |m: &Sym2<f64>| natural_gradient(m, key.damping, grad).map(|n| [-n[0], -n[1]]);
    let natural_step = step(&fisher);
    let empirical_step = step(&empirical);
    let angle = match (natural_step, empirical_step) {
        (Some(a), Some(b)) => angle_deg(a, b),
        _ => None,
    };
    // C = Cov_{p*}(s) = EF − E[s]E[s]ᵀ, and E_{p*}[s] = −∇L.
    let covariance = Sym2::new(
        empirical.xx - grad[0] * grad[0],
        empirical.xy - grad[0] * grad[1],
        empirical.yy - grad[1] * grad[1],
    );
    let q = natural_gradient(&covariance, 0.0, grad).map(|c| c[0] * grad[0] + c[1] * grad[1]);
    ProbeEstimates {
        key: *key,
        fisher,
        empirical,
        empirical_samples,
        monte_carlo,
        grad,
        natural_step,
        empirical_step,
        angle_deg: angle,
        natural_length: natural_step.map(|v| metric_norm(&fisher, v)),
        empirical_length: empirical_step.map(|v| metric_norm(&fisher, v)),
        q,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(probe: [f64; 2], samples: u32) -> EstimateKey {
        EstimateKey {
            model: Model::seed(-1.5, 1.0, 1.0),
            slice: Slice::SEED,
            probe,
            samples,
            seed: 3,
            damping: 0.0,
        }
    }

    #[test]
    fn ef_step_is_the_saturated_covariance_step_and_f_equals_ef_at_the_target() {
        let e = compute(&key([1.2, 0.4], 64));
        let q = e.q.expect("C is invertible off the diagonal");
        // EF⁻¹∇L = C⁻¹∇L/(1 + q) (Sherman–Morrison): the C-norm of the EF step is √q/(1 + q).
        let c = Sym2::new(
            e.empirical.xx - e.grad[0] * e.grad[0],
            e.empirical.xy - e.grad[0] * e.grad[1],
            e.empirical.yy - e.grad[1] * e.grad[1],
        );
        let step = e.empirical_step.unwrap();
        let c_norm = metric_norm(&c, step);
        assert!(
            (c_norm - q.sqrt() / (1.0 + q)).abs() < 1e-9 * c_norm,
            "{c_norm} vs q {q}"
        );
        assert!(c_norm <= 0.5 + 1e-12);
        // Away from θ* the two steps differ; at θ* EF = F (p_θ = p*) and ∇L = 0.
        assert!(e.empirical.max_abs_difference(&e.fisher) > 0.05 * e.fisher.max_abs());
        assert!(e.angle_deg.unwrap() > 1.0);
        let at = compute(&key([-1.5, 1.0], 64));
        assert!(at.empirical.max_abs_difference(&at.fisher) < 1e-9 * at.fisher.max_abs());
        assert!(at.grad[0].abs() < 1e-12 && at.grad[1].abs() < 1e-12);
        // EF_N and MC are finite-sample estimates: not the population matrices, but finite.
        assert!(e.empirical_samples.max_abs_difference(&e.empirical) > 0.0);
        assert!(e.monte_carlo.max_abs().is_finite());
    }

    #[test]
    fn a_few_samples_on_the_diagonal_give_a_singular_estimate_never_nan() {
        // Two samples on the seed's diagonal direction: EF_N has rank ≤ 2 but the scores of the
        // seed slice at σ1 = σ2, μ1 = μ2 are parallel, so it is singular; never NaN.
        let got = compute(&key([0.3, 0.3], 2));
        let m = got.empirical_samples;
        assert!(m.xx.is_finite() && m.xy.is_finite() && m.yy.is_finite());
        assert!(m.det().abs() <= 1e-9 * m.max_abs().powi(2), "{m:?}");
        assert!(got.natural_step.is_none(), "F is singular on the diagonal");
        // Negative control: off the diagonal the estimate is regular.
        let off = compute(&key([1.2, 0.4], 64)).empirical_samples;
        assert!(off.det().abs() > 1e-6 * off.max_abs().powi(2), "{off:?}");
    }
}
