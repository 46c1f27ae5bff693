//! Byte layouts shared with WGSL. Each struct names the WGSL struct it must match; the
//! compile-time size checks catch a field added on one side only, and the shader validation
//! test checks the WGSL sizes against these.

use bytemuck::{Pod, Zeroable};

/// Must match `FieldParams` in `shaders/fim_field.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct FieldParams {
    /// (μ1, μ2) of the grid's lower-left corner.
    pub view_min: [f32; 2],
    /// Extent of one cell along μ1 and μ2.
    pub cell_size: [f32; 2],
    /// θ* for ∇L.
    pub target: [f32; 2],
    /// Columns, rows.
    pub grid: [u32; 2],
    /// σ.
    pub sigma: f32,
    /// Damping λ of the natural gradient.
    pub damping: f32,
    /// Gauss–Legendre nodes per panel, n = Q/2.
    pub panel_nodes: u32,
    /// Cells (or points) to evaluate.
    pub cell_count: u32,
    /// Padding to the WGSL struct's 16-byte alignment.
    pub _pad: [u32; 4],
}

/// Bits of [`FieldCell::flags`] (the `FLAG_*` constants of `fim_field.wgsl`).
pub mod flags {
    /// λ_min = 0: κ is infinite (stored κ is 0).
    pub const KAPPA_INFINITE: u32 = 1;
    /// F + λI singular to working precision: no natural gradient (stored as 0).
    pub const NATGRAD_UNDEFINED: u32 = 2;
    /// The angle is undefined (no natural gradient, or a zero gradient).
    pub const ANGLE_UNDEFINED: u32 = 4;
    /// The cell was evaluated with a target (grad, natgrad, loss, angle are meaningful).
    pub const HAS_TARGET: u32 = 8;
}

/// Must match `FieldCell` in `shaders/fim_field.wgsl`: one evaluated cell of the FIM field.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct FieldCell {
    /// (μ1, μ2).
    pub theta: [f32; 2],
    /// (λ_max, λ_min).
    pub eigenvalues: [f32; 2],
    /// (F11, F12, F22, det F) in the standard basis.
    pub fisher: [f32; 4],
    /// (F_uu, F_uv, F_vv, κ) in the rotated basis; κ = 0 when infinite.
    pub rotated: [f32; 4],
    /// Unit eigenvector of λ_max, standard basis.
    pub q_max: [f32; 2],
    /// ∇L.
    pub grad: [f32; 2],
    /// (F + λI)⁻¹∇L, zero when undefined.
    pub natgrad: [f32; 2],
    /// L = KL(p_θ* ‖ p_θ).
    pub loss: f32,
    /// Angle between ∇L and the natural gradient, degrees.
    pub angle_deg: f32,
    /// Bit set of [`flags`].
    pub flags: u32,
    /// Padding to the WGSL struct's 16-byte alignment.
    pub _pad: [u32; 3],
}

impl FieldCell {
    /// κ, or None when infinite.
    pub fn kappa(&self) -> Option<f32> {
        (self.flags & flags::KAPPA_INFINITE == 0).then_some(self.rotated[3])
    }

    /// The natural gradient, or None when undefined.
    pub fn natgrad(&self) -> Option<[f32; 2]> {
        (self.flags & flags::NATGRAD_UNDEFINED == 0).then_some(self.natgrad)
    }

    /// The angle in degrees, or None when undefined.
    pub fn angle(&self) -> Option<f32> {
        (self.flags & flags::ANGLE_UNDEFINED == 0).then_some(self.angle_deg)
    }
}

/// Must match `PointInput` in `shaders/fim_field.wgsl`: one point of `fisherflow fim --points`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct PointInput {
    /// (μ1, μ2).
    pub theta: [f32; 2],
    /// θ*, ignored unless `has_target` ≠ 0.
    pub target: [f32; 2],
    /// σ.
    pub sigma: f32,
    /// 1 when a target is given.
    pub has_target: u32,
    /// Padding to 16 bytes.
    pub _pad: [u32; 2],
}

const _: () = assert!(std::mem::size_of::<FieldParams>() == 64);
const _: () = assert!(std::mem::size_of::<FieldCell>() == 96);
const _: () = assert!(std::mem::size_of::<PointInput>() == 32);
