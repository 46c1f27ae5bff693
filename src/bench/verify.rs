//! Comparing f32 results (GPU kernel or CPU mirror) with the f64 reference: the error
//! measures and tolerances the tests assert and the benchmark reports.
//!
//! Measures, per cell, against the reference at the *same* (f32-rounded) inputs:
//! * `fisher`: max_ij |F_ij − F*_ij| / ‖F*‖₂ (‖F*‖₂ = λ_max);
//! * `lambda_min` and `kappa`: |x − x*| / x*, only where |Δ| ≥ `lambda_min_from_delta`·σ
//!   (closer to the diagonal λ_min is below what f32 inputs determine: rounding θ to f32 moves
//!   Δ by up to 6e-8·|θ|, and λ_min ∝ Δ²), and not where both sides are singular (κ ≥
//!   `singular_kappa` or infinite on each: then they agree that λ_min is below what the
//!   precision resolves; the general model's f32 kernel uses `singular_kappa` = 1e3, issue 10's
//!   "a result counts as right if it is singular or has κ ≥ 1e3");
//! * `loss`: |L − L*| / max(L*, `LOSS_FLOOR`), i.e. relative, or absolute below the floor
//!   (L vanishes at θ* and its twin, where only an absolute error means anything);
//! * `grad`, `natgrad`: ‖g − g*‖ / max(‖g*‖, floor) (vectors). The floor (1e-4/σ for ∇L,
//!   1e-4·σ for the natural gradient) keeps "relative" meaningful where the reference vanishes
//!   (at the minima, on the diagonal with a symmetric target): ∇L is a sum of O(1/σ) terms, so
//!   f32 can resolve it only to ~1e-7/σ absolute;
//! * `angle_deg`: |α − α*| in degrees.
//!
//! A cell fails outright — whatever the measures say — when any value it reports is NaN or
//! infinite, or when a quantity is present on one side and absent on the other (κ finite
//! against infinite — unless the finite κ ≥ `singular_kappa`, singular to working precision
//! too —, a natural gradient or an angle defined against undefined, a loss block against
//! none): a silently finite value where the reference has none is an error too, and a
//! NaN must never score "0 error" (`f64::max` skips NaN, so every maximum here is taken with
//! [`max_nan`], which keeps it). Result arrays of different lengths fail as a whole rather than
//! being compared up to the shorter one.

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
    /// The |Δ|/σ below which λ_min and κ are not held to their tolerances.
    pub lambda_min_from_delta: f64,
    /// Relative κ error where |Δ|/σ ≥ `lambda_min_from_delta`.
    pub kappa: f64,
    /// Relative L error (absolute below [`LOSS_FLOOR`]).
    pub loss: f64,
    /// Relative ∇L error.
    pub grad: f64,
    /// Relative natural-gradient error.
    pub natgrad: f64,
    /// Absolute angle error in degrees.
    pub angle_deg: f64,
    /// A κ this large counts as singular: a finite κ ≥ this on one side and an infinite κ on
    /// the other agree. (A cell 1e-11 from the diagonal has κ ≈ 1e20 in f64, while f32 forms
    /// its Δ as exactly 0: both say "singular to working precision", the natural gradient's
    /// own threshold.)
    pub singular_kappa: f64,
    /// Where both sides are singular (κ ≥ `singular_kappa` or infinite), also leave the
    /// natural gradient and the angle uncompared (their presence included). For the general
    /// model's f32 kernel at damping 0, whose ñ = F⁻¹∇L inherits λ_min's error beyond
    /// κ = 1e3 (issue 10: there a result counts as right if it is singular or has κ ≥ 1e3).
    /// False by default: the seed's rotated path resolves ñ up to κ = 1e12.
    pub singular_skips_natgrad: bool,
}

impl Default for Tolerances {
    fn default() -> Self {
        Self {
            fisher: 1e-4,
            lambda_min: 1e-3,
            lambda_min_from_delta: 0.01,
            kappa: 1e-3,
            loss: 1e-3,
            grad: 1e-3,
            natgrad: 1e-3,
            angle_deg: 0.1,
            singular_kappa: 1e12,
            singular_skips_natgrad: false,
        }
    }
}

