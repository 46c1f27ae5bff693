#!/usr/bin/env python3
"""Writes tests/data/lqr_points.json: 30-digit references of the policy plane (MATH.md, "The
policy plane") at points the code was not tuned on — both plants, friction, unusual weights,
gains near the triangle's edges (up to rho = 0.995) and corners, near K*, with and without a
finite horizon — plus K* and C(K*) per system under "optimum". Uses
../shared/reference/lqr_reference.py; CI has no mpmath, so the output is committed.

Run from the repository root:
    python3 tests/data/make_lqr_reference.py > tests/data/lqr_points.json
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "reference"))
import mpmath as mp  # noqa: E402
import lqr_reference as ref  # noqa: E402

SYSTEMS = [
    {"plant": "cart"},
    {"plant": "pendulum"},
    {"plant": "cart", "friction": 0.8, "q_vel": 0.0, "r": 1.0, "x0_pos": 0.5, "x0_vel": 2.0},
    {"plant": "pendulum", "dt": 0.02, "omega2": 20.0, "friction": 0.3, "r": 0.01},
    {"plant": "pendulum", "dt": 0.1, "q_pos": 10.0, "exploration": 0.3},
]


def corners(s):
    A, B, Q, R, S0, sig = ref.plant(s)
    dt = A[0, 1]
    a = A[1, 0] / dt
    b = (1 - A[1, 1]) / dt
    return [(a, -b), (a, 2 / dt - b), (a + 4 / dt ** 2, 4 / dt - b)]


def main():
    points, optima = [], []
    for s in SYSTEMS:
        k_star, c_star = ref.optimum(s)
        optima.append({"system": s, "gains": k_star, "cost": float(c_star)})
        c = corners(s)
        centroid = [sum(p[i] for p in c) / 3 for i in range(2)]
        gains = [centroid, [k_star[0] * 1.01, k_star[1] * 0.99]]
        # Toward each edge's midpoint and each corner, at growing fractions of the way.
        targets = [[(c[i][j] + c[(i + 1) % 3][j]) / 2 for j in range(2)] for i in range(3)]
        targets += [list(p) for p in c]
        for t in targets:
            for f in (0.5, 0.9, 0.98):
                gains.append([centroid[j] + f * (t[j] - centroid[j]) for j in range(2)])
        # One step outside each edge.
        for t in targets[:3]:
            gains.append([centroid[j] + 1.02 * (t[j] - centroid[j]) for j in range(2)])
        for n, g in enumerate(gains):
            g = [float(mp.mpf(v)) for v in g]
            p = {"system": s, "gains": g}
            if n % 4 == 0:
                p["horizon"] = 25
            p.update(ref.evaluate(s, g))
            if "horizon" in p:
                p.update(ref.finite_horizon(s, g, p["horizon"]))
            points.append(p)
    json.dump({"points": points, "optimum": optima}, sys.stdout, indent=1)


main()
