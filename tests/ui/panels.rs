//! The viewer's egui layer driven with egui_kittest (no window, no GPU): sliders, handle
//! dragging (on the canvas and on the density strip), probe placement, keys, the model's
//! drop-downs (presets, slice picker) and held-parameter sliders, dragging on slices other
//! than the seed's (with unequal axis scaling too); each test asserts the scene state the
//! interaction must produce.

use egui::accesskit::Role;
use egui::{Event, Modifiers, PointerButton, Pos2, vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use fisherflow::frame::overlay::setup_egui;
use fisherflow::jobs::SceneJobs;
use fisherflow::math::{Metric, Model, Param, Slice};
use fisherflow::scene::{Preset, Scene, SceneEdit};
use fisherflow::viewer::ui::{self, UiState};

use crate::{show_window, test_jobs};

/// The scene, the UI state, every command the panels returned for the app, and the jobs.
type State = (Scene, UiState, Vec<ui::Command>, SceneJobs);

fn harness(scene: Scene) -> Harness<'static, State> {
    Harness::builder()
        .with_size(vec2(1400.0, 900.0))
        .with_context_setup(setup_egui)
        .build_ui_state(
            move |ui, (scene, state, requests, jobs): &mut State| {
                let commands = show_window(ui, scene, state, jobs);
                // Keep what the panels asked of the app, for the assertions.
                requests.extend(commands);
            },
            (scene, UiState::default(), Vec::new(), test_jobs()),
        )
}

fn press(h: &Harness<'_, State>, pos: Pos2, pressed: bool) {
    h.event(Event::PointerButton {
        pos,
        button: PointerButton::Primary,
        pressed,
        modifiers: Modifiers::NONE,
    });
}

/// Drags with the primary button from `from` to `to` in a few steps.
fn drag(h: &mut Harness<'_, State>, from: Pos2, to: Pos2) {
    h.hover_at(from);
    h.run();
    press(h, from, true);
    h.run();
    for k in 1..=5 {
        h.hover_at(from + (to - from) * (k as f32 / 5.0));
        h.run();
    }
    press(h, to, false);
    h.run();
}

/// Where `world` shows on the canvas, worked out here from the camera and the canvas rectangle
/// rather than with the UI's own `world_to_screen`: the camera's centre is at the rectangle's
/// centre, 2·half_height vertical world units span its height, one pixel spans x_per_y times
/// as much along x as along y, and screen y points down.
fn canvas_point(h: &Harness<'_, State>, world: [f64; 2]) -> Pos2 {
    let (scene, state, _, _) = h.state();
    let rect = state.canvas_rect.expect("canvas laid out");
    let px_per_world_y = rect.height() as f64 / (2.0 * scene.camera.half_height);
    let px_per_world_x = px_per_world_y / scene.camera.x_per_y;
    let c = scene.camera.center;
    rect.center()
        + vec2(
            ((world[0] - c[0]) * px_per_world_x) as f32,
            (-(world[1] - c[1]) * px_per_world_y) as f32,
        )
}

/// The inverse of [`canvas_point`], by hand in the same way: the world point under `pos`.
fn world_at(scene: &Scene, rect: egui::Rect, pos: Pos2) -> [f64; 2] {
    let world_per_px = 2.0 * scene.camera.half_height / rect.height() as f64;
    let d = pos - rect.center();
    let c = scene.camera.center;
    [
        c[0] + d.x as f64 * world_per_px * scene.camera.x_per_y,
        c[1] - d.y as f64 * world_per_px,
    ]
}

/// A scene with one of the presets applied (model, slice, probe, view).
fn preset_scene(p: Preset) -> Scene {
    let mut scene = Scene::default();
    scene.apply(SceneEdit::ApplyPreset(p));
    scene
}

/// Opens the drop-down whose button shows `current` and picks the entry `choice` in it.
fn choose(h: &mut Harness<'_, State>, current: &str, choice: &str) {
    h.get_by(|n| n.role() == Role::ComboBox && n.value().as_deref() == Some(current))
        .click();
    h.run();
    h.get_by(|n| n.role() != Role::ComboBox && n.label().as_deref() == Some(choice))
        .click();
    h.run();
}

