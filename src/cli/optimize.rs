//! `fisherflow optimize`: race the optimizers of `math::optimize` from one start on a family's
//! plane, on the f64 CPU path, and print each trajectory with the loss and the cumulative
//! Fisher–Rao length.
//!
//! * The mixture (default): gd, momentum, adam, ngd, ngd-damped, ef-ngd, mc-ngd toward the
//!   target on a slice. Start and target are slice coordinates; the held parameters come from
//!   `--model`/`--sigma` ([`ModelArgs`]).
//! * The policy plane (`--system KEY=VALUE,…`): gd, momentum, adam, npg, gauss-newton from
//!   gains `--start` toward the DARE optimum K*, the loss the cost C(K). A run that leaves the
//!   stability triangle stops with `left-domain` ("unstable: ρ(A_K) = …"), the point outside in
//!   `stop.theta` and not in the trajectory.
//!
//! JSON: `{"runs": [{"optimizer", "lr", "trajectory": [{"step", "theta", "loss",
//! "fisher_rao_length", "euclidean_length"}, …], "stop": {"reason", …}}, …]}` plus the inputs
//! echoed (`model`, `slice`, `start`, `target`, or `system`, `start` and `"optimum": {"theta",
//! "loss"}`; `steps`, `hyperparameters`). Without `--json` a table per optimizer. Every input
//! is checked before any work: a bad one exits 2 with a message naming the option and what to
//! do, and nothing on stdout.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::anyhow;
use clap::Args;

use super::{
    CliError, CliResult, ModelArgs, Output, parse_pair, parse_system, refuse_mixture_options,
};
use crate::math::family::MixturePlane;
use crate::math::family::Plane;
use crate::math::general::DEFAULT_NODES_GENERAL;
use crate::math::optimize::{Hyperparameters, Optimizer, Run, race};
use crate::math::policy::PolicyPlane;
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
    /// The target θ* = A,B (slice coordinates): L = KL(p_θ* ‖ p_θ). The mixture's; required
    /// there, an error with --system (whose target K* is computed).
    #[arg(long, value_name = "A,B", value_parser = parse_pair, allow_hyphen_values = true)]
    pub target: Option<[f64; 2]>,
    /// The policy plane instead of the mixture: plant=cart|pendulum and any of dt, friction,
    /// omega2 (pendulum), q_pos, q_vel, r, x0_pos, x0_vel, exploration (MATH.md); --start is
    /// then the gains K1,K2.
    #[arg(long, value_name = "KEY=VALUE,…")]
    pub system: Option<String>,
    /// Optimizers to run, comma-separated. The mixture's: gd, momentum, adam, ngd, ngd-damped,
    /// ef-ngd, mc-ngd (default: all seven); the policy plane's: gd, momentum, adam, npg,
    /// gauss-newton, pg-mc, npg-mc (default: the first five; the sample-based two when named).
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
    /// Model samples per step of mc-ngd, or rollouts per step of pg-mc and npg-mc (2 to
    /// 1048576; default 1000).
    #[arg(long)]
    pub samples: Option<u32>,
    /// Rollout horizon H of pg-mc and npg-mc (1 to 10000; default 30).
    #[arg(long)]
    pub horizon: Option<u32>,
    /// Seed of mc-ngd's samples and of pg-mc's and npg-mc's rollouts (step k draws resample
    /// k; default 1).
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

/// An optimizer's name, which must be one of `family`'s.
fn family_optimizer(name: &str, family: &[Optimizer], option: &str) -> Result<Optimizer, CliError> {
    let o: Optimizer = name
        .trim()
        .parse()
        .map_err(|e: String| bad(format!("--{option}: {e}")))?;
    if family.contains(&o) {
        return Ok(o);
    }
    let names: Vec<&str> = family.iter().map(|o| o.name()).collect();
    let (this, other) = if family.contains(&Optimizer::Npg) {
        ("the policy plane (--system)", "the mixture's")
    } else {
        ("the mixture", "the policy plane's (--system)")
    };
    Err(bad(format!(
        "--{option}: {o} is {other}; on {this} choose from {}",
        names.join(", ")
    )))
}

