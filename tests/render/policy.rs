//! The policy plane on the canvas: the frame's field cells are the f64 closed loop at their
//! centres (outside the stability triangle flagged, inside C within 1e-4), the probe cell is
//! the probe's, the probe's red and cyan arrows are drawn there, the legends speak of C and
//! not L, the race runs the plant's five optimizers, and the mixture-only features asked for in
//! the scene (paths, estimates) are neither computed nor listed, while its flow, geodesic
//! ball and convergence map run — with the
//! mixture's scene as the control.

use crate::common;
use crate::common::pixels::{count_near, keep};

use fisherflow::frame::FrameRenderer;
use fisherflow::frame::overlay::world_to_screen;
use fisherflow::gpu::general_data::FLAG_OUTSIDE_MODEL;
use fisherflow::math::policy::Lqr;
use fisherflow::render::colormap::palette;
use fisherflow::render::layer::LegendItem;
use fisherflow::scene::{Heatmap, Preset, Scene, SceneEdit};
use fisherflow::simulation::GridLayout;

const SIZE: [u32; 2] = [480, 360];

/// The pendulum's preset with every mixture-only feature switched on in the scene's settings.
fn pendulum() -> Scene {
    let mut scene = Scene {
        grid: 24,
        ..Scene::default()
    };
    scene.features.heatmap = Heatmap::Loss;
    scene.apply(SceneEdit::ApplyPreset(Preset::Pendulum));
    scene.features.race.enabled = true;
    scene.features.geodesics.ball = true;
    scene.features.geodesics.shortest_path = true;
    scene.features.estimates.at_probe = true;
    scene.features.convergence.enabled = true;
    scene.features.flow.enabled = true;
    scene
}

fn legend_text(frames: &FrameRenderer, scene: &Scene) -> String {
    legend_text_with(frames, scene, &fisherflow::render::FrameInfo::default())
}

/// The legends' text for a frame that reported `info` (the flow's legend needs its particles).
fn legend_text_with(
    frames: &FrameRenderer,
    scene: &Scene,
    info: &fisherflow::render::FrameInfo,
) -> String {
    let mut text = String::new();
    for legend in frames.scene_renderer().legends(scene, info) {
        text += legend.title.as_deref().unwrap_or("");
        for item in legend.items {
            match item {
                LegendItem::Text(t) => text += &t,
                LegendItem::Swatch { label, .. } => text += &label,
                LegendItem::ColorBar { .. } => {}
            }
            text.push('\n');
        }
    }
    text
}

