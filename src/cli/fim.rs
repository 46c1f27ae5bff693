//! `fisherflow fim`: F, eigenvalues, κ and (with a target) L, ∇L, the natural gradient and the
//! angle at one point or a list of points, on the CPU (f64 reference) or the GPU (the
//! `fim_field.wgsl` kernel, all points in one dispatch).

use std::fmt::Write as _;
use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, anyhow};
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::{CliError, CliResult, parse_pair};
use crate::compute::fim_field::evaluate_points;
use crate::gpu::context::{BackendChoice, GpuContext, GpuOptions};
use crate::gpu::gpu_data;
use crate::math::quadrature::{DEFAULT_NODES_F32, DEFAULT_NODES_F64};
use crate::math::{
    PointInput, PointReport, QuadratureRule, evaluate_point, validate_damping, validate_finite,
};
use crate::verify::report_from_cell;

/// Where to evaluate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Device {
    /// The f64 reference on the CPU.
    Cpu,
    /// The WGSL kernel (f32), all points in one dispatch.
    Gpu,
}

/// Options of `fisherflow fim`.
#[derive(Debug, Args)]
pub struct FimArgs {
    /// μ1 of a single point.
    #[arg(long, allow_negative_numbers = true, conflicts_with = "points", requires_all = ["mu2", "sigma"])]
    pub mu1: Option<f64>,
    /// μ2 of a single point.
    #[arg(long, allow_negative_numbers = true, conflicts_with = "points", requires_all = ["mu1", "sigma"])]
    pub mu2: Option<f64>,
    /// σ of a single point (> 0).
    #[arg(long, allow_negative_numbers = true, conflicts_with = "points")]
    pub sigma: Option<f64>,
    /// Target θ* = T1,T2 of a single point: adds L, ∇L, natural gradient and angle.
    #[arg(long, value_parser = parse_pair, allow_hyphen_values = true, conflicts_with = "points")]
    pub target: Option<[f64; 2]>,
    /// JSON array of {"mu1", "mu2", "sigma", "target": [t1, t2]} (target optional); `-` reads
    /// standard input.
    #[arg(long, value_name = "FILE")]
    pub points: Option<PathBuf>,
    /// Damping λ ≥ 0 of the natural gradient (F + λI)⁻¹∇L.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub damping: f64,
    /// cpu: f64 reference; gpu: the WGSL kernel in f32.
    #[arg(long, value_enum, default_value_t = Device::Cpu)]
    pub device: Device,
    /// Quadrature nodes per mixture component (even; default 128 on cpu, 64 on gpu).
    #[arg(long)]
    pub nodes: Option<u32>,
    /// Print JSON instead of a readable summary.
    #[arg(long)]
    pub json: bool,
    /// Force a graphics backend for --device gpu (default: WGPU_BACKEND, else any).
    #[arg(long, value_enum)]
    pub backend: Option<BackendChoice>,
}

#[derive(Serialize)]
struct FimOutput {
    device: String,
    points: Vec<PointReport>,
}

/// Runs `fisherflow fim`.
pub fn run(args: &FimArgs) -> CliResult {
    let points = read_points(args)?;
    validate_damping(args.damping).map_err(CliError::input)?;
    let nodes = args.nodes.unwrap_or(match args.device {
        Device::Cpu => DEFAULT_NODES_F64,
        Device::Gpu => DEFAULT_NODES_F32,
    });
    let rule = QuadratureRule::new(nodes).map_err(CliError::input)?;
    let (device, reports) = match args.device {
        Device::Cpu => {
            let reports = points
                .iter()
                .map(|p| evaluate_point(p, &rule, args.damping))
                .collect();
            ("cpu".to_owned(), reports)
        }
        Device::Gpu => evaluate_on_gpu(&points, args, &rule)?,
    };
    let output = FimOutput {
        device,
        points: reports,
    };
    let text = if args.json {
        serde_json::to_string_pretty(&output).map_err(CliError::runtime)? + "\n"
    } else {
        summary(&output, nodes, args.damping)
    };
    print!("{text}");
    Ok(())
}

/// The points to evaluate, from the single-point options or --points; every field validated,
/// errors naming the point's index and field.
pub fn read_points(args: &FimArgs) -> Result<Vec<PointInput>, CliError> {
    let points = match &args.points {
        Some(path) => parse_points_json(&read_source(path)?)?,
        None => {
            let (Some(mu1), Some(mu2), Some(sigma)) = (args.mu1, args.mu2, args.sigma) else {
                return Err(CliError::input(anyhow!(
                    "give a point with --mu1 A --mu2 B --sigma S, or a list with --points FILE"
                )));
            };
            let point = PointInput {
                mu1,
                mu2,
                sigma,
                target: args.target,
            };
            point.validate().map_err(CliError::input)?;
            vec![point]
        }
    };
    Ok(points)
}

