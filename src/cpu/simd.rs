//! The FIM field on the CPU at the SIMD limit: `shaders/fim_field.wgsl`'s rule (same nodes, same
//! panels, same formulas as [`super::gmm`] and [`super::fim_field`]) evaluated 8 cells at a time
//! in the 8 f32 lanes of AVX2 with FMA, on every core (rayon over blocks of cells).
//!
//! The instruction set is chosen at run time ([`simd_level`]): AVX2 + FMA where the CPU has
//! them, otherwise the scalar mirror ([`super::fim_field::field_into`]) — the same numbers, only
//! slower. The transcendental functions are our own vectorised polynomials ([`exp8`] here, the
//! log and tanh are the shader's series and Padé forms, `gmm::log_ratio_1p`,
//! `gmm::tanh_from_exp`), so no lane ever calls libm:
//!
//! * `exp8`: Cody–Waite range reduction x = n·ln 2 + r, |r| ≤ ln2/2, then a degree-6 Taylor
//!   polynomial for e^r (truncation 2.2e-8 relative) and 2ⁿ built in the exponent field; measured
//!   maximum relative error against f64 `exp` over [−87, 88]: below 2.5e-7 (about 2 ulp; the
//!   test `exp8_is_accurate` holds it to 3e-7). Arguments below −87.3 give exactly 0 (the
//!   kernel's underflowing weights), above 88.7 +∞ never occurs in the kernel (every argument is
//!   ≤ 0).
//!
//! Per cell and node the work is the shader's: F over one component (2 exps per node: the node
//! weight and the model's switch), the target over both of its components (3 exps per node), so
//! [`EXPS_PER_CELL`] = 2·Q + 6·Q at Q nodes per component; the finishing per cell (eigen-
//! decomposition, natural gradient, angle) is the scalar mirror's own code.
//!
//! Cells are blocked 8 at a time in index order; a ragged last block repeats its last cell in the
//! unused lanes and writes only the real ones. The flow ([`particles_step`]) uses the same
//! vector sums for its velocity, 8 particles at a time, one RK4 stage after the other.

use rayon::prelude::*;

use super::fim_field::{fisher_cell, with_target_terms};
use super::gmm::{INV_SQRT_2PI, INV_SQRT2, TRUNCATION_SIGMAS};
use crate::gpu::gpu_data::{FieldCell, FieldParams};

/// Which instruction set the field runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimdLevel {
    /// 8 f32 lanes with AVX2 and FMA.
    Avx2Fma,
    /// No usable vector unit: the scalar mirror.
    Scalar,
}

impl SimdLevel {
    /// Lanes per vector.
    pub fn lanes(self) -> usize {
        match self {
            SimdLevel::Avx2Fma => 8,
            SimdLevel::Scalar => 1,
        }
    }

    /// A short name for reports ("avx2+fma", "scalar").
    pub fn name(self) -> &'static str {
        match self {
            SimdLevel::Avx2Fma => "avx2+fma",
            SimdLevel::Scalar => "scalar",
        }
    }
}

/// The best level this CPU supports (detected at run time, not at compile time: one binary
/// runs everywhere).
pub fn simd_level() -> SimdLevel {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return SimdLevel::Avx2Fma;
        }
    }
    SimdLevel::Scalar
}

/// Exponentials per cell of the field at `nodes_per_component` (Q) nodes per component: F on
/// one component (2 per node), the target on two (3 per node each). The WGSL kernel and both CPU
/// paths do exactly this many; the benchmark divides by it to state achieved exps per second.
pub fn exps_per_cell(nodes_per_component: u32) -> u64 {
    8 * nodes_per_component as u64
}

/// The whole field (entry point `field`) into `out` (`params.cell_count` cells) on the best
/// level available; returns the level used.
pub fn field_into(params: &FieldParams, nodes: &[[f32; 2]], out: &mut [FieldCell]) -> SimdLevel {
    field_into_at(simd_level(), params, nodes, out)
}

/// [`field_into`] at a given level (tests compare the levels); a level the CPU lacks falls back
/// to the scalar mirror.
pub fn field_into_at(
    level: SimdLevel,
    params: &FieldParams,
    nodes: &[[f32; 2]],
    out: &mut [FieldCell],
) -> SimdLevel {
    #[cfg(target_arch = "x86_64")]
    {
        if level == SimdLevel::Avx2Fma && simd_level() == SimdLevel::Avx2Fma {
            let count = params.cell_count as usize;
            for_each_block(&mut out[..count], |first, lanes| {
                // SAFETY: AVX2 and FMA were detected at run time just above.
                unsafe { avx2::field_block(params, nodes, first, lanes) };
            });
            return SimdLevel::Avx2Fma;
        }
    }
    let _ = level;
    super::fim_field::field_into(params, nodes, out);
    SimdLevel::Scalar
}

