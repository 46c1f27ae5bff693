//! The shortest-path layer rendered offscreen: the geodesic from the probe to θ* is drawn in
//! its colour along the path the f64 solver found (pixels checked at points of that path), the
//! twin's path and the descent paths come with it, the distance label is the solver's, and
//! nothing of the layer is drawn when the scene does not ask for it (negative control).

use crate::common;
use crate::common::pixels::{count, count_near};

use fisherflow::features::geodesics::job_paths::{PATH_NODES, PathKey, compute_paths};
use fisherflow::frame::FrameRenderer;
use fisherflow::frame::overlay::world_to_screen;
use fisherflow::gpu::context::GpuContext;
use fisherflow::math::QuadratureRule;
use fisherflow::math::family::MixturePlane;
use fisherflow::math::geodesic::shortest_path;
use fisherflow::render::canvas::Image;
use fisherflow::render::colormap::palette;
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

/// The seed scene with only the paths (ellipses, axes, handles, probe markers and legend off,
/// so the geodesic's green is the only green).
fn paths_scene(on: bool) -> Scene {
    let mut scene = Scene {
        layers: Layers {
            legend: true,
            ..Layers::NONE
        },
        probe: Some([1.2, -0.3]),
        ..Scene::default()
    };
    scene.camera.center = [0.0, 0.0];
    scene.camera.half_height = 3.0;
    scene.features.geodesics.shortest_path = on;
    scene
}

fn render(ctx: &GpuContext, frames: &mut FrameRenderer, scene: &Scene) -> Image {
    frames.render_image(ctx, SIZE, 1.0, scene).unwrap().1
}

#[test]
fn shortest_path_is_drawn_where_the_solver_says_with_its_distance() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let mut frames = FrameRenderer::new(ctx, false).unwrap();
    frames.scene_renderer_mut().set_deterministic(true);
    let scene = paths_scene(true);
    let image = render(ctx, &mut frames, &scene);
    let shown = frames
        .scene_renderer()
        .shown_paths()
        .expect("synchronous frames wait for the paths")
        .clone();
    let path = shown.to_target.as_ref().expect("a path to θ*");
    // The same solve, independently: the label's distance is the solver's.
    let rule = QuadratureRule::new(PATH_NODES).unwrap();
    let again = shortest_path(
        &MixturePlane::new(&scene.model, &scene.slice, &rule),
        scene.probe.unwrap(),
        scene.target(),
    )
    .unwrap();
    assert!(
        (again.distance - path.distance).abs() < 1e-9,
        "{} vs {}",
        again.distance,
        path.distance
    );
    let labels = frames.scene_renderer().labels(&scene);
    let text = format!("d = {:.4}", path.distance);
    assert!(
        labels.iter().any(|l| l.text == text),
        "labels {labels:?} lack {text}"
    );
    // Green pixels at points along the path (a quarter, half and three quarters along).
    for f in [0.25, 0.5, 0.75] {
        let at = path.path[((path.path.len() - 1) as f64 * f) as usize];
        assert!(
            color_near(&scene, &image, at, palette::GEODESIC, 3) > 0,
            "no geodesic pixel near {at:?}"
        );
    }
    // The twin exists on the seed's slice: its path is drawn too, and the legend says the twin
    // is the same distribution.
    assert!(shown.to_twin.as_ref().is_some_and(|t| t.is_ok()));
    let legends = frames
        .scene_renderer()
        .legends(&scene, &fisherflow::render::FrameInfo::default());
    let said = legends
        .iter()
        .flat_map(|l| l.items.iter())
        .any(|i| matches!(i, LegendItem::Text(t) if t.contains("same distribution")));
    assert!(said, "{legends:?}");
    // The descent paths start at the probe.
    assert_eq!(shown.natural.points[0], scene.probe.unwrap());
    assert_eq!(shown.euclidean.points[0], scene.probe.unwrap());
    let dir = format!("{}/target/test-output", env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(format!("{dir}/render_paths.png"), image.to_png().unwrap()).unwrap();
    assert!(
        count(&image, palette::NATURAL) > 20 && count(&image, palette::EUCLID) > 20,
        "natural {} Euclidean {} (image in {dir})",
        count(&image, palette::NATURAL),
        count(&image, palette::EUCLID)
    );

    // Negative control: the same scene without shortest paths draws no geodesic green.
    let off = paths_scene(false);
    let image_off = render(ctx, &mut frames, &off);
    assert_eq!(count(&image_off, palette::GEODESIC), 0);
    assert!(frames.scene_renderer().labels(&off).is_empty());
    assert!(count(&image, palette::GEODESIC) > 50);
}

/// The worker's result equals a direct solve of the same key (the renderer adds nothing).
#[test]
fn path_key_follows_the_scene() {
    let scene = paths_scene(true);
    let key = PathKey::for_scene(&scene).unwrap();
    assert_eq!(key.probe, scene.probe.unwrap());
    let set = compute_paths(&key);
    let p = set.to_target.unwrap();
    assert_eq!(p.path[0], scene.probe.unwrap());
    let end = *p.path.last().unwrap();
    assert!(
        (end[0] - scene.target()[0]).abs() < 1e-12 && (end[1] - scene.target()[1]).abs() < 1e-12
    );
    // Moving the probe changes the key.
    let mut moved = scene.clone();
    moved.probe = Some([1.0, -0.3]);
    assert_ne!(PathKey::for_scene(&moved).unwrap(), key);
}
