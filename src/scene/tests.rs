//! The scene's tests: edits, clamping, files old and new, presets.

use super::*;

#[test]
fn pixel_world_round_trip_and_equal_scaling() {
    let cam = Camera {
        center: [1.0, -2.0],
        half_height: 3.0,
        x_per_y: 1.0,
    };
    let size = [800.0, 600.0];
    let w = cam.pixel_to_world([123.0, 456.0], size);
    // By hand: 6 world units over 600 px is 0.01 per pixel; the pixel is (123 − 400,
    // 456 − 300) from the centre, and y points down on screen.
    let expected = [1.0 + (123.0 - 400.0) * 0.01, -2.0 - (456.0 - 300.0) * 0.01];
    assert!((w[0] - expected[0]).abs() < 1e-12 && (w[1] - expected[1]).abs() < 1e-12);
    let p = cam.world_to_pixel(w, size);
    assert!((p[0] - 123.0).abs() < 1e-3 && (p[1] - 456.0).abs() < 1e-3);
    // One pixel is the same world distance along both axes.
    let a = cam.pixel_to_world([0.0, 0.0], size);
    let b = cam.pixel_to_world([1.0, 1.0], size);
    assert!(((b[0] - a[0]) + (b[1] - a[1])).abs() < 1e-12);
}

#[test]
fn zoom_keeps_the_point_under_the_cursor() {
    let mut cam = Camera::default();
    let size = [640.0, 480.0];
    cam.zoom_about(1.7, [100.0, 50.0], size);
    assert!((cam.half_height - 4.0 / 1.7).abs() < 1e-12);
    // By hand: the pixel is (−220, −190) px from the centre. Before, at 8/480 world units
    // per pixel, it shows (−220·8/480, 190·8/480); after, at 8/(480·1.7), the centre must
    // sit so that the same pixel still shows that point.
    let (before, after) = (8.0 / 480.0, 8.0 / (480.0 * 1.7));
    let anchor = [-220.0 * before, 190.0 * before];
    let center = [anchor[0] + 220.0 * after, anchor[1] - 190.0 * after];
    assert!(
        (cam.center[0] - center[0]).abs() < 1e-12 && (cam.center[1] - center[1]).abs() < 1e-12,
        "{:?} vs {center:?}",
        cam.center
    );
}

#[test]
fn zoom_and_pan_stop_at_the_camera_limits() {
    let size = [160.0, 120.0];
    let mut cam = Camera::default();
    cam.zoom_about(1e30, [80.0, 60.0], size);
    assert_eq!(cam.half_height, 1e-6, "deepest zoom");
    cam.zoom_about(1e-30, [0.0, 0.0], size);
    assert_eq!(cam.half_height, 1e6, "widest zoom");
    // At the widest zoom a 1e5-pixel drag would move the centre by 1e9: it stops at the
    // coordinate limit. Dragging left and down moves the view right and up.
    cam.pan_pixels([-1e5, 1e5], size[1]);
    assert_eq!(cam.center, [WORLD_LIMIT, WORLD_LIMIT]);
    // Nonsense input changes nothing.
    let before = cam;
    cam.zoom_about(f64::NAN, [80.0, 60.0], size);
    cam.zoom_about(0.0, [80.0, 60.0], size);
    cam.zoom_about(-2.0, [80.0, 60.0], size);
    cam.pan_pixels([f32::NAN, 1.0], size[1]);
    assert_eq!(cam, before);
}

