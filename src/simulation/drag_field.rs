//! The coarse field of a target drag. While a target handle is dragged and a heatmap is the
//! only thing drawn from the cells' target half (∇L, L, ñ), each drag frame reruns that half
//! on a grid of half the density (a quarter of the cells, [`GridLayout::coarsened`]) instead of
//! the whole grid: on llvmpipe the whole grid's target-only pass is most of a drag frame
//! (~100 ms of 150 on the unequal preset at grid 128). The heatmap draws from the coarse
//! cells meanwhile (it interpolates between cell centres, so it stays smooth), and the first
//! frame after the drag ends reruns the full grid's target half, so a handle at rest always
//! shows the full field. F's ellipses never read the target half; with the EF's ellipses on
//! every frame runs the full grid as before, and so does every frame not marked as a drag
//! (captures and tests).

use super::*;

/// The coarse cells of one kernel.
pub(super) enum CoarseCells {
    Seed(FieldData),
    General(GeneralData),
}

/// The coarse field: its cells, the key they hold (F and the target's half) and its grid.
pub(super) struct CoarseField {
    pub(super) cells: CoarseCells,
    pub(super) key: FieldKey,
    pub(super) layout: GridLayout,
}

impl CoarseField {
    fn buffer(&self) -> &wgpu::Buffer {
        match &self.cells {
            CoarseCells::Seed(data) => data.cells_buffer(),
            CoarseCells::General(data) => data.cells_buffer(),
        }
    }

    fn capacity(&self) -> u32 {
        match &self.cells {
            CoarseCells::Seed(data) => data.capacity(),
            CoarseCells::General(data) => data.capacity(),
        }
    }
}

/// About as many cells as a drag frame's coarse field should have: 3000 cells are ~5 ms of
/// the general kernel's target-only pass on llvmpipe here, and a heatmap that still shows its
/// contours' shapes (grid ~50 across the view's height).
pub const COARSE_CELLS: u32 = 3000;

/// How much coarser than `layout` a drag frame's field is: the smallest factor that brings it
/// to about [`COARSE_CELLS`] cells, at least 2 (1 would be the full grid).
pub fn coarse_factor(layout: &GridLayout) -> u32 {
    let ratio = layout.cells() as f64 / COARSE_CELLS as f64;
    (ratio.sqrt().ceil() as u32).max(2)
}

impl Simulation {
    /// Whether the viewer is dragging a target handle this frame (set before each frame).
    pub fn set_dragging(&mut self, dragging: bool) {
        self.dragging = dragging;
    }

    /// Whether this frame's moved target goes to the coarse field: a drag (only the viewer
    /// says so: captures and tests never do), with a heatmap the only reader of the target's
    /// half.
    pub(super) fn drags_coarse(&self, scene: &Scene) -> bool {
        let ef_glyphs = scene.layers.ellipses
            && scene.grid_ellipse_source() == crate::scene::EllipseSource::EmpiricalFisher;
        self.dragging && scene.heatmap.reads_target() && !ef_glyphs
    }

    /// The coarse field the heatmap draws from this frame, with its grid; None when the full
    /// field's cells are current (no drag, or the drag has ended).
    pub fn coarse_field(&self) -> Option<(&wgpu::Buffer, u32, GridLayout)> {
        if !self.coarse_shown {
            return None;
        }
        let coarse = self.coarse.as_ref()?;
        Some((coarse.buffer(), coarse.layout.cells(), coarse.layout))
    }

    /// True while the heatmap shows the coarse field: the viewer must draw one more frame
    /// once the drag ends, which reruns the full grid.
    pub fn needs_refinement(&self) -> bool {
        self.coarse_shown
    }

