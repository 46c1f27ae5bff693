//! Which statistical family the canvas shows, and what each offers the features: the
//! two-component mixture (a slice through its target θ*) or the policy plane of a controller's
//! gains (the system's stability triangle, its target the computed optimum K*, no twin).
//!
//! A feature asks [`Scene::offers`] before it requests work or draws, so a family that lacks
//! one (the policy plane has no paths or Fisher estimates in the viewer yet) turns it off in this one place, and the scene's own
//! settings stay as the user left them for when the mixture comes back.

use super::*;
use crate::math::policy::{Lqr, System};

/// The family the canvas shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// π N(μ1, σ1²) + (1 − π) N(μ2, σ2²) on a slice of two of its parameters.
    Mixture,
    /// A plant's gains K = (k1, k2) under a Gaussian policy (MATH.md, "The policy plane").
    Policy,
}

/// A feature a family may or may not offer in the viewer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    /// Flow particles.
    Particles,
    /// The geodesic ball at the probe.
    GeodesicBall,
    /// Shortest paths from the probe and the descent paths.
    Paths,
    /// The optimizer race.
    Race,
    /// Fisher estimates at the probe.
    Estimates,
    /// The convergence map.
    ConvergenceMap,
    /// The density strip under the canvas.
    DensityStrip,
    /// A heatmap.
    Heatmap(Heatmap),
}

impl Scene {
    /// The family on the canvas.
    pub fn family(&self) -> Family {
        match self.system {
            Some(_) => Family::Policy,
            None => Family::Mixture,
        }
    }

    /// Whether the canvas's family offers `feature`: the mixture offers every one but the
    /// policy plane's own heatmaps (ρ(A_K), control energy); the policy plane the field,
    /// ellipses, probe arrows, its own heatmaps and those that read F, C, ∇C and ñ (not the EF
    /// gap: it has no empirical Fisher).
    pub fn offers(&self, feature: Feature) -> bool {
        match self.family() {
            Family::Mixture => !matches!(
                feature,
                Feature::Heatmap(Heatmap::SpectralRadius | Heatmap::ControlEnergy)
            ),
            Family::Policy => match feature {
                Feature::Heatmap(h) => h != Heatmap::EfGap,
                Feature::Race
                | Feature::Particles
                | Feature::GeodesicBall
                | Feature::ConvergenceMap => true,
                _ => false,
            },
        }
    }

    /// What the grid's ellipses draw: the scene's choice on the mixture, F on the policy plane
    /// (which has no empirical Fisher: its cells carry ρ and the control energy there).
    pub fn grid_ellipse_source(&self) -> EllipseSource {
        match self.family() {
            Family::Mixture => self.features.estimates.grid_ellipses,
            Family::Policy => EllipseSource::Fisher,
        }
    }

    /// The policy plane's closed loop, when the canvas shows it.
    pub fn lqr(&self) -> Option<Lqr> {
        self.system.as_ref().map(Lqr::new)
    }

    /// The names of the canvas's two coordinates (horizontal, vertical), as the axes label
    /// them.
    pub fn axis_names(&self) -> [&'static str; 2] {
        match self.family() {
            Family::Mixture => self.slice.params().map(Param::name),
            Family::Policy => ["k1", "k2"],
        }
    }
}

/// The policy plane's default view of `system`: the triangle's left edge (where the stable
/// gains that matter lie) from below its lower corner to above its upper one, and along k1
/// four times K*'s distance from that edge, so K*, the edge and the fast-growing cost between
/// them are all in view; the two axes scaled apart (their units differ by 10–20×).
pub fn policy_view(system: &System, probe: Option<[f64; 2]>) -> Camera {
    let lqr = Lqr::new(system);
    let t = lqr.triangle();
    let (k_star, _) = lqr.optimum();
    let mut x1 = t[0][0] + 4.0 * (k_star[0] - t[0][0]);
    let (mut y0, mut y1) = (t[0][1], t[1][1]);
    if let Some(p) = probe {
        x1 = x1.max(p[0] + 0.1 * (x1 - t[0][0]));
        y0 = y0.min(p[1]);
        y1 = y1.max(p[1]);
    }
    let x0 = t[0][0] - 0.15 * (x1 - t[0][0]);
    let margin = 0.08 * (y1 - y0);
    let (y0, y1) = (y0 - margin, y1 + margin);
    let half_height = 0.5 * (y1 - y0);
    let half_width = 0.5 * (x1 - x0);
    Camera {
        center: [0.5 * (x0 + x1), 0.5 * (y0 + y1)],
        half_height,
        x_per_y: half_width / (half_height * NOMINAL_ASPECT),
    }
}
