//! The WGSL FIM kernel on a real adapter (lavapipe in CI) against the f64 reference, and the
//! f32 CPU mirror against the same reference, with issue #2's tolerances; plus negative
//! controls proving the comparator rejects slightly wrong results. The cells' population
//! empirical Fisher (`ef_aa`, `ef_ab`, `ef_bb`) against the f64 general quadrature
//! (`math::general::empirical_fisher_full` on the seed slice), with its identities (EF = F at
//! θ = θ* and at its twin).

use crate::common;

use fisherflow::bench::verify::{Tolerances, compare};
use fisherflow::compute::fim_field::{evaluate_grid, evaluate_points, grid_params};
use fisherflow::cpu;
use fisherflow::gpu::gpu_data::{FieldCell, FieldParams, PointInput, flags};
use fisherflow::math::general::{DEFAULT_NODES_GENERAL, empirical_fisher_full, slice_block};
use fisherflow::math::quadrature::{DEFAULT_NODES_F32, DEFAULT_NODES_F64};
use fisherflow::math::{self, Model, PointReport, QuadratureRule, Slice};
use rayon::prelude::*;

/// The f64 reference at exactly the positions the f32 path evaluated: O + offset (f64), the
/// target from the same parameters.
fn references(params: &FieldParams, damping: f64) -> Vec<PointReport> {
    let rule = QuadratureRule::new(DEFAULT_NODES_F64).unwrap();
    let target = params.target();
    (0..params.cell_count)
        .map(|i| {
            let mu = params.cell_theta(i);
            let input = math::PointInput {
                mu1: mu[0],
                mu2: mu[1],
                sigma: params.sigma as f64,
                target: Some(target),
            };
            math::evaluate_point(&input, &rule, damping)
        })
        .collect()
}

/// |Δ|/σ of a reference.
fn delta_sigmas(r: &PointReport) -> f64 {
    ((r.mu1 - r.mu2) / r.sigma).abs()
}

/// The test grids: each is shifted along μ1 so that the cells on its diagonal sit between
/// 0.01σ and 0.02σ from μ1 = μ2 (where λ_min is held to 1e-3 and is not hidden by damping:
/// every grid with such cells has damping 0), and reaches cells 10σ and more apart. The
/// fourth is a deep zoom far from (0, 0) (a 0.1σ-wide view at (300, 300)): there the cell
/// spacing is 1/48 of 0.1 and Δ must come out of the floating origin, not of f32 absolutes.
/// The fifth keeps damping 0.05 on a grid whose near-diagonal cells are farther out, to
/// check the damped natural gradient. The sixth is the deep zoom at its hardest: σ = 0.05
/// in a 0.004-wide view at (300, 300), where f32 absolutes (spacing 3e-5) could not even
/// tell Δ = 0.01σ = 5e-4 to 10%.
fn test_grids() -> Vec<FieldParams> {
    let mut grids = Vec::new();
    for (sigma, half_width, centre, shift_sigmas, target, damping) in [
        (1.0f32, 5.5f64, [0.0, 0.0], 0.015, [0.5, -1.5], 0.0f32),
        (0.3, 3.3, [0.0, 0.0], 0.012, [-0.2, 0.4], 0.0),
        (2.5, 13.75, [0.0, 0.0], 0.018, [3.0, 3.5], 0.0),
        (1.0, 0.05, [300.0, 300.0], 0.014, [299.0, 301.5], 0.0),
        (2.5, 13.75, [0.0, 0.0], 0.3, [3.0, 3.5], 0.05),
        (0.05, 0.002, [300.0, 300.0], 0.015, [299.9, 300.1], 0.0),
    ] {
        let shift = shift_sigmas * sigma as f64;
        grids.push(grid_params(
            [centre[0] - half_width + shift, centre[1] - half_width],
            [centre[0] + half_width + shift, centre[1] + half_width],
            48,
            48,
            sigma,
            target,
            damping,
        ));
    }
    grids
}

/// EF's tolerance: each entry within this of the reference block's largest entry (F's
/// measure).
const EF_TOLERANCE: f64 = 1e-4;

