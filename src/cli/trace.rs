//! `fisherflow trace`: one trajectory of the natural or Euclidean gradient flow, computed by
//! the particle kernel (`--device gpu`) or by its CPU mirror (`--device cpu`), with the loss
//! and the Fisher–Rao path length along it.

use std::fmt::Write as _;

use anyhow::anyhow;
use clap::Args;
use serde::Serialize;

use super::fim::Device;
use super::{CliError, CliResult, parse_pair};
use crate::compute::particles;
use crate::cpu::particles::step_particle;
use crate::gpu::context::{BackendChoice, GpuContext, GpuOptions};
use crate::gpu::gpu_data::{FlowParams, Particle, flow_flags};
use crate::math::loss::kl_divergence;
use crate::math::quadrature::DEFAULT_NODES_F32;
use crate::math::{Mixture, QuadratureRule, validate_damping, validate_finite, validate_sigma};
use crate::scene::{FlowMode, Integrator};

/// Largest number of steps a trace may ask for.
pub const MAX_STEPS: u32 = 1_000_000;

/// Options of `fisherflow trace`.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// Start θ0 = A,B.
    #[arg(long, value_parser = parse_pair, allow_hyphen_values = true)]
    pub start: [f64; 2],
    /// Target θ* = T1,T2.
    #[arg(long, value_parser = parse_pair, allow_hyphen_values = true)]
    pub target: [f64; 2],
    /// σ (> 0).
    #[arg(long, allow_negative_numbers = true)]
    pub sigma: f64,
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
    /// μ1.
    pub mu1: f64,
    /// μ2.
    pub mu2: f64,
    /// L = KL(p_θ* ‖ p_θ) here.
    pub loss: f64,
    /// Fisher–Rao length of the path from the start to here.
    pub fisher_rao_length: f64,
}

#[derive(Serialize)]
struct TraceOutput {
    device: String,
    trajectory: Vec<TracePoint>,
}

fn validate(args: &TraceArgs) -> Result<(), CliError> {
    let input = |e: crate::math::InputError| CliError::input(e);
    validate_finite("start[0]", args.start[0]).map_err(input)?;
    validate_finite("start[1]", args.start[1]).map_err(input)?;
    validate_finite("target[0]", args.target[0]).map_err(input)?;
    validate_finite("target[1]", args.target[1]).map_err(input)?;
    validate_sigma(args.sigma).map_err(input)?;
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

/// The kernel's parameters for a trace.
pub fn trace_params(args: &TraceArgs) -> FlowParams {
    FlowParams {
        target: [args.target[0] as f32, args.target[1] as f32],
        view_min: [f32::MIN, f32::MIN],
        view_max: [f32::MAX, f32::MAX],
        sigma: args.sigma as f32,
        damping: args.damping as f32,
        dt: args.dt as f32,
        speed_cap: args.speed_cap as f32,
        integrator: args.integrator.code(),
        mode: args.mode.code(),
        count: 1,
        flags: flow_flags::TRACE,
        ..FlowParams::default()
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
        flags: flow_flags::TRACE,
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
/// the f64 reference's (f32 cannot resolve L near a minimum, where it matters most).
pub fn trajectory(states: &[Particle], dt: f64, target: [f64; 2], sigma: f64) -> Vec<TracePoint> {
    let rule =
        QuadratureRule::new(crate::math::quadrature::DEFAULT_NODES_F64).expect("valid default");
    let mut length = 0.0;
    states
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let point = TracePoint {
                step: k as u32,
                mu1: s.previous[0] as f64,
                mu2: s.previous[1] as f64,
                loss: kl_divergence(
                    &Mixture::new(s.previous[0] as f64, s.previous[1] as f64, sigma),
                    target,
                    &rule,
                ),
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
    let rule = QuadratureRule::new(args.nodes).map_err(CliError::input)?;
    let params = trace_params(args);
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
    let trajectory = trajectory(&states, args.dt, args.target, args.sigma);
    if args.mode == Mode::Natural && args.damping == 0.0 && args.start[0] == args.start[1] {
        eprintln!(
            "note: the start lies on the diagonal, where the natural gradient is undefined; the path stays put (try --damping 0.01)"
        );
    }
    let text = if args.json {
        serde_json::to_string_pretty(&TraceOutput { device, trajectory })
            .map_err(CliError::runtime)?
            + "\n"
    } else {
        table(&device, args, &trajectory)
    };
    print!("{text}");
    Ok(())
}

fn table(device: &str, args: &TraceArgs, points: &[TracePoint]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "device: {device}   mode: {:?}   integrator: {:?}   dt = {}",
        args.mode, args.integrator, args.dt
    );
    let _ = writeln!(
        s,
        "{:>7} {:>14} {:>14} {:>14} {:>14}",
        "step", "μ1", "μ2", "loss", "FR length"
    );
    let stride = (points.len() / 40).max(1);
    for (i, p) in points.iter().enumerate() {
        if i % stride == 0 || i + 1 == points.len() {
            let _ = writeln!(
                s,
                "{:>7} {:>14.6} {:>14.6} {:>14.6e} {:>14.6}",
                p.step, p.mu1, p.mu2, p.loss, p.fisher_rao_length
            );
        }
    }
    if let Some(last) = points.last() {
        let t = args.target;
        let d_target = (last.mu1 - t[0]).hypot(last.mu2 - t[1]);
        let d_twin = (last.mu1 - t[1]).hypot(last.mu2 - t[0]);
        let (name, d) = if d_target <= d_twin {
            ("θ*", d_target)
        } else {
            ("its twin", d_twin)
        };
        let _ = writeln!(s, "end: nearest minimum is {name}, at distance {d:.3e}");
    }
    s
}
