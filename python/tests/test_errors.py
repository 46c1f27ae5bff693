"""Bad input raises ValueError with the CLI's exit-2 text (its options spelt as the Python
arguments: `--from` → start, `--optimizer` → optimizers, `point 0` → points[0], the other
options without dashes); nothing leaks a Rust panic; nothing half-written."""

import json

import numpy as np
import pytest

import fisherflow as ff
from conftest import cli_error


def message(call):
    with pytest.raises(ValueError) as caught:
        call()
    return str(caught.value)


M = ff.Model()

# (Python call, the CLI's arguments for the same input (stdin for fim --points), renames).
CASES = {
    "pi out of range": (
        lambda: ff.Model(pi=1.5),
        (["geodesic", "--model", "pi=1.5", "--from", "0,0", "--to", "1,1"], None),
        [],
    ),
    "sigma <= 0": (
        lambda: ff.Model(sigma1=0.0),
        (["geodesic", "--model", "sigma1=0", "--from", "0,0", "--to", "1,1"], None),
        [],
    ),
    "NaN in points": (
        lambda: ff.fim(M, points=np.array([[0.0, 0.0], [np.nan, 1.0]])),
        (["fim", "--points", "-"], '[{"model": {}, "slice": ["mu1", "mu2"]}, {"model": {"mu1": NaN}, "slice": ["mu1", "mu2"]}]'),
        None,  # serde_json rejects NaN in the file: compared below by its own text
    ),
    "pi on the boundary of a pi slice": (
        lambda: ff.fim(M, slice=("pi", "mu1"), points=[[0.0, 0.0]]),
        (["fim", "--points", "-"], '[{"model": {"pi": 0}, "slice": ["pi", "mu1"]}]'),
        [("point 0", "points[0]")],
    ),
    "sigma <= 0 at a point": (
        lambda: ff.fim(M, slice=("mu1", "sigma1"), points=[[0.0, -0.5]]),
        (["fim", "--points", "-"], '[{"model": {"sigma1": -0.5}, "slice": ["mu1", "sigma1"]}]'),
        [("point 0", "points[0]")],
    ),
    "unknown optimizer": (
        lambda: ff.optimize(M, start=(0, 0), target=(1, 1), optimizers=["gd", "sgd"], lr=0.1, steps=10),
        (["optimize", "--start", "0,0", "--target", "1,1", "--optimizer", "gd,sgd", "--lr", "0.1", "--steps", "10"], None),
        [("--optimizer", "optimizers")],
    ),
    "the other family's optimizer": (
        lambda: ff.optimize(ff.System(plant="pendulum"), start=(20, 5), optimizers=["ngd"], lr=0.1, steps=10),
        (["optimize", "--system", "plant=pendulum", "--start", "20,5", "--optimizer", "ngd", "--lr", "0.1", "--steps", "10"], None),
        [("--optimizer", "optimizers")],
    ),
    "learning rate <= 0": (
        lambda: ff.optimize(M, start=(0, 0), target=(1, 1), optimizers=["gd"], lr=-0.1, steps=10),
        (["optimize", "--start", "0,0", "--target", "1,1", "--optimizer", "gd", "--lr=-0.1", "--steps", "10"], None),
        [],
    ),
    "steps out of range": (
        lambda: ff.optimize(M, start=(0, 0), target=(1, 1), lr=0.1, steps=0),
        (["optimize", "--start", "0,0", "--target", "1,1", "--lr", "0.1", "--steps", "0"], None),
        [],
    ),
    "unknown plant": (
        lambda: ff.System(plant="segway"),
        (["geodesic", "--system", "plant=segway", "--from", "1,1", "--to", "2,2"], None),
        [],
    ),
    "a key the plant lacks": (
        lambda: ff.System(plant="cart", omega2=3.0),
        (["geodesic", "--system", "plant=cart,omega2=3", "--from", "1,1", "--to", "2,2"], None),
        [],
    ),
    "gains outside the triangle": (
        lambda: ff.optimize(ff.System(), start=(0, 0), optimizers=["gd"], lr=0.1, steps=10),
        (["optimize", "--system", "plant=cart", "--start", "0,0", "--optimizer", "gd", "--lr", "0.1", "--steps", "10"], None),
        [],
    ),
    "both end and direction": (
        lambda: ff.geodesic(M, start=(0, 0), end=(1, 1), direction=(1, 0)),
        (["geodesic", "--from", "0,0", "--to", "1,1", "--direction", "1,0"], None),
        [("--from", "start"), ("--to", "end")],
    ),
    "zero direction": (
        lambda: ff.geodesic(M, start=(0, 0), direction=(0, 0), length=1.0),
        (["geodesic", "--from", "0,0", "--direction", "0,0", "--length", "1"], None),
        [],
    ),
    "a point outside the model": (
        lambda: ff.geodesic(M, slice=("mu1", "sigma1"), start=(0, -1), end=(1, 1)),
        (["geodesic", "--slice", "mu1,sigma1", "--from=0,-1", "--to", "1,1"], None),
        [("--from", "start"), ("--to", "end")],
    ),
    "too few samples": (
        lambda: ff.fim(M, points=[[0.5, -0.5]], samples=1),
        (["fim", "--mu1", "0.5", "--mu2=-0.5", "--sigma", "1", "--samples", "1"], None),
        [],
    ),
    "K-FAC width": (
        lambda: ff.kfac(hidden=1),
        (["kfac", "--hidden", "1"], None),
        [],
    ),
    "K-FAC target with one label": (
        lambda: ff.kfac(target=ff.Model(pi=1.0)),
        (["kfac", "--target-model", "pi=1"], None),
        [("--target-model", "target")],
    ),
    "K-FAC damping": (
        lambda: ff.kfac(damping=0.0),
        (["kfac", "--damping", "0"], None),
        [],
    ),
}


