//! The soak: a seeded random sequence of a few thousand scene edits, every one applied through
//! [`Scene::apply`] (the path the viewer's widgets, gestures and keys take), with every k-th
//! scene rendered offscreen on a small canvas. σ and the zoom are pushed to their limits, the
//! target onto the diagonal, flow switched on and off, grid, node and particle counts changed
//! within bounds that keep one frame cheap on lavapipe, the probe moved, the view panned and the
//! canvas resized. Checked at every step: no panic, no wgpu error (validation, out of memory,
//! internal), a valid scene; at every rendered frame: finite field and probe values, and GPU
//! memory (buffers and textures alive and their bytes, from wgpu's `counters`) no higher than
//! the plateau a warm-up over the largest sizes reached.
//!
//! A failure names the seed and the step; `FISHERFLOW_SOAK_SEED=<seed>` reruns that sequence
//! (`FISHERFLOW_SOAK_EDITS=<n>` changes its length). `cargo test --test soak -- --nocapture`
//! shows the soak's length and the memory figures. Negative controls show each check can fail:
//! a deliberate leak of one buffer per few edits, a NaN cell, a deliberate validation error.

use crate::common;

use std::collections::BTreeMap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use fisherflow::features::cramer_rao::settings::CramerRao;
use fisherflow::gpu::context::GpuContext;
use fisherflow::gpu::gpu_data::FieldCell;
use fisherflow::kfac::Trainer;
use fisherflow::math::optimize::Optimizer;
use fisherflow::math::policy::{Plant, System};
use fisherflow::math::{Metric, Param, Slice};
use fisherflow::render::canvas::Canvas;
use fisherflow::render::pipeline::QUAD_INSTANCES_LABEL;
use fisherflow::render::{CANVAS_FORMAT, SceneRenderer};
use fisherflow::scene::{
    Camera, Convergence, ConvergenceView, EditKind, EllipseSource, Estimates, FeatureEdit,
    FeatureKind, Flow, FlowEdit, FlowEditKind, FlowMode, Geodesics, Heatmap, Integrator, Layers,
    NODE_CHOICES, ParticleColor, Preset, Race, SIGMA_RANGE, Scene, SceneEdit, Tab,
};
use fisherflow::simulation::uses_seed_kernel;

/// Edits in the default soak.
const EDITS: usize = 3000;
/// Every `RENDER_EVERY`-th edit is followed by a frame.
const RENDER_EVERY: usize = 4;
/// Seed of the default sequence (any other: `FISHERFLOW_SOAK_SEED`).
const DEFAULT_SEED: u64 = 0x5eed_f15e;
/// Canvas sizes the soak switches between (a window being resized); small, so that a frame
/// stays cheap on a software rasteriser.
const CANVASES: [[u32; 2]; 3] = [[160, 120], [120, 160], [96, 96]];
/// Largest grid density, particle count, node count and steps per frame the soak asks for:
/// the cost of one frame on lavapipe, not the scene's own limits, sets these.
const MAX_SOAK_GRID: u32 = 48;
/// The same on general slices (the general kernel costs 20-90x the seed's per cell).
const MAX_SOAK_GENERAL_GRID: u32 = 20;
const MAX_SOAK_PARTICLES: u32 = 4096;
const MAX_SOAK_NODES: u32 = 128;
const MAX_SOAK_STEPS: u32 = 4;
/// The features' caps: rays of the geodesic ball, race steps, the convergence map's cells per
/// side and step cap, N of the sampled estimates, the K-FAC lab's hidden width.
const MAX_SOAK_RAYS: u32 = 64;
const MAX_SOAK_RACE_STEPS: u32 = 40;
/// The policy race's ring of starts (each start a whole race).
const MAX_SOAK_RING_STARTS: u32 = 8;
const MAX_SOAK_MAP_SIDE: u32 = 16;
const MAX_SOAK_MAP_STEPS: u32 = 200;
const MAX_SOAK_SAMPLES: u32 = 512;
const MAX_SOAK_HIDDEN: u32 = 4;
/// How far above the warm-up plateau memory may go: allocation rounding, not a leak (a leak of
/// one small buffer per frame exceeds it within a few hundred frames, see the controls).
const SLACK_BYTES: i64 = 64 * 1024;
/// The most the instanced quads' instance buffers may hold together (the soak's largest
/// race, paths and ellipses are a few thousand 32-byte instances per layer).
const MAX_QUAD_INSTANCE_BYTES: i64 = 4 << 20;
/// How many more buffers or textures than at the plateau may be alive.
const SLACK_OBJECTS: i64 = 2;

/// A small deterministic PRNG (SplitMix64): the sequence depends on the seed only.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Log-uniform in [lo, hi] (both > 0).
    fn log_range(&mut self, lo: f64, hi: f64) -> f64 {
        self.range(lo.ln(), hi.ln()).exp()
    }

    /// Uniform integer in lo..=hi.
    fn int(&mut self, lo: u32, hi: u32) -> u32 {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as u32
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next_u64() % items.len() as u64) as usize]
    }
}

/// One step of the soak: a scene edit, or a resize of the canvas (window state, not scene).
// A few thousand per soak, each made once and applied: the (Copy) edit stays inline.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug, PartialEq)]
enum Action {
    Edit(SceneEdit),
    Resize([u32; 2]),
}

/// A random action for the current scene and canvas: a canvas resize now and then, otherwise
/// an edit of a kind drawn from every [`EditKind`] (weighted towards the gestures a user makes
/// most).
fn random_action(rng: &mut Rng, scene: &Scene, canvas: [u32; 2]) -> Action {
    if rng.chance(0.05) {
        return Action::Resize(rng.pick(&CANVASES));
    }
    let kind = weighted(rng, EditKind::ALL, weight);
    let size = [canvas[0] as f32, canvas[1] as f32];
    Action::Edit(random_edit(rng, kind, scene, size))
}

/// One of `kinds`, each drawn as often as its `weight` says.
fn weighted<K: Copy>(rng: &mut Rng, kinds: &[K], weight: impl Fn(K) -> u32) -> K {
    let total: u32 = kinds.iter().map(|&k| weight(k)).sum();
    let mut ticket = rng.int(0, total - 1);
    kinds
        .iter()
        .copied()
        .find(|&k| {
            let w = weight(k);
            if ticket < w {
                true
            } else {
                ticket -= w;
                false
            }
        })
        .expect("the tickets cover every kind")
}

/// How often each kind is drawn, relative to the others.
fn weight(kind: EditKind) -> u32 {
    match kind {
        EditKind::ZoomAbout | EditKind::SetTarget | EditKind::SetSigma => 12,
        EditKind::Pan | EditKind::SetProbe => 8,
        EditKind::SetGrid => 6,
        EditKind::SetLayers | EditKind::SetParam => 4,
        EditKind::SetNodes | EditKind::SetDamping | EditKind::FitView | EditKind::SetSlice => 3,
        // Each of the eight features' settings about as often as one fine edit above.
        EditKind::SetFeature => 22,
        // The flow's own edits, together (`flow_weight` shares them out).
        EditKind::Flow => FlowEditKind::ALL.iter().map(|&k| flow_weight(k)).sum(),
        EditKind::SetRaceStart => 3,
        EditKind::SetTab | EditKind::ApplyPreset | EditKind::SetMetric => 2,
        EditKind::SetSystem => 2,
        EditKind::SetEllipseScale => 2,
        EditKind::Reset => 1,
    }
}

