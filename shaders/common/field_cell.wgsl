// The FIM field's per-cell record, written by fim_field.wgsl and read by the render
// pipelines. Rust twin: `FieldCell` and `flags` in src/gpu/gpu_data.rs.

const FLAG_KAPPA_INFINITE: u32 = 1u;
const FLAG_NATGRAD_UNDEFINED: u32 = 2u;
const FLAG_ANGLE_UNDEFINED: u32 = 4u;
const FLAG_HAS_TARGET: u32 = 8u;

struct FieldCell {
    theta: vec2<f32>,        // (μ1, μ2)
    eigenvalues: vec2<f32>,  // (λ_max, λ_min)
    fisher: vec4<f32>,       // (F11, F12, F22, det F), standard basis
    rotated: vec4<f32>,      // (F_uu, F_uv, F_vv, κ); κ = 0 when infinite (FLAG_KAPPA_INFINITE)
    q_max: vec2<f32>,        // unit eigenvector of λ_max, standard basis
    grad: vec2<f32>,         // ∇L
    natgrad: vec2<f32>,      // (F + λI)⁻¹∇L; 0 when undefined (FLAG_NATGRAD_UNDEFINED)
    loss: f32,               // L = KL(p_θ* ‖ p_θ)
    angle_deg: f32,          // angle between ∇L and the natural gradient
    flags: u32,
    // The population empirical Fisher EF = E_{p*}[s sᵀ]'s 2×2 block at the cell (standard
    // basis, slice order; 0 without a target). Scalars, not vec3: a vec3 would align to 16 and
    // grow the struct past 96 bytes.
    ef_aa: f32,
    ef_ab: f32,
    ef_bb: f32,
}
