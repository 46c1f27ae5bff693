//! The opaque rectangles of egui's paint jobs (the panels' and frames' fills), taken out of the
//! jobs and drawn first by a solid-colour pass (`shaders/solid_fill.wgsl`), where egui's shader
//! would shade every pixel of them with a texture sample, a blend and dithering.
//!
//! On llvmpipe egui's pass costs ~40–80 ns a pixel, and a panel's background is most of its
//! pixels: the race's results panel (430 × 730) took 10–24 ms to redraw when the race was
//! turned on, 1.6–2.5 ms with the panels' fills made transparent (a measurement, not a
//! change). The solid pass writes the bytes egui writes (an opaque colour times the font
//! atlas's white texel, and dithering leaves exact 8-bit colours alone) over the same pixels
//! (the same clip-space expression, the same scissor).
//!
//! A fill is a pair of consecutive triangles that tile an axis-aligned rectangle (egui's fan of
//! a rectangle's inner polygon) with one opaque colour at the white texel, of at least
//! [`MIN_FILL_AREA_PX`] pixels. Drawing it before the jobs is what egui draws only when nothing
//! drawn before it in egui's order reaches into it: anything earlier would then be drawn over
//! the fill instead of under it. So a rectangle that an earlier triangle overlaps (within the
//! clip rectangles) stays in its job.

use super::damage::pixel_span;
use crate::render::pipeline::{InstanceBuffer, QuadPipeline};
use egui::epaint::{Mesh, Primitive, TextureId, Vertex, WHITE_UV};
use egui::{ClippedPrimitive, Color32, Rect};

/// The least area of a rectangle taken out of the jobs, in physical pixels: smaller ones cost
/// egui little, and each fill is a draw of its own.
pub const MIN_FILL_AREA_PX: f32 = 4096.0;

/// One opaque rectangle, in points, with the clip rectangle of its job.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fill {
    /// The rectangle, points.
    pub rect: Rect,
    /// Its colour (opaque).
    pub color: Color32,
    /// Its job's clip rectangle, points.
    pub clip: Rect,
}

/// One fill as `shaders/solid_fill.wgsl` reads it.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct FillInstance {
    rect: [f32; 4],
    color: [f32; 4],
    screen: [f32; 2],
}

/// The solid-colour pass: its pipeline and the instances of the fills it draws.
pub struct FillPass {
    pipeline: wgpu::RenderPipeline,
    /// The pipeline binds nothing; its one bind group is empty.
    group: wgpu::BindGroup,
    instances: InstanceBuffer,
}

impl FillPass {
    /// The pass for targets of `format`.
    pub fn new(device: &wgpu::Device, format: wgpu::TextureFormat) -> Self {
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("solid fill"),
            entries: &[],
        });
        let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("solid fill"),
            layout: &layout,
            entries: &[],
        });
        const ATTRIBUTES: [wgpu::VertexAttribute; 3] =
            wgpu::vertex_attr_array![0 => Float32x4, 1 => Float32x4, 2 => Float32x2];
        let pipeline = QuadPipeline {
            shader_file: "solid_fill.wgsl",
            layout: &layout,
            instances: Some(wgpu::VertexBufferLayout {
                array_stride: size_of::<FillInstance>() as u64,
                step_mode: wgpu::VertexStepMode::Instance,
                attributes: &ATTRIBUTES,
            }),
            format,
        }
        .build(device);
        Self {
            pipeline,
            group,
            instances: InstanceBuffer::new(device, "solid fills", 1024),
        }
    }

    /// Writes `fills` for a target of `screen`'s size (before the pass is encoded).
    pub fn prepare(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        fills: &[Fill],
        screen: &egui_wgpu::ScreenDescriptor,
    ) {
        let points = [0, 1].map(|k| screen.size_in_pixels[k] as f32 / screen.pixels_per_point);
        let instances: Vec<FillInstance> = fills
            .iter()
            .map(|f| FillInstance {
                rect: [f.rect.min.x, f.rect.min.y, f.rect.max.x, f.rect.max.y],
                color: f.color.to_array().map(|c| c as f32 / 255.0),
                screen: points,
            })
            .collect();
        self.instances.write(device, queue, &instances);
    }

    /// Draws the fills written by [`FillPass::prepare`], each under its clip rectangle as
    /// egui-wgpu scissors it.
    pub fn draw(
        &self,
        pass: &mut wgpu::RenderPass<'_>,
        fills: &[Fill],
        screen: &egui_wgpu::ScreenDescriptor,
    ) {
        if fills.is_empty() {
            return;
        }
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.group, &[]);
        pass.set_vertex_buffer(0, self.instances.buffer().slice(..));
        for (k, fill) in fills.iter().enumerate() {
            let Some((origin, extent)) =
                pixel_span(fill.clip, screen.pixels_per_point, screen.size_in_pixels)
            else {
                continue;
            };
            pass.set_scissor_rect(origin[0], origin[1], extent[0], extent[1]);
            pass.draw(0..4, k as u32..k as u32 + 1);
        }
        let [width, height] = screen.size_in_pixels;
        pass.set_scissor_rect(0, 0, width, height);
    }
}

