//! The general kernel's union pass (`cpu::general::union_pass`, the shader's `union_pass`) in
//! vector lanes: the panels are those the scalar mirror walks (the same edges,
//! [`crate::cpu::general::UnionWindow::panels`]), and every lane evaluates one node — the
//! model's node state, the target's density, the two slice scores and the nine weighted sums
//! (`node_terms`) — with the mirror's formulas and selects, so no lane diverges.
//!
//! Shortcuts, each decided once for a block of lanes ([`BlockChoices`]) and tested against the
//! full path: without L, a component the target shares with the model is taken from the
//! model's ([`SharedComponent`]), and otherwise the target's density is the sum of its two
//! weighted components, which saves exponentials the mirror takes; the weight's score takes
//! its factor 1 − e^{−u} beyond u = 2 from the responsibilities' e^{−|ℓ|}
//! ([`one_minus_exp_phi`]) where the mirror's `weight_score` forms r1/π − r2/(1 − π) (neither
//! takes an exponential of its own since issue 21's twelfth session). On (π, μ1) a node takes
//! three exponentials instead of the mirror's four.
//!
//! Two ways to fill the lanes:
//! - [`union_pass`]: one point at a time, a panel's nodes in the lanes (16 nodes at Q = 64:
//!   one AVX-512 vector, two AVX2 ones; smaller rules pad the last vector and mask its padding
//!   lanes out). The points' path uses it.
//! - [`union_pass_lanes`]: one cell or particle per lane, each lane walking its own panels
//!   (the panel walk, scalar in the first way, becomes vector compares too). The grid and the
//!   particles use it (`general_paths`).
//!
//! The rest of a cell (the rare refinement pass where F's determinant cancels, the
//! eigen-decomposition, the natural gradient) is the scalar mirror's own code
//! ([`crate::cpu::general::grid_cell_from`]).

use super::kernel::{exp, log_ratio_1p, tanh_pade};
use super::vector::{F32x, LaneArray, MAX_LANES};
use crate::cpu::general::{
    Mixture, NO_SPLIT, UNION_ALL, UNION_EF, UNION_FISHER, UNION_LOSS, UNION_MAX_PANELS,
    UNION_YIELD, UnionSums, union_target_switches, union_window,
};

/// Most vectors of nodes a panel may hold: the largest rule (`MAX_NODES` / 2 = 256 nodes per
/// panel) in 8 lanes.
const MAX_NODE_VECTORS: usize = 32;

