//! The two families as Python values: `Model` (the two-component mixture's five parameters)
//! and `System` (the policy plane's plant, weights and exploration, MATH.md's keys). Both are
//! immutable and checked when made, with the CLI's messages (`--model …`, `--system …`).

use fisherflow::cli::parse_system;
use fisherflow::math::policy::System;
use fisherflow::math::{Model, Param, Slice};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::Failure;

/// A two-component Gaussian mixture π N(μ1, σ1²) + (1 − π) N(μ2, σ2²).
///
/// Model(pi=0.5, mu1=0.0, mu2=0.0, sigma1=1.0, sigma2=1.0): every parameter is a keyword;
/// omitted ones take these defaults. π must be in [0, 1] (strictly inside on a slice that
/// varies π), the means finite, the σ's finite and > 0; a ValueError says which is not.
#[pyclass(name = "Model", module = "fisherflow", frozen, eq)]
#[derive(Clone, Debug, PartialEq)]
pub struct PyModel {
    /// The parameters.
    pub model: Model,
}

/// A keyword's value as a number, or a ValueError naming it (bools and arrays refused).
fn number(owner: &str, key: &str, value: &Bound<'_, PyAny>) -> Result<f64, Failure> {
    let refuse = || {
        let shown = value
            .repr()
            .map(|r| r.to_string())
            .unwrap_or_else(|_| "?".into());
        Failure::input(format!("{owner}: {key}: expected a number, got {shown}"))
    };
    if value.is_instance_of::<pyo3::types::PyBool>() {
        return Err(refuse());
    }
    value.extract::<f64>().map_err(|_| refuse())
}

impl PyModel {
    /// Checks a model (the CLI's `--model` message: "model: pi must be …").
    fn checked(model: Model) -> Result<Self, Failure> {
        model
            .validate()
            .map_err(|e| Failure::input(format!("model: {e}")))?;
        Ok(Self { model })
    }
}

/// Makes a Model from its five parameters in order (what pickling a Model calls).
#[pyfunction]
pub fn _model_from_parameters(
    pi: f64,
    mu1: f64,
    mu2: f64,
    sigma1: f64,
    sigma2: f64,
) -> PyResult<PyModel> {
    Ok(PyModel::checked(Model::from_array([
        pi, mu1, mu2, sigma1, sigma2,
    ]))?)
}

#[pymethods]
impl PyModel {
    #[new]
    #[pyo3(signature = (**parameters), text_signature = "(*, pi=0.5, mu1=0.0, mu2=0.0, sigma1=1.0, sigma2=1.0)")]
    fn new(parameters: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let mut model = Model {
            pi: 0.5,
            mu1: 0.0,
            mu2: 0.0,
            sigma1: 1.0,
            sigma2: 1.0,
        };
        if let Some(parameters) = parameters {
            for (key, value) in parameters.iter() {
                let key: String = key.extract()?;
                // An unknown name: the CLI's "unknown parameter 'x': expected one of …".
                let param: Param = key
                    .parse()
                    .map_err(|e| Failure::input(format!("model: {e}")))?;
                model = model.with(param, number("model", &key, &value)?);
            }
        }
        Ok(Self::checked(model)?)
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        // +0.0 for −0.0, so equal models hash alike.
        for v in self.model.to_array() {
            (v + 0.0).to_bits().hash(&mut h);
        }
        h.finish()
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, pyo3::types::PyTuple>)> {
        let make = slf
            .py()
            .import("fisherflow._native")?
            .getattr("_model_from_parameters")?;
        let m = slf.get().model;
        Ok((make, pyo3::types::PyTuple::new(slf.py(), m.to_array())?))
    }

    /// π, the first component's weight.
    #[getter]
    fn pi(&self) -> f64 {
        self.model.pi
    }
    /// μ1.
    #[getter]
    fn mu1(&self) -> f64 {
        self.model.mu1
    }
    /// μ2.
    #[getter]
    fn mu2(&self) -> f64 {
        self.model.mu2
    }
    /// σ1.
    #[getter]
    fn sigma1(&self) -> f64 {
        self.model.sigma1
    }
    /// σ2.
    #[getter]
    fn sigma2(&self) -> f64 {
        self.model.sigma2
    }

    /// The parameters as a dict {"pi", "mu1", "mu2", "sigma1", "sigma2"}.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for p in Param::ALL {
            d.set_item(p.name(), self.model.get(p))?;
        }
        Ok(d)
    }

    fn __repr__(&self) -> String {
        let m = &self.model;
        format!(
            "Model(pi={}, mu1={}, mu2={}, sigma1={}, sigma2={})",
            py_float(m.pi),
            py_float(m.mu1),
            py_float(m.mu2),
            py_float(m.sigma1),
            py_float(m.sigma2)
        )
    }
}

