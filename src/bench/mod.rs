//! `fisherflow bench`: GPU against CPU, same work on both sides, errors beside times.
//!
//! It runs on one slice of the general mixture ([`BenchModel`]): the seed's slice (π = ½,
//! σ1 = σ2, induced metric; the default) measures the seed kernels, every other slice (or
//! `--kernel general`) the general ones; each row names its `kernel`.
//!
//! * FIM field over grids × node counts × paths: `gpu` (the WGSL kernel; end-to-end time with
//!   the uniform upload, dispatch and read-back, and kernel time from timestamp queries where
//!   the adapter has them), `cpu-f32-mt` (the f32 mirror on every core), `cpu-f64` (the
//!   single-threaded reference, small grids only). Each: warm-up, ≥ 5 repeats, median and p95,
//!   cells per second (kernel time when known, else end-to-end), and the largest relative error
//!   against the f64 reference at 128 nodes on the same cells (a deterministic sample of at most
//!   `error_sample` cells on large grids).
//!   On the seed's kernel the view is [−5σ, 5σ]² (σ = 1 and target (−1.5, 1) by default). On
//!   the general kernel the paths are `fim_general.wgsl`'s `grid` entry point (kernel time
//!   between timestamps written by empty passes just before and after the grid pass, since the
//!   grid pass takes no timestamp writes of its own), its rayon mirror `cpu::general::grid` and
//!   the f64 `evaluate_general_metric`, all with the general rule of Q/2 nodes per component
//!   and panel pair ([`general_nodes`], as the viewer runs it; the row's `kernel_nodes`); the
//!   view is the viewer's fitted view of the slice ([`Camera::fit_slice`] at its nominal
//!   aspect, N × N cells), the target is the model; the error is against the f64 general
//!   reference at 64 nodes with issue 10's tolerances ([`general_tolerances`]), over the
//!   sampled cells inside the model with a defined metric (`outside_cells` and
//!   `undefined_cells` count the others; a cell outside on one side only is an infinite error).
//! * Particles: flow steps per second, GPU kernel against the CPU mirror (on a general slice
//!   the kernel's general mode, positions in slice coordinates over the fitted view).
//! * Frame loop: offscreen frames of the viewer's renderer, median and p95 wall time per frame,
//!   split into field, particles and drawing by submitting and waiting for each stage alone
//!   (wall clock: comparable on every adapter; lavapipe's timestamps between commands did not
//!   add up to the wall time). On a general slice the scene is the model on its slice with
//!   the view fitted to it ([`Scene::fit_view`]).

pub mod presets;
pub mod verify;

use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::bench::verify::{
    GeneralOutcome, Tolerances, compare_general, compare_reports, general_grid_reference,
    general_tolerances, report_from_cell,
};
use crate::compute::fim_field::{FieldData, FieldMode, FimFieldPipeline, grid_params};
use crate::compute::general::{GeneralData, GeneralPipeline};
use crate::compute::particles::{ParticleData, ParticlePipeline};
use crate::cpu;
use crate::frame::FrameRenderer;
use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::general_data::{GeneralGridParams, general_grid_params};
use crate::gpu::gpu_data::{FieldCell, FieldParams, FlowParams, Particle};
use crate::gpu::timing::GpuTimer;
use crate::math::general::DEFAULT_NODES_GENERAL;
use crate::math::quadrature::DEFAULT_NODES_F64;
use crate::math::{Metric, Model, PointInput, PointReport, QuadratureRule, Slice, evaluate_point};
use crate::render::CANVAS_FORMAT;
use crate::render::canvas::Canvas;
use crate::scene::{Camera, NOMINAL_ASPECT, Scene};
use crate::simulation::{flow_params, general_nodes, uses_seed_kernel};

/// Which kernel a measurement ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Kernel {
    /// The seed's kernels (`fim_field.wgsl`, the particle kernel's seed mode): the seed's
    /// slice with π = ½, σ1 = σ2, induced metric.
    Seed,
    /// The general kernels (`fim_general.wgsl`, the particle kernel's general mode): any slice.
    General,
}

/// The model and slice the benchmark runs on, and which kernel evaluates them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BenchModel {
    /// The model; it is also the target (as in the viewer, whose handle is the model's slice
    /// coordinates).
    pub model: Model,
    /// The slice.
    pub slice: Slice,
    /// The metric (the general kernel's; the seed kernel is the induced metric).
    pub metric: Metric,
    /// The kernel.
    pub kernel: Kernel,
}

impl Default for BenchModel {
    /// The seed benchmark: the default scene's model (π = ½, handle (−1.5, 1), σ = 1) on the
    /// seed's slice.
    fn default() -> Self {
        let scene = Scene::default();
        Self {
            model: scene.model,
            slice: scene.slice,
            metric: Metric::Induced,
            kernel: Kernel::Seed,
        }
    }
}

impl BenchModel {
    /// `model` on `slice` with `metric`; the seed kernel where it applies (the seed's slice,
    /// π = ½, σ1 = σ2, induced), else the general one. `kernel` forces one: the general kernel
    /// runs anywhere, the seed kernel only where it applies (else an error naming why).
    pub fn new(
        model: Model,
        slice: Slice,
        metric: Metric,
        kernel: Option<Kernel>,
    ) -> Result<Self, String> {
        let seed_applies = slice.is_seed()
            && model.pi == 0.5
            && model.sigma1 == model.sigma2
            && metric == Metric::Induced;
        let kernel = match kernel {
            Some(Kernel::Seed) if !seed_applies => {
                return Err(
                    "the seed kernel runs only on the slice mu1,mu2 with pi=0.5, \
                            sigma1 = sigma2 and the induced metric; use --kernel general or \
                            leave --kernel out"
                        .into(),
                );
            }
            Some(k) => k,
            None if seed_applies => Kernel::Seed,
            None => Kernel::General,
        };
        Ok(Self {
            model,
            slice,
            metric,
            kernel,
        })
    }

    /// The viewer's scene of this model and slice: the probe where the viewer puts it on a
    /// new slice, the view fitted to the handles and the probe.
    pub fn scene(&self) -> Scene {
        let mut scene = Scene {
            model: self.model,
            slice: self.slice,
            metric: self.metric,
            probe: Some(crate::scene::default_probe(&self.model, &self.slice)),
            ..Scene::default()
        };
        scene.fit_view();
        scene
    }

    /// The general kernel's view: the fitted camera's visible rectangle at the viewer's
    /// nominal aspect ([`Camera::fit_slice`], no probe).
    pub fn general_view(&self) -> ([f64; 2], [f64; 2]) {
        Camera::fit_slice(&self.model, &self.slice, None)
            .visible_rect([(100.0 * NOMINAL_ASPECT) as f32, 100.0])
    }
}

/// A path of the FIM benchmark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
pub enum FimPath {
    /// The WGSL kernel.
    #[serde(rename = "gpu")]
    #[value(name = "gpu")]
    Gpu,
    /// The f32 CPU path at the SIMD limit: 16 cells per AVX-512 vector or 8 per AVX2 + FMA on
    /// every core (`cpu::simd`; the scalar mirror where the CPU lacks both; `--isa` picks the
    /// sets). On general slices the union pass vectorised over nodes (`cpu::simd::general_grid_into_at`).
    #[serde(rename = "cpu-f32-simd")]
    #[value(name = "cpu-f32-simd")]
    CpuF32Simd,
    /// The f32 CPU mirror on every core.
    #[serde(rename = "cpu-f32-mt")]
    #[value(name = "cpu-f32-mt")]
    CpuF32Mt,
    /// The f64 reference, one thread.
    #[serde(rename = "cpu-f64")]
    #[value(name = "cpu-f64")]
    CpuF64,
}

