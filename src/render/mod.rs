//! The scene renderer: draws a [`Scene`] into any colour target (a texture for the viewer's
//! canvas, the offscreen target of captures and tests) with our own pipelines.
//!
//! How it works, per frame ([`SceneRenderer::render`]):
//! 1. derive the field grid from the camera (square cells, origin snapped to multiples of the
//!    cell size so panning does not shimmer) and, only when σ, target, damping, nodes or the
//!    grid changed, dispatch `fim_field.wgsl` over it; likewise a one-point dispatch for the
//!    probe;
//! 2. write the small per-frame uniforms and instance lists (view, ellipse level, axes,
//!    markers);
//! 3. one render pass: clear, tick grid and axes, ellipses (instanced straight from the field
//!    buffer), handles, probe arrows (read straight from the probe buffer).
//!
//! Nothing is read back from the GPU. Text (tick labels, legends, the angle) is the egui
//! overlay's job; see `viewer::overlay`.

pub mod arrows;
pub mod axes;
pub mod colormap;
pub mod ellipses;
pub mod lines;
pub mod markers;
pub mod pipeline;
pub mod target;

use crate::compute::fim_field::{FieldData, FieldMode, FimFieldPipeline, grid_params};
use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::gpu_data::{
    ArrowParams, EllipseParams, FieldCell, FieldParams, MarkerInstance, PointInput, ViewUniform,
};
use crate::math::QuadratureRule;
use crate::scene::Scene;
use colormap::{linear_rgba, palette};
use pipeline::{InstancedQuads, uniform_buffer, uniform_entry};

/// The colour format of every target the scene is drawn into (sRGB: shaders output linear).
pub const CANVAS_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8UnormSrgb;

/// The field grid for a camera: square cells of size `cell`, origin snapped to the cell grid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GridLayout {
    /// World position of the grid's lower-left corner.
    pub origin: [f64; 2],
    /// Cell edge length (world units).
    pub cell: f64,
    /// Cells along μ1.
    pub columns: u32,
    /// Cells along μ2.
    pub rows: u32,
}

impl GridLayout {
    /// The grid covering the view of `scene` on a canvas of `size_px`, with `density` cells
    /// across the view height.
    pub fn for_view(scene: &Scene, size_px: [f32; 2], density: u32) -> Self {
        let (lo, hi) = scene.camera.visible_rect(size_px);
        let cell = 2.0 * scene.camera.half_height / density.max(1) as f64;
        let origin = [(lo[0] / cell).floor() * cell, (lo[1] / cell).floor() * cell];
        let columns = ((hi[0] - origin[0]) / cell).ceil().max(1.0) as u32;
        let rows = ((hi[1] - origin[1]) / cell).ceil().max(1.0) as u32;
        Self {
            origin,
            cell,
            columns,
            rows,
        }
    }

    /// Number of cells.
    pub fn cells(&self) -> u32 {
        self.columns * self.rows
    }
}

/// What the renderer did this frame (for the UI and the tests).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FrameInfo {
    /// Cells in the field.
    pub cells: u32,
    /// The grid density actually used (may be below the scene's when the device limits it).
    pub grid: u32,
    /// The largest grid density this device supports at the current aspect.
    pub max_grid: u32,
    /// Whether the field was recomputed this frame.
    pub field_recomputed: bool,
    /// The ellipse level ε.
    pub epsilon: f64,
    /// Cell size (world units).
    pub cell: f64,
}

/// Everything that determines the field buffer's contents.
#[derive(Clone, Copy, Debug, PartialEq)]
struct FieldKey {
    params: FieldParams,
    nodes: u32,
}

/// Pipelines and per-scene GPU data for drawing scenes.
pub struct SceneRenderer {
    format: wgpu::TextureFormat,
    fim: FimFieldPipeline,
    rule: QuadratureRule,
    field: Option<FieldData>,
    field_key: Option<FieldKey>,
    probe: FieldData,
    probe_key: Option<(PointInput, f32, u32)>,
    view_buffer: wgpu::Buffer,
    view_group: wgpu::BindGroup,
    ellipses: ellipses::EllipseRenderer,
    arrows: arrows::ArrowRenderer,
    lines: InstancedQuads,
    markers: InstancedQuads,
}

