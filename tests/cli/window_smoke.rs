//! The real window: `fisherflow view --frames N --screenshot FILE` opens a winit window (under
//! Xvfb when there is no display), renders, saves the whole window and exits 0; the PNG is
//! checked for content and against the size the viewer reports for its window (a HiDPI or
//! tiling desktop need not give the size asked for). Under a private Xvfb (no window manager)
//! the window is resized to 1×1, to 2400×1600 and back while it renders, and "minimised" by
//! feeding a zero-size resize through the viewer's own event handler; it must keep presenting
//! frames after each. Automation left minimised gives up with a message instead of waiting
//! forever. Bad options exit 2 before any window opens.
//!
//! Every child runs under a time limit (`common::process`); this file also tests that helper.
//!
//! Needs a display or `xvfb-run` (Debian: xvfb, xauth), and `xvfb-run` for the resize tests
//! (a desktop's window manager may refuse their sizes); like the GPU tests they fail rather
//! than skip without one, unless FISHERFLOW_SKIP_GPU_TESTS=1 is set by hand.

use crate::common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::process::{probe_with_timeout, run_with_timeout, try_run_with_timeout};

/// One viewer run: a few dozen frames of a small grid take seconds on lavapipe; the viewer's
/// own automation gives up after 60 s without a frame, so this only catches a viewer that
/// hangs outright (or an Xvfb that never starts).
const VIEWER_LIMIT: Duration = Duration::from_secs(180);

/// Options that fail before a window opens return at once.
const QUICK_LIMIT: Duration = Duration::from_secs(30);

/// Where the viewer runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Display {
    /// Whatever display the session has (DISPLAY or WAYLAND_DISPLAY), else a private Xvfb.
    Any,
    /// A private Xvfb, required: no window manager, so resize requests are applied exactly as
    /// asked (a desktop's window manager, tiling ones above all, may override them).
    PrivateXvfb,
}

fn xvfb_run_available() -> bool {
    probe_with_timeout(
        Command::new("xvfb-run").arg("--help"),
        Duration::from_secs(20),
    )
    .is_some()
}

/// The viewer command, and whether it runs under a private Xvfb; None when skipped by hand.
fn viewer_command(args: &[&str], display: Display) -> Option<(Command, bool)> {
    let binary = env!("CARGO_BIN_EXE_fisherflow");
    let session =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    let xvfb = (display == Display::PrivateXvfb || !session) && xvfb_run_available();
    if xvfb {
        // Through a shell that reports the viewer's own exit status on stderr: xvfb-run's
        // exit code is its own when its clean-up fails ("problem while cleaning up temporary
        // directory", seen once in CI), which would hide the viewer's ([`exit_code`]).
        let mut c = Command::new("xvfb-run");
        c.args([
            "-a",
            "-s",
            "-screen 0 1600x1000x24",
            "sh",
            "-c",
            "\"$0\" \"$@\"; status=$?; echo \"fisherflow exit status $status\" >&2; exit $status",
            binary,
        ])
        .args(args)
        // winit prefers Wayland when it can connect: keep it on the private X server.
        .env_remove("WAYLAND_DISPLAY");
        return Some((c, true));
    }
    if session && display == Display::Any {
        let mut c = Command::new(binary);
        c.args(args);
        return Some((c, false));
    }
    if std::env::var("FISHERFLOW_SKIP_GPU_TESTS").as_deref() == Ok("1") {
        eprintln!("FISHERFLOW_SKIP_GPU_TESTS=1: skipping the window test");
        return None;
    }
    match display {
        Display::Any => {
            panic!("the window test needs a display or xvfb-run (apt-get install xvfb xauth)")
        }
        Display::PrivateXvfb => panic!(
            "the resize tests need xvfb-run, a private X server without a window manager \
             (apt-get install xvfb xauth)"
        ),
    }
}

/// The viewer's exit code: the one its wrapper reported under xvfb-run, else the process's.
fn exit_code(out: &Output) -> Option<i32> {
    let stderr = String::from_utf8_lossy(&out.stderr);
    stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("fisherflow exit status "))
        .and_then(|v| v.trim().parse().ok())
        .or(out.status.code())
}

