//! The side panel's "Sample efficiency" section on the policy plane: the horizon H and seed of
//! the sampled estimates (the race's pg-mc and npg-mc use the same), and a log–log plot of
//! REINFORCE's relative errors at the probe against the number of rollouts N — ∇̂C_{H,σ} with
//! and without the per-step baseline, and F̂ against F_H — beside the 1/√N a Monte-Carlo
//! estimate follows. The curve comes from the simulation's job (`job_policy.rs`).

use egui::RichText;
use egui_plot::{Legend, Line, Plot};

use crate::frame::overlay::color;
use crate::jobs::SceneJobs;
use crate::render::colormap::palette;
use crate::scene::{Scene, SceneEdit};
use crate::viewer::command::Command;

/// The plot's line colours (sRGB): the gradient with the baseline in the natural cyan's
/// family, without it in the Euclidean red's, the Fisher estimate in the EF orange.
const WITH_BASELINE: u32 = palette::NATURAL;
const PLAIN: u32 = palette::EUCLID;
const FISHER: u32 = 0xffa94d;

/// Lays out the section; returns the edit of H or the seed, if any.
pub fn show(ui: &mut egui::Ui, scene: &Scene, jobs: &SceneJobs) -> Vec<Command> {
    let mut out = Vec::new();
    ui.strong("Sample efficiency at the probe");
    let before = scene.features.race;
    let mut race = before;
    ui.add(
        egui::Slider::new(&mut race.hyper.horizon, 1..=1000)
            .logarithmic(true)
            .text("horizon H"),
    );
    ui.add(egui::DragValue::new(&mut race.hyper.seed).prefix("seed "));
    if race != before {
        out.push(Command::Edit(SceneEdit::feature(race)));
    }
    let Some(curve) = jobs.sample_efficiency(scene) else {
        ui.label(if scene.probe.is_some() {
            "estimating…"
        } else {
            "place a probe inside the triangle"
        });
        ui.ctx().request_repaint();
        return out;
    };
    let log = |v: f64| v.max(1e-300).log10();
    let series =
        |f: fn(&crate::features::estimates::job_policy::SampleRow) -> f64| -> Vec<[f64; 2]> {
            curve
                .rows
                .iter()
                .map(|r| [log(r.rollouts as f64), log(f(r))])
                .collect()
        };
    // 1/√N through the first baseline point.
    let anchor = curve.rows[0];
    let guide: Vec<[f64; 2]> = curve
        .rows
        .iter()
        .map(|r| {
            let scale = (anchor.rollouts as f64 / r.rollouts as f64).sqrt();
            [log(r.rollouts as f64), log(anchor.grad_error * scale)]
        })
        .collect();
    Plot::new("sample efficiency")
        .height(170.0)
        .legend(Legend::default().position(egui_plot::Corner::LeftBottom))
        .x_axis_label("log₁₀ N rollouts")
        .y_axis_label("log₁₀ rel. error")
        .allow_scroll(false)
        .show(ui, |plot| {
            plot.line(
                Line::new("∇̂C, baseline", series(|r| r.grad_error)).color(color(WITH_BASELINE)),
            );
            plot.line(Line::new("∇̂C, none", series(|r| r.grad_error_plain)).color(color(PLAIN)));
            plot.line(Line::new("F̂ vs F_H", series(|r| r.fisher_error)).color(color(FISHER)));
            plot.line(
                Line::new("1/√N", guide)
                    .color(egui::Color32::GRAY)
                    .style(egui_plot::LineStyle::dashed_loose()),
            );
        });
    let last = curve.rows.last().expect("a curve has rows");
    ui.label(
        RichText::new(format!(
            "H = {}: C_H = {:.4e}; at N = {} the errors are {:.1e} (∇̂, baseline), {:.1e} \
             (none), {:.1e} (F̂). Their minimizer is not K*: MATH.md.",
            curve.key.horizon,
            curve.exact.cost,
            last.rollouts,
            last.grad_error,
            last.grad_error_plain,
            last.fisher_error
        ))
        .small(),
    );
    out
}
