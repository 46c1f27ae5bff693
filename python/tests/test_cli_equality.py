"""With device="cpu", precision="f64" the package returns exactly the numbers the CLI prints
(`fisherflow fim/geodesic/optimize/kfac --json`), bit for bit, on both families."""

import json

import numpy as np
import pytest

import fisherflow as ff
from conftest import cli_json


def same(got, want, what):
    """Bit-for-bit equality of arrays (NaN equals NaN; the CLI's null is NaN, or inf for κ)."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} vs {want.shape}"
    both_nan = np.isnan(got) & np.isnan(want)
    differ = ~both_nan & (got != want)
    assert not differ.any(), f"{what}: differs at {np.argwhere(differ)[:3].tolist()}: {got[differ][:3]} vs {want[differ][:3]}"


def nulls(value, fill):
    if value is None:
        return fill
    if isinstance(value, list):
        return [nulls(v, fill) for v in value]
    return value


def test_same_rejects_one_ulp_and_a_nan():
    a = np.array([0.25, 1.0])
    same(a, a.copy(), "control")
    with pytest.raises(AssertionError):
        same(a, np.array([0.25, np.nextafter(1.0, 2.0)]), "one ulp")
    with pytest.raises(AssertionError):
        same(a, np.array([0.25, np.nan]), "a NaN")
    with pytest.raises(AssertionError):
        same(a, a[:1], "shape")


MIXTURE_CASES = [
    # (model, slice, points, target, damping)
    (ff.Model(mu1=-1.5, mu2=1.0), ("mu1", "mu2"), [[0.1, 0.3], [1.0, -1.0], [0.5, 0.5]],
     ff.Model(mu1=-1.5, mu2=1.0), 0.0),
    (ff.Model(pi=0.3, mu1=-1.0, mu2=1.5, sigma1=0.6, sigma2=1.4), ("pi", "mu1"),
     [[0.3, -1.0], [0.7, 0.2], [0.05, 2.0]], ff.Model(pi=0.35, mu1=-1.1, mu2=1.5, sigma1=0.6, sigma2=1.4), 1e-3),
    (ff.Model(mu1=-0.5, mu2=0.8), ("sigma1", "sigma2"), [[0.6, 1.4], [1.0, 1.0]], None, 0.0),
    (ff.Model(pi=1.0, mu2=2.0), ("mu1", "sigma1"), [[0.2, 0.8], [-1.0, 2.5]],
     ff.Model(pi=1.0, mu1=0.5, mu2=2.0, sigma1=1.2), 0.0),
]


@pytest.mark.parametrize("case", range(len(MIXTURE_CASES)))
def test_fim_equals_the_cli_json_bit_for_bit(case, tmp_path):
    model, slice_, points, target, damping = MIXTURE_CASES[case]
    got = ff.fim(model, slice=slice_, points=np.array(points), target=target, damping=damping)
    entries = []
    for xy in points:
        m = model.to_dict()
        m[slice_[0]], m[slice_[1]] = xy
        entry = {"model": m, "slice": list(slice_)}
        if target is not None:
            entry["target"] = target.to_dict()
        entries.append(entry)
    file = tmp_path / "points.json"
    file.write_text(json.dumps(entries))
    want = cli_json("fim", "--points", file, "--json", "--nodes", 64, "--damping", damping)["points"]
    assert len(want) == len(points)
    same(got.fisher, [w["fisher"] for w in want], "fisher")
    same(got.eigenvalues, [w["eigenvalues"] for w in want], "eigenvalues")
    same(got.kappa, [nulls(w["kappa"], float("inf")) for w in want], "kappa")
    if target is None:
        assert not hasattr(got, "kl")
        return
    same(got.kl, [w["kl"] for w in want], "kl")
    same(got.grad, [w["grad"] for w in want], "grad")
    same(got.natgrad, [nulls(w["natgrad"], [np.nan, np.nan]) for w in want], "natgrad")
    same(got.angle_deg, [nulls(w["angle_deg"], np.nan) for w in want], "angle_deg")
    same(got.empirical_fisher, [w["empirical_fisher"] for w in want], "empirical_fisher")


def test_fim_on_the_policy_plane_equals_the_cli(tmp_path):
    keys = ["spectral_radius", "cost", "control_energy", "grad", "fisher", "natgrad",
            "gauss_newton", "eigenvalues", "kappa"]
    for system, spec, points in [
        (ff.System(plant="pendulum", dt=0.05, omega2=9.81), {"plant": "pendulum", "dt": 0.05, "omega2": 9.81},
         [[20.0, 5.0], [30.0, 8.0], [1.0, 1.0]]),
        (ff.System(plant="cart", friction=0.5, r=0.01), {"plant": "cart", "friction": 0.5, "r": 0.01},
         [[5.0, 6.0], [2.0, 3.0], [-1.0, -1.0]]),
    ]:
        for damping in (0.0, 0.1):
            got = ff.fim(system, points=np.array(points), damping=damping)
            file = tmp_path / "policy.json"
            file.write_text(json.dumps([{"system": spec, "gains": p} for p in points]))
            want = cli_json("fim", "--points", file, "--json", "--damping", damping)["points"]
            np.testing.assert_array_equal(got.stable, [w["stable"] for w in want])
            assert not got.stable.all(), "the test needs an unstable point (its values NaN)"
            for key in keys:
                fill = {"fisher": [[np.nan] * 2] * 2, "grad": [np.nan] * 2, "natgrad": [np.nan] * 2,
                        "gauss_newton": [np.nan] * 2, "eigenvalues": [np.nan] * 2}.get(key, np.nan)
                same(getattr(got, key), [nulls(w[key], fill) for w in want], f"{system}: {key}")


def test_geodesic_equals_the_cli():
    m = ff.Model(pi=0.5, mu1=0.0, mu2=0.0, sigma1=1.0, sigma2=1.0)
    g = ff.geodesic(m, slice=("mu1", "mu2"), start=(0.5, -0.5), end=(1.5, 0.2))
    want = cli_json("geodesic", "--model", "pi=0.5,mu1=0,mu2=0,sigma1=1,sigma2=1", "--slice",
                    "mu1,mu2", "--from=0.5,-0.5", "--to", "1.5,0.2", "--json")
    assert g.distance == want["distance"]
    same(g.path, want["path"], "path")
    assert g.method == want["method"]

    m = ff.Model(pi=0.3, mu1=-1.0, mu2=1.5, sigma1=0.6, sigma2=1.4)
    g = ff.geodesic(m, slice=("pi", "mu1"), start=(0.3, -1.0), direction=(1.0, 0.0), length=0.8)
    want = cli_json("geodesic", "--model", "pi=0.3,mu1=-1,mu2=1.5,sigma1=0.6,sigma2=1.4",
                    "--slice", "pi,mu1", "--from=0.3,-1", "--direction", "1,0", "--length", "0.8", "--json")
    same(g.path, want["path"], "path")
    same(g.end, want["end"], "end")
    assert g.length == want["length"]
    assert g.stopped == want.get("stopped")

    # The policy plane; a long ray that reaches the triangle's edge stops there.
    s = ff.System(plant="pendulum")
    g = ff.geodesic(s, start=(20.0, 5.0), direction=(-1.0, 0.0), length=200.0)
    want = cli_json("geodesic", "--system", "plant=pendulum", "--from", "20,5", "--direction=-1,0",
                    "--length", "200", "--json")
    same(g.path, want["path"], "policy path")
    assert g.stopped == want["stopped"] == "left the model"
    assert g.length < 200.0


def test_optimize_equals_the_cli():
    m = ff.Model(mu1=-1.5, mu2=1.0)
    runs = ff.optimize(m, slice=("mu1", "mu2"), start=(0.1, 0.3), target=ff.Model(mu1=-1.5, mu2=1.0),
                       optimizers=["gd", "ngd", "adam", "mc-ngd"], lr={"gd": 0.5, "ngd": 0.1, "adam": 0.05, "mc-ngd": 0.1},
                       steps=60, beta1=0.8, samples=500, seed=3)
    want = cli_json("optimize", "--model", "pi=0.5,mu1=-1.5,mu2=1,sigma1=1,sigma2=1", "--start", "0.1,0.3",
                    "--target=-1.5,1", "--optimizer", "gd,ngd,adam,mc-ngd", "--lr", "gd=0.5,ngd=0.1,adam=0.05,mc-ngd=0.1",
                    "--steps", 60, "--beta1", 0.8, "--samples", 500, "--seed", 3, "--json")
    assert list(runs) == [r["optimizer"] for r in want["runs"]]
    for r in want["runs"]:
        got = runs[r["optimizer"]]
        traj = r["trajectory"]
        assert got.theta.shape == (len(traj), 2)
        same(got.theta, [s["theta"] for s in traj], f"{r['optimizer']} theta")
        same(got.loss, [nulls(s["loss"], np.nan) for s in traj], f"{r['optimizer']} loss")
        same(got.fisher_rao_length, [s["fisher_rao_length"] for s in traj], "fisher_rao_length")
        assert got.stop == r["stop"]
        assert got.lr == r["lr"]

    s = ff.System(plant="pendulum", dt=0.05, omega2=9.81)
    runs = ff.optimize(s, start=(20.0, 5.0), optimizers=["gd", "npg"], lr=0.001, steps=40)
    want = cli_json("optimize", "--system", "plant=pendulum,dt=0.05,omega2=9.81", "--start", "20,5",
                    "--optimizer", "gd,npg", "--lr", "0.001", "--steps", 40, "--json")
    for r in want["runs"]:
        same(runs[r["optimizer"]].theta, [x["theta"] for x in r["trajectory"]], "gains")
        same(runs[r["optimizer"]].loss, [x["loss"] for x in r["trajectory"]], "cost")


def test_kfac_equals_the_cli():
    target = ff.Model(pi=0.35, mu1=-1.1, mu2=0.9, sigma1=0.6, sigma2=1.2)
    k = ff.kfac(hidden=8, seed=1, target=target, train_steps=3)
    want = cli_json("kfac", "--hidden", 8, "--seed", 1, "--target-model",
                    "pi=0.35,mu1=-1.1,mu2=0.9,sigma1=0.6,sigma2=1.2", "--train-steps", 3, "--json")
    for name in ("W1", "W2", "W3"):
        same(k.weights[name], want["weights"][name], name)
    assert len(k.layers) == 3
    for got, w in zip(k.layers, want["layers"]):
        for key in ("exact", "A", "G"):
            same(getattr(got, key), w[key], f"layer {w['layer']} {key}")
        assert got.rel_frobenius_error == w["rel_frobenius_error"]
        assert got.natgrad_cosine == w["natgrad_cosine"]
    assert k.loss == want["loss"]
    same(k.losses, want["losses"], "losses")


def test_sample_estimates_equal_the_cli(tmp_path):
    model, target = ff.Model(pi=0.4, mu1=-1.0, mu2=1.2), ff.Model(pi=0.5, mu1=-1.5, mu2=1.0)
    points = [[-1.0, 1.2], [0.3, 0.8]]
    got = ff.fim(model, points=np.array(points), target=target, samples=2000, seed=7)
    file = tmp_path / "points.json"
    m = model.to_dict()
    entries = []
    for xy in points:
        m["mu1"], m["mu2"] = xy
        entries.append({"model": dict(m), "slice": ["mu1", "mu2"], "target": target.to_dict()})
    file.write_text(json.dumps(entries))
    want = cli_json("fim", "--points", file, "--json", "--nodes", 64, "--samples", 2000, "--seed", 7)["points"]
    same(got.mc_fisher, [w["mc_fisher"] for w in want], "mc_fisher")
    same(got.empirical_fisher_samples, [w["empirical_fisher_samples"] for w in want], "EF samples")
    # Without a target there is no data to sample: only the MC Fisher.
    plain = ff.fim(model, points=np.array(points), samples=2000, seed=7)
    assert not hasattr(plain, "empirical_fisher_samples")
    same(plain.mc_fisher, got.mc_fisher, "mc_fisher without a target")
    # Another seed, other samples.
    assert not np.array_equal(ff.fim(model, points=np.array(points), samples=2000, seed=8).mc_fisher, got.mc_fisher)
