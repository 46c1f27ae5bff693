//! The viewer's egui layer: the side panel (controls and numbers), the canvas widget (the
//! scene texture, with pan, zoom, handle dragging and probe placement), the density strip,
//! the help overlay and toasts. Everything here edits the [`Scene`], and only through
//! [`Scene::apply`] (widgets work on a copy of the value and apply a [`SceneEdit`] when it
//! changed), so the UI obeys the same clamps as the soak test that replays random edits.
//! Nothing here draws the plane itself. Pure egui, so the kittest tests drive it without a
//! window.

use egui::{Color32, FontId, Key, Pos2, Rect, RichText, Sense, Stroke, pos2, vec2};

use crate::frame::numbers::{self, Kappa, PanelNumbers};
use crate::frame::overlay::{self, color, screen_to_world, symbol, world_to_screen};
use crate::math::general::Mat5;
use crate::math::{Metric, Model, Param, Slice};
use crate::render::colormap::palette;
use crate::render::ellipses::CAP_CELLS;
use crate::render::{FrameInfo, HANDLE_RADIUS_PT};
use crate::scene::{
    DAMPING_RANGE, DT_RANGE, ELLIPSE_SCALE_RANGE, FADE_RANGE, MAX_GRID, MIN_GRID, NODE_CHOICES,
    Preset, SPEED_CAP_RANGE, STEPS_PER_FRAME_RANGE, Scene, SceneEdit, held_range,
};

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
    /// The K-FAC tab's own state (made the first time the tab is shown).
    kfac: Option<super::kfac_tab::KfacTab>,
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

/// What a panel asks for: a scene edit, or something only the app can do.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Edit the scene (applied through [`Scene::apply`], in order, after the panels ran).
    Edit(SceneEdit),
    /// Save a screenshot of the window (P, or the button).
    Screenshot,
    /// Save the scene to `UiState::scene_path`.
    SaveScene,
    /// Load the scene from `UiState::scene_path`.
    LoadScene,
    /// Start or stop recording (V, or the button).
    ToggleRecording,
    /// Train the K-FAC lab from its start again (the tab's reset).
    RestartLab,
}

/// Lays out the whole window: side panel, density strip, canvas. Each panel returns the
/// commands its widgets produced; the scene edits among them are applied here, in one place,
/// and the rest are returned for the app (screenshot, save, load, recording).
pub fn show(
    ui: &mut egui::Ui,
    scene: &mut Scene,
    state: &mut UiState,
    frame: &FrameContext<'_>,
) -> Vec<Command> {
    let mut commands = handle_keys(ui, state);
    let current = scene.clone();
    commands.extend(tab_bar(ui, &current));
    if current.tab == crate::scene::Tab::Kfac {
        return kfac_view(ui, scene, state, frame, commands);
    }
    commands.extend(
        egui::Panel::left("controls")
            .resizable(true)
            .default_size(300.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .show(ui, |ui| side_panel(ui, &current, state, frame))
                    .inner
            })
            .inner,
    );
    commands.extend(
        egui::Panel::bottom("density")
            .resizable(false)
            .exact_size(150.0)
            .show(ui, |ui| density_strip(ui, &current, state))
            .inner,
    );
    if current.race.enabled {
        egui::Panel::right("race results")
            .resizable(true)
            .default_size(360.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    super::race_panel::results(ui, &current, frame.jobs)
                });
            });
    }
    commands.extend(
        egui::CentralPanel::no_frame()
            .show(ui, |ui| canvas(ui, &current, state, frame))
            .inner,
    );
    let mut for_app = Vec::new();
    for command in commands {
        match command {
            Command::Edit(edit) => scene.apply(edit),
            other => for_app.push(other),
        }
    }
    help_window(ui, state);
    toast(ui, state);
    if state.recording {
        egui::Area::new(egui::Id::unique("fisherflow recording"))
            .anchor(egui::Align2::RIGHT_BOTTOM, vec2(-12.0, -160.0))
            .show(ui, |ui| {
                ui.label(
                    RichText::new("● REC")
                        .color(Color32::from_rgb(255, 60, 60))
                        .strong(),
                );
            });
    }
    for_app
}

fn handle_keys(ui: &egui::Ui, state: &mut UiState) -> Vec<Command> {
    let mut out = Vec::new();
    if ui.ctx().egui_wants_keyboard_input() {
        return out;
    }
    let pressed = |key| ui.input(|i| i.key_pressed(key));
    if pressed(Key::R) {
        out.push(Command::Edit(SceneEdit::Reset));
        state.toast(ui.ctx(), "scene reset (R)");
    }
    if pressed(Key::F) {
        out.push(Command::Edit(SceneEdit::FitView));
    }
    if pressed(Key::P) {
        out.push(Command::Screenshot);
    }
    if pressed(Key::Space) {
        out.push(Command::Edit(SceneEdit::ToggleFlow));
    }
    if pressed(Key::V) {
        out.push(Command::ToggleRecording);
    }
    if pressed(Key::H) {
        state.show_help = !state.show_help;
    }
    if pressed(Key::Escape) {
        state.show_help = false;
    }
    out
}

/// Shows a widget on a copy of the value `get` reads and applies `edit(copy)` when the widget
/// changed it:
/// the scene is only ever written through [`Scene::apply`].
fn edit_copy<T: Clone + PartialEq>(
    out: &mut Vec<Command>,
    scene: &Scene,
    get: impl FnOnce(&Scene) -> T,
    widget: impl FnOnce(&mut T),
    edit: impl FnOnce(T) -> SceneEdit,
) {
    let value = get(scene);
    let mut copy = value.clone();
    widget(&mut copy);
    if copy != value {
        out.push(Command::Edit(edit(copy)));
    }
}

