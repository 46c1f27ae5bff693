//! The Cramér–Rao layer: the ellipses δᵀFδ = χ²₂(p)/N about θ* and about its twin, F the
//! scene's metric on the slice at each (induced or profiled), in f64 on the CPU.
//!
//! How: the two metrics are evaluated when the model, slice or metric changes (a point's F by
//! quadrature, well under a millisecond each), and each frame turns them into polylines in
//! display units through the shared line pipeline (the estimates' ellipse code). Where F is
//! singular along a direction — the seed's diagonal, where the twins meet — the region is
//! unbounded along it: that semi-axis is capped at a few view heights and the ellipse dashed.
//! Where the profiled metric is undefined, nothing is drawn and the legend says so.

use super::settings::CramerRao;
use crate::features::estimates::layer::{estimate_ellipse, semi_axes as estimates_semi_axes};
use crate::gpu::gpu_data::LineInstance;
use crate::math::general::{DEFAULT_NODES_GENERAL, fisher_metric};
use crate::math::{Metric, Model, QuadratureRule, Slice, Sym2};
use crate::render::FrameInfo;
use crate::render::colormap::linear_rgba;
use crate::render::layer::{Layer, LayerFrame, LayerSetup, Legend, LegendItem, SwatchShape};
use crate::render::lines::line_renderer;
use crate::render::pipeline::InstancedQuads;
use crate::scene::Scene;

/// sRGB colour of the region's outline: pale yellow, apart from the estimates' and the flows'.
pub const COLOR: u32 = 0xfff1a8;
/// Longest drawn semi-axis, in view heights (a singular direction's is infinite).
pub const CAP_VIEW_HEIGHTS: f64 = 2.0;

/// Whether the canvas's family offers the region: the mixture's (the policy plane's target is
/// computed, not estimated from samples).
pub fn offered(scene: &Scene) -> bool {
    scene.system.is_none()
}

/// Whether the scene draws the region: offered and switched on.
pub fn shown(scene: &Scene) -> bool {
    scene.features.cramer_rao.enabled && offered(scene)
}

/// One region's centre (slice coordinates) and the metric there (None: undefined, as the
/// profiled metric where a held parameter is not identifiable).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Region {
    /// θ* or its twin.
    pub center: [f64; 2],
    /// F on the slice at the centre.
    pub metric: Option<Sym2<f64>>,
}

/// The regions' centres and metrics for `scene`: θ* first, then its twin where it has one.
pub fn regions(scene: &Scene) -> Vec<Region> {
    let rule = QuadratureRule::new(DEFAULT_NODES_GENERAL).expect("the default node count");
    std::iter::once(scene.target())
        .chain(scene.twin())
        .map(|center| Region {
            center,
            metric: fisher_metric(&scene.model_at(center), &scene.slice, scene.metric, &rule).ok(),
        })
        .collect()
}

/// What the regions' metrics depend on.
type RegionKey = (Model, Slice, Metric);

/// The Cramér–Rao layer.
pub struct CramerRaoLayer {
    quads: InstancedQuads,
    /// The regions of the last key they were computed for.
    regions: Option<(RegionKey, Vec<Region>)>,
    /// Whether a semi-axis was capped in the last frame drawn.
    capped: bool,
}

impl CramerRaoLayer {
    /// Builds the line pipeline for targets of `format`.
    pub fn new(setup: &LayerSetup<'_>) -> Self {
        Self {
            quads: line_renderer(setup),
            regions: None,
            capped: false,
        }
    }

    /// The regions drawn in the last frame (None while the layer is off).
    pub fn shown(&self) -> Option<&[Region]> {
        self.regions.as_ref().map(|(_, r)| r.as_slice())
    }
}

/// The line instances of the regions, and whether any semi-axis was capped.
pub fn instances(
    scene: &Scene,
    settings: &CramerRao,
    regions: &[Region],
    px_per_point: f32,
) -> (Vec<LineInstance>, bool) {
    let camera = &scene.camera;
    let r = settings.radius_squared().sqrt();
    let cap = CAP_VIEW_HEIGHTS * 2.0 * camera.half_height;
    let mut out = Vec::new();
    let mut capped = false;
    for region in regions {
        let Some(f) = region.metric else { continue };
        let before = out.len();
        estimate_ellipse(
            camera,
            region.center,
            &f,
            r,
            cap,
            linear_rgba(COLOR, 0.95),
            2.0 * px_per_point,
            &mut out,
        );
        capped |= out[before..].iter().any(|l| l.style[1] > 0.0);
    }
    (out, capped)
}

