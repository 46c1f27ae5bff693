//! The policy plane on the command line (`--system`): `fim --points` answers its entries with
//! the contract keys and the 30-digit references' values, `optimize` races its five optimizers
//! toward the computed K* (a crash stops with left-domain, the point outside not in the
//! trajectory), `geodesic` stops at an edge as having left the model, and the mixture's options
//! and names, bad keys and gains outside the triangle exit 2 with nothing on stdout.

use crate::common;

use std::time::Duration;

use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(60);

fn refused(prefix: &str, args: &[&str], needles: &[&str]) {
    common::cli::assert_refused(&[prefix], args, needles, LIMIT);
}

fn pair(v: &Value) -> [f64; 2] {
    [v[0].as_f64().unwrap(), v[1].as_f64().unwrap()]
}

#[test]
fn fim_answers_policy_points_with_the_references_values() {
    let path = format!(
        "{}/tests/data/public_lqr_points.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let reference: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let out = common::cli::json(&["fim"], &["--points", &path, "--json"]);
    let points = out["points"].as_array().unwrap();
    assert_eq!(points.len(), reference.len());
    for (got, want) in points.iter().zip(&reference) {
        // The input echoed, and every contract key present.
        assert_eq!(got["system"], want["system"]);
        assert_eq!(got["gains"], want["gains"]);
        for key in [
            "stable",
            "spectral_radius",
            "cost",
            "control_energy",
            "grad",
            "fisher",
            "natgrad",
            "gauss_newton",
            "eigenvalues",
            "kappa",
        ] {
            assert!(got.get(key).is_some(), "{key} missing in {got}");
        }
        assert_eq!(got["stable"], want["stable"]);
        if want["stable"] == Value::Bool(true) {
            let (c, w) = (
                got["cost"].as_f64().unwrap(),
                want["cost"].as_f64().unwrap(),
            );
            assert!((c - w).abs() <= 1e-10 * w, "cost {c} vs {w}");
        } else {
            for key in ["cost", "grad", "fisher", "natgrad", "kappa"] {
                assert_eq!(got[key], Value::Null, "{key} where unstable");
            }
        }
        assert_eq!(got.get("cost_h").is_some(), want.get("horizon").is_some());
        if let Some(ch) = want.get("cost_h") {
            let (c, w) = (got["cost_h"].as_f64().unwrap(), ch.as_f64().unwrap());
            assert!((c - w).abs() <= 1e-10 * w, "cost_h {c} vs {w}");
        }
    }
}

#[test]
fn fim_refuses_bad_policy_points() {
    let dir = std::env::temp_dir().join(format!("fisherflow-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (n, (entry, needle)) in [
        (
            r#"{"system": {"plant": "cart", "omega2": 3}, "gains": [1, 2]}"#,
            "omega2",
        ),
        (
            r#"{"system": {"plant": "segway"}, "gains": [1, 2]}"#,
            "system",
        ),
        (
            r#"{"system": {"plant": "cart", "r": 0}, "gains": [1, 2]}"#,
            "r",
        ),
        (r#"{"system": {"plant": "cart"}}"#, "gains"),
        (
            r#"{"system": {"plant": "cart"}, "gains": [1, 2], "horizon": 0}"#,
            "horizon",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let file = dir.join(format!("bad{n}.json"));
        std::fs::write(&file, format!("[{entry}]")).unwrap();
        refused("fim", &["--points", file.to_str().unwrap()], &[needle]);
    }
    // A good point is answered (the control), on the CPU and on the GPU (f32: within 1e-5).
    let good = dir.join("good.json");
    std::fs::write(
        &good,
        r#"[{"system": {"plant": "pendulum"}, "gains": [20, 5]}]"#,
    )
    .unwrap();
    let cpu = common::cli::json(&["fim"], &["--points", good.to_str().unwrap(), "--json"]);
    assert_eq!(cpu["points"][0]["stable"], Value::Bool(true));
    let gpu = common::cli::json(
        &["fim"],
        &[
            "--points",
            good.to_str().unwrap(),
            "--device",
            "gpu",
            "--json",
        ],
    );
    for key in ["cost", "spectral_radius", "control_energy", "kappa"] {
        let (g, c) = (
            gpu["points"][0][key].as_f64().unwrap(),
            cpu["points"][0][key].as_f64().unwrap(),
        );
        assert!((g - c).abs() <= 1e-5 * c, "{key}: gpu {g} vs cpu {c}");
    }
    // --samples is the mixture's: refused for policy points.
    refused(
        "fim",
        &["--points", good.to_str().unwrap(), "--samples", "100"],
        &["--samples"],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn optimize_races_the_policy_plane_toward_k_star() {
    let v = common::cli::json(
        &["optimize"],
        &[
            "--system",
            "plant=pendulum",
            "--start",
            "40,10",
            "--lr",
            "0.5,gd=0.02",
            "--steps",
            "200",
            "--json",
        ],
    );
    let names: Vec<&str> = v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["optimizer"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["gd", "momentum", "adam", "npg", "gauss-newton"]);
    let k_star = pair(&v["optimum"]["theta"]);
    let c_star = v["optimum"]["loss"].as_f64().unwrap();
    assert!((k_star[0] - 18.539143460463915).abs() < 1e-9, "{k_star:?}");
    assert_eq!(v["system"]["plant"], "pendulum");
    for run in v["runs"].as_array().unwrap() {
        let name = run["optimizer"].as_str().unwrap();
        let trajectory = run["trajectory"].as_array().unwrap();
        assert_eq!(pair(&trajectory[0]["theta"]), [40.0, 10.0]);
        let last = trajectory.last().unwrap();
        match name {
            // npg and Gauss–Newton settle at K* (C ≤ (1 + 1e-9)·C*).
            "npg" | "gauss-newton" => {
                assert_eq!(run["stop"]["reason"], "completed");
                assert!(
                    last["loss"].as_f64().unwrap() <= c_star * (1.0 + 1e-9),
                    "{name}"
                );
            }
            // Momentum at lr ½ crashes: left-domain, the outside point not in the trajectory.
            "momentum" => {
                assert_eq!(run["stop"]["reason"], "left-domain");
                let detail = run["stop"]["detail"].as_str().unwrap();
                assert!(detail.starts_with("unstable: ρ(A_K) = "), "{detail}");
                let outside = pair(&run["stop"]["theta"]);
                assert!(trajectory.iter().all(|s| pair(&s["theta"]) != outside));
            }
            // gd at 0.02 crawls: still well above C* (the control for "settles").
            "gd" => assert!(last["loss"].as_f64().unwrap() > c_star * (1.0 + 1e-4)),
            _ => {}
        }
    }
}

#[test]
fn geodesic_on_the_policy_plane_stops_at_an_edge() {
    let v = common::cli::json(
        &["geodesic"],
        &[
            "--system",
            "plant=cart",
            "--from",
            "2.585,3.575",
            "--direction",
            "0,-1",
            "--length",
            "100",
            "--json",
        ],
    );
    assert_eq!(v["stopped"], "left the model");
    let length = v["length"].as_f64().unwrap();
    assert!(length > 1.0 && length < 100.0, "{length}");
    // Control: a shortest path between two inside points has no stop and a distance.
    let v = common::cli::json(
        &["geodesic"],
        &[
            "--system",
            "plant=pendulum",
            "--from",
            "18.5,6.4",
            "--to",
            "30,10",
            "--json",
        ],
    );
    assert!(v["distance"].as_f64().unwrap() > 0.0 && v.get("stopped").is_none());
}

#[test]
fn mixture_options_and_bad_systems_are_refused() {
    let opt = |extra: &[&'static str]| {
        let mut v = vec!["--start", "2,3", "--lr", "0.1", "--steps", "5"];
        v.extend_from_slice(extra);
        v
    };
    refused(
        "optimize",
        &opt(&["--system", "plant=cart", "--model", "pi=0.3"]),
        &["--model"],
    );
    refused(
        "optimize",
        &opt(&["--system", "plant=cart", "--slice", "mu1,sigma1"]),
        &["--slice"],
    );
    refused(
        "optimize",
        &opt(&["--system", "plant=cart", "--sigma", "2"]),
        &["--sigma"],
    );
    refused(
        "optimize",
        &opt(&["--system", "plant=cart", "--target", "1,1"]),
        &["--target"],
    );
    refused(
        "optimize",
        &opt(&["--system", "plant=cart", "--optimizer", "ngd"]),
        &["ngd"],
    );
    refused(
        "optimize",
        &[
            "--system",
            "plant=cart",
            "--start",
            "2,3",
            "--lr",
            "0.1,ef-ngd=1",
            "--steps",
            "5",
        ],
        &["ef-ngd"],
    );
    refused(
        "optimize",
        &opt(&["--target", "0,0", "--optimizer", "npg"]),
        &["npg"],
    );
    for (system, needle) in [
        ("plant=segway", "plant"),
        ("plant=cart,omega2=9", "omega2"),
        ("plant=cart,dt=0", "dt"),
        ("plant=cart,r=0", "r"),
        ("plant=cart,q_pos=0", "q_pos"),
        ("plant=cart,q_vel=-1", "q_vel"),
        ("plant=cart,x0_pos=0", "x0_pos"),
        ("plant=cart,exploration=0", "exploration"),
        ("plant=cart,friction=-1", "friction"),
        ("plant=cart,r=nan", "r"),
        ("plant=cart,mass=1", "mass"),
    ] {
        refused("optimize", &opt(&["--system", system]), &[needle]);
        refused(
            "geodesic",
            &["--system", system, "--from", "2,3", "--to", "3,3"],
            &[needle],
        );
    }
    refused(
        "optimize",
        &[
            "--system",
            "plant=cart",
            "--start",
            "500,3",
            "--lr",
            "0.1",
            "--steps",
            "5",
        ],
        &["--start", "stability triangle"],
    );
    refused(
        "geodesic",
        &[
            "--system",
            "plant=pendulum",
            "--from",
            "5,6",
            "--to",
            "30,10",
        ],
        &["--from", "unstable"],
    );
    // Control: the same options without the mixture's pieces run.
    let out = common::cli::fisherflow(&["optimize"], &opt(&["--system", "plant=cart"]), LIMIT);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sample_based_optimizers_are_seeded_and_checked() {
    let args = [
        "--system",
        "plant=cart",
        "--start",
        "5,6",
        "--lr",
        "0.02,npg-mc=0.3",
        "--steps",
        "20",
        "--optimizer",
        "pg-mc,npg-mc",
        "--samples",
        "200",
        "--horizon",
        "40",
        "--seed",
        "3",
        "--json",
    ];
    let first = common::cli::json(&["optimize"], &args);
    let again = common::cli::json(&["optimize"], &args);
    assert_eq!(
        first["runs"], again["runs"],
        "the same seed gives the same runs"
    );
    let names: Vec<&str> = first["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["optimizer"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["pg-mc", "npg-mc"]);
    assert_eq!(first["hyperparameters"]["horizon"], 40);
    // Another seed gives other runs (the control for "the same").
    let mut other = args.to_vec();
    other[15] = "4";
    let other = common::cli::json(&["optimize"], &other);
    assert_ne!(first["runs"], other["runs"]);
    // Both descend from the start's cost.
    for run in first["runs"].as_array().unwrap() {
        let t = run["trajectory"].as_array().unwrap();
        let (c0, c1) = (
            t[0]["loss"].as_f64().unwrap(),
            t.last().unwrap()["loss"].as_f64().unwrap(),
        );
        assert!(c1 < c0, "{}: {c0} → {c1}", run["optimizer"]);
    }
    let mut bad = args.to_vec();
    bad[13] = "0";
    refused("optimize", &bad, &["--horizon"]);
    refused(
        "optimize",
        &[
            "--start",
            "0.1,0.3",
            "--target",
            "-1.5,1",
            "--lr",
            "0.1",
            "--steps",
            "3",
            "--optimizer",
            "pg-mc",
        ],
        &["pg-mc", "policy plane"],
    );
}
