//! The opaque one-colour areas of egui's paint jobs (the panels' and frames' fills, square or
//! rounded, with or without a stroke), taken out of the jobs and drawn first by a solid-colour
//! pass (`shaders/solid_fill.wgsl`), where egui's shader would shade every pixel of them with a
//! texture sample, a blend and dithering.
//!
//! On llvmpipe egui's pass costs ~40–80 ns a pixel, and a panel's background is most of its
//! pixels: the race's results panel (430 × 730) took 10–24 ms to redraw when the race was
//! turned on, 1.6–2.5 ms with the panels' fills made transparent (a measurement, not a
//! change). The solid pass writes the bytes egui writes (an opaque colour times the font
//! atlas's white texel, and dithering leaves exact 8-bit colours alone) over the same pixels
//! (the same triangles, the same clip-space expression, the same scissor).
//!
//! A fill is a run of consecutive triangles of one mesh whose vertices all have one opaque
//! colour at the white texel (egui's fan of a filled shape's inner polygon: it draws the
//! antialiased rim and any stroke with other colours), covering at least [`MIN_FILL_AREA_PX`]
//! pixels. Drawing it before the jobs is what egui draws only when nothing drawn before it in
//! egui's order reaches into it: anything earlier would then be drawn over the fill instead of
//! under it. So a run that an earlier triangle overlaps stays in its job: overlaps are found by
//! the bounds within the clip rectangles, then triangle against triangle (separating axes), so
//! that a rounded frame's rim and stroke, drawn just before its fill and touching it without
//! covering it, do not keep it.

use super::damage::pixel_span;
use crate::render::pipeline::InstanceBuffer;
use egui::epaint::{Mesh, Primitive, TextureId, WHITE_UV};
use egui::{ClippedPrimitive, Color32, Pos2, Rect};

/// The least area of a fill taken out of the jobs, in physical pixels: smaller ones cost egui
/// little, and each fill is a draw of its own.
pub const MIN_FILL_AREA_PX: f32 = 4096.0;

/// One opaque one-colour run of triangles, in points, with the clip rectangle of its job.
#[derive(Clone, Debug, PartialEq)]
pub struct Fill {
    /// The triangles' corners, three by three, points.
    pub triangles: Vec<Pos2>,
    /// Their bounds, points.
    pub bounds: Rect,
    /// Their colour (opaque).
    pub color: Color32,
    /// The job's clip rectangle, points.
    pub clip: Rect,
}

/// One corner of a fill's triangle as `shaders/solid_fill.wgsl` reads it.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct FillVertex {
    position: [f32; 2],
    color: [f32; 4],
    screen: [f32; 2],
}

/// The solid-colour pass: its pipeline and the triangles of the fills it draws.
pub struct FillPass {
    pipeline: wgpu::RenderPipeline,
    vertices: InstanceBuffer,
}

