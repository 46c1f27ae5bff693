//! The convergence-map layer (`shaders/convergence_draw.wgsl`): draws the simulation's
//! convergence map (`compute::convergence`) straight from its state buffer, in the
//! heatmap's slot (right after it, opaque over the lattice, so it replaces it while enabled).
//! Converged cells take the shared colour map on a log scale of steps; capped, left and
//! breakdown cells neutral greys; running cells dark hatching. In the split view gd fills the
//! left half of the canvas and ngd the right half, over the same view, each half labelled.

use crate::gpu::convergence_data::Status;
use crate::render::FrameInfo;
use crate::render::layer::{
    CanvasLabel, Layer, LayerFrame, LayerSetup, Legend, LegendItem, Placement, SwatchShape,
};
use crate::render::layer_cache::BackdropVersion;
use crate::render::pipeline::{QuadPipeline, new_params_buffer, view_params_records_layout};
use crate::scene::{ConvergenceView, Scene};

/// Must match `ConvergenceDrawParams` in `shaders/convergence_draw.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct ConvergenceDrawParams {
    /// The lattice origin minus the view centre (world units, formed in f64).
    pub origin: [f32; 2],
    /// A lattice cell's size (world units).
    pub cell_size: [f32; 2],
    /// Columns, rows.
    pub shape: [u32; 2],
    /// Cells of one map.
    pub cell_count: u32,
    /// 1: map 0 on the left half, map 1 on the right.
    pub split: u32,
    /// The step cap (top of the colour scale).
    pub max_steps: f32,
    /// Opacity.
    pub opacity: f32,
    /// Padding.
    pub _pad: [f32; 2],
}

const _: () = assert!(size_of::<ConvergenceDrawParams>() == 48);

/// sRGB hex of the neutral colours (the shader's linear greys 0.3, 0.012, 0.8 encoded).
pub const CAPPED_COLOR: u32 = 0x959595;
/// See [`CAPPED_COLOR`].
pub const LEFT_COLOR: u32 = 0x1b1b1b;
/// See [`CAPPED_COLOR`].
pub const BREAKDOWN_COLOR: u32 = 0xe7e7e7;
/// Label colour on the canvas.
pub const LABEL_COLOR: u32 = 0xffffff;

/// Step counts at even spacing along the log colour bar t = ln(1 + s)/ln(1 + max).
pub fn step_ticks(max_steps: u32) -> Vec<String> {
    let top = (1.0 + max_steps as f64).ln();
    (0..=4)
        .map(|i| {
            let s = ((top * i as f64 / 4.0).exp() - 1.0).round() as u64;
            s.to_string()
        })
        .collect()
}

/// The layer: pipeline, parameters, the bind group of the current map's buffer.
pub struct ConvergenceLayer {
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    view_buffer: wgpu::Buffer,
    params: wgpu::Buffer,
    bound: Option<(wgpu::Buffer, wgpu::BindGroup)>,
    visible: bool,
    /// Where the half labels go (slice coordinates), from the last prepared frame.
    label_spots: Vec<([f64; 2], &'static str)>,
    /// Progress text for the legend.
    progress: Option<String>,
    /// Drawn into the renderer's backdrop, again only when this changes: a finished map
    /// costs a static frame nothing (drawing it ~20 ms at 1400 × 900 on llvmpipe).
    version: BackdropVersion<MapInputs>,
    /// The map's dispatches the backdrop holds (as of the last prepared frame).
    seen_dispatches: u64,
    /// Counts the times the changed cells were not known: each draws the map afresh.
    epoch: u64,
    /// This frame's repaints: the rows of cells dispatched since the last frame, in pixels.
    repaints: Vec<[u32; 4]>,
}

/// What the drawn map depends on, apart from its cells' progress (repainted row by row: a
/// cell's colour changes only when a dispatch advances it, and only to an opaque colour).
#[derive(Clone, Debug, PartialEq)]
struct MapInputs {
    params: ConvergenceDrawParams,
    /// The cells' buffer.
    buffer: wgpu::Buffer,
    /// Bumped when the changed cells are not known (the map is then drawn afresh).
    epoch: u64,
    /// The view parameters' inputs.
    camera: crate::scene::Camera,
    size_px: [f32; 2],
    px_per_point: f32,
}

impl ConvergenceLayer {
    /// Builds the pipeline.
    pub fn new(setup: &LayerSetup<'_>) -> Self {
        let (device, view_buffer, format) = (setup.device, setup.view_buffer, setup.format);
        let layout =
            view_params_records_layout(device, "convergence draw", wgpu::ShaderStages::FRAGMENT);
        let pipeline =
            QuadPipeline::without_instances(device, "convergence_draw.wgsl", &layout, format);
        Self {
            pipeline,
            layout,
            view_buffer: view_buffer.clone(),
            params: new_params_buffer(
                device,
                "convergence draw params",
                &ConvergenceDrawParams::default(),
            ),
            bound: None,
            visible: false,
            label_spots: Vec::new(),
            progress: None,
            version: BackdropVersion::default(),
            seen_dispatches: 0,
            epoch: 0,
            repaints: Vec::new(),
        }
    }
}

impl Layer for ConvergenceLayer {
    fn name(&self) -> &'static str {
        "convergence"
    }

