"""fisherflow for Python: the Fisher geometry of two families, NumPy arrays in and out.

* The two-component Gaussian mixture pi N(mu1, sigma1^2) + (1 - pi) N(mu2, sigma2^2)
  (:class:`Model`), on any slice of two of its five parameters.
* The policy plane (:class:`System`): a linear controller u = -K x + sigma e holding a cart or
  an inverted pendulum, on the plane of its gains K = (k1, k2).

Every function runs the Rust library the ``fisherflow`` command line runs. With
``device="cpu"`` and ``precision="f64"`` (the default) :func:`fim`, :func:`geodesic`,
:func:`optimize` and :func:`kfac` return exactly the numbers that ``fisherflow fim / geodesic /
optimize / kfac --json`` print for the same input. ``precision="f32"`` runs the CPU's SIMD path
and ``device="gpu"`` the viewer's WGSL kernels (f32). Bad input raises ``ValueError`` with the
CLI's message (its options spelt as the Python arguments); a failure inside raises
``RuntimeError``. Calls release the GIL and use every core.

The math is in MATH.md of the fisherflow repository.
"""

from __future__ import annotations

import json as _json
import math as _math
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

import numpy as _np

from . import _native
from ._native import Model, System

__all__ = [
    "Model",
    "System",
    "FimResult",
    "FieldResult",
    "Geodesic",
    "Run",
    "KfacResult",
    "KfacLayer",
    "fim",
    "field",
    "geodesic",
    "optimize",
    "kfac",
    "render",
    "gpu_adapter",
]

__version__ = _native.__version__

Family = Union[Model, System]
Pair = Tuple[float, float]


class _Record:
    """A result: attributes named as the CLI's JSON keys, and :meth:`to_dict`."""

    _fields: Tuple[str, ...] = ()

    def __init__(self, values: Mapping[str, Any]):
        self._values = dict(values)
        for key, value in self._values.items():
            setattr(self, key, value)

    def to_dict(self) -> Dict[str, Any]:
        """The attributes as a dict (arrays as they are; nested results as dicts)."""
        out = {}
        for key, value in self._values.items():
            if isinstance(value, _Record):
                value = value.to_dict()
            elif isinstance(value, list) and value and isinstance(value[0], _Record):
                value = [v.to_dict() for v in value]
            elif isinstance(value, dict):
                value = {k: v.to_dict() if isinstance(v, _Record) else v for k, v in value.items()}
            out[key] = value
        return out

    def __repr__(self) -> str:
        def describe(v: Any) -> str:
            if isinstance(v, _np.ndarray):
                return f"array{v.shape}"
            if isinstance(v, (list, dict)) and len(v) > 4:
                return f"{type(v).__name__}[{len(v)}]"
            return repr(v)

        inner = ", ".join(f"{k}={describe(v)}" for k, v in self._values.items())
        return f"{type(self).__name__}({inner})"


class FimResult(_Record):
    """Values at N points (arrays with N as their first axis).

    Mixture: ``fisher`` (N, 2, 2) in slice order, ``eigenvalues`` (N, 2) descending, ``kappa``
    (N,) (inf where F is singular); with a target also ``kl`` (N,), ``grad`` (N, 2),
    ``natgrad`` (N, 2) (NaN where F + damping I is singular), ``angle_deg`` (N,) and
    ``empirical_fisher`` (N, 2, 2).

    Policy plane: ``stable`` (N,) bool, ``spectral_radius``, ``cost``, ``control_energy``,
    ``grad``, ``fisher``, ``natgrad``, ``gauss_newton``, ``eigenvalues``, ``kappa`` (all but
    the first two NaN where the loop is unstable).
    """


class FieldResult(FimResult):
    """A field over an H x W grid: ``a`` (W,) and ``b`` (H,) are the cell centres, and every
    other array has (H, W) as its leading shape with ``[i, j]`` at ``(a[j], b[i])`` (NumPy's
    meshgrid "xy" order); the attributes are :class:`FimResult`'s. Cells outside the model are
    NaN."""


