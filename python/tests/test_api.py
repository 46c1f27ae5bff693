"""The package's surface: shapes and dtypes, the meshgrid order of fields, result objects with
to_dict(), docstrings for help(), the type stub, one call for many points from two threads,
and 10^6 points in one f32 call."""

import pathlib
import threading

import numpy as np
import pytest

import fisherflow as ff

M = ff.Model(pi=0.5, mu1=-1.5, mu2=1.0)
T = ff.Model(mu1=-1.5, mu2=1.0)


def test_model_defaults_repr_and_equality():
    m = ff.Model(mu1=-1.5)
    assert (m.pi, m.mu1, m.mu2, m.sigma1, m.sigma2) == (0.5, -1.5, 0.0, 1.0, 1.0)
    assert m == ff.Model(mu1=-1.5) and m != ff.Model(mu1=-1.4)
    assert repr(m) == "Model(pi=0.5, mu1=-1.5, mu2=0.0, sigma1=1.0, sigma2=1.0)"
    assert m.to_dict() == {"pi": 0.5, "mu1": -1.5, "mu2": 0.0, "sigma1": 1.0, "sigma2": 1.0}
    with pytest.raises(TypeError):
        ff.Model(0.5)  # keywords only: no silent mix-up of the order


def test_system_keys_and_optimum():
    s = ff.System(plant="pendulum", dt=0.05, omega2=9.81)
    assert s.plant == "pendulum"
    d = s.to_dict()
    assert d["plant"] == "pendulum" and d["dt"] == 0.05
    k, c = s.optimum()
    assert len(k) == 2 and c > 0


def test_fim_shapes_and_dtypes():
    pts = np.array([[0.1, 0.3], [1.0, -1.0], [0.5, 0.5]])
    r = ff.fim(M, slice=("mu1", "mu2"), points=pts, target=T)
    shapes = {"fisher": (3, 2, 2), "eigenvalues": (3, 2), "kappa": (3,), "kl": (3,), "grad": (3, 2),
              "natgrad": (3, 2), "angle_deg": (3,), "empirical_fisher": (3, 2, 2)}
    for key, shape in shapes.items():
        value = getattr(r, key)
        assert value.shape == shape and value.dtype == np.float64, key
    assert (r.eigenvalues[:, 0] >= r.eigenvalues[:, 1]).all(), "descending"
    # (0.5, 0.5) is on the singular diagonal: κ inf and the natural gradient NaN.
    assert np.isinf(r.kappa[2]) and np.isnan(r.natgrad[2]).all()
    assert np.isfinite(r.natgrad[:2]).all()
    # Without a target, no target keys.
    r = ff.fim(M, points=pts)
    assert set(r.to_dict()) == {"fisher", "eigenvalues", "kappa"}
    # float32 and integer points are read as float64.
    r32 = ff.fim(M, points=pts.astype(np.float32))
    assert r32.fisher.dtype == np.float64
    r_int = ff.fim(M, points=[[1, -1]])
    np.testing.assert_array_equal(r_int.fisher[0], ff.fim(M, points=[[1.0, -1.0]]).fisher[0])


def test_fim_to_dict_and_repr():
    r = ff.fim(M, points=[[0.1, 0.3]], target=T)
    d = r.to_dict()
    assert set(d) >= {"fisher", "kl", "natgrad"}
    assert d["fisher"] is r.fisher
    assert "fisher=array(1, 2, 2)" in repr(r)


def test_policy_fim_shapes_and_nan_where_unstable():
    s = ff.System(plant="pendulum", dt=0.05, omega2=9.81)
    r = ff.fim(s, points=np.array([[20.0, 5.0], [1.0, 1.0]]))
    assert r.stable.dtype == np.bool_ and r.stable.tolist() == [True, False]
    for key, shape in {"spectral_radius": (2,), "cost": (2,), "control_energy": (2,), "grad": (2, 2),
                       "fisher": (2, 2, 2), "natgrad": (2, 2), "gauss_newton": (2, 2), "eigenvalues": (2, 2),
                       "kappa": (2,)}.items():
        value = getattr(r, key)
        assert value.shape == shape and value.dtype == np.float64, key
        assert np.isfinite(value[0]).all(), key
        if key != "spectral_radius":
            assert np.isnan(value[1]).all(), f"{key} is NaN where unstable"
    assert r.spectral_radius[1] >= 1.0


