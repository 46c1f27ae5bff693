// The FIM field: for every cell of a grid over the view rectangle (entry point `field`), or
// for a list of arbitrary points (entry point `points`), evaluate F by quadrature in the
// cancellation-free rotated basis, its eigen-decomposition and κ, and for the current target
// ∇L, L, the damped natural gradient, the angle between the two and the population empirical
// Fisher E_{p*}[s sᵀ] (standard basis, `ef_aa`, `ef_ab`, `ef_bb`). One invocation per cell,
// no shared memory: the work per cell (Q nodes for F, 2 × Q for the target) dwarfs any reuse.
// Entry point `field_target` redoes only the target's half when only the target moved.
//
// Transcendentals per cell at Q nodes per component (Q = 64: 512 exps, no log): F 2 exps × Q
// (one component: the mirror symmetry in `fisher_rotated`), the target 3 exps × 2Q (node
// weight, the model's switch shared by tanh and the log-density, the target's log-sum-exp;
// the log of the ratio is a short series, `log_ratio_1p`).
//
// Output `cells` is laid out for the render pipelines to read directly (ellipses, arrows).
// Rust side: `src/compute/fim_field.rs` (dispatch), `src/cpu/fim_field.rs` (f32 mirror),
// `src/gpu/gpu_data.rs` (FieldParams, FieldCell, PointInput byte layouts).

// #include <common/gmm.wgsl>
// #include <common/field_cell.wgsl>
// #include <common/dispatch.wgsl>

const WORKGROUP_SIZE: u32 = 64u;

// Cells sit at small f32 offsets from a floating origin O (see FieldParams in
// src/gpu/gpu_data.rs): Δ = Δ₀ + (offset₁ − offset₂) and the target relative to θ's
// midpoint are formed from quantities the CPU took in f64, so neither the cell spacing nor
// Δ = μ1 − μ2 loses precision when the view is tiny or far from (0, 0).
struct FieldParams {
    origin_hi: vec2<f32>,    // O = hi + lo (the CPU side's; the kernel needs only Δ₀, target_y0)
    origin_lo: vec2<f32>,
    cell_size: vec2<f32>,    // cell (c, r) sits at offset ((c + ½)·size₁, (r + ½)·size₂) from O
    target_y0: vec2<f32>,    // (t1 − m̄₀, t2 − m̄₀), m̄₀ = (O1 + O2)/2
    shape: vec2<u32>,         // columns, rows
    sigma: f32,
    damping: f32,
    panel_nodes: u32,        // n = Q/2 Gauss–Legendre nodes per panel
    cell_count: u32,         // cells (or points) to evaluate
    origin_delta: f32,       // Δ₀ = O1 − O2
    _pad: u32,
}

struct PointInput {
    theta: vec2<f32>,        // offset from O (O = 0 for `fisherflow fim`: absolute θ)
    target_y0: vec2<f32>,    // θ* − m̄₀ (θ* when O = 0)
    sigma: f32,
    has_target: u32,
    _pad: vec2<u32>,
}

@group(0) @binding(0) var<storage, read> params: FieldParams;
@group(0) @binding(1) var<uniform> quadrature_nodes: array<vec4<f32>, 256>;
@group(0) @binding(2) var<storage, read_write> cells: array<FieldCell>;
@group(0) @binding(3) var<storage, read> point_inputs: array<PointInput>;

// The target-independent half of a cell at θ = O + offset: F (rotated and standard basis),
// its eigen-decomposition and κ. CPU twin: cpu::fim_field::fisher_part.
fn fisher_part(offset: vec2<f32>, th: Theta) -> FieldCell {
    let f_rot = fisher_rotated(th, params.panel_nodes);
    let eig = sym2_eigen(f_rot);
    var out: FieldCell;
    out.theta = offset;
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
    out.flags = flags;
    return out;
}

// The target's half, added to a cell whose F is already there (`fisher_part`): ∇L, L, the
// damped natural gradient, the angle between the two and the population empirical Fisher.
// `target_y0` is θ* relative to O's midpoint. CPU twin: cpu::fim_field::target_part.
fn target_part(cell: FieldCell, th: Theta, target_y0: vec2<f32>) -> FieldCell {
    var out = cell;
    var flags = (cell.flags & FLAG_KAPPA_INFINITE) | FLAG_HAS_TARGET;
    // θ's midpoint is m̄₀ + (offset₁ + offset₂)/2: the target in θ's y frame follows.
    let target_y = target_y0 - vec2<f32>(0.5 * (cell.theta.x + cell.theta.y));
    let terms = target_terms(th, target_y, params.panel_nodes);
    let nat = natural_gradient(cell.rotated.xyz, params.damping, terms.grad);
    out.grad = rotate_vector(terms.grad);
    out.loss = terms.loss;
    // The empirical Fisher E_{p*}[s sᵀ] back in the standard (μ1, μ2) basis. Its nodes sit
    // under the target's components; the panels still split at the model's switch point
    // (y = 0), where the scores bend.
    let ef = sym2_rotate_basis(terms.empirical);
    out.ef_aa = ef.x;
    out.ef_ab = ef.y;
    out.ef_bb = ef.z;
    out.natgrad = vec2<f32>(0.0);
    out.angle_deg = 0.0;
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
    out.flags = flags;
    return out;
}

// θ in the y frame at offset from O: Δ from Δ₀ plus the offset's difference.
fn cell_theta(offset: vec2<f32>, sigma: f32) -> Theta {
    return theta_from_half_delta(0.5 * (params.origin_delta + (offset.x - offset.y)), sigma);
}

// Everything at θ = O + offset; shared by the `field` and `points` entry points (CPU twin:
// cpu::fim_field::evaluate_cell).
fn evaluate_cell(offset: vec2<f32>, sigma: f32, target_y0: vec2<f32>, has_target: bool) -> FieldCell {
    let th = cell_theta(offset, sigma);
    let cell = fisher_part(offset, th);
    if has_target {
        return target_part(cell, th, target_y0);
    }
    return cell;
}

fn grid_offset(index: u32) -> vec2<f32> {
    let column = index % params.shape.x;
    let row = index / params.shape.x;
    return (vec2<f32>(f32(column), f32(row)) + 0.5) * params.cell_size;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn field(@builtin(global_invocation_id) gid: vec3<u32>,
         @builtin(num_workgroups) groups: vec3<u32>) {
    let index = linear_index(gid, groups);
    if index >= params.cell_count {
        return;
    }
    cells[index] = evaluate_cell(grid_offset(index), params.sigma, params.target_y0, true);
}

// The target moved, nothing else: the cells keep F (a third of the work at equal node counts,
// and everything the ellipses draw) and only the target's half is recomputed. The caller
// guarantees the buffer holds this grid's field (same origin, cells, σ and nodes).
@compute @workgroup_size(WORKGROUP_SIZE)
fn field_target(@builtin(global_invocation_id) gid: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>) {
    let index = linear_index(gid, groups);
    if index >= params.cell_count {
        return;
    }
    let cell = cells[index];
    cells[index] = target_part(cell, cell_theta(cell.theta, params.sigma), params.target_y0);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn points(@builtin(global_invocation_id) gid: vec3<u32>,
          @builtin(num_workgroups) groups: vec3<u32>) {
    let index = linear_index(gid, groups);
    if index >= params.cell_count {
        return;
    }
    let p = point_inputs[index];
    cells[index] = evaluate_cell(p.theta, p.sigma, p.target_y0, p.has_target != 0u);
}