#[test]
fn apply_sets_values_within_the_ui_ranges() {
    let mut scene = Scene::default();
    scene.apply(SceneEdit::SetSigma(0.7));
    assert_eq!(scene.model.sigma1, 0.7);
    scene.apply(SceneEdit::SetSigma(1e-9));
    assert_eq!(
        scene.model.sigma1, 0.05,
        "σ below the slider's range clamps to 0.05"
    );
    scene.apply(SceneEdit::SetSigma(1e9));
    assert_eq!(scene.model.sigma1, 5.0);
    scene.apply(SceneEdit::SetSigma(f64::NAN));
    assert_eq!(scene.model.sigma1, 5.0, "NaN changes nothing");
    scene.apply(SceneEdit::SetDamping(-1.0));
    assert_eq!(scene.damping, 0.0);
    scene.apply(SceneEdit::SetDamping(1e3));
    assert_eq!(scene.damping, 10.0);
    scene.apply(SceneEdit::SetGrid(3));
    assert_eq!(scene.grid, 8);
    scene.apply(SceneEdit::SetGrid(1_000_000));
    assert_eq!(scene.grid, 2048);
    scene.apply(SceneEdit::SetNodes(17));
    assert_eq!(scene.nodes, 16, "odd node counts round down to even");
    scene.apply(SceneEdit::SetNodes(1));
    assert_eq!(scene.nodes, 4);
    scene.apply(SceneEdit::SetNodes(10_000));
    assert_eq!(scene.nodes, 512);
    scene.apply(SceneEdit::SetEllipseScale(100.0));
    assert_eq!(scene.ellipse_scale, 4.0);
    scene.apply(SceneEdit::Flow(FlowEdit::Particles(Some(10))));
    assert_eq!(scene.features.flow.particles, Some(1000));
    scene.apply(SceneEdit::Flow(FlowEdit::Particles(Some(u32::MAX))));
    assert_eq!(scene.features.flow.particles, Some(1 << 20));
    scene.apply(SceneEdit::Flow(FlowEdit::Dt(0.0)));
    assert_eq!(scene.features.flow.dt, 0.001);
    scene.apply(SceneEdit::Flow(FlowEdit::StepsPerFrame(0)));
    assert_eq!(scene.features.flow.steps_per_frame, 1);
    scene.apply(SceneEdit::Flow(FlowEdit::StepsPerFrame(99)));
    assert_eq!(scene.features.flow.steps_per_frame, 16);
    scene.apply(SceneEdit::Flow(FlowEdit::SpeedCap(0.0)));
    assert_eq!(scene.features.flow.speed_cap, 0.05);
    scene.apply(SceneEdit::Flow(FlowEdit::Fade(2.0)));
    assert_eq!(scene.features.flow.fade, 1.0);
    scene.apply(SceneEdit::SetTarget([0.25, 0.25]));
    assert_eq!(scene.target(), [0.25, 0.25], "the diagonal is allowed");
    scene.apply(SceneEdit::SetTarget([1e9, -1e9]));
    assert_eq!(scene.target(), [1e6, -1e6]);
    scene.apply(SceneEdit::SetTarget([f64::NAN, 0.0]));
    assert_eq!(scene.target(), [1e6, -1e6], "NaN changes nothing");
    scene.apply(SceneEdit::SetProbe(Some([2.0, f64::INFINITY])));
    assert_eq!(scene.probe, Some([2.0, 1e6]));
    scene.apply(SceneEdit::SetProbe(None));
    assert_eq!(scene.probe, None);
    assert!(!scene.features.flow.enabled);
    scene.apply(SceneEdit::Flow(FlowEdit::Toggle));
    assert!(scene.features.flow.enabled);
    scene.apply(SceneEdit::Flow(FlowEdit::Run(false)));
    assert!(!scene.features.flow.enabled);
    assert!(scene.validate().is_ok());
}

#[test]
fn apply_zoom_pan_fit_and_reset() {
    let mut scene = Scene {
        grid: 64,
        model: Model::seed(-1.5, 1.0, 0.3),
        ..Scene::default()
    };
    scene.apply(SceneEdit::ZoomAbout {
        factor: 2.0,
        pixel: [80.0, 60.0],
        size: [160.0, 120.0],
    });
    // Zooming about the canvas centre halves the half-height and keeps the centre.
    assert_eq!(scene.camera.half_height, 2.0);
    assert_eq!(scene.camera.center, [0.0, 0.0]);
    scene.apply(SceneEdit::Pan {
        delta_px: [30.0, -15.0],
        height_px: 120.0,
    });
    // 4 world units over 120 px; dragging right and up moves the view left and down.
    let c = scene.camera.center;
    assert!(
        (c[0] + 1.0).abs() < 1e-12 && (c[1] + 0.5).abs() < 1e-12,
        "{c:?}"
    );
    scene.apply(SceneEdit::FitView);
    // Target (−1.5, 1) and probe (1.2, 0.4): the box [−1.5, 1.2] × [−1.5, 1] around the
    // handles and probe, half its larger side (1.35) plus 2.5σ = 0.75.
    assert!((scene.camera.center[0] + 0.15).abs() < 1e-12);
    assert!((scene.camera.center[1] + 0.25).abs() < 1e-12);
    assert!((scene.camera.half_height - 2.1).abs() < 1e-12);
    scene.apply(SceneEdit::Reset);
    assert_eq!(
        scene,
        Scene {
            grid: 64,
            ..Scene::default()
        },
        "reset keeps the grid density only"
    );
}

