//! egui paint jobs drawn into a texture of the window's size, and drawn again only where they
//! change ([`damage`]): the copy compositor (`compositor.rs`) keeps two, the chrome under the
//! canvas (tab bar, side panel, density strip: opaque) and the overlay over it (the canvas's
//! labels and legends, windows, popups: transparent, blended over the canvas).
//!
//! On llvmpipe egui's pass costs its triangles' setup and its pixels' textured, blended
//! shading (~80 ns a pixel, measured): the overlay's ~1500 triangles and ~50 000 pixels cost
//! 3–5 ms a frame when drawn every frame (1400×900, the default scene), the chrome ~40 ms.
//! Kept, a frame copies the chrome and blends the overlay's texels where it draws
//! ([`coverage`]), a memory copy and a pass of one texel load per pixel.
//!
//! The overlay is the jobs drawn into transparent texels with egui's own blending and then
//! blended "over" the canvas: premultiplied "over" is associative, so that is drawing them
//! over the canvas directly, within the 8-bit rounding of the texels in between.

use super::damage::{Damage, damage, pixel_span, redraw_jobs};
use super::fills::{FillPass, take_fills};
use crate::gpu::context::GpuContext;
use crate::render::canvas::Canvas;
use crate::render::pipeline::{QuadPipeline, color_pass, unfiltered_texture_entry};
use egui::ClippedPrimitive;
use egui::epaint::Primitive;

/// Side of the tiles [`coverage`] marks, in pixels.
pub const COVERAGE_TILE_PX: u32 = 32;

/// The jobs as drawn, and the texture holding them.
pub struct JobCache {
    label: &'static str,
    /// What a redraw starts from: opaque black (the chrome, as egui clears the window) or
    /// transparent (the overlay).
    clear: wgpu::Color,
    /// The jobs drawn, at the window's size.
    target: Option<Canvas>,
    /// The jobs it was drawn from.
    jobs: Vec<ClippedPrimitive>,
    /// `clear` at the target's size and format: a partial redraw copies it over its
    /// rectangles first, as the full redraw's clear does everywhere.
    blank: Option<Canvas>,
    /// Draws the jobs' opaque rectangles before egui draws the rest (`fills`); made with the
    /// first redraw, for the target's format.
    fills: Option<FillPass>,
}

impl JobCache {
    /// A cache redrawn from opaque black (the chrome).
    pub fn opaque(label: &'static str) -> Self {
        Self::new(label, wgpu::Color::BLACK)
    }

    /// A cache redrawn from transparent texels (the overlay).
    pub fn transparent(label: &'static str) -> Self {
        Self::new(label, wgpu::Color::TRANSPARENT)
    }

    fn new(label: &'static str, clear: wgpu::Color) -> Self {
        Self {
            label,
            clear,
            target: None,
            jobs: Vec::new(),
            blank: None,
            fills: None,
        }
    }

    /// The jobs as drawn (after [`JobCache::update`]).
    pub fn target(&self) -> Option<&Canvas> {
        self.target.as_ref()
    }

    /// The jobs the texture holds.
    pub fn jobs(&self) -> &[ClippedPrimitive] {
        &self.jobs
    }