/// The selected optimizers of `family` in its order (no repeats); `default` when none are
/// named.
pub fn parse_optimizers(
    text: Option<&str>,
    family: &[Optimizer],
    default: &[Optimizer],
) -> Result<Vec<Optimizer>, CliError> {
    let Some(text) = text else {
        return Ok(default.to_vec());
    };
    let mut chosen = Vec::new();
    for name in text.split(',').map(str::trim) {
        if name.is_empty() {
            return Err(bad(format!(
                "--optimizer: empty name in `{text}`; give names separated by commas, e.g. gd,ngd"
            )));
        }
        let o = family_optimizer(name, family, "optimizer")?;
        if chosen.contains(&o) {
            return Err(bad(format!("--optimizer: {o} given twice")));
        }
        chosen.push(o);
    }
    Ok(family
        .iter()
        .copied()
        .filter(|o| chosen.contains(o))
        .collect())
}

/// Parses --lr (`L` or `NAME=L,…`, a bare L being the value for the optimizers not named)
/// for the selected optimizers: every rate finite and > 0, every name selected, every selected
/// optimizer given a rate, every name one of `family`'s.
pub fn parse_lr(
    text: &str,
    selected: &[Optimizer],
    family: &[Optimizer],
    notes: &mut Vec<String>,
) -> Result<BTreeMap<Optimizer, f64>, CliError> {
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
    let mut named: BTreeMap<Optimizer, f64> = BTreeMap::new();
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
                let o = family_optimizer(name, family, "lr")?;
                if !selected.contains(&o) {
                    // Scripts may pass every optimizer's rate and select a few: the rate is
                    // still checked, then ignored, with a note.
                    number(value, o.name())?;
                    notes.push(format!("--lr: {o} is not selected; its rate is ignored"));
                    continue;
                }
                if named.contains_key(&o) {
                    return Err(bad(format!("--lr: {o} given twice")));
                }
                named.insert(o, number(value, o.name())?);
            }
        }
    }
    let mut out = BTreeMap::new();
    for &o in selected {
        let rate = named.get(&o).copied().or(default).ok_or_else(|| {
            bad(format!(
                "--lr: no learning rate for {o}; add {o}=L or a bare L for the rest"
            ))
        })?;
        out.insert(o, rate);
    }
    Ok(out)
}

