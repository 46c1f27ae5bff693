//! `fisherflow optimize` end to end: the JSON's shape (its keys are a contract: `runs`, each
//! with `optimizer` and `trajectory` of `step`, `theta`, `loss`, `fisher_rao_length`, step 0 the
//! start and the length cumulative from 0), per-optimizer `--lr`, the stop report of a step
//! that leaves the domain, the readable table, and exit 2 with an empty stdout and a message
//! naming the problem for every kind of bad input. Every run is under a time limit.

use crate::common;

use std::process::Output;
use std::time::Duration;

/// A race of a few dozen steps in a dev build: well under a second; bad input fails at once.
const LIMIT: Duration = Duration::from_secs(60);

fn fisherflow(args: &[&str]) -> Output {
    common::cli::fisherflow(&["optimize"], args, LIMIT)
}

fn json(args: &[&str]) -> serde_json::Value {
    common::cli::json(&["optimize"], args)
}

/// Exit 2, nothing on stdout, and stderr naming every one of `needles`.
fn assert_refused(args: &[&str], needles: &[&str]) {
    common::cli::assert_refused(&["optimize"], args, needles, LIMIT);
}

const BASE: [&str; 6] = ["--start", "0.1,0.3", "--target", "-1.5,1", "--steps", "12"];

fn with(extra: &[&'static str]) -> Vec<&'static str> {
    let mut v = BASE.to_vec();
    v.extend_from_slice(extra);
    v
}

#[test]
fn json_has_one_run_per_optimizer_with_the_contract_keys() {
    let v = json(&with(&["--lr", "0.5", "--json"]));
    let runs = v["runs"].as_array().expect("runs");
    let names: Vec<&str> = runs
        .iter()
        .map(|r| r["optimizer"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "gd",
            "momentum",
            "adam",
            "ngd",
            "ngd-damped",
            "ef-ngd",
            "mc-ngd"
        ]
    );
    for r in runs {
        let t = r["trajectory"].as_array().unwrap();
        assert_eq!(t.len(), 13, "{}", r["optimizer"]);
        assert_eq!(r["stop"]["reason"], "completed");
        assert_eq!(r["lr"], 0.5);
        let mut previous = -1.0;
        for (i, s) in t.iter().enumerate() {
            for key in ["step", "theta", "loss", "fisher_rao_length"] {
                assert!(s.get(key).is_some(), "step {i} lacks {key}");
            }
            assert_eq!(s["step"], i as u64);
            assert_eq!(s["theta"].as_array().unwrap().len(), 2);
            let fr = s["fisher_rao_length"].as_f64().unwrap();
            assert!(fr >= previous, "not cumulative at step {i}");
            previous = fr;
        }
        // Step 0 is the start, with length 0.
        assert_eq!(t[0]["theta"], serde_json::json!([0.1, 0.3]));
        assert_eq!(t[0]["fisher_rao_length"], 0.0);
        // The loss fell.
        assert!(t[12]["loss"].as_f64().unwrap() < t[0]["loss"].as_f64().unwrap());
    }
    // ngd is nearer θ* than gd after 12 steps from near the diagonal.
    let final_loss = |name: &str| {
        let r = runs.iter().find(|r| r["optimizer"] == name).unwrap();
        r["trajectory"][12]["loss"].as_f64().unwrap()
    };
    assert!(final_loss("ngd") < final_loss("gd"));
}

#[test]
fn per_optimizer_rates_and_a_default_for_the_rest() {
    let v = json(&with(&[
        "--optimizer",
        "gd,ngd,adam",
        "--lr",
        "0.2,ngd=1",
        "--json",
    ]));
    let runs = v["runs"].as_array().unwrap();
    let rates: Vec<(String, f64)> = runs
        .iter()
        .map(|r| {
            (
                r["optimizer"].as_str().unwrap().to_owned(),
                r["lr"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rates,
        [
            ("gd".to_owned(), 0.2),
            ("adam".to_owned(), 0.2),
            ("ngd".to_owned(), 1.0)
        ]
    );
    // The first gd step with lr 0.2 is 0.2/0.5 of the one with lr 0.5.
    let w = json(&with(&["--optimizer", "gd", "--lr", "gd=0.5", "--json"]));
    let d = |v: &serde_json::Value, i: usize| {
        v["runs"][0]["trajectory"][1]["theta"][i].as_f64().unwrap()
            - v["runs"][0]["trajectory"][0]["theta"][i].as_f64().unwrap()
    };
    for i in 0..2 {
        assert!((d(&v, i) / d(&w, i) - 0.4).abs() < 1e-12);
    }
}

#[test]
fn leaving_the_domain_is_reported_not_clamped() {
    let v = json(&[
        "--slice",
        "mu1,sigma1",
        "--model",
        "mu2=1,sigma2=1",
        "--start",
        "0,2",
        "--target",
        "-1,0.5",
        "--optimizer",
        "gd",
        "--lr",
        "50",
        "--steps",
        "20",
        "--json",
    ]);
    let r = &v["runs"][0];
    assert_eq!(r["stop"]["reason"], "left-domain", "{r}");
    let step = r["stop"]["step"].as_u64().unwrap();
    assert_eq!(r["trajectory"].as_array().unwrap().len() as u64, step);
    assert!(r["stop"]["theta"][1].as_f64().unwrap() <= 0.0);
    assert!(r["stop"]["detail"].as_str().unwrap().contains("sigma1"));
    // The table says so too.
    let out = fisherflow(&[
        "--slice",
        "mu1,sigma1",
        "--model",
        "mu2=1,sigma2=1",
        "--start",
        "0,2",
        "--target",
        "-1,0.5",
        "--optimizer",
        "gd",
        "--lr",
        "50",
        "--steps",
        "20",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("left the domain at step"), "{text}");
}

#[test]
fn singular_preconditioner_is_a_breakdown_in_the_json() {
    let v = json(&[
        "--start",
        "0.5,0.5",
        "--target",
        "-1.5,1",
        "--steps",
        "5",
        "--optimizer",
        "ngd,gd",
        "--lr",
        "0.5",
        "--json",
    ]);
    let text = v.to_string();
    assert!(!text.contains("NaN") && !text.contains("null"), "{text}");
    let ngd = &v["runs"][1];
    assert_eq!(ngd["optimizer"], "ngd");
    assert_eq!(ngd["stop"]["reason"], "breakdown");
    assert_eq!(ngd["trajectory"].as_array().unwrap().len(), 1);
    assert_eq!(v["runs"][0]["stop"]["reason"], "completed");
}

#[test]
fn the_table_lists_every_optimizer() {
    let out = fisherflow(&with(&["--lr", "1"]));
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for name in ["gd", "momentum", "adam", "ngd-damped", "ef-ngd", "mc-ngd"] {
        assert!(
            text.lines().any(|l| l.starts_with(name)),
            "{name} missing: {text}"
        );
    }
    assert!(text.contains("Fisher–Rao"));
}

#[test]
fn bad_input_exits_2_naming_the_problem() {
    assert_refused(
        &with(&["--lr", "0.1", "--optimizer", "sgd"]),
        &["unknown optimizer", "sgd"],
    );
    assert_refused(
        &with(&["--lr", "0.1", "--optimizer", "gd,gd"]),
        &["gd given twice"],
    );
    assert_refused(
        &with(&["--lr", "ngd=1", "--optimizer", "gd,ngd"]),
        &["no learning rate for gd"],
    );
    assert_refused(&with(&["--lr", "nan"]), &["--lr", "finite"]);
    assert_refused(&with(&["--lr", "-0.1"]), &["--lr", "> 0"]);
    assert_refused(&with(&["--lr", "0.1", "--damping", "-1"]), &["--damping"]);
    assert_refused(
        &with(&["--lr", "0.1", "--momentum", "1"]),
        &["--momentum", "[0, 1)"],
    );
    assert_refused(&with(&["--lr", "0.1", "--eps", "0"]), &["--eps"]);
    assert_refused(&with(&["--lr", "0.1", "--samples", "1"]), &["--samples"]);
    assert_refused(
        &[
            "--start", "0.1,0.3", "--target", "-1.5,1", "--steps", "0", "--lr", "0.1",
        ],
        &["--steps"],
    );
    assert_refused(
        &[
            "--slice",
            "mu1,sigma1",
            "--start",
            "0,-1",
            "--target",
            "0,1",
            "--steps",
            "3",
            "--lr",
            "0.1",
        ],
        &["--start", "outside the model", "sigma1"],
    );
    assert_refused(
        &[
            "--slice", "pi,mu1", "--start", "0.5,0", "--target", "1.5,0", "--steps", "3", "--lr",
            "0.1",
        ],
        &["--target", "pi"],
    );
    assert_refused(
        &[
            "--start", "nan,0", "--target", "0,1", "--steps", "3", "--lr", "0.1",
        ],
        &["--start", "not"],
    );
    // Negative control: the same command with good values runs.
    assert!(
        fisherflow(&with(&["--lr", "0.1", "--optimizer", "gd"]))
            .status
            .success()
    );
}

/// Options for optimizers that are not selected are checked, then ignored with a note (a
/// script may pass every hyperparameter and select a few optimizers); a bad value is still
/// refused.
#[test]
fn options_of_unselected_optimizers_are_ignored_with_a_note() {
    let args = with(&[
        "--lr",
        "0.1,ngd=1,adam=0.01",
        "--optimizer",
        "gd,ngd",
        "--damping",
        "0.1",
        "--beta1",
        "0.9",
        "--beta2",
        "0.999",
        "--eps",
        "1e-8",
        "--json",
    ]);
    let out = fisherflow(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in ["--damping", "--beta1", "--eps", "adam"] {
        assert!(
            err.contains(needle) && err.contains("ignored"),
            "{needle}: {err}"
        );
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["optimizer"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["gd", "ngd"]);
    // Negative control: an unselected optimizer's option with a bad value is still refused.
    assert_refused(
        &with(&["--lr", "0.1", "--optimizer", "gd", "--damping", "-1"]),
        &["--damping"],
    );
}
