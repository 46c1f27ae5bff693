//! fisherflow: the information geometry of statistical models (a two-component Gaussian
//! mixture, and a controller's policy plane), computed in WGSL compute shaders and drawn in
//! real time.
//!
//! * [`cli`]: the command line;
//! * [`bench`](mod@bench): the GPU-vs-CPU benchmark and the error measures of the f32 paths
//!   against the f64 reference;
//! * [`capture`]: scripted, headless demo captures, and writing files atomically;
//! * [`math`]: the f64 reference (MATH.md made executable);
//! * [`cpu`]: f32 multi-threaded mirrors of the WGSL compute stages;
//! * [`gpu`]: device selection, shared byte layouts, shader loading;
//! * [`compute`]: the GPU compute stages;
//! * [`scene`]: the scene state the UI edits and the renderer draws;
//! * [`simulation`]: the compute stages of a frame and their caches, and the jobs;
//! * [`jobs`]: work off the frame loop, one background job type owned by the simulation;
//! * [`render`]: the scene renderer (an ordered list of layers drawn into a texture);
//! * [`frame`]: the one frame renderer (scene + overlay + read-back) for every consumer, with
//!   the overlay's labels and legends (egui) and the side panel's numbers (f64, on the CPU);
//! * [`viewer`]: the window;
//! * [`kfac`]: the K-FAC lab: a small classifier on the mixture, its exact layer Fisher blocks
//!   against A and G;
//! * [`features`]: the canvas's features, one folder each (field and ellipses, heatmap, flow,
//!   geodesics, race, estimates, convergence map, K-FAC lab, Cramér–Rao region), whose files
//!   are named for their role: settings, job, stage, layer, panel; and the list that registers
//!   them (`features/mod.rs`, at the scene's level: it makes the scene's `Features`).
//!
//! Imports run one way, each module naming only those before it: math, kfac, gpu, compute, cpu,
//! scene, jobs, simulation, render, frame, capture, bench, viewer, cli; a feature's file sits
//! at its role's level (settings with the scene, job with the jobs, stage with the
//! simulation, layer with the renderer, panel with the viewer). The test at the bottom of this
//! file checks every file.

#![warn(missing_docs)]

