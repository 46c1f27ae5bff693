//! Scenario keyframes for the heatmap and the geodesic overlays: `heatmap`, `ball` and
//! `shortest_path` are switches that hold until the next key, `ball_radius` is interpolated
//! geometrically (like σ); unknown heatmaps and out-of-range radii are rejected with an error
//! that names the keyframe and the field.

use fisherflow::capture::Scenario;
use fisherflow::scene::{Geodesics, Heatmap};

const GEODESIC: &str = r#"
duration = 4.0
fps = 10
[scene]
sigma = 1.0
target = [-1.0, 1.0]
probe = [1.0, 0.5]
heatmap = "log10_kappa"
[scene.geodesics]
ball = false
radius = 0.1
rays = 64
spokes = false
shortest_path = false
[[keyframes]]
time = 1.0
heatmap = "loss"
ball = true
[[keyframes]]
time = 2.0
ball_radius = 1.0
shortest_path = true
[[keyframes]]
time = 3.0
heatmap = "none"
ball = false
"#;

#[test]
fn switches_hold_and_the_radius_is_geometric() {
    let s = Scenario::parse(GEODESIC).unwrap();
    let at = |t: f64| s.scene_at(t);
    // Switches: the initial value until a key sets another, then that one.
    assert_eq!(at(0.0).features.heatmap, Heatmap::Log10Kappa);
    assert_eq!(at(0.99).features.heatmap, Heatmap::Log10Kappa);
    assert_eq!(at(1.0).features.heatmap, Heatmap::Loss);
    assert_eq!(
        at(2.5).features.heatmap,
        Heatmap::Loss,
        "a key without heatmap keeps it"
    );
    assert_eq!(at(3.5).features.heatmap, Heatmap::None);
    assert!(
        !at(0.5).features.geodesics.ball
            && at(1.5).features.geodesics.ball
            && !at(3.0).features.geodesics.ball
    );
    assert!(!at(1.9).features.geodesics.shortest_path && at(2.0).features.geodesics.shortest_path);
    assert!(at(4.0).features.geodesics.shortest_path, "held to the end");
    // The radius: 0.1 at t = 0 to 1.0 at t = 2, geometric: √(0.1·1) at t = 1.
    let r = |t: f64| at(t).features.geodesics.radius;
    assert!((r(0.0) - 0.1).abs() < 1e-12);
    assert!((r(1.0) - 0.1f64.sqrt()).abs() < 1e-12, "{}", r(1.0));
    assert!((r(0.5) - 0.1 * 10f64.powf(0.25)).abs() < 1e-12);
    assert!((r(2.0) - 1.0).abs() < 1e-12 && (r(3.5) - 1.0).abs() < 1e-12);
    // Negative control: linear interpolation would give 0.55 at t = 1.
    assert!((r(1.0) - 0.55).abs() > 0.1);
    // Fields no key touches keep the initial scene's values.
    assert_eq!(at(2.5).features.geodesics.rays, 64);
    assert!(!at(2.5).features.geodesics.spokes);
}

#[test]
fn without_keys_the_initial_scene_holds() {
    let s = Scenario::parse("duration = 1.0\n").unwrap();
    let scene = s.scene_at(0.5);
    assert_eq!(scene.features.heatmap, Heatmap::None);
    assert_eq!(scene.features.geodesics, Geodesics::default());
}

#[test]
fn bad_values_are_rejected_with_the_field_named() {
    let unknown =
        Scenario::parse("duration = 1.0\n[[keyframes]]\ntime = 0.5\nheatmap = \"kappa\"\n")
            .unwrap_err();
    assert!(
        unknown.contains("kappa") && unknown.contains("log10_kappa"),
        "the error names the bad value and the choices: {unknown}"
    );
    for bad in ["0.0", "-1.0", "100.0", "nan"] {
        let e = Scenario::parse(&format!(
            "duration = 1.0\n[[keyframes]]\ntime = 0.5\nball_radius = {bad}\n"
        ))
        .unwrap_err();
        assert!(
            e.contains("keyframes[0].ball_radius") && e.contains("from"),
            "ball_radius = {bad}: {e}"
        );
    }
    let not_bool =
        Scenario::parse("duration = 1.0\n[[keyframes]]\ntime = 0.5\nball = 1\n").unwrap_err();
    assert!(not_bool.contains("ball"), "{not_bool}");
    let typo =
        Scenario::parse("duration = 1.0\n[[keyframes]]\ntime = 0.5\nshortest_paths = true\n")
            .unwrap_err();
    assert!(typo.contains("shortest_paths"), "{typo}");
    // A good radius at the range's end is accepted.
    Scenario::parse("duration = 1.0\n[[keyframes]]\ntime = 0.5\nball_radius = 5.0\n").unwrap();
}