#[test]
fn validation_names_the_field() {
    let bad = Scene {
        model: Model::seed(-1.5, 1.0, -1.0),
        ..Scene::default()
    };
    assert_eq!(bad.validate().unwrap_err().field, "model");
    let bad = Scene {
        grid: 3,
        ..Scene::default()
    };
    assert_eq!(bad.validate().unwrap_err().field, "grid");
    assert!(Scene::default().validate().is_ok());
}

#[test]
fn scene_round_trips_through_toml() {
    let scene = Scene {
        probe: None,
        model: Model::seed(-1.5, 1.0, 0.7),
        ..Scene::default()
    };
    let text = toml::to_string(&scene).unwrap();
    let back: Scene = toml::from_str(&text).unwrap();
    assert_eq!(back, scene);
}

#[test]
fn old_scene_files_load_unchanged_and_new_ones_round_trip() {
    // A file from before the general model: σ and the target's (μ1, μ2).
    let old: Scene = toml::from_str("sigma = 0.7\ntarget = [0.25, -2.0]\ngrid = 48\n").unwrap();
    assert_eq!(old.model, Model::seed(0.25, -2.0, 0.7));
    assert_eq!(old.slice, Slice::SEED);
    assert_eq!(old.seed_sigma(), Some(0.7));
    assert_eq!((old.grid, old.probe), (48, None));
    // A general one: keys the model omits keep the default scene's values.
    let general: Scene = toml::from_str(
        "slice = [\"pi\", \"mu1\"]\nmetric = \"profiled\"\n[model]\npi = 0.3\nsigma2 = 2\n",
    )
    .unwrap();
    assert_eq!(
        general.model,
        Model {
            pi: 0.3,
            sigma2: 2.0,
            ..Model::seed(-1.5, 1.0, 1.0)
        }
    );
    assert_eq!(general.target(), [0.3, -1.5]);
    assert_eq!(general.metric, Metric::Profiled);
    assert_eq!(
        general.twin(),
        None,
        "the swapped target has π = 0.7, μ2 = −1.5: off this slice"
    );
    assert_eq!(general.seed_sigma(), None);
    // No camera in the file: fitted to the slice (π's whole interval in view).
    let (lo, hi) = general.camera.visible_rect([1400.0, 900.0]);
    assert!(lo[0] < 0.0 && hi[0] > 1.0 && general.camera.x_per_y != 1.0);
    assert_eq!(
        old.camera,
        Camera::default(),
        "the seed's slice keeps the default view"
    );
    let text = toml::to_string(&general).unwrap();
    assert_eq!(toml::from_str::<Scene>(&text).unwrap(), general);
    // The convergence map's side: older files say `grid`, new ones are written with `side`.
    let map: Scene = toml::from_str(
        "[convergence]
grid = 96
",
    )
    .unwrap();
    assert_eq!(map.features.convergence.side, 96);
    let written = toml::to_string(&map).unwrap();
    assert!(written.contains("side = 96"), "{written}");
    assert_eq!(toml::from_str::<Scene>(&written).unwrap(), map);
    let both = toml::from_str::<Scene>(
        "[convergence]
grid = 96
side = 32
",
    );
    assert!(both.is_err(), "both spellings at once are refused");
    // Negative controls: σ twice, an unknown parameter, a slice naming one twice.
    let both = toml::from_str::<Scene>("sigma = 1.0\n[model]\nsigma1 = 2.0\n").unwrap_err();
    assert!(both.to_string().contains("sigma"), "{both}");
    let unknown = toml::from_str::<Scene>("[model]\nsigma3 = 2.0\n").unwrap_err();
    assert!(unknown.to_string().contains("sigma3"), "{unknown}");
    let twice = toml::from_str::<Scene>("slice = [\"mu1\", \"mu1\"]\n").unwrap_err();
    assert!(twice.to_string().contains("twice"), "{twice}");
}

