//! The optimizer-race layer: per enabled optimizer a polyline through its iterates in its own
//! colour ([`crate::features::race::job::RACE_COLORS`]) with a dot per step and a ringed end marker,
//! and the race's start handle (a white ring, draggable in the viewer). The runs come from the
//! simulation's race job (f64, off the frame loop; [`crate::jobs::SceneJobs::race_for`]): the
//! layer draws what is ready, and while a new race is solved (the start being dragged) the
//! previous one stays on screen.

use std::sync::Arc;

use crate::features::race::job::{RaceKey, RaceSet, color};
use crate::gpu::gpu_data::{LineInstance, MarkerInstance};
use crate::render::HANDLE_RADIUS_PT;
use crate::render::colormap::linear_rgba;
use crate::render::layer::{Layer, LayerFrame, LayerSetup, Legend, LegendItem, SwatchShape};
use crate::render::lines::line_renderer;
use crate::render::markers::marker_renderer;
use crate::render::pipeline::InstancedQuads;
use crate::render::{FrameInfo, display_offset};
use crate::scene::{Camera, Scene};

/// The optimizer-race layer.
pub struct RaceLayer {
    lines: InstancedQuads,
    markers: InstancedQuads,
    /// The race drawn this frame, if any.
    shown: Option<Arc<RaceSet>>,
    /// A request is still being solved.
    pending: bool,
}

impl RaceLayer {
    /// Builds the line and marker pipelines for targets of `format`.
    pub fn new(setup: &LayerSetup<'_>) -> Self {
        Self {
            lines: line_renderer(setup),
            markers: marker_renderer(setup),
            shown: None,
            pending: false,
        }
    }

    /// The race drawn in the last frame.
    pub fn shown(&self) -> Option<&RaceSet> {
        self.shown.as_deref()
    }
}

/// The line and marker instances of a race, and the start handle.
pub fn instances(
    camera: &Camera,
    set: &RaceSet,
    start: [f64; 2],
    px_per_point: f32,
) -> (Vec<LineInstance>, Vec<MarkerInstance>) {
    let w = px_per_point;
    let mut lines = Vec::new();
    let mut markers = Vec::new();
    for run in &set.runs {
        let c = color(run.optimizer);
        let points = polyline(camera, run, linear_rgba(c, 0.9), 1.5 * w, &mut lines);
        // A dot per step after the start (the start handle marks step 0).
        for &p in points.iter().skip(1) {
            markers.push(MarkerInstance {
                center: p,
                size: [2.2 * w, 0.0],
                fill: linear_rgba(c, 1.0),
                ring: linear_rgba(c, 1.0),
            });
        }
        if let Some(&end) = points.last() {
            markers.push(MarkerInstance {
                center: end,
                size: [5.0 * w, 1.5 * w],
                fill: linear_rgba(c, 1.0),
                ring: linear_rgba(0x000000, 1.0),
            });
        }
    }
    // The ring of starts (policy plane): each start's runs thinner and fainter, a small white
    // dot at the start, and a crash marker where a run left the triangle.
    for ring_start in &set.ring {
        markers.push(MarkerInstance {
            center: display_offset(camera, ring_start.start),
            size: [2.5 * w, 1.0 * w],
            fill: linear_rgba(0xffffff, 0.6),
            ring: linear_rgba(0xffffff, 1.0),
        });
        for run in &ring_start.runs {
            let c = color(run.optimizer);
            let points = polyline(camera, run, linear_rgba(c, 0.45), w, &mut lines);
            if matches!(run.stop, crate::math::optimize::Stop::LeftDomain { .. })
                && let Some(&end) = points.last()
            {
                markers.push(MarkerInstance {
                    center: end,
                    size: [4.0 * w, 1.5 * w],
                    fill: linear_rgba(crate::render::colormap::palette::CRASH, 1.0),
                    ring: linear_rgba(c, 1.0),
                });
            }
        }
    }
    markers.push(start_handle(camera, start, px_per_point));
    (lines, markers)
}

/// A run's iterates in display units, and the segments between them (`width` px, `color`
/// linear) pushed onto `lines`.
fn polyline(
    camera: &Camera,
    run: &crate::math::optimize::Run,
    color: [f32; 4],
    width: f32,
    lines: &mut Vec<LineInstance>,
) -> Vec<[f32; 2]> {
    let points: Vec<[f32; 2]> = run
        .trajectory
        .iter()
        .map(|s| display_offset(camera, s.theta))
        .collect();
    lines.extend(points.windows(2).map(|pair| LineInstance {
        start: pair[0],
        end: pair[1],
        color,
        style: [width, 0.0],
    }));
    points
}

