// The convergence map (issue 12): every cell of a lattice over the view is the start of an
// optimizer run on the general mixture's slice; the kernel advances each running cell by up to
// `steps` updates per dispatch and records when it ends: converged (L below the threshold) at
// step k, left the domain, broke down (F singular, ngd only), or hit the step cap.
//
//   gd:  θ ← θ − lr ∇L
//   ngd: θ ← θ − lr F⁻¹∇L, F the induced slice block of the Fisher information
//
// with L = KL(p* ‖ p_θ) and ∇L from the general kernel's quadrature (gmm_general.wgsl: the
// same windows, panels and nodes), F from its `fisher_pass` with the same refinement in the
// block's eigenbasis as `evaluate_general_mixtures`.
//
// Threshold rule: converged when L < max(threshold · L0, loss_floor), L0 = L at the start; the
// absolute floor is what f32 resolves of L near θ* (src/compute/convergence.rs measures and
// documents it), so a start at θ* (L0 ≈ 0) counts as converged at 0 steps.
//
// State: one `ConvCell` per cell and map; a zeroed buffer means "not started" (the first
// dispatch that reaches a cell places it at its lattice centre). Cells that have ended return
// at once, so a dispatch costs less as the map fills in. Each dispatch covers a chunk of cells
// [first_cell, first_cell + chunk_cells) of the maps laid end to end (map 0, then map 1 in the
// split view), so one frame's share of the work stays small.
//
// Rust side: src/compute/convergence.rs (dispatch, layouts `ConvergenceParams`, `ConvCell`);
// f64 mirror: src/cpu/convergence.rs (same lattice, update, threshold rule and status codes).

// #include <common/gmm_general.wgsl>
// #include <common/dispatch.wgsl>

const WORKGROUP_SIZE: u32 = 64u;

// Status codes (Rust: compute::convergence::Status).
const STATUS_UNSTARTED: u32 = 0u;
const STATUS_RUNNING: u32 = 1u;
const STATUS_CONVERGED: u32 = 2u;
const STATUS_LEFT: u32 = 3u;       // left the model (σ ≤ 0, π ∉ (0, 1)) or the leave box
const STATUS_BREAKDOWN: u32 = 4u;  // ngd: F singular (κ > kappa_max); either: L or ∇L not finite
const STATUS_CAPPED: u32 = 5u;     // max_steps updates without converging
const STATUS_OUTSIDE: u32 = 6u;    // the start itself is outside the model: nothing run

const OPTIMIZER_GD: u32 = 0u;
const OPTIMIZER_NGD: u32 = 1u;

const F32_BIG: f32 = 3.0e38;

struct ConvergenceParams {
    origin_hi: vec2<f32>,    // O = hi + lo, slice coordinates
    origin_lo: vec2<f32>,
    cell_size: vec2<f32>,
    grid: vec2<u32>,         // columns, rows (one map)
    target_mean: vec2<f32>,  // (μ1*, μ2*) − μ1 at O (f64 on the CPU)
    lrs: vec2<f32>,          // learning rate of map 0, map 1
    optimizers: vec2<u32>,   // OPTIMIZER_* of map 0, map 1
    base_pi: f32,
    base_mu1: f32,
    base_mu2: f32,
    base_sigma1: f32,
    base_sigma2: f32,
    target_pi: f32,
    target_sigma1: f32,
    target_sigma2: f32,
    mean_gap: f32,           // μ2 − μ1 at O (f64 on the CPU)
    slice_a: u32,
    slice_b: u32,
    panel_nodes: u32,
    cell_count: u32,         // cells of one map
    total_cells: u32,        // cells of all maps
    first_cell: u32,         // this dispatch's chunk
    chunk_cells: u32,
    steps: u32,              // updates per cell in this dispatch (at most 16: lavapipe's loop limit)
    max_steps: u32,
    threshold: f32,          // relative: L < threshold · L0
    loss_floor: f32,         // absolute floor of the threshold
    kappa_max: f32,          // ngd breaks down where κ(F) exceeds this
    leave_margin: f32,       // the leave box: the start rect grown by this many rect sizes
}

struct ConvCell {
    offset: vec2<f32>,       // θ − O, slice coordinates
    loss0: f32,              // L at the start
    loss: f32,               // L at the last evaluation
    steps: u32,              // updates taken
    status: u32,
    _pad0: u32,
    _pad1: u32,
}

