//! Capture scenarios: an initial scene plus keyframes in time, in TOML.
//!
//! ```toml
//! duration = 6.0          # seconds
//! fps = 30
//! width = 1280            # pixels; --width/--height/--fps override
//! height = 720
//! overlay = true          # labels and legends over the plane
//!
//! [scene]                 # the initial scene: the same TOML the viewer's "save scene" writes
//! sigma = 1.0
//! target = [-2.0, 2.0]
//!
//! [[keyframes]]
//! time = 4.0
//! target = [0.4, 0.4]     # any of: sigma, target, model, probe, grid, ellipse_scale,
//! sigma = 0.8             #   damping, camera, flow, flow_mode, particles, heatmap, ball,
//! model = { pi = 0.2 }    #   ball_radius, shortest_path
//!                         # (model: any of pi, mu1, mu2, sigma1, sigma2)
//! heatmap = "loss"        # none, log10_kappa, jeffreys, loss, angle, natgrad_norm, ef_gap
//! ball = true             # the geodesic ball at the probe,
//! ball_radius = 1.5       #   its Fisher–Rao radius
//! shortest_path = true    # the shortest paths from the probe to θ* and its twin
//! ```
//!
//! The scene may name a general model and slice (`[scene.model]`, `slice = ["pi", "mu1"]`);
//! the slice is fixed for the whole capture. Each field is its own track, and each of the
//! model's five parameters is one: the initial scene's value at time 0, then the keyframes that
//! set it (`target` sets the two slice parameters, `sigma` both σ's). Numbers are interpolated
//! linearly (σ's, ellipse scale, the ball's radius and camera zoom geometrically, the grid
//! rounded), switches (`flow`, `flow_mode`, `particles`, `heatmap`, `ball`, `shortest_path`)
//! hold until the next key.

use serde::{Deserialize, Serialize};

use crate::math::Param;
use crate::scene::{BALL_RADIUS_RANGE, Camera, FlowMode, Heatmap, Scene};

/// Some of the model's five parameters (a keyframe's `model = { … }`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelKey {
    /// π.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pi: Option<f64>,
    /// μ1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mu1: Option<f64>,
    /// μ2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mu2: Option<f64>,
    /// σ1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigma1: Option<f64>,
    /// σ2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigma2: Option<f64>,
}

impl ModelKey {
    /// The value this key sets for `p`, if any.
    pub fn get(&self, p: Param) -> Option<f64> {
        // In `Param::index` order, as `Model::to_array`.
        [self.pi, self.mu1, self.mu2, self.sigma1, self.sigma2][p.index()]
    }
}

/// One keyframe: the time and whichever fields it sets.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keyframe {
    /// Seconds from the start.
    pub time: f64,
    /// σ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigma: Option<f64>,
    /// θ*'s slice coordinates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<[f64; 2]>,
    /// Any of the model's parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelKey>,
    /// Probe position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<[f64; 2]>,
    /// Grid density.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grid: Option<u32>,
    /// Ellipse display scale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ellipse_scale: Option<f64>,
    /// Damping λ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub damping: Option<f64>,
    /// The view.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub camera: Option<Camera>,
    /// Flow on or off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow: Option<bool>,
    /// Flow mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow_mode: Option<FlowMode>,
    /// Particle count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub particles: Option<u32>,
    /// The heatmap shown (a switch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heatmap: Option<Heatmap>,
    /// The geodesic ball on or off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ball: Option<bool>,
    /// The ball's Fisher–Rao radius (within [`BALL_RADIUS_RANGE`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ball_radius: Option<f64>,
    /// The shortest paths on or off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shortest_path: Option<bool>,
}