def test_field_is_in_meshgrid_xy_order():
    f = ff.field(M, slice=("mu1", "mu2"), extent=(-3.0, 3.0, -2.0, 2.0), shape=(5, 7), target=T)
    assert f.a.shape == (7,) and f.b.shape == (5,)
    assert f.fisher.shape == (5, 7, 2, 2) and f.kl.shape == (5, 7)
    np.testing.assert_allclose(f.a, -3.0 + (np.arange(7) + 0.5) * 6.0 / 7)
    np.testing.assert_allclose(f.b, -2.0 + (np.arange(5) + 0.5) * 4.0 / 5)
    A, B = np.meshgrid(f.a, f.b)  # "xy": A[i, j] = a[j], B[i, j] = b[i]
    i, j = 1, 5
    one = ff.fim(M, points=[[A[i, j], B[i, j]]], target=T)
    np.testing.assert_array_equal(f.fisher[i, j], one.fisher[0])
    np.testing.assert_array_equal(f.kl[i, j], one.kl[0])
    # Transposed, the cell would not match (the test can tell the orders apart).
    assert not np.array_equal(f.fisher[j % 5, i], one.fisher[0])


def test_field_cells_outside_the_model_are_nan():
    f = ff.field(M, slice=("mu1", "sigma1"), extent=(-1.0, 1.0, -1.0, 1.0), shape=(4, 4))
    assert np.isnan(f.fisher[:2]).all(), "sigma1 < 0 in the lower rows"
    assert np.isfinite(f.fisher[2:]).all()


def test_policy_field():
    s = ff.System(plant="cart")
    f = ff.field(s, extent=(0.5, 6.0, 0.5, 6.0), shape=(8, 9))
    assert f.cost.shape == (8, 9) and f.stable.shape == (8, 9)
    assert f.stable.any() and np.isfinite(f.cost[f.stable]).all() and np.isnan(f.cost[~f.stable]).all()


def test_profiled_metric_differs_from_the_induced():
    m = ff.Model(pi=0.3, mu1=-1.0, mu2=1.5, sigma1=0.6, sigma2=1.4)
    pts = [[-1.0, 1.5]]
    induced = ff.fim(m, points=pts).fisher[0]
    profiled = ff.fim(m, points=pts, metric="profiled").fisher[0]
    # The Schur complement is below the block in the Loewner order.
    assert np.linalg.eigvalsh(induced - profiled).min() >= -1e-12
    assert not np.allclose(induced, profiled)


def test_geodesic_and_optimize_results():
    g = ff.geodesic(M, slice=("mu1", "mu2"), start=(0.5, -0.5), end=(1.5, 0.2))
    assert g.path.ndim == 2 and g.path.shape[1] == 2 and g.distance > 0
    np.testing.assert_allclose(g.path[0], (0.5, -0.5))
    np.testing.assert_allclose(g.path[-1], (1.5, 0.2))
    e = ff.geodesic(M, slice=("mu1", "mu2"), start=(0.5, -0.5), direction=(1.0, 0.0), length=0.8)
    assert e.stopped is None and e.length == pytest.approx(0.8) and e.end.shape == (2,)
    runs = ff.optimize(M, slice=("mu1", "mu2"), start=(0.1, 0.3), target=T, optimizers=["gd", "ngd"],
                       lr=0.1, steps=100)
    assert set(runs) == {"gd", "ngd"}
    ngd = runs["ngd"]
    assert ngd.theta.shape == (101, 2) and ngd.loss.shape == (101,) and ngd.fisher_rao_length.shape == (101,)
    assert ngd.stop["reason"] == "completed"
    assert ngd.loss[-1] < ngd.loss[0]
    # A target given by its coordinates is the same race.
    again = ff.optimize(M, start=(0.1, 0.3), target=(-1.5, 1.0), optimizers=["ngd"], lr=0.1, steps=100)
    np.testing.assert_array_equal(again["ngd"].theta, ngd.theta)


def test_kfac_result():
    k = ff.kfac(hidden=4, seed=2)
    assert set(k.weights) == {"W1", "W2", "W3"}
    assert [layer.layer for layer in k.layers] == [1, 2, 3]
    for layer in k.layers:
        n = layer.d_in * layer.d_out
        assert layer.exact.shape == (n, n) and layer.A.shape == (layer.d_in,) * 2 and layer.G.shape == (layer.d_out,) * 2
        assert 0.0 <= layer.rel_frobenius_error and -1.0 <= layer.natgrad_cosine <= 1.0
    k = ff.kfac(hidden=4, seed=2, matrices=False)
    assert not hasattr(k.layers[0], "exact")


