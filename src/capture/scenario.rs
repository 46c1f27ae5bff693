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
//! target = [0.4, 0.4]     # any of: sigma, target, probe, grid, ellipse_scale, damping,
//! sigma = 0.8             #   camera, flow, flow_mode, particles
//! ```
//!
//! Each field is its own track: the initial scene's value at time 0, then the keyframes that
//! set it. Numbers are interpolated linearly (σ, ellipse scale and camera zoom geometrically,
//! the grid rounded), switches (`flow`, `flow_mode`, `particles`) hold until the next key.

use serde::{Deserialize, Serialize};

use crate::scene::{Camera, FlowMode, Scene};

/// One keyframe: the time and whichever fields it sets.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keyframe {
    /// Seconds from the start.
    pub time: f64,
    /// σ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigma: Option<f64>,
    /// θ*.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<[f64; 2]>,
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
        scene.sigma = self.track(t, s0.sigma, |k| k.sigma, geometric);
        scene.target = self.track(t, s0.target, |k| k.target, linear2);
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
        let cam = self.track(
            t,
            [
                s0.camera.center[0],
                s0.camera.center[1],
                s0.camera.half_height,
            ],
            |k| k.camera.map(|c| [c.center[0], c.center[1], c.half_height]),
            |a, b, f| {
                [
                    linear(a[0], b[0], f),
                    linear(a[1], b[1], f),
                    geometric(a[2], b[2], f),
                ]
            },
        );
        scene.camera = Camera {
            center: [cam[0], cam[1]],
            half_height: cam[2],
        };
        scene.flow.enabled = self.hold(t, s0.flow.enabled, |k| k.flow);
        scene.flow.mode = self.hold(t, s0.flow.mode, |k| k.flow_mode);
        scene.flow.particles = self.hold(t, s0.flow.particles, |k| k.particles.map(Some));
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

/// a·(1 − f) + b·f: exact at both ends, so a keyframe's value is hit exactly at its time.
fn linear(a: f64, b: f64, f: f64) -> f64 {
    a * (1.0 - f) + b * f
}
fn linear2(a: [f64; 2], b: [f64; 2], f: f64) -> [f64; 2] {
    [linear(a[0], b[0], f), linear(a[1], b[1], f)]
}
fn geometric(a: f64, b: f64, f: f64) -> f64 {
    if a > 0.0 && b > 0.0 {
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
        assert_eq!(half.target, [-1.0, 1.0]);
        assert!(
            (half.sigma - 2.0).abs() < 1e-12,
            "σ is interpolated geometrically"
        );
        assert!(!half.flow.enabled, "switches hold until their key");
        let after = s.scene_at(1.5);
        assert_eq!(after.target, [0.0, 0.0]);
        assert!(after.flow.enabled);
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