class Geodesic(_Record):
    """A Fisher-Rao geodesic, as ``fisherflow geodesic --json`` prints it.

    Shortest path (``end`` given): ``distance``, ``path`` (M, 2), ``method``,
    ``error_estimate``. Exponential map (``direction`` and ``length``): ``path`` (M, 2),
    ``end`` (2,), ``length`` (reached), ``stopped`` (None, or the CLI's reason such as
    "left the model"). Also the inputs echoed.
    """


class Run(_Record):
    """One optimizer's run, as in ``fisherflow optimize --json``: ``optimizer``, ``lr``,
    ``step`` (S+1,), ``theta`` (S+1, 2), ``loss`` (S+1,), ``fisher_rao_length`` (S+1,),
    ``euclidean_length`` (S+1,), and ``stop`` (a dict with ``reason`` and its details)."""


class KfacLayer(_Record):
    """One layer of the K-FAC lab: ``layer``, ``d_in``, ``d_out``, ``exact`` (n, n), ``A``
    (d_in, d_in), ``G`` (d_out, d_out) (the matrices unless ``matrices=False``),
    ``rel_frobenius_error`` and ``natgrad_cosine``."""


class KfacResult(_Record):
    """The K-FAC lab, as ``fisherflow kfac --json``: ``weights`` (a dict W1, W2, W3 of
    arrays), ``layers`` (a list of :class:`KfacLayer`), ``loss``, ``losses``, ``damping``,
    ``device``, ``factored_damping``, ``expectation``."""


def _int(name: str, value: Any, lo: int, hi: int) -> int:
    """A whole number in [lo, hi] (bool and floats refused), or ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, _np.integer)):
        raise ValueError(f"{name}: expected a whole number, got {value!r}")
    value = int(value)
    if not lo <= value <= hi:
        raise ValueError(f"{name}: must be from {lo} to {hi}, got {value}")
    return value


def _opt_int(name: str, value: Any, lo: int, hi: int) -> Optional[int]:
    return None if value is None else _int(name, value, lo, hi)


def _float(name: str, value: Any) -> float:
    """A real number (NaN and inf pass through to the range checks), or ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float, _np.integer, _np.floating)):
        raise ValueError(f"{name}: expected a number, got {value!r}")
    return float(value)


def _opt_float(name: str, value: Any) -> Optional[float]:
    return None if value is None else _float(name, value)


def _str(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name}: expected a string, got {value!r}")
    return value


def _opt_str(name: str, value: Any) -> Optional[str]:
    return None if value is None else _str(name, value)


_U32 = 2**32 - 1


def _floats(values: Any) -> _np.ndarray:
    """A nested list of numbers (None, the CLI's NaN) as a float64 array."""
    def clean(v: Any) -> Any:
        if v is None:
            return _math.nan
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v

    return _np.asarray(clean(values), dtype=_np.float64)


def _points(points: Any) -> _np.ndarray:
    """``points`` checked: real numbers of shape (N, 2), N >= 1, as C-contiguous float64."""
    if points is None:
        raise ValueError("points: missing; give an array of shape (N, 2) of slice coordinates")
    if _np.ma.isMaskedArray(points):
        raise ValueError("points: a masked array; pass the points to evaluate as a plain array")
    try:
        array = _np.asarray(points)
    except ValueError as e:
        raise ValueError(f"points: expected an array of shape (N, 2): {e}") from None
    if array.dtype.kind not in "fiu" or array.dtype == _np.float16:
        raise ValueError(
            f"points: expected real numbers (float64 or float32), got dtype {array.dtype}"
        )
    if array.ndim != 2 or array.shape[1] != 2 or array.shape[0] == 0:
        raise ValueError(f"points: expected an array of shape (N, 2) with N >= 1, got shape {array.shape}")
    return _np.ascontiguousarray(array, dtype=_np.float64)


def _pair(name: str, value: Any) -> Optional[Pair]:
    """A pair of numbers (a tuple, list or array of two), or None."""
    if value is None:
        return None
    try:
        array = _np.asarray(value)
    except ValueError:
        raise ValueError(f"{name}: expected two numbers (a, b), got {value!r}") from None
    if array.dtype.kind not in "fiu" or array.shape != (2,):
        raise ValueError(f"{name}: expected two numbers (a, b), got {value!r}")
    return (float(array[0]), float(array[1]))


