//! Dispatches `shaders/fim_field.wgsl`: the FIM field over a grid into a storage buffer that
//! the render pipelines read directly (or only its target-dependent half, when only the target
//! moved), or a list of points for `fisherflow fim --device gpu`.
//!
//! [`FimFieldPipeline`] is built once per device. [`FieldData`] owns the parameters, the node
//! table and the output buffer for one grid capacity; re-dispatching for a new σ, target or
//! view only rewrites the parameters. Reading back ([`FieldData::read_cells`]) is for tests, the
//! CLI and the benchmark; the viewer never does it.

use super::Slot;
use super::cells::CellBuffers;
use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::gpu_data::{FieldCell, FieldParams, PointInput};
use crate::gpu::limits;
use crate::math::QuadratureRule;

/// Invocations per workgroup; must equal `WORKGROUP_SIZE` in the shader.
pub const WORKGROUP_SIZE: u32 = 64;

/// Pipelines and layout of the FIM field stage.
pub struct FimFieldPipeline {
    bind_group_layout: wgpu::BindGroupLayout,
    field_pipeline: wgpu::ComputePipeline,
    field_target_pipeline: wgpu::ComputePipeline,
    points_pipeline: wgpu::ComputePipeline,
}

impl FimFieldPipeline {
    /// Compiles the shader and builds both entry points' pipelines.
    pub fn new(device: &wgpu::Device) -> Self {
        let bind_group_layout = super::stage_layout(
            device,
            "fim_field layout",
            size_of::<FieldParams>() as u64,
            &[Slot::Nodes, Slot::ReadWrite, Slot::Read],
        );
        let [field_pipeline, field_target_pipeline, points_pipeline] = super::stage_pipelines(
            device,
            &bind_group_layout,
            "fim_field.wgsl",
            ["field", "field_target", "points"],
        );
        Self {
            field_pipeline,
            field_target_pipeline,
            points_pipeline,
            bind_group_layout,
        }
    }
}

/// Which entry point a dispatch runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldMode {
    /// A grid over the view (`field`).
    Grid,
    /// Only the target's half of a grid whose F the buffer already holds (`field_target`):
    /// the same params but for `target_y0` and `damping`.
    GridTarget,
    /// The uploaded point list (`points`).
    Points,
}

/// Buffers for one grid capacity and node count.
pub struct FieldData {
    buffers: CellBuffers,
}

/// Checks that a field of `cells` cells fits one storage binding on `device`; the error names
/// the limit and what to do.
pub fn check_capacity(device: &wgpu::Device, cells: u32) -> Result<(), GpuError> {
    limits::check_storage(
        &device.limits(),
        || format!("a FIM field of {cells} cells"),
        cells as u64,
        size_of::<FieldCell>() as u64,
        |max_cells| {
            let side = (max_cells as f64).sqrt() as u64;
            format!("use a grid of at most {side}×{side} cells on this device")
        },
    )
}

/// The most field cells one buffer can hold on this device.
pub fn max_cells(device: &wgpu::Device) -> u32 {
    limits::max_storage_elements(&device.limits(), size_of::<FieldCell>() as u64)
        .min(u32::MAX as u64) as u32
}

/// The largest square grid side this device can hold in one field buffer.
pub fn max_grid_side(device: &wgpu::Device) -> u32 {
    (max_cells(device) as f64).sqrt() as u32
}

impl FieldData {
    /// Allocates for up to `capacity` cells with the given quadrature rule.
    pub fn new(
        ctx: &GpuContext,
        pipeline: &FimFieldPipeline,
        capacity: u32,
        rule: &QuadratureRule,
    ) -> Result<Self, GpuError> {
        let capacity = capacity.max(1);
        check_capacity(&ctx.device, capacity)?;
        Ok(Self {
            buffers: CellBuffers::new(
                ctx,
                &pipeline.bind_group_layout,
                "fim_field",
                size_of::<FieldParams>() as u64,
                size_of::<PointInput>() as u64,
                capacity,
                rule,
            ),
        })
    }

    /// The output buffer (`array<FieldCell>`), bound by the renderer.
    pub fn cells_buffer(&self) -> &wgpu::Buffer {
        &self.buffers.cells
    }

    /// The node table (a uniform `array<vec4<f32>, 256>`: [`super::node_table`]).
    pub fn nodes_buffer(&self) -> &wgpu::Buffer {
        &self.buffers.nodes
    }

    /// Cells this data can hold.
    pub fn capacity(&self) -> u32 {
        self.buffers.capacity
    }

    /// Gauss–Legendre nodes per panel (Q/2) of the node table.
    pub fn panel_nodes(&self) -> u32 {
        self.buffers.panel_nodes
    }

    /// Uploads the point list for [`FieldMode::Points`].
    pub fn upload_points(&self, queue: &wgpu::Queue, points: &[PointInput]) {
        assert!(
            points.len() as u32 <= self.buffers.capacity,
            "point list exceeds FieldData capacity"
        );
        queue.write_buffer(&self.buffers.inputs, 0, bytemuck::cast_slice(points));
    }

