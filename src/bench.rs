//! `fisherflow bench`: GPU against CPU, same work on both sides, errors beside times.
//!
//! * FIM field over grids × node counts × paths: `gpu` (the WGSL kernel; end-to-end time with
//!   the uniform upload, dispatch and read-back, and kernel time from timestamp queries where
//!   the adapter has them), `cpu-f32-mt` (the f32 mirror on every core), `cpu-f64` (the
//!   single-threaded reference, small grids only). Each: warm-up, ≥ 5 repeats, median and p95,
//!   cells per second (kernel time when known, else end-to-end), and the largest relative error
//!   against the f64 reference at 128 nodes on the same cells (a deterministic sample of at most
//!   `error_sample` cells on large grids).
//! * Particles: flow steps per second, GPU kernel against the CPU mirror.
//! * Frame loop: offscreen frames of the viewer's renderer, median and p95 wall time per frame,
//!   split into field, particles and drawing by submitting and waiting for each stage alone
//!   (wall clock: comparable on every adapter; lavapipe's timestamps between commands did not
//!   add up to the wall time).

use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::compute::fim_field::{FieldData, FieldMode, FimFieldPipeline, grid_params};
use crate::compute::particles::{ParticleData, ParticlePipeline};
use crate::cpu;
use crate::frame::FrameRenderer;
use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::gpu_data::{FieldCell, FieldParams, FlowParams, Particle};
use crate::gpu::timing::GpuTimer;
use crate::math::quadrature::DEFAULT_NODES_F64;
use crate::math::{PointInput, PointReport, QuadratureRule, evaluate_point};
use crate::render::CANVAS_FORMAT;
use crate::render::target::RenderTarget;
use crate::scene::{Camera, Scene};
use crate::simulation::flow_params;
use crate::verify::{Tolerances, compare_reports, report_from_cell};

/// A path of the FIM benchmark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
pub enum FimPath {
    /// The WGSL kernel.
    #[serde(rename = "gpu")]
    #[value(name = "gpu")]
    Gpu,
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
        };
        Self {
            grids: vec![64, 256, 1024],
            nodes: vec![32, 64],
            paths: vec![FimPath::Gpu, FimPath::CpuF32Mt, FimPath::CpuF64],
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
                case(1280, 720, 128, 16_384, false),
            ],
            frame_count: 20,
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
            }],
            frame_count: 5,
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
}

/// One FIM measurement.
#[derive(Clone, Debug, Serialize)]
pub struct FimRow {
    /// Which path.
    pub path: FimPath,
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
    /// Largest relative error against the f64 reference (F, λ_min, ∇L, natural gradient).
    pub max_rel_error: f64,
    /// Cells the error was measured on.
    pub error_cells: usize,
}

/// One particle-advection measurement.
#[derive(Clone, Debug, Serialize)]
pub struct ParticleRow {
    /// "gpu" or "cpu-f32-mt".
    pub path: String,
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
    /// Particle rows.
    pub particles: Vec<ParticleRow>,
    /// Frame rows.
    pub frame: Vec<FrameRow>,
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

/// The benchmark's view: σ = 1 over [−5, 5]², target (−1.5, 1): cells from on the diagonal
/// to 10σ apart.
fn bench_params(grid: u32) -> FieldParams {
    grid_params([-5.0, -5.0], [5.0, 5.0], grid, grid, 1.0, [-1.5, 1.0], 0.0)
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
    let cpu = CpuInfo {
        model: cpu_model(),
        threads: rayon::current_num_threads(),
    };
    let mut report = BenchReport {
        adapter,
        cpu,
        fim: Vec::new(),
        particles: Vec::new(),
        frame: Vec::new(),
    };
    bench_fim(ctx, config, &mut report, &mut progress)?;
    bench_particles(ctx, config, &mut report, &mut progress)?;
    bench_frames(ctx, config, &mut report, &mut progress)?;
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
        let base = bench_params(grid);
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
            for &path in &config.paths {
                if path == FimPath::CpuF64 && grid > config.f64_max_grid {
                    continue;
                }
                progress(&format!("fim {path:?} {grid}² Q={nodes}"));
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
                report.fim.push(FimRow {
                    path,
                    grid,
                    nodes,
                    cells: cells as u64,
                    repeats: wall.len(),
                    median_ms,
                    p95_ms,
                    kernel_ms,
                    cells_per_s: cells as f64 / seconds,
                    max_rel_error: max_error(&last, &references),
                    error_cells: last.len(),
                });
            }
        }
    }
    Ok(())
}

