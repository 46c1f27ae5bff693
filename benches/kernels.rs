//! Criterion benches of the compute kernels: the FIM field (GPU kernel, f32 CPU mirror on all
//! cores, f64 reference) and one flow step (GPU kernel, CPU mirror). GPU timings include the
//! submission and the wait (`device.poll`), and for the field the read-back too.
//! `fim_general` times the general kernel's grid (GPU, mirror) on each of the viewer's preset
//! slices over the view `fisherflow bench` uses for them, at the viewer's default Q (the
//! general rule's Q/2 nodes). `fisherflow bench` is the fuller benchmark with errors and
//! percentiles. `kfac_solve` times one solve with a layer's exact n × n block (faer Cholesky)
//! against K-FAC's two factor solves (issue 13) at small widths; `fisherflow bench` measures
//! the full range and fits the exponents.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fisherflow::bench::{BenchModel, Kernel};
use fisherflow::compute::fim_field::{FieldData, FieldMode, FimFieldPipeline, grid_params};
use fisherflow::compute::general::{GeneralData, GeneralPipeline};
use fisherflow::compute::particles::{ParticleData, ParticlePipeline};
use fisherflow::cpu;
use fisherflow::gpu::context::{AdapterPreference, GpuContext, GpuOptions};
use fisherflow::gpu::general_data::{GeneralGridParams, general_grid_params};
use fisherflow::gpu::gpu_data::{FieldCell, FieldParams, Particle};
use fisherflow::math::quadrature::DEFAULT_NODES_F32;
use fisherflow::math::{Metric, PointInput, QuadratureRule, evaluate_point};
use fisherflow::scene::{Preset, Scene};
use fisherflow::simulation::{flow_params, general_nodes};

fn context() -> GpuContext {
    GpuContext::new_headless(GpuOptions {
        backend: None,
        preference: AdapterPreference::HighPerformance,
    })
    .unwrap_or_else(|e| panic!("the GPU benches need an adapter: {e}"))
}

fn fim(c: &mut Criterion) {
    let ctx = context();
    let rule = QuadratureRule::new(DEFAULT_NODES_F32).unwrap();
    let table = rule.panel_rule().table_f32();
    let pipeline = FimFieldPipeline::new(&ctx.device);
    let mut group = c.benchmark_group("fim_field");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    for grid in [64u32, 256] {
        let params = FieldParams {
            panel_nodes: table.len() as u32,
            ..grid_params([-5.0, -5.0], [5.0, 5.0], grid, grid, 1.0, [-1.5, 1.0], 0.0)
        };
        group.throughput(Throughput::Elements(params.cell_count as u64));
        let data = FieldData::new(&ctx, &pipeline, params.cell_count, &rule).unwrap();
        group.bench_with_input(BenchmarkId::new("gpu", grid), &params, |b, params| {
            b.iter(|| {
                let mut encoder = ctx.device.create_command_encoder(&Default::default());
                data.encode(
                    &ctx.queue,
                    &mut encoder,
                    &pipeline,
                    FieldMode::Grid,
                    params,
                    None,
                );
                ctx.queue.submit([encoder.finish()]);
                black_box(data.read_cells(&ctx, params.cell_count).unwrap());
            })
        });
        let mut out = vec![FieldCell::default(); params.cell_count as usize];
        group.bench_with_input(
            BenchmarkId::new("cpu-f32-mt", grid),
            &params,
            |b, params| b.iter(|| cpu::fim_field::field_into(black_box(params), &table, &mut out)),
        );
        group.bench_with_input(
            BenchmarkId::new("cpu-f32-simd", grid),
            &params,
            |b, params| b.iter(|| cpu::simd::field_into(black_box(params), &table, &mut out)),
        );
        if grid <= 64 {
            group.bench_with_input(BenchmarkId::new("cpu-f64", grid), &params, |b, params| {
                b.iter(|| {
                    for i in 0..params.cell_count {
                        let mu = params.cell_theta(i);
                        let input = PointInput {
                            mu1: mu[0],
                            mu2: mu[1],
                            sigma: 1.0,
                            target: Some([-1.5, 1.0]),
                        };
                        black_box(evaluate_point(&input, &rule, 0.0));
                    }
                })
            });
        }
    }
    group.finish();
}

