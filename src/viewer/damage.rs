//! Where two lists of egui paint jobs draw differently: the window chrome's damage rectangle.
//!
//! The copy compositor (`compositor.rs`, `job_cache::JobCache`) keeps the window's chrome
//! (tab bar, side panel, density strip) and the canvas's overlay (labels, legends) in textures
//! and redraws them only where egui's paint jobs change. While a
//! handle is dragged they change every frame, but only in a few places (the numbers that follow
//! the target, the density strip), and redrawing the whole chrome through egui's fragment
//! shader cost about 40 ms a frame on llvmpipe at 1400×900. [`damage`] compares the jobs and
//! returns the rectangle that covers every triangle that moved, appeared or vanished, so the
//! chrome is redrawn there alone (each job clipped to it, over the kept texture).
//!
//! Per mesh the comparison is linear: egui emits each shape's vertices contiguously, so the
//! vertices that differ form one middle range between a common prefix and a common suffix
//! (the suffix compared from the end, so text that grew or shrank shifts nothing after it).
//! Every triangle that uses a vertex of that range, in the old mesh or the new, is covered.
//!
//! The job lists are aligned the same way: a common head and a common tail of jobs with the
//! same clip rectangle and texture are compared mesh by mesh, and each job between them (one
//! that appeared or vanished, or was clipped anew, as when a feature's rows open in the side
//! panel and its scroll bar appears) damages all it draws. Turning the race on used to redraw
//! the whole chrome for that (52–70 ms on llvmpipe at 1400×900); now only the side panel's
//! rows below the race's and the race's own panel.

use egui::epaint::{Mesh, Primitive};
use egui::{ClippedPrimitive, Pos2, Rect};

/// How two lists of paint jobs differ.
#[derive(Clone, Debug, PartialEq)]
pub enum Damage {
    /// They draw the same.
    None,
    /// They differ inside these rectangles (points, disjoint) only.
    Within(Vec<Rect>),
    /// They differ in a paint callback, or over most of `screen`: redraw all.
    Everything,
}

/// Where `old` and `new` draw differently (module docs), as disjoint rectangles grown by
/// `margin` points and snapped out to whole pixels at `pixels_per_point` (egui's feathering
/// reaches about a pixel beyond a shape's vertices); Everything when they would cover more
/// than half of `screen`, or when a paint callback (whose pixels are unknown here) changed.
pub fn damage(
    old: &[ClippedPrimitive],
    new: &[ClippedPrimitive],
    margin: f32,
    pixels_per_point: f32,
    screen: Rect,
) -> Damage {
    let head = old
        .iter()
        .zip(new)
        .take_while(|(a, b)| comparable(a, b))
        .count();
    let tail = old[head..]
        .iter()
        .rev()
        .zip(new[head..].iter().rev())
        .take_while(|(a, b)| comparable(a, b))
        .count();
    let (old_middle, new_middle) = (head..old.len() - tail, head..new.len() - tail);
    let mut rects: Vec<Rect> = Vec::new();
    let mut push = |r: Rect, clip: Rect| {
        let r = padded(r, margin, pixels_per_point).intersect(clip);
        if r.is_positive() {
            rects.push(r);
        }
    };
    let aligned = old[..head]
        .iter()
        .zip(&new[..head])
        .chain(old[old_middle.end..].iter().zip(&new[new_middle.end..]));
    for (a, b) in aligned {
        if let (Primitive::Mesh(m), Primitive::Mesh(n)) = (&a.primitive, &b.primitive) {
            for r in mesh_damage(m, n) {
                push(r, a.clip_rect);
            }
        }
    }
    for job in old[old_middle].iter().chain(&new[new_middle]) {
        let Primitive::Mesh(mesh) = &job.primitive else {
            return Damage::Everything;
        };
        push(
            bounds(&mesh.vertices, 0..mesh.vertices.len()),
            job.clip_rect,
        );
    }
    if rects.is_empty() {
        return Damage::None;
    }
    let rects = disjoint(rects);
    let area: f32 = rects.iter().map(|r| r.area()).sum();
    if area > 0.5 * screen.area() {
        return Damage::Everything;
    }
    Damage::Within(rects)
}

/// Whether two jobs can be compared mesh by mesh: both meshes, of one texture, under one clip
/// rectangle.
fn comparable(a: &ClippedPrimitive, b: &ClippedPrimitive) -> bool {
    a.clip_rect == b.clip_rect
        && matches!((&a.primitive, &b.primitive),
            (Primitive::Mesh(m), Primitive::Mesh(n)) if m.texture_id == n.texture_id)
}

