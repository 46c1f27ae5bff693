//! The viewer's egui caches (`viewer::job_cache`), against egui drawing the same jobs directly.
//!
//! The canvas overlay (`Overlay`): egui's jobs after the canvas image (labels, legends,
//! windows) drawn into transparent texels and blended over the frame where they draw give the
//! frame egui draws directly, within the 8-bit rounding of the texels in between, on a
//! background of two colours; after the jobs change (a number in a legend, a label that moved)
//! the partial redraw gives the new frame as well. Controls: the frame without the overlay,
//! and the stale overlay over the changed jobs, differ.
//!
//! The chrome (`JobCache::opaque`), whose panels' opaque fills a solid-colour pass draws
//! before egui draws the rest (`viewer::fills`): the same bytes as egui's whole pass, drawn
//! whole and then where a panel's text changed. Controls: the jobs hold fills to take, one
//! fill overlapped by an earlier shape stays egui's, and the two frames differ.

use crate::common;
use crate::common::pixels::{differing, keep};

use fisherflow::gpu::context::GpuContext;
use fisherflow::render::canvas::{Canvas, Image};
use fisherflow::viewer::fills::take_fills;
use fisherflow::viewer::job_cache::{JobCache, Overlay, encode_egui, upload_textures};

const SIZE: [u32; 2] = [320, 240];
const FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;

/// Runs `ui` as one egui frame on a `SIZE` screen at `ppp`, applies its texture changes to
/// `renderer` and returns the tessellated jobs and whether a texture was replaced whole.
fn egui_frame(
    egui_ctx: &egui::Context,
    renderer: &mut egui_wgpu::Renderer,
    ctx: &GpuContext,
    ppp: f32,
    ui: impl FnMut(&mut egui::Ui),
) -> (Vec<egui::ClippedPrimitive>, bool) {
    let size = egui::vec2(SIZE[0] as f32, SIZE[1] as f32) / ppp;
    let mut input = egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, size)),
        ..Default::default()
    };
    input.viewports.insert(
        egui::ViewportId::ROOT,
        egui::ViewportInfo {
            native_pixels_per_point: Some(ppp),
            ..Default::default()
        },
    );
    let mut output = egui_ctx.run_ui(input, ui);
    let replaced = upload_textures(
        renderer,
        &ctx.device,
        &ctx.queue,
        &mut output.textures_delta,
    );
    for id in output.textures_delta.free.drain() {
        renderer.free_texture(&id);
    }
    assert_eq!(output.pixels_per_point, ppp);
    let shapes = std::mem::take(&mut output.shapes);
    (egui_ctx.tessellate(shapes, ppp), replaced)
}

/// One egui frame: a legend box with text at the top right, a translucent disc and a label at
/// `label_at` (points), as the canvas's overlay draws them. Returns the jobs and whether a
/// texture was replaced whole.
fn frame(
    egui_ctx: &egui::Context,
    renderer: &mut egui_wgpu::Renderer,
    ctx: &GpuContext,
    ppp: f32,
    value: f64,
    label_at: [f32; 2],
) -> (Vec<egui::ClippedPrimitive>, bool) {
    let size = egui::vec2(SIZE[0] as f32, SIZE[1] as f32) / ppp;
    egui_frame(egui_ctx, renderer, ctx, ppp, |ui| {
        let painter = ui.painter();
        let legend =
            egui::Rect::from_min_size(egui::pos2(size.x - 150.0, 8.0), egui::vec2(140.0, 44.0));
        painter.rect_filled(legend, 4.0, egui::Color32::from_black_alpha(170));
        painter.text(
            legend.left_top() + egui::vec2(6.0, 6.0),
            egui::Align2::LEFT_TOP,
            format!("level ε = {value:.3e}"),
            egui::FontId::proportional(13.0),
            egui::Color32::WHITE,
        );
        painter.circle_filled(
            egui::pos2(80.0, 120.0),
            30.0,
            egui::Color32::from_rgba_unmultiplied(46, 230, 240, 120),
        );
        painter.text(
            egui::pos2(label_at[0], label_at[1]),
            egui::Align2::LEFT_TOP,
            "θ*  κ = 1.6",
            egui::FontId::proportional(14.0),
            egui::Color32::from_rgb(255, 224, 102),
        );
    })
}

