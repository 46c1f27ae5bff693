//! Building blocks shared by the render pipelines: instanced-quad pipelines with premultiplied
//! alpha blending, parameter bind-group layouts, and a growable instance buffer.

use crate::gpu::shader;

/// Describes an instanced triangle-strip quad pipeline.
pub struct QuadPipeline<'a> {
    /// Label and shader file (`shaders/<file>`), entry points `vs_main` / `fs_main`.
    pub shader_file: &'a str,
    /// Bind group 0.
    pub layout: &'a wgpu::BindGroupLayout,
    /// Per-instance vertex data, if any.
    pub instances: Option<wgpu::VertexBufferLayout<'a>>,
    /// Colour target format.
    pub format: wgpu::TextureFormat,
}

impl<'a> QuadPipeline<'a> {
    /// A pipeline whose quads the shader places alone (no per-instance data), built at once.
    pub fn without_instances(
        device: &wgpu::Device,
        shader_file: &'a str,
        layout: &'a wgpu::BindGroupLayout,
        format: wgpu::TextureFormat,
    ) -> wgpu::RenderPipeline {
        QuadPipeline {
            shader_file,
            layout,
            instances: None,
            format,
        }
        .build(device)
    }

    /// Creates the pipeline: 4-vertex strips, no culling, premultiplied-alpha blending.
    pub fn build(self, device: &wgpu::Device) -> wgpu::RenderPipeline {
        let module = shader::create_module(device, self.shader_file);
        let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some(self.shader_file),
            bind_group_layouts: &[Some(self.layout)],
            ..Default::default()
        });
        device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some(self.shader_file),
            layout: Some(&layout),
            vertex: wgpu::VertexState {
                module: &module,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &[self.instances],
            },
            primitive: wgpu::PrimitiveState {
                topology: wgpu::PrimitiveTopology::TriangleStrip,
                ..Default::default()
            },
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            fragment: Some(wgpu::FragmentState {
                module: &module,
                entry_point: Some("fs_main"),
                compilation_options: Default::default(),
                targets: &[Some(wgpu::ColorTargetState {
                    format: self.format,
                    blend: Some(wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING),
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            multiview_mask: None,
            cache: None,
        })
    }
}

/// One render pass with one colour attachment on `view`, starting with `load` and storing
/// what it draws (every pass of the renderer and the window's egui pass).
pub fn color_pass<'e>(
    encoder: &'e mut wgpu::CommandEncoder,
    label: &str,
    view: &wgpu::TextureView,
    load: wgpu::LoadOp<wgpu::Color>,
) -> wgpu::RenderPass<'e> {
    encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
        label: Some(label),
        color_attachments: &[Some(wgpu::RenderPassColorAttachment {
            view,
            depth_slice: None,
            resolve_target: None,
            ops: wgpu::Operations {
                load,
                store: wgpu::StoreOp::Store,
            },
        })],
        ..Default::default()
    })
}

/// A bind-group layout entry for a 2-D float texture read with `textureLoad` in the fragment
/// stage (no sampler: cached layers composited texel for pixel).
pub fn unfiltered_texture_entry(binding: u32) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::FRAGMENT,
        ty: wgpu::BindingType::Texture {
            sample_type: wgpu::TextureSampleType::Float { filterable: false },
            view_dimension: wgpu::TextureViewDimension::D2,
            multisampled: false,
        },
        count: None,
    }
}

/// A bind-group layout entry for a draw's parameters (the view, a layer's style) visible to
/// both render stages: a read-only storage buffer rather than a uniform one, because lavapipe
/// recompiles a shader whose loop bounds read uniforms each time its pipeline is bound
/// (`compute::stage_layout` says more). Fragment shaders should not read it per pixel: on
/// llvmpipe (Mesa 22) a storage read there is a loop over the SIMD lanes for each component
/// (~3 ms per scalar over a 1100 × 860 canvas), so the vertex stage reads the parameters and
/// hands them on as flat inputs (`heatmap.wgsl`'s `Style`, `convergence_draw.wgsl`).
pub fn params_entry(binding: u32) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only: true },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

/// A bind-group layout entry for a read-only storage buffer visible to `stages`.
pub fn storage_entry(binding: u32, stages: wgpu::ShaderStages) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: stages,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only: true },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

/// The layout of a draw that reads the view (0), its own parameters (1) and a storage
/// buffer of records (2: field cells, the probe, the convergence map) in `stages`.
pub fn view_params_records_layout(
    device: &wgpu::Device,
    label: &str,
    stages: wgpu::ShaderStages,
) -> wgpu::BindGroupLayout {
    device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some(label),
        entries: &[params_entry(0), params_entry(1), storage_entry(2, stages)],
    })
}

/// A parameters buffer (see [`params_entry`]) holding one `T`, created with its contents.
pub fn new_params_buffer<T: bytemuck::Pod>(
    device: &wgpu::Device,
    label: &str,
    value: &T,
) -> wgpu::Buffer {
    use wgpu::util::DeviceExt;
    device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(label),
        contents: bytemuck::bytes_of(value),
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
    })
}

