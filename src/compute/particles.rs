//! Dispatches `shaders/particles.wgsl`: the flow step for every particle, ping-ponging between
//! two storage buffers that the particle draw pipeline reads as instance vertex buffers.
//!
//! [`ParticlePipeline`] is built once per device; [`ParticleData`] owns the buffers for one
//! particle count. [`ParticleData::spawn`] seeds every particle (its own submission, since its
//! parameters differ from the steps'), [`ParticleData::encode_steps`] records steps. Reading
//! back is for tests, `fisherflow trace` and the benchmark only.
//!
//! General mode: fill the seed's fields (view, dt, speed cap, converge radius, …) as usual and
//! then [`FlowParams::with_general`] (base model, slice, target, metric; sets
//! [`flow_flags::GENERAL`]): positions, the view rectangle and `target` are then absolute
//! slice coordinates. Each general step is preceded by `shaders/particle_order.wgsl`'s counting
//! sort of the particles by place (three small dispatches in the step's compute pass), and the
//! step runs them in that order: a vector of lanes then steps neighbours, whose quadrature
//! windows match. Measured on lavapipe (`tests/gpu/particles.rs`): GPU and mirror agree on
//! 100% of particles within 1e-4 after 6 and 30 RK4 steps on the half-plane, (π, μ1) and (μ1, μ2)
//! with the profiled metric.

use super::Slot;

use crate::compute::fim_field::dispatch_size;
use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::gpu_data::{FlowParams, PLACE_CELLS, Particle, flow_flags};
use crate::gpu::timing::GpuTimer;
use crate::math::QuadratureRule;

/// Invocations per workgroup; must equal `WORKGROUP_SIZE` in `particles.wgsl`.
pub const WORKGROUP_SIZE: u32 = 64;

/// The flow step's entry points in `particles.wgsl`, one pipeline each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepEntry {
    /// `step`: the seed's slice.
    Seed,
    /// `step_general`: the general mixture on a slice that varies π.
    General,
    /// `step_general_fixed_weight`: the general mixture on a slice that holds π, under the
    /// induced metric, with the weight's score compiled out of the node and the profiled
    /// metric's passes out of the code (`gmm_general.wgsl`'s `weight_score_live` and
    /// `profiled_metric_live`; the same numbers, ~20% less time on the unequal preset on
    /// llvmpipe). The profiled metric reads the whole 5 × 5 F, π's row too, on every slice.
    GeneralFixedWeight,
    /// `step_policy`: the policy plane.
    Policy,
}

impl StepEntry {
    /// Every entry, in the order of [`StepEntry::name`]'s pipelines.
    pub const ALL: [StepEntry; 4] = [
        StepEntry::Seed,
        StepEntry::General,
        StepEntry::GeneralFixedWeight,
        StepEntry::Policy,
    ];

    /// The entry point's name in `particles.wgsl`.
    pub fn name(self) -> &'static str {
        match self {
            StepEntry::Seed => "step",
            StepEntry::General => "step_general",
            StepEntry::GeneralFixedWeight => "step_general_fixed_weight",
            StepEntry::Policy => "step_policy",
        }
    }

    /// The entry a dispatch with `params` runs: by [`flow_flags::POLICY`] and
    /// [`flow_flags::GENERAL`], and for a general slice by whether any score of π is needed
    /// (the slice varies π, or the metric is the profiled one).
    pub fn for_params(params: &FlowParams) -> Self {
        let weight = crate::math::Param::Pi.index() as u32;
        let induced = params.metric == crate::math::Metric::Induced.code();
        if params.flags & flow_flags::POLICY != 0 {
            StepEntry::Policy
        } else if params.flags & flow_flags::GENERAL == 0 {
            StepEntry::Seed
        } else if params.slice_a != weight && params.slice_b != weight && induced {
            StepEntry::GeneralFixedWeight
        } else {
            StepEntry::General
        }
    }
}

/// The flow step pipelines, one per [`StepEntry`], picked per dispatch by
/// [`StepEntry::for_params`]; and the place order's three passes (`particle_order.wgsl`) that
/// precede a general step.
pub struct ParticlePipeline {
    layout: wgpu::BindGroupLayout,
    /// Indexed as [`StepEntry::ALL`].
    step_pipelines: [wgpu::ComputePipeline; 4],
    order_layout: wgpu::BindGroupLayout,
    /// `order_count`, `order_scan`, `order_scatter`, in dispatch order.
    order_pipelines: [wgpu::ComputePipeline; 3],
}