/// How often each of the flow's edits is drawn, relative to the others and to [`weight`]'s.
fn flow_weight(kind: FlowEditKind) -> u32 {
    match kind {
        FlowEditKind::Toggle => 6,
        FlowEditKind::Particles => 4,
        FlowEditKind::Mode => 3,
        FlowEditKind::Run => 2,
        FlowEditKind::Dt
        | FlowEditKind::StepsPerFrame
        | FlowEditKind::SpeedCap
        | FlowEditKind::Fade
        | FlowEditKind::Integrator
        | FlowEditKind::Color
        | FlowEditKind::Seed => 1,
    }
}

/// One of the flow's edits, drawn by [`flow_weight`], with values past its widget's range now
/// and then (`apply` clamps them) and sizes within the soak's caps.
fn random_flow_edit(rng: &mut Rng) -> FlowEdit {
    match weighted(rng, FlowEditKind::ALL, flow_weight) {
        FlowEditKind::Toggle => FlowEdit::Toggle,
        FlowEditKind::Run => FlowEdit::Run(rng.chance(0.5)),
        FlowEditKind::Particles => FlowEdit::Particles(Some(rng.int(500, MAX_SOAK_PARTICLES))),
        FlowEditKind::Mode => FlowEdit::Mode(rng.pick(&FlowMode::ALL)),
        FlowEditKind::Dt => FlowEdit::Dt(rng.log_range(1e-4, 5.0)),
        FlowEditKind::StepsPerFrame => FlowEdit::StepsPerFrame(rng.int(0, MAX_SOAK_STEPS)),
        FlowEditKind::SpeedCap => FlowEdit::SpeedCap(rng.log_range(0.01, 200.0)),
        FlowEditKind::Fade => FlowEdit::Fade(rng.log_range(1e-3, 2.0)),
        FlowEditKind::Integrator => {
            FlowEdit::Integrator(rng.pick(&[Integrator::Rk4, Integrator::Euler]))
        }
        FlowEditKind::Color => {
            FlowEdit::Color(rng.pick(&[ParticleColor::Mode, ParticleColor::Speed]))
        }
        FlowEditKind::Seed => FlowEdit::Seed(rng.next_u64() as u32),
    }
}

/// A random edit of `kind` for the current scene on a canvas of `size` pixels. Values
/// deliberately overshoot the UI's ranges now and then (σ, zoom, damping, dt, coordinates, the
/// features' counts): `apply` must clamp them. The features' sizes are capped so a frame stays
/// cheap on lavapipe (small balls, races and maps). No catch-all arm: a new edit kind does not
/// compile until the soak makes it.
fn random_edit(rng: &mut Rng, kind: EditKind, scene: &Scene, size: [f32; 2]) -> SceneEdit {
    let pixel = |rng: &mut Rng| {
        [
            rng.range(0.0, size[0] as f64) as f32,
            rng.range(0.0, size[1] as f64) as f32,
        ]
    };
    let world = |rng: &mut Rng| scene.camera.pixel_to_world(pixel(rng), size);
    let sigma = scene.model.sigma1;
    let param = |rng: &mut Rng| rng.pick(&Param::ALL);
    match kind {
        EditKind::SetSlice => SceneEdit::SetSlice(Slice {
            a: param(rng),
            b: param(rng),
        }),
        EditKind::ApplyPreset => {
            SceneEdit::ApplyPreset(rng.pick(&Preset::every().collect::<Vec<_>>()))
        }
        EditKind::SetSystem => {
            if rng.chance(0.25) {
                SceneEdit::SetSystem(None)
            } else {
                // Keys in and beyond the sliders' ranges (NaN too): apply clamps them.
                let key = |rng: &mut Rng, lo: f64, hi: f64| {
                    if rng.chance(0.1) {
                        rng.pick(&[-1.0, 0.0, 1e9, f64::NAN])
                    } else {
                        rng.log_range(lo, hi)
                    }
                };
                let plant = rng.pick(&[Plant::Cart, Plant::Pendulum]);
                SceneEdit::SetSystem(Some(System {
                    plant,
                    dt: rng.chance(0.5).then(|| key(rng, 0.01, 0.3)),
                    friction: key(rng, 0.01, 3.0),
                    omega2: (plant == Plant::Pendulum && rng.chance(0.5))
                        .then(|| key(rng, 1.0, 40.0)),
                    q_pos: key(rng, 0.1, 10.0),
                    q_vel: key(rng, 0.1, 10.0),
                    r: key(rng, 0.01, 1.0),
                    x0_pos: key(rng, 0.1, 5.0),
                    x0_vel: key(rng, 0.1, 5.0),
                    exploration: key(rng, 0.1, 3.0),
                }))
            }
        }
        EditKind::SetParam => {
            let p = param(rng);
            SceneEdit::SetParam(
                p,
                if rng.chance(0.25) {
                    rng.pick(&[-1.0, 0.0, 1.0, 2.0, 1e9, f64::NAN])
                } else {
                    match p {
                        Param::Pi => rng.range(0.0, 1.0),
                        Param::Mu1 | Param::Mu2 => rng.range(-5.0, 5.0),
                        _ => rng.log_range(0.02, 8.0),
                    }
                },
            )
        }
        EditKind::SetMetric => SceneEdit::SetMetric(rng.pick(&Metric::ALL)),
        EditKind::SetSigma => SceneEdit::SetSigma(match rng.int(0, 4) {
            0 => SIGMA_RANGE.0,
            1 => SIGMA_RANGE.1,
            2 => rng.pick(&[1e-9, 0.0, -1.0, 1e9]),
            3 => sigma * rng.log_range(0.5, 2.0),
            _ => rng.log_range(0.02, 20.0),
        }),
        EditKind::ZoomAbout => SceneEdit::ZoomAbout {
            factor: if rng.chance(0.12) {
                rng.pick(&[1e15, 1e-15])
            } else {
                rng.log_range(1e-3, 1e3)
            },
            pixel: pixel(rng),
            size,
        },
        EditKind::Pan => SceneEdit::Pan {
            delta_px: if rng.chance(0.05) {
                [rng.range(-1e5, 1e5) as f32, rng.range(-1e5, 1e5) as f32]
            } else {
                [
                    rng.range(-200.0, 200.0) as f32,
                    rng.range(-200.0, 200.0) as f32,
                ]
            },
            height_px: size[1],
        },
        EditKind::SetTarget => {
            // Where the handle would be dragged: a canvas point, onto the diagonal, a hair
            // from it (0.01–0.02σ, where λ_min matters), or far out.
            let w = world(rng);
            SceneEdit::SetTarget(match rng.int(0, 4) {
                0 => w,
                1 => [w[0], w[0]],
                2 => [
                    w[0],
                    w[0] + rng.pick(&[1.0, -1.0]) * rng.range(0.01, 0.02) * sigma,
                ],
                3 => [rng.range(-5.0, 5.0), rng.range(-5.0, 5.0)],
                _ => [rng.range(-1e7, 1e7), rng.range(-1e7, 1e7)],
            })
        }
        EditKind::SetProbe => SceneEdit::SetProbe(match rng.int(0, 5) {
            0 => None,
            1 => {
                let w = world(rng);
                Some([w[0], w[0]])
            }
            2 => Some([rng.range(-1e7, 1e7), rng.range(-1e7, 1e7)]),
            _ => Some(world(rng)),
        }),
        EditKind::SetGrid => SceneEdit::SetGrid(if rng.chance(0.3) {
            rng.pick(&[0, 4, 8, MAX_SOAK_GRID])
        } else {
            rng.int(4, MAX_SOAK_GRID)
        }),
        EditKind::Flow => SceneEdit::Flow(random_flow_edit(rng)),
        EditKind::SetNodes => SceneEdit::SetNodes(if rng.chance(0.5) {
            rng.pick(&NODE_CHOICES)
        } else {
            rng.int(0, MAX_SOAK_NODES + 1)
        }),
        EditKind::SetDamping => SceneEdit::SetDamping(match rng.int(0, 2) {
            0 => 0.0,
            1 => rng.pick(&[-1.0, 1e3]),
            _ => rng.log_range(1e-5, 10.0),
        }),
        EditKind::SetEllipseScale => SceneEdit::SetEllipseScale(rng.log_range(0.01, 20.0)),
        EditKind::SetLayers => SceneEdit::SetLayers(Layers {
            ellipses: rng.chance(0.85),
            axes: rng.chance(0.7),
            handles: rng.chance(0.7),
            probe: rng.chance(0.85),
            particles: rng.chance(0.85),
            legend: rng.chance(0.5),
        }),
        EditKind::SetRaceStart => SceneEdit::SetRaceStart(match rng.int(0, 3) {
            0 => None,
            1 => Some([rng.range(-1e7, 1e7), rng.range(-1e7, 1e7)]),
            _ => Some(world(rng)),
        }),
        EditKind::SetTab => SceneEdit::SetTab(rng.pick(&[Tab::Geometry, Tab::Kfac])),
        EditKind::SetFeature => {
            let feature = rng.pick(FeatureKind::ALL);
            SceneEdit::SetFeature(random_feature_edit(rng, feature, scene))
        }
        EditKind::FitView => SceneEdit::FitView,
        EditKind::Reset => SceneEdit::Reset,
    }
}