    fn prepare(&mut self, frame: &LayerFrame<'_>) {
        self.visible = false;
        self.version.update(None);
        self.repaints.clear();
        self.label_spots.clear();
        self.progress = None;
        let scene = frame.scene;
        if !scene.features.convergence.enabled {
            return;
        }
        let Some(map) = frame.sim.convergence_map() else {
            return;
        };
        let spec = map.spec();
        let buffer = map.cells_buffer();
        if self.bound.as_ref().is_none_or(|(b, _)| b != buffer) {
            let group = crate::gpu::buffers_bind_group(
                &frame.ctx.device,
                "convergence draw",
                &self.layout,
                &[&self.view_buffer, &self.params, buffer],
            );
            self.bound = Some((buffer.clone(), group));
        }
        let center = scene.camera.center;
        let n = spec.side as f64;
        let split = spec.maps.len() > 1;
        let params = ConvergenceDrawParams {
            origin: [
                (spec.view_min[0] - center[0]) as f32,
                (spec.view_min[1] - center[1]) as f32,
            ],
            cell_size: [
                ((spec.view_max[0] - spec.view_min[0]) / n) as f32,
                ((spec.view_max[1] - spec.view_min[1]) / n) as f32,
            ],
            shape: [spec.side, spec.side],
            cell_count: spec.cells(),
            split: split as u32,
            max_steps: spec.max_steps as f32,
            opacity: 1.0,
            _pad: [0.0; 2],
        };
        frame
            .ctx
            .queue
            .write_buffer(&self.params, 0, bytemuck::bytes_of(&params));
        self.visible = true;
        let changed = map.changed_since(self.seen_dispatches);
        if changed.is_none() {
            self.epoch += 1;
        }
        let redrawn = self.version.update(Some(MapInputs {
            params,
            buffer: buffer.clone(),
            epoch: self.epoch,
            camera: scene.camera,
            size_px: frame.size_px,
            px_per_point: frame.px_per_point,
        }));
        if !redrawn && let Some(ranges) = changed {
            self.repaints = repaint_rects(spec, &ranges, scene, frame.size_px);
        }
        self.seen_dispatches = map.dispatches();
        // Labels near the top of each half (a little in from the left edge of each).
        let (lo, hi) = scene.camera.visible_rect(frame.size_px);
        let y = hi[1] - 0.06 * (hi[1] - lo[1]);
        let w = hi[0] - lo[0];
        let policy = spec.system.is_some();
        if split {
            self.label_spots
                .push(([lo[0] + 0.02 * w, y], spec.maps[0].0.name_on(policy)));
            self.label_spots
                .push(([lo[0] + 0.52 * w, y], spec.maps[1].0.name_on(policy)));
        } else if let Some((opt, _)) = spec.maps.first() {
            self.label_spots
                .push(([lo[0] + 0.02 * w, y], opt.name_on(policy)));
        }
        let p = map.progress();
        self.progress = Some(if p.done {
            "map complete".to_owned()
        } else {
            format!(
                "computing: {} of {} steps, {} cells running",
                p.steps_done,
                p.max_steps,
                p.running.map_or("?".to_owned(), |r| r.to_string())
            )
        });
    }

