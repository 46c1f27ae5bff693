//! The optimizer race of the viewer (issue 12): every enabled optimizer of `math::optimize`
//! run from the race's start (or the probe) to θ* on the scene's slice, in f64 on the CPU.
//!
//! A race of 100 steps × 7 optimizers takes ~0.1 s (release), thousands of steps proportionally
//! more, so the frame loop never runs it: it is a [`crate::jobs::Job`] of the simulation (the
//! newest request wins while the user drags the start), whose result the canvas layer
//! (`layer.rs`) and the panel (`panel.rs`) share.

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
        let race = scene.features.race;
        let any = match scene.system {
            Some(_) => Optimizer::POLICY
                .iter()
                .any(|&o| race.policy_optimizers.get(o)),
            None => Optimizer::MIXTURE.iter().any(|&o| race.optimizers.get(o)),
        };
        if !scene.offers(crate::scene::Feature::Race) || !race.enabled || !any {
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

    /// The enabled optimizers, in [`Optimizer::MIXTURE`] order; on the policy plane those of
    /// its seven ([`Optimizer::POLICY`]) that are ticked (the sampled two are not by default).
    pub fn optimizers(&self) -> Vec<Optimizer> {
        if self.system.is_some() {
            return Optimizer::POLICY
                .into_iter()
                .filter(|&o| self.race.policy_optimizers.get(o))
                .collect();
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
    /// The policy plane's ring of starts (empty when off or on the mixture).
    pub ring: Vec<RingStart>,
    /// Wall time of the race, seconds.
    pub seconds: f64,
}

/// One start of the ring and its race.
#[derive(Clone, Debug, PartialEq)]
pub struct RingStart {
    /// The start (gains).
    pub start: [f64; 2],
    /// One run per enabled optimizer, as [`RaceSet::runs`]; empty where the start lies outside
    /// the model (the ring's ellipse can cross the triangle's edge).
    pub runs: Vec<Run>,
}

/// What the ring says about one optimizer.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RingSummary {
    /// Starts raced (inside the model).
    pub starts: usize,
    /// Runs that left the model (crashed: the closed loop went unstable).
    pub crashed: usize,
    /// Runs that reached C ≤ (1 + 1e-6)·C*.
    pub converged: usize,
    /// The median steps to get there over the runs that did.
    pub median_steps: Option<u32>,
}

/// The ring's starts: `count` points r·F^{-1/2}(cos αᵢ, sin αᵢ) about `center` (the metric
/// ellipse δᵀFδ = r² of F at the centre), αᵢ = 2πi/count.
pub fn ring_starts(
    plane: &dyn crate::math::family::Plane,
    center: [f64; 2],
    radius: f64,
    count: u32,
) -> Vec<[f64; 2]> {
    let e = plane.metric(center).eigen();
    let (q, p) = (e.q_max, e.q_min);
    let (a, b) = (
        radius / e.lambda_max.max(1e-300).sqrt(),
        radius / e.lambda_min.max(1e-300).sqrt(),
    );
    (0..count)
        .map(|i| {
            let alpha = std::f64::consts::TAU * i as f64 / count as f64;
            let (c, s) = (alpha.cos(), alpha.sin());
            [
                center[0] + a * c * q[0] + b * s * p[0],
                center[1] + a * c * q[1] + b * s * p[1],
            ]
        })
        .collect()
}

impl RaceSet {
    /// The ring's account of `o`: starts raced, crashes, convergences to C ≤ (1 + 1e-6)·C*
    /// and their median step count (None without a ring or off the policy plane).
    pub fn ring_summary(&self, o: Optimizer) -> Option<RingSummary> {
        let system = self.key.system.as_ref()?;
        if self.ring.is_empty() {
            return None;
        }
        let threshold = (1.0 + 1e-6) * crate::math::policy::Lqr::new(system).optimum().1;
        let mut out = RingSummary::default();
        let mut steps = Vec::new();
        for run in self.ring.iter().flat_map(|r| &r.runs) {
            if run.optimizer != o {
                continue;
            }
            out.starts += 1;
            if matches!(run.stop, crate::math::optimize::Stop::LeftDomain { .. }) {
                out.crashed += 1;
            }
            if let Some(n) = run
                .trajectory
                .iter()
                .find(|s| s.loss <= threshold)
                .map(|s| s.step)
            {
                out.converged += 1;
                steps.push(n);
            }
        }
        steps.sort_unstable();
        out.median_steps = steps.get(steps.len() / 2).copied();
        Some(out)
    }
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
    let optimizers = key.optimizers();
    let run_from = |start| {
        race(
            plane,
            start,
            &optimizers,
            |o| key.lr(o),
            key.race.steps,
            &key.race.hyper,
        )
    };
    let runs = run_from(key.start);
    let ring = match key.system {
        Some(_) if key.race.ring_starts > 0 => {
            ring_starts(plane, key.start, key.race.ring_radius, key.race.ring_starts)
                .into_iter()
                .map(|start| RingStart {
                    start,
                    runs: if plane.check(start).is_ok() {
                        run_from(start)
                    } else {
                        Vec::new()
                    },
                })
                .collect()
        }
        _ => Vec::new(),
    };
    RaceSet {
        key: *key,
        runs,
        ring,
        seconds: began.elapsed().as_secs_f64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn race_scene() -> Scene {
        let mut scene = Scene::default();
        scene.features.race.enabled = true;
        scene.features.race.steps = 10;
        scene.features.race.start = Some([0.1, 0.3]);
        scene
    }

    #[test]
    fn no_key_when_off_or_empty() {
        let mut scene = race_scene();
        assert!(RaceKey::for_scene(&scene).is_some());
        scene.features.race.optimizers = crate::math::optimize::PerOptimizer::splat(false);
        assert!(RaceKey::for_scene(&scene).is_none());
        let mut scene = race_scene();
        scene.features.race.enabled = false;
        assert!(RaceKey::for_scene(&scene).is_none());
    }

    fn pendulum_race(gd_lr: f64) -> Scene {
        let mut scene = Scene::default();
        scene.apply(crate::scene::SceneEdit::ApplyPreset(
            crate::scene::Preset::Pendulum,
        ));
        scene.probe = Some([31.6, 3.2]);
        scene.features.race.enabled = true;
        scene.features.race.steps = 200;
        scene.features.race.ring_starts = 12;
        scene.features.race.ring_radius = 12.0;
        scene.features.race.policy_lr.gd = gd_lr;
        scene
    }

    #[test]
    fn the_policy_ring_races_every_start_and_counts_its_crashes() {
        let scene = pendulum_race(0.01);
        let key = RaceKey::for_scene(&scene).unwrap();
        let set = compute_race(&key);
        assert_eq!(set.ring.len(), 12);
        let plane = crate::math::policy::PolicyPlane::new(scene.system.as_ref().unwrap());
        use crate::math::family::Plane;
        let f = plane.metric(key.start);
        for ring_start in &set.ring {
            // On the metric ellipse δᵀFδ = r² about the start.
            let d = [
                ring_start.start[0] - key.start[0],
                ring_start.start[1] - key.start[1],
            ];
            let q = (f.xx * d[0] * d[0] + 2.0 * f.xy * d[0] * d[1] + f.yy * d[1] * d[1]).sqrt();
            assert!((q / 12.0 - 1.0).abs() < 1e-9, "{q}");
            // Each start's runs are a direct race from it.
            if plane.check(ring_start.start).is_ok() {
                let direct = race(
                    &plane,
                    ring_start.start,
                    &key.optimizers(),
                    |o| key.lr(o),
                    key.race.steps,
                    &key.race.hyper,
                );
                assert_eq!(ring_start.runs, direct);
            } else {
                assert!(ring_start.runs.is_empty());
            }
        }
        let calm = set.ring_summary(Optimizer::Gd).unwrap();
        assert!(calm.starts > 0);
        assert_eq!(calm.crashed, 0, "small-rate gd crashed");
        // npg with its default rate settles from every start raced.
        let npg = set.ring_summary(Optimizer::Npg).unwrap();
        assert_eq!(npg.converged, npg.starts);
        // A gd rate far too large crashes from some starts.
        let wild = compute_race(&RaceKey::for_scene(&pendulum_race(0.5)).unwrap());
        let crashed = wild.ring_summary(Optimizer::Gd).unwrap().crashed;
        assert!(crashed > 0, "no crash at lr 0.5");
        // Unticked optimizers do not run; none ticked: no race.
        let mut some = pendulum_race(0.01);
        some.features.race.policy_optimizers.adam = false;
        let key = RaceKey::for_scene(&some).unwrap();
        assert!(!key.optimizers().contains(&Optimizer::Adam));
        assert_eq!(key.optimizers().len(), 4);
        // The sampled two race when ticked (unticked by default: N rollouts a step).
        assert!(!key.optimizers().contains(&Optimizer::PgMc));
        some.features.race.policy_optimizers.npg_mc = true;
        some.features.race.ring_starts = 0;
        some.features.race.steps = 5;
        some.features.race.hyper.samples = 64;
        let key = RaceKey::for_scene(&some).unwrap();
        assert!(key.optimizers().contains(&Optimizer::NpgMc));
        let sampled = compute_race(&key);
        let run = sampled
            .runs
            .iter()
            .find(|r| r.optimizer == Optimizer::NpgMc)
            .expect("an npg-mc run");
        assert!(run.trajectory.len() > 1);
        some.features.race.policy_optimizers = crate::scene::PolicyPer {
            gd: false,
            momentum: false,
            adam: false,
            npg: false,
            gauss_newton: false,
            pg_mc: false,
            npg_mc: false,
        };
        assert!(RaceKey::for_scene(&some).is_none());
        // The mixture has no ring.
        let mixture = race_scene();
        let set = compute_race(&RaceKey::for_scene(&mixture).unwrap());
        assert!(set.ring.is_empty() && set.ring_summary(Optimizer::Gd).is_none());
    }
}
