//! Heatmaps of one scalar of the FIM field (`shaders/heatmap.wgsl`): log₁₀ κ, the Jeffreys
//! volume element √det F, the loss L with contour lines, the angle between ∇L and ñ, and the
//! natural gradient's Fisher–Rao length ‖ñ‖_F = √(ñᵀFñ), and the empirical Fisher's gap
//! ‖EF − F‖_F / ‖F‖_F, one at a time (the scene's `features.heatmap`).
//!
//! How it works: the shaders read the field's storage buffer (the same one the ellipses are
//! instanced from, no CPU round trip) and interpolate the scalar bilinearly between the cell
//! centres in the scale's units (decades on the log scales), so the map is smooth at any grid
//! density. The scalar is evaluated per cell, not per pixel: one quad per block of [`CELL_BLOCK`]²
//! gaps between cell centres (`vs_cells`), whose vertices evaluate the block's corner cells
//! and pass them flat to the fragments, which only pick and mix four numbers, colour and draw
//! contours. On llvmpipe that is ~3× cheaper than evaluating four cells per pixel (77 → 24 ms
//! at 1280 × 720, grid 48). It is the same
//! bilinear map as a texture of per-cell values sampled with a linear filter would give, without
//! the texture: filling one would need a pass recorded after the field's dispatch in the frame's
//! encoder, and a [`Layer`] only gets the scene pass. When cells shrink to a few pixels
//! ([`MIN_CELL_AREA_PX`]) a quad per cell costs more than it saves, and one full-canvas quad
//! (`vs_main`) evaluates the four surrounding cells per pixel instead; both paths share the
//! interpolation and shading code, so they draw the same picture. Cells where the scalar does
//! not exist (outside the model, no metric, no natural gradient, an undefined angle) take no
//! weight; where less than half the weight is defined the map is transparent, so the
//! background shows through, never a made-up colour. κ = ∞ (and √det F = 0, L = 0) are pinned
//! just past the scale's ends and take its end colours.
//!
//! Scales ([`HeatScale`]): fixed for log₁₀ κ ([0, 8], κ from 1 to 10⁸; ∞ on top) and for the
//! angle ([0°, 90°], linear). The others follow the scene: when the scene or the view changes,
//! the f64 reference ([`value_at`]) is evaluated on a 5 × 5 lattice over the visible
//! rectangle and the scale spans whole decades from the smallest to the largest sample (at most
//! [`MAX_DECADES`], cut from below: the large values are where the action is for √det F and
//! ‖ñ‖_F, and L's low end only piles contours around θ*; at least [`MIN_LOSS_DECADES`] for L,
//! whose zero at θ* the lattice seldom comes near), so every tick label is a number the CPU
//! computed, never a GPU readback. The scale is recomputed (25 f64 points, 32 nodes) only when
//! the scene, the view or the canvas changes, and moves in whole decades, so the colours jump
//! only when a decade boundary is crossed while panning or zooming. Contour lines (the loss
//! only) sit at every half decade.
//!
//! The layer is drawn first, straight after the pass's clear and before the tick grid, so the
//! axes, ellipses and everything else stay readable over it.

use crate::math::fisher::fisher_rotated;
use crate::math::general::{
    empirical_fisher_full, fisher_metric, gradient, kl_divergence as kl_general, slice_block,
};
use crate::math::loss::{gradient_rotated, kl_divergence};
use crate::math::sym2::{angle_deg, natural_gradient};
use crate::math::{Metric, Mixture, QuadratureRule, Sym2};
use crate::render::FrameInfo;
use crate::render::layer::{Layer, LayerFrame, LayerSetup, Legend, LegendItem, Placement};
use crate::render::layer_cache::BackdropVersion;
use crate::render::pipeline::{QuadPipeline, new_params_buffer, view_params_records_layout};
use crate::scene::{Camera, Feature, Heatmap, Scene};

