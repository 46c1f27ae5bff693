// The general model's FIM at a list of points (entry point `points`, one invocation per
// point: each point carries a full model ψ = (π, μ1, μ2, σ1, σ2), a slice (two parameter
// indices) and optionally a target ψ*) or over a grid of one slice (entry point `grid`, one
// invocation per cell, with a floating origin like fim_field.wgsl's `field`). Output: the
// slice's 2×2 metric block (the induced block of F, or on the grid with GRID_METRIC = 1 the
// profiled block, its Schur complement; `points` evaluates the induced block only; standard
// basis, slice order), its eigen-decomposition and κ, and with a
// target L, ∇L, the damped natural gradient and the angle, in the seed's `FieldCell` record so
// the renderer can draw general fields unchanged. Fields whose meaning differs from
// fim_field.wgsl's:
//   theta   — `points`: the slice coordinates (ψ_a, ψ_b), absolute; `grid`: the cell centre's
//             offset from the grid's origin O (drawn at theta + (O − view centre));
//   rotated — (F_uu, F_uv, F_vv, κ) of the block in the basis u = (e_a + e_b)/√2,
//             v = (e_a − e_b)/√2, formed from the block (not accumulated there);
//   flags   — FLAG_SPLITS_DROPPED (16, reserved: no longer set), FLAG_OUTSIDE_MODEL (32, grid
//             cells outside the model: all else zero), FLAG_METRIC_UNDEFINED (64, profiled
//             metric undefined: all else zero) on top of the seed's bits (gmm_general.wgsl).
//
// F is accumulated in the standard basis; where its correlation is high (F11·F22 >
// REFINE_RATIO·det F), a second pass accumulates F again in the block's own eigenbasis
// (p = Q·s), so the small eigenvalue is a sum of squares, not the difference F11·F22 − F12²
// that loses (sum rounding)·F11·F22/det: the Rayleigh quotient there is accurate to second
// order in the first pass's eigenvector error.
//
// Rust side: `src/compute/general.rs` (dispatch), `src/cpu/general/` (f32 mirror),
// `src/gpu/general_data.rs` (GeneralParams, GeneralPointInput, GeneralGridParams layouts).

// #include <common/gmm_general.wgsl>
// #include <common/general_point.wgsl>
// #include <common/field_cell.wgsl>
// #include <common/dispatch.wgsl>

// gmm_general.wgsl's union pass may be asked for L here.
const UNION_LOSS_POSSIBLE: bool = true;

const WORKGROUP_SIZE: u32 = 64u;

struct GeneralParams {
    damping: f32,
    panel_nodes: u32,        // n Gauss–Legendre nodes per panel
    point_count: u32,
    _pad: u32,
}

// The grid over one slice. Cell (c, r) sits at slice coordinates O + offset, offset =
// ((c + ½)·size_a, (r + ½)·size_b); the held parameters come from `base`. The model's μ2 − μ1
// (what the y frame needs) is `mean_gap` + (offset of μ2 − offset of μ1), and the target's
// means relative to the model's μ1 are `target_mean` − offset of μ1, where `mean_gap` and
// `target_mean` were formed in f64 from the means at O (a mean's offset is 0 when it is held),
// so neither loses digits when the view is small and far from 0 (src/gpu/general_data.rs).
struct GeneralGridParams {
    origin_hi: vec2<f32>,    // O = hi + lo, slice coordinates (ψ_a, ψ_b)
    origin_lo: vec2<f32>,
    cell_size: vec2<f32>,    // need not be square: the two coordinates may differ in units
    shape: vec2<u32>,         // columns, rows
    base_pi: f32,            // the base model ψ; its slice coordinates are replaced per cell
    base_mu1: f32,
    base_mu2: f32,
    base_sigma1: f32,
    base_sigma2: f32,
    target_pi: f32,          // the target ψ* (its means enter through target_mean)
    target_mu1: f32,
    target_mu2: f32,
    target_sigma1: f32,
    target_sigma2: f32,
    slice_a: u32,
    slice_b: u32,
    has_target: u32,
    damping: f32,
    panel_nodes: u32,
    cell_count: u32,
    metric: u32,             // METRIC_INDUCED or METRIC_PROFILED
    mean_gap: f32,           // μ2 − μ1 at O (f64 on the CPU, then rounded)
    target_mean: vec2<f32>,  // (μ1*, μ2*) − μ1 at O
}