/// Merges overlapping rectangles until none overlap (each pixel then redrawn once).
fn disjoint(mut rects: Vec<Rect>) -> Vec<Rect> {
    let mut merged = true;
    while merged {
        merged = false;
        let mut out: Vec<Rect> = Vec::with_capacity(rects.len());
        for r in rects {
            if let Some(o) = out.iter_mut().find(|o| o.intersects(r)) {
                *o = o.union(r);
                merged = true;
            } else {
                out.push(r);
            }
        }
        rects = out;
    }
    rects
}

/// The rectangles covering the triangles that differ between two meshes (none when equal).
/// With as many vertices in both, each run of differing vertices gives one rectangle; else
/// the range between the common prefix and the common suffix does.
fn mesh_damage(a: &Mesh, b: &Mesh) -> Vec<Rect> {
    if a.vertices == b.vertices {
        if a.indices == b.indices {
            return Vec::new();
        }
        // Same vertices, other triangles: everything the mesh draws.
        let all = bounds(&a.vertices, 0..a.vertices.len());
        return vec![all];
    }
    let mut ranges: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)> = Vec::new();
    if a.vertices.len() == b.vertices.len() && a.indices == b.indices {
        let mut i = 0;
        while i < a.vertices.len() {
            if a.vertices[i] == b.vertices[i] {
                i += 1;
                continue;
            }
            let start = i;
            while i < a.vertices.len() && a.vertices[i] != b.vertices[i] {
                i += 1;
            }
            ranges.push((start..i, start..i));
        }
    } else {
        let shorter = a.vertices.len().min(b.vertices.len());
        let prefix = a
            .vertices
            .iter()
            .zip(&b.vertices)
            .take_while(|(x, y)| x == y)
            .count();
        let suffix = a
            .vertices
            .iter()
            .rev()
            .zip(b.vertices.iter().rev())
            .take(shorter - prefix)
            .take_while(|(x, y)| x == y)
            .count();
        ranges.push((
            prefix..a.vertices.len() - suffix,
            prefix..b.vertices.len() - suffix,
        ));
    }
    ranges
        .into_iter()
        .map(|(old_range, new_range)| {
            let mut rect = bounds(&a.vertices, old_range.clone())
                .union(bounds(&b.vertices, new_range.clone()));
            for (mesh, range) in [(a, old_range), (b, new_range)] {
                for triangle in mesh.indices.chunks_exact(3) {
                    if triangle.iter().any(|&i| range.contains(&(i as usize))) {
                        for &i in triangle {
                            if let Some(v) = mesh.vertices.get(i as usize) {
                                rect.extend_with(v.pos);
                            }
                        }
                    }
                }
            }
            rect
        })
        .collect()
}

/// The bounding rectangle of `vertices[range]` (NOTHING when empty).
fn bounds(vertices: &[egui::epaint::Vertex], range: std::ops::Range<usize>) -> Rect {
    let mut rect = Rect::NOTHING;
    for v in &vertices[range] {
        rect.extend_with(v.pos);
    }
    rect
}

/// What redraws `jobs` within the disjoint `rects` over the kept chrome, once they are cleared
/// to the full redraw's black (the compositor copies black there, [`pixel_span`]: drawing a
/// black quad through egui's shader instead cost as much as the redraw itself on llvmpipe):
/// every job clipped to each rectangle, with only the triangles that can reach it
/// ([`cull_to`]): a side panel's text is one mesh of tens of thousands of triangles, and on
/// llvmpipe every triangle costs its setup even when the scissor leaves it no pixel (a drag
/// redrew ~50 000 of them a frame for a few numbers).
pub fn redraw_jobs(jobs: &[ClippedPrimitive], rects: &[Rect]) -> Vec<ClippedPrimitive> {
    let mut out = Vec::new();
    for &area in rects {
        out.extend(jobs.iter().filter_map(|job| {
            let clip = job.clip_rect.intersect(area);
            if !clip.is_positive() {
                return None;
            }
            let primitive = match &job.primitive {
                Primitive::Mesh(mesh) => Primitive::Mesh(cull_to(mesh, clip)?),
                other => other.clone(),
            };
            Some(ClippedPrimitive {
                clip_rect: clip,
                primitive,
            })
        }));
    }
    out
}

