//! The trail accumulation texture (`shaders/trails.wgsl`): faded each frame, drawn into by the
//! particles, composited over the scene. Cleared whenever what it shows stops matching the
//! view (camera, canvas size or particle set changed).

use crate::gpu::gpu_data::TrailParams;
use crate::gpu::shader;
use crate::render::FrameInfo;
use crate::render::layer::{Layer, LayerFrame, Legend, LegendItem, SwatchShape};
use crate::render::pipeline::{
    color_pass, new_params_buffer, params_entry, unfiltered_texture_entry,
};
use crate::scene::{ParticleColor, Scene};

/// Format of the accumulation texture: float, so repeated fading decays to zero instead of
/// getting stuck at 8-bit rounding.
pub const TRAIL_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba16Float;

/// Trail texture and the fade / composite pipelines.
pub struct Trails {
    fade_pipeline: wgpu::RenderPipeline,
    composite_pipeline: wgpu::RenderPipeline,
    /// The fade pass binds only the parameters, the composite only the texture: a bind group
    /// holding the texture may not be set while the texture is the pass's attachment.
    composite_layout: wgpu::BindGroupLayout,
    fade_group: wgpu::BindGroup,
    params: wgpu::Buffer,
    texture: Option<(wgpu::TextureView, [u32; 2], wgpu::BindGroup)>,
}

impl Trails {
    /// Builds the pipelines; `scene_format` is the format the composite draws into.
    pub fn new(device: &wgpu::Device, scene_format: wgpu::TextureFormat) -> Self {
        let fade_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("trails fade layout"),
            entries: &[params_entry(0)],
        });
        let composite_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("trails composite layout"),
            entries: &[unfiltered_texture_entry(1)],
        });
        let module = shader::create_module(device, "trails.wgsl");
        let fullscreen = |label, (vertex, fragment), format, blend, layout: &wgpu::BindGroupLayout| {
            let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(label),
                bind_group_layouts: &[Some(layout)],
                ..Default::default()
            });
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(label),
                layout: Some(&pipeline_layout),
                vertex: wgpu::VertexState {
                    module: &module,
                    entry_point: Some(vertex),
                    compilation_options: Default::default(),
                    buffers: &[],
                },
                primitive: wgpu::PrimitiveState::default(),
                depth_stencil: None,
                multisample: wgpu::MultisampleState::default(),
                fragment: Some(wgpu::FragmentState {
                    module: &module,
                    entry_point: Some(fragment),
                    compilation_options: Default::default(),
                    targets: &[Some(wgpu::ColorTargetState {
                        format,
                        blend: Some(blend),
                        write_mask: wgpu::ColorWrites::ALL,
                    })],
                }),
                multiview_mask: None,
                cache: None,
            })
        };
        // dst ← dst·(1 − fade) on every channel.
        let fade_blend = wgpu::BlendComponent {
            src_factor: wgpu::BlendFactor::Zero,
            dst_factor: wgpu::BlendFactor::OneMinusSrcAlpha,
            operation: wgpu::BlendOperation::Add,
        };
        let params = new_params_buffer(device, "trail params", &TrailParams::default());
        let fade_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("trails fade bind group"),
            layout: &fade_layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: params.as_entire_binding(),
            }],
        });
        Self {
            fade_pipeline: fullscreen(
                "trails fade",
                ("vs_fade", "fs_fade"),
                TRAIL_FORMAT,
                wgpu::BlendState {
                    color: fade_blend,
                    alpha: fade_blend,
                },
                &fade_layout,
            ),
            composite_pipeline: fullscreen(
                "trails composite",
                ("vs_fullscreen", "fs_composite"),
                scene_format,
                wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING,
                &composite_layout,
            ),
            params,
            fade_group,
            composite_layout,
            texture: None,
        }
    }

    /// Makes sure the texture has `size`; returns true when it was (re)created (and is clear).
    pub fn ensure_size(&mut self, device: &wgpu::Device, size: [u32; 2]) -> bool {
        if self.texture.as_ref().is_some_and(|(_, s, _)| *s == size) {
            return false;
        }
        let usage = wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::TEXTURE_BINDING;
        let texture =
            crate::render::canvas::texture_2d(device, size, TRAIL_FORMAT, usage, &[], "trails");
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("trails bind group"),
            layout: &self.composite_layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 1,
                resource: wgpu::BindingResource::TextureView(&view),
            }],
        });
        self.texture = Some((view, size, group));
        true
    }

    /// Begins this frame's pass on the trail texture: cleared when `clear`, else faded by
    /// `fade`. The caller draws the particles into the returned pass.
    pub fn begin<'e>(
        &self,
        queue: &wgpu::Queue,
        encoder: &'e mut wgpu::CommandEncoder,
        fade: f32,
        clear: bool,
    ) -> wgpu::RenderPass<'e> {
        let (view, _, _) = self.texture.as_ref().expect("ensure_size is called first");
        queue.write_buffer(
            &self.params,
            0,
            bytemuck::bytes_of(&TrailParams {
                fade,
                _pad: [0.0; 3],
            }),
        );
        let load = if clear {
            wgpu::LoadOp::Clear(wgpu::Color::TRANSPARENT)
        } else {
            wgpu::LoadOp::Load
        };
        let mut pass = color_pass(encoder, "trails", view, load);
        if !clear {
            pass.set_pipeline(&self.fade_pipeline);
            pass.set_bind_group(0, &self.fade_group, &[]);
            pass.draw(0..3, 0..1);
        }
        pass
    }

    /// Lays the trails over the scene in `pass`.
    pub fn composite(&self, pass: &mut wgpu::RenderPass<'_>) {
        if let Some((_, _, group)) = &self.texture {
            pass.set_pipeline(&self.composite_pipeline);
            pass.set_bind_group(0, group, &[]);
            pass.draw(0..3, 0..1);
        }
    }
}

