//! The scene file's format: [`Scene`]'s fields plus the spellings older files use, read
//! through [`SceneFile`] so every file that ever loaded still loads.

use super::*;

/// A scene as written in a file: [`Scene`]'s fields, plus the seed's `sigma` and `target` that
/// files from before the general model use. `sigma` sets σ1 = σ2 and may not be combined with
/// a `model` that gives either σ; `target` sets the slice coordinates of the model (the
/// defaults' or the file's).
#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct SceneFile {
    model: Option<toml::Table>,
    slice: Slice,
    metric: Metric,
    sigma: Option<f64>,
    target: Option<[f64; 2]>,
    probe: Option<[f64; 2]>,
    grid: u32,
    ellipse_scale: f64,
    damping: f64,
    nodes: u32,
    camera: Option<Camera>,
    layers: Layers,
    flow: Flow,
    heatmap: Heatmap,
    geodesics: Geodesics,
    race: Race,
    estimates: Estimates,
    convergence: Convergence,
    cramer_rao: crate::features::cramer_rao::settings::CramerRao,
    tab: Tab,
    kfac: KfacLab,
    system: Option<System>,
}

impl Default for SceneFile {
    fn default() -> Self {
        let s = Scene::default();
        Self {
            model: None,
            slice: s.slice,
            metric: s.metric,
            sigma: None,
            target: None,
            // Absent means no probe.
            probe: None,
            grid: s.grid,
            ellipse_scale: s.ellipse_scale,
            damping: s.damping,
            nodes: s.nodes,
            camera: None,
            layers: s.layers,
            flow: s.flow,
            heatmap: s.heatmap,
            geodesics: s.geodesics,
            race: s.race,
            estimates: s.estimates,
            convergence: s.convergence,
            cramer_rao: s.cramer_rao,
            tab: s.tab,
            kfac: s.kfac,
            system: None,
        }
    }
}

impl TryFrom<SceneFile> for Scene {
    type Error = String;

    fn try_from(f: SceneFile) -> Result<Self, String> {
        // Keys the file's model omits keep the default scene's values (its handle at
        // (−1.5, 1), σ = 1), so `[scene.model] pi = 0.3` changes π only.
        let mut model = Scene::default().model;
        let gives_sigma = f.model.as_ref().is_some_and(|m| {
            m.contains_key(Param::Sigma1.name()) || m.contains_key(Param::Sigma2.name())
        });
        if let Some(table) = f.model {
            for (key, value) in table {
                let param: Param = key.parse().map_err(|e| format!("model.{key}: {e}"))?;
                let v = value
                    .as_float()
                    .or_else(|| value.as_integer().map(|i| i as f64))
                    .ok_or_else(|| format!("model.{key}: must be a number, got {value}"))?;
                model = model.with(param, v);
            }
        }
        if let Some(sigma) = f.sigma {
            if gives_sigma {
                return Err(
                    "sigma: give either sigma (sigma1 = sigma2) or model.sigma1/sigma2, \
                            not both"
                        .into(),
                );
            }
            model.sigma1 = sigma;
            model.sigma2 = sigma;
        }
        if let Some(t) = f.target {
            model = f.slice.place(&model, t);
        }
        let mut scene = Scene {
            model,
            slice: f.slice,
            metric: f.metric,
            probe: f.probe,
            grid: f.grid,
            ellipse_scale: f.ellipse_scale,
            damping: f.damping,
            nodes: f.nodes,
            camera: f.camera.unwrap_or_default(),
            layers: f.layers,
            flow: f.flow,
            heatmap: f.heatmap,
            geodesics: Geodesics::default(),
            race: Race::default(),
            estimates: Estimates::default(),
            convergence: Convergence::default(),
            cramer_rao: f.cramer_rao.clamped(&Default::default()),
            tab: f.tab,
            kfac: KfacLab::default(),
            system: f.system,
        };
        scene.apply(SceneEdit::SetKfacLab(f.kfac));
        // The race, estimate and convergence settings go through the UI's clamps too.
        scene.apply(SceneEdit::SetRace(f.race));
        scene.apply(SceneEdit::SetEstimates(f.estimates));
        scene.apply(SceneEdit::SetConvergence(f.convergence));
        // The ball's radius and ray count go through the same clamps as the UI's edits.
        scene.apply(SceneEdit::SetGeodesics(f.geodesics));
        // A file without a camera gets the default view on the seed's slice (as before the
        // general model) and a fitted one on any other, whose coordinates may lie anywhere
        // (π in (0, 1), σ > 0) — but only when the model is valid, else validation reports it.
        let policy_valid = scene.system.is_some_and(|s| s.validate().is_ok());
        if f.camera.is_none()
            && (policy_valid
                || (scene.system.is_none()
                    && !scene.slice.is_seed()
                    && model.validate_for(&f.slice).is_ok()))
        {
            scene.fit_view();
        }
        Ok(scene)
    }
}