/// The f64 population empirical Fisher's (μ1, μ2) block at θ against θ* (both with σ).
fn seed_empirical(theta: [f64; 2], target: [f64; 2], sigma: f64) -> [f64; 3] {
    let rule = QuadratureRule::new(DEFAULT_NODES_GENERAL).unwrap();
    let full = empirical_fisher_full(
        &Model::seed(theta[0], theta[1], sigma),
        &Model::seed(target[0], target[1], sigma),
        &rule,
    );
    let b = slice_block(&full, &Slice::SEED);
    [b.xx, b.xy, b.yy]
}

/// The largest error of a cell's EF block relative to the reference block's largest entry
/// (infinite when either has a NaN: a NaN must never pass).
fn empirical_error(got: [f32; 3], want: [f64; 3]) -> f64 {
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let mut worst = 0.0f64;
    for (g, w) in got.iter().zip(want) {
        let e = (*g as f64 - w).abs() / scale;
        if !e.is_finite() {
            return f64::INFINITY;
        }
        worst = worst.max(e);
    }
    worst
}

/// Every cell's EF against the f64 reference at the cell's f64 position; returns the worst.
fn check_grid_empirical(cells: &[FieldCell], params: &FieldParams, what: &str) -> f64 {
    let target = params.target();
    let sigma = params.sigma as f64;
    let worst = (0..params.cell_count)
        .into_par_iter()
        .map(|i| {
            let want = seed_empirical(params.cell_theta(i), target, sigma);
            empirical_error(cells[i as usize].empirical, want)
        })
        .reduce(|| 0.0, f64::max);
    eprintln!("{what} σ={}: EF worst {worst:.2e}", params.sigma);
    assert!(worst <= EF_TOLERANCE, "{what}: EF error {worst:.2e}");
    worst
}

fn check_grid(cells: &[FieldCell], params: &FieldParams, what: &str) {
    assert_eq!(
        cells.len(),
        params.cell_count as usize,
        "{what}: cell count"
    );
    check_grid_empirical(cells, params, what);
    let refs = references(params, params.damping as f64);
    let tol = Tolerances::default();
    // The hard cells must be there *and* be checked: near-diagonal cells whose λ_min and κ
    // the comparator holds to their tolerances (not exempt), and cells ≥ 10σ apart.
    let near_diagonal = refs
        .iter()
        .filter(|r| (0.01..=0.02).contains(&delta_sigmas(r)))
        .count();
    let far = refs.iter().filter(|r| delta_sigmas(r) >= 10.0).count();
    let per_cell = cells
        .iter()
        .zip(&refs)
        .map(|(c, r)| fisherflow::bench::verify::cell_errors(c, r, &tol));
    let near_checked = per_cell
        .zip(&refs)
        .filter(|(e, r)| {
            (0.01..=0.02).contains(&delta_sigmas(r)) && e.lambda_min.is_some() && e.kappa.is_some()
        })
        .count();
    let minimum_near = if params.damping == 0.0 { 40 } else { 0 };
    // Wide grids must also reach cells ≥ 10σ apart; deep zooms cannot.
    let width_sigmas = params.cell_size[0] as f64 * params.shape[0] as f64 / params.sigma as f64;
    let minimum_far = if width_sigmas >= 20.0 { 2 } else { 0 };
    assert!(
        near_checked >= minimum_near && near_checked == near_diagonal && far >= minimum_far,
        "{what}: grid lacks checked hard cells (near-diagonal {near_diagonal}, of them checked \
         {near_checked}, ≥10σ apart {far})"
    );
    let result = compare(cells, &refs, &tol);
    eprintln!(
        "{what} σ={} λ={}: {} cells ({near_checked} at 0.01–0.02σ), worst F {:.2e}, λmin {:.2e}, \
         κ {:.2e}, L {:.2e}, ∇L {:.2e}, ñ {:.2e}, angle {:.2e}°",
        params.sigma,
        params.damping,
        result.cells,
        result.worst.fisher,
        result.worst.lambda_min.unwrap_or(f64::NAN),
        result.worst.kappa.unwrap_or(f64::NAN),
        result.worst.loss.unwrap_or(f64::NAN),
        result.worst.grad.unwrap_or(f64::NAN),
        result.worst.natgrad.unwrap_or(f64::NAN),
        result.worst.angle_deg.unwrap_or(f64::NAN)
    );
    assert!(
        result.failures.is_empty(),
        "{what}: {:#?}",
        &result.failures[..result.failures.len().min(10)]
    );
}

