// The 2-D view shared by every render pipeline: world (μ1, μ2) to clip space with equal
// scaling on both axes. Rust twin: `ViewUniform` in src/gpu/gpu_data.rs, filled by
// src/render/mod.rs from the scene's camera.

struct View {
    center: vec2<f32>,         // world point at the canvas centre
    ndc_per_world: vec2<f32>,  // clip-space units per world unit, x and y
    viewport_px: vec2<f32>,    // canvas size in physical pixels
    world_per_px: f32,         // world units per physical pixel (same on both axes)
    px_per_point: f32,         // physical pixels per logical point (HiDPI)
}

fn world_to_clip(v: View, p: vec2<f32>) -> vec4<f32> {
    return vec4<f32>((p - v.center) * v.ndc_per_world, 0.0, 1.0);
}

// The unit vector turned by +90°.
fn perpendicular(d: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(-d.y, d.x);
}
