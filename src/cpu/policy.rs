//! The f32 mirror of `shaders/policy_field.wgsl`, read beside it: the same closed loop A_K,
//! Jury test, Stein solves by Cramer's rule on the rows, cost, gradient, metric and record,
//! in the same order of operations, so the GPU and this mirror differ by rounding (and
//! llvmpipe's fused multiply-adds) only. Multi-threaded over the grid's cells.

use rayon::prelude::*;

use crate::compute::policy::{PolicyParams, PolicyPlant};
use crate::gpu::general_data::FLAG_OUTSIDE_MODEL;
use crate::gpu::gpu_data::{FieldCell, flags};
use crate::math::sym2::{Sym2, angle_deg, natural_gradient};

fn cross(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// The shader's `stein`: X = W + M X Mᵀ, M = (m00, m01, m10, m11), X and W as (xx, xy, yy).
pub fn stein(m: [f32; 4], w: [f32; 3]) -> [f32; 3] {
    let r0 = [1.0 - m[0] * m[0], -2.0 * m[0] * m[1], -m[1] * m[1]];
    let r1 = [
        -m[0] * m[2],
        1.0 - (m[0] * m[3] + m[1] * m[2]),
        -m[1] * m[3],
    ];
    let r2 = [-m[2] * m[2], -2.0 * m[2] * m[3], 1.0 - m[3] * m[3]];
    let (c0, c1, c2) = (cross(r1, r2), cross(r2, r0), cross(r0, r1));
    let det = dot(r0, c0);
    std::array::from_fn(|i| (w[0] * c0[i] + w[1] * c1[i] + w[2] * c2[i]) / det)
}

/// The shader library's `PolicyPoint` (`common/policy.wgsl`): what one K gives.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PolicyPoint {
    /// Inside the stability triangle (Jury).
    pub stable: bool,
    /// ρ(A_K).
    pub rho: f32,
    /// C(K).
    pub cost: f32,
    /// ∇C.
    pub grad: [f32; 2],
    /// Σ_K as (xx, xy, yy).
    pub sigma: [f32; 3],
    /// R + BᵀP_K B.
    pub h: f32,
}

/// The shader's `closed_loop`: A_K = A − BK, row-major.
pub fn closed_loop(plant: &PolicyPlant, k: [f32; 2]) -> [f32; 4] {
    let a = plant.a;
    [a[0], a[1], a[2] - plant.dt * k[0], a[3] - plant.dt * k[1]]
}

/// The shader's `jury_stable`.
pub fn jury_stable(m: [f32; 4]) -> bool {
    let tr = m[0] + m[3];
    let det = m[0] * m[3] - m[1] * m[2];
    det.abs() < 1.0 && tr.abs() < 1.0 + det
}

/// The shader's `policy_point`.
pub fn policy_point(plant: &PolicyPlant, k: [f32; 2]) -> PolicyPoint {
    let m = closed_loop(plant, k);
    let tr = m[0] + m[3];
    let det = m[0] * m[3] - m[1] * m[2];
    let r = plant.r;
    let p = stein(
        [m[0], m[2], m[1], m[3]],
        [
            plant.q_pos + r * k[0] * k[0],
            r * k[0] * k[1],
            plant.q_vel + r * k[1] * k[1],
        ],
    );
    let s = stein(m, [plant.x0_pos, 0.0, plant.x0_vel]);
    let cost = p[0] * plant.x0_pos + p[2] * plant.x0_vel;
    let (dt, a) = (plant.dt, plant.a);
    let h = r + dt * dt * p[2];
    let bpa = [
        dt * (p[1] * a[0] + p[2] * a[2]),
        dt * (p[1] * a[1] + p[2] * a[3]),
    ];
    let e = [h * k[0] - bpa[0], h * k[1] - bpa[1]];
    let grad = [
        2.0 * (e[0] * s[0] + e[1] * s[1]),
        2.0 * (e[0] * s[1] + e[1] * s[2]),
    ];
    let disc = 0.25 * tr * tr - det;
    let rho = if disc >= 0.0 {
        0.5 * tr.abs() + disc.max(0.0).sqrt()
    } else {
        det.max(0.0).sqrt()
    };
    PolicyPoint {
        stable: jury_stable(m),
        rho,
        cost,
        grad,
        sigma: s,
        h,
    }
}

/// The shader's `policy_scales`: the triangle's extent along each gain
/// over 32.
pub fn policy_scales(plant: &PolicyPlant) -> [f32; 2] {
    [4.0 / (plant.dt * plant.dt) / 32.0, 4.0 / plant.dt / 32.0]
}

/// The shader's `evaluate` for cell `index` (the grid's, or with `points` the gains' list).
pub fn evaluate(params: &PolicyParams, index: u32, points: Option<&[[f32; 2]]>) -> FieldCell {
    let mut out = FieldCell::default();
    let column = index % params.shape[0];
    let row = index / params.shape[0];
    let offset = [
        (column as f32 + 0.5) * params.cell_size[0],
        (row as f32 + 0.5) * params.cell_size[1],
    ];
    let mut k = [params.origin[0] + offset[0], params.origin[1] + offset[1]];
    out.theta = offset;
    if let Some(points) = points {
        k = points[index as usize];
        out.theta = k;
    }
    let plant = &params.plant;
    let pt = policy_point(plant, k);
    let (grad, s) = (pt.grad, pt.sigma);
    let s2 = plant.exploration * plant.exploration;
    let fisher = Sym2::new(s[0] / s2, s[1] / s2, s[2] / s2);
    let eig = fisher.eigen();
    let mut cell_flags = flags::HAS_TARGET;
    let kappa = if eig.lambda_min > 0.0 {
        eig.lambda_max / eig.lambda_min
    } else {
        cell_flags |= flags::KAPPA_INFINITE;
        0.0
    };
    let natural = natural_gradient(&fisher, plant.damping, grad);
    if natural.is_none() {
        cell_flags |= flags::NATGRAD_UNDEFINED;
    }
    let angle = natural.and_then(|n| angle_deg(grad, n));
    if angle.is_none() {
        cell_flags |= flags::ANGLE_UNDEFINED;
    }
    if !pt.stable {
        out.empirical[0] = pt.rho;
        out.flags = FLAG_OUTSIDE_MODEL;
        return out;
    }
    let rotated = fisher.rotate_basis();
    out.eigenvalues = [eig.lambda_max, eig.lambda_min];
    out.fisher = [fisher.xx, fisher.xy, fisher.yy, fisher.det()];
    out.rotated = [rotated.xx, rotated.xy, rotated.yy, kappa];
    out.q_max = eig.q_max;
    out.grad = grad;
    out.natgrad = natural.unwrap_or([0.0; 2]);
    out.loss = pt.cost;
    out.angle_deg = angle.unwrap_or(0.0);
    out.flags = cell_flags;
    out.empirical = [
        pt.rho,
        k[0] * k[0] * s[0] + 2.0 * k[0] * k[1] * s[1] + k[1] * k[1] * s[2],
        pt.h,
    ];
    out
}

/// Every cell of `params`' grid, in the kernel's order, on all cores.
pub fn grid(params: &PolicyParams) -> Vec<FieldCell> {
    (0..params.cell_count)
        .into_par_iter()
        .map(|i| evaluate(params, i, None))
        .collect()
}
