//! The `fisherflow` command line: subcommands, their options, and the mapping from errors to
//! exit codes (2: the input was wrong and nothing was written; 1: something failed while
//! running).

pub mod bench;
pub mod capture;
pub mod fim;
pub mod fim_policy;
pub mod geodesic;
pub mod kfac;
pub mod optimize;
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

/// What a command computed: the JSON object `--json` prints and the readable text. The
/// commands' `evaluate` functions return it (the Python package calls them too, so its numbers
/// and its messages are the commands'); their `run` prints it.
#[derive(Clone, Debug)]
pub struct Output {
    /// The object `--json` prints.
    pub json: serde_json::Value,
    /// The readable summary.
    pub text: String,
    /// Notes for stderr (an option no selected optimizer uses, …): the CLI prints them as
    /// `note: …`, the Python package raises them as warnings.
    pub notes: Vec<String>,
}

impl Output {
    /// Prints the JSON (indented, or on one line when `compact`) with `as_json`, else the text.
    pub fn print(&self, as_json: bool, compact: bool) -> CliResult {
        for note in &self.notes {
            eprintln!("note: {note}");
        }
        if !as_json {
            print!("{}", self.text);
            return Ok(());
        }
        let json = if compact {
            serde_json::to_string(&self.json)
        } else {
            serde_json::to_string_pretty(&self.json)
        };
        println!("{}", json.map_err(CliError::runtime)?);
        Ok(())
    }
}

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
    /// Fisher–Rao geodesics on a slice: the shortest path to --to, or the exponential map
    /// along --direction for --length.
    Geodesic(geodesic::GeodesicArgs),
    /// Race the optimizers (gd, momentum, adam, ngd, ngd-damped, ef-ngd, mc-ngd) from one start
    /// to the target on a slice (f64, CPU): trajectories, L and Fisher–Rao path lengths.
    Optimize(optimize::OptimizeArgs),
    /// The K-FAC lab's numbers: a small classifier on the mixture, its exact layer Fisher
    /// blocks against K-FAC's A and G, the error and the natural-gradient cosine.
    Kfac(kfac::KfacArgs),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> CliResult {
    match cli.command {
        Some(Command::Fim(args)) => fim::run(&args),
        Some(Command::View(args)) => view::run(&args),
        Some(Command::Trace(args)) => trace::run(&args),
        Some(Command::Bench(args)) => bench::run(&args),
        Some(Command::Capture(args)) => capture::run(&args),
        Some(Command::Geodesic(args)) => geodesic::run(&args),
        Some(Command::Optimize(args)) => optimize::run(&args),
        Some(Command::Kfac(args)) => kfac::run(&args),
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

/// `--model`, `--slice` and `--sigma`: the general mixture and the slice a scene command
/// (view, trace, capture, bench) works on.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ModelArgs {
    /// The model: any of pi=…,mu1=…,mu2=…,sigma1=…,sigma2=… (keys given override the
    /// command's defaults; see --help of each command). Slice coordinates given elsewhere
    /// (--target, --probe, --start) override the two slice parameters.
    #[arg(long, value_name = "KEY=VALUE,…", value_parser = parse_model_spec, allow_hyphen_values = true)]
    pub model: Option<ModelSpec>,
    /// The slice: two parameter names A,B (default mu1,mu2); slice coordinates are (A, B), A on
    /// the horizontal axis.
    #[arg(long, value_name = "A,B", value_parser = parse_slice)]
    pub slice: Option<crate::math::Slice>,
    /// Shorthand for --model sigma1=S,sigma2=S (an error together with a --model that names
    /// sigma1 or sigma2).
    #[arg(long, allow_negative_numbers = true)]
    pub sigma: Option<f64>,
}

/// Parses `--system KEY=VALUE,…` (the policy plane's keys, MATH.md), every key checked.
pub fn parse_system(text: &str) -> Result<crate::math::policy::System, CliError> {
    text.parse().map_err(|e| {
        CliError::input(anyhow::anyhow!(
            "--{e}; the keys are plant=cart|pendulum, dt, friction, omega2 (pendulum), q_pos, \
             q_vel, r, x0_pos, x0_vel, exploration (MATH.md, \"The policy plane\")"
        ))
    })
}

/// With `--system` the canvas is the policy plane's gains: the mixture's options (`--model`,
/// `--slice`, `--sigma`, and `others`, each with whether it was given) are refused (exit 2).
pub fn refuse_mixture_options(model: &ModelArgs, others: &[(bool, &str)]) -> Result<(), CliError> {
    let given = [
        (model.model.is_some(), "--model"),
        (model.slice.is_some(), "--slice"),
        (model.sigma.is_some(), "--sigma"),
    ];
    match given.iter().chain(others).find(|(g, _)| *g) {
        Some((_, option)) => Err(CliError::input(anyhow::anyhow!(
            "{option} is the mixture's; with --system the canvas is the gains K = (k1, k2) and the \
             target the optimum K* (computed): drop {option}"
        ))),
        None => Ok(()),
    }
}

/// Parsed `--model`: parameter values in the order given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelSpec(pub Vec<(crate::math::Param, f64)>);

/// Parses `pi=0.3,mu1=-1` (names from `Param`, values any number; ranges are checked with the
/// whole model, so the error can name the field).
pub fn parse_model_spec(text: &str) -> Result<ModelSpec, String> {
    let mut out: Vec<(crate::math::Param, f64)> = Vec::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (key, value) = entry
            .split_once('=')
            .ok_or_else(|| format!("`{entry}`: expected KEY=VALUE, e.g. pi=0.3"))?;
        let param: crate::math::Param = key.trim().parse().map_err(|e| format!("{e}"))?;
        let v: f64 = value
            .trim()
            .parse()
            .map_err(|_| format!("{param}: `{}` is not a number", value.trim()))?;
        if out.iter().any(|(p, _)| *p == param) {
            return Err(format!("{param} given twice"));
        }
        out.push((param, v));
    }
    if out.is_empty() {
        return Err("expected KEY=VALUE pairs, e.g. pi=0.3,sigma1=0.5".into());
    }
    Ok(ModelSpec(out))
}

