//! Dispatches `shaders/geodesic.wgsl`: the geodesic ball about the probe, `rays` Fisher–Rao
//! geodesics integrated on the GPU and written as line segments (the circle through the tips,
//! then the spokes) into a buffer that is both the kernel's storage and the renderer's
//! instance vertex buffer, so the frame loop never reads it back.
//!
//! [`GeodesicPipeline`] (the three entry points `start`, `step`, `ring` on one layout) is built
//! once per device; [`GeodesicData`] owns the parameters, node table, states and segments for one
//! capacity. One ball is `start`, then steps × `SUBSTEP_BUDGET` / `SUBSTEPS_PER_DISPATCH`
//! dispatches of `step` (each runs that many RK4 substeps of every geodesic, a fixed count: a
//! few, so no invocation runs long), then `ring`, all in one compute pass, or a few of them a
//! frame ([`GeodesicData::encode_dispatches`]: the viewer spreads a large ball over frames).
//! [`evaluate_geodesic_ball`] runs it and reads the segments back (tests, benchmarks).
//!
//! The scheme, its step control and stop rule, are described in the shader's header; the f64
//! mirror is `cpu::geodesic`.
//!
//! # Nodes, accuracy and cost (measured, `tests/gpu/geodesic.rs`, lavapipe/llvmpipe 15, 2 cores)
//! The jet uses the general model's f32 rule with Q = 32 per component (16 Gauss–Legendre
//! nodes per panel; the viewer takes `simulation::general_nodes` of the scene's Q, 32 by
//! default). In f64 the mirror's tips at Q = 32 and Q = 64 differ by at most 9.7e-7 of r
//! (half-plane), 1.5e-7 (seed slice near the diagonal), 1e-10 elsewhere.
//!
//! | ball (64 rays, 32 steps) | GPU vs f64 mirror, tips | stopped (both) | flags differing |
//! |---|---|---|---|
//! | half-plane (μ1, σ1), π = 1, r = 1 | 1.4e-6 | 0 | 0 |
//! | seed (μ1, μ2) at (1.2, 0.4), r = 0.5 | 4.3e-7 | 31 (at the diagonal) | 0 |
//! | seed at (0.3, 0.1), r = 0.5 | 5.5e-7 | 35 | 0 |
//! | (π, μ1), π = 0.3, σ = 0.6, 1.4, r = 0.5 | 6.9e-6 | 0 | 0 |
//!
//! (tip errors per coordinate relative to the ball's extent along it). Half-plane closed form:
//! worst radial error of the tips 2.1e-7 (GPU, 32 steps), 2.6e-7 (mirror, 32 steps), 3.3e-7
//! (mirror, 64 steps). At (0.51, 0.49) on the seed slice (Δ = 0.02σ, κ ≈ 5e3), 69 of 128
//! geodesics stop at κ > 1e6 in both, all finite, tips within 3.4e-6.
//!
//! Cost of a 256-ray ball, 32 steps (then 128 `step` dispatches, one substep each), buffers +
//! dispatch + read-back, best of 3, on this 2-core machine shared with other builds (noisy):
//! half-plane 146 ms, seed slice 706 ms, (π, μ1) 2.0 s — against the f64 mirror on one thread
//! 154 ms, 1.7 s, 4.5 s. The cost is 4 jets per substep per geodesic, each a pass over the
//! model's panels (1 on the half-plane, ~14 on the seed slice, up to ~34 with σ1 ≠ σ2). It is
//! paid only when the ball's key changes (probe, model, slice, radius, rays, nodes), never per
//! frame; dragging the probe with the ball on a general slice is therefore slow on llvmpipe.

use super::Slot;

use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::geodesic_data::{
    GeodesicParams, GeodesicSegment, GeodesicState, SEGMENT_NONE, SUBSTEP_BUDGET,
    SUBSTEPS_PER_DISPATCH,
};
use crate::math::QuadratureRule;

/// Invocations per workgroup; must equal `WORKGROUP_SIZE` in the shader.
pub const WORKGROUP_SIZE: u32 = 64;

/// The geodesic stage's pipelines and layout.
pub struct GeodesicPipeline {
    layout: wgpu::BindGroupLayout,
    start: wgpu::ComputePipeline,
    step: wgpu::ComputePipeline,
    ring: wgpu::ComputePipeline,
}

impl GeodesicPipeline {
    /// Compiles the mixture's shader (`geodesic.wgsl`) and builds its three pipelines.
    pub fn new(device: &wgpu::Device) -> Self {
        Self::for_shader(device, "geodesic.wgsl")
    }

