//! Interactive edits: [`SceneEdit`] and [`Scene::apply`], which clamps every value to the
//! range the UI offers, with the coordinate ranges it clamps to.

use super::*;

/// Where a slice coordinate may be dragged or typed: π on the open interval (a boundary value
/// would make F infinite), σ positive, a mean anywhere within ±[`WORLD_LIMIT`].
pub fn coordinate_range(p: Param) -> (f64, f64) {
    match p {
        Param::Pi => (PI_EDGE, 1.0 - PI_EDGE),
        Param::Mu1 | Param::Mu2 => (-WORLD_LIMIT, WORLD_LIMIT),
        Param::Sigma1 | Param::Sigma2 => (SIGMA_FLOOR, WORLD_LIMIT),
    }
}

/// Closest a slice's π coordinate comes to 0 or 1.
pub const PI_EDGE: f64 = 1e-4;
/// Smallest σ a slice coordinate takes (handles, probe).
pub const SIGMA_FLOOR: f64 = 1e-3;

/// Where a held parameter's slider goes: π on the closed interval (π = 1 is one Gaussian, the
/// half-plane), σ on [`SIGMA_RANGE`], a mean within ±[`MEAN_SLIDER_LIMIT`].
pub fn held_range(p: Param) -> (f64, f64) {
    match p {
        Param::Pi => (0.0, 1.0),
        Param::Mu1 | Param::Mu2 => (-MEAN_SLIDER_LIMIT, MEAN_SLIDER_LIMIT),
        Param::Sigma1 | Param::Sigma2 => SIGMA_RANGE,
    }
}

/// Largest |μ| a held-parameter slider sets.
pub const MEAN_SLIDER_LIMIT: f64 = 10.0;