/// The pixels of `area` (points) at `pixels_per_point` within a target of `size` pixels, its
/// edges rounded as egui-wgpu rounds a clip rectangle to its scissor (so the pixels cleared are
/// the pixels the redraw's jobs may draw): origin and extent, None when nothing is left. The
/// damage rectangles are snapped to whole pixels already ([`padded`]).
pub fn pixel_span(
    area: Rect,
    pixels_per_point: f32,
    size: [u32; 2],
) -> Option<([u32; 2], [u32; 2])> {
    let edge = |v: f32, limit: u32| ((v * pixels_per_point).round().max(0.0) as u32).min(limit);
    let x0 = edge(area.min.x, size[0]);
    let y0 = edge(area.min.y, size[1]);
    let x1 = edge(area.max.x, size[0]);
    let y1 = edge(area.max.y, size[1]);
    (x1 > x0 && y1 > y0).then_some(([x0, y0], [x1 - x0, y1 - y0]))
}

/// The triangles of `mesh` whose bounding box comes within a point of `clip` (the scissor is
/// rounded to whole pixels, and antialiasing feathers edges), with the vertices they use; None
/// when there are none. Drawn under `clip` it gives the same pixels as the whole mesh.
pub fn cull_to(mesh: &Mesh, clip: Rect) -> Option<Mesh> {
    let reach = clip.expand(1.0);
    let mut kept = Mesh::with_texture(mesh.texture_id);
    let mut remap = vec![u32::MAX; mesh.vertices.len()];
    for triangle in mesh.indices.chunks_exact(3) {
        let mut bounds = Rect::NOTHING;
        for &i in triangle {
            bounds.extend_with(mesh.vertices[i as usize].pos);
        }
        if !bounds.intersects(reach) {
            continue;
        }
        for &i in triangle {
            let slot = &mut remap[i as usize];
            if *slot == u32::MAX {
                *slot = kept.vertices.len() as u32;
                kept.vertices.push(mesh.vertices[i as usize]);
            }
            kept.indices.push(*slot);
        }
    }
    (!kept.indices.is_empty()).then_some(kept)
}

