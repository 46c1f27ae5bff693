//! The frame loop: winit events → egui (panels, canvas interaction, scene edits) → the scene
//! renderer draws into the canvas texture → egui draws the window → present.
//!
//! No GPU→CPU read-back happens in the loop; the only read-back is a screenshot the user (P)
//! or the `--screenshot` option asked for. A zero-sized (minimised) window renders nothing;
//! lost or outdated surfaces are reconfigured and the frame skipped.
//!
//! Under automation (`--frames N`) nothing may wait forever: a surface that cannot be acquired
//! [`MAX_CONSECUTIVE_SURFACE_FAILURES`] frames in a row, or no frame presented for
//! [`AUTOMATION_STALL_LIMIT`] (a window left at zero size, redraws that never come), ends the
//! run with an error saying what failed. The automation also reports the window's real size
//! and scale factor, and can resize the window at given frames ([`ResizeStep`]) so tests
//! exercise resizing and minimising on a real window.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use winit::application::ApplicationHandler;
use winit::dpi::PhysicalSize;
use winit::event::WindowEvent;
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop};
use winit::window::{Window, WindowId};

use super::damage::{Damage, damage, redraw_jobs};
use super::ui::{self, FrameContext, UiState};
use crate::capture::output::write_atomically;
use crate::frame::FrameRenderer;
use crate::gpu::context::{BackendChoice, GpuContext};
use crate::render::canvas::{Canvas, Image};
use crate::render::{CANVAS_FORMAT, FrameInfo};
use crate::scene::Scene;

/// How the viewer is started.
#[derive(Clone, Debug)]
pub struct ViewOptions {
    /// The initial scene.
    pub scene: Scene,
    /// Render this many frames, then exit (automation).
    pub frames: Option<u32>,
    /// Save the last frame (whole window) to this PNG before exiting.
    pub screenshot: Option<PathBuf>,
    /// Force a backend.
    pub backend: Option<BackendChoice>,
    /// Initial window size in logical pixels.
    pub size: [u32; 2],
    /// Automation: resize the window at these frame attempts (ascending ticks).
    pub resize_steps: Vec<ResizeStep>,
    /// Automation: give up when no frame was presented for this long
    /// ([`AUTOMATION_STALL_LIMIT`] unless a test shortens it).
    pub stall_limit: Duration,
    /// Automation: move the target every frame as a dragged handle does (`--drag-target`).
    pub drag_target: bool,
    /// Automation: frames do not wait for off-loop work (`--live`), as interactively.
    pub live: bool,
    /// Automation: before this frame, replace the scene by this one (`--switch-scene`).
    pub switch: Option<(u32, Scene)>,
}

impl ViewOptions {
    /// Whether frames are deterministic (the off-loop work — paths, race, convergence map,
    /// estimates, the K-FAC lab's snapshot — computed inside the frame that needs it): under
    /// automation, unless `--live`.
    pub fn deterministic(&self) -> bool {
        self.frames.is_some() && !self.live
    }
}

/// An automated resize: before frame attempt `tick` (counting every redraw, presented or
/// not, from 0), ask for an inner size of `size` physical pixels. `[0, 0]` cannot be asked of
/// X11 (it refuses a zero height) and there may be no window manager to minimise with, so it
/// is fed to the app's own event handler as `WindowEvent::Resized(0×0)`, exactly what a
/// minimised window delivers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResizeStep {
    /// Frame attempt at which the resize is requested.
    pub tick: u32,
    /// Requested inner size in physical pixels; `[0, 0]` simulates minimising.
    pub size: [u32; 2],
}

/// Under `--frames`, this many surface acquisitions failing in a row (timeout, occluded,
/// outdated, lost, validation) end the run with an error. A resize or a compositor hiccup fails
/// a handful in a row; at 60 Hz 120 is two seconds of nothing, long past any transient. The
/// interactive viewer keeps trying (a covered window can legitimately stay occluded).
pub const MAX_CONSECUTIVE_SURFACE_FAILURES: u32 = 120;

/// Under `--frames`, no frame presented for this long ends the run with an error: a window
/// left minimised (zero size: frames are skipped, which is not a failure) or redraw requests
/// the platform never answers. Generous, since the first frame on a software rasteriser
/// compiles every pipeline; a healthy run presents a frame every few hundred ms at worst.
pub const AUTOMATION_STALL_LIMIT: Duration = Duration::from_secs(60);

/// What one redraw did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FrameOutcome {
    /// A frame was presented.
    Presented,
    /// Nothing to draw into: no graphics yet, or a zero-size (minimised) window. Not a failure.
    Skipped,
    /// The surface texture could not be acquired; the reason, for the message.
    SurfaceFailed(&'static str),
}

/// Frames of one automation phase (from one resize step to the next), for the exit report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Phase {
    /// The redraw at which the phase began.
    tick: u32,
    /// The size asked for (None: the size the window opened with).
    request: Option<[u32; 2]>,
    /// Frames presented, and how many of those had the requested size.
    presented: u32,
    presented_at_request: u32,
    /// Redraws with nothing to draw into (zero size).
    skipped: u32,
    /// Redraws whose surface could not be acquired.
    failed: u32,
}

/// The outcome of every redraw: consecutive surface failures, the time of the last presented
/// frame, and the per-phase counts the automation reports at exit.
#[derive(Debug)]
struct FrameLedger {
    /// Redraws so far, presented or not (the clock of the resize steps).
    ticks: u32,
    /// Surface acquisitions failed since the last presented frame, and the last reason.
    consecutive_failures: u32,
    last_failure: &'static str,
    /// When the last frame was presented (or the ledger started): the stall clock.
    last_progress: Instant,
    /// Phase 0 runs at the size the window opened with; each resize step starts another.
    phases: Vec<Phase>,
}