/// Must match `HeatmapParams` in `shaders/heatmap.wgsl`. (Kept beside its one user rather
/// than in `gpu::gpu_data` while that file is being edited for other stages; it follows the
/// same rules: `#[repr(C)]`, Pod, explicit padding, a size check.)
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct HeatmapParams {
    /// Columns and rows of the field.
    pub shape: [u32; 2],
    /// Which scalar ([`kind_code`]).
    pub kind: u32,
    /// 1: draw contour lines.
    pub contours: u32,
    /// A cell's (width, height) in world units.
    pub cell_size: [f32; 2],
    /// Scale values at the bottom and the top of the colour map.
    pub range: [f32; 2],
    /// Contour spacing in scale units.
    pub contour_step: f32,
    /// Opacity of the map.
    pub opacity: f32,
    /// The damping λ of ñ = (F + λI)⁻¹∇L.
    pub damping: f32,
    /// Padding to the WGSL struct's 16-byte size multiple.
    pub _pad: f32,
}

const _: () = assert!(std::mem::size_of::<HeatmapParams>() == 48);

/// The shader's `HEATMAP_*` code of a heatmap (0: none).
pub const fn kind_code(heatmap: Heatmap) -> u32 {
    match heatmap {
        Heatmap::None => 0,
        Heatmap::Log10Kappa => 1,
        Heatmap::Jeffreys => 2,
        Heatmap::Loss => 3,
        Heatmap::Angle => 4,
        Heatmap::NatgradNorm => 5,
        Heatmap::EfGap => 6,
        Heatmap::SpectralRadius => 7,
        Heatmap::ControlEnergy => 8,
    }
}

/// log₁₀ κ at the top of its scale.
pub const LOG_KAPPA_TOP: f64 = 8.0;
/// Widest scene-following scale, in decades.
pub const MAX_DECADES: f64 = 6.0;
/// The loss scale spans at least this many decades.
pub const MIN_LOSS_DECADES: f64 = 4.0;
/// Contour spacing of the loss map, in decades.
pub const CONTOUR_DECADES: f64 = 0.5;
/// Opacity of the map over the background.
pub const OPACITY: f32 = 1.0;
/// Gaps between cell centres per side of one quad of the cell path (`BLOCK` in the shader).
pub const CELL_BLOCK: u32 = 2;
/// Smallest cell, in square pixels, drawn as a quad per cell gap; denser grids fall back to
/// the per-pixel path. A block evaluates 54 cells (9 per vertex) where the per-pixel path
/// evaluates 4 per pixel, and small triangles cost setup: blocks win from ~3 px per cell up.
pub const MIN_CELL_AREA_PX: f32 = 9.0;

/// A heatmap's colour scale: the value at the bottom and top of the colour map, in scale units
/// (log₁₀ of the quantity when `log`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeatScale {
    /// Bottom (t = 0).
    pub lo: f64,
    /// Top (t = 1).
    pub hi: f64,
    /// Scale units are decades.
    pub log: bool,
}

impl HeatScale {
    /// Where a value falls on the colour map (unclamped): 0 at the bottom, 1 at the top.
    pub fn t(&self, value: f64) -> f64 {
        let v = if self.log { value.log10() } else { value };
        (v - self.lo) / (self.hi - self.lo)
    }

    /// Tick labels spread evenly along the bar: whole decades (every other one past four) on a
    /// log scale, 15° steps for the angle.
    pub fn ticks(&self, top_suffix: &str) -> Vec<String> {
        let (step, format): (f64, fn(f64) -> String) = if self.log {
            let span = self.hi - self.lo;
            (if span > 4.0 { 2.0 } else { 1.0 }, format_decade)
        } else {
            (15.0, |v| format!("{v}°"))
        };
        let n = ((self.hi - self.lo) / step).round() as i32;
        (0..=n)
            .map(|i| {
                let label = format(self.lo + i as f64 * step);
                if i == n {
                    format!("{label}{top_suffix}")
                } else {
                    label
                }
            })
            .collect()
    }
}

/// 10^k as a short label: 0.01, 0.1, 1, 10, 100, 1000, else 1e-3, 1e4.
fn format_decade(k: f64) -> String {
    let k = k.round() as i32;
    match k {
        -2..=3 => format!("{}", 10f64.powi(k)),
        _ => format!("1e{k}"),
    }
}

/// The heatmap's value at one point, by the f64 reference.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HeatValue {
    /// A number (κ, √det F, L, degrees, ‖ñ‖_F).
    Finite(f64),
    /// κ = ∞ (F singular).
    Infinite,
    /// Not defined here, and why.
    Undefined(&'static str),
}

