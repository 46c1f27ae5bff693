//! The GPU context, made once per process at the first `device="gpu"` call and shared by
//! every later call and thread (wgpu's device and queue are thread-safe). Where no adapter
//! exists the error is kept and every GPU call reports it.

use std::sync::OnceLock;

use fisherflow::compute::fim_field::{FieldData, FieldMode, FimFieldPipeline};
use fisherflow::compute::general::{GeneralData, GeneralPipeline, GeneralPointsPipeline};
use fisherflow::compute::policy::{PolicyData, PolicyParams, PolicyPipeline};
use fisherflow::gpu::context::{GpuContext, GpuOptions};
use fisherflow::gpu::general_data::{GeneralGridParams, GeneralPointInput};
use fisherflow::gpu::gpu_data::FieldCell;
use fisherflow::gpu::gpu_data::FieldParams;
use fisherflow::math::QuadratureRule;
use pyo3::prelude::*;

use crate::errors::{Failure, guarded};

static CONTEXT: OnceLock<Result<GpuContext, String>> = OnceLock::new();

/// The kernels' pipelines, made once (llvmpipe compiles a pipeline at its first dispatch, ~0.5 s
/// for the general kernel: once per process, not per call or per chunk): the general kernel's
/// grid and its points apart (`compute::general`).
static GENERAL: OnceLock<GeneralPipeline> = OnceLock::new();
static GENERAL_POINTS: OnceLock<GeneralPointsPipeline> = OnceLock::new();
static POLICY: OnceLock<PolicyPipeline> = OnceLock::new();
static SEED: OnceLock<FimFieldPipeline> = OnceLock::new();

/// Points per dispatch: a million cells of 128 bytes would exceed a storage binding's limit on
/// many adapters, so long lists go in chunks through one set of buffers.
const CHUNK: usize = 1 << 16;

fn gpu_error(e: impl std::fmt::Display) -> Failure {
    Failure::runtime(format!("{e:#}"))
}

/// The general kernel's `points` entry at every input, in chunks.
pub fn general_points(
    inputs: &[GeneralPointInput],
    damping: f32,
    rule: &QuadratureRule,
) -> Result<Vec<FieldCell>, Failure> {
    let ctx = context()?;
    let pipeline = GENERAL_POINTS.get_or_init(|| GeneralPointsPipeline::new(&ctx.device));
    let data =
        GeneralData::new(ctx, pipeline, inputs.len().min(CHUNK) as u32, rule).map_err(gpu_error)?;
    let mut cells = Vec::with_capacity(inputs.len());
    for chunk in inputs.chunks(CHUNK) {
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        data.encode(&ctx.queue, &mut encoder, pipeline, chunk, damping);
        ctx.queue.submit([encoder.finish()]);
        cells.extend(
            data.read_cells(ctx, chunk.len() as u32)
                .map_err(gpu_error)?,
        );
    }
    Ok(cells)
}

/// The finite-sample estimates (`estimates.wgsl`) at every input, in chunks.
pub fn estimates(
    inputs: &[GeneralPointInput],
    samples: u32,
    seed: u32,
) -> Result<Vec<fisherflow::compute::estimates::EstimateCell>, Failure> {
    let ctx = context()?;
    let mut cells = Vec::with_capacity(inputs.len());
    for chunk in inputs.chunks(CHUNK) {
        cells.extend(
            fisherflow::compute::estimates::evaluate_estimates(ctx, chunk, samples, seed, 0)
                .map_err(gpu_error)?,
        );
    }
    Ok(cells)
}

/// The seed kernel's grid (`fim_field.wgsl`, the viewer's field on the seed's slice).
pub fn seed_grid(params: &FieldParams, rule: &QuadratureRule) -> Result<Vec<FieldCell>, Failure> {
    let ctx = context()?;
    fisherflow::compute::fim_field::check_capacity(&ctx.device, params.cell_count)
        .map_err(|e| Failure::input(format!("shape: {e:#}")))?;
    let pipeline = SEED.get_or_init(|| FimFieldPipeline::new(&ctx.device));
    let data = FieldData::new(ctx, pipeline, params.cell_count, rule).map_err(gpu_error)?;
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    data.encode(
        &ctx.queue,
        &mut encoder,
        pipeline,
        FieldMode::Grid,
        params,
        None,
    );
    ctx.queue.submit([encoder.finish()]);
    data.read_cells(ctx, params.cell_count).map_err(gpu_error)
}

