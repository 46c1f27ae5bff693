"""Shared helpers of the Python package's tests: the CLI binary (for equality with its JSON and
its exit-2 messages), the reference files, and the GPU gate.

The CLI is found at $FISHERFLOW_BIN, else target/release/fisherflow, else
target/debug/fisherflow of this repository (build it with `cargo build --release`). Every
child process runs with a timeout.
"""

import json
import os
import pathlib
import subprocess

import pytest

import fisherflow as ff

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
CLI_TIMEOUT_S = 300


def cli_path() -> pathlib.Path:
    env = os.environ.get("FISHERFLOW_BIN")
    if env:
        return pathlib.Path(env)
    for profile in ("release", "debug"):
        path = ROOT / "target" / profile / "fisherflow"
        if path.is_file():
            return path
    pytest.fail(
        "no fisherflow binary: build it with `cargo build --release` (or set FISHERFLOW_BIN); "
        "these tests compare the package with the CLI"
    )


def run_cli(*args, stdin=None):
    """Runs the CLI; returns (exit code, stdout, stderr)."""
    done = subprocess.run(
        [str(cli_path()), *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
    )
    return done.returncode, done.stdout, done.stderr


def cli_json(*args, stdin=None):
    code, out, err = run_cli(*args, stdin=stdin)
    assert code == 0, f"fisherflow {' '.join(map(str, args))} exited {code}: {err}"
    return json.loads(out)


def cli_error(*args, stdin=None):
    """The CLI's exit-2 message (stderr without "error: "); fails unless it exits 2 with
    nothing on stdout."""
    code, out, err = run_cli(*args, stdin=stdin)
    assert code == 2, f"expected exit 2, got {code}: {err}"
    assert out == "", f"nothing on stdout on bad input, got {out!r}"
    lines = [l for l in err.strip().splitlines() if l.startswith("error: ")]
    assert lines, f"no error line in {err!r}"
    return lines[-1][len("error: "):]


def load(name):
    return json.loads((DATA / name).read_text())


@pytest.fixture(scope="session")
def gpu():
    """The GPU adapter's description. A GPU test fails where none exists, unless
    FISHERFLOW_SKIP_GPU_TESTS=1 is set by hand."""
    try:
        return ff.gpu_adapter()
    except RuntimeError as e:
        if os.environ.get("FISHERFLOW_SKIP_GPU_TESTS") == "1":
            pytest.skip(f"FISHERFLOW_SKIP_GPU_TESTS=1 and no adapter: {e}")
        pytest.fail(f"no GPU adapter ({e}); install mesa-vulkan-drivers for lavapipe")
