//! Flow particles as streaks (`shaders/particle_draw.wgsl`), instanced straight from the
//! particle state buffer.

use crate::gpu::gpu_data::{Particle, ParticleStyle};
use crate::render::pipeline::{QuadPipeline, ViewAndParams, attribute};

/// Range of the speed colour map, log10 of Fisher–Rao speed.
pub const LOG_SPEED_RANGE: (f32, f32) = (-2.0, 1.0);

/// The particle draw pipeline and its style parameters.
pub struct ParticleRenderer {
    pipeline: wgpu::RenderPipeline,
    style_buffer: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
}

/// The [`Particle`] fields `particle_draw.wgsl` reads as instance attributes (locations 0–3
/// of its `ParticleAttributes`); the shader validation test checks each offset against naga's
/// layout of the WGSL `Particle` in particles.wgsl.
pub const PARTICLE_ATTRIBUTES: [wgpu::VertexAttribute; 4] = {
    use std::mem::offset_of;
    use wgpu::VertexFormat::{Float32, Float32x2, Uint32};
    [
        attribute(Float32x2, offset_of!(Particle, position), 0),
        attribute(Float32x2, offset_of!(Particle, previous), 1),
        attribute(Float32, offset_of!(Particle, speed), 2),
        attribute(Uint32, offset_of!(Particle, mode), 3),
    ]
};

impl ParticleRenderer {
    /// Builds the pipeline drawing into targets of `format` (the trail texture).
    pub fn new(
        device: &wgpu::Device,
        view_buffer: &wgpu::Buffer,
        format: wgpu::TextureFormat,
    ) -> Self {
        let bindings = ViewAndParams::new::<ParticleStyle>(device, "particle draw", view_buffer);
        let layout = bindings.layout;
        let style_buffer = bindings.params;
        let bind_group = bindings.group;
        let pipeline = QuadPipeline {
            shader_file: "particle_draw.wgsl",
            layout: &layout,
            instances: Some(wgpu::VertexBufferLayout {
                array_stride: size_of::<Particle>() as u64,
                step_mode: wgpu::VertexStepMode::Instance,
                attributes: &PARTICLE_ATTRIBUTES,
            }),
            format,
        }
        .build(device);
        Self {
            pipeline,
            style_buffer,
            bind_group,
        }
    }

    /// Writes this frame's style.
    pub fn prepare(&self, queue: &wgpu::Queue, style: &ParticleStyle) {
        queue.write_buffer(&self.style_buffer, 0, bytemuck::bytes_of(style));
    }

    /// Draws `count` particles from `particles`.
    pub fn draw(&self, pass: &mut wgpu::RenderPass<'_>, particles: &wgpu::Buffer, count: u32) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        pass.set_vertex_buffer(0, particles.slice(..));
        pass.draw(0..4, 0..count);
    }
}
