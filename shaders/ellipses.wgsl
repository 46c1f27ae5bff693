// Metric ellipses: one instance per FIM field cell, read straight from the field buffer (bound
// as an instance vertex buffer, no CPU round trip). Each glyph is the level set
// δᵀF(θ)δ = ε: semi-axis √(ε/λ_i) along eigenvector q_i (of the metric in display units, on a
// slice drawn with unequal scaling). With `source` = ELLIPSE_SOURCE_EMPIRICAL the glyph is
// δᵀEF(θ)δ = ε instead, EF = E_{p*}[s sᵀ] the population empirical Fisher the field kernels'
// target pass stored in the cell (ef_aa, ef_ab, ef_bb), eigen-decomposed here (sym2_eigen), and
// the colour is log10 κ(EF); the same ε, so the two layers compare glyph by glyph. A semi-axis longer than `cap` is
// clamped to it and the glyph is hatched with a warning outline, so clamping never hides the
// singularity at the diagonal. Fill colour encodes log10 κ. Rust side: src/render/ellipses.rs.

// #include <common/view.wgsl>
// #include <common/colormap.wgsl>
// #include <common/field_cell.wgsl>
// #include <common/sym2.wgsl>

// `source` values (Rust: render::ellipses::source_code).
const ELLIPSE_SOURCE_FISHER: u32 = 0u;
const ELLIPSE_SOURCE_EMPIRICAL: u32 = 1u;

