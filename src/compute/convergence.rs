//! Dispatches `shaders/convergence.wgsl`: the convergence map of issue 12. Every cell of a
//! `grid × grid` lattice over the view (the rectangle visible when the map started) is the
//! start of a gd or ngd run on the general mixture's slice; the map records, per cell, the
//! number of updates the run needed to bring L = KL(p* ‖ p_θ) below the threshold, or how it
//! ended otherwise ([`Status`]). The f64 mirror is `cpu::convergence`.
//!
//! # Threshold rule
//! Converged at step k when L(θ_k) < max(threshold · L0, [`LOSS_FLOOR`]), L0 = L(θ_0). The
//! absolute floor exists because the f32 quadrature's L has an absolute error floor: the
//! kernel's L at θ* itself (where L = 0 exactly) came out at |L| ≤ 1.2e-8 on the seed slice,
//! a (μ1, σ1) slice and a π = 0.3 (μ1, μ2) slice (`tests/gpu/convergence.rs`,
//! `a_start_at_theta_star_converges_at_zero_steps`), and L's relative error elsewhere is
//! ~1e-5; the floor is 1e-6, ~100× that noise and below any relative threshold that matters
//! for starts with L0 ≳ 0.01. A start at θ* (L0 ≈ 0)
//! is converged at 0 steps.
//!
//! # Work per frame
//! A dispatch advances the cells of one chunk of the maps (laid end to end: gd then ngd in the
//! split view) by up to `steps` updates each; cells that have ended return at once. The frame
//! loop ([`ConvergenceMap::advance`]) dispatches one chunk per frame, sized so that
//! chunk × steps stays within a per-frame budget of cell-steps ([`frame_budget`]); the chunk
//! walks round the maps, and `steps_per_frame` updates per visit. One dispatch runs at most
//! [`MAX_STEPS_PER_DISPATCH`] updates per cell: lavapipe's loop limiter counts a loop's
//! iterations across one invocation (65 535), and one update walks ~700 nodes.
//!
//! # Measured (llvmpipe, 2 cores, grid 128)
//! Before issue 21, blocking runs ([`ConvergenceMap::run_to_completion`]) of a split map on the
//! seed slice's default view at 1400 × 900 took 59 s and more (gd 17–20 s: 639 262 cell
//! evaluations, 27–31 µs each; ngd 38–68 s: 404 351 evaluations, 94–168 µs each). Each update
//! now evaluates −∇L, L and (ngd) F in one union pass of `gmm_general.wgsl` (the field kernel's)
//! instead of a loss pass over the target's two component windows plus a Fisher pass: the same
//! split map completes in 3.3–3.9 s (the first automated frame of `view` with the map on, 4.3–
//! 4.5 s, less 0.5 s of start-up; `capture --scenario scenarios/convergence_maps.toml` 3.7 s in
//! all, 4.7 s before). On the unequal preset (π = 0.3, σ1 = 0.6, σ2 = 1.4, 300-step cap), where
//! most cells run to the cap, the capture takes 15.5 s (35 s before).
//!
//! In the frame loop, at [`FRAME_BUDGET_CPU`] cell-steps per frame, a filling split map adds
//! 2.6–4.4 ms to the viewer's median: the map is drawn into the renderer's backdrop, and a frame
//! repaints only the rows of cells its dispatch advanced ([`ConvergenceMap::changed_since`];
//! drawing the whole map, a full-canvas fragment pass, cost ~10 ms a frame on llvmpipe). It
//! added 8–9 ms while the kernel's parameters were a uniform buffer, which lavapipe recompiled
//! the kernel for at every dispatch ([`super::stage_layout`]): a dispatch of one cell for one
//! step cost the frame as much as the whole budget.
//!
//! Progress (cells still running) is read back asynchronously: a frame copies the atomic
//! counter of ended cells into a staging buffer, a later frame maps it and a later one reads
//! it, never waiting for the GPU.

use super::Slot;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use wgpu::util::DeviceExt;

use crate::gpu::context::{GpuContext, GpuError};
use crate::math::policy::System;
use crate::math::{Model, QuadratureRule, Slice};

use super::fim_field::dispatch_size;

