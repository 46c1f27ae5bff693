//! The region outside the model, filled and hatched on the canvas: σ ≤ 0, π ≤ 0 and π ≥ 1
//! on the mixture's slices ([`crate::math::Param::domain`]), the unstable gains outside the
//! policy plane's stability triangle. The model's inside is an intersection of at most four half-planes,
//! formed here in f64 in the canvas' physical pixels ([`inside_planes`]) and handed to
//! `shaders/outside.wgsl`, which the glyph layer draws into its cache after the glyphs
//! ([`OutsideDrawing`]): a static frame composites the cache it already pays for, and the
//! outside costs nothing more. (Drawn by the egui overlay every frame, the fill and the hatch
//! cost ~7 ms a frame on llvmpipe.) The overlay still writes the outside's names and the
//! triangle's edges.

use super::colormap::linear_rgba;
use super::layer::LayerSetup;
use super::pipeline::{QuadPipeline, ViewAndParams};
use crate::gpu::gpu_data::OutsideParams;
use crate::scene::{Camera, Scene};

/// The most half-planes the shader tests (π's two ends and a σ's; the triangle's three).
pub const MAX_PLANES: usize = 4;
/// Distance between hatch lines along x, in logical points.
pub const HATCH_SPACING_POINTS: f32 = 12.0;
/// Fill laid over the mixture's outside (sRGB, as the overlay's labels' boxes).
pub const FILL_SRGB: u32 = 0x0c0c10;
/// The fill's opacity (190/255 of the egui overlay that drew it before).
pub const FILL_ALPHA: f32 = 190.0 / 255.0;
/// Hatch lines: grey 90.
pub const HATCH_SRGB: u32 = 0x5a5a5a;

/// The model's inside as half-planes n·p ≥ d (n a unit vector, p in physical pixels of a
/// canvas of `size_px`, origin top-left, y down). Empty where every point of the slice is in
/// the model (the means).
pub fn inside_planes(scene: &Scene, size_px: [f32; 2]) -> Vec<[f64; 3]> {
    let camera = &scene.camera;
    match scene.lqr() {
        Some(lqr) => {
            let corners = lqr.triangle().map(|c| pixel(camera, c, size_px));
            (0..3)
                .map(|i| {
                    let (p, q, r) = (corners[i], corners[(i + 1) % 3], corners[(i + 2) % 3]);
                    let n = [-(q[1] - p[1]), q[0] - p[0]];
                    let length = n[0].hypot(n[1]).max(f64::MIN_POSITIVE);
                    let n = [n[0] / length, n[1] / length];
                    let d = n[0] * p[0] + n[1] * p[1];
                    // Inward: the opposite corner lies on the inside.
                    if n[0] * r[0] + n[1] * r[1] >= d {
                        [n[0], n[1], d]
                    } else {
                        [-n[0], -n[1], -d]
                    }
                })
                .collect()
        }
        None => {
            let mut planes = Vec::new();
            for (k, param) in scene.slice.params().into_iter().enumerate() {
                let (low, high) = param.domain();
                // Pixel coordinate of the bound along axis k (y grows downwards, so the
                // vertical axis' inequalities flip).
                let at = |v: f64| {
                    let world = if k == 0 { [v, 0.0] } else { [0.0, v] };
                    pixel(camera, world, size_px)[k]
                };
                let sign = if k == 0 { 1.0 } else { -1.0 };
                let unit = |s: f64| if k == 0 { [s, 0.0] } else { [0.0, s] };
                if low.is_finite() {
                    let n = unit(sign);
                    planes.push([n[0], n[1], sign * at(low)]);
                }
                if high.is_finite() {
                    let n = unit(-sign);
                    planes.push([n[0], n[1], -sign * at(high)]);
                }
            }
            planes
        }
    }
}

/// World to physical pixels in f64 (the camera's own conversion rounds to f32, too coarse
/// for a bound far outside the view).
fn pixel(camera: &Camera, world: [f64; 2], size_px: [f32; 2]) -> [f64; 2] {
    let s = camera.world_per_pixel_xy(size_px[1]);
    [
        (world[0] - camera.center[0]) / s[0] + 0.5 * size_px[0] as f64,
        -(world[1] - camera.center[1]) / s[1] + 0.5 * size_px[1] as f64,
    ]
}

/// The shader's parameters for `scene` on a canvas of `size_px` at `px_per_point`; None when
/// the whole slice is inside the model. The policy plane's outside is hatched only (its
/// heatmaps and ellipses stop at the edges, which the overlay draws); the mixture's is
/// darkened too.
pub fn outside_params(
    scene: &Scene,
    size_px: [f32; 2],
    px_per_point: f32,
) -> Option<OutsideParams> {
    let planes = inside_planes(scene, size_px);
    if planes.is_empty() {
        return None;
    }
    let spacing_px = HATCH_SPACING_POINTS * px_per_point;
    // The hatch is fixed to the plane, not to the canvas: one line through the world's origin,
    // so the lines move with a pan, and a canvas that narrows about its centre (whose glyph
    // cache is cropped, not redrawn) shows the lines a redraw would.
    let origin = pixel(&scene.camera, [0.0, 0.0], size_px);
    let mut params = OutsideParams {
        spacing_px,
        line_px: px_per_point,
        phase_px: (origin[0] - origin[1]).rem_euclid(spacing_px as f64) as f32,
        ..Default::default()
    };
    for (slot, plane) in params.planes.iter_mut().zip(&planes) {
        *slot = [plane[0] as f32, plane[1] as f32, plane[2] as f32, 1.0];
    }
    debug_assert!(planes.len() <= MAX_PLANES, "{} planes", planes.len());
    params.hatch = linear_rgba(HATCH_SRGB, 1.0);
    if scene.lqr().is_none() {
        let fill = linear_rgba(FILL_SRGB, FILL_ALPHA);
        params.fill = [
            fill[0] * FILL_ALPHA,
            fill[1] * FILL_ALPHA,
            fill[2] * FILL_ALPHA,
            FILL_ALPHA,
        ];
    }
    Some(params)
}

/// The outside's pipeline (drawing into the glyph layer's cache) and its parameters.
pub struct OutsideDrawing {
    pipeline: wgpu::RenderPipeline,
    params_buffer: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
}

impl OutsideDrawing {
    /// Builds the pipeline for targets of `format` (the glyph cache's).
    pub fn new(setup: &LayerSetup<'_>, format: wgpu::TextureFormat) -> Self {
        let bindings =
            ViewAndParams::new::<OutsideParams>(setup.device, "outside", setup.view_buffer);
        let pipeline =
            QuadPipeline::without_instances(setup.device, "outside.wgsl", &bindings.layout, format);
        Self {
            pipeline,
            params_buffer: bindings.params,
            bind_group: bindings.group,
        }
    }

    /// Writes this drawing's parameters (before the pass that draws it).
    pub fn prepare(&self, queue: &wgpu::Queue, params: &OutsideParams) {
        queue.write_buffer(&self.params_buffer, 0, bytemuck::bytes_of(params));
    }

    /// One full-screen triangle over the pass' target.
    pub fn draw(&self, pass: &mut wgpu::RenderPass<'_>) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        pass.draw(0..3, 0..1);
    }
}