#[test]
fn the_policy_field_is_the_closed_loop_and_only_its_features_run() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let mut frames = FrameRenderer::new(ctx, false).unwrap();
    frames.scene_renderer_mut().set_deterministic(true);
    let scene = pendulum();
    let (info, image) = frames.render_image(ctx, SIZE, 1.0, &scene).unwrap();
    let path = keep(&image, "render_policy_pendulum");
    let (cells, probe) = frames
        .scene_renderer()
        .simulation()
        .read_field_and_probe(ctx)
        .unwrap();
    assert_eq!(cells.len(), info.cells as usize);
    let layout = GridLayout::for_view(&scene, [SIZE[0] as f32, SIZE[1] as f32], scene.grid);
    let [w, h] = layout.cell_size();
    let lqr = Lqr::new(scene.system.as_ref().unwrap());
    let (mut inside, mut outside, mut compared) = (0, 0, 0);
    for (i, cell) in cells.iter().enumerate() {
        let (col, row) = (
            (i as u32 % layout.columns) as f64,
            (i as u32 / layout.columns) as f64,
        );
        let k = [
            layout.origin[0] + (col + 0.5) * w,
            layout.origin[1] + (row + 0.5) * h,
        ];
        let rho = lqr.spectral_radius(k);
        let flagged = cell.flags & FLAG_OUTSIDE_MODEL != 0;
        if (rho - 1.0).abs() > 1e-3 {
            assert_eq!(flagged, rho >= 1.0, "cell {i} at {k:?}: ρ = {rho}");
        }
        if flagged {
            outside += 1;
            continue;
        }
        inside += 1;
        if let Some(c) = lqr.evaluate(k).closed.filter(|_| rho <= 0.95) {
            let err = (f64::from(cell.loss) - c.cost).abs() / c.cost;
            assert!(
                err < 1e-4,
                "cell {i} at {k:?}: C {} vs {}",
                cell.loss,
                c.cost
            );
            compared += 1;
        }
    }
    assert!(
        inside > 200 && outside > 20 && compared > 100,
        "{inside} in, {outside} out, {compared}"
    );
    // The probe cell is the probe's closed loop.
    let p = scene.probe.unwrap();
    let want = lqr.evaluate(p).closed.unwrap();
    let probe = probe.expect("a probe cell");
    assert!((f64::from(probe.loss) - want.cost).abs() < 1e-4 * want.cost);
    // Its arrows: the Euclidean red and the natural cyan near the probe.
    let rect =
        egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(SIZE[0] as f32, SIZE[1] as f32));
    let at = world_to_screen(&scene, rect, p);
    for hex in [palette::EUCLID, palette::NATURAL] {
        assert!(
            count_near(&image, [at.x, at.y], hex, 40) > 10,
            "{hex:06x} near the probe: {path}"
        );
    }
    // The legends speak of C; nothing of the mixture-only features is listed or computed.
    let text = legend_text(&frames, &scene);
    assert!(
        text.contains("C (LQR cost)") && text.contains("∇C"),
        "{text}"
    );
    assert!(!text.to_lowercase().contains("estimate"), "{text}");
    assert!(frames.scene_renderer().shown_paths().is_none());
    // The convergence map of gd against npg (its cells against the mirror: tests/gpu).
    assert!(
        text.contains("convergence map: gd | npg") && text.contains("C ≤ (1 + 1e-4)·C*"),
        "{text}"
    );
    // The geodesic ball runs on the gains (its rays against the mirror: tests/gpu).
    assert!(text.contains("Fisher–Rao circle"), "{text}");
    assert!(
        frames
            .scene_renderer()
            .simulation()
            .geodesic_ball(&scene)
            .is_some(),
        "no policy ball"
    );
    // The flow runs on the plant's gains, its legend in C with the crash marker.
    assert!(info.particles > 0, "no policy particles");
    let text_with_flow = legend_text_with(&frames, &scene, &info);
    assert!(
        text_with_flow.contains("particles on −F⁻¹∇C") && text_with_flow.contains("crash"),
        "{text_with_flow}"
    );
    // The race runs on the plant: its five optimizers, the runs a direct race on the policy
    // plane with the scene's rates, the legend in C/C* − 1.
    let shown = frames
        .scene_renderer()
        .shown_race()
        .expect("the policy plane's race")
        .clone();
    let names: Vec<_> = shown.runs.iter().map(|r| r.optimizer).collect();
    assert_eq!(names, fisherflow::math::optimize::Optimizer::POLICY_RACE);
    let plane = fisherflow::math::policy::PolicyPlane::new(scene.system.as_ref().unwrap());
    let direct = fisherflow::math::optimize::race(
        &plane,
        scene.probe.unwrap(),
        &fisherflow::math::optimize::Optimizer::POLICY_RACE,
        |o| scene.features.race.policy_lr.get(o),
        scene.features.race.steps,
        &scene.features.race.hyper,
    );
    assert_eq!(shown.runs, direct);
    assert!(text.contains("C/C* − 1 < 1e-6"), "{text}");
    // Control: the same settings on the mixture's seed slice list L, the race and the ball.
    let mut mixture = scene.clone();
    mixture.apply(SceneEdit::ApplyPreset(Preset::Seed));
    frames.render_image(ctx, SIZE, 1.0, &mixture).unwrap();
    let text = legend_text(&frames, &mixture);
    assert!(
        text.contains("∇L") && text.contains("Fisher–Rao circle"),
        "{text}"
    );
    assert!(frames.scene_renderer().shown_race().is_some());
}