#[test]
fn gpu_field_matches_f64_reference() {
    let Some(ctx) = common::gpu() else { return };
    let rule = QuadratureRule::new(DEFAULT_NODES_F32).unwrap();
    for params in test_grids() {
        let cells = evaluate_grid(&ctx, &params, &rule).expect("GPU evaluation");
        assert_eq!(cells.len(), params.cell_count as usize);
        check_grid(&cells, &params, "gpu");
    }
}

/// A CPU path (the scalar mirror or the SIMD one) on every test grid against the f64 bars.
fn check_cpu_path(what: &str, path: fn(&FieldParams, &[[f32; 2]]) -> Vec<FieldCell>) {
    let rule = QuadratureRule::new(DEFAULT_NODES_F32).unwrap();
    let nodes = rule.panel_rule().table_f32();
    for params in test_grids() {
        let params = FieldParams {
            panel_nodes: nodes.len() as u32,
            ..params
        };
        check_grid(&path(&params, &nodes), &params, what);
    }
}

#[test]
fn cpu_f32_mirror_matches_f64_reference() {
    check_cpu_path("cpu-f32", cpu::fim_field::field);
}

/// The SIMD path (AVX2 + FMA where the CPU has them) holds the same bars as the scalar
/// mirror on every test grid (48² = 2304 cells: whole blocks; the ragged tail is tested in
/// `cpu::simd`'s own tests).
#[test]
fn cpu_simd_path_matches_f64_reference() {
    check_cpu_path(cpu::simd::simd_level().name(), cpu::simd::field);
}

#[test]
fn gpu_and_cpu_mirror_agree_closely() {
    let Some(ctx) = common::gpu() else { return };
    let rule = QuadratureRule::new(DEFAULT_NODES_F32).unwrap();
    let nodes = rule.panel_rule().table_f32();
    for grid in [test_grids()[0], test_grids()[3]] {
        let params = FieldParams {
            panel_nodes: nodes.len() as u32,
            ..grid
        };
        let gpu = evaluate_grid(&ctx, &params, &rule).unwrap();
        let cpu = cpu::fim_field::field(&params, &nodes);
        assert_eq!(gpu.len(), cpu.len(), "one GPU cell per mirror cell");
        assert_eq!(gpu.len(), params.cell_count as usize);
        for (g, c) in gpu.iter().zip(&cpu) {
            assert_eq!(g.theta, c.theta, "same cell offsets");
            assert_eq!(g.flags, c.flags, "same flags at {:?}", g.theta);
            let scale = c.eigenvalues[0];
            for k in 0..3 {
                assert!(
                    (g.fisher[k] - c.fisher[k]).abs() <= 2e-5 * scale,
                    "{g:?} vs {c:?}"
                );
            }
        }
    }
}

#[test]
fn absolute_f32_positions_fail_where_the_floating_origin_passes() {
    // Negative control of the floating origin: the deep zoom grid at (300, 300), evaluated by
    // the same mirror at f32 *absolute* positions (what the kernel did before: spacing 3e-5
    // there, against Δ = 0.01σ = 5e-4), must miss the f64 reference at the cells' true
    // positions by far more than the tolerance; the floating-origin grid passes (above).
    let rule = QuadratureRule::new(DEFAULT_NODES_F32).unwrap();
    let nodes = rule.panel_rule().table_f32();
    let grid = test_grids()[5];
    let target = grid.target();
    let absolute: Vec<PointInput> = (0..grid.cell_count)
        .map(|i| {
            let mu = grid.cell_theta(i);
            PointInput::from(&math::PointInput {
                mu1: mu[0],
                mu2: mu[1],
                sigma: grid.sigma as f64,
                target: Some(target),
            })
        })
        .collect();
    let point_params = FieldParams {
        panel_nodes: nodes.len() as u32,
        ..FieldParams::default()
    };
    let cells = cpu::fim_field::points(&point_params, &nodes, &absolute);
    let result = compare(&cells, &references(&grid, 0.0), &Tolerances::default());
    eprintln!(
        "absolute f32 positions at (300, 300): {} of {} cells fail, worst λ_min error {:.2e}",
        result.failures.len(),
        result.cells,
        result.worst.lambda_min.unwrap_or(f64::NAN)
    );
    assert!(
        result.failures.len() > 100 && result.worst.lambda_min.is_some_and(|e| e > 1e-2),
        "absolute f32 positions should fail here: {:?}",
        &result.failures[..result.failures.len().min(3)]
    );
}

