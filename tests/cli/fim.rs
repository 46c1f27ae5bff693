//! `fisherflow fim` end to end: JSON round trips on CPU and GPU, stdin input, the readable
//! summary, and exit code 2 with an empty stdout and a message naming the field and point for
//! every kind of bad input. Every run is under a time limit; arrays compared element by
//! element must have the same length first (a shortened result fails, see the control).

use crate::common;

use std::io::Write;
use std::process::{Command, Output};
use std::time::Duration;

use common::process::run_with_timeout;

/// A handful of points on either device, including adapter start-up on lavapipe: seconds.
const FIM_LIMIT: Duration = Duration::from_secs(120);

fn fisherflow(args: &[&str], stdin: Option<&str>) -> Output {
    run_with_timeout(
        Command::new(env!("CARGO_BIN_EXE_fisherflow")).args(args),
        // Without input stdin is empty (/dev/null): `--points -` then reads EOF.
        stdin.map(str::as_bytes),
        FIM_LIMIT,
    )
}

/// Pairs of `a` and `b` after asserting they have the same length: `zip` alone would stop at
/// the shorter one and pass a truncated result.
fn zip_exact<'a, T>(a: &'a [T], b: &'a [T], what: &str) -> impl Iterator<Item = (&'a T, &'a T)> {
    assert_eq!(
        a.len(),
        b.len(),
        "{what}: lengths differ ({} against {})",
        a.len(),
        b.len()
    );
    a.iter().zip(b)
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

const POINTS: &str = r#"[
  {"mu1": 0.1, "mu2": -0.1, "sigma": 1, "target": [-1.5, 0.5]},
  {"mu1": 0, "mu2": 0, "sigma": 1, "target": [-1, 1]},
  {"mu1": 2, "mu2": -3, "sigma": 0.5}
]"#;

fn points_file() -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(POINTS.as_bytes()).unwrap();
    file
}

#[test]
fn cpu_json_has_the_documented_shape_and_values() {
    let file = points_file();
    let v = json(&fisherflow(
        &[
            "fim",
            "--points",
            file.path().to_str().unwrap(),
            "--device",
            "cpu",
            "--json",
        ],
        None,
    ));
    assert_eq!(v["device"], "cpu");
    let points = v["points"].as_array().unwrap();
    assert_eq!(points.len(), 3, "one entry per input point, in order");
    let p0 = &points[0];
    assert_eq!(p0["mu1"], 0.1);
    // Values from shared/reference/public_points.json (30-digit quadrature).
    let f11 = p0["fisher"][0][0].as_f64().unwrap();
    assert!((f11 / 0.2524273312506397 - 1.0).abs() < 1e-9);
    let angle = p0["angle_deg"].as_f64().unwrap();
    assert!((angle / 71.64785248479315 - 1.0).abs() < 1e-9);
    assert_eq!(p0["natgrad"].as_array().unwrap().len(), 2);
    // On the diagonal κ is infinite and the natural gradient undefined: null, never NaN.
    assert!(points[1]["kappa"].is_null());
    assert!(points[1]["natgrad"].is_null());
    assert!(points[1]["angle_deg"].is_null());
    // Without a target there is no loss part at all.
    assert!(points[2].get("kl").is_none() && points[2].get("grad").is_none());
    assert!(points[2]["kappa"].as_f64().unwrap() > 1.0);
}

