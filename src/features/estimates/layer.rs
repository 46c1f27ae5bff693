//! The Fisher-estimate layer: at the probe, the ellipses δᵀMδ = r² of M = F, the population
//! EF, the finite-sample EF_N and the Monte-Carlo Fisher (those the scene toggles), each in its
//! own colour, one common radius r so the shapes compare, with a legend naming each (with N).
//!
//! How: the matrices come from the simulation's estimates job (f64, off the frame loop,
//! `job.rs`); the layer draws them once they are ready for the scene's probe. r is
//! chosen each frame from F in display units so that F's ellipse has a geometric-mean
//! semi-axis of [`F_RADIUS_PT`] points at any zoom; every ellipse is then a CPU polyline (display units,
//! the probe's offset formed in f64) through the shared line pipeline. A semi-axis longer than
//! [`CAP_RADII`] times F's is capped and that ellipse drawn dashed — a singular estimate (EF_N
//! from a couple of samples, anything on the seed's diagonal) is a long dashed ellipse, never
//! NaN.

use crate::features::estimates::job::{EstimateKey, ProbeEstimates};
use crate::gpu::gpu_data::LineInstance;
use crate::math::Sym2;
use crate::render::colormap::linear_rgba;
use crate::render::layer::{Layer, LayerFrame, LayerSetup, Legend, LegendItem, SwatchShape};
use crate::render::lines::JobLines;
use crate::render::{FrameInfo, display_offset};
use crate::scene::{Camera, Scene};

/// sRGB colours of the four estimates: F cyan (as the natural flow), EF orange (as the EF
/// flow), EF_N pink, MC light green.
pub mod colors {
    /// F.
    pub const FISHER: u32 = 0x2ee6f0;
    /// Population EF.
    pub const EMPIRICAL: u32 = 0xff9f1c;
    /// EF_N (samples of p*).
    pub const EMPIRICAL_SAMPLES: u32 = 0xff5fa2;
    /// Monte-Carlo Fisher (samples of p_θ).
    pub const MONTE_CARLO: u32 = 0xb4ff6b;
}

/// F's ellipse's geometric-mean semi-axis, logical points.
pub const F_RADIUS_PT: f64 = 55.0;
/// Largest drawn semi-axis, in multiples of F's geometric-mean semi-axis.
pub const CAP_RADII: f64 = 6.0;
/// Segments per ellipse.
const SEGMENTS: usize = 160;

/// Which of the four estimates (index into [`ESTIMATES`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// F.
    Fisher,
    /// Population EF.
    Empirical,
    /// EF_N.
    EmpiricalSamples,
    /// MC Fisher.
    MonteCarlo,
}

/// The four estimates in drawing order (back to front) with their colours.
pub const ESTIMATES: [(Which, u32); 4] = [
    (Which::Fisher, colors::FISHER),
    (Which::Empirical, colors::EMPIRICAL),
    (Which::EmpiricalSamples, colors::EMPIRICAL_SAMPLES),
    (Which::MonteCarlo, colors::MONTE_CARLO),
];

impl Which {
    /// Whether the scene toggles it on.
    pub fn shown(self, scene: &Scene) -> bool {
        let e = &scene.features.estimates;
        match self {
            Which::Fisher => e.fisher,
            Which::Empirical => e.empirical,
            Which::EmpiricalSamples => e.empirical_samples,
            Which::MonteCarlo => e.monte_carlo,
        }
    }

    /// Its matrix.
    pub fn matrix(self, e: &ProbeEstimates) -> Sym2<f64> {
        match self {
            Which::Fisher => e.fisher,
            Which::Empirical => e.empirical,
            Which::EmpiricalSamples => e.empirical_samples,
            Which::MonteCarlo => e.monte_carlo,
        }
    }

    /// The legend's label (N = the scene's sample count).
    pub fn label(self, samples: u32) -> String {
        match self {
            Which::Fisher => "F (quadrature)".into(),
            Which::Empirical => "EF (population, under p*)".into(),
            Which::EmpiricalSamples => format!("EF_N ({samples} samples of p*)"),
            Which::MonteCarlo => format!("MC Fisher ({samples} of p_θ)"),
        }
    }
}

