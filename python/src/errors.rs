//! Errors as Python sees them: bad input → `ValueError`, a failure while running →
//! `RuntimeError`, a Rust panic → `RuntimeError` (caught, never unwound into Python).
//!
//! Where a function runs a CLI command's own code ([`Failure::from_cli`]) the message is the
//! command's exit-2 text with each `--option` written as the Python argument that carries it
//! (`--from` → `start`, `--optimizer` → `optimizers`, the rest without their dashes), so a
//! script and a shell user read the same sentence.

use std::panic::{AssertUnwindSafe, catch_unwind};

use fisherflow::cli::CliError;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

/// Why a call failed.
#[derive(Debug)]
pub enum Failure {
    /// The input was wrong (`ValueError`); the text names the argument and the field.
    Input(String),
    /// Something failed while running (`RuntimeError`).
    Runtime(String),
}

impl Failure {
    /// Bad input.
    pub fn input(message: impl Into<String>) -> Self {
        Self::Input(message.into())
    }

    /// A failure while running.
    pub fn runtime(message: impl Into<String>) -> Self {
        Self::Runtime(message.into())
    }

    /// A CLI command's error: exit 2 is bad input, anything else a failure. `renames` maps the
    /// command's options to the Python arguments where their names differ; every other
    /// `--option` loses its dashes.
    pub fn from_cli(error: CliError, renames: &[(&str, &str)]) -> Self {
        let text = python_spelling(&format!("{:#}", error.error), renames);
        if error.code == 2 {
            Self::Input(text)
        } else {
            Self::Runtime(text)
        }
    }
}

/// `text` with the options of `renames` replaced and every remaining `--name` written `name`.
pub fn python_spelling(text: &str, renames: &[(&str, &str)]) -> String {
    let mut out = text.to_owned();
    for (cli, python) in renames {
        out = replace_option(&out, cli, python);
    }
    // What is left: `--lr` → `lr`, `--target-model` → `target_model`.
    let mut result = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(at) = rest.find("--") {
        let (before, after) = rest.split_at(at);
        result.push_str(before);
        let name_len = after[2..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(after.len() - 2);
        let name = &after[2..2 + name_len];
        if name.starts_with(|c: char| c.is_ascii_lowercase()) {
            result.push_str(&name.replace('-', "_"));
        } else {
            result.push_str(&after[..2 + name_len]);
        }
        rest = &after[2 + name_len..];
    }
    result.push_str(rest);
    result
}

/// Replaces the whole option `cli` (not a longer option it begins) by `python`.
fn replace_option(text: &str, cli: &str, python: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(cli) {
        let end = at + cli.len();
        let continues = rest[end..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '-');
        out.push_str(&rest[..at]);
        out.push_str(if continues { cli } else { python });
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

impl From<Failure> for PyErr {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Input(m) => PyValueError::new_err(m),
            Failure::Runtime(m) => PyRuntimeError::new_err(m),
        }
    }
}

/// Runs `work` with the GIL released; a panic inside becomes a `RuntimeError`.
pub fn guarded<T: Send>(
    py: Python<'_>,
    work: impl FnOnce() -> Result<T, Failure> + Send,
) -> PyResult<T> {
    py.detach(|| catch_unwind(AssertUnwindSafe(work)))
        .unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_owned());
            Err(Failure::runtime(format!(
                "fisherflow failed inside (a Rust panic: {what}); please report it with the \
                 call that caused it"
            )))
        })
        .map_err(PyErr::from)
}

/// Panics inside [`guarded`] (a test hook: the package's tests check that a panic arrives as a
/// `RuntimeError` and the interpreter goes on).
#[pyfunction]
pub fn _panic_inside_for_tests(py: Python<'_>) -> PyResult<()> {
    guarded(py, || -> Result<(), Failure> {
        panic!("a deliberate panic from _panic_inside_for_tests")
    })
}

#[cfg(test)]
mod tests {
    use super::python_spelling;

    #[test]
    fn options_are_spelt_as_python_arguments() {
        let renames = [("--from", "start"), ("--to", "end")];
        assert_eq!(
            python_spelling("--to and --direction were both given", &renames),
            "end and direction were both given"
        );
        assert_eq!(
            python_spelling("--target-model: pi must be", &renames),
            "target_model: pi must be"
        );
        // A longer option that begins like a renamed one keeps its own name.
        assert_eq!(
            python_spelling("--tolerance and --from", &renames),
            "tolerance and start"
        );
        // Not an option: left alone.
        assert_eq!(python_spelling("a -- b --", &renames), "a -- b --");
    }
}
