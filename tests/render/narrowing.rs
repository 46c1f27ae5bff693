//! A canvas that narrows about its centre (a panel opening beside it, as the race's results
//! do) keeps its field grid and crops its glyph cache (`SceneRenderer::plan_frame`,
//! `layer_ellipses::crop_offset`): the narrowed frame is the middle of the wide one, the field
//! is not recomputed, and away from the edges (where the kept grid's glyphs of cells beyond the
//! narrowed view reach in) it is what a fresh renderer draws. On the seed's slice and on the
//! half-plane with the outside of the model in view (its hatch is fixed to the plane).
//! A canvas narrowed by an odd number of pixels keeps the grid and draws the glyphs again.
//! Controls: the middle one pixel off differs; a deterministic renderer takes the narrowed
//! view's own grid and recomputes the field.

use crate::common;
use crate::common::pixels::{differing, keep};

use fisherflow::frame::FrameRenderer;
use fisherflow::render::canvas::Image;
use fisherflow::scene::{Camera, Scene};

const WIDE: [u32; 2] = [400, 300];
const NARROW: [u32; 2] = [300, 300];

/// `scene` with the glyphs alone, at grid 48.
fn glyphs_only(scene: Scene) -> Scene {
    Scene {
        grid: 48,
        ..crate::scene::ellipses_only(scene)
    }
}

/// The seed's slice, and the half-plane (μ1, σ1) with σ1 < 0 in the lower third of the view.
fn scenes() -> Vec<(&'static str, Scene)> {
    let mut half_plane = Scene::default();
    half_plane.apply(fisherflow::scene::SceneEdit::ApplyPreset(
        fisherflow::scene::Preset::HalfPlane,
    ));
    half_plane.camera = Camera {
        center: [0.3, 0.5],
        half_height: 1.5,
        x_per_y: 1.0,
    };
    vec![
        ("seed", glyphs_only(Scene::default())),
        ("half-plane", glyphs_only(half_plane)),
    ]
}

/// `width` columns of `image` from column `left`.
fn columns(image: &Image, left: u32, width: u32) -> Image {
    let mut rgba = Vec::with_capacity((width * image.height * 4) as usize);
    for y in 0..image.height {
        let start = ((y * image.width + left) * 4) as usize;
        rgba.extend_from_slice(&image.rgba[start..start + (width * 4) as usize]);
    }
    Image {
        width,
        height: image.height,
        rgba,
    }
}

/// Pixels of `a` and `b` where `counted` holds and some channel differs by more than
/// `tolerance`.
fn differing_where(
    a: &Image,
    b: &Image,
    tolerance: u8,
    counted: impl Fn(u32, u32) -> bool,
) -> usize {
    assert_eq!((a.width, a.height), (b.width, b.height));
    (0..a.height)
        .flat_map(|y| (0..a.width).map(move |x| (x, y)))
        .filter(|&(x, y)| counted(x, y))
        .filter(|&(x, y)| {
            let (p, q) = (a.pixel(x, y), b.pixel(x, y));
            p.iter().zip(q).any(|(u, v)| u.abs_diff(v) > tolerance)
        })
        .count()
}

/// Whether canvas pixel (x, y) of a `size` canvas showing `scene` lies within `band` world
/// units of the means' diagonal μ1 = μ2 (on the seed's slice; nowhere on other slices). There
/// a cell's glyph turns on the last f32 bit of its centre, which a kept grid and a fresh one
/// (other origins and extents) round differently: both are the kernel's answer within f32.
fn near_the_diagonal(scene: &Scene, size: [u32; 2], band: f64) -> impl Fn(u32, u32) -> bool {
    let seed_slice = scene.slice.is_seed();
    let camera = scene.camera;
    let per_px = 2.0 * camera.half_height / size[1] as f64;
    move |x, y| {
        let wx =
            camera.center[0] + (x as f64 + 0.5 - size[0] as f64 / 2.0) * per_px * camera.x_per_y;
        let wy = camera.center[1] - (y as f64 + 0.5 - size[1] as f64 / 2.0) * per_px;
        seed_slice && (wx - wy).abs() < band
    }
}

