//! The scene state: the single source of truth that the UI edits, a capture scenario drives
//! and the renderer draws. Plain data with serde, so a live session can be saved as TOML and
//! replayed as a scenario.
//!
//! Interactive edits go through [`Scene::apply`] with a [`SceneEdit`]: the viewer's widgets,
//! canvas gestures and keys, and the soak test (`tests/soak/soak.rs`) that replays thousands of
//! random edits. `apply` clamps every value to the range the UI offers (the `*_RANGE`
//! constants below, the camera's zoom and coordinate limits), so no edit sequence can leave
//! the scene invalid or outside what the renderer was tested with.

use serde::{Deserialize, Serialize};

use crate::kfac::lab::KfacLab;
use crate::math::optimize::{Hyperparameters, PerOptimizer};
use crate::math::quadrature::{DEFAULT_NODES_F32, MAX_NODES, MIN_NODES};
use crate::math::{Metric, Model, Param, Slice};

/// Smallest and largest σ the UI offers (log slider).
pub const SIGMA_RANGE: (f64, f64) = (0.05, 5.0);
/// Smallest grid density (cells across the view height).
pub const MIN_GRID: u32 = 8;
/// Largest grid density offered when the device allows it.
pub const MAX_GRID: u32 = 2048;
/// Damping λ the UI offers (log slider with a zero end).
pub const DAMPING_RANGE: (f64, f64) = (0.0, 10.0);
/// Ellipse display scale the UI offers.
pub const ELLIPSE_SCALE_RANGE: (f64, f64) = (0.1, 4.0);
/// Flow time step the UI offers.
pub const DT_RANGE: (f64, f64) = (0.001, 1.0);
/// Integration steps per frame the UI offers.
pub const STEPS_PER_FRAME_RANGE: (u32, u32) = (1, 16);
/// Fisher–Rao speed cap the UI offers.
pub const SPEED_CAP_RANGE: (f64, f64) = (0.05, 50.0);
/// Trail fade per frame the UI offers (1 = no trails).
pub const FADE_RANGE: (f64, f64) = (0.005, 1.0);
/// Quadrature node counts the UI's menu offers (any even count in MIN_NODES..=MAX_NODES is
/// valid; these are the useful ones).
pub const NODE_CHOICES: [u32; 6] = [16, 32, 48, 64, 96, 128];
/// Largest |coordinate| of a world point an edit may set (target, probe, camera centre). Far
/// beyond any interesting θ, and small enough that f32 positions and the squares the kernels
/// form stay finite.
pub const WORLD_LIMIT: f64 = 1e6;

/// The 2-D view of a slice plane. World coordinates are slice coordinates (the values of the
/// slice's two parameters). One pixel spans `x_per_y` times as much along the horizontal axis
/// as along the vertical one: 1 (equal scaling) where both axes share units, e.g. (μ1, μ2) or
/// the half-plane (μ1, σ1); chosen to fit where they do not, e.g. (π, μ1).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Camera {
    /// World point at the centre of the canvas.
    pub center: [f64; 2],
    /// Half the visible extent along the vertical axis (world units); the horizontal extent
    /// follows the aspect and `x_per_y`.
    pub half_height: f64,
    /// Horizontal world units per vertical world unit on screen (1 = equal scaling; absent in
    /// a file = 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub x_per_y: f64,
}

fn one() -> f64 {
    1.0
}

fn is_one(v: &f64) -> bool {
    *v == 1.0
}

impl Default for Camera {
    fn default() -> Self {
        Self {
            center: [0.0, 0.0],
            half_height: 4.0,
            x_per_y: 1.0,
        }
    }
}

impl Camera {
    /// Smallest and largest half-height the camera zooms to. Deep enough for the floating-origin
    /// tests (1e-5 around (3, −2), 1e-3 around (300, −200)) with a decade to spare, and out to
    /// where the whole plane the coordinates may reach ([`WORLD_LIMIT`]) fits in the view.
    pub const HALF_HEIGHT_RANGE: (f64, f64) = (1e-6, 1e6);

    /// Range of [`Camera::x_per_y`]: wide enough for π (0..1) beside a mean spanning 1e4.
    pub const X_PER_Y_RANGE: (f64, f64) = (1e-6, 1e6);

    /// The same camera with its half-height in [`Camera::HALF_HEIGHT_RANGE`] and its centre
    /// within ±[`WORLD_LIMIT`] (non-finite values fall back to the default camera's).
    pub fn clamped(self) -> Self {
        let fallback = Camera::default();
        let half_height = if self.half_height.is_finite() {
            self.half_height
                .clamp(Self::HALF_HEIGHT_RANGE.0, Self::HALF_HEIGHT_RANGE.1)
        } else {
            fallback.half_height
        };
        let x_per_y = if self.x_per_y.is_finite() {
            self.x_per_y
                .clamp(Self::X_PER_Y_RANGE.0, Self::X_PER_Y_RANGE.1)
        } else {
            1.0
        };
        Self {
            center: clamp_world(self.center).unwrap_or(fallback.center),
            half_height,
            x_per_y,
        }
    }

    /// Vertical world units per physical pixel for a canvas `height_px` tall (the horizontal
    /// ones are this times `x_per_y`: [`Camera::world_per_pixel_xy`]).
    pub fn world_per_pixel(&self, height_px: f32) -> f64 {
        2.0 * self.half_height / height_px.max(1.0) as f64
    }

    /// World units per physical pixel along x and y.
    pub fn world_per_pixel_xy(&self, height_px: f32) -> [f64; 2] {
        let s = self.world_per_pixel(height_px);
        [s * self.x_per_y, s]
    }

    /// The visible rectangle ([min], [max]) for a canvas of `size_px`.
    pub fn visible_rect(&self, size_px: [f32; 2]) -> ([f64; 2], [f64; 2]) {
        let aspect = size_px[0].max(1.0) as f64 / size_px[1].max(1.0) as f64;
        let half = [self.half_height * aspect * self.x_per_y, self.half_height];
        (
            [self.center[0] - half[0], self.center[1] - half[1]],
            [self.center[0] + half[0], self.center[1] + half[1]],
        )
    }

    /// Pixel (origin top-left, y down) to world.
    pub fn pixel_to_world(&self, pixel: [f32; 2], size_px: [f32; 2]) -> [f64; 2] {
        let s = self.world_per_pixel_xy(size_px[1]);
        [
            self.center[0] + (pixel[0] as f64 - 0.5 * size_px[0] as f64) * s[0],
            self.center[1] - (pixel[1] as f64 - 0.5 * size_px[1] as f64) * s[1],
        ]
    }

    /// World to pixel (origin top-left, y down).
    pub fn world_to_pixel(&self, world: [f64; 2], size_px: [f32; 2]) -> [f32; 2] {
        let s = self.world_per_pixel_xy(size_px[1]);
        [
            ((world[0] - self.center[0]) / s[0] + 0.5 * size_px[0] as f64) as f32,
            (-(world[1] - self.center[1]) / s[1] + 0.5 * size_px[1] as f64) as f32,
        ]
    }

    /// Zooms by `factor` (> 1 zooms in) keeping the world point under `pixel` fixed, within
    /// [`Camera::HALF_HEIGHT_RANGE`]; a factor that is not a positive finite number is ignored.
    pub fn zoom_about(&mut self, factor: f64, pixel: [f32; 2], size_px: [f32; 2]) {
        if !(factor.is_finite() && factor > 0.0 && pixel.iter().all(|p| p.is_finite())) {
            return;
        }
        let anchor = self.pixel_to_world(pixel, size_px);
        self.half_height =
            (self.half_height / factor).clamp(Self::HALF_HEIGHT_RANGE.0, Self::HALF_HEIGHT_RANGE.1);
        let moved = self.pixel_to_world(pixel, size_px);
        self.center[0] += anchor[0] - moved[0];
        self.center[1] += anchor[1] - moved[1];
        *self = self.clamped();
    }

    /// Moves the view by a pixel delta (dragging the canvas by `delta_px` moves the world with
    /// the pointer); the centre stops at ±[`WORLD_LIMIT`].
    pub fn pan_pixels(&mut self, delta_px: [f32; 2], height_px: f32) {
        if !delta_px.iter().all(|d| d.is_finite()) {
            return;
        }
        let s = self.world_per_pixel_xy(height_px);
        self.center[0] -= delta_px[0] as f64 * s[0];
        self.center[1] += delta_px[1] as f64 * s[1];
        *self = self.clamped();
    }

