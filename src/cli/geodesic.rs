//! `fisherflow geodesic`: Fisher–Rao geodesics on a slice of the general mixture, or with
//! `--system KEY=VALUE,…` on the policy plane of gains K, in f64 (`math::geodesic`). Two forms:
//!
//! * `--from X,Y --to X,Y`: the shortest path within the slice and its length, the slice
//!   distance (JSON keys `distance`, `path`, plus `method` and `error_estimate`);
//! * `--from X,Y --direction U,V --length S`: the exponential map, the geodesic leaving `from`
//!   along `direction` at unit Fisher–Rao speed for length S (keys `path`, `end`, `length`,
//!   and `stopped` — "left the model" or "singular set" — only when it stopped early, `length`
//!   then being the length reached).
//!
//! Points are slice coordinates, the held parameters from `--model`/`--sigma` ([`ModelArgs`]);
//! with `--system` they are gains K1,K2 inside the stability triangle, and a ray that reaches
//! an edge stops with `"stopped": "left the model"` and the length to it. Every input is checked before any work: a bad one exits 2 with a message
//! naming the option and what to do, and nothing on stdout.

use std::fmt::Write as _;

use anyhow::anyhow;
use clap::Args;

use super::{
    CliError, CliResult, ModelArgs, Output, parse_pair, parse_system, refuse_mixture_options,
};
use crate::math::family::{MixturePlane, Plane};
use crate::math::general::DEFAULT_NODES_GENERAL;
use crate::math::geodesic::{GeodesicError, exp_map, shortest_path};
use crate::math::policy::PolicyPlane;
use crate::math::{Model, QuadratureRule, Slice};

/// Options of `fisherflow geodesic`.
#[derive(Debug, Args)]
pub struct GeodesicArgs {
    /// Start point A,B (slice coordinates; the held parameters from --model).
    #[arg(long, value_name = "A,B", value_parser = parse_pair, allow_hyphen_values = true)]
    pub from: [f64; 2],
    /// End point A,B: print the shortest path within the slice and its length.
    #[arg(long, value_name = "A,B", value_parser = parse_pair, allow_hyphen_values = true)]
    pub to: Option<[f64; 2]>,
    /// Initial direction U,V (slice coordinates, any nonzero length: it is normalized to unit
    /// Fisher–Rao speed): print the exponential map; needs --length.
    #[arg(long, value_name = "U,V", value_parser = parse_pair, allow_hyphen_values = true)]
    pub direction: Option<[f64; 2]>,
    /// Fisher–Rao length to travel along --direction (finite, >= 0).
    #[arg(long, value_name = "S", allow_negative_numbers = true)]
    pub length: Option<f64>,
    /// The model (defaults π = ½, μ1 = μ2 = 0, σ1 = σ2 = 1), the slice (default mu1,mu2) and
    /// --sigma S for σ1 = σ2 = S.
    #[command(flatten)]
    pub model: ModelArgs,
    /// The policy plane instead of the mixture: plant=cart|pendulum and any of dt, friction,
    /// omega2 (pendulum), q_pos, q_vel, r, x0_pos, x0_vel, exploration (MATH.md); the points
    /// are then gains K1,K2.
    #[arg(long, value_name = "KEY=VALUE,…")]
    pub system: Option<String>,
    /// Quadrature nodes per mixture component for the metric and its derivatives (even).
    #[arg(long, default_value_t = DEFAULT_NODES_GENERAL)]
    pub nodes: u32,
    /// Print JSON instead of a readable summary.
    #[arg(long)]
    pub json: bool,
}

/// What to compute, after the options were checked.
enum Task {
    Shortest { to: [f64; 2] },
    Exp { direction: [f64; 2], length: f64 },
}

fn task(args: &GeodesicArgs) -> Result<Task, CliError> {
    let input = |msg: String| Err(CliError::input(anyhow!(msg)));
    match (args.to, args.direction, args.length) {
        (Some(_), Some(_), _) => input(
            "--to and --direction were both given; give --to A,B for the shortest path, or \
             --direction U,V with --length S for the exponential map"
                .into(),
        ),
        (Some(_), None, Some(_)) => input(
            "--length goes with --direction, not with --to (the shortest path's length is \
             computed); drop --length"
                .into(),
        ),
        (Some(to), None, None) => Ok(Task::Shortest { to }),
        (None, Some(_), None) => input(
            "--direction needs --length S, the Fisher–Rao length to travel (finite, >= 0)".into(),
        ),
        (None, Some(direction), Some(length)) => {
            if direction == [0.0, 0.0] {
                return input(
                    "--direction must be a nonzero vector U,V (it gives the initial direction; \
                     its length does not matter)"
                        .into(),
                );
            }
            if !(length.is_finite() && length >= 0.0) {
                return input(format!(
                    "--length must be a finite number >= 0 (the Fisher–Rao length to travel), \
                     got {length}"
                ));
            }
            Ok(Task::Exp { direction, length })
        }
        (None, None, _) => input(
            "neither --to nor --direction was given; give --to A,B for the shortest path, or \
             --direction U,V with --length S for the exponential map"
                .into(),
        ),
    }
}

