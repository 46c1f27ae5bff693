//! What the benchmark reports: one row per measurement, and the whole report (`--json`).

use serde::Serialize;

use super::config::{FimPath, FrameCase, Kernel};
use super::machine::{AdapterInfo, CpuInfo};
use super::peer::PeerRow;
use super::presets;
use crate::math::{Metric, Model, Slice};

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
    /// CPU paths: `exps_per_s` over the machine's exp ceiling ([`ExpCeiling`](super::ExpCeiling)).
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
    /// [`general_nodes`](crate::simulation::general_nodes); the seed kernel: Q). General rows only.
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
    /// The presets section's particles: the general kernel's flow per preset against the seed
    /// kernel's on the seed's slice, on the GPU and the SIMD path.
    pub preset_particles: Vec<presets::PresetParticleRow>,
    /// The policy plane's field kernel against its f64 loop on all cores.
    pub policy: Vec<super::policy::PolicyRow>,
    /// The policy plane's sampled estimates: GPU rollouts against the f64 rollouts on all
    /// cores.
    pub policy_rollouts: Vec<super::policy::RolloutRow>,
}
