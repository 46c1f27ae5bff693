"""Writes tour.ipynb (unexecuted) from the cells below; `python make_tour.py --execute` also runs
it with nbclient and stores the outputs (what the repository keeps, so the figures show on the
web). CI executes the notebook again in python/tests/test_tour.py."""

import pathlib
import sys

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = pathlib.Path(__file__).resolve().parent

cells = [
    new_markdown_cell("""# A tour of fisherflow from Python

`import fisherflow as ff` gives the Fisher geometry of two families as NumPy arrays:

* the two-component Gaussian mixture π N(μ1, σ1²) + (1 − π) N(μ2, σ2²) on any slice of two of its
  five parameters (`ff.Model`), and
* the **policy plane** (`ff.System`): the two feedback gains K = (k1, k2) of a controller holding
  a cart or an inverted pendulum, with the LQR cost as the loss.

Every number below is the one `fisherflow fim / geodesic / optimize / kfac --json` prints for the
same input (f64 on the CPU, the default), or the viewer's kernels with `device="gpu"`. The math is
in MATH.md."""),
    new_code_cell("""import numpy as np
import matplotlib.pyplot as plt
from matplotlib.patches import Ellipse
import fisherflow as ff

plt.rcParams.update({"figure.dpi": 80, "figure.figsize": (6.4, 4.8)})
print("fisherflow", ff.__version__)"""),
    new_markdown_cell("""## The seed's picture: metric ellipses over (μ1, μ2)

½N(μ1, 1) + ½N(μ2, 1), its target θ* = (−1.5, 1) and the label-swapped twin (1, −1.5). Each
ellipse is δᵀF(θ)δ = ε at a cell of `ff.field`; along the diagonal μ1 = μ2 the two components
coincide and F is singular (κ = ∞), so the ellipses stretch along it. The background is log₁₀ κ
from a finer field (`precision="f32"`: the SIMD CPU path)."""),
    new_code_cell("""theta_star = (-1.5, 1.0)
model = ff.Model(mu1=theta_star[0], mu2=theta_star[1])        # pi = 1/2, sigma = 1
target = ff.Model(mu1=theta_star[0], mu2=theta_star[1])
extent = (-3.0, 3.0, -3.0, 3.0)

fine = ff.field(model, slice=("mu1", "mu2"), extent=extent, shape=(128, 128), precision="f32")
coarse = ff.field(model, slice=("mu1", "mu2"), extent=extent, shape=(13, 13))

fig, ax = plt.subplots()
kappa = np.log10(np.minimum(fine.kappa, 1e8))
im = ax.imshow(kappa, origin="lower", extent=extent, cmap="viridis")
fig.colorbar(im, label="log10 κ(F)")
eps = 0.02
for i, b in enumerate(coarse.b):
    for j, a in enumerate(coarse.a):
        lam, vec = np.linalg.eigh(coarse.fisher[i, j])      # ascending
        lam = np.maximum(lam, eps / 0.45**2)                 # cap the singular direction
        width, height = 2 * np.sqrt(eps / lam)
        angle = np.degrees(np.arctan2(vec[1, 0], vec[0, 0]))
        ax.add_patch(Ellipse((a, b), width, height, angle=angle, fill=False, color="white", lw=0.8))
ax.plot(*theta_star, "o", color="gold", label="θ*")
ax.plot(theta_star[1], theta_star[0], "o", color="orange", label="twin")
ax.set(xlabel="μ1", ylabel="μ2", title="δᵀFδ = ε over the (μ1, μ2) slice")
ax.legend(loc="lower right");"""),
    new_markdown_cell("""## Where Euclidean and natural descent part ways

At a probe θ the Euclidean direction −∇L (red) and the natural one −F⁻¹∇L (cyan) differ by the
angle `r.angle_deg`; both come from one `ff.fim` call (arrows scaled to one length)."""),
    new_code_cell("""probe = (0.6, 0.3)
r = ff.fim(model, slice=("mu1", "mu2"), points=[probe], target=target)
print(f"L = {r.kl[0]:.4f}, angle between -grad L and -F^-1 grad L: {r.angle_deg[0]:.1f} degrees")

fig, ax = plt.subplots()
ax.imshow(np.log10(np.maximum(fine.kappa, 1)), origin="lower", extent=extent, cmap="Greys", alpha=0.4)
for vector, colour, label in ((-r.grad[0], "red", "−∇L"), (-r.natgrad[0], "cyan", "−F⁻¹∇L")):
    v = 1.2 * vector / np.linalg.norm(vector)
    ax.annotate("", xy=(probe[0] + v[0], probe[1] + v[1]), xytext=probe,
                arrowprops=dict(arrowstyle="->", color=colour, lw=2.5))
    ax.plot([], [], color=colour, lw=2.5, label=label)
ax.plot(*theta_star, "o", color="gold", label="θ*")
ax.plot(*probe, "k.", label="probe")
ax.set(xlim=extent[:2], ylim=extent[2:], xlabel="μ1", ylabel="μ2")
ax.legend();"""),
    new_markdown_cell("""## A Fisher–Rao geodesic and its distance

The shortest path within the slice from the probe to θ* (`ff.geodesic(..., end=...)`) bends
away from the straight line; its length is the slice's Fisher–Rao distance."""),
    new_code_cell("""g = ff.geodesic(model, slice=("mu1", "mu2"), start=probe, end=theta_star)
print(f"Fisher-Rao distance {g.distance:.6f} ({g.method}), {len(g.path)} path points")
ray = ff.geodesic(model, slice=("mu1", "mu2"), start=probe, direction=(-1.0, 0.0), length=1.5)
# A ray toward the diagonal, where F is singular, stops there (the CLI's reason).
print(f"exp map along -mu1: length {ray.length:.4f} of 1.5 reached, stopped: {ray.stopped}")

fig, ax = plt.subplots()
ax.plot(g.path[:, 0], g.path[:, 1], "m-", lw=2, label=f"shortest path, d = {g.distance:.3f}")
ax.plot([probe[0], theta_star[0]], [probe[1], theta_star[1]], "k:", label="straight line")
ax.plot(ray.path[:, 0], ray.path[:, 1], "g--", label="exp map along −μ1, length 1.5")
ax.plot(*theta_star, "o", color="gold")
ax.plot(*probe, "k.")
ax.set(xlabel="μ1", ylabel="μ2", aspect="equal")
ax.legend();"""),
    new_markdown_cell("""## Seven optimizers racing

`ff.optimize` runs the CLI's race (f64): the loss against the step and against the Fisher–Rao
length travelled. A KL below rounding (|L| < 1e-16) is drawn at 1e-16."""),
    new_code_cell("""lr = {"gd": 0.5, "momentum": 0.1, "adam": 0.05, "ngd": 0.2, "ngd-damped": 0.2, "ef-ngd": 0.2, "mc-ngd": 0.2}
runs = ff.optimize(model, slice=("mu1", "mu2"), start=probe, target=target, lr=lr, steps=200, seed=1)

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
for name, run in runs.items():
    loss = np.maximum(run.loss, 1e-16)
    left.semilogy(run.step, loss, label=name)
    right.semilogy(run.fisher_rao_length, loss, label=name)
left.set(xlabel="step", ylabel="L = KL(p* ‖ p)")
right.set(xlabel="Fisher–Rao length travelled")
left.legend(fontsize=8);"""),
    new_markdown_cell("""## The K-FAC lab: exact layer Fisher blocks against A ⊗ G

A 1-16-16-2 classifier of the mixture's labels; per layer the relative Frobenius error of K-FAC's
Kronecker factorization and the cosine between the exact and the factored natural gradients."""),
    new_code_cell("""k = ff.kfac(hidden=16, seed=1, target=ff.Model(pi=0.35, mu1=-1.1, mu2=0.9, sigma1=0.6, sigma2=1.2))
print(f"loss {k.loss:.6f}")
print(f"{'layer':>5} {'d_in':>5} {'d_out':>5} {'|F - G(x)A|/|F|':>17} {'cos(exact, K-FAC)':>18}")
for layer in k.layers:
    print(f"{layer.layer:>5} {layer.d_in:>5} {layer.d_out:>5} {layer.rel_frobenius_error:>17.4e} {layer.natgrad_cosine:>18.6f}")"""),
    new_markdown_cell("""## The policy plane: a pendulum learning to stand

The gains K = (k1, k2) of u = −Kx + σε on the inverted pendulum; the loop is stable inside a
triangle (NaN outside), the cost C(K) is the loss and K* its minimum. Gradient descent and the
natural policy gradient (npg) from the same start."""),
    new_code_cell("""pendulum = ff.System(plant="pendulum", dt=0.05, omega2=9.81)
(k1, k2), c_star = pendulum.optimum()
land = ff.field(pendulum, extent=(0.0, 80.0, 0.0, 20.0), shape=(120, 160))
runs = ff.optimize(pendulum, start=(40.0, 10.0), optimizers=["gd", "npg"], lr={"gd": 0.02, "npg": 0.5}, steps=300)

fig, ax = plt.subplots()
im = ax.imshow(np.log10(land.cost / c_star - 1 + 1e-12), origin="lower", extent=(0, 80, 0, 20),
               aspect="auto", cmap="magma")
fig.colorbar(im, label="log10 (C/C* − 1)")
for name, colour in (("gd", "red"), ("npg", "cyan")):
    ax.plot(runs[name].theta[:, 0], runs[name].theta[:, 1], color=colour, label=f"{name}: C/C* − 1 = {runs[name].loss[-1] / c_star - 1:.1e}")
ax.plot(k1, k2, "*", color="gold", ms=12, label="K*")
ax.set(xlabel="k1", ylabel="k2", title="the pendulum's policy plane (white: unstable)")
ax.legend(fontsize=8);"""),
    new_markdown_cell("""## One frame of the viewer

`ff.render` draws a scene (a scene file's TOML or a dict of the same keys) with the viewer's
renderer on the GPU adapter, as `fisherflow capture` would."""),
    new_code_cell("""scene = {
    "slice": ["pi", "mu1"],
    "model": {"pi": 0.6, "mu1": -1.0, "mu2": 1.5, "sigma1": 1.0, "sigma2": 1.0},
    "grid": 48,
    "probe": [0.35, 0.5],
    "heatmap": "log10_kappa",
    "geodesics": {"ball": True, "rays": 64, "radius": 0.8},
}
img = ff.render(scene, width=640, height=360)
print(img.shape, img.dtype)
plt.figure(figsize=(8, 4.5))
plt.imshow(img)
plt.axis("off");"""),
]

notebook = new_notebook(cells=cells, metadata={
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"},
})

if "--execute" in sys.argv:
    from nbclient import NotebookClient

    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
nbformat.write(notebook, HERE / "tour.ipynb")
print("wrote", HERE / "tour.ipynb")
