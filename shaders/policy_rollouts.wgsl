// The policy plane's sampled estimates on the GPU (MATH.md, "Sample-based estimates"): one
// invocation per rollout of the Gaussian policy u = −Kx + σε from x0 ~ N(0, Σ0), H steps, the
// same seeded numbers as the f64 reference (`math::policy::sampling`: rollout n draws counters
// n·(H + 2) … of (seed, stream), a standard normal from uniforms 2c and 2c + 1 by Box–Muller,
// here with common/sampling.wgsl's accurate −2 ln u and cos 2πu).
//
// REINFORCE with the leave-one-out per-step baseline needs, per step t, three sums over the
// rollouts: A_t = Σ_n G_t s_t, T_t = Σ_n G_t and S_t = Σ_n s_t (G_t the cost-to-go, s_t the
// score −ε_t x_t/σ), since Σ_n b_t s_t = (T_t S_t − A_t)/(N − 1). Each invocation simulates its
// rollout twice — first for its total cost, then again (the same numbers) forming G_t = total −
// Σ_{τ<t} c_τ step by step — so every lane does the same work in the same order and a
// workgroup can reduce A_t, T_t, S_t at every step together (a tree in workgroup memory). Per
// workgroup it writes H × 5 step sums, then its rollouts' Fisher sums Σ ε²/σ² x xᵀ and cost;
// the CPU adds the workgroups' partials in f64 and forms ∇̂, F̂ and the mean cost
// (src/compute/policy_rollouts.rs). Lanes past the last rollout run masked (zero weight).
//
// lavapipe counts loop iterations per invocation (65 535): 2H steps and 6 reduction rounds per
// step keep H ≤ MAX_GPU_HORIZON (4096) well inside.

// #include <common/policy.wgsl>
// #include <common/sampling.wgsl>
// #include <common/dispatch.wgsl>

const WORKGROUP_SIZE: u32 = 64u;
const STEP_SUMS: u32 = 5u;

struct RolloutParams {
    plant: PolicyPlant,
    gains: vec2<f32>,
    rollouts: u32,
    horizon: u32,
    seed: u32,
    stream: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read> params: RolloutParams;
// Per workgroup: horizon × STEP_SUMS step sums (A.x, A.y, T, S.x, S.y), then (F.xx, F.xy, F.yy,
// cost).
@group(0) @binding(1) var<storage, read_write> partials: array<f32>;

var<workgroup> scratch: array<array<f32, 5>, WORKGROUP_SIZE>;

// Draw `counter` of (seed, stream) as a standard normal (the reference's `normal`).
fn policy_normal(counter: u32) -> f32 {
    let c = counter * 2u;
    let k1 = uniform_integer(params.seed, params.stream, c);
    let k2 = uniform_integer(params.seed, params.stream, c + 1u);
    return sqrt(minus_two_log_uniform(k1)) * cos_two_pi(k2);
}

struct Step {
    next: vec2<f32>,
    stage: f32,
    eps: f32,
}

fn step_once(x: vec2<f32>, counter: u32) -> Step {
    let p = params.plant;
    let k = params.gains;
    var out: Step;
    out.eps = policy_normal(counter);
    let u = -(k.x * x.x + k.y * x.y) + p.exploration * out.eps;
    out.stage = p.q_pos * x.x * x.x + p.q_vel * x.y * x.y + p.r * u * u;
    out.next = vec2<f32>(p.a.x * x.x + p.a.y * x.y, p.a.z * x.x + p.a.w * x.y + p.dt * u);
    return out;
}

fn start_state(base: u32) -> vec2<f32> {
    return vec2<f32>(sqrt(params.plant.x0_pos) * policy_normal(base),
        sqrt(params.plant.x0_vel) * policy_normal(base + 1u));
}

// Sums lane values in `scratch` into scratch[0] (every lane calls it: uniform control flow).
fn reduce(lid: u32) {
    workgroupBarrier();
    for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride = stride / 2u) {
        if lid < stride {
            for (var j = 0u; j < STEP_SUMS; j++) {
                scratch[lid][j] += scratch[lid + stride][j];
            }
        }
        workgroupBarrier();
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn rollouts(@builtin(workgroup_id) wid: vec3<u32>,
            @builtin(num_workgroups) groups: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
    let group = wid.x + wid.y * groups.x;
    let n = group * WORKGROUP_SIZE + lid;
    let weight = select(0.0, 1.0, n < params.rollouts);
    let horizon = params.horizon;
    let base = n * (horizon + 2u);
    let sigma = params.plant.exploration;
    // Pass 1: the total cost and the Fisher sums.
    var x = start_state(base);
    var total = 0.0;
    var fisher = vec3<f32>(0.0);
    for (var t = 0u; t < horizon; t++) {
        let s = step_once(x, base + 2u + t);
        total += s.stage;
        let w = s.eps * s.eps / (sigma * sigma);
        fisher += w * vec3<f32>(x.x * x.x, x.x * x.y, x.y * x.y);
        x = s.next;
    }
    // Pass 2: the same rollout, the cost-to-go and score per step, reduced over the group.
    let out = group * (horizon * STEP_SUMS + 4u);
    x = start_state(base);
    var prefix = 0.0;
    for (var t = 0u; t < horizon; t++) {
        let s = step_once(x, base + 2u + t);
        let g = total - prefix;
        let score = -s.eps * x / sigma;
        scratch[lid] = array<f32, 5>(weight * g * score.x, weight * g * score.y, weight * g,
            weight * score.x, weight * score.y);
        reduce(lid);
        if lid == 0u {
            for (var j = 0u; j < STEP_SUMS; j++) {
                partials[out + t * STEP_SUMS + j] = scratch[0][j];
            }
        }
        workgroupBarrier();
        prefix += s.stage;
        x = s.next;
    }
    scratch[lid] = array<f32, 5>(weight * fisher.x, weight * fisher.y, weight * fisher.z,
        weight * total, 0.0);
    reduce(lid);
    if lid == 0u {
        for (var j = 0u; j < 4u; j++) {
            partials[out + horizon * STEP_SUMS + j] = scratch[0][j];
        }
    }
}
