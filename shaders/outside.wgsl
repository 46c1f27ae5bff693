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

// The parameters reach the fragments as flat inputs: on llvmpipe (Mesa 22) every read of a
// storage buffer in a fragment shader is a loop over the SIMD lanes per component, and this
// pass reads 23 scalars over the whole canvas; a flat input is set up once per triangle.
struct OutsideVertex {
    @builtin(position) position: vec4<f32>,
    @location(0) @interpolate(flat) plane0: vec4<f32>,
    @location(1) @interpolate(flat) plane1: vec4<f32>,
    @location(2) @interpolate(flat) plane2: vec4<f32>,
    @location(3) @interpolate(flat) plane3: vec4<f32>,
    @location(4) @interpolate(flat) fill: vec4<f32>,
    @location(5) @interpolate(flat) hatch: vec4<f32>,
    @location(6) @interpolate(flat) lines: vec3<f32>,   // (spacing_px, line_px, phase_px)
}

@vertex
fn vs_main(@builtin(vertex_index) index: u32) -> OutsideVertex {
    return OutsideVertex(
        fullscreen_triangle(index),
        params.planes[0],
        params.planes[1],
        params.planes[2],
        params.planes[3],
        params.fill,
        params.hatch,
        vec3<f32>(params.spacing_px, params.line_px, params.phase_px),
    );
}

// Inside where n·p ≥ d; an inactive plane (w = 0) never puts a pixel outside.
fn outside_of(plane: vec4<f32>, p: vec2<f32>) -> bool {
    return plane.w > 0.5 && dot(plane.xy, p) < plane.z;
}

@fragment
fn fs_main(in: OutsideVertex) -> @location(0) vec4<f32> {
    let p = in.position.xy;
    let outside = outside_of(in.plane0, p) || outside_of(in.plane1, p)
        || outside_of(in.plane2, p) || outside_of(in.plane3, p);
    // Distance along x to the nearest hatch line, turned into a perpendicular distance (the
    // lines run at 45°), then a one-pixel ramp for the coverage.
    let spacing = in.lines.x;
    let along = p.x - p.y - in.lines.z;
    let t = along - spacing * floor(along / spacing);
    let across = min(t, spacing - t) * 0.70710678;
    let coverage = clamp(0.5 * in.lines.y + 0.5 - across, 0.0, 1.0);
    let colour = in.hatch * coverage + in.fill * (1.0 - coverage * in.hatch.a);
    return select(vec4<f32>(0.0), colour, outside);
}
