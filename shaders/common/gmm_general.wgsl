// The general two-component mixture p = π N(μ1, σ1²) + (1 − π) N(μ2, σ2²) in f32 (MATH.md,
// "The general two-component mixture and its slices"): responsibilities as logistics of the
// quadratic log-ratio ℓ, scores for the two slice parameters only, panel splits at the roots
// and vertex of ℓ with graded splits, the derived truncation, and the two quadrature passes
// (F under the model, ∇L and L under the target). CPU twin: `src/cpu/general.rs` (same names,
// same constants); f64 reference: `src/math/general.rs`, whose rule this follows.
//
// Contract with the including shader: it declares
//     var<storage, read> quadrature_nodes: array<vec2<f32>>;   // (ξ_j, ω_j) on [-1, 1]
// holding the n-point Gauss–Legendre rule (n nodes per panel).
//
// Frame: every position is taken relative to the model's μ1 ("the y frame"), so the
// quadrature nodes near the model's components keep their precision however large μ1 is.

// stable_tanh and the 2×2 algebra (sym2) come from the seed's file.
// #include <common/gmm.wgsl>

const PARAM_PI: u32 = 0u;
const PARAM_MU1: u32 = 1u;
const PARAM_MU2: u32 = 2u;
const PARAM_SIGMA1: u32 = 3u;
const PARAM_SIGMA2: u32 = 4u;

// At most this many splits (the component centre included) inside one component's window;
// the window's two ends come on top. The model alone asks for at most 16 (centre, two roots,
// the vertex, and ±3w, ±12w around each of the three), so F never drops one; the target pass
// (model and target splits together, up to 31) drops the lowest-priority ones beyond this —
// the ±12w grades first — and says so (FLAG_SPLITS_DROPPED).
const GENERAL_MAX_SPLITS: u32 = 20u;
const GENERAL_MAX_EDGES: u32 = 22u;   // GENERAL_MAX_SPLITS + the two ends
// Graded splits at r ± k·w around each switch point r (w the logistic's width) and v ± k·s
// around the vertex (s = 1/√(2|a|)): the f64 rule's levels.
const GRADE_NEAR: f32 = 3.0;
const GRADE_FAR: f32 = 12.0;
// The tail bound of the truncation rule Q(T)·(1 + T²)² ≤ TAIL·m² (m the smallest positive
// weight): f32 resolves ~1e-7 relative, and λ_min (relative 1e-3 up to κ = 1e3) needs the tail
// at most ~1e-10 of λ_max; 1e-12 keeps a margin (T ≈ 8.6 at m = ½, 9.9 at m = 1e-3).
const GENERAL_TAIL: f32 = 1e-12;
const TRUNCATION_MIN: f32 = 6.0;
const TRUNCATION_MAX: f32 = 16.0;
// Where F11·F22 exceeds this times det F (the block's correlation ρ² > 1 − 1/30), the
// determinant F11·F22 − F12² cancels: the kernel runs the refinement pass (fim_general.wgsl).
// A large κ from unequal scales alone (ρ small) needs no refinement: det/λ_max is accurate.
const REFINE_RATIO: f32 = 30.0;
// ln √(2π) and √(2π).
const LN_SQRT_2PI: f32 = 0.9189385332046728;
const SQRT_2PI: f32 = 2.5066282746310002;
// ℓ on the weight boundary (π = 0 or 1): a logistic of ±this is exactly 0 or 1.
const SATURATED_LOG_RATIO: f32 = 1e30;

// One mixture in the y frame, with what every node needs precomputed.
struct Mixture {
    weight: vec2<f32>,       // (π, 1 − π)
    mean: vec2<f32>,         // (μ1, μ2) − the frame origin
    sigma: vec2<f32>,        // (σ1, σ2)
    inv_sigma: vec2<f32>,    // (1/σ1, 1/σ2): the nodes multiply, never divide
    log_norm: vec2<f32>,     // ln w_c − ln σ_c − ln √(2π) (0 where w_c = 0: never used)
    // ln(φ1/φ2) = (a·y' + b)·y' + c_phi with y' = y − mean.x (for the switch points only;
    // the nodes use log_phi_ratio's form); ℓ = that + logit_w.
    a: f32,
    b: f32,
    c_phi: f32,
    log_sigma_ratio: f32,    // ln(σ2/σ1)
    logit_w: f32,            // ln π − ln(1 − π)
    boundary: u32,           // 1 when π = 0 or 1: one component, nothing switches
}

