//! The scene renderer: draws a [`Scene`] into any colour target (a texture for the viewer's
//! canvas, the offscreen target of captures and tests) with our own pipelines.
//!
//! How it works, per frame ([`SceneRenderer::render`]):
//! 1. derive the field grid from the camera (square cells, origin snapped to multiples of the
//!    cell size so panning does not shimmer) and let the [`Simulation`] record its compute
//!    dispatches (field and probe when their inputs changed, the particles' steps);
//! 2. write the small per-frame parameters and instance lists (view, ellipse level, axes,
//!    markers);
//! 3. one render pass: clear, tick grid and axes, ellipses (instanced straight from the field
//!    buffer), handles, probe arrows (read straight from the probe buffer).
//!
//! Nothing is read back from the GPU. Text (tick labels, legends, the angle) is the egui
//! overlay's job (the `overlay` module, above this one).

pub mod arrows;
pub mod axes;
pub mod canvas;
pub mod colormap;
pub mod layer;
pub mod layer_cache;
pub mod lines;
pub mod markers;
pub mod outside;
pub mod pipeline;

use crate::features::convergence::layer::ConvergenceLayer;
use crate::features::cramer_rao::layer::CramerRaoLayer;
use crate::features::estimates::layer::EstimatesLayer;
use crate::features::field::layer_ellipses::EllipseRenderer;
use crate::features::flow::layer_trails::Trails;
use crate::features::geodesics::layer_ball::GeodesicBallLayer;
use crate::features::geodesics::layer_paths::PathsLayer;
use crate::features::heatmap::layer::HeatmapLayer;
use crate::features::race::layer::RaceLayer;
use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::gpu_data::{ParticleStyle, ViewParams};
use crate::scene::{Camera, ParticleColor, Scene};
use crate::simulation::{GridLayout, ParticleKey, Simulation};
use colormap::{linear_rgba, palette};
use layer::{Layer, LayerFrame, Legend, Placement};
use pipeline::{new_params_buffer, params_entry};

/// The colour format of every target the scene is drawn into (sRGB: shaders output linear).
pub const CANVAS_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8UnormSrgb;

/// What the renderer did this frame (for the UI and the tests).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FrameInfo {
    /// Cells in the field.
    pub cells: u32,
    /// The grid density actually used (may be below the scene's when the device limits it).
    pub grid: u32,
    /// The largest grid density this device supports at the current aspect.
    pub max_grid: u32,
    /// Whether the field was recomputed this frame.
    pub field_recomputed: bool,
    /// Particles advected this frame (0 when flow is off).
    pub particles: u32,
    /// The ellipse level ε.
    pub epsilon: f64,
    /// Cell size (world units).
    pub cell: f64,
}

/// The benchmark's frame split: (stage or layer, wall milliseconds) in drawing order.
pub type PassTimes = Vec<(&'static str, f64)>;

/// What the trails show; a change clears them.
#[derive(Clone, Copy, Debug, PartialEq)]
struct TrailKey {
    camera: Camera,
    size: [u32; 2],
    particles: ParticleKey,
}

/// Pipelines and per-scene GPU data for drawing scenes.
pub struct SceneRenderer {
    format: wgpu::TextureFormat,
    /// The compute stages (field, probe, particles): the renderer only draws what they hold.
    sim: Simulation,
    /// The simulation's probe generation the arrows are bound to.
    probe_bound: u64,
    view_buffer: wgpu::Buffer,
    /// The drawable layers, back to front.
    layers: Layers,
    /// The backdrop layers over the background, reused while their versions hold.
    backdrop: layer_cache::LayerCache<BackdropKey>,
    particle_renderer: crate::features::flow::layer_particles::ParticleRenderer,
    trail_key: Option<TrailKey>,
    /// The last frame's field grid, kept while the canvas narrows (see `plan_frame`).
    layout: Option<GridLayout>,
}

/// A frame's layout and what the renderer reports about it.
struct FramePlan {
    layout: GridLayout,
    size_px: [f32; 2],
    px_per_point: f32,
    info: FrameInfo,
}

impl FramePlan {
    /// What every layer sees of this frame (the frame path and the benchmark's timed passes).
    fn layer_frame<'a>(
        &'a self,
        ctx: &'a GpuContext,
        scene: &'a Scene,
        sim: &'a Simulation,
    ) -> LayerFrame<'a> {
        LayerFrame {
            ctx,
            scene,
            sim,
            layout: &self.layout,
            size_px: self.size_px,
            px_per_point: self.px_per_point,
            info: &self.info,
        }
    }
}

