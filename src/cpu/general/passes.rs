//! The passes over one component's window at a time: F's slice block, the full 5×5 F and the
//! profiled metric's residual block, each summed panel by panel as the shader sums it.

use super::mixture::{Mixture, node_state, score};
use super::panels::{Window, component_window};
use super::profiled::Profiled;
use crate::cpu::gmm::INV_SQRT_2PI;

/// `PassSums`.
#[derive(Clone, Copy, Debug, Default)]
pub struct PassSums {
    /// The three sums.
    pub sums: [f32; 3],
    /// Integrand evaluations.
    pub nodes: u32,
}

/// Visits the nodes of every panel of component `c`'s window under `under`: `f(weight, y)`
/// per node gives the node's weighted terms, panel sums added to the component sum (the
/// shader's two-level sum). Returns the component sum and the evaluations.
fn window_sums<const N: usize>(
    under: &Mixture,
    c: usize,
    w: &Window,
    nodes: &[[f32; 2]],
    mut f: impl FnMut(f32, f32) -> [f32; N],
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
            let terms = f(weight, y);
            for k in 0..N {
                panel[k] += terms[k];
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
        let (component, count) = window_sums(m, c, &w, nodes, |weight, y| {
            let st = node_state(m, y);
            let s = [score(m, &st, slice[0]), score(m, &st, slice[1])];
            let q = [
                basis[0][0] * s[0] + basis[0][1] * s[1],
                basis[1][0] * s[0] + basis[1][1] * s[1],
            ];
            [q[0] * q[0], q[0] * q[1], q[1] * q[1]].map(|v| weight * v)
        });
        out.nodes += count;
        for (sum, part) in out.sums.iter_mut().zip(component) {
            *sum += m.weight[c] * part;
        }
    }
    out
}

pub(super) fn mat_vec(b: [[f32; 2]; 2], v: [f32; 2]) -> [f32; 2] {
    [
        b[0][0] * v[0] + b[0][1] * v[1],
        b[1][0] * v[0] + b[1][1] * v[1],
    ]
}

pub(super) fn transpose(b: [[f32; 2]; 2]) -> [[f32; 2]; 2] {
    [[b[0][0], b[1][0]], [b[0][1], b[1][1]]]
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
        let (component, count) = window_sums(m, c, &w, nodes, |weight, y| {
            let st = node_state(m, y);
            let s: [f32; 5] = std::array::from_fn(|i| score(m, &st, i as u32));
            let mut terms = [0.0f32; 15];
            let mut idx = 0;
            for i in 0..5 {
                let wi = weight * s[i];
                for sj in &s[i..] {
                    terms[idx] = wi * sj;
                    idx += 1;
                }
            }
            terms
        });
        evaluations += count;
        for k in 0..15 {
            sums[k] += m.weight[c] * component[k];
        }
    }
    (sums, evaluations)
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
        let (component, count) = window_sums(m, c, &w, nodes, |weight, y| {
            let st = node_state(m, y);
            let s_n = prof.held.map(|k| score(m, &st, k));
            let dot = |p: [f32; 3]| p[0] * s_n[0] + p[1] * s_n[1] + p[2] * s_n[2];
            let r = [
                score(m, &st, slice[0]) - dot(prof.p_a),
                score(m, &st, slice[1]) - dot(prof.p_b),
            ];
            let q = mat_vec(basis, r);
            [q[0] * q[0], q[0] * q[1], q[1] * q[1]].map(|v| weight * v)
        });
        out.nodes += count;
        for (sum, part) in out.sums.iter_mut().zip(component) {
            *sum += m.weight[c] * part;
        }
    }
    out
}