/// The whole field as a new vector, on the best level.
pub fn field(params: &FieldParams, nodes: &[[f32; 2]]) -> Vec<FieldCell> {
    let mut out = vec![FieldCell::default(); params.cell_count as usize];
    field_into(params, nodes, &mut out);
    out
}

/// e^x for 8 lanes per element of `xs`, written to `out`, at the best level (the exp ceiling
/// micro-benchmark and the accuracy test use it; the field calls the vector form inline).
pub fn exp_slice(xs: &[f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if simd_level() == SimdLevel::Avx2Fma {
            // SAFETY: AVX2 and FMA were detected at run time.
            unsafe { avx2::exp_slice(xs, out) };
            return;
        }
    }
    for (o, &x) in out.iter_mut().zip(xs) {
        *o = x.exp();
    }
}

/// Sums e^(x + i·step) for i in 0..count, 8 lanes at a time with independent accumulators:
/// the exp throughput ceiling's inner loop (no memory traffic, the polynomial only). Returns
/// the sum so the work cannot be optimised away.
pub fn exp_throughput_kernel(start: f32, step: f32, count: u64) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        if simd_level() == SimdLevel::Avx2Fma {
            // SAFETY: AVX2 and FMA were detected at run time.
            return unsafe { avx2::exp_throughput(start, step, count) };
        }
    }
    let mut sum = 0.0f32;
    for i in 0..count {
        sum += (start + (i % 64) as f32 * step).exp();
    }
    sum
}

/// One flow step for every particle (`cpu::particles::step`) with the seed kernel's velocity
/// sums (F on one component, ∇L's two target components) taken 8 particles at a time in AVX2:
/// each RK4 stage for a block of 8, then the next stage. The per-particle rest (natural or
/// Euclidean direction, speed cap, step limit, respawn) is the scalar mirror's own code. The
/// general kernel, a fresh spawn and CPUs without AVX2 + FMA take the scalar path; returns the
/// level used.
pub fn particles_step(
    params: &crate::gpu::gpu_data::FlowParams,
    nodes: &[[f32; 2]],
    source: &[crate::gpu::gpu_data::Particle],
    destination: &mut [crate::gpu::gpu_data::Particle],
) -> SimdLevel {
    use crate::gpu::gpu_data::flow_flags;
    #[cfg(target_arch = "x86_64")]
    {
        let seed = params.flags & (flow_flags::GENERAL | flow_flags::SPAWN_FRESH) == 0;
        if seed && simd_level() == SimdLevel::Avx2Fma {
            let count = params.count as usize;
            for_each_block(&mut destination[..count], |first, lanes| {
                particle_block(
                    params,
                    nodes,
                    first,
                    &source[first..first + lanes.len()],
                    lanes,
                );
            });
            return SimdLevel::Avx2Fma;
        }
    }
    super::particles::step(params, nodes, source, destination);
    SimdLevel::Scalar
}