/// One frame-loop case.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct FrameCase {
    /// Target width in pixels.
    pub width: u32,
    /// Target height in pixels.
    pub height: u32,
    /// Grid density.
    pub grid: u32,
    /// Particles (0: flow off).
    pub particles: u32,
    /// Recompute the field every frame (as while dragging a slider), else only once.
    pub field_every_frame: bool,
    /// Move the target every frame, around a circle of radius 0.3 about where it starts,
    /// through the edit a dragged handle makes (the viewer's `--drag-target`): the field's
    /// target-only pass and whatever follows the target.
    pub drag_target: bool,
}

/// What to measure.
#[derive(Clone, Debug)]
pub struct BenchConfig {
    /// Grid sides N (N×N cells).
    pub grids: Vec<u32>,
    /// Nodes per component.
    pub nodes: Vec<u32>,
    /// FIM paths.
    pub paths: Vec<FimPath>,
    /// Timed repeats (≥ 5).
    pub repeats: usize,
    /// Untimed warm-up runs.
    pub warmup: usize,
    /// Largest grid the single-threaded f64 path runs on.
    pub f64_max_grid: u32,
    /// Cells compared with the reference per grid, at most.
    pub error_sample: usize,
    /// Particle counts.
    pub particles: Vec<u32>,
    /// Flow steps per timed repeat.
    pub particle_steps: u32,
    /// Frame-loop cases.
    pub frames: Vec<FrameCase>,
    /// Timed frames per case.
    pub frame_count: usize,
    /// The model, slice and kernel.
    pub model: BenchModel,
    /// Layer widths d (d_in = d_out = d) of the K-FAC cost section; empty skips it.
    pub kfac_widths: Vec<usize>,
    /// The exact block's solve is timed while its predicted time stays under this (seconds).
    pub kfac_exact_budget_s: f64,
    /// The JAX peer (`jax_fim.py N Q [repeats]`), run on the FIM section's grids and node
    /// counts before our own timings, so both are measured in one run on one machine.
    pub peer: Option<PeerCommand>,
    /// The viewer's presets the presets section runs (`--presets`); empty skips it.
    pub presets: Vec<crate::scene::Preset>,
    /// The instruction sets the SIMD rows (`cpu-f32-simd` field and particles) run on, each a
    /// row of its own (`--isa`); by default the widest this CPU has.
    pub isas: Vec<cpu::simd::SimdLevel>,
}

impl BenchConfig {
    /// The FIM section's runs in order: one per path, the SIMD path once per instruction set
    /// raced (`--isa`), the others with no instruction set.
    pub fn path_runs(&self) -> Vec<(FimPath, Option<cpu::simd::SimdLevel>)> {
        self.paths
            .iter()
            .flat_map(|&path| {
                let isas: Vec<Option<cpu::simd::SimdLevel>> = if path == FimPath::CpuF32Simd {
                    self.isas.iter().copied().map(Some).collect()
                } else {
                    vec![None]
                };
                isas.into_iter().map(move |isa| (path, isa))
            })
            .collect()
    }
}

/// How to run a peer implementation: `program args… N Q repeats`, one JSON line on stdout
/// with `cells_per_s` (see `../shared/peers/jax_fim.py`).
#[derive(Clone, Debug)]
pub struct PeerCommand {
    /// The program and its leading arguments (e.g. `python3 jax_fim.py`).
    pub command: Vec<String>,
    /// Each run is killed after this long.
    pub timeout_s: u64,
}

impl BenchConfig {
    /// The full benchmark (minutes on llvmpipe).
    pub fn full() -> Self {
        let case = |width, height, grid, particles, field_every_frame| FrameCase {
            width,
            height,
            grid,
            particles,
            field_every_frame,
            drag_target: false,
        };
        let drag = |width, height, grid| FrameCase {
            drag_target: true,
            ..case(width, height, grid, 0, false)
        };
        Self {
            grids: vec![64, 256, 1024],
            nodes: vec![32, 64],
            paths: vec![
                FimPath::Gpu,
                FimPath::CpuF32Simd,
                FimPath::CpuF32Mt,
                FimPath::CpuF64,
            ],
            repeats: 5,
            warmup: 1,
            f64_max_grid: 256,
            error_sample: 4096,
            particles: vec![16_384, 262_144, 1_048_576],
            particle_steps: 4,
            frames: vec![
                case(1280, 720, 128, 0, false),
                case(1280, 720, 512, 0, false),
                case(1280, 720, 128, 0, true),
                drag(1280, 720, 128),
                case(1280, 720, 128, 16_384, false),
            ],
            frame_count: 20,
            model: BenchModel::default(),
            // Up to the 1,000 × 1,000 layer for K-FAC; the exact block while a solve stays
            // under a minute (and its matrix under 4 GiB).
            kfac_widths: vec![4, 8, 16, 24, 32, 48, 64, 90, 128, 256, 512, 1000],
            kfac_exact_budget_s: 60.0,
            peer: None,
            presets: Vec::new(),
            isas: vec![cpu::simd::simd_level()],
        }
    }

    /// The quick benchmark: well under a minute on llvmpipe (CI runs it as a smoke test).
    pub fn quick() -> Self {
        Self {
            grids: vec![64, 128],
            nodes: vec![64],
            f64_max_grid: 64,
            error_sample: 1024,
            particles: vec![4096],
            particle_steps: 2,
            frames: vec![FrameCase {
                width: 640,
                height: 360,
                grid: 64,
                particles: 4096,
                field_every_frame: true,
                drag_target: false,
            }],
            frame_count: 5,
            kfac_widths: vec![4, 8, 16, 32],
            kfac_exact_budget_s: 0.5,
            ..Self::full()
        }
    }
}

/// The adapter the GPU rows ran on.
#[derive(Clone, Debug, Serialize)]
pub struct AdapterInfo {
    /// Adapter name.
    pub name: String,
    /// Backend.
    pub backend: String,
    /// Device type.
    pub device_type: String,
    /// Driver and its version.
    pub driver: String,
    /// Whether kernel times come from timestamp queries.
    pub timestamps: bool,
}

/// The CPU the CPU rows ran on.
#[derive(Clone, Debug, Serialize)]
pub struct CpuInfo {
    /// Model name from /proc/cpuinfo (or "unknown").
    pub model: String,
    /// Threads the multi-threaded path used.
    pub threads: usize,
    /// The widest instruction set of the SIMD paths here ("avx512", "avx2+fma" or "scalar"),
    /// the one the exp ceiling is measured on.
    pub simd: String,
    /// The exp ceiling: this machine's vectorised exp throughput on every core.
    pub exp_ceiling: ExpCeiling,
}

/// The machine's limit for our kind of work: exponentials per second of the SIMD path's own
/// exp at the widest instruction set present (so no row can beat its ceiling by running a
/// wider one) on every core, with no memory traffic (`cpu::simd::exp_throughput_kernel`, best of
/// three ~0.2 s runs). Each CPU row states its exps/s as a fraction of this.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ExpCeiling {
    /// Exponentials per second, all threads.
    pub exps_per_s: f64,
    /// Threads.
    pub threads: usize,
}

/// Measures [`ExpCeiling`].
pub fn measure_exp_ceiling() -> ExpCeiling {
    let threads = rayon::current_num_threads();
    let per_thread: u64 = 1 << 25;
    let mut best = 0.0f64;
    for _ in 0..3 {
        let start = Instant::now();
        let sum: f32 = (0..threads)
            .into_par_iter()
            .map(|t| cpu::simd::exp_throughput_kernel(-20.0 + t as f32, 0.3, per_thread))
            .sum();
        let seconds = start.elapsed().as_secs_f64();
        std::hint::black_box(sum);
        best = best.max((per_thread * threads as u64) as f64 / seconds);
    }
    ExpCeiling {
        exps_per_s: best,
        threads,
    }
}

/// One peer measurement (the peer's own JSON, the fields we use).
#[derive(Clone, Debug, Serialize)]
pub struct PeerRow {
    /// The peer's name and version (e.g. "jax-0.8.1").
    pub peer: String,
    /// Grid side N.
    pub grid: u32,
    /// Nodes per component.
    pub nodes: u32,
    /// Best wall time of the peer's repeats.
    pub seconds: f64,
    /// Cells per second.
    pub cells_per_s: f64,
}

