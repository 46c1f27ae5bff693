//! The scene state: the single source of truth that the UI edits, a capture scenario drives
//! and the renderer draws. Plain data with serde, so a live session can be saved as TOML and
//! replayed as a scenario.
//!
//! Interactive edits go through [`Scene::apply`] with a [`SceneEdit`]: the viewer's widgets,
//! canvas gestures and keys, and the soak test (`tests/soak/soak.rs`) that replays thousands of
//! random edits. `apply` clamps every value to the range the UI offers (the `*_RANGE`
//! constants below, the camera's zoom and coordinate limits), so no edit sequence can leave
//! the scene invalid or outside what the renderer was tested with.
//!
//! Each feature's settings come from its folder (`src/features/<name>/settings.rs`: the type,
//! its defaults, ranges and clamping) and are one field here. The state's other parts live
//! beside this file: the [`Camera`] (`camera.rs`), what no one feature owns (`settings.rs`),
//! the file format and its old spellings (`file.rs`), the presets (`preset.rs`), the edits
//! (`edit.rs`) and the family on the canvas with what it offers (`family.rs`).

mod camera;
mod edit;
mod family;
mod file;
mod preset;
mod settings;
#[cfg(test)]
mod tests;

pub use crate::features::convergence::settings::{
    CONVERGENCE_SIDE_RANGE, CONVERGENCE_STEPS_RANGE, CONVERGENCE_THRESHOLD_RANGE, Convergence,
    ConvergenceView,
};
pub use crate::features::estimates::settings::{EllipseSource, Estimates};
pub use crate::features::flow::settings::{
    DT_RANGE, FADE_RANGE, Flow, FlowEdit, FlowEditKind, FlowMode, Integrator, PARTICLE_RANGE,
    ParticleColor, SPEED_CAP_RANGE, STEPS_PER_FRAME_RANGE,
};
pub use crate::features::geodesics::settings::{BALL_RADIUS_RANGE, BALL_RAYS_RANGE, Geodesics};
pub use crate::features::heatmap::settings::Heatmap;
pub use crate::features::race::settings::{
    PolicyPer, PolicyRates, RACE_STEPS_RANGE, RING_RADIUS_RANGE, RING_STARTS_RANGE, Race,
};
pub use camera::*;
pub use edit::*;
pub use family::*;
pub use preset::*;
pub use settings::*;

use file::SceneFile;

use serde::{Deserialize, Serialize};

pub use crate::features::{FeatureEdit, FeatureKind, Features, Settings};
pub use crate::kfac::lab::KfacLab;

use crate::math::policy::System;
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
/// Quadrature node counts the UI's menu offers (any even count in MIN_NODES..=MAX_NODES is
/// valid; these are the useful ones).
pub const NODE_CHOICES: [u32; 6] = [16, 32, 48, 64, 96, 128];
/// Largest |coordinate| of a world point an edit may set (target, probe, camera centre). Far
/// beyond any interesting θ, and small enough that f32 positions and the squares the kernels
/// form stay finite.
pub const WORLD_LIMIT: f64 = 1e6;

/// Everything the picture depends on.
///
/// `model` is the target θ*, all five parameters of the general mixture; the canvas is the
/// slice through it named by `slice`: the handle sits at the model's slice coordinates, and the
/// three held parameters take the model's values everywhere on the canvas. A file may instead
/// give the seed's `sigma` (σ1 = σ2) and `target = [μ1, μ2]` (slice coordinates): old scene
/// files load unchanged (`file.rs`'s `SceneFile`).
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
    /// Every feature's settings (`src/features/mod.rs`'s list), each a table at the top of a
    /// scene file: `[flow]`, `[race]`, `heatmap = "loss"`, ….
    #[serde(flatten)]
    pub features: Features,
    /// Which view the window shows.
    pub tab: Tab,
    /// The policy plane's plant, weights and exploration: when given, the canvas shows the
    /// policy plane of its gains instead of the mixture ([`Family`]); `model` and `slice` are
    /// kept for when the mixture comes back. A `[system]` table in a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<System>,
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
            features: Features::default(),
            tab: Tab::Geometry,
            system: None,
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
    /// `xy` (slice coordinates) when it and the target both lie inside the model, where the
    /// CPU work from a point (the race, the paths, the estimates) can start; None otherwise.
    pub fn inside_model(&self, xy: [f64; 2]) -> Option<[f64; 2]> {
        if let Some(lqr) = self.lqr() {
            return lqr.evaluate(xy).closed.map(|_| xy);
        }
        self.model.validate_for(&self.slice).ok()?;
        self.slice
            .place(&self.model, xy)
            .validate_for(&self.slice)
            .ok()?;
        Some(xy)
    }

    /// The target θ*'s slice coordinates (where its handle is drawn); on the policy plane the
    /// optimum K* (computed by policy iteration, a few microseconds).
    pub fn target(&self) -> [f64; 2] {
        match self.lqr() {
            Some(lqr) => lqr.optimum().0,
            None => self.slice.coords(&self.model),
        }
    }

    /// The twin handle: the label-swapped target's slice coordinates, where that lies in the
    /// slice (always on the seed's slice; never with π ≠ ½ held, for example).
    pub fn twin(&self) -> Option<[f64; 2]> {
        if self.system.is_some() {
            return None;
        }
        self.slice.twin(&self.model, &self.model)
    }

    /// The seed's σ when the canvas is the seed's model and slice — (μ1, μ2) with π = ½ and
    /// σ1 = σ2 — which the seed kernels (rotated basis, exact diagonal) evaluate; None for
    /// every other slice, which the general kernel evaluates.
    pub fn seed_sigma(&self) -> Option<f64> {
        if self.system.is_some() {
            return None;
        }
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
        if let Some(system) = &self.system
            && let Err(e) = system.validate()
        {
            return err("system", e.to_string());
        }
        if self.probe.is_some_and(|p| !finite2(p)) {
            return err("probe", "must be two finite numbers".into());
        }
        // On the policy plane a probe may lie outside the stability triangle: its arrows are
        // undefined there, but its rollout shows the plant falling.
        if self.system.is_none()
            && let Some(p) = self.probe
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
        if let Err((field, message)) = self.features.flow.validate() {
            return err(field, message);
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
        self.camera = match &self.system {
            Some(system) => policy_view(system, self.probe),
            None => Camera::fit_slice(&self.model, &self.slice, self.probe),
        };
    }
}
