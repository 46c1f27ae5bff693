// Antialiased line segments of constant pixel width (axes, ticks, grid, the diagonal), one
// instance per segment, optionally dashed. Rust side: src/render/lines.rs.

// #include <common/view.wgsl>

@group(0) @binding(0) var<storage, read> view: View;

struct Segment {
    @location(0) start: vec2<f32>,      // offset from the view centre, display units
    @location(1) end: vec2<f32>,        // offset from the view centre
    @location(2) color: vec4<f32>,      // linear, straight alpha
    @location(3) style: vec2<f32>,      // (width px, dash period px; 0 = solid)
}

struct VertexOut {
    @builtin(position) position: vec4<f32>,
    @location(0) local_px: vec2<f32>,   // (along, across) in pixels
    @location(1) @interpolate(flat) color: vec4<f32>,
    @location(2) @interpolate(flat) style: vec2<f32>,
}

@vertex
fn vs_main(@builtin(vertex_index) vertex: u32, seg: Segment) -> VertexOut {
    let delta = seg.end - seg.start;
    let length_world = max(length(delta), 1e-20);
    let direction = delta / length_world;
    let half_width_px = 0.5 * seg.style.x + 1.0;
    let corner = vec2<f32>(f32(vertex & 1u), f32(vertex >> 1u));
    let along_px = mix(-1.0, length_world / view.world_per_px + 1.0, corner.x);
    let across_px = mix(-half_width_px, half_width_px, corner.y);
    let from_center = seg.start + (direction * along_px + perpendicular(direction) * across_px) * view.world_per_px;
    var out: VertexOut;
    out.position = offset_to_clip(view, from_center);
    out.local_px = vec2<f32>(along_px, across_px);
    out.color = seg.color;
    out.style = seg.style;
    return out;
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    var coverage = clamp(0.5 * in.style.x + 0.5 - abs(in.local_px.y), 0.0, 1.0);
    if in.style.y > 0.0 && fract(in.local_px.x / in.style.y) > 0.55 {
        coverage = 0.0;
    }
    let alpha = in.color.a * coverage;
    if alpha <= 0.0 {
        discard;
    }
    return vec4<f32>(in.color.rgb * alpha, alpha);
}
