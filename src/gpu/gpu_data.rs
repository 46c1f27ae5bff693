//! Byte layouts shared with WGSL. Each struct names the WGSL struct it must match; the
//! compile-time size checks catch a field added on one side only, and the shader validation
//! test checks the WGSL sizes against these.

use bytemuck::{Pod, Zeroable};
use serde::{Deserialize, Serialize};

/// Which gradient flow the particles follow. The discriminants are the `MODE_*` constants of
/// `shaders/particles.wgsl` (a shader validation test reads them back).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowMode {
    /// dθ/dt = −(F + λI)⁻¹∇L (cyan).
    Natural = 0,
    /// dθ/dt = −∇L (red).
    Euclidean = 1,
    /// Both, in pairs from the same seeds.
    Both = 2,
    /// Natural and empirical-Fisher flows in pairs from the same seeds: even particles along
    /// −(F + λI)⁻¹∇L (cyan), odd ones along −(EF + λI)⁻¹∇L (orange), EF = E_{p*}[s sᵀ] the
    /// population empirical Fisher (MATH.md, "Fisher estimates"; Kunstner et al. 2019). Always
    /// on the general kernel, which accumulates EF in its target pass.
    #[serde(rename = "natural-vs-ef")]
    NaturalVsEmpirical = 3,
}

impl FlowMode {
    /// Every mode, in code order.
    pub const ALL: [FlowMode; 4] = [
        FlowMode::Natural,
        FlowMode::Euclidean,
        FlowMode::Both,
        FlowMode::NaturalVsEmpirical,
    ];

    /// The shader's `mode` value.
    pub const fn code(self) -> u32 {
        self as u32
    }

    /// The name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            FlowMode::Natural => "natural",
            FlowMode::Euclidean => "euclidean",
            FlowMode::Both => "both",
            FlowMode::NaturalVsEmpirical => "natural-vs-ef",
        }
    }
}

/// The time integrator of the flow. Discriminants: `INTEGRATOR_*` of `shaders/particles.wgsl`.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Integrator {
    /// Classical fourth-order Runge–Kutta.
    Rk4 = 0,
    /// Forward Euler (for comparison).
    Euler = 1,
}

impl Integrator {
    /// Every integrator, in code order.
    pub const ALL: [Integrator; 2] = [Integrator::Rk4, Integrator::Euler];

    /// The shader's `integrator` value.
    pub const fn code(self) -> u32 {
        self as u32
    }

    /// The name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Integrator::Rk4 => "rk4",
            Integrator::Euler => "euler",
        }
    }
}

/// A name that is not one of an enum's; says which are.
#[derive(Debug, thiserror::Error)]
#[error("`{given}` is not one of: {choices}")]
pub struct UnknownName {
    /// What was given.
    pub given: String,
    /// The accepted names, comma-separated.
    pub choices: String,
}

fn parse_named<T: Copy>(s: &str, all: &[T], name: fn(T) -> &'static str) -> Result<T, UnknownName> {
    all.iter()
        .copied()
        .find(|v| name(*v).eq_ignore_ascii_case(s))
        .ok_or_else(|| UnknownName {
            given: s.to_owned(),
            choices: all.iter().map(|v| name(*v)).collect::<Vec<_>>().join(", "),
        })
}

impl std::fmt::Display for FlowMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::fmt::Display for Integrator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for FlowMode {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_named(s, &Self::ALL, Self::name)
    }
}

impl std::str::FromStr for Integrator {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_named(s, &Self::ALL, Self::name)
    }
}

