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
/// Not a sum but a choice of panels: the target's switch points are edges too, as
/// [`UNION_LOSS`] implies (ln p* bends there; p* does not, so ∇L and the EF need them not).
pub const UNION_TARGET_SWITCHES: u32 = 8;

/// Whether a union pass asked for `sums` takes the target's switch points as edges.
pub fn union_target_switches(sums: u32) -> bool {
    sums & (UNION_LOSS | UNION_TARGET_SWITCHES) != 0
}

/// `union_node`: one node's terms of the union pass, F's, the target's and the EF's three
/// each, at y with quadrature weight `weight` (F's zero without `with_fisher`).
#[inline]
fn union_node(
    m: &Mixture,
    target_mix: &Mixture,
    slice: [u32; 2],
    y: f32,
    weight: f32,
    with_fisher: bool,
) -> [[f32; 3]; 3] {
    let st = node_state(m, y);
    let (top_target, tail_target) = node_density(target_mix, y);
    let top = node_top_log_density(m, &st);
    let wp = if with_fisher {
        weight * top.exp() * (1.0 + st.tail)
    } else {
        0.0
    };
    let wt = weight * top_target.exp() * (1.0 + tail_target);
    let log_ratio = (top_target - top) + log_ratio_1p(tail_target, st.tail);
    let (sa, sb) = (score(m, &st, slice[0]), score(m, &st, slice[1]));
    // Weight first, then each score (the shader's order: s² can overflow where the weight
    // is 0).
    let (wpa, wpb) = (wp * sa, wp * sb);
    let (wta, wtb) = (wt * sa, wt * sb);
    [
        [wpa * sa, wpa * sb, wpb * sb],
        [wta, wtb, wt * log_ratio],
        [wta * sa, wta * sb, wtb * sb],
    ]
}

/// `union_pass`: F's block under the model and the target's sums under the target on one set
/// of nodes over the union of the components' windows (see the shader). `sums` are the
/// `UNION_*` bits of what the caller reads: without [`UNION_LOSS`] (or
/// [`UNION_TARGET_SWITCHES`]) the target's switch points are no edges (fewer panels: only ln p*
/// bends there); without [`UNION_LOSS`] L is 0 and without [`UNION_FISHER`] F, as in the
/// shader. The shader also skips the EF where it is not asked for; this mirror forms it, which
/// leaves the sums that are read unchanged. Nodes go in pairs, each pair's terms added before
/// the panel's sum, as the shader takes them; an odd rule's last node pairs with nothing (the
/// shader's table has ξ = ω = 0 there, whose terms are 0).
pub fn union_pass(
    m: &Mixture,
    target_mix: &Mixture,
    slice: [u32; 2],
    t: f32,
    nodes: &[[f32; 2]],
    sums: u32,
) -> UnionSums {
    let mut out = UnionSums::default();
    let (with_fisher, with_loss) = (sums & UNION_FISHER != 0, sums & UNION_LOSS != 0);
    let w = union_window(m, target_mix, t, union_target_switches(sums));
    for (lo, hi) in w.panels() {
        let half_width = 0.5 * (hi - lo);
        let middle = 0.5 * (hi + lo);
        let terms = |node: &[f32; 2]| {
            let y = middle + half_width * node[0];
            union_node(m, target_mix, slice, y, half_width * node[1], with_fisher)
        };
        let mut panel = [[0.0f32; 3]; 3];
        for pair in nodes.chunks(2) {
            let a = terms(&pair[0]);
            let b = pair.get(1).map_or([[0.0; 3]; 3], terms);
            for (sum, (a, b)) in panel.iter_mut().zip(a.iter().zip(&b)) {
                for k in 0..3 {
                    sum[k] += a[k] + b[k];
                }
            }
        }
        let [fisher, target_sums, ef] = panel;
        for (total, part) in [
            (&mut out.fisher, fisher),
            (&mut out.target_sums, target_sums),
            (&mut out.ef, ef),
        ] {
            for (t, p) in total.iter_mut().zip(part) {
                *t += p;
            }
        }
        out.nodes += nodes.len() as u32;
    }
    if !with_loss {
        out.target_sums[2] = 0.0;
    }
    out
}

/// The union pass's signature ([`union_pass`], or the SIMD path's with the same sums).
pub type UnionPassFn =
    dyn Fn(&Mixture, &Mixture, [u32; 2], f32, &[[f32; 2]], u32) -> UnionSums + Sync;

/// The same signature as a plain function pointer (what the SIMD path picks per level).
pub type UnionPass = fn(&Mixture, &Mixture, [u32; 2], f32, &[[f32; 2]], u32) -> UnionSums;