def _slice(slice: Optional[Sequence[str]]) -> Optional[Tuple[str, str]]:
    if slice is None:
        return None
    if isinstance(slice, str):
        parts = [p.strip() for p in slice.split(",")]
    elif isinstance(slice, (tuple, list)):
        parts = list(slice)
    else:
        parts = []
    if len(parts) != 2 or not all(isinstance(p, str) for p in parts):
        raise ValueError(
            f"slice: expected two parameter names such as (\"mu1\", \"mu2\"), got {slice!r}"
        )
    return (parts[0], parts[1])


def _mixture_slice(slice: Optional[Sequence[str]]) -> Tuple[str, str]:
    return _slice(slice) or ("mu1", "mu2")


def _no_slice(family: System, slice: Any, function: str) -> None:
    if slice is not None:
        raise ValueError(
            "slice is the mixture's; on the policy plane the coordinates are the gains K = (k1, "
            f"k2): drop slice from {function}()"
        )


def _check_family(family: Any) -> None:
    if not isinstance(family, (Model, System)):
        raise ValueError(
            f"model: expected a fisherflow.Model or a fisherflow.System, got {type(family).__name__}"
        )


def _check_target(target: Any) -> Optional[Model]:
    if target is not None and not isinstance(target, Model):
        raise ValueError(f"target: expected a fisherflow.Model, got {type(target).__name__}")
    return target


def fim(
    model: Family,
    slice: Optional[Sequence[str]] = None,
    points: Any = None,
    target: Optional[Model] = None,
    metric: str = "induced",
    damping: float = 0.0,
    device: str = "cpu",
    precision: Optional[str] = None,
    nodes: int = 64,
    samples: Optional[int] = None,
    seed: Optional[int] = None,
) -> FimResult:
    """The Fisher matrix and what follows from it at N points, in one call.

    Mixture (``model`` a :class:`Model`): ``points`` (N, 2) are coordinates on ``slice`` (two
    parameter names, default ("mu1", "mu2")); the other three parameters come from ``model``.
    ``target`` (a :class:`Model`) adds L = KL(p_target || p), its gradient, the natural
    gradient (F + damping I)^-1 grad L, their angle and the empirical Fisher. ``metric``:
    "induced" (the slice's 2x2 block of F) or "profiled" (its Schur complement: the held
    parameters optimised out; f64 only at points). ``nodes``: Gauss-Legendre nodes per panel
    window (the CLI's --nodes; 64 is its default for these points).

    Policy plane (``model`` a :class:`System`): ``points`` are gains K = (k1, k2); no slice,
    target or metric.

    ``device="cpu"`` with ``precision="f64"`` (the default) gives exactly ``fisherflow fim
    --json``'s numbers; ``precision="f32"`` runs the SIMD CPU path; ``device="gpu"`` the
    viewer's kernels (f32).

    ``samples=N`` (2 to 2^20, with ``seed``, default 1) adds the finite-sample estimates of
    ``fisherflow fim --samples N --seed S``: ``mc_fisher`` (N, 2, 2), the Fisher from N samples
    of the model, and with a target ``empirical_fisher_samples`` (N, 2, 2), the empirical Fisher
    from N samples of the target (the mixture only; f64 on the CPU or the GPU's
    ``estimates.wgsl``). Returns a :class:`FimResult`.
    """
    _check_family(model)
    pts = _points(points)
    metric, device, precision = _str("metric", metric), _str("device", device), _opt_str("precision", precision)
    damping, nodes = _float("damping", damping), _int("nodes", nodes, 0, _U32)
    samples, seed = _opt_int("samples", samples, 0, _U32), _opt_int("seed", seed, 0, _U32)
    if isinstance(model, System):
        _no_slice(model, slice, "fim")
        if target is not None:
            raise ValueError("target is the mixture's; the policy plane's target is the optimum K* (computed): drop target")
        if metric != "induced":
            raise ValueError("metric is the mixture's; the policy plane has one metric F = Sigma_K / sigma^2: drop metric")
        if samples is not None or seed is not None:
            raise ValueError("samples is the mixture's (fisherflow fim --samples); the policy plane's rollout estimates are not offered here: drop samples")
        values = _native.fim_policy(model, pts, damping, device, precision)
    else:
        values = _native.fim_mixture(
            model, _mixture_slice(slice), pts, _check_target(target), metric, damping,
            device, precision, nodes, samples, seed,
        )
    return FimResult(values)


