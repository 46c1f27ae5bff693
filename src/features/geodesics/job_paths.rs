//! The paths drawn from the probe when the scene asks for shortest paths: the Fisher–Rao
//! geodesic within the slice to θ* (and to its twin, where the twin lies in the slice) with its
//! slice distance, beside the natural-flow and Euclidean-descent paths from the same point.
//!
//! How it works: everything here is f64 on the CPU ([`compute_paths`]: a boundary-value solve
//! of the geodesic equation, [`crate::math::geodesic::shortest_path`], and two integrated
//! descent flows). A solve takes a noticeable fraction of a second, so the viewer never runs it
//! on the frame loop: it is a [`crate::jobs::Job`] of the simulation (the newest request wins;
//! the layer draws what is ready; captures compute it inside the frame).
//!
//! The descent paths follow −∇L and −(F + λI)⁻¹∇L (the scene's damping λ), parametrised by
//! arc length (each step moves a fixed distance in display units, so the polyline is evenly
//! dense whatever the gradient's size), integrated with the midpoint rule; they stop when L has
//! fallen to 1e-8 of its start, when the step would leave the model, when ñ is undefined, or
//! after [`MAX_DESCENT_STEPS`].

use std::time::Instant;

use crate::math::family::MixturePlane;
use crate::math::general::{fisher_slice, gradient, kl_divergence};
use crate::math::geodesic::{GeodesicError, ShortestPath, Stop, shortest_path_until};
use crate::math::sym2::natural_gradient;
use crate::math::{Model, QuadratureRule, Slice};
use crate::scene::Scene;

/// Quadrature nodes per component for the paths: F to ~1e-6 relative (math::general's table),
/// far below a pixel, at a quarter of the default rule's cost.
pub const PATH_NODES: u32 = 32;

/// The most steps a descent path takes.
pub const MAX_DESCENT_STEPS: usize = 1500;

/// Everything the paths depend on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PathKey {
    /// The target θ* (all five parameters; the held three are the slice's base).
    pub model: Model,
    /// The slice.
    pub slice: Slice,
    /// The start (the probe), slice coordinates.
    pub probe: [f64; 2],
    /// The natural gradient's damping λ.
    pub damping: f64,
    /// Display units per slice unit along the first axis (1 / the camera's `x_per_y`): the
    /// descent paths step evenly in display units.
    pub x_per_y: f64,
    /// The view's length scale (the step of the descent paths is 1/400 of it).
    pub scale: f64,
}

impl PathKey {
    /// The key of `scene`'s paths, or None when it asks for none (shortest paths off, no probe,
    /// a probe or target outside the model).
    pub fn for_scene(scene: &Scene) -> Option<Self> {
        if !(scene.features.geodesics.shortest_path && scene.offers(crate::scene::Feature::Paths)) {
            return None;
        }
        let probe = scene.inside_model(scene.probe?)?;
        Some(Self {
            model: scene.model,
            slice: scene.slice,
            probe,
            damping: scene.damping,
            x_per_y: scene.camera.x_per_y,
            scale: scene.length_scale(),
        })
    }
}

/// One shortest path, or why there is none.
pub type PathResult = Result<ShortestPath, String>;

/// Why a descent path ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DescentEnd {
    /// L fell to 1e-8 of its start.
    Converged,
    /// The next step would leave the model.
    LeftModel,
    /// The direction is undefined (ñ where F + λI is singular) or zero.
    Undefined,
    /// [`MAX_DESCENT_STEPS`] taken.
    StepLimit,
}

/// A descent path from the probe.
#[derive(Clone, Debug, PartialEq)]
pub struct DescentPath {
    /// The points, from the probe on.
    pub points: Vec<[f64; 2]>,
    /// Why it ended.
    pub end: DescentEnd,
}

