//! Dispatches `shaders/fim_general.wgsl`: the general two-component mixture's slice block of
//! F, ∇L, L and the natural gradient at a list of points (each with its own model, slice and
//! optional target), into the seed's `FieldCell` records.
//!
//! [`GeneralPipeline`] (the grid's pipelines) and [`GeneralPointsPipeline`] are built once per
//! device; [`GeneralData`] owns the parameter buffers, the node table, the inputs and the output
//! for one capacity. Two entry points write the same cells: `points` (a list, induced metric,
//! [`GeneralData::encode`], [`evaluate_general_points`]: the CLI and tests) and `grid` (one
//! slice over a view with a floating origin, [`GeneralData::encode_grid`] with
//! [`general_grid_params`](crate::gpu::general_data::general_grid_params),
//! [`evaluate_general_grid`]: the viewer's field and probe). The grid's parameters live in bind
//! group 1 so that both entry points share group 0 (parameters, nodes, cells, inputs).
//!
//! # The f32 rule (the f64 rule of `math::general`, cut to what f32 needs)
//! * responsibilities as logistics of the quadratic log-ratio ℓ (never a ratio of densities);
//!   the π score as (r1/π)(1 − φ2/φ1) or its mirror, which keeps its precision where the
//!   components coincide;
//! * panel splits at the component centre, the real roots of ℓ and (σ1 ≠ σ2) its vertex, with
//!   graded splits at ±3 and ±12 widths (the f64 levels) from the model, for F and for ∇L and
//!   L, and at ±3 widths from the target for ∇L and L (only ln p* kinks there: without the
//!   target's far grades the tests' worst ∇L error is 1.3e-4 at the 30-digit points and L's
//!   7e-5 on (π, μ1), against tolerances of 1e-3): every split
//!   inside the window is an edge (at most 16 for F's windows, 25 for the target pass's). The splits are never stored in a per-invocation array:
//!   each mixture's 15 candidates sit in four `vec4` registers (`Splits`), and the panels are
//!   walked in ascending order by taking, after each edge, the smallest candidate above it
//!   (`window_next`: vector compares and minima). The earlier kernel insertion-sorted the
//!   splits into a 33-entry array per invocation, which llvmpipe keeps in memory with a gather
//!   and scatter per access: it ran at half its scalar CPU mirror's speed; the register walk
//!   gives the same edges (the benchmark's worst error on (π, μ1) at 128² is 4.55e-5 before
//!   and after) 4.6× faster there;
//! * a target-only entry point (`grid_target`) for a dragged handle: F does not depend on the
//!   target, so it keeps the cells' metric half and redoes L, ∇L, EF, ñ (from the cell's
//!   eigen-decomposition, as the full pass now also forms it) and the angle;
//! * truncation T from Q(T)(1 + T²)² ≤ 1e-12·m² (m the smallest weight), clamped to [6, 16]σ;
//! * n Gauss–Legendre nodes per panel from the `QuadratureRule` (Q/2), each panel summed on its
//!   own before it joins the total;
//! * F in the standard basis, and where F11·F22 > 30·det F (correlation ρ² > 29/30) a second
//!   pass in that block's eigenbasis, so λ_min is a sum of squares rather than a cancelling
//!   determinant (a large κ from unequal scales alone needs no second pass).
//!
//! Cost per point (integrand evaluations): (panels under the model)·n for F, twice that where
//! refined, plus (panels under the target)·n with a target. Each evaluation computes the two
//! slice parameters' scores only (the π score, with its extra tanh, only when π is on the
//! slice).
//!
//! # Measured (`tests/gpu/general.rs`, lavapipe/llvmpipe 15, 2 cores)
//! Worst errors against the f64 reference at the same f32 inputs, over 16×16 grids plus points
//! near each slice's singular set (GPU; the mirror agrees within a factor of 2), with issue 10's
//! measures (F relative to ‖F‖, the rest relative; λ_min and ñ where κ ≤ 1e3):
//!
//! | preset | F | λ_min | L | ∇L | ñ | evaluations/point (F only) | µs/point (× seed kernel) |
//! |---|---|---|---|---|---|---|---|
//! | seed (μ1, μ2) | 2.6e-7 | 1.3e-6 | 1.2e-5 | 1.5e-6 | 2.5e-6 | 529 (194) | 5.7 (6.8×) |
//! | half-plane (μ1, σ1), π = 1 | 3.4e-7 | 3.1e-7 | 2.8e-6 | 5.9e-7 | 4.7e-7 | 64 (32) | 1.2 (1.5×) |
//! | (π, μ1), π ≥ 1e-3 | 7.0e-7 | 1.8e-6 | 2.9e-5 | 4.0e-6 | 2.6e-6 | 509 (189) | 5.4 (6.4×) |
//! | (σ1, σ2) | 5.1e-7 | 2.6e-6 | 5.4e-6 | 4.2e-6 | 3.5e-6 | 1026 (389) | 11.1 (13×) |
//! | (μ1, σ2) | 9.7e-7 | 3.3e-7 | 8.3e-5 | 2.2e-6 | 8.8e-6 | 1119 (458) | 10.3 (12×) |
//! | (μ1, μ2), π = 0.3 | 3.3e-7 | 7.2e-7 | 1.7e-5 | 3.0e-6 | 1.6e-6 | 518 (184) | 5.7 (6.7×) |
//! | (μ1, μ2), σ1 = 0.5, σ2 = 1.5 | 2.6e-7 | 4.0e-7 | 2.2e-6 | 2.8e-6 | 2.9e-6 | 1157 (485) | 9.9 (12×) |
//!
//! Times: 8192 points per dispatch, upload + dispatch + read-back, best of 3, on a shared
//! 2-core machine (noisy: the same run at higher load gave ~1.4× these); the seed kernel
//! (Q = 64, rotated basis, 256 evaluations per point, 128 for F) took 0.8 µs/point in the same
//! run. The CPU mirrors (rayon, 2 threads): 11.7 µs/point general, 2.9 seed.
//!
//! Against the 40 30-digit references (at their f64 inputs, so f32 input rounding included):
//! F 1.2e-5 (π = 0.999, where rounding 1 − π to f32 moves F_ππ by 1e-5), λ_min 5e-7, L 4e-5,
//! ∇L 7e-5 (the small ∇L at Δ = 0.001σ, π = 0.3), ñ 1e-6. With n = 12 (Q = 24) the worst F
//! error is 4e-5 and ∇L 2.6e-4: inside the tolerances, without margin; hence Q = 32. The cost
//! beyond the seed kernel's is the panels (σ1 ≠ σ2: two roots and a vertex per mixture, up to
//! 21 panels per window under the target) and the per-node work (five transcendentals in the
//! target pass against the seed's four, and lanes of one SIMD group that diverge in panel
//! count and refinement).
//!
//! # Near the singular sets (f32)
//! * (μ1, μ2) at μ1 = μ2 with σ1 = σ2: reported singular or with κ ≥ 1e3, the small
//!   eigenvector along (1 − π, −π) to 1e-3; the refinement pass keeps λ_min within 2e-6 wherever
//!   κ ≤ 1e3 (|Δ| ≳ 0.05σ). The seed kernel's rotated basis stays the accurate path there.
//! * (σ1, σ2) at μ1 = μ2 and σ1 = σ2: the same (the σ scores are proportional).
//! * (π, μ1) as π → 0: the μ1 row and column vanish (faster than π); F_μ1μ1 and F_πμ1 stay within
//!   1e-3 of themselves down to π = 1e-5, and κ grows past 1e3 where the comparator's singular
//!   rule takes over.
//!
//! Inputs of `points` are absolute f32 (no floating origin): positions are taken relative to
//! the model's μ1 inside the kernel, but a caller zooming deep into a general slice far from 0
//! loses the digits f32 cannot hold in ψ itself. The `grid` entry point has the floating
//! origin: μ2 − μ1 and the target's means relative to μ1 are formed in f64 at the origin (see
//! [`GeneralGridParams`]), so a 0.5-wide (μ1, μ2) view about (1000, 1000) passes the same
//! tolerances (`tests/gpu/general.rs`, `grid_far_from_zero_keeps_the_difference_of_means`).
//!
//! # The grid and the profiled metric (measured, `tests/gpu/general.rs`, lavapipe)
//! Grid cells outside the model (σ ≤ 0, π ∉ (0, 1) on a π slice) carry only
//! [`FLAG_OUTSIDE_MODEL`](crate::gpu::general_data::FLAG_OUTSIDE_MODEL) and their offset.
//! With metric = profiled the kernel accumulates all five scores (15 sums), forms the Schur
//! complement S = F_ss − F_sn F_nn⁻¹ F_ns from them (unit-diagonal Cholesky of F_nn), and then
//! — because that difference cancels where S ≪ F_ss (1.5e-3 of ‖S‖ on the seed's slice) —
//! accumulates S again as E[r rᵀ] with r = s_s − P s_n the slice scores' residuals after
//! regression on the held scores (P = F_sn F_nn⁻¹ from the first pass; the error is second order
//! in P's), in the rough S's eigenbasis where S is strongly correlated. Cost: two passes over
//! the model's panels with five scores per node, against one or two with two scores for the
//! induced block. Where π is held at 0 or 1, or a pivot of the unit-diagonal F_nn is below
//! 1e-3, the cell carries
//! [`FLAG_METRIC_UNDEFINED`](crate::gpu::general_data::FLAG_METRIC_UNDEFINED) and zeros.
//!
//! Worst errors of the 16×16 grids against the f64 reference at each cell's model (GPU; F
//! relative to ‖F‖, λ_min and ñ relative):
//!
//! | preset (view) | induced F, λ_min, ∇L, ñ | profiled F, λ_min, ñ | outside / undefined cells |
//! |---|---|---|---|
//! | seed (μ1, μ2) [−3, 3]² | 2.6e-7, 1.2e-6, 9.5e-7, 1.4e-6 | 2.0e-6, 3.4e-6, 3.7e-6 | 0 / 16 (diagonal) |
//! | half-plane (μ1, σ1), π = 1, σ1 from −0.5 | 3.4e-7, 2.4e-7, 1.2e-6, 1.3e-6 | undefined (π held at 1) | 32 / 224 |
//! | (π, μ1), π from −0.2 to 1.2 | 8.3e-7, 2.1e-6, 2.3e-6, 3.0e-6 | 2.5e-5, 6.4e-6, 6.0e-6 | 64 / 0 |
//! | (σ1, σ2), μ = ∓1, from −0.35 | 3.7e-7, 4.4e-7, 7.9e-7, 1.4e-6 | 7.7e-7, 3.8e-6, 3.9e-6 | 60 / 0 |
//! | (μ1, σ2), σ2 from −0.4 | 5.3e-7, 4.3e-7, 1.1e-6, 1.4e-6 | 6.4e-6, 4.4e-6, 4.4e-6 | 32 / 0 |
//! | (μ1, μ2), π = 0.3, σ = 0.6, 1.4 | 2.4e-7, 3.6e-7, 3.0e-6, 4.3e-6 | 1.9e-7, 3.6e-7, 3.4e-6 | 0 / 0 |
//!
//! Cost (64×64 grid of the seed preset, upload + dispatch + read-back, best of 3, lavapipe on
//! this 2-core machine with another session's tests running, so compare within the run only):
//! seed kernel 0.86 µs/cell; general `grid` induced 25.5 µs/cell, profiled 33.5 µs/cell;
//! general `points` on the same cells 21 µs/point (these figures predate the register walk of
//! the windows, which removed the window arrays; `fisherflow bench --presets all` measures the
//! kernel as it is now).
//! Earlier in the run, other presets relative to the seed kernel (metric read from the parameters,
//! since replaced by the pipeline constant, ~1.3× faster): half-plane 20×/17× (induced/profiled),
//! (π, μ1) 38×/45×, (σ1, σ2) 71×/91×, (μ1, σ2) 66×/86×, (μ1, μ2) at π = 0.3 70×/91×.
//!
//! The f32 limit seen on the way: below σ2 ≈ σ1/100 ∇L loses 1e-3 relative (6.7e-3 at
//! σ2 = 0.009, σ1 = 1.7 against a target with σ2 = 2), which is why the (σ1, σ2) grid's first
//! inside row starts at σ = 0.17 in the test.

