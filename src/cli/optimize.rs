//! `fisherflow optimize`: race the optimizers of `math::optimize` (gd, momentum, adam, ngd,
//! ngd-damped, ef-ngd, mc-ngd) from one start to the target on a slice of the general mixture,
//! on the f64 CPU path, and print each trajectory with L and the cumulative Fisher–Rao length.
//!
//! Start and target are slice coordinates; the held parameters come from `--model`/`--sigma`
//! ([`ModelArgs`]). JSON: `{"runs": [{"optimizer", "lr", "trajectory": [{"step", "theta",
//! "loss", "fisher_rao_length", "euclidean_length"}, …], "stop": {"reason", …}}, …]}` plus the
//! inputs echoed (`model`, `slice`, `start`, `target`, `steps`, `hyperparameters`). Without
//! `--json` a table per optimizer. Every input is checked before any work: a bad one exits 2
//! with a message naming the option and what to do, and nothing on stdout.

use std::fmt::Write as _;

use anyhow::anyhow;
use clap::Args;

use super::{CliError, CliResult, ModelArgs, parse_pair};
use crate::math::family::MixturePlane;
use crate::math::general::DEFAULT_NODES_GENERAL;
use crate::math::optimize::{Hyperparameters, Optimizer, PerOptimizer, Run, race};
use crate::math::{Model, QuadratureRule, Slice};
use crate::scene::SAMPLES_RANGE;

/// Most updates one run may take (a run of 1e5 steps of all seven takes about a minute).
pub const MAX_STEPS: u32 = 100_000;

/// The loss threshold of the summary's "steps to" column.
pub const CONVERGED: f64 = 1e-6;

/// Options of `fisherflow optimize`.
#[derive(Debug, Args)]
pub struct OptimizeArgs {
    /// Where every optimizer starts, A,B (slice coordinates; the held parameters from
    /// --model).
    #[arg(long, value_name = "A,B", value_parser = parse_pair, allow_hyphen_values = true)]
    pub start: [f64; 2],
    /// The target θ* = A,B (slice coordinates): L = KL(p_θ* ‖ p_θ).
    #[arg(long, value_name = "A,B", value_parser = parse_pair, allow_hyphen_values = true)]
    pub target: [f64; 2],
    /// Optimizers to run, comma-separated: gd, momentum, adam, ngd, ngd-damped, ef-ngd, mc-ngd
    /// (default: all seven).
    #[arg(long, value_name = "NAME,…")]
    pub optimizer: Option<String>,
    /// Learning rate: one value L for all, or NAME=L,… per optimizer (a bare L among them is
    /// the value for the rest), e.g. `0.1,ngd=1,adam=0.05`.
    #[arg(long, value_name = "L | NAME=L,…", allow_hyphen_values = true)]
    pub lr: String,
    /// Updates per optimizer (1 to 100000).
    #[arg(long)]
    pub steps: u32,
    /// λ of ngd-damped, (F + λI)⁻¹∇L (finite, >= 0; default 1e-3).
    #[arg(long, allow_negative_numbers = true)]
    pub damping: Option<f64>,
    /// Heavy-ball β of momentum, v ← βv + ∇L (in [0, 1); default 0.9).
    #[arg(long, allow_negative_numbers = true)]
    pub momentum: Option<f64>,
    /// Adam's β1 (in [0, 1); default 0.9).
    #[arg(long, allow_negative_numbers = true)]
    pub beta1: Option<f64>,
    /// Adam's β2 (in [0, 1); default 0.999).
    #[arg(long, allow_negative_numbers = true)]
    pub beta2: Option<f64>,
    /// Adam's ε (> 0; default 1e-8).
    #[arg(long, allow_negative_numbers = true)]
    pub eps: Option<f64>,
    /// Model samples per step of mc-ngd (2 to 1048576; default 1000).
    #[arg(long)]
    pub samples: Option<u32>,
    /// Seed of mc-ngd's samples (step k draws resample k; default 1).
    #[arg(long)]
    pub seed: Option<u32>,
    /// The model (defaults π = ½, μ1 = μ2 = 0, σ1 = σ2 = 1), the slice (default mu1,mu2) and
    /// --sigma S for σ1 = σ2 = S.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Quadrature nodes per mixture component (even).
    #[arg(long, default_value_t = DEFAULT_NODES_GENERAL)]
    pub nodes: u32,
    /// Print JSON instead of a readable table.
    #[arg(long)]
    pub json: bool,
}

fn bad(msg: String) -> CliError {
    CliError::input(anyhow!(msg))
}

