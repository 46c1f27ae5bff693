//! The grid entry points: each cell's model and target from a floating origin and its offset,
//! the full pass over every cell and the target-only pass over cells already written.

use rayon::prelude::*;

use super::mixture::{Mixture, make_mixture};
use super::point::{TargetHalf, evaluate_general_mixtures_from, joint_sums};
use super::target::with_target_counted;
use super::union::{UnionPassFn, UnionSums, union_pass};
use crate::gpu::general_data::{FLAG_METRIC_UNDEFINED, FLAG_OUTSIDE_MODEL, GeneralGridParams};
use crate::gpu::gpu_data::{FieldCell, flags};

/// Index of π in ψ (`PARAM_PI`).
pub const PARAM_PI: u32 = 0;
/// Index of μ1 in ψ (`PARAM_MU1`).
pub const PARAM_MU1: usize = 1;
/// Index of μ2 in ψ (`PARAM_MU2`).
pub const PARAM_MU2: usize = 2;

/// `inside_model`: σ1, σ2 > 0, π in [0, 1] (strictly inside when the slice varies π), all
/// finite.
pub fn inside_model(psi: &[f32; 5], slice: [u32; 2]) -> bool {
    let pi = psi[PARAM_PI as usize];
    let pi_varies = slice[0] == PARAM_PI || slice[1] == PARAM_PI;
    let weight_ok = if pi_varies {
        pi > 0.0 && pi < 1.0
    } else {
        (0.0..=1.0).contains(&pi)
    };
    weight_ok
        && psi[3] > 0.0
        && psi[4] > 0.0
        && psi[1].abs() < 1e30
        && psi[2].abs() < 1e30
        && psi[3] < 1e30
        && psi[4] < 1e30
}

/// `grid_cell_mixtures`: cell `index`'s model and target in the y frame (None outside the
/// model) and its offset from O.
pub fn grid_cell_mixtures(
    g: &GeneralGridParams,
    index: u32,
) -> (Option<(Mixture, Mixture)>, [f32; 2]) {
    let slice = [g.slice_a, g.slice_b];
    let offset = g.cell_offset(index);
    let mut off = [0.0f32; 5];
    off[slice[0] as usize] = offset[0];
    off[slice[1] as usize] = offset[1];
    let mut psi = g.base;
    psi[slice[0] as usize] = g.origin_hi[0] + (g.origin_lo[0] + offset[0]);
    psi[slice[1] as usize] = g.origin_hi[1] + (g.origin_lo[1] + offset[1]);
    if !inside_model(&psi, slice) {
        return (None, offset);
    }
    let m = make_mixture(
        psi[0],
        [0.0, g.mean_gap + (off[PARAM_MU2] - off[PARAM_MU1])],
        [psi[3], psi[4]],
    );
    let t = g.target;
    let target_mix = make_mixture(
        t[0],
        [
            g.target_mean[0] - off[PARAM_MU1],
            g.target_mean[1] - off[PARAM_MU1],
        ],
        [t[3], t[4]],
    );
    (Some((m, target_mix)), offset)
}

/// `evaluate_grid_cell`: grid cell `index`.
pub fn grid_cell(g: &GeneralGridParams, nodes: &[[f32; 2]], index: u32) -> FieldCell {
    grid_cell_using(g, nodes, index, &union_pass)
}

/// [`grid_cell`] with `union` in place of [`union_pass`].
pub fn grid_cell_using(
    g: &GeneralGridParams,
    nodes: &[[f32; 2]],
    index: u32,
    union: &UnionPassFn,
) -> FieldCell {
    let (mixtures, offset) = grid_cell_mixtures(g, index);
    let joint = mixtures.as_ref().and_then(|(m, target_mix)| {
        let slice = [g.slice_a, g.slice_b];
        joint_sums(
            m,
            target_mix,
            g.has_target != 0,
            slice,
            g.metric,
            nodes,
            union,
        )
    });
    grid_cell_from(g, nodes, mixtures, offset, joint)
}

/// A grid cell from what [`grid_cell_mixtures`] gave for it (the SIMD path forms the mixtures
/// of a block of cells first).
pub fn grid_cell_from(
    g: &GeneralGridParams,
    nodes: &[[f32; 2]],
    mixtures: Option<(Mixture, Mixture)>,
    offset: [f32; 2],
    joint: Option<UnionSums>,
) -> FieldCell {
    let Some((m, target_mix)) = mixtures else {
        return FieldCell {
            theta: offset,
            flags: FLAG_OUTSIDE_MODEL,
            ..FieldCell::default()
        };
    };
    let (mut out, _) = evaluate_general_mixtures_from(
        &m,
        &target_mix,
        TargetHalf::cell(g.has_target != 0),
        [g.slice_a, g.slice_b],
        g.metric,
        g.damping,
        nodes,
        joint,
    );
    out.theta = offset;
    out
}

/// `evaluate_grid_cell_target`: grid cell `index` after only the target (or the damping)
/// changed, from the cell a `grid` pass wrote: the metric half kept, the target half redone.
pub fn grid_cell_target(
    g: &GeneralGridParams,
    nodes: &[[f32; 2]],
    index: u32,
    cell: &FieldCell,
) -> FieldCell {
    if cell.flags & (FLAG_OUTSIDE_MODEL | FLAG_METRIC_UNDEFINED) != 0 {
        return *cell;
    }
    let (mixtures, _) = grid_cell_mixtures(g, index);
    let Some((m, target_mix)) = mixtures else {
        return *cell;
    };
    if g.has_target == 0 {
        return FieldCell {
            grad: [0.0; 2],
            natgrad: [0.0; 2],
            loss: 0.0,
            angle_deg: 0.0,
            empirical: [0.0; 3],
            flags: cell.flags
                & !(flags::HAS_TARGET | flags::NATGRAD_UNDEFINED | flags::ANGLE_UNDEFINED),
            ..*cell
        };
    }
    with_target_counted(
        cell,
        &m,
        &target_mix,
        [g.slice_a, g.slice_b],
        g.damping,
        nodes,
    )
    .0
}

/// The target-only pass (entry point `grid_target`) over cells a `grid` pass wrote, in parallel.
pub fn grid_target(params: &GeneralGridParams, nodes: &[[f32; 2]], cells: &mut [FieldCell]) {
    cells
        .par_iter_mut()
        .enumerate()
        .for_each(|(i, cell)| *cell = grid_cell_target(params, nodes, i as u32, cell));
}

/// Every cell of a grid (entry point `grid`), in parallel; `params.panel_nodes` is ignored
/// (the node table is `nodes`).
pub fn grid(params: &GeneralGridParams, nodes: &[[f32; 2]]) -> Vec<FieldCell> {
    (0..params.cell_count)
        .into_par_iter()
        .map(|i| grid_cell(params, nodes, i))
        .collect()
}