/// A slice-coordinate matrix in display units (δ_world = S δ_display, S = diag(x_per_y, 1)).
fn display_matrix(camera: &Camera, m: &Sym2<f64>) -> Sym2<f64> {
    let s = camera.x_per_y;
    Sym2::new(m.xx * s * s, m.xy * s, m.yy)
}

/// The common radius r: F's ellipse δᵀFδ = r² gets a geometric-mean semi-axis of `target`
/// display units (falls back to its short semi-axis where F is singular, and to 1 where F is
/// zero or not finite).
pub fn common_radius(fisher_display: &Sym2<f64>, target: f64) -> f64 {
    let e = fisher_display.eigen();
    let r = if e.lambda_min > 0.0 {
        target * (e.lambda_max * e.lambda_min).powf(0.25)
    } else {
        target * e.lambda_max.sqrt()
    };
    if r.is_finite() && r > 0.0 { r } else { target }
}

/// Semi-axes (along q_max, along q_min) of δᵀMδ = r² in display units, each capped at `cap`
/// (λ ≤ 0 or NaN gives the cap), and whether a cap applied.
pub fn semi_axes(m_display: &Sym2<f64>, r: f64, cap: f64) -> ([f64; 2], bool) {
    let e = m_display.eigen();
    let mut capped = false;
    let mut axis = |lambda: f64| {
        let a = r / lambda.sqrt();
        // Written so NaN and infinity take the cap.
        if a <= cap {
            a
        } else {
            capped = true;
            cap
        }
    };
    ([axis(e.lambda_max), axis(e.lambda_min)], capped)
}

/// The ellipse δᵀMδ = r² about `probe` as line instances (display units), dashed when capped.
#[allow(clippy::too_many_arguments)]
pub fn estimate_ellipse(
    camera: &Camera,
    probe: [f64; 2],
    m: &Sym2<f64>,
    r: f64,
    cap: f64,
    color: [f32; 4],
    width_px: f32,
    out: &mut Vec<LineInstance>,
) {
    let md = display_matrix(camera, m);
    let e = md.eigen();
    let ([a, b], capped) = semi_axes(&md, r, cap);
    // A NaN matrix has NaN eigenvectors: nothing to draw rather than NaN vertices.
    let (q1, q2) = (e.q_max, e.q_min);
    if !(q1[0].is_finite() && q1[1].is_finite()) {
        return;
    }
    let center = display_offset(camera, probe);
    let point = |k: usize| {
        let t = std::f64::consts::TAU * k as f64 / SEGMENTS as f64;
        let (s, c) = t.sin_cos();
        [
            center[0] + (a * c * q1[0] + b * s * q2[0]) as f32,
            center[1] + (a * c * q1[1] + b * s * q2[1]) as f32,
        ]
    };
    let style = [width_px, if capped { 8.0 * width_px } else { 0.0 }];
    out.extend((0..SEGMENTS).map(|k| LineInstance {
        start: point(k),
        end: point(k + 1),
        color,
        style,
    }));
}

/// The line instances of every toggled estimate at `e`'s probe.
pub fn instances(
    scene: &Scene,
    e: &ProbeEstimates,
    world_per_px: f64,
    px_per_point: f32,
) -> Vec<LineInstance> {
    let camera = &scene.camera;
    let target = F_RADIUS_PT * px_per_point as f64 * world_per_px;
    let r = common_radius(&display_matrix(camera, &e.fisher), target);
    let mut out = Vec::new();
    for (which, color) in ESTIMATES {
        if which.shown(scene) {
            estimate_ellipse(
                camera,
                e.key.probe,
                &which.matrix(e),
                r,
                CAP_RADII * target,
                linear_rgba(color, 0.95),
                2.0 * px_per_point,
                &mut out,
            );
        }
    }
    out
}