impl ParticlePipeline {
    /// Compiles the shader.
    pub fn new(device: &wgpu::Device) -> Self {
        // Bindings: the parameters, the node table, the particles read, the particles written,
        // the place order.
        let layout = super::stage_layout(
            device,
            "particles layout",
            size_of::<FlowParams>() as u64,
            &[Slot::Nodes, Slot::Read, Slot::ReadWrite, Slot::Read],
        );
        let step_pipelines = super::stage_pipelines(
            device,
            &layout,
            "particles.wgsl",
            StepEntry::ALL.map(StepEntry::name),
        );
        // Bindings: the parameters, the particles read, the cells' counts and slots, the order.
        let order_layout = super::stage_layout(
            device,
            "particle order layout",
            size_of::<FlowParams>() as u64,
            &[Slot::Read, Slot::ReadWrite, Slot::ReadWrite],
        );
        let order_pipelines = super::stage_pipelines(
            device,
            &order_layout,
            "particle_order.wgsl",
            ["order_count", "order_scan", "order_scatter"],
        );
        Self {
            layout,
            step_pipelines,
            order_layout,
            order_pipelines,
        }
    }

    /// The step pipeline a dispatch with `params` runs.
    fn for_params(&self, params: &FlowParams) -> &wgpu::ComputePipeline {
        let entry = StepEntry::for_params(params);
        let slot = StepEntry::ALL.iter().position(|&e| e == entry);
        &self.step_pipelines[slot.expect("ALL lists every entry")]
    }
}

/// Particle buffers (ping-pong), parameter buffers and bind groups for one particle count.
pub struct ParticleData {
    buffers: [wgpu::Buffer; 2],
    step_params: wgpu::Buffer,
    spawn_params: wgpu::Buffer,
    /// Bind groups: [0] reads buffer 0 writes 1, [1] reads 1 writes 0; spawn writes buffer 0.
    step_groups: [wgpu::BindGroup; 2],
    spawn_group: wgpu::BindGroup,
    /// The place order's bind groups: [k] sorts buffer k (what step group k reads).
    order_groups: [wgpu::BindGroup; 2],
    /// The place order: the particle each slot of a general step steps.
    order: wgpu::Buffer,
    /// Index of the buffer holding the latest state.
    current: usize,
    count: u32,
    panel_nodes: u32,
}

