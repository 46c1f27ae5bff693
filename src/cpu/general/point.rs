//! Everything at one point: F's slice block (induced or profiled, refined in its eigenbasis
//! where its determinant cancels), its eigen-decomposition, then the target's half.

use rayon::prelude::*;

use super::mixture::{Mixture, make_mixture, min_weight, truncation_sigmas};
use super::passes::{fisher_full_pass, fisher_pass, mat_vec, residual_pass, transpose};
use super::profiled::profiled_block;
use super::target::{with_angle, with_target_counted, with_target_sums};
use super::union::{UNION_ALL, UnionPassFn, UnionSums, union_pass};
use crate::gpu::general_data::{FLAG_METRIC_UNDEFINED, GeneralPointInput};
use crate::gpu::gpu_data::{FieldCell, flags};
use crate::math::sym2::Sym2;

/// F is accumulated again in its eigenbasis where F11·F22 > this·det F (`REFINE_RATIO`).
pub const REFINE_RATIO: f32 = 30.0;
/// `metric` value of the profiled metric (`METRIC_PROFILED`).
pub const METRIC_PROFILED: u32 = crate::math::Metric::Profiled.code();

/// What one point cost: integrand evaluations, and whether F took the refinement pass.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PointCost {
    /// Integrand evaluations (F's passes and the target pass).
    pub evaluations: u32,
    /// Whether F was accumulated a second time in its eigenbasis.
    pub refined: bool,
}

/// `eigen_basis`: rows (q_max, q_min).
fn eigen_basis(q: [f32; 2]) -> [[f32; 2]; 2] {
    [[q[0], q[1]], [-q[1], q[0]]]
}

/// The union pass's sums for these mixtures by `union`, where the point's evaluation reads them
/// (the induced metric with a target), at the truncation of the smaller weight of both.
pub fn joint_sums(
    m: &Mixture,
    target_mix: &Mixture,
    has_target: bool,
    slice: [u32; 2],
    metric: u32,
    nodes: &[[f32; 2]],
    union: &UnionPassFn,
) -> Option<UnionSums> {
    (metric != METRIC_PROFILED && has_target).then(|| {
        let t_joint = truncation_sigmas(min_weight(m).min(min_weight(target_mix)));
        union(m, target_mix, slice, t_joint, nodes, UNION_ALL)
    })
}

/// How much of the target's half [`evaluate_general_mixtures_from`] forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetHalf {
    /// No target: ∇L, L, ñ and the EF stay 0, and the flags say so.
    Absent,
    /// All a field cell holds: ∇L, L, ñ, the EF and the angle between ∇L and ñ.
    Cell,
    /// What a particle's velocity reads: the same but the angle, left 0 (its atan2 was 3–4%
    /// of the SIMD particles' time). The pass without the union's sums (the profiled metric)
    /// still forms the angle.
    Velocity,
}

impl TargetHalf {
    /// A field cell's: [`TargetHalf::Cell`] when there is a target.
    pub fn cell(has_target: bool) -> Self {
        if has_target {
            TargetHalf::Cell
        } else {
            TargetHalf::Absent
        }
    }
}

