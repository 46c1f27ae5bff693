// The convergence map on the policy plane: the shared scheme (common/convergence_scheme.wgsl,
// the rule and states in convergence.wgsl's header) from every cell of a lattice over the
// gains, with
//
//   gd:  K ← K − lr ∇C
//   npg: K ← K − lr F⁻¹∇C, F = Σ_K/σ² (the natural policy gradient: lr ½ … 2σ²E_K steps)
//
// and the loss the excess cost C(K) − C* (closed form, common/policy.wgsl: no quadrature, the
// node table is bound but unused). The Rust side sets threshold = 0 and loss_floor = (the
// map's relative threshold)·C*, so a run has converged once C ≤ (1 + threshold)·C*. A start or
// update outside the stability triangle (Jury) has left the model: a crash, which the map
// colours apart. Positions are offsets from the lattice origin O = hi + lo (formed in f64).
// Rust side: src/compute/convergence.rs (`ConvergencePipeline::policy`); f64 mirror:
// src/cpu/convergence.rs.

// #include <common/convergence_scheme.wgsl>

fn evaluate(offset: vec2<f32>, optimizer: u32) -> Evaluation {
    var out: Evaluation;
    out.basis = mat2x2<f32>(1.0, 0.0, 0.0, 1.0);
    let k = params.origin_hi + (params.origin_lo + offset);
    let pt = policy_point(params.plant, k);
    out.inside = pt.stable;
    if !out.inside {
        return out;
    }
    out.loss = pt.cost - params.c_star;
    out.grad = pt.grad;
    let s2 = params.plant.exploration * params.plant.exploration;
    out.fisher = pt.sigma / s2;
    return out;
}
