//! Dispatches `shaders/fim_general.wgsl`: the general two-component mixture's slice block of
//! F, ∇L, L and the natural gradient at a list of points (each with its own model, slice and
//! optional target), into the seed's `FieldCell` records.
//!
//! [`GeneralPipeline`] is built once per device; [`GeneralData`] owns the uniform, the node
//! table, the inputs and the output for one capacity. [`evaluate_general_points`] does one
//! upload, one dispatch and one read-back.
//!
//! # The f32 rule (the f64 rule of `math::general`, cut to what f32 needs)
//! * responsibilities as logistics of the quadratic log-ratio ℓ (never a ratio of densities);
//!   the π score as (r1/π)(1 − φ2/φ1) or its mirror, which keeps its precision where the
//!   components coincide;
//! * panel splits at the component centre, the real roots of ℓ and (σ1 ≠ σ2) its vertex, with
//!   graded splits at ±3 and ±12 widths (the f64 levels), from the model for F and from model
//!   and target for ∇L and L; at most `GENERAL_MAX_SPLITS` = 20 per window, inserted in
//!   priority order (centre, roots and vertices, near grades, far grades). F's windows need at
//!   most 16, so only the target pass can drop splits — far grades first — and then the cell
//!   carries [`FLAG_SPLITS_DROPPED`](crate::gpu::general_data::FLAG_SPLITS_DROPPED);
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
//! # Measured (`tests/gpu_general.rs`, lavapipe/llvmpipe 15, 2 cores)
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
//! Inputs are absolute f32 (no floating origin): positions are taken relative to the model's
//! μ1 inside the kernel, but a caller zooming deep into a general slice far from 0 loses the
//! digits f32 cannot hold in ψ itself.

use super::cells::CellBuffers;
use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::general_data::{GeneralParams, GeneralPointInput};
use crate::gpu::gpu_data::FieldCell;
use crate::gpu::limits;
use crate::math::QuadratureRule;

use super::fim_field::dispatch_size;

/// Invocations per workgroup; must equal `WORKGROUP_SIZE` in the shader.
pub const WORKGROUP_SIZE: u32 = 64;

/// Default Q (nodes per component and panel pair; n = Q/2 per panel) for the f32 general
/// path: 32, i.e. 16 nodes per panel (`tests/gpu_general.rs` measures it against the issue's
/// tolerances on every preset slice).
pub const DEFAULT_NODES_GENERAL_F32: u32 = 32;

/// Pipeline and layout of the general stage.
pub struct GeneralPipeline {
    bind_group_layout: wgpu::BindGroupLayout,
    points_pipeline: wgpu::ComputePipeline,
}

impl GeneralPipeline {
    /// Compiles the shader and builds the `points` pipeline.
    pub fn new(device: &wgpu::Device) -> Self {
        let bind_group_layout = super::stage_layout(
            device,
            "fim_general layout",
            size_of::<GeneralParams>() as u64,
            &[true, false, true],
        );
        let [points_pipeline] =
            super::stage_pipelines(device, &bind_group_layout, "fim_general.wgsl", ["points"]);
        Self {
            bind_group_layout,
            points_pipeline,
        }
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
}

impl GeneralData {
    /// Allocates for up to `capacity` points with the given quadrature rule.
    pub fn new(
        ctx: &GpuContext,
        pipeline: &GeneralPipeline,
        capacity: u32,
        rule: &QuadratureRule,
    ) -> Result<Self, GpuError> {
        let capacity = capacity.max(1);
        check_capacity(&ctx.device, capacity)?;
        Ok(Self {
            buffers: CellBuffers::new(
                ctx,
                &pipeline.bind_group_layout,
                "fim_general",
                size_of::<GeneralParams>() as u64,
                size_of::<GeneralPointInput>() as u64,
                capacity,
                rule,
            ),
        })
    }

    /// The output buffer (`array<FieldCell>`).
    pub fn cells_buffer(&self) -> &wgpu::Buffer {
        &self.buffers.cells
    }

    /// Points this data can hold.
    pub fn capacity(&self) -> u32 {
        self.buffers.capacity
    }

    /// Uploads the inputs, writes the uniform and records the dispatch into `encoder`.
    pub fn encode(
        &self,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        pipeline: &GeneralPipeline,
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
    let pipeline = GeneralPipeline::new(&ctx.device);
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
