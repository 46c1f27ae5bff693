//! The SIMD kernels, written once over [`F32x`] and compiled per instruction set by the entry
//! points of [`super`]: the seed field's sums ([`field_block`]), the flow's velocity sums
//! ([`flow_sums`]) and the exp ceiling's loop ([`exp_throughput`]). Every function is
//! `#[inline(always)]` so that it lands inside a `#[target_feature]` entry point; on its own
//! (without that feature) it would not be compiled to the set's instructions.
//!
//! The rules are the scalar mirror's (`cpu::gmm`, `cpu::fim_field`) lane for lane: the same
//! nodes, panels and formulas, so the paths agree to f32 rounding (the tests hold them to it).

use super::vector::{F32x, LaneArray, MAX_LANES};
use crate::cpu::fim_field::{fisher_cell, with_target_terms};
use crate::cpu::gmm::{INV_SQRT_2PI, INV_SQRT2, TRUNCATION_SIGMAS};
use crate::gpu::gpu_data::{FieldCell, FieldParams};

const LN2_HI: f32 = 0.693_145_75;
const LN2_LO: f32 = 1.428_606_8e-6;
const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// Below this argument e^x < 1.2e-38: the kernels want exactly 0.
const EXP_UNDERFLOW: f32 = -87.33;

/// e^x per lane: Cody–Waite reduction and a degree-6 Taylor polynomial (the module
/// documentation of [`super`] gives the method and its error).
#[inline(always)]
pub unsafe fn exp<V: F32x>(x: V) -> V {
    unsafe {
        // max/min return their second operand where either is NaN: x goes second, so a NaN
        // argument stays NaN (and comes out NaN) instead of being clamped to a number.
        let x_clamped = V::splat(88.72).min(V::splat(EXP_UNDERFLOW).max(x));
        let n = (x_clamped * V::splat(LOG2_E)).round();
        let r = n.fmadd(V::splat(-LN2_HI), x_clamped);
        let r = n.fmadd(V::splat(-LN2_LO), r);
        // e^r = 1 + r + r²/2 + … + r⁶/720 (Horner).
        let mut p = V::splat(1.0 / 720.0);
        p = p.fmadd(r, V::splat(1.0 / 120.0));
        p = p.fmadd(r, V::splat(1.0 / 24.0));
        p = p.fmadd(r, V::splat(1.0 / 6.0));
        p = p.fmadd(r, V::splat(0.5));
        p = p.fmadd(r, V::splat(1.0));
        p = p.fmadd(r, V::splat(1.0));
        // 2ⁿ with n ∈ [−126, 128] after the clamp; below it the result is 0 (NaN stays NaN:
        // the comparison is false there).
        V::select(x.lt(V::splat(EXP_UNDERFLOW)), V::zero(), p * n.pow2_int())
    }
}

/// ln x per lane, for positive normal finite x: x = m·2ᵉ with m ∈ [√½, √2), and
/// ln m = 2·atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.172, by its series to s⁹ (the next term is
/// below 2·10⁻⁹ of the sum). A few ulp: `log_is_accurate_at_every_level`.
#[inline(always)]
pub(super) unsafe fn log<V: F32x>(x: V) -> V {
    unsafe {
        let one = V::splat(1.0);
        let (e, m) = x.exponent_mantissa();
        let high = V::splat(std::f32::consts::SQRT_2).le(m);
        let m = V::select(high, V::splat(0.5) * m, m);
        let e = V::select(high, e + one, e);
        let s = (m - one) / (m + one);
        let s2 = s * s;
        let mut series = V::splat(1.0 / 9.0);
        series = series.fmadd(s2, V::splat(1.0 / 7.0));
        series = series.fmadd(s2, V::splat(1.0 / 5.0));
        series = series.fmadd(s2, V::splat(1.0 / 3.0));
        series = series.fmadd(s2, one);
        let log_m = (s + s) * series;
        e.fmadd(V::splat(LN2_HI), e.fmadd(V::splat(LN2_LO), log_m))
    }
}

/// `cpu::general::truncation_sigmas` per lane (a smallest weight per lane): the mirror's six
/// fixed-point steps t ← √(2 ln(poly(t)/bound)) with [`log`] for libm's, and its overflow
/// kept (poly/bound beyond f32 gives the largest truncation, as the mirror's ln(∞) does).
#[inline(always)]
pub(super) unsafe fn truncation_sigmas<V: F32x>(min_weight: V) -> V {
    use crate::cpu::general::{GENERAL_TAIL, SQRT_2PI, TRUNCATION_MAX, TRUNCATION_MIN};
    unsafe {
        let one = V::splat(1.0);
        let w = one.min(V::splat(1e-12).max(min_weight));
        let bound = V::splat(GENERAL_TAIL) * w * w;
        let mut t = V::splat(8.0);
        for _ in 0..6 {
            let square = t.fmadd(t, one);
            let poly = square * square / (t * V::splat(SQRT_2PI));
            let ratio = poly / bound;
            let finite = ratio.lt(V::splat(f32::INFINITY));
            t = V::select(
                finite,
                (V::splat(2.0) * log(ratio)).sqrt(),
                V::splat(f32::INFINITY),
            );
        }
        V::splat(TRUNCATION_MAX).min(V::splat(TRUNCATION_MIN).max(t))
    }
}