def test_every_function_has_a_docstring_and_the_stub_ships():
    for f in (ff.fim, ff.field, ff.geodesic, ff.optimize, ff.kfac, ff.render, ff.gpu_adapter, ff.Model, ff.System):
        assert f.__doc__ and len(f.__doc__) > 80, f
    package = pathlib.Path(ff.__file__).parent
    stub = (package / "__init__.pyi").read_text()
    for name in ("def fim", "def field", "def geodesic", "def optimize", "def kfac", "def render", "class Model", "class System"):
        assert name in stub, name
    assert (package / "py.typed").is_file()


def test_two_threads_calling_fim_at_once_get_each_their_own_answer():
    rng = np.random.default_rng(7)
    inputs = [rng.uniform(-2, 2, size=(4000, 2)) for _ in range(2)]
    serial = [ff.fim(M, points=p, target=T).natgrad for p in inputs]
    results = [None, None]
    errors = []

    def work(k):
        try:
            results[k] = ff.fim(M, points=inputs[k], target=T).natgrad
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
        assert not t.is_alive(), "a thread did not finish"
    assert not errors, errors
    for k in range(2):
        np.testing.assert_array_equal(results[k], serial[k])
    assert not np.array_equal(results[0], results[1])


def test_a_million_points_in_one_f32_call():
    n = 1_000_000
    rng = np.random.default_rng(1)
    pts = rng.uniform(-2.0, 2.0, size=(n, 2))
    r = ff.fim(M, points=pts, target=T, precision="f32")
    assert r.fisher.shape == (n, 2, 2) and r.kl.shape == (n,)
    assert np.isfinite(r.fisher).all()
    # Spot checks against the f64 reference: F within 1e-4 of its norm (issue 10's f32 bar).
    idx = rng.choice(n, size=200, replace=False)
    ref = ff.fim(M, points=pts[idx], target=T)
    scale = np.linalg.norm(ref.fisher, axis=(1, 2))[:, None, None]
    assert (np.abs(r.fisher[idx] - ref.fisher) <= 1e-4 * scale).all()
    assert (np.abs(r.kl[idx] - ref.kl) <= np.maximum(1e-3 * ref.kl, 1e-6)).all()


def test_the_readme_example_runs(gpu, monkeypatch):
    """The README's Python example, as written (it uses the GPU adapter for field and render)."""
    root = pathlib.Path(__file__).resolve().parents[2]
    text = (root / "README.md").read_text()
    section = text[text.index("\n## Python\n"):]
    code = section[section.index("```python\n") + len("```python\n"):]
    code = code[:code.index("```")]
    monkeypatch.chdir(root)
    scope = {}
    exec(compile(code, "README.md (Python)", "exec"), scope)
    assert scope["img"].shape == (450, 800, 4)
    assert scope["r"].fisher.shape == (2, 2, 2)
    assert scope["f"].fisher.shape == (256, 256, 2, 2)
    assert set(scope["runs"]) == {"gd", "npg"}


def test_models_and_systems_pickle_hash_and_compare():
    import copy
    import pickle

    m = ff.Model(pi=0.3, mu1=-1.0)
    assert pickle.loads(pickle.dumps(m)) == m and copy.deepcopy(m) == m
    assert hash(m) == hash(ff.Model(pi=0.3, mu1=-1)) and len({m, ff.Model(pi=0.3, mu1=-1.0)}) == 1
    assert hash(m) != hash(ff.Model(pi=0.31, mu1=-1.0))
    s = ff.System(plant="pendulum", dt=0.05)
    assert pickle.loads(pickle.dumps(s)) == s
    assert s == ff.System(plant="pendulum", dt=0.05) and s != ff.System(plant="pendulum", dt=0.04)
    assert hash(s) == hash(ff.System(plant="pendulum", dt=0.05))
    (k1, k2), c = s.optimum()
    assert isinstance(k1, float) and c > 0


def test_notes_are_warnings():
    with pytest.warns(UserWarning, match="lr: npg is not selected; its rate is ignored"):
        ff.optimize(ff.System(), start=(2.0, 3.0), optimizers=["gd"], lr={"gd": 0.01, "npg": 0.1}, steps=3)
    with pytest.warns(UserWarning, match="damping applies to ngd-damped only"):
        ff.optimize(M, start=(0.1, 0.3), target=T, optimizers=["gd"], lr=0.1, steps=3, damping=0.01)


def test_geodesic_echoes_its_start_as_an_attribute():
    g = ff.geodesic(M, start=(-1.0, 0.0), end=(0.0, 1.0))
    np.testing.assert_array_equal(g.start, [-1.0, 0.0])
    np.testing.assert_array_equal(g.to, [0.0, 1.0])
