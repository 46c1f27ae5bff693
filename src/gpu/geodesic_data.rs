//! Byte layouts and constants of the geodesic ball's kernel (`shaders/geodesic.wgsl`) and its
//! drawing (`shaders/geodesic_ball.wgsl`), and [`ball_frame`]/[`geodesic_params`], which form
//! the kernel's parameters in f64 at the probe: the start directions M = F^{-1/2}, the
//! accumulation basis and μ2 − μ1. The f64 mirror (`cpu::geodesic`) uses the same frame, so
//! both shoot the same directions.

use bytemuck::{Pod, Zeroable};

use crate::math::general::fisher_slice;
use crate::math::{Model, Param, QuadratureRule, Slice, Sym2};

/// Stop flag: F not safely positive definite (κ > [`KAPPA_MAX`], det ≤ 0 or not finite).
pub const STOP_SINGULAR: u32 = 1;
/// Stop flag: an RK4 stage or step end left the model (σ ≤ 0, π ∉ (0, 1) where π varies).
pub const STOP_OUTSIDE: u32 = 2;
/// Stop flag: the substep budget (steps × [`SUBSTEP_BUDGET`]) ran out before length r.
pub const STOP_STEP: u32 = 4;
/// Segment kind: nothing to draw (a stopped geodesic's later steps).
pub const SEGMENT_NONE: u32 = 0;
/// Segment kind: the circle through the tips (tip i → tip i + 1).
pub const SEGMENT_RING: u32 = 1;
/// Segment kind: one step of one geodesic.
pub const SEGMENT_SPOKE: u32 = 2;
/// Largest κ a geodesic integrates through (f32: the basis-accumulated λ_min keeps ~1e-6
/// relative up to here; beyond, F⁻¹ in the Christoffel symbols is noise).
pub const KAPPA_MAX: f64 = 1e6;
/// The step cap: per substep the direction turns by at most this (radians, |θ̈|h/|θ̇|) and no
/// coordinate moves by more than this fraction of its scale (σ for μ and σ, min(π, 1 − π)).
pub const STEP_CAP: f64 = 0.1;
/// Substeps (dispatches of `step`) per sample step: a geodesic may take this many substeps per
/// sample on average before it stops with [`STOP_STEP`]. Near the seed's diagonal a geodesic
/// leaving it needs ~10·ln(Δ_end²/Δ_start²) substeps (the cap shrinks them with Δ²), so 4 per
/// step lets one started at Δ = 0.02σ get out within 32 steps.
pub const SUBSTEP_BUDGET: u32 = 4;
/// Substeps of each geodesic one dispatch of `step` runs (`SUBSTEPS_PER_DISPATCH` in
/// `common/geodesic_scheme.wgsl`): steps × [`SUBSTEP_BUDGET`] / this many dispatches a ball.
/// Most geodesics finish a sample in one substep, and on llvmpipe each dispatch costs the
/// same whether its lanes work or return at once: 130 dispatches a ball were a fixed ~15 ms.
pub const SUBSTEPS_PER_DISPATCH: u32 = 4;
/// Steps per geodesic the viewer's ball uses (each a dispatch; the path has steps + 1 points).
pub const DEFAULT_STEPS: u32 = 32;

/// Must match `GeodesicParams` in `shaders/common/geodesic_scheme.wgsl` (parameters, 128 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct GeodesicParams {
    /// M = F^{-1/2} at the probe, rows (m00, m01), (m10, m11).
    pub start_dir: [f32; 4],
    /// q: the accumulation basis has rows q and (−q.y, q.x).
    pub basis: [f32; 2],
    /// Parameter indices of the slice coordinates.
    pub slice: [u32; 2],
    /// π at the probe.
    pub probe_pi: f32,
    /// σ1 at the probe.
    pub probe_sigma1: f32,
    /// σ2 at the probe.
    pub probe_sigma2: f32,
    /// μ2 − μ1 at the probe, formed in f64.
    pub mean_gap: f32,
    /// h = r/steps, Fisher–Rao length per step.
    pub step_length: f32,
    /// Steps per geodesic.
    pub steps: u32,
    /// Geodesics.
    pub rays: u32,
    /// Gauss–Legendre nodes per panel (set from the node table when dispatching).
    pub panel_nodes: u32,
    /// The policy plane only: the system.
    pub plant: crate::gpu::policy_data::PolicyPlant,
    /// The policy plane only: the probe's gains K (the origin of the offsets).
    pub probe_gains: [f32; 2],
    /// Padding to the WGSL struct's 16-byte multiple.
    pub _pad: [u32; 2],
}