/// Runs `command` to completion and returns its stdout, or an error naming the exit status
/// (with the end of stderr) or the timeout (the child is then killed).
fn run_with_timeout(
    command: &mut std::process::Command,
    timeout: std::time::Duration,
) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    use std::process::Stdio;
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start: {e}"))?;
    // Both pipes drained on their own threads, so a chatty child never blocks on a full pipe.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("no result within {} s; killed", timeout.as_secs()));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let out = stdout.join().unwrap_or_default();
    let err = stderr.join().unwrap_or_default();
    if !status.success() {
        let err = String::from_utf8_lossy(&err);
        let tail: String = err.lines().rev().take(3).collect::<Vec<_>>().join(" | ");
        return Err(format!("exited with {status}: {tail}"));
    }
    Ok(out)
}

/// Runs the peer for one grid and node count.
fn run_peer(peer: &PeerCommand, grid: u32, nodes: u32) -> Result<PeerRow, String> {
    let (program, leading) = peer
        .command
        .split_first()
        .ok_or_else(|| "empty peer command".to_owned())?;
    let output = run_with_timeout(
        std::process::Command::new(program).args(leading).args([
            grid.to_string(),
            nodes.to_string(),
            "5".to_owned(),
        ]),
        std::time::Duration::from_secs(peer.timeout_s),
    )
    .map_err(|e| format!("{}: {e}", peer.command.join(" ")))?;
    let line = String::from_utf8_lossy(&output);
    let value: serde_json::Value = line
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| format!("the peer printed no JSON line: {line}"))?;
    let number = |key: &str| {
        value[key]
            .as_f64()
            .ok_or_else(|| format!("the peer's JSON lacks `{key}`: {value}"))
    };
    Ok(PeerRow {
        peer: value["peer"].as_str().unwrap_or("peer").to_owned(),
        grid,
        nodes,
        seconds: number("seconds")?,
        cells_per_s: number("cells_per_s")?,
    })
}

/// One FIM measurement.
#[derive(Clone, Debug, Serialize)]
pub struct FimRow {
    /// Which path.
    pub path: FimPath,
    /// The instruction set of a `cpu-f32-simd` row ("avx512", "avx2+fma", "scalar").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub isa: Option<String>,
    /// Which kernel (the seed's or the general one).
    pub kernel: Kernel,
    /// Grid side N.
    pub grid: u32,
    /// Nodes per component.
    pub nodes: u32,
    /// N².
    pub cells: u64,
    /// Timed repeats.
    pub repeats: usize,
    /// Median wall time, end to end.
    pub median_ms: f64,
    /// 95th percentile wall time.
    pub p95_ms: f64,
    /// Median GPU kernel time from timestamps (GPU path with timestamps only).
    pub kernel_ms: Option<f64>,
    /// Cells per second (kernel time when known, else end-to-end).
    pub cells_per_s: f64,
    /// Exponentials per second achieved (cells/s × exps per cell: 8·Q on the seed kernel,
    /// `cpu::simd::exps_per_cell`). Seed kernel only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exps_per_s: Option<f64>,
    /// CPU paths: `exps_per_s` over the machine's exp ceiling ([`ExpCeiling`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ceiling_fraction: Option<f64>,
    /// Cells per second over the peer's on the same grid and node count (when a peer ran).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vs_peer: Option<f64>,
    /// Largest relative error against the f64 reference (F, λ_min, ∇L, natural gradient).
    pub max_rel_error: f64,
    /// Cells the error was measured on (on the general kernel: the sampled cells inside the
    /// model with a defined metric on both sides; 0 there means nothing was compared, and
    /// `max_rel_error` 0 says nothing).
    pub error_cells: usize,
    /// Gauss–Legendre nodes per component of the rule the kernel ran (the general kernel: Q/2,
    /// [`general_nodes`]; the seed kernel: Q). General rows only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel_nodes: Option<u32>,
    /// Sampled cells outside the model (not compared). General rows only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outside_cells: Option<usize>,
    /// Sampled cells with an undefined metric on either side (not compared). General rows
    /// only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undefined_cells: Option<usize>,
}

/// One particle-advection measurement.
#[derive(Clone, Debug, Serialize)]
pub struct ParticleRow {
    /// "gpu", "cpu-f32-simd" or "cpu-f32-mt".
    pub path: String,
    /// The instruction set of a `cpu-f32-simd` row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub isa: Option<String>,
    /// Which kernel (mode of the particle kernel).
    pub kernel: Kernel,
    /// Particle count.
    pub particles: u32,
    /// Integrator.
    pub integrator: String,
    /// Median wall time of one step.
    pub median_ms_per_step: f64,
    /// 95th percentile of one step.
    pub p95_ms_per_step: f64,
    /// Median kernel time of one step from timestamps.
    pub kernel_ms_per_step: Option<f64>,
    /// Particle steps per second (kernel time when known).
    pub particle_steps_per_s: f64,
}

/// One frame-loop measurement.
#[derive(Clone, Debug, Serialize)]
pub struct FrameRow {
    /// The case.
    #[serde(flatten)]
    pub case: FrameCase,
    /// Which kernel the frame's field and particles ran (the viewer's choice for the scene:
    /// the seed's on the seed's slice even under `--kernel general`).
    pub kernel: Kernel,
    /// Cells drawn.
    pub cells: u32,
    /// Median ms/frame (wall, submit to idle).
    pub median_ms: f64,
    /// 95th percentile ms/frame.
    pub p95_ms: f64,
    /// Median wall time of the field and probe dispatches (submitted and waited alone).
    pub field_ms: f64,
    /// Median wall time of the particle steps and the trail pass.
    pub particles_ms: f64,
    /// Median wall time of the scene pass.
    pub draw_ms: f64,
    /// The frame split pass by pass (separate frames of the same case, each pass submitted
    /// and waited for alone: `SceneRenderer::render_passes_timed`), medians in drawing order.
    pub passes: Vec<PassTime>,
}

/// One pass of the frame split.
#[derive(Clone, Debug, Serialize)]
pub struct PassTime {
    /// The stage or the layer drawn.
    pub pass: &'static str,
    /// Median wall time in milliseconds.
    pub ms: f64,
}

/// The whole report (`--json`).
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    /// GPU side.
    pub adapter: AdapterInfo,
    /// CPU side.
    pub cpu: CpuInfo,
    /// FIM rows.
    pub fim: Vec<FimRow>,
    /// Peer rows (the JAX peer when `--jax-peer` was given).
    pub peers: Vec<PeerRow>,
    /// Particle rows.
    pub particles: Vec<ParticleRow>,
    /// Frame rows.
    pub frame: Vec<FrameRow>,
    /// The model (also the target).
    pub model: Model,
    /// The slice.
    pub slice: Slice,
    /// The metric.
    pub metric: Metric,
    /// The kernel of every row.
    pub kernel: Kernel,
    /// K-FAC's cost: exact block solve against the two factor solves (CPU, faer).
    pub kfac_solve: Vec<crate::kfac::cost::SolveTiming>,
    /// Fitted exponents of time against n (CPU exact, CPU K-FAC, GPU exact, GPU K-FAC), over
    /// solves of at least 1 ms.
    pub kfac_exponents: [Option<f64>; 4],
    /// The presets section (`--presets`): the general kernel per preset against the seed's.
    pub presets: Vec<presets::PresetRow>,
}