/// Must match `FieldParams` in `shaders/fim_field.wgsl`.
///
/// Cells are placed by a *floating origin* O (an f64 point, the grid's lower-left corner for
/// a field): the kernel works in small f32 offsets from O and gets Δ = μ1 − μ2 from Δ₀ =
/// O1 − O2 (formed in f64) plus the offset's difference, so cell spacing stays regular and Δ
/// keeps its precision at any zoom and at any distance from (0, 0). O itself travels as a
/// hi + lo pair of f32 for the CPU side (tests, the benchmark: [`FieldParams::cell_theta`]);
/// the kernel needs only Δ₀ and the target relative to O's midpoint.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct FieldParams {
    /// O as f32 (hi part): O = hi + lo exactly to ~1e-14 relative.
    pub origin_hi: [f32; 2],
    /// O − hi, rounded to f32.
    pub origin_lo: [f32; 2],
    /// Extent of one cell along μ1 and μ2 (field mode: cell (c, r) sits at offset
    /// ((c + ½)·size₁, (r + ½)·size₂) from O).
    pub cell_size: [f32; 2],
    /// θ* relative to O's midpoint m̄₀ = (O1 + O2)/2: (t1 − m̄₀, t2 − m̄₀), formed in f64.
    pub target_y0: [f32; 2],
    /// Columns, rows.
    pub shape: [u32; 2],
    /// σ.
    pub sigma: f32,
    /// Damping λ of the natural gradient.
    pub damping: f32,
    /// Gauss–Legendre nodes per panel, n = Q/2.
    pub panel_nodes: u32,
    /// Cells (or points) to evaluate.
    pub cell_count: u32,
    /// Δ₀ = O1 − O2, formed in f64.
    pub origin_delta: f32,
    /// Padding to the WGSL struct's 16-byte multiple.
    pub _pad: u32,
}

impl FieldParams {
    /// Sets the floating origin O (f64) and everything derived from it, with the target θ*.
    pub fn with_origin(mut self, origin: [f64; 2], target: [f64; 2]) -> Self {
        let hi = origin.map(|v| v as f32);
        self.origin_hi = hi;
        self.origin_lo = [
            (origin[0] - hi[0] as f64) as f32,
            (origin[1] - hi[1] as f64) as f32,
        ];
        let mid = 0.5 * (origin[0] + origin[1]);
        self.target_y0 = [(target[0] - mid) as f32, (target[1] - mid) as f32];
        self.origin_delta = (origin[0] - origin[1]) as f32;
        self
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

    /// The θ = O + offset of grid cell `index` in f64: where the f64 reference must be
    /// evaluated to compare with the kernel's cell.
    pub fn cell_theta(&self, index: u32) -> [f64; 2] {
        let o = self.origin();
        let d = self.cell_offset(index);
        [o[0] + d[0] as f64, o[1] + d[1] as f64]
    }

    /// The target θ* in f64 (O's midpoint plus `target_y0`).
    pub fn target(&self) -> [f64; 2] {
        let o = self.origin();
        let mid = 0.5 * (o[0] + o[1]);
        [
            mid + self.target_y0[0] as f64,
            mid + self.target_y0[1] as f64,
        ]
    }
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
    /// (μ1, μ2) − O: the cell's offset from the field's floating origin (see
    /// [`FieldParams`]); absolute θ for `fisherflow fim`'s points, whose origin is (0, 0).
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
    /// The population empirical Fisher E_{p*}[s sᵀ]'s block (EF_aa, EF_ab, EF_bb), standard
    /// basis, slice order (WGSL `ef_aa`, `ef_ab`, `ef_bb`); zero when the cell has no target.
    /// (These fill what was the struct's padding to 16-byte alignment.) The policy plane,
    /// which has no empirical Fisher, carries (ρ(A_K), control energy, R + BᵀP_K B) here
    /// (`shaders/policy_field.wgsl`; [`FieldCell::spectral_radius`] and its siblings).
    pub empirical: [f32; 3],
}

impl FieldCell {
    /// A policy-plane cell's ρ(A_K).
    pub fn spectral_radius(&self) -> f32 {
        self.empirical[0]
    }

    /// A policy-plane cell's control energy E_u = tr(KᵀK Σ_K).
    pub fn control_energy(&self) -> f32 {
        self.empirical[1]
    }