    /// A camera showing both handles and the diagonal between them with a margin.
    pub fn fit(target: [f64; 2], sigma: f64, probe: Option<[f64; 2]>) -> Self {
        let mut lo = [target[0].min(target[1]), target[0].min(target[1])];
        let mut hi = [target[0].max(target[1]), target[0].max(target[1])];
        if let Some(p) = probe {
            lo = [lo[0].min(p[0]), lo[1].min(p[1])];
            hi = [hi[0].max(p[0]), hi[1].max(p[1])];
        }
        let margin = 2.5 * sigma;
        let half = (0.5 * (hi[0] - lo[0]).max(hi[1] - lo[1]) + margin).max(1e-3);
        Self {
            center: [0.5 * (lo[0] + hi[0]), 0.5 * (lo[1] + hi[1])],
            half_height: half,
            x_per_y: 1.0,
        }
        .clamped()
    }

    /// A camera for any slice: each axis spans the handles, the twin and the probe with a
    /// margin in that parameter's own units (2.5 σ for a mean, σ/2 for a σ, the whole open
    /// interval for π), and `x_per_y` is 1 where both axes share units (means and σ's are
    /// lengths; π is a number) or else fits both spans into a canvas of aspect
    /// [`NOMINAL_ASPECT`]. The seed's slice gets [`Camera::fit`].
    pub fn fit_slice(model: &Model, slice: &Slice, probe: Option<[f64; 2]>) -> Self {
        if slice.is_seed() && model.sigma1 == model.sigma2 {
            let t = slice.coords(model);
            return Self::fit(t, model.sigma1, probe);
        }
        let t = slice.coords(model);
        let twin = slice.twin(model, model);
        let scale = model.sigma1.max(model.sigma2);
        let span = |k: usize, p: Param| -> (f64, f64) {
            let mut values = vec![t[k]];
            values.extend(twin.map(|w| w[k]));
            values.extend(probe.map(|q| q[k]));
            let lo = values.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            match p {
                Param::Pi => (-0.05, 1.05),
                Param::Mu1 | Param::Mu2 => (lo - 2.5 * scale, hi + 2.5 * scale),
                // σ from just below 0 (so the model's edge shows) to past the handles.
                Param::Sigma1 | Param::Sigma2 => (-0.15 * hi, hi + 0.6 * scale),
            }
        };
        let (x0, x1) = span(0, slice.a);
        let (y0, y1) = span(1, slice.b);
        let shares_units = (slice.a == Param::Pi) == (slice.b == Param::Pi);
        let (half_x, half_y) = (0.5 * (x1 - x0), 0.5 * (y1 - y0));
        let (half_height, x_per_y) = if shares_units {
            // Equal scaling: the larger of the two spans decides.
            (half_y.max(half_x / NOMINAL_ASPECT), 1.0)
        } else {
            (half_y, half_x / (half_y * NOMINAL_ASPECT))
        };
        let half_width = half_height * NOMINAL_ASPECT * x_per_y;
        // An axis whose span grew to keep equal scaling grows away from the model's edge: a σ
        // axis keeps its low end (just below σ = 0) and extends upwards, instead of showing
        // as much outside the model as inside.
        let center = |lo: f64, hi: f64, half: f64, p: Param| match p {
            Param::Sigma1 | Param::Sigma2 => lo + half,
            _ => 0.5 * (lo + hi),
        };
        Self {
            center: [
                center(x0, x1, half_width, slice.a),
                center(y0, y1, half_height, slice.b),
            ],
            half_height: half_height.max(1e-3),
            x_per_y,
        }
        .clamped()
    }
}

/// The canvas aspect (width/height) [`Camera::fit_slice`] plans for when the axes do not share
/// units: about the viewer's canvas at its default window size.
pub const NOMINAL_ASPECT: f64 = 1.4;

/// Which layers the canvas draws.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Layers {
    /// Metric ellipses.
    pub ellipses: bool,
    /// Axes, ticks, grid lines and the diagonal.
    pub axes: bool,
    /// The handles θ* and its twin.
    pub handles: bool,
    /// The probe's two arrows.
    pub probe: bool,
    /// Flow particles.
    pub particles: bool,
    /// Legends (κ colour bar, ε).
    pub legend: bool,
}

impl Default for Layers {
    fn default() -> Self {
        Self {
            ellipses: true,
            axes: true,
            handles: true,
            probe: true,
            particles: true,
            legend: true,
        }
    }
}

pub use crate::gpu::gpu_data::{FlowMode, Integrator};

/// How particles are coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParticleColor {
    /// Cyan natural, red Euclidean.
    Mode,
    /// By Fisher–Rao speed √(θ̇ᵀFθ̇) on the colour map (log scale).
    Speed,
}

/// The scalar field a heatmap layer paints under the ellipses (one at a time), computed per
/// pixel on the GPU from the field's cells (`shaders/heatmap.wgsl`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Heatmap {
    /// No heatmap.
    #[default]
    None,
    /// log₁₀ κ, the condition number of F (∞ on the singular set).
    Log10Kappa,
    /// √det F, the Jeffreys volume element (how densely the model packs distributions).
    Jeffreys,
    /// L = KL(p_θ* ‖ p_θ), with contour lines.
    Loss,
    /// The angle between ∇L and the natural gradient ñ, degrees.
    Angle,
    /// ‖ñ‖ in Fisher–Rao units, √(ñᵀFñ).
    NatgradNorm,
}

impl Heatmap {
    /// Every choice, in the order the UI lists them.
    pub const ALL: [Heatmap; 6] = [
        Heatmap::None,
        Heatmap::Log10Kappa,
        Heatmap::Jeffreys,
        Heatmap::Loss,
        Heatmap::Angle,
        Heatmap::NatgradNorm,
    ];

    /// Whether the heatmap reads the target's half of the field's cells (L, ∇L, ñ) rather than
    /// F alone.
    pub fn reads_target(self) -> bool {
        matches!(self, Heatmap::Loss | Heatmap::Angle | Heatmap::NatgradNorm)
    }

    /// A short label for menus and legends.
    pub fn label(self) -> &'static str {
        match self {
            Heatmap::None => "none",
            Heatmap::Log10Kappa => "log10 κ",
            Heatmap::Jeffreys => "√det F (Jeffreys)",
            Heatmap::Loss => "L = KL(p* ‖ p)",
            Heatmap::Angle => "angle ∇L vs ñ (°)",
            Heatmap::NatgradNorm => "‖ñ‖ Fisher–Rao",
        }
    }
}

/// Fisher–Rao radius range of the geodesic ball.
pub const BALL_RADIUS_RANGE: (f64, f64) = (0.01, 5.0);
/// Range of the number of geodesics the ball shoots.
pub const BALL_RAYS_RANGE: (u32, u32) = (8, 4096);

/// Geodesic overlays at the probe (MATH.md, "Geodesics").
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Geodesics {
    /// The geodesic ball: the Fisher–Rao circle of radius `radius` about the probe, beside the
    /// metric ellipse δᵀFδ = r² there.
    pub ball: bool,
    /// Its Fisher–Rao radius r.
    pub radius: f64,
    /// How many geodesics the ball shoots (evenly spread in the F-orthonormal frame).
    pub rays: u32,
    /// Draw each geodesic of the ball (spokes), not only the circle of tips.
    pub spokes: bool,
    /// The shortest path (within the slice) from the probe to θ* and to its twin, with the
    /// slice distance, beside the natural-flow and Euclidean-descent paths.
    pub shortest_path: bool,
}

impl Default for Geodesics {
    fn default() -> Self {
        Self {
            ball: false,
            radius: 0.5,
            rays: 256,
            spokes: false,
            shortest_path: false,
        }
    }
}

/// Range of the race's step count.
pub const RACE_STEPS_RANGE: (u32, u32) = (1, 5000);
/// Learning rates the UI offers (log slider).
pub const LR_RANGE: (f64, f64) = (1e-4, 10.0);
/// Range of the sample count N of the finite-sample estimates and of `mc-ngd`.
pub const SAMPLES_RANGE: (u32, u32) = (2, crate::math::estimates::MAX_SAMPLES);
/// Range of the convergence map's step cap.
pub const CONVERGENCE_STEPS_RANGE: (u32, u32) = (1, 10_000);
/// Range of the convergence map's relative loss threshold (L < threshold · L(start)).
pub const CONVERGENCE_THRESHOLD_RANGE: (f64, f64) = (1e-6, 0.5);
/// Range of the convergence map's resolution (cells per side).
pub const CONVERGENCE_GRID_RANGE: (u32, u32) = (8, 1024);

/// The optimizer race (issue 12): each enabled optimizer run from the same start for `steps`
/// updates on the f64 CPU path, drawn as a polyline with a dot per step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Race {
    /// The race is run and drawn.
    pub enabled: bool,
    /// Where every optimizer starts, slice coordinates; None: the probe.
    pub start: Option<[f64; 2]>,
    /// Which optimizers run.
    pub optimizers: PerOptimizer<bool>,
    /// Updates per optimizer.
    pub steps: u32,
    /// Learning rate of each optimizer (the UI's shared slider sets all seven).
    pub lr: PerOptimizer<f64>,
    /// Momentum β, Adam's β1, β2, ε, ngd-damped's λ, mc-ngd's N and seed.
    pub hyper: Hyperparameters,
}

