//! The convergence map's settings: which optimizer's map, its rates, step cap, threshold,
//! resolution and pace, with their defaults and ranges.

use serde::{Deserialize, Serialize};

use crate::features::Settings;
use crate::scene::{LR_RANGE, Scene, clamp_f64};

/// Range of the convergence map's step cap.
pub const CONVERGENCE_STEPS_RANGE: (u32, u32) = (1, 10_000);
/// Range of the convergence map's relative loss threshold (L < threshold · L(start)).
pub const CONVERGENCE_THRESHOLD_RANGE: (f64, f64) = (1e-6, 0.5);
/// Range of the convergence map's resolution (cells per side).
pub const CONVERGENCE_SIDE_RANGE: (u32, u32) = (8, 1024);

/// Which optimizer's convergence map is shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConvergenceView {
    /// Gradient descent only.
    Gd,
    /// Natural gradient descent only.
    Ngd,
    /// gd on the left half of the canvas, ngd on the right, over the same view.
    #[default]
    Split,
}

/// The GPU convergence map (issue 12): for every cell of a `grid`² lattice over the view as a
/// start, the number of steps gd or ngd needs to bring L below `threshold` · L(start), capped
/// at `max_steps`; advanced `steps_per_frame` steps per frame so the UI stays responsive.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Convergence {
    /// The map is computed and drawn as a heatmap layer.
    pub enabled: bool,
    /// gd, ngd, or both side by side.
    pub view: ConvergenceView,
    /// Learning rate of gd.
    pub lr_gd: f64,
    /// Learning rate of ngd.
    pub lr_ngd: f64,
    /// Step cap.
    pub max_steps: u32,
    /// Relative threshold: converged when L < threshold · L(start).
    pub threshold: f64,
    /// Cells per side of the map's lattice (scene files may say `grid`, the older key).
    #[serde(alias = "grid")]
    pub side: u32,
    /// Optimizer steps advanced per frame.
    pub steps_per_frame: u32,
    /// The policy plane's gd rate (its gains' scales are not the mixture's).
    pub policy_lr_gd: f64,
    /// The policy plane's npg rate.
    pub policy_lr_npg: f64,
}

impl Default for Convergence {
    fn default() -> Self {
        Self {
            enabled: false,
            view: ConvergenceView::Split,
            lr_gd: 0.5,
            lr_ngd: 0.5,
            max_steps: 500,
            threshold: 1e-4,
            side: 128,
            steps_per_frame: 2,
            policy_lr_gd: 0.01,
            policy_lr_npg: 0.5,
        }
    }
}

impl Convergence {
    /// These settings with every value clamped to its range; a value that is not a number
    /// keeps `current`'s.
    pub fn clamped(self, current: &Convergence) -> Convergence {
        Convergence {
            lr_gd: clamp_f64(self.lr_gd, LR_RANGE, current.lr_gd),
            lr_ngd: clamp_f64(self.lr_ngd, LR_RANGE, current.lr_ngd),
            policy_lr_gd: clamp_f64(self.policy_lr_gd, LR_RANGE, current.policy_lr_gd),
            policy_lr_npg: clamp_f64(self.policy_lr_npg, LR_RANGE, current.policy_lr_npg),
            max_steps: self
                .max_steps
                .clamp(CONVERGENCE_STEPS_RANGE.0, CONVERGENCE_STEPS_RANGE.1),
            threshold: clamp_f64(
                self.threshold,
                CONVERGENCE_THRESHOLD_RANGE,
                current.threshold,
            ),
            side: self
                .side
                .clamp(CONVERGENCE_SIDE_RANGE.0, CONVERGENCE_SIDE_RANGE.1),
            steps_per_frame: self.steps_per_frame.clamp(1, 1000),
            ..self
        }
    }
}

impl Settings for Convergence {
    fn clamped_for(self, scene: &Scene) -> Self {
        self.clamped(&scene.features.convergence)
    }
}