impl HeatValue {
    /// The value as the hover line shows it.
    pub fn describe(&self, heatmap: Heatmap) -> String {
        match (self, heatmap) {
            (HeatValue::Finite(v), Heatmap::Angle) => format!("{v:.2}°"),
            (HeatValue::Finite(v), Heatmap::Log10Kappa) => {
                format!("κ = {v:.4e} (log₁₀ κ = {:.3})", v.log10())
            }
            (HeatValue::Finite(v), _) => format!("{v:.4e}"),
            (HeatValue::Infinite, _) => "∞ (F singular)".to_owned(),
            (HeatValue::Undefined(why), _) => format!("undefined ({why})"),
        }
    }
}

/// The heatmap's quantity at slice point `xy` of `scene`, in f64 with the `nodes`-node rule:
/// κ (or ∞), √det F, L, the angle in degrees, ‖ñ‖_F, ‖EF − F‖_F / ‖F‖_F. The seed's scenes go through the rotated
/// basis (`math::fisher`), as the seed kernel does, so κ and det F keep their digits next to the
/// diagonal; every other scene through the general path with the scene's metric.
pub fn value_at(scene: &Scene, heatmap: Heatmap, xy: [f64; 2], nodes: u32) -> HeatValue {
    let Ok(rule) = QuadratureRule::new(nodes) else {
        return HeatValue::Undefined("invalid node count");
    };
    if heatmap == Heatmap::EfGap {
        return ef_gap(scene, xy, &rule);
    }
    if matches!(heatmap, Heatmap::SpectralRadius | Heatmap::ControlEnergy) {
        let Some(lqr) = scene.lqr() else {
            return HeatValue::Undefined("the policy plane's");
        };
        let at = lqr.evaluate(xy);
        return match (heatmap, at.closed) {
            (_, None) => HeatValue::Undefined("outside the stability triangle"),
            (Heatmap::SpectralRadius, Some(_)) => HeatValue::Finite(at.spectral_radius),
            (_, Some(c)) => HeatValue::Finite(c.control_energy),
        };
    }
    let policy = scene.lqr().map(|lqr| lqr.evaluate(xy).closed);
    let (f, loss_part) = match (scene.seed_sigma(), scene.metric) {
        // The policy plane: F = Σ_K/σ², its loss C and ∇C in closed form.
        _ if policy.is_some() => {
            let Some(Some(closed)) = policy else {
                return HeatValue::Undefined("outside the stability triangle");
            };
            let loss_part = move || (closed.cost, closed.grad);
            (
                closed.fisher,
                Box::new(loss_part) as Box<dyn Fn() -> (f64, [f64; 2])>,
            )
        }
        (Some(sigma), Metric::Induced) => {
            let m = Mixture::new(xy[0], xy[1], sigma);
            let t = scene.target();
            // The rotated basis is orthonormal: κ, det F, ñᵀFñ and the angle are the same
            // computed there.
            let f = fisher_rotated(&m, &rule);
            let loss_part = move || (kl_divergence(&m, t, &rule), gradient_rotated(&m, t, &rule));
            (f, Box::new(loss_part) as Box<dyn Fn() -> (f64, [f64; 2])>)
        }
        _ => {
            let model = scene.model_at(xy);
            if model.validate_for(&scene.slice).is_err() {
                return HeatValue::Undefined("outside the model");
            }
            let Ok(f) = fisher_metric(&model, &scene.slice, scene.metric, &rule) else {
                return HeatValue::Undefined("no metric here");
            };
            let star = scene.model;
            let slice = scene.slice;
            let loss_part = move || {
                (
                    kl_general(&model, &star, &rule),
                    gradient(&model, &slice, &star, &rule),
                )
            };
            (f, Box::new(loss_part) as Box<dyn Fn() -> (f64, [f64; 2])>)
        }
    };
    let finite = |v: f64| {
        if v.is_finite() {
            HeatValue::Finite(v)
        } else {
            HeatValue::Undefined("not finite")
        }
    };
    match heatmap {
        Heatmap::None => HeatValue::Undefined("no heatmap"),
        // Its own f64 path (`ef_gap`), taken before F is formed here.
        Heatmap::EfGap | Heatmap::SpectralRadius | Heatmap::ControlEnergy => {
            HeatValue::Undefined("not a value of F and ∇L")
        }
        Heatmap::Log10Kappa => f
            .eigen()
            .condition()
            .map_or(HeatValue::Infinite, |k| finite(k.max(1.0))),
        Heatmap::Jeffreys => {
            let e = f.eigen();
            finite((e.lambda_max * e.lambda_min).max(0.0).sqrt())
        }
        Heatmap::Loss => finite(loss_part().0.max(0.0)),
        Heatmap::Angle | Heatmap::NatgradNorm => {
            let grad = loss_part().1;
            let Some(n) = natural_gradient(&f, scene.damping, grad) else {
                return HeatValue::Undefined("F + λI singular: no natural gradient");
            };
            if heatmap == Heatmap::Angle {
                angle_deg(grad, n).map_or(HeatValue::Undefined("zero gradient"), finite)
            } else {
                finite(fisher_norm(&f, n))
            }
        }
    }
}