/// Takes the fills out of `jobs` (module docs): returns them in egui's order and the jobs
/// without their triangles (a job left with none is dropped).
pub fn take_fills(
    jobs: &[ClippedPrimitive],
    pixels_per_point: f32,
) -> (Vec<Fill>, Vec<ClippedPrimitive>) {
    let min_area = MIN_FILL_AREA_PX / (pixels_per_point * pixels_per_point);
    // The bounds (within their clip) of every triangle drawn so far and kept in the jobs.
    let mut earlier: Vec<Rect> = Vec::new();
    let mut fills = Vec::new();
    let mut out = Vec::with_capacity(jobs.len());
    for job in jobs {
        let Primitive::Mesh(mesh) = &job.primitive else {
            // A paint callback may draw anywhere in its clip.
            earlier.push(job.clip_rect);
            out.push(job.clone());
            continue;
        };
        let triangles = mesh.indices.len() / 3;
        let mut taken = vec![false; triangles];
        let mut t = 0;
        while t < triangles {
            if t + 1 < triangles
                && let Some((rect, color)) = rectangle(mesh, t)
                && rect.area() >= min_area
            {
                let visible = rect.intersect(job.clip_rect);
                let covered = earlier.iter().any(|r| r.intersect(visible).is_positive());
                if !covered {
                    if visible.is_positive() {
                        fills.push(Fill {
                            rect,
                            color,
                            clip: job.clip_rect,
                        });
                    }
                    taken[t] = true;
                    taken[t + 1] = true;
                    t += 2;
                    continue;
                }
            }
            let bounds = triangle_bounds(mesh, t).intersect(job.clip_rect);
            if bounds.is_positive() {
                earlier.push(bounds);
            }
            t += 1;
        }
        if !taken.contains(&true) {
            out.push(job.clone());
            continue;
        }
        let indices: Vec<u32> = mesh
            .indices
            .chunks_exact(3)
            .zip(&taken)
            .filter(|(_, taken)| !**taken)
            .flat_map(|(triangle, _)| triangle.iter().copied())
            .collect();
        if indices.is_empty() {
            continue;
        }
        out.push(ClippedPrimitive {
            clip_rect: job.clip_rect,
            primitive: Primitive::Mesh(Mesh {
                indices,
                vertices: mesh.vertices.clone(),
                texture_id: mesh.texture_id,
            }),
        });
    }
    (fills, out)
}

/// Triangles `t` and `t + 1` of `mesh` as an opaque rectangle at the white texel: four
/// vertices at the corners of an axis-aligned rectangle, the two triangles sharing one of its
/// diagonals, one opaque colour.
fn rectangle(mesh: &Mesh, t: usize) -> Option<(Rect, Color32)> {
    if mesh.texture_id != TextureId::default() {
        return None;
    }
    let index = |k: usize| mesh.indices[3 * t + k] as usize;
    // Most triangles are text (glyphs away from the white texel) or translucent: out at once.
    let color = mesh.vertices.get(index(0))?.color;
    if color.a() != 255 || mesh.vertices[index(0)].uv != WHITE_UV {
        return None;
    }
    let first = [index(0), index(1), index(2)];
    let second = [index(3), index(4), index(5)];
    let in_second = first.map(|i| second.contains(&i));
    let in_first = second.map(|i| first.contains(&i));
    // Two shared vertices (a, b) and one of each triangle's own (c, d).
    let mut shared = first
        .iter()
        .zip(in_second)
        .filter(|(_, s)| *s)
        .map(|(i, _)| *i);
    let (Some(a), Some(b), None) = (shared.next(), shared.next(), shared.next()) else {
        return None;
    };
    let c = first.iter().zip(in_second).find(|(_, s)| !*s)?.0;
    let d = second.iter().zip(in_first).find(|(_, s)| !*s)?.0;
    let vertex = |i: usize| mesh.vertices.get(i).copied();
    let corners: [Vertex; 4] = [vertex(a)?, vertex(b)?, vertex(*c)?, vertex(*d)?];
    if corners.iter().any(|v| v.color != color || v.uv != WHITE_UV) {
        return None;
    }
    let rect = Rect::from_points(&corners.map(|v| v.pos));
    let at_corner = |v: &Vertex| {
        (v.pos.x == rect.min.x || v.pos.x == rect.max.x)
            && (v.pos.y == rect.min.y || v.pos.y == rect.max.y)
    };
    // Corners, the shared pair diagonally opposite (so are the other two).
    let [p, q, r, s] = corners.map(|v| v.pos);
    let diagonal = p.x != q.x && p.y != q.y && r.x != s.x && r.y != s.y && ![p, q].contains(&r);
    (corners.iter().all(at_corner) && diagonal && rect.is_positive()).then_some((rect, color))
}

