//! Dispatches `shaders/cholesky.wgsl`: dense Cholesky factorization and solves in f32 on the
//! GPU, for the K-FAC lab's cost benchmark (issue 13): one solve with an exact n × n block
//! against K-FAC's two factor solves, timed like the CPU's (`kfac::cost`).
//!
//! Every step of the factorization and of the solves is its own dispatch; the step index k
//! reaches the shader through a dynamic offset into one read-only storage buffer of 256-byte
//! slots (written once before the timed submission), so a whole solve is one command buffer. A
//! storage buffer, not a uniform one: lavapipe recompiles a shader whose loops read a uniform at
//! every bind (`super::stage_layout`), here at every one of a solve's thousands of steps.

use std::time::Instant;

use bytemuck::{Pod, Zeroable};
use wgpu::util::DeviceExt;

use crate::gpu::context::{GpuContext, GpuError};

/// Invocations per workgroup; must equal `WORKGROUP_SIZE` in the shader.
pub const WORKGROUP_SIZE: u32 = 64;
/// Bytes between step slots (wgpu's minimum storage offset alignment is at most 256).
const SLOT: u64 = 256;

/// Must match `CholeskyStep` in `shaders/cholesky.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct CholeskyStep {
    /// Matrix order.
    pub n: u32,
    /// Column (factorization) or row (solves) of this step.
    pub k: u32,
    /// Right-hand sides (solves).
    pub count: u32,
    /// 0: right-hand sides are the columns of an n × count block; 1: the rows of count × n.
    pub layout: u32,
}

const _: () = assert!(size_of::<CholeskyStep>() == 16);

/// One dispatch of a plan: which entry point, its step, how many invocations.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Scale,
    Update,
    Forward,
    Backward,
}

/// A matrix to factor and the right-hand sides to solve with it.
struct Problem {
    matrix: wgpu::Buffer,
    rhs: wgpu::Buffer,
    scratch: wgpu::Buffer,
    n: u32,
    count: u32,
    layout: u32,
}

/// The pipelines (built once per device).
pub struct CholeskyGpu {
    layout: wgpu::BindGroupLayout,
    scale: wgpu::ComputePipeline,
    update: wgpu::ComputePipeline,
    forward: wgpu::ComputePipeline,
    backward: wgpu::ComputePipeline,
}