/// The general kernel's `grid` entry (the viewer's field) over `params`.
pub fn general_grid(
    params: &GeneralGridParams,
    rule: &QuadratureRule,
) -> Result<Vec<FieldCell>, Failure> {
    let ctx = context()?;
    fisherflow::compute::general::check_capacity(&ctx.device, params.cell_count)
        .map_err(|e| Failure::input(format!("shape: {e:#}")))?;
    let pipeline = GENERAL.get_or_init(|| GeneralPipeline::new(&ctx.device));
    let data = GeneralData::new(ctx, pipeline, params.cell_count, rule).map_err(gpu_error)?;
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    data.encode_grid(&ctx.queue, &mut encoder, pipeline, params);
    ctx.queue.submit([encoder.finish()]);
    data.read_cells(ctx, params.cell_count).map_err(gpu_error)
}

/// The policy kernel over the grid of `params`, or at `gains` (in chunks).
pub fn policy_cells(
    params: &PolicyParams,
    gains: Option<&[[f32; 2]]>,
) -> Result<Vec<FieldCell>, Failure> {
    let ctx = context()?;
    let pipeline = POLICY.get_or_init(|| PolicyPipeline::new(&ctx.device));
    let Some(gains) = gains else {
        let data = PolicyData::new(ctx, pipeline, params.cell_count)
            .map_err(|e| Failure::input(format!("shape: {e:#}")))?;
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        data.encode(&ctx.queue, &mut encoder, pipeline, params, None);
        ctx.queue.submit([encoder.finish()]);
        return data.read_cells(ctx, params.cell_count).map_err(gpu_error);
    };
    let data = PolicyData::new(ctx, pipeline, gains.len().min(CHUNK) as u32).map_err(gpu_error)?;
    let mut cells = Vec::with_capacity(gains.len());
    for chunk in gains.chunks(CHUNK) {
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        data.encode(&ctx.queue, &mut encoder, pipeline, params, Some(chunk));
        ctx.queue.submit([encoder.finish()]);
        cells.extend(
            data.read_cells(ctx, chunk.len() as u32)
                .map_err(gpu_error)?,
        );
    }
    Ok(cells)
}

/// The process' GPU context.
pub fn context() -> Result<&'static GpuContext, Failure> {
    CONTEXT
        .get_or_init(|| {
            GpuContext::new_headless(GpuOptions::default()).map_err(|e| format!("{e:#}"))
        })
        .as_ref()
        .map_err(|e| {
            Failure::runtime(format!(
                "no GPU adapter: {e}; use device=\"cpu\" (on Debian, `apt-get install \
                 mesa-vulkan-drivers` gives the software adapter lavapipe)"
            ))
        })
}

/// The GPU adapter the package uses (its name, driver and backend), opening it if need be.
#[pyfunction]
pub fn gpu_adapter(py: Python<'_>) -> PyResult<String> {
    guarded(py, || context().map(GpuContext::describe))
}

/// What `device` names: "cpu" or "gpu".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Device {
    /// The CPU (f64 reference or the SIMD f32 path).
    Cpu,
    /// The viewer's WGSL kernels (f32).
    Gpu,
}

/// Where and how precisely to compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// The f64 reference (the CLI's numbers).
    CpuF64,
    /// The SIMD f32 path on the CPU (the kernels' mirrors, vectorised where they are).
    CpuF32,
    /// The GPU kernels (f32).
    Gpu,
}

/// `device` and `precision` checked together (`precision` None: f64 on the CPU, f32 on the
/// GPU).
pub fn path(device: &str, precision: Option<&str>) -> Result<Path, Failure> {
    let device = match device {
        "cpu" => Device::Cpu,
        "gpu" => Device::Gpu,
        other => {
            return Err(Failure::input(format!(
                "device: choose \"cpu\" or \"gpu\", got {other:?}"
            )));
        }
    };
    match (device, precision) {
        (Device::Cpu, None | Some("f64")) => Ok(Path::CpuF64),
        (Device::Cpu, Some("f32")) => Ok(Path::CpuF32),
        (Device::Gpu, None | Some("f32")) => Ok(Path::Gpu),
        (Device::Gpu, Some("f64")) => Err(Failure::input(
            "precision: the GPU kernels compute in f32; pass precision=\"f32\" (or leave it \
             out) with device=\"gpu\", or device=\"cpu\" for f64",
        )),
        (_, Some(other)) => Err(Failure::input(format!(
            "precision: choose \"f64\" or \"f32\", got {other:?}"
        ))),
    }
}