#[test]
fn a_policy_scene_file_round_trips_and_old_files_stay_on_the_mixture() {
    let scene = pendulum();
    let text = toml::to_string(&scene).unwrap();
    assert!(
        text.contains("[system]") && text.contains("plant = \"pendulum\""),
        "{text}"
    );
    let back: Scene = toml::from_str(&text).unwrap();
    assert_eq!(back, scene);
    back.validate().unwrap();
    // A file without [system] is the mixture, as before.
    let old: Scene = toml::from_str("heatmap = \"loss\"").unwrap();
    assert!(old.system.is_none());
    // A bad system is refused with the key named.
    let bad: Result<Scene, _> = toml::from_str("[system]\nplant = \"cart\"\nomega2 = 3.0");
    let bad = bad.map(|s| s.validate());
    assert!(matches!(&bad, Ok(Err(e)) if e.field == "system"), "{bad:?}");
    // A probe outside the triangle is allowed there (its rollout falls), a NaN one is not.
    let outside: Scene =
        toml::from_str("probe = [500.0, 3.0]\n[system]\nplant = \"cart\"").unwrap();
    outside.validate().unwrap();
    let mut nan = outside.clone();
    nan.probe = Some([f64::NAN, 1.0]);
    assert_eq!(nan.validate().unwrap_err().field, "probe");
}

/// The policy plane's own heatmaps (ρ(A_K), control energy) are drawn there with their legends,
/// and the mixture does not offer them (no legend, no layer), nor the policy plane the EF gap.
#[test]
fn the_policy_heatmaps_belong_to_the_policy_plane() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let mut frames = FrameRenderer::new(ctx, false).unwrap();
    frames.scene_renderer_mut().set_deterministic(true);
    for (heatmap, title) in [
        (Heatmap::SpectralRadius, "ρ(A_K) spectral radius"),
        (Heatmap::ControlEnergy, "control energy E_u"),
    ] {
        let mut scene = pendulum();
        scene.features.heatmap = heatmap;
        let (_, image) = frames.render_image(ctx, SIZE, 1.0, &scene).unwrap();
        keep(&image, &format!("render_policy_{heatmap:?}"));
        assert!(legend_text(&frames, &scene).contains(title), "{heatmap:?}");
        let mut mixture = scene.clone();
        mixture.apply(SceneEdit::ApplyPreset(Preset::Seed));
        assert!(!mixture.offers(fisherflow::scene::Feature::Heatmap(heatmap)));
        frames.render_image(ctx, SIZE, 1.0, &mixture).unwrap();
        assert!(!legend_text(&frames, &mixture).contains(title));
    }
    let mut ef = pendulum();
    ef.features.heatmap = Heatmap::EfGap;
    assert!(!ef.offers(fisherflow::scene::Feature::Heatmap(Heatmap::EfGap)));
    frames.render_image(ctx, SIZE, 1.0, &ef).unwrap();
    assert!(!legend_text(&frames, &ef).contains("EF gap"));
}

/// `scenarios/pendulum_learns.toml` parses and validates, is on the pendulum's policy plane
/// with the race on, and its start walks: the race key differs between its first and last
/// frames (a capture redraws the race), while both starts lie inside the triangle.
#[test]
fn the_pendulum_scenario_loads_on_the_policy_plane() {
    use fisherflow::capture::scenario::Scenario;
    let path = format!(
        "{}/scenarios/pendulum_learns.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let scenario = Scenario::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
    let (first, last) = (scenario.scene_at(0.0), scenario.scene_at(scenario.duration));
    assert_eq!(first.family(), fisherflow::scene::Family::Policy);
    let key = |s: &Scene| fisherflow::features::race::job::RaceKey::for_scene(s).expect("a race");
    assert_ne!(key(&first).start, key(&last).start);
    for s in [&first, &last] {
        assert!(s.inside_model(s.probe.unwrap()).is_some());
    }
}
