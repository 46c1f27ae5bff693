//! f32 mirror of `shaders/particles.wgsl`: one flow step for every particle (RK4 or Euler,
//! natural, Euclidean or empirical-Fisher velocity,
//! Fisher–Rao speed cap, displacement limit, deterministic respawn), in the seed's mode or the
//! general mixture's (flag [`flow_flags::GENERAL`], positions in slice coordinates, the field
//! from [`crate::cpu::general`]'s per-point evaluation), multi-threaded with rayon. Same names
//! and constants as the shader; the tests compare the two step by step and the benchmark races
//! them.

use rayon::prelude::*;

use super::general::{
    METRIC_PROFILED, Mixture, PARAM_MU1, PARAM_MU2, PARAM_PI, TargetHalf, UNION_EF, UNION_FISHER,
    UnionPassFn, UnionSums, evaluate_general_mixtures_from, inside_model, make_mixture, min_weight,
    mixture_shape, truncation_sigmas, union_pass,
};
use super::gmm::{fisher_rotated, gradient_and_empirical_rotated, gradient_rotated, make_theta};
use crate::gpu::general_data::FLAG_METRIC_UNDEFINED;
use crate::gpu::gpu_data::flags;
use crate::gpu::gpu_data::{FlowMode, FlowParams, Integrator, PLACE_CELLS, Particle, flow_flags};
use crate::math::sym2::{Sym2, natural_gradient, rotate_vector};

/// `mode` values (the codes of [`FlowMode`]).
pub const MODE_NATURAL: u32 = FlowMode::Natural.code();
/// `mode` values.
pub const MODE_EUCLIDEAN: u32 = FlowMode::Euclidean.code();
/// `mode` values: natural and Euclidean pairs from the same seeds.
pub const MODE_BOTH: u32 = FlowMode::Both.code();
/// `mode` values: natural and empirical-Fisher pairs from the same seeds (general kernel only).
pub const MODE_NATURAL_VS_EF: u32 = FlowMode::NaturalVsEmpirical.code();
/// A particle's mode along −(EF + λI)⁻¹∇L (the odd member of a natural-vs-EF pair).
pub const PARTICLE_EMPIRICAL: u32 = FlowMode::NaturalVsEmpirical.code();
/// `integrator` values (the codes of [`Integrator`]).
pub const INTEGRATOR_RK4: u32 = Integrator::Rk4.code();
/// `integrator` values.
pub const INTEGRATOR_EULER: u32 = Integrator::Euler.code();
/// Largest displacement per step, in σ.
pub const MAX_STEP_SIGMAS: f32 = 0.25;
/// Largest displacement per step, as a fraction of |Δ| = |μ1 − μ2|.
pub const MAX_STEP_DELTA_FRACTION: f32 = 0.35;

/// The shader's integer hash (PCG, Jarzynski & Olano 2020).
pub fn pcg_hash(input: u32) -> u32 {
    let state = input.wrapping_mul(747796405).wrapping_add(2891336453);
    let word = ((state >> ((state >> 28) + 4)) ^ state).wrapping_mul(277803737);
    (word >> 22) ^ word
}

/// A uniform float in [0, 1) from a hash value.
pub fn unit_float(h: u32) -> f32 {
    (h >> 8) as f32 * (1.0 / 16777216.0)
}

/// Hash of (seed, stream, generation, salt).
pub fn hash4(seed: u32, stream: u32, generation: u32, salt: u32) -> u32 {
    pcg_hash(seed ^ pcg_hash(stream ^ pcg_hash(generation ^ pcg_hash(salt))))
}

/// The velocity field at θ: the limited velocity and its Fisher–Rao speed.
#[derive(Clone, Copy, Debug)]
pub struct Velocity {
    /// The limited velocity.
    pub v: [f32; 2],
    /// Its Fisher–Rao speed.
    pub speed: f32,
    /// False where the natural gradient is undefined.
    pub defined: bool,
}

