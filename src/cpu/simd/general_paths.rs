//! The general kernel's CPU paths at a SIMD level: a grid and a particle block with one cell or
//! particle per vector lane (`general::union_pass_lanes`), points with a panel's nodes in the
//! lanes (`general::union_pass`), each with the rest of a cell or velocity the scalar mirror's
//! code.

use rayon::prelude::*;

use super::vector::{self, MAX_LANES};
use super::{SimdLevel, for_each_block};
#[cfg(target_arch = "x86_64")]
use super::{avx2, avx512};
use crate::gpu::gpu_data::FieldCell;

/// The union pass at `level` (`None` for the scalar level: the mirror's own pass).
pub(super) fn union_pass_at(level: SimdLevel) -> Option<crate::cpu::general::UnionPass> {
    match level.or_supported() {
        // SAFETY (both): `or_supported` checked the level's features at run time, and the
        // function is only called on this CPU.
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 => {
            Some(|m, t, s, tr, n, f| unsafe { avx512::union_pass(m, t, s, tr, n, f) })
        }
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2Fma => {
            Some(|m, t, s, tr, n, f| unsafe { avx2::union_pass(m, t, s, tr, n, f) })
        }
        _ => None,
    }
}

/// The union pass of a block of cells, one per lane (`union_pass_lanes`), at a level.
pub(super) type UnionPassLanes = fn(
    &[crate::cpu::general::Mixture; MAX_LANES],
    &[crate::cpu::general::Mixture; MAX_LANES],
    &vector::LaneArray,
    &[bool; MAX_LANES],
    [u32; 2],
    &[[f32; 2]],
    u32,
) -> [crate::cpu::general::UnionSums; MAX_LANES];

/// [`union_pass_lanes`](super::general::union_pass_lanes) at `level` with its lane count (`None` for
/// the scalar level).
pub(super) fn union_pass_lanes_at(level: SimdLevel) -> Option<(UnionPassLanes, usize)> {
    match level.or_supported() {
        // SAFETY (both): as `union_pass_at`.
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 => Some((
            |m, t, tr, v, s, n, f| unsafe { avx512::union_pass_lanes(m, t, tr, v, s, n, f) },
            16,
        )),
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2Fma => Some((
            |m, t, tr, v, s, n, f| unsafe { avx2::union_pass_lanes(m, t, tr, v, s, n, f) },
            8,
        )),
        _ => None,
    }
}

/// The truncations of a block's smallest weights, one per lane (`truncation_sigmas_lanes`).
pub(super) type TruncationLanes = fn(&vector::LaneArray) -> vector::LaneArray;

/// [`TruncationLanes`] at `level` (`None` for the scalar level).
pub(super) fn truncation_lanes_at(level: SimdLevel) -> Option<TruncationLanes> {
    match level.or_supported() {
        // SAFETY (both): as `union_pass_at`.
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 => Some(|w| unsafe { avx512::truncation_sigmas_lanes(w) }),
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2Fma => Some(|w| unsafe { avx2::truncation_sigmas_lanes(w) }),
        _ => None,
    }
}

