//! What a panel asks for ([`Command`]): a scene edit, or something only the app can do. A
//! widget that edits a scene value makes its edit with [`edit_copy`].

use crate::scene::{Scene, SceneEdit};

/// What a panel asks for: a scene edit, or something only the app can do.
// A panel makes a handful of commands a frame, each moved once: boxing the (Copy) edit to
// shrink the enum would cost an allocation per command and buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Edit the scene (applied through [`Scene::apply`], in order, after the panels ran).
    Edit(SceneEdit),
    /// Save a screenshot of the window (P, or the button).
    Screenshot,
    /// Save the scene to `UiState::scene_path`.
    SaveScene,
    /// Load the scene from `UiState::scene_path`.
    LoadScene,
    /// Start or stop recording (V, or the button).
    ToggleRecording,
    /// Train the K-FAC lab from its start again (the tab's reset).
    RestartLab,
}

/// Shows a widget on a copy of the value `get` reads and pushes `edit(copy)` when the widget
/// changed it: the scene is only ever written through [`Scene::apply`].
pub(crate) fn edit_copy<T: Clone + PartialEq>(
    out: &mut Vec<Command>,
    scene: &Scene,
    get: impl FnOnce(&Scene) -> T,
    widget: impl FnOnce(&mut T),
    edit: impl FnOnce(T) -> SceneEdit,
) {
    let value = get(scene);
    let mut copy = value.clone();
    widget(&mut copy);
    if copy != value {
        out.push(Command::Edit(edit(copy)));
    }
}