/// Invocations per workgroup; must equal `WORKGROUP_SIZE` in the shader.
pub const WORKGROUP_SIZE: u32 = 64;
/// Most updates per cell in one dispatch (see the module docs).
pub const MAX_STEPS_PER_DISPATCH: u32 = 16;
/// Dispatches whose cell ranges a map remembers ([`ConvergenceMap::changed_since`]).
const RECENT_DISPATCHES: usize = 8;
/// The absolute floor of the threshold (module docs).
pub const LOSS_FLOOR: f64 = 1e-6;
/// ngd breaks down where κ(F) exceeds this: f32's λ_min is good to ~1e-6·λ_max, so beyond
/// ~1e4 the step F⁻¹∇L carries more rounding than signal along the small eigenvector.
pub const KAPPA_MAX: f64 = 1e4;
/// A run has left the domain when θ leaves the start rectangle grown by this many times its
/// size on every side (or the model).
pub const LEAVE_MARGIN: f64 = 2.0;
/// gd cell-steps per frame on a CPU adapter (llvmpipe). Chosen when a gd update cost ~40 µs
/// on this 2-core machine. A chunk is at least one workgroup ([`WORKGROUP_SIZE`] cells), so
/// while every cell still runs a frame advances 64 cells whatever the budget; a filling split
/// map of side 128 adds 2.6–4.4 ms to the viewer's frame median (issue 21's fourth session).
pub const FRAME_BUDGET_CPU: u32 = 600;
/// Cost of an ngd update in gd updates (F's pass, refined where F is nearly singular, on top
/// of the loss pass): measured ~3–4× on llvmpipe.
pub const NGD_COST: f64 = 3.5;
/// Cell-steps per frame on a real GPU.
pub const FRAME_BUDGET_GPU: u32 = 1 << 20;

/// Cell-steps one frame may dispatch on an adapter of `device_type`.
pub fn frame_budget(device_type: wgpu::DeviceType) -> u32 {
    match device_type {
        wgpu::DeviceType::Cpu => FRAME_BUDGET_CPU,
        _ => FRAME_BUDGET_GPU,
    }
}

pub use crate::gpu::convergence_data::{ConvCell, ConvergenceParams, Status};

/// The optimizer of one map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MapOptimizer {
    /// θ ← θ − lr ∇L.
    Gd,
    /// θ ← θ − lr F⁻¹∇L, F the induced slice block.
    Ngd,
}

impl MapOptimizer {
    /// The shader's `OPTIMIZER_*` code.
    pub const fn code(self) -> u32 {
        match self {
            MapOptimizer::Gd => 0,
            MapOptimizer::Ngd => 1,
        }
    }

    /// Its name on the canvas.
    pub const fn name(self) -> &'static str {
        match self {
            MapOptimizer::Gd => "gd",
            MapOptimizer::Ngd => "ngd",
        }
    }

    /// Its name on the canvas of a family: the natural gradient is npg on the policy plane.
    pub const fn name_on(self, policy: bool) -> &'static str {
        match (self, policy) {
            (MapOptimizer::Ngd, true) => "npg",
            _ => self.name(),
        }
    }
}

/// Everything a convergence map's contents depend on, in f64: restart when it changes.
#[derive(Clone, Debug, PartialEq)]
pub struct MapSpec {
    /// The model whose slice coordinates are replaced by each start (held parameters).
    pub base: Model,
    /// The target p* (the scene's model: θ* is its slice point).
    pub target: Model,
    /// The slice.
    pub slice: Slice,
    /// The rectangle the lattice covers (slice coordinates).
    pub view_min: [f64; 2],
    /// See `view_min`.
    pub view_max: [f64; 2],
    /// Cells per side of the lattice.
    pub side: u32,
    /// The maps, in buffer order, with their learning rates.
    pub maps: Vec<(MapOptimizer, f64)>,
    /// Step cap.
    pub max_steps: u32,
    /// Relative threshold.
    pub threshold: f64,
    /// Absolute floor of the threshold.
    pub loss_floor: f64,
    /// ngd's breakdown condition number.
    pub kappa_max: f64,
    /// Leave-box margin in rect sizes.
    pub leave_margin: f64,
    /// Q, quadrature nodes per component (n = Q/2 per panel).
    pub nodes: u32,
    /// Updates per cell per visit of the frame loop.
    pub steps_per_frame: u32,
    /// The policy plane's system: the lattice is then over the gains (`base`, `target` and
    /// `slice` unused), the loss the excess cost C − C*, and `threshold` relative to C*.
    pub system: Option<System>,
}

impl MapSpec {
    /// Cells of one map.
    pub fn cells(&self) -> u32 {
        self.side * self.side
    }