struct Counters {
    ended: atomic<u32>,      // cells that left STATUS_RUNNING (or never started: OUTSIDE)
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: ConvergenceParams;
@group(0) @binding(1) var<storage, read> quadrature_nodes: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> cells: array<ConvCell>;
@group(0) @binding(3) var<storage, read_write> counters: Counters;

// The value of slice coordinate k at slice point v, or `held` when k is not on the slice.
fn slice_value(k: u32, v: vec2<f32>, held: f32) -> f32 {
    return select(select(held, v.y, params.slice_b == k), v.x, params.slice_a == k);
}

// L, ∇L and (ngd) F at one offset from O.
struct Evaluation {
    inside: bool,
    loss: f32,
    grad: vec2<f32>,
    fisher: vec3<f32>,       // induced block in the accumulation basis `basis`
    basis: mat2x2<f32>,
}

fn evaluate(offset: vec2<f32>, optimizer: u32) -> Evaluation {
    let g = params;
    var out: Evaluation;
    out.basis = mat2x2<f32>(1.0, 0.0, 0.0, 1.0);
    let slice = vec2<u32>(g.slice_a, g.slice_b);
    let coords = g.origin_hi + (g.origin_lo + offset);
    let off_mu1 = slice_value(PARAM_MU1, offset, 0.0);
    let off_mu2 = slice_value(PARAM_MU2, offset, 0.0);
    let psi = array<f32, 5>(slice_value(PARAM_PI, coords, g.base_pi),
        slice_value(PARAM_MU1, coords, g.base_mu1), slice_value(PARAM_MU2, coords, g.base_mu2),
        slice_value(PARAM_SIGMA1, coords, g.base_sigma1),
        slice_value(PARAM_SIGMA2, coords, g.base_sigma2));
    out.inside = inside_model(psi, slice);
    if !out.inside {
        return out;
    }
    let m = make_mixture(psi[PARAM_PI], vec2<f32>(0.0, g.mean_gap + (off_mu2 - off_mu1)),
        vec2<f32>(psi[PARAM_SIGMA1], psi[PARAM_SIGMA2]));
    let target_mix = make_mixture(g.target_pi, g.target_mean - off_mu1,
        vec2<f32>(g.target_sigma1, g.target_sigma2));
    // −∇L, L and (ngd) F on one set of nodes: gmm_general.wgsl's union pass, as the field's
    // kernel computes them (gd skips F's sums).
    let t_joint = truncation_sigmas(min(min_weight(m), min_weight(target_mix)));
    let ngd = optimizer == OPTIMIZER_NGD;
    let joint = union_pass(m, target_mix, slice, t_joint, g.panel_nodes, ngd);
    out.grad = -joint.target_sums.xy;
    out.loss = joint.target_sums.z;
    if ngd {
        let t_model = truncation_sigmas(min_weight(m));
        var f = joint.fisher;
        // The refinement of evaluate_general_mixtures: where the determinant cancels,
        // accumulate F again in its own eigenbasis so λ_min is a sum of squares.
        if !(sym2_det(f) * REFINE_RATIO > f.x * f.z) {
            out.basis = eigen_basis(sym2_eigen(f).q_max);
            f = fisher_pass(m, slice, out.basis, t_model, g.panel_nodes).sums;
        }
        out.fisher = f;
    }
    return out;
}

fn finite2(v: vec2<f32>) -> bool {
    return all(abs(v) < vec2<f32>(F32_BIG));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn advance(@builtin(global_invocation_id) gid: vec3<u32>,
           @builtin(num_workgroups) groups: vec3<u32>) {
    let local = linear_index(gid, groups);
    if local >= params.chunk_cells {
        return;
    }
    let index = params.first_cell + local;
    if index >= params.total_cells {
        return;
    }
    var c = cells[index];
    if c.status != STATUS_UNSTARTED && c.status != STATUS_RUNNING {
        return;
    }
    let map = index / params.cell_count;
    let optimizer = params.optimizers[map];
    let lr = params.lrs[map];
    var fresh = false;
    if c.status == STATUS_UNSTARTED {
        let cell = index % params.cell_count;
        let column = cell % params.grid.x;
        let row = cell / params.grid.x;
        c.offset = (vec2<f32>(f32(column), f32(row)) + 0.5) * params.cell_size;
        c.steps = 0u;
        c.status = STATUS_RUNNING;
        fresh = true;
    }
    let extent = vec2<f32>(params.grid) * params.cell_size;
    let box_lo = -params.leave_margin * extent;
    let box_hi = (1.0 + params.leave_margin) * extent;
    for (var k = 0u; k < params.steps; k++) {
        let e = evaluate(c.offset, optimizer);
        if !e.inside {
            c.status = select(STATUS_LEFT, STATUS_OUTSIDE, fresh);
            break;
        }
        if fresh {
            c.loss0 = e.loss;
            fresh = false;
        }
        c.loss = e.loss;
        if !(abs(e.loss) < F32_BIG) || !finite2(e.grad) {
            c.status = STATUS_BREAKDOWN;
            break;
        }
        let threshold = max(params.threshold * c.loss0, params.loss_floor);
        if e.loss < threshold {
            c.status = STATUS_CONVERGED;
            break;
        }
        if c.steps >= params.max_steps {
            c.status = STATUS_CAPPED;
            break;
        }
        var direction = e.grad;
        if optimizer == OPTIMIZER_NGD {
            let eig = sym2_eigen(e.fisher);
            if !(eig.lambda_min * params.kappa_max > eig.lambda_max) {
                c.status = STATUS_BREAKDOWN;
                break;
            }
            // F⁻¹∇L in the accumulation basis B (G = B F Bᵀ): B Fᵀ… = Bᵀ G⁻¹ B ∇L.
            direction = transpose(e.basis) * sym2_solve(e.fisher, e.basis * e.grad);
        }
        c.offset -= lr * direction;
        c.steps += 1u;
        if !finite2(c.offset) || any(c.offset < box_lo) || any(c.offset > box_hi) {
            c.status = STATUS_LEFT;
            break;
        }
    }
    cells[index] = c;
    if c.status != STATUS_RUNNING {
        atomicAdd(&counters.ended, 1u);
    }
}