/// `area` grown by `margin` points and to whole pixels at `pixels_per_point`.
pub fn padded(area: Rect, margin: f32, pixels_per_point: f32) -> Rect {
    let grown = area.expand(margin);
    let snap = |v: f32, up: bool| {
        let px = v * pixels_per_point;
        (if up { px.ceil() } else { px.floor() }) / pixels_per_point
    };
    Rect::from_min_max(
        Pos2::new(snap(grown.min.x, false), snap(grown.min.y, false)),
        Pos2::new(snap(grown.max.x, true), snap(grown.max.y, true)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::epaint::{Color32, Vertex, WHITE_UV};

    /// A mesh of axis-aligned quads (two triangles each).
    fn quads(rects: &[Rect]) -> Mesh {
        let mut mesh = Mesh::default();
        for r in rects {
            mesh.add_colored_rect(*r, Color32::WHITE);
        }
        mesh
    }

    fn job(mesh: Mesh) -> ClippedPrimitive {
        ClippedPrimitive {
            clip_rect: rect(0.0, 0.0, 1000.0, 1000.0),
            primitive: Primitive::Mesh(mesh),
        }
    }

    fn rect(x0: f32, y0: f32, x1: f32, y1: f32) -> Rect {
        Rect::from_min_max(Pos2::new(x0, y0), Pos2::new(x1, y1))
    }

    /// `damage` without padding on a 1000² screen.
    fn diff(old: &[ClippedPrimitive], new: &[ClippedPrimitive]) -> Damage {
        damage(old, new, 0.0, 1.0, rect(0.0, 0.0, 1000.0, 1000.0))
    }

    #[test]
    fn equal_jobs_have_no_damage_and_moved_quads_damage_only_themselves() {
        let a = [
            rect(0.0, 0.0, 10.0, 10.0),
            rect(100.0, 100.0, 110.0, 110.0),
            rect(300.0, 300.0, 310.0, 310.0),
            rect(500.0, 500.0, 510.0, 510.0),
        ];
        let old = vec![job(quads(&a))];
        assert_eq!(diff(&old, &old.clone()), Damage::None);
        // Two quads far apart move by 5: two rectangles, each its quad's old and new place,
        // not one rectangle spanning what lies between.
        let mut b = a;
        b[1] = rect(105.0, 100.0, 115.0, 110.0);
        b[3] = rect(505.0, 500.0, 515.0, 510.0);
        let new = vec![job(quads(&b))];
        assert_eq!(
            diff(&old, &new),
            Damage::Within(vec![
                rect(100.0, 100.0, 115.0, 110.0),
                rect(500.0, 500.0, 515.0, 510.0)
            ])
        );
    }

    #[test]
    fn text_that_grows_damages_from_it_to_its_end_only() {
        // A "line" of three glyph quads becomes four; the quad after it (another widget) shifts
        // nothing since it is compared from the end.
        let line = [
            rect(0.0, 0.0, 5.0, 5.0),
            rect(5.0, 0.0, 10.0, 5.0),
            rect(10.0, 0.0, 15.0, 5.0),
        ];
        let widget = rect(0.0, 50.0, 100.0, 60.0);
        let old = vec![job(quads(&[line[0], line[1], line[2], widget]))];
        let new = vec![job(quads(&[
            line[0],
            line[1],
            line[2],
            rect(15.0, 0.0, 20.0, 5.0),
            widget,
        ]))];
        assert_eq!(
            diff(&old, &new),
            Damage::Within(vec![rect(15.0, 0.0, 20.0, 5.0)])
        );
    }

    #[test]
    fn a_moved_vertex_damages_its_whole_triangle() {
        // One corner of a quad moves: both triangles' areas, old and new, are covered.
        let old_mesh = quads(&[rect(0.0, 0.0, 10.0, 10.0)]);
        let mut new_mesh = old_mesh.clone();
        new_mesh.vertices[2] = Vertex {
            pos: Pos2::new(12.0, 12.0),
            uv: WHITE_UV,
            color: Color32::WHITE,
        };
        let d = diff(&[job(old_mesh)], &[job(new_mesh)]);
        let Damage::Within(r) = d else {
            panic!("{d:?}")
        };
        assert_eq!(r.len(), 1);
        assert!(r[0].contains_rect(rect(0.0, 0.0, 12.0, 12.0)), "{r:?}");
    }

    #[test]
    fn jobs_that_appear_vanish_or_are_clipped_anew_damage_what_they_draw() {
        // Each job under its own clip rectangle, as egui's are (it merges neighbouring shapes of
        // one clip and texture into one mesh).
        let quad = |r: Rect| ClippedPrimitive {
            clip_rect: r.expand(20.0),
            primitive: Primitive::Mesh(quads(&[r])),
        };
        let (a, b, c) = (
            rect(0.0, 0.0, 10.0, 10.0),
            rect(100.0, 100.0, 120.0, 110.0),
            rect(300.0, 300.0, 310.0, 310.0),
        );
        // A job inserted between two kept ones damages its own bounds only, and taking it
        // away again damages the same.
        let two = vec![quad(a), quad(c)];
        let three = vec![quad(a), quad(b), quad(c)];
        assert_eq!(diff(&two, &three), Damage::Within(vec![b]));
        assert_eq!(diff(&three, &two), Damage::Within(vec![b]));
        // The kept jobs around it are still compared: the last one moved too.
        let mut moved = three.clone();
        moved[2].primitive = Primitive::Mesh(quads(&[rect(305.0, 300.0, 315.0, 310.0)]));
        assert_eq!(
            diff(&two, &moved),
            Damage::Within(vec![rect(300.0, 300.0, 315.0, 310.0), b])
        );
        // A job clipped anew damages what it drew and draws, each within its clip.
        let mut clipped = two.clone();
        clipped[0].clip_rect = rect(0.0, 0.0, 5.0, 5.0);
        assert_eq!(diff(&two, &clipped), Damage::Within(vec![a]));
        // Control: with one clip for all (egui would have merged them), the alignment cannot
        // tell the inserted job from the one after it, and damages both: still correct.
        let shared = |jobs: &[ClippedPrimitive]| -> Vec<ClippedPrimitive> {
            jobs.iter()
                .map(|j| {
                    job(match &j.primitive {
                        Primitive::Mesh(m) => m.clone(),
                        Primitive::Callback(_) => unreachable!(),
                    })
                })
                .collect()
        };
        assert_eq!(
            diff(&shared(&two), &shared(&three)),
            Damage::Within(vec![rect(100.0, 100.0, 310.0, 310.0)])
        );
        // Control: an unchanged list has no damage.
        assert_eq!(diff(&three, &three.clone()), Damage::None);
    }

    #[test]
    fn callbacks_and_large_changes_redraw_everything() {
        let one = vec![job(quads(&[rect(0.0, 0.0, 10.0, 10.0)]))];
        // A quad that grows over most of the screen.
        let big = vec![job(quads(&[rect(0.0, 0.0, 900.0, 900.0)]))];
        assert_eq!(diff(&one, &big), Damage::Everything);
        // A paint callback whose job appears: what it paints is unknown here.
        let callback = ClippedPrimitive {
            clip_rect: rect(0.0, 0.0, 10.0, 10.0),
            primitive: Primitive::Callback(egui::epaint::PaintCallback {
                rect: rect(0.0, 0.0, 10.0, 10.0),
                callback: std::sync::Arc::new(()),
            }),
        };
        let with_callback = vec![one[0].clone(), callback];
        assert_eq!(diff(&one, &with_callback), Damage::Everything);
        // Control: the same quad under its old clip is no damage.
        assert_eq!(diff(&one, &one.clone()), Damage::None);
    }

    #[test]
    fn overlapping_damage_merges_and_redraws_clipped_jobs_over_cleared_pixels() {
        assert_eq!(
            disjoint(vec![
                rect(0.0, 0.0, 10.0, 10.0),
                rect(50.0, 50.0, 60.0, 60.0),
                rect(5.0, 5.0, 20.0, 20.0),
            ]),
            vec![rect(0.0, 0.0, 20.0, 20.0), rect(50.0, 50.0, 60.0, 60.0)]
        );
        let mut far = job(quads(&[rect(0.0, 0.0, 10.0, 10.0)]));
        far.clip_rect = rect(500.0, 500.0, 600.0, 600.0);
        let near = job(quads(&[rect(0.0, 0.0, 10.0, 10.0)]));
        let jobs = redraw_jobs(&[far, near], &[rect(0.0, 0.0, 20.0, 20.0)]);
        // The one job that meets the rectangle, clipped to it.
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].clip_rect, rect(0.0, 0.0, 20.0, 20.0));
        // What the compositor clears first: egui's scissor of the rectangle, clipped to the
        // target.
        assert_eq!(
            pixel_span(rect(10.0, 5.0, 20.0, 7.5), 2.0, [100, 100]),
            Some(([20, 10], [20, 5]))
        );
        assert_eq!(
            pixel_span(rect(0.8, 2.4, 8.0, 4.0), 1.25, [100, 100]),
            Some(([1, 3], [9, 2]))
        );
        assert_eq!(
            pixel_span(rect(-3.0, 90.0, 20.0, 120.0), 1.0, [100, 100]),
            Some(([0, 90], [20, 10]))
        );
        // Control: a rectangle off the target clears nothing.
        assert_eq!(
            pixel_span(rect(120.0, 0.0, 130.0, 10.0), 1.0, [100, 100]),
            None
        );
        assert_eq!(
            padded(rect(0.3, 0.3, 1.2, 1.2), 1.0, 1.0),
            rect(-1.0, -1.0, 3.0, 3.0)
        );
    }

    #[test]
    fn a_redraw_keeps_only_the_triangles_that_reach_its_rectangle() {
        // Two quads far apart in one mesh: a redraw near the first keeps its two triangles
        // and drops the other's; one in empty space keeps none (and no job).
        let mesh = quads(&[rect(0.0, 0.0, 10.0, 10.0), rect(500.0, 500.0, 510.0, 510.0)]);
        let jobs = redraw_jobs(&[job(mesh.clone())], &[rect(5.0, 5.0, 20.0, 20.0)]);
        assert_eq!(jobs.len(), 1);
        let Primitive::Mesh(kept) = &jobs[0].primitive else {
            panic!("a mesh")
        };
        assert_eq!(kept.indices.len(), 6);
        assert_eq!(kept.vertices.len(), 4);
        assert!(kept.vertices.iter().all(|v| v.pos.x <= 10.0));
        let jobs = redraw_jobs(&[job(mesh.clone())], &[rect(200.0, 200.0, 220.0, 220.0)]);
        assert!(jobs.is_empty(), "no job reaches it");
        // A triangle that merely touches the rectangle's pixel border is kept (control: the
        // culled mesh is not just the clip's interior).
        let edge = quads(&[rect(20.5, 0.0, 30.0, 10.0)]);
        let kept = cull_to(&edge, rect(0.0, 0.0, 20.0, 20.0)).expect("within a point");
        assert_eq!(kept.indices.len(), 6);
        assert!(cull_to(&edge, rect(0.0, 0.0, 19.0, 20.0)).is_none());
    }
}