/// Must match `GeodesicState` in `shaders/geodesic.wgsl` (storage, 96 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct GeodesicState {
    /// u = B·(θ − probe).
    pub position: [f32; 2],
    /// u̇.
    pub velocity: [f32; 2],
    /// The metric in the basis at `position` (xx, xy, yy, unused).
    pub metric: [f32; 4],
    /// ∂_{u0} of it.
    pub d0: [f32; 4],
    /// ∂_{u1} of it.
    pub d1: [f32; 4],
    /// u at the last sample.
    pub sample: [f32; 2],
    /// Arc length since that sample.
    pub progress: f32,
    /// STOP_* bits.
    pub flags: u32,
    /// Samples taken.
    pub step: u32,
    /// Padding to the WGSL struct's 16-byte alignment.
    pub _pad: [u32; 3],
}

/// Must match `GeodesicSegment` in `shaders/geodesic.wgsl` and the instance attributes of
/// `shaders/geodesic_ball.wgsl` (24 bytes): a segment as offsets from the probe.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct GeodesicSegment {
    /// Start, θ − probe (world units).
    pub start: [f32; 2],
    /// End, θ − probe.
    pub end: [f32; 2],
    /// SEGMENT_* kind.
    pub kind: u32,
    /// The geodesic's STOP_* bits.
    pub flags: u32,
}

/// Must match `BallStyle` in `shaders/geodesic_ball.wgsl` (parameters, 64 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct BallStyle {
    /// Probe − view centre in display units (f64 on the CPU).
    pub probe_offset: [f32; 2],
    /// Circle width, px.
    pub ring_width: f32,
    /// Spoke width, px.
    pub spoke_width: f32,
    /// Circle colour, linear straight alpha.
    pub ring_color: [f32; 4],
    /// Spoke colour.
    pub spoke_color: [f32; 4],
    /// 1: draw the spokes.
    pub show_spokes: u32,
    /// Padding.
    pub _pad: [u32; 3],
}

const _: () = assert!(size_of::<GeodesicParams>() == 128);
const _: () = assert!(size_of::<GeodesicState>() == 96);
const _: () = assert!(size_of::<GeodesicSegment>() == 24);
const _: () = assert!(size_of::<BallStyle>() == 64);

/// The frame a ball starts from, in f64 at the probe.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BallFrame {
    /// F at the probe (slice order).
    pub metric: Sym2<f64>,
    /// M = F^{-1/2}: direction i is M·(cos αᵢ, sin αᵢ), unit Fisher–Rao speed.
    pub start_dir: [[f64; 2]; 2],
    /// The unit eigenvector of F's larger eigenvalue (the kernel's accumulation basis).
    pub basis: [f64; 2],
}

/// The start frame at `probe` (slice coordinates) on `slice` through `base`, or None where the
/// probe is outside the model or F there is not safely positive definite (κ > [`KAPPA_MAX`]).
pub fn ball_frame(
    base: &Model,
    slice: &Slice,
    probe: [f64; 2],
    rule: &QuadratureRule,
) -> Option<BallFrame> {
    let model = slice.place(base, probe);
    model.validate_for(slice).ok()?;
    frame_of(fisher_slice(&model, slice, rule))
}

/// The start frame of a ball whose metric at the probe is `metric`, or None where it is not
/// safely positive definite (κ > [`KAPPA_MAX`]).
pub fn frame_of(metric: Sym2<f64>) -> Option<BallFrame> {
    let kappa = condition(&metric)?;
    if kappa > KAPPA_MAX {
        return None;
    }
    let e = metric.eigen();
    let (q, p) = (e.q_max, e.q_min);
    let (a, b) = (1.0 / e.lambda_max.sqrt(), 1.0 / e.lambda_min.sqrt());
    // F^{-1/2} = a q qᵀ + b p pᵀ.
    let start_dir = [
        [
            a * q[0] * q[0] + b * p[0] * p[0],
            a * q[0] * q[1] + b * p[0] * p[1],
        ],
        [
            a * q[1] * q[0] + b * p[1] * p[0],
            a * q[1] * q[1] + b * p[1] * p[1],
        ],
    ];
    Some(BallFrame {
        metric,
        start_dir,
        basis: q,
    })
}

