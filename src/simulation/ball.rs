//! The geodesic ball at the probe: its key, the stage that shoots it, and the view layers draw.

use super::*;

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
    if !(scene.geodesics.ball && scene.offers(crate::scene::Feature::GeodesicBall)) {
        return None;
    }
    Some(BallKey {
        spec: BallSpec {
            base: scene.model,
            slice: scene.slice,
            probe,
            radius: scene.geodesics.radius,
            rays: scene.geodesics.rays.max(1),
            steps: DEFAULT_STEPS,
        },
        nodes: general_nodes(scene.nodes),
        system: scene.system,
    })
}

/// The geodesic stage: the families' pipelines (each built on first use: llvmpipe compiles
/// slowly), the last ball's buffers and the key and start frame they were computed for.
#[derive(Default)]
pub(super) struct GeodesicStage {
    pub(super) mixture: Option<GeodesicPipeline>,
    pub(super) policy: Option<GeodesicPipeline>,
    /// The buffers, bound for the pipeline of the family in the flag (true: the policy plane).
    pub(super) data: Option<(GeodesicData, bool)>,
    pub(super) key: Option<BallKey>,
    /// None where the probe could not start a ball (outside the model, κ > KAPPA_MAX).
    pub(super) frame: Option<BallFrame>,
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

impl Simulation {
    /// The geodesic ball for `scene`, once computed for its current key (None when the ball is
    /// off, there is no probe, or the probe could not start one).
    pub fn geodesic_ball(&self, scene: &Scene) -> Option<BallView<'_>> {
        let key = ball_key(scene)?;
        let stage = self.geodesic.as_ref()?;
        if stage.key != Some(key) {
            return None;
        }
        let (data, _) = stage.data.as_ref()?;
        let (rays, steps) = data.shape();
        Some(BallView {
            segments: data.segments(),
            rays,
            steps,
            probe: key.spec.probe,
            radius: key.spec.radius,
            frame: stage.frame?,
        })
    }

    /// Dispatches the geodesic ball when its key changed (never every frame: a ball is
    /// `steps` + 2 dispatches of a few hundred node evaluations per geodesic and stage).
    pub(super) fn update_geodesic_ball(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
    ) -> Result<(), GpuError> {
        let Some(key) = ball_key(scene) else {
            return Ok(());
        };
        if self.geodesic.as_ref().is_some_and(|g| g.key == Some(key)) {
            return Ok(());
        }
        let stage = self.geodesic.get_or_insert_with(GeodesicStage::default);
        let rule =
            QuadratureRule::new(key.nodes).map_err(|e| GpuError::InvalidInput(e.to_string()))?;
        stage.key = Some(key);
        let spec = &key.spec;
        let policy = key.system.is_some();
        let params = match &key.system {
            Some(system) => {
                stage.frame = policy_ball_frame(system, spec.probe);
                policy_geodesic_params(system, spec.probe, spec.radius, spec.rays, spec.steps)
            }
            None => {
                stage.frame = ball_frame(&spec.base, &spec.slice, spec.probe, &rule);
                geodesic_params(spec, &rule)
            }
        };
        let Some(params) = params else {
            return Ok(());
        };
        let pipeline: &GeodesicPipeline = if policy {
            stage
                .policy
                .get_or_insert_with(|| GeodesicPipeline::policy(&ctx.device))
        } else {
            stage
                .mixture
                .get_or_insert_with(|| GeodesicPipeline::new(&ctx.device))
        };
        let shape = (params.rays, params.steps);
        // The node table lives with the data: rebuild it when Q or the ball's shape changed.
        let panel_nodes = rule.panel_rule().nodes.len() as u32;
        let reusable = stage.data.as_ref().is_some_and(|(d, p)| {
            d.shape() == shape && d.panel_nodes() == panel_nodes && *p == policy
        });
        if !reusable {
            stage.data = None;
            stage.data = Some((
                GeodesicData::new(ctx, pipeline, params.rays, params.steps, &rule)?,
                policy,
            ));
        }
        let (data, _) = stage.data.as_ref().expect("allocated just above");
        data.encode(&ctx.queue, encoder, pipeline, &params);
        Ok(())
    }
}