impl SceneRenderer {
    /// Builds every pipeline for targets of `format`.
    pub fn new(ctx: &GpuContext, format: wgpu::TextureFormat) -> Result<Self, GpuError> {
        let device = &ctx.device;
        let fim = FimFieldPipeline::new(device);
        let rule = QuadratureRule::new(crate::math::quadrature::DEFAULT_NODES_F32)
            .expect("the default node count is valid");
        let probe = FieldData::new(ctx, &fim, 1, &rule)?;
        let view_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("view layout"),
            entries: &[uniform_entry(0)],
        });
        let view_buffer = uniform_buffer(device, "view", &ViewUniform::default());
        let view_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("view bind group"),
            layout: &view_layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: view_buffer.as_entire_binding(),
            }],
        });
        Ok(Self {
            format,
            ellipses: ellipses::EllipseRenderer::new(device, &view_buffer, format),
            arrows: arrows::ArrowRenderer::new(device, &view_buffer, probe.cells_buffer(), format),
            lines: lines::line_renderer(device, &view_layout, format),
            markers: markers::marker_renderer(device, &view_layout, format),
            fim,
            rule,
            field: None,
            field_key: None,
            probe,
            probe_key: None,
            view_buffer,
            view_group,
        })
    }

    /// The target format this renderer was built for.
    pub fn format(&self) -> wgpu::TextureFormat {
        self.format
    }

    /// The field buffer of the last frame (for stages that read it, and for tests).
    pub fn field_buffer(&self) -> Option<&wgpu::Buffer> {
        self.field.as_ref().map(|f| f.cells_buffer())
    }

    /// The largest grid density (cells across the view height) that fits the device at this
    /// canvas aspect.
    pub fn max_grid(&self, device: &wgpu::Device, size_px: [f32; 2]) -> u32 {
        let limits = device.limits();
        let bytes = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size);
        let max_cells = bytes / size_of::<FieldCell>() as u64;
        let aspect = (size_px[0] / size_px[1].max(1.0)).max(1e-3) as f64;
        // cells ≈ (g·aspect + 1)(g + 1); solve for g conservatively.
        let g = ((max_cells as f64 / aspect).sqrt() - 2.0).floor();
        g.clamp(1.0, u32::MAX as f64) as u32
    }

    /// Records this frame: compute dispatches when inputs changed, then the render pass into
    /// `target` (of `size_px` physical pixels).
    pub fn render(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        target: &wgpu::TextureView,
        size_px: [u32; 2],
        px_per_point: f32,
        scene: &Scene,
    ) -> Result<FrameInfo, GpuError> {
        let size = [size_px[0].max(1) as f32, size_px[1].max(1) as f32];
        let max_grid = self.max_grid(&ctx.device, size);
        let grid = scene.grid.min(max_grid);
        let layout = GridLayout::for_view(scene, size, grid);
        let field_recomputed = self.update_field(ctx, encoder, scene, &layout)?;
        self.update_probe(ctx, encoder, scene)?;

        let camera = &scene.camera;
        let world_per_px = camera.world_per_pixel(size[1]);
        let view = ViewUniform {
            center: [camera.center[0] as f32, camera.center[1] as f32],
            ndc_per_world: [
                (2.0 / (size[0] as f64 * world_per_px)) as f32,
                (2.0 / (size[1] as f64 * world_per_px)) as f32,
            ],
            viewport_px: size,
            world_per_px: world_per_px as f32,
            px_per_point,
        };
        ctx.queue
            .write_buffer(&self.view_buffer, 0, bytemuck::bytes_of(&view));
        let epsilon = ellipses::ellipse_epsilon(layout.cell, scene.ellipse_scale, scene.sigma);
        self.ellipses.prepare(
            &ctx.queue,
            &EllipseParams {
                epsilon: epsilon as f32,
                cap: (ellipses::CAP_CELLS * layout.cell) as f32,
                log_kappa_top: ellipses::LOG_KAPPA_TOP,
                opacity: 0.85,
            },
        );
        self.arrows.prepare(
            &ctx.queue,
            &ArrowParams {
                length_px: 90.0 * px_per_point,
                shaft_px: 4.0 * px_per_point,
                head_px: 16.0 * px_per_point,
                _pad: 0.0,
                euclid_color: linear_rgba(palette::EUCLID, 1.0),
                natural_color: linear_rgba(palette::NATURAL, 1.0),
            },
        );
        let (lo, hi) = camera.visible_rect(size);
        let lines = if scene.layers.axes {
            axes::axis_lines(lo, hi, px_per_point)
        } else {
            Vec::new()
        };
        self.lines.prepare(&ctx.device, &ctx.queue, &lines);
        self.markers
            .prepare(&ctx.device, &ctx.queue, &markers_for(scene, px_per_point));

        let background = linear_rgba(palette::BACKGROUND, 1.0);
        // Passes carry labels instead of encoder-level debug groups: Mesa 22.3 lavapipe (what
        // CI runs) crashed in vkCmdBeginDebugUtilsLabelEXT on a group around the field pass.
        {
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("scene"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: target,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color {
                            r: background[0] as f64,
                            g: background[1] as f64,
                            b: background[2] as f64,
                            a: 1.0,
                        }),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                ..Default::default()
            });
            self.lines.draw(&mut pass, &self.view_group);
            if scene.layers.ellipses
                && let Some(field) = &self.field
            {
                self.ellipses
                    .draw(&mut pass, field.cells_buffer(), layout.cells());
            }
            if scene.layers.probe && scene.probe.is_some() {
                self.arrows.draw(&mut pass);
            }
            self.markers.draw(&mut pass, &self.view_group);
        }
        Ok(FrameInfo {
            cells: layout.cells(),
            grid,
            max_grid,
            field_recomputed,
            epsilon,
            cell: layout.cell,
        })
    }

    /// Replaces the node table (and with it the field and probe buffers) when Q changed.
    fn ensure_rule(&mut self, ctx: &GpuContext, nodes: u32) -> Result<(), GpuError> {
        if self.rule.nodes_per_component() == nodes {
            return Ok(());
        }
        self.rule =
            QuadratureRule::new(nodes).map_err(|e| GpuError::InvalidInput(e.to_string()))?;
        self.field = None;
        self.field_key = None;
        self.probe = FieldData::new(ctx, &self.fim, 1, &self.rule)?;
        self.probe_key = None;
        self.arrows
            .rebind(&ctx.device, &self.view_buffer, self.probe.cells_buffer());
        Ok(())
    }

    fn update_field(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
        layout: &GridLayout,
    ) -> Result<bool, GpuError> {
        self.ensure_rule(ctx, scene.nodes)?;
        let params = grid_params(
            [layout.origin[0] as f32, layout.origin[1] as f32],
            [
                (layout.origin[0] + layout.columns as f64 * layout.cell) as f32,
                (layout.origin[1] + layout.rows as f64 * layout.cell) as f32,
            ],
            layout.columns,
            layout.rows,
            scene.sigma as f32,
            [scene.target[0] as f32, scene.target[1] as f32],
            scene.damping as f32,
        );
        let key = FieldKey {
            params,
            nodes: scene.nodes,
        };
        if self.field_key == Some(key) {
            return Ok(false);
        }
        let cells = layout.cells();
        if self.field.as_ref().is_none_or(|f| f.capacity() < cells) {
            // Grow with headroom so panning (which changes the count by a row or column)
            // does not reallocate every frame.
            let capacity = cells.saturating_add(cells / 4).max(1024);
            let capacity = capacity.min(cells.max(self.max_cells(&ctx.device)));
            self.field = Some(FieldData::new(ctx, &self.fim, capacity, &self.rule)?);
        }
        let field = self.field.as_ref().expect("allocated just above");
        field.encode(
            &ctx.queue,
            encoder,
            &self.fim,
            FieldMode::Grid,
            &params,
            None,
        );
        self.field_key = Some(key);
        Ok(true)
    }

    fn max_cells(&self, device: &wgpu::Device) -> u32 {
        let limits = device.limits();
        let bytes = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size);
        (bytes / size_of::<FieldCell>() as u64).min(u32::MAX as u64) as u32
    }

    fn update_probe(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
    ) -> Result<(), GpuError> {
        let Some(probe) = scene.probe else {
            return Ok(());
        };
        let input = PointInput {
            theta: [probe[0] as f32, probe[1] as f32],
            target: [scene.target[0] as f32, scene.target[1] as f32],
            sigma: scene.sigma as f32,
            has_target: 1,
            _pad: [0; 2],
        };
        let key = (input, scene.damping as f32, scene.nodes);
        if self.probe_key == Some(key) {
            return Ok(());
        }
        self.probe.upload_points(&ctx.queue, &[input]);
        let params = FieldParams {
            damping: scene.damping as f32,
            cell_count: 1,
            grid: [1, 1],
            ..Default::default()
        };
        self.probe.encode(
            &ctx.queue,
            encoder,
            &self.fim,
            FieldMode::Points,
            &params,
            None,
        );
        self.probe_key = Some(key);
        Ok(())
    }
}

