//! What the app does for the panels' commands: screenshots, scene files, the K-FAC lab's
//! restart, recordings (saved as scenarios, rendered to GIFs).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, anyhow};

use super::app::App;
use super::command::Command;
use crate::capture::output::write_atomically;
use crate::render::canvas::Image;
use crate::scene::Scene;

/// A live session being recorded: the scene at each frame, with its time.
pub(super) struct Recording {
    started: Instant,
    snapshots: Vec<(f64, Scene)>,
}

impl App {
    /// The UI's commands for the app this frame (its scene edits are already applied): the
    /// screenshot, scene save/load and recording; and the recording's snapshot of this frame.
    pub(super) fn handle_commands(&mut self, commands: Vec<Command>) {
        let Some(gfx) = &self.gfx else { return };
        let ctx = gfx.egui_ctx.clone();
        let path = PathBuf::from(&self.ui_state.scene_path);
        let wants = |c: Command| commands.contains(&c);
        if wants(Command::Screenshot) {
            self.screenshot_pending = true;
        }
        if wants(Command::RestartLab)
            && let Some(gfx) = &mut self.gfx
        {
            gfx.frames
                .scene_renderer_mut()
                .simulation_mut()
                .jobs_mut()
                .restart_lab();
        }
        if wants(Command::SaveScene) {
            let result = toml::to_string(&self.scene)
                .map_err(anyhow::Error::from)
                .and_then(|text| write_atomically(&path, text.as_bytes()));
            let message = match result {
                Ok(()) => format!("scene saved to {}", path.display()),
                Err(e) => format!("could not save the scene: {e:#}"),
            };
            self.ui_state.toast(&ctx, message);
        }
        if wants(Command::LoadScene) {
            match Scene::load(&path) {
                Ok(scene) => {
                    self.scene = scene;
                    self.ui_state
                        .toast(&ctx, format!("scene loaded from {}", path.display()));
                }
                Err(e) => self
                    .ui_state
                    .toast(&ctx, format!("could not load the scene: {e:#}")),
            }
        }
        if let Some(recording) = &mut self.recording {
            recording.snapshots.push((
                recording.started.elapsed().as_secs_f64(),
                self.scene.clone(),
            ));
        }
        if wants(Command::ToggleRecording) {
            match self.recording.take() {
                None => {
                    self.recording = Some(Recording {
                        started: Instant::now(),
                        snapshots: vec![(0.0, self.scene.clone())],
                    });
                    self.ui_state
                        .toast(&ctx, "recording… press V again to stop");
                }
                Some(recording) => {
                    let message = match self.finish_recording(recording) {
                        Ok(message) => message,
                        Err(e) => format!("recording failed: {e:#}"),
                    };
                    self.ui_state.toast(&ctx, message);
                }
            }
        }
        self.ui_state.recording = self.recording.is_some();
    }

    /// Saves a recording as a scenario and renders it to a GIF with the capture pipeline.
    fn finish_recording(&mut self, recording: Recording) -> anyhow::Result<String> {
        let gfx = self.gfx.as_ref().ok_or_else(|| anyhow!("no GPU"))?;
        let size = gfx.canvas.size;
        // Even sizes, at most 1280 wide, same aspect as the canvas.
        let scale = (1280.0 / size[0] as f64).min(1.0);
        let even = |v: f64| ((v / 2.0).round() as u32 * 2).max(16);
        let scenario = recording_scenario(
            &recording.snapshots,
            [even(size[0] as f64 * scale), even(size[1] as f64 * scale)],
        );
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let toml_path = PathBuf::from(format!("fisherflow-rec-{stamp}.toml"));
        let gif_path = toml_path.with_extension("gif");
        write_atomically(&toml_path, toml::to_string(&scenario)?.as_bytes())?;
        let summary = crate::capture::capture(
            &gfx.ctx,
            &scenario,
            &gif_path,
            crate::capture::Format::Gif,
            false,
            |_, _| {},
        )?;
        Ok(format!(
            "recorded {} frames: {} (replay with fisherflow capture --scenario {} --out …)",
            summary.frames,
            gif_path.display(),
            toml_path.display()
        ))
    }

    pub(super) fn save_screenshot(&mut self, image: Image, automated: bool) -> anyhow::Result<()> {
        let path = match (&self.options.screenshot, automated) {
            (Some(path), true) => path.clone(),
            _ => {
                let stamp = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis())
                    .unwrap_or_default();
                PathBuf::from(format!("fisherflow-{stamp}.png"))
            }
        };
        let png = image
            .to_png()
            .context("cannot encode the screenshot as PNG")?;
        if self.screenshot_pending {
            self.screenshot_pending = false;
            let shown = std::fs::canonicalize(
                path.parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(".".as_ref()),
            )
            .map(|dir| dir.join(path.file_name().unwrap_or_default()))
            .unwrap_or_else(|_| path.clone());
            match write_atomically(&path, &png) {
                Ok(()) => {
                    if let Some(gfx) = &self.gfx {
                        self.ui_state.toast(
                            &gfx.egui_ctx,
                            format!("screenshot saved to {}", shown.display()),
                        );
                    }
                }
                Err(e) => {
                    if let Some(gfx) = &self.gfx {
                        self.ui_state
                            .toast(&gfx.egui_ctx, format!("screenshot failed: {e:#}"));
                    }
                }
            }
            if !automated {
                return Ok(());
            }
        }
        if automated && let Some(path) = &self.options.screenshot {
            write_atomically(path, &png)?;
        }
        Ok(())
    }
}

/// A scenario replaying recorded scene snapshots: the first as the initial scene, then a
/// keyframe wherever a setting changed (`capture::tracks::recorded_keys`: every setting the
/// scene file holds, the features' and the policy plane's included), 30 frames per second.
pub fn recording_scenario(snapshots: &[(f64, Scene)], size: [u32; 2]) -> crate::capture::Scenario {
    use crate::capture::scenario::Keyframe;
    let duration = snapshots.last().map_or(0.0, |(t, _)| *t).max(1.0 / 30.0);
    let keyframes = crate::capture::tracks::recorded_keys(snapshots)
        .into_iter()
        .map(|(time, settings)| Keyframe {
            time: time.min(duration),
            settings,
            ..Keyframe::default()
        })
        .collect();
    crate::capture::Scenario {
        duration,
        fps: 30,
        width: size[0],
        height: size[1],
        overlay: true,
        scene: snapshots
            .first()
            .map(|(_, s)| s.clone())
            .unwrap_or_default(),
        keyframes,
    }
}
