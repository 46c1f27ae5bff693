//! Round markers of constant pixel size (`shaders/markers.wgsl`): the handles and the probe.

use super::pipeline::InstancedQuads;
use crate::gpu::gpu_data::MarkerInstance;

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
        &wgpu::vertex_attr_array![0 => Float32x2, 1 => Float32x2, 2 => Float32x4, 3 => Float32x4],
    )
}
