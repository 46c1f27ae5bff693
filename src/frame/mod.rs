//! The one frame renderer: a [`Scene`] drawn by the [`SceneRenderer`], then (optionally) the
//! egui overlay of labels and legends on top, into any colour target at any pixels-per-point,
//! with an optional read-back. The window's canvas, captures, the tests and the benchmark all
//! draw through it, so a capture, a screenshot and a test see the same pixels.
//!
//! The viewer draws its overlay as part of its own egui UI (over the canvas widget), so it asks
//! for frames without the overlay; captures and tests ask for it.

pub mod numbers;
pub mod overlay;

use crate::features::field::layer_ellipses::CAP_CELLS;
use crate::gpu::context::{GpuContext, GpuError};
use crate::render::canvas::{Canvas, Image};
use crate::render::{CANVAS_FORMAT, FrameInfo, SceneRenderer};
use crate::scene::Scene;
use overlay::setup_egui;

/// The egui context and renderer that paint the overlay offscreen.
struct OverlayPainter {
    egui: egui::Context,
    renderer: egui_wgpu::Renderer,
}

/// Draws frames: the scene, and the overlay when built with one.
pub struct FrameRenderer {
    scene: SceneRenderer,
    overlay: Option<OverlayPainter>,
    /// The offscreen target of [`FrameRenderer::render_image`], kept between frames.
    target: Option<Canvas>,
}

impl FrameRenderer {
    /// Builds the pipelines for targets in [`CANVAS_FORMAT`], with the overlay when `overlay`.
    pub fn new(ctx: &GpuContext, overlay: bool) -> Result<Self, GpuError> {
        Self::with_format(ctx, CANVAS_FORMAT, overlay)
    }

    /// The same for targets in `format` (an sRGB format: the shaders output linear colour).
    /// The viewer uses its surface's sRGB twin (`Bgra8UnormSrgb` on most desktops), so the
    /// canvas can be copied into the window instead of drawn by egui as an image.
    pub fn with_format(
        ctx: &GpuContext,
        format: wgpu::TextureFormat,
        overlay: bool,
    ) -> Result<Self, GpuError> {
        let scene = SceneRenderer::new(ctx, format)?;
        let overlay = overlay.then(|| {
            let egui = egui::Context::default();
            setup_egui(&egui);
            OverlayPainter {
                egui,
                renderer: egui_wgpu::Renderer::new(&ctx.device, format, Default::default()),
            }
        });
        Ok(Self {
            scene,
            overlay,
            target: None,
        })
    }

    /// Draws [`warm_up_scenes`] once each, offscreen at 96 × 64 pixels, and waits for them:
    /// llvmpipe compiles a pipeline's shader at its first draw or dispatch, not when the
    /// pipeline is created, so without this the first frame that turns a feature on (a flow
    /// mode, the heatmap, the ball, a general slice, the convergence map) would stall for the
    /// compilation. The viewer calls it once before its first frame; captures and tests do not
    /// need it. Frames wait for nothing off the loop meanwhile (the CPU paths of these scenes
    /// are asked for and dropped). Best effort: a scene that fails (an adapter's limit, say) is
    /// logged and skipped, so the viewer still opens and only that feature fails, when used, as
    /// it would have without the warm-up. Returns the time it took and how many scenes failed.
    pub fn warm_up(&mut self, ctx: &GpuContext) -> (std::time::Duration, usize) {
        let start = std::time::Instant::now();
        self.scene.set_deterministic(false);
        let mut failed = 0;
        for (k, scene) in warm_up_scenes().iter().enumerate() {
            let t = std::time::Instant::now();
            match self.render_image(ctx, [96, 64], 1.0, scene) {
                Ok(_) => log::debug!(
                    "warm-up scene {k}: {:.0} ms",
                    t.elapsed().as_secs_f64() * 1e3
                ),
                Err(e) => {
                    failed += 1;
                    log::warn!("warm-up scene {k} failed ({e}); its features compile when used");
                }
            }
        }
        // Nothing of the warm-up scenes is kept: the next frame starts the real scene's
        // particles and map afresh (the field and the rest follow their keys).
        self.scene.start_afresh();
        (start.elapsed(), failed)
    }

