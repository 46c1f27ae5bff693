//! The GPU context, made once per process at the first `device="gpu"` call and shared by
//! every later call and thread (wgpu's device and queue are thread-safe). Where no adapter
//! exists the error is kept and every GPU call reports it.

use std::sync::OnceLock;

use fisherflow::gpu::context::{GpuContext, GpuOptions};
use pyo3::prelude::*;

use crate::errors::{Failure, guarded};

static CONTEXT: OnceLock<Result<GpuContext, String>> = OnceLock::new();

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
