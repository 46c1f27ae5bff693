//! f32 mirror of `shaders/fim_general.wgsl` and `shaders/common/gmm_general.wgsl`: the general
//! two-component mixture's slice block of F (induced or profiled), ∇L, L and the natural
//! gradient at a list of points ([`points`]) or over a grid with a floating origin ([`grid`]),
//! multi-threaded with rayon over points. Same names, same constants, same order of
//! operations as the shaders (read them side by side); the 2×2 algebra is the generic
//! [`crate::math::sym2`] (mirror of `shaders/common/sym2.wgsl`) and `stable_tanh` the seed
//! mirror's. The rule itself (splits, grades, truncation, the refinement pass) is documented
//! in the shaders' headers and in `src/compute/general.rs`.

use rayon::prelude::*;

use super::gmm::{INV_SQRT_2PI, log_ratio_1p, stable_tanh};
use crate::gpu::general_data::{
    FLAG_METRIC_UNDEFINED, FLAG_OUTSIDE_MODEL, GeneralGridParams, GeneralPointInput,
};
use crate::gpu::gpu_data::{FieldCell, flags};
use crate::math::sym2::{SINGULAR_CONDITION, Sym2, angle_deg};

/// Index of π in ψ (`PARAM_PI`).
pub const PARAM_PI: u32 = 0;
/// Near graded splits, in widths (`GRADE_NEAR`).
pub const GRADE_NEAR: f32 = 3.0;
/// Far graded splits, in widths (`GRADE_FAR`).
pub const GRADE_FAR: f32 = 12.0;
/// Tail bound of the truncation rule (`GENERAL_TAIL`).
pub const GENERAL_TAIL: f32 = 1e-12;
/// Smallest truncation, in σ (`TRUNCATION_MIN`).
pub const TRUNCATION_MIN: f32 = 6.0;
/// Largest truncation, in σ (`TRUNCATION_MAX`).
pub const TRUNCATION_MAX: f32 = 16.0;
/// F is accumulated again in its eigenbasis where F11·F22 > this·det F (`REFINE_RATIO`).
pub const REFINE_RATIO: f32 = 30.0;
/// ln √(2π).
pub const LN_SQRT_2PI: f32 = 0.918_938_5;
/// √(2π).
pub const SQRT_2PI: f32 = 2.506_628_3;
/// ℓ on the weight boundary (`SATURATED_LOG_RATIO`).
pub const SATURATED_LOG_RATIO: f32 = 1e30;
/// Index of μ1 in ψ (`PARAM_MU1`).
pub const PARAM_MU1: usize = 1;
/// Index of μ2 in ψ (`PARAM_MU2`).
pub const PARAM_MU2: usize = 2;
/// `metric` value of the profiled metric (`METRIC_PROFILED`).
pub const METRIC_PROFILED: u32 = crate::math::Metric::Profiled.code();
/// Pivot limit of the f32 Schur complement (`PROFILE_MIN_PIVOT`).
pub const PROFILE_MIN_PIVOT: f32 = 1e-3;

/// One mixture in the y frame (`Mixture`).
#[derive(Clone, Copy, Debug)]
pub struct Mixture {
    /// (π, 1 − π).
    pub weight: [f32; 2],
    /// (μ1, μ2) − the frame origin.
    pub mean: [f32; 2],
    /// (σ1, σ2).
    pub sigma: [f32; 2],
    /// (1/σ1, 1/σ2).
    pub inv_sigma: [f32; 2],
    /// ln w_c − ln σ_c − ln √(2π).
    pub log_norm: [f32; 2],
    /// ln(φ1/φ2) = (a·y' + b)·y' + c_phi, y' = y − mean₁ (for the switch points; nodes use
    /// [`log_phi_ratio`]).
    pub a: f32,
    /// See `a`.
    pub b: f32,
    /// See `a`.
    pub c_phi: f32,
    /// ln(σ2/σ1).
    pub log_sigma_ratio: f32,
    /// ln π − ln(1 − π).
    pub logit_w: f32,
    /// π = 0 or 1.
    pub boundary: bool,
}

/// `make_mixture`.
pub fn make_mixture(pi: f32, mean: [f32; 2], sigma: [f32; 2]) -> Mixture {
    let boundary = pi <= 0.0 || pi >= 1.0;
    let d = mean[0] - mean[1];
    let v1 = sigma[0] * sigma[0];
    let v2 = sigma[1] * sigma[1];
    let (log_norm, logit_w) = if !boundary {
        (
            [
                pi.ln() - sigma[0].ln() - LN_SQRT_2PI,
                (1.0 - pi).ln() - sigma[1].ln() - LN_SQRT_2PI,
            ],
            pi.ln() - (1.0 - pi).ln(),
        )
    } else {
        (
            [-sigma[0].ln() - LN_SQRT_2PI, -sigma[1].ln() - LN_SQRT_2PI],
            if pi >= 1.0 {
                SATURATED_LOG_RATIO
            } else {
                -SATURATED_LOG_RATIO
            },
        )
    };
    Mixture {
        weight: [pi, 1.0 - pi],
        mean,
        sigma,
        inv_sigma: sigma.map(|v| 1.0 / v),
        log_norm,
        a: 0.5 * (sigma[0] - sigma[1]) * (sigma[0] + sigma[1]) / (v1 * v2),
        b: d / v2,
        log_sigma_ratio: (sigma[1] / sigma[0]).ln(),
        c_phi: (sigma[1] / sigma[0]).ln() + 0.5 * d * d / v2,
        logit_w,
        boundary,
    }
}

