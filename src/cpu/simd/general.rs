//! The general kernel's union pass (`cpu::general::union_pass`, the shader's `union_pass`) with
//! the nodes of each panel in the vector lanes: the panels are walked exactly as the scalar
//! mirror walks them (the same edges, [`UnionWindow::panels`]), and within a panel every lane
//! evaluates one node — the model's node state, the target's density, the two slice scores and
//! the nine weighted sums — with the same formulas and selects, so no lane diverges.
//!
//! Vectorising over nodes rather than cells keeps every cell's walk of its own windows scalar
//! and exact (cells on a general slice differ in their panel counts), and each panel holds
//! 16 nodes at Q = 64 (one AVX-512 vector, two AVX2 ones; smaller rules pad the last vector
//! and mask its padding lanes out). The rest of a cell (the rare
//! refinement pass where F's determinant cancels, the eigen-decomposition, the natural
//! gradient) is the scalar mirror's own code ([`crate::cpu::general::grid_cell_using`]).

use super::kernel::{exp, log_ratio_1p, tanh_from_exp};
use super::vector::{F32x, LaneArray, MAX_LANES};
use crate::cpu::general::{Mixture, UnionSums, union_window};

/// Most vectors of nodes a panel may hold: the largest rule (`MAX_NODES` / 2 = 256 nodes per
/// panel) in 8 lanes.
const MAX_NODE_VECTORS: usize = 32;

/// A mixture's per-cell constants, splatted.
struct MixtureLanes<V> {
    mean: [V; 2],
    inv_sigma: [V; 2],
    sigma0: V,
    sigma_diff: V,
    abs_sigma_diff: V,
    mean_diff: V,
    abs_mean_diff: V,
    inv_product: V,
    log_sigma_ratio: V,
    logit_w: V,
    log_norm: [V; 2],
    inv_weight: [V; 2],
}

impl<V: F32x> MixtureLanes<V> {
    #[inline(always)]
    unsafe fn new(m: &Mixture) -> Self {
        unsafe {
            let s = V::splat;
            let sigma_diff = m.sigma[0] - m.sigma[1];
            let mean_diff = m.mean[0] - m.mean[1];
            MixtureLanes {
                mean: [s(m.mean[0]), s(m.mean[1])],
                inv_sigma: [s(m.inv_sigma[0]), s(m.inv_sigma[1])],
                sigma0: s(m.sigma[0]),
                sigma_diff: s(sigma_diff),
                abs_sigma_diff: s(sigma_diff.abs()),
                mean_diff: s(mean_diff),
                abs_mean_diff: s(mean_diff.abs()),
                inv_product: s(m.inv_sigma[0] * m.inv_sigma[1]),
                log_sigma_ratio: s(m.log_sigma_ratio),
                logit_w: s(m.logit_w),
                log_norm: [s(m.log_norm[0]), s(m.log_norm[1])],
                inv_weight: [s(1.0 / m.weight[0]), s(1.0 / m.weight[1])],
            }
        }
    }

    /// Standardized positions z and ℓ = ln(πφ1/((1 − π)φ2)) at y (`node_state`'s first half,
    /// `log_phi_ratio` with its choice of the less-rounded difference as a select).
    #[inline(always)]
    unsafe fn z_and_log_ratio(&self, y: V) -> ([V; 2], V, V) {
        unsafe {
            let z0 = (y - self.mean[0]) * self.inv_sigma[0];
            let z1 = (y - self.mean[1]) * self.inv_sigma[1];
            let direct = z1 - z0;
            let formula = self
                .sigma_diff
                .fmadd(z0 * self.sigma0, self.sigma0 * self.mean_diff)
                * self.inv_product;
            let direct_error = z0.abs() + z1.abs();
            let formula_error =
                self.abs_sigma_diff.fmadd(z0.abs(), self.abs_mean_diff) * self.inv_sigma[1];
            let difference = V::select(formula_error.lt(direct_error), formula, direct);
            let log_phi = (V::splat(0.5) * difference).fmadd(z0 + z1, self.log_sigma_ratio);
            ([z0, z1], log_phi, log_phi + self.logit_w)
        }
    }

    /// The larger weighted log-density, picked by ℓ's sign (`node_top_log_density`).
    #[inline(always)]
    unsafe fn top(&self, z: [V; 2], log_ratio: V) -> V {
        unsafe {
            let half = V::splat(-0.5);
            let e1 = (half * z[0]).fmadd(z[0], self.log_norm[0]);
            let e2 = (half * z[1]).fmadd(z[1], self.log_norm[1]);
            V::select(V::zero().le(log_ratio), e1, e2)
        }
    }
}

/// ∂ log p/∂ψ_k at the lanes' nodes (`cpu::general::score`).
#[inline(always)]
unsafe fn score<V: F32x>(m: &MixtureLanes<V>, k: u32, r: [V; 2], z: [V; 2], log_phi: V) -> V {
    unsafe {
        let one = V::splat(1.0);
        match k {
            0 => {
                // (r_c/w_c)·(1 − e^{−|ln φ1/φ2|}), signed by which component's φ is larger;
                // 1 − e^{−u} = 2t/(1 + t), t = tanh(u/2) (`one_minus_exp`).
                let u = log_phi.abs();
                let t = tanh_from_exp(V::splat(0.5) * u, exp(V::zero() - u));
                let ome = (t + t) * (one + t).recip();
                let first = r[0] * m.inv_weight[0] * ome;
                let second = V::zero() - r[1] * m.inv_weight[1] * ome;
                V::select(V::zero().le(log_phi), first, second)
            }
            1 => r[0] * z[0] * m.inv_sigma[0],
            2 => r[1] * z[1] * m.inv_sigma[1],
            3 => r[0] * z[0].fmadd(z[0], V::zero() - one) * m.inv_sigma[0],
            _ => r[1] * z[1].fmadd(z[1], V::zero() - one) * m.inv_sigma[1],
        }
    }
}