/// New settings for one feature: values past both ends of their ranges now and then (the
/// scene clamps them), sizes within the soak's caps.
fn random_feature_edit(rng: &mut Rng, kind: FeatureKind, scene: &Scene) -> FeatureEdit {
    match kind {
        FeatureKind::Flow => FeatureEdit::from(Flow {
            enabled: rng.chance(0.5),
            mode: rng.pick(&FlowMode::ALL),
            particles: Some(rng.int(500, MAX_SOAK_PARTICLES)),
            dt: rng.log_range(1e-4, 5.0),
            steps_per_frame: rng.int(0, MAX_SOAK_STEPS),
            integrator: rng.pick(&[Integrator::Rk4, Integrator::Euler]),
            speed_cap: rng.log_range(0.01, 200.0),
            max_age: rng.int(0, 1000),
            fade: rng.log_range(1e-3, 2.0),
            color: rng.pick(&[ParticleColor::Mode, ParticleColor::Speed]),
            seed: rng.next_u64() as u32,
        }),
        FeatureKind::Heatmap => FeatureEdit::from(rng.pick(&Heatmap::ALL)),
        FeatureKind::Geodesics => FeatureEdit::from(Geodesics {
            ball: rng.chance(0.5),
            radius: rng.log_range(1e-3, 10.0),
            rays: if rng.chance(0.1) {
                rng.pick(&[0, 1_000_000])
            } else {
                rng.int(1, MAX_SOAK_RAYS)
            },
            spokes: rng.chance(0.5),
            shortest_path: rng.chance(0.4),
        }),
        FeatureKind::Race => {
            let mut race = scene.features.race;
            race.enabled = rng.chance(0.5);
            for o in Optimizer::MIXTURE {
                *race.optimizers.get_mut(o) = rng.chance(0.6);
                *race.lr.get_mut(o) = rng.log_range(1e-5, 20.0);
            }
            race.steps = if rng.chance(0.1) {
                rng.pick(&[0, 1_000_000])
            } else {
                rng.int(1, MAX_SOAK_RACE_STEPS)
            };
            race.hyper.samples = rng.int(1, 256);
            race.hyper.seed = rng.next_u64() as u32;
            // The policy plane's toggles and ring (small: a ring races every start).
            for o in Optimizer::POLICY {
                *race.policy_optimizers.get_mut(o) = rng.chance(0.7);
            }
            race.ring_starts = if rng.chance(0.1) {
                rng.pick(&[1_000_000, 0])
            } else {
                rng.int(0, MAX_SOAK_RING_STARTS)
            };
            race.ring_radius = rng.log_range(1e-3, 100.0);
            FeatureEdit::from(race)
        }
        FeatureKind::CramerRao => FeatureEdit::from(CramerRao {
            enabled: rng.chance(0.6),
            samples: rng.int(0, 2_000_000),
            // Past both ends of the range now and then, and NaN.
            level: match rng.int(0, 8) {
                0 => f64::NAN,
                _ => rng.range(0.0, 1.2),
            },
        }),
        FeatureKind::Estimates => FeatureEdit::from(Estimates {
            at_probe: rng.chance(0.5),
            fisher: rng.chance(0.7),
            empirical: rng.chance(0.7),
            empirical_samples: rng.chance(0.7),
            monte_carlo: rng.chance(0.7),
            samples: rng.int(0, MAX_SOAK_SAMPLES),
            seed: rng.next_u64() as u32,
            grid_ellipses: rng.pick(&[EllipseSource::Fisher, EllipseSource::EmpiricalFisher]),
        }),
        FeatureKind::Convergence => {
            let mut map = scene.features.convergence;
            map.enabled = rng.chance(0.4);
            map.view = rng.pick(&[
                ConvergenceView::Gd,
                ConvergenceView::Ngd,
                ConvergenceView::Split,
            ]);
            map.lr_gd = rng.log_range(1e-4, 10.0);
            map.lr_ngd = rng.log_range(1e-4, 10.0);
            map.max_steps = rng.int(0, MAX_SOAK_MAP_STEPS);
            map.threshold = rng.log_range(1e-7, 1.0);
            map.side = rng.int(0, MAX_SOAK_MAP_SIDE);
            map.steps_per_frame = rng.int(0, MAX_SOAK_MAP_STEPS);
            FeatureEdit::from(map)
        }
        FeatureKind::KfacLab => {
            let mut lab = scene.features.kfac;
            lab.hidden = rng.int(0, MAX_SOAK_HIDDEN);
            lab.seed = rng.next_u64() as u32;
            lab.damping = rng.log_range(1e-9, 100.0);
            lab.lr = [0; 3].map(|_| rng.log_range(1e-5, 20.0));
            lab.nodes = rng.int(0, 32);
            lab.samples = if rng.chance(0.5) { 0 } else { rng.int(1, 64) };
            lab.shown = rng.pick(&Trainer::ALL);
            lab.training = rng.chance(0.5);
            FeatureEdit::from(lab)
        }
    }
}

