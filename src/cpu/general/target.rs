//! The target's half of a cell whose metric half is done: L, ∇L, the empirical Fisher's
//! block, the natural gradient ñ and its angle to −∇L.

use super::mixture::{Mixture, min_weight, truncation_sigmas};
use super::union::{UNION_EF, UNION_LOSS, union_pass};
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
    let joint = union_pass(m, target_mix, slice, t_joint, nodes, UNION_LOSS | UNION_EF);
    (
        with_angle(with_target_sums(cell, joint.target_sums, joint.ef, damping)),
        joint.nodes,
    )
}

/// `with_target_sums`: the target's half from E_target[(s_a, s_b, ln p* − ln p)] and the EF's
/// block, all but the angle ([`with_angle`]).
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
        Some(n) => out.natgrad = n,
        None => cell_flags |= flags::NATGRAD_UNDEFINED | flags::ANGLE_UNDEFINED,
    }
    out.flags = cell_flags;
    out
}

/// The angle between ∇L and ñ of a cell with its target's half ([`with_target_sums`]), as the
/// shader's cells carry it (ANGLE_UNDEFINED where ñ is undefined or either vector is 0). Kept
/// apart because a particle's velocity does not read it: its atan2 was 3–4% of the SIMD
/// particles' time.
pub fn with_angle(cell: FieldCell) -> FieldCell {
    let mut out = cell;
    if out.flags & (flags::HAS_TARGET | flags::NATGRAD_UNDEFINED) == flags::HAS_TARGET {
        match angle_deg(out.grad, out.natgrad) {
            Some(a) => out.angle_deg = a,
            None => out.flags |= flags::ANGLE_UNDEFINED,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::mixture::make_mixture;
    use super::super::point::{TargetHalf, evaluate_general_mixtures_from, joint_sums};
    use super::super::union::union_pass;
    use super::*;
    use crate::math::QuadratureRule;

    /// A particle's evaluation ([`TargetHalf::Velocity`]) is a field cell's without the angle:
    /// every other number and flag bit for bit.
    #[test]
    fn a_velocity_evaluation_is_the_cells_without_the_angle() {
        let nodes = QuadratureRule::new(32).unwrap().panel_rule().table_f32();
        // (μ1, μ2) with unequal weights and widths, the model off θ*.
        let target = make_mixture(0.3, [0.0, 2.5], [0.6, 1.4]);
        let model = make_mixture(0.3, [0.0, 1.2], [0.6, 1.4]);
        let slice = [1, 2];
        let joint = joint_sums(&model, &target, true, slice, 0, &nodes, &union_pass);
        let evaluate = |half| {
            evaluate_general_mixtures_from(&model, &target, half, slice, 0, 0.0, &nodes, joint).0
        };
        let (cell, velocity) = (evaluate(TargetHalf::Cell), evaluate(TargetHalf::Velocity));
        assert_eq!(velocity.angle_deg, 0.0);
        assert_eq!(
            FieldCell {
                angle_deg: cell.angle_deg,
                ..velocity
            },
            cell
        );
        // Control: the cell's angle is there, and is the angle between its ∇L and ñ.
        let expected = angle_deg(cell.grad, cell.natgrad).expect("both vectors nonzero");
        assert!(cell.angle_deg > 1.0, "{}", cell.angle_deg);
        assert_eq!(cell.angle_deg, expected);
        assert_eq!(with_angle(velocity), cell);
    }
}
