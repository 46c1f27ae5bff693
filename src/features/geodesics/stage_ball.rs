//! The geodesic ball at the probe: its key, the stage that shoots it (a few dispatches a
//! frame in the viewer, into buffers of its own while the last ball stays drawn), and the
//! view layers draw.

use crate::compute::geodesic::{GeodesicData, GeodesicPipeline};
use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::geodesic_data::{BallFrame, BallSpec, DEFAULT_STEPS, GeodesicParams};
use crate::jobs::JobMode;
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
/// an eighth of the default 256, so a drag frame waits for an eighth of the work; the scene's
/// own count is shot once the drag stops.
pub const DRAG_RAYS: u32 = 32;

/// Ray-dispatches a frame records of a ball under way (rays × dispatches, one ball being
/// `DEFAULT_STEPS` + 2 dispatches). On llvmpipe the GPU's work runs on the CPU's cores
/// between the frame's submission and its present, so a 256-ray ball in one frame (34
/// dispatches, ~50 ms on 2 cores) stalled the frame that turned it on; at this budget it takes
/// six frames of 6 dispatches while the last ball stays drawn, a 128-ray one three, and a
/// drag's [`DRAG_RAYS`] ball still one (the drag never waits a frame for its ball). Turning a
/// 256-ray ball on measured 44–57 ms a first frame at 2048, 30–47 at this budget (1400 × 900,
/// two presets, three runs each).
pub const RAY_DISPATCHES_PER_FRAME: u32 = 1536;

/// A ball's buffers and what they were (or are being) shot for.
struct Shot {
    data: GeodesicData,
    /// The shader the data's bind group was built for.
    shader: &'static str,
    key: BallKey,
    /// Rays shot: the key's, or [`DRAG_RAYS`].
    rays: u32,
    /// F and F^{-1/2} at the probe.
    frame: BallFrame,
}

/// A ball being shot a few dispatches a frame, and how far it has come.
struct Pending {
    shot: Shot,
    params: GeodesicParams,
    /// Dispatches recorded so far (of the data's `dispatch_count`).
    recorded: u32,
}

