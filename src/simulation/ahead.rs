//! Pipelines built ahead: the compute pipelines the stages otherwise build on first use (the
//! mixture's general kernel, the policy plane's field, each family's geodesic ball and
//! convergence map), all at once on threads, so the viewer can start them before it builds the
//! renderer and hand them over before its warm-up (the scene renderer's `adopt_pipelines`).
//!
//! Why: lavapipe translates and optimizes a pipeline's whole inlined entry point when it is
//! created, which is most of the viewer's start-up on a CPU adapter. Built where they were
//! first used (inside the warm-up, one stage after another) these came in groups, each waiting
//! for its slowest member while a core stood idle; built ahead, beside the renderer's own, they
//! keep every core busy. Captures, tests and the benchmark do not build ahead: they use only
//! some stages, and first use builds those.

use crate::compute::convergence::ConvergencePipeline;
use crate::compute::general::GeneralPipeline;
use crate::compute::geodesic::GeodesicPipeline;
use crate::compute::policy::PolicyPipeline;

use super::STAGE_FAMILIES;

/// The stages' first-use pipelines, built.
pub struct PipelinesAhead {
    pub(super) general: GeneralPipeline,
    pub(super) policy: PolicyPipeline,
    /// Each family's geodesic ball, by its shader ([`super::StageFamily::ball_shader`]).
    pub(super) balls: Vec<(&'static str, GeodesicPipeline)>,
    /// Each family's convergence map, by its shader ([`super::StageFamily::map_shader`]).
    pub(super) maps: Vec<(&'static str, ConvergencePipeline)>,
}

/// [`PipelinesAhead`] being built on a thread of its own.
pub struct PipelinesUnderWay(std::thread::JoinHandle<PipelinesAhead>);

impl PipelinesAhead {
    /// Starts building them on a thread and returns at once.
    pub fn spawn(device: &wgpu::Device) -> PipelinesUnderWay {
        let device = device.clone();
        PipelinesUnderWay(
            std::thread::Builder::new()
                .name("pipelines ahead".into())
                .spawn(move || Self::build(&device))
                .expect("the OS starts a thread"),
        )
    }

    /// Builds them all, each stage's on its own scoped thread (and each stage's entry points on
    /// threads of their own, [`crate::compute::create_compute_pipelines`]).
    pub fn build(device: &wgpu::Device) -> Self {
        let ball_shaders = STAGE_FAMILIES.map(|family| family.ball_shader());
        let map_shaders = STAGE_FAMILIES.map(|family| family.map_shader());
        std::thread::scope(|scope| {
            let general = scope.spawn(|| GeneralPipeline::new(device));
            let policy = scope.spawn(|| PolicyPipeline::new(device));
            let balls = ball_shaders.map(|shader| {
                scope.spawn(move || (shader, GeodesicPipeline::for_shader(device, shader)))
            });
            let maps = map_shaders.map(|shader| {
                scope.spawn(move || (shader, ConvergencePipeline::for_shader(device, shader)))
            });
            Self {
                general: joined(general),
                policy: joined(policy),
                balls: balls.into_iter().map(joined).collect(),
                maps: maps.into_iter().map(joined).collect(),
            }
        })
    }
}

impl PipelinesUnderWay {
    /// Waits for the pipelines; a panic while building them (a wgpu validation error) is passed
    /// on as it was.
    pub fn join(self) -> PipelinesAhead {
        self.0
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}

/// A scoped thread's result, its panic passed on.
fn joined<T>(thread: std::thread::ScopedJoinHandle<'_, T>) -> T {
    thread
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}
