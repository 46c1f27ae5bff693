// Flow mode: every particle takes one step of dθ/dt = −(F + λI)⁻¹∇L (natural, cyan) or
// dθ/dt = −∇L (Euclidean, red), with F and ∇L evaluated at the particle's own position by
// the same quadrature as the field (exact, not interpolated from the grid). RK4 or Euler.
//
// Step control (the "limited velocity" every stage uses):
// * the speed is capped in Fisher–Rao units, √(vᵀF(θ)v) ≤ speed_cap;
// * the displacement per step is capped to min(0.25σ, 0.35|Δ|): near the diagonal the field
//   varies on the length scale |Δ| (natural speed grows like 1/|Δ| there while the Fisher–Rao
//   speed stays bounded, because F degenerates), so an integrator must resolve that scale.
//   This also keeps every stage on the particle's side of the diagonal.
//
// Respawn (not in trace mode): by age, on leaving the view, on NaN/inf, on converging to θ*
// or its twin, and where the natural gradient is undefined (exactly on the diagonal).
// Seeding is a deterministic hash of (seed, pair, generation): in "both" mode particles 2k and
// 2k+1 (natural, Euclidean) share their seeds.
//
// Natural-vs-EF mode (MODE_NATURAL_VS_EF, both the seed's and the general entry point): pairs
// from the same seeds,
// 2k along −(F + λI)⁻¹∇L (natural) and 2k+1 (particle mode PARTICLE_EMPIRICAL) along
// −(EF + λI)⁻¹∇L with EF = E_{p*}[s sᵀ]'s slice block, accumulated on the same nodes as ∇L
// (gmm_general.wgsl's target pass: cell.ef_aa, ef_ab, ef_bb; on the seed's slice gmm.wgsl's
// gradient_and_empirical_rotated, in the rotated basis). The Fisher–Rao speed cap
// still measures the step in F. The Kunstner et al. (2019) picture: EF⁻¹∇L = C⁻¹∇L/(1 + q)
// saturates far from θ*, where the natural flow does not.
//
// General mode (flag FLAG_GENERAL; its own entry points `step_general` and, on slices that do
// not vary π under the induced metric, `step_general_fixed_weight`; the seed's `step`
// unchanged):
// the general mixture on a slice. A position is absolute slice coordinates (ψ_a, ψ_b); the model
// there is the base ψ with those two replaced; F (induced or profiled block), ∇L and ñ come
// from gmm_general.wgsl's evaluate_general_mixtures, the field kernel's own per-point
// evaluation. The speed cap is the same; the displacement limit is per coordinate (the slice
// mixes units): at most MAX_STEP_SIGMAS of the coordinate's own scale (σ_k for μ_k and σ_k,
// min(π, 1 − π) for π), and on (μ1, μ2) with σ1 = σ2 also MAX_STEP_DELTA_FRACTION·|μ1 − μ2|
// along each mean (the seed's singular diagonal). Particles whose position leaves the model
// (σ ≤ 0, π ∉ (0, 1) on a π slice) are respawned like those that leave the view; one spawned
// outside the model (a view across σ = 0) has an undefined velocity and is respawned at its
// first step. The twin is the label-swapped target where it lies in the slice.
//
// Policy mode (FLAG_POLICY; its own entry point `step_policy`): the policy plane's gains
// K = (k1, k2) (common/policy.wgsl). Natural particles follow −(F + λI)⁻¹∇C with F = Σ_K/σ²,
// Euclidean ones −∇C; the speed cap is the same and the displacement limit per coordinate is
// POLICY_MAX_STEP_SCALES of the plane's coordinate scale (the triangle's extent over 32). C is a
// barrier at the triangle's edges, so the continuous flows never leave it, but a finite step
// can: a particle whose RK4 stage or step lands outside crashes — it stays where it was,
// flagged PARTICLE_CRASHED (drawn as a burst) for CRASH_HOLD_STEPS steps, then respawns. Spawns
// draw up to SPAWN_TRIES points in the view and keep the first inside the triangle (a fixed
// loop: the same work in every lane). Converged: within `converge_radius` of K* in units of
// the coordinate scales. No twin.
//
// State ping-pongs between two storage buffers that the draw pipeline binds as instance
// vertex buffers; no read-back. CPU mirror: src/cpu/particles.rs. Dispatch: src/compute/particles.rs.

