//! Line segments of constant pixel width (`shaders/lines.wgsl`): axes, tick grid, the diagonal.

use super::layer::LayerSetup;
use super::pipeline::{InstancedQuads, attribute};
use crate::gpu::gpu_data::LineInstance;

/// The [`LineInstance`] fields as attributes 0–3 of `lines.wgsl`'s `Segment`.
pub const LINE_ATTRIBUTES: [wgpu::VertexAttribute; 4] = {
    use std::mem::offset_of;
    use wgpu::VertexFormat::{Float32x2, Float32x4};
    [
        attribute(Float32x2, offset_of!(LineInstance, start), 0),
        attribute(Float32x2, offset_of!(LineInstance, end), 1),
        attribute(Float32x4, offset_of!(LineInstance, color), 2),
        attribute(Float32x2, offset_of!(LineInstance, style), 3),
    ]
};

/// The line stage: instances are [`LineInstance`].
pub fn line_renderer(setup: &LayerSetup<'_>) -> InstancedQuads {
    InstancedQuads::new(
        setup.device,
        setup.view_layout,
        setup.view_group,
        setup.format,
        "lines.wgsl",
        size_of::<LineInstance>() as u64,
        &LINE_ATTRIBUTES,
    )
}

/// Lines a layer draws from a background job's latest answer (the estimates' ellipses, the
/// shortest paths): the answer shown this frame, whether one is still being computed, and the
/// line instances uploaded from it.
pub struct JobLines<T> {
    quads: InstancedQuads,
    /// The answer drawn this frame, if any.
    shown: Option<std::sync::Arc<T>>,
    /// The scene asks for an answer the job has not given yet.
    pending: bool,
}

impl<T> JobLines<T> {
    /// Builds the line pipeline for the layer's targets.
    pub fn new(setup: &LayerSetup<'_>) -> Self {
        Self {
            quads: line_renderer(setup),
            shown: None,
            pending: false,
        }
    }

    /// Takes this frame's answer: `answer` is None when the scene asks for nothing (then
    /// nothing is drawn and nothing pending), Some(None) while the job computes. Uploads the
    /// lines `instances` forms from the answer (none without one).
    pub fn prepare(
        &mut self,
        ctx: &crate::gpu::context::GpuContext,
        answer: Option<Option<std::sync::Arc<T>>>,
        instances: impl FnOnce(&T) -> Vec<LineInstance>,
    ) {
        self.pending = matches!(answer, Some(None));
        self.shown = answer.flatten();
        let lines = self.shown.as_deref().map(instances).unwrap_or_default();
        self.quads.prepare(&ctx.device, &ctx.queue, &lines);
    }

    /// Draws the lines when there is an answer.
    pub fn draw(&self, pass: &mut wgpu::RenderPass<'_>) {
        if self.shown.is_some() {
            self.quads.draw(pass);
        }
    }

    /// The answer drawn in the last frame.
    pub fn shown(&self) -> Option<&T> {
        self.shown.as_deref()
    }

    /// Whether the scene's answer is still being computed.
    pub fn pending(&self) -> bool {
        self.pending
    }
}
