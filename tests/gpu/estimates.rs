//! The empirical Fisher in numbers: the population EF E_{p*}[s sᵀ] by quadrature (f64
//! `math::general`, the f32 mirrors, the GPU kernels) against 30-digit references at points the
//! code was not tuned on (`tests/data/ef_references.json`, made by
//! `tests/data/ef_references.sh`), its identities (EF = C + ∇L∇Lᵀ with C = Cov_{p*}(s) by an
//! independent brute-force integral; EF = F at θ = θ*), and the finite-sample estimates of
//! `math::estimates` drawn on the GPU by `shaders/estimates.wgsl` with the same seeded
//! generator (bit-identical random bits; f32 transforms) against the f64 CPU at the same seed.
//!
//! Tolerances: f64 EF within 1e-10 of the reference block's largest entry (the quadrature's
//! accuracy); f32 EF (mirrors, GPU) within 1e-4 of it (F's measure in the GPU tests); GPU
//! estimates at N = 4096 within 1e-4 of the f64 estimate's largest entry.

use crate::common;

use fisherflow::compute::estimates::{evaluate_estimates, gpu_random_bits, gpu_samples};
use fisherflow::compute::fim_field::evaluate_points;
use fisherflow::compute::general::{DEFAULT_NODES_GENERAL_F32, evaluate_general_points};
use fisherflow::cpu;
use fisherflow::gpu::general_data::GeneralPointInput;
use fisherflow::gpu::gpu_data::{FieldParams, PointInput};
use fisherflow::math::estimates::{
    STREAM_TARGET, empirical_fisher_samples, mc_fisher, random_bits, samples, stream_model,
};
use fisherflow::math::general::{
    DEFAULT_NODES_GENERAL, GeneralMixture, Mat5, empirical_fisher_full, fisher_full, gradient,
    slice_block,
};
use fisherflow::math::quadrature::DEFAULT_NODES_F32;
use fisherflow::math::sym2::Sym2;
use fisherflow::math::{GeneralInput, Model, QuadratureRule, Slice, evaluate_general};
use serde::Deserialize;

/// f64 EF against the 30-digit references (relative to the block's largest entry).
const F64_TOLERANCE: f64 = 1e-10;
/// f32 EF and the GPU's estimates against f64 (relative to the block's largest entry).
const F32_TOLERANCE: f64 = 1e-4;

/// A 30-digit reference record of `ef_references.json`.
#[derive(Debug, Deserialize)]
struct Reference {
    model: Model,
    slice: Slice,
    target: Model,
    fisher: [[f64; 2]; 2],
    grad: [f64; 2],
    empirical_fisher: [[f64; 2]; 2],
}

fn references() -> Vec<Reference> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/ef_references.json");
    let text = std::fs::read_to_string(path).expect("tests/data/ef_references.json");
    let refs: Vec<Reference> = serde_json::from_str(&text).expect("reference JSON");
    assert!(refs.len() >= 6, "at least six reference points");
    refs
}

fn rule() -> QuadratureRule {
    QuadratureRule::new(DEFAULT_NODES_GENERAL).unwrap()
}

fn entries(b: &[[f64; 2]; 2]) -> [f64; 3] {
    [b[0][0], b[0][1], b[1][1]]
}

/// The largest error of `got` relative to `want`'s largest entry; infinite where either has a
/// NaN (a NaN must never pass).
fn relative_error(got: [f64; 3], want: [f64; 3]) -> f64 {
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let mut worst = 0.0f64;
    for (g, w) in got.iter().zip(want) {
        let e = (g - w).abs() / scale;
        if !e.is_finite() {
            return f64::INFINITY;
        }
        worst = worst.max(e);
    }
    worst
}

fn f32_entries(v: [f32; 3]) -> [f64; 3] {
    v.map(f64::from)
}

fn sym_entries(s: &Sym2<f64>) -> [f64; 3] {
    [s.xx, s.xy, s.yy]
}

