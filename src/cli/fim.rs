//! `fisherflow fim`: F, eigenvalues, κ and (with a target) L, ∇L, the natural gradient and the
//! angle at one point or a list of points, on the CPU (f64 reference) or the GPU (the
//! `fim_field.wgsl` kernel, all points in one dispatch).
//!
//! A point is either the seed's `{"mu1", "mu2", "sigma", "target": [t1, t2]}` (the (μ1, μ2)
//! slice of ½N(μ1, σ²) + ½N(μ2, σ²)) or a general one, `{"model": {pi, mu1, mu2, sigma1,
//! sigma2}, "slice": ["a", "b"], "target": {…}}`, answered with the same keys in slice order,
//! echoing `model`, `slice` and `target` as given. A policy-plane point `{"system": {...},
//! "gains": [k1, k2], "horizon": H}` is answered by [`super::fim_policy`] (f64, CPU only).
//!
//! Every point with a target (either form, either device) also gets `"empirical_fisher"`, the
//! population empirical Fisher E_{p*}[s sᵀ]'s 2×2 block by quadrature (slice order; the seed's
//! (μ1, μ2) for seed points). `--samples N [--seed S]` adds the finite-sample estimates of
//! [`crate::math::estimates`] at every point: `"mc_fisher"` (N samples of the model, stream 1,
//! i.e. k = 0) always, and `"empirical_fisher_samples"` (N samples of the target, stream 0)
//! where the point has a target — without one there is no data to sample, so the key is left
//! out. On `--device gpu` both come from `shaders/estimates.wgsl` (the same samples as the
//! CPU's, in f32).

use std::fmt::Write as _;
use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, anyhow};
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::{CliError, CliResult, fim_policy, parse_pair};
use crate::bench::verify::report_from_cell;
use crate::compute::estimates::evaluate_estimates;
use crate::compute::fim_field::evaluate_points;
use crate::compute::general::{DEFAULT_NODES_GENERAL_F32, evaluate_general_points};
use crate::gpu::context::{BackendChoice, GpuContext, GpuOptions};
use crate::gpu::general_data::GeneralPointInput;
use crate::gpu::gpu_data;
use crate::math::estimates::{MAX_SAMPLES, empirical_fisher_samples, mc_fisher};
use crate::math::general::{
    DEFAULT_NODES_GENERAL, GeneralReport, GeneralTargetReport, empirical_fisher_full, slice_block,
};
use crate::math::model::{Model, Slice};
use crate::math::quadrature::{DEFAULT_NODES_F32, DEFAULT_NODES_F64};
use crate::math::{
    GeneralInput, PointInput, PointReport, QuadratureRule, evaluate_general, evaluate_point,
    validate_damping, validate_finite,
};

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
    /// JSON array of points, each {"mu1", "mu2", "sigma", "target": [t1, t2]} (the seed's
    /// slice) or {"model": {pi, mu1, mu2, sigma1, sigma2}, "slice": [a, b], "target": {…}}
    /// (any slice of the general mixture); targets optional; `-` reads standard input.
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
    /// Finite-sample estimates from N samples (2 to 1048576): adds "mc_fisher" (N samples of
    /// the model) and, where a point has a target, "empirical_fisher_samples" (N samples of
    /// the target).
    #[arg(long, value_name = "N")]
    pub samples: Option<u32>,
    /// Seed of the sample generator (with --samples; default 1).
    #[arg(long, value_name = "S", requires = "samples")]
    pub seed: Option<u32>,
}

/// The finite-sample estimates' settings (`--samples`, `--seed`), validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleOptions {
    /// N, in 2..=[`MAX_SAMPLES`].
    pub samples: u32,
    /// The generator's seed.
    pub seed: u32,
}

/// The seed `--seed` defaults to.
pub const DEFAULT_SEED: u32 = 1;