use super::Slot;
use super::cells::CellBuffers;
use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::general_data::{GeneralGridParams, GeneralParams, GeneralPointInput};
use crate::gpu::gpu_data::FieldCell;
use crate::gpu::limits;
use crate::math::{Metric, QuadratureRule};

use super::fim_field::dispatch_size;

/// Invocations per workgroup; must equal `WORKGROUP_SIZE` in the shader.
pub const WORKGROUP_SIZE: u32 = 64;

/// Default Q (nodes per component and panel pair; n = Q/2 per panel) for the f32 general
/// path: 32, i.e. 16 nodes per panel (`tests/gpu/general.rs` measures it against the issue's
/// tolerances on every preset slice).
pub const DEFAULT_NODES_GENERAL_F32: u32 = 32;

/// The general stage's bind group layouts: group 0 (parameters, nodes, cells, point inputs),
/// shared by every entry point, and group 1 (the grid's parameters).
pub struct GeneralLayouts {
    bind_group_layout: wgpu::BindGroupLayout,
    grid_layout: wgpu::BindGroupLayout,
}

impl GeneralLayouts {
    fn new(device: &wgpu::Device) -> Self {
        Self {
            bind_group_layout: super::stage_layout(
                device,
                "fim_general layout",
                size_of::<GeneralParams>() as u64,
                &[Slot::Nodes, Slot::ReadWrite, Slot::Read],
            ),
            // Group 1: the grid's parameters alone.
            grid_layout: super::stage_layout(
                device,
                "fim_general grid layout",
                size_of::<GeneralGridParams>() as u64,
                &[],
            ),
        }
    }
}