impl FrameLedger {
    fn new(now: Instant) -> Self {
        Self {
            ticks: 0,
            consecutive_failures: 0,
            last_failure: "",
            last_progress: now,
            phases: vec![Phase::default()],
        }
    }

    /// Starts the phase of a resize step at the current tick.
    fn begin_phase(&mut self, request: [u32; 2]) {
        self.phases.push(Phase {
            tick: self.ticks,
            request: Some(request),
            ..Phase::default()
        });
    }

    /// Counts one redraw. `size` is the presented frame's size. Under automation, fails after
    /// [`MAX_CONSECUTIVE_SURFACE_FAILURES`] failed acquisitions in a row; a presented frame
    /// resets the count, a skipped one (zero size) leaves it alone.
    fn record(
        &mut self,
        outcome: FrameOutcome,
        size: Option<[u32; 2]>,
        automated: bool,
        now: Instant,
    ) -> anyhow::Result<()> {
        self.ticks += 1;
        let phase = self.phases.last_mut().expect("phase 0 always exists");
        match outcome {
            FrameOutcome::Presented => {
                phase.presented += 1;
                if phase.request.is_some() && phase.request == size {
                    phase.presented_at_request += 1;
                }
                self.consecutive_failures = 0;
                self.last_progress = now;
            }
            FrameOutcome::Skipped => phase.skipped += 1,
            FrameOutcome::SurfaceFailed(reason) => {
                phase.failed += 1;
                self.consecutive_failures += 1;
                self.last_failure = reason;
                if automated && self.consecutive_failures >= MAX_CONSECUTIVE_SURFACE_FAILURES {
                    return Err(anyhow!(
                        "the window's surface could not be acquired for {} frames in a row \
                         (last: {reason}); under --frames the viewer stops instead of waiting \
                         forever. Make sure the window is visible on a working display, try \
                         another backend (--backend gl or --backend vulkan), and check the GPU \
                         driver (vulkaninfo --summary)",
                        self.consecutive_failures
                    ));
                }
            }
        }
        Ok(())
    }

    /// Under automation: an error when no frame has been presented for `limit`, saying why
    /// (`zero_size`: the window is minimised, so every frame is skipped).
    fn stalled(
        &self,
        now: Instant,
        limit: Duration,
        zero_size: bool,
        done: u32,
        wanted: u32,
    ) -> Option<anyhow::Error> {
        let idle = now.saturating_duration_since(self.last_progress);
        if idle < limit {
            return None;
        }
        let why = if zero_size {
            "the window has zero size (minimised), so every frame is skipped".to_owned()
        } else if self.consecutive_failures > 0 {
            format!(
                "the surface could not be acquired ({} times in a row, last: {})",
                self.consecutive_failures, self.last_failure
            )
        } else {
            "no redraw arrived (is the window hidden?)".to_owned()
        };
        Some(anyhow!(
            "no frame presented for {:.0} s under --frames ({done} of {wanted} done): {why}. \
             Restore or show the window, or render without a window with `fisherflow capture`",
            idle.as_secs_f64()
        ))
    }

    /// The automation report, one line per phase (parsed by tests/cli/window_smoke.rs).
    fn report(&self) -> String {
        self.phases
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let request = p
                    .request
                    .map_or("none".to_owned(), |[w, h]| format!("{w}x{h}"));
                format!(
                    "automation phase {i}: tick {}, request {request}, presented {}, \
                     presented at request {}, skipped {}, failed {}\n",
                    p.tick, p.presented, p.presented_at_request, p.skipped, p.failed
                )
            })
            .collect()
    }
}

/// Opens the window and runs until it is closed (or the automation frames are done).
pub fn run(options: ViewOptions) -> anyhow::Result<()> {
    let event_loop = EventLoop::new().context(
        "cannot open a window: no display found (set DISPLAY, or run headless under `xvfb-run`)",
    )?;
    let mut app = App::new(options);
    event_loop
        .run_app(&mut app)
        .context("the window's event loop failed")?;
    app.outcome
}

struct Graphics {
    window: Arc<Window>,
    surface: wgpu::Surface<'static>,
    config: wgpu::SurfaceConfiguration,
    ctx: GpuContext,
    egui_ctx: egui::Context,
    egui_state: egui_winit::State,
    egui_renderer: egui_wgpu::Renderer,
    /// The one frame renderer, without its overlay: the window's egui UI draws the labels
    /// over the canvas widget itself.
    frames: FrameRenderer,
    canvas: Canvas,
    canvas_texture: egui::TextureId,
    /// The copy compositor's cached chrome, when the surface can be copied into (see
    /// [`Chrome`]); None: egui draws the whole window, the canvas as an image, every frame.
    chrome: Option<Chrome>,
    adapter: String,
}

/// The window's chrome: the egui paint jobs before the canvas image (tab bar, side panel,
/// density strip), drawn into a texture of the surface's format only when they change.
///
/// On a software rasteriser egui's pass was nearly the whole frame (llvmpipe, 1400×900: about
/// 95 of 100 ms for an empty canvas, 38 of them the canvas image): every pixel of the window
/// went through egui's textured, blended, dithered fragment shader every frame. Now a frame
/// copies the chrome into the surface, copies the canvas (rendered in the surface's sRGB twin
/// format) to its place, and draws only the jobs after the canvas image (the canvas' labels
/// and legends, windows, popups) with egui. The picture is the same: the canvas image was
/// drawn unfiltered at its own size, and dithering leaves exact 8-bit colours alone.
#[derive(Default)]
struct Chrome {
    /// The chrome as drawn, at the surface's size.
    target: Option<Canvas>,
    /// The jobs it was drawn from.
    jobs: Vec<egui::ClippedPrimitive>,
}