/// Buffers and textures alive on a device and their bytes (wgpu's `counters` feature; zero
/// without it).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct GpuMemory {
    buffers: i64,
    buffer_bytes: i64,
    textures: i64,
    texture_bytes: i64,
    /// Bytes of the instanced quads' instance buffers (lines and markers built on the CPU:
    /// axes, paths, race, estimates), counted apart: they grow by doubling to the largest set
    /// drawn, which depends on where the random probe and start land, so they are bounded
    /// ([`MAX_QUAD_INSTANCE_BYTES`]) rather than held to the plateau.
    quad_instance_bytes: i64,
    /// Render and compute pipelines alive: none may be made after the warm-up.
    pipelines: i64,
}

impl GpuMemory {
    /// The device's counters now. Resources dropped while the GPU still used them are freed
    /// by a poll: wait for the device first.
    ///
    /// The texture count comes from the allocator's report where there is one: wgpu-hal
    /// 30.0.2's Vulkan backend never increments its `textures` counter when it creates a
    /// texture (only when it wraps a raw one) but decrements it on destroy, so that counter
    /// drifts below zero. Every buffer and texture there is one allocator allocation, so the
    /// textures are the allocations that are not buffers. (The byte counters are right.)
    fn read(device: &wgpu::Device) -> Self {
        let hal = device.get_internal_counters().hal;
        let buffers = hal.buffers.read() as i64;
        let report = device.generate_allocator_report();
        let textures = match &report {
            Some(report) => report.allocations.len() as i64 - buffers,
            None => hal.textures.read() as i64,
        };
        let quad_instance_bytes = report.map_or(0, |report| {
            report
                .allocations
                .iter()
                .filter(|a| a.name == QUAD_INSTANCES_LABEL)
                .map(|a| a.size as i64)
                .sum()
        });
        Self {
            buffers,
            buffer_bytes: hal.buffer_memory.read() as i64 - quad_instance_bytes,
            textures,
            texture_bytes: hal.texture_memory.read() as i64,
            quad_instance_bytes,
            pipelines: (hal.render_pipelines.read() + hal.compute_pipelines.read()) as i64,
        }
    }

    fn bytes(&self) -> i64 {
        self.buffer_bytes + self.texture_bytes
    }

    /// The field-wise maximum.
    fn max(self, other: Self) -> Self {
        Self {
            buffers: self.buffers.max(other.buffers),
            buffer_bytes: self.buffer_bytes.max(other.buffer_bytes),
            textures: self.textures.max(other.textures),
            texture_bytes: self.texture_bytes.max(other.texture_bytes),
            quad_instance_bytes: self.quad_instance_bytes.max(other.quad_instance_bytes),
            pipelines: self.pipelines.max(other.pipelines),
        }
    }
}

impl fmt::Display for GpuMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} buffers ({} B) + {} textures ({} B) = {} B; quad instances {} B; {} pipelines",
            self.buffers,
            self.buffer_bytes,
            self.textures,
            self.texture_bytes,
            self.bytes(),
            self.quad_instance_bytes,
            self.pipelines
        )
    }
}

/// The soak's "memory flat" rule: `now` holds no more buffers or textures, and no more bytes,
/// than the warm-up `plateau` plus the slack.
fn memory_flat(plateau: GpuMemory, now: GpuMemory) -> Result<(), String> {
    let mut over = Vec::new();
    if now.bytes() > plateau.bytes() + SLACK_BYTES {
        over.push(format!(
            "{} bytes alive > plateau {} + slack {SLACK_BYTES}",
            now.bytes(),
            plateau.bytes()
        ));
    }
    if now.buffers > plateau.buffers + SLACK_OBJECTS {
        over.push(format!(
            "{} buffers alive > plateau {} + slack {SLACK_OBJECTS}",
            now.buffers, plateau.buffers
        ));
    }
    if now.quad_instance_bytes > MAX_QUAD_INSTANCE_BYTES {
        over.push(format!(
            "{} bytes of quad instances > {MAX_QUAD_INSTANCE_BYTES}",
            now.quad_instance_bytes
        ));
    }
    if now.pipelines > plateau.pipelines {
        over.push(format!(
            "{} pipelines alive > {} after the warm-up: one was made in the frame loop",
            now.pipelines, plateau.pipelines
        ));
    }
    if now.textures > plateau.textures + SLACK_OBJECTS {
        over.push(format!(
            "{} textures alive > plateau {} + slack {SLACK_OBJECTS}",
            now.textures, plateau.textures
        ));
    }
    if over.is_empty() {
        Ok(())
    } else {
        Err(format!("GPU memory grew: {}", over.join("; ")))
    }
}

/// The first cell with a value that is not finite, as (index, description).
fn first_non_finite(cells: &[FieldCell]) -> Option<(usize, String)> {
    cells.iter().enumerate().find_map(|(i, c)| {
        let finite = c
            .theta
            .iter()
            .chain(&c.eigenvalues)
            .chain(&c.fisher)
            .chain(&c.rotated)
            .chain(&c.q_max)
            .chain(&c.grad)
            .chain(&c.natgrad)
            .chain([&c.loss, &c.angle_deg])
            .all(|v| v.is_finite());
        (!finite).then(|| (i, format!("{c:?}")))
    })
}

/// What the soak saw.
#[derive(Debug, Default)]
struct SoakReport {
    edits: usize,
    frames: usize,
    cells_checked: usize,
    seconds: f64,
    /// Seconds of the three phases: the warm-up, the random edits (frames and edits), the end.
    phase_seconds: [f64; 3],
    plateau: GpuMemory,
    peak: GpuMemory,
    end: GpuMemory,
    coverage: Coverage,
    /// Seconds of the random phase's frames by what was on in them (a frame counts for each).
    frame_seconds: BTreeMap<&'static str, (usize, f64)>,
}