/// `log_phi_ratio`: ln(φ1/φ2) = ln(σ2/σ1) + ½(z2 − z1)(z2 + z1) at standardized positions
/// z, with z2 − z1 taken whichever way rounds less (see the shader).
#[inline]
pub fn log_phi_ratio(m: &Mixture, z: [f32; 2]) -> f32 {
    let sigma_diff = m.sigma[0] - m.sigma[1];
    let mean_diff = m.mean[0] - m.mean[1];
    let direct = z[1] - z[0];
    let formula = (sigma_diff * (z[0] * m.sigma[0]) + m.sigma[0] * mean_diff)
        * (m.inv_sigma[0] * m.inv_sigma[1]);
    let direct_error = z[0].abs() + z[1].abs();
    let formula_error = (sigma_diff.abs() * z[0].abs() + mean_diff.abs()) * m.inv_sigma[1];
    let difference = if formula_error < direct_error {
        formula
    } else {
        direct
    };
    m.log_sigma_ratio + 0.5 * difference * (z[0] + z[1])
}

/// `one_minus_exp`: 1 − e^{−u} for u ≥ 0.
#[inline]
pub fn one_minus_exp(u: f32) -> f32 {
    let t = stable_tanh(0.5 * u);
    2.0 * t / (1.0 + t)
}

/// `NodeState`: what the scores at one node are built from.
#[derive(Clone, Copy, Debug)]
pub struct NodeState {
    /// (r1, r2).
    pub r: [f32; 2],
    /// ((y − μ1)/σ1, (y − μ2)/σ2).
    pub z: [f32; 2],
    /// ln(φ1/φ2).
    pub log_phi: f32,
    /// ℓ = ln(πφ1/((1 − π)φ2)).
    pub log_ratio: f32,
    /// e^{−|ℓ|}.
    pub tail: f32,
}

/// `node_state`.
#[inline]
pub fn node_state(m: &Mixture, y: f32) -> NodeState {
    let z = [
        (y - m.mean[0]) * m.inv_sigma[0],
        (y - m.mean[1]) * m.inv_sigma[1],
    ];
    let lphi = log_phi_ratio(m, z);
    // (r1, r2) = (logistic(ℓ), logistic(−ℓ)) from one exponential, e^{−|ℓ|}.
    let l = lphi + m.logit_w;
    let e = (-l.abs()).exp();
    let near = 1.0 / (1.0 + e);
    let far = e / (1.0 + e);
    NodeState {
        r: if l >= 0.0 { [near, far] } else { [far, near] },
        z,
        log_phi: lphi,
        log_ratio: l,
        tail: e,
    }
}

/// `score`: ∂ log p / ∂ψ_k (k a `Param::index`).
#[inline]
pub fn score(m: &Mixture, s: &NodeState, k: u32) -> f32 {
    match k {
        0 => {
            if s.log_phi >= 0.0 {
                s.r[0] / m.weight[0] * one_minus_exp(s.log_phi)
            } else {
                -s.r[1] / m.weight[1] * one_minus_exp(-s.log_phi)
            }
        }
        1 => s.r[0] * s.z[0] * m.inv_sigma[0],
        2 => s.r[1] * s.z[1] * m.inv_sigma[1],
        3 => s.r[0] * (s.z[0] * s.z[0] - 1.0) * m.inv_sigma[0],
        _ => s.r[1] * (s.z[1] * s.z[1] - 1.0) * m.inv_sigma[1],
    }
}

/// `truncation_sigmas`: T from the smallest positive weight.
pub fn truncation_sigmas(min_weight: f32) -> f32 {
    let w = min_weight.clamp(1e-12, 1.0);
    let bound = GENERAL_TAIL * w * w;
    let mut t: f32 = 8.0;
    for _ in 0..6 {
        let poly = (1.0 + t * t) * (1.0 + t * t) / (t * SQRT_2PI);
        t = (2.0 * (poly / bound).ln()).sqrt();
    }
    t.clamp(TRUNCATION_MIN, TRUNCATION_MAX)
}

/// `min_weight`.
pub fn min_weight(m: &Mixture) -> f32 {
    if m.boundary {
        return 1.0;
    }
    m.weight[0].min(m.weight[1])
}

/// `NO_SPLIT`: an absent split, outside every window.
pub const NO_SPLIT: f32 = 3.0e38;

/// `Splits`: the candidate panel edges one mixture contributes, in the shader's slot order
/// (roots r1, r2, vertex v, unused; r1 ∓ 3w1, r2 ∓ 3w2; v ∓ 3s, r1 ∓ 12w1; r2 ∓ 12w2, v ∓ 12s).
pub type Splits = [f32; 16];

/// `no_splits`.
pub fn no_splits() -> Splits {
    [NO_SPLIT; 16]
}

/// `SwitchPoints`: the real roots of ℓ and the logistic's widths there.
#[derive(Clone, Copy, Debug, Default)]
pub struct SwitchPoints {
    /// Positions (y frame).
    pub x: [f32; 2],
    /// 1/|ℓ'| (0 where ℓ' = 0).
    pub width: [f32; 2],
    /// 0, 1 or 2.
    pub count: usize,
}

