//! The geodesic-ball layer: at the probe, the Fisher–Rao circle of radius r (the closed curve
//! through the tips of the ball's geodesics), optionally the geodesics themselves (spokes), and
//! beside it the first-order picture, the metric ellipse δᵀF(probe)δ = r² (dashed).
//!
//! How: the circle and spokes are drawn straight from the simulation's segment buffer
//! (`shaders/geodesic.wgsl` writes it, `shaders/geodesic_ball.wgsl` reads it as instances),
//! placed by one parameter buffer, the probe's offset from the view centre formed in f64 each frame — a
//! pan never recomputes the ball. The ellipse is a CPU polyline (f64, from the F^{-1/2} the
//! simulation computed for the ball's start directions) through the shared line pipeline.

use crate::gpu::geodesic_data::{BallStyle, GeodesicSegment, KAPPA_MAX};
use crate::gpu::gpu_data::LineInstance;
use crate::render::colormap::linear_rgba;
use crate::render::layer::{Layer, LayerFrame, LayerSetup, Legend, LegendItem, SwatchShape};
use crate::render::lines::line_renderer;
use crate::render::pipeline::{InstancedQuads, QuadPipeline, ViewAndParams, attribute};
use crate::render::{FrameInfo, display_offset};
use crate::scene::{Camera, Scene};

/// sRGB colour of the Fisher–Rao circle and its spokes.
pub const BALL_COLOR: u32 = 0xc77dff;
/// sRGB colour of the metric ellipse.
pub const METRIC_ELLIPSE_COLOR: u32 = 0xf0e68c;
/// Segments of the metric ellipse's polyline.
const ELLIPSE_SEGMENTS: usize = 128;

/// The [`GeodesicSegment`] fields as attributes 0–3 of `geodesic_ball.wgsl`'s `Segment`.
pub const SEGMENT_ATTRIBUTES: [wgpu::VertexAttribute; 4] = {
    use std::mem::offset_of;
    use wgpu::VertexFormat::{Float32x2, Uint32};
    [
        attribute(Float32x2, offset_of!(GeodesicSegment, start), 0),
        attribute(Float32x2, offset_of!(GeodesicSegment, end), 1),
        attribute(Uint32, offset_of!(GeodesicSegment, kind), 2),
        attribute(Uint32, offset_of!(GeodesicSegment, flags), 3),
    ]
};

/// The geodesic-ball layer.
pub struct GeodesicBallLayer {
    pipeline: wgpu::RenderPipeline,
    group: ViewAndParams,
    ellipse: InstancedQuads,
    /// Segments to draw this frame (0: nothing).
    count: u32,
}

impl GeodesicBallLayer {
    /// Builds the segment pipeline (view + style parameters) and the ellipse's line pipeline.
    pub fn new(setup: &LayerSetup<'_>) -> Self {
        let (device, view_buffer, format) = (setup.device, setup.view_buffer, setup.format);
        let group = ViewAndParams::new::<BallStyle>(device, "geodesic ball", view_buffer);
        let pipeline = QuadPipeline {
            shader_file: "geodesic_ball.wgsl",
            layout: &group.layout,
            instances: Some(wgpu::VertexBufferLayout {
                array_stride: size_of::<GeodesicSegment>() as u64,
                step_mode: wgpu::VertexStepMode::Instance,
                attributes: &SEGMENT_ATTRIBUTES,
            }),
            format,
        }
        .build(device);
        Self {
            pipeline,
            group,
            ellipse: line_renderer(setup),
            count: 0,
        }
    }
}

/// The metric ellipse δᵀFδ = r² about `probe` as line instances: δ = r·F^{-1/2}(cos t, sin t).
pub fn metric_ellipse(
    camera: &Camera,
    probe: [f64; 2],
    start_dir: [[f64; 2]; 2],
    radius: f64,
    style: ([f32; 4], [f32; 2]),
) -> Vec<LineInstance> {
    let point = |k: usize| {
        let t = std::f64::consts::TAU * k as f64 / ELLIPSE_SEGMENTS as f64;
        let (s, c) = t.sin_cos();
        let m = start_dir;
        display_offset(
            camera,
            [
                probe[0] + radius * (m[0][0] * c + m[0][1] * s),
                probe[1] + radius * (m[1][0] * c + m[1][1] * s),
            ],
        )
    };
    (0..ELLIPSE_SEGMENTS)
        .map(|k| LineInstance {
            start: point(k),
            end: point(k + 1),
            color: style.0,
            style: style.1,
        })
        .collect()
}

impl Layer for GeodesicBallLayer {
    fn name(&self) -> &'static str {
        "geodesic ball"
    }

    fn prepare(&mut self, frame: &LayerFrame<'_>) {
        self.count = 0;
        let ball = frame.sim.geodesic_ball(frame.scene);
        let mut lines = Vec::new();
        if let Some(ball) = &ball {
            let camera = &frame.scene.camera;
            let w = frame.px_per_point;
            let spokes = frame.scene.features.geodesics.spokes;
            let style = BallStyle {
                probe_offset: display_offset(camera, ball.probe),
                ring_width: 2.0 * w,
                spoke_width: 1.0 * w,
                ring_color: linear_rgba(BALL_COLOR, 1.0),
                spoke_color: linear_rgba(BALL_COLOR, 0.45),
                show_spokes: spokes as u32,
                _pad: [0; 3],
            };
            frame
                .ctx
                .queue
                .write_buffer(&self.group.params, 0, bytemuck::bytes_of(&style));
            // The ring comes first in the buffer: without spokes only its `rays` are drawn.
            self.count = if spokes {
                crate::gpu::geodesic_data::segment_count(ball.rays, ball.steps)
            } else {
                ball.rays
            };
            lines = metric_ellipse(
                camera,
                ball.probe,
                ball.frame.start_dir,
                ball.radius,
                (linear_rgba(METRIC_ELLIPSE_COLOR, 0.9), [1.5 * w, 9.0 * w]),
            );
        }
        self.ellipse
            .prepare(&frame.ctx.device, &frame.ctx.queue, &lines);
    }

    fn draw(&self, pass: &mut wgpu::RenderPass<'_>, frame: &LayerFrame<'_>) {
        if self.count == 0 {
            return;
        }
        let Some(ball) = frame.sim.geodesic_ball(frame.scene) else {
            return;
        };
        self.ellipse.draw(pass);
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.group.group, &[]);
        pass.set_vertex_buffer(0, ball.segments.slice(..));
        pass.draw(0..4, 0..self.count);
    }

    fn legend(&self, scene: &Scene, _info: &FrameInfo) -> Option<Legend> {
        if !scene.features.geodesics.ball
            || scene.probe.is_none()
            || !scene.offers(crate::scene::Feature::GeodesicBall)
        {
            return None;
        }
        let r = scene.features.geodesics.radius;
        let mut items = vec![
            LegendItem::Swatch {
                color: BALL_COLOR,
                shape: SwatchShape::Outline,
                label: format!("Fisher–Rao circle ({} geodesics)", scene.features.geodesics.rays),
            },
            LegendItem::Swatch {
                color: METRIC_ELLIPSE_COLOR,
                shape: SwatchShape::Outline,
                label: "metric ellipse δᵀFδ = r² (dashed)".into(),
            },
        ];
        items.push(LegendItem::Text(if self.count == 0 {
            format!("no ball here: κ > {KAPPA_MAX:.0e} or outside")
        } else {
            format!("geodesics stop at κ > {KAPPA_MAX:.0e}")
        }));
        Some(Legend {
            title: Some(format!("geodesic ball, r = {r}")),
            items,
        })
    }
}