/// Marker radius of the handles in logical points (also the UI's pick radius).
pub const HANDLE_RADIUS_PT: f32 = 7.0;

fn markers_for(scene: &Scene, px_per_point: f32) -> Vec<MarkerInstance> {
    let mut out = Vec::new();
    let at = |p: [f64; 2]| [p[0] as f32, p[1] as f32];
    if scene.layers.handles {
        let r = HANDLE_RADIUS_PT * px_per_point;
        out.push(MarkerInstance {
            center: at(scene.twin()),
            size: [r, 2.5 * px_per_point],
            fill: linear_rgba(palette::TWIN, 0.25),
            ring: linear_rgba(palette::TWIN, 1.0),
        });
        out.push(MarkerInstance {
            center: at(scene.target),
            size: [r, 2.5 * px_per_point],
            fill: linear_rgba(palette::TARGET, 0.9),
            ring: linear_rgba(0x000000, 1.0),
        });
    }
    if let (true, Some(p)) = (scene.layers.probe, scene.probe) {
        out.push(MarkerInstance {
            center: at(p),
            size: [4.0 * px_per_point, 1.5 * px_per_point],
            fill: linear_rgba(0xffffff, 1.0),
            ring: linear_rgba(0x000000, 1.0),
        });
    }
    out
}