// #include <common/gmm.wgsl>
// #include <common/gmm_general.wgsl>
// #include <common/random.wgsl>
// #include <common/policy.wgsl>
// #include <common/flow_state.wgsl>

const WORKGROUP_SIZE: u32 = 64u;
// No particle reads L: the union pass's loss is compiled out (gmm_general.wgsl).
const UNION_LOSS_POSSIBLE: bool = false;

const MODE_NATURAL: u32 = 0u;
const MODE_EUCLIDEAN: u32 = 1u;
const MODE_BOTH: u32 = 2u;
const MODE_NATURAL_VS_EF: u32 = 3u;
// A particle's mode along the EF step (the odd member of a natural-vs-EF pair; the flow mode's
// code, which no particle otherwise carries).
const PARTICLE_EMPIRICAL: u32 = 3u;
const INTEGRATOR_RK4: u32 = 0u;
const INTEGRATOR_EULER: u32 = 1u;
const FLAG_TRACE: u32 = 1u;            // no respawn (one trajectory, `fisherflow trace`)
const SPAWN_FRESH: u32 = 2u;           // this dispatch (re)spawns every particle
const FLAG_GENERAL: u32 = 4u;          // the general mixture on a slice (see the header)
const FLAG_POLICY: u32 = 8u;           // the policy plane (see the header)
const FLAG_INDEX_ORDER: u32 = 16u;     // general mode: step in index order, not place order
// Policy mode: a particle's mode bit after a crash (kept with its natural/Euclidean code).
const PARTICLE_CRASHED: u32 = 4u;
const CRASH_HOLD_STEPS: u32 = 24u;
const SPAWN_TRIES: u32 = 8u;
// Policy mode: the displacement limit per step in coordinate scales (1/32 of the triangle):
// loose enough that a large step shows the crash a finite learning rate risks.
const POLICY_MAX_STEP_SCALES: f32 = 1.0;

const MAX_STEP_SIGMAS: f32 = 0.25;
const MAX_STEP_DELTA_FRACTION: f32 = 0.35;

@group(0) @binding(0) var<storage, read> params: FlowParams;
@group(0) @binding(1) var<uniform> quadrature_nodes: array<vec4<f32>, 256>;
@group(0) @binding(2) var<storage, read> source: array<Particle>;
@group(0) @binding(3) var<storage, read_write> destination: array<Particle>;
// The general step's place order (particle_order.wgsl): the particle stepped in each slot.
@group(0) @binding(4) var<storage, read> place_order: array<u32>;

// The velocity field at θ: the limited velocity and its Fisher–Rao speed.
struct Velocity {
    v: vec2<f32>,
    speed: f32,
    defined: bool,
}

// The general model at a position: the base with the slice coordinates replaced.
fn general_psi(position: vec2<f32>) -> array<f32, 5> {
    var psi = array<f32, 5>(params.base_pi, params.base_mu1, params.base_mu2, params.base_sigma1,
        params.base_sigma2);
    psi[params.slice_a] = position.x;
    psi[params.slice_b] = position.y;
    return psi;
}

// The largest displacement per step along slice parameter k at ψ (see the header).
fn general_step_limit(psi: array<f32, 5>, k: u32) -> f32 {
    var scale = psi[PARAM_SIGMA1];
    if k == PARAM_PI {
        scale = min(psi[PARAM_PI], 1.0 - psi[PARAM_PI]);
    } else if k == PARAM_MU2 || k == PARAM_SIGMA2 {
        scale = psi[PARAM_SIGMA2];
    }
    var limit = MAX_STEP_SIGMAS * scale;
    let means = (params.slice_a == PARAM_MU1 || params.slice_b == PARAM_MU1)
        && (params.slice_a == PARAM_MU2 || params.slice_b == PARAM_MU2);
    if means && psi[PARAM_SIGMA1] == psi[PARAM_SIGMA2] && (k == PARAM_MU1 || k == PARAM_MU2) {
        limit = min(limit, MAX_STEP_DELTA_FRACTION * abs(psi[PARAM_MU1] - psi[PARAM_MU2]));
    }
    return limit;
}