#[test]
fn gpu_json_agrees_with_cpu() {
    if common::gpu().is_none() {
        return;
    }
    let file = points_file();
    let path = file.path().to_str().unwrap();
    let cpu = json(&fisherflow(
        &["fim", "--points", path, "--device", "cpu", "--json"],
        None,
    ));
    let gpu = json(&fisherflow(
        &["fim", "--points", path, "--device", "gpu", "--json"],
        None,
    ));
    let device = gpu["device"].as_str().unwrap();
    assert_ne!(device, "cpu");
    assert!(!device.is_empty());
    let (cpu_points, gpu_points) = (
        cpu["points"].as_array().unwrap(),
        gpu["points"].as_array().unwrap(),
    );
    assert_eq!(cpu_points.len(), 3, "one CPU result per input point");
    for (c, g) in zip_exact(cpu_points, gpu_points, "CPU and GPU points") {
        let scale = c["eigenvalues"][0].as_f64().unwrap();
        for i in 0..2 {
            for j in 0..2 {
                let (a, b) = (
                    c["fisher"][i][j].as_f64().unwrap(),
                    g["fisher"][i][j].as_f64().unwrap(),
                );
                assert!((a - b).abs() <= 1e-4 * scale, "F{i}{j}: cpu {a} gpu {b}");
            }
        }
        assert_eq!(c["kappa"].is_null(), g["kappa"].is_null());
        assert_eq!(c["natgrad"].is_null(), g["natgrad"].is_null());
    }
}

#[test]
fn zip_exact_rejects_a_shortened_result() {
    // The negative control of the length check above: a result missing its last point.
    let full = [1.0, 2.0, 3.0];
    assert_eq!(zip_exact(&full, &full, "same").count(), 3);
    let panic = std::panic::catch_unwind(|| zip_exact(&full, &full[..2], "points").count())
        .expect_err("a shortened array must fail");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.contains("points: lengths differ (3 against 2)"),
        "{message}"
    );
}

#[test]
fn points_from_stdin_and_single_point_summary() {
    let v = json(&fisherflow(
        &["fim", "--points", "-", "--json"],
        Some(POINTS),
    ));
    assert_eq!(v["points"].as_array().unwrap().len(), 3);
    let out = fisherflow(
        &[
            "fim", "--mu1", "0", "--mu2", "0.01", "--sigma", "1", "--target", "-1,1",
        ],
        None,
    );
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    // κ and the angle at (0, 0.01) from shared/reference/public_points.json (30-digit
    // quadrature): 20000.4999708349 and 44.998090082594864°.
    for needle in [
        "κ",
        "eigenvalues",
        "natural grad",
        "2.000049997e4",
        "44.998090°",
    ] {
        assert!(text.contains(needle), "summary lacks `{needle}`:\n{text}");
    }
}

/// Two 2×2 JSON blocks agree: each entry within `tol` of `want`'s largest entry.
fn assert_blocks_close(got: &serde_json::Value, want: &serde_json::Value, tol: f64, i: usize) {
    let entry = |v: &serde_json::Value, a: usize, b: usize| v[a][b].as_f64().expect("a number");
    let scale = [(0, 0), (0, 1), (1, 1)]
        .iter()
        .map(|&(a, b)| entry(want, a, b).abs())
        .fold(0.0, f64::max);
    for (a, b) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
        let (x, y) = (entry(got, a, b), entry(want, a, b));
        assert!(
            (x - y).abs() <= tol * scale,
            "point {i}: [{a}][{b}] {x} vs {y} (scale {scale})"
        );
    }
}

fn assert_bad_input(args: &[&str], stdin: Option<&str>, mentions: &[&str]) {
    let out = fisherflow(args, stdin);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "args {args:?}: stderr {stderr}");
    assert!(out.stdout.is_empty(), "args {args:?}: stdout must be empty");
    for m in mentions {
        assert!(
            stderr.contains(m),
            "args {args:?}: stderr lacks `{m}`:\n{stderr}"
        );
    }
}

