//! The convergence map's stage: its spec from the scene and view, and the chunk a frame
//! dispatches.

use crate::compute::convergence::{ConvergenceMap, ConvergencePipeline, ConvergenceStage, MapSpec};
use crate::gpu::context::{GpuContext, GpuError};
use crate::jobs::JobMode;
use crate::scene::Scene;
use crate::simulation::{general_nodes, stages_for};

/// The convergence map of `scene` over [`view_min`, `view_max`]: its convergence settings, the model
/// as base and target, the general kernel's node count.
pub fn convergence_spec(scene: &Scene, view_min: [f64; 2], view_max: [f64; 2]) -> MapSpec {
    use crate::compute::convergence::MapOptimizer;
    let c = &scene.features.convergence;
    // Each family's gd and natural gradient take its own rates (their scales differ).
    let (lr_gd, lr_ngd) = stages_for(scene).map_rates(c);
    let maps = match c.view {
        crate::scene::ConvergenceView::Gd => vec![(MapOptimizer::Gd, lr_gd)],
        crate::scene::ConvergenceView::Ngd => vec![(MapOptimizer::Ngd, lr_ngd)],
        crate::scene::ConvergenceView::Split => {
            vec![(MapOptimizer::Gd, lr_gd), (MapOptimizer::Ngd, lr_ngd)]
        }
    };
    MapSpec {
        base: scene.model,
        target: scene.model,
        slice: scene.slice,
        view_min,
        view_max,
        side: c.side.max(1),
        maps,
        max_steps: c.max_steps,
        threshold: c.threshold,
        loss_floor: crate::compute::convergence::LOSS_FLOOR,
        kappa_max: crate::compute::convergence::KAPPA_MAX,
        leave_margin: crate::compute::convergence::LEAVE_MARGIN,
        nodes: general_nodes(scene.nodes),
        steps_per_frame: c.steps_per_frame.max(1),
        system: scene.system,
    }
}

/// The convergence map's stage: the map under way (its pipeline compiled on first use).
#[derive(Default)]
pub struct MapStage {
    stage: Option<ConvergenceStage>,
}

impl MapStage {
    /// Takes pipelines built ahead, by shader ([`crate::simulation::PipelinesAhead`]): a map
    /// on their family then compiles nothing.
    pub fn adopt(&mut self, ctx: &GpuContext, pipelines: Vec<(&'static str, ConvergencePipeline)>) {
        let stage = self.stage.get_or_insert_with(|| ConvergenceStage::new(ctx));
        for (shader, pipeline) in pipelines {
            stage.adopt(shader, pipeline);
        }
    }

    /// The convergence map's frame share: (re)starts it when the scene's model, slice,
    /// settings or the `visible` rectangle (its min and max corners) changed, then dispatches
    /// one chunk (or, in deterministic mode, runs it to the end). Nothing when the map is off.
    pub fn update(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
        visible: ([f64; 2], [f64; 2]),
        mode: JobMode,
    ) -> Result<(), GpuError> {
        let (view_min, view_max) = visible;
        if !scene.features.convergence.enabled {
            return Ok(());
        }
        if !scene.offers(crate::scene::Feature::ConvergenceMap) {
            self.restart();
            return Ok(());
        }
        if scene.system.is_none() && scene.model.validate_for(&scene.slice).is_err() {
            // No map for a model outside its slice's domain; an older one must not be drawn.
            self.restart();
            return Ok(());
        }
        let stage = self.stage.get_or_insert_with(|| ConvergenceStage::new(ctx));
        let shader = stages_for(scene).map_shader();
        stage.ensure(ctx, convergence_spec(scene, view_min, view_max), shader)?;
        if mode == JobMode::Deterministic {
            stage.run_to_completion(ctx)?;
        } else {
            stage.advance(ctx, encoder);
        }
        Ok(())
    }

    /// The current convergence map, if one was started.
    pub fn map(&self) -> Option<&ConvergenceMap> {
        self.stage.as_ref()?.map()
    }

    /// True while a map is filling in (cells still running).
    pub fn in_progress(&self) -> bool {
        self.map().is_some_and(|map| !map.progress().done)
    }

    /// Starts the convergence map again on the next frame (the panel's restart button).
    pub fn restart(&mut self) {
        if let Some(stage) = &mut self.stage {
            stage.restart();
        }
    }
}
