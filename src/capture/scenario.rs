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
//! target = [0.4, 0.4]     # θ* on the initial scene's slice (a `model` entry wins)
//! sigma = 0.8             # σ1 = σ2 (a `model` entry wins)
//! model = { pi = 0.2 }    # any of pi, mu1, mu2, sigma1, sigma2
//! heatmap = "loss"        # any key of the scene file: probe, grid, camera = { … }, …
//! race = { enabled = true, steps = 80 }   # a feature's settings, whole or in part
//! ball = true             # shorthands: ball, ball_radius, shortest_path (geodesics.…),
//! ball_radius = 1.5       #   flow = true (flow.enabled), flow_mode, particles (flow.…)
//! ```
//!
//! A keyframe is part of a scene file; every setting it names is its own track
//! ([`super::tracks`]): the initial scene's value at time 0, then the keyframes that set it.
//! Numbers are interpolated linearly (σ's, ellipse scale, the ball's radius and camera zoom
//! geometrically, the grid rounded), arrays of numbers element by element; other integers,
//! switches and names (`flow`, `flow_mode`, `particles`, `heatmap`, `ball`, `shortest_path`,
//! `slice`) hold until the next key. A scene between keys is loaded like a scene file, with its
//! clamps and checks.

use serde::{Deserialize, Serialize};

use toml::{Table, Value};

use super::tracks;
use crate::math::{Param, Slice};
use crate::scene::{BALL_RADIUS_RANGE, FlowMode, Scene};

/// One keyframe: the time and whichever settings it sets.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Keyframe {
    /// Seconds from the start.
    pub time: f64,
    /// σ1 = σ2 (files from before the general model; a `model` entry that gives a σ wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigma: Option<f64>,
    /// θ*'s coordinates on the initial scene's slice (a `model` entry for either wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<[f64; 2]>,
    /// `flow.mode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_mode: Option<FlowMode>,
    /// `flow.particles`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub particles: Option<u32>,
    /// `geodesics.ball`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ball: Option<bool>,
    /// `geodesics.radius` (within [`BALL_RADIUS_RANGE`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ball_radius: Option<f64>,
    /// `geodesics.shortest_path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shortest_path: Option<bool>,
    /// Any other key of the scene file, as it writes it (`probe`, `grid`, `camera = { … }`,
    /// `model = { … }`, `[keyframes.race]`, …); `flow = true` is `flow.enabled`.
    #[serde(flatten)]
    pub settings: Table,
}

impl Keyframe {
    /// The settings this key sets, as a partial scene tree (the shorthands written out;
    /// `slice` is the initial scene's, which `target` refers to).
    fn tree(&self, slice: Slice) -> Table {
        let mut tree = self.settings.clone();
        if let Some(&Value::Boolean(on)) = tree.get("flow") {
            tree.remove("flow");
            tracks::set(&mut tree, "flow.enabled", Some(Value::Boolean(on)));
        }
        let mut shorthand = |path: &str, value: Option<Value>| {
            if value.is_some() && tracks::get(&tree, path).is_none() {
                tracks::set(&mut tree, path, value);
            }
        };
        let name = |mode: FlowMode| Value::try_from(mode).ok();
        shorthand("flow.mode", self.flow_mode.and_then(name));
        shorthand(
            "flow.particles",
            self.particles.map(|n| Value::Integer(n.into())),
        );
        shorthand("geodesics.ball", self.ball.map(Value::Boolean));
        shorthand("geodesics.radius", self.ball_radius.map(Value::Float));
        shorthand(
            "geodesics.shortest_path",
            self.shortest_path.map(Value::Boolean),
        );
        for p in [Param::Sigma1, Param::Sigma2] {
            shorthand(&format!("model.{}", p.name()), self.sigma.map(Value::Float));
        }
        if let Some(t) = self.target {
            for (p, v) in slice.params().into_iter().zip(t) {
                shorthand(&format!("model.{}", p.name()), Some(Value::Float(v)));
            }
        }
        tree
    }
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
        let timeline = self.timeline();
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
            // The scene file clamps a radius; a key out of range is a mistake to report.
            let tree = key.tree(self.scene.slice);
            if let Some(r) = tracks::get(&tree, "geodesics.radius").map(|v| {
                v.as_float()
                    .or_else(|| v.as_integer().map(|i| i as f64))
                    .unwrap_or(f64::NAN)
            }) && !(r.is_finite() && r >= BALL_RADIUS_RANGE.0 && r <= BALL_RADIUS_RANGE.1)
            {
                let name = if key.ball_radius.is_some() {
                    "ball_radius"
                } else {
                    "geodesics.radius"
                };
                return Err(format!(
                    "keyframes[{i}].{name}: must be a Fisher–Rao radius from {} to {}, got {r}",
                    BALL_RADIUS_RANGE.0, BALL_RADIUS_RANGE.1
                ));
            }
            timeline
                .try_scene_at(key.time)
                .map_err(|e| format!("keyframes[{i}] (time {}): {e}", key.time))?;
        }
        Ok(())
    }

    /// The scene at time `t` (seconds); for many times, [`Self::timeline`] builds the tracks
    /// once.
    pub fn scene_at(&self, t: f64) -> Scene {
        self.timeline().scene_at(t)
    }

    /// The scenario's scenes over time, its tracks built once.
    pub fn timeline(&self) -> Timeline<'_> {
        let keys: Vec<(f64, Table)> = self
            .keyframes
            .iter()
            .map(|k| (k.time, k.tree(self.scene.slice)))
            .collect();
        Timeline {
            scenario: self,
            tracks: tracks::Tracks::new(tracks::scene_tree(&self.scene), &keys),
        }
    }
}

