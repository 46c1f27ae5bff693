//! The machine the rows ran on: the adapter, the CPU and its exp ceiling.

use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::cpu;

/// The adapter the GPU rows ran on.
#[derive(Clone, Debug, Serialize)]
pub struct AdapterInfo {
    /// Adapter name.
    pub name: String,
    /// Backend.
    pub backend: String,
    /// Device type.
    pub device_type: String,
    /// Driver and its version.
    pub driver: String,
    /// Whether kernel times come from timestamp queries.
    pub timestamps: bool,
}

/// The CPU the CPU rows ran on.
#[derive(Clone, Debug, Serialize)]
pub struct CpuInfo {
    /// Model name from /proc/cpuinfo (or "unknown").
    pub model: String,
    /// Threads the multi-threaded path used.
    pub threads: usize,
    /// The widest instruction set of the SIMD paths here ("avx512", "avx2+fma" or "scalar"),
    /// the one the exp ceiling is measured on.
    pub simd: String,
    /// The exp ceiling: this machine's vectorised exp throughput on every core.
    pub exp_ceiling: ExpCeiling,
}

/// The machine's limit for our kind of work: exponentials per second of the SIMD path's own
/// exp at the widest instruction set present (so no row can beat its ceiling by running a
/// wider one) on every core, with no memory traffic (`cpu::simd::exp_throughput_kernel`, best of
/// three ~0.2 s runs). Each CPU row states its exps/s as a fraction of this.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ExpCeiling {
    /// Exponentials per second, all threads.
    pub exps_per_s: f64,
    /// Threads.
    pub threads: usize,
}

/// Measures [`ExpCeiling`].
pub fn measure_exp_ceiling() -> ExpCeiling {
    let threads = rayon::current_num_threads();
    let per_thread: u64 = 1 << 25;
    let mut best = 0.0f64;
    for _ in 0..3 {
        let start = Instant::now();
        let sum: f32 = (0..threads)
            .into_par_iter()
            .map(|t| cpu::simd::exp_throughput_kernel(-20.0 + t as f32, 0.3, per_thread))
            .sum();
        let seconds = start.elapsed().as_secs_f64();
        std::hint::black_box(sum);
        best = best.max((per_thread * threads as u64) as f64 / seconds);
    }
    ExpCeiling {
        exps_per_s: best,
        threads,
    }
}

pub(super) fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}
