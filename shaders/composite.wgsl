// Composites a cached layer over the canvas: one full-screen triangle that loads the cached
// texture's texel under each pixel (same size, no filtering) and returns it as premultiplied
// colour, blended "over" what is already drawn. Used by the ellipse layer, whose glyphs (tens
// of thousands of triangles on dense grids: llvmpipe's costliest pass) are drawn into the
// cache only when the field, the view or their settings change (src/render/ellipses.rs).

// #include <common/fullscreen.wgsl>

@group(0) @binding(0) var cached: texture_2d<f32>;

@vertex
fn vs_main(@builtin(vertex_index) index: u32) -> @builtin(position) vec4<f32> {
    return fullscreen_triangle(index);
}

@fragment
fn fs_main(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    return textureLoad(cached, vec2<i32>(position.xy), 0);
}
