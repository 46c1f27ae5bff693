//! The simulation stage: every compute dispatch a frame needs, apart from drawing, and the
//! CPU jobs it asks for. It owns the FIM field over the view's grid, the one-point probe
//! evaluation, the flow's particles, the geodesic ball, the convergence map and the scene's
//! background jobs ([`SceneJobs`]: race, paths, estimates, the K-FAC lab), with the cache keys
//! that decide when each is recomputed, and hands the renderer what to draw from. A new compute
//! stage is one more member here; the draw code does not change.
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
//! read back (except [`Simulation::read_field_and_probe`], for tests). The jobs are requested
//! for the scene and polled at the start of every update.
//!
//! Each stage is its feature's (`src/features/<name>/stage*.rs`) and one member here: the field
//! and the probe (`field::stage::FieldStage`, with a drag's coarse field and the grid over the
//! view), the particles (`flow::stage::FlowStage`), the geodesic ball
//! (`geodesics::stage_ball::GeodesicStage`) and the convergence map
//! (`convergence::stage::MapStage`). This file owns them and the jobs, and answers the
//! renderer; `family.rs` holds each family's half of the stages that run on either family.

mod ahead;
mod family;

pub use crate::features::convergence::stage::convergence_spec;
pub use crate::features::field::stage::{
    FieldStage, draws_target_half, general_nodes, uses_seed_kernel,
};
pub use crate::features::field::stage_drag::{COARSE_CELLS, coarse_factor};
pub use crate::features::field::stage_layout::{GridLayout, max_grid};
pub use crate::features::flow::stage::{
    CONVERGE_RADIUS_POLICY, CONVERGE_RADIUS_SIGMAS, ParticleKey, default_particle_count,
    flow_params, flow_uses_general_kernel,
};
pub use crate::features::geodesics::stage_ball::{
    BallKey, BallView, DRAG_RAYS, RAY_DISPATCHES_PER_FRAME, ball_key,
};
pub use ahead::{PipelinesAhead, PipelinesUnderWay};
pub use family::*;

use crate::features::geodesics::stage_ball::GeodesicStage;

use crate::compute::convergence::ConvergenceMap;
use crate::features::convergence::stage::MapStage;
use crate::features::flow::stage::FlowStage;
use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::geodesic_data::{
    BallFrame, ball_frame, geodesic_params, policy_ball_frame, policy_geodesic_params,
};
use crate::gpu::gpu_data::{FieldCell, FlowParams};
use crate::jobs::{JobMode, SceneJobs};
use crate::math::QuadratureRule;
use crate::scene::Scene;

/// The compute stages of a frame and their cached inputs.
pub struct Simulation {
    /// The field over the view's grid, the probe and a drag's coarse field.
    field: FieldStage,
    flow: FlowStage,
    geodesic: GeodesicStage,
    /// The convergence map (pipeline compiled on first use).
    convergence: MapStage,
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
    /// Builds the seed kernel's and the particles' pipelines and the probe's buffers; the other
    /// stages build theirs on first use, or take them built ahead ([`Simulation::adopt`]).
    pub fn new(ctx: &GpuContext) -> Result<Self, GpuError> {
        Ok(Self {
            field: FieldStage::new(ctx)?,
            flow: FlowStage::new(ctx),
            geodesic: GeodesicStage::default(),
            convergence: MapStage::default(),
            jobs: SceneJobs::new(JobMode::Background),
        })
    }

    /// Takes the pipelines built ahead ([`PipelinesAhead`]): the stages that would compile theirs
    /// on first use (the general kernel, the policy plane's field, the balls, the maps) have them.
    pub fn adopt(&mut self, ctx: &GpuContext, ahead: PipelinesAhead) {
        self.field.adopt(ahead.general, ahead.policy);
        self.geodesic.adopt(ahead.balls);
        self.convergence.adopt(ctx, ahead.maps);
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
        let field_recomputed = self.field.update_field(ctx, encoder, scene, layout)?;
        self.field.update_probe(ctx, encoder, scene)?;
        let mode = self.jobs.mode();
        self.geodesic
            .update(ctx, encoder, scene, self.field.dragging(), mode)?;
        Ok(SimulationReport { field_recomputed })
    }

    /// The field's cell buffer and the number of valid cells, once a field was computed.
    pub fn field(&self) -> Option<(&wgpu::Buffer, u32)> {
        self.field.cells()
    }

    /// The probe's one-cell buffer (always allocated; meaningful once a probe was evaluated).
    pub fn probe_buffer(&self) -> &wgpu::Buffer {
        self.field.probe_buffer()
    }