struct App {
    options: ViewOptions,
    scene: Scene,
    ui_state: UiState,
    /// A screenshot the user asked for (P or the button), taken at the end of the next frame.
    screenshot_pending: bool,
    gfx: Option<Graphics>,
    info: FrameInfo,
    /// The layers' legends after the last frame (drawn by the UI's overlay).
    legends: Vec<crate::render::layer::Legend>,
    /// The layers' canvas labels after the last frame.
    labels: Vec<crate::render::layer::CanvasLabel>,
    frames: u32,
    last_frame: Option<Instant>,
    frame_ms: f64,
    frame_times: Vec<f64>,
    /// When the app was made (the window and device come after): the first frame's latency
    /// is counted from here.
    started: Instant,
    /// Milliseconds from `started` to the first presented frame.
    first_frame_ms: Option<f64>,
    recording: Option<Recording>,
    outcome: anyhow::Result<()>,
    /// Every redraw's outcome: the automation's failure limits and its report.
    ledger: FrameLedger,
    /// Size of the last presented frame, in pixels.
    last_presented: Option<[u32; 2]>,
}

/// A live session being recorded: the scene at each frame, with its time.
struct Recording {
    started: Instant,
    snapshots: Vec<(f64, Scene)>,
}

impl App {
    fn new(options: ViewOptions) -> Self {
        Self {
            scene: options.scene.clone(),
            options,
            ui_state: UiState::default(),
            screenshot_pending: false,
            gfx: None,
            info: FrameInfo::default(),
            legends: Vec::new(),
            labels: Vec::new(),
            frames: 0,
            last_frame: None,
            frame_ms: 0.0,
            frame_times: Vec::new(),
            started: Instant::now(),
            first_frame_ms: None,
            recording: None,
            outcome: Ok(()),
            ledger: FrameLedger::new(Instant::now()),
            last_presented: None,
        }
    }

    fn fail(&mut self, event_loop: &ActiveEventLoop, error: anyhow::Error) {
        self.outcome = Err(error);
        event_loop.exit();
    }