/// `switch_points`.
pub fn switch_points(m: &Mixture) -> SwitchPoints {
    let mut out = SwitchPoints::default();
    if m.boundary {
        return out;
    }
    let (a, b, c) = (m.a, m.b, m.c_phi + m.logit_w);
    let mut ys = [0.0f32; 2];
    if a == 0.0 {
        if b != 0.0 {
            ys[0] = -c / b;
            out.count = 1;
        }
    } else {
        let disc = b * b - 4.0 * a * c;
        if disc >= 0.0 {
            let q = -0.5 * (b + if b >= 0.0 { disc.sqrt() } else { -disc.sqrt() });
            if q == 0.0 {
                out.count = 1;
            } else {
                ys = [q / a, c / q];
                out.count = 2;
            }
        }
    }
    out.x = ys.map(|y| m.mean[0] + y);
    out.width = ys.map(|y| {
        let slope = (2.0 * a * y + b).abs();
        if slope > 0.0 { 1.0 / slope } else { 0.0 }
    });
    out
}

/// `mixture_splits`: roots and vertex with their graded neighbours (the far ones only with
/// `far`).
pub fn mixture_splits(m: &Mixture, far: bool) -> Splits {
    let sp = switch_points(m);
    let r = [0, 1].map(|i| if i < sp.count { sp.x[i] } else { NO_SPLIT });
    let has_vertex = !m.boundary && m.a != 0.0;
    let v = if has_vertex {
        m.mean[0] - m.b / (2.0 * m.a)
    } else {
        NO_SPLIT
    };
    let s = if has_vertex {
        1.0 / (2.0 * m.a.abs()).sqrt()
    } else {
        0.0
    };
    let w = sp.width;
    let near = GRADE_NEAR;
    let far_or_none = |x: f32| if far { x } else { NO_SPLIT };
    let far_grade = GRADE_FAR;
    [
        r[0],
        r[1],
        v,
        NO_SPLIT,
        r[0] - near * w[0],
        r[0] + near * w[0],
        r[1] - near * w[1],
        r[1] + near * w[1],
        v - near * s,
        v + near * s,
        far_or_none(r[0] - far_grade * w[0]),
        far_or_none(r[0] + far_grade * w[0]),
        far_or_none(r[1] - far_grade * w[1]),
        far_or_none(r[1] + far_grade * w[1]),
        far_or_none(v - far_grade * s),
        far_or_none(v + far_grade * s),
    ]
}

/// `next_split`: the smallest split above `cur` (NO_SPLIT when none).
///
/// The minimum is taken as a tree (16 → 8 → 4 → 2 → 1) rather than a running fold: the same
/// value (every candidate is either a number above `cur` or NO_SPLIT, never NaN, so the order
/// of a minimum does not matter), four dependent steps instead of sixteen, and the compiler
/// vectorises each level. A panel walk calls this three times per panel, which is as much work
/// as the panel's nodes once those are vectorised (`cpu::simd`).
#[inline]
pub fn next_split(s: &Splits, cur: f32) -> f32 {
    let mut v: [f32; 16] = std::array::from_fn(|i| if s[i] > cur { s[i] } else { NO_SPLIT });
    let mut width = 8;
    while width > 0 {
        for i in 0..width {
            v[i] = if v[i + width] < v[i] {
                v[i + width]
            } else {
                v[i]
            };
        }
        width /= 2;
    }
    v[0]
}

/// At most this many splits inside one window: the centre, 15 candidates of the first mixture
/// and 9 near ones of the second (`GENERAL_MAX_SPLITS`).
pub const GENERAL_MAX_SPLITS: usize = 25;
/// Panels of the fullest window (`GENERAL_MAX_PANELS`).
pub const GENERAL_MAX_PANELS: usize = GENERAL_MAX_SPLITS + 1;

/// `Window`: one component's window and the splits its panels are cut at.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    /// The window's ends.
    pub lo: f32,
    /// The window's ends.
    pub hi: f32,
    /// The component's centre (a split).
    pub centre: f32,
    /// Candidate splits of the first mixture.
    pub first: Splits,
    /// Candidate splits of the second mixture (`no_splits` for one).
    pub second: Splits,
}

impl Window {
    /// The panels in ascending order, as the shader walks them (`window_next`).
    pub fn panels(&self) -> impl Iterator<Item = (f32, f32)> + '_ {
        walk_panels(self.lo, self.hi, GENERAL_MAX_PANELS, |cur| {
            window_next(self, cur)
        })
    }
}

/// The shaders' panel walk: from `lo`, each panel ends at `next(its start)`, until `hi` (a NaN
/// edge also ends the walk) or `max` panels.
fn walk_panels(
    lo: f32,
    hi: f32,
    max: usize,
    next: impl Fn(f32) -> f32,
) -> impl Iterator<Item = (f32, f32)> {
    let mut end = lo;
    (0..max).map_while(move |_| {
        let start = end;
        let inside = start < hi;
        if !inside {
            return None;
        }
        end = next(start);
        Some((start, end))
    })
}

/// `component_window`.
pub fn component_window(
    under: &Mixture,
    c: usize,
    t: f32,
    first: &Mixture,
    second: Option<&Mixture>,
) -> Window {
    let centre = under.mean[c];
    let half = t * under.sigma[c];
    Window {
        lo: centre - half,
        hi: centre + half,
        centre,
        first: mixture_splits(first, true),
        second: second.map_or_else(no_splits, |m| mixture_splits(m, false)),
    }
}