impl ParticleData {
    /// Allocates buffers for `count` particles (not yet spawned) with the rule's node table.
    pub fn new(
        ctx: &GpuContext,
        pipeline: &ParticlePipeline,
        count: u32,
        rule: &QuadratureRule,
    ) -> Result<Self, GpuError> {
        let device = &ctx.device;
        let bytes = count.max(1) as u64 * size_of::<Particle>() as u64;
        crate::gpu::limits::check_storage(
            &device.limits(),
            || format!("{count} particles"),
            count.max(1) as u64,
            size_of::<Particle>() as u64,
            |most| format!("use at most {most} particles on this device"),
        )?;
        let buffer = |label| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: bytes,
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::VERTEX
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        };
        let buffers = [buffer("particles A"), buffer("particles B")];
        let params_buffer = |label| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: size_of::<FlowParams>() as u64,
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        };
        let step_params = params_buffer("flow step params");
        let spawn_params = params_buffer("flow spawn params");
        let nodes = super::node_table(device, "flow gauss-legendre nodes", rule);
        let storage = |label, size| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            })
        };
        // Zero at creation, as the first count needs; the scan zeroes the counts after use.
        let cells = storage(
            "flow place cells",
            2 * 4 * (PLACE_CELLS * PLACE_CELLS) as u64,
        );
        let order = storage("flow place order", 4 * count.max(1) as u64);
        let group = |params: &wgpu::Buffer, source: &wgpu::Buffer, destination, label: &str| {
            crate::gpu::buffers_bind_group(
                device,
                label,
                &pipeline.layout,
                &[params, &nodes, source, destination, &order],
            )
        };
        let step_groups = [
            group(&step_params, &buffers[0], &buffers[1], "flow A→B"),
            group(&step_params, &buffers[1], &buffers[0], "flow B→A"),
        ];
        let spawn_group = group(&spawn_params, &buffers[1], &buffers[0], "flow spawn");
        let order_group = |source: &wgpu::Buffer, label: &str| {
            crate::gpu::buffers_bind_group(
                device,
                label,
                &pipeline.order_layout,
                &[&step_params, source, &cells, &order],
            )
        };
        let order_groups = [
            order_group(&buffers[0], "flow order A"),
            order_group(&buffers[1], "flow order B"),
        ];
        Ok(Self {
            buffers,
            step_params,
            spawn_params,
            step_groups,
            spawn_group,
            order_groups,
            order,
            current: 0,
            count,
            panel_nodes: rule.panel_rule().nodes.len() as u32,
        })
    }

    /// Number of particles.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The buffer holding the latest state (bind as the particle instance buffer).
    pub fn current_buffer(&self) -> &wgpu::Buffer {
        &self.buffers[self.current]
    }

    /// Records one pass: the place order of buffer `side` first where `params` ask for a
    /// general step (not a spawn), then the step (or spawn) with `group`.
    fn dispatch(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        pipeline: &ParticlePipeline,
        (group, side): (&wgpu::BindGroup, usize),
        params: &FlowParams,
        timestamp_writes: Option<wgpu::ComputePassTimestampWrites<'_>>,
    ) {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("particles"),
            timestamp_writes,
        });
        let (x, y) = dispatch_size(self.count, WORKGROUP_SIZE, 65_535);
        let flags = params.flags;
        let general = flags & flow_flags::GENERAL != 0 && flags & flow_flags::POLICY == 0;
        if general && flags & (flow_flags::SPAWN_FRESH | flow_flags::INDEX_ORDER) == 0 {
            let [count, scan, scatter] = &pipeline.order_pipelines;
            pass.set_bind_group(0, &self.order_groups[side], &[]);
            pass.set_pipeline(count);
            pass.dispatch_workgroups(x, y, 1);
            pass.set_pipeline(scan);
            pass.dispatch_workgroups(1, 1, 1);
            pass.set_pipeline(scatter);
            pass.dispatch_workgroups(x, y, 1);
        }
        pass.set_pipeline(pipeline.for_params(params));
        pass.set_bind_group(0, group, &[]);
        pass.dispatch_workgroups(x, y, 1);
    }

    /// Spawns every particle (generation 0) from `params.seed`; submits on its own.
    pub fn spawn(&mut self, ctx: &GpuContext, pipeline: &ParticlePipeline, params: &FlowParams) {
        let params = self.complete(params, flow_flags::SPAWN_FRESH);
        ctx.queue
            .write_buffer(&self.spawn_params, 0, bytemuck::bytes_of(&params));
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("flow spawn"),
            });
        self.dispatch(
            &mut encoder,
            pipeline,
            (&self.spawn_group, 1),
            &params,
            None,
        );
        ctx.queue.submit([encoder.finish()]);
        self.current = 0;
    }

    fn complete(&self, params: &FlowParams, extra_flags: u32) -> FlowParams {
        FlowParams {
            count: self.count,
            panel_nodes: self.panel_nodes,
            flags: params.flags | extra_flags,
            ..*params
        }
    }

    /// Writes the step's parameters and records `steps` steps. After each step, `after_step` may
    /// record work on the new state (trace copies it out). With a timer, step k writes its
    /// pass's start and end into timestamp pair k (the benchmark).
    #[allow(clippy::too_many_arguments)]
    pub fn encode_steps(
        &mut self,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        pipeline: &ParticlePipeline,
        params: &FlowParams,
        steps: u32,
        timer: Option<&GpuTimer>,
        mut after_step: impl FnMut(&mut wgpu::CommandEncoder, &wgpu::Buffer, u32),
    ) {
        let params = self.complete(params, 0);
        queue.write_buffer(&self.step_params, 0, bytemuck::bytes_of(&params));
        for k in 0..steps {
            self.dispatch(
                encoder,
                pipeline,
                (&self.step_groups[self.current], self.current),
                &params,
                timer.map(|t| t.compute_pass(k)),
            );
            self.current = 1 - self.current;
            after_step(encoder, &self.buffers[self.current], k);
        }
    }

    /// Reads the place order the last general step ran in back (tests): slot by slot, the
    /// particle stepped there.
    pub fn read_order(&self, ctx: &GpuContext) -> Result<Vec<u32>, GpuError> {
        let bytes = ctx.read_buffer(&self.order, self.count as u64 * 4)?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }

    /// Reads the current state back (tests, trace, benchmark).
    pub fn read(&self, ctx: &GpuContext) -> Result<Vec<Particle>, GpuError> {
        let bytes = ctx.read_buffer(
            self.current_buffer(),
            self.count as u64 * size_of::<Particle>() as u64,
        )?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }
}

