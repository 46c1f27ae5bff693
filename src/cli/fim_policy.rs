//! `fisherflow fim` on the policy plane: a `--points` entry `{"system": {...}, "gains": [k1,
//! k2]}` (system keys at their defaults where omitted; optional `"horizon": H`) is answered, in
//! f64, with the input echoed plus `stable`, `spectral_radius`, `cost`, `control_energy`,
//! `grad`, `fisher`, `natgrad`, `gauss_newton`, `eigenvalues` and `kappa` (all but the first
//! two null where unstable) and, with a horizon, the finite-horizon noisy cost's `cost_h`,
//! `grad_h` and `fisher_h` (MATH.md, "The policy plane").

use std::fmt::Write as _;

use anyhow::{Context, anyhow};
use serde_json::{Map, Value, json};

use super::CliError;
use crate::math::Sym2;
use crate::math::policy::{Lqr, System};

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

/// The point's answer: its input echoed plus the closed loop's values (f64).
pub fn evaluate(point: &PolicyInput) -> Value {
    let lqr = Lqr::new(&point.system);
    let at = lqr.evaluate(point.gains);
    let mut out = point.given.clone();
    out.insert("stable".into(), at.stable.into());
    out.insert("spectral_radius".into(), at.spectral_radius.into());
    let values: [(&str, Value); 8] = match at.closed {
        Some(c) => [
            ("cost", c.cost.into()),
            ("control_energy", c.control_energy.into()),
            ("grad", json!(c.grad)),
            ("fisher", matrix(&c.fisher)),
            ("natgrad", json!(c.natgrad)),
            ("gauss_newton", json!(c.gauss_newton)),
            ("eigenvalues", json!(c.eigenvalues)),
            ("kappa", c.kappa.into()),
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
    for (key, value) in values {
        out.insert(key.into(), value);
    }
    if let Some(h) = point.horizon {
        let fh = lqr.finite_horizon(point.gains, h);
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
