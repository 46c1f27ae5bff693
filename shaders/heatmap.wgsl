// Heatmap of one scalar of the FIM field (log10 κ, √det F, L, the angle between ∇L and ñ,
// ‖ñ‖_F), drawn under everything else and interpolated bilinearly between cell centres in the
// scale's own units (decades for the log scales), so the map is smooth whatever the grid
// density. Two ways to draw the same picture (src/render/heatmap.rs picks one per frame):
//   vs_cells/fs_cells: one quad per gap between four cell centres; its vertices evaluate the
//     four cells' scalars (per cell, not per pixel) and hand them flat to the fragments, which
//     only mix four numbers. The cheap path while cells span a few pixels.
//   vs_main/fs_main: one full-canvas quad whose fragments evaluate the four cells around them;
//     for grids so dense that a quad per cell would cost more than a few loads per pixel.

// #include <common/view.wgsl>
// #include <common/colormap.wgsl>
// #include <common/field_cell.wgsl>

// Which scalar (HeatmapKind in src/render/heatmap.rs; a test reads these back).
const HEATMAP_LOG10_KAPPA: u32 = 1u;
const HEATMAP_JEFFREYS: u32 = 2u;
const HEATMAP_LOSS: u32 = 3u;
const HEATMAP_ANGLE: u32 = 4u;
const HEATMAP_NATGRAD_NORM: u32 = 5u;
const HEATMAP_EF_GAP: u32 = 6u;
const HEATMAP_SPECTRAL_RADIUS: u32 = 7u;   // the policy plane's ρ(A_K), in the ef_aa slot
const HEATMAP_CONTROL_ENERGY: u32 = 8u;    // the policy plane's E_u, in the ef_ab slot

// The general kernel's flags (src/gpu/general_data.rs): no model there, or no metric.
const OUTSIDE_MODEL_BIT: u32 = 32u;
const METRIC_UNDEFINED_BIT: u32 = 64u;

struct HeatmapParams {
    shape: vec2<u32>,        // columns, rows of the field
    kind: u32,              // HEATMAP_*
    contours: u32,          // 1: contour lines at every `contour_step` of the scale
    cell_size: vec2<f32>,   // a cell's (width, height) in world units
    range: vec2<f32>,       // scale values at the bottom and top of the colour map
    contour_step: f32,      // in scale units (decades for the loss)
    opacity: f32,
    damping: f32,           // λ of ñ = (F + λI)⁻¹∇L
    _pad: f32,
}

@group(0) @binding(0) var<storage, read> view: View;
@group(0) @binding(1) var<storage, read> heat: HeatmapParams;
@group(0) @binding(2) var<storage, read> cells: array<FieldCell>;

// What `shade` reads, handed to the fragments as flat inputs by both vertex shaders: on
// llvmpipe (Mesa 22) every read of a storage buffer in a fragment shader is a loop over the
// SIMD lanes, per component (~3 ms per scalar read at 1100 × 860, most of what shading the
// map cost); a flat input is set up once per triangle.
struct Style {
    scale: vec4<f32>,   // (value at the bottom of the colour map, at its top, contour step, opacity)
    lines: vec2<f32>,   // (1 with contour lines, else 0; physical px per logical point)
}

fn style() -> Style {
    return Style(
        vec4<f32>(heat.range, heat.contour_step, heat.opacity),
        vec2<f32>(f32(heat.contours), view.px_per_point),
    );
}

// What `cell_value` reads besides the cells: the heatmap's parameters in the vertex shaders,
// flat inputs in the dense path's fragments (for the same reason as `Style`).
struct Scalar {
    kind: u32,             // HEATMAP_*
    shape: vec2<u32>,      // columns, rows of the field
    range: vec2<f32>,      // scale values at the bottom and top of the colour map
    damping: f32,          // λ of ñ = (F + λI)⁻¹∇L
}

fn heat_scalar() -> Scalar {
    return Scalar(heat.kind, heat.shape, heat.range, heat.damping);
}

struct DenseOut {
    @builtin(position) position: vec4<f32>,
    @location(0) lattice: vec2<f32>,   // in cells from the centre of cell (0, 0) (affine: exact)
    @location(1) @interpolate(flat) scale: vec4<f32>,
    @location(2) @interpolate(flat) lines: vec2<f32>,
    @location(3) @interpolate(flat) kind_shape: vec3<u32>,   // Scalar's kind and shape
    @location(4) @interpolate(flat) damping: f32,
}