impl Layer for CramerRaoLayer {
    fn name(&self) -> &'static str {
        "cramer-rao"
    }

    fn prepare(&mut self, frame: &LayerFrame<'_>) {
        let scene = frame.scene;
        if !shown(scene) {
            self.regions = None;
            self.capped = false;
            self.quads
                .prepare::<LineInstance>(&frame.ctx.device, &frame.ctx.queue, &[]);
            return;
        }
        let key = (scene.model, scene.slice, scene.metric);
        if self.regions.as_ref().is_none_or(|(k, _)| *k != key) {
            self.regions = Some((key, regions(scene)));
        }
        let (_, regions) = self.regions.as_ref().expect("computed just above");
        let (lines, capped) = instances(scene, &scene.features.cramer_rao, regions, frame.px_per_point);
        self.capped = capped;
        self.quads
            .prepare(&frame.ctx.device, &frame.ctx.queue, &lines);
    }

    fn draw(&self, pass: &mut wgpu::RenderPass<'_>, _frame: &LayerFrame<'_>) {
        if self.regions.is_some() {
            self.quads.draw(pass);
        }
    }

    fn legend(&self, scene: &Scene, _info: &FrameInfo) -> Option<Legend> {
        if !shown(scene) {
            return None;
        }
        let c = &scene.features.cramer_rao;
        let mut items = vec![
            LegendItem::Swatch {
                color: COLOR,
                shape: SwatchShape::Outline,
                label: format!("N = {} samples, p = {}", c.samples, percent(c.level)),
            },
            LegendItem::Text(format!("χ²₂(p)/N = {:.3e}", c.radius_squared())),
            LegendItem::Text(
                match scene.metric {
                    Metric::Induced => "F_ss: the held three known",
                    Metric::Profiled => "profiled: the held three estimated",
                }
                .into(),
            ),
        ];
        // θ*'s semi-axes in slice units (the region's size, whatever the view's aspect).
        if let Some(f) = self.shown().and_then(|r| r.first()).and_then(|r| r.metric) {
            let [short, long] = semi_axes(&f, c.radius_squared());
            items.push(LegendItem::Text(format!(
                "semi-axes at θ*: {} and {}",
                length(short),
                length(long)
            )));
        }
        let undefined = self
            .shown()
            .is_some_and(|r| r.iter().any(|r| r.metric.is_none()));
        if undefined {
            items.push(LegendItem::Text("profiled F undefined here".into()));
        }
        if self.capped {
            items.push(LegendItem::Text("dashed: unbounded (F singular)".into()));
        }
        Some(Legend {
            title: Some("Cramér–Rao: δᵀFδ ≤ χ²₂(p)/N".into()),
            items,
        })
    }
}

/// The semi-axes [short, long] of δᵀFδ = r², r/√λ along each eigenvector of F (∞ along a
/// direction F does not see): the estimates' semi-axes, uncapped.
pub fn semi_axes(f: &Sym2<f64>, radius_squared: f64) -> [f64; 2] {
    estimates_semi_axes(f, radius_squared.sqrt(), f64::INFINITY).0
}

/// A semi-axis for the legend: three significant digits, or ∞.
fn length(a: f64) -> String {
    if a.is_finite() {
        format!("{a:.3}")
    } else {
        "∞".into()
    }
}