/// Runs `fisherflow geodesic`.
pub fn run(args: &GeodesicArgs) -> CliResult {
    evaluate(args)?.print(args.json, false)
}

/// Checks the options and computes the geodesic (what [`run`] prints; the Python package calls
/// this too, so its numbers and its error messages are the command's).
pub fn evaluate(args: &GeodesicArgs) -> Result<Output, CliError> {
    let task = task(args)?;
    let system = args.system.as_deref().map(parse_system).transpose()?;
    let slice = args.model.slice.unwrap_or(Slice::SEED);
    let base = match system {
        None => args.model.apply(Model::default(), &slice)?,
        Some(_) => {
            refuse_mixture_options(&args.model, &[])?;
            Model::default()
        }
    };
    let rule =
        QuadratureRule::new(args.nodes).map_err(|e| CliError::input(anyhow!("--nodes: {e}")))?;
    let mut out = serde_json::Map::new();
    let (mixture, policy);
    let (plane, canvas): (&dyn Plane, String) = match &system {
        None => {
            out.insert(
                "model".into(),
                serde_json::to_value(base).map_err(CliError::runtime)?,
            );
            out.insert(
                "slice".into(),
                serde_json::to_value(slice).map_err(CliError::runtime)?,
            );
            mixture = MixturePlane::new(&base, &slice, &rule);
            (&mixture, format!("slice {slice}"))
        }
        Some(system) => {
            out.insert(
                "system".into(),
                serde_json::to_value(system).map_err(CliError::runtime)?,
            );
            policy = PolicyPlane::new(system);
            (&policy, format!("the {} policy plane", system.plant.name()))
        }
    };
    let check = |option: &str, xy: [f64; 2]| {
        plane.check(xy).map_err(|e| {
            CliError::input(anyhow!(
                "--{option}: the point ({}, {}) is outside the model: {e}; choose a point \
                 inside it",
                xy[0],
                xy[1]
            ))
        })
    };
    check("from", args.from)?;
    out.insert("from".into(), args.from.into());
    let mut text = String::new();
    let point = |p: [f64; 2]| format!("({}, {})", p[0], p[1]);
    match task {
        Task::Shortest { to } => {
            check("to", to)?;
            let found = shortest_path(plane, args.from, to).map_err(error)?;
            out.insert("to".into(), to.into());
            out.insert("distance".into(), found.distance.into());
            out.insert("method".into(), found.method.to_string().into());
            out.insert("error_estimate".into(), found.error_estimate.into());
            out.insert("path".into(), found.path.clone().into());
            let _ = writeln!(
                text,
                "shortest path on {canvas} from {} to {}: distance {:.10} ({}, error \
                 ≲ {:.0e}), {} path points",
                point(args.from),
                point(to),
                found.distance,
                found.method,
                found.error_estimate,
                found.path.len()
            );
        }
        Task::Exp { direction, length } => {
            let g = exp_map(plane, args.from, direction, length).map_err(error)?;
            out.insert("direction".into(), direction.into());
            out.insert("requested_length".into(), length.into());
            out.insert("length".into(), g.length.into());
            out.insert("end".into(), g.end.into());
            if let Some(reason) = g.stopped {
                out.insert("stopped".into(), reason.to_string().into());
            }
            out.insert("path".into(), g.path.clone().into());
            let _ = write!(
                text,
                "geodesic on {canvas} from {} along {}: length {:.10} reached at {}",
                point(args.from),
                point(direction),
                g.length,
                point(g.end)
            );
            if let Some(reason) = g.stopped {
                let _ = write!(text, ", stopped early ({reason}; {length} asked for)");
            }
            let _ = writeln!(text, ", {} path points", g.path.len());
        }
    }
    Ok(Output {
        json: serde_json::Value::Object(out),
        text,
        notes: Vec::new(),
    })
}

/// Input errors (exit 2) the options' own checks did not already catch; no path found is a
/// failure while running (exit 1).
fn error(e: GeodesicError) -> CliError {
    match e {
        GeodesicError::NoPath { .. } | GeodesicError::Stopped => CliError::runtime(e),
        _ => CliError::input(e),
    }
}
