//! The side panel's "Cramér–Rao region" section driven with egui_kittest: the checkbox switches
//! the region on with the edit it should, its sliders show only then, and the section is absent
//! on the policy plane (negative control).

use egui::accesskit::Role;
use egui::vec2;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use fisherflow::features::cramer_rao::panel;
use fisherflow::frame::overlay::setup_egui;
use fisherflow::scene::{FeatureEdit, Preset, Scene, SceneEdit};
use fisherflow::viewer::ui::Command;

type State = (Scene, Vec<Command>);

fn harness(scene: Scene) -> Harness<'static, State> {
    Harness::builder()
        .with_size(vec2(420.0, 300.0))
        .with_context_setup(setup_egui)
        .build_ui_state(
            |ui, (scene, out): &mut State| {
                let commands = panel::show(ui, scene);
                for c in &commands {
                    if let Command::Edit(edit) = c {
                        scene.apply(*edit);
                    }
                }
                out.extend(commands);
            },
            (scene, Vec::new()),
        )
}

#[test]
fn the_checkbox_switches_the_region_on_and_shows_its_sliders() {
    let mut h = harness(Scene::default());
    h.run();
    assert!(h.state().1.is_empty(), "no edit before any click");
    assert!(
        h.query_by_role_and_label(Role::Slider, "samples N")
            .is_none(),
        "the sliders show only while the region is on"
    );
    h.get_by_label("at θ* and its twin").click();
    h.run();
    assert!(h.state().0.features.cramer_rao.enabled);
    assert!(
        matches!(h.state().1[0], Command::Edit(SceneEdit::SetFeature(FeatureEdit::CramerRao(c))) if c.enabled),
        "{:?}",
        h.state().1
    );
    h.get_by_role_and_label(Role::Slider, "samples N")
        .set_value_accesskit(400.0);
    h.run();
    assert_eq!(h.state().0.features.cramer_rao.samples, 400);
    // Past the range: the region stays in it (the slider and the edit both clamp).
    h.get_by_role_and_label(Role::Slider, "probability p")
        .set_value_accesskit(2.0);
    h.run();
    assert!(h.state().0.features.cramer_rao.level <= 0.999);
}

#[test]
fn the_policy_plane_has_no_region() {
    let mut scene = Scene::default();
    scene.apply(SceneEdit::ApplyPreset(Preset::Pendulum));
    let mut h = harness(scene);
    h.run();
    assert!(h.query_by_label("at θ* and its twin").is_none());
    // Control: the same harness on the mixture shows it.
    let mut h = harness(Scene::default());
    h.run();
    assert!(h.query_by_label("at θ* and its twin").is_some());
}