    /// A policy-plane cell's R + BᵀP_K B (the Gauss–Newton direction is 2E_K over it).
    pub fn control_curvature(&self) -> f32 {
        self.empirical[2]
    }

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
    /// (μ1, μ2) − O, O the dispatch's floating origin ((0, 0) for `fisherflow fim`).
    pub theta: [f32; 2],
    /// θ* − m̄₀, m̄₀ the origin's midpoint (θ* itself when O = 0); ignored unless
    /// `has_target` ≠ 0.
    pub target: [f32; 2],
    /// σ.
    pub sigma: f32,
    /// 1 when a target is given.
    pub has_target: u32,
    /// Padding to 16 bytes.
    pub _pad: [u32; 2],
}

impl From<&crate::math::PointInput> for PointInput {
    /// The f32 kernel input of an f64 point (f64 values rounded to f32).
    fn from(p: &crate::math::PointInput) -> Self {
        Self {
            theta: [p.mu1 as f32, p.mu2 as f32],
            target: p.target.map_or([0.0; 2], |t| [t[0] as f32, t[1] as f32]),
            sigma: p.sigma as f32,
            has_target: p.target.is_some() as u32,
            _pad: [0; 2],
        }
    }
}

const _: () = assert!(std::mem::size_of::<FieldParams>() == 64);
const _: () = assert!(std::mem::size_of::<FieldCell>() == 96);
const _: () = assert!(std::mem::size_of::<PointInput>() == 32);

/// Must match `View` in `shaders/common/view.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct ViewParams {
    /// World point at the canvas centre (f32: only the particles, which live in absolute
    /// coordinates, use it; everything else is drawn as offsets from the centre).
    pub center: [f32; 2],
    /// Clip-space units per display unit, x and y.
    pub ndc_per_world: [f32; 2],
    /// Canvas size in physical pixels.
    pub viewport_px: [f32; 2],
    /// Display units per physical pixel (display = world / `axis_scale`; the same on both
    /// axes).
    pub world_per_px: f32,
    /// Physical pixels per logical point.
    pub px_per_point: f32,
    /// The field's floating origin minus the view centre, formed in f64 (field cells are
    /// drawn at `theta + field_origin` from the centre).
    pub field_origin: [f32; 2],
    /// World units per display unit, (x_per_y, 1): see `shaders/common/view.wgsl`.
    pub axis_scale: [f32; 2],
}

/// Must match `OutsideParams` in `shaders/outside.wgsl`: the region outside the model
/// (`render::outside`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct OutsideParams {
    /// The model's inside half-planes (n.x, n.y, d, active): inside where n·p ≥ d, p in the
    /// canvas' physical pixels (origin top-left, y down), n a unit vector.
    pub planes: [[f32; 4]; 4],
    /// Premultiplied linear colour laid over the outside.
    pub fill: [f32; 4],
    /// Premultiplied linear colour of the hatch lines.
    pub hatch: [f32; 4],
    /// Distance between hatch lines along x, physical pixels.
    pub spacing_px: f32,
    /// Hatch line width, physical pixels.
    pub line_px: f32,
    /// x − y (physical pixels) of one hatch line.
    pub phase_px: f32,
    /// Padding to a multiple of 16 bytes.
    pub _pad: f32,
}

/// Must match `EllipseParams` in `shaders/ellipses.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct EllipseParams {
    /// The level ε of δᵀFδ = ε.
    pub epsilon: f32,
    /// Largest drawn semi-axis (world units).
    pub cap: f32,
    /// log10 κ at the top of the colour map.
    pub log_kappa_top: f32,
    /// Fill opacity.
    pub opacity: f32,
    /// Which matrix the glyphs draw: 0 F, 1 the population EF (`ELLIPSE_SOURCE_*` of
    /// `shaders/ellipses.wgsl`).
    pub source: u32,
    /// Padding to a multiple of 16 bytes.
    pub _pad: [u32; 3],
}

/// Must match `ArrowParams` in `shaders/arrows.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct ArrowParams {
    /// Arrow length in physical pixels (both arrows).
    pub length_px: f32,
    /// Shaft width in physical pixels.
    pub shaft_px: f32,
    /// Head length in physical pixels.
    pub head_px: f32,
    /// Padding.
    pub _pad: f32,
    /// Colour of −∇L (linear RGBA).
    pub euclid_color: [f32; 4],
    /// Colour of the natural descent direction (linear RGBA).
    pub natural_color: [f32; 4],
    /// The probe minus the view centre, formed in f64 (where both arrows start).
    pub anchor: [f32; 2],
    /// Padding to the WGSL struct's 16-byte multiple.
    pub _pad2: [f32; 2],
}

/// One instance of `Segment` in `shaders/lines.wgsl` (vertex attributes 0..=3).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct LineInstance {
    /// Start, as an offset from the view centre (world units, formed in f64).
    pub start: [f32; 2],
    /// End, as an offset from the view centre.
    pub end: [f32; 2],
    /// Linear RGBA, straight alpha.
    pub color: [f32; 4],
    /// (width px, dash period px; 0 = solid).
    pub style: [f32; 2],
}

