// Shared GMM math for every compute stage: the split Gauss–Legendre quadrature, the scores in
// the rotated basis, and the per-point evaluation of F, ∇L and L. CPU twin:
// `src/cpu/gmm.rs` (same names, same constants); f64 reference: `src/math/`.
//
// Contract with the including shader: it declares
//     var<storage, read> quadrature_nodes: array<vec2<f32>>;   // (ξ_j, ω_j) on [-1, 1]
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

// (σ²√2·u, σ²√2·v): the rotated scores u = (s1+s2)/√2, v = (s1−s2)/√2 up to a constant,
// U = y − (Δ/2)·d and V = y·d − Δ/2 with d = r1 − r2 = tanh(Δ·y/(2σ²)).
fn scaled_rotated_scores(th: Theta, y: f32) -> vec2<f32> {
    let d = stable_tanh(2.0 * th.half_delta * y * th.inv_two_sigma_sq);
    return vec2<f32>(y - th.half_delta * d, y * d - th.half_delta);
}

// log N1(y) − const and log N2(y) − const folded by log-sum-exp (the constants cancel in L).
fn log_mixture_kernel(centre_a: f32, centre_b: f32, y: f32, inv_two_sigma_sq: f32) -> f32 {
    let ea = -(y - centre_a) * (y - centre_a) * inv_two_sigma_sq;
    let eb = -(y - centre_b) * (y - centre_b) * inv_two_sigma_sq;
    let hi = max(ea, eb);
    return hi + log(1.0 + exp(-abs(ea - eb)));
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
    let node = quadrature_nodes[select(k - panel_nodes, k, first)];
    let half_width = 0.5 * (hi - lo);
    let t = 0.5 * (hi + lo) + half_width * node.x;
    return vec2<f32>(t, half_width * node.y * INV_SQRT_2PI * exp(-0.5 * t * t));
}

// ½·E_{N(c, σ²)}[(U², U·V, V²)]: one component's share of the score-square sums.
fn accumulate_fisher(th: Theta, centre_y: f32, panel_nodes: u32) -> vec3<f32> {
    let split = panel_split(centre_y, th.sigma);
    var sums = vec3<f32>(0.0);
    for (var k = 0u; k < 2u * panel_nodes; k++) {
        let node = component_node(split, k, panel_nodes);
        let uv = scaled_rotated_scores(th, centre_y + th.sigma * node.x);
        sums += node.y * vec3<f32>(uv.x * uv.x, uv.x * uv.y, uv.y * uv.y);
    }
    return 0.5 * sums;
}

// ½·E_{N(c, σ²)}[(U, V, log p* − log p)] for one target component centred at y = centre_y;
// the target's other component sits at y = other_y.
fn accumulate_target(th: Theta, centre_y: f32, other_y: f32, panel_nodes: u32) -> vec3<f32> {
    let split = panel_split(centre_y, th.sigma);
    var sums = vec3<f32>(0.0);
    for (var k = 0u; k < 2u * panel_nodes; k++) {
        let node = component_node(split, k, panel_nodes);
        let y = centre_y + th.sigma * node.x;
        let uv = scaled_rotated_scores(th, y);
        let log_target = log_mixture_kernel(centre_y, other_y, y, th.inv_two_sigma_sq);
        let log_model = log_mixture_kernel(th.half_delta, -th.half_delta, y, th.inv_two_sigma_sq);
        sums += node.y * vec3<f32>(uv.x, uv.y, log_target - log_model);
    }
    return 0.5 * sums;
}

// ½·E_{N(c, σ²)}[(U, V)] for one target component: ∇L without the loss (the flow's hot path).
fn accumulate_score(th: Theta, centre_y: f32, panel_nodes: u32) -> vec2<f32> {
    let split = panel_split(centre_y, th.sigma);
    var sums = vec2<f32>(0.0);
    for (var k = 0u; k < 2u * panel_nodes; k++) {
        let node = component_node(split, k, panel_nodes);
        sums += node.y * scaled_rotated_scores(th, centre_y + th.sigma * node.x);
    }
    return 0.5 * sums;
}

// F in the rotated basis, packed (F_uu, F_uv, F_vv).
fn fisher_rotated(th: Theta, panel_nodes: u32) -> vec3<f32> {
    let sums = accumulate_fisher(th, th.half_delta, panel_nodes)
        + accumulate_fisher(th, -th.half_delta, panel_nodes);
    // u = U/(σ²√2): u² = U²/(2σ⁴) = U²·(1/(2σ²))²·2.
    return sums * (2.0 * th.inv_two_sigma_sq * th.inv_two_sigma_sq);
}

// (∇L in the rotated basis (g_u, g_v), L) for the target θ* = (t1, t2), given in the y frame
// (relative to θ's midpoint: target_y = (t1 − m̄, t2 − m̄)).
fn gradient_rotated_and_loss(th: Theta, target_y: vec2<f32>, panel_nodes: u32) -> vec3<f32> {
    let t1 = target_y.x;
    let t2 = target_y.y;
    let sums = accumulate_target(th, t1, t2, panel_nodes) + accumulate_target(th, t2, t1, panel_nodes);
    // g = −E[(u, v)] with u = U/(σ²√2) = U·(2/(2σ²))/√2.
    let score_scale = 2.0 * th.inv_two_sigma_sq * INV_SQRT2;
    return vec3<f32>(-sums.x * score_scale, -sums.y * score_scale, sums.z);
}

// ∇L in the rotated basis only (no loss): same sums as above without the log terms.
fn gradient_rotated(th: Theta, mid: f32, target_theta: vec2<f32>, panel_nodes: u32) -> vec2<f32> {
    let sums = accumulate_score(th, target_theta.x - mid, panel_nodes)
        + accumulate_score(th, target_theta.y - mid, panel_nodes);
    return -sums * (2.0 * th.inv_two_sigma_sq * INV_SQRT2);
}
