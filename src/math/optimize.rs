//! Optimizers on a slice of the general mixture, in f64: gradient descent, heavy-ball momentum,
//! Adam, natural gradient (plain and damped), the empirical-Fisher natural gradient and the
//! Monte-Carlo-Fisher natural gradient (MATH.md, "Fisher estimates"). The reference the viewer's
//! race, `fisherflow optimize` and the GPU convergence map are tested against.
//!
//! Every run starts at slice coordinates `start` and minimises L(θ) = KL(p_θ* ‖ p_θ) over the
//! slice (the three held parameters from the target). Steps that leave the model's domain
//! (σ ≤ 0, π outside (0, 1)) end the run and are reported ([`Stop::LeftDomain`]), never clamped.

use serde::{Deserialize, Serialize};

pub use super::family::TargetTerms;
use super::family::{Plane, Preconditioner};
use super::sym2::{SINGULAR_CONDITION, natural_gradient};

/// One of the seven optimizers, named as on the command line (`gd`, `momentum`, `adam`, `ngd`,
/// `ngd-damped`, `ef-ngd`, `mc-ngd`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Optimizer {
    /// θ ← θ − lr ∇L.
    Gd,
    /// Heavy ball: v ← βv + ∇L, θ ← θ − lr v.
    Momentum,
    /// Adam (Kingma & Ba) with bias correction.
    Adam,
    /// θ ← θ − lr F⁻¹∇L (F the slice block of the Fisher matrix).
    Ngd,
    /// θ ← θ − lr (F + λI)⁻¹∇L.
    NgdDamped,
    /// θ ← θ − lr EF⁻¹∇L, EF the population empirical Fisher under the target.
    EfNgd,
    /// θ ← θ − lr F̂⁻¹∇L, F̂ the Monte-Carlo Fisher from N model samples, resampled each step.
    McNgd,
    /// The policy plane's natural policy gradient K ← K − lr F⁻¹∇C, F = Σ_K/σ² (Kakade): the
    /// same step as `ngd`, under the name control papers use.
    Npg,
    /// The policy plane's Gauss–Newton step K ← K − lr (R + BᵀP_K B)⁻¹∇C Σ_K⁻¹; lr = ½ is
    /// policy iteration.
    GaussNewton,
    /// Policy gradient from rollouts: K ← K − lr ∇̂C_{H,σ} (REINFORCE, per-step baseline, N
    /// rollouts of horizon H, resampled each step).
    PgMc,
    /// Natural policy gradient from rollouts: K ← K − lr F̂⁻¹∇̂C_{H,σ}, both from the same
    /// rollouts.
    NpgMc,
}

impl Optimizer {
    /// The mixture's optimizers, in the order the UI and the JSON list them.
    pub const MIXTURE: [Optimizer; 7] = [
        Optimizer::Gd,
        Optimizer::Momentum,
        Optimizer::Adam,
        Optimizer::Ngd,
        Optimizer::NgdDamped,
        Optimizer::EfNgd,
        Optimizer::McNgd,
    ];

    /// The policy plane's optimizers, in the order the JSON lists them.
    pub const POLICY: [Optimizer; 7] = [
        Optimizer::Gd,
        Optimizer::Momentum,
        Optimizer::Adam,
        Optimizer::Npg,
        Optimizer::GaussNewton,
        Optimizer::PgMc,
        Optimizer::NpgMc,
    ];

    /// The policy plane's optimizers the viewer races by default (and `optimize --system`
    /// runs by default): all but the sample-based two, which cost N rollouts per step (the
    /// viewer offers them unticked).
    pub const POLICY_RACE: [Optimizer; 5] = [
        Optimizer::Gd,
        Optimizer::Momentum,
        Optimizer::Adam,
        Optimizer::Npg,
        Optimizer::GaussNewton,
    ];

    /// Every optimizer of both families: the mixture's, then the policy plane's own (the
    /// declaration order, which [`Optimizer::index`] follows).
    pub fn every() -> impl Iterator<Item = Optimizer> {
        Optimizer::MIXTURE
            .into_iter()
            .chain(Optimizer::POLICY[3..].iter().copied())
    }

