//! The automation's bookkeeping (`--frames`): every redraw's outcome in a [`FrameLedger`],
//! its failure and stall limits, the resize steps and the exit report.
//!
//! Under automation nothing may wait forever: a surface that cannot be acquired
//! [`MAX_CONSECUTIVE_SURFACE_FAILURES`] frames in a row, or no frame presented for
//! [`AUTOMATION_STALL_LIMIT`] (a window left at zero size, redraws that never come), ends the
//! run with an error saying what failed. The report gives the window's real size and scale
//! factor and, when resizing ([`ResizeStep`]), each phase's frame counts.

use std::time::{Duration, Instant};

use anyhow::anyhow;
use winit::dpi::PhysicalSize;
use winit::window::Window;

/// An automated resize: before frame attempt `tick` (counting every redraw, presented or
/// not, from 0), ask for an inner size of `size` physical pixels. `[0, 0]` cannot be asked of
/// X11 (it refuses a zero height) and there may be no window manager to minimise with, so it
/// is fed to the app's own event handler as `WindowEvent::Resized(0×0)`, exactly what a
/// minimised window delivers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResizeStep {
    /// Frame attempt at which the resize is requested.
    pub tick: u32,
    /// Requested inner size in physical pixels; `[0, 0]` simulates minimising.
    pub size: [u32; 2],
}

/// Under `--frames`, this many surface acquisitions failing in a row (timeout, occluded,
/// outdated, lost, validation) end the run with an error. A resize or a compositor hiccup fails
/// a handful in a row; at 60 Hz 120 is two seconds of nothing, long past any transient. The
/// interactive viewer keeps trying (a covered window can legitimately stay occluded).
pub const MAX_CONSECUTIVE_SURFACE_FAILURES: u32 = 120;

/// Under `--frames`, no frame presented for this long ends the run with an error: a window
/// left minimised (zero size: frames are skipped, which is not a failure) or redraw requests
/// the platform never answers. Generous, since the first frame on a software rasteriser
/// compiles every pipeline; a healthy run presents a frame every few hundred ms at worst.
pub const AUTOMATION_STALL_LIMIT: Duration = Duration::from_secs(60);

/// What one redraw did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FrameOutcome {
    /// A frame was presented.
    Presented,
    /// Nothing to draw into: no graphics yet, or a zero-size (minimised) window. Not a failure.
    Skipped,
    /// The surface texture could not be acquired; the reason, for the message.
    SurfaceFailed(&'static str),
}

/// Frames of one automation phase (from one resize step to the next), for the exit report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Phase {
    /// The redraw at which the phase began.
    tick: u32,
    /// The size asked for (None: the size the window opened with).
    request: Option<[u32; 2]>,
    /// Frames presented, and how many of those had the requested size.
    presented: u32,
    presented_at_request: u32,
    /// Redraws with nothing to draw into (zero size).
    skipped: u32,
    /// Redraws whose surface could not be acquired.
    failed: u32,
}

/// The outcome of every redraw: consecutive surface failures, the time of the last presented
/// frame, and the per-phase counts the automation reports at exit.
#[derive(Debug)]
pub(super) struct FrameLedger {
    /// Redraws so far, presented or not (the clock of the resize steps).
    ticks: u32,
    /// Surface acquisitions failed since the last presented frame, and the last reason.
    consecutive_failures: u32,
    last_failure: &'static str,
    /// When the last frame was presented (or the ledger started): the stall clock.
    last_progress: Instant,
    /// Phase 0 runs at the size the window opened with; each resize step starts another.
    phases: Vec<Phase>,
}

impl FrameLedger {
    pub(super) fn new(now: Instant) -> Self {
        Self {
            ticks: 0,
            consecutive_failures: 0,
            last_failure: "",
            last_progress: now,
            phases: vec![Phase::default()],
        }
    }

    /// Starts the phase of a resize step at the current tick.
    fn begin_phase(&mut self, request: [u32; 2]) {
        self.phases.push(Phase {
            tick: self.ticks,
            request: Some(request),
            ..Phase::default()
        });
    }