def python_spelling(text, renames):
    for cli, python in renames:
        text = text.replace(cli, python)
    return text.replace("--", "").replace("target-model", "target_model")


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c[2] is not None])
def test_value_error_has_the_clis_text(name):
    call, (args, stdin), renames = CASES[name]
    got = message(call)
    want = cli_error(*args, stdin=stdin)
    if args[0] == "geodesic" and ("--model" in want or "--system" in want):
        # A Model or System is checked when made: the message is the same without the option
        # the CLI reads it from.
        want = want.replace("--model", "model").replace("--system", "system")
    assert got == python_spelling(want, renames), f"{name}:\n python: {got}\n cli:    {want}"


def test_the_comparison_can_fail():
    # A different input gives a different message (the comparison above can fail).
    got = message(lambda: ff.Model(pi=1.7))
    want = cli_error("geodesic", "--model", "pi=1.5", "--from", "0,0", "--to", "1,1")
    assert got != python_spelling(want.replace("--model", "model"), [])


def test_nan_names_the_point_and_field():
    assert message(lambda: ff.fim(M, points=[[0.0, 0.0], [np.nan, 1.0]])) == \
        "points[1]: model: mu1 must be a finite number, got NaN"
    assert "points[0]: gains: must be finite" in message(lambda: ff.fim(ff.System(), points=[[np.inf, 1.0]]))


