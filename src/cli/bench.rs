//! `fisherflow bench`: the GPU-vs-CPU benchmark; prints a table, optionally writes JSON.
//! `--model`, `--slice`, `--sigma` and `--metric` pick the slice: the seed's (the default) runs
//! the seed kernels, any other slice the general ones (`--kernel general` forces them on the
//! seed's slice too).

use std::path::PathBuf;

use anyhow::anyhow;
use clap::Args;

use super::{CliError, CliResult, ModelArgs, require_parent_folder};
use crate::bench::{self, BenchConfig, BenchModel, FimPath, Kernel};
use crate::capture::output::write_atomically;
use crate::gpu::context::{BackendChoice, GpuContext, GpuOptions};
use crate::math::quadrature::validate_nodes;
use crate::math::{Metric, Slice};
use crate::scene::Scene;

/// Options of `fisherflow bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// A short run (under a minute on llvmpipe): small grids, one node count, 4k particles.
    #[arg(long)]
    pub quick: bool,
    /// Write the results as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Grid sides, comma-separated (default 64,256,1024; quick 64,128).
    #[arg(long, value_delimiter = ',')]
    pub grids: Option<Vec<u32>>,
    /// Nodes per component, comma-separated (default 32,64; quick 64).
    #[arg(long, value_delimiter = ',')]
    pub nodes: Option<Vec<u32>>,
    /// FIM paths, comma-separated.
    #[arg(long, value_delimiter = ',', value_enum)]
    pub paths: Option<Vec<FimPath>>,
    /// Timed repeats per measurement (at least 5).
    #[arg(long)]
    pub repeats: Option<usize>,
    /// Particle counts, comma-separated (default 16384,262144,1048576; quick 4096).
    #[arg(long, value_delimiter = ',')]
    pub particles: Option<Vec<u32>>,
    /// Force a graphics backend.
    #[arg(long, value_enum)]
    pub backend: Option<BackendChoice>,
    /// The model (defaults: the viewer's default scene, π = ½, μ1 = −1.5, μ2 = 1, σ1 = σ2 = 1;
    /// the model is also the target), the slice (default mu1,mu2) and --sigma S for
    /// σ1 = σ2 = S.
    #[command(flatten)]
    pub model: ModelArgs,
    /// The metric of the general kernel: the slice's induced block, or the profiled one
    /// (profiled always runs the general kernel).
    #[arg(long, default_value_t = Metric::Induced, value_name = "induced|profiled")]
    pub metric: Metric,
    /// Which kernel: seed (only on mu1,mu2 with pi=0.5, sigma1 = sigma2, induced) or general
    /// (any slice). Default: the seed kernel where it applies, else the general one.
    #[arg(long, value_enum)]
    pub kernel: Option<Kernel>,
    /// Layer widths d (d_in = d_out = d) of the K-FAC cost section, comma-separated (default
    /// 4,…,1000; quick 4,8,16,32); 0 skips the section.
    #[arg(long, value_delimiter = ',')]
    pub kfac_widths: Option<Vec<usize>>,
    /// Time the exact block's solve while its predicted time stays under this many seconds
    /// (default 60; quick 0.5).
    #[arg(long)]
    pub kfac_budget: Option<f64>,
    /// Also run the JAX peer (`python3 FILE N Q 5`, e.g. ../shared/peers/jax_fim.py; needs
    /// `pip install jax`) on the same grids and node counts, alone before our own timings, and
    /// report each row's speed against it (seed kernel only).
    #[arg(long, value_name = "FILE")]
    pub jax_peer: Option<PathBuf>,
    /// Run on one of the viewer's presets (its model and slice; --model, --slice and --sigma
    /// then change them): seed, half-plane, weight-singularity, sigmas, mean-sigma, unequal.
    #[arg(long, value_name = "NAME", value_parser = crate::scene::Preset::from_name)]
    pub preset: Option<crate::scene::Preset>,
    /// Add the presets section: the general kernel's full and target-only (drag) passes and
    /// its mirror on each named preset at the viewer's view, against the seed kernel, on the
    /// --grids and --nodes given: `all` or names separated by commas.
    #[arg(long, value_name = "all|NAME,…", value_parser = parse_presets)]
    pub presets: Option<Presets>,
    /// Instruction sets of the CPU SIMD rows (field and particles), comma-separated, each a
    /// row of its own to race them on one machine: scalar, avx2, avx512 (default: the widest
    /// this CPU has). The exp ceiling is always measured on the widest.
    #[arg(long, value_name = "scalar|avx2|avx512", value_delimiter = ',', value_parser = crate::cpu::simd::SimdLevel::from_name)]
    pub isa: Option<Vec<crate::cpu::simd::SimdLevel>>,
    /// Kill a peer run after this many seconds (default 600).
    #[arg(long, value_name = "SECONDS")]
    pub peer_timeout: Option<u64>,
}

/// The presets of `--presets` (a newtype: clap would read a bare `Vec` as a repeated option).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Presets(pub Vec<crate::scene::Preset>);