fn make_mixture(pi: f32, mean: vec2<f32>, sigma: vec2<f32>) -> Mixture {
    var m: Mixture;
    m.weight = vec2<f32>(pi, 1.0 - pi);
    m.mean = mean;
    m.sigma = sigma;
    m.inv_sigma = 1.0 / sigma;
    m.boundary = select(0u, 1u, pi <= 0.0 || pi >= 1.0);
    let d = mean.x - mean.y;
    let v1 = sigma.x * sigma.x;
    let v2 = sigma.y * sigma.y;
    // a = (1/σ2² − 1/σ1²)/2 written as a product, exact 0 when σ1 = σ2 and without the
    // cancellation of two reciprocals when they are close.
    m.a = 0.5 * (sigma.x - sigma.y) * (sigma.x + sigma.y) / (v1 * v2);
    m.b = d / v2;
    m.log_sigma_ratio = log(sigma.y / sigma.x);
    m.c_phi = m.log_sigma_ratio + 0.5 * d * d / v2;
    if m.boundary == 0u {
        m.log_norm = vec2<f32>(log(pi) - log(sigma.x), log(1.0 - pi) - log(sigma.y)) - LN_SQRT_2PI;
        m.logit_w = log(pi) - log(1.0 - pi);
    } else {
        m.log_norm = vec2<f32>(-log(sigma.x), -log(sigma.y)) - LN_SQRT_2PI;
        m.logit_w = select(-SATURATED_LOG_RATIO, SATURATED_LOG_RATIO, pi >= 1.0);
    }
    return m;
}

// ln(φ1(y)/φ2(y)) = ln(σ2/σ1) + ½(z2 − z1)(z2 + z1): the log-ratio without the weights, at
// standardized positions z. The difference z2 − z1 is taken whichever way rounds less here:
// directly (error ~ε(|z1| + |z2|): a narrow component far from the other) or as
// ((σ1 − σ2)(y − μ1) + σ1(μ1 − μ2))/(σ1σ2) (error ~ε(|σ1 − σ2||z1| + |μ1 − μ2|)/σ2: nearly
// equal components, where the direct difference of two large z's would cancel). The
// polynomial (a·y' + b)·y' + c_phi is avoided: centred on μ1, its terms grow like d²/σ2² and
// cancel near a narrow second component (2.8e-5 of F_σ2σ2 at σ2 = σ1/20, means 1.8σ1 apart).
fn log_phi_ratio(m: Mixture, z: vec2<f32>) -> f32 {
    let sigma_diff = m.sigma.x - m.sigma.y;
    let mean_diff = m.mean.x - m.mean.y;
    let direct = z.y - z.x;
    let formula = (sigma_diff * (z.x * m.sigma.x) + m.sigma.x * mean_diff) * (m.inv_sigma.x * m.inv_sigma.y);
    let direct_error = abs(z.x) + abs(z.y);
    let formula_error = (abs(sigma_diff) * abs(z.x) + abs(mean_diff)) * m.inv_sigma.y;
    let difference = select(direct, formula, formula_error < direct_error);
    return m.log_sigma_ratio + 0.5 * difference * (z.x + z.y);
}

// 1 − e^{−u} for u ≥ 0 without cancellation near 0: 2t/(1 + t), t = tanh(u/2).
fn one_minus_exp(u: f32) -> f32 {
    let t = stable_tanh(0.5 * u);
    return 2.0 * t / (1.0 + t);
}

// ln p(y) by log-sum-exp of the weighted component log-densities.
fn mixture_log_density(m: Mixture, y: f32) -> f32 {
    let z1 = (y - m.mean.x) * m.inv_sigma.x;
    let z2 = (y - m.mean.y) * m.inv_sigma.y;
    let e1 = m.log_norm.x - 0.5 * z1 * z1;
    let e2 = m.log_norm.y - 0.5 * z2 * z2;
    if m.boundary != 0u {
        return select(e2, e1, m.weight.x >= 1.0);
    }
    let hi = max(e1, e2);
    return hi + log(1.0 + exp(-abs(e1 - e2)));
}

