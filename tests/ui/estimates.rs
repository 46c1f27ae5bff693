//! The side panel's "Fisher estimates" section driven with egui_kittest: the probe toggle and
//! the resample button return the scene edits they should, the grid source radio switches to
//! EF, and the numbers at the probe (the four matrices, the two steps' angle) show once the
//! section is opened — and not without a probe (negative control).

use egui::vec2;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use fisherflow::features::estimates::panel as estimates_panel;
use fisherflow::frame::overlay::setup_egui;
use fisherflow::jobs::SceneJobs;
use fisherflow::scene::{EllipseSource, FeatureEdit, Scene, SceneEdit};
use fisherflow::viewer::ui::Command;

use crate::test_jobs;

type State = (Scene, Vec<Command>, SceneJobs);

fn harness(scene: Scene) -> Harness<'static, State> {
    Harness::builder()
        .with_size(vec2(420.0, 900.0))
        .with_context_setup(setup_egui)
        .build_ui_state(
            |ui, (scene, out, jobs): &mut State| {
                jobs.update(scene);
                let commands = estimates_panel::show(ui, scene, jobs);
                for c in &commands {
                    if let Command::Edit(edit) = c {
                        scene.apply(*edit);
                    }
                }
                out.extend(commands);
            },
            (scene, Vec::new(), test_jobs()),
        )
}

#[test]
fn toggles_resample_and_numbers() {
    let mut h = harness(Scene::default());
    h.run();
    assert!(h.state().1.is_empty(), "no edit before any click");
    h.get_by_label("ellipses at the probe").click();
    h.run();
    assert!(h.state().0.features.estimates.at_probe);
    assert!(
        matches!(h.state().1[0], Command::Edit(SceneEdit::SetFeature(FeatureEdit::Estimates(e))) if e.at_probe)
    );
    h.get_by_label("estimate settings and numbers").click();
    h.run();
    let seed = h.state().0.features.estimates.seed;
    h.get_by_label("resample").click();
    h.run();
    assert_eq!(h.state().0.features.estimates.seed, seed.wrapping_add(1));
    h.get_by_label("EF").click();
    h.run();
    assert_eq!(
        h.state().0.features.estimates.grid_ellipses,
        EllipseSource::EmpiricalFisher
    );
    // The default scene has a probe: the numbers are there (N = 100 is computed on the spot).
    assert!(h.query_by_label_contains("angle").is_some());
    assert!(h.query_by_label_contains("EF_N [").is_some());

    // Negative control: without a probe the section asks for one instead.
    let mut h = harness(Scene {
        probe: None,
        ..Scene::default()
    });
    h.run();
    h.get_by_label("estimate settings and numbers").click();
    h.run();
    assert!(h.query_by_label_contains("angle").is_none());
    assert!(h.query_by_label_contains("place a probe").is_some());
}
