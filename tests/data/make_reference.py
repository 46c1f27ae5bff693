#!/usr/bin/env python3
"""Writes tests/data/reference_points.json: 30-digit mpmath values at points chosen to stress
fisherflow's quadrature (near the diagonal, far apart, small and large sigma, targets on theta's
midpoint). Same schema as ../shared/reference/public_points.json.

Needs `pip install mpmath`. Run from the repository root:
    python3 tests/data/make_reference.py > tests/data/reference_points.json

Eigenvalues use F11 = F22 (exact for this model, see MATH.md): lambda = F11 +- F12 at 30 digits.
That symmetry is used only here, to build the oracle; the code under test never assumes it.
"""
import json
import mpmath as mp

mp.mp.dps = 30


def npdf(x, m, s):
    return mp.exp(-((x - m) / s) ** 2 / 2) / (s * mp.sqrt(2 * mp.pi))


def scores(x, m1, m2, s):
    z = (m1 - m2) * (2 * x - m1 - m2) / (2 * s * s)
    r1 = 1 / (1 + mp.exp(-z))
    r2 = 1 / (1 + mp.exp(z))
    return r1 * (x - m1) / s**2, r2 * (x - m2) / s**2


def log_p(x, m1, m2, s):
    return mp.log((npdf(x, m1, s) + npdf(x, m2, s)) / 2)


def expect(centers, s, f, extra):
    pts = sorted(set([-mp.inf, mp.inf] + [c + k * s for c in centers for k in (-8, 0, 8)] + extra))
    return sum(mp.quad(lambda x: npdf(x, c, s) * f(x), pts) for c in centers) / 2


def point(m1, m2, s, target):
    m1, m2, s = mp.mpf(m1), mp.mpf(m2), mp.mpf(s)
    mid = (m1 + m2) / 2
    f11 = expect([m1, m2], s, lambda x: scores(x, m1, m2, s)[0] ** 2, [mid])
    f12 = expect([m1, m2], s, lambda x: scores(x, m1, m2, s)[0] * scores(x, m1, m2, s)[1], [mid])
    # (s1 - s2)^2 directly: the small eigenvalue without cancellation.
    fvv = expect([m1, m2], s, lambda x: (scores(x, m1, m2, s)[0] - scores(x, m1, m2, s)[1]) ** 2 / 2, [mid])
    fuu = expect([m1, m2], s, lambda x: (scores(x, m1, m2, s)[0] + scores(x, m1, m2, s)[1]) ** 2 / 2, [mid])
    lmax, lmin = max(fuu, fvv), min(fuu, fvv)
    out = {
        "mu1": float(m1), "mu2": float(m2), "sigma": float(s), "target": target,
        "fisher": [[float(f11), float(f12)], [float(f12), float(f11)]],
        "eigenvalues": [float(lmax), float(lmin)],
        "kappa": float(lmax / lmin) if lmin > 0 else None,
    }
    if target is not None:
        t1, t2 = mp.mpf(target[0]), mp.mpf(target[1])
        tmid = (t1 + t2) / 2
        g1 = -expect([t1, t2], s, lambda x: scores(x, m1, m2, s)[0], [mid, tmid])
        g2 = -expect([t1, t2], s, lambda x: scores(x, m1, m2, s)[1], [mid, tmid])
        kl = expect([t1, t2], s, lambda x: log_p(x, t1, t2, s) - log_p(x, m1, m2, s), [mid, tmid])
        # Natural gradient in the eigenbasis (1,1)/sqrt2, (1,-1)/sqrt2: exact for this model.
        gu, gv = (g1 + g2) / mp.sqrt(2), (g1 - g2) / mp.sqrt(2)
        nu, nv = gu / fuu, gv / fvv if fvv > 0 else None
        if nv is None:
            nat, ang = None, None
        else:
            n1, n2 = (nu + nv) / mp.sqrt(2), (nu - nv) / mp.sqrt(2)
            nat = [float(n1), float(n2)]
            cross, dot = abs(g1 * n2 - g2 * n1), g1 * n1 + g2 * n2
            ang = float(mp.degrees(mp.atan2(cross, dot)))
        out.update({"kl": float(kl), "grad": [float(g1), float(g2)], "natgrad": nat, "angle_deg": ang})
    return out


POINTS = [
    (0.3, 0.31, 1.0, [-1.0, 1.0]),       # |Δ| = 0.01σ
    (1.0, 1.002, 0.2, [0.5, 1.5]),       # |Δ| = 0.01σ at small σ
    (-0.7, -0.7005, 0.5, [1.0, -1.0]),   # |Δ| = 0.001σ
    (-5.0, 5.0, 1.0, [0.0, 0.5]),        # 10σ apart, target on θ's midpoint
    (-10.0, 10.0, 1.0, [0.3, -0.2]),     # 20σ apart, target on the midpoint
    (3.0, -2.0, 0.5, [1.0, 1.0]),        # target on the diagonal
    (1.5, 0.2, 2.0, [-3.0, 4.0]),
    (-0.15, 0.4, 0.05, [0.1, 0.12]),     # σ = 0.05, 11σ apart
    (12.0, -4.0, 5.0, [2.0, -6.0]),      # σ = 5
    (0.818, -0.818, 1.0, [0.0, 2.0]),    # eigenvalues cross near Δ/σ = 1.636
    (2.0, 2.0, 0.7, [1.0, 3.0]),         # on the diagonal: singular
    (-1.0, 2.0, 0.9, None),
]

if __name__ == "__main__":
    print(json.dumps([point(*p) for p in POINTS], indent=1))
