//! The particles section: flow steps per second of the GPU kernel against its SIMD and scalar
//! CPU mirrors.

use super::Section;
use super::config::{BenchConfig, BenchModel, Kernel};
use super::report::{BenchReport, ParticleRow};
use super::timing::{Summary, time_gpu, wall_ms};
use crate::compute::particles::{ParticleData, ParticlePipeline};
use crate::cpu;
use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::gpu_data::{FlowParams, Particle};
use crate::gpu::timing::GpuTimer;
use crate::math::QuadratureRule;
use crate::scene::Scene;
use crate::simulation::{flow_params, general_nodes};

/// The flow's parameters: on the seed kernel the default scene over [−4, 4]²; on the general
/// kernel the general mode of the bench's scene over the fitted view (positions in slice
/// coordinates, as the viewer runs it).
pub(super) fn bench_flow_params(count: u32, model: &BenchModel) -> FlowParams {
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

/// The quadrature rule of `kernel`'s particles at the default Q (the general kernel's nodes
/// per panel are [`general_nodes`] of it, as the viewer runs it).
pub(super) fn particle_rule(kernel: Kernel) -> QuadratureRule {
    let nodes = match kernel {
        Kernel::Seed => crate::math::quadrature::DEFAULT_NODES_F32,
        Kernel::General => general_nodes(crate::math::quadrature::DEFAULT_NODES_F32),
    };
    QuadratureRule::new(nodes).expect("valid default")
}

/// The GPU kernel's wall and kernel (timestamp) times in ms per step, `steps` RK4 steps per
/// submission, from freshly spawned particles (`params.count` of them).
pub(super) fn time_gpu_steps(
    ctx: &GpuContext,
    config: &BenchConfig,
    pipeline: &ParticlePipeline,
    rule: &QuadratureRule,
    params: &FlowParams,
    steps: u32,
) -> Result<(Vec<f64>, Vec<f64>), GpuError> {
    let timer = GpuTimer::new(ctx, 2 * steps);
    let mut data = ParticleData::new(ctx, pipeline, params.count, rule)?;
    data.spawn(ctx, pipeline, params);
    let times = time_gpu(
        ctx,
        config,
        timer.as_ref(),
        |encoder| {
            data.encode_steps(
                &ctx.queue,
                encoder,
                pipeline,
                params,
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
    let wall = times.wall.iter().map(|ms| ms / steps as f64).collect();
    Ok((wall, times.kernel))
}

/// The CPU paths' wall ms per step: the SIMD path on `isa`, or the scalar mirror on every core
/// (`None`), from freshly spawned particles. The seed kernel's velocity runs a vector of
/// particles at a time, the general kernel's with each stage's union pass a particle per lane.
pub(super) fn time_cpu_steps(
    config: &BenchConfig,
    isa: Option<cpu::simd::SimdLevel>,
    table: &[[f32; 2]],
    params: &FlowParams,
    steps: u32,
) -> Vec<f64> {
    let mut a: Vec<Particle> = (0..params.count)
        .map(|i| cpu::particles::spawn(params, i, 0))
        .collect();
    let mut b = vec![Particle::default(); params.count as usize];
    let wall = wall_ms(config.warmup, config.repeats, || {
        for _ in 0..steps {
            if let Some(level) = isa {
                cpu::simd::particles_step_at(level, params, table, &a, &mut b);
            } else {
                cpu::particles::step(params, table, &a, &mut b);
            }
            std::mem::swap(&mut a, &mut b);
        }
    });
    wall.into_iter().map(|ms| ms / steps as f64).collect()
}

pub(super) fn bench_particles(run: Section<'_>) -> Result<(), GpuError> {
    let Section(ctx, config, report, progress) = run;
    let pipeline = ParticlePipeline::new(&ctx.device);
    let kernel_kind = config.model.kernel;
    let rule = particle_rule(kernel_kind);
    let table = rule.panel_rule().table_f32();
    for &count in &config.particles {
        let params = bench_flow_params(count, &config.model);
        // Big counts take seconds per step on a software adapter: one step per repeat there.
        let steps = if count > 100_000 {
            1
        } else {
            config.particle_steps.max(1)
        };
        progress(&format!("particles gpu {count}"));
        let (wall, kernel) = time_gpu_steps(ctx, config, &pipeline, &rule, &params, steps)?;
        push_particle_row(report, "gpu", None, kernel_kind, count, &wall, &kernel);

        let cpu_params = FlowParams {
            panel_nodes: table.len() as u32,
            ..params
        };
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
            let wall = time_cpu_steps(config, isa, &table, &cpu_params, steps);
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
