//! The scene file's format: [`Scene`]'s fields plus the spellings older files use, read
//! through [`SceneFile`] so every file that ever loaded still loads. The features' tables are
//! read straight into their settings ([`Features::read_value`]): a feature adds no line here.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};

use super::*;

/// Declares [`SceneFile`] with the scene file's own keys (its every key but the features'),
/// and the visitor that reads them and the features' tables: each value is read where it
/// stands in the file, so an error in it names its line; an unknown key names its line too.
macro_rules! scene_file {
    ($($(#[$doc:meta])* $key:ident: $ty:ty,)*) => {
        /// A scene as written in a file: [`Scene`]'s fields, plus the seed's `sigma` and
        /// `target` that files from before the general model use. `sigma` sets σ1 = σ2 and may
        /// not be combined with a `model` that gives either σ; `target` sets the slice
        /// coordinates of the model (the defaults' or the file's).
        pub(super) struct SceneFile {
            $($(#[$doc])* $key: $ty,)*
            /// Every feature's table, as the file gives it (defaults where it gives none).
            features: Features,
        }

        /// The scene file's own keys.
        const FILE_KEYS: &[&str] = &[$(stringify!($key)),*];

        impl<'de> Visitor<'de> for SceneFileVisitor {
            type Value = SceneFile;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scene table")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SceneFile, A::Error> {
                let mut file = SceneFile::default();
                while let Some(FileKey(key)) = map.next_key()? {
                    if file.features.read_value(&key, &mut map)? {
                        continue;
                    }
                    match key.as_str() {
                        $(stringify!($key) => file.$key = map.next_value()?,)*
                        _ => unreachable!("FileKey admits the known keys only"),
                    }
                }
                Ok(file)
            }
        }
    };
}

scene_file! {
    /// The target's parameters that the file gives (the others keep the default's).
    model: Option<toml::Table>,
    slice: Slice,
    metric: Metric,
    /// The seed's σ1 = σ2.
    sigma: Option<f64>,
    /// The seed's slice coordinates of the target.
    target: Option<[f64; 2]>,
    probe: Option<[f64; 2]>,
    grid: u32,
    ellipse_scale: f64,
    damping: f64,
    nodes: u32,
    camera: Option<Camera>,
    layers: Layers,
    tab: Tab,
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
            tab: s.tab,
            system: None,
            features: s.features,
        }
    }
}

/// Reads a scene table key by key (so each value's errors keep their line).
struct SceneFileVisitor;

impl<'de> Deserialize<'de> for SceneFile {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(SceneFileVisitor)
    }
}

/// A key of a scene file: one of [`FILE_KEYS`] or a feature's ([`Features::KEYS`]). Any other
/// is refused as it is read, so the error points at the key's line.
struct FileKey(String);

impl<'de> Deserialize<'de> for FileKey {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = FileKey;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scene file's key")
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<FileKey, E> {
                if FILE_KEYS.contains(&key) || Features::KEYS.contains(&key) {
                    return Ok(FileKey(key.to_owned()));
                }
                let expected: Vec<String> = FILE_KEYS
                    .iter()
                    .chain(Features::KEYS)
                    .map(|k| format!("`{k}`"))
                    .collect();
                Err(E::custom(format!(
                    "unknown field `{key}`, expected one of {}",
                    expected.join(", ")
                )))
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
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
            features: Features::default(),
            tab: f.tab,
            system: f.system,
        };
        // The features' settings go through the UI's clamps (the flow's are checked instead,
        // by `validate`), against the file's model, slice and system.
        f.features.load_into(&mut scene);
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