    /// Redraws the texture from `jobs` where they differ from the last drawn ones (all of it
    /// when egui's textures changed or the window was resized), in its own submission: egui's
    /// renderer holds one set of vertex buffers, which other jobs reuse this frame. Returns
    /// whether anything was drawn.
    pub fn update(
        &mut self,
        ctx: &GpuContext,
        renderer: &mut egui_wgpu::Renderer,
        jobs: &[ClippedPrimitive],
        textures_changed: bool,
        screen: &egui_wgpu::ScreenDescriptor,
        format: wgpu::TextureFormat,
    ) -> bool {
        let size = screen.size_in_pixels;
        let resized = self.target.as_ref().is_none_or(|t| t.size != size);
        // Where the jobs must be redrawn: everywhere, or only where they changed (as while a
        // handle is dragged: the numbers and the density strip; see `damage`).
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
                return false;
            }
            (Damage::Within(rects), Some(target)) => {
                let redraw = redraw_jobs(jobs, &rects);
                (target, redraw, wgpu::LoadOp::Load, rects)
            }
            (_, target) => {
                let target = match target {
                    Some(target) if !resized => target,
                    _ => Canvas::new(&ctx.device, size, format, self.label),
                };
                (
                    target,
                    jobs.to_vec(),
                    wgpu::LoadOp::Clear(self.clear),
                    Vec::new(),
                )
            }
        };
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some(self.label),
            });
        if !cleared.is_empty() {
            let blank = match self.blank.take() {
                Some(blank) if blank.size == target.size => blank,
                _ => {
                    let blank = Canvas::new(&ctx.device, target.size, format, self.label);
                    drop(color_pass(
                        &mut encoder,
                        self.label,
                        &blank.view,
                        wgpu::LoadOp::Clear(self.clear),
                    ));
                    blank
                }
            };
            for &rect in &cleared {
                if let Some((origin, extent)) =
                    pixel_span(rect, screen.pixels_per_point, target.size)
                {
                    copy_span(&mut encoder, &blank, &target, origin, extent);
                }
            }
            self.blank = Some(blank);
        }
        let (fills, redraw) = take_fills(&redraw, screen.pixels_per_point);
        let fill_pass = self
            .fills
            .get_or_insert_with(|| FillPass::new(&ctx.device, format));
        fill_pass.prepare(&ctx.device, &ctx.queue, &fills, screen);
        let mut buffers =
            renderer.update_buffers(&ctx.device, &ctx.queue, &mut encoder, &redraw, screen);
        {
            let mut pass =
                color_pass(&mut encoder, self.label, &target.view, load).forget_lifetime();
            fill_pass.draw(&mut pass, &fills, screen);
            renderer.render(&mut pass, &redraw, screen);
        }
        buffers.push(encoder.finish());
        ctx.queue.submit(buffers);
        self.target = Some(target);
        self.jobs = jobs.to_vec();
        true
    }
}

/// A transparent [`JobCache`] blended over a frame where its jobs draw: the canvas's overlay
/// (module docs).
pub struct Overlay {
    jobs: JobCache,
    /// Where the jobs draw: the rectangles the texels are blended over ([`coverage`]).
    rects: Vec<([u32; 2], [u32; 2])>,
    /// Blends the texels over the frame (premultiplied "over", one texel load per pixel:
    /// `shaders/composite.wgsl`).
    composite: wgpu::RenderPipeline,
    composite_layout: wgpu::BindGroupLayout,
    /// The texture's size and the bind group made for it.
    composite_group: Option<([u32; 2], wgpu::BindGroup)>,
}

impl Overlay {
    /// An overlay for frames of `format` (the surface's).
    pub fn new(device: &wgpu::Device, format: wgpu::TextureFormat) -> Self {
        let composite_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("overlay"),
            entries: &[unfiltered_texture_entry(0)],
        });
        let composite =
            QuadPipeline::without_instances(device, "composite.wgsl", &composite_layout, format);
        Self {
            jobs: JobCache::transparent("canvas overlay"),
            rects: Vec::new(),
            composite,
            composite_layout,
            composite_group: None,
        }
    }

    /// Brings the texture up to `jobs` ([`JobCache::update`]), and with it the rectangles it is
    /// blended over and the bind group of its texture.
    pub fn update(
        &mut self,
        ctx: &GpuContext,
        renderer: &mut egui_wgpu::Renderer,
        jobs: &[ClippedPrimitive],
        textures_changed: bool,
        screen: &egui_wgpu::ScreenDescriptor,
        format: wgpu::TextureFormat,
    ) {
        let redrawn = self
            .jobs
            .update(ctx, renderer, jobs, textures_changed, screen, format);
        let Some(target) = self.jobs.target() else {
            return;
        };
        if redrawn {
            self.rects = coverage(self.jobs.jobs(), screen.pixels_per_point, target.size);
        }
        if self
            .composite_group
            .as_ref()
            .is_none_or(|(size, _)| *size != target.size)
        {
            let group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("overlay"),
                layout: &self.composite_layout,
                entries: &[wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::TextureView(&target.view),
                }],
            });
            self.composite_group = Some((target.size, group));
        }
    }

    /// Blends the texels over `view` (a frame of the texture's size) where the jobs draw.
    pub fn encode(&self, encoder: &mut wgpu::CommandEncoder, view: &wgpu::TextureView) {
        let Some((_, group)) = &self.composite_group else {
            return;
        };
        if self.rects.is_empty() {
            return;
        }
        let mut pass = color_pass(encoder, "canvas overlay", view, wgpu::LoadOp::Load);
        pass.set_pipeline(&self.composite);
        pass.set_bind_group(0, group, &[]);
        for &(origin, extent) in &self.rects {
            pass.set_scissor_rect(origin[0], origin[1], extent[0], extent[1]);
            pass.draw(0..3, 0..1);
        }
    }
}

