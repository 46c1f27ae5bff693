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

use wgpu::util::DeviceExt;

use crate::gpu::shader;
use crate::math::QuadratureRule;

/// What a compute stage binds after its parameters (bindings 1, 2, … in order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// A read-only storage buffer.
    Read,
    /// A read-write storage buffer.
    ReadWrite,
    /// The Gauss–Legendre node table ([`node_table`]), a uniform buffer of
    /// [`NODE_TABLE_LEN`] `vec4<f32>` (ξ, ω, 0, 0).
    Nodes,
}

/// Entries of the node table: the largest panel rule (Q = `MAX_NODES` per component, Q/2 per
/// panel). Must match `array<vec4<f32>, 256>` in the shaders that declare `quadrature_nodes`.
pub const NODE_TABLE_LEN: usize = crate::math::quadrature::MAX_NODES as usize / 2;

/// The node table of `rule`'s panel rule as a uniform buffer of [`NODE_TABLE_LEN`] entries
/// (ξ_j, ω_j, 0, 0), zero past the rule's nodes.
///
/// Uniform, not storage: every quadrature loop reads node k, the same k in every lane, and
/// llvmpipe (Mesa 22.x) loads a storage buffer element lane by lane, each load behind a test of
/// that lane's mask and a bounds check: on the general kernel's particles a third of the time
/// went there (perf, with the JIT's hot loop disassembled). A uniform buffer is read with one
/// branch-free gather. Lavapipe inlines only uniform values read at constant offsets (the
/// caveat of [`stage_layout`]); the table is read at the loop's index, so nothing is inlined
/// and nothing recompiles at dispatch.
pub fn node_table(device: &wgpu::Device, label: &str, rule: &QuadratureRule) -> wgpu::Buffer {
    let mut table = vec![[0.0f32; 4]; NODE_TABLE_LEN];
    for (entry, [x, w]) in table.iter_mut().zip(rule.panel_rule().table_f32()) {
        *entry = [x, w, 0.0, 0.0];
    }
    device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(label),
        contents: bytemuck::cast_slice(&table),
        usage: wgpu::BufferUsages::UNIFORM,
    })
}

/// A compute stage's bind group layout: binding 0 the stage's parameters, `params_bytes`
/// long, then one buffer per entry of `slots`, bindings 1, 2, ….
///
/// The parameters are a read-only *storage* buffer, not a uniform one: Mesa's lavapipe (22.x,
/// what CI and llvmpipe users run) "inlines" the uniform values that bound a shader's loops (a
/// kernel's node count, a map's step count) by recompiling the shader with them as constants
/// (`update_inline_shader_state` in `lvp_execute.c`), and it does so every time the pipeline
/// is bound, with no cache of its own: every dispatch of such a kernel compiled it again. With
/// Mesa's disk cache warm that cost ~5–20 ms a frame (a frame with a convergence map or a flow
/// on, a drag on a general slice); with it cold (`MESA_SHADER_CACHE_DISABLE=true`, or a first
/// run) 200–1000 ms. Storage buffers are never inlined. On other drivers the two kinds cost the
/// same for a few scalars.
pub fn stage_layout(
    device: &wgpu::Device,
    label: &str,
    params_bytes: u64,
    slots: &[Slot],
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
    entries.extend(slots.iter().zip(1u32..).map(|(&slot, binding)| match slot {
        Slot::Read => entry(
            binding,
            wgpu::BufferBindingType::Storage { read_only: true },
            None,
        ),
        Slot::ReadWrite => entry(
            binding,
            wgpu::BufferBindingType::Storage { read_only: false },
            None,
        ),
        Slot::Nodes => entry(
            binding,
            wgpu::BufferBindingType::Uniform,
            wgpu::BufferSize::new((NODE_TABLE_LEN * 16) as u64),
        ),
    }));
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
    create_compute_pipelines(
        device,
        entry_points.map(|entry| wgpu::ComputePipelineDescriptor {
            label: Some(entry),
            layout: Some(&pipeline_layout),
            module: &module,
            entry_point: Some(entry),
            compilation_options: Default::default(),
            cache: None,
        }),
    )
}

/// Creates the pipelines of `descriptors` at once, one thread each, and returns them in order.
/// Creating a compute pipeline is slow on lavapipe, which translates and optimizes the whole
/// inlined entry point then (measured on a 2-core EPYC: 280–490 ms for each of the particles'
/// two general steps and of fim_general's entries), and it may create several at once:
/// on two cores a shader's heavy entry points take about half the viewer's start-up they took
/// one after another. A panic on a thread (a wgpu validation error) is passed on as it was.
pub fn create_compute_pipelines<const N: usize>(
    device: &wgpu::Device,
    descriptors: [wgpu::ComputePipelineDescriptor<'_>; N],
) -> [wgpu::ComputePipeline; N] {
    if N == 1 {
        return descriptors.map(|d| device.create_compute_pipeline(&d));
    }
    std::thread::scope(|scope| {
        descriptors
            .map(|d| scope.spawn(move || device.create_compute_pipeline(&d)))
            .map(|thread| {
                thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
    })
}
