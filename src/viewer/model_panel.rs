//! The side panel's "Model" section: the model's heading, the preset, the slice's axes, the
//! held parameters, the target's slice coordinates, the metric and the damping.

use egui::RichText;

use super::command::{Command, edit_copy};
use super::numbers_panel::short;
use super::ui_state::UiState;
use crate::frame::overlay::symbol;
use crate::math::{Metric, Model, Param, Slice};
use crate::scene::{DAMPING_RANGE, Preset, Scene, SceneEdit, held_range};

/// Labelled numeric editor (the label names it for accessibility and tests).
fn labelled_drag(ui: &mut egui::Ui, label: &str, value: &mut f64, speed: f64) -> egui::Response {
    ui.horizontal(|ui| {
        let l = ui.label(label);
        ui.add(egui::DragValue::new(value).speed(speed).max_decimals(4))
            .labelled_by(l.id)
    })
    .inner
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
pub(super) fn show(ui: &mut egui::Ui, scene: &Scene, state: &mut UiState) -> Vec<Command> {
    if let Some(system) = &scene.system {
        return super::policy_panel::system_controls(ui, scene, system);
    }
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
            for p in Preset::every() {
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