/// `window_next`: the nearest split above `cur`, or the window's end.
pub fn window_next(w: &Window, cur: f32) -> f32 {
    let centre = if w.centre > cur { w.centre } else { NO_SPLIT };
    w.hi.min(centre)
        .min(next_split(&w.first, cur).min(next_split(&w.second, cur)))
}

/// `PassSums`.
#[derive(Clone, Copy, Debug, Default)]
pub struct PassSums {
    /// The three sums.
    pub sums: [f32; 3],
    /// Integrand evaluations.
    pub nodes: u32,
}

/// Visits the nodes of every panel of component `c`'s window under `under`: `f(weight, y)`
/// per node, panel sums added to the component sum (the shader's two-level sum). Returns the
/// component sum and the evaluations.
fn window_sums<const N: usize>(
    under: &Mixture,
    c: usize,
    w: &Window,
    nodes: &[[f32; 2]],
    mut f: impl FnMut(f32) -> [f32; N],
) -> ([f32; N], u32) {
    let mut component = [0.0f32; N];
    let mut count = 0;
    for (lo, hi) in w.panels() {
        let half_width = 0.5 * (hi - lo);
        let middle = 0.5 * (hi + lo);
        let scale = half_width * INV_SQRT_2PI * under.inv_sigma[c];
        let mut panel = [0.0f32; N];
        for node in nodes {
            let y = middle + half_width * node[0];
            let zc = (y - under.mean[c]) * under.inv_sigma[c];
            let weight = scale * node[1] * (-0.5 * zc * zc).exp();
            let v = f(y);
            for k in 0..N {
                panel[k] += weight * v[k];
            }
        }
        for k in 0..N {
            component[k] += panel[k];
        }
        count += nodes.len() as u32;
    }
    (component, count)
}

/// `fisher_pass`: E_model[(p1², p1·p2, p2²)], p = B·(s_a, s_b), B given by its rows.
pub fn fisher_pass(
    m: &Mixture,
    slice: [u32; 2],
    basis: [[f32; 2]; 2],
    t: f32,
    nodes: &[[f32; 2]],
) -> PassSums {
    let mut out = PassSums::default();
    for c in 0..2 {
        if m.weight[c] <= 0.0 {
            continue;
        }
        let w = component_window(m, c, t, m, None);
        let (component, count) = window_sums(m, c, &w, nodes, |y| {
            let st = node_state(m, y);
            let s = [score(m, &st, slice[0]), score(m, &st, slice[1])];
            let q = [
                basis[0][0] * s[0] + basis[0][1] * s[1],
                basis[1][0] * s[0] + basis[1][1] * s[1],
            ];
            [q[0] * q[0], q[0] * q[1], q[1] * q[1]]
        });
        out.nodes += count;
        for (sum, part) in out.sums.iter_mut().zip(component) {
            *sum += m.weight[c] * part;
        }
    }
    out
}

/// `UnionSums`: what the union pass sums.
#[derive(Clone, Copy, Debug, Default)]
pub struct UnionSums {
    /// E_model[(s_a², s_a·s_b, s_b²)].
    pub fisher: [f32; 3],
    /// E_target[(s_a, s_b, ln p* − ln p)].
    pub target_sums: [f32; 3],
    /// E_target[(s_a², s_a·s_b, s_b²)].
    pub ef: [f32; 3],
    /// Integrand evaluations.
    pub nodes: u32,
}

/// Panels of the fullest union window (`UNION_MAX_PANELS`).
pub const UNION_MAX_PANELS: usize = 31;

/// `UnionWindow`: the union of the four components' windows and its candidate splits.
#[derive(Clone, Copy, Debug)]
pub struct UnionWindow {
    /// The union's ends.
    pub lo: f32,
    /// The union's ends.
    pub hi: f32,
    /// A centre or window end closer than this (the smallest σ) to the last edge is skipped.
    pub merge: f32,
    /// Centres, window starts and window ends of the weighted components.
    pub components: Splits,
    /// The model's near splits.
    pub model_splits: Splits,
    /// The target's near splits.
    pub target_splits: Splits,
}

impl UnionWindow {
    /// The panels in ascending order, as the shader walks them (`union_next`).
    pub fn panels(&self) -> impl Iterator<Item = (f32, f32)> + '_ {
        walk_panels(self.lo, self.hi, UNION_MAX_PANELS, |cur| {
            union_next(self, cur)
        })
    }
}

/// `union_window`.
pub fn union_window(m: &Mixture, target_mix: &Mixture, t: f32) -> UnionWindow {
    let weighted = [
        m.weight[0],
        m.weight[1],
        target_mix.weight[0],
        target_mix.weight[1],
    ]
    .map(|w| w > 0.0);
    let centres = [m.mean[0], m.mean[1], target_mix.mean[0], target_mix.mean[1]];
    let sigmas = [
        m.sigma[0],
        m.sigma[1],
        target_mix.sigma[0],
        target_mix.sigma[1],
    ];
    let mut components = no_splits();
    let (mut lo, mut hi, mut merge) = (NO_SPLIT, -NO_SPLIT, NO_SPLIT);
    for i in 0..4 {
        if weighted[i] {
            merge = merge.min(sigmas[i]);
            let half = t * sigmas[i];
            let (start, end) = (centres[i] - half, centres[i] + half);
            components[i] = centres[i];
            components[4 + i] = start;
            components[8 + i] = end;
            lo = lo.min(start);
            hi = hi.max(end);
        }
    }
    UnionWindow {
        lo,
        hi,
        merge,
        components,
        model_splits: mixture_splits(m, false),
        target_splits: mixture_splits(target_mix, false),
    }
}