/// The general kernel's grid (`cpu::general::grid`: every slice, the induced or profiled
/// metric) into `out` (`params.cell_count` cells) at `level`: the union pass of a block of
/// cells at once, one cell per vector lane (`general::union_pass_lanes`), the rest of each
/// cell (its mixtures, the rare refinement, the eigen-decomposition, ñ) the scalar mirror's
/// code, rayon over blocks. The profiled metric has no union pass (it runs as the mirror) and
/// the scalar level is the mirror. Returns the level used.
///
/// Vectorising over cells rather than over a panel's nodes (as [`general_points_at`] and the
/// particles do, one point at a time) makes the panel walk a vector operation too; the
/// lanes of a block walk as many panels as the fullest cell of the block, which on the viewer's
/// presets is ~5% more than the mean.
pub fn general_grid_into_at(
    level: SimdLevel,
    params: &crate::gpu::general_data::GeneralGridParams,
    nodes: &[[f32; 2]],
    out: &mut [FieldCell],
) -> SimdLevel {
    use crate::cpu::general::{
        grid_cell, grid_cell_from, grid_cell_mixtures, make_mixture, min_weight, truncation_sigmas,
    };
    let out = &mut out[..params.cell_count as usize];
    // Only the induced metric with a target has a union pass to vectorise.
    let pass = union_pass_lanes_at(level).filter(|_| {
        params.metric != crate::cpu::general::METRIC_PROFILED && params.has_target != 0
    });
    let Some((pass, lanes)) = pass else {
        out.par_iter_mut().enumerate().for_each(|(i, cell)| {
            *cell = grid_cell(params, nodes, i as u32);
        });
        return SimdLevel::Scalar;
    };
    let slice = [params.slice_a, params.slice_b];
    for_each_block(out, lanes, |first, block| {
        // A lane without a cell holds a harmless mixture and is masked out.
        let filler = make_mixture(0.5, [0.0, 1.0], [1.0, 1.0]);
        let mut models = [filler; MAX_LANES];
        let mut targets = [filler; MAX_LANES];
        let mut t = [0.0f32; MAX_LANES];
        let mut valid = [false; MAX_LANES];
        let mut cells = [(None, [0.0f32; 2]); MAX_LANES];
        // The truncation depends on the smaller weight only, which a slice that holds π
        // shares across its cells: formed once per value seen in a row.
        let mut last: Option<(f32, f32)> = None;
        for k in 0..block.len() {
            cells[k] = grid_cell_mixtures(params, (first + k) as u32);
            if let (Some((m, target)), _) = cells[k] {
                let w = min_weight(&m).min(min_weight(&target));
                t[k] = match last {
                    Some((seen, t)) if seen == w => t,
                    _ => truncation_sigmas(w),
                };
                last = Some((w, t[k]));
                (models[k], targets[k], valid[k]) = (m, target, true);
            }
        }
        let sums = pass(
            &models,
            &targets,
            &t,
            &valid,
            slice,
            nodes,
            crate::cpu::general::UNION_ALL,
        );
        for (k, cell) in block.iter_mut().enumerate() {
            // The cell's own evaluation, its union pass answered from the block's.
            let lane = sums[k];
            let (mixtures, offset) = cells[k];
            *cell = grid_cell_from(params, nodes, mixtures, offset, Some(lane));
        }
    });
    level.or_supported()
}

/// The general kernel at points (`cpu::general::points`, the induced metric) at `level`, as
/// [`general_grid_into_at`]. Returns the cells and the level used.
pub fn general_points_at(
    level: SimdLevel,
    inputs: &[crate::gpu::general_data::GeneralPointInput],
    damping: f32,
    nodes: &[[f32; 2]],
) -> (Vec<FieldCell>, SimdLevel) {
    use crate::cpu::general::{evaluate_general_point, evaluate_general_point_using};
    // Points without a target have no union pass to vectorise.
    let pass = union_pass_at(level).filter(|_| inputs.iter().any(|p| p.has_target != 0));
    let cells = inputs
        .par_iter()
        .map(|p| match pass {
            Some(pass) => evaluate_general_point_using(p, damping, nodes, &pass).0,
            None => evaluate_general_point(p, damping, nodes),
        })
        .collect();
    let used = if pass.is_some() {
        level.or_supported()
    } else {
        SimdLevel::Scalar
    };
    (cells, used)
}

