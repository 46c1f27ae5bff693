//! GPU plumbing shared by the compute stages and the renderer: device selection
//! ([`context`]), byte layouts shared with WGSL ([`gpu_data`]) and shader loading with the
//! include splice ([`shader`]).

pub mod context;
pub mod convergence_data;
pub mod general_data;
pub mod geodesic_data;
pub mod gpu_data;
pub mod limits;
pub mod policy_data;
pub mod shader;
pub mod timing;

/// A bind group of `layout` with `buffers` bound whole at bindings 0, 1, 2, … in order: the
/// shape of every compute stage's group (see `compute::stage_layout`).
pub fn buffers_bind_group(
    device: &wgpu::Device,
    label: &str,
    layout: &wgpu::BindGroupLayout,
    buffers: &[&wgpu::Buffer],
) -> wgpu::BindGroup {
    let entries: Vec<wgpu::BindGroupEntry<'_>> = buffers
        .iter()
        .zip(0u32..)
        .map(|(buffer, binding)| wgpu::BindGroupEntry {
            binding,
            resource: buffer.as_entire_binding(),
        })
        .collect();
    device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some(label),
        layout,
        entries: &entries,
    })
}
