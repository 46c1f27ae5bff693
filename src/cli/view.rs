//! `fisherflow view` (and `fisherflow` with no subcommand): the native viewer, with options to
//! set the initial scene and to automate it (render N frames, save the last, exit). Two hidden
//! options exist for the window tests: `--automation-resize` resizes (or "minimises") the real
//! window at given frames, `--automation-stall-limit` shortens how long automation waits for a
//! frame before giving up.

use std::path::PathBuf;

use anyhow::anyhow;
use clap::Args;

use super::{CliError, CliResult, parse_pair, require_parent_folder};
use crate::gpu::context::BackendChoice;
use crate::scene::Scene;
use crate::viewer::app::{AUTOMATION_STALL_LIMIT, ResizeStep};
use crate::viewer::{self, ViewOptions};

/// Options of `fisherflow view`.
#[derive(Debug, Args, Default)]
pub struct ViewArgs {
    /// Start from a saved scene (TOML, as written by the viewer's "save scene").
    #[arg(long, value_name = "FILE.toml")]
    pub scene: Option<PathBuf>,
    /// Start from one of the viewer's presets (its model, slice, probe and view), as the
    /// "preset" menu sets them: seed, half-plane, weight-singularity, sigmas, mean-sigma,
    /// unequal. Other options then change that scene.
    #[arg(long, value_name = "NAME", value_parser = crate::scene::Preset::from_name)]
    pub preset: Option<crate::scene::Preset>,
    /// The model and slice (defaults: the scene's, i.e. the seed's ½N(−1.5, 1) + ½N(1, 1) on
    /// (mu1, mu2) unless --scene gives another).
    #[command(flatten)]
    pub model: super::ModelArgs,
    /// The metric on the slice: the induced block of F, or the profiled one (the held
    /// parameters unknown).
    #[arg(long, value_name = "induced|profiled")]
    pub metric: Option<crate::math::Metric>,
    /// Grid density: cells across the view height (8..=2048, limited by the device).
    #[arg(long)]
    pub grid: Option<u32>,
    /// Target θ*'s slice coordinates A,B.
    #[arg(long, value_parser = parse_pair, allow_hyphen_values = true)]
    pub target: Option<[f64; 2]>,
    /// Probe position X,Y (slice coordinates).
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
    #[arg(long, value_name = "natural|euclidean|both")]
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
    /// Tests only: resize the window before the given redraws, e.g. "10:1x1,20:2400x1600,30:0x0"
    /// (redraw:WIDTHxHEIGHT in physical pixels, redraws ascending; 0x0 simulates minimising).
    /// Needs --frames.
    #[arg(long, hide = true, value_parser = parse_resize_steps, value_name = "SPEC")]
    pub automation_resize: Option<ResizeSpec>,
    /// Tests only: seconds without a presented frame after which --frames gives up (default 60).
    #[arg(long, hide = true, value_name = "SECONDS")]
    pub automation_stall_limit: Option<f64>,
    /// Automation (measuring a handle drag): move the target θ* every frame, around a circle
    /// of radius 0.3 about where it starts, through the same scene edit a dragged handle makes;
    /// on the policy plane (whose target is computed) sweep the exploration σ and ω² ±20%
    /// through the sliders' edit instead. Needs --frames.
    #[arg(long)]
    pub drag_target: bool,
    /// Automation (measuring as a user sees it): frames do not wait for off-loop work (the
    /// paths, the race, the convergence map, the estimates), which is drawn when ready, as in
    /// the interactive viewer. Without it, --frames waits so a screenshot shows everything.
    /// Needs --frames.
    #[arg(long)]
    pub live: bool,
    /// Automation (measuring a switch): before frame K, replace the scene by FILE's, as the
    /// panel's "load scene" does, and report the frames after the switch (the first one and
    /// the median of the next ten). Needs --frames N with N > K + 10.
    #[arg(long, value_name = "K:FILE.toml")]
    pub switch_scene: Option<String>,
}

/// Largest size `--automation-resize` may ask for: within what X11 and wgpu surfaces allow
/// everywhere, far beyond any screen (X lets a window be larger than its screen).
const MAX_AUTOMATION_SIZE: u32 = 8192;

/// The steps of `--automation-resize` (a newtype: clap would read a bare `Vec` as a repeated
/// option).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResizeSpec(pub Vec<ResizeStep>);