/// How many layers draw into the backdrop (the heatmap, the convergence map, the axes and the
/// metric ellipses).
const BACKDROP_LAYERS: usize = 4;

/// What the backdrop holds: each backdrop layer's version (None: draws nothing) at a size.
#[derive(Clone, Copy, Debug, PartialEq)]
struct BackdropKey {
    versions: [Option<u64>; BACKDROP_LAYERS],
    size_px: [u32; 2],
}

/// The drawable layers, back to front: the order they are drawn in. Each is one file
/// implementing [`Layer`]; a new one is one line in [`SceneRenderer::new`]'s list.
struct Layers(Vec<Box<dyn Layer>>);

impl Layers {
    /// Back to front.
    fn list(&self) -> impl Iterator<Item = &dyn Layer> {
        self.0.iter().map(|layer| layer.as_ref())
    }

    /// The same, mutable (for `prepare`).
    fn list_mut(&mut self) -> impl Iterator<Item = &mut (dyn Layer + 'static)> {
        self.0.iter_mut().map(|layer| layer.as_mut())
    }

    /// The layer of type `L`: what the renderer asks the race, paths, trails and arrows
    /// layers for besides drawing.
    fn get<L: Layer>(&self) -> &L {
        self.0
            .iter()
            .find_map(|layer| (layer.as_ref() as &dyn std::any::Any).downcast_ref::<L>())
            .expect("every layer type is in the list")
    }

    /// The same, mutable.
    fn get_mut<L: Layer>(&mut self) -> &mut L {
        self.0
            .iter_mut()
            .find_map(|layer| (layer.as_mut() as &mut dyn std::any::Any).downcast_mut::<L>())
            .expect("every layer type is in the list")
    }
}