/// Everything at one point from the two mixtures in the y frame, as the shader's
/// `evaluate_general_mixtures` (`theta` left 0), with the union pass already run: `joint` is
/// its sums for these mixtures (F's block and the target's sums on one set of nodes, from
/// [`joint_sums`] with the mirror's [`union_pass`] or the SIMD path's vectorised one; the SIMD
/// grid and particles form them for a block at once), read by the induced metric with a
/// target. Where it is None or not read, the mirror's own passes run. Also returns what it
/// cost.
#[allow(clippy::too_many_arguments)]
pub fn evaluate_general_mixtures_from(
    m: &Mixture,
    target_mix: &Mixture,
    target: TargetHalf,
    slice: [u32; 2],
    metric: u32,
    damping: f32,
    nodes: &[[f32; 2]],
    joint: Option<UnionSums>,
) -> (FieldCell, PointCost) {
    let has_target = target != TargetHalf::Absent;
    let joint = joint.filter(|_| metric != METRIC_PROFILED && has_target);
    let mut cell_flags = 0;
    let identity = [[1.0, 0.0], [0.0, 1.0]];
    // The model's own truncation, formed when a pass over its windows needs it (the profiled
    // metric, no target, the refinement): its six logarithms were a fifth of a half-plane
    // cell's time on the SIMD path, where the union pass covers everything else.
    let t_model = || truncation_sigmas(min_weight(m));
    let mut basis = identity;
    let mut refined = false;
    let mut evaluations = 0;
    let f_acc;
    if metric == METRIC_PROFILED {
        let undefined = FieldCell {
            flags: FLAG_METRIC_UNDEFINED,
            ..FieldCell::default()
        };
        if m.boundary {
            return (undefined, PointCost::default());
        }
        let t_model = t_model();
        let (full, count) = fisher_full_pass(m, t_model, nodes);
        evaluations += count;
        let Some(prof) = profiled_block(&full, slice) else {
            return (
                undefined,
                PointCost {
                    evaluations,
                    refined,
                },
            );
        };
        let rough = prof.block;
        let uncorrelated = rough.det() * REFINE_RATIO > rough.xx * rough.yy;
        if !uncorrelated {
            basis = eigen_basis(rough.eigen().q_max);
            refined = true;
        }
        let res = residual_pass(m, slice, &prof, basis, t_model, nodes);
        evaluations += res.nodes;
        let [xx, xy, yy] = res.sums;
        f_acc = Sym2::new(xx, xy, yy);
    } else {
        let [xx, xy, yy] = if let Some(sums) = &joint {
            // F and the target's sums on one set of nodes (`union_pass`).
            evaluations += sums.nodes;
            sums.fisher
        } else {
            let first = fisher_pass(m, slice, identity, t_model(), nodes);
            evaluations += first.nodes;
            first.sums
        };
        let mut fa = Sym2::new(xx, xy, yy);
        // Refine where the determinant cancels; written so that NaN sums refine too (as the
        // shader's `!(… > …)`).
        let uncorrelated = fa.det() * REFINE_RATIO > fa.xx * fa.yy;
        if !uncorrelated {
            basis = eigen_basis(fa.eigen().q_max);
            refined = true;
            let second = fisher_pass(m, slice, basis, t_model(), nodes);
            evaluations += second.nodes;
            let [gxx, gxy, gyy] = second.sums;
            fa = Sym2::new(gxx, gxy, gyy);
        }
        f_acc = fa;
    }
    let mut f_std = f_acc;
    let e = f_acc.eigen();
    let lambda = [e.lambda_max, e.lambda_min];
    let mut q_max = e.q_max;
    if refined {
        // F = Bᵀ G B.
        let bt = transpose(basis);
        let g = [[f_acc.xx, f_acc.xy], [f_acc.xy, f_acc.yy]];
        let gb = [
            mat_vec(g, [basis[0][0], basis[1][0]]),
            mat_vec(g, [basis[0][1], basis[1][1]]),
        ]; // columns of G·B
        let f00 = bt[0][0] * gb[0][0] + bt[0][1] * gb[0][1];
        let f01 = bt[1][0] * gb[0][0] + bt[1][1] * gb[0][1];
        let f11 = bt[1][0] * gb[1][0] + bt[1][1] * gb[1][1];
        f_std = Sym2::new(f00, f01, f11);
        q_max = mat_vec(bt, e.q_max);
    }

    let mut out = FieldCell {
        eigenvalues: lambda,
        fisher: [f_std.xx, f_std.xy, f_std.yy, lambda[0] * lambda[1]],
        q_max,
        ..FieldCell::default()
    };
    let mut kappa = 0.0;
    if lambda[1] > 0.0 {
        kappa = lambda[0] / lambda[1];
    } else {
        cell_flags |= flags::KAPPA_INFINITE;
    }
    let r = f_std.rotate_basis();
    out.rotated = [r.xx, r.xy, r.yy, kappa];

    out.flags = cell_flags;
    if let Some(sums) = joint {
        out = with_target_sums(&out, sums.target_sums, sums.ef, damping);
        if target == TargetHalf::Cell {
            out = with_angle(out);
        }
    } else if has_target {
        let (with, count) = with_target_counted(&out, m, target_mix, slice, damping, nodes);
        out = with;
        evaluations += count;
    }
    (
        out,
        PointCost {
            evaluations,
            refined,
        },
    )
}

/// Everything at one point, as the shader's `evaluate_general_point` (induced metric); also
/// returns what it cost.
pub fn evaluate_general_point_counted(
    p: &GeneralPointInput,
    damping: f32,
    nodes: &[[f32; 2]],
) -> (FieldCell, PointCost) {
    evaluate_general_point_using(p, damping, nodes, &union_pass)
}

/// [`evaluate_general_point_counted`] with `union` in place of [`union_pass`].
pub fn evaluate_general_point_using(
    p: &GeneralPointInput,
    damping: f32,
    nodes: &[[f32; 2]],
    union: &UnionPassFn,
) -> (FieldCell, PointCost) {
    let psi = p.model;
    let slice = [p.slice_a, p.slice_b];
    let origin = psi[1];
    let m = make_mixture(psi[0], [0.0, psi[2] - origin], [psi[3], psi[4]]);
    let t = p.target;
    let target_mix = make_mixture(t[0], [t[1] - origin, t[2] - origin], [t[3], t[4]]);
    let has_target = p.has_target != 0;
    let joint = joint_sums(&m, &target_mix, has_target, slice, 0, nodes, union);
    let (mut out, cost) = evaluate_general_mixtures_from(
        &m,
        &target_mix,
        TargetHalf::cell(has_target),
        slice,
        0,
        damping,
        nodes,
        joint,
    );
    out.theta = [psi[slice[0] as usize], psi[slice[1] as usize]];
    (out, cost)
}

/// Everything at one point (`evaluate_general_point`).
pub fn evaluate_general_point(
    p: &GeneralPointInput,
    damping: f32,
    nodes: &[[f32; 2]],
) -> FieldCell {
    evaluate_general_point_counted(p, damping, nodes).0
}

/// Every point (entry point `points`), in parallel.
pub fn points(inputs: &[GeneralPointInput], damping: f32, nodes: &[[f32; 2]]) -> Vec<FieldCell> {
    inputs
        .par_iter()
        .map(|p| evaluate_general_point(p, damping, nodes))
        .collect()
}
