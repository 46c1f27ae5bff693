//! `render`: one frame of a scene (a scene file's TOML, or the same keys as a dict), drawn by
//! the frame renderer that `fisherflow capture` uses, in its deterministic mode (the race, the
//! paths and the maps computed in the frame), and read back as RGBA bytes. The renderer is
//! made once per process; each call starts the scene's particles, map and jobs afresh, so
//! a call's image is the first frame of a capture of that scene.

use std::sync::Mutex;

use fisherflow::capture::Scenario;
use fisherflow::frame::FrameRenderer;
use fisherflow::scene::Scene;
use numpy::IntoPyArray;
use numpy::ndarray::Array3;
use pyo3::prelude::*;

use crate::errors::{Failure, guarded};
use crate::gpu::context;

/// The renderers, with and without the overlay (made at first use).
static RENDERERS: Mutex<[Option<FrameRenderer>; 2]> = Mutex::new([None, None]);

/// Renders `text` (TOML, or JSON when `is_json`) at `width` × `height`.
#[pyfunction]
#[pyo3(signature = (text, is_json, width, height, overlay))]
pub fn render<'py>(
    py: Python<'py>,
    text: String,
    is_json: bool,
    width: u32,
    height: u32,
    overlay: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let rgba = guarded(py, || {
        let scene: Scene = if is_json {
            serde_json::from_str(&text).map_err(|e| Failure::input(format!("scene: {e}")))?
        } else {
            toml::from_str(&text).map_err(|e| Failure::input(format!("scene: {e}")))?
        };
        // A one-frame scenario: the capture's own checks of the size and the scene.
        let fps = 30;
        let scenario = Scenario {
            duration: 1.0 / fps as f64,
            fps,
            width,
            height,
            overlay,
            scene,
            keyframes: Vec::new(),
        };
        scenario.validate().map_err(Failure::input)?;
        let ctx = context()?;
        let mut renderers = RENDERERS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let slot = &mut renderers[overlay as usize];
        if slot.is_none() {
            let mut renderer =
                FrameRenderer::new(ctx, overlay).map_err(|e| Failure::runtime(format!("{e:#}")))?;
            renderer.scene_renderer_mut().set_deterministic(true);
            *slot = Some(renderer);
        }
        let renderer = slot.as_mut().expect("made just above");
        renderer.scene_renderer_mut().start_afresh();
        let (_, image) = renderer
            .render_image(ctx, [width, height], 1.0, &scenario.scene_at(0.0))
            .map_err(|e| Failure::runtime(format!("{e:#}")))?;
        Ok(image.rgba)
    })?;
    let array = Array3::from_shape_vec((height as usize, width as usize, 4), rgba)
        .map_err(|e| Failure::runtime(format!("image shape: {e}")))?;
    Ok(array.into_pyarray(py).into_any())
}
