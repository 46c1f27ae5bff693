// The convergence map's scheme, shared by every family: each cell of a lattice over the view
// is the start of a gd or natural-gradient run; `advance` takes up to `steps` updates per cell
// and dispatch and records how the run ended (the rule, states and chunks are described in
// convergence.wgsl's header). f64 mirror: src/cpu/convergence.rs.
//
// Contract with the including shader (the family's half):
//   fn evaluate(offset: vec2<f32>, optimizer: u32) -> Evaluation
// the loss, its gradient and (OPTIMIZER_NGD) the metric at the offset from the origin O, or
// `inside = false` outside the model. Families: the mixture (convergence.wgsl: L = KL) and the
// policy plane (convergence_policy.wgsl: the excess cost C − C*).

// #include <common/sym2.wgsl>
// #include <common/policy.wgsl>
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
    shape: vec2<u32>,         // columns, rows (one map)
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
    // The policy plane only (convergence_policy.wgsl): the system and the optimum's cost.
    plant: PolicyPlant,
    c_star: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
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

@group(0) @binding(0) var<storage, read> params: ConvergenceParams;
@group(0) @binding(1) var<uniform> quadrature_nodes: array<vec4<f32>, 256>;
@group(0) @binding(2) var<storage, read_write> cells: array<ConvCell>;
@group(0) @binding(3) var<storage, read_write> counters: Counters;

// L, ∇L and (ngd) F at one offset from O (the family's `evaluate` fills it).
struct Evaluation {
    inside: bool,
    loss: f32,
    grad: vec2<f32>,
    fisher: vec3<f32>,       // induced block in the accumulation basis `basis`
    basis: mat2x2<f32>,
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
        let column = cell % params.shape.x;
        let row = cell / params.shape.x;
        c.offset = (vec2<f32>(f32(column), f32(row)) + 0.5) * params.cell_size;
        c.steps = 0u;
        c.status = STATUS_RUNNING;
        fresh = true;
    }
    let extent = vec2<f32>(params.shape) * params.cell_size;
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