fn read_source(path: &PathBuf) -> Result<String, CliError> {
    let mut text = String::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .context("could not read points from standard input")
            .map_err(CliError::input)?;
    } else {
        text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read points file {}", path.display()))
            .map_err(CliError::input)?;
    }
    Ok(text)
}

/// Parses and validates a JSON array of points.
pub fn parse_points_json(text: &str) -> Result<Vec<PointInput>, CliError> {
    let values: Vec<serde_json::Value> = serde_json::from_str(text)
        .context(
            "--points must be a JSON array of {\"mu1\", \"mu2\", \"sigma\", \"target\"} objects",
        )
        .map_err(CliError::input)?;
    values
        .into_iter()
        .enumerate()
        .map(|(index, value)| {
            warn_unknown_fields(index, &value);
            let point: PointInput = serde_json::from_value(value)
                .with_context(|| format!("point {index}: expected {{\"mu1\", \"mu2\", \"sigma\", \"target\": [t1, t2]}}"))
                .map_err(CliError::input)?;
            point
                .validate()
                .with_context(|| format!("point {index}"))
                .map_err(CliError::input)?;
            Ok(point)
        })
        .collect()
}

/// Extra keys are allowed (so reference files with their expected values can be fed back in),
/// but named on stderr in case one is a misspelt `target`.
fn warn_unknown_fields(index: usize, value: &serde_json::Value) {
    const KNOWN: [&str; 4] = ["mu1", "mu2", "sigma", "target"];
    if let Some(object) = value.as_object() {
        let unknown: Vec<&str> = object
            .keys()
            .map(String::as_str)
            .filter(|k| !KNOWN.contains(k))
            .collect();
        if !unknown.is_empty() {
            eprintln!(
                "note: point {index}: ignoring field(s) {}",
                unknown.join(", ")
            );
        }
    }
}

fn evaluate_on_gpu(
    points: &[PointInput],
    args: &FimArgs,
    rule: &QuadratureRule,
) -> Result<(String, Vec<PointReport>), CliError> {
    let ctx = GpuContext::new_headless(GpuOptions {
        backend: args.backend,
        ..Default::default()
    })
    .map_err(CliError::runtime)?;
    // f32 overflow is an input problem on this path: say so instead of printing inf.
    for (index, p) in points.iter().enumerate() {
        for (field, value) in [("mu1", p.mu1), ("mu2", p.mu2), ("sigma", p.sigma)] {
            validate_finite(field, value as f32 as f64)
                .with_context(|| format!("point {index}: too large for the f32 GPU path"))
                .map_err(CliError::input)?;
        }
    }
    let inputs: Vec<gpu_data::PointInput> = points.iter().map(gpu_data::PointInput::from).collect();
    let cells = if inputs.is_empty() {
        Vec::new()
    } else {
        evaluate_points(&ctx, &inputs, args.damping as f32, rule).map_err(CliError::runtime)?
    };
    let reports = points
        .iter()
        .zip(&cells)
        .map(|(p, c)| report_from_cell(p, c))
        .collect();
    Ok((ctx.describe(), reports))
}

fn summary(output: &FimOutput, nodes: u32, damping: f64) -> String {
    let mut s = String::new();
    let opt = |v: Option<f64>, none: &str| v.map_or(none.to_owned(), |v| format!("{v:.9e}"));
    let _ = writeln!(
        s,
        "device: {}   quadrature: {nodes} nodes/component   damping λ = {damping}",
        output.device
    );
    for (i, p) in output.points.iter().enumerate() {
        let _ = writeln!(
            s,
            "\npoint {i}: θ = ({}, {}), σ = {}",
            p.mu1, p.mu2, p.sigma
        );
        let f = p.fisher;
        let _ = writeln!(s, "  F            = [[{:.9e}, {:.9e}],", f[0][0], f[0][1]);
        let _ = writeln!(s, "                  [{:.9e}, {:.9e}]]", f[1][0], f[1][1]);
        let _ = writeln!(
            s,
            "  eigenvalues  = λmax {:.9e}, λmin {:.9e}",
            p.eigenvalues[0], p.eigenvalues[1]
        );
        let _ = writeln!(s, "  κ            = {}", opt(p.kappa, "∞ (F is singular)"));
        if let (Some(t), Some(l)) = (p.target, &p.loss) {
            let _ = writeln!(s, "  target θ*    = ({}, {})", t[0], t[1]);
            let _ = writeln!(s, "  L = KL       = {:.9e}", l.kl);
            let _ = writeln!(s, "  ∇L           = ({:.9e}, {:.9e})", l.grad[0], l.grad[1]);
            let nat = l
                .natgrad
                .map_or("undefined (F + λI is singular)".to_owned(), |n| {
                    format!("({:.9e}, {:.9e})", n[0], n[1])
                });
            let _ = writeln!(s, "  natural grad = {nat}");
            let _ = writeln!(
                s,
                "  angle        = {}",
                l.angle_deg
                    .map_or("undefined".to_owned(), |a| format!("{a:.6}°"))
            );
        }
    }
    s
}
