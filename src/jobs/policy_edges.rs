//! The Fisher–Rao distance from the policy plane's probe to the stability triangle's edge
//! along each of its arrows, −∇C and −ñ (the exponential map in f64, `math::geodesic`), for
//! the probe panel: where the ray leaves, or that it did not within [`EDGE_RAY_LENGTH`] — a
//! ray aimed at a corner (infinitely far) may never get there. A ray of length ~200 takes
//! thousands of steps near the edge, where F blows up, so this is a [`crate::jobs::Job`] that
//! waits for its request to settle (a slider being dragged asks every frame).

use crate::math::policy::System;
use crate::math::sym2::natural_gradient;
use crate::scene::Scene;

/// Longest Fisher–Rao length a ray from the probe is followed toward the edge.
pub const EDGE_RAY_LENGTH: f64 = 500.0;

/// What the edge distances depend on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EdgeKey {
    /// The system.
    pub system: System,
    /// The probe's gains.
    pub probe: [f64; 2],
    /// The natural gradient's damping λ.
    pub damping: f64,
}

impl EdgeKey {
    /// The key of `scene`'s probe on the policy plane (None off it or without a probe).
    pub fn for_scene(scene: &Scene) -> Option<Self> {
        Some(Self {
            system: scene.system?,
            probe: scene.probe?,
            damping: scene.damping,
        })
    }
}

/// The two rays, in words.
#[derive(Clone, Debug, PartialEq)]
pub struct EdgeDistances {
    /// What they were shot for.
    pub key: EdgeKey,
    /// Along −∇C, then along −ñ.
    pub text: [String; 2],
}

/// How long a request must stand before the rays are shot.
pub const SETTLE: std::time::Duration = std::time::Duration::from_millis(100);

/// The job's work: waits for the request to settle, then shoots both rays.
pub fn edge_work(key: &EdgeKey, progress: &mut crate::jobs::Progress<'_, EdgeKey, EdgeDistances>) {
    if progress.settle(SETTLE) {
        progress.publish(EdgeDistances {
            key: *key,
            text: edge_distances(&key.system, key.probe, key.damping),
        });
    }
}

/// The Fisher–Rao distance from the probe to the triangle's edge along −∇C and along −ñ (the
/// exponential map, f64), in words: where the ray leaves, or that it did not within
/// [`EDGE_RAY_LENGTH`] — a ray aimed at a corner (infinitely far) may never get there.
pub fn edge_distances(system: &System, probe: [f64; 2], damping: f64) -> [String; 2] {
    use crate::math::family::Plane;
    use crate::math::geodesic::{StopReason, exp_map};
    let plane = crate::math::policy::PolicyPlane::new(system);
    let Some(c) = plane.lqr.evaluate(probe).closed else {
        return ["the probe is outside".to_owned(), String::new()];
    };
    let natural = natural_gradient(&c.fisher, damping, c.grad);
    let describe = |direction: Option<[f64; 2]>| -> String {
        let Some(d) = direction.filter(|d| d.iter().any(|v| *v != 0.0)) else {
            return "no direction here".to_owned();
        };
        match exp_map(&plane, probe, [-d[0], -d[1]], EDGE_RAY_LENGTH) {
            Ok(g) => match g.stopped {
                Some(StopReason::LeftModel) => format!(
                    "{:.4} to the edge, at ({:.3}, {:.3})",
                    g.length, g.end[0], g.end[1]
                ),
                Some(other) => format!("stops after {:.4}: {other}", g.length),
                None => {
                    format!("no edge within {EDGE_RAY_LENGTH} (toward a corner, infinitely far?)")
                }
            },
            Err(e) => e.to_string(),
        }
    };
    debug_assert!(plane.check(probe).is_ok());
    [describe(Some(c.grad)), describe(natural)]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Along both arrows from the pendulum's default probe the rays reach the upper edge, at
    /// Fisher–Rao lengths that differ (the arrows part by 46°): those of `fisherflow geodesic
    /// --system plant=pendulum --from 31.6,3.2 --direction …` along −∇C and −ñ (223.437 and
    /// 172.339); a probe outside says so.
    #[test]
    fn edge_distances_along_the_arrows() {
        let system: System = "plant=pendulum".parse().unwrap();
        let [grad, natural] = edge_distances(&system, [31.6, 3.2], 0.0);
        assert!(grad.contains("to the edge") && natural.contains("to the edge"));
        assert_ne!(grad, natural);
        let length = |s: &str| s.split_whitespace().next().unwrap().parse::<f64>().unwrap();
        assert!((length(&grad) - 223.4369).abs() < 1e-3, "{grad}");
        assert!((length(&natural) - 172.3394).abs() < 1e-3, "{natural}");
        let [outside, _] = edge_distances(&system, [5.0, 3.0], 0.0);
        assert!(outside.contains("outside"), "{outside}");
    }
}
