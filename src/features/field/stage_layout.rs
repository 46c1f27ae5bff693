//! The field's grid over the view: cells square on screen, and the largest density one buffer
//! holds.

use crate::scene::Scene;

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

    /// Whether this grid holds every cell of `other`: the same cells (size and snapping) over a
    /// region that contains `other`'s. Cell indices are compared, not corners, so rounding in
    /// `origin + columns·cell` cannot decide it.
    pub fn covers(&self, other: &GridLayout) -> bool {
        if self.cell != other.cell || self.x_per_y != other.x_per_y {
            return false;
        }
        let [width, height] = self.cell_size();
        let first = |origin: f64, size: f64| (origin / size).round() as i64;
        let (column, row) = (first(self.origin[0], width), first(self.origin[1], height));
        let (other_column, other_row) = (first(other.origin[0], width), first(other.origin[1], height));
        column <= other_column
            && row <= other_row
            && column + self.columns as i64 >= other_column + other.columns as i64
            && row + self.rows as i64 >= other_row + other.rows as i64
    }

    /// The grid of 1/`factor` the density over the same region: cells `factor` times as large
    /// from the same origin, so the view's `field_origin` places both (the coarse field of a
    /// drag).
    pub fn coarsened(&self, factor: u32) -> Self {
        let factor = factor.max(1);
        Self {
            cell: factor as f64 * self.cell,
            columns: self.columns.div_ceil(factor),
            rows: self.rows.div_ceil(factor),
            ..*self
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grid_covers_the_grids_of_narrower_views_only() {
        let scene = Scene::default();
        let wide = GridLayout::for_view(&scene, [1010.0, 725.0], 128);
        let narrow = GridLayout::for_view(&scene, [580.0, 725.0], 128);
        assert!(wide.covers(&narrow) && wide.covers(&wide));
        assert!(narrow.cells() < wide.cells());
        // Controls: the wider view, a panned view, a grid of other cells.
        assert!(!narrow.covers(&wide), "narrower grid");
        let mut panned = scene.clone();
        panned.camera.center[0] += 40.0 * wide.cell;
        assert!(!wide.covers(&GridLayout::for_view(&panned, [580.0, 725.0], 128)), "panned");
        assert!(!wide.covers(&GridLayout::for_view(&scene, [580.0, 725.0], 127)), "other cells");
    }
}
