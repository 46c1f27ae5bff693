//! The flow's settings: particles following the natural gradient, the Euclidean one or both
//! (or the empirical Fisher's), their count, integrator, step, speed cap, trails and colour,
//! with their defaults, ranges and the checks a scene file's values pass.

use serde::{Deserialize, Serialize};

use crate::features::Settings;
use crate::scene::{Scene, clamp_f64};

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

/// Flow time step the UI offers.
pub const DT_RANGE: (f64, f64) = (0.001, 1.0);
/// Integration steps per frame the UI offers.
pub const STEPS_PER_FRAME_RANGE: (u32, u32) = (1, 16);
/// Fisher–Rao speed cap the UI offers.
pub const SPEED_CAP_RANGE: (f64, f64) = (0.05, 50.0);
/// Trail fade per frame the UI offers (1 = no trails).
pub const FADE_RANGE: (f64, f64) = (0.005, 1.0);

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

crate::scene::edits! {
    /// One change to the flow's settings: what its widgets and the Space key ask for.
    /// [`FlowEdit::apply`] clamps each value to the range its widget offers.
    pub enum FlowEdit, kinds FlowEditKind {
        /// Flow on or off.
        Run(bool),
        /// Flow on/off toggle (Space).
        Toggle,
        /// Natural, Euclidean, both, or natural against the EF's.
        Mode(FlowMode),
        /// Particle count (None: the adapter's default), clamped to [`PARTICLE_RANGE`].
        Particles(Option<u32>),
        /// Time step, clamped to [`DT_RANGE`].
        Dt(f64),
        /// Integration steps per frame, clamped to [`STEPS_PER_FRAME_RANGE`].
        StepsPerFrame(u32),
        /// Fisher–Rao speed cap, clamped to [`SPEED_CAP_RANGE`].
        SpeedCap(f64),
        /// Trail fade, clamped to [`FADE_RANGE`].
        Fade(f64),
        /// RK4 or Euler.
        Integrator(Integrator),
        /// Colour particles by mode or by speed.
        Color(ParticleColor),
        /// Seed of the particle spawn.
        Seed(u32),
    }
}

impl FlowEdit {
    /// Carries the edit out on `flow`, its value clamped to the widget's range; a value that
    /// is not a number keeps the current one. Only the edited setting changes.
    pub fn apply(self, flow: &mut Flow) {
        match self {
            FlowEdit::Run(on) => flow.enabled = on,
            FlowEdit::Toggle => flow.enabled = !flow.enabled,
            FlowEdit::Mode(mode) => flow.mode = mode,
            FlowEdit::Particles(n) => {
                flow.particles = n.map(|n| n.clamp(PARTICLE_RANGE.0, PARTICLE_RANGE.1))
            }
            FlowEdit::Dt(v) => flow.dt = clamp_f64(v, DT_RANGE, flow.dt),
            FlowEdit::StepsPerFrame(n) => {
                flow.steps_per_frame = n.clamp(STEPS_PER_FRAME_RANGE.0, STEPS_PER_FRAME_RANGE.1)
            }
            FlowEdit::SpeedCap(v) => flow.speed_cap = clamp_f64(v, SPEED_CAP_RANGE, flow.speed_cap),
            FlowEdit::Fade(v) => flow.fade = clamp_f64(v, FADE_RANGE, flow.fade),
            FlowEdit::Integrator(integrator) => flow.integrator = integrator,
            FlowEdit::Color(color) => flow.color = color,
            FlowEdit::Seed(seed) => flow.seed = seed,
        }
    }
}

impl Settings for Flow {
    /// Every setting through its own [`FlowEdit`] (the widgets' clamps), and the lifetime at
    /// least one step.
    fn clamped_for(self, scene: &Scene) -> Self {
        // Destructured, so that a new setting is a compile error here until it is clamped.
        let Flow {
            enabled,
            mode,
            particles,
            dt,
            steps_per_frame,
            integrator,
            speed_cap,
            max_age,
            fade,
            color,
            seed,
        } = self;
        let mut flow = scene.features.flow;
        for edit in [
            FlowEdit::Run(enabled),
            FlowEdit::Mode(mode),
            FlowEdit::Particles(particles),
            FlowEdit::Dt(dt),
            FlowEdit::StepsPerFrame(steps_per_frame),
            FlowEdit::Integrator(integrator),
            FlowEdit::SpeedCap(speed_cap),
            FlowEdit::Fade(fade),
            FlowEdit::Color(color),
            FlowEdit::Seed(seed),
        ] {
            edit.apply(&mut flow);
        }
        Flow {
            max_age: max_age.max(1),
            ..flow
        }
    }

    /// A scene file's flow is taken as written: [`Flow::validate`] reports what is out of
    /// range, with the key's name, rather than changing it.
    fn loaded(self, _scene: &Scene) -> Self {
        self
    }
}

impl Flow {
    /// Checks a scene file's flow settings: the field's name and what is wrong.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let f = self;
        if f.particles
            .is_some_and(|n| !(PARTICLE_RANGE.0..=PARTICLE_RANGE.1).contains(&n))
        {
            return Err((
                "flow.particles",
                format!("must be from {} to {}", PARTICLE_RANGE.0, PARTICLE_RANGE.1),
            ));
        }
        if !(f.dt.is_finite() && f.dt > 0.0 && f.dt <= 10.0) {
            return Err(("flow.dt", format!("must be in (0, 10], got {}", f.dt)));
        }
        if !(1..=64).contains(&f.steps_per_frame) {
            return Err((
                "flow.steps_per_frame",
                format!("must be from 1 to 64, got {}", f.steps_per_frame),
            ));
        }
        if !(f.speed_cap.is_finite() && f.speed_cap > 0.0) {
            return Err((
                "flow.speed_cap",
                format!("must be a positive number, got {}", f.speed_cap),
            ));
        }
        if f.max_age == 0 {
            return Err(("flow.max_age", "must be at least 1".into()));
        }
        if !(f.fade.is_finite() && f.fade > 0.0 && f.fade <= 1.0) {
            return Err(("flow.fade", format!("must be in (0, 1], got {}", f.fade)));
        }
        Ok(())
    }
}
