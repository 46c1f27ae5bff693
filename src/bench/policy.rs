//! The policy plane's section: its field kernel (`policy_field.wgsl`, closed-form Stein
//! solves) over the pendulum's and the cart's default views at the FIM section's grid sizes,
//! against its f32 mirror (`cpu::policy`) and the f64 closed loop (`Lqr::evaluate`), both on
//! all cores with rayon — the same cells; the speed-up is over the faster CPU path. Then the
//! sampled estimates: N rollouts of H = 30 steps at the pendulum's default probe on the GPU
//! (`policy_rollouts.wgsl`, with its read-back) against the f64 reference
//! (`sampling::estimate`, rayon over the rollouts) drawing the same numbers.

use serde::Serialize;

use super::Section;
use super::timing::{median_p95, wall_ms};
use crate::compute::policy::{PolicyData, PolicyParams, PolicyPipeline};
use crate::gpu::context::GpuError;
use crate::math::policy::{Lqr, Plant, System};
use crate::scene::policy_view;

/// One plant at one grid size.
#[derive(Clone, Debug, Serialize)]
pub struct PolicyRow {
    /// `cart` or `pendulum`.
    pub plant: &'static str,
    /// Cells along each side (grid × grid).
    pub grid: u32,
    /// GPU: median wall time of one dispatch and its wait, ms.
    pub gpu_ms: f64,
    /// GPU: 95th percentile, ms.
    pub gpu_p95_ms: f64,
    /// CPU: median wall time of the f64 loop over the same cells on all cores, ms.
    pub cpu_ms: f64,
    /// CPU: median wall time of the kernel's f32 mirror (`cpu::policy`) on all cores, ms.
    pub cpu_f32_ms: f64,
}

/// Times the policy kernel and its f64 CPU path at `config.grids`.
pub(super) fn bench_policy(run: Section<'_>) -> Result<(), GpuError> {
    let Section(ctx, config, report, progress) = run;
    use rayon::prelude::*;
    let pipeline = PolicyPipeline::new(&ctx.device);
    for plant in [Plant::Pendulum, Plant::Cart] {
        let system = System::new(plant);
        let lqr = Lqr::new(&system);
        let camera = policy_view(&system, None);
        let (lo, hi) = camera.visible_rect([crate::scene::NOMINAL_ASPECT as f32, 1.0]);
        for &grid in &config.grids {
            progress(&format!("policy plane: {} {grid}²", plant.name()));
            let cell = [(hi[0] - lo[0]) / grid as f64, (hi[1] - lo[1]) / grid as f64];
            let params = PolicyParams::new(&system, 0.0).with_grid(lo, cell, [grid, grid]);
            let data = PolicyData::new(ctx, &pipeline, params.cell_count)?;
            let mut failed = None;
            let gpu = wall_ms(config.warmup, config.repeats, || {
                let mut encoder = ctx.device.create_command_encoder(&Default::default());
                data.encode(&ctx.queue, &mut encoder, &pipeline, &params, None);
                ctx.queue.submit([encoder.finish()]);
                if let Err(e) = ctx.wait() {
                    failed = Some(e);
                }
            });
            if let Some(e) = failed {
                return Err(e);
            }
            let cells: Vec<[f64; 2]> = (0..grid * grid)
                .map(|i| {
                    let (c, r) = ((i % grid) as f64, (i / grid) as f64);
                    [lo[0] + (c + 0.5) * cell[0], lo[1] + (r + 0.5) * cell[1]]
                })
                .collect();
            let cpu = wall_ms(1, config.repeats.min(5), || {
                let inside = cells
                    .par_iter()
                    .filter(|&&k| lqr.evaluate(k).closed.is_some())
                    .count();
                std::hint::black_box(inside);
            });
            let mirror = wall_ms(1, config.repeats.min(5), || {
                std::hint::black_box(crate::cpu::policy::grid(&params));
            });
            let (gpu_ms, gpu_p95_ms) = median_p95(&gpu);
            report.policy.push(PolicyRow {
                plant: plant.name(),
                grid,
                gpu_ms,
                gpu_p95_ms,
                cpu_ms: median_p95(&cpu).0,
                cpu_f32_ms: median_p95(&mirror).0,
            });
        }
    }
    Ok(())
}

