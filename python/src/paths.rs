//! `geodesic` and `optimize`: the Python arguments become the options of `fisherflow geodesic`
//! and `fisherflow optimize`, whose own code then checks them and computes (so the numbers are
//! the commands' JSON's and the messages their exit-2 text, options spelt as the Python
//! arguments). The JSON object comes back as Python values.

use fisherflow::cli::geodesic::GeodesicArgs;
use fisherflow::cli::optimize::OptimizeArgs;
use fisherflow::cli::{ModelArgs, ModelSpec};
use fisherflow::math::{Model, Param, Slice};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{Failure, guarded, python_spelling};
use crate::families::{PyModel, PySystem, parse_slice};
use crate::json::to_python;

/// The family a call works on: the mixture on a slice, or the policy plane.
pub enum Family {
    /// The mixture: the model (held parameters) and the slice.
    Mixture(Model, Slice),
    /// The policy plane: `--system`'s text.
    Policy(String),
}

impl Family {
    /// From the first argument (a Model or a System) and `slice` (the mixture's; default
    /// (mu1, mu2); an error with a System).
    pub fn new(family: &Bound<'_, PyAny>, slice: Option<(String, String)>) -> PyResult<Self> {
        if let Ok(m) = family.cast::<PyModel>() {
            let slice = match slice {
                Some(s) => parse_slice(s)?,
                None => Slice::SEED,
            };
            return Ok(Family::Mixture(m.get().model, slice));
        }
        if let Ok(s) = family.cast::<PySystem>() {
            if slice.is_some() {
                return Err(Failure::input(
                    "slice is the mixture's; on the policy plane the coordinates are the gains \
                     K = (k1, k2): drop slice",
                )
                .into());
            }
            return Ok(Family::Policy(s.get().spec.clone()));
        }
        Err(Failure::input(format!(
            "model: expected a fisherflow.Model or a fisherflow.System, got {}",
            family.get_type().name()?
        ))
        .into())
    }

    /// `--model` (all five parameters) and `--slice`, or nothing and `--system`.
    fn options(&self) -> (ModelArgs, Option<String>) {
        match self {
            Family::Mixture(model, slice) => (
                ModelArgs {
                    model: Some(ModelSpec(
                        Param::ALL.iter().map(|&p| (p, model.get(p))).collect(),
                    )),
                    slice: Some(*slice),
                    sigma: None,
                },
                None,
            ),
            Family::Policy(spec) => (ModelArgs::default(), Some(spec.clone())),
        }
    }
}

/// The CLI's options and the Python arguments that carry them, where the names differ.
const GEODESIC_NAMES: [(&str, &str); 2] = [("--from", "start"), ("--to", "end")];

/// `fisherflow geodesic --json` for the given family and points.
#[pyfunction]
#[pyo3(signature = (family, slice, start, end, direction, length, nodes))]
#[allow(clippy::too_many_arguments)]
pub fn geodesic<'py>(
    py: Python<'py>,
    family: &Bound<'py, PyAny>,
    slice: Option<(String, String)>,
    start: [f64; 2],
    end: Option<[f64; 2]>,
    direction: Option<[f64; 2]>,
    length: Option<f64>,
    nodes: u32,
) -> PyResult<Bound<'py, PyAny>> {
    let (model, system) = Family::new(family, slice)?.options();
    let args = GeodesicArgs {
        from: start,
        to: end,
        direction,
        length,
        model,
        system,
        nodes,
        json: true,
    };
    let output = guarded(py, || {
        fisherflow::cli::geodesic::evaluate(&args)
            .map_err(|e| Failure::from_cli(e, &GEODESIC_NAMES))
    })?;
    to_python(py, &output.json)
}

/// The learning rates as `--lr` reads them: one number, or NAME=L per optimizer.
fn lr_option(lr: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(v) = lr.extract::<f64>() {
        // Rust's Display writes the shortest digits that read back as the same f64.
        return Ok(format!("{v}"));
    }
    if let Ok(d) = lr.cast::<PyDict>() {
        let mut parts = Vec::new();
        for (name, value) in d.iter() {
            let name: String = name
                .extract()
                .map_err(|_| Failure::input("lr: the dict's keys must be optimizer names (str)"))?;
            if name.contains([',', '=']) || name.trim().is_empty() {
                return Err(
                    Failure::input(format!("lr: {name:?} is not an optimizer name")).into(),
                );
            }
            let value: f64 = value
                .extract()
                .map_err(|_| Failure::input(format!("lr: {name}: expected a number")))?;
            parts.push(format!("{name}={value}"));
        }
        if parts.is_empty() {
            return Err(Failure::input("lr: the dict is empty; give a rate per optimizer").into());
        }
        return Ok(parts.join(","));
    }
    Err(Failure::input(format!(
        "lr: expected a number or a dict {{name: rate}}, got {}",
        lr.get_type().name()?
    ))
    .into())
}

/// The CLI's options and the Python arguments that carry them, where the names differ.
const OPTIMIZE_NAMES: [(&str, &str); 1] = [("--optimizer", "optimizers")];

/// `fisherflow optimize --json`.
#[pyfunction]
#[pyo3(signature = (family, slice, start, target, optimizers, lr, steps, damping, momentum,
                    beta1, beta2, eps, samples, horizon, seed, nodes))]
#[allow(clippy::too_many_arguments)]
pub fn optimize<'py>(
    py: Python<'py>,
    family: &Bound<'py, PyAny>,
    slice: Option<(String, String)>,
    start: [f64; 2],
    target: Option<[f64; 2]>,
    optimizers: Option<Vec<String>>,
    lr: &Bound<'py, PyAny>,
    steps: u32,
    damping: Option<f64>,
    momentum: Option<f64>,
    beta1: Option<f64>,
    beta2: Option<f64>,
    eps: Option<f64>,
    samples: Option<u32>,
    horizon: Option<u32>,
    seed: Option<u32>,
    nodes: u32,
) -> PyResult<Bound<'py, PyAny>> {
    let (model, system) = Family::new(family, slice)?.options();
    if let Some(names) = &optimizers
        && names.is_empty()
    {
        return Err(Failure::input(
            "optimizers: the list is empty; name at least one (or leave it out for the \
             family's default set)",
        )
        .into());
    }
    let args = OptimizeArgs {
        start,
        target,
        system,
        optimizer: optimizers.map(|o| o.join(",")),
        lr: lr_option(lr)?,
        steps,
        damping,
        momentum,
        beta1,
        beta2,
        eps,
        samples,
        horizon,
        seed,
        model,
        nodes,
        json: true,
    };
    let output = guarded(py, || {
        fisherflow::cli::optimize::evaluate(&args)
            .map_err(|e| Failure::from_cli(e, &OPTIMIZE_NAMES))
    })?;
    let out = to_python(py, &output.json)?;
    // The CLI's notes (printed to stderr there) for the Python half to raise as warnings.
    let notes: Vec<String> = output
        .notes
        .iter()
        .map(|n| python_spelling(n, &OPTIMIZE_NAMES))
        .collect();
    out.set_item("notes", notes)?;
    Ok(out)
}
