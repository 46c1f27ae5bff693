//! The simulation stage: every compute dispatch a frame needs, apart from drawing. It owns the
//! FIM field over the view's grid, the one-point probe evaluation and the flow's particles,
//! with the cache keys that decide when each is recomputed, and hands the renderer the buffers
//! to draw from. A new compute stage (geodesics, optimizer paths) is one more member here; the
//! draw code does not change.
//!
//! Two kernels compute the field and the probe. The seed's slice — (μ1, μ2) with π = ½ and
//! σ1 = σ2, [`Scene::seed_sigma`] — goes to the seed kernel (`fim_field.wgsl`: rotated basis,
//! exact at the singular diagonal); every other slice, and the profiled metric, to the general
//! kernel's `grid` entry (`fim_general.wgsl`), whose cells outside the model carry
//! `FLAG_OUTSIDE_MODEL` and are not drawn. Both write the same `FieldCell` records, so the
//! layers draw either without knowing which.
//!
//! The general kernel splits each component's window into panels at the responsibilities'
//! switch points, each with its own Gauss–Legendre rule, so it needs fewer nodes per panel than
//! the seed kernel per component: it runs with Q/2 nodes per component for the scene's Q (the
//! default Q = 64 gives its measured default, 32), at least 16.
//!
//! Per frame ([`Simulation::update`]): the field is dispatched only when the model, slice,
//! metric, damping, the node count or the grid changed; the probe likewise; particles are
//! (re)spawned when their set changed and stepped every frame while the flow runs. Nothing is
//! read back (except [`Simulation::read_field_and_probe`], for tests).

use crate::compute::convergence::{ConvergenceMap, ConvergenceStage, MapSpec};
use crate::compute::fim_field::{FieldData, FieldMode, FimFieldPipeline, grid_params};
use crate::compute::general::{GeneralData, GeneralPipeline};
use crate::compute::geodesic::{GeodesicData, GeodesicPipeline};
use crate::compute::particles::{ParticleData, ParticlePipeline};
use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::general_data::{GeneralGridParams, general_grid_params};
use crate::gpu::geodesic_data::{BallFrame, BallSpec, DEFAULT_STEPS, ball_frame, geodesic_params};
use crate::gpu::gpu_data::{FieldCell, FieldParams, FlowParams, PointInput};
use crate::jobs::{JobMode, SceneJobs};
use crate::math::{Metric, QuadratureRule};
use crate::scene::Scene;

/// Nodes per component the general kernel uses for a scene asking for `nodes` (see the
/// module docs): half, at least 16, even.
pub fn general_nodes(nodes: u32) -> u32 {
    ((nodes / 2).max(16) + 1) & !1
}

/// Whether anything drawn from the field's cells reads their target half (∇L, L, ñ, the
/// empirical Fisher): a heatmap of L, of the angle or of ‖ñ‖, or the grid's ellipses showing the
/// EF. When nothing does, a moved target (a dragged handle) does not rerun the field's
/// target-only pass: F's half is all that is drawn, and the pass runs as soon as a layer that
/// reads the target's half is turned on (the field's key still holds the old target). The probe,
/// the particles and the panel's numbers compute their own.
pub fn draws_target_half(scene: &Scene) -> bool {
    let ef_glyphs = scene.layers.ellipses
        && scene.estimates.grid_ellipses == crate::scene::EllipseSource::EmpiricalFisher;
    scene.heatmap.reads_target() || ef_glyphs
}

/// Whether `scene` goes to the seed kernel: its slice and model, and the induced metric (on the
/// seed's slice the profiled metric differs: π and the σ's are held there).
pub fn uses_seed_kernel(scene: &Scene) -> bool {
    scene.seed_sigma().is_some() && scene.metric == Metric::Induced
}

/// The field grid for a camera: cells square on screen (`cell` world units high, `cell ×
/// x_per_y` wide: see [`Camera::x_per_y`](crate::scene::Camera)), origin snapped to the cell
/// grid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GridLayout {
    /// World position of the grid's lower-left corner.
    pub origin: [f64; 2],
    /// Cell height in world units (= the cell edge in display units).
    pub cell: f64,
    /// The camera's horizontal world units per vertical one.
    pub x_per_y: f64,
    /// Cells along μ1.
    pub columns: u32,
    /// Cells along μ2.
    pub rows: u32,
}