    /// The seed kernel's coarse field for this frame's target: the target-only pass when the
    /// coarse cells already hold F for this view, else the whole pass.
    pub(super) fn update_coarse_seed(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
        layout: &GridLayout,
    ) -> Result<(), GpuError> {
        let coarse_layout = layout.coarsened(coarse_factor(layout));
        let params = grid_params(
            coarse_layout.origin,
            coarse_layout.far_corner(),
            coarse_layout.columns,
            coarse_layout.rows,
            scene.model.sigma1 as f32,
            scene.target(),
            scene.damping as f32,
        );
        let key = FieldKey::Seed(params, scene.nodes);
        self.coarse_shown = true;
        let cells = coarse_layout.cells();
        let reuse = match &self.coarse {
            Some(c) if c.key == key => return Ok(()),
            Some(CoarseField {
                cells: CoarseCells::Seed(data),
                key: FieldKey::Seed(old, nodes),
                ..
            }) => {
                let same_fisher = *nodes == scene.nodes
                    && FieldParams {
                        target_y0: params.target_y0,
                        damping: params.damping,
                        ..*old
                    } == params;
                (data.capacity() >= cells).then_some(same_fisher)
            }
            _ => None,
        };
        let mode = if reuse == Some(true) {
            FieldMode::GridTarget
        } else {
            FieldMode::Grid
        };
        if reuse.is_none() {
            let data = FieldData::new(ctx, &self.fim, grown_capacity(ctx, cells), &self.rule)?;
            self.coarse = Some(CoarseField {
                cells: CoarseCells::Seed(data),
                key,
                layout: coarse_layout,
            });
        }
        let coarse = self.coarse.as_mut().expect("allocated just above");
        let CoarseCells::Seed(data) = &coarse.cells else {
            unreachable!("a seed key was matched or allocated just above");
        };
        data.encode(&ctx.queue, encoder, &self.fim, mode, &params, None);
        coarse.key = key;
        coarse.layout = coarse_layout;
        // The heatmap's cached drawing follows the target's half of either field.
        self.bump_field_generation(false);
        Ok(())
    }

    /// The general kernel's coarse field for this frame's target (as [`Self::update_coarse_seed`]).
    pub(super) fn update_coarse_general(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
        layout: &GridLayout,
    ) -> Result<(), GpuError> {
        let coarse_layout = layout.coarsened(coarse_factor(layout));
        let params = general_grid_params(
            coarse_layout.origin,
            coarse_layout.far_corner(),
            coarse_layout.columns,
            coarse_layout.rows,
            &scene.model,
            &scene.slice,
            Some(&scene.model),
            scene.damping as f32,
            scene.metric,
        );
        let key = FieldKey::General(params, scene.nodes);
        self.coarse_shown = true;
        let cells = coarse_layout.cells();
        let reuse = match &self.coarse {
            Some(c) if c.key == key => return Ok(()),
            Some(
                c @ CoarseField {
                    cells: CoarseCells::General(_),
                    key: FieldKey::General(old, nodes),
                    ..
                },
            ) => (c.capacity() >= cells)
                .then_some(*nodes == scene.nodes && params.same_metric_as(old)),
            _ => None,
        };
        let general = self
            .general
            .as_ref()
            .expect("the general stage is ensured first");
        if reuse.is_none() {
            let data = GeneralData::new(
                ctx,
                &general.pipeline,
                grown_capacity(ctx, cells),
                &general.rule,
            )?;
            self.coarse = Some(CoarseField {
                cells: CoarseCells::General(data),
                key,
                layout: coarse_layout,
            });
        }
        let coarse = self.coarse.as_mut().expect("allocated just above");
        let CoarseCells::General(data) = &coarse.cells else {
            unreachable!("a general key was matched or allocated just above");
        };
        if reuse == Some(true) {
            data.encode_grid_target(&ctx.queue, encoder, &general.pipeline, &params);
        } else {
            data.encode_grid(&ctx.queue, encoder, &general.pipeline, &params);
        }
        coarse.key = key;
        coarse.layout = coarse_layout;
        self.bump_field_generation(false);
        Ok(())
    }
}