impl CholeskyGpu {
    /// Compiles the shader and builds its four pipelines.
    pub fn new(device: &wgpu::Device) -> Self {
        let storage = |binding| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage { read_only: false },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("cholesky layout"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Storage { read_only: true },
                        // One slot per step, chosen per dispatch.
                        has_dynamic_offset: true,
                        min_binding_size: wgpu::BufferSize::new(size_of::<CholeskyStep>() as u64),
                    },
                    count: None,
                },
                storage(1),
                storage(2),
                storage(3),
            ],
        });
        let [scale, update, forward, backward] = super::stage_pipelines(
            device,
            &layout,
            "cholesky.wgsl",
            [
                "scale_column",
                "update_trailing",
                "forward_step",
                "backward_step",
            ],
        );
        Self {
            layout,
            scale,
            update,
            forward,
            backward,
        }
    }

    fn upload(
        &self,
        ctx: &GpuContext,
        matrix: &[f32],
        n: usize,
        rhs: &[f32],
        count: usize,
        layout: u32,
    ) -> Problem {
        let storage = |label: &str, contents: &[u8]| {
            ctx.device
                .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some(label),
                    contents,
                    usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
                })
        };
        Problem {
            matrix: storage("cholesky matrix", bytemuck::cast_slice(matrix)),
            rhs: storage("cholesky rhs", bytemuck::cast_slice(rhs)),
            scratch: storage("cholesky scratch", bytemuck::cast_slice(rhs)),
            n: n as u32,
            count: count as u32,
            layout,
        }
    }

    /// The dispatches that factor `p.matrix` and solve for `p.rhs`, in order.
    fn plan(p: &Problem) -> Vec<(Kind, CholeskyStep, u32)> {
        let n = p.n;
        let mut plan = Vec::with_capacity(4 * n as usize);
        for k in 0..n {
            let s = CholeskyStep {
                n,
                k,
                count: p.count,
                layout: p.layout,
            };
            let m = n - k - 1;
            plan.push((Kind::Scale, s, m.max(1)));
            plan.push((Kind::Update, s, m * (m + 1) / 2 + 1));
        }
        for k in 0..n {
            let s = CholeskyStep {
                n,
                k,
                count: p.count,
                layout: p.layout,
            };
            plan.push((Kind::Forward, s, (n - k) * p.count));
        }
        for k in (0..n).rev() {
            let s = CholeskyStep {
                n,
                k,
                count: p.count,
                layout: p.layout,
            };
            plan.push((Kind::Backward, s, (k + 1) * p.count));
        }
        plan
    }

    /// Runs the problems' plans in one submission and returns the wall time of that submission
    /// (upload excluded), waiting for the device.
    fn run(&self, ctx: &GpuContext, problems: &[Problem]) -> Result<f64, GpuError> {
        let device = &ctx.device;
        let plans: Vec<_> = problems.iter().map(Self::plan).collect();
        let slots: Vec<u8> = plans
            .iter()
            .flatten()
            .flat_map(|(_, s, _)| {
                let mut slot = vec![0u8; SLOT as usize];
                slot[..size_of::<CholeskyStep>()].copy_from_slice(bytemuck::bytes_of(s));
                slot
            })
            .collect();
        let steps_buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("cholesky steps"),
            contents: &slots,
            usage: wgpu::BufferUsages::STORAGE,
        });
        let groups = |p: &Problem| {
            device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("cholesky bind group"),
                layout: &self.layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                            buffer: &steps_buffer,
                            offset: 0,
                            size: wgpu::BufferSize::new(size_of::<CholeskyStep>() as u64),
                        }),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: p.matrix.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: p.rhs.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 3,
                        resource: p.scratch.as_entire_binding(),
                    },
                ],
            })
        };
        let bind_groups: Vec<_> = problems.iter().map(groups).collect();
        // The uploads finish before the clock starts.
        ctx.wait()?;
        let max_groups = device.limits().max_compute_workgroups_per_dimension;
        let start = Instant::now();
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("cholesky"),
        });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("cholesky"),
                timestamp_writes: None,
            });
            let mut slot = 0u64;
            for (plan, bind_group) in plans.iter().zip(&bind_groups) {
                for &(kind, _, invocations) in plan {
                    pass.set_pipeline(match kind {
                        Kind::Scale => &self.scale,
                        Kind::Update => &self.update,
                        Kind::Forward => &self.forward,
                        Kind::Backward => &self.backward,
                    });
                    pass.set_bind_group(0, bind_group, &[(slot * SLOT) as u32]);
                    let (x, y) =
                        super::fim_field::dispatch_size(invocations, WORKGROUP_SIZE, max_groups);
                    pass.dispatch_workgroups(x, y, 1);
                    slot += 1;
                }
            }
        }
        ctx.queue.submit([encoder.finish()]);
        ctx.wait()?;
        Ok(start.elapsed().as_secs_f64())
    }

    fn read(ctx: &GpuContext, buffer: &wgpu::Buffer, len: usize) -> Result<Vec<f32>, GpuError> {
        let bytes = ctx.read_buffer(buffer, (len * 4) as u64)?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }

    /// Solves M x = b for an SPD `n` × `n` row-major M: factor and solve on the GPU. Returns x
    /// and the seconds of the compute submission.
    pub fn solve(
        &self,
        ctx: &GpuContext,
        matrix: &[f32],
        n: usize,
        b: &[f32],
    ) -> Result<(Vec<f32>, f64), GpuError> {
        check_size(ctx, n * n)?;
        let p = self.upload(ctx, matrix, n, b, 1, 0);
        let seconds = self.run(ctx, std::slice::from_ref(&p))?;
        Ok((Self::read(ctx, &p.rhs, n)?, seconds))
    }

    /// K-FAC's solve vec_r(G⁻¹ V A⁻¹) for SPD G (d_out × d_out), A (d_in × d_in) and V
    /// (d_out × d_in, row-major): both factorizations and both solves on the GPU, one submission.
    /// Returns the result (row-major) and the seconds of that submission.
    pub fn kfac_solve(
        &self,
        ctx: &GpuContext,
        g: &[f32],
        a: &[f32],
        v: &[f32],
        d_out: usize,
        d_in: usize,
    ) -> Result<(Vec<f32>, f64), GpuError> {
        check_size(ctx, d_out * d_out.max(d_in))?;
        // X = G⁻¹ V: V's d_in columns are the right-hand sides (n × count, row-major).
        let pg = self.upload(ctx, g, d_out, v, d_in, 0);
        // Y = X A⁻¹: X's d_out rows are the right-hand sides of A; as a count × n block X is
        // the same row-major buffer, so the second solve works in place on the first's answer,
        // in the same submission.
        let pa = Problem {
            matrix: ctx
                .device
                .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some("cholesky matrix A"),
                    contents: bytemuck::cast_slice(a),
                    usage: wgpu::BufferUsages::STORAGE,
                }),
            rhs: pg.rhs.clone(),
            scratch: pg.scratch.clone(),
            n: d_in as u32,
            count: d_out as u32,
            layout: 1,
        };
        let result = pa.rhs.clone();
        let seconds = self.run(ctx, &[pg, pa])?;
        Ok((Self::read(ctx, &result, d_out * d_in)?, seconds))
    }
}

fn check_size(ctx: &GpuContext, floats: usize) -> Result<(), GpuError> {
    let max = ctx.device.limits().max_storage_buffer_binding_size;
    if (floats as u64) * 4 > max {
        return Err(GpuError::InvalidInput(format!(
            "a {floats}-entry matrix is over this device's storage binding limit of {max} bytes"
        )));
    }
    Ok(())
}

/// Seconds of one exact-block solve on the GPU at width d (n = d²): the synthetic
/// G ⊗ A + λI of `kfac::cost::synthetic`, factored and solved in f32.
pub fn time_exact_gpu(ctx: &GpuContext, solver: &CholeskyGpu, d: usize) -> Result<f64, GpuError> {
    let (g, a, v, shift) = crate::kfac::cost::synthetic(d);
    let n = d * d;
    let mut block = vec![0f32; n * n];
    for p in 0..n {
        for q in 0..n {
            let value = g[(p / d) * d + q / d] * a[(p % d) * d + q % d];
            block[p * n + q] = (if p == q { value + shift } else { value }) as f32;
        }
    }
    let b: Vec<f32> = v.iter().map(|&x| x as f32).collect();
    Ok(solver.solve(ctx, &block, n, &b)?.1)
}

/// Seconds of K-FAC's solve on the GPU at width d (the same synthetic G, A, V).
pub fn time_kfac_gpu(ctx: &GpuContext, solver: &CholeskyGpu, d: usize) -> Result<f64, GpuError> {
    let (g, a, v, _) = crate::kfac::cost::synthetic(d);
    let f = |m: Vec<f64>| m.into_iter().map(|x| x as f32).collect::<Vec<f32>>();
    Ok(solver.kfac_solve(ctx, &f(g), &f(a), &f(v), d, d)?.1)
}
