//! Line segments of constant pixel width (`shaders/lines.wgsl`): axes, tick grid, the diagonal.

use super::layer::LayerSetup;
use super::pipeline::{InstancedQuads, attribute};
use crate::gpu::gpu_data::LineInstance;

/// The [`LineInstance`] fields as attributes 0–3 of `lines.wgsl`'s `Segment`.
pub const LINE_ATTRIBUTES: [wgpu::VertexAttribute; 4] = {
    use std::mem::offset_of;
    use wgpu::VertexFormat::{Float32x2, Float32x4};
    [
        attribute(Float32x2, offset_of!(LineInstance, start), 0),
        attribute(Float32x2, offset_of!(LineInstance, end), 1),
        attribute(Float32x4, offset_of!(LineInstance, color), 2),
        attribute(Float32x2, offset_of!(LineInstance, style), 3),
    ]
};

/// The line stage: instances are [`LineInstance`].
pub fn line_renderer(setup: &LayerSetup<'_>) -> InstancedQuads {
    InstancedQuads::new(
        setup.device,
        setup.view_layout,
        setup.view_group,
        setup.format,
        "lines.wgsl",
        size_of::<LineInstance>() as u64,
        &LINE_ATTRIBUTES,
    )
}