    /// Bumped whenever the probe buffer is replaced: bind groups made from
    /// [`Simulation::probe_buffer`] must be rebuilt when it moves.
    pub fn probe_generation(&self) -> u64 {
        self.field.probe_generation()
    }

    /// Whether the field holds `scene`'s F over `layout`'s cells
    /// ([`FieldStage::holds_fisher_for`]).
    pub fn field_holds_fisher_for(&self, scene: &Scene, layout: &GridLayout) -> bool {
        self.field.holds_fisher_for(scene, layout)
    }

    /// Whether every result is computed inside the frame that needs it (captures, screenshots,
    /// tests; [`JobMode::Deterministic`]).
    pub fn deterministic(&self) -> bool {
        self.jobs.mode() == JobMode::Deterministic
    }

    /// Changes whenever the field's cells change ([`FieldStage::field_generation`]).
    pub fn field_generation(&self, target_too: bool) -> u64 {
        self.field.field_generation(target_too)
    }

    /// Reads back the cells of the last computed field and the last computed probe cell, for
    /// tests ([`FieldStage::read_field_and_probe`]); waits for the GPU.
    pub fn read_field_and_probe(
        &self,
        ctx: &GpuContext,
    ) -> Result<(Vec<FieldCell>, Option<FieldCell>), GpuError> {
        self.field.read_field_and_probe(ctx)
    }

    /// Whether the viewer is dragging a target handle this frame (set before each frame).
    pub fn set_dragging(&mut self, dragging: bool) {
        self.field.set_dragging(dragging);
    }

    /// The coarse field the heatmap draws from this frame, with its grid; None when the full
    /// field's cells are current (no drag, or the drag has ended).
    pub fn coarse_field(&self) -> Option<(&wgpu::Buffer, u32, GridLayout)> {
        self.field.coarse_field()
    }

    /// True while the heatmap shows the coarse field: the viewer must draw one more frame
    /// once the drag ends, which reruns the full grid.
    pub fn needs_refinement(&self) -> bool {
        self.field.needs_refinement()
    }

    /// True while work spread over frames is under way for `scene` (the geodesic ball, its
    /// convergence map) or the heatmap awaits its refinement: the viewer keeps drawing frames
    /// until it is done, even when nothing else moves. A map turned off midway is kept (turned
    /// on again it goes on) but asks for no frames.
    pub fn in_progress(&self, scene: &Scene) -> bool {
        let map = scene.features.convergence.enabled
            && scene.offers(crate::scene::Feature::ConvergenceMap)
            && self.convergence.in_progress();
        self.field.needs_refinement() || self.geodesic.in_progress() || map
    }

    /// Forgets the field so the next frame recomputes it (benchmarking the "dragging" case).
    pub fn invalidate_field(&mut self) {
        self.field.invalidate();
    }

    /// Deterministic frames (captures, screenshots, tests): every job's result and the whole
    /// convergence map are computed inside the frame that needs them, so a frame shows its own
    /// scene whatever the machine's speed. Background (the default): they arrive when ready.
    pub fn set_mode(&mut self, mode: JobMode) {
        self.jobs.set_mode(mode);
    }

    /// The geodesic ball for `scene`, once computed for its current key (None when the ball is
    /// off, there is no probe, or the probe could not start one).
    pub fn geodesic_ball(&self, scene: &Scene) -> Option<BallView<'_>> {
        self.geodesic.ball(scene)
    }

    /// The convergence map's frame share: (re)starts it when the scene's model, slice,
    /// settings or the `visible` rectangle (its min and max corners) changed, then dispatches
    /// one chunk (or, in deterministic mode, runs it to the end). Nothing when the map is off.
    pub fn update_convergence(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
        visible: ([f64; 2], [f64; 2]),
    ) -> Result<(), GpuError> {
        let mode = self.jobs.mode();
        self.convergence.update(ctx, encoder, scene, visible, mode)
    }

    /// The current convergence map, if one was started.
    pub fn convergence_map(&self) -> Option<&ConvergenceMap> {
        self.convergence.map()
    }

    /// Starts the convergence map again on the next frame (the panel's restart button).
    pub fn restart_convergence(&mut self) {
        self.convergence.restart();
    }

    /// The flow's stage: its particles, stepped by the renderer before it draws their trails.
    pub fn flow_mut(&mut self) -> &mut FlowStage {
        &mut self.flow
    }

    /// The particle count the scene asks for, or the adapter's default.
    pub fn particle_count(&self, scene: &Scene) -> u32 {
        self.flow.particle_count(scene)
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
        self.flow.forget();
        self.restart_convergence();
    }
}