#[test]
fn sliders_edit_the_scene() {
    let mut h = harness(Scene::default());
    h.run();
    h.get_by_role_and_label(Role::Slider, "σ")
        .set_value_accesskit(0.5);
    h.get_by_role_and_label(Role::Slider, "grid")
        .set_value_accesskit(256.0);
    h.get_by_role_and_label(Role::Slider, "ellipse scale")
        .set_value_accesskit(2.0);
    h.get_by_role_and_label(Role::Slider, "damping λ")
        .set_value_accesskit(0.1);
    h.get_by_role_and_label(Role::Slider, "particles")
        .set_value_accesskit(65536.0);
    h.run();
    let scene = &h.state().0;
    assert_eq!(scene.model.sigma1, 0.5);
    assert_eq!(scene.grid, 256);
    assert_eq!(scene.ellipse_scale, 2.0);
    assert_eq!(scene.damping, 0.1);
    assert_eq!(scene.features.flow.particles, Some(65536));
}

#[test]
fn dragging_the_target_moves_both_handles_and_can_reach_the_diagonal() {
    let mut h = harness(Scene::default());
    h.run();
    let start = h.state().0.target();
    let from = canvas_point(&h, start);
    let to = canvas_point(&h, [0.5, 0.5]);
    drag(&mut h, from, to);
    let scene = &h.state().0;
    assert!(
        (scene.target()[0] - 0.5).abs() < 0.02 && (scene.target()[1] - 0.5).abs() < 0.02,
        "{:?}",
        scene.target()
    );
    // The twin moved with it: dragged onto the diagonal, it sits on the target (hand value).
    let twin = scene.twin().expect("the seed's slice has a twin");
    assert!(
        (twin[0] - 0.5).abs() < 0.02 && (twin[1] - 0.5).abs() < 0.02,
        "the twin follows onto the diagonal: {twin:?}"
    );
    // On (or a hair from) the diagonal the panel reports the divergence of κ.
    let on_diagonal = Scene {
        model: Model::seed(0.5, 0.5, scene.model.sigma1),
        ..scene.clone()
    };
    let mut h = harness(on_diagonal);
    h.run();
    assert!(
        h.query_by_label_contains("κ = ∞").is_some(),
        "κ must read ∞ on the diagonal"
    );
}

#[test]
fn dragging_the_twin_moves_the_target_swapped() {
    let mut h = harness(Scene::default());
    h.run();
    let twin = h.state().0.twin().expect("the seed's slice has a twin");
    let from = canvas_point(&h, twin);
    let to = canvas_point(&h, [2.0, -1.0]);
    drag(&mut h, from, to);
    let target = h.state().0.target();
    assert!(
        (target[0] + 1.0).abs() < 0.02 && (target[1] - 2.0).abs() < 0.02,
        "{target:?}"
    );
}

#[test]
fn dragging_empty_canvas_pans_and_clicking_places_the_probe() {
    let mut h = harness(Scene {
        probe: None,
        ..Scene::default()
    });
    h.run();
    let rect = h.state().1.canvas_rect.unwrap();
    let from = rect.center() + vec2(0.0, 150.0);
    let before = h.state().0.camera.center;
    drag(&mut h, from, from + vec2(100.0, 0.0));
    let after = h.state().0.camera.center;
    assert!(
        after[0] < before[0],
        "dragging right moves the view left: {before:?} → {after:?}"
    );
    assert_eq!(h.state().0.probe, None, "a drag is not a click");

    let click = rect.center() + vec2(40.0, -60.0);
    h.hover_at(click);
    h.run();
    press(&h, click, true);
    h.run();
    press(&h, click, false);
    h.run();
    let probe = h.state().0.probe.expect("a click places the probe");
    // (40, −60) points from the centre: right and up, at the panned camera's scale.
    let scene = &h.state().0;
    let world_per_px = 2.0 * scene.camera.half_height / rect.height() as f64;
    let expected = [
        scene.camera.center[0] + 40.0 * world_per_px,
        scene.camera.center[1] + 60.0 * world_per_px,
    ];
    assert!(
        (probe[0] - expected[0]).abs() < 1e-9 && (probe[1] - expected[1]).abs() < 1e-9,
        "{probe:?} vs {expected:?}"
    );
}

#[test]
fn density_strip_markers_move_one_mean() {
    let mut h = harness(Scene::default());
    h.run();
    let marker = h.get_by_label("μ1* marker").rect();
    let from = marker.center();
    let before = h.state().0.target();
    drag(&mut h, from, from + vec2(80.0, 0.0));
    let after = h.state().0.target();
    assert!(after[0] > before[0] + 0.1, "{before:?} → {after:?}");
    assert_eq!(after[1], before[1], "only μ1* moves");
}

