//! The frame-loop section: offscreen frames of the viewer's renderer, timed whole, stage by
//! stage and pass by pass.

use super::Section;
use super::config::Kernel;
use super::report::{FrameRow, PassTime};
use super::timing::median_p95;
use crate::frame::FrameRenderer;
use crate::gpu::context::GpuError;
use crate::render::CANVAS_FORMAT;
use crate::render::canvas::Canvas;
use crate::scene::{Camera, Scene};
use crate::simulation::uses_seed_kernel;

pub(super) fn bench_frames(run: Section<'_>) -> Result<(), GpuError> {
    let Section(ctx, config, report, progress) = run;
    for case in &config.frames {
        progress(&format!(
            "frame loop {}×{} grid {} particles {}",
            case.width, case.height, case.grid, case.particles
        ));
        // The frame renderer every consumer uses, its stages timed one by one.
        let mut frames = FrameRenderer::new(ctx, false)?;
        let renderer = frames.scene_renderer_mut();
        let target = Canvas::new(
            &ctx.device,
            [case.width, case.height],
            CANVAS_FORMAT,
            "bench frame",
        );
        let mut scene = match config.model.kernel {
            Kernel::Seed => Scene {
                grid: case.grid,
                camera: Camera {
                    center: [0.0, 0.0],
                    half_height: 4.0,
                    x_per_y: 1.0,
                },
                model: config.model.model,
                ..Scene::default()
            },
            Kernel::General => Scene {
                grid: case.grid,
                ..config.model.scene()
            },
        };
        scene.features.flow.enabled = case.particles > 0;
        scene.features.flow.particles = (case.particles > 0).then_some(case.particles);
        let origin = scene.target();
        // The viewer's `--drag-target` step.
        let drag = |scene: &mut Scene, frame: usize| {
            let angle = frame as f64 * 0.05;
            scene.apply(crate::scene::SceneEdit::SetTarget([
                origin[0] + 0.3 * angle.cos(),
                origin[1] + 0.3 * angle.sin(),
            ]));
        };
        let (mut wall, mut field, mut particles, mut draw) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut cells = 0;
        for frame in 0..3 + config.frame_count {
            if case.field_every_frame {
                renderer.simulation_mut().invalidate_field();
            }
            if case.drag_target {
                drag(&mut scene, frame);
            }
            let (info, stages) =
                renderer.render_timed(ctx, &target.view, target.size, 1.0, &scene)?;
            cells = info.cells;
            if frame >= 3 {
                wall.push(stages.iter().sum());
                field.push(stages[0]);
                particles.push(stages[1]);
                draw.push(stages[2]);
            }
        }
        // The same frames again, pass by pass.
        let mut split: Vec<(&'static str, Vec<f64>)> = Vec::new();
        for frame in 0..3 + config.frame_count {
            if case.field_every_frame {
                renderer.simulation_mut().invalidate_field();
            }
            if case.drag_target {
                drag(&mut scene, 3 + config.frame_count + frame);
            }
            let (_, passes) =
                renderer.render_passes_timed(ctx, &target.view, target.size, 1.0, &scene)?;
            if frame >= 3 {
                for (i, (name, ms)) in passes.into_iter().enumerate() {
                    if split.len() <= i {
                        split.push((name, Vec::new()));
                    }
                    split[i].1.push(ms);
                }
            }
        }
        let (median_ms, p95_ms) = median_p95(&wall);
        let med = |v: &Vec<f64>| median_p95(v).0;
        report.frame.push(FrameRow {
            case: *case,
            // The viewer's simulation picks the kernel from the scene (`--kernel general` on
            // the seed's slice does not reach it).
            kernel: if uses_seed_kernel(&scene) {
                Kernel::Seed
            } else {
                Kernel::General
            },
            cells,
            median_ms,
            p95_ms,
            field_ms: med(&field),
            particles_ms: med(&particles),
            draw_ms: med(&draw),
            passes: split
                .iter()
                .map(|(pass, ms)| PassTime { pass, ms: med(ms) })
                .collect(),
        });
    }
    Ok(())
}
