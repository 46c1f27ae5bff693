//! The byte layout every policy-plane kernel shares (`PolicyPlant` in
//! `shaders/common/policy.wgsl`): the plant, its cost weights, the start distribution and the
//! exploration σ in f32, which the field, flow, geodesic and convergence parameters embed.

use bytemuck::{Pod, Zeroable};

use crate::math::policy::{Lqr, System};

/// The plant, its cost weights, the start distribution, the exploration σ and the damping:
/// what every policy kernel evaluates K against. Must match `PolicyPlant` in
/// `shaders/common/policy.wgsl` (48 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct PolicyPlant {
    /// The plant's A, row-major.
    pub a: [f32; 4],
    /// The Euler step.
    pub dt: f32,
    /// R.
    pub r: f32,
    /// Q's position weight.
    pub q_pos: f32,
    /// Q's velocity weight.
    pub q_vel: f32,
    /// Σ0's position variance.
    pub x0_pos: f32,
    /// Σ0's velocity variance.
    pub x0_vel: f32,
    /// The exploration σ.
    pub exploration: f32,
    /// Damping λ of the natural gradient (F + λI)⁻¹∇C.
    pub damping: f32,
}

impl PolicyPlant {
    /// `system` in f32, with damping λ.
    pub fn new(system: &System, damping: f64) -> Self {
        let a = Lqr::new(system).plant_matrix();
        Self {
            a: [a[0][0], a[0][1], a[1][0], a[1][1]].map(|v| v as f32),
            dt: system.dt() as f32,
            r: system.r as f32,
            q_pos: system.q_pos as f32,
            q_vel: system.q_vel as f32,
            x0_pos: system.x0_pos as f32,
            x0_vel: system.x0_vel as f32,
            exploration: system.exploration as f32,
            damping: damping as f32,
        }
    }
}