#[test]
fn keys_fit_reset_and_toggle_help() {
    let mut scene = Scene::default();
    scene.camera.center = [50.0, 50.0];
    scene.model.sigma1 = 0.3;
    scene.model.sigma2 = 0.3;
    let mut h = harness(scene);
    h.run();
    h.key_press(egui::Key::F);
    h.run();
    let c = h.state().0.camera.center;
    assert!(
        c[0].abs() < 5.0 && c[1].abs() < 5.0,
        "F fits the view to the handles: {c:?}"
    );
    h.key_press(egui::Key::H);
    h.run();
    assert!(h.state().1.show_help);
    assert!(
        h.query_by_label_contains("toggle this help").is_some(),
        "help lists the bindings"
    );
    h.key_press(egui::Key::R);
    h.run();
    assert_eq!(
        h.state().0.model,
        Scene::default().model,
        "R resets the scene"
    );
    h.key_press(egui::Key::P);
    h.run();
    assert!(
        h.state().2.contains(&ui::Command::Screenshot),
        "P asks the app for a screenshot"
    );
    assert!(
        !h.state()
            .2
            .iter()
            .any(|c| matches!(c, ui::Command::Edit(_))),
        "scene edits are applied by show, not passed on"
    );
    assert!(!h.state().0.features.flow.enabled);
    h.key_press(egui::Key::Space);
    h.run();
    assert!(h.state().0.features.flow.enabled, "Space turns flow on");
}

#[test]
fn wheel_zooms_around_the_cursor() {
    let mut h = harness(Scene::default());
    h.run();
    let rect = h.state().1.canvas_rect.unwrap();
    let at = rect.center() + vec2(120.0, 80.0);
    let world_before = world_at(&h.state().0, rect, at);
    let half_before = h.state().0.camera.half_height;
    h.hover_at(at);
    h.run();
    h.event(Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: vec2(0.0, 120.0),
        modifiers: Modifiers::NONE,
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
    });
    h.run();
    let scene = &h.state().0;
    assert!(
        scene.camera.half_height < half_before,
        "scrolling up zooms in"
    );
    let world_after = world_at(scene, rect, at);
    assert!(
        (world_after[0] - world_before[0]).abs() < 1e-6
            && (world_after[1] - world_before[1]).abs() < 1e-6
    );
}

#[test]
fn buttons_return_commands_for_the_app() {
    let mut h = harness(Scene::default());
    h.run();
    assert!(h.state().2.is_empty(), "no command before any click");
    for (label, expected) in [
        ("Save", ui::Command::SaveScene),
        ("Load", ui::Command::LoadScene),
        ("● Record (V)", ui::Command::ToggleRecording),
        ("Screenshot (P)", ui::Command::Screenshot),
    ] {
        // The side panel scrolls: bring the button into view first, as a user would.
        h.get_by_label(label).scroll_to_me();
        h.run();
        h.get_by_label(label).click();
        h.run();
        assert!(
            h.state().2.contains(&expected),
            "{label} asks the app for {expected:?}: {:?}",
            h.state().2
        );
    }
    // The scene itself is untouched by these requests (the app carries them out).
    assert_eq!(h.state().0, Scene::default());
}

#[test]
fn presets_switch_through_the_drop_down() {
    let mut h = harness(Scene::default());
    h.run();
    let mut shown = Preset::Seed.label();
    for p in [
        Preset::HalfPlane,
        Preset::WeightSingularity,
        Preset::Unequal,
        Preset::Seed,
    ] {
        choose(&mut h, shown, p.label());
        let (model, slice, probe) = p.setup();
        let scene = &h.state().0;
        assert_eq!((scene.model, scene.slice), (model, slice), "{p:?}");
        assert_eq!(scene.probe, Some(probe), "{p:?}");
        // The heading states the model with its values.
        let heading = ui::model_heading(&model);
        assert!(h.query_by_label(&heading).is_some(), "{heading}");
        shown = p.label();
    }
    // The half-plane's heading by hand: π = 1, μ1 = 0, σ1 = 1.
    assert_eq!(
        ui::model_heading(&Preset::HalfPlane.setup().0),
        "p = 1·N(0, 1²) + 0·N(0, 1²)"
    );
}