/// A float as Python's repr writes it (Rust's shortest round-trip digits, with a `.0` where
/// the number is whole).
fn py_float(v: f64) -> String {
    let s = format!("{v:?}");
    if s.contains(['.', 'e', 'N', 'i']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// The policy plane's system: a plant (cart or pendulum), its Euler step and friction, the
/// quadratic cost's weights, the initial state's variances and the policy's exploration σ.
///
/// System(plant="cart", **keys) with MATH.md's keys dt, friction, omega2 (pendulum only),
/// q_pos, q_vel, r, x0_pos, x0_vel, exploration; omitted keys take the plant's defaults. A
/// ValueError names a bad key with the CLI's `--system` message.
#[pyclass(name = "System", module = "fisherflow", frozen)]
#[derive(Clone, Debug)]
pub struct PySystem {
    /// The parsed system.
    pub system: System,
    /// The `KEY=VALUE,…` text it was made from (what `--system` is given).
    pub spec: String,
}

impl PySystem {
    /// Parses `--system`'s text (the CLI's messages).
    fn parsed(spec: String) -> Result<Self, Failure> {
        let system = parse_system(&spec).map_err(|e| Failure::from_cli(e, &[]))?;
        Ok(Self { system, spec })
    }
}

/// Makes a System from `--system`'s text (what pickling a System calls).
#[pyfunction]
pub fn _system_from_spec(spec: String) -> PyResult<PySystem> {
    Ok(PySystem::parsed(spec)?)
}

/// A name that `KEY=VALUE,…` text can carry unchanged.
fn plain_word(owner: &str, what: &str, word: &str) -> Result<(), Failure> {
    if word.is_empty() || word.contains([',', '=']) || word.trim() != word {
        return Err(Failure::input(format!(
            "{owner}: {what} {word:?} is not a name; the plants are cart and pendulum, the keys \
             dt, friction, omega2, q_pos, q_vel, r, x0_pos, x0_vel, exploration"
        )));
    }
    Ok(())
}

#[pymethods]
impl PySystem {
    #[new]
    #[pyo3(signature = (plant = None, **keys), text_signature = "(plant='cart', **keys)")]
    fn new(plant: Option<&Bound<'_, PyAny>>, keys: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let plant: String = match plant {
            None => "cart".to_owned(),
            Some(p) => p.extract().map_err(|_| {
                Failure::input("system: plant: expected \"cart\" or \"pendulum\"".to_owned())
            })?,
        };
        plain_word("system", "plant", &plant)?;
        let mut spec = format!("plant={plant}");
        if let Some(keys) = keys {
            for (key, value) in keys.iter() {
                let key: String = key.extract()?;
                plain_word("system", "key", &key)?;
                let value = number("system", &key, &value)?;
                // Rust's Display writes the shortest digits that read back as the same f64.
                spec.push_str(&format!(",{key}={value}"));
            }
        }
        Ok(Self::parsed(spec)?)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PySystem>()
            .is_ok_and(|o| o.get().system == self.system)
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        // Display writes the keys that differ from the defaults: equal systems alike.
        self.system.to_string().hash(&mut h);
        h.finish()
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let make = slf
            .py()
            .import("fisherflow._native")?
            .getattr("_system_from_spec")?;
        Ok((make, (slf.get().spec.clone(),)))
    }

    /// "cart" or "pendulum".
    #[getter]
    fn plant(&self) -> &'static str {
        self.system.plant.name()
    }

    /// Every key with its value (defaults filled in), as MATH.md and the CLI's JSON name them.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let value =
            serde_json::to_value(self.system).map_err(|e| Failure::runtime(e.to_string()))?;
        let d = crate::json::to_python(py, &value)?;
        let dict = d.cast::<PyDict>()?;
        dict.set_item("dt", self.system.dt())?;
        Ok(d)
    }

    /// The optimum ((k1, k2), C*): the Riccati equation's gains K* and their cost.
    fn optimum(&self) -> ((f64, f64), f64) {
        let (k, c) = fisherflow::math::policy::Lqr::new(&self.system).optimum();
        ((k[0], k[1]), c)
    }

    fn __repr__(&self) -> String {
        format!("System({})", self.system)
    }
}

/// A slice from two parameter names, with the CLI's message for a bad one.
pub fn parse_slice(slice: (String, String)) -> Result<Slice, Failure> {
    let param = |name: &str| -> Result<Param, Failure> {
        name.parse()
            .map_err(|e| Failure::input(format!("slice: {e}")))
    };
    Slice::new(param(&slice.0)?, param(&slice.1)?)
        .map_err(|e| Failure::input(format!("slice: {e}")))
}