/// The start handle: a white ring the size of the other handles.
pub fn start_handle(camera: &Camera, start: [f64; 2], px_per_point: f32) -> MarkerInstance {
    MarkerInstance {
        center: display_offset(camera, start),
        size: [HANDLE_RADIUS_PT * px_per_point, 2.5 * px_per_point],
        fill: linear_rgba(0xffffff, 0.15),
        ring: linear_rgba(0xffffff, 1.0),
    }
}

impl Layer for RaceLayer {
    fn name(&self) -> &'static str {
        "race"
    }

    fn prepare(&mut self, frame: &LayerFrame<'_>) {
        let key = RaceKey::for_scene(frame.scene);
        self.pending = false;
        let (mut lines, mut markers) = (Vec::new(), Vec::new());
        match key {
            None => self.shown = None,
            Some(key) => {
                let jobs = frame.sim.jobs();
                self.pending = jobs.race_pending(frame.scene);
                self.shown = jobs.race_for(frame.scene);
                if let Some(set) = &self.shown {
                    (lines, markers) =
                        instances(&frame.scene.camera, set, key.start, frame.px_per_point);
                } else {
                    markers.push(start_handle(
                        &frame.scene.camera,
                        key.start,
                        frame.px_per_point,
                    ));
                }
            }
        }
        self.lines
            .prepare(&frame.ctx.device, &frame.ctx.queue, &lines);
        self.markers
            .prepare(&frame.ctx.device, &frame.ctx.queue, &markers);
    }

    fn draw(&self, pass: &mut wgpu::RenderPass<'_>, frame: &LayerFrame<'_>) {
        if RaceKey::for_scene(frame.scene).is_some() {
            self.lines.draw(pass);
            self.markers.draw(pass);
        }
    }

    fn legend(&self, scene: &Scene, _info: &FrameInfo) -> Option<Legend> {
        RaceKey::for_scene(scene)?;
        let mut items = Vec::new();
        match &self.shown {
            None => items.push(LegendItem::Text(if self.pending {
                "running the race…".into()
            } else {
                "no race".into()
            })),
            Some(set) => {
                // The mixture's L, or the policy plane's relative excess C/C* − 1.
                let c_star = set
                    .key
                    .system
                    .as_ref()
                    .map(|s| crate::math::policy::Lqr::new(s).optimum().1);
                let shown = |loss: f64| c_star.map_or(loss, |c| loss / c - 1.0);
                for run in &set.runs {
                    let last = run.trajectory.last();
                    let to = run
                        .trajectory
                        .iter()
                        .find(|s| shown(s.loss) < 1e-6)
                        .map_or(String::new(), |s| format!(" ({} steps)", s.step));
                    items.push(LegendItem::Swatch {
                        color: color(run.optimizer),
                        shape: SwatchShape::Dot,
                        label: format!(
                            "{} {}={:.0e}{to}{}",
                            run.optimizer,
                            if c_star.is_some() { "C/C*−1" } else { "L" },
                            last.map_or(f64::NAN, |s| {
                                crate::math::loss::shown_divergence(shown(s.loss))
                            }),
                            match run.stop.reason() {
                                "completed" => "",
                                "left-domain" => " left",
                                _ => " broke",
                            }
                        ),
                    });
                }
                if !set.ring.is_empty() {
                    let crashed: usize = set
                        .runs
                        .iter()
                        .filter_map(|r| set.ring_summary(r.optimizer))
                        .map(|s| s.crashed)
                        .sum();
                    items.push(LegendItem::Swatch {
                        color: crate::render::colormap::palette::CRASH,
                        shape: SwatchShape::Dot,
                        label: format!("ring of {} starts: {crashed} runs crashed", set.ring.len()),
                    });
                }
                if self.pending {
                    items.push(LegendItem::Text("updating…".into()));
                }
            }
        }
        let title = if scene.system.is_some() {
            "race (steps to C/C* − 1 < 1e-6; ring: start)"
        } else {
            "race (steps to L<1e-6; ring: start)"
        };
        Some(Legend {
            title: Some(title.into()),
            items,
        })
    }
}
