//! The features of the canvas, one folder each, and the one list that registers them.
//!
//! A feature's files are named for their role, and each role sits at one level of the crate
//! (checked by `architecture` in `lib.rs`): `settings` with the scene (its serde settings,
//! defaults and ranges), `job` with the jobs, `stage` with the simulation (its compute stage
//! and cache key), `layer` with the renderer and `panel` with the viewer. So the scene reads a
//! feature's settings, the simulation its stage, the renderer its layers and the window its
//! panel, each naming only the files of its own level or below.
//!
//! `features!` below is the list: one line per feature with settings declares its folder and
//! makes from it the scene's [`Features`] (one field per feature, read and written at the top
//! level of a scene file under the field's name), the edit that sets a feature's settings
//! ([`FeatureEdit`], clamped through [`Settings`]) and the kinds the soak draws
//! ([`FeatureKind`]). Keyframes interpolate every key of a scene file and recordings save the
//! scene, so neither needs more. A feature then adds its layer to the renderer's list and its
//! panel to the side panel's, a line each. This file sits at the scene's level.

use crate::scene::Scene;

/// What the scene asks of a feature's settings.
pub trait Settings: Sized {
    /// These settings as an edit leaves them in `scene`: every value clamped to the range the
    /// UI offers; a value that is not a number keeps the scene's current one.
    fn clamped_for(self, scene: &Scene) -> Self;

    /// These settings as a scene file gives them: clamped like an edit's, unless the feature
    /// reports a file's values out of range as errors instead (through [`Scene::validate`]).
    fn loaded(self, scene: &Scene) -> Self {
        self.clamped_for(scene)
    }
}

/// Declares each feature's folder and makes [`Features`], and [`FeatureEdit`] with its kinds
/// [`FeatureKind`] (through the scene's `edits!`, as `SceneEdit`'s), from the list: `key: folder::settings::Type`, where `key` is the scene's field and the
/// scene file's table, and `Type` (in the folder's `settings.rs`) implements [`Settings`].
macro_rules! features {
    (
        $(
            $(#[$doc:meta])*
            $key:ident: $folder:ident::settings::$Type:ident
        ),* $(,)?
        ;
        without settings: $($plain:ident),* $(,)?
    ) => {
        $(pub mod $folder;)*
        $(pub mod $plain;)*

        /// Every feature's settings: a field each, named as its table in a scene file.
        #[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
        pub struct Features {
            $(
                $(#[$doc])*
                pub $key: $folder::settings::$Type,
            )*
        }

        impl Features {
            /// The scene file's keys these settings are read from.
            pub const KEYS: &'static [&'static str] = &[$(stringify!($key)),*];

            /// Reads the value of the scene file's `key` into its feature's settings: false
            /// (nothing read) when `key` is no feature's.
            pub(crate) fn read_value<'de, A: serde::de::MapAccess<'de>>(
                &mut self,
                key: &str,
                map: &mut A,
            ) -> Result<bool, A::Error> {
                match key {
                    $(stringify!($key) => self.$key = map.next_value()?,)*
                    _ => return Ok(false),
                }
                Ok(true)
            }

            /// These settings (a scene file's) as the scene keeps them: each through its
            /// [`Settings::loaded`], in list order, against `scene`.
            pub(crate) fn load_into(self, scene: &mut Scene) {
                $(scene.features.$key = Settings::loaded(self.$key, scene);)*
            }
        }

        crate::scene::edits! {
            /// New settings for one feature: what its panel, a key or the soak asks for.
            /// [`Scene::apply`] clamps them ([`Settings::clamped_for`]).
            pub enum FeatureEdit, kinds FeatureKind {
                $($(#[$doc])* $Type($folder::settings::$Type),)*
            }
        }

        impl FeatureEdit {
            /// Sets its feature's settings in `scene`, clamped.
            pub(crate) fn apply(self, scene: &mut Scene) {
                match self {
                    $(FeatureEdit::$Type(v) => scene.features.$key = v.clamped_for(scene),)*
                }
            }
        }

        $(
            impl From<$folder::settings::$Type> for FeatureEdit {
                fn from(settings: $folder::settings::$Type) -> Self {
                    FeatureEdit::$Type(settings)
                }
            }
        )*
    };
}

features! {
    /// Particles following the natural gradient, the Euclidean one, both or the EF's.
    flow: flow::settings::Flow,
    /// The heatmap under the ellipses.
    heatmap: heatmap::settings::Heatmap,
    /// The geodesic ball and the shortest paths.
    geodesics: geodesics::settings::Geodesics,
    /// The optimizer race.
    race: race::settings::Race,
    /// The Fisher estimates (probe ellipses, the grid's ellipse source).
    estimates: estimates::settings::Estimates,
    /// The convergence map.
    convergence: convergence::settings::Convergence,
    /// The Cramér–Rao region at θ* and its twin.
    cramer_rao: cramer_rao::settings::CramerRao,
    /// The K-FAC lab (its data is the target mixture, the scene's `model`).
    kfac: kfac_lab::settings::KfacLab;
    without settings: field,
}