    /// The command-line and JSON name.
    pub fn name(self) -> &'static str {
        match self {
            Optimizer::Gd => "gd",
            Optimizer::Momentum => "momentum",
            Optimizer::Adam => "adam",
            Optimizer::Ngd => "ngd",
            Optimizer::NgdDamped => "ngd-damped",
            Optimizer::EfNgd => "ef-ngd",
            Optimizer::McNgd => "mc-ngd",
            Optimizer::Npg => "npg",
            Optimizer::GaussNewton => "gauss-newton",
            Optimizer::PgMc => "pg-mc",
            Optimizer::NpgMc => "npg-mc",
        }
    }

    /// Position in [`Optimizer::every`] (the mixture's come first, so this is also the
    /// position in [`Optimizer::MIXTURE`]).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The matrix step `k` preconditions ∇L with and the damping λ added to it; None for the
    /// first-order optimizers (gd, momentum, adam).
    pub fn preconditioner(self, hyper: &Hyperparameters, k: u32) -> Option<(Preconditioner, f64)> {
        match self {
            Optimizer::Gd
            | Optimizer::Momentum
            | Optimizer::Adam
            | Optimizer::PgMc
            | Optimizer::NpgMc => None,
            Optimizer::Ngd | Optimizer::Npg => Some((Preconditioner::Fisher, 0.0)),
            Optimizer::GaussNewton => Some((Preconditioner::GaussNewton, 0.0)),
            Optimizer::NgdDamped => Some((Preconditioner::Fisher, hyper.damping)),
            Optimizer::EfNgd => Some((Preconditioner::EmpiricalFisher, 0.0)),
            Optimizer::McNgd => Some((
                Preconditioner::MonteCarloFisher {
                    samples: hyper.samples,
                    seed: hyper.seed,
                    step: k,
                },
                0.0,
            )),
        }
    }

    /// Whether `plane`'s family can run this optimizer (it offers the preconditioner, or the
    /// sample-based estimates).
    pub fn offered_by(self, plane: &dyn Plane) -> bool {
        if self.is_sampled() {
            return plane.samples_rollouts();
        }
        self.preconditioner(&Hyperparameters::default(), 0)
            .is_none_or(|(which, _)| plane.offers(which))
    }

    /// Whether it steps along a sample-based estimate (pg-mc, npg-mc).
    pub fn is_sampled(self) -> bool {
        matches!(self, Optimizer::PgMc | Optimizer::NpgMc)
    }
}

impl std::fmt::Display for Optimizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Optimizer {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Optimizer::every().find(|o| o.name() == s).ok_or_else(|| {
            let names: Vec<_> = Optimizer::every().map(|o| o.name()).collect();
            format!("unknown optimizer '{s}': choose from {}", names.join(", "))
        })
    }
}

/// A policy-plane optimizer asked of a [`PerOptimizer`]: a caller's bug (the viewer's race
/// settings are the mixture's; the policy plane's race keeps its own).
fn not_mixture(o: Optimizer) -> ! {
    panic!("{o} is the policy plane's optimizer; PerOptimizer holds the mixture's seven")
}

/// One value per mixture optimizer (enabled flags, learning rates), indexed by [`Optimizer`];
/// in a scene file a table with the optimizers' names as keys (`ngd-damped`, …).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PerOptimizer<T> {
    /// Gradient descent.
    pub gd: T,
    /// Heavy-ball momentum.
    pub momentum: T,
    /// Adam.
    pub adam: T,
    /// Natural gradient descent.
    pub ngd: T,
    /// Damped natural gradient descent.
    pub ngd_damped: T,
    /// Empirical-Fisher natural gradient.
    pub ef_ngd: T,
    /// Monte-Carlo-Fisher natural gradient.
    pub mc_ngd: T,
}

impl<T: Copy> PerOptimizer<T> {
    /// The same value for every optimizer.
    pub const fn splat(v: T) -> Self {
        Self {
            gd: v,
            momentum: v,
            adam: v,
            ngd: v,
            ngd_damped: v,
            ef_ngd: v,
            mc_ngd: v,
        }
    }

    /// The value for `o`.
    pub fn get(&self, o: Optimizer) -> T {
        match o {
            Optimizer::Gd => self.gd,
            Optimizer::Momentum => self.momentum,
            Optimizer::Adam => self.adam,
            Optimizer::Ngd => self.ngd,
            Optimizer::NgdDamped => self.ngd_damped,
            Optimizer::EfNgd => self.ef_ngd,
            Optimizer::McNgd => self.mc_ngd,
            Optimizer::Npg | Optimizer::GaussNewton | Optimizer::PgMc | Optimizer::NpgMc => {
                not_mixture(o)
            }
        }
    }

