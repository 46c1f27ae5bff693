//! The side panel's numbers: the metric at θ* and at the probe (both forms of F, eigenvalues,
//! κ, the gradients, the KL check) and the full 5×5 Fisher matrix.

use egui::{Color32, FontId, RichText, vec2};

use super::command::Command;
use crate::frame::numbers::{Kappa, PanelNumbers};
use crate::frame::overlay::{color, symbol};
use crate::math::general::Mat5;
use crate::math::{Metric, Param, Slice};
use crate::render::colormap::palette;
use crate::scene::{Scene, SceneEdit};

/// The mixture's numbers at θ*, at the probe, and the full F (at the probe, or at θ* without
/// one), each after a separator.
pub(super) fn show(ui: &mut egui::Ui, scene: &Scene, numbers: &PanelNumbers) -> Vec<Command> {
    let mut out = Vec::new();
    ui.separator();
    target_numbers(ui, scene, numbers);
    ui.separator();
    out.extend(probe_numbers(ui, scene, numbers));
    ui.separator();
    match &numbers.probe {
        Some(p) => full_matrix(ui, "Full Fisher matrix F (5×5) at the probe", &p.full),
        None => full_matrix(ui, "Full Fisher matrix F (5×5) at θ*", &numbers.target.full),
    }
    out
}

/// A value for the headings: up to three decimals without trailing zeros, or scientific
/// notation where that would hide it.
pub(crate) fn short(v: f64) -> String {
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

/// The panels' numbers font.
pub(crate) fn mono(text: impl Into<String>) -> RichText {
    RichText::new(text).font(FontId::monospace(11.5))
}

/// A number in the panels' fixed-width scientific form.
pub(super) fn fmt(v: f64) -> String {
    format!("{v:>11.4e}")
}

/// A vector as "(x, y)" in the form of [`fmt`].
pub(super) fn fmt_pair(v: [f64; 2]) -> String {
    format!("({}, {})", fmt(v[0]), fmt(v[1]))
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
    ui.label(mono(format!("∇L      = {}", fmt_pair(p.grad))).color(color(palette::EUCLID)));
    let nat = match (&p.natgrad, &p.block) {
        (Some(g), _) => fmt_pair(*g),
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
