//! The geodesic ball at the probe: its key, the stage that shoots it, and the view layers draw.

use crate::compute::geodesic::{GeodesicData, GeodesicPipeline};
use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::geodesic_data::{BallFrame, BallSpec, DEFAULT_STEPS};
use crate::math::QuadratureRule;
use crate::math::policy::System;
use crate::scene::Scene;
use crate::simulation::{general_nodes, stages_for};

/// Everything the geodesic ball's segments depend on: the ball (probe, model, slice, radius,
/// rays, steps) and the node count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BallKey {
    /// The ball.
    pub spec: BallSpec,
    /// Q, nodes per component of the jet's rule.
    pub nodes: u32,
    /// The policy plane's system (the ball is then on its gains; `spec`'s model and slice
    /// are unused).
    pub system: Option<System>,
}

/// The scene's ball key, or None when the ball is off or there is no probe. The ball uses the
/// general kernel's node count ([`general_nodes`]: Q = 32 by default) and
/// [`DEFAULT_STEPS`] steps.
pub fn ball_key(scene: &Scene) -> Option<BallKey> {
    let probe = scene.probe?;
    if !(scene.features.geodesics.ball && scene.offers(crate::scene::Feature::GeodesicBall)) {
        return None;
    }
    Some(BallKey {
        spec: BallSpec {
            base: scene.model,
            slice: scene.slice,
            probe,
            radius: scene.features.geodesics.radius,
            rays: scene.features.geodesics.rays.max(1),
            steps: DEFAULT_STEPS,
        },
        nodes: general_nodes(scene.nodes),
        system: scene.system,
    })
}

/// Rays of a ball shot while a handle is dragged (the ball follows the model every frame):
/// a quarter of the default 128, so a drag frame waits for a quarter of the work; the scene's
/// own count is shot once the drag stops.
pub const DRAG_RAYS: u32 = 32;

/// The geodesic stage: one pipeline per family half (`StageFamily::ball_shader`, each built on
/// first use: llvmpipe compiles slowly), the last ball's buffers (bound for the shader named
/// beside them) and the key and start frame they were computed for.
#[derive(Default)]
pub struct GeodesicStage {
    pipelines: Vec<(&'static str, GeodesicPipeline)>,
    data: Option<(GeodesicData, &'static str)>,
    key: Option<BallKey>,
    /// Rays in the data now: the key's, or [`DRAG_RAYS`] for a ball shot during a drag.
    shot_rays: u32,
    /// None where the probe could not start a ball (outside the model, κ > KAPPA_MAX).
    frame: Option<BallFrame>,
}

/// A computed ball, for drawing.
pub struct BallView<'a> {
    /// The segments (ring first, then spokes): instance data of `geodesic_ball.wgsl`.
    pub segments: &'a wgpu::Buffer,
    /// Geodesics.
    pub rays: u32,
    /// Steps per geodesic.
    pub steps: u32,
    /// The centre (slice coordinates, f64).
    pub probe: [f64; 2],
    /// Fisher–Rao radius.
    pub radius: f64,
    /// F and F^{-1/2} at the probe (f64).
    pub frame: BallFrame,
}

impl GeodesicStage {
    /// The geodesic ball for `scene`, once computed for its current key (None when the ball is
    /// off, there is no probe, or the probe could not start one).
    pub fn ball(&self, scene: &Scene) -> Option<BallView<'_>> {
        let key = ball_key(scene)?;
        let stage = self;
        if stage.key != Some(key) {
            return None;
        }
        let (data, _) = stage.data.as_ref()?;
        let (_, steps) = data.shape();
        Some(BallView {
            segments: data.segments(),
            rays: stage.shot_rays,
            steps,
            probe: key.spec.probe,
            radius: key.spec.radius,
            frame: stage.frame?,
        })
    }

    /// Dispatches the geodesic ball when its key changed (never every frame: a ball is
    /// `steps` + 2 dispatches of a few hundred node evaluations per geodesic and stage). While
    /// a handle is dragged (the model, and with it the ball, changes every frame) it shoots
    /// [`DRAG_RAYS`] rays, and the scene's count in the first frame after the drag.
    pub fn update(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
        dragging: bool,
    ) -> Result<(), GpuError> {
        let Some(key) = ball_key(scene) else {
            return Ok(());
        };
        let coarse = dragging && key.spec.rays > DRAG_RAYS;
        let shoot_rays = if coarse { DRAG_RAYS } else { key.spec.rays };
        if self.key == Some(key) && (self.shot_rays == key.spec.rays || coarse) {
            return Ok(());
        }
        let stage = self;
        let rule =
            QuadratureRule::new(key.nodes).map_err(|e| GpuError::InvalidInput(e.to_string()))?;
        stage.key = Some(key);
        let family = stages_for(scene);
        let shot = BallKey {
            spec: BallSpec {
                rays: shoot_rays,
                ..key.spec
            },
            ..key
        };
        stage.shot_rays = shoot_rays;
        let Some((frame, params)) = family.ball(&shot, &rule) else {
            stage.frame = None;
            return Ok(());
        };
        stage.frame = Some(frame);
        let shader = family.ball_shader();
        if !stage.pipelines.iter().any(|(s, _)| *s == shader) {
            let pipeline = GeodesicPipeline::for_shader(&ctx.device, shader);
            stage.pipelines.push((shader, pipeline));
        }
        let pipeline = &stage
            .pipelines
            .iter()
            .find(|(s, _)| *s == shader)
            .expect("compiled just above")
            .1;
        // The buffers hold the scene's rays, whichever count is shot into them.
        let shape = (key.spec.rays, params.steps);
        // The node table lives with the data: rebuild it when Q or the ball's shape changed.
        let panel_nodes = rule.panel_rule().nodes.len() as u32;
        let reusable = stage.data.as_ref().is_some_and(|(d, s)| {
            d.shape() == shape && d.panel_nodes() == panel_nodes && *s == shader
        });
        if !reusable {
            stage.data = None;
            stage.data = Some((
                GeodesicData::new(ctx, pipeline, shape.0, shape.1, &rule)?,
                shader,
            ));
        }
        let (data, _) = stage.data.as_ref().expect("allocated just above");
        data.encode(&ctx.queue, encoder, pipeline, &params);
        Ok(())
    }
}
