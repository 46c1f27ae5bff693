//! The viewer's preset slices and the probe placed on a newly chosen slice.

use super::*;

/// The six slices the viewer offers as presets (issue 10), each a model, a slice and a view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// The seed's (μ1, μ2) at π = ½, σ1 = σ2 = 1: the singular diagonal.
    Seed,
    /// (μ1, σ1) at π = 1: one Gaussian, the hyperbolic half-plane, F = diag(1/σ², 2/σ²).
    HalfPlane,
    /// (π, μ1): as π → 0 component 1 vanishes and μ1 stops mattering.
    WeightSingularity,
    /// (σ1, σ2) with the means apart.
    Sigmas,
    /// (μ1, σ2): a mean against the other component's width.
    MeanSigma,
    /// (μ1, μ2) with π = 0.3, σ1 = 0.6, σ2 = 1.4: no singular diagonal.
    Unequal,
}

impl Preset {
    /// All presets, in menu order.
    pub const ALL: [Preset; 6] = [
        Preset::Seed,
        Preset::HalfPlane,
        Preset::WeightSingularity,
        Preset::Sigmas,
        Preset::MeanSigma,
        Preset::Unequal,
    ];

    /// The command-line name (`--preset`; the scene file's kebab-case spelling).
    pub fn name(self) -> &'static str {
        match self {
            Preset::Seed => "seed",
            Preset::HalfPlane => "half-plane",
            Preset::WeightSingularity => "weight-singularity",
            Preset::Sigmas => "sigmas",
            Preset::MeanSigma => "mean-sigma",
            Preset::Unequal => "unequal",
        }
    }

    /// The preset called `name` ([`Preset::name`]), or an error listing the names.
    pub fn from_name(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|p| p.name()).collect();
                format!(
                    "unknown preset `{name}`; the presets are {}",
                    names.join(", ")
                )
            })
    }

    /// The menu label.
    pub fn label(self) -> &'static str {
        match self {
            Preset::Seed => "seed (μ1, μ2), π = ½, σ1 = σ2",
            Preset::HalfPlane => "half-plane (μ1, σ1), π = 1",
            Preset::WeightSingularity => "weight singularity (π, μ1)",
            Preset::Sigmas => "(σ1, σ2)",
            Preset::MeanSigma => "(μ1, σ2)",
            Preset::Unequal => "(μ1, μ2), π = 0.3, σ1 ≠ σ2",
        }
    }

    /// The target model, the slice and the probe (slice coordinates).
    pub fn setup(self) -> (Model, Slice, [f64; 2]) {
        let m = |pi, mu1, mu2, sigma1, sigma2| Model {
            pi,
            mu1,
            mu2,
            sigma1,
            sigma2,
        };
        let s = |a, b| Slice { a, b };
        use Param::*;
        match self {
            Preset::Seed => (m(0.5, -1.5, 1.0, 1.0, 1.0), s(Mu1, Mu2), [1.2, 0.4]),
            Preset::HalfPlane => (m(1.0, 0.0, 0.0, 1.0, 1.0), s(Mu1, Sigma1), [1.5, 2.0]),
            Preset::WeightSingularity => (m(0.6, -1.0, 1.5, 1.0, 1.0), s(Pi, Mu1), [0.2, 1.0]),
            Preset::Sigmas => (m(0.5, -1.0, 1.0, 0.8, 1.2), s(Sigma1, Sigma2), [1.6, 0.5]),
            Preset::MeanSigma => (m(0.5, -1.0, 1.0, 1.0, 0.7), s(Mu1, Sigma2), [1.5, 1.5]),
            Preset::Unequal => (m(0.3, -1.5, 1.0, 0.6, 1.4), s(Mu1, Mu2), [1.2, 0.4]),
        }
    }
}

/// A probe position for a newly chosen slice: the target moved by a σ along each mean, a
/// fifth of the way towards the far end of π, and by half along each σ, so the arrows have
/// something to show.
pub fn default_probe(model: &Model, slice: &Slice) -> [f64; 2] {
    let t = slice.coords(model);
    let scale = model.sigma1.max(model.sigma2);
    let moved = |p: Param, v: f64| match p {
        Param::Pi => {
            if v > 0.5 {
                v - 0.3
            } else {
                v + 0.3
            }
        }
        Param::Mu1 | Param::Mu2 => v + scale,
        Param::Sigma1 | Param::Sigma2 => v * 1.5,
    };
    let p = [moved(slice.a, t[0]), moved(slice.b, t[1])];
    clamp_coords(slice, p).unwrap_or(t)
}
