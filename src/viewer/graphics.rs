//! The window's GPU side ([`Graphics`]): its surface, device, egui state and renderers, set
//! up once; each frame fits the canvas texture to its widget, draws the scene into it and
//! acquires the surface.

use std::sync::Arc;

use anyhow::{Context, anyhow};
use winit::dpi::PhysicalSize;
use winit::event_loop::ActiveEventLoop;
use winit::window::Window;

use super::app::ViewOptions;
use super::compositor::Chrome;
use crate::frame::FrameRenderer;
use crate::gpu::context::GpuContext;
use crate::render::canvas::Canvas;
use crate::render::layer::{CanvasLabel, Legend};
use crate::render::{CANVAS_FORMAT, FrameInfo};
use crate::scene::Scene;

/// The window and everything that draws into it.
pub(super) struct Graphics {
    pub(super) window: Arc<Window>,
    pub(super) surface: wgpu::Surface<'static>,
    pub(super) config: wgpu::SurfaceConfiguration,
    pub(super) ctx: GpuContext,
    pub(super) egui_ctx: egui::Context,
    pub(super) egui_state: egui_winit::State,
    pub(super) egui_renderer: egui_wgpu::Renderer,
    /// The one frame renderer, without its overlay: the window's egui UI draws the labels
    /// over the canvas widget itself.
    pub(super) frames: FrameRenderer,
    pub(super) canvas: Canvas,
    pub(super) canvas_texture: egui::TextureId,
    /// The copy compositor's cached chrome, when the surface can be copied into (see
    /// [`Chrome`]); None: egui draws the whole window, the canvas as an image, every frame.
    pub(super) chrome: Option<Chrome>,
    pub(super) adapter: String,
}

impl Graphics {
    /// Opens the window and sets up its surface, device, egui and renderers.
    pub(super) fn new(event_loop: &ActiveEventLoop, options: &ViewOptions) -> anyhow::Result<Self> {
        let [w, h] = options.size;
        let window = Arc::new(
            event_loop
                .create_window(
                    Window::default_attributes()
                        .with_title("fisherflow: Fisher geometry of a Gaussian mixture")
                        .with_inner_size(winit::dpi::LogicalSize::new(w as f64, h as f64)),
                )
                .context("cannot create the window")?,
        );
        let mut desc = wgpu::InstanceDescriptor::new_with_display_handle_from_env(Box::new(
            event_loop.owned_display_handle(),
        ));
        if let Some(backend) = options.backend {
            desc.backends = backend.into();
        }
        let backends = desc.backends;
        let instance = wgpu::Instance::new(desc);
        let surface = instance
            .create_surface(window.clone())
            .context("cannot create a surface")?;
        let ctx = GpuContext::for_surface(instance, backends, &surface)?;
        // The stages' first-use pipelines, built on threads beside the renderer's own and the
        // window's set-up (simulation::PipelinesAhead).
        let ahead = crate::simulation::PipelinesAhead::spawn(&ctx.device);
        let size = window.inner_size();
        let caps = surface.get_capabilities(&ctx.adapter);
        // egui-wgpu wants a non-sRGB framebuffer (it blends in gamma space).
        let format = caps
            .formats
            .iter()
            .copied()
            .find(|f| !f.is_srgb())
            .or_else(|| caps.formats.first().copied())
            .ok_or_else(|| anyhow!("the surface supports no texture format"))?;
        // The copy compositor ([`Chrome`]) needs to copy into the surface, and the canvas in
        // the surface's sRGB twin (copies may differ in sRGB-ness only).
        let canvas_format = format.add_srgb_suffix();
        let copy_composite = caps.usages.contains(wgpu::TextureUsages::COPY_DST)
            && canvas_format.is_srgb()
            && canvas_format != format;
        let config = wgpu::SurfaceConfiguration {
            usage: if copy_composite {
                wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_DST
            } else {
                wgpu::TextureUsages::RENDER_ATTACHMENT
            },
            format,
            width: size.width.max(1),
            height: size.height.max(1),
            present_mode: wgpu::PresentMode::AutoVsync,
            desired_maximum_frame_latency: 2,
            alpha_mode: caps.alpha_modes[0],
            view_formats: vec![],
            color_space: Default::default(),
        };
        if size.width > 0 && size.height > 0 {
            surface.configure(&ctx.device, &config);
        }
        let egui_ctx = egui::Context::default();
        crate::frame::overlay::setup_egui(&egui_ctx);
        let egui_state = egui_winit::State::new(
            egui_ctx.clone(),
            egui::ViewportId::ROOT,
            &*window,
            Some(window.scale_factor() as f32),
            window.theme(),
            Some(ctx.device.limits().max_texture_dimension_2d as usize),
        );
        let mut egui_renderer = egui_wgpu::Renderer::new(&ctx.device, format, Default::default());
        let canvas_format = if copy_composite {
            canvas_format
        } else {
            CANVAS_FORMAT
        };
        let mut frames = FrameRenderer::with_format(&ctx, canvas_format, false)?;
        frames
            .scene_renderer_mut()
            .adopt_pipelines(&ctx, ahead.join());
        // Every pipeline drawn once now, so that turning a feature on later never stalls a
        // frame for llvmpipe's shader compilation (FrameRenderer::warm_up).
        let (warm, failed) = frames.warm_up(&ctx);
        log::info!(
            "pipelines warmed in {:.0} ms ({failed} warm-up scenes failed)",
            warm.as_secs_f64() * 1e3
        );
        // Under automation (`--frames`) frames are deterministic (the CPU jobs computed in the
        // frame that asks), so a screenshot shows them; interactively they are drawn when ready.
        frames
            .scene_renderer_mut()
            .set_deterministic(options.deterministic());
        let canvas = Canvas::with_gamma_view(&ctx, [1, 1], canvas_format, "canvas");
        let canvas_texture = egui_renderer.register_native_texture(
            &ctx.device,
            canvas.gamma_view(),
            wgpu::FilterMode::Nearest,
        );
        let adapter = ctx.describe();
        log::info!(
            "viewer on {adapter}, surface {format:?}, {}",
            if copy_composite {
                "canvas copied into the window"
            } else {
                "canvas drawn by egui (the surface cannot be copied into)"
            }
        );
        let chrome = copy_composite.then(|| Chrome::new(&ctx.device, format));
        Ok(Self {
            window,
            surface,
            config,
            ctx,
            egui_ctx,
            egui_state,
            egui_renderer,
            frames,
            canvas,
            canvas_texture,
            chrome,
            adapter,
        })
    }

