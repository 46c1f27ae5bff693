//! The side panel on the policy plane: the system's controls (plant, exploration σ, dt,
//! friction, ω², the cost weights and the initial spread, each clamped to the ranges the scene
//! accepts) in place of the mixture's model section, and the numbers at K* and at the probe
//! (C, ρ(A_K), the control energy, F = Σ_K/σ², ∇C, the natural gradient, Gauss–Newton) in
//! place of the mixture's.

use egui::RichText;

use super::command::Command;
use super::numbers_panel::{fmt, fmt_pair, mono, short};
use crate::frame::overlay::color;
use crate::math::policy::{Lqr, Plant, System};
use crate::math::sym2::{angle_deg, natural_gradient};
use crate::render::colormap::palette;
use crate::scene::{Preset, SYSTEM_RANGES, Scene, SceneEdit};

/// A slider over `key`'s range in [`SYSTEM_RANGES`] (logarithmic where the range spans
/// decades), labelled for accessibility and tests; the new value when moved.
fn key_slider(ui: &mut egui::Ui, label: &str, key: &str, value: f64) -> Option<f64> {
    let (_, lo, hi) = *SYSTEM_RANGES
        .iter()
        .find(|(k, _, _)| *k == key)
        .expect("every system key has a range");
    let mut v = value;
    let slider = egui::Slider::new(&mut v, lo..=hi)
        .logarithmic(lo > 0.0 && hi / lo > 100.0)
        .text(label);
    ui.add(slider).changed().then_some(v)
}

/// The plant, the presets and every key of the system.
pub(super) fn system_controls(ui: &mut egui::Ui, scene: &Scene, system: &System) -> Vec<Command> {
    let mut out = Vec::new();
    let lqr = Lqr::new(system);
    let (k_star, c_star) = lqr.optimum();
    ui.label(
        RichText::new(format!(
            "{}: u = −Kx + σε, K* = ({}, {}), C* = {}",
            system.plant.name(),
            short(k_star[0]),
            short(k_star[1]),
            short(c_star)
        ))
        .strong(),
    );
    ui.label(
        RichText::new(
            "the canvas: gains K = (k₁, k₂) inside the stability triangle ρ(A_K) < 1; F = Σ_K/σ²",
        )
        .small(),
    );
    ui.separator();
    ui.strong("Policy plane");
    let mut preset = None;
    egui::ComboBox::from_label("preset")
        .selected_text(match system.plant {
            Plant::Cart => Preset::Cart.label(),
            Plant::Pendulum => Preset::Pendulum.label(),
        })
        .width(210.0)
        .show_ui(ui, |ui| {
            for p in Preset::every() {
                if ui.selectable_label(false, p.label()).clicked() {
                    preset = Some(p);
                }
            }
        });
    if let Some(p) = preset {
        out.push(Command::Edit(SceneEdit::ApplyPreset(p)));
    }
    let mut edited = *system;
    let mut changed = false;
    let mut set = |v: Option<f64>, slot: &mut f64| {
        if let Some(v) = v {
            *slot = v;
            changed = true;
        }
    };
    set(
        key_slider(ui, "exploration σ", "exploration", system.exploration),
        &mut edited.exploration,
    );
    let mut dt = system.dt();
    set(key_slider(ui, "dt", "dt", dt), &mut dt);
    edited.dt = Some(dt).filter(|&d| d != system.plant.default_dt() || system.dt.is_some());
    set(
        key_slider(ui, "friction b", "friction", system.friction),
        &mut edited.friction,
    );
    if system.plant == Plant::Pendulum {
        let mut w2 = system.a();
        set(key_slider(ui, "ω² = g/l", "omega2", w2), &mut w2);
        edited.omega2 = Some(w2).filter(|_| system.omega2.is_some() || w2 != system.a());
    }
    ui.collapsing("cost weights and initial state", |ui| {
        // Each labelled by its system key (MATH.md's names).
        let weights = [
            ("q_pos", &mut edited.q_pos),
            ("q_vel", &mut edited.q_vel),
            ("r", &mut edited.r),
            ("x0_pos", &mut edited.x0_pos),
            ("x0_vel", &mut edited.x0_vel),
        ];
        for (key, slot) in weights {
            let current = *slot;
            set(key_slider(ui, key, key, current), slot);
        }
    });
    if changed {
        out.push(Command::Edit(SceneEdit::SetSystem(Some(edited))));
    }
    if ui
        .button("back to the mixture")
        .on_hover_text("show the two-component mixture's slice again")
        .clicked()
    {
        out.push(Command::Edit(SceneEdit::SetSystem(None)));
    }
    let _ = scene;
    out
}