/// Labelled numeric editor (the label names it for accessibility and tests).
fn labelled_drag(ui: &mut egui::Ui, label: &str, value: &mut f64, speed: f64) -> egui::Response {
    ui.horizontal(|ui| {
        let l = ui.label(label);
        ui.add(egui::DragValue::new(value).speed(speed).max_decimals(4))
            .labelled_by(l.id)
    })
    .inner
}

fn side_panel(
    ui: &mut egui::Ui,
    scene: &Scene,
    state: &mut UiState,
    frame: &FrameContext<'_>,
) -> Vec<Command> {
    let mut out = Vec::new();
    ui.heading("fisherflow");
    out.extend(model_section(ui, scene, state));
    ui.separator();
    ui.strong("Field");
    let limit = frame.info.max_grid.clamp(MIN_GRID, MAX_GRID);
    edit_copy(
        &mut out,
        scene,
        |s| s.grid,
        |v| {
            ui.add(
                egui::Slider::new(v, MIN_GRID..=limit.max(1024.min(MAX_GRID)))
                    .logarithmic(true)
                    .text("grid"),
            );
        },
        SceneEdit::SetGrid,
    );
    if scene.grid > frame.info.max_grid {
        ui.colored_label(
            Color32::from_rgb(255, 170, 60),
            format!("device limit: {} (using it)", frame.info.max_grid),
        );
    } else {
        ui.label(
            RichText::new(format!(
                "cells across the view height; device limit {}",
                frame.info.max_grid
            ))
            .small(),
        );
    }
    edit_copy(
        &mut out,
        scene,
        |s| s.nodes,
        |nodes| {
            egui::ComboBox::from_label("quadrature nodes")
                .selected_text(nodes.to_string())
                .show_ui(ui, |ui| {
                    for q in NODE_CHOICES {
                        ui.selectable_value(nodes, q, q.to_string());
                    }
                });
        },
        SceneEdit::SetNodes,
    );
    edit_copy(
        &mut out,
        scene,
        |s| s.ellipse_scale,
        |v| {
            ui.add(
                egui::Slider::new(v, ELLIPSE_SCALE_RANGE.0..=ELLIPSE_SCALE_RANGE.1)
                    .logarithmic(true)
                    .text("ellipse scale"),
            );
        },
        SceneEdit::SetEllipseScale,
    );

    ui.separator();
    out.extend(flow_controls(ui, scene, frame));

    ui.separator();
    out.extend(geodesic_controls(ui, scene));
    ui.separator();
    out.extend(super::convergence_panel::show(ui, scene));
    ui.separator();
    out.extend(super::race_panel::show(ui, scene));

    ui.separator();
    ui.strong("Layers");
    edit_copy(
        &mut out,
        scene,
        |s| s.layers,
        |l| {
            ui.horizontal_wrapped(|ui| {
                ui.checkbox(&mut l.ellipses, "ellipses");
                ui.checkbox(&mut l.axes, "axes");
                ui.checkbox(&mut l.handles, "handles");
                ui.checkbox(&mut l.probe, "probe");
                ui.checkbox(&mut l.legend, "legend");
            });
        },
        SceneEdit::SetLayers,
    );
    edit_copy(
        &mut out,
        scene,
        |s| s.heatmap,
        |h| {
            egui::ComboBox::from_label("heatmap")
                .selected_text(h.label())
                .show_ui(ui, |ui| {
                    for choice in crate::scene::Heatmap::ALL {
                        ui.selectable_value(h, choice, choice.label());
                    }
                });
        },
        SceneEdit::SetHeatmap,
    );
    ui.horizontal(|ui| {
        if ui.button("Fit view (F)").clicked() {
            out.push(Command::Edit(SceneEdit::FitView));
        }
        if ui.button("Screenshot (P)").clicked() {
            out.push(Command::Screenshot);
        }
        if ui.button("Help (H)").clicked() {
            state.show_help = !state.show_help;
        }
    });

    ui.separator();
    ui.strong("Scene file and recording");
    ui.horizontal(|ui| {
        let l = ui.label("file");
        ui.add(egui::TextEdit::singleline(&mut state.scene_path).desired_width(150.0))
            .labelled_by(l.id);
        if ui.button("Save").clicked() {
            out.push(Command::SaveScene);
        }
        if ui.button("Load").clicked() {
            out.push(Command::LoadScene);
        }
    });
    let record_label = if state.recording {
        "■ Stop recording (V)"
    } else {
        "● Record (V)"
    };
    if ui.button(record_label).clicked() {
        out.push(Command::ToggleRecording);
    }

    ui.separator();
    out.extend(super::estimates_panel::show(ui, scene, frame.jobs));
    let numbers = state.numbers(scene, &frame.info).clone();
    ui.separator();
    target_numbers(ui, scene, &numbers);
    ui.separator();
    out.extend(probe_numbers(ui, scene, &numbers));
    ui.separator();
    match &numbers.probe {
        Some(p) => full_matrix(ui, "Full Fisher matrix F (5×5) at the probe", &p.full),
        None => full_matrix(ui, "Full Fisher matrix F (5×5) at θ*", &numbers.target.full),
    }
    ui.separator();
    ui.strong("Performance");
    ui.label(format!(
        "{:.1} ms/frame · {} cells",
        frame.frame_ms, frame.info.cells
    ));
    ui.label(RichText::new(frame.adapter).small());
    out
}