/// A whole scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Length in seconds.
    pub duration: f64,
    /// Frames per second.
    #[serde(default = "default_fps")]
    pub fps: u32,
    /// Frame width in pixels.
    #[serde(default = "default_width")]
    pub width: u32,
    /// Frame height in pixels.
    #[serde(default = "default_height")]
    pub height: u32,
    /// Draw the overlay (tick labels, legends, the probe's angle).
    #[serde(default = "default_overlay")]
    pub overlay: bool,
    /// The initial scene.
    #[serde(default)]
    pub scene: Scene,
    /// Keyframes, in time order.
    #[serde(default)]
    pub keyframes: Vec<Keyframe>,
}

fn default_fps() -> u32 {
    30
}
fn default_width() -> u32 {
    1280
}
fn default_height() -> u32 {
    720
}
fn default_overlay() -> bool {
    true
}

/// Limits of the frame size.
pub const SIZE_RANGE: (u32, u32) = (16, 4096);
/// Limits of the frame rate.
pub const FPS_RANGE: (u32, u32) = (1, 240);
/// Longest scenario in seconds.
pub const MAX_DURATION: f64 = 600.0;

impl Scenario {
    /// Parses TOML; errors name the line and the field.
    pub fn parse(text: &str) -> Result<Self, String> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| e.to_string())?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// Number of frames: duration × fps, at least one.
    pub fn frame_count(&self) -> u32 {
        ((self.duration * self.fps as f64).round() as u32).max(1)
    }

    /// Checks ranges, the keyframe order, and every keyframe's scene.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.duration.is_finite() && self.duration > 0.0 && self.duration <= MAX_DURATION) {
            return Err(format!(
                "duration: must be in (0, {MAX_DURATION}] seconds, got {}",
                self.duration
            ));
        }
        if !(FPS_RANGE.0..=FPS_RANGE.1).contains(&self.fps) {
            return Err(format!(
                "fps: must be from {} to {}, got {}",
                FPS_RANGE.0, FPS_RANGE.1, self.fps
            ));
        }
        for (name, v) in [("width", self.width), ("height", self.height)] {
            if !(SIZE_RANGE.0..=SIZE_RANGE.1).contains(&v) {
                return Err(format!(
                    "{name}: must be from {} to {} pixels, got {v}",
                    SIZE_RANGE.0, SIZE_RANGE.1
                ));
            }
        }
        self.scene.validate().map_err(|e| format!("scene.{e}"))?;
        let mut previous = f64::NEG_INFINITY;
        for (i, key) in self.keyframes.iter().enumerate() {
            if !(key.time.is_finite() && key.time >= 0.0 && key.time <= self.duration) {
                return Err(format!(
                    "keyframes[{i}].time: must be within 0..={} seconds, got {}",
                    self.duration, key.time
                ));
            }
            if key.time < previous {
                return Err(format!(
                    "keyframes[{i}].time: keyframes must be in time order ({} < {previous})",
                    key.time
                ));
            }
            previous = key.time;
            if let Some(r) = key.ball_radius
                && !(r.is_finite() && r >= BALL_RADIUS_RANGE.0 && r <= BALL_RADIUS_RANGE.1)
            {
                return Err(format!(
                    "keyframes[{i}].ball_radius: must be a Fisher–Rao radius from {} to {}, got {r}",
                    BALL_RADIUS_RANGE.0, BALL_RADIUS_RANGE.1
                ));
            }
            self.scene_at(key.time)
                .validate()
                .map_err(|e| format!("keyframes[{i}] (time {}): {e}", key.time))?;
        }
        Ok(())
    }

    /// The scene at time `t` (seconds).
    pub fn scene_at(&self, t: f64) -> Scene {
        let mut scene = self.scene.clone();
        let s0 = &self.scene;
        // One track per model parameter; a key's `model` entry wins over its `target` (the
        // slice parameters) and `sigma` (both σ's).
        let slice = s0.slice;
        for p in Param::ALL {
            let key_value = |k: &Keyframe| {
                k.model.and_then(|m| m.get(p)).or_else(|| {
                    let from_target = slice
                        .params()
                        .iter()
                        .position(|&q| q == p)
                        .and_then(|i| k.target.map(|t| t[i]));
                    let from_sigma = matches!(p, Param::Sigma1 | Param::Sigma2)
                        .then_some(k.sigma)
                        .flatten();
                    from_target.or(from_sigma)
                })
            };
            let mix = match p {
                Param::Sigma1 | Param::Sigma2 => geometric,
                _ => linear,
            };
            let v = self.track(t, s0.model.get(p), key_value, mix);
            scene.model = scene.model.with(p, v);
        }
        // The probe appears with the initial scene or its first key, then moves between keys.
        let first_probe = s0
            .probe
            .or_else(|| self.keyframes.iter().find_map(|k| k.probe));
        let shown = s0.probe.is_some()
            || self
                .keyframes
                .iter()
                .any(|k| k.probe.is_some() && k.time <= t);
        scene.probe = first_probe
            .filter(|_| shown)
            .map(|p0| self.track(t, p0, |k| k.probe, linear2));
        scene.grid = self
            .track(t, s0.grid as f64, |k| k.grid.map(f64::from), linear)
            .round() as u32;
        scene.ellipse_scale = self.track(t, s0.ellipse_scale, |k| k.ellipse_scale, geometric);
        scene.damping = self.track(t, s0.damping, |k| k.damping, linear);
        let c0 = &s0.camera;
        let cam = self.track(
            t,
            [c0.center[0], c0.center[1], c0.half_height, c0.x_per_y],
            |k| {
                k.camera
                    .map(|c| [c.center[0], c.center[1], c.half_height, c.x_per_y])
            },
            |a, b, f| {
                [
                    linear(a[0], b[0], f),
                    linear(a[1], b[1], f),
                    geometric(a[2], b[2], f),
                    geometric(a[3], b[3], f),
                ]
            },
        );
        scene.camera = Camera {
            center: [cam[0], cam[1]],
            half_height: cam[2],
            x_per_y: cam[3],
        };
        scene.flow.enabled = self.hold(t, s0.flow.enabled, |k| k.flow);
        scene.flow.mode = self.hold(t, s0.flow.mode, |k| k.flow_mode);
        scene.flow.particles = self.hold(t, s0.flow.particles, |k| k.particles.map(Some));
        scene.heatmap = self.hold(t, s0.heatmap, |k| k.heatmap);
        let g0 = &s0.geodesics;
        scene.geodesics.ball = self.hold(t, g0.ball, |k| k.ball);
        scene.geodesics.radius = self.track(t, g0.radius, |k| k.ball_radius, geometric);
        scene.geodesics.shortest_path = self.hold(t, g0.shortest_path, |k| k.shortest_path);
        scene
    }

    /// A continuous track: the initial value at 0, then the keys that set it, interpolated.
    fn track<T: Copy>(
        &self,
        t: f64,
        initial: T,
        get: impl Fn(&Keyframe) -> Option<T>,
        mix: impl Fn(T, T, f64) -> T,
    ) -> T {
        let mut before = (0.0, initial);
        for key in &self.keyframes {
            let Some(value) = get(key) else { continue };
            if key.time >= t {
                let span = key.time - before.0;
                let f = if span > 0.0 {
                    (t - before.0) / span
                } else {
                    1.0
                };
                return mix(before.1, value, f.clamp(0.0, 1.0));
            }
            before = (key.time, value);
        }
        before.1
    }

    /// A switch: the last value set at or before `t`.
    fn hold<T: Copy>(&self, t: f64, initial: T, get: impl Fn(&Keyframe) -> Option<T>) -> T {
        self.keyframes
            .iter()
            .filter(|k| k.time <= t)
            .filter_map(&get)
            .last()
            .unwrap_or(initial)
    }
}

