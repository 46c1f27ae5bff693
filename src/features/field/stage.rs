//! The field and probe stage: which kernel a scene goes to, the cache keys that decide when
//! the field and the probe are dispatched again, and the dispatches.

use super::stage_drag::{CoarseCells, CoarseField};
use super::stage_layout::GridLayout;
use crate::compute::fim_field::{FieldData, FieldMode, FimFieldPipeline, grid_params};
use crate::compute::general::{GeneralData, GeneralPipeline};
use crate::compute::policy::{PolicyData, PolicyParams, PolicyPipeline};
use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::general_data::{GeneralGridParams, general_grid_params};
use crate::gpu::gpu_data::{FieldCell, FieldParams, PointInput};
use crate::math::policy::System;
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
        && scene.grid_ellipse_source() == crate::scene::EllipseSource::EmpiricalFisher;
    scene.features.heatmap.reads_target() || ef_glyphs
}

/// Whether `scene` goes to the seed kernel: its slice and model, and the induced metric (on the
/// seed's slice the profiled metric differs: π and the σ's are held there).
pub fn uses_seed_kernel(scene: &Scene) -> bool {
    scene.seed_sigma().is_some() && scene.metric == Metric::Induced
}

/// Everything that determines the field buffer's contents: the kernel's parameters and the node
/// count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum FieldKey {
    Seed(FieldParams, u32),
    General(GeneralGridParams, u32),
    Policy(PolicyParams),
}

impl FieldKey {
    /// Whether cells computed for `old` already hold this key's F (the same kernel, node
    /// count, grid, model and metric; only the target or the damping differs): the
    /// target-only pass then brings them up to this key.
    pub(super) fn same_fisher_as(&self, old: &FieldKey) -> bool {
        match (self, old) {
            (FieldKey::Seed(params, nodes), FieldKey::Seed(old, old_nodes)) => {
                nodes == old_nodes
                    && FieldParams {
                        target_y0: params.target_y0,
                        damping: params.damping,
                        ..*old
                    } == *params
            }
            (FieldKey::General(params, nodes), FieldKey::General(old, old_nodes)) => {
                nodes == old_nodes && params.same_metric_as(old)
            }
            _ => false,
        }
    }
}

/// The seed kernel's key for `scene` over `layout`. The floating origin is the grid's
/// lower-left corner, a multiple of the cell size: it moves only when a pan crosses a cell, so
/// the cached field stays valid otherwise.
pub(super) fn seed_field_key(scene: &Scene, layout: &GridLayout) -> FieldKey {
    let params = grid_params(
        layout.origin,
        layout.far_corner(),
        layout.columns,
        layout.rows,
        scene.model.sigma1 as f32,
        scene.target(),
        scene.damping as f32,
    );
    FieldKey::Seed(params, scene.nodes)
}

/// The general kernel's key for `scene` over `layout` (the target is the scene's model).
pub(super) fn general_field_key(scene: &Scene, layout: &GridLayout) -> FieldKey {
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
    FieldKey::General(params, scene.nodes)
}

/// The policy plane's key for `system` over `layout`.
fn policy_field_key(system: &System, damping: f64, layout: &GridLayout) -> FieldKey {
    let far = layout.far_corner();
    let (columns, rows) = (layout.columns, layout.rows);
    let cell_size = [
        (far[0] - layout.origin[0]) / columns as f64,
        (far[1] - layout.origin[1]) / rows as f64,
    ];
    FieldKey::Policy(
        PolicyParams::new(system, damping).with_grid(layout.origin, cell_size, [columns, rows]),
    )
}

/// The probe's inputs, per kernel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum ProbeKey {
    Seed(FieldParams, PointInput, u32),
    General(GeneralGridParams, u32),
    Policy(PolicyParams),
}

/// The policy plane's kernel and its field and probe buffers, built on first use.
pub(super) struct PolicyStage {
    pub(super) pipeline: PolicyPipeline,
    pub(super) field: Option<PolicyData>,
    pub(super) probe: PolicyData,
}

