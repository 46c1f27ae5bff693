//! The Fisher estimates' settings: which estimate ellipses the probe shows, from how many
//! samples of which seed, and which matrix the grid's ellipses draw.

use serde::{Deserialize, Serialize};

use crate::features::Settings;
use crate::scene::{SAMPLES_RANGE, Scene};

/// Which matrix the grid's ellipses draw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EllipseSource {
    /// The Fisher matrix F (the slice block).
    #[default]
    Fisher,
    /// The population empirical Fisher EF = E_{x∼p*}[s sᵀ] under the target.
    EmpiricalFisher,
}

/// Fisher estimates (MATH.md, "Fisher estimates"): at the probe, the ellipses of F, the
/// population EF, and the finite-sample EF and Monte-Carlo Fisher from N samples of one seeded
/// generator (`math::estimates`, `shaders/common/sampling.wgsl`); across the grid, F or EF.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Estimates {
    /// The estimate ellipses at the probe, with a legend.
    pub at_probe: bool,
    /// Draw F's ellipse at the probe.
    pub fisher: bool,
    /// Draw the population EF's ellipse.
    pub empirical: bool,
    /// Draw the finite-sample EF's ellipse (N samples of the target).
    pub empirical_samples: bool,
    /// Draw the Monte-Carlo Fisher's ellipse (N samples of the model at the probe).
    pub monte_carlo: bool,
    /// N.
    pub samples: u32,
    /// Seed of the samples (the resample button draws a new one).
    pub seed: u32,
    /// What the grid's ellipses show.
    pub grid_ellipses: EllipseSource,
}

impl Default for Estimates {
    fn default() -> Self {
        Self {
            at_probe: false,
            fisher: true,
            empirical: true,
            empirical_samples: true,
            monte_carlo: true,
            samples: 100,
            seed: 1,
            grid_ellipses: EllipseSource::Fisher,
        }
    }
}

impl Estimates {
    /// These settings with N clamped to [`SAMPLES_RANGE`].
    pub fn clamped(self) -> Estimates {
        Estimates {
            samples: self.samples.clamp(SAMPLES_RANGE.0, SAMPLES_RANGE.1),
            ..self
        }
    }
}

impl Settings for Estimates {
    fn clamped_for(self, _scene: &Scene) -> Self {
        self.clamped()
    }
}
