//! A layer drawn into a texture once and composited over the canvas every frame until what it
//! depends on (its key) changes. On llvmpipe the grid's tens of thousands of glyphs and the
//! heatmap's per-cell interpolation cost tens of milliseconds a frame, the composite one
//! full-canvas pass that loads a texel per pixel (`shaders/composite.wgsl`).
//!
//! Two kinds: a transparent cache (premultiplied linear colour, composited "over" whatever
//! the layers below drew: the glyphs) and a backdrop (the first layer drawn over the cleared
//! background, in the canvas's own format: the heatmap), which a frame copies into the canvas
//! instead of clearing it, a memory copy rather than a pass over every pixel, with the very
//! pixels drawing it directly would give.

use super::pipeline::{QuadPipeline, color_pass, unfiltered_texture_entry};

/// The format of a cache: premultiplied linear colour with enough precision that compositing
/// it matches drawing the layer directly (within 8-bit rounding).
pub const CACHE_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba16Float;

/// The texture a cache draws into, and the bind group that composites it.
struct CacheTexture {
    /// Held with its view for the cache's lifetime (and the source of a backdrop's copy).
    texture: wgpu::Texture,
    view: wgpu::TextureView,
    composite_group: wgpu::BindGroup,
    size_px: [u32; 2],
}

/// One cached layer: its texture, the key it was drawn for and the key this frame wants.
pub struct LayerCache<K> {
    label: &'static str,
    /// The texture's format: [`CACHE_FORMAT`], or the canvas's for a backdrop.
    format: wgpu::TextureFormat,
    /// What a redraw starts from: transparent, or the background for a backdrop.
    clear: wgpu::Color,
    /// Blends the cache over the canvas (the canvas's format).
    composite: wgpu::RenderPipeline,
    composite_layout: wgpu::BindGroupLayout,
    texture: Option<CacheTexture>,
    /// What the texture holds.
    drawn: Option<K>,
    /// This frame's key (from the layer's `prepare`); None when the layer draws nothing.
    wanted: Option<K>,
}

impl<K: Copy + PartialEq> LayerCache<K> {
    /// A transparent cache composited over canvases of `format`; the texture comes with the
    /// first redraw.
    pub fn new(device: &wgpu::Device, label: &'static str, format: wgpu::TextureFormat) -> Self {
        Self::with_texels(
            device,
            label,
            format,
            CACHE_FORMAT,
            wgpu::Color::TRANSPARENT,
        )
    }

    /// A backdrop for canvases of `format`: the canvas's format, redrawn from `background`
    /// (linear, opaque); see [`LayerCache::copy_into`].
    pub fn backdrop(
        device: &wgpu::Device,
        label: &'static str,
        format: wgpu::TextureFormat,
        background: [f32; 4],
    ) -> Self {
        let clear = wgpu::Color {
            r: background[0] as f64,
            g: background[1] as f64,
            b: background[2] as f64,
            a: 1.0,
        };
        Self::with_texels(device, label, format, format, clear)
    }

