//! The egui compositor: paints egui's output for the window, with the canvas in its place,
//! into the surface (and a screenshot's texture), then presents it.

use super::damage::{Damage, damage, pixel_span, redraw_jobs};
use super::graphics::Graphics;
use crate::gpu::context::GpuContext;
use crate::render::canvas::Canvas;

/// The window's chrome: the egui paint jobs before the canvas image (tab bar, side panel,
/// density strip), drawn into a texture of the surface's format only when they change.
///
/// On a software rasteriser egui's pass was nearly the whole frame (llvmpipe, 1400×900: about
/// 95 of 100 ms for an empty canvas, 38 of them the canvas image): every pixel of the window
/// went through egui's textured, blended, dithered fragment shader every frame. Now a frame
/// copies the chrome into the surface, copies the canvas (rendered in the surface's sRGB twin
/// format) to its place, and draws only the jobs after the canvas image (the canvas' labels
/// and legends, windows, popups) with egui. The picture is the same: the canvas image was
/// drawn unfiltered at its own size, and dithering leaves exact 8-bit colours alone.
#[derive(Default)]
pub(super) struct Chrome {
    /// The chrome as drawn, at the surface's size.
    target: Option<Canvas>,
    /// The jobs it was drawn from.
    jobs: Vec<egui::ClippedPrimitive>,
    /// Opaque black at the chrome's size and format: a partial redraw copies it over its
    /// rectangles first, as the full redraw's clear does everywhere.
    black: Option<Canvas>,
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
    // A texture replaced whole (or a new one) may change what the chrome shows; a partial
    // update does not: egui's font atlas only adds glyphs in unused space (a drag adds a
    // few each frame as the numbers change), so the drawn glyphs stay as they are.
    let textures_changed = full_output
        .textures_delta
        .set
        .iter()
        .any(|(_, deltas)| deltas.iter().any(|d| d.pos.is_none()));
    for (id, deltas) in full_output.textures_delta.set.drain() {
        for delta in deltas {
            gfx.egui_renderer
                .update_texture(&gfx.ctx.device, &gfx.ctx.queue, id, &delta);
        }
    }
    let window_px = gfx.window_px();
    let mut command_buffers = if let Some(chrome) = &mut gfx.chrome {
        // The copy compositor: the chrome (redrawn when it changed), the canvas, then egui's
        // jobs after the canvas image.
        let canvas_job = paint_jobs.iter().position(|job| {
            matches!(&job.primitive, egui::epaint::Primitive::Mesh(m)
                if m.texture_id == gfx.canvas_texture)
        });
        let (before, after) = match canvas_job {
            Some(k) => (&paint_jobs[..k], &paint_jobs[k + 1..]),
            None => (&paint_jobs[..], &paint_jobs[..0]),
        };
        chrome.update(
            &gfx.ctx,
            &mut gfx.egui_renderer,
            before,
            textures_changed,
            &screen,
            gfx.config.format,
        );
        let chrome_target = chrome.target.as_ref().expect("drawn just above");
        let canvas = canvas_job.map(|_| {
            let origin = [
                (canvas_rect.min.x * ppp).round().max(0.0) as u32,
                (canvas_rect.min.y * ppp).round().max(0.0) as u32,
            ];
            (&gfx.canvas, origin)
        });
        let buffers = gfx.egui_renderer.update_buffers(
            &gfx.ctx.device,
            &gfx.ctx.queue,
            &mut encoder,
            after,
            &screen,
        );
        let mut compose = |texture: &wgpu::Texture, view: &wgpu::TextureView| {
            copy_into(&mut encoder, chrome_target, [0, 0], texture, window_px);
            if let Some((canvas, origin)) = canvas {
                copy_into(&mut encoder, canvas, origin, texture, window_px);
            }
            encode_egui(
                &gfx.egui_renderer,
                &mut encoder,
                view,
                after,
                &screen,
                wgpu::LoadOp::Load,
            );
        };
        compose(&frame.texture, &surface_view);
        if let Some(target) = screenshot {
            compose(&target.texture, &target.view);
        }
        buffers
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

impl Chrome {
    /// Redraws the chrome from `jobs` where they differ from the last drawn ones (all of it
    /// when egui's textures changed or the window was resized), in its own submission: egui's
    /// renderer holds one set of vertex buffers, which the jobs after the canvas reuse this
    /// frame.
    fn update(
        &mut self,
        ctx: &GpuContext,
        renderer: &mut egui_wgpu::Renderer,
        jobs: &[egui::ClippedPrimitive],
        textures_changed: bool,
        screen: &egui_wgpu::ScreenDescriptor,
        format: wgpu::TextureFormat,
    ) {
        let size = screen.size_in_pixels;
        let resized = self.target.as_ref().is_none_or(|t| t.size != size);
        // Where the chrome must be redrawn: everywhere, or only where the jobs changed (as
        // while a handle is dragged: the numbers and the density strip; see `damage`).
        let screen_rect = egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(size[0] as f32, size[1] as f32) / screen.pixels_per_point,
        );
        let area = if resized || textures_changed {
            Damage::Everything
        } else {
            damage(&self.jobs, jobs, 2.0, screen.pixels_per_point, screen_rect)
        };
        let (target, redraw, load, cleared) = match (area, self.target.take()) {
            (Damage::None, Some(target)) => {
                self.target = Some(target);
                return;
            }
            (Damage::Within(rects), Some(target)) => {
                let redraw = redraw_jobs(jobs, &rects);
                (target, redraw, wgpu::LoadOp::Load, rects)
            }
            (_, target) => {
                let target = match target {
                    Some(target) if !resized => target,
                    _ => Canvas::new(&ctx.device, size, format, "window chrome"),
                };
                let clear = wgpu::LoadOp::Clear(wgpu::Color::BLACK);
                (target, jobs.to_vec(), clear, Vec::new())
            }
        };
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("window chrome"),
            });
        if !cleared.is_empty() {
            let black = match self.black.take() {
                Some(black) if black.size == target.size => black,
                _ => {
                    let black = Canvas::new(&ctx.device, target.size, format, "chrome black");
                    let clear = wgpu::LoadOp::Clear(wgpu::Color::BLACK);
                    drop(crate::render::pipeline::color_pass(
                        &mut encoder,
                        "chrome black",
                        &black.view,
                        clear,
                    ));
                    black
                }
            };
            for &rect in &cleared {
                if let Some((origin, extent)) =
                    pixel_span(rect, screen.pixels_per_point, target.size)
                {
                    copy_span(&mut encoder, &black, &target, origin, extent);
                }
            }
            self.black = Some(black);
        }
        let mut buffers =
            renderer.update_buffers(&ctx.device, &ctx.queue, &mut encoder, &redraw, screen);
        encode_egui(renderer, &mut encoder, &target.view, &redraw, screen, load);
        buffers.push(encoder.finish());
        ctx.queue.submit(buffers);
        self.target = Some(target);
        self.jobs = jobs.to_vec();
    }
}