impl Default for Race {
    fn default() -> Self {
        Self {
            enabled: false,
            start: None,
            optimizers: PerOptimizer::splat(true),
            steps: 100,
            lr: PerOptimizer::splat(0.5),
            hyper: Hyperparameters::default(),
        }
    }
}

/// Which view the window shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tab {
    /// The mixture's geometry: the canvas, its layers and panels.
    #[default]
    Geometry,
    /// The K-FAC lab: a small classifier's exact layer Fisher blocks against A ⊗ G.
    Kfac,
}

/// Which matrix the grid's ellipses draw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EllipseSource {
    /// The Fisher matrix F (the slice block).
    #[default]
    Fisher,
    /// The population empirical Fisher EF = E_{x∼p*}[s sᵀ] under the target.
    EmpiricalFisher,
}

/// Fisher estimates (MATH.md, "Fisher estimates"): at the probe, the ellipses of F, the
/// population EF, and the finite-sample EF and Monte-Carlo Fisher from N samples of one seeded
/// generator (`math::estimates`, `shaders/common/sampling.wgsl`); across the grid, F or EF.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Estimates {
    /// The estimate ellipses at the probe, with a legend.
    pub at_probe: bool,
    /// Draw F's ellipse at the probe.
    pub fisher: bool,
    /// Draw the population EF's ellipse.
    pub empirical: bool,
    /// Draw the finite-sample EF's ellipse (N samples of the target).
    pub empirical_samples: bool,
    /// Draw the Monte-Carlo Fisher's ellipse (N samples of the model at the probe).
    pub monte_carlo: bool,
    /// N.
    pub samples: u32,
    /// Seed of the samples (the resample button draws a new one).
    pub seed: u32,
    /// What the grid's ellipses show.
    pub grid_ellipses: EllipseSource,
}

impl Default for Estimates {
    fn default() -> Self {
        Self {
            at_probe: false,
            fisher: true,
            empirical: true,
            empirical_samples: true,
            monte_carlo: true,
            samples: 100,
            seed: 1,
            grid_ellipses: EllipseSource::Fisher,
        }
    }
}

/// Which optimizer's convergence map is shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConvergenceView {
    /// Gradient descent only.
    Gd,
    /// Natural gradient descent only.
    Ngd,
    /// gd on the left half of the canvas, ngd on the right, over the same view.
    #[default]
    Split,
}

/// The GPU convergence map (issue 12): for every cell of a `grid`² lattice over the view as a
/// start, the number of steps gd or ngd needs to bring L below `threshold` · L(start), capped
/// at `max_steps`; advanced `steps_per_frame` steps per frame so the UI stays responsive.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Convergence {
    /// The map is computed and drawn as a heatmap layer.
    pub enabled: bool,
    /// gd, ngd, or both side by side.
    pub view: ConvergenceView,
    /// Learning rate of gd.
    pub lr_gd: f64,
    /// Learning rate of ngd.
    pub lr_ngd: f64,
    /// Step cap.
    pub max_steps: u32,
    /// Relative threshold: converged when L < threshold · L(start).
    pub threshold: f64,
    /// Cells per side of the map's lattice.
    pub grid: u32,
    /// Optimizer steps advanced per frame.
    pub steps_per_frame: u32,
}

impl Default for Convergence {
    fn default() -> Self {
        Self {
            enabled: false,
            view: ConvergenceView::Split,
            lr_gd: 0.5,
            lr_ngd: 0.5,
            max_steps: 500,
            threshold: 1e-4,
            grid: 128,
            steps_per_frame: 2,
        }
    }
}

/// Smallest and largest particle counts the UI offers.
pub const PARTICLE_RANGE: (u32, u32) = (1_000, 1 << 20);

/// Flow mode settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Flow {
    /// Particles are advected and drawn (Space toggles).
    pub enabled: bool,
    /// Natural, Euclidean or both.
    pub mode: FlowMode,
    /// Particle count; absent = chosen for the adapter (8k on a CPU adapter, 256k otherwise).
    pub particles: Option<u32>,
    /// Time step per integration step.
    pub dt: f64,
    /// Integration steps per frame.
    pub steps_per_frame: u32,
    /// RK4 or Euler.
    pub integrator: Integrator,
    /// Speed cap in Fisher–Rao units per unit time.
    pub speed_cap: f64,
    /// Mean particle lifetime in steps.
    pub max_age: u32,
    /// Trail fade per frame (1 = no trails).
    pub fade: f64,
    /// Colour by mode or by Fisher–Rao speed.
    pub color: ParticleColor,
    /// Seed of the deterministic spawn.
    pub seed: u32,
}

impl Default for Flow {
    fn default() -> Self {
        Self {
            enabled: false,
            mode: FlowMode::Both,
            particles: None,
            dt: 0.05,
            steps_per_frame: 1,
            integrator: Integrator::Rk4,
            speed_cap: 4.0,
            max_age: 400,
            fade: 0.08,
            color: ParticleColor::Mode,
            seed: 1,
        }
    }
}

/// Everything the picture depends on.
///
/// `model` is the target θ*, all five parameters of the general mixture; the canvas is the
/// slice through it named by `slice`: the handle sits at the model's slice coordinates, and the
/// three held parameters take the model's values everywhere on the canvas. A file may instead
/// give the seed's `sigma` (σ1 = σ2) and `target = [μ1, μ2]` (slice coordinates): old scene
/// files load unchanged ([`SceneFile`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SceneFile")]
pub struct Scene {
    /// The target θ*: all five parameters (π, μ1, μ2, σ1, σ2).
    pub model: Model,
    /// The canvas: which two parameters vary (horizontal, vertical).
    pub slice: Slice,
    /// The metric on the slice: the induced 2×2 block of F, or the profiled one (the Schur
    /// complement that treats the three held parameters as unknown).
    pub metric: Metric,
    /// Where the gradient arrows are drawn, if anywhere, in slice coordinates. Absent in a
    /// TOML file means no probe (not the default scene's), so a scene without one round-trips.
    pub probe: Option<[f64; 2]>,
    /// Grid density: cells across the view height (cells are square on screen).
    pub grid: u32,
    /// Display scale of the ellipses (1 = the level set that fills 90% of a far cell).
    pub ellipse_scale: f64,
    /// Damping λ ≥ 0 of the natural gradient (F + λI)⁻¹∇L.
    pub damping: f64,
    /// Quadrature nodes per component for the GPU field.
    pub nodes: u32,
    /// The view.
    pub camera: Camera,
    /// Layer toggles.
    pub layers: Layers,
    /// Flow mode.
    pub flow: Flow,
    /// The heatmap under the ellipses.
    pub heatmap: Heatmap,
    /// Geodesic ball and shortest path.
    pub geodesics: Geodesics,
    /// The optimizer race.
    pub race: Race,
    /// Fisher estimates (probe ellipses, grid ellipse source).
    pub estimates: Estimates,
    /// The convergence map.
    pub convergence: Convergence,
    /// Which view the window shows.
    pub tab: Tab,
    /// The K-FAC lab's settings (its data is the target mixture `model`).
    pub kfac: KfacLab,
}

impl Default for Scene {
    fn default() -> Self {
        Self {
            model: Model::seed(-1.5, 1.0, 1.0),
            slice: Slice::SEED,
            metric: Metric::Induced,
            probe: Some([1.2, 0.4]),
            grid: 32,
            ellipse_scale: 1.0,
            damping: 0.0,
            nodes: DEFAULT_NODES_F32,
            camera: Camera::default(),
            layers: Layers::default(),
            flow: Flow::default(),
            heatmap: Heatmap::None,
            geodesics: Geodesics::default(),
            race: Race::default(),
            estimates: Estimates::default(),
            convergence: Convergence::default(),
            tab: Tab::Geometry,
            kfac: KfacLab::default(),
        }
    }
}

/// A scene as written in a file: [`Scene`]'s fields, plus the seed's `sigma` and `target` that
/// files from before the general model use. `sigma` sets σ1 = σ2 and may not be combined with
/// a `model` that gives either σ; `target` sets the slice coordinates of the model (the
/// defaults' or the file's).
#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct SceneFile {
    model: Option<toml::Table>,
    slice: Slice,
    metric: Metric,
    sigma: Option<f64>,
    target: Option<[f64; 2]>,
    probe: Option<[f64; 2]>,
    grid: u32,
    ellipse_scale: f64,
    damping: f64,
    nodes: u32,
    camera: Option<Camera>,
    layers: Layers,
    flow: Flow,
    heatmap: Heatmap,
    geodesics: Geodesics,
    race: Race,
    estimates: Estimates,
    convergence: Convergence,
    tab: Tab,
    kfac: KfacLab,
}

