//! The `fisherflow` command line: subcommands, their options, and the mapping from errors to
//! exit codes (2: the input was wrong and nothing was written; 1: something failed while
//! running).

pub mod bench;
pub mod capture;
pub mod fim;
pub mod trace;
pub mod view;

use clap::{Parser, Subcommand};

/// An error with the exit code it should produce.
#[derive(Debug)]
pub struct CliError {
    /// 2 for bad input, 1 for failures while running.
    pub code: i32,
    /// The message for stderr.
    pub error: anyhow::Error,
}

impl CliError {
    /// Bad input: exit code 2.
    pub fn input(error: impl Into<anyhow::Error>) -> Self {
        Self {
            code: 2,
            error: error.into(),
        }
    }

    /// A failure while running: exit code 1.
    pub fn runtime(error: impl Into<anyhow::Error>) -> Self {
        Self {
            code: 1,
            error: error.into(),
        }
    }
}

/// Result of a subcommand.
pub type CliResult = Result<(), CliError>;

/// fisherflow: where Euclidean and natural gradient descent part ways on a Gaussian mixture.
#[derive(Debug, Parser)]
#[command(name = "fisherflow", version, about, long_about = None)]
pub struct Cli {
    /// What to do; without a subcommand the viewer opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evaluate F, eigenvalues, κ, L, ∇L and the natural gradient at points (CPU f64 or GPU).
    Fim(fim::FimArgs),
    /// Open the viewer (the default); options set the scene or automate a screenshot.
    View(view::ViewArgs),
    /// One trajectory of the natural or Euclidean gradient flow (particle kernel or its mirror).
    Trace(trace::TraceArgs),
    /// Benchmark GPU against CPU: FIM field, particle advection, frame loop.
    Bench(bench::BenchArgs),
    /// Render a scenario to PNG frames, a GIF or an MP4, headless.
    Capture(capture::CaptureArgs),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> CliResult {
    match cli.command {
        Some(Command::Fim(args)) => fim::run(&args),
        Some(Command::View(args)) => view::run(&args),
        Some(Command::Trace(args)) => trace::run(&args),
        Some(Command::Bench(args)) => bench::run(&args),
        Some(Command::Capture(args)) => capture::run(&args),
        None => view::run(&view::ViewArgs {
            width: 1400,
            height: 900,
            ..Default::default()
        }),
    }
}

/// Parses "A,B" into two finite numbers (used by --target, --probe, --start).
pub fn parse_pair(text: &str) -> Result<[f64; 2], String> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let [a, b] = parts.as_slice() else {
        return Err(format!("expected two numbers as A,B, got `{text}`"));
    };
    let parse = |s: &str| -> Result<f64, String> {
        let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
        if v.is_finite() {
            Ok(v)
        } else {
            Err(format!("`{s}` is not finite"))
        }
    };
    Ok([parse(a)?, parse(b)?])
}

/// Exit code 2 unless the folder that would hold `path` exists (checked before any work, so a
/// typo costs nothing).
pub fn require_parent_folder(option: &str, path: &std::path::Path) -> Result<(), CliError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(".".as_ref());
    if dir.is_dir() {
        Ok(())
    } else {
        Err(CliError::input(anyhow::anyhow!(
            "{option}: folder {} does not exist; create it or choose another path",
            dir.display()
        )))
    }
}
