//! The real window: `fisherflow view --frames N --screenshot FILE` opens a winit window (under
//! Xvfb when there is no display), renders, saves the whole window and exits 0; the PNG is
//! checked for content. Bad options exit 2 before any window opens.
//!
//! Needs a display or `xvfb-run` (Debian: xvfb, xauth); like the GPU tests it fails rather
//! than skips without one, unless FISHERFLOW_SKIP_GPU_TESTS=1 is set by hand.

use std::path::Path;
use std::process::Command;

fn viewer_command(args: &[&str]) -> Option<Command> {
    let binary = env!("CARGO_BIN_EXE_fisherflow");
    if std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some() {
        let mut c = Command::new(binary);
        c.args(args);
        return Some(c);
    }
    if Command::new("xvfb-run").arg("--help").output().is_ok() {
        let mut c = Command::new("xvfb-run");
        c.args(["-a", "-s", "-screen 0 1600x1000x24", binary])
            .args(args);
        return Some(c);
    }
    if std::env::var("FISHERFLOW_SKIP_GPU_TESTS").as_deref() == Ok("1") {
        eprintln!("FISHERFLOW_SKIP_GPU_TESTS=1: skipping the window test");
        return None;
    }
    panic!("the window test needs a display or xvfb-run (apt-get install xvfb xauth)");
}

fn decode(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgba);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn count(rgba: &[u8], hex: u32, tolerance: i32) -> usize {
    let want = [
        (hex >> 16) as i32 & 255,
        (hex >> 8) as i32 & 255,
        hex as i32 & 255,
    ];
    rgba.chunks(4)
        .filter(|p| (0..3).all(|c| (p[c] as i32 - want[c]).abs() <= tolerance))
        .count()
}

#[test]
fn real_window_renders_and_saves_a_screenshot() {
    let dir = tempfile::tempdir().unwrap();
    let shot = dir.path().join("window.png");
    let args = [
        "view",
        "--sigma",
        "1",
        "--grid",
        "48",
        "--target",
        "-1.5,1",
        "--probe",
        "0.6,0.3",
        "--frames",
        "30",
        "--width",
        "1100",
        "--height",
        "700",
        "--screenshot",
        shot.to_str().unwrap(),
    ];
    let Some(mut command) = viewer_command(&args) else {
        return;
    };
    let out = command.output().expect("run the viewer");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "viewer failed: {stderr}");
    assert!(stderr.contains("rendered 30 frames"), "{stderr}");
    let (width, height, rgba) = decode(&shot);
    assert_eq!(
        (width, height),
        (1100, 700),
        "the whole window at scale 1 (Xvfb)"
    );
    use fisherflow::render::colormap::palette;
    // Far-field ellipses: the colour map's low end (κ ≈ 1) at 85% over the background.
    let far_ellipses = count(&rgba, 0x374174, 12);
    let distinct: std::collections::HashSet<&[u8]> = rgba.chunks(4).collect();
    let red = count(&rgba, palette::EUCLID, 30);
    let cyan = count(&rgba, palette::NATURAL, 30);
    let clamped = count(&rgba, palette::CLAMPED, 40);
    let panel = count(&rgba, 0x1b1b1b, 2);
    let keep = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-output");
    std::fs::create_dir_all(&keep).unwrap();
    std::fs::copy(&shot, keep.join("window.png")).unwrap();
    let summary = format!(
        "far ellipses {far_ellipses}, distinct colours {}, red {red}, cyan {cyan}, clamped {clamped}, panel {panel}",
        distinct.len()
    );
    assert!(
        far_ellipses > 5_000 && distinct.len() > 1_000,
        "the canvas shows the field: {summary}"
    );
    assert!(
        red > 100 && cyan > 100,
        "both probe arrows drawn: {summary}"
    );
    assert!(
        clamped > 500,
        "clamp-marked ellipses along the diagonal: {summary}"
    );
    assert!(
        panel > 20_000,
        "the egui side panel is in the screenshot: {summary}"
    );
}

#[test]
fn bad_view_options_exit_2_before_opening_a_window() {
    let binary = env!("CARGO_BIN_EXE_fisherflow");
    let dir = tempfile::tempdir().unwrap();
    let bad_scene = dir.path().join("bad.toml");
    std::fs::write(&bad_scene, "sigma = 1.0\ngridd = 4\n").unwrap();
    let out = Command::new(binary)
        .args(["view", "--scene", bad_scene.to_str().unwrap()])
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("gridd") && stderr.contains("line 2"),
        "{stderr}"
    );
    for (args, mention) in [
        (vec!["view", "--sigma", "-1"], "sigma"),
        (vec!["view", "--grid", "3"], "grid"),
        (vec!["view", "--target", "1,nan"], "target"),
        (vec!["view", "--frames", "0"], "frames"),
        (
            vec!["view", "--screenshot", "/nonexistent/dir/x.png"],
            "/nonexistent/dir",
        ),
    ] {
        let out = Command::new(binary)
            .args(&args)
            .env_remove("DISPLAY")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(mention),
            "{args:?} should mention {mention}: {stderr}"
        );
        assert!(out.stdout.is_empty());
    }
}
