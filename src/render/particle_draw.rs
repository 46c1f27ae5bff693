//! Flow particles as streaks (`shaders/particle_draw.wgsl`), instanced straight from the
//! particle state buffer.

use super::pipeline::{QuadPipeline, ViewAndParams};
use crate::gpu::gpu_data::{Particle, ParticleStyle};

/// Range of the speed colour map, log10 of Fisher–Rao speed.
pub const LOG_SPEED_RANGE: (f32, f32) = (-2.0, 1.0);

/// The particle draw pipeline and its style uniform.
pub struct ParticleRenderer {
    pipeline: wgpu::RenderPipeline,
    style_buffer: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
}

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
        // Offsets of the Particle fields the shader reads (see gpu_data::Particle).
        let attributes = [
            wgpu::VertexAttribute {
                format: wgpu::VertexFormat::Float32x2,
                offset: 0,
                shader_location: 0,
            },
            wgpu::VertexAttribute {
                format: wgpu::VertexFormat::Float32x2,
                offset: 8,
                shader_location: 1,
            },
            wgpu::VertexAttribute {
                format: wgpu::VertexFormat::Float32,
                offset: 20,
                shader_location: 2,
            },
            wgpu::VertexAttribute {
                format: wgpu::VertexFormat::Uint32,
                offset: 28,
                shader_location: 3,
            },
        ];
        let pipeline = QuadPipeline {
            shader_file: "particle_draw.wgsl",
            layout: &layout,
            instances: Some(wgpu::VertexBufferLayout {
                array_stride: size_of::<Particle>() as u64,
                step_mode: wgpu::VertexStepMode::Instance,
                attributes: &attributes,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn particle_offsets_match_the_attributes() {
        let p = Particle::default();
        let base = &p as *const Particle as usize;
        assert_eq!(&p.previous as *const _ as usize - base, 8);
        assert_eq!(&p.speed as *const _ as usize - base, 20);
        assert_eq!(&p.mode as *const _ as usize - base, 28);
    }
}
