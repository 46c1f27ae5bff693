//! Dispatches `shaders/estimates.wgsl`: the finite-sample empirical Fisher EF_N (N samples of
//! the target, stream 0) and the Monte-Carlo Fisher (N samples of the model, stream 1 + k) at a
//! list of general points, drawn by the seeded generator of `shaders/common/sampling.wgsl`,
//! the WGSL twin of [`crate::math::estimates`] (bit-identical random bits and component
//! picks; f32 transforms). f64 reference: [`crate::math::estimates::empirical_fisher_samples`]
//! and [`crate::math::estimates::mc_fisher`] at the same seed (`tests/gpu/estimates.rs`).
//!
//! One workgroup of [`WORKGROUP_SIZE`] threads per point: the threads stride over the samples
//! and a workgroup reduction adds their f32 partial sums, so a point costs 2N score evaluations
//! (N without a target) spread over 256 threads.
//!
//! The stage is built per call ([`EstimatesPipeline::new`] then [`evaluate_estimates`]): its
//! users (`fisherflow fim --samples`, the tests) evaluate a handful of points once.

use super::Slot;
use bytemuck::{Pod, Zeroable};
use wgpu::util::DeviceExt;

use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::general_data::GeneralPointInput;
use crate::math::estimates::{MAX_SAMPLES, stream_model};

use super::fim_field::dispatch_size;

/// Threads per workgroup; must equal `WORKGROUP_SIZE` in the shader.
pub const WORKGROUP_SIZE: u32 = 256;

/// Must match `EstimateParams` in `shaders/estimates.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct EstimateParams {
    /// N (`estimates`, `draws`) or the words to write (`bits`).
    pub sample_count: u32,
    /// The generator's seed.
    pub seed: u32,
    /// The model's stream, 1 + k (`estimates`); the stream of `bits` and `draws`.
    pub model_stream: u32,
    /// Points in the input list.
    pub point_count: u32,
}

/// Must match `EstimateCell` in `shaders/estimates.wgsl`: one point's two estimates.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct EstimateCell {
    /// EF_N's slice block (aa, ab, bb) and 1 when the point has a target (else all 0).
    pub empirical: [f32; 4],
    /// The Monte-Carlo Fisher's slice block (aa, ab, bb) and N.
    pub mc: [f32; 4],
}

impl EstimateCell {
    /// EF_N's block (aa, ab, bb), or None without a target.
    pub fn empirical_samples(&self) -> Option<[f32; 3]> {
        (self.empirical[3] != 0.0)
            .then(|| [self.empirical[0], self.empirical[1], self.empirical[2]])
    }

    /// The Monte-Carlo Fisher's block (aa, ab, bb).
    pub fn mc_fisher(&self) -> [f32; 3] {
        [self.mc[0], self.mc[1], self.mc[2]]
    }
}

const _: () = assert!(size_of::<EstimateParams>() == 16);
const _: () = assert!(size_of::<EstimateCell>() == 32);

/// The compiled stage: one layout (parameters, inputs, cells, words) and its three entry points.
pub struct EstimatesPipeline {
    layout: wgpu::BindGroupLayout,
    estimates: wgpu::ComputePipeline,
    bits: wgpu::ComputePipeline,
    draws: wgpu::ComputePipeline,
}

impl EstimatesPipeline {
    /// Compiles `estimates.wgsl`.
    pub fn new(device: &wgpu::Device) -> Self {
        let layout = super::stage_layout(
            device,
            "estimates layout",
            size_of::<EstimateParams>() as u64,
            &[Slot::Read, Slot::ReadWrite, Slot::ReadWrite],
        );
        let [estimates, bits, draws] = super::stage_pipelines(
            device,
            &layout,
            "estimates.wgsl",
            ["estimates", "bits", "draws"],
        );
        Self {
            layout,
            estimates,
            bits,
            draws,
        }
    }
}

/// A storage buffer of `bytes` (at least 32) holding `contents` at its start.
fn storage(
    ctx: &GpuContext,
    label: &str,
    contents: &[u8],
    bytes: u64,
    copy_src: bool,
) -> wgpu::Buffer {
    let size = bytes.max(contents.len() as u64).max(32);
    let mut data = contents.to_vec();
    data.resize(size as usize, 0);
    let mut usage = wgpu::BufferUsages::STORAGE;
    if copy_src {
        usage |= wgpu::BufferUsages::COPY_SRC;
    }
    ctx.device
        .create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(label),
            contents: &data,
            usage,
        })
}