    fn draw(&self, pass: &mut wgpu::RenderPass<'_>, _frame: &LayerFrame<'_>) {
        if !self.visible {
            return;
        }
        let Some((_, group)) = &self.bound else {
            return;
        };
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, group, &[]);
        pass.draw(0..4, 0..1);
    }

    fn placement(&self) -> Placement {
        Placement::Backdrop(self.version.current())
    }

    fn backdrop_repaints(&self) -> &[[u32; 4]] {
        &self.repaints
    }

    fn legend(&self, scene: &Scene, _info: &FrameInfo) -> Option<Legend> {
        if !scene.features.convergence.enabled
            || !self.visible
            || !scene.offers(crate::scene::Feature::ConvergenceMap)
        {
            return None;
        }
        let c = &scene.features.convergence;
        let policy = scene.system.is_some();
        let natural = if policy { "npg" } else { "ngd" };
        let which = match c.view {
            ConvergenceView::Gd => "gd".to_owned(),
            ConvergenceView::Ngd => natural.to_owned(),
            ConvergenceView::Split => format!("gd | {natural}"),
        };
        let rule = if policy {
            format!("steps until C ≤ (1 + {:.0e})·C* (log)", c.threshold)
        } else {
            format!("steps until L < {:.0e}·L0 (log)", c.threshold)
        };
        let mut items = vec![
            LegendItem::ColorBar {
                ticks: step_ticks(c.max_steps),
            },
            LegendItem::Text(rule),
        ];
        for (color, status) in [
            (CAPPED_COLOR, Status::Capped),
            (LEFT_COLOR, Status::Left),
            (BREAKDOWN_COLOR, Status::Breakdown),
        ] {
            // On the policy plane leaving the model is a crash: the closed loop went unstable.
            let label = match status {
                Status::Left if policy => "crashed (left the stability triangle)".to_owned(),
                _ => status.describe().to_owned(),
            };
            items.push(LegendItem::Swatch {
                color,
                shape: SwatchShape::Dot,
                label,
            });
        }
        if let Some(p) = &self.progress {
            items.push(LegendItem::Text(p.clone()));
        }
        Some(Legend {
            title: Some(format!("convergence map: {which}")),
            items,
        })
    }

    fn labels(&self, scene: &Scene) -> Vec<CanvasLabel> {
        if !scene.features.convergence.enabled {
            return Vec::new();
        }
        self.label_spots
            .iter()
            .map(|(at, text)| CanvasLabel {
                at: *at,
                text: (*text).to_owned(),
                color: LABEL_COLOR,
            })
            .collect()
    }
}

/// The canvas rectangles (x, y, width, height in physical pixels) that show the cells of
/// `ranges` (first cell, count; the maps end to end): for each map, the rows the range covers,
/// across that map's half of the canvas in the split view (the whole width otherwise), a pixel
/// wider on every side for rounding.
fn repaint_rects(
    spec: &crate::compute::convergence::MapSpec,
    ranges: &[(u32, u32)],
    scene: &Scene,
    size_px: [f32; 2],
) -> Vec<[u32; 4]> {
    let side = spec.side.max(1);
    let per_map = spec.cells().max(1);
    let split = spec.maps.len() > 1;
    let cell_height = (spec.view_max[1] - spec.view_min[1]) / side as f64;
    let mut rects = Vec::new();
    for &(first, count) in ranges {
        if count == 0 {
            continue;
        }
        let last = first + count - 1;
        for map in first / per_map..=last / per_map {
            let lo = first.max(map * per_map) - map * per_map;
            let hi = last.min(map * per_map + per_map - 1) - map * per_map;
            let (row_lo, row_hi) = (lo / side, hi / side);
            let world_lo = spec.view_min[1] + row_lo as f64 * cell_height;
            let world_hi = spec.view_min[1] + (row_hi + 1) as f64 * cell_height;
            // y grows downwards: the higher world row is the smaller pixel row.
            let top = scene.camera.world_to_pixel([0.0, world_hi], size_px)[1];
            let bottom = scene.camera.world_to_pixel([0.0, world_lo], size_px)[1];
            let half = 0.5 * size_px[0];
            let (left, right) = match (split, map) {
                (false, _) => (0.0, size_px[0]),
                (true, 0) => (0.0, half + 2.0),
                (true, _) => (half - 2.0, size_px[0]),
            };
            // Within the backdrop's texture, whose size is the canvas's rounded.
            let clamp_x = |v: f32| v.clamp(0.0, size_px[0].round().max(1.0));
            let clamp_y = |v: f32| v.clamp(0.0, size_px[1].round().max(1.0));
            let (x0, x1) = (clamp_x(left - 1.0).floor(), clamp_x(right + 1.0).ceil());
            let (y0, y1) = (clamp_y(top - 1.0).floor(), clamp_y(bottom + 1.0).ceil());
            if x1 > x0 && y1 > y0 {
                rects.push([x0 as u32, y0 as u32, (x1 - x0) as u32, (y1 - y0) as u32]);
            }
        }
    }
    rects
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_ticks_run_from_zero_to_the_cap() {
        let t = step_ticks(500);
        assert_eq!(t.first().map(String::as_str), Some("0"));
        assert_eq!(t.last().map(String::as_str), Some("500"));
        assert_eq!(t.len(), 5);
    }
}
