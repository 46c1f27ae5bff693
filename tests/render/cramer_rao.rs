//! The Cramér–Rao layer rendered offscreen and checked on the pixels: its outline lies on the
//! ellipse δᵀFδ = χ²₂(p)/N about θ* (at the semi-axes the f64 metric gives) and about the twin,
//! its legend states N, p and θ*'s semi-axes; switched off, or on the policy plane, it leaves
//! no pixel of its colour (negative controls).
//!
//! On failure the image is written to target/test-output/ for a look.

use crate::common;
use crate::common::pixels::{count_in_ring, keep};

use fisherflow::features::cramer_rao::layer::{COLOR, regions, semi_axes};
use fisherflow::features::cramer_rao::settings::CramerRao;
use fisherflow::frame::FrameRenderer;
use fisherflow::render::canvas::Image;
use fisherflow::render::layer::LegendItem;
use fisherflow::scene::{Camera, Layers, Preset, Scene, SceneEdit};

const SIZE: [u32; 2] = [400, 400];

/// The region's pixels at distances in [r_min, r_max] px from `center` (pixels).
fn ring_count(image: &Image, center: [f64; 2], r_min: f64, r_max: f64) -> usize {
    count_in_ring(image, center, COLOR, r_min, r_max)
}

/// The seed scene with only the region drawn, the view centred on θ*, 100 px per unit.
fn region_scene() -> Scene {
    let mut scene = Scene::default();
    scene.layers = Layers {
        legend: true,
        ..Layers::NONE
    };
    scene.camera = Camera {
        center: scene.target(),
        half_height: 2.0,
        x_per_y: 1.0,
    };
    scene.apply(SceneEdit::feature(CramerRao {
        enabled: true,
        samples: 50,
        level: 0.95,
    }));
    scene
}

#[test]
fn the_region_is_drawn_at_its_semi_axes_about_theta_star() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let mut frames = FrameRenderer::new(ctx, false).unwrap();
    let scene = region_scene();
    let (info, image) = frames.render_image(ctx, SIZE, 1.0, &scene).unwrap();
    let path = keep(&image, "cramer_rao_region");
    let f = regions(&scene)[0].metric.unwrap();
    let px_per_unit = SIZE[1] as f64 / (2.0 * scene.camera.half_height);
    let [short, long] =
        semi_axes(&f, scene.features.cramer_rao.radius_squared()).map(|a| a * px_per_unit);
    let centre = [SIZE[0] as f64 / 2.0, SIZE[1] as f64 / 2.0];
    let on = ring_count(&image, centre, short - 3.0, long + 3.0);
    assert!(
        on > 60,
        "{on} region pixels between {short:.1} and {long:.1} px: {path}"
    );
    let inside = ring_count(&image, centre, 0.0, short - 4.0);
    assert_eq!(inside, 0, "region colour inside the ellipse: {path}");
    // The legend states N and p, and θ*'s semi-axes as the f64 metric gives them.
    let legends = frames.scene_renderer().legends(&scene, &info);
    let text: Vec<String> = legends
        .iter()
        .flat_map(|l| l.items.iter())
        .filter_map(|i| match i {
            LegendItem::Swatch { label, .. } | LegendItem::Text(label) => Some(label.clone()),
            _ => None,
        })
        .collect();
    assert!(
        text.iter().any(|t| t.contains("N = 50 samples, p = 95%")),
        "{text:?}"
    );
    let axes = format!(
        "semi-axes at θ*: {:.3} and {:.3}",
        short / px_per_unit,
        long / px_per_unit
    );
    assert!(text.contains(&axes), "{axes} not in {text:?}");

    // Negative controls: switched off, or on the policy plane, no pixel of its colour.
    let mut off = scene.clone();
    off.features.cramer_rao.enabled = false;
    let (_, image) = frames.render_image(ctx, SIZE, 1.0, &off).unwrap();
    assert_eq!(ring_count(&image, centre, 0.0, 1e9), 0);
    let mut policy = scene.clone();
    policy.apply(SceneEdit::ApplyPreset(Preset::Pendulum));
    policy.layers = scene.layers;
    let (_, image) = frames.render_image(ctx, SIZE, 1.0, &policy).unwrap();
    let path = keep(&image, "cramer_rao_policy");
    assert_eq!(ring_count(&image, centre, 0.0, 1e9), 0, "{path}");
}
