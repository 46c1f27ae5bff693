//! f32 mirror of `shaders/fim_field.wgsl`: the FIM field over a grid (or a point list),
//! multi-threaded with rayon, with the population empirical Fisher at cells that have a target.
//! This is the benchmark's fair CPU opponent: the same rule, the
//! same node count, the same f32 arithmetic as the kernel.

use rayon::prelude::*;

use super::gmm::{
    accumulate_fisher, fisher_rotated, gradient_rotated_and_loss, theta_from_half_delta,
};
use crate::gpu::gpu_data::{FieldCell, FieldParams, PointInput, flags};
use crate::math::sym2::{Sym2, angle_deg, natural_gradient, rotate_vector};

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
    let th = theta_from_half_delta(0.5 * (origin_delta + (offset[0] - offset[1])), sigma);
    let [uu, uv, vv] = fisher_rotated(&th, nodes);
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
    let mut cell_flags = 0;
    let mut kappa = 0.0;
    if eig.lambda_min > 0.0 {
        kappa = eig.lambda_max / eig.lambda_min;
    } else {
        cell_flags |= flags::KAPPA_INFINITE;
    }
    out.rotated = [uu, uv, vv, kappa];
    if has_target {
        cell_flags |= flags::HAS_TARGET;
        // θ's midpoint is m̄₀ + (offset₁ + offset₂)/2: the target in θ's y frame follows.
        let shift = 0.5 * (offset[0] + offset[1]);
        let target_y = [target_y0[0] - shift, target_y0[1] - shift];
        let [gu, gv, loss] = gradient_rotated_and_loss(&th, target_y, nodes);
        out.grad = rotate_vector([gu, gv]);
        out.loss = loss;
        // The empirical Fisher: F's sums under the target's components (the shader's order).
        let a = accumulate_fisher(&th, target_y[0], nodes);
        let b = accumulate_fisher(&th, target_y[1], nodes);
        let scale = 2.0 * th.inv_two_sigma_sq * th.inv_two_sigma_sq;
        let ef_rot = Sym2::new(
            (a[0] + b[0]) * scale,
            (a[1] + b[1]) * scale,
            (a[2] + b[2]) * scale,
        );
        let ef = ef_rot.rotate_basis();
        out.empirical = [ef.xx, ef.xy, ef.yy];
        match natural_gradient(&f_rot, damping, [gu, gv]) {
            Some(n) => {
                out.natgrad = rotate_vector(n);
                match angle_deg(out.grad, out.natgrad) {
                    Some(a) => out.angle_deg = a,
                    None => cell_flags |= flags::ANGLE_UNDEFINED,
                }
            }
            None => cell_flags |= flags::NATGRAD_UNDEFINED | flags::ANGLE_UNDEFINED,
        }
    }
    out.flags = cell_flags;
    out
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
