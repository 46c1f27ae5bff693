// The general model's FIM at a list of points (entry point `points`, one invocation per
// point): each point carries a full model ψ = (π, μ1, μ2, σ1, σ2), a slice (two parameter
// indices) and optionally a target ψ*. Output: the slice's 2×2 block of F (standard basis,
// slice order), its eigen-decomposition and κ, and with a target L, ∇L, the damped natural
// gradient and the angle, in the seed's `FieldCell` record so the renderer can draw general
// fields unchanged. Fields whose meaning differs from fim_field.wgsl's:
//   theta   — the slice coordinates (ψ_a, ψ_b), absolute (no floating origin);
//   rotated — (F_uu, F_uv, F_vv, κ) of the block in the basis u = (e_a + e_b)/√2,
//             v = (e_a − e_b)/√2, formed from the block (not accumulated there);
//   flags   — FLAG_SPLITS_DROPPED (16) on top of the seed's bits.
//
// F is accumulated in the standard basis; where its correlation is high (F11·F22 >
// REFINE_RATIO·det F), a second pass accumulates F again in the block's own eigenbasis
// (p = Q·s), so the small eigenvalue is a sum of squares, not the difference F11·F22 − F12²
// that loses (sum rounding)·F11·F22/det: the Rayleigh quotient there is accurate to second
// order in the first pass's eigenvector error.
//
// Rust side: `src/compute/general.rs` (dispatch), `src/cpu/general.rs` (f32 mirror),
// `src/gpu/general_data.rs` (GeneralParams, GeneralPointInput byte layouts).

// #include <common/gmm_general.wgsl>
// #include <common/field_cell.wgsl>
// #include <common/dispatch.wgsl>

const WORKGROUP_SIZE: u32 = 64u;
const FLAG_SPLITS_DROPPED: u32 = 16u;

struct GeneralParams {
    damping: f32,
    panel_nodes: u32,        // n Gauss–Legendre nodes per panel
    point_count: u32,
    _pad: u32,
}

struct GeneralPointInput {
    model_pi: f32,
    model_mu1: f32,
    model_mu2: f32,
    model_sigma1: f32,
    model_sigma2: f32,
    target_pi: f32,
    target_mu1: f32,
    target_mu2: f32,
    target_sigma1: f32,
    target_sigma2: f32,
    slice_a: u32,            // PARAM_* index of the first slice coordinate
    slice_b: u32,            // PARAM_* index of the second
    has_target: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: GeneralParams;
@group(0) @binding(1) var<storage, read> quadrature_nodes: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> cells: array<FieldCell>;
@group(0) @binding(3) var<storage, read> point_inputs: array<GeneralPointInput>;

fn param_value(psi: array<f32, 5>, k: u32) -> f32 {
    return psi[k];
}

// Everything at one point (CPU twin: cpu::general::evaluate_general_point).
fn evaluate_general_point(p: GeneralPointInput, damping: f32, panel_nodes: u32) -> FieldCell {
    let psi = array<f32, 5>(p.model_pi, p.model_mu1, p.model_mu2, p.model_sigma1, p.model_sigma2);
    let slice = vec2<u32>(p.slice_a, p.slice_b);
    // The y frame: positions relative to the model's μ1.
    let origin = p.model_mu1;
    let m = make_mixture(p.model_pi, vec2<f32>(0.0, p.model_mu2 - origin),
        vec2<f32>(p.model_sigma1, p.model_sigma2));
    var flags = 0u;
    var dropped = 0u;

    let t_model = truncation_sigmas(min_weight(m));
    let first = fisher_pass(m, slice, mat2x2<f32>(1.0, 0.0, 0.0, 1.0), t_model, panel_nodes);
    dropped += first.dropped;
    var f_std = first.sums;
    var eig = sym2_eigen(f_std);
    // The basis F was finally accumulated in (rows q_max, q_min; identity when not refined).
    var basis = mat2x2<f32>(1.0, 0.0, 0.0, 1.0);
    var f_acc = f_std;
    // Refine where the determinant cancels (NaN sums refine too, and stay NaN).
    if !(sym2_det(f_std) * REFINE_RATIO > f_std.x * f_std.z) {
        let q = eig.q_max;
        // mat2x2 is column-major: columns (q.x, −q.y), (q.y, q.x) make rows q_max, q_min.
        basis = mat2x2<f32>(q.x, -q.y, q.y, q.x);
        let second = fisher_pass(m, slice, basis, t_model, panel_nodes);
        dropped += second.dropped;
        f_acc = second.sums;
        let e2 = sym2_eigen(f_acc);
        // Back to the standard basis: F = Bᵀ G B.
        let bt = transpose(basis);
        let g = mat2x2<f32>(f_acc.x, f_acc.y, f_acc.y, f_acc.z);
        let f = bt * g * basis;
        f_std = vec3<f32>(f[0][0], f[0][1], f[1][1]);
        eig = Eigen2(e2.lambda_max, e2.lambda_min, bt * e2.q_max);
    }

    var out: FieldCell;
    out.theta = vec2<f32>(param_value(psi, slice.x), param_value(psi, slice.y));
    out.eigenvalues = vec2<f32>(eig.lambda_max, eig.lambda_min);
    out.fisher = vec4<f32>(f_std, eig.lambda_max * eig.lambda_min);
    out.q_max = eig.q_max;
    var kappa = 0.0;
    if eig.lambda_min > 0.0 {
        kappa = eig.lambda_max / eig.lambda_min;
    } else {
        flags |= FLAG_KAPPA_INFINITE;
    }
    out.rotated = vec4<f32>(sym2_rotate_basis(f_std), kappa);

    if p.has_target != 0u {
        flags |= FLAG_HAS_TARGET;
        let target_mix = make_mixture(p.target_pi,
            vec2<f32>(p.target_mu1 - origin, p.target_mu2 - origin),
            vec2<f32>(p.target_sigma1, p.target_sigma2));
        let t_target = truncation_sigmas(min(min_weight(m), min_weight(target_mix)));
        let tp = target_pass(m, target_mix, slice, t_target, panel_nodes);
        dropped += tp.dropped;
        let grad = -tp.sums.xy;
        out.grad = grad;
        out.loss = tp.sums.z;
        // ñ in the accumulation basis: (G + λI)⁻¹(B g), then back with Bᵀ.
        let nat = natural_gradient(f_acc, damping, basis * grad);
        if nat.defined {
            out.natgrad = transpose(basis) * nat.value;
            out.angle_deg = angle_deg(out.grad, out.natgrad);
        } else {
            flags |= FLAG_NATGRAD_UNDEFINED;
        }
        if !nat.defined || out.angle_deg < 0.0 {
            flags |= FLAG_ANGLE_UNDEFINED;
            out.angle_deg = 0.0;
        }
    }
    if dropped > 0u {
        flags |= FLAG_SPLITS_DROPPED;
    }
    out.flags = flags;
    return out;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn points(@builtin(global_invocation_id) gid: vec3<u32>,
          @builtin(num_workgroups) groups: vec3<u32>) {
    let index = linear_index(gid, groups);
    if index >= params.point_count {
        return;
    }
    cells[index] = evaluate_general_point(point_inputs[index], params.damping, params.panel_nodes);
}
