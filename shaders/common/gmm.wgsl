// Shared GMM math for every compute stage: the split Gauss–Legendre quadrature, the scores in
// the rotated basis, and the per-point evaluation of F, ∇L and L. CPU twin:
// `src/cpu/gmm.rs` (same names, same constants); f64 reference: `src/math/`.
//
// Contract with the including shader: it declares
//     var<uniform> quadrature_nodes: array<vec4<f32>, 256>;   // (ξ_j, ω_j, 0, 0) on [-1, 1]
// holding the n-point Gauss–Legendre rule (n = Q/2 nodes per panel).
//
// All positions are taken relative to θ's midpoint m̄ = (μ1 + μ2)/2 ("the y frame") and nodes
// are placed in units of σ around each Gaussian component, so large coordinates never eat
// the precision of y = x − m̄ near the diagonal.

// #include <common/sym2.wgsl>

const TRUNCATION_SIGMAS: f32 = 8.0;
const INV_SQRT_2PI: f32 = 0.3989422804014327;

// tanh that keeps full relative precision for small arguments: the (7,6) Padé approximant of
// Lambert's continued fraction on |a| ≤ 1 (max relative error 2e-12 in exact arithmetic), and
// 1 − 2/(e^{2|a|} + 1) written with e^{−2|a|} (no overflow, no cancellation) beyond. The
// built-in tanh may be (e^{2a} − 1)/(e^{2a} + 1), which loses ~4e-4 relative near 0 in f32.
fn stable_tanh(a: f32) -> f32 {
    let m = abs(a);
    if m <= 1.0 {
        let a2 = a * a;
        let num = 135135.0 + a2 * (17325.0 + a2 * (378.0 + a2));
        let den = 135135.0 + a2 * (62370.0 + a2 * (3150.0 + 28.0 * a2));
        return a * num / den;
    }
    let e = exp(-2.0 * m);
    return sign(a) * (1.0 - e) / (1.0 + e);
}

// θ in the y frame: what every integrand needs.
struct Theta {
    half_delta: f32,         // Δ/2 = (μ1 − μ2)/2; component means sit at y = ±Δ/2
    sigma: f32,
    inv_two_sigma_sq: f32,   // 1/(2σ²)
}

fn make_theta(mu: vec2<f32>, sigma: f32) -> Theta {
    return theta_from_half_delta(0.5 * (mu.x - mu.y), sigma);
}

// The same from Δ/2 alone: the field kernel forms Δ from a floating origin's Δ₀ and the
// cell's small offset, so Δ keeps its precision where μ1 and μ2 are large.
fn theta_from_half_delta(half_delta: f32, sigma: f32) -> Theta {
    return Theta(half_delta, sigma, 0.5 / (sigma * sigma));
}

// tanh(a) from e = exp(−2|a|), which every caller needs anyway (the log-cosh of the model's
// log-density, or nothing else: one exp either way). The (7,6) Padé approximant where 1 − e
// would cancel (|a| ≤ 1), (1 − e)/(1 + e) beyond; branch-free with one division, so SIMD lanes
// (llvmpipe's, the CPU path's) never diverge. CPU twins: `gmm::tanh_from_exp`, `simd`.
fn tanh_from_exp(a: f32, e: f32) -> f32 {
    let a2 = a * a;
    let num = 135135.0 + a2 * (17325.0 + a2 * (378.0 + a2));
    let den = 135135.0 + a2 * (62370.0 + a2 * (3150.0 + 28.0 * a2));
    let near = abs(a) <= 1.0;
    return select(sign(a) * (1.0 - e), a * num, near) / select(1.0 + e, den, near);
}

// log((1 + p)/(1 + q)) for p, q ∈ [0, 1] without a log: 2·atanh(z) with
// z = (p − q)/(2 + p + q), |z| ≤ 1/3, by its odd series through z¹³ (truncation below
// 1.5e-8 relative at |z| = 1/3; exact in p − q, so no cancellation when p ≈ q).
fn log_ratio_1p(p: f32, q: f32) -> f32 {
    let z = (p - q) / (2.0 + p + q);
    let z2 = z * z;
    let series = 1.0 + z2 * (1.0 / 3.0 + z2 * (1.0 / 5.0 + z2 * (1.0 / 7.0 + z2 * (1.0 / 9.0
        + z2 * (1.0 / 11.0 + z2 * (1.0 / 13.0))))));
    return 2.0 * z * series;
}

// (σ²√2·u, σ²√2·v): the rotated scores u = (s1+s2)/√2, v = (s1−s2)/√2 up to a constant,
// U = y − (Δ/2)·d and V = y·d − Δ/2 with d = r1 − r2 = tanh(a), a = Δ·y/(2σ²), given
// e = exp(−2|a|) (see `model_switch`).
fn rotated_scores_from(th: Theta, y: f32, a: f32, e: f32) -> vec2<f32> {
    let d = tanh_from_exp(a, e);
    return vec2<f32>(y - th.half_delta * d, y * d - th.half_delta);
}

