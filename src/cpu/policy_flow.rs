//! The f32 mirror of `particles.wgsl`'s policy mode (`step_policy`, `policy_velocity`,
//! `spawn_policy`), read beside it: the same velocity, caps, crash rule and spawn tries in the
//! same order of operations, so the GPU and this mirror differ by rounding only.

use super::particles::{
    INTEGRATOR_RK4, MODE_BOTH, MODE_NATURAL, MODE_NATURAL_VS_EF, Velocity, hash4, spawn, unit_float,
};
use super::policy::{closed_loop, jury_stable, policy_point, policy_scales};
use crate::gpu::gpu_data::{FlowParams, PARTICLE_CRASHED, Particle, flow_flags};
use crate::math::sym2::{Sym2, natural_gradient};

/// Steps a crashed particle stays at its crash point before it respawns.
pub const CRASH_HOLD_STEPS: u32 = 24;
/// The displacement limit per step in coordinate scales (the shader's constant).
pub const POLICY_MAX_STEP_SCALES: f32 = 1.0;
/// Points a spawn tries before it gives up on finding one inside the triangle.
pub const SPAWN_TRIES: u32 = 8;

fn inside(params: &FlowParams, k: [f32; 2]) -> bool {
    jury_stable(closed_loop(&params.plant, k))
}

/// The shader's `policy_velocity`: −(F + λI)⁻¹∇C (natural) or −∇C, capped; undefined outside
/// the triangle.
pub fn policy_velocity(params: &FlowParams, k: [f32; 2], mode: u32) -> Velocity {
    let plant = &params.plant;
    let pt = policy_point(plant, k);
    let mut defined = pt.stable;
    let s2 = plant.exploration * plant.exploration;
    let fisher = Sym2::new(pt.sigma[0] / s2, pt.sigma[1] / s2, pt.sigma[2] / s2);
    let mut v = [-pt.grad[0], -pt.grad[1]];
    if mode == MODE_NATURAL {
        let nat = natural_gradient(&fisher, plant.damping, pt.grad);
        defined = defined && nat.is_some();
        let n = nat.unwrap_or([0.0; 2]);
        v = [-n[0], -n[1]];
    }
    let fv = [
        fisher.xx * v[0] + fisher.xy * v[1],
        fisher.xy * v[0] + fisher.yy * v[1],
    ];
    let raw_speed = (v[0] * fv[0] + v[1] * fv[1]).max(0.0).sqrt();
    let mut scale = 1.0;
    if raw_speed > params.speed_cap {
        scale = params.speed_cap / raw_speed;
    }
    let scales = policy_scales(plant);
    for c in 0..2 {
        let limit = POLICY_MAX_STEP_SCALES * scales[c];
        let step = v[c].abs() * scale * params.dt;
        if step > limit {
            scale *= limit / step;
        }
    }
    Velocity {
        v: [v[0] * scale, v[1] * scale],
        speed: raw_speed * scale,
        defined,
    }
}

/// The shader's `spawn_policy`: the first of [`SPAWN_TRIES`] points in the view inside the
/// triangle.
pub fn spawn_policy(params: &FlowParams, index: u32, generation: u32) -> Particle {
    let mut p = spawn(params, index, generation);
    let stream = if params.mode == MODE_BOTH || params.mode == MODE_NATURAL_VS_EF {
        index >> 1
    } else {
        index
    };
    let mut found = inside(params, p.position);
    for t in 1..SPAWN_TRIES {
        let rx = unit_float(hash4(params.seed, stream, generation, 2 + 2 * t));
        let ry = unit_float(hash4(params.seed, stream, generation, 3 + 2 * t));
        let k = [
            params.view_min[0] + (params.view_max[0] - params.view_min[0]) * rx,
            params.view_min[1] + (params.view_max[1] - params.view_min[1]) * ry,
        ];
        if !found && inside(params, k) {
            p.position = k;
            found = true;
        }
    }
    p.previous = p.position;
    p.mode &= 1;
    p
}

/// The shader's `step_policy` for one particle.
pub fn step_policy_particle(params: &FlowParams, index: u32, p: &Particle) -> Particle {
    if params.flags & flow_flags::SPAWN_FRESH != 0 {
        return spawn_policy(params, index, 0);
    }
    let trace = params.flags & flow_flags::TRACE != 0;
    let mut out = *p;
    out.previous = p.position;
    out.age = p.age + 1;
    if p.mode & PARTICLE_CRASHED != 0 {
        out.speed = 0.0;
        if out.age >= out.lifetime {
            out = spawn_policy(params, index, p.generation + 1);
        }
        return out;
    }
    let h = params.dt;
    let mode = p.mode & 1;
    let rk4 = params.integrator == INTEGRATOR_RK4;
    let stages = if rk4 { 4 } else { 1 };
    let mut k = [0.0f32; 2];
    let mut sum = [0.0f32; 2];
    let mut first = None;
    let mut left = false;
    for s in 0..stages {
        let at = match s {
            1 | 2 => [
                p.position[0] + 0.5 * h * k[0],
                p.position[1] + 0.5 * h * k[1],
            ],
            3 => [p.position[0] + h * k[0], p.position[1] + h * k[1]],
            _ => p.position,
        };
        let vel = policy_velocity(params, at, mode);
        first.get_or_insert(vel);
        left = left || !inside(params, at);
        k = vel.v;
        let weight = if s == 1 || s == 2 { 2.0 } else { 1.0 };
        sum = [sum[0] + weight * k[0], sum[1] + weight * k[1]];
    }
    let first = first.expect("at least one stage");
    let next = if rk4 {
        [
            p.position[0] + (h / 6.0) * sum[0],
            p.position[1] + (h / 6.0) * sum[1],
        ]
    } else {
        [
            p.position[0] + h * first.v[0],
            p.position[1] + h * first.v[1],
        ]
    };
    left = left || !inside(params, next);
    out.speed = first.speed;
    out.length = p.length + first.speed * h;
    out.position = next;
    if left && first.defined {
        out.position = p.position;
        out.mode = p.mode | PARTICLE_CRASHED;
        out.age = 0;
        out.lifetime = CRASH_HOLD_STEPS;
        return out;
    }
    let scales = policy_scales(&params.plant);
    let d = [
        (next[0] - params.target[0]) / scales[0],
        (next[1] - params.target[1]) / scales[1],
    ];
    let converged = (d[0] * d[0] + d[1] * d[1]).sqrt() < params.converge_radius;
    let outside = next[0] < params.view_min[0]
        || next[1] < params.view_min[1]
        || next[0] > params.view_max[0]
        || next[1] > params.view_max[1];
    let finite = next[0].abs() < 1e30 && next[1].abs() < 1e30;
    if !trace && (out.age >= p.lifetime || outside || converged || !first.defined || !finite) {
        out = spawn_policy(params, index, p.generation + 1);
    }
    out
}
