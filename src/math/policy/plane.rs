//! The policy plane as a [`Plane`]: the canvas is K = (k1, k2), the model the stability
//! triangle, the metric F = Σ_K/σ², the loss the cost C(K); the optimizers may precondition
//! with F (the natural policy gradient) or with the Gauss–Newton matrix (R + BᵀP_K B)Σ_K.

use super::lqr::Lqr;
use super::system::System;
use crate::math::family::{MetricJet, Plane, Preconditioner, TargetTerms};
use crate::math::sym2::Sym2;

/// A system's gains plane.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PolicyPlane {
    /// The closed loop under any gains.
    pub lqr: Lqr,
}

impl PolicyPlane {
    /// The plane of `system` (assumed valid: [`System::validate`]).
    pub fn new(system: &System) -> Self {
        Self {
            lqr: Lqr::new(system),
        }
    }

    /// A value that exists only inside the triangle. Outside, a panic: the [`Plane`] contract
    /// has callers check first, so reaching it is a caller's bug.
    fn inside<T>(&self, k: [f64; 2], value: Option<T>) -> T {
        value.unwrap_or_else(|| {
            // The trait's contract: callers check first. Reaching this is a bug in a caller.
            panic!(
                "PolicyPlane: gains ({}, {}) are outside the stability triangle (ρ = {}); \
                 Plane callers check first",
                k[0],
                k[1],
                self.lqr.spectral_radius(k)
            )
        })
    }
}

impl Plane for PolicyPlane {
    fn check(&self, k: [f64; 2]) -> Result<(), String> {
        if !k.iter().all(|v| v.is_finite()) {
            return Err(format!("the gains ({}, {}) are not finite", k[0], k[1]));
        }
        if self.lqr.evaluate(k).closed.is_some() {
            Ok(())
        } else {
            Err(format!(
                "unstable: ρ(A_K) = {}",
                self.lqr.spectral_radius(k)
            ))
        }
    }

    fn metric(&self, k: [f64; 2]) -> Sym2<f64> {
        let point = self.lqr.evaluate(k);
        self.inside(k, point.closed).fisher
    }

    fn metric_jet(&self, k: [f64; 2]) -> MetricJet {
        self.inside(k, self.lqr.metric_jet(k))
    }

    /// Σ_K grows like 1/(1 − ρ²) toward the triangle's open edges, which lie at a finite
    /// Fisher–Rao distance: an ill-conditioned F there means the edge is reached.
    fn edges_blow_up(&self) -> bool {
        true
    }

    /// A thirty-second of the triangle's extent along each gain (4/dt² and 4/dt): the gains'
    /// scales differ by 4/dt, 40–80× on the default plants.
    fn coordinate_scales(&self, _k: [f64; 2]) -> [f64; 2] {
        let dt = self.lqr.system.dt();
        [4.0 / (dt * dt) / 32.0, 4.0 / dt / 32.0]
    }

    fn target_terms(&self, k: [f64; 2], _with_empirical_fisher: bool) -> TargetTerms {
        let closed = self.inside(k, self.lqr.evaluate(k).closed);
        TargetTerms {
            loss: closed.cost,
            grad: closed.grad,
            empirical_fisher: None,
        }
    }

    /// REINFORCE's ∇̂C_{H,σ} (with the per-step baseline) and F̂ from `samples` rollouts of
    /// `horizon` steps, stream 1 + `step` of `seed` ([`super::sampling`]).
    fn sampled(
        &self,
        k: [f64; 2],
        samples: u32,
        horizon: u32,
        seed: u32,
        step: u32,
    ) -> Option<([f64; 2], Sym2<f64>)> {
        let stream = crate::math::estimates::stream_model(step);
        let e = super::sampling::estimate(&self.lqr, k, samples, horizon, seed, stream, true);
        Some((e.grad, e.fisher))
    }

    fn samples_rollouts(&self) -> bool {
        true
    }

    /// F (npg) and the Gauss–Newton matrix; the mixture's data-based Fishers do not exist here.
    fn offers(&self, which: Preconditioner) -> bool {
        matches!(which, Preconditioner::Fisher | Preconditioner::GaussNewton)
    }

    fn preconditioner(&self, which: Preconditioner, k: [f64; 2], _: &TargetTerms) -> Sym2<f64> {
        let closed = self.inside(k, self.lqr.evaluate(k).closed);
        match which {
            Preconditioner::GaussNewton => {
                let s = closed.sigma;
                Sym2::new(closed.h * s.xx, closed.h * s.xy, closed.h * s.yy)
            }
            _ => closed.fisher,
        }
    }
}