    fn with_texels(
        device: &wgpu::Device,
        label: &'static str,
        format: wgpu::TextureFormat,
        texture_format: wgpu::TextureFormat,
        clear: wgpu::Color,
    ) -> Self {
        let composite_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some(label),
            entries: &[unfiltered_texture_entry(0)],
        });
        // The composite is a plain full-screen triangle: QuadPipeline's strip of 3 vertices
        // and no instances is exactly that.
        let composite =
            QuadPipeline::without_instances(device, "composite.wgsl", &composite_layout, format);
        Self {
            label,
            format: texture_format,
            clear,
            composite,
            composite_layout,
            texture: None,
            drawn: None,
            wanted: None,
        }
    }

    /// Sets this frame's key: None when the layer shows nothing this frame.
    pub fn want(&mut self, key: Option<K>) {
        self.wanted = key;
    }

    /// This frame's key, if the layer shows anything.
    pub fn wanted(&self) -> Option<K> {
        self.wanted
    }

    /// Whether this frame's key differs from what the texture holds (a redraw is due).
    pub fn is_stale(&self) -> bool {
        self.wanted.is_some() && self.wanted != self.drawn
    }

    /// When the cache is stale: (re)allocates the texture for `size_px`, records the key as
    /// drawn and returns a pass into it, cleared to transparent, for the layer to draw into.
    pub fn redraw<'e>(
        &mut self,
        device: &wgpu::Device,
        encoder: &'e mut wgpu::CommandEncoder,
        size_px: [u32; 2],
    ) -> Option<wgpu::RenderPass<'e>> {
        if !self.is_stale() {
            return None;
        }
        if self.texture.as_ref().is_none_or(|t| t.size_px != size_px) {
            self.texture = Some(self.allocate(device, size_px));
        }
        self.drawn = self.wanted;
        let texture = self.texture.as_ref().expect("allocated just above");
        Some(color_pass(
            encoder,
            self.label,
            &texture.view,
            wgpu::LoadOp::Clear(self.clear),
        ))
    }

    /// The key the texture holds, if it holds one.
    pub fn drawn(&self) -> Option<K> {
        self.drawn
    }

    /// Brings a stale cache up to this frame's key without drawing: the `size_px` texels at
    /// `offset` of what it holds become the cache. For a caller that knows this frame's
    /// drawing is the held one moved by −`offset` pixels (a canvas narrowed about its
    /// centre, with everything else as it was). False, and nothing done, when the cache is not
    /// stale or the region does not fit in what it holds.
    pub fn crop(
        &mut self,
        device: &wgpu::Device,
        encoder: &mut wgpu::CommandEncoder,
        size_px: [u32; 2],
        offset: [u32; 2],
    ) -> bool {
        let Some(held) = self.texture.as_ref().filter(|_| self.is_stale()) else {
            return false;
        };
        let fits = (0..2).all(|k| offset[k] + size_px[k] <= held.size_px[k]);
        if !fits || size_px.contains(&0) {
            return false;
        }
        let cropped = self.allocate(device, size_px);
        encoder.copy_texture_to_texture(
            wgpu::TexelCopyTextureInfo {
                texture: &held.texture,
                mip_level: 0,
                origin: wgpu::Origin3d {
                    x: offset[0],
                    y: offset[1],
                    z: 0,
                },
                aspect: wgpu::TextureAspect::All,
            },
            cropped.texture.as_image_copy(),
            wgpu::Extent3d {
                width: size_px[0],
                height: size_px[1],
                depth_or_array_layers: 1,
            },
        );
        // The held texture lives on in the encoder until the copy has run.
        self.texture = Some(cropped);
        self.drawn = self.wanted;
        true
    }

    /// A texture of `size_px` with its composite bind group.
    fn allocate(&self, device: &wgpu::Device, size_px: [u32; 2]) -> CacheTexture {
        let texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some(self.label),
            size: wgpu::Extent3d {
                width: size_px[0].max(1),
                height: size_px[1].max(1),
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: self.format,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT
                | wgpu::TextureUsages::TEXTURE_BINDING
                | wgpu::TextureUsages::COPY_SRC
                | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        });
        let view = texture.create_view(&Default::default());
        let composite_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(self.label),
            layout: &self.composite_layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: wgpu::BindingResource::TextureView(&view),
            }],
        });
        CacheTexture {
            texture,
            view,
            composite_group,
            size_px,
        }
    }

    /// Copies the cache into `target`'s texture when it holds this frame's key and the copy
    /// gives the pixels a pass would (same size, the same bytes per texel: the target's view
    /// has the cache's format, the texture may be its sRGB sibling, and it accepts copies).
    /// True when it copied: the scene pass then loads instead of clearing, and the layer does
    /// not composite. Meant for backdrops; a transparent cache would lose the background.
    pub fn copy_into(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        target: &wgpu::TextureView,
    ) -> bool {
        let Some(texture) = &self.texture else {
            return false;
        };
        if self.wanted.is_none() || self.drawn != self.wanted {
            return false;
        }
        let destination = target.texture();
        let size = destination.size();
        let fits = [size.width, size.height] == texture.size_px
            && size.depth_or_array_layers == 1
            && destination.format().remove_srgb_suffix() == self.format.remove_srgb_suffix()
            && destination.usage().contains(wgpu::TextureUsages::COPY_DST)
            && destination.mip_level_count() == 1
            && destination.sample_count() == 1;
        if !fits {
            return false;
        }
        encoder.copy_texture_to_texture(
            texture.texture.as_image_copy(),
            destination.as_image_copy(),
            size,
        );
        true
    }

    /// A pass that draws over the cache as it is (loaded, not cleared), for layers that repaint
    /// parts of it (`Layer::backdrop_repaints`); None when the cache is stale (it is redrawn
    /// whole) or was never drawn.
    pub fn repaint<'e>(
        &self,
        encoder: &'e mut wgpu::CommandEncoder,
    ) -> Option<wgpu::RenderPass<'e>> {
        let texture = self.texture.as_ref()?;
        if self.wanted.is_none() || self.drawn != self.wanted {
            return None;
        }
        Some(color_pass(
            encoder,
            self.label,
            &texture.view,
            wgpu::LoadOp::Load,
        ))
    }

    /// Blends the cache over the canvas when it holds this frame's key.
    pub fn composite(&self, pass: &mut wgpu::RenderPass<'_>) {
        let Some(texture) = &self.texture else { return };
        if self.wanted.is_none() || self.drawn != self.wanted {
            return;
        }
        pass.set_pipeline(&self.composite);
        pass.set_bind_group(0, &texture.composite_group, &[]);
        pass.draw(0..3, 0..1);
    }
}

/// What a backdrop layer (drawn into the renderer's backdrop: the heatmap, the convergence
/// map, the axes, the ellipses) reports each frame: a version that changes whenever its pixels
/// would, counted from the inputs it compares frame to frame, and None when it draws nothing.
/// A layer may call [`BackdropVersion::update`] with None first and with its inputs later in
/// the same frame.
#[derive(Debug)]
pub struct BackdropVersion<K> {
    /// The inputs of the last frame that drew.
    inputs: Option<K>,
    version: u64,
    /// This frame draws.
    shown: bool,
}

impl<K> Default for BackdropVersion<K> {
    fn default() -> Self {
        Self {
            inputs: None,
            version: 0,
            shown: false,
        }
    }
}

impl<K: PartialEq> BackdropVersion<K> {
    /// This frame's inputs (None: the layer draws nothing); inputs unlike the last drawn ones
    /// count a new version. Returns whether they did.
    pub fn update(&mut self, inputs: Option<K>) -> bool {
        self.shown = inputs.is_some();
        if let Some(inputs) = inputs
            && self.inputs.as_ref() != Some(&inputs)
        {
            self.version += 1;
            self.inputs = Some(inputs);
            return true;
        }
        false
    }

    /// This frame's version, None when the layer draws nothing.
    pub fn current(&self) -> Option<u64> {
        self.shown.then_some(self.version)
    }
}
