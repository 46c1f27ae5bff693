// The general two-component mixture p = π N(μ1, σ1²) + (1 − π) N(μ2, σ2²) in f32 (MATH.md,
// "The general two-component mixture and its slices"): responsibilities as logistics of the
// quadratic log-ratio ℓ, scores for the two slice parameters only, panel splits at the roots
// and vertex of ℓ with graded splits (walked in registers, no per-lane arrays), the derived
// truncation, F's pass over the model's windows (with the refinement and the profiled metric's
// passes), and the union pass: F, ∇L, L and the empirical Fisher on one set of nodes over all
// four components' windows. CPU twin: `src/cpu/general/` (same names, same constants); f64
// reference: `src/math/general/`, whose splits and grades this follows.
//
// Contract with the including shader: it declares
//     var<uniform> quadrature_nodes: array<vec4<f32>, 256>;   // (ξ_j, ω_j, 0, 0) on [-1, 1]
// holding the n-point Gauss–Legendre rule (n nodes per panel).
//
// Frame: every position is taken relative to the model's μ1 ("the y frame"), so the
// quadrature nodes near the model's components keep their precision however large μ1 is.
//
// The last section, `evaluate_general_mixtures`, is everything at one point (F's slice block —
// induced or profiled —, its eigen-decomposition, ∇L, L, ñ, the angle, the empirical Fisher's
// block) from the two mixtures in the y frame. Its callers: fim_general.wgsl (entry points `points` and `grid`) and
// particles.wgsl (general mode), which builds the mixtures from a particle's position.

// The 2×2 algebra (sym2) and log_ratio_1p come from the seed's file; the output record from
// field_cell.wgsl.
// #include <common/gmm.wgsl>
// #include <common/field_cell.wgsl>

const PARAM_PI: u32 = 0u;
const PARAM_MU1: u32 = 1u;
const PARAM_MU2: u32 = 2u;
const PARAM_SIGMA1: u32 = 3u;
const PARAM_SIGMA2: u32 = 4u;

// Graded splits at r ± k·w around each switch point r (w the logistic's width) and v ± k·s
// around the vertex (s = 1/√(2|a|)): the f64 rule's levels.
const GRADE_NEAR: f32 = 3.0;
const GRADE_FAR: f32 = 12.0;
// A switch's graded neighbours join a union window's edges only where its width is at most this
// fraction of the narrowest σ (see union_splits).
const UNION_GRADE_LIMIT: f32 = 0.5;
// The graded neighbours' distance, in widths, in a union window without the target's switch
// points (a velocity's; with them GRADE_NEAR): the logistic's tail beyond r ± kw is e^{−k} of
// its height, and the panel outside begins with it. Where nothing else cuts that panel short
// (the target's switch points often did), k = 3 missed ∇L by 1.2e-3 at the σ slice's σ1 → 0
// edge, k = 6 by 5e-5 (CPU twin: cpu::general::UNION_VELOCITY_GRADE).
const UNION_VELOCITY_GRADE: f32 = 6.0;
// A centre or window end this close (in the narrowest σ) below a switch split yields to it.
const UNION_YIELD: f32 = 0.25;
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
    inv_weight: vec2<f32>,   // (1/π, 1/(1 − π)), for the weight's score
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
    m.inv_weight = 1.0 / m.weight;
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
    return node_top_log_density(m, s) + log(1.0 + s.tail);
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
    let far = e * near;
    s.r = select(vec2<f32>(far, near), vec2<f32>(near, far), l >= 0.0);
    s.log_ratio = l;
    s.tail = e;
    s.log_phi = lphi;
    return s;
}

// ∂ log p/∂π = (φ1 − φ2)/p without an exponential or a branch. Where u = |ln φ1/φ2| ≤ 2 it
// is (r_c/w_c)(1 − e^{−u}), c the component whose φ is the larger (the sign), with
// 1 − e^{−u} = 2t/(1 + t) and t = tanh(u/2) from stable_tanh's Padé approximant, folded into
// one division: full relative precision where the components coincide, where the MATH.md form
// r1/π − r2/(1 − π) cancels. Beyond, that form itself: its terms then differ by a factor of at
// least e², so it loses under 1.4 ulp. (The former form took 1 − e^{−u} from an exponential on
// both sides of a branch; llvmpipe runs both sides under a mask, and every case of `score`'s
// switch, so every node of every slice paid two exponentials for it.) Undefined on the weight
// boundary (a slice there never varies π).
fn weight_score(m: Mixture, s: NodeState) -> f32 {
    let u = abs(s.log_phi);
    let a = 0.5 * u;
    let a2 = a * a;
    let num = a * (135135.0 + a2 * (17325.0 + a2 * (378.0 + a2)));
    let den = 135135.0 + a2 * (62370.0 + a2 * (3150.0 + 28.0 * a2));
    let one_minus_exp = 2.0 * num / (den + num);
    let first = s.r.x * m.inv_weight.x;
    let second = s.r.y * m.inv_weight.y;
    let larger = select(-second, first, s.log_phi >= 0.0);
    return select(first - second, larger * one_minus_exp, u <= 2.0);
}

// Whether `score` may be asked for the weight's score. An entry point for slices that do not
// vary π, under the induced metric (the profiled one reads π's scores on every slice), sets it
// to false before anything else (particles.wgsl's step_general_fixed_weight):
// the driver inlines every call and folds the constant, so weight_score's Padé approximant and
// its division leave that pipeline's compiled node (a select still evaluates both sides: the
// particles of the unequal preset stepped ~20% faster without it). The other entry points
// leave it true and compute exactly what they did; the scores are the same either way.
var<private> weight_score_live: bool = true;
// Whether evaluate_general_mixtures may be asked for the profiled metric: the same entry point
// sets it to false, which drops the 5 × 5 passes from its code (lavapipe then creates that
// pipeline in ~280 ms, not ~440 ms).
var<private> profiled_metric_live: bool = true;