/// `cpu::general::union_pass` with the nodes of each panel in the lanes (module docs).
#[inline(always)]
pub unsafe fn union_pass<V: F32x>(
    m: &Mixture,
    target_mix: &Mixture,
    slice: [u32; 2],
    t: f32,
    nodes: &[[f32; 2]],
    with_fisher: bool,
) -> UnionSums {
    unsafe {
        let model = MixtureLanes::<V>::new(m);
        let target = MixtureLanes::<V>::new(target_mix);
        let zero = V::zero();
        let one = V::splat(1.0);
        let mut fisher = [zero; 3];
        let mut target_sums = [zero; 3];
        let mut ef = [zero; 3];
        let mut evaluations = 0u32;
        // The rule's nodes as vectors (abscissas, weights), loaded once per cell; padding
        // lanes are nodes at the panel's middle with weight 0.
        let vectors = nodes.len().div_ceil(V::LANES);
        if vectors > MAX_NODE_VECTORS {
            // Beyond any rule the viewer or the benchmark uses: the mirror's pass.
            return crate::cpu::general::union_pass(m, target_mix, slice, t, nodes, with_fisher);
        }
        let mut node_vectors = [(zero, zero); MAX_NODE_VECTORS];
        for (slot, chunk) in node_vectors.iter_mut().zip(nodes.chunks(V::LANES)) {
            let mut xs: LaneArray = [0.0; MAX_LANES];
            let mut ws: LaneArray = [0.0; MAX_LANES];
            for (k, node) in chunk.iter().enumerate() {
                xs[k] = node[0];
                ws[k] = node[1];
            }
            *slot = (V::load(&xs), V::load(&ws));
        }
        // The real lanes of the last vector (all of them when the rule fills it): padding
        // lanes' terms are dropped by a mask, not only weighed by 0 (0·∞ would be NaN).
        let last_real = nodes.len() - (vectors - 1) * V::LANES;
        let lane_index: LaneArray = std::array::from_fn(|k| k as f32);
        let last_mask = V::load(&lane_index).lt(V::splat(last_real as f32));
        let padded = last_real < V::LANES;
        let w = union_window(m, target_mix, t);
        for (lo, hi) in w.panels() {
            let half_width = V::splat(0.5 * (hi - lo));
            let middle = V::splat(0.5 * (hi + lo));
            for (index, &(xs, ws)) in node_vectors[..vectors].iter().enumerate() {
                let y = half_width.fmadd(xs, middle);
                let weight = half_width * ws;
                let masked = padded && index + 1 == vectors;
                // sum + a·b, fused; in a padded vector only the real lanes' products are added.
                let add = |sum: V, a: V, b: V| {
                    if masked {
                        sum + (a * b).keep(last_mask)
                    } else {
                        a.fmadd(b, sum)
                    }
                };

                // The model: z, ℓ, e^{−|ℓ|}, responsibilities (`node_state`).
                let (z, log_phi, log_ratio) = model.z_and_log_ratio(y);
                let tail = exp(zero - log_ratio.abs());
                let near = (one + tail).recip();
                let far = tail * near;
                let first_larger = zero.le(log_ratio);
                let r = [
                    V::select(first_larger, near, far),
                    V::select(first_larger, far, near),
                ];
                let top = model.top(z, log_ratio);

                // The target's density (`node_density`).
                let (zt, _, log_ratio_t) = target.z_and_log_ratio(y);
                let top_t = target.top(zt, log_ratio_t);
                let tail_t = exp(zero - log_ratio_t.abs());

                let wt = weight * exp(top_t) * (one + tail_t);
                let log_difference = (top_t - top) + log_ratio_1p(tail_t, tail);
                let sa = score(&model, slice[0], r, z, log_phi);
                let sb = score(&model, slice[1], r, z, log_phi);
                // Weight first, then each score (s² can overflow where the weight is 0).
                if with_fisher {
                    let wp = weight * exp(top) * (one + tail);
                    let (wpa, wpb) = (wp * sa, wp * sb);
                    fisher[0] = add(fisher[0], wpa, sa);
                    fisher[1] = add(fisher[1], wpa, sb);
                    fisher[2] = add(fisher[2], wpb, sb);
                }
                let (wta, wtb) = (wt * sa, wt * sb);
                target_sums[0] = add(target_sums[0], wt, sa);
                target_sums[1] = add(target_sums[1], wt, sb);
                target_sums[2] = add(target_sums[2], wt, log_difference);
                ef[0] = add(ef[0], wta, sa);
                ef[1] = add(ef[1], wta, sb);
                ef[2] = add(ef[2], wtb, sb);
            }
            evaluations += nodes.len() as u32;
        }
        UnionSums {
            fisher: fisher.map(V::sum),
            target_sums: target_sums.map(V::sum),
            ef: ef.map(V::sum),
            nodes: evaluations,
        }
    }
}