@vertex
fn vs_main(@builtin(vertex_index) vertex: u32) -> DenseOut {
    let canvas = canvas_quad_vertex(view, vertex);
    let style = style();
    let scalar = heat_scalar();
    let world = canvas.display * view.axis_scale - view.field_origin;
    return DenseOut(
        canvas.position,
        world / heat.cell_size - 0.5,
        style.scale,
        style.lines,
        vec3<u32>(scalar.kind, scalar.shape),
        scalar.damping,
    );
}

// NaN or ±∞, by the bits: `x != x` may be folded away by a compiler assuming finite maths.
fn is_finite_f32(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

// Cell `i`'s value in scale units and whether it is defined there (x: value, y: 1 or 0).
// Values below or above the scale (κ = ∞, det F = 0, L = 0) are pinned just past its ends,
// so the interpolation stays finite and such cells take the end colours. Only the fields the
// heatmap needs are loaded (a whole FieldCell is 80 bytes; four per fragment add up on a
// software rasterizer).
fn cell_value(i: u32, scalar: Scalar) -> vec2<f32> {
    let below = scalar.range.x - (scalar.range.y - scalar.range.x);
    let above = scalar.range.y + (scalar.range.y - scalar.range.x);
    let flags = cells[i].flags;
    if (flags & (OUTSIDE_MODEL_BIT | METRIC_UNDEFINED_BIT)) != 0u {
        return vec2<f32>(0.0, 0.0);
    }
    let has_target = (flags & FLAG_HAS_TARGET) != 0u;
    var v = 0.0;
    switch scalar.kind {
        case HEATMAP_LOG10_KAPPA: {
            if (flags & FLAG_KAPPA_INFINITE) != 0u {
                v = above;
            } else {
                v = log2(max(cells[i].rotated.w, 1.0)) * 0.30103;
            }
        }
        case HEATMAP_JEFFREYS: {
            // det F = λ_max λ_min: the eigenvalues keep λ_min's digits near the singular set,
            // where F11 F22 − F12² cancels.
            let e = cells[i].eigenvalues;
            let det = e.x * e.y;
            v = select(below, 0.5 * log2(det) * 0.30103, det > 0.0);
        }
        case HEATMAP_LOSS: {
            if !has_target {
                return vec2<f32>(0.0, 0.0);
            }
            let loss = cells[i].loss;
            v = select(below, log2(loss) * 0.30103, loss > 0.0);
        }
        case HEATMAP_ANGLE: {
            if !has_target || (flags & FLAG_ANGLE_UNDEFINED) != 0u {
                return vec2<f32>(0.0, 0.0);
            }
            v = cells[i].angle_deg;
        }
        case HEATMAP_NATGRAD_NORM: {
            if !has_target || (flags & FLAG_NATGRAD_UNDEFINED) != 0u {
                return vec2<f32>(0.0, 0.0);
            }
            // ñᵀFñ = ñᵀ(F + λI)ñ − λ‖ñ‖² = ñ·∇L − λ‖ñ‖²: no product with F's standard-basis
            // entries, whose F11 − F12 cancels next to the singular set while ñ grows there.
            let n = cells[i].natgrad;
            let q = dot(n, cells[i].grad) - scalar.damping * dot(n, n);
            v = select(below, 0.5 * log2(q) * 0.30103, q > 0.0);
        }
        case HEATMAP_EF_GAP: {
            if !has_target {
                return vec2<f32>(0.0, 0.0);
            }
            // ‖EF − F‖_F / ‖F‖_F of the symmetric 2×2 blocks (off-diagonal counted twice).
            let f = cells[i].fisher.xyz;
            let d = vec3<f32>(cells[i].ef_aa, cells[i].ef_ab, cells[i].ef_bb) - f;
            let gap2 = d.x * d.x + 2.0 * d.y * d.y + d.z * d.z;
            let norm2 = f.x * f.x + 2.0 * f.y * f.y + f.z * f.z;
            if norm2 <= 0.0 {
                return vec2<f32>(0.0, 0.0);
            }
            v = select(below, 0.5 * log2(gap2 / norm2) * 0.30103, gap2 > 0.0);
        }
        case HEATMAP_SPECTRAL_RADIUS: {
            v = cells[i].ef_aa;
        }
        case HEATMAP_CONTROL_ENERGY: {
            let e = cells[i].ef_ab;
            v = select(below, log2(e) * 0.30103, e > 0.0);
        }
        default: {
            return vec2<f32>(0.0, 0.0);
        }
    }
    if !is_finite_f32(v) {
        return vec2<f32>(0.0, 0.0);
    }
    return vec2<f32>(clamp(v, below, above), 1.0);
}

fn cell_at(column: i32, row: i32, scalar: Scalar) -> vec2<f32> {
    let c = clamp(column, 0, i32(scalar.shape.x) - 1);
    let r = clamp(row, 0, i32(scalar.shape.y) - 1);
    return cell_value(u32(r) * scalar.shape.x + u32(c), scalar);
}

// The four corner values (x: value, y: defined) at fraction `f` between the centres: bilinear
// weights over the defined corners only, renormalised, so an undefined neighbour neither drags
// the value nor leaks garbage, and the map ends where the defined weight falls below one half
// (a smooth boundary, not a staircase of cells). Returns (value, defined weight).
fn bilinear(f: vec2<f32>, v00: vec2<f32>, v10: vec2<f32>, v01: vec2<f32>, v11: vec2<f32>) -> vec2<f32> {
    let w00 = (1.0 - f.x) * (1.0 - f.y) * v00.y;
    let w10 = f.x * (1.0 - f.y) * v10.y;
    let w01 = (1.0 - f.x) * f.y * v01.y;
    let w11 = f.x * f.y * v11.y;
    let weight = w00 + w10 + w01 + w11;
    let value = (w00 * v00.x + w10 * v10.x + w01 * v01.x + w11 * v11.x) / max(weight, 1e-6);
    return vec2<f32>(value, weight);
}

// The colour of an interpolated value, premultiplied.
fn shade(value: f32, weight: f32, style: Style) -> vec4<f32> {
    let t = (value - style.scale.x) / (style.scale.y - style.scale.x);
    var rgb = colormap(t);

    // Contour lines: where the value crosses a multiple of contour_step, a line about 1.2
    // logical px wide, its edge antialiased over one pixel of the value's screen gradient
    // (fwidth: outside any branch, as derivatives need uniform control flow). The rest only
    // where the scale has lines (the loss), which a GPU skips elsewhere; llvmpipe runs the
    // branch under a zero mask either way, at no measurable cost now that its inputs are flat
    // (the loss, the Jeffreys and the angle maps redraw in the same 14–17 ms at 1100 × 860).
    let u = value / style.scale.z;
    let per_px = max(fwidth(u), 1e-6);
    if style.lines.x != 0.0 {
        let distance = abs(fract(u + 0.5) - 0.5);
        let half_width = 0.6 * style.lines.y;
        let line = clamp(half_width + 0.5 - distance / per_px, 0.0, 1.0);
        // Lines fade where they would crowd closer than ~3 px (near L = 0 the levels pile up).
        let spacing = clamp((1.0 / per_px - 3.0) / 3.0, 0.0, 1.0);
        // Inside the clamped ends of the scale the value is flat: no lines there.
        let in_range = select(0.0, 1.0, t > 0.0 && t < 1.0);
        rgb = mix(rgb, vec3<f32>(0.92, 0.92, 0.95), 0.7 * line * spacing * in_range);
    }

    let alpha = style.scale.w * select(0.0, 1.0, weight >= 0.5);
    return vec4<f32>(rgb * alpha, alpha);
}

@fragment
fn fs_main(in: DenseOut) -> @location(0) vec4<f32> {
    // The fragment in cell units, measured from the centre of cell (0, 0).
    let g = in.lattice;
    let base = floor(g);
    let i = vec2<i32>(base);
    let scalar = Scalar(in.kind_shape.x, in.kind_shape.yz, in.scale.xy, in.damping);
    let mixed = bilinear(
        g - base,
        cell_at(i.x, i.y, scalar),
        cell_at(i.x + 1, i.y, scalar),
        cell_at(i.x, i.y + 1, scalar),
        cell_at(i.x + 1, i.y + 1, scalar),
    );
    return shade(mixed.x, mixed.y, Style(in.scale, in.lines));
}

// A block of BLOCK × BLOCK gaps between cell centres (BLOCK = 2), its 3 × 3 corner cells
// packed two to a vec4 (x, y: value and defined of one corner; z, w: the next), row-major from
// the lower left, the ninth alone.
const BLOCK: u32 = 2u;

struct CellsOut {
    @builtin(position) position: vec4<f32>,
    @location(0) f: vec2<f32>,   // in gaps from the block's lower-left corner centre
    @location(1) @interpolate(flat) c01: vec4<f32>,
    @location(2) @interpolate(flat) c23: vec4<f32>,
    @location(3) @interpolate(flat) c45: vec4<f32>,
    @location(4) @interpolate(flat) c67: vec4<f32>,
    @location(5) @interpolate(flat) c8: vec2<f32>,
    @location(6) @interpolate(flat) scale: vec4<f32>,
    @location(7) @interpolate(flat) lines: vec2<f32>,
}

// Block k (row-major, across = ceil((columns + 1) / BLOCK) per row) covers the gaps whose
// lower-left cells run from (a, b) = (BLOCK·(k mod across) − 1, BLOCK·(k div across) − 1):
// gaps from −1 on, so the outer ring reaches the grid's edges, half a cell past the outer
// centres, with the edge cells clamped as in fs_main (the grid covers the canvas; blocks past
// the far edge are clamped the same way and clipped). Two triangles per block, and every
// vertex evaluates all nine corners rather than only a provoking one, so the flat values do not
// depend on the provoking-vertex convention (54 evaluations per block of four gaps: per cell,
// not per pixel). Shared block corners come from the same integers through the same
// arithmetic, so neighbouring blocks meet without gaps or double blending. Blocks rather than
// a quad per gap: on llvmpipe every triangle costs ~1.4 µs of setup, which at 48 cells across
// the height was half the frame; larger blocks need dynamic indexing into the corners in the
// fragment shader, which costs more than it saves there.
@vertex
fn vs_cells(@builtin(vertex_index) index: u32) -> CellsOut {
    let block = index / 6u;
    let across = (heat.shape.x + BLOCK) / BLOCK;
    let a = i32(BLOCK * (block % across)) - 1;
    let b = i32(BLOCK * (block / across)) - 1;
    // Triangles (0,0) (1,0) (0,1) and (0,1) (1,0) (1,1): corner codes 0 1 2 2 1 3, a nibble each.
    let vertex = (0x312210u >> (4u * (index % 6u))) & 3u;
    let corner = vec2<f32>(f32(vertex & 1u), f32(vertex >> 1u)) * f32(BLOCK);
    // The corner's cell centre, in world units from the view centre, then clip space.
    let world = (vec2<f32>(f32(a), f32(b)) + corner + 0.5) * heat.cell_size + view.field_origin;
    let display = world / view.axis_scale;
    var out: CellsOut;
    out.position = vec4<f32>(display / (0.5 * view.viewport_px * view.world_per_px), 0.0, 1.0);
    out.f = corner;
    let scalar = heat_scalar();
    out.c01 = vec4<f32>(cell_at(a, b, scalar), cell_at(a + 1, b, scalar));
    out.c23 = vec4<f32>(cell_at(a + 2, b, scalar), cell_at(a, b + 1, scalar));
    out.c45 = vec4<f32>(cell_at(a + 1, b + 1, scalar), cell_at(a + 2, b + 1, scalar));
    out.c67 = vec4<f32>(cell_at(a, b + 2, scalar), cell_at(a + 1, b + 2, scalar));
    out.c8 = cell_at(a + 2, b + 2, scalar);
    let style = style();
    out.scale = style.scale;
    out.lines = style.lines;
    return out;
}

@fragment
fn fs_cells(in: CellsOut) -> @location(0) vec4<f32> {
    // Which of the four gaps (selects, not an indexed array: llvmpipe spills those to memory
    // per fragment), and where inside it.
    let right = in.f.x >= 1.0;
    let upper = in.f.y >= 1.0;
    // Each row's (left, right) corners of the chosen column.
    let row0 = select(in.c01, vec4<f32>(in.c01.zw, in.c23.xy), right);
    let row1 = select(vec4<f32>(in.c23.zw, in.c45.xy), in.c45, right);
    let row2 = select(in.c67, vec4<f32>(in.c67.zw, in.c8), right);
    let lo = select(row0, row1, upper);
    let hi = select(row1, row2, upper);
    let f = in.f - vec2<f32>(select(0.0, 1.0, right), select(0.0, 1.0, upper));
    let mixed = bilinear(f, lo.xy, lo.zw, hi.xy, hi.zw);
    return shade(mixed.x, mixed.y, Style(in.scale, in.lines));
}
