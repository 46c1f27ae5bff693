//! Comparing f32 results (GPU kernel or CPU mirror) with the f64 reference: the error
//! measures and tolerances the tests assert and the benchmark reports.
//!
//! Measures, per cell, against the reference at the *same* (f32-rounded) inputs:
//! * `fisher`: max_ij |F_ij − F*_ij| / ‖F*‖₂ (‖F*‖₂ = λ_max);
//! * `lambda_min`: |λ_min − λ*_min| / λ*_min, only where |Δ| ≥ 0.01σ;
//! * `grad`, `natgrad`: ‖g − g*‖ / max(‖g*‖, floor) (vectors). The floor (1e-4/σ for ∇L,
//!   1e-4·σ for the natural gradient) keeps "relative" meaningful where the reference vanishes
//!   (at the minima, on the diagonal with a symmetric target): ∇L is a sum of O(1/σ) terms, so
//!   f32 can resolve it only to ~1e-7/σ absolute;
//! * `angle_deg`: |α − α*| in degrees.
//!
//! A cell also fails when its flags disagree with the reference (κ infinite, natural gradient
//! undefined), since a silently finite value where the reference has none is an error too.

use crate::gpu::gpu_data::FieldCell;
use crate::math::point::TargetReport;
use crate::math::{PointInput, PointReport};

/// Tolerances of issue #2 for the f32 paths.
#[derive(Clone, Copy, Debug)]
pub struct Tolerances {
    /// Max F entry error relative to ‖F‖₂.
    pub fisher: f64,
    /// Relative λ_min error where |Δ|/σ ≥ `lambda_min_from_delta`.
    pub lambda_min: f64,
    /// The |Δ|/σ below which λ_min is not held to `lambda_min`.
    pub lambda_min_from_delta: f64,
    /// Relative ∇L error.
    pub grad: f64,
    /// Relative natural-gradient error.
    pub natgrad: f64,
    /// Absolute angle error in degrees.
    pub angle_deg: f64,
}

impl Default for Tolerances {
    fn default() -> Self {
        Self {
            fisher: 1e-4,
            lambda_min: 1e-3,
            lambda_min_from_delta: 0.01,
            grad: 1e-3,
            natgrad: 1e-3,
            angle_deg: 0.1,
        }
    }
}

/// The error measures of one cell (None where the quantity is not compared).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CellErrors {
    /// See module docs.
    pub fisher: f64,
    /// See module docs.
    pub lambda_min: Option<f64>,
    /// See module docs.
    pub grad: Option<f64>,
    /// See module docs.
    pub natgrad: Option<f64>,
    /// See module docs.
    pub angle_deg: Option<f64>,
    /// Whether κ-infinite and natural-gradient-defined agree with the reference.
    pub flags_agree: bool,
}

impl CellErrors {
    /// The largest relative error among F, λ_min, ∇L and the natural gradient (what the
    /// benchmark reports as `max_rel_error`).
    pub fn max_relative(&self) -> f64 {
        [Some(self.fisher), self.lambda_min, self.grad, self.natgrad]
            .into_iter()
            .flatten()
            .fold(0.0, f64::max)
    }

    /// Which tolerance is exceeded, if any.
    pub fn violation(&self, tol: &Tolerances) -> Option<String> {
        let over = |name: &str, err: Option<f64>, limit: f64| {
            err.filter(|e| e.is_nan() || *e > limit)
                .map(|e| format!("{name} error {e:.3e} > {limit:e}"))
        };
        if !self.flags_agree {
            return Some("flags (κ infinite / natural gradient defined) disagree".to_owned());
        }
        over("F", Some(self.fisher), tol.fisher)
            .or_else(|| over("λ_min", self.lambda_min, tol.lambda_min))
            .or_else(|| over("∇L", self.grad, tol.grad))
            .or_else(|| over("natural gradient", self.natgrad, tol.natgrad))
            .or_else(|| over("angle (degrees)", self.angle_deg, tol.angle_deg))
    }
}

/// Relative floor of the vector errors, in units of the vector's natural scale.
const VECTOR_FLOOR: f64 = 1e-4;

fn relative_vector_error(a: [f64; 2], b: [f64; 2], floor: f64) -> f64 {
    let diff = (a[0] - b[0]).hypot(a[1] - b[1]);
    diff / b[0].hypot(b[1]).max(floor)
}