/// The grid pipelines of the general stage (what the viewer, captures and the benchmark use;
/// a probe is a 1 × 1 grid).
pub struct GeneralPipeline {
    layouts: GeneralLayouts,
    /// `grid` with the pipeline constant GRID_METRIC = 0 (induced) and 1 (profiled): each
    /// compiled without the other metric's code (1.3× faster on llvmpipe than reading the
    /// metric from the parameters).
    grid_pipelines: [wgpu::ComputePipeline; 2],
    /// `grid_target`: the target's half of cells `grid` wrote (either metric).
    grid_target_pipeline: wgpu::ComputePipeline,
}

impl GeneralPipeline {
    /// Compiles the shader and builds the `grid` pipelines (one per metric) and `grid_target`.
    pub fn new(device: &wgpu::Device) -> Self {
        let layouts = GeneralLayouts::new(device);
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("fim_general.wgsl grid"),
            bind_group_layouts: &[Some(&layouts.bind_group_layout), Some(&layouts.grid_layout)],
            ..Default::default()
        });
        let module = crate::gpu::shader::create_module(device, "fim_general.wgsl");
        let metric_constants = Metric::ALL.map(|metric| [("GRID_METRIC", metric.code() as f64)]);
        let grid = |label, constants, entry| {
            grid_descriptor(label, &pipeline_layout, &module, entry, constants)
        };
        // The three at once (super::create_compute_pipelines): each is the whole general kernel.
        let [induced, profiled, grid_target_pipeline] = super::create_compute_pipelines(
            device,
            [
                grid("grid induced", &metric_constants[0], "grid"),
                grid("grid profiled", &metric_constants[1], "grid"),
                grid("grid target", &[], "grid_target"),
            ],
        );
        Self {
            layouts,
            grid_pipelines: [induced, profiled],
            grid_target_pipeline,
        }
    }
}