/// Up to 8 particles (`source`, indices from `first`) stepped into `out`.
#[cfg(target_arch = "x86_64")]
fn particle_block(
    params: &crate::gpu::gpu_data::FlowParams,
    nodes: &[[f32; 2]],
    first: usize,
    source: &[crate::gpu::gpu_data::Particle],
    out: &mut [crate::gpu::gpu_data::Particle],
) {
    use super::particles::{
        INTEGRATOR_RK4, Velocity, finish_step, rk4_position, seed_velocity_from, stage_position,
    };
    let count = source.len();
    let lane = |k: usize| &source[k.min(count - 1)];
    let velocities = |positions: [[f32; 2]; 8]| -> [Velocity; 8] {
        // SAFETY: the caller checked AVX2 and FMA at run time.
        let sums = unsafe { avx2::flow_sums(params.sigma, params.target, &positions, nodes) };
        std::array::from_fn(|k| {
            seed_velocity_from(params, positions[k], lane(k).mode, sums[k].0, sums[k].1)
        })
    };
    let h = params.dt;
    let start: [[f32; 2]; 8] = std::array::from_fn(|k| lane(k).position);
    let k1 = velocities(start);
    let mut next: [[f32; 2]; 8] = std::array::from_fn(|k| stage_position(start[k], k1[k].v, h));
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

/// Runs `block(first index, up to 8 items)` over `items` in blocks of 8 (the last one
/// ragged), in parallel: 64 items per rayon task, enough work per task (~1.6 ms for the field
/// at Q = 64) that the scheduling vanishes, small enough to balance two cores on small grids.
fn for_each_block<T: Send>(items: &mut [T], block: impl Fn(usize, &mut [T]) + Sync) {
    items
        .par_chunks_mut(64)
        .enumerate()
        .for_each(|(chunk, task)| {
            for (k, lanes) in task.chunks_mut(8).enumerate() {
                block(chunk * 64 + k * 8, lanes);
            }
        });
}

/// The per-cell constants of one block: where each lane's cell sits.
#[derive(Clone, Copy)]
struct BlockCells {
    /// Offset from O of each lane's cell.
    offsets: [[f32; 2]; 8],
    /// Real cells in the block (≤ 8); the other lanes repeat the last one.
    count: usize,
}

fn block_cells(params: &FieldParams, first: usize, count: usize) -> BlockCells {
    let mut offsets = [[0.0f32; 2]; 8];
    for (lane, offset) in offsets.iter_mut().enumerate() {
        let index = first + lane.min(count - 1);
        *offset = params.cell_offset(index as u32);
    }
    BlockCells { offsets, count }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    //! The AVX2 + FMA bodies. Every function here requires both features; callers check them
    //! at run time ([`super::simd_level`]).
    use std::arch::x86_64::*;

    use super::*;

    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    const LOG2_E: f32 = std::f32::consts::LOG2_E;

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn splat(v: f32) -> __m256 {
        _mm256_set1_ps(v)
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn fmadd(a: __m256, b: __m256, c: __m256) -> __m256 {
        _mm256_fmadd_ps(a, b, c)
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn abs8(x: __m256) -> __m256 {
        unsafe { _mm256_andnot_ps(splat(-0.0), x) }
    }

    /// e^x in 8 lanes: see the module's documentation for the method and its error.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn exp8(x: __m256) -> __m256 {
        unsafe {
            let x_clamped = _mm256_min_ps(_mm256_max_ps(x, splat(-87.33)), splat(88.72));
            let n = _mm256_round_ps(
                _mm256_mul_ps(x_clamped, splat(LOG2_E)),
                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC,
            );
            let r = fmadd(n, splat(-LN2_HI), x_clamped);
            let r = fmadd(n, splat(-LN2_LO), r);
            // e^r = 1 + r + r²/2 + … + r⁶/720 (Horner).
            let mut p = splat(1.0 / 720.0);
            p = fmadd(p, r, splat(1.0 / 120.0));
            p = fmadd(p, r, splat(1.0 / 24.0));
            p = fmadd(p, r, splat(1.0 / 6.0));
            p = fmadd(p, r, splat(0.5));
            p = fmadd(p, r, splat(1.0));
            p = fmadd(p, r, splat(1.0));
            // 2ⁿ: n + 127 in the exponent field (n ∈ [−126, 128] after the clamp).
            let bits = _mm256_slli_epi32(
                _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)),
                23,
            );
            let result = _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
            // Below the clamp the true value is < 1.2e-38: the kernel wants 0 there.
            _mm256_andnot_ps(_mm256_cmp_ps(x, splat(-87.33), _CMP_LT_OQ), result)
        }
    }

    /// `gmm::tanh_from_exp` in 8 lanes: Padé on |a| ≤ 1, (1 − e)/(1 + e) with a's sign beyond.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn tanh_from_exp8(a: __m256, e: __m256) -> __m256 {
        unsafe {
            let a2 = _mm256_mul_ps(a, a);
            let num = fmadd(
                a2,
                fmadd(a2, _mm256_add_ps(a2, splat(378.0)), splat(17325.0)),
                splat(135135.0),
            );
            let den = fmadd(
                a2,
                fmadd(a2, fmadd(a2, splat(28.0), splat(3150.0)), splat(62370.0)),
                splat(135135.0),
            );
            let near = _mm256_cmp_ps(abs8(a), splat(1.0), _CMP_LE_OQ);
            let sign = _mm256_and_ps(a, splat(-0.0));
            let far_num = _mm256_or_ps(_mm256_sub_ps(splat(1.0), e), sign);
            let numerator = _mm256_blendv_ps(far_num, _mm256_mul_ps(a, num), near);
            let denominator = _mm256_blendv_ps(_mm256_add_ps(splat(1.0), e), den, near);
            _mm256_div_ps(numerator, denominator)
        }
    }

    /// `gmm::log_ratio_1p` in 8 lanes: log((1 + p)/(1 + q)) = 2·atanh(z).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn log_ratio_1p8(p: __m256, q: __m256) -> __m256 {
        unsafe {
            let z = _mm256_div_ps(
                _mm256_sub_ps(p, q),
                _mm256_add_ps(splat(2.0), _mm256_add_ps(p, q)),
            );
            let z2 = _mm256_mul_ps(z, z);
            let mut s = splat(1.0 / 13.0);
            s = fmadd(s, z2, splat(1.0 / 11.0));
            s = fmadd(s, z2, splat(1.0 / 9.0));
            s = fmadd(s, z2, splat(1.0 / 7.0));
            s = fmadd(s, z2, splat(1.0 / 5.0));
            s = fmadd(s, z2, splat(1.0 / 3.0));
            s = fmadd(s, z2, splat(1.0));
            _mm256_mul_ps(_mm256_add_ps(z, z), s)
        }
    }

    /// θ's per-lane quantities: Δ/2 and 1/(2σ²) (σ is the grid's, shared).
    struct Lanes {
        half_delta: __m256,
        sigma: __m256,
        inv_two_sigma_sq: __m256,
    }

    /// The panel split of a component centred at `centre` (σ units), per lane
    /// (`gmm::panel_split`).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn panel_split8(centre: __m256, sigma: __m256) -> __m256 {
        unsafe {
            let split = _mm256_div_ps(_mm256_sub_ps(_mm256_setzero_ps(), centre), sigma);
            let inside = _mm256_cmp_ps(abs8(split), splat(TRUNCATION_SIGMAS), _CMP_LT_OQ);
            _mm256_and_ps(split, inside)
        }
    }

    /// The model's switch and scores at y: (e, U, V) (`gmm::model_switch`,
    /// `gmm::rotated_scores_from`).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn scores8(th: &Lanes, y: __m256) -> (__m256, __m256, __m256) {
        unsafe {
            let a = _mm256_mul_ps(
                _mm256_mul_ps(_mm256_add_ps(th.half_delta, th.half_delta), y),
                th.inv_two_sigma_sq,
            );
            let e = exp8(_mm256_mul_ps(splat(-2.0), abs8(a)));
            let d = tanh_from_exp8(a, e);
            let u = _mm256_sub_ps(y, _mm256_mul_ps(th.half_delta, d));
            let v = _mm256_sub_ps(_mm256_mul_ps(y, d), th.half_delta);
            (e, u, v)
        }
    }

    /// One component's two panels per lane (`gmm::for_each_node`): (half-width, middle) of
    /// [−T, split] and [split, T].
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn panels8(centre: __m256, sigma: __m256) -> [(__m256, __m256); 2] {
        unsafe {
            let split = panel_split8(centre, sigma);
            let panel = |lo: __m256, hi: __m256| {
                (
                    _mm256_mul_ps(splat(0.5), _mm256_sub_ps(hi, lo)),
                    _mm256_mul_ps(splat(0.5), _mm256_add_ps(hi, lo)),
                )
            };
            [
                panel(splat(-TRUNCATION_SIGMAS), split),
                panel(split, splat(TRUNCATION_SIGMAS)),
            ]
        }
    }

    /// Node (ξ, ω) of a panel per lane: (w with φ(t) folded in, t).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn node8(half_width: __m256, middle: __m256, node: [f32; 2]) -> (__m256, __m256) {
        unsafe {
            let t = fmadd(half_width, splat(node[0]), middle);
            let phi = exp8(_mm256_mul_ps(_mm256_mul_ps(splat(-0.5), t), t));
            let w = _mm256_mul_ps(
                _mm256_mul_ps(half_width, splat(node[1] * INV_SQRT_2PI)),
                phi,
            );
            (w, t)
        }
    }

    /// F's sums over the component at +Δ/2: (ΣwU², ΣwV²) (`gmm::accumulate_fisher`).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn accumulate_fisher8(th: &Lanes, nodes: &[[f32; 2]]) -> (__m256, __m256) {
        unsafe {
            let mut f_uu = _mm256_setzero_ps();
            let mut f_vv = _mm256_setzero_ps();
            for (half_width, middle) in panels8(th.half_delta, th.sigma) {
                for &node in nodes {
                    let (w, t) = node8(half_width, middle, node);
                    let y = fmadd(th.sigma, t, th.half_delta);
                    let (_, u, v) = scores8(th, y);
                    f_uu = fmadd(_mm256_mul_ps(w, u), u, f_uu);
                    f_vv = fmadd(_mm256_mul_ps(w, v), v, f_vv);
                }
            }
            (f_uu, f_vv)
        }
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn lanes_of(v: __m256) -> [f32; 8] {
        unsafe { std::mem::transmute::<__m256, [f32; 8]>(v) }
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn load8(values: [f32; 8]) -> __m256 {
        unsafe { _mm256_loadu_ps(values.as_ptr()) }
    }

    /// The target's sums over one target component centred at `centre` (the other at
    /// `other`): ½·(ΣwU, ΣwV, Σw·log-ratio, ΣwU², ΣwUV, ΣwV²) (`gmm::accumulate_target`).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn accumulate_target8(
        th: &Lanes,
        centre: __m256,
        other: __m256,
        nodes: &[[f32; 2]],
    ) -> [__m256; 6] {
        unsafe {
            let zero = _mm256_setzero_ps();
            let mut sums = [zero; 6];
            let abs_half_delta = abs8(th.half_delta);
            for (half_width, middle) in panels8(centre, th.sigma) {
                for &node in nodes {
                    let (w, t) = node8(half_width, middle, node);
                    let y = fmadd(th.sigma, t, centre);
                    let (e, u, v) = scores8(th, y);
                    let own = _mm256_mul_ps(_mm256_mul_ps(splat(-0.5), t), t);
                    let dy = _mm256_sub_ps(y, other);
                    let other_exponent = _mm256_sub_ps(
                        zero,
                        _mm256_mul_ps(_mm256_mul_ps(dy, dy), th.inv_two_sigma_sq),
                    );
                    let e_target = exp8(_mm256_sub_ps(
                        zero,
                        abs8(_mm256_sub_ps(own, other_exponent)),
                    ));
                    let gap = _mm256_sub_ps(abs8(y), abs_half_delta);
                    let log_ratio = _mm256_add_ps(
                        fmadd(
                            _mm256_mul_ps(gap, gap),
                            th.inv_two_sigma_sq,
                            _mm256_max_ps(own, other_exponent),
                        ),
                        log_ratio_1p8(e_target, e),
                    );
                    let wu = _mm256_mul_ps(w, u);
                    let wv = _mm256_mul_ps(w, v);
                    sums[0] = _mm256_add_ps(sums[0], wu);
                    sums[1] = _mm256_add_ps(sums[1], wv);
                    sums[2] = fmadd(w, log_ratio, sums[2]);
                    sums[3] = fmadd(wu, u, sums[3]);
                    sums[4] = fmadd(wu, v, sums[4]);
                    sums[5] = fmadd(wv, v, sums[5]);
                }
            }
            sums.map(|s| _mm256_mul_ps(splat(0.5), s))
        }
    }

    /// Up to 8 cells starting at grid index `first` into `out` (its length is the count).
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn field_block(
        params: &FieldParams,
        nodes: &[[f32; 2]],
        first: usize,
        out: &mut [FieldCell],
    ) {
        unsafe {
            let cells = block_cells(params, first, out.len());
            let mut half_delta = [0.0f32; 8];
            let mut centre_1 = [0.0f32; 8];
            let mut centre_2 = [0.0f32; 8];
            for lane in 0..8 {
                let [o1, o2] = cells.offsets[lane];
                half_delta[lane] = 0.5 * (params.origin_delta + (o1 - o2));
                let shift = 0.5 * (o1 + o2);
                centre_1[lane] = params.target_y0[0] - shift;
                centre_2[lane] = params.target_y0[1] - shift;
            }
            let sigma = params.sigma;
            let th = Lanes {
                half_delta: load8(half_delta),
                sigma: splat(sigma),
                inv_two_sigma_sq: splat(0.5 / (sigma * sigma)),
            };

            // F: one component (the mirror symmetry of `gmm::fisher_rotated`).
            let (f_uu, f_vv) = accumulate_fisher8(&th, nodes);
            let a = accumulate_target8(&th, load8(centre_1), load8(centre_2), nodes);
            let b = accumulate_target8(&th, load8(centre_2), load8(centre_1), nodes);

            let inv = 0.5 / (sigma * sigma);
            let fisher_scale = 2.0 * inv * inv;
            let score_scale = 2.0 * inv * INV_SQRT2;
            let f_uu = lanes_of(f_uu);
            let f_vv = lanes_of(f_vv);
            let sums: [[f32; 8]; 6] = std::array::from_fn(|k| lanes_of(_mm256_add_ps(a[k], b[k])));
            for (lane, cell) in out.iter_mut().enumerate().take(cells.count) {
                let f_rot = [f_uu[lane] * fisher_scale, 0.0, f_vv[lane] * fisher_scale];
                let fisher = fisher_cell(cells.offsets[lane], f_rot);
                *cell = with_target_terms(
                    &fisher,
                    [-sums[0][lane] * score_scale, -sums[1][lane] * score_scale],
                    sums[2][lane],
                    [
                        sums[3][lane] * fisher_scale,
                        sums[4][lane] * fisher_scale,
                        sums[5][lane] * fisher_scale,
                    ],
                    params.damping,
                );
            }
        }
    }

    /// ½E[(U, V)] under one target component per lane (`gmm::accumulate_score`, before ½).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn accumulate_score8(
        th: &Lanes,
        centre: __m256,
        nodes: &[[f32; 2]],
    ) -> (__m256, __m256) {
        unsafe {
            let mut su = _mm256_setzero_ps();
            let mut sv = _mm256_setzero_ps();
            for (half_width, middle) in panels8(centre, th.sigma) {
                for &node in nodes {
                    let (w, t) = node8(half_width, middle, node);
                    let y = fmadd(th.sigma, t, centre);
                    let (_, u, v) = scores8(th, y);
                    su = fmadd(w, u, su);
                    sv = fmadd(w, v, sv);
                }
            }
            (su, sv)
        }
    }

    /// The flow's sums at 8 positions θ (absolute, the particle kernel's frame): per lane F in
    /// the rotated basis (`gmm::fisher_rotated`) and ∇L rotated (`gmm::gradient_rotated`).
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn flow_sums(
        sigma: f32,
        target: [f32; 2],
        positions: &[[f32; 2]; 8],
        nodes: &[[f32; 2]],
    ) -> [([f32; 3], [f32; 2]); 8] {
        unsafe {
            let half_delta: [f32; 8] =
                std::array::from_fn(|k| 0.5 * (positions[k][0] - positions[k][1]));
            let mid: [f32; 8] = std::array::from_fn(|k| 0.5 * (positions[k][0] + positions[k][1]));
            let th = Lanes {
                half_delta: load8(half_delta),
                sigma: splat(sigma),
                inv_two_sigma_sq: splat(0.5 / (sigma * sigma)),
            };
            let (f_uu, f_vv) = accumulate_fisher8(&th, nodes);
            let centre_a: [f32; 8] = std::array::from_fn(|k| target[0] - mid[k]);
            let centre_b: [f32; 8] = std::array::from_fn(|k| target[1] - mid[k]);
            let (au, av) = accumulate_score8(&th, load8(centre_a), nodes);
            let (bu, bv) = accumulate_score8(&th, load8(centre_b), nodes);
            let inv = 0.5 / (sigma * sigma);
            let fisher_scale = 2.0 * inv * inv;
            let score_scale = 2.0 * inv * INV_SQRT2;
            let (f_uu, f_vv) = (lanes_of(f_uu), lanes_of(f_vv));
            let (au, av, bu, bv) = (lanes_of(au), lanes_of(av), lanes_of(bu), lanes_of(bv));
            std::array::from_fn(|k| {
                (
                    [f_uu[k] * fisher_scale, 0.0, f_vv[k] * fisher_scale],
                    [
                        -(0.5 * au[k] + 0.5 * bu[k]) * score_scale,
                        -(0.5 * av[k] + 0.5 * bv[k]) * score_scale,
                    ],
                )
            })
        }
    }

    /// e^x over a slice, 8 at a time (the tail through a padded vector).
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn exp_slice(xs: &[f32], out: &mut [f32]) {
        unsafe {
            let n = xs.len().min(out.len());
            let mut i = 0;
            while i + 8 <= n {
                let v = exp8(_mm256_loadu_ps(xs.as_ptr().add(i)));
                _mm256_storeu_ps(out.as_mut_ptr().add(i), v);
                i += 8;
            }
            if i < n {
                let mut tail = [0.0f32; 8];
                tail[..n - i].copy_from_slice(&xs[i..n]);
                let v = lanes_of(exp8(load8(tail)));
                out[i..n].copy_from_slice(&v[..n - i]);
            }
        }
    }

    /// The exp ceiling's loop: 4 independent vectors in flight (hides the FMA latency chain),
    /// arguments cycling over [start, start + 64·step).
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn exp_throughput(start: f32, step: f32, count: u64) -> f32 {
        unsafe {
            let lane_steps = _mm256_mul_ps(
                _mm256_setr_ps(0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0),
                splat(step),
            );
            let mut x = [
                _mm256_add_ps(splat(start), lane_steps),
                _mm256_add_ps(splat(start + 8.0 * step), lane_steps),
                _mm256_add_ps(splat(start + 16.0 * step), lane_steps),
                _mm256_add_ps(splat(start + 24.0 * step), lane_steps),
            ];
            let wrap = splat(start + 64.0 * step);
            let back = splat(64.0 * step);
            let advance = splat(32.0 * step);
            let mut acc = [_mm256_setzero_ps(); 4];
            let rounds = count / 32;
            for _ in 0..rounds {
                for k in 0..4 {
                    acc[k] = _mm256_add_ps(acc[k], exp8(x[k]));
                    let next = _mm256_add_ps(x[k], advance);
                    let over = _mm256_cmp_ps(next, wrap, _CMP_GE_OQ);
                    x[k] = _mm256_sub_ps(next, _mm256_and_ps(over, back));
                }
            }
            let total = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
            lanes_of(total).iter().sum()
        }
    }
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

    /// The SIMD path against the scalar mirror: a grid whose count is not a multiple of 8 (the
    /// ragged tail), crossing the diagonal (near-diagonal cells, Δ → 0, where κ → ∞) and
    /// reaching cells 9σ from it (far), with and without damping.
    #[test]
    fn simd_matches_the_scalar_mirror_including_the_ragged_tail() {
        let level = simd_level();
        if level == SimdLevel::Scalar {
            eprintln!("no AVX2 + FMA on this CPU: the SIMD path is the scalar mirror here");
        }
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
            // Sentinels past the end: the ragged block must not write beyond its cells.
            let mut simd = vec![
                FieldCell {
                    loss: -7.0,
                    ..FieldCell::default()
                };
                count + 8
            ];
            let used = field_into(&params, &nodes, &mut simd[..]);
            assert_eq!(used, level);
            assert!(
                simd[count..].iter().all(|c| c.loss == -7.0),
                "wrote past the field"
            );
            let worst = worst_difference(&simd[..count], &scalar);
            assert!(worst < 2e-5, "{columns}×{rows}: SIMD vs scalar {worst}");
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
    fn exp_throughput_kernel_sums_what_it_says() {
        // 32 exps of arguments cycling over [−1, −1 + 64·0.01): compare with a scalar sum.
        let count = 64 * 32;
        let got = exp_throughput_kernel(-1.0, 0.01, count) as f64;
        let want: f64 = (0..count)
            .map(|i| (-1.0f64 + (i % 64) as f64 * 0.01).exp())
            .sum();
        assert!(((got - want) / want).abs() < 1e-4, "{got} vs {want}");
    }

    #[test]
    fn exp8_is_accurate() {
        let xs: Vec<f32> = (0..200_001)
            .map(|i| -87.0 + 175.0 * i as f32 / 200_000.0)
            .collect();
        let mut got = vec![0.0f32; xs.len()];
        exp_slice(&xs, &mut got);
        let mut worst = 0.0f64;
        for (&x, &g) in xs.iter().zip(&got) {
            let exact = (x as f64).exp();
            worst = worst.max(((g as f64 - exact) / exact).abs());
        }
        eprintln!(
            "exp8 ({}): worst relative error {worst:.3e}",
            simd_level().name()
        );
        assert!(worst < 3e-7, "exp8 worst relative error {worst}");
        // Underflow: exactly 0 below the clamp; NaN is not produced for finite input.
        let mut tiny = [1.0f32; 3];
        exp_slice(&[-100.0, -1e30, 0.0], &mut tiny);
        assert_eq!(tiny, [0.0, 0.0, 1.0]);
    }
}
