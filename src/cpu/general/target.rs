//! The target's half of a cell whose metric half is done: L, ∇L, the empirical Fisher's
//! block, the natural gradient ñ and its angle to −∇L.

use super::mixture::{Mixture, min_weight, truncation_sigmas};
use super::union::union_pass;
use crate::gpu::gpu_data::{FieldCell, flags};
use crate::math::sym2::{SINGULAR_CONDITION, angle_deg};

/// `natural_gradient_eigen`: ñ = Σ q_i (q_i·g)/(λ_i + λ) from F's eigen-decomposition; None
/// where F + λI is singular to working precision.
pub fn natural_gradient_eigen(
    q_max: [f32; 2],
    lambdas: [f32; 2],
    damping: f32,
    g: [f32; 2],
) -> Option<[f32; 2]> {
    let d = [lambdas[0] + damping, lambdas[1] + damping];
    // Written so that NaN eigenvalues also count as singular.
    let well_conditioned = d[1] * SINGULAR_CONDITION as f32 > d[0];
    if !well_conditioned {
        return None;
    }
    let q_min = [-q_max[1], q_max[0]];
    let a = (q_max[0] * g[0] + q_max[1] * g[1]) / d[0];
    let b = (q_min[0] * g[0] + q_min[1] * g[1]) / d[1];
    Some([q_max[0] * a + q_min[0] * b, q_max[1] * a + q_min[1] * b])
}

/// `with_target`: the target's half of a cell whose metric half is done (L, ∇L, EF, ñ from the
/// cell's eigen-decomposition, the angle, the target's flags), and the evaluations it took.
pub fn with_target_counted(
    cell: &FieldCell,
    m: &Mixture,
    target_mix: &Mixture,
    slice: [u32; 2],
    damping: f32,
    nodes: &[[f32; 2]],
) -> (FieldCell, u32) {
    let t_joint = truncation_sigmas(min_weight(m).min(min_weight(target_mix)));
    let joint = union_pass(m, target_mix, slice, t_joint, nodes, false);
    (
        with_target_sums(cell, joint.target_sums, joint.ef, damping),
        joint.nodes,
    )
}

/// `with_target_sums`: the target's half from E_target[(s_a, s_b, ln p* − ln p)] and the EF's
/// block.
pub fn with_target_sums(cell: &FieldCell, sums: [f32; 3], ef: [f32; 3], damping: f32) -> FieldCell {
    let mut out = *cell;
    let mut cell_flags =
        (cell.flags & !(flags::NATGRAD_UNDEFINED | flags::ANGLE_UNDEFINED)) | flags::HAS_TARGET;
    let grad = [-sums[0], -sums[1]];
    out.grad = grad;
    out.loss = sums[2];
    out.empirical = ef;
    out.natgrad = [0.0; 2];
    out.angle_deg = 0.0;
    match natural_gradient_eigen(cell.q_max, cell.eigenvalues, damping, grad) {
        Some(n) => {
            out.natgrad = n;
            match angle_deg(grad, n) {
                Some(a) => out.angle_deg = a,
                None => cell_flags |= flags::ANGLE_UNDEFINED,
            }
        }
        None => cell_flags |= flags::NATGRAD_UNDEFINED | flags::ANGLE_UNDEFINED,
    }
    out.flags = cell_flags;
    out
}
