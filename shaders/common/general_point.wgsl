// One point of the general model for fim_general.wgsl's `points` entry and estimates.wgsl:
// the model θ and (where `has_target`) the target θ*, all five parameters each, and the
// slice's two coordinates. Rust twin: `GeneralPointInput` in src/gpu/general_data.rs.

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
