//! Picks a GPU adapter and opens a device on it.
//!
//! Backends come from `--backend` when given, else from `WGPU_BACKEND`, else all. Among the
//! adapters found, [`AdapterPreference`] ranks them (a discrete GPU for the viewer and the
//! benchmark; the CPU rasteriser lavapipe/llvmpipe for tests, where determinism matters more
//! than speed). When none is found the error says what was tried and what to install.
//! The device asks for the adapter's own limits (so the largest grids fit) and for timestamp
//! queries where available (the benchmark's kernel times).

use std::time::Duration;

/// A graphics backend the user may force with `--backend`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// Vulkan (on Linux without a GPU: Mesa's lavapipe, package `mesa-vulkan-drivers`).
    Vulkan,
    /// OpenGL / GLES (llvmpipe through EGL without a GPU).
    Gl,
    /// Metal (macOS).
    Metal,
    /// Direct3D 12 (Windows).
    Dx12,
}

impl From<BackendChoice> for wgpu::Backends {
    fn from(choice: BackendChoice) -> Self {
        match choice {
            BackendChoice::Vulkan => wgpu::Backends::VULKAN,
            BackendChoice::Gl => wgpu::Backends::GL,
            BackendChoice::Metal => wgpu::Backends::METAL,
            BackendChoice::Dx12 => wgpu::Backends::DX12,
        }
    }
}

/// Which kind of adapter to rank first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdapterPreference {
    /// Discrete, then integrated, then virtual, then CPU adapters.
    HighPerformance,
    /// CPU adapters (lavapipe, llvmpipe) first: deterministic, what CI has.
    Software,
}

/// Why no device could be opened.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// No adapter on any backend that was tried.
    #[error(
        "no GPU adapter found (backends tried: {tried}).\n\
         To fix: install a Vulkan driver. Without a GPU, Mesa's software driver works: \
         `sudo apt-get install mesa-vulkan-drivers` (Debian/Ubuntu). \
         Or try another backend with `--backend gl` (or WGPU_BACKEND=gl)."
    )]
    NoAdapter {
        /// Human-readable list of the backends searched.
        tried: String,
    },
    /// An adapter exists but refused to open a device.
    #[error("the adapter `{adapter}` could not open a device: {source}")]
    RequestDevice {
        /// The adapter's name and backend.
        adapter: String,
        /// What wgpu said.
        source: wgpu::RequestDeviceError,
    },
    /// Waiting for the GPU took longer than the timeout.
    #[error("the GPU did not finish within {0:?}: {1}")]
    Timeout(Duration, String),
    /// Mapping a buffer back to the CPU failed.
    #[error("reading a buffer back from the GPU failed: {0}")]
    Readback(String),
    /// A scene or option value the GPU path cannot use.
    #[error("{0}")]
    InvalidInput(String),
    /// A request exceeds a device limit; says which one.
    #[error("{what} needs {needed} bytes but this device's `{limit}` is {available}; {hint}")]
    Limit {
        /// What was being allocated.
        what: String,
        /// Bytes needed.
        needed: u64,
        /// wgpu limit name.
        limit: &'static str,
        /// The device's value for that limit.
        available: u64,
        /// What the user can do instead.
        hint: String,
    },
}

/// Options for [`GpuContext::new_headless`].
#[derive(Clone, Copy, Debug)]
pub struct GpuOptions {
    /// Forced backend; None honours `WGPU_BACKEND`, else tries all.
    pub backend: Option<BackendChoice>,
    /// Ranking of adapters.
    pub preference: AdapterPreference,
}

impl Default for GpuOptions {
    fn default() -> Self {
        Self {
            backend: None,
            preference: AdapterPreference::HighPerformance,
        }
    }
}

/// An open device and what it runs on.
pub struct GpuContext {
    /// The wgpu instance (the viewer creates its surface from it).
    pub instance: wgpu::Instance,
    /// The chosen adapter.
    pub adapter: wgpu::Adapter,
    /// The device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// Name, backend, device type of the adapter.
    pub info: wgpu::AdapterInfo,
}

/// How long a blocking wait on the GPU may take before it counts as hung. Generous: llvmpipe
/// evaluating a 1024² field with many nodes takes tens of seconds on two cores.
pub const GPU_WAIT_TIMEOUT: Duration = Duration::from_secs(600);

impl GpuContext {
    /// Opens a device with no window.
    pub fn new_headless(options: GpuOptions) -> Result<Self, GpuError> {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        if let Some(backend) = options.backend {
            desc.backends = backend.into();
        }
        let backends = desc.backends;
        let instance = wgpu::Instance::new(desc);
        let adapter = pick_adapter(&instance, backends, options.preference, None)?;
        Self::open(instance, adapter)
    }

    /// Opens a device on an adapter that can present to `surface`.
    pub fn for_surface(
        instance: wgpu::Instance,
        backends: wgpu::Backends,
        surface: &wgpu::Surface<'_>,
    ) -> Result<Self, GpuError> {
        let adapter = pick_adapter(
            &instance,
            backends,
            AdapterPreference::HighPerformance,
            Some(surface),
        )?;
        Self::open(instance, adapter)
    }