#[test]
fn slice_picker_sets_an_axis_and_swaps_on_the_other_axis_parameter() {
    let mut h = harness(Scene::default());
    h.run();
    // Horizontal μ1 → σ1: the slice becomes (σ1, μ2); σ1 leaves the held sliders, μ1 joins.
    choose(&mut h, "μ1", "σ1");
    assert_eq!(
        h.state().0.slice,
        Slice {
            a: Param::Sigma1,
            b: Param::Mu2
        }
    );
    assert!(h.query_by_role_and_label(Role::Slider, "μ1").is_some());
    assert!(h.query_by_role_and_label(Role::Slider, "σ1").is_none());
    assert!(h.query_by_label("target σ1*").is_some());
    // Vertical μ2 → σ1 (the horizontal axis' parameter): swapped, not (σ1, σ1).
    choose(&mut h, "μ2", "σ1");
    assert_eq!(
        h.state().0.slice,
        Slice {
            a: Param::Mu2,
            b: Param::Sigma1
        }
    );
    // The swap button turns it back round.
    h.get_by_label("⇄").click();
    h.run();
    assert_eq!(
        h.state().0.slice,
        Slice {
            a: Param::Sigma1,
            b: Param::Mu2
        }
    );
    assert!(h.state().0.validate().is_ok());
}

#[test]
fn held_parameter_sliders_set_the_model() {
    // The half-plane holds π, μ2, σ2.
    let mut h = harness(preset_scene(Preset::HalfPlane));
    h.run();
    assert!(h.query_by_role_and_label(Role::Slider, "σ").is_none());
    h.get_by_role_and_label(Role::Slider, "π")
        .set_value_accesskit(0.25);
    h.get_by_role_and_label(Role::Slider, "σ2")
        .set_value_accesskit(2.0);
    h.get_by_role_and_label(Role::Slider, "μ2")
        .set_value_accesskit(-3.0);
    h.run();
    let m = h.state().0.model;
    assert_eq!((m.pi, m.sigma2, m.mu2), (0.25, 2.0, -3.0));
    // The slice's own parameters keep their values.
    assert_eq!((m.mu1, m.sigma1), (0.0, 1.0));
    // A held slider clamps like the scene: σ2 above its range stops at 5.
    h.get_by_role_and_label(Role::Slider, "σ2")
        .set_value_accesskit(50.0);
    h.run();
    assert_eq!(h.state().0.model.sigma2, 5.0);

    // The seed's slice with σ1 = σ2: one shared σ slider; untied, two.
    let mut h = harness(Scene::default());
    h.run();
    assert!(h.query_by_role_and_label(Role::Slider, "σ1").is_none());
    h.get_by_label("σ1 = σ2").click();
    h.run();
    h.get_by_role_and_label(Role::Slider, "σ2")
        .set_value_accesskit(0.5);
    h.run();
    let m = h.state().0.model;
    assert_eq!((m.sigma1, m.sigma2), (1.0, 0.5));
    assert_eq!(h.state().0.seed_sigma(), None, "no longer the seed's model");
}

#[test]
fn dragging_the_target_on_the_half_plane_moves_its_slice_coordinates() {
    let mut h = harness(preset_scene(Preset::HalfPlane));
    h.run();
    assert_eq!(h.state().0.camera.x_per_y, 1.0, "μ and σ share units");
    assert_eq!(h.state().0.twin(), None, "π = 1: no twin in the slice");
    let from = canvas_point(&h, h.state().0.target());
    let to = canvas_point(&h, [-0.8, 1.6]);
    drag(&mut h, from, to);
    let scene = &h.state().0;
    let t = scene.target();
    assert!(
        (t[0] + 0.8).abs() < 0.02 && (t[1] - 1.6).abs() < 0.02,
        "{t:?}"
    );
    assert_eq!((scene.model.mu1, scene.model.sigma1), (t[0], t[1]));
    // Held parameters untouched.
    assert_eq!(
        (scene.model.pi, scene.model.mu2, scene.model.sigma2),
        (1.0, 0.0, 1.0)
    );
}

