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

use fisherflow::gpu::context::GpuContext;
use fisherflow::gpu::gpu_data::FieldCell;
use fisherflow::math::{Metric, Param, Slice};
use fisherflow::render::canvas::Canvas;
use fisherflow::render::{CANVAS_FORMAT, SceneRenderer};
use fisherflow::scene::{
    Camera, FlowMode, Integrator, Layers, NODE_CHOICES, ParticleColor, Preset, SIGMA_RANGE, Scene,
    SceneEdit,
};
use fisherflow::simulation::uses_seed_kernel;

/// Edits in the default soak.
const EDITS: usize = 5000;
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
/// How far above the warm-up plateau memory may go: allocation rounding, not a leak (a leak of
/// one small buffer per frame exceeds it within a few hundred frames, see the controls).
const SLACK_BYTES: i64 = 64 * 1024;
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
#[derive(Clone, Copy, Debug, PartialEq)]
enum Action {
    Edit(SceneEdit),
    Resize([u32; 2]),
}

/// A random action for the current scene and canvas. Values deliberately overshoot the UI's
/// ranges now and then (σ, zoom, damping, dt, coordinates): `apply` must clamp them.
fn random_action(rng: &mut Rng, scene: &Scene, canvas: [u32; 2]) -> Action {
    let size = [canvas[0] as f32, canvas[1] as f32];
    let pixel = |rng: &mut Rng| {
        [
            rng.range(0.0, size[0] as f64) as f32,
            rng.range(0.0, size[1] as f64) as f32,
        ]
    };
    let sigma = scene.model.sigma1;
    // The general model: slices, presets, held parameters (past their ranges, NaN) and the
    // metric, so every later edit also lands on non-seed slices.
    if rng.chance(0.05) {
        let param = |rng: &mut Rng| rng.pick(&Param::ALL);
        return Action::Edit(match rng.int(0, 9) {
            0..=2 => SceneEdit::SetSlice(Slice {
                a: param(rng),
                b: param(rng),
            }),
            3..=4 => SceneEdit::ApplyPreset(rng.pick(&Preset::ALL)),
            5..=8 => {
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
            _ => SceneEdit::SetMetric(rng.pick(&Metric::ALL)),
        });
    }
    let edit = match rng.int(0, 99) {
        0..=9 => SceneEdit::SetSigma(match rng.int(0, 3) {
            0 => SIGMA_RANGE.0,
            1 => SIGMA_RANGE.1,
            2 => rng.pick(&[1e-9, 0.0, -1.0, 1e9]),
            _ => rng.log_range(0.02, 20.0),
        }),
        10..=21 => SceneEdit::ZoomAbout {
            factor: if rng.chance(0.12) {
                rng.pick(&[1e15, 1e-15])
            } else {
                rng.log_range(1e-3, 1e3)
            },
            pixel: pixel(rng),
            size,
        },
        22..=29 => SceneEdit::Pan {
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
        30..=41 => {
            // Where the handle would be dragged: a canvas point, onto the diagonal, a hair
            // from it (0.01–0.02σ, where λ_min matters), or far out.
            let w = scene.camera.pixel_to_world(pixel(rng), size);
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
        42..=49 => SceneEdit::SetProbe(match rng.int(0, 5) {
            0 => None,
            1 => {
                let w = scene.camera.pixel_to_world(pixel(rng), size);
                Some([w[0], w[0]])
            }
            2 => Some([rng.range(-1e7, 1e7), rng.range(-1e7, 1e7)]),
            _ => Some(scene.camera.pixel_to_world(pixel(rng), size)),
        }),
        50..=55 => SceneEdit::SetGrid(if rng.chance(0.3) {
            rng.pick(&[0, 4, 8, MAX_SOAK_GRID])
        } else {
            rng.int(4, MAX_SOAK_GRID)
        }),
        56..=61 => SceneEdit::ToggleFlow,
        62..=63 => SceneEdit::SetFlow(rng.chance(0.5)),
        64..=67 => SceneEdit::SetParticles(Some(rng.int(500, MAX_SOAK_PARTICLES))),
        68..=70 => SceneEdit::SetNodes(if rng.chance(0.5) {
            rng.pick(&NODE_CHOICES)
        } else {
            rng.int(0, MAX_SOAK_NODES + 1)
        }),
        71..=72 => SceneEdit::SetFlowMode(rng.pick(&[
            FlowMode::Natural,
            FlowMode::Euclidean,
            FlowMode::Both,
        ])),
        73..=75 => SceneEdit::SetDamping(match rng.int(0, 2) {
            0 => 0.0,
            1 => rng.pick(&[-1.0, 1e3]),
            _ => rng.log_range(1e-5, 10.0),
        }),
        76..=77 => SceneEdit::SetEllipseScale(rng.log_range(0.01, 20.0)),
        78 => SceneEdit::SetDt(rng.log_range(1e-4, 5.0)),
        79 => SceneEdit::SetStepsPerFrame(rng.int(0, MAX_SOAK_STEPS)),
        80 => SceneEdit::SetSpeedCap(rng.log_range(0.01, 200.0)),
        81 => SceneEdit::SetFade(rng.log_range(1e-3, 2.0)),
        82 => SceneEdit::SetIntegrator(rng.pick(&[Integrator::Rk4, Integrator::Euler])),
        83 => SceneEdit::SetParticleColor(rng.pick(&[ParticleColor::Mode, ParticleColor::Speed])),
        84 => SceneEdit::SetSeed(rng.next_u64() as u32),
        85..=88 => SceneEdit::SetLayers(Layers {
            ellipses: rng.chance(0.85),
            axes: rng.chance(0.7),
            handles: rng.chance(0.7),
            probe: rng.chance(0.85),
            particles: rng.chance(0.85),
            legend: rng.chance(0.5),
        }),
        89..=91 => SceneEdit::FitView,
        92 => SceneEdit::Reset,
        93..=94 => SceneEdit::SetSigma(sigma * rng.log_range(0.5, 2.0)),
        _ => return Action::Resize(rng.pick(&CANVASES)),
    };
    Action::Edit(edit)
}

/// Buffers and textures alive on a device and their bytes (wgpu's `counters` feature; zero
/// without it).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct GpuMemory {
    buffers: i64,
    buffer_bytes: i64,
    textures: i64,
    texture_bytes: i64,
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
        let textures = match device.generate_allocator_report() {
            Some(report) => report.allocations.len() as i64 - buffers,
            None => hal.textures.read() as i64,
        };
        Self {
            buffers,
            buffer_bytes: hal.buffer_memory.read() as i64,
            textures,
            texture_bytes: hal.texture_memory.read() as i64,
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
        }
    }
}

impl fmt::Display for GpuMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} buffers ({} B) + {} textures ({} B) = {} B",
            self.buffers,
            self.buffer_bytes,
            self.textures,
            self.texture_bytes,
            self.bytes()
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
    plateau: GpuMemory,
    peak: GpuMemory,
    end: GpuMemory,
    coverage: Coverage,
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
}

