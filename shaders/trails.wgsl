// Particle trails by a fading accumulation texture: each frame `fs_fade` darkens what is there
// (blend: dst·(1 − fade)), the particles draw their new streaks on top, and `fs_composite`
// lays the texture over the scene (premultiplied alpha). Full-screen triangles, no vertex
// buffer. Rust side: src/render/trails.rs.

struct TrailParams {
    fade: f32,
    _pad0: f32,
    _pad1: f32,
    _pad2: f32,
}

@group(0) @binding(0) var<storage, read> trail: TrailParams;
@group(0) @binding(1) var accumulated: texture_2d<f32>;

@vertex
fn vs_fullscreen(@builtin(vertex_index) vertex: u32) -> @builtin(position) vec4<f32> {
    // One triangle covering the viewport: (−1,−1), (3,−1), (−1,3).
    let x = f32((vertex & 1u) * 4u) - 1.0;
    let y = f32((vertex >> 1u) * 4u) - 1.0;
    return vec4<f32>(x, y, 0.0, 1.0);
}

@fragment
fn fs_fade() -> @location(0) vec4<f32> {
    return vec4<f32>(0.0, 0.0, 0.0, trail.fade);
}

@fragment
fn fs_composite(@builtin(position) pixel: vec4<f32>) -> @location(0) vec4<f32> {
    return textureLoad(accumulated, vec2<i32>(pixel.xy), 0);
}
