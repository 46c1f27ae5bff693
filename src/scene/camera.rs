//! The 2-D view of a slice plane: centre, zoom, the axes' relative scale, and framing a
//! slice's interesting points.

use super::*;

/// The 2-D view of a slice plane. World coordinates are slice coordinates (the values of the
/// slice's two parameters). One pixel spans `x_per_y` times as much along the horizontal axis
/// as along the vertical one: 1 (equal scaling) where both axes share units, e.g. (μ1, μ2) or
/// the half-plane (μ1, σ1); chosen to fit where they do not, e.g. (π, μ1).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Camera {
    /// World point at the centre of the canvas.
    pub center: [f64; 2],
    /// Half the visible extent along the vertical axis (world units); the horizontal extent
    /// follows the aspect and `x_per_y`.
    pub half_height: f64,
    /// Horizontal world units per vertical world unit on screen (1 = equal scaling; absent in
    /// a file = 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub x_per_y: f64,
}

pub(super) fn one() -> f64 {
    1.0
}

pub(super) fn is_one(v: &f64) -> bool {
    *v == 1.0
}

impl Default for Camera {
    fn default() -> Self {
        Self {
            center: [0.0, 0.0],
            half_height: 4.0,
            x_per_y: 1.0,
        }
    }
}

impl Camera {
    /// Smallest and largest half-height the camera zooms to. Deep enough for the floating-origin
    /// tests (1e-5 around (3, −2), 1e-3 around (300, −200)) with a decade to spare, and out to
    /// where the whole plane the coordinates may reach ([`WORLD_LIMIT`]) fits in the view.
    pub const HALF_HEIGHT_RANGE: (f64, f64) = (1e-6, 1e6);

    /// Range of [`Camera::x_per_y`]: wide enough for π (0..1) beside a mean spanning 1e4.
    pub const X_PER_Y_RANGE: (f64, f64) = (1e-6, 1e6);

    /// The same camera with its half-height in [`Camera::HALF_HEIGHT_RANGE`] and its centre
    /// within ±[`WORLD_LIMIT`] (non-finite values fall back to the default camera's).
    pub fn clamped(self) -> Self {
        let fallback = Camera::default();
        let half_height = if self.half_height.is_finite() {
            self.half_height
                .clamp(Self::HALF_HEIGHT_RANGE.0, Self::HALF_HEIGHT_RANGE.1)
        } else {
            fallback.half_height
        };
        let x_per_y = if self.x_per_y.is_finite() {
            self.x_per_y
                .clamp(Self::X_PER_Y_RANGE.0, Self::X_PER_Y_RANGE.1)
        } else {
            1.0
        };
        Self {
            center: clamp_world(self.center).unwrap_or(fallback.center),
            half_height,
            x_per_y,
        }
    }

    /// Vertical world units per physical pixel for a canvas `height_px` tall (the horizontal
    /// ones are this times `x_per_y`: [`Camera::world_per_pixel_xy`]).
    pub fn world_per_pixel(&self, height_px: f32) -> f64 {
        2.0 * self.half_height / height_px.max(1.0) as f64
    }

    /// World units per physical pixel along x and y.
    pub fn world_per_pixel_xy(&self, height_px: f32) -> [f64; 2] {
        let s = self.world_per_pixel(height_px);
        [s * self.x_per_y, s]
    }

    /// The visible rectangle (min, max corners) for a canvas of `size_px`.
    pub fn visible_rect(&self, size_px: [f32; 2]) -> ([f64; 2], [f64; 2]) {
        let aspect = size_px[0].max(1.0) as f64 / size_px[1].max(1.0) as f64;
        let half = [self.half_height * aspect * self.x_per_y, self.half_height];
        (
            [self.center[0] - half[0], self.center[1] - half[1]],
            [self.center[0] + half[0], self.center[1] + half[1]],
        )
    }

    /// Pixel (origin top-left, y down) to world.
    pub fn pixel_to_world(&self, pixel: [f32; 2], size_px: [f32; 2]) -> [f64; 2] {
        let s = self.world_per_pixel_xy(size_px[1]);
        [
            self.center[0] + (pixel[0] as f64 - 0.5 * size_px[0] as f64) * s[0],
            self.center[1] - (pixel[1] as f64 - 0.5 * size_px[1] as f64) * s[1],
        ]
    }

    /// World to pixel (origin top-left, y down).
    pub fn world_to_pixel(&self, world: [f64; 2], size_px: [f32; 2]) -> [f32; 2] {
        let s = self.world_per_pixel_xy(size_px[1]);
        [
            ((world[0] - self.center[0]) / s[0] + 0.5 * size_px[0] as f64) as f32,
            (-(world[1] - self.center[1]) / s[1] + 0.5 * size_px[1] as f64) as f32,
        ]
    }