    fn init_graphics(&self, event_loop: &ActiveEventLoop) -> anyhow::Result<Graphics> {
        let [w, h] = self.options.size;
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
        if let Some(backend) = self.options.backend {
            desc.backends = backend.into();
        }
        let backends = desc.backends;
        let instance = wgpu::Instance::new(desc);
        let surface = instance
            .create_surface(window.clone())
            .context("cannot create a surface")?;
        let ctx = GpuContext::for_surface(instance, backends, &surface)?;
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
        // Every pipeline drawn once now, so that turning a feature on later never stalls a
        // frame for llvmpipe's shader compilation (FrameRenderer::warm_up).
        let (warm, failed) = frames.warm_up(&ctx);
        log::info!(
            "pipelines warmed in {:.0} ms ({failed} warm-up scenes failed)",
            warm.as_secs_f64() * 1e3
        );
        // Under automation (`--frames`) frames wait for the CPU-side paths, so a screenshot
        // shows them; interactively they are drawn when ready.
        frames
            .scene_renderer_mut()
            .set_deterministic(self.options.deterministic());
        let canvas = Canvas::new(&ctx.device, [1, 1], canvas_format, "canvas");
        let canvas_texture = egui_renderer.register_native_texture(
            &ctx.device,
            &canvas.gamma_view,
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
        Ok(Graphics {
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
            chrome: copy_composite.then(Chrome::default),
            adapter,
        })
    }

    /// One frame: presented, skipped (nothing to draw into) or failed to get a surface.
    fn redraw(&mut self) -> anyhow::Result<FrameOutcome> {
        let Some(gfx) = self.gfx.as_mut() else {
            return Ok(FrameOutcome::Skipped);
        };
        if gfx.config.width == 0 || gfx.config.height == 0 {
            return Ok(FrameOutcome::Skipped);
        }
        if let Some((at, scene)) = &self.options.switch
            && self.frames == *at
        {
            // As the panel's "load scene" does.
            self.scene = scene.clone();
        }
        if self.options.drag_target {
            // The same edit a dragged handle makes, once per frame, around a circle about the
            // starting target (the scenario of the "dragging a handle" frame goal).
            let origin = self.options.scene.target();
            let angle = self.frames as f64 * 0.05;
            self.scene.apply(crate::scene::SceneEdit::SetTarget([
                origin[0] + 0.3 * angle.cos(),
                origin[1] + 0.3 * angle.sin(),
            ]));
        }
        let raw_input = gfx.egui_state.take_egui_input(&gfx.window);
        let frame_context =
            FrameContext {
                canvas_texture: Some(gfx.canvas_texture),
                info: self.info,
                legends: &self.legends,
                labels: &self.labels,
                jobs: gfx.frames.scene_renderer().simulation().jobs(),
                adapter: &gfx.adapter,
                frame_ms: self.frame_ms,
                default_particles: gfx.frames.scene_renderer().simulation().particle_count(
                    &Scene {
                        flow: Default::default(),
                        ..Scene::default()
                    },
                ),
            };
        let scene = &mut self.scene;
        let ui_state = &mut self.ui_state;
        let mut commands = Vec::new();
        let mut full_output = gfx.egui_ctx.run_ui(raw_input, |ui| {
            commands = ui::show(ui, scene, ui_state, &frame_context);
        });
        gfx.egui_state.handle_platform_output(
            &gfx.window,
            std::mem::take(&mut full_output.platform_output),
        );
        let ppp = full_output.pixels_per_point;
        self.handle_commands(commands);
        let Some(gfx) = self.gfx.as_mut() else {
            return Ok(FrameOutcome::Skipped);
        };

        // The canvas texture follows the canvas rectangle egui laid out this frame.
        let canvas_rect = self
            .ui_state
            .canvas_rect
            .unwrap_or(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(gfx.config.width as f32, gfx.config.height as f32) / ppp,
            ));
        let canvas_px = [
            ((canvas_rect.width() * ppp).round() as u32).max(1),
            ((canvas_rect.height() * ppp).round() as u32).max(1),
        ];
        if gfx.canvas.size != canvas_px {
            gfx.canvas = Canvas::new(
                &gfx.ctx.device,
                canvas_px,
                gfx.frames.scene_renderer().format(),
                "canvas",
            );
            gfx.egui_renderer.update_egui_texture_from_wgpu_texture(
                &gfx.ctx.device,
                &gfx.canvas.gamma_view,
                wgpu::FilterMode::Nearest,
                gfx.canvas_texture,
            );
        }
        let mut encoder = gfx
            .ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("frame"),
            });
        let (info, overlay_buffers) = gfx.frames.encode(
            &gfx.ctx,
            &mut encoder,
            &gfx.canvas.view,
            gfx.canvas.size,
            ppp,
            &self.scene,
        )?;
        debug_assert!(
            overlay_buffers.is_empty(),
            "the window's frames have no overlay"
        );
        self.info = info;
        self.legends = gfx.frames.scene_renderer().legends(&self.scene, &self.info);
        self.labels = gfx.frames.scene_renderer().labels(&self.scene);

        let failure = match gfx.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(t)
            | wgpu::CurrentSurfaceTexture::Suboptimal(t) => Ok(t),
            wgpu::CurrentSurfaceTexture::Outdated => Err("outdated"),
            wgpu::CurrentSurfaceTexture::Lost => Err("lost"),
            wgpu::CurrentSurfaceTexture::Timeout => Err("timeout"),
            wgpu::CurrentSurfaceTexture::Occluded => Err("occluded"),
            wgpu::CurrentSurfaceTexture::Validation => Err("validation error"),
        };
        let frame = match failure {
            Ok(frame) => frame,
            Err(reason) => {
                if matches!(reason, "outdated" | "lost") {
                    // The window may have changed size before its Resized event arrived:
                    // configure for the size it has now (never 0, which wgpu rejects).
                    let size = gfx.window.inner_size();
                    if size.width > 0 && size.height > 0 {
                        gfx.config.width = size.width;
                        gfx.config.height = size.height;
                        gfx.surface.configure(&gfx.ctx.device, &gfx.config);
                    }
                }
                full_output.drop_without_applying_deltas();
                gfx.ctx.queue.submit([encoder.finish()]);
                return Ok(FrameOutcome::SurfaceFailed(reason));
            }
        };
        let surface_view = frame
            .texture
            .create_view(&wgpu::TextureViewDescriptor::default());
        let screen = egui_wgpu::ScreenDescriptor {
            size_in_pixels: [gfx.config.width, gfx.config.height],
            pixels_per_point: ppp,
        };
        let paint_jobs = gfx
            .egui_ctx
            .tessellate(std::mem::take(&mut full_output.shapes), ppp);
        // A texture replaced whole (or a new one) may change what the chrome shows; a partial
        // update does not: egui's font atlas only adds glyphs in unused space (a drag adds a
        // few each frame as the numbers change), so the drawn glyphs stay as they are.
        let textures_changed = full_output
            .textures_delta
            .set
            .iter()
            .any(|(_, deltas)| deltas.iter().any(|d| d.pos.is_none()));
        for (id, deltas) in full_output.textures_delta.set.drain() {
            for delta in deltas {
                gfx.egui_renderer
                    .update_texture(&gfx.ctx.device, &gfx.ctx.queue, id, &delta);
            }
        }
        let last_automated = self.options.frames.is_some_and(|n| self.frames + 1 >= n);
        let wants_screenshot =
            self.screenshot_pending || (last_automated && self.options.screenshot.is_some());
        let window_px = [gfx.config.width, gfx.config.height];
        let screenshot_target = wants_screenshot
            .then(|| Canvas::new(&gfx.ctx.device, window_px, gfx.config.format, "screenshot"));
        let mut command_buffers = if let Some(chrome) = &mut gfx.chrome {
            // The copy compositor: the chrome (redrawn when it changed), the canvas, then egui's
            // jobs after the canvas image.
            let canvas_job = paint_jobs.iter().position(|job| {
                matches!(&job.primitive, egui::epaint::Primitive::Mesh(m)
                    if m.texture_id == gfx.canvas_texture)
            });
            let (before, after) = match canvas_job {
                Some(k) => (&paint_jobs[..k], &paint_jobs[k + 1..]),
                None => (&paint_jobs[..], &paint_jobs[..0]),
            };
            chrome.update(
                &gfx.ctx,
                &mut gfx.egui_renderer,
                before,
                textures_changed,
                &screen,
                gfx.config.format,
            );
            let chrome_target = chrome.target.as_ref().expect("drawn just above");
            let canvas = canvas_job.map(|_| {
                let origin = [
                    (canvas_rect.min.x * ppp).round().max(0.0) as u32,
                    (canvas_rect.min.y * ppp).round().max(0.0) as u32,
                ];
                (&gfx.canvas, origin)
            });
            let buffers = gfx.egui_renderer.update_buffers(
                &gfx.ctx.device,
                &gfx.ctx.queue,
                &mut encoder,
                after,
                &screen,
            );
            let mut compose = |texture: &wgpu::Texture, view: &wgpu::TextureView| {
                copy_into(&mut encoder, chrome_target, [0, 0], texture, window_px);
                if let Some((canvas, origin)) = canvas {
                    copy_into(&mut encoder, canvas, origin, texture, window_px);
                }
                encode_egui(
                    &gfx.egui_renderer,
                    &mut encoder,
                    view,
                    after,
                    &screen,
                    wgpu::LoadOp::Load,
                );
            };
            compose(&frame.texture, &surface_view);
            if let Some(target) = &screenshot_target {
                compose(&target.texture, &target.view);
            }
            buffers
        } else {
            let buffers = gfx.egui_renderer.update_buffers(
                &gfx.ctx.device,
                &gfx.ctx.queue,
                &mut encoder,
                &paint_jobs,
                &screen,
            );
            for view in
                std::iter::once(&surface_view).chain(screenshot_target.iter().map(|t| &t.view))
            {
                encode_egui(
                    &gfx.egui_renderer,
                    &mut encoder,
                    view,
                    &paint_jobs,
                    &screen,
                    wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                );
            }
            buffers
        };
        command_buffers.push(encoder.finish());
        gfx.ctx.queue.submit(command_buffers);
        gfx.window.pre_present_notify();
        gfx.ctx.queue.present(frame);
        for id in full_output.textures_delta.free.drain() {
            gfx.egui_renderer.free_texture(&id);
        }

        let presented_size = [gfx.config.width, gfx.config.height];
        if let Some(target) = screenshot_target {
            let image = target.read(&gfx.ctx)?;
            self.save_screenshot(image, last_automated)?;
        }
        let now = Instant::now();
        self.first_frame_ms
            .get_or_insert_with(|| now.duration_since(self.started).as_secs_f64() * 1e3);
        if let Some(previous) = self.last_frame.replace(now) {
            let ms = now.duration_since(previous).as_secs_f64() * 1e3;
            self.frame_ms = if self.frame_ms == 0.0 {
                ms
            } else {
                0.9 * self.frame_ms + 0.1 * ms
            };
            self.frame_times.push(ms);
        }
        self.frames += 1;
        self.last_presented = Some(presented_size);
        Ok(FrameOutcome::Presented)
    }

    /// The UI's commands for the app this frame (its scene edits are already applied): the
    /// screenshot, scene save/load and recording; and the recording's snapshot of this frame.
    fn handle_commands(&mut self, commands: Vec<ui::Command>) {
        let Some(gfx) = &self.gfx else { return };
        let ctx = gfx.egui_ctx.clone();
        let path = PathBuf::from(&self.ui_state.scene_path);
        let wants = |c: ui::Command| commands.contains(&c);
        if wants(ui::Command::Screenshot) {
            self.screenshot_pending = true;
        }
        if wants(ui::Command::RestartLab)
            && let Some(gfx) = &mut self.gfx
        {
            gfx.frames
                .scene_renderer_mut()
                .simulation_mut()
                .jobs_mut()
                .restart_lab();
        }
        if wants(ui::Command::SaveScene) {
            let result = toml::to_string(&self.scene)
                .map_err(anyhow::Error::from)
                .and_then(|text| write_atomically(&path, text.as_bytes()));
            let message = match result {
                Ok(()) => format!("scene saved to {}", path.display()),
                Err(e) => format!("could not save the scene: {e:#}"),
            };
            self.ui_state.toast(&ctx, message);
        }
        if wants(ui::Command::LoadScene) {
            match Scene::load(&path) {
                Ok(scene) => {
                    self.scene = scene;
                    self.ui_state
                        .toast(&ctx, format!("scene loaded from {}", path.display()));
                }
                Err(e) => self
                    .ui_state
                    .toast(&ctx, format!("could not load the scene: {e:#}")),
            }
        }
        if let Some(recording) = &mut self.recording {
            recording.snapshots.push((
                recording.started.elapsed().as_secs_f64(),
                self.scene.clone(),
            ));
        }
        if wants(ui::Command::ToggleRecording) {
            match self.recording.take() {
                None => {
                    self.recording = Some(Recording {
                        started: Instant::now(),
                        snapshots: vec![(0.0, self.scene.clone())],
                    });
                    self.ui_state
                        .toast(&ctx, "recording… press V again to stop");
                }
                Some(recording) => {
                    let message = match self.finish_recording(recording) {
                        Ok(message) => message,
                        Err(e) => format!("recording failed: {e:#}"),
                    };
                    self.ui_state.toast(&ctx, message);
                }
            }
        }
        self.ui_state.recording = self.recording.is_some();
    }

    /// Saves a recording as a scenario and renders it to a GIF with the capture pipeline.
    fn finish_recording(&mut self, recording: Recording) -> anyhow::Result<String> {
        let gfx = self.gfx.as_ref().ok_or_else(|| anyhow!("no GPU"))?;
        let size = gfx.canvas.size;
        // Even sizes, at most 1280 wide, same aspect as the canvas.
        let scale = (1280.0 / size[0] as f64).min(1.0);
        let even = |v: f64| ((v / 2.0).round() as u32 * 2).max(16);
        let scenario = recording_scenario(
            &recording.snapshots,
            [even(size[0] as f64 * scale), even(size[1] as f64 * scale)],
        );
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let toml_path = PathBuf::from(format!("fisherflow-rec-{stamp}.toml"));
        let gif_path = toml_path.with_extension("gif");
        write_atomically(&toml_path, toml::to_string(&scenario)?.as_bytes())?;
        let summary = crate::capture::capture(
            &gfx.ctx,
            &scenario,
            &gif_path,
            crate::capture::Format::Gif,
            false,
            |_, _| {},
        )?;
        Ok(format!(
            "recorded {} frames: {} (replay with fisherflow capture --scenario {} --out …)",
            summary.frames,
            gif_path.display(),
            toml_path.display()
        ))
    }

    fn save_screenshot(&mut self, image: Image, automated: bool) -> anyhow::Result<()> {
        let path = match (&self.options.screenshot, automated) {
            (Some(path), true) => path.clone(),
            _ => {
                let stamp = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis())
                    .unwrap_or_default();
                PathBuf::from(format!("fisherflow-{stamp}.png"))
            }
        };
        let png = image
            .to_png()
            .context("cannot encode the screenshot as PNG")?;
        if self.screenshot_pending {
            self.screenshot_pending = false;
            let shown = std::fs::canonicalize(
                path.parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(".".as_ref()),
            )
            .map(|dir| dir.join(path.file_name().unwrap_or_default()))
            .unwrap_or_else(|_| path.clone());
            match write_atomically(&path, &png) {
                Ok(()) => {
                    if let Some(gfx) = &self.gfx {
                        self.ui_state.toast(
                            &gfx.egui_ctx,
                            format!("screenshot saved to {}", shown.display()),
                        );
                    }
                }
                Err(e) => {
                    if let Some(gfx) = &self.gfx {
                        self.ui_state
                            .toast(&gfx.egui_ctx, format!("screenshot failed: {e:#}"));
                    }
                }
            }
            if !automated {
                return Ok(());
            }
        }
        if automated && let Some(path) = &self.options.screenshot {
            write_atomically(path, &png)?;
        }
        Ok(())
    }

    /// Automation: the resize steps due at this redraw. A size the window already has gets no
    /// event from X11, and a zero size cannot be asked of it: both go straight to our own
    /// event handler as the `Resized` the platform would send, as does a size the platform
    /// applied synchronously.
    fn apply_resize_steps(&mut self, event_loop: &ActiveEventLoop, id: WindowId) {
        while let Some(step) = self
            .options
            .resize_steps
            .get(self.ledger.phases.len() - 1)
            .copied()
            && step.tick <= self.ledger.ticks
        {
            self.ledger.begin_phase(step.size);
            let Some(gfx) = &self.gfx else { return };
            let window = gfx.window.clone();
            let size = PhysicalSize::new(step.size[0], step.size[1]);
            let applied = if step.size == [0, 0] || window.inner_size() == size {
                Some(size)
            } else {
                window.request_inner_size(size)
            };
            eprintln!(
                "automation: tick {} resize to {}x{}{}",
                step.tick,
                size.width,
                size.height,
                if step.size == [0, 0] {
                    " (simulated minimise)"
                } else {
                    ""
                }
            );
            if let Some(size) = applied {
                self.window_event(event_loop, id, WindowEvent::Resized(size));
            }
        }
    }

    /// Automation's exit report on stderr: the window's real size and scale factor (a tiling
    /// or HiDPI desktop may not give what was asked for), the size of the last frame (what a
    /// screenshot holds) and, when resizing, each phase's frame counts.
    fn report_window(&self) {
        let Some(gfx) = &self.gfx else { return };
        let inner = gfx.window.inner_size();
        let [w, h] = self.last_presented.unwrap_or([0, 0]);
        eprintln!(
            "window: inner size {}x{} px, scale factor {}, last frame {w}x{h} px",
            inner.width,
            inner.height,
            gfx.window.scale_factor()
        );
        if !self.options.resize_steps.is_empty() {
            eprint!("{}", self.ledger.report());
        }
    }

    /// `--switch-scene`'s report: the first frame after the switch and the median of the next
    /// ten (frame intervals: interval k ends with frame k + 1).
    fn report_switch(&self) {
        let Some((at, _)) = &self.options.switch else {
            return;
        };
        let at = *at as usize;
        // frame_times[i] is the interval that ended with frame i + 1.
        let Some(first) = self.frame_times.get(at.saturating_sub(1)) else {
            return;
        };
        let mut next: Vec<f64> = self.frame_times.iter().skip(at).take(10).copied().collect();
        next.sort_by(f64::total_cmp);
        let median = next.get(next.len() / 2).copied().unwrap_or(f64::NAN);
        eprintln!(
            "switched scene before frame {at}: that frame {first:.1} ms, the next ten median {median:.1} ms"
        );
    }

    /// Median and 95th percentile of the frame intervals so far (automation report).
    fn frame_stats(&self) -> Option<(f64, f64)> {
        let mut t = self.frame_times.clone();
        if t.is_empty() {
            return None;
        }
        t.sort_by(f64::total_cmp);
        Some((
            t[t.len() / 2],
            t[((t.len() as f64 * 0.95) as usize).min(t.len() - 1)],
        ))
    }
}

