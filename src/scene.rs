//! The scene state: the single source of truth that the UI edits, a capture scenario drives
//! and the renderer draws. Plain data with serde, so a live session can be saved as TOML and
//! replayed as a scenario.

use serde::{Deserialize, Serialize};

use crate::math::quadrature::{DEFAULT_NODES_F32, MAX_NODES, MIN_NODES};

/// Smallest and largest σ the UI offers (log slider).
pub const SIGMA_RANGE: (f64, f64) = (0.05, 5.0);
/// Smallest grid density (cells across the view height).
pub const MIN_GRID: u32 = 8;
/// Largest grid density offered when the device allows it.
pub const MAX_GRID: u32 = 2048;

/// The 2-D view of the (μ1, μ2) plane: equal scaling on both axes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Camera {
    /// World point at the centre of the canvas.
    pub center: [f64; 2],
    /// Half the visible extent along μ2 (world units); the μ1 extent follows the aspect.
    pub half_height: f64,
}

impl Default for Camera {
    fn default() -> Self {
        Self {
            center: [0.0, 0.0],
            half_height: 4.0,
        }
    }
}

impl Camera {
    /// World units per physical pixel for a canvas `height_px` tall.
    pub fn world_per_pixel(&self, height_px: f32) -> f64 {
        2.0 * self.half_height / height_px.max(1.0) as f64
    }

    /// The visible rectangle ([min], [max]) for a canvas of `size_px`.
    pub fn visible_rect(&self, size_px: [f32; 2]) -> ([f64; 2], [f64; 2]) {
        let aspect = size_px[0].max(1.0) as f64 / size_px[1].max(1.0) as f64;
        let half = [self.half_height * aspect, self.half_height];
        (
            [self.center[0] - half[0], self.center[1] - half[1]],
            [self.center[0] + half[0], self.center[1] + half[1]],
        )
    }

    /// Pixel (origin top-left, y down) to world.
    pub fn pixel_to_world(&self, pixel: [f32; 2], size_px: [f32; 2]) -> [f64; 2] {
        let s = self.world_per_pixel(size_px[1]);
        [
            self.center[0] + (pixel[0] as f64 - 0.5 * size_px[0] as f64) * s,
            self.center[1] - (pixel[1] as f64 - 0.5 * size_px[1] as f64) * s,
        ]
    }

    /// World to pixel (origin top-left, y down).
    pub fn world_to_pixel(&self, world: [f64; 2], size_px: [f32; 2]) -> [f32; 2] {
        let s = self.world_per_pixel(size_px[1]);
        [
            ((world[0] - self.center[0]) / s + 0.5 * size_px[0] as f64) as f32,
            (-(world[1] - self.center[1]) / s + 0.5 * size_px[1] as f64) as f32,
        ]
    }

    /// Zooms by `factor` (> 1 zooms in) keeping the world point under `pixel` fixed.
    pub fn zoom_about(&mut self, factor: f64, pixel: [f32; 2], size_px: [f32; 2]) {
        let anchor = self.pixel_to_world(pixel, size_px);
        self.half_height = (self.half_height / factor).clamp(1e-4, 1e4);
        let moved = self.pixel_to_world(pixel, size_px);
        self.center[0] += anchor[0] - moved[0];
        self.center[1] += anchor[1] - moved[1];
    }

    /// Moves the view by a pixel delta (dragging the canvas by `delta_px` moves the world with
    /// the pointer).
    pub fn pan_pixels(&mut self, delta_px: [f32; 2], height_px: f32) {
        let s = self.world_per_pixel(height_px);
        self.center[0] -= delta_px[0] as f64 * s;
        self.center[1] += delta_px[1] as f64 * s;
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
        }
    }
}

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

/// Which gradient flow the particles follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FlowMode {
    /// dθ/dt = −(F + λI)⁻¹∇L (cyan).
    Natural,
    /// dθ/dt = −∇L (red).
    Euclidean,
    /// Both, in pairs from the same seeds.
    Both,
}