#[test]
fn bad_input_exits_2_with_nothing_on_stdout() {
    let single = |extra: &[&str]| {
        let mut a = vec!["fim", "--mu1", "0", "--mu2", "1"];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let cases: Vec<(Vec<String>, Option<&str>, Vec<&str>)> = vec![
        (single(&["--sigma", "0"]), None, vec!["sigma"]),
        (single(&["--sigma", "-1"]), None, vec!["sigma"]),
        (single(&["--sigma", "NaN"]), None, vec!["sigma"]),
        (
            vec!["fim", "--mu1", "inf", "--mu2", "1", "--sigma", "1"]
                .into_iter()
                .map(String::from)
                .collect(),
            None,
            vec!["mu1"],
        ),
        (
            single(&["--sigma", "1", "--damping", "-0.1"]),
            None,
            vec!["damping"],
        ),
        (
            single(&["--sigma", "1", "--device", "tpu"]),
            None,
            vec!["tpu"],
        ),
        (
            single(&["--sigma", "1", "--nodes", "63"]),
            None,
            vec!["nodes"],
        ),
        (
            single(&["--sigma", "1", "--target", "1"]),
            None,
            vec!["target"],
        ),
    ];
    for (args, stdin, mentions) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_bad_input(&args, *stdin, mentions);
    }
    let stdin_cases: [(&str, &[&str]); 6] = [
        ("[{\"mu1\": 0, \"mu2\": 1, \"sigma\": 1", &["JSON"]),
        ("{\"mu1\": 0}", &["array"]),
        (
            "[{\"mu1\": 0, \"mu2\": 1, \"sigma\": 1}, {\"mu1\": 0, \"sigma\": 1}]",
            &["point 1", "mu2"],
        ),
        (
            "[{\"mu1\": 0, \"mu2\": 1, \"sigma\": -2}]",
            &["point 0", "sigma"],
        ),
        ("[{\"mu1\": 0, \"mu2\": 1e999, \"sigma\": 1}]", &["JSON"]),
        (
            "[{\"mu1\": 0, \"mu2\": 1, \"sigma\": 1, \"target\": [1]}]",
            &["point 0"],
        ),
    ];
    for (text, mentions) in stdin_cases {
        assert_bad_input(&["fim", "--points", "-", "--json"], Some(text), mentions);
    }
    assert_bad_input(
        &["fim", "--points", "/nonexistent/points.json"],
        None,
        &["/nonexistent/points.json"],
    );
}

#[test]
fn no_adapter_on_the_chosen_backend_says_what_to_install() {
    // This test is about adapter selection, so it picks a backend Linux CI cannot have.
    if !cfg!(target_os = "linux") {
        return;
    }
    let out = fisherflow(
        &[
            "fim",
            "--mu1",
            "0",
            "--mu2",
            "1",
            "--sigma",
            "1",
            "--device",
            "gpu",
            "--backend",
            "dx12",
        ],
        None,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.contains("no GPU adapter found") && stderr.contains("mesa-vulkan-drivers"),
        "{stderr}"
    );
}

