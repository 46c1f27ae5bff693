// The 2-D view shared by every render pipeline: world (slice coordinates) to clip space.
// Rust twin: `ViewParams` in src/gpu/gpu_data.rs, filled by src/render/mod.rs from the
// scene's camera.
//
// Display units: a slice whose axes have different units (π against μ1) is drawn with unequal
// scaling, one vertical world unit per `axis_scale.y`, one horizontal per `axis_scale.x`. The
// shaders work in display units = world / axis_scale, where a pixel has the same size along
// both axes, so pixel-sized geometry (line widths, marker discs, antialiasing) stays round.
// World quantities are divided by axis_scale once, where they enter a vertex shader; on equal-
// unit slices axis_scale is (1, 1) and nothing changes.

//
// Deep zoom: an f32 world position near (300, −200) has a spacing of 3e-5, coarser than a
// pixel once the view is 1e-3 high. So everything but the particles is handed to the vertex
// shaders as an offset from the view centre, formed in f64 on the CPU (lines, markers, the
// probe's anchor) or as a field cell's offset from the field's floating origin plus
// `field_origin` (= origin − centre, formed in f64). Only the particles, which the flow
// kernel integrates in absolute coordinates, go through `world_to_clip`.

struct View {
    center: vec2<f32>,         // world point at the canvas centre (particles only)
    ndc_per_world: vec2<f32>,  // clip-space units per display unit, x and y
    viewport_px: vec2<f32>,    // canvas size in physical pixels
    world_per_px: f32,         // display units per physical pixel (same on both axes)
    px_per_point: f32,         // physical pixels per logical point (HiDPI)
    field_origin: vec2<f32>,   // the field's floating origin minus the centre (world units)
    axis_scale: vec2<f32>,     // world units per display unit: (x_per_y, 1)
}

// A vertex of the quad over the whole canvas (a 4-vertex triangle strip, no vertex buffer) with
// its display offset from the view centre: what the full-canvas passes (the heatmap's dense path,
// the convergence map) interpolate to their fragments.
struct CanvasVertex {
    @builtin(position) position: vec4<f32>,
    @location(0) display: vec2<f32>,
}

// Strip corner `vertex` of the canvas quad: (−1,−1), (1,−1), (−1,1), (1,1) in clip space.
fn canvas_quad_vertex(v: View, vertex: u32) -> CanvasVertex {
    let corner = vec2<f32>(f32(vertex & 1u), f32(vertex >> 1u)) * 2.0 - 1.0;
    var out: CanvasVertex;
    out.position = vec4<f32>(corner, 0.0, 1.0);
    out.display = corner * 0.5 * v.viewport_px * v.world_per_px;
    return out;
}

// Clip position of a point `offset` display units from the view centre.
fn offset_to_clip(v: View, offset: vec2<f32>) -> vec4<f32> {
    return vec4<f32>(offset * v.ndc_per_world, 0.0, 1.0);
}

// A world offset or direction in display units.
fn world_to_display(v: View, w: vec2<f32>) -> vec2<f32> {
    return w / v.axis_scale;
}

// An absolute world point's offset from the view centre in display units (particles).
fn world_to_offset(v: View, p: vec2<f32>) -> vec2<f32> {
    return world_to_display(v, p - v.center);
}

// The unit vector turned by +90°.
fn perpendicular(d: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(-d.y, d.x);
}
