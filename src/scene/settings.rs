//! The scene's settings no one feature owns: which layers are drawn, which tab the window
//! shows, and the rate and sample-count ranges several features share.

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