impl Default for SceneFile {
    fn default() -> Self {
        let s = Scene::default();
        Self {
            model: None,
            slice: s.slice,
            metric: s.metric,
            sigma: None,
            target: None,
            // Absent means no probe.
            probe: None,
            grid: s.grid,
            ellipse_scale: s.ellipse_scale,
            damping: s.damping,
            nodes: s.nodes,
            camera: None,
            layers: s.layers,
            flow: s.flow,
            heatmap: s.heatmap,
            geodesics: s.geodesics,
            race: s.race,
            estimates: s.estimates,
            convergence: s.convergence,
            tab: s.tab,
            kfac: s.kfac,
        }
    }
}

impl TryFrom<SceneFile> for Scene {
    type Error = String;

    fn try_from(f: SceneFile) -> Result<Self, String> {
        // Keys the file's model omits keep the default scene's values (its handle at
        // (−1.5, 1), σ = 1), so `[scene.model] pi = 0.3` changes π only.
        let mut model = Scene::default().model;
        let gives_sigma = f.model.as_ref().is_some_and(|m| {
            m.contains_key(Param::Sigma1.name()) || m.contains_key(Param::Sigma2.name())
        });
        if let Some(table) = f.model {
            for (key, value) in table {
                let param: Param = key.parse().map_err(|e| format!("model.{key}: {e}"))?;
                let v = value
                    .as_float()
                    .or_else(|| value.as_integer().map(|i| i as f64))
                    .ok_or_else(|| format!("model.{key}: must be a number, got {value}"))?;
                model = model.with(param, v);
            }
        }
        if let Some(sigma) = f.sigma {
            if gives_sigma {
                return Err(
                    "sigma: give either sigma (sigma1 = sigma2) or model.sigma1/sigma2, \
                            not both"
                        .into(),
                );
            }
            model.sigma1 = sigma;
            model.sigma2 = sigma;
        }
        if let Some(t) = f.target {
            model = f.slice.place(&model, t);
        }
        let mut scene = Scene {
            model,
            slice: f.slice,
            metric: f.metric,
            probe: f.probe,
            grid: f.grid,
            ellipse_scale: f.ellipse_scale,
            damping: f.damping,
            nodes: f.nodes,
            camera: f.camera.unwrap_or_default(),
            layers: f.layers,
            flow: f.flow,
            heatmap: f.heatmap,
            geodesics: Geodesics::default(),
            race: Race::default(),
            estimates: Estimates::default(),
            convergence: Convergence::default(),
            tab: f.tab,
            kfac: KfacLab::default(),
        };
        scene.apply(SceneEdit::SetKfacLab(f.kfac));
        // The race, estimate and convergence settings go through the UI's clamps too.
        scene.apply(SceneEdit::SetRace(f.race));
        scene.apply(SceneEdit::SetEstimates(f.estimates));
        scene.apply(SceneEdit::SetConvergence(f.convergence));
        // The ball's radius and ray count go through the same clamps as the UI's edits.
        scene.apply(SceneEdit::SetGeodesics(f.geodesics));
        // A file without a camera gets the default view on the seed's slice (as before the
        // general model) and a fitted one on any other, whose coordinates may lie anywhere
        // (π in (0, 1), σ > 0) — but only when the model is valid, else validation reports it.
        if f.camera.is_none() && !scene.slice.is_seed() && model.validate_for(&f.slice).is_ok() {
            scene.fit_view();
        }
        Ok(scene)
    }
}

/// The six slices the viewer offers as presets (issue 10), each a model, a slice and a view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// The seed's (μ1, μ2) at π = ½, σ1 = σ2 = 1: the singular diagonal.
    Seed,
    /// (μ1, σ1) at π = 1: one Gaussian, the hyperbolic half-plane, F = diag(1/σ², 2/σ²).
    HalfPlane,
    /// (π, μ1): as π → 0 component 1 vanishes and μ1 stops mattering.
    WeightSingularity,
    /// (σ1, σ2) with the means apart.
    Sigmas,
    /// (μ1, σ2): a mean against the other component's width.
    MeanSigma,
    /// (μ1, μ2) with π = 0.3, σ1 = 0.6, σ2 = 1.4: no singular diagonal.
    Unequal,
}

impl Preset {
    /// All presets, in menu order.
    pub const ALL: [Preset; 6] = [
        Preset::Seed,
        Preset::HalfPlane,
        Preset::WeightSingularity,
        Preset::Sigmas,
        Preset::MeanSigma,
        Preset::Unequal,
    ];

    /// The command-line name (`--preset`; the scene file's kebab-case spelling).
    pub fn name(self) -> &'static str {
        match self {
            Preset::Seed => "seed",
            Preset::HalfPlane => "half-plane",
            Preset::WeightSingularity => "weight-singularity",
            Preset::Sigmas => "sigmas",
            Preset::MeanSigma => "mean-sigma",
            Preset::Unequal => "unequal",
        }
    }

    /// The preset called `name` ([`Preset::name`]), or an error listing the names.
    pub fn from_name(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|p| p.name()).collect();
                format!(
                    "unknown preset `{name}`; the presets are {}",
                    names.join(", ")
                )
            })
    }

    /// The menu label.
    pub fn label(self) -> &'static str {
        match self {
            Preset::Seed => "seed (μ1, μ2), π = ½, σ1 = σ2",
            Preset::HalfPlane => "half-plane (μ1, σ1), π = 1",
            Preset::WeightSingularity => "weight singularity (π, μ1)",
            Preset::Sigmas => "(σ1, σ2)",
            Preset::MeanSigma => "(μ1, σ2)",
            Preset::Unequal => "(μ1, μ2), π = 0.3, σ1 ≠ σ2",
        }
    }

    /// The target model, the slice and the probe (slice coordinates).
    pub fn setup(self) -> (Model, Slice, [f64; 2]) {
        let m = |pi, mu1, mu2, sigma1, sigma2| Model {
            pi,
            mu1,
            mu2,
            sigma1,
            sigma2,
        };
        let s = |a, b| Slice { a, b };
        use Param::*;
        match self {
            Preset::Seed => (m(0.5, -1.5, 1.0, 1.0, 1.0), s(Mu1, Mu2), [1.2, 0.4]),
            Preset::HalfPlane => (m(1.0, 0.0, 0.0, 1.0, 1.0), s(Mu1, Sigma1), [1.5, 2.0]),
            Preset::WeightSingularity => (m(0.6, -1.0, 1.5, 1.0, 1.0), s(Pi, Mu1), [0.2, 1.0]),
            Preset::Sigmas => (m(0.5, -1.0, 1.0, 0.8, 1.2), s(Sigma1, Sigma2), [1.6, 0.5]),
            Preset::MeanSigma => (m(0.5, -1.0, 1.0, 1.0, 0.7), s(Mu1, Sigma2), [1.5, 1.5]),
            Preset::Unequal => (m(0.3, -1.5, 1.0, 0.6, 1.4), s(Mu1, Mu2), [1.2, 0.4]),
        }
    }
}

/// Where a slice coordinate may be dragged or typed: π on the open interval (a boundary value
/// would make F infinite), σ positive, a mean anywhere within ±[`WORLD_LIMIT`].
pub fn coordinate_range(p: Param) -> (f64, f64) {
    match p {
        Param::Pi => (PI_EDGE, 1.0 - PI_EDGE),
        Param::Mu1 | Param::Mu2 => (-WORLD_LIMIT, WORLD_LIMIT),
        Param::Sigma1 | Param::Sigma2 => (SIGMA_FLOOR, WORLD_LIMIT),
    }
}

/// Closest a slice's π coordinate comes to 0 or 1.
pub const PI_EDGE: f64 = 1e-4;
/// Smallest σ a slice coordinate takes (handles, probe).
pub const SIGMA_FLOOR: f64 = 1e-3;

/// Where a held parameter's slider goes: π on the closed interval (π = 1 is one Gaussian, the
/// half-plane), σ on [`SIGMA_RANGE`], a mean within ±[`MEAN_SLIDER_LIMIT`].
pub fn held_range(p: Param) -> (f64, f64) {
    match p {
        Param::Pi => (0.0, 1.0),
        Param::Mu1 | Param::Mu2 => (-MEAN_SLIDER_LIMIT, MEAN_SLIDER_LIMIT),
        Param::Sigma1 | Param::Sigma2 => SIGMA_RANGE,
    }
}

/// Largest |μ| a held-parameter slider sets.
pub const MEAN_SLIDER_LIMIT: f64 = 10.0;

/// A scene value out of range: which field, and what is allowed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SceneError {
    /// The field's name as in the TOML file.
    pub field: &'static str,
    /// What is wrong and what is allowed.
    pub message: String,
}