/// The general kernel's node table and buffers (field and one-cell probe), built on first use.
pub(super) struct GeneralStage {
    pub(super) pipeline: GeneralPipeline,
    pub(super) rule: QuadratureRule,
    pub(super) field: Option<GeneralData>,
    pub(super) probe: GeneralData,
}

/// The field stage: the seed kernel's pipeline and node table, the field over the view's grid
/// and the probe (on whichever kernel the scene goes to: seed, general or the policy plane's),
/// a drag's coarse field, and the keys that decide when each is dispatched again.
pub struct FieldStage {
    pub(super) fim: FimFieldPipeline,
    pub(super) rule: QuadratureRule,
    pub(super) field: Option<FieldData>,
    pub(super) field_key: Option<FieldKey>,
    pub(super) probe: FieldData,
    pub(super) probe_key: Option<ProbeKey>,
    pub(super) probe_generation: u64,
    /// Bumped by every field dispatch: [whole cells (F and the target's half), any].
    pub(super) field_generation: [u64; 2],
    /// A target handle is being dragged (the viewer says so before each frame).
    pub(super) dragging: bool,
    /// The coarse field of a drag (`stage_drag.rs`), and whether this frame's heatmap shows it.
    pub(super) coarse: Option<CoarseField>,
    pub(super) coarse_shown: bool,
    pub(super) general: Option<GeneralStage>,
    /// The policy plane's kernel (compiled on first use).
    pub(super) policy: Option<PolicyStage>,
    /// Kernels built ahead ([`FieldStage::adopt`]), taken instead of compiling on first use.
    ahead_general: Option<GeneralPipeline>,
    ahead_policy: Option<PolicyPipeline>,
}

impl FieldStage {
    /// Builds the seed kernel's pipeline and the probe's buffers; the other kernels are built
    /// on first use.
    pub fn new(ctx: &GpuContext) -> Result<Self, GpuError> {
        let fim = FimFieldPipeline::new(&ctx.device);
        let rule = QuadratureRule::new(crate::math::quadrature::DEFAULT_NODES_F32)
            .expect("the default node count is valid");
        let probe = FieldData::new(ctx, &fim, 1, &rule)?;
        Ok(Self {
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
            ahead_general: None,
            ahead_policy: None,
        })
    }

    /// Takes the general and the policy plane's kernels built ahead
    /// ([`crate::simulation::PipelinesAhead`]): their first use then compiles nothing.
    pub fn adopt(&mut self, general: GeneralPipeline, policy: PolicyPipeline) {
        self.ahead_general = Some(general);
        self.ahead_policy = Some(policy);
    }

    /// Whether a target handle is being dragged this frame.
    pub fn dragging(&self) -> bool {
        self.dragging
    }

    /// The field's cell buffer and the number of valid cells, once a field was computed.
    pub fn cells(&self) -> Option<(&wgpu::Buffer, u32)> {
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
    /// kernels): bind groups made from [`FieldStage::probe_buffer`] must be rebuilt when it
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

    /// Whether the field holds `scene`'s F over `layout`'s cells: its key is `scene`'s over
    /// `layout`, or differs only in the target's half (which the target-only pass redoes over
    /// the cells it has). A canvas that narrows keeps such a grid rather than recomputing a
    /// smaller one (`SceneRenderer::plan_frame`).
    pub fn holds_fisher_for(&self, scene: &Scene, layout: &GridLayout) -> bool {
        let Some(old) = self.field_key else {
            return false;
        };
        let key = match &scene.system {
            Some(system) => policy_field_key(system, scene.damping, layout),
            None if uses_seed_kernel(scene) => seed_field_key(scene, layout),
            None => general_field_key(scene, layout),
        };
        key == old || key.same_fisher_as(&old)
    }

    /// Forgets the field so the next frame recomputes it (benchmarking the "dragging" case).
    pub fn invalidate(&mut self) {
        self.field_key = None;
    }
}

impl FieldStage {
    /// Replaces the node table (and with it the field and probe buffers) when Q changed.
    pub(super) fn ensure_rule(&mut self, ctx: &GpuContext, nodes: u32) -> Result<(), GpuError> {
        if self.rule.nodes_per_component() == nodes {
            return Ok(());
        }
        self.rule =
            QuadratureRule::new(nodes).map_err(|e| GpuError::InvalidInput(e.to_string()))?;
        self.field = None;
        self.field_key = None;
        self.coarse = None;
        self.probe = FieldData::new(ctx, &self.fim, 1, &self.rule)?;
        self.probe_key = None;
        // The probe buffer is new: whoever draws from it must bind it again.
        self.probe_generation += 1;
        Ok(())
    }