/// One trajectory by the particle kernel: `steps` steps from `start` with TRACE set; returns
/// the states after spawn and after each step (steps + 1 records, the first at the start).
pub fn trace(
    ctx: &GpuContext,
    params: &FlowParams,
    rule: &QuadratureRule,
    start: [f32; 2],
    mode: u32,
    steps: u32,
) -> Result<Vec<Particle>, GpuError> {
    let pipeline = ParticlePipeline::new(&ctx.device);
    let mut data = ParticleData::new(ctx, &pipeline, 1, rule)?;
    let first = Particle::trace_start(start, mode);
    ctx.queue
        .write_buffer(&data.buffers[0], 0, bytemuck::bytes_of(&first));
    data.current = 0;
    let stride = size_of::<Particle>() as u64;
    let history = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("trace history"),
        size: stride * (steps as u64 + 1),
        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    });
    let mut encoder = ctx
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("trace"),
        });
    // TRACE on top of the caller's flags (GENERAL must survive).
    let params = FlowParams {
        flags: params.flags | flow_flags::TRACE,
        ..*params
    };
    data.encode_steps(
        &ctx.queue,
        &mut encoder,
        &pipeline,
        &params,
        steps + 1,
        None,
        |encoder, state, k| {
            encoder.copy_buffer_to_buffer(state, 0, &history, k as u64 * stride, stride);
        },
    );
    ctx.queue.submit([encoder.finish()]);
    let bytes = ctx.read_buffer(&history, stride * (steps as u64 + 1))?;
    Ok(bytemuck::pod_collect_to_vec(&bytes))
}

#[cfg(test)]
mod tests {
    use super::StepEntry;
    use crate::gpu::gpu_data::FlowParams;
    use crate::math::{Metric, Model, Param, Slice};

    fn general_with(a: Param, b: Param, metric: Metric) -> FlowParams {
        let model = Model::default();
        let slice = Slice::new(a, b).expect("two different parameters");
        FlowParams::default().with_general(&model, &slice, &model, metric)
    }

    fn general(a: Param, b: Param) -> FlowParams {
        general_with(a, b, Metric::Induced)
    }

    /// A general slice runs the fixed-weight entry exactly where it holds π under the induced
    /// metric, in either coordinate order; the seed's and the policy plane's flags pick theirs.
    /// Controls: the weight's score is kept wherever π varies (a slice with π in either place)
    /// and under the profiled metric, whose 5 × 5 F has π's row on every slice.
    #[test]
    fn the_step_entry_follows_the_flags_and_whether_the_slice_varies_the_weight() {
        assert_eq!(
            StepEntry::for_params(&FlowParams::default()),
            StepEntry::Seed
        );
        for (a, b) in [(Param::Mu1, Param::Mu2), (Param::Sigma1, Param::Sigma2)] {
            assert_eq!(
                StepEntry::for_params(&general(a, b)),
                StepEntry::GeneralFixedWeight
            );
            assert_eq!(
                StepEntry::for_params(&general(b, a)),
                StepEntry::GeneralFixedWeight
            );
        }
        for other in [Param::Mu1, Param::Mu2, Param::Sigma1, Param::Sigma2] {
            assert_eq!(
                StepEntry::for_params(&general(Param::Pi, other)),
                StepEntry::General
            );
            assert_eq!(
                StepEntry::for_params(&general(other, Param::Pi)),
                StepEntry::General
            );
        }
        assert_eq!(
            StepEntry::for_params(&general_with(Param::Mu1, Param::Mu2, Metric::Profiled)),
            StepEntry::General
        );
        let policy = FlowParams {
            flags: crate::gpu::gpu_data::flow_flags::POLICY,
            ..general(Param::Mu1, Param::Mu2)
        };
        assert_eq!(StepEntry::for_params(&policy), StepEntry::Policy);
        // Every entry has its own name (one pipeline each).
        let mut names = StepEntry::ALL.map(StepEntry::name).to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), StepEntry::ALL.len());
    }
}
