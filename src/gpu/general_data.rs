//! Byte layouts of the general model's kernel (`shaders/fim_general.wgsl`): the parameters and
//! the per-point input of the `points` entry point, and the parameters of the `grid` entry point
//! ([`GeneralGridParams`], built by [`general_grid_params`]). The output is the seed's
//! [`FieldCell`](super::gpu_data::FieldCell) (see the shader's header for the fields whose
//! meaning differs). Kept apart from [`gpu_data`](super::gpu_data) so the general stage's
//! layouts change in one file; the shader validation test checks the WGSL sizes against these.

use bytemuck::{Pod, Zeroable};

use crate::math::{GeneralInput, Metric, Model, ModelError, Param, Slice};

/// Reserved bit of `FieldCell::flags` (`FLAG_SPLITS_DROPPED` in `gmm_general.wgsl`): the former
/// general kernel set it where a window's fixed array dropped splits. The windows now walk
/// every split in registers (`cpu::general::Window`), so no kernel sets it.
pub const FLAG_SPLITS_DROPPED: u32 = 16;

/// Bit of `FieldCell::flags` set by the general `grid` entry point only: the cell's model is
/// outside the model (σ1 or σ2 ≤ 0, π outside [0, 1], or π not strictly inside (0, 1) on a
/// slice that varies π — [`Model::validate_for`]). Nothing was computed: every other field is
/// zero except `theta` (the cell's offset), so the renderer can skip it (`FLAG_OUTSIDE_MODEL`
/// in `gmm_general.wgsl`).
pub const FLAG_OUTSIDE_MODEL: u32 = 32;

/// Bit of `FieldCell::flags`: the profiled metric ([`Metric::Profiled`]) is undefined at this
/// point — π is held at exactly 0 or 1 (F_ππ undefined or infinite there), or the held
/// parameters' block F_nn is singular to f32 working precision (a pivot of its unit-diagonal
/// scaling below `PROFILE_MIN_PIVOT` = 1e-3). Every other field is zero except `theta`
/// (`FLAG_METRIC_UNDEFINED` in `gmm_general.wgsl`).
pub const FLAG_METRIC_UNDEFINED: u32 = 64;

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
    /// Padding to 16 bytes (`points` evaluates the induced metric only).
    pub _pad: u32,
}

/// Must match `GeneralPointInput` in `shaders/common/general_point.wgsl`: one general point.
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

/// Must match `GeneralGridParams` in `shaders/fim_general.wgsl`: a grid over one slice with a
/// floating origin (the seed's [`FieldParams`](super::gpu_data::FieldParams) idea, for any
/// slice). Cell (c, r) sits at slice coordinates O + ((c + ½)·size_a, (r + ½)·size_b); the
/// held parameters come from `base`.
///
/// Precision: the kernel works in the frame of the model's μ1, so what it needs of the means
/// is μ2 − μ1 and the target's means minus μ1. Both are formed here in f64 at O (`mean_gap`,
/// `target_mean`; a mean's value at O is its slice coordinate of O when it is on the slice, the
/// base value when held) and the kernel adds only the cells' small f32 offsets. So on (μ1, μ2)
/// a tiny view near the diagonal far from 0 keeps Δ = μ1 − μ2 to f32 relative precision of Δ
/// itself (plus the offsets' rounding, ~ε·|offset|), not of |μ1|. The limit: π and σ
/// coordinates are formed as hi + (lo + offset) in f32, so they carry f32 relative precision
/// (~6e-8) of their own value — fine for those, which are scales, not differences.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct GeneralGridParams {
    /// The floating origin O in slice coordinates (ψ_a, ψ_b): O = hi + lo.
    pub origin_hi: [f32; 2],
    /// See `origin_hi`.
    pub origin_lo: [f32; 2],
    /// Cell size along a and along b (need not be equal: the coordinates may differ in units).
    pub cell_size: [f32; 2],
    /// Columns, rows.
    pub shape: [u32; 2],
    /// The base model ψ (f32); its two slice coordinates are replaced per cell.
    pub base: [f32; 5],
    /// The target ψ* (f32); its means enter through `target_mean`. Ignored unless `has_target`.
    pub target: [f32; 5],
    /// `Param::index` of the first slice coordinate.
    pub slice_a: u32,
    /// `Param::index` of the second.
    pub slice_b: u32,
    /// 1 when a target is given.
    pub has_target: u32,
    /// Damping λ of the natural gradient.
    pub damping: f32,
    /// Gauss–Legendre nodes per panel (set from the node table by the dispatch).
    pub panel_nodes: u32,
    /// Cells to evaluate (columns × rows).
    pub cell_count: u32,
    /// [`Metric::code`]: 0 induced, 1 profiled.
    pub metric: u32,
    /// μ2 − μ1 at O, formed in f64.
    pub mean_gap: f32,
    /// (μ1*, μ2*) − μ1 at O, formed in f64.
    pub target_mean: [f32; 2],
}

const _: () = assert!(std::mem::size_of::<GeneralParams>() == 16);
const _: () = assert!(std::mem::size_of::<GeneralPointInput>() == 64);
const _: () = assert!(std::mem::size_of::<GeneralGridParams>() == 112);