impl FillPass {
    /// The pass for targets of `format`.
    pub fn new(device: &wgpu::Device, format: wgpu::TextureFormat) -> Self {
        let module = crate::gpu::shader::create_module(device, "solid_fill.wgsl");
        let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("solid fill"),
            ..Default::default()
        });
        const ATTRIBUTES: [wgpu::VertexAttribute; 3] =
            wgpu::vertex_attr_array![0 => Float32x2, 1 => Float32x4, 2 => Float32x2];
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("solid fill"),
            layout: Some(&layout),
            vertex: wgpu::VertexState {
                module: &module,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &[Some(wgpu::VertexBufferLayout {
                    array_stride: size_of::<FillVertex>() as u64,
                    step_mode: wgpu::VertexStepMode::Vertex,
                    attributes: &ATTRIBUTES,
                })],
            },
            // As egui-wgpu's pipeline: a triangle list, no culling.
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            fragment: Some(wgpu::FragmentState {
                module: &module,
                entry_point: Some("fs_main"),
                compilation_options: Default::default(),
                targets: &[Some(wgpu::ColorTargetState {
                    format,
                    // Opaque: the colour replaces what is there, as egui's blend of an
                    // opaque colour does.
                    blend: None,
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            multiview_mask: None,
            cache: None,
        });
        Self {
            pipeline,
            vertices: InstanceBuffer::new(device, "solid fills", 4096),
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
        let vertices: Vec<FillVertex> = fills
            .iter()
            .flat_map(|f| {
                let color = f.color.to_array().map(|c| c as f32 / 255.0);
                f.triangles.iter().map(move |p| FillVertex {
                    position: [p.x, p.y],
                    color,
                    screen: points,
                })
            })
            .collect();
        self.vertices.write(device, queue, &vertices);
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
        pass.set_vertex_buffer(0, self.vertices.buffer().slice(..));
        let mut first = 0;
        for fill in fills {
            let count = fill.triangles.len() as u32;
            if let Some((origin, extent)) =
                pixel_span(fill.clip, screen.pixels_per_point, screen.size_in_pixels)
            {
                pass.set_scissor_rect(origin[0], origin[1], extent[0], extent[1]);
                pass.draw(first..first + count, 0..1);
            }
            first += count;
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
    let mut earlier: Vec<(Rect, [Pos2; 3])> = Vec::new();
    let mut fills = Vec::new();
    let mut out = Vec::with_capacity(jobs.len());
    for job in jobs {
        let Primitive::Mesh(mesh) = &job.primitive else {
            // A paint callback may draw anywhere in its clip.
            let c = job.clip_rect;
            earlier.push((c, [c.left_top(), c.right_top(), c.right_bottom()]));
            earlier.push((c, [c.left_top(), c.right_bottom(), c.left_bottom()]));
            out.push(job.clone());
            continue;
        };
        let triangles = mesh.indices.len() / 3;
        let mut taken = vec![false; triangles];
        let mut t = 0;
        while t < triangles {
            let run = solid_run(mesh, t);
            if let Some((end, color)) = run {
                let corners: Vec<Pos2> = mesh.indices[3 * t..3 * end]
                    .iter()
                    .map(|&i| mesh.vertices[i as usize].pos)
                    .collect();
                let bounds = Rect::from_points(&corners);
                let area: f32 = corners.chunks_exact(3).map(triangle_area).sum();
                let visible = bounds.intersect(job.clip_rect);
                // Small runs (most of them: a widget's dot, a marker) stay in egui's pass
                // before the search for what reaches them, which scans every earlier triangle.
                let reached = || {
                    earlier.iter().any(|(r, triangle)| {
                        r.intersect(visible).is_positive()
                            && corners
                                .chunks_exact(3)
                                .any(|own| triangles_overlap(triangle, own))
                    })
                };
                if area >= min_area && !reached() {
                    if visible.is_positive() {
                        fills.push(Fill {
                            triangles: corners,
                            bounds,
                            color,
                            clip: job.clip_rect,
                        });
                    }
                    taken[t..end].fill(true);
                    t = end;
                    continue;
                }
            }
            // Kept in egui's pass: the run's triangles (or this one) are drawn before what
            // follows.
            let end = run.map_or(t + 1, |(end, _)| end);
            for k in t..end {
                let triangle =
                    [0, 1, 2].map(|j| mesh.vertices[mesh.indices[3 * k + j] as usize].pos);
                let bounds = Rect::from_points(&triangle).intersect(job.clip_rect);
                if bounds.is_positive() {
                    earlier.push((bounds, triangle));
                }
            }
            t = end;
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

/// The run of triangles from `t` whose vertices all have one opaque colour at the white texel:
/// its end (exclusive) and the colour; None when triangle `t` is not such a triangle.
fn solid_run(mesh: &Mesh, t: usize) -> Option<(usize, Color32)> {
    if mesh.texture_id != TextureId::default() {
        return None;
    }
    let first = mesh.vertices.get(mesh.indices[3 * t] as usize)?;
    let color = first.color;
    // Most triangles are text (glyphs away from the white texel) or translucent: out at once.
    if color.a() != 255 || first.uv != WHITE_UV {
        return None;
    }
    let solid = |k: usize| {
        mesh.indices[3 * k..3 * k + 3].iter().all(|&i| {
            mesh.vertices
                .get(i as usize)
                .is_some_and(|v| v.color == color && v.uv == WHITE_UV)
        })
    };
    if !solid(t) {
        return None;
    }
    let triangles = mesh.indices.len() / 3;
    let end = (t + 1..triangles).find(|&k| !solid(k)).unwrap_or(triangles);
    Some((end, color))
}

/// The area of a triangle given by its three corners.
fn triangle_area(corners: &[Pos2]) -> f32 {
    let (a, b, c) = (corners[0], corners[1], corners[2]);
    0.5 * ((b.x - a.x) * (c.y - a.y) - (c.x - a.x) * (b.y - a.y)).abs()
}

/// Whether two triangles share an area (not only an edge or a corner, whose pixels the
/// rasteriser gives to one of them): no edge of either separates their projections by more
/// than a thousandth of a point.
fn triangles_overlap(a: &[Pos2; 3], b: &[Pos2]) -> bool {
    const TOUCH: f32 = 1e-3;
    let separates = |p: Pos2, q: Pos2| {
        let axis = egui::vec2(q.y - p.y, p.x - q.x);
        let project = |points: &[Pos2]| {
            points
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| {
                    let d = axis.dot(v.to_vec2());
                    (lo.min(d), hi.max(d))
                })
        };
        let ((a_lo, a_hi), (b_lo, b_hi)) = (project(a), project(b));
        let scale = axis.length().max(f32::MIN_POSITIVE);
        a_hi <= b_lo + TOUCH * scale || b_hi <= a_lo + TOUCH * scale
    };
    let edges = |t: &[Pos2]| [(t[0], t[1]), (t[1], t[2]), (t[2], t[0])];
    !edges(a)
        .into_iter()
        .chain(edges(b))
        .any(|(p, q)| separates(p, q))
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
    fn triangles_overlap_only_where_they_share_an_area() {
        let t = [
            Pos2::new(0.0, 0.0),
            Pos2::new(10.0, 0.0),
            Pos2::new(0.0, 10.0),
        ];
        let across = [
            Pos2::new(2.0, 2.0),
            Pos2::new(12.0, 2.0),
            Pos2::new(2.0, 12.0),
        ];
        let beside = [
            Pos2::new(10.0, 0.0),
            Pos2::new(0.0, 10.0),
            Pos2::new(10.0, 10.0),
        ];
        let far = [
            Pos2::new(20.0, 0.0),
            Pos2::new(30.0, 0.0),
            Pos2::new(20.0, 10.0),
        ];
        assert!(triangles_overlap(&t, &across));
        assert!(triangles_overlap(&t, &t));
        assert!(!triangles_overlap(&t, &beside), "a shared edge");
        assert!(!triangles_overlap(&t, &far));
    }

    #[test]
    fn opaque_runs_are_taken_out_unless_something_drawn_before_reaches_in() {
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
        assert_eq!((fills[0].bounds, fills[0].color), panel);
        assert_eq!(fills[0].triangles.len(), 6);
        assert_eq!(triangles(&rest), 4, "label and plot stay");
        // With the plot's fill drawn before the label, both fills go.
        let jobs = [
            job(rects(&[panel]), screen),
            job(rects(&[plot, label]), screen),
        ];
        let (fills, rest) = take_fills(&jobs, 1.0);
        let bounds: Vec<Rect> = fills.iter().map(|f| f.bounds).collect();
        assert_eq!(bounds, [panel.0, plot.0]);
        assert_eq!(triangles(&rest), 2, "the label stays");
        // A fan of one colour that is not a rectangle (a rounded frame's inner polygon) is a
        // fill too, all its triangles in one run.
        let mut fan = Mesh::default();
        for k in 0..8 {
            let angle = k as f32 * std::f32::consts::TAU / 8.0;
            fan.colored_vertex(
                Pos2::new(400.0 + 80.0 * angle.cos(), 300.0 + 80.0 * angle.sin()),
                grey,
            );
        }
        for k in 1..7 {
            fan.add_triangle(0, k, k + 1);
        }
        let (fills, rest) = take_fills(&[job(fan, screen)], 1.0);
        assert_eq!(fills.len(), 1);
        assert_eq!(fills[0].triangles.len(), 18);
        assert_eq!(triangles(&rest), 0);
        // Controls: translucent, textured elsewhere, and a vertex of another colour (a rim or
        // a gradient) are left alone.
        let translucent = (rect(0.0, 0.0, 200.0, 200.0), Color32::from_black_alpha(170));
        let (fills, _) = take_fills(&[job(rects(&[translucent]), screen)], 1.0);
        assert!(fills.is_empty(), "translucent");
        let mut textured = rects(&[panel]);
        textured.vertices[0].uv = Pos2::new(0.5, 0.5);
        textured.vertices[1].uv = Pos2::new(0.5, 0.5);
        let (fills, _) = take_fills(&[job(textured, screen)], 1.0);
        assert!(fills.is_empty(), "textured");
        let mut rim = rects(&[panel]);
        rim.vertices[2].color = Color32::TRANSPARENT;
        let (fills, rest) = take_fills(&[job(rim, screen)], 1.0);
        assert!(fills.is_empty(), "a vertex of another colour");
        assert_eq!(triangles(&rest), 2);
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
