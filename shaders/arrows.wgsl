// The probe's two arrows, drawn from the GPU-evaluated probe cell (a one-point dispatch of
// fim_field.wgsl; no readback): instance 0 is the Euclidean descent direction −∇L (red),
// instance 1 the natural descent direction −(F + λI)⁻¹∇L (cyan), both normalised to the same
// on-screen length. An undefined natural gradient draws nothing. Rust side: src/render/arrows.rs.

// #include <common/view.wgsl>
// #include <common/field_cell.wgsl>

struct ArrowParams {
    length_px: f32,
    shaft_px: f32,      // shaft width
    head_px: f32,       // head length (its width is 0.8 of that)
    _pad: f32,
    euclid_color: vec4<f32>,
    natural_color: vec4<f32>,
    anchor: vec2<f32>,  // the probe minus the view centre, formed in f64, display units
    _pad2: vec2<f32>,
}

@group(0) @binding(0) var<storage, read> view: View;
@group(0) @binding(1) var<storage, read> arrow: ArrowParams;
@group(0) @binding(2) var<storage, read> probe: array<FieldCell>;

struct VertexOut {
    @builtin(position) position: vec4<f32>,
    @location(0) local_px: vec2<f32>,          // (along, across) from the probe, pixels
    @location(1) @interpolate(flat) color: vec4<f32>,
    // (length, shaft width, head length, px per point) for the fragments: on llvmpipe (Mesa
    // 22) a storage read in a fragment shader is a loop over the SIMD lanes per component.
    @location(2) @interpolate(flat) shape: vec4<f32>,
}

@vertex
fn vs_main(@builtin(vertex_index) vertex: u32, @builtin(instance_index) instance: u32) -> VertexOut {
    let cell = probe[0];
    var direction = -cell.grad;
    var color = arrow.euclid_color;
    var visible = (cell.flags & FLAG_HAS_TARGET) != 0u && any(cell.grad != vec2<f32>(0.0));
    if instance == 1u {
        direction = -cell.natgrad;
        color = arrow.natural_color;
        visible = visible && (cell.flags & FLAG_NATGRAD_UNDEFINED) == 0u;
    }
    var out: VertexOut;
    if !visible {
        out.position = vec4<f32>(2.0, 2.0, 0.0, 1.0);   // off screen: nothing drawn
        return out;
    }
    // Screen y points down while world μ2 points up; work in world-aligned pixels. The
    // direction as drawn on this slice's axes (display units, see common/view.wgsl).
    let d = normalize(world_to_display(view, direction));
    let corner = vec2<f32>(f32(vertex & 1u), f32(vertex >> 1u));
    let half_width = 0.4 * arrow.head_px + 2.0;
    let along = mix(-2.0, arrow.length_px + 2.0, corner.x);
    let across = mix(-half_width, half_width, corner.y);
    let from_center = arrow.anchor + (d * along + perpendicular(d) * across) * view.world_per_px;
    out.position = offset_to_clip(view, from_center);
    out.local_px = vec2<f32>(along, across);
    out.color = color;
    out.shape = vec4<f32>(arrow.length_px, arrow.shaft_px, arrow.head_px, view.px_per_point);
    return out;
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    let along = in.local_px.x;
    let across = abs(in.local_px.y);
    let length_px = in.shape.x;
    let shaft_px = in.shape.y;
    let head_px = in.shape.z;
    let head_start = length_px - head_px;
    // Shaft: a rectangle; head: a triangle narrowing from 0.4·head at its base to 0 at the tip.
    let shaft = max(max(-along, along - head_start), across - 0.5 * shaft_px);
    let half_at = 0.4 * head_px * (length_px - along) / head_px;
    let head = max(max(head_start - along, along - length_px), (across - half_at) * 0.93);
    let d = min(shaft, head);
    let coverage = clamp(0.5 - d, 0.0, 1.0);
    // A dark rim one logical point wide (px_per_point pixels, so it keeps its weight on HiDPI)
    // keeps the arrows readable over any ellipse colour.
    let rim = clamp(1.0 + (d + 0.5) / in.shape.w, 0.0, 1.0);
    let rgb = mix(in.color.rgb, vec3<f32>(0.0), rim * 0.8);
    let alpha = coverage * in.color.a;
    if alpha <= 0.0 {
        discard;
    }
    return vec4<f32>(rgb * alpha, alpha);
}
