//! Each feature's settings in the scene (layers, heatmap, geodesics, race, estimates,
//! convergence map, flow), with their defaults and the ranges the UI offers.

use super::*;

/// Which layers the canvas draws.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Layers {
    /// Metric ellipses.
    pub ellipses: bool,
    /// Axes, ticks, grid lines and the diagonal.
    pub axes: bool,
    /// The handles θ* and its twin.
    pub handles: bool,
    /// The probe's two arrows.
    pub probe: bool,
    /// Flow particles.
    pub particles: bool,
    /// Legends (κ colour bar, ε).
    pub legend: bool,
}

impl Layers {
    /// Every layer off (a canvas showing only what no toggle governs: the heatmap, the
    /// features, the outside of the model).
    pub const NONE: Layers = Layers {
        ellipses: false,
        axes: false,
        handles: false,
        probe: false,
        particles: false,
        legend: false,
    };
}

impl Default for Layers {
    fn default() -> Self {
        Self {
            ellipses: true,
            axes: true,
            handles: true,
            probe: true,
            particles: true,
            legend: true,
        }
    }
}

pub use crate::gpu::gpu_data::{FlowMode, Integrator};

/// How particles are coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParticleColor {
    /// Cyan natural, red Euclidean.
    Mode,
    /// By Fisher–Rao speed √(θ̇ᵀFθ̇) on the colour map (log scale).
    Speed,
}

/// Range of the race's step count.
pub const RACE_STEPS_RANGE: (u32, u32) = (1, 5000);
/// Learning rates the UI offers (log slider).
pub const LR_RANGE: (f64, f64) = (1e-4, 10.0);
/// Range of the sample count N of the finite-sample estimates and of `mc-ngd`.
pub const SAMPLES_RANGE: (u32, u32) = (2, crate::math::estimates::MAX_SAMPLES);
/// Range of the convergence map's step cap.
pub const CONVERGENCE_STEPS_RANGE: (u32, u32) = (1, 10_000);
/// Range of the convergence map's relative loss threshold (L < threshold · L(start)).
pub const CONVERGENCE_THRESHOLD_RANGE: (f64, f64) = (1e-6, 0.5);
/// Range of the convergence map's resolution (cells per side).
pub const CONVERGENCE_SIDE_RANGE: (u32, u32) = (8, 1024);

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

/// Which view the window shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tab {
    /// The mixture's geometry: the canvas, its layers and panels.
    #[default]
    Geometry,
    /// The K-FAC lab: a small classifier's exact layer Fisher blocks against A ⊗ G.
    Kfac,
}

/// Which matrix the grid's ellipses draw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EllipseSource {
    /// The Fisher matrix F (the slice block).
    #[default]
    Fisher,
    /// The population empirical Fisher EF = E_{x∼p*}[s sᵀ] under the target.
    EmpiricalFisher,
}

/// Fisher estimates (MATH.md, "Fisher estimates"): at the probe, the ellipses of F, the
/// population EF, and the finite-sample EF and Monte-Carlo Fisher from N samples of one seeded
/// generator (`math::estimates`, `shaders/common/sampling.wgsl`); across the grid, F or EF.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Estimates {
    /// The estimate ellipses at the probe, with a legend.
    pub at_probe: bool,
    /// Draw F's ellipse at the probe.
    pub fisher: bool,
    /// Draw the population EF's ellipse.
    pub empirical: bool,
    /// Draw the finite-sample EF's ellipse (N samples of the target).
    pub empirical_samples: bool,
    /// Draw the Monte-Carlo Fisher's ellipse (N samples of the model at the probe).
    pub monte_carlo: bool,
    /// N.
    pub samples: u32,
    /// Seed of the samples (the resample button draws a new one).
    pub seed: u32,
    /// What the grid's ellipses show.
    pub grid_ellipses: EllipseSource,
}

impl Default for Estimates {
    fn default() -> Self {
        Self {
            at_probe: false,
            fisher: true,
            empirical: true,
            empirical_samples: true,
            monte_carlo: true,
            samples: 100,
            seed: 1,
            grid_ellipses: EllipseSource::Fisher,
        }
    }
}

/// Which optimizer's convergence map is shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConvergenceView {
    /// Gradient descent only.
    Gd,
    /// Natural gradient descent only.
    Ngd,
    /// gd on the left half of the canvas, ngd on the right, over the same view.
    #[default]
    Split,
}

/// The GPU convergence map (issue 12): for every cell of a `grid`² lattice over the view as a
/// start, the number of steps gd or ngd needs to bring L below `threshold` · L(start), capped
/// at `max_steps`; advanced `steps_per_frame` steps per frame so the UI stays responsive.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Convergence {
    /// The map is computed and drawn as a heatmap layer.
    pub enabled: bool,
    /// gd, ngd, or both side by side.
    pub view: ConvergenceView,
    /// Learning rate of gd.
    pub lr_gd: f64,
    /// Learning rate of ngd.
    pub lr_ngd: f64,
    /// Step cap.
    pub max_steps: u32,
    /// Relative threshold: converged when L < threshold · L(start).
    pub threshold: f64,
    /// Cells per side of the map's lattice (scene files may say `grid`, the older key).
    #[serde(alias = "grid")]
    pub side: u32,
    /// Optimizer steps advanced per frame.
    pub steps_per_frame: u32,
    /// The policy plane's gd rate (its gains' scales are not the mixture's).
    pub policy_lr_gd: f64,
    /// The policy plane's npg rate.
    pub policy_lr_npg: f64,
}

impl Default for Convergence {
    fn default() -> Self {
        Self {
            enabled: false,
            view: ConvergenceView::Split,
            lr_gd: 0.5,
            lr_ngd: 0.5,
            max_steps: 500,
            threshold: 1e-4,
            side: 128,
            steps_per_frame: 2,
            policy_lr_gd: 0.01,
            policy_lr_npg: 0.5,
        }
    }
}

/// Smallest and largest particle counts the UI offers.
pub const PARTICLE_RANGE: (u32, u32) = (1_000, 1 << 20);

/// Flow mode settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Flow {
    /// Particles are advected and drawn (Space toggles).
    pub enabled: bool,
    /// Natural, Euclidean or both.
    pub mode: FlowMode,
    /// Particle count; absent = chosen for the adapter (8k on a CPU adapter, 256k otherwise).
    pub particles: Option<u32>,
    /// Time step per integration step.
    pub dt: f64,
    /// Integration steps per frame.
    pub steps_per_frame: u32,
    /// RK4 or Euler.
    pub integrator: Integrator,
    /// Speed cap in Fisher–Rao units per unit time.
    pub speed_cap: f64,
    /// Mean particle lifetime in steps.
    pub max_age: u32,
    /// Trail fade per frame (1 = no trails).
    pub fade: f64,
    /// Colour by mode or by Fisher–Rao speed.
    pub color: ParticleColor,
    /// Seed of the deterministic spawn.
    pub seed: u32,
}

impl Default for Flow {
    fn default() -> Self {
        Self {
            enabled: false,
            mode: FlowMode::Both,
            particles: None,
            dt: 0.05,
            steps_per_frame: 1,
            integrator: Integrator::Rk4,
            speed_cap: 4.0,
            max_age: 400,
            fade: 0.08,
            color: ParticleColor::Mode,
            seed: 1,
        }
    }
}
