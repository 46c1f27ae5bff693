//! `fisherflow capture` end to end on the software adapter: frame count and size, byte-identical
//! reruns, a GIF that decodes, the shipped scenarios parse, and malformed scenarios or options
//! fail with exit code 2, a message naming the line or field, and nothing left behind.

mod common;

use std::path::Path;
use std::process::Command;

const SHORT: &str = r#"
duration = 0.5
fps = 8
width = 160
height = 96
overlay = true
[scene]
sigma = 1.0
target = [-1.5, 1.0]
probe = [0.8, 0.2]
grid = 12
[scene.flow]
enabled = true
particles = 1000
[[keyframes]]
time = 0.5
target = [-0.5, 0.5]
"#;

fn capture(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fisherflow"))
        .arg("capture")
        .args(args)
        .output()
        .unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let reader = decoder.read_info().unwrap();
    (reader.info().width, reader.info().height)
}

#[test]
fn png_sequence_has_the_frames_and_reruns_are_identical() {
    if common::gpu().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "short.toml", SHORT);
    let mut runs = Vec::new();
    for run in ["a", "b"] {
        let out = dir.path().join(run);
        let result = capture(&[
            "--scenario",
            &scenario,
            "--out",
            out.to_str().unwrap(),
            "--width",
            "200",
        ]);
        assert!(
            result.status.success(),
            "{}",
            String::from_utf8_lossy(&result.stderr)
        );
        let mut frames: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        frames.sort();
        assert_eq!(frames.len(), 4, "0.5 s at 8 fps");
        let bytes: Vec<Vec<u8>> = frames.iter().map(|f| std::fs::read(f).unwrap()).collect();
        assert_eq!(
            png_size(&bytes[0]),
            (200, 96),
            "--width overrides the scenario"
        );
        runs.push(bytes);
    }
    assert!(
        runs[0] == runs[1],
        "the same scenario gives byte-identical frames"
    );
    assert!(
        runs[0][0] != runs[0][3],
        "frames change over time (the handles move)"
    );
    // An existing output is refused without --force, and kept as it was.
    let out = dir.path().join("a");
    let again = capture(&["--scenario", &scenario, "--out", out.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 4);
}

#[test]
fn gif_decodes_with_every_frame() {
    if common::gpu().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "short.toml", SHORT);
    let out = dir.path().join("short.gif");
    let result = capture(&[
        "--scenario",
        &scenario,
        "--out",
        out.to_str().unwrap(),
        "--fps",
        "6",
    ]);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options
        .read_info(std::fs::File::open(&out).unwrap())
        .unwrap();
    assert_eq!((decoder.width(), decoder.height()), (160, 96));
    let mut frames = 0;
    while decoder.read_next_frame().unwrap().is_some() {
        frames += 1;
    }
    assert_eq!(frames, 3, "0.5 s at --fps 6");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        2,
        "only the scenario and the GIF: {leftovers:?}"
    );
}

#[test]
fn malformed_scenarios_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "bad_toml.toml",
            "duration = 1.0\n[scene\nsigma = 1.0\n",
            "line 2",
        ),
        (
            "unknown.toml",
            "duration = 1.0\n[scene]\nsigmaa = 2.0\n",
            "sigmaa",
        ),
        (
            "range.toml",
            "duration = 1.0\n[scene]\nsigma = -1.0\n",
            "sigma",
        ),
        (
            "key.toml",
            "duration = 1.0\n[[keyframes]]\ntime = 0.5\ngrid = 1\n",
            "keyframes[0]",
        ),
        ("fps.toml", "duration = 1.0\nfps = 0\n", "fps"),
    ];
    for (name, text, mention) in cases {
        let scenario = write(dir.path(), name, text);
        let out = dir.path().join(format!("{name}.gif"));
        let result = capture(&["--scenario", &scenario, "--out", out.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains(mention),
            "{name} should mention {mention}: {stderr}"
        );
        assert!(result.stdout.is_empty());
    }
    let scenario = write(dir.path(), "ok.toml", SHORT);
    let out = dir.path().join("x.gif");
    for (args, mention) in [
        (vec!["--width", "5"], "width"),
        (vec!["--fps", "1000"], "fps"),
    ] {
        let mut all = vec![
            "--scenario",
            scenario.as_str(),
            "--out",
            out.to_str().unwrap(),
        ];
        all.extend(args.iter());
        let result = capture(&all);
        assert_eq!(result.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&result.stderr).contains(mention));
    }
    let missing = capture(&[
        "--scenario",
        "/nonexistent.toml",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(missing.status.code(), Some(2));
    // Nothing but the scenario files: no output, no temporary leftovers.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(name.ends_with(".toml"), "left behind: {name}");
    }
}

#[test]
fn shipped_scenarios_parse() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let scenario = fisherflow::capture::Scenario::parse(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(scenario.frame_count() > 10);
        count += 1;
    }
    assert_eq!(count, 3);
}

#[test]
fn a_recorded_session_replays_as_a_scenario() {
    use fisherflow::scene::Scene;
    let mut later = Scene {
        target: [0.2, 0.3],
        ..Scene::default()
    };
    later.flow.enabled = true;
    let scenario = fisherflow::viewer::app::recording_scenario(
        &[(0.0, Scene::default()), (2.0, later.clone())],
        [320, 180],
    );
    let text = toml::to_string(&scenario).unwrap();
    let back = fisherflow::capture::Scenario::parse(&text).unwrap();
    assert_eq!(back.frame_count(), 60);
    assert_eq!(back.scene_at(2.0).target, later.target);
    assert!(back.scene_at(2.0).flow.enabled && !back.scene_at(1.0).flow.enabled);
    assert_eq!(
        back.scene_at(1.0).target,
        [-0.65, 0.65],
        "halfway between the recorded states"
    );
}
