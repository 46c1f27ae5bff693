//! The optimizer race's panels. [`show`] is the side panel's "Optimizer race" section: enable,
//! the seven optimizers (each with its colour swatch), steps, a shared learning-rate slider
//! (log) with per-optimizer overrides, momentum β, Adam's β1, β2, ε, ngd-damped's λ, mc-ngd's
//! N and seed, and the start (the probe, or a handle dragged on the canvas). [`results`] is
//! the panel beside the canvas: L against step (log y) and L against the cumulative
//! Fisher–Rao length, and a table per optimizer (steps to L < 1e-6, final L, Euclidean and
//! Fisher–Rao path length, why it stopped).
//!
//! Like every panel it edits a copy of the scene's value and returns one [`SceneEdit`] when
//! that changed. The runs come from the simulation's race job (`jobs::SceneJobs`, the one the
//! canvas layer draws from): while a race is being computed the panel says so and asks egui
//! for another frame.

use egui::{RichText, Sense, vec2};
use egui_plot::{Legend, Line, Plot};

use crate::features::race::job::{self as race, RaceKey};
use crate::frame::overlay::color;
use crate::jobs::SceneJobs;
use crate::math::loss::shown_divergence;
use crate::math::optimize::{Optimizer, Run, Stop};
use crate::scene::{
    DAMPING_RANGE, LR_RANGE, RACE_STEPS_RANGE, RING_RADIUS_RANGE, RING_STARTS_RANGE, Race,
    SAMPLES_RANGE, Scene, SceneEdit,
};
use crate::viewer::command::Command;

/// The loss threshold of the table's "steps to" column.
pub const CONVERGED: f64 = 1e-6;

/// Losses below this are drawn at it on the log axis (L reaches rounding, even −1e-17).
const LOSS_FLOOR: f64 = 1e-17;

/// A filled square of `hex` (sRGB), the optimizer's colour.
fn swatch(ui: &mut egui::Ui, hex: u32) {
    let (rect, _) = ui.allocate_exact_size(vec2(12.0, 12.0), Sense::hover());
    ui.painter().rect_filled(rect, 2.0, color(hex));
}

/// The side panel's race controls; returns the edits.
pub fn show(ui: &mut egui::Ui, scene: &Scene) -> Vec<Command> {
    let mut out = Vec::new();
    ui.strong("Optimizer race");
    let before = scene.features.race;
    let mut race = before;
    ui.checkbox(&mut race.enabled, "run the race")
        .on_hover_text("every ticked optimizer from the start to θ*, f64 on the CPU");
    if race.enabled {
        ui.horizontal(|ui| match race.start {
            Some(p) => {
                ui.label(format!("start ({:.3}, {:.3})", p[0], p[1]));
                if ui.small_button("use the probe").clicked() {
                    race.start = None;
                }
            }
            None => {
                ui.label("start: the probe (drag the white ring)");
            }
        });
        let policy = scene.system.is_some();
        if !policy {
            let mut shared_lr = race.lr.gd;
            if ui
                .add(
                    egui::Slider::new(&mut shared_lr, LR_RANGE.0..=LR_RANGE.1)
                        .logarithmic(true)
                        .text("lr (all)"),
                )
                .changed()
            {
                race.lr = crate::math::optimize::PerOptimizer::splat(shared_lr);
            }
        }
        optimizer_table(ui, &mut race, policy);
        steps_and_betas(ui, &mut race);
        if policy {
            if race.policy_optimizers.pg_mc || race.policy_optimizers.npg_mc {
                ui.add(
                    egui::Slider::new(&mut race.hyper.samples, SAMPLES_RANGE.0..=100_000)
                        .logarithmic(true)
                        .text("N rollouts (pg-mc, npg-mc)"),
                );
            }
            ring_controls(ui, &mut race);
        } else {
            mixture_hyperparameters(ui, &mut race);
        }
    }
    if race != before {
        out.push(Command::Edit(SceneEdit::feature(race)));
    }
    out
}

