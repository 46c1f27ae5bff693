//! The side panel's "Flow" section: whether the particles run, their mode, count, step, speed
//! cap, trail, integrator, colour and seed.

use crate::scene::{
    DT_RANGE, FADE_RANGE, FlowEdit, FlowMode, Integrator, PARTICLE_RANGE, ParticleColor, SPEED_CAP_RANGE,
    STEPS_PER_FRAME_RANGE, Scene, SceneEdit,
};
use crate::viewer::command::Command;
use crate::viewer::ui_state::FrameContext;

/// The "Flow" section; each field the widgets changed becomes one edit.
pub fn show(ui: &mut egui::Ui, scene: &Scene, frame: &FrameContext<'_>) -> Vec<Command> {
    let mut out = Vec::new();
    // The widgets edit a copy; each field they changed becomes one edit below.
    let before = scene.features.flow;
    let mut flow = before;
    ui.horizontal(|ui| {
        ui.strong("Flow");
        ui.checkbox(&mut flow.enabled, "run (Space)");
    });
    ui.horizontal(|ui| {
        ui.selectable_value(&mut flow.mode, FlowMode::Natural, "natural");
        ui.selectable_value(&mut flow.mode, FlowMode::Euclidean, "Euclidean");
        ui.selectable_value(&mut flow.mode, FlowMode::Both, "both");
        // The policy plane has no empirical Fisher (its natural-vs-EF mode runs both flows).
        if scene.family() == crate::scene::Family::Mixture {
            ui.selectable_value(
                &mut flow.mode,
                FlowMode::NaturalVsEmpirical,
                "natural vs EF",
            )
            .on_hover_text("pairs: −F⁻¹∇L (cyan) beside −EF⁻¹∇L (orange)");
        }
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
        (flow.enabled != before.enabled).then_some(FlowEdit::Run(flow.enabled)),
        (flow.mode != before.mode).then_some(FlowEdit::Mode(flow.mode)),
        // Only an edit pins the count; untouched, the adapter's default stays in charge.
        (count != shown).then_some(FlowEdit::Particles(Some(count))),
        (flow.dt != before.dt).then_some(FlowEdit::Dt(flow.dt)),
        (flow.steps_per_frame != before.steps_per_frame)
            .then_some(FlowEdit::StepsPerFrame(flow.steps_per_frame)),
        (flow.speed_cap != before.speed_cap).then_some(FlowEdit::SpeedCap(flow.speed_cap)),
        (flow.fade != before.fade).then_some(FlowEdit::Fade(flow.fade)),
        (flow.integrator != before.integrator).then_some(FlowEdit::Integrator(flow.integrator)),
        (flow.color != before.color).then_some(FlowEdit::Color(flow.color)),
        (flow.seed != before.seed).then_some(FlowEdit::Seed(flow.seed)),
    ];
    for edit in edits.into_iter().flatten() {
        out.push(Command::Edit(SceneEdit::Flow(edit)));
    }
    out
}
