"""The Python package's speed (issue 24, item 7), printed as a table; numbers for the README,
never asserted in a test.

1. ff.field(..., device="cpu", precision="f32") on the seed's slice at 256^2, Q = 64 (the seed
   kernel's SIMD path) against the JAX peer (shared/peers/jax_fim.py: the same work per cell in
   XLA, f32, jit) run in this same Python process (runpy), best of 5 each.
2. The cost of one ff.fim call for a single point beyond the math: t(1 point) - t(N points)/N,
   both in a child process with RAYON_NUM_THREADS=1 so the batch's per-point time is the math of
   one point on one core.

    python python/benchmarks/bench_python.py [--peer PATH] [--grid 256] [--nodes 64]
"""

import argparse
import contextlib
import io
import json
import os
import pathlib
import runpy
import subprocess
import sys
import time

import numpy as np

import fisherflow as ff

ROOT = pathlib.Path(__file__).resolve().parents[2]


def best_of(f, repeats=5):
    f()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def jax_peer(path, grid, nodes):
    """Runs the peer in this process and returns its JSON line."""
    out = io.StringIO()
    argv = sys.argv
    sys.argv = [str(path), str(grid), str(nodes), "5"]
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(str(path), run_name="__main__")
    finally:
        sys.argv = argv
    return json.loads(out.getvalue().strip().splitlines()[-1])


def overhead_child():
    """In a one-thread child: t(1 point) and t(N)/N for the same point."""
    m = ff.Model(mu1=-1.5, mu2=1.0)
    t = ff.Model(mu1=-1.5, mu2=1.0)
    one = np.array([[0.6, 0.3]])
    n = 2000
    many = np.repeat(one, n, axis=0)
    single = best_of(lambda: ff.fim(m, points=one, target=t), repeats=200)
    batch = best_of(lambda: ff.fim(m, points=many, target=t), repeats=5) / n
    print(json.dumps({"single_s": single, "per_point_in_batch_s": batch}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peer", default=str(ROOT.parent / "shared" / "peers" / "jax_fim.py"))
    parser.add_argument("--grid", type=int, default=256)
    parser.add_argument("--nodes", type=int, default=64)
    parser.add_argument("--overhead-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.overhead_child:
        overhead_child()
        return

    print(f"fisherflow {ff.__version__}; {os.cpu_count()} CPUs")
    n, q = args.grid, args.nodes
    model, target = ff.Model(mu1=-1.5, mu2=1.0), ff.Model(mu1=-1.5, mu2=1.0)
    # The peer's view: (mu1, mu2) in [-5, 5]^2 with theta* = (-1.5, 1).
    kw = dict(slice=("mu1", "mu2"), extent=(-5.0, 5.0, -5.0, 5.0), shape=(n, n), target=target, nodes=q)
    ours = best_of(lambda: ff.field(model, precision="f32", **kw))
    print(f"ff.field f32 (seed kernel, SIMD) {n}^2, Q = {q}: {ours * 1e3:.1f} ms, {n * n / ours:.3e} cells/s")
    try:
        peer = jax_peer(pathlib.Path(args.peer), n, q)
        print(f"JAX peer ({peer['peer']}, same process) {n}^2, Q = {q}: {peer['seconds'] * 1e3:.1f} ms, "
              f"{peer['cells_per_s']:.3e} cells/s")
        print(f"ratio: ff.field f32 is {peer['seconds'] / ours:.1f}x the JAX peer")
    except (OSError, ImportError) as e:
        print(f"JAX peer not run ({e}); pass --peer PATH and pip install jax")

    env = dict(os.environ, RAYON_NUM_THREADS="1")
    child = subprocess.run([sys.executable, __file__, "--overhead-child"], env=env, capture_output=True,
                           text=True, timeout=600, check=True)
    o = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"ff.fim, one point (f64, with a target, one thread): {o['single_s'] * 1e6:.1f} us; the same point "
          f"in a batch: {o['per_point_in_batch_s'] * 1e6:.1f} us; beyond the math: "
          f"{(o['single_s'] - o['per_point_in_batch_s']) * 1e6:.1f} us")


if __name__ == "__main__":
    main()
