//! fisherflow: the information geometry of a two-component Gaussian mixture, computed in WGSL
//! compute shaders and drawn in real time.
//!
//! * [`cli`]: the command line;
//! * [`bench`]: the GPU-vs-CPU benchmark;
//! * [`capture`]: scripted, headless demo captures;
//! * [`math`]: the f64 reference (MATH.md made executable);
//! * [`cpu`]: f32 multi-threaded mirrors of the WGSL compute stages;
//! * [`gpu`]: device selection, shared byte layouts, shader loading;
//! * [`compute`]: the GPU compute stages;
//! * [`scene`]: the scene state the UI edits and the renderer draws;
//! * [`simulation`]: the compute stages of a frame (field, probe, particles) and their caches;
//! * [`geodesic_paths`]: shortest paths and descent paths from the probe (f64, a worker thread);
//! * [`race_worker`]: the optimizer race from the race start to θ* (f64, a worker thread);
//! * [`probe_estimates`]: F, EF, EF_N and the Monte-Carlo Fisher at the probe (f64, a worker thread);
//! * [`render`]: the scene renderer (instanced pipelines into a texture);
//! * [`numbers`]: the side panel's numbers (f64, on the CPU);
//! * [`overlay`]: labels and legends over the canvas (egui), shared by the viewer and captures;
//! * [`frame`]: the one frame renderer (scene + overlay + read-back) for every consumer;
//! * [`viewer`]: the window;
//! * [`kfac`]: the K-FAC lab: a small classifier on the mixture, its exact layer Fisher blocks against A and G;
//! * [`verify`]: error measures of the f32 paths against the f64 reference.
//!
//! Imports run one way: math ← gpu ← compute/cpu ← scene ← simulation/geodesic_paths/probe_estimates ← render ← numbers/overlay ←
//! frame ← capture/bench ← viewer ← cli (the test at the bottom of this file enforces the rules that
//! have been broken before).

#![warn(missing_docs)]

pub mod bench;
pub mod capture;
pub mod cli;
pub mod compute;
pub mod cpu;
pub mod frame;
pub mod geodesic_paths;
pub mod gpu;
pub mod kfac;
pub mod math;
pub mod numbers;
pub mod output;
pub mod overlay;
pub mod probe_estimates;
pub mod race_worker;
pub mod render;
pub mod scene;
pub mod simulation;
pub mod verify;
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

    #[test]
    fn imports_run_one_way() {
        let rules: [(&str, &[&str]); 13] = [
            (
                "kfac",
                &[
                    "gpu", "compute", "cpu", "scene", "render", "viewer", "capture", "cli",
                ],
            ),
            (
                "math",
                &[
                    "gpu", "compute", "cpu", "scene", "render", "viewer", "capture", "cli",
                ],
            ),
            (
                "gpu",
                &[
                    "compute", "cpu", "scene", "render", "viewer", "capture", "cli",
                ],
            ),
            ("compute", &["scene", "render", "viewer", "capture", "cli"]),
            ("cpu", &["scene", "render", "viewer", "capture", "cli"]),
            ("scene", &["render", "viewer", "capture", "cli", "clap"]),
            (
                "simulation",
                &["render", "overlay", "numbers", "viewer", "capture", "cli"],
            ),
            (
                "geodesic_paths",
                &[
                    "gpu",
                    "compute",
                    "simulation",
                    "render",
                    "overlay",
                    "numbers",
                    "viewer",
                    "capture",
                    "cli",
                ],
            ),
            (
                "render",
                &["compute", "overlay", "numbers", "viewer", "capture", "cli"],
            ),
            ("overlay", &["frame", "viewer", "capture", "cli"]),
            ("frame", &["viewer", "capture", "bench", "cli"]),
            ("capture", &["viewer", "cli"]),
            ("viewer", &["cli"]),
        ];
        let mut all = Vec::new();
        for (dir, forbidden) in rules {
            all.extend(violations(dir, forbidden));
        }
        assert!(all.is_empty(), "{}", all.join("\n"));
        // Negative control: the checker sees an import that does exist.
        assert!(!violations("viewer", &["capture"]).is_empty());
    }
}