#[test]
fn a_narrowed_canvas_keeps_its_grid_and_crops_the_glyph_cache() {
    let Some(ctx) = common::gpu() else { return };
    let offset = (WIDE[0] - NARROW[0]) / 2;
    for (name, scene) in scenes() {
        let mut frames = FrameRenderer::new(&ctx, false).unwrap();
        let (_, wide) = frames.render_image(&ctx, WIDE, 1.0, &scene).unwrap();
        let (info, narrow) = frames.render_image(&ctx, NARROW, 1.0, &scene).unwrap();
        assert!(!info.field_recomputed, "{name}: the field was recomputed");
        let middle = columns(&wide, offset, NARROW[0]);
        let (off, _) = differing(&narrow, &middle, 0);
        assert_eq!(
            off,
            0,
            "{name}: {off} pixels differ from the wide frame's middle ({})",
            keep(&narrow, "narrowed_canvas")
        );
        let (shifted, _) = differing(&narrow, &columns(&wide, offset - 1, NARROW[0]), 3);
        assert!(shifted > 500, "{name}: the control ({shifted} pixels)");

        // A fresh renderer: the same picture away from the left and right edges (the glyphs
        // of the kept grid's cells beyond the narrowed view reach in by up to CAP_CELLS cells).
        let mut fresh = FrameRenderer::new(&ctx, false).unwrap();
        let (_, alone) = fresh.render_image(&ctx, NARROW, 1.0, &scene).unwrap();
        let cell_px = NARROW[1] as f64 / scene.grid as f64;
        let margin =
            (2.0 * (fisherflow::features::field::layer_ellipses::CAP_CELLS + 1.0) * cell_px).ceil()
                as u32;
        // Away from the diagonal (see `near_the_diagonal`), within three cells of a glyph's reach.
        let band = 3.0 * (fisherflow::features::field::layer_ellipses::CAP_CELLS + 1.0) * info.cell;
        let diagonal = near_the_diagonal(&scene, NARROW, band);
        let compared = |x: u32, _y: u32| x >= margin && x < NARROW[0] - margin;
        let apart = differing_where(&narrow, &alone, 3, |x, y| compared(x, y) && !diagonal(x, y));
        let near = differing_where(&narrow, &alone, 3, |x, y| compared(x, y) && diagonal(x, y));
        eprintln!("{name}: {near} pixels differ near the diagonal");
        assert_eq!(
            apart,
            0,
            "{name}: {apart} pixels differ from a fresh renderer's ({}, {})",
            keep(&alone, "narrowed_canvas_fresh"),
            keep(&narrow, "narrowed_canvas")
        );

        // Narrowed by an odd number of pixels: the grid is kept, but no whole-pixel crop
        // exists, so the glyphs are drawn again, as a fresh renderer draws them.
        let odd = [NARROW[0] - 1, NARROW[1]];
        let (info, redrawn) = frames.render_image(&ctx, odd, 1.0, &scene).unwrap();
        assert!(
            !info.field_recomputed,
            "{name}: an odd narrowing recomputed the field"
        );
        let (_, alone) = fresh.render_image(&ctx, odd, 1.0, &scene).unwrap();
        let diagonal = near_the_diagonal(&scene, odd, band);
        let compared = |x: u32, _y: u32| x >= margin && x < odd[0] - margin;
        let apart = differing_where(&redrawn, &alone, 3, |x, y| {
            compared(x, y) && !diagonal(x, y)
        });
        assert_eq!(apart, 0, "{name}: odd narrowing, {apart} pixels differ");
    }
    let scene = scenes().remove(0).1;
    let mut deterministic = FrameRenderer::new(&ctx, false).unwrap();
    deterministic.scene_renderer_mut().set_deterministic(true);
    deterministic.render_image(&ctx, WIDE, 1.0, &scene).unwrap();
    let (info, _) = deterministic
        .render_image(&ctx, NARROW, 1.0, &scene)
        .unwrap();
    assert!(
        info.field_recomputed,
        "a deterministic renderer kept the wide grid"
    );
}