/// The `points` pipeline of the general stage (a list of points, each with its own model,
/// slice and target; induced metric): the CLI's `fim` and the tests. Built apart from
/// [`GeneralPipeline`] because nothing of the viewer dispatches it, and lavapipe takes longer
/// to build it than any other pipeline of the shader.
pub struct GeneralPointsPipeline {
    layouts: GeneralLayouts,
    points_pipeline: wgpu::ComputePipeline,
}

impl GeneralPointsPipeline {
    /// Compiles the shader and builds the `points` pipeline.
    pub fn new(device: &wgpu::Device) -> Self {
        let layouts = GeneralLayouts::new(device);
        let points_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("fim_general.wgsl points"),
            bind_group_layouts: &[Some(&layouts.bind_group_layout)],
            ..Default::default()
        });
        let module = crate::gpu::shader::create_module(device, "fim_general.wgsl");
        let [points_pipeline] = super::create_compute_pipelines(
            device,
            [wgpu::ComputePipelineDescriptor {
                label: Some("points"),
                layout: Some(&points_layout),
                module: &module,
                entry_point: Some("points"),
                compilation_options: Default::default(),
                cache: None,
            }],
        );
        Self {
            layouts,
            points_pipeline,
        }
    }
}

impl AsRef<GeneralLayouts> for GeneralPipeline {
    fn as_ref(&self) -> &GeneralLayouts {
        &self.layouts
    }
}

impl AsRef<GeneralLayouts> for GeneralPointsPipeline {
    fn as_ref(&self) -> &GeneralLayouts {
        &self.layouts
    }
}