/// A vector whose lane k is `f(&items[k])`.
#[inline(always)]
unsafe fn lane_vector<V: F32x, T>(items: &[T; MAX_LANES], f: impl Fn(&T) -> f32) -> V {
    let mut values: LaneArray = [0.0; MAX_LANES];
    for (value, item) in values.iter_mut().zip(items) {
        *value = f(item);
    }
    unsafe { V::load(&values) }
}

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
    /// π/(1 − π) and its inverse: e^{±logit π}, for [`one_minus_exp_phi`].
    odds: [V; 2],
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
                odds: [s(m.weight[0] / m.weight[1]), s(m.weight[1] / m.weight[0])],
            }
        }
    }

    /// One mixture per lane (lane k from `ms[k]`).
    #[inline(always)]
    unsafe fn gather(ms: &[Mixture; MAX_LANES]) -> Self {
        unsafe {
            MixtureLanes {
                mean: [
                    lane_vector(ms, |m| m.mean[0]),
                    lane_vector(ms, |m| m.mean[1]),
                ],
                inv_sigma: [
                    lane_vector(ms, |m| m.inv_sigma[0]),
                    lane_vector(ms, |m| m.inv_sigma[1]),
                ],
                sigma0: lane_vector(ms, |m| m.sigma[0]),
                sigma_diff: lane_vector(ms, |m| m.sigma[0] - m.sigma[1]),
                abs_sigma_diff: lane_vector(ms, |m| (m.sigma[0] - m.sigma[1]).abs()),
                mean_diff: lane_vector(ms, |m| m.mean[0] - m.mean[1]),
                abs_mean_diff: lane_vector(ms, |m| (m.mean[0] - m.mean[1]).abs()),
                inv_product: lane_vector(ms, |m| m.inv_sigma[0] * m.inv_sigma[1]),
                log_sigma_ratio: lane_vector(ms, |m| m.log_sigma_ratio),
                logit_w: lane_vector(ms, |m| m.logit_w),
                log_norm: [
                    lane_vector(ms, |m| m.log_norm[0]),
                    lane_vector(ms, |m| m.log_norm[1]),
                ],
                inv_weight: [
                    lane_vector(ms, |m| 1.0 / m.weight[0]),
                    lane_vector(ms, |m| 1.0 / m.weight[1]),
                ],
                odds: [
                    lane_vector(ms, |m| m.weight[0] / m.weight[1]),
                    lane_vector(ms, |m| m.weight[1] / m.weight[0]),
                ],
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

/// Weights whose logit is beyond this many e-folds (π = 0 or 1, whose logit is saturated)
/// make e^{−|ℓ|} underflow where e^{−|ln φ1/φ2|} does not: [`one_minus_exp_phi`] then takes
/// its own exponential.
const OWN_EXP_LOGIT: f32 = 60.0;

/// Whether [`one_minus_exp_phi`] must take its own exponential for any of these mixtures.
fn weight_score_needs_own_exp<'a>(mixtures: impl IntoIterator<Item = &'a Mixture>) -> bool {
    mixtures
        .into_iter()
        .any(|m| m.logit_w.is_nan() || m.logit_w.abs() > OWN_EXP_LOGIT)
}

/// A component the target shares with the model in every lane of a block: the same mean
/// and width (a slice that leaves them alone, such as (π, μ1)'s second component), both
/// weights inside (0, 1). Its weighted density in the target is the model's times
/// `scale` = w_c*/w_c, so the target's density costs one exponential instead of two.
#[derive(Clone, Copy)]
struct SharedComponent<V> {
    index: usize,
    scale: V,
}

/// What a block of lanes decides once for all its nodes (uniform, so no lane diverges).
#[derive(Clone, Copy)]
struct BlockChoices<V> {
    /// See [`one_minus_exp_phi`].
    own_exp: bool,
    /// See [`SharedComponent`].
    shared: Option<SharedComponent<V>>,
    /// Every held lane's target has both weights inside (0, 1), so its density is the sum of
    /// its two weighted components (on the boundary their `log_norm`s are unweighted).
    target_interior: bool,
}

/// The (model, target) pairs of the first `lanes` lanes that hold one (`valid`).
fn held_pairs<'a>(
    models: &'a [Mixture; MAX_LANES],
    targets: &'a [Mixture; MAX_LANES],
    valid: &'a [bool; MAX_LANES],
    lanes: usize,
) -> impl Iterator<Item = (&'a Mixture, &'a Mixture)> {
    models
        .iter()
        .zip(targets)
        .zip(valid)
        .take(lanes)
        .filter(|(_, valid)| **valid)
        .map(|(pair, _)| pair)
}

/// The component every held lane's target shares with its model ([`SharedComponent`]), if any.
fn shared_component(
    models: &[Mixture; MAX_LANES],
    targets: &[Mixture; MAX_LANES],
    valid: &[bool; MAX_LANES],
    lanes: usize,
) -> Option<usize> {
    (0..2).find(|&c| {
        held_pairs(models, targets, valid, lanes).all(|(m, t)| {
            !m.boundary && !t.boundary && m.mean[c] == t.mean[c] && m.sigma[c] == t.sigma[c]
        })
    })
}

impl<V: F32x> BlockChoices<V> {
    /// The choices for lanes holding these (model, target) pairs; lanes beyond `V::LANES` or
    /// not `valid` hold nothing and do not count.
    #[inline(always)]
    unsafe fn for_lanes(
        models: &[Mixture; MAX_LANES],
        targets: &[Mixture; MAX_LANES],
        valid: &[bool; MAX_LANES],
    ) -> Self {
        let own_exp = weight_score_needs_own_exp(
            held_pairs(models, targets, valid, V::LANES).map(|(m, _)| m),
        );
        let shared = shared_component(models, targets, valid, V::LANES).map(|index| {
            // Lanes that hold nothing get 1: their sums are dropped.
            let mut scale: LaneArray = [1.0; MAX_LANES];
            for (k, (m, t)) in models.iter().zip(targets).enumerate().take(V::LANES) {
                if valid[k] {
                    scale[k] = t.weight[index] / m.weight[index];
                }
            }
            SharedComponent {
                index,
                scale: unsafe { V::load(&scale) },
            }
        });
        let target_interior =
            held_pairs(models, targets, valid, V::LANES).all(|(_, t)| !t.boundary);
        BlockChoices {
            own_exp,
            shared,
            target_interior,
        }
    }
}

/// 1 − e^{−u}, u = |ln φ1/φ2|, the factor of the weight's score. For u ≤ 2 it is 2t/(1 + t)
/// with t = tanh(u/2) from the Padé approximant, folded into one division, as the mirror's
/// `weight_score` takes it. Beyond, 1 − e^{−u} without cancellation, where e^{−u} comes
/// from the responsibilities' e^{−|ℓ|} (ℓ = ln φ1/φ2 + logit π): q = e^{−|ℓ|}·(π/(1 − π))^{±1}
/// is e^{−u} where ℓ and ln φ1/φ2 share their sign (q ≤ 1) and e^{u} where they do not, so
/// 1 − e^{−u} = |1 − q| / max(q, 1) and the node saves an exponential. Where a lane's weight
/// is saturated (`own_exp`, the block's choice: [`weight_score_needs_own_exp`]) e^{−|ℓ|}
/// underflows and e^{−u} is taken directly.
#[inline(always)]
unsafe fn one_minus_exp_phi<V: F32x>(
    m: &MixtureLanes<V>,
    log_phi: V,
    log_ratio: V,
    tail: V,
    own_exp: bool,
) -> V {
    unsafe {
        let one = V::splat(1.0);
        let u = log_phi.abs();
        let a = V::splat(0.5) * u;
        let (num, den) = tanh_pade(a);
        let (far_numerator, far_denominator) = if own_exp {
            (one - exp(V::zero() - u), one)
        } else {
            let q = tail * V::select(V::zero().le(log_ratio), m.odds[0], m.odds[1]);
            ((one - q).abs(), q.max(one))
        };
        let near = a.le(one);
        let numerator = V::select(near, (a + a) * num, far_numerator);
        // Both denominators are ≥ 1 (135135 + … or max(q, 1)).
        let denominator = V::select(near, a.fmadd(num, den), far_denominator);
        numerator * denominator.recip()
    }
}

/// ∂ log p/∂ψ_k at the lanes' nodes (`cpu::general::score`); `weight_factor` is
/// [`one_minus_exp_phi`], read by the weight's score only.
#[inline(always)]
unsafe fn score<V: F32x>(
    m: &MixtureLanes<V>,
    k: u32,
    r: [V; 2],
    z: [V; 2],
    log_phi: V,
    weight_factor: V,
) -> V {
    unsafe {
        let one = V::splat(1.0);
        match k {
            0 => {
                // (r_c/w_c)·(1 − e^{−|ln φ1/φ2|}), signed by which component's φ is larger.
                let first = r[0] * m.inv_weight[0] * weight_factor;
                let second = V::zero() - r[1] * m.inv_weight[1] * weight_factor;
                V::select(V::zero().le(log_phi), first, second)
            }
            1 => r[0] * z[0] * m.inv_sigma[0],
            2 => r[1] * z[1] * m.inv_sigma[1],
            3 => r[0] * z[0].fmadd(z[0], V::zero() - one) * m.inv_sigma[0],
            _ => r[1] * z[1].fmadd(z[1], V::zero() - one) * m.inv_sigma[1],
        }
    }
}

/// The union pass's integrand at one node per lane: its nine terms as factor pairs a·b, in
/// [`UnionSums`]' order (F's three, the target's three, the EF's three), the weight first and
/// then each score (s² can overflow where the weight is 0). Of `sums` (the `UNION_*` bits) F's
/// terms are zeros without `UNION_FISHER` and the loss's without `UNION_LOSS` (its logarithm is
/// not taken); the EF's are cheap products, formed always (the caller may skip adding them).
/// Without the loss, a component the target shares with the model ([`SharedComponent`]) is
/// taken from the model's, and otherwise (a target inside its weights) the target's density is
/// the sum of its two weighted components.
#[inline(always)]
unsafe fn node_terms<V: F32x>(
    model: &MixtureLanes<V>,
    target: &MixtureLanes<V>,
    slice: [u32; 2],
    y: V,
    weight: V,
    sums: u32,
    choices: BlockChoices<V>,
) -> [(V, V); 9] {
    unsafe {
        let zero = V::zero();
        let one = V::splat(1.0);
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
        let fisher = sums & UNION_FISHER != 0;
        let shared = choices.shared.filter(|_| sums & UNION_LOSS == 0);
        // e^{top}, the larger weighted component's density: F's and a shared component's.
        let top_density = if fisher || shared.is_some() {
            exp(top)
        } else {
            zero
        };

        // The target's density (`node_density`), and ln(p*/p) where the loss is wanted.
        let (wt, log_difference) = if let Some(SharedComponent { index, scale }) = shared {
            // w_c·φ_c of the model is e^{top} or e^{top}·e^{−|ℓ|}, whichever ℓ's sign says.
            let smaller = top_density * tail;
            let component = if index == 0 {
                V::select(first_larger, top_density, smaller)
            } else {
                V::select(first_larger, smaller, top_density)
            };
            let other = 1 - index;
            let z_other = (y - target.mean[other]) * target.inv_sigma[other];
            let log_other = (V::splat(-0.5) * z_other).fmadd(z_other, target.log_norm[other]);
            (weight * scale.fmadd(component, exp(log_other)), zero)
        } else if sums & UNION_LOSS == 0 && choices.target_interior {
            // Without L, p* = w1·φ1* + w2·φ2*, an exponential each: as many as
            // e^{top*}·(1 + e^{−|ℓ*|}) takes, without ℓ*'s careful difference (which only
            // ln p* needs) or the choice of the larger component.
            let half = V::splat(-0.5);
            let z0 = (y - target.mean[0]) * target.inv_sigma[0];
            let z1 = (y - target.mean[1]) * target.inv_sigma[1];
            let e0 = exp((half * z0).fmadd(z0, target.log_norm[0]));
            let e1 = exp((half * z1).fmadd(z1, target.log_norm[1]));
            (weight * (e0 + e1), zero)
        } else {
            let (zt, _, log_ratio_t) = target.z_and_log_ratio(y);
            let top_t = target.top(zt, log_ratio_t);
            let tail_t = exp(zero - log_ratio_t.abs());
            let wt = weight * exp(top_t) * (one + tail_t);
            let log_difference = if sums & UNION_LOSS != 0 {
                (top_t - top) + log_ratio_1p(tail_t, tail)
            } else {
                zero
            };
            (wt, log_difference)
        };
        let weight_factor = if slice.contains(&0) {
            one_minus_exp_phi(model, log_phi, log_ratio, tail, choices.own_exp)
        } else {
            zero
        };
        let sa = score(model, slice[0], r, z, log_phi, weight_factor);
        let sb = score(model, slice[1], r, z, log_phi, weight_factor);
        let (wpa, wpb) = if fisher {
            let wp = weight * top_density * (one + tail);
            (wp * sa, wp * sb)
        } else {
            (zero, zero)
        };
        let (wta, wtb) = (wt * sa, wt * sb);
        [
            (wpa, sa),
            (wpa, sb),
            (wpb, sb),
            (wt, sa),
            (wt, sb),
            (wt, log_difference),
            (wta, sa),
            (wta, sb),
            (wtb, sb),
        ]
    }
}

/// What [`union_pass_lanes`]' panels share: the block's mixtures, slice, rule and choices.
struct Lanes<'a, V> {
    model: &'a MixtureLanes<V>,
    target: &'a MixtureLanes<V>,
    slice: [u32; 2],
    nodes: &'a [[f32; 2]],
    choices: BlockChoices<V>,
}

