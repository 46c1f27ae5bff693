//! `fisherflow fim` on the policy plane: a `--points` entry `{"system": {...}, "gains": [k1,
//! k2]}` (system keys at their defaults where omitted; optional `"horizon": H`) is answered, in
//! f64, with the input echoed plus `stable`, `spectral_radius`, `cost`, `control_energy`,
//! `grad`, `fisher`, `natgrad`, `gauss_newton`, `eigenvalues` and `kappa` (all but the first
//! two null where unstable) and, with a horizon, the finite-horizon noisy cost's `cost_h`,
//! `grad_h` and `fisher_h` (MATH.md, "The policy plane"). `--damping λ` makes `natgrad`
//! (F + λI)⁻¹∇C. On `--device gpu` the closed loop comes from `shaders/policy_field.wgsl`
//! (f32, all points in one dispatch); the finite-horizon values come from the f64 recursion
//! on either device (the kernel has no horizon).

use std::fmt::Write as _;

use anyhow::{Context, anyhow};
use serde_json::{Map, Value, json};

use super::CliError;
use crate::gpu::general_data::FLAG_OUTSIDE_MODEL;
use crate::gpu::gpu_data::FieldCell;
use crate::math::Sym2;
use crate::math::policy::{Lqr, System};
use crate::math::sym2::natural_gradient;

/// The longest horizon a point may ask for (the recursion is O(H); 1e6 steps take ~10 ms).
pub const MAX_HORIZON: u64 = 1_000_000;

/// One policy-plane point, with its JSON as given (echoed back).
#[derive(Clone, Debug)]
pub struct PolicyInput {
    /// The plant, weights and exploration.
    pub system: System,
    /// K = (k1, k2).
    pub gains: [f64; 2],
    /// The finite horizon H, if asked for.
    pub horizon: Option<u32>,
    /// `system`, `gains` and `horizon` exactly as given.
    pub given: Map<String, Value>,
}

/// The keys a policy point may have.
pub const KEYS: [&str; 3] = ["system", "gains", "horizon"];

/// Parses and validates point `index` of a --points file (an object with a `system` key).
pub fn parse(index: usize, object: &Map<String, Value>) -> Result<PolicyInput, CliError> {
    let input = |e: anyhow::Error| CliError::input(e);
    let given: Map<String, Value> = object
        .iter()
        .filter(|(k, _)| KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let system: System = serde_json::from_value(object["system"].clone())
        .with_context(|| {
            format!(
                "point {index}: system: expected {{\"plant\": \"cart\" | \"pendulum\", …}} with \
                 the keys of MATH.md (dt, friction, omega2, q_pos, q_vel, r, x0_pos, x0_vel, \
                 exploration)"
            )
        })
        .map_err(input)?;
    system
        .validate()
        .with_context(|| format!("point {index}"))
        .map_err(input)?;
    let gains: [f64; 2] = object
        .get("gains")
        .ok_or_else(|| anyhow!("point {index}: gains: missing (e.g. \"gains\": [2.0, 3.0])"))
        .and_then(|v| {
            serde_json::from_value(v.clone())
                .with_context(|| format!("point {index}: gains: expected two numbers [k1, k2]"))
        })
        .map_err(input)?;
    if !gains.iter().all(|g| g.is_finite()) {
        return Err(input(anyhow!(
            "point {index}: gains: must be finite numbers, got {gains:?}"
        )));
    }
    let horizon = match object.get("horizon") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(h) if (1..=MAX_HORIZON).contains(&h) => Some(h as u32),
            _ => {
                return Err(input(anyhow!(
                    "point {index}: horizon: must be a whole number from 1 to {MAX_HORIZON}, \
                     got {v}"
                )));
            }
        },
    };
    Ok(PolicyInput {
        system,
        gains,
        horizon,
        given,
    })
}

fn matrix(s: &Sym2<f64>) -> Value {
    json!([[s.xx, s.xy], [s.xy, s.yy]])
}