// ln p at a node of `m` from its state: the larger weighted log-density plus
// ln(1 + e^{−|ℓ|}), reusing the responsibilities' exponential (on the weight boundary ℓ is
// saturated, the tail 0, and the one component's log-density is picked).
fn node_log_density(m: Mixture, s: NodeState) -> f32 {
    let e1 = m.log_norm.x - 0.5 * s.z.x * s.z.x;
    let e2 = m.log_norm.y - 0.5 * s.z.y * s.z.y;
    return select(e2, e1, s.log_ratio >= 0.0) + log(1.0 + s.tail);
}

// What the scores at one node are built from.
struct NodeState {
    r: vec2<f32>,            // (r1, r2)
    z: vec2<f32>,            // ((y − μ1)/σ1, (y − μ2)/σ2)
    log_phi: f32,            // ln(φ1/φ2)
    log_ratio: f32,          // ℓ = ln(πφ1/((1 − π)φ2))
    tail: f32,               // e^{−|ℓ|}
}

fn node_state(m: Mixture, y: f32) -> NodeState {
    var s: NodeState;
    s.z = vec2<f32>((y - m.mean.x) * m.inv_sigma.x, (y - m.mean.y) * m.inv_sigma.y);
    let lphi = log_phi_ratio(m, s.z);
    // (r1, r2) = (logistic(ℓ), logistic(−ℓ)) from one exponential, e^{−|ℓ|}.
    let l = lphi + m.logit_w;
    let e = exp(-abs(l));
    let near = 1.0 / (1.0 + e);
    let far = e / (1.0 + e);
    s.r = select(vec2<f32>(far, near), vec2<f32>(near, far), l >= 0.0);
    s.log_ratio = l;
    s.tail = e;
    s.log_phi = lphi;
    return s;
}

// ∂ log p / ∂ψ_k for one parameter k (PARAM_*). The π score is (φ1 − φ2)/p written as
// (r1/π)(1 − φ2/φ1) or −(r2/(1 − π))(1 − φ1/φ2), whichever has the ratio ≤ 1: it keeps full
// relative precision where the components coincide and the MATH.md form r1/π − r2/(1 − π)
// cancels. Undefined on the weight boundary (a slice there never varies π).
fn score(m: Mixture, s: NodeState, k: u32) -> f32 {
    switch k {
        case 0u: {
            if s.log_phi >= 0.0 {
                return s.r.x / m.weight.x * one_minus_exp(s.log_phi);
            }
            return -s.r.y / m.weight.y * one_minus_exp(-s.log_phi);
        }
        case 1u: {
            return s.r.x * s.z.x * m.inv_sigma.x;
        }
        case 2u: {
            return s.r.y * s.z.y * m.inv_sigma.y;
        }
        case 3u: {
            return s.r.x * (s.z.x * s.z.x - 1.0) * m.inv_sigma.x;
        }
        default: {
            return s.r.y * (s.z.y * s.z.y - 1.0) * m.inv_sigma.y;
        }
    }
}

// The smallest T with Q(T)·(1 + T²)² ≤ GENERAL_TAIL·w², w the smallest positive weight
// (Q(T) ≤ φ(T)/T; fixed-point iteration on T, monotone from T = 8).
fn truncation_sigmas(min_weight: f32) -> f32 {
    let w = clamp(min_weight, 1e-12, 1.0);
    let bound = GENERAL_TAIL * w * w;
    var t = 8.0;
    for (var i = 0u; i < 6u; i++) {
        let poly = (1.0 + t * t) * (1.0 + t * t) / (t * SQRT_2PI);
        t = sqrt(2.0 * log(poly / bound));
    }
    return clamp(t, TRUNCATION_MIN, TRUNCATION_MAX);
}

// The smallest positive weight of a mixture.
fn min_weight(m: Mixture) -> f32 {
    if m.boundary != 0u {
        return 1.0;
    }
    return min(m.weight.x, m.weight.y);
}

// The ascending panel edges of one component's window [lo, hi].
struct Window {
    edges: array<f32, GENERAL_MAX_EDGES>,
    count: u32,              // edges in use (panels = count − 1)
    dropped: u32,            // splits inside the window that did not fit
}

