//! `fisherflow capture`: render a scenario to a PNG sequence, a GIF or an MP4, headless.

use std::path::PathBuf;

use anyhow::anyhow;
use clap::Args;

use super::{CliError, CliResult, require_parent_folder};
use crate::capture::{self, CANCELLED, Format, Scenario};
use crate::gpu::context::{BackendChoice, GpuContext, GpuOptions};

/// Options of `fisherflow capture`.
#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// The scenario (TOML; format in the README and `scenarios/`).
    #[arg(long, value_name = "FILE.toml")]
    pub scenario: PathBuf,
    /// Output: a folder for PNG frames, or a .gif / .mp4 file.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Frame width in pixels (overrides the scenario).
    #[arg(long)]
    pub width: Option<u32>,
    /// Frame height in pixels (overrides the scenario).
    #[arg(long)]
    pub height: Option<u32>,
    /// Frames per second (overrides the scenario).
    #[arg(long)]
    pub fps: Option<u32>,
    /// png (a folder of frames), gif, or mp4 (needs ffmpeg); default from the extension.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Overwrite an existing output.
    #[arg(long)]
    pub force: bool,
    /// Leave out the overlay (labels, legends) whatever the scenario says.
    #[arg(long)]
    pub no_overlay: bool,
    /// Force a graphics backend.
    #[arg(long, value_enum)]
    pub backend: Option<BackendChoice>,
    /// The model and slice of the initial scene (override the scenario's; keys not given keep
    /// the scenario's values). A different slice refits the view.
    #[command(flatten)]
    pub model: super::ModelArgs,
}

/// Reads and checks the scenario with the command line's overrides.
pub fn load(args: &CaptureArgs) -> Result<Scenario, CliError> {
    let text = std::fs::read_to_string(&args.scenario).map_err(|e| {
        CliError::input(anyhow!(
            "cannot read scenario {}: {e}",
            args.scenario.display()
        ))
    })?;
    let name = args.scenario.display();
    let mut scenario =
        Scenario::parse(&text).map_err(|e| CliError::input(anyhow!("{name}: {e}")))?;
    if let Some(w) = args.width {
        scenario.width = w;
    }
    if let Some(h) = args.height {
        scenario.height = h;
    }
    if let Some(f) = args.fps {
        scenario.fps = f;
    }
    scenario.overlay &= !args.no_overlay;
    if args.model.given() {
        let scene = &mut scenario.scene;
        let slice = args.model.slice.unwrap_or(scene.slice);
        let slice_changed = slice != scene.slice;
        scene.model = args.model.apply(scene.model, &slice)?;
        scene.slice = slice;
        if slice_changed {
            scene.probe = scene
                .probe
                .map(|_| crate::scene::default_probe(&scene.model, &slice));
            scene.fit_view();
        }
    }
    scenario
        .validate()
        .map_err(|e| CliError::input(anyhow!("{name} with the command-line options: {e}")))?;
    Ok(scenario)
}

/// Runs `fisherflow capture`.
pub fn run(args: &CaptureArgs) -> CliResult {
    let scenario = load(args)?;
    let format = args.format.unwrap_or_else(|| Format::from_path(&args.out));
    if args.out.exists() && !args.force {
        return Err(CliError::input(anyhow!(
            "{} already exists; pass --force to overwrite it",
            args.out.display()
        )));
    }
    require_parent_folder("--out", &args.out)?;
    if format == Format::Mp4 && !capture::ffmpeg_available() {
        return Err(CliError::input(anyhow!(
            "MP4 output needs ffmpeg on PATH (Debian: sudo apt-get install ffmpeg); or use --format gif or png"
        )));
    }
    // Ctrl-C stops between frames; the temporary output is removed on the way out.
    let _ = ctrlc::set_handler(|| CANCELLED.store(true, std::sync::atomic::Ordering::SeqCst));
    let ctx = GpuContext::new_headless(GpuOptions {
        backend: args.backend,
        ..Default::default()
    })
    .map_err(CliError::runtime)?;
    let bar = indicatif::ProgressBar::new(scenario.frame_count() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} frames  {per_sec}  eta {eta}",
        )
        .expect("the template is valid"),
    );
    let summary = capture::capture(&ctx, &scenario, &args.out, format, args.force, |done, _| {
        bar.set_position(done as u64)
    })
    .map_err(|e| {
        if CANCELLED.load(std::sync::atomic::Ordering::SeqCst) {
            CliError {
                code: 130,
                error: e,
            }
        } else {
            CliError::runtime(e)
        }
    })?;
    bar.finish_and_clear();
    eprintln!(
        "captured {} frames of {}×{} in {:.1} s ({:.2} frames/s) to {} on {}",
        summary.frames,
        scenario.width,
        scenario.height,
        summary.seconds,
        summary.frames as f64 / summary.seconds,
        args.out.display(),
        ctx.describe()
    );
    Ok(())
}
