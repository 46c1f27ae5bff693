//! Byte layouts of the general model's kernel (`shaders/fim_general.wgsl`): the uniform and
//! the per-point input. The output is the seed's [`FieldCell`](super::gpu_data::FieldCell)
//! (see the shader's header for the fields whose meaning differs). Kept apart from
//! [`gpu_data`](super::gpu_data) so the general stage's layouts change in one file; the shader
//! validation test checks the WGSL sizes against these.

use bytemuck::{Pod, Zeroable};

use crate::math::{GeneralInput, Model, ModelError, Param, Slice};

/// Bit of `FieldCell::flags` set by the general kernel only: a window had more splits than
/// `GENERAL_MAX_SPLITS` and dropped the lowest-priority ones (`FLAG_SPLITS_DROPPED` in
/// `fim_general.wgsl`).
pub const FLAG_SPLITS_DROPPED: u32 = 16;

/// Must match `GeneralParams` in `shaders/fim_general.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct GeneralParams {
    /// Damping λ of the natural gradient.
    pub damping: f32,
    /// Gauss–Legendre nodes per panel (n = Q/2 of the `QuadratureRule`).
    pub panel_nodes: u32,
    /// Points to evaluate.
    pub point_count: u32,
    /// Padding to 16 bytes.
    pub _pad: u32,
}

/// Must match `GeneralPointInput` in `shaders/fim_general.wgsl`: one general point.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct GeneralPointInput {
    /// The model ψ = (π, μ1, μ2, σ1, σ2), absolute.
    pub model: [f32; 5],
    /// The target ψ*, absolute; ignored unless `has_target` ≠ 0.
    pub target: [f32; 5],
    /// `Param::index` of the first slice coordinate.
    pub slice_a: u32,
    /// `Param::index` of the second slice coordinate.
    pub slice_b: u32,
    /// 1 when a target is given.
    pub has_target: u32,
    /// Padding to 64 bytes.
    pub _pad: [u32; 3],
}

const _: () = assert!(std::mem::size_of::<GeneralParams>() == 16);
const _: () = assert!(std::mem::size_of::<GeneralPointInput>() == 64);

impl GeneralPointInput {
    /// The f32 kernel input of an f64 point (values rounded to f32).
    pub fn new(model: &Model, slice: &Slice, target: Option<&Model>) -> Self {
        Self {
            model: model.to_array().map(|v| v as f32),
            target: target.map_or([0.0; 5], |t| t.to_array().map(|v| v as f32)),
            slice_a: slice.a.index() as u32,
            slice_b: slice.b.index() as u32,
            has_target: target.is_some() as u32,
            _pad: [0; 3],
        }
    }

    /// The kernel input of a general point after [`GeneralInput::validate`]: the kernel itself
    /// checks nothing (π on the boundary of a slice that varies π, or σ ≤ 0, would give NaN),
    /// so callers go through here. The error names the first bad field.
    pub fn from_general(input: &GeneralInput) -> Result<Self, ModelError> {
        input.validate()?;
        Ok(Self::new(&input.model, &input.slice, input.target.as_ref()))
    }

    /// The model exactly as the kernel sees it (the f32 values widened): where the f64
    /// reference must be evaluated to compare with this point's cell.
    pub fn model_f64(&self) -> Model {
        Model::from_array(self.model.map(f64::from))
    }

    /// The target as the kernel sees it, when given.
    pub fn target_f64(&self) -> Option<Model> {
        (self.has_target != 0).then(|| Model::from_array(self.target.map(f64::from)))
    }

    /// The slice, or None when an index is out of range or repeated.
    pub fn slice(&self) -> Option<Slice> {
        let a = *Param::ALL.get(self.slice_a as usize)?;
        let b = *Param::ALL.get(self.slice_b as usize)?;
        (a != b).then_some(Slice { a, b })
    }
}