impl FimArgs {
    /// `--samples`/`--seed`, validated: None without --samples; an input error (exit 2) for an
    /// N outside 2..=[`MAX_SAMPLES`] (one sample gives a rank-one estimate, which is no
    /// estimate of a 2×2 matrix).
    pub fn sample_options(&self) -> Result<Option<SampleOptions>, CliError> {
        let Some(samples) = self.samples else {
            if self.seed.is_some() {
                return Err(CliError::input(anyhow!(
                    "--seed needs --samples N: the seed only picks the samples"
                )));
            }
            return Ok(None);
        };
        if !(2..=MAX_SAMPLES).contains(&samples) {
            return Err(CliError::input(anyhow!(
                "--samples {samples} is out of range: give N from 2 to {MAX_SAMPLES} (an \
                 estimate of a 2×2 matrix needs at least 2 samples)"
            )));
        }
        Ok(Some(SampleOptions {
            samples,
            seed: self.seed.unwrap_or(DEFAULT_SEED),
        }))
    }
}

/// A point as a general one: the model, the slice and the target (the seed's point is the
/// (μ1, μ2) slice of ½N(μ1, σ²) + ½N(μ2, σ²), its target θ* with the same σ).
fn as_general(point: &FimPoint) -> (Model, Slice, Option<Model>) {
    match point {
        FimPoint::Seed(p) => (
            Model::seed(p.mu1, p.mu2, p.sigma),
            Slice::SEED,
            p.target.map(|t| Model::seed(t[0], t[1], p.sigma)),
        ),
        FimPoint::General { input, .. } => (input.model, input.slice, input.target),
        FimPoint::Policy(_) => unreachable!("run refuses --samples with policy points"),
    }
}

/// The finite-sample estimates of one point (slice order), f64.
#[derive(Clone, Copy, Debug, Default)]
struct SampleEstimates {
    empirical: Option<[[f64; 2]; 2]>,
    mc: [[f64; 2]; 2],
}

fn block(v: [f32; 3]) -> [[f64; 2]; 2] {
    let v = v.map(f64::from);
    [[v[0], v[1]], [v[1], v[2]]]
}

/// The estimates at every point: f64 on the CPU (`math::estimates`), one dispatch of
/// `estimates.wgsl` on the GPU.
fn sample_estimates(
    ctx: Option<&GpuContext>,
    points: &[FimPoint],
    options: SampleOptions,
) -> Result<Vec<SampleEstimates>, CliError> {
    let general: Vec<(Model, Slice, Option<Model>)> = points.iter().map(as_general).collect();
    let Some(ctx) = ctx else {
        return Ok(general
            .iter()
            .map(|(model, slice, target)| SampleEstimates {
                empirical: target.map(|t| {
                    empirical_fisher_samples(model, slice, &t, options.samples, options.seed)
                        .to_array()
                }),
                mc: mc_fisher(model, slice, options.samples, options.seed, 0).to_array(),
            })
            .collect());
    };
    let inputs: Vec<GeneralPointInput> = general
        .iter()
        .map(|(model, slice, target)| GeneralPointInput::new(model, slice, target.as_ref()))
        .collect();
    let cells = evaluate_estimates(ctx, &inputs, options.samples, options.seed, 0)
        .map_err(CliError::runtime)?;
    expect_one_per_point(cells.len(), points.len(), "estimates")?;
    Ok(cells
        .iter()
        .map(|c| SampleEstimates {
            empirical: c.empirical_samples().map(block),
            mc: block(c.mc_fisher()),
        })
        .collect())
}

/// The population empirical Fisher's block of a seed point by the f64 quadrature of
/// `math::general` (the seed's own f64 path has no EF).
fn seed_empirical_fisher(p: &PointInput, rule: &QuadratureRule) -> Option<[[f64; 2]; 2]> {
    let target = p.target?;
    let model = Model::seed(p.mu1, p.mu2, p.sigma);
    let full = empirical_fisher_full(&model, &Model::seed(target[0], target[1], p.sigma), rule);
    Some(slice_block(&full, &Slice::SEED).to_array())
}