// The general mode's velocity field (CPU twin: cpu::particles::general_velocity).
fn general_velocity(position: vec2<f32>, mode: u32) -> Velocity {
    var out: Velocity;
    out.v = vec2<f32>(0.0);
    out.speed = 0.0;
    out.defined = false;
    let slice = vec2<u32>(params.slice_a, params.slice_b);
    let psi = general_psi(position);
    if !inside_model(psi, slice) {
        return out;
    }
    // The y frame of the model's μ1, as fim_general.wgsl's `points`.
    let origin = psi[PARAM_MU1];
    let m = make_mixture(psi[PARAM_PI], vec2<f32>(0.0, psi[PARAM_MU2] - origin),
        vec2<f32>(psi[PARAM_SIGMA1], psi[PARAM_SIGMA2]));
    let target_mix = make_mixture(params.target_pi,
        vec2<f32>(params.target_mu1 - origin, params.target_mu2 - origin),
        vec2<f32>(params.target_sigma1, params.target_sigma2));
    // L is never read here, the EF only by the EF flow (the union pass skips the rest).
    let cell = evaluate_general_mixtures(m, target_mix, true, slice, params.metric, params.damping,
        params.panel_nodes, select(0u, UNION_EF, mode == PARTICLE_EMPIRICAL));
    if (cell.flags & FLAG_METRIC_UNDEFINED) != 0u {
        return out;
    }
    var v = -cell.grad;
    out.defined = true;
    if mode == MODE_NATURAL {
        out.defined = (cell.flags & FLAG_NATGRAD_UNDEFINED) == 0u;
        v = -cell.natgrad;
    } else if mode == PARTICLE_EMPIRICAL {
        // −(EF + λI)⁻¹∇L, both from the target pass (standard basis, slice order).
        let ef = natural_gradient(vec3<f32>(cell.ef_aa, cell.ef_ab, cell.ef_bb), params.damping,
            cell.grad);
        out.defined = ef.defined;
        v = -ef.value;
    }
    let f = cell.fisher.xyz;
    let fv = vec2<f32>(f.x * v.x + f.y * v.y, f.y * v.x + f.z * v.y);
    let raw_speed = sqrt(max(dot(v, fv), 0.0));
    var scale = 1.0;
    if raw_speed > params.speed_cap {
        scale = params.speed_cap / raw_speed;
    }
    // Per-coordinate displacement limits.
    let limit = vec2<f32>(general_step_limit(psi, slice.x), general_step_limit(psi, slice.y));
    for (var c = 0u; c < 2u; c++) {
        let step = abs(v[c]) * scale * params.dt;
        if step > limit[c] {
            scale *= limit[c] / step;
        }
    }
    out.v = v * scale;
    out.speed = raw_speed * scale;
    return out;
}

// One general-mode step: the same RK4 (or Euler) as `step`'s seed path (same order of the
// sums), with the stages in a loop so that general_velocity — the whole per-point evaluation —
// has one call site, not four (a smaller shader to compile). Returns the new position; `first` is the first stage's velocity.
struct GeneralStep {
    next: vec2<f32>,
    first: Velocity,
}

fn general_step(position: vec2<f32>, mode: u32, h: f32) -> GeneralStep {
    let rk4 = params.integrator == INTEGRATOR_RK4;
    let stages = select(1u, 4u, rk4);
    var out: GeneralStep;
    var k = vec2<f32>(0.0);
    var sum = vec2<f32>(0.0);
    for (var s = 0u; s < stages; s++) {
        var at = position;
        if s == 1u || s == 2u {
            at = position + 0.5 * h * k;
        } else if s == 3u {
            at = position + h * k;
        }
        let vel = general_velocity(at, mode);
        if s == 0u {
            out.first = vel;
        }
        k = vel.v;
        sum += select(1.0, 2.0, s == 1u || s == 2u) * k;
    }
    out.next = position + h * out.first.v;
    if rk4 {
        out.next = position + (h / 6.0) * sum;
    }
    return out;
}