/// The values that exist only inside the stability triangle.
#[derive(Clone, Copy, Debug)]
pub struct Inside {
    /// C(K).
    pub cost: f64,
    /// The control energy E_u.
    pub control_energy: f64,
    /// ∇C.
    pub grad: [f64; 2],
    /// F = Σ_K/σ².
    pub fisher: Sym2<f64>,
    /// (F + λI)⁻¹∇C; NaN where F + λI is singular.
    pub natgrad: [f64; 2],
    /// The Gauss–Newton direction; NaN where undefined.
    pub gauss_newton: [f64; 2],
    /// [λ_max, λ_min] of F.
    pub eigenvalues: [f64; 2],
    /// κ of F (∞ where singular).
    pub kappa: f64,
}

/// The closed loop's values at a point, from the f64 path or a GPU cell.
#[derive(Clone, Copy, Debug)]
pub struct Values {
    /// ρ(A_K) < 1.
    pub stable: bool,
    /// ρ(A_K).
    pub spectral_radius: f64,
    /// The values that exist where the loop is stable.
    pub inside: Option<Inside>,
}

/// The point's answer from the f64 closed loop: its input echoed plus the values.
pub fn evaluate(point: &PolicyInput, damping: f64) -> Value {
    answer(
        point,
        &values(&Lqr::new(&point.system), point.gains, damping),
    )
}

/// The f64 closed loop's values at `gains` (what [`evaluate`] answers with).
pub fn values(lqr: &Lqr, gains: [f64; 2], damping: f64) -> Values {
    let at = lqr.evaluate(gains);
    Values {
        stable: at.stable,
        spectral_radius: at.spectral_radius,
        inside: at.closed.map(|c| {
            let natgrad = if damping == 0.0 {
                Some(c.natgrad)
            } else {
                natural_gradient(&c.fisher, damping, c.grad)
            };
            Inside {
                cost: c.cost,
                control_energy: c.control_energy,
                grad: c.grad,
                fisher: c.fisher,
                natgrad: natgrad.unwrap_or([f64::NAN; 2]),
                gauss_newton: c.gauss_newton,
                eigenvalues: c.eigenvalues,
                kappa: c.kappa,
            }
        }),
    }
}

/// The cells of `policy_field.wgsl` for `points` (f32), one dispatch per point (a file may mix
/// systems; each is a handful of cells).
pub fn on_gpu(
    ctx: &crate::gpu::context::GpuContext,
    points: &[&PolicyInput],
    damping: f64,
) -> Result<Vec<FieldCell>, CliError> {
    points
        .iter()
        .map(|p| {
            let cells =
                crate::compute::policy::evaluate_policy_points(ctx, &p.system, &[p.gains], damping)
                    .map_err(CliError::runtime)?;
            cells.first().copied().ok_or_else(|| {
                CliError::runtime(anyhow!("the GPU returned no cell for a policy point"))
            })
        })
        .collect()
}

/// The point's answer from a cell of `policy_field.wgsl` (f32; the horizon's values f64).
pub fn from_cell(point: &PolicyInput, cell: &FieldCell) -> Value {
    answer(point, &cell_values(&point.system, cell))
}

/// The values of a cell of `policy_field.wgsl` or its f32 mirror (what [`from_cell`] answers
/// with), widened to f64.
pub fn cell_values(system: &System, cell: &FieldCell) -> Values {
    let outside = cell.flags & FLAG_OUTSIDE_MODEL != 0;
    let v = |x: f32| f64::from(x);
    let pair = |x: [f32; 2]| x.map(f64::from);
    let s2 = system.exploration * system.exploration;
    Values {
        stable: !outside,
        spectral_radius: v(cell.spectral_radius()),
        inside: (!outside).then(|| {
            let fisher = Sym2::new(v(cell.fisher[0]), v(cell.fisher[1]), v(cell.fisher[2]));
            let natgrad = if cell.flags & crate::gpu::gpu_data::flags::NATGRAD_UNDEFINED != 0 {
                [f64::NAN; 2]
            } else {
                pair(cell.natgrad)
            };
            // Gauss–Newton 2E/H from ∇C = 2EΣ: 2E = ∇C Σ⁻¹ = ∇C F⁻¹/σ².
            let e2 = natural_gradient(&fisher, 0.0, pair(cell.grad))
                .map_or([f64::NAN; 2], |n| n.map(|x| x / s2));
            let h = v(cell.control_curvature());
            Inside {
                cost: v(cell.loss),
                control_energy: v(cell.control_energy()),
                grad: pair(cell.grad),
                fisher,
                natgrad,
                gauss_newton: [e2[0] / h, e2[1] / h],
                eigenvalues: pair(cell.eigenvalues),
                kappa: cell.kappa().map_or(f64::INFINITY, f64::from),
            }
        }),
    }
}

