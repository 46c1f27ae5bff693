//! f32 mirror of `shaders/common/gmm.wgsl`: the quadrature, the rotated scores, F, ∇L and L at
//! one θ. Same names and constants as the shader; the 2×2 algebra is the generic
//! [`crate::math::sym2`] (mirror of `shaders/common/sym2.wgsl`).

/// Half-width of the truncated integration interval, in units of σ.
pub const TRUNCATION_SIGMAS: f32 = 8.0;
/// 1/√(2π).
pub const INV_SQRT_2PI: f32 = 0.398_942_3;
/// 1/√2.
pub const INV_SQRT2: f32 = std::f32::consts::FRAC_1_SQRT_2;

/// tanh with full relative precision near 0 (Padé on |a| ≤ 1, e^{−2|a|} form beyond).
#[inline]
pub fn stable_tanh(a: f32) -> f32 {
    let m = a.abs();
    if m <= 1.0 {
        let a2 = a * a;
        let num = 135135.0 + a2 * (17325.0 + a2 * (378.0 + a2));
        let den = 135135.0 + a2 * (62370.0 + a2 * (3150.0 + 28.0 * a2));
        return a * num / den;
    }
    let e = (-2.0 * m).exp();
    a.signum() * (1.0 - e) / (1.0 + e)
}

/// θ in the y frame (positions relative to m̄ = (μ1 + μ2)/2).
#[derive(Clone, Copy, Debug)]
pub struct Theta {
    /// Δ/2 = (μ1 − μ2)/2.
    pub half_delta: f32,
    /// σ.
    pub sigma: f32,
    /// 1/(2σ²).
    pub inv_two_sigma_sq: f32,
}

/// θ = `mu` with standard deviation `sigma`, in the y frame.
pub fn make_theta(mu: [f32; 2], sigma: f32) -> Theta {
    theta_from_half_delta(0.5 * (mu[0] - mu[1]), sigma)
}

/// The same from Δ/2 alone (the field's floating origin forms Δ from Δ₀ and a small offset).
pub fn theta_from_half_delta(half_delta: f32, sigma: f32) -> Theta {
    Theta {
        half_delta,
        sigma,
        inv_two_sigma_sq: 0.5 / (sigma * sigma),
    }
}

/// tanh(a) from e = exp(−2|a|) (`tanh_from_exp` in the shader): Padé on |a| ≤ 1, (1 − e)/(1 + e)
/// beyond, selected without a branch and with one division.
#[inline]
pub fn tanh_from_exp(a: f32, e: f32) -> f32 {
    let a2 = a * a;
    let num = 135135.0 + a2 * (17325.0 + a2 * (378.0 + a2));
    let den = 135135.0 + a2 * (62370.0 + a2 * (3150.0 + 28.0 * a2));
    let near = a.abs() <= 1.0;
    // Beyond the Padé range |a| > 1, so a's sign is never 0 (WGSL's `sign` and `signum` agree).
    let numerator = if near {
        a * num
    } else {
        a.signum() * (1.0 - e)
    };
    let denominator = if near { den } else { 1.0 + e };
    numerator / denominator
}

/// log((1 + p)/(1 + q)) for p, q ∈ [0, 1]: 2·atanh(z), z = (p − q)/(2 + p + q), |z| ≤ 1/3, by
/// its odd series through z¹³ (truncation < 1.5e-8 relative).
#[inline]
pub fn log_ratio_1p(p: f32, q: f32) -> f32 {
    let z = (p - q) / (2.0 + p + q);
    let z2 = z * z;
    let series = 1.0
        + z2 * (1.0 / 3.0
            + z2 * (1.0 / 5.0
                + z2 * (1.0 / 7.0 + z2 * (1.0 / 9.0 + z2 * (1.0 / 11.0 + z2 * (1.0 / 13.0))))));
    2.0 * z * series
}

/// The model's switch at y: (a, e) = (Δy/(2σ²), exp(−2|a|)).
#[inline]
pub fn model_switch(th: &Theta, y: f32) -> (f32, f32) {
    let a = 2.0 * th.half_delta * y * th.inv_two_sigma_sq;
    (a, (-2.0 * a.abs()).exp())
}

/// (U, V) = σ²√2·(u, v): U = y − (Δ/2)d, V = y·d − Δ/2, d = tanh(a), given the switch (a, e).
#[inline]
pub fn rotated_scores_from(th: &Theta, y: f32, a: f32, e: f32) -> [f32; 2] {
    let d = tanh_from_exp(a, e);
    [y - th.half_delta * d, y * d - th.half_delta]
}