/// The background: a mid grey with a teal lower half (so the blend is checked over two
/// colours).
fn background(ctx: &GpuContext) -> Canvas {
    let canvas = Canvas::new(&ctx.device, SIZE, FORMAT, "background");
    let lower = Canvas::new(&ctx.device, SIZE, FORMAT, "lower half");
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    for (target, colour) in [(&canvas, [0.45, 0.45, 0.45]), (&lower, [0.05, 0.35, 0.4])] {
        let clear = wgpu::Color {
            r: colour[0],
            g: colour[1],
            b: colour[2],
            a: 1.0,
        };
        drop(fisherflow::render::pipeline::color_pass(
            &mut encoder,
            "background",
            &target.view,
            wgpu::LoadOp::Clear(clear),
        ));
    }
    let half = [0, SIZE[1] / 2];
    encoder.copy_texture_to_texture(
        wgpu::TexelCopyTextureInfo {
            texture: &lower.texture,
            mip_level: 0,
            origin: wgpu::Origin3d {
                x: 0,
                y: half[1],
                z: 0,
            },
            aspect: wgpu::TextureAspect::All,
        },
        wgpu::TexelCopyTextureInfo {
            texture: &canvas.texture,
            mip_level: 0,
            origin: wgpu::Origin3d {
                x: 0,
                y: half[1],
                z: 0,
            },
            aspect: wgpu::TextureAspect::All,
        },
        wgpu::Extent3d {
            width: SIZE[0],
            height: SIZE[1] - half[1],
            depth_or_array_layers: 1,
        },
    );
    ctx.queue.submit([encoder.finish()]);
    canvas
}

/// The background with `draw` encoded over it, read back.
fn over_background(
    ctx: &GpuContext,
    draw: impl FnOnce(&mut wgpu::CommandEncoder, &Canvas),
) -> Image {
    let target = background(ctx);
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    draw(&mut encoder, &target);
    ctx.queue.submit([encoder.finish()]);
    target.read(ctx).unwrap()
}

#[test]
fn the_cached_overlay_blends_to_the_frame_egui_draws() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    for ppp in [1.0, 1.25] {
        let egui_ctx = egui::Context::default();
        let mut renderer = egui_wgpu::Renderer::new(&ctx.device, FORMAT, Default::default());
        let mut overlay = Overlay::new(&ctx.device, FORMAT);
        let screen = egui_wgpu::ScreenDescriptor {
            size_in_pixels: SIZE,
            pixels_per_point: ppp,
        };
        let mut stale: Option<Image> = None;
        for (step, (value, label_at)) in [(6.33e-3, [40.0, 40.0]), (7.91e-3, [150.0, 150.0])]
            .into_iter()
            .enumerate()
        {
            let (jobs, replaced) = frame(&egui_ctx, &mut renderer, ctx, ppp, value, label_at);
            // egui directly over the background, as the viewer drew the overlay every frame.
            let direct = over_background(ctx, |encoder, target| {
                // No paint callbacks here, so no command buffers of their own to submit.
                let callbacks =
                    renderer.update_buffers(&ctx.device, &ctx.queue, encoder, &jobs, &screen);
                assert!(callbacks.is_empty());
                encode_egui(
                    &renderer,
                    encoder,
                    &target.view,
                    &jobs,
                    &screen,
                    wgpu::LoadOp::Load,
                );
            });
            // The overlay: drawn into its texels (all of them at first, where the jobs changed
            // after), blended over the background.
            overlay.update(ctx, &mut renderer, &jobs, replaced, &screen, FORMAT);
            let cached =
                over_background(ctx, |encoder, target| overlay.encode(encoder, &target.view));
            let (count, largest) = differing(&cached, &direct, 2);
            assert!(
                count == 0,
                "step {step} at {ppp}: {count} pixels differ, by up to {largest} ({}, {})",
                keep(&cached, "overlay_cached"),
                keep(&direct, "overlay_direct")
            );
            let bare = over_background(ctx, |_, _| {});
            let (missing, _) = differing(&bare, &direct, 2);
            assert!(
                missing > 2000,
                "control: the overlay draws ({missing} pixels)"
            );
            if let Some(stale) = &stale {
                let (moved, _) = differing(stale, &direct, 2);
                assert!(moved > 100, "control: the jobs changed ({moved} pixels)");
            }
            stale = Some(cached);
        }
    }
}

