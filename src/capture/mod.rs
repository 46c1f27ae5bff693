//! Recording demo captures: a [`Scenario`] rendered offscreen frame by frame with the viewer's
//! own renderer (and, optionally, its overlay), written as a PNG sequence, a GIF (encoded in
//! Rust) or an MP4 (through ffmpeg). No window, no display.
//!
//! Nothing half-written is ever left behind: frames go to a temporary sibling of the output
//! (a folder for PNGs, a file otherwise) that is renamed into place only when every frame is
//! done; an error or Ctrl-C removes it. An existing output is refused unless `force`.

pub mod output;
pub mod scenario;
pub mod tracks;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, anyhow, bail};

use crate::capture::output::temporary_sibling;
use crate::frame::FrameRenderer;
use crate::gpu::context::GpuContext;
use crate::render::canvas::Image;
pub use scenario::Scenario;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A folder of frame_00000.png, frame_00001.png, …
    Png,
    /// An animated GIF, encoded in Rust.
    Gif,
    /// H.264 MP4 through ffmpeg.
    Mp4,
}

impl Format {
    /// The format implied by a path's extension (.gif, .mp4; anything else: PNG folder).
    pub fn from_path(path: &Path) -> Self {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_lowercase)
            .as_deref()
        {
            Some("gif") => Format::Gif,
            Some("mp4") => Format::Mp4,
            _ => Format::Png,
        }
    }
}

/// Set from a Ctrl-C handler; the frame loop stops and cleans up.
pub static CANCELLED: AtomicBool = AtomicBool::new(false);

/// A temporary output that disappears unless committed.
struct Pending {
    temp: PathBuf,
    committed: bool,
}

impl Pending {
    fn commit(mut self, dest: &Path, force: bool) -> anyhow::Result<()> {
        if dest.exists() {
            if !force {
                bail!(
                    "{} already exists; pass --force to overwrite it",
                    dest.display()
                );
            }
            remove(dest).with_context(|| format!("cannot replace {}", dest.display()))?;
        }
        std::fs::rename(&self.temp, dest)
            .with_context(|| format!("cannot move the capture to {}", dest.display()))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.committed {
            let _ = remove(&self.temp);
        }
    }
}

fn remove(path: &Path) -> std::io::Result<()> {
    if path.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    }
}

/// Where frames go while rendering.
enum Sink {
    Png {
        dir: PathBuf,
        written: u32,
    },
    Gif {
        encoder: gif::Encoder<std::io::BufWriter<std::fs::File>>,
        delay: u16,
        previous: Option<Vec<u8>>,
    },
    Mp4 {
        child: Child,
    },
}

impl Sink {
    fn push(&mut self, image: &mut Image) -> anyhow::Result<()> {
        match self {
            Sink::Png { dir, written } => {
                let path = dir.join(format!("frame_{:05}.png", *written));
                std::fs::write(&path, image.to_png()?)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                *written += 1;
            }
            Sink::Gif {
                encoder,
                delay,
                previous,
            } => {
                // Pixels unchanged since the last frame become transparent and the last frame
                // is kept underneath: static parts (the ellipse field, the axes) then cost
                // almost nothing after the first frame. Our frames are opaque, so alpha 0 is
                // free to mean "unchanged".
                let mut pixels = image.rgba.clone();
                if let Some(before) = previous.as_ref() {
                    for (px, old) in pixels.chunks_exact_mut(4).zip(before.chunks_exact(4)) {
                        if px == old {
                            px.copy_from_slice(&[0, 0, 0, 0]);
                        }
                    }
                }
                let mut frame = gif::Frame::from_rgba_speed(
                    image.width as u16,
                    image.height as u16,
                    &mut pixels,
                    10,
                );
                frame.delay = *delay;
                frame.dispose = gif::DisposalMethod::Keep;
                encoder
                    .write_frame(&frame)
                    .context("cannot encode a GIF frame")?;
                *previous = Some(std::mem::take(&mut image.rgba));
            }
            Sink::Mp4 { child } => {
                let stdin = child
                    .stdin
                    .as_mut()
                    .ok_or_else(|| anyhow!("ffmpeg's input closed"))?;
                stdin
                    .write_all(&image.rgba)
                    .context("ffmpeg stopped taking frames")?;
            }
        }
        Ok(())
    }