fn bench_flow_params(count: u32) -> FlowParams {
    let scene = Scene::default();
    FlowParams {
        count,
        ..flow_params(&scene, [-4.0, -4.0], [4.0, 4.0])
    }
}

fn bench_particles(
    ctx: &GpuContext,
    config: &BenchConfig,
    report: &mut BenchReport,
    progress: &mut impl FnMut(&str),
) -> Result<(), GpuError> {
    let pipeline = ParticlePipeline::new(&ctx.device);
    let rule =
        QuadratureRule::new(crate::math::quadrature::DEFAULT_NODES_F32).expect("valid default");
    let table = rule.panel_rule().table_f32();
    let steps = config.particle_steps.max(1);
    let timer = GpuTimer::new(ctx, 2 * steps);
    for &count in &config.particles {
        let params = bench_flow_params(count);
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
        push_particle_row(report, "gpu", count, &wall, &kernel);

        progress(&format!("particles cpu-f32-mt {count}"));
        let cpu_params = FlowParams {
            panel_nodes: table.len() as u32,
            ..params
        };
        let mut a: Vec<Particle> = (0..count)
            .map(|i| cpu::particles::spawn(&cpu_params, i, 0))
            .collect();
        let mut b = vec![Particle::default(); count as usize];
        let mut wall = Vec::new();
        let cpu_steps = steps;
        for run in 0..config.warmup + config.repeats {
            let start = Instant::now();
            for _ in 0..cpu_steps {
                cpu::particles::step(&cpu_params, &table, &a, &mut b);
                std::mem::swap(&mut a, &mut b);
            }
            if run >= config.warmup {
                wall.push(start.elapsed().as_secs_f64() * 1e3 / cpu_steps as f64);
            }
        }
        push_particle_row(report, "cpu-f32-mt", count, &wall, &[]);
    }
    Ok(())
}

fn push_particle_row(
    report: &mut BenchReport,
    path: &str,
    count: u32,
    wall: &[f64],
    kernel: &[f64],
) {
    let (median, p95) = median_p95(wall);
    let kernel_ms = (!kernel.is_empty()).then(|| median_p95(kernel).0);
    report.particles.push(ParticleRow {
        path: path.to_owned(),
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
        let target = RenderTarget::new(
            &ctx.device,
            [case.width, case.height],
            CANVAS_FORMAT,
            "bench frame",
        );
        let mut scene = Scene {
            grid: case.grid,
            camera: Camera {
                center: [0.0, 0.0],
                half_height: 4.0,
                x_per_y: 1.0,
            },
            ..Scene::default()
        };
        scene.flow.enabled = case.particles > 0;
        scene.flow.particles = (case.particles > 0).then_some(case.particles);
        let (mut wall, mut field, mut particles, mut draw) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut cells = 0;
        for frame in 0..3 + config.frame_count {
            if case.field_every_frame {
                renderer.simulation_mut().invalidate_field();
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
        let (median_ms, p95_ms) = median_p95(&wall);
        let med = |v: &Vec<f64>| median_p95(v).0;
        report.frame.push(FrameRow {
            case: *case,
            cells,
            median_ms,
            p95_ms,
            field_ms: med(&field),
            particles_ms: med(&particles),
            draw_ms: med(&draw),
        });
    }
    Ok(())
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
        "cpu:     {} ({} threads)",
        report.cpu.model, report.cpu.threads
    );
    let opt = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.2}"));
    let _ = writeln!(
        s,
        "\nFIM field                                   median     p95   kernel      cells/s   max rel err"
    );
    for r in &report.fim {
        let _ = writeln!(
            s,
            "  {:<11} {:>5}² Q={:<3} {:>8} cells {:>9.2} {:>7.2} {:>8} {:>12.3e}   {:.2e}",
            serde_json::to_value(r.path)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            r.grid,
            r.nodes,
            r.cells,
            r.median_ms,
            r.p95_ms,
            opt(r.kernel_ms),
            r.cells_per_s,
            r.max_rel_error
        );
    }
    let _ = writeln!(
        s,
        "\nParticles (RK4)                   ms/step     p95   kernel   particle-steps/s"
    );
    for r in &report.particles {
        let _ = writeln!(
            s,
            "  {:<11} {:>9} particles {:>9.2} {:>7.2} {:>8} {:>14.3e}",
            r.path,
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
            if c.field_every_frame {
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
    }
    s
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

    #[test]
    fn samples_cover_the_grid() {
        assert_eq!(sample(10, 100).len(), 10);
        let s = sample(1_000_000, 4096);
        assert!(s.len() <= 4096 && s.len() > 4000);
    }
}
