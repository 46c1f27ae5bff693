// A 2×2 metric's jet — G and its first derivatives, in whatever basis the caller accumulates
// it — and what the geodesic integrator does with it: the geodesic equation's acceleration and
// the "safely positive definite" test geodesics stop on. Families fill a MetricJet their own
// way: the mixture by quadrature (common/geodesic_jet.wgsl), the policy plane in closed form
// (geodesic_policy.wgsl). f64 twin: `math::geodesic` (`christoffel`, `acceleration`).

// The metric and its derivatives in the accumulation basis: (xx, xy, yy) of G = B F Bᵀ and of
// ∂_{u0} G, ∂_{u1} G.
struct MetricJet {
    metric: vec3<f32>,
    d0: vec3<f32>,
    d1: vec3<f32>,
}

// κ = λ_max/λ_min of a symmetric 2×2 block as λ_max²/det (λ_min = det/λ_max, the accurate form),
// or -1 where the block is not positive definite (det ≤ 0, a diagonal entry ≤ 0, or NaN).
fn jet_condition(g: vec3<f32>) -> f32 {
    let det = g.x * g.z - g.y * g.y;
    if !(det > 0.0 && g.x > 0.0 && g.z > 0.0) {
        return -1.0;
    }
    let half_gap = 0.5 * (g.x - g.z);
    let lambda_max = 0.5 * (g.x + g.z) + sqrt(half_gap * half_gap + g.y * g.y);
    return lambda_max * (lambda_max / det);
}

// θ̈ = −Γ(θ̇, θ̇) from the jet: with Christoffel symbols of the first kind
// Γ_l,ij = ½(∂ᵢF_lj + ∂ⱼF_li − ∂ₗF_ij), c_l = Γ_l,ij vⁱvʲ and θ̈ = −F⁻¹c.
fn jet_acceleration(j: MetricJet, v: vec2<f32>) -> vec2<f32> {
    let d0 = j.d0;
    let d1 = j.d1;
    let vv = vec3<f32>(v.x * v.x, 2.0 * v.x * v.y, v.y * v.y);
    // Γ_0 = (½∂0F00, ½∂1F00, ∂1F01 − ½∂0F11), Γ_1 = (∂0F01 − ½∂1F00, ½∂0F11, ½∂1F11).
    let gamma0 = vec3<f32>(0.5 * d0.x, 0.5 * d1.x, d1.y - 0.5 * d0.z);
    let gamma1 = vec3<f32>(d0.y - 0.5 * d1.x, 0.5 * d0.z, 0.5 * d1.z);
    let c = vec2<f32>(dot(gamma0, vv), dot(gamma1, vv));
    let g = j.metric;
    let det = g.x * g.z - g.y * g.y;
    return -vec2<f32>(g.z * c.x - g.y * c.y, g.x * c.y - g.y * c.x) / det;
}
