//! Round markers of constant pixel size (`shaders/markers.wgsl`): the handles and the probe.

use super::pipeline::{InstancedQuads, attribute};
use crate::gpu::gpu_data::MarkerInstance;

/// The [`MarkerInstance`] fields as attributes 0–3 of `markers.wgsl`'s `Marker`.
pub const MARKER_ATTRIBUTES: [wgpu::VertexAttribute; 4] = {
    use std::mem::offset_of;
    use wgpu::VertexFormat::{Float32x2, Float32x4};
    [
        attribute(Float32x2, offset_of!(MarkerInstance, center), 0),
        attribute(Float32x2, offset_of!(MarkerInstance, size), 1),
        attribute(Float32x4, offset_of!(MarkerInstance, fill), 2),
        attribute(Float32x4, offset_of!(MarkerInstance, ring), 3),
    ]
};

/// The marker stage: instances are [`MarkerInstance`].
pub fn marker_renderer(
    device: &wgpu::Device,
    view_layout: &wgpu::BindGroupLayout,
    format: wgpu::TextureFormat,
) -> InstancedQuads {
    InstancedQuads::new(
        device,
        view_layout,
        format,
        "markers.wgsl",
        size_of::<MarkerInstance>() as u64,
        &MARKER_ATTRIBUTES,
    )
}