    /// The policy plane's (`geodesic_policy.wgsl`): the same integrator and layout on the
    /// closed-form jet of F = Σ_K/σ².
    pub fn policy(device: &wgpu::Device) -> Self {
        Self::for_shader(device, "geodesic_policy.wgsl")
    }

    /// The three pipelines of a family's geodesic shader (its `evaluate` over
    /// `common/geodesic_scheme.wgsl`).
    pub fn for_shader(device: &wgpu::Device, shader: &str) -> Self {
        // 0 parameters, 1 node table (read), 2 states, 3 segments.
        let layout = super::stage_layout(
            device,
            "geodesic layout",
            size_of::<GeodesicParams>() as u64,
            &[Slot::Nodes, Slot::ReadWrite, Slot::ReadWrite],
        );
        let [start, step, ring] =
            super::stage_pipelines(device, &layout, shader, ["start", "step", "ring"]);
        Self {
            layout,
            start,
            step,
            ring,
        }
    }
}

pub use crate::gpu::geodesic_data::segment_count;

/// The buffers of one ball.
pub struct GeodesicData {
    params: wgpu::Buffer,
    segments: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    rays: u32,
    steps: u32,
    panel_nodes: u32,
}

impl GeodesicData {
    /// Allocates for `rays` geodesics of `steps` steps with the quadrature `rule`.
    pub fn new(
        ctx: &GpuContext,
        pipeline: &GeodesicPipeline,
        rays: u32,
        steps: u32,
        rule: &QuadratureRule,
    ) -> Result<Self, GpuError> {
        let device = &ctx.device;
        let (rays, steps) = (rays.max(1), steps.max(1));
        let segment_bytes = segment_count(rays, steps) as u64 * size_of::<GeodesicSegment>() as u64;
        let state_bytes = rays as u64 * size_of::<GeodesicState>() as u64;
        let max = device.limits().max_storage_buffer_binding_size;
        if segment_bytes > max || state_bytes > max {
            return Err(GpuError::InvalidInput(format!(
                "a geodesic ball of {rays} rays × {steps} steps needs {segment_bytes} bytes of \
                 segments, over this device's storage binding limit of {max}; use fewer rays"
            )));
        }
        let params = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("geodesic params"),
            size: size_of::<GeodesicParams>() as u64,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let nodes = super::node_table(device, "geodesic gauss-legendre nodes", rule);
        let states = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("geodesic states"),
            size: state_bytes,
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: false,
        });
        // VERTEX: the ball layer draws the segments as instances straight from here.
        let segments = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("geodesic segments"),
            size: segment_bytes,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::VERTEX
                | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let bind_group = crate::gpu::buffers_bind_group(
            device,
            "geodesic bind group",
            &pipeline.layout,
            &[&params, &nodes, &states, &segments],
        );
        Ok(Self {
            params,
            segments,
            bind_group,
            rays,
            steps,
            panel_nodes: rule.panel_rule().nodes.len() as u32,
        })
    }

    /// Rays and steps this data was allocated for.
    pub fn shape(&self) -> (u32, u32) {
        (self.rays, self.steps)
    }

    /// Gauss–Legendre nodes per panel of the node table.
    pub fn panel_nodes(&self) -> u32 {
        self.panel_nodes
    }

    /// The segments (`array<GeodesicSegment>`: the ring's `rays`, then `rays × steps` spokes).
    pub fn segments(&self) -> &wgpu::Buffer {
        &self.segments
    }

    /// Dispatches one ball takes: `start`, steps × `SUBSTEP_BUDGET` / `SUBSTEPS_PER_DISPATCH`
    /// of `step`, then `ring`.
    pub fn dispatch_count(&self) -> u32 {
        (self.steps * SUBSTEP_BUDGET).div_ceil(SUBSTEPS_PER_DISPATCH) + 2
    }

    /// Writes the parameters and records the ball's dispatches into `encoder`. `params.steps`
    /// must equal this data's, and `params.rays` be at most its rays (a ball of fewer rays in
    /// the same buffers: the shader lays the ring and spokes out by `params.rays`).
    pub fn encode(
        &self,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        pipeline: &GeodesicPipeline,
        params: &GeodesicParams,
    ) {
        self.encode_dispatches(queue, encoder, pipeline, params, 0..self.dispatch_count());
    }

    /// Records the ball's dispatches `range` (of [`GeodesicData::dispatch_count`]) into
    /// `encoder`, so a ball can be spread over frames: ranges must follow one another from 0,
    /// each recorded after the last one, with the same `params` (written by the range that
    /// starts at 0; the states carry the geodesics from one range to the next). The segments
    /// are the ball's once the last dispatch (`ring`) has run.
    pub fn encode_dispatches(
        &self,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        pipeline: &GeodesicPipeline,
        params: &GeodesicParams,
        range: std::ops::Range<u32>,
    ) {
        assert!(
            params.steps == self.steps && (1..=self.rays).contains(&params.rays),
            "GeodesicData was allocated for {} rays × {} steps, not {} × {}",
            self.rays,
            self.steps,
            params.rays,
            params.steps
        );
        let last = self.dispatch_count() - 1;
        assert!(
            range.end <= last + 1,
            "dispatches {range:?} of {}",
            last + 1
        );
        if range.is_empty() {
            return;
        }
        if range.start == 0 {
            let params = GeodesicParams {
                panel_nodes: self.panel_nodes,
                ..*params
            };
            queue.write_buffer(&self.params, 0, bytemuck::bytes_of(&params));
        }
        let groups = params.rays.div_ceil(WORKGROUP_SIZE);
        // A labelled pass, no encoder debug group (Mesa 22.3 lavapipe: see compute::general).
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("geodesic ball"),
            timestamp_writes: None,
        });
        pass.set_bind_group(0, &self.bind_group, &[]);
        let mut bound = None;
        for dispatch in range {
            // `SUBSTEPS_PER_DISPATCH` substeps per `step`; geodesics done early skip them.
            let (entry, which) = match dispatch {
                0 => (&pipeline.start, 0),
                d if d == last => (&pipeline.ring, 2),
                _ => (&pipeline.step, 1),
            };
            if bound != Some(which) {
                pass.set_pipeline(entry);
                bound = Some(which);
            }
            pass.dispatch_workgroups(groups, 1, 1);
        }
    }

    /// Reads every segment back (tests and benchmarks; never the frame loop).
    pub fn read_segments(&self, ctx: &GpuContext) -> Result<Vec<GeodesicSegment>, GpuError> {
        let count = segment_count(self.rays, self.steps);
        let bytes = ctx.read_buffer(
            &self.segments,
            count as u64 * size_of::<GeodesicSegment>() as u64,
        )?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }
}