/// a·(1 − f) + b·f: exact at both ends, so a keyframe's value is hit exactly at its time, and
/// exactly a between equal ends (so a held π = ½ stays the seed's and keeps the seed kernel).
fn linear(a: f64, b: f64, f: f64) -> f64 {
    if a == b {
        return a;
    }
    a * (1.0 - f) + b * f
}
fn linear2(a: [f64; 2], b: [f64; 2], f: f64) -> [f64; 2] {
    [linear(a[0], b[0], f), linear(a[1], b[1], f)]
}
fn geometric(a: f64, b: f64, f: f64) -> f64 {
    if a == b {
        a
    } else if a > 0.0 && b > 0.0 {
        a * (b / a).powf(f)
    } else {
        linear(a, b, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASIC: &str = r#"
duration = 2.0
fps = 10
[scene]
sigma = 1.0
target = [-2.0, 2.0]
[[keyframes]]
time = 1.0
target = [0.0, 0.0]
sigma = 4.0
flow = true
"#;

    #[test]
    fn tracks_interpolate_and_hold() {
        let s = Scenario::parse(BASIC).unwrap();
        assert_eq!(s.frame_count(), 20);
        let half = s.scene_at(0.5);
        assert_eq!(half.target(), [-1.0, 1.0]);
        assert!(
            (half.model.sigma1 - 2.0).abs() < 1e-12 && half.model.sigma2 == half.model.sigma1,
            "σ is interpolated geometrically, both σ's"
        );
        assert!(!half.flow.enabled, "switches hold until their key");
        let after = s.scene_at(1.5);
        assert_eq!(after.target(), [0.0, 0.0]);
        assert!(after.flow.enabled);
    }

    #[test]
    fn keyframes_animate_any_model_parameter_on_any_slice() {
        let s = Scenario::parse(
            r#"
duration = 2.0
[scene]
slice = ["pi", "mu1"]
model = { pi = 0.6, mu1 = -1.0, mu2 = 1.5 }
[[keyframes]]
time = 2.0
model = { pi = 0.2, sigma2 = 4.0 }
target = [0.9, 3.0]
"#,
        )
        .unwrap();
        let half = s.scene_at(1.0);
        // π from the key's model entry (it wins over target[0]); μ1 from target[1]; σ2
        // geometric from 1 to 4; μ2 and σ1 untouched.
        assert!((half.model.pi - 0.4).abs() < 1e-12, "{:?}", half.model);
        assert!((half.model.mu1 - 1.0).abs() < 1e-12);
        assert!((half.model.sigma2 - 2.0).abs() < 1e-12);
        assert_eq!((half.model.mu2, half.model.sigma1), (1.5, 1.0));
        assert_eq!(half.slice.to_string(), "pi,mu1");
        let bad = Scenario::parse(
            "duration = 1.0\n[[keyframes]]\ntime = 0.5\nmodel = { sigma3 = 1.0 }\n",
        )
        .unwrap_err();
        assert!(bad.contains("sigma3"), "{bad}");
    }

    #[test]
    fn errors_name_the_line_or_field() {
        let unknown = Scenario::parse("duration = 1.0\nsigmaa = 2.0\n").unwrap_err();
        assert!(
            unknown.contains("line 2") && unknown.contains("sigmaa"),
            "{unknown}"
        );
        let range = Scenario::parse("duration = 1.0\n[scene]\nsigma = -1.0\n").unwrap_err();
        assert!(range.contains("sigma"), "{range}");
        let key =
            Scenario::parse("duration = 1.0\n[[keyframes]]\ntime = 0.5\ngrid = 2\n").unwrap_err();
        assert!(
            key.contains("keyframes[0]") && key.contains("grid"),
            "{key}"
        );
        let order = Scenario::parse(
            "duration = 2.0\n[[keyframes]]\ntime = 1.5\n[[keyframes]]\ntime = 0.5\n",
        )
        .unwrap_err();
        assert!(order.contains("keyframes[1].time"), "{order}");
    }
}
