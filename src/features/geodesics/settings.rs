//! The geodesics' settings: the geodesic ball at the probe (radius, rays, spokes) and the
//! shortest paths from it, with their defaults and ranges.

use serde::{Deserialize, Serialize};

use crate::features::Settings;
use crate::scene::{Scene, clamp_f64};

/// Fisher–Rao radius range of the geodesic ball (the mixture's slices span a few units; the
/// policy plane's triangle tens: its optimum lies about 40 from a typical start).
pub const BALL_RADIUS_RANGE: (f64, f64) = (0.01, 50.0);
/// Range of the number of geodesics the ball shoots.
pub const BALL_RAYS_RANGE: (u32, u32) = (8, 4096);

/// Geodesic overlays at the probe (MATH.md, "Geodesics").
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Geodesics {
    /// The geodesic ball: the Fisher–Rao circle of radius `radius` about the probe, beside the
    /// metric ellipse δᵀFδ = r² there.
    pub ball: bool,
    /// Its Fisher–Rao radius r.
    pub radius: f64,
    /// How many geodesics the ball shoots (evenly spread in the F-orthonormal frame).
    pub rays: u32,
    /// Draw each geodesic of the ball (spokes), not only the circle of tips.
    pub spokes: bool,
    /// The shortest path (within the slice) from the probe to θ* and to its twin, with the
    /// slice distance, beside the natural-flow and Euclidean-descent paths.
    pub shortest_path: bool,
}

impl Default for Geodesics {
    fn default() -> Self {
        Self {
            ball: false,
            radius: 0.5,
            rays: 256,
            spokes: false,
            shortest_path: false,
        }
    }
}

impl Geodesics {
    /// These settings with the radius and the ray count clamped to [`BALL_RADIUS_RANGE`] and
    /// [`BALL_RAYS_RANGE`] (a radius that is not a number keeps `current`'s).
    pub fn clamped(self, current: &Geodesics) -> Geodesics {
        Geodesics {
            radius: clamp_f64(self.radius, BALL_RADIUS_RANGE, current.radius),
            rays: self.rays.clamp(BALL_RAYS_RANGE.0, BALL_RAYS_RANGE.1),
            ..self
        }
    }
}

impl Settings for Geodesics {
    fn clamped_for(self, scene: &Scene) -> Self {
        self.clamped(&scene.features.geodesics)
    }
}