/// The geodesic stage: one pipeline per family half (`StageFamily::ball_shader`, each built on
/// first use: llvmpipe compiles slowly), the ball drawn now and the one under way, each in its
/// own buffers, so the old ball stays drawn until the new one is complete.
#[derive(Default)]
pub struct GeodesicStage {
    pipelines: Vec<(&'static str, GeodesicPipeline)>,
    /// The last complete ball (drawn).
    shown: Option<Shot>,
    /// The ball under way, in its own buffers.
    pending: Option<Pending>,
    /// The key last asked for, and whether it was shot coarse ([`DRAG_RAYS`]).
    wanted: Option<(BallKey, bool)>,
    /// Buffers of a replaced ball, kept for the next one of the same shape.
    spare: Option<Shot>,
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
    /// Takes pipelines built ahead, by shader ([`crate::simulation::PipelinesAhead`]): a ball
    /// on their family then compiles nothing.
    pub fn adopt(&mut self, pipelines: Vec<(&'static str, GeodesicPipeline)>) {
        for (shader, pipeline) in pipelines {
            if !self.pipelines.iter().any(|(s, _)| *s == shader) {
                self.pipelines.push((shader, pipeline));
            }
        }
    }

    /// The geodesic ball to draw for `scene`: the last complete one, while a newer one is under
    /// way too (at its own probe and radius: the picture of a moment ago, not a made-up one),
    /// as long as it is on the scene's slice and family. None when the ball is off, there is
    /// no probe, none was completed yet, or the probe could not start one.
    pub fn ball(&self, scene: &Scene) -> Option<BallView<'_>> {
        let key = ball_key(scene)?;
        let shot = self.shown.as_ref()?;
        let same_plane = shot.key.spec.slice == key.spec.slice
            && shot.key.system.map(|s| s.plant) == key.system.map(|s| s.plant);
        if !same_plane {
            return None;
        }
        let (_, steps) = shot.data.shape();
        Some(BallView {
            segments: shot.data.segments(),
            rays: shot.rays,
            steps,
            probe: shot.key.spec.probe,
            radius: shot.key.spec.radius,
            frame: shot.frame,
        })
    }

    /// True while a ball is under way: the viewer keeps drawing frames until it is complete.
    pub fn in_progress(&self) -> bool {
        self.pending.is_some()
    }

    /// Starts a ball when its key changed (never every frame: a ball is `steps` + 2 dispatches
    /// of a few hundred node evaluations per geodesic and stage) and records this frame's share
    /// of the one under way: [`RAY_DISPATCHES_PER_FRAME`], or all of it in deterministic mode
    /// (captures, screenshots, tests: a frame shows its own scene's ball). While a handle is
    /// dragged, or while the key changes from frame to frame (a slider or the probe moving:
    /// it changed again before the ball under way was complete), it shoots [`DRAG_RAYS`]
    /// rays, each in one frame, and the scene's count once the key holds still.
    pub fn update(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
        dragging: bool,
        mode: JobMode,
    ) -> Result<(), GpuError> {
        let Some(key) = ball_key(scene) else {
            // Off: nothing under way; the buffers stay for the next ball.
            if let Some(pending) = self.pending.take() {
                self.spare = Some(pending.shot);
            }
            self.wanted = None;
            return Ok(());
        };
        // The key moved on before its ball was complete, or moves on again after a coarse
        // one: the scene is changing every frame, and only a coarse ball keeps up.
        let changing = self.wanted.is_some_and(|(k, was_coarse)| {
            k != key && (was_coarse || self.pending.is_some())
        });
        let coarse = (dragging || changing) && key.spec.rays > DRAG_RAYS;
        let unchanged = match self.wanted {
            Some((k, was_coarse)) => k == key && (!was_coarse || coarse),
            // Turned on again: the ball last drawn is kept, and may be this key's whole one.
            None => self
                .shown
                .as_ref()
                .is_some_and(|shot| shot.key == key && shot.rays == key.spec.rays),
        };
        if unchanged && self.wanted.is_none() {
            self.wanted = Some((key, false));
        }
        if !unchanged {
            self.start(ctx, scene, key, coarse)?;
        }
        self.record(ctx, encoder, mode);
        Ok(())
    }

    /// Starts the ball for `key` in buffers of its shape (the spare ones, or new).
    fn start(
        &mut self,
        ctx: &GpuContext,
        scene: &Scene,
        key: BallKey,
        coarse: bool,
    ) -> Result<(), GpuError> {
        self.wanted = Some((key, coarse));
        let rule =
            QuadratureRule::new(key.nodes).map_err(|e| GpuError::InvalidInput(e.to_string()))?;
        let family = stages_for(scene);
        let rays = if coarse { DRAG_RAYS } else { key.spec.rays };
        let shot_key = BallKey {
            spec: BallSpec { rays, ..key.spec },
            ..key
        };
        let Some((frame, params)) = family.ball(&shot_key, &rule) else {
            // Nothing to shoot: the probe cannot start a ball, and none is drawn. The buffers
            // stay for the next ball.
            let old = [self.pending.take().map(|p| p.shot), self.shown.take()];
            self.spare = old.into_iter().flatten().next().or(self.spare.take());
            return Ok(());
        };
        let shader = family.ball_shader();
        if !self.pipelines.iter().any(|(s, _)| *s == shader) {
            let pipeline = GeodesicPipeline::for_shader(&ctx.device, shader);
            self.pipelines.push((shader, pipeline));
        }
        // The buffers hold the scene's rays, whichever count is shot into them; the node table
        // lives with the data, so Q and the shader must match too.
        let panel_nodes = rule.panel_rule().nodes.len() as u32;
        let fits = |shot: &Shot| {
            shot.data.shape() == (key.spec.rays, params.steps)
                && shot.data.panel_nodes() == panel_nodes
                && shot.shader == shader
        };
        let recycled = [self.pending.take().map(|p| p.shot), self.spare.take()]
            .into_iter()
            .flatten()
            .find(|shot| fits(shot));
        let data = match recycled {
            Some(shot) => shot.data,
            None => {
                let pipeline = self.pipeline(shader);
                GeodesicData::new(ctx, pipeline, key.spec.rays, params.steps, &rule)?
            }
        };
        let shot = Shot {
            data,
            shader,
            key,
            rays,
            frame,
        };
        self.pending = Some(Pending {
            shot,
            params,
            recorded: 0,
        });
        Ok(())
    }

    /// Records this frame's dispatches of the ball under way; a complete ball replaces the
    /// shown one (whose buffers become the spare).
    fn record(&mut self, ctx: &GpuContext, encoder: &mut wgpu::CommandEncoder, mode: JobMode) {
        let Some(pending) = &mut self.pending else {
            return;
        };
        let total = pending.shot.data.dispatch_count();
        let share = match mode {
            JobMode::Deterministic => total,
            JobMode::Background => (RAY_DISPATCHES_PER_FRAME / pending.params.rays.max(1)).max(1),
        };
        let end = (pending.recorded + share).min(total);
        let pipeline = self.pipelines.iter().find(|(s, _)| *s == pending.shot.shader);
        let (_, pipeline) = pipeline.expect("built when the ball was started");
        pending.shot.data.encode_dispatches(
            &ctx.queue,
            encoder,
            pipeline,
            &pending.params,
            pending.recorded..end,
        );
        pending.recorded = end;
        if end == total {
            let done = self.pending.take().expect("matched above").shot;
            self.spare = self.shown.replace(done);
        }
    }

    fn pipeline(&self, shader: &str) -> &GeodesicPipeline {
        &self
            .pipelines
            .iter()
            .find(|(s, _)| *s == shader)
            .expect("built before it is asked for")
            .1
    }
}
