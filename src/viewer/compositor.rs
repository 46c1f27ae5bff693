//! The egui compositor: paints egui's output for the window, with the canvas in its place,
//! into the surface (and a screenshot's texture), then presents it.

use super::graphics::Graphics;
use super::job_cache::{JobCache, Overlay, encode_egui, extent_of, texel_at};
use crate::render::canvas::Canvas;

/// The window's egui output around the canvas, kept in textures of the surface's format and
/// drawn again only where it changes ([`JobCache`]): the chrome (the paint jobs before the
/// canvas image: tab bar, side panel, density strip) and the overlay (the jobs after it: the
/// canvas's labels and legends, windows, popups).
///
/// On a software rasteriser egui's pass was nearly the whole frame (llvmpipe, 1400×900: about
/// 95 of 100 ms for an empty canvas, 38 of them the canvas image): every pixel of the window
/// went through egui's textured, blended, dithered fragment shader every frame. Now a frame
/// copies the chrome into the surface, copies the canvas (rendered in the surface's sRGB twin
/// format) to its place, and blends the overlay's texels over it where it draws
/// (`job_cache::coverage`). The picture is the same: the canvas image was drawn unfiltered at
/// its own size, dithering leaves exact 8-bit colours alone, and the overlay is egui's own
/// blending done in two steps (`job_cache`'s module docs; within 2/255, tested). Drawn by
/// egui every frame, the overlay's labels and legends cost 3–5 ms of a 12 ms static frame on
/// llvmpipe.
pub(super) struct Chrome {
    under: JobCache,
    over: Overlay,
}

impl Chrome {
    /// The compositor for a surface of `format`.
    pub(super) fn new(device: &wgpu::Device, format: wgpu::TextureFormat) -> Self {
        Self {
            under: JobCache::opaque("window chrome"),
            over: Overlay::new(device, format),
        }
    }
}

/// Paints this frame's egui output into the surface texture `frame`, and into `screenshot`
/// when one is taken, after the scene's commands already in `encoder`; submits them and
/// presents the frame. `canvas_rect` is the canvas widget's rectangle in points.
pub(super) fn present(
    gfx: &mut Graphics,
    mut encoder: wgpu::CommandEncoder,
    frame: wgpu::SurfaceTexture,
    mut full_output: egui::FullOutput,
    canvas_rect: egui::Rect,
    screenshot: Option<&Canvas>,
) {
    let ppp = full_output.pixels_per_point;
    let surface_view = frame
        .texture
        .create_view(&wgpu::TextureViewDescriptor::default());
    let screen = egui_wgpu::ScreenDescriptor {
        size_in_pixels: [gfx.config.width, gfx.config.height],
        pixels_per_point: ppp,
    };
    let paint_jobs = gfx
        .egui_ctx
        .tessellate(std::mem::take(&mut full_output.shapes), ppp);
    // Whether a texture was replaced whole (the chrome may then show something else).
    let textures_changed = super::job_cache::upload_textures(
        &mut gfx.egui_renderer,
        &gfx.ctx.device,
        &gfx.ctx.queue,
        &mut full_output.textures_delta,
    );
    let window_px = gfx.window_px();
    let mut command_buffers = if let Some(chrome) = &mut gfx.chrome {
        // The copy compositor: the chrome (redrawn where it changed), the canvas, then the
        // overlay of egui's jobs after the canvas image (redrawn where they changed).
        let canvas_job = paint_jobs.iter().position(|job| {
            matches!(&job.primitive, egui::epaint::Primitive::Mesh(m)
                if m.texture_id == gfx.canvas_texture)
        });
        let (before, after) = match canvas_job {
            Some(k) => (&paint_jobs[..k], &paint_jobs[k + 1..]),
            None => (&paint_jobs[..], &paint_jobs[..0]),
        };
        chrome.under.update(
            &gfx.ctx,
            &mut gfx.egui_renderer,
            before,
            textures_changed,
            &screen,
            gfx.config.format,
        );
        chrome.over.update(
            &gfx.ctx,
            &mut gfx.egui_renderer,
            after,
            textures_changed,
            &screen,
            gfx.config.format,
        );
        let chrome_target = chrome.under.target().expect("drawn just above");
        let canvas = canvas_job.map(|_| {
            let origin = [
                (canvas_rect.min.x * ppp).round().max(0.0) as u32,
                (canvas_rect.min.y * ppp).round().max(0.0) as u32,
            ];
            (&gfx.canvas, origin)
        });
        let mut compose = |texture: &wgpu::Texture, view: &wgpu::TextureView| {
            copy_into(&mut encoder, chrome_target, [0, 0], texture, window_px);
            if let Some((canvas, origin)) = canvas {
                copy_into(&mut encoder, canvas, origin, texture, window_px);
            }
            chrome.over.encode(&mut encoder, view);
        };
        compose(&frame.texture, &surface_view);
        if let Some(target) = screenshot {
            compose(&target.texture, &target.view);
        }
        Vec::new()
    } else {
        let buffers = gfx.egui_renderer.update_buffers(
            &gfx.ctx.device,
            &gfx.ctx.queue,
            &mut encoder,
            &paint_jobs,
            &screen,
        );
        for view in std::iter::once(&surface_view).chain(screenshot.iter().map(|t| &t.view)) {
            encode_egui(
                &gfx.egui_renderer,
                &mut encoder,
                view,
                &paint_jobs,
                &screen,
                wgpu::LoadOp::Clear(wgpu::Color::BLACK),
            );
        }
        buffers
    };
    command_buffers.push(encoder.finish());
    gfx.ctx.queue.submit(command_buffers);
    gfx.window.pre_present_notify();
    gfx.ctx.queue.present(frame);
    for id in full_output.textures_delta.free.drain() {
        gfx.egui_renderer.free_texture(&id);
    }
}

/// Copies all of `source` into `dest` (of `dest_size` pixels) at `origin`, clipped to `dest`.
fn copy_into(
    encoder: &mut wgpu::CommandEncoder,
    source: &Canvas,
    origin: [u32; 2],
    dest: &wgpu::Texture,
    dest_size: [u32; 2],
) {
    let width = source.size[0].min(dest_size[0].saturating_sub(origin[0]));
    let height = source.size[1].min(dest_size[1].saturating_sub(origin[1]));
    if width == 0 || height == 0 {
        return;
    }
    encoder.copy_texture_to_texture(
        source.texture.as_image_copy(),
        texel_at(dest, origin),
        extent_of([width, height]),
    );
}
