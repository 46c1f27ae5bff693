// Metric ellipses: one instance per FIM field cell, read straight from the field buffer (bound
// as an instance vertex buffer, no CPU round trip). Each glyph is the level set
// δᵀF(θ)δ = ε: semi-axis √(ε/λ_i) along eigenvector q_i. A semi-axis longer than `cap` is
// clamped to it and the glyph is hatched with a warning outline, so clamping never hides the
// singularity at the diagonal. Fill colour encodes log10 κ. Rust side: src/render/ellipses.rs.

// #include <common/view.wgsl>
// #include <common/colormap.wgsl>
// #include <common/field_cell.wgsl>

struct EllipseParams {
    epsilon: f32,          // the level ε of δᵀFδ = ε (world units²·F)
    cap: f32,              // largest drawn semi-axis, world units
    log_kappa_top: f32,    // log10 κ mapped to the top of the colour map
    opacity: f32,
}

@group(0) @binding(0) var<uniform> view: View;
@group(0) @binding(1) var<uniform> ellipse: EllipseParams;

// The FieldCell fields the glyph needs, as vertex attributes (offsets in render/ellipses.rs).
struct CellAttributes {
    @location(0) theta: vec2<f32>,
    @location(1) eigenvalues: vec2<f32>,
    @location(2) rotated: vec4<f32>,
    @location(3) q_max: vec2<f32>,
    @location(4) flags: u32,
}

struct VertexOut {
    @builtin(position) position: vec4<f32>,
    @location(0) local: vec2<f32>,                          // world offset along (q_max, q_min)
    @location(1) @interpolate(flat) semi_axes: vec2<f32>,   // (along q_max, along q_min)
    @location(2) @interpolate(flat) color: vec3<f32>,
    @location(3) @interpolate(flat) clamped: u32,
}

// sRGB #ff8c00, the legend's swatch (palette::CLAMPED).
const CLAMP_OUTLINE_SRGB: vec3<f32> = vec3<f32>(1.0, 0.549, 0.0);

// (semi-axis, 1 if clamped) for eigenvalue λ; written so λ = 0 never divides.
fn semi_axis(lambda: f32) -> vec2<f32> {
    if lambda * ellipse.cap * ellipse.cap > ellipse.epsilon {
        return vec2<f32>(sqrt(ellipse.epsilon / lambda), 0.0);
    }
    return vec2<f32>(ellipse.cap, 1.0);
}

@vertex
fn vs_main(@builtin(vertex_index) vertex: u32, cell: CellAttributes) -> VertexOut {
    let along_max = semi_axis(cell.eigenvalues.x);
    let along_min = semi_axis(cell.eigenvalues.y);
    // Triangle strip corners (−1,−1), (1,−1), (−1,1), (1,1), padded by 1.5 px for antialiasing.
    let corner = vec2<f32>(f32(vertex & 1u), f32(vertex >> 1u)) * 2.0 - 1.0;
    let pad = 1.5 * view.world_per_px;
    let local = corner * (vec2<f32>(along_max.x, along_min.x) + pad);
    // cell.theta is the offset from the field's floating origin (see common/view.wgsl).
    let from_center = (cell.theta + view.field_origin) + cell.q_max * local.x
        + perpendicular(cell.q_max) * local.y;
    var t = 1.0;
    if (cell.flags & FLAG_KAPPA_INFINITE) == 0u {
        t = log(max(cell.rotated.w, 1.0)) / (log(10.0) * ellipse.log_kappa_top);
    }
    var out: VertexOut;
    out.position = offset_to_clip(view, from_center);
    out.local = local;
    out.semi_axes = vec2<f32>(along_max.x, along_min.x);
    out.color = colormap(t);
    out.clamped = u32(max(along_max.y, along_min.y));
    return out;
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    let a = in.semi_axes;
    let r = length(in.local / a);
    // Signed distance to the outline in pixels, first order: (r − 1)/|∇r|.
    let gradient = length(in.local / (a * a)) / max(r, 1e-6);
    let d_px = (r - 1.0) / max(gradient, 1e-20) / view.world_per_px;
    let coverage = clamp(0.5 - d_px, 0.0, 1.0);
    if coverage <= 0.0 {
        discard;
    }
    let outline_px = 1.2 * view.px_per_point;
    let on_outline = clamp(outline_px + 0.5 + d_px, 0.0, 1.0);
    var fill = in.color;
    var outline = in.color * 0.35;
    if in.clamped != 0u {
        // Hatching in screen space: stripes 4 logical px apart.
        let stripe = fract((in.position.x + in.position.y) / (8.0 * view.px_per_point));
        fill = select(fill, fill * 0.45, stripe < 0.5);
        outline = srgb_to_linear(CLAMP_OUTLINE_SRGB);
    }
    let rgb = mix(fill, outline, on_outline);
    let alpha = coverage * mix(ellipse.opacity, 1.0, on_outline);
    return vec4<f32>(rgb * alpha, alpha);
}