/// The flow layer: the trail texture (the particles' streaks, drawn into it by the particle
/// pipeline before the scene pass) composited over the scene.
impl Layer for Trails {
    fn name(&self) -> &'static str {
        "flow trails"
    }

    fn prepare(&mut self, _frame: &LayerFrame<'_>) {}

    fn draw(&self, pass: &mut wgpu::RenderPass<'_>, frame: &LayerFrame<'_>) {
        if frame.info.particles > 0 {
            self.composite(pass);
        }
    }

    fn legend(&self, scene: &Scene, info: &FrameInfo) -> Option<Legend> {
        use super::layer_particles::LOG_SPEED_RANGE;
        use crate::render::colormap::palette;
        if info.particles == 0 {
            return None;
        }
        // The policy plane descends its cost C; its finite steps can crash out of the triangle.
        let policy = scene.family() == crate::scene::Family::Policy;
        let loss = if policy { "C" } else { "L" };
        let crash = policy.then(|| LegendItem::Swatch {
            color: palette::CRASH,
            shape: SwatchShape::Dot,
            label: "crash: a step left the triangle".into(),
        });
        Some(match scene.features.flow.color {
            ParticleColor::Mode => Legend {
                title: None,
                items: [
                    LegendItem::Swatch {
                        color: palette::NATURAL,
                        shape: SwatchShape::Dot,
                        label: format!("particles on −F⁻¹∇{loss} (natural)"),
                    },
                    // Natural-vs-EF mode pairs the natural flow with the EF flow instead (the
                    // policy plane has no EF: it runs both flows).
                    if scene.features.flow.mode == crate::scene::FlowMode::NaturalVsEmpirical && !policy {
                        LegendItem::Swatch {
                            color: crate::features::estimates::layer::colors::EMPIRICAL,
                            shape: SwatchShape::Dot,
                            label: "particles on −EF⁻¹∇L (EF)".into(),
                        }
                    } else {
                        LegendItem::Swatch {
                            color: palette::EUCLID,
                            shape: SwatchShape::Dot,
                            label: format!("particles on −∇{loss} (Euclidean)"),
                        }
                    },
                ]
                .into_iter()
                .chain(crash)
                .collect(),
            },
            ParticleColor::Speed => Legend {
                title: Some("particle colour: log₁₀ Fisher–Rao speed".into()),
                items: vec![LegendItem::ColorBar {
                    ticks: vec![
                        format!("{}", LOG_SPEED_RANGE.0),
                        format!("{}", LOG_SPEED_RANGE.1),
                    ],
                }],
            },
        })
    }
}
