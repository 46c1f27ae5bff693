"""The GPU paths (the viewer's kernels) against the CPU, and render() against the CLI's capture
of the same scene. These run on the software adapter lavapipe in CI; they fail where no adapter
exists unless FISHERFLOW_SKIP_GPU_TESTS=1 is set by hand."""

import numpy as np
import pytest
from PIL import Image

import fisherflow as ff
from conftest import run_cli

M = ff.Model(pi=0.3, mu1=-1.0, mu2=1.5, sigma1=0.6, sigma2=1.4)
T = ff.Model(pi=0.35, mu1=-1.1, mu2=1.5, sigma1=0.6, sigma2=1.4)


def within(got, want, tol, what):
    """Each entry within tol of the largest |entry| of its item (issue 10's f32 bar)."""
    got, want = np.asarray(got), np.asarray(want)
    axes = tuple(range(want.ndim - 2, want.ndim)) if want.ndim >= 3 else None
    scale = np.max(np.abs(want), axis=axes, keepdims=True) if axes else np.abs(want)
    bad = np.abs(got - want) > tol * np.maximum(scale, 1e-30)
    assert not bad.any(), f"{what}: {bad.sum()} entries off by more than {tol:g} (first: {got[bad][:3]} vs {want[bad][:3]})"


def test_within_catches_a_perturbed_cell():
    want = np.ones((3, 2, 2))
    within(want + 1e-6, want, 1e-4, "control")
    bad = want.copy()
    bad[1, 0, 1] += 1e-2
    with pytest.raises(AssertionError):
        within(bad, want, 1e-4, "perturbed")


@pytest.mark.parametrize("slice_, extent", [
    (("mu1", "mu2"), (-3.0, 3.0, -3.0, 3.0)),
    (("pi", "mu1"), (0.05, 0.95, -2.5, 2.5)),
    (("sigma1", "sigma2"), (0.3, 2.0, 0.4, 2.5)),
])
def test_gpu_field_agrees_with_the_cpu(gpu, slice_, extent):
    kw = dict(slice=slice_, extent=extent, shape=(24, 32), target=T)
    g = ff.field(M, device="gpu", **kw)
    c = ff.field(M, **kw)
    s = ff.field(M, precision="f32", **kw)
    np.testing.assert_array_equal(g.a, c.a)
    within(g.fisher, c.fisher, 1e-4, f"{slice_} gpu fisher")
    within(s.fisher, c.fisher, 1e-4, f"{slice_} simd fisher")
    within(g.empirical_fisher, c.empirical_fisher, 1e-4, f"{slice_} gpu EF")
    kl_tol = np.maximum(1e-3 * c.kl, 1e-6)
    assert (np.abs(g.kl - c.kl) <= kl_tol).all(), f"{slice_}: gpu KL"
    assert (np.abs(s.kl - c.kl) <= kl_tol).all(), f"{slice_}: simd KL"


def test_gpu_field_profiled_metric(gpu):
    kw = dict(slice=("pi", "mu1"), extent=(0.1, 0.9, -2.0, 2.0), shape=(12, 16), metric="profiled")
    g = ff.field(M, device="gpu", **kw)
    c = ff.field(M, **kw)
    ok = np.isfinite(c.fisher).all(axis=(2, 3))
    assert ok.mean() > 0.9
    within(g.fisher[ok], c.fisher[ok], 1e-3, "profiled fisher")


def test_gpu_points_agree_with_the_cpu(gpu):
    pts = np.array([[0.3, -1.0], [0.7, 0.2], [0.05, 2.0], [0.5, -0.2]])
    g = ff.fim(M, slice=("pi", "mu1"), points=pts, target=T, device="gpu")
    c = ff.fim(M, slice=("pi", "mu1"), points=pts, target=T)
    within(g.fisher, c.fisher, 1e-4, "points fisher")
    within(g.grad[:, None, :], c.grad[:, None, :], 1e-3, "points grad")


def test_gpu_policy_plane_agrees_with_the_cpu(gpu):
    s = ff.System(plant="pendulum", dt=0.05, omega2=9.81)
    kw = dict(extent=(5.0, 60.0, 1.0, 14.0), shape=(16, 20))
    g = ff.field(s, device="gpu", **kw)
    c = ff.field(s, **kw)
    m = ff.field(s, precision="f32", **kw)
    # Cells within 1% of the triangle's edge may fall either side in f32.
    inside = c.stable & (c.spectral_radius < 0.99)
    assert inside.sum() > 50
    np.testing.assert_array_equal(g.stable[inside], True)
    for got, name in ((g, "gpu"), (m, "f32 mirror")):
        rel = np.abs(got.cost[inside] - c.cost[inside]) / c.cost[inside]
        assert rel.max() <= 1e-4, f"{name} cost: {rel.max():.2e}"
        within(got.fisher[inside], c.fisher[inside], 1e-4, f"{name} fisher")
    p = ff.fim(s, points=[[20.0, 5.0]], device="gpu")
    assert abs(p.cost[0] / ff.fim(s, points=[[20.0, 5.0]]).cost[0] - 1) <= 1e-5