impl SceneRenderer {
    /// Builds every pipeline for targets of `format`.
    pub fn new(ctx: &GpuContext, format: wgpu::TextureFormat) -> Result<Self, GpuError> {
        let device = &ctx.device;
        let sim = Simulation::new(ctx)?;
        let view_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("view layout"),
            entries: &[params_entry(0)],
        });
        let view_buffer = new_params_buffer(device, "view", &ViewParams::default());
        let view_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("view bind group"),
            layout: &view_layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: view_buffer.as_entire_binding(),
            }],
        });
        let setup = layer::LayerSetup {
            device,
            view_buffer: &view_buffer,
            view_layout: &view_layout,
            view_group: &view_group,
            format,
        };
        Ok(Self {
            format,
            layers: Layers(vec![
                // First, over the cleared background: the grid, axes and glyphs stay readable
                // on it.
                Box::new(HeatmapLayer::new(&setup)),
                // The convergence map: in the heatmap's slot, opaque over it while enabled.
                Box::new(ConvergenceLayer::new(&setup)),
                Box::new(axes::AxesLayer::new(&setup)),
                Box::new(EllipseRenderer::new(&setup)),
                Box::new(Trails::new(device, format)),
                Box::new(PathsLayer::new(&setup)),
                Box::new(RaceLayer::new(&setup)),
                Box::new(GeodesicBallLayer::new(&setup)),
                Box::new(EstimatesLayer::new(&setup)),
                Box::new(CramerRaoLayer::new(&setup)),
                Box::new(arrows::ArrowRenderer::new(&setup, sim.probe_buffer())),
                Box::new(markers::MarkerLayer::new(&setup)),
            ]),
            backdrop: layer_cache::LayerCache::backdrop(
                device,
                "backdrop",
                format,
                linear_rgba(palette::BACKGROUND, 1.0),
            ),
            particle_renderer: crate::features::flow::layer_particles::ParticleRenderer::new(
                device,
                &view_buffer,
                crate::features::flow::layer_trails::TRAIL_FORMAT,
            ),
            trail_key: None,
            layout: None,
            probe_bound: sim.probe_generation(),
            sim,
            view_buffer,
        })
    }

    /// Takes the compute pipelines built ahead ([`crate::simulation::PipelinesAhead`]), so
    /// that no stage compiles its own on first use.
    pub fn adopt_pipelines(&mut self, ctx: &GpuContext, ahead: crate::simulation::PipelinesAhead) {
        self.sim.adopt(ctx, ahead);
    }

    /// The target format this renderer was built for.
    pub fn format(&self) -> wgpu::TextureFormat {
        self.format
    }

    /// The largest grid density (cells across the view height) that fits the device at this
    /// canvas aspect.
    pub fn max_grid(&self, device: &wgpu::Device, size_px: [f32; 2]) -> u32 {
        crate::simulation::max_grid(device, size_px)
    }

    /// Records this frame: compute dispatches when inputs changed, then the render pass into
    /// `target` (of `size_px` physical pixels).
    pub fn render(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        target: &wgpu::TextureView,
        size_px: [u32; 2],
        px_per_point: f32,
        scene: &Scene,
    ) -> Result<FrameInfo, GpuError> {
        let mut plan = self.plan_frame(ctx, size_px, px_per_point, scene);
        plan.info.field_recomputed = self.encode_field_stage(ctx, encoder, scene, &plan)?;
        plan.info.particles = self.update_particles(ctx, encoder, scene, size_px, px_per_point)?;
        self.encode_draw_stage(ctx, encoder, target, scene, &plan);
        Ok(plan.info)
    }

    /// The same frame with each stage submitted on its own and waited for, timing the wall
    /// clock of [field and probe, particles and trails, scene pass] in milliseconds (the
    /// benchmark's frame split; works on adapters without timestamp queries).
    pub fn render_timed(
        &mut self,
        ctx: &GpuContext,
        target: &wgpu::TextureView,
        size_px: [u32; 2],
        px_per_point: f32,
        scene: &Scene,
    ) -> Result<(FrameInfo, [f64; 3]), GpuError> {
        let mut times = [0.0; 3];
        let mut timed = |stage: usize,
                         record: &mut dyn FnMut(
            &mut wgpu::CommandEncoder,
        ) -> Result<(), GpuError>| {
            let start = std::time::Instant::now();
            let mut encoder = ctx
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("timed stage"),
                });
            record(&mut encoder)?;
            ctx.queue.submit([encoder.finish()]);
            ctx.wait()?;
            times[stage] = start.elapsed().as_secs_f64() * 1e3;
            Ok::<(), GpuError>(())
        };
        let mut plan = self.plan_frame(ctx, size_px, px_per_point, scene);
        timed(0, &mut |e| {
            plan.info.field_recomputed = self.encode_field_stage(ctx, e, scene, &plan)?;
            Ok(())
        })?;
        timed(1, &mut |e| {
            plan.info.particles = self.update_particles(ctx, e, scene, size_px, px_per_point)?;
            Ok(())
        })?;
        timed(2, &mut |e| {
            self.encode_draw_stage(ctx, e, target, scene, &plan);
            Ok(())
        })?;
        Ok((plan.info, times))
    }

    /// The same frame split finer for the benchmark: field and probe, particles and trails,
    /// the layers' preparation with the clear, then every layer in a render pass of its own
    /// (loading what the previous ones drew), each submitted on its own and waited for.
    /// Returns the wall clock of every pass in milliseconds, in drawing order, named after
    /// the layer. The passes' sum is above one frame's cost (a submission and a wait each).
    pub fn render_passes_timed(
        &mut self,
        ctx: &GpuContext,
        target: &wgpu::TextureView,
        size_px: [u32; 2],
        px_per_point: f32,
        scene: &Scene,
    ) -> Result<(FrameInfo, PassTimes), GpuError> {
        fn encoder(ctx: &GpuContext) -> wgpu::CommandEncoder {
            ctx.device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("timed pass"),
                })
        }
        fn finish(
            ctx: &GpuContext,
            encoder: wgpu::CommandEncoder,
            start: std::time::Instant,
        ) -> Result<f64, GpuError> {
            ctx.queue.submit([encoder.finish()]);
            ctx.wait()?;
            Ok(start.elapsed().as_secs_f64() * 1e3)
        }
        let mut times = Vec::new();
        let mut plan = self.plan_frame(ctx, size_px, px_per_point, scene);
        let start = std::time::Instant::now();
        let mut e = encoder(ctx);
        plan.info.field_recomputed = self.encode_field_stage(ctx, &mut e, scene, &plan)?;
        times.push(("field and probe", finish(ctx, e, start)?));
        let start = std::time::Instant::now();
        let mut e = encoder(ctx);
        plan.info.particles = self.update_particles(ctx, &mut e, scene, size_px, px_per_point)?;
        times.push(("particles and trails", finish(ctx, e, start)?));
        let frame = plan.layer_frame(ctx, scene, &self.sim);
        let start = std::time::Instant::now();
        for layer in self.layers.list_mut() {
            layer.prepare(&frame);
        }
        times.push(("prepare", start.elapsed().as_secs_f64() * 1e3));
        // A backdrop layer's own offscreen work (the ellipse cache) comes before the backdrop
        // that draws it, and counts as the layer's pass.
        for layer in self.layers.list_mut() {
            if layer.placement() == Placement::Scene {
                continue;
            }
            let start = std::time::Instant::now();
            let mut e = encoder(ctx);
            layer.encode_offscreen(&mut e, &frame);
            times.push((layer.name(), finish(ctx, e, start)?));
        }
        let start = std::time::Instant::now();
        let mut e = encoder(ctx);
        // The backdrop (heatmap, convergence map, axes, ellipses: redrawn only when one of them
        // changed) copied in, or composited over the cleared background.
        let copied = encode_backdrop(&mut self.backdrop, &self.layers, &mut e, target, &frame);
        let mut pass = begin_scene_pass(&mut e, target, !copied);
        if !copied {
            self.backdrop.composite(&mut pass);
        }
        drop(pass);
        times.push(("backdrop", finish(ctx, e, start)?));
        for layer in self.layers.list_mut() {
            if layer.placement() != Placement::Scene {
                continue;
            }
            let start = std::time::Instant::now();
            let mut e = encoder(ctx);
            // A layer's own offscreen work (the ellipse cache) counts as its pass.
            layer.encode_offscreen(&mut e, &frame);
            layer.draw(&mut begin_scene_pass(&mut e, target, false), &frame);
            times.push((layer.name(), finish(ctx, e, start)?));
        }
        Ok((plan.info, times))
    }

    /// Grid layout and the view parameters (the layers prepare their own data in the draw stage).
    fn plan_frame(
        &mut self,
        ctx: &GpuContext,
        size_px: [u32; 2],
        px_per_point: f32,
        scene: &Scene,
    ) -> FramePlan {
        let size = [size_px[0].max(1) as f32, size_px[1].max(1) as f32];
        let max_grid = self.max_grid(&ctx.device, size);
        let grid = scene.grid.min(max_grid);
        let fresh = GridLayout::for_view(scene, size, grid);
        // A canvas that narrows (a panel opening beside it) keeps the grid it had while that
        // grid covers the view and the field holds its F: the field is not recomputed and the
        // glyph cache is cropped rather than redrawn (its texels are where a redraw would put
        // them). Deterministic frames always take the view's own grid, whatever came before.
        let layout = match self.layout {
            Some(kept)
                if !self.sim.deterministic()
                    && kept.covers(&fresh)
                    && self.sim.field_holds_fisher_for(scene, &kept) =>
            {
                kept
            }
            _ => fresh,
        };
        self.layout = Some(layout);
        let camera = &scene.camera;
        let world_per_px = camera.world_per_pixel(size[1]);
        let view = ViewParams {
            center: [camera.center[0] as f32, camera.center[1] as f32],
            ndc_per_world: [
                (2.0 / (size[0] as f64 * world_per_px)) as f32,
                (2.0 / (size[1] as f64 * world_per_px)) as f32,
            ],
            viewport_px: size,
            world_per_px: world_per_px as f32,
            px_per_point,
            field_origin: [
                (layout.origin[0] - camera.center[0]) as f32,
                (layout.origin[1] - camera.center[1]) as f32,
            ],
            axis_scale: [camera.x_per_y as f32, 1.0],
        };
        ctx.queue
            .write_buffer(&self.view_buffer, 0, bytemuck::bytes_of(&view));
        let epsilon = crate::features::field::layer_ellipses::ellipse_epsilon(
            layout.cell,
            scene.ellipse_scale,
            crate::features::field::layer_ellipses::reference_lambda(scene),
        );
        FramePlan {
            layout,
            size_px: size,
            px_per_point,
            info: FrameInfo {
                cells: layout.cells(),
                grid,
                max_grid,
                field_recomputed: false,
                particles: 0,
                epsilon,
                cell: layout.cell,
            },
        }
    }

    /// The field and probe dispatches (only when their inputs changed); true if the field was
    /// recomputed.
    fn encode_field_stage(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
        plan: &FramePlan,
    ) -> Result<bool, GpuError> {
        let report = self.sim.update(ctx, encoder, scene, &plan.layout)?;
        let visible = scene.camera.visible_rect(plan.size_px);
        self.sim.update_convergence(ctx, encoder, scene, visible)?;
        if self.sim.probe_generation() != self.probe_bound {
            self.layers.get_mut::<arrows::ArrowRenderer>().rebind(
                &ctx.device,
                &self.view_buffer,
                self.sim.probe_buffer(),
            );
            self.probe_bound = self.sim.probe_generation();
        }
        Ok(report.field_recomputed)
    }

    /// The scene pass: every layer prepares its data, then clear and draw them back to front.
    fn encode_draw_stage(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        target: &wgpu::TextureView,
        scene: &Scene,
        plan: &FramePlan,
    ) {
        let frame = plan.layer_frame(ctx, scene, &self.sim);
        for layer in self.layers.list_mut() {
            layer.prepare(&frame);
        }
        for layer in self.layers.list_mut() {
            layer.encode_offscreen(encoder, &frame);
        }
        let copied = encode_backdrop(&mut self.backdrop, &self.layers, encoder, target, &frame);
        let mut pass = begin_scene_pass(encoder, target, !copied);
        if !copied {
            // Opaque: it replaces the cleared background.
            self.backdrop.composite(&mut pass);
        }
        for layer in self.layers.list() {
            if layer.placement() == Placement::Scene {
                layer.draw(&mut pass, &frame);
            }
        }
    }

    /// What the overlay's legend shows for `scene` after a frame that reported `info`: one
    /// box per layer that has something to say, back to front (none when the legend is off).
    pub fn legends(&self, scene: &Scene, info: &FrameInfo) -> Vec<Legend> {
        if !scene.layers.legend {
            return Vec::new();
        }
        self.layers
            .list()
            .filter_map(|layer| layer.legend(scene, info))
            .collect()
    }

    /// The text the layers write on the canvas this frame (distances on paths).
    pub fn labels(&self, scene: &Scene) -> Vec<layer::CanvasLabel> {
        self.layers
            .list()
            .flat_map(|layer| layer.labels(scene))
            .collect()
    }

    /// Deterministic frames compute every off-loop result (race, paths, estimates, the whole
    /// convergence map) inside the frame that needs it: captures, screenshots and tests, so a
    /// recording is the same on every run. The interactive viewer draws them when ready.
    pub fn set_deterministic(&mut self, deterministic: bool) {
        self.sim.set_mode(if deterministic {
            crate::jobs::JobMode::Deterministic
        } else {
            crate::jobs::JobMode::Background
        });
    }

    /// Whether a target handle is being dragged: while it is, a heatmap of the target's half
    /// is drawn from a coarse field (`features::field::stage_drag`), refined on the next frame
    /// without the drag.
    pub fn set_dragging(&mut self, dragging: bool) {
        self.sim.set_dragging(dragging);
    }

    /// The optimizer race drawn in the last frame, if any.
    pub fn shown_race(&self) -> Option<&crate::features::race::job::RaceSet> {
        self.layers.get::<RaceLayer>().shown()
    }

    /// The shortest paths drawn in the last frame, if any.
    pub fn shown_paths(&self) -> Option<&crate::features::geodesics::job_paths::PathSet> {
        self.layers.get::<PathsLayer>().shown()
    }

    /// The layers' names, back to front.
    pub fn layer_names(&self) -> Vec<&'static str> {
        self.layers.list().map(|l| l.name()).collect()
    }

    /// Flow: the simulation steps the particles, then their streaks are drawn into the trail
    /// texture. Returns the number of particles advected.
    fn update_particles(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
        size_px: [u32; 2],
        px_per_point: f32,
    ) -> Result<u32, GpuError> {
        let visible = scene
            .camera
            .visible_rect([size_px[0] as f32, size_px[1] as f32]);
        let Some((particles, count, key)) =
            self.sim.flow_mut().step(ctx, encoder, scene, visible)?
        else {
            self.trail_key = None;
            return Ok(0);
        };
        let resized = self
            .layers
            .get_mut::<Trails>()
            .ensure_size(&ctx.device, size_px);
        let trail_key = TrailKey {
            camera: scene.camera,
            size: size_px,
            particles: key,
        };
        let clear = resized || self.trail_key != Some(trail_key) || scene.features.flow.fade >= 1.0;
        self.trail_key = Some(trail_key);
        self.particle_renderer.prepare(
            &ctx.queue,
            &ParticleStyle {
                natural_color: linear_rgba(palette::NATURAL, 0.85),
                euclid_color: linear_rgba(palette::EUCLID, 0.55),
                radius_px: 1.2 * px_per_point,
                color_by_speed: (scene.features.flow.color == ParticleColor::Speed) as u32,
                log_speed_min: crate::features::flow::layer_particles::LOG_SPEED_RANGE.0,
                log_speed_max: crate::features::flow::layer_particles::LOG_SPEED_RANGE.1,
                empirical_color: linear_rgba(
                    crate::features::estimates::layer::colors::EMPIRICAL,
                    0.85,
                ),
                crash_color: linear_rgba(palette::CRASH, 1.0),
            },
        );
        let mut pass = self.layers.get_mut::<Trails>().begin(
            &ctx.queue,
            encoder,
            scene.features.flow.fade as f32,
            clear,
        );
        self.particle_renderer.draw(&mut pass, particles, count);
        Ok(count)
    }

    /// Forgets what the frames so far left behind (particles, their trails, the convergence
    /// map, the jobs' results), so the next frame is the first frame of its scene, as a fresh
    /// renderer would draw it (after the viewer's warm-up; each `fisherflow.render` call).
    pub fn start_afresh(&mut self) {
        self.sim.forget_warm_up();
        self.trail_key = None;
        self.layout = None;
    }

    /// The compute stages, for read-backs in tests and the benchmark.
    pub fn simulation(&self) -> &Simulation {
        &self.sim
    }

    /// The compute stages, mutable (the benchmark invalidates the field).
    pub fn simulation_mut(&mut self) -> &mut Simulation {
        &mut self.sim
    }
}

