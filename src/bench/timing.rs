//! The timing loop of the FIM, particle and preset rows: untimed warm-up runs, then timed
//! repeats (wall clock, and GPU kernel time from timestamps where the adapter has them),
//! summarised as median and p95.

use std::convert::Infallible;
use std::time::Instant;

use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::timing::GpuTimer;

/// Where a run of [`time_runs`] stands.
#[derive(Clone, Copy, Debug)]
pub(super) struct Pass {
    /// After the warm-up: its wall time is one of the samples.
    pub timed: bool,
    /// The last run.
    pub last: bool,
}

/// Runs `run` `warmup` times untimed, then `repeats` times timed, each timed from its call to
/// its return; after each run, with the clock stopped, `after` gets what it returned and
/// where the loop stands. Returns the timed runs' wall times in milliseconds.
pub(super) fn time_runs<T, E>(
    warmup: usize,
    repeats: usize,
    mut run: impl FnMut() -> Result<T, E>,
    mut after: impl FnMut(T, Pass) -> Result<(), E>,
) -> Result<Vec<f64>, E> {
    let mut wall = Vec::with_capacity(repeats);
    for i in 0..warmup + repeats {
        let start = Instant::now();
        let out = run()?;
        let elapsed = start.elapsed().as_secs_f64() * 1e3;
        let timed = i >= warmup;
        if timed {
            wall.push(elapsed);
        }
        let last = i + 1 == warmup + repeats;
        after(out, Pass { timed, last })?;
    }
    Ok(wall)
}

/// [`time_runs`] of a run that cannot fail and leaves nothing to look at: the timed runs'
/// wall times in milliseconds.
pub(super) fn wall_ms(warmup: usize, repeats: usize, mut run: impl FnMut()) -> Vec<f64> {
    let timed = time_runs(
        warmup,
        repeats,
        || {
            run();
            Ok::<_, Infallible>(())
        },
        |(), _| Ok(()),
    );
    match timed {
        Ok(wall) => wall,
        Err(never) => match never {},
    }
}

/// What [`time_gpu`] measured.
pub(super) struct GpuTimes<T> {
    /// Wall time of each timed run, encoding to `finish`'s return, in milliseconds.
    pub wall: Vec<f64>,
    /// `kernel_ms` of each timed run's timestamps (empty without timestamps).
    pub kernel: Vec<f64>,
    /// What the last run's `finish` returned (None when nothing ran).
    pub last: Option<T>,
}

/// [`time_runs`] of one GPU submission (`config`'s warm-up and repeat counts): each run records what `encode` encodes into a new
/// encoder, resolves `timer`'s queries, submits, and ends when `finish` (a read-back or a wait)
/// returns. After each timed run, the timestamps are read back and `kernel_ms` turns them into
/// the run's kernel time.
pub(super) fn time_gpu<T>(
    ctx: &GpuContext,
    config: &super::config::BenchConfig,
    timer: Option<&GpuTimer>,
    mut encode: impl FnMut(&mut wgpu::CommandEncoder),
    mut finish: impl FnMut() -> Result<T, GpuError>,
    kernel_ms: impl Fn(&[f64]) -> f64,
) -> Result<GpuTimes<T>, GpuError> {
    let mut kernel = Vec::new();
    let mut last = None;
    let wall = time_runs(
        config.warmup,
        config.repeats,
        || {
            let mut encoder = ctx.device.create_command_encoder(&Default::default());
            encode(&mut encoder);
            if let Some(t) = timer {
                t.resolve(&mut encoder);
            }
            ctx.queue.submit([encoder.finish()]);
            finish()
        },
        |out, pass| {
            if pass.timed
                && let Some(t) = timer
            {
                kernel.push(kernel_ms(&t.read_ms(ctx)?));
            }
            if pass.last {
                last = Some(out);
            }
            Ok(())
        },
    )?;
    Ok(GpuTimes { wall, kernel, last })
}

/// What a row reports of its samples.
#[derive(Clone, Copy, Debug)]
pub(super) struct Summary {
    /// Median wall time (ms).
    pub median_ms: f64,
    /// 95th percentile wall time (ms).
    pub p95_ms: f64,
    /// Median kernel time (ms) where timestamps were read.
    pub kernel_ms: Option<f64>,
}

impl Summary {
    /// The summary of `wall` and `kernel` times (ms).
    pub fn of(wall: &[f64], kernel: &[f64]) -> Self {
        let (median_ms, p95_ms) = median_p95(wall);
        Self {
            median_ms,
            p95_ms,
            kernel_ms: (!kernel.is_empty()).then(|| median_p95(kernel).0),
        }
    }

    /// The time the row's rate is per: the kernel time when known, else the wall time, in
    /// seconds.
    pub fn seconds(&self) -> f64 {
        self.kernel_ms.unwrap_or(self.median_ms) * 1e-3
    }
}

/// (median, p95) of samples.
pub fn median_p95(samples: &[f64]) -> (f64, f64) {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    if s.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let p95 = s[((s.len() as f64 * 0.95).ceil() as usize).clamp(1, s.len()) - 1];
    (s[s.len() / 2], p95)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_p95() {
        let (m, p) = median_p95(&[5.0, 1.0, 3.0, 2.0, 4.0]);
        assert_eq!(m, 3.0);
        assert_eq!(p, 5.0);
    }
}
