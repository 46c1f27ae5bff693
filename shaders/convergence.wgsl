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
// This file is the mixture's half (its `evaluate`); the scheme's `advance`, shared with the
// policy plane (convergence_policy.wgsl), is in common/convergence_scheme.wgsl.
//
// Rust side: src/compute/convergence.rs (dispatch, layouts `ConvergenceParams`, `ConvCell`);
// f64 mirror: src/cpu/convergence.rs (same lattice, update, threshold rule and status codes).

// #include <common/gmm_general.wgsl>
// #include <common/convergence_scheme.wgsl>

// gmm_general.wgsl's union pass may be asked for L here.
const UNION_LOSS_POSSIBLE: bool = true;

// The value of slice coordinate k at slice point v, or `held` when k is not on the slice.
fn slice_value(k: u32, v: vec2<f32>, held: f32) -> f32 {
    return select(select(held, v.y, params.slice_b == k), v.x, params.slice_a == k);
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
    // kernel computes them (gd skips F's sums; neither reads the EF).
    let t_joint = truncation_sigmas(min(min_weight(m), min_weight(target_mix)));
    let ngd = optimizer == OPTIMIZER_NGD;
    let joint = union_pass(m, target_mix, slice, t_joint, g.panel_nodes,
        UNION_LOSS | select(0u, UNION_FISHER, ngd));
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