/// Which extremes the rendered frames reached (the soak must exercise what it claims).
#[derive(Debug, Default)]
struct Coverage {
    sigma_min: bool,
    sigma_max: bool,
    zoom_min: bool,
    zoom_max: bool,
    target_on_diagonal: bool,
    flow_on: bool,
    flow_off: bool,
    grid_min: bool,
    grid_max: bool,
    general_slice: bool,
    profiled: bool,
    /// Every edit kind applied.
    kinds: std::collections::BTreeSet<EditKind>,
    /// Features drawn: the race, shortest paths, the ball, the map, estimates at the probe,
    /// the natural-vs-EF flow, the K-FAC tab, and each heatmap.
    race: bool,
    paths: bool,
    ball: bool,
    map: bool,
    estimates: bool,
    cramer_rao: bool,
    natural_vs_ef: bool,
    kfac_tab: bool,
    heatmaps: std::collections::BTreeSet<String>,
}

impl Coverage {
    fn note(&mut self, scene: &Scene) {
        let (h_lo, h_hi) = Camera::HALF_HEIGHT_RANGE;
        self.sigma_min |= scene.model.sigma1 == SIGMA_RANGE.0;
        self.sigma_max |= scene.model.sigma1 == SIGMA_RANGE.1;
        self.zoom_min |= scene.camera.half_height == h_lo;
        self.zoom_max |= scene.camera.half_height == h_hi;
        self.target_on_diagonal |= scene.target()[0] == scene.target()[1];
        self.flow_on |= scene.features.flow.enabled;
        self.flow_off |= !scene.features.flow.enabled;
        self.grid_min |= scene.grid == fisherflow::scene::MIN_GRID;
        self.grid_max |= scene.grid == MAX_SOAK_GRID;
        self.general_slice |= !uses_seed_kernel(scene);
        self.profiled |= scene.metric == Metric::Profiled;
        let probe = scene.probe.is_some();
        self.race |= scene.features.race.enabled;
        self.paths |= scene.features.geodesics.shortest_path && probe;
        self.ball |= scene.features.geodesics.ball && probe;
        self.map |= scene.features.convergence.enabled;
        self.estimates |= scene.features.estimates.at_probe && probe;
        self.cramer_rao |= scene.features.cramer_rao.enabled && scene.system.is_none();
        self.natural_vs_ef |=
            scene.features.flow.enabled && scene.features.flow.mode == FlowMode::NaturalVsEmpirical;
        self.kfac_tab |= scene.tab == Tab::Kfac;
        self.heatmaps
            .insert(format!("{:?}", scene.features.heatmap));
    }

    fn missing(&self) -> Vec<&'static str> {
        [
            (self.sigma_min, "σ at its minimum"),
            (self.sigma_max, "σ at its maximum"),
            (self.zoom_min, "the deepest zoom"),
            (self.zoom_max, "the widest zoom"),
            (self.target_on_diagonal, "the target on the diagonal"),
            (self.flow_on, "flow on"),
            (self.flow_off, "flow off"),
            (self.grid_min, "the smallest grid"),
            (self.grid_max, "the largest soak grid"),
            (self.general_slice, "the general kernel"),
            (self.profiled, "the profiled metric"),
            (self.race, "the optimizer race"),
            (self.paths, "shortest paths"),
            (self.ball, "the geodesic ball"),
            (self.map, "the convergence map"),
            (self.estimates, "estimates at the probe"),
            (self.cramer_rao, "the Cramér–Rao region"),
            (self.natural_vs_ef, "the natural-vs-EF flow"),
            (self.kfac_tab, "the K-FAC tab"),
            (self.heatmaps.len() == Heatmap::ALL.len(), "every heatmap"),
            (self.kinds.len() == EditKind::ALL.len(), "every edit kind"),
        ]
        .into_iter()
        .filter(|(hit, _)| !hit)
        .map(|(_, what)| what)
        .collect()
    }
}

/// How a soak run is set up.
struct SoakConfig {
    seed: u64,
    edits: usize,
    render_every: usize,
    /// Negative control: keep one new 4 KiB buffer alive every this many edits.
    leak_every: Option<usize>,
}

/// The largest scene of the soak on a canvas `height_px` tall: what the warm-up renders on
/// every canvas (and the end renders again) so that the memory plateau holds every buffer and
/// texture at its largest. `general`: the same on a general slice (the general kernel's field,
/// probe and particles have buffers of their own; its field grows with the same headroom).
fn largest_scene_edits(height_px: u32, general: bool) -> Vec<SceneEdit> {
    // Half a cell off the cell grid (the default view spans 8 world units, MAX_SOAK_GRID
    // cells), so the snapped grid needs its extra column and row: the most cells this density
    // can have, and the largest field buffer the renderer allocates for it.
    let half_cell_px = 0.5 * height_px as f32 / MAX_SOAK_GRID as f32;
    let mut edits = vec![SceneEdit::Reset];
    if general {
        edits.push(SceneEdit::ApplyPreset(Preset::Sigmas));
        edits.push(SceneEdit::SetMetric(Metric::Profiled));
    }
    edits.extend([
        SceneEdit::Pan {
            delta_px: [-half_cell_px, half_cell_px],
            height_px: height_px as f32,
        },
        SceneEdit::SetGrid(if general {
            MAX_SOAK_GENERAL_GRID
        } else {
            MAX_SOAK_GRID
        }),
        SceneEdit::SetNodes(if general { 64 } else { MAX_SOAK_NODES }),
        SceneEdit::Flow(FlowEdit::Particles(Some(if general {
            fisherflow::scene::PARTICLE_RANGE.0
        } else {
            MAX_SOAK_PARTICLES
        }))),
        SceneEdit::Flow(FlowEdit::StepsPerFrame(if general {
            1
        } else {
            MAX_SOAK_STEPS
        })),
        SceneEdit::Flow(FlowEdit::Run(true)),
        SceneEdit::SetLayers(Layers::default()),
        SceneEdit::SetProbe(Some([0.5, if general { 0.75 } else { -0.25 }])),
        // Every feature on at the soak's caps (drawn, in deterministic frames, by the warm-up).
        SceneEdit::feature(Heatmap::Loss),
        SceneEdit::feature(Geodesics {
            ball: true,
            radius: 0.5,
            rays: MAX_SOAK_RAYS,
            spokes: true,
            shortest_path: true,
        }),
        SceneEdit::feature({
            let mut race = Race {
                enabled: true,
                steps: MAX_SOAK_RACE_STEPS,
                ..Race::default()
            };
            for o in Optimizer::MIXTURE {
                *race.optimizers.get_mut(o) = true;
            }
            race.ring_starts = MAX_SOAK_RING_STARTS;
            race
        }),
        SceneEdit::feature(Estimates {
            at_probe: true,
            samples: MAX_SOAK_SAMPLES,
            ..Estimates::default()
        }),
        SceneEdit::feature(Convergence {
            enabled: true,
            side: MAX_SOAK_MAP_SIDE,
            max_steps: MAX_SOAK_MAP_STEPS,
            ..Convergence::default()
        }),
    ]);
    edits
}

/// Errors wgpu reports to the device's uncaptured-error handler (outside the per-step scopes).
type ErrorLog = Arc<Mutex<Vec<String>>>;

