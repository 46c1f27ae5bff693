// The geodesic ball on the policy plane: the shared integrator (common/geodesic_scheme.wgsl,
// the scheme in geodesic.wgsl's header) on the metric F = Σ_K/σ² of the gains K, whose jet is
// closed-form (MATH.md, "The policy plane"): Σ_K from the Stein equation Σ = Σ0 + A_K Σ A_Kᵀ
// and each derivative ∂Σ/∂k_j from one more, X_j = A_K X_j A_Kᵀ + D_j Σ A_Kᵀ + A_K Σ D_jᵀ with
// D_j = ∂A_K/∂k_j = −dt e₂ e_jᵀ. No quadrature: the node table is bound but unused.
//
// Floating origin: positions are offsets u = B·(K − K_probe) from the probe's gains (f32 here,
// the probe itself formed in f64 on the CPU). A stage or step end outside the stability
// triangle (Jury) stops the geodesic with STOP_OUTSIDE; F grows without bound toward the
// triangle's edges, so a geodesic slows in K as it nears one. The coordinate scales of the step
// cap are the plane's (the triangle's extent over 32).
// Rust side: src/compute/geodesic.rs (`GeodesicPipeline::policy`), src/gpu/geodesic_data.rs
// (`policy_geodesic_params`); f64 mirror: src/cpu/geodesic.rs (`policy_geodesic_ball`).

// #include <common/geodesic_scheme.wgsl>

// B S Bᵀ for symmetric S = (xx, xy, yy).
fn congruence(b: mat2x2<f32>, s: vec3<f32>) -> vec3<f32> {
    let r = b * mat2x2<f32>(s.x, s.y, s.y, s.z) * transpose(b);
    return vec3<f32>(r[0][0], r[1][0], r[1][1]);
}

// F and its derivatives at K, in the accumulation basis B (u = B·K): G = B F Bᵀ and
// ∂_{u_j} G = B (Σ_i B_ji ∂_{k_i} F) Bᵀ.
fn policy_metric_jet(k: vec2<f32>, b: mat2x2<f32>) -> MetricJet {
    let plant = params.plant;
    let m = closed_loop(plant, k);
    let s = stein(m, vec3<f32>(plant.x0_pos, 0.0, plant.x0_vel));
    // Row j of X_j's forcing D_j Σ A_Kᵀ is its only nonzero row (row 1): −dt (Σ A_Kᵀ)_{j,·}.
    let x0 = -plant.dt * vec2<f32>(s.x * m.x + s.y * m.y, s.x * m.z + s.y * m.w);
    let x1 = -plant.dt * vec2<f32>(s.y * m.x + s.z * m.y, s.y * m.z + s.z * m.w);
    let s2 = plant.exploration * plant.exploration;
    let df0 = stein(m, vec3<f32>(0.0, x0.x, 2.0 * x0.y)) / s2;
    let df1 = stein(m, vec3<f32>(0.0, x1.x, 2.0 * x1.y)) / s2;
    var out: MetricJet;
    out.metric = congruence(b, s / s2);
    // B_ji = b[i][j] (mat2x2 is column-major).
    out.d0 = congruence(b, b[0][0] * df0 + b[1][0] * df1);
    out.d1 = congruence(b, b[0][1] * df0 + b[1][1] * df1);
    return out;
}

fn scale_at(u: vec2<f32>) -> vec2<f32> {
    return policy_scales(params.plant);
}

fn evaluate(u: vec2<f32>) -> Evaluation {
    var out: Evaluation;
    out.scale = scale_at(u);
    let k = params.probe_gains + to_theta(u);
    if !jury_stable(closed_loop(params.plant, k)) {
        out.flags = STOP_OUTSIDE;
        return out;
    }
    out.jet = policy_metric_jet(k, basis());
    let kappa = jet_condition(out.jet.metric);
    out.flags = select(0u, STOP_SINGULAR, !(kappa >= 1.0 && kappa <= KAPPA_MAX));
    return out;
}