    /// The scene renderer (its simulation, grid limits).
    pub fn scene_renderer(&self) -> &SceneRenderer {
        &self.scene
    }

    /// The scene renderer, mutable.
    pub fn scene_renderer_mut(&mut self) -> &mut SceneRenderer {
        &mut self.scene
    }

    /// Records one frame of `scene` into `target` (`size_px` physical pixels, `px_per_point`
    /// pixels per logical point): the scene pass, then the overlay pass if there is one.
    /// Returns what the renderer did and the command buffers egui needs submitted before
    /// `encoder`'s.
    pub fn encode(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        target: &wgpu::TextureView,
        size_px: [u32; 2],
        px_per_point: f32,
        scene: &Scene,
    ) -> Result<(FrameInfo, Vec<wgpu::CommandBuffer>), GpuError> {
        let info = self
            .scene
            .render(ctx, encoder, target, size_px, px_per_point, scene)?;
        let Some(painter) = &mut self.overlay else {
            return Ok((info, Vec::new()));
        };
        // The canvas in points: the same logical canvas at any pixels-per-point.
        let rect = egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(size_px[0] as f32, size_px[1] as f32) / px_per_point,
        );
        let mut raw = egui::RawInput {
            screen_rect: Some(rect),
            ..Default::default()
        };
        raw.viewports.insert(
            egui::ViewportId::ROOT,
            egui::ViewportInfo {
                native_pixels_per_point: Some(px_per_point),
                ..Default::default()
            },
        );
        let panel = numbers::compute(scene, info.epsilon, CAP_CELLS * info.cell);
        let legends = self.scene.legends(scene, &info);
        let labels = self.scene.labels(scene);
        let input = overlay::OverlayInput {
            info: &info,
            probe_angle_deg: panel.probe.as_ref().and_then(|p| p.angle_deg),
            target_kappa: panel.target.kappa(),
            legends: &legends,
            labels: &labels,
        };
        let mut output = painter.egui.run_ui(raw, |ui| {
            overlay::draw(ui.painter(), rect, scene, &input);
        });
        let jobs = painter
            .egui
            .tessellate(std::mem::take(&mut output.shapes), px_per_point);
        let screen = egui_wgpu::ScreenDescriptor {
            size_in_pixels: size_px,
            pixels_per_point: px_per_point,
        };
        for (id, deltas) in output.textures_delta.set.drain() {
            for delta in deltas {
                painter
                    .renderer
                    .update_texture(&ctx.device, &ctx.queue, id, &delta);
            }
        }
        let buffers =
            painter
                .renderer
                .update_buffers(&ctx.device, &ctx.queue, encoder, &jobs, &screen);
        {
            let pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("overlay"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: target,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Load,
                        store: wgpu::StoreOp::Store,
                    },
                })],
                ..Default::default()
            });
            painter
                .renderer
                .render(&mut pass.forget_lifetime(), &jobs, &screen);
        }
        for id in output.textures_delta.free.drain() {
            painter.renderer.free_texture(&id);
        }
        Ok((info, buffers))
    }

    /// Renders one frame offscreen at `size_px` and `px_per_point` and reads it back (captures,
    /// tests). The target is reused while the size stays the same.
    pub fn render_image(
        &mut self,
        ctx: &GpuContext,
        size_px: [u32; 2],
        px_per_point: f32,
        scene: &Scene,
    ) -> Result<(FrameInfo, Image), GpuError> {
        if self.target.as_ref().is_none_or(|t| t.size != size_px) {
            self.target = Some(Canvas::new(
                &ctx.device,
                size_px,
                self.scene.format(),
                "frame",
            ));
        }
        let target = self.target.take().expect("created just above");
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("frame"),
            });
        let result = self.encode(
            ctx,
            &mut encoder,
            &target.view,
            size_px,
            px_per_point,
            scene,
        );
        let (info, mut buffers) = match result {
            Ok(r) => r,
            Err(e) => {
                self.target = Some(target);
                return Err(e);
            }
        };
        buffers.push(encoder.finish());
        ctx.queue.submit(buffers);
        let image = target.read(ctx);
        self.target = Some(target);
        Ok((info, image?))
    }
}