/// The 30-digit public references of the general mixture (shared/reference, copied to
/// tests/data): fed back in as points, the CPU answer must match each to 1e-8.
#[test]
fn general_points_match_the_30_digit_references_and_echo_their_input() {
    let path = format!(
        "{}/tests/data/public_general_points.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let references: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(references.len(), 5, "{path}: number of points");
    let out = fisherflow(&["fim", "--points", &path, "--json"], None);
    let got = json(&out);
    let got = got["points"].as_array().unwrap();
    let close = |a: f64, b: f64, scale: f64| (a - b).abs() <= 1e-8 * scale.max(1e-300);
    for (i, (g, r)) in zip_exact(got, &references, "points").enumerate() {
        // Echoed as given.
        for key in ["model", "slice", "target"] {
            assert_eq!(g[key], r[key], "point {i}: {key} echoed as given");
        }
        let scale = r["eigenvalues"][0].as_f64().unwrap();
        for (a, b) in [(0, 0), (0, 1), (1, 1)] {
            let (x, y) = (
                g["fisher"][a][b].as_f64().unwrap(),
                r["fisher"][a][b].as_f64().unwrap(),
            );
            assert!(close(x, y, scale), "point {i}: F[{a}][{b}] {x} vs {y}");
        }
        let kl = r["kl"].as_f64().unwrap();
        assert!(close(g["kl"].as_f64().unwrap(), kl, kl), "point {i}: KL");
        let grad = &r["grad"];
        let norm = grad[0].as_f64().unwrap().hypot(grad[1].as_f64().unwrap());
        for k in 0..2 {
            assert!(
                close(
                    g["grad"][k].as_f64().unwrap(),
                    grad[k].as_f64().unwrap(),
                    norm
                ),
                "point {i}: ∇L[{k}]"
            );
        }
        let ef_scale = r["empirical_fisher"][1][1]
            .as_f64()
            .unwrap()
            .max(r["empirical_fisher"][0][0].as_f64().unwrap());
        assert!(
            close(
                g["empirical_fisher"][0][1].as_f64().unwrap(),
                r["empirical_fisher"][0][1].as_f64().unwrap(),
                ef_scale
            ),
            "point {i}: empirical Fisher"
        );
    }
    // Negative control of the comparison: the same points in swapped slice order do not match
    // wherever the two diagonal entries differ.
    let swapped: Vec<serde_json::Value> = references
        .iter()
        .map(|r| {
            let mut r = r.clone();
            let s = r["slice"].as_array().unwrap().clone();
            r["slice"] = serde_json::json!([s[1], s[0]]);
            r
        })
        .collect();
    let out = fisherflow(
        &["fim", "--points", "-", "--json"],
        Some(&serde_json::to_string(&swapped).unwrap()),
    );
    let swapped_got = json(&out);
    let differs = zip_exact(
        swapped_got["points"].as_array().unwrap(),
        &references,
        "swapped",
    )
    .filter(|(g, r)| {
        let (x, y) = (
            g["fisher"][0][0].as_f64().unwrap(),
            r["fisher"][0][0].as_f64().unwrap(),
        );
        !close(x, y, r["eigenvalues"][0].as_f64().unwrap())
    })
    .count();
    assert!(differs >= 3, "slice order matters: {differs} of 5 differ");
    // Seed and general points mix in one file, each answered in its own form.
    let mixed = r#"[{"mu1": 0, "mu2": 0.01, "sigma": 1},
                    {"model": {"pi": 0.25}, "slice": ["pi", "mu1"]}]"#;
    let out = json(&fisherflow(
        &["fim", "--points", "-", "--json"],
        Some(mixed),
    ));
    let points = out["points"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    assert!(points[0].get("model").is_none() && points[0]["sigma"] == 1.0);
    assert_eq!(
        points[1]["model"],
        serde_json::json!({"pi": 0.25}),
        "echoed as given"
    );
    assert!(points[1].get("kl").is_none(), "no target, no loss");
}

#[test]
fn bad_general_points_exit_2_naming_the_field() {
    for (points, mentions) in [
        (
            r#"[{"model": {"pi": 0.5, "mu3": 1}, "slice": ["mu1", "mu2"]}]"#,
            &["point 0", "mu3"][..],
        ),
        (
            r#"[{"model": {}, "slice": ["mu1", "mu1"]}]"#,
            &["point 0", "mu1"][..],
        ),
        (
            r#"[{"model": {}, "slice": ["mu1", "nu"]}]"#,
            &["point 0", "nu"][..],
        ),
        (
            r#"[{"model": {"pi": 1.5}, "slice": ["mu1", "mu2"]}]"#,
            &["point 0", "pi"][..],
        ),
        (
            r#"[{"model": {"pi": 1.0}, "slice": ["pi", "mu2"]}]"#,
            &["point 0", "pi"][..],
        ),
        (
            r#"[{"model": {"sigma2": 0}, "slice": ["mu1", "mu2"]}]"#,
            &["point 0", "sigma2"][..],
        ),
        (
            r#"[{"mu1": 0, "mu2": 0, "sigma": 1}, {"model": {}}]"#,
            &["point 1", "slice"][..],
        ),
        (
            r#"[{"model": {}, "slice": ["mu1", "mu2"], "target": {"sigma1": -1}}]"#,
            &["point 0", "target"][..],
        ),
    ] {
        assert_bad_input(&["fim", "--points", "-", "--json"], Some(points), mentions);
    }
}

#[test]
fn general_points_on_the_gpu_agree_with_the_cpu() {
    let path = format!(
        "{}/tests/data/public_general_points.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let cpu = json(&fisherflow(&["fim", "--points", &path, "--json"], None));
    let gpu = json(&fisherflow(
        &["fim", "--points", &path, "--json", "--device", "gpu"],
        None,
    ));
    assert_ne!(gpu["device"], "cpu");
    let (cpu, gpu) = (
        cpu["points"].as_array().unwrap(),
        gpu["points"].as_array().unwrap(),
    );
    for (i, (c, g)) in zip_exact(cpu, gpu, "points").enumerate() {
        assert_eq!(c["slice"], g["slice"], "point {i}: echoed slice");
        // The GPU reports the empirical Fisher exactly where the CPU does (points with a
        // target), to f32 accuracy (each entry within 1e-4 of the block's largest).
        assert_eq!(
            g.get("empirical_fisher").is_some(),
            c.get("empirical_fisher").is_some(),
            "point {i}: empirical_fisher on one device only"
        );
        assert_eq!(
            c.get("empirical_fisher").is_some(),
            c.get("target").is_some()
        );
        if c.get("empirical_fisher").is_some() {
            assert_blocks_close(&g["empirical_fisher"], &c["empirical_fisher"], 1e-4, i);
        }
        // Issue 10's f32 tolerance: F within 1e-4 of ‖F‖.
        let scale = c["eigenvalues"][0].as_f64().unwrap();
        for (a, b) in [(0, 0), (0, 1), (1, 1)] {
            let (x, y) = (
                g["fisher"][a][b].as_f64().unwrap(),
                c["fisher"][a][b].as_f64().unwrap(),
            );
            assert!(
                (x - y).abs() <= 1e-4 * scale,
                "point {i}: F[{a}][{b}] {x} vs {y}"
            );
        }
        let kl = c["kl"].as_f64().unwrap();
        let gkl = g["kl"].as_f64().unwrap();
        assert!(
            (gkl - kl).abs() <= (1e-3 * kl).max(1e-6),
            "point {i}: L {gkl} vs {kl}"
        );
    }
}

/// The empirical Fisher keys: `empirical_fisher` exactly on the points with a target (seed and
/// general form, CPU and GPU); `--samples N --seed S` adds `mc_fisher` everywhere and
/// `empirical_fisher_samples` exactly where there is a target (no target, no data to sample);
/// the GPU's estimates agree with the CPU's (the same samples, f32); `--seed` defaults to 1.
#[test]
fn empirical_fisher_keys_appear_exactly_with_a_target() {
    let mixed = r#"[
      {"mu1": 0.1, "mu2": -0.1, "sigma": 1, "target": [-1.5, 0.5]},
      {"mu1": 2, "mu2": -3, "sigma": 0.5},
      {"model": {"pi": 0.3, "mu1": -1, "mu2": 1, "sigma1": 0.5, "sigma2": 1.5},
       "slice": ["pi", "mu1"],
       "target": {"pi": 0.6, "mu1": 0, "mu2": 2, "sigma1": 1, "sigma2": 1}},
      {"model": {"pi": 0.3, "mu1": -1, "mu2": 1, "sigma1": 0.5, "sigma2": 1.5},
       "slice": ["mu1", "sigma1"]}
    ]"#;
    let has_target = [true, false, true, false];
    let run = |extra: &[&str]| {
        let mut args = vec!["fim", "--points", "-", "--json"];
        args.extend_from_slice(extra);
        json(&fisherflow(&args, Some(mixed)))
    };
    let plain_cpu = run(&[]);
    let plain_gpu = run(&["--device", "gpu"]);
    let sampled_cpu = run(&["--samples", "4096", "--seed", "3"]);
    let sampled_gpu = run(&["--samples", "4096", "--seed", "3", "--device", "gpu"]);
    for (what, v, sampled) in [
        ("cpu", &plain_cpu, false),
        ("gpu", &plain_gpu, false),
        ("cpu --samples", &sampled_cpu, true),
        ("gpu --samples", &sampled_gpu, true),
    ] {
        let points = v["points"].as_array().unwrap();
        assert_eq!(points.len(), has_target.len(), "{what}");
        for (i, (p, &target)) in points.iter().zip(&has_target).enumerate() {
            let has = |key: &str| p.get(key).is_some();
            assert_eq!(
                has("empirical_fisher"),
                target,
                "{what} point {i}: empirical_fisher"
            );
            assert_eq!(
                has("empirical_fisher_samples"),
                sampled && target,
                "{what} point {i}: empirical_fisher_samples"
            );
            assert_eq!(has("mc_fisher"), sampled, "{what} point {i}: mc_fisher");
        }
    }
    let (c, g) = (
        sampled_cpu["points"].as_array().unwrap(),
        sampled_gpu["points"].as_array().unwrap(),
    );
    for (i, (c, g)) in zip_exact(c, g, "points").enumerate() {
        assert_blocks_close(&g["mc_fisher"], &c["mc_fisher"], 1e-4, i);
        if has_target[i] {
            assert_blocks_close(&g["empirical_fisher"], &c["empirical_fisher"], 1e-4, i);
            assert_blocks_close(
                &g["empirical_fisher_samples"],
                &c["empirical_fisher_samples"],
                1e-4,
                i,
            );
            // With 4096 samples the estimate is near, not at, the population value.
            assert_blocks_close(
                &c["empirical_fisher_samples"],
                &c["empirical_fisher"],
                0.2,
                i,
            );
            assert_ne!(c["empirical_fisher_samples"], c["empirical_fisher"]);
        }
    }
    // The seed point's EF is the 2×2 slice block of the general quadrature on the seed
    // slice: the seed point and its general twin give the same block.
    let twin = r#"[{"model": {"pi": 0.5, "mu1": 0.1, "mu2": -0.1, "sigma1": 1, "sigma2": 1},
        "slice": ["mu1", "mu2"],
        "target": {"pi": 0.5, "mu1": -1.5, "mu2": 0.5, "sigma1": 1, "sigma2": 1}}]"#;
    let twin = json(&fisherflow(&["fim", "--points", "-", "--json"], Some(twin)));
    assert_blocks_close(
        &twin["points"][0]["empirical_fisher"],
        &plain_cpu["points"][0]["empirical_fisher"],
        1e-12,
        0,
    );
    // --seed defaults to 1; another seed gives other samples.
    let default = run(&["--samples", "64"]);
    let one = run(&["--samples", "64", "--seed", "1"]);
    let two = run(&["--samples", "64", "--seed", "2"]);
    assert_eq!(default, one);
    assert_ne!(
        default["points"][0]["mc_fisher"],
        two["points"][0]["mc_fisher"]
    );
}

#[test]
fn bad_sample_options_exit_2_saying_what_to_give() {
    fn single<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        let mut a = vec!["fim", "--mu1", "0", "--mu2", "1", "--sigma", "1"];
        a.extend_from_slice(extra);
        a
    }
    for n in ["0", "1", "1048577"] {
        assert_bad_input(
            &single(&["--samples", n]),
            None,
            &["--samples", "from 2 to 1048576"],
        );
    }
    // Beyond u32 and not a number: clap's own exit 2, naming the option.
    assert_bad_input(&single(&["--samples", "99999999999"]), None, &["--samples"]);
    assert_bad_input(&single(&["--samples", "many"]), None, &["--samples"]);
    assert_bad_input(&single(&["--samples", "8", "--seed=-1"]), None, &["--seed"]);
    // --seed alone has nothing to seed.
    assert_bad_input(&single(&["--seed", "3"]), None, &["--samples"]);
    // The GPU path validates before starting a device.
    assert_bad_input(
        &single(&["--samples", "1", "--device", "gpu"]),
        None,
        &["--samples"],
    );
}
