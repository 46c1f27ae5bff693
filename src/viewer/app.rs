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
//! exercise resizing and minimising on a real window (see `automation.rs`).
//!
//! The frame's parts live beside this file: the window's GPU set-up in `graphics.rs`, the
//! egui compositor in `compositor.rs`, what the app does for the panels' commands (screenshots,
//! scene files, recordings) in `app_commands.rs`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use winit::application::ApplicationHandler;
use winit::event::WindowEvent;
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop};
use winit::window::WindowId;

use super::app_commands::Recording;
use super::automation::{self, FrameLedger, FrameOutcome};
use super::compositor;
use super::graphics::Graphics;
use super::ui::{self, Command, FrameContext, UiState};
use super::ui_state::Drag;
use crate::gpu::context::BackendChoice;
use crate::render::FrameInfo;
use crate::render::canvas::Canvas;
use crate::scene::Scene;

pub use super::app_commands::recording_scenario;
pub use super::automation::{AUTOMATION_STALL_LIMIT, MAX_CONSECUTIVE_SURFACE_FAILURES, ResizeStep};

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

/// Opens the window and runs until it is closed (or the automation frames are done).
pub fn run(options: ViewOptions) -> anyhow::Result<()> {
    let event_loop = EventLoop::new().context(
        "cannot open a window: no display found (set DISPLAY, or run headless under `xvfb-run`)",
    )?;
    // The frame loop first: the off-loop jobs take the cores it leaves (jobs module docs).
    crate::jobs::yield_cores_to_the_frame_loop();
    let mut app = App::new(options);
    event_loop
        .run_app(&mut app)
        .context("the window's event loop failed")?;
    app.outcome
}

pub(super) struct App {
    pub(super) options: ViewOptions,
    pub(super) scene: Scene,
    pub(super) ui_state: UiState,
    /// A screenshot the user asked for (P or the button), taken at the end of the next frame.
    pub(super) screenshot_pending: bool,
    pub(super) gfx: Option<Graphics>,
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
    pub(super) recording: Option<Recording>,
    outcome: anyhow::Result<()>,
    /// Every redraw's outcome: the automation's failure limits and its report.
    ledger: FrameLedger,
    /// Size of the last presented frame, in pixels.
    last_presented: Option<[u32; 2]>,
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