def field(
    model: Family,
    slice: Optional[Sequence[str]] = None,
    extent: Tuple[float, float, float, float] = (-3.0, 3.0, -3.0, 3.0),
    shape: Tuple[int, int] = (256, 256),
    target: Optional[Model] = None,
    metric: str = "induced",
    damping: float = 0.0,
    device: str = "cpu",
    precision: Optional[str] = None,
    nodes: int = 64,
) -> FieldResult:
    """A field of :func:`fim`'s values over a grid, as the viewer computes it.

    ``extent`` = (a_min, a_max, b_min, b_max) in slice coordinates (gains on the policy plane);
    ``shape`` = (H, W), rows along b and columns along a. The result's ``a`` (W,) and ``b``
    (H,) are the cell centres; ``f.fisher[i, j]`` is at ``(a[j], b[i])`` (meshgrid "xy"
    order). ``device="gpu"`` runs the viewer's grid kernels, ``precision="f32"`` their SIMD
    CPU mirrors, the default the f64 reference cell by cell. Cells outside the model are NaN.
    Returns a :class:`FieldResult`.
    """
    _check_family(model)
    if not isinstance(extent, (tuple, list, _np.ndarray)) or len(extent) != 4:
        raise ValueError(f"extent: expected (a_min, a_max, b_min, b_max), got {extent!r}")
    ext = tuple(_float("extent", v) for v in extent)
    if not isinstance(shape, (tuple, list)) or len(shape) != 2:
        raise ValueError(f"shape: expected (rows, columns) as two integers, got {shape!r}")
    shp = (_int("shape", shape[0], 1, 8192), _int("shape", shape[1], 1, 8192))
    metric, device, precision = _str("metric", metric), _str("device", device), _opt_str("precision", precision)
    damping, nodes = _float("damping", damping), _int("nodes", nodes, 0, _U32)
    if isinstance(model, System):
        _no_slice(model, slice, "field")
        if target is not None:
            raise ValueError("target is the mixture's; the policy plane's target is the optimum K* (computed): drop target")
        if metric != "induced":
            raise ValueError("metric is the mixture's; the policy plane has one metric F = Sigma_K / sigma^2: drop metric")
        values = _native.field_policy(model, ext, shp, damping, device, precision)
    else:
        values = _native.field_mixture(
            model, _mixture_slice(slice), ext, shp, _check_target(target), metric,
            damping, device, precision, nodes,
        )
    return FieldResult(values)


def geodesic(
    model: Family,
    slice: Optional[Sequence[str]] = None,
    start: Optional[Pair] = None,
    end: Optional[Pair] = None,
    direction: Optional[Pair] = None,
    length: Optional[float] = None,
    nodes: int = 64,
) -> Geodesic:
    """A Fisher-Rao geodesic on a slice of the mixture or on the policy plane (f64), as
    ``fisherflow geodesic --json``.

    ``geodesic(m, slice, start=(a, b), end=(a, b))``: the shortest path within the slice and
    its length (``distance``, ``path``). ``geodesic(m, slice, start, direction=(u, v),
    length=s)``: the exponential map, leaving ``start`` along ``direction`` at unit Fisher-Rao
    speed for length s (``path``, ``end``, ``length``, ``stopped``). On the policy plane the
    points are gains; a ray that reaches the stability triangle's edge stops there.
    """
    _check_family(model)
    if start is None:
        raise ValueError("start: missing; give the starting point (a, b)")
    if isinstance(model, System):
        _no_slice(model, slice, "geodesic")
    out = _native.geodesic(
        model, _slice(slice), _pair("start", start), _pair("end", end),
        _pair("direction", direction), _opt_float("length", length), _int("nodes", nodes, 0, _U32),
    )
    # The CLI's "from" is a Python keyword: the attribute is `start` (and "to" is kept).
    out["start"] = out.pop("from")
    for key in ("path", "start", "to", "end", "direction"):
        if key in out:
            out[key] = _floats(out[key])
    if "requested_length" in out:
        out.setdefault("stopped", None)
    return Geodesic(out)


