//! `fisherflow kfac`: the K-FAC lab's numbers. Builds the classifier of issue 13 (Xavier from a
//! seed, optionally trained), and reports per layer the exact Fisher block, K-FAC's factors A
//! and G, the relative Frobenius error of G ⊗ A and the cosine between the exact and the
//! factored damped natural gradients, all at the weights it reports.

use crate::cli::{CliError, CliResult, ModelSpec, Output, parse_model_spec};
use crate::compute::kfac::KfacGpu;
use crate::gpu::context::{GpuContext, GpuOptions};
use crate::kfac::fisher::{LayerStats, cholesky_solve, cosine, kfac_solve, kron};
use crate::kfac::network::{MAX_HIDDEN, MIN_HIDDEN};
use crate::kfac::{MixtureNodes, Network, Trainer, natgrad_cosine, network_stats, train};
use crate::math::{Model, QuadratureRule};
use anyhow::anyhow;
use serde_json::{Value, json};

/// Largest parameter count of a layer whose exact block the JSON may carry (n² numbers).
pub const MAX_MATRIX_PARAMS: usize = 2048;

/// Options of `fisherflow kfac`.
#[derive(Debug, Clone, clap::Args)]
pub struct KfacArgs {
    /// Hidden width H (both hidden layers).
    #[arg(long, default_value_t = 16)]
    pub hidden: usize,
    /// Seed of the Xavier-uniform initial weights.
    #[arg(long, default_value_t = 1)]
    pub seed: u32,
    /// The target mixture x is drawn from: any of pi=…,mu1=…,mu2=…,sigma1=…,sigma2=… (the rest
    /// from the default π = 0.5, μ = ∓1.5, σ = 1). Label y = 0 is component 1 (weight π).
    #[arg(long, value_name = "KEY=VALUE,…", value_parser = parse_model_spec, allow_hyphen_values = true)]
    pub target_model: Option<ModelSpec>,
    /// Training steps before the matrices are computed (0: the initial weights).
    #[arg(long, default_value_t = 0)]
    pub train_steps: u32,
    /// Optimizer of the training: sgd, kfac or ngd (exact block-diagonal).
    #[arg(long, default_value = "sgd", value_parser = clap::value_parser!(String))]
    pub optimizer: String,
    /// Learning rate of the training.
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    pub lr: f64,
    /// Damping λ > 0 of both natural gradients: (F_ℓ + λI) exact, Martens–Grosse π-split for
    /// K-FAC's factors.
    #[arg(long, default_value_t = 1e-3, allow_negative_numbers = true)]
    pub damping: f64,
    /// cpu (f64) or gpu.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Leave the matrices out (keep the weights and the figures): for large H.
    #[arg(long)]
    pub no_matrices: bool,
    /// Expectations over N seeded samples of the target instead of the quadrature (shows the
    /// sampling noise).
    #[arg(long)]
    pub samples: Option<u32>,
    /// Quadrature nodes per mixture component. The network's integrands are analytic but
    /// their complex singularities (of tanh and the softmax) sit close to the real axis, so the
    /// rule needs more nodes than the mixture's own expectations: 256 gives ~1e-9 relative on
    /// the blocks where 64 gives ~1e-6 (measured against tools/kfac_reference.py).
    #[arg(long, default_value_t = 256)]
    pub nodes: u32,
    /// Print JSON (otherwise a table).
    #[arg(long)]
    pub json: bool,
}

/// The default target mixture: ½N(−1.5, 1) + ½N(1.5, 1), two overlapping classes.
fn default_target() -> Model {
    Model {
        pi: 0.5,
        mu1: -1.5,
        mu2: 1.5,
        sigma1: 1.0,
        sigma2: 1.0,
    }
}

fn bad(message: String) -> CliError {
    CliError::input(anyhow!(message))
}

/// Runs `fisherflow kfac` (its JSON on one line: the matrices make it long).
pub fn run(args: &KfacArgs) -> CliResult {
    evaluate(args)?.print(args.json, true)
}

