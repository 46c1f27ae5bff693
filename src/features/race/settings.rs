//! The optimizer race's settings: which optimizers run from which start, for how many steps,
//! at which rates (the mixture's seven, the policy plane's own), with their defaults and ranges.

use serde::{Deserialize, Serialize};

use crate::features::Settings;
use crate::math::optimize::{Hyperparameters, PerOptimizer};
use crate::scene::{DAMPING_RANGE, LR_RANGE, SAMPLES_RANGE, Scene, clamp_f64};

/// Range of the race's step count.
pub const RACE_STEPS_RANGE: (u32, u32) = (1, 5000);

/// The optimizer race (issue 12): each enabled optimizer run from the same start for `steps`
/// updates on the f64 CPU path, drawn as a polyline with a dot per step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Race {
    /// The race is run and drawn.
    pub enabled: bool,
    /// Where every optimizer starts, slice coordinates; None: the probe.
    pub start: Option<[f64; 2]>,
    /// Which optimizers run.
    pub optimizers: PerOptimizer<bool>,
    /// Updates per optimizer.
    pub steps: u32,
    /// Learning rate of each optimizer (the UI's shared slider sets all seven).
    pub lr: PerOptimizer<f64>,
    /// Momentum β, Adam's β1, β2, ε, ngd-damped's λ, mc-ngd's N and seed.
    pub hyper: Hyperparameters,
    /// The learning rates on the policy plane, whose race runs its own five optimizers.
    pub policy_lr: PolicyRates,
    /// Which of the policy plane's five optimizers run.
    pub policy_optimizers: PolicyPer<bool>,
    /// The policy plane's ring of starts: this many starts (0: off) on the Fisher–Rao circle
    /// of radius `ring_radius` about the start (its metric ellipse δᵀFδ = r²), each raced by
    /// every enabled optimizer; the panel counts the starts each one crashed from.
    pub ring_starts: u32,
    /// The ring's Fisher–Rao radius.
    pub ring_radius: f64,
}

/// Range of the ring's start count (0: off).
pub const RING_STARTS_RANGE: (u32, u32) = (0, 64);
/// Range of the ring's Fisher–Rao radius.
pub const RING_RADIUS_RANGE: (f64, f64) = (0.1, 50.0);

/// One value per optimizer of the policy plane's race: gd, momentum, adam, npg and
/// gauss-newton.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyPer<T: Default> {
    /// Gradient descent.
    pub gd: T,
    /// Heavy-ball momentum.
    pub momentum: T,
    /// Adam.
    pub adam: T,
    /// The natural policy gradient.
    pub npg: T,
    /// Gauss–Newton.
    pub gauss_newton: T,
    /// REINFORCE's sampled gradient (N rollouts of horizon H per step).
    pub pg_mc: T,
    /// The natural policy gradient from sampled ∇̂ and F̂.
    pub npg_mc: T,
}

/// The policy plane's race rates (½ for gauss-newton: policy iteration). Defaults that settle
/// from the presets' probes without crashing, except momentum's, which shows an overshoot.
pub type PolicyRates = PolicyPer<f64>;

impl Default for PolicyPer<bool> {
    /// The exact five ticked; the sampled two (N rollouts a step) not.
    fn default() -> Self {
        Self {
            gd: true,
            momentum: true,
            adam: true,
            npg: true,
            gauss_newton: true,
            pg_mc: false,
            npg_mc: false,
        }
    }
}

impl Default for PolicyRates {
    fn default() -> Self {
        Self {
            gd: 0.01,
            momentum: 0.005,
            adam: 0.5,
            npg: 0.5,
            gauss_newton: 0.5,
            pg_mc: 0.01,
            npg_mc: 0.5,
        }
    }
}

