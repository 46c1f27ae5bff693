//! `fisherflow capture` end to end on the software adapter: frame count and size, byte-identical
//! reruns, a GIF that decodes, the shipped scenarios parse, and malformed scenarios or options
//! fail with exit code 2, a message naming the line or field, and nothing left behind. Every
//! run is under a time limit.
//!
//! Also the capture path's pieces (the scene renderer, then the egui overlay) at 2 pixels per
//! point: arrows, markers and text must scale with it, measured on the pixels against the same
//! scene at 1 pixel per point, with a negative control rendered at the wrong scale.

use crate::common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::process::run_with_timeout;
use fisherflow::gpu::context::GpuContext;
use fisherflow::math::Model;
use fisherflow::render::canvas::Image;
use fisherflow::scene::Scene;

/// A capture of a few small frames takes seconds on lavapipe; past this it hangs.
const CAPTURE_LIMIT: Duration = Duration::from_secs(180);

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
    run_with_timeout(
        Command::new(env!("CARGO_BIN_EXE_fisherflow"))
            .arg("capture")
            .args(args),
        None,
        CAPTURE_LIMIT,
    )
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
        if path.file_name().is_some_and(|n| n == "geodesic_ball.toml") {
            // The ball grows while the probe walks toward the diagonal.
            let (start, end) = (scenario.scene_at(0.0), scenario.scene_at(scenario.duration));
            assert!(start.features.geodesics.ball && end.features.geodesics.ball);
            assert!(end.features.geodesics.radius > 4.0 * start.features.geodesics.radius);
            let gap = |s: &Scene| s.probe.map(|p| (p[0] - p[1]).abs()).unwrap();
            assert!(
                gap(&end) < 0.5 * gap(&start),
                "{:?} -> {:?}",
                start.probe,
                end.probe
            );
        }
        if path
            .file_name()
            .is_some_and(|n| n == "convergence_maps.toml")
        {
            // Both maps side by side on the seed slice, finished before the first frame.
            let s = scenario.scene_at(0.0);
            assert!(s.features.convergence.enabled);
            assert_eq!(
                s.features.convergence.view,
                fisherflow::scene::ConvergenceView::Split
            );
            assert!(s.seed_sigma().is_some());
        }
        count += 1;
    }
    assert_eq!(count, 9, "every scenario in scenarios/ is checked");
}

#[test]
fn a_recorded_session_replays_as_a_scenario() {
    let first = Scene {
        model: Model::seed(-1.5, 1.0, 1.0),
        ..Scene::default()
    };
    let mut later = Scene {
        model: Model::seed(0.2, 0.3, 1.0),
        ..Scene::default()
    };
    later.features.flow.enabled = true;
    // A feature's setting is recorded too (the keys come from the scene file's settings).
    later.features.race.enabled = true;
    let scenario =
        fisherflow::viewer::app::recording_scenario(&[(0.0, first), (2.0, later)], [320, 180]);
    let text = toml::to_string(&scenario).unwrap();
    let back = fisherflow::capture::Scenario::parse(&text).unwrap();
    assert_eq!(back.frame_count(), 60, "2 s at 30 frames per second");
    assert_eq!(back.scene_at(0.0).target(), [-1.5, 1.0]);
    assert_eq!(back.scene_at(2.0).target(), [0.2, 0.3]);
    assert!(back.scene_at(2.0).features.flow.enabled && !back.scene_at(1.0).features.flow.enabled);
    assert!(back.scene_at(2.0).features.race.enabled && !back.scene_at(1.0).features.race.enabled);
    assert_eq!(
        back.scene_at(1.0).target(),
        [-0.65, 0.65],
        "halfway: ((-1.5 + 0.2) / 2, (1.0 + 0.3) / 2)"
    );
}

/// One frame at `ppp` pixels per point through the one frame renderer captures use (scene,
/// then the egui overlay when `overlay`), read back.
fn render_at(ctx: &GpuContext, scene: &Scene, size: [u32; 2], ppp: f32, overlay: bool) -> Image {
    let mut frames = fisherflow::frame::FrameRenderer::new(ctx, overlay).unwrap();
    frames.render_image(ctx, size, ppp, scene).unwrap().1
}