/// [`truncation_sigmas`] of the first `V::LANES` weights.
#[inline(always)]
pub(super) unsafe fn truncation_sigmas_lanes<V: F32x>(min_weights: &LaneArray) -> LaneArray {
    unsafe { truncation_sigmas(V::load(min_weights)).to_array() }
}

/// The Padé approximant of tanh on |a| ≤ 1 as (num, den): tanh a ≈ a·num/den, den ≥ 135135.
#[inline(always)]
pub(super) unsafe fn tanh_pade<V: F32x>(a: V) -> (V, V) {
    unsafe {
        let a2 = a * a;
        let num = a2.fmadd(
            a2.fmadd(a2 + V::splat(378.0), V::splat(17325.0)),
            V::splat(135135.0),
        );
        let den = a2.fmadd(
            a2.fmadd(
                a2.fmadd(V::splat(28.0), V::splat(3150.0)),
                V::splat(62370.0),
            ),
            V::splat(135135.0),
        );
        (num, den)
    }
}

/// `gmm::tanh_from_exp` per lane: Padé on |a| ≤ 1, (1 − e)/(1 + e) with a's sign beyond.
#[inline(always)]
pub(super) unsafe fn tanh_from_exp<V: F32x>(a: V, e: V) -> V {
    unsafe {
        let (num, den) = tanh_pade(a);
        let near = a.abs().le(V::splat(1.0));
        let far_num = (V::splat(1.0) - e).or_bits(a.sign_bits());
        let numerator = V::select(near, a * num, far_num);
        let denominator = V::select(near, den, V::splat(1.0) + e);
        // The denominator is ≥ 1 on both branches (135135 + … or 1 + e).
        numerator * denominator.recip()
    }
}

/// `gmm::log_ratio_1p` per lane: log((1 + p)/(1 + q)) = 2·atanh(z).
#[inline(always)]
pub(super) unsafe fn log_ratio_1p<V: F32x>(p: V, q: V) -> V {
    unsafe {
        // p, q ∈ [0, 1]: the denominator lies in [2, 4].
        let z = (p - q) * (V::splat(2.0) + (p + q)).recip();
        let z2 = z * z;
        let mut s = V::splat(1.0 / 13.0);
        for c in [1.0 / 11.0, 1.0 / 9.0, 1.0 / 7.0, 1.0 / 5.0, 1.0 / 3.0, 1.0] {
            s = s.fmadd(z2, V::splat(c));
        }
        (z + z) * s
    }
}

/// θ's per-lane quantities: Δ/2, and σ and 1/(2σ²) (the grid's, shared).
#[derive(Clone, Copy)]
struct Lanes<V> {
    half_delta: V,
    sigma: V,
    inv_two_sigma_sq: V,
}

impl<V: F32x> Lanes<V> {
    #[inline(always)]
    unsafe fn new(half_delta: &LaneArray, sigma: f32) -> Self {
        unsafe {
            Lanes {
                half_delta: V::load(half_delta),
                sigma: V::splat(sigma),
                inv_two_sigma_sq: V::splat(0.5 / (sigma * sigma)),
            }
        }
    }
}

/// The model's switch and scores at y: (e, U, V) (`gmm::model_switch`,
/// `gmm::rotated_scores_from`).
#[inline(always)]
unsafe fn scores<V: F32x>(th: &Lanes<V>, y: V) -> (V, V, V) {
    unsafe {
        let a = (th.half_delta + th.half_delta) * y * th.inv_two_sigma_sq;
        let e = exp(V::splat(-2.0) * a.abs());
        let d = tanh_from_exp(a, e);
        let u = y - th.half_delta * d;
        let v = y * d - th.half_delta;
        (e, u, v)
    }
}

/// One component's two panels per lane (`gmm::for_each_node`): (half-width, middle) of
/// [−T, split] and [split, T], the split at the switch point where it lies inside.
#[inline(always)]
unsafe fn panels<V: F32x>(centre: V, sigma: V) -> [(V, V); 2] {
    unsafe {
        let split = (V::zero() - centre) / sigma;
        let split = split.keep(split.abs().lt(V::splat(TRUNCATION_SIGMAS)));
        let half = V::splat(0.5);
        let panel = |lo: V, hi: V| (half * (hi - lo), half * (hi + lo));
        [
            panel(V::splat(-TRUNCATION_SIGMAS), split),
            panel(split, V::splat(TRUNCATION_SIGMAS)),
        ]
    }
}

