//! `kfac`: the K-FAC lab's numbers, by `fisherflow kfac`'s own code (its JSON as Python
//! values; its exit-2 messages with the options spelt as the Python arguments).

use fisherflow::cli::ModelSpec;
use fisherflow::cli::kfac::KfacArgs;
use fisherflow::math::Param;
use pyo3::prelude::*;

use crate::errors::{Failure, guarded};
use crate::families::PyModel;
use crate::json::to_python;

/// The CLI's options and the Python arguments that carry them, where the names differ.
const NAMES: [(&str, &str); 3] = [
    ("--target-model", "target"),
    ("--train-steps", "train_steps"),
    ("--no-matrices", "matrices=False"),
];

/// `fisherflow kfac --json`.
#[pyfunction]
#[pyo3(signature = (hidden, seed, target, train_steps, optimizer, lr, damping, device, samples,
                    nodes, matrices))]
#[allow(clippy::too_many_arguments)]
pub fn kfac<'py>(
    py: Python<'py>,
    hidden: usize,
    seed: u32,
    target: Option<PyRef<'py, PyModel>>,
    train_steps: u32,
    optimizer: String,
    lr: f64,
    damping: f64,
    device: String,
    samples: Option<u32>,
    nodes: u32,
    matrices: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let args = KfacArgs {
        hidden,
        seed,
        target_model: target
            .map(|t| ModelSpec(Param::ALL.iter().map(|&p| (p, t.model.get(p))).collect())),
        train_steps,
        optimizer,
        lr,
        damping,
        device,
        no_matrices: !matrices,
        samples,
        nodes,
        json: true,
    };
    let output = guarded(py, || {
        fisherflow::cli::kfac::evaluate(&args).map_err(|e| Failure::from_cli(e, &NAMES))
    })?;
    to_python(py, &output.json)
}