impl GridLayout {
    /// The grid covering the view of `scene` on a canvas of `size_px`, with `density` cells
    /// across the view height.
    pub fn for_view(scene: &Scene, size_px: [f32; 2], density: u32) -> Self {
        let (lo, hi) = scene.camera.visible_rect(size_px);
        let cell = 2.0 * scene.camera.half_height / density.max(1) as f64;
        let x_per_y = scene.camera.x_per_y;
        let cell_x = cell * x_per_y;
        let origin = [
            (lo[0] / cell_x).floor() * cell_x,
            (lo[1] / cell).floor() * cell,
        ];
        let columns = ((hi[0] - origin[0]) / cell_x).ceil().max(1.0) as u32;
        let rows = ((hi[1] - origin[1]) / cell).ceil().max(1.0) as u32;
        Self {
            origin,
            cell,
            x_per_y,
            columns,
            rows,
        }
    }

    /// A cell's extent in world units, (width, height).
    pub fn cell_size(&self) -> [f64; 2] {
        [self.cell * self.x_per_y, self.cell]
    }

    /// The grid's upper-right corner in world units.
    pub fn far_corner(&self) -> [f64; 2] {
        let [w, h] = self.cell_size();
        [
            self.origin[0] + self.columns as f64 * w,
            self.origin[1] + self.rows as f64 * h,
        ]
    }

    /// Number of cells.
    pub fn cells(&self) -> u32 {
        self.columns * self.rows
    }
}

/// What a particle set was spawned with; a change respawns every particle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParticleKey {
    /// Particles.
    pub count: u32,
    /// Spawn seed.
    pub seed: u32,
    /// Flow mode code.
    pub mode: u32,
    /// Quadrature nodes per component.
    pub nodes: u32,
    /// The slice the positions are coordinates of.
    pub slice: crate::math::Slice,
    /// Whether the general kernel's field drives them.
    pub general: bool,
}

/// Particle count when the scene leaves it to the adapter: a CPU rasteriser gets fewer.
pub fn default_particle_count(device_type: wgpu::DeviceType) -> u32 {
    match device_type {
        wgpu::DeviceType::Cpu => 8 * 1024,
        _ => 256 * 1024,
    }
}

/// Whether the particles run on the flow kernel's general mode: off the seed's slice, and
/// always in natural-vs-EF mode (only the general kernel's target pass accumulates EF; the seed
/// path works in a rotated basis without it).
pub fn flow_uses_general_kernel(scene: &Scene) -> bool {
    !uses_seed_kernel(scene) || scene.flow.mode == crate::scene::FlowMode::NaturalVsEmpirical
}

/// Respawn radius around θ* and its twin, in σ.
pub const CONVERGE_RADIUS_SIGMAS: f64 = 0.03;

/// The flow uniform for a scene (the particles' spawn rectangle is the visible view).
pub fn flow_params(scene: &Scene, view_min: [f64; 2], view_max: [f64; 2]) -> FlowParams {
    let f = &scene.flow;
    let target = scene.target();
    FlowParams {
        target: [target[0] as f32, target[1] as f32],
        view_min: [view_min[0] as f32, view_min[1] as f32],
        view_max: [view_max[0] as f32, view_max[1] as f32],
        sigma: scene.model.sigma1 as f32,
        damping: scene.damping as f32,
        dt: f.dt as f32,
        speed_cap: f.speed_cap as f32,
        converge_radius: (CONVERGE_RADIUS_SIGMAS * scene.length_scale()) as f32,
        max_age: f.max_age,
        integrator: f.integrator.code(),
        mode: f.mode.code(),
        seed: f.seed,
        ..FlowParams::default()
    }
}

/// Everything that determines the field buffer's contents: the kernel's uniform and the node
/// count.
#[derive(Clone, Copy, Debug, PartialEq)]
enum FieldKey {
    Seed(FieldParams, u32),
    General(GeneralGridParams, u32),
}

/// The probe's inputs, per kernel.
#[derive(Clone, Copy, Debug, PartialEq)]
enum ProbeKey {
    Seed(FieldParams, PointInput, u32),
    General(GeneralGridParams, u32),
}

