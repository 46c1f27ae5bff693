// The policy plane's closed-form evaluation at gains K = (k1, k2) (MATH.md, "The policy
// plane"), shared by its field (policy_field.wgsl) and its flow (particles.wgsl's
// `step_policy`): the closed loop A_K = A − BK of x' = Ax + Bu with B = (0, dt)ᵀ, stability by
// the Jury conditions, P_K and Σ_K from the 2×2 Stein equations (3×3 linear systems solved by
// Cramer's rule: no loops, the same work in every lane), the cost C = tr(P_K Σ0) and
// ∇C = 2 E_K Σ_K with E_K = (R + BᵀP_K B)K − BᵀP_K A.
// f32 mirror: src/cpu/policy.rs (`policy_point`, same order of operations); f64 reference:
// src/math/policy/lqr.rs.

// The plant, its cost weights, the start distribution and the exploration σ (Rust:
// compute::policy::PolicyPlant, 48 bytes).
struct PolicyPlant {
    a: vec4<f32>,            // A row-major (a00, a01, a10, a11)
    dt: f32,
    r: f32,
    q_pos: f32,
    q_vel: f32,
    x0_pos: f32,
    x0_vel: f32,
    exploration: f32,
    damping: f32,            // λ of the natural gradient (F + λI)⁻¹∇C
}

// X = W + M X Mᵀ for symmetric X = (x11, x12, x22) and W = (w11, w12, w22), M = (m00, m01,
// m10, m11): the 3×3 system (I − T)x = w solved by Cramer's rule on its rows (the inverse's
// columns are the rows' cross products over the determinant).
fn stein(m: vec4<f32>, w: vec3<f32>) -> vec3<f32> {
    let r0 = vec3<f32>(1.0 - m.x * m.x, -2.0 * m.x * m.y, -m.y * m.y);
    let r1 = vec3<f32>(-m.x * m.z, 1.0 - (m.x * m.w + m.y * m.z), -m.y * m.w);
    let r2 = vec3<f32>(-m.z * m.z, -2.0 * m.z * m.w, 1.0 - m.w * m.w);
    let c0 = cross(r1, r2);
    let c1 = cross(r2, r0);
    let c2 = cross(r0, r1);
    let det = dot(r0, c0);
    return (w.x * c0 + w.y * c1 + w.z * c2) / det;
}

// A_K = A − BK: only the second row changes.
fn closed_loop(plant: PolicyPlant, k: vec2<f32>) -> vec4<f32> {
    let a = plant.a;
    return vec4<f32>(a.x, a.y, a.z - plant.dt * k.x, a.w - plant.dt * k.y);
}

// Jury: both eigenvalues of the 2×2 closed loop strictly inside the unit circle.
fn jury_stable(m: vec4<f32>) -> bool {
    let tr = m.x + m.w;
    let det = m.x * m.w - m.y * m.z;
    return abs(det) < 1.0 && abs(tr) < 1.0 + det;
}

// What one K gives (all but `stable` and `rho` meaningless where unstable).
struct PolicyPoint {
    stable: bool,
    rho: f32,                // ρ(A_K)
    cost: f32,               // C(K)
    grad: vec2<f32>,         // ∇C
    sigma: vec3<f32>,        // Σ_K (xx, xy, yy); F = Σ_K/σ²
    h: f32,                  // R + BᵀP_K B
}

fn policy_point(plant: PolicyPlant, k: vec2<f32>) -> PolicyPoint {
    let m = closed_loop(plant, k);
    let tr = m.x + m.w;
    let det = m.x * m.w - m.y * m.z;
    var out: PolicyPoint;
    out.stable = jury_stable(m);
    // P: Stein in A_Kᵀ with W = Q + KᵀRK; Σ: Stein in A_K with W = Σ0.
    let r = plant.r;
    let p = stein(vec4<f32>(m.x, m.z, m.y, m.w),
        vec3<f32>(plant.q_pos + r * k.x * k.x, r * k.x * k.y, plant.q_vel + r * k.y * k.y));
    let s = stein(m, vec3<f32>(plant.x0_pos, 0.0, plant.x0_vel));
    out.cost = p.x * plant.x0_pos + p.z * plant.x0_vel;
    let dt = plant.dt;
    let a = plant.a;
    out.h = r + dt * dt * p.z;
    let bpa = dt * vec2<f32>(p.y * a.x + p.z * a.z, p.y * a.y + p.z * a.w);
    let e = out.h * k - bpa;
    out.grad = 2.0 * vec2<f32>(e.x * s.x + e.y * s.y, e.x * s.y + e.y * s.z);
    out.sigma = s;
    let disc = 0.25 * tr * tr - det;
    out.rho = select(sqrt(max(det, 0.0)), 0.5 * abs(tr) + sqrt(max(disc, 0.0)), disc >= 0.0);
    return out;
}

// The plane's coordinate scales (Rust: PolicyPlane::coordinate_scales): the stability
// triangle's extent along each gain over 32 (it spans 4/dt² in k1 and 4/dt in k2).
fn policy_scales(plant: PolicyPlant) -> vec2<f32> {
    return vec2<f32>(4.0 / (plant.dt * plant.dt) / 32.0, 4.0 / plant.dt / 32.0);
}
