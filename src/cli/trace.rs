//! `fisherflow trace`: one trajectory of the natural or Euclidean gradient flow, computed by
//! the particle kernel (`--device gpu`) or by its CPU mirror (`--device cpu`), with the loss
//! and the Fisher–Rao path length along it, on any slice of the general mixture (`--model`,
//! `--slice`, `--metric`): the seed's slice runs the kernel's seed mode, every other slice its
//! general mode.

use std::fmt::Write as _;

use anyhow::anyhow;
use clap::Args;
use serde::Serialize;

use super::fim::Device;
use super::{CliError, CliResult, ModelArgs, parse_pair};
use crate::compute::particles;
use crate::cpu::particles::step_particle;
use crate::gpu::context::{BackendChoice, GpuContext, GpuOptions};
use crate::gpu::gpu_data::{FlowParams, Particle, flow_flags};
use crate::math::loss::kl_divergence;
use crate::math::quadrature::DEFAULT_NODES_F32;
use crate::math::{
    Metric, Mixture, Model, QuadratureRule, Slice, validate_damping, validate_finite,
};
use crate::scene::{FlowMode, Integrator};
use crate::simulation::general_nodes;

/// Largest number of steps a trace may ask for.
pub const MAX_STEPS: u32 = 1_000_000;

/// Options of `fisherflow trace`.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// Start θ0 = A,B (slice coordinates; the held parameters from --model).
    #[arg(long, value_parser = parse_pair, allow_hyphen_values = true)]
    pub start: [f64; 2],
    /// Target θ* = T1,T2 (slice coordinates; the held parameters from --model).
    #[arg(long, value_parser = parse_pair, allow_hyphen_values = true)]
    pub target: [f64; 2],
    /// The model (defaults π = ½, μ1 = μ2 = 0, σ1 = σ2 = 1), the slice (default mu1,mu2) and
    /// --sigma S for σ1 = σ2 = S.
    #[command(flatten)]
    pub model: ModelArgs,
    /// The metric of the natural flow: the slice's induced block, or the profiled one.
    #[arg(long, default_value_t = Metric::Induced, value_name = "induced|profiled")]
    pub metric: Metric,
    /// natural: dθ/dt = −(F + λI)⁻¹∇L; euclidean: dθ/dt = −∇L.
    #[arg(long, value_enum, default_value_t = Mode::Natural)]
    pub mode: Mode,
    /// Time integrator.
    #[arg(long, default_value_t = Integrator::Rk4, value_name = "rk4|euler")]
    pub integrator: Integrator,
    /// Time step.
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    pub dt: f64,
    /// Number of steps (the start is step 0, so steps + 1 records).
    #[arg(long, default_value_t = 200)]
    pub steps: u32,
    /// Damping λ ≥ 0.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub damping: f64,
    /// Speed cap in Fisher–Rao units per unit time.
    #[arg(long, default_value_t = 4.0, allow_negative_numbers = true)]
    pub speed_cap: f64,
    /// Quadrature nodes per component.
    #[arg(long, default_value_t = DEFAULT_NODES_F32)]
    pub nodes: u32,
    /// gpu: the particle kernel; cpu: its f32 mirror.
    #[arg(long, value_enum, default_value_t = Device::Cpu)]
    pub device: Device,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Force a graphics backend for --device gpu.
    #[arg(long, value_enum)]
    pub backend: Option<BackendChoice>,
}

/// Flow modes a single trajectory can follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Natural gradient flow.
    Natural,
    /// Euclidean gradient flow.
    Euclidean,
}

impl Mode {
    fn code(self) -> u32 {
        match self {
            Mode::Natural => FlowMode::Natural.code(),
            Mode::Euclidean => FlowMode::Euclidean.code(),
        }
    }
}

/// One record of the trajectory.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TracePoint {
    /// Step index (0 = start).
    pub step: u32,
    /// μ1 of the model here (a slice coordinate on the seed's slice, else possibly held).
    pub mu1: f64,
    /// μ2 of the model here.
    pub mu2: f64,
    /// The slice coordinates here, in the order of the slice.
    pub theta: [f64; 2],
    /// L = KL(p_θ* ‖ p_θ) here.
    pub loss: f64,
    /// Fisher–Rao length of the path from the start to here.
    pub fisher_rao_length: f64,
}

#[derive(Serialize)]
struct TraceOutput {
    device: String,
    slice: Slice,
    trajectory: Vec<TracePoint>,
}