impl FlowMode {
    /// The shader's `mode` value.
    pub fn code(self) -> u32 {
        match self {
            FlowMode::Natural => 0,
            FlowMode::Euclidean => 1,
            FlowMode::Both => 2,
        }
    }
}

/// The time integrator of the flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Integrator {
    /// Classical fourth-order Runge–Kutta.
    Rk4,
    /// Forward Euler (for comparison).
    Euler,
}

impl Integrator {
    /// The shader's `integrator` value.
    pub fn code(self) -> u32 {
        match self {
            Integrator::Rk4 => 0,
            Integrator::Euler => 1,
        }
    }
}

/// How particles are coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParticleColor {
    /// Cyan natural, red Euclidean.
    Mode,
    /// By Fisher–Rao speed √(θ̇ᵀFθ̇) on the colour map (log scale).
    Speed,
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scene {
    /// Shared standard deviation σ.
    pub sigma: f64,
    /// The target θ* = (μ1*, μ2*); its twin (μ2*, μ1*) is implied.
    pub target: [f64; 2],
    /// Where the gradient arrows are drawn, if anywhere. Absent in a TOML file means no probe
    /// (not the default scene's), so a scene without one round-trips.
    #[serde(default)]
    pub probe: Option<[f64; 2]>,
    /// Grid density: cells across the view height (cells are square in world units).
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
}

impl Default for Scene {
    fn default() -> Self {
        Self {
            sigma: 1.0,
            target: [-1.5, 1.0],
            probe: Some([1.2, 0.4]),
            grid: 32,
            ellipse_scale: 1.0,
            damping: 0.0,
            nodes: DEFAULT_NODES_F32,
            camera: Camera::default(),
            layers: Layers::default(),
            flow: Flow::default(),
        }
    }
}

/// A scene value out of range: which field, and what is allowed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SceneError {
    /// The field's name as in the TOML file.
    pub field: &'static str,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl Scene {
    /// The label-swapped twin of the target.
    pub fn twin(&self) -> [f64; 2] {
        [self.target[1], self.target[0]]
    }

    /// Checks every field's range.
    pub fn validate(&self) -> Result<(), SceneError> {
        let err = |field, message: String| Err(SceneError { field, message });
        let finite2 = |v: [f64; 2]| v.iter().all(|x| x.is_finite());
        if !(self.sigma.is_finite() && self.sigma > 0.0) {
            return err(
                "sigma",
                format!("must be a positive number, got {}", self.sigma),
            );
        }
        if !finite2(self.target) {
            return err("target", "must be two finite numbers".into());
        }
        if self.probe.is_some_and(|p| !finite2(p)) {
            return err("probe", "must be two finite numbers".into());
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
        if !(finite2(c.center) && c.half_height.is_finite() && c.half_height > 0.0) {
            return err(
                "camera",
                "center must be finite and half_height positive".into(),
            );
        }
        Ok(())
    }

    /// Frames both handles, the diagonal between them and the probe.
    pub fn fit_view(&mut self) {
        self.camera = Camera::fit(self.target, self.sigma, self.probe);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_world_round_trip_and_equal_scaling() {
        let cam = Camera {
            center: [1.0, -2.0],
            half_height: 3.0,
        };
        let size = [800.0, 600.0];
        let w = cam.pixel_to_world([123.0, 456.0], size);
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
        let before = cam.pixel_to_world([100.0, 50.0], size);
        cam.zoom_about(1.7, [100.0, 50.0], size);
        let after = cam.pixel_to_world([100.0, 50.0], size);
        assert!((before[0] - after[0]).abs() < 1e-9 && (before[1] - after[1]).abs() < 1e-9);
        assert!((cam.half_height - 4.0 / 1.7).abs() < 1e-12);
    }

    #[test]
    fn validation_names_the_field() {
        let bad = Scene {
            sigma: -1.0,
            ..Scene::default()
        };
        assert_eq!(bad.validate().unwrap_err().field, "sigma");
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
            sigma: 0.7,
            ..Scene::default()
        };
        let text = toml::to_string(&scene).unwrap();
        let back: Scene = toml::from_str(&text).unwrap();
        assert_eq!(back, scene);
    }
}