/// (U, V) at y.
#[inline]
pub fn scaled_rotated_scores(th: &Theta, y: f32) -> [f32; 2] {
    let (a, e) = model_switch(th, y);
    rotated_scores_from(th, y, a, e)
}

/// The split point of a component's two panels, in σ units around its centre.
#[inline]
pub fn panel_split(component_centre_y: f32, sigma: f32) -> f32 {
    let split = -component_centre_y / sigma;
    if split.abs() < TRUNCATION_SIGMAS {
        split
    } else {
        0.0
    }
}

/// Visits the quadrature nodes of one component: calls `f(w, t)` with the weight (including
/// φ(t)) and the node position t in σ units.
#[inline]
fn for_each_node(centre_y: f32, sigma: f32, nodes: &[[f32; 2]], mut f: impl FnMut(f32, f32)) {
    let split = panel_split(centre_y, sigma);
    for (lo, hi) in [(-TRUNCATION_SIGMAS, split), (split, TRUNCATION_SIGMAS)] {
        let half_width = 0.5 * (hi - lo);
        let middle = 0.5 * (hi + lo);
        for node in nodes {
            let t = middle + half_width * node[0];
            let w = half_width * node[1] * INV_SQRT_2PI * (-0.5 * t * t).exp();
            f(w, t);
        }
    }
}

/// The shader's `component_node`: node k of one component's 2n (k < n: the panel
/// [−T, split], else [split, T]) as (t in σ units, weight with φ(t) folded in).
#[inline]
fn component_node(split: f32, k: usize, nodes: &[[f32; 2]]) -> (f32, f32) {
    let n = nodes.len();
    let (lo, hi, node) = if k < n {
        (-TRUNCATION_SIGMAS, split, nodes[k])
    } else {
        (split, TRUNCATION_SIGMAS, nodes[k - n])
    };
    let half_width = 0.5 * (hi - lo);
    let t = 0.5 * (hi + lo) + half_width * node[0];
    (
        t,
        half_width * node[1] * INV_SQRT_2PI * (-0.5 * t * t).exp(),
    )
}

/// Visits one component's 2n nodes two at a time, as the shaders' F and score loops take them
/// (k and k + 1, across the panel boundary when n is odd): `f((w, t), (w', t'))`.
#[inline]
fn for_each_node_pair(
    centre_y: f32,
    sigma: f32,
    nodes: &[[f32; 2]],
    mut f: impl FnMut((f32, f32), (f32, f32)),
) {
    let split = panel_split(centre_y, sigma);
    for k in (0..2 * nodes.len()).step_by(2) {
        let (t1, w1) = component_node(split, k, nodes);
        let (t2, w2) = component_node(split, k + 1, nodes);
        f((w1, t1), (w2, t2));
    }
}

/// E_{N(c, σ²)}[(U², V²)] over one component's nodes.
pub fn accumulate_fisher(th: &Theta, centre_y: f32, nodes: &[[f32; 2]]) -> [f32; 2] {
    let mut sums = [0.0f32; 2];
    for_each_node_pair(centre_y, th.sigma, nodes, |(w1, t1), (w2, t2)| {
        let [u1, v1] = scaled_rotated_scores(th, centre_y + th.sigma * t1);
        let [u2, v2] = scaled_rotated_scores(th, centre_y + th.sigma * t2);
        sums[0] += w1 * u1 * u1 + w2 * u2 * u2;
        sums[1] += w1 * v1 * v1 + w2 * v2 * v2;
    });
    sums
}

/// The target pass's sums over one target component (the shader's `ComponentTargetSums`):
/// ½E[(U, V)], ½E[log p* − log p], ½E[(U², U·V, V²)].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ComponentTargetSums {
    /// ½E[(U, V)].
    pub score: [f32; 2],
    /// ½E[log p* − log p].
    pub loss: f32,
    /// ½E[(U², U·V, V²)].
    pub empirical: [f32; 3],
}