/// What a trace runs on: the slice, the base model (held parameters), the target and the
/// start as whole models.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceModel {
    /// The slice.
    pub slice: Slice,
    /// The model with --model applied (the held parameters' values).
    pub base: Model,
    /// The base with --target's slice coordinates.
    pub target: Model,
    /// The base with --start's slice coordinates.
    pub start: Model,
}

impl TraceModel {
    /// σ when the kernel's seed mode applies (the seed's slice, π = ½, σ1 = σ2, induced
    /// metric), else None (general mode).
    pub fn seed_sigma(&self, metric: Metric) -> Option<f64> {
        let b = &self.base;
        (self.slice.is_seed() && b.pi == 0.5 && b.sigma1 == b.sigma2 && metric == Metric::Induced)
            .then_some(b.sigma1)
    }
}

/// The models of a trace's options (exit 2 naming the option when one leaves the model).
pub fn trace_model(args: &TraceArgs) -> Result<TraceModel, CliError> {
    let slice = args.model.slice.unwrap_or(Slice::SEED);
    let base = args.model.apply(Model::default(), &slice)?;
    let place = |option: &str, xy: [f64; 2]| {
        let m = slice.place(&base, xy);
        m.validate_for(&slice)
            .map_err(|e| CliError::input(anyhow!("--{option}: {e}")))?;
        Ok::<Model, CliError>(m)
    };
    Ok(TraceModel {
        slice,
        base,
        target: place("target", args.target)?,
        start: place("start", args.start)?,
    })
}

fn validate(args: &TraceArgs) -> Result<(), CliError> {
    let input = |e: crate::math::InputError| CliError::input(e);
    validate_finite("start[0]", args.start[0]).map_err(input)?;
    validate_finite("start[1]", args.start[1]).map_err(input)?;
    validate_finite("target[0]", args.target[0]).map_err(input)?;
    validate_finite("target[1]", args.target[1]).map_err(input)?;
    validate_damping(args.damping).map_err(input)?;
    if !(args.dt.is_finite() && args.dt > 0.0) {
        return Err(CliError::input(anyhow!(
            "--dt must be a positive number, got {}",
            args.dt
        )));
    }
    if !(1..=MAX_STEPS).contains(&args.steps) {
        return Err(CliError::input(anyhow!(
            "--steps must be from 1 to {MAX_STEPS}, got {}",
            args.steps
        )));
    }
    if !(args.speed_cap.is_finite() && args.speed_cap > 0.0) {
        return Err(CliError::input(anyhow!(
            "--speed-cap must be a positive number, got {}",
            args.speed_cap
        )));
    }
    Ok(())
}

/// The kernel's parameters for a trace (seed mode, or general mode off the seed's slice).
pub fn trace_params(args: &TraceArgs, m: &TraceModel) -> FlowParams {
    let params = FlowParams {
        target: [args.target[0] as f32, args.target[1] as f32],
        view_min: [f32::MIN, f32::MIN],
        view_max: [f32::MAX, f32::MAX],
        sigma: m.base.sigma1 as f32,
        damping: args.damping as f32,
        dt: args.dt as f32,
        speed_cap: args.speed_cap as f32,
        integrator: args.integrator.code(),
        mode: args.mode.code(),
        count: 1,
        flags: flow_flags::TRACE,
        ..FlowParams::default()
    };
    match m.seed_sigma(args.metric) {
        Some(_) => params,
        None => params.with_general(&m.base, &m.slice, &m.target, args.metric),
    }
}

/// The CPU mirror's trajectory: `steps + 1` kernel states, as [`particles::trace`] returns.
pub fn trace_cpu(
    params: &FlowParams,
    rule: &QuadratureRule,
    start: [f32; 2],
    mode: u32,
    steps: u32,
) -> Vec<Particle> {
    let nodes = rule.panel_rule().table_f32();
    let params = FlowParams {
        panel_nodes: nodes.len() as u32,
        count: 1,
        // TRACE on top of the caller's flags (GENERAL must survive), as the kernel's trace.
        flags: params.flags | flow_flags::TRACE,
        ..*params
    };
    let mut state = Particle::trace_start(start, mode);
    (0..=steps)
        .map(|_| {
            state = step_particle(&params, &nodes, 0, &state);
            state
        })
        .collect()
}

