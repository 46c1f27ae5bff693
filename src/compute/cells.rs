//! The buffers every cell-evaluating stage (the seed's `fim_field`, the general `fim_general`)
//! binds the same way: 0 its parameters, 1 the Gauss–Legendre node table, 2 the output
//! `array<FieldCell>` (also an instance vertex buffer, so the renderer draws it directly),
//! 3 the per-point inputs. One place allocates them, binds them and reads the cells back.

use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::gpu_data::FieldCell;
use crate::math::QuadratureRule;

/// A stage's parameters, node table, output cells and point inputs, and their bind group.
pub struct CellBuffers {
    /// The stage's parameters (binding 0).
    pub params: wgpu::Buffer,
    /// The n-point Gauss–Legendre rule (binding 1).
    pub nodes: wgpu::Buffer,
    /// The output cells (binding 2).
    pub cells: wgpu::Buffer,
    /// The per-point inputs (binding 3).
    pub inputs: wgpu::Buffer,
    /// The bind group of all four.
    pub bind_group: wgpu::BindGroup,
    /// Cells (and inputs) the buffers hold.
    pub capacity: u32,
    /// Gauss–Legendre nodes per panel, n = Q/2.
    pub panel_nodes: u32,
}

impl CellBuffers {
    /// Allocates for `capacity` cells (at least 1) under `layout` (see
    /// [`super::stage_layout`] with `[true, false, true]`): parameters of `params_bytes`, inputs
    /// of `input_bytes` each, the node table of `rule`. Labels start with `label`.
    pub fn new(
        ctx: &GpuContext,
        layout: &wgpu::BindGroupLayout,
        label: &str,
        params_bytes: u64,
        input_bytes: u64,
        capacity: u32,
        rule: &QuadratureRule,
    ) -> Self {
        let device = &ctx.device;
        let capacity = capacity.max(1);
        let [params, cells, inputs] =
            stage_buffers(device, label, params_bytes, input_bytes, capacity);
        let nodes = super::node_table(device, &format!("{label} gauss-legendre nodes"), rule);
        let bind_group = crate::gpu::buffers_bind_group(
            device,
            &format!("{label} bind group"),
            layout,
            &[&params, &nodes, &cells, &inputs],
        );
        Self {
            params,
            nodes,
            cells,
            inputs,
            bind_group,
            capacity,
            panel_nodes: rule.panel_rule().nodes.len() as u32,
        }
    }

    /// Reads the first `count` cells back (tests, the CLI, the benchmark; never the frame loop).
    pub fn read_cells(&self, ctx: &GpuContext, count: u32) -> Result<Vec<FieldCell>, GpuError> {
        read_cells(ctx, &self.cells, count)
    }
}

/// A cell-evaluating stage's parameters of `params_bytes`, its output cells for `capacity` cells
/// (also an instance vertex buffer: the ellipse and arrow pipelines read cells as instance
/// data) and its per-point inputs of `input_bytes` each, labelled `label …`.
pub fn stage_buffers(
    device: &wgpu::Device,
    label: &str,
    params_bytes: u64,
    input_bytes: u64,
    capacity: u32,
) -> [wgpu::Buffer; 3] {
    let buffer = |what: &str, size: u64, usage| {
        device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(&format!("{label} {what}")),
            size,
            usage,
            mapped_at_creation: false,
        })
    };
    [
        buffer(
            "params",
            params_bytes,
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        ),
        buffer(
            "cells",
            capacity as u64 * size_of::<FieldCell>() as u64,
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_SRC,
        ),
        buffer(
            "point inputs",
            capacity as u64 * input_bytes,
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        ),
    ]
}

/// Reads the first `count` cells of `cells` back (blocking).
pub fn read_cells(
    ctx: &GpuContext,
    cells: &wgpu::Buffer,
    count: u32,
) -> Result<Vec<FieldCell>, GpuError> {
    let bytes = ctx.read_buffer(cells, count.max(1) as u64 * size_of::<FieldCell>() as u64)?;
    let mut out: Vec<FieldCell> = bytemuck::pod_collect_to_vec(&bytes);
    out.truncate(count as usize);
    Ok(out)
}