/// Checks the options, builds (and trains) the network and computes the layers' blocks and
/// figures (what [`run`] prints; the Python package calls this too).
pub fn evaluate(args: &KfacArgs) -> Result<Output, CliError> {
    if !(MIN_HIDDEN..=MAX_HIDDEN).contains(&args.hidden) {
        return Err(bad(format!(
            "--hidden: must be from {MIN_HIDDEN} to {MAX_HIDDEN}, got {}",
            args.hidden
        )));
    }
    let trainer: Trainer = args
        .optimizer
        .parse()
        .map_err(|e| bad(format!("--optimizer: {e}")))?;
    if !(args.lr.is_finite() && args.lr > 0.0) {
        return Err(bad(format!(
            "--lr: must be a positive number, got {}",
            args.lr
        )));
    }
    if !(args.damping.is_finite() && args.damping > 0.0) {
        return Err(bad(format!(
            "--damping: must be a positive number (damping is mandatory: G of the last layer \
             has rank 1), got {}",
            args.damping
        )));
    }
    let on_gpu = match args.device.as_str() {
        "cpu" => false,
        "gpu" => true,
        other => return Err(bad(format!("--device: choose cpu or gpu, got `{other}`"))),
    };
    if on_gpu && args.no_matrices {
        return Err(bad(
            "--no-matrices: the GPU path forms the matrices (its figures come from them); use \
             --device cpu for widths too large to form"
                .into(),
        ));
    }
    let mut target = default_target();
    if let Some(spec) = &args.target_model {
        for &(p, v) in &spec.0 {
            target = target.with(p, v);
        }
    }
    target
        .validate()
        .map_err(|e| bad(format!("--target-model: {e}")))?;
    if target.pi <= 0.0 || target.pi >= 1.0 {
        return Err(bad(format!(
            "--target-model: pi must be strictly between 0 and 1 so both labels occur, got {}",
            target.pi
        )));
    }
    let rule = QuadratureRule::new(args.nodes).map_err(|e| bad(format!("--nodes: {e}")))?;
    let nodes = match args.samples {
        None => MixtureNodes::quadrature(&target, &rule),
        Some(n) if (2..=crate::math::estimates::MAX_SAMPLES).contains(&n) => {
            MixtureNodes::samples(&target, n, args.seed)
        }
        Some(n) => {
            return Err(bad(format!(
                "--samples: must be from 2 to {}, got {n}",
                crate::math::estimates::MAX_SAMPLES
            )));
        }
    };
    let mut net = Network::xavier(args.hidden, args.seed);
    if !args.no_matrices
        && let Some(l) = net.layers.iter().find(|l| l.len() > MAX_MATRIX_PARAMS)
    {
        return Err(bad(format!(
            "--hidden {}: a layer has {} parameters, its exact block {}² numbers; pass \
             --no-matrices for widths this large (the figures are still computed)",
            args.hidden,
            l.len(),
            l.len()
        )));
    }
    let losses = train(
        &mut net,
        &nodes,
        trainer,
        args.lr,
        args.damping,
        args.train_steps,
    );
    let stats = network_stats(&net, &nodes);
    // On the GPU the matrices come from shaders/kfac.wgsl (f32) and the figures are computed
    // from them; the loss gradient for the cosine is the f64 one (the kernel does not form it).
    let gpu_blocks = if on_gpu {
        let ctx = GpuContext::new_headless(GpuOptions::default()).map_err(CliError::runtime)?;
        let blocks = KfacGpu::new(&ctx.device)
            .blocks(&ctx, &net, &nodes)
            .map_err(CliError::runtime)?;
        Some(blocks)
    } else {
        None
    };

    let matrix = |v: &[f64], cols: usize| -> Value {
        Value::Array(v.chunks_exact(cols).map(|r| json!(r)).collect())
    };
    let mut layers = Vec::new();
    let mut figures = Vec::new();
    for (l, st) in stats.layers.iter().enumerate() {
        let (exact, a, g, error, cosine) = match &gpu_blocks {
            None => {
                let exact = (!args.no_matrices).then(|| st.exact());
                (
                    exact,
                    st.a.clone(),
                    st.g.clone(),
                    st.rel_frobenius_error(),
                    natgrad_cosine(st, args.damping),
                )
            }
            Some(blocks) => {
                let b = &blocks[l];
                let widen = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<f64>>();
                let (exact, a, g) = (widen(&b.exact), widen(&b.a), widen(&b.g));
                let error = dense_rel_error(&exact, &a, &g, st.d_in, st.d_out);
                let cosine = dense_natgrad_cosine(&exact, &a, &g, st, args.damping)?;
                (Some(exact), a, g, error, cosine)
            }
        };
        figures.push((error, cosine));
        let mut entry = json!({
            "layer": l + 1,
            "d_in": st.d_in,
            "d_out": st.d_out,
            "rel_frobenius_error": error,
            "natgrad_cosine": cosine,
        });
        if let Some(exact) = exact {
            entry["exact"] = matrix(&exact, st.n());
            entry["A"] = matrix(&a, st.d_in);
            entry["G"] = matrix(&g, st.d_out);
        }
        layers.push(entry);
    }
    let weights = json!({
        "W1": matrix(&net.layers[0].w, net.layers[0].d_in),
        "W2": matrix(&net.layers[1].w, net.layers[1].d_in),
        "W3": matrix(&net.layers[2].w, net.layers[2].d_in),
    });
    let json = json!({
        "weights": weights,
        "layers": layers,
        "loss": stats.loss,
        "losses": losses,
        "damping": args.damping,
        "device": if on_gpu { "gpu" } else { "cpu" },
        "factored_damping": "martens-grosse-pi-split",
        "expectation": match args.samples {
            None => format!("quadrature, {} nodes per component", args.nodes),
            Some(n) => format!("{n} samples, seed {}", args.seed),
        },
    });
    let mut text = format!(
        "network 1-{h}-{h}-2 (H = {h}), {} parameters; loss {:.6e}\n",
        net.parameter_count(),
        stats.loss,
        h = args.hidden
    );
    text.push_str("layer  d_in  d_out  ‖F−G⊗A‖/‖F‖  cos(exact, K-FAC natgrad)\n");
    for (l, (st, (error, cosine))) in stats.layers.iter().zip(&figures).enumerate() {
        text.push_str(&format!(
            "{:>5}  {:>4}  {:>5}  {:>12.4e}  {:>10.6}\n",
            l + 1,
            st.d_in,
            st.d_out,
            error,
            cosine
        ));
    }
    Ok(Output {
        json,
        text,
        notes: Vec::new(),
    })
}

