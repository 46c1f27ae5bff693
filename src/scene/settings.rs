//! Each feature's settings in the scene (layers, heatmap, geodesics, race, estimates,
//! convergence map, flow), with their defaults and the ranges the UI offers.

use super::*;

/// Which layers the canvas draws.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Layers {
    /// Metric ellipses.
    pub ellipses: bool,
    /// Axes, ticks, grid lines and the diagonal.
    pub axes: bool,
    /// The handles θ* and its twin.
    pub handles: bool,
    /// The probe's two arrows.
    pub probe: bool,
    /// Flow particles.
    pub particles: bool,
    /// Legends (κ colour bar, ε).
    pub legend: bool,
}

impl Layers {
    /// Every layer off (a canvas showing only what no toggle governs: the heatmap, the
    /// features, the outside of the model).
    pub const NONE: Layers = Layers {
        ellipses: false,
        axes: false,
        handles: false,
        probe: false,
        particles: false,
        legend: false,
    };
}

impl Default for Layers {
    fn default() -> Self {
        Self {
            ellipses: true,
            axes: true,
            handles: true,
            probe: true,
            particles: true,
            legend: true,
        }
    }
}

pub use crate::gpu::gpu_data::{FlowMode, Integrator};

/// How particles are coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParticleColor {
    /// Cyan natural, red Euclidean.
    Mode,
    /// By Fisher–Rao speed √(θ̇ᵀFθ̇) on the colour map (log scale).
    Speed,
}

/// Learning rates the UI offers (log slider).
pub const LR_RANGE: (f64, f64) = (1e-4, 10.0);
/// Range of the sample count N of the finite-sample estimates and of `mc-ngd`.
pub const SAMPLES_RANGE: (u32, u32) = (2, crate::math::estimates::MAX_SAMPLES);
/// Which view the window shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tab {
    /// The mixture's geometry: the canvas, its layers and panels.
    #[default]
    Geometry,
    /// The K-FAC lab: a small classifier's exact layer Fisher blocks against A ⊗ G.
    Kfac,
}

/// Smallest and largest particle counts the UI offers.
pub const PARTICLE_RANGE: (u32, u32) = (1_000, 1 << 20);

/// Flow mode settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Flow {
    /// Particles are advected and drawn (Space toggles).
    pub enabled: bool,
    /// Natural, Euclidean or both.
    pub mode: FlowMode,
    /// Particle count; absent = chosen for the adapter (8k on a CPU adapter, 256k otherwise).
    pub particles: Option<u32>,
    /// Time step per integration step.
    pub dt: f64,
    /// Integration steps per frame.
    pub steps_per_frame: u32,
    /// RK4 or Euler.
    pub integrator: Integrator,
    /// Speed cap in Fisher–Rao units per unit time.
    pub speed_cap: f64,
    /// Mean particle lifetime in steps.
    pub max_age: u32,
    /// Trail fade per frame (1 = no trails).
    pub fade: f64,
    /// Colour by mode or by Fisher–Rao speed.
    pub color: ParticleColor,
    /// Seed of the deterministic spawn.
    pub seed: u32,
}

impl Default for Flow {
    fn default() -> Self {
        Self {
            enabled: false,
            mode: FlowMode::Both,
            particles: None,
            dt: 0.05,
            steps_per_frame: 1,
            integrator: Integrator::Rk4,
            speed_cap: 4.0,
            max_age: 400,
            fade: 0.08,
            color: ParticleColor::Mode,
            seed: 1,
        }
    }
}
