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
    /// The same pixels viewed without sRGB decoding: what egui samples, since egui-wgpu 0.37
    /// treats texture samples as gamma-encoded.
    pub gamma_view: wgpu::TextureView,
    /// Size in pixels.
    pub size: [u32; 2],
    /// Its format.
    pub format: wgpu::TextureFormat,
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

impl Canvas {
    /// A `size` target of `format` usable as attachment, texture, copy source and destination.
    pub fn new(
        device: &wgpu::Device,
        size: [u32; 2],
        format: wgpu::TextureFormat,
        label: &str,
    ) -> Self {
        let size = [size[0].max(1), size[1].max(1)];
        let texture = device.create_texture(&wgpu::TextureDescriptor {
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
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT
                | wgpu::TextureUsages::TEXTURE_BINDING
                | wgpu::TextureUsages::COPY_SRC
                | wgpu::TextureUsages::COPY_DST,
            view_formats: &[format.remove_srgb_suffix()],
        });
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        let gamma_view = texture.create_view(&wgpu::TextureViewDescriptor {
            format: Some(format.remove_srgb_suffix()),
            ..Default::default()
        });
        Self {
            texture,
            view,
            gamma_view,
            size,
            format,
        }
    }

    /// Copies the texture to the CPU as RGBA8 (BGRA formats are swizzled).
    pub fn read(&self, ctx: &GpuContext) -> Result<Image, GpuError> {
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
            self.texture.as_image_copy(),
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