// The model's switch at y: (a, e) = (Δ·y/(2σ²), exp(−2|a|)), the one exp a node's scores and
// the model's log-density share.
fn model_switch(th: Theta, y: f32) -> vec2<f32> {
    let a = 2.0 * th.half_delta * y * th.inv_two_sigma_sq;
    return vec2<f32>(a, exp(-2.0 * abs(a)));
}

fn scaled_rotated_scores(th: Theta, y: f32) -> vec2<f32> {
    let s = model_switch(th, y);
    return rotated_scores_from(th, y, s.x, s.y);
}

// The two panels of one Gaussian component, in σ units around its centre: [−T, split] and
// [split, T], split at the logistic's centre (y = 0) when it lies inside, else at the centre.
fn panel_split(component_centre_y: f32, sigma: f32) -> f32 {
    let split = -component_centre_y / sigma;
    return select(0.0, split, abs(split) < TRUNCATION_SIGMAS);
}

// Node k of one component's 2n quadrature nodes (k < n: panel [−T, split], else
// [split, T]): (t in σ units, weight with φ(t) folded in). CPU twin: `for_each_node`.
fn component_node(split: f32, k: u32, panel_nodes: u32) -> vec2<f32> {
    let first = k < panel_nodes;
    let lo = select(split, -TRUNCATION_SIGMAS, first);
    let hi = select(TRUNCATION_SIGMAS, split, first);
    let node = quadrature_nodes[select(k - panel_nodes, k, first)].xy;
    let half_width = 0.5 * (hi - lo);
    let t = 0.5 * (hi + lo) + half_width * node.x;
    return vec2<f32>(t, half_width * node.y * INV_SQRT_2PI * exp(-0.5 * t * t));
}

// E_{N(c, σ²)}[(U², V²)] over one component's nodes (U·V is not needed: see
// `fisher_rotated`). 2 exps per node: the node weight and the model's switch. Two nodes per
// iteration (k and k + 1; 2n is even), their terms added before the sum: a node is a chain of
// dependent operations, and two independent chains in one body overlap where one did not
// (llvmpipe: the seed's particles ~20% faster; gmm_general.wgsl's union pass says more). CPU
// twin: `for_each_node_pair`.
fn accumulate_fisher(th: Theta, centre_y: f32, panel_nodes: u32) -> vec2<f32> {
    let split = panel_split(centre_y, th.sigma);
    var sums = vec2<f32>(0.0);
    for (var k = 0u; k < 2u * panel_nodes; k += 2u) {
        let first = component_node(split, k, panel_nodes);
        let second = component_node(split, k + 1u, panel_nodes);
        let a = scaled_rotated_scores(th, centre_y + th.sigma * first.x);
        let b = scaled_rotated_scores(th, centre_y + th.sigma * second.x);
        sums += first.y * a * a + second.y * b * b;
    }
    return sums;
}

// What the target pass sums over one target component's nodes: ½E[(U, V)] for ∇L,
// ½E[log p* − log p] for L, and ½E[(U², U·V, V²)] for the empirical Fisher, all on the same
// nodes (3 exps per node: the weight, the model's switch, the target's log-sum-exp).
struct ComponentTargetSums {
    score: vec2<f32>,
    loss: f32,
    empirical: vec3<f32>,
}

// One target component centred at y = centre_y (the other at other_y). In σ units t about
// the centre, the target's own exponent is −t²/2 and the model's log-density is
// −(|y| − |Δ/2|)²/(2σ²) + log(1 + e) up to the constant both share, so
// log p* − log p = max(−t²/2, e_b) + (|y| − |Δ/2|)²/(2σ²) + log((1 + e_t)/(1 + e)), with e_b
// the other target component's exponent and e_t = exp(−|−t²/2 − e_b|).
fn accumulate_target(th: Theta, centre_y: f32, other_y: f32, panel_nodes: u32) -> ComponentTargetSums {
    let split = panel_split(centre_y, th.sigma);
    var sums = ComponentTargetSums(vec2<f32>(0.0), 0.0, vec3<f32>(0.0));
    let abs_half_delta = abs(th.half_delta);
    for (var k = 0u; k < 2u * panel_nodes; k++) {
        let node = component_node(split, k, panel_nodes);
        let y = centre_y + th.sigma * node.x;
        let s = model_switch(th, y);
        let uv = rotated_scores_from(th, y, s.x, s.y);
        let own = -0.5 * node.x * node.x;
        let other = -(y - other_y) * (y - other_y) * th.inv_two_sigma_sq;
        let e_target = exp(-abs(own - other));
        let model_gap = abs(y) - abs_half_delta;
        let log_ratio = max(own, other) + model_gap * model_gap * th.inv_two_sigma_sq
            + log_ratio_1p(e_target, s.y);
        let w = node.y;
        sums.score += w * uv;
        sums.loss += w * log_ratio;
        sums.empirical += w * vec3<f32>(uv.x * uv.x, uv.x * uv.y, uv.y * uv.y);
    }
    sums.score *= 0.5;
    sums.loss *= 0.5;
    sums.empirical *= 0.5;
    return sums;
}

