//! What the benchmark measures: the model, slice and kernel, the FIM paths, the frame-loop
//! cases, and the full and quick configurations.

use serde::Serialize;

use super::peer::PeerCommand;
use crate::cpu;
use crate::math::{Metric, Model, Slice};
use crate::scene::{Camera, NOMINAL_ASPECT, Scene};

/// Which kernel a measurement ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Kernel {
    /// The seed's kernels (`fim_field.wgsl`, the particle kernel's seed mode): the seed's
    /// slice with π = ½, σ1 = σ2, induced metric.
    Seed,
    /// The general kernels (`fim_general.wgsl`, the particle kernel's general mode): any slice.
    General,
}

/// The model and slice the benchmark runs on, and which kernel evaluates them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BenchModel {
    /// The model; it is also the target (as in the viewer, whose handle is the model's slice
    /// coordinates).
    pub model: Model,
    /// The slice.
    pub slice: Slice,
    /// The metric (the general kernel's; the seed kernel is the induced metric).
    pub metric: Metric,
    /// The kernel.
    pub kernel: Kernel,
}

impl Default for BenchModel {
    /// The seed benchmark: the default scene's model (π = ½, handle (−1.5, 1), σ = 1) on the
    /// seed's slice.
    fn default() -> Self {
        let scene = Scene::default();
        Self {
            model: scene.model,
            slice: scene.slice,
            metric: Metric::Induced,
            kernel: Kernel::Seed,
        }
    }
}

impl BenchModel {
    /// `model` on `slice` with `metric`; the seed kernel where it applies (the seed's slice,
    /// π = ½, σ1 = σ2, induced), else the general one. `kernel` forces one: the general kernel
    /// runs anywhere, the seed kernel only where it applies (else an error naming why).
    pub fn new(
        model: Model,
        slice: Slice,
        metric: Metric,
        kernel: Option<Kernel>,
    ) -> Result<Self, String> {
        let seed_applies = slice.is_seed()
            && model.pi == 0.5
            && model.sigma1 == model.sigma2
            && metric == Metric::Induced;
        let kernel = match kernel {
            Some(Kernel::Seed) if !seed_applies => {
                return Err(
                    "the seed kernel runs only on the slice mu1,mu2 with pi=0.5, \
                            sigma1 = sigma2 and the induced metric; use --kernel general or \
                            leave --kernel out"
                        .into(),
                );
            }
            Some(k) => k,
            None if seed_applies => Kernel::Seed,
            None => Kernel::General,
        };
        Ok(Self {
            model,
            slice,
            metric,
            kernel,
        })
    }

    /// The viewer's scene of this model and slice: the probe where the viewer puts it on a
    /// new slice, the view fitted to the handles and the probe.
    pub fn scene(&self) -> Scene {
        let mut scene = Scene {
            model: self.model,
            slice: self.slice,
            metric: self.metric,
            probe: Some(crate::scene::default_probe(&self.model, &self.slice)),
            ..Scene::default()
        };
        scene.fit_view();
        scene
    }

    /// The general kernel's view: the fitted camera's visible rectangle at the viewer's
    /// nominal aspect ([`Camera::fit_slice`], no probe).
    pub fn general_view(&self) -> ([f64; 2], [f64; 2]) {
        Camera::fit_slice(&self.model, &self.slice, None)
            .visible_rect([(100.0 * NOMINAL_ASPECT) as f32, 100.0])
    }
}

/// A path of the FIM benchmark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
pub enum FimPath {
    /// The WGSL kernel.
    #[serde(rename = "gpu")]
    #[value(name = "gpu")]
    Gpu,
    /// The f32 CPU path at the SIMD limit: 16 cells per AVX-512 vector or 8 per AVX2 + FMA on
    /// every core (`cpu::simd`; the scalar mirror where the CPU lacks both; `--isa` picks the
    /// sets). On general slices the union pass vectorised over nodes (`cpu::simd::general_grid_into_at`).
    #[serde(rename = "cpu-f32-simd")]
    #[value(name = "cpu-f32-simd")]
    CpuF32Simd,
    /// The f32 CPU mirror on every core.
    #[serde(rename = "cpu-f32-mt")]
    #[value(name = "cpu-f32-mt")]
    CpuF32Mt,
    /// The f64 reference, one thread.
    #[serde(rename = "cpu-f64")]
    #[value(name = "cpu-f64")]
    CpuF64,
}

/// One frame-loop case.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct FrameCase {
    /// Target width in pixels.
    pub width: u32,
    /// Target height in pixels.
    pub height: u32,
    /// Grid density.
    pub grid: u32,
    /// Particles (0: flow off).
    pub particles: u32,
    /// Recompute the field every frame (as while dragging a slider), else only once.
    pub field_every_frame: bool,
    /// Move the target every frame, around a circle of radius 0.3 about where it starts,
    /// through the edit a dragged handle makes (the viewer's `--drag-target`): the field's
    /// target-only pass and whatever follows the target.
    pub drag_target: bool,
}