/// The device, renderer, the canvas targets and the error log of one soak run.
struct Rig<'a> {
    ctx: &'a GpuContext,
    renderer: SceneRenderer,
    targets: BTreeMap<[u32; 2], Canvas>,
    uncaptured: ErrorLog,
}

impl<'a> Rig<'a> {
    fn new(ctx: &'a GpuContext) -> Self {
        let uncaptured: ErrorLog = Arc::default();
        let log = uncaptured.clone();
        ctx.device
            .on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
                log.lock().unwrap().push(e.to_string());
            }));
        // Every canvas' target from the start, as a window's swapchain would be: the warm-up's
        // plateau then holds them all at once.
        let targets = CANVASES
            .iter()
            .map(|&size| {
                let target = Canvas::new(&ctx.device, size, CANVAS_FORMAT, "soak");
                (size, target)
            })
            .collect();
        Self {
            ctx,
            renderer: SceneRenderer::new(ctx, CANVAS_FORMAT).expect("renderer"),
            targets,
            uncaptured,
        }
    }

    /// Renders one frame of `scene` on a `canvas`, waits for it and returns the number of field
    /// cells read back and checked finite.
    fn frame(&mut self, scene: &Scene, canvas: [u32; 2]) -> Result<usize, String> {
        let ctx = self.ctx;
        let target = &self.targets[&canvas];
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        let info = self
            .renderer
            .render(ctx, &mut encoder, &target.view, canvas, 1.0, scene)
            .map_err(|e| format!("render failed: {e}"))?;
        ctx.queue.submit([encoder.finish()]);
        ctx.wait().map_err(|e| e.to_string())?;
        let (cells, probe) = self
            .renderer
            .simulation()
            .read_field_and_probe(ctx)
            .map_err(|e| format!("read-back failed: {e}"))?;
        if cells.len() != info.cells as usize {
            return Err(format!(
                "read back {} field cells, the frame has {}",
                cells.len(),
                info.cells
            ));
        }
        if let Some((i, cell)) = first_non_finite(&cells) {
            return Err(format!("field cell {i} is not finite: {cell}"));
        }
        if let Some((_, cell)) = first_non_finite(probe.as_slice()) {
            return Err(format!("the probe cell is not finite: {cell}"));
        }
        let failures = self.renderer.simulation().jobs().failures();
        if !failures.is_empty() {
            return Err(failures.join("\n"));
        }
        Ok(cells.len())
    }

    /// Runs `step` inside error scopes (validation, out of memory, internal) and fails with
    /// what wgpu reported, or with the panic's message.
    fn checked<T>(
        &mut self,
        step: impl FnOnce(&mut Self) -> Result<T, String>,
    ) -> Result<T, String> {
        let device = self.ctx.device.clone();
        let scopes = [
            wgpu::ErrorFilter::Validation,
            wgpu::ErrorFilter::OutOfMemory,
            wgpu::ErrorFilter::Internal,
        ]
        .map(|filter| device.push_error_scope(filter));
        let result = catch_unwind(AssertUnwindSafe(|| step(self)));
        let mut errors: Vec<String> = scopes
            .into_iter()
            .rev()
            .filter_map(|scope| pollster::block_on(scope.pop()))
            .map(|e| format!("wgpu error: {e}"))
            .collect();
        errors.extend(
            self.uncaptured
                .lock()
                .unwrap()
                .drain(..)
                .map(|e| format!("uncaptured wgpu error: {e}")),
        );
        let value = match result {
            Ok(Ok(value)) => Some(value),
            Ok(Err(e)) => {
                errors.insert(0, e);
                None
            }
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "(no message)".into());
                errors.insert(0, format!("panicked: {message}"));
                None
            }
        };
        match value {
            Some(value) if errors.is_empty() => Ok(value),
            _ => Err(errors.join("\n")),
        }
    }

    /// Buffers and textures alive once the GPU is idle (a poll frees what was dropped while a
    /// submission still used it, such as the read-back's staging buffer).
    fn memory(&self) -> GpuMemory {
        self.ctx.wait().expect("the GPU went idle");
        GpuMemory::read(&self.ctx.device)
    }
}

/// Runs the soak; Err says the seed, the step, the recent actions and what went wrong.
/// Holds the scene within the soak's budget after an edit (the scene's own ranges go much
/// further: a 5000-step race, a 4096-ray ball, a 1024² map): what is exercised is the same code.
fn cap_costs(scene: &mut Scene) {
    // A reset hands the particle count back to the adapter's default (8k on a CPU adapter):
    // pin it again, within the soak's budget.
    if scene.features.flow.particles.is_none() {
        scene.apply(SceneEdit::Flow(FlowEdit::Particles(Some(
            MAX_SOAK_PARTICLES / 2,
        ))));
    }
    // General slices (and the profiled metric, which the general kernel computes on the seed's
    // slice too) cost 20-90x the seed's per evaluation on lavapipe.
    if !uses_seed_kernel(scene) {
        scene.apply(SceneEdit::Flow(FlowEdit::Particles(Some(
            fisherflow::scene::PARTICLE_RANGE.0,
        ))));
        scene.apply(SceneEdit::Flow(FlowEdit::StepsPerFrame(1)));
        scene.apply(SceneEdit::SetGrid(scene.grid.min(MAX_SOAK_GENERAL_GRID)));
        scene.apply(SceneEdit::SetNodes(scene.nodes.min(64)));
    }
    let mut geodesics = scene.features.geodesics;
    geodesics.rays = geodesics.rays.min(MAX_SOAK_RAYS);
    scene.apply(SceneEdit::feature(geodesics));
    let mut race = scene.features.race;
    race.steps = race.steps.min(MAX_SOAK_RACE_STEPS);
    race.hyper.samples = race.hyper.samples.min(256);
    race.ring_starts = race.ring_starts.min(MAX_SOAK_RING_STARTS);
    scene.apply(SceneEdit::feature(race));
    let mut map = scene.features.convergence;
    map.side = map.side.min(MAX_SOAK_MAP_SIDE);
    map.max_steps = map.max_steps.min(MAX_SOAK_MAP_STEPS);
    scene.apply(SceneEdit::feature(map));
    let mut estimates = scene.features.estimates;
    estimates.samples = estimates.samples.min(MAX_SOAK_SAMPLES);
    scene.apply(SceneEdit::feature(estimates));
    let mut lab = scene.features.kfac;
    lab.hidden = lab.hidden.min(MAX_SOAK_HIDDEN);
    lab.nodes = lab.nodes.min(32);
    lab.samples = lab.samples.min(64);
    scene.apply(SceneEdit::feature(lab));
}

