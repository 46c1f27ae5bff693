//! Metric ellipses (`shaders/ellipses.wgsl`): one instance per FIM field cell, the field's
//! storage buffer bound directly as the instance vertex buffer.
//!
//! Glyph size: the level ε is chosen so that at scale 1 an ellipse where F = I/(2σ²) (far from
//! the diagonal) has semi-axes of 0.45 cell, ε = (0.45·h·scale)²/(2σ²) (other slices:
//! [`reference_lambda`]). Every glyph is then
//! the honest level set δᵀF(θ)δ = ε, so KL(p_θ ‖ p_θ+δ) ≈ ε/2 on each outline. Semi-axes
//! longer than [`CAP_CELLS`] cells are clamped (and drawn hatched).
//!
//! Source: with the scene's `estimates.grid_ellipses` = EF the glyphs are δᵀEF(θ)δ = ε instead,
//! EF = E_{p*}[s sᵀ] the population empirical Fisher the field kernels store in each cell
//! (`FieldCell::empirical`), at the same ε, coloured by κ(EF): where p_θ = p* (at θ*) the two
//! layers agree, away from it EF ≠ F ([`source_code`] is the parameters' flag).
//!
//! The layer's pixels are drawn into a cache and composited into the renderer's backdrop (a
//! backdrop layer, versioned by the cache's key): the glyphs, and over them the region outside
//! the model ([`crate::render::outside`]). A frame that changed neither the glyphs nor the
//! layers under them copies the backdrop and composites nothing. The cache is drawn whenever
//! either is shown.

use crate::gpu::gpu_data::{EllipseParams, FieldCell, OutsideParams};
use crate::math::general::fisher_slice;
use crate::math::{QuadratureRule, Sym2};
use crate::render::FrameInfo;
use crate::render::layer::{
    Layer, LayerFrame, LayerSetup, Legend, LegendItem, Placement, SwatchShape,
};
use crate::render::layer_cache::{BackdropVersion, CACHE_FORMAT, LayerCache};
use crate::render::outside::{OutsideDrawing, outside_params};
use crate::render::pipeline::{QuadPipeline, ViewAndParams, attribute};
use crate::scene::{EllipseSource, Scene};

/// Largest drawn semi-axis, in cells.
pub const CAP_CELLS: f64 = 2.0;
/// log10 κ at the top of the colour map (κ = 10⁴ and beyond share the top colour).
pub const LOG_KAPPA_TOP: f32 = 4.0;

/// ε for a grid of cell size `cell` at display scale `scale`.
pub fn ellipse_epsilon(cell: f64, scale: f64, reference_lambda: f64) -> f64 {
    let semi = 0.45 * cell * scale;
    semi * semi * reference_lambda
}

/// The eigenvalue the ellipse level is normalised by, in display units (see
/// `shaders/common/view.wgsl`): on the seed's slice the far-field 1/(2σ²), where the
/// components are apart and F = I/(2σ²), so a far cell's glyph is a circle filling 90% of it
/// at scale 1; on any other slice there is no such far field (the half-plane's F shrinks like
/// 1/σ² without end), so the smaller eigenvalue of the induced block at the view's centre
/// (f64, in display units; at least a hundredth of the larger) takes its place: the glyph at
/// the centre of the view fits its cell at scale 1, and the other glyphs show how F differs
/// from there. (At the target where the view's centre is outside the model.) The view, not the
/// handle: a dragged handle then leaves every glyph as it is, so the cached glyph layer is not
/// redrawn each frame of a drag (it was, at 30–35 ms a frame on llvmpipe at grid 128), while a
/// pan or zoom redraws the layer anyway.
pub fn reference_lambda(scene: &Scene) -> f64 {
    if let Some(sigma) = scene.seed_sigma() {
        return 1.0 / (2.0 * sigma * sigma);
    }
    let rule = QuadratureRule::new(32).expect("32 nodes is a valid rule");
    let centre = scene.slice.place(&scene.model, scene.camera.center);
    let at = if centre.validate_for(&scene.slice).is_ok() {
        centre
    } else {
        scene.model
    };
    let f = fisher_slice(&at, &scene.slice, &rule);
    let s = scene.camera.x_per_y;
    let display = Sym2::new(f.xx * s * s, f.xy * s, f.yy);
    let eigen = display.eigen();
    let lambda = eigen.lambda_min.max(0.01 * eigen.lambda_max);
    if lambda.is_finite() && lambda > 0.0 {
        lambda
    } else {
        1.0
    }
}