/// The paths of one [`PathKey`].
#[derive(Clone, Debug, PartialEq)]
pub struct PathSet {
    /// What they were computed for.
    pub key: PathKey,
    /// The shortest path to θ*.
    pub to_target: PathResult,
    /// The shortest path to the twin, where the twin lies in the slice.
    pub to_twin: Option<PathResult>,
    /// The natural-flow path, along −(F + λI)⁻¹∇L.
    pub natural: DescentPath,
    /// The Euclidean-descent path, along −∇L.
    pub euclidean: DescentPath,
    /// Wall time of the solve, seconds.
    pub seconds: f64,
}

/// Solves every path of `key` (f64, on the calling thread).
pub fn compute_paths(key: &PathKey) -> PathSet {
    compute_paths_until(key, &|| false).expect("a solve that is never stopped finishes")
}

/// [`compute_paths`], asking `stop` as it goes (between the integrator's steps, the
/// relaxation's iterations and the descents' steps): None once it says true, so a background
/// job drops a request the user has already left (a probe dragged across a hard region)
/// instead of finishing it first.
pub fn compute_paths_until(key: &PathKey, stop: &Stop<'_>) -> Option<PathSet> {
    let start = Instant::now();
    let rule = QuadratureRule::new(PATH_NODES).expect("PATH_NODES is a valid node count");
    let target = key.slice.coords(&key.model);
    let plane = MixturePlane::new(&key.model, &key.slice, &rule);
    let solve = |to: [f64; 2]| match shortest_path_until(&plane, key.probe, to, stop) {
        Err(GeodesicError::Stopped) => None,
        solved => Some(solved.map_err(|e| e.to_string())),
    };
    let to_target = solve(target)?;
    let to_twin = match key.slice.twin(&key.model, &key.model) {
        Some(twin) => Some(solve(twin)?),
        None => None,
    };
    let natural = descend(key, &rule, true, stop)?;
    let euclidean = descend(key, &rule, false, stop)?;
    Some(PathSet {
        key: *key,
        to_target,
        to_twin,
        natural,
        euclidean,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The descent direction at `theta`: −ñ (natural) or −∇L, None where undefined.
fn direction(
    key: &PathKey,
    rule: &QuadratureRule,
    theta: [f64; 2],
    natural: bool,
) -> Option<[f64; 2]> {
    let model = key.slice.place(&key.model, theta);
    model.validate_for(&key.slice).ok()?;
    let grad = gradient(&model, &key.slice, &key.model, rule);
    let d = if natural {
        natural_gradient(&fisher_slice(&model, &key.slice, rule), key.damping, grad)?
    } else {
        grad
    };
    let d = [-d[0], -d[1]];
    (d[0].is_finite() && d[1].is_finite() && (d[0] != 0.0 || d[1] != 0.0)).then_some(d)
}

/// `d` scaled to unit length in display units (the first coordinate divided by x_per_y).
fn unit_display(key: &PathKey, d: [f64; 2]) -> [f64; 2] {
    let len = (d[0] / key.x_per_y).hypot(d[1]);
    [d[0] / len, d[1] / len]
}

/// One descent path from the probe: midpoint-rule steps of fixed display length; None once
/// `stop` says so.
fn descend(
    key: &PathKey,
    rule: &QuadratureRule,
    natural: bool,
    stop: &Stop<'_>,
) -> Option<DescentPath> {
    let h = key.scale / 400.0;
    let loss =
        |theta: [f64; 2]| kl_divergence(&key.slice.place(&key.model, theta), &key.model, rule);
    let l0 = loss(key.probe);
    let mut theta = key.probe;
    let mut points = vec![theta];
    let mut end = DescentEnd::StepLimit;
    for _ in 0..MAX_DESCENT_STEPS {
        if stop() {
            return None;
        }
        let Some(d1) = direction(key, rule, theta, natural) else {
            end = DescentEnd::Undefined;
            break;
        };
        let u1 = unit_display(key, d1);
        let mid = [theta[0] + 0.5 * h * u1[0], theta[1] + 0.5 * h * u1[1]];
        let Some(d2) = direction(key, rule, mid, natural) else {
            end = DescentEnd::Undefined;
            break;
        };
        let u2 = unit_display(key, d2);
        let next = [theta[0] + h * u2[0], theta[1] + h * u2[1]];
        if key
            .slice
            .place(&key.model, next)
            .validate_for(&key.slice)
            .is_err()
        {
            end = DescentEnd::LeftModel;
            break;
        }
        // Unit-length steps overshoot the minimum and zig-zag about it: stop once the loss no
        // longer falls, or has fallen far enough.
        let l_next = loss(next);
        if l_next.is_nan() || l_next >= loss(theta) {
            end = DescentEnd::Converged;
            break;
        }
        theta = next;
        points.push(theta);
        if l_next <= 1e-8 * l0 {
            end = DescentEnd::Converged;
            break;
        }
    }
    Some(DescentPath { points, end })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::Scene;

    fn seed_key() -> PathKey {
        let mut scene = Scene::default();
        scene.features.geodesics.shortest_path = true;
        PathKey::for_scene(&scene).expect("the default scene has a probe")
    }

    /// A stop request ends the solve wherever it is: at once, or after a few hundred of its
    /// checks (inside the shortest paths or the descents). Never asked to stop, the same key
    /// gives the whole set (the control).
    #[test]
    fn a_stop_request_drops_the_paths() {
        let key = seed_key();
        assert!(compute_paths_until(&key, &|| true).is_none());
        let asked = std::sync::atomic::AtomicUsize::new(0);
        let later = || asked.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= 300;
        assert!(compute_paths_until(&key, &later).is_none());
        let checks = asked.load(std::sync::atomic::Ordering::Relaxed);
        assert!(
            (301..400).contains(&checks),
            "{checks} checks: the solve stopped soon after the request"
        );
        let whole = compute_paths_until(&key, &|| false).expect("never stopped");
        assert!(whole.to_target.is_ok() && whole.natural.points.len() > 1);
    }

    /// Both descent paths start at the probe and end at a minimum of L (θ* or its twin, the
    /// same distribution), with the loss falling, and the shortest path to that minimum is no
    /// longer (in Fisher–Rao length) than the descent path closed up to it.
    #[test]
    fn descent_paths_reach_a_minimum_and_the_geodesic_is_shortest() {
        let key = seed_key();
        let set = compute_paths(&key);
        let target = key.slice.coords(&key.model);
        let twin = key
            .slice
            .twin(&key.model, &key.model)
            .expect("seed slice twin");
        let rule = QuadratureRule::new(PATH_NODES).unwrap();
        for path in [&set.natural, &set.euclidean] {
            assert_eq!(path.points[0], key.probe);
            let last = *path.points.last().unwrap();
            let miss = |m: [f64; 2]| (last[0] - m[0]).hypot(last[1] - m[1]);
            let (end, result) = if miss(target) < miss(twin) {
                (target, set.to_target.as_ref())
            } else {
                (twin, set.to_twin.as_ref().unwrap().as_ref())
            };
            assert!(
                miss(end) < 0.05,
                "{:?} ends {} from the nearest minimum",
                path.end,
                miss(end)
            );
            let sp = result.expect("a shortest path");
            let mut closed = path.points.clone();
            closed.push(end);
            let plane = MixturePlane::new(&key.model, &key.slice, &rule);
            let length = crate::math::geodesic::polyline_length(&plane, &closed);
            assert!(
                sp.distance <= length + 1e-6,
                "geodesic {} vs descent {length}",
                sp.distance
            );
            // Negative control: halfway along, the path is still far from the minimum.
            let half = path.points[path.points.len() / 2];
            assert!((half[0] - end[0]).hypot(half[1] - end[1]) > 0.05);
        }
    }

    /// No key without a probe or with shortest paths off.
    #[test]
    fn no_key_when_not_asked() {
        let mut scene = Scene::default();
        assert!(PathKey::for_scene(&scene).is_none());
        scene.features.geodesics.shortest_path = true;
        scene.probe = None;
        assert!(PathKey::for_scene(&scene).is_none());
    }
}