    /// Cells of all maps.
    pub fn total_cells(&self) -> u32 {
        self.cells() * self.maps.len() as u32
    }

    /// The kernel's parameters (chunk fields zero: [`ConvergenceMap`] sets them per dispatch),
    /// with the floating origin at `view_min` as in
    /// [`general_grid_params`](crate::gpu::general_data::general_grid_params).
    pub fn params(&self, panel_nodes: u32) -> ConvergenceParams {
        let hi = self.view_min.map(|v| v as f32);
        let at_origin = self
            .base
            .with(self.slice.a, self.view_min[0])
            .with(self.slice.b, self.view_min[1]);
        let lr = |i: usize| self.maps.get(i).or(self.maps.first()).map_or(0.0, |m| m.1) as f32;
        let opt = |i: usize| {
            self.maps
                .get(i)
                .or(self.maps.first())
                .map_or(0, |m| m.0.code())
        };
        let base = self.base.to_array().map(|v| v as f32);
        let n = self.side;
        let params = ConvergenceParams {
            origin_hi: hi,
            origin_lo: [
                (self.view_min[0] - hi[0] as f64) as f32,
                (self.view_min[1] - hi[1] as f64) as f32,
            ],
            cell_size: [
                ((self.view_max[0] - self.view_min[0]) / n as f64) as f32,
                ((self.view_max[1] - self.view_min[1]) / n as f64) as f32,
            ],
            shape: [n, n],
            target_mean: [
                (self.target.mu1 - at_origin.mu1) as f32,
                (self.target.mu2 - at_origin.mu1) as f32,
            ],
            lrs: [lr(0), lr(1)],
            optimizers: [opt(0), opt(1)],
            base,
            target_pi: self.target.pi as f32,
            target_sigma1: self.target.sigma1 as f32,
            target_sigma2: self.target.sigma2 as f32,
            mean_gap: (at_origin.mu2 - at_origin.mu1) as f32,
            slice_a: self.slice.a.index() as u32,
            slice_b: self.slice.b.index() as u32,
            panel_nodes,
            cell_count: self.cells(),
            total_cells: self.total_cells(),
            first_cell: 0,
            chunk_cells: 0,
            steps: 0,
            max_steps: self.max_steps,
            threshold: self.threshold as f32,
            loss_floor: self.loss_floor as f32,
            kappa_max: self.kappa_max as f32,
            leave_margin: self.leave_margin as f32,
            ..ConvergenceParams::default()
        };
        match &self.system {
            None => params,
            Some(system) => {
                // The policy rule: converged once C − C* < threshold·C* (see the shader).
                let c_star = crate::math::policy::Lqr::new(system).optimum().1;
                ConvergenceParams {
                    threshold: 0.0,
                    loss_floor: (self.threshold * c_star) as f32,
                    plant: crate::compute::policy::PolicyPlant::new(system, 0.0),
                    c_star: c_star as f32,
                    ..params
                }
            }
        }
    }

    /// The start of lattice cell `cell` (row-major from `view_min`), slice coordinates in f64:
    /// the floating origin plus the kernel's f32 offset, widened, so the mirror starts where
    /// the kernel does.
    pub fn start(&self, cell: u32) -> [f64; 2] {
        let p = self.params(0);
        let column = cell % self.side;
        let row = cell / self.side;
        let off = [
            (column as f32 + 0.5) * p.cell_size[0],
            (row as f32 + 0.5) * p.cell_size[1],
        ];
        [
            p.origin_hi[0] as f64 + p.origin_lo[0] as f64 + off[0] as f64,
            p.origin_hi[1] as f64 + p.origin_lo[1] as f64 + off[1] as f64,
        ]
    }

    /// The slice point of θ* (on the policy plane, K*).
    pub fn theta_star(&self) -> [f64; 2] {
        match &self.system {
            Some(system) => crate::math::policy::Lqr::new(system).optimum().0,
            None => self.slice.coords(&self.target),
        }
    }
}

/// The compiled `advance` pipeline and its layout (built once per device).
pub struct ConvergencePipeline {
    layout: wgpu::BindGroupLayout,
    pipeline: wgpu::ComputePipeline,
}

impl ConvergencePipeline {
    /// Compiles the mixture's shader (`convergence.wgsl`).
    pub fn new(device: &wgpu::Device) -> Self {
        Self::for_shader(device, "convergence.wgsl")
    }

