//! The FIM section on the seed kernel: the WGSL kernel, the SIMD and scalar f32 mirrors and the
//! f64 reference over the seed's view, with the error column against the f64 reference.

use rayon::prelude::*;

use super::Section;
use super::config::{BenchModel, FimPath, Kernel};
use super::report::FimRow;
use super::timing::{Summary, time_gpu, wall_ms};
use super::verify::{Tolerances, compare_reports, report_from_cell};
use crate::compute::fim_field::{FieldData, FieldMode, FimFieldPipeline, grid_params};
use crate::cpu;
use crate::gpu::context::GpuError;
use crate::gpu::gpu_data::{FieldCell, FieldParams};
use crate::gpu::timing::GpuTimer;
use crate::math::quadrature::DEFAULT_NODES_F64;
use crate::math::{PointInput, PointReport, QuadratureRule, evaluate_point};

/// The seed kernel's view: [−5σ, 5σ]² with the model's σ and handle (by default σ = 1, target
/// (−1.5, 1)): cells from on the diagonal to 10σ apart.
pub(super) fn bench_params(grid: u32, model: &BenchModel) -> FieldParams {
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
pub(super) fn sample(cells: usize, limit: usize) -> Vec<usize> {
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

/// The FIM section on the seed kernel ([`super`]'s docs): every path of
/// [`BenchConfig::path_runs`] over the seed's view at each grid and node count, errors against
/// the f64 reference at [`DEFAULT_NODES_F64`].
pub(super) fn bench_fim(run: Section<'_>) -> Result<(), GpuError> {
    let Section(ctx, config, report, progress) = run;
    let pipeline = FimFieldPipeline::new(&ctx.device);
    let timer = GpuTimer::new(ctx, 2);
    let reference_rule = QuadratureRule::new(DEFAULT_NODES_F64).expect("valid default");
    let (warmup, repeats) = (config.warmup, config.repeats);
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
            for (path, isa) in config.path_runs_at(grid) {
                let isa_name = isa.map(|l| l.name().to_owned());
                progress(&format!(
                    "fim {path:?} {} {grid}² Q={nodes}",
                    isa_name.as_deref().unwrap_or("")
                ));
                let (wall, kernel, last): (_, _, Vec<(usize, PointReport)>) = match path {
                    FimPath::Gpu => {
                        let data = FieldData::new(ctx, &pipeline, params.cell_count, &rule)?;
                        let times = time_gpu(
                            ctx,
                            config,
                            timer.as_ref(),
                            |encoder| {
                                data.encode(
                                    &ctx.queue,
                                    encoder,
                                    &pipeline,
                                    FieldMode::Grid,
                                    &params,
                                    timer.as_ref().map(|t| t.compute_pass(0)),
                                )
                            },
                            || data.read_cells(ctx, params.cell_count),
                            |ts| ts[1] - ts[0],
                        )?;
                        let last = times
                            .last
                            .map(|out| cell_reports(&params, &out, &indices))
                            .unwrap_or_default();
                        (times.wall, times.kernel, last)
                    }
                    FimPath::CpuF32Simd => {
                        let mut out = vec![FieldCell::default(); cells];
                        let wall = wall_ms(warmup, repeats, || {
                            let level = isa.unwrap_or(cpu::simd::simd_level());
                            cpu::simd::field_into_at(level, &params, &table, &mut out);
                        });
                        (wall, Vec::new(), cell_reports(&params, &out, &indices))
                    }
                    FimPath::CpuF32Mt => {
                        let mut out = vec![FieldCell::default(); cells];
                        let wall = wall_ms(warmup, repeats, || {
                            cpu::fim_field::field_into(&params, &table, &mut out);
                        });
                        (wall, Vec::new(), cell_reports(&params, &out, &indices))
                    }
                    FimPath::CpuF64 => {
                        // Filled anew each run (`clear` is free: the reports own no memory).
                        let mut out = Vec::with_capacity(cells);
                        let wall = wall_ms(warmup, repeats, || {
                            out.clear();
                            for i in 0..cells {
                                out.push(evaluate_point(&input_of(&params, i as u32), &rule, 0.0));
                            }
                        });
                        let last = indices.iter().map(|&i| (i, out[i].clone())).collect();
                        (wall, Vec::new(), last)
                    }
                };
                let times = Summary::of(&wall, &kernel);
                let cells_per_s = cells as f64 / times.seconds();
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
                    median_ms: times.median_ms,
                    p95_ms: times.p95_ms,
                    kernel_ms: times.kernel_ms,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_cover_the_grid() {
        assert_eq!(sample(10, 100).len(), 10);
        let s = sample(1_000_000, 4096);
        assert!(s.len() <= 4096 && s.len() > 4000);
    }
}