/// The backdrop: the first layers (heatmap, convergence map, axes, ellipses) over the cleared
/// background, redrawn only when one of their versions changed (`Layer::placement`), then
/// copied into `target` (a memory copy, not a pass over the canvas). Returns whether it
/// copied; when it could not (a target that takes no copies) the scene pass composites it
/// instead.
fn encode_backdrop(
    backdrop: &mut layer_cache::LayerCache<BackdropKey>,
    layers: &Layers,
    encoder: &mut wgpu::CommandEncoder,
    target: &wgpu::TextureView,
    frame: &LayerFrame<'_>,
) -> bool {
    let mut versions = [None; BACKDROP_LAYERS];
    let versioned = layers.list().filter_map(|layer| match layer.placement() {
        Placement::Backdrop(version) => Some((layer, version)),
        Placement::Scene => None,
    });
    for (slot, (_, version)) in versions.iter_mut().zip(versioned) {
        *slot = version;
    }
    let size_px = frame.size_px.map(|v| v.round().max(1.0) as u32);
    backdrop.want(
        versions
            .iter()
            .any(Option::is_some)
            .then_some(BackdropKey { versions, size_px }),
    );
    if let Some(mut pass) = backdrop.redraw(&frame.ctx.device, encoder, size_px) {
        for layer in layers.list() {
            if matches!(layer.placement(), Placement::Backdrop(Some(_))) {
                layer.draw(&mut pass, frame);
            }
        }
    } else {
        // Unchanged versions: a layer may still repaint parts of it (the filling map's rows),
        // opaque there; the backdrop layers over it (the axes, the ellipses) are drawn there
        // again on top.
        let drawn: Vec<&dyn Layer> = layers
            .list()
            .filter(|layer| matches!(layer.placement(), Placement::Backdrop(Some(_))))
            .collect();
        for (k, layer) in drawn.iter().enumerate() {
            let repaints = layer.backdrop_repaints();
            if repaints.is_empty() {
                continue;
            }
            let Some(mut pass) = backdrop.repaint(encoder) else {
                break;
            };
            for &[x, y, width, height] in repaints {
                pass.set_scissor_rect(x, y, width, height);
                for over in &drawn[k..] {
                    over.draw(&mut pass, frame);
                }
            }
        }
    }
    backdrop.copy_into(encoder, target)
}

