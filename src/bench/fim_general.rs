//! The FIM section on the general kernel: the WGSL `grid` entry point, its SIMD and scalar f32
//! mirrors and the f64 general reference over the fitted view of the slice, with the error
//! column at issue 10's tolerances.

use rayon::prelude::*;

use super::Section;
use super::config::{FimPath, Kernel};
use super::fim::sample;
use super::report::FimRow;
use super::timing::{Summary, time_gpu, wall_ms};
use super::verify::{GeneralOutcome, compare_general, general_grid_reference, general_tolerances};
use crate::compute::general::{GeneralData, GeneralPipeline};
use crate::cpu;
use crate::gpu::context::GpuError;
use crate::gpu::general_data::{GeneralGridParams, general_grid_params};
use crate::gpu::gpu_data::FieldCell;
use crate::gpu::timing::GpuTimer;
use crate::math::QuadratureRule;
use crate::math::general::DEFAULT_NODES_GENERAL;
use crate::simulation::general_nodes;

/// The FIM section on the general kernel ([`super`]'s docs): the same timing and error column as
/// [`bench_fim`](super::fim::bench_fim), over the fitted view of the slice.
pub(super) fn bench_fim_general(run: Section<'_>) -> Result<(), GpuError> {
    let Section(ctx, config, report, progress) = run;
    let bm = &config.model;
    let (view_min, view_max) = bm.general_view();
    let pipeline = GeneralPipeline::new(&ctx.device);
    // Two empty passes bracket the grid pass: slots 1 (end of the first) and 2 (start of the
    // second).
    let timer = GpuTimer::new(ctx, 4);
    let reference_rule = QuadratureRule::new(DEFAULT_NODES_GENERAL).expect("valid default");
    let tolerances = general_tolerances();
    let (warmup, repeats) = (config.warmup, config.repeats);
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
            for (path, isa) in config.path_runs_at(grid) {
                let isa_name = isa.map(|l| l.name().to_owned());
                progress(&format!(
                    "fim general {path:?} {} {grid}² Q={nodes}",
                    isa_name.as_deref().unwrap_or("")
                ));
                let from_cells = |out: &[FieldCell]| -> Vec<GeneralOutcome> {
                    indices
                        .iter()
                        .zip(&references)
                        .map(|(&i, r)| {
                            GeneralOutcome::from_grid_cell(&params, i as u32, &out[i], r)
                        })
                        .collect()
                };
                let (wall, kernel, got) = match path {
                    FimPath::Gpu => {
                        let data = GeneralData::new(ctx, &pipeline, params.cell_count, &rule)?;
                        let mark = |encoder: &mut wgpu::CommandEncoder, pair: u32| {
                            if let Some(t) = &timer {
                                encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                                    label: Some("bench timestamp"),
                                    timestamp_writes: Some(t.compute_pass(pair)),
                                });
                            }
                        };
                        let times = time_gpu(
                            ctx,
                            config,
                            timer.as_ref(),
                            |encoder| {
                                mark(encoder, 0);
                                data.encode_grid(&ctx.queue, encoder, &pipeline, &params);
                                mark(encoder, 1);
                            },
                            || data.read_cells(ctx, params.cell_count),
                            |ts| ts[2] - ts[1],
                        )?;
                        let got = times.last.map(|out| from_cells(&out)).unwrap_or_default();
                        (times.wall, times.kernel, got)
                    }
                    FimPath::CpuF32Simd => {
                        let level = isa.unwrap_or(cpu::simd::simd_level());
                        let mut out = vec![FieldCell::default(); cells];
                        let wall = wall_ms(warmup, repeats, || {
                            cpu::simd::general_grid_into_at(level, &params, &table, &mut out);
                        });
                        (wall, Vec::new(), from_cells(&out))
                    }
                    FimPath::CpuF32Mt => {
                        let mut out = Vec::new();
                        let wall = wall_ms(warmup, repeats, || {
                            out = cpu::general::grid(&params, &table);
                        });
                        (wall, Vec::new(), from_cells(&out))
                    }
                    FimPath::CpuF64 => {
                        // Filled anew each run (`clear` is free: the references own no memory).
                        let mut out = Vec::with_capacity(cells);
                        let wall = wall_ms(warmup, repeats, || {
                            out.clear();
                            for i in 0..cells {
                                out.push(general_grid_reference(
                                    &params, i as u32, &bm.model, bm.metric, &rule,
                                ));
                            }
                        });
                        let got = indices
                            .iter()
                            .map(|&i| GeneralOutcome::from_reference(&out[i]))
                            .collect();
                        (wall, Vec::new(), got)
                    }
                };
                let times = Summary::of(&wall, &kernel);
                let verdict = compare_general(&got, &references, &tolerances);
                report.fim.push(FimRow {
                    path,
                    isa: isa_name,
                    kernel: Kernel::General,
                    grid,
                    nodes,
                    cells: cells as u64,
                    repeats: wall.len(),
                    median_ms: times.median_ms,
                    p95_ms: times.p95_ms,
                    kernel_ms: times.kernel_ms,
                    cells_per_s: cells as f64 / times.seconds(),
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

#[cfg(test)]
mod tests {
    use super::super::config::BenchModel;
    use super::*;
    use crate::math::{Metric, Model, Slice};

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
}