/// `union_next`.
pub fn union_next(w: &UnionWindow, cur: f32) -> f32 {
    w.hi.min(next_split(&w.components, cur + w.merge))
        .min(next_split(&w.model_splits, cur).min(next_split(&w.target_splits, cur)))
}

/// `node_top_log_density`: max(e1, e2) picked by ℓ's sign.
pub fn node_top_log_density(m: &Mixture, s: &NodeState) -> f32 {
    let e1 = m.log_norm[0] - 0.5 * s.z[0] * s.z[0];
    let e2 = m.log_norm[1] - 0.5 * s.z[1] * s.z[1];
    if s.log_ratio >= 0.0 { e1 } else { e2 }
}

/// `node_density`: the target's larger weighted log-density and e^{−|ℓ*|} at y.
pub fn node_density(m: &Mixture, y: f32) -> (f32, f32) {
    let z = [
        (y - m.mean[0]) * m.inv_sigma[0],
        (y - m.mean[1]) * m.inv_sigma[1],
    ];
    let l = log_phi_ratio(m, z) + m.logit_w;
    let e1 = m.log_norm[0] - 0.5 * z[0] * z[0];
    let e2 = m.log_norm[1] - 0.5 * z[1] * z[1];
    (if l >= 0.0 { e1 } else { e2 }, (-l.abs()).exp())
}

/// `union_pass`: F's block under the model and the target's sums under the target on one set
/// of nodes over the union of the components' windows (see the shader).
pub fn union_pass(
    m: &Mixture,
    target_mix: &Mixture,
    slice: [u32; 2],
    t: f32,
    nodes: &[[f32; 2]],
    with_fisher: bool,
) -> UnionSums {
    let mut out = UnionSums::default();
    let w = union_window(m, target_mix, t);
    for (lo, hi) in w.panels() {
        let half_width = 0.5 * (hi - lo);
        let middle = 0.5 * (hi + lo);
        let mut panel_f = [0.0f32; 3];
        let mut panel_t = [0.0f32; 3];
        let mut panel_ef = [0.0f32; 3];
        for node in nodes {
            let y = middle + half_width * node[0];
            let st = node_state(m, y);
            let (top_target, tail_target) = node_density(target_mix, y);
            let top = node_top_log_density(m, &st);
            let weight = half_width * node[1];
            let wp = if with_fisher {
                weight * top.exp() * (1.0 + st.tail)
            } else {
                0.0
            };
            let wt = weight * top_target.exp() * (1.0 + tail_target);
            let log_ratio = (top_target - top) + log_ratio_1p(tail_target, st.tail);
            let (sa, sb) = (score(m, &st, slice[0]), score(m, &st, slice[1]));
            // Weight first, then each score (the shader's order: s² can overflow where the
            // weight is 0).
            let (wpa, wpb) = (wp * sa, wp * sb);
            let (wta, wtb) = (wt * sa, wt * sb);
            let fisher = [wpa * sa, wpa * sb, wpb * sb];
            let target = [wta, wtb, wt * log_ratio];
            let ef = [wta * sa, wta * sb, wtb * sb];
            for k in 0..3 {
                panel_f[k] += fisher[k];
                panel_t[k] += target[k];
                panel_ef[k] += ef[k];
            }
        }
        for k in 0..3 {
            out.fisher[k] += panel_f[k];
            out.target_sums[k] += panel_t[k];
            out.ef[k] += panel_ef[k];
        }
        out.nodes += nodes.len() as u32;
    }
    out
}

fn mat_vec(b: [[f32; 2]; 2], v: [f32; 2]) -> [f32; 2] {
    [
        b[0][0] * v[0] + b[0][1] * v[1],
        b[1][0] * v[0] + b[1][1] * v[1],
    ]
}

fn transpose(b: [[f32; 2]; 2]) -> [[f32; 2]; 2] {
    [[b[0][0], b[1][0]], [b[0][1], b[1][1]]]
}

/// What one point cost: integrand evaluations, and whether F took the refinement pass.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PointCost {
    /// Integrand evaluations (F's passes and the target pass).
    pub evaluations: u32,
    /// Whether F was accumulated a second time in its eigenbasis.
    pub refined: bool,
}

/// `tri_index`: F_ij's place in the packed upper triangle of the 5×5 F.
pub fn tri_index(i: usize, j: usize) -> usize {
    let (lo, hi) = (i.min(j), i.max(j));
    // Row lo starts after Σ_{r<lo} (5 − r) = lo(11 − lo)/2 entries.
    lo * (11 - lo) / 2 + (hi - lo)
}

/// `fisher_full_pass`: the packed full F = E_model[s sᵀ] (all five scores).
pub fn fisher_full_pass(m: &Mixture, t: f32, nodes: &[[f32; 2]]) -> ([f32; 15], u32) {
    let mut sums = [0.0f32; 15];
    let mut evaluations = 0;
    for c in 0..2 {
        let w = component_window(m, c, t, m, None);
        let mut component = [0.0f32; 15];
        for (lo, hi) in w.panels() {
            let half_width = 0.5 * (hi - lo);
            let middle = 0.5 * (hi + lo);
            let scale = half_width * INV_SQRT_2PI * m.inv_sigma[c];
            let mut panel = [0.0f32; 15];
            for node in nodes {
                let y = middle + half_width * node[0];
                let zc = (y - m.mean[c]) * m.inv_sigma[c];
                let weight = scale * node[1] * (-0.5 * zc * zc).exp();
                let st = node_state(m, y);
                let s: [f32; 5] = std::array::from_fn(|i| score(m, &st, i as u32));
                let mut idx = 0;
                for i in 0..5 {
                    let wi = weight * s[i];
                    for sj in &s[i..] {
                        panel[idx] += wi * sj;
                        idx += 1;
                    }
                }
            }
            for k in 0..15 {
                component[k] += panel[k];
            }
            evaluations += nodes.len() as u32;
        }
        for k in 0..15 {
            sums[k] += m.weight[c] * component[k];
        }
    }
    (sums, evaluations)
}