/// Runs the viewer with `args` under the time limit; None when skipped by hand.
fn run_viewer(args: &[&str], display: Display) -> Option<(Output, bool)> {
    let (mut command, xvfb) = viewer_command(args, display)?;
    let start = Instant::now();
    let out = run_with_timeout(&mut command, None, VIEWER_LIMIT);
    eprintln!(
        "viewer {args:?} took {:.1} s",
        start.elapsed().as_secs_f64()
    );
    Some((out, xvfb))
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

/// "WxH" → [W, H].
fn parse_size(text: &str) -> [u32; 2] {
    let (w, h) = text
        .split_once('x')
        .unwrap_or_else(|| panic!("not a size: {text}"));
    [w.parse().unwrap(), h.parse().unwrap()]
}

/// What the viewer says about its window at exit:
/// "window: inner size WxH px, scale factor S, last frame WxH px".
#[derive(Debug)]
struct WindowReport {
    inner: [u32; 2],
    scale: f64,
    last_frame: [u32; 2],
}

fn window_report(stderr: &str) -> WindowReport {
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("window: inner size "))
        .unwrap_or_else(|| panic!("the viewer reports its window size:\n{stderr}"));
    let mut parts = line.split(", ");
    let inner = parse_size(parts.next().unwrap().trim_end_matches(" px"));
    let scale = parts
        .next()
        .and_then(|p| p.strip_prefix("scale factor "))
        .unwrap()
        .parse()
        .unwrap();
    let last_frame = parse_size(
        parts
            .next()
            .and_then(|p| p.strip_prefix("last frame "))
            .unwrap()
            .trim_end_matches(" px"),
    );
    WindowReport {
        inner,
        scale,
        last_frame,
    }
}

/// One automation phase as reported:
/// "automation phase I: tick T, request WxH, presented P, presented at request Q, skipped S,
/// failed F".
#[derive(Debug)]
struct Phase {
    request: Option<[u32; 2]>,
    presented: u32,
    presented_at_request: u32,
    skipped: u32,
    failed: u32,
}

fn phases(stderr: &str) -> Vec<Phase> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("automation phase "))
        .map(|line| {
            let (_, fields) = line.split_once(": ").unwrap();
            let field = |name: &str| -> &str {
                fields
                    .split(", ")
                    .find_map(|f| f.strip_prefix(name)?.strip_prefix(' '))
                    .unwrap_or_else(|| panic!("no {name} in {line}"))
            };
            let number = |name: &str| field(name).parse::<u32>().unwrap();
            Phase {
                request: match field("request") {
                    "none" => None,
                    size => Some(parse_size(size)),
                },
                presented: number("presented"),
                presented_at_request: number("presented at request"),
                skipped: number("skipped"),
                failed: number("failed"),
            }
        })
        .collect()
}

/// Screenshot content counts: far-field ellipses, distinct colours, the probe's two arrows.
fn content(rgba: &[u8]) -> (usize, usize, usize, usize) {
    use fisherflow::render::colormap::palette;
    // Far-field ellipses: the colour map's low end (κ ≈ 1) at 85% over the background.
    let far_ellipses = count(rgba, 0x374174, 12);
    let distinct: std::collections::HashSet<&[u8]> = rgba.chunks(4).collect();
    let red = count(rgba, palette::EUCLID, 30);
    let cyan = count(rgba, palette::NATURAL, 30);
    (far_ellipses, distinct.len(), red, cyan)
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
    let Some((out, xvfb)) = run_viewer(&args, Display::Any) else {
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(exit_code(&out), Some(0), "viewer failed: {stderr}");
    assert!(stderr.contains("rendered 30 frames"), "{stderr}");
    // The automation report states the first frame's latency.
    let first = stderr
        .split("first frame ")
        .nth(1)
        .and_then(|rest| rest.split(" ms").next())
        .and_then(|ms| ms.parse::<f64>().ok());
    assert!(first.is_some_and(|ms| ms > 0.0), "{stderr}");
    let report = window_report(&stderr);
    let (width, height, rgba) = decode(&shot);
    // The screenshot is the last frame, and the last frame filled the window the platform
    // gave us, whatever size that is (HiDPI doubles it, a tiling desktop picks its own).
    assert_eq!(
        [width, height],
        report.last_frame,
        "screenshot against the last frame's size: {report:?}"
    );
    assert_eq!(
        report.last_frame, report.inner,
        "the last frame has the window's size: {report:?}"
    );
    assert!(
        (0.5..=4.0).contains(&report.scale)
            && [width, height].iter().all(|&v| (100..=16_384).contains(&v)),
        "a plausible window: {report:?}"
    );
    if xvfb {
        // Our own Xvfb has no window manager and scale factor 1: the request is applied as is.
        assert_eq!(
            (report.inner, report.scale),
            ([1100, 700], 1.0),
            "Xvfb applies the requested size"
        );
    }
    use fisherflow::render::colormap::palette;
    let (far_ellipses, distinct, red, cyan) = content(&rgba);
    let clamped = count(&rgba, palette::CLAMPED, 40);
    let panel = count(&rgba, 0x1b1b1b, 2);
    let keep = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-output");
    std::fs::create_dir_all(&keep).unwrap();
    std::fs::copy(&shot, keep.join("window.png")).unwrap();
    let summary = format!(
        "far ellipses {far_ellipses}, distinct colours {distinct}, red {red}, cyan {cyan}, clamped {clamped}, panel {panel}"
    );
    // The counts were measured at 1100×700 at scale 1; a larger window (HiDPI) has more of
    // every colour, a smaller one (tiling) proportionally fewer.
    let area = (width * height) as f64 / (1100.0 * 700.0);
    let at_least = |n: f64| (n * area.min(1.0)) as usize;
    assert!(
        far_ellipses > at_least(5_000.0) && distinct > 1_000,
        "the canvas shows the field: {summary}"
    );
    assert!(
        red > at_least(100.0) && cyan > at_least(100.0),
        "both probe arrows drawn: {summary}"
    );
    assert!(
        clamped > at_least(500.0),
        "clamp-marked ellipses along the diagonal: {summary}"
    );
    assert!(
        panel > at_least(20_000.0),
        "the egui side panel is in the screenshot: {summary}"
    );
}

/// Small and quick: a 16-cell grid, a few frames per phase.
fn small_scene_args<'a>(frames: &'a str, resize: &'a str, shot: &'a str) -> Vec<&'a str> {
    vec![
        "view",
        "--sigma",
        "1",
        "--grid",
        "16",
        "--target",
        "-1.5,1",
        "--probe",
        "0.6,0.3",
        "--width",
        "640",
        "--height",
        "400",
        "--frames",
        frames,
        "--automation-resize",
        resize,
        "--screenshot",
        shot,
    ]
}

