//! The viewer's presets — the mixture's six slices and the policy plane of each plant — and the
//! probe placed on a newly chosen slice.

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
    /// The policy plane of the cart (a double integrator), every key at its default.
    Cart,
    /// The policy plane of the inverted pendulum (unstable without control).
    Pendulum,
}

impl Preset {
    /// The policy plane's presets, in menu order.
    pub const POLICY: [Preset; 2] = [Preset::Cart, Preset::Pendulum];

    /// Every preset of both families, in menu order.
    pub fn every() -> impl Iterator<Item = Preset> {
        Preset::ALL.into_iter().chain(Preset::POLICY)
    }

    /// The mixture's six slices, in menu order.
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
            Preset::Cart => "cart",
            Preset::Pendulum => "pendulum",
        }
    }

    /// The preset called `name` ([`Preset::name`]), or an error listing the names.
    pub fn from_name(name: &str) -> Result<Self, String> {
        Self::every().find(|p| p.name() == name).ok_or_else(|| {
            let names: Vec<&str> = Self::every().map(|p| p.name()).collect();
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
            Preset::Cart => "cart: policy plane",
            Preset::Pendulum => "pendulum: policy plane",
        }
    }

    /// The policy plane's system of a policy preset; None for the mixture's.
    pub fn system(self) -> Option<System> {
        use crate::math::policy::Plant;
        match self {
            Preset::Cart => Some(System::new(Plant::Cart)),
            Preset::Pendulum => Some(System::new(Plant::Pendulum)),
            _ => None,
        }
    }

    /// The target model, the slice and the probe (slice coordinates) of a mixture preset; a
    /// policy preset keeps the default scene's (the mixture's state while the policy plane is
    /// shown).
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
            Preset::Cart | Preset::Pendulum => Preset::Seed.setup(),
        }
    }
}

/// The policy plane's default probe: from K* two and a half times as far from the triangle's
/// left edge along k1, at half K*'s k2 (where ∇C and the natural gradient part clearly);
/// K* itself should that lie outside.
pub fn default_policy_probe(system: &System) -> [f64; 2] {
    let lqr = crate::math::policy::Lqr::new(system);
    let a = system.a();
    let (k, _) = lqr.optimum();
    let p = [a + 2.5 * (k[0] - a), 0.5 * k[1]];
    if lqr.evaluate(p).closed.is_some() {
        p
    } else {
        k
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