/// `Profiled`: the rough Schur complement, the regression P = F_sn F_nn⁻¹ of the slice scores
/// on the held ones (rows `p_a`, `p_b` over `held`).
#[derive(Clone, Copy, Debug)]
pub struct Profiled {
    /// F_ss − WᵀW from the sums (cancels where S ≪ F_ss; used to choose a basis).
    pub block: Sym2<f32>,
    /// Row a of P.
    pub p_a: [f32; 3],
    /// Row b of P.
    pub p_b: [f32; 3],
    /// The held parameters, ascending.
    pub held: [u32; 3],
}

/// `profiled_block`: None where F_nn is singular to f32 working precision.
pub fn profiled_block(f: &[f32; 15], slice: [u32; 2]) -> Option<Profiled> {
    let (sa, sb) = (slice[0] as usize, slice[1] as usize);
    let mut n = [0usize; 3];
    let mut count = 0;
    for k in 0..5 {
        if k != sa && k != sb {
            n[count] = k;
            count += 1;
        }
    }
    let mut d = [0.0f32; 3];
    for i in 0..3 {
        let fii = f[tri_index(n[i], n[i])];
        // Written so that NaN also fails (as the shader's `!(… > …)`).
        let positive = fii > 0.0;
        if !positive {
            return None;
        }
        d[i] = 1.0 / fii.sqrt();
    }
    let c10 = f[tri_index(n[1], n[0])] * d[1] * d[0];
    let c20 = f[tri_index(n[2], n[0])] * d[2] * d[0];
    let c21 = f[tri_index(n[2], n[1])] * d[2] * d[1];
    let l10 = c10;
    let l20 = c20;
    let p1 = 1.0 - l10 * l10;
    let pivot_ok = p1 >= PROFILE_MIN_PIVOT;
    if !pivot_ok {
        return None;
    }
    let l11 = p1.sqrt();
    let l21 = (c21 - l20 * l10) / l11;
    let p2 = 1.0 - l20 * l20 - l21 * l21;
    let pivot_ok = p2 >= PROFILE_MIN_PIVOT;
    if !pivot_ok {
        return None;
    }
    let l22 = p2.sqrt();
    let row = |i: usize| [d[i] * f[tri_index(n[i], sa)], d[i] * f[tri_index(n[i], sb)]];
    let w0 = row(0);
    let mut w1 = row(1);
    let mut w2 = row(2);
    for c in 0..2 {
        w1[c] = (w1[c] - l10 * w0[c]) / l11;
        w2[c] = (w2[c] - l20 * w0[c] - l21 * w1[c]) / l22;
    }
    let block = Sym2::new(
        f[tri_index(sa, sa)] - (w0[0] * w0[0] + w1[0] * w1[0] + w2[0] * w2[0]),
        f[tri_index(sa, sb)] - (w0[0] * w0[1] + w1[0] * w1[1] + w2[0] * w2[1]),
        f[tri_index(sb, sb)] - (w0[1] * w0[1] + w1[1] * w1[1] + w2[1] * w2[1]),
    );
    // P's rows: D L⁻ᵀ W (back substitution), column by column.
    let mut p = [[0.0f32; 3]; 2];
    for c in 0..2 {
        let v2 = w2[c] / l22;
        let v1 = (w1[c] - l21 * v2) / l11;
        let v0 = w0[c] - l10 * v1 - l20 * v2;
        p[c] = [d[0] * v0, d[1] * v1, d[2] * v2];
    }
    Some(Profiled {
        block,
        p_a: p[0],
        p_b: p[1],
        held: n.map(|k| k as u32),
    })
}

/// `residual_pass`: E_model[(q1², q1·q2, q2²)], q = B·(s_s − P s_n).
pub fn residual_pass(
    m: &Mixture,
    slice: [u32; 2],
    prof: &Profiled,
    basis: [[f32; 2]; 2],
    t: f32,
    nodes: &[[f32; 2]],
) -> PassSums {
    let mut out = PassSums::default();
    for c in 0..2 {
        let w = component_window(m, c, t, m, None);
        let (component, count) = window_sums(m, c, &w, nodes, |y| {
            let st = node_state(m, y);
            let s_n = prof.held.map(|k| score(m, &st, k));
            let dot = |p: [f32; 3]| p[0] * s_n[0] + p[1] * s_n[1] + p[2] * s_n[2];
            let r = [
                score(m, &st, slice[0]) - dot(prof.p_a),
                score(m, &st, slice[1]) - dot(prof.p_b),
            ];
            let q = mat_vec(basis, r);
            [q[0] * q[0], q[0] * q[1], q[1] * q[1]]
        });
        out.nodes += count;
        for (sum, part) in out.sums.iter_mut().zip(component) {
            *sum += m.weight[c] * part;
        }
    }
    out
}