/// The L below which the loss error is absolute: with the default 1e-3 tolerance, an error
/// of 1e-6 is accepted where L* < 1e-3 (f32 sums of O(1) log terms resolve L to ~1e-7).
pub const LOSS_FLOOR: f64 = 1e-3;

/// The largest of two errors, NaN if either is NaN (`f64::max` would drop the NaN).
pub fn max_nan(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

fn max_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(max_nan(x, y)),
        (x, y) => x.or(y),
    }
}

/// The error measures of one cell (None where the quantity is not compared).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CellErrors {
    /// See module docs.
    pub fisher: f64,
    /// See module docs.
    pub lambda_min: Option<f64>,
    /// See module docs.
    pub kappa: Option<f64>,
    /// See module docs.
    pub loss: Option<f64>,
    /// See module docs.
    pub grad: Option<f64>,
    /// See module docs.
    pub natgrad: Option<f64>,
    /// See module docs.
    pub angle_deg: Option<f64>,
    /// Why the cell fails regardless of its measures: a non-finite value, or a quantity
    /// present on one side only (see module docs). None when both sides agree on what exists.
    pub mismatch: Option<String>,
}

impl CellErrors {
    /// The largest relative error among F, λ_min, κ, L, ∇L and the natural gradient (what the
    /// benchmark reports as `max_rel_error`): NaN if any is NaN, infinite on a mismatch.
    pub fn max_relative(&self) -> f64 {
        if self.mismatch.is_some() {
            return f64::INFINITY;
        }
        [
            Some(self.fisher),
            self.lambda_min,
            self.kappa,
            self.loss,
            self.grad,
            self.natgrad,
        ]
        .into_iter()
        .flatten()
        .fold(0.0, max_nan)
    }