    /// The value for `o`, mutably.
    pub fn get_mut(&mut self, o: Optimizer) -> &mut T {
        match o {
            Optimizer::Gd => &mut self.gd,
            Optimizer::Momentum => &mut self.momentum,
            Optimizer::Adam => &mut self.adam,
            Optimizer::Ngd => &mut self.ngd,
            Optimizer::NgdDamped => &mut self.ngd_damped,
            Optimizer::EfNgd => &mut self.ef_ngd,
            Optimizer::McNgd => &mut self.mc_ngd,
            Optimizer::Npg | Optimizer::GaussNewton | Optimizer::PgMc | Optimizer::NpgMc => {
                not_mixture(o)
            }
        }
    }
}

/// The optimizers' hyperparameters other than the learning rate.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Hyperparameters {
    /// Heavy-ball β of `momentum`.
    pub momentum: f64,
    /// Adam's β1.
    pub beta1: f64,
    /// Adam's β2.
    pub beta2: f64,
    /// Adam's ε.
    pub eps: f64,
    /// λ of `ngd-damped` (only).
    pub damping: f64,
    /// Model samples per step of `mc-ngd`.
    pub samples: u32,
    /// Seed of `mc-ngd`'s samples (step k draws stream `estimates::stream_model(k)`), and of
    /// `pg-mc`'s and `npg-mc`'s rollouts likewise.
    pub seed: u32,
    /// Rollout horizon H of `pg-mc` and `npg-mc` (the policy plane).
    pub horizon: u32,
}

impl Default for Hyperparameters {
    fn default() -> Self {
        Self {
            momentum: 0.9,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            damping: 1e-3,
            samples: 1000,
            seed: 1,
            horizon: 30,
        }
    }
}

/// One point of a trajectory: the state after `step` updates (step 0 is the start).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Step {
    /// Updates taken so far.
    pub step: u32,
    /// Slice coordinates.
    pub theta: [f64; 2],
    /// L(θ) = KL(p_θ* ‖ p_θ).
    pub loss: f64,
    /// Cumulative Fisher–Rao length from the start: Σ √(δᵀF(θ_mid)δ) over the steps so far,
    /// F the slice block at each step's midpoint (0 at step 0).
    pub fisher_rao_length: f64,
    /// Cumulative Euclidean length Σ |δ| (0 at step 0).
    pub euclidean_length: f64,
}

/// Why a run ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Stop {
    /// All requested steps were taken.
    Completed,
    /// Step `step` would leave the model's domain (σ ≤ 0, π outside (0, 1)) at `theta`; the
    /// trajectory ends at the last point inside.
    LeftDomain {
        /// The update that left (1-based, as in [`Step::step`]).
        step: u32,
        /// Where it would have landed.
        theta: [f64; 2],
        /// Which constraint it broke, in words.
        detail: String,
    },
    /// The preconditioner was singular or a value was not finite at step `step`.
    Breakdown {
        /// The update that could not be taken.
        step: u32,
        /// What failed, in words.
        detail: String,
    },
}

/// One optimizer's run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Run {
    /// Which optimizer.
    pub optimizer: Optimizer,
    /// Its learning rate.
    pub lr: f64,
    /// Step 0 (the start) to the last step taken.
    pub trajectory: Vec<Step>,
    /// Why it ended.
    pub stop: Stop,
}

impl Run {
    /// The first step whose loss is below `threshold`, if any.
    pub fn steps_to(&self, threshold: f64) -> Option<u32> {
        self.trajectory
            .iter()
            .find(|s| s.loss < threshold)
            .map(|s| s.step)
    }
}

/// The optimizer's internal state between steps (momentum's velocity, Adam's moments).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct State {
    /// Heavy-ball velocity v (momentum), Adam's first moment m.
    pub first: [f64; 2],
    /// Adam's second moment v (entry-wise squares).
    pub second: [f64; 2],
}

/// Why no step could be taken: the preconditioner was singular or not finite.
#[derive(Clone, Debug, PartialEq)]
pub struct Singular(pub String);