    /// Counts one redraw. `size` is the presented frame's size. Under automation, fails after
    /// [`MAX_CONSECUTIVE_SURFACE_FAILURES`] failed acquisitions in a row; a presented frame
    /// resets the count, a skipped one (zero size) leaves it alone.
    pub(super) fn record(
        &mut self,
        outcome: FrameOutcome,
        size: Option<[u32; 2]>,
        automated: bool,
        now: Instant,
    ) -> anyhow::Result<()> {
        self.ticks += 1;
        let phase = self.phases.last_mut().expect("phase 0 always exists");
        match outcome {
            FrameOutcome::Presented => {
                phase.presented += 1;
                if phase.request.is_some() && phase.request == size {
                    phase.presented_at_request += 1;
                }
                self.consecutive_failures = 0;
                self.last_progress = now;
            }
            FrameOutcome::Skipped => phase.skipped += 1,
            FrameOutcome::SurfaceFailed(reason) => {
                phase.failed += 1;
                self.consecutive_failures += 1;
                self.last_failure = reason;
                if automated && self.consecutive_failures >= MAX_CONSECUTIVE_SURFACE_FAILURES {
                    return Err(anyhow!(
                        "the window's surface could not be acquired for {} frames in a row \
                         (last: {reason}); under --frames the viewer stops instead of waiting \
                         forever. Make sure the window is visible on a working display, try \
                         another backend (--backend gl or --backend vulkan), and check the GPU \
                         driver (vulkaninfo --summary)",
                        self.consecutive_failures
                    ));
                }
            }
        }
        Ok(())
    }

    /// Under automation: an error when no frame has been presented for `limit`, saying why
    /// (`zero_size`: the window is minimised, so every frame is skipped).
    pub(super) fn stalled(
        &self,
        now: Instant,
        limit: Duration,
        zero_size: bool,
        done: u32,
        wanted: u32,
    ) -> Option<anyhow::Error> {
        let idle = now.saturating_duration_since(self.last_progress);
        if idle < limit {
            return None;
        }
        let why = if zero_size {
            "the window has zero size (minimised), so every frame is skipped".to_owned()
        } else if self.consecutive_failures > 0 {
            format!(
                "the surface could not be acquired ({} times in a row, last: {})",
                self.consecutive_failures, self.last_failure
            )
        } else {
            "no redraw arrived (is the window hidden?)".to_owned()
        };
        Some(anyhow!(
            "no frame presented for {:.0} s under --frames ({done} of {wanted} done): {why}. \
             Restore or show the window, or render without a window with `fisherflow capture`",
            idle.as_secs_f64()
        ))
    }

    /// The automation report, one line per phase (parsed by tests/cli/window_smoke.rs).
    pub(super) fn report(&self) -> String {
        self.phases
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let request = p
                    .request
                    .map_or("none".to_owned(), |[w, h]| format!("{w}x{h}"));
                format!(
                    "automation phase {i}: tick {}, request {request}, presented {}, \
                     presented at request {}, skipped {}, failed {}\n",
                    p.tick, p.presented, p.presented_at_request, p.skipped, p.failed
                )
            })
            .collect()
    }

    /// Restarts the stall clock: once there is a window to present to.
    pub(super) fn restart_stall_clock(&mut self, now: Instant) {
        self.last_progress = now;
    }

    /// The next of `steps` if it is due at this redraw, its phase begun.
    pub(super) fn next_due_step(&mut self, steps: &[ResizeStep]) -> Option<ResizeStep> {
        let step = steps.get(self.phases.len() - 1).copied()?;
        if step.tick > self.ticks {
            return None;
        }
        self.begin_phase(step.size);
        Some(step)
    }
}

/// Asks the window for a resize step's size, and says so on stderr. Returns the size to feed
/// to the app's own event handler as the `Resized` the platform would send, where no event
/// will come: a size the window already has (X11 sends none), a zero size (which cannot be
/// asked of X11: a simulated minimise) or a size the platform applied synchronously.
pub(super) fn request_resize(window: &Window, step: ResizeStep) -> Option<PhysicalSize<u32>> {
    let size = PhysicalSize::new(step.size[0], step.size[1]);
    let applied = if step.size == [0, 0] || window.inner_size() == size {
        Some(size)
    } else {
        window.request_inner_size(size)
    };
    eprintln!(
        "automation: tick {} resize to {}x{}{}",
        step.tick,
        size.width,
        size.height,
        if step.size == [0, 0] {
            " (simulated minimise)"
        } else {
            ""
        }
    );
    applied
}

/// The window's real size and scale factor (a tiling or HiDPI desktop may not give what was
/// asked for) and the size of the last frame (what a screenshot holds), for the exit report.
pub(super) fn window_report(window: &Window, last_presented: Option<[u32; 2]>) -> String {
    let inner = window.inner_size();
    let [w, h] = last_presented.unwrap_or([0, 0]);
    format!(
        "window: inner size {}x{} px, scale factor {}, last frame {w}x{h} px",
        inner.width,
        inner.height,
        window.scale_factor()
    )
}

/// `--switch-scene`'s report: the first frame after the switch before frame `at` and the
/// median of the next ten (`frame_times[i]` is the interval that ended with frame i + 1).
/// None before that frame was drawn.
pub(super) fn switch_report(at: u32, frame_times: &[f64]) -> Option<String> {
    let at = at as usize;
    let first = frame_times.get(at.saturating_sub(1))?;
    let mut next: Vec<f64> = frame_times.iter().skip(at).take(10).copied().collect();
    next.sort_by(f64::total_cmp);
    let median = next.get(next.len() / 2).copied().unwrap_or(f64::NAN);
    Some(format!(
        "switched scene before frame {at}: that frame {first:.1} ms, the next ten median {median:.1} ms"
    ))
}

