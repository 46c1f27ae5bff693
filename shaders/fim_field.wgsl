// The FIM field: for every cell of a grid over the view rectangle (entry point `field`), or
// for a list of arbitrary points (entry point `points`), evaluate F by quadrature in the
// cancellation-free rotated basis, its eigen-decomposition and κ, and for the current target
// ∇L, L, the damped natural gradient and the angle between the two. One invocation per cell,
// no shared memory: the work per cell (2 components × Q nodes, twice) dwarfs any reuse.
//
// Output `cells` is laid out for the render pipelines to read directly (ellipses, arrows).
// Rust side: `src/compute/fim_field.rs` (dispatch), `src/cpu/fim_field.rs` (f32 mirror),
// `src/gpu/gpu_data.rs` (FieldParams, FieldCell, PointInput byte layouts).

// #include <common/gmm.wgsl>
// #include <common/field_cell.wgsl>

const WORKGROUP_SIZE: u32 = 64u;

struct FieldParams {
    view_min: vec2<f32>,     // (μ1, μ2) of the grid's lower-left corner
    cell_size: vec2<f32>,    // extent of one cell along μ1 and μ2
    target_theta: vec2<f32>, // θ* for ∇L (field mode)
    grid: vec2<u32>,         // columns, rows
    sigma: f32,
    damping: f32,
    panel_nodes: u32,        // n = Q/2 Gauss–Legendre nodes per panel
    cell_count: u32,         // cells (or points) to evaluate
    _pad: vec4<u32>,
}

struct PointInput {
    theta: vec2<f32>,
    target_theta: vec2<f32>,
    sigma: f32,
    has_target: u32,
    _pad: vec2<u32>,
}

@group(0) @binding(0) var<uniform> params: FieldParams;
@group(0) @binding(1) var<storage, read> quadrature_nodes: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> cells: array<FieldCell>;
@group(0) @binding(3) var<storage, read> point_inputs: array<PointInput>;

// Everything at one θ; shared by both entry points (CPU twin: cpu::fim_field::evaluate_cell).
fn evaluate_cell(mu: vec2<f32>, sigma: f32, target_theta: vec2<f32>, has_target: bool) -> FieldCell {
    let th = make_theta(mu, sigma);
    let f_rot = fisher_rotated(th, params.panel_nodes);
    let eig = sym2_eigen(f_rot);
    var out: FieldCell;
    out.theta = mu;
    out.eigenvalues = vec2<f32>(eig.lambda_max, eig.lambda_min);
    out.fisher = vec4<f32>(sym2_rotate_basis(f_rot), eig.lambda_max * eig.lambda_min);
    var flags = 0u;
    var kappa = 0.0;
    if eig.lambda_min > 0.0 {
        kappa = eig.lambda_max / eig.lambda_min;
    } else {
        flags |= FLAG_KAPPA_INFINITE;
    }
    out.rotated = vec4<f32>(f_rot, kappa);
    out.q_max = rotate_vector(eig.q_max);
    if has_target {
        flags |= FLAG_HAS_TARGET;
        let mid = 0.5 * (mu.x + mu.y);
        let g_and_loss = gradient_rotated_and_loss(th, mid, target_theta, params.panel_nodes);
        let g_rot = g_and_loss.xy;
        let nat = natural_gradient(f_rot, params.damping, g_rot);
        out.grad = rotate_vector(g_rot);
        out.loss = g_and_loss.z;
        if nat.defined {
            out.natgrad = rotate_vector(nat.value);
            out.angle_deg = angle_deg(out.grad, out.natgrad);
        } else {
            flags |= FLAG_NATGRAD_UNDEFINED;
        }
        if !nat.defined || out.angle_deg < 0.0 {
            flags |= FLAG_ANGLE_UNDEFINED;
            out.angle_deg = 0.0;
        }
    }
    out.flags = flags;
    return out;
}

// Linear invocation index over a 2-D dispatch (the x dimension alone caps at 65535 groups).
fn linear_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return gid.x + gid.y * groups.x * WORKGROUP_SIZE;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn field(@builtin(global_invocation_id) gid: vec3<u32>,
         @builtin(num_workgroups) groups: vec3<u32>) {
    let index = linear_index(gid, groups);
    if index >= params.cell_count {
        return;
    }
    let column = index % params.grid.x;
    let row = index / params.grid.x;
    let mu = params.view_min + (vec2<f32>(f32(column), f32(row)) + 0.5) * params.cell_size;
    cells[index] = evaluate_cell(mu, params.sigma, params.target_theta, true);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn points(@builtin(global_invocation_id) gid: vec3<u32>,
          @builtin(num_workgroups) groups: vec3<u32>) {
    let index = linear_index(gid, groups);
    if index >= params.cell_count {
        return;
    }
    let p = point_inputs[index];
    cells[index] = evaluate_cell(p.theta, p.sigma, p.target_theta, p.has_target != 0u);
}