/// (median, p95) of samples.
pub fn median_p95(samples: &[f64]) -> (f64, f64) {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    if s.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let p95 = s[((s.len() as f64 * 0.95).ceil() as usize).clamp(1, s.len()) - 1];
    (s[s.len() / 2], p95)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The seed kernel's view: [−5σ, 5σ]² with the model's σ and handle (by default σ = 1, target
/// (−1.5, 1)): cells from on the diagonal to 10σ apart.
fn bench_params(grid: u32, model: &BenchModel) -> FieldParams {
    let sigma = model.model.sigma1;
    let t = model.slice.coords(&model.model);
    grid_params(
        [-5.0 * sigma, -5.0 * sigma],
        [5.0 * sigma, 5.0 * sigma],
        grid,
        grid,
        sigma as f32,
        t,
        0.0,
    )
}

/// Deterministic sample of at most `limit` cell indices.
fn sample(cells: usize, limit: usize) -> Vec<usize> {
    let stride = cells.div_ceil(limit.max(1)).max(1);
    (0..cells).step_by(stride).collect()
}

fn input_of(params: &FieldParams, index: u32) -> PointInput {
    let mu = params.cell_theta(index);
    PointInput {
        mu1: mu[0],
        mu2: mu[1],
        sigma: params.sigma as f64,
        target: Some(params.target()),
    }
}

/// The benchmark's error column: the largest relative error over the sampled cells, NaN when
/// any cell has a NaN and infinite when a cell's flags disagree or the counts differ (see
/// `verify`), so a broken path can never print a small error.
fn max_error(reports: &[(usize, PointReport)], references: &[PointReport]) -> f64 {
    let got: Vec<PointReport> = reports.iter().map(|(_, r)| r.clone()).collect();
    compare_reports(&got, references, &Tolerances::default()).max_relative
}

fn cell_reports(
    params: &FieldParams,
    cells: &[FieldCell],
    indices: &[usize],
) -> Vec<(usize, PointReport)> {
    indices
        .iter()
        .map(|&i| (i, report_from_cell(&input_of(params, i as u32), &cells[i])))
        .collect()
}

/// Runs the benchmark, reporting progress through `progress`.
pub fn run(
    ctx: &GpuContext,
    config: &BenchConfig,
    mut progress: impl FnMut(&str),
) -> Result<BenchReport, GpuError> {
    let info = &ctx.info;
    let adapter = AdapterInfo {
        name: info.name.clone(),
        backend: format!("{:?}", info.backend),
        device_type: format!("{:?}", info.device_type),
        driver: format!("{} {}", info.driver, info.driver_info)
            .trim()
            .to_owned(),
        timestamps: ctx.has_timestamps(),
    };
    progress("exp ceiling (all cores)");
    let cpu = CpuInfo {
        model: cpu_model(),
        threads: rayon::current_num_threads(),
        simd: cpu::simd::simd_level().name().to_owned(),
        exp_ceiling: measure_exp_ceiling(),
    };
    let mut report = BenchReport {
        adapter,
        cpu,
        fim: Vec::new(),
        peers: Vec::new(),
        particles: Vec::new(),
        frame: Vec::new(),
        model: config.model.model,
        slice: config.model.slice,
        metric: config.model.metric,
        kernel: config.model.kernel,
        kfac_solve: Vec::new(),
        kfac_exponents: [None; 4],
        presets: Vec::new(),
    };
    if let (Some(peer), Kernel::Seed) = (&config.peer, config.model.kernel) {
        // The peer first, alone on the machine, on the same grids and node counts.
        for &grid in &config.grids {
            for &nodes in &config.nodes {
                progress(&format!("peer {grid}² Q={nodes}"));
                let row = run_peer(peer, grid, nodes).map_err(GpuError::InvalidInput)?;
                report.peers.push(row);
            }
        }
    }
    match config.model.kernel {
        Kernel::Seed => bench_fim(ctx, config, &mut report, &mut progress)?,
        Kernel::General => bench_fim_general(ctx, config, &mut report, &mut progress)?,
    }
    if !config.presets.is_empty() {
        report.presets = presets::bench_presets(ctx, config, &mut progress)?;
    }
    bench_particles(ctx, config, &mut report, &mut progress)?;
    bench_frames(ctx, config, &mut report, &mut progress)?;
    if !config.kfac_widths.is_empty() {
        progress("K-FAC cost: exact block against the two factor solves (CPU)");
        let rows =
            crate::kfac::cost::measure(&config.kfac_widths, config.kfac_exact_budget_s, 4 << 30);
        let mut rows = rows;
        progress("K-FAC cost on the GPU (f32 Cholesky, one dispatch per step)");
        bench_kfac_gpu(ctx, &mut rows, config.kfac_exact_budget_s)?;
        let fit = |pick: &dyn Fn(&crate::kfac::cost::SolveTiming) -> Option<f64>| {
            let pts: Vec<(usize, f64)> = rows
                .iter()
                .filter_map(|r| pick(r).map(|t| (r.n, t)))
                .collect();
            crate::kfac::cost::fit_exponent(&pts, 1e-3)
        };
        report.kfac_exponents = [
            fit(&|r| r.exact_seconds),
            fit(&|r| Some(r.kfac_seconds)),
            fit(&|r| r.gpu_exact_seconds),
            fit(&|r| r.gpu_kfac_seconds),
        ];
        report.kfac_solve = rows;
    }
    Ok(report)
}

fn bench_fim(
    ctx: &GpuContext,
    config: &BenchConfig,
    report: &mut BenchReport,
    progress: &mut impl FnMut(&str),
) -> Result<(), GpuError> {
    let pipeline = FimFieldPipeline::new(&ctx.device);
    let timer = GpuTimer::new(ctx, 2);
    let reference_rule = QuadratureRule::new(DEFAULT_NODES_F64).expect("valid default");
    for &grid in &config.grids {
        let base = bench_params(grid, &config.model);
        let cells = base.cell_count as usize;
        let indices = sample(cells, config.error_sample);
        progress(&format!(
            "reference values for {grid}² ({} cells)",
            indices.len()
        ));
        let references: Vec<PointReport> = indices
            .par_iter()
            .map(|&i| evaluate_point(&input_of(&base, i as u32), &reference_rule, 0.0))
            .collect();
        for &nodes in &config.nodes {
            let rule =
                QuadratureRule::new(nodes).map_err(|e| GpuError::InvalidInput(e.to_string()))?;
            let table = rule.panel_rule().table_f32();
            let params = FieldParams {
                panel_nodes: table.len() as u32,
                ..base
            };
            for (path, isa) in config.path_runs() {
                if path == FimPath::CpuF64 && grid > config.f64_max_grid {
                    continue;
                }
                let isa_name = isa.map(|l| l.name().to_owned());
                progress(&format!(
                    "fim {path:?} {} {grid}² Q={nodes}",
                    isa_name.as_deref().unwrap_or("")
                ));
                let mut wall = Vec::new();
                let mut kernel = Vec::new();
                let mut last: Vec<(usize, PointReport)> = Vec::new();
                match path {
                    FimPath::Gpu => {
                        let data = FieldData::new(ctx, &pipeline, params.cell_count, &rule)?;
                        for run in 0..config.warmup + config.repeats {
                            let start = Instant::now();
                            let mut encoder =
                                ctx.device.create_command_encoder(&Default::default());
                            data.encode(
                                &ctx.queue,
                                &mut encoder,
                                &pipeline,
                                FieldMode::Grid,
                                &params,
                                timer.as_ref().map(|t| t.compute_pass(0)),
                            );
                            if let Some(t) = &timer {
                                t.resolve(&mut encoder);
                            }
                            ctx.queue.submit([encoder.finish()]);
                            let out = data.read_cells(ctx, params.cell_count)?;
                            let elapsed = start.elapsed().as_secs_f64() * 1e3;
                            if run >= config.warmup {
                                wall.push(elapsed);
                                if let Some(t) = &timer {
                                    let ts = t.read_ms(ctx)?;
                                    kernel.push(ts[1] - ts[0]);
                                }
                            }
                            if run + 1 == config.warmup + config.repeats {
                                last = cell_reports(&params, &out, &indices);
                            }
                        }
                    }
                    FimPath::CpuF32Simd => {
                        let mut out = vec![FieldCell::default(); cells];
                        for run in 0..config.warmup + config.repeats {
                            let start = Instant::now();
                            let level = isa.unwrap_or(cpu::simd::simd_level());
                            cpu::simd::field_into_at(level, &params, &table, &mut out);
                            if run >= config.warmup {
                                wall.push(start.elapsed().as_secs_f64() * 1e3);
                            }
                        }
                        last = cell_reports(&params, &out, &indices);
                    }
                    FimPath::CpuF32Mt => {
                        let mut out = vec![FieldCell::default(); cells];
                        for run in 0..config.warmup + config.repeats {
                            let start = Instant::now();
                            cpu::fim_field::field_into(&params, &table, &mut out);
                            if run >= config.warmup {
                                wall.push(start.elapsed().as_secs_f64() * 1e3);
                            }
                        }
                        last = cell_reports(&params, &out, &indices);
                    }
                    FimPath::CpuF64 => {
                        let mut out = Vec::with_capacity(cells);
                        for run in 0..config.warmup + config.repeats {
                            out.clear();
                            let start = Instant::now();
                            for i in 0..cells {
                                out.push(evaluate_point(&input_of(&params, i as u32), &rule, 0.0));
                            }
                            if run >= config.warmup {
                                wall.push(start.elapsed().as_secs_f64() * 1e3);
                            }
                        }
                        last = indices.iter().map(|&i| (i, out[i].clone())).collect();
                    }
                }
                let (median_ms, p95_ms) = median_p95(&wall);
                let kernel_ms = (!kernel.is_empty()).then(|| median_p95(&kernel).0);
                let seconds = kernel_ms.unwrap_or(median_ms) * 1e-3;
                let cells_per_s = cells as f64 / seconds;
                let exps_per_s = cells_per_s * cpu::simd::exps_per_cell(nodes) as f64;
                let is_cpu = matches!(path, FimPath::CpuF32Simd | FimPath::CpuF32Mt);
                let peer = report
                    .peers
                    .iter()
                    .find(|p| p.grid == grid && p.nodes == nodes);
                report.fim.push(FimRow {
                    path,
                    isa: isa_name,
                    kernel: Kernel::Seed,
                    grid,
                    nodes,
                    cells: cells as u64,
                    repeats: wall.len(),
                    median_ms,
                    p95_ms,
                    kernel_ms,
                    cells_per_s,
                    exps_per_s: (path != FimPath::CpuF64).then_some(exps_per_s),
                    ceiling_fraction: is_cpu
                        .then(|| exps_per_s / report.cpu.exp_ceiling.exps_per_s),
                    vs_peer: peer.map(|p| cells_per_s / p.cells_per_s),
                    max_rel_error: max_error(&last, &references),
                    error_cells: last.len(),
                    kernel_nodes: None,
                    outside_cells: None,
                    undefined_cells: None,
                });
            }
        }
    }
    Ok(())
}

/// The FIM section on the general kernel (module docs): the same timing and error column as
/// [`bench_fim`], over the fitted view of the slice.
fn bench_fim_general(
    ctx: &GpuContext,
    config: &BenchConfig,
    report: &mut BenchReport,
    progress: &mut impl FnMut(&str),
) -> Result<(), GpuError> {
    let bm = &config.model;
    let (view_min, view_max) = bm.general_view();
    let pipeline = GeneralPipeline::new(&ctx.device);
    // Two empty passes bracket the grid pass: slots 1 (end of the first) and 2 (start of the
    // second).
    let timer = GpuTimer::new(ctx, 4);
    let reference_rule = QuadratureRule::new(DEFAULT_NODES_GENERAL).expect("valid default");
    let tolerances = general_tolerances();
    for &grid in &config.grids {
        let base = general_grid_params(
            view_min,
            view_max,
            grid,
            grid,
            &bm.model,
            &bm.slice,
            Some(&bm.model),
            0.0,
            bm.metric,
        );
        let cells = base.cell_count as usize;
        let indices = sample(cells, config.error_sample);
        progress(&format!(
            "general reference values for {grid}² ({} cells)",
            indices.len()
        ));
        let references: Vec<GeneralOutcome> = indices
            .par_iter()
            .map(|&i| {
                GeneralOutcome::from_reference(&general_grid_reference(
                    &base,
                    i as u32,
                    &bm.model,
                    bm.metric,
                    &reference_rule,
                ))
            })
            .collect();
        for &nodes in &config.nodes {
            let kernel_nodes = general_nodes(nodes);
            let rule = QuadratureRule::new(kernel_nodes)
                .map_err(|e| GpuError::InvalidInput(e.to_string()))?;
            let table = rule.panel_rule().table_f32();
            let params = GeneralGridParams {
                panel_nodes: table.len() as u32,
                ..base
            };
            for (path, isa) in config.path_runs() {
                if path == FimPath::CpuF64 && grid > config.f64_max_grid {
                    continue;
                }
                let isa_name = isa.map(|l| l.name().to_owned());
                progress(&format!(
                    "fim general {path:?} {} {grid}² Q={nodes}",
                    isa_name.as_deref().unwrap_or("")
                ));
                let mut wall = Vec::new();
                let mut kernel = Vec::new();
                let mut got: Vec<GeneralOutcome> = Vec::new();
                let from_cells = |out: &[FieldCell]| -> Vec<GeneralOutcome> {
                    indices
                        .iter()
                        .zip(&references)
                        .map(|(&i, r)| {
                            GeneralOutcome::from_grid_cell(&params, i as u32, &out[i], r)
                        })
                        .collect()
                };
                match path {
                    FimPath::Gpu => {
                        let data = GeneralData::new(ctx, &pipeline, params.cell_count, &rule)?;
                        for run in 0..config.warmup + config.repeats {
                            let start = Instant::now();
                            let mut encoder =
                                ctx.device.create_command_encoder(&Default::default());
                            let mark = |encoder: &mut wgpu::CommandEncoder, pair: u32| {
                                if let Some(t) = &timer {
                                    encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                                        label: Some("bench timestamp"),
                                        timestamp_writes: Some(t.compute_pass(pair)),
                                    });
                                }
                            };
                            mark(&mut encoder, 0);
                            data.encode_grid(&ctx.queue, &mut encoder, &pipeline, &params);
                            mark(&mut encoder, 1);
                            if let Some(t) = &timer {
                                t.resolve(&mut encoder);
                            }
                            ctx.queue.submit([encoder.finish()]);
                            let out = data.read_cells(ctx, params.cell_count)?;
                            let elapsed = start.elapsed().as_secs_f64() * 1e3;
                            if run >= config.warmup {
                                wall.push(elapsed);
                                if let Some(t) = &timer {
                                    let ts = t.read_ms(ctx)?;
                                    kernel.push(ts[2] - ts[1]);
                                }
                            }
                            if run + 1 == config.warmup + config.repeats {
                                got = from_cells(&out);
                            }
                        }
                    }
                    FimPath::CpuF32Simd => {
                        let level = isa.unwrap_or(cpu::simd::simd_level());
                        let mut out = vec![FieldCell::default(); cells];
                        for run in 0..config.warmup + config.repeats {
                            let start = Instant::now();
                            cpu::simd::general_grid_into_at(level, &params, &table, &mut out);
                            if run >= config.warmup {
                                wall.push(start.elapsed().as_secs_f64() * 1e3);
                            }
                        }
                        got = from_cells(&out);
                    }
                    FimPath::CpuF32Mt => {
                        let mut out = Vec::new();
                        for run in 0..config.warmup + config.repeats {
                            let start = Instant::now();
                            out = cpu::general::grid(&params, &table);
                            if run >= config.warmup {
                                wall.push(start.elapsed().as_secs_f64() * 1e3);
                            }
                        }
                        got = from_cells(&out);
                    }
                    FimPath::CpuF64 => {
                        let mut out = Vec::with_capacity(cells);
                        for run in 0..config.warmup + config.repeats {
                            out.clear();
                            let start = Instant::now();
                            for i in 0..cells {
                                out.push(general_grid_reference(
                                    &params, i as u32, &bm.model, bm.metric, &rule,
                                ));
                            }
                            if run >= config.warmup {
                                wall.push(start.elapsed().as_secs_f64() * 1e3);
                            }
                        }
                        got = indices
                            .iter()
                            .map(|&i| GeneralOutcome::from_reference(&out[i]))
                            .collect();
                    }
                }
                let (median_ms, p95_ms) = median_p95(&wall);
                let kernel_ms = (!kernel.is_empty()).then(|| median_p95(&kernel).0);
                let seconds = kernel_ms.unwrap_or(median_ms) * 1e-3;
                let verdict = compare_general(&got, &references, &tolerances);
                report.fim.push(FimRow {
                    path,
                    isa: isa_name,
                    kernel: Kernel::General,
                    grid,
                    nodes,
                    cells: cells as u64,
                    repeats: wall.len(),
                    median_ms,
                    p95_ms,
                    kernel_ms,
                    cells_per_s: cells as f64 / seconds,
                    max_rel_error: verdict.comparison.max_relative,
                    error_cells: verdict.comparison.cells,
                    exps_per_s: None,
                    ceiling_fraction: None,
                    vs_peer: None,
                    kernel_nodes: Some(kernel_nodes),
                    outside_cells: Some(verdict.outside),
                    undefined_cells: Some(verdict.undefined),
                });
            }
        }
    }
    Ok(())
}

