//! Line segments of constant pixel width (`shaders/lines.wgsl`): axes, tick grid, the diagonal.

use super::pipeline::InstancedQuads;
use crate::gpu::gpu_data::LineInstance;

/// The line stage: instances are [`LineInstance`].
pub fn line_renderer(
    device: &wgpu::Device,
    view_layout: &wgpu::BindGroupLayout,
    format: wgpu::TextureFormat,
) -> InstancedQuads {
    InstancedQuads::new(
        device,
        view_layout,
        format,
        "lines.wgsl",
        size_of::<LineInstance>() as u64,
        &wgpu::vertex_attr_array![0 => Float32x2, 1 => Float32x2, 2 => Float32x4, 3 => Float32x2],
    )
}
