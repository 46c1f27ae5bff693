//! The policy plane's WGSL field (f32) against its f64 reference `Lqr::evaluate`: F, C and ∇C
//! within 1e-4 on MATH.md's scales wherever ρ ≤ 0.95 and κ ≤ 1e3, at the 30-digit reference
//! points and over whole grids of both plants; cells outside the stability triangle flagged
//! outside the model exactly where the f64 loop is unstable (away from |ρ − 1| < 1e-3); the
//! comparator's negative control is a cell of a slightly different system.

use crate::common;

use fisherflow::compute::policy::{PolicyParams, evaluate_policy_grid, evaluate_policy_points};
use fisherflow::gpu::general_data::FLAG_OUTSIDE_MODEL;
use fisherflow::gpu::gpu_data::FieldCell;
use fisherflow::math::policy::{Closed, Lqr, System};
use serde_json::Value;

const TOLERANCE: f64 = 1e-4;

/// The largest error of the cell's F, C and ∇C against `want`, each on its scale: F relative
/// to λ_max, C relative, ∇C to |∇C| + 2h‖Σ_K‖ (h = |(R + BᵀPB)K|, MATH.md).
fn error(cell: &FieldCell, want: &Closed, k: [f64; 2]) -> f64 {
    let f = [cell.fisher[0], cell.fisher[1], cell.fisher[2]].map(f64::from);
    let wf = [want.fisher.xx, want.fisher.xy, want.fisher.yy];
    let f_err = f
        .iter()
        .zip(wf)
        .map(|(g, w)| (g - w).abs())
        .fold(0.0, f64::max)
        / want.eigenvalues[0];
    let c_err = (f64::from(cell.loss) - want.cost).abs() / want.cost;
    let h = want.h * k[0].hypot(k[1]);
    let scale = want.grad[0].hypot(want.grad[1]) + 2.0 * h * want.sigma.eigen().lambda_max;
    let g_err = (0..2)
        .map(|i| (f64::from(cell.grad[i]) - want.grad[i]).abs())
        .fold(0.0, f64::max)
        / scale;
    f_err.max(c_err).max(g_err)
}

fn comparable(lqr: &Lqr, k: [f64; 2]) -> Option<Closed> {
    let at = lqr.evaluate(k);
    at.closed
        .filter(|c| at.spectral_radius <= 0.95 && c.kappa <= 1e3)
}

#[test]
fn policy_points_match_the_f64_loop() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let path = format!("{}/tests/data/lqr_points.json", env!("CARGO_MANIFEST_DIR"));
    let data: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let public = format!(
        "{}/tests/data/public_lqr_points.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let public: Value = serde_json::from_str(&std::fs::read_to_string(&public).unwrap()).unwrap();
    let points: Vec<&Value> = data["points"]
        .as_array()
        .unwrap()
        .iter()
        .chain(public.as_array().unwrap())
        .collect();
    let (mut compared, mut worst) = (0, 0.0f64);
    for p in points {
        let system: System = serde_json::from_value(p["system"].clone()).unwrap();
        let k = [
            p["gains"][0].as_f64().unwrap(),
            p["gains"][1].as_f64().unwrap(),
        ];
        let lqr = Lqr::new(&system);
        let cell = evaluate_policy_points(ctx, &system, &[k], 0.0).unwrap()[0];
        let outside = cell.flags & FLAG_OUTSIDE_MODEL != 0;
        let rho = lqr.spectral_radius(k);
        if (rho - 1.0).abs() > 1e-3 {
            assert_eq!(outside, rho >= 1.0, "ρ = {rho} at {k:?} ({system})");
        }
        if let Some(want) = comparable(&lqr, k) {
            let err = error(&cell, &want, k);
            assert!(err <= TOLERANCE, "{err:.1e} at {k:?} ({system}): {cell:?}");
            worst = worst.max(err);
            compared += 1;
            // Negative control: the same cell judged against a system with r 1% larger.
            let other = Lqr::new(&System {
                r: system.r * 1.01,
                ..system
            });
            let wrong = other.evaluate(k).closed.unwrap();
            assert!(error(&cell, &wrong, k) > TOLERANCE, "control at {k:?}");
        }
    }
    assert!(compared >= 20, "only {compared} comparable points");
    eprintln!("policy_field points: {compared} compared, worst error {worst:.1e}");
}