#[test]
fn f64_empirical_fisher_matches_thirty_digit_references() {
    let rule = rule();
    let mut worst = 0.0f64;
    for (i, r) in references().iter().enumerate() {
        let report = evaluate_general(
            &GeneralInput {
                model: r.model,
                slice: r.slice,
                target: Some(r.target),
            },
            &rule,
            0.0,
        );
        let ef = report.loss.expect("a target").empirical_fisher;
        let e = relative_error(entries(&ef), entries(&r.empirical_fisher));
        assert!(
            e <= F64_TOLERANCE,
            "point {i}: EF {ef:?} vs {:?} ({e:.1e})",
            r.empirical_fisher
        );
        worst = worst.max(e);
        // Negative control: the reference EF is not the reference F (these points are away
        // from θ*), so the comparison above could not pass by returning F.
        assert!(relative_error(entries(&r.fisher), entries(&r.empirical_fisher)) > 1e-3 || i == 3);
    }
    eprintln!("f64 EF vs 30-digit references: worst {worst:.1e}");
}

/// The f32 general mirror and kernel, and (on the seed's slice) the seed mirror and kernel,
/// against the references at f32-rounded inputs: the rounding of the inputs moves EF by
/// ~1e-7 relative, far inside the tolerance, so the 30-digit values hold directly.
#[test]
fn f32_empirical_fisher_matches_thirty_digit_references() {
    let refs = references();
    let f32_rule = QuadratureRule::new(DEFAULT_NODES_GENERAL_F32).unwrap();
    let nodes = f32_rule.panel_rule().table_f32();
    let inputs: Vec<GeneralPointInput> = refs
        .iter()
        .map(|r| GeneralPointInput::new(&r.model, &r.slice, Some(&r.target)))
        .collect();
    let mut runs = vec![(
        "cpu-f32 general",
        cpu::general::points(&inputs, 0.0, &nodes),
    )];
    let ctx = common::shared_gpu();
    if let Some(ctx) = ctx {
        runs.push((
            "gpu general",
            evaluate_general_points(ctx, &inputs, 0.0, &f32_rule).unwrap(),
        ));
    }
    for (what, cells) in &runs {
        let mut worst = 0.0f64;
        for (i, (c, r)) in cells.iter().zip(&refs).enumerate() {
            let e = relative_error(f32_entries(c.empirical), entries(&r.empirical_fisher));
            assert!(
                e <= F32_TOLERANCE,
                "{what} point {i}: EF {:?} vs {:?} ({e:.1e})",
                c.empirical,
                r.empirical_fisher
            );
            worst = worst.max(e);
        }
        eprintln!("{what} EF vs 30-digit references: worst {worst:.1e}");
    }
    // The seed kernel on the references of the seed's slice (π = ½, σ1 = σ2, both slices
    // (μ1, μ2)).
    let seed_refs: Vec<&Reference> = refs
        .iter()
        .filter(|r| {
            r.slice == Slice::SEED
                && r.model.pi == 0.5
                && r.target.pi == 0.5
                && r.model.sigma1 == r.model.sigma2
                && r.target.sigma1 == r.model.sigma1
                && r.target.sigma2 == r.model.sigma1
        })
        .collect();
    assert!(seed_refs.len() >= 2, "seed-slice references");
    let seed_inputs: Vec<PointInput> = seed_refs
        .iter()
        .map(|r| PointInput {
            theta: [r.model.mu1 as f32, r.model.mu2 as f32],
            target: [r.target.mu1 as f32, r.target.mu2 as f32],
            sigma: r.model.sigma1 as f32,
            has_target: 1,
            _pad: [0; 2],
        })
        .collect();
    let seed_rule = QuadratureRule::new(DEFAULT_NODES_F32).unwrap();
    let seed_nodes = seed_rule.panel_rule().table_f32();
    let params = FieldParams {
        panel_nodes: seed_nodes.len() as u32,
        ..FieldParams::default()
    };
    let mut seed_runs = vec![(
        "cpu-f32 seed",
        cpu::fim_field::points(&params, &seed_nodes, &seed_inputs),
    )];
    if let Some(ctx) = ctx {
        seed_runs.push((
            "gpu seed",
            evaluate_points(ctx, &seed_inputs, 0.0, &seed_rule).unwrap(),
        ));
    }
    for (what, cells) in &seed_runs {
        for (c, r) in cells.iter().zip(&seed_refs) {
            let e = relative_error(f32_entries(c.empirical), entries(&r.empirical_fisher));
            eprintln!("{what} EF at {:?}: {e:.1e}", [r.model.mu1, r.model.mu2]);
            assert!(
                e <= F32_TOLERANCE,
                "{what}: EF {:?} vs {:?} ({e:.1e})",
                c.empirical,
                r.empirical_fisher
            );
        }
    }
}

