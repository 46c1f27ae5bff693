//! The convergence map's per-cell status codes, shared by the kernel's orchestration
//! (`compute::convergence`), its f64 mirror (`cpu::convergence`) and the layer that draws it
//! (`render::convergence`): the Rust twin of `STATUS_*` in `shaders/convergence.wgsl`.

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