fn particles(c: &mut Criterion) {
    let ctx = context();
    let rule = QuadratureRule::new(DEFAULT_NODES_F32).unwrap();
    let table = rule.panel_rule().table_f32();
    let pipeline = ParticlePipeline::new(&ctx.device);
    let mut group = c.benchmark_group("particle_step");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    let count = 16_384u32;
    let params = fisherflow::gpu::gpu_data::FlowParams {
        count,
        ..flow_params(&Scene::default(), [-4.0, -4.0], [4.0, 4.0])
    };
    group.throughput(Throughput::Elements(count as u64));
    let mut data = ParticleData::new(&ctx, &pipeline, count, &rule).unwrap();
    data.spawn(&ctx, &pipeline, &params);
    group.bench_function(BenchmarkId::new("gpu", count), |b| {
        b.iter(|| {
            let mut encoder = ctx.device.create_command_encoder(&Default::default());
            data.encode_steps(
                &ctx.queue,
                &mut encoder,
                &pipeline,
                &params,
                1,
                None,
                |_, _, _| {},
            );
            ctx.queue.submit([encoder.finish()]);
            ctx.wait().unwrap();
        })
    });
    let cpu_params = fisherflow::gpu::gpu_data::FlowParams {
        panel_nodes: table.len() as u32,
        ..params
    };
    let mut a: Vec<Particle> = (0..count)
        .map(|i| cpu::particles::spawn(&cpu_params, i, 0))
        .collect();
    let mut b2 = vec![Particle::default(); count as usize];
    group.bench_function(BenchmarkId::new("cpu-f32-mt", count), |b| {
        b.iter(|| {
            cpu::particles::step(&cpu_params, &table, &a, &mut b2);
            std::mem::swap(&mut a, &mut b2);
        })
    });
    group.finish();
}

fn fim_general(c: &mut Criterion) {
    let ctx = context();
    let rule = QuadratureRule::new(general_nodes(DEFAULT_NODES_F32)).unwrap();
    let table = rule.panel_rule().table_f32();
    let pipeline = GeneralPipeline::new(&ctx.device);
    let mut group = c.benchmark_group("fim_general");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    let grid = 64u32;
    for preset in Preset::ALL {
        let (model, slice, _) = preset.setup();
        let bench = BenchModel::new(model, slice, Metric::Induced, Some(Kernel::General)).unwrap();
        let (lo, hi) = bench.general_view();
        let params = GeneralGridParams {
            panel_nodes: table.len() as u32,
            ..general_grid_params(
                lo,
                hi,
                grid,
                grid,
                &model,
                &slice,
                Some(&model),
                0.0,
                Metric::Induced,
            )
        };
        let name = format!("{preset:?}");
        group.throughput(Throughput::Elements(params.cell_count as u64));
        let data = GeneralData::new(&ctx, &pipeline, params.cell_count, &rule).unwrap();
        group.bench_with_input(BenchmarkId::new("gpu", &name), &params, |b, params| {
            b.iter(|| {
                let mut encoder = ctx.device.create_command_encoder(&Default::default());
                data.encode_grid(&ctx.queue, &mut encoder, &pipeline, params);
                ctx.queue.submit([encoder.finish()]);
                black_box(data.read_cells(&ctx, params.cell_count).unwrap());
            })
        });
        group.bench_with_input(
            BenchmarkId::new("cpu-f32-mt", &name),
            &params,
            |b, params| b.iter(|| black_box(cpu::general::grid(black_box(params), &table))),
        );
    }
    group.finish();
}

fn kfac_solve(c: &mut Criterion) {
    use fisherflow::kfac::cost::{time_exact, time_kfac};
    let mut group = c.benchmark_group("kfac_solve");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500));
    for d in [8usize, 16, 32] {
        group.throughput(Throughput::Elements((d * d) as u64));
        // iter_custom: the timers exclude building the matrices.
        group.bench_with_input(BenchmarkId::new("exact", d * d), &d, |b, &d| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| Duration::from_secs_f64(time_exact(d)))
                    .sum()
            })
        });
        group.bench_with_input(BenchmarkId::new("kfac", d * d), &d, |b, &d| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| Duration::from_secs_f64(time_kfac(d)))
                    .sum()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, fim, fim_general, particles, kfac_solve);
criterion_main!(benches);