// ½·E_{N(c, σ²)}[(U, V)] for one target component: ∇L without the loss (the flow's hot path),
// two nodes per iteration as in accumulate_fisher.
fn accumulate_score(th: Theta, centre_y: f32, panel_nodes: u32) -> vec2<f32> {
    let split = panel_split(centre_y, th.sigma);
    var sums = vec2<f32>(0.0);
    for (var k = 0u; k < 2u * panel_nodes; k += 2u) {
        let first = component_node(split, k, panel_nodes);
        let second = component_node(split, k + 1u, panel_nodes);
        sums += first.y * scaled_rotated_scores(th, centre_y + th.sigma * first.x)
            + second.y * scaled_rotated_scores(th, centre_y + th.sigma * second.x);
    }
    return 0.5 * sums;
}

// F in the rotated basis, packed (F_uu, F_uv, F_vv). The seed's two components are mirror
// images: U is odd and V even in y, and component 2's nodes are component 1's reflected
// (y → −y, same weights), so component 2 repeats component 1's U², V² sums and cancels its
// U·V sum exactly: F_uv = 0 and only one component is integrated (half the work).
fn fisher_rotated(th: Theta, panel_nodes: u32) -> vec3<f32> {
    let sums = accumulate_fisher(th, th.half_delta, panel_nodes);
    // F_uu = 2·½·E[U²]/(2σ⁴) with u = U/(σ²√2): u² = U²·(1/(2σ²))²·2.
    let scale = 2.0 * th.inv_two_sigma_sq * th.inv_two_sigma_sq;
    return vec3<f32>(sums.x * scale, 0.0, sums.y * scale);
}

// Everything that depends on the target θ* = (t1, t2), given in the y frame (relative to
// θ's midpoint: target_y = (t1 − m̄, t2 − m̄)): ∇L in the rotated basis (g_u, g_v), L, and
// the empirical Fisher E_{p*}[s sᵀ] in the rotated basis (packed like F).
struct TargetTerms {
    grad: vec2<f32>,
    loss: f32,
    empirical: vec3<f32>,
}

fn target_terms(th: Theta, target_y: vec2<f32>, panel_nodes: u32) -> TargetTerms {
    let a = accumulate_target(th, target_y.x, target_y.y, panel_nodes);
    let b = accumulate_target(th, target_y.y, target_y.x, panel_nodes);
    // g = −E[(u, v)] with u = U/(σ²√2) = U·(2/(2σ²))/√2.
    let score_scale = 2.0 * th.inv_two_sigma_sq * INV_SQRT2;
    let fisher_scale = 2.0 * th.inv_two_sigma_sq * th.inv_two_sigma_sq;
    return TargetTerms(-(a.score + b.score) * score_scale, a.loss + b.loss,
        (a.empirical + b.empirical) * fisher_scale);
}

// ∇L and the empirical Fisher in the rotated basis, without the loss: `target_terms` without
// the log terms (the natural-vs-EF flow's particles: the EF step −(EF + λI)⁻¹∇L). CPU twin:
// cpu::gmm::gradient_and_empirical_rotated.
struct GradientAndEmpirical {
    grad: vec2<f32>,
    empirical: vec3<f32>,
}

// ½·E_{N(c, σ²)}[(U, V)] and ½·E[(U², U·V, V²)] for one target component.
fn accumulate_score_empirical(th: Theta, centre_y: f32, panel_nodes: u32) -> GradientAndEmpirical {
    let split = panel_split(centre_y, th.sigma);
    var sums = GradientAndEmpirical(vec2<f32>(0.0), vec3<f32>(0.0));
    for (var k = 0u; k < 2u * panel_nodes; k++) {
        let node = component_node(split, k, panel_nodes);
        let uv = scaled_rotated_scores(th, centre_y + th.sigma * node.x);
        sums.grad += node.y * uv;
        sums.empirical += node.y * vec3<f32>(uv.x * uv.x, uv.x * uv.y, uv.y * uv.y);
    }
    sums.grad *= 0.5;
    sums.empirical *= 0.5;
    return sums;
}

fn gradient_and_empirical_rotated(th: Theta, mid: f32, target_theta: vec2<f32>,
                                  panel_nodes: u32) -> GradientAndEmpirical {
    let a = accumulate_score_empirical(th, target_theta.x - mid, panel_nodes);
    let b = accumulate_score_empirical(th, target_theta.y - mid, panel_nodes);
    let score_scale = 2.0 * th.inv_two_sigma_sq * INV_SQRT2;
    let fisher_scale = 2.0 * th.inv_two_sigma_sq * th.inv_two_sigma_sq;
    return GradientAndEmpirical(-(a.grad + b.grad) * score_scale,
        (a.empirical + b.empirical) * fisher_scale);
}

// ∇L in the rotated basis only (no loss): same sums as above without the log terms.
fn gradient_rotated(th: Theta, mid: f32, target_theta: vec2<f32>, panel_nodes: u32) -> vec2<f32> {
    let sums = accumulate_score(th, target_theta.x - mid, panel_nodes)
        + accumulate_score(th, target_theta.y - mid, panel_nodes);
    return -sums * (2.0 * th.inv_two_sigma_sq * INV_SQRT2);
}