fn velocity(theta: vec2<f32>, mode: u32) -> Velocity {
    let th = make_theta(theta, params.sigma);
    let f_rot = fisher_rotated(th, params.panel_nodes);
    let mid = 0.5 * (theta.x + theta.y);
    var g: vec2<f32>;
    var ef_rot = vec3<f32>(0.0);
    // The flow's mode is the same in every lane: the EF's three extra sums only where a
    // natural-vs-EF flow's particles need them.
    if params.mode == MODE_NATURAL_VS_EF {
        let terms = gradient_and_empirical_rotated(th, mid, params.target_theta, params.panel_nodes);
        g = terms.grad;
        ef_rot = terms.empirical;
    } else {
        g = gradient_rotated(th, mid, params.target_theta, params.panel_nodes);
    }
    var out: Velocity;
    out.defined = true;
    var v_rot = -g;
    if mode == MODE_NATURAL {
        let nat = natural_gradient(f_rot, params.damping, g);
        out.defined = nat.defined;
        v_rot = -nat.value;
    } else if mode == PARTICLE_EMPIRICAL {
        // −(EF + λI)⁻¹∇L in the rotated basis (the rotation is orthogonal: λI stays λI).
        let ef = natural_gradient(ef_rot, params.damping, g);
        out.defined = ef.defined;
        v_rot = -ef.value;
    }
    // Fisher–Rao speed in the rotated basis (F is symmetric, the rotation orthogonal).
    let fv = vec2<f32>(f_rot.x * v_rot.x + f_rot.y * v_rot.y, f_rot.y * v_rot.x + f_rot.z * v_rot.y);
    let raw_speed = sqrt(max(dot(v_rot, fv), 0.0));
    var scale = 1.0;
    if raw_speed > params.speed_cap {
        scale = params.speed_cap / raw_speed;
    }
    // Displacement limit for this step (see the file header).
    let limit = min(MAX_STEP_SIGMAS * params.sigma, MAX_STEP_DELTA_FRACTION * abs(theta.x - theta.y));
    let step = length(v_rot) * scale * params.dt;
    if step > limit {
        scale *= limit / step;
    }
    out.v = rotate_vector(v_rot) * scale;
    out.speed = raw_speed * scale;   // Fisher–Rao speed of the velocity actually used
    return out;
}

fn finite2(p: vec2<f32>) -> bool {
    // NaN fails every comparison; ±inf fails the bound.
    return all(abs(p) < vec2<f32>(1e30));
}

fn spawn(index: u32, generation: u32) -> Particle {
    var mode = params.mode;
    var stream = index;
    if params.mode == MODE_BOTH || params.mode == MODE_NATURAL_VS_EF {
        mode = index & 1u;     // even: natural, odd: Euclidean (or EF)
        stream = index >> 1u;  // the pair shares its seeds
        if params.mode == MODE_NATURAL_VS_EF && mode == 1u {
            mode = PARTICLE_EMPIRICAL;
        }
    }
    let rx = unit_float(hash4(params.seed, stream, generation, 0u));
    let ry = unit_float(hash4(params.seed, stream, generation, 1u));
    let rl = unit_float(hash4(params.seed, stream, generation, 2u));
    var p: Particle;
    p.position = params.view_min + (params.view_max - params.view_min) * vec2<f32>(rx, ry);
    p.previous = p.position;
    p.mode = mode;
    p.generation = generation;
    p.lifetime = max(1u, u32(f32(params.max_age) * (0.5 + rl)));
    p.alive = 1u;
    return p;
}

// General mode: the label-swapped target's slice coordinates (xy) and whether it lies in the
// slice (z = 1: its held parameters equal the base's).
fn general_twin() -> vec3<f32> {
    let swapped = array<f32, 5>(1.0 - params.target_pi, params.target_mu2, params.target_mu1,
        params.target_sigma2, params.target_sigma1);
    let base = array<f32, 5>(params.base_pi, params.base_mu1, params.base_mu2, params.base_sigma1,
        params.base_sigma2);
    var in_slice = 1.0;
    for (var k = 0u; k < 5u; k++) {
        if k != params.slice_a && k != params.slice_b && swapped[k] != base[k] {
            in_slice = 0.0;
        }
    }
    return vec3<f32>(swapped[params.slice_a], swapped[params.slice_b], in_slice);
}

fn should_respawn(p: Particle, velocity_defined: bool) -> bool {
    let outside = any(p.position < params.view_min) || any(p.position > params.view_max);
    let twin = params.target_theta.yx;
    let converged = distance(p.position, params.target_theta) < params.converge_radius
        || distance(p.position, twin) < params.converge_radius;
    return p.age >= p.lifetime || outside || converged || !velocity_defined || !finite2(p.position);
}