/// JSON of a 2×2 block.
fn block_json(b: [[f64; 2]; 2]) -> serde_json::Value {
    serde_json::json!(b)
}

/// One point to evaluate, in either form.
#[derive(Clone, Debug)]
pub enum FimPoint {
    /// The seed's slice.
    Seed(PointInput),
    /// A slice of the general mixture, with the JSON it was given as (echoed back).
    General {
        /// The parsed point.
        input: GeneralInput,
        /// `model`, `slice` and `target` exactly as given.
        given: serde_json::Map<String, serde_json::Value>,
    },
    /// A point of the policy plane.
    Policy(fim_policy::PolicyInput),
}

#[derive(Serialize)]
struct FimOutput {
    device: String,
    points: Vec<serde_json::Value>,
}

/// Runs `fisherflow fim`.
pub fn run(args: &FimArgs) -> CliResult {
    let points = read_fim_points(args)?;
    if let Some(index) = points.iter().position(|p| matches!(p, FimPoint::Policy(_))) {
        let refuse = |what: &str| {
            Err(CliError::input(anyhow!(
                "point {index} is a policy-plane point: {what}"
            )))
        };
        if args.samples.is_some() {
            return refuse(
                "--samples estimates the mixture's Fisher from samples; drop it (the policy \
                 plane's rollout estimates are not built yet)",
            );
        }
    }
    validate_damping(args.damping).map_err(CliError::input)?;
    let sample_options = args.sample_options()?;
    let nodes = args.nodes.unwrap_or(match args.device {
        Device::Cpu => DEFAULT_NODES_F64,
        Device::Gpu => DEFAULT_NODES_F32,
    });
    let rule = QuadratureRule::new(nodes).map_err(CliError::input)?;
    let seed: Vec<PointInput> = points
        .iter()
        .filter_map(|p| match p {
            FimPoint::Seed(input) => Some(*input),
            FimPoint::General { .. } | FimPoint::Policy(_) => None,
        })
        .collect();
    // One device for every point of the run (seed and general alike).
    let ctx = match args.device {
        Device::Cpu => None,
        Device::Gpu => Some(
            GpuContext::new_headless(GpuOptions {
                backend: args.backend,
                ..Default::default()
            })
            .map_err(CliError::runtime)?,
        ),
    };
    let device = ctx.as_ref().map_or("cpu".to_owned(), GpuContext::describe);
    let seed_reports = match &ctx {
        None => seed
            .iter()
            .map(|p| (evaluate_point(p, &rule, args.damping), None))
            .collect(),
        Some(ctx) => evaluate_on_gpu(ctx, &seed, args.damping, &rule)?,
    };
    // The general rule: Q per panel window as in `math::general` (f64) or
    // `compute::general` (f32) when --nodes is not given.
    let general_rule = match (args.nodes, args.device) {
        (Some(n), _) => QuadratureRule::new(n),
        (None, Device::Cpu) => QuadratureRule::new(DEFAULT_NODES_GENERAL),
        (None, Device::Gpu) => QuadratureRule::new(DEFAULT_NODES_GENERAL_F32),
    }
    .map_err(CliError::input)?;
    let general: Vec<&GeneralInput> = points
        .iter()
        .filter_map(|p| match p {
            FimPoint::General { input, .. } => Some(input),
            FimPoint::Seed(_) | FimPoint::Policy(_) => None,
        })
        .collect();
    let mut general_gpu = match &ctx {
        Some(ctx) if !general.is_empty() => {
            evaluate_general_on_gpu(ctx, &general, args.damping, &general_rule)?.into_iter()
        }
        _ => Vec::new().into_iter(),
    };
    let estimates = match sample_options {
        Some(options) => Some(sample_estimates(ctx.as_ref(), &points, options)?),
        None => None,
    };
    // Policy points on the GPU: one dispatch per system (a file may mix plants).
    let policy: Vec<&fim_policy::PolicyInput> = points
        .iter()
        .filter_map(|p| match p {
            FimPoint::Policy(input) => Some(input),
            _ => None,
        })
        .collect();
    let policy_gpu = match &ctx {
        Some(ctx) if !policy.is_empty() => Some(fim_policy::on_gpu(ctx, &policy, args.damping)?),
        _ => None,
    };
    let mut policy_index = 0;
    let mut seed_reports = seed_reports.into_iter();
    let mut reports = Vec::with_capacity(points.len());
    let mut json = Vec::with_capacity(points.len());
    for (index, point) in points.iter().enumerate() {
        let estimate = estimates.as_ref().map(|e| e[index]);
        match point {
            FimPoint::Seed(input) => {
                let (report, empirical) = seed_reports.next().expect("one report per seed point");
                // The CPU's EF by the f64 general quadrature; the GPU's from the kernel's cell.
                let empirical = match args.device {
                    Device::Cpu => seed_empirical_fisher(input, &general_rule),
                    Device::Gpu => empirical,
                };
                let mut value = serde_json::to_value(&report).map_err(CliError::runtime)?;
                if let (Some(object), Some(ef)) = (value.as_object_mut(), empirical) {
                    object.insert("empirical_fisher".into(), block_json(ef));
                }
                add_estimates(&mut value, estimate);
                json.push(value);
                reports.push(Report::Seed(report, empirical, estimate));
            }
            FimPoint::General { input, given } => {
                let report = match args.device {
                    Device::Cpu => evaluate_general(input, &general_rule, args.damping),
                    Device::Gpu => general_gpu.next().expect("one GPU cell per general point"),
                };
                let mut value = serde_json::to_value(&report).map_err(CliError::runtime)?;
                if let Some(object) = value.as_object_mut() {
                    for (key, original) in given {
                        object.insert(key.clone(), original.clone());
                    }
                }
                add_estimates(&mut value, estimate);
                json.push(value);
                reports.push(Report::General(report, estimate));
            }
            FimPoint::Policy(input) => {
                let value = match &policy_gpu {
                    Some(cells) => fim_policy::from_cell(input, &cells[policy_index]),
                    None => fim_policy::evaluate(input, args.damping),
                };
                policy_index += 1;
                reports.push(Report::Policy(input.clone()));
                json.push(value);
            }
        }
    }
    let output = FimOutput {
        device,
        points: json,
    };
    let text = if args.json {
        serde_json::to_string_pretty(&output).map_err(CliError::runtime)? + "\n"
    } else {
        summary(
            &output.device,
            &reports,
            nodes,
            general_rule.nodes_per_component(),
            args.damping,
        )
    };
    print!("{text}");
    Ok(())
}