/// Parses `--automation-resize`: "TICK:WxH" entries separated by commas, ticks strictly
/// ascending, each side 1..=8192, or 0x0 (simulated minimise).
pub fn parse_resize_steps(text: &str) -> Result<ResizeSpec, String> {
    let mut steps: Vec<ResizeStep> = Vec::new();
    for entry in text.split(',').map(str::trim) {
        let bad =
            |why: &str| format!("`{entry}`: {why} (expected REDRAW:WIDTHxHEIGHT, e.g. 10:1x1)");
        let (tick, size) = entry.split_once(':').ok_or_else(|| bad("no `:`"))?;
        let tick: u32 = tick
            .parse()
            .map_err(|_| bad("the redraw is not a whole number"))?;
        let (w, h) = size
            .split_once('x')
            .ok_or_else(|| bad("no `x` in the size"))?;
        let side = |v: &str| -> Result<u32, String> {
            v.parse::<u32>()
                .map_err(|_| bad("the size is not two whole numbers"))
        };
        let size = [side(w)?, side(h)?];
        let zero = size == [0, 0];
        if !zero && !size.iter().all(|v| (1..=MAX_AUTOMATION_SIZE).contains(v)) {
            return Err(bad(&format!(
                "each side must be 1..={MAX_AUTOMATION_SIZE}, or the size 0x0"
            )));
        }
        if let Some(previous) = steps.last()
            && tick <= previous.tick
        {
            return Err(bad("redraws must be strictly ascending"));
        }
        steps.push(ResizeStep { tick, size });
    }
    Ok(ResizeSpec(steps))
}

/// The initial scene from the options.
pub fn scene_from_args(args: &ViewArgs) -> Result<Scene, CliError> {
    let mut scene = match &args.scene {
        Some(path) => Scene::load(path).map_err(CliError::input)?,
        None => Scene::default(),
    };
    if let Some(preset) = args.preset {
        scene.apply(crate::scene::SceneEdit::ApplyPreset(preset));
    }
    let slice_changed = args.model.slice.is_some_and(|s| s != scene.slice);
    if let Some(slice) = args.model.slice {
        scene.slice = slice;
    }
    // --model overrides the scene's keys; --target (slice coordinates) then wins over its
    // values of the two slice parameters.
    scene.model = args.model.apply(scene.model, &scene.slice)?;
    if let Some(v) = args.target {
        scene.model = scene.slice.place(&scene.model, v);
        scene
            .model
            .validate_for(&scene.slice)
            .map_err(|e| CliError::input(anyhow!("--target: {e}")))?;
    }
    if let Some(v) = args.grid {
        scene.grid = v;
    }
    if let Some(v) = args.metric {
        scene.metric = v;
    }
    if slice_changed && args.probe.is_none() {
        scene.probe = Some(crate::scene::default_probe(&scene.model, &scene.slice));
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
    scene.features.flow.enabled |= args.flow;
    if let Some(v) = args.flow_mode {
        scene.features.flow.mode = v;
    }
    if let Some(v) = args.particles {
        scene.features.flow.particles = Some(v);
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
    if slice_changed
        || (args.scene.is_none()
            && (args.target.is_some() || args.probe.is_some() || args.model.given()))
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
    let resize_steps = args
        .automation_resize
        .clone()
        .map(|spec| spec.0)
        .unwrap_or_default();
    if let Some(last) = resize_steps.last() {
        // Redraws include skipped ones, so a step before redraw N always runs before the N-th
        // presented frame ends the run.
        match frames {
            None => {
                return Err(CliError::input(anyhow!(
                    "--automation-resize needs --frames"
                )));
            }
            Some(n) if last.tick >= n => {
                return Err(CliError::input(anyhow!(
                    "--automation-resize: redraw {} is not before --frames {n}",
                    last.tick
                )));
            }
            Some(_) => {}
        }
    }
    let switch = match &args.switch_scene {
        None => None,
        Some(spec) => {
            let (at, path) = spec.split_once(':').ok_or_else(|| {
                CliError::input(anyhow!("--switch-scene {spec}: give K:FILE.toml"))
            })?;
            let at: u32 = at.trim().parse().map_err(|_| {
                CliError::input(anyhow!(
                    "--switch-scene {spec}: K must be a whole number of frames"
                ))
            })?;
            if frames.is_none_or(|n| n <= at + 10) {
                return Err(CliError::input(anyhow!(
                    "--switch-scene is for measuring: it needs --frames N with N > K + 10"
                )));
            }
            let scene = Scene::load(std::path::Path::new(path)).map_err(CliError::input)?;
            Some((at, scene))
        }
    };
    if args.live && frames.is_none() {
        return Err(CliError::input(anyhow!(
            "--live is for measuring: it needs --frames N (interactively frames never wait)"
        )));
    }
    if args.drag_target && frames.is_none() {
        return Err(CliError::input(anyhow!(
            "--drag-target is for measuring: it needs --frames N"
        )));
    }
    let stall_limit = match args.automation_stall_limit {
        None => AUTOMATION_STALL_LIMIT,
        Some(s) if s.is_finite() && (0.1..=3600.0).contains(&s) => {
            std::time::Duration::from_secs_f64(s)
        }
        Some(s) => {
            return Err(CliError::input(anyhow!(
                "--automation-stall-limit must be 0.1..=3600 seconds, got {s}"
            )));
        }
    };
    viewer::run(ViewOptions {
        scene,
        frames,
        screenshot: args.screenshot.clone(),
        backend: args.backend,
        size: [args.width, args.height],
        resize_steps,
        stall_limit,
        drag_target: args.drag_target,
        live: args.live,
        switch,
    })
    .map_err(CliError::runtime)
}
