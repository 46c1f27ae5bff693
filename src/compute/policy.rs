//! The policy plane's field on the GPU (`shaders/policy_field.wgsl`): the closed loop at every
//! cell of a grid over the gains K, or at a list of gains, in the mixture's [`FieldCell`]
//! record (C as the loss, ∇C, F = Σ_K/σ², ρ(A_K) and the control energy in the record's
//! empirical-Fisher slots). Closed-form Stein solves, no quadrature: one pass, the same work in
//! every lane. Its f64 reference is [`crate::math::policy::Lqr`].

use super::Slot;
use bytemuck::{Pod, Zeroable};

use super::fim_field::dispatch_size;
use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::gpu_data::FieldCell;
use crate::gpu::limits;
use crate::math::policy::System;

/// Invocations per workgroup (`WORKGROUP_SIZE` in the shader).
pub const WORKGROUP_SIZE: u32 = 64;

pub use crate::gpu::policy_data::PolicyPlant;

/// Must match `PolicyParams` in `shaders/policy_field.wgsl` (80 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct PolicyParams {
    /// Grid: the lower-left corner O in gains.
    pub origin: [f32; 2],
    /// Grid: the cell size along k1 and k2.
    pub cell_size: [f32; 2],
    /// Grid: columns, rows.
    pub shape: [u32; 2],
    /// Cells (or points) to evaluate.
    pub cell_count: u32,
    /// 1: the gains come from the point list and `theta` is K itself.
    pub use_points: u32,
    /// The system.
    pub plant: PolicyPlant,
}

impl PolicyParams {
    /// The parameters of `system` with damping λ (grid and count unset).
    pub fn new(system: &System, damping: f64) -> Self {
        Self {
            plant: PolicyPlant::new(system, damping),
            ..Self::default()
        }
    }

    /// The same, over a `columns × rows` grid whose lower-left corner is `origin` with cells of
    /// `cell_size`.
    pub fn with_grid(self, origin: [f64; 2], cell_size: [f64; 2], grid: [u32; 2]) -> Self {
        Self {
            origin: origin.map(|v| v as f32),
            cell_size: cell_size.map(|v| v as f32),
            shape: grid,
            cell_count: grid[0] * grid[1],
            use_points: 0,
            ..self
        }
    }
}

/// The compiled stage.
pub struct PolicyPipeline {
    layout: wgpu::BindGroupLayout,
    pipeline: wgpu::ComputePipeline,
}

impl PolicyPipeline {
    /// Compiles `policy_field.wgsl`.
    pub fn new(device: &wgpu::Device) -> Self {
        let layout = super::stage_layout(
            device,
            "policy_field layout",
            size_of::<PolicyParams>() as u64,
            &[Slot::ReadWrite, Slot::Read],
        );
        let [pipeline] = super::stage_pipelines(device, &layout, "policy_field.wgsl", ["main"]);
        Self { layout, pipeline }
    }
}

/// The parameters, the output cells (also an instance vertex buffer, as every field's) and the
/// point list, for one capacity.
pub struct PolicyData {
    params: wgpu::Buffer,
    cells: wgpu::Buffer,
    points: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    capacity: u32,
}

impl PolicyData {
    /// Allocates for up to `capacity` cells.
    pub fn new(
        ctx: &GpuContext,
        pipeline: &PolicyPipeline,
        capacity: u32,
    ) -> Result<Self, GpuError> {
        let capacity = capacity.max(1);
        let device = &ctx.device;
        limits::check_storage(
            &device.limits(),
            || format!("{capacity} policy-plane cells"),
            capacity as u64,
            size_of::<FieldCell>() as u64,
            |max| format!("evaluate at most {max} cells per dispatch"),
        )?;
        let [params, cells, points] = super::cells::stage_buffers(
            device,
            "policy_field",
            size_of::<PolicyParams>() as u64,
            8,
            capacity,
        );
        let bind_group = crate::gpu::buffers_bind_group(
            device,
            "policy_field bind group",
            &pipeline.layout,
            &[&params, &cells, &points],
        );
        Ok(Self {
            params,
            cells,
            points,
            bind_group,
            capacity,
        })
    }

    /// Cells this data holds at most.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// The output cells.
    pub fn cells_buffer(&self) -> &wgpu::Buffer {
        &self.cells
    }

    /// Writes the parameters (and, with `points`, the gains; `params.use_points` and
    /// `cell_count` are then set from them) and records the dispatch.
    pub fn encode(
        &self,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        pipeline: &PolicyPipeline,
        params: &PolicyParams,
        points: Option<&[[f32; 2]]>,
    ) {
        let mut params = *params;
        if let Some(points) = points {
            queue.write_buffer(&self.points, 0, bytemuck::cast_slice(points));
            params.use_points = 1;
            params.cell_count = points.len() as u32;
            params.shape = [params.cell_count.max(1), 1];
        }
        assert!(
            params.cell_count <= self.capacity,
            "cells exceed PolicyData capacity"
        );
        queue.write_buffer(&self.params, 0, bytemuck::bytes_of(&params));
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("policy_field"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&pipeline.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        let (x, y) = dispatch_size(params.cell_count, WORKGROUP_SIZE, 65_535);
        pass.dispatch_workgroups(x, y, 1);
    }

    /// Reads `count` cells back (blocking).
    pub fn read_cells(&self, ctx: &GpuContext, count: u32) -> Result<Vec<FieldCell>, GpuError> {
        super::cells::read_cells(ctx, &self.cells, count)
    }
}

/// The closed loop at every gain of `points` (f32, one dispatch), one cell each, in order.
pub fn evaluate_policy_points(
    ctx: &GpuContext,
    system: &System,
    points: &[[f64; 2]],
    damping: f64,
) -> Result<Vec<FieldCell>, GpuError> {
    let pipeline = PolicyPipeline::new(&ctx.device);
    let data = PolicyData::new(ctx, &pipeline, points.len() as u32)?;
    let gains: Vec<[f32; 2]> = points.iter().map(|k| k.map(|v| v as f32)).collect();
    let mut encoder = ctx
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("policy_field points"),
        });
    let params = PolicyParams::new(system, damping);
    data.encode(&ctx.queue, &mut encoder, &pipeline, &params, Some(&gains));
    ctx.queue.submit([encoder.finish()]);
    data.read_cells(ctx, points.len() as u32)
}

/// The closed loop over the grid of `params` (one dispatch), row-major from the origin corner.
pub fn evaluate_policy_grid(
    ctx: &GpuContext,
    params: &PolicyParams,
) -> Result<Vec<FieldCell>, GpuError> {
    let pipeline = PolicyPipeline::new(&ctx.device);
    let data = PolicyData::new(ctx, &pipeline, params.cell_count)?;
    let mut encoder = ctx
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("policy_field grid"),
        });
    data.encode(&ctx.queue, &mut encoder, &pipeline, params, None);
    ctx.queue.submit([encoder.finish()]);
    data.read_cells(ctx, params.cell_count)
}
