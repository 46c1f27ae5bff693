//! The union pass: F's block under the model and the target's sums under the target on one
//! set of nodes over the union of the four components' windows.

use super::mixture::{Mixture, NodeState, log_phi_ratio, node_state, score};
use super::panels::union_window;
use crate::cpu::gmm::log_ratio_1p;

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

/// The shader's `UNION_*` bits: which of a union pass's sums its caller reads (F's block, the
/// loss, the EF); the SIMD lane pass skips the rest, as the shader does.
pub const UNION_FISHER: u32 = 1;
/// See [`UNION_FISHER`].
pub const UNION_LOSS: u32 = 2;
/// See [`UNION_FISHER`].
pub const UNION_EF: u32 = 4;
/// Every sum.
pub const UNION_ALL: u32 = UNION_FISHER | UNION_LOSS | UNION_EF;

/// `union_pass`: F's block under the model and the target's sums under the target on one set
/// of nodes over the union of the components' windows (see the shader). The shader skips the
/// sums its caller does not read (its `UNION_*` bits: a particle's velocity reads neither L
/// nor, outside the EF flow, the EF); this mirror always forms them all, which leaves the sums
/// that are read unchanged.
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

/// The union pass's signature ([`union_pass`], or the SIMD path's with the same sums).
pub type UnionPassFn =
    dyn Fn(&Mixture, &Mixture, [u32; 2], f32, &[[f32; 2]], bool) -> UnionSums + Sync;

/// The same signature as a plain function pointer (what the SIMD path picks per level).
pub type UnionPass = fn(&Mixture, &Mixture, [u32; 2], f32, &[[f32; 2]], bool) -> UnionSums;
