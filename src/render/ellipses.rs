//! Metric ellipses (`shaders/ellipses.wgsl`): one instance per FIM field cell, the field's
//! storage buffer bound directly as the instance vertex buffer.
//!
//! Glyph size: the level ε is chosen so that at scale 1 an ellipse where F = I/(2σ²) (far from
//! the diagonal) has semi-axes of 0.45 cell, ε = (0.45·h·scale)²/(2σ²). Every glyph is then
//! the honest level set δᵀF(θ)δ = ε, so KL(p_θ ‖ p_θ+δ) ≈ ε/2 on each outline. Semi-axes
//! longer than [`CAP_CELLS`] cells are clamped (and drawn hatched).

use super::pipeline::{QuadPipeline, ViewAndParams};
use crate::gpu::gpu_data::{EllipseParams, FieldCell};

/// Largest drawn semi-axis, in cells.
pub const CAP_CELLS: f64 = 2.0;
/// log10 κ at the top of the colour map (κ = 10⁴ and beyond share the top colour).
pub const LOG_KAPPA_TOP: f32 = 4.0;

/// ε for a grid of cell size `cell` at display scale `scale`.
pub fn ellipse_epsilon(cell: f64, scale: f64, sigma: f64) -> f64 {
    let semi = 0.45 * cell * scale;
    semi * semi / (2.0 * sigma * sigma)
}

/// The ellipse pipeline and its parameters.
pub struct EllipseRenderer {
    pipeline: wgpu::RenderPipeline,
    params_buffer: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
}

impl EllipseRenderer {
    /// Builds the pipeline; `view_buffer` is the shared view uniform.
    pub fn new(
        device: &wgpu::Device,
        view_buffer: &wgpu::Buffer,
        format: wgpu::TextureFormat,
    ) -> Self {
        let bindings = ViewAndParams::new::<EllipseParams>(device, "ellipses", view_buffer);
        let layout = bindings.layout;
        let params_buffer = bindings.params;
        let bind_group = bindings.group;
        // Offsets of the FieldCell fields the shader reads (see gpu_data::FieldCell).
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
                format: wgpu::VertexFormat::Float32x4,
                offset: 32,
                shader_location: 2,
            },
            wgpu::VertexAttribute {
                format: wgpu::VertexFormat::Float32x2,
                offset: 48,
                shader_location: 3,
            },
            wgpu::VertexAttribute {
                format: wgpu::VertexFormat::Uint32,
                offset: 80,
                shader_location: 4,
            },
        ];
        let pipeline = QuadPipeline {
            shader_file: "ellipses.wgsl",
            layout: &layout,
            instances: Some(wgpu::VertexBufferLayout {
                array_stride: size_of::<FieldCell>() as u64,
                step_mode: wgpu::VertexStepMode::Instance,
                attributes: &attributes,
            }),
            format,
        }
        .build(device);
        Self {
            pipeline,
            params_buffer,
            bind_group,
        }
    }

    /// Writes this frame's parameters.
    pub fn prepare(&self, queue: &wgpu::Queue, params: &EllipseParams) {
        queue.write_buffer(&self.params_buffer, 0, bytemuck::bytes_of(params));
    }

    /// Draws `cells` glyphs from the field buffer.
    pub fn draw(&self, pass: &mut wgpu::RenderPass<'_>, cells_buffer: &wgpu::Buffer, cells: u32) {
        if cells == 0 {
            return;
        }
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        pass.set_vertex_buffer(0, cells_buffer.slice(..));
        pass.draw(0..4, 0..cells);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_cell_offsets_match_the_attributes() {
        let cell = FieldCell::default();
        let base = &cell as *const FieldCell as usize;
        assert_eq!(&cell.eigenvalues as *const _ as usize - base, 8);
        assert_eq!(&cell.rotated as *const _ as usize - base, 32);
        assert_eq!(&cell.q_max as *const _ as usize - base, 48);
        assert_eq!(&cell.flags as *const _ as usize - base, 80);
    }
}
