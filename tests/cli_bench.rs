//! `fisherflow bench --quick --json` as a smoke test: the JSON has the documented shape and
//! the f32 paths' errors are within 1e-3 of the f64 reference. Timings are never checked.
//! Bad options exit 2 and write nothing. Every run is under a time limit.

mod common;

use std::process::Command;
use std::time::Duration;

use common::process::run_with_timeout;

/// `bench --quick` is "under a minute on llvmpipe" in release; the test profile is slower.
/// Past this something hangs rather than runs slowly.
const BENCH_LIMIT: Duration = Duration::from_secs(420);

/// Bad options fail before any work.
const QUICK_LIMIT: Duration = Duration::from_secs(30);

#[test]
fn quick_bench_writes_the_documented_json() {
    if common::gpu().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.json");
    let out = run_with_timeout(
        Command::new(env!("CARGO_BIN_EXE_fisherflow")).args([
            "bench",
            "--quick",
            "--json",
            path.to_str().unwrap(),
        ]),
        None,
        BENCH_LIMIT,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("adapter:") && table.contains("FIM field"),
        "{table}"
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert!(!v["adapter"]["name"].as_str().unwrap().is_empty());
    assert!(v["adapter"]["backend"].is_string());
    assert!(v["cpu"]["threads"].as_u64().unwrap() >= 1);
    let fim = v["fim"].as_array().unwrap();
    for path in ["gpu", "cpu-f32-mt", "cpu-f64"] {
        let rows: Vec<_> = fim.iter().filter(|r| r["path"] == path).collect();
        assert!(!rows.is_empty(), "no {path} rows");
        for r in rows {
            for key in [
                "grid",
                "nodes",
                "median_ms",
                "p95_ms",
                "cells_per_s",
                "max_rel_error",
            ] {
                assert!(r[key].is_number(), "{path} row lacks {key}: {r}");
            }
            assert!(
                r.get("kernel_ms").is_some(),
                "kernel_ms is present (a number or null)"
            );
            let err = r["max_rel_error"].as_f64().unwrap();
            assert!(err <= 1e-3, "{path} error {err} above 1e-3");
            assert!(r["median_ms"].as_f64().unwrap() > 0.0);
            // A grid side N is N² cells (the documented meaning, not the bench's own count).
            let n = r["grid"].as_u64().unwrap();
            assert_eq!(r["cells"].as_u64(), Some(n * n), "{path}: {r}");
        }
        // --quick measures the documented grids: 64 and 128 (f64 only at 64, it is slow).
        let mut grids: Vec<u64> = fim
            .iter()
            .filter(|r| r["path"] == path)
            .map(|r| r["grid"].as_u64().unwrap())
            .collect();
        grids.dedup();
        let want: &[u64] = if path == "cpu-f64" { &[64] } else { &[64, 128] };
        assert_eq!(grids, want, "{path} grids");
    }
    let particles = v["particles"].as_array().unwrap();
    assert!(
        particles.iter().any(|r| r["path"] == "gpu")
            && particles.iter().any(|r| r["path"] == "cpu-f32-mt")
    );
    assert!(
        particles
            .iter()
            .all(|r| r["particle_steps_per_s"].as_f64().unwrap() > 0.0)
    );
    let frame = v["frame"].as_array().unwrap();
    assert!(!frame.is_empty());
    for key in ["median_ms", "p95_ms", "field_ms", "particles_ms", "draw_ms"] {
        assert!(frame[0][key].is_number(), "frame row lacks {key}");
    }
}

#[test]
fn bad_bench_options_exit_2_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.json");
    for (args, mention) in [
        (vec!["bench", "--repeats", "2"], "repeats"),
        (vec!["bench", "--nodes", "63"], "nodes"),
        (vec!["bench", "--grids", "0"], "grids"),
        (
            vec!["bench", "--json", "/nonexistent/dir/out.json"],
            "/nonexistent/dir",
        ),
    ] {
        let mut all = args.clone();
        if !args.contains(&"--json") {
            all.extend(["--json", path.to_str().unwrap()]);
        }
        let out = run_with_timeout(
            Command::new(env!("CARGO_BIN_EXE_fisherflow")).args(&all),
            None,
            QUICK_LIMIT,
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(mention), "{args:?}: {stderr}");
        assert!(!path.exists(), "{args:?} left a file behind");
    }
}
