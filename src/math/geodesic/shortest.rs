//! The shortest path between two points of a slice (its length is the slice distance):
//! shooting from a relaxed polyline, else relaxation on finer polylines.

use super::flow::{Flow, SHOOTING_SLOPE_BUDGET, Stop};
use super::relax::{fine_length, refine, relax, subdivide};
use super::shooting::shoot;
use super::{GeodesicError, check_point};
use crate::math::family::Plane;

/// How [`shortest_path`] found its answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathMethod {
    /// Shooting: Newton on the initial velocity of the exponential map, started from a relaxed
    /// discrete path. The path is a geodesic to integrator accuracy (distance error ~1e-7).
    Shooting,
    /// Relaxation: the discrete energy of a polyline minimized on finer and finer polylines
    /// (used where shooting fails, e.g. when the path must touch the singular set; measured
    /// error 3e-6 for the seed's twin, 3.5e-4 for a path ending on the diagonal).
    Relaxation,
}

impl std::fmt::Display for PathMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PathMethod::Shooting => "shooting",
            PathMethod::Relaxation => "relaxation",
        })
    }
}

/// A shortest path between two points of a slice.
#[derive(Clone, Debug, PartialEq)]
pub struct ShortestPath {
    /// The slice distance: the Fisher–Rao length of the path.
    pub distance: f64,
    /// Slice coordinates, starting exactly at `from` and ending exactly at `to`.
    pub path: Vec<[f64; 2]>,
    /// How it was found.
    pub method: PathMethod,
    /// An estimate of the absolute error of `distance`.
    pub error_estimate: f64,
}

/// Segments of the relaxed polyline that seeds shooting.
const GUESS_SEGMENTS: usize = 16;
/// Segments of the finest relaxation level (the fallback answer).
const FINE_SEGMENTS: usize = 64;

/// The shortest path within the slice from `from` to `to` (slice coordinates) and its
/// Fisher–Rao length, the slice distance (MATH.md, "Geodesics").
///
/// 1. Relax a 16-segment polyline (the straight line to start with) roughly toward a
///    minimizer of the discrete energy Σ δᵀḠδ (Ḡ: F averaged along each segment by Simpson).
/// 2. Shoot: Newton on the initial velocity of the exponential map (the integrator of
///    [`exp_map`]), started from the relaxed polyline's initial velocity. When it converges
///    to a geodesic no longer than the relaxed polyline (2% slack), that is the answer
///    ([`PathMethod::Shooting`]); its distance error is the integrator's, ~1e-7.
///    Shooting's integrations share a budget of right-hand-side evaluations
///    (`SHOOTING_SLOPE_BUDGET`); spent, it gives up.
/// 3. Otherwise (shooting cannot cross the singular set: a point and its label-swapped twin on
///    the seed's slice, an end on the singular set), relax on finer polylines up to 64
///    segments ([`PathMethod::Relaxation`]); the distance is the last one's length, each
///    segment measured in 8 pieces, and the path is that polyline in those pieces (so
///    [`polyline_length`] of it is the distance exactly); the error estimate is twice the
///    change from the 32-segment level.
///
/// [`exp_map`]: super::exp_map
/// [`polyline_length`]: super::polyline_length
pub fn shortest_path(
    plane: &dyn Plane,
    from: [f64; 2],
    to: [f64; 2],
) -> Result<ShortestPath, GeodesicError> {
    shortest_path_until(plane, from, to, &|| false)
}

/// [`shortest_path`], asking `stop` between the integrator's steps and the relaxation's
/// iterations: once it says true, the solve ends with [`GeodesicError::Stopped`] (a background
/// job whose request a newer one replaced).
pub fn shortest_path_until(
    plane: &dyn Plane,
    from: [f64; 2],
    to: [f64; 2],
    stop: &Stop<'_>,
) -> Result<ShortestPath, GeodesicError> {
    check_point(plane, "start", from)?;
    check_point(plane, "end", to)?;
    if from == to {
        return Ok(ShortestPath {
            distance: 0.0,
            path: vec![from, to],
            method: PathMethod::Shooting,
            error_estimate: 0.0,
        });
    }
    let flow = Flow::with_budget(plane, SHOOTING_SLOPE_BUDGET).stopping_when(stop);
    let no_path = |reason: &str| GeodesicError::NoPath {
        from,
        to,
        reason: reason.to_owned(),
    };
    let mut pts: Vec<[f64; 2]> = (0..=GUESS_SEGMENTS)
        .map(|k| {
            let s = k as f64 / GUESS_SEGMENTS as f64;
            [
                from[0] + s * (to[0] - from[0]),
                from[1] + s * (to[1] - from[1]),
            ]
        })
        .collect();
    // A rough minimizer is enough to land in Newton's basin.
    let guess = relax(&flow, &mut pts, 15, 1e-8)
        .ok_or_else(|| no_path("the metric could not be evaluated along the straight line"))?;
    // Through the singular set (a point and its label-swapped twin on the seed's slice) shooting
    // would spend its Newton iterations in vain (~0.15 s): go straight to the fine relaxation.
    if !guess.touches_singular_set
        && !flow.stopped()
        && let Some(found) = shoot(&flow, from, to, &pts, guess.length)
    {
        return Ok(found);
    }
    let mut previous = f64::NAN;
    let mut length = f64::NAN;
    while pts.len() - 1 < FINE_SEGMENTS {
        pts = refine(&pts);
        relax(&flow, &mut pts, 30, 1e-9)
            .ok_or_else(|| no_path("the metric could not be evaluated along the polyline"))?;
        previous = length;
        length = fine_length(&flow, &pts);
    }
    if flow.stopped() {
        return Err(GeodesicError::Stopped);
    }
    if !length.is_finite() {
        return Err(no_path("the relaxed path has no finite length"));
    }
    let path = subdivide(&pts);
    Ok(ShortestPath {
        distance: length,
        path,
        method: PathMethod::Relaxation,
        // Twice the change between the last two levels: on the seed's twin pairs the lengths
        // converge faster than h² (the change overestimates the error tenfold), but toward an
        // end on the singular set only like h (the error equals the change).
        error_estimate: 2.0 * (length - previous).abs(),
    })
}