/// The general kernel's node table and buffers (field and one-cell probe), built on first use.
struct GeneralStage {
    pipeline: GeneralPipeline,
    rule: QuadratureRule,
    field: Option<GeneralData>,
    probe: GeneralData,
}

/// The largest grid density (cells across the view height) whose field fits one buffer on
/// `device` at the aspect of a canvas of `size_px`.
pub fn max_grid(device: &wgpu::Device, size_px: [f32; 2]) -> u32 {
    let max_cells = crate::compute::fim_field::max_cells(device);
    let aspect = (size_px[0] / size_px[1].max(1.0)).max(1e-3) as f64;
    // cells ≈ (g·aspect + 1)(g + 1); solve for g conservatively.
    let g = ((max_cells as f64 / aspect).sqrt() - 2.0).floor();
    g.clamp(1.0, u32::MAX as f64) as u32
}

/// Everything the geodesic ball's segments depend on: the ball (probe, model, slice, radius,
/// rays, steps) and the node count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BallKey {
    /// The ball.
    pub spec: BallSpec,
    /// Q, nodes per component of the jet's rule.
    pub nodes: u32,
}

/// The scene's ball key, or None when the ball is off or there is no probe. The ball uses the
/// general kernel's node count ([`general_nodes`]: Q = 32 by default) and
/// [`DEFAULT_STEPS`] steps.
pub fn ball_key(scene: &Scene) -> Option<BallKey> {
    let probe = scene.probe?;
    if !scene.geodesics.ball {
        return None;
    }
    Some(BallKey {
        spec: BallSpec {
            base: scene.model,
            slice: scene.slice,
            probe,
            radius: scene.geodesics.radius,
            rays: scene.geodesics.rays.max(1),
            steps: DEFAULT_STEPS,
        },
        nodes: general_nodes(scene.nodes),
    })
}

/// The geodesic stage: pipeline (built on first use: llvmpipe compiles slowly), the last ball's
/// buffers and the key and start frame they were computed for.
struct GeodesicStage {
    pipeline: GeodesicPipeline,
    data: Option<GeodesicData>,
    key: Option<BallKey>,
    /// None where the probe could not start a ball (outside the model, κ > KAPPA_MAX).
    frame: Option<BallFrame>,
}

/// A computed ball, for drawing.
pub struct BallView<'a> {
    /// The segments (ring first, then spokes): instance data of `geodesic_ball.wgsl`.
    pub segments: &'a wgpu::Buffer,
    /// Geodesics.
    pub rays: u32,
    /// Steps per geodesic.
    pub steps: u32,
    /// The centre (slice coordinates, f64).
    pub probe: [f64; 2],
    /// Fisher–Rao radius.
    pub radius: f64,
    /// F and F^{-1/2} at the probe (f64).
    pub frame: BallFrame,
}

/// The compute stages of a frame and their cached inputs.
pub struct Simulation {
    fim: FimFieldPipeline,
    rule: QuadratureRule,
    field: Option<FieldData>,
    field_key: Option<FieldKey>,
    probe: FieldData,
    probe_key: Option<ProbeKey>,
    probe_generation: u64,
    /// Bumped by every field dispatch: [whole cells (F and the target's half), any].
    field_generation: [u64; 2],
    general: Option<GeneralStage>,
    flow: ParticlePipeline,
    particles: Option<(ParticleData, ParticleKey)>,
    default_particles: u32,
    geodesic: Option<GeodesicStage>,
    /// The convergence map (pipeline compiled on first use).
    convergence: Option<ConvergenceStage>,
    /// The CPU work off the frame loop (race, paths, estimates, the K-FAC lab).
    jobs: SceneJobs,
}

/// What the simulation did this frame.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SimulationReport {
    /// The field was dispatched this frame.
    pub field_recomputed: bool,
}

impl Simulation {
    /// Builds the compute pipelines and the probe's buffers.
    pub fn new(ctx: &GpuContext) -> Result<Self, GpuError> {
        let fim = FimFieldPipeline::new(&ctx.device);
        let rule = QuadratureRule::new(crate::math::quadrature::DEFAULT_NODES_F32)
            .expect("the default node count is valid");
        let probe = FieldData::new(ctx, &fim, 1, &rule)?;
        Ok(Self {
            flow: ParticlePipeline::new(&ctx.device),
            fim,
            rule,
            field: None,
            field_key: None,
            probe,
            probe_key: None,
            probe_generation: 0,
            field_generation: [0; 2],
            general: None,
            particles: None,
            default_particles: default_particle_count(ctx.info.device_type),
            geodesic: None,
            convergence: None,
            jobs: SceneJobs::new(JobMode::Background),
        })
    }