    /// The policy plane's (`convergence_policy.wgsl`): the same scheme on the excess cost.
    pub fn policy(device: &wgpu::Device) -> Self {
        Self::for_shader(device, "convergence_policy.wgsl")
    }

    /// The pipeline of a family's convergence shader (its `evaluate` over
    /// `common/convergence_scheme.wgsl`).
    pub fn for_shader(device: &wgpu::Device, shader: &str) -> Self {
        let layout = super::stage_layout(
            device,
            "convergence layout",
            size_of::<ConvergenceParams>() as u64,
            &[Slot::Nodes, Slot::ReadWrite, Slot::ReadWrite],
        );
        let [pipeline] = super::stage_pipelines(device, &layout, shader, ["advance"]);
        Self { layout, pipeline }
    }
}

/// Progress of a map.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Progress {
    /// Updates every running cell has had a chance to take (capped at `max_steps`).
    pub steps_done: u32,
    /// The cap.
    pub max_steps: u32,
    /// Cells of all maps still running, as last read back (None before the first read).
    pub running: Option<u32>,
    /// Cells of all maps.
    pub total: u32,
    /// Every cell has ended.
    pub done: bool,
}

impl Progress {
    /// Fraction done in [0, 1].
    pub fn fraction(&self) -> f32 {
        if self.done {
            return 1.0;
        }
        let by_steps = self.steps_done as f32 / (self.max_steps + 1).max(1) as f32;
        let by_cells = self
            .running
            .map_or(0.0, |r| 1.0 - r as f32 / self.total.max(1) as f32);
        by_steps.max(by_cells).min(1.0)
    }
}

/// The async read-back of the ended-cells counter.
const READ_IDLE: u8 = 0;
const READ_COPIED: u8 = 1;
const READ_MAPPING: u8 = 2;
const READ_MAPPED: u8 = 3;
const READ_FAILED: u8 = 4;

/// One convergence map (or the two of the split view): its buffers and progress.
pub struct ConvergenceMap {
    spec: MapSpec,
    params: ConvergenceParams,
    params_buffer: wgpu::Buffer,
    cells: wgpu::Buffer,
    counters: wgpu::Buffer,
    staging: wgpu::Buffer,
    read_state: Arc<AtomicU8>,
    bind_group: wgpu::BindGroup,
    /// Next chunk's first cell.
    cursor: u32,
    /// Updates every cell has had the chance to take (completed sweeps × their steps).
    steps_guaranteed: u32,
    ended: Option<u32>,
    /// Dispatches recorded so far: the cells' contents change with it (drawings compare it).
    dispatches: u64,
    /// The last few dispatches' cell ranges (number, first cell, cells), oldest first.
    recent: std::collections::VecDeque<(u64, u32, u32)>,
}