/// What to measure.
#[derive(Clone, Debug)]
pub struct BenchConfig {
    /// Grid sides N (N×N cells).
    pub grids: Vec<u32>,
    /// Nodes per component.
    pub nodes: Vec<u32>,
    /// FIM paths.
    pub paths: Vec<FimPath>,
    /// Timed repeats (≥ 5).
    pub repeats: usize,
    /// Untimed warm-up runs.
    pub warmup: usize,
    /// Largest grid the single-threaded f64 path runs on.
    pub f64_max_grid: u32,
    /// Cells compared with the reference per grid, at most.
    pub error_sample: usize,
    /// Particle counts.
    pub particles: Vec<u32>,
    /// Flow steps per timed repeat.
    pub particle_steps: u32,
    /// Frame-loop cases.
    pub frames: Vec<FrameCase>,
    /// Timed frames per case.
    pub frame_count: usize,
    /// The model, slice and kernel.
    pub model: BenchModel,
    /// Layer widths d (d_in = d_out = d) of the K-FAC cost section; empty skips it.
    pub kfac_widths: Vec<usize>,
    /// The exact block's solve is timed while its predicted time stays under this (seconds).
    pub kfac_exact_budget_s: f64,
    /// The JAX peer (`jax_fim.py N Q [repeats]`), run on the FIM section's grids and node
    /// counts before our own timings, so both are measured in one run on one machine.
    pub peer: Option<PeerCommand>,
    /// The viewer's presets the presets section runs (`--presets`); empty skips it.
    pub presets: Vec<crate::scene::Preset>,
    /// The instruction sets the SIMD rows (`cpu-f32-simd` field and particles) run on, each a
    /// row of its own (`--isa`); by default the widest this CPU has.
    pub isas: Vec<cpu::simd::SimdLevel>,
}

impl BenchConfig {
    /// The FIM section's runs in order: one per path, the SIMD path once per instruction set
    /// raced (`--isa`), the others with no instruction set.
    pub fn path_runs(&self) -> Vec<(FimPath, Option<cpu::simd::SimdLevel>)> {
        self.paths
            .iter()
            .flat_map(|&path| {
                let isas: Vec<Option<cpu::simd::SimdLevel>> = if path == FimPath::CpuF32Simd {
                    self.isas.iter().copied().map(Some).collect()
                } else {
                    vec![None]
                };
                isas.into_iter().map(move |isa| (path, isa))
            })
            .collect()
    }
    /// [`Self::path_runs`] at grid side `grid`: the f64 path only up to `f64_max_grid`.
    pub fn path_runs_at(
        &self,
        grid: u32,
    ) -> impl Iterator<Item = (FimPath, Option<cpu::simd::SimdLevel>)> + '_ {
        self.path_runs()
            .into_iter()
            .filter(move |&(path, _)| path != FimPath::CpuF64 || grid <= self.f64_max_grid)
    }
}

impl BenchConfig {
    /// The full benchmark (minutes on llvmpipe).
    pub fn full() -> Self {
        let case = |width, height, grid, particles, field_every_frame| FrameCase {
            width,
            height,
            grid,
            particles,
            field_every_frame,
            drag_target: false,
        };
        let drag = |width, height, grid| FrameCase {
            drag_target: true,
            ..case(width, height, grid, 0, false)
        };
        Self {
            grids: vec![64, 256, 1024],
            nodes: vec![32, 64],
            paths: vec![
                FimPath::Gpu,
                FimPath::CpuF32Simd,
                FimPath::CpuF32Mt,
                FimPath::CpuF64,
            ],
            repeats: 5,
            warmup: 1,
            f64_max_grid: 256,
            error_sample: 4096,
            particles: vec![16_384, 262_144, 1_048_576],
            particle_steps: 4,
            frames: vec![
                case(1280, 720, 128, 0, false),
                case(1280, 720, 512, 0, false),
                case(1280, 720, 128, 0, true),
                drag(1280, 720, 128),
                case(1280, 720, 128, 16_384, false),
            ],
            frame_count: 20,
            model: BenchModel::default(),
            // Up to the 1,000 × 1,000 layer for K-FAC; the exact block while a solve stays
            // under a minute (and its matrix under 4 GiB).
            kfac_widths: vec![4, 8, 16, 24, 32, 48, 64, 90, 128, 256, 512, 1000],
            kfac_exact_budget_s: 60.0,
            peer: None,
            presets: Vec::new(),
            isas: vec![cpu::simd::simd_level()],
        }
    }

    /// The quick benchmark: well under a minute on llvmpipe (CI runs it as a smoke test).
    pub fn quick() -> Self {
        Self {
            grids: vec![64, 128],
            nodes: vec![64],
            f64_max_grid: 64,
            error_sample: 1024,
            particles: vec![4096],
            particle_steps: 2,
            frames: vec![FrameCase {
                width: 640,
                height: 360,
                grid: 64,
                particles: 4096,
                field_every_frame: true,
                drag_target: false,
            }],
            frame_count: 5,
            kfac_widths: vec![4, 8, 16, 32],
            kfac_exact_budget_s: 0.5,
            ..Self::full()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_kernel_runs_only_where_it_applies() {
        let seed = BenchModel::default();
        assert_eq!(seed.kernel, Kernel::Seed);
        let again = BenchModel::new(seed.model, seed.slice, Metric::Induced, None).unwrap();
        assert_eq!(again, seed);
        let profiled = BenchModel::new(seed.model, seed.slice, Metric::Profiled, None).unwrap();
        assert_eq!(profiled.kernel, Kernel::General);
        let forced = BenchModel::new(
            seed.model,
            seed.slice,
            Metric::Induced,
            Some(Kernel::General),
        );
        assert_eq!(forced.unwrap().kernel, Kernel::General);
        let unequal = Model {
            sigma2: 1.4,
            ..seed.model
        };
        assert_eq!(
            BenchModel::new(unequal, seed.slice, Metric::Induced, None)
                .unwrap()
                .kernel,
            Kernel::General
        );
        assert!(BenchModel::new(unequal, seed.slice, Metric::Induced, Some(Kernel::Seed)).is_err());
    }
}