    fn finish(self) -> anyhow::Result<()> {
        match self {
            Sink::Png { .. } => Ok(()),
            Sink::Gif { encoder, .. } => {
                let mut file = encoder.into_inner().context("cannot finish the GIF")?;
                file.flush().context("cannot write the GIF")
            }
            Sink::Mp4 { mut child } => {
                drop(child.stdin.take());
                let status = child.wait().context("ffmpeg did not finish")?;
                if status.success() {
                    Ok(())
                } else {
                    bail!("ffmpeg failed ({status})")
                }
            }
        }
    }
}

/// Whether `ffmpeg` can be run.
pub fn ffmpeg_available() -> bool {
    Command::new("ffmpeg")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// What a capture did.
#[derive(Clone, Debug)]
pub struct CaptureSummary {
    /// Frames written.
    pub frames: u32,
    /// Seconds spent rendering and encoding.
    pub seconds: f64,
}

/// Renders `scenario` to `out`. `progress` is told after each frame.
pub fn capture(
    ctx: &GpuContext,
    scenario: &Scenario,
    out: &Path,
    format: Format,
    force: bool,
    mut progress: impl FnMut(u32, u32),
) -> anyhow::Result<CaptureSummary> {
    if out.exists() && !force {
        bail!(
            "{} already exists; pass --force to overwrite it",
            out.display()
        );
    }
    let [width, height] = [scenario.width, scenario.height];
    let temp = temporary_sibling(out);
    let pending = Pending {
        temp: temp.clone(),
        committed: false,
    };
    let mut sink = match format {
        Format::Png => {
            std::fs::create_dir(&temp)
                .with_context(|| format!("cannot create {}", temp.display()))?;
            Sink::Png {
                dir: temp.clone(),
                written: 0,
            }
        }
        Format::Gif => {
            let file = std::fs::File::create(&temp)
                .with_context(|| format!("cannot create {}", temp.display()))?;
            let mut encoder = gif::Encoder::new(
                std::io::BufWriter::new(file),
                width as u16,
                height as u16,
                &[],
            )
            .context("cannot start the GIF")?;
            encoder
                .set_repeat(gif::Repeat::Infinite)
                .context("cannot start the GIF")?;
            Sink::Gif {
                encoder,
                delay: (100.0 / scenario.fps as f64).round().max(1.0) as u16,
                previous: None,
            }
        }
        Format::Mp4 => {
            if !ffmpeg_available() {
                bail!(
                    "MP4 output needs ffmpeg on PATH (Debian: sudo apt-get install ffmpeg); or use --format gif or png"
                );
            }
            let child = Command::new("ffmpeg")
                .args([
                    "-hide_banner",
                    "-loglevel",
                    "error",
                    "-f",
                    "rawvideo",
                    "-pix_fmt",
                    "rgba",
                ])
                .args([
                    "-s",
                    &format!("{width}x{height}"),
                    "-r",
                    &scenario.fps.to_string(),
                    "-i",
                    "-",
                ])
                .args([
                    "-vf",
                    "pad=ceil(iw/2)*2:ceil(ih/2)*2",
                    "-c:v",
                    "libx264",
                    "-pix_fmt",
                    "yuv420p",
                ])
                .args(["-f", "mp4", "-y"])
                .arg(&temp)
                .stdin(Stdio::piped())
                .spawn()
                .context("cannot start ffmpeg")?;
            Sink::Mp4 { child }
        }
    };
    let mut renderer = FrameRenderer::new(ctx, scenario.overlay)?;
    // A recording is the same on every run: deterministic frames (the CPU jobs computed in the
    // frame that asks for them).
    renderer.scene_renderer_mut().set_deterministic(true);
    let frames = scenario.frame_count();
    let start = std::time::Instant::now();
    let timeline = scenario.timeline();
    for k in 0..frames {
        if CANCELLED.load(Ordering::SeqCst) {
            bail!("cancelled; nothing was written");
        }
        let scene = timeline.scene_at(k as f64 / scenario.fps as f64);
        let (_, mut image) = renderer.render_image(ctx, [width, height], 1.0, &scene)?;
        sink.push(&mut image)?;
        progress(k + 1, frames);
    }
    sink.finish()?;
    pending.commit(out, force)?;
    Ok(CaptureSummary {
        frames,
        seconds: start.elapsed().as_secs_f64(),
    })
}
