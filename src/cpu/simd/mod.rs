//! The FIM field on the CPU at the SIMD limit: `shaders/fim_field.wgsl`'s rule (same nodes, same
//! panels, same formulas as [`super::gmm`] and [`super::fim_field`]) evaluated a vector of cells
//! at a time — 16 f32 lanes with AVX-512, 8 with AVX2 + FMA — on every core (rayon over blocks
//! of cells).
//!
//! The instruction set is chosen at run time ([`simd_level`]): AVX-512F where the CPU has it,
//! else AVX2 + FMA, else the scalar mirror ([`super::fim_field::field_into`]) — the same numbers,
//! only slower. Every `*_at` function takes the level explicitly, so the benchmark
//! (`bench --isa`) and the tests race and compare the levels on one machine. The kernels are
//! written once over the vector type of `vector` (`kernel`) and compiled per level inside
//! the `#[target_feature]` entry points below.
//!
//! The transcendental functions are our own vectorised polynomials (`kernel::exp`, the log
//! and tanh are the shader's series and Padé forms, `gmm::log_ratio_1p`, `gmm::tanh_from_exp`),
//! so no lane ever calls libm:
//!
//! * exp: Cody–Waite range reduction x = n·ln 2 + r, |r| ≤ ln2/2, then a degree-6 Taylor
//!   polynomial for e^r (truncation 2.2e-8 relative) and 2ⁿ built in the exponent field; measured
//!   maximum relative error against f64 `exp` over [−87, 88]: below 2.5e-7 (about 2 ulp; the
//!   test `exp_is_accurate_at_every_level` holds it to 3e-7). Arguments below −87.33 give
//!   exactly 0 (the kernel's underflowing weights), above 88.7 +∞ never occurs in the kernel
//!   (every argument is ≤ 0).
//!
//! Per cell and node the work is the shader's: F over one component (2 exps per node: the node
//! weight and the model's switch), the target over both of its components (3 exps per node), so
//! [`exps_per_cell`] = 2·Q + 6·Q at Q nodes per component; the finishing per cell (eigen-
//! decomposition, natural gradient, angle) is the scalar mirror's own code.
//!
//! Cells are blocked a vector at a time in index order; a ragged last block repeats its last
//! cell in the unused lanes and writes only the real ones. The flow ([`particles_step`]) uses
//! the same vector sums for its velocity, a vector of particles at a time, one RK4 stage after
//! the other.

mod general;
mod general_paths;
mod kernel;
mod vector;

use rayon::prelude::*;

use crate::gpu::gpu_data::{FieldCell, FieldParams};
use vector::MAX_LANES;

pub use general_paths::{general_grid_into_at, general_points_at};
use general_paths::{general_particle_block, truncation_lanes_at, union_pass_lanes_at};

/// Which instruction set the SIMD paths run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SimdLevel {
    /// No usable vector unit: the scalar mirror.
    Scalar,
    /// 8 f32 lanes with AVX2 and FMA.
    Avx2Fma,
    /// 16 f32 lanes with AVX-512F (and FMA).
    Avx512,
}

impl SimdLevel {
    /// Every level, narrowest first.
    pub const ALL: [SimdLevel; 3] = [SimdLevel::Scalar, SimdLevel::Avx2Fma, SimdLevel::Avx512];

    /// Lanes per vector.
    pub fn lanes(self) -> usize {
        match self {
            SimdLevel::Avx512 => 16,
            SimdLevel::Avx2Fma => 8,
            SimdLevel::Scalar => 1,
        }
    }

