//! Dispatches `shaders/kfac.wgsl`: the K-FAC lab's exact layer Fisher blocks and the factors A
//! and G on the GPU, in f32, from the network's weights and the quadrature nodes of the target
//! mixture. The f64 mirror is `kfac::fisher` ([`crate::kfac::network_stats`]).
//!
//! One `forward_backward` dispatch (one invocation per node) writes each node's activations and
//! per-class output sensitivities; then, per layer, one `accumulate` dispatch (one invocation
//! per output entry) sums the exact block, A and G over the nodes. [`KfacGpu::blocks`] runs it
//! all and reads the matrices back (the CLI and tests; the viewer would read back
//! asynchronously).

use super::Slot;
use bytemuck::{Pod, Zeroable};
use wgpu::util::DeviceExt;

use crate::gpu::context::{GpuContext, GpuError};
use crate::kfac::{MixtureNodes, Network};

/// Invocations per workgroup; must equal `WORKGROUP_SIZE` in the shader.
pub const WORKGROUP_SIZE: u32 = 64;

/// Must match `KfacParams` in `shaders/kfac.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct KfacParams {
    /// Hidden width H.
    pub hidden: u32,
    /// Number of quadrature nodes (records).
    pub node_count: u32,
    /// Layer index 0, 1, 2 for `accumulate`.
    pub layer: u32,
    /// The layer's inputs (with the bias).
    pub d_in: u32,
    /// The layer's outputs.
    pub d_out: u32,
    /// Padding to 16 bytes.
    pub _pad: [u32; 3],
}

const _: () = assert!(size_of::<KfacParams>() == 32);

/// One layer's matrices as the GPU computed them (f32, row-major).
#[derive(Clone, Debug, PartialEq)]
pub struct GpuLayerBlocks {
    /// The exact block F_ℓ, n × n.
    pub exact: Vec<f32>,
    /// A, d_in × d_in.
    pub a: Vec<f32>,
    /// G, d_out × d_out.
    pub g: Vec<f32>,
}

/// The K-FAC stage's pipelines (built once per device).
pub struct KfacGpu {
    layout: wgpu::BindGroupLayout,
    forward_backward: wgpu::ComputePipeline,
    accumulate: wgpu::ComputePipeline,
}

impl KfacGpu {
    /// Compiles the shader and builds both pipelines.
    pub fn new(device: &wgpu::Device) -> Self {
        // 0 parameters, 1 weights (read), 2 nodes (read), 3 records, 4 output.
        let layout = super::stage_layout(
            device,
            "kfac layout",
            size_of::<KfacParams>() as u64,
            &[Slot::Read, Slot::Read, Slot::ReadWrite, Slot::ReadWrite],
        );
        let [forward_backward, accumulate] = super::stage_pipelines(
            device,
            &layout,
            "kfac.wgsl",
            ["forward_backward", "accumulate"],
        );
        Self {
            layout,
            forward_backward,
            accumulate,
        }
    }

    /// The exact block, A and G of every layer of `net` under `nodes`, computed on the GPU and
    /// read back (blocking: for the CLI and tests).
    pub fn blocks(
        &self,
        ctx: &GpuContext,
        net: &Network,
        nodes: &MixtureNodes,
    ) -> Result<[GpuLayerBlocks; 3], GpuError> {
        let device = &ctx.device;
        let h = net.hidden as u32;
        let node_count = nodes.len() as u32;
        let record = 6 * h + 10;
        let max = device.limits().max_storage_buffer_binding_size;
        let sizes: Vec<u64> = net
            .layers
            .iter()
            .map(|l| {
                let n = (l.d_in * l.d_out) as u64;
                n * n + (l.d_in * l.d_in + l.d_out * l.d_out) as u64
            })
            .collect();
        let largest = sizes.iter().copied().max().unwrap_or(0) * 4;
        let rows_bytes = u64::from(record) * u64::from(node_count) * 4;
        if largest > max || rows_bytes > max {
            return Err(GpuError::InvalidInput(format!(
                "the K-FAC matrices need {largest} bytes in one binding, over this device's \
                 limit of {max}; use a smaller --hidden or --no-matrices"
            )));
        }
        let weights: Vec<f32> = net
            .layers
            .iter()
            .flat_map(|l| l.w.iter().map(|&v| v as f32))
            .collect();
        let node_data: Vec<[f32; 2]> = nodes
            .x
            .iter()
            .zip(&nodes.w)
            .map(|(&x, &w)| [x as f32, w as f32])
            .collect();
        let storage = |label: &str, contents: &[u8]| {
            device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents,
                usage: wgpu::BufferUsages::STORAGE,
            })
        };
        let weights = storage("kfac weights", bytemuck::cast_slice(&weights));
        let node_buffer = storage("kfac nodes", bytemuck::cast_slice(&node_data));
        let rows = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("kfac records"),
            size: rows_bytes.max(4),
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: false,
        });
        let max_groups = device.limits().max_compute_workgroups_per_dimension;
        let mut out = Vec::with_capacity(3);
        // One parameter and output buffer per layer, all recorded in one submission.
        let mut layer_buffers = Vec::with_capacity(3);
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("kfac blocks"),
        });
        for (index, layer) in net.layers.iter().enumerate() {
            let params = KfacParams {
                hidden: h,
                node_count,
                layer: index as u32,
                d_in: layer.d_in as u32,
                d_out: layer.d_out as u32,
                _pad: [0; 3],
            };
            let params_buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("kfac params"),
                contents: bytemuck::bytes_of(&params),
                usage: wgpu::BufferUsages::STORAGE,
            });
            let output = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("kfac output"),
                size: sizes[index] * 4,
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            });
            let bind_group = crate::gpu::buffers_bind_group(
                device,
                "kfac bind group",
                &self.layout,
                &[&params_buffer, &weights, &node_buffer, &rows, &output],
            );
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("kfac"),
                timestamp_writes: None,
            });
            pass.set_bind_group(0, &bind_group, &[]);
            if index == 0 {
                // The records do not depend on the layer: written once, before layer 1's sums.
                let (x, y) =
                    super::fim_field::dispatch_size(node_count, WORKGROUP_SIZE, max_groups);
                pass.set_pipeline(&self.forward_backward);
                pass.dispatch_workgroups(x, y, 1);
            }
            let (x, y) =
                super::fim_field::dispatch_size(sizes[index] as u32, WORKGROUP_SIZE, max_groups);
            pass.set_pipeline(&self.accumulate);
            pass.dispatch_workgroups(x, y, 1);
            drop(pass);
            layer_buffers.push((output, params_buffer, bind_group));
        }
        ctx.queue.submit([encoder.finish()]);
        for (index, layer) in net.layers.iter().enumerate() {
            let bytes = ctx.read_buffer(&layer_buffers[index].0, sizes[index] * 4)?;
            let values: Vec<f32> = bytemuck::pod_collect_to_vec(&bytes);
            let n = layer.d_in * layer.d_out;
            let (exact, rest) = values.split_at(n * n);
            let (a, g) = rest.split_at(layer.d_in * layer.d_in);
            out.push(GpuLayerBlocks {
                exact: exact.to_vec(),
                a: a.to_vec(),
                g: g.to_vec(),
            });
        }
        Ok(out.try_into().expect("three layers"))
    }
}