/// κ = λ_max²/det of a block (the kernel's `jet_condition`), or None where it is not positive
/// definite.
pub fn condition(m: &Sym2<f64>) -> Option<f64> {
    let det = m.xx * m.yy - m.xy * m.xy;
    if !(det > 0.0 && m.xx > 0.0 && m.yy > 0.0) {
        return None;
    }
    let half_gap = 0.5 * (m.xx - m.yy);
    let lambda_max = 0.5 * (m.xx + m.yy) + half_gap.hypot(m.xy);
    Some(lambda_max * (lambda_max / det))
}

/// What a ball is: the slice through `base`, its centre `probe`, its Fisher–Rao radius, the
/// number of geodesics and of steps each.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BallSpec {
    /// The held parameters' values (the slice's own are replaced by the probe's).
    pub base: Model,
    /// The slice.
    pub slice: Slice,
    /// The centre, slice coordinates.
    pub probe: [f64; 2],
    /// Fisher–Rao radius r.
    pub radius: f64,
    /// Geodesics.
    pub rays: u32,
    /// Steps per geodesic.
    pub steps: u32,
}

/// The kernel's parameters for `spec` (`panel_nodes` left 0: the dispatch sets it), or None where
/// [`ball_frame`] is None.
pub fn geodesic_params(spec: &BallSpec, rule: &QuadratureRule) -> Option<GeodesicParams> {
    let frame = ball_frame(&spec.base, &spec.slice, spec.probe, rule)?;
    let at = spec.slice.place(&spec.base, spec.probe);
    let m = frame.start_dir;
    Some(GeodesicParams {
        start_dir: [m[0][0], m[0][1], m[1][0], m[1][1]].map(|v| v as f32),
        basis: frame.basis.map(|v| v as f32),
        slice: [spec.slice.a.index() as u32, spec.slice.b.index() as u32],
        probe_pi: at.get(Param::Pi) as f32,
        probe_sigma1: at.sigma1 as f32,
        probe_sigma2: at.sigma2 as f32,
        mean_gap: (at.mu2 - at.mu1) as f32,
        step_length: (spec.radius / spec.steps.max(1) as f64) as f32,
        steps: spec.steps.max(1),
        rays: spec.rays,
        ..GeodesicParams::default()
    })
}

/// The policy plane's start frame at the gains `probe`: F = Σ_K/σ² there, or None outside the
/// stability triangle or where F is not safely positive definite.
pub fn policy_ball_frame(
    system: &crate::math::policy::System,
    probe: [f64; 2],
) -> Option<BallFrame> {
    let plane = crate::math::policy::PolicyPlane::new(system);
    use crate::math::family::Plane;
    plane.check(probe).ok()?;
    frame_of(plane.metric(probe))
}

/// The kernel's parameters for a ball of Fisher–Rao radius `radius` on the policy plane of
/// `system` about the gains `probe` (`geodesic_policy.wgsl`), or None where
/// [`policy_ball_frame`] is.
pub fn policy_geodesic_params(
    system: &crate::math::policy::System,
    probe: [f64; 2],
    radius: f64,
    rays: u32,
    steps: u32,
) -> Option<GeodesicParams> {
    let frame = policy_ball_frame(system, probe)?;
    let m = frame.start_dir;
    Some(GeodesicParams {
        start_dir: [m[0][0], m[0][1], m[1][0], m[1][1]].map(|v| v as f32),
        basis: frame.basis.map(|v| v as f32),
        step_length: (radius / steps.max(1) as f64) as f32,
        steps: steps.max(1),
        rays,
        plant: crate::gpu::policy_data::PolicyPlant::new(system, 0.0),
        probe_gains: probe.map(|v| v as f32),
        ..GeodesicParams::default()
    })
}

/// Segments of a ball of `rays` geodesics with `steps` steps: the ring, then the spokes (the
/// segment buffer's length, shared by the compute stage and the layer that draws it).
pub fn segment_count(rays: u32, steps: u32) -> u32 {
    rays + rays * steps
}