/// Disjoint pixel rectangles (origin, extent) of a `size` target that cover every pixel
/// `jobs` may draw: the tiles of [`COVERAGE_TILE_PX`] pixels that a triangle's bounds (within
/// its clip, a pixel wider for egui's feathering) touch, merged along each row of tiles. Where
/// they draw nothing the overlay's texels are transparent, so blending it there is a no-op:
/// the rectangles only save the pass its pixels.
pub fn coverage(
    jobs: &[ClippedPrimitive],
    pixels_per_point: f32,
    size: [u32; 2],
) -> Vec<([u32; 2], [u32; 2])> {
    let tiles = [size[0], size[1]].map(|v| v.div_ceil(COVERAGE_TILE_PX) as usize);
    let mut marked = vec![false; tiles[0] * tiles[1]];
    let tile_of = |v: f32, k: usize| {
        ((v * pixels_per_point).max(0.0) as u32 / COVERAGE_TILE_PX).min(tiles[k] as u32 - 1)
            as usize
    };
    for job in jobs {
        let Primitive::Mesh(mesh) = &job.primitive else {
            // A paint callback draws what it likes within its clip.
            mark(&mut marked, tiles, job.clip_rect, &tile_of);
            continue;
        };
        for triangle in mesh.indices.chunks_exact(3) {
            let mut bounds = egui::Rect::NOTHING;
            for &i in triangle {
                bounds.extend_with(mesh.vertices[i as usize].pos);
            }
            let reach = bounds
                .expand(1.0 / pixels_per_point)
                .intersect(job.clip_rect);
            if reach.is_positive() {
                mark(&mut marked, tiles, reach, &tile_of);
            }
        }
    }
    let mut rects = Vec::new();
    for row in 0..tiles[1] {
        let mut column = 0;
        while column < tiles[0] {
            if !marked[row * tiles[0] + column] {
                column += 1;
                continue;
            }
            let first = column;
            while column < tiles[0] && marked[row * tiles[0] + column] {
                column += 1;
            }
            let origin = [first as u32, row as u32].map(|v| v * COVERAGE_TILE_PX);
            let end = [
                (column as u32 * COVERAGE_TILE_PX).min(size[0]),
                ((row as u32 + 1) * COVERAGE_TILE_PX).min(size[1]),
            ];
            rects.push((origin, [end[0] - origin[0], end[1] - origin[1]]));
        }
    }
    rects
}

/// Marks the tiles `area` (points) touches.
fn mark(
    marked: &mut [bool],
    tiles: [usize; 2],
    area: egui::Rect,
    tile_of: &impl Fn(f32, usize) -> usize,
) {
    if !area.is_positive() {
        return;
    }
    for row in tile_of(area.min.y, 1)..=tile_of(area.max.y, 1) {
        for column in tile_of(area.min.x, 0)..=tile_of(area.max.x, 0) {
            marked[row * tiles[0] + column] = true;
        }
    }
}

