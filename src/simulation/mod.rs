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
//! Each stage's code lives beside this file: the field and the probe (`field.rs`), its grid
//! (`layout.rs`), the particles (`particles.rs`), the geodesic ball (`ball.rs`) and the
//! convergence map (`convergence.rs`).

mod drag_field;
mod family;
mod field;
mod layout;

pub use crate::features::convergence::stage::convergence_spec;
pub use crate::features::flow::stage::{
    CONVERGE_RADIUS_POLICY, CONVERGE_RADIUS_SIGMAS, ParticleKey, default_particle_count,
    flow_params, flow_uses_general_kernel,
};
pub use crate::features::geodesics::stage_ball::{BallKey, BallView, DRAG_RAYS, ball_key};
pub use drag_field::{COARSE_CELLS, coarse_factor};
pub use family::*;
pub use field::*;
pub use layout::*;

use crate::features::geodesics::stage_ball::GeodesicStage;
use drag_field::CoarseField;
use field::{FieldKey, GeneralStage, PolicyStage, ProbeKey};

use crate::compute::convergence::ConvergenceMap;
use crate::compute::fim_field::{FieldData, FieldMode, FimFieldPipeline, grid_params};
use crate::compute::general::{GeneralData, GeneralPipeline};
use crate::compute::policy::{PolicyData, PolicyParams, PolicyPipeline};
use crate::features::convergence::stage::MapStage;
use crate::features::flow::stage::FlowStage;
use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::general_data::{GeneralGridParams, general_grid_params};
use crate::gpu::geodesic_data::{
    BallFrame, ball_frame, geodesic_params, policy_ball_frame, policy_geodesic_params,
};
use crate::gpu::gpu_data::{FieldCell, FieldParams, FlowParams, PointInput};
use crate::jobs::{JobMode, SceneJobs};
use crate::math::policy::System;
use crate::math::{Metric, QuadratureRule};
use crate::scene::Scene;

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
    /// A target handle is being dragged (the viewer says so before each frame).
    dragging: bool,
    /// The coarse field of a drag (`drag_field.rs`), and whether this frame's heatmap shows it.
    coarse: Option<CoarseField>,
    coarse_shown: bool,
    general: Option<GeneralStage>,
    /// The policy plane's kernel (compiled on first use).
    policy: Option<PolicyStage>,
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
    /// Builds the compute pipelines and the probe's buffers.
    pub fn new(ctx: &GpuContext) -> Result<Self, GpuError> {
        let fim = FimFieldPipeline::new(&ctx.device);
        let rule = QuadratureRule::new(crate::math::quadrature::DEFAULT_NODES_F32)
            .expect("the default node count is valid");
        let probe = FieldData::new(ctx, &fim, 1, &rule)?;
        Ok(Self {
            flow: FlowStage::new(ctx),
            fim,
            rule,
            field: None,
            field_key: None,
            probe,
            probe_key: None,
            probe_generation: 0,
            field_generation: [0; 2],
            dragging: false,
            coarse: None,
            coarse_shown: false,
            general: None,
            policy: None,
            geodesic: GeodesicStage::default(),
            convergence: MapStage::default(),
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
        self.geodesic.update(ctx, encoder, scene, self.dragging)?;
        Ok(SimulationReport { field_recomputed })
    }

    /// The field's cell buffer and the number of valid cells, once a field was computed.
    pub fn field(&self) -> Option<(&wgpu::Buffer, u32)> {
        match self.field_key? {
            FieldKey::Seed(p, _) => Some((self.field.as_ref()?.cells_buffer(), p.cell_count)),
            FieldKey::General(p, _) => Some((
                self.general.as_ref()?.field.as_ref()?.cells_buffer(),
                p.cell_count,
            )),
            FieldKey::Policy(p) => Some((
                self.policy.as_ref()?.field.as_ref()?.cells_buffer(),
                p.cell_count,
            )),
        }
    }

    /// The probe's one-cell buffer (always allocated; meaningful once a probe was evaluated):
    /// the seed kernel's or the general kernel's, whichever evaluated the last probe.
    pub fn probe_buffer(&self) -> &wgpu::Buffer {
        match (&self.probe_key, &self.general, &self.policy) {
            (Some(ProbeKey::General(..)), Some(general), _) => general.probe.cells_buffer(),
            (Some(ProbeKey::Policy(..)), _, Some(policy)) => policy.probe.cells_buffer(),
            _ => self.probe.cells_buffer(),
        }
    }

    /// Bumped whenever the probe buffer is replaced (a node-count change, a switch between the
    /// kernels): bind groups made from [`Simulation::probe_buffer`] must be rebuilt when it
    /// moves.
    pub fn probe_generation(&self) -> u64 {
        self.probe_generation
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
            Some(FieldKey::Policy(p)) => {
                match self.policy.as_ref().and_then(|g| g.field.as_ref()) {
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
            Some(ProbeKey::Policy(..)) => match &self.policy {
                Some(g) => g.probe.read_cells(ctx, 1)?.first().copied(),
                None => None,
            },
            None => None,
        };
        Ok((field, probe))
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

    /// Steps the flow's particles (spawning them when their key changed): the buffer to draw,
    /// its count and key; None while the flow is off.
    pub fn step_particles(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
        visible: ([f64; 2], [f64; 2]),
    ) -> Result<Option<(&wgpu::Buffer, u32, ParticleKey)>, GpuError> {
        self.flow.step(ctx, encoder, scene, visible)
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

    /// Forgets the field so the next frame recomputes it (benchmarking the "dragging" case).
    pub fn invalidate_field(&mut self) {
        self.field_key = None;
    }
}