    /// The general stage with the node table for a scene asking for `nodes`, (re)built when
    /// that changed.
    pub(super) fn ensure_general(&mut self, ctx: &GpuContext, nodes: u32) -> Result<(), GpuError> {
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
            None => self.ahead_general.take()
                .unwrap_or_else(|| GeneralPipeline::new(&ctx.device)),
        };
        let probe = GeneralData::new(ctx, &pipeline, 1, &rule)?;
        // Coarse general cells were made with the old node table.
        if matches!(
            self.coarse,
            Some(CoarseField {
                cells: CoarseCells::General(_),
                ..
            })
        ) {
            self.coarse = None;
        }
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
    pub fn update_field(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
        layout: &GridLayout,
    ) -> Result<bool, GpuError> {
        // Set again below by a drag frame that draws from the coarse field.
        self.coarse_shown = false;
        if let Some(system) = &scene.system {
            return self.update_policy_field(ctx, encoder, system, scene.damping, layout);
        }
        let key = if uses_seed_kernel(scene) {
            self.ensure_rule(ctx, scene.nodes)?;
            seed_field_key(scene, layout)
        } else {
            self.ensure_general(ctx, scene.nodes)?;
            general_field_key(scene, layout)
        };
        let Some(target_only) = self.full_grid_pass(ctx, encoder, scene, layout, key)? else {
            return Ok(false);
        };
        let whole = match &key {
            FieldKey::Seed(params, _) => {
                self.dispatch_seed(ctx, encoder, layout.cells(), params, target_only)?
            }
            FieldKey::General(params, _) => {
                self.dispatch_general(ctx, encoder, layout.cells(), params, target_only)?
            }
            FieldKey::Policy(_) => unreachable!("the policy plane returned above"),
        };
        self.bump_field_generation(whole);
        self.field_key = Some(key);
        Ok(true)
    }

