//! The K-FAC lab (issue 13): the Kronecker identities, the GPU blocks against the f64 mirror
//! (with negative controls), and `fisherflow kfac` (JSON shape, bad input).

use crate::common;

use std::process::Command;
use std::time::Duration;

use fisherflow::compute::kfac::KfacGpu;
use fisherflow::kfac::fisher::{cholesky_solve, kfac_solve, kron, pi_split};
use fisherflow::kfac::{MixtureNodes, Network, network_stats};
use fisherflow::math::{Model, QuadratureRule};

fn target() -> Model {
    Model {
        pi: 0.35,
        mu1: -0.8,
        mu2: 1.7,
        sigma1: 0.9,
        sigma2: 0.5,
    }
}

/// A small SPD matrix from a seed: B Bᵀ + I.
fn spd(n: usize, seed: u64) -> Vec<f64> {
    let mut state = seed;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5
    };
    let b: Vec<f64> = (0..n * n).map(|_| next()).collect();
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            m[i * n + j] = (0..n).map(|k| b[i * n + k] * b[j * n + k]).sum::<f64>();
        }
        m[i * n + i] += 1.0;
    }
    m
}

fn inverse(m: &[f64], n: usize) -> Vec<f64> {
    let mut inv = vec![0.0; n * n];
    for c in 0..n {
        let mut col = vec![0.0; n];
        col[c] = 1.0;
        cholesky_solve(&mut m.to_vec(), n, &mut col).unwrap();
        for r in 0..n {
            inv[r * n + c] = col[r];
        }
    }
    inv
}

/// (G ⊗ A)⁻¹ = G⁻¹ ⊗ A⁻¹, and the row-major / column-major permutation: with the perfect
/// shuffle P (row-major index i·d_in + j ↦ column-major j·d_out + i), A ⊗ G = P (G ⊗ A) Pᵀ.
#[test]
fn kronecker_identities_hold() {
    let (d_out, d_in) = (3, 4);
    let g = spd(d_out, 1);
    let a = spd(d_in, 2);
    let n = d_out * d_in;
    let ga = kron(&g, d_out, &a, d_in);
    let inv_of_kron = inverse(&ga, n);
    let kron_of_inv = kron(&inverse(&g, d_out), d_out, &inverse(&a, d_in), d_in);
    let worst = inv_of_kron
        .iter()
        .zip(&kron_of_inv)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    assert!(worst < 1e-12, "(G⊗A)⁻¹ vs G⁻¹⊗A⁻¹: {worst}");

    let ag = kron(&a, d_in, &g, d_out);
    let perm = |p: usize| (p % d_in) * d_out + p / d_in;
    for p in 0..n {
        for q in 0..n {
            assert_eq!(ga[p * n + q], ag[perm(p) * n + perm(q)]);
        }
    }
    // Negative control: without the permutation the two differ.
    assert!(ga.iter().zip(&ag).any(|(x, y)| (x - y).abs() > 1e-3));

    // The factored solve at λ → 0 is (G ⊗ A)⁻¹ v; π-split damping keeps it close for small λ.
    let v: Vec<f64> = (0..n).map(|k| (k as f64 * 0.37).sin()).collect();
    let direct: Vec<f64> = (0..n)
        .map(|p| (0..n).map(|q| inv_of_kron[p * n + q] * v[q]).sum())
        .collect();
    let factored = kfac_solve(&a, d_in, &g, d_out, &v, 1e-14);
    for (x, y) in direct.iter().zip(&factored) {
        assert!((x - y).abs() < 1e-6, "{x} vs {y}");
    }
    assert!(pi_split(&a, d_in, &g, d_out) > 0.0);
}

/// The WGSL blocks against the f64 mirror to 1e-4 relative (of the largest entry), with
/// negative controls: other weights, and another layer's matrices, must fail the same bar.
#[test]
fn gpu_blocks_match_the_mirror() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let kernel = KfacGpu::new(&ctx.device);
    let nodes = MixtureNodes::quadrature(&target(), &QuadratureRule::new(64).unwrap());
    let net = Network::xavier(5, 21);
    let stats = network_stats(&net, &nodes);
    let gpu = kernel.blocks(ctx, &net, &nodes).unwrap();
    let rel = |cpu: &[f64], gpu: &[f32]| -> f64 {
        assert_eq!(cpu.len(), gpu.len());
        let scale = cpu.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        cpu.iter()
            .zip(gpu)
            .map(|(c, g)| {
                let g = f64::from(*g);
                if g.is_nan() {
                    f64::INFINITY
                } else {
                    (c - g).abs() / scale
                }
            })
            .fold(0.0, f64::max)
    };
    for (l, (st, b)) in stats.layers.iter().zip(&gpu).enumerate() {
        let errors = [
            rel(&st.exact(), &b.exact),
            rel(&st.a, &b.a),
            rel(&st.g, &b.g),
        ];
        assert!(
            errors.iter().all(|&e| e <= 1e-4),
            "layer {}: {errors:?}",
            l + 1
        );
    }
    // Negative control 1: the GPU at perturbed weights differs from the mirror beyond the bar.
    let mut moved = net.clone();
    moved.layers[1].w[0] += 0.05;
    let gpu_moved = kernel.blocks(ctx, &moved, &nodes).unwrap();
    assert!(rel(&stats.layers[1].exact(), &gpu_moved[1].exact) > 1e-4);
    // Negative control 2: a NaN from the GPU is never within the bar.
    let mut poisoned = gpu[2].g.clone();
    poisoned[0] = f32::NAN;
    assert!(rel(&stats.layers[2].g, &poisoned) > 1e-4);
}

