//! `--model`, `--slice` and `--sigma` on the scene commands (view, capture): bad input exits 2
//! naming the option and the field, with nothing on stdout and nothing written; a good general
//! model and slice capture a frame. Every run is under a time limit.

use crate::common;

use std::process::Command;
use std::time::Duration;

use common::process::run_with_timeout;

/// Bad options fail before any window or device is opened.
const QUICK_LIMIT: Duration = Duration::from_secs(30);
/// One captured frame of a general slice (pipelines compile on llvmpipe first).
const CAPTURE_LIMIT: Duration = Duration::from_secs(240);

fn fisherflow(args: &[&str]) -> std::process::Output {
    common::cli::fisherflow(&[], args, QUICK_LIMIT)
}

/// Exit 2, empty stdout, and stderr naming every one of `needles`.
fn assert_refused(args: &[&str], needles: &[&str]) {
    common::cli::assert_refused(&[], args, needles, QUICK_LIMIT);
}

#[test]
fn view_refuses_bad_models_and_slices_naming_the_field() {
    // The viewer validates its options before it opens a window: each of these exits at once.
    assert_refused(&["view", "--model", "pi=1.5"], &["--model", "pi"]);
    assert_refused(&["view", "--model", "sigma2=0"], &["--model", "sigma2"]);
    assert_refused(
        &["view", "--model", "sigma3=1"],
        &["unknown parameter", "sigma3"],
    );
    assert_refused(&["view", "--model", "pi"], &["KEY=VALUE"]);
    assert_refused(&["view", "--model", "mu1=x"], &["mu1", "not a number"]);
    assert_refused(&["view", "--model", "mu1=1,mu1=2"], &["mu1", "twice"]);
    assert_refused(&["view", "--slice", "mu1,mu1"], &["--slice", "twice"]);
    assert_refused(
        &["view", "--slice", "mu1"],
        &["--slice", "two parameter names"],
    );
    assert_refused(&["view", "--slice", "mu1,tau"], &["--slice", "tau"]);
    assert_refused(&["view", "--sigma", "-1"], &["--sigma", "sigma1"]);
    assert_refused(
        &["view", "--sigma", "1", "--model", "sigma1=2"],
        &["--sigma", "--model"],
    );
    // π on the boundary is a model, but not on a slice that varies π.
    assert_refused(
        &["view", "--slice", "pi,mu1", "--model", "pi=1"],
        &["--model", "pi", "strictly"],
    );
    // A target in slice coordinates outside the model.
    assert_refused(
        &["view", "--slice", "mu1,sigma1", "--target", "0,-1"],
        &["--target", "sigma1"],
    );
}

#[test]
fn capture_refuses_a_bad_model_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, "duration = 0.034\nwidth = 64\nheight = 48\n").unwrap();
    let out = dir.path().join("frames");
    assert_refused(
        &[
            "capture",
            "--scenario",
            scenario.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--model",
            "sigma1=-0.5",
        ],
        &["--model", "sigma1"],
    );
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn capture_draws_a_general_slice() {
    if common::gpu().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, "duration = 0.034\nwidth = 160\nheight = 100\n").unwrap();
    let out = dir.path().join("frames");
    let run = run_with_timeout(
        Command::new(env!("CARGO_BIN_EXE_fisherflow")).args([
            "capture",
            "--scenario",
            scenario.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--model",
            "pi=1,mu1=0,sigma1=1",
            "--slice",
            "mu1,sigma1",
        ]),
        None,
        CAPTURE_LIMIT,
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let frames: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
    assert_eq!(frames.len(), 1);
}

#[test]
fn trace_follows_the_natural_flow_on_the_half_plane() {
    // One Gaussian (π = 1) on (μ1, σ1): the natural flow from (2, 0.5) reaches the target
    // (0, 1). Its Fisher–Rao length is at least the hyperbolic distance between the two,
    // √2·arccosh(1 + ((Δμ)²/2 + (Δσ)²)/(2σ_aσ_b)) = √2·arccosh(3.25) ≈ 2.635 (a flow line
    // is not a geodesic), and not much more.
    let out = fisherflow(&[
        "trace",
        "--slice",
        "mu1,sigma1",
        "--model",
        "pi=1",
        "--start",
        "2,0.5",
        "--target",
        "0,1",
        "--steps",
        "400",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["slice"], serde_json::json!(["mu1", "sigma1"]));
    let trajectory = v["trajectory"].as_array().unwrap();
    let first = &trajectory[0];
    assert_eq!(first["theta"], serde_json::json!([2.0, 0.5]));
    assert_eq!(first["mu2"], 0.0, "μ2 is held at the model's default");
    let last = trajectory.last().unwrap();
    let theta: Vec<f64> = serde_json::from_value(last["theta"].clone()).unwrap();
    assert!(
        theta[0].abs() < 1e-4 && (theta[1] - 1.0).abs() < 1e-4,
        "ends at θ*: {theta:?}"
    );
    assert!(last["loss"].as_f64().unwrap() < 1e-8);
    let hyperbolic = 2f64.sqrt() * 3.25f64.acosh();
    let length = last["fisher_rao_length"].as_f64().unwrap();
    assert!(
        length >= hyperbolic * 0.999 && length < hyperbolic * 1.2,
        "Fisher–Rao length {length} against the geodesic distance {hyperbolic}"
    );
    // Negative control: a start outside the model (σ1 < 0) is refused, naming the option.
    assert_refused(
        &[
            "trace",
            "--slice",
            "mu1,sigma1",
            "--model",
            "pi=1",
            "--start",
            "2,-0.5",
            "--target",
            "0,1",
        ],
        &["--start", "sigma1"],
    );
    assert_refused(
        &[
            "trace", "--slice", "pi,mu1", "--start", "0.2,0", "--target", "1.5,0",
        ],
        &["--target", "pi"],
    );
}
