// One triangle covering the viewport, from three vertices without a vertex buffer:
// (−1, −1), (3, −1), (−1, 3) in clip space. The passes over a whole target use it: the cached
// layers' composite (composite.wgsl) and the outside of the model (outside.wgsl).
fn fullscreen_triangle(index: u32) -> vec4<f32> {
    let x = f32((index << 1u) & 2u) * 2.0 - 1.0;
    let y = f32(index & 2u) * 2.0 - 1.0;
    return vec4<f32>(x, y, 0.0, 1.0);
}