/// Adds `mc_fisher` and (with a target) `empirical_fisher_samples` to a point's JSON.
fn add_estimates(value: &mut serde_json::Value, estimate: Option<SampleEstimates>) {
    let (Some(object), Some(e)) = (value.as_object_mut(), estimate) else {
        return;
    };
    if let Some(ef) = e.empirical {
        object.insert("empirical_fisher_samples".into(), block_json(ef));
    }
    object.insert("mc_fisher".into(), block_json(e.mc));
}

/// A result of either form, for the readable summary: the seed's report with its empirical
/// Fisher (the seed's record has no field for it), and either form's sample estimates.
enum Report {
    Seed(PointReport, Option<[[f64; 2]; 2]>, Option<SampleEstimates>),
    General(GeneralReport, Option<SampleEstimates>),
    Policy(fim_policy::PolicyInput),
}

/// The seed-form points to evaluate (the single-point options or a --points file of seed
/// points only; a general point is an error here).
pub fn read_points(args: &FimArgs) -> Result<Vec<PointInput>, CliError> {
    read_fim_points(args)?
        .into_iter()
        .enumerate()
        .map(|(index, p)| match p {
            FimPoint::Seed(input) => Ok(input),
            FimPoint::General { .. } | FimPoint::Policy(_) => Err(CliError::input(anyhow!(
                "point {index}: a general or policy point where only the seed's form is accepted"
            ))),
        })
        .collect()
}

