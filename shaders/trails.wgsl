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

// One triangle covering the viewport: (−1,−1), (3,−1), (−1,3).
fn fullscreen_position(vertex: u32) -> vec4<f32> {
    let x = f32((vertex & 1u) * 4u) - 1.0;
    let y = f32((vertex >> 1u) * 4u) - 1.0;
    return vec4<f32>(x, y, 0.0, 1.0);
}

@vertex
fn vs_fullscreen(@builtin(vertex_index) vertex: u32) -> @builtin(position) vec4<f32> {
    return fullscreen_position(vertex);
}

// The fade pass's triangle with the fade as a flat input: on llvmpipe (Mesa 22) a storage
// read in a fragment shader is a loop over the SIMD lanes, which over every pixel of the
// canvas each frame is not free; a flat input is set up once per triangle.
struct FadeVertex {
    @builtin(position) position: vec4<f32>,
    @location(0) @interpolate(flat) fade: f32,
}

@vertex
fn vs_fade(@builtin(vertex_index) vertex: u32) -> FadeVertex {
    return FadeVertex(fullscreen_position(vertex), trail.fade);
}

@fragment
fn fs_fade(in: FadeVertex) -> @location(0) vec4<f32> {
    return vec4<f32>(0.0, 0.0, 0.0, in.fade);
}

@fragment
fn fs_composite(@builtin(position) pixel: vec4<f32>) -> @location(0) vec4<f32> {
    return textureLoad(accumulated, vec2<i32>(pixel.xy), 0);
}
