//! The Cramér–Rao region's settings: on or off, the sample count N and the probability p, with
//! their defaults and ranges.

use serde::{Deserialize, Serialize};

use crate::features::Settings;
use crate::scene::{Scene, clamp_f64};

/// The sample counts N the region is drawn for.
pub const CR_SAMPLES_RANGE: (u32, u32) = (2, 1_000_000);
/// The probabilities p the region is drawn for.
pub const CR_LEVEL_RANGE: (f64, f64) = (0.5, 0.999);

/// The Cramér–Rao region at θ* and its twin: δᵀFδ ≤ χ²₂(p)/N, where N samples' maximum-
/// likelihood estimate of the slice's two coordinates lands with probability p as N grows
/// (it is asymptotically normal with covariance F⁻¹/N; F the scene's metric on the slice).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CramerRao {
    /// The region is drawn.
    pub enabled: bool,
    /// N, the samples of p_θ* the estimate is made from.
    pub samples: u32,
    /// p, the probability the region holds.
    pub level: f64,
}

impl Default for CramerRao {
    fn default() -> Self {
        Self {
            enabled: false,
            samples: 100,
            level: 0.95,
        }
    }
}

impl CramerRao {
    /// These settings with N and p clamped to their ranges (a p that is not a number keeps
    /// `current`'s).
    pub fn clamped(self, current: &CramerRao) -> CramerRao {
        CramerRao {
            samples: self.samples.clamp(CR_SAMPLES_RANGE.0, CR_SAMPLES_RANGE.1),
            level: clamp_f64(self.level, CR_LEVEL_RANGE, current.level),
            ..self
        }
    }

    /// The χ² quantile with two degrees of freedom at p: −2 ln(1 − p) (the χ²₂ distribution
    /// is exponential with mean 2).
    pub fn chi2(&self) -> f64 {
        -2.0 * (-self.level).ln_1p()
    }

    /// r² of the region δᵀFδ ≤ r²: χ²₂(p)/N.
    pub fn radius_squared(&self) -> f64 {
        self.chi2() / self.samples as f64
    }
}

impl Settings for CramerRao {
    fn clamped_for(self, scene: &Scene) -> Self {
        self.clamped(&scene.features.cramer_rao)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quantile_is_the_tables_and_the_region_shrinks_as_one_over_n() {
        // χ²₂ quantiles from the tables (and scipy.stats.chi2.ppf): 0.95 → 5.991464547,
        // 0.5 → 1.386294361 (= 2 ln 2), 0.99 → 9.210340372.
        for (p, q) in [(0.95, 5.991464547), (0.5, 1.386294361), (0.99, 9.210340372)] {
            let c = CramerRao {
                level: p,
                ..Default::default()
            };
            assert!((c.chi2() - q).abs() < 1e-8, "p = {p}: {}", c.chi2());
        }
        let at = |n| CramerRao {
            samples: n,
            ..Default::default()
        };
        assert!((at(100).radius_squared() / at(400).radius_squared() - 4.0).abs() < 1e-12);
        // Control: the region at N = 100 is not the region at N = 101.
        assert!(at(100).radius_squared() != at(101).radius_squared());
    }

    #[test]
    fn clamping_keeps_n_and_p_in_range_and_a_nan_changes_nothing() {
        let current = CramerRao::default();
        let wild = CramerRao {
            enabled: true,
            samples: 0,
            level: 1.0,
        };
        let c = wild.clamped(&current);
        assert_eq!(c.samples, CR_SAMPLES_RANGE.0);
        assert_eq!(c.level, CR_LEVEL_RANGE.1);
        assert!(c.enabled && c.chi2().is_finite());
        let nan = CramerRao {
            level: f64::NAN,
            ..current
        };
        assert_eq!(nan.clamped(&current).level, current.level);
        // Control: a value in range passes unchanged.
        let fine = CramerRao {
            enabled: true,
            samples: 500,
            level: 0.9,
        };
        assert_eq!(fine.clamped(&current), fine);
    }
}
