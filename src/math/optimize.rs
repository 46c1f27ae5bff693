//! Optimizers on a slice of the general mixture, in f64: gradient descent, heavy-ball momentum,
//! Adam, natural gradient (plain and damped), the empirical-Fisher natural gradient and the
//! Monte-Carlo-Fisher natural gradient (MATH.md, "Fisher estimates"). The reference the viewer's
//! race, `fisherflow optimize` and the GPU convergence map are tested against.
//!
//! Every run starts at slice coordinates `start` and minimises L(θ) = KL(p_θ* ‖ p_θ) over the
//! slice (the three held parameters from the target). Steps that leave the model's domain
//! (σ ≤ 0, π outside (0, 1)) end the run and are reported ([`Stop::LeftDomain`]), never clamped.

use serde::{Deserialize, Serialize};

/// One of the seven optimizers, named as on the command line (`gd`, `momentum`, `adam`, `ngd`,
/// `ngd-damped`, `ef-ngd`, `mc-ngd`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
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
}

impl Optimizer {
    /// Every optimizer, in the order the UI and the JSON list them.
    pub const ALL: [Optimizer; 7] = [
        Optimizer::Gd,
        Optimizer::Momentum,
        Optimizer::Adam,
        Optimizer::Ngd,
        Optimizer::NgdDamped,
        Optimizer::EfNgd,
        Optimizer::McNgd,
    ];

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
        }
    }

    /// Position in [`Optimizer::ALL`].
    pub fn index(self) -> usize {
        self as usize
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
        Optimizer::ALL
            .into_iter()
            .find(|o| o.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Optimizer::ALL.iter().map(|o| o.name()).collect();
                format!("unknown optimizer '{s}': choose from {}", names.join(", "))
            })
    }
}

/// One value per optimizer (enabled flags, learning rates), indexed by [`Optimizer`]; in a
/// scene file a table with the optimizers' names as keys (`ngd-damped`, …).
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
    /// Seed of `mc-ngd`'s samples (step k draws stream `estimates::stream_model(k)`).
    pub seed: u32,
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