    /// The window's new size (zero while minimised): the surface is configured for a size it
    /// can have, and a frame asked for.
    pub(super) fn resize(&mut self, size: PhysicalSize<u32>) {
        self.config.width = size.width;
        self.config.height = size.height;
        if size.width > 0 && size.height > 0 {
            self.surface.configure(&self.ctx.device, &self.config);
            self.window.request_redraw();
        }
    }

    /// Whether there is anything to draw into (a minimised window has zero size).
    pub(super) fn has_area(&self) -> bool {
        self.config.width > 0 && self.config.height > 0
    }

    /// The window's size in pixels, as configured.
    pub(super) fn window_px(&self) -> [u32; 2] {
        [self.config.width, self.config.height]
    }

    /// Makes the canvas texture follow the canvas rectangle egui laid out this frame (`laid_out`,
    /// points; None: the whole window) and returns that rectangle.
    pub(super) fn fit_canvas(&mut self, laid_out: Option<egui::Rect>, ppp: f32) -> egui::Rect {
        let canvas_rect = laid_out.unwrap_or(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(self.config.width as f32, self.config.height as f32) / ppp,
        ));
        let canvas_px = [
            ((canvas_rect.width() * ppp).round() as u32).max(1),
            ((canvas_rect.height() * ppp).round() as u32).max(1),
        ];
        if self.canvas.size != canvas_px {
            self.canvas = Canvas::with_gamma_view(
                &self.ctx,
                canvas_px,
                self.frames.scene_renderer().format(),
                "canvas",
            );
            self.egui_renderer.update_egui_texture_from_wgpu_texture(
                &self.ctx.device,
                self.canvas.gamma_view(),
                wgpu::FilterMode::Nearest,
                self.canvas_texture,
            );
        }
        canvas_rect
    }

    /// Encodes the scene into the canvas texture. Returns what the renderer did, with the
    /// layers' legends and canvas labels for the UI to draw next frame.
    pub(super) fn draw_scene(
        &mut self,
        encoder: &mut wgpu::CommandEncoder,
        ppp: f32,
        scene: &Scene,
    ) -> anyhow::Result<(FrameInfo, Vec<Legend>, Vec<CanvasLabel>)> {
        let (info, overlay_buffers) = self.frames.encode(
            &self.ctx,
            encoder,
            &self.canvas.view,
            self.canvas.size,
            ppp,
            scene,
        )?;
        debug_assert!(
            overlay_buffers.is_empty(),
            "the window's frames have no overlay"
        );
        self.canvas.sync_gamma(encoder);
        let renderer = self.frames.scene_renderer();
        Ok((info, renderer.legends(scene, &info), renderer.labels(scene)))
    }

    /// The surface's texture for this frame, or why it could not be had. An outdated or lost
    /// surface is configured again for the window's size now.
    pub(super) fn acquire_surface(&mut self) -> Result<wgpu::SurfaceTexture, &'static str> {
        let failure = match self.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(t)
            | wgpu::CurrentSurfaceTexture::Suboptimal(t) => return Ok(t),
            wgpu::CurrentSurfaceTexture::Outdated => "outdated",
            wgpu::CurrentSurfaceTexture::Lost => "lost",
            wgpu::CurrentSurfaceTexture::Timeout => "timeout",
            wgpu::CurrentSurfaceTexture::Occluded => "occluded",
            wgpu::CurrentSurfaceTexture::Validation => "validation error",
        };
        if matches!(failure, "outdated" | "lost") {
            // The window may have changed size before its Resized event arrived: configure
            // for the size it has now (never 0, which wgpu rejects).
            let size = self.window.inner_size();
            if size.width > 0 && size.height > 0 {
                self.config.width = size.width;
                self.config.height = size.height;
                self.surface.configure(&self.ctx.device, &self.config);
            }
        }
        Err(failure)
    }
}