/// One target component centred at `centre_y` (the other at `other_y`): see the shader's
/// `accumulate_target` for the log-density identity it uses.
pub fn accumulate_target(
    th: &Theta,
    centre_y: f32,
    other_y: f32,
    nodes: &[[f32; 2]],
) -> ComponentTargetSums {
    let mut sums = ComponentTargetSums::default();
    let abs_half_delta = th.half_delta.abs();
    for_each_node(centre_y, th.sigma, nodes, |w, t| {
        let y = centre_y + th.sigma * t;
        let (a, e) = model_switch(th, y);
        let [u, v] = rotated_scores_from(th, y, a, e);
        let own = -0.5 * t * t;
        let other = -(y - other_y) * (y - other_y) * th.inv_two_sigma_sq;
        let e_target = (-(own - other).abs()).exp();
        let model_gap = y.abs() - abs_half_delta;
        let log_ratio = own.max(other)
            + model_gap * model_gap * th.inv_two_sigma_sq
            + log_ratio_1p(e_target, e);
        sums.score[0] += w * u;
        sums.score[1] += w * v;
        sums.loss += w * log_ratio;
        sums.empirical[0] += w * (u * u);
        sums.empirical[1] += w * (u * v);
        sums.empirical[2] += w * (v * v);
    });
    ComponentTargetSums {
        score: sums.score.map(|s| 0.5 * s),
        loss: 0.5 * sums.loss,
        empirical: sums.empirical.map(|s| 0.5 * s),
    }
}

/// ½·E_{N(c, σ²)}[(U, V)]: ∇L's sums without the loss (the flow's hot path).
pub fn accumulate_score(th: &Theta, centre_y: f32, nodes: &[[f32; 2]]) -> [f32; 2] {
    let mut sums = [0.0f32; 2];
    for_each_node_pair(centre_y, th.sigma, nodes, |(w1, t1), (w2, t2)| {
        let [u1, v1] = scaled_rotated_scores(th, centre_y + th.sigma * t1);
        let [u2, v2] = scaled_rotated_scores(th, centre_y + th.sigma * t2);
        sums[0] += w1 * u1 + w2 * u2;
        sums[1] += w1 * v1 + w2 * v2;
    });
    sums.map(|s| 0.5 * s)
}

/// F in the rotated basis, (F_uu, F_uv, F_vv): one component integrated, F_uv = 0 exactly by
/// the seed's mirror symmetry (the shader's `fisher_rotated` says why).
pub fn fisher_rotated(th: &Theta, nodes: &[[f32; 2]]) -> [f32; 3] {
    let [uu, vv] = accumulate_fisher(th, th.half_delta, nodes);
    let scale = 2.0 * th.inv_two_sigma_sq * th.inv_two_sigma_sq;
    [uu * scale, 0.0, vv * scale]
}

/// The target's terms (the shader's `TargetTerms`): ∇L in the rotated basis, L, and the
/// empirical Fisher in the rotated basis (packed like F).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TargetTerms {
    /// (g_u, g_v).
    pub grad: [f32; 2],
    /// L = KL(p* ‖ p).
    pub loss: f32,
    /// (EF_uu, EF_uv, EF_vv).
    pub empirical: [f32; 3],
}

/// ∇L, L and the empirical Fisher for target θ* given in the y frame (`target_y` =
/// (t1 − m̄, t2 − m̄), relative to θ's midpoint).
pub fn target_terms(th: &Theta, target_y: [f32; 2], nodes: &[[f32; 2]]) -> TargetTerms {
    let [t1, t2] = target_y;
    let a = accumulate_target(th, t1, t2, nodes);
    let b = accumulate_target(th, t2, t1, nodes);
    let score_scale = 2.0 * th.inv_two_sigma_sq * INV_SQRT2;
    let fisher_scale = 2.0 * th.inv_two_sigma_sq * th.inv_two_sigma_sq;
    TargetTerms {
        grad: [
            -(a.score[0] + b.score[0]) * score_scale,
            -(a.score[1] + b.score[1]) * score_scale,
        ],
        loss: a.loss + b.loss,
        empirical: [
            (a.empirical[0] + b.empirical[0]) * fisher_scale,
            (a.empirical[1] + b.empirical[1]) * fisher_scale,
            (a.empirical[2] + b.empirical[2]) * fisher_scale,
        ],
    }
}