/// Everything the glyph layer's pixels depend on: when it equals the cached drawing's, a frame
/// composites the cache instead of drawing tens of thousands of glyphs again.
#[derive(Clone, Copy, Debug, PartialEq)]
struct CacheKey {
    params: EllipseParams,
    camera: crate::scene::Camera,
    layout: crate::simulation::GridLayout,
    size_px: [u32; 2],
    px_per_point: f32,
    /// The field's generation (F only for F glyphs; the target's half too for EF glyphs).
    field_generation: u64,
    /// Glyphs drawn (0 with the ellipses off).
    cells: u32,
    /// The region outside the model, if any of it is on the slice.
    outside: Option<OutsideParams>,
}

/// Where the drawing `wanted` lies in the drawing `held`, when it is a part of it: a canvas
/// narrowed about its centre by an even number of pixels (the same height, so the same scale),
/// with everything else as it was (the grid kept by `SceneRenderer::plan_frame`, the field,
/// the camera, the parameters, the outside of the model in the plane). Its pixels then lie
/// `(Δwidth/2, 0)` to the left of where they lie in `held`: the glyphs are drawn in display
/// units about the camera's centre, and the outside's planes and hatch are fixed to the plane.
fn crop_offset(held: &CacheKey, wanted: &CacheKey, scene: &Scene) -> Option<[u32; 2]> {
    let ([held_width, held_height], [width, height]) = (held.size_px, wanted.size_px);
    if held_height != height || held_width < width || (held_width - width) % 2 != 0 {
        return None;
    }
    let as_held = CacheKey {
        size_px: held.size_px,
        outside: outside_params(scene, held.size_px.map(|v| v as f32), wanted.px_per_point),
        ..*wanted
    };
    (as_held == *held).then_some([(held_width - width) / 2, 0])
}

/// The ellipse pipeline and its parameters.
pub struct EllipseRenderer {
    /// Draws the glyphs into the cache ([`CACHE_FORMAT`]).
    pipeline: wgpu::RenderPipeline,
    params_buffer: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    /// The glyphs (and the outside of the model) drawn once, composited every frame.
    cache: LayerCache<CacheKey>,
    /// Lays the outside of the model over the glyphs in the cache.
    outside: OutsideDrawing,
    /// This frame brings the stale cache up to date by cropping it at this offset
    /// ([`crop_offset`]) instead of drawing the glyphs again.
    crop: Option<[u32; 2]>,
    /// A backdrop layer, its version the cache's key: a frame whose glyphs did not change
    /// copies them with the backdrop (a texture copy) instead of compositing the cache (a
    /// blended full-canvas quad, 6–7 ms a frame on llvmpipe at 1400 × 900).
    version: BackdropVersion<CacheKey>,
}

/// The [`FieldCell`] fields `ellipses.wgsl` reads as instance attributes (locations 0–4 of
/// its `CellAttributes`); the shader validation test checks each offset against naga's
/// layout of the WGSL `FieldCell`.
pub const CELL_ATTRIBUTES: [wgpu::VertexAttribute; 8] = {
    use std::mem::offset_of;
    use wgpu::VertexFormat::{Float32, Float32x2, Float32x4, Uint32};
    let ef = offset_of!(FieldCell, empirical);
    [
        attribute(Float32x2, offset_of!(FieldCell, theta), 0),
        attribute(Float32x2, offset_of!(FieldCell, eigenvalues), 1),
        attribute(Float32x4, offset_of!(FieldCell, rotated), 2),
        attribute(Float32x2, offset_of!(FieldCell, q_max), 3),
        attribute(Uint32, offset_of!(FieldCell, flags), 4),
        // EF's block, the WGSL `ef_aa`, `ef_ab`, `ef_bb` (Rust `empirical`).
        attribute(Float32, ef, 5),
        attribute(Float32, ef + 4, 6),
        attribute(Float32, ef + 8, 7),
    ]
};

/// The shader's `source` code for the matrix the grid's glyphs draw (`ELLIPSE_SOURCE_*` of
/// `ellipses.wgsl`).
pub const fn source_code(source: EllipseSource) -> u32 {
    match source {
        EllipseSource::Fisher => 0,
        EllipseSource::EmpiricalFisher => 1,
    }
}

/// The matrix's short name in the legend.
fn source_name(source: EllipseSource) -> &'static str {
    match source {
        EllipseSource::Fisher => "F",
        EllipseSource::EmpiricalFisher => "EF",
    }
}