/// One interactive change to a [`Scene`]: what a widget, a canvas gesture or a key asks for.
/// [`Scene::apply`] carries it out, clamped to the UI's ranges.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SceneEdit {
    /// The shared σ (σ1 = σ2 = σ, the seed's slider), clamped to [`SIGMA_RANGE`].
    SetSigma(f64),
    /// One parameter of the target model: a held parameter's slider (clamped to
    /// [`held_range`]) or, for a slice parameter, its coordinate (clamped to
    /// [`coordinate_range`]).
    SetParam(Param, f64),
    /// The canvas' slice; the view is refitted and the probe moved to the slice's default.
    /// π moves off 0 or 1 when it becomes a slice coordinate.
    SetSlice(Slice),
    /// One of the six presets: model, slice, probe and view.
    ApplyPreset(Preset),
    /// Induced or profiled metric.
    SetMetric(Metric),
    /// Damping λ, clamped to [`DAMPING_RANGE`].
    SetDamping(f64),
    /// The target's slice coordinates (dragging either handle or a density-strip marker),
    /// each clamped to its [`coordinate_range`].
    SetTarget([f64; 2]),
    /// Place the probe (a click) or clear it (None); coordinates clamped like the target's.
    SetProbe(Option<[f64; 2]>),
    /// Grid density, clamped to [`MIN_GRID`]..=[`MAX_GRID`].
    SetGrid(u32),
    /// Quadrature nodes per component, made even and clamped to MIN_NODES..=MAX_NODES.
    SetNodes(u32),
    /// Ellipse display scale, clamped to [`ELLIPSE_SCALE_RANGE`].
    SetEllipseScale(f64),
    /// Which layers are drawn.
    SetLayers(Layers),
    /// The heatmap layer.
    SetHeatmap(Heatmap),
    /// Geodesic ball and shortest path settings (radius and rays clamped to
    /// [`BALL_RADIUS_RANGE`], [`BALL_RAYS_RANGE`]).
    SetGeodesics(Geodesics),
    /// Optimizer race settings (steps, rates, N clamped to their ranges; a start outside the
    /// model clamped like the probe).
    SetRace(Race),
    /// Where the race starts (None: the probe); clamped like the probe.
    SetRaceStart(Option<[f64; 2]>),
    /// Fisher-estimate settings (N clamped to [`SAMPLES_RANGE`]).
    SetEstimates(Estimates),
    /// Convergence-map settings (each clamped to its range).
    SetConvergence(Convergence),
    /// Which view the window shows.
    SetTab(Tab),
    /// The K-FAC lab's settings (width, rates, damping, nodes, samples clamped to their ranges).
    SetKfacLab(KfacLab),
    /// Flow on or off.
    SetFlow(bool),
    /// Flow on/off toggle (Space).
    ToggleFlow,
    /// Natural, Euclidean or both.
    SetFlowMode(FlowMode),
    /// Particle count (None: the adapter's default), clamped to [`PARTICLE_RANGE`].
    SetParticles(Option<u32>),
    /// Flow time step, clamped to [`DT_RANGE`].
    SetDt(f64),
    /// Integration steps per frame, clamped to [`STEPS_PER_FRAME_RANGE`].
    SetStepsPerFrame(u32),
    /// Fisher–Rao speed cap, clamped to [`SPEED_CAP_RANGE`].
    SetSpeedCap(f64),
    /// Trail fade, clamped to [`FADE_RANGE`].
    SetFade(f64),
    /// RK4 or Euler.
    SetIntegrator(Integrator),
    /// Colour particles by mode or by speed.
    SetParticleColor(ParticleColor),
    /// Seed of the particle spawn.
    SetSeed(u32),
    /// Zoom by `factor` (> 1 zooms in) about `pixel` of a canvas of `size` pixels (wheel,
    /// pinch); the half-height stays in [`Camera::HALF_HEIGHT_RANGE`].
    ZoomAbout {
        /// Zoom factor; not a positive finite number: no change.
        factor: f64,
        /// The fixed point, pixels from the canvas' top-left corner.
        pixel: [f32; 2],
        /// Canvas size in pixels.
        size: [f32; 2],
    },
    /// Drag the view by `delta_px` on a canvas `height_px` tall.
    Pan {
        /// Pointer movement in pixels (y down).
        delta_px: [f32; 2],
        /// Canvas height in pixels.
        height_px: f32,
    },
    /// Frame both handles and the probe (F).
    FitView,
    /// Back to the default scene, keeping the grid density (R).
    Reset,
}

/// Slice coordinates `v` clamped to the model's domain ([`coordinate_range`] of each); None
/// when one is NaN.
fn clamp_coords(slice: &Slice, v: [f64; 2]) -> Option<[f64; 2]> {
    if v.iter().any(|x| x.is_nan()) {
        return None;
    }
    let [a, b] = slice.params().map(coordinate_range);
    Some([v[0].clamp(a.0, a.1), v[1].clamp(b.0, b.1)])
}

/// `v` with each coordinate clamped to ±[`WORLD_LIMIT`]; None when one is NaN.
fn clamp_world(v: [f64; 2]) -> Option<[f64; 2]> {
    v.iter()
        .all(|x| !x.is_nan())
        .then(|| v.map(|x| x.clamp(-WORLD_LIMIT, WORLD_LIMIT)))
}

/// `v` clamped to `range`, or `current` when `v` is NaN (a NaN from a widget changes nothing).
fn clamp_f64(v: f64, range: (f64, f64), current: f64) -> f64 {
    if v.is_nan() {
        current
    } else {
        v.clamp(range.0, range.1)
    }
}