/// Bind group 0 of the stages that read the shared view (binding 0) and parameters of their own
/// (binding 1).
pub struct ViewAndParams {
    /// The layout (for the pipeline).
    pub layout: wgpu::BindGroupLayout,
    /// The stage's own parameters.
    pub params: wgpu::Buffer,
    /// The bind group.
    pub group: wgpu::BindGroup,
}

impl ViewAndParams {
    /// Creates the layout, a zeroed `T` parameters buffer and the bind group, labelled `label`.
    pub fn new<T: bytemuck::Pod + Default>(
        device: &wgpu::Device,
        label: &str,
        view_buffer: &wgpu::Buffer,
    ) -> Self {
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some(label),
            entries: &[params_entry(0), params_entry(1)],
        });
        let params = new_params_buffer(device, label, &T::default());
        let group = crate::gpu::buffers_bind_group(device, label, &layout, &[view_buffer, &params]);
        Self {
            layout,
            params,
            group,
        }
    }
}

/// The label of every [`InstancedQuads`] instance buffer: lines and markers the CPU builds
/// (axes, paths, race, estimates), which grow to the largest set drawn (the soak test tells
/// them from the rest of GPU memory by it).
pub const QUAD_INSTANCES_LABEL: &str = "instanced-quad instances";

/// A vertex buffer of instances that grows (by doubling) when more are written.
pub struct InstanceBuffer {
    label: &'static str,
    buffer: wgpu::Buffer,
    capacity_bytes: u64,
    count: u32,
}

impl InstanceBuffer {
    /// An empty buffer with room for `initial_bytes`.
    pub fn new(device: &wgpu::Device, label: &'static str, initial_bytes: u64) -> Self {
        let capacity_bytes = initial_bytes.max(256);
        Self {
            label,
            buffer: Self::allocate(device, label, capacity_bytes),
            capacity_bytes,
            count: 0,
        }
    }

    fn allocate(device: &wgpu::Device, label: &str, size: u64) -> wgpu::Buffer {
        device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    /// Replaces the contents with `items`.
    pub fn write<T: bytemuck::Pod>(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        items: &[T],
    ) {
        let bytes: &[u8] = bytemuck::cast_slice(items);
        if bytes.len() as u64 > self.capacity_bytes {
            self.capacity_bytes = (bytes.len() as u64).next_power_of_two();
            self.buffer = Self::allocate(device, self.label, self.capacity_bytes);
        }
        if !bytes.is_empty() {
            queue.write_buffer(&self.buffer, 0, bytes);
        }
        self.count = items.len() as u32;
    }

    /// The buffer to bind.
    pub fn buffer(&self) -> &wgpu::Buffer {
        &self.buffer
    }

    /// Instances written last.
    pub fn count(&self) -> u32 {
        self.count
    }
}

/// An instanced-quad pipeline whose only bind group is the view, with that bind group and its
/// instance buffer: what the axes (line) and marker layers both are.
pub struct InstancedQuads {
    pipeline: wgpu::RenderPipeline,
    view_group: wgpu::BindGroup,
    instances: InstanceBuffer,
}

impl InstancedQuads {
    /// Builds the pipeline from `shader_file` with instances of `stride` bytes and `attributes`;
    /// `view_group` (of `view_layout`) is bound when drawing.
    pub fn new(
        device: &wgpu::Device,
        view_layout: &wgpu::BindGroupLayout,
        view_group: &wgpu::BindGroup,
        format: wgpu::TextureFormat,
        shader_file: &'static str,
        stride: u64,
        attributes: &[wgpu::VertexAttribute],
    ) -> Self {
        let pipeline = QuadPipeline {
            shader_file,
            layout: view_layout,
            instances: Some(wgpu::VertexBufferLayout {
                array_stride: stride,
                step_mode: wgpu::VertexStepMode::Instance,
                attributes,
            }),
            format,
        }
        .build(device);
        Self {
            pipeline,
            view_group: view_group.clone(),
            instances: InstanceBuffer::new(device, QUAD_INSTANCES_LABEL, 16 * 1024),
        }
    }

    /// Uploads this frame's instances.
    pub fn prepare<T: bytemuck::Pod>(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        items: &[T],
    ) {
        self.instances.write(device, queue, items);
    }

    /// Draws the uploaded instances.
    pub fn draw(&self, pass: &mut wgpu::RenderPass<'_>) {
        if self.instances.count() == 0 {
            return;
        }
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.view_group, &[]);
        pass.set_vertex_buffer(0, self.instances.buffer().slice(..));
        pass.draw(0..4, 0..self.instances.count());
    }
}

/// A vertex attribute at a struct field's byte offset (`std::mem::offset_of!`), usable in the
/// `const` attribute tables of the instanced pipelines.
pub const fn attribute(
    format: wgpu::VertexFormat,
    offset: usize,
    shader_location: u32,
) -> wgpu::VertexAttribute {
    wgpu::VertexAttribute {
        format,
        offset: offset as u64,
        shader_location,
    }
}