#[test]
fn dragging_the_target_with_unequal_axis_scaling_follows_the_pointer() {
    // (π, μ1): π spans about 1.1 across the canvas while μ1 spans several units up it.
    let mut h = harness(preset_scene(Preset::WeightSingularity));
    h.run();
    let x_per_y = h.state().0.camera.x_per_y;
    assert!(
        (x_per_y - 1.0).abs() > 0.5,
        "unequal scaling expected: {x_per_y}"
    );
    let start = h.state().0.target();
    let goal = [0.3, 0.5];
    let from = canvas_point(&h, start);
    let to = canvas_point(&h, goal);
    drag(&mut h, from, to);
    let rect = h.state().1.canvas_rect.unwrap();
    let scene = &h.state().0;
    // Where the pointer went, by hand (x_per_y included), within a pixel's world size.
    let expected = world_at(scene, rect, to);
    let px = 2.0 * scene.camera.half_height / rect.height() as f64;
    let t = scene.target();
    assert!(
        (t[0] - expected[0]).abs() < 2.0 * px * x_per_y && (t[1] - expected[1]).abs() < 2.0 * px,
        "{t:?} vs {expected:?}"
    );
    assert!(
        (t[0] - goal[0]).abs() < 0.01 && (t[1] - goal[1]).abs() < 0.03,
        "{t:?}"
    );
    assert_eq!((scene.model.pi, scene.model.mu1), (t[0], t[1]));
    // Negative control: with equal scaling assumed, the pointer's π would be far off.
    let naive = start[0] + (to.x - from.x) as f64 * px;
    assert!((naive - t[0]).abs() > 0.05, "{naive} vs {}", t[0]);
}

#[test]
fn dragging_empty_canvas_on_an_unequal_slice_pans_and_leaves_the_model() {
    let mut h = harness(preset_scene(Preset::WeightSingularity));
    h.run();
    let before = h.state().0.clone();
    let rect = h.state().1.canvas_rect.unwrap();
    // Well away from the handle and the probe.
    let from = rect.center() + vec2(-rect.width() * 0.3, rect.height() * 0.35);
    assert!(from.distance(canvas_point(&h, before.target())) > 40.0);
    drag(&mut h, from, from + vec2(100.0, 0.0));
    let after = &h.state().0;
    assert_eq!(after.model, before.model, "panning leaves θ* alone");
    assert_eq!(after.probe, before.probe, "a drag is not a click");
    // 100 px right moves the view left by 100 px of π (x_per_y counted).
    let px = 2.0 * before.camera.half_height / rect.height() as f64;
    let moved = before.camera.center[0] - after.camera.center[0];
    assert!(
        (moved - 100.0 * px * before.camera.x_per_y).abs() < 1e-9,
        "{moved}"
    );
    assert_eq!(after.camera.center[1], before.camera.center[1]);
}

#[test]
fn density_markers_set_a_held_mean_too() {
    // On the half-plane μ2 is held; its marker sets it with SetParam.
    let mut h = harness(preset_scene(Preset::Sigmas));
    h.run();
    let before = h.state().0.model;
    let marker = h.get_by_label("μ2* marker").rect();
    drag(&mut h, marker.center(), marker.center() + vec2(-60.0, 0.0));
    let after = h.state().0.model;
    assert!(after.mu2 < before.mu2 - 0.1, "{before:?} → {after:?}");
    assert_eq!(
        (after.mu1, after.sigma1, after.sigma2, after.pi),
        (before.mu1, before.sigma1, before.sigma2, before.pi)
    );
}

#[test]
fn the_full_fisher_matrix_and_the_metric_choice_show() {
    let mut h = harness(preset_scene(Preset::HalfPlane));
    h.run();
    assert!(
        h.query_by_label("Full Fisher matrix F (5×5) at the probe")
            .is_some()
    );
    // F at the probe (μ1 1.5, σ1 2): F_μ1μ1 = 1/σ1² = 0.25, F_σ1σ1 = 2/σ1² = 0.5; π's row is
    // undefined at π = 1.
    assert!(h.query_by_label("2.500e-1").is_some());
    assert!(h.query_by_label("5.000e-1").is_some());
    assert!(h.query_all_by_label("undef.").count() == 9);
    // The grid fits the side panel (whose right edge is the canvas' left edge).
    let panel_right = h.state().1.canvas_rect.unwrap().left();
    for node in h.query_all_by_label_contains("e-1") {
        assert!(node.rect().right() <= panel_right, "{:?}", node.rect());
    }
    // The profiled metric needs π inside (0, 1): the panel says it is undefined here.
    h.get_by_label("profiled").click();
    h.run();
    assert_eq!(h.state().0.metric, Metric::Profiled);
    // At θ* and at the probe.
    assert_eq!(
        h.query_all_by_label_contains("the profiled metric is undefined with pi held at 1")
            .count(),
        2
    );
    assert!(h.query_by_label_contains("κ(S) = ").is_none());
    // π = ½ with both components at N(0, 1): the held π's score vanishes at θ*, so F_nn is
    // singular there (the probe, at σ1 = 2, is fine).
    h.state_mut().0.apply(SceneEdit::SetParam(Param::Pi, 0.5));
    h.run();
    assert!(
        h.query_by_label_contains("held parameters' Fisher block is singular")
            .is_some()
    );
    // With the components apart it is defined, and shows its κ.
    h.state_mut().0.apply(SceneEdit::SetParam(Param::Mu2, 2.0));
    h.run();
    assert!(h.query_by_label_contains("κ(S) = ").is_some());
    assert!(h.query_by_label_contains("is undefined").is_none());
    h.get_by_label("induced block").click();
    h.run();
    assert_eq!(h.state().0.metric, Metric::Induced);
}

