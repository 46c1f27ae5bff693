//! The probe's two arrows (`shaders/arrows.wgsl`), read from the GPU-evaluated probe cell.

use super::FrameInfo;
use super::colormap::{linear_rgba, palette};
use super::layer::{Layer, LayerFrame, LayerSetup, Legend, LegendItem, SwatchShape};
use super::pipeline::{QuadPipeline, new_params_buffer, view_params_records_layout};
use crate::gpu::gpu_data::ArrowParams;
use crate::scene::Scene;

/// The arrow pipeline, its parameters and its bind group (rebuilt when the probe buffer
/// changes).
pub struct ArrowRenderer {
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    params_buffer: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
}

impl ArrowRenderer {
    /// Builds the pipeline reading the probe cell from `probe_buffer`.
    pub fn new(setup: &LayerSetup<'_>, probe_buffer: &wgpu::Buffer) -> Self {
        let (device, view_buffer, format) = (setup.device, setup.view_buffer, setup.format);
        let layout =
            view_params_records_layout(device, "arrows layout", wgpu::ShaderStages::VERTEX);
        let params_buffer = new_params_buffer(device, "arrow params", &ArrowParams::default());
        let bind_group = Self::bind(device, &layout, view_buffer, &params_buffer, probe_buffer);
        let pipeline = QuadPipeline::without_instances(device, "arrows.wgsl", &layout, format);
        Self {
            pipeline,
            layout,
            params_buffer,
            bind_group,
        }
    }

    fn bind(
        device: &wgpu::Device,
        layout: &wgpu::BindGroupLayout,
        view_buffer: &wgpu::Buffer,
        params_buffer: &wgpu::Buffer,
        probe_buffer: &wgpu::Buffer,
    ) -> wgpu::BindGroup {
        crate::gpu::buffers_bind_group(
            device,
            "arrows bind group",
            layout,
            &[view_buffer, params_buffer, probe_buffer],
        )
    }

    /// Writes this frame's parameters.
    pub fn prepare(&self, queue: &wgpu::Queue, params: &ArrowParams) {
        queue.write_buffer(&self.params_buffer, 0, bytemuck::bytes_of(params));
    }

    /// Draws both arrows (instance 0: −∇L, instance 1: natural).
    pub fn draw(&self, pass: &mut wgpu::RenderPass<'_>) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        pass.draw(0..4, 0..2);
    }

    /// Points the arrows at a new probe buffer (after the probe data was reallocated).
    pub fn rebind(
        &mut self,
        device: &wgpu::Device,
        view_buffer: &wgpu::Buffer,
        probe_buffer: &wgpu::Buffer,
    ) {
        self.bind_group = Self::bind(
            device,
            &self.layout,
            view_buffer,
            &self.params_buffer,
            probe_buffer,
        );
    }
}

impl Layer for ArrowRenderer {
    fn name(&self) -> &'static str {
        "probe arrows"
    }

    fn prepare(&mut self, frame: &LayerFrame<'_>) {
        let ppp = frame.px_per_point;
        ArrowRenderer::prepare(
            self,
            &frame.ctx.queue,
            &ArrowParams {
                length_px: 90.0 * ppp,
                shaft_px: 4.0 * ppp,
                head_px: 16.0 * ppp,
                _pad: 0.0,
                euclid_color: linear_rgba(palette::EUCLID, 1.0),
                natural_color: linear_rgba(palette::NATURAL, 1.0),
                // The probe as a display offset from the view centre, formed in f64 (deep zoom).
                anchor: frame
                    .scene
                    .probe
                    .map_or([0.0; 2], |p| super::display_offset(&frame.scene.camera, p)),
                _pad2: [0.0; 2],
            },
        );
    }

    fn draw(&self, pass: &mut wgpu::RenderPass<'_>, frame: &LayerFrame<'_>) {
        if frame.scene.layers.probe && frame.scene.probe.is_some() {
            ArrowRenderer::draw(self, pass);
        }
    }

    fn legend(&self, scene: &Scene, _info: &FrameInfo) -> Option<Legend> {
        (scene.layers.probe && scene.probe.is_some()).then(|| Legend {
            title: None,
            items: vec![
                LegendItem::Swatch {
                    color: palette::EUCLID,
                    shape: SwatchShape::Arrow,
                    label: if scene.system.is_some() {
                        "−∇C  Euclidean descent"
                    } else {
                        "−∇L  Euclidean descent"
                    }
                    .into(),
                },
                LegendItem::Swatch {
                    color: palette::NATURAL,
                    shape: SwatchShape::Arrow,
                    label: if scene.system.is_some() {
                        "−F⁻¹∇C  natural descent (npg)"
                    } else {
                        "−F⁻¹∇L  natural descent"
                    }
                    .into(),
                },
            ],
        })
    }
}
