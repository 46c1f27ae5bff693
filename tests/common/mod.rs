//! Shared test helpers: the GPU device for tests and reference data loading.
#![allow(dead_code)]

pub mod process;

use fisherflow::gpu::context::{AdapterPreference, GpuContext, GpuOptions};
use fisherflow::math::PointReport;

/// The test device: the CPU adapter first (lavapipe in CI), for determinism.
///
/// Returns None only when FISHERFLOW_SKIP_GPU_TESTS=1 is set by hand; otherwise a missing
/// adapter fails the test with the context's explanation (CI must never pass silently).
pub fn gpu() -> Option<GpuContext> {
    if std::env::var("FISHERFLOW_SKIP_GPU_TESTS").as_deref() == Ok("1") {
        eprintln!("FISHERFLOW_SKIP_GPU_TESTS=1: skipping a GPU test");
        return None;
    }
    let ctx = GpuContext::new_headless(GpuOptions {
        backend: None,
        preference: AdapterPreference::Software,
    })
    .unwrap_or_else(|e| panic!("GPU test needs an adapter: {e}"));
    eprintln!("GPU tests on {}", ctx.describe());
    Some(ctx)
}

/// Reference points (the schema of shared/reference/public_points.json).
pub fn load_reference(name: &str) -> Vec<PointReport> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}