/// Up to a vector of general-mode particles (`source[indices[k]]`) stepped into `out[k]`:
/// each integrator stage's velocities of the block from one union pass with a particle per
/// lane (`general::union_pass_lanes`), the rest of each velocity and of the step the mirror's
/// code (`general_velocity_from` finishing each from its lane's sums, `finish_step`). `target`
/// is the target's shape (`particles::target_shape`), formed once for every block. The lanes'
/// truncations are taken together (`kernels.1`), as their union passes (`kernels.0`).
pub(super) fn general_particle_block(
    kernels: (UnionPassLanes, TruncationLanes),
    params: &crate::gpu::gpu_data::FlowParams,
    nodes: &[[f32; 2]],
    target: &crate::cpu::general::Mixture,
    source: &[crate::gpu::gpu_data::Particle],
    indices: &[u32],
    out: &mut [crate::gpu::gpu_data::Particle],
) {
    use crate::cpu::general::{
        METRIC_PROFILED, UNION_EF, UNION_FISHER, UnionSums, make_mixture, min_weight,
    };
    use crate::cpu::particles::{
        INTEGRATOR_RK4, PARTICLE_EMPIRICAL, UNDEFINED_VELOCITY, finish_step, general_mixtures_with,
        general_velocity_from, rk4_position, stage_position,
    };
    let (pass, truncation) = kernels;
    let count = indices.len();
    let source: [&crate::gpu::gpu_data::Particle; MAX_LANES] =
        std::array::from_fn(|k| &source[indices[k.min(count - 1)] as usize]);
    let h = params.dt;
    let stages = if params.integrator == INTEGRATOR_RK4 {
        4
    } else {
        1
    };
    let slice = [params.slice_a, params.slice_b];
    // A lane without a particle, or outside the model, holds a harmless mixture, masked out.
    let filler = make_mixture(0.5, [0.0, 1.0], [1.0, 1.0]);
    // The sums the velocities read (the shader's choice): F and ∇L, the EF where a particle
    // follows it, never L. The profiled metric has no union pass (the mirror's passes run).
    let profiled = params.metric == METRIC_PROFILED;
    let empirical = source[..count].iter().any(|p| p.mode == PARTICLE_EMPIRICAL);
    let wanted = UNION_FISHER | if empirical { UNION_EF } else { 0 };
    // k[stage][particle], as the mirror's k1..k4.
    let mut k = [[UNDEFINED_VELOCITY; MAX_LANES]; 4];
    for stage in 0..stages {
        let at = |i: usize| {
            let p = source[i].position;
            match stage {
                0 => p,
                1 => stage_position(p, k[0][i].v, 0.5 * h),
                2 => stage_position(p, k[1][i].v, 0.5 * h),
                _ => stage_position(p, k[2][i].v, h),
            }
        };
        let positions: [[f32; 2]; MAX_LANES] =
            std::array::from_fn(|i| if i < count { at(i) } else { [0.0; 2] });
        let mut models = [filler; MAX_LANES];
        let mut targets = [filler; MAX_LANES];
        // Each lane's smallest weight (1 where it holds nothing), for the truncation.
        let mut min_weights = [1.0f32; MAX_LANES];
        let mut valid = [false; MAX_LANES];
        for i in 0..count {
            if let Some((m, target)) = general_mixtures_with(params, target, positions[i]) {
                min_weights[i] = min_weight(&m).min(min_weight(&target));
                (models[i], targets[i], valid[i]) = (m, target, true);
            }
        }
        let sums = if profiled {
            [UnionSums::default(); MAX_LANES]
        } else {
            let t = truncation(&min_weights);
            pass(&models, &targets, &t, &valid, slice, nodes, wanted)
        };
        for i in 0..count {
            if valid[i] {
                let mixtures = (models[i], targets[i]);
                let joint = (!profiled).then_some(sums[i]);
                k[stage][i] = general_velocity_from(
                    params,
                    nodes,
                    positions[i],
                    source[i].mode,
                    &mixtures,
                    joint,
                );
            } else {
                k[stage][i] = UNDEFINED_VELOCITY;
            }
        }
    }
    for (i, particle) in out.iter_mut().enumerate() {
        let p = &source[i];
        let next = if stages == 4 {
            rk4_position(p.position, [k[0][i].v, k[1][i].v, k[2][i].v, k[3][i].v], h)
        } else {
            stage_position(p.position, k[0][i].v, h)
        };
        *particle = finish_step(params, indices[i], p, next, &k[0][i]);
    }
}
