//! The shape every drawable layer shares: `prepare` (write this frame's parameters and instance
//! lists), `draw` (record into the scene pass) and `legend` (what the overlay says about it).
//! The renderer keeps its layers in one ordered list ([`super::SceneRenderer`]'s
//! `layers_mut`), drawn back to front; a new overlay is one new file implementing [`Layer`]
//! and one entry in that list.

use crate::gpu::context::GpuContext;
use crate::scene::Scene;
use crate::simulation::{GridLayout, Simulation};

use super::FrameInfo;

/// What a layer may read while preparing and drawing a frame.
pub struct LayerFrame<'a> {
    /// The device and queue.
    pub ctx: &'a GpuContext,
    /// The scene being drawn.
    pub scene: &'a Scene,
    /// The compute stages' buffers (field, probe, particles).
    pub sim: &'a Simulation,
    /// The field grid of this frame.
    pub layout: &'a GridLayout,
    /// The canvas size in physical pixels.
    pub size_px: [f32; 2],
    /// Physical pixels per logical point.
    pub px_per_point: f32,
    /// What the renderer did this frame (ε, particles advected, …).
    pub info: &'a FrameInfo,
}

/// Where a layer draws ([`Layer::placement`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Into the scene pass, every frame.
    Scene,
    /// Into the backdrop, the first layers over the cleared background: this frame's version
    /// of its pixels (a change redraws the backdrop), None when it draws nothing.
    Backdrop(Option<u64>),
}

/// What every layer is built from: the device, the view parameters (their buffer, and the bind
/// group and layout the instanced-quad layers bind alone) and the canvas format.
#[derive(Clone, Copy)]
pub struct LayerSetup<'a> {
    /// The device.
    pub device: &'a wgpu::Device,
    /// The view parameters.
    pub view_buffer: &'a wgpu::Buffer,
    /// The layout of a bind group holding only the view parameters.
    pub view_layout: &'a wgpu::BindGroupLayout,
    /// That bind group.
    pub view_group: &'a wgpu::BindGroup,
    /// The canvas format.
    pub format: wgpu::TextureFormat,
}

/// A swatch's shape in a legend line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwatchShape {
    /// A small rectangle outline (the clamp marking).
    Outline,
    /// A short arrow.
    Arrow,
    /// A dot.
    Dot,
}

/// One line of a legend.
#[derive(Clone, Debug, PartialEq)]
pub enum LegendItem {
    /// The shared colour map as a bar, with tick labels spread evenly under it.
    ColorBar {
        /// Tick labels, left to right.
        ticks: Vec<String>,
    },
    /// A line of text.
    Text(String),
    /// A coloured mark (palette hex) and its label.
    Swatch {
        /// sRGB hex colour.
        color: u32,
        /// Its shape.
        shape: SwatchShape,
        /// What it marks.
        label: String,
    },
}

/// One legend box of the overlay.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Legend {
    /// Its heading, if any.
    pub title: Option<String>,
    /// Its lines, top to bottom.
    pub items: Vec<LegendItem>,
}

/// A drawable layer of the scene pass. `Any`: the renderer finds a layer of a given type in its
/// one list (`Layers::get`); `Send`: a renderer moves between threads (the Python package keeps
/// its renderers behind a lock).
pub trait Layer: std::any::Any + Send {
    /// A short name (debugging, tests).
    fn name(&self) -> &'static str;

    /// Writes this frame's parameters and instance lists.
    fn prepare(&mut self, frame: &LayerFrame<'_>);

    /// Records the layer into the scene pass (nothing when it has nothing to show).
    fn draw(&self, pass: &mut wgpu::RenderPass<'_>, frame: &LayerFrame<'_>);

    /// Work of its own before the scene pass, after every layer's `prepare` (e.g. redrawing a
    /// cached texture the layer composites in `draw`). Most layers have none.
    fn encode_offscreen(&mut self, _encoder: &mut wgpu::CommandEncoder, _frame: &LayerFrame<'_>) {}

    /// Where the layer draws: into the scene pass every frame (most), or into the renderer's
    /// backdrop (the heatmap, the convergence map, the axes and the ellipses), redrawn only when
    /// a backdrop layer's version changes and copied into the canvas otherwise. Asked after
    /// `prepare`.
    fn placement(&self) -> Placement {
        Placement::Scene
    }

    /// For a backdrop layer whose version did not change: rectangles of the canvas (physical
    /// pixels: x, y, width, height) where its pixels changed since the last frame, all of them
    /// opaque, so drawing the layer there over the backdrop, and the backdrop layers above it
    /// after it, repaints them (the filling convergence map: the rows of cells its last
    /// dispatch advanced).
    fn backdrop_repaints(&self) -> &[[u32; 4]] {
        &[]
    }

    /// What the overlay's legend says about this layer this frame, if anything.
    fn legend(&self, _scene: &Scene, _info: &FrameInfo) -> Option<Legend> {
        None
    }

    /// Text the overlay writes on the canvas at world points this frame (e.g. a distance on
    /// its path).
    fn labels(&self, _scene: &Scene) -> Vec<CanvasLabel> {
        Vec::new()
    }
}

/// A line of text the overlay writes at a point of the canvas.
#[derive(Clone, Debug, PartialEq)]
pub struct CanvasLabel {
    /// Where, in slice coordinates (the text's left-centre sits a little right of it).
    pub at: [f64; 2],
    /// What it says.
    pub text: String,
    /// sRGB hex colour.
    pub color: u32,
}