impl Chrome {
    /// Redraws the chrome from `jobs` where they differ from the last drawn ones (all of it
    /// when egui's textures changed or the window was resized), in its own submission: egui's
    /// renderer holds one set of vertex buffers, which the jobs after the canvas reuse this
    /// frame.
    fn update(
        &mut self,
        ctx: &GpuContext,
        renderer: &mut egui_wgpu::Renderer,
        jobs: &[egui::ClippedPrimitive],
        textures_changed: bool,
        screen: &egui_wgpu::ScreenDescriptor,
        format: wgpu::TextureFormat,
    ) {
        let size = screen.size_in_pixels;
        let resized = self.target.as_ref().is_none_or(|t| t.size != size);
        // Where the chrome must be redrawn: everywhere, or only where the jobs changed (as
        // while a handle is dragged: the numbers and the density strip; see `damage`).
        let screen_rect = egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(size[0] as f32, size[1] as f32) / screen.pixels_per_point,
        );
        let area = if resized || textures_changed {
            Damage::Everything
        } else {
            damage(&self.jobs, jobs, 2.0, screen.pixels_per_point, screen_rect)
        };
        let (target, redraw, load) = match (area, self.target.take()) {
            (Damage::None, Some(target)) => {
                self.target = Some(target);
                return;
            }
            (Damage::Within(rects), Some(target)) => {
                (target, redraw_jobs(jobs, &rects), wgpu::LoadOp::Load)
            }
            (_, target) => {
                let target = match target {
                    Some(target) if !resized => target,
                    _ => Canvas::new(&ctx.device, size, format, "window chrome"),
                };
                let clear = wgpu::LoadOp::Clear(wgpu::Color::BLACK);
                (target, jobs.to_vec(), clear)
            }
        };
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("window chrome"),
            });
        let mut buffers =
            renderer.update_buffers(&ctx.device, &ctx.queue, &mut encoder, &redraw, screen);
        encode_egui(renderer, &mut encoder, &target.view, &redraw, screen, load);
        buffers.push(encoder.finish());
        ctx.queue.submit(buffers);
        self.target = Some(target);
        self.jobs = jobs.to_vec();
    }
}

