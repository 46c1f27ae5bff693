//! The f64 mirror of `shaders/geodesic.wgsl` and `shaders/geodesic_policy.wgsl`: the geodesic
//! ball's scheme — the same
//! directions, samples, substep cap, budget and stop rule — built on [`crate::math::geodesic`]'s exact jet
//! (`metric_jet`, `christoffel`, `acceleration`). Read it beside the shader: `start`, `step`
//! (one substep) and `ring` (the budget check) are the kernel's three entry points, here one
//! loop per geodesic.
//!
//! The kernel integrates in u = B·θ (its accumulation basis) and this mirror in θ: B is
//! orthonormal and fixed, RK4 commutes with linear maps, and every quantity the scheme tests
//! (|θ̈|/|θ̇|, κ, the coordinate scales on θ̇) is the same in both, so the two differ by
//! rounding only.

use crate::gpu::geodesic_data::{
    BallFrame, BallSpec, KAPPA_MAX, STEP_CAP, STOP_OUTSIDE, STOP_SINGULAR, STOP_STEP,
    SUBSTEP_BUDGET, ball_frame, condition, policy_ball_frame,
};
use crate::math::family::Plane;
use crate::math::general::metric_jet;
use crate::math::geodesic::{MetricJet, acceleration, christoffel, speed_squared};
use crate::math::policy::{PolicyPlane, System};
use crate::math::{Model, Param, QuadratureRule, Slice};

/// One geodesic of a ball: its path (steps + 1 offsets from the probe, the last the tip; a
/// stopped geodesic repeats the point it froze at) and its STOP_* flags (0: reached length r).
#[derive(Clone, Debug, PartialEq)]
pub struct Geodesic {
    /// θ − probe after 0, 1, …, steps steps.
    pub path: Vec<[f64; 2]>,
    /// STOP_* bits.
    pub flags: u32,
    /// The largest κ met at an accepted point (how close the stop rule came).
    pub kappa_max: f64,
}

impl Geodesic {
    /// The tip (θ − probe after the last step).
    pub fn tip(&self) -> [f64; 2] {
        *self.path.last().expect("a path holds at least its start")
    }
}

/// The jet at a point, or the stop flag it raises there.
struct Evaluation {
    jet: MetricJet,
    kappa: f64,
}

/// A family's half of the scheme (the kernel's `evaluate` and `scale_at`): at the offset `x`
/// from the probe, the metric's jet or the stop flag, and the step cap's coordinate scales.
trait BallField {
    /// The jet at `x`, or [`STOP_OUTSIDE`] outside the model.
    fn jet(&self, x: [f64; 2]) -> Result<MetricJet, u32>;
    /// The coordinate scales ℓ at `x`.
    fn scales(&self, x: [f64; 2]) -> [f64; 2];
}

/// The jet at `x` if it is safely positive definite (κ ≤ KAPPA_MAX), else the stop flag.
fn evaluate(field: &dyn BallField, x: [f64; 2]) -> Result<Evaluation, u32> {
    let jet = field.jet(x)?;
    match condition(&jet.metric) {
        Some(kappa) if (1.0..=KAPPA_MAX).contains(&kappa) => Ok(Evaluation { jet, kappa }),
        _ => Err(STOP_SINGULAR),
    }
}

/// The mixture on a slice: `geodesic.wgsl`'s point model.
struct MixtureField<'a> {
    spec: &'a BallSpec,
    rule: &'a QuadratureRule,
}

impl MixtureField<'_> {
    fn model(&self, x: [f64; 2]) -> Model {
        let p = self.spec.probe;
        self.spec
            .slice
            .place(&self.spec.base, [p[0] + x[0], p[1] + x[1]])
    }
}

impl BallField for MixtureField<'_> {
    fn jet(&self, x: [f64; 2]) -> Result<MetricJet, u32> {
        let model = self.model(x);
        if !inside(&model, &self.spec.slice) {
            return Err(STOP_OUTSIDE);
        }
        Ok(metric_jet(&model, &self.spec.slice, self.rule))
    }

    fn scales(&self, x: [f64; 2]) -> [f64; 2] {
        let model = self.model(x);
        [
            scale_of(self.spec.slice.a, &model),
            scale_of(self.spec.slice.b, &model),
        ]
    }
}

/// The policy plane: `geodesic_policy.wgsl`'s closed-form jet of F = Σ_K/σ² about the probe's
/// gains.
struct PolicyField {
    plane: PolicyPlane,
    probe: [f64; 2],
}

impl BallField for PolicyField {
    fn jet(&self, x: [f64; 2]) -> Result<MetricJet, u32> {
        let k = [self.probe[0] + x[0], self.probe[1] + x[1]];
        if !self.plane.lqr.stable(k) {
            return Err(STOP_OUTSIDE);
        }
        Ok(self.plane.metric_jet(k))
    }