/// p as a percentage without trailing zeros (95%, 99.9%).
fn percent(p: f64) -> String {
    let s = format!("{:.1}", 100.0 * p);
    format!("{}%", s.trim_end_matches(".0"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{Preset, SceneEdit};

    /// The semi-axes of δᵀFδ = r² against F's eigenvalues: r/√λ along each eigenvector. The
    /// seed's default scene, N = 100 at p = 0.95.
    #[test]
    fn the_regions_semi_axes_are_r_over_root_lambda() {
        let mut scene = Scene::default();
        scene.apply(SceneEdit::feature(CramerRao {
            enabled: true,
            ..Default::default()
        }));
        assert!(shown(&scene));
        let both = regions(&scene);
        assert_eq!(both.len(), 2, "θ* and its twin");
        let f = both[0].metric.expect("F at θ*");
        let e = f.eigen();
        let r = scene.features.cramer_rao.radius_squared().sqrt();
        let (lines, capped) = instances(&scene, &scene.features.cramer_rao, &both[..1], 1.0);
        assert!(!capped && !lines.is_empty());
        // The polyline's farthest point from θ* (display units = world on a square camera).
        let c = crate::render::display_offset(&scene.camera, both[0].center);
        let far = lines
            .iter()
            .map(|l| ((l.start[0] - c[0]) as f64).hypot((l.start[1] - c[1]) as f64))
            .fold(0.0, f64::max);
        let s = scene.camera.x_per_y;
        assert!((s - 1.0).abs() < 1e-12, "the default camera is square");
        let long = r / e.lambda_min.sqrt();
        assert!((far - long).abs() < 1e-4 * long, "{far} vs {long}");
        // Control: four times the samples halve it.
        let quarter = CramerRao {
            samples: 400,
            ..scene.features.cramer_rao
        };
        let (lines, _) = instances(&scene, &quarter, &both[..1], 1.0);
        let far4 = lines
            .iter()
            .map(|l| ((l.start[0] - c[0]) as f64).hypot((l.start[1] - c[1]) as f64))
            .fold(0.0, f64::max);
        assert!((far / far4 - 2.0).abs() < 1e-3, "{far} / {far4}");
    }

    /// Where the twins meet (the seed's diagonal) F is singular: the region is capped and
    /// dashed, never NaN; the profiled metric's region is the larger one.
    #[test]
    fn a_singular_f_gives_a_dashed_capped_region_and_profiling_widens_it() {
        let mut scene = Scene::default();
        scene.apply(SceneEdit::feature(CramerRao {
            enabled: true,
            ..Default::default()
        }));
        scene.apply(SceneEdit::SetTarget([0.5, 0.5]));
        let at_diagonal = regions(&scene);
        let (lines, capped) = instances(&scene, &scene.features.cramer_rao, &at_diagonal, 1.0);
        assert!(capped, "F is singular on the diagonal");
        assert!(
            lines
                .iter()
                .all(|l| l.start.iter().chain(&l.end).all(|v| v.is_finite()))
        );
        // On (π, μ1) the held μ2, σ1, σ2 are entangled with the slice: profiling them loses
        // information, so the profiled region contains the induced one (det F smaller).
        let mut scene = Scene::default();
        scene.apply(SceneEdit::ApplyPreset(Preset::WeightSingularity));
        let induced = regions(&scene)[0].metric.unwrap();
        scene.apply(SceneEdit::SetMetric(Metric::Profiled));
        let profiled = regions(&scene)[0].metric.unwrap();
        assert!(
            profiled.det() < induced.det(),
            "{profiled:?} vs {induced:?}"
        );
        // The README's figures: semi-axes 0.126 and 0.765 (profiled), 0.101 and 0.288
        // (induced) at N = 200, p = 95%.
        let r2 = CramerRao {
            samples: 200,
            ..Default::default()
        }
        .radius_squared();
        let [a, b] = semi_axes(&profiled, r2);
        assert!(
            (a - 0.1258).abs() < 1e-3 && (b - 0.7645).abs() < 1e-3,
            "{a} {b}"
        );
        let [a, b] = semi_axes(&induced, r2);
        assert!(
            (a - 0.1010).abs() < 1e-3 && (b - 0.2877).abs() < 1e-3,
            "{a} {b}"
        );
        assert_eq!(semi_axes(&Sym2::new(1.0, 1.0, 1.0), r2)[1], f64::INFINITY);
        // Control: the induced metric is not the profiled one here.
        assert!((induced.xx - profiled.xx).abs() > 1e-9 * induced.xx.abs());
    }
}