/// Copies all of `source` into `dest` (of `dest_size` pixels) at `origin`, clipped to `dest`.
fn copy_into(
    encoder: &mut wgpu::CommandEncoder,
    source: &Canvas,
    origin: [u32; 2],
    dest: &wgpu::Texture,
    dest_size: [u32; 2],
) {
    let width = source.size[0].min(dest_size[0].saturating_sub(origin[0]));
    let height = source.size[1].min(dest_size[1].saturating_sub(origin[1]));
    if width == 0 || height == 0 {
        return;
    }
    encoder.copy_texture_to_texture(
        source.texture.as_image_copy(),
        wgpu::TexelCopyTextureInfo {
            texture: dest,
            mip_level: 0,
            origin: wgpu::Origin3d {
                x: origin[0],
                y: origin[1],
                z: 0,
            },
            aspect: wgpu::TextureAspect::All,
        },
        wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
    );
}

fn encode_egui(
    renderer: &egui_wgpu::Renderer,
    encoder: &mut wgpu::CommandEncoder,
    view: &wgpu::TextureView,
    paint_jobs: &[egui::ClippedPrimitive],
    screen: &egui_wgpu::ScreenDescriptor,
    load: wgpu::LoadOp<wgpu::Color>,
) {
    let pass = crate::render::pipeline::color_pass(encoder, "egui", view, load);
    renderer.render(&mut pass.forget_lifetime(), paint_jobs, screen);
}

