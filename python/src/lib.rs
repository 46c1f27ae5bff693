//! `fisherflow._native`: the Rust half of the `fisherflow` Python package. Each function takes
//! checked Python values, runs the library's own code (the same functions the command line
//! calls, so the numbers and the error messages are the CLI's) with the GIL released, and
//! returns plain dicts of NumPy arrays that the Python half (`python/fisherflow/`) wraps into
//! result objects.
//!
//! Errors: bad input is a `ValueError` whose text is the CLI's exit-2 message with its options
//! spelt as the Python arguments ([`errors`]); a failure while running is a `RuntimeError`, and
//! so is a Rust panic, which is caught here and never crosses into Python.

mod errors;
mod families;
mod field;
mod gpu;
mod json;
mod kfac;
mod paths;
mod points;
mod render;

use pyo3::prelude::*;

/// The module `fisherflow._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<families::PyModel>()?;
    m.add_class::<families::PySystem>()?;
    m.add_function(wrap_pyfunction!(points::fim_mixture, m)?)?;
    m.add_function(wrap_pyfunction!(points::fim_policy, m)?)?;
    m.add_function(wrap_pyfunction!(field::field_mixture, m)?)?;
    m.add_function(wrap_pyfunction!(field::field_policy, m)?)?;
    m.add_function(wrap_pyfunction!(paths::geodesic, m)?)?;
    m.add_function(wrap_pyfunction!(paths::optimize, m)?)?;
    m.add_function(wrap_pyfunction!(kfac::kfac, m)?)?;
    m.add_function(wrap_pyfunction!(render::render, m)?)?;
    m.add_function(wrap_pyfunction!(gpu::gpu_adapter, m)?)?;
    m.add_function(wrap_pyfunction!(errors::_panic_inside_for_tests, m)?)?;
    m.add_function(wrap_pyfunction!(families::_model_from_parameters, m)?)?;
    m.add_function(wrap_pyfunction!(families::_system_from_spec, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