/// Copies the `extent` pixels at `origin` of `source` to the same place in `dest` (of the
/// same size).
fn copy_span(
    encoder: &mut wgpu::CommandEncoder,
    source: &Canvas,
    dest: &Canvas,
    origin: [u32; 2],
    extent: [u32; 2],
) {
    encoder.copy_texture_to_texture(
        texel_at(&source.texture, origin),
        texel_at(&dest.texture, origin),
        extent_of(extent),
    );
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

/// The texel at `origin` of a 2D texture's only level, as a copy's end.
fn texel_at(texture: &wgpu::Texture, origin: [u32; 2]) -> wgpu::TexelCopyTextureInfo<'_> {
    wgpu::TexelCopyTextureInfo {
        texture,
        mip_level: 0,
        origin: wgpu::Origin3d {
            x: origin[0],
            y: origin[1],
            z: 0,
        },
        aspect: wgpu::TextureAspect::All,
    }
}

/// `[width, height]` pixels of one layer.
fn extent_of([width, height]: [u32; 2]) -> wgpu::Extent3d {
    wgpu::Extent3d {
        width,
        height,
        depth_or_array_layers: 1,
    }
}

fn encode_egui(
    renderer: &egui_wgpu::Renderer,
    encoder: &mut wgpu::CommandEncoder,
    view: &wgpu::TextureView,
    paint_jobs: &[egui::ClippedPrimitive],
    screen: &egui_wgpu::ScreenDescriptor,
    load: wgpu::LoadOp<wgpu::Color>,
) {
    let pass = crate::render::pipeline::color_pass(encoder, "egui", view, load);
    renderer.render(&mut pass.forget_lifetime(), paint_jobs, screen);
}