#[test]
fn presets_are_valid_and_scale_each_axis_in_its_own_units() {
    for preset in Preset::ALL {
        let mut scene = Scene::default();
        scene.apply(SceneEdit::ApplyPreset(preset));
        assert!(
            scene.validate().is_ok(),
            "{preset:?}: {:?}",
            scene.validate()
        );
        let (lo, hi) = scene.camera.visible_rect([1400.0, 900.0]);
        let t = scene.target();
        assert!(
            (lo[0]..=hi[0]).contains(&t[0]) && (lo[1]..=hi[1]).contains(&t[1]),
            "{preset:?}: the handle is in view"
        );
        let mixes_units = scene.slice.contains(Param::Pi);
        assert_eq!(scene.camera.x_per_y != 1.0, mixes_units, "{preset:?}");
    }
    // (π, μ1): the whole open interval of π shows, beside several σ of μ1.
    let mut scene = Scene::default();
    scene.apply(SceneEdit::ApplyPreset(Preset::WeightSingularity));
    let (lo, hi) = scene.camera.visible_rect([1400.0, 900.0]);
    assert!(lo[0] < 0.0 && hi[0] > 1.0, "{lo:?} {hi:?}");
    assert!(hi[1] - lo[1] > 4.0);
    // The half-plane: the twin does not exist at π = 1 (the swap has π = 0).
    scene.apply(SceneEdit::ApplyPreset(Preset::HalfPlane));
    assert_eq!(scene.twin(), None);
    assert_eq!(scene.model.pi, 1.0);
}

#[test]
fn edits_keep_the_model_inside_its_domain() {
    let mut scene = Scene::default();
    scene.apply(SceneEdit::SetSlice(Slice {
        a: Param::Pi,
        b: Param::Sigma1,
    }));
    assert_eq!(scene.target(), [0.5, 1.0]);
    // Dragging the handle past the model's edges stops inside it.
    scene.apply(SceneEdit::SetTarget([1.7, -3.0]));
    assert_eq!(scene.target(), [1.0 - PI_EDGE, SIGMA_FLOOR]);
    scene.apply(SceneEdit::SetProbe(Some([-1.0, 0.0])));
    assert_eq!(scene.probe, Some([PI_EDGE, SIGMA_FLOOR]));
    // A held π may sit on the boundary (π = 1 is one Gaussian) ...
    scene.apply(SceneEdit::SetSlice(Slice::SEED));
    scene.apply(SceneEdit::SetParam(Param::Pi, 2.0));
    assert_eq!(scene.model.pi, 1.0);
    assert!(scene.validate().is_ok());
    // ... and moves inside when it becomes a slice coordinate.
    scene.apply(SceneEdit::SetSlice(Slice {
        a: Param::Pi,
        b: Param::Mu2,
    }));
    assert_eq!(scene.model.pi, 1.0 - PI_EDGE);
    assert!(scene.validate().is_ok());
    // A slice naming one parameter twice changes nothing.
    let before = scene.clone();
    scene.apply(SceneEdit::SetSlice(Slice {
        a: Param::Mu1,
        b: Param::Mu1,
    }));
    assert_eq!(scene, before);
    scene.apply(SceneEdit::SetParam(Param::Sigma2, f64::NAN));
    assert_eq!(scene, before, "NaN changes nothing");
}

#[test]
fn unequal_scaling_maps_pixels_per_axis() {
    let cam = Camera {
        center: [0.5, 0.0],
        half_height: 3.0,
        x_per_y: 0.1,
    };
    let size = [800.0, 600.0];
    // 6 vertical units over 600 px: 0.01 per pixel; horizontally a tenth of that.
    let a = cam.pixel_to_world([400.0, 300.0], size);
    let b = cam.pixel_to_world([500.0, 200.0], size);
    assert!((b[0] - a[0] - 0.1).abs() < 1e-12 && (b[1] - a[1] - 1.0).abs() < 1e-12);
    let p = cam.world_to_pixel(b, size);
    assert!((p[0] - 500.0).abs() < 1e-3 && (p[1] - 200.0).abs() < 1e-3);
}