// General mode: also outside the model; the twin only where it lies in the slice.
fn should_respawn_general(p: Particle, velocity_defined: bool) -> bool {
    let outside = any(p.position < params.view_min) || any(p.position > params.view_max)
        || !inside_model(general_psi(p.position), vec2<u32>(params.slice_a, params.slice_b));
    let t = general_twin();
    let converged = distance(p.position, params.target_theta) < params.converge_radius
        || (t.z != 0.0 && distance(p.position, t.xy) < params.converge_radius);
    return p.age >= p.lifetime || outside || converged || !velocity_defined || !finite2(p.position);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let index = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
    if index >= params.count {
        return;
    }
    if (params.flags & SPAWN_FRESH) != 0u {
        destination[index] = spawn(index, 0u);
        return;
    }
    var p = source[index];
    let trace = (params.flags & FLAG_TRACE) != 0u;
    let h = params.dt;
    let k1 = velocity(p.position, p.mode);
    var next = p.position + h * k1.v;
    if params.integrator == INTEGRATOR_RK4 {
        let k2 = velocity(p.position + 0.5 * h * k1.v, p.mode);
        let k3 = velocity(p.position + 0.5 * h * k2.v, p.mode);
        let k4 = velocity(p.position + h * k3.v, p.mode);
        next = p.position + (h / 6.0) * (k1.v + 2.0 * k2.v + 2.0 * k3.v + k4.v);
    }
    var out = p;
    out.previous = p.position;
    out.speed = k1.speed;
    out.length = p.length + k1.speed * h;     // left Riemann sum of the Fisher–Rao speed
    out.position = next;
    out.age = p.age + 1u;
    if !trace && should_respawn(out, k1.defined) {
        out = spawn(index, p.generation + 1u);
    }
    destination[index] = out;
}

// General mode's entry point (the dispatch picks it when FLAG_GENERAL is set): a separate
// entry rather than a branch in `step`, because on llvmpipe the general evaluation's code and
// private arrays in the same function made the seed path 5× slower even with the branch never
// taken (4096 particles × 10 RK4 steps: 0.14 s → 0.70 s).
@compute @workgroup_size(WORKGROUP_SIZE)
fn step_general(@builtin(global_invocation_id) gid: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>) {
    step_general_slot(gid.x + gid.y * groups.x * WORKGROUP_SIZE);
}

// The same for slices that do not vary π under the induced metric (the dispatch picks it:
// compute::particles::StepEntry): the weight's score and the profiled metric's passes compiled
// out (gmm_general.wgsl's weight_score_live and profiled_metric_live). The profiled metric
// reads π's scores on every slice.
@compute @workgroup_size(WORKGROUP_SIZE)
fn step_general_fixed_weight(@builtin(global_invocation_id) gid: vec3<u32>,
                             @builtin(num_workgroups) groups: vec3<u32>) {
    weight_score_live = false;
    profiled_metric_live = false;
    step_general_slot(gid.x + gid.y * groups.x * WORKGROUP_SIZE);
}

fn step_general_slot(slot: u32) {
    if slot >= params.count {
        return;
    }
    if (params.flags & SPAWN_FRESH) != 0u {
        destination[slot] = spawn(slot, 0u);
        return;
    }
    // The particle of this slot in place order, so that a vector's lanes step neighbours (see
    // particle_order.wgsl; the order is a permutation, the clamp only keeps a read in bounds).
    let placed = min(place_order[slot], params.count - 1u);
    let index = select(placed, slot, (params.flags & FLAG_INDEX_ORDER) != 0u);
    var p = source[index];
    let trace = (params.flags & FLAG_TRACE) != 0u;
    let h = params.dt;
    let g = general_step(p.position, p.mode, h);
    var out = p;
    out.previous = p.position;
    out.speed = g.first.speed;
    out.length = p.length + g.first.speed * h;
    out.position = g.next;
    out.age = p.age + 1u;
    if !trace && should_respawn_general(out, g.first.defined) {
        out = spawn(index, p.generation + 1u);
    }
    destination[index] = out;
}