    /// Zooms by `factor` (> 1 zooms in) keeping the world point under `pixel` fixed, within
    /// [`Camera::HALF_HEIGHT_RANGE`]; a factor that is not a positive finite number is ignored.
    pub fn zoom_about(&mut self, factor: f64, pixel: [f32; 2], size_px: [f32; 2]) {
        if !(factor.is_finite() && factor > 0.0 && pixel.iter().all(|p| p.is_finite())) {
            return;
        }
        let anchor = self.pixel_to_world(pixel, size_px);
        self.half_height =
            (self.half_height / factor).clamp(Self::HALF_HEIGHT_RANGE.0, Self::HALF_HEIGHT_RANGE.1);
        let moved = self.pixel_to_world(pixel, size_px);
        self.center[0] += anchor[0] - moved[0];
        self.center[1] += anchor[1] - moved[1];
        *self = self.clamped();
    }

    /// Moves the view by a pixel delta (dragging the canvas by `delta_px` moves the world with
    /// the pointer); the centre stops at ±[`WORLD_LIMIT`].
    pub fn pan_pixels(&mut self, delta_px: [f32; 2], height_px: f32) {
        if !delta_px.iter().all(|d| d.is_finite()) {
            return;
        }
        let s = self.world_per_pixel_xy(height_px);
        self.center[0] -= delta_px[0] as f64 * s[0];
        self.center[1] += delta_px[1] as f64 * s[1];
        *self = self.clamped();
    }

    /// A camera showing both handles and the diagonal between them with a margin.
    pub fn fit(target: [f64; 2], sigma: f64, probe: Option<[f64; 2]>) -> Self {
        let mut lo = [target[0].min(target[1]), target[0].min(target[1])];
        let mut hi = [target[0].max(target[1]), target[0].max(target[1])];
        if let Some(p) = probe {
            lo = [lo[0].min(p[0]), lo[1].min(p[1])];
            hi = [hi[0].max(p[0]), hi[1].max(p[1])];
        }
        let margin = 2.5 * sigma;
        let half = (0.5 * (hi[0] - lo[0]).max(hi[1] - lo[1]) + margin).max(1e-3);
        Self {
            center: [0.5 * (lo[0] + hi[0]), 0.5 * (lo[1] + hi[1])],
            half_height: half,
            x_per_y: 1.0,
        }
        .clamped()
    }

    /// A camera for any slice: each axis spans the handles, the twin and the probe with a
    /// margin in that parameter's own units (2.5 σ for a mean, σ/2 for a σ, the whole open
    /// interval for π), and `x_per_y` is 1 where both axes share units (means and σ's are
    /// lengths; π is a number) or else fits both spans into a canvas of aspect
    /// [`NOMINAL_ASPECT`]. The seed's slice gets [`Camera::fit`].
    pub fn fit_slice(model: &Model, slice: &Slice, probe: Option<[f64; 2]>) -> Self {
        if slice.is_seed() && model.sigma1 == model.sigma2 {
            let t = slice.coords(model);
            return Self::fit(t, model.sigma1, probe);
        }
        let t = slice.coords(model);
        let twin = slice.twin(model, model);
        let scale = model.sigma1.max(model.sigma2);
        let span = |k: usize, p: Param| -> (f64, f64) {
            let mut values = vec![t[k]];
            values.extend(twin.map(|w| w[k]));
            values.extend(probe.map(|q| q[k]));
            let lo = values.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            match p {
                Param::Pi => (-0.05, 1.05),
                Param::Mu1 | Param::Mu2 => (lo - 2.5 * scale, hi + 2.5 * scale),
                // σ from just below 0 (so the model's edge shows) to past the handles.
                Param::Sigma1 | Param::Sigma2 => (-0.15 * hi, hi + 0.6 * scale),
            }
        };
        let (x0, x1) = span(0, slice.a);
        let (y0, y1) = span(1, slice.b);
        let shares_units = (slice.a == Param::Pi) == (slice.b == Param::Pi);
        let (half_x, half_y) = (0.5 * (x1 - x0), 0.5 * (y1 - y0));
        let (half_height, x_per_y) = if shares_units {
            // Equal scaling: the larger of the two spans decides.
            (half_y.max(half_x / NOMINAL_ASPECT), 1.0)
        } else {
            (half_y, half_x / (half_y * NOMINAL_ASPECT))
        };
        let half_width = half_height * NOMINAL_ASPECT * x_per_y;
        // An axis whose span grew to keep equal scaling grows away from the model's edge: a σ
        // axis keeps its low end (just below σ = 0) and extends upwards, instead of showing
        // as much outside the model as inside.
        let center = |lo: f64, hi: f64, half: f64, p: Param| match p {
            Param::Sigma1 | Param::Sigma2 => lo + half,
            _ => 0.5 * (lo + hi),
        };
        Self {
            center: [
                center(x0, x1, half_width, slice.a),
                center(y0, y1, half_height, slice.b),
            ],
            half_height: half_height.max(1e-3),
            x_per_y,
        }
        .clamped()
    }
}

/// The canvas aspect (width/height) [`Camera::fit_slice`] plans for when the axes do not share
/// units: about the viewer's canvas at its default window size.
pub const NOMINAL_ASPECT: f64 = 1.4;