/// A scenario's scenes over time ([`Scenario::timeline`]).
pub struct Timeline<'s> {
    scenario: &'s Scenario,
    tracks: tracks::Tracks,
}

impl Timeline<'_> {
    /// The scene at time `t` (seconds). Between keys every setting lies between values
    /// [`Scenario::validate`] loaded; where a joint condition still fails there (a probe
    /// between two points of the model that leaves it), the scene of the last key before `t`
    /// holds.
    pub fn scene_at(&self, t: f64) -> Scene {
        self.try_scene_at(t).unwrap_or_else(|_| {
            let last = self
                .scenario
                .keyframes
                .iter()
                .rev()
                .find(|k| k.time <= t)
                .map_or(0.0, |k| k.time);
            self.try_scene_at(last)
                .unwrap_or_else(|_| self.scenario.scene.clone())
        })
    }

    /// The scene at time `t`, or why the settings then do not make one.
    fn try_scene_at(&self, t: f64) -> Result<Scene, String> {
        tracks::tree_scene(self.tracks.tree_at(t))
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
        assert!(!half.features.flow.enabled, "switches hold until their key");
        let after = s.scene_at(1.5);
        assert_eq!(after.target(), [0.0, 0.0]);
        assert!(after.features.flow.enabled);
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

    /// Any setting of the scene file is a track: a feature's (the race, the convergence map)
    /// and the policy plane's (its exploration σ), each moving by its kind.
    #[test]
    fn keyframes_animate_any_setting_of_the_scene_file() {
        let s = Scenario::parse(
            r#"
duration = 2.0
[scene]
probe = [30.0, 5.0]
[scene.system]
plant = "pendulum"
exploration = 0.5
[[keyframes]]
time = 2.0
probe = [40.0, 7.0]
system = { exploration = 1.5 }
race = { enabled = true, steps = 80 }
convergence = { lr_gd = 0.9 }
"#,
        )
        .unwrap();
        let (start, half, end) = (s.scene_at(0.0), s.scene_at(1.0), s.scene_at(2.0));
        let exploration = |scene: &Scene| scene.system.unwrap().exploration;
        assert_eq!((exploration(&start), exploration(&end)), (0.5, 1.5));
        assert!(
            (exploration(&half) - 1.0).abs() < 1e-12,
            "{}",
            exploration(&half)
        );
        assert_eq!(half.probe, Some([35.0, 6.0]));
        let lr = start.features.convergence.lr_gd;
        assert!((half.features.convergence.lr_gd - 0.5 * (lr + 0.9)).abs() < 1e-12);
        assert_eq!(end.features.convergence.lr_gd, 0.9);
        // Switches and counts hold until their key.
        assert!(!half.features.race.enabled && end.features.race.enabled);
        assert_eq!(
            (half.features.race.steps, end.features.race.steps),
            (start.features.race.steps, 80)
        );
        // A key names a setting the scene file does not have: the error says which.
        let typo = Scenario::parse(
            "duration = 1.0\n[[keyframes]]\ntime = 0.5\nrace = { enable = true }\n",
        )
        .unwrap_err();
        assert!(
            typo.contains("keyframes[0]") && typo.contains("enable"),
            "{typo}"
        );
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