    /// The field and probe dispatches for this frame (only when their inputs changed).
    pub fn update(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
        layout: &GridLayout,
    ) -> Result<SimulationReport, GpuError> {
        self.jobs.update(scene);
        let field_recomputed = self.update_field(ctx, encoder, scene, layout)?;
        self.update_probe(ctx, encoder, scene)?;
        self.update_geodesic_ball(ctx, encoder, scene)?;
        Ok(SimulationReport { field_recomputed })
    }

    /// The geodesic ball for `scene`, once computed for its current key (None when the ball is
    /// off, there is no probe, or the probe could not start one).
    pub fn geodesic_ball(&self, scene: &Scene) -> Option<BallView<'_>> {
        let key = ball_key(scene)?;
        let stage = self.geodesic.as_ref()?;
        if stage.key != Some(key) {
            return None;
        }
        let data = stage.data.as_ref()?;
        let (rays, steps) = data.shape();
        Some(BallView {
            segments: data.segments(),
            rays,
            steps,
            probe: key.spec.probe,
            radius: key.spec.radius,
            frame: stage.frame?,
        })
    }

    /// Dispatches the geodesic ball when its key changed (never every frame: a ball is
    /// `steps` + 2 dispatches of a few hundred node evaluations per geodesic and stage).
    fn update_geodesic_ball(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
    ) -> Result<(), GpuError> {
        let Some(key) = ball_key(scene) else {
            return Ok(());
        };
        if self.geodesic.as_ref().is_some_and(|g| g.key == Some(key)) {
            return Ok(());
        }
        let stage = self.geodesic.get_or_insert_with(|| GeodesicStage {
            pipeline: GeodesicPipeline::new(&ctx.device),
            data: None,
            key: None,
            frame: None,
        });
        let rule =
            QuadratureRule::new(key.nodes).map_err(|e| GpuError::InvalidInput(e.to_string()))?;
        stage.key = Some(key);
        stage.frame = ball_frame(&key.spec.base, &key.spec.slice, key.spec.probe, &rule);
        let Some(params) = geodesic_params(&key.spec, &rule) else {
            return Ok(());
        };
        let shape = (params.rays, params.steps);
        // The node table lives with the data: rebuild it when Q or the ball's shape changed.
        let panel_nodes = rule.panel_rule().nodes.len() as u32;
        let reusable = stage
            .data
            .as_ref()
            .is_some_and(|d| d.shape() == shape && d.panel_nodes() == panel_nodes);
        if !reusable {
            stage.data = None;
            stage.data = Some(GeodesicData::new(
                ctx,
                &stage.pipeline,
                params.rays,
                params.steps,
                &rule,
            )?);
        }
        let data = stage.data.as_ref().expect("allocated just above");
        data.encode(&ctx.queue, encoder, &stage.pipeline, &params);
        Ok(())
    }

    /// The field's cell buffer and the number of valid cells, once a field was computed.
    pub fn field(&self) -> Option<(&wgpu::Buffer, u32)> {
        match self.field_key? {
            FieldKey::Seed(p, _) => Some((self.field.as_ref()?.cells_buffer(), p.cell_count)),
            FieldKey::General(p, _) => Some((
                self.general.as_ref()?.field.as_ref()?.cells_buffer(),
                p.cell_count,
            )),
        }
    }

    /// The probe's one-cell buffer (always allocated; meaningful once a probe was evaluated):
    /// the seed kernel's or the general kernel's, whichever evaluated the last probe.
    pub fn probe_buffer(&self) -> &wgpu::Buffer {
        match (&self.probe_key, &self.general) {
            (Some(ProbeKey::General(..)), Some(general)) => general.probe.cells_buffer(),
            _ => self.probe.cells_buffer(),
        }
    }

    /// Bumped whenever the probe buffer is replaced (a node-count change, a switch between the
    /// kernels): bind groups made from [`Simulation::probe_buffer`] must be rebuilt when it
    /// moves.
    pub fn probe_generation(&self) -> u64 {
        self.probe_generation
    }

    /// Steps the particles of `scene` (spawning them when their set changed) over the spawn
    /// rectangle [`view_min`, `view_max`]. Returns the particle buffer, the count and the key
    /// of the set, or None when the flow is off (the particles are then dropped).
    pub fn step_particles(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
        view_min: [f64; 2],
        view_max: [f64; 2],
    ) -> Result<Option<(&wgpu::Buffer, u32, ParticleKey)>, GpuError> {
        if !(scene.flow.enabled && scene.layers.particles) {
            self.particles = None;
            return Ok(None);
        }
        let general = flow_uses_general_kernel(scene);
        let mut params = flow_params(scene, view_min, view_max);
        if general {
            // The flow kernel's general mode: positions are slice coordinates, the field the
            // general kernel's own per-point evaluation (the same rule as the field's).
            params = params.with_general(&scene.model, &scene.slice, &scene.model, scene.metric);
        }
        let key = ParticleKey {
            count: self.particle_count(scene),
            seed: scene.flow.seed,
            mode: scene.flow.mode.code(),
            nodes: if general {
                general_nodes(scene.nodes)
            } else {
                scene.nodes
            },
            slice: scene.slice,
            general,
        };
        if self.particles.as_ref().is_none_or(|(_, k)| *k != key) {
            let rule = QuadratureRule::new(key.nodes)
                .map_err(|e| GpuError::InvalidInput(e.to_string()))?;
            let mut data = ParticleData::new(ctx, &self.flow, key.count, &rule)?;
            data.spawn(ctx, &self.flow, &params);
            self.particles = Some((data, key));
        }
        let (data, _) = self.particles.as_mut().expect("spawned just above");
        data.encode_steps(
            &ctx.queue,
            encoder,
            &self.flow,
            &params,
            scene.flow.steps_per_frame,
            None,
            |_, _, _| {},
        );
        Ok(Some((data.current_buffer(), data.count(), key)))
    }

    /// Reads back the cells of the last computed field and the last computed probe cell (None
    /// before any probe): for tests, such as the soak's finiteness check. Waits for the GPU; the
    /// frame loop never calls it. The cells' target half is as of the last frame that drew
    /// something reading it ([`draws_target_half`]): after a drag with F's ellipses only, it is
    /// the old target's.
    pub fn read_field_and_probe(
        &self,
        ctx: &GpuContext,
    ) -> Result<(Vec<FieldCell>, Option<FieldCell>), GpuError> {
        let field = match self.field_key {
            Some(FieldKey::Seed(p, _)) => match &self.field {
                Some(field) => field.read_cells(ctx, p.cell_count)?,
                None => Vec::new(),
            },
            Some(FieldKey::General(p, _)) => {
                match self.general.as_ref().and_then(|g| g.field.as_ref()) {
                    Some(field) => field.read_cells(ctx, p.cell_count)?,
                    None => Vec::new(),
                }
            }
            None => Vec::new(),
        };
        let probe = match self.probe_key {
            Some(ProbeKey::Seed(..)) => self.probe.read_cells(ctx, 1)?.first().copied(),
            Some(ProbeKey::General(..)) => match &self.general {
                Some(g) => g.probe.read_cells(ctx, 1)?.first().copied(),
                None => None,
            },
            None => None,
        };
        Ok((field, probe))
    }

    /// The convergence map's frame share: (re)starts it when the scene's model, slice,
    /// settings or the visible rectangle [`view_min`, `view_max`] changed, then dispatches one
    /// chunk (or, in deterministic mode, runs it to the end). Nothing when the map is off.
    pub fn update_convergence(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
        view_min: [f64; 2],
        view_max: [f64; 2],
    ) -> Result<(), GpuError> {
        if !scene.convergence.enabled {
            return Ok(());
        }
        if scene.model.validate_for(&scene.slice).is_err() {
            // No map for a model outside its slice's domain; an older one must not be drawn.
            self.restart_convergence();
            return Ok(());
        }
        let stage = self
            .convergence
            .get_or_insert_with(|| ConvergenceStage::new(ctx));
        stage.ensure(ctx, convergence_spec(scene, view_min, view_max))?;
        if self.jobs.mode() == JobMode::Deterministic {
            stage.run_to_completion(ctx)?;
        } else {
            stage.advance(ctx, encoder);
        }
        Ok(())
    }

    /// The current convergence map, if one was started.
    pub fn convergence_map(&self) -> Option<&ConvergenceMap> {
        self.convergence.as_ref()?.map()
    }

    /// Starts the convergence map again on the next frame (the panel's restart button).
    pub fn restart_convergence(&mut self) {
        if let Some(stage) = &mut self.convergence {
            stage.restart();
        }
    }

    /// Deterministic frames (captures, screenshots, tests): every job's result and the whole
    /// convergence map are computed inside the frame that needs them, so a frame shows its own
    /// scene whatever the machine's speed. Background (the default): they arrive when ready.
    pub fn set_mode(&mut self, mode: JobMode) {
        self.jobs.set_mode(mode);
    }

    /// The background jobs and their latest results.
    pub fn jobs(&self) -> &SceneJobs {
        &self.jobs
    }

    /// The same, mutable (the K-FAC tab's reset).
    pub fn jobs_mut(&mut self) -> &mut SceneJobs {
        &mut self.jobs
    }

    /// Forgets the particles, the convergence map and the jobs' results, so the next frame
    /// starts them afresh for its scene (after the viewer's warm-up: a warm-up scene's
    /// particles could otherwise match a real scene's key, whose view and model they do not
    /// carry, and a warm-up race could be drawn while the real one is computed).
    pub fn forget_warm_up(&mut self) {
        self.jobs = SceneJobs::new(self.jobs.mode());
        self.particles = None;
        self.restart_convergence();
    }

    /// Forgets the field so the next frame recomputes it (benchmarking the "dragging" case).
    pub fn invalidate_field(&mut self) {
        self.field_key = None;
    }

    /// The particle count the scene asks for, or the adapter's default: a quarter of it on
    /// general slices, where each particle's evaluation costs several times the seed's (more
    /// panels: `compute::general`).
    pub fn particle_count(&self, scene: &Scene) -> u32 {
        let general = flow_uses_general_kernel(scene);
        scene.flow.particles.unwrap_or(if general {
            self.default_particles / 4
        } else {
            self.default_particles
        })
    }

    /// Replaces the node table (and with it the field and probe buffers) when Q changed.
    fn ensure_rule(&mut self, ctx: &GpuContext, nodes: u32) -> Result<(), GpuError> {
        if self.rule.nodes_per_component() == nodes {
            return Ok(());
        }
        self.rule =
            QuadratureRule::new(nodes).map_err(|e| GpuError::InvalidInput(e.to_string()))?;
        self.field = None;
        self.field_key = None;
        self.probe = FieldData::new(ctx, &self.fim, 1, &self.rule)?;
        self.probe_key = None;
        // The probe buffer is new: whoever draws from it must bind it again.
        self.probe_generation += 1;
        Ok(())
    }

    /// The general stage with the node table for a scene asking for `nodes`, (re)built when
    /// that changed.
    fn ensure_general(&mut self, ctx: &GpuContext, nodes: u32) -> Result<(), GpuError> {
        let q = general_nodes(nodes);
        if self
            .general
            .as_ref()
            .is_some_and(|g| g.rule.nodes_per_component() == q)
        {
            return Ok(());
        }
        let rule = QuadratureRule::new(q).map_err(|e| GpuError::InvalidInput(e.to_string()))?;
        // Keep the compiled pipeline across node-count changes (llvmpipe compiles slowly).
        let pipeline = match self.general.take() {
            Some(g) => g.pipeline,
            None => GeneralPipeline::new(&ctx.device),
        };
        let probe = GeneralData::new(ctx, &pipeline, 1, &rule)?;
        self.general = Some(GeneralStage {
            pipeline,
            rule,
            field: None,
            probe,
        });
        if matches!(self.field_key, Some(FieldKey::General(..))) {
            self.field_key = None;
        }
        if matches!(self.probe_key, Some(ProbeKey::General(..))) {
            self.probe_key = None;
            self.probe_generation += 1;
        }
        Ok(())
    }

    /// Dispatches the field over `layout` when its inputs changed; true if it did.
    fn update_field(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
        layout: &GridLayout,
    ) -> Result<bool, GpuError> {
        if !uses_seed_kernel(scene) {
            return self.update_general_field(ctx, encoder, scene, layout);
        }
        self.ensure_rule(ctx, scene.nodes)?;
        // The floating origin is the grid's lower-left corner, a multiple of the cell size:
        // it moves only when a pan crosses a cell, so the cached field stays valid otherwise.
        let params = grid_params(
            layout.origin,
            layout.far_corner(),
            layout.columns,
            layout.rows,
            scene.model.sigma1 as f32,
            scene.target(),
            scene.damping as f32,
        );
        let key = FieldKey::Seed(params, scene.nodes);
        if self.field_key == Some(key) {
            return Ok(false);
        }
        // F does not depend on the target: when only the target (or the damping) changed, as
        // while a handle is dragged, the cells keep F and only the target's half is redone.
        let same_fisher = match self.field_key {
            Some(FieldKey::Seed(old, nodes)) => {
                nodes == scene.nodes
                    && FieldParams {
                        target_y0: params.target_y0,
                        damping: params.damping,
                        ..old
                    } == params
            }
            _ => false,
        };
        if same_fisher && !draws_target_half(scene) {
            // Nothing drawn reads ∇L, L, ñ or the EF of the cells: the target-only pass waits
            // (the key stays the old one) until something does.
            return Ok(false);
        }
        let cells = layout.cells();
        let mut mode = if same_fisher {
            FieldMode::GridTarget
        } else {
            FieldMode::Grid
        };
        if self.field.as_ref().is_none_or(|f| f.capacity() < cells) {
            let capacity = grown_capacity(ctx, cells);
            self.field = Some(FieldData::new(ctx, &self.fim, capacity, &self.rule)?);
            mode = FieldMode::Grid;
        }
        let field = self.field.as_ref().expect("allocated just above");
        field.encode(&ctx.queue, encoder, &self.fim, mode, &params, None);
        self.bump_field_generation(mode == FieldMode::Grid);
        self.field_key = Some(key);
        Ok(true)
    }

    /// The general kernel's field over `layout` (any slice, either metric).
    fn update_general_field(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
        layout: &GridLayout,
    ) -> Result<bool, GpuError> {
        self.ensure_general(ctx, scene.nodes)?;
        let params = general_grid_params(
            layout.origin,
            layout.far_corner(),
            layout.columns,
            layout.rows,
            &scene.model,
            &scene.slice,
            Some(&scene.model),
            scene.damping as f32,
            scene.metric,
        );
        let key = FieldKey::General(params, scene.nodes);
        if self.field_key == Some(key) {
            return Ok(false);
        }
        // As on the seed's slice: F does not depend on the target, so a dragged handle (or a
        // damping edit) redoes only the target's half of the cells.
        let mut target_only = match self.field_key {
            Some(FieldKey::General(old, nodes)) => {
                nodes == scene.nodes && params.same_metric_as(&old)
            }
            _ => false,
        };
        if target_only && !draws_target_half(scene) {
            // As on the seed's slice: the target-only pass waits until something reads it.
            return Ok(false);
        }
        let cells = layout.cells();
        let capacity = grown_capacity(ctx, cells);
        let general = self.general.as_mut().expect("ensured just above");
        if general.field.as_ref().is_none_or(|f| f.capacity() < cells) {
            general.field = Some(GeneralData::new(
                ctx,
                &general.pipeline,
                capacity,
                &general.rule,
            )?);
            target_only = false;
        }
        let field = general.field.as_ref().expect("allocated just above");
        if target_only {
            field.encode_grid_target(&ctx.queue, encoder, &general.pipeline, &params);
        } else {
            field.encode_grid(&ctx.queue, encoder, &general.pipeline, &params);
        }
        self.field_key = Some(key);
        self.bump_field_generation(!target_only);
        Ok(true)
    }

    fn bump_field_generation(&mut self, whole: bool) {
        if whole {
            self.field_generation[0] += 1;
        }
        self.field_generation[1] += 1;
    }

    /// Changes whenever the field's cells change: `target_too` false counts only dispatches
    /// that rewrote F (a new grid, model, view or node count), true also the target-only ones
    /// (the target's half: ∇L, L, the empirical Fisher). Cached drawings of the field compare
    /// it to know when they are stale.
    pub fn field_generation(&self, target_too: bool) -> u64 {
        self.field_generation[usize::from(target_too)]
    }

    /// Dispatches the one-point probe evaluation when its inputs changed.
    fn update_probe(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
    ) -> Result<(), GpuError> {
        let Some(probe) = scene.probe else {
            return Ok(());
        };
        if !uses_seed_kernel(scene) {
            self.ensure_general(ctx, scene.nodes)?;
            // A 1 × 1 grid of zero extent: its one cell sits exactly at the probe, which is
            // also its floating origin.
            let params = general_grid_params(
                probe,
                probe,
                1,
                1,
                &scene.model,
                &scene.slice,
                Some(&scene.model),
                scene.damping as f32,
                scene.metric,
            );
            let key = ProbeKey::General(params, scene.nodes);
            if self.probe_key == Some(key) {
                return Ok(());
            }
            if !matches!(self.probe_key, Some(ProbeKey::General(..))) {
                self.probe_generation += 1;
            }
            let general = self.general.as_ref().expect("ensured just above");
            general
                .probe
                .encode_grid(&ctx.queue, encoder, &general.pipeline, &params);
            self.probe_key = Some(key);
            return Ok(());
        }
        // The probe is its own floating origin (offset 0), so its Δ is formed in f64 and
        // stays exact however close to the diagonal and far from (0, 0) it sits.
        let params = FieldParams {
            damping: scene.damping as f32,
            cell_count: 1,
            grid: [1, 1],
            ..Default::default()
        }
        .with_origin(probe, scene.target());
        let input = PointInput {
            theta: [0.0, 0.0],
            target: params.target_y0,
            sigma: scene.model.sigma1 as f32,
            has_target: 1,
            _pad: [0; 2],
        };
        let key = ProbeKey::Seed(params, input, scene.nodes);
        if self.probe_key == Some(key) {
            return Ok(());
        }
        if matches!(self.probe_key, Some(ProbeKey::General(..))) {
            self.probe_generation += 1;
        }
        self.probe.upload_points(&ctx.queue, &[input]);
        self.probe.encode(
            &ctx.queue,
            encoder,
            &self.fim,
            FieldMode::Points,
            &params,
            None,
        );
        self.probe_key = Some(key);
        Ok(())
    }
}

