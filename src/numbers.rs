//! The few numbers the side panel shows, computed on the CPU with the f64 reference (cheap:
//! a few thousand integrand evaluations), never read back from the GPU.

use crate::math::fisher::{fisher_hessian_form, fisher_rotated, fisher_score_form};
use crate::math::loss::{gradient_rotated, kl_divergence};
use crate::math::quadrature::DEFAULT_NODES_F64;
use crate::math::sym2::{angle_deg, natural_gradient, rotate_vector};
use crate::math::{Eigen, Mixture, QuadratureRule, Sym2};
use crate::scene::Scene;

/// F at the target in both forms, with its spectrum.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetNumbers {
    /// θ*.
    pub theta: [f64; 2],
    /// E[s sᵀ] in the standard basis.
    pub score_form: Sym2<f64>,
    /// −E[∂² log p] in the standard basis.
    pub hessian_form: Sym2<f64>,
    /// Largest entry-wise |score − Hessian| (pure quadrature error).
    pub forms_difference: f64,
    /// Eigen-decomposition (from the rotated basis).
    pub eigen: Eigen<f64>,
    /// det F.
    pub det: f64,
}

/// L, ∇L and the natural gradient at the probe, and the KL check.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeNumbers {
    /// The probe θ.
    pub theta: [f64; 2],
    /// L = KL(p_θ* ‖ p_θ).
    pub loss: f64,
    /// ∇L.
    pub grad: [f64; 2],
    /// (F + λI)⁻¹∇L, None when singular.
    pub natgrad: Option<[f64; 2]>,
    /// Angle between them, degrees.
    pub angle_deg: Option<f64>,
    /// κ at the probe (None: infinite).
    pub kappa: Option<f64>,
    /// The KL check on the drawn ellipse (δᵀFδ = ε, δ along its long axis).
    pub kl_on_glyph: KlCheck,
    /// The same check for a small step (δᵀFδ = [`SMALL_LEVEL`]), where ½δᵀFδ must match KL.
    pub kl_small: KlCheck,
}

/// The level of the small-step KL check.
pub const SMALL_LEVEL: f64 = 1e-6;

/// KL(p_θ ‖ p_θ+δ) against its quadratic approximation ½δᵀF(θ)δ.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KlCheck {
    /// The step δ (along the long axis of the probe's ellipse).
    pub step: [f64; 2],
    /// KL(p_θ ‖ p_θ+δ) by quadrature.
    pub exact: f64,
    /// ½δᵀFδ.
    pub quadratic: f64,
}

/// Everything the panel shows, for one scene state.
#[derive(Clone, Debug, PartialEq)]
pub struct PanelNumbers {
    /// At θ*.
    pub target: TargetNumbers,
    /// At the probe, if placed.
    pub probe: Option<ProbeNumbers>,
}

/// Computes the panel numbers; `epsilon` is the ellipses' level (for the KL check) and
/// `cap` the longest semi-axis the glyphs draw.
pub fn compute(scene: &Scene, epsilon: f64, cap: f64) -> PanelNumbers {
    let rule = QuadratureRule::new(DEFAULT_NODES_F64).expect("the default node count is valid");
    let star = Mixture::new(scene.target()[0], scene.target()[1], scene.model.sigma1);
    let score_form = fisher_score_form(&star, &rule);
    let hessian_form = fisher_hessian_form(&star, &rule);
    let f_rot = fisher_rotated(&star, &rule);
    let eigen = f_rot.eigen();
    let forms_difference = score_form.max_abs_difference(&hessian_form);
    let target = TargetNumbers {
        theta: scene.target(),
        score_form,
        hessian_form,
        forms_difference,
        eigen,
        det: eigen.lambda_max * eigen.lambda_min,
    };
    let probe = scene
        .probe
        .map(|p| probe_numbers(scene, p, &rule, epsilon, cap));
    PanelNumbers { target, probe }
}

fn probe_numbers(
    scene: &Scene,
    p: [f64; 2],
    rule: &QuadratureRule,
    epsilon: f64,
    cap: f64,
) -> ProbeNumbers {
    let m = Mixture::new(p[0], p[1], scene.model.sigma1);
    let f_rot = fisher_rotated(&m, rule);
    let g_rot = gradient_rotated(&m, scene.target(), rule);
    let grad = rotate_vector(g_rot);
    let natgrad = natural_gradient(&f_rot, scene.damping, g_rot).map(rotate_vector);
    let eig = f_rot.eigen();
    let f = f_rot.rotate_basis();
    let check = |level: f64, cap: f64| {
        // δ on the level set δᵀFδ = level along the long axis (q_min), capped like the glyph.
        let along = if eig.lambda_min > 0.0 {
            (level / eig.lambda_min).sqrt().min(cap)
        } else {
            cap
        };
        let q = rotate_vector(eig.q_min);
        let step = [q[0] * along, q[1] * along];
        let quadratic = 0.5
            * (f.xx * step[0] * step[0]
                + 2.0 * f.xy * step[0] * step[1]
                + f.yy * step[1] * step[1]);
        let moved = Mixture::new(p[0] + step[0], p[1] + step[1], scene.model.sigma1);
        KlCheck {
            step,
            exact: kl_divergence(&moved, p, rule),
            quadratic,
        }
    };
    ProbeNumbers {
        theta: p,
        loss: kl_divergence(&m, scene.target(), rule),
        grad,
        natgrad,
        angle_deg: natgrad.and_then(|n| angle_deg(grad, n)),
        kappa: eig.condition(),
        kl_on_glyph: check(epsilon, cap),
        kl_small: check(SMALL_LEVEL, f64::INFINITY),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kl_check_agrees_for_a_small_level() {
        let scene = Scene {
            probe: Some([1.0, -0.5]),
            ..Scene::default()
        };
        let numbers = compute(&scene, 0.05, 10.0);
        let probe = numbers.probe.unwrap();
        let small = probe.kl_small;
        assert!((small.quadratic - 0.5 * SMALL_LEVEL).abs() < 1e-12);
        assert!(
            (small.exact / small.quadratic - 1.0).abs() < 0.02,
            "{probe:?}"
        );
        // Negative control: at a large level the quadratic form is visibly off.
        let big = probe.kl_on_glyph;
        assert!((big.exact / big.quadratic - 1.0).abs() > 0.02, "{big:?}");
        assert!(numbers.target.forms_difference < 1e-12);
    }
}