/// Small scenes that between them draw and dispatch every pipeline of the canvas (see
/// [`FrameRenderer::warm_up`]): on the seed's slice and on a general one (π, μ1), every layer
/// and feature on at tiny sizes (grid 8, 64 particles, 8 geodesics, the smallest convergence map),
/// each flow mode, the EF grid ellipses and the profiled metric, and once with the target moved
/// (the target-only passes a dragged handle runs); a flow on a general slice that holds π (its
/// own particle step); and the policy plane's field.
pub fn warm_up_scenes() -> Vec<Scene> {
    use crate::math::{Metric, Param, Slice};
    use crate::scene::{ConvergenceView, EllipseSource, FlowMode, Heatmap};
    let mut base = Scene {
        grid: 8,
        probe: Some([0.6, 0.3]),
        ..Scene::default()
    };
    base.features.heatmap = Heatmap::Log10Kappa;
    base.features.flow.enabled = true;
    base.features.flow.particles = Some(64);
    base.features.geodesics.ball = true;
    base.features.geodesics.rays = 8;
    base.features.geodesics.spokes = true;
    base.features.geodesics.shortest_path = true;
    base.features.estimates.at_probe = true;
    base.features.estimates.samples = 16;
    base.features.convergence.enabled = true;
    base.features.convergence.view = ConvergenceView::Split;
    base.features.convergence.side = crate::scene::CONVERGENCE_SIDE_RANGE.0;
    let general = {
        let mut s = base.clone();
        s.slice = Slice::new(Param::Pi, Param::Mu1).expect("two different parameters");
        s.model = crate::math::Model {
            pi: 0.6,
            mu1: -1.0,
            mu2: 1.5,
            ..s.model
        };
        s
    };
    let mut scenes = Vec::new();
    for slice_scene in [base, general] {
        for mode in [
            FlowMode::Natural,
            FlowMode::Both,
            FlowMode::NaturalVsEmpirical,
        ] {
            let mut s = slice_scene.clone();
            s.features.flow.mode = mode;
            s.features.heatmap = match mode {
                FlowMode::Natural => Heatmap::Log10Kappa,
                FlowMode::Both => Heatmap::Loss,
                _ => Heatmap::Angle,
            };
            if mode == FlowMode::NaturalVsEmpirical {
                s.features.estimates.grid_ellipses = EllipseSource::EmpiricalFisher;
            }
            scenes.push(s.clone());
            if mode == FlowMode::Natural {
                // The target moved: the target-only passes.
                let t = s.target();
                s.model = s.slice.place(&s.model, [t[0] + 0.01, t[1] - 0.01]);
                scenes.push(s);
            }
        }
        let mut profiled = slice_scene.clone();
        profiled.metric = Metric::Profiled;
        scenes.push(profiled);
    }
    // The policy plane's kernel (its field and probe), with a heatmap over it, its flow, its
    // geodesic ball and its convergence map; first, so the last warm-up scene stays a mixture flow scene (the
    // particles' key a real scene could match).
    let mut policy = Scene {
        grid: 8,
        ..Scene::default()
    };
    policy.features.heatmap = Heatmap::Loss;
    policy.apply(crate::scene::SceneEdit::ApplyPreset(
        crate::scene::Preset::Pendulum,
    ));
    policy.features.flow.enabled = true;
    policy.features.flow.particles = Some(64);
    policy.features.geodesics.ball = true;
    policy.features.geodesics.rays = 8;
    policy.features.convergence.enabled = true;
    policy.features.convergence.side = crate::scene::CONVERGENCE_SIDE_RANGE.0;
    scenes.insert(0, policy);
    // A general slice that holds π: the particles' own entry point there
    // (compute::particles::StepEntry::GeneralFixedWeight); its other pipelines are the (π, μ1)
    // scenes' already.
    let mut fixed_weight = Scene {
        grid: 8,
        slice: Slice::new(Param::Mu1, Param::Sigma1).expect("two different parameters"),
        ..Scene::default()
    };
    fixed_weight.features.flow.enabled = true;
    fixed_weight.features.flow.particles = Some(64);
    scenes.insert(1, fixed_weight);
    scenes
}