/// sRGB byte to linear light.
fn linear(v: u8) -> f64 {
    let c = v as f64 / 255.0;
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// The footprints of `colours` over a uniform background, in pixels: every pixel that differs
/// visibly from the background (the top-left pixel, with ellipses, axes and handles off) goes
/// to the colour whose direction from the background (in linear light, where blending
/// happens) it points along, if any does closely. The arrows' dark rim (a darkened arrow
/// colour) and anti-aliased edges count with their arrow: counting only pure-colour pixels
/// would not scale as an area, since the rim and the edge are about one pixel wide at any
/// scale.
fn footprints<const N: usize>(image: &Image, colours: [u32; N]) -> [usize; N] {
    let rgb = |p: &[u8]| [linear(p[0]), linear(p[1]), linear(p[2])];
    let bg_bytes = &image.rgba[0..3];
    let bg = rgb(bg_bytes);
    let unit = |v: [f64; 3]| {
        let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        v.map(|x| x / n)
    };
    let directions = colours.map(|hex| {
        let c = rgb(&[(hex >> 16) as u8, (hex >> 8) as u8, hex as u8]);
        unit([c[0] - bg[0], c[1] - bg[1], c[2] - bg[2]])
    });
    let mut counts = [0; N];
    for p in image.rgba.chunks(4) {
        let visible = (0..3).any(|c| (p[c] as i32 - bg_bytes[c] as i32).abs() >= 6);
        if !visible {
            continue;
        }
        let c = rgb(p);
        let v = unit([c[0] - bg[0], c[1] - bg[1], c[2] - bg[2]]);
        let cosines = directions.map(|d| d.iter().zip(&v).map(|(a, b)| a * b).sum::<f64>());
        let (best, cosine) = cosines
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap();
        if *cosine > 0.9 {
            counts[best] += 1;
        }
    }
    counts
}

/// The ink of the legend's first text line ("ellipse colour: log₁₀ κ(F)"): its width and
/// height in pixels. The legend box is 190×150 points, 10 points in from the canvas's top
/// right; its text is light grey on a dark box, and the first line is separated from the
/// colour bar below it by a gap, so the first run of rows holding grey ink is that line.
fn legend_first_line(image: &Image, ppp: f32) -> (u32, u32) {
    let pt = |v: f32| (v * ppp).round() as i64;
    let (w, h) = (image.width as i64, image.height as i64);
    let (x0, y0) = (w - pt(200.0), pt(10.0));
    let (x1, y1) = ((x0 + pt(190.0)).min(w), (y0 + pt(150.0)).min(h));
    let ink = |x: i64, y: i64| {
        let i = ((y * w + x) * 4) as usize;
        let p = &image.rgba[i..i + 3];
        let (lo, hi) = (*p.iter().min().unwrap(), *p.iter().max().unwrap());
        // Grey (the text colour is gray 225; anti-aliased edges are darker but still grey).
        lo >= 110 && hi - lo <= 12
    };
    let mut rows = Vec::new();
    for y in y0.max(0)..y1 {
        let xs: Vec<i64> = (x0.max(0)..x1).filter(|&x| ink(x, y)).collect();
        if let (Some(first), Some(last)) = (xs.first(), xs.last()) {
            rows.push((y, *first, *last));
        } else if !rows.is_empty() {
            break;
        }
    }
    assert!(!rows.is_empty(), "no legend text found at ppp {ppp}");
    let left = rows.iter().map(|r| r.1).min().unwrap();
    let right = rows.iter().map(|r| r.2).max().unwrap();
    ((right - left + 1) as u32, rows.len() as u32)
}

/// What is measured on one render: probe arrow pixels (red, cyan), the probe marker's white
/// fill, and the legend's first text line (width, height).
#[derive(Debug, Clone, Copy)]
struct Sizes {
    red: f64,
    cyan: f64,
    marker: f64,
    text: (u32, u32),
}

/// Whether `big` is `small` drawn at `scale`× the pixels per point: areas `scale²`, lengths
/// `scale`. Tolerances: arrow areas ±15% (a few hundred pixels at ppp 1; the anti-aliased
/// edge is one pixel at both scales, which alone brings 4× down to about 3.6×), the marker's
/// ±30% (about 20 pixels at ppp 1 inside a black ring: one pixel more or less of ring is 20%),
/// the text line's width ±10% (about 110 pixels at ppp 1; glyphs are rasterised at each size
/// and placed on whole pixels), its height ±25% (about 10 pixels at ppp 1).
fn check_scale(small: Sizes, big: Sizes, scale: f64) -> Result<(), String> {
    let mut wrong = Vec::new();
    let mut check = |what: &str, a: f64, b: f64, expected: f64, tolerance: f64| {
        let ratio = b / a;
        if !(a > 0.0 && (ratio / expected - 1.0).abs() <= tolerance) {
            wrong.push(format!(
                "{what}: {a} → {b} pixels, ratio {ratio:.2}, expected {expected:.2} ± {:.0}%",
                tolerance * 100.0
            ));
        }
    };
    let area = scale * scale;
    check("red arrow area", small.red, big.red, area, 0.15);
    check("cyan arrow area", small.cyan, big.cyan, area, 0.15);
    check("probe marker area", small.marker, big.marker, area, 0.3);
    check(
        "legend text width",
        small.text.0 as f64,
        big.text.0 as f64,
        scale,
        0.1,
    );
    check(
        "legend text height",
        small.text.1 as f64,
        big.text.1 as f64,
        scale,
        0.25,
    );
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("; "))
    }
}