/// The points to evaluate, from the single-point options or --points; every field validated,
/// errors naming the point's index and field.
pub fn read_fim_points(args: &FimArgs) -> Result<Vec<FimPoint>, CliError> {
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
            vec![FimPoint::Seed(point)]
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

/// Parses and validates a JSON array of points (either form; see the module docs).
pub fn parse_points_json(text: &str) -> Result<Vec<FimPoint>, CliError> {
    let values: Vec<serde_json::Value> = serde_json::from_str(text)
        .context(
            "--points must be a JSON array of {\"mu1\", \"mu2\", \"sigma\", \"target\"} or \
             {\"model\", \"slice\", \"target\"} objects",
        )
        .map_err(CliError::input)?;
    values
        .into_iter()
        .enumerate()
        .map(|(index, value)| {
            if value.get("model").is_some() {
                return parse_general(index, value);
            }
            if let Some(object) = value.as_object()
                && object.contains_key("system")
            {
                warn_unknown_fields(index, object, &fim_policy::KEYS);
                return fim_policy::parse(index, object).map(FimPoint::Policy);
            }
            if let Some(object) = value.as_object() {
                warn_unknown_fields(index, object, &["mu1", "mu2", "sigma", "target"]);
            }
            let point: PointInput = serde_json::from_value(value)
                .with_context(|| format!("point {index}: expected {{\"mu1\", \"mu2\", \"sigma\", \"target\": [t1, t2]}}"))
                .map_err(CliError::input)?;
            point
                .validate()
                .with_context(|| format!("point {index}"))
                .map_err(CliError::input)?;
            Ok(FimPoint::Seed(point))
        })
        .collect()
}

/// A general point: `model` (missing parameters take the defaults π = ½, μ = 0, σ = 1; an
/// unknown one is an error), `slice` (two different parameter names), optional `target`.
fn parse_general(index: usize, value: serde_json::Value) -> Result<FimPoint, CliError> {
    const KNOWN: [&str; 3] = ["model", "slice", "target"];
    let serde_json::Value::Object(object) = value else {
        return Err(CliError::input(anyhow!(
            "point {index}: expected an object"
        )));
    };
    warn_unknown_fields(index, &object, &KNOWN);
    let given: serde_json::Map<String, serde_json::Value> = object
        .iter()
        .filter(|(k, _)| KNOWN.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let field = |name: &str| object.get(name).cloned();
    let model = serde_json::from_value(field("model").unwrap_or_default())
        .with_context(|| format!("point {index}: model"))
        .map_err(CliError::input)?;
    let slice = field("slice")
        .ok_or_else(|| {
            anyhow!("point {index}: slice: missing (e.g. \"slice\": [\"mu1\", \"sigma1\"])")
        })
        .and_then(|v| serde_json::from_value(v).with_context(|| format!("point {index}: slice")))
        .map_err(CliError::input)?;
    let target = match field("target") {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => Some(
            serde_json::from_value(v)
                .with_context(|| format!("point {index}: target"))
                .map_err(CliError::input)?,
        ),
    };
    let input = GeneralInput {
        model,
        slice,
        target,
    };
    // Validated part by part so the message names which one is wrong.
    input
        .model
        .validate_for(&input.slice)
        .with_context(|| format!("point {index}: model"))
        .map_err(CliError::input)?;
    if let Some(target) = &input.target {
        target
            .validate()
            .with_context(|| format!("point {index}: target"))
            .map_err(CliError::input)?;
    }
    Ok(FimPoint::General { input, given })
}

/// Extra keys are allowed (so reference files with their expected values can be fed back in),
/// but named on stderr in case one is a misspelt `target`.
fn warn_unknown_fields(
    index: usize,
    object: &serde_json::Map<String, serde_json::Value>,
    known: &[&str],
) {
    let unknown: Vec<&str> = object
        .keys()
        .map(String::as_str)
        .filter(|k| !known.contains(k))
        .collect();
    if !unknown.is_empty() {
        eprintln!(
            "note: point {index}: ignoring field(s) {}",
            unknown.join(", ")
        );
    }
}

/// General points in one dispatch of `fim_general.wgsl` (f32), the empirical Fisher included.
fn evaluate_general_on_gpu(
    ctx: &GpuContext,
    points: &[&GeneralInput],
    damping: f64,
    rule: &QuadratureRule,
) -> Result<Vec<GeneralReport>, CliError> {
    let inputs: Vec<GeneralPointInput> = points
        .iter()
        .map(|p| GeneralPointInput::new(&p.model, &p.slice, p.target.as_ref()))
        .collect();
    let cells =
        evaluate_general_points(ctx, &inputs, damping as f32, rule).map_err(CliError::runtime)?;
    expect_one_per_point(cells.len(), points.len(), "cells")?;
    Ok(points
        .iter()
        .zip(&cells)
        .map(|(p, cell)| general_report_from_cell(p, cell))
        .collect())
}

/// The f64 record of a general point's f32 cell (slice blocks in slice order).
fn general_report_from_cell(p: &GeneralInput, cell: &gpu_data::FieldCell) -> GeneralReport {
    let f = cell.fisher.map(f64::from);
    GeneralReport {
        model: p.model,
        slice: p.slice,
        target: p.target,
        fisher: [[f[0], f[1]], [f[1], f[2]]],
        eigenvalues: cell.eigenvalues.map(f64::from),
        kappa: cell.kappa().map(f64::from),
        loss: (cell.flags & gpu_data::flags::HAS_TARGET != 0).then(|| GeneralTargetReport {
            kl: cell.loss as f64,
            grad: cell.grad.map(f64::from),
            natgrad: cell.natgrad().map(|n| n.map(f64::from)),
            angle_deg: cell.angle().map(f64::from),
            empirical_fisher: block(cell.empirical),
        }),
    }
}

/// Seed points in one dispatch of `fim_field.wgsl` (f32): each report with the cell's
/// empirical Fisher (standard (μ1, μ2) basis) when the point has a target.
#[allow(clippy::type_complexity)] // (report, EF block) pairs, used once
fn evaluate_on_gpu(
    ctx: &GpuContext,
    points: &[PointInput],
    damping: f64,
    rule: &QuadratureRule,
) -> Result<Vec<(PointReport, Option<[[f64; 2]; 2]>)>, CliError> {
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
        evaluate_points(ctx, &inputs, damping as f32, rule).map_err(CliError::runtime)?
    };
    Ok(points
        .iter()
        .zip(&cells)
        .map(|(p, c)| {
            let has_target = c.flags & gpu_data::flags::HAS_TARGET != 0;
            (
                report_from_cell(p, c),
                has_target.then(|| block(c.empirical)),
            )
        })
        .collect())
}

fn summary(
    device: &str,
    reports: &[Report],
    nodes: u32,
    general_nodes: u32,
    damping: f64,
) -> String {
    let mut s = String::new();
    let opt = |v: Option<f64>, none: &str| v.map_or(none.to_owned(), |v| format!("{v:.9e}"));
    let any_general = reports.iter().any(|r| matches!(r, Report::General(..)));
    let general = if any_general {
        format!(" (general points: {general_nodes} per panel window)")
    } else {
        String::new()
    };
    let _ = writeln!(
        s,
        "device: {device}   quadrature: {nodes} nodes/component{general}   damping λ = {damping}"
    );
    for (i, report) in reports.iter().enumerate() {
        let (p, empirical, estimate) = match report {
            Report::Seed(p, empirical, estimate) => (p, empirical, estimate),
            Report::General(g, estimate) => {
                general_summary(&mut s, i, g);
                estimates_summary(&mut s, estimate);
                continue;
            }
            Report::Policy(input) => {
                fim_policy::summary(&mut s, i, input);
                continue;
            }
        };
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
            loss_lines(&mut s, l.kl, l.grad, l.natgrad);
            let _ = writeln!(
                s,
                "  angle        = {}",
                l.angle_deg
                    .map_or("undefined".to_owned(), |a| format!("{a:.6}°"))
            );
        }
        if let Some(ef) = empirical {
            block_line(&mut s, "empirical F ", ef);
        }
        estimates_summary(&mut s, estimate);
    }
    s
}

