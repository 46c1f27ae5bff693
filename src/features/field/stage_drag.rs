//! The coarse field of a target drag. While a target handle is dragged and a heatmap is the
//! only thing drawn from the cells' target half (∇L, L, ñ), each drag frame reruns that half
//! on a coarser grid over the same region (about [`COARSE_CELLS`] cells: a third of the
//! density at grid 128, [`GridLayout::coarsened`]) instead of the whole grid: on llvmpipe the
//! whole grid's target-only pass was most of a drag frame (~100 ms of 150 on the unequal
//! preset at grid 128). The heatmap draws from the coarse
//! cells meanwhile (it interpolates between cell centres, so it stays smooth), and the first
//! frame after the drag ends reruns the full grid's target half, so a handle at rest always
//! shows the full field. F's ellipses never read the target half; with the EF's ellipses on
//! every frame runs the full grid as before, and so does every frame not marked as a drag
//! (captures and tests).

use super::stage::{FieldKey, FieldStage, general_field_key, grown_capacity, seed_field_key};
use super::stage_layout::GridLayout;
use crate::compute::fim_field::{FieldData, FieldMode};
use crate::compute::general::GeneralData;
use crate::gpu::context::{GpuContext, GpuError};
use crate::scene::Scene;

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

/// About as many cells as a drag frame's coarse field should have: a heatmap that still shows
/// its contours' shapes (grid ~26 across the view's height; at grid 128, a fifth of the
/// density), and a drag frame within the 66 ms goal on every preset. Measured on llvmpipe here
/// (L heatmap, `view --drag-target`, best of two runs; issue 21's fourth session): 3000 cells
/// 67.5 ms on the sigmas preset and 70 on unequal, 1500 cells 63–64, 1000 cells 61; after the
/// kernels' parameters moved out of uniforms (lavapipe recompiled them at every bind:
/// `compute::stage_layout`), 3000 cells 58–59 ms and 1000 cells 52–54.
pub const COARSE_CELLS: u32 = 1000;

/// How much coarser than `layout` a drag frame's field is: the smallest factor that brings it
/// to about [`COARSE_CELLS`] cells, at least 2 (1 would be the full grid).
pub fn coarse_factor(layout: &GridLayout) -> u32 {
    let ratio = layout.cells() as f64 / COARSE_CELLS as f64;
    (ratio.sqrt().ceil() as u32).max(2)
}

impl FieldStage {
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
        self.dragging && scene.features.heatmap.reads_target() && !ef_glyphs
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

    /// The coarse field for this frame's target, on the kernel of the full field (`general`):
    /// the target-only pass when the coarse cells already hold F for this view, else the whole
    /// pass (on cells allocated anew when the kernel or the size changed).
    pub(super) fn update_coarse(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
        layout: &GridLayout,
        general: bool,
    ) -> Result<(), GpuError> {
        let coarse_layout = layout.coarsened(coarse_factor(layout));
        let key = if general {
            general_field_key(scene, &coarse_layout)
        } else {
            seed_field_key(scene, &coarse_layout)
        };
        self.coarse_shown = true;
        let cells = coarse_layout.cells();
        let target_only = match &self.coarse {
            Some(c) if c.key == key => return Ok(()),
            Some(c) => {
                let same_kernel = matches!(c.cells, CoarseCells::General(_)) == general;
                (same_kernel && c.capacity() >= cells).then(|| key.same_fisher_as(&c.key))
            }
            None => None,
        };
        if target_only.is_none() {
            let capacity = grown_capacity(ctx, cells);
            let cells = if general {
                let stage = self
                    .general
                    .as_ref()
                    .expect("the general stage is ensured first");
                CoarseCells::General(GeneralData::new(
                    ctx,
                    &stage.pipeline,
                    capacity,
                    &stage.rule,
                )?)
            } else {
                CoarseCells::Seed(FieldData::new(ctx, &self.fim, capacity, &self.rule)?)
            };
            self.coarse = Some(CoarseField {
                cells,
                key,
                layout: coarse_layout,
            });
        }
        let target_only = target_only == Some(true);
        let coarse = self.coarse.as_mut().expect("allocated just above");
        match (&coarse.cells, key) {
            (CoarseCells::Seed(data), FieldKey::Seed(params, _)) => {
                let mode = if target_only {
                    FieldMode::GridTarget
                } else {
                    FieldMode::Grid
                };
                data.encode(&ctx.queue, encoder, &self.fim, mode, &params, None);
            }
            (CoarseCells::General(data), FieldKey::General(params, _)) => {
                let stage = self
                    .general
                    .as_ref()
                    .expect("the general stage is ensured first");
                if target_only {
                    data.encode_grid_target(&ctx.queue, encoder, &stage.pipeline, &params);
                } else {
                    data.encode_grid(&ctx.queue, encoder, &stage.pipeline, &params);
                }
            }
            _ => unreachable!("the cells were made for this key's kernel just above"),
        }
        coarse.key = key;
        coarse.layout = coarse_layout;
        // The heatmap's cached drawing follows the target's half of either field.
        self.bump_field_generation(false);
        Ok(())
    }
}
