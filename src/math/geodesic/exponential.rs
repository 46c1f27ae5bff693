//! The exponential map: the geodesic from a point in a direction, followed for a given
//! Fisher–Rao length.

use super::flow::{Flow, Stepping, dense_path, metric_is_safe};
use super::jet::speed_squared;
use super::{GeodesicError, check_point};
use crate::math::family::Plane;

/// Why a geodesic stopped before its requested length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The next step would leave the model's domain (σ ≤ 0, or π ∉ (0, 1) on a slice with π).
    LeftModel,
    /// F stopped being safely positive definite (κ > [`SINGULAR_CONDITION_GEODESIC`], det ≤ 0,
    /// or the step shrank below its floor there): the geodesic reached the singular set.
    ///
    /// [`SINGULAR_CONDITION_GEODESIC`]: super::SINGULAR_CONDITION_GEODESIC
    SingularSet,
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StopReason::LeftModel => "left the model",
            StopReason::SingularSet => "singular set",
        })
    }
}

/// A geodesic from the exponential map.
#[derive(Clone, Debug, PartialEq)]
pub struct Geodesic {
    /// Slice coordinates along it, dense (a point at least every 1/128 of its length and
    /// small steps in coordinates), from the start to `end`.
    pub path: Vec<[f64; 2]>,
    /// The last point: where the requested length was reached, or the last valid point.
    pub end: [f64; 2],
    /// The Fisher–Rao length travelled (the requested one unless it stopped early).
    pub length: f64,
    /// Why it stopped early; None when it went the whole length.
    pub stopped: Option<StopReason>,
}

/// The exponential map: the geodesic from `from` with initial direction `direction` (slice
/// coordinates; normalized to unit Fisher–Rao speed, vᵀF v = 1), followed for Fisher–Rao
/// length `length`.
///
/// Integrated by Dormand–Prince 5(4) in f64 with per-step error ≤ 1e-8 in the metric's norm,
/// steps capped at 0.25 in length and at the plane's coordinate scales (the mixture: σ/4, π: 0.05). It stops early,
/// with `stopped` saying why and `length` the length reached, where the next point would leave
/// the model, or where F is no longer safely positive definite (κ > 1e10, det ≤ 0, or the
/// step shrinks below 1e-12 in length there). A start on the singular set stops at once
/// (length 0).
pub fn exp_map(
    plane: &dyn Plane,
    from: [f64; 2],
    direction: [f64; 2],
    length: f64,
) -> Result<Geodesic, GeodesicError> {
    check_point(plane, "start", from)?;
    if !(direction.iter().all(|d| d.is_finite()) && direction != [0.0, 0.0]) {
        return Err(GeodesicError::BadDirection { direction });
    }
    if !(length.is_finite() && length >= 0.0) {
        return Err(GeodesicError::BadLength { length });
    }
    let flow = Flow::new(plane);
    let stay = |stopped| Geodesic {
        path: vec![from],
        end: from,
        length: 0.0,
        stopped,
    };
    let f = flow.metric(from).expect("the start point was validated");
    if !metric_is_safe(&f) {
        return Ok(stay(Some(StopReason::SingularSet)));
    }
    if length == 0.0 {
        return Ok(stay(None));
    }
    let norm = speed_squared(&f, direction).sqrt();
    let v = direction.map(|d| d / norm);
    let y0 = [from[0], from[1], v[0], v[1]];
    let first = length.min(0.05);
    let Ok(run) = flow.integrate(y0, length, 1.0, Stepping::Adaptive { first }) else {
        return Ok(stay(Some(StopReason::SingularSet)));
    };
    let last = run.last();
    let mut path = dense_path(&flow, &run, 1.0, length);
    path[0] = from;
    Ok(Geodesic {
        end: [last.y[0], last.y[1]],
        length: last.t,
        stopped: run.stopped,
        path,
    })
}