def toml_text(scene, prefix=""):
    """A small TOML writer for the test's scenes (numbers, strings, booleans, lists, tables)."""
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return '"' + v + '"'
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return repr(v)

    lines = [f"{k} = {value(v)}" for k, v in scene.items() if not isinstance(v, dict)]
    for k, v in scene.items():
        if isinstance(v, dict):
            lines.append(f"\n[{prefix}{k}]")
            lines.extend(f"{kk} = {value(vv)}" for kk, vv in v.items())
    return "\n".join(lines) + "\n"


SCENES = {
    "general slice, heatmap, ball, race": {
        "slice": ["pi", "mu1"],
        "model": {"pi": 0.6, "mu1": -1.0, "mu2": 1.5, "sigma1": 1.0, "sigma2": 1.0},
        "grid": 24,
        "heatmap": "log10_kappa",
        "geodesics": {"ball": True, "rays": 32},
        "race": {"enabled": True},
    },
    "seed slice with the flow": {
        "grid": 20,
        "flow": {"enabled": True, "particles": 1000},
    },
    "policy plane": {
        "system": {"plant": "pendulum"},
        "grid": 24,
    },
}


def capture(tmp_path, scene, width, height):
    tmp_path.mkdir(parents=True, exist_ok=True)
    scenario = tmp_path / "one_frame.toml"
    scenario.write_text(
        f"duration = {1 / 30!r}\nfps = 30\nwidth = {width}\nheight = {height}\n\n[scene]\n"
        + toml_text(scene, prefix="scene.")
    )
    out = tmp_path / "frames"
    code, _, err = run_cli("capture", "--scenario", scenario, "--out", out, "--format", "png")
    assert code == 0, err
    frames = sorted(out.iterdir())
    assert len(frames) == 1, frames
    return np.asarray(Image.open(frames[0]).convert("RGBA"))


def test_render_equals_the_cli_capture_of_the_same_scene(gpu, tmp_path):
    width, height = 240, 160
    images = {}
    for name, scene in SCENES.items():
        img = ff.render(scene, width=width, height=height)
        assert img.shape == (height, width, 4) and img.dtype == np.uint8
        want = capture(tmp_path / name.replace(" ", "_").replace(",", ""), scene, width, height)
        differ = np.any(img != want, axis=2)
        assert not differ.any(), f"{name}: {differ.sum()} pixels differ from the capture"
        # The same scene as TOML text renders the same image.
        np.testing.assert_array_equal(ff.render(toml_text(scene), width=width, height=height), img)
        images[name] = img
    # The scenes differ (so the comparison can fail), and a renderer reused after another scene
    # starts afresh: the first scene again gives its first image.
    assert not np.array_equal(images["seed slice with the flow"], images["policy plane"])
    first = next(iter(SCENES))
    np.testing.assert_array_equal(ff.render(SCENES[first], width=width, height=height), images[first])


def test_capture_comparison_can_fail(gpu, tmp_path):
    scene = SCENES["policy plane"]
    moved = dict(scene, grid=12)
    want = capture(tmp_path, scene, 240, 160)
    assert np.any(ff.render(moved, width=240, height=160) != want)


def test_gpu_sample_estimates_agree_with_the_cpu(gpu):
    # The same seeded samples on both devices: the GPU's f32 sums within 1e-4 of the block.
    pts = np.array([[0.3, -1.0], [0.7, 0.2]])
    kw = dict(slice=("pi", "mu1"), points=pts, target=T, samples=4096, seed=3)
    g = ff.fim(M, device="gpu", **kw)
    c = ff.fim(M, **kw)
    within(g.mc_fisher, c.mc_fisher, 1e-4, "mc_fisher")
    within(g.empirical_fisher_samples, c.empirical_fisher_samples, 1e-4, "EF samples")


def test_seed_slice_field_runs_the_seed_kernel_and_agrees_with_the_cpu(gpu):
    # On the seed's slice (pi = 1/2, sigma1 = sigma2, a target of the same sigma) the f32 paths
    # are the seed kernel's (the viewer's field there), Q nodes per component.
    seed = ff.Model(mu1=-1.5, mu2=1.0, sigma1=0.8, sigma2=0.8)
    target = ff.Model(mu1=-1.5, mu2=1.0, sigma1=0.8, sigma2=0.8)
    kw = dict(slice=("mu1", "mu2"), extent=(-3.0, 3.0, -2.5, 2.5), shape=(20, 24), target=target)
    c = ff.field(seed, **kw)
    for path in (dict(device="gpu"), dict(precision="f32")):
        got = ff.field(seed, **kw, **path)
        off_diagonal = np.abs(c.a[None, :] - c.b[:, None]) > 0.3
        within(got.fisher, c.fisher, 1e-4, f"{path} fisher")
        within(got.grad[off_diagonal][:, None, :], c.grad[off_diagonal][:, None, :], 1e-3, f"{path} grad")
        kl_tol = np.maximum(1e-3 * c.kl, 1e-6)
        assert (np.abs(got.kl - c.kl) <= kl_tol).all(), f"{path} KL"
    # Without a target the seed kernel's target half is dropped.
    plain = ff.field(seed, slice=("mu1", "mu2"), extent=(-3.0, 3.0, -2.5, 2.5), shape=(20, 24), precision="f32")
    assert not hasattr(plain, "kl")
    within(plain.fisher, c.fisher, 1e-4, "no target")