fn make_window(lo: f32, hi: f32) -> Window {
    var w: Window;
    w.edges[0] = lo;
    w.edges[1] = hi;
    w.count = 2u;
    w.dropped = 0u;
    return w;
}

// Inserts a split in sorted order (insertion sort: at most GENERAL_MAX_EDGES entries);
// ignores one outside the open window or equal to an edge, counts one that does not fit.
fn insert_split(w: ptr<function, Window>, x: f32) {
    let n = (*w).count;
    if !(x > (*w).edges[0] && x < (*w).edges[n - 1u]) {
        return;
    }
    if n >= GENERAL_MAX_EDGES {
        (*w).dropped += 1u;
        return;
    }
    var i = n - 1u;
    loop {
        let e = (*w).edges[i];
        if e == x {
            // Already an edge: shift back what was moved and stop.
            for (var j = i + 1u; j < n; j++) {
                (*w).edges[j] = (*w).edges[j + 1u];
            }
            return;
        }
        if e < x {
            break;
        }
        (*w).edges[i + 1u] = e;
        i -= 1u;
    }
    (*w).edges[i + 1u] = x;
    (*w).count = n + 1u;
}

// The switch points of a mixture: the real roots of ℓ (stable quadratic formula) and their
// widths w = 1/|ℓ'|. `count` is 0, 1 or 2.
struct SwitchPoints {
    x: vec2<f32>,
    width: vec2<f32>,
    count: u32,
}

fn switch_points(m: Mixture) -> SwitchPoints {
    var out: SwitchPoints;
    out.count = 0u;
    if m.boundary != 0u {
        return out;
    }
    let a = m.a;
    let b = m.b;
    let c = m.c_phi + m.logit_w;
    var ys = vec2<f32>(0.0);
    if a == 0.0 {
        if b != 0.0 {
            ys.x = -c / b;
            out.count = 1u;
        }
    } else {
        let disc = b * b - 4.0 * a * c;
        if disc >= 0.0 {
            let q = -0.5 * (b + select(-sqrt(disc), sqrt(disc), b >= 0.0));
            if q == 0.0 {
                out.count = 1u;
            } else {
                ys = vec2<f32>(q / a, c / q);
                out.count = 2u;
            }
        }
    }
    out.x = m.mean.x + ys;
    let slope = abs(2.0 * a * ys + b);
    out.width = select(vec2<f32>(0.0), 1.0 / slope, slope > vec2<f32>(0.0));
    return out;
}

// The centre and primary splits (roots, vertex) of one mixture.
fn insert_primary(w: ptr<function, Window>, m: Mixture) {
    let sp = switch_points(m);
    for (var i = 0u; i < sp.count; i++) {
        insert_split(w, sp.x[i]);
    }
    if m.boundary == 0u && m.a != 0.0 {
        insert_split(w, m.mean.x - m.b / (2.0 * m.a));
    }
}

// The graded splits at ±k·(width) around each root and the vertex of one mixture.
fn insert_grades(w: ptr<function, Window>, m: Mixture, k: f32) {
    let sp = switch_points(m);
    for (var i = 0u; i < sp.count; i++) {
        if sp.width[i] > 0.0 {
            insert_split(w, sp.x[i] - k * sp.width[i]);
            insert_split(w, sp.x[i] + k * sp.width[i]);
        }
    }
    if m.boundary == 0u && m.a != 0.0 {
        let v = m.mean.x - m.b / (2.0 * m.a);
        let s = 1.0 / sqrt(2.0 * abs(m.a));
        insert_split(w, v - k * s);
        insert_split(w, v + k * s);
    }
}

// The window of component c of `under`: [μc − Tσc, μc + Tσc] split at μc and at the splits of
// `first` (and of `second` when `two`), in priority order: centre, primary splits, near grades,
// far grades (so a full window keeps the splits nearest the switch).
fn component_window(under: Mixture, c: u32, t: f32, first: Mixture, second: Mixture, two: bool) -> Window {
    let centre = under.mean[c];
    let half = t * under.sigma[c];
    var w = make_window(centre - half, centre + half);
    insert_split(&w, centre);
    insert_primary(&w, first);
    if two {
        insert_primary(&w, second);
    }
    insert_grades(&w, first, GRADE_NEAR);
    if two {
        insert_grades(&w, second, GRADE_NEAR);
    }
    insert_grades(&w, first, GRADE_FAR);
    if two {
        insert_grades(&w, second, GRADE_FAR);
    }
    return w;
}

