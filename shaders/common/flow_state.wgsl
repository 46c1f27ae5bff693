// The flow's state as the particle shaders share it: the step's parameters (FlowParams) and a
// particle (Particle), laid out as src/gpu/gpu_data.rs's structs of the same names. Read by
// particles.wgsl (the step) and particle_order.wgsl (the place order before a general step).

// #include <common/policy.wgsl>

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
    // General mode only.
    base_pi: f32,              // the base model ψ; a particle's position replaces ψ_a, ψ_b
    base_mu1: f32,
    base_mu2: f32,
    base_sigma1: f32,
    base_sigma2: f32,
    target_pi: f32,            // the target ψ*
    target_mu1: f32,
    target_mu2: f32,
    target_sigma1: f32,
    target_sigma2: f32,
    slice_a: u32,
    slice_b: u32,
    metric: u32,               // METRIC_INDUCED or METRIC_PROFILED
    _pad: u32,
    // Policy mode only: the system (target_theta is K*).
    plant: PolicyPlant,
}

struct Particle {
    position: vec2<f32>,
    previous: vec2<f32>,       // position before the last step (trails draw the segment)
    length: f32,               // Fisher–Rao path length from the spawn point to `position`
    speed: f32,                // Fisher–Rao speed √(vᵀFv) at `previous`
    age: u32,                  // steps since spawn
    mode: u32,                 // MODE_NATURAL, MODE_EUCLIDEAN or PARTICLE_EMPIRICAL
    generation: u32,           // respawn counter (seeds the next spawn)
    lifetime: u32,             // steps this generation may live
    alive: u32,                // 1; 0 only before the first spawn
    _pad: u32,
}