/// The geodesic ball (radius, rays, spokes) and the shortest paths from the probe.
fn geodesic_controls(ui: &mut egui::Ui, scene: &Scene) -> Vec<Command> {
    use crate::scene::{BALL_RADIUS_RANGE, BALL_RAYS_RANGE};
    let mut out = Vec::new();
    edit_copy(
        &mut out,
        scene,
        |s| s.geodesics,
        |g| {
            ui.horizontal(|ui| {
                ui.strong("Geodesics");
                ui.checkbox(&mut g.ball, "ball");
                ui.checkbox(&mut g.spokes, "spokes");
                ui.checkbox(&mut g.shortest_path, "shortest paths");
            });
            ui.add(
                egui::Slider::new(&mut g.radius, BALL_RADIUS_RANGE.0..=BALL_RADIUS_RANGE.1)
                    .logarithmic(true)
                    .text("ball radius r (Fisher–Rao)"),
            );
            ui.add(
                egui::Slider::new(&mut g.rays, BALL_RAYS_RANGE.0..=BALL_RAYS_RANGE.1)
                    .logarithmic(true)
                    .text("geodesics in the ball"),
            );
        },
        SceneEdit::SetGeodesics,
    );
    if (scene.geodesics.ball || scene.geodesics.shortest_path) && scene.probe.is_none() {
        ui.label(RichText::new("place a probe (click the canvas) to shoot geodesics").small());
    }
    if scene.metric == crate::math::Metric::Profiled
        && (scene.geodesics.ball || scene.geodesics.shortest_path)
    {
        ui.label(
            RichText::new("geodesics use the induced metric (curves within the slice)").small(),
        );
    }
    out
}

/// A value for the headings: up to three decimals without trailing zeros, or scientific
/// notation where that would hide it.
fn short(v: f64) -> String {
    if v == 0.0 {
        return "0".to_owned();
    }
    if !(1e-3..1e4).contains(&v.abs()) {
        return format!("{v:.2e}");
    }
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.replace('-', "−")
}

/// The model with its current values, e.g. "p = 0.5·N(−1.5, 1²) + 0.5·N(1, 1²)".
pub fn model_heading(m: &Model) -> String {
    format!(
        "p = {}·N({}, {}²) + {}·N({}, {}²)",
        short(m.pi),
        short(m.mu1),
        short(m.sigma1),
        short(1.0 - m.pi),
        short(m.mu2),
        short(m.sigma2)
    )
}

/// The slice after choosing `p` for axis `axis` (0 horizontal, 1 vertical): picking the other
/// axis' parameter swaps the two, so the slice never names one parameter twice.
pub fn pick_axis(slice: Slice, axis: usize, p: Param) -> Slice {
    let [a, b] = slice.params();
    let swapped = Slice { a: b, b: a };
    match axis {
        0 if p == b => swapped,
        0 => Slice { a: p, b },
        _ if p == a => swapped,
        _ => Slice { a, b: p },
    }
}

/// A drop-down of the five parameters (by symbol); the one picked, if any.
fn param_combo(ui: &mut egui::Ui, label: &str, current: Param) -> Option<Param> {
    let mut picked = None;
    egui::ComboBox::from_label(label)
        .selected_text(symbol(current))
        .width(56.0)
        .show_ui(ui, |ui| {
            for p in Param::ALL {
                if ui.selectable_label(p == current, symbol(p)).clicked() {
                    picked = Some(p);
                }
            }
        });
    picked.filter(|p| *p != current)
}

/// The "Model" section: what is drawn (heading, preset, slice), the held parameters, the
/// target's slice coordinates, the metric and the damping.
fn model_section(ui: &mut egui::Ui, scene: &Scene, state: &mut UiState) -> Vec<Command> {
    let mut out = Vec::new();
    let m = &scene.model;
    let slice = scene.slice;
    let [a, b] = slice.params();
    ui.label(RichText::new(model_heading(m)).strong());
    let held = slice.held().map(symbol).join(", ");
    ui.label(
        RichText::new(format!(
            "slice ({}, {}): {} across, {} up; {held} held",
            symbol(a),
            symbol(b),
            symbol(a),
            symbol(b)
        ))
        .small(),
    );
    ui.separator();

    ui.strong("Model");
    let current = Preset::ALL.into_iter().find(|p| {
        let (model, s, _) = p.setup();
        model == *m && s == slice
    });
    let mut preset = None;
    egui::ComboBox::from_label("preset")
        .selected_text(current.map_or("custom", |p| p.label()))
        .width(210.0)
        .show_ui(ui, |ui| {
            for p in Preset::ALL {
                if ui.selectable_label(current == Some(p), p.label()).clicked() {
                    preset = Some(p);
                }
            }
        });
    if let Some(p) = preset {
        out.push(Command::Edit(SceneEdit::ApplyPreset(p)));
    }
    ui.horizontal(|ui| {
        let picked = [
            param_combo(ui, "across", a).map(|p| pick_axis(slice, 0, p)),
            param_combo(ui, "up", b).map(|p| pick_axis(slice, 1, p)),
        ];
        if ui
            .small_button("⇄")
            .on_hover_text("swap the axes")
            .clicked()
        {
            out.push(Command::Edit(SceneEdit::SetSlice(Slice { a: b, b: a })));
        }
        for s in picked.into_iter().flatten() {
            out.push(Command::Edit(SceneEdit::SetSlice(s)));
        }
    });

    // The held parameters. On the seed's slice with σ1 = σ2 one shared σ slider (the seed's
    // model), unless the user unties them.
    let equal = m.sigma1 == m.sigma2;
    if slice.is_seed() {
        let mut tied = equal && !state.untie_sigmas;
        if ui.checkbox(&mut tied, "σ1 = σ2").changed() {
            state.untie_sigmas = !tied;
            if tied && !equal {
                out.push(Command::Edit(SceneEdit::SetSigma(m.sigma1)));
            }
        }
    }
    let shared = slice.is_seed() && equal && !state.untie_sigmas;
    for p in slice.held() {
        let (lo, hi) = held_range(p);
        let is_sigma = matches!(p, Param::Sigma1 | Param::Sigma2);
        if shared && is_sigma {
            if p == Param::Sigma1 {
                edit_copy(
                    &mut out,
                    scene,
                    |s| s.model.sigma1,
                    |v| {
                        ui.add(
                            egui::Slider::new(v, lo..=hi)
                                .logarithmic(true)
                                .clamping(egui::SliderClamping::Edits)
                                .text("σ"),
                        );
                    },
                    SceneEdit::SetSigma,
                );
            }
            continue;
        }
        edit_copy(
            &mut out,
            scene,
            |s| s.model.get(p),
            |v| {
                // Edits-only clamping: a value from a file outside the slider's range is shown,
                // not silently changed.
                ui.add(
                    egui::Slider::new(v, lo..=hi)
                        .logarithmic(is_sigma)
                        .clamping(egui::SliderClamping::Edits)
                        .text(symbol(p)),
                );
            },
            |v| SceneEdit::SetParam(p, v),
        );
    }
    edit_copy(
        &mut out,
        scene,
        |s| s.target(),
        |t| {
            for (k, p) in [a, b].into_iter().enumerate() {
                let speed = if p == Param::Pi { 0.001 } else { 0.01 };
                labelled_drag(ui, &format!("target {}*", symbol(p)), &mut t[k], speed);
            }
        },
        SceneEdit::SetTarget,
    );

    ui.horizontal(|ui| {
        ui.label("metric");
        for (metric, label) in [
            (Metric::Induced, "induced block"),
            (Metric::Profiled, "profiled"),
        ] {
            if ui.selectable_label(scene.metric == metric, label).clicked()
                && scene.metric != metric
            {
                out.push(Command::Edit(SceneEdit::SetMetric(metric)));
            }
        }
    });
    ui.label(
        RichText::new(match scene.metric {
            Metric::Induced => "F_ss: the slice's own geometry, the held three known exactly.",
            Metric::Profiled => {
                "F_ss − F_sn F_nn⁻¹ F_ns: what is left about the slice when the held three \
                 are unknown too (≤ the induced block)."
            }
        })
        .small(),
    );
    edit_copy(
        &mut out,
        scene,
        |s| s.damping,
        |v| {
            ui.add(
                egui::Slider::new(v, DAMPING_RANGE.0..=DAMPING_RANGE.1)
                    .logarithmic(true)
                    .smallest_positive(1e-4)
                    .text("damping λ"),
            );
        },
        SceneEdit::SetDamping,
    );
    out
}