/// One instance of `Marker` in `shaders/markers.wgsl` (vertex attributes 0..=3).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct MarkerInstance {
    /// Centre, as an offset from the view centre (world units, formed in f64).
    pub center: [f32; 2],
    /// (radius px, ring width px).
    pub size: [f32; 2],
    /// Fill, linear RGBA straight alpha.
    pub fill: [f32; 4],
    /// Ring, linear RGBA straight alpha.
    pub ring: [f32; 4],
}

const _: () = assert!(std::mem::size_of::<ViewParams>() == 48);
const _: () = assert!(std::mem::size_of::<EllipseParams>() == 32);
const _: () = assert!(std::mem::size_of::<OutsideParams>() == 112);
const _: () = assert!(std::mem::size_of::<ArrowParams>() == 64);
const _: () = assert!(std::mem::size_of::<LineInstance>() == 40);
const _: () = assert!(std::mem::size_of::<MarkerInstance>() == 48);

/// Must match `FlowParams` in `shaders/particles.wgsl`.
///
/// Two modes. The seed's (flag [`flow_flags::GENERAL`] clear): θ = (μ1, μ2) with
/// π = ½, σ1 = σ2 = `sigma`, target θ* = `target`, twin `target` swapped. The general mixture's
/// (flag set): positions are absolute slice coordinates (ψ_a, ψ_b) of the slice
/// (`slice_a`, `slice_b`); the model at a position is `base` with those two replaced; the
/// target is `target_model` (its slice coordinates also in `target`, the converge point);
/// `metric` picks the induced or profiled block ([`Metric::code`](crate::math::Metric::code));
/// `sigma` is unused. The twin is the label-swapped target where it lies in the slice.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct FlowParams {
    /// θ* (general mode: the target's slice coordinates (ψ*_a, ψ*_b)).
    pub target: [f32; 2],
    /// Spawn and keep-alive rectangle, lower-left.
    pub view_min: [f32; 2],
    /// Spawn and keep-alive rectangle, upper-right.
    pub view_max: [f32; 2],
    /// σ (seed mode).
    pub sigma: f32,
    /// Damping λ.
    pub damping: f32,
    /// Time step.
    pub dt: f32,
    /// Speed cap in Fisher–Rao units per unit time.
    pub speed_cap: f32,
    /// Respawn within this distance of θ* or its twin.
    pub converge_radius: f32,
    /// Mean lifetime in steps.
    pub max_age: u32,
    /// Gauss–Legendre nodes per panel (Q/2).
    pub panel_nodes: u32,
    /// Number of particles.
    pub count: u32,
    /// 0 RK4, 1 Euler.
    pub integrator: u32,
    /// 0 natural, 1 Euclidean, 2 both.
    pub mode: u32,
    /// Seed of the deterministic spawn hash.
    pub seed: u32,
    /// Bit set of [`flow_flags`].
    pub flags: u32,
    /// General mode: the base model ψ = (π, μ1, μ2, σ1, σ2); the slice coordinates are
    /// replaced by each particle's position.
    pub base: [f32; 5],
    /// General mode: the target ψ*.
    pub target_model: [f32; 5],
    /// General mode: `Param::index` of the first slice coordinate.
    pub slice_a: u32,
    /// General mode: `Param::index` of the second slice coordinate.
    pub slice_b: u32,
    /// General mode: the metric code (0 induced, 1 profiled).
    pub metric: u32,
    /// Padding to the WGSL struct's 16-byte multiple.
    pub _pad: u32,
    /// Policy mode: the system (`target` is then K*).
    pub plant: crate::gpu::policy_data::PolicyPlant,
}

/// Bits of [`FlowParams::flags`].
pub mod flow_flags {
    /// No respawn (one trajectory, `fisherflow trace`).
    pub const TRACE: u32 = 1;
    /// This dispatch spawns every particle afresh (generation 0).
    pub const SPAWN_FRESH: u32 = 2;
    /// The general mixture on a slice (see [`FlowParams`](super::FlowParams)).
    pub const GENERAL: u32 = 4;
    /// The policy plane (see [`FlowParams::with_policy`](super::FlowParams::with_policy)).
    pub const POLICY: u32 = 8;
    /// General mode: step the particles in index order, without the place order
    /// (`particle_order.wgsl`) — what the benchmark races the place order against.
    pub const INDEX_ORDER: u32 = 16;
}

/// Cells per side of the grid over the view that the general flow's place order sorts
/// particles by (`shaders/particle_order.wgsl`'s `PLACE_CELLS`; its CPU mirror
/// `cpu::particles::spatial_order`). SIMD blocks of 16 particles in
/// index order kept 76–84% of their lanes busy on the presets (the rest waited for the lane
/// with the most panels); by 32 × 32 cells, 92–98%.
pub const PLACE_CELLS: u32 = 32;