/// The readable summary's L, ∇L and natural-gradient lines (either form of point).
fn loss_lines(s: &mut String, kl: f64, grad: [f64; 2], natgrad: Option<[f64; 2]>) {
    let _ = writeln!(s, "  L = KL       = {kl:.9e}");
    let _ = writeln!(s, "  ∇L           = ({:.9e}, {:.9e})", grad[0], grad[1]);
    let nat = natgrad.map_or("undefined (F + λI is singular)".to_owned(), |n| {
        format!("({:.9e}, {:.9e})", n[0], n[1])
    });
    let _ = writeln!(s, "  natural grad = {nat}");
}

/// One 2×2 block of the readable summary.
fn block_line(s: &mut String, name: &str, b: &[[f64; 2]; 2]) {
    let _ = writeln!(
        s,
        "  {name} = [[{:.9e}, {:.9e}], [{:.9e}, {:.9e}]]",
        b[0][0], b[0][1], b[1][0], b[1][1]
    );
}

/// The sample estimates' lines of the readable summary.
fn estimates_summary(s: &mut String, estimate: &Option<SampleEstimates>) {
    if let Some(e) = estimate {
        if let Some(ef) = &e.empirical {
            block_line(s, "EF (samples)", ef);
        }
        block_line(s, "MC Fisher   ", &e.mc);
    }
}

