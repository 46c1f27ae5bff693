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
// State ping-pongs between two storage buffers that the draw pipeline binds as instance
// vertex buffers; no read-back. CPU mirror: src/cpu/particles.rs. Dispatch: src/compute/particles.rs.

// #include <common/gmm.wgsl>
// #include <common/random.wgsl>

const WORKGROUP_SIZE: u32 = 64u;

const MODE_NATURAL: u32 = 0u;
const MODE_EUCLIDEAN: u32 = 1u;
const MODE_BOTH: u32 = 2u;
const INTEGRATOR_RK4: u32 = 0u;
const INTEGRATOR_EULER: u32 = 1u;
const FLAG_TRACE: u32 = 1u;            // no respawn (one trajectory, `fisherflow trace`)
const SPAWN_FRESH: u32 = 2u;           // this dispatch (re)spawns every particle

const MAX_STEP_SIGMAS: f32 = 0.25;
const MAX_STEP_DELTA_FRACTION: f32 = 0.35;

struct FlowParams {
    target_theta: vec2<f32>,
    view_min: vec2<f32>,       // spawn and keep-alive rectangle
    view_max: vec2<f32>,
    sigma: f32,
    damping: f32,
    dt: f32,
    speed_cap: f32,            // Fisher–Rao units per unit time
    converge_radius: f32,      // respawn within this distance of θ* or its twin
    max_age: u32,              // mean lifetime in steps
    panel_nodes: u32,
    count: u32,
    integrator: u32,
    mode: u32,
    seed: u32,
    flags: u32,
    _pad0: u32,
    _pad1: u32,
}

struct Particle {
    position: vec2<f32>,
    previous: vec2<f32>,       // position before the last step (trails draw the segment)
    length: f32,               // Fisher–Rao path length from the spawn point to `position`
    speed: f32,                // Fisher–Rao speed √(vᵀFv) at `previous`
    age: u32,                  // steps since spawn
    mode: u32,                 // MODE_NATURAL or MODE_EUCLIDEAN
    generation: u32,           // respawn counter (seeds the next spawn)
    lifetime: u32,             // steps this generation may live
    alive: u32,                // 1; 0 only before the first spawn
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: FlowParams;
@group(0) @binding(1) var<storage, read> quadrature_nodes: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> source: array<Particle>;
@group(0) @binding(3) var<storage, read_write> destination: array<Particle>;

// The velocity field at θ: the limited velocity and its Fisher–Rao speed.
struct Velocity {
    v: vec2<f32>,
    speed: f32,
    defined: bool,
}

fn velocity(theta: vec2<f32>, mode: u32) -> Velocity {
    let th = make_theta(theta, params.sigma);
    let f_rot = fisher_rotated(th, params.panel_nodes);
    let mid = 0.5 * (theta.x + theta.y);
    let g = gradient_rotated(th, mid, params.target_theta, params.panel_nodes);
    var out: Velocity;
    out.defined = true;
    var v_rot = -g;
    if mode == MODE_NATURAL {
        let nat = natural_gradient(f_rot, params.damping, g);
        out.defined = nat.defined;
        v_rot = -nat.value;
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
    if params.mode == MODE_BOTH {
        mode = index & 1u;     // even: natural, odd: Euclidean
        stream = index >> 1u;  // the pair shares its seeds
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

fn should_respawn(p: Particle, velocity_defined: bool) -> bool {
    let outside = any(p.position < params.view_min) || any(p.position > params.view_max);
    let twin = params.target_theta.yx;
    let converged = distance(p.position, params.target_theta) < params.converge_radius
        || distance(p.position, twin) < params.converge_radius;
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
