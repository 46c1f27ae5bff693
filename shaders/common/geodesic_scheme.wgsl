// The geodesic ball's integrator, shared by every family (MATH.md, "Geodesics"): `rays`
// Fisher–Rao geodesics from the probe, one invocation per geodesic, integrated at unit speed
// with RK4 to length r and written straight into line segments the renderer draws as instances
// (no read-back). The scheme — start directions, samples, substep cap, budget and stop rule —
// is described in geodesic.wgsl's header; f64 mirror: src/cpu/geodesic.rs.
//
// Contract with the including shader (the family's half):
//   fn evaluate(u: vec2<f32>) -> Evaluation   the metric's jet in the accumulation basis at the
//                                             offset u, its coordinate scales, and STOP_* flags
//                                             (STOP_OUTSIDE outside the model, STOP_SINGULAR
//                                             where F is not safely positive definite);
//   fn scale_at(u: vec2<f32>) -> vec2<f32>    the step cap's coordinate scales ℓ at u.
// Families: the mixture (geodesic.wgsl) and the policy plane (geodesic_policy.wgsl).

// #include <common/sym2.wgsl>
// #include <common/metric_jet.wgsl>
// #include <common/policy.wgsl>

const WORKGROUP_SIZE: u32 = 64u;

// Stop flags (Rust: gpu::geodesic_data::STOP_*).
const STOP_SINGULAR: u32 = 1u;    // F not safely positive definite (κ > KAPPA_MAX)
const STOP_OUTSIDE: u32 = 2u;     // left the model
const STOP_STEP: u32 = 4u;        // the substep budget ran out before length r
// Segment kinds (Rust: gpu::geodesic_data::SEGMENT_*).
const SEGMENT_NONE: u32 = 0u;
const SEGMENT_RING: u32 = 1u;
const SEGMENT_SPOKE: u32 = 2u;
// f32 keeps λ_min of the basis-accumulated block to ~1e-6 relative up to κ ~ 1e6 (the
// accumulation basis makes λ_min a sum of squares); past that the Christoffel symbols' F⁻¹ is
// noise. Rust: gpu::geodesic_data::KAPPA_MAX.
const KAPPA_MAX: f32 = 1e6;
const STEP_CAP: f32 = 0.1;
// Substeps per sample step, the budget (Rust: gpu::geodesic_data::SUBSTEP_BUDGET).
const SUBSTEP_BUDGET: u32 = 4u;
const TWO_PI: f32 = 6.283185307179586;

struct GeodesicParams {
    start_dir: vec4<f32>,    // M = F^{-1/2} at the probe, rows (m00, m01), (m10, m11)
    basis: vec2<f32>,        // q: B has rows q and q⊥ = (−q.y, q.x)
    slice: vec2<u32>,        // PARAM_* of the two slice coordinates
    probe_pi: f32,           // π, σ1, σ2 at the probe (held or slice values)
    probe_sigma1: f32,
    probe_sigma2: f32,
    mean_gap: f32,           // μ2 − μ1 at the probe (f64 on the CPU, then rounded)
    step_length: f32,        // h = r/steps
    steps: u32,
    rays: u32,
    panel_nodes: u32,
    // The policy plane only (geodesic_policy.wgsl): the system and the probe's gains.
    plant: PolicyPlant,
    probe_gains: vec2<f32>,
    _pad0: u32,
    _pad1: u32,
}