    /// The seed kernel's pass over `cells` cells: the target's half alone when `target_only`
    /// and the buffer holds the cells already, else whole cells (true).
    fn dispatch_seed(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        cells: u32,
        params: &FieldParams,
        target_only: bool,
    ) -> Result<bool, GpuError> {
        let mut mode = if target_only {
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
        field.encode(&ctx.queue, encoder, &self.fim, mode, params, None);
        Ok(mode == FieldMode::Grid)
    }

    /// The general kernel's pass (any slice, either metric), as [`Self::dispatch_seed`].
    fn dispatch_general(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        cells: u32,
        params: &GeneralGridParams,
        target_only: bool,
    ) -> Result<bool, GpuError> {
        let capacity = grown_capacity(ctx, cells);
        let general = self.general.as_mut().expect("ensured by update_field");
        let reallocated = general.field.as_ref().is_none_or(|f| f.capacity() < cells);
        if reallocated {
            general.field = Some(GeneralData::new(
                ctx,
                &general.pipeline,
                capacity,
                &general.rule,
            )?);
        }
        let field = general.field.as_ref().expect("allocated just above");
        if target_only && !reallocated {
            field.encode_grid_target(&ctx.queue, encoder, &general.pipeline, params);
            Ok(false)
        } else {
            field.encode_grid(&ctx.queue, encoder, &general.pipeline, params);
            Ok(true)
        }
    }

    /// Whether the full grid is dispatched this frame for `key` (seed or general), and how:
    /// None when nothing is (the key is current, or only the target's half changed and either
    /// nothing drawn reads it or a drag draws from the coarse field, which this dispatches);
    /// Some(true) for the target-only pass, Some(false) for the whole cells.
    fn full_grid_pass(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
        layout: &GridLayout,
        key: FieldKey,
    ) -> Result<Option<bool>, GpuError> {
        if self.field_key == Some(key) {
            return Ok(None);
        }
        // F does not depend on the target: when only the target (or the damping) changed, as
        // while a handle is dragged, the cells keep F and only the target's half is redone.
        let target_only = self.field_key.is_some_and(|old| key.same_fisher_as(&old));
        if target_only && !draws_target_half(scene) {
            // Nothing drawn reads ∇L, L, ñ or the EF of the cells: the target-only pass waits
            // (the key stays the old one) until something does.
            return Ok(None);
        }
        if target_only && self.drags_coarse(scene) {
            // Mid-drag: the heatmap draws from the coarse field; the full grid's target half
            // waits for the frame after the drag (its key stays the old one).
            let general = matches!(key, FieldKey::General(..));
            self.update_coarse(ctx, encoder, scene, layout, general)?;
            return Ok(None);
        }
        Ok(Some(target_only))
    }

    /// The policy plane's stage, built on first use.
    fn ensure_policy(&mut self, ctx: &GpuContext) -> Result<&mut PolicyStage, GpuError> {
        if self.policy.is_none() {
            let pipeline = self.ahead_policy.take()
                .unwrap_or_else(|| PolicyPipeline::new(&ctx.device));
            let probe = PolicyData::new(ctx, &pipeline, 1)?;
            self.policy = Some(PolicyStage {
                pipeline,
                field: None,
                probe,
            });
        }
        Ok(self.policy.as_mut().expect("built just above"))
    }

    /// The policy plane's field over `layout`: one closed-form pass (no target-only pass: the
    /// target K* moves only with the system, which changes every cell).
    pub(super) fn update_policy_field(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        system: &System,
        damping: f64,
        layout: &GridLayout,
    ) -> Result<bool, GpuError> {
        let key = policy_field_key(system, damping, layout);
        let FieldKey::Policy(params) = key else {
            unreachable!("a policy key")
        };
        if self.field_key == Some(key) {
            return Ok(false);
        }
        let cells = layout.cells();
        let capacity = grown_capacity(ctx, cells);
        let stage = self.ensure_policy(ctx)?;
        if stage.field.as_ref().is_none_or(|f| f.capacity() < cells) {
            stage.field = Some(PolicyData::new(ctx, &stage.pipeline, capacity)?);
        }
        let field = stage.field.as_ref().expect("allocated just above");
        field.encode(&ctx.queue, encoder, &stage.pipeline, &params, None);
        self.field_key = Some(key);
        self.bump_field_generation(true);
        Ok(true)
    }

    pub(super) fn bump_field_generation(&mut self, whole: bool) {
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
    pub fn update_probe(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
    ) -> Result<(), GpuError> {
        let Some(probe) = scene.probe else {
            return Ok(());
        };
        if let Some(system) = &scene.system {
            // A 1 × 1 grid of zero extent at the probe: its cell is the probe's K.
            let params =
                PolicyParams::new(system, scene.damping).with_grid(probe, [0.0, 0.0], [1, 1]);
            let key = ProbeKey::Policy(params);
            if self.probe_key == Some(key) {
                return Ok(());
            }
            if !matches!(self.probe_key, Some(ProbeKey::Policy(..))) {
                self.probe_generation += 1;
            }
            let stage = self.ensure_policy(ctx)?;
            stage
                .probe
                .encode(&ctx.queue, encoder, &stage.pipeline, &params, None);
            self.probe_key = Some(key);
            return Ok(());
        }
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
            shape: [1, 1],
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
        if matches!(
            self.probe_key,
            Some(ProbeKey::General(..) | ProbeKey::Policy(..))
        ) {
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
pub(super) fn grown_capacity(ctx: &GpuContext, cells: u32) -> u32 {
    let capacity = cells.saturating_add(cells / 4).max(1024);
    capacity.min(cells.max(crate::compute::fim_field::max_cells(&ctx.device)))
}