/// The flow's parameters: on the seed kernel the default scene over [−4, 4]²; on the general
/// kernel the general mode of the bench's scene over the fitted view (positions in slice
/// coordinates, as the viewer runs it).
fn bench_flow_params(count: u32, model: &BenchModel) -> FlowParams {
    let params = match model.kernel {
        Kernel::Seed => {
            let scene = Scene {
                model: model.model,
                ..Scene::default()
            };
            flow_params(&scene, [-4.0, -4.0], [4.0, 4.0])
        }
        Kernel::General => {
            let scene = model.scene();
            let (lo, hi) = model.general_view();
            flow_params(&scene, lo, hi).with_general(
                &scene.model,
                &scene.slice,
                &scene.model,
                scene.metric,
            )
        }
    };
    FlowParams { count, ..params }
}

fn bench_particles(
    ctx: &GpuContext,
    config: &BenchConfig,
    report: &mut BenchReport,
    progress: &mut impl FnMut(&str),
) -> Result<(), GpuError> {
    let pipeline = ParticlePipeline::new(&ctx.device);
    let kernel_kind = config.model.kernel;
    let nodes = match kernel_kind {
        Kernel::Seed => crate::math::quadrature::DEFAULT_NODES_F32,
        Kernel::General => general_nodes(crate::math::quadrature::DEFAULT_NODES_F32),
    };
    let rule = QuadratureRule::new(nodes).expect("valid default");
    let table = rule.panel_rule().table_f32();
    let steps = config.particle_steps.max(1);
    let timer = GpuTimer::new(ctx, 2 * steps);
    for &count in &config.particles {
        let params = bench_flow_params(count, &config.model);
        // Big counts take seconds per step on a software adapter: one step per repeat there.
        let steps = if count > 100_000 { 1 } else { steps };
        progress(&format!("particles gpu {count}"));
        let mut data = ParticleData::new(ctx, &pipeline, count, &rule)?;
        data.spawn(ctx, &pipeline, &params);
        let (mut wall, mut kernel) = (Vec::new(), Vec::new());
        for run in 0..config.warmup + config.repeats {
            let start = Instant::now();
            let mut encoder = ctx.device.create_command_encoder(&Default::default());
            data.encode_steps(
                &ctx.queue,
                &mut encoder,
                &pipeline,
                &params,
                steps,
                timer.as_ref(),
                |_, _, _| {},
            );
            if let Some(t) = &timer {
                t.resolve(&mut encoder);
            }
            ctx.queue.submit([encoder.finish()]);
            ctx.wait()?;
            if run >= config.warmup {
                wall.push(start.elapsed().as_secs_f64() * 1e3 / steps as f64);
                if let Some(t) = &timer {
                    let ts = t.read_ms(ctx)?;
                    kernel.push(
                        (0..steps as usize)
                            .map(|k| ts[2 * k + 1] - ts[2 * k])
                            .sum::<f64>()
                            / steps as f64,
                    );
                }
            }
        }
        push_particle_row(report, "gpu", None, kernel_kind, count, &wall, &kernel);

        let cpu_params = FlowParams {
            panel_nodes: table.len() as u32,
            ..params
        };
        // The SIMD path, once per instruction set raced: the seed kernel's velocity a vector of
        // particles at a time, the general kernel's with its union pass vectorised over nodes.
        let mut runs: Vec<Option<cpu::simd::SimdLevel>> =
            config.isas.iter().map(|&l| Some(l)).collect();
        runs.push(None);
        for isa in runs {
            let name = if isa.is_some() {
                "cpu-f32-simd"
            } else {
                "cpu-f32-mt"
            };
            let isa_name = isa.map(|l| l.name());
            progress(&format!(
                "particles {name} {} {count}",
                isa_name.unwrap_or("")
            ));
            let mut a: Vec<Particle> = (0..count)
                .map(|i| cpu::particles::spawn(&cpu_params, i, 0))
                .collect();
            let mut b = vec![Particle::default(); count as usize];
            let mut wall = Vec::new();
            for run in 0..config.warmup + config.repeats {
                let start = Instant::now();
                for _ in 0..steps {
                    if let Some(level) = isa {
                        cpu::simd::particles_step_at(level, &cpu_params, &table, &a, &mut b);
                    } else {
                        cpu::particles::step(&cpu_params, &table, &a, &mut b);
                    }
                    std::mem::swap(&mut a, &mut b);
                }
                if run >= config.warmup {
                    wall.push(start.elapsed().as_secs_f64() * 1e3 / steps as f64);
                }
            }
            push_particle_row(report, name, isa_name, kernel_kind, count, &wall, &[]);
        }
    }
    Ok(())
}