/// ½·E[(U, V)] and ½·E[(U², U·V, V²)] over one target component's nodes (the shader's
/// `accumulate_score_empirical`, sums in the same order).
pub fn accumulate_score_empirical(
    th: &Theta,
    centre_y: f32,
    nodes: &[[f32; 2]],
) -> ([f32; 2], [f32; 3]) {
    let mut score = [0.0f32; 2];
    let mut empirical = [0.0f32; 3];
    for_each_node(centre_y, th.sigma, nodes, |w, t| {
        let [u, v] = scaled_rotated_scores(th, centre_y + th.sigma * t);
        score[0] += w * u;
        score[1] += w * v;
        empirical[0] += w * (u * u);
        empirical[1] += w * (u * v);
        empirical[2] += w * (v * v);
    });
    (score.map(|s| 0.5 * s), empirical.map(|s| 0.5 * s))
}

/// ∇L and the empirical Fisher in the rotated basis without the loss (the shader's
/// `gradient_and_empirical_rotated`: the natural-vs-EF flow on the seed's slice).
pub fn gradient_and_empirical_rotated(
    th: &Theta,
    mid: f32,
    target: [f32; 2],
    nodes: &[[f32; 2]],
) -> ([f32; 2], [f32; 3]) {
    let (sa, ea) = accumulate_score_empirical(th, target[0] - mid, nodes);
    let (sb, eb) = accumulate_score_empirical(th, target[1] - mid, nodes);
    let score_scale = 2.0 * th.inv_two_sigma_sq * INV_SQRT2;
    let fisher_scale = 2.0 * th.inv_two_sigma_sq * th.inv_two_sigma_sq;
    (
        [
            -(sa[0] + sb[0]) * score_scale,
            -(sa[1] + sb[1]) * score_scale,
        ],
        [0, 1, 2].map(|k| (ea[k] + eb[k]) * fisher_scale),
    )
}

/// ∇L in the rotated basis only (no loss).
pub fn gradient_rotated(th: &Theta, mid: f32, target: [f32; 2], nodes: &[[f32; 2]]) -> [f32; 2] {
    let a = accumulate_score(th, target[0] - mid, nodes);
    let b = accumulate_score(th, target[1] - mid, nodes);
    let scale = 2.0 * th.inv_two_sigma_sq * INV_SQRT2;
    [-(a[0] + b[0]) * scale, -(a[1] + b[1]) * scale]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tanh_from_exp_is_accurate_across_the_switch() {
        for i in -4000..=4000 {
            let a = i as f32 * 1e-3 + 1e-7;
            let e = (-2.0 * a.abs()).exp();
            let exact = (a as f64).tanh();
            let rel = ((tanh_from_exp(a, e) as f64 - exact) / exact).abs();
            assert!(rel < 4e-7, "a={a}: rel {rel}");
        }
        assert_eq!(tanh_from_exp(0.0, 1.0), 0.0);
        assert_eq!(tanh_from_exp(-60.0, 0.0), -1.0);
        // Negative control: the far form alone loses relative precision near 0.
        let far_worst = (1..100)
            .map(|i| {
                let a = i as f32 * 1e-6;
                let e = (-2.0 * a).exp();
                let far = (1.0 - e) / (1.0 + e);
                ((far as f64 - (a as f64).tanh()) / (a as f64).tanh()).abs()
            })
            .fold(0.0, f64::max);
        assert!(far_worst > 1e-3, "far form near 0: {far_worst}");
    }

    #[test]
    fn log_ratio_1p_matches_the_logarithm() {
        let mut worst = 0.0f64;
        for i in 0..=200 {
            for j in 0..=200 {
                let (p, q) = (i as f32 / 200.0, j as f32 / 200.0);
                let exact = ((1.0 + p as f64) / (1.0 + q as f64)).ln();
                let err = (log_ratio_1p(p, q) as f64 - exact).abs();
                worst = worst.max(err / exact.abs().max(1e-3));
            }
        }
        assert!(worst < 4e-7, "worst {worst}");
        assert_eq!(log_ratio_1p(0.3, 0.3), 0.0);
        // Negative control: a truncated series (z³ term dropped) is visibly wrong at |z| = 1/3.
        let z = 1.0f64 / 3.0;
        assert!((2.0 * z - 2f64.ln()).abs() > 1e-2);
    }

    #[test]
    fn stable_tanh_is_accurate_across_the_switch() {
        for i in -4000..=4000 {
            let a = i as f32 * 1e-3 + 1e-7;
            let exact = (a as f64).tanh();
            let rel = ((stable_tanh(a) as f64 - exact) / exact).abs();
            assert!(rel < 4e-7, "a={a}: rel {rel}");
        }
    }
}