/// The shader's `general_psi`: the base with the slice coordinates at `position`.
pub fn general_psi(params: &FlowParams, position: [f32; 2]) -> [f32; 5] {
    let mut psi = params.base;
    psi[params.slice_a as usize] = position[0];
    psi[params.slice_b as usize] = position[1];
    psi
}

/// The shader's `general_step_limit`.
pub fn general_step_limit(params: &FlowParams, psi: &[f32; 5], k: u32) -> f32 {
    const SIGMA1: usize = 3;
    const SIGMA2: usize = 4;
    let scale = if k == PARAM_PI {
        psi[0].min(1.0 - psi[0])
    } else if k as usize == PARAM_MU2 || k as usize == SIGMA2 {
        psi[SIGMA2]
    } else {
        psi[SIGMA1]
    };
    let mut limit = MAX_STEP_SIGMAS * scale;
    let on = |p: usize| params.slice_a as usize == p || params.slice_b as usize == p;
    let means = on(PARAM_MU1) && on(PARAM_MU2);
    let k = k as usize;
    if means && psi[SIGMA1] == psi[SIGMA2] && (k == PARAM_MU1 || k == PARAM_MU2) {
        limit = limit.min(MAX_STEP_DELTA_FRACTION * (psi[PARAM_MU1] - psi[PARAM_MU2]).abs());
    }
    limit
}

/// The shader's `general_velocity`.
pub fn general_velocity(
    params: &FlowParams,
    nodes: &[[f32; 2]],
    position: [f32; 2],
    mode: u32,
) -> Velocity {
    general_velocity_using(params, nodes, position, mode, &union_pass)
}

/// The model's and the target's mixtures at a general-mode position, in the frame of the
/// model's μ1 (None outside the model).
pub fn general_mixtures(params: &FlowParams, position: [f32; 2]) -> Option<(Mixture, Mixture)> {
    general_mixtures_with(params, &target_shape(params), position)
}

/// The target's mixture with its means at 0 ([`mixture_shape`]): the same for every particle,
/// which [`general_mixtures_with`] places in each particle's frame.
pub fn target_shape(params: &FlowParams) -> Mixture {
    let t = params.target_model;
    mixture_shape(t[0], [t[3], t[4]])
}

/// [`general_mixtures`] with the target's shape formed once (`target_shape`): the same
/// mixtures, bit for bit, without the target's logarithms at every particle.
pub fn general_mixtures_with(
    params: &FlowParams,
    target: &Mixture,
    position: [f32; 2],
) -> Option<(Mixture, Mixture)> {
    let psi = general_psi(params, position);
    if !inside_model(&psi, [params.slice_a, params.slice_b]) {
        return None;
    }
    let origin = psi[PARAM_MU1];
    let m = make_mixture(psi[0], [0.0, psi[PARAM_MU2] - origin], [psi[3], psi[4]]);
    let t = params.target_model;
    Some((m, target.placed([t[1] - origin, t[2] - origin])))
}

/// A velocity that is not defined (outside the model, or no metric).
pub const UNDEFINED_VELOCITY: Velocity = Velocity {
    v: [0.0, 0.0],
    speed: 0.0,
    defined: false,
};

/// [`general_velocity`] with `union` in place of the mirror's union pass (the SIMD path's).
pub fn general_velocity_using(
    params: &FlowParams,
    nodes: &[[f32; 2]],
    position: [f32; 2],
    mode: u32,
    union: &UnionPassFn,
) -> Velocity {
    let Some(mixtures) = general_mixtures(params, position) else {
        return UNDEFINED_VELOCITY;
    };
    let (m, target_mix) = &mixtures;
    // The union pass serves the induced metric (the velocity always has a target).
    let joint = (params.metric != METRIC_PROFILED).then(|| {
        let t = truncation_sigmas(min_weight(m).min(min_weight(target_mix)));
        union(
            m,
            target_mix,
            [params.slice_a, params.slice_b],
            t,
            nodes,
            // What the velocity reads (the shader's choice): F, ∇L and the EF, never L.
            UNION_FISHER | UNION_EF,
        )
    });
    general_velocity_from(params, nodes, position, mode, &mixtures, joint)
}