/// The optimizers' tick boxes and rates. The policy plane's seven each keep their own rate
/// (no shared slider: their scales differ by orders of magnitude, and gauss-newton's ½ is
/// policy iteration); the sampled two (pg-mc, npg-mc) draw N rollouts of horizon H a step (H
/// and the seed are set under "Sample efficiency").
fn optimizer_table(ui: &mut egui::Ui, race: &mut Race, policy: bool) {
    let (id, speed, list) = if policy {
        ("policy race optimizers", 0.001, Optimizer::POLICY)
    } else {
        ("race optimizers", 0.01, Optimizer::MIXTURE)
    };
    optimizer_grid(ui, id, speed, |ui, row| {
        for o in list {
            let (ticked, lr) = if policy {
                (race.policy_optimizers.get_mut(o), race.policy_lr.get_mut(o))
            } else {
                (race.optimizers.get_mut(o), race.lr.get_mut(o))
            };
            row(ui, o, ticked, lr);
        }
    });
}

/// The mixture race's Adam ε, ngd-damped's λ, and mc-ngd's N and seed.
fn mixture_hyperparameters(ui: &mut egui::Ui, race: &mut Race) {
    let h = &mut race.hyper;
    ui.add(
        egui::Slider::new(&mut h.eps, 1e-12..=1.0)
            .logarithmic(true)
            .text("Adam ε"),
    );
    ui.add(
        egui::Slider::new(&mut h.damping, DAMPING_RANGE.0.max(1e-8)..=DAMPING_RANGE.1)
            .logarithmic(true)
            .text("λ (ngd-damped)"),
    );
    ui.add(
        egui::Slider::new(&mut h.samples, SAMPLES_RANGE.0..=100_000)
            .logarithmic(true)
            .text("N (mc-ngd)"),
    );
    ui.add(egui::DragValue::new(&mut h.seed).prefix("mc-ngd seed "));
}

/// One row's widgets: the optimizer's swatch and tick box, its learning rate.
type OptimizerRow<'a> = &'a mut dyn FnMut(&mut egui::Ui, Optimizer, &mut bool, &mut f64);