fn flow_controls(ui: &mut egui::Ui, scene: &Scene, frame: &FrameContext<'_>) -> Vec<Command> {
    let mut out = Vec::new();
    use crate::scene::{FlowMode, Integrator, PARTICLE_RANGE, ParticleColor};
    // The widgets edit a copy; each field they changed becomes one edit below.
    let before = scene.flow;
    let mut flow = before;
    ui.horizontal(|ui| {
        ui.strong("Flow");
        ui.checkbox(&mut flow.enabled, "run (Space)");
    });
    ui.horizontal(|ui| {
        ui.selectable_value(&mut flow.mode, FlowMode::Natural, "natural");
        ui.selectable_value(&mut flow.mode, FlowMode::Euclidean, "Euclidean");
        ui.selectable_value(&mut flow.mode, FlowMode::Both, "both");
        ui.selectable_value(
            &mut flow.mode,
            FlowMode::NaturalVsEmpirical,
            "natural vs EF",
        )
        .on_hover_text("pairs: −F⁻¹∇L (cyan) beside −EF⁻¹∇L (orange)");
    });
    let shown = flow.particles.unwrap_or(frame.default_particles);
    let mut count = shown;
    ui.add(
        egui::Slider::new(&mut count, PARTICLE_RANGE.0..=PARTICLE_RANGE.1)
            .logarithmic(true)
            .text("particles"),
    );
    ui.add(
        egui::Slider::new(&mut flow.dt, DT_RANGE.0..=DT_RANGE.1)
            .logarithmic(true)
            .text("step dt"),
    );
    ui.add(
        egui::Slider::new(
            &mut flow.steps_per_frame,
            STEPS_PER_FRAME_RANGE.0..=STEPS_PER_FRAME_RANGE.1,
        )
        .text("steps/frame"),
    );
    ui.add(
        egui::Slider::new(&mut flow.speed_cap, SPEED_CAP_RANGE.0..=SPEED_CAP_RANGE.1)
            .logarithmic(true)
            .text("speed cap (Fisher–Rao)"),
    );
    ui.add(
        egui::Slider::new(&mut flow.fade, FADE_RANGE.0..=FADE_RANGE.1)
            .logarithmic(true)
            .text("trail fade"),
    );
    ui.horizontal(|ui| {
        ui.selectable_value(&mut flow.integrator, Integrator::Rk4, "RK4");
        ui.selectable_value(&mut flow.integrator, Integrator::Euler, "Euler");
        ui.separator();
        ui.selectable_value(&mut flow.color, ParticleColor::Mode, "colour: mode");
        ui.selectable_value(&mut flow.color, ParticleColor::Speed, "speed");
    });
    ui.horizontal(|ui| {
        let l = ui.label("seed");
        ui.add(egui::DragValue::new(&mut flow.seed))
            .labelled_by(l.id);
        if ui.button("respawn").clicked() {
            flow.seed = flow.seed.wrapping_add(1);
        }
    });
    let edits = [
        (flow.enabled != before.enabled).then_some(SceneEdit::SetFlow(flow.enabled)),
        (flow.mode != before.mode).then_some(SceneEdit::SetFlowMode(flow.mode)),
        // Only an edit pins the count; untouched, the adapter's default stays in charge.
        (count != shown).then_some(SceneEdit::SetParticles(Some(count))),
        (flow.dt != before.dt).then_some(SceneEdit::SetDt(flow.dt)),
        (flow.steps_per_frame != before.steps_per_frame)
            .then_some(SceneEdit::SetStepsPerFrame(flow.steps_per_frame)),
        (flow.speed_cap != before.speed_cap).then_some(SceneEdit::SetSpeedCap(flow.speed_cap)),
        (flow.fade != before.fade).then_some(SceneEdit::SetFade(flow.fade)),
        (flow.integrator != before.integrator).then_some(SceneEdit::SetIntegrator(flow.integrator)),
        (flow.color != before.color).then_some(SceneEdit::SetParticleColor(flow.color)),
        (flow.seed != before.seed).then_some(SceneEdit::SetSeed(flow.seed)),
    ];
    for edit in edits.into_iter().flatten() {
        out.push(Command::Edit(edit));
    }
    out
}