impl<V: F32x> Lanes<'_, V> {
    /// One panel's nine sums (`UnionSums`' order) at the lanes' (middle ± half width) panels,
    /// of the `SUMS` wanted (the others stay 0; the target's ∇L sums are always formed).
    #[inline(always)]
    unsafe fn panel<const SUMS: u32>(&self, half_width: V, middle: V) -> [V; 9] {
        unsafe {
            let (fisher, loss, ef) = (
                SUMS & UNION_FISHER != 0,
                SUMS & UNION_LOSS != 0,
                SUMS & UNION_EF != 0,
            );
            let added = [fisher, fisher, fisher, true, true, loss, ef, ef, ef];
            let mut panel = [V::zero(); 9];
            for node in self.nodes {
                let y = half_width.fmadd(V::splat(node[0]), middle);
                let weight = half_width * V::splat(node[1]);
                let terms = node_terms(
                    self.model,
                    self.target,
                    self.slice,
                    y,
                    weight,
                    SUMS,
                    self.choices,
                );
                for ((sum, (a, b)), &add) in panel.iter_mut().zip(terms).zip(&added) {
                    if add {
                        *sum = a.fmadd(b, *sum);
                    }
                }
            }
            panel
        }
    }
}

/// `cpu::general::union_pass` with the nodes of each panel in the lanes (module docs); `sums`
/// as there (the EF is always formed).
#[inline(always)]
pub unsafe fn union_pass<V: F32x>(
    m: &Mixture,
    target_mix: &Mixture,
    slice: [u32; 2],
    t: f32,
    nodes: &[[f32; 2]],
    sums: u32,
) -> UnionSums {
    unsafe {
        let model = MixtureLanes::<V>::new(m);
        let target = MixtureLanes::<V>::new(target_mix);
        let zero = V::zero();
        let mut fisher = [zero; 3];
        let mut target_sums = [zero; 3];
        let mut ef = [zero; 3];
        let mut evaluations = 0u32;
        // The rule's nodes as vectors (abscissas, weights), loaded once per cell; padding
        // lanes are nodes at the panel's middle with weight 0.
        let vectors = nodes.len().div_ceil(V::LANES);
        if vectors > MAX_NODE_VECTORS {
            // Beyond any rule the viewer or the benchmark uses: the mirror's pass.
            return crate::cpu::general::union_pass(m, target_mix, slice, t, nodes, sums);
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
        let choices = BlockChoices::<V>::for_lanes(
            &std::array::from_fn(|_| *m),
            &std::array::from_fn(|_| *target_mix),
            &[true; MAX_LANES],
        );
        let with_fisher = sums & UNION_FISHER != 0;
        let wanted = sums | UNION_EF;
        let w = union_window(m, target_mix, t, union_target_switches(sums));
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
                let terms = node_terms(&model, &target, slice, y, weight, wanted, choices);
                for k in 0..3 {
                    if with_fisher {
                        fisher[k] = add(fisher[k], terms[k].0, terms[k].1);
                    }
                    target_sums[k] = add(target_sums[k], terms[3 + k].0, terms[3 + k].1);
                    ef[k] = add(ef[k], terms[6 + k].0, terms[6 + k].1);
                }
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

/// The union pass of `V::LANES` cells at once, one cell per lane (the grid's SIMD path,
/// `general_grid_into_at`): every lane walks its own cell's panels — the edges of
/// [`crate::cpu::general::union_next`], found for all lanes at once with vector compares over
/// the candidates — and evaluates the same node of its current panel, so the lanes run the same
/// instructions and a lane whose walk has ended, or that holds no cell (`valid` false), adds
/// nothing. Panel sums are added to the cell's sums as the mirror adds them. `t` is each
/// cell's truncation (`truncation_sigmas` of the smaller weight of both mixtures).
#[inline(always)]
pub unsafe fn union_pass_lanes<V: F32x>(
    models: &[Mixture; MAX_LANES],
    targets: &[Mixture; MAX_LANES],
    t: &LaneArray,
    valid: &[bool; MAX_LANES],
    slice: [u32; 2],
    nodes: &[[f32; 2]],
    sums_wanted: u32,
) -> [UnionSums; MAX_LANES] {
    unsafe {
        let zero = V::zero();
        let one = V::splat(1.0);
        let none = V::splat(NO_SPLIT);
        let model = MixtureLanes::<V>::gather(models);
        let target = MixtureLanes::<V>::gather(targets);
        // Each lane's window, transposed into one array per quantity and loaded as vectors
        // (in this function's body, not in closures, so the loads are the level's
        // instructions inline). A lane without a cell has lo = hi = 0: no panel.
        // The slots `union_splits` fills.
        const SWITCH_SLOTS: [usize; 7] = [0, 1, 2, 4, 5, 6, 7];
        let mut ends: [LaneArray; 3] = [[0.0; MAX_LANES]; 3]; // lo, hi, merge
        let mut edges: [LaneArray; 26] = [[NO_SPLIT; MAX_LANES]; 26]; // components, switches
        for k in 0..V::LANES {
            if !valid[k] {
                continue;
            }
            let w = union_window(
                &models[k],
                &targets[k],
                t[k],
                union_target_switches(sums_wanted),
            );
            (ends[0][k], ends[1][k], ends[2][k]) = (w.lo, w.hi, w.merge);
            for (i, &c) in w.components.iter().enumerate() {
                edges[i][k] = c;
            }
            for (i, &slot) in SWITCH_SLOTS.iter().enumerate() {
                edges[12 + i][k] = w.model_splits[slot];
                edges[19 + i][k] = w.target_splits[slot];
            }
        }
        let mut start = V::load(&ends[0]);
        let hi = V::load(&ends[1]);
        let merge = V::load(&ends[2]);
        let yield_distance = merge * V::splat(UNION_YIELD);
        let mut components = [zero; 12];
        for (vector, lanes) in components.iter_mut().zip(&edges[..12]) {
            *vector = V::load(lanes);
        }
        let mut switches = [zero; 14];
        for (vector, lanes) in switches.iter_mut().zip(&edges[12..]) {
            *vector = V::load(lanes);
        }
        let choices = BlockChoices::<V>::for_lanes(models, targets, valid);
        let lanes = Lanes {
            model: &model,
            target: &target,
            slice,
            nodes,
            choices,
        };
        let mut sums = [zero; 9];
        let mut panels = zero;
        for _ in 0..UNION_MAX_PANELS {
            let active = start.lt(hi);
            let on = V::select(active, one, zero);
            if on.to_array()[..V::LANES].iter().all(|&x| x == 0.0) {
                break;
            }
            // `union_next` per lane: the nearest component edge beyond the merge distance and
            // the nearest switch split, a component edge just below a split yielding to it.
            let beyond = start + merge;
            let mut component = none;
            for &c in &components {
                component = component.min(V::select(beyond.lt(c), c, none));
            }
            let mut switch = none;
            for &c in &switches {
                switch = switch.min(V::select(start.lt(c), c, none));
            }
            let yields = (switch - component).lt(yield_distance);
            let component = V::select(yields, switch, component);
            let end = hi.min(component.min(switch));
            let half_width = V::splat(0.5) * (end - start);
            let middle = V::splat(0.5) * (end + start);
            // The sums wanted as a constant, so each variant's node loop forms only its terms
            // and keeps its sums in registers.
            let panel = match sums_wanted & UNION_ALL {
                0 => lanes.panel::<0>(half_width, middle),
                1 => lanes.panel::<1>(half_width, middle),
                2 => lanes.panel::<2>(half_width, middle),
                3 => lanes.panel::<3>(half_width, middle),
                4 => lanes.panel::<4>(half_width, middle),
                5 => lanes.panel::<5>(half_width, middle),
                6 => lanes.panel::<6>(half_width, middle),
                _ => lanes.panel::<7>(half_width, middle),
            };
            // A panel's sums are masked once, at its end: a lane whose walk has ended adds
            // nothing, whatever (even NaN) its nodes gave.
            for (sum, p) in sums.iter_mut().zip(panel) {
                *sum = *sum + p.keep(active);
            }
            panels = panels + on;
            start = V::select(active, end, start);
        }
        let sums = sums.map(V::to_array);
        let panels = panels.to_array();
        std::array::from_fn(|k| UnionSums {
            fisher: [sums[0][k], sums[1][k], sums[2][k]],
            target_sums: [sums[3][k], sums[4][k], sums[5][k]],
            ef: [sums[6][k], sums[7][k], sums[8][k]],
            nodes: panels[k] as u32 * nodes.len() as u32,
        })
    }
}

#[cfg(test)]
#[path = "general_tests.rs"]
mod tests;