@group(0) @binding(0) var<storage, read> params: GeneralParams;
@group(0) @binding(1) var<uniform> quadrature_nodes: array<vec4<f32>, 256>;
@group(0) @binding(2) var<storage, read_write> cells: array<FieldCell>;
@group(0) @binding(3) var<storage, read> point_inputs: array<GeneralPointInput>;
// Only the `grid` entry point reads the second group.
@group(1) @binding(0) var<storage, read> grid_params: GeneralGridParams;

// Everything at one listed point (CPU twin: cpu::general::evaluate_general_point).
fn evaluate_general_point(p: GeneralPointInput, damping: f32, panel_nodes: u32, metric: u32) -> FieldCell {
    let slice = vec2<u32>(p.slice_a, p.slice_b);
    // The y frame: positions relative to the model's μ1.
    let origin = p.model_mu1;
    let m = make_mixture(p.model_pi, vec2<f32>(0.0, p.model_mu2 - origin),
        vec2<f32>(p.model_sigma1, p.model_sigma2));
    let target_mix = make_mixture(p.target_pi,
        vec2<f32>(p.target_mu1 - origin, p.target_mu2 - origin),
        vec2<f32>(p.target_sigma1, p.target_sigma2));
    var out = evaluate_general_mixtures(m, target_mix, p.has_target != 0u, slice, metric, damping,
        panel_nodes, UNION_ALL);
    let psi = array<f32, 5>(p.model_pi, p.model_mu1, p.model_mu2, p.model_sigma1, p.model_sigma2);
    out.theta = vec2<f32>(psi[slice.x], psi[slice.y]);
    return out;
}

// The grid's metric, fixed per pipeline (src/compute/general.rs builds one `grid` pipeline per
// metric): a pipeline constant lets the compiler drop the other metric's code. With the metric
// read from the parameters instead, both branches' code and private arrays sat in every invocation
// and the induced grid ran 1.3× slower on llvmpipe.
override GRID_METRIC: u32 = METRIC_INDUCED;

// The value of slice coordinate k in a cell (v = (ψ_a, ψ_b)), or `held` when k is held.
// Selects rather than a dynamically indexed array: private arrays indexed at run time are
// memory on llvmpipe.
fn slice_value(k: u32, v: vec2<f32>, held: f32) -> f32 {
    return select(select(held, v.y, grid_params.slice_b == k), v.x, grid_params.slice_a == k);
}

// Grid cell `index`'s model and target in the y frame, and its offset from O.
struct GridCellMixtures {
    inside: bool,            // the model is inside the model space (inside_model)
    offset: vec2<f32>,
    m: Mixture,
    target_mix: Mixture,
}

