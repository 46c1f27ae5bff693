//! The strip below the canvas on the policy plane (in place of the mixture's density strip):
//! the noise-free closed loop from a starting state, at K* and at the probe — position,
//! velocity and force against time — so a user sees the pendulum settle or fall. The starting
//! state is set here (default: one standard deviation of position, at rest).

use egui::{Color32, RichText};
use egui_plot::{Legend, Line, Plot};

use super::ui_state::UiState;
use crate::frame::overlay::color;
use crate::math::policy::{Lqr, RolloutStep, System};
use crate::render::colormap::palette;
use crate::scene::Scene;

/// Seconds of simulated time the strip shows.
pub const ROLLOUT_SECONDS: f64 = 8.0;
/// A rollout stops once the state has grown this many times past where it started.
const ESCAPE: f64 = 1e3;

/// One plotted quantity of a rollout step.
type Quantity = fn(&RolloutStep) -> f64;

/// The default start: one standard deviation of position, at rest.
pub fn default_start(system: &System) -> [f64; 2] {
    [system.x0_pos.sqrt(), 0.0]
}

/// The strip for `system` on `scene`'s canvas.
pub(super) fn show(ui: &mut egui::Ui, scene: &Scene, system: &System, state: &mut UiState) {
    let lqr = Lqr::new(system);
    let (k_star, _) = lqr.optimum();
    let start = state
        .rollout_start
        .get_or_insert_with(|| default_start(system));
    let steps = (ROLLOUT_SECONDS / system.dt()).ceil().min(20_000.0) as u32;
    let mut runs = vec![(
        "K*",
        Color32::WHITE,
        lqr.rollout(k_star, *start, steps, ESCAPE),
    )];
    if let Some(p) = scene.probe {
        runs.push((
            "probe",
            color(palette::NATURAL),
            lqr.rollout(p, *start, steps, ESCAPE),
        ));
    }
    ui.horizontal(|ui| {
        ui.vertical(|ui| {
            ui.set_width(150.0);
            ui.label(RichText::new("closed loop u = −Kx").strong());
            ui.horizontal(|ui| {
                let l = ui.label("x₀");
                ui.add(
                    egui::DragValue::new(&mut start[0])
                        .speed(0.01)
                        .max_decimals(3),
                )
                .labelled_by(l.id);
            });
            ui.horizontal(|ui| {
                let l = ui.label("v₀");
                ui.add(
                    egui::DragValue::new(&mut start[1])
                        .speed(0.01)
                        .max_decimals(3),
                )
                .labelled_by(l.id);
            });
            if ui.small_button("reset start").clicked() {
                *start = default_start(system);
            }
            if let Some((_, _, probe)) = runs.get(1) {
                let fell = probe.len() < steps as usize + 1;
                let verdict = if fell {
                    format!(
                        "probe: leaves at t = {:.2} s",
                        probe.last().map_or(0.0, |s| s.t)
                    )
                } else {
                    "probe: stays".to_owned()
                };
                ui.label(RichText::new(verdict).small());
            }
        });
        let width = (ui.available_width() / 3.0 - 8.0).max(80.0);
        let height = ui.available_height().max(60.0);
        let quantities: [(&str, Quantity); 3] = [
            ("position", |s| s.x[0]),
            ("velocity", |s| s.x[1]),
            ("force u", |s| s.u),
        ];
        for (i, (name, value)) in quantities.into_iter().enumerate() {
            let plot = Plot::new(format!("rollout {name}"));
            // One legend (on the first plot) names both curves for all three.
            let plot = if i == 0 {
                plot.legend(Legend::default())
            } else {
                plot
            };
            plot.width(width)
                .height(height)
                .x_axis_label("t (s)")
                .y_axis_label(name)
                .allow_scroll(false)
                .include_y(0.0)
                .show(ui, |plot| {
                    for (label, c, run) in &runs {
                        let points: Vec<[f64; 2]> = run.iter().map(|s| [s.t, value(s)]).collect();
                        plot.line(Line::new(*label, points).color(*c));
                    }
                });
        }
    });
}