def _warn(notes: Sequence[str]) -> None:
    """The CLI's notes (an option no selected optimizer uses, ...) as Python warnings."""
    import warnings

    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=3)


def _runs(out: Dict[str, Any]) -> Dict[str, Run]:
    runs = {}
    for run in out["runs"]:
        trajectory = run["trajectory"]
        values = {
            "optimizer": run["optimizer"],
            "lr": run["lr"],
            "step": _np.asarray([s["step"] for s in trajectory], dtype=_np.int64),
            "theta": _floats([s["theta"] for s in trajectory]).reshape(len(trajectory), 2),
            "loss": _floats([s["loss"] for s in trajectory]),
            "fisher_rao_length": _floats([s["fisher_rao_length"] for s in trajectory]),
            "euclidean_length": _floats([s["euclidean_length"] for s in trajectory]),
            "stop": run["stop"],
        }
        runs[run["optimizer"]] = Run(values)
    return runs


def optimize(
    model: Family,
    slice: Optional[Sequence[str]] = None,
    start: Optional[Pair] = None,
    target: Union[Model, Pair, None] = None,
    optimizers: Optional[Sequence[str]] = None,
    lr: Union[float, Mapping[str, float]] = 0.1,
    steps: int = 100,
    damping: Optional[float] = None,
    momentum: Optional[float] = None,
    beta1: Optional[float] = None,
    beta2: Optional[float] = None,
    eps: Optional[float] = None,
    samples: Optional[int] = None,
    horizon: Optional[int] = None,
    seed: Optional[int] = None,
    nodes: int = 64,
) -> Dict[str, Run]:
    """Race optimizers from one start (f64, CPU), as ``fisherflow optimize --json``.

    Mixture: ``start`` and ``target`` are on ``slice`` through ``model`` (``target`` a
    :class:`Model` on that slice, or its coordinates (a, b)); optimizers gd, momentum, adam,
    ngd, ngd-damped, ef-ngd, mc-ngd (default: all seven). Policy plane (``model`` a
    :class:`System`): ``start`` is gains K, the target the optimum K* (computed); optimizers
    gd, momentum, adam, npg, gauss-newton (default) and pg-mc, npg-mc. ``lr``: one rate or
    ``{"gd": 0.5, ...}``; the other keywords are the CLI's hyperparameters. Returns a dict
    optimizer name -> :class:`Run` (``theta`` = the slice coordinates or gains, ``loss`` = L or
    the cost C).
    """
    _check_family(model)
    if start is None:
        raise ValueError("start: missing; give the starting point (a, b)")
    sl = _slice(slice)
    target_pair = None
    if isinstance(model, System):
        _no_slice(model, slice, "optimize")
        if target is not None:
            raise ValueError("target is the mixture's; on the policy plane the target is the optimum K* (computed): drop target")
    else:
        if target is None:
            raise ValueError("target: missing; give the target as a Model on the slice, or its slice coordinates (a, b)")
        sl = sl or ("mu1", "mu2")
        if isinstance(target, Model):
            held = [p for p in ("pi", "mu1", "mu2", "sigma1", "sigma2") if p not in sl]
            differ = [p for p in held if getattr(target, p) != getattr(model, p)]
            if differ:
                names = ", ".join(f"{p}={getattr(target, p)} (model: {getattr(model, p)})" for p in differ)
                raise ValueError(
                    f"target: optimize runs on the slice {sl} through the model, but the target's "
                    f"held parameters differ: {names}; give a target with the model's held "
                    "parameters, or its slice coordinates (a, b)"
                )
            target_pair = (getattr(target, sl[0]), getattr(target, sl[1]))
        else:
            target_pair = _pair("target", target)
    if optimizers is not None:
        if isinstance(optimizers, str):
            optimizers = [optimizers]
        if not isinstance(optimizers, (list, tuple)) or not all(isinstance(o, str) for o in optimizers):
            raise ValueError(f"optimizers: expected a list of optimizer names, got {optimizers!r}")
        optimizers = list(optimizers)
    if isinstance(lr, Mapping):
        lr = {_str("lr", k): _float(f"lr: {k}", v) for k, v in lr.items()}
    elif isinstance(lr, bool) or not isinstance(lr, (int, float, _np.integer, _np.floating)):
        raise ValueError(f"lr: expected a number or a dict {{name: rate}}, got {lr!r}")
    else:
        lr = float(lr)
    out = _native.optimize(
        model, sl, _pair("start", start), target_pair, optimizers, lr,
        _int("steps", steps, 0, _U32), _opt_float("damping", damping),
        _opt_float("momentum", momentum), _opt_float("beta1", beta1), _opt_float("beta2", beta2),
        _opt_float("eps", eps), _opt_int("samples", samples, 0, _U32),
        _opt_int("horizon", horizon, 0, _U32), _opt_int("seed", seed, 0, _U32),
        _int("nodes", nodes, 0, _U32),
    )
    _warn(out.pop("notes", []))
    return _runs(out)