impl Scene {
    /// Applies one interactive edit, clamped to the UI's ranges; an edit with a NaN in it
    /// changes nothing. A scene that was valid stays valid.
    pub fn apply(&mut self, edit: SceneEdit) {
        use crate::math::quadrature::{MAX_NODES, MIN_NODES};
        let flow = &mut self.flow;
        match edit {
            SceneEdit::SetSigma(v) => {
                let sigma = clamp_f64(v, SIGMA_RANGE, self.model.sigma1);
                self.model.sigma1 = sigma;
                self.model.sigma2 = sigma;
            }
            SceneEdit::SetParam(p, v) => {
                let range = if self.slice.contains(p) {
                    coordinate_range(p)
                } else {
                    held_range(p)
                };
                self.model = self.model.with(p, clamp_f64(v, range, self.model.get(p)));
            }
            SceneEdit::SetSlice(slice) => {
                if slice.validate().is_ok() && slice != self.slice {
                    self.slice = slice;
                    if slice.contains(Param::Pi) {
                        let (lo, hi) = coordinate_range(Param::Pi);
                        self.model.pi = self.model.pi.clamp(lo, hi);
                    }
                    self.probe = Some(default_probe(&self.model, &slice));
                    self.fit_view();
                }
            }
            SceneEdit::ApplyPreset(preset) => {
                let (model, slice, probe) = preset.setup();
                self.model = model;
                self.slice = slice;
                self.probe = Some(probe);
                self.fit_view();
            }
            SceneEdit::SetMetric(metric) => self.metric = metric,
            SceneEdit::SetDamping(v) => self.damping = clamp_f64(v, DAMPING_RANGE, self.damping),
            SceneEdit::SetTarget(t) => {
                if let Some(t) = clamp_coords(&self.slice, t) {
                    self.model = self.slice.place(&self.model, t);
                }
            }
            SceneEdit::SetProbe(None) => self.probe = None,
            SceneEdit::SetProbe(Some(p)) => {
                if let Some(p) = clamp_coords(&self.slice, p) {
                    self.probe = Some(p);
                }
            }
            SceneEdit::SetGrid(n) => self.grid = n.clamp(MIN_GRID, MAX_GRID),
            SceneEdit::SetNodes(n) => self.nodes = (n & !1).clamp(MIN_NODES, MAX_NODES),
            SceneEdit::SetEllipseScale(v) => {
                self.ellipse_scale = clamp_f64(v, ELLIPSE_SCALE_RANGE, self.ellipse_scale)
            }
            SceneEdit::SetLayers(layers) => self.layers = layers,
            SceneEdit::SetHeatmap(heatmap) => self.heatmap = heatmap,
            SceneEdit::SetGeodesics(g) => {
                let radius = clamp_f64(g.radius, BALL_RADIUS_RANGE, self.geodesics.radius);
                self.geodesics = Geodesics {
                    radius,
                    rays: g.rays.clamp(BALL_RAYS_RANGE.0, BALL_RAYS_RANGE.1),
                    ..g
                };
            }
            SceneEdit::SetRace(race) => {
                let current = self.race;
                let mut lr = race.lr;
                for o in crate::math::optimize::Optimizer::ALL {
                    let v = lr.get_mut(o);
                    *v = clamp_f64(*v, LR_RANGE, current.lr.get(o));
                }
                let h = race.hyper;
                let unit = (0.0, 0.9999);
                let hyper = Hyperparameters {
                    momentum: clamp_f64(h.momentum, unit, current.hyper.momentum),
                    beta1: clamp_f64(h.beta1, unit, current.hyper.beta1),
                    beta2: clamp_f64(h.beta2, unit, current.hyper.beta2),
                    eps: clamp_f64(h.eps, (1e-12, 1.0), current.hyper.eps),
                    damping: clamp_f64(h.damping, DAMPING_RANGE, current.hyper.damping),
                    samples: h.samples.clamp(SAMPLES_RANGE.0, SAMPLES_RANGE.1),
                    seed: h.seed,
                };
                let start = match race.start {
                    None => None,
                    Some(p) => clamp_coords(&self.slice, p).or(current.start),
                };
                self.race = Race {
                    start,
                    steps: race.steps.clamp(RACE_STEPS_RANGE.0, RACE_STEPS_RANGE.1),
                    lr,
                    hyper,
                    ..race
                };
            }
            SceneEdit::SetRaceStart(None) => self.race.start = None,
            SceneEdit::SetRaceStart(Some(p)) => {
                if let Some(p) = clamp_coords(&self.slice, p) {
                    self.race.start = Some(p);
                }
            }
            SceneEdit::SetEstimates(e) => {
                self.estimates = Estimates {
                    samples: e.samples.clamp(SAMPLES_RANGE.0, SAMPLES_RANGE.1),
                    ..e
                }
            }
            SceneEdit::SetConvergence(c) => {
                let current = self.convergence;
                self.convergence = Convergence {
                    lr_gd: clamp_f64(c.lr_gd, LR_RANGE, current.lr_gd),
                    lr_ngd: clamp_f64(c.lr_ngd, LR_RANGE, current.lr_ngd),
                    max_steps: c
                        .max_steps
                        .clamp(CONVERGENCE_STEPS_RANGE.0, CONVERGENCE_STEPS_RANGE.1),
                    threshold: clamp_f64(
                        c.threshold,
                        CONVERGENCE_THRESHOLD_RANGE,
                        current.threshold,
                    ),
                    grid: c
                        .grid
                        .clamp(CONVERGENCE_GRID_RANGE.0, CONVERGENCE_GRID_RANGE.1),
                    steps_per_frame: c.steps_per_frame.clamp(1, 1000),
                    ..c
                };
            }
            SceneEdit::SetTab(tab) => self.tab = tab,
            SceneEdit::SetKfacLab(lab) => {
                use crate::kfac::lab::LAB_HIDDEN_RANGE;
                let current = self.kfac;
                let lr = std::array::from_fn(|k| clamp_f64(lab.lr[k], LR_RANGE, current.lr[k]));
                self.kfac = KfacLab {
                    hidden: lab.hidden.clamp(LAB_HIDDEN_RANGE.0, LAB_HIDDEN_RANGE.1),
                    damping: clamp_f64(lab.damping, (1e-8, 10.0), current.damping),
                    lr,
                    nodes: (lab.nodes & !1).clamp(MIN_NODES, MAX_NODES),
                    samples: lab.samples.min(crate::math::estimates::MAX_SAMPLES),
                    ..lab
                };
            }
            SceneEdit::SetFlow(on) => flow.enabled = on,
            SceneEdit::ToggleFlow => flow.enabled = !flow.enabled,
            SceneEdit::SetFlowMode(mode) => flow.mode = mode,
            SceneEdit::SetParticles(n) => {
                flow.particles = n.map(|n| n.clamp(PARTICLE_RANGE.0, PARTICLE_RANGE.1))
            }
            SceneEdit::SetDt(v) => flow.dt = clamp_f64(v, DT_RANGE, flow.dt),
            SceneEdit::SetStepsPerFrame(n) => {
                flow.steps_per_frame = n.clamp(STEPS_PER_FRAME_RANGE.0, STEPS_PER_FRAME_RANGE.1)
            }
            SceneEdit::SetSpeedCap(v) => {
                flow.speed_cap = clamp_f64(v, SPEED_CAP_RANGE, flow.speed_cap)
            }
            SceneEdit::SetFade(v) => flow.fade = clamp_f64(v, FADE_RANGE, flow.fade),
            SceneEdit::SetIntegrator(integrator) => flow.integrator = integrator,
            SceneEdit::SetParticleColor(color) => flow.color = color,
            SceneEdit::SetSeed(seed) => flow.seed = seed,
            SceneEdit::ZoomAbout {
                factor,
                pixel,
                size,
            } => self.camera.zoom_about(factor, pixel, size),
            SceneEdit::Pan {
                delta_px,
                height_px,
            } => self.camera.pan_pixels(delta_px, height_px),
            SceneEdit::FitView => self.fit_view(),
            SceneEdit::Reset => {
                *self = Scene {
                    grid: self.grid,
                    ..Scene::default()
                }
            }
        }
    }

    /// The target θ*'s slice coordinates (where its handle is drawn).
    pub fn target(&self) -> [f64; 2] {
        self.slice.coords(&self.model)
    }

    /// The twin handle: the label-swapped target's slice coordinates, where that lies in the
    /// slice (always on the seed's slice; never with π ≠ ½ held, for example).
    pub fn twin(&self) -> Option<[f64; 2]> {
        self.slice.twin(&self.model, &self.model)
    }

    /// The seed's σ when the canvas is the seed's model and slice — (μ1, μ2) with π = ½ and
    /// σ1 = σ2 — which the seed kernels (rotated basis, exact diagonal) evaluate; None for
    /// every other slice, which the general kernel evaluates.
    pub fn seed_sigma(&self) -> Option<f64> {
        let m = &self.model;
        (self.slice.is_seed() && m.pi == 0.5 && m.sigma1 == m.sigma2).then_some(m.sigma1)
    }

    /// The model at slice coordinates `xy` (the held parameters from the target).
    pub fn model_at(&self, xy: [f64; 2]) -> Model {
        self.slice.place(&self.model, xy)
    }

    /// A length that sets the picture's scale: the larger σ.
    pub fn length_scale(&self) -> f64 {
        self.model.sigma1.max(self.model.sigma2)
    }

    /// Checks every field's range.
    pub fn validate(&self) -> Result<(), SceneError> {
        let err = |field, message: String| Err(SceneError { field, message });
        let finite2 = |v: [f64; 2]| v.iter().all(|x| x.is_finite());
        if let Err(e) = self.model.validate_for(&self.slice) {
            let field = match &e {
                crate::math::ModelError::UnknownParam { .. }
                | crate::math::ModelError::SliceSyntax { .. }
                | crate::math::ModelError::RepeatedParam { .. } => "slice",
                _ => "model",
            };
            return err(field, e.to_string());
        }
        if self.probe.is_some_and(|p| !finite2(p)) {
            return err("probe", "must be two finite numbers".into());
        }
        if let Some(p) = self.probe
            && let Err(e) = self.model_at(p).validate_for(&self.slice)
        {
            return err("probe", format!("lies outside the model: {e}"));
        }
        if !(MIN_GRID..=MAX_GRID).contains(&self.grid) {
            return err(
                "grid",
                format!("must be from {MIN_GRID} to {MAX_GRID}, got {}", self.grid),
            );
        }
        if !(self.ellipse_scale.is_finite()
            && self.ellipse_scale > 0.0
            && self.ellipse_scale <= 10.0)
        {
            return err(
                "ellipse_scale",
                format!("must be in (0, 10], got {}", self.ellipse_scale),
            );
        }
        if !(self.damping.is_finite() && self.damping >= 0.0) {
            return err(
                "damping",
                format!("must be a finite number >= 0, got {}", self.damping),
            );
        }
        if !(MIN_NODES..=MAX_NODES).contains(&self.nodes) || !self.nodes.is_multiple_of(2) {
            return err(
                "nodes",
                format!(
                    "must be even, from {MIN_NODES} to {MAX_NODES}, got {}",
                    self.nodes
                ),
            );
        }
        let f = &self.flow;
        if f.particles
            .is_some_and(|n| !(PARTICLE_RANGE.0..=PARTICLE_RANGE.1).contains(&n))
        {
            return err(
                "flow.particles",
                format!("must be from {} to {}", PARTICLE_RANGE.0, PARTICLE_RANGE.1),
            );
        }
        if !(f.dt.is_finite() && f.dt > 0.0 && f.dt <= 10.0) {
            return err("flow.dt", format!("must be in (0, 10], got {}", f.dt));
        }
        if !(1..=64).contains(&f.steps_per_frame) {
            return err(
                "flow.steps_per_frame",
                format!("must be from 1 to 64, got {}", f.steps_per_frame),
            );
        }
        if !(f.speed_cap.is_finite() && f.speed_cap > 0.0) {
            return err(
                "flow.speed_cap",
                format!("must be a positive number, got {}", f.speed_cap),
            );
        }
        if f.max_age == 0 {
            return err("flow.max_age", "must be at least 1".into());
        }
        if !(f.fade.is_finite() && f.fade > 0.0 && f.fade <= 1.0) {
            return err("flow.fade", format!("must be in (0, 1], got {}", f.fade));
        }
        let c = &self.camera;
        if !(finite2(c.center)
            && c.half_height.is_finite()
            && c.half_height > 0.0
            && c.x_per_y.is_finite()
            && c.x_per_y > 0.0)
        {
            return err(
                "camera",
                "center must be finite, half_height and x_per_y positive".into(),
            );
        }
        Ok(())
    }