fn mono(text: impl Into<String>) -> RichText {
    RichText::new(text).font(FontId::monospace(11.5))
}

fn fmt(v: f64) -> String {
    format!("{v:>11.4e}")
}

fn fmt_kappa(k: Kappa) -> String {
    match k {
        Kappa::Finite(k) => format!("{k:.4e}"),
        Kappa::Infinite => "∞ (singular)".to_owned(),
        Kappa::Undefined => "undefined (no profiled metric here)".to_owned(),
    }
}

/// Slice coordinates with their names, e.g. "(μ1 −1.5, σ1 1)".
fn at_coords(slice: &Slice, theta: [f64; 2]) -> String {
    format!(
        "({} {}, {} {})",
        symbol(slice.a),
        short(theta[0]),
        symbol(slice.b),
        short(theta[1])
    )
}

fn matrix(ui: &mut egui::Ui, name: &str, m: &crate::math::Sym2<f64>) {
    ui.label(mono(format!(
        "{name} [{} {}]\n{:w$} [{} {}]",
        fmt(m.xx),
        fmt(m.xy),
        "",
        fmt(m.xy),
        fmt(m.yy),
        w = name.chars().count()
    )));
}

/// Where the profiled metric is undefined, in a colour that stands out.
fn undefined_note(ui: &mut egui::Ui, error: &crate::math::ProfiledError) {
    ui.colored_label(
        Color32::from_rgb(255, 170, 60),
        RichText::new(error.to_string()).small(),
    );
}

fn target_numbers(ui: &mut egui::Ui, scene: &Scene, n: &PanelNumbers) {
    let t = &n.target;
    ui.strong(format!("At θ* = {}", at_coords(&scene.slice, t.theta)));
    matrix(ui, "F_ss = E[ssᵀ] ", &t.score_form);
    matrix(ui, "F_ss = −E[∇²]", &t.hessian_form);
    ui.label(mono(format!(
        "max |difference| = {:.1e}",
        t.forms_difference
    )));
    // The chosen metric's name in the lines below: plain κ and det F for the induced block.
    let (kappa_name, det_name) = match t.metric {
        Metric::Induced => ("κ", "det F"),
        Metric::Profiled => ("κ(S)", "det S"),
    };
    match &t.block {
        Ok(b) => {
            if t.metric == Metric::Profiled {
                matrix(ui, "S = F_ss − F_sn F_nn⁻¹ F_ns", &b.f);
            }
            ui.label(mono(format!(
                "λmax = {}  λmin = {}",
                fmt(b.eigen.lambda_max),
                fmt(b.eigen.lambda_min)
            )));
            ui.label(mono(format!("{kappa_name} = {}", fmt_kappa(t.kappa()))));
            ui.label(mono(format!("{det_name} = {:.4e}", b.det)));
        }
        Err(e) => undefined_note(ui, e),
    }
}

fn probe_numbers(ui: &mut egui::Ui, scene: &Scene, n: &PanelNumbers) -> Vec<Command> {
    let mut out = Vec::new();
    let Some(p) = &n.probe else {
        ui.strong("Probe");
        ui.label("Click the canvas to place a probe.");
        return out;
    };
    ui.horizontal(|ui| {
        ui.strong(format!("Probe θ = {}", at_coords(&scene.slice, p.theta)));
        if ui.small_button("clear").clicked() {
            out.push(Command::Edit(SceneEdit::SetProbe(None)));
        }
    });
    ui.label(mono(format!(
        "L = KL(p* ‖ p) = {:.5e}",
        crate::math::loss::shown_divergence(p.loss)
    )));
    ui.label(
        mono(format!(
            "∇L      = ({}, {})",
            fmt(p.grad[0]),
            fmt(p.grad[1])
        ))
        .color(color(palette::EUCLID)),
    );
    let nat = match (&p.natgrad, &p.block) {
        (Some(g), _) => format!("({}, {})", fmt(g[0]), fmt(g[1])),
        (None, Err(_)) => "undefined: no profiled metric here".to_owned(),
        (None, Ok(_)) => "undefined: F + λI singular".to_owned(),
    };
    let name = match scene.metric {
        Metric::Induced => "(F+λI)⁻¹∇L",
        Metric::Profiled => "(S+λI)⁻¹∇L",
    };
    ui.label(mono(format!("{name} = {nat}")).color(color(palette::NATURAL)));
    ui.label(mono(format!(
        "angle Δθ = {}",
        p.angle_deg
            .map_or("undefined".to_owned(), |a| format!("{a:.3}°"))
    )));
    ui.label(mono(format!("κ at probe = {}", fmt_kappa(p.kappa()))));
    if let Err(e) = &p.block {
        undefined_note(ui, e);
    }
    ui.label(mono("KL(p_θ ‖ p_θ+δ) vs ½δᵀF_ssδ, δ along the long axis:"));
    for (name, check) in [
        ("drawn ellipse", &p.kl_on_glyph),
        ("δᵀFδ = 1e-6 ", &p.kl_small),
    ] {
        match check {
            Some(check) if check.quadratic > 0.0 => {
                ui.label(mono(format!(
                    " {name}: {:.4e} vs {:.4e} ({:+.2}%)",
                    check.exact,
                    check.quadratic,
                    100.0 * (check.exact / check.quadratic - 1.0)
                )));
            }
            Some(_) => {}
            None => {
                ui.label(mono(format!(" {name}: the step leaves the model")));
            }
        }
    }
    out
}