struct EllipseParams {
    epsilon: f32,          // the level ε of δᵀFδ = ε (display units²·F)
    cap: f32,              // largest drawn semi-axis, display units
    log_kappa_top: f32,    // log10 κ mapped to the top of the colour map
    opacity: f32,
    source: u32,           // ELLIPSE_SOURCE_FISHER or ELLIPSE_SOURCE_EMPIRICAL
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<storage, read> view: View;
@group(0) @binding(1) var<storage, read> ellipse: EllipseParams;

// The FieldCell fields the glyph needs, as vertex attributes (offsets in render/ellipses.rs).
struct CellAttributes {
    @location(0) theta: vec2<f32>,
    @location(1) eigenvalues: vec2<f32>,
    @location(2) rotated: vec4<f32>,
    @location(3) q_max: vec2<f32>,
    @location(4) flags: u32,
    @location(5) ef_aa: f32,
    @location(6) ef_ab: f32,
    @location(7) ef_bb: f32,
}

struct VertexOut {
    @builtin(position) position: vec4<f32>,
    @location(0) local: vec2<f32>,                          // world offset along (q_max, q_min)
    @location(1) @interpolate(flat) semi_axes: vec2<f32>,   // (along q_max, along q_min)
    @location(2) @interpolate(flat) color: vec3<f32>,
    @location(3) @interpolate(flat) clamped: u32,
    // (world_per_px, px_per_point, opacity) for the fragments: on llvmpipe (Mesa 22) a storage
    // read in a fragment shader is a loop over the SIMD lanes per component, a flat input is
    // set up once per triangle.
    @location(4) @interpolate(flat) style: vec3<f32>,
}

// FLAG_OUTSIDE_MODEL of the general kernel (fim_general.wgsl, general_data.rs): the cell lies
// outside the model and was not computed.
const OUTSIDE_MODEL_BIT: u32 = 32u;

// sRGB #ff8c00, the legend's swatch (palette::CLAMPED).
const CLAMP_OUTLINE_SRGB: vec3<f32> = vec3<f32>(1.0, 0.549, 0.0);

// (semi-axis, 1 if clamped) for eigenvalue λ; written so λ = 0 never divides.
fn semi_axis(lambda: f32) -> vec2<f32> {
    if lambda * ellipse.cap * ellipse.cap > ellipse.epsilon {
        return vec2<f32>(sqrt(ellipse.epsilon / lambda), 0.0);
    }
    return vec2<f32>(ellipse.cap, 1.0);
}

// The glyph's metric in display units (common/view.wgsl): with δ_world = S δ_display,
// S = diag(axis_scale), the metric is S F S. Built from the cell's eigenpairs, so λ_min keeps
// the accuracy the kernel gave it: det(S F S) = λ_max λ_min (s_x s_y)², and the small
// eigenvalue is that determinant over the large one rather than a cancelling difference.
struct DisplayEigen {
    lambda: vec2<f32>,   // (λ_max, λ_min)
    q_max: vec2<f32>,
}

fn display_eigen(lambda: vec2<f32>, q_max: vec2<f32>) -> DisplayEigen {
    let s = view.axis_scale;
    if s.x == 1.0 && s.y == 1.0 {
        return DisplayEigen(lambda, q_max);
    }
    let a = q_max * s;                 // S q_max
    let b = perpendicular(q_max) * s;  // S q_min
    let xx = lambda.x * a.x * a.x + lambda.y * b.x * b.x;
    let xy = lambda.x * a.x * a.y + lambda.y * b.x * b.y;
    let yy = lambda.x * a.y * a.y + lambda.y * b.y * b.y;
    let mean = 0.5 * (xx + yy);
    let half_gap = 0.5 * (xx - yy);
    let radius = sqrt(half_gap * half_gap + xy * xy);
    let lambda_max = mean + radius;
    var lambda_min = 0.0;
    if lambda_max > 0.0 {
        lambda_min = lambda.x * lambda.y * (s.x * s.y) * (s.x * s.y) / lambda_max;
    }
    // The eigenvector of the larger eigenvalue, from whichever row is better conditioned.
    var q = vec2<f32>(1.0, 0.0);
    if radius > 0.0 {
        if half_gap >= 0.0 {
            q = normalize(vec2<f32>(half_gap + radius, xy));
        } else {
            q = normalize(vec2<f32>(xy, radius - half_gap));
        }
    }
    return DisplayEigen(vec2<f32>(lambda_max, lambda_min), q);
}

@vertex
fn vs_main(@builtin(vertex_index) vertex: u32, cell: CellAttributes) -> VertexOut {
    var eigenvalues = cell.eigenvalues;
    var q_max = cell.q_max;
    var log_kappa = log(max(cell.rotated.w, 1.0));
    var kappa_infinite = (cell.flags & FLAG_KAPPA_INFINITE) != 0u;
    if ellipse.source == ELLIPSE_SOURCE_EMPIRICAL {
        let ef = sym2_eigen(vec3<f32>(cell.ef_aa, cell.ef_ab, cell.ef_bb));
        eigenvalues = vec2<f32>(ef.lambda_max, ef.lambda_min);
        q_max = ef.q_max;
        kappa_infinite = !(ef.lambda_min > 0.0);
        log_kappa = log(max(ef.lambda_max / max(ef.lambda_min, 1e-30), 1.0));
    }
    let eig = display_eigen(eigenvalues, q_max);
    let along_max = semi_axis(eig.lambda.x);
    let along_min = semi_axis(eig.lambda.y);
    // One triangle per glyph: the equilateral triangle around the unit circle, (0, 2),
    // (−√3, −1), (√3, −1), stretched onto the semi-axes padded by 1.5 px for antialiasing
    // (an affine image of a circumscribed triangle circumscribes the padded ellipse). On
    // llvmpipe every triangle's setup costs about as much as a few dozen fragments, so one
    // triangle (30% more area) beats a two-triangle quad on dense grids.
    let corner = select(
        vec2<f32>(select(-1.7320508, 1.7320508, vertex == 2u), -1.0),
        vec2<f32>(0.0, 2.0),
        vertex == 0u,
    );
    let pad = 1.5 * view.world_per_px;
    let local = corner * (vec2<f32>(along_max.x, along_min.x) + pad);
    // cell.theta is the offset from the field's floating origin (see common/view.wgsl).
    let from_center = world_to_display(view, cell.theta + view.field_origin)
        + eig.q_max * local.x + perpendicular(eig.q_max) * local.y;
    var t = 1.0;
    if !kappa_infinite {
        t = log_kappa / (log(10.0) * ellipse.log_kappa_top);
    }
    var out: VertexOut;
    out.position = offset_to_clip(view, from_center);
    // Cells outside the model (σ ≤ 0, π ∉ (0, 1); general kernel) have no glyph: moved off
    // screen at the end rather than by an early return, which made llvmpipe's vertex stage
    // (flattening the branch) about 25% slower on the seed's dense grids.
    if (cell.flags & OUTSIDE_MODEL_BIT) != 0u {
        out.position = vec4<f32>(2.0, 2.0, 0.0, 1.0);
    }
    out.local = local;
    out.semi_axes = vec2<f32>(along_max.x, along_min.x);
    out.color = colormap(t);
    out.clamped = u32(max(along_max.y, along_min.y));
    out.style = vec3<f32>(view.world_per_px, view.px_per_point, ellipse.opacity);
    return out;
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    let a = in.semi_axes;
    let r = length(in.local / a);
    // Signed distance to the outline in pixels, first order: (r − 1)/|∇r|.
    let gradient = length(in.local / (a * a)) / max(r, 1e-6);
    let d_px = (r - 1.0) / max(gradient, 1e-20) / in.style.x;
    let coverage = clamp(0.5 - d_px, 0.0, 1.0);
    if coverage <= 0.0 {
        discard;
    }
    let outline_px = 1.2 * in.style.y;
    let on_outline = clamp(outline_px + 0.5 + d_px, 0.0, 1.0);
    var fill = in.color;
    var outline = in.color * 0.35;
    if in.clamped != 0u {
        // Hatching in screen space: stripes 4 logical px apart.
        let stripe = fract((in.position.x + in.position.y) / (8.0 * in.style.y));
        fill = select(fill, fill * 0.45, stripe < 0.5);
        outline = srgb_to_linear(CLAMP_OUTLINE_SRGB);
    }
    let rgb = mix(fill, outline, on_outline);
    let alpha = coverage * mix(in.style.z, 1.0, on_outline);
    return vec4<f32>(rgb * alpha, alpha);
}