fn grid_cell_mixtures(index: u32) -> GridCellMixtures {
    let g = grid_params;
    let slice = vec2<u32>(g.slice_a, g.slice_b);
    let column = index % g.shape.x;
    let row = index / g.shape.x;
    var out: GridCellMixtures;
    out.offset = (vec2<f32>(f32(column), f32(row)) + 0.5) * g.cell_size;
    // Each parameter's offset from its value at O (0 when held) and its value in the cell.
    let coords = g.origin_hi + (g.origin_lo + out.offset);
    let off_mu1 = slice_value(PARAM_MU1, out.offset, 0.0);
    let off_mu2 = slice_value(PARAM_MU2, out.offset, 0.0);
    let psi = array<f32, 5>(slice_value(PARAM_PI, coords, g.base_pi),
        slice_value(PARAM_MU1, coords, g.base_mu1), slice_value(PARAM_MU2, coords, g.base_mu2),
        slice_value(PARAM_SIGMA1, coords, g.base_sigma1),
        slice_value(PARAM_SIGMA2, coords, g.base_sigma2));
    out.inside = inside_model(psi, slice);
    if out.inside {
        out.m = make_mixture(psi[PARAM_PI], vec2<f32>(0.0, g.mean_gap + (off_mu2 - off_mu1)),
            vec2<f32>(psi[PARAM_SIGMA1], psi[PARAM_SIGMA2]));
        out.target_mix = make_mixture(g.target_pi, g.target_mean - off_mu1,
            vec2<f32>(g.target_sigma1, g.target_sigma2));
    }
    return out;
}

// Grid cell `index` (CPU twin: cpu::general::grid_cell).
fn evaluate_grid_cell(index: u32) -> FieldCell {
    let g = grid_params;
    let cm = grid_cell_mixtures(index);
    var out: FieldCell;
    if !cm.inside {
        out.theta = cm.offset;
        out.flags = FLAG_OUTSIDE_MODEL;
        return out;
    }
    out = evaluate_general_mixtures(cm.m, cm.target_mix, g.has_target != 0u,
        vec2<u32>(g.slice_a, g.slice_b), GRID_METRIC, g.damping, g.panel_nodes, UNION_ALL);
    out.theta = cm.offset;
    return out;
}

// Grid cell `index` after only the target (or the damping) changed: its metric half is kept,
// the target's half redone (CPU twin: cpu::general::grid_cell_target). Cells outside the model
// or with an undefined metric carry no target half.
fn evaluate_grid_cell_target(index: u32, cell: FieldCell) -> FieldCell {
    let g = grid_params;
    if (cell.flags & (FLAG_OUTSIDE_MODEL | FLAG_METRIC_UNDEFINED)) != 0u {
        return cell;
    }
    let cm = grid_cell_mixtures(index);
    if g.has_target == 0u {
        var out = cell;
        out.grad = vec2<f32>(0.0);
        out.natgrad = vec2<f32>(0.0);
        out.loss = 0.0;
        out.angle_deg = 0.0;
        out.ef_aa = 0.0;
        out.ef_ab = 0.0;
        out.ef_bb = 0.0;
        out.flags = cell.flags & ~(FLAG_HAS_TARGET | FLAG_NATGRAD_UNDEFINED | FLAG_ANGLE_UNDEFINED);
        return out;
    }
    return with_target(cell, cm.m, cm.target_mix, vec2<u32>(g.slice_a, g.slice_b), g.damping,
        g.panel_nodes, UNION_ALL);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn points(@builtin(global_invocation_id) gid: vec3<u32>,
          @builtin(num_workgroups) groups: vec3<u32>) {
    let index = linear_index(gid, groups);
    if index >= params.point_count {
        return;
    }
    // The induced metric, the only one its callers ask for: a constant, so the pipeline is
    // compiled without the profiled metric's passes.
    cells[index] = evaluate_general_point(point_inputs[index], params.damping, params.panel_nodes,
        METRIC_INDUCED);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn grid(@builtin(global_invocation_id) gid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
    let index = linear_index(gid, groups);
    if index >= grid_params.cell_count {
        return;
    }
    cells[index] = evaluate_grid_cell(index);
}

// The target-only pass over a grid the `grid` entry point wrote with the same model, view and
// metric: a dragged handle never recomputes F.
@compute @workgroup_size(WORKGROUP_SIZE)
fn grid_target(@builtin(global_invocation_id) gid: vec3<u32>,
               @builtin(num_workgroups) groups: vec3<u32>) {
    let index = linear_index(gid, groups);
    if index >= grid_params.cell_count {
        return;
    }
    cells[index] = evaluate_grid_cell_target(index, cells[index]);
}