    fn scales(&self, x: [f64; 2]) -> [f64; 2] {
        self.plane.coordinate_scales(x)
    }
}

/// The kernel's `point_model` test: σ's positive, π in (0, 1) where π varies ([0, 1] held).
fn inside(model: &Model, slice: &Slice) -> bool {
    let pi_ok = if slice.contains(Param::Pi) {
        model.pi > 0.0 && model.pi < 1.0
    } else {
        (0.0..=1.0).contains(&model.pi)
    };
    pi_ok && model.sigma1 > 0.0 && model.sigma2 > 0.0 && (model.mu2 - model.mu1).abs() < 1e30
}

/// The step cap's coordinate scale of slice parameter `p` at `model`.
fn scale_of(p: Param, model: &Model) -> f64 {
    match p {
        Param::Pi => model.pi.min(1.0 - model.pi),
        Param::Mu1 | Param::Sigma1 => model.sigma1,
        Param::Mu2 | Param::Sigma2 => model.sigma2,
    }
}

/// The kernel's `cap_rate`: max(|a|/|v|, max_k |v_k|/ℓ_k).
fn cap_rate(field: &dyn BallField, x: [f64; 2], v: [f64; 2], a: [f64; 2]) -> f64 {
    let norm = |w: [f64; 2]| w[0].hypot(w[1]);
    let turn = norm(a) / norm(v);
    let scale = field.scales(x);
    let move_rate = (v[0].abs() / scale[0]).max(v[1].abs() / scale[1]);
    turn.max(move_rate)
}

fn accel(jet: &MetricJet, v: [f64; 2]) -> [f64; 2] {
    // Evaluations only return jets with κ ≤ KAPPA_MAX, so the symbols exist.
    acceleration(
        &christoffel(jet).expect("an accepted jet is positive definite"),
        v,
    )
}

fn axpy(x: [f64; 2], s: f64, y: [f64; 2]) -> [f64; 2] {
    [x[0] + s * y[0], x[1] + s * y[1]]
}

/// The ball in f64: one [`Geodesic`] per ray, in ray order, or None where the kernel would
/// not start (probe outside the model or F there not safely positive definite:
/// [`ball_frame`]).
pub fn geodesic_ball(spec: &BallSpec, rule: &QuadratureRule) -> Option<Vec<Geodesic>> {
    let frame = ball_frame(&spec.base, &spec.slice, spec.probe, rule)?;
    let field = MixtureField { spec, rule };
    Some(shoot(&field, &frame, spec.radius, spec.rays, spec.steps))
}

/// The policy plane's ball in f64 (`geodesic_policy.wgsl`'s mirror): `rays` geodesics of
/// length `radius` in `steps` samples about the gains `probe` of `system`, or None where the
/// kernel would not start ([`policy_ball_frame`]).
pub fn policy_geodesic_ball(
    system: &System,
    probe: [f64; 2],
    radius: f64,
    rays: u32,
    steps: u32,
) -> Option<Vec<Geodesic>> {
    let frame = policy_ball_frame(system, probe)?;
    let field = PolicyField {
        plane: PolicyPlane::new(system),
        probe,
    };
    Some(shoot(&field, &frame, radius, rays, steps))
}

/// The kernel's `start` for every ray, then each geodesic's integration.
fn shoot(
    field: &dyn BallField,
    frame: &BallFrame,
    radius: f64,
    rays: u32,
    steps: u32,
) -> Vec<Geodesic> {
    let steps = steps.max(1);
    let h = radius / steps as f64;
    let m = frame.start_dir;
    (0..rays)
        .map(|i| {
            let alpha = std::f64::consts::TAU * i as f64 / rays as f64;
            let e = [alpha.cos(), alpha.sin()];
            let v0 = [
                m[0][0] * e[0] + m[0][1] * e[1],
                m[1][0] * e[0] + m[1][1] * e[1],
            ];
            integrate(field, h, steps, v0)
        })
        .collect()
}