#[test]
fn real_window_keeps_rendering_through_resizes_to_1x1_large_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let shot = dir.path().join("resized.png");
    // Redraws 8, 16, 24: 1×1, larger than the 1600×1000 screen (X allows it), then back to an
    // ordinary size. 32 presented frames leave at least 8 redraws for the last phase.
    let args = small_scene_args(
        "32",
        "8:1x1,16:2400x1600,24:900x600",
        shot.to_str().unwrap(),
    );
    let Some((out, _)) = run_viewer(&args, Display::PrivateXvfb) else {
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(exit_code(&out), Some(0), "viewer failed: {stderr}");
    let phases = phases(&stderr);
    assert_eq!(phases.len(), 4, "the opening phase and 3 resizes: {stderr}");
    for (phase, want) in phases[1..].iter().zip([[1, 1], [2400, 1600], [900, 600]]) {
        assert_eq!(phase.request, Some(want));
        // At least one frame presented at exactly the new size: the surface followed the
        // window. (The first frames after a request may still have the old size.)
        assert!(
            phase.presented_at_request >= 1,
            "no frame presented at {want:?} after the resize: {phase:?}\n{stderr}"
        );
        assert_eq!(phase.skipped, 0, "a non-zero size never skips: {phase:?}");
    }
    let report = window_report(&stderr);
    let (width, height, rgba) = decode(&shot);
    assert_eq!(
        ([width, height], report.last_frame, report.inner),
        ([900, 600], [900, 600], [900, 600]),
        "the final screenshot has the final size"
    );
    let (far_ellipses, distinct, red, cyan) = content(&rgba);
    let summary =
        format!("far ellipses {far_ellipses}, distinct colours {distinct}, red {red}, cyan {cyan}");
    assert!(
        far_ellipses > 1_000 && distinct > 300 && red > 50 && cyan > 50,
        "after the resizes the window still shows the field and the arrows: {summary}"
    );
}

#[test]
fn minimised_window_skips_frames_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let shot = dir.path().join("restored.png");
    // Redraw 6: a zero-size Resized through the viewer's own handler (X11 refuses a zero
    // height, and Xvfb has no window manager to minimise with). Redraw 16: back to the size
    // the window still has on the X server, which X would not announce: the viewer must
    // notice by itself, as it does when a real minimised window is restored.
    // 20 frames: 6 before the minimise, at least 14 after the restore.
    let args = small_scene_args("20", "6:0x0,16:640x400", shot.to_str().unwrap());
    let Some((out, _)) = run_viewer(&args, Display::PrivateXvfb) else {
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(exit_code(&out), Some(0), "viewer failed: {stderr}");
    let phases = phases(&stderr);
    assert_eq!(phases.len(), 3, "{stderr}");
    let zero = &phases[1];
    assert_eq!(zero.request, Some([0, 0]));
    assert_eq!(
        (zero.presented, zero.skipped, zero.failed),
        (0, 10, 0),
        "redraws 6..16 are skipped, never failed, while the window has zero size:\n{stderr}"
    );
    let restored = &phases[2];
    assert!(
        restored.presented_at_request >= 1 && restored.presented >= 14,
        "rendering resumes after the restore: {restored:?}\n{stderr}"
    );
    let (width, height, rgba) = decode(&shot);
    assert_eq!([width, height], [640, 400]);
    let (far_ellipses, distinct, _, _) = content(&rgba);
    assert!(
        far_ellipses > 500 && distinct > 300,
        "the restored window shows the field: far ellipses {far_ellipses}, distinct {distinct}"
    );
}