/// The selected optimizers in [`Optimizer::ALL`] order (no repeats).
pub fn parse_optimizers(text: Option<&str>) -> Result<Vec<Optimizer>, CliError> {
    let Some(text) = text else {
        return Ok(Optimizer::ALL.to_vec());
    };
    let mut chosen = PerOptimizer::splat(false);
    for name in text.split(',').map(str::trim) {
        if name.is_empty() {
            return Err(bad(format!(
                "--optimizer: empty name in `{text}`; give names separated by commas, e.g. gd,ngd"
            )));
        }
        let o: Optimizer = name
            .parse()
            .map_err(|e: String| bad(format!("--optimizer: {e}")))?;
        if chosen.get(o) {
            return Err(bad(format!("--optimizer: {o} given twice")));
        }
        *chosen.get_mut(o) = true;
    }
    Ok(Optimizer::ALL
        .into_iter()
        .filter(|&o| chosen.get(o))
        .collect())
}

/// Parses --lr (`L` or `NAME=L,…`, a bare L being the value for the optimizers not named)
/// for the selected optimizers: every rate finite and > 0, every name selected, every selected
/// optimizer given a rate.
pub fn parse_lr(text: &str, selected: &[Optimizer]) -> Result<PerOptimizer<f64>, CliError> {
    let number = |s: &str, what: &str| -> Result<f64, CliError> {
        let v: f64 = s
            .trim()
            .parse()
            .map_err(|_| bad(format!("--lr: {what}: `{}` is not a number", s.trim())))?;
        if v.is_finite() && v > 0.0 {
            Ok(v)
        } else {
            Err(bad(format!(
                "--lr: {what}: the learning rate must be a finite number > 0, got {v}"
            )))
        }
    };
    let mut default = None;
    let mut named: PerOptimizer<Option<f64>> = PerOptimizer::splat(None);
    for entry in text.split(',').map(str::trim) {
        match entry.split_once('=') {
            None => {
                if default.is_some() {
                    return Err(bad(format!(
                        "--lr: two bare values in `{text}`; give one value for all, or NAME=L \
                         for each optimizer"
                    )));
                }
                default = Some(number(entry, "value")?);
            }
            Some((name, value)) => {
                let o: Optimizer = name
                    .trim()
                    .parse()
                    .map_err(|e: String| bad(format!("--lr: {e}")))?;
                if !selected.contains(&o) {
                    // Scripts may pass every optimizer's rate and select a few: the rate is
                    // still checked, then ignored, with a note.
                    number(value, o.name())?;
                    eprintln!("note: --lr: {o} is not selected; its rate is ignored");
                    continue;
                }
                if named.get(o).is_some() {
                    return Err(bad(format!("--lr: {o} given twice")));
                }
                *named.get_mut(o) = Some(number(value, o.name())?);
            }
        }
    }
    let mut out = PerOptimizer::splat(f64::NAN);
    for &o in selected {
        *out.get_mut(o) = named.get(o).or(default).ok_or_else(|| {
            bad(format!(
                "--lr: no learning rate for {o}; add {o}=L or a bare L for the rest"
            ))
        })?;
    }
    Ok(out)
}

/// The hyperparameters from the options, each checked. One that no selected optimizer uses
/// (the contract: `--damping` applies to ngd-damped only) is ignored with a note on
/// stderr, so a script may pass them all and select a few optimizers.
fn hyperparameters(
    args: &OptimizeArgs,
    selected: &[Optimizer],
) -> Result<Hyperparameters, CliError> {
    let mut h = Hyperparameters::default();
    let uses = |option: &str, users: &[Optimizer]| -> Result<(), CliError> {
        if !users.iter().any(|o| selected.contains(o)) {
            let names: Vec<&str> = users.iter().map(|o| o.name()).collect();
            eprintln!(
                "note: --{option} applies to {} only, which is not selected; it is ignored",
                names.join(", ")
            );
        }
        Ok(())
    };
    let unit = |option: &str, v: f64| -> Result<f64, CliError> {
        if v.is_finite() && (0.0..1.0).contains(&v) {
            Ok(v)
        } else {
            Err(bad(format!(
                "--{option} must be a number in [0, 1), got {v}"
            )))
        }
    };
    if let Some(v) = args.damping {
        uses("damping", &[Optimizer::NgdDamped])?;
        crate::math::validate_damping(v).map_err(|e| bad(format!("--damping: {e}")))?;
        h.damping = v;
    }
    if let Some(v) = args.momentum {
        uses("momentum", &[Optimizer::Momentum])?;
        h.momentum = unit("momentum", v)?;
    }
    if let Some(v) = args.beta1 {
        uses("beta1", &[Optimizer::Adam])?;
        h.beta1 = unit("beta1", v)?;
    }
    if let Some(v) = args.beta2 {
        uses("beta2", &[Optimizer::Adam])?;
        h.beta2 = unit("beta2", v)?;
    }
    if let Some(v) = args.eps {
        uses("eps", &[Optimizer::Adam])?;
        if !(v.is_finite() && v > 0.0) {
            return Err(bad(format!("--eps must be a finite number > 0, got {v}")));
        }
        h.eps = v;
    }
    if let Some(n) = args.samples {
        uses("samples", &[Optimizer::McNgd])?;
        if !(SAMPLES_RANGE.0..=SAMPLES_RANGE.1).contains(&n) {
            return Err(bad(format!(
                "--samples must be from {} to {}, got {n}",
                SAMPLES_RANGE.0, SAMPLES_RANGE.1
            )));
        }
        h.samples = n;
    }
    if let Some(s) = args.seed {
        uses("seed", &[Optimizer::McNgd])?;
        h.seed = s;
    }
    Ok(h)
}