/// Node (ξ, ω) of a panel per lane: (w with φ(t) folded in, t).
#[inline(always)]
unsafe fn node<V: F32x>(half_width: V, middle: V, node: [f32; 2]) -> (V, V) {
    unsafe {
        let t = half_width.fmadd(V::splat(node[0]), middle);
        let phi = exp(V::splat(-0.5) * t * t);
        (half_width * V::splat(node[1] * INV_SQRT_2PI) * phi, t)
    }
}

/// F's sums over the component at +Δ/2: (ΣwU², ΣwV²) (`gmm::accumulate_fisher`).
#[inline(always)]
unsafe fn accumulate_fisher<V: F32x>(th: &Lanes<V>, nodes: &[[f32; 2]]) -> (V, V) {
    unsafe {
        let mut f_uu = V::zero();
        let mut f_vv = V::zero();
        for (half_width, middle) in panels(th.half_delta, th.sigma) {
            for &n in nodes {
                let (w, t) = node(half_width, middle, n);
                let y = th.sigma.fmadd(t, th.half_delta);
                let (_, u, v) = scores(th, y);
                f_uu = (w * u).fmadd(u, f_uu);
                f_vv = (w * v).fmadd(v, f_vv);
            }
        }
        (f_uu, f_vv)
    }
}

/// The target's sums over one target component centred at `centre` (the other at `other`):
/// ½·(ΣwU, ΣwV, Σw·log-ratio, ΣwU², ΣwUV, ΣwV²) (`gmm::accumulate_target`).
#[inline(always)]
unsafe fn accumulate_target<V: F32x>(
    th: &Lanes<V>,
    centre: V,
    other: V,
    nodes: &[[f32; 2]],
) -> [V; 6] {
    unsafe {
        let zero = V::zero();
        let mut sums = [zero; 6];
        let abs_half_delta = th.half_delta.abs();
        for (half_width, middle) in panels(centre, th.sigma) {
            for &n in nodes {
                let (w, t) = node(half_width, middle, n);
                let y = th.sigma.fmadd(t, centre);
                let (e, u, v) = scores(th, y);
                let own = V::splat(-0.5) * t * t;
                let dy = y - other;
                let other_exponent = zero - dy * dy * th.inv_two_sigma_sq;
                let e_target = exp(zero - (own - other_exponent).abs());
                let gap = y.abs() - abs_half_delta;
                let log_ratio = (gap * gap).fmadd(th.inv_two_sigma_sq, own.max(other_exponent))
                    + log_ratio_1p(e_target, e);
                let wu = w * u;
                let wv = w * v;
                sums[0] = sums[0] + wu;
                sums[1] = sums[1] + wv;
                sums[2] = w.fmadd(log_ratio, sums[2]);
                sums[3] = wu.fmadd(u, sums[3]);
                sums[4] = wu.fmadd(v, sums[4]);
                sums[5] = wv.fmadd(v, sums[5]);
            }
        }
        sums.map(|s| V::splat(0.5) * s)
    }
}

