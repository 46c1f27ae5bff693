//! Each family's GPU half for the stages that run on either family — the flow, the geodesic
//! ball and the convergence map — behind one trait and registered in one list
//! ([`STAGE_FAMILIES`]). A stage asks [`stages_for`] for the canvas's family and calls it: its
//! parameters' family fields, the shader file of its family half (`geodesic.wgsl` or
//! `geodesic_policy.wgsl`, …: each the family's `evaluate` over a shared scheme in
//! `shaders/common/`), its rates. The stages hold one pipeline per shader file, compiled when
//! first asked for, so a new family is an implementation here and a line in the list, not an
//! edit to the stages. (The field and probe kernels are still chosen in `features::field::stage`.)

use super::*;
use crate::gpu::geodesic_data::GeodesicParams;
use crate::scene::Convergence;

/// What a family gives the flow, ball and map stages.
pub trait StageFamily: Sync {
    /// Whether this family is the one `scene`'s canvas shows.
    fn on_canvas(&self, scene: &Scene) -> bool;

    /// The flow parameters with this family's fields over `base` (the scene's common fields),
    /// and whether the particles run on the mixture's general kernel (which takes Q/2 nodes).
    fn flow_params(&self, scene: &Scene, base: FlowParams) -> (FlowParams, bool);

    /// The geodesic ball's family half (a shader of `shaders/`).
    fn ball_shader(&self) -> &'static str;

    /// The ball's start frame and kernel parameters for `key` (None where the probe starts no
    /// ball: outside the model, or F there not safely positive definite).
    fn ball(&self, key: &BallKey, rule: &QuadratureRule) -> Option<(BallFrame, GeodesicParams)>;

    /// The convergence map's family half (a shader of `shaders/`).
    fn map_shader(&self) -> &'static str;

    /// gd's and the natural gradient's rates on the map.
    fn map_rates(&self, settings: &Convergence) -> (f64, f64);
}

/// The two-component mixture on a slice.
pub struct MixtureStages;

impl StageFamily for MixtureStages {
    fn on_canvas(&self, scene: &Scene) -> bool {
        scene.system.is_none()
    }

    fn flow_params(&self, scene: &Scene, base: FlowParams) -> (FlowParams, bool) {
        if flow_uses_general_kernel(scene) {
            // The flow kernel's general mode: positions are slice coordinates, the field the
            // general kernel's own per-point evaluation (the same rule as the field's).
            let params = base.with_general(&scene.model, &scene.slice, &scene.model, scene.metric);
            (params, true)
        } else {
            (base, false)
        }
    }

    fn ball_shader(&self) -> &'static str {
        "geodesic.wgsl"
    }

    fn ball(&self, key: &BallKey, rule: &QuadratureRule) -> Option<(BallFrame, GeodesicParams)> {
        let spec = &key.spec;
        let frame = ball_frame(&spec.base, &spec.slice, spec.probe, rule)?;
        Some((frame, geodesic_params(spec, rule)?))
    }

    fn map_shader(&self) -> &'static str {
        "convergence.wgsl"
    }

    fn map_rates(&self, settings: &Convergence) -> (f64, f64) {
        (settings.lr_gd, settings.lr_ngd)
    }
}

/// The policy plane of a plant's gains.
pub struct PolicyStages;

impl StageFamily for PolicyStages {
    fn on_canvas(&self, scene: &Scene) -> bool {
        scene.system.is_some()
    }

    fn flow_params(&self, scene: &Scene, base: FlowParams) -> (FlowParams, bool) {
        let system = scene.system.expect("on the policy plane");
        // Positions are gains, the velocity the closed-form policy point's.
        let params = FlowParams {
            converge_radius: CONVERGE_RADIUS_POLICY as f32,
            ..base
        }
        .with_policy(&system, scene.damping, scene.target());
        (params, false)
    }

    fn ball_shader(&self) -> &'static str {
        "geodesic_policy.wgsl"
    }

    fn ball(&self, key: &BallKey, _rule: &QuadratureRule) -> Option<(BallFrame, GeodesicParams)> {
        let system = key.system.as_ref()?;
        let spec = &key.spec;
        let frame = policy_ball_frame(system, spec.probe)?;
        let params =
            policy_geodesic_params(system, spec.probe, spec.radius, spec.rays, spec.steps)?;
        Some((frame, params))
    }

    fn map_shader(&self) -> &'static str {
        "convergence_policy.wgsl"
    }

    fn map_rates(&self, settings: &Convergence) -> (f64, f64) {
        (settings.policy_lr_gd, settings.policy_lr_npg)
    }
}

/// Every family's stages, asked in order.
pub static STAGE_FAMILIES: [&dyn StageFamily; 2] = [&PolicyStages, &MixtureStages];

/// The stages of the family `scene`'s canvas shows.
pub fn stages_for(scene: &Scene) -> &'static dyn StageFamily {
    *STAGE_FAMILIES
        .iter()
        .find(|f| f.on_canvas(scene))
        .expect("every scene shows one registered family")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{Preset, SceneEdit};

    #[test]
    fn every_preset_shows_exactly_one_registered_family_with_its_shaders() {
        let mut seen = Vec::new();
        for preset in Preset::every() {
            let mut scene = Scene::default();
            scene.apply(SceneEdit::ApplyPreset(preset));
            let on = STAGE_FAMILIES
                .iter()
                .filter(|f| f.on_canvas(&scene))
                .count();
            assert_eq!(on, 1, "{preset:?}: {on} families claim the canvas");
            let family = stages_for(&scene);
            for shader in [family.ball_shader(), family.map_shader()] {
                assert!(
                    crate::gpu::shader::SOURCES
                        .iter()
                        .any(|(name, _)| *name == shader),
                    "{preset:?}: no shader {shader}"
                );
            }
            seen.push((scene.system.is_some(), family.ball_shader()));
        }
        // The mixture and the policy plane run different halves.
        let policy: Vec<_> = seen.iter().filter(|(p, _)| *p).map(|(_, s)| *s).collect();
        let mixture: Vec<_> = seen.iter().filter(|(p, _)| !*p).map(|(_, s)| *s).collect();
        assert!(!policy.is_empty() && !mixture.is_empty());
        assert!(policy.iter().all(|s| !mixture.contains(s)), "{seen:?}");
    }
}
