//! The optimizer race of the viewer (issue 12): every enabled optimizer of `math::optimize`
//! run from the race's start (or the probe) to θ* on the scene's slice, in f64 on the CPU.
//!
//! A race of 100 steps × 7 optimizers takes ~0.1 s (release), thousands of steps proportionally
//! more, so the frame loop never runs it: it is a [`crate::jobs::Job`] of the simulation (the
//! newest request wins while the user drags the start), whose result the canvas layer
//! (`render::race`) and the panel (`viewer::race_panel`) share.

use std::time::Instant;

use crate::math::family::MixturePlane;
use crate::math::general::DEFAULT_NODES_GENERAL;
use crate::math::optimize::{Optimizer, Run, race};
use crate::math::policy::System;
use crate::math::{Model, QuadratureRule, Slice};
use crate::scene::{Race, Scene};

/// Each optimizer's colour (sRGB hex), in [`Optimizer::every`] order: the canvas polylines, the
/// panel's swatches and plot lines.
pub const RACE_COLORS: [u32; 11] = [
    0xff4b3e, // gd: the Euclidean red of the flow
    0xffa94d, // momentum
    0xffe066, // adam
    0x2ee6f0, // ngd: the natural cyan of the flow
    0x4d8dff, // ngd-damped
    0xc77dff, // ef-ngd
    0x8dff5a, // mc-ngd
    0x2ee6f0, // npg: the natural cyan, as ngd (they never race together)
    0xff7ad9, // gauss-newton
    0xffd6a5, // pg-mc: a pale Euclidean orange
    0x9be7ff, // npg-mc: a pale natural cyan
];

/// The colour of `o`.
pub fn color(o: Optimizer) -> u32 {
    RACE_COLORS[o.index()]
}

/// Everything a race depends on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RaceKey {
    /// The target θ* (all five parameters; the held three are the slice's).
    pub model: Model,
    /// The slice.
    pub slice: Slice,
    /// The start, slice coordinates (the race's own or the probe).
    pub start: [f64; 2],
    /// The race settings (optimizers, steps, rates, hyperparameters).
    pub race: Race,
    /// The policy plane's system when the race runs there (its own optimizers and rates).
    pub system: Option<System>,
}

impl RaceKey {
    /// The key of `scene`'s race, or None when there is none to run (race off, no start, no
    /// optimizer enabled, a start or target outside the model).
    pub fn for_scene(scene: &Scene) -> Option<Self> {
        let race = scene.race;
        let any_mixture = Optimizer::MIXTURE.iter().any(|&o| race.optimizers.get(o));
        if !scene.offers(crate::scene::Feature::Race)
            || !race.enabled
            || (scene.system.is_none() && !any_mixture)
        {
            return None;
        }
        let start = scene.inside_model(race.start.or(scene.probe)?)?;
        Some(Self {
            model: scene.model,
            slice: scene.slice,
            start,
            race: Race {
                start: Some(start),
                ..race
            },
            system: scene.system,
        })
    }

    /// The enabled optimizers, in [`Optimizer::MIXTURE`] order; on the policy plane its five
    /// ([`Optimizer::POLICY_RACE`]).
    pub fn optimizers(&self) -> Vec<Optimizer> {
        if self.system.is_some() {
            return Optimizer::POLICY_RACE.to_vec();
        }
        Optimizer::MIXTURE
            .into_iter()
            .filter(|&o| self.race.optimizers.get(o))
            .collect()
    }

    /// The learning rate of `o` in this race.
    pub fn lr(&self, o: Optimizer) -> f64 {
        match self.system {
            Some(_) => self.race.policy_lr.get(o),
            None => self.race.lr.get(o),
        }
    }
}

/// The runs of one [`RaceKey`].
#[derive(Clone, Debug, PartialEq)]
pub struct RaceSet {
    /// What they were computed for.
    pub key: RaceKey,
    /// One run per enabled optimizer, in [`Optimizer::MIXTURE`] order.
    pub runs: Vec<Run>,
    /// Wall time of the race, seconds.
    pub seconds: f64,
}

/// Runs the race of `key` (f64, the default general rule, on the calling thread).
pub fn compute_race(key: &RaceKey) -> RaceSet {
    let began = Instant::now();
    let rule = QuadratureRule::new(DEFAULT_NODES_GENERAL).expect("the default rule is valid");
    let mixture = MixturePlane::new(&key.model, &key.slice, &rule);
    let policy = key
        .system
        .as_ref()
        .map(crate::math::policy::PolicyPlane::new);
    let plane: &dyn crate::math::family::Plane = match &policy {
        Some(p) => p,
        None => &mixture,
    };
    let runs = race(
        plane,
        key.start,
        &key.optimizers(),
        |o| key.lr(o),
        key.race.steps,
        &key.race.hyper,
    );
    RaceSet {
        key: *key,
        runs,
        seconds: began.elapsed().as_secs_f64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn race_scene() -> Scene {
        let mut scene = Scene::default();
        scene.race.enabled = true;
        scene.race.steps = 10;
        scene.race.start = Some([0.1, 0.3]);
        scene
    }

    #[test]
    fn no_key_when_off_or_empty() {
        let mut scene = race_scene();
        assert!(RaceKey::for_scene(&scene).is_some());
        scene.race.optimizers = crate::math::optimize::PerOptimizer::splat(false);
        assert!(RaceKey::for_scene(&scene).is_none());
        let mut scene = race_scene();
        scene.race.enabled = false;
        assert!(RaceKey::for_scene(&scene).is_none());
    }
}