/// The Fisher-estimate layer.
pub struct EstimatesLayer {
    /// The estimates drawn this frame, from the estimates job.
    lines: JobLines<ProbeEstimates>,
}

impl EstimatesLayer {
    /// Builds the line pipeline for targets of `format`.
    pub fn new(setup: &LayerSetup<'_>) -> Self {
        Self {
            lines: JobLines::new(setup),
        }
    }

    /// The estimates drawn in the last frame.
    pub fn shown(&self) -> Option<&ProbeEstimates> {
        self.lines.shown()
    }
}

impl Layer for EstimatesLayer {
    fn name(&self) -> &'static str {
        "estimates"
    }

    fn prepare(&mut self, frame: &LayerFrame<'_>) {
        let answer = EstimateKey::for_scene(frame.scene)
            .map(|_| frame.sim.jobs().estimates_at_probe(frame.scene));
        let world_per_px = frame.scene.camera.world_per_pixel(frame.size_px[1]);
        self.lines.prepare(frame.ctx, answer, |e| {
            instances(frame.scene, e, world_per_px, frame.px_per_point)
        });
    }

    fn draw(&self, pass: &mut wgpu::RenderPass<'_>, _frame: &LayerFrame<'_>) {
        self.lines.draw(pass);
    }

    fn legend(&self, scene: &Scene, _info: &FrameInfo) -> Option<Legend> {
        if !scene.features.estimates.at_probe
            || scene.probe.is_none()
            || !scene.offers(crate::scene::Feature::Estimates)
        {
            return None;
        }
        let n = scene.features.estimates.samples;
        let mut items: Vec<LegendItem> = ESTIMATES
            .iter()
            .filter(|(w, _)| w.shown(scene))
            .map(|&(w, color)| LegendItem::Swatch {
                color,
                shape: SwatchShape::Outline,
                label: w.label(n),
            })
            .collect();
        let shown = self.lines.shown().is_some();
        items.push(LegendItem::Text(if shown {
            format!("one r for all; seed {}", scene.features.estimates.seed)
        } else if self.lines.pending() {
            "computing the estimates…".into()
        } else {
            "no estimates here (probe outside the model)".into()
        }));
        if shown {
            items.push(LegendItem::Text("dashed: a semi-axis capped".into()));
        }
        Some(Legend {
            title: Some("estimates at the probe: δᵀMδ = r²".into()),
            items,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semi_axes_cap_singular_and_nan_matrices() {
        let f = Sym2::new(4.0, 0.0, 1.0);
        let r = common_radius(&f, 10.0);
        // Geometric mean of the semi-axes r/2 and r/1 is r/√2 = 10.
        assert!((r - 10.0 * 2f64.sqrt()).abs() < 1e-12);
        let ([a, b], capped) = semi_axes(&f, r, 100.0);
        assert!((a * b).sqrt() - 10.0 < 1e-12 && !capped);
        let singular = Sym2::new(1.0, 1.0, 1.0);
        let ([a, b], capped) = semi_axes(&singular, r, 60.0);
        assert!(capped && b == 60.0 && a.is_finite());
        let nan = Sym2::new(f64::NAN, 0.0, 1.0);
        let (axes, capped) = semi_axes(&nan, r, 60.0);
        assert!(capped && axes.iter().all(|x| x.is_finite()));
        // A NaN matrix draws nothing; a singular one a closed, finite polyline.
        let camera = Camera::default();
        let mut out = Vec::new();
        estimate_ellipse(&camera, [0.0, 0.0], &nan, r, 60.0, [1.0; 4], 1.0, &mut out);
        assert!(out.is_empty());
        estimate_ellipse(
            &camera,
            [0.0, 0.0],
            &singular,
            r,
            60.0,
            [1.0; 4],
            1.0,
            &mut out,
        );
        assert_eq!(out.len(), SEGMENTS);
        assert!(out.iter().all(|l| l.start.iter().all(|v| v.is_finite())));
        assert!(out[0].style[1] > 0.0, "capped ellipses are dashed");
    }
}
