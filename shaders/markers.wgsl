// Round markers of constant pixel size (the handles θ* and its twin, the probe), one instance
// each: a filled disc with a ring. Rust side: src/render/markers.rs.

// #include <common/view.wgsl>

@group(0) @binding(0) var<storage, read> view: View;

struct Marker {
    @location(0) center: vec2<f32>,     // offset from the view centre, display units
    @location(1) size: vec2<f32>,       // (radius px, ring width px)
    @location(2) fill: vec4<f32>,       // linear, straight alpha
    @location(3) ring: vec4<f32>,
}

struct VertexOut {
    @builtin(position) position: vec4<f32>,
    @location(0) local_px: vec2<f32>,
    @location(1) @interpolate(flat) size: vec2<f32>,
    @location(2) @interpolate(flat) fill: vec4<f32>,
    @location(3) @interpolate(flat) ring: vec4<f32>,
}

@vertex
fn vs_main(@builtin(vertex_index) vertex: u32, m: Marker) -> VertexOut {
    let corner = vec2<f32>(f32(vertex & 1u), f32(vertex >> 1u)) * 2.0 - 1.0;
    let local_px = corner * (m.size.x + 1.5);
    var out: VertexOut;
    out.position = offset_to_clip(view, m.center + local_px * vec2<f32>(1.0, -1.0) * view.world_per_px);
    out.local_px = local_px;
    out.size = m.size;
    out.fill = m.fill;
    out.ring = m.ring;
    return out;
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    let d = length(in.local_px) - in.size.x;         // < 0 inside
    let coverage = clamp(0.5 - d, 0.0, 1.0);
    let ring_weight = clamp(in.size.y + 0.5 + d, 0.0, 1.0);
    let color = mix(in.fill, in.ring, ring_weight);
    let alpha = color.a * coverage;
    if alpha <= 0.0 {
        discard;
    }
    return vec4<f32>(color.rgb * alpha, alpha);
}