/// One egui frame of chrome: a left panel and a bottom strip with their fills, text in both,
/// a group (a rounded, stroked frame: its fill a fan inside the stroke, drawn after text above
/// it), and a grey box that a label drawn before it overlaps (so its fill must stay in egui's
/// pass).
fn chrome_frame(
    egui_ctx: &egui::Context,
    renderer: &mut egui_wgpu::Renderer,
    ctx: &GpuContext,
    ppp: f32,
    value: f64,
) -> (Vec<egui::ClippedPrimitive>, bool) {
    egui_frame(egui_ctx, renderer, ctx, ppp, |ui| {
        egui::Panel::left("controls")
            .exact_size(150.0)
            .show(ui, |ui| {
                ui.heading("fisherflow");
                ui.label(format!("damping λ = {value:.4}"));
                egui::Frame::group(ui.style())
                    .fill(egui::Color32::from_gray(40))
                    .show(ui, |ui| {
                        ui.set_min_size(egui::vec2(110.0, 80.0));
                        ui.label("a framed group");
                    });
            });
        egui::Panel::bottom("strip")
            .exact_size(70.0)
            .show(ui, |ui| {
                ui.label(format!("p(x | θ*) at {value:.3}"));
            });
        let painter = ui.painter();
        let label = egui::pos2(200.0, 40.0);
        painter.text(
            label,
            egui::Align2::LEFT_TOP,
            "over",
            egui::FontId::proportional(14.0),
            egui::Color32::WHITE,
        );
        painter.rect_filled(
            egui::Rect::from_min_size(egui::pos2(190.0, 30.0), egui::vec2(100.0, 60.0)),
            0.0,
            egui::Color32::from_gray(90),
        );
    })
}

#[test]
fn the_chromes_fills_give_the_bytes_egui_draws() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    for ppp in [1.0, 1.25] {
        let egui_ctx = egui::Context::default();
        let mut renderer = egui_wgpu::Renderer::new(&ctx.device, FORMAT, Default::default());
        let mut chrome = JobCache::opaque("chrome under test");
        let screen = egui_wgpu::ScreenDescriptor {
            size_in_pixels: SIZE,
            pixels_per_point: ppp,
        };
        let mut previous: Option<Image> = None;
        for (step, value) in [0.0, 0.0125].into_iter().enumerate() {
            // Render the frame twice so that egui's layout has settled (panels measure
            // themselves on their first frame).
            let (_, replaced_first) = chrome_frame(&egui_ctx, &mut renderer, ctx, ppp, value);
            let (jobs, replaced) = chrome_frame(&egui_ctx, &mut renderer, ctx, ppp, value);
            let (fills, _) = take_fills(&jobs, ppp);
            let boxed = egui::Rect::from_min_size(egui::pos2(190.0, 30.0), egui::vec2(100.0, 60.0));
            assert!(
                fills
                    .iter()
                    .all(|f| !f.bounds.intersects(boxed.shrink(1.0))),
                "the box under an earlier label was taken"
            );
            assert!(
                fills.iter().any(|f| f.triangles.len() > 6),
                "the group's rounded fill was not taken"
            );
            let direct = Canvas::new(&ctx.device, SIZE, FORMAT, "direct");
            let mut encoder = ctx.device.create_command_encoder(&Default::default());
            let callbacks =
                renderer.update_buffers(&ctx.device, &ctx.queue, &mut encoder, &jobs, &screen);
            assert!(callbacks.is_empty());
            encode_egui(
                &renderer,
                &mut encoder,
                &direct.view,
                &jobs,
                &screen,
                wgpu::LoadOp::Clear(wgpu::Color::BLACK),
            );
            ctx.queue.submit([encoder.finish()]);
            let direct = direct.read(ctx).unwrap();
            chrome.update(
                ctx,
                &mut renderer,
                &jobs,
                replaced || replaced_first,
                &screen,
                FORMAT,
            );
            let cached = chrome.target().expect("drawn").read(ctx).unwrap();
            let (count, largest) = differing(&cached, &direct, 2);
            let exact = cached.rgba == direct.rgba;
            assert!(
                count == 0 && largest <= 1,
                "step {step} at {ppp}: {count} pixels differ, by up to {largest}, exact {exact} ({}, {})",
                keep(&cached, "chrome_cached"),
                keep(&direct, "chrome_direct")
            );
            if let Some(previous) = &previous {
                let (changed, _) = differing(previous, &direct, 2);
                assert!(changed > 20, "control: the text changed ({changed} pixels)");
            }
            previous = Some(cached);
        }
    }
}
