//! Round markers of constant pixel size (`shaders/markers.wgsl`): the handles and the probe.

use super::HANDLE_RADIUS_PT;
use super::colormap::{linear_rgba, palette};
use super::layer::{Layer, LayerFrame, LayerSetup};
use super::pipeline::{InstancedQuads, attribute};
use crate::gpu::gpu_data::MarkerInstance;
use crate::scene::Scene;

/// The [`MarkerInstance`] fields as attributes 0–3 of `markers.wgsl`'s `Marker`.
pub const MARKER_ATTRIBUTES: [wgpu::VertexAttribute; 4] = {
    use std::mem::offset_of;
    use wgpu::VertexFormat::{Float32x2, Float32x4};
    [
        attribute(Float32x2, offset_of!(MarkerInstance, center), 0),
        attribute(Float32x2, offset_of!(MarkerInstance, size), 1),
        attribute(Float32x4, offset_of!(MarkerInstance, fill), 2),
        attribute(Float32x4, offset_of!(MarkerInstance, ring), 3),
    ]
};

/// The marker stage: instances are [`MarkerInstance`].
pub fn marker_renderer(setup: &LayerSetup<'_>) -> InstancedQuads {
    InstancedQuads::new(
        setup.device,
        setup.view_layout,
        setup.view_group,
        setup.format,
        "markers.wgsl",
        size_of::<MarkerInstance>() as u64,
        &MARKER_ATTRIBUTES,
    )
}

/// The markers layer: θ*, its twin and the probe as round markers of constant pixel size.
pub struct MarkerLayer {
    quads: InstancedQuads,
}

impl MarkerLayer {
    /// Builds the marker pipeline for targets of `format`.
    pub fn new(setup: &LayerSetup<'_>) -> Self {
        Self {
            quads: marker_renderer(setup),
        }
    }
}

impl Layer for MarkerLayer {
    fn name(&self) -> &'static str {
        "markers"
    }

    fn prepare(&mut self, frame: &LayerFrame<'_>) {
        self.quads.prepare(
            &frame.ctx.device,
            &frame.ctx.queue,
            &markers_for(frame.scene, frame.px_per_point),
        );
    }

    fn draw(&self, pass: &mut wgpu::RenderPass<'_>, _frame: &LayerFrame<'_>) {
        self.quads.draw(pass);
    }
}

/// The marker instances of a scene, as offsets from the view centre formed in f64 (deep zoom:
/// see common/view.wgsl).
fn markers_for(scene: &Scene, px_per_point: f32) -> Vec<MarkerInstance> {
    let mut out = Vec::new();
    let at = |p: [f64; 2]| super::display_offset(&scene.camera, p);
    if scene.layers.handles {
        let r = HANDLE_RADIUS_PT * px_per_point;
        // The twin exists only where the label-swapped target lies in the slice.
        if let Some(twin) = scene.twin() {
            out.push(MarkerInstance {
                center: at(twin),
                size: [r, 2.5 * px_per_point],
                fill: linear_rgba(palette::TWIN, 0.25),
                ring: linear_rgba(palette::TWIN, 1.0),
            });
        }
        out.push(MarkerInstance {
            center: at(scene.target()),
            size: [r, 2.5 * px_per_point],
            fill: linear_rgba(palette::TARGET, 0.9),
            ring: linear_rgba(0x000000, 1.0),
        });
    }
    if let (true, Some(p)) = (scene.layers.probe, scene.probe) {
        out.push(MarkerInstance {
            center: at(p),
            size: [4.0 * px_per_point, 1.5 * px_per_point],
            fill: linear_rgba(0xffffff, 1.0),
            ring: linear_rgba(0x000000, 1.0),
        });
    }
    out
}