/// One rollout count of the sampled estimates.
#[derive(Clone, Debug, Serialize)]
pub struct RolloutRow {
    /// N.
    pub rollouts: u32,
    /// H.
    pub horizon: u32,
    /// GPU: median wall time of the dispatch and read-back, ms.
    pub gpu_ms: f64,
    /// CPU: median wall time of the f64 estimate on all cores, ms.
    pub cpu_ms: f64,
}

/// The rollout counts the section times.
pub const BENCH_ROLLOUTS: [u32; 2] = [4096, 65_536];

/// Times the GPU rollouts against the f64 ones (the same draws).
pub(super) fn bench_rollouts(run: Section<'_>) -> Result<(), GpuError> {
    let Section(ctx, config, report, progress) = run;
    use crate::compute::policy_rollouts::{RolloutPipeline, estimate_on_gpu};
    let pipeline = RolloutPipeline::new(&ctx.device);
    let system = System::new(Plant::Pendulum);
    let lqr = Lqr::new(&system);
    let k = crate::scene::default_policy_probe(&system);
    let horizon = 30;
    for n in BENCH_ROLLOUTS {
        progress(&format!("policy rollouts: {n} × {horizon}"));
        let mut failed = None;
        let gpu = wall_ms(
            config.warmup,
            config.repeats.min(5),
            || match estimate_on_gpu(ctx, &pipeline, &system, k, n, horizon, 1, 0, true) {
                Ok(e) => {
                    std::hint::black_box(e);
                }
                Err(e) => failed = Some(e),
            },
        );
        if let Some(e) = failed {
            return Err(e);
        }
        let cpu = wall_ms(1, config.repeats.min(5), || {
            std::hint::black_box(crate::math::policy::sampling::estimate(
                &lqr, k, n, horizon, 1, 0, true,
            ));
        });
        report.policy_rollouts.push(RolloutRow {
            rollouts: n,
            horizon,
            gpu_ms: median_p95(&gpu).0,
            cpu_ms: median_p95(&cpu).0,
        });
    }
    Ok(())
}

/// The rollout rows of the readable table.
pub fn rollout_table(rows: &[RolloutRow]) -> String {
    table_section(
        "policy rollouts (REINFORCE ∇̂ and F̂, pendulum, default probe)    GPU ms   CPU f64 ms (all cores)   GPU speed-up",
        rows,
        |r| {
            format!(
                "  N = {:>6}, H = {:>3}                                          {:>8.2}   {:>10.2}               {:>8.1}×",
                r.rollouts,
                r.horizon,
                r.gpu_ms,
                r.cpu_ms,
                r.cpu_ms / r.gpu_ms
            )
        },
    )
}

/// The section's lines of the readable table.
pub fn policy_table(rows: &[PolicyRow]) -> String {
    table_section(
        "policy plane field (closed-form Stein solves; default views)   GPU ms (p95)      CPU f32 ms  CPU f64 ms (all cores)   GPU speed-up",
        rows,
        |r| {
            format!(
                "  {:<9} {:>5}²                                         {:>8.2} ({:>7.2})   {:>9.2}  {:>10.2}               {:>8.1}×",
                r.plant,
                r.grid,
                r.gpu_ms,
                r.gpu_p95_ms,
                r.cpu_f32_ms,
                r.cpu_ms,
                r.cpu_ms.min(r.cpu_f32_ms) / r.gpu_ms
            )
        },
    )
}

/// A section of the readable table: nothing without rows, else a blank line, the `header`
/// and a `line` a row.
fn table_section<R>(header: &str, rows: &[R], line: impl Fn(&R) -> String) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut s = format!("\n{header}\n");
    for r in rows {
        s.push_str(&line(r));
        s.push('\n');
    }
    s
}