/// The numbers at K* and at the probe.
pub(super) fn numbers(
    ui: &mut egui::Ui,
    scene: &Scene,
    system: &System,
    jobs: &crate::jobs::SceneJobs,
) -> Vec<Command> {
    let mut out = Vec::new();
    let lqr = Lqr::new(system);
    let (k_star, c_star) = lqr.optimum();
    ui.separator();
    ui.strong(format!(
        "At K* = ({}, {})",
        short(k_star[0]),
        short(k_star[1])
    ));
    if let Some(c) = lqr.evaluate(k_star).closed {
        ui.label(mono(format!(
            "C* = {:.6e}   ρ(A_K*) = {:.4}",
            c.cost,
            lqr.spectral_radius(k_star)
        )));
        let f = c.fisher;
        ui.label(mono(format!(
            "F = Σ_K/σ² [{} {}]\n            [{} {}]",
            fmt(f.xx),
            fmt(f.xy),
            fmt(f.xy),
            fmt(f.yy)
        )));
        ui.label(mono(format!("κ = {:.4e}", c.kappa)));
    }
    ui.separator();
    let Some(p) = scene.probe else {
        ui.strong("Probe");
        ui.label("Click the canvas to place a probe.");
        return out;
    };
    ui.horizontal(|ui| {
        ui.strong(format!("Probe K = ({}, {})", short(p[0]), short(p[1])));
        if ui.small_button("clear").clicked() {
            out.push(Command::Edit(SceneEdit::SetProbe(None)));
        }
    });
    let rho = lqr.spectral_radius(p);
    let Some(c) = lqr.evaluate(p).closed else {
        ui.label(mono(format!("unstable: ρ(A_K) = {rho:.4}, C = ∞")));
        return out;
    };
    ui.label(mono(format!(
        "C = {:.6e}   C/C* − 1 = {:.3e}",
        c.cost,
        c.cost / c_star - 1.0
    )));
    ui.label(mono(format!(
        "ρ(A_K) = {rho:.5}   energy E_u = {:.4e}",
        c.control_energy
    )));
    ui.label(mono(format!("∇C          = {}", fmt_pair(c.grad))).color(color(palette::EUCLID)));
    let natural = natural_gradient(&c.fisher, scene.damping, c.grad);
    ui.label(
        mono(match natural {
            Some(n) => format!("(F+λI)⁻¹∇C  = {}", fmt_pair(n)),
            None => "(F+λI)⁻¹∇C  undefined: F + λI singular".to_owned(),
        })
        .color(color(palette::NATURAL)),
    );
    ui.label(mono(format!("Gauss–Newton = {}", fmt_pair(c.gauss_newton))));
    // Shot off the frame loop (a job: a σ slider being dragged would otherwise shoot both rays
    // every frame).
    ui.label(mono("Fisher–Rao distance to the edge, along"));
    match jobs.edge_distances(scene) {
        Some(edges) => {
            let [along_grad, along_natural] = &edges.text;
            ui.label(mono(format!(" −∇C: {along_grad}")).color(color(palette::EUCLID)));
            ui.label(mono(format!(" −ñ:  {along_natural}")).color(color(palette::NATURAL)));
        }
        None => {
            ui.label(mono(" shooting…"));
            ui.ctx().request_repaint();
        }
    }
    ui.label(mono(format!(
        "angle Δθ = {}   κ = {:.4e}",
        natural
            .and_then(|n| angle_deg(c.grad, n))
            .map_or("undefined".to_owned(), |a| format!("{a:.3}°")),
        c.kappa
    )));
    out
}