fn fisherflow(args: &[&str]) -> std::process::Output {
    common::process::run_with_timeout(
        Command::new(env!("CARGO_BIN_EXE_fisherflow")).args(args),
        None,
        Duration::from_secs(120),
    )
}

/// The JSON contract: weights W1..W3 with the documented shapes, layers 1..3 with d_in, d_out,
/// the matrices and the two figures; --no-matrices keeps the figures only.
#[test]
fn cli_json_has_the_contracted_shape() {
    let out = fisherflow(&[
        "kfac",
        "--hidden",
        "4",
        "--seed",
        "2",
        "--target-model",
        "pi=0.4,mu1=-1,sigma2=0.7",
        "--train-steps",
        "2",
        "--optimizer",
        "kfac",
        "--lr",
        "0.2",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let shape = |m: &serde_json::Value| {
        let rows = m.as_array().unwrap();
        (rows.len(), rows[0].as_array().unwrap().len())
    };
    assert_eq!(shape(&v["weights"]["W1"]), (4, 2));
    assert_eq!(shape(&v["weights"]["W2"]), (4, 5));
    assert_eq!(shape(&v["weights"]["W3"]), (2, 5));
    let layers = v["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 3);
    for (l, (d_in, d_out)) in [(2, 4), (5, 4), (5, 2)].into_iter().enumerate() {
        let layer = &layers[l];
        assert_eq!(layer["layer"], l + 1);
        assert_eq!(layer["d_in"], d_in);
        assert_eq!(layer["d_out"], d_out);
        assert_eq!(shape(&layer["exact"]), (d_in * d_out, d_in * d_out));
        assert_eq!(shape(&layer["A"]), (d_in, d_in));
        assert_eq!(shape(&layer["G"]), (d_out, d_out));
        let e = layer["rel_frobenius_error"].as_f64().unwrap();
        let c = layer["natgrad_cosine"].as_f64().unwrap();
        assert!(e.is_finite() && e > 0.0, "{e}");
        assert!((-1.0..=1.0).contains(&c), "{c}");
    }
    // Training took two steps: three losses, decreasing.
    let losses: Vec<f64> = v["losses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(losses.len(), 3);
    assert!(losses[2] < losses[0]);

    let out = fisherflow(&["kfac", "--hidden", "4", "--no-matrices", "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["layers"][0].get("exact").is_none());
    assert!(v["layers"][0]["rel_frobenius_error"].as_f64().is_some());
}

/// Bad input exits 2 with a message naming the option, and prints nothing on stdout.
#[test]
fn cli_bad_input_exits_2() {
    for (args, needle) in [
        (vec!["kfac", "--hidden", "1"], "--hidden"),
        (vec!["kfac", "--optimizer", "adam"], "--optimizer"),
        (vec!["kfac", "--damping", "0"], "--damping"),
        (vec!["kfac", "--lr", "-1"], "--lr"),
        (vec!["kfac", "--target-model", "pi=1"], "--target-model"),
        (
            vec!["kfac", "--target-model", "sigma1=-1"],
            "--target-model",
        ),
        (vec!["kfac", "--device", "tpu"], "--device"),
        (vec!["kfac", "--samples", "1"], "--samples"),
        (vec!["kfac", "--hidden", "64"], "--no-matrices"),
    ] {
        let out = fisherflow(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// The GPU's Cholesky solve of an exact block and its K-FAC factor solve against the f64
/// ones (1e-3 relative: f32 on matrices of condition ~1e3), with a negative control: the
/// answer for another right-hand side is not within the bar.
#[test]
fn gpu_cholesky_solves_match_f64() {
    use fisherflow::compute::cholesky::CholeskyGpu;
    use fisherflow::kfac::cost::synthetic;
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let solver = CholeskyGpu::new(&ctx.device);
    let d = 7;
    let (g, a, v, shift) = synthetic(d);
    let n = d * d;
    // Exact: (G ⊗ A + λI) x = vec(V).
    let mut block = kron(&g, d, &a, d);
    for i in 0..n {
        block[i * n + i] += shift;
    }
    let block32: Vec<f32> = block.iter().map(|&x| x as f32).collect();
    let v32: Vec<f32> = v.iter().map(|&x| x as f32).collect();
    let (x_gpu, _) = solver.solve(ctx, &block32, n, &v32).unwrap();
    let mut x = v.clone();
    cholesky_solve(&mut block.clone(), n, &mut x).unwrap();
    let rel = |want: &[f64], got: &[f32]| {
        let scale = want.iter().fold(0.0f64, |m, w| m.max(w.abs()));
        want.iter()
            .zip(got)
            .map(|(w, g)| {
                let g = f64::from(*g);
                if g.is_finite() {
                    (w - g).abs() / scale
                } else {
                    f64::INFINITY
                }
            })
            .fold(0.0, f64::max)
    };
    assert!(rel(&x, &x_gpu) < 1e-3, "exact solve: {}", rel(&x, &x_gpu));
    // K-FAC: vec_r(G⁻¹ V A⁻¹) (no damping here: the synthetic factors are SPD).
    let g32: Vec<f32> = g.iter().map(|&x| x as f32).collect();
    let a32: Vec<f32> = a.iter().map(|&x| x as f32).collect();
    let (y_gpu, _) = solver.kfac_solve(ctx, &g32, &a32, &v32, d, d).unwrap();
    let y = kfac_solve(&a, d, &g, d, &v, 0.0);
    assert!(rel(&y, &y_gpu) < 1e-3, "K-FAC solve: {}", rel(&y, &y_gpu));
    // Negative control: another right-hand side's answer differs beyond the bar.
    let w32: Vec<f32> = v32.iter().rev().copied().collect();
    let (other, _) = solver.solve(ctx, &block32, n, &w32).unwrap();
    assert!(rel(&x, &other) > 1e-3);
}
