"""The public 30-digit references of both families (tests/data, copied from
shared/reference), to the CLI's tolerances: the mixture's general points to 1e-8 of each
quantity's scale (tests/cli/fim.rs), the seed's points to 1e-9, the policy plane's to 1e-10."""

import numpy as np
import pytest

import fisherflow as ff
from conftest import load


def close(got, want, rel, what):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    scale = max(np.max(np.abs(want)), 1e-300)
    err = np.max(np.abs(got - want)) / scale
    assert err <= rel, f"{what}: relative error {err:.2e} > {rel:.0e} ({got} vs {want})"


def test_close_catches_an_error_above_its_tolerance():
    close([1.0, 2.0], [1.0, 2.0 + 1e-9], 1e-8, "control")
    with pytest.raises(AssertionError):
        close([1.0, 2.0], [1.0, 2.0 + 1e-7], 1e-8, "perturbed")


def test_general_mixture_references():
    refs = load("public_general_points.json")
    assert len(refs) == 5
    for i, r in enumerate(refs):
        model = ff.Model(**r["model"])
        target = ff.Model(**r["target"]) if "target" in r else None
        a, b = r["slice"]
        got = ff.fim(model, slice=(a, b), points=[[getattr(model, a), getattr(model, b)]], target=target)
        close(got.fisher[0], r["fisher"], 1e-8, f"{i}: fisher")
        close(got.eigenvalues[0], r["eigenvalues"], 1e-8, f"{i}: eigenvalues")
        if target is not None:
            close(got.kl[0], r["kl"], 1e-8, f"{i}: kl")
            close(got.grad[0], r["grad"], 1e-8, f"{i}: grad")
            close(got.natgrad[0], r["natgrad"], 1e-7, f"{i}: natgrad")
            close(got.empirical_fisher[0], r["empirical_fisher"], 1e-8, f"{i}: empirical_fisher")


def test_seed_references_on_the_mixture_slice():
    refs = load("public_points.json")
    for i, r in enumerate(refs):
        s = float(r["sigma"])
        model = ff.Model(mu1=r["mu1"], mu2=r["mu2"], sigma1=s, sigma2=s)
        target = ff.Model(mu1=r["target"][0], mu2=r["target"][1], sigma1=s, sigma2=s)
        got = ff.fim(model, points=[[r["mu1"], r["mu2"]]], target=target, nodes=128)
        close(got.fisher[0], r["fisher"], 1e-9, f"{i}: fisher")
        close(got.eigenvalues[0], r["eigenvalues"], 1e-9, f"{i}: eigenvalues")
        close(got.kl[0], r["kl"], 1e-9, f"{i}: kl")
        if r["natgrad"] is None:
            assert np.isnan(got.natgrad[0]).all(), f"{i}: F is singular, natgrad NaN"
            assert np.isinf(got.kappa[0])
        else:
            close(got.natgrad[0], r["natgrad"], 1e-7, f"{i}: natgrad")


def test_policy_plane_references():
    refs = load("public_lqr_points.json")
    assert len(refs) == 5
    for i, r in enumerate(refs):
        system = ff.System(**r["system"])
        got = ff.fim(system, points=[r["gains"]])
        assert bool(got.stable[0]) == r["stable"], f"{i}: stable"
        close(got.spectral_radius[0], r["spectral_radius"], 1e-10, f"{i}: spectral_radius")
        if not r["stable"]:
            assert np.isnan(got.cost[0])
            continue
        for key in ("cost", "control_energy", "grad", "fisher", "natgrad", "gauss_newton", "eigenvalues", "kappa"):
            close(getattr(got, key)[0], r[key], 1e-10, f"{i}: {key}")


def test_the_optimum_of_the_pendulum():
    k_star, c_star = ff.System(plant="pendulum").optimum()
    got = ff.fim(ff.System(plant="pendulum"), points=[k_star])
    assert np.linalg.norm(got.grad[0]) <= 1e-8 * c_star, "the gradient vanishes at K*"
    assert got.cost[0] == pytest.approx(c_star, rel=1e-12)