#[test]
fn gpu_points_kernel_matches_reference_data() {
    let Some(ctx) = common::gpu() else { return };
    let rule = QuadratureRule::new(DEFAULT_NODES_F32).unwrap();
    let mut refs = common::load_reference("public_points.json");
    refs.extend(common::load_reference("reference_points.json"));
    let inputs: Vec<PointInput> = refs
        .iter()
        .map(|r| {
            PointInput::from(&math::PointInput {
                mu1: r.mu1,
                mu2: r.mu2,
                sigma: r.sigma,
                target: r.target,
            })
        })
        .collect();
    let cells = evaluate_points(&ctx, &inputs, 0.0, &rule).unwrap();
    // Inputs rounded to f32 move θ by up to 6e-8·|θ|; near the diagonal that changes Δ, so the
    // reference must be recomputed at the f32 inputs rather than taken from the files.
    let f64_rule = QuadratureRule::new(DEFAULT_NODES_F64).unwrap();
    let at_f32: Vec<PointReport> = inputs
        .iter()
        .map(|p| {
            let input = math::PointInput {
                mu1: p.theta[0] as f64,
                mu2: p.theta[1] as f64,
                sigma: p.sigma as f64,
                target: (p.has_target != 0).then(|| [p.target[0] as f64, p.target[1] as f64]),
            };
            math::evaluate_point(&input, &f64_rule, 0.0)
        })
        .collect();
    let result = compare(&cells, &at_f32, &Tolerances::default());
    assert!(result.failures.is_empty(), "{:#?}", result.failures);
    // Where f32 rounding did not move the inputs, the 30-digit values hold directly too.
    let exact: Vec<usize> = (0..refs.len())
        .filter(|&i| {
            refs[i].mu1 as f32 as f64 == refs[i].mu1 && refs[i].mu2 as f32 as f64 == refs[i].mu2
        })
        .collect();
    assert!(exact.len() >= 8);
    let direct = compare(
        &exact.iter().map(|&i| cells[i]).collect::<Vec<_>>(),
        &exact.iter().map(|&i| refs[i].clone()).collect::<Vec<_>>(),
        &Tolerances::default(),
    );
    assert!(direct.failures.is_empty(), "{:#?}", direct.failures);
}

/// One negative control: how to break a cell, and words the failure must contain (so each
/// control fails for its own rule, not by accident through another).
type Perturbation = (&'static str, fn(&mut FieldCell), &'static str);