fn answer(point: &PolicyInput, values: &Values) -> Value {
    let mut out = point.given.clone();
    out.insert("stable".into(), values.stable.into());
    out.insert("spectral_radius".into(), values.spectral_radius.into());
    let finite_or_null = |v: [f64; 2]| {
        if v.iter().all(|x| x.is_finite()) {
            json!(v)
        } else {
            Value::Null
        }
    };
    let entries: [(&str, Value); 8] = match &values.inside {
        Some(i) => [
            ("cost", i.cost.into()),
            ("control_energy", i.control_energy.into()),
            ("grad", json!(i.grad)),
            ("fisher", matrix(&i.fisher)),
            ("natgrad", finite_or_null(i.natgrad)),
            ("gauss_newton", finite_or_null(i.gauss_newton)),
            ("eigenvalues", json!(i.eigenvalues)),
            (
                "kappa",
                if i.kappa.is_finite() {
                    i.kappa.into()
                } else {
                    Value::Null
                },
            ),
        ],
        None => [
            "cost",
            "control_energy",
            "grad",
            "fisher",
            "natgrad",
            "gauss_newton",
            "eigenvalues",
            "kappa",
        ]
        .map(|k| (k, Value::Null)),
    };
    for (key, value) in entries {
        out.insert(key.into(), value);
    }
    if let Some(h) = point.horizon {
        let fh = Lqr::new(&point.system).finite_horizon(point.gains, h);
        out.insert("cost_h".into(), fh.cost.into());
        out.insert("grad_h".into(), json!(fh.grad));
        out.insert("fisher_h".into(), matrix(&fh.fisher));
    }
    Value::Object(out)
}

/// The readable lines of point `index`.
pub fn summary(s: &mut String, index: usize, point: &PolicyInput) {
    let k = point.gains;
    let lqr = Lqr::new(&point.system);
    let at = lqr.evaluate(k);
    let _ = writeln!(
        s,
        "\npoint {index}: {} policy plane ({}), K = ({}, {})",
        point.system.plant.name(),
        point.system,
        k[0],
        k[1]
    );
    let rho = at.spectral_radius;
    match at.closed {
        None => {
            let _ = writeln!(
                s,
                "  unstable: ρ(A_K) = {rho:.9}; outside the stability triangle, C = ∞"
            );
        }
        Some(c) => {
            let f = c.fisher;
            let _ = writeln!(s, "  stable: ρ(A_K) = {rho:.9}");
            let _ = writeln!(
                s,
                "  C = {:.12e}   control energy E_u = {:.12e}",
                c.cost, c.control_energy
            );
            let _ = writeln!(
                s,
                "  F = Σ_K/σ² = [[{:.9e}, {:.9e}], [{:.9e}, {:.9e}]]   λ = ({:.9e}, {:.9e})   \
                 κ = {:.6e}",
                f.xx, f.xy, f.xy, f.yy, c.eigenvalues[0], c.eigenvalues[1], c.kappa
            );
            let _ = writeln!(s, "  ∇C = ({:.9e}, {:.9e})", c.grad[0], c.grad[1]);
            let _ = writeln!(
                s,
                "  F⁻¹∇C (npg) = ({:.9e}, {:.9e})",
                c.natgrad[0], c.natgrad[1]
            );
            let _ = writeln!(
                s,
                "  Gauss–Newton = ({:.9e}, {:.9e})",
                c.gauss_newton[0], c.gauss_newton[1]
            );
        }
    }
    if let Some(h) = point.horizon {
        let fh = lqr.finite_horizon(k, h);
        let _ = writeln!(
            s,
            "  horizon {h}: C_H,σ = {:.12e}   ∇C_H,σ = ({:.9e}, {:.9e})   F_H = [[{:.9e}, \
             {:.9e}], [{:.9e}, {:.9e}]]",
            fh.cost, fh.grad[0], fh.grad[1], fh.fisher.xx, fh.fisher.xy, fh.fisher.xy, fh.fisher.yy
        );
    }
}