/// A `grid`/`grid_target` pipeline's descriptor on `layout` with pipeline `constants`.
fn grid_descriptor<'a>(
    label: &'a str,
    layout: &'a wgpu::PipelineLayout,
    module: &'a wgpu::ShaderModule,
    entry: &'a str,
    constants: &'a [(&'a str, f64)],
) -> wgpu::ComputePipelineDescriptor<'a> {
    wgpu::ComputePipelineDescriptor {
        label: Some(label),
        layout: Some(layout),
        module,
        entry_point: Some(entry),
        compilation_options: wgpu::PipelineCompilationOptions {
            constants,
            ..Default::default()
        },
        cache: None,
    }
}

/// Checks that `points` inputs and cells fit one storage binding each on `device`.
pub fn check_capacity(device: &wgpu::Device, points: u32) -> Result<(), GpuError> {
    let limits = device.limits();
    let hint = |max: u64| format!("evaluate at most {max} general points per dispatch");
    limits::check_storage(
        &limits,
        || format!("{points} general points' results"),
        points as u64,
        size_of::<FieldCell>() as u64,
        hint,
    )?;
    limits::check_storage(
        &limits,
        || format!("{points} general points' inputs"),
        points as u64,
        size_of::<GeneralPointInput>() as u64,
        hint,
    )
}

/// Buffers for one capacity and node count.
pub struct GeneralData {
    buffers: CellBuffers,
    grid_params: wgpu::Buffer,
    grid_group: wgpu::BindGroup,
}

impl GeneralData {
    /// Allocates for up to `capacity` points with the given quadrature rule.
    pub fn new(
        ctx: &GpuContext,
        pipeline: &impl AsRef<GeneralLayouts>,
        capacity: u32,
        rule: &QuadratureRule,
    ) -> Result<Self, GpuError> {
        let layouts = pipeline.as_ref();
        let capacity = capacity.max(1);
        check_capacity(&ctx.device, capacity)?;
        let grid_params = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("fim_general grid params"),
            size: size_of::<GeneralGridParams>() as u64,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let grid_group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("fim_general grid bind group"),
            layout: &layouts.grid_layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: grid_params.as_entire_binding(),
            }],
        });
        Ok(Self {
            buffers: CellBuffers::new(
                ctx,
                &layouts.bind_group_layout,
                "fim_general",
                size_of::<GeneralParams>() as u64,
                size_of::<GeneralPointInput>() as u64,
                capacity,
                rule,
            ),
            grid_params,
            grid_group,
        })
    }

    /// Gauss–Legendre nodes per panel (Q/2) of the node table.
    pub fn panel_nodes(&self) -> u32 {
        self.buffers.panel_nodes
    }

    /// Writes the grid's parameters (`panel_nodes` set from the node table) and records the `grid`
    /// dispatch of `params.cell_count` cells into `encoder`. Cell i's `theta` is its offset from
    /// the grid's origin (see [`GeneralGridParams`]).
    pub fn encode_grid(
        &self,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        pipeline: &GeneralPipeline,
        params: &GeneralGridParams,
    ) {
        // The pipeline compiled for this metric (any code other than 1 is the induced one).
        let profiled = params.metric == Metric::Profiled.code();
        let grid = &pipeline.grid_pipelines[profiled as usize];
        self.encode_grid_with(queue, encoder, grid, params, "fim_general grid");
    }

    /// Records the target-only pass (`grid_target`): the cells of the last `grid` dispatch keep
    /// their metric half and get the target's half for `params`' target and damping. `params`
    /// must equal that dispatch's in everything else (the caller's cache key says so).
    pub fn encode_grid_target(
        &self,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        pipeline: &GeneralPipeline,
        params: &GeneralGridParams,
    ) {
        let target = &pipeline.grid_target_pipeline;
        self.encode_grid_with(queue, encoder, target, params, "fim_general grid target");
    }

    fn encode_grid_with(
        &self,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        compute: &wgpu::ComputePipeline,
        params: &GeneralGridParams,
        label: &str,
    ) {
        assert!(
            params.cell_count <= self.buffers.capacity,
            "grid exceeds GeneralData capacity"
        );
        let params = GeneralGridParams {
            panel_nodes: self.buffers.panel_nodes,
            ..*params
        };
        queue.write_buffer(&self.grid_params, 0, bytemuck::bytes_of(&params));
        // A labelled pass, no encoder debug group (see `encode`).
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some(label),
            timestamp_writes: None,
        });
        pass.set_pipeline(compute);
        pass.set_bind_group(0, &self.buffers.bind_group, &[]);
        pass.set_bind_group(1, &self.grid_group, &[]);
        let (x, y) = dispatch_size(params.cell_count, WORKGROUP_SIZE, 65_535);
        pass.dispatch_workgroups(x, y, 1);
    }

    /// The output buffer (`array<FieldCell>`).
    pub fn cells_buffer(&self) -> &wgpu::Buffer {
        &self.buffers.cells
    }

    /// Points this data can hold.
    pub fn capacity(&self) -> u32 {
        self.buffers.capacity
    }

    /// Uploads the inputs, writes the parameters and records the `points` dispatch into `encoder`
    /// (induced metric).
    pub fn encode(
        &self,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        pipeline: &GeneralPointsPipeline,
        points: &[GeneralPointInput],
        damping: f32,
    ) {
        let count = points.len() as u32;
        assert!(
            count <= self.buffers.capacity,
            "point list exceeds GeneralData capacity"
        );
        queue.write_buffer(&self.buffers.inputs, 0, bytemuck::cast_slice(points));
        let params = GeneralParams {
            damping,
            panel_nodes: self.buffers.panel_nodes,
            point_count: count,
            _pad: 0,
        };
        queue.write_buffer(&self.buffers.params, 0, bytemuck::bytes_of(&params));
        // A labelled pass rather than an encoder debug group: Mesa 22.3 lavapipe (CI's) crashed
        // in vkCmdBeginDebugUtilsLabelEXT on a group around the field pass.
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("fim_general"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&pipeline.points_pipeline);
        pass.set_bind_group(0, &self.buffers.bind_group, &[]);
        let (x, y) = dispatch_size(count, WORKGROUP_SIZE, 65_535);
        pass.dispatch_workgroups(x, y, 1);
    }

    /// Reads `count` cells back.
    pub fn read_cells(&self, ctx: &GpuContext, count: u32) -> Result<Vec<FieldCell>, GpuError> {
        self.buffers.read_cells(ctx, count)
    }
}