#[test]
fn comparator_rejects_slightly_perturbed_results() {
    // Negative controls: the comparator used above must fail on results just outside each
    // tolerance, on NaN and infinities, on flags that disagree, and on a shortened array.
    let rule = QuadratureRule::new(DEFAULT_NODES_F32).unwrap();
    let nodes = rule.panel_rule().table_f32();
    let params = FieldParams {
        panel_nodes: nodes.len() as u32,
        ..test_grids()[0]
    };
    let cells = cpu::fim_field::field(&params, &nodes);
    let refs = references(&params, 0.0);
    let tol = Tolerances::default();
    assert!(
        compare(&cells, &refs, &tol).failures.is_empty(),
        "the unperturbed mirror passes"
    );
    // A generic cell, and a near-diagonal one (0.015σ) whose λ_min is checked.
    let generic = 1000;
    let near = (0..refs.len())
        .find(|&i| (0.01..=0.02).contains(&delta_sigmas(&refs[i])) && refs[i].mu1 > 1.0)
        .expect("a near-diagonal cell");
    let perturbations: [Perturbation; 13] = [
        (
            "F11 by 2e-4·‖F‖",
            |c| c.fisher[0] += 2e-4 * c.eigenvalues[0],
            "F error",
        ),
        (
            "λ_min by 2e-3",
            |c| c.eigenvalues[1] *= 1.002,
            "λ_min error",
        ),
        ("κ by 2e-3", |c| c.rotated[3] *= 1.002, "κ error"),
        ("L by 2e-3", |c| c.loss *= 1.002, "L error"),
        (
            "∇L by 2e-3",
            |c| c.grad[0] += 2e-3 * c.grad[0].hypot(c.grad[1]),
            "∇L error",
        ),
        (
            "ñ by 2e-3",
            |c| c.natgrad[1] += 2e-3 * c.natgrad[0].hypot(c.natgrad[1]),
            "natural gradient error",
        ),
        ("angle by 0.2°", |c| c.angle_deg += 0.2, "angle"),
        ("F11 NaN", |c| c.fisher[0] = f32::NAN, "F11 is not finite"),
        ("L NaN", |c| c.loss = f32::NAN, "L is not finite"),
        (
            "∇L infinite",
            |c| c.grad[1] = f32::INFINITY,
            "∇L₂ is not finite",
        ),
        (
            "κ flagged infinite",
            |c| c.flags |= flags::KAPPA_INFINITE,
            "κ is null",
        ),
        (
            "ñ flagged undefined",
            |c| c.flags |= flags::NATGRAD_UNDEFINED,
            "natural gradient is null",
        ),
        (
            "angle flagged undefined",
            |c| c.flags |= flags::ANGLE_UNDEFINED,
            "angle is null",
        ),
    ];
    for (index, where_) in [
        (generic, "a generic cell"),
        (near, "a cell 0.015σ from the diagonal"),
    ] {
        for (what, perturb, expected) in perturbations {
            let mut bad = cells.clone();
            perturb(&mut bad[index]);
            let result = compare(&bad, &refs, &tol);
            assert_eq!(
                result.failures.len(),
                1,
                "perturbing {what} at {where_} must fail exactly one cell: {:?}",
                result.failures
            );
            assert!(
                result.failures[0].contains(expected),
                "perturbing {what} at {where_} must fail for its own rule ({expected}): {}",
                result.failures[0]
            );
            eprintln!("control {what} at {where_}: {}", result.failures[0]);
        }
    }
    // The reverse flag mismatch: a cell that claims a natural gradient where the reference
    // (at a singular point, on the diagonal) has none.
    let singular = math::evaluate_point(
        &math::PointInput {
            mu1: 0.5,
            mu2: 0.5,
            sigma: 1.0,
            target: Some([-1.0, 1.0]),
        },
        &QuadratureRule::new(DEFAULT_NODES_F64).unwrap(),
        0.0,
    );
    assert!(singular.kappa.is_none(), "the diagonal is singular");
    let mut finite = cells[generic];
    finite.flags &= !(flags::KAPPA_INFINITE | flags::NATGRAD_UNDEFINED | flags::ANGLE_UNDEFINED);
    let result = compare(&[finite], &[singular], &tol);
    assert!(
        result.failures.len() == 1 && result.failures[0].contains("κ is present but null"),
        "a finite κ against a singular reference fails: {:?}",
        result.failures
    );
    // A shortened array fails as a whole (no silent zip truncation), and so does a longer one.
    let short = compare(&cells[..cells.len() - 1], &refs, &tol);
    assert!(
        short.failures.len() == 1 && short.failures[0].contains("length mismatch"),
        "{:?}",
        short.failures
    );
    assert!(short.max_relative.is_infinite());
    let mut long = cells.clone();
    long.push(cells[0]);
    assert!(compare(&long, &refs, &tol).failures[0].contains("length mismatch"));
    // NaN is never "0 error" in the summary either.
    let mut nan = cells.clone();
    nan[generic].grad[0] = f32::NAN;
    let result = compare(&nan, &refs, &tol);
    assert!(!result.max_relative.is_finite(), "{}", result.max_relative);
}