    /// Which rule is broken, if any (the first one found).
    pub fn violation(&self, tol: &Tolerances) -> Option<String> {
        if let Some(why) = &self.mismatch {
            return Some(why.clone());
        }
        let over = |name: &str, err: Option<f64>, limit: f64| {
            err.filter(|e| e.is_nan() || *e > limit)
                .map(|e| format!("{name} error {e:.3e} > {limit:e}"))
        };
        over("F", Some(self.fisher), tol.fisher)
            .or_else(|| over("λ_min", self.lambda_min, tol.lambda_min))
            .or_else(|| over("κ", self.kappa, tol.kappa))
            .or_else(|| over("L", self.loss, tol.loss))
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

/// Every value a report carries, named (for the non-finite rule).
fn named_values(report: &PointReport) -> Vec<(&'static str, f64)> {
    let f = report.fisher;
    let mut values = vec![
        ("F11", f[0][0]),
        ("F12", f[0][1]),
        ("F21", f[1][0]),
        ("F22", f[1][1]),
        ("λ_max", report.eigenvalues[0]),
        ("λ_min", report.eigenvalues[1]),
    ];
    if let Some(k) = report.kappa {
        values.push(("κ", k));
    }
    if let Some(loss) = &report.loss {
        values.extend([("L", loss.kl), ("∇L₁", loss.grad[0]), ("∇L₂", loss.grad[1])]);
        if let Some(n) = loss.natgrad {
            values.extend([("ñ₁", n[0]), ("ñ₂", n[1])]);
        }
        if let Some(a) = loss.angle_deg {
            values.push(("angle", a));
        }
    }
    values
}

fn first_non_finite(report: &PointReport) -> Option<&'static str> {
    named_values(report)
        .into_iter()
        .find(|(_, v)| !v.is_finite())
        .map(|(name, _)| name)
}

/// "present here, absent there" for an optional quantity.
fn presence(name: &str, got: bool, reference: bool) -> Option<String> {
    (got != reference).then(|| {
        let side = |present| if present { "present" } else { "null" };
        format!(
            "{name} is {} but {} in the reference",
            side(got),
            side(reference)
        )
    })
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
        .fold(0.0, max_nan)
        / scale;
    let delta_over_sigma = (reference.mu1 - reference.mu2).abs() / reference.sigma;
    // Both singular to working precision: λ_min and κ say nothing more (see
    // `Tolerances::singular_kappa`).
    let singular = |k: Option<f64>| k.is_none_or(|k| k >= tol.singular_kappa);
    let both_singular = singular(got.kappa) && singular(reference.kappa);
    let spectrum_checked = delta_over_sigma >= tol.lambda_min_from_delta && !both_singular;
    let ref_lmin = reference.eigenvalues[1];
    let lambda_min = (spectrum_checked && ref_lmin > 0.0)
        .then(|| (got.eigenvalues[1] - ref_lmin).abs() / ref_lmin);
    let kappa = match (got.kappa, reference.kappa) {
        (Some(k), Some(kr)) if spectrum_checked => Some((k - kr).abs() / kr),
        _ => None,
    };
    let mut mismatch = first_non_finite(got)
        .map(|name| format!("{name} is not finite"))
        .or_else(|| {
            first_non_finite(reference).map(|name| format!("reference {name} is not finite"))
        })
        .or_else(|| {
            // Finite against infinite is a mismatch unless the finite κ is itself singular to
            // working precision (see `Tolerances::singular_kappa`).
            if both_singular {
                None
            } else {
                presence("κ", got.kappa.is_some(), reference.kappa.is_some())
            }
        })
        .or_else(|| {
            presence(
                "the loss block",
                got.loss.is_some(),
                reference.loss.is_some(),
            )
        });
    let (mut loss, mut grad, mut natgrad, mut angle_deg) = (None, None, None, None);
    let skip_natgrad = both_singular && tol.singular_skips_natgrad;
    if let (Some(mine), Some(theirs)) = (&got.loss, &reference.loss) {
        let sigma = reference.sigma;
        loss = Some((mine.kl - theirs.kl).abs() / theirs.kl.abs().max(LOSS_FLOOR));
        grad = Some(relative_vector_error(
            mine.grad,
            theirs.grad,
            VECTOR_FLOOR / sigma,
        ));
        if let (Some(n), Some(nr)) = (mine.natgrad, theirs.natgrad)
            && !skip_natgrad
        {
            natgrad = Some(relative_vector_error(n, nr, VECTOR_FLOOR * sigma));
        }
        if let (Some(a), Some(ar)) = (mine.angle_deg, theirs.angle_deg)
            && !skip_natgrad
        {
            angle_deg = Some((a - ar).abs());
        }
        if !skip_natgrad {
            mismatch = mismatch
                .or_else(|| {
                    presence(
                        "the natural gradient",
                        mine.natgrad.is_some(),
                        theirs.natgrad.is_some(),
                    )
                })
                .or_else(|| {
                    presence(
                        "the angle",
                        mine.angle_deg.is_some(),
                        theirs.angle_deg.is_some(),
                    )
                });
        }
    }
    CellErrors {
        fisher,
        lambda_min,
        kappa,
        loss,
        grad,
        natgrad,
        angle_deg,
        mismatch,
    }
}

/// Worst errors over many cells and the failures, at most `max_failures` listed.
#[derive(Clone, Debug, Default)]
pub struct Comparison {
    /// Largest of each measure (NaN where any cell's was NaN).
    pub worst: CellErrors,
    /// Largest relative error of all (benchmark's `max_rel_error`).
    pub max_relative: f64,
    /// Cells compared.
    pub cells: usize,
    /// "cell i at θ: what" for failing cells; a length mismatch is one failure for the whole.
    pub failures: Vec<String>,
}

/// Compares cells with references one to one. Arrays of different lengths fail as a whole
/// (nothing is compared, `max_relative` is infinite).
pub fn compare(cells: &[FieldCell], references: &[PointReport], tol: &Tolerances) -> Comparison {
    let errors: Vec<CellErrors> = cells
        .iter()
        .zip(references)
        .map(|(cell, reference)| cell_errors(cell, reference, tol))
        .collect();
    summarize(&errors, references, cells.len(), tol)
}

/// Compares reports with references one to one (the CLI's and the benchmark's view).
pub fn compare_reports(
    got: &[PointReport],
    references: &[PointReport],
    tol: &Tolerances,
) -> Comparison {
    let errors: Vec<CellErrors> = got
        .iter()
        .zip(references)
        .map(|(g, reference)| report_errors(g, reference, tol))
        .collect();
    summarize(&errors, references, got.len(), tol)
}

fn summarize(
    errors: &[CellErrors],
    references: &[PointReport],
    got_len: usize,
    tol: &Tolerances,
) -> Comparison {
    if got_len != references.len() {
        return Comparison {
            worst: CellErrors::default(),
            max_relative: f64::INFINITY,
            cells: 0,
            failures: vec![format!(
                "length mismatch: {got_len} results against {} references",
                references.len()
            )],
        };
    }
    let mut out = Comparison {
        cells: errors.len(),
        ..Default::default()
    };
    for (i, (e, reference)) in errors.iter().zip(references).enumerate() {
        out.max_relative = max_nan(out.max_relative, e.max_relative());
        let w = &mut out.worst;
        w.fisher = max_nan(w.fisher, e.fisher);
        w.lambda_min = max_opt(w.lambda_min, e.lambda_min);
        w.kappa = max_opt(w.kappa, e.kappa);
        w.loss = max_opt(w.loss, e.loss);
        w.grad = max_opt(w.grad, e.grad);
        w.natgrad = max_opt(w.natgrad, e.natgrad);
        w.angle_deg = max_opt(w.angle_deg, e.angle_deg);
        if w.mismatch.is_none() {
            w.mismatch.clone_from(&e.mismatch);
        }
        if let Some(why) = e.violation(tol) {
            out.failures.push(format!(
                "cell {i} at θ=({}, {}), σ={}: {why}",
                reference.mu1, reference.mu2, reference.sigma
            ));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The general model's grids (issue 10): the comparator's records of general reports and
// cells, and the grid comparison the benchmark reports (and tests can use).

/// Issue 10's tolerances for the general model's f32 paths: the default ones with
/// `singular_kappa` = 1e3 (beyond κ = 1e3 a general f32 result counts as right when it is
/// singular or has κ ≥ 1e3 itself, and ñ = F⁻¹∇L is then not compared either), and no |Δ|/σ
/// rule (it has no meaning off the seed's slice; the κ rule replaces it).
pub fn general_tolerances() -> Tolerances {
    Tolerances {
        singular_kappa: 1e3,
        singular_skips_natgrad: true,
        lambda_min_from_delta: 0.0,
        ..Tolerances::default()
    }
}

/// The scale of vector floors for a general model (the comparator's `sigma`): √(σ1σ2).
pub fn general_scale(model: &crate::math::Model) -> f64 {
    (model.sigma1 * model.sigma2).sqrt()
}

/// A general f64 report as the comparator's record: slice coordinates in (mu1, mu2),
/// √(σ1σ2) as σ, the target's slice coordinates.
pub fn general_point_report(r: &crate::math::GeneralReport) -> PointReport {
    let coords = [r.model.get(r.slice.a), r.model.get(r.slice.b)];
    PointReport {
        mu1: coords[0],
        mu2: coords[1],
        sigma: general_scale(&r.model),
        fisher: r.fisher,
        eigenvalues: r.eigenvalues,
        kappa: r.kappa,
        target: r.target.map(|t| [t.get(r.slice.a), t.get(r.slice.b)]),
        loss: r.loss.as_ref().map(|l| TargetReport {
            kl: l.kl,
            grad: l.grad,
            natgrad: l.natgrad,
            angle_deg: l.angle_deg,
        }),
    }
}

/// A general f32 cell as the comparator's record, beside the reference it answers (the
/// cell's coordinates and target are the reference's: a general cell's `theta` is an offset).
pub fn general_cell_report(cell: &FieldCell, reference: &PointReport) -> PointReport {
    let f = cell.fisher.map(f64::from);
    PointReport {
        fisher: [[f[0], f[1]], [f[1], f[2]]],
        eigenvalues: cell.eigenvalues.map(f64::from),
        kappa: cell.kappa().map(f64::from),
        loss: (cell.flags & crate::gpu::gpu_data::flags::HAS_TARGET != 0).then(|| TargetReport {
            kl: cell.loss as f64,
            grad: cell.grad.map(f64::from),
            natgrad: cell.natgrad().map(|n| n.map(f64::from)),
            angle_deg: cell.angle().map(f64::from),
        }),
        ..reference.clone()
    }
}

/// What one cell of a general grid holds, on either side of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub enum GeneralOutcome {
    /// The cell's model is outside the model (σ ≤ 0, π outside [0, 1] or on the edge of a
    /// slice that varies π): nothing computed.
    Outside,
    /// The metric is undefined there (profiled metric with F_nn singular or π held on the
    /// boundary).
    Undefined,
    /// A result.
    Report(PointReport),
}

impl GeneralOutcome {
    /// The f64 side: None (outside), Err (undefined) or a report.
    pub fn from_reference(
        r: &Option<Result<crate::math::GeneralReport, crate::math::ProfiledError>>,
    ) -> Self {
        match r {
            None => Self::Outside,
            Some(Err(_)) => Self::Undefined,
            Some(Ok(report)) => Self::Report(general_point_report(report)),
        }
    }

    /// The f32 side: cell `index` of grid `g` by its flags (`FLAG_OUTSIDE_MODEL`,
    /// `FLAG_METRIC_UNDEFINED`), else its values beside `reference`'s coordinates. A cell whose
    /// `theta` is not the kernel's offset of `index` (a grid evaluated elsewhere) reads as a
    /// report with NaN F, which fails any comparison.
    pub fn from_grid_cell(
        g: &crate::gpu::general_data::GeneralGridParams,
        index: u32,
        cell: &FieldCell,
        reference: &GeneralOutcome,
    ) -> Self {
        use crate::gpu::general_data::{FLAG_METRIC_UNDEFINED, FLAG_OUTSIDE_MODEL};
        let placeholder = PointReport {
            mu1: f64::NAN,
            mu2: f64::NAN,
            sigma: 1.0,
            fisher: [[0.0; 2]; 2],
            eigenvalues: [0.0; 2],
            kappa: None,
            target: None,
            loss: None,
        };
        let base = match reference {
            GeneralOutcome::Report(r) => r,
            _ => &placeholder,
        };
        if cell.theta != g.cell_offset(index) {
            let mut wrong = general_cell_report(cell, base);
            wrong.fisher[0][0] = f64::NAN;
            return Self::Report(wrong);
        }
        if cell.flags & FLAG_OUTSIDE_MODEL != 0 {
            Self::Outside
        } else if cell.flags & FLAG_METRIC_UNDEFINED != 0 {
            Self::Undefined
        } else {
            Self::Report(general_cell_report(cell, base))
        }
    }
}

/// A general grid's comparison: the comparator over the cells with a result on both sides,
/// and the cells left out.
#[derive(Clone, Debug, Default)]
pub struct GeneralComparison {
    /// The comparator's verdict on the compared cells; a cell outside the model on one side
    /// only, or with a result where the reference calls the metric undefined, is a failure
    /// and makes `max_relative` infinite.
    pub comparison: Comparison,
    /// Cells outside the model on both sides (not compared).
    pub outside: usize,
    /// Cells whose metric is undefined on the f32 side, the reference's, or both (not
    /// compared). The f32 side may call F_nn singular where the f64 reference still resolves
    /// it (near the singular set): counted here, never scored as zero error.
    pub undefined: usize,
}

/// Compares general grid cells one to one (`got[k]` against `references[k]`), leaving out and
/// counting cells outside the model or with an undefined metric. Arrays of different lengths
/// fail as a whole.
pub fn compare_general(
    got: &[GeneralOutcome],
    references: &[GeneralOutcome],
    tol: &Tolerances,
) -> GeneralComparison {
    if got.len() != references.len() {
        return GeneralComparison {
            comparison: Comparison {
                max_relative: f64::INFINITY,
                failures: vec![format!(
                    "length mismatch: {} results against {} references",
                    got.len(),
                    references.len()
                )],
                ..Default::default()
            },
            ..Default::default()
        };
    }
    let mut out = GeneralComparison::default();
    let (mut have, mut want) = (Vec::new(), Vec::new());
    let mut mismatches = Vec::new();
    for (i, (g, r)) in got.iter().zip(references).enumerate() {
        use GeneralOutcome::*;
        match (g, r) {
            (Outside, Outside) => out.outside += 1,
            (Undefined, Undefined | Report(_)) => out.undefined += 1,
            (Report(g), Report(r)) => {
                have.push(g.clone());
                want.push(r.clone());
            }
            (g, r) => mismatches.push(format!(
                "cell {i}: {} where the reference is {}",
                outcome_name(g),
                outcome_name(r)
            )),
        }
    }
    let mut comparison = compare_reports(&have, &want, tol);
    if !mismatches.is_empty() {
        comparison.max_relative = f64::INFINITY;
        comparison.failures.extend(mismatches);
    }
    out.comparison = comparison;
    out
}

fn outcome_name(o: &GeneralOutcome) -> &'static str {
    match o {
        GeneralOutcome::Outside => "outside the model",
        GeneralOutcome::Undefined => "metric undefined",
        GeneralOutcome::Report(_) => "a result",
    }
}

/// The f64 reference of cell `index` of grid `g` at the cell's model
/// ([`GeneralGridParams::cell_model`](crate::gpu::general_data::GeneralGridParams::cell_model)):
/// None where the cell is outside the model, Some(Err) where the metric is undefined. The
/// target's means come from `target` in f64 (the kernel sees them through `target_mean`,
/// formed in f64), its π and σ's as the kernel's f32 values.
pub fn general_grid_reference(
    g: &crate::gpu::general_data::GeneralGridParams,
    index: u32,
    target: &crate::math::Model,
    metric: crate::math::Metric,
    rule: &crate::math::QuadratureRule,
) -> Option<Result<crate::math::GeneralReport, crate::math::ProfiledError>> {
    let slice = g.slice()?;
    let model = g.cell_model(index);
    model.validate_for(&slice).ok()?;
    let target = g.target_f64().map(|t| crate::math::Model {
        mu1: target.mu1,
        mu2: target.mu2,
        ..t
    });
    let input = crate::math::GeneralInput {
        model,
        slice,
        target,
    };
    Some(crate::math::general::evaluate_general_metric(
        &input,
        rule,
        g.damping as f64,
        metric,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report with the given spectrum and natural gradient (everything else fixed).
    fn report(eigenvalues: [f64; 2], natgrad: Option<[f64; 2]>) -> PointReport {
        let kappa = (eigenvalues[1] > 0.0).then(|| eigenvalues[0] / eigenvalues[1]);
        PointReport {
            mu1: 0.0,
            mu2: 1.0,
            sigma: 1.0,
            fisher: [[1.0, 0.0], [0.0, 1.0]],
            eigenvalues,
            kappa,
            target: Some([0.0, 0.0]),
            loss: Some(TargetReport {
                kl: 0.5,
                grad: [1.0, 0.0],
                natgrad,
                angle_deg: natgrad.map(|_| 0.0),
            }),
        }
    }

    #[test]
    fn both_singular_cells_skip_the_spectrum_and_on_request_the_natural_gradient() {
        let general = Tolerances {
            singular_kappa: 1e3,
            singular_skips_natgrad: true,
            ..Tolerances::default()
        };
        // κ 2e3 against 5e4: both singular (≥ 1e3), λ_min 25× apart, ñ far apart — accepted.
        let reference = report([1.0, 2e-5], Some([5e4, 0.0]));
        let got = report([1.0, 5e-4], Some([2e3, 0.0]));
        let e = report_errors(&got, &reference, &general);
        assert_eq!(e.lambda_min, None);
        assert_eq!(e.natgrad, None);
        assert_eq!(e.violation(&general), None, "{e:?}");
        // Singular (κ = ∞, no ñ) against κ = 5e4 with ñ: accepted as well.
        let got = report([1.0, 0.0], None);
        assert_eq!(
            report_errors(&got, &reference, &general).violation(&general),
            None
        );
        // Without the request the same ñ is held to its tolerance (the seed's rule).
        let seed_like = Tolerances {
            singular_skips_natgrad: false,
            ..general
        };
        let got = report([1.0, 5e-4], Some([2e3, 0.0]));
        let why = report_errors(&got, &reference, &seed_like)
            .violation(&seed_like)
            .unwrap();
        assert!(why.contains("natural gradient"), "{why}");
        // Negative control: κ = 500 is not singular, so against κ = ∞ it is a mismatch, and
        // against κ = 5e4 its λ_min is compared (and fails).
        let regular = report([1.0, 2e-3], Some([500.0, 0.0]));
        let infinite = report([1.0, 0.0], None);
        let why = report_errors(&regular, &infinite, &general)
            .violation(&general)
            .unwrap();
        assert!(why.contains("κ is present but null"), "{why}");
        let why = report_errors(&regular, &reference, &general)
            .violation(&general)
            .unwrap();
        assert!(why.contains("λ_min"), "{why}");
    }
}