    /// One frame: presented, skipped (nothing to draw into) or failed to get a surface.
    fn redraw(&mut self) -> anyhow::Result<FrameOutcome> {
        if !self.gfx.as_ref().is_some_and(Graphics::has_area) {
            return Ok(FrameOutcome::Skipped);
        }
        self.automated_edits();
        let Some((commands, full_output)) = self.run_ui() else {
            return Ok(FrameOutcome::Skipped);
        };
        let ppp = full_output.pixels_per_point;
        self.handle_commands(commands);
        let Some(gfx) = self.gfx.as_mut() else {
            return Ok(FrameOutcome::Skipped);
        };
        let canvas_rect = gfx.fit_canvas(self.ui_state.canvas_rect, ppp);
        // A handle that moves the target (the canvas' or the density strip's), or the
        // automation's drag.
        let dragging = self.options.drag_target
            || matches!(
                self.ui_state.drag,
                Some(Drag::Target | Drag::Twin | Drag::DensityMarker(_))
            );
        gfx.frames.scene_renderer_mut().set_dragging(dragging);
        let mut encoder = gfx
            .ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("frame"),
            });
        (self.info, self.legends, self.labels) = gfx.draw_scene(&mut encoder, ppp, &self.scene)?;
        let frame = match gfx.acquire_surface() {
            Ok(frame) => frame,
            Err(reason) => {
                full_output.drop_without_applying_deltas();
                gfx.ctx.queue.submit([encoder.finish()]);
                return Ok(FrameOutcome::SurfaceFailed(reason));
            }
        };
        let last_automated = self.options.frames.is_some_and(|n| self.frames + 1 >= n);
        let wants_screenshot =
            self.screenshot_pending || (last_automated && self.options.screenshot.is_some());
        let window_px = gfx.window_px();
        let screenshot_target = wants_screenshot
            .then(|| Canvas::new(&gfx.ctx.device, window_px, gfx.config.format, "screenshot"));
        compositor::present(
            gfx,
            encoder,
            frame,
            full_output,
            canvas_rect,
            screenshot_target.as_ref(),
        );
        if let Some(target) = screenshot_target {
            let image = target.read(&gfx.ctx)?;
            self.save_screenshot(image, last_automated)?;
        }
        self.count_presented(window_px);
        Ok(FrameOutcome::Presented)
    }

    /// Automation's scene changes before this frame: `--switch-scene` replaces the scene at its
    /// frame, `--drag-target` moves the target as a dragged handle does.
    fn automated_edits(&mut self) {
        if let Some((at, scene)) = &self.options.switch
            && self.frames == *at
        {
            // As the panel's "load scene" does.
            self.scene = scene.clone();
        }
        if let (true, Some(system)) = (self.options.drag_target, self.options.scene.system) {
            // The policy plane's target is computed: its "drag" is a slider edit, the
            // exploration σ and ω² swept ±20% about their start, once per frame, through the
            // edit the sliders make (the "slider edit redraws" frame goal).
            let swing = 1.0 + 0.2 * (self.frames as f64 * 0.05).sin();
            let edited = crate::math::policy::System {
                exploration: system.exploration * swing,
                omega2: system.omega2.map(|w| w * swing),
                ..system
            };
            self.scene
                .apply(crate::scene::SceneEdit::SetSystem(Some(edited)));
        } else if self.options.drag_target {
            // The same edit a dragged handle makes, once per frame, around a circle about the
            // starting target (the scenario of the "dragging a handle" frame goal).
            let origin = self.options.scene.target();
            let angle = self.frames as f64 * 0.05;
            self.scene.apply(crate::scene::SceneEdit::SetTarget([
                origin[0] + 0.3 * angle.cos(),
                origin[1] + 0.3 * angle.sin(),
            ]));
        }
    }

    /// The egui pass on this frame's window input: the panels lay out the window and apply
    /// their scene edits. Returns the commands left for the app and egui's output to paint;
    /// None without graphics.
    fn run_ui(&mut self) -> Option<(Vec<Command>, egui::FullOutput)> {
        let gfx = self.gfx.as_mut()?;
        let raw_input = gfx.egui_state.take_egui_input(&gfx.window);
        let frame_context = FrameContext {
            canvas_texture: Some(gfx.canvas_texture),
            info: self.info,
            legends: &self.legends,
            labels: &self.labels,
            jobs: gfx.frames.scene_renderer().simulation().jobs(),
            adapter: &gfx.adapter,
            frame_ms: self.frame_ms,
            default_particles: gfx
                .frames
                .scene_renderer()
                .simulation()
                .particle_count(&Scene::default()),
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
        Some((commands, full_output))
    }

    /// Counts a presented frame of `size` pixels: its interval (smoothed for the panel, kept
    /// for the automation's report) and, the first time, the latency from start.
    fn count_presented(&mut self, size: [u32; 2]) {
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
        self.last_presented = Some(size);
    }

    /// Automation: the resize steps due at this redraw, each asked of the window; a size no
    /// platform event will report goes straight to our own event handler
    /// ([`automation::request_resize`]).
    fn apply_resize_steps(&mut self, event_loop: &ActiveEventLoop, id: WindowId) {
        while let Some(step) = self.ledger.next_due_step(&self.options.resize_steps) {
            let Some(gfx) = &self.gfx else { return };
            if let Some(size) = automation::request_resize(&gfx.window, step) {
                self.window_event(event_loop, id, WindowEvent::Resized(size));
            }
        }
    }

    /// Automation's exit report on stderr: frame times, `--switch-scene`'s frames, the
    /// window's real size and, when resizing, each phase's frame counts.
    fn report_automation(&self) {
        if let Some((median, p95)) = automation::frame_stats(&self.frame_times) {
            // Under automation (unless `--live`) the first frame also computes the CPU jobs
            // (drawn when ready interactively).
            eprintln!(
                "rendered {} frames: median {median:.1} ms/frame, p95 {p95:.1} ms ({} cells); first frame {:.0} ms after start",
                self.frames,
                self.info.cells,
                self.first_frame_ms.unwrap_or(f64::NAN)
            );
        }
        if let Some((at, _)) = &self.options.switch
            && let Some(line) = automation::switch_report(*at, &self.frame_times)
        {
            eprintln!("{line}");
        }
        let Some(gfx) = &self.gfx else { return };
        eprintln!(
            "{}",
            automation::window_report(&gfx.window, self.last_presented)
        );
        if !self.options.resize_steps.is_empty() {
            eprint!("{}", self.ledger.report());
        }
    }
}

impl ApplicationHandler for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.gfx.is_some() {
            return;
        }
        match Graphics::new(event_loop, &self.options) {
            Ok(gfx) => {
                gfx.window.request_redraw();
                self.gfx = Some(gfx);
                // The stall clock starts once there is a window to present to.
                self.ledger.restart_stall_clock(Instant::now());
            }
            Err(e) => self.fail(event_loop, e),
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, id: WindowId, event: WindowEvent) {
        let Some(gfx) = self.gfx.as_mut() else { return };
        let response = gfx.egui_state.on_window_event(&gfx.window, &event);
        match event {
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::Resized(size) => gfx.resize(size),
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
                    self.report_automation();
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
            || self.scene.features.flow.enabled
            || gfx
                .frames
                .scene_renderer()
                .simulation()
                .in_progress(&self.scene);
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
        let zero_size = !gfx.has_area();
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