/// The scene's render pass on `target`: cleared to the background when `clear`, else loading
/// what is there (the benchmark's pass-by-pass frames).
fn begin_scene_pass<'e>(
    encoder: &'e mut wgpu::CommandEncoder,
    target: &wgpu::TextureView,
    clear: bool,
) -> wgpu::RenderPass<'e> {
    let background = linear_rgba(palette::BACKGROUND, 1.0);
    let load = if clear {
        wgpu::LoadOp::Clear(wgpu::Color {
            r: background[0] as f64,
            g: background[1] as f64,
            b: background[2] as f64,
            a: 1.0,
        })
    } else {
        wgpu::LoadOp::Load
    };
    // Passes carry labels instead of encoder-level debug groups: Mesa 22.3 lavapipe (what
    // CI runs) crashed in vkCmdBeginDebugUtilsLabelEXT on a group around the field pass.
    pipeline::color_pass(encoder, "scene", target, load)
}

/// Marker radius of the handles in logical points (also the UI's pick radius).
pub const HANDLE_RADIUS_PT: f32 = 7.0;

/// The world point `p`'s offset from the camera centre in display units, formed in f64 (deep
/// zoom, see common/view.wgsl). Display units are world units divided by the view's
/// `axis_scale` = (x_per_y, 1): one display unit spans the same pixels on both axes, so the
/// shaders' pixel-sized geometry (line widths, marker radii, antialiasing) stays round on a
/// slice whose axes have different units.
pub fn display_offset(camera: &crate::scene::Camera, p: [f64; 2]) -> [f32; 2] {
    [
        ((p[0] - camera.center[0]) / camera.x_per_y) as f32,
        (p[1] - camera.center[1]) as f32,
    ]
}