impl<T: Default + Copy> PolicyPer<T> {
    /// The value of `o` (one of [`crate::math::optimize::Optimizer::POLICY`]; npg's for any
    /// other).
    pub fn get(&self, o: crate::math::optimize::Optimizer) -> T {
        use crate::math::optimize::Optimizer;
        match o {
            Optimizer::Gd => self.gd,
            Optimizer::Momentum => self.momentum,
            Optimizer::Adam => self.adam,
            Optimizer::GaussNewton => self.gauss_newton,
            Optimizer::PgMc => self.pg_mc,
            Optimizer::NpgMc => self.npg_mc,
            _ => self.npg,
        }
    }

    /// The same, mutably.
    pub fn get_mut(&mut self, o: crate::math::optimize::Optimizer) -> &mut T {
        use crate::math::optimize::Optimizer;
        match o {
            Optimizer::Gd => &mut self.gd,
            Optimizer::Momentum => &mut self.momentum,
            Optimizer::Adam => &mut self.adam,
            Optimizer::GaussNewton => &mut self.gauss_newton,
            Optimizer::PgMc => &mut self.pg_mc,
            Optimizer::NpgMc => &mut self.npg_mc,
            _ => &mut self.npg,
        }
    }
}

impl Default for Race {
    fn default() -> Self {
        Self {
            enabled: false,
            start: None,
            optimizers: PerOptimizer::splat(true),
            steps: 100,
            lr: PerOptimizer::splat(0.5),
            hyper: Hyperparameters::default(),
            policy_lr: PolicyRates::default(),
            policy_optimizers: PolicyPer::default(),
            ring_starts: 0,
            ring_radius: 10.0,
        }
    }
}

impl Race {
    /// These settings with every value clamped to its range (steps, rates, the
    /// hyperparameters, the ring) and the start clamped like the probe; a value that is not a
    /// number keeps the scene's.
    pub fn clamped(self, scene: &Scene) -> Race {
        let current = scene.features.race;
        let mut lr = self.lr;
        for o in crate::math::optimize::Optimizer::MIXTURE {
            let v = lr.get_mut(o);
            *v = clamp_f64(*v, LR_RANGE, current.lr.get(o));
        }
        let h = self.hyper;
        let unit = (0.0, 0.9999);
        let hyper = Hyperparameters {
            momentum: clamp_f64(h.momentum, unit, current.hyper.momentum),
            beta1: clamp_f64(h.beta1, unit, current.hyper.beta1),
            beta2: clamp_f64(h.beta2, unit, current.hyper.beta2),
            eps: clamp_f64(h.eps, (1e-12, 1.0), current.hyper.eps),
            damping: clamp_f64(h.damping, DAMPING_RANGE, current.hyper.damping),
            samples: h.samples.clamp(SAMPLES_RANGE.0, SAMPLES_RANGE.1),
            seed: h.seed,
            horizon: h
                .horizon
                .clamp(1, crate::math::policy::sampling::MAX_HORIZON),
        };
        // The rollouts' draw budget: N·(H + 2) ≤ MAX_DRAWS (pg-mc and npg-mc).
        let most = crate::math::policy::sampling::MAX_DRAWS / (hyper.horizon as u64 + 2);
        let hyper = Hyperparameters {
            samples: hyper.samples.min(most as u32),
            ..hyper
        };
        let start = match self.start {
            None => None,
            Some(p) => scene.clamp_point(p).or(current.start),
        };
        let mut policy_lr = self.policy_lr;
        for o in crate::math::optimize::Optimizer::POLICY {
            let v = policy_lr.get_mut(o);
            *v = clamp_f64(*v, LR_RANGE, current.policy_lr.get(o));
        }
        Race {
            start,
            steps: self.steps.clamp(RACE_STEPS_RANGE.0, RACE_STEPS_RANGE.1),
            lr,
            hyper,
            policy_lr,
            ring_starts: self
                .ring_starts
                .clamp(RING_STARTS_RANGE.0, RING_STARTS_RANGE.1),
            ring_radius: clamp_f64(self.ring_radius, RING_RADIUS_RANGE, current.ring_radius),
            ..self
        }
    }
}

impl Settings for Race {
    fn clamped_for(self, scene: &Scene) -> Self {
        self.clamped(scene)
    }
}