/// Parses `--slice a,b`.
pub fn parse_slice(text: &str) -> Result<crate::math::Slice, String> {
    text.parse()
        .map_err(|e: crate::math::ModelError| e.to_string())
}

impl ModelArgs {
    /// `base` with the keys of --model and --sigma applied; the slice is checked against the
    /// result (π strictly inside (0, 1) when the slice varies it). Errors name the option and
    /// the field (exit 2).
    pub fn apply(
        &self,
        base: crate::math::Model,
        slice: &crate::math::Slice,
    ) -> Result<crate::math::Model, CliError> {
        use crate::math::Param;
        let mut model = base;
        let names_sigma = self.model.as_ref().is_some_and(|m| {
            m.0.iter()
                .any(|(p, _)| matches!(p, Param::Sigma1 | Param::Sigma2))
        });
        if let Some(spec) = &self.model {
            for &(p, v) in &spec.0 {
                model = model.with(p, v);
            }
        }
        if let Some(s) = self.sigma {
            if names_sigma {
                return Err(CliError::input(anyhow::anyhow!(
                    "--sigma: given together with --model sigma1/sigma2; use one of them"
                )));
            }
            model.sigma1 = s;
            model.sigma2 = s;
        }
        model.validate_for(slice).map_err(|e| {
            let option = match (&self.sigma, &e) {
                (Some(_), crate::math::ModelError::Sigma { .. }) if !names_sigma => "--sigma",
                _ => "--model",
            };
            CliError::input(anyhow::anyhow!("{option}: {e}"))
        })?;
        Ok(model)
    }

    /// Whether any of the three options was given.
    pub fn given(&self) -> bool {
        self.model.is_some() || self.slice.is_some() || self.sigma.is_some()
    }
}