/// The general-mode velocity at `position`, whose model and target mixtures are `mixtures`
/// ([`general_mixtures`]), from the union pass's sums `joint` when the caller ran it (the SIMD
/// particles run it for a block at once; see `evaluate_general_mixtures_from`).
pub fn general_velocity_from(
    params: &FlowParams,
    nodes: &[[f32; 2]],
    position: [f32; 2],
    mode: u32,
    mixtures: &(Mixture, Mixture),
    joint: Option<UnionSums>,
) -> Velocity {
    let slice = [params.slice_a, params.slice_b];
    let psi = general_psi(params, position);
    let (m, target_mix) = mixtures;
    let (cell, _) = evaluate_general_mixtures_from(
        m,
        target_mix,
        TargetHalf::Velocity,
        slice,
        params.metric,
        params.damping,
        nodes,
        joint,
    );
    if cell.flags & FLAG_METRIC_UNDEFINED != 0 {
        return UNDEFINED_VELOCITY;
    }
    let mut v = [-cell.grad[0], -cell.grad[1]];
    let mut defined = true;
    if mode == MODE_NATURAL {
        defined = cell.flags & flags::NATGRAD_UNDEFINED == 0;
        v = [-cell.natgrad[0], -cell.natgrad[1]];
    } else if mode == PARTICLE_EMPIRICAL {
        // −(EF + λI)⁻¹∇L, both from the target pass (standard basis, slice order).
        let [aa, ab, bb] = cell.empirical;
        match natural_gradient(&Sym2::new(aa, ab, bb), params.damping, cell.grad) {
            Some(n) => v = [-n[0], -n[1]],
            None => {
                defined = false;
                v = [0.0, 0.0];
            }
        }
    }
    let [fxx, fxy, fyy, _] = cell.fisher;
    let fv = [fxx * v[0] + fxy * v[1], fxy * v[0] + fyy * v[1]];
    let raw_speed = (v[0] * fv[0] + v[1] * fv[1]).max(0.0).sqrt();
    let mut scale = 1.0;
    if raw_speed > params.speed_cap {
        scale = params.speed_cap / raw_speed;
    }
    let limit = [
        general_step_limit(params, &psi, slice[0]),
        general_step_limit(params, &psi, slice[1]),
    ];
    for c in 0..2 {
        let step = v[c].abs() * scale * params.dt;
        if step > limit[c] {
            scale *= limit[c] / step;
        }
    }
    Velocity {
        v: [v[0] * scale, v[1] * scale],
        speed: raw_speed * scale,
        defined,
    }
}

/// The shader's `velocity`.
pub fn velocity(params: &FlowParams, nodes: &[[f32; 2]], theta: [f32; 2], mode: u32) -> Velocity {
    velocity_using(params, nodes, theta, mode, &union_pass)
}

/// [`velocity`] with `union` as the general kernel's union pass.
pub fn velocity_using(
    params: &FlowParams,
    nodes: &[[f32; 2]],
    theta: [f32; 2],
    mode: u32,
    union: &UnionPassFn,
) -> Velocity {
    if params.flags & flow_flags::GENERAL != 0 {
        return general_velocity_using(params, nodes, theta, mode, union);
    }
    let th = make_theta(theta, params.sigma);
    let f_rot = fisher_rotated(&th, nodes);
    let mid = 0.5 * (theta[0] + theta[1]);
    // The EF's sums only where a natural-vs-EF flow's particles need them (as the shader).
    let (g, empirical) = if params.mode == MODE_NATURAL_VS_EF {
        gradient_and_empirical_rotated(&th, mid, params.target, nodes)
    } else {
        (gradient_rotated(&th, mid, params.target, nodes), [0.0; 3])
    };
    seed_velocity_from(params, theta, mode, f_rot, g, empirical)
}