#[test]
fn dragging_the_twin_on_the_sigma_slice_swaps_through_the_label_swap() {
    // (σ1, σ2) with the means together and π = ½: the swapped target (σ2*, σ1*) lies in the
    // slice, so its twin handle shows and dragging it to (a, b) puts θ* at (b, a).
    let mut scene = preset_scene(Preset::Sigmas);
    scene.model.mu1 = 0.0;
    scene.model.mu2 = 0.0;
    scene.fit_view();
    let mut h = harness(scene);
    h.run();
    let twin = h.state().0.twin().expect("the twin lies in this slice");
    assert_eq!(twin, [1.2, 0.8]);
    let from = canvas_point(&h, twin);
    let to = canvas_point(&h, [1.5, 0.6]);
    drag(&mut h, from, to);
    let t = h.state().0.target();
    assert!(
        (t[0] - 0.6).abs() < 0.02 && (t[1] - 1.5).abs() < 0.02,
        "{t:?}"
    );
    assert_eq!(h.state().0.model.mu2, 0.0, "held parameters stay");
    // With the means apart there is no twin to grab: the same drag pans instead.
    let mut h = harness(preset_scene(Preset::Sigmas));
    h.run();
    assert_eq!(h.state().0.twin(), None);
    let before = h.state().0.model;
    let from = canvas_point(&h, [1.2, 0.8]);
    drag(&mut h, from, from + vec2(40.0, 0.0));
    assert_eq!(h.state().0.model, before);
}

#[test]
fn the_heatmap_picker_sets_the_scene_heatmap() {
    use fisherflow::scene::Heatmap;
    let mut h = harness(Scene::default());
    h.run();
    let mut shown = Heatmap::None.label();
    for choice in [Heatmap::Log10Kappa, Heatmap::Loss, Heatmap::None] {
        choose(&mut h, shown, choice.label());
        assert_eq!(h.state().0.features.heatmap, choice);
        shown = choice.label();
    }
    // Every choice is offered.
    choose(&mut h, shown, Heatmap::NatgradNorm.label());
    assert_eq!(h.state().0.features.heatmap, Heatmap::NatgradNorm);
}

/// What the side panel shows never moves the canvas' edge: a panel that widened with its
/// content would resize the canvas, which the viewer then reallocates with every cached layer
/// (35–50 ms a frame on llvmpipe for the few frames egui takes to settle). Here the probe is
/// set and cleared and every preset applied, mixture and policy plane, and the canvas' left
/// edge is where it was.
#[test]
fn the_canvas_edge_stays_where_it_is_whatever_the_panel_shows() {
    let mut h = harness(Scene::default());
    h.run();
    let left = |h: &Harness<'_, State>| h.state().1.canvas_rect.unwrap().left();
    let start = left(&h);
    let mut scenes = vec![("no probe", Scene::default())];
    let mut probed = Scene::default();
    probed.apply(SceneEdit::SetProbe(Some([1.2, 0.4])));
    scenes.push(("a probe", probed));
    for preset in Preset::every() {
        let mut scene = preset_scene(preset);
        scene.apply(SceneEdit::SetProbe(Some(scene.target())));
        scenes.push((preset.label(), scene));
    }
    let mut moved = Vec::new();
    for (what, scene) in scenes {
        h.state_mut().0 = scene;
        h.run();
        if left(&h) != start {
            moved.push(format!("{what}: {} px", left(&h)));
        }
    }
    assert!(
        moved.is_empty(),
        "the canvas' left edge moved from {start}: {moved:?}"
    );
}