/// The f64 record of an f32 cell evaluated at `input` (the GPU path of `fisherflow fim`).
pub fn report_from_cell(input: &PointInput, cell: &FieldCell) -> PointReport {
    let f = cell.fisher.map(f64::from);
    PointReport {
        mu1: input.mu1,
        mu2: input.mu2,
        sigma: input.sigma,
        fisher: [[f[0], f[1]], [f[1], f[2]]],
        eigenvalues: cell.eigenvalues.map(f64::from),
        kappa: cell.kappa().map(f64::from),
        target: input.target,
        loss: input.target.map(|_| TargetReport {
            kl: cell.loss as f64,
            grad: cell.grad.map(f64::from),
            natgrad: cell.natgrad().map(|n| n.map(f64::from)),
            angle_deg: cell.angle().map(f64::from),
        }),
    }
}

/// Errors of an f32 cell against the f64 reference at the same inputs.
pub fn cell_errors(cell: &FieldCell, reference: &PointReport, tol: &Tolerances) -> CellErrors {
    let input = PointInput {
        mu1: reference.mu1,
        mu2: reference.mu2,
        sigma: reference.sigma,
        target: reference.target,
    };
    report_errors(&report_from_cell(&input, cell), reference, tol)
}

/// Errors of any evaluation (f32 turned f64, or f64 at another node count) against the
/// reference at the same inputs.
pub fn report_errors(got: &PointReport, reference: &PointReport, tol: &Tolerances) -> CellErrors {
    let f = got.fisher;
    let r = reference.fisher;
    let scale = reference.eigenvalues[0];
    let fisher = [(f[0][0], r[0][0]), (f[0][1], r[0][1]), (f[1][1], r[1][1])]
        .iter()
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
        / scale;
    let delta_over_sigma = (reference.mu1 - reference.mu2).abs() / reference.sigma;
    let ref_lmin = reference.eigenvalues[1];
    let lambda_min = (delta_over_sigma >= tol.lambda_min_from_delta && ref_lmin > 0.0)
        .then(|| (got.eigenvalues[1] - ref_lmin).abs() / ref_lmin);
    let mut flags_agree = got.kappa.is_some() == reference.kappa.is_some();
    let (mut grad, mut natgrad, mut angle_deg) = (None, None, None);
    if let (Some(mine), Some(loss)) = (&got.loss, &reference.loss) {
        let sigma = reference.sigma;
        grad = Some(relative_vector_error(
            mine.grad,
            loss.grad,
            VECTOR_FLOOR / sigma,
        ));
        match (mine.natgrad, loss.natgrad) {
            (Some(n), Some(nr)) => {
                natgrad = Some(relative_vector_error(n, nr, VECTOR_FLOOR * sigma))
            }
            (None, None) => {}
            _ => flags_agree = false,
        }
        if let (Some(a), Some(ar)) = (mine.angle_deg, loss.angle_deg) {
            angle_deg = Some((a - ar).abs());
        }
    }
    CellErrors {
        fisher,
        lambda_min,
        grad,
        natgrad,
        angle_deg,
        flags_agree,
    }
}

/// Worst errors over many cells and the failures, at most `max_failures` listed.
#[derive(Clone, Debug, Default)]
pub struct Comparison {
    /// Largest of each measure.
    pub worst: CellErrors,
    /// Largest relative error of all (benchmark's `max_rel_error`).
    pub max_relative: f64,
    /// Cells compared.
    pub cells: usize,
    /// "cell i at θ: what" for failing cells.
    pub failures: Vec<String>,
}

/// Compares cells with references one to one.
pub fn compare(cells: &[FieldCell], references: &[PointReport], tol: &Tolerances) -> Comparison {
    assert_eq!(
        cells.len(),
        references.len(),
        "compare needs one reference per cell"
    );
    let mut out = Comparison {
        cells: cells.len(),
        ..Default::default()
    };
    out.worst.flags_agree = true;
    let max_opt = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    };
    for (i, (cell, reference)) in cells.iter().zip(references).enumerate() {
        let e = cell_errors(cell, reference, tol);
        out.max_relative = out.max_relative.max(e.max_relative());
        out.worst.fisher = out.worst.fisher.max(e.fisher);
        out.worst.lambda_min = max_opt(out.worst.lambda_min, e.lambda_min);
        out.worst.grad = max_opt(out.worst.grad, e.grad);
        out.worst.natgrad = max_opt(out.worst.natgrad, e.natgrad);
        out.worst.angle_deg = max_opt(out.worst.angle_deg, e.angle_deg);
        out.worst.flags_agree &= e.flags_agree;
        if let Some(why) = e.violation(tol) {
            out.failures.push(format!(
                "cell {i} at θ=({}, {}), σ={}: {why}",
                reference.mu1, reference.mu2, reference.sigma
            ));
        }
    }
    out
}