/// E_{p*}[g(x)] for the 5-vector scores' functions by brute force: composite Simpson on a
/// uniform grid over every component's ±14σ (no panels, no splits: independent of the rule).
fn brute_force_moments(model: &Model, target: &Model) -> ([f64; 5], Mat5) {
    let g = GeneralMixture::new(model);
    let lo = (target.mu1 - 14.0 * target.sigma1).min(target.mu2 - 14.0 * target.sigma2);
    let hi = (target.mu1 + 14.0 * target.sigma1).max(target.mu2 + 14.0 * target.sigma2);
    let n = 200_000usize;
    let h = (hi - lo) / n as f64;
    let density = |x: f64| {
        let phi = |m: f64, s: f64| {
            (-(x - m) * (x - m) / (2.0 * s * s)).exp() / (s * (std::f64::consts::TAU).sqrt())
        };
        target.pi * phi(target.mu1, target.sigma1)
            + (1.0 - target.pi) * phi(target.mu2, target.sigma2)
    };
    let weight = |k: usize| match k {
        0 => 1.0,
        k if k == n => 1.0,
        k if k % 2 == 1 => 4.0,
        _ => 2.0,
    };
    let mut mean = [0.0; 5];
    for k in 0..=n {
        let x = lo + k as f64 * h;
        let w = weight(k) * h / 3.0 * density(x);
        let s = g.scores(x);
        for i in 0..5 {
            mean[i] += w * s[i];
        }
    }
    let mut cov = [[0.0; 5]; 5];
    for k in 0..=n {
        let x = lo + k as f64 * h;
        let w = weight(k) * h / 3.0 * density(x);
        let s = g.scores(x);
        for i in 0..5 {
            for j in 0..5 {
                cov[i][j] += w * (s[i] - mean[i]) * (s[j] - mean[j]);
            }
        }
    }
    (mean, cov)
}

/// EF = C + ∇L∇Lᵀ with C = Cov_{p*}(s) integrated independently (brute force, centred) and ∇L
/// from `math::general::gradient`; and its consequence EF⁻¹∇L = C⁻¹∇L/(1 + q),
/// q = ∇Lᵀ C⁻¹ ∇L (Sherman–Morrison), on every reference point's slice.
#[test]
fn empirical_fisher_is_covariance_plus_gradient_outer_product() {
    let rule = rule();
    for (i, r) in references().iter().enumerate() {
        let (mean, cov) = brute_force_moments(&r.model, &r.target);
        let c = slice_block(&cov, &r.slice);
        let grad = gradient(&r.model, &r.slice, &r.target, &rule);
        // −E[s] is ∇L: the brute force agrees with the code's gradient and the reference.
        let a = r.slice.a.index();
        let b = r.slice.b.index();
        for (k, idx) in [a, b].into_iter().enumerate() {
            assert!(
                (-mean[idx] - grad[k]).abs() <= 1e-9 * (1.0 + grad[k].abs()),
                "point {i}"
            );
            assert!(
                (grad[k] - r.grad[k]).abs() <= 1e-9 * (1.0 + r.grad[k].abs()),
                "point {i}"
            );
        }
        let ef = slice_block(&empirical_fisher_full(&r.model, &r.target, &rule), &r.slice);
        let sum = [
            c.xx + grad[0] * grad[0],
            c.xy + grad[0] * grad[1],
            c.yy + grad[1] * grad[1],
        ];
        let e = relative_error(sum, sym_entries(&ef));
        assert!(
            e <= 1e-9,
            "point {i}: C + ∇L∇Lᵀ {sum:?} vs EF {ef:?} ({e:.1e})"
        );
        // Negative control: C alone is not EF where ∇L is not small.
        let q_norm = grad[0].hypot(grad[1]);
        if q_norm > 0.05 {
            assert!(
                relative_error(sym_entries(&c), sym_entries(&ef)) > 1e-4,
                "point {i}"
            );
        }
        // Sherman–Morrison.
        let solve = |m: [f64; 3], v: [f64; 2]| {
            let det = m[0] * m[2] - m[1] * m[1];
            [
                (m[2] * v[0] - m[1] * v[1]) / det,
                (m[0] * v[1] - m[1] * v[0]) / det,
            ]
        };
        let ef_solve = solve(sym_entries(&ef), grad);
        let c_solve = solve(sym_entries(&c), grad);
        let q = grad[0] * c_solve[0] + grad[1] * c_solve[1];
        for k in 0..2 {
            let want = c_solve[k] / (1.0 + q);
            assert!(
                (ef_solve[k] - want).abs() <= 1e-7 * (want.abs() + ef_solve[0].hypot(ef_solve[1])),
                "point {i}: EF⁻¹∇L {ef_solve:?} vs C⁻¹∇L/(1 + q) {want}"
            );
        }
    }
}

