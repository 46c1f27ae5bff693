// Draws the convergence map (shaders/convergence.wgsl's cell states) as a heatmap layer: one
// full-canvas quad whose fragments look up the lattice cell under them (nearest cell: step
// counts are integers, so no interpolation). Converged cells take the shared colour map on a
// log scale of steps, t = log(1 + steps) / log(1 + max_steps); the other ends take neutral
// greys (capped light, left dark, breakdown near white), running cells dark diagonal hatching,
// unstarted and outside cells nothing. In the split view the left half of the canvas shows
// map 0 (gd) and the right half map 1 (ngd), over the same view, with a divider line.
// Rust side: src/render/convergence.rs (`ConvergenceDrawParams`).

// #include <common/view.wgsl>
// #include <common/colormap.wgsl>

struct ConvergenceDrawParams {
    origin: vec2<f32>,       // the map's lattice origin minus the view centre (world, f64 on CPU)
    cell_size: vec2<f32>,    // world units
    shape: vec2<u32>,
    cell_count: u32,         // cells of one map
    split: u32,              // 1: map 0 left, map 1 right
    max_steps: f32,
    opacity: f32,
    _pad: vec2<f32>,
}

struct ConvCell {
    offset: vec2<f32>,
    loss0: f32,
    loss: f32,
    steps: u32,
    status: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read> view: View;
@group(0) @binding(1) var<storage, read> draw: ConvergenceDrawParams;
@group(0) @binding(2) var<storage, read> cells: array<ConvCell>;

// What the fragments need, computed per vertex: the lattice coordinate (affine in the screen
// position, so interpolating it is exact) and the draw's parameters as flat inputs. On
// llvmpipe (Mesa 22) every read of a storage buffer in a fragment shader is a loop over the
// SIMD lanes, per component: reading the parameters there cost ~3 ms per scalar at 1100 × 860
// (~45 of this map's ~70 ms first draw); a flat input is set up once per triangle.
struct MapVertex {
    @builtin(position) position: vec4<f32>,
    @location(0) lattice: vec2<f32>,                        // in cells from the map's origin
    @location(1) @interpolate(flat) frame: vec4<f32>,      // (½ width px, px per point, 1 / log(1 + max steps), opacity)
    @location(2) @interpolate(flat) shape: vec4<u32>,      // (columns, rows, cells per map, split)
}

@vertex
fn vs_main(@builtin(vertex_index) vertex: u32) -> MapVertex {
    let canvas = canvas_quad_vertex(view, vertex);
    var out: MapVertex;
    out.position = canvas.position;
    out.lattice = (canvas.display * view.axis_scale - draw.origin) / draw.cell_size;
    out.frame = vec4<f32>(
        0.5 * view.viewport_px.x,
        view.px_per_point,
        1.0 / log(1.0 + draw.max_steps),
        draw.opacity,
    );
    out.shape = vec4<u32>(draw.shape, draw.cell_count, draw.split);
    return out;
}

@fragment
fn fs_main(in: MapVertex) -> @location(0) vec4<f32> {
    let half = in.frame.x;
    let px_per_point = in.frame.y;
    let opacity = in.frame.w;
    let split = in.shape.w != 0u;
    if split && abs(in.position.x - half) < px_per_point {
        return vec4<f32>(vec3<f32>(0.9), 1.0) * opacity;
    }
    let cell = floor(in.lattice);
    if any(cell < vec2<f32>(0.0)) || any(cell >= vec2<f32>(in.shape.xy)) {
        return vec4<f32>(0.0);
    }
    let map = select(0u, 1u, split && in.position.x >= half);
    let index = map * in.shape.z + u32(cell.y) * in.shape.x + u32(cell.x);
    // Only the two fields the colour needs (the record is 32 bytes).
    let status = cells[index].status;
    let steps = cells[index].steps;
    var rgb = vec3<f32>(0.0);
    switch status {
        case 2u: {   // converged
            rgb = colormap(log(1.0 + f32(steps)) * in.frame.z);
        }
        case 1u: {   // running: hatched
            let stripe = fract((in.position.x + in.position.y) / (6.0 * px_per_point));
            rgb = select(vec3<f32>(0.02), vec3<f32>(0.06), stripe < 0.5);
        }
        case 3u: {   // left the domain
            rgb = vec3<f32>(0.012);
        }
        case 4u: {   // breakdown
            rgb = vec3<f32>(0.8);
        }
        case 5u: {   // capped
            rgb = vec3<f32>(0.3);
        }
        default: {   // unstarted, outside: nothing
            return vec4<f32>(0.0);
        }
    }
    return vec4<f32>(rgb, 1.0) * opacity;
}
