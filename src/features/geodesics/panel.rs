//! The side panel's "Geodesics" section: the geodesic ball (radius, rays, spokes) and the
//! shortest paths from the probe.

use egui::RichText;

use crate::math::Metric;
use crate::scene::{BALL_RADIUS_RANGE, BALL_RAYS_RANGE, Scene, SceneEdit};
use crate::viewer::command::{Command, edit_copy};

/// The geodesic ball (radius, rays, spokes) and the shortest paths from the probe.
pub fn show(ui: &mut egui::Ui, scene: &Scene) -> Vec<Command> {
    let mut out = Vec::new();
    edit_copy(
        &mut out,
        scene,
        |s| s.features.geodesics,
        |g| {
            ui.horizontal(|ui| {
                ui.strong("Geodesics");
                ui.checkbox(&mut g.ball, "ball");
                ui.checkbox(&mut g.spokes, "spokes");
                ui.checkbox(&mut g.shortest_path, "shortest paths");
            });
            ui.add(
                egui::Slider::new(&mut g.radius, BALL_RADIUS_RANGE.0..=BALL_RADIUS_RANGE.1)
                    .logarithmic(true)
                    .text("ball radius r (Fisher–Rao)"),
            );
            ui.add(
                egui::Slider::new(&mut g.rays, BALL_RAYS_RANGE.0..=BALL_RAYS_RANGE.1)
                    .logarithmic(true)
                    .text("geodesics in the ball"),
            );
        },
        SceneEdit::feature,
    );
    if (scene.features.geodesics.ball || scene.features.geodesics.shortest_path) && scene.probe.is_none() {
        ui.label(RichText::new("place a probe (click the canvas) to shoot geodesics").small());
    }
    if scene.metric == Metric::Profiled && (scene.features.geodesics.ball || scene.features.geodesics.shortest_path) {
        ui.label(
            RichText::new("geodesics use the induced metric (curves within the slice)").small(),
        );
    }
    out
}
