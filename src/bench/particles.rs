//! The particles section: flow steps per second of the GPU kernel against its SIMD and scalar
//! CPU mirrors.

use super::Section;
use super::config::{BenchModel, Kernel};
use super::report::{BenchReport, ParticleRow};
use super::timing::{Summary, time_gpu, wall_ms};
use crate::compute::particles::{ParticleData, ParticlePipeline};
use crate::cpu;
use crate::gpu::context::GpuError;
use crate::gpu::gpu_data::{FlowParams, Particle};
use crate::gpu::timing::GpuTimer;
use crate::math::QuadratureRule;
use crate::scene::Scene;
use crate::simulation::{flow_params, general_nodes};

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

pub(super) fn bench_particles(run: Section<'_>) -> Result<(), GpuError> {
    let Section(ctx, config, report, progress) = run;
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
    let (warmup, repeats) = (config.warmup, config.repeats);
    for &count in &config.particles {
        let params = bench_flow_params(count, &config.model);
        // Big counts take seconds per step on a software adapter: one step per repeat there.
        let steps = if count > 100_000 { 1 } else { steps };
        let per_step =
            |wall: Vec<f64>| -> Vec<f64> { wall.into_iter().map(|ms| ms / steps as f64).collect() };
        progress(&format!("particles gpu {count}"));
        let mut data = ParticleData::new(ctx, &pipeline, count, &rule)?;
        data.spawn(ctx, &pipeline, &params);
        let times = time_gpu(
            ctx,
            config,
            timer.as_ref(),
            |encoder| {
                data.encode_steps(
                    &ctx.queue,
                    encoder,
                    &pipeline,
                    &params,
                    steps,
                    timer.as_ref(),
                    |_, _, _| {},
                )
            },
            || ctx.wait(),
            |ts| {
                (0..steps as usize)
                    .map(|k| ts[2 * k + 1] - ts[2 * k])
                    .sum::<f64>()
                    / steps as f64
            },
        )?;
        let wall = per_step(times.wall);
        push_particle_row(
            report,
            "gpu",
            None,
            kernel_kind,
            count,
            &wall,
            &times.kernel,
        );

        let cpu_params = FlowParams {
            panel_nodes: table.len() as u32,
            ..params
        };
        // The SIMD path, once per instruction set raced: the seed kernel's velocity a vector of
        // particles at a time, the general kernel's with each stage's union pass a particle
        // per lane.
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
            let wall = wall_ms(warmup, repeats, || {
                for _ in 0..steps {
                    if let Some(level) = isa {
                        cpu::simd::particles_step_at(level, &cpu_params, &table, &a, &mut b);
                    } else {
                        cpu::particles::step(&cpu_params, &table, &a, &mut b);
                    }
                    std::mem::swap(&mut a, &mut b);
                }
            });
            let wall = per_step(wall);
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
    let times = Summary::of(wall, kernel);
    report.particles.push(ParticleRow {
        path: path.to_owned(),
        isa: isa.map(str::to_owned),
        kernel: kernel_kind,
        particles: count,
        integrator: "rk4".to_owned(),
        median_ms_per_step: times.median_ms,
        p95_ms_per_step: times.p95_ms,
        kernel_ms_per_step: times.kernel_ms,
        particle_steps_per_s: count as f64 / times.seconds(),
    });
}
