//! The flow's particles: the key that respawns them, the default count per adapter, the
//! velocity field's parameters and the per-frame step.

use crate::compute::particles::{ParticleData, ParticlePipeline};
use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::gpu_data::FlowParams;
use crate::math::QuadratureRule;
use crate::scene::Scene;
use crate::simulation::{general_nodes, stages_for, uses_seed_kernel};

/// What a particle set was spawned with; a change respawns every particle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParticleKey {
    /// Particles.
    pub count: u32,
    /// Spawn seed.
    pub seed: u32,
    /// Flow mode code.
    pub mode: u32,
    /// Quadrature nodes per component.
    pub nodes: u32,
    /// The slice the positions are coordinates of.
    pub slice: crate::math::Slice,
    /// Whether the general kernel's field drives them.
    pub general: bool,
    /// Whether they are gains on the policy plane.
    pub policy: bool,
}

/// Particle count when the scene leaves it to the adapter: a CPU rasteriser gets fewer, 2048
/// per core (its threads are the cores), between 4096 and 32768. On llvmpipe with 2 cores
/// (1400 × 900, the seed's slice, natural flow) 8192 particles took 40–47 ms a frame and
/// 4096 take 27–28 ms, so the flow stays above 30 frames a second and turning it on stays
/// within a frame's budget.
pub fn default_particle_count(device_type: wgpu::DeviceType) -> u32 {
    match device_type {
        wgpu::DeviceType::Cpu => {
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
            (2048 * cores).clamp(4 * 1024, 32 * 1024)
        }
        _ => 256 * 1024,
    }
}

/// Whether the particles run on the flow kernel's general mode: on the mixture off the seed's
/// slice. On the seed's slice every flow mode runs the seed kernel, natural-vs-EF included
/// (its EF particles take the EF from `gradient_and_empirical_rotated`, ~6× cheaper per step
/// than the general kernel's union pass).
pub fn flow_uses_general_kernel(scene: &Scene) -> bool {
    scene.system.is_none() && !uses_seed_kernel(scene)
}

/// Respawn radius around θ* and its twin, in σ.
pub const CONVERGE_RADIUS_SIGMAS: f64 = 0.03;

/// The policy plane's respawn radius around K*, in its coordinate scales (the triangle's
/// extent over 32: this is 1/128 of it).
pub const CONVERGE_RADIUS_POLICY: f64 = 0.25;

/// The flow parameters for a scene (the particles' spawn rectangle is the visible view).
pub fn flow_params(scene: &Scene, view_min: [f64; 2], view_max: [f64; 2]) -> FlowParams {
    let f = &scene.features.flow;
    let target = scene.target();
    FlowParams {
        target: [target[0] as f32, target[1] as f32],
        view_min: [view_min[0] as f32, view_min[1] as f32],
        view_max: [view_max[0] as f32, view_max[1] as f32],
        sigma: scene.model.sigma1 as f32,
        damping: scene.damping as f32,
        dt: f.dt as f32,
        speed_cap: f.speed_cap as f32,
        converge_radius: (CONVERGE_RADIUS_SIGMAS * scene.length_scale()) as f32,
        max_age: f.max_age,
        integrator: f.integrator.code(),
        mode: f.mode.code(),
        seed: f.seed,
        ..FlowParams::default()
    }
}

/// The flow's stage: the particle pipeline, the particles of the current key, and the
/// adapter's default count.
pub struct FlowStage {
    pipeline: ParticlePipeline,
    particles: Option<(ParticleData, ParticleKey)>,
    default_particles: u32,
}

impl FlowStage {
    /// Builds the particle pipeline; no particles until the flow runs.
    pub fn new(ctx: &GpuContext) -> Self {
        Self {
            pipeline: ParticlePipeline::new(&ctx.device),
            particles: None,
            default_particles: default_particle_count(ctx.info.device_type),
        }
    }

    /// Forgets the particles: the next step spawns them afresh.
    pub fn forget(&mut self) {
        self.particles = None;
    }

    /// Steps the particles of `scene` (spawning them when their set changed) over the spawn
    /// rectangle `visible` (the view's min and max corners). Returns the particle buffer, the
    /// count and the key of the set, or None when the flow is off (the particles are then
    /// dropped).
    pub fn step(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &Scene,
        visible: ([f64; 2], [f64; 2]),
    ) -> Result<Option<(&wgpu::Buffer, u32, ParticleKey)>, GpuError> {
        let (view_min, view_max) = visible;
        if !(scene.features.flow.enabled
            && scene.layers.particles
            && scene.offers(crate::scene::Feature::Particles))
        {
            self.particles = None;
            return Ok(None);
        }
        let (params, general) =
            stages_for(scene).flow_params(scene, flow_params(scene, view_min, view_max));
        let key = ParticleKey {
            count: self.particle_count(scene),
            seed: scene.features.flow.seed,
            mode: scene.features.flow.mode.code(),
            nodes: if general {
                general_nodes(scene.nodes)
            } else {
                scene.nodes
            },
            slice: scene.slice,
            general,
            policy: scene.system.is_some(),
        };
        if self.particles.as_ref().is_none_or(|(_, k)| *k != key) {
            let rule = QuadratureRule::new(key.nodes)
                .map_err(|e| GpuError::InvalidInput(e.to_string()))?;
            let mut data = ParticleData::new(ctx, &self.pipeline, key.count, &rule)?;
            data.spawn(ctx, &self.pipeline, &params);
            self.particles = Some((data, key));
        }
        let (data, _) = self.particles.as_mut().expect("spawned just above");
        data.encode_steps(
            &ctx.queue,
            encoder,
            &self.pipeline,
            &params,
            scene.features.flow.steps_per_frame,
            None,
            |_, _, _| {},
        );
        Ok(Some((data.current_buffer(), data.count(), key)))
    }

    /// The particle count the scene asks for, or the adapter's default: a quarter of it on
    /// general slices, where each particle's evaluation costs several times the seed's (more
    /// panels: `compute::general`).
    pub fn particle_count(&self, scene: &Scene) -> u32 {
        let general = flow_uses_general_kernel(scene);
        scene.features.flow.particles.unwrap_or(if general {
            self.default_particles / 4
        } else {
            self.default_particles
        })
    }
}
