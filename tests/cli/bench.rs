//! `fisherflow bench --quick --json` as a smoke test: the JSON has the documented shape and
//! the f32 paths' errors are within 1e-3 of the f64 reference. Timings are never checked.
//! Bad options exit 2 and write nothing. Every run is under a time limit. A general slice
//! (`--slice mu1,sigma1 --model pi=1`) benchmarks the general kernel: rows say so, the report
//! names the model and slice, and its errors are within 1e-3 too.

use crate::common;

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
    // Without --model/--slice: the seed's kernel on the seed's slice, every row saying so.
    assert_eq!(v["kernel"], "seed");
    assert_eq!(v["slice"], serde_json::json!(["mu1", "mu2"]));
    assert_eq!(v["model"]["pi"], 0.5);
    for section in ["fim", "particles", "frame"] {
        for r in v[section].as_array().unwrap() {
            assert_eq!(r["kernel"], "seed", "{section}: {r}");
            assert!(r.get("outside_cells").is_none(), "{section}: {r}");
        }
    }
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
    // The SIMD rows run on the widest instruction set by default and say which.
    let simd_rows: Vec<_> = fim.iter().filter(|r| r["path"] == "cpu-f32-simd").collect();
    assert!(!simd_rows.is_empty(), "no cpu-f32-simd rows");
    for r in simd_rows {
        assert_eq!(r["isa"], v["cpu"]["simd"], "{r}");
    }
    assert!(
        fim.iter()
            .filter(|r| r["path"] != "cpu-f32-simd")
            .all(|r| r.get("isa").is_none())
    );
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

/// One small general run: the half-plane at π = 1 on a 16² grid, 256 particles.
#[test]
fn quick_general_bench_measures_the_general_kernel() {
    if common::gpu().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("general.json");
    let out = run_with_timeout(
        Command::new(env!("CARGO_BIN_EXE_fisherflow")).args([
            "bench",
            "--quick",
            "--slice",
            "mu1,sigma1",
            "--model",
            "pi=1",
            "--grids",
            "16",
            "--particles",
            "256",
            "--presets",
            "unequal",
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
    assert!(table.contains("general kernel"), "{table}");
    assert!(table.contains("Preset particles"), "{table}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(v["kernel"], "general");
    assert_eq!(v["slice"], serde_json::json!(["mu1", "sigma1"]));
    assert_eq!(v["metric"], "induced");
    for key in ["pi", "mu1", "mu2", "sigma1", "sigma2"] {
        assert!(
            v["model"][key].is_number(),
            "model lacks {key}: {}",
            v["model"]
        );
    }
    assert_eq!(v["model"]["pi"], 1.0);
    let fim = v["fim"].as_array().unwrap();
    for path in ["gpu", "cpu-f32-mt", "cpu-f64"] {
        let r = fim
            .iter()
            .find(|r| r["path"] == path)
            .unwrap_or_else(|| panic!("no {path} row"));
        assert_eq!(r["kernel"], "general", "{r}");
        assert_eq!(
            (r["grid"].as_u64(), r["cells"].as_u64()),
            (Some(16), Some(256))
        );
        // Q = 64 per the scene, Q/2 for the general rule.
        assert_eq!(
            (r["nodes"].as_u64(), r["kernel_nodes"].as_u64()),
            (Some(64), Some(32))
        );
        let err = r["max_rel_error"].as_f64().unwrap();
        assert!(err <= 1e-3, "{path} error {err} above 1e-3: {r}");
        assert!(r["cells_per_s"].as_f64().unwrap() > 0.0);
        // The fitted view shows the edge σ1 = 0: some cells are outside, most are compared.
        let outside = r["outside_cells"].as_u64().unwrap();
        let compared = r["error_cells"].as_u64().unwrap();
        assert!(outside > 0 && compared >= 128, "{path}: {r}");
        assert_eq!(r["undefined_cells"].as_u64(), Some(0), "{r}");
    }
    for section in ["particles", "frame"] {
        let rows = v[section].as_array().unwrap();
        assert!(!rows.is_empty(), "no {section} rows");
        assert!(rows.iter().all(|r| r["kernel"] == "general"), "{section}");
    }
    assert!(
        v["particles"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["particle_steps_per_s"].as_f64().unwrap() > 0.0)
    );
    // --presets: the named preset's field row and its particles against the seed kernel's.
    let presets = v["presets"].as_array().unwrap();
    assert_eq!(presets.len(), 1, "{presets:?}");
    assert_eq!(presets[0]["preset"], "unequal");
    let particles = v["preset_particles"].as_array().unwrap();
    assert_eq!(particles.len(), 1, "{particles:?}");
    let row = &particles[0];
    assert_eq!(
        (row["preset"].as_str(), row["particles"].as_u64()),
        (Some("unequal"), Some(256))
    );
    for key in [
        "gpu_ms_per_step",
        "simd_ms_per_step",
        "seed_gpu_ms_per_step",
        "seed_simd_ms_per_step",
    ] {
        assert!(row[key].as_f64().unwrap() > 0.0, "{key}: {row}");
    }
    assert_eq!(row["simd_isa"], v["cpu"]["simd"], "{row}");
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
        (vec!["bench", "--model", "pi=2"], "pi"),
        (vec!["bench", "--model", "sigma2=0"], "sigma2"),
        (vec!["bench", "--model", "nu=1"], "nu"),
        (vec!["bench", "--slice", "mu1,mu1"], "mu1"),
        (
            vec!["bench", "--sigma", "1", "--model", "sigma1=2"],
            "--sigma",
        ),
        (
            vec!["bench", "--kernel", "seed", "--slice", "mu1,sigma1"],
            "--kernel",
        ),
        (vec!["bench", "--isa", "sse9"], "scalar, avx2 or avx512"),
        (vec!["bench", "--isa", "scalar", "--paths", "gpu"], "--isa"),
    ]
    .into_iter()
    .chain(
        // A set this CPU lacks is refused, naming what it has.
        (!fisherflow::cpu::simd::SimdLevel::Avx512.is_supported())
            .then(|| (vec!["bench", "--isa", "avx512"], "lacks avx512")),
    ) {
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
