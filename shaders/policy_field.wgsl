// The policy plane's field (MATH.md, "The policy plane"): at gains K = (k1, k2) the closed loop
// A_K = A − BK of the plant x' = Ax + Bu, B = (0, dt)ᵀ (common/policy.wgsl); stability by the Jury conditions
// |det A_K| < 1, |tr A_K| < 1 + det A_K; P_K and Σ_K from the 2×2 Stein equations
// P = Q + KᵀRK + A_Kᵀ P A_K and Σ = Σ0 + A_K Σ A_Kᵀ (3×3 solves in closed form: no quadrature,
// no loops, the same work in every lane); the cost C = tr(P_K Σ0), ∇C = 2 E_K Σ_K with
// E_K = (R + BᵀP_K B)K − BᵀP_K A, the metric F = Σ_K/σ², its eigen-decomposition and κ, the
// damped natural gradient (F + λI)⁻¹∇C and the angle — in the mixture's `FieldCell` record, so
// ellipses, heatmaps and arrows draw it unchanged:
//   theta   — grid (use_points = 0): the cell centre's offset from the grid origin O;
//             points (use_points = 1): K itself;
//   loss    — C(K); grad ∇C; natgrad (F + λI)⁻¹∇C (with λ = 0 this is npg's 2σ²E_K);
//   rotated — (F_uu, F_uv, F_vv, κ) in u = (e1 + e2)/√2, v = (e1 − e2)/√2, as the general
//             kernel writes it;
//   ef_aa   — ρ(A_K); ef_ab — the control energy E_u = tr(KᵀK Σ_K); ef_bb — R + BᵀP_K B
//             (the policy plane has no empirical Fisher: these slots carry its own values);
//   flags   — FLAG_OUTSIDE_MODEL (32) outside the stability triangle (all else zero there),
//             else HAS_TARGET (the target is the optimum K*) and the seed's other bits.
//
// Rust side: `src/compute/policy.rs` (dispatch, `PolicyParams`); f64 reference:
// `src/math/policy/lqr.rs` (`Lqr::evaluate`), which `tests/gpu/policy.rs` compares against.

// #include <common/field_cell.wgsl>
// #include <common/policy.wgsl>
// #include <common/sym2.wgsl>
// #include <common/dispatch.wgsl>

const WORKGROUP_SIZE: u32 = 64u;
const FLAG_OUTSIDE_MODEL: u32 = 32u;

struct PolicyParams {
    origin: vec2<f32>,       // grid: the lower-left corner O (gains)
    cell_size: vec2<f32>,    // grid: cell size along k1 and k2
    shape: vec2<u32>,        // grid: columns, rows
    cell_count: u32,         // cells (or points) to evaluate
    use_points: u32,         // 1: K from `points`, theta absolute
    plant: PolicyPlant,
}

@group(0) @binding(0) var<storage, read> params: PolicyParams;
@group(0) @binding(1) var<storage, read_write> cells: array<FieldCell>;
@group(0) @binding(2) var<storage, read> points: array<vec2<f32>>;

fn evaluate(index: u32) -> FieldCell {
    var out: FieldCell;
    let column = index % params.shape.x;
    let row = index / params.shape.x;
    let offset = (vec2<f32>(f32(column), f32(row)) + 0.5) * params.cell_size;
    var k = params.origin + offset;
    out.theta = offset;
    if params.use_points == 1u {
        k = points[index];
        out.theta = k;
    }
    let pt = policy_point(params.plant, k);
    let grad = pt.grad;
    let s = pt.sigma;
    let s2 = params.plant.exploration * params.plant.exploration;
    let fisher = s / s2;
    let eig = sym2_eigen(fisher);
    var flags = FLAG_HAS_TARGET;
    var kappa = 0.0;
    if eig.lambda_min > 0.0 {
        kappa = eig.lambda_max / eig.lambda_min;
    } else {
        flags = flags | FLAG_KAPPA_INFINITE;
    }
    let natural = natural_gradient(fisher, params.plant.damping, grad);
    if !natural.defined {
        flags = flags | FLAG_NATGRAD_UNDEFINED;
    }
    let angle = angle_deg(grad, natural.value);
    if !natural.defined || angle < 0.0 {
        flags = flags | FLAG_ANGLE_UNDEFINED;
    }
    out.eigenvalues = vec2<f32>(eig.lambda_max, eig.lambda_min);
    out.fisher = vec4<f32>(fisher, sym2_det(fisher));
    out.rotated = vec4<f32>(sym2_rotate_basis(fisher), kappa);
    out.q_max = eig.q_max;
    out.grad = grad;
    out.natgrad = natural.value;
    out.loss = pt.cost;
    out.angle_deg = max(angle, 0.0);
    out.flags = flags;
    out.ef_aa = pt.rho;
    out.ef_ab = k.x * k.x * s.x + 2.0 * k.x * k.y * s.y + k.y * k.y * s.z;
    out.ef_bb = pt.h;
    if !pt.stable {
        var outside: FieldCell;
        outside.theta = out.theta;
        outside.ef_aa = pt.rho;
        outside.flags = FLAG_OUTSIDE_MODEL;
        return outside;
    }
    return out;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
    let index = linear_index(gid, groups);
    if index >= params.cell_count {
        return;
    }
    cells[index] = evaluate(index);
}
