//! The K-FAC lab's settings: the classifier's width, the optimizers' rates, damping, nodes and
//! samples. The settings type lives with the lab's numbers (`kfac::lab`, which trains from
//! it); its clamping to the UI's ranges is the scene's and lives here.

pub use crate::kfac::lab::KfacLab;

use crate::features::Settings;
use crate::kfac::lab::LAB_HIDDEN_RANGE;
use crate::scene::Scene;
use crate::math::quadrature::{MAX_NODES, MIN_NODES};
use crate::scene::{LR_RANGE, clamp_f64};

impl KfacLab {
    /// These settings with every value clamped to its range; a value that is not a number
    /// keeps `current`'s.
    pub fn clamped(self, current: &KfacLab) -> KfacLab {
        let lr = std::array::from_fn(|k| clamp_f64(self.lr[k], LR_RANGE, current.lr[k]));
        KfacLab {
            hidden: self.hidden.clamp(LAB_HIDDEN_RANGE.0, LAB_HIDDEN_RANGE.1),
            damping: clamp_f64(self.damping, (1e-8, 10.0), current.damping),
            lr,
            nodes: (self.nodes & !1).clamp(MIN_NODES, MAX_NODES),
            samples: self.samples.min(crate::math::estimates::MAX_SAMPLES),
            ..self
        }
    }
}

impl Settings for KfacLab {
    fn clamped_for(self, scene: &Scene) -> Self {
        self.clamped(&scene.features.kfac)
    }
}
