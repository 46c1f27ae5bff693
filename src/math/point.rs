//! Everything at one parameter point: F, eigenvalues, κ, and with a target L, ∇L, the natural
//! gradient and the angle. This is the record `fisherflow fim` prints; the GPU path fills the
//! same record from its kernel output.

use serde::{Deserialize, Serialize};

use super::fisher::fisher_rotated;
use super::loss::{gradient_rotated, kl_divergence};
use super::mixture::Mixture;
use super::quadrature::QuadratureRule;
use super::sym2::{angle_deg, natural_gradient, rotate_vector};
use super::{InputError, validate_finite, validate_sigma};

/// One point to evaluate, as read from `--points` JSON.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointInput {
    /// μ1.
    pub mu1: f64,
    /// μ2.
    pub mu2: f64,
    /// σ (> 0).
    pub sigma: f64,
    /// Optional target θ* = (μ1*, μ2*) for L, ∇L and the natural gradient.
    #[serde(default)]
    pub target: Option<[f64; 2]>,
}

impl PointInput {
    /// Checks every field; the error names the field.
    pub fn validate(&self) -> Result<(), InputError> {
        validate_finite("mu1", self.mu1)?;
        validate_finite("mu2", self.mu2)?;
        validate_sigma(self.sigma)?;
        if let Some([t1, t2]) = self.target {
            validate_finite("target[0]", t1)?;
            validate_finite("target[1]", t2)?;
        }
        Ok(())
    }
}

/// The loss-related part of a report, present when a target was given.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetReport {
    /// L = KL(p_θ* ‖ p_θ).
    pub kl: f64,
    /// ∇L.
    pub grad: [f64; 2],
    /// (F + λI)⁻¹∇L, null when F + λI is singular.
    pub natgrad: Option<[f64; 2]>,
    /// Angle between ∇L and the natural gradient in degrees, null when undefined.
    pub angle_deg: Option<f64>,
}

/// The full evaluation at one point (the JSON schema of `fisherflow fim`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointReport {
    /// μ1.
    pub mu1: f64,
    /// μ2.
    pub mu2: f64,
    /// σ.
    pub sigma: f64,
    /// F in the standard basis.
    pub fisher: [[f64; 2]; 2],
    /// [λ_max, λ_min].
    pub eigenvalues: [f64; 2],
    /// κ = λ_max/λ_min, null when infinite.
    pub kappa: Option<f64>,
    /// The target, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<[f64; 2]>,
    /// L, ∇L, natural gradient and angle, when a target was given.
    #[serde(flatten)]
    pub loss: Option<TargetReport>,
}

/// Evaluates a (validated) point with the f64 reference.
pub fn evaluate_point(input: &PointInput, rule: &QuadratureRule, damping: f64) -> PointReport {
    let m = Mixture::new(input.mu1, input.mu2, input.sigma);
    let f_rot = fisher_rotated(&m, rule);
    let eig = f_rot.eigen();
    let loss = input.target.map(|target| {
        let g_rot = gradient_rotated(&m, target, rule);
        let n_rot = natural_gradient(&f_rot, damping, g_rot);
        let grad = rotate_vector(g_rot);
        let natgrad = n_rot.map(rotate_vector);
        TargetReport {
            kl: kl_divergence(&m, target, rule),
            grad,
            natgrad,
            angle_deg: natgrad.and_then(|n| angle_deg(grad, n)),
        }
    });
    PointReport {
        mu1: input.mu1,
        mu2: input.mu2,
        sigma: input.sigma,
        fisher: f_rot.rotate_basis().to_array(),
        eigenvalues: [eig.lambda_max, eig.lambda_min],
        kappa: eig.condition(),
        target: input.target,
        loss,
    }
}
