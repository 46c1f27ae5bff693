//! `fisherflow bench`: GPU against CPU, same work on both sides, errors beside times.
//!
//! It runs on one slice of the general mixture ([`BenchModel`]): the seed's slice (π = ½,
//! σ1 = σ2, induced metric; the default) measures the seed kernels, every other slice (or
//! `--kernel general`) the general ones; each row names its `kernel`.
//!
//! * FIM field over grids × node counts × paths: `gpu` (the WGSL kernel; end-to-end time with
//!   the parameter upload, dispatch and read-back, and kernel time from timestamp queries where
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
//!
//! [`general_nodes`]: crate::simulation::general_nodes
//! [`Camera::fit_slice`]: crate::scene::Camera::fit_slice
//! [`general_tolerances`]: verify::general_tolerances
//! [`Scene::fit_view`]: crate::scene::Scene::fit_view

mod config;
mod fim;
mod fim_general;
mod frames;
mod kfac;
mod machine;
mod particles;
mod peer;
pub mod policy;
pub mod presets;
mod report;
mod table;
mod timing;
pub mod verify;

pub use config::{BenchConfig, BenchModel, FimPath, FrameCase, Kernel};
pub use machine::{AdapterInfo, CpuInfo, ExpCeiling, measure_exp_ceiling};
pub use peer::{PeerCommand, PeerRow};
pub use report::{BenchReport, FimRow, FrameRow, ParticleRow, PassTime};
pub use table::table;
pub use timing::median_p95;

use crate::cpu;
use crate::gpu::context::{GpuContext, GpuError};
use fim::bench_fim;
use fim_general::bench_fim_general;
use frames::bench_frames;
use kfac::bench_kfac;
use machine::cpu_model;
use particles::bench_particles;
use peer::run_peer;

/// What one section of a run works with: the adapter, the configuration, the report it adds
/// its rows to, and the progress line (in that order).
pub(super) struct Section<'a>(
    &'a GpuContext,
    &'a BenchConfig,
    &'a mut BenchReport,
    &'a mut dyn FnMut(&str),
);

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
        preset_particles: Vec::new(),
        policy: Vec::new(),
        policy_rollouts: Vec::new(),
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
    let mut run = |section: fn(Section<'_>) -> Result<(), GpuError>| {
        section(Section(ctx, config, &mut report, &mut progress))
    };
    match config.model.kernel {
        Kernel::Seed => run(bench_fim)?,
        Kernel::General => run(bench_fim_general)?,
    }
    if !config.presets.is_empty() {
        run(|Section(ctx, config, report, mut progress)| {
            report.presets = presets::bench_presets(ctx, config, &mut progress)?;
            report.preset_particles = presets::bench_preset_particles(ctx, config, &mut progress)?;
            Ok(())
        })?;
    }
    run(bench_particles)?;
    run(policy::bench_policy)?;
    run(policy::bench_rollouts)?;
    run(bench_frames)?;
    if !config.kfac_widths.is_empty() {
        run(bench_kfac)?;
    }
    Ok(report)
}