/// The seed kernel's velocity at `theta` from F, ∇L and (for an EF particle of the
/// natural-vs-EF flow; unused otherwise) the empirical Fisher there, all in the rotated basis:
/// the natural, EF or Euclidean direction, the Fisher–Rao speed cap and the step limit (shared
/// by the scalar path and the SIMD one, which computes the sums 8 particles at a time and has
/// no EF).
pub fn seed_velocity_from(
    params: &FlowParams,
    theta: [f32; 2],
    mode: u32,
    f_rot: [f32; 3],
    g: [f32; 2],
    empirical: [f32; 3],
) -> Velocity {
    let [uu, uv, vv] = f_rot;
    let f_rot = Sym2::new(uu, uv, vv);
    let mut defined = true;
    let mut v_rot = [-g[0], -g[1]];
    let metric = match mode {
        MODE_NATURAL => Some(f_rot),
        PARTICLE_EMPIRICAL => Some(Sym2::new(empirical[0], empirical[1], empirical[2])),
        _ => None,
    };
    if let Some(metric) = metric {
        match natural_gradient(&metric, params.damping, g) {
            Some(n) => v_rot = [-n[0], -n[1]],
            None => {
                defined = false;
                v_rot = [0.0, 0.0];
            }
        }
    }
    let fv = [uu * v_rot[0] + uv * v_rot[1], uv * v_rot[0] + vv * v_rot[1]];
    let raw_speed = (v_rot[0] * fv[0] + v_rot[1] * fv[1]).max(0.0).sqrt();
    let mut scale = 1.0;
    if raw_speed > params.speed_cap {
        scale = params.speed_cap / raw_speed;
    }
    let limit =
        (MAX_STEP_SIGMAS * params.sigma).min(MAX_STEP_DELTA_FRACTION * (theta[0] - theta[1]).abs());
    let step = v_rot[0].hypot(v_rot[1]) * scale * params.dt;
    if step > limit {
        scale *= limit / step;
    }
    let v = rotate_vector(v_rot);
    Velocity {
        v: [v[0] * scale, v[1] * scale],
        speed: raw_speed * scale,
        defined,
    }
}

fn finite2(p: [f32; 2]) -> bool {
    p[0].abs() < 1e30 && p[1].abs() < 1e30
}

/// The shader's `spawn`.
pub fn spawn(params: &FlowParams, index: u32, generation: u32) -> Particle {
    let (mode, stream) = if params.mode == MODE_BOTH || params.mode == MODE_NATURAL_VS_EF {
        let odd = if params.mode == MODE_NATURAL_VS_EF {
            PARTICLE_EMPIRICAL
        } else {
            MODE_EUCLIDEAN
        };
        (if index & 1 == 0 { MODE_NATURAL } else { odd }, index >> 1)
    } else {
        (params.mode, index)
    };
    let rx = unit_float(hash4(params.seed, stream, generation, 0));
    let ry = unit_float(hash4(params.seed, stream, generation, 1));
    let rl = unit_float(hash4(params.seed, stream, generation, 2));
    let position = [
        params.view_min[0] + (params.view_max[0] - params.view_min[0]) * rx,
        params.view_min[1] + (params.view_max[1] - params.view_min[1]) * ry,
    ];
    Particle {
        position,
        previous: position,
        mode,
        generation,
        lifetime: ((params.max_age as f32 * (0.5 + rl)) as u32).max(1),
        alive: 1,
        ..Particle::default()
    }
}

/// The shader's `general_twin`: the label-swapped target's slice coordinates, when it lies in
/// the slice.
pub fn general_twin(params: &FlowParams) -> Option<[f32; 2]> {
    let t = params.target_model;
    let swapped = [1.0 - t[0], t[2], t[1], t[4], t[3]];
    let (a, b) = (params.slice_a as usize, params.slice_b as usize);
    let in_slice = (0..5).all(|k| k == a || k == b || swapped[k] == params.base[k]);
    in_slice.then_some([swapped[a], swapped[b]])
}

