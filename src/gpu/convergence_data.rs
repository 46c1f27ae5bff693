//! The convergence map's per-cell status codes, shared by the kernel's orchestration
//! (`compute::convergence`), its f64 mirror (`cpu::convergence`) and the layer that draws it
//! (`features::convergence::layer`): the Rust twin of `STATUS_*` in `shaders/convergence.wgsl`; and the
//! kernel's byte layouts, its parameters (`ConvergenceParams`) and cell record (`ConvCell`).

use bytemuck::{Pod, Zeroable};

/// How a cell's run ended (the shader's `STATUS_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Not reached by a dispatch yet.
    Unstarted,
    /// Still running.
    Running,
    /// L fell below the threshold.
    Converged,
    /// θ left the model or the leave box.
    Left,
    /// ngd: F singular (κ > `compute::convergence::KAPPA_MAX`); either: L or ∇L not finite.
    Breakdown,
    /// `max_steps` updates without converging.
    Capped,
    /// The start is outside the model: nothing was run.
    Outside,
}

impl Status {
    /// The shader's code.
    pub const fn code(self) -> u32 {
        match self {
            Status::Unstarted => 0,
            Status::Running => 1,
            Status::Converged => 2,
            Status::Left => 3,
            Status::Breakdown => 4,
            Status::Capped => 5,
            Status::Outside => 6,
        }
    }

    /// The status of a shader code (unknown codes read as `Breakdown`).
    pub const fn from_code(code: u32) -> Self {
        match code {
            0 => Status::Unstarted,
            1 => Status::Running,
            2 => Status::Converged,
            3 => Status::Left,
            5 => Status::Capped,
            6 => Status::Outside,
            _ => Status::Breakdown,
        }
    }

    /// Whether the run is over (or never ran).
    pub const fn ended(self) -> bool {
        !matches!(self, Status::Unstarted | Status::Running)
    }

    /// A short word for the hover line and legends.
    pub const fn describe(self) -> &'static str {
        match self {
            Status::Unstarted => "not started",
            Status::Running => "running",
            Status::Converged => "converged",
            Status::Left => "left the domain",
            Status::Breakdown => "breakdown (F singular)",
            Status::Capped => "not converged (cap)",
            Status::Outside => "outside the model",
        }
    }
}

/// Must match `ConvergenceParams` in `shaders/common/convergence_scheme.wgsl` (208 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct ConvergenceParams {
    /// Floating origin O = hi + lo (slice coordinates).
    pub origin_hi: [f32; 2],
    /// See `origin_hi`.
    pub origin_lo: [f32; 2],
    /// A lattice cell's size along a and b.
    pub cell_size: [f32; 2],
    /// Columns, rows of one map.
    pub shape: [u32; 2],
    /// (μ1*, μ2*) − μ1 at O, formed in f64.
    pub target_mean: [f32; 2],
    /// Learning rates of map 0 and map 1.
    pub lrs: [f32; 2],
    /// `compute::convergence::MapOptimizer::code` of map 0 and map 1.
    pub optimizers: [u32; 2],
    /// The base model ψ (held parameters).
    pub base: [f32; 5],
    /// The target's π.
    pub target_pi: f32,
    /// The target's σ1.
    pub target_sigma1: f32,
    /// The target's σ2.
    pub target_sigma2: f32,
    /// μ2 − μ1 at O, formed in f64.
    pub mean_gap: f32,
    /// `Param::index` of the first slice coordinate.
    pub slice_a: u32,
    /// `Param::index` of the second.
    pub slice_b: u32,
    /// Gauss–Legendre nodes per panel.
    pub panel_nodes: u32,
    /// Cells of one map.
    pub cell_count: u32,
    /// Cells of all maps.
    pub total_cells: u32,
    /// First cell of this dispatch's chunk.
    pub first_cell: u32,
    /// Cells in the chunk.
    pub chunk_cells: u32,
    /// Updates per cell in this dispatch (≤ `compute::convergence::MAX_STEPS_PER_DISPATCH`).
    pub steps: u32,
    /// Step cap.
    pub max_steps: u32,
    /// Relative threshold.
    pub threshold: f32,
    /// Absolute threshold floor.
    pub loss_floor: f32,
    /// ngd's breakdown κ.
    pub kappa_max: f32,
    /// Leave-box margin.
    pub leave_margin: f32,
    /// The policy plane only: the system.
    pub plant: crate::gpu::policy_data::PolicyPlant,
    /// The policy plane only: C*.
    pub c_star: f32,
    /// Padding to the WGSL struct's 16-byte multiple.
    pub _pad: [u32; 3],
}

/// Must match `ConvCell` in `shaders/common/convergence_scheme.wgsl`: one cell's run.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct ConvCell {
    /// θ − O (slice coordinates).
    pub offset: [f32; 2],
    /// L at the start.
    pub loss0: f32,
    /// L at the last evaluation.
    pub loss: f32,
    /// Updates taken.
    pub steps: u32,
    /// [`Status::code`].
    pub status: u32,
    /// Padding.
    pub _pad: [u32; 2],
}

impl ConvCell {
    /// The cell's status.
    pub fn status(&self) -> Status {
        Status::from_code(self.status)
    }
}

const _: () = assert!(size_of::<ConvergenceParams>() == 208);
const _: () = assert!(size_of::<ConvCell>() == 32);