/// One geodesic from the probe with initial velocity `v0`: up to steps × SUBSTEP_BUDGET calls
/// of the kernel's `step` (one substep each), then its `ring`'s budget check.
fn integrate(field: &dyn BallField, h: f64, steps: u32, v0: [f64; 2]) -> Geodesic {
    let mut g = Geodesic {
        path: vec![[0.0; 2]],
        flags: 0,
        kappa_max: 0.0,
    };
    let mut x = [0.0; 2];
    let mut v = v0;
    let mut jet = match evaluate(field, x) {
        Ok(e) => {
            g.kappa_max = e.kappa;
            e.jet
        }
        Err(f) => {
            g.flags = f;
            g.path.resize(steps as usize + 1, x);
            return g;
        }
    };
    let mut progress = 0.0;
    for _ in 0..steps * SUBSTEP_BUDGET {
        if g.path.len() > steps as usize {
            break;
        }
        match substep(field, h - progress, x, v, &jet) {
            Ok(s) => {
                (x, v, jet) = (s.x, s.v, s.end.jet);
                g.kappa_max = g.kappa_max.max(s.end.kappa);
                if s.finishes {
                    g.path.push(x);
                    progress = 0.0;
                } else {
                    progress += s.length;
                }
            }
            Err(f) => {
                g.flags = f;
                break;
            }
        }
    }
    if g.flags == 0 && g.path.len() <= steps as usize {
        g.flags = STOP_STEP;
    }
    // A stopped geodesic's remaining samples are the point it froze at.
    g.path.resize(steps as usize + 1, x);
    g
}

/// A substep taken.
struct Substep {
    /// It landed on the next sample.
    finishes: bool,
    /// Its arc length.
    length: f64,
    /// Where it ended.
    x: [f64; 2],
    /// The velocity there.
    v: [f64; 2],
    /// The evaluation there.
    end: Evaluation,
}

/// The kernel's `step`: renormalise, cap the substep, RK4; Err: the stop flag (the geodesic
/// stays at `x`).
fn substep(
    field: &dyn BallField,
    left: f64,
    x: [f64; 2],
    v: [f64; 2],
    jet: &MetricJet,
) -> Result<Substep, u32> {
    let s = speed_squared(&jet.metric, v).sqrt();
    let v = [v[0] / s, v[1] / s];
    let a = accel(jet, v);
    let cap = STEP_CAP / cap_rate(field, x, v, a);
    // A NaN rate stops too, as in the kernel (`!(cap > 0.0)`).
    if cap.is_nan() || cap <= 0.0 {
        return Err(STOP_STEP);
    }
    let finishes = cap >= left;
    let hs = if finishes { left } else { cap };
    let x2 = axpy(x, 0.5 * hs, v);
    let v2 = axpy(v, 0.5 * hs, a);
    let a2 = accel(&evaluate(field, x2)?.jet, v2);
    let x3 = axpy(x, 0.5 * hs, v2);
    let v3 = axpy(v, 0.5 * hs, a2);
    let a3 = accel(&evaluate(field, x3)?.jet, v3);
    let x4 = axpy(x, hs, v3);
    let v4 = axpy(v, hs, a3);
    let a4 = accel(&evaluate(field, x4)?.jet, v4);
    let w = hs / 6.0;
    let x_next = std::array::from_fn(|k| x[k] + w * (v[k] + 2.0 * v2[k] + 2.0 * v3[k] + v4[k]));
    let v_next = std::array::from_fn(|k| v[k] + w * (a[k] + 2.0 * a2[k] + 2.0 * a3[k] + a4[k]));
    Ok(Substep {
        finishes,
        length: hs,
        x: x_next,
        v: v_next,
        end: evaluate(field, x_next)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The half-plane's closed form (MATH.md): tips on the ellipse centred (μ0, σ0 cosh ρ) with
    /// semi-axes √2σ0 sinh ρ and σ0 sinh ρ, ρ = r/√2; a wrong radius misses it.
    #[test]
    fn half_plane_tips_lie_on_the_closed_form_circle() {
        let (mu0, sigma0, r) = (0.3, 0.8, 1.0);
        let spec = BallSpec {
            base: Model::from_array([1.0, mu0, 0.0, sigma0, 1.0]),
            slice: Slice::new(Param::Mu1, Param::Sigma1).unwrap(),
            probe: [mu0, sigma0],
            radius: r,
            rays: 16,
            steps: 64,
        };
        let rule = QuadratureRule::new(32).unwrap();
        let ball = geodesic_ball(&spec, &rule).unwrap();
        let rho = r / 2f64.sqrt();
        let level = |t: [f64; 2]| {
            let dx = t[0] / (2f64.sqrt() * sigma0 * rho.sinh());
            let dy = (sigma0 + t[1] - sigma0 * rho.cosh()) / (sigma0 * rho.sinh());
            (dx * dx + dy * dy).sqrt() - 1.0
        };
        for g in &ball {
            assert_eq!(g.flags, 0);
            assert!(
                level(g.tip()).abs() < 1e-6,
                "{:?}: {}",
                g.tip(),
                level(g.tip())
            );
        }
        let short = geodesic_ball(
            &BallSpec {
                radius: 0.99,
                ..spec
            },
            &rule,
        )
        .unwrap();
        assert!(short.iter().all(|g| level(g.tip()).abs() > 1e-3));
    }
}
