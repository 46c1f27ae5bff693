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

@vertex
fn vs_main(@builtin(vertex_index) vertex: u32) -> CanvasVertex {
    return canvas_quad_vertex(view, vertex);
}

@fragment
fn fs_main(in: CanvasVertex) -> @location(0) vec4<f32> {
    let half = 0.5 * view.viewport_px.x;
    if draw.split != 0u && abs(in.position.x - half) < view.px_per_point {
        return vec4<f32>(vec3<f32>(0.9), 1.0) * draw.opacity;
    }
    let world = in.display * view.axis_scale - draw.origin;
    let cell = floor(world / draw.cell_size);
    if any(cell < vec2<f32>(0.0)) || any(cell >= vec2<f32>(draw.shape)) {
        return vec4<f32>(0.0);
    }
    let map = select(0u, 1u, draw.split != 0u && in.position.x >= half);
    let index = map * draw.cell_count + u32(cell.y) * draw.shape.x + u32(cell.x);
    let c = cells[index];
    var rgb = vec3<f32>(0.0);
    switch c.status {
        case 2u: {   // converged
            let t = log(1.0 + f32(c.steps)) / log(1.0 + draw.max_steps);
            rgb = colormap(t);
        }
        case 1u: {   // running: hatched
            let stripe = fract((in.position.x + in.position.y) / (6.0 * view.px_per_point));
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
    return vec4<f32>(rgb, 1.0) * draw.opacity;
}