/// The update direction d of step `k` (0-based: the update from trajectory point k to k + 1),
/// so that θ_{k+1} = θ_k − lr·d (the formulas of [`Optimizer`]'s variants; Adam's
/// d = m̂/(√v̂ + ε) with m̂ = m/(1 − β1^(k+1)), v̂ = v/(1 − β2^(k+1))) at `xy`, where the target
/// terms are `terms` (the empirical Fisher is computed here for `ef-ngd` when `terms` lacks
/// it). Updates `state`.
pub fn direction(
    optimizer: Optimizer,
    k: u32,
    plane: &dyn Plane,
    xy: [f64; 2],
    terms: &TargetTerms,
    hyper: &Hyperparameters,
    state: &mut State,
) -> Result<[f64; 2], Singular> {
    if optimizer.is_sampled() {
        let Some((g, f)) = plane.sampled(xy, hyper.samples, hyper.horizon, hyper.seed, k) else {
            return Err(Singular(format!(
                "{} needs sampled estimates, which this family does not offer",
                optimizer.name()
            )));
        };
        if optimizer == Optimizer::PgMc {
            return Ok(g);
        }
        return natural_gradient(&f, 0.0, g).ok_or_else(|| {
            Singular(format!(
                "the rollouts' Fisher estimate F̂ is singular at ({}, {})",
                xy[0], xy[1]
            ))
        });
    }
    let g = terms.grad;
    if let Some((which, damping)) = optimizer.preconditioner(hyper, k) {
        if !plane.offers(which) {
            return Err(Singular(format!(
                "{} needs {}, which this family does not offer",
                optimizer.name(),
                which.name()
            )));
        }
        let p = plane.preconditioner(which, xy, terms);
        return natural_gradient(&p, damping, g).ok_or_else(|| {
            let eig = p.add_diagonal(damping).eigen();
            let what = if damping > 0.0 {
                "F + λI"
            } else {
                which.name()
            };
            Singular(format!(
                "{what} is singular to working precision (eigenvalues {:.3e}, {:.3e}; κ > {:.0e}) \
                 at ({}, {})",
                eig.lambda_max, eig.lambda_min, SINGULAR_CONDITION, xy[0], xy[1]
            ))
        });
    }
    match optimizer {
        Optimizer::Momentum => {
            let beta = hyper.momentum;
            state.first = [beta * state.first[0] + g[0], beta * state.first[1] + g[1]];
            Ok(state.first)
        }
        Optimizer::Adam => {
            let (b1, b2) = (hyper.beta1, hyper.beta2);
            let t = (k + 1) as i32;
            let (c1, c2) = (1.0 - b1.powi(t), 1.0 - b2.powi(t));
            let mut d = [0.0; 2];
            for i in 0..2 {
                state.first[i] = b1 * state.first[i] + (1.0 - b1) * g[i];
                state.second[i] = b2 * state.second[i] + (1.0 - b2) * g[i] * g[i];
                d[i] = (state.first[i] / c1) / ((state.second[i] / c2).sqrt() + hyper.eps);
            }
            Ok(d)
        }
        // gd, and (unreachable) the preconditioned ones handled above.
        _ => Ok(g),
    }
}

/// The first update δ = θ₁ − θ₀ = −lr·d₀ of `optimizer` from `start` (for gd, ngd, ngd-damped
/// and ef-ngd this is −lr·P⁻¹∇L with P = I, F, F + λI, EF at the start).
pub fn first_step(
    plane: &dyn Plane,
    start: [f64; 2],
    optimizer: Optimizer,
    lr: f64,
    hyper: &Hyperparameters,
) -> Result<[f64; 2], Singular> {
    let terms = plane.target_terms(start, optimizer == Optimizer::EfNgd);
    let mut state = State::default();
    let d = direction(optimizer, 0, plane, start, &terms, hyper, &mut state)?;
    Ok([-lr * d[0], -lr * d[1]])
}