/// `eigen_basis`: rows (q_max, q_min).
fn eigen_basis(q: [f32; 2]) -> [[f32; 2]; 2] {
    [[q[0], q[1]], [-q[1], q[0]]]
}

/// Everything at one point from the two mixtures in the y frame, as the shader's
/// `evaluate_general_mixtures` (`theta` left 0); also returns what it cost.
pub fn evaluate_general_mixtures_counted(
    m: &Mixture,
    target_mix: &Mixture,
    has_target: bool,
    slice: [u32; 2],
    metric: u32,
    damping: f32,
    nodes: &[[f32; 2]],
) -> (FieldCell, PointCost) {
    evaluate_general_mixtures_using(
        m,
        target_mix,
        has_target,
        slice,
        metric,
        damping,
        nodes,
        &union_pass,
    )
}

/// The union pass's signature ([`union_pass`], or the SIMD path's with the same sums).
pub type UnionPassFn =
    dyn Fn(&Mixture, &Mixture, [u32; 2], f32, &[[f32; 2]], bool) -> UnionSums + Sync;

/// The same signature as a plain function pointer (what the SIMD path picks per level).
pub type UnionPass = fn(&Mixture, &Mixture, [u32; 2], f32, &[[f32; 2]], bool) -> UnionSums;

/// [`evaluate_general_mixtures_counted`] with `union` in place of [`union_pass`] (the SIMD
/// path's vectorised pass; everything else is this mirror's code).
#[allow(clippy::too_many_arguments)]
pub fn evaluate_general_mixtures_using(
    m: &Mixture,
    target_mix: &Mixture,
    has_target: bool,
    slice: [u32; 2],
    metric: u32,
    damping: f32,
    nodes: &[[f32; 2]],
    union: &UnionPassFn,
) -> (FieldCell, PointCost) {
    let mut cell_flags = 0;
    let identity = [[1.0, 0.0], [0.0, 1.0]];
    let t_model = truncation_sigmas(min_weight(m));
    let mut basis = identity;
    let mut refined = false;
    let mut evaluations = 0;
    let f_acc;
    // The target's sums when the union pass made them (induced metric with a target).
    let mut joint: Option<UnionSums> = None;
    if metric == METRIC_PROFILED {
        let undefined = FieldCell {
            flags: FLAG_METRIC_UNDEFINED,
            ..FieldCell::default()
        };
        if m.boundary {
            return (undefined, PointCost::default());
        }
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
        let [xx, xy, yy] = if has_target {
            // F and the target's sums on one set of nodes (`union_pass`).
            let t_joint = truncation_sigmas(min_weight(m).min(min_weight(target_mix)));
            let sums = union(m, target_mix, slice, t_joint, nodes, true);
            evaluations += sums.nodes;
            let fisher = sums.fisher;
            joint = Some(sums);
            fisher
        } else {
            let first = fisher_pass(m, slice, identity, t_model, nodes);
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
            let second = fisher_pass(m, slice, basis, t_model, nodes);
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
    let (mut out, cost) = evaluate_general_mixtures_using(
        &m,
        &target_mix,
        p.has_target != 0,
        slice,
        0,
        damping,
        nodes,
        union,
    );
    out.theta = [psi[slice[0] as usize], psi[slice[1] as usize]];
    (out, cost)
}

/// `inside_model`: σ1, σ2 > 0, π in [0, 1] (strictly inside when the slice varies π), all
/// finite.
pub fn inside_model(psi: &[f32; 5], slice: [u32; 2]) -> bool {
    let pi = psi[PARAM_PI as usize];
    let pi_varies = slice[0] == PARAM_PI || slice[1] == PARAM_PI;
    let weight_ok = if pi_varies {
        pi > 0.0 && pi < 1.0
    } else {
        (0.0..=1.0).contains(&pi)
    };
    weight_ok
        && psi[3] > 0.0
        && psi[4] > 0.0
        && psi[1].abs() < 1e30
        && psi[2].abs() < 1e30
        && psi[3] < 1e30
        && psi[4] < 1e30
}

/// `grid_cell_mixtures`: cell `index`'s model and target in the y frame (None outside the
/// model) and its offset from O.
pub fn grid_cell_mixtures(
    g: &GeneralGridParams,
    index: u32,
) -> (Option<(Mixture, Mixture)>, [f32; 2]) {
    let slice = [g.slice_a, g.slice_b];
    let offset = g.cell_offset(index);
    let mut off = [0.0f32; 5];
    off[slice[0] as usize] = offset[0];
    off[slice[1] as usize] = offset[1];
    let mut psi = g.base;
    psi[slice[0] as usize] = g.origin_hi[0] + (g.origin_lo[0] + offset[0]);
    psi[slice[1] as usize] = g.origin_hi[1] + (g.origin_lo[1] + offset[1]);
    if !inside_model(&psi, slice) {
        return (None, offset);
    }
    let m = make_mixture(
        psi[0],
        [0.0, g.mean_gap + (off[PARAM_MU2] - off[PARAM_MU1])],
        [psi[3], psi[4]],
    );
    let t = g.target;
    let target_mix = make_mixture(
        t[0],
        [
            g.target_mean[0] - off[PARAM_MU1],
            g.target_mean[1] - off[PARAM_MU1],
        ],
        [t[3], t[4]],
    );
    (Some((m, target_mix)), offset)
}

/// `evaluate_grid_cell`: grid cell `index`.
pub fn grid_cell(g: &GeneralGridParams, nodes: &[[f32; 2]], index: u32) -> FieldCell {
    grid_cell_using(g, nodes, index, &union_pass)
}

/// [`grid_cell`] with `union` in place of [`union_pass`].
pub fn grid_cell_using(
    g: &GeneralGridParams,
    nodes: &[[f32; 2]],
    index: u32,
    union: &UnionPassFn,
) -> FieldCell {
    let (mixtures, offset) = grid_cell_mixtures(g, index);
    let Some((m, target_mix)) = mixtures else {
        return FieldCell {
            theta: offset,
            flags: FLAG_OUTSIDE_MODEL,
            ..FieldCell::default()
        };
    };
    let (mut out, _) = evaluate_general_mixtures_using(
        &m,
        &target_mix,
        g.has_target != 0,
        [g.slice_a, g.slice_b],
        g.metric,
        g.damping,
        nodes,
        union,
    );
    out.theta = offset;
    out
}

/// `evaluate_grid_cell_target`: grid cell `index` after only the target (or the damping)
/// changed, from the cell a `grid` pass wrote: the metric half kept, the target half redone.
pub fn grid_cell_target(
    g: &GeneralGridParams,
    nodes: &[[f32; 2]],
    index: u32,
    cell: &FieldCell,
) -> FieldCell {
    if cell.flags & (FLAG_OUTSIDE_MODEL | FLAG_METRIC_UNDEFINED) != 0 {
        return *cell;
    }
    let (mixtures, _) = grid_cell_mixtures(g, index);
    let Some((m, target_mix)) = mixtures else {
        return *cell;
    };
    if g.has_target == 0 {
        return FieldCell {
            grad: [0.0; 2],
            natgrad: [0.0; 2],
            loss: 0.0,
            angle_deg: 0.0,
            empirical: [0.0; 3],
            flags: cell.flags
                & !(flags::HAS_TARGET | flags::NATGRAD_UNDEFINED | flags::ANGLE_UNDEFINED),
            ..*cell
        };
    }
    with_target_counted(
        cell,
        &m,
        &target_mix,
        [g.slice_a, g.slice_b],
        g.damping,
        nodes,
    )
    .0
}

/// The target-only pass (entry point `grid_target`) over cells a `grid` pass wrote, in parallel.
pub fn grid_target(params: &GeneralGridParams, nodes: &[[f32; 2]], cells: &mut [FieldCell]) {
    cells
        .par_iter_mut()
        .enumerate()
        .for_each(|(i, cell)| *cell = grid_cell_target(params, nodes, i as u32, cell));
}

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

/// Every cell of a grid (entry point `grid`), in parallel; `params.panel_nodes` is ignored
/// (the node table is `nodes`).
pub fn grid(params: &GeneralGridParams, nodes: &[[f32; 2]]) -> Vec<FieldCell> {
    (0..params.cell_count)
        .into_par_iter()
        .map(|i| grid_cell(params, nodes, i))
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The edges a window's walk visits, ends included.
    fn edges(w: &Window) -> Vec<f32> {
        let mut out = vec![w.lo];
        out.extend(w.panels().map(|(_, hi)| hi));
        out
    }

    #[test]
    fn the_window_walk_visits_every_split_once_in_order() {
        // Splits 3 (twice), −2, 0.5, 7 inside; 11 and −10 (an end) outside the open window.
        let mut first = no_splits();
        first[..5].copy_from_slice(&[3.0, -2.0, 11.0, -10.0, 0.5]);
        let mut second = no_splits();
        second[..2].copy_from_slice(&[3.0, 7.0]);
        let w = Window {
            lo: -10.0,
            hi: 10.0,
            centre: 1.0,
            first,
            second,
        };
        assert_eq!(edges(&w), [-10.0, -2.0, 0.5, 1.0, 3.0, 7.0, 10.0]);
        // Negative control: without the second mixture 7 is no edge.
        let one = Window {
            second: no_splits(),
            ..w
        };
        assert_eq!(edges(&one), [-10.0, -2.0, 0.5, 1.0, 3.0, 10.0]);
        // The fullest window: 25 distinct splits inside make 26 panels, none lost.
        let all: Vec<f32> = (0..25).map(|i| -9.6 + 0.75 * i as f32).collect();
        let mut first = no_splits();
        first[..15].copy_from_slice(&all[..15]);
        let mut second = no_splits();
        second[..9].copy_from_slice(&all[15..24]);
        let full = Window {
            lo: -10.0,
            hi: 10.0,
            centre: all[24],
            first,
            second,
        };
        let e = edges(&full);
        assert_eq!(e.len(), GENERAL_MAX_PANELS + 1);
        assert!(e.windows(2).all(|p| p[0] < p[1]));
        // A NaN split (a degenerate mixture) is never an edge.
        let mut nan = no_splits();
        nan[0] = f32::NAN;
        let w_nan = Window { first: nan, ..one };
        assert_eq!(edges(&w_nan), [-10.0, 1.0, 10.0]);
    }

    #[test]
    fn truncation_matches_the_rule_by_hand() {
        // Q(T)(1 + T²)² ≤ 1e-12·m²: at m = ½, T ≈ 8.6; at m = 1e-3 wider.
        let t = truncation_sigmas(0.5);
        assert!((8.2..9.0).contains(&t), "{t}");
        assert!(truncation_sigmas(1e-3) > t + 0.8);
    }
}