/// ‖EF − F‖_F / ‖F‖_F at slice point `xy`: F the slice block of the scene's metric (what the
/// ellipses draw), EF the slice block of E_{p*}[s sᵀ] (what the EF glyphs draw). The Frobenius
/// norm is the same in any orthonormal basis, so the seed kernel's standard-basis cells agree.
fn ef_gap(scene: &Scene, xy: [f64; 2], rule: &QuadratureRule) -> HeatValue {
    let model = scene.model_at(xy);
    if model.validate_for(&scene.slice).is_err() {
        return HeatValue::Undefined("outside the model");
    }
    let Ok(f) = fisher_metric(&model, &scene.slice, scene.metric, rule) else {
        return HeatValue::Undefined("no metric here");
    };
    let ef = slice_block(
        &empirical_fisher_full(&model, &scene.model, rule),
        &scene.slice,
    );
    let frobenius = |m: &Sym2<f64>| (m.xx * m.xx + 2.0 * m.xy * m.xy + m.yy * m.yy).sqrt();
    let gap = Sym2::new(ef.xx - f.xx, ef.xy - f.xy, ef.yy - f.yy);
    let norm = frobenius(&f);
    if norm > 0.0 && norm.is_finite() {
        HeatValue::Finite(frobenius(&gap) / norm)
    } else {
        HeatValue::Undefined("F = 0")
    }
}

/// √(nᵀFn).
fn fisher_norm(f: &Sym2<f64>, n: [f64; 2]) -> f64 {
    let fx = f.xx * n[0] + f.xy * n[1];
    let fy = f.xy * n[0] + f.yy * n[1];
    (n[0] * fx + n[1] * fy).max(0.0).sqrt()
}

