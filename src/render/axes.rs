//! Axis geometry for the canvas: "nice" tick positions and the line segments of the axes,
//! tick grid and the diagonal μ1 = μ2 (drawn by the line pipeline; the labels are drawn by the
//! egui overlay from the same ticks).

use super::colormap::{linear_rgba, palette};
use super::layer::{Layer, LayerFrame, LayerSetup, Placement};
use super::layer_cache::BackdropVersion;
use super::pipeline::InstancedQuads;
use crate::gpu::gpu_data::LineInstance;
use crate::math::Param;
use crate::scene::{Camera, Scene};

/// Whether the slice's diagonal a = b is where F is singular: (μ1, μ2) or (σ1, σ2) with the
/// held parameters making the components interchangeable there (σ1 = σ2, resp. μ1 = μ2).
pub fn diagonal_is_singular(scene: &Scene) -> bool {
    if scene.system.is_some() {
        return false;
    }
    let m = &scene.model;
    let [a, b] = {
        let mut p = scene.slice.params();
        p.sort();
        p
    };
    match (a, b) {
        (Param::Mu1, Param::Mu2) => m.sigma1 == m.sigma2,
        (Param::Sigma1, Param::Sigma2) => m.mu1 == m.mu2,
        _ => false,
    }
}

/// Tick values covering [lo, hi] with a 1-2-5 step giving about `target` ticks.
pub fn ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, f64) {
    let span = (hi - lo).abs().max(1e-12);
    let raw = span / target.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    ((first..=last).map(|i| i as f64 * step).collect(), step)
}

/// The axes, the tick grid and (`diagonal`) the dashed diagonal for the visible rectangle of
/// `camera`, as display offsets from its centre (formed in f64, so deep zooms stay exact).
pub fn axis_lines(
    lo: [f64; 2],
    hi: [f64; 2],
    camera: &Camera,
    px_per_point: f32,
    diagonal: bool,
) -> Vec<LineInstance> {
    let mut out = Vec::new();
    let tick_line = linear_rgba(palette::TICK_LINE, 1.0);
    let axis = linear_rgba(palette::AXIS, 0.9);
    let width = px_per_point;
    let seg = |a: [f64; 2], b: [f64; 2], color, w: f32, dash: f32| LineInstance {
        start: super::display_offset(camera, a),
        end: super::display_offset(camera, b),
        color,
        style: [w, dash],
    };
    for (axis_index, count) in [(0usize, 8usize), (1, 8)] {
        let (values, _) = ticks(lo[axis_index], hi[axis_index], count);
        for v in values {
            let (a, b) = if axis_index == 0 {
                ([v, lo[1]], [v, hi[1]])
            } else {
                ([lo[0], v], [hi[0], v])
            };
            out.push(seg(a, b, tick_line, width, 0.0));
        }
    }
    // The coordinate axes μ1 = 0 and μ2 = 0 where visible.
    if lo[0] < 0.0 && hi[0] > 0.0 {
        out.push(seg([0.0, lo[1]], [0.0, hi[1]], axis, 1.5 * width, 0.0));
    }
    if lo[1] < 0.0 && hi[1] > 0.0 {
        out.push(seg([lo[0], 0.0], [hi[0], 0.0], axis, 1.5 * width, 0.0));
    }
    if !diagonal {
        return out;
    }
    // The diagonal, where F is singular: dashed, across the whole view.
    let d_lo = lo[0].min(lo[1]);
    let d_hi = hi[0].max(hi[1]);
    out.push(seg(
        [d_lo, d_lo],
        [d_hi, d_hi],
        linear_rgba(palette::DIAGONAL, 0.85),
        2.0 * width,
        12.0 * px_per_point,
    ));
    out
}

/// The axes layer: tick grid, coordinate axes and the dashed diagonal, drawn with the line
/// pipeline (`lines.wgsl`); the tick labels are the overlay's.
pub struct AxesLayer {
    quads: InstancedQuads,
    /// A backdrop layer: the lines change only with the view, so a frame copies them with the
    /// backdrop instead of drawing them again.
    version: BackdropVersion<Vec<LineInstance>>,
}

impl AxesLayer {
    /// Builds the line pipeline for targets of `format`.
    pub fn new(setup: &LayerSetup<'_>) -> Self {
        Self {
            quads: super::lines::line_renderer(setup),
            version: BackdropVersion::default(),
        }
    }
}

impl Layer for AxesLayer {
    fn name(&self) -> &'static str {
        "axes"
    }

    fn prepare(&mut self, frame: &LayerFrame<'_>) {
        let camera = &frame.scene.camera;
        let (lo, hi) = camera.visible_rect(frame.size_px);
        let lines = if frame.scene.layers.axes {
            axis_lines(
                lo,
                hi,
                camera,
                frame.px_per_point,
                diagonal_is_singular(frame.scene),
            )
        } else {
            Vec::new()
        };
        if self
            .version
            .update((!lines.is_empty()).then(|| lines.clone()))
        {
            self.quads
                .prepare(&frame.ctx.device, &frame.ctx.queue, &lines);
        }
    }

    fn placement(&self) -> Placement {
        Placement::Backdrop(self.version.current())
    }

    fn draw(&self, pass: &mut wgpu::RenderPass<'_>, _frame: &LayerFrame<'_>) {
        self.quads.draw(pass);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_nice_and_inside() {
        let (t, step) = ticks(-4.2, 4.2, 10);
        assert_eq!(step, 1.0);
        assert_eq!(t.first(), Some(&-4.0));
        assert_eq!(t.last(), Some(&4.0));
        let (_, step) = ticks(0.0, 0.013, 5);
        assert!((step - 0.005).abs() < 1e-15 || (step - 0.002).abs() < 1e-15);
    }
}
