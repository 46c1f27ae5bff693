//! The K-FAC tab driven with egui_kittest (no window, no GPU): the tab bar switches views, the
//! tab shows the three layers' figures once its worker has answered, and its widgets edit the
//! scene's `kfac` settings.

use egui::vec2;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use fisherflow::frame::overlay::setup_egui;
use fisherflow::jobs::SceneJobs;
use fisherflow::scene::{Scene, Tab};
use fisherflow::viewer::ui::UiState;

use crate::{show_window, test_jobs};

type State = (Scene, UiState, SceneJobs);

fn harness(scene: Scene) -> Harness<'static, State> {
    Harness::builder()
        .with_size(vec2(1400.0, 900.0))
        .with_context_setup(setup_egui)
        .build_ui_state(
            move |ui, (scene, state, jobs): &mut State| {
                show_window(ui, scene, state, jobs);
            },
            // Deterministic jobs: the lab's snapshot of these settings is there in the frame.
            (scene, UiState::default(), test_jobs()),
        )
}

#[test]
fn tab_bar_switches_to_the_kfac_lab_and_back() {
    let mut h = harness(Scene::default());
    h.run();
    assert_eq!(h.state().0.tab, Tab::Geometry);
    h.get_by_label("K-FAC lab").click();
    h.run();
    assert_eq!(h.state().0.tab, Tab::Kfac);
    h.run();
    // The figures of all three layers are there (the worker answered).
    assert!(h.query_by_label_contains("‖F − G⊗A‖_F / ‖F‖_F").is_some());
    for n in ["n = 16", "n = 72", "n = 18"] {
        assert!(
            h.query_by_label_contains(n).is_some(),
            "no layer row with {n} (H = 8: 2×8, 9×8, 9×2)"
        );
    }
    h.get_by_label("Mixture geometry").click();
    h.run();
    assert_eq!(h.state().0.tab, Tab::Geometry);
}

#[test]
fn train_button_and_optimizer_choice_edit_the_scene() {
    let scene = Scene {
        tab: Tab::Kfac,
        ..Scene::default()
    };
    let mut h = harness(scene);
    h.run();
    assert!(!h.state().0.features.kfac.training);
    h.get_by_label("train").click();
    // While training the tab keeps repainting: step a fixed number of frames.
    h.run_steps(3);
    assert!(h.state().0.features.kfac.training);
    h.get_by_role_and_label(egui::accesskit::Role::RadioButton, "ngd")
        .click();
    h.run_steps(3);
    assert_eq!(
        h.state().0.features.kfac.shown,
        fisherflow::kfac::Trainer::Ngd
    );
    h.get_by_label("pause").click();
    h.run_steps(3);
    assert!(!h.state().0.features.kfac.training);
}