impl EllipseRenderer {
    /// Builds the pipeline; `view_buffer` is the shared view parameters.
    pub fn new(setup: &LayerSetup<'_>) -> Self {
        let (device, view_buffer, format) = (setup.device, setup.view_buffer, setup.format);
        let bindings = ViewAndParams::new::<EllipseParams>(device, "ellipses", view_buffer);
        let layout = bindings.layout;
        let params_buffer = bindings.params;
        let bind_group = bindings.group;
        let pipeline = QuadPipeline {
            shader_file: "ellipses.wgsl",
            layout: &layout,
            instances: Some(wgpu::VertexBufferLayout {
                array_stride: size_of::<FieldCell>() as u64,
                step_mode: wgpu::VertexStepMode::Instance,
                attributes: &CELL_ATTRIBUTES,
            }),
            format: CACHE_FORMAT,
        }
        .build(device);
        Self {
            pipeline,
            params_buffer,
            bind_group,
            cache: LayerCache::new(device, "ellipse cache", format),
            outside: OutsideDrawing::new(setup, CACHE_FORMAT),
            crop: None,
            version: BackdropVersion::default(),
        }
    }

    /// Redraws the cached glyphs when this frame's key differs from the cached one.
    fn refresh_cache(
        &mut self,
        device: &wgpu::Device,
        encoder: &mut wgpu::CommandEncoder,
        cells_buffer: Option<&wgpu::Buffer>,
        key: CacheKey,
    ) {
        let Some(mut pass) = self.cache.redraw(device, encoder, key.size_px) else {
            return;
        };
        if let Some(cells_buffer) = cells_buffer.filter(|_| key.cells > 0) {
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &self.bind_group, &[]);
            pass.set_vertex_buffer(0, cells_buffer.slice(..));
            pass.draw(0..3, 0..key.cells);
        }
        if key.outside.is_some() {
            self.outside.draw(&mut pass);
        }
    }

    /// Writes this frame's parameters.
    pub fn prepare(&self, queue: &wgpu::Queue, params: &EllipseParams) {
        queue.write_buffer(&self.params_buffer, 0, bytemuck::bytes_of(params));
    }
}

