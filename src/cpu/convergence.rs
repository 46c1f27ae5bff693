//! The f64 mirror of `shaders/convergence.wgsl` (the convergence map): the same lattice (the
//! kernel's f32 starts, widened: [`MapSpec::start`]), the same updates (gd: θ ← θ − lr ∇L;
//! ngd: θ ← θ − lr F⁻¹∇L with F the induced slice block), the same threshold rule
//! (L < max(threshold · L0, floor)), the same ends and status codes, evaluated with the f64
//! reference of [`crate::math::general`] (`kl_divergence`, `gradient`, `fisher_slice`) at the
//! kernel's node count; on the policy plane (`convergence_policy.wgsl`) the excess cost C − C*,
//! ∇C and F = Σ_K/σ² of [`Lqr::evaluate`], the threshold relative to C* (the spec's rule:
//! [`MapSpec::params`]). Cells run in parallel (rayon).
//!
//! The order of the checks per evaluation is the kernel's: outside the model → left (outside
//! at the start); L or ∇L not finite → breakdown; below the threshold → converged; `max_steps`
//! updates taken → capped; ngd with κ(F) > κ_max → breakdown; then the update, after which θ
//! outside the leave box → left.

use rayon::prelude::*;

use crate::compute::convergence::{MapOptimizer, MapSpec, Status};
use crate::math::general::{fisher_slice, gradient, kl_divergence};
use crate::math::policy::Lqr;
use crate::math::{QuadratureRule, Sym2};

/// One cell's run in f64.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MirrorCell {
    /// Updates taken.
    pub steps: u32,
    /// How it ended.
    pub status: Status,
    /// L at the start.
    pub loss0: f64,
    /// L at the last evaluation.
    pub loss: f64,
    /// θ at the end (slice coordinates).
    pub theta: [f64; 2],
}

/// The loss, its gradient and (asked for) the metric at one point inside the model.
struct Point<'a> {
    loss: f64,
    grad: [f64; 2],
    fisher: Box<dyn Fn() -> Sym2<f64> + 'a>,
}

/// The family's `evaluate`: the mixture's L = KL, ∇L and F on the slice, or the policy
/// plane's excess cost C − C*, ∇C and F = Σ_K/σ²; None outside the model.
fn evaluate<'a>(
    spec: &'a MapSpec,
    policy: Option<&(Lqr, f64)>,
    theta: [f64; 2],
    rule: &'a QuadratureRule,
) -> Option<Point<'a>> {
    if let Some((lqr, c_star)) = policy {
        let closed = lqr.evaluate(theta).closed?;
        let fisher = closed.fisher;
        return Some(Point {
            loss: closed.cost - c_star,
            grad: closed.grad,
            fisher: Box::new(move || fisher),
        });
    }
    let model = spec.slice.place(&spec.base, theta);
    model.validate_for(&spec.slice).ok()?;
    Some(Point {
        loss: kl_divergence(&model, &spec.target, rule),
        grad: gradient(&model, &spec.slice, &spec.target, rule),
        fisher: Box::new(move || fisher_slice(&model, &spec.slice, rule)),
    })
}

/// Runs the optimizer from `start` as the kernel does, to the end.
pub fn run_cell(
    spec: &MapSpec,
    optimizer: MapOptimizer,
    lr: f64,
    start: [f64; 2],
    rule: &QuadratureRule,
) -> MirrorCell {
    let extent = [
        spec.view_max[0] - spec.view_min[0],
        spec.view_max[1] - spec.view_min[1],
    ];
    let in_box = |t: [f64; 2]| {
        (0..2).all(|i| {
            let off = t[i] - spec.view_min[i];
            off.is_finite()
                && off >= -spec.leave_margin * extent[i]
                && off <= (1.0 + spec.leave_margin) * extent[i]
        })
    };
    let mut cell = MirrorCell {
        steps: 0,
        status: Status::Running,
        loss0: 0.0,
        loss: 0.0,
        theta: start,
    };
    let mut fresh = true;
    let policy = spec.system.as_ref().map(|s| {
        let lqr = Lqr::new(s);
        let c_star = lqr.optimum().1;
        (lqr, c_star)
    });
    loop {
        let Some(point) = evaluate(spec, policy.as_ref(), cell.theta, rule) else {
            cell.status = if fresh { Status::Outside } else { Status::Left };
            return cell;
        };
        let (loss, grad) = (point.loss, point.grad);
        if fresh {
            cell.loss0 = loss;
            fresh = false;
        }
        cell.loss = loss;
        if !loss.is_finite() || !grad.iter().all(|g| g.is_finite()) {
            cell.status = Status::Breakdown;
            return cell;
        }
        // The policy plane's rule is C − C* < threshold·C* (the kernel's uniform carries it as
        // a zero relative threshold over that floor).
        let threshold = match &policy {
            Some((_, c_star)) => spec.threshold * c_star,
            None => (spec.threshold * cell.loss0).max(spec.loss_floor),
        };
        if loss < threshold {
            cell.status = Status::Converged;
            return cell;
        }
        if cell.steps >= spec.max_steps {
            cell.status = Status::Capped;
            return cell;
        }
        let direction = match optimizer {
            MapOptimizer::Gd => grad,
            MapOptimizer::Ngd => {
                let f = (point.fisher)();
                let eig = f.eigen();
                // Written so that a NaN eigenvalue also breaks down, as in the kernel.
                let conditioned = eig.lambda_min * spec.kappa_max > eig.lambda_max;
                if !conditioned {
                    cell.status = Status::Breakdown;
                    return cell;
                }
                f.solve(grad)
            }
        };
        cell.theta = [
            cell.theta[0] - lr * direction[0],
            cell.theta[1] - lr * direction[1],
        ];
        cell.steps += 1;
        if !in_box(cell.theta) {
            cell.status = Status::Left;
            return cell;
        }
    }
}

/// Every cell of every map of `spec`, map after map, row-major from `view_min` (the kernel's
/// buffer order).
pub fn mirror_map(spec: &MapSpec) -> Vec<MirrorCell> {
    let rule = QuadratureRule::new(spec.nodes).expect("a map's node count is valid");
    let cells = spec.cells();
    spec.maps
        .iter()
        .flat_map(|&(optimizer, lr)| {
            (0..cells)
                .into_par_iter()
                .map(|i| run_cell(spec, optimizer, lr, spec.start(i), &rule))
                .collect::<Vec<_>>()
        })
        .collect()
}