/// Runs `fisherflow optimize`.
pub fn run(args: &OptimizeArgs) -> CliResult {
    let selected = parse_optimizers(args.optimizer.as_deref())?;
    let lr = parse_lr(&args.lr, &selected)?;
    let hyper = hyperparameters(args, &selected)?;
    if !(1..=MAX_STEPS).contains(&args.steps) {
        return Err(bad(format!(
            "--steps must be from 1 to {MAX_STEPS}, got {}",
            args.steps
        )));
    }
    let slice = args.model.slice.unwrap_or(Slice::SEED);
    let base = args.model.apply(Model::default(), &slice)?;
    let rule =
        QuadratureRule::new(args.nodes).map_err(|e| CliError::input(anyhow!("--nodes: {e}")))?;
    let check = |option: &str, xy: [f64; 2]| {
        let m = slice.place(&base, xy);
        m.validate_for(&slice).map(|()| m).map_err(|e| {
            bad(format!(
                "--{option}: the point ({}, {}) is outside the model: {e}; choose a point inside it",
                xy[0], xy[1]
            ))
        })
    };
    let target = check("target", args.target)?;
    check("start", args.start)?;
    let plane = MixturePlane::new(&target, &slice, &rule);
    let runs = race(&plane, args.start, &selected, &lr, args.steps, &hyper);
    let text = if args.json {
        let out = serde_json::json!({
            "model": target,
            "slice": slice,
            "start": args.start,
            "target": args.target,
            "steps": args.steps,
            "hyperparameters": hyper,
            "runs": runs,
        });
        serde_json::to_string_pretty(&out).map_err(CliError::runtime)? + "\n"
    } else {
        table(&slice, args.start, args.target, &runs)
    };
    print!("{text}");
    Ok(())
}

/// The readable summary: per optimizer, steps to L < 1e-6, final L, Euclidean and Fisher–Rao
/// path length and why it stopped.
pub fn table(slice: &Slice, start: [f64; 2], target: [f64; 2], runs: &[Run]) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "optimizer race on slice {slice} from ({}, {}) to ({}, {}):",
        start[0], start[1], target[0], target[1]
    );
    let _ = writeln!(
        t,
        "{:<11} {:>9} {:>7} {:>10} {:>11} {:>10} {:>11}  stop",
        "optimizer", "lr", "steps", "to L<1e-6", "final L", "Euclidean", "Fisher–Rao"
    );
    for r in runs {
        let last = r.last();
        let to = r
            .steps_to(CONVERGED)
            .map_or("-".to_owned(), |s| s.to_string());
        let stop = match &r.stop {
            crate::math::optimize::Stop::Completed => "completed".to_owned(),
            crate::math::optimize::Stop::LeftDomain { step, detail, .. } => {
                format!("left the domain at step {step}: {detail}")
            }
            crate::math::optimize::Stop::Breakdown { step, detail } => {
                format!("breakdown at step {step}: {detail}")
            }
        };
        let _ = writeln!(
            t,
            "{:<11} {:>9.3e} {:>7} {:>10} {:>11.3e} {:>10.4} {:>11.4}  {stop}",
            r.optimizer.name(),
            r.lr,
            last.map_or(0, |s| s.step),
            to,
            last.map_or(f64::NAN, |s| crate::math::loss::shown_divergence(s.loss)),
            last.map_or(0.0, |s| s.euclidean_length),
            last.map_or(0.0, |s| s.fisher_rao_length),
        );
    }
    t
}