impl Layer for EllipseRenderer {
    fn name(&self) -> &'static str {
        "ellipses"
    }

    fn prepare(&mut self, frame: &LayerFrame<'_>) {
        let params = EllipseParams {
            epsilon: frame.info.epsilon as f32,
            cap: (CAP_CELLS * frame.layout.cell) as f32,
            log_kappa_top: LOG_KAPPA_TOP,
            opacity: 0.85,
            source: source_code(frame.scene.grid_ellipse_source()),
            _pad: [0; 3],
        };
        self.cache.want(None);
        self.version.update(None);
        let size_px = frame.size_px.map(|v| v.round().max(1.0) as u32);
        let outside = outside_params(frame.scene, size_px.map(|v| v as f32), frame.px_per_point);
        let cells = match frame.sim.field() {
            Some((_, cells)) if frame.scene.layers.ellipses => cells,
            _ => 0,
        };
        if cells == 0 && outside.is_none() {
            return;
        }
        let empirical = frame.scene.grid_ellipse_source() == EllipseSource::EmpiricalFisher;
        let key = CacheKey {
            params,
            camera: frame.scene.camera,
            layout: *frame.layout,
            size_px,
            px_per_point: frame.px_per_point,
            field_generation: if cells > 0 {
                frame.sim.field_generation(empirical)
            } else {
                0
            },
            cells,
            outside,
        };
        self.cache.want(Some(key));
        self.version.update(Some(key));
        self.crop = None;
        if self.cache.is_stale() {
            self.crop = self
                .cache
                .drawn()
                .and_then(|held| crop_offset(&held, &key, frame.scene));
        }
        if self.cache.is_stale() && self.crop.is_none() {
            EllipseRenderer::prepare(self, &frame.ctx.queue, &params);
            if let Some(outside) = &outside {
                self.outside.prepare(&frame.ctx.queue, outside);
            }
        }
    }

    fn encode_offscreen(&mut self, encoder: &mut wgpu::CommandEncoder, frame: &LayerFrame<'_>) {
        let Some(key) = self.cache.wanted() else {
            return;
        };
        if let Some(offset) = self.crop.take()
            && self
                .cache
                .crop(&frame.ctx.device, encoder, key.size_px, offset)
        {
            return;
        }
        let cells_buffer = frame.sim.field().map(|(buffer, _)| buffer);
        self.refresh_cache(&frame.ctx.device, encoder, cells_buffer, key);
    }

    fn placement(&self) -> Placement {
        Placement::Backdrop(self.version.current())
    }

    fn draw(&self, pass: &mut wgpu::RenderPass<'_>, _frame: &LayerFrame<'_>) {
        self.cache.composite(pass);
    }

    fn legend(&self, scene: &Scene, info: &FrameInfo) -> Option<Legend> {
        let m = source_name(scene.grid_ellipse_source());
        let empirical = scene.grid_ellipse_source() == EllipseSource::EmpiricalFisher;
        scene.layers.ellipses.then(|| Legend {
            title: Some(format!("ellipse colour: log₁₀ κ({m})")),
            items: vec![
                LegendItem::ColorBar {
                    ticks: (0..=LOG_KAPPA_TOP as i32)
                        .map(|k| {
                            if k == LOG_KAPPA_TOP as i32 {
                                format!("{k}+, ∞")
                            } else {
                                k.to_string()
                            }
                        })
                        .collect(),
                },
                LegendItem::Text(format!("level set δᵀ{m}δ = ε = {:.2e}", info.epsilon)),
                LegendItem::Text(if empirical {
                    "EF = E_p*[s sᵀ] (population); = F at θ*".into()
                } else {
                    format!("(KL ≈ ε/2 = {:.1e} on each outline)", info.epsilon / 2.0)
                }),
                LegendItem::Swatch {
                    color: crate::render::colormap::palette::CLAMPED,
                    shape: SwatchShape::Outline,
                    label: format!("semi-axis capped at {CAP_CELLS} cells"),
                },
            ],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{Preset, SceneEdit};
    use crate::simulation::GridLayout;

    /// The glyph cache's key for `scene` on a canvas of `size_px`, as `prepare` forms it.
    fn key(scene: &Scene, size_px: [u32; 2], field_generation: u64) -> CacheKey {
        let size = size_px.map(|v| v as f32);
        let layout = GridLayout::for_view(scene, [400.0, 300.0], scene.grid);
        CacheKey {
            params: EllipseParams::default(),
            camera: scene.camera,
            layout,
            size_px,
            px_per_point: 1.0,
            field_generation,
            cells: layout.cells(),
            outside: outside_params(scene, size, 1.0),
        }
    }

    #[test]
    fn a_canvas_narrowed_about_its_centre_crops_the_glyph_cache() {
        let seed = Scene::default();
        let mut half_plane = Scene::default();
        half_plane.apply(SceneEdit::ApplyPreset(Preset::HalfPlane));
        half_plane.camera.center = [0.3, 0.5];
        for scene in [&seed, &half_plane] {
            let held = key(scene, [400, 300], 7);
            let crop = |wanted: CacheKey| crop_offset(&held, &wanted, scene);
            assert_eq!(crop(key(scene, [300, 300], 7)), Some([50, 0]));
            assert_eq!(crop(key(scene, [400, 300], 7)), Some([0, 0]));
            // Controls: no whole-pixel offset, another scale, a wider canvas, other cells,
            // another camera.
            assert_eq!(crop(key(scene, [301, 300], 7)), None, "odd");
            assert_eq!(crop(key(scene, [300, 299], 7)), None, "shorter");
            assert_eq!(crop(key(scene, [402, 300], 7)), None, "wider");
            assert_eq!(crop(key(scene, [300, 300], 8)), None, "field");
            let mut panned = scene.clone();
            panned.camera.center[0] += 0.01;
            let moved = CacheKey {
                camera: panned.camera,
                ..key(scene, [300, 300], 7)
            };
            assert_eq!(crop_offset(&held, &moved, &panned), None, "panned");
        }
        // The crop is what a redraw gives only because the outside's hatch is fixed to the
        // plane: on the narrowed canvas its lines lie 50 pixels to the left.
        let [held, narrowed] = [[400, 300], [300, 300]]
            .map(|size| key(&half_plane, size, 7).outside.expect("the half-plane's outside"));
        let spacing = held.spacing_px;
        let shifted = (held.phase_px - 50.0).rem_euclid(spacing);
        let apart = (narrowed.phase_px - shifted).abs();
        assert!(apart.min(spacing - apart) < 1e-3, "{held:?} against {narrowed:?}");
    }
}