/// Policy mode: the bit a crashed particle carries in [`Particle::mode`] beside its natural
/// (0) or Euclidean (1) code, for `CRASH_HOLD_STEPS` steps before it respawns.
pub const PARTICLE_CRASHED: u32 = 4;

impl FlowParams {
    /// Fills the policy-mode fields for `system` with damping λ and optimum `optimum` (the
    /// converge point), and sets [`flow_flags::POLICY`]: positions and the view rectangle are
    /// then gains K, and `converge_radius` is measured in the plane's coordinate scales.
    pub fn with_policy(
        self,
        system: &crate::math::policy::System,
        damping: f64,
        optimum: [f64; 2],
    ) -> Self {
        Self {
            target: optimum.map(|v| v as f32),
            plant: crate::gpu::policy_data::PolicyPlant::new(system, damping),
            flags: self.flags | flow_flags::POLICY,
            ..self
        }
    }

    /// Fills the general-mode fields for `base` on `slice` with target `target` and `metric`,
    /// and sets [`flow_flags::GENERAL`]; the rest (view, dt, …) is left as it is.
    pub fn with_general(
        self,
        base: &crate::math::Model,
        slice: &crate::math::Slice,
        target: &crate::math::Model,
        metric: crate::math::Metric,
    ) -> Self {
        Self {
            target: [target.get(slice.a) as f32, target.get(slice.b) as f32],
            base: base.to_array().map(|v| v as f32),
            target_model: target.to_array().map(|v| v as f32),
            slice_a: slice.a.index() as u32,
            slice_b: slice.b.index() as u32,
            metric: metric.code(),
            flags: self.flags | flow_flags::GENERAL,
            ..self
        }
    }
}

/// Must match `Particle` in `shaders/particles.wgsl`; also the instance layout the particle
/// draw pipeline reads.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct Particle {
    /// Current position θ.
    pub position: [f32; 2],
    /// Position before the last step.
    pub previous: [f32; 2],
    /// Fisher–Rao path length from spawn to `position` (left Riemann sum of `speed`·dt).
    pub length: f32,
    /// Fisher–Rao speed at `previous`.
    pub speed: f32,
    /// Steps since spawn.
    pub age: u32,
    /// 0 natural, 1 Euclidean.
    pub mode: u32,
    /// Respawn counter.
    pub generation: u32,
    /// Steps this generation may live.
    pub lifetime: u32,
    /// 1 once spawned.
    pub alive: u32,
    /// Padding.
    pub _pad: u32,
}

impl Particle {
    /// A particle at `start` that never ages out: the first state of a trace.
    pub fn trace_start(start: [f32; 2], mode: u32) -> Self {
        Self {
            position: start,
            previous: start,
            mode,
            lifetime: u32::MAX,
            alive: 1,
            ..Self::default()
        }
    }
}

const _: () = assert!(std::mem::size_of::<FlowParams>() == 176);
const _: () = assert!(std::mem::size_of::<Particle>() == 48);

/// Must match `ParticleStyle` in `shaders/particle_draw.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct ParticleStyle {
    /// Natural flow colour (linear RGBA).
    pub natural_color: [f32; 4],
    /// Euclidean flow colour (linear RGBA).
    pub euclid_color: [f32; 4],
    /// Streak radius in physical pixels.
    pub radius_px: f32,
    /// 0: by mode, 1: by Fisher–Rao speed.
    pub color_by_speed: u32,
    /// log10 speed at the bottom of the colour map.
    pub log_speed_min: f32,
    /// log10 speed at the top.
    pub log_speed_max: f32,
    /// Empirical-Fisher flow colour (linear RGBA; natural-vs-EF mode's odd particles).
    pub empirical_color: [f32; 4],
    /// A crashed particle's colour (linear RGBA; the policy plane).
    pub crash_color: [f32; 4],
}

/// Must match `TrailParams` in `shaders/trails.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct TrailParams {
    /// Fraction of the trail removed per frame.
    pub fade: f32,
    /// Padding.
    pub _pad: [f32; 3],
}

const _: () = assert!(std::mem::size_of::<ParticleStyle>() == 80);
const _: () = assert!(std::mem::size_of::<TrailParams>() == 16);
