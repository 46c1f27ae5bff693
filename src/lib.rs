//! fisherflow: the information geometry of a two-component Gaussian mixture, computed in WGSL
//! compute shaders and drawn in real time.
//!
//! * [`cli`]: the command line;
//! * [`bench`]: the GPU-vs-CPU benchmark and the error measures of the f32 paths against the
//!   f64 reference;
//! * [`capture`]: scripted, headless demo captures, and writing files atomically;
//! * [`math`]: the f64 reference (MATH.md made executable);
//! * [`cpu`]: f32 multi-threaded mirrors of the WGSL compute stages;
//! * [`gpu`]: device selection, shared byte layouts, shader loading;
//! * [`compute`]: the GPU compute stages;
//! * [`scene`]: the scene state the UI edits and the renderer draws;
//! * [`simulation`]: the compute stages of a frame (field, probe, particles) and their caches;
//! * [`jobs`]: work off the frame loop (the race, shortest paths, estimates at the probe, the
//!   K-FAC lab's training), one background job type owned by the simulation;
//! * [`render`]: the scene renderer (instanced pipelines into a texture);
//! * [`frame`]: the one frame renderer (scene + overlay + read-back) for every consumer, with
//!   the overlay's labels and legends (egui) and the side panel's numbers (f64, on the CPU);
//! * [`viewer`]: the window;
//! * [`kfac`]: the K-FAC lab: a small classifier on the mixture, its exact layer Fisher blocks
//!   against A and G.
//!
//! Imports run one way, each module naming only those before it: math, kfac, gpu, compute, cpu,
//! scene, jobs, simulation, render, frame, capture, bench, viewer, cli (the test at the bottom of this file checks every module).

#![warn(missing_docs)]

pub mod bench;
pub mod capture;
pub mod cli;
pub mod compute;
pub mod cpu;
pub mod frame;
pub mod gpu;
pub mod jobs;
pub mod kfac;
pub mod math;
pub mod render;
pub mod scene;
pub mod simulation;
pub mod viewer;

#[cfg(test)]
mod architecture {
    //! Import rules, checked on the source text: a lower layer never names a higher one.

    /// Every `.rs` file under `src/<dir>` (or the file `src/<dir>.rs`), with its text.
    fn sources(dir: &str) -> Vec<(String, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut out = Vec::new();
        let file = root.join(format!("{dir}.rs"));
        if file.is_file() {
            out.push((dir.to_owned(), std::fs::read_to_string(&file).unwrap()));
        }
        let mut stack = vec![root.join(dir)];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    out.push((path.display().to_string(), text));
                }
            }
        }
        assert!(!out.is_empty(), "no sources for {dir}");
        out
    }

    /// The modules of `dir` that mention any of `forbidden` (as `crate::name` or `clap::`).
    fn violations(dir: &str, forbidden: &[&str]) -> Vec<String> {
        let mut found = Vec::new();
        for (path, text) in sources(dir) {
            for name in forbidden {
                let needle = if *name == "clap" {
                    "clap::".to_owned()
                } else {
                    format!("crate::{name}")
                };
                if text.contains(&needle) {
                    found.push(format!("{path} names {needle}"));
                }
            }
        }
        found
    }

    /// Every top-level module, lowest first: a module names only those before it. A new
    /// module must be placed here (the test fails until it is).
    const LAYERS: [&str; 13] = [
        "math",
        "kfac",
        "gpu",
        "compute",
        "cpu",
        "scene",
        "jobs",
        "simulation",
        "render",
        "frame",
        "capture",
        "bench",
        "viewer",
    ];

    /// The top-level modules on disk (folders and loose files under `src/`, not lib/main).
    fn modules_on_disk() -> Vec<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut out: Vec<String> = std::fs::read_dir(root)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter_map(|p| {
                let name = p.file_stem()?.to_str()?.to_owned();
                (p.is_dir() || p.extension().is_some_and(|e| e == "rs")).then_some(name)
            })
            .filter(|n| n != "lib" && n != "main")
            .collect();
        out.sort();
        out
    }

    #[test]
    fn imports_run_one_way() {
        let mut all = Vec::new();
        // `cli` sits on top of everything. The scene state and what draws it know nothing of
        // argument parsing (a few option enums elsewhere derive clap's `ValueEnum`).
        let no_clap = [
            "math",
            "kfac",
            "scene",
            "jobs",
            "simulation",
            "render",
            "viewer",
        ];
        for (k, dir) in LAYERS.iter().enumerate() {
            let mut forbidden: Vec<&str> = LAYERS[k + 1..].to_vec();
            forbidden.push("cli");
            if no_clap.contains(dir) {
                forbidden.push("clap");
            }
            all.extend(violations(dir, &forbidden));
        }
        assert!(all.is_empty(), "{}", all.join("\n"));
        let mut listed: Vec<String> = LAYERS.iter().map(|s| s.to_string()).collect();
        listed.push("cli".into());
        listed.sort();
        assert_eq!(
            modules_on_disk(),
            listed,
            "every module has its place in LAYERS"
        );
        // Negative controls: the checker sees imports that do exist, upward and downward.
        assert!(!violations("viewer", &["capture"]).is_empty());
        assert!(!violations("render", &["jobs"]).is_empty());
    }
}
