//! GPU timestamps for the benchmark: a query set of N timestamps written at the start and end
//! of compute passes, resolved and read back after the work.
//! Devices without `TIMESTAMP_QUERY` get no timer and the benchmark reports null kernel times.

use super::context::{GpuContext, GpuError};

/// A set of timestamps and the buffer they resolve into.
pub struct GpuTimer {
    query_set: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    count: u32,
    period_ns: f64,
}

impl GpuTimer {
    /// `count` timestamps, or None when the device cannot time passes.
    pub fn new(ctx: &GpuContext, count: u32) -> Option<Self> {
        if !ctx.has_timestamps() {
            return None;
        }
        let query_set = ctx.device.create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("bench timestamps"),
            ty: wgpu::QueryType::Timestamp,
            count,
        });
        let resolve = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("bench timestamps resolve"),
            size: count as u64 * wgpu::QUERY_SIZE as u64,
            usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        Some(Self {
            query_set,
            resolve,
            count,
            period_ns: ctx.queue.get_timestamp_period() as f64,
        })
    }

    /// Timestamp writes at the start and end of a compute pass, into slots `2i` and `2i + 1`.
    pub fn compute_pass(&self, pair: u32) -> wgpu::ComputePassTimestampWrites<'_> {
        wgpu::ComputePassTimestampWrites {
            query_set: &self.query_set,
            beginning_of_pass_write_index: Some(2 * pair),
            end_of_pass_write_index: Some(2 * pair + 1),
        }
    }

    /// Records the resolve of every timestamp; call once per submission, after the passes.
    pub fn resolve(&self, encoder: &mut wgpu::CommandEncoder) {
        encoder.resolve_query_set(&self.query_set, 0..self.count, &self.resolve, 0);
    }

    /// Reads the resolved timestamps (after the submission) in milliseconds.
    pub fn read_ms(&self, ctx: &GpuContext) -> Result<Vec<f64>, GpuError> {
        let bytes = ctx.read_buffer(&self.resolve, self.count as u64 * wgpu::QUERY_SIZE as u64)?;
        let ticks: Vec<u64> = bytemuck::pod_collect_to_vec(&bytes);
        Ok(ticks
            .iter()
            .map(|&t| t as f64 * self.period_ns * 1e-6)
            .collect())
    }
}