/// EF = F at θ = θ* (every parameter), and on the seed's slice at θ*'s twin (μ1 ↔ μ2); not
/// away from it.
#[test]
fn empirical_fisher_is_fisher_at_the_target() {
    let rule = rule();
    for m in [
        Model {
            pi: 0.3,
            mu1: -1.0,
            mu2: 0.7,
            sigma1: 0.6,
            sigma2: 1.4,
        },
        Model::seed(0.2, 1.1, 0.9),
    ] {
        let ef = empirical_fisher_full(&m, &m, &rule);
        let f = fisher_full(&m, &rule);
        for i in 0..5 {
            for j in 0..5 {
                assert!(
                    (ef[i][j] - f[i][j]).abs() <= 1e-11 * f[i][i].abs().max(f[j][j].abs()).max(1.0)
                );
            }
        }
    }
    let m = Model::seed(0.2, 1.1, 0.9);
    let twin = Model::seed(1.1, 0.2, 0.9);
    let ef = slice_block(&empirical_fisher_full(&m, &twin, &rule), &Slice::SEED);
    let f = slice_block(&fisher_full(&m, &rule), &Slice::SEED);
    assert!(relative_error(sym_entries(&ef), sym_entries(&f)) <= 1e-11);
    let away = slice_block(
        &empirical_fisher_full(&m, &Model::seed(-0.5, 1.5, 0.9), &rule),
        &Slice::SEED,
    );
    assert!(relative_error(sym_entries(&away), sym_entries(&f)) > 0.05);
}

// ---------------------------------------------------------------------------------------------
// The seeded generator and the finite-sample estimates on the GPU.

#[test]
fn gpu_random_bits_equal_the_cpu_generator_exactly() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let count = 4096;
    for (seed, stream) in [
        (1u32, STREAM_TARGET),
        (7, 3),
        (0xdead_beef, stream_model(0)),
        (u32::MAX, u32::MAX),
    ] {
        let gpu = gpu_random_bits(ctx, seed, stream, count).unwrap();
        assert_eq!(gpu.len(), count as usize);
        for (i, &bits) in gpu.iter().enumerate() {
            assert_eq!(
                bits,
                random_bits(seed, stream, i as u32),
                "seed {seed} stream {stream} counter {i}"
            );
        }
    }
    // Negative control: another seed gives other bits (all but a chance few of 4096).
    let a = gpu_random_bits(ctx, 1, 0, count).unwrap();
    let b = gpu_random_bits(ctx, 2, 0, count).unwrap();
    let same = a.iter().zip(&b).filter(|(x, y)| x == y).count();
    assert!(same <= 2, "{same} equal words across seeds");
}

/// The GPU's f32 samples against the f64 CPU's at the same (f32-rounded) model: the same
/// component for every sample (a wrong pick would miss by |μ1 − μ2| ≫ the tolerance) and the
/// same value to f32 accuracy.
#[test]
fn gpu_samples_equal_the_cpu_samples_to_f32() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let model = Model {
        pi: 0.3,
        mu1: -2.0,
        mu2: 3.0,
        sigma1: 0.5,
        sigma2: 1.7,
    };
    let input = GeneralPointInput::new(&model, &Slice::SEED, None);
    let at_f32 = input.model_f64();
    let n = 8192;
    let mut worst = 0.0f64;
    for (seed, stream) in [(5u32, 1u32), (123_456, 0)] {
        let gpu = gpu_samples(ctx, &input, seed, stream, n).unwrap();
        let cpu = samples(&at_f32, n, seed, stream);
        for (i, (g, c)) in gpu.iter().zip(&cpu).enumerate() {
            let e = (*g as f64 - c).abs() / (1.0 + c.abs());
            assert!(
                e <= 2e-6,
                "sample {i} of ({seed}, {stream}): {g} vs {c} ({e:.1e})"
            );
            worst = worst.max(e);
        }
        // Negative control: the next seed's samples are other samples.
        let other = samples(&at_f32, n, seed + 1, stream);
        let moved = gpu
            .iter()
            .zip(&other)
            .filter(|(g, o)| (**g as f64 - **o).abs() > 1e-3)
            .count();
        assert!(moved as u32 > n * 9 / 10);
    }
    eprintln!("GPU samples vs f64: worst {worst:.1e} relative to 1 + |x|");
}