/// Parses `--presets`: `all`, or preset names separated by commas.
pub fn parse_presets(text: &str) -> Result<Presets, String> {
    use crate::scene::Preset;
    if text.trim() == "all" {
        return Ok(Presets(Preset::ALL.to_vec()));
    }
    let names = text.split(',').map(str::trim);
    let presets = names
        .map(Preset::from_name)
        .collect::<Result<Vec<_>, _>>()?;
    if presets.is_empty() {
        return Err("name at least one preset, or `all`".into());
    }
    Ok(Presets(presets))
}

/// Runs `fisherflow bench`.
pub fn run(args: &BenchArgs) -> CliResult {
    let mut config = if args.quick {
        BenchConfig::quick()
    } else {
        BenchConfig::full()
    };
    if let Some(g) = &args.grids {
        if g.is_empty() || g.iter().any(|&n| !(1..=4096).contains(&n)) {
            return Err(CliError::input(anyhow!(
                "--grids: each side must be from 1 to 4096"
            )));
        }
        config.grids = g.clone();
    }
    if let Some(n) = &args.nodes {
        for &q in n {
            validate_nodes(q).map_err(CliError::input)?;
        }
        config.nodes = n.clone();
    }
    if let Some(p) = &args.paths {
        config.paths = p.clone();
    }
    if let Some(r) = args.repeats {
        if r < 5 {
            return Err(CliError::input(anyhow!(
                "--repeats must be at least 5, got {r}"
            )));
        }
        config.repeats = r;
    }
    if let Some(w) = &args.kfac_widths {
        if w == &[0] {
            config.kfac_widths.clear();
        } else if w.is_empty() || w.iter().any(|&d| !(2..=4096).contains(&d)) {
            return Err(CliError::input(anyhow!(
                "--kfac-widths: each width must be from 2 to 4096 (or 0 alone to skip)"
            )));
        } else {
            config.kfac_widths = w.clone();
        }
    }
    if let Some(b) = args.kfac_budget {
        if !(b.is_finite() && b > 0.0) {
            return Err(CliError::input(anyhow!(
                "--kfac-budget: must be a positive number of seconds, got {b}"
            )));
        }
        config.kfac_exact_budget_s = b;
    }
    if let Some(p) = &args.particles {
        if p.iter().any(|&n| !(1..=1 << 24).contains(&n)) {
            return Err(CliError::input(anyhow!(
                "--particles: each count must be from 1 to 16777216"
            )));
        }
        config.particles = p.clone();
    }
    if let Some(script) = &args.jax_peer {
        if !script.is_file() {
            return Err(CliError::input(anyhow!(
                "--jax-peer: {} is not a file (give the path of jax_fim.py)",
                script.display()
            )));
        }
        config.peer = Some(bench::PeerCommand {
            command: vec!["python3".to_owned(), script.display().to_string()],
            timeout_s: args.peer_timeout.unwrap_or(600).max(1),
        });
    } else if args.peer_timeout.is_some() {
        return Err(CliError::input(anyhow!(
            "--peer-timeout applies to --jax-peer only; add --jax-peer FILE"
        )));
    }
    let (base, default_slice) = match args.preset {
        Some(p) => {
            let (model, slice, _) = p.setup();
            (model, slice)
        }
        None => (Scene::default().model, Slice::SEED),
    };
    let slice = args.model.slice.unwrap_or(default_slice);
    let model = args.model.apply(base, &slice)?;
    if let Some(isas) = &args.isa {
        let missing: Vec<&str> = isas
            .iter()
            .filter(|l| !l.is_supported())
            .map(|l| l.name())
            .collect();
        if !missing.is_empty() {
            let here: Vec<&str> = crate::cpu::simd::supported_levels()
                .iter()
                .map(|l| l.name())
                .collect();
            return Err(CliError::input(anyhow!(
                "--isa: this CPU lacks {}; it has {} (choose among those)",
                missing.join(", "),
                here.join(", ")
            )));
        }
        if !config.paths.contains(&FimPath::CpuF32Simd) {
            return Err(CliError::input(anyhow!(
                "--isa applies to the cpu-f32-simd path, which --paths leaves out; add it"
            )));
        }
        let mut isas = isas.clone();
        isas.dedup();
        config.isas = isas;
    }
    if let Some(Presets(p)) = &args.presets {
        config.presets = p.clone();
    }
    config.model = BenchModel::new(model, slice, args.metric, args.kernel)
        .map_err(|e| CliError::input(anyhow!("--kernel: {e}")))?;
    if let Some(path) = &args.json {
        require_parent_folder("--json", path)?;
    }
    let ctx = GpuContext::new_headless(GpuOptions {
        backend: args.backend,
        ..Default::default()
    })
    .map_err(CliError::runtime)?;
    let bar = indicatif::ProgressBar::new_spinner();
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let report = bench::run(&ctx, &config, |message| bar.set_message(message.to_owned()))
        .map_err(CliError::runtime)?;
    bar.finish_and_clear();
    print!("{}", bench::table(&report));
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).map_err(CliError::runtime)?;
        write_atomically(path, text.as_bytes()).map_err(CliError::runtime)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
