// The geodesic ball's lines: the segments geodesic.wgsl wrote (the Fisher–Rao circle through
// the tips and the spokes), read as instance vertex data straight from its output buffer, as
// antialiased quads of constant pixel width (lines.wgsl's geometry). The segments are offsets
// from the probe in world units; `probe_offset` (the probe minus the view centre in display
// units, formed in f64 every frame) places them, so panning never recomputes the ball.
// Rust side: src/render/geodesic_ball.rs.

// #include <common/view.wgsl>

const SEGMENT_RING: u32 = 1u;
const SEGMENT_SPOKE: u32 = 2u;

struct BallStyle {
    probe_offset: vec2<f32>,  // probe − view centre, display units
    ring_width: f32,          // px
    spoke_width: f32,         // px
    ring_color: vec4<f32>,    // linear, straight alpha
    spoke_color: vec4<f32>,
    show_spokes: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<storage, read> view: View;
@group(0) @binding(1) var<storage, read> style: BallStyle;

struct Segment {
    @location(0) start: vec2<f32>,      // offset from the probe, world units
    @location(1) end: vec2<f32>,
    @location(2) kind: u32,
    @location(3) flags: u32,
}

struct VertexOut {
    @builtin(position) position: vec4<f32>,
    @location(0) local_px: vec2<f32>,   // (along, across) in pixels
    @location(1) @interpolate(flat) color: vec4<f32>,
    @location(2) @interpolate(flat) width: f32,
}

@vertex
fn vs_main(@builtin(vertex_index) vertex: u32, seg: Segment) -> VertexOut {
    var out: VertexOut;
    let is_ring = seg.kind == SEGMENT_RING;
    let visible = is_ring || (seg.kind == SEGMENT_SPOKE && style.show_spokes != 0u);
    if !visible {
        // Outside the clip volume: the quad is culled.
        out.position = vec4<f32>(2.0, 2.0, 2.0, 1.0);
        out.color = vec4<f32>(0.0);
        out.width = 0.0;
        return out;
    }
    let start = style.probe_offset + world_to_display(view, seg.start);
    let end = style.probe_offset + world_to_display(view, seg.end);
    let delta = end - start;
    let length_display = max(length(delta), 1e-20);
    let direction = select(vec2<f32>(1.0, 0.0), delta / length_display, length(delta) > 0.0);
    let width = select(style.spoke_width, style.ring_width, is_ring);
    let half_width_px = 0.5 * width + 1.0;
    let corner = vec2<f32>(f32(vertex & 1u), f32(vertex >> 1u));
    // Half a pixel past each end, so consecutive segments of the circle join without gaps.
    let along_px = mix(-0.5, length_display / view.world_per_px + 0.5, corner.x);
    let across_px = mix(-half_width_px, half_width_px, corner.y);
    let offset = start + (direction * along_px + perpendicular(direction) * across_px) * view.world_per_px;
    out.position = offset_to_clip(view, offset);
    out.local_px = vec2<f32>(along_px, across_px);
    out.color = select(style.spoke_color, style.ring_color, is_ring);
    out.width = width;
    return out;
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    let coverage = clamp(0.5 * in.width + 0.5 - abs(in.local_px.y), 0.0, 1.0);
    let alpha = in.color.a * coverage;
    if alpha <= 0.0 {
        discard;
    }
    return vec4<f32>(in.color.rgb * alpha, alpha);
}