// ∂ log p / ∂ψ_k for one parameter k (PARAM_*), by selects rather than a switch: llvmpipe runs
// every case of a switch under a mask, so the cases are all formed anyway (cheap products but
// the weight's, whose work two calls at one node share).
fn score(m: Mixture, s: NodeState, k: u32) -> f32 {
    let first = k == PARAM_MU1 || k == PARAM_SIGMA1;
    let r = select(s.r.y, s.r.x, first);
    let z = select(s.z.y, s.z.x, first);
    let inv_sigma = select(m.inv_sigma.y, m.inv_sigma.x, first);
    let shape = select(z * z - 1.0, z, k == PARAM_MU1 || k == PARAM_MU2);
    return select(r * shape * inv_sigma, weight_score(m, s), weight_score_live && k == PARAM_PI);
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

// The candidate panel edges one mixture contributes: the real roots of ℓ and (σ1 ≠ σ2) its
// vertex, each with graded neighbours at ±GRADE_NEAR and ±GRADE_FAR widths. Sixteen slots in
// four vectors (the last unused); an absent split is NO_SPLIT, which no window contains.
// Held in registers and searched with vector compares (`next_split`): no array indexed per lane,
// no sorting, so every SIMD lane runs the same instructions (an earlier kernel kept the edges
// in a sorted per-lane array, which llvmpipe spilled to memory: 10× its CPU mirror's cost).
struct Splits {
    a: vec4<f32>,            // roots r1, r2, vertex v, (unused)
    b: vec4<f32>,            // r1 ∓ 3w1, r2 ∓ 3w2
    c: vec4<f32>,            // v ∓ 3s, r1 ∓ 12w1
    d: vec4<f32>,            // r2 ∓ 12w2, v ∓ 12s
}

const NO_SPLIT: f32 = 3.0e38;

fn no_splits() -> Splits {
    let none = vec4<f32>(NO_SPLIT);
    return Splits(none, none, none, none);
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

// A mixture's candidate splits (see Splits); without `far`, the ±GRADE_FAR ones are left out.
// A root with zero width (ℓ' = 0) puts its grades on itself, where they merge with it.
fn mixture_splits(m: Mixture, far: bool) -> Splits {
    let sp = switch_points(m);
    let r = select(vec2<f32>(NO_SPLIT), sp.x, vec2<u32>(0u, 1u) < vec2<u32>(sp.count));
    let has_vertex = m.boundary == 0u && m.a != 0.0;
    let v = select(NO_SPLIT, m.mean.x - m.b / (2.0 * m.a), has_vertex);
    let s = select(0.0, inverseSqrt(2.0 * abs(m.a)), has_vertex);
    let w = sp.width;
    var out: Splits;
    out.a = vec4<f32>(r, v, NO_SPLIT);
    out.b = vec4<f32>(r.x - GRADE_NEAR * w.x, r.x + GRADE_NEAR * w.x, r.y - GRADE_NEAR * w.y,
        r.y + GRADE_NEAR * w.y);
    out.c = vec4<f32>(v - GRADE_NEAR * s, v + GRADE_NEAR * s, r.x - GRADE_FAR * w.x,
        r.x + GRADE_FAR * w.x);
    out.d = vec4<f32>(r.y - GRADE_FAR * w.y, r.y + GRADE_FAR * w.y, v - GRADE_FAR * s,
        v + GRADE_FAR * s);
    if !far {
        out.c = vec4<f32>(out.c.xy, NO_SPLIT, NO_SPLIT);
        out.d = vec4<f32>(NO_SPLIT);
    }
    // NO_SPLIT ± a grade is still far outside every window (and NaN never passes `>`).
    return out;
}

// The smallest split of `s` above `cur` (NO_SPLIT when none).
fn next_split(s: Splits, cur: f32) -> f32 {
    let none = vec4<f32>(NO_SPLIT);
    let above = vec4<f32>(cur);
    let m = min(min(select(none, s.a, s.a > above), select(none, s.b, s.b > above)),
        min(select(none, s.c, s.c > above), select(none, s.d, s.d > above)));
    return min(min(m.x, m.y), min(m.z, m.w));
}

// One component's window [lo, hi] of `under` and the splits inside it: its centre and the
// candidate splits of one or two mixtures (those outside the window are never reached). Its
// panels are walked in ascending order with `window_next`:
//     var lo = w.lo;
//     for (var p = 0u; p < GENERAL_MAX_PANELS; p++) {
//         if !(lo < w.hi) { break; }
//         let hi = window_next(w, lo);
//         … the panel [lo, hi] …
//         lo = hi;
//     }
// (every split counts once, duplicates merge: the panels are those of the sorted, de-duplicated
// edge list).
struct Window {
    lo: f32,
    hi: f32,
    centre: f32,
    first: Splits,
    second: Splits,
}

// Splits a window can hold: the centre, the 15 candidates of the first mixture and the 9 near
// ones of the second, so a window never has more than GENERAL_MAX_SPLITS + 1 panels.
const GENERAL_MAX_SPLITS: u32 = 25u;
const GENERAL_MAX_PANELS: u32 = 26u;

// The window of component c of `under`: [μc − Tσc, μc + Tσc] split at μc and at the splits of
// `first` (the model), and when `two` at the near splits of `second` (a target pass over the
// target's windows: convergence.wgsl's loss pass; the target's own switches, where only ln p*
// kinks). The model's far grades are needed (without them F's λ_min loses 5e-4 of ‖F‖ in f64
// where a narrow component switches, and ∇L 2.3e-3 at σ2 = 0.17 against σ1 = 1.8); the
// target's far grades are not (measured in tests/gpu_general.rs when the field's target pass
// still used these windows: ∇L within 1.3e-4, L 7e-5 of tolerances 1e-3).
fn component_window(under: Mixture, c: u32, t: f32, first: Mixture, second: Mixture, two: bool) -> Window {
    var w: Window;
    w.centre = under.mean[c];
    let half = t * under.sigma[c];
    w.lo = w.centre - half;
    w.hi = w.centre + half;
    w.first = mixture_splits(first, true);
    if two {
        w.second = mixture_splits(second, false);
    } else {
        w.second = no_splits();
    }
    return w;
}

// The panel edge after `cur`: the nearest split above it, or the window's end.
fn window_next(w: Window, cur: f32) -> f32 {
    let centre = select(NO_SPLIT, w.centre, w.centre > cur);
    return min(min(w.hi, centre), min(next_split(w.first, cur), next_split(w.second, cur)));
}

// Sums of one quadrature pass.
struct PassSums {
    sums: vec3<f32>,
    nodes: u32,              // integrand evaluations
}

// Node k of the panel [lo, hi] of component c of `under`: (y, weight with the component's
// density folded in). Both passes below walk their windows' panels with it; the mirror's
// `window_sums` does the same walk with the integrand as a closure.
fn panel_node(under: Mixture, c: u32, lo: f32, hi: f32, k: u32) -> vec2<f32> {
    let half_width = 0.5 * (hi - lo);
    let middle = 0.5 * (hi + lo);
    let scale = half_width * INV_SQRT_2PI * under.inv_sigma[c];
    let node = quadrature_nodes[k].xy;
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
    for (var c = 0u; c < 2u; c++) {
        if m.weight[c] <= 0.0 {
            continue;
        }
        let w = component_window(m, c, t, m, m, false);
        var component = vec3<f32>(0.0);
        var hi = w.lo;
        for (var p = 0u; p < GENERAL_MAX_PANELS; p++) {
            let lo = hi;
            if !(lo < w.hi) {
                break;
            }
            hi = window_next(w, lo);
            var panel = vec3<f32>(0.0);
            for (var k = 0u; k < panel_nodes; k++) {
                let yw = panel_node(m, c, lo, hi, k);
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

// The pass for the target's half, and in the full evaluation for F too (CPU twin:
// cpu::general::union_pass): F's block under the model
// and the target's sums (−∇L, L, the EF's block) under the target, on one set of nodes over the
// union of all four components' windows. Each node evaluates the model's scores once and
// weighs them by p(y) for F and by p*(y) for the rest (both densities from the responsibilities'
// exponentials: p = e^{max(e1, e2)}·(1 + e^{−|ℓ|}); ln p* − ln p without a logarithm, by
// log_ratio_1p), where the separate passes evaluated the scores twice (F's windows and the
// target's) and folded one component's Gaussian into each window's weights.
//
// Edges: the union's ends, each weighted component's centre and window ends (μc ± Tσc: they
// bound a narrow component's panels), and the switch splits of both mixtures (union_splits:
// the roots; their ±3w neighbours only where the switch is sharp, w ≤ ½σ_min; the vertex only
// without two roots); the far grades are not needed, the window ends and the other centres cut
// the long panels instead. A centre or window end within the smallest σ of the last edge is
// skipped (the four windows' ends often cluster in the far tails; nothing there varies faster
// than that σ, while the switch splits, which may be sharper, are always kept), and one within
// ¼σ_min below a switch split yields to it (no sliver panel). Measured with an f64 prototype
// of the first rule (16 nodes per panel, every near split) against a dense reference over the
// test presets' points and the narrowest (σ1, σ2) cells: F within 6e-10 of ‖F‖, λ_min 4e-10,
// ∇L 7e-9, L 3e-11 and the EF 2e-9 relative — more accurate than the two passes, with at most
// 17 panels on the seed's slice against their 34 (29 against up to 82 where σ1 ≠ σ2).
// Issue 21 then dropped what the nodes resolve anyway (the broad switches' grades, the
// vertex's grades, the vertex between two roots, the slivers): panels per cell at the
// viewer's presets 12.8 → 11.5 (seed), 11.6 → 9.9 (weight-singularity), 23.8 → 13.6 (sigmas),
// 22.6 → 13.0 (mean-sigma), 24.2 → 14.1 (unequal), the f32 test errors against the f64
// references within their former digit (F ≤ 1.3e-6 of ‖F‖, ∇L ≤ 2e-5, the tolerances 1e-4
// and 1e-3).
struct UnionSums {
    fisher: vec3<f32>,       // E_model[(s_a², s_a·s_b, s_b²)]
    target_sums: vec3<f32>,  // E_target[(s_a, s_b, ln p* − ln p)]
    ef: vec3<f32>,           // E_target[(s_a², s_a·s_b, s_b²)]
}

// Panels of the fullest union window: four centres, eight window ends and five switch splits
// from each mixture inside make 23.
const UNION_MAX_PANELS: u32 = 23u;

// The union window: its ends and the three sets of candidate splits.
struct UnionWindow {
    lo: f32,
    hi: f32,
    merge: f32,              // a centre or window end closer than this to the last edge is skipped
    components: Splits,      // a: centres, b: window starts, c: window ends (NO_SPLIT unweighted)
    model_splits: Splits,
    target_splits: Splits,
}

// `target_switches`: whether the target's switch points are edges too. Only the loss needs them:
// ln p* turns a corner there (its log-sum-exp's, of width σ²/|Δ| between separated components)
// but p* itself is smooth, so ∇L = −E_p*[s] and the EF = E_p*[s sᵀ] are the model's scores
// (whose switch points are always edges) against a smooth density. A particle's velocity, which
// reads no L, walks 12–23% fewer panels on the σ presets and the weight slice without them.
fn union_window(m: Mixture, target_mix: Mixture, t: f32, target_switches: bool) -> UnionWindow {
    var w: UnionWindow;
    let weighted = vec4<bool>(m.weight.x > 0.0, m.weight.y > 0.0, target_mix.weight.x > 0.0,
        target_mix.weight.y > 0.0);
    let centres = vec4<f32>(m.mean, target_mix.mean);
    let halves = t * vec4<f32>(m.sigma, target_mix.sigma);
    let none = vec4<f32>(NO_SPLIT);
    let starts = centres - halves;
    let ends = centres + halves;
    w.components = Splits(select(none, centres, weighted), select(none, starts, weighted),
        select(none, ends, weighted), none);
    let lows = select(none, starts, weighted);
    let highs = select(-none, ends, weighted);
    w.lo = min(min(lows.x, lows.y), min(lows.z, lows.w));
    w.hi = max(max(highs.x, highs.y), max(highs.z, highs.w));
    let sigmas = select(none, vec4<f32>(m.sigma, target_mix.sigma), weighted);
    w.merge = min(min(sigmas.x, sigmas.y), min(sigmas.z, sigmas.w));
    let grade = select(UNION_VELOCITY_GRADE, GRADE_NEAR, target_switches);
    w.model_splits = union_splits(m, w.merge, grade);
    w.target_splits = no_splits();
    if target_switches {
        w.target_splits = union_splits(target_mix, w.merge, grade);
    }
    return w;
}

// A mixture's switch splits in a union window whose narrowest σ is `sigma_min`: the roots
// always; a root's ±grade·w neighbours only where w ≤ UNION_GRADE_LIMIT·σ_min (a wider
// logistic is as smooth as the Gaussians, and the panels' nodes resolve it); the vertex only
// where ℓ has fewer than two roots (between two roots the roots' panels resolve it); the
// vertex's grades and the far grades never. Slots as in Splits (c and d unused).
fn union_splits(m: Mixture, sigma_min: f32, grade: f32) -> Splits {
    let sp = switch_points(m);
    let none = vec2<f32>(NO_SPLIT);
    let r = select(none, sp.x, vec2<u32>(0u, 1u) < vec2<u32>(sp.count));
    let has_vertex = m.boundary == 0u && m.a != 0.0 && sp.count < 2u;
    let v = select(NO_SPLIT, m.mean.x - m.b / (2.0 * m.a), has_vertex);
    let graded = sp.width <= vec2<f32>(UNION_GRADE_LIMIT * sigma_min);
    let below = select(none, r - grade * sp.width, graded);
    let above = select(none, r + grade * sp.width, graded);
    var out: Splits;
    out.a = vec4<f32>(r, v, NO_SPLIT);
    out.b = vec4<f32>(below.x, above.x, below.y, above.y);
    out.c = vec4<f32>(NO_SPLIT);
    out.d = vec4<f32>(NO_SPLIT);
    return out;
}

// next_split over the slots union_splits fills (a and b).
fn next_switch_split(s: Splits, cur: f32) -> f32 {
    let none = vec4<f32>(NO_SPLIT);
    let above = vec4<f32>(cur);
    let m = min(select(none, s.a, s.a > above), select(none, s.b, s.b > above));
    return min(min(m.x, m.y), min(m.z, m.w));
}

// The nearest edge above `cur`. A centre or window end within UNION_YIELD·σ_min below the next
// switch split yields to it (no sliver panel).
fn union_next(w: UnionWindow, cur: f32) -> f32 {
    let component = next_split(w.components, cur + w.merge);
    let switch_split = min(next_switch_split(w.model_splits, cur),
        next_switch_split(w.target_splits, cur));
    let yields = switch_split - component < UNION_YIELD * w.merge;
    return min(w.hi, min(select(component, switch_split, yields), switch_split));
}

// The larger weighted log-density at a node, max(e1, e2), picked by ℓ's sign (the component
// whose responsibility is the larger); p = e^{that}·(1 + tail).
fn node_top_log_density(m: Mixture, s: NodeState) -> f32 {
    let e1 = m.log_norm.x - 0.5 * s.z.x * s.z.x;
    let e2 = m.log_norm.y - 0.5 * s.z.y * s.z.y;
    return select(e2, e1, s.log_ratio >= 0.0);
}

// The target at a node: its larger weighted log-density and e^{−|ℓ*|}, all that p* and ln p*
// need (node_state without the responsibilities).
struct DensityState {
    top: f32,
    tail: f32,
}

fn node_density(m: Mixture, y: f32) -> DensityState {
    let z = vec2<f32>((y - m.mean.x) * m.inv_sigma.x, (y - m.mean.y) * m.inv_sigma.y);
    let l = log_phi_ratio(m, z) + m.logit_w;
    let e1 = m.log_norm.x - 0.5 * z.x * z.x;
    let e2 = m.log_norm.y - 0.5 * z.y * z.y;
    return DensityState(select(e2, e1, l >= 0.0), exp(-abs(l)));
}

// UNION_LOSS_POSSIBLE (a bool const): every shader that includes this file defines it (WGSL
// resolves a module-scope const wherever it is declared). False in particles.wgsl, which never
// reads L, so that its compiled node holds neither the loss's logarithm nor the target's
// log-ratio: llvmpipe (Mesa 22) runs an `if` body under a mask whatever its condition, so a
// run-time `with_loss` of false still paid for both. Without them p* is e^{e1*} + e^{e2*}, two
// exponentials as before, without ℓ*'s careful difference (which only L's ln p* needs; the
// SIMD path does the same). A const, not an `override`: a module with an override is cloned
// and validated again for each pipeline made from it (naga's process_overrides), which slowed
// a debug build's start-up.

// Which of the union pass's sums a caller reads besides −∇L (bits of `sums`): F's block, L, the
// EF's block. What is not asked for stays 0 and costs nothing: the target-only pass skips F,
// a particle's velocity L (and the EF unless it follows the EF), an optimizer step the EF.
const UNION_FISHER: u32 = 1u;
const UNION_LOSS: u32 = 2u;
const UNION_EF: u32 = 4u;
const UNION_ALL: u32 = 7u;
// Not a sum but a choice of panels: the target's switch points are edges too, as UNION_LOSS
// implies (union_window's `target_switches`). CPU twin: cpu::general::union_target_switches.
const UNION_TARGET_SWITCHES: u32 = 8u;

// One node's terms of the union pass: F's, the target's and the EF's three each (CPU twin:
// cpu::general::union_node).
struct UnionTerms {
    fisher: vec3<f32>,
    target_sums: vec3<f32>,
    ef: vec3<f32>,
}

fn union_node(m: Mixture, target_mix: Mixture, slice: vec2<u32>, y: f32, weight: f32,
        with_fisher: bool, with_loss: bool, with_ef: bool) -> UnionTerms {
    var out: UnionTerms;
    let st = node_state(m, y);
    let top = node_top_log_density(m, st);
    var wt: f32;
    var loss_term = 0.0;
    if UNION_LOSS_POSSIBLE {
        let ts = node_density(target_mix, y);
        wt = weight * exp(ts.top) * (1.0 + ts.tail);
        if with_loss {
            loss_term = wt * ((ts.top - top) + log_ratio_1p(ts.tail, st.tail));
        }
    } else {
        let z = vec2<f32>((y - target_mix.mean.x) * target_mix.inv_sigma.x,
            (y - target_mix.mean.y) * target_mix.inv_sigma.y);
        // log_norm holds ln w_c except on the weight boundary, where w = (1, 0) or (0, 1).
        let e = exp(target_mix.log_norm - 0.5 * z * z);
        let weighted = select(e, e * target_mix.weight, target_mix.boundary != 0u);
        wt = weight * (weighted.x + weighted.y);
    }
    let s = vec2<f32>(score(m, st, slice.x), score(m, st, slice.y));
    // Weight first, then each score: far outside the model's components a score can
    // exceed 1e19 where the weight is 0, and s² would overflow (0·∞ is NaN).
    out.fisher = vec3<f32>(0.0);
    if with_fisher {
        let wps = (weight * exp(top) * (1.0 + st.tail)) * s;
        out.fisher = vec3<f32>(wps.x * s.x, wps.x * s.y, wps.y * s.y);
    }
    let wts = wt * s;
    out.target_sums = vec3<f32>(wts, loss_term);
    out.ef = vec3<f32>(0.0);
    if with_ef {
        out.ef = vec3<f32>(wts.x * s.x, wts.x * s.y, wts.y * s.y);
    }
    return out;
}

fn union_pass(m: Mixture, target_mix: Mixture, slice: vec2<u32>, t: f32, panel_nodes: u32,
        sums: u32) -> UnionSums {
    let with_fisher = (sums & UNION_FISHER) != 0u;
    let with_loss = (sums & UNION_LOSS) != 0u;
    let with_ef = (sums & UNION_EF) != 0u;
    var out: UnionSums;
    out.fisher = vec3<f32>(0.0);
    out.target_sums = vec3<f32>(0.0);
    out.ef = vec3<f32>(0.0);
    let w = union_window(m, target_mix, t, (sums & (UNION_LOSS | UNION_TARGET_SWITCHES)) != 0u);
    var hi = w.lo;
    for (var p = 0u; p < UNION_MAX_PANELS; p++) {
        let lo = hi;
        if !(lo < w.hi) {
            break;
        }
        hi = union_next(w, lo);
        let half_width = 0.5 * (hi - lo);
        let middle = 0.5 * (hi + lo);
        var panel_f = vec3<f32>(0.0);
        var panel_t = vec3<f32>(0.0);
        var panel_ef = vec3<f32>(0.0);
        // Two nodes per iteration, their terms added before the panel's sum. A node is one long
        // chain of dependent operations (the node's place, four exponentials, a division, the
        // scores), and a loop of one node a pass ran at that chain's latency: on llvmpipe a
        // node's code fills the CPU's reorder window, so consecutive nodes barely overlapped.
        // Two independent chains in one body do (particles on the unequal preset ~20% faster).
        // An odd rule's last node pairs with the table's zero entry (ξ = ω = 0: terms 0).
        for (var k = 0u; k < panel_nodes; k += 2u) {
            let first = quadrature_nodes[k];
            let second = quadrature_nodes[k + 1u];
            let a = union_node(m, target_mix, slice, middle + half_width * first.x,
                half_width * first.y, with_fisher, with_loss, with_ef);
            let b = union_node(m, target_mix, slice, middle + half_width * second.x,
                half_width * second.y, with_fisher, with_loss, with_ef);
            panel_f += a.fisher + b.fisher;
            panel_t += a.target_sums + b.target_sums;
            panel_ef += a.ef + b.ef;
        }
        out.fisher += panel_f;
        out.target_sums += panel_t;
        out.ef += panel_ef;
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Everything at one point (CPU twin: cpu::general::evaluate_general_mixtures).

// Bits of FieldCell.flags set by the general kernel only (Rust: src/gpu/general_data.rs).
// Reserved: the former kernel set it where a window's array dropped splits; windows now hold
// every split (component_window), so no kernel sets it.
const FLAG_SPLITS_DROPPED: u32 = 16u;
const FLAG_OUTSIDE_MODEL: u32 = 32u;     // grid cell outside the model: nothing computed
const FLAG_METRIC_UNDEFINED: u32 = 64u;  // the profiled metric is undefined here
// The metric on the slice (Rust: math::general::Metric::code).
const METRIC_INDUCED: u32 = 0u;          // the (a, b) block of F
const METRIC_PROFILED: u32 = 1u;         // its Schur complement F_ss − F_sn F_nn⁻¹ F_ns
// The profiled metric is reported undefined where a pivot of the held parameters' correlation
// matrix (F_nn scaled to unit diagonal) falls below this: the Schur complement's f32 rounding
// grows like ε/pivot (6e-5 relative to F_sn F_nn⁻¹ F_ns at the limit).
const PROFILE_MIN_PIVOT: f32 = 1e-3;

// Index of F_ij (i ≤ j) in the packed upper triangle of the 5×5 F (row-major).
fn tri_index(i: u32, j: u32) -> u32 {
    let lo = min(i, j);
    let hi = max(i, j);
    // Row lo starts after Σ_{r<lo} (5 − r) = lo(11 − lo)/2 entries.
    return lo * (11u - lo) / 2u + (hi - lo);
}

// The full F = E_model[s sᵀ] (all five scores), packed upper triangle, two-level sums as in
// fisher_pass. Only off the weight boundary (the π score is undefined there).
struct FullSums {
    sums: array<f32, 15>,
}

fn fisher_full_pass(m: Mixture, t: f32, panel_nodes: u32) -> FullSums {
    var out: FullSums;
    for (var k = 0u; k < 15u; k++) {
        out.sums[k] = 0.0;
    }
    for (var c = 0u; c < 2u; c++) {
        let w = component_window(m, c, t, m, m, false);
        var component: array<f32, 15>;
        for (var k = 0u; k < 15u; k++) {
            component[k] = 0.0;
        }
        var hi = w.lo;
        for (var p = 0u; p < GENERAL_MAX_PANELS; p++) {
            let lo = hi;
            if !(lo < w.hi) {
                break;
            }
            hi = window_next(w, lo);
            var panel: array<f32, 15>;
            for (var k = 0u; k < 15u; k++) {
                panel[k] = 0.0;
            }
            for (var k = 0u; k < panel_nodes; k++) {
                let yw = panel_node(m, c, lo, hi, k);
                let st = node_state(m, yw.x);
                // Written out, no loops: lavapipe's loop limiter counts a loop's iterations
                // across calls within one invocation (65535), and the particle kernel's RK4
                // evaluates this pass four times per step — with the 15 products in a nested
                // loop its third and fourth stages were cut short.
                let s0 = score(m, st, 0u);
                let s1 = score(m, st, 1u);
                let s2 = score(m, st, 2u);
                let s3 = score(m, st, 3u);
                let s4 = score(m, st, 4u);
                let w0 = yw.y * s0;
                let w1 = yw.y * s1;
                let w2 = yw.y * s2;
                let w3 = yw.y * s3;
                let w4 = yw.y * s4;
                panel[0] += w0 * s0;
                panel[1] += w0 * s1;
                panel[2] += w0 * s2;
                panel[3] += w0 * s3;
                panel[4] += w0 * s4;
                panel[5] += w1 * s1;
                panel[6] += w1 * s2;
                panel[7] += w1 * s3;
                panel[8] += w1 * s4;
                panel[9] += w2 * s2;
                panel[10] += w2 * s3;
                panel[11] += w2 * s4;
                panel[12] += w3 * s3;
                panel[13] += w3 * s4;
                panel[14] += w4 * s4;
            }
            for (var k = 0u; k < 15u; k++) {
                component[k] += panel[k];
            }
        }
        for (var k = 0u; k < 15u; k++) {
            out.sums[k] += m.weight[c] * component[k];
        }
    }
    return out;
}

// The profiled metric S = F_ss − F_sn F_nn⁻¹ F_ns from the packed F: F_nn is scaled to unit
// diagonal (the held parameters mix units) and factored by Cholesky, C = LLᵀ; then
// S = F_ss − WᵀW with W = L⁻¹ D F_ns (`block`), and the regression of the slice scores on the
// held ones, P = F_sn F_nn⁻¹ (rows `p_a`, `p_b` over the held parameters `held`). `block` is a
// difference of sums that cancels where S ≪ F_ss (1.5e-3 of ‖S‖ on the seed's slice); the
// kernel uses it only to choose a basis and accumulates S again as E[r rᵀ], r = s_s − P s_n
// (`residual_pass`), a sum of squares whose error is second order in P's. `defined` is false
// where a diagonal entry of F_nn is not positive or a pivot is below PROFILE_MIN_PIVOT.
struct Profiled {
    block: vec3<f32>,
    p_a: vec3<f32>,
    p_b: vec3<f32>,
    held: vec3<u32>,
    defined: bool,
}

fn profiled_block(f: array<f32, 15>, slice: vec2<u32>) -> Profiled {
    var out: Profiled;
    out.block = vec3<f32>(0.0);
    out.p_a = vec3<f32>(0.0);
    out.p_b = vec3<f32>(0.0);
    out.defined = false;
    // The held parameters, ascending.
    var n = vec3<u32>(0u);
    var count = 0u;
    for (var k = 0u; k < 5u; k++) {
        if k != slice.x && k != slice.y {
            n[count] = k;
            count += 1u;
        }
    }
    out.held = n;
    var d = vec3<f32>(0.0);
    for (var i = 0u; i < 3u; i++) {
        let fii = f[tri_index(n[i], n[i])];
        if !(fii > 0.0) {
            return out;
        }
        d[i] = inverseSqrt(fii);
    }
    let c10 = f[tri_index(n[1], n[0])] * d[1] * d[0];
    let c20 = f[tri_index(n[2], n[0])] * d[2] * d[0];
    let c21 = f[tri_index(n[2], n[1])] * d[2] * d[1];
    // Cholesky of the unit-diagonal C: L00 = 1.
    let l10 = c10;
    let l20 = c20;
    let p1 = 1.0 - l10 * l10;
    if !(p1 >= PROFILE_MIN_PIVOT) {
        return out;
    }
    let l11 = sqrt(p1);
    let l21 = (c21 - l20 * l10) / l11;
    let p2 = 1.0 - l20 * l20 - l21 * l21;
    if !(p2 >= PROFILE_MIN_PIVOT) {
        return out;
    }
    let l22 = sqrt(p2);
    // W = L⁻¹ B, B_ic = d_i F(n_i, s_c); rows i, columns (a, b).
    var w0 = d[0] * vec2<f32>(f[tri_index(n[0], slice.x)], f[tri_index(n[0], slice.y)]);
    var w1 = d[1] * vec2<f32>(f[tri_index(n[1], slice.x)], f[tri_index(n[1], slice.y)]);
    var w2 = d[2] * vec2<f32>(f[tri_index(n[2], slice.x)], f[tri_index(n[2], slice.y)]);
    w1 = (w1 - l10 * w0) / l11;
    w2 = (w2 - l20 * w0 - l21 * w1) / l22;
    let f_ss = vec3<f32>(f[tri_index(slice.x, slice.x)], f[tri_index(slice.x, slice.y)],
        f[tri_index(slice.y, slice.y)]);
    out.block = f_ss - vec3<f32>(w0.x * w0.x + w1.x * w1.x + w2.x * w2.x,
        w0.x * w0.y + w1.x * w1.y + w2.x * w2.y, w0.y * w0.y + w1.y * w1.y + w2.y * w2.y);
    // P's rows: D L⁻ᵀ W (back substitution), column by column.
    let v2 = w2 / l22;
    let v1 = (w1 - l21 * v2) / l11;
    let v0 = w0 - l10 * v1 - l20 * v2;
    out.p_a = d * vec3<f32>(v0.x, v1.x, v2.x);
    out.p_b = d * vec3<f32>(v0.y, v1.y, v2.y);
    out.defined = true;
    return out;
}

// E_model[(q1², q1·q2, q2²)] with q = B·r, r = (s_a − p_a·s_n, s_b − p_b·s_n) the slice scores'
// residuals after regression on the held scores (see profiled_block), B as in fisher_pass.
fn residual_pass(m: Mixture, slice: vec2<u32>, prof: Profiled, basis: mat2x2<f32>, t: f32,
        panel_nodes: u32) -> PassSums {
    var out: PassSums;
    out.sums = vec3<f32>(0.0);
    out.nodes = 0u;
    for (var c = 0u; c < 2u; c++) {
        let w = component_window(m, c, t, m, m, false);
        var component = vec3<f32>(0.0);
        var hi = w.lo;
        for (var p = 0u; p < GENERAL_MAX_PANELS; p++) {
            let lo = hi;
            if !(lo < w.hi) {
                break;
            }
            hi = window_next(w, lo);
            var panel = vec3<f32>(0.0);
            for (var k = 0u; k < panel_nodes; k++) {
                let yw = panel_node(m, c, lo, hi, k);
                let st = node_state(m, yw.x);
                let s_n = vec3<f32>(score(m, st, prof.held.x), score(m, st, prof.held.y),
                    score(m, st, prof.held.z));
                let r = vec2<f32>(score(m, st, slice.x) - dot(prof.p_a, s_n),
                    score(m, st, slice.y) - dot(prof.p_b, s_n));
                let q = basis * r;
                panel += yw.y * vec3<f32>(q.x * q.x, q.x * q.y, q.y * q.y);
            }
            component += panel;
            out.nodes += panel_nodes;
        }
        out.sums += m.weight[c] * component;
    }
    return out;
}


// ñ = (F + λI)⁻¹g from F's eigen-decomposition (q_max, (λ_max, λ_min)): Σ q_i (q_i·g)/(λ_i + λ).
// The eigenvalues are the accurate ones (λ_min a sum of squares where F was refined), so ñ
// needs no second look at F; undefined where F + λI is singular to working precision
// (sym2's natural_gradient rule). CPU twin: cpu::general::natural_gradient_eigen.
fn natural_gradient_eigen(q_max: vec2<f32>, lambdas: vec2<f32>, damping: f32, g: vec2<f32>) -> NaturalGradient {
    let d = lambdas + vec2<f32>(damping);
    if !(d.y * SINGULAR_CONDITION > d.x) {
        return NaturalGradient(vec2<f32>(0.0), false);
    }
    let q_min = vec2<f32>(-q_max.y, q_max.x);
    return NaturalGradient(q_max * (dot(q_max, g) / d.x) + q_min * (dot(q_min, g) / d.y), true);
}

// The target's half of a cell whose metric half is done: L, ∇L, the empirical Fisher's block,
// ñ (from the cell's eigen-decomposition) and the angle, with the target's flags set anew. The
// full evaluation and the target-only grid pass (fim_general.wgsl's `grid_target`, run while a
// handle is dragged) both end here, so a dragged target gives the cells a fresh field would.
// CPU twin: cpu::general::with_target.
// `target_sums`: UNION_LOSS and UNION_EF where L and the EF are read (UNION_FISHER is ignored).
fn with_target(cell: FieldCell, m: Mixture, target_mix: Mixture, slice: vec2<u32>, damping: f32,
        panel_nodes: u32, target_sums: u32) -> FieldCell {
    let t_joint = truncation_sigmas(min(min_weight(m), min_weight(target_mix)));
    let joint = union_pass(m, target_mix, slice, t_joint, panel_nodes,
        target_sums & ~UNION_FISHER);
    return with_target_sums(cell, joint.target_sums, joint.ef, damping);
}

// The same from the target's sums: E_target[(s_a, s_b, ln p* − ln p)] and the EF's block.
fn with_target_sums(cell: FieldCell, sums: vec3<f32>, ef: vec3<f32>, damping: f32) -> FieldCell {
    var out = cell;
    var flags = (cell.flags & ~(FLAG_NATGRAD_UNDEFINED | FLAG_ANGLE_UNDEFINED)) | FLAG_HAS_TARGET;
    let grad = -sums.xy;
    out.grad = grad;
    out.loss = sums.z;
    out.ef_aa = ef.x;
    out.ef_ab = ef.y;
    out.ef_bb = ef.z;
    out.natgrad = vec2<f32>(0.0);
    out.angle_deg = 0.0;
    let nat = natural_gradient_eigen(cell.q_max, cell.eigenvalues, damping, grad);
    if nat.defined {
        out.natgrad = nat.value;
        out.angle_deg = angle_deg(grad, nat.value);
    } else {
        flags |= FLAG_NATGRAD_UNDEFINED;
    }
    if !nat.defined || out.angle_deg < 0.0 {
        flags |= FLAG_ANGLE_UNDEFINED;
        out.angle_deg = 0.0;
    }
    out.flags = flags;
    return out;
}

// Everything at one point from the model and target mixtures in the y frame: the slice's metric
// block in the standard basis (slice order) — the induced block F_ss, or the profiled block —,
// its eigen-decomposition and κ, and with a target L, ∇L, ñ = (G + λI)⁻¹∇L (G the chosen
// metric), the angle and the empirical Fisher's block E_{p*}[s sᵀ] (ef_aa, ef_ab, ef_bb; the
// induced block of the slice scores whatever the metric: the EF has no profiled form here). `theta` is left 0 for the caller. Where the profiled metric is
// undefined the cell carries FLAG_METRIC_UNDEFINED and zeros.
//
// Either metric is accumulated in the standard basis first; where that block's correlation is
// high (F11·F22 > REFINE_RATIO·det) it is accumulated again in the first block's eigenbasis
// (induced: F_ss once more; profiled: the residual pass always runs, in that basis or the
// standard one), so the small eigenvalue is a sum of squares.
//
// `target_sums` (UNION_LOSS, UNION_EF) says whether L and the EF are wanted: a particle's
// velocity reads neither (the EF flow only the EF), and they then stay 0 (F, ∇L, ñ and the
// angle are the same either way). The field asks for UNION_ALL.
fn evaluate_general_mixtures(m: Mixture, target_mix: Mixture, has_target: bool, slice: vec2<u32>,
        metric: u32, damping: f32, panel_nodes: u32, target_sums: u32) -> FieldCell {
    var out: FieldCell;
    var flags = 0u;
    let t_model = truncation_sigmas(min_weight(m));
    let identity = mat2x2<f32>(1.0, 0.0, 0.0, 1.0);
    // The basis the block was finally accumulated in (rows q_max, q_min; identity when not
    // refined), and the block there.
    var basis = identity;
    var refined = false;
    var f_acc: vec3<f32>;
    // The target's sums when the union pass made them (induced metric with a target).
    var joint: UnionSums;
    var have_joint = false;
    if profiled_metric_live && metric == METRIC_PROFILED {
        // π held at 0 or 1: F_ππ is undefined (infinite where ∫φ1²/φ2 diverges).
        if m.boundary != 0u {
            out.flags = FLAG_METRIC_UNDEFINED;
            return out;
        }
        let full = fisher_full_pass(m, t_model, panel_nodes);
        let prof = profiled_block(full.sums, slice);
        if !prof.defined {
            out.flags = FLAG_METRIC_UNDEFINED;
            return out;
        }
        if !(sym2_det(prof.block) * REFINE_RATIO > prof.block.x * prof.block.z) {
            basis = eigen_basis(sym2_eigen(prof.block).q_max);
            refined = true;
        }
        let res = residual_pass(m, slice, prof, basis, t_model, panel_nodes);
        f_acc = res.sums;
    } else {
        if has_target {
            // F and the target's sums on one set of nodes (union_pass).
            let t_joint = truncation_sigmas(min(min_weight(m), min_weight(target_mix)));
            joint = union_pass(m, target_mix, slice, t_joint, panel_nodes,
                UNION_FISHER | (target_sums & ~UNION_FISHER));
            have_joint = true;
            f_acc = joint.fisher;
        } else {
            f_acc = fisher_pass(m, slice, identity, t_model, panel_nodes).sums;
        }
        // Refine where the determinant cancels (NaN sums refine too, and stay NaN).
        if !(sym2_det(f_acc) * REFINE_RATIO > f_acc.x * f_acc.z) {
            basis = eigen_basis(sym2_eigen(f_acc).q_max);
            refined = true;
            let second = fisher_pass(m, slice, basis, t_model, panel_nodes);
            f_acc = second.sums;
        }
    }
    var f_std = f_acc;
    var eig = sym2_eigen(f_acc);
    if refined {
        // Back to the standard basis: F = Bᵀ G B.
        let bt = transpose(basis);
        let g = mat2x2<f32>(f_acc.x, f_acc.y, f_acc.y, f_acc.z);
        let f = bt * g * basis;
        f_std = vec3<f32>(f[0][0], f[0][1], f[1][1]);
        eig.q_max = bt * eig.q_max;
    }

    out.eigenvalues = vec2<f32>(eig.lambda_max, eig.lambda_min);
    out.fisher = vec4<f32>(f_std, eig.lambda_max * eig.lambda_min);
    out.q_max = eig.q_max;
    var kappa = 0.0;
    if eig.lambda_min > 0.0 {
        kappa = eig.lambda_max / eig.lambda_min;
    } else {
        flags |= FLAG_KAPPA_INFINITE;
    }
    out.rotated = vec4<f32>(sym2_rotate_basis(f_std), kappa);

    out.flags = flags;
    if have_joint {
        out = with_target_sums(out, joint.target_sums, joint.ef, damping);
    } else if has_target {
        out = with_target(out, m, target_mix, slice, damping, panel_nodes, target_sums);
    }
    return out;
}

// Whether ψ is inside the model for a slice: σ1, σ2 > 0, π in [0, 1], and π strictly inside
// (0, 1) when the slice varies π (Model::validate_for; NaN is outside).
fn inside_model(psi: array<f32, 5>, slice: vec2<u32>) -> bool {
    let pi = psi[PARAM_PI];
    let pi_varies = slice.x == PARAM_PI || slice.y == PARAM_PI;
    let weight_ok = select(pi >= 0.0 && pi <= 1.0, pi > 0.0 && pi < 1.0, pi_varies);
    return weight_ok && psi[PARAM_SIGMA1] > 0.0 && psi[PARAM_SIGMA2] > 0.0
        && abs(psi[PARAM_MU1]) < 1e30 && abs(psi[PARAM_MU2]) < 1e30 && psi[PARAM_SIGMA1] < 1e30
        && psi[PARAM_SIGMA2] < 1e30;
}