#[test]
fn automation_left_minimised_gives_up_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let shot = dir.path().join("never.png");
    let mut args = small_scene_args("10", "3:0x0", shot.to_str().unwrap());
    args.extend(["--automation-stall-limit", "2"]);
    let start = Instant::now();
    let Some((out, _)) = run_viewer(&args, Display::PrivateXvfb) else {
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(exit_code(&out), Some(1), "{stderr}");
    assert!(
        stderr.contains("no frame presented for ")
            && stderr.contains("3 of 10 done")
            && stderr.contains("zero size"),
        "the message says what happened: {stderr}"
    );
    assert!(!shot.exists(), "no screenshot from a run that gave up");
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "gave up on the 2 s limit, not later"
    );
}

#[test]
fn bad_view_options_exit_2_before_opening_a_window() {
    let binary = env!("CARGO_BIN_EXE_fisherflow");
    let dir = tempfile::tempdir().unwrap();
    let bad_scene = dir.path().join("bad.toml");
    std::fs::write(&bad_scene, "sigma = 1.0\ngridd = 4\n").unwrap();
    let out = run_with_timeout(
        Command::new(binary)
            .args(["view", "--scene", bad_scene.to_str().unwrap()])
            .env_remove("DISPLAY"),
        None,
        QUICK_LIMIT,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(exit_code(&out), Some(2), "{stderr}");
    assert!(
        stderr.contains("gridd") && stderr.contains("line 2"),
        "{stderr}"
    );
    let resize = |spec: &'static str| vec!["view", "--frames", "10", "--automation-resize", spec];
    for (args, mention) in [
        (vec!["view", "--sigma", "-1"], "sigma"),
        (vec!["view", "--grid", "3"], "grid"),
        (vec!["view", "--target", "1,nan"], "target"),
        (vec!["view", "--frames", "0"], "frames"),
        (
            vec!["view", "--screenshot", "/nonexistent/dir/x.png"],
            "/nonexistent/dir",
        ),
        (resize("5"), "no `:`"),
        (resize("5:640"), "no `x`"),
        (resize("a:1x1"), "not a whole number"),
        (resize("5:1x-1"), "not two whole numbers"),
        (resize("5:0x7"), "1..=8192, or the size 0x0"),
        (resize("5:9000x10"), "1..=8192"),
        (resize("5:1x1,5:2x2"), "strictly ascending"),
        (resize("10:1x1"), "not before --frames 10"),
        (
            vec!["view", "--automation-resize", "5:1x1"],
            "needs --frames",
        ),
        (
            vec!["view", "--drag-target"],
            "--drag-target is for measuring",
        ),
        (vec!["view", "--live"], "--live is for measuring"),
        (
            vec!["view", "--frames", "5", "--switch-scene", "2:x.toml"],
            "N > K + 10",
        ),
        (
            vec!["view", "--frames", "50", "--switch-scene", "two:x.toml"],
            "whole number",
        ),
        (
            vec!["view", "--frames", "50", "--switch-scene", "2"],
            "K:FILE",
        ),
        (
            vec![
                "view",
                "--frames",
                "50",
                "--switch-scene",
                "2:/nonexistent/x.toml",
            ],
            "/nonexistent/x.toml",
        ),
        (
            vec!["view", "--frames", "5", "--automation-stall-limit", "0"],
            "--automation-stall-limit",
        ),
        (
            vec!["view", "--frames", "5", "--automation-stall-limit", "nan"],
            "--automation-stall-limit",
        ),
    ] {
        let out = run_with_timeout(
            Command::new(binary).args(&args).env_remove("DISPLAY"),
            None,
            QUICK_LIMIT,
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(exit_code(&out), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(mention),
            "{args:?} should mention {mention}: {stderr}"
        );
        assert!(out.stdout.is_empty());
    }
}

// The time-limit helper itself (common/process.rs), tested here once rather than in every
// test binary that includes it.

#[test]
fn timeout_helper_kills_a_child_that_sleeps_forever() {
    let start = Instant::now();
    let error = try_run_with_timeout(
        Command::new("sleep").arg("1000"),
        None,
        Duration::from_secs(1),
    )
    .expect_err("sleep 1000 cannot finish in 1 s");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(10),
        "killed at the limit, not after the sleep: {took:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("\"sleep\" \"1000\"") && message.contains("within 1s"),
        "the message names the command and the limit: {message}"
    );
    // The panicking form says the same.
    let panic = std::panic::catch_unwind(|| {
        run_with_timeout(
            Command::new("sleep").arg("1000"),
            None,
            Duration::from_millis(300),
        )
    })
    .expect_err("run_with_timeout panics past its limit");
    let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        text.contains("sleep") && text.contains("within 300ms"),
        "{text}"
    );
}