#[test]
fn arrows_markers_and_text_scale_with_pixels_per_point() {
    let Some(ctx) = common::gpu() else { return };
    let mut scene = Scene {
        model: Model::seed(-1.5, 1.0, 1.0),
        probe: Some([0.6, 0.3]),
        grid: 16,
        ..Scene::default()
    };
    scene.fit_view();
    // Arrows and the probe marker alone (no ellipses, axes, handles or overlay share their
    // colours); the text on the full scene with its overlay.
    let mut probe_only = scene.clone();
    probe_only.layers.ellipses = false;
    probe_only.layers.axes = false;
    probe_only.layers.handles = false;
    let measure = |size: [u32; 2], ppp: f32| {
        let plain = render_at(&ctx, &probe_only, size, ppp, false);
        let full = render_at(&ctx, &scene, size, ppp, true);
        // Kept for a look when a ratio drifts.
        let keep = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-output");
        std::fs::create_dir_all(&keep).unwrap();
        let name = format!("ppp{ppp}_{}x{}.png", size[0], size[1]);
        std::fs::write(keep.join(name), full.to_png().unwrap()).unwrap();
        use fisherflow::render::colormap::palette;
        let [red, cyan, marker] = footprints(&plain, [palette::EUCLID, palette::NATURAL, 0xffffff]);
        Sizes {
            red: red as f64,
            cyan: cyan as f64,
            marker: marker as f64,
            text: legend_first_line(&full, ppp),
        }
    };
    let logical = [480, 320];
    let one = measure(logical, 1.0);
    let two = measure([2 * logical[0], 2 * logical[1]], 2.0);
    // The wrong way: twice the pixels but still 1 pixel per point, as a renderer that ignored
    // the scale factor would draw on a HiDPI screen.
    let unscaled = measure([2 * logical[0], 2 * logical[1]], 1.0);
    eprintln!("ppp 1: {one:?}\nppp 2: {two:?}\n2× pixels at ppp 1: {unscaled:?}");
    assert!(
        one.red > 100.0 && one.cyan > 100.0 && one.marker > 5.0 && one.text.0 > 60,
        "something to measure at ppp 1: {one:?}"
    );
    check_scale(one, two, 2.0).unwrap_or_else(|e| panic!("ppp 2 does not scale: {e}"));
    let error = check_scale(one, unscaled, 2.0)
        .expect_err("a 2× render at ppp 1 must fail the scale check");
    eprintln!("negative control: {error}");
    for what in ["red arrow area", "cyan arrow area", "legend text width"] {
        assert!(error.contains(what), "the control fails on {what}: {error}");
    }
}
