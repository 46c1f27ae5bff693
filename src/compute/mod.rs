//! GPU compute stages, one file per WGSL shader of the same name: each owns its pipelines
//! (built once) and a small data struct with the buffers and bind groups that change with
//! the scene.

pub mod cells;
pub mod cholesky;
pub mod convergence;
pub mod estimates;
pub mod fim_field;
pub mod general;
pub mod geodesic;
pub mod kfac;
pub mod particles;
pub mod policy;
pub mod policy_rollouts;

use crate::gpu::shader;

/// A compute stage's bind group layout: binding 0 the stage's parameters, `params_bytes`
/// long, then one storage buffer per entry of `storage_read_only` (true: read-only),
/// bindings 1, 2, ….
///
/// The parameters are a read-only *storage* buffer, not a uniform one: Mesa's lavapipe (22.x,
/// what CI and llvmpipe users run) "inlines" the uniform values that bound a shader's loops (a
/// kernel's node count, a map's step count) by recompiling the shader with them as constants
/// (`update_inline_shader_state` in `lvp_execute.c`), and it does so every time the pipeline
/// is bound, with no cache of its own: every dispatch of such a kernel compiled it again. With Mesa's disk cache warm that cost ~5–20 ms a
/// frame (a frame with a convergence map or a flow on, a drag on a general slice); with it
/// cold (`MESA_SHADER_CACHE_DISABLE=true`, or a first run) 200–1000 ms. Storage buffers are
/// never inlined. On other drivers the two kinds cost the same for a few scalars.
pub fn stage_layout(
    device: &wgpu::Device,
    label: &str,
    params_bytes: u64,
    storage_read_only: &[bool],
) -> wgpu::BindGroupLayout {
    let entry = |binding: u32, ty, min_binding_size| wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty,
            has_dynamic_offset: false,
            min_binding_size,
        },
        count: None,
    };
    let mut entries = vec![entry(
        0,
        wgpu::BufferBindingType::Storage { read_only: true },
        wgpu::BufferSize::new(params_bytes),
    )];
    entries.extend(
        storage_read_only
            .iter()
            .zip(1u32..)
            .map(|(&read_only, binding)| {
                entry(
                    binding,
                    wgpu::BufferBindingType::Storage { read_only },
                    None,
                )
            }),
    );
    device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some(label),
        entries: &entries,
    })
}

/// One compute pipeline per entry point of `shader_file`, all on the bind group `layout`
/// (the module is compiled once).
pub fn stage_pipelines<const N: usize>(
    device: &wgpu::Device,
    layout: &wgpu::BindGroupLayout,
    shader_file: &str,
    entry_points: [&str; N],
) -> [wgpu::ComputePipeline; N] {
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(shader_file),
        bind_group_layouts: &[Some(layout)],
        ..Default::default()
    });
    let module = shader::create_module(device, shader_file);
    entry_points.map(|entry| {
        device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(entry),
            layout: Some(&pipeline_layout),
            module: &module,
            entry_point: Some(entry),
            compilation_options: Default::default(),
            cache: None,
        })
    })
}