/// The colour scale of `heatmap` for `scene` seen on a canvas of `size_px` (see the module
/// docs); None for [`Heatmap::None`].
pub fn scene_scale(scene: &Scene, heatmap: Heatmap, size_px: [f32; 2]) -> Option<HeatScale> {
    match heatmap {
        Heatmap::None => None,
        Heatmap::Log10Kappa => Some(HeatScale {
            lo: 0.0,
            hi: LOG_KAPPA_TOP,
            log: true,
        }),
        Heatmap::Angle => Some(HeatScale {
            lo: 0.0,
            hi: 90.0,
            log: false,
        }),
        // Linear up to 1 (the edges), from the smallest ρ in view rounded down to a twentieth:
        // the stable gains that matter have ρ close to 1 (0.88–1 on the pendulum's view), which
        // a scale from 0 would paint in one colour.
        Heatmap::SpectralRadius => {
            let (lo, hi) = scene.camera.visible_rect(size_px);
            const N: usize = 7;
            let least = (0..N * N)
                .filter_map(|n| {
                    let f = |k: usize| (k as f64 + 0.5) / N as f64;
                    let xy = [
                        lo[0] + (hi[0] - lo[0]) * f(n % N),
                        lo[1] + (hi[1] - lo[1]) * f(n / N),
                    ];
                    match value_at(scene, heatmap, xy, RANGE_NODES) {
                        HeatValue::Finite(v) => Some(v),
                        _ => None,
                    }
                })
                .fold(1.0f64, f64::min);
            Some(HeatScale {
                lo: ((least * 20.0).floor() / 20.0).clamp(0.0, 0.95),
                hi: 1.0,
                log: false,
            })
        }
        _ => {
            let (lo, hi) = scene.camera.visible_rect(size_px);
            const N: usize = 5;
            let mut logs = Vec::with_capacity(N * N);
            for i in 0..N {
                for j in 0..N {
                    let f = |k: usize| (k as f64 + 0.5) / N as f64;
                    let xy = [
                        lo[0] + (hi[0] - lo[0]) * f(i),
                        lo[1] + (hi[1] - lo[1]) * f(j),
                    ];
                    // The scale only needs decades: a cheap rule is plenty.
                    if let HeatValue::Finite(v) = value_at(scene, heatmap, xy, RANGE_NODES)
                        && v > 0.0
                    {
                        logs.push(v.log10());
                    }
                }
            }
            let max = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let min = logs.iter().copied().fold(f64::INFINITY, f64::min);
            if !max.is_finite() {
                // Nothing defined in view: any scale will do, nothing will be coloured.
                return Some(HeatScale {
                    lo: -1.0,
                    hi: 0.0,
                    log: true,
                });
            }
            let hi = max.ceil();
            // L falls to 0 at θ*, which the lattice rarely comes near: show at least
            // MIN_LOSS_DECADES below the top, so the basin around θ* keeps its contours.
            let least = if heatmap == Heatmap::Loss {
                MIN_LOSS_DECADES
            } else {
                1.0
            };
            let lo = min.floor().max(hi - MAX_DECADES).min(hi - least);
            Some(HeatScale { lo, hi, log: true })
        }
    }
}

/// The gap-quad pipeline (`vs_cells`/`fs_cells` of `heatmap.wgsl`): [`QuadPipeline`]'s
/// triangle strips and premultiplied blending, with the other entry points and no vertex
/// buffer (the instance index names the gap).
fn cells_pipeline(
    device: &wgpu::Device,
    layout: &wgpu::BindGroupLayout,
    format: wgpu::TextureFormat,
) -> wgpu::RenderPipeline {
    let module = crate::gpu::shader::create_module(device, "heatmap.wgsl");
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("heatmap cells"),
        bind_group_layouts: &[Some(layout)],
        ..Default::default()
    });
    device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some("heatmap cells"),
        layout: Some(&pipeline_layout),
        vertex: wgpu::VertexState {
            module: &module,
            entry_point: Some("vs_cells"),
            compilation_options: Default::default(),
            buffers: &[],
        },
        primitive: wgpu::PrimitiveState {
            topology: wgpu::PrimitiveTopology::TriangleList,
            ..Default::default()
        },
        depth_stencil: None,
        multisample: wgpu::MultisampleState::default(),
        fragment: Some(wgpu::FragmentState {
            module: &module,
            entry_point: Some("fs_cells"),
            compilation_options: Default::default(),
            targets: &[Some(wgpu::ColorTargetState {
                format,
                blend: Some(wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING),
                write_mask: wgpu::ColorWrites::ALL,
            })],
        }),
        multiview_mask: None,
        cache: None,
    })
}

/// Quadrature nodes of the scale's samples.
const RANGE_NODES: u32 = 32;

/// Everything [`scene_scale`] reads: the scale is recomputed only when this changes.
#[derive(Clone, Debug, PartialEq)]
struct ScaleKey {
    heatmap: Heatmap,
    model: crate::math::Model,
    slice: crate::math::Slice,
    metric: Metric,
    damping: f64,
    camera: Camera,
    size_px: [f32; 2],
}

/// How this frame's map is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DrawPath {
    /// Nothing to draw (no heatmap, or no field for this frame's grid).
    Off,
    /// One quad per block of gaps between cell centres, this many blocks.
    Cells(u32),
    /// One full-canvas quad evaluating four cells per pixel.
    Pixels,
}