/// The hyperparameters from the options, each checked. One that no selected optimizer uses
/// (the contract: `--damping` applies to ngd-damped only) is ignored with a note on
/// stderr, so a script may pass them all and select a few optimizers.
fn hyperparameters(
    args: &OptimizeArgs,
    selected: &[Optimizer],
    notes: &mut Vec<String>,
) -> Result<Hyperparameters, CliError> {
    let mut h = Hyperparameters::default();
    let mut uses = |option: &str, users: &[Optimizer]| -> Result<(), CliError> {
        if !users.iter().any(|o| selected.contains(o)) {
            let names: Vec<&str> = users.iter().map(|o| o.name()).collect();
            notes.push(format!(
                "--{option} applies to {} only, which is not selected; it is ignored",
                names.join(", ")
            ));
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
    let sampled = [Optimizer::McNgd, Optimizer::PgMc, Optimizer::NpgMc];
    if let Some(n) = args.samples {
        uses("samples", &sampled)?;
        if !(SAMPLES_RANGE.0..=SAMPLES_RANGE.1).contains(&n) {
            return Err(bad(format!(
                "--samples must be from {} to {}, got {n}",
                SAMPLES_RANGE.0, SAMPLES_RANGE.1
            )));
        }
        h.samples = n;
    }
    if let Some(s) = args.seed {
        uses("seed", &sampled)?;
        h.seed = s;
    }
    if let Some(horizon) = args.horizon {
        uses("horizon", &[Optimizer::PgMc, Optimizer::NpgMc])?;
        let max = crate::math::policy::sampling::MAX_HORIZON;
        if !(1..=max).contains(&horizon) {
            return Err(bad(format!(
                "--horizon must be from 1 to {max}, got {horizon}"
            )));
        }
        h.horizon = horizon;
    }
    if selected.iter().any(|o| o.is_sampled())
        && h.samples as u64 * (h.horizon as u64 + 2) > crate::math::policy::sampling::MAX_DRAWS
    {
        return Err(bad(format!(
            "--samples {} × (--horizon {} + 2) draws per step exceed {}; use fewer rollouts \
             or a shorter horizon",
            h.samples,
            h.horizon,
            crate::math::policy::sampling::MAX_DRAWS
        )));
    }
    Ok(h)
}

/// Runs `fisherflow optimize`.
pub fn run(args: &OptimizeArgs) -> CliResult {
    evaluate(args)?.print(args.json, false)
}

/// Checks the options and runs the race (what [`run`] prints; the Python package calls this
/// too, so its numbers and its error messages are the command's).
pub fn evaluate(args: &OptimizeArgs) -> Result<Output, CliError> {
    if let Some(system) = &args.system {
        return evaluate_policy(args, system);
    }
    let selected = parse_optimizers(
        args.optimizer.as_deref(),
        &Optimizer::MIXTURE,
        &Optimizer::MIXTURE,
    )?;
    let mut notes = Vec::new();
    let lr = parse_lr(&args.lr, &selected, &Optimizer::MIXTURE, &mut notes)?;
    let hyper = hyperparameters(args, &selected, &mut notes)?;
    check_steps(args.steps)?;
    let Some(target_xy) = args.target else {
        return Err(bad(
            "--target A,B is required on the mixture (the target θ*, slice coordinates); \
             or give --system for the policy plane"
                .into(),
        ));
    };
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
    let target = check("target", target_xy)?;
    check("start", args.start)?;
    let plane = MixturePlane::new(&target, &slice, &rule);
    let head = serde_json::json!({
        "model": target,
        "slice": slice,
        "start": args.start,
        "target": target_xy,
    });
    let (runs, json) = race_with_json(&plane, args, &selected, &lr, &hyper, head);
    let text = {
        let title = format!(
            "optimizer race on slice {slice} from ({}, {}) to ({}, {}):",
            args.start[0], args.start[1], target_xy[0], target_xy[1]
        );
        table(
            &title,
            &runs,
            |loss| loss < CONVERGED,
            "to L<1e-6",
            ("final L", crate::math::loss::shown_divergence),
        )
    };
    Ok(Output { json, text, notes })
}

/// Races the selected optimizers on `plane` from `--start` and forms the JSON: `head`'s keys
/// (the family's: model and slice, or system and optimum), then the steps, the
/// hyperparameters and the runs.
fn race_with_json(
    plane: &dyn Plane,
    args: &OptimizeArgs,
    selected: &[Optimizer],
    lr: &BTreeMap<Optimizer, f64>,
    hyper: &Hyperparameters,
    head: serde_json::Value,
) -> (Vec<Run>, serde_json::Value) {
    let runs = race(plane, args.start, selected, |o| lr[&o], args.steps, hyper);
    let mut out = head;
    out["steps"] = serde_json::json!(args.steps);
    out["hyperparameters"] = serde_json::json!(hyper);
    out["runs"] = serde_json::json!(runs);
    (runs, out)
}

fn check_steps(steps: u32) -> Result<(), CliError> {
    if (1..=MAX_STEPS).contains(&steps) {
        Ok(())
    } else {
        Err(bad(format!(
            "--steps must be from 1 to {MAX_STEPS}, got {steps}"
        )))
    }
}

/// The policy plane's race (`--system`): the mixture's options are refused, the start must lie
/// inside the stability triangle, and the JSON adds the optimum K*.
fn evaluate_policy(args: &OptimizeArgs, system_text: &str) -> Result<Output, CliError> {
    let system = parse_system(system_text)?;
    refuse_mixture_options(&args.model, &[(args.target.is_some(), "--target")])?;
    let selected = parse_optimizers(
        args.optimizer.as_deref(),
        &Optimizer::POLICY,
        &Optimizer::POLICY_RACE,
    )?;
    let mut notes = Vec::new();
    let lr = parse_lr(&args.lr, &selected, &Optimizer::POLICY, &mut notes)?;
    let hyper = hyperparameters(args, &selected, &mut notes)?;
    check_steps(args.steps)?;
    let plane = PolicyPlane::new(&system);
    let (k_star, c_star) = plane.lqr.optimum();
    plane.check(args.start).map_err(|e| {
        bad(format!(
            "--start: the gains ({}, {}) are outside the stability triangle ({e}); choose gains \
             inside it, e.g. near the optimum K* = ({:.4}, {:.4})",
            args.start[0], args.start[1], k_star[0], k_star[1]
        ))
    })?;
    let head = serde_json::json!({
        "system": system,
        "start": args.start,
        "optimum": { "theta": k_star, "loss": c_star },
    });
    let (runs, json) = race_with_json(&plane, args, &selected, &lr, &hyper, head);
    let text = {
        let title = format!(
            "optimizer race on the {} policy plane ({system}) from K = ({}, {}); K* = ({:.6}, \
             {:.6}), C* = {c_star:.10}:",
            system.plant.name(),
            args.start[0],
            args.start[1],
            k_star[0],
            k_star[1]
        );
        let mut text = table(
            &title,
            &runs,
            |cost| cost <= c_star * (1.0 + CONVERGED),
            "to C≤C*(1+ε)",
            ("final C/C*−1", |cost| cost / c_star - 1.0),
        );
        text.push_str(&learning_costs(&plane, c_star, &runs));
        text
    };
    Ok(Output { json, text, notes })
}

/// What learning cost on the plant, per run: Σᵢ (C(Kᵢ) − C*) over the iterates (the cost paid
/// while learning) and Σᵢ E_u(Kᵢ) (the control energy spent), and whether it crashed.
fn learning_costs(plane: &PolicyPlane, c_star: f64, runs: &[Run]) -> String {
    let mut t = String::from(
        "while learning: Σ (C − C*) over the iterates, Σ E_u (control energy), crash\n",
    );
    for r in runs {
        let (mut paid, mut energy) = (0.0, 0.0);
        for s in &r.trajectory {
            if let Some(c) = plane.lqr.evaluate(s.theta).closed {
                paid += c.cost - c_star;
                energy += c.control_energy;
            }
        }
        let crash = match &r.stop {
            crate::math::optimize::Stop::LeftDomain { step, .. } => format!("at step {step}"),
            _ => "none".to_owned(),
        };
        let _ = writeln!(
            t,
            "{:<12} {:>12.4e} {:>12.4e}   {crash}",
            r.optimizer.name(),
            paid,
            energy
        );
    }
    t
}

/// The readable summary: per optimizer, the first step that `converged` accepts (its column
/// named `to`), the final loss as `shown` (the mixture's L, the policy plane's C/C* − 1, its
/// column named `shown_label`),
/// the Euclidean and Fisher–Rao path lengths and why it stopped.
pub fn table(
    title: &str,
    runs: &[Run],
    converged: impl Fn(f64) -> bool,
    to: &str,
    (shown_label, shown): (&str, impl Fn(f64) -> f64),
) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "{title}");
    let _ = writeln!(
        t,
        "{:<12} {:>9} {:>7} {:>13} {:>12} {:>10} {:>11}  stop",
        "optimizer", "lr", "steps", to, shown_label, "Euclidean", "Fisher–Rao"
    );
    for r in runs {
        let last = r.last();
        let reached = r
            .trajectory
            .iter()
            .find(|s| converged(s.loss))
            .map_or("-".to_owned(), |s| s.step.to_string());
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
            "{:<12} {:>9.3e} {:>7} {:>13} {:>12.3e} {:>10.4} {:>11.4}  {stop}",
            r.optimizer.name(),
            r.lr,
            last.map_or(0, |s| s.step),
            reached,
            last.map_or(f64::NAN, |s| shown(s.loss)),
            last.map_or(0.0, |s| s.euclidean_length),
            last.map_or(0.0, |s| s.fisher_rao_length),
        );
    }
    t
}