    /// Writes `params` and records the dispatch into `encoder`. `params.panel_nodes` is set
    /// from the node table.
    pub fn encode(
        &self,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        pipeline: &FimFieldPipeline,
        mode: FieldMode,
        params: &FieldParams,
        timestamp_writes: Option<wgpu::ComputePassTimestampWrites<'_>>,
    ) {
        assert!(
            params.cell_count <= self.buffers.capacity,
            "dispatch exceeds FieldData capacity"
        );
        let params = FieldParams {
            panel_nodes: self.buffers.panel_nodes,
            ..*params
        };
        queue.write_buffer(&self.buffers.params, 0, bytemuck::bytes_of(&params));
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("fim_field"),
            timestamp_writes,
        });
        pass.set_pipeline(match mode {
            FieldMode::Grid => &pipeline.field_pipeline,
            FieldMode::GridTarget => &pipeline.field_target_pipeline,
            FieldMode::Points => &pipeline.points_pipeline,
        });
        pass.set_bind_group(0, &self.buffers.bind_group, &[]);
        let (x, y) = dispatch_size(params.cell_count, WORKGROUP_SIZE, 65_535);
        pass.dispatch_workgroups(x, y, 1);
    }

    /// Reads `count` cells back (tests, CLI, benchmark).
    pub fn read_cells(&self, ctx: &GpuContext, count: u32) -> Result<Vec<FieldCell>, GpuError> {
        self.buffers.read_cells(ctx, count)
    }
}

/// Workgroup grid (x, y) covering `cells` invocations of workgroups of `workgroup_size` with
/// x ≤ `max_per_dimension`; the shader linearises it back (`linear_index`).
pub fn dispatch_size(cells: u32, workgroup_size: u32, max_per_dimension: u32) -> (u32, u32) {
    let groups = cells.div_ceil(workgroup_size).max(1);
    let x = groups.min(max_per_dimension);
    (x, groups.div_ceil(x))
}

/// Parameters for a `columns × rows` grid of cells tiling [view_min, view_max], with the
/// floating origin at `view_min` (positions in f64: see [`FieldParams`]).
#[allow(clippy::too_many_arguments)]
pub fn grid_params(
    view_min: [f64; 2],
    view_max: [f64; 2],
    columns: u32,
    rows: u32,
    sigma: f32,
    target: [f64; 2],
    damping: f32,
) -> FieldParams {
    FieldParams {
        cell_size: [
            ((view_max[0] - view_min[0]) / columns as f64) as f32,
            ((view_max[1] - view_min[1]) / rows as f64) as f32,
        ],
        shape: [columns, rows],
        sigma,
        damping,
        panel_nodes: 0,
        cell_count: columns * rows,
        ..FieldParams::default()
    }
    .with_origin(view_min, target)
}

/// Evaluates a grid on the GPU and reads it back: one dispatch, one readback.
pub fn evaluate_grid(
    ctx: &GpuContext,
    params: &FieldParams,
    rule: &QuadratureRule,
) -> Result<Vec<FieldCell>, GpuError> {
    let pipeline = FimFieldPipeline::new(&ctx.device);
    let data = FieldData::new(ctx, &pipeline, params.cell_count, rule)?;
    let mut encoder = ctx
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("fim grid"),
        });
    data.encode(
        &ctx.queue,
        &mut encoder,
        &pipeline,
        FieldMode::Grid,
        params,
        None,
    );
    ctx.queue.submit([encoder.finish()]);
    data.read_cells(ctx, params.cell_count)
}

/// Evaluates a list of points on the GPU in one dispatch and reads them back.
pub fn evaluate_points(
    ctx: &GpuContext,
    points: &[PointInput],
    damping: f32,
    rule: &QuadratureRule,
) -> Result<Vec<FieldCell>, GpuError> {
    let count = points.len() as u32;
    let pipeline = FimFieldPipeline::new(&ctx.device);
    let data = FieldData::new(ctx, &pipeline, count, rule)?;
    data.upload_points(&ctx.queue, points);
    let params = FieldParams {
        damping,
        cell_count: count,
        shape: [count.max(1), 1],
        ..Default::default()
    };
    let mut encoder = ctx
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("fim points"),
        });
    data.encode(
        &ctx.queue,
        &mut encoder,
        &pipeline,
        FieldMode::Points,
        &params,
        None,
    );
    ctx.queue.submit([encoder.finish()]);
    data.read_cells(ctx, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatch_covers_every_cell_within_limits() {
        // Hand-computed for 64-wide workgroups: ⌈cells/64⌉ groups, split into rows of at
        // most 65 535 (5 000 000 cells: 78 125 groups → 65 535 × 2).
        assert_eq!(WORKGROUP_SIZE, 64);
        for (cells, expected) in [
            (1, (1, 1)),
            (63, (1, 1)),
            (64, (1, 1)),
            (65, (2, 1)),
            (1 << 20, (16_384, 1)),
            (5_000_000, (65_535, 2)),
        ] {
            let (x, y) = dispatch_size(cells, WORKGROUP_SIZE, 65_535);
            assert_eq!((x, y), expected, "{cells} cells");
            // Covers every cell, overshooting by less than one row of groups.
            let invocations = x as u64 * y as u64 * WORKGROUP_SIZE as u64;
            assert!(invocations >= cells as u64);
            assert!(invocations < cells as u64 + x as u64 * WORKGROUP_SIZE as u64);
        }
    }
}
