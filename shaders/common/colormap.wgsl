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

// t in [0, 1] to a linear-light colour. The segment's two anchors are picked by selects on
// constant indices: an array indexed by a per-pixel value is a per-lane gather from memory on
// llvmpipe, which cost a heatmap's redraw ~4 ms at 1100 × 860.
fn colormap(t: f32) -> vec3<f32> {
    let x = clamp(t, 0.0, 1.0) * 6.0;
    let segment = min(floor(x), 5.0);
    var low = COLORMAP_ANCHORS[0];
    var high = COLORMAP_ANCHORS[1];
    low = select(low, COLORMAP_ANCHORS[1], segment >= 1.0);
    high = select(high, COLORMAP_ANCHORS[2], segment >= 1.0);
    low = select(low, COLORMAP_ANCHORS[2], segment >= 2.0);
    high = select(high, COLORMAP_ANCHORS[3], segment >= 2.0);
    low = select(low, COLORMAP_ANCHORS[3], segment >= 3.0);
    high = select(high, COLORMAP_ANCHORS[4], segment >= 3.0);
    low = select(low, COLORMAP_ANCHORS[4], segment >= 4.0);
    high = select(high, COLORMAP_ANCHORS[5], segment >= 4.0);
    low = select(low, COLORMAP_ANCHORS[5], segment >= 5.0);
    high = select(high, COLORMAP_ANCHORS[6], segment >= 5.0);
    return srgb_to_linear(mix(low, high, x - segment));
}