/// The heatmap pipelines, their bindings and the current scale.
pub struct HeatmapLayer {
    /// Full-canvas quad, four cells per pixel (dense grids).
    pipeline: wgpu::RenderPipeline,
    /// A quad per cell gap, four cells per vertex.
    cells_pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    view_buffer: wgpu::Buffer,
    params: wgpu::Buffer,
    /// The field buffer the bind group was made for, and the group.
    bound: Option<(wgpu::Buffer, wgpu::BindGroup)>,
    /// The scale and what it was computed for.
    scale: Option<(ScaleKey, HeatScale)>,
    /// This frame's path (drawn only when the field matches this frame's grid).
    path: DrawPath,
    /// The map is drawn into the renderer's backdrop, again only when this changes (drawing
    /// it costs ~35 ms a frame at grid 128 on llvmpipe, copying the backdrop well under one).
    version: BackdropVersion<HeatKey>,
}

/// Everything the drawn map depends on: while it stays the same the backdrop is reused.
#[derive(Clone, Copy, Debug, PartialEq)]
struct HeatKey {
    params: HeatmapParams,
    path: DrawPath,
    /// The field's cells, the target's half included.
    field_generation: u64,
    camera: Camera,
    layout: crate::simulation::GridLayout,
    size_px: [u32; 2],
    px_per_point: f32,
}

impl HeatmapLayer {
    /// Builds the pipeline; `view_buffer` is the shared view parameters.
    pub fn new(setup: &LayerSetup<'_>) -> Self {
        let (device, view_buffer) = (setup.device, setup.view_buffer);
        // Both draw into the backdrop, in the canvas's format (the same blending as on it).
        let format = setup.format;
        // The gap quads' vertices read it, the per-pixel path's fragments.
        let layout =
            view_params_records_layout(device, "heatmap", wgpu::ShaderStages::VERTEX_FRAGMENT);
        let pipeline = QuadPipeline::without_instances(device, "heatmap.wgsl", &layout, format);
        let cells_pipeline = cells_pipeline(device, &layout, format);
        Self {
            pipeline,
            cells_pipeline,
            layout,
            view_buffer: view_buffer.clone(),
            params: new_params_buffer(device, "heatmap params", &HeatmapParams::default()),
            bound: None,
            scale: None,
            path: DrawPath::Off,
            version: BackdropVersion::default(),
        }
    }

    /// The scale drawn last (None before the first frame with a heatmap).
    pub fn scale(&self) -> Option<HeatScale> {
        self.scale.as_ref().map(|(_, s)| *s)
    }

    fn update_scale(&mut self, scene: &Scene, size_px: [f32; 2]) -> Option<HeatScale> {
        let key = ScaleKey {
            heatmap: scene.features.heatmap,
            model: scene.model,
            slice: scene.slice,
            metric: scene.metric,
            damping: scene.damping,
            camera: scene.camera,
            size_px,
        };
        if self.scale.as_ref().is_none_or(|(k, _)| *k != key) {
            let scale = scene_scale(scene, scene.features.heatmap, size_px)?;
            self.scale = Some((key, scale));
        }
        self.scale()
    }
}