    /// A short name for reports ("avx512", "avx2+fma", "scalar").
    pub fn name(self) -> &'static str {
        match self {
            SimdLevel::Avx512 => "avx512",
            SimdLevel::Avx2Fma => "avx2+fma",
            SimdLevel::Scalar => "scalar",
        }
    }

    /// The level named `scalar`, `avx2` (or `avx2+fma`) or `avx512`, with an error that lists
    /// the names.
    pub fn from_name(name: &str) -> Result<SimdLevel, String> {
        match name.trim() {
            "scalar" => Ok(SimdLevel::Scalar),
            "avx2" | "avx2+fma" => Ok(SimdLevel::Avx2Fma),
            "avx512" => Ok(SimdLevel::Avx512),
            other => Err(format!(
                "unknown instruction set `{other}`: use scalar, avx2 or avx512"
            )),
        }
    }

    /// Whether this CPU can run the level (detected at run time).
    pub fn is_supported(self) -> bool {
        match self {
            SimdLevel::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx2Fma => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// `self` where the CPU supports it, else the best level below it that it does.
    pub fn or_supported(self) -> SimdLevel {
        Self::ALL
            .into_iter()
            .filter(|l| *l <= self && l.is_supported())
            .max()
            .unwrap_or(SimdLevel::Scalar)
    }
}

/// The best level this CPU supports (detected at run time, not at compile time: one binary
/// runs everywhere).
pub fn simd_level() -> SimdLevel {
    SimdLevel::Avx512.or_supported()
}

/// The levels this CPU supports, narrowest first.
pub fn supported_levels() -> Vec<SimdLevel> {
    SimdLevel::ALL
        .into_iter()
        .filter(|l| l.is_supported())
        .collect()
}

/// Exponentials per cell of the field at `nodes_per_component` (Q) nodes per component: F on
/// one component (2 per node), the target on two (3 per node each). The WGSL kernel and both CPU
/// paths do exactly this many; the benchmark divides by it to state achieved exps per second.
pub fn exps_per_cell(nodes_per_component: u32) -> u64 {
    8 * nodes_per_component as u64
}

/// The `#[target_feature]` entry points of one level: each compiles [`kernel`]'s generic code
/// with the level's instructions (the kernel is `#[inline(always)]`, so it lands in here).
macro_rules! entry_points {
    ($module:ident, $vector:ty, $features:literal) => {
        #[cfg(target_arch = "x86_64")]
        mod $module {
            use super::kernel;
            use super::vector::MAX_LANES;
            use crate::gpu::gpu_data::{FieldCell, FieldParams};

            /// [`kernel::field_block`].
            #[target_feature(enable = $features)]
            pub unsafe fn field_block(
                params: &FieldParams,
                nodes: &[[f32; 2]],
                first: usize,
                out: &mut [FieldCell],
            ) {
                unsafe { kernel::field_block::<$vector>(params, nodes, first, out) }
            }

            /// [`kernel::flow_sums`].
            #[target_feature(enable = $features)]
            pub unsafe fn flow_sums(
                sigma: f32,
                target: [f32; 2],
                positions: &[[f32; 2]; MAX_LANES],
                nodes: &[[f32; 2]],
            ) -> [([f32; 3], [f32; 2]); MAX_LANES] {
                unsafe { kernel::flow_sums::<$vector>(sigma, target, positions, nodes) }
            }

            /// [`super::general::union_pass`].
            #[target_feature(enable = $features)]
            pub unsafe fn union_pass(
                m: &crate::cpu::general::Mixture,
                target_mix: &crate::cpu::general::Mixture,
                slice: [u32; 2],
                t: f32,
                nodes: &[[f32; 2]],
                sums: u32,
            ) -> crate::cpu::general::UnionSums {
                unsafe {
                    super::general::union_pass::<$vector>(m, target_mix, slice, t, nodes, sums)
                }
            }

            /// [`super::general::union_pass_lanes`].
            #[target_feature(enable = $features)]
            pub unsafe fn union_pass_lanes(
                models: &[crate::cpu::general::Mixture; MAX_LANES],
                targets: &[crate::cpu::general::Mixture; MAX_LANES],
                t: &super::vector::LaneArray,
                valid: &[bool; MAX_LANES],
                slice: [u32; 2],
                nodes: &[[f32; 2]],
                sums: u32,
            ) -> [crate::cpu::general::UnionSums; MAX_LANES] {
                unsafe {
                    super::general::union_pass_lanes::<$vector>(
                        models, targets, t, valid, slice, nodes, sums,
                    )
                }
            }

            /// [`kernel::truncation_sigmas_lanes`].
            #[target_feature(enable = $features)]
            pub unsafe fn truncation_sigmas_lanes(
                min_weights: &super::vector::LaneArray,
            ) -> super::vector::LaneArray {
                unsafe { kernel::truncation_sigmas_lanes::<$vector>(min_weights) }
            }

            /// [`kernel::exp_slice`].
            #[target_feature(enable = $features)]
            pub unsafe fn exp_slice(xs: &[f32], out: &mut [f32]) {
                unsafe { kernel::exp_slice::<$vector>(xs, out) }
            }

            /// [`kernel::exp_throughput`].
            #[target_feature(enable = $features)]
            pub unsafe fn exp_throughput(start: f32, step: f32, count: u64) -> f32 {
                unsafe { kernel::exp_throughput::<$vector>(start, step, count) }
            }
        }
    };
}

entry_points!(avx2, super::vector::Avx2, "avx2,fma");
entry_points!(avx512, super::vector::Avx512, "avx512f,avx2,fma");

/// The whole field (entry point `field`) into `out` (`params.cell_count` cells) on the best
/// level available; returns the level used.
pub fn field_into(params: &FieldParams, nodes: &[[f32; 2]], out: &mut [FieldCell]) -> SimdLevel {
    field_into_at(simd_level(), params, nodes, out)
}

/// [`field_into`] at a given level (the benchmark races them, the tests compare them); a level
/// the CPU lacks falls back to the best one below it. Returns the level used.
pub fn field_into_at(
    level: SimdLevel,
    params: &FieldParams,
    nodes: &[[f32; 2]],
    out: &mut [FieldCell],
) -> SimdLevel {
    let level = level.or_supported();
    let out = &mut out[..params.cell_count as usize];
    match level {
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 => for_each_block(out, 16, |first, lanes| {
            // SAFETY: `or_supported` checked AVX-512F, AVX2 and FMA at run time.
            unsafe { avx512::field_block(params, nodes, first, lanes) };
        }),
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2Fma => for_each_block(out, 8, |first, lanes| {
            // SAFETY: `or_supported` checked AVX2 and FMA at run time.
            unsafe { avx2::field_block(params, nodes, first, lanes) };
        }),
        _ => super::fim_field::field_into(params, nodes, out),
    }
    level
}

/// The whole field as a new vector, on the best level.
pub fn field(params: &FieldParams, nodes: &[[f32; 2]]) -> Vec<FieldCell> {
    let mut out = vec![FieldCell::default(); params.cell_count as usize];
    field_into(params, nodes, &mut out);
    out
}

/// e^x of each element of `xs`, written to `out`, at `level` (the accuracy test uses it; the
/// kernels call the vector form inline). The vector levels are accurate to 2.5e-7 relative
/// for x ≤ 88.37 and return +∞ above it (2ⁿ is built in the exponent field, whose n = 128 is
/// ∞; e^x there is within 30% of `f32::MAX` or beyond it), exactly 0 below −87.33. Returns the
/// level used.
pub fn exp_slice_at(level: SimdLevel, xs: &[f32], out: &mut [f32]) -> SimdLevel {
    let level = level.or_supported();
    match level {
        // SAFETY (both): `or_supported` checked the level's features at run time.
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 => unsafe { avx512::exp_slice(xs, out) },
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2Fma => unsafe { avx2::exp_slice(xs, out) },
        _ => {
            for (o, &x) in out.iter_mut().zip(xs) {
                *o = x.exp();
            }
        }
    }
    level
}

/// Sums e^(x + i·step) for i in 0..count (arguments cycling over 64 steps), a vector at a time
/// with independent accumulators, at `level`: the exp throughput ceiling's inner loop (no
/// memory traffic, the polynomial only). Returns the sum so the work cannot be optimised away.
pub fn exp_throughput_kernel_at(level: SimdLevel, start: f32, step: f32, count: u64) -> f32 {
    match level.or_supported() {
        // SAFETY (both): `or_supported` checked the level's features at run time.
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 => unsafe { avx512::exp_throughput(start, step, count) },
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2Fma => unsafe { avx2::exp_throughput(start, step, count) },
        _ => {
            let mut sum = 0.0f32;
            for i in 0..count {
                sum += (start + (i % 64) as f32 * step).exp();
            }
            sum
        }
    }
}

/// [`exp_throughput_kernel_at`] on the best level.
pub fn exp_throughput_kernel(start: f32, step: f32, count: u64) -> f32 {
    exp_throughput_kernel_at(simd_level(), start, step, count)
}

/// One flow step for every particle (`cpu::particles::step`) on the best level.
pub fn particles_step(
    params: &crate::gpu::gpu_data::FlowParams,
    nodes: &[[f32; 2]],
    source: &[crate::gpu::gpu_data::Particle],
    destination: &mut [crate::gpu::gpu_data::Particle],
) -> SimdLevel {
    particles_step_at(simd_level(), params, nodes, source, destination)
}

/// One flow step for every particle (`cpu::particles::step`) with the seed kernel's velocity
/// sums (F on one component, ∇L's two target components) taken a vector of particles at a time
/// at `level`: each RK4 stage for a block, then the next stage. The per-particle rest (natural
/// or Euclidean direction, speed cap, step limit, respawn) is the scalar mirror's own code. On
/// the general kernel a block's stage runs one union pass with a particle per lane
/// ([`general_grid_into_at`]'s `union_pass_lanes`); a fresh spawn and the scalar level take
/// the scalar path.
/// Returns the level used.
pub fn particles_step_at(
    level: SimdLevel,
    params: &crate::gpu::gpu_data::FlowParams,
    nodes: &[[f32; 2]],
    source: &[crate::gpu::gpu_data::Particle],
    destination: &mut [crate::gpu::gpu_data::Particle],
) -> SimdLevel {
    use crate::gpu::gpu_data::flow_flags;
    // The vector sums have no empirical Fisher: a natural-vs-EF flow on the seed's slice takes
    // the scalar mirror.
    let seed = params.flags & (flow_flags::GENERAL | flow_flags::SPAWN_FRESH) == 0
        && params.mode != super::particles::MODE_NATURAL_VS_EF;
    let level = level.or_supported();
    let general =
        params.flags & flow_flags::GENERAL != 0 && params.flags & flow_flags::SPAWN_FRESH == 0;
    if general
        && params.flags & flow_flags::POLICY == 0
        && let Some((pass, lanes)) = union_pass_lanes_at(level)
        && let Some(truncation) = truncation_lanes_at(level)
    {
        // The general kernel: a block of particles at a time, each stage's union passes with
        // a particle per lane. The lanes of a block walk as many panels as the one with the
        // most, so blocks are formed from particles near each other, whose windows match
        // (`super::particles::spatial_order`, the GPU's place order); each particle's step is
        // its own, whatever its block.
        let count = params.count as usize;
        let target = super::particles::target_shape(params);
        let order = super::particles::spatial_order(params, &source[..count]);
        let stepped: Vec<[crate::gpu::gpu_data::Particle; MAX_LANES]> = order
            .par_chunks(lanes)
            .with_min_len(4)
            .map(|indices| {
                let mut out = [crate::gpu::gpu_data::Particle::default(); MAX_LANES];
                let block = &mut out[..indices.len()];
                let kernels = (pass, truncation);
                general_particle_block(kernels, params, nodes, &target, source, indices, block);
                out
            })
            .collect();
        for (indices, out) in order.chunks(lanes).zip(&stepped) {
            for (&i, particle) in indices.iter().zip(out) {
                destination[i as usize] = *particle;
            }
        }
        return level;
    }
    if seed && level != SimdLevel::Scalar {
        let count = params.count as usize;
        for_each_block(&mut destination[..count], level.lanes(), |first, lanes| {
            particle_block(
                level,
                params,
                nodes,
                first,
                &source[first..first + lanes.len()],
                lanes,
            );
        });
        return level;
    }
    super::particles::step(params, nodes, source, destination);
    SimdLevel::Scalar
}

/// Up to a vector of particles (`source`, indices from `first`) stepped into `out`.
fn particle_block(
    level: SimdLevel,
    params: &crate::gpu::gpu_data::FlowParams,
    nodes: &[[f32; 2]],
    first: usize,
    source: &[crate::gpu::gpu_data::Particle],
    out: &mut [crate::gpu::gpu_data::Particle],
) {
    use super::particles::{
        INTEGRATOR_RK4, Velocity, finish_step, rk4_position, seed_velocity_from, stage_position,
    };
    type Positions = [[f32; 2]; MAX_LANES];
    let count = source.len();
    let lane = |k: usize| &source[k.min(count - 1)];
    let sums = |positions: &Positions| -> [([f32; 3], [f32; 2]); MAX_LANES] {
        match level {
            // SAFETY (both): the caller checked the level's features at run time.
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx512 => unsafe {
                avx512::flow_sums(params.sigma, params.target, positions, nodes)
            },
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx2Fma => unsafe {
                avx2::flow_sums(params.sigma, params.target, positions, nodes)
            },
            _ => unreachable!("the scalar level steps with the mirror"),
        }
    };
    // Only the real particles are finished; the padding lanes repeat the last one.
    let velocities = |positions: Positions| -> [Velocity; MAX_LANES] {
        let sums = sums(&positions);
        std::array::from_fn(|k| {
            let k = k.min(count - 1);
            seed_velocity_from(
                params,
                positions[k],
                lane(k).mode,
                sums[k].0,
                sums[k].1,
                [0.0; 3],
            )
        })
    };
    let h = params.dt;
    let start: Positions = std::array::from_fn(|k| lane(k).position);
    let k1 = velocities(start);
    let mut next: Positions = std::array::from_fn(|k| stage_position(start[k], k1[k].v, h));
    if params.integrator == INTEGRATOR_RK4 {
        let k2 = velocities(std::array::from_fn(|k| {
            stage_position(start[k], k1[k].v, 0.5 * h)
        }));
        let k3 = velocities(std::array::from_fn(|k| {
            stage_position(start[k], k2[k].v, 0.5 * h)
        }));
        let k4 = velocities(std::array::from_fn(|k| {
            stage_position(start[k], k3[k].v, h)
        }));
        next = std::array::from_fn(|k| {
            rk4_position(start[k], [k1[k].v, k2[k].v, k3[k].v, k4[k].v], h)
        });
    }
    for (k, particle) in out.iter_mut().enumerate() {
        *particle = finish_step(params, (first + k) as u32, &source[k], next[k], &k1[k]);
    }
}

/// Runs `block(first index, up to `lanes` items)` over `items` in blocks of `lanes` (the last
/// one ragged), in parallel: 64 items per rayon task, enough work per task (~1.6 ms for the
/// field at Q = 64) that the scheduling vanishes, small enough to balance two cores on small
/// grids. `lanes` divides 64.
fn for_each_block<T: Send>(items: &mut [T], lanes: usize, block: impl Fn(usize, &mut [T]) + Sync) {
    items
        .par_chunks_mut(64)
        .enumerate()
        .for_each(|(chunk, task)| {
            for (k, part) in task.chunks_mut(lanes).enumerate() {
                block(chunk * 64 + k * lanes, part);
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::compute::fim_field::grid_params;
    use crate::math::QuadratureRule;

    /// Largest difference between two fields, relative to each cell's F scale (λ_max) for
    /// F-like entries and to max(|x|, 1e-3) for the rest; flags must match.
    fn worst_difference(a: &[FieldCell], b: &[FieldCell]) -> f32 {
        let mut worst = 0.0f32;
        for (x, y) in a.iter().zip(b) {
            assert_eq!(x.theta, y.theta, "same cells in the same order");
            if x.flags != y.flags {
                return f32::INFINITY;
            }
            let scale = x.eigenvalues[0].abs().max(1e-6);
            let f_like = x.fisher[..3]
                .iter()
                .zip(&y.fisher[..3])
                .chain(x.empirical.iter().zip(&y.empirical));
            for (p, q) in f_like {
                worst = worst.max((p - q).abs() / scale);
            }
            worst = worst.max((x.eigenvalues[1] - y.eigenvalues[1]).abs() / scale);
            // ∇L as a vector (a component may be tiny next to the other), L with a floor.
            let grad_scale = x.grad[0].hypot(x.grad[1]).max(1e-3);
            for k in 0..2 {
                worst = worst.max((x.grad[k] - y.grad[k]).abs() / grad_scale);
            }
            worst = worst.max((x.loss - y.loss).abs() / x.loss.abs().max(y.loss.abs()).max(1e-3));
            if x.loss.is_nan() || y.loss.is_nan() {
                return f32::NAN;
            }
        }
        worst
    }

    /// Every SIMD level against the scalar mirror: a grid whose count is not a multiple of 8 or
    /// 16 (the ragged tail), crossing the diagonal (near-diagonal cells, Δ → 0, where κ → ∞) and
    /// reaching cells 9σ from it (far), with and without damping.
    #[test]
    fn every_level_matches_the_scalar_mirror_including_the_ragged_tail() {
        let levels = supported_levels();
        eprintln!(
            "levels on this CPU: {:?}",
            levels.iter().map(|l| l.name()).collect::<Vec<_>>()
        );
        let rule = QuadratureRule::new(64).unwrap();
        let nodes = rule.panel_rule().table_f32();
        for (columns, rows, damping, half_width) in [
            (13u32, 7u32, 0.0f32, 9.0f64),
            (37, 29, 1e-3, 4.0),
            (5, 1, 0.0, 0.02),
        ] {
            let params = FieldParams {
                panel_nodes: nodes.len() as u32,
                ..grid_params(
                    [-half_width + 0.01, -half_width],
                    [half_width + 0.01, half_width],
                    columns,
                    rows,
                    1.0,
                    [-1.5, 1.0],
                    damping,
                )
            };
            let count = params.cell_count as usize;
            assert_ne!(count % 8, 0, "the grid must leave a ragged tail");
            let scalar = crate::cpu::fim_field::field(&params, &nodes);
            let mut simd = Vec::new();
            for &level in &levels {
                // Sentinels past the end: the ragged block must not write beyond its cells.
                simd = vec![
                    FieldCell {
                        loss: -7.0,
                        ..FieldCell::default()
                    };
                    count + 16
                ];
                let used = field_into_at(level, &params, &nodes, &mut simd[..]);
                assert_eq!(used, level);
                assert!(
                    simd[count..].iter().all(|c| c.loss == -7.0),
                    "{}: wrote past the field",
                    level.name()
                );
                let worst = worst_difference(&simd[..count], &scalar);
                assert!(
                    worst < 2e-5,
                    "{columns}×{rows} {}: SIMD vs scalar {worst}",
                    level.name()
                );
            }
            // Near-diagonal cells are in the grid (κ infinite or huge there in both).
            assert!(scalar.iter().any(|c| c.kappa().is_none_or(|k| k > 1e3)));

            // Negative controls: a perturbed field and a flag mismatch are caught.
            let mut perturbed = simd[..count].to_vec();
            let last = perturbed[count - 1].grad;
            perturbed[count - 1].grad[0] += 1e-3 * last[0].hypot(last[1]).max(1e-3);
            assert!(worst_difference(&perturbed, &scalar) > 5e-4);
            let mut flagged = simd[..count].to_vec();
            flagged[count / 2].flags ^= crate::gpu::gpu_data::flags::NATGRAD_UNDEFINED;
            assert_eq!(worst_difference(&flagged, &scalar), f32::INFINITY);
            let mut nan = simd[..count].to_vec();
            nan[0].loss = f32::NAN;
            assert!(
                worst_difference(&nan, &scalar).is_nan(),
                "NaN must not pass"
            );
        }
    }

    #[test]
    fn exp_throughput_kernel_sums_what_it_says_at_every_level() {
        // 2048 exps of arguments cycling over [−1, −1 + 64·0.01): compare with a scalar sum.
        let count = 64 * 32;
        let want: f64 = (0..count)
            .map(|i| (-1.0f64 + (i % 64) as f64 * 0.01).exp())
            .sum();
        for level in supported_levels() {
            let got = exp_throughput_kernel_at(level, -1.0, 0.01, count) as f64;
            assert!(
                ((got - want) / want).abs() < 1e-4,
                "{}: {got} vs {want}",
                level.name()
            );
        }
        // Negative control: a different count sums to something else.
        let short = exp_throughput_kernel(-1.0, 0.01, count / 2) as f64;
        assert!(((short - want) / want).abs() > 0.4);
    }

    #[test]
    fn exp_is_accurate_at_every_level() {
        let xs: Vec<f32> = (0..200_001)
            .map(|i| -87.0 + 175.0 * i as f32 / 200_000.0)
            .collect();
        for level in supported_levels() {
            let mut got = vec![0.0f32; xs.len()];
            assert_eq!(exp_slice_at(level, &xs, &mut got), level);
            let mut worst = 0.0f64;
            for (&x, &g) in xs.iter().zip(&got) {
                let exact = (x as f64).exp();
                worst = worst.max(((g as f64 - exact) / exact).abs());
            }
            eprintln!("exp ({}): worst relative error {worst:.3e}", level.name());
            assert!(
                worst < 3e-7,
                "{}: exp worst relative error {worst}",
                level.name()
            );
            // Underflow: exactly 0 below the clamp; NaN in, NaN out; a ragged tail of 3.
            let mut tiny = [1.0f32; 4];
            exp_slice_at(level, &[-100.0, -1e30, 0.0, f32::NAN], &mut tiny);
            // (The scalar level is libm's exp, which returns subnormals down to −103.)
            let underflow = if level == SimdLevel::Scalar {
                1e-43
            } else {
                0.0
            };
            assert!(
                tiny[0] <= underflow && tiny[1] == 0.0,
                "{}: {tiny:?}",
                level.name()
            );
            assert_eq!(tiny[2], 1.0, "{}", level.name());
            assert!(tiny[3].is_nan(), "{}: NaN must stay NaN", level.name());
        }
    }

    #[test]
    fn levels_are_named_ordered_and_fall_back() {
        for level in SimdLevel::ALL {
            assert_eq!(SimdLevel::from_name(level.name()), Ok(level));
        }
        assert_eq!(SimdLevel::from_name("avx2"), Ok(SimdLevel::Avx2Fma));
        let error = SimdLevel::from_name("sse9").unwrap_err();
        assert!(error.contains("scalar, avx2 or avx512"), "{error}");
        assert!(SimdLevel::Scalar < SimdLevel::Avx2Fma && SimdLevel::Avx2Fma < SimdLevel::Avx512);
        // The best level is supported and nothing supported lies above it.
        let best = simd_level();
        assert!(best.is_supported());
        assert_eq!(supported_levels().last(), Some(&best));
        assert_eq!(SimdLevel::Scalar.or_supported(), SimdLevel::Scalar);
        assert!(SimdLevel::Avx512.or_supported() <= SimdLevel::Avx512);
    }
}