/// Every feature on the list is a table (or value) at the top of a scene file, under its key,
/// and reads back; a misspelt key inside a feature's table, or beside them, names its line.
#[test]
fn each_feature_is_a_top_level_key_whose_errors_name_their_line() {
    let text = toml::to_string(&Scene::default()).unwrap();
    let table: toml::Table = text.parse().unwrap();
    assert_eq!(Features::KEYS.len(), FeatureKind::ALL.len());
    for key in Features::KEYS {
        assert!(table.contains_key(*key), "`{key}` missing from:\n{text}");
    }
    let mut edited = Scene::default();
    edited.features.race.steps = 77;
    edited.features.cramer_rao.enabled = true;
    edited.features.heatmap = Heatmap::Loss;
    let back: Scene = toml::from_str(&toml::to_string(&edited).unwrap()).unwrap();
    assert_eq!(back, edited);
    assert_ne!(back, Scene::default(), "control: the edits were read");

    let in_a_table = "grid = 40\n[race]\nsteps = 10\nsteppes = 3\n";
    let e = toml::from_str::<Scene>(in_a_table).unwrap_err().to_string();
    assert!(e.contains("line 4") && e.contains("steppes"), "{e}");
    let beside = "grid = 40\n[race]\nsteps = 10\n[cramer_rao]\nenabled = true\n[raec]\n";
    let e = toml::from_str::<Scene>(beside).unwrap_err().to_string();
    assert!(e.contains("line 6") && e.contains("raec"), "{e}");
    let wrong_type = "heatmap = 3\n";
    let e = toml::from_str::<Scene>(wrong_type).unwrap_err().to_string();
    assert!(e.contains("line 1") && e.contains("heatmap"), "{e}");
    // Control: the same file spelt right loads, with its values.
    let right = "grid = 40\n[race]\nsteps = 10\n[cramer_rao]\nenabled = true\n";
    let scene: Scene = toml::from_str(right).unwrap();
    assert_eq!(scene.features.race.steps, 10);
    assert!(scene.features.cramer_rao.enabled);
}

/// A feature edit sets its feature's settings, clamped: the flow's wildest values come back
/// valid (a scene file's flow is reported instead), a NaN keeps the current value.
#[test]
fn feature_edits_are_clamped_and_a_files_flow_is_checked() {
    let mut scene = Scene::default();
    let wild = Flow {
        particles: Some(1),
        dt: 1e9,
        steps_per_frame: 0,
        speed_cap: f64::NAN,
        max_age: 0,
        fade: -1.0,
        ..Flow::default()
    };
    assert!(
        wild.validate().is_err(),
        "control: these values are out of range"
    );
    scene.apply(SceneEdit::feature(wild));
    scene.validate().unwrap();
    let flow = scene.features.flow;
    assert_eq!(flow.particles, Some(PARTICLE_RANGE.0));
    assert_eq!(flow.dt, DT_RANGE.1);
    assert_eq!(
        flow.speed_cap,
        Flow::default().speed_cap,
        "NaN keeps the current"
    );
    assert_eq!(
        SceneEdit::feature(Heatmap::Loss).kind(),
        EditKind::SetFeature
    );
    assert_eq!(
        FeatureEdit::from(Heatmap::Loss).kind(),
        FeatureKind::Heatmap
    );
    // A file's flow is taken as written, and validation names the key.
    let file: Scene = toml::from_str("[flow]\ndt = 50.0\n").unwrap();
    assert_eq!(file.features.flow.dt, 50.0);
    assert_eq!(file.validate().unwrap_err().field, "flow.dt");
    // A file's race goes through the edit's clamps.
    let file: Scene = toml::from_str("[race]\nsteps = 100000000\n").unwrap();
    assert!(file.features.race.steps < 100_000_000);
}

/// The `--switch-scene` files of `docs/frame-scenes/switch-*` measure turning one feature on:
/// each loads as the scene it is switched from (the default scene, or the weight-singularity
/// preset's as `view --preset` opens it) with only feature settings changed. A file that left
/// out the probe, say, also cleared it and redrew the density strip, which the switch frame
/// then paid for.
#[test]
fn switch_scene_files_change_only_features() {
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/frame-scenes");
    let mut preset = Scene::default();
    preset.apply(SceneEdit::ApplyPreset(Preset::WeightSingularity));
    for (folder, base) in [
        ("switch-seed", Scene::default()),
        ("switch-weight-singularity", preset),
    ] {
        let mut files: Vec<_> = std::fs::read_dir(docs.join(folder))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        assert!(files.len() >= 18, "{folder}: {} files", files.len());
        for path in files {
            let scene = Scene::load(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let without_features = Scene {
                features: base.features.clone(),
                ..scene.clone()
            };
            assert_eq!(
                without_features, base,
                "{folder}/{name}: more than features"
            );
            if name == "unchanged.toml" {
                assert_eq!(scene.features, base.features, "{folder}/{name}");
            } else {
                assert_ne!(scene.features, base.features, "{folder}/{name}: no feature");
            }
        }
    }
    // Control: a switch file without the probe loads as a scene without one.
    let no_probe: Scene = toml::from_str("heatmap = \"loss\"").unwrap();
    assert_ne!(
        Scene {
            features: Scene::default().features,
            ..no_probe
        },
        Scene::default()
    );
}