/// Median and 95th percentile of the frame intervals so far (automation report).
pub(super) fn frame_stats(frame_times: &[f64]) -> Option<(f64, f64)> {
    let mut t = frame_times.to_vec();
    if t.is_empty() {
        return None;
    }
    t.sort_by(f64::total_cmp);
    Some((
        t[t.len() / 2],
        t[((t.len() as f64 * 0.95) as usize).min(t.len() - 1)],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAILED: FrameOutcome = FrameOutcome::SurfaceFailed("timeout");

    #[test]
    fn consecutive_surface_failures_end_automation_and_a_presented_frame_resets_them() {
        let t0 = Instant::now();
        let mut ledger = FrameLedger::new(t0);
        for _ in 1..MAX_CONSECUTIVE_SURFACE_FAILURES {
            ledger.record(FAILED, None, true, t0).unwrap();
        }
        // One short of the limit, a presented frame starts the count again.
        ledger
            .record(FrameOutcome::Presented, Some([8, 8]), true, t0)
            .unwrap();
        for _ in 1..MAX_CONSECUTIVE_SURFACE_FAILURES {
            ledger.record(FAILED, None, true, t0).unwrap();
        }
        // A skipped (zero-size) frame is neither a failure nor a success.
        ledger
            .record(FrameOutcome::Skipped, None, true, t0)
            .unwrap();
        let error = ledger
            .record(FrameOutcome::SurfaceFailed("occluded"), None, true, t0)
            .expect_err("the 120th failure in a row ends the run")
            .to_string();
        assert!(
            error.contains("120 frames in a row")
                && error.contains("occluded")
                && error.contains("--backend"),
            "{error}"
        );
        assert_eq!(
            ledger.phases[0].failed,
            2 * MAX_CONSECUTIVE_SURFACE_FAILURES - 1
        );
        assert_eq!(
            (ledger.phases[0].presented, ledger.phases[0].skipped),
            (1, 1)
        );
    }

    #[test]
    fn the_interactive_viewer_keeps_trying() {
        let t0 = Instant::now();
        let mut ledger = FrameLedger::new(t0);
        for _ in 0..10 * MAX_CONSECUTIVE_SURFACE_FAILURES {
            ledger.record(FAILED, None, false, t0).unwrap();
        }
        // Still counting (the interactive viewer keeps trying, it does not stop recording).
        assert_eq!(
            ledger.phases[0].failed,
            10 * MAX_CONSECUTIVE_SURFACE_FAILURES
        );
    }

    #[test]
    fn automation_without_a_presented_frame_stalls_after_the_limit() {
        let t0 = Instant::now();
        let limit = Duration::from_secs(60);
        let mut ledger = FrameLedger::new(t0);
        assert!(
            ledger
                .stalled(t0 + Duration::from_secs(59), limit, true, 0, 5)
                .is_none()
        );
        let error = ledger
            .stalled(t0 + Duration::from_secs(61), limit, true, 0, 5)
            .expect("61 s without a frame")
            .to_string();
        assert!(
            error.contains("zero size") && error.contains("0 of 5"),
            "{error}"
        );
        ledger
            .record(
                FrameOutcome::Presented,
                Some([8, 8]),
                true,
                t0 + Duration::from_secs(61),
            )
            .unwrap();
        assert!(
            ledger
                .stalled(t0 + Duration::from_secs(62), limit, false, 1, 5)
                .is_none()
        );
    }

    #[test]
    fn phases_count_frames_at_the_requested_size() {
        let t0 = Instant::now();
        let mut ledger = FrameLedger::new(t0);
        ledger
            .record(FrameOutcome::Presented, Some([100, 80]), true, t0)
            .unwrap();
        ledger.begin_phase([1, 1]);
        // The first frame after a request may still have the old size.
        for size in [[100, 80], [1, 1], [1, 1]] {
            ledger
                .record(FrameOutcome::Presented, Some(size), true, t0)
                .unwrap();
        }
        ledger.begin_phase([0, 0]);
        ledger
            .record(FrameOutcome::Skipped, None, true, t0)
            .unwrap();
        assert_eq!(
            ledger.report(),
            "automation phase 0: tick 0, request none, presented 1, presented at request 0, skipped 0, failed 0\n\
             automation phase 1: tick 1, request 1x1, presented 3, presented at request 2, skipped 0, failed 0\n\
             automation phase 2: tick 4, request 0x0, presented 0, presented at request 0, skipped 1, failed 0\n"
        );
    }
}