impl ConvergenceMap {
    /// Allocates the state (zeroed: every cell unstarted) for `spec`.
    pub fn new(
        ctx: &GpuContext,
        pipeline: &ConvergencePipeline,
        spec: MapSpec,
    ) -> Result<Self, GpuError> {
        let rule =
            QuadratureRule::new(spec.nodes).map_err(|e| GpuError::InvalidInput(e.to_string()))?;
        let device = &ctx.device;
        let total = spec.total_cells().max(1);
        crate::gpu::limits::check_storage(
            &device.limits(),
            || format!("{total} convergence-map cells"),
            total as u64,
            size_of::<ConvCell>() as u64,
            |max| format!("use a convergence map of at most {} cells in all", max),
        )?;
        let params = spec.params(rule.panel_rule().nodes.len() as u32);
        let params_buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("convergence params"),
            contents: bytemuck::bytes_of(&params),
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        });
        let nodes = super::node_table(device, "convergence gauss-legendre nodes", &rule);
        // Zeroed at creation (wgpu guarantees it): every cell starts unstarted.
        let cells = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("convergence cells"),
            size: total as u64 * size_of::<ConvCell>() as u64,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let counters = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("convergence counters"),
            size: 8,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let staging = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("convergence counters staging"),
            size: 8,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let bind_group = crate::gpu::buffers_bind_group(
            device,
            "convergence bind group",
            &pipeline.layout,
            &[&params_buffer, &nodes, &cells, &counters],
        );
        Ok(Self {
            spec,
            params,
            params_buffer,
            cells,
            counters,
            staging,
            read_state: Arc::new(AtomicU8::new(READ_IDLE)),
            bind_group,
            cursor: 0,
            steps_guaranteed: 0,
            ended: None,
            dispatches: 0,
            recent: std::collections::VecDeque::new(),
        })
    }

    /// What the map was started with.
    pub fn spec(&self) -> &MapSpec {
        &self.spec
    }

    /// The state buffer (`array<ConvCell>`, map after map), for drawing.
    pub fn cells_buffer(&self) -> &wgpu::Buffer {
        &self.cells
    }

    /// Updates per cell per visit: `steps_per_frame`, at most [`MAX_STEPS_PER_DISPATCH`].
    pub fn steps_per_sweep(&self) -> u32 {
        self.spec.steps_per_frame.clamp(1, MAX_STEPS_PER_DISPATCH)
    }

    /// The cells of one frame's chunk for a budget of `budget` gd cell-steps: an ngd update
    /// costs ~[`NGD_COST`] gd ones (two or three quadrature passes against one), and ended
    /// cells return at once, so the chunk grows as the last read-back's running fraction
    /// falls (at most 64×).
    fn chunk_cells(&self, budget: u32) -> u32 {
        let total = self.spec.total_cells().max(1);
        let weight = self
            .spec
            .maps
            .iter()
            .map(|(o, _)| match o {
                MapOptimizer::Gd => 1.0,
                MapOptimizer::Ngd => NGD_COST,
            })
            .sum::<f64>()
            / self.spec.maps.len().max(1) as f64;
        let running = self
            .ended
            .map_or(1.0, |e| total.saturating_sub(e) as f64 / total as f64)
            .max(1.0 / 64.0);
        let cells = budget as f64 / (self.steps_per_sweep() as f64 * weight * running);
        // At least a workgroup, at most the whole map (which may be smaller than one).
        (cells as u32).max(WORKGROUP_SIZE).min(total)
    }

    /// Progress as far as known without waiting.
    pub fn progress(&self) -> Progress {
        let total = self.spec.total_cells();
        let running = self.ended.map(|e| total.saturating_sub(e));
        Progress {
            steps_done: self.steps_guaranteed.min(self.spec.max_steps),
            max_steps: self.spec.max_steps,
            running,
            total,
            // max_steps + 1 evaluations: the last one decides converged or capped.
            done: self.steps_guaranteed > self.spec.max_steps || running == Some(0),
        }
    }

    /// How many dispatches have advanced the cells: a drawing of them is current while this
    /// stays the same.
    pub fn dispatches(&self) -> u64 {
        self.dispatches
    }

    /// The cell ranges (first, count; in buffer order, the maps end to end) the dispatches
    /// after the first `dispatches` advanced: only their cells can have changed since. None
    /// when that reaches further back than the few dispatches remembered.
    pub fn changed_since(&self, dispatches: u64) -> Option<Vec<(u32, u32)>> {
        if dispatches >= self.dispatches {
            return Some(Vec::new());
        }
        let oldest = self.recent.front().map_or(u64::MAX, |r| r.0);
        (oldest <= dispatches + 1).then(|| {
            self.recent
                .iter()
                .filter(|r| r.0 > dispatches)
                .map(|r| (r.1, r.2))
                .collect()
        })
    }

    /// Records one dispatch of `chunk` cells from `first`, `steps` updates each.
    fn encode_dispatch(
        &mut self,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        pipeline: &ConvergencePipeline,
        first: u32,
        chunk: u32,
        steps: u32,
    ) {
        self.dispatches += 1;
        if self.recent.len() == RECENT_DISPATCHES {
            self.recent.pop_front();
        }
        self.recent.push_back((self.dispatches, first, chunk));
        self.params.first_cell = first;
        self.params.chunk_cells = chunk;
        self.params.steps = steps.clamp(1, MAX_STEPS_PER_DISPATCH);
        queue.write_buffer(&self.params_buffer, 0, bytemuck::bytes_of(&self.params));
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("convergence"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&pipeline.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        let (x, y) = dispatch_size(chunk, WORKGROUP_SIZE, 65_535);
        pass.dispatch_workgroups(x, y, 1);
    }

    /// The frame loop's share: one chunk of about `budget` cell-steps (each cell of the chunk
    /// gets `min(steps_per_frame, 16)` updates), nothing once the map is done. Never waits:
    /// the progress counter is copied, mapped and read over later frames. The queue's parameters
    /// write lands before `encoder` is submitted, so call this at most once per submission.
    /// Returns whether it dispatched.
    pub fn advance(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        pipeline: &ConvergencePipeline,
        budget: u32,
    ) -> bool {
        self.poll_progress(ctx);
        if self.progress().done {
            return false;
        }
        let total = self.spec.total_cells();
        let steps = self.steps_per_sweep();
        let chunk = self.chunk_cells(budget);
        let first = self.cursor;
        let chunk = chunk.min(total - first);
        self.encode_dispatch(&ctx.queue, encoder, pipeline, first, chunk, steps);
        self.cursor = first + chunk;
        if self.cursor >= total {
            self.cursor = 0;
            self.steps_guaranteed += steps;
        }
        if self.read_state.load(Ordering::Acquire) == READ_IDLE {
            encoder.copy_buffer_to_buffer(&self.counters, 0, &self.staging, 0, 8);
            self.read_state.store(READ_COPIED, Ordering::Release);
        }
        true
    }

    /// [`ConvergenceMap::advance`] in an encoder of its own, submitted (the frame loop without
    /// a frame: tests, the benchmark). Returns whether it dispatched.
    pub fn advance_and_submit(
        &mut self,
        ctx: &GpuContext,
        pipeline: &ConvergencePipeline,
        budget: u32,
    ) -> bool {
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("convergence frame"),
            });
        let dispatched = self.advance(ctx, &mut encoder, pipeline, budget);
        ctx.queue.submit([encoder.finish()]);
        dispatched
    }

    /// Moves the counter's read-back along without blocking: maps a copy made in an earlier
    /// (already submitted) frame, reads a finished mapping.
    fn poll_progress(&mut self, ctx: &GpuContext) {
        match self.read_state.load(Ordering::Acquire) {
            READ_COPIED => {
                self.read_state.store(READ_MAPPING, Ordering::Release);
                let state = Arc::clone(&self.read_state);
                self.staging
                    .slice(..)
                    .map_async(wgpu::MapMode::Read, move |result| {
                        state.store(
                            if result.is_ok() {
                                READ_MAPPED
                            } else {
                                READ_FAILED
                            },
                            Ordering::Release,
                        );
                    });
            }
            READ_MAPPING => {
                let _ = ctx.device.poll(wgpu::PollType::Poll);
            }
            READ_MAPPED => {
                if let Ok(view) = self.staging.get_mapped_range(..) {
                    let words: &[u32] = bytemuck::cast_slice(&view);
                    self.ended = Some(words[0]);
                }
                self.staging.unmap();
                self.read_state.store(READ_IDLE, Ordering::Release);
            }
            READ_FAILED => self.read_state.store(READ_IDLE, Ordering::Release),
            _ => {}
        }
    }

    /// Runs the whole map now, blocking (tests, captures, the benchmark): the frame loop's
    /// current sweep is finished with its step count, then full sweeps of
    /// [`MAX_STEPS_PER_DISPATCH`] updates run until every cell has ended. The result does not
    /// depend on how the updates were split into dispatches (each cell's state is its whole
    /// history), so it equals the frame loop's. Returns the dispatches run.
    pub fn run_to_completion(
        &mut self,
        ctx: &GpuContext,
        pipeline: &ConvergencePipeline,
    ) -> Result<u32, GpuError> {
        let total = self.spec.total_cells();
        let mut sweeps = 0;
        // A pending frame read-back would hold the staging buffer: let it finish first.
        if self.read_state.load(Ordering::Acquire) != READ_IDLE {
            ctx.wait()?;
            for _ in 0..3 {
                self.poll_progress(ctx);
                ctx.wait()?;
            }
        }
        while !self.progress().done {
            let mut encoder = ctx
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("convergence run"),
                });
            // Finish the current sweep from the cursor, then whole sweeps of 16.
            let first = self.cursor;
            let steps = if first > 0 {
                self.steps_per_sweep()
            } else {
                MAX_STEPS_PER_DISPATCH
            };
            self.encode_dispatch(
                &ctx.queue,
                &mut encoder,
                pipeline,
                first,
                total - first,
                steps,
            );
            ctx.queue.submit([encoder.finish()]);
            self.cursor = 0;
            self.steps_guaranteed += steps;
            sweeps += 1;
            let bytes = ctx.read_buffer(&self.counters, 8)?;
            let words: &[u32] = bytemuck::cast_slice(&bytes);
            self.ended = Some(words[0]);
        }
        Ok(sweeps)
    }

    /// Reads every cell back (map after map).
    pub fn read_cells(&self, ctx: &GpuContext) -> Result<Vec<ConvCell>, GpuError> {
        let total = self.spec.total_cells();
        let bytes = ctx.read_buffer(
            &self.cells,
            total.max(1) as u64 * size_of::<ConvCell>() as u64,
        )?;
        let mut cells: Vec<ConvCell> = bytemuck::pod_collect_to_vec(&bytes);
        cells.truncate(total as usize);
        Ok(cells)
    }
}