/// Turns kernel states into the trajectory: state k holds θ_k (`previous`) and the
/// Fisher–Rao speed there; lengths are the running sum of speed·dt. The loss at each θ_k is
/// the f64 reference's (f32 cannot resolve L near a minimum, where it matters most): the
/// seed's rotated path on the seed's slice, the general one elsewhere.
pub fn trajectory(states: &[Particle], dt: f64, m: &TraceModel, metric: Metric) -> Vec<TracePoint> {
    let rule =
        QuadratureRule::new(crate::math::quadrature::DEFAULT_NODES_F64).expect("valid default");
    let seed_sigma = m.seed_sigma(metric);
    let target_xy = m.slice.coords(&m.target);
    let mut length = 0.0;
    states
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let theta = [s.previous[0] as f64, s.previous[1] as f64];
            let here = m.slice.place(&m.base, theta);
            let loss = match seed_sigma {
                Some(sigma) => {
                    kl_divergence(&Mixture::new(theta[0], theta[1], sigma), target_xy, &rule)
                }
                None => crate::math::general::kl_divergence(&here, &m.target, &rule),
            };
            let point = TracePoint {
                step: k as u32,
                mu1: here.mu1,
                mu2: here.mu2,
                theta,
                loss,
                fisher_rao_length: length,
            };
            length += s.speed as f64 * dt;
            point
        })
        .collect()
}

/// Runs `fisherflow trace`.
pub fn run(args: &TraceArgs) -> CliResult {
    validate(args)?;
    let m = trace_model(args)?;
    crate::math::quadrature::validate_nodes(args.nodes).map_err(CliError::input)?;
    // The general mode's panels need fewer nodes than the seed's windows (simulation docs).
    let nodes = match m.seed_sigma(args.metric) {
        Some(_) => args.nodes,
        None => general_nodes(args.nodes),
    };
    let rule = QuadratureRule::new(nodes).map_err(CliError::input)?;
    let params = trace_params(args, &m);
    let start = [args.start[0] as f32, args.start[1] as f32];
    let (device, states) = match args.device {
        Device::Cpu => (
            "cpu".to_owned(),
            trace_cpu(&params, &rule, start, args.mode.code(), args.steps),
        ),
        Device::Gpu => {
            let ctx = GpuContext::new_headless(GpuOptions {
                backend: args.backend,
                ..Default::default()
            })
            .map_err(CliError::runtime)?;
            let states =
                particles::trace(&ctx, &params, &rule, start, args.mode.code(), args.steps)
                    .map_err(CliError::runtime)?;
            (ctx.describe(), states)
        }
    };
    let trajectory = trajectory(&states, args.dt, &m, args.metric);
    if args.mode == Mode::Natural
        && args.damping == 0.0
        && m.seed_sigma(args.metric).is_some()
        && args.start[0] == args.start[1]
    {
        eprintln!(
            "note: the start lies on the diagonal, where the natural gradient is undefined; the path stays put (try --damping 0.01)"
        );
    }
    let text = if args.json {
        serde_json::to_string_pretty(&TraceOutput {
            device,
            slice: m.slice,
            trajectory,
        })
        .map_err(CliError::runtime)?
            + "\n"
    } else {
        table(&device, args, &m, &trajectory)
    };
    print!("{text}");
    Ok(())
}

fn table(device: &str, args: &TraceArgs, m: &TraceModel, points: &[TracePoint]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "device: {device}   mode: {:?}   integrator: {:?}   dt = {}",
        args.mode, args.integrator, args.dt
    );
    let _ = writeln!(
        s,
        "{:>7} {:>14} {:>14} {:>14} {:>14}",
        "step",
        m.slice.a.to_string(),
        m.slice.b.to_string(),
        "loss",
        "FR length"
    );
    let stride = (points.len() / 40).max(1);
    for (i, p) in points.iter().enumerate() {
        if i % stride == 0 || i + 1 == points.len() {
            let _ = writeln!(
                s,
                "{:>7} {:>14.6} {:>14.6} {:>14.6e} {:>14.6}",
                p.step, p.theta[0], p.theta[1], p.loss, p.fisher_rao_length
            );
        }
    }
    if let Some(last) = points.last() {
        let t = args.target;
        let [x, y] = last.theta;
        let d_target = (x - t[0]).hypot(y - t[1]);
        // The twin, where the label-swapped target lies in the slice.
        let d_twin = m
            .slice
            .twin(&m.base, &m.target)
            .map_or(f64::INFINITY, |w| (x - w[0]).hypot(y - w[1]));
        let (name, d) = if d_target <= d_twin {
            ("θ*", d_target)
        } else {
            ("its twin", d_twin)
        };
        let _ = writeln!(s, "end: nearest minimum is {name}, at distance {d:.3e}");
    }
    s
}