pub mod bench;
pub mod capture;
pub mod cli;
pub mod compute;
pub mod cpu;
pub mod features;
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
    //! Import rules, checked on the source text: a lower level never names a higher one.
    //!
    //! A level is a top-level module, or, inside a feature's folder (`src/features/<name>/`),
    //! a file's role, read from its name up to the first `_`: `settings` sits with the scene,
    //! `job` with the jobs, `stage` with the simulation, `layer` with the renderer and `panel`
    //! with the viewer. So a feature's settings never name its layer, its layer never its
    //! panel, and the scene, renderer and viewer name the feature files of their own level or
    //! below.

    use std::path::{Path, PathBuf};

    /// Every top-level module, lowest first: a module names only those before it. A new
    /// module must be placed here (the test fails until it is). `features` has no level of
    /// its own: each of its files takes its role's ([`ROLES`]).
    const LEVELS: [&str; 14] = [
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
        "cli",
    ];

    /// The roles a file in a feature folder plays, and the level (top-level module) each sits with.
    const ROLES: [(&str, &str); 5] = [
        ("settings", "scene"),
        ("job", "jobs"),
        ("stage", "simulation"),
        ("layer", "render"),
        ("panel", "viewer"),
    ];

    /// The crate's `src/`.
    fn src() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
    }

    /// Every `.rs` file under `dir`, with its text.
    fn sources_under(dir: &Path) -> Vec<(PathBuf, String)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
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
                    out.push((path, text));
                }
            }
        }
        out
    }

    /// The level of a top-level module.
    fn module_level(name: &str) -> Option<usize> {
        LEVELS.iter().position(|l| *l == name)
    }

    /// The level of a feature file with this stem: its role's. `mod` (a folder's list of
    /// files) sits below everything and may name nothing.
    fn role_level(stem: &str) -> Option<usize> {
        if stem == "mod" {
            return Some(0);
        }
        let role = stem.split('_').next().unwrap_or(stem);
        ROLES
            .iter()
            .find(|(r, _)| *r == role)
            .and_then(|(_, module)| module_level(module))
    }

    /// The identifier at the start of `rest` (letters, digits, `_`).
    fn ident(rest: &str) -> &str {
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        &rest[..end]
    }

    /// What a file at `level` names above its level, as messages. `feature` is the folder the
    /// file sits in when it is a feature's (its `super::` then means that folder).
    fn upward_names(level: usize, text: &str, feature: Option<&str>) -> Vec<String> {
        let mut found = Vec::new();
        for (at, _) in text.match_indices("crate::") {
            let rest = &text[at + "crate::".len()..];
            let top = ident(rest);
            if top == "features" {
                let rest = &rest["features".len()..];
                let Some(rest) = rest.strip_prefix("::") else {
                    found.push("names crate::features without a feature".into());
                    continue;
                };
                // The list's items (`features/mod.rs`: `Features`, `FeatureEdit`, …), named
                // one by one or as a group of them, sit at the scene's level.
                let group = rest
                    .strip_prefix('{')
                    .map(|g| &g[..g.find('}').unwrap_or(g.len())]);
                if group.is_some_and(|g| g.contains("::")) {
                    found.push("names a feature's files in a group (name each on its own)".into());
                    continue;
                }
                if group.is_some() || rest.starts_with(char::is_uppercase) {
                    if module_level("scene").is_some_and(|scene| scene > level) {
                        found.push("names the features' list (crate::features' items)".into());
                    }
                    continue;
                }
                let name = ident(rest);
                let file = rest[name.len()..]
                    .strip_prefix("::")
                    .map(ident)
                    .unwrap_or("");
                match role_level(file) {
                    Some(l) if file != "mod" && l <= level => {}
                    Some(_) if file != "mod" => {
                        found.push(format!("names crate::features::{name}::{file}"))
                    }
                    _ => found.push(format!(
                        "names crate::features::{name} without one of its files (a role's file)"
                    )),
                }
            } else if module_level(top).is_some_and(|l| l > level) {
                found.push(format!("names crate::{top}"));
            }
        }
        // Only the command line parses arguments. A few option enums elsewhere derive clap's
        // `ValueEnum`; the scene state and what draws it know nothing of argument parsing.
        let no_clap = [
            "math",
            "kfac",
            "scene",
            "jobs",
            "simulation",
            "render",
            "viewer",
        ];
        if no_clap.contains(&LEVELS[level]) && text.contains("clap::") {
            found.push("names clap::".into());
        }
        if feature.is_some() {
            for (at, _) in text.match_indices("super::") {
                let rest = &text[at + "super::".len()..];
                let file = ident(rest);
                if file == "super" {
                    found.push("names super::super".into());
                } else if role_level(file).is_some_and(|l| l > level) {
                    found.push(format!("names super::{file}"));
                }
            }
            if text.lines().any(|l| l.starts_with("use super::*")) {
                found.push("uses super::* at the top (name the feature's files)".into());
            }
        }
        found
    }

    /// Every rule broken under `src/`, as `path: message`.
    fn all_violations() -> Vec<String> {
        let mut found = Vec::new();
        for (path, text) in sources_under(&src()) {
            let relative = path.strip_prefix(src()).unwrap();
            let parts: Vec<&str> = relative.iter().map(|p| p.to_str().unwrap()).collect();
            let stem = path.file_stem().unwrap().to_str().unwrap();
            let (level, feature) = match parts.as_slice() {
                ["lib.rs"] | ["main.rs"] => continue,
                // The list of features, and what it makes for the scene.
                ["features", "mod.rs"] => (module_level("scene").unwrap(), None),
                ["features", name, _file] => match role_level(stem) {
                    // A `<role>_tests.rs` is its role file's test module (`#[path]`): its
                    // `super` is that file, not the folder.
                    Some(level) if stem.ends_with("_tests") => (level, None),
                    Some(level) => (level, Some(*name)),
                    None => {
                        found.push(format!(
                            "{}: a feature's file is named for its role (settings, job, stage, \
                             layer, panel: up to the first `_`)",
                            path.display()
                        ));
                        continue;
                    }
                },
                [top, ..] => {
                    let top = top.trim_end_matches(".rs");
                    match module_level(top) {
                        Some(level) => (level, None),
                        None => {
                            found.push(format!(
                                "{}: module {top} has no place in LEVELS",
                                path.display()
                            ));
                            continue;
                        }
                    }
                }
                [] => continue,
            };
            for message in upward_names(level, &text, feature) {
                found.push(format!("{}: {message}", path.display()));
            }
        }
        found
    }

    #[test]
    fn imports_run_one_way() {
        let all = all_violations();
        assert!(all.is_empty(), "{}", all.join("\n"));
        // Negative controls, on made-up sources: each breaks one rule.
        let scene = module_level("scene").unwrap();
        let render = module_level("render").unwrap();
        let math = module_level("math").unwrap();
        let controls: [(usize, &str, Option<&str>); 10] = [
            (scene, "use crate::render::Renderer;", None),
            (
                scene,
                "use crate::features::flow::layer_trails::X;",
                Some("flow"),
            ),
            (render, "use crate::features::flow::panel::show;", None),
            (render, "use crate::features::flow::Thing;", None),
            (scene, "use super::stage::Particles;", Some("flow")),
            (render, "use super::super::x;", Some("flow")),
            (render, "use super::*;\n", Some("flow")),
            (scene, "#[derive(clap::ValueEnum)]", None),
            (math, "use crate::features::Features;", None),
            (
                scene,
                "use crate::features::{flow::layer_trails::X, Features};",
                None,
            ),
        ];
        for (level, text, feature) in controls {
            assert!(
                !upward_names(level, text, feature).is_empty(),
                "the checker missed `{text}`"
            );
        }
        // ... and lets these through.
        let allowed: [(usize, &str, Option<&str>); 6] = [
            (render, "use crate::scene::Scene;", None),
            (render, "use crate::features::flow::settings::Flow;", None),
            (render, "use super::stage::Particles;", Some("flow")),
            (scene, "mod tests { use super::*; }", Some("flow")),
            (scene, "use crate::features::{FeatureEdit, Features};", None),
            (render, "use crate::features::Settings;", None),
        ];
        for (level, text, feature) in allowed {
            let found = upward_names(level, text, feature);
            assert!(found.is_empty(), "`{text}`: {found:?}");
        }
        assert_eq!(role_level("layer_trails"), module_level("render"));
        assert_eq!(role_level("widget"), None);
    }
}