/// The simulation's convergence stage: the pipeline (compiled on first use) and the current
/// map, restarted whenever its [`MapSpec`] changes.
pub struct ConvergenceStage {
    /// One pipeline per family half (a shader over `common/convergence_scheme.wgsl`), each
    /// compiled on first use.
    pipelines: Vec<(&'static str, ConvergencePipeline)>,
    /// The map, and the shader its cells run on.
    map: Option<(ConvergenceMap, &'static str)>,
    budget: u32,
}

impl ConvergenceStage {
    /// An empty stage; `budget` cell-steps per frame ([`frame_budget`]).
    pub fn new(ctx: &GpuContext) -> Self {
        Self {
            pipelines: Vec::new(),
            map: None,
            budget: frame_budget(ctx.info.device_type),
        }
    }

    /// Takes `shader`'s pipeline built elsewhere (unless it has one already).
    pub fn adopt(&mut self, shader: &'static str, pipeline: ConvergencePipeline) {
        if !self.pipelines.iter().any(|(s, _)| *s == shader) {
            self.pipelines.push((shader, pipeline));
        }
    }

    /// The pipeline of `shader`, compiled when first asked for.
    fn pipeline_for(
        &mut self,
        device: &wgpu::Device,
        shader: &'static str,
    ) -> &ConvergencePipeline {
        if !self.pipelines.iter().any(|(s, _)| *s == shader) {
            self.pipelines
                .push((shader, ConvergencePipeline::for_shader(device, shader)));
        }
        &self
            .pipelines
            .iter()
            .find(|(s, _)| *s == shader)
            .expect("compiled just above")
            .1
    }

    /// Makes the map match `spec`, its cells run by the family half `shader` (a new map, all
    /// cells unstarted, when either differs).
    pub fn ensure(
        &mut self,
        ctx: &GpuContext,
        spec: MapSpec,
        shader: &'static str,
    ) -> Result<(), GpuError> {
        if self
            .map
            .as_ref()
            .is_some_and(|(m, s)| *m.spec() == spec && *s == shader)
        {
            return Ok(());
        }
        self.map = None;
        let pipeline = self.pipeline_for(&ctx.device, shader);
        let map = ConvergenceMap::new(ctx, pipeline, spec)?;
        self.map = Some((map, shader));
        Ok(())
    }

    /// Drops the map so the next frame starts it again.
    pub fn restart(&mut self) {
        self.map = None;
    }

    /// The frame's share of the work (see [`ConvergenceMap::advance`]).
    pub fn advance(&mut self, ctx: &GpuContext, encoder: &mut wgpu::CommandEncoder) -> bool {
        let Some(shader) = self.map.as_ref().map(|(_, s)| *s) else {
            return false;
        };
        self.pipeline_for(&ctx.device, shader);
        let pipeline = self.pipelines.iter().find(|(s, _)| *s == shader);
        match (&mut self.map, pipeline) {
            (Some((map, _)), Some((_, pipeline))) => {
                map.advance(ctx, encoder, pipeline, self.budget)
            }
            _ => false,
        }
    }

    /// Finishes the current map now (captures: the recorded frame shows the whole map).
    pub fn run_to_completion(&mut self, ctx: &GpuContext) -> Result<(), GpuError> {
        let Some(shader) = self.map.as_ref().map(|(_, s)| *s) else {
            return Ok(());
        };
        self.pipeline_for(&ctx.device, shader);
        let pipeline = self.pipelines.iter().find(|(s, _)| *s == shader);
        if let (Some((map, _)), Some((_, pipeline))) = (&mut self.map, pipeline) {
            map.run_to_completion(ctx, pipeline)?;
        }
        Ok(())
    }

    /// The current map, if any.
    pub fn map(&self) -> Option<&ConvergenceMap> {
        self.map.as_ref().map(|(m, _)| m)
    }
}