/// A ball read back: per geodesic its tip and flags (from the ring) and its path (from the
/// spokes: steps + 1 points, θ − probe).
#[derive(Clone, Debug, PartialEq)]
pub struct BallReadback {
    /// Tips, θ − probe.
    pub tips: Vec<[f32; 2]>,
    /// STOP_* bits per geodesic.
    pub flags: Vec<u32>,
    /// Paths (steps + 1 points each; a stopped geodesic repeats its last point).
    pub paths: Vec<Vec<[f32; 2]>>,
}

/// Splits the segments of a ball of `rays` × `steps` into tips, flags and paths.
pub fn unpack_segments(segments: &[GeodesicSegment], rays: u32, steps: u32) -> BallReadback {
    let (rays, steps) = (rays as usize, steps as usize);
    let ring = &segments[..rays];
    let paths = (0..rays)
        .map(|i| {
            let spokes = &segments[rays + i * steps..rays + (i + 1) * steps];
            // Every path starts at the probe; a spoke never reached repeats the last point.
            let mut path = vec![[0.0f32; 2]];
            for s in spokes {
                let last = *path.last().expect("starts with the probe");
                path.push(if s.kind == SEGMENT_NONE { last } else { s.end });
            }
            path
        })
        .collect();
    BallReadback {
        tips: ring.iter().map(|s| s.start).collect(),
        flags: ring.iter().map(|s| s.flags).collect(),
        paths,
    }
}

/// Runs one ball on the GPU (pipeline built here) and reads it back.
pub fn evaluate_geodesic_ball(
    ctx: &GpuContext,
    params: &GeodesicParams,
    rule: &QuadratureRule,
) -> Result<BallReadback, GpuError> {
    let pipeline = GeodesicPipeline::new(&ctx.device);
    run_geodesic_ball(ctx, &pipeline, params, rule)
}

/// Runs one ball with a built pipeline (tests reuse it across balls) and reads it back.
pub fn run_geodesic_ball(
    ctx: &GpuContext,
    pipeline: &GeodesicPipeline,
    params: &GeodesicParams,
    rule: &QuadratureRule,
) -> Result<BallReadback, GpuError> {
    let data = GeodesicData::new(ctx, pipeline, params.rays, params.steps, rule)?;
    let mut encoder = ctx
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("geodesic ball"),
        });
    data.encode(&ctx.queue, &mut encoder, pipeline, params);
    ctx.queue.submit([encoder.finish()]);
    let segments = data.read_segments(ctx)?;
    Ok(unpack_segments(&segments, params.rays, params.steps))
}