#[test]
fn policy_grids_match_the_f64_loop_and_flag_the_outside() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    for text in [
        "plant=cart",
        "plant=pendulum",
        "plant=pendulum,friction=0.5,exploration=0.5",
    ] {
        let system: System = text.parse().unwrap();
        let lqr = Lqr::new(&system);
        let t = lqr.triangle();
        // The triangle's bounding box, a little beyond, on a 64 × 48 grid.
        let lo = [t[0][0] - 1.0, t[0][1] - 1.0];
        let hi = [t[2][0] + 1.0, t[2][1] + 1.0];
        let grid = [64, 48];
        let cell_size = [(hi[0] - lo[0]) / 64.0, (hi[1] - lo[1]) / 48.0];
        let params = PolicyParams::new(&system, 0.0).with_grid(lo, cell_size, grid);
        let cells = evaluate_policy_grid(ctx, &params).unwrap();
        assert_eq!(cells.len(), 64 * 48);
        let (mut inside, mut outside, mut compared, mut worst) = (0, 0, 0, 0.0f64);
        for (i, cell) in cells.iter().enumerate() {
            let (col, row) = ((i % 64) as f64, (i / 64) as f64);
            // Cell centres as the kernel forms them (f32), so the comparison sees the same K.
            let k = [
                lo[0] as f32 as f64 + f64::from(cell.theta[0]),
                lo[1] as f32 as f64 + f64::from(cell.theta[1]),
            ];
            let centre = [
                lo[0] + (col + 0.5) * cell_size[0],
                lo[1] + (row + 0.5) * cell_size[1],
            ];
            assert!(
                (k[0] - centre[0]).abs() <= 1e-4 * hi[0]
                    && (k[1] - centre[1]).abs() <= 1e-4 * hi[1]
            );
            let rho = lqr.spectral_radius(k);
            let flagged = cell.flags & FLAG_OUTSIDE_MODEL != 0;
            if (rho - 1.0).abs() > 1e-3 {
                assert_eq!(flagged, rho >= 1.0, "{text}: ρ = {rho} at {k:?}");
            }
            if flagged {
                outside += 1;
            } else {
                inside += 1;
            }
            if let Some(want) = comparable(&lqr, k) {
                let err = error(cell, &want, k);
                assert!(err <= TOLERANCE, "{text}: {err:.1e} at {k:?}");
                worst = worst.max(err);
                compared += 1;
            }
        }
        // The triangle fills about half its bounding box.
        assert!(
            inside > 600 && outside > 600,
            "{text}: {inside} inside, {outside} outside"
        );
        assert!(compared > 100, "{text}: only {compared} comparable cells");
        eprintln!("policy_field grid {text}: {compared} cells compared, worst error {worst:.1e}");
    }
}

/// The kernel against its f32 mirror (`cpu::policy`), cell by cell over the pendulum's grid:
/// the same flags everywhere away from the edges (|ρ − 1| > 1e-3), and inside C, ∇C, F, ρ
/// and the control energy within 1e-4 of each other on MATH.md's scales where ρ ≤ 0.95 and
/// κ ≤ 1e3 (the two differ by rounding and llvmpipe's fused multiply-adds). Control: the
/// mirror of a system with r 1% larger does not match.
#[test]
fn the_kernel_matches_its_f32_mirror() {
    let Some(ctx) = common::shared_gpu() else {
        return;
    };
    let system: System = "plant=pendulum,friction=0.2".parse().unwrap();
    let lqr = Lqr::new(&system);
    let t = lqr.triangle();
    let (lo, hi) = (
        [t[0][0] - 1.0, t[0][1] - 1.0],
        [t[0][0] + 60.0, t[1][1] + 1.0],
    );
    let grid = [48, 40];
    let cell = [(hi[0] - lo[0]) / 48.0, (hi[1] - lo[1]) / 40.0];
    let params = PolicyParams::new(&system, 0.0).with_grid(lo, cell, grid);
    let gpu = evaluate_policy_grid(ctx, &params).unwrap();
    let mirror = fisherflow::cpu::policy::grid(&params);
    let other = fisherflow::cpu::policy::grid(
        &PolicyParams::new(
            &System {
                r: system.r * 1.01,
                ..system
            },
            0.0,
        )
        .with_grid(lo, cell, grid),
    );
    let (mut compared, mut worst, mut control_failures) = (0, 0.0f64, 0);
    for (i, (g, m)) in gpu.iter().zip(&mirror).enumerate() {
        let k = [
            lo[0] as f32 as f64 + f64::from(m.theta[0]),
            lo[1] as f32 as f64 + f64::from(m.theta[1]),
        ];
        let rho = lqr.spectral_radius(k);
        if (rho - 1.0).abs() > 1e-3 {
            assert_eq!(g.flags, m.flags, "cell {i} at {k:?}");
        }
        let Some(want) = comparable(&lqr, k) else {
            continue;
        };
        let f = |c: &FieldCell| {
            let mut d = want;
            d.cost = f64::from(c.loss);
            d
        };
        // The mirror judged as if it were the reference (its C, F, ∇C), the GPU against it.
        let as_reference = |c: &FieldCell| Closed {
            fisher: fisherflow::math::Sym2::new(
                f64::from(c.fisher[0]),
                f64::from(c.fisher[1]),
                f64::from(c.fisher[2]),
            ),
            grad: [f64::from(c.grad[0]), f64::from(c.grad[1])],
            ..f(c)
        };
        let err = error(g, &as_reference(m), k)
            .max((f64::from(g.spectral_radius()) - f64::from(m.spectral_radius())).abs())
            .max(
                (f64::from(g.control_energy()) - f64::from(m.control_energy())).abs()
                    / f64::from(m.control_energy()),
            );
        assert!(
            err <= TOLERANCE,
            "cell {i} at {k:?}: {err:.1e}\n{g:?}\n{m:?}"
        );
        worst = worst.max(err);
        compared += 1;
        if error(g, &as_reference(&other[i]), k) > TOLERANCE {
            control_failures += 1;
        }
    }
    assert!(compared > 200, "only {compared} cells compared");
    assert!(
        control_failures > compared / 2,
        "control: {control_failures} of {compared}"
    );
    eprintln!("policy_field against its f32 mirror: {compared} cells, worst {worst:.1e}");
}
