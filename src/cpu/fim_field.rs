//! f32 mirror of `shaders/fim_field.wgsl`: the FIM field over a grid (or a point list),
//! multi-threaded with rayon, with the population empirical Fisher at cells that have a target.
//! This is the benchmark's fair CPU opponent: the same rule, the
//! same node count, the same f32 arithmetic as the kernel.

use rayon::prelude::*;

use super::gmm::{Theta, fisher_rotated, target_terms, theta_from_half_delta};
use crate::gpu::gpu_data::{FieldCell, FieldParams, PointInput, flags};
use crate::math::sym2::{Sym2, angle_deg, natural_gradient, rotate_vector};

/// θ in the y frame at `offset` from O (the shader's `cell_theta`).
pub fn cell_theta(offset: [f32; 2], origin_delta: f32, sigma: f32) -> Theta {
    theta_from_half_delta(0.5 * (origin_delta + (offset[0] - offset[1])), sigma)
}

/// The target-independent half of a cell (the shader's `fisher_part`): F, its eigen-
/// decomposition and κ.
pub fn fisher_part(offset: [f32; 2], th: &Theta, nodes: &[[f32; 2]]) -> FieldCell {
    let [uu, uv, vv] = fisher_rotated(th, nodes);
    fisher_cell(offset, [uu, uv, vv])
}

/// A cell holding F = `f_rot` (rotated basis) and what follows from it alone.
pub fn fisher_cell(offset: [f32; 2], f_rot: [f32; 3]) -> FieldCell {
    let [uu, uv, vv] = f_rot;
    let f_rot = Sym2::new(uu, uv, vv);
    let eig = f_rot.eigen();
    let standard = f_rot.rotate_basis();
    let mut out = FieldCell {
        theta: offset,
        eigenvalues: [eig.lambda_max, eig.lambda_min],
        fisher: [
            standard.xx,
            standard.xy,
            standard.yy,
            eig.lambda_max * eig.lambda_min,
        ],
        q_max: rotate_vector(eig.q_max),
        ..FieldCell::default()
    };
    let mut kappa = 0.0;
    if eig.lambda_min > 0.0 {
        kappa = eig.lambda_max / eig.lambda_min;
    } else {
        out.flags |= flags::KAPPA_INFINITE;
    }
    out.rotated = [uu, uv, vv, kappa];
    out
}

/// The target's half added to a cell that holds F (the shader's `target_part`).
pub fn target_part(
    cell: &FieldCell,
    th: &Theta,
    target_y0: [f32; 2],
    damping: f32,
    nodes: &[[f32; 2]],
) -> FieldCell {
    // θ's midpoint is m̄₀ + (offset₁ + offset₂)/2: the target in θ's y frame follows.
    let shift = 0.5 * (cell.theta[0] + cell.theta[1]);
    let target_y = [target_y0[0] - shift, target_y0[1] - shift];
    let terms = target_terms(th, target_y, nodes);
    with_target_terms(cell, terms.grad, terms.loss, terms.empirical, damping)
}

/// A cell holding F with the target's terms (∇L and EF in the rotated basis) added: the
/// natural gradient, the angle and the flags. Shared by the scalar and SIMD paths.
pub fn with_target_terms(
    cell: &FieldCell,
    grad_rot: [f32; 2],
    loss: f32,
    empirical_rot: [f32; 3],
    damping: f32,
) -> FieldCell {
    let mut out = *cell;
    let mut cell_flags = (cell.flags & flags::KAPPA_INFINITE) | flags::HAS_TARGET;
    out.grad = rotate_vector(grad_rot);
    out.loss = loss;
    let [ea, eb, ec] = empirical_rot;
    let ef = Sym2::new(ea, eb, ec).rotate_basis();
    out.empirical = [ef.xx, ef.xy, ef.yy];
    out.natgrad = [0.0; 2];
    out.angle_deg = 0.0;
    let [uu, uv, vv, _] = cell.rotated;
    match natural_gradient(&Sym2::new(uu, uv, vv), damping, grad_rot) {
        Some(n) => {
            out.natgrad = rotate_vector(n);
            match angle_deg(out.grad, out.natgrad) {
                Some(a) => out.angle_deg = a,
                None => cell_flags |= flags::ANGLE_UNDEFINED,
            }
        }
        None => cell_flags |= flags::NATGRAD_UNDEFINED | flags::ANGLE_UNDEFINED,
    }
    out.flags = cell_flags;
    out
}

/// Everything at θ = O + `offset`, as the shader's `evaluate_cell`: Δ from the origin's
/// `origin_delta` (Δ₀) plus the offset's difference, the target given relative to O's
/// midpoint (`target_y0`; see [`FieldParams`]).
pub fn evaluate_cell(
    offset: [f32; 2],
    origin_delta: f32,
    sigma: f32,
    target_y0: [f32; 2],
    has_target: bool,
    damping: f32,
    nodes: &[[f32; 2]],
) -> FieldCell {
    let th = cell_theta(offset, origin_delta, sigma);
    let cell = fisher_part(offset, &th, nodes);
    if has_target {
        target_part(&cell, &th, target_y0, damping, nodes)
    } else {
        cell
    }
}

/// The whole field (entry point `field`), evaluated in parallel into `out`
/// (`params.cell_count` cells).
pub fn field_into(params: &FieldParams, nodes: &[[f32; 2]], out: &mut [FieldCell]) {
    let count = params.cell_count as usize;
    out[..count]
        .par_iter_mut()
        .enumerate()
        .for_each(|(index, cell)| {
            *cell = evaluate_cell(
                params.cell_offset(index as u32),
                params.origin_delta,
                params.sigma,
                params.target_y0,
                true,
                params.damping,
                nodes,
            );
        });
}

/// Entry point `field_target`: only the target's half of cells that already hold this grid's F.
pub fn field_target_into(params: &FieldParams, nodes: &[[f32; 2]], cells: &mut [FieldCell]) {
    let count = params.cell_count as usize;
    cells[..count].par_iter_mut().for_each(|cell| {
        let th = cell_theta(cell.theta, params.origin_delta, params.sigma);
        *cell = target_part(cell, &th, params.target_y0, params.damping, nodes);
    });
}

/// The whole field as a new vector.
pub fn field(params: &FieldParams, nodes: &[[f32; 2]]) -> Vec<FieldCell> {
    let mut out = vec![FieldCell::default(); params.cell_count as usize];
    field_into(params, nodes, &mut out);
    out
}

/// Arbitrary points (entry point `points`).
pub fn points(params: &FieldParams, nodes: &[[f32; 2]], inputs: &[PointInput]) -> Vec<FieldCell> {
    inputs
        .par_iter()
        .map(|p| {
            evaluate_cell(
                p.theta,
                params.origin_delta,
                p.sigma,
                p.target,
                p.has_target != 0,
                params.damping,
                nodes,
            )
        })
        .collect()
}
