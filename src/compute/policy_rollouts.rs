//! Dispatches `shaders/policy_rollouts.wgsl`: N rollouts of the Gaussian policy on the GPU,
//! one invocation each, reduced per workgroup and step, and the estimates REINFORCE makes of
//! them — ∇̂C_{H,σ} (with or without the per-step leave-one-out baseline), F̂ of F_H and the
//! mean sampled cost — formed here in f64 from the workgroups' partial sums. The numbers drawn
//! are those of the f64 reference [`crate::math::policy::sampling::estimate`] (same seed,
//! stream and counters), which `tests/gpu/policy_rollouts.rs` compares this with.

use super::Slot;
use bytemuck::{Pod, Zeroable};

use super::fim_field::dispatch_size;
use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::policy_data::PolicyPlant;
use crate::math::policy::System;
use crate::math::policy::sampling::Estimate;
use crate::math::sym2::Sym2;

/// Invocations (rollouts) per workgroup (`WORKGROUP_SIZE` in the shader).
pub const WORKGROUP_SIZE: u32 = 64;
/// The longest horizon the kernel takes (lavapipe's per-invocation loop budget: shader docs).
pub const MAX_GPU_HORIZON: u32 = 4096;
const STEP_SUMS: usize = 5;

/// Must match `RolloutParams` in the shader (80 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct RolloutParams {
    /// The system (its damping unused).
    pub plant: PolicyPlant,
    /// The gains K.
    pub gains: [f32; 2],
    /// N.
    pub rollouts: u32,
    /// H.
    pub horizon: u32,
    /// The generator's seed.
    pub seed: u32,
    /// The generator's stream.
    pub stream: u32,
    /// Padding.
    pub _pad: [u32; 2],
}

const _: () = assert!(size_of::<RolloutParams>() == 80);

/// The compiled kernel.
pub struct RolloutPipeline {
    layout: wgpu::BindGroupLayout,
    pipeline: wgpu::ComputePipeline,
}

impl RolloutPipeline {
    /// Compiles `policy_rollouts.wgsl`.
    pub fn new(device: &wgpu::Device) -> Self {
        let layout = super::stage_layout(
            device,
            "policy rollouts layout",
            size_of::<RolloutParams>() as u64,
            &[Slot::ReadWrite],
        );
        let [pipeline] =
            super::stage_pipelines(device, &layout, "policy_rollouts.wgsl", ["rollouts"]);
        Self { layout, pipeline }
    }
}

/// ∇̂C_{H,σ}, F̂ and the mean cost from `rollouts` rollouts of `horizon` steps at gains `k`, from
/// `stream` of `seed`, on the GPU (`baseline`: the leave-one-out baseline, needs N ≥ 2). Blocks
/// until the partial sums are read back (tests, the CLI and the benchmark; never the frame
/// loop).
#[allow(clippy::too_many_arguments)]
pub fn estimate_on_gpu(
    ctx: &GpuContext,
    pipeline: &RolloutPipeline,
    system: &System,
    k: [f64; 2],
    rollouts: u32,
    horizon: u32,
    seed: u32,
    stream: u32,
    baseline: bool,
) -> Result<Estimate, GpuError> {
    if rollouts == 0 || horizon == 0 || horizon > MAX_GPU_HORIZON {
        return Err(GpuError::InvalidInput(format!(
            "{rollouts} rollouts of horizon {horizon}: the GPU estimate takes N ≥ 1 and \
             1 ≤ H ≤ {MAX_GPU_HORIZON}"
        )));
    }
    let groups = rollouts.div_ceil(WORKGROUP_SIZE);
    let per_group = horizon as usize * STEP_SUMS + 4;
    let floats = groups as u64 * per_group as u64;
    crate::gpu::limits::check_storage(
        &ctx.device.limits(),
        || format!("{rollouts} rollouts of {horizon} steps"),
        floats,
        4,
        |most| format!("use fewer rollouts or a shorter horizon ({most} partial sums at most)"),
    )?;
    let params = RolloutParams {
        plant: PolicyPlant::new(system, 0.0),
        gains: k.map(|v| v as f32),
        rollouts,
        horizon,
        seed,
        stream,
        _pad: [0; 2],
    };
    let device = &ctx.device;
    let params_buffer = wgpu::util::DeviceExt::create_buffer_init(
        device,
        &wgpu::util::BufferInitDescriptor {
            label: Some("policy rollouts params"),
            contents: bytemuck::bytes_of(&params),
            usage: wgpu::BufferUsages::STORAGE,
        },
    );
    let partials = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("policy rollouts partials"),
        size: floats * 4,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    });
    let group = crate::gpu::buffers_bind_group(
        device,
        "policy rollouts bind group",
        &pipeline.layout,
        &[&params_buffer, &partials],
    );
    let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
        label: Some("policy rollouts"),
    });
    {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("policy rollouts"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&pipeline.pipeline);
        pass.set_bind_group(0, &group, &[]);
        let (x, y) = dispatch_size(groups * WORKGROUP_SIZE, WORKGROUP_SIZE, 65_535);
        pass.dispatch_workgroups(x, y, 1);
    }
    ctx.queue.submit([encoder.finish()]);
    let bytes = ctx.read_buffer(&partials, floats * 4)?;
    let sums: Vec<f32> = bytemuck::pod_collect_to_vec(&bytes);
    Ok(combine(
        &sums,
        groups as usize,
        horizon as usize,
        rollouts,
        baseline,
    ))
}

/// The estimates from the workgroups' partial sums (f64): ∇̂ = (1/N)[Σ_t A_t − Σ_t (T_t S_t −
/// A_t)/(N − 1)] with the baseline, (1/N) Σ_t A_t without; F̂ and the cost the means.
fn combine(sums: &[f32], groups: usize, horizon: usize, n: u32, baseline: bool) -> Estimate {
    let per_group = horizon * STEP_SUMS + 4;
    let mut steps = vec![[0.0f64; STEP_SUMS]; horizon];
    let mut tail = [0.0f64; 4];
    for g in 0..groups {
        let block = &sums[g * per_group..(g + 1) * per_group];
        for (t, step) in steps.iter_mut().enumerate() {
            for (j, v) in step.iter_mut().enumerate() {
                *v += block[t * STEP_SUMS + j] as f64;
            }
        }
        for (j, v) in tail.iter_mut().enumerate() {
            *v += block[horizon * STEP_SUMS + j] as f64;
        }
    }
    let use_baseline = baseline && n >= 2;
    let mut grad = [0.0f64; 2];
    for [ax, ay, total, sx, sy] in &steps {
        grad[0] += ax;
        grad[1] += ay;
        if use_baseline {
            let m = (n - 1) as f64;
            grad[0] -= (total * sx - ax) / m;
            grad[1] -= (total * sy - ay) / m;
        }
    }
    let inv = 1.0 / n as f64;
    Estimate {
        grad: grad.map(|g| g * inv),
        fisher: Sym2::new(tail[0] * inv, tail[1] * inv, tail[2] * inv),
        cost: tail[3] * inv,
    }
}