struct GeodesicState {
    position: vec2<f32>,     // u = B·(θ − probe)
    velocity: vec2<f32>,     // u̇
    metric: vec4<f32>,       // the jet at `position` (xyz; w unused)
    d0: vec4<f32>,
    d1: vec4<f32>,
    sample: vec2<f32>,       // u at the last sample (the current spoke's start)
    progress: f32,           // arc length since that sample
    flags: u32,              // STOP_* bits; 0 while running
    step: u32,               // samples taken
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

// A line segment the renderer draws (instance vertex data): θ offsets from the probe.
struct GeodesicSegment {
    start: vec2<f32>,
    end: vec2<f32>,
    kind: u32,               // SEGMENT_*
    flags: u32,              // the geodesic's STOP_* bits
}

@group(0) @binding(0) var<storage, read> params: GeodesicParams;
@group(0) @binding(1) var<uniform> quadrature_nodes: array<vec4<f32>, 256>;
@group(0) @binding(2) var<storage, read_write> states: array<GeodesicState>;
// [0, rays): the ring (tip i → tip i + 1); then rays × steps spokes, geodesic-major.
@group(0) @binding(3) var<storage, read_write> segments: array<GeodesicSegment>;

fn basis() -> mat2x2<f32> {
    return eigen_basis(params.basis);
}

// A u offset as a θ offset (Bᵀu).
fn to_theta(u: vec2<f32>) -> vec2<f32> {
    return transpose(basis()) * u;
}

// The jet at u and the stop flag it raises (0 when integrable there).
struct Evaluation {
    jet: MetricJet,
    scale: vec2<f32>,
    flags: u32,
}

fn store_jet(i: u32, j: MetricJet) {
    states[i].metric = vec4<f32>(j.metric, 0.0);
    states[i].d0 = vec4<f32>(j.d0, 0.0);
    states[i].d1 = vec4<f32>(j.d1, 0.0);
}

fn load_jet(i: u32) -> MetricJet {
    var j: MetricJet;
    j.metric = states[i].metric.xyz;
    j.d0 = states[i].d0.xyz;
    j.d1 = states[i].d1.xyz;
    return j;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn start(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if i >= params.rays {
        return;
    }
    let alpha = TWO_PI * f32(i) / f32(params.rays);
    let e = vec2<f32>(cos(alpha), sin(alpha));
    let m = params.start_dir;
    let v_theta = vec2<f32>(m.x * e.x + m.y * e.y, m.z * e.x + m.w * e.y);
    var s: GeodesicState;
    s.position = vec2<f32>(0.0);
    s.velocity = basis() * v_theta;
    let ev = evaluate(vec2<f32>(0.0));
    s.metric = vec4<f32>(ev.jet.metric, 0.0);
    s.d0 = vec4<f32>(ev.jet.d0, 0.0);
    s.d1 = vec4<f32>(ev.jet.d1, 0.0);
    s.flags = ev.flags;
    s.step = 0u;
    s.sample = vec2<f32>(0.0);
    s.progress = 0.0;
    states[i] = s;
    // Every spoke starts as nothing to draw; `step` overwrites those the geodesic reaches.
    var none: GeodesicSegment;
    none.kind = SEGMENT_NONE;
    none.flags = 0u;
    for (var k = 0u; k < params.steps; k++) {
        segments[params.rays + i * params.steps + k] = none;
    }
}

// u̇ᵀ G u̇ in the basis.
fn speed_squared(g: vec3<f32>, v: vec2<f32>) -> f32 {
    return g.x * v.x * v.x + 2.0 * g.y * v.x * v.y + g.z * v.y * v.y;
}

// The rate the step cap divides: max(|a|/|v|, max_k |v_k|/ℓ_k) (θ velocity for the scales;
// |a|/|v| is the same in u and θ).
fn cap_rate(v: vec2<f32>, a: vec2<f32>, scale: vec2<f32>) -> f32 {
    let v_theta = to_theta(v);
    let turn = length(a) / length(v);
    let move_rate = max(abs(v_theta.x) / scale.x, abs(v_theta.y) / scale.y);
    return max(turn, move_rate);
}

// Spoke `k` of geodesic i, from its last sample to u.
fn write_spoke(i: u32, k: u32, u: vec2<f32>, flags: u32) {
    var seg: GeodesicSegment;
    seg.start = to_theta(states[i].sample);
    seg.end = to_theta(u);
    seg.kind = SEGMENT_SPOKE;
    seg.flags = flags;
    segments[params.rays + i * params.steps + k] = seg;
}

// Stops geodesic i where it is (the start of the failing substep) with `flags`.
fn stop(i: u32, flags: u32) {
    states[i].flags = flags;
    write_spoke(i, states[i].step, states[i].position, flags);
}

// One dispatch of `step` runs this many substeps of each geodesic (Rust:
// gpu::geodesic_data::SUBSTEPS_PER_DISPATCH). A constant count, so every lane loops alike
// (done geodesics skip the body) and the loop bound is no uniform lavapipe recompiles at.
const SUBSTEPS_PER_DISPATCH: u32 = 4u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn step(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if i >= params.rays {
        return;
    }
    for (var k = 0u; k < SUBSTEPS_PER_DISPATCH; k++) {
        substep(i);
    }
}

// One RK4 substep of geodesic i, toward its next sample (nothing once it stopped or is done).
fn substep(i: u32) {
    if states[i].flags != 0u || states[i].step >= params.steps {
        return;
    }
    let x = states[i].position;
    let jet = load_jet(i);
    var v = states[i].velocity;
    v = v * inverseSqrt(speed_squared(jet.metric, v));
    let a = jet_acceleration(jet, v);
    let h = params.step_length;
    let left = h - states[i].progress;
    let cap = STEP_CAP / cap_rate(v, a, scale_at(x));
    if !(cap > 0.0) {
        stop(i, STOP_STEP);
        return;
    }
    // The last substep of a sample lands on it exactly.
    let finishes = cap >= left;
    let hs = select(cap, left, finishes);
    let x2 = x + 0.5 * hs * v;
    let v2 = v + 0.5 * hs * a;
    let e2 = evaluate(x2);
    if e2.flags != 0u {
        stop(i, e2.flags);
        return;
    }
    let a2 = jet_acceleration(e2.jet, v2);
    let x3 = x + 0.5 * hs * v2;
    let v3 = v + 0.5 * hs * a2;
    let e3 = evaluate(x3);
    if e3.flags != 0u {
        stop(i, e3.flags);
        return;
    }
    let a3 = jet_acceleration(e3.jet, v3);
    let x4 = x + hs * v3;
    let v4 = v + hs * a3;
    let e4 = evaluate(x4);
    if e4.flags != 0u {
        stop(i, e4.flags);
        return;
    }
    let a4 = jet_acceleration(e4.jet, v4);
    let x_next = x + (hs / 6.0) * (v + 2.0 * v2 + 2.0 * v3 + v4);
    let v_next = v + (hs / 6.0) * (a + 2.0 * a2 + 2.0 * a3 + a4);
    let e_next = evaluate(x_next);
    if e_next.flags != 0u {
        stop(i, e_next.flags);
        return;
    }
    states[i].position = x_next;
    states[i].velocity = v_next;
    store_jet(i, e_next.jet);
    if finishes {
        let k = states[i].step;
        write_spoke(i, k, x_next, 0u);
        states[i].sample = x_next;
        states[i].progress = 0.0;
        states[i].step = k + 1u;
    } else {
        states[i].progress += hs;
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn ring(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if i >= params.rays {
        return;
    }
    // Out of budget before length r: stopped where it got to.
    if states[i].flags == 0u && states[i].step < params.steps {
        stop(i, STOP_STEP);
    }
    let next = select(i + 1u, 0u, i + 1u == params.rays);
    var seg: GeodesicSegment;
    seg.start = to_theta(states[i].position);
    seg.end = to_theta(states[next].position);
    seg.kind = SEGMENT_RING;
    seg.flags = states[i].flags;
    segments[i] = seg;
}
