//! `fisherflow geodesic` end to end: the shortest-path and exponential-map JSON (its keys are
//! a contract: `distance`, `path`; `path`, `end`, `length`, `stopped`) against the
//! half-plane's closed form at points used nowhere else, the path's ends, the `stopped` field
//! at the seed's singular diagonal, the readable summary, and exit 2 with an empty stdout and a
//! message naming the problem for every kind of bad input. Every run is under a time limit.

use crate::common;

use std::process::Output;
use std::time::Duration;

/// One geodesic in a dev build: well under a second; bad input fails at once.
const LIMIT: Duration = Duration::from_secs(60);

fn fisherflow(args: &[&str]) -> Output {
    common::cli::fisherflow(&["geodesic"], args, LIMIT)
}

fn json(args: &[&str]) -> serde_json::Value {
    common::cli::json(&["geodesic"], args)
}

/// Exit 2, nothing on stdout, and stderr naming every one of `needles`.
fn assert_refused(args: &[&str], needles: &[&str]) {
    common::cli::assert_refused(&["geodesic"], args, needles, LIMIT);
}

fn pair(v: &serde_json::Value) -> [f64; 2] {
    let a = v.as_array().expect("a pair is an array");
    assert_eq!(a.len(), 2, "{v}");
    [a[0].as_f64().unwrap(), a[1].as_f64().unwrap()]
}

fn half_plane_distance(a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dm, ds) = (a[0] - b[0], a[1] - b[1]);
    2f64.sqrt() * (1.0 + (0.5 * dm * dm + ds * ds) / (2.0 * a[1] * b[1])).acosh()
}

const HALF_PLANE: [&str; 4] = ["--model", "pi=1", "--slice", "mu1,sigma1"];

#[test]
fn shortest_path_json_matches_the_half_plane() {
    let mut args = HALF_PLANE.to_vec();
    args.extend(["--from", "-0.7,1.9", "--to", "1.35,0.45", "--json"]);
    let v = json(&args);
    let want = half_plane_distance([-0.7, 1.9], [1.35, 0.45]);
    let d = v["distance"].as_f64().expect("distance is a number");
    assert!((d - want).abs() <= 1e-6 * want, "{d} against {want}");
    let path: Vec<[f64; 2]> = v["path"].as_array().unwrap().iter().map(pair).collect();
    assert!(path.len() >= 100, "{} points", path.len());
    assert_eq!(path.first(), Some(&[-0.7, 1.9]));
    assert_eq!(path.last(), Some(&[1.35, 0.45]));
    // The path is the geodesic: every point splits the distance exactly.
    for p in &path {
        let split = half_plane_distance([-0.7, 1.9], *p) + half_plane_distance(*p, [1.35, 0.45]);
        assert!((split - want).abs() < 1e-6, "{p:?} is off the geodesic");
    }
    assert_eq!(v["slice"], serde_json::json!(["mu1", "sigma1"]));
}

#[test]
fn exp_map_json_reaches_its_length_or_says_why_not() {
    let mut args = HALF_PLANE.to_vec();
    args.extend([
        "--from",
        "0.25,0.6",
        "--direction",
        "-1,2",
        "--length",
        "1.75",
        "--json",
    ]);
    let v = json(&args);
    assert_eq!(v["length"].as_f64(), Some(1.75));
    assert!(v.get("stopped").is_none(), "{}", v["stopped"]);
    let end = pair(&v["end"]);
    let d = half_plane_distance([0.25, 0.6], end);
    assert!((d - 1.75).abs() < 1e-6, "reach {d}");
    let path: Vec<[f64; 2]> = v["path"].as_array().unwrap().iter().map(pair).collect();
    assert_eq!(path.first(), Some(&[0.25, 0.6]));
    assert_eq!(path.last(), Some(&end));

    // Into the seed's diagonal: stopped on the singular set, with the length reached.
    let v = json(&[
        "--from",
        "0.5,-1",
        "--direction",
        "-1,1",
        "--length",
        "4",
        "--json",
    ]);
    assert_eq!(v["stopped"], "singular set");
    let length = v["length"].as_f64().unwrap();
    assert!(length > 0.1 && length < 4.0, "{length}");
    let end = pair(&v["end"]);
    assert!(
        (end[0] - end[1]).abs() < 1e-3,
        "end {end:?} is not at the diagonal"
    );

    // Off the edge of the (pi, mu2) slice: π reaches 0 at finite length (σ1 = σ2, so F_ππ
    // stays finite there, and the mu2 row keeps its weight 1 − π).
    let v = json(&[
        "--slice",
        "pi,mu2",
        "--model",
        "mu1=1",
        "--from",
        "0.05,0",
        "--direction",
        "-1,0",
        "--length",
        "50",
        "--json",
    ]);
    assert_eq!(v["stopped"], "left the model", "{v}");
    let end = pair(&v["end"]);
    assert!(end[0] > 0.0 && end[0] < 0.05, "{end:?}");
}

#[test]
fn summary_is_readable() {
    let out = fisherflow(&["--from", "-1,1", "--to", "0.5,1.5"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("distance") && text.contains("shooting"),
        "{text}"
    );
}

#[test]
fn bad_input_exits_2_naming_the_problem() {
    assert_refused(
        &[
            "--from",
            "0,1",
            "--to",
            "1,1",
            "--direction",
            "1,0",
            "--length",
            "1",
        ],
        &["--to", "--direction", "both"],
    );
    assert_refused(&["--from", "0,1"], &["--to", "--direction", "neither"]);
    assert_refused(&["--from", "0,1", "--direction", "1,0"], &["--length"]);
    assert_refused(
        &["--from", "0,1", "--direction", "0,0", "--length", "1"],
        &["--direction", "nonzero"],
    );
    assert_refused(
        &["--from", "0,1", "--direction", "1,0", "--length", "-2"],
        &["--length", "-2", ">= 0"],
    );
    assert_refused(
        &["--from", "0,1", "--direction", "1,0", "--length", "NaN"],
        &["--length", "NaN"],
    );
    assert_refused(
        &["--from", "0,1", "--direction", "1,0", "--length", "inf"],
        &["--length", "inf"],
    );
    assert_refused(
        &["--from", "0,x", "--to", "1,1"],
        &["--from", "`x` is not a number"],
    );
    assert_refused(&["--from", "0,1", "--to", "1"], &["--to", "two numbers"]);
    let mut args = HALF_PLANE.to_vec();
    args.extend(["--from", "0,1", "--to", "1,-0.5"]);
    assert_refused(&args, &["--to", "outside the model", "sigma1"]);
    let mut args = HALF_PLANE.to_vec();
    args.extend(["--from", "0,0", "--direction", "1,0", "--length", "1"]);
    assert_refused(&args, &["--from", "outside the model", "sigma1"]);
    assert_refused(
        &["--slice", "pi,mu1", "--from", "1.2,0", "--to", "0.5,0"],
        &["--from", "pi"],
    );
    assert_refused(
        &["--from", "0,1", "--to", "1,1", "--nodes", "3"],
        &["--nodes"],
    );
}