fn push_particle_row(
    report: &mut BenchReport,
    path: &str,
    isa: Option<&str>,
    kernel_kind: Kernel,
    count: u32,
    wall: &[f64],
    kernel: &[f64],
) {
    let (median, p95) = median_p95(wall);
    let kernel_ms = (!kernel.is_empty()).then(|| median_p95(kernel).0);
    report.particles.push(ParticleRow {
        path: path.to_owned(),
        isa: isa.map(str::to_owned),
        kernel: kernel_kind,
        particles: count,
        integrator: "rk4".to_owned(),
        median_ms_per_step: median,
        p95_ms_per_step: p95,
        kernel_ms_per_step: kernel_ms,
        particle_steps_per_s: count as f64 / (kernel_ms.unwrap_or(median) * 1e-3),
    });
}

fn bench_frames(
    ctx: &GpuContext,
    config: &BenchConfig,
    report: &mut BenchReport,
    progress: &mut impl FnMut(&str),
) -> Result<(), GpuError> {
    for case in &config.frames {
        progress(&format!(
            "frame loop {}×{} grid {} particles {}",
            case.width, case.height, case.grid, case.particles
        ));
        // The frame renderer every consumer uses, its stages timed one by one.
        let mut frames = FrameRenderer::new(ctx, false)?;
        let renderer = frames.scene_renderer_mut();
        let target = Canvas::new(
            &ctx.device,
            [case.width, case.height],
            CANVAS_FORMAT,
            "bench frame",
        );
        let mut scene = match config.model.kernel {
            Kernel::Seed => Scene {
                grid: case.grid,
                camera: Camera {
                    center: [0.0, 0.0],
                    half_height: 4.0,
                    x_per_y: 1.0,
                },
                model: config.model.model,
                ..Scene::default()
            },
            Kernel::General => Scene {
                grid: case.grid,
                ..config.model.scene()
            },
        };
        scene.flow.enabled = case.particles > 0;
        scene.flow.particles = (case.particles > 0).then_some(case.particles);
        let origin = scene.target();
        // The viewer's `--drag-target` step.
        let drag = |scene: &mut Scene, frame: usize| {
            let angle = frame as f64 * 0.05;
            scene.apply(crate::scene::SceneEdit::SetTarget([
                origin[0] + 0.3 * angle.cos(),
                origin[1] + 0.3 * angle.sin(),
            ]));
        };
        let (mut wall, mut field, mut particles, mut draw) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut cells = 0;
        for frame in 0..3 + config.frame_count {
            if case.field_every_frame {
                renderer.simulation_mut().invalidate_field();
            }
            if case.drag_target {
                drag(&mut scene, frame);
            }
            let (info, stages) =
                renderer.render_timed(ctx, &target.view, target.size, 1.0, &scene)?;
            cells = info.cells;
            if frame >= 3 {
                wall.push(stages.iter().sum());
                field.push(stages[0]);
                particles.push(stages[1]);
                draw.push(stages[2]);
            }
        }
        // The same frames again, pass by pass.
        let mut split: Vec<(&'static str, Vec<f64>)> = Vec::new();
        for frame in 0..3 + config.frame_count {
            if case.field_every_frame {
                renderer.simulation_mut().invalidate_field();
            }
            if case.drag_target {
                drag(&mut scene, 3 + config.frame_count + frame);
            }
            let (_, passes) =
                renderer.render_passes_timed(ctx, &target.view, target.size, 1.0, &scene)?;
            if frame >= 3 {
                for (i, (name, ms)) in passes.into_iter().enumerate() {
                    if split.len() <= i {
                        split.push((name, Vec::new()));
                    }
                    split[i].1.push(ms);
                }
            }
        }
        let (median_ms, p95_ms) = median_p95(&wall);
        let med = |v: &Vec<f64>| median_p95(v).0;
        report.frame.push(FrameRow {
            case: *case,
            // The viewer's simulation picks the kernel from the scene (`--kernel general` on
            // the seed's slice does not reach it).
            kernel: if uses_seed_kernel(&scene) {
                Kernel::Seed
            } else {
                Kernel::General
            },
            cells,
            median_ms,
            p95_ms,
            field_ms: med(&field),
            particles_ms: med(&particles),
            draw_ms: med(&draw),
            passes: split
                .iter()
                .map(|(pass, ms)| PassTime { pass, ms: med(ms) })
                .collect(),
        });
    }
    Ok(())
}

/// A row's path label: the path, and the instruction set of a SIMD row
/// ("cpu-f32-simd/avx512").
fn with_isa(path: &str, isa: Option<&str>) -> String {
    match isa {
        Some(isa) => format!("{path}/{isa}"),
        None => path.to_owned(),
    }
}

/// The report as an aligned text table.
pub fn table(report: &BenchReport) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let a = &report.adapter;
    let _ = writeln!(
        s,
        "adapter: {} ({}, {}; driver {}; timestamps: {})",
        a.name, a.backend, a.device_type, a.driver, a.timestamps
    );
    let _ = writeln!(
        s,
        "cpu:     {} ({} threads, SIMD path: {}); exp ceiling {:.3e} exps/s on {} threads",
        report.cpu.model,
        report.cpu.threads,
        report.cpu.simd,
        report.cpu.exp_ceiling.exps_per_s,
        report.cpu.exp_ceiling.threads
    );
    let m = &report.model;
    let _ = writeln!(
        s,
        "model:   pi={} mu1={} mu2={} sigma1={} sigma2={} on slice ({}, {}), {} metric, {} kernel",
        m.pi,
        m.mu1,
        m.mu2,
        m.sigma1,
        m.sigma2,
        report.slice.a,
        report.slice.b,
        report.metric,
        match report.kernel {
            Kernel::Seed => "seed",
            Kernel::General => "general",
        }
    );
    let opt = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.2}"));
    for p in &report.peers {
        let _ = writeln!(
            s,
            "peer:    {} {:>5}² Q={:<3} best {:.2} ms, {:.3e} cells/s",
            p.peer,
            p.grid,
            p.nodes,
            p.seconds * 1e3,
            p.cells_per_s
        );
    }
    let _ = writeln!(
        s,
        "\nFIM field                                             median     p95   kernel      cells/s   max rel err     exps/s  of ceiling  vs peer"
    );
    for r in &report.fim {
        let path = serde_json::to_value(r.path)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let _ = write!(
            s,
            "  {:<21} {:>5}² Q={:<3} {:>8} cells {:>9.2} {:>7.2} {:>8} {:>12.3e}   {:<9} {:>10} {:>10} {:>8}",
            with_isa(&path, r.isa.as_deref()),
            r.grid,
            r.nodes,
            r.cells,
            r.median_ms,
            r.p95_ms,
            opt(r.kernel_ms),
            r.cells_per_s,
            // Nothing compared (every sampled cell outside or undefined): no error to show.
            if r.error_cells == 0 {
                "-".to_owned()
            } else {
                format!("{:.2e}", r.max_rel_error)
            },
            r.exps_per_s.map_or("-".to_owned(), |v| format!("{v:.2e}")),
            r.ceiling_fraction
                .map_or("-".to_owned(), |v| format!("{:.0}%", 100.0 * v)),
            r.vs_peer.map_or("-".to_owned(), |v| format!("{v:.2}×"))
        );
        if let (Some(q), Some(outside), Some(undefined)) =
            (r.kernel_nodes, r.outside_cells, r.undefined_cells)
        {
            let _ = write!(
                s,
                "  (general rule {q} nodes; {} compared, {outside} outside, {undefined} undefined)",
                r.error_cells
            );
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(
        s,
        "\nParticles (RK4)                            ms/step     p95   kernel   particle-steps/s"
    );
    for r in &report.particles {
        let _ = writeln!(
            s,
            "  {:<21} {:>9} particles {:>9.2} {:>7.2} {:>8} {:>14.3e}",
            with_isa(&r.path, r.isa.as_deref()),
            r.particles,
            r.median_ms_per_step,
            r.p95_ms_per_step,
            opt(r.kernel_ms_per_step),
            r.particle_steps_per_s
        );
    }
    let _ = writeln!(
        s,
        "\nFrame loop (offscreen)                                  ms/frame     p95   field  particles   draw"
    );
    for r in &report.frame {
        let c = &r.case;
        let _ = writeln!(
            s,
            "  {}×{} grid {:<4} particles {:<7} field {:<6} {:>10.2} {:>7.2} {:>7} {:>9} {:>7}",
            c.width,
            c.height,
            c.grid,
            c.particles,
            if c.drag_target {
                "drag"
            } else if c.field_every_frame {
                "always"
            } else {
                "once"
            },
            r.median_ms,
            r.p95_ms,
            format!("{:.2}", r.field_ms),
            format!("{:.2}", r.particles_ms),
            format!("{:.2}", r.draw_ms)
        );
        if r.kernel != report.kernel {
            s.pop();
            let _ = writeln!(s, "  (the viewer's {:?} kernel)", r.kernel);
        }
        let passes: Vec<String> = r
            .passes
            .iter()
            .map(|p| format!("{} {:.2}", p.pass, p.ms))
            .collect();
        let _ = writeln!(s, "    pass by pass, ms: {}", passes.join(", "));
    }
    if !report.kfac_solve.is_empty() {
        let _ = writeln!(
            s,
            "\nK-FAC cost (d_in = d_out = d; CPU faer f64, GPU f32)   exact n×n solve              K-FAC two factors"
        );
        let _ = writeln!(
            s,
            "                                                CPU          GPU              CPU          GPU"
        );
        let cell = |t: Option<f64>| t.map_or("–".to_owned(), |t| format!("{t:.3e} s"));
        for r in &report.kfac_solve {
            let _ = writeln!(
                s,
                "  d = {:>4}  n = {:>7}                   {:>12} {:>12}     {:>12} {:>12}",
                r.d,
                r.n,
                cell(r.exact_seconds),
                cell(r.gpu_exact_seconds),
                cell(Some(r.kfac_seconds)),
                cell(r.gpu_kfac_seconds)
            );
        }
        let show = |e: Option<f64>| e.map_or("n/a".to_owned(), |e| format!("{e:.2}"));
        let e = &report.kfac_exponents;
        let _ = writeln!(
            s,
            "  fitted exponents of time against n (theory 3 and 1.5): exact CPU {}, GPU {}; \
             K-FAC CPU {}, GPU {}  (–: skipped, over the time budget or memory)",
            show(e[0]),
            show(e[2]),
            show(e[1]),
            show(e[3])
        );
    }
    s.push_str(&presets::presets_table(&report.presets));
    s
}

/// The GPU column of the K-FAC cost table: K-FAC's solve at every width (up to 1000), the
/// exact block's while its predicted time (the last one scaled by (n'/n)³) stays under
/// `budget_s` and the block fits one storage binding.
fn bench_kfac_gpu(
    ctx: &GpuContext,
    rows: &mut [crate::kfac::cost::SolveTiming],
    budget_s: f64,
) -> Result<(), GpuError> {
    use crate::compute::cholesky::{CholeskyGpu, time_exact_gpu, time_kfac_gpu};
    let solver = CholeskyGpu::new(&ctx.device);
    let max_bytes = ctx.device.limits().max_storage_buffer_binding_size;
    // Warm-up: llvmpipe compiles a pipeline on its first dispatch; keep that out of the rows.
    time_kfac_gpu(ctx, &solver, 2)?;
    time_exact_gpu(ctx, &solver, 2)?;
    let mut last: Option<(usize, f64)> = None;
    let mut open = true;
    for r in rows.iter_mut() {
        if r.d <= 1000 {
            r.gpu_kfac_seconds = Some(time_kfac_gpu(ctx, &solver, r.d)?);
        }
        let predicted = last.map_or(0.0, |(n0, t0)| t0 * (r.n as f64 / n0 as f64).powi(3));
        let fits = (r.n as u64).saturating_mul(r.n as u64).saturating_mul(4) <= max_bytes;
        if open && fits && predicted <= budget_s {
            let t = time_exact_gpu(ctx, &solver, r.d)?;
            last = Some((r.n, t));
            r.gpu_exact_seconds = Some(t);
        } else {
            open = false;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_p95() {
        let (m, p) = median_p95(&[5.0, 1.0, 3.0, 2.0, 4.0]);
        assert_eq!(m, 3.0);
        assert_eq!(p, 5.0);
    }

    /// The general error column can fail: the mirror's own cells pass, and a perturbed F, a
    /// cell outside on one side only, a grid evaluated one column off and a short array each
    /// give an error above the tolerance (infinite for the last three).
    #[test]
    fn general_error_column_rejects_wrong_cells() {
        let bm = BenchModel::new(
            Model {
                pi: 0.5,
                mu1: -1.0,
                mu2: 1.0,
                sigma1: 1.0,
                sigma2: 0.7,
            },
            Slice {
                a: crate::math::Param::Mu1,
                b: crate::math::Param::Sigma2,
            },
            Metric::Induced,
            None,
        )
        .unwrap();
        assert_eq!(bm.kernel, Kernel::General);
        // The fitted view's μ1 range; σ2 from −0.5 so that a quarter of the rows is outside.
        let (lo, hi) = bm.general_view();
        let (lo, hi) = ([lo[0], -0.5], [hi[0], 1.5]);
        let g = |lo: [f64; 2], hi: [f64; 2]| {
            let p = general_grid_params(
                lo,
                hi,
                8,
                8,
                &bm.model,
                &bm.slice,
                Some(&bm.model),
                0.0,
                bm.metric,
            );
            GeneralGridParams {
                panel_nodes: 16,
                ..p
            }
        };
        let params = g(lo, hi);
        let rule = QuadratureRule::new(DEFAULT_NODES_GENERAL).unwrap();
        let table = QuadratureRule::new(general_nodes(64))
            .unwrap()
            .panel_rule()
            .table_f32();
        let refs: Vec<GeneralOutcome> = (0..64)
            .map(|i| {
                GeneralOutcome::from_reference(&general_grid_reference(
                    &params, i, &bm.model, bm.metric, &rule,
                ))
            })
            .collect();
        let outcomes = |p: &GeneralGridParams, cells: &[FieldCell]| -> Vec<GeneralOutcome> {
            (0..64)
                .map(|i| GeneralOutcome::from_grid_cell(p, i as u32, &cells[i], &refs[i]))
                .collect()
        };
        let tol = general_tolerances();
        let good = cpu::general::grid(&params, &table);
        let verdict = compare_general(&outcomes(&params, &good), &refs, &tol);
        assert!(verdict.comparison.max_relative <= 1e-3, "{verdict:?}");
        assert!(
            verdict.outside > 0 && verdict.comparison.cells > 32,
            "{verdict:?}"
        );

        let inside = refs
            .iter()
            .position(|r| matches!(r, GeneralOutcome::Report(_)))
            .unwrap();
        let mut perturbed = good.clone();
        perturbed[inside].fisher[1] += 3e-3 * perturbed[inside].eigenvalues[0];
        let e = compare_general(&outcomes(&params, &perturbed), &refs, &tol);
        assert!(e.comparison.max_relative > 1e-3, "perturbed F: {e:?}");

        let mut flagged = good.clone();
        flagged[inside].flags |= crate::gpu::general_data::FLAG_OUTSIDE_MODEL;
        let e = compare_general(&outcomes(&params, &flagged), &refs, &tol);
        assert_eq!(e.comparison.max_relative, f64::INFINITY, "flagged: {e:?}");

        let step = (hi[0] - lo[0]) / 8.0;
        let shifted_params = g([lo[0] + step, lo[1]], [hi[0] + step, hi[1]]);
        let shifted = cpu::general::grid(&shifted_params, &table);
        let e = compare_general(&outcomes(&params, &shifted), &refs, &tol);
        assert!(
            e.comparison.max_relative > 1e-3 || e.comparison.max_relative.is_nan(),
            "one column off: {e:?}"
        );

        let e = compare_general(&outcomes(&params, &good)[1..], &refs, &tol);
        assert_eq!(e.comparison.max_relative, f64::INFINITY);
    }

    #[test]
    fn the_seed_kernel_runs_only_where_it_applies() {
        let seed = BenchModel::default();
        assert_eq!(seed.kernel, Kernel::Seed);
        let again = BenchModel::new(seed.model, seed.slice, Metric::Induced, None).unwrap();
        assert_eq!(again, seed);
        let profiled = BenchModel::new(seed.model, seed.slice, Metric::Profiled, None).unwrap();
        assert_eq!(profiled.kernel, Kernel::General);
        let forced = BenchModel::new(
            seed.model,
            seed.slice,
            Metric::Induced,
            Some(Kernel::General),
        );
        assert_eq!(forced.unwrap().kernel, Kernel::General);
        let unequal = Model {
            sigma2: 1.4,
            ..seed.model
        };
        assert_eq!(
            BenchModel::new(unequal, seed.slice, Metric::Induced, None)
                .unwrap()
                .kernel,
            Kernel::General
        );
        assert!(BenchModel::new(unequal, seed.slice, Metric::Induced, Some(Kernel::Seed)).is_err());
    }

    #[test]
    fn samples_cover_the_grid() {
        assert_eq!(sample(10, 100).len(), 10);
        let s = sample(1_000_000, 4096);
        assert!(s.len() <= 4096 && s.len() > 4000);
    }
}