impl Coverage {
    fn note(&mut self, scene: &Scene) {
        let (h_lo, h_hi) = Camera::HALF_HEIGHT_RANGE;
        self.sigma_min |= scene.model.sigma1 == SIGMA_RANGE.0;
        self.sigma_max |= scene.model.sigma1 == SIGMA_RANGE.1;
        self.zoom_min |= scene.camera.half_height == h_lo;
        self.zoom_max |= scene.camera.half_height == h_hi;
        self.target_on_diagonal |= scene.target()[0] == scene.target()[1];
        self.flow_on |= scene.flow.enabled;
        self.flow_off |= !scene.flow.enabled;
        self.grid_min |= scene.grid == fisherflow::scene::MIN_GRID;
        self.grid_max |= scene.grid == MAX_SOAK_GRID;
        self.general_slice |= !uses_seed_kernel(scene);
        self.profiled |= scene.metric == Metric::Profiled;
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
        SceneEdit::SetParticles(Some(if general {
            fisherflow::scene::PARTICLE_RANGE.0
        } else {
            MAX_SOAK_PARTICLES
        })),
        SceneEdit::SetStepsPerFrame(if general { 1 } else { MAX_SOAK_STEPS }),
        SceneEdit::SetFlow(true),
        SceneEdit::SetLayers(Layers::default()),
        SceneEdit::SetProbe(Some([0.5, if general { 0.75 } else { -0.25 }])),
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

    // Warm-up: the largest scene on every canvas, on a general slice and then on the seed's,
    // two frames each (spawn, then a step). In that order: the general stage's buffers stay
    // allocated once made, so the most memory is the seed's largest scene (its particles are
    // the most) with the general stage alive beside it.
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
        }
    }
    if report.plateau.buffers == 0 || report.plateau.bytes() == 0 {
        return Err(format!(
            "the device's memory counters read {}: is wgpu's `counters` feature on?",
            report.plateau
        ));
    }
    report.peak = report.plateau;

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
                // A reset hands the particle count back to the adapter's default (8k on a
                // CPU adapter): pin it again, within the soak's budget.
                if scene.flow.particles.is_none() {
                    scene.apply(SceneEdit::SetParticles(Some(MAX_SOAK_PARTICLES / 2)));
                }
                // General slices (and the profiled metric, which the general kernel computes on the seed's
                // slice too) cost 20-90x the seed's per evaluation on lavapipe: keep their
                // frames within the soak's budget (what is exercised is the same code).
                if !uses_seed_kernel(&scene) {
                    scene.apply(SceneEdit::SetParticles(Some(
                        fisherflow::scene::PARTICLE_RANGE.0,
                    )));
                    scene.apply(SceneEdit::SetStepsPerFrame(1));
                    scene.apply(SceneEdit::SetGrid(scene.grid.min(MAX_SOAK_GENERAL_GRID)));
                    scene.apply(SceneEdit::SetNodes(scene.nodes.min(64)));
                }
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
            let cells = rig
                .checked(|rig| rig.frame(&scene, canvas))
                .map_err(|e| fail(&step, &recent, format!("{e}\nscene: {scene:#?}")))?;
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

    // The end: the warm-up's largest scenes again, on every canvas.
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
    eprintln!("GPU memory at the warm-up plateau: {}", report.plateau);
    eprintln!("GPU memory peak during the soak:  {}", report.peak);
    eprintln!("GPU memory at the end:            {}", report.end);
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
    };
    assert_eq!(memory_flat(plateau, plateau), Ok(()));
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