/// The bounds of triangle `t` of `mesh`.
fn triangle_bounds(mesh: &Mesh, t: usize) -> Rect {
    let mut bounds = Rect::NOTHING;
    for &i in &mesh.indices[3 * t..3 * t + 3] {
        bounds.extend_with(mesh.vertices[i as usize].pos);
    }
    bounds
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::Pos2;

    fn rect(x0: f32, y0: f32, x1: f32, y1: f32) -> Rect {
        Rect::from_min_max(Pos2::new(x0, y0), Pos2::new(x1, y1))
    }

    fn job(mesh: Mesh, clip: Rect) -> ClippedPrimitive {
        ClippedPrimitive {
            clip_rect: clip,
            primitive: Primitive::Mesh(mesh),
        }
    }

    /// A mesh of filled rectangles, each as egui's fan: (0, 1, 2), (0, 2, 3).
    fn rects(fills: &[(Rect, Color32)]) -> Mesh {
        let mut mesh = Mesh::default();
        for &(r, color) in fills {
            let base = mesh.vertices.len() as u32;
            for pos in [
                r.left_top(),
                r.right_top(),
                r.right_bottom(),
                r.left_bottom(),
            ] {
                mesh.colored_vertex(pos, color);
            }
            mesh.add_triangle(base, base + 1, base + 2);
            mesh.add_triangle(base, base + 2, base + 3);
        }
        mesh
    }

    fn triangles(jobs: &[ClippedPrimitive]) -> usize {
        jobs.iter()
            .map(|j| match &j.primitive {
                Primitive::Mesh(m) => m.indices.len() / 3,
                Primitive::Callback(_) => 0,
            })
            .sum()
    }

    #[test]
    fn opaque_rectangles_are_taken_out_unless_something_drawn_before_reaches_in() {
        let screen = rect(0.0, 0.0, 800.0, 600.0);
        let grey = Color32::from_gray(27);
        let panel = (rect(0.0, 20.0, 300.0, 600.0), grey);
        let plot = (rect(320.0, 300.0, 700.0, 560.0), Color32::from_gray(10));
        let label = (rect(330.0, 310.0, 380.0, 330.0), Color32::WHITE);
        // The panel, then a small label (too small to take), then a plot's background that
        // the label overlaps: the label was drawn first, so the plot's fill stays.
        let jobs = [
            job(rects(&[panel]), screen),
            job(rects(&[label, plot]), screen),
        ];
        let (fills, rest) = take_fills(&jobs, 1.0);
        assert_eq!(fills.len(), 1, "{fills:?}");
        assert_eq!((fills[0].rect, fills[0].color), panel);
        assert_eq!(triangles(&rest), 4, "label and plot stay");
        // With the plot's fill drawn before the label, both fills go.
        let jobs = [
            job(rects(&[panel]), screen),
            job(rects(&[plot, label]), screen),
        ];
        let (fills, rest) = take_fills(&jobs, 1.0);
        assert_eq!(
            fills.iter().map(|f| f.rect).collect::<Vec<_>>(),
            [panel.0, plot.0]
        );
        assert_eq!(triangles(&rest), 2, "the label stays");
        // Controls: translucent, textured elsewhere, and not a rectangle are left alone.
        let translucent = (rect(0.0, 0.0, 200.0, 200.0), Color32::from_black_alpha(170));
        let (fills, _) = take_fills(&[job(rects(&[translucent]), screen)], 1.0);
        assert!(fills.is_empty(), "translucent");
        let mut textured = rects(&[panel]);
        textured.vertices[1].uv = Pos2::new(0.5, 0.5);
        let (fills, _) = take_fills(&[job(textured, screen)], 1.0);
        assert!(fills.is_empty(), "textured");
        let mut skewed = rects(&[panel]);
        skewed.vertices[2].pos.x += 5.0;
        let (fills, _) = take_fills(&[job(skewed, screen)], 1.0);
        assert!(fills.is_empty(), "not a rectangle");
        // Below the least area at 1 point per pixel, above it at 2.
        let small = (rect(0.0, 0.0, 40.0, 60.0), grey);
        assert!(
            take_fills(&[job(rects(&[small]), screen)], 1.0)
                .0
                .is_empty()
        );
        assert_eq!(take_fills(&[job(rects(&[small]), screen)], 2.0).0.len(), 1);
    }
}
