//! The WGSL FIM kernel on a real adapter (lavapipe in CI) against the f64 reference, and the
//! f32 CPU mirror against the same reference, with issue #2's tolerances; plus negative
//! controls proving the comparator rejects slightly wrong results.

mod common;

use fisherflow::compute::fim_field::{evaluate_grid, evaluate_points, grid_params};
use fisherflow::cpu;
use fisherflow::gpu::gpu_data::{FieldCell, FieldParams, PointInput};
use fisherflow::math::quadrature::{DEFAULT_NODES_F32, DEFAULT_NODES_F64};
use fisherflow::math::{self, PointReport, QuadratureRule};
use fisherflow::verify::{Tolerances, compare};

/// The f64 reference at exactly the inputs the f32 path saw.
fn references(cells: &[FieldCell], sigma: f32, target: [f32; 2], damping: f64) -> Vec<PointReport> {
    let rule = QuadratureRule::new(DEFAULT_NODES_F64).unwrap();
    cells
        .iter()
        .map(|c| {
            let input = math::PointInput {
                mu1: c.theta[0] as f64,
                mu2: c.theta[1] as f64,
                sigma: sigma as f64,
                target: Some([target[0] as f64, target[1] as f64]),
            };
            math::evaluate_point(&input, &rule, damping)
        })
        .collect()
}

/// Grids that put cells 0.01σ from the diagonal (the view is shifted by 0.01σ along μ1, so
/// the cells on the grid's diagonal have Δ = 0.01σ) and cells 10σ and more apart.
fn test_grids() -> Vec<FieldParams> {
    let mut grids = Vec::new();
    for (sigma, half_width, target, damping) in [
        (1.0f32, 5.5f32, [0.5f32, -1.5f32], 0.0f32),
        (0.3, 3.3, [-0.2, 0.4], 0.0),
        (2.5, 13.75, [3.0, 3.5], 0.05),
    ] {
        let shift = 0.01 * sigma;
        grids.push(grid_params(
            [-half_width + shift, -half_width],
            [half_width + shift, half_width],
            48,
            48,
            sigma,
            target,
            damping,
        ));
    }
    grids
}

fn check_grid(cells: &[FieldCell], params: &FieldParams, what: &str) {
    let refs = references(cells, params.sigma, params.target, params.damping as f64);
    let near_diagonal = refs
        .iter()
        .filter(|r| ((r.mu1 - r.mu2) / r.sigma).abs() < 0.0101)
        .count();
    let far = refs
        .iter()
        .filter(|r| ((r.mu1 - r.mu2) / r.sigma).abs() >= 10.0)
        .count();
    assert!(
        near_diagonal >= 40 && far >= 2,
        "grid lacks the hard cells ({near_diagonal}, {far})"
    );
    let result = compare(cells, &refs, &Tolerances::default());
    eprintln!(
        "{what} σ={}: {} cells, worst F {:.2e}, λmin {:.2e}, ∇L {:.2e}, ñ {:.2e}, angle {:.2e}°",
        params.sigma,
        result.cells,
        result.worst.fisher,
        result.worst.lambda_min.unwrap_or(0.0),
        result.worst.grad.unwrap_or(0.0),
        result.worst.natgrad.unwrap_or(0.0),
        result.worst.angle_deg.unwrap_or(0.0)
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

#[test]
fn cpu_f32_mirror_matches_f64_reference() {
    let rule = QuadratureRule::new(DEFAULT_NODES_F32).unwrap();
    let nodes = rule.panel_rule().table_f32();
    for params in test_grids() {
        let params = FieldParams {
            panel_nodes: nodes.len() as u32,
            ..params
        };
        let cells = cpu::fim_field::field(&params, &nodes);
        check_grid(&cells, &params, "cpu-f32");
    }
}

#[test]
fn gpu_and_cpu_mirror_agree_closely() {
    let Some(ctx) = common::gpu() else { return };
    let rule = QuadratureRule::new(DEFAULT_NODES_F32).unwrap();
    let nodes = rule.panel_rule().table_f32();
    let params = FieldParams {
        panel_nodes: nodes.len() as u32,
        ..test_grids()[0]
    };
    let gpu = evaluate_grid(&ctx, &params, &rule).unwrap();
    let cpu = cpu::fim_field::field(&params, &nodes);
    for (g, c) in gpu.iter().zip(&cpu) {
        assert_eq!(g.theta, c.theta, "same cell centres");
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

#[test]
fn comparator_rejects_slightly_perturbed_results() {
    // Negative control: the comparator used above must fail on results just outside tolerance.
    let rule = QuadratureRule::new(DEFAULT_NODES_F32).unwrap();
    let nodes = rule.panel_rule().table_f32();
    let params = FieldParams {
        panel_nodes: nodes.len() as u32,
        ..test_grids()[0]
    };
    let cells = cpu::fim_field::field(&params, &nodes);
    let refs = references(&cells, params.sigma, params.target, 0.0);
    let tol = Tolerances::default();
    assert!(
        compare(&cells, &refs, &tol).failures.is_empty(),
        "the unperturbed mirror passes"
    );
    let i = 1000;
    type Perturbation = (&'static str, fn(&mut FieldCell));
    let perturbations: [Perturbation; 5] = [
        ("F11 by 2e-4·‖F‖", |c| {
            c.fisher[0] += 2e-4 * c.eigenvalues[0]
        }),
        ("λ_min by 2e-3", |c| c.eigenvalues[1] *= 1.002),
        ("∇L by 2e-3", |c| {
            c.grad[0] += 2e-3 * c.grad[0].hypot(c.grad[1])
        }),
        ("ñ by 2e-3", |c| {
            c.natgrad[1] += 2e-3 * c.natgrad[0].hypot(c.natgrad[1])
        }),
        ("angle by 0.2°", |c| c.angle_deg += 0.2),
    ];
    for (what, perturb) in perturbations {
        let mut bad = cells.clone();
        perturb(&mut bad[i]);
        let result = compare(&bad, &refs, &tol);
        assert_eq!(
            result.failures.len(),
            1,
            "perturbing {what} must fail exactly one cell"
        );
    }
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
