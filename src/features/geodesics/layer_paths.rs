//! The shortest-path layer: from the probe, the Fisher–Rao geodesic within the slice to θ*
//! (solid green) and to its twin (dashed), drawn beside the natural-flow (cyan) and
//! Euclidean-descent (red) paths from the same point, with the slice distance written on each
//! geodesic. The paths come from the simulation's paths job (f64, off the frame loop,
//! `job_paths.rs`): the layer draws them once they are ready for the scene's key.

use crate::features::geodesics::job_paths::{PathKey, PathResult, PathSet};
use crate::gpu::gpu_data::LineInstance;
use crate::render::colormap::{linear_rgba, palette};
use crate::render::layer::{
    CanvasLabel, Layer, LayerFrame, LayerSetup, Legend, LegendItem, SwatchShape,
};
use crate::render::lines::JobLines;
use crate::render::{FrameInfo, display_offset};
use crate::scene::{Camera, Scene};

/// The shortest-path layer.
pub struct PathsLayer {
    /// The paths drawn this frame, from the paths job.
    lines: JobLines<PathSet>,
}

impl PathsLayer {
    /// Builds the line pipeline for targets of `format`.
    pub fn new(setup: &LayerSetup<'_>) -> Self {
        Self {
            lines: JobLines::new(setup),
        }
    }

    /// The paths drawn in the last frame.
    pub fn shown(&self) -> Option<&PathSet> {
        self.lines.shown()
    }
}

/// A polyline as line segments of one style.
fn polyline(
    camera: &Camera,
    points: &[[f64; 2]],
    color: [f32; 4],
    style: [f32; 2],
    out: &mut Vec<LineInstance>,
) {
    for pair in points.windows(2) {
        out.push(LineInstance {
            start: display_offset(camera, pair[0]),
            end: display_offset(camera, pair[1]),
            color,
            style,
        });
    }
}

/// The instances of a set of paths.
fn instances(camera: &Camera, set: &PathSet, px_per_point: f32) -> Vec<LineInstance> {
    let mut out = Vec::new();
    let w = px_per_point;
    // The geodesics are wider and drawn first: a descent path that runs along one (the natural
    // flow often nearly does) stays visible on top of it.
    if let Some(Ok(twin)) = &set.to_twin {
        polyline(
            camera,
            &twin.path,
            linear_rgba(palette::GEODESIC, 0.9),
            [3.0 * w, 10.0 * w],
            &mut out,
        );
    }
    if let Ok(path) = &set.to_target {
        polyline(
            camera,
            &path.path,
            linear_rgba(palette::GEODESIC, 1.0),
            [3.0 * w, 0.0],
            &mut out,
        );
    }
    polyline(
        camera,
        &set.euclidean.points,
        linear_rgba(palette::EUCLID, 0.95),
        [1.5 * w, 0.0],
        &mut out,
    );
    polyline(
        camera,
        &set.natural.points,
        linear_rgba(palette::NATURAL, 0.95),
        [1.5 * w, 0.0],
        &mut out,
    );
    out
}

/// The text for one geodesic's distance.
fn distance_text(result: &PathResult) -> String {
    match result {
        Ok(p) => format!("d = {:.4}", p.distance),
        Err(e) => format!("no path: {e}"),
    }
}

impl Layer for PathsLayer {
    fn name(&self) -> &'static str {
        "paths"
    }

    fn prepare(&mut self, frame: &LayerFrame<'_>) {
        let answer =
            PathKey::for_scene(frame.scene).map(|_| frame.sim.jobs().paths_for(frame.scene));
        self.lines.prepare(frame.ctx, answer, |set| {
            instances(&frame.scene.camera, set, frame.px_per_point)
        });
    }

    fn draw(&self, pass: &mut wgpu::RenderPass<'_>, _frame: &LayerFrame<'_>) {
        self.lines.draw(pass);
    }

    fn legend(&self, scene: &Scene, _info: &FrameInfo) -> Option<Legend> {
        PathKey::for_scene(scene)?;
        let mut items = Vec::new();
        match self.lines.shown() {
            None => items.push(LegendItem::Text(if self.lines.pending() {
                "solving the shortest paths…".into()
            } else {
                "no shortest path".into()
            })),
            Some(set) => {
                items.push(LegendItem::Swatch {
                    color: palette::GEODESIC,
                    shape: SwatchShape::Arrow,
                    label: format!("geodesic to θ*: {}", distance_text(&set.to_target)),
                });
                if let Some(twin) = &set.to_twin {
                    items.push(LegendItem::Swatch {
                        color: palette::GEODESIC,
                        shape: SwatchShape::Outline,
                        label: format!("to the twin (dashed): {}", distance_text(twin)),
                    });
                    items.push(LegendItem::Text(
                        "the twin: the same distribution as θ*".into(),
                    ));
                    items.push(LegendItem::Text("(d: shortest curve in the slice)".into()));
                }
                items.push(LegendItem::Swatch {
                    color: palette::NATURAL,
                    shape: SwatchShape::Arrow,
                    label: "natural-flow path".into(),
                });
                items.push(LegendItem::Swatch {
                    color: palette::EUCLID,
                    shape: SwatchShape::Arrow,
                    label: "Euclidean-descent path".into(),
                });
            }
        }
        Some(Legend {
            title: Some("shortest paths (slice distance d)".into()),
            items,
        })
    }

    fn labels(&self, _scene: &Scene) -> Vec<CanvasLabel> {
        let Some(set) = self.lines.shown() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut label = |result: &PathResult, prefix: &str| {
            if let Ok(p) = result {
                // At the path's middle point.
                if let Some(&at) = p.path.get(p.path.len() / 2) {
                    out.push(CanvasLabel {
                        at,
                        text: format!("{prefix}d = {:.4}", p.distance),
                        color: palette::GEODESIC,
                    });
                }
            }
        };
        label(&set.to_target, "");
        if let Some(twin) = &set.to_twin {
            label(twin, "to twin: ");
        }
        out
    }
}