@pytest.mark.parametrize(
    "call, mentions",
    [
        (lambda: ff.fim(M, slice=("mu1", "tau"), points=[[0, 0]]), "slice: unknown parameter 'tau'"),
        (lambda: ff.fim(M, slice=("mu1", "mu1"), points=[[0, 0]]), "slice:"),
        (lambda: ff.fim(M, points=np.zeros((3, 3))), "points: expected an array of shape (N, 2)"),
        (lambda: ff.fim(M, points=np.zeros((0, 2))), "points: expected an array of shape (N, 2)"),
        (lambda: ff.fim(M, points=np.zeros((3, 2), dtype=complex)), "points: expected real numbers"),
        (lambda: ff.fim(M, points=[["a", "b"]]), "points: expected real numbers"),
        (lambda: ff.fim(M), "points: missing"),
        (lambda: ff.fim(M, points=[[0, 0]], device="tpu"), 'device: choose "cpu" or "gpu"'),
        (lambda: ff.fim(M, points=[[0, 0]], precision="f16"), 'precision: choose "f64" or "f32"'),
        (lambda: ff.fim(M, points=[[0, 0]], device="gpu", precision="f64"), "precision: the GPU kernels compute in f32"),
        (lambda: ff.fim(M, points=[[0, 0]], metric="fancy"), "metric: unknown metric 'fancy'"),
        (lambda: ff.fim(M, points=[[0, 0]], damping=-1.0), "damping: damping must be a finite number >= 0"),
        (lambda: ff.fim(M, points=[[0, 0]], nodes=7), "nodes: nodes must be an even number"),
        (lambda: ff.fim(M, points=[[0, 0]], target="theta"), "target: expected a fisherflow.Model"),
        (lambda: ff.fim("model", points=[[0, 0]]), "model: expected a fisherflow.Model or a fisherflow.System"),
        (lambda: ff.fim(ff.System(), slice=("mu1", "mu2"), points=[[2, 3]]), "slice is the mixture's"),
        (lambda: ff.fim(M, points=[[0, 0]], metric="profiled", precision="f32"), 'metric: "profiled" at points'),
        (lambda: ff.fim(M, points=[[0, 0]], samples=100, precision="f32"), "samples: the sample estimates run in f64"),
        (lambda: ff.fim(M, points=[[0, 0]], seed=3), "seed needs samples N: the seed only picks the samples"),
        (lambda: ff.fim(ff.System(), points=[[2, 3]], samples=100), "samples is the mixture's"),
        (lambda: ff.field(M, extent=(1, 0, 0, 1), shape=(4, 4)), "extent: expected finite"),
        (lambda: ff.field(M, extent=(0, 1, 0, 1), shape=(0, 4)), "shape:"),
        (lambda: ff.field(M, extent=(0, 1, 0, 1), shape=(4.5, 4)), "shape:"),
        (lambda: ff.optimize(M, start=(0, 0), target=ff.Model(pi=0.3, mu1=1.0), lr=0.1, steps=5), "target: optimize runs on the slice"),
        (lambda: ff.optimize(M, start=(0, 0), lr=0.1, steps=5), "target: missing"),
        (lambda: ff.optimize(M, start=(0, 0), target=(1, 1), lr="fast", steps=5), "lr: expected a number or a dict"),
        (lambda: ff.optimize(M, start=(0, 0), target=(1, 1), lr={}, steps=5), "lr: the dict is empty"),
        (lambda: ff.optimize(M, start=(0, 0), target=(1, 1), optimizers=[], lr=0.1, steps=5), "optimizers: the list is empty"),
        (lambda: ff.geodesic(M, start=(0, 0, 1), end=(1, 1)), "start: expected two numbers"),
        (lambda: ff.System(plant="pendulum", omega2="fast"), "system: omega2: expected a number"),
        (lambda: ff.render("flow = 3", 100, 100), "scene: TOML parse error"),
        (lambda: ff.render({"grid": -4}, 100, 100), "scene:"),
        (lambda: ff.render(3, 100, 100), "scene: expected TOML text or a dict"),
        (lambda: ff.render({}, 10, 100), "width: must be from 16 to 4096 pixels, got 10"),
        # Numbers and names of the wrong type or beyond any range: ValueError naming the
        # argument, never an OverflowError or TypeError from the conversion.
        (lambda: ff.Model(pi="0.5"), "model: pi: expected a number"),
        (lambda: ff.Model(pi=None), "model: pi: expected a number"),
        (lambda: ff.Model(pi=True), "model: pi: expected a number"),
        (lambda: ff.Model(pi=np.array([0.5])), "model: pi: expected a number"),
        (lambda: ff.Model(foo=1.0), "model: unknown parameter 'foo'"),
        (lambda: ff.System(plant=5), "system: plant: expected"),
        (lambda: ff.System(plant="pendulum,plant=cart"), "is not a name"),
        (lambda: ff.System(plant="pendulum", **{"dt=1,r": 2.0}), "is not a name"),
        (lambda: ff.fim(M, points=[[0, 0]], nodes=-1), "nodes:"),
        (lambda: ff.fim(M, points=[[0, 0]], nodes=10**12), "nodes:"),
        (lambda: ff.fim(M, points=[[0, 0]], nodes=64.9), "nodes: expected a whole number"),
        (lambda: ff.fim(M, points=[[0, 0]], samples=-1), "samples:"),
        (lambda: ff.fim(M, points=[[0, 0]], samples=1.5), "samples: expected a whole number"),
        (lambda: ff.fim(M, points=[[0, 0]], metric=None), "metric: expected a string"),
        (lambda: ff.fim(M, points=[[0, 0]], device=None), "device: expected a string"),
        (lambda: ff.fim(M, points=[[0, 0]], damping="x"), "damping: expected a number"),
        (lambda: ff.fim(M, slice=5, points=[[0, 0]]), "slice: expected two parameter names"),
        (lambda: ff.fim(M, points=[[1, 2], [3]]), "points: expected an array of shape (N, 2)"),
        (lambda: ff.fim(M, points=np.ma.masked_array([[0.0, 0.0]], mask=[[True, False]])), "points: a masked array"),
        (lambda: ff.field(M, shape=5), "shape: expected (rows, columns)"),
        (lambda: ff.field(M, shape=(True, 2)), "shape: expected a whole number"),
        (lambda: ff.field(M, shape=(2**70, 2)), "shape: must be from 1 to 8192"),
        (lambda: ff.field(M, extent=None), "extent: expected"),
        (lambda: ff.field(ff.System(), metric="profiled", extent=(1, 2, 1, 2), shape=(2, 2)), "metric is the mixture's"),
        (lambda: ff.geodesic(M, start=(0, 0), direction=(1, 0), length="x"), "length: expected a number"),
        (lambda: ff.optimize(M, start=(0, 0), target=(1, 1), lr=0.1, steps=-1), "steps:"),
        (lambda: ff.optimize(M, start=(0, 0), target=(1, 1), lr=0.1, steps=2.7), "steps: expected a whole number"),
        (lambda: ff.optimize(M, start=(0, 0), target=(1, 1), optimizers=5, lr=0.1, steps=5), "optimizers: expected a list"),
        (lambda: ff.optimize(M, start=(0, 0), target=(1, 1), lr=0.1, steps=5, damping="x"), "damping: expected a number"),
        (lambda: ff.kfac(hidden=-1), "hidden:"),
        (lambda: ff.kfac(hidden="x"), "hidden: expected a whole number"),
        (lambda: ff.kfac(seed=-1), "seed:"),
        (lambda: ff.render({}, width=10**10), "width: must be from 16 to 4096 pixels"),
    ],
)
def test_bad_input_names_the_argument(call, mentions):
    got = message(call)
    assert mentions in got, f"{mentions!r} not in {got!r}"


def test_a_rust_panic_never_crosses_into_python():
    # pyo3 would raise PanicException, a BaseException that `except Exception` misses; the
    # package catches panics itself and raises RuntimeError, and the next call works.
    import fisherflow._native as native
    with pytest.raises(RuntimeError, match="a Rust panic: a deliberate panic"):
        native._panic_inside_for_tests()
    assert ff.fim(M, points=[[0.5, -0.5]]).fisher.shape == (1, 2, 2)