/// A field buffer's capacity for `cells`: headroom so that panning (which changes the count by
/// a row or a column) does not reallocate every frame, within what one buffer may hold.
fn grown_capacity(ctx: &GpuContext, cells: u32) -> u32 {
    let capacity = cells.saturating_add(cells / 4).max(1024);
    capacity.min(cells.max(crate::compute::fim_field::max_cells(&ctx.device)))
}

/// The convergence map of `scene` over [`view_min`, `view_max`]: its convergence settings, the model
/// as base and target, the general kernel's node count.
pub fn convergence_spec(scene: &Scene, view_min: [f64; 2], view_max: [f64; 2]) -> MapSpec {
    let c = &scene.convergence;
    let maps = match c.view {
        crate::scene::ConvergenceView::Gd => {
            vec![(crate::compute::convergence::MapOptimizer::Gd, c.lr_gd)]
        }
        crate::scene::ConvergenceView::Ngd => {
            vec![(crate::compute::convergence::MapOptimizer::Ngd, c.lr_ngd)]
        }
        crate::scene::ConvergenceView::Split => {
            vec![
                (crate::compute::convergence::MapOptimizer::Gd, c.lr_gd),
                (crate::compute::convergence::MapOptimizer::Ngd, c.lr_ngd),
            ]
        }
    };
    MapSpec {
        base: scene.model,
        target: scene.model,
        slice: scene.slice,
        view_min,
        view_max,
        grid: c.grid.max(1),
        maps,
        max_steps: c.max_steps,
        threshold: c.threshold,
        loss_floor: crate::compute::convergence::LOSS_FLOOR,
        kappa_max: crate::compute::convergence::KAPPA_MAX,
        leave_margin: crate::compute::convergence::LEAVE_MARGIN,
        nodes: general_nodes(scene.nodes),
        steps_per_frame: c.steps_per_frame.max(1),
    }
}