impl ApplicationHandler for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.gfx.is_some() {
            return;
        }
        match self.init_graphics(event_loop) {
            Ok(gfx) => {
                gfx.window.request_redraw();
                self.gfx = Some(gfx);
                // The stall clock starts once there is a window to present to.
                self.ledger.last_progress = Instant::now();
            }
            Err(e) => self.fail(event_loop, e),
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, id: WindowId, event: WindowEvent) {
        let Some(gfx) = self.gfx.as_mut() else { return };
        let response = gfx.egui_state.on_window_event(&gfx.window, &event);
        match event {
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::Resized(size) => {
                gfx.config.width = size.width;
                gfx.config.height = size.height;
                if size.width > 0 && size.height > 0 {
                    gfx.surface.configure(&gfx.ctx.device, &gfx.config);
                    gfx.window.request_redraw();
                }
            }
            WindowEvent::RedrawRequested => {
                self.apply_resize_steps(event_loop, id);
                let outcome = match self.redraw() {
                    Ok(outcome) => outcome,
                    Err(e) => return self.fail(event_loop, e),
                };
                let size = self.last_presented;
                let automated = self.options.frames.is_some();
                if let Err(e) = self.ledger.record(outcome, size, automated, Instant::now()) {
                    return self.fail(event_loop, e);
                }
                if let Some(n) = self.options.frames
                    && self.frames >= n
                {
                    if let Some((median, p95)) = self.frame_stats() {
                        // Under automation the first frame also waits for the CPU-side paths
                        // and race (drawn when ready interactively).
                        eprintln!(
                            "rendered {} frames: median {median:.1} ms/frame, p95 {p95:.1} ms ({} cells); first frame {:.0} ms after start",
                            self.frames,
                            self.info.cells,
                            self.first_frame_ms.unwrap_or(f64::NAN)
                        );
                    }
                    self.report_switch();
                    self.report_window();
                    event_loop.exit();
                }
                return;
            }
            _ => {}
        }
        if response.repaint {
            gfx.window.request_redraw();
        }
    }

    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        let Some(gfx) = &self.gfx else { return };
        // Automation renders back to back; otherwise egui says when it needs the next frame.
        let continuous = self.options.frames.is_some()
            || self.ui_state.toast.is_some()
            || self.scene.flow.enabled;
        let repaint = continuous || gfx.egui_ctx.has_requested_repaint();
        if repaint {
            gfx.window.request_redraw();
        }
        let Some(wanted) = self.options.frames else {
            event_loop.set_control_flow(ControlFlow::Wait);
            return;
        };
        // Automation wakes at least once a second even when no event comes, so a run that
        // stopped making progress is noticed and ended instead of waiting forever.
        let now = Instant::now();
        let zero_size = gfx.config.width == 0 || gfx.config.height == 0;
        if let Some(e) = self.ledger.stalled(
            now,
            self.options.stall_limit,
            zero_size,
            self.frames,
            wanted,
        ) {
            return self.fail(event_loop, e);
        }
        event_loop.set_control_flow(ControlFlow::WaitUntil(now + Duration::from_secs(1)));
    }
}