/// The optimizers' grid: `rows` calls its row function once per optimizer (the rate dragged
/// in steps of `speed`).
fn optimizer_grid(
    ui: &mut egui::Ui,
    id: &str,
    speed: f64,
    rows: impl FnOnce(&mut egui::Ui, OptimizerRow<'_>),
) {
    egui::Grid::new(id).num_columns(2).show(ui, |ui| {
        let mut row = |ui: &mut egui::Ui, o: Optimizer, ticked: &mut bool, lr: &mut f64| {
            ui.horizontal(|ui| {
                swatch(ui, race::color(o));
                ui.checkbox(ticked, o.name());
            });
            ui.add(
                egui::DragValue::new(lr)
                    .range(LR_RANGE.0..=LR_RANGE.1)
                    .speed(speed)
                    .prefix("lr "),
            );
            ui.end_row();
        };
        rows(ui, &mut row);
    });
}

/// The step count and the momentum and Adam β sliders both families share.
fn steps_and_betas(ui: &mut egui::Ui, race: &mut Race) {
    ui.add(
        egui::Slider::new(&mut race.steps, RACE_STEPS_RANGE.0..=RACE_STEPS_RANGE.1)
            .logarithmic(true)
            .text("steps"),
    );
    let h = &mut race.hyper;
    ui.add(egui::Slider::new(&mut h.momentum, 0.0..=0.999).text("momentum β"));
    ui.add(egui::Slider::new(&mut h.beta1, 0.0..=0.999).text("Adam β1"));
    ui.add(egui::Slider::new(&mut h.beta2, 0.0..=0.9999).text("Adam β2"));
}

/// The policy plane's ring of starts: its count and Fisher–Rao radius.
fn ring_controls(ui: &mut egui::Ui, race: &mut Race) {
    ui.add(
        egui::Slider::new(
            &mut race.ring_starts,
            RING_STARTS_RANGE.0..=RING_STARTS_RANGE.1,
        )
        .text("ring of starts"),
    )
    .on_hover_text(
        "0: one start. N: also N starts on the Fisher–Rao circle δᵀFδ = r² about it, \
         each raced by every ticked optimizer; the table counts the crashes",
    );
    if race.ring_starts > 0 {
        ui.add(
            egui::Slider::new(
                &mut race.ring_radius,
                RING_RADIUS_RANGE.0..=RING_RADIUS_RANGE.1,
            )
            .logarithmic(true)
            .text("ring radius (Fisher–Rao)"),
        );
    }
}

/// A run's stop reason, short.
fn stop_text(stop: &Stop) -> String {
    match stop {
        Stop::Completed => "completed".into(),
        Stop::LeftDomain { step, .. } => format!("left the model at {step}"),
        Stop::Breakdown { step, .. } => format!("breakdown at {step}"),
    }
}

fn stop_detail(stop: &Stop) -> Option<&str> {
    match stop {
        Stop::Completed => None,
        Stop::LeftDomain { detail, .. } | Stop::Breakdown { detail, .. } => Some(detail),
    }
}

/// log10 of a loss for the log axis.
fn log_loss(l: f64) -> f64 {
    l.max(LOSS_FLOOR).log10()
}

fn power_of_ten(mark: egui_plot::GridMark, _range: &std::ops::RangeInclusive<f64>) -> String {
    format!("1e{}", mark.value.round())
}

/// What the plots and the table show as the loss: the mixture's L, or on the policy plane the
/// relative excess C/C* − 1 (C itself never reaches 0), with its name.
struct Shown {
    name: &'static str,
    c_star: Option<f64>,
}

impl Shown {
    fn of(key: &RaceKey) -> Self {
        match &key.system {
            Some(system) => Self {
                name: "C/C* − 1",
                c_star: Some(crate::math::policy::Lqr::new(system).optimum().1),
            },
            None => Self {
                name: "L",
                c_star: None,
            },
        }
    }

    fn value(&self, loss: f64) -> f64 {
        match self.c_star {
            Some(c) => loss / c - 1.0,
            None => loss,
        }
    }
}

/// One plot of log10 of the shown loss against `x` of each step.
fn loss_plot(
    ui: &mut egui::Ui,
    id: &str,
    x_label: &str,
    runs: &[Run],
    shown: &Shown,
    x: fn(&crate::math::optimize::Step) -> f64,
) {
    Plot::new(id)
        .height(170.0)
        .legend(Legend::default())
        .x_axis_label(x_label)
        .y_axis_label(format!("{} (log)", shown.name))
        .y_axis_formatter(power_of_ten)
        .allow_scroll(false)
        .show(ui, |plot| {
            for run in runs {
                let points: Vec<[f64; 2]> = run
                    .trajectory
                    .iter()
                    .map(|s| [x(s), log_loss(shown.value(s.loss))])
                    .collect();
                plot.line(
                    Line::new(run.optimizer.name(), points)
                        .color(color(race::color(run.optimizer))),
                );
            }
        });
}

/// The panel beside the canvas: the two plots and the table. Nothing to edit here.
pub fn results(ui: &mut egui::Ui, scene: &Scene, jobs: &SceneJobs) {
    ui.heading("Optimizer race");
    let Some(key) = RaceKey::for_scene(scene) else {
        ui.label("No race: tick optimizers and place a start (the probe) inside the model.");
        return;
    };
    let Some(set) = jobs.race_for(scene) else {
        ui.label("running the race…");
        ui.ctx().request_repaint();
        return;
    };
    let Race { steps, .. } = key.race;
    ui.label(
        RichText::new(format!(
            "from ({:.3}, {:.3}), {steps} steps, f64 ({:.0} ms)",
            set.key.start[0],
            set.key.start[1],
            set.seconds * 1e3
        ))
        .small(),
    );
    let shown = Shown::of(&key);
    loss_plot(ui, "race loss by step", "step", &set.runs, &shown, |s| {
        s.step as f64
    });
    loss_plot(
        ui,
        "race loss by Fisher–Rao length",
        "Fisher–Rao length",
        &set.runs,
        &shown,
        |s| s.fisher_rao_length,
    );
    // On the policy plane: what learning cost the plant, Σ (C − C*) and Σ E_u over the iterates.
    let lqr = key.system.as_ref().map(crate::math::policy::Lqr::new);
    let paid = |run: &Run| -> Option<(f64, f64)> {
        let (lqr, c_star) = (lqr.as_ref()?, shown.c_star?);
        Some(run.trajectory.iter().fold(
            (0.0, 0.0),
            |(c, e), s| match lqr.evaluate(s.theta).closed {
                Some(closed) => (c + closed.cost - c_star, e + closed.control_energy),
                None => (c, e),
            },
        ))
    };
    let to = format!("{}<1e-6 at", shown.name);
    let last_name = format!("final {}", shown.name);
    let mut headers = vec!["", to.as_str(), last_name.as_str()];
    if lqr.is_some() {
        headers.extend(["Σ(C − C*)", "Σ E_u"]);
    }
    headers.extend(["Euclid", "Fisher–Rao", "stop"]);
    egui::Grid::new("race table")
        .striped(true)
        .num_columns(headers.len())
        .show(ui, |ui| {
            for h in &headers {
                ui.strong(*h);
            }
            ui.end_row();
            for run in &set.runs {
                ui.horizontal(|ui| {
                    swatch(ui, race::color(run.optimizer));
                    ui.label(run.optimizer.name());
                });
                ui.label(
                    run.trajectory
                        .iter()
                        .find(|s| shown.value(s.loss) < CONVERGED)
                        .map_or("–".to_owned(), |s| s.step.to_string()),
                );
                let last = run.trajectory.last();
                ui.label(format!(
                    "{:.2e}",
                    last.map_or(f64::NAN, |s| shown_divergence(shown.value(s.loss)))
                ));
                if let Some((cost, energy)) = paid(run) {
                    ui.label(format!("{cost:.3e}"));
                    ui.label(format!("{energy:.3e}"));
                }
                ui.label(format!("{:.3}", last.map_or(0.0, |s| s.euclidean_length)));
                ui.label(format!("{:.3}", last.map_or(0.0, |s| s.fisher_rao_length)));
                let r = ui.label(stop_text(&run.stop));
                if let Some(d) = stop_detail(&run.stop) {
                    r.on_hover_text(d);
                }
                ui.end_row();
            }
        });
    ring_table(ui, &set);
}

/// The ring of starts' account per optimizer: starts raced, crashes, convergences and the
/// median steps to C ≤ (1 + 1e-6)·C* (nothing without a ring).
fn ring_table(ui: &mut egui::Ui, set: &race::RaceSet) {
    if set.ring.is_empty() {
        return;
    }
    let outside = set.ring.iter().filter(|r| r.runs.is_empty()).count();
    ui.label(
        RichText::new(format!(
            "ring of {} starts at Fisher–Rao radius {} ({outside} outside the triangle, not raced)",
            set.ring.len(),
            set.key.race.ring_radius
        ))
        .small(),
    );
    egui::Grid::new("race ring table")
        .striped(true)
        .num_columns(5)
        .show(ui, |ui| {
            for h in ["", "starts", "crashed", "converged", "median steps"] {
                ui.strong(h);
            }
            ui.end_row();
            for run in &set.runs {
                let Some(summary) = set.ring_summary(run.optimizer) else {
                    continue;
                };
                ui.horizontal(|ui| {
                    swatch(ui, race::color(run.optimizer));
                    ui.label(run.optimizer.name());
                });
                ui.label(summary.starts.to_string());
                ui.label(summary.crashed.to_string());
                ui.label(summary.converged.to_string());
                ui.label(summary.median_steps.map_or("–".into(), |n| n.to_string()));
                ui.end_row();
            }
        });
}