fn run_soak(ctx: &GpuContext, config: &SoakConfig) -> Result<SoakReport, String> {
    let start = Instant::now();
    let mut rig = Rig::new(ctx);
    let mut scene = Scene::default();
    let mut canvas = CANVASES[0];
    let mut report = SoakReport::default();
    let mut leaked: Vec<wgpu::Buffer> = Vec::new();
    let fail = |step: &str, recent: &[Action], why: String| {
        let recent: Vec<String> = recent.iter().map(|a| format!("  {a:?}")).collect();
        format!(
            "soak failed at {step} with seed {seed} (rerun: FISHERFLOW_SOAK_SEED={seed} cargo \
             test --test soak -- --nocapture)\nlast actions, oldest first:\n{}\n{why}",
            recent.join("\n"),
            seed = config.seed
        )
    };

    // Warm-up, in deterministic frames (the off-loop results drawn in the frame that asks for
    // them): the viewer's warm-up scenes, which make every pipeline; then the largest scene on
    // every canvas, on a general slice and then on the seed's, two frames each (spawn, then a
    // step). In that order: the general stage's buffers stay
    // allocated once made, so the most memory is the seed's largest scene (its particles are
    // the most) with the general stage alive beside it.
    rig.renderer.set_deterministic(true);
    for warm in fisherflow::frame::warm_up_scenes() {
        rig.checked(|rig| rig.frame(&warm, CANVASES[2]))
            .map_err(|e| fail("the warm-up scenes", &[], e))?;
    }
    for general in [true, false] {
        for &size in &CANVASES {
            for edit in largest_scene_edits(size[1], general) {
                scene.apply(edit);
            }
            for _ in 0..2 {
                rig.checked(|rig| rig.frame(&scene, size))
                    .map_err(|e| fail("the warm-up", &[], e))?;
                report.plateau = report.plateau.max(rig.memory());
            }
            // A drag of the target under an L heatmap: the coarse field of a drag
            // (`features::field::stage_drag`) is made too.
            let mut dragged = scene.clone();
            dragged.apply(SceneEdit::feature(Heatmap::Loss));
            let t = dragged.target();
            dragged.apply(SceneEdit::SetTarget([t[0] + 0.05, t[1]]));
            rig.renderer.set_dragging(true);
            rig.checked(|rig| rig.frame(&dragged, size))
                .map_err(|e| fail("the warm-up's drag", &[], e))?;
            rig.renderer.set_dragging(false);
            report.plateau = report.plateau.max(rig.memory());
        }
    }
    if report.plateau.buffers == 0 || report.plateau.bytes() == 0 {
        return Err(format!(
            "the device's memory counters read {}: is wgpu's `counters` feature on?",
            report.plateau
        ));
    }
    report.peak = report.plateau;
    report.phase_seconds[0] = start.elapsed().as_secs_f64();
    // The random edits run as the interactive viewer does: off-loop results drawn when ready.
    rig.renderer.set_deterministic(false);

    let mut rng = Rng(config.seed);
    let mut recent: Vec<Action> = Vec::new();
    for index in 0..config.edits {
        let action = random_action(&mut rng, &scene, canvas);
        recent.push(action);
        if recent.len() > 6 {
            recent.remove(0);
        }
        let step = format!("step {index}");
        match action {
            Action::Edit(edit) => {
                scene.apply(edit);
                report.coverage.kinds.insert(edit.kind());
                cap_costs(&mut scene);
                report.edits += 1;
            }
            Action::Resize(size) => canvas = size,
        }
        scene
            .validate()
            .map_err(|e| fail(&step, &recent, format!("the scene became invalid: {e}")))?;
        if let Some(every) = config.leak_every
            && index % every == 0
        {
            leaked.push(ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("deliberate leak"),
                size: 4096,
                usage: wgpu::BufferUsages::STORAGE,
                mapped_at_creation: false,
            }));
        }
        if (index + 1) % config.render_every == 0 {
            // A moved target is a drag now and then, as the viewer says while a handle moves.
            rig.renderer.set_dragging(
                matches!(action, Action::Edit(SceneEdit::SetTarget(_))) && rng.chance(0.5),
            );
            let frame_start = Instant::now();
            let cells = rig
                .checked(|rig| rig.frame(&scene, canvas))
                .map_err(|e| fail(&step, &recent, format!("{e}\nscene: {scene:#?}")))?;
            let seconds = frame_start.elapsed().as_secs_f64();
            for (on, what) in [
                (true, "all"),
                (!uses_seed_kernel(&scene), "general kernel"),
                (scene.features.flow.enabled, "flow"),
                (
                    scene.features.flow.enabled
                        && scene.features.flow.mode == FlowMode::NaturalVsEmpirical,
                    "natural-vs-EF flow",
                ),
                (scene.features.heatmap != Heatmap::None, "heatmap"),
                (
                    scene.features.geodesics.ball && scene.probe.is_some(),
                    "ball",
                ),
                (scene.features.convergence.enabled, "map"),
                (scene.features.race.enabled, "race"),
                (scene.features.geodesics.shortest_path, "paths"),
                (scene.tab == Tab::Kfac, "kfac tab"),
                (
                    rig.renderer.simulation().coarse_field().is_some(),
                    "a drag's coarse field",
                ),
            ] {
                if on {
                    let entry = report.frame_seconds.entry(what).or_default();
                    entry.0 += 1;
                    entry.1 += seconds;
                }
            }
            report.frames += 1;
            report.cells_checked += cells;
            report.coverage.note(&scene);
            let now = rig.memory();
            report.peak = report.peak.max(now);
            memory_flat(report.plateau, now).map_err(|e| {
                fail(
                    &step,
                    &recent,
                    format!("{e}\nplateau {}\nnow     {now}", report.plateau),
                )
            })?;
        }
    }

    report.phase_seconds[1] = start.elapsed().as_secs_f64() - report.phase_seconds[0];
    // The end: the warm-up's largest scenes again, on every canvas.
    rig.renderer.set_deterministic(true);
    for general in [true, false] {
        for &size in &CANVASES {
            for edit in largest_scene_edits(size[1], general) {
                scene.apply(edit);
            }
            rig.checked(|rig| rig.frame(&scene, size))
                .map_err(|e| fail("the end", &recent, e))?;
            report.end = report.end.max(rig.memory());
        }
    }
    report.peak = report.peak.max(report.end);
    memory_flat(report.plateau, report.end).map_err(|e| {
        fail(
            "the end",
            &recent,
            format!("{e}\nplateau {}\nend     {}", report.plateau, report.end),
        )
    })?;
    drop(leaked);
    report.seconds = start.elapsed().as_secs_f64();
    report.phase_seconds[2] = report.seconds - report.phase_seconds[0] - report.phase_seconds[1];
    Ok(report)
}

fn env_number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    let parsed = match value.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => value.parse(),
    };
    Some(parsed.unwrap_or_else(|e| panic!("{name}={value:?}: {e}")))
}