#[test]
fn a_field_beyond_the_device_limit_is_refused_naming_the_limit() {
    let Some(ctx) = common::gpu() else { return };
    let pipeline = fisherflow::compute::fim_field::FimFieldPipeline::new(&ctx.device);
    let rule = QuadratureRule::new(DEFAULT_NODES_F32).unwrap();
    let limits = ctx.device.limits();
    let max_cells = limits
        .max_storage_buffer_binding_size
        .min(limits.max_buffer_size)
        / 96;
    let too_many = (max_cells + 1).min(u32::MAX as u64) as u32;
    let err = match fisherflow::compute::fim_field::FieldData::new(&ctx, &pipeline, too_many, &rule)
    {
        Ok(_) => panic!("a field of {too_many} cells must be refused"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("max_storage_buffer_binding_size") || err.contains("max_buffer_size"),
        "{err}"
    );
    assert!(
        err.contains("grid of at most"),
        "the message says what to do: {err}"
    );
}

/// EF's identities on the seed kernel (GPU and mirror): at θ = θ* the empirical Fisher is F,
/// and so it is at θ*'s twin (μ1 ↔ μ2, the same distribution); away from θ* it is not
/// (negative control), and a point without a target carries EF = 0. A NaN target gives a NaN
/// EF (a cell that must be caught, not a plausible number).
#[test]
fn empirical_fisher_is_fisher_at_the_target_and_its_twin() {
    let rule = QuadratureRule::new(DEFAULT_NODES_F32).unwrap();
    let nodes = rule.panel_rule().table_f32();
    let point = |mu: [f32; 2], target: Option<[f32; 2]>, sigma: f32| PointInput {
        theta: mu,
        target: target.unwrap_or([0.0; 2]),
        sigma,
        has_target: target.is_some() as u32,
        _pad: [0; 2],
    };
    let inputs = vec![
        point([0.3, 1.7], Some([0.3, 1.7]), 0.8),
        point([0.3, 1.7], Some([1.7, 0.3]), 0.8),
        point([-2.0, 0.4], Some([-2.0, 0.4]), 1.3),
        point([0.3, 1.7], Some([-1.0, 1.2]), 0.8),
        point([0.3, 1.7], None, 0.8),
        point([0.3, 1.7], Some([f32::NAN, 1.2]), 0.8),
    ];
    let params = FieldParams {
        panel_nodes: nodes.len() as u32,
        ..FieldParams::default()
    };
    let mut runs = vec![("cpu-f32", cpu::fim_field::points(&params, &nodes, &inputs))];
    if let Some(ctx) = common::gpu() {
        runs.push(("gpu", evaluate_points(&ctx, &inputs, 0.0, &rule).unwrap()));
    }
    for (what, cells) in runs {
        let fisher = |c: &FieldCell| [c.fisher[0] as f64, c.fisher[1] as f64, c.fisher[2] as f64];
        for (i, c) in cells[..3].iter().enumerate() {
            let e = empirical_error(c.empirical, fisher(c));
            assert!(
                e <= EF_TOLERANCE,
                "{what} point {i}: EF {:?} vs F {:?} ({e:.1e})",
                c.empirical,
                c.fisher
            );
        }
        // Away from θ*: EF differs from F by far more than the tolerance.
        let away = empirical_error(cells[3].empirical, fisher(&cells[3]));
        assert!(away > 0.1, "{what}: EF ≈ F away from θ* ({away:.1e})");
        let want = seed_empirical([0.3, 1.7], [-1.0, 1.2], 0.8f32 as f64);
        let e = empirical_error(cells[3].empirical, want);
        assert!(e <= EF_TOLERANCE, "{what}: EF away from θ* {e:.1e}");
        assert_eq!(cells[4].empirical, [0.0; 3], "{what}: no target, no EF");
        assert_eq!(cells[4].flags & flags::HAS_TARGET, 0);
        assert!(
            cells[5].empirical.iter().any(|v| v.is_nan()),
            "{what}: a NaN target must give a NaN EF, got {:?}",
            cells[5].empirical
        );
        assert_eq!(empirical_error(cells[5].empirical, want), f64::INFINITY);
    }
}

/// Moving only the target redoes only the target's half (`field_target`): the cells must then
/// equal a whole field computed for the new target, bit for bit (the same code runs), on the
/// GPU and in the CPU mirror; the stale field (the old target's) is the negative control.
#[test]
fn the_target_pass_alone_equals_a_whole_field_for_the_new_target() {
    use fisherflow::compute::fim_field::{FieldData, FieldMode, FimFieldPipeline};
    let rule = QuadratureRule::new(DEFAULT_NODES_F32).unwrap();
    let nodes = rule.panel_rule().table_f32();
    let before = grid_params([-3.0, -2.5], [2.0, 3.5], 17, 13, 1.0, [-1.5, 1.0], 1e-3);
    let after = FieldParams {
        damping: 2e-3,
        ..grid_params([-3.0, -2.5], [2.0, 3.5], 17, 13, 1.0, [0.7, -0.4], 1e-3)
    };
    assert_eq!(before.cell_size, after.cell_size, "same grid, new target");
    let bytes = |cells: &[FieldCell]| bytemuck::cast_slice::<FieldCell, u8>(cells).to_vec();

    // CPU mirror.
    let stale = cpu::fim_field::field(&before, &nodes);
    let mut moved = stale.clone();
    cpu::fim_field::field_target_into(&after, &nodes, &mut moved);
    let whole = cpu::fim_field::field(&after, &nodes);
    assert_ne!(
        bytes(&stale),
        bytes(&whole),
        "control: the target changes the cells"
    );
    assert_eq!(
        bytes(&moved),
        bytes(&whole),
        "cpu: target pass = whole field"
    );
    assert!(
        stale.iter().zip(&moved).all(|(a, b)| a.fisher == b.fisher),
        "F is kept"
    );

    // GPU.
    let Some(ctx) = common::gpu() else { return };
    let pipeline = FimFieldPipeline::new(&ctx.device);
    let data = FieldData::new(&ctx, &pipeline, before.cell_count, &rule).unwrap();
    let run = |mode, params: &FieldParams| {
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        data.encode(&ctx.queue, &mut encoder, &pipeline, mode, params, None);
        ctx.queue.submit([encoder.finish()]);
        data.read_cells(&ctx, params.cell_count).unwrap()
    };
    let gpu_stale = run(FieldMode::Grid, &before);
    let gpu_moved = run(FieldMode::GridTarget, &after);
    let gpu_whole = evaluate_grid(&ctx, &after, &rule).unwrap();
    // Two pipelines may be compiled with different contractions (FMA), so the GPU comparison
    // allows f32 rounding; the stale field misses by orders of magnitude more.
    let worst = |a: &[FieldCell], b: &[FieldCell]| {
        let floats = |c: &FieldCell| bytemuck::cast::<FieldCell, [f32; 24]>(*c);
        let mut worst = 0.0f32;
        for (x, y) in a.iter().zip(b) {
            assert_eq!(x.theta, y.theta);
            if x.flags != y.flags {
                return f32::INFINITY;
            }
            let (fx, fy) = (floats(x), floats(y));
            for k in 0..24 {
                if k == 20 {
                    continue; // flags, compared above
                }
                let scale = fx[k].abs().max(fy[k].abs()).max(1e-3);
                worst = worst.max((fx[k] - fy[k]).abs() / scale);
            }
        }
        worst
    };
    let stale_miss = worst(&gpu_stale, &gpu_whole);
    let moved_miss = worst(&gpu_moved, &gpu_whole);
    assert!(
        stale_miss > 1e-2,
        "control: stale GPU field misses by {stale_miss}"
    );
    assert!(
        moved_miss < 1e-4,
        "gpu: target pass vs whole field: {moved_miss}"
    );
}