/// One optimizer's run of up to `steps` updates from canvas coordinates `start`, minimising
/// the plane's loss (the mixture's L(θ) = KL(p_target ‖ p_θ) over the slice through the
/// target), all in f64. Step 0 is the start; each later point records L and the cumulative
/// Euclidean and Fisher–Rao lengths, the latter Σ √(δᵀF(θ_mid)δ) with F the slice block at
/// each step's midpoint.
///
/// The run ends early — reported in [`Run::stop`], the trajectory kept up to the last valid
/// point — when an update lands outside the domain ([`Stop::LeftDomain`]: σ ≤ 0, π outside
/// (0, 1) on a slice that varies it, or a coordinate not finite), or when the preconditioner is
/// singular (κ > 1e12) or L or ∇L is not finite ([`Stop::Breakdown`]). No value in the output
/// is ever NaN. A start outside the domain gives an empty trajectory and
/// `LeftDomain { step: 0 }`; callers check the start first.
pub fn run(
    plane: &dyn Plane,
    start: [f64; 2],
    optimizer: Optimizer,
    lr: f64,
    steps: u32,
    hyper: &Hyperparameters,
) -> Run {
    let finish = |trajectory: Vec<Step>, stop: Stop| Run {
        optimizer,
        lr,
        trajectory,
        stop,
    };
    if let Err(detail) = plane.check(start) {
        return finish(
            Vec::new(),
            Stop::LeftDomain {
                step: 0,
                theta: start,
                detail: format!("the start is outside the model: {detail}"),
            },
        );
    }
    let with_ef = optimizer == Optimizer::EfNgd;
    let mut terms = plane.target_terms(start, with_ef);
    if !(terms.loss.is_finite() && terms.grad.iter().all(|v| v.is_finite())) {
        return finish(
            Vec::new(),
            Stop::Breakdown {
                step: 0,
                detail: format!("L or ∇L is not finite at the start: L = {}", terms.loss),
            },
        );
    }
    let mut theta = start;
    let mut trajectory = Vec::with_capacity(steps as usize + 1);
    trajectory.push(Step {
        step: 0,
        theta,
        loss: terms.loss,
        fisher_rao_length: 0.0,
        euclidean_length: 0.0,
    });
    let mut state = State::default();
    let (mut fr, mut euclid) = (0.0, 0.0);
    for k in 0..steps {
        let step = k + 1;
        let d = match direction(optimizer, k, plane, theta, &terms, hyper, &mut state) {
            Ok(d) if d.iter().all(|v| v.is_finite()) => d,
            Ok(d) => {
                return finish(
                    trajectory,
                    Stop::Breakdown {
                        step,
                        detail: format!("the update direction is not finite: {d:?}"),
                    },
                );
            }
            Err(Singular(detail)) => {
                return finish(trajectory, Stop::Breakdown { step, detail });
            }
        };
        let delta = [-lr * d[0], -lr * d[1]];
        let next = [theta[0] + delta[0], theta[1] + delta[1]];
        if !next.iter().all(|v| v.is_finite()) {
            return finish(
                trajectory,
                Stop::Breakdown {
                    step,
                    detail: format!("the update is not finite: θ would be {next:?}"),
                },
            );
        }
        if let Err(detail) = plane.check(next) {
            return finish(
                trajectory,
                Stop::LeftDomain {
                    step,
                    theta: next,
                    detail,
                },
            );
        }
        // Both ends are inside and the domain is convex (the plane's contract), so the
        // midpoint is too.
        let f = plane.metric([theta[0] + 0.5 * delta[0], theta[1] + 0.5 * delta[1]]);
        let q = f.xx * delta[0] * delta[0]
            + 2.0 * f.xy * delta[0] * delta[1]
            + f.yy * delta[1] * delta[1];
        let next_terms = plane.target_terms(next, with_ef);
        if !(next_terms.loss.is_finite()
            && next_terms.grad.iter().all(|v| v.is_finite())
            && q.is_finite())
        {
            return finish(
                trajectory,
                Stop::Breakdown {
                    step,
                    detail: format!(
                        "L, ∇L or the step's Fisher–Rao length is not finite at ({}, {})",
                        next[0], next[1]
                    ),
                },
            );
        }
        // q ≥ 0 for a positive semi-definite F; a tiny negative value can only be rounding.
        fr += q.max(0.0).sqrt();
        euclid += delta[0].hypot(delta[1]);
        theta = next;
        terms = next_terms;
        trajectory.push(Step {
            step,
            theta,
            loss: terms.loss,
            fisher_rao_length: fr,
            euclidean_length: euclid,
        });
    }
    finish(trajectory, Stop::Completed)
}

/// Every optimizer in `optimizers` from the same start (in that order), each with its own
/// learning rate `lr(o)`, in parallel (the runs are independent and deterministic).
pub fn race(
    plane: &dyn Plane,
    start: [f64; 2],
    optimizers: &[Optimizer],
    lr: impl Fn(Optimizer) -> f64 + Sync,
    steps: u32,
    hyper: &Hyperparameters,
) -> Vec<Run> {
    use rayon::prelude::*;
    optimizers
        .par_iter()
        .map(|&o| run(plane, start, o, lr(o), steps, hyper))
        .collect()
}

impl Stop {
    /// The kebab-case reason, as in the JSON (`completed`, `left-domain`, `breakdown`).
    pub fn reason(&self) -> &'static str {
        match self {
            Stop::Completed => "completed",
            Stop::LeftDomain { .. } => "left-domain",
            Stop::Breakdown { .. } => "breakdown",
        }
    }
}

impl Run {
    /// The last point reached.
    pub fn last(&self) -> Option<&Step> {
        self.trajectory.last()
    }
}
