// Colour helpers: sRGB decoding and the κ colour map. Rust twin (the legend):
// src/render/colormap.rs, same anchors.

// Viridis from its blue third on (matplotlib anchors at t = 0.25, 0.375, …, 1), in sRGB: the
// darkest purples are skipped so low-κ ellipses stay visible on the dark canvas.
const COLORMAP_ANCHORS = array<vec3<f32>, 7>(
    vec3<f32>(0.243, 0.290, 0.537),
    vec3<f32>(0.192, 0.408, 0.557),
    vec3<f32>(0.149, 0.510, 0.557),
    vec3<f32>(0.122, 0.620, 0.537),
    vec3<f32>(0.208, 0.718, 0.475),
    vec3<f32>(0.427, 0.804, 0.349),
    vec3<f32>(0.992, 0.906, 0.145),
);

fn srgb_to_linear(c: vec3<f32>) -> vec3<f32> {
    let low = c / 12.92;
    let high = pow((c + 0.055) / 1.055, vec3<f32>(2.4));
    return select(high, low, c <= vec3<f32>(0.04045));
}

// t in [0, 1] to a linear-light colour.
fn colormap(t: f32) -> vec3<f32> {
    let x = clamp(t, 0.0, 1.0) * 6.0;
    let i = min(u32(floor(x)), 5u);
    let f = x - f32(i);
    return srgb_to_linear(mix(COLORMAP_ANCHORS[i], COLORMAP_ANCHORS[i + 1u], f));
}