/// A scenario replaying recorded scene snapshots: the first as the initial scene, one keyframe
/// per snapshot, 30 frames per second.
pub fn recording_scenario(snapshots: &[(f64, Scene)], size: [u32; 2]) -> crate::capture::Scenario {
    use crate::capture::scenario::Keyframe;
    let duration = snapshots.last().map_or(0.0, |(t, _)| *t).max(1.0 / 30.0);
    let keyframes = snapshots
        .iter()
        .map(|(time, s)| Keyframe {
            time: time.min(duration),
            sigma: None,
            target: None,
            model: Some(crate::capture::scenario::ModelKey {
                pi: Some(s.model.pi),
                mu1: Some(s.model.mu1),
                mu2: Some(s.model.mu2),
                sigma1: Some(s.model.sigma1),
                sigma2: Some(s.model.sigma2),
            }),
            probe: s.probe,
            grid: Some(s.grid),
            ellipse_scale: Some(s.ellipse_scale),
            damping: Some(s.damping),
            camera: Some(s.camera),
            flow: Some(s.flow.enabled),
            flow_mode: Some(s.flow.mode),
            particles: s.flow.particles,
            heatmap: Some(s.heatmap),
            ball: Some(s.geodesics.ball),
            ball_radius: Some(s.geodesics.radius),
            shortest_path: Some(s.geodesics.shortest_path),
        })
        .collect();
    crate::capture::Scenario {
        duration,
        fps: 30,
        width: size[0],
        height: size[1],
        overlay: true,
        scene: snapshots
            .first()
            .map(|(_, s)| s.clone())
            .unwrap_or_default(),
        keyframes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAILED: FrameOutcome = FrameOutcome::SurfaceFailed("timeout");

    #[test]
    fn consecutive_surface_failures_end_automation_and_a_presented_frame_resets_them() {
        let t0 = Instant::now();
        let mut ledger = FrameLedger::new(t0);
        for _ in 1..MAX_CONSECUTIVE_SURFACE_FAILURES {
            ledger.record(FAILED, None, true, t0).unwrap();
        }
        // One short of the limit, a presented frame starts the count again.
        ledger
            .record(FrameOutcome::Presented, Some([8, 8]), true, t0)
            .unwrap();
        for _ in 1..MAX_CONSECUTIVE_SURFACE_FAILURES {
            ledger.record(FAILED, None, true, t0).unwrap();
        }
        // A skipped (zero-size) frame is neither a failure nor a success.
        ledger
            .record(FrameOutcome::Skipped, None, true, t0)
            .unwrap();
        let error = ledger
            .record(FrameOutcome::SurfaceFailed("occluded"), None, true, t0)
            .expect_err("the 120th failure in a row ends the run")
            .to_string();
        assert!(
            error.contains("120 frames in a row")
                && error.contains("occluded")
                && error.contains("--backend"),
            "{error}"
        );
        assert_eq!(
            ledger.phases[0].failed,
            2 * MAX_CONSECUTIVE_SURFACE_FAILURES - 1
        );
        assert_eq!(
            (ledger.phases[0].presented, ledger.phases[0].skipped),
            (1, 1)
        );
    }

    #[test]
    fn the_interactive_viewer_keeps_trying() {
        let t0 = Instant::now();
        let mut ledger = FrameLedger::new(t0);
        for _ in 0..10 * MAX_CONSECUTIVE_SURFACE_FAILURES {
            ledger.record(FAILED, None, false, t0).unwrap();
        }
        // Still counting (the interactive viewer keeps trying, it does not stop recording).
        assert_eq!(
            ledger.phases[0].failed,
            10 * MAX_CONSECUTIVE_SURFACE_FAILURES
        );
    }

    #[test]
    fn automation_without_a_presented_frame_stalls_after_the_limit() {
        let t0 = Instant::now();
        let limit = Duration::from_secs(60);
        let mut ledger = FrameLedger::new(t0);
        assert!(
            ledger
                .stalled(t0 + Duration::from_secs(59), limit, true, 0, 5)
                .is_none()
        );
        let error = ledger
            .stalled(t0 + Duration::from_secs(61), limit, true, 0, 5)
            .expect("61 s without a frame")
            .to_string();
        assert!(
            error.contains("zero size") && error.contains("0 of 5"),
            "{error}"
        );
        ledger
            .record(
                FrameOutcome::Presented,
                Some([8, 8]),
                true,
                t0 + Duration::from_secs(61),
            )
            .unwrap();
        assert!(
            ledger
                .stalled(t0 + Duration::from_secs(62), limit, false, 1, 5)
                .is_none()
        );
    }

    #[test]
    fn phases_count_frames_at_the_requested_size() {
        let t0 = Instant::now();
        let mut ledger = FrameLedger::new(t0);
        ledger
            .record(FrameOutcome::Presented, Some([100, 80]), true, t0)
            .unwrap();
        ledger.begin_phase([1, 1]);
        // The first frame after a request may still have the old size.
        for size in [[100, 80], [1, 1], [1, 1]] {
            ledger
                .record(FrameOutcome::Presented, Some(size), true, t0)
                .unwrap();
        }
        ledger.begin_phase([0, 0]);
        ledger
            .record(FrameOutcome::Skipped, None, true, t0)
            .unwrap();
        assert_eq!(
            ledger.report(),
            "automation phase 0: tick 0, request none, presented 1, presented at request 0, skipped 0, failed 0\n\
             automation phase 1: tick 1, request 1x1, presented 3, presented at request 2, skipped 0, failed 0\n\
             automation phase 2: tick 4, request 0x0, presented 0, presented at request 0, skipped 1, failed 0\n"
        );
    }
}
