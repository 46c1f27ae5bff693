// The window chrome's opaque rectangles (panel and frame fills) drawn without egui's shader:
// one quad per instance at egui's own clip-space position (the same expression as egui-wgpu's
// `position_from_screen`, from points and the screen's size in points, so the same pixels are
// covered), writing its colour as it is. egui's shader would write the same bytes: the fill
// samples its font atlas's white texel (1.0), and dithering leaves an exact 8-bit colour
// alone. On llvmpipe this pass costs a fraction of egui's textured, blended, dithered one,
// which shaded a panel's background at ~40–80 ns a pixel. Rust side: src/viewer/fills.rs.

struct FillInstance {
    @location(0) rect: vec4<f32>,       // (min x, min y, max x, max y), points
    @location(1) color: vec4<f32>,      // egui's Color32 (gamma-encoded, opaque) as 0–1
    @location(2) screen: vec2<f32>,     // the screen's size in points
}

struct VertexOut {
    @builtin(position) position: vec4<f32>,
    @location(0) @interpolate(flat) color: vec4<f32>,
}

@vertex
fn vs_main(@builtin(vertex_index) index: u32, fill: FillInstance) -> VertexOut {
    // Triangle-strip corners: (min, min), (max, min), (min, max), (max, max).
    let x = select(fill.rect.x, fill.rect.z, (index & 1u) != 0u);
    let y = select(fill.rect.y, fill.rect.w, (index & 2u) != 0u);
    var out: VertexOut;
    out.position = vec4<f32>(
        2.0 * x / fill.screen.x - 1.0,
        1.0 - 2.0 * y / fill.screen.y,
        0.0,
        1.0,
    );
    out.color = fill.color;
    return out;
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    return in.color;
}
