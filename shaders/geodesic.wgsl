// The geodesic ball (MATH.md, "Geodesics"): `rays` Fisher–Rao geodesics from the probe, one
// invocation per geodesic, integrated at unit speed with RK4 to length r and written straight
// into line segments the renderer draws as instances (no read-back). Rust side:
// `src/compute/geodesic.rs` (dispatch), `src/cpu/geodesic.rs` (f64 mirror, same scheme),
// `src/gpu/geodesic_data.rs` (layouts and constants).
//
// This file is the mixture's half (its point model and quadrature jet); the integrator's
// entry points, shared with the policy plane (geodesic_policy.wgsl), are in
// common/geodesic_scheme.wgsl.
//
// Dispatches, in one compute pass: `start` once, `step` steps × SUBSTEP_BUDGET times (one RK4
// substep per geodesic per dispatch: lavapipe limits the loop iterations of one invocation to
// 65535, and a ball's whole integration is ~10⁵ node evaluations), `ring` once.
//
// Scheme (identical in the mirror):
// * direction i: θ̇ = M·(cos αᵢ, sin αᵢ), αᵢ = 2πi/rays, M = F^{-1/2} at the probe (f64, CPU):
//   evenly spread in angle in the F-orthonormal frame, unit speed;
// * the path is sampled every h = r/steps of arc length; each substep renormalises θ̇ to unit
//   speed and takes one classical RK4 step of (θ, θ̇) of length min(what is left to the next
//   sample, STEP_CAP/rate), rate = max(|θ̈|/|θ̇|, max_k |θ̇_k|/ℓ_k): the direction turns by at
//   most STEP_CAP per substep and no coordinate moves by more than STEP_CAP of its scale ℓ
//   (σ_c for μ_c and σ_c, min(π, 1 − π) for π). Away from the singular set that is one substep
//   of h per sample: fixed-step RK4. Near it the substeps shrink with the distance to it
//   (on the seed's slice |θ̈|/|θ̇| ~ |θ̇|/|μ1 − μ2|), which keeps the geodesic finite;
// * stop rule: an RK4 stage or substep end outside the model (σ ≤ 0, π ∉ (0, 1) where π
//   varies: STOP_OUTSIDE) or where F is not safely positive definite (κ > KAPPA_MAX or det ≤ 0:
//   STOP_SINGULAR) freezes the geodesic at the start of that substep; one that has not reached
//   length r after the budget of steps × SUBSTEP_BUDGET substeps stops with STOP_STEP where it
//   got to.
//
// Floating origin: positions are offsets from the probe (the slice coordinates' values are
// never formed in f32); the model at an offset takes μ2 − μ1 from `mean_gap` (formed in f64 at
// the probe) plus the offsets' difference, as fim_general.wgsl's grid does. The state lives in
// u = B·offset, B the accumulation basis (geodesic_jet.wgsl); outputs are in θ offsets.

// #include <common/geodesic_jet.wgsl>
// #include <common/geodesic_scheme.wgsl>

// gmm_general.wgsl's union pass may be asked for L here.
const UNION_LOSS_POSSIBLE: bool = true;

// The slice offset of parameter k (0 when held).
fn offset_of(k: u32, off: vec2<f32>) -> f32 {
    return select(select(0.0, off.y, params.slice.y == k), off.x, params.slice.x == k);
}

// What a point needs: its mixture (y frame), whether it is inside the model, and the
// coordinate scales ℓ of the step cap.
struct PointModel {
    mixture: Mixture,
    inside: bool,
    scale: vec2<f32>,
}

fn scale_of(k: u32, pi: f32, sigma: vec2<f32>) -> f32 {
    if k == PARAM_PI {
        return min(pi, 1.0 - pi);
    }
    return select(sigma.y, sigma.x, k == PARAM_MU1 || k == PARAM_SIGMA1);
}

fn point_model(u: vec2<f32>) -> PointModel {
    let off = to_theta(u);
    let pi = params.probe_pi + offset_of(PARAM_PI, off);
    let sigma = vec2<f32>(params.probe_sigma1 + offset_of(PARAM_SIGMA1, off),
        params.probe_sigma2 + offset_of(PARAM_SIGMA2, off));
    let gap = params.mean_gap + (offset_of(PARAM_MU2, off) - offset_of(PARAM_MU1, off));
    var out: PointModel;
    let pi_varies = params.slice.x == PARAM_PI || params.slice.y == PARAM_PI;
    let weight_ok = select(pi >= 0.0 && pi <= 1.0, pi > 0.0 && pi < 1.0, pi_varies);
    out.inside = weight_ok && sigma.x > 0.0 && sigma.y > 0.0 && abs(gap) < 1e30;
    // Outside, a harmless model stands in (never integrated: the caller stops first).
    let safe_pi = select(0.5, pi, out.inside);
    let safe_sigma = select(vec2<f32>(1.0), sigma, out.inside);
    out.mixture = make_mixture(safe_pi, vec2<f32>(0.0, select(0.0, gap, out.inside)), safe_sigma);
    out.scale = vec2<f32>(scale_of(params.slice.x, pi, sigma), scale_of(params.slice.y, pi, sigma));
    return out;
}

fn evaluate(u: vec2<f32>) -> Evaluation {
    var out: Evaluation;
    let pm = point_model(u);
    out.scale = pm.scale;
    if !pm.inside {
        out.flags = STOP_OUTSIDE;
        return out;
    }
    out.jet = metric_jet(pm.mixture, params.slice, basis(), params.panel_nodes);
    let kappa = jet_condition(out.jet.metric);
    out.flags = select(0u, STOP_SINGULAR, !(kappa >= 1.0 && kappa <= KAPPA_MAX));
    return out;
}

fn scale_at(u: vec2<f32>) -> vec2<f32> {
    return point_model(u).scale;
}