fn should_respawn(params: &FlowParams, p: &Particle, velocity_defined: bool) -> bool {
    let [x, y] = p.position;
    let mut outside = x < params.view_min[0]
        || y < params.view_min[1]
        || x > params.view_max[0]
        || y > params.view_max[1];
    let t = params.target;
    let mut twin = Some([t[1], t[0]]);
    if params.flags & flow_flags::GENERAL != 0 {
        outside = outside
            || !inside_model(
                &general_psi(params, p.position),
                [params.slice_a, params.slice_b],
            );
        twin = general_twin(params);
    }
    let dist = |a: [f32; 2]| (x - a[0]).hypot(y - a[1]);
    let converged =
        dist(t) < params.converge_radius || twin.is_some_and(|w| dist(w) < params.converge_radius);
    p.age >= p.lifetime || outside || converged || !velocity_defined || !finite2(p.position)
}

/// One step of one particle (the shader's `step` for one index).
pub fn step_particle(
    params: &FlowParams,
    nodes: &[[f32; 2]],
    index: u32,
    p: &Particle,
) -> Particle {
    step_particle_using(params, nodes, index, p, &union_pass)
}

/// [`step_particle`] with `union` as the general kernel's union pass.
pub fn step_particle_using(
    params: &FlowParams,
    nodes: &[[f32; 2]],
    index: u32,
    p: &Particle,
    union: &UnionPassFn,
) -> Particle {
    if params.flags & flow_flags::POLICY != 0 {
        return super::policy_flow::step_policy_particle(params, index, p);
    }
    if params.flags & flow_flags::SPAWN_FRESH != 0 {
        return spawn(params, index, 0);
    }
    let h = params.dt;
    let velocity = |theta: [f32; 2]| velocity_using(params, nodes, theta, p.mode, union);
    let k1 = velocity(p.position);
    let mut next = stage_position(p.position, k1.v, h);
    if params.integrator == INTEGRATOR_RK4 {
        let k2 = velocity(stage_position(p.position, k1.v, 0.5 * h));
        let k3 = velocity(stage_position(p.position, k2.v, 0.5 * h));
        let k4 = velocity(stage_position(p.position, k3.v, h));
        next = rk4_position(p.position, [k1.v, k2.v, k3.v, k4.v], h);
    }
    finish_step(params, index, p, next, &k1)
}

/// pos + s·k: where an integrator stage evaluates the velocity.
pub fn stage_position(pos: [f32; 2], k: [f32; 2], s: f32) -> [f32; 2] {
    [pos[0] + s * k[0], pos[1] + s * k[1]]
}

/// RK4's combination of its four stage velocities.
pub fn rk4_position(pos: [f32; 2], k: [[f32; 2]; 4], h: f32) -> [f32; 2] {
    let sum = |c: usize| k[0][c] + 2.0 * k[1][c] + 2.0 * k[2][c] + k[3][c];
    [pos[0] + (h / 6.0) * sum(0), pos[1] + (h / 6.0) * sum(1)]
}

/// The rest of a step once the new position is known: trail bookkeeping, age, respawn.
pub fn finish_step(
    params: &FlowParams,
    index: u32,
    p: &Particle,
    next: [f32; 2],
    k1: &Velocity,
) -> Particle {
    let trace = params.flags & flow_flags::TRACE != 0;
    let h = params.dt;
    let mut out = *p;
    out.previous = p.position;
    out.speed = k1.speed;
    out.length = p.length + k1.speed * h;
    out.position = next;
    out.age = p.age + 1;
    if !trace && should_respawn(params, &out, k1.defined) {
        out = spawn(params, index, p.generation + 1);
    }
    out
}

/// One step for every particle: `destination[i] = step(source[i])`, in parallel.
pub fn step(
    params: &FlowParams,
    nodes: &[[f32; 2]],
    source: &[Particle],
    destination: &mut [Particle],
) {
    step_using(params, nodes, source, destination, &union_pass);
}

/// [`step`] with `union` as the general kernel's union pass.
pub fn step_using(
    params: &FlowParams,
    nodes: &[[f32; 2]],
    source: &[Particle],
    destination: &mut [Particle],
    union: &UnionPassFn,
) {
    let count = params.count as usize;
    destination[..count]
        .par_iter_mut()
        .enumerate()
        .for_each(|(i, out)| {
            *out = step_particle_using(params, nodes, i as u32, &source[i], union);
        });
}

