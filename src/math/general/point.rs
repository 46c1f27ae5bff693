//! Everything at one general point against a target: L, ∇L, the empirical Fisher, the natural
//! gradient, and the report that gathers them with the metric.

use serde::{Deserialize, Serialize};

use super::expectation::expectation;
use super::fisher::{
    Metric, ProfiledError, fisher_metric, fisher_slice, outer, slice_block, slice_vector, unpack,
};
use super::mixture::{GeneralMixture, Mat5};
use crate::math::model::{Model, ModelError, Slice};
use crate::math::quadrature::QuadratureRule;
use crate::math::sym2::{Sym2, angle_deg, natural_gradient};

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