    /// Reads and validates a scene TOML (the viewer's Save format); errors name the file and
    /// the line or field.
    pub fn load(path: &std::path::Path) -> anyhow::Result<Scene> {
        use anyhow::Context;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read scene {}", path.display()))?;
        let scene: Scene =
            toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        scene
            .validate()
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok(scene)
    }

    /// Frames the handles and the probe ([`Camera::fit_slice`]).
    pub fn fit_view(&mut self) {
        self.camera = Camera::fit_slice(&self.model, &self.slice, self.probe);
    }
}

/// A probe position for a newly chosen slice: the target moved by a σ along each mean, a
/// fifth of the way towards the far end of π, and by half along each σ, so the arrows have
/// something to show.
pub fn default_probe(model: &Model, slice: &Slice) -> [f64; 2] {
    let t = slice.coords(model);
    let scale = model.sigma1.max(model.sigma2);
    let moved = |p: Param, v: f64| match p {
        Param::Pi => {
            if v > 0.5 {
                v - 0.3
            } else {
                v + 0.3
            }
        }
        Param::Mu1 | Param::Mu2 => v + scale,
        Param::Sigma1 | Param::Sigma2 => v * 1.5,
    };
    let p = [moved(slice.a, t[0]), moved(slice.b, t[1])];
    clamp_coords(slice, p).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_world_round_trip_and_equal_scaling() {
        let cam = Camera {
            center: [1.0, -2.0],
            half_height: 3.0,
            x_per_y: 1.0,
        };
        let size = [800.0, 600.0];
        let w = cam.pixel_to_world([123.0, 456.0], size);
        // By hand: 6 world units over 600 px is 0.01 per pixel; the pixel is (123 − 400,
        // 456 − 300) from the centre, and y points down on screen.
        let expected = [1.0 + (123.0 - 400.0) * 0.01, -2.0 - (456.0 - 300.0) * 0.01];
        assert!((w[0] - expected[0]).abs() < 1e-12 && (w[1] - expected[1]).abs() < 1e-12);
        let p = cam.world_to_pixel(w, size);
        assert!((p[0] - 123.0).abs() < 1e-3 && (p[1] - 456.0).abs() < 1e-3);
        // One pixel is the same world distance along both axes.
        let a = cam.pixel_to_world([0.0, 0.0], size);
        let b = cam.pixel_to_world([1.0, 1.0], size);
        assert!(((b[0] - a[0]) + (b[1] - a[1])).abs() < 1e-12);
    }

    #[test]
    fn zoom_keeps_the_point_under_the_cursor() {
        let mut cam = Camera::default();
        let size = [640.0, 480.0];
        cam.zoom_about(1.7, [100.0, 50.0], size);
        assert!((cam.half_height - 4.0 / 1.7).abs() < 1e-12);
        // By hand: the pixel is (−220, −190) px from the centre. Before, at 8/480 world units
        // per pixel, it shows (−220·8/480, 190·8/480); after, at 8/(480·1.7), the centre must
        // sit so that the same pixel still shows that point.
        let (before, after) = (8.0 / 480.0, 8.0 / (480.0 * 1.7));
        let anchor = [-220.0 * before, 190.0 * before];
        let center = [anchor[0] + 220.0 * after, anchor[1] - 190.0 * after];
        assert!(
            (cam.center[0] - center[0]).abs() < 1e-12 && (cam.center[1] - center[1]).abs() < 1e-12,
            "{:?} vs {center:?}",
            cam.center
        );
    }

    #[test]
    fn zoom_and_pan_stop_at_the_camera_limits() {
        let size = [160.0, 120.0];
        let mut cam = Camera::default();
        cam.zoom_about(1e30, [80.0, 60.0], size);
        assert_eq!(cam.half_height, 1e-6, "deepest zoom");
        cam.zoom_about(1e-30, [0.0, 0.0], size);
        assert_eq!(cam.half_height, 1e6, "widest zoom");
        // At the widest zoom a 1e5-pixel drag would move the centre by 1e9: it stops at the
        // coordinate limit. Dragging left and down moves the view right and up.
        cam.pan_pixels([-1e5, 1e5], size[1]);
        assert_eq!(cam.center, [WORLD_LIMIT, WORLD_LIMIT]);
        // Nonsense input changes nothing.
        let before = cam;
        cam.zoom_about(f64::NAN, [80.0, 60.0], size);
        cam.zoom_about(0.0, [80.0, 60.0], size);
        cam.zoom_about(-2.0, [80.0, 60.0], size);
        cam.pan_pixels([f32::NAN, 1.0], size[1]);
        assert_eq!(cam, before);
    }

    #[test]
    fn apply_sets_values_within_the_ui_ranges() {
        let mut scene = Scene::default();
        scene.apply(SceneEdit::SetSigma(0.7));
        assert_eq!(scene.model.sigma1, 0.7);
        scene.apply(SceneEdit::SetSigma(1e-9));
        assert_eq!(
            scene.model.sigma1, 0.05,
            "σ below the slider's range clamps to 0.05"
        );
        scene.apply(SceneEdit::SetSigma(1e9));
        assert_eq!(scene.model.sigma1, 5.0);
        scene.apply(SceneEdit::SetSigma(f64::NAN));
        assert_eq!(scene.model.sigma1, 5.0, "NaN changes nothing");
        scene.apply(SceneEdit::SetDamping(-1.0));
        assert_eq!(scene.damping, 0.0);
        scene.apply(SceneEdit::SetDamping(1e3));
        assert_eq!(scene.damping, 10.0);
        scene.apply(SceneEdit::SetGrid(3));
        assert_eq!(scene.grid, 8);
        scene.apply(SceneEdit::SetGrid(1_000_000));
        assert_eq!(scene.grid, 2048);
        scene.apply(SceneEdit::SetNodes(17));
        assert_eq!(scene.nodes, 16, "odd node counts round down to even");
        scene.apply(SceneEdit::SetNodes(1));
        assert_eq!(scene.nodes, 4);
        scene.apply(SceneEdit::SetNodes(10_000));
        assert_eq!(scene.nodes, 512);
        scene.apply(SceneEdit::SetEllipseScale(100.0));
        assert_eq!(scene.ellipse_scale, 4.0);
        scene.apply(SceneEdit::SetParticles(Some(10)));
        assert_eq!(scene.flow.particles, Some(1000));
        scene.apply(SceneEdit::SetParticles(Some(u32::MAX)));
        assert_eq!(scene.flow.particles, Some(1 << 20));
        scene.apply(SceneEdit::SetDt(0.0));
        assert_eq!(scene.flow.dt, 0.001);
        scene.apply(SceneEdit::SetStepsPerFrame(0));
        assert_eq!(scene.flow.steps_per_frame, 1);
        scene.apply(SceneEdit::SetStepsPerFrame(99));
        assert_eq!(scene.flow.steps_per_frame, 16);
        scene.apply(SceneEdit::SetSpeedCap(0.0));
        assert_eq!(scene.flow.speed_cap, 0.05);
        scene.apply(SceneEdit::SetFade(2.0));
        assert_eq!(scene.flow.fade, 1.0);
        scene.apply(SceneEdit::SetTarget([0.25, 0.25]));
        assert_eq!(scene.target(), [0.25, 0.25], "the diagonal is allowed");
        scene.apply(SceneEdit::SetTarget([1e9, -1e9]));
        assert_eq!(scene.target(), [1e6, -1e6]);
        scene.apply(SceneEdit::SetTarget([f64::NAN, 0.0]));
        assert_eq!(scene.target(), [1e6, -1e6], "NaN changes nothing");
        scene.apply(SceneEdit::SetProbe(Some([2.0, f64::INFINITY])));
        assert_eq!(scene.probe, Some([2.0, 1e6]));
        scene.apply(SceneEdit::SetProbe(None));
        assert_eq!(scene.probe, None);
        assert!(!scene.flow.enabled);
        scene.apply(SceneEdit::ToggleFlow);
        assert!(scene.flow.enabled);
        scene.apply(SceneEdit::SetFlow(false));
        assert!(!scene.flow.enabled);
        assert!(scene.validate().is_ok());
    }

    #[test]
    fn apply_zoom_pan_fit_and_reset() {
        let mut scene = Scene {
            grid: 64,
            model: Model::seed(-1.5, 1.0, 0.3),
            ..Scene::default()
        };
        scene.apply(SceneEdit::ZoomAbout {
            factor: 2.0,
            pixel: [80.0, 60.0],
            size: [160.0, 120.0],
        });
        // Zooming about the canvas centre halves the half-height and keeps the centre.
        assert_eq!(scene.camera.half_height, 2.0);
        assert_eq!(scene.camera.center, [0.0, 0.0]);
        scene.apply(SceneEdit::Pan {
            delta_px: [30.0, -15.0],
            height_px: 120.0,
        });
        // 4 world units over 120 px; dragging right and up moves the view left and down.
        let c = scene.camera.center;
        assert!(
            (c[0] + 1.0).abs() < 1e-12 && (c[1] + 0.5).abs() < 1e-12,
            "{c:?}"
        );
        scene.apply(SceneEdit::FitView);
        // Target (−1.5, 1) and probe (1.2, 0.4): the box [−1.5, 1.2] × [−1.5, 1] around the
        // handles and probe, half its larger side (1.35) plus 2.5σ = 0.75.
        assert!((scene.camera.center[0] + 0.15).abs() < 1e-12);
        assert!((scene.camera.center[1] + 0.25).abs() < 1e-12);
        assert!((scene.camera.half_height - 2.1).abs() < 1e-12);
        scene.apply(SceneEdit::Reset);
        assert_eq!(
            scene,
            Scene {
                grid: 64,
                ..Scene::default()
            },
            "reset keeps the grid density only"
        );
    }

    #[test]
    fn validation_names_the_field() {
        let bad = Scene {
            model: Model::seed(-1.5, 1.0, -1.0),
            ..Scene::default()
        };
        assert_eq!(bad.validate().unwrap_err().field, "model");
        let bad = Scene {
            grid: 3,
            ..Scene::default()
        };
        assert_eq!(bad.validate().unwrap_err().field, "grid");
        assert!(Scene::default().validate().is_ok());
    }

    #[test]
    fn scene_round_trips_through_toml() {
        let scene = Scene {
            probe: None,
            model: Model::seed(-1.5, 1.0, 0.7),
            ..Scene::default()
        };
        let text = toml::to_string(&scene).unwrap();
        let back: Scene = toml::from_str(&text).unwrap();
        assert_eq!(back, scene);
    }

    #[test]
    fn old_scene_files_load_unchanged_and_new_ones_round_trip() {
        // A file from before the general model: σ and the target's (μ1, μ2).
        let old: Scene = toml::from_str("sigma = 0.7\ntarget = [0.25, -2.0]\ngrid = 48\n").unwrap();
        assert_eq!(old.model, Model::seed(0.25, -2.0, 0.7));
        assert_eq!(old.slice, Slice::SEED);
        assert_eq!(old.seed_sigma(), Some(0.7));
        assert_eq!((old.grid, old.probe), (48, None));
        // A general one: keys the model omits keep the default scene's values.
        let general: Scene = toml::from_str(
            "slice = [\"pi\", \"mu1\"]\nmetric = \"profiled\"\n[model]\npi = 0.3\nsigma2 = 2\n",
        )
        .unwrap();
        assert_eq!(
            general.model,
            Model {
                pi: 0.3,
                sigma2: 2.0,
                ..Model::seed(-1.5, 1.0, 1.0)
            }
        );
        assert_eq!(general.target(), [0.3, -1.5]);
        assert_eq!(general.metric, Metric::Profiled);
        assert_eq!(
            general.twin(),
            None,
            "the swapped target has π = 0.7, μ2 = −1.5: off this slice"
        );
        assert_eq!(general.seed_sigma(), None);
        // No camera in the file: fitted to the slice (π's whole interval in view).
        let (lo, hi) = general.camera.visible_rect([1400.0, 900.0]);
        assert!(lo[0] < 0.0 && hi[0] > 1.0 && general.camera.x_per_y != 1.0);
        assert_eq!(
            old.camera,
            Camera::default(),
            "the seed's slice keeps the default view"
        );
        let text = toml::to_string(&general).unwrap();
        assert_eq!(toml::from_str::<Scene>(&text).unwrap(), general);
        // Negative controls: σ twice, an unknown parameter, a slice naming one twice.
        let both = toml::from_str::<Scene>("sigma = 1.0\n[model]\nsigma1 = 2.0\n").unwrap_err();
        assert!(both.to_string().contains("sigma"), "{both}");
        let unknown = toml::from_str::<Scene>("[model]\nsigma3 = 2.0\n").unwrap_err();
        assert!(unknown.to_string().contains("sigma3"), "{unknown}");
        let twice = toml::from_str::<Scene>("slice = [\"mu1\", \"mu1\"]\n").unwrap_err();
        assert!(twice.to_string().contains("twice"), "{twice}");
    }

    #[test]
    fn presets_are_valid_and_scale_each_axis_in_its_own_units() {
        for preset in Preset::ALL {
            let mut scene = Scene::default();
            scene.apply(SceneEdit::ApplyPreset(preset));
            assert!(
                scene.validate().is_ok(),
                "{preset:?}: {:?}",
                scene.validate()
            );
            let (lo, hi) = scene.camera.visible_rect([1400.0, 900.0]);
            let t = scene.target();
            assert!(
                (lo[0]..=hi[0]).contains(&t[0]) && (lo[1]..=hi[1]).contains(&t[1]),
                "{preset:?}: the handle is in view"
            );
            let mixes_units = scene.slice.contains(Param::Pi);
            assert_eq!(scene.camera.x_per_y != 1.0, mixes_units, "{preset:?}");
        }
        // (π, μ1): the whole open interval of π shows, beside several σ of μ1.
        let mut scene = Scene::default();
        scene.apply(SceneEdit::ApplyPreset(Preset::WeightSingularity));
        let (lo, hi) = scene.camera.visible_rect([1400.0, 900.0]);
        assert!(lo[0] < 0.0 && hi[0] > 1.0, "{lo:?} {hi:?}");
        assert!(hi[1] - lo[1] > 4.0);
        // The half-plane: the twin does not exist at π = 1 (the swap has π = 0).
        scene.apply(SceneEdit::ApplyPreset(Preset::HalfPlane));
        assert_eq!(scene.twin(), None);
        assert_eq!(scene.model.pi, 1.0);
    }

    #[test]
    fn edits_keep_the_model_inside_its_domain() {
        let mut scene = Scene::default();
        scene.apply(SceneEdit::SetSlice(Slice {
            a: Param::Pi,
            b: Param::Sigma1,
        }));
        assert_eq!(scene.target(), [0.5, 1.0]);
        // Dragging the handle past the model's edges stops inside it.
        scene.apply(SceneEdit::SetTarget([1.7, -3.0]));
        assert_eq!(scene.target(), [1.0 - PI_EDGE, SIGMA_FLOOR]);
        scene.apply(SceneEdit::SetProbe(Some([-1.0, 0.0])));
        assert_eq!(scene.probe, Some([PI_EDGE, SIGMA_FLOOR]));
        // A held π may sit on the boundary (π = 1 is one Gaussian) ...
        scene.apply(SceneEdit::SetSlice(Slice::SEED));
        scene.apply(SceneEdit::SetParam(Param::Pi, 2.0));
        assert_eq!(scene.model.pi, 1.0);
        assert!(scene.validate().is_ok());
        // ... and moves inside when it becomes a slice coordinate.
        scene.apply(SceneEdit::SetSlice(Slice {
            a: Param::Pi,
            b: Param::Mu2,
        }));
        assert_eq!(scene.model.pi, 1.0 - PI_EDGE);
        assert!(scene.validate().is_ok());
        // A slice naming one parameter twice changes nothing.
        let before = scene.clone();
        scene.apply(SceneEdit::SetSlice(Slice {
            a: Param::Mu1,
            b: Param::Mu1,
        }));
        assert_eq!(scene, before);
        scene.apply(SceneEdit::SetParam(Param::Sigma2, f64::NAN));
        assert_eq!(scene, before, "NaN changes nothing");
    }

    #[test]
    fn unequal_scaling_maps_pixels_per_axis() {
        let cam = Camera {
            center: [0.5, 0.0],
            half_height: 3.0,
            x_per_y: 0.1,
        };
        let size = [800.0, 600.0];
        // 6 vertical units over 600 px: 0.01 per pixel; horizontally a tenth of that.
        let a = cam.pixel_to_world([400.0, 300.0], size);
        let b = cam.pixel_to_world([500.0, 200.0], size);
        assert!((b[0] - a[0] - 0.1).abs() < 1e-12 && (b[1] - a[1] - 1.0).abs() < 1e-12);
        let p = cam.world_to_pixel(b, size);
        assert!((p[0] - 500.0).abs() < 1e-3 && (p[1] - 200.0).abs() < 1e-3);
    }
}