#[test]
fn timeout_helper_kills_the_whole_process_group() {
    // A shell whose child holds stdout open: killing only the shell would leave `sleep`
    // running and the pipe readers waiting for it (how a lone xvfb-run kill would leave Xvfb
    // and the viewer behind).
    let start = Instant::now();
    let error = try_run_with_timeout(
        Command::new("sh").args(["-c", "sleep 1000 & echo $!; wait"]),
        None,
        Duration::from_secs(1),
    )
    .expect_err("the shell waits for its sleep");
    assert_group_gone(error.pgid);
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "the pipes closed with the group: {:?}",
        start.elapsed()
    );
    assert!(
        !error.stdout.is_empty(),
        "what the shell wrote before the kill is kept"
    );
}

/// Processes of group `pgid` still alive (zombies, dead but not yet reaped, excluded).
fn live_members(pgid: u32) -> Vec<String> {
    let mut alive = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid pgrp ...": comm may hold spaces, so split after the ')'.
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.len() > 2 && fields[2] == pgid.to_string() && fields[0] != "Z" {
            alive.push(format!("{head})"));
        }
    }
    alive
}

/// Waits up to 5 s for every process of group `pgid` to die; panics naming the survivors.
fn assert_group_gone(pgid: u32) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let alive = live_members(pgid);
        if alive.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "left behind in process group {pgid}: {alive:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_viewer_under_xvfb_run_killed_at_the_limit_leaves_nothing_behind() {
    // What the window tests rely on when a viewer hangs: the helper kills xvfb-run's whole
    // process group, so neither the Xvfb server nor the viewer outlives the test.
    if !xvfb_run_available() {
        if std::env::var("FISHERFLOW_SKIP_GPU_TESTS").as_deref() == Ok("1") {
            return;
        }
        panic!("this test needs xvfb-run (apt-get install xvfb xauth)");
    }
    let start = Instant::now();
    let error = try_run_with_timeout(
        Command::new("xvfb-run")
            .args(["-a", "-s", "-screen 0 640x480x24"])
            .arg(env!("CARGO_BIN_EXE_fisherflow"))
            .args(["view", "--grid", "16", "--width", "320", "--height", "200"])
            .args(["--frames", "1000000"])
            .env_remove("WAYLAND_DISPLAY")
            // The viewer logs "viewer on <adapter>" once its window and device are up.
            .env("RUST_LOG", "fisherflow=info"),
        None,
        // Long enough for the viewer to be up on a loaded 2-core CI machine with a cold shader
        // cache (its start-up compiles and warms every pipeline: ~3 s idle in a debug build,
        // and 8 s was once not enough there while the other CLI tests ran beside it).
        Duration::from_secs(20),
    )
    .expect_err("a million frames take longer than 20 s");
    assert!(start.elapsed() < Duration::from_secs(40));
    assert_group_gone(error.pgid);
    let stderr = String::from_utf8_lossy(&error.stderr);
    assert!(
        stderr.contains("viewer on"),
        "the viewer was running when the limit struck:\n{stderr}"
    );
}

#[test]
fn timeout_helper_drains_a_chatty_child_and_feeds_stdin() {
    // Far more than a pipe buffer (64 KiB) on both pipes: without draining threads the child
    // would block on a full pipe and the helper would time out.
    let out = run_with_timeout(
        Command::new("sh").args([
            "-c",
            "head -c 3000000 /dev/zero; head -c 2000000 /dev/zero >&2",
        ]),
        None,
        Duration::from_secs(30),
    );
    assert!(out.status.success());
    assert_eq!((out.stdout.len(), out.stderr.len()), (3_000_000, 2_000_000));
    let input: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let out = run_with_timeout(
        &mut Command::new("cat"),
        Some(&input),
        Duration::from_secs(30),
    );
    assert!(out.stdout == input, "stdin arrives whole");
}