/// EF_N and the MC Fisher on the GPU against the f64 CPU at the same seed and N = 4096, on the
/// seed's slice and three general slices; a point without a target gets no EF_N; another seed
/// differs by more than the tolerance.
#[test]
fn gpu_estimates_equal_the_cpu_estimates() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let general = |pi, mu1, mu2, sigma1, sigma2| Model {
        pi,
        mu1,
        mu2,
        sigma1,
        sigma2,
    };
    let slice =
        |a: &str, b: &str| serde_json::from_value::<Slice>(serde_json::json!([a, b])).unwrap();
    let target = general(0.55, -0.5, 1.8, 0.9, 1.2);
    let points = [
        (
            Model::seed(0.3, 0.8, 1.0),
            Slice::SEED,
            Some(Model::seed(-1.0, 1.5, 1.0)),
        ),
        (
            general(0.35, -0.4, 1.3, 0.8, 1.1),
            slice("pi", "mu1"),
            Some(target),
        ),
        (
            general(0.45, 0.5, -1.2, 0.7, 1.3),
            slice("mu1", "sigma1"),
            Some(target),
        ),
        (
            general(0.4, -1.0, 1.5, 0.9, 1.1),
            slice("sigma1", "sigma2"),
            Some(target),
        ),
        (
            general(0.4, -1.0, 1.5, 0.9, 1.1),
            slice("mu2", "sigma2"),
            None,
        ),
    ];
    let inputs: Vec<GeneralPointInput> = points
        .iter()
        .map(|(m, s, t)| GeneralPointInput::new(m, s, t.as_ref()))
        .collect();
    let (n, seed) = (4096, 9);
    let cells = evaluate_estimates(ctx, &inputs, n, seed, 0).unwrap();
    let other = evaluate_estimates(ctx, &inputs, n, seed + 1, 0).unwrap();
    assert_eq!(cells.len(), points.len());
    let (mut worst_ef, mut worst_mc) = (0.0f64, 0.0f64);
    for (i, (p, (c, o))) in inputs.iter().zip(cells.iter().zip(&other)).enumerate() {
        let model = p.model_f64();
        let s = p.slice().unwrap();
        let mc = sym_entries(&mc_fisher(&model, &s, n, seed, 0));
        let e = relative_error(f32_entries(c.mc_fisher()), mc);
        assert!(
            e <= F32_TOLERANCE,
            "point {i}: MC {:?} vs {mc:?} ({e:.1e})",
            c.mc_fisher()
        );
        worst_mc = worst_mc.max(e);
        assert!(
            relative_error(f32_entries(o.mc_fisher()), mc) > 10.0 * F32_TOLERANCE,
            "point {i}: seed"
        );
        match p.target_f64() {
            Some(t) => {
                let ef = sym_entries(&empirical_fisher_samples(&model, &s, &t, n, seed));
                let got = c.empirical_samples().expect("EF_N with a target");
                let e = relative_error(f32_entries(got), ef);
                assert!(
                    e <= F32_TOLERANCE,
                    "point {i}: EF_N {got:?} vs {ef:?} ({e:.1e})"
                );
                worst_ef = worst_ef.max(e);
                let moved = relative_error(f32_entries(o.empirical_samples().unwrap()), ef);
                assert!(
                    moved > 10.0 * F32_TOLERANCE,
                    "point {i}: another seed, same EF_N"
                );
            }
            None => assert_eq!(c.empirical_samples(), None, "point {i}: no target, no EF_N"),
        }
    }
    eprintln!(
        "GPU estimates vs f64 at N = {n}: EF_N worst {worst_ef:.1e}, MC worst {worst_mc:.1e}"
    );
    // The model's stream k: k = 1 is a resample, not the same estimate.
    let k1 = evaluate_estimates(ctx, &inputs[..1], n, seed, 1).unwrap();
    let mc0 = sym_entries(&mc_fisher(&inputs[0].model_f64(), &Slice::SEED, n, seed, 0));
    let mc1 = sym_entries(&mc_fisher(&inputs[0].model_f64(), &Slice::SEED, n, seed, 1));
    assert!(relative_error(f32_entries(k1[0].mc_fisher()), mc1) <= F32_TOLERANCE);
    assert!(relative_error(f32_entries(k1[0].mc_fisher()), mc0) > 10.0 * F32_TOLERANCE);
}
