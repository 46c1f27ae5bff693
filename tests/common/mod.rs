//! Shared test helpers: the GPU device for tests and reference data loading.
#![allow(dead_code)]

pub mod cli;
pub mod pixels;
pub mod process;

use fisherflow::gpu::context::{AdapterPreference, GpuContext, GpuOptions};
use fisherflow::math::PointReport;

/// The environment variable that picks the GPU tests' adapter.
pub const ADAPTER_VAR: &str = "FISHERFLOW_TEST_ADAPTER";

/// The adapter kind the GPU tests run on, from the value of [`ADAPTER_VAR`]: unset or
/// `software` ranks CPU adapters first (lavapipe: deterministic, what CI runs); `hardware` ranks
/// a real GPU first and the device must then be one; anything else is an error naming the
/// accepted values.
pub fn parse_adapter_choice(value: Option<&str>) -> Result<AdapterPreference, String> {
    match value {
        None | Some("software") => Ok(AdapterPreference::Software),
        Some("hardware") => Ok(AdapterPreference::HighPerformance),
        Some(other) => Err(format!(
            "{ADAPTER_VAR}={other:?} is not understood; accepted values: `software` (the \
             default: lavapipe/llvmpipe) or `hardware` (a real GPU)"
        )),
    }
}

/// Opens the test device on the adapter [`ADAPTER_VAR`] asks for; panics with the reason when
/// there is none, or when `hardware` was asked for and only a CPU adapter was found.
fn open_test_device() -> GpuContext {
    let value = std::env::var(ADAPTER_VAR).ok();
    let preference = parse_adapter_choice(value.as_deref()).unwrap_or_else(|e| panic!("{e}"));
    let ctx = GpuContext::new_headless(GpuOptions {
        backend: None,
        preference,
    })
    .unwrap_or_else(|e| panic!("GPU test needs an adapter: {e}"));
    if preference == AdapterPreference::HighPerformance
        && ctx.info.device_type == wgpu::DeviceType::Cpu
    {
        panic!(
            "{ADAPTER_VAR}=hardware, but the best adapter found is a CPU one: {}. Install the \
             GPU's Vulkan driver, or unset {ADAPTER_VAR} to test on the software adapter.",
            ctx.describe()
        );
    }
    eprintln!("GPU tests on {}", ctx.describe());
    ctx
}

fn skip_gpu_tests() -> bool {
    if std::env::var("FISHERFLOW_SKIP_GPU_TESTS").as_deref() == Ok("1") {
        eprintln!("FISHERFLOW_SKIP_GPU_TESTS=1: skipping a GPU test");
        return true;
    }
    false
}

/// The test device: the CPU adapter first (lavapipe in CI), for determinism, unless
/// `FISHERFLOW_TEST_ADAPTER=hardware` asks for a real GPU.
///
/// Returns None only when FISHERFLOW_SKIP_GPU_TESTS=1 is set by hand; otherwise a missing
/// adapter fails the test with the context's explanation (CI must never pass silently).
pub fn gpu() -> Option<GpuContext> {
    if skip_gpu_tests() {
        return None;
    }
    Some(open_test_device())
}

/// One test device shared by every test of a test binary that asks for it (same choice of
/// adapter as [`gpu`]): the instance, the adapter enumeration and the device are made once per
/// binary instead of once per test (pipelines are still built per renderer). The device's
/// memory counters and error handler are then shared too: a test that reads them must be the
/// only one in its binary on this device, or use its own ([`gpu`]).
pub fn shared_gpu() -> Option<&'static GpuContext> {
    static SHARED: std::sync::OnceLock<GpuContext> = std::sync::OnceLock::new();
    if skip_gpu_tests() {
        return None;
    }
    Some(SHARED.get_or_init(open_test_device))
}

/// Reference points (the schema of shared/reference/public_points.json).
pub fn load_reference(name: &str) -> Vec<PointReport> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}