/// Defines an edit enum from its variants, and with it its kinds (one per variant, named in
/// `kinds`), their list and `kind()`: a new edit is one variant (and its arm in `apply`), and
/// the soak draws it at once. [`SceneEdit`] is one; a feature's own fine edits another
/// (`FlowEdit`).
macro_rules! edits {
    (
        $(#[$enum_meta:meta])*
        pub enum $Edit:ident, kinds $Kind:ident {
            $(
                $(#[$meta:meta])*
                $variant:ident
                $( ( $($tuple:ty),* ) )?
                $( { $( $(#[$field_meta:meta])* $field:ident : $field_ty:ty ),* $(,)? } )?
            ),* $(,)?
        }
    ) => {
        $(#[$enum_meta])*
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub enum $Edit {
            $(
                $(#[$meta])*
                $variant
                $( ( $($tuple),* ) )?
                $( { $( $(#[$field_meta])* $field : $field_ty ),* } )?
            ),*
        }

        #[doc = concat!(
            "The kind of a [`", stringify!($Edit), "`], without its values: what the soak ",
            "test draws from, so that a new edit is soaked as soon as it exists (its `match` ",
            "has no catch-all arm)."
        )]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[allow(missing_docs)] // each is the edit's variant of the same name
        pub enum $Kind {
            $($variant),*
        }

        impl $Kind {
            /// Every kind, in the edit's order.
            pub const ALL: &'static [$Kind] = &[$($Kind::$variant),*];
        }

        impl $Edit {
            /// This edit's kind.
            pub fn kind(&self) -> $Kind {
                match self {
                    $($Edit::$variant { .. } => $Kind::$variant),*
                }
            }
        }
    };
}

pub(crate) use edits;

edits! {
    /// One interactive change to a [`Scene`]: what a widget, a canvas gesture or a key asks for.
    /// [`Scene::apply`] carries it out, clamped to the UI's ranges.
    pub enum SceneEdit, kinds EditKind {
        /// The shared σ (σ1 = σ2 = σ, the seed's slider), clamped to [`SIGMA_RANGE`].
        SetSigma(f64),
        /// One parameter of the target model: a held parameter's slider (clamped to
        /// [`held_range`]) or, for a slice parameter, its coordinate (clamped to
        /// [`coordinate_range`]).
        SetParam(Param, f64),
        /// The canvas' slice; the view is refitted and the probe moved to the slice's default.
        /// π moves off 0 or 1 when it becomes a slice coordinate. On the policy plane it shows
        /// the mixture again.
        SetSlice(Slice),
        /// One of the six presets: model, slice, probe and view.
        ApplyPreset(Preset),
        /// The policy plane's system (None: back to the mixture); keys clamped to
        /// [`SYSTEM_RANGES`]; the probe moved to the plant's default and the view refitted when the
        /// family changes.
        SetSystem(Option<System>),
        /// Induced or profiled metric.
        SetMetric(Metric),
        /// Damping λ, clamped to [`DAMPING_RANGE`].
        SetDamping(f64),
        /// The target's slice coordinates (dragging either handle or a density-strip marker),
        /// each clamped to its [`coordinate_range`].
        SetTarget([f64; 2]),
        /// Place the probe (a click) or clear it (None); coordinates clamped like the target's.
        SetProbe(Option<[f64; 2]>),
        /// Grid density, clamped to [`MIN_GRID`]..=[`MAX_GRID`].
        SetGrid(u32),
        /// Quadrature nodes per component, made even and clamped to MIN_NODES..=MAX_NODES.
        SetNodes(u32),
        /// Ellipse display scale, clamped to [`ELLIPSE_SCALE_RANGE`].
        SetEllipseScale(f64),
        /// Which layers are drawn.
        SetLayers(Layers),
        /// One feature's settings, each value clamped to its range ([`Settings::clamped_for`]):
        /// the heatmap, the geodesics, the race, the estimates, the convergence map, the
        /// Cramér–Rao region, the K-FAC lab, the whole flow.
        SetFeature(FeatureEdit),
        /// Where the race starts (None: the probe); clamped like the probe.
        SetRaceStart(Option<[f64; 2]>),
        /// Which view the window shows.
        SetTab(Tab),
        /// One of the flow's settings ([`FlowEdit`], clamped to its widget's range).
        Flow(FlowEdit),
        /// Zoom by `factor` (> 1 zooms in) about `pixel` of a canvas of `size` pixels (wheel,
        /// pinch); the half-height stays in [`Camera::HALF_HEIGHT_RANGE`].
        ZoomAbout {
            /// Zoom factor; not a positive finite number: no change.
            factor: f64,
            /// The fixed point, pixels from the canvas' top-left corner.
            pixel: [f32; 2],
            /// Canvas size in pixels.
            size: [f32; 2],
        },
        /// Drag the view by `delta_px` on a canvas `height_px` tall.
        Pan {
            /// Pointer movement in pixels (y down).
            delta_px: [f32; 2],
            /// Canvas height in pixels.
            height_px: f32,
        },
        /// Frame both handles and the probe (F).
        FitView,
        /// Back to the default scene, keeping the grid density (R).
        Reset,
    }
}

impl SceneEdit {
    /// Sets one feature's settings: `SceneEdit::feature(race)` is
    /// `SceneEdit::SetFeature(FeatureEdit::Race(race))`.
    pub fn feature(settings: impl Into<FeatureEdit>) -> SceneEdit {
        SceneEdit::SetFeature(settings.into())
    }
}

/// The ranges the viewer offers for the policy plane's keys (its sliders; the soak's edits).
pub const SYSTEM_RANGES: [(&str, f64, f64); 9] = [
    ("dt", 0.005, 0.5),
    ("friction", 0.0, 5.0),
    ("omega2", 0.1, 100.0),
    ("q_pos", 0.01, 100.0),
    ("q_vel", 0.0, 100.0),
    ("r", 0.001, 100.0),
    ("x0_pos", 0.01, 100.0),
    ("x0_vel", 0.01, 100.0),
    ("exploration", 0.01, 10.0),
];

/// `system` with every key clamped to [`SYSTEM_RANGES`] (NaN to the default's value; ω²
/// dropped on the cart), so the result is always valid.
pub fn clamp_system(system: System) -> System {
    let d = System::new(system.plant);
    let range = |key: &str| {
        let (_, lo, hi) = SYSTEM_RANGES
            .iter()
            .find(|(k, _, _)| *k == key)
            .expect("every clamped key has a range");
        (*lo, *hi)
    };
    let c = |key: &str, v: f64, default: f64| clamp_f64(v, range(key), default);
    System {
        plant: system.plant,
        dt: system.dt.map(|v| c("dt", v, system.plant.default_dt())),
        friction: c("friction", system.friction, d.friction),
        omega2: match system.plant {
            crate::math::policy::Plant::Cart => None,
            crate::math::policy::Plant::Pendulum => system
                .omega2
                .map(|v| c("omega2", v, crate::math::policy::system::DEFAULT_OMEGA2)),
        },
        q_pos: c("q_pos", system.q_pos, d.q_pos),
        q_vel: c("q_vel", system.q_vel, d.q_vel),
        r: c("r", system.r, d.r),
        x0_pos: c("x0_pos", system.x0_pos, d.x0_pos),
        x0_vel: c("x0_vel", system.x0_vel, d.x0_vel),
        exploration: c("exploration", system.exploration, d.exploration),
    }
}

/// Slice coordinates `v` clamped to the model's domain ([`coordinate_range`] of each); None
/// when one is NaN.
pub(super) fn clamp_coords(slice: &Slice, v: [f64; 2]) -> Option<[f64; 2]> {
    if v.iter().any(|x| x.is_nan()) {
        return None;
    }
    let [a, b] = slice.params().map(coordinate_range);
    Some([v[0].clamp(a.0, a.1), v[1].clamp(b.0, b.1)])
}

/// `v` with each coordinate clamped to ±[`WORLD_LIMIT`]; None when one is NaN.
pub(super) fn clamp_world(v: [f64; 2]) -> Option<[f64; 2]> {
    v.iter()
        .all(|x| !x.is_nan())
        .then(|| v.map(|x| x.clamp(-WORLD_LIMIT, WORLD_LIMIT)))
}

/// `v` clamped to `range`, or `current` when `v` is NaN (a NaN from a widget changes nothing).
pub(crate) fn clamp_f64(v: f64, range: (f64, f64), current: f64) -> f64 {
    if v.is_nan() {
        current
    } else {
        v.clamp(range.0, range.1)
    }
}

impl Scene {
    /// A canvas point an edit may set (the race's start): on the mixture clamped to the
    /// slice's domain ([`clamp_coords`]); on the policy plane anywhere within the world's
    /// limits (a start outside the triangle runs no race). None when a coordinate is NaN.
    pub(crate) fn clamp_point(&self, p: [f64; 2]) -> Option<[f64; 2]> {
        match self.system {
            None => clamp_coords(&self.slice, p),
            Some(_) => p
                .iter()
                .all(|v| !v.is_nan())
                .then(|| p.map(|v| v.clamp(-WORLD_LIMIT, WORLD_LIMIT))),
        }
    }

    /// Applies one interactive edit, clamped to the UI's ranges; an edit with a NaN in it
    /// changes nothing. A scene that was valid stays valid.
    pub fn apply(&mut self, edit: SceneEdit) {
        use crate::math::quadrature::{MAX_NODES, MIN_NODES};
        match edit {
            SceneEdit::SetSigma(v) => {
                let sigma = clamp_f64(v, SIGMA_RANGE, self.model.sigma1);
                self.model.sigma1 = sigma;
                self.model.sigma2 = sigma;
            }
            SceneEdit::SetParam(p, v) => {
                let range = if self.slice.contains(p) {
                    coordinate_range(p)
                } else {
                    held_range(p)
                };
                self.model = self.model.with(p, clamp_f64(v, range, self.model.get(p)));
            }
            SceneEdit::SetSlice(slice) => {
                // Choosing one of the mixture's slices shows the mixture again.
                if slice.validate().is_ok() && (slice != self.slice || self.system.is_some()) {
                    self.system = None;
                    self.slice = slice;
                    if slice.contains(Param::Pi) {
                        let (lo, hi) = coordinate_range(Param::Pi);
                        self.model.pi = self.model.pi.clamp(lo, hi);
                    }
                    self.probe = Some(default_probe(&self.model, &slice));
                    self.fit_view();
                }
            }
            SceneEdit::ApplyPreset(preset) => match preset.system() {
                Some(system) => {
                    self.system = Some(system);
                    self.probe = Some(default_policy_probe(&system));
                    self.fit_view();
                }
                None => {
                    let (model, slice, probe) = preset.setup();
                    self.system = None;
                    self.model = model;
                    self.slice = slice;
                    self.probe = Some(probe);
                    self.fit_view();
                }
            },
            SceneEdit::SetSystem(None) => {
                if self.system.take().is_some() {
                    self.probe = Some(default_probe(&self.model, &self.slice));
                    self.fit_view();
                }
            }
            SceneEdit::SetSystem(Some(system)) => {
                let system = clamp_system(system);
                let family_changed = self.system.is_none();
                self.system = Some(system);
                // Coming from the mixture the probe's coordinates mean nothing here; on the
                // policy plane it stays where the user put it, inside the triangle or not.
                if family_changed {
                    self.probe = Some(default_policy_probe(&system));
                    self.fit_view();
                }
            }
            SceneEdit::SetMetric(metric) => self.metric = metric,
            SceneEdit::SetDamping(v) => self.damping = clamp_f64(v, DAMPING_RANGE, self.damping),
            // The policy plane's target K* is computed, not dragged.
            SceneEdit::SetTarget(_) if self.system.is_some() => {}
            // Anywhere on the policy plane (outside the triangle its rollout falls), within the
            // world's limits.
            SceneEdit::SetProbe(Some(p)) if self.system.is_some() => {
                if p.iter().all(|v| !v.is_nan()) {
                    self.probe = Some(p.map(|v| v.clamp(-WORLD_LIMIT, WORLD_LIMIT)));
                }
            }
            SceneEdit::SetTarget(t) => {
                if let Some(t) = clamp_coords(&self.slice, t) {
                    self.model = self.slice.place(&self.model, t);
                }
            }
            SceneEdit::SetProbe(None) => self.probe = None,
            SceneEdit::SetProbe(Some(p)) => {
                if let Some(p) = clamp_coords(&self.slice, p) {
                    self.probe = Some(p);
                }
            }
            SceneEdit::SetGrid(n) => self.grid = n.clamp(MIN_GRID, MAX_GRID),
            SceneEdit::SetNodes(n) => self.nodes = (n & !1).clamp(MIN_NODES, MAX_NODES),
            SceneEdit::SetEllipseScale(v) => {
                self.ellipse_scale = clamp_f64(v, ELLIPSE_SCALE_RANGE, self.ellipse_scale)
            }
            SceneEdit::SetLayers(layers) => self.layers = layers,
            SceneEdit::SetFeature(edit) => edit.apply(self),
            SceneEdit::SetRaceStart(None) => self.features.race.start = None,
            SceneEdit::SetRaceStart(Some(p)) => {
                if let Some(p) = self.clamp_point(p) {
                    self.features.race.start = Some(p);
                }
            }
            SceneEdit::SetTab(tab) => self.tab = tab,
            SceneEdit::Flow(edit) => edit.apply(&mut self.features.flow),
            SceneEdit::ZoomAbout {
                factor,
                pixel,
                size,
            } => self.camera.zoom_about(factor, pixel, size),
            SceneEdit::Pan {
                delta_px,
                height_px,
            } => self.camera.pan_pixels(delta_px, height_px),
            SceneEdit::FitView => self.fit_view(),
            SceneEdit::Reset => {
                *self = Scene {
                    grid: self.grid,
                    ..Scene::default()
                }
            }
        }
    }
}