    fn open(instance: wgpu::Instance, adapter: wgpu::Adapter) -> Result<Self, GpuError> {
        let info = adapter.get_info();
        let wanted =
            wgpu::Features::TIMESTAMP_QUERY | wgpu::Features::TIMESTAMP_QUERY_INSIDE_ENCODERS;
        let required_features = adapter.features() & wanted;
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("fisherflow device"),
            required_features,
            required_limits: adapter.limits(),
            ..Default::default()
        }))
        .map_err(|source| GpuError::RequestDevice {
            adapter: describe(&info),
            source,
        })?;
        Ok(Self {
            instance,
            adapter,
            device,
            queue,
            info,
        })
    }

    /// "llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan, Cpu)": what JSON and tables print.
    pub fn describe(&self) -> String {
        describe(&self.info)
    }

    /// Whether timestamp queries can time compute passes on this device.
    pub fn has_timestamps(&self) -> bool {
        self.device
            .features()
            .contains(wgpu::Features::TIMESTAMP_QUERY)
    }

    /// Blocks until all submitted work is done, or fails after [`GPU_WAIT_TIMEOUT`].
    pub fn wait(&self) -> Result<(), GpuError> {
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: None,
                timeout: Some(GPU_WAIT_TIMEOUT),
            })
            .map(|_| ())
            .map_err(|e| GpuError::Timeout(GPU_WAIT_TIMEOUT, e.to_string()))
    }

    /// Copies `size` bytes of `source` to the CPU (tests, CLI and benchmark only: the frame loop
    /// never reads back).
    pub fn read_buffer(&self, source: &wgpu::Buffer, size: u64) -> Result<Vec<u8>, GpuError> {
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback staging"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("readback"),
            });
        encoder.copy_buffer_to_buffer(source, 0, &staging, 0, size);
        self.queue.submit([encoder.finish()]);
        let (sender, receiver) = std::sync::mpsc::channel();
        staging.map_async(wgpu::MapMode::Read, .., move |result| {
            // The receiver lives until after the wait below; a failed send cannot happen.
            let _ = sender.send(result);
        });
        self.wait()?;
        receiver
            .recv()
            .map_err(|e| GpuError::Readback(e.to_string()))?
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        let view = staging
            .get_mapped_range(..)
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        let bytes = view.to_vec();
        drop(view);
        staging.unmap();
        Ok(bytes)
    }
}

/// Adapter name with backend and type.
pub fn describe(info: &wgpu::AdapterInfo) -> String {
    format!("{} ({:?}, {:?})", info.name, info.backend, info.device_type)
}

fn rank(device_type: wgpu::DeviceType, preference: AdapterPreference) -> u8 {
    use wgpu::DeviceType::*;
    match (preference, device_type) {
        (AdapterPreference::HighPerformance, DiscreteGpu) => 0,
        (AdapterPreference::HighPerformance, IntegratedGpu) => 1,
        (AdapterPreference::HighPerformance, VirtualGpu) => 2,
        (AdapterPreference::HighPerformance, Cpu) => 3,
        (AdapterPreference::Software, Cpu) => 0,
        (AdapterPreference::Software, _) => 1,
        (_, Other) => 4,
    }
}

fn backend_rank(backend: wgpu::Backend) -> u8 {
    // Vulkan first: wgpu's GL backend lacks storage buffers in vertex shaders on some drivers.
    match backend {
        wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 0,
        _ => 1,
    }
}

fn pick_adapter(
    instance: &wgpu::Instance,
    backends: wgpu::Backends,
    preference: AdapterPreference,
    surface: Option<&wgpu::Surface<'_>>,
) -> Result<wgpu::Adapter, GpuError> {
    let mut adapters = pollster::block_on(instance.enumerate_adapters(backends));
    if let Some(surface) = surface {
        adapters.retain(|a| a.is_surface_supported(surface));
    }
    if let Ok(wanted) = std::env::var("WGPU_ADAPTER_NAME") {
        let wanted = wanted.to_lowercase();
        adapters.retain(|a| a.get_info().name.to_lowercase().contains(&wanted));
    }
    adapters.sort_by_key(|a| {
        let info = a.get_info();
        (
            rank(info.device_type, preference),
            backend_rank(info.backend),
        )
    });
    adapters
        .into_iter()
        .next()
        .ok_or_else(|| GpuError::NoAdapter {
            tried: format!(
                "{backends:?}{}{}",
                std::env::var("WGPU_BACKEND")
                    .map(|v| format!(", WGPU_BACKEND={v}"))
                    .unwrap_or_default(),
                std::env::var("WGPU_ADAPTER_NAME")
                    .map(|v| format!(", WGPU_ADAPTER_NAME={v}"))
                    .unwrap_or_default()
            ),
        })
}
