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

/// (U, V) = σ²√2·(u, v): U = y − (Δ/2)d, V = y·d − Δ/2, d = tanh(Δy/(2σ²)).
#[inline]
pub fn scaled_rotated_scores(th: &Theta, y: f32) -> [f32; 2] {
    let d = stable_tanh(2.0 * th.half_delta * y * th.inv_two_sigma_sq);
    [y - th.half_delta * d, y * d - th.half_delta]
}

/// Log-sum-exp of the two (unnormalised) Gaussian log-kernels centred at `centre_a`, `centre_b`.
#[inline]
pub fn log_mixture_kernel(centre_a: f32, centre_b: f32, y: f32, inv_two_sigma_sq: f32) -> f32 {
    let ea = -(y - centre_a) * (y - centre_a) * inv_two_sigma_sq;
    let eb = -(y - centre_b) * (y - centre_b) * inv_two_sigma_sq;
    let hi = ea.max(eb);
    hi + (1.0 + (-(ea - eb).abs()).exp()).ln()
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

/// ½·E_{N(c, σ²)}[(U², U·V, V²)].
pub fn accumulate_fisher(th: &Theta, centre_y: f32, nodes: &[[f32; 2]]) -> [f32; 3] {
    let mut sums = [0.0f32; 3];
    for_each_node(centre_y, th.sigma, nodes, |w, t| {
        let [u, v] = scaled_rotated_scores(th, centre_y + th.sigma * t);
        sums[0] += w * u * u;
        sums[1] += w * u * v;
        sums[2] += w * v * v;
    });
    sums.map(|s| 0.5 * s)
}

/// ½·E_{N(c, σ²)}[(U, V, log p* − log p)] for the target component at `centre_y`.
pub fn accumulate_target(th: &Theta, centre_y: f32, other_y: f32, nodes: &[[f32; 2]]) -> [f32; 3] {
    let mut sums = [0.0f32; 3];
    for_each_node(centre_y, th.sigma, nodes, |w, t| {
        let y = centre_y + th.sigma * t;
        let [u, v] = scaled_rotated_scores(th, y);
        let log_target = log_mixture_kernel(centre_y, other_y, y, th.inv_two_sigma_sq);
        let log_model = log_mixture_kernel(th.half_delta, -th.half_delta, y, th.inv_two_sigma_sq);
        sums[0] += w * u;
        sums[1] += w * v;
        sums[2] += w * (log_target - log_model);
    });
    sums.map(|s| 0.5 * s)
}

/// ½·E_{N(c, σ²)}[(U, V)]: ∇L's sums without the loss (the flow's hot path).
pub fn accumulate_score(th: &Theta, centre_y: f32, nodes: &[[f32; 2]]) -> [f32; 2] {
    let mut sums = [0.0f32; 2];
    for_each_node(centre_y, th.sigma, nodes, |w, t| {
        let [u, v] = scaled_rotated_scores(th, centre_y + th.sigma * t);
        sums[0] += w * u;
        sums[1] += w * v;
    });
    sums.map(|s| 0.5 * s)
}

/// F in the rotated basis, (F_uu, F_uv, F_vv).
pub fn fisher_rotated(th: &Theta, nodes: &[[f32; 2]]) -> [f32; 3] {
    let a = accumulate_fisher(th, th.half_delta, nodes);
    let b = accumulate_fisher(th, -th.half_delta, nodes);
    let scale = 2.0 * th.inv_two_sigma_sq * th.inv_two_sigma_sq;
    [
        (a[0] + b[0]) * scale,
        (a[1] + b[1]) * scale,
        (a[2] + b[2]) * scale,
    ]
}

/// (g_u, g_v, L): ∇L in the rotated basis and the loss, for target θ* given in the y frame
/// (`target_y` = (t1 − m̄, t2 − m̄), relative to θ's midpoint).
pub fn gradient_rotated_and_loss(th: &Theta, target_y: [f32; 2], nodes: &[[f32; 2]]) -> [f32; 3] {
    let [t1, t2] = target_y;
    let a = accumulate_target(th, t1, t2, nodes);
    let b = accumulate_target(th, t2, t1, nodes);
    let score_scale = 2.0 * th.inv_two_sigma_sq * INV_SQRT2;
    [
        -(a[0] + b[0]) * score_scale,
        -(a[1] + b[1]) * score_scale,
        a[2] + b[2],
    ]
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
    fn stable_tanh_is_accurate_across_the_switch() {
        for i in -4000..=4000 {
            let a = i as f32 * 1e-3 + 1e-7;
            let exact = (a as f64).tanh();
            let rel = ((stable_tanh(a) as f64 - exact) / exact).abs();
            assert!(rel < 4e-7, "a={a}: rel {rel}");
        }
    }
}