/// Copies the `extent` pixels at `origin` of `source` to the same place in `dest` (of the
/// same size).
pub(super) fn copy_span(
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

/// The texel at `origin` of a 2D texture's only level, as a copy's end.
pub(super) fn texel_at(
    texture: &wgpu::Texture,
    origin: [u32; 2],
) -> wgpu::TexelCopyTextureInfo<'_> {
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
pub(super) fn extent_of([width, height]: [u32; 2]) -> wgpu::Extent3d {
    wgpu::Extent3d {
        width,
        height,
        depth_or_array_layers: 1,
    }
}

/// Uploads an egui frame's texture updates (`delta.set`, drained; `delta.free` is the caller's,
/// after drawing) and says whether a texture was replaced whole or is new. A whole
/// replacement may change what a cached layer shows; a partial update does not: egui's font
/// atlas only adds glyphs in unused space (a drag adds a few each frame as the numbers
/// change), so the drawn glyphs stay as they are.
pub fn upload_textures(
    renderer: &mut egui_wgpu::Renderer,
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    delta: &mut egui::TexturesDelta,
) -> bool {
    let replaced = delta
        .set
        .iter()
        .any(|(_, deltas)| deltas.iter().any(|d| d.pos.is_none()));
    for (id, deltas) in delta.set.drain() {
        for delta in deltas {
            renderer.update_texture(device, queue, id, &delta);
        }
    }
    replaced
}

/// Draws `paint_jobs` with egui's renderer into `view`, loading or clearing it first.
pub fn encode_egui(
    renderer: &egui_wgpu::Renderer,
    encoder: &mut wgpu::CommandEncoder,
    view: &wgpu::TextureView,
    paint_jobs: &[egui::ClippedPrimitive],
    screen: &egui_wgpu::ScreenDescriptor,
    load: wgpu::LoadOp<wgpu::Color>,
) {
    let pass = color_pass(encoder, "egui", view, load);
    renderer.render(&mut pass.forget_lifetime(), paint_jobs, screen);
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::epaint::{Color32, Mesh};
    use egui::{Pos2, Rect};

    fn quad_job(rect: Rect, clip: Rect) -> ClippedPrimitive {
        let mut mesh = Mesh::default();
        mesh.add_colored_rect(rect, Color32::WHITE);
        ClippedPrimitive {
            clip_rect: clip,
            primitive: Primitive::Mesh(mesh),
        }
    }

    fn rect(x0: f32, y0: f32, x1: f32, y1: f32) -> Rect {
        Rect::from_min_max(Pos2::new(x0, y0), Pos2::new(x1, y1))
    }

    fn covered(rects: &[([u32; 2], [u32; 2])], x: u32, y: u32) -> usize {
        rects
            .iter()
            .filter(|(o, e)| x >= o[0] && x < o[0] + e[0] && y >= o[1] && y < o[1] + e[1])
            .count()
    }

    #[test]
    fn coverage_holds_every_drawn_pixel_once_and_leaves_the_rest() {
        let screen = rect(0.0, 0.0, 400.0, 300.0);
        let jobs = [
            // A legend's box near the top right, and a label clipped by its job's rectangle.
            quad_job(rect(300.5, 10.0, 390.0, 60.0), screen),
            quad_job(
                rect(10.0, 250.0, 200.0, 290.0),
                rect(0.0, 0.0, 100.0, 300.0),
            ),
        ];
        for ppp in [1.0, 1.25] {
            let size = [(400.0 * ppp) as u32, (300.0 * ppp) as u32];
            let rects = coverage(&jobs, ppp, size);
            // Every pixel a triangle can touch (its bounds within its clip), exactly once.
            for (x0, y0, x1, y1) in [(300.5, 10.0, 390.0, 60.0), (10.0, 250.0, 100.0, 290.0)] {
                for (x, y) in [(x0, y0), (x1 - 0.1, y1 - 0.1), (x0 - 0.9, y0), (x1, y1)] {
                    let p = [(x * ppp) as u32, (y * ppp) as u32];
                    assert_eq!(covered(&rects, p[0], p[1]), 1, "({x}, {y}) at {ppp}");
                }
            }
            // Controls: the middle of the window, and the clipped part of the label.
            let at = |x: f32, y: f32| covered(&rects, (x * ppp) as u32, (y * ppp) as u32);
            assert_eq!(at(200.0, 150.0), 0, "middle at {ppp}");
            assert_eq!(at(190.0, 270.0), 0, "clipped label at {ppp}");
            let area: u32 = rects.iter().map(|(_, e)| e[0] * e[1]).sum();
            assert!(area < size[0] * size[1] / 4, "{area} px at {ppp}");
        }
        assert!(coverage(&[], 1.0, [400, 300]).is_empty());
    }
}