/// The full 5×5 F as a grid with the parameters' names on its rows and columns; an entry that
/// is NaN (π's row and column with π held at 0 or 1) reads "undef.".
fn full_matrix(ui: &mut egui::Ui, heading: &str, full: &Mat5) {
    ui.strong(heading);
    egui::Grid::new("fisher 5x5")
        .striped(true)
        .spacing(vec2(6.0, 2.0))
        .show(ui, |ui| {
            ui.label("");
            for p in Param::ALL {
                ui.label(mono(symbol(p)).strong());
            }
            ui.end_row();
            for p in Param::ALL {
                ui.label(mono(symbol(p)).strong());
                for q in Param::ALL {
                    let v = full[p.index()][q.index()];
                    let text = if v.is_nan() {
                        "undef.".to_owned()
                    } else {
                        format!("{v:.3e}")
                    };
                    ui.label(mono(text).size(10.5));
                }
                ui.end_row();
            }
        });
    if full.iter().flatten().any(|v| v.is_nan()) {
        ui.label(RichText::new("undef.: π's score does not exist with π held at 0 or 1").small());
    }
}

fn canvas(
    ui: &mut egui::Ui,
    scene: &Scene,
    state: &mut UiState,
    frame: &FrameContext<'_>,
) -> Vec<Command> {
    let mut out = Vec::new();
    let rect = ui.max_rect();
    state.canvas_rect = Some(rect);
    let response = ui.allocate_rect(rect, Sense::click_and_drag());
    let painter = ui.painter_at(rect);
    if let Some(texture) = frame.canvas_texture {
        painter.image(
            texture,
            rect,
            Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)),
            Color32::WHITE,
        );
    } else {
        painter.rect_filled(rect, 0.0, color(palette::BACKGROUND));
    }

    let handle_at = |pos: Pos2, scene: &Scene| -> Option<Drag> {
        let pick = HANDLE_RADIUS_PT + 4.0;
        [
            (Drag::Target, Some(scene.target())),
            (Drag::Twin, scene.twin()),
            (
                Drag::RaceStart,
                crate::jobs::race::RaceKey::for_scene(scene).map(|k| k.start),
            ),
        ]
        .into_iter()
        .filter_map(|(d, w)| w.map(|w| (d, w)))
        .find(|(_, w)| world_to_screen(scene, rect, *w).distance(pos) <= pick)
        .map(|(d, _)| d)
    };
    if response.drag_started()
        && let Some(origin) = ui.input(|i| i.pointer.press_origin())
    {
        state.drag = Some(if scene.layers.handles {
            handle_at(origin, scene).unwrap_or(Drag::Pan)
        } else {
            Drag::Pan
        });
    }
    if response.dragged()
        && let Some(pos) = response.interact_pointer_pos()
    {
        match state.drag {
            Some(Drag::Target) => {
                out.push(Command::Edit(SceneEdit::SetTarget(screen_to_world(
                    scene, rect, pos,
                ))));
            }
            Some(Drag::Twin) => {
                let w = screen_to_world(scene, rect, pos);
                out.push(Command::Edit(SceneEdit::SetTarget(target_for_twin(
                    scene, w,
                ))));
            }
            Some(Drag::RaceStart) => {
                out.push(Command::Edit(SceneEdit::SetRaceStart(Some(
                    screen_to_world(scene, rect, pos),
                ))));
            }
            Some(Drag::Pan) => {
                let d = response.drag_delta();
                out.push(Command::Edit(SceneEdit::Pan {
                    delta_px: [d.x, d.y],
                    height_px: rect.height(),
                }));
            }
            _ => {}
        }
    }
    if response.drag_stopped() {
        state.drag = None;
    }
    if response.clicked()
        && let Some(pos) = response.interact_pointer_pos()
    {
        out.push(Command::Edit(SceneEdit::SetProbe(Some(screen_to_world(
            scene, rect, pos,
        )))));
    }
    if let Some(hover) = response.hover_pos() {
        let (scroll, zoom) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
        let factor = (scroll as f64 * 0.002).exp() * zoom as f64;
        if factor != 1.0 {
            out.push(Command::Edit(SceneEdit::ZoomAbout {
                factor,
                pixel: [hover.x - rect.left(), hover.y - rect.top()],
                size: [rect.width(), rect.height()],
            }));
        }
        if state.drag.is_none() && scene.layers.handles && handle_at(hover, scene).is_some() {
            ui.ctx().set_cursor_icon(egui::CursorIcon::Grab);
        }
    }
    if matches!(
        state.drag,
        Some(Drag::Target | Drag::Twin | Drag::RaceStart)
    ) {
        ui.ctx().set_cursor_icon(egui::CursorIcon::Grabbing);
    }
    let numbers = state.numbers(scene, &frame.info);
    let input = overlay::OverlayInput {
        info: &frame.info,
        probe_angle_deg: numbers.probe.as_ref().and_then(|p| p.angle_deg),
        target_kappa: numbers.target.kappa(),
        legends: frame.legends,
        labels: frame.labels,
    };
    overlay::draw(&painter, rect, scene, &input);
    if let Some(hover) = response.hover_pos() {
        heatmap_hover(ui, &painter, rect, hover, scene);
    }
    out
}

