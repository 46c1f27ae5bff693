// The slice metric's jet in f32 (MATH.md, "Geodesics"): F's (a, b) block and its derivatives
// ∂ₖF_ij = E_p[(∂ₖsᵢ) sⱼ + sᵢ (∂ₖsⱼ) + sᵢ sⱼ sₖ] by the general model's quadrature (the same
// windows, splits and truncation as fisher_pass), in the MetricJet of common/metric_jet.wgsl
// (which also holds the geodesic equation's acceleration and the stop test). f64 twin:
// `math::general::metric_jet`.
//
// Accumulation basis: the sums are taken in a fixed orthonormal basis B (rows q, q⊥), i.e. in
// the coordinates u = B·θ: scores B·s, second derivatives B·H·Bᵀ. With B the eigenbasis of F
// at the ball's centre the small eigenvalue is a sum of squares (on the seed's slice the
// eigenbasis is (1, ±1)/√2 everywhere, so no point of the ball cancels), not the difference
// F11·F22 − F12² that f32 loses near the singular diagonal. B is orthonormal, so lengths,
// κ and the geodesics themselves are the same in u as in θ (RK4 commutes with linear maps).

// #include <common/gmm_general.wgsl>
// #include <common/metric_jet.wgsl>

// (∂ₖ∂ᵢ p)/p at a node for two parameters k, i (PARAM_*): per component r_c times ∂∂φ/φ in
// (μ, σ) (z = (y − μ)/σ: (z² − 1)/σ², z(z² − 3)/σ², (z⁴ − 5z² + 2)/σ²), the π row ∂φ1/p =
// (r1/π)∂φ1/φ1 and −(r2/(1 − π))∂φ2/φ2, zero for ππ and across components.
fn density_hessian_ratio(m: Mixture, s: NodeState, k: u32, i: u32) -> f32 {
    let lo = min(k, i);
    let hi = max(k, i);
    if lo == PARAM_PI {
        if hi == PARAM_PI {
            return 0.0;
        }
        if hi == PARAM_MU1 {
            return s.r.x / m.weight.x * s.z.x * m.inv_sigma.x;
        }
        if hi == PARAM_SIGMA1 {
            return s.r.x / m.weight.x * (s.z.x * s.z.x - 1.0) * m.inv_sigma.x;
        }
        if hi == PARAM_MU2 {
            return -s.r.y / m.weight.y * s.z.y * m.inv_sigma.y;
        }
        return -s.r.y / m.weight.y * (s.z.y * s.z.y - 1.0) * m.inv_sigma.y;
    }
    let first = lo == PARAM_MU1 || lo == PARAM_SIGMA1;
    let first_hi = hi == PARAM_MU1 || hi == PARAM_SIGMA1;
    if first != first_hi {
        return 0.0;
    }
    let z = select(s.z.y, s.z.x, first);
    let r = select(s.r.y, s.r.x, first);
    let inv = select(m.inv_sigma.y, m.inv_sigma.x, first);
    let lo_mu = lo == PARAM_MU1 || lo == PARAM_MU2;
    let hi_mu = hi == PARAM_MU1 || hi == PARAM_MU2;
    let z2 = z * z;
    var poly = z2 * z2 - 5.0 * z2 + 2.0;
    if lo_mu && hi_mu {
        poly = z2 - 1.0;
    } else if lo_mu || hi_mu {
        poly = z * (z2 - 3.0);
    }
    return r * poly * inv * inv;
}

// One node's contribution: G's products and the two derivative integrands.
fn jet_integrand(m: Mixture, st: NodeState, slice: vec2<u32>, basis: mat2x2<f32>) -> MetricJet {
    let s_std = vec2<f32>(score(m, st, slice.x), score(m, st, slice.y));
    let h_ab = density_hessian_ratio(m, st, slice.x, slice.y) - s_std.x * s_std.y;
    let h = mat2x2<f32>(
        density_hessian_ratio(m, st, slice.x, slice.x) - s_std.x * s_std.x, h_ab,
        h_ab, density_hessian_ratio(m, st, slice.y, slice.y) - s_std.y * s_std.y);
    let p = basis * s_std;
    // ∂ₖsᵢ in u: B H Bᵀ (symmetric; column k holds ∂ₖ of both scores).
    let hu = basis * h * transpose(basis);
    var out: MetricJet;
    out.metric = vec3<f32>(p.x * p.x, p.x * p.y, p.y * p.y);
    // Written out, no loop over k: lavapipe's loop limiter counts every loop iteration of an
    // invocation (see fisher_full_pass), and this runs at every node of every stage.
    out.d0 = jet_derivative(hu[0], p, p.x);
    out.d1 = jet_derivative(hu[1], p, p.y);
    return out;
}

// ∂ₖ(p pᵀ) integrand (xx, xy, yy) for one k: dk = (∂ₖp0, ∂ₖp1), pk = pₖ.
fn jet_derivative(dk: vec2<f32>, p: vec2<f32>, pk: f32) -> vec3<f32> {
    return vec3<f32>(
        2.0 * dk.x * p.x + p.x * p.x * pk,
        dk.x * p.y + p.x * dk.y + p.x * p.y * pk,
        2.0 * dk.y * p.y + p.y * p.y * pk);
}

// E_model of jet_integrand over the model's windows (fisher_pass's walk: a two-level sum, each
// panel on its own before it joins the total).
fn metric_jet(m: Mixture, slice: vec2<u32>, basis: mat2x2<f32>, panel_nodes: u32) -> MetricJet {
    let t = truncation_sigmas(min_weight(m));
    var total: MetricJet;
    total.metric = vec3<f32>(0.0);
    total.d0 = vec3<f32>(0.0);
    total.d1 = vec3<f32>(0.0);
    for (var c = 0u; c < 2u; c++) {
        if m.weight[c] <= 0.0 {
            continue;
        }
        let w = component_window(m, c, t, m, m, false);
        var component: MetricJet;
        component.metric = vec3<f32>(0.0);
        component.d0 = vec3<f32>(0.0);
        component.d1 = vec3<f32>(0.0);
        var hi = w.lo;
        for (var p = 0u; p < GENERAL_MAX_PANELS; p++) {
            let lo = hi;
            if !(lo < w.hi) {
                break;
            }
            hi = window_next(w, lo);
            var panel: MetricJet;
            panel.metric = vec3<f32>(0.0);
            panel.d0 = vec3<f32>(0.0);
            panel.d1 = vec3<f32>(0.0);
            for (var k = 0u; k < panel_nodes; k++) {
                let yw = panel_node(m, c, lo, hi, k);
                let st = node_state(m, yw.x);
                let f = jet_integrand(m, st, slice, basis);
                panel.metric += yw.y * f.metric;
                panel.d0 += yw.y * f.d0;
                panel.d1 += yw.y * f.d1;
            }
            component.metric += panel.metric;
            component.d0 += panel.d0;
            component.d1 += panel.d1;
        }
        total.metric += m.weight[c] * component.metric;
        total.d0 += m.weight[c] * component.d0;
        total.d1 += m.weight[c] * component.d1;
    }
    return total;
}
