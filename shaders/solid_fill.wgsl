// The window chrome's opaque one-colour fills (panels', frames') drawn without egui's shader:
// egui's own triangles at egui's own clip-space position (the same expression as egui-wgpu's
// `position_from_screen`, from points and the screen's size in points, so the same pixels are
// covered), writing their colour as it is. egui's shader would write the same bytes: the fill
// samples its font atlas's white texel (1.0), and dithering leaves an exact 8-bit colour
// alone. On llvmpipe this pass costs a fraction of egui's textured, blended, dithered one,
// which shaded a panel's background at ~40–80 ns a pixel. Rust side: src/viewer/fills.rs.

struct FillVertex {
    @location(0) position: vec2<f32>,   // points
    @location(1) color: vec4<f32>,      // egui's Color32 (gamma-encoded, opaque) as 0–1
    @location(2) screen: vec2<f32>,     // the screen's size in points
}

struct VertexOut {
    @builtin(position) position: vec4<f32>,
    @location(0) @interpolate(flat) color: vec4<f32>,
}

@vertex
fn vs_main(fill: FillVertex) -> VertexOut {
    var out: VertexOut;
    out.position = vec4<f32>(
        2.0 * fill.position.x / fill.screen.x - 1.0,
        1.0 - 2.0 * fill.position.y / fill.screen.y,
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
