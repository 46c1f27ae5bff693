//! A canvas: an offscreen colour texture the scene (and optionally the egui overlay) is drawn into, with
//! read-back to RGBA8 for screenshots, captures and image tests. Read-back happens only on
//! request, never in the viewer's frame loop.

use crate::gpu::context::{GpuContext, GpuError};

/// A texture that can be rendered to, sampled, copied out and copied into.
pub struct Canvas {
    /// The texture.
    pub texture: wgpu::Texture,
    /// A view of it (render into this).
    pub view: wgpu::TextureView,
    /// The pixels without sRGB decoding, for the viewer's canvas only
    /// ([`Canvas::with_gamma_view`]).
    gamma: Option<GammaView>,
    /// Size in pixels.
    pub size: [u32; 2],
    /// Its format.
    pub format: wgpu::TextureFormat,
}

/// The same pixels as a canvas viewed without sRGB decoding: what egui samples, since
/// egui-wgpu 0.37 treats texture samples as gamma-encoded. Where textures cannot be viewed in
/// another format (wgpu's `DownlevelFlags::VIEW_FORMATS`: the GL backend) the pixels are copied
/// into a twin texture in the non-sRGB format instead ([`Canvas::sync_gamma`]; a copy may
/// change only the sRGB-ness).
struct GammaView {
    view: wgpu::TextureView,
    twin: Option<wgpu::Texture>,
}

/// An RGBA8 image, rows top to bottom, no padding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// width·height·4 bytes.
    pub rgba: Vec<u8>,
}

impl Image {
    /// The pixel at (x, y) as [r, g, b, a].
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        let i = ((y * self.width + x) * 4) as usize;
        [
            self.rgba[i],
            self.rgba[i + 1],
            self.rgba[i + 2],
            self.rgba[i + 3],
        ]
    }

    /// Encodes the image as PNG bytes.
    pub fn to_png(&self) -> Result<Vec<u8>, png::EncodingError> {
        let mut out = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut out, self.width, self.height);
            encoder.set_color(png::ColorType::Rgba);
            encoder.set_depth(png::BitDepth::Eight);
            let mut writer = encoder.write_header()?;
            writer.write_image_data(&self.rgba)?;
        }
        Ok(out)
    }
}

/// A 2D texture usable as attachment, texture, copy source and destination.
fn create_texture(
    device: &wgpu::Device,
    size: [u32; 2],
    format: wgpu::TextureFormat,
    view_formats: &[wgpu::TextureFormat],
    label: &str,
) -> wgpu::Texture {
    let usage = wgpu::TextureUsages::RENDER_ATTACHMENT
        | wgpu::TextureUsages::TEXTURE_BINDING
        | wgpu::TextureUsages::COPY_SRC
        | wgpu::TextureUsages::COPY_DST;
    texture_2d(device, size, format, usage, view_formats, label)
}