def kfac(
    hidden: int = 16,
    seed: int = 1,
    target: Optional[Model] = None,
    train_steps: int = 0,
    optimizer: str = "sgd",
    lr: float = 0.1,
    damping: float = 1e-3,
    device: str = "cpu",
    samples: Optional[int] = None,
    nodes: int = 256,
    matrices: bool = True,
) -> KfacResult:
    """The K-FAC lab, as ``fisherflow kfac --json``: a 1-H-H-2 classifier of the mixture's
    labels (Xavier weights from ``seed``, optionally trained ``train_steps`` steps of
    ``optimizer`` sgd, kfac or ngd), and per layer the exact Fisher block, K-FAC's factors A
    and G, the relative Frobenius error of G (x) A and the cosine between the exact and the
    factored damped natural gradients. ``target``: the mixture x is drawn from (default
    0.5 N(-1.5, 1) + 0.5 N(1.5, 1)). Returns a :class:`KfacResult`.
    """
    if not isinstance(matrices, (bool, _np.bool_)):
        raise ValueError(f"matrices: expected True or False, got {matrices!r}")
    out = _native.kfac(
        _int("hidden", hidden, 0, 2**31), _int("seed", seed, 0, _U32), _check_target(target),
        _int("train_steps", train_steps, 0, _U32), _str("optimizer", optimizer),
        _float("lr", lr), _float("damping", damping), _str("device", device),
        _opt_int("samples", samples, 0, _U32), _int("nodes", nodes, 0, _U32), bool(matrices),
    )
    out["weights"] = {k: _floats(v) for k, v in out["weights"].items()}
    out["losses"] = _floats(out["losses"])
    layers = []
    for layer in out["layers"]:
        for key in ("exact", "A", "G"):
            if key in layer:
                layer[key] = _floats(layer[key])
        layers.append(KfacLayer(layer))
    out["layers"] = layers
    return KfacResult(out)


def render(
    scene: Union[str, Mapping[str, Any]],
    width: int = 800,
    height: int = 450,
    overlay: bool = True,
) -> _np.ndarray:
    """One frame of a scene as an (height, width, 4) uint8 RGBA array.

    ``scene``: a scene file's TOML text (as ``fisherflow view --scene`` reads and the viewer's
    Save writes) or the same keys as a dict. The frame is the first frame ``fisherflow
    capture`` draws for a scenario with that scene (deterministic: the race, paths and maps
    computed in the frame), on the GPU adapter.
    """
    if isinstance(scene, str):
        text, is_json = scene, False
    elif isinstance(scene, Mapping):
        try:
            text = _json.dumps(scene)
        except (TypeError, ValueError) as e:
            raise ValueError(f"scene: the dict must hold numbers, strings, lists and dicts: {e}") from None
        is_json = True
    else:
        raise ValueError(f"scene: expected TOML text or a dict, got {type(scene).__name__}")
    for name, v in (("width", width), ("height", height)):
        if not isinstance(v, (int, _np.integer)) or isinstance(v, bool):
            raise ValueError(f"{name}: expected a whole number of pixels, got {v!r}")
        if not 16 <= v <= 4096:
            raise ValueError(f"{name}: must be from 16 to 4096 pixels, got {v}")
    return _native.render(text, is_json, int(width), int(height), bool(overlay))


def gpu_adapter() -> str:
    """The GPU adapter ``device="gpu"`` and :func:`render` use (opening it if need be); a
    RuntimeError where there is none."""
    return _native.gpu_adapter()