// Sums of one quadrature pass.
struct PassSums {
    sums: vec3<f32>,
    nodes: u32,              // integrand evaluations
    dropped: u32,            // splits dropped over all windows
}

// Node k of the panel [lo, hi] of component c of `under`: (y, weight with the component's
// density folded in). Both passes below walk their windows' panels with it; the mirror's
// `window_sums` does the same walk with the integrand as a closure.
fn panel_node(under: Mixture, c: u32, lo: f32, hi: f32, k: u32) -> vec2<f32> {
    let half_width = 0.5 * (hi - lo);
    let middle = 0.5 * (hi + lo);
    let scale = half_width * INV_SQRT_2PI * under.inv_sigma[c];
    let node = quadrature_nodes[k];
    let y = middle + half_width * node.x;
    let zc = (y - under.mean[c]) * under.inv_sigma[c];
    return vec2<f32>(y, scale * node.y * exp(-0.5 * zc * zc));
}

// E_model[(p1², p1·p2, p2²)] with p = B·(s_a, s_b), B the orthonormal basis with rows
// `basis[0]`, `basis[1]` (identity: the standard-basis block). Each panel is summed on its own
// before being added to the total (a two-level sum: the rounding of one long running sum would
// otherwise reach ~1e-6 relative, which κ amplifies in λ_min).
fn fisher_pass(m: Mixture, slice: vec2<u32>, basis: mat2x2<f32>, t: f32, panel_nodes: u32) -> PassSums {
    var out: PassSums;
    out.sums = vec3<f32>(0.0);
    out.nodes = 0u;
    out.dropped = 0u;
    for (var c = 0u; c < 2u; c++) {
        if m.weight[c] <= 0.0 {
            continue;
        }
        let w = component_window(m, c, t, m, m, false);
        out.dropped += w.dropped;
        var component = vec3<f32>(0.0);
        for (var p = 0u; p + 1u < w.count; p++) {
            var panel = vec3<f32>(0.0);
            for (var k = 0u; k < panel_nodes; k++) {
                let yw = panel_node(m, c, w.edges[p], w.edges[p + 1u], k);
                let y = yw.x;
                let weight = yw.y;
                let st = node_state(m, y);
                let s = vec2<f32>(score(m, st, slice.x), score(m, st, slice.y));
                let q = basis * s;
                panel += weight * vec3<f32>(q.x * q.x, q.x * q.y, q.y * q.y);
            }
            component += panel;
            out.nodes += panel_nodes;
        }
        out.sums += m.weight[c] * component;
    }
    return out;
}

// E_target[(s_a, s_b, ln p* − ln p)] (the model's scores): −∇L and L. Splits from both
// mixtures (ln p* switches too), truncation from both.
fn target_pass(m: Mixture, target_mix: Mixture, slice: vec2<u32>, t: f32, panel_nodes: u32) -> PassSums {
    var out: PassSums;
    out.sums = vec3<f32>(0.0);
    out.nodes = 0u;
    out.dropped = 0u;
    for (var c = 0u; c < 2u; c++) {
        if target_mix.weight[c] <= 0.0 {
            continue;
        }
        let w = component_window(target_mix, c, t, m, target_mix, true);
        out.dropped += w.dropped;
        var component = vec3<f32>(0.0);
        for (var p = 0u; p + 1u < w.count; p++) {
            var panel = vec3<f32>(0.0);
            for (var k = 0u; k < panel_nodes; k++) {
                let yw = panel_node(target_mix, c, w.edges[p], w.edges[p + 1u], k);
                let y = yw.x;
                let weight = yw.y;
                let st = node_state(m, y);
                let s = vec2<f32>(score(m, st, slice.x), score(m, st, slice.y));
                let log_ratio = mixture_log_density(target_mix, y) - node_log_density(m, st);
                panel += weight * vec3<f32>(s, log_ratio);
            }
            component += panel;
            out.nodes += panel_nodes;
        }
        out.sums += target_mix.weight[c] * component;
    }
    return out;
}