// Policy mode's velocity field (CPU twin: cpu::particles::policy_velocity). `defined` is false
// outside the triangle.
fn policy_velocity(k: vec2<f32>, mode: u32) -> Velocity {
    var out: Velocity;
    out.v = vec2<f32>(0.0);
    out.speed = 0.0;
    let pt = policy_point(params.plant, k);
    out.defined = pt.stable;
    let s2 = params.plant.exploration * params.plant.exploration;
    let fisher = pt.sigma / s2;
    var v = -pt.grad;
    if mode == MODE_NATURAL {
        let nat = natural_gradient(fisher, params.plant.damping, pt.grad);
        out.defined = out.defined && nat.defined;
        v = -nat.value;
    }
    let fv = vec2<f32>(fisher.x * v.x + fisher.y * v.y, fisher.y * v.x + fisher.z * v.y);
    let raw_speed = sqrt(max(dot(v, fv), 0.0));
    var scale = 1.0;
    if raw_speed > params.speed_cap {
        scale = params.speed_cap / raw_speed;
    }
    let limit = POLICY_MAX_STEP_SCALES * policy_scales(params.plant);
    for (var c = 0u; c < 2u; c++) {
        let step = abs(v[c]) * scale * params.dt;
        if step > limit[c] {
            scale *= limit[c] / step;
        }
    }
    out.v = v * scale;
    out.speed = raw_speed * scale;
    return out;
}

// Policy mode's spawn: the first of SPAWN_TRIES uniform points in the view that lies inside
// the triangle (the last try when none does; it respawns at its first step).
fn spawn_policy(index: u32, generation: u32) -> Particle {
    var p = spawn(index, generation);
    var stream = index;
    if params.mode == MODE_BOTH || params.mode == MODE_NATURAL_VS_EF {
        stream = index >> 1u;
    }
    var found = jury_stable(closed_loop(params.plant, p.position));
    for (var t = 1u; t < SPAWN_TRIES; t++) {
        let rx = unit_float(hash4(params.seed, stream, generation, 2u + 2u * t));
        let ry = unit_float(hash4(params.seed, stream, generation, 3u + 2u * t));
        let k = params.view_min + (params.view_max - params.view_min) * vec2<f32>(rx, ry);
        if !found && jury_stable(closed_loop(params.plant, k)) {
            p.position = k;
            found = true;
        }
    }
    p.previous = p.position;
    // Both members of a pair natural/Euclidean: the policy plane has no empirical Fisher.
    p.mode = p.mode & 1u;
    return p;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn step_policy(@builtin(global_invocation_id) gid: vec3<u32>,
               @builtin(num_workgroups) groups: vec3<u32>) {
    let index = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
    if index >= params.count {
        return;
    }
    if (params.flags & SPAWN_FRESH) != 0u {
        destination[index] = spawn_policy(index, 0u);
        return;
    }
    var p = source[index];
    let trace = (params.flags & FLAG_TRACE) != 0u;
    var out = p;
    out.previous = p.position;
    out.age = p.age + 1u;
    if (p.mode & PARTICLE_CRASHED) != 0u {
        // Held at its crash point until its (short) lifetime runs out.
        out.speed = 0.0;
        if out.age >= out.lifetime {
            out = spawn_policy(index, p.generation + 1u);
        }
        destination[index] = out;
        return;
    }
    let h = params.dt;
    let mode = p.mode & 1u;
    let rk4 = params.integrator == INTEGRATOR_RK4;
    let stages = select(1u, 4u, rk4);
    var k = vec2<f32>(0.0);
    var sum = vec2<f32>(0.0);
    var first: Velocity;
    var left = false;
    for (var s = 0u; s < stages; s++) {
        var at = p.position;
        if s == 1u || s == 2u {
            at = p.position + 0.5 * h * k;
        } else if s == 3u {
            at = p.position + h * k;
        }
        let vel = policy_velocity(at, mode);
        if s == 0u {
            first = vel;
        }
        left = left || !jury_stable(closed_loop(params.plant, at));
        k = vel.v;
        sum += select(1.0, 2.0, s == 1u || s == 2u) * k;
    }
    var next = p.position + h * first.v;
    if rk4 {
        next = p.position + (h / 6.0) * sum;
    }
    left = left || !jury_stable(closed_loop(params.plant, next));
    out.speed = first.speed;
    out.length = p.length + first.speed * h;
    out.position = next;
    if left && first.defined {
        // A finite step out of the triangle: the crash (see the header).
        out.position = p.position;
        out.mode = p.mode | PARTICLE_CRASHED;
        out.age = 0u;
        out.lifetime = CRASH_HOLD_STEPS;
        destination[index] = out;
        return;
    }
    let scale = policy_scales(params.plant);
    let converged = length((next - params.target_theta) / scale) < params.converge_radius;
    let outside = any(next < params.view_min) || any(next > params.view_max);
    if !trace && (out.age >= p.lifetime || outside || converged || !first.defined
        || !finite2(next)) {
        out = spawn_policy(index, p.generation + 1u);
    }
    destination[index] = out;
}