#[test]
fn soak_random_edits_render_without_errors_nan_or_memory_growth() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let config = SoakConfig {
        seed: env_number("FISHERFLOW_SOAK_SEED").unwrap_or(DEFAULT_SEED),
        edits: env_number("FISHERFLOW_SOAK_EDITS").map_or(EDITS, |n| n as usize),
        render_every: RENDER_EVERY,
        leak_every: None,
    };
    let report = run_soak(ctx, &config).unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "soak: seed {}, {} edits + {} resizes, {} frames rendered ({} warm-up and end frames \
         besides), {} field cells checked finite, {:.1} s on {}",
        config.seed,
        report.edits,
        config.edits - report.edits,
        report.frames,
        3 * CANVASES.len(),
        report.cells_checked,
        report.seconds,
        ctx.describe()
    );
    let [warm_up, edits, end] = report.phase_seconds;
    eprintln!("phases: warm-up {warm_up:.1} s, random edits {edits:.1} s, end {end:.1} s");
    eprintln!("GPU memory at the warm-up plateau: {}", report.plateau);
    eprintln!("GPU memory peak during the soak:  {}", report.peak);
    eprintln!("GPU memory at the end:            {}", report.end);
    for (what, (frames, seconds)) in &report.frame_seconds {
        eprintln!(
            "frames with {what}: {frames}, {seconds:.1} s, {:.0} ms each",
            1e3 * seconds / *frames as f64
        );
    }
    // Every rendered frame read back and checked a whole field: at least the smallest grid's
    // cells (8 across the height of a canvas no narrower than 96×160 px: ≥ 8·4 cells).
    assert!(
        report.cells_checked >= report.frames * 32 && report.frames > 0,
        "{} cells checked over {} frames: some frame checked no field",
        report.cells_checked,
        report.frames
    );
    let missing = report.coverage.missing();
    assert!(
        missing.is_empty() || config.edits < EDITS,
        "seed {}: the soak never rendered {missing:?}; the edit mix no longer reaches the \
         extremes it claims to test",
        config.seed
    );
}

#[test]
fn memory_flat_accepts_the_plateau_and_rejects_growth() {
    let plateau = GpuMemory {
        buffers: 40,
        buffer_bytes: 3_000_000,
        textures: 4,
        texture_bytes: 400_000,
        quad_instance_bytes: 64 * 1024,
        pipelines: 30,
    };
    assert_eq!(memory_flat(plateau, plateau), Ok(()));
    // Quad instances may grow to the bound, not past it; no pipeline may be added.
    let grown = GpuMemory {
        quad_instance_bytes: MAX_QUAD_INSTANCE_BYTES,
        ..plateau
    };
    assert_eq!(memory_flat(plateau, grown), Ok(()));
    let too_many = GpuMemory {
        quad_instance_bytes: 2 * MAX_QUAD_INSTANCE_BYTES,
        ..plateau
    };
    assert!(
        memory_flat(plateau, too_many)
            .unwrap_err()
            .contains("quad instances")
    );
    let new_pipeline = GpuMemory {
        pipelines: 31,
        ..plateau
    };
    let err = memory_flat(plateau, new_pipeline).unwrap_err();
    assert!(err.contains("31 pipelines alive > 30"), "{err}");
    // Within the slack: allocation rounding.
    let rounding = GpuMemory {
        buffers: 41,
        buffer_bytes: 3_000_000 + 4096,
        ..plateau
    };
    assert_eq!(memory_flat(plateau, rounding), Ok(()));
    // A leaked 4 KiB buffer per 8 edits over 3000 edits: 375 buffers, 1.5 MB.
    let leaking = GpuMemory {
        buffers: 40 + 375,
        buffer_bytes: 3_000_000 + 375 * 4096,
        ..plateau
    };
    let err = memory_flat(plateau, leaking).unwrap_err();
    eprintln!("negative control (memory growth), rejected as it must be: {err}");
    assert!(
        err.contains("bytes alive") && err.contains("415 buffers alive > plateau 40"),
        "{err}"
    );
    // A texture leak shows even when the bytes stay within the slack.
    let textures = GpuMemory {
        textures: 4 + 3,
        ..plateau
    };
    let err = memory_flat(plateau, textures).unwrap_err();
    assert!(err.contains("7 textures alive > plateau 4"), "{err}");
}

#[test]
fn a_leak_of_one_buffer_per_few_edits_fails_the_soak() {
    // Its own device: the leak must not show in the main soak's counters.
    let Some(ctx) = common::gpu() else { return };
    let config = SoakConfig {
        seed: DEFAULT_SEED,
        edits: 160,
        render_every: 8,
        leak_every: Some(4),
    };
    let err = run_soak(&ctx, &config).expect_err("a leaking soak must fail");
    eprintln!("negative control (leak), rejected as it must be:\n{err}");
    assert!(
        err.contains("GPU memory grew") && err.contains(&format!("seed {DEFAULT_SEED}")),
        "{err}"
    );
    // The same short soak without the leak passes: the failure is the leak's.
    let clean = SoakConfig {
        leak_every: None,
        ..config
    };
    let report = run_soak(&ctx, &clean).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.frames, 20);
}

#[test]
fn a_non_finite_cell_is_found() {
    let good = FieldCell {
        theta: [1.0, -1.0],
        loss: 0.5,
        ..FieldCell::default()
    };
    assert_eq!(first_non_finite(&[good, good]), None);
    for poison in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let bad_loss = FieldCell {
            loss: poison,
            ..good
        };
        assert_eq!(first_non_finite(&[good, bad_loss]).map(|(i, _)| i), Some(1));
        let bad_natgrad = FieldCell {
            natgrad: [0.0, poison],
            ..good
        };
        assert_eq!(first_non_finite(&[bad_natgrad]).map(|(i, _)| i), Some(0));
    }
}

#[test]
fn a_validation_error_inside_a_step_fails_it() {
    let Some(ctx) = common::gpu() else { return };
    let mut rig = Rig::new(&ctx);
    let buffer = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("too small"),
        size: 16,
        usage: wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let err = rig
        .checked(|rig| {
            // Writing past the end of a buffer is a validation error, reported not panicked.
            rig.ctx.queue.write_buffer(&buffer, 0, &[0u8; 64]);
            Ok(())
        })
        .expect_err("the out-of-bounds write must be reported");
    eprintln!("negative control (validation error), rejected as it must be:\n{err}");
    assert!(err.contains("wgpu error"), "{err}");
    // A clean step passes, so the error above was the write's.
    let ok = rig.checked(|rig| rig.frame(&Scene::default(), CANVASES[0]));
    assert!(ok.is_ok_and(|cells| cells > 0));
}

#[test]
fn the_test_adapter_variable_accepts_software_and_hardware_only() {
    use fisherflow::gpu::context::AdapterPreference;
    assert_eq!(
        common::parse_adapter_choice(None),
        Ok(AdapterPreference::Software)
    );
    assert_eq!(
        common::parse_adapter_choice(Some("software")),
        Ok(AdapterPreference::Software)
    );
    assert_eq!(
        common::parse_adapter_choice(Some("hardware")),
        Ok(AdapterPreference::HighPerformance)
    );
    let err = common::parse_adapter_choice(Some("gpu")).unwrap_err();
    assert!(
        err.contains("\"gpu\"") && err.contains("`software`") && err.contains("`hardware`"),
        "{err}"
    );
}
