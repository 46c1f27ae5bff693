//! `fisherflow view` (and `fisherflow` with no subcommand): the native viewer, with options to
//! set the initial scene and to automate it (render N frames, save the last, exit).

use std::path::PathBuf;

use anyhow::{Context, anyhow};
use clap::Args;

use super::{CliError, CliResult, parse_pair, require_parent_folder};
use crate::gpu::context::BackendChoice;
use crate::scene::Scene;
use crate::viewer::{self, ViewOptions};

/// Options of `fisherflow view`.
#[derive(Debug, Args, Default)]
pub struct ViewArgs {
    /// Start from a saved scene (TOML, as written by the viewer's "save scene").
    #[arg(long, value_name = "FILE.toml")]
    pub scene: Option<PathBuf>,
    /// σ (> 0).
    #[arg(long, allow_negative_numbers = true)]
    pub sigma: Option<f64>,
    /// Grid density: cells across the view height (8..=2048, limited by the device).
    #[arg(long)]
    pub grid: Option<u32>,
    /// Target θ* = A,B.
    #[arg(long, value_parser = parse_pair, allow_hyphen_values = true)]
    pub target: Option<[f64; 2]>,
    /// Probe position X,Y.
    #[arg(long, value_parser = parse_pair, allow_hyphen_values = true)]
    pub probe: Option<[f64; 2]>,
    /// Damping λ ≥ 0.
    #[arg(long, allow_negative_numbers = true)]
    pub damping: Option<f64>,
    /// Ellipse display scale.
    #[arg(long, allow_negative_numbers = true)]
    pub ellipse_scale: Option<f64>,
    /// Start with flow mode on.
    #[arg(long)]
    pub flow: bool,
    /// Flow: which gradient the particles follow.
    #[arg(long, value_enum)]
    pub flow_mode: Option<crate::scene::FlowMode>,
    /// Flow: number of particles (1000..=1048576; default by adapter).
    #[arg(long)]
    pub particles: Option<u32>,
    /// Render this many frames, then exit 0.
    #[arg(long)]
    pub frames: Option<u32>,
    /// Save the last frame (whole window, UI included) as PNG; implies --frames 3 if not given.
    #[arg(long, value_name = "FILE.png")]
    pub screenshot: Option<PathBuf>,
    /// Window width in logical pixels.
    #[arg(long, default_value_t = 1400)]
    pub width: u32,
    /// Window height in logical pixels.
    #[arg(long, default_value_t = 900)]
    pub height: u32,
    /// Force a graphics backend (default: WGPU_BACKEND, else any).
    #[arg(long, value_enum)]
    pub backend: Option<BackendChoice>,
}

/// Reads a scene TOML file, naming the line and field of any error.
pub fn load_scene(path: &PathBuf) -> anyhow::Result<Scene> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read scene {}", path.display()))?;
    let scene: Scene = toml::from_str(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    scene
        .validate()
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok(scene)
}

/// The initial scene from the options.
pub fn scene_from_args(args: &ViewArgs) -> Result<Scene, CliError> {
    let mut scene = match &args.scene {
        Some(path) => load_scene(path).map_err(CliError::input)?,
        None => Scene::default(),
    };
    if let Some(v) = args.sigma {
        scene.sigma = v;
    }
    if let Some(v) = args.grid {
        scene.grid = v;
    }
    if let Some(v) = args.target {
        scene.target = v;
    }
    if let Some(v) = args.probe {
        scene.probe = Some(v);
    }
    if let Some(v) = args.damping {
        scene.damping = v;
    }
    if let Some(v) = args.ellipse_scale {
        scene.ellipse_scale = v;
    }
    scene.flow.enabled |= args.flow;
    if let Some(v) = args.flow_mode {
        scene.flow.mode = v;
    }
    if let Some(v) = args.particles {
        scene.flow.particles = Some(v);
    }
    scene.validate().map_err(|e| {
        let option = e
            .field
            .rsplit('.')
            .next()
            .unwrap_or(e.field)
            .replace('_', "-");
        CliError::input(anyhow!("--{option}: {}", e.message))
    })?;
    if args.scene.is_none()
        && (args.target.is_some() || args.probe.is_some() || args.sigma.is_some())
    {
        scene.fit_view();
    }
    Ok(scene)
}

/// Runs the viewer.
pub fn run(args: &ViewArgs) -> CliResult {
    let scene = scene_from_args(args)?;
    if args.frames == Some(0) {
        return Err(CliError::input(anyhow!("--frames must be at least 1")));
    }
    if !(200..=8192).contains(&args.width) || !(150..=8192).contains(&args.height) {
        return Err(CliError::input(anyhow!(
            "--width must be 200..=8192 and --height 150..=8192"
        )));
    }
    if let Some(path) = &args.screenshot {
        require_parent_folder("--screenshot", path)?;
    }
    let frames = args.frames.or(args.screenshot.as_ref().map(|_| 3));
    viewer::run(ViewOptions {
        scene,
        frames,
        screenshot: args.screenshot.clone(),
        backend: args.backend,
        size: [args.width, args.height],
    })
    .map_err(CliError::runtime)
}