/// The readable summary of a general point.
fn general_summary(s: &mut String, i: usize, g: &GeneralReport) {
    let m = &g.model;
    let [a, b] = [g.slice.a, g.slice.b];
    let _ = writeln!(
        s,
        "\npoint {i}: π = {}, μ1 = {}, μ2 = {}, σ1 = {}, σ2 = {}; slice ({a}, {b})",
        m.pi, m.mu1, m.mu2, m.sigma1, m.sigma2
    );
    let f = g.fisher;
    let _ = writeln!(s, "  F ({a}, {b}) = [[{:.9e}, {:.9e}],", f[0][0], f[0][1]);
    let _ = writeln!(s, "                  [{:.9e}, {:.9e}]]", f[1][0], f[1][1]);
    let _ = writeln!(
        s,
        "  eigenvalues  = λmax {:.9e}, λmin {:.9e}",
        g.eigenvalues[0], g.eigenvalues[1]
    );
    let kappa = g
        .kappa
        .map_or("∞ (F is singular on this slice)".to_owned(), |k| {
            format!("{k:.9e}")
        });
    let _ = writeln!(s, "  κ            = {kappa}");
    if let (Some(t), Some(l)) = (&g.target, &g.loss) {
        let _ = writeln!(
            s,
            "  target       = π = {}, μ1 = {}, μ2 = {}, σ1 = {}, σ2 = {}",
            t.pi, t.mu1, t.mu2, t.sigma1, t.sigma2
        );
        loss_lines(s, l.kl, l.grad, l.natgrad);
        block_line(s, "empirical F ", &l.empirical_fisher);
    }
}

/// A runtime error unless the GPU returned one record (`what`) per point.
fn expect_one_per_point(returned: usize, points: usize, what: &str) -> Result<(), CliError> {
    if returned == points {
        Ok(())
    } else {
        Err(CliError::runtime(anyhow!(
            "the GPU returned {returned} {what} for {points} points"
        )))
    }
}