/// Evaluates general points on the GPU in one dispatch and reads them back (one cell per
/// point, in order).
pub fn evaluate_general_points(
    ctx: &GpuContext,
    points: &[GeneralPointInput],
    damping: f32,
    rule: &QuadratureRule,
) -> Result<Vec<FieldCell>, GpuError> {
    let count = points.len() as u32;
    let pipeline = GeneralPointsPipeline::new(&ctx.device);
    let data = GeneralData::new(ctx, &pipeline, count, rule)?;
    let mut encoder = ctx
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("fim_general points"),
        });
    data.encode(&ctx.queue, &mut encoder, &pipeline, points, damping);
    ctx.queue.submit([encoder.finish()]);
    data.read_cells(ctx, count)
}

/// Evaluates a general grid on the GPU in one dispatch and reads it back (one cell per grid
/// cell, row-major from the origin corner).
pub fn evaluate_general_grid(
    ctx: &GpuContext,
    params: &GeneralGridParams,
    rule: &QuadratureRule,
) -> Result<Vec<FieldCell>, GpuError> {
    let pipeline = GeneralPipeline::new(&ctx.device);
    let data = GeneralData::new(ctx, &pipeline, params.cell_count, rule)?;
    let mut encoder = ctx
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("fim_general grid"),
        });
    data.encode_grid(&ctx.queue, &mut encoder, &pipeline, params);
    ctx.queue.submit([encoder.finish()]);
    data.read_cells(ctx, params.cell_count)
}

/// Evaluates a general grid for `first`, then brings it to `second` (same model, view and
/// metric; another target or damping) with the target-only pass, as the viewer does while a
/// handle is dragged, and reads the cells back.
pub fn evaluate_general_grid_retargeted(
    ctx: &GpuContext,
    first: &GeneralGridParams,
    second: &GeneralGridParams,
    rule: &QuadratureRule,
) -> Result<Vec<FieldCell>, GpuError> {
    assert!(
        second.same_metric_as(first),
        "the target-only pass needs the same model, view and metric"
    );
    let pipeline = GeneralPipeline::new(&ctx.device);
    let data = GeneralData::new(ctx, &pipeline, first.cell_count, rule)?;
    for (params, target_only) in [(first, false), (second, true)] {
        // One submission each: the second pass's parameter write must follow the first pass.
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("fim_general grid retargeted"),
            });
        if target_only {
            data.encode_grid_target(&ctx.queue, &mut encoder, &pipeline, params);
        } else {
            data.encode_grid(&ctx.queue, &mut encoder, &pipeline, params);
        }
        ctx.queue.submit([encoder.finish()]);
    }
    data.read_cells(ctx, second.cell_count)
}