/// Parameters for a `columns × rows` grid tiling [view_min, view_max] of `slice` (slice
/// coordinates, f64), with the floating origin at `view_min`; the held parameters from `base`,
/// the target (if any) as given. Analogous to the seed kernel's `compute::fim_field::grid_params`
/// (not linked: `gpu` sits below `compute` in the import order).
#[allow(clippy::too_many_arguments)]
pub fn general_grid_params(
    view_min: [f64; 2],
    view_max: [f64; 2],
    columns: u32,
    rows: u32,
    base: &Model,
    slice: &Slice,
    target: Option<&Model>,
    damping: f32,
    metric: Metric,
) -> GeneralGridParams {
    let hi = view_min.map(|v| v as f32);
    // The means at O: slice coordinates of O where on the slice, the base values where held.
    let at_origin = base.with(slice.a, view_min[0]).with(slice.b, view_min[1]);
    let target_mean = target.map_or([0.0; 2], |t| {
        [
            (t.mu1 - at_origin.mu1) as f32,
            (t.mu2 - at_origin.mu1) as f32,
        ]
    });
    GeneralGridParams {
        origin_hi: hi,
        origin_lo: [
            (view_min[0] - hi[0] as f64) as f32,
            (view_min[1] - hi[1] as f64) as f32,
        ],
        cell_size: [
            ((view_max[0] - view_min[0]) / columns as f64) as f32,
            ((view_max[1] - view_min[1]) / rows as f64) as f32,
        ],
        shape: [columns, rows],
        base: base.to_array().map(|v| v as f32),
        target: target.map_or([0.0; 5], |t| t.to_array().map(|v| v as f32)),
        slice_a: slice.a.index() as u32,
        slice_b: slice.b.index() as u32,
        has_target: target.is_some() as u32,
        damping,
        panel_nodes: 0,
        cell_count: columns * rows,
        metric: metric.code(),
        mean_gap: (at_origin.mu2 - at_origin.mu1) as f32,
        target_mean,
    }
}

impl GeneralGridParams {
    /// Whether `self` and `other` give the same metric half of every cell: they differ at most
    /// in the target (`target`, `target_mean`, `has_target`) and the damping, so the
    /// target-only pass (`grid_target`) can bring cells written for `other` up to `self`.
    ///
    /// The base's slice coordinates are not compared: every cell replaces them with its own
    /// (the viewer's base model carries the target's slice coordinates, which a drag moves).
    pub fn same_metric_as(&self, other: &Self) -> bool {
        let target_free = |p: &Self| {
            let mut base = p.base;
            for k in [p.slice_a, p.slice_b] {
                if let Some(v) = base.get_mut(k as usize) {
                    *v = 0.0;
                }
            }
            Self {
                base,
                target: [0.0; 5],
                target_mean: [0.0; 2],
                has_target: 0,
                damping: 0.0,
                ..*p
            }
        };
        target_free(self) == target_free(other)
    }

    /// The floating origin O in f64.
    pub fn origin(&self) -> [f64; 2] {
        [
            self.origin_hi[0] as f64 + self.origin_lo[0] as f64,
            self.origin_hi[1] as f64 + self.origin_lo[1] as f64,
        ]
    }

    /// The offset from O of grid cell `index`, computed exactly as the kernel does (f32).
    pub fn cell_offset(&self, index: u32) -> [f32; 2] {
        let column = index % self.shape[0];
        let row = index / self.shape[0];
        [
            (column as f32 + 0.5) * self.cell_size[0],
            (row as f32 + 0.5) * self.cell_size[1],
        ]
    }

    /// The slice, or None when an index is out of range or repeated.
    pub fn slice(&self) -> Option<Slice> {
        let a = *Param::ALL.get(self.slice_a as usize)?;
        let b = *Param::ALL.get(self.slice_b as usize)?;
        (a != b).then_some(Slice { a, b })
    }

    /// The model of cell `index` in f64, as the f64 reference should see it: the held
    /// parameters at their f32 values, the slice coordinates at O + the kernel's f32 offset
    /// (the kernel's own arithmetic differs from this by the rounding of `mean_gap`,
    /// `target_mean` and of hi + (lo + offset), ~f32 ε relative).
    pub fn cell_model(&self, index: u32) -> Model {
        let slice = self
            .slice()
            .expect("a grid's slice has two different parameters");
        let o = self.origin();
        let off = self.cell_offset(index);
        Model::from_array(self.base.map(f64::from))
            .with(slice.a, o[0] + off[0] as f64)
            .with(slice.b, o[1] + off[1] as f64)
    }

    /// The target as the kernel sees it (f32 values widened), when given.
    pub fn target_f64(&self) -> Option<Model> {
        (self.has_target != 0).then(|| Model::from_array(self.target.map(f64::from)))
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// The viewer's general field: the base model carries the target's slice coordinates.
    fn params(model: &Model, damping: f32) -> GeneralGridParams {
        let slice = Slice {
            a: Param::Pi,
            b: Param::Mu1,
        };
        general_grid_params(
            [0.1, -3.0],
            [0.9, 3.0],
            16,
            16,
            model,
            &slice,
            Some(model),
            damping,
            Metric::Induced,
        )
    }

    #[test]
    fn a_moved_target_keeps_the_metric_and_a_held_parameter_does_not() {
        let model = Model {
            pi: 0.4,
            mu1: -1.0,
            mu2: 1.5,
            ..Model::default()
        };
        let first = params(&model, 0.0);
        // A drag moves the slice coordinates of both the base and the target; damping too.
        let dragged = params(
            &Model {
                pi: 0.55,
                mu1: 0.3,
                ..model
            },
            0.1,
        );
        assert!(dragged.same_metric_as(&first));
        assert_ne!(dragged, first);
        // A held parameter (μ2) changes F: not the same metric.
        let held = params(&Model { mu2: 1.6, ..model }, 0.0);
        assert!(!held.same_metric_as(&first));
        // Nor does another view.
        let mut panned = first;
        panned.origin_lo[0] += 0.01;
        assert!(!panned.same_metric_as(&first));
    }
}
