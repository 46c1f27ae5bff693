// The region outside the model, drawn into the glyph layer's cache (src/render/outside.rs):
// one full-screen triangle whose fragments test the model's inside half-planes n·p ≥ d
// (physical pixels of the canvas, unit n, formed in f64 on the CPU) and, outside any of them,
// write the darkening fill with 45° hatch lines (x − y ≡ phase mod spacing, one point wide,
// antialiased by the pixel's distance to the nearest line). Inside, the fragment writes
// transparent black, which the cache's "over" blending leaves as it was. Every lane runs the
// same four plane tests (the unused ones are masked), no data-dependent branches. Drawn only
// when the cache is redrawn, so a static frame pays nothing for it.

// #include <common/fullscreen.wgsl>

struct OutsideParams {
    planes: array<vec4<f32>, 4>,  // (n.x, n.y, d, active): inside where n·p ≥ d
    fill: vec4<f32>,              // premultiplied linear colour over the outside
    hatch: vec4<f32>,             // premultiplied linear colour of the hatch lines
    spacing_px: f32,              // distance between hatch lines along x, physical pixels
    line_px: f32,                 // hatch line width, physical pixels
    phase_px: f32,                // x − y of one hatch line
    _pad: f32,
}

@group(0) @binding(1) var<storage, read> params: OutsideParams;

@vertex
fn vs_main(@builtin(vertex_index) index: u32) -> @builtin(position) vec4<f32> {
    return fullscreen_triangle(index);
}

@fragment
fn fs_main(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let p = position.xy;
    var outside = false;
    for (var i = 0u; i < 4u; i = i + 1u) {
        let plane = params.planes[i];
        outside = outside || (plane.w > 0.5 && dot(plane.xy, p) < plane.z);
    }
    // Distance along x to the nearest hatch line, turned into a perpendicular distance (the
    // lines run at 45°), then a one-pixel ramp for the coverage.
    let along = p.x - p.y - params.phase_px;
    let t = along - params.spacing_px * floor(along / params.spacing_px);
    let across = min(t, params.spacing_px - t) * 0.70710678;
    let coverage = clamp(0.5 * params.line_px + 0.5 - across, 0.0, 1.0);
    let colour = params.hatch * coverage + params.fill * (1.0 - coverage * params.hatch.a);
    return select(vec4<f32>(0.0), colour, outside);
}