/// The heatmap's value under the pointer, by the f64 reference (`render::heatmap::value_at`),
/// in a box beside it. Evaluated once per pointer position and scene (kept in egui's temporary
/// memory): a general point costs up to a millisecond.
fn heatmap_hover(ui: &egui::Ui, painter: &egui::Painter, rect: Rect, hover: Pos2, scene: &Scene) {
    use crate::render::heatmap::value_at;
    use crate::scene::Heatmap;
    if scene.heatmap == Heatmap::None {
        return;
    }
    let xy = screen_to_world(scene, rect, hover);
    let key = (
        scene.heatmap,
        xy,
        scene.model,
        scene.slice,
        scene.metric,
        scene.damping,
    );
    type HoverKey = (Heatmap, [f64; 2], Model, Slice, Metric, f64);
    let id = egui::Id::unique("fisherflow heatmap hover");
    let cached = ui.ctx().data(|d| d.get_temp::<(HoverKey, String)>(id));
    let text = match cached {
        Some((k, text)) if k == key => text,
        _ => {
            let value = value_at(
                scene,
                scene.heatmap,
                xy,
                crate::math::general::DEFAULT_NODES_GENERAL,
            );
            let text = format!(
                "{}: {}\nat ({}, {})",
                scene.heatmap.label(),
                value.describe(scene.heatmap),
                short(xy[0]),
                short(xy[1])
            );
            ui.ctx()
                .data_mut(|d| d.insert_temp(id, (key, text.clone())));
            text
        }
    };
    let galley = painter.layout_no_wrap(text, FontId::monospace(12.0), Color32::WHITE);
    let size = galley.size();
    // Beside the pointer, flipped to stay inside the canvas.
    let mut pos = hover + vec2(16.0, 16.0);
    if pos.x + size.x + 6.0 > rect.right() {
        pos.x = hover.x - 16.0 - size.x;
    }
    if pos.y + size.y + 6.0 > rect.bottom() {
        pos.y = hover.y - 16.0 - size.y;
    }
    painter.rect_filled(
        Rect::from_min_size(pos, size).expand(4.0),
        3.0,
        Color32::from_black_alpha(200),
    );
    painter.galley(pos, galley, Color32::WHITE);
}

/// The target's slice coordinates that put the twin handle at `w`: the twin is the swapped
/// target's coordinates, so swap, place the twin's coordinates, swap back (on the seed's slice
/// (w1, w0); the held parameters stay as they are).
pub fn target_for_twin(scene: &Scene, w: [f64; 2]) -> [f64; 2] {
    let twin_model = scene.slice.place(&scene.model.swapped(), w);
    scene.slice.coords(&twin_model.swapped())
}

/// The weighted components π N(x | μ1, σ1²), (1 − π) N(x | μ2, σ2²) and their sum p(x).
fn mixture_density(x: f64, m: &Model) -> [f64; 3] {
    let n = |w: f64, mu: f64, sigma: f64| {
        w * (-0.5 * ((x - mu) / sigma).powi(2)).exp()
            / (sigma * (2.0 * std::f64::consts::PI).sqrt())
    };
    let (a, b) = (n(m.pi, m.mu1, m.sigma1), n(1.0 - m.pi, m.mu2, m.sigma2));
    [a + b, a, b]
}

fn density_strip(ui: &mut egui::Ui, scene: &Scene, state: &mut UiState) -> Vec<Command> {
    let mut out = Vec::new();
    let (response, painter) = ui.allocate_painter(ui.available_size(), Sense::hover());
    let rect = response.rect.shrink2(vec2(30.0, 8.0));
    painter.rect_filled(response.rect, 0.0, Color32::from_rgb(24, 26, 32));
    // θ* and the probe's model, each with its two components; x spans every component's
    // μ ± 4σ.
    let mut curves = vec![(scene.model, Color32::WHITE)];
    if let Some(p) = scene.probe {
        curves.push((scene.model_at(p), color(palette::NATURAL)));
    }
    let (lo, hi) = curves
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (m, _)| {
            (
                lo.min(m.mu1 - 4.0 * m.sigma1).min(m.mu2 - 4.0 * m.sigma2),
                hi.max(m.mu1 + 4.0 * m.sigma1).max(m.mu2 + 4.0 * m.sigma2),
            )
        });
    let axis_y = rect.bottom() - 16.0;
    let to_x = |x: f64| rect.left() + ((x - lo) / (hi - lo)) as f32 * rect.width();
    let from_x = |px: f32| lo + (px - rect.left()) as f64 / rect.width() as f64 * (hi - lo);
    let samples = 320;
    let grid: Vec<f64> = (0..=samples)
        .map(|i| lo + (hi - lo) * i as f64 / samples as f64)
        .collect();
    let peak = curves
        .iter()
        .flat_map(|(m, _)| grid.iter().map(|&x| mixture_density(x, m)[0]))
        .fold(1e-12, f64::max);
    let to_y = |d: f64| axis_y - (d / peak) as f32 * (axis_y - rect.top() - 4.0);
    painter.line_segment(
        [pos2(rect.left(), axis_y), pos2(rect.right(), axis_y)],
        Stroke::new(1.0, Color32::from_gray(120)),
    );
    for (m, c) in &curves {
        for k in 0..3 {
            let points: Vec<Pos2> = grid
                .iter()
                .map(|&x| pos2(to_x(x), to_y(mixture_density(x, m)[k])))
                .collect();
            let stroke = if k == 0 {
                Stroke::new(2.0, *c)
            } else {
                Stroke::new(1.0, c.gamma_multiply(0.55))
            };
            painter.line(points, stroke);
        }
    }
    painter.text(
        rect.left_top(),
        egui::Align2::LEFT_TOP,
        "p(x | θ*)",
        FontId::proportional(12.0),
        Color32::WHITE,
    );
    if scene.probe.is_some() {
        painter.text(
            rect.left_top() + vec2(70.0, 0.0),
            egui::Align2::LEFT_TOP,
            "p(x | probe)",
            FontId::proportional(12.0),
            color(palette::NATURAL),
        );
    }
    painter.text(
        pos2(rect.right(), axis_y + 2.0),
        egui::Align2::RIGHT_TOP,
        "x",
        FontId::proportional(12.0),
        Color32::GRAY,
    );
    // Draggable μ1*, μ2* markers on the x axis: each sets that mean of θ* (a slice coordinate
    // or a held parameter, whichever it is on this slice).
    for (k, param) in [Param::Mu1, Param::Mu2].into_iter().enumerate() {
        let x = to_x(scene.model.get(param));
        let marker = Rect::from_center_size(pos2(x, axis_y + 6.0), vec2(16.0, 14.0));
        let id = ui.make_persistent_id(("density marker", k));
        let r = ui.interact(marker, id, Sense::drag());
        let name = if k == 0 { "μ1*" } else { "μ2*" };
        r.widget_info(|| {
            egui::WidgetInfo::labeled(egui::Role::Slider, true, format!("{name} marker"))
        });
        let c = if k == 0 {
            color(palette::TARGET)
        } else {
            color(palette::TWIN)
        };
        painter.add(egui::Shape::convex_polygon(
            vec![
                pos2(x, axis_y),
                pos2(x - 6.0, axis_y + 10.0),
                pos2(x + 6.0, axis_y + 10.0),
            ],
            c,
            Stroke::NONE,
        ));
        painter.text(
            pos2(x + 8.0, axis_y + 2.0),
            egui::Align2::LEFT_TOP,
            name,
            FontId::proportional(11.0),
            c,
        );
        if r.drag_started() {
            state.drag = Some(Drag::DensityMarker(k));
        }
        if r.dragged()
            && let Some(pos) = r.interact_pointer_pos()
        {
            out.push(Command::Edit(SceneEdit::SetParam(param, from_x(pos.x))));
        }
        if r.drag_stopped() {
            state.drag = None;
        }
        if r.hovered() {
            ui.ctx().set_cursor_icon(egui::CursorIcon::ResizeHorizontal);
        }
    }
    out
}