impl Layer for HeatmapLayer {
    fn name(&self) -> &'static str {
        "heatmap"
    }

    fn prepare(&mut self, frame: &LayerFrame<'_>) {
        self.path = DrawPath::Off;
        self.version.update(None);
        let scene = frame.scene;
        if scene.features.heatmap == Heatmap::None || !scene.offers(Feature::Heatmap(scene.features.heatmap)) {
            return;
        }
        // Mid-drag the target's half may be current only on the coarse field (see
        // `features::field::stage_drag`), which covers the same region with larger cells.
        let (cells, count, layout) = match frame.sim.coarse_field() {
            Some((cells, count, coarse)) => (cells, count, coarse),
            None => match frame.sim.field() {
                Some((cells, count)) => (cells, count, *frame.layout),
                None => return,
            },
        };
        let layout = &layout;
        // The field is evaluated for this frame's layout before the draw stage; a mismatch
        // (never expected) would index past the grid, so draw nothing then.
        if count != layout.cells() || count == 0 {
            return;
        }
        let Some(scale) = self.update_scale(scene, frame.size_px) else {
            return;
        };
        if self.bound.as_ref().is_none_or(|(b, _)| b != cells) {
            let group = crate::gpu::buffers_bind_group(
                &frame.ctx.device,
                "heatmap",
                &self.layout,
                &[&self.view_buffer, &self.params, cells],
            );
            self.bound = Some((cells.clone(), group));
        }
        let [w, h] = layout.cell_size();
        let params = HeatmapParams {
            shape: [layout.columns, layout.rows],
            kind: kind_code(scene.features.heatmap),
            contours: (scene.features.heatmap == Heatmap::Loss) as u32,
            cell_size: [w as f32, h as f32],
            range: [scale.lo as f32, scale.hi as f32],
            contour_step: CONTOUR_DECADES as f32,
            opacity: OPACITY,
            damping: scene.damping as f32,
            _pad: 0.0,
        };
        let px_per_cell = (h / scene.camera.world_per_pixel(frame.size_px[1])) as f32;
        // Cells are square in pixels (x_per_y stretches the world, not the canvas).
        self.path = if px_per_cell * px_per_cell >= MIN_CELL_AREA_PX {
            // Blocks of CELL_BLOCK × CELL_BLOCK gaps, from the gap before the first centre.
            let blocks = |n: u32| (n + CELL_BLOCK) / CELL_BLOCK;
            DrawPath::Cells(blocks(layout.columns) * blocks(layout.rows))
        } else {
            DrawPath::Pixels
        };
        let size_px = frame.size_px.map(|v| v.round().max(1.0) as u32);
        self.version.update(Some(HeatKey {
            params,
            path: self.path,
            field_generation: frame.sim.field_generation(true),
            camera: scene.camera,
            layout: *layout,
            size_px,
            px_per_point: frame.px_per_point,
        }));
        frame
            .ctx
            .queue
            .write_buffer(&self.params, 0, bytemuck::bytes_of(&params));
    }

    fn placement(&self) -> Placement {
        Placement::Backdrop(self.version.current())
    }

    fn draw(&self, pass: &mut wgpu::RenderPass<'_>, _frame: &LayerFrame<'_>) {
        let Some((_, group)) = &self.bound else {
            return;
        };
        match self.path {
            DrawPath::Off => {}
            DrawPath::Cells(blocks) => {
                pass.set_pipeline(&self.cells_pipeline);
                pass.set_bind_group(0, group, &[]);
                pass.draw(0..6 * blocks, 0..1);
            }
            DrawPath::Pixels => {
                pass.set_pipeline(&self.pipeline);
                pass.set_bind_group(0, group, &[]);
                pass.draw(0..4, 0..1);
            }
        }
    }

    fn legend(&self, scene: &Scene, _info: &FrameInfo) -> Option<Legend> {
        if scene.features.heatmap == Heatmap::None || !scene.offers(Feature::Heatmap(scene.features.heatmap)) {
            return None;
        }
        let scale = self
            .scale
            .as_ref()
            .filter(|(k, _)| k.heatmap == scene.features.heatmap)
            .map(|(_, s)| *s)?;
        let (top, note) = match scene.features.heatmap {
            Heatmap::Log10Kappa => ("+, ∞", "κ = λ_max/λ_min, log scale"),
            Heatmap::Jeffreys => ("", "Jeffreys volume element, log scale"),
            Heatmap::Loss => ("", "log scale; contours every half decade"),
            Heatmap::Angle => ("", "0° where ñ ∥ ∇L"),
            Heatmap::NatgradNorm => ("", "√(ñᵀFñ), log scale"),
            Heatmap::EfGap => ("", "Frobenius norms, log scale; 0 at θ*"),
            Heatmap::SpectralRadius => ("", "1 at the triangle's edges: unstable beyond"),
            Heatmap::ControlEnergy => ("", "tr(KᵀK Σ_K), log scale"),
            Heatmap::None => ("", ""),
        };
        Some(Legend {
            title: Some(format!(
                "heatmap: {}",
                scene.features.heatmap.label_for(scene.family())
            )),
            items: vec![
                LegendItem::ColorBar {
                    ticks: scale.ticks(top),
                },
                LegendItem::Text(note.to_owned()),
            ],
        })
    }
}

#[cfg(test)]
#[path = "layer_tests.rs"]
mod tests;