/// ‖F − G ⊗ A‖_F / ‖F‖_F from formed matrices (the GPU path's figures).
fn dense_rel_error(exact: &[f64], a: &[f64], g: &[f64], d_in: usize, d_out: usize) -> f64 {
    let k = kron(g, d_out, a, d_in);
    let num: f64 = exact.iter().zip(&k).map(|(f, k)| (f - k).powi(2)).sum();
    let den: f64 = exact.iter().map(|f| f * f).sum();
    (num / den).sqrt()
}

/// The natural-gradient cosine from formed matrices: (F + λI)⁻¹∇ by a dense Cholesky solve
/// against K-FAC's factored solve with the same π-split damping as the CPU path.
fn dense_natgrad_cosine(
    exact: &[f64],
    a: &[f64],
    g: &[f64],
    st: &LayerStats,
    damping: f64,
) -> Result<f64, CliError> {
    let n = st.n();
    let mut damped = exact.to_vec();
    for i in 0..n {
        damped[i * n + i] += damping;
    }
    let mut natural = st.grad.clone();
    cholesky_solve(&mut damped, n, &mut natural).map_err(|e| {
        CliError::runtime(anyhow!(
            "the GPU's exact block plus λI is not positive definite: {e}"
        ))
    })?;
    let factored = kfac_solve(a, st.d_in, g, st.d_out, &st.grad, damping);
    Ok(cosine(&natural, &factored))
}