/// A 2D texture of one mip level and sample (the canvases' and the trails' shape).
pub(crate) fn texture_2d(
    device: &wgpu::Device,
    size: [u32; 2],
    format: wgpu::TextureFormat,
    usage: wgpu::TextureUsages,
    view_formats: &[wgpu::TextureFormat],
    label: &str,
) -> wgpu::Texture {
    device.create_texture(&wgpu::TextureDescriptor {
        label: Some(label),
        size: wgpu::Extent3d {
            width: size[0],
            height: size[1],
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage,
        view_formats,
    })
}

impl Canvas {
    /// A `size` target of `format` usable as attachment, texture, copy source and destination.
    pub fn new(
        device: &wgpu::Device,
        size: [u32; 2],
        format: wgpu::TextureFormat,
        label: &str,
    ) -> Self {
        let size = [size[0].max(1), size[1].max(1)];
        Self::wrap(
            create_texture(device, size, format, &[], label),
            size,
            format,
        )
    }

    /// A canvas over a texture made elsewhere (for a target with fewer usages than
    /// [`Canvas::new`] gives).
    pub fn wrap(texture: wgpu::Texture, size: [u32; 2], format: wgpu::TextureFormat) -> Self {
        Self::assemble(texture, None, size, format)
    }

    fn assemble(
        texture: wgpu::Texture,
        gamma: Option<GammaView>,
        size: [u32; 2],
        format: wgpu::TextureFormat,
    ) -> Self {
        Self {
            view: texture.create_view(&wgpu::TextureViewDescriptor::default()),
            texture,
            gamma,
            size,
            format,
        }
    }

    /// [`Canvas::new`] with a gamma view ([`Canvas::gamma_view`]): the viewer's canvas, which
    /// egui samples.
    pub fn with_gamma_view(
        ctx: &GpuContext,
        size: [u32; 2],
        format: wgpu::TextureFormat,
        label: &str,
    ) -> Self {
        let size = [size[0].max(1), size[1].max(1)];
        let gamma_format = format.remove_srgb_suffix();
        let reinterpret = ctx
            .adapter
            .get_downlevel_capabilities()
            .flags
            .contains(wgpu::DownlevelFlags::VIEW_FORMATS);
        let device = &ctx.device;
        let (texture, gamma) = if gamma_format == format {
            let texture = create_texture(device, size, format, &[], label);
            let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
            (texture, GammaView { view, twin: None })
        } else if reinterpret {
            let texture = create_texture(device, size, format, &[gamma_format], label);
            let view = texture.create_view(&wgpu::TextureViewDescriptor {
                format: Some(gamma_format),
                ..Default::default()
            });
            (texture, GammaView { view, twin: None })
        } else {
            return Self::with_gamma_twin(&ctx.device, size, format, label);
        };
        Self::assemble(texture, Some(gamma), size, format)
    }

    /// [`Canvas::with_gamma_view`]'s way where the device cannot reinterpret formats: the gamma
    /// view is of a twin texture in the non-sRGB format, which [`Canvas::sync_gamma`] fills
    /// (public so that the tests can take this way on any device).
    pub fn with_gamma_twin(
        device: &wgpu::Device,
        size: [u32; 2],
        format: wgpu::TextureFormat,
        label: &str,
    ) -> Self {
        let mut canvas = Self::new(device, size, format, label);
        let twin = create_texture(device, canvas.size, format.remove_srgb_suffix(), &[], label);
        canvas.gamma = Some(GammaView {
            view: twin.create_view(&wgpu::TextureViewDescriptor::default()),
            twin: Some(twin),
        });
        canvas
    }

    /// The pixels without sRGB decoding (a canvas made by [`Canvas::with_gamma_view`]).
    pub fn gamma_view(&self) -> &wgpu::TextureView {
        &self
            .gamma
            .as_ref()
            .expect("a canvas made with_gamma_view")
            .view
    }

    /// Brings the gamma view up to date after drawing: a copy into the twin texture where the
    /// device cannot reinterpret the canvas's format, nothing elsewhere.
    pub fn sync_gamma(&self, encoder: &mut wgpu::CommandEncoder) {
        if let Some(twin) = self.gamma.as_ref().and_then(|g| g.twin.as_ref()) {
            encoder.copy_texture_to_texture(
                self.texture.as_image_copy(),
                twin.as_image_copy(),
                wgpu::Extent3d {
                    width: self.size[0],
                    height: self.size[1],
                    depth_or_array_layers: 1,
                },
            );
        }
    }

    /// Copies the texture to the CPU as RGBA8 (BGRA formats are swizzled).
    pub fn read(&self, ctx: &GpuContext) -> Result<Image, GpuError> {
        self.read_texture(ctx, &self.texture)
    }

    /// Copies the gamma view's twin texture to the CPU ([`Canvas::with_gamma_twin`]); None
    /// where the gamma view is a view of the canvas itself.
    pub fn read_gamma_twin(&self, ctx: &GpuContext) -> Option<Result<Image, GpuError>> {
        let twin = self.gamma.as_ref()?.twin.as_ref()?;
        Some(self.read_texture(ctx, twin))
    }

    fn read_texture(&self, ctx: &GpuContext, texture: &wgpu::Texture) -> Result<Image, GpuError> {
        let [width, height] = self.size;
        let unpadded = width * 4;
        let padded = unpadded.div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT)
            * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
        let buffer = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("target readback"),
            size: padded as u64 * height as u64,
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("target readback"),
            });
        encoder.copy_texture_to_buffer(
            texture.as_image_copy(),
            wgpu::TexelCopyBufferInfo {
                buffer: &buffer,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(padded),
                    rows_per_image: Some(height),
                },
            },
            wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
        );
        ctx.queue.submit([encoder.finish()]);
        let bytes = ctx.read_buffer(&buffer, padded as u64 * height as u64)?;
        let bgra = matches!(
            self.format,
            wgpu::TextureFormat::Bgra8Unorm | wgpu::TextureFormat::Bgra8UnormSrgb
        );
        let mut rgba = Vec::with_capacity((unpadded * height) as usize);
        for row in bytes.chunks(padded as usize) {
            for px in row[..unpadded as usize].chunks(4) {
                if bgra {
                    rgba.extend_from_slice(&[px[2], px[1], px[0], px[3]]);
                } else {
                    rgba.extend_from_slice(px);
                }
            }
        }
        Ok(Image {
            width,
            height,
            rgba,
        })
    }
}
