//! What the UI keeps between frames beside the scene ([`UiState`]: help, toast, drag, the
//! cached panel numbers) and what the app hands it every frame ([`FrameContext`]).

use egui::Rect;

use crate::features::field::layer_ellipses::CAP_CELLS;
use crate::features::kfac_lab::panel::KfacTab;
use crate::frame::numbers::{self, PanelNumbers};
use crate::math::{Metric, Model, Slice};
use crate::render::FrameInfo;
use crate::scene::Scene;

/// What the pointer is dragging on the canvas or the density strip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drag {
    /// The target handle θ*.
    Target,
    /// The twin handle: the label-swapped target, where it lies in the slice.
    Twin,
    /// The view.
    Pan,
    /// A mean's marker on the density strip (0: μ1*, 1: μ2*).
    DensityMarker(usize),
    /// The optimizer race's start handle.
    RaceStart,
}

/// State of the UI that is not part of the scene.
pub struct UiState {
    /// The help overlay is open.
    pub show_help: bool,
    /// A message and the time (egui seconds) until which it shows.
    pub toast: Option<(String, f64)>,
    /// The drag in progress.
    pub drag: Option<Drag>,
    /// The canvas rectangle of the last frame, in points.
    pub canvas_rect: Option<Rect>,
    /// Set by the app while a recording runs.
    pub recording: bool,
    /// Path of the scene file for save and load.
    pub scene_path: String,
    /// On the seed's slice with σ1 = σ2, show two σ sliders instead of the shared one (the
    /// user unticked "σ1 = σ2").
    pub untie_sigmas: bool,
    numbers: Option<(NumbersKey, PanelNumbers)>,
    /// The policy plane's rollout start (position, velocity); None: the plant's default, one
    /// standard deviation of position at rest. A view input, like the help's state, not part
    /// of the picture's scene.
    pub rollout_start: Option<[f64; 2]>,
    /// The policy plane's distances to the triangle's edge along the probe's two arrows,
    /// with the inputs they were computed for (recomputed when those change).
    /// The K-FAC tab's own state (made the first time the tab is shown).
    pub(super) kfac: Option<KfacTab>,
}

impl Default for UiState {
    fn default() -> Self {
        Self {
            show_help: false,
            toast: None,
            drag: None,
            canvas_rect: None,
            recording: false,
            scene_path: "fisherflow-scene.toml".to_owned(),
            untie_sigmas: false,
            numbers: None,
            rollout_start: None,
            kfac: None,
        }
    }
}

/// Everything [`numbers::compute`] reads: the numbers are recomputed only when this changes
/// (a general recompute costs about a millisecond, too much for every frame).
#[derive(Clone, Debug, PartialEq)]
struct NumbersKey {
    model: Model,
    slice: Slice,
    metric: Metric,
    probe: Option<[f64; 2]>,
    damping: f64,
    epsilon: f64,
    cap: f64,
    /// The KL check's step is capped in display units, which depend on it.
    x_per_y: f64,
}

/// Per-frame facts from the app that the UI displays.
pub struct FrameContext<'a> {
    /// The canvas texture, once the renderer has one.
    pub canvas_texture: Option<egui::TextureId>,
    /// What the renderer did last frame.
    pub info: FrameInfo,
    /// Adapter name and backend.
    pub adapter: &'a str,
    /// Smoothed frame time, milliseconds.
    pub frame_ms: f64,
    /// Particle count used when the scene leaves it to the adapter.
    pub default_particles: u32,
    /// The layers' legend boxes of the last frame (`SceneRenderer::legends`).
    pub legends: &'a [crate::render::layer::Legend],
    /// The layers' canvas labels of the last frame (`SceneRenderer::labels`).
    pub labels: &'a [crate::render::layer::CanvasLabel],
    /// The off-loop results (race, estimates, the K-FAC lab) as of the last frame.
    pub jobs: &'a crate::jobs::SceneJobs,
}

impl UiState {
    /// Shows a message for a few seconds.
    pub fn toast(&mut self, ctx: &egui::Context, message: impl Into<String>) {
        let now = ctx.input(|i| i.time);
        self.toast = Some((message.into(), now + 5.0));
    }

    /// The panel numbers for the current scene (recomputed only when their inputs change).
    pub fn numbers(&mut self, scene: &Scene, info: &FrameInfo) -> &PanelNumbers {
        let key = NumbersKey {
            model: scene.model,
            slice: scene.slice,
            metric: scene.metric,
            probe: scene.probe,
            damping: scene.damping,
            epsilon: info.epsilon,
            cap: CAP_CELLS * info.cell,
            x_per_y: scene.camera.x_per_y,
        };
        if self.numbers.as_ref().is_none_or(|(k, _)| *k != key) {
            let computed = numbers::compute(scene, key.epsilon, key.cap);
            self.numbers = Some((key, computed));
        }
        &self.numbers.as_ref().expect("filled just above").1
    }
}