/// Runs one entry point over `groups` workgroups (2-D when needed) and returns the buffer it
/// writes (`cells_bytes` of `cells` for `estimates`, `words_bytes` of `words` otherwise).
#[allow(clippy::too_many_arguments)] // a private helper of three call sites
fn run(
    ctx: &GpuContext,
    pipeline: &EstimatesPipeline,
    entry: &wgpu::ComputePipeline,
    params: &EstimateParams,
    points: &[GeneralPointInput],
    groups: u32,
    cells_bytes: u64,
    words_bytes: u64,
    read_cells: bool,
) -> Result<Vec<u8>, GpuError> {
    let device = &ctx.device;
    let params_buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("estimates params"),
        contents: bytemuck::bytes_of(params),
        usage: wgpu::BufferUsages::STORAGE,
    });
    let inputs = storage(
        ctx,
        "estimates inputs",
        bytemuck::cast_slice(points),
        0,
        false,
    );
    let cells = storage(ctx, "estimates cells", &[], cells_bytes, read_cells);
    let words = storage(ctx, "estimates words", &[], words_bytes, !read_cells);
    let bind_group = crate::gpu::buffers_bind_group(
        device,
        "estimates bind group",
        &pipeline.layout,
        &[&params_buffer, &inputs, &cells, &words],
    );
    let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
        label: Some("estimates"),
    });
    {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("estimates"),
            timestamp_writes: None,
        });
        pass.set_pipeline(entry);
        pass.set_bind_group(0, &bind_group, &[]);
        let (x, y) = dispatch_size(groups, 1, 65_535);
        pass.dispatch_workgroups(x, y, 1);
    }
    ctx.queue.submit([encoder.finish()]);
    if read_cells {
        ctx.read_buffer(&cells, cells_bytes)
    } else {
        ctx.read_buffer(&words, words_bytes)
    }
}

/// EF_N and the Monte-Carlo Fisher at every point (N = `samples` in 1..=[`MAX_SAMPLES`],
/// model stream `stream_model(k)`), one cell per point in order. Points without a target get
/// only the Monte-Carlo Fisher.
pub fn evaluate_estimates(
    ctx: &GpuContext,
    points: &[GeneralPointInput],
    samples: u32,
    seed: u32,
    k: u32,
) -> Result<Vec<EstimateCell>, GpuError> {
    assert!(
        (1..=MAX_SAMPLES).contains(&samples),
        "samples must be in 1..={MAX_SAMPLES} (the CLI validates it)"
    );
    if points.is_empty() {
        return Ok(Vec::new());
    }
    let pipeline = EstimatesPipeline::new(&ctx.device);
    let count = points.len() as u32;
    let params = EstimateParams {
        sample_count: samples,
        seed,
        model_stream: stream_model(k),
        point_count: count,
    };
    let bytes = count as u64 * size_of::<EstimateCell>() as u64;
    let out = run(
        ctx,
        &pipeline,
        &pipeline.estimates,
        &params,
        points,
        count,
        bytes,
        4,
        true,
    )?;
    Ok(bytemuck::cast_slice(&out).to_vec())
}

/// `random_bits(seed, stream, i)` for i < `count`, computed on the GPU (the generator's test
/// hook: these must equal [`crate::math::estimates::random_bits`] exactly).
pub fn gpu_random_bits(
    ctx: &GpuContext,
    seed: u32,
    stream: u32,
    count: u32,
) -> Result<Vec<u32>, GpuError> {
    let pipeline = EstimatesPipeline::new(&ctx.device);
    let params = EstimateParams {
        sample_count: count,
        seed,
        model_stream: stream,
        point_count: 0,
    };
    let dummy = [GeneralPointInput::default()];
    let out = run(
        ctx,
        &pipeline,
        &pipeline.bits,
        &params,
        &dummy,
        count.div_ceil(WORKGROUP_SIZE),
        32,
        count as u64 * 4,
        false,
    )?;
    Ok(bytemuck::cast_slice::<u8, u32>(&out)[..count as usize].to_vec())
}

/// The first `count` samples of `point`'s model from (`seed`, `stream`), drawn on the GPU in
/// f32 (absolute positions; compare with [`crate::math::estimates::samples`]).
pub fn gpu_samples(
    ctx: &GpuContext,
    point: &GeneralPointInput,
    seed: u32,
    stream: u32,
    count: u32,
) -> Result<Vec<f32>, GpuError> {
    let pipeline = EstimatesPipeline::new(&ctx.device);
    let params = EstimateParams {
        sample_count: count,
        seed,
        model_stream: stream,
        point_count: 1,
    };
    let out = run(
        ctx,
        &pipeline,
        &pipeline.draws,
        &params,
        std::slice::from_ref(point),
        count.div_ceil(WORKGROUP_SIZE),
        32,
        count as u64 * 4,
        false,
    )?;
    Ok(bytemuck::cast_slice::<u8, f32>(&out)[..count as usize].to_vec())
}