/// Up to [`F32x::LANES`] cells starting at grid index `first` into `out` (its length is the
/// count; a ragged block repeats its last cell in the unused lanes and writes only the real
/// ones).
#[inline(always)]
pub unsafe fn field_block<V: F32x>(
    params: &FieldParams,
    nodes: &[[f32; 2]],
    first: usize,
    out: &mut [FieldCell],
) {
    unsafe {
        let count = out.len();
        let offsets: [[f32; 2]; MAX_LANES] =
            std::array::from_fn(|lane| params.cell_offset((first + lane.min(count - 1)) as u32));
        let mut half_delta = [0.0f32; MAX_LANES];
        let mut centre_1 = [0.0f32; MAX_LANES];
        let mut centre_2 = [0.0f32; MAX_LANES];
        for lane in 0..V::LANES {
            let [o1, o2] = offsets[lane];
            half_delta[lane] = 0.5 * (params.origin_delta + (o1 - o2));
            let shift = 0.5 * (o1 + o2);
            centre_1[lane] = params.target_y0[0] - shift;
            centre_2[lane] = params.target_y0[1] - shift;
        }
        let sigma = params.sigma;
        let th = Lanes::<V>::new(&half_delta, sigma);

        // F: one component (the mirror symmetry of `gmm::fisher_rotated`).
        let (f_uu, f_vv) = accumulate_fisher(&th, nodes);
        let (c1, c2) = (V::load(&centre_1), V::load(&centre_2));
        let a = accumulate_target(&th, c1, c2, nodes);
        let b = accumulate_target(&th, c2, c1, nodes);

        let inv = 0.5 / (sigma * sigma);
        let fisher_scale = 2.0 * inv * inv;
        let score_scale = 2.0 * inv * INV_SQRT2;
        let (f_uu, f_vv) = (f_uu.to_array(), f_vv.to_array());
        let sums: [LaneArray; 6] = std::array::from_fn(|k| (a[k] + b[k]).to_array());
        for (lane, cell) in out.iter_mut().enumerate() {
            let f_rot = [f_uu[lane] * fisher_scale, 0.0, f_vv[lane] * fisher_scale];
            let fisher = fisher_cell(offsets[lane], f_rot);
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
#[inline(always)]
unsafe fn accumulate_score<V: F32x>(th: &Lanes<V>, centre: V, nodes: &[[f32; 2]]) -> (V, V) {
    unsafe {
        let mut su = V::zero();
        let mut sv = V::zero();
        for (half_width, middle) in panels(centre, th.sigma) {
            for &n in nodes {
                let (w, t) = node(half_width, middle, n);
                let y = th.sigma.fmadd(t, centre);
                let (_, u, v) = scores(th, y);
                su = w.fmadd(u, su);
                sv = w.fmadd(v, sv);
            }
        }
        (su, sv)
    }
}

/// The flow's sums at [`F32x::LANES`] positions θ (absolute, the particle kernel's frame; the
/// rest of `positions` is ignored): per lane F in the rotated basis (`gmm::fisher_rotated`)
/// and ∇L rotated (`gmm::gradient_rotated`).
#[inline(always)]
pub unsafe fn flow_sums<V: F32x>(
    sigma: f32,
    target: [f32; 2],
    positions: &[[f32; 2]; MAX_LANES],
    nodes: &[[f32; 2]],
) -> [([f32; 3], [f32; 2]); MAX_LANES] {
    unsafe {
        let half_delta: LaneArray =
            std::array::from_fn(|k| 0.5 * (positions[k][0] - positions[k][1]));
        let mid: LaneArray = std::array::from_fn(|k| 0.5 * (positions[k][0] + positions[k][1]));
        let th = Lanes::<V>::new(&half_delta, sigma);
        let (f_uu, f_vv) = accumulate_fisher(&th, nodes);
        let centre_a: LaneArray = std::array::from_fn(|k| target[0] - mid[k]);
        let centre_b: LaneArray = std::array::from_fn(|k| target[1] - mid[k]);
        let (au, av) = accumulate_score(&th, V::load(&centre_a), nodes);
        let (bu, bv) = accumulate_score(&th, V::load(&centre_b), nodes);
        let inv = 0.5 / (sigma * sigma);
        let fisher_scale = 2.0 * inv * inv;
        let score_scale = 2.0 * inv * INV_SQRT2;
        let (f_uu, f_vv) = (f_uu.to_array(), f_vv.to_array());
        let (au, av, bu, bv) = (au.to_array(), av.to_array(), bu.to_array(), bv.to_array());
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

/// e^x over a slice, a vector at a time (the tail through a padded vector).
#[inline(always)]
pub unsafe fn exp_slice<V: F32x>(xs: &[f32], out: &mut [f32]) {
    unsafe {
        let n = xs.len().min(out.len());
        for (x, o) in xs[..n].chunks(V::LANES).zip(out[..n].chunks_mut(V::LANES)) {
            let mut lanes = [0.0f32; MAX_LANES];
            lanes[..x.len()].copy_from_slice(x);
            let e = exp(V::load(&lanes)).to_array();
            o.copy_from_slice(&e[..o.len()]);
        }
    }
}

/// The exp ceiling's loop: 4 independent vectors in flight (hides the FMA latency chain),
/// arguments cycling over [start, start + 64·step) (4·LANES apart, wrapped back by 64·step).
#[inline(always)]
pub unsafe fn exp_throughput<V: F32x>(start: f32, step: f32, count: u64) -> f32 {
    unsafe {
        let lane_steps: LaneArray = std::array::from_fn(|k| k as f32 * step);
        let lane_steps = V::load(&lane_steps);
        let width = V::LANES as f32 * step;
        let mut x: [V; 4] =
            std::array::from_fn(|k| V::splat(start + k as f32 * width) + lane_steps);
        let wrap = V::splat(start + 64.0 * step);
        let back = V::splat(64.0 * step);
        let advance = V::splat(4.0 * width);
        let mut acc = [V::zero(); 4];
        let rounds = count / (4 * V::LANES as u64);
        for _ in 0..rounds {
            for k in 0..4 {
                acc[k] = acc[k] + exp(x[k]);
                let next = x[k] + advance;
                x[k] = next - back.keep(next.ge(wrap));
            }
        }
        ((acc[0] + acc[1]) + (acc[2] + acc[3])).sum()
    }
}