/// The cell of the view `position` is in, numbered row by row with every other row reversed
/// (a serpentine: consecutive cells are neighbours on the canvas). Positions off the view count
/// in its edge cells, NaN in the first cell of its axis. The mirror of `particle_order.wgsl`'s
/// `place_cell`.
pub fn place_cell(params: &FlowParams, position: [f32; 2]) -> u32 {
    let (lo, hi) = (params.view_min, params.view_max);
    let axis = |k: usize| {
        let u = (position[k] - lo[k]) / (hi[k] - lo[k]) * PLACE_CELLS as f32;
        // NaN and ±∞ land in an edge cell too (`as` saturates, NaN to 0).
        (u.max(0.0) as u32).min(PLACE_CELLS - 1)
    };
    let (x, y) = (axis(0), axis(1));
    y * PLACE_CELLS + if y % 2 == 0 { x } else { PLACE_CELLS - 1 - x }
}

/// The particles' indices ordered by [`place_cell`], in index order within a cell (a counting
/// sort: linear in the particles). The SIMD general path forms its blocks from it; the GPU's
/// general step runs its lanes in the same order by cell (`particle_order.wgsl`, whose atomics
/// order the particles within a cell as they come).
pub fn spatial_order(params: &FlowParams, particles: &[Particle]) -> Vec<u32> {
    let cell_count = (PLACE_CELLS * PLACE_CELLS) as usize;
    let cells: Vec<usize> = particles
        .iter()
        .map(|p| place_cell(params, p.position) as usize)
        .collect();
    let mut starts = vec![0usize; cell_count + 1];
    for &c in &cells {
        starts[c + 1] += 1;
    }
    for k in 1..starts.len() {
        starts[k] += starts[k - 1];
    }
    let mut order = vec![0u32; particles.len()];
    for (i, &c) in cells.iter().enumerate() {
        order[starts[c]] = i as u32;
        starts[c] += 1;
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_matches_known_values_and_is_spread() {
        // Known answers from an independent transcription of Jarzynski & Olano's pcg_hash
        // (Python, arbitrary-precision integers masked to 32 bits), not from this code.
        assert_eq!(pcg_hash(0), 129_708_002);
        assert_eq!(pcg_hash(1), 2_831_084_092);
        assert_eq!(pcg_hash(0xdead_beef), 1_730_779_506);
        assert_eq!(hash4(7, 1, 2, 3), 2_725_765_565);
        assert_eq!(hash4(8, 1, 2, 3), 1_801_807_029);
        let mean: f32 = (0..10_000).map(|i| unit_float(pcg_hash(i))).sum::<f32>() / 10_000.0;
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
    }

    /// The spatial order is a permutation of the particles, visits the view's cells in its
    /// serpentine order, and takes particles off the view or at NaN into edge cells.
    #[test]
    fn the_spatial_order_is_a_permutation_by_cell() {
        let params = FlowParams {
            view_min: [-2.0, 0.0],
            view_max: [2.0, 4.0],
            ..FlowParams::default()
        };
        let at = |x: f32, y: f32| Particle {
            position: [x, y],
            ..Particle::default()
        };
        let cell = 4.0 / PLACE_CELLS as f32;
        let particles = vec![
            at(1.9, 3.9),                // top row (odd: right to left), rightmost: early in it
            at(-1.9, 0.05),              // first cell
            at(-1.9 + cell, 0.05),       // second cell of the first row
            at(1.9, 0.05 + cell),        // second row (reversed): its first cell
            at(f32::NAN, 1e9),           // NaN x, y far above: the top row's leftmost, last
            at(-1.9, 0.05),              // the first cell again, after the first
            at(-1.9 + 2.0 * cell, 0.05), // third cell of the first row
        ];
        let order = spatial_order(&params, &particles);
        assert_eq!(order, vec![1, 5, 2, 6, 3, 0, 4]);
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(sorted, (0..particles.len() as u32).collect::<Vec<_>>());
        // Control: index order is not this order.
        assert_ne!(order, (0..particles.len() as u32).collect::<Vec<_>>());
    }
}