/// Every key binding, for the help overlay and the README.
pub const BINDINGS: &[(&str, &str)] = &[
    (
        "drag a handle",
        "move θ* (and its twin, where the slice has one: they may meet on the diagonal)",
    ),
    ("drag empty canvas", "pan"),
    ("wheel / pinch", "zoom around the cursor"),
    ("click", "place the probe (arrows −∇L red, −F⁻¹∇L cyan)"),
    (
        "drag μ1* / μ2* on the strip",
        "move one mean of θ*, on any slice",
    ),
    (
        "Space",
        "flow on/off: particles follow −F⁻¹∇L (cyan) and −∇L (red)",
    ),
    ("F", "fit the view to the handles and probe"),
    ("R", "reset the scene"),
    ("P", "save a screenshot PNG of the window"),
    (
        "V",
        "start / stop recording: saves the session as a scenario TOML and renders it to a GIF",
    ),
    ("H", "toggle this help"),
    ("Esc", "close this help"),
];

fn help_window(ui: &egui::Ui, state: &mut UiState) {
    let mut open = state.show_help;
    egui::Window::new("Help").open(&mut open).collapsible(false).resizable(false).show(ui, |ui| {
        egui::Grid::new("bindings").striped(true).show(ui, |ui| {
            for (key, what) in BINDINGS {
                ui.label(RichText::new(*key).strong());
                ui.label(*what);
                ui.end_row();
            }
        });
        ui.separator();
        ui.label("Ellipses: level sets δᵀF(θ)δ = ε of the Fisher metric, coloured by log₁₀ κ.");
        ui.label("On (μ1, μ2) with σ1 = σ2, F loses rank at μ1 = μ2: ellipses stretch along (1 − π, −π) and get capped (hatched).");
        ui.label("Hatched grey: outside the model (σ ≤ 0, π ≤ 0 or π ≥ 1); nothing is computed there.");
    });
    state.show_help = open;
}

fn toast(ui: &egui::Ui, state: &mut UiState) {
    let now = ui.input(|i| i.time);
    match &state.toast {
        Some((message, until)) if *until > now => {
            let message = message.clone();
            egui::Area::new(egui::Id::unique("fisherflow toast"))
                .anchor(egui::Align2::CENTER_BOTTOM, vec2(0.0, -170.0))
                .show(ui, |ui| {
                    egui::Frame::popup(ui.style()).show(ui, |ui| ui.label(message));
                });
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(250));
        }
        Some(_) => state.toast = None,
        None => {}
    }
}

/// The strip above everything that switches between the geometry view and the K-FAC lab.
fn tab_bar(ui: &mut egui::Ui, scene: &Scene) -> Vec<Command> {
    use crate::scene::Tab;
    let mut tab = scene.tab;
    egui::Panel::top("tabs").show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.selectable_value(&mut tab, Tab::Geometry, "Mixture geometry");
            ui.selectable_value(&mut tab, Tab::Kfac, "K-FAC lab");
        });
    });
    if tab == scene.tab {
        Vec::new()
    } else {
        vec![Command::Edit(SceneEdit::SetTab(tab))]
    }
}

/// The K-FAC tab fills the window below the tab bar; its edits are applied like the panels'.
fn kfac_view(
    ui: &mut egui::Ui,
    scene: &mut Scene,
    state: &mut UiState,
    frame: &FrameContext<'_>,
    mut commands: Vec<Command>,
) -> Vec<Command> {
    let current = scene.clone();
    let tab = state.kfac.get_or_insert_with(super::kfac_tab::KfacTab::new);
    let (edited, reset) = egui::CentralPanel::default()
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .show(ui, |ui| {
                    tab.ui(ui, &current.kfac, frame.jobs.lab_snapshot())
                })
                .inner
        })
        .inner;
    if let Some(lab) = edited {
        commands.push(Command::Edit(SceneEdit::SetKfacLab(lab)));
    }
    if reset {
        commands.push(Command::RestartLab);
    }
    let mut for_app = Vec::new();
    for command in commands {
        match command {
            Command::Edit(edit) => scene.apply(edit),
            other => for_app.push(other),
        }
    }
    help_window(ui, state);
    toast(ui, state);
    for_app
}
