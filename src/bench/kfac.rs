//! The K-FAC cost section: the exact block's solve against K-FAC's two factor solves, on the
//! CPU and on the GPU.

use super::Section;
use crate::gpu::context::{GpuContext, GpuError};

/// The K-FAC cost section: the exact block's solve against K-FAC's two factor solves on the
/// CPU (faer) and the GPU, and the exponents of time against n fitted to each.
pub(super) fn bench_kfac(run: Section<'_>) -> Result<(), GpuError> {
    let Section(ctx, config, report, progress) = run;
    progress("K-FAC cost: exact block against the two factor solves (CPU)");
    let rows = crate::kfac::cost::measure(&config.kfac_widths, config.kfac_exact_budget_s, 4 << 30);
    let mut rows = rows;
    progress("K-FAC cost on the GPU (f32 Cholesky, one dispatch per step)");
    bench_kfac_gpu(ctx, &mut rows, config.kfac_exact_budget_s)?;
    let fit = |pick: &dyn Fn(&crate::kfac::cost::SolveTiming) -> Option<f64>| {
        let pts: Vec<(usize, f64)> = rows
            .iter()
            .filter_map(|r| pick(r).map(|t| (r.n, t)))
            .collect();
        crate::kfac::cost::fit_exponent(&pts, 1e-3)
    };
    report.kfac_exponents = [
        fit(&|r| r.exact_seconds),
        fit(&|r| Some(r.kfac_seconds)),
        fit(&|r| r.gpu_exact_seconds),
        fit(&|r| r.gpu_kfac_seconds),
    ];
    report.kfac_solve = rows;
    Ok(())
}

/// The GPU column of the K-FAC cost table: K-FAC's solve at every width (up to 1000), the
/// exact block's while its predicted time (the last one scaled by (n'/n)³) stays under
/// `budget_s` and the block fits one storage binding.
fn bench_kfac_gpu(
    ctx: &GpuContext,
    rows: &mut [crate::kfac::cost::SolveTiming],
    budget_s: f64,
) -> Result<(), GpuError> {
    use crate::compute::cholesky::{CholeskyGpu, time_exact_gpu, time_kfac_gpu};
    let solver = CholeskyGpu::new(&ctx.device);
    let max_bytes = ctx.device.limits().max_storage_buffer_binding_size;
    // Warm-up: llvmpipe compiles a pipeline on its first dispatch; keep that out of the rows.
    time_kfac_gpu(ctx, &solver, 2)?;
    time_exact_gpu(ctx, &solver, 2)?;
    let mut last: Option<(usize, f64)> = None;
    let mut open = true;
    for r in rows.iter_mut() {
        if r.d <= 1000 {
            r.gpu_kfac_seconds = Some(time_kfac_gpu(ctx, &solver, r.d)?);
        }
        let predicted = last.map_or(0.0, |(n0, t0)| t0 * (r.n as f64 / n0 as f64).powi(3));
        let fits = (r.n as u64).saturating_mul(r.n as u64).saturating_mul(4) <= max_bytes;
        if open && fits && predicted <= budget_s {
            let t = time_exact_gpu(ctx, &solver, r.d)?;
            last = Some((r.n, t));
            r.gpu_exact_seconds = Some(t);
        } else {
            open = false;
        }
    }
    Ok(())
}
