//! The side panel's "Fisher estimates" section: which estimate ellipses the probe shows (each
//! with its colour swatch), N (log slider), a resample button (a new seed for the one seeded
//! generator), which matrix the grid's ellipses draw (F or the population EF), and the numbers
//! at the probe — the four 2×2 matrices, the natural step −(F + λI)⁻¹∇L beside the EF step
//! −(EF + λI)⁻¹∇L (their angle and Fisher-norm lengths) and the saturation ‖EF⁻¹∇L‖_C =
//! √q/(1 + q) ≤ ½.
//!
//! Like every panel it edits a copy of the scene's value and returns one [`SceneEdit`] when
//! that changed. The numbers come from the simulation's estimates job (`jobs::SceneJobs`,
//! shared with the renderer's estimate layer): while they are being computed the panel says so
//! and asks egui for another frame.

use std::time::Duration;

use egui::{Color32, RichText, Sense, vec2};

use crate::features::estimates::job::{EstimateKey, ProbeEstimates};
use crate::features::estimates::layer::{ESTIMATES, Which};
use crate::frame::overlay::color;
use crate::jobs::SceneJobs;
use crate::math::Sym2;
use crate::scene::{EllipseSource, SAMPLES_RANGE, Scene, SceneEdit};
use crate::viewer::command::Command;
use crate::viewer::numbers_panel::mono;

/// A filled square of `hex` (sRGB), the ellipse's colour.
fn swatch(ui: &mut egui::Ui, hex: u32) {
    let (rect, _) = ui.allocate_exact_size(vec2(12.0, 12.0), Sense::hover());
    ui.painter().rect_filled(rect, 2.0, color(hex));
}

/// A short checkbox label for an estimate.
fn short_label(which: Which) -> &'static str {
    match which {
        Which::Fisher => "F",
        Which::Empirical => "EF (population)",
        Which::EmpiricalSamples => "EF_N (samples of p*)",
        Which::MonteCarlo => "MC Fisher (samples of p_θ)",
    }
}

fn matrix_text(name: &str, m: &Sym2<f64>) -> String {
    let w = name.chars().count();
    format!(
        "{name} [{:>11.4e} {:>11.4e}]\n{:w$} [{:>11.4e} {:>11.4e}]",
        m.xx, m.xy, "", m.xy, m.yy
    )
}

fn vector_text(v: Option<[f64; 2]>) -> String {
    match v {
        Some(v) => format!("({:.4e}, {:.4e})", v[0], v[1]),
        None => "undefined (singular)".into(),
    }
}

fn value_text(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(v) => format!("{v:.digits$}"),
        None => "undefined".into(),
    }
}

/// The numbers at the probe.
fn numbers(ui: &mut egui::Ui, e: &ProbeEstimates) {
    for (which, hex) in ESTIMATES {
        let name = match which {
            Which::Fisher => "F   ",
            Which::Empirical => "EF  ",
            Which::EmpiricalSamples => "EF_N",
            Which::MonteCarlo => "MC  ",
        };
        ui.label(mono(matrix_text(name, &which.matrix(e))).color(color(hex)));
    }
    ui.label(mono(format!("∇L         {}", vector_text(Some(e.grad)))));
    ui.label(mono(format!("natural    {}", vector_text(e.natural_step))))
        .on_hover_text("−(F + λI)⁻¹∇L");
    ui.label(mono(format!(
        "EF step    {}",
        vector_text(e.empirical_step)
    )))
    .on_hover_text("−(EF + λI)⁻¹∇L");
    ui.label(mono(format!("angle      {}°", value_text(e.angle_deg, 2))));
    ui.label(mono(format!(
        "‖·‖_F      natural {}  EF {}",
        value_text(e.natural_length, 4),
        value_text(e.empirical_length, 4)
    )))
    .on_hover_text("Fisher-norm lengths √(vᵀFv) of the two steps");
    let saturation = e.q.map(|q| q.sqrt() / (1.0 + q));
    ui.label(mono(format!(
        "q = {}  ‖EF⁻¹∇L‖_C = √q/(1+q) = {}",
        value_text(e.q, 4),
        value_text(saturation, 4)
    )))
    .on_hover_text(
        "C = EF − ∇L∇Lᵀ = Cov_p*(s), q = ∇LᵀC⁻¹∇L: the EF step never exceeds ½ in C's norm, \
         however far θ is from θ* (Kunstner et al. 2019)",
    );
}

/// The section; returns the scene edits its widgets made. One line (the heading and the probe
/// toggle) until the user opens "settings and numbers", so the side panel stays short.
pub fn show(ui: &mut egui::Ui, scene: &Scene, jobs: &SceneJobs) -> Vec<Command> {
    let mut out = Vec::new();
    let before = scene.features.estimates;
    let mut e = before;
    ui.horizontal(|ui| {
        ui.strong("Fisher estimates");
        ui.checkbox(&mut e.at_probe, "ellipses at the probe");
    });
    egui::CollapsingHeader::new("estimate settings and numbers")
        .id_salt("fisher estimates")
        .default_open(false)
        .show(ui, |ui| settings(ui, scene, jobs, &mut e));
    if e != before {
        out.push(Command::Edit(SceneEdit::feature(e)));
    }
    out
}

/// The toggles, N, the seed, the grid's source and the numbers.
fn settings(ui: &mut egui::Ui, scene: &Scene, jobs: &SceneJobs, e: &mut crate::scene::Estimates) {
    ui.horizontal_wrapped(|ui| {
        for (which, hex) in ESTIMATES {
            swatch(ui, hex);
            let flag = match which {
                Which::Fisher => &mut e.fisher,
                Which::Empirical => &mut e.empirical,
                Which::EmpiricalSamples => &mut e.empirical_samples,
                Which::MonteCarlo => &mut e.monte_carlo,
            };
            ui.checkbox(flag, short_label(which));
        }
    });
    ui.add(
        egui::Slider::new(&mut e.samples, SAMPLES_RANGE.0..=SAMPLES_RANGE.1)
            .logarithmic(true)
            .text("samples N"),
    );
    ui.horizontal(|ui| {
        let l = ui.label("seed");
        ui.add(egui::DragValue::new(&mut e.seed)).labelled_by(l.id);
        if ui.button("resample").clicked() {
            e.seed = e.seed.wrapping_add(1);
        }
    });
    ui.horizontal(|ui| {
        ui.label("grid ellipses:");
        ui.radio_value(&mut e.grid_ellipses, EllipseSource::Fisher, "F");
        ui.radio_value(&mut e.grid_ellipses, EllipseSource::EmpiricalFisher, "EF");
    });
    if EstimateKey::at_probe(scene).is_none() {
        ui.label(RichText::new("place a probe (click the canvas) for the numbers").small());
        return;
    };
    match jobs.estimates_at_probe(scene) {
        Some(estimates) => numbers(ui, &estimates),
        None => {
            ui.label(RichText::new("computing…").color(Color32::from_rgb(255, 170, 60)));
            ui.ctx().request_repaint_after(Duration::from_millis(100));
        }
    }
}
