//! The optimizer-race layer rendered offscreen: each optimizer's polyline is drawn in its own
//! colour through the iterates the f64 race computed (pixels checked at points of each
//! trajectory), the legend lists every optimizer, the runs are those of a direct
//! `math::optimize::race` call, and nothing of the layer is drawn when the race is off
//! (negative control).

use crate::common;
use crate::common::pixels::{count, count_near};

use fisherflow::features::race::job::{RaceKey, color};
use fisherflow::frame::FrameRenderer;
use fisherflow::frame::overlay::world_to_screen;
use fisherflow::math::QuadratureRule;
use fisherflow::math::family::MixturePlane;
use fisherflow::math::general::DEFAULT_NODES_GENERAL;
use fisherflow::math::optimize::{Optimizer, race};
use fisherflow::render::canvas::Image;
use fisherflow::render::layer::LegendItem;
use fisherflow::scene::{Layers, Scene};

const SIZE: [u32; 2] = [480, 360];

/// Pixels of `hex` within `radius` pixels of the screen point of `world`.
fn color_near(scene: &Scene, image: &Image, world: [f64; 2], hex: u32, radius: i32) -> usize {
    let rect =
        egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(SIZE[0] as f32, SIZE[1] as f32));
    let p = world_to_screen(scene, rect, world);
    count_near(image, [p.x, p.y], hex, radius)
}

/// The seed scene with only the race (ellipses, axes, handles and probe arrows off).
fn race_scene(on: bool) -> Scene {
    let mut scene = Scene {
        layers: Layers {
            legend: true,
            ..Layers::NONE
        },
        probe: Some([0.1, 0.3]),
        ..Scene::default()
    };
    scene.model = scene.slice.place(&scene.model, [-1.5, 1.0]);
    scene.camera.center = [-0.5, 0.5];
    scene.camera.half_height = 2.5;
    scene.features.race.enabled = on;
    scene.features.race.steps = 40;
    scene.features.race.lr = fisherflow::math::optimize::PerOptimizer::splat(0.2);
    scene
}

#[test]
fn race_is_drawn_along_each_trajectory_and_absent_when_off() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let mut frames = FrameRenderer::new(ctx, false).unwrap();
    frames.scene_renderer_mut().set_deterministic(true);
    let scene = race_scene(true);
    let image = frames.render_image(ctx, SIZE, 1.0, &scene).unwrap().1;
    let shown = frames
        .scene_renderer()
        .shown_race()
        .expect("synchronous frames wait for the race")
        .clone();
    assert_eq!(shown.runs.len(), 7);
    // The runs are a direct race of the same inputs.
    let key = RaceKey::for_scene(&scene).unwrap();
    let rule = QuadratureRule::new(DEFAULT_NODES_GENERAL).unwrap();
    let direct = race(
        &MixturePlane::new(&scene.model, &scene.slice, &rule),
        [0.1, 0.3],
        &Optimizer::MIXTURE,
        |o| key.race.lr.get(o),
        40,
        &key.race.hyper,
    );
    assert_eq!(shown.runs, direct);
    let dir = format!("{}/target/test-output", env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(format!("{dir}/render_race.png"), image.to_png().unwrap()).unwrap();
    // Each optimizer's colour near its iterates early on (steps 2 and 4, before the
    // trajectories meet near θ* and draw over each other).
    for run in &shown.runs {
        let seen: usize = [2, 4]
            .iter()
            .map(|&k| {
                color_near(
                    &scene,
                    &image,
                    run.trajectory[k].theta,
                    color(run.optimizer),
                    4,
                )
            })
            .sum();
        assert!(
            seen > 0,
            "{}: no pixel near its iterates (image in {dir})",
            run.optimizer
        );
    }
    // The legend names every optimizer.
    let legends = frames
        .scene_renderer()
        .legends(&scene, &fisherflow::render::FrameInfo::default());
    for o in Optimizer::MIXTURE {
        assert!(
            legends.iter().flat_map(|l| l.items.iter()).any(
                |i| matches!(i, LegendItem::Swatch { label, .. } if label.starts_with(o.name()))
            ),
            "{o} missing from {legends:?}"
        );
    }
    let violet = color(Optimizer::EfNgd);
    assert!(
        count(&image, violet) > 20,
        "ef-ngd pixels {}",
        count(&image, violet)
    );

    // Negative control: the same scene with the race off draws none of its colours.
    let off = race_scene(false);
    let image_off = frames.render_image(ctx, SIZE, 1.0, &off).unwrap().1;
    assert_eq!(count(&image_off, violet), 0);
    assert!(frames.scene_renderer().shown_race().is_none());
}
