//! The heatmap's setting: which scalar of the field the heatmap layer paints, with its labels.

use serde::{Deserialize, Serialize};

use crate::features::Settings;
use crate::scene::{Family, Scene};

/// The scalar field a heatmap layer paints under the ellipses (one at a time), computed per
/// pixel on the GPU from the field's cells (`shaders/heatmap.wgsl`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Heatmap {
    /// No heatmap.
    #[default]
    None,
    /// log₁₀ κ, the condition number of F (∞ on the singular set).
    Log10Kappa,
    /// √det F, the Jeffreys volume element (how densely the model packs distributions).
    Jeffreys,
    /// L = KL(p_θ* ‖ p_θ), with contour lines.
    Loss,
    /// The angle between ∇L and the natural gradient ñ, degrees.
    Angle,
    /// ‖ñ‖ in Fisher–Rao units, √(ñᵀFñ).
    NatgradNorm,
    /// The empirical Fisher's gap, ‖EF − F‖_F / ‖F‖_F with EF = E_{p*}[s sᵀ]: 0 at θ*, where
    /// the two agree, and growing away from it (where EF-preconditioned steps go wrong).
    EfGap,
    /// The policy plane's ρ(A_K), the closed loop's spectral radius (1 at the triangle's
    /// edges), on a linear scale.
    SpectralRadius,
    /// The policy plane's control energy E_u = tr(KᵀK Σ_K), log scale.
    ControlEnergy,
}

impl Heatmap {
    /// Every choice, in the order the UI lists them.
    pub const ALL: [Heatmap; 9] = [
        Heatmap::None,
        Heatmap::Log10Kappa,
        Heatmap::Jeffreys,
        Heatmap::Loss,
        Heatmap::Angle,
        Heatmap::NatgradNorm,
        Heatmap::EfGap,
        Heatmap::SpectralRadius,
        Heatmap::ControlEnergy,
    ];

    /// Whether the heatmap reads the target's half of the field's cells (L, ∇L, ñ, EF) rather
    /// than F alone.
    pub fn reads_target(self) -> bool {
        matches!(
            self,
            Heatmap::Loss | Heatmap::Angle | Heatmap::NatgradNorm | Heatmap::EfGap
        )
    }

    /// A short label for menus and legends.
    pub fn label(self) -> &'static str {
        match self {
            Heatmap::None => "none",
            Heatmap::Log10Kappa => "log10 κ",
            Heatmap::Jeffreys => "√det F (Jeffreys)",
            Heatmap::Loss => "L = KL(p* ‖ p)",
            Heatmap::Angle => "angle ∇L vs ñ (°)",
            Heatmap::NatgradNorm => "‖ñ‖ Fisher–Rao",
            Heatmap::EfGap => "EF gap ‖EF − F‖/‖F‖",
            Heatmap::SpectralRadius => "ρ(A_K) spectral radius",
            Heatmap::ControlEnergy => "control energy E_u",
        }
    }
}

impl Heatmap {
    /// A short label for menus and legends on `family`'s canvas (the policy plane's loss is
    /// the cost C, its gradient ∇C).
    pub fn label_for(self, family: Family) -> &'static str {
        match (family, self) {
            (Family::Policy, Heatmap::Loss) => "C (LQR cost)",
            (Family::Policy, Heatmap::Angle) => "angle ∇C vs ñ (°)",
            _ => self.label(),
        }
    }
}

/// Every heatmap is valid anywhere (one the family does not offer draws nothing).
impl Settings for Heatmap {
    fn clamped_for(self, _scene: &Scene) -> Self {
        self
    }
}
