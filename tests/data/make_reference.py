#!/usr/bin/env python3
"""Writes tests/data/reference_points.json: 30-digit mpmath values at points chosen to stress
fisherflow's quadrature (near the diagonal, far apart, small and large sigma, targets on theta's
midpoint). Same schema as ../shared/reference/public_points.json.

Needs `pip install mpmath`. Run from the repository root:
    python3 tests/data/make_reference.py > tests/data/reference_points.json
With --general it writes the general model's points instead (schema of
../shared/reference/public_general_points.json; see the second half of this file):
    python3 tests/data/make_reference.py --general > tests/data/general_points.json

Eigenvalues use F11 = F22 (exact for this model, see MATH.md): lambda = F11 +- F12 at 30 digits.
That symmetry is used only here, to build the oracle; the code under test never assumes it.
"""
import json
import sys

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

if __name__ == "__main__" and sys.argv[1:] == []:
    print(json.dumps([point(*p) for p in POINTS], indent=1))


# ---------------------------------------------------------------------------------------------
# The general model p(x) = pi N(mu1, sigma1^2) + (1 - pi) N(mu2, sigma2^2) on any 2-parameter
# slice (MATH.md, "The general two-component mixture and its slices"). Same formulas and output
# schema as ../shared/reference/gmm_general_reference.py (fisher block in slice order,
# eigenvalues [max, min], kl, grad, natgrad, empirical_fisher), plus a "label". The integration
# breakpoints add what that script does not split at: the real roots of the log-ratio
# log(pi phi1) - log((1 - pi) phi2) (where the responsibilities switch, a quadratic in x when
# sigma1 != sigma2) and points a few switch widths either side, so a sharp switch never sits
# inside a tanh-sinh interval. Run:
#     python3 tests/data/make_reference.py --general > tests/data/general_points.json
# (about a few minutes). mp.quad's own error estimates are checked: an integral whose estimate
# exceeds 1e-20 of max(|value|, 1e-6) aborts the run.
# ---------------------------------------------------------------------------------------------

NAMES = ("pi", "mu1", "mu2", "sigma1", "sigma2")


def g_parts(x, m):
    f1 = npdf(x, m["mu1"], m["sigma1"])
    f2 = npdf(x, m["mu2"], m["sigma2"])
    return f1, f2, m["pi"] * f1 + (1 - m["pi"]) * f2


def g_scores(x, m):
    pi, m1, m2, s1, s2 = (m[k] for k in NAMES)
    f1, f2, p = g_parts(x, m)
    return {"pi": (f1 - f2) / p,
            "mu1": pi * f1 * (x - m1) / s1**2 / p,
            "mu2": (1 - pi) * f2 * (x - m2) / s2**2 / p,
            "sigma1": pi * f1 * ((x - m1)**2 / s1**3 - 1 / s1) / p,
            "sigma2": (1 - pi) * f2 * ((x - m2)**2 / s2**3 - 1 / s2) / p}


def log_ratio_roots(m):
    """Real roots x of log(pi phi1) - log((1 - pi) phi2) = 0, with the slope there."""
    pi, m1, m2, s1, s2 = (m[k] for k in NAMES)
    if pi <= 0 or pi >= 1:
        return []
    # In y = x - mu1: a y^2 + b y + c with d = mu1 - mu2.
    d = m1 - m2
    a = (1 / s2**2 - 1 / s1**2) / 2
    b = d / s2**2
    c = mp.log(pi * s2 / ((1 - pi) * s1)) + d**2 / (2 * s2**2)
    roots = []
    if a == 0:
        if b != 0:
            roots = [-c / b]
    else:
        disc = b * b - 4 * a * c
        if disc >= 0:
            sq = mp.sqrt(disc)
            roots = [(-b + sq) / (2 * a), (-b - sq) / (2 * a)]
    out = []
    for y in roots:
        slope = 2 * a * y + b
        out.append((m1 + y, abs(slope)))
    return out


def g_breakpoints(*models):
    pts = {-mp.inf, mp.inf}
    for m in models:
        for mu, s in ((m["mu1"], m["sigma1"]), (m["mu2"], m["sigma2"])):
            for k in (-30, -12, -8, -4, -1, 0, 1, 4, 8, 12, 30):
                pts.add(mu + k * s)
        for r, slope in log_ratio_roots(m):
            pts.add(r)
            if slope > 0:
                w = 1 / slope
                for k in (-16, -4, -1, 1, 4, 16):
                    pts.add(r + k * w)
    return sorted(pts)


WORST = [mp.mpf(0)]


def g_expect(fn, under, pts):
    def integrand(x):
        return g_parts(x, under)[2] * fn(x)
    total, err = mp.quad(integrand, pts, error=True, maxdegree=10)
    # Relative to the value, with an absolute floor of 1e-6: the tests judge entries that are
    # ~0 by cancellation (1e-28 cross terms of far-apart components) against their matrix's
    # scale, never against themselves.
    WORST[0] = max(WORST[0], err / max(abs(total), mp.mpf("1e-6")))
    return total


def general_point(q):
    m = {k: mp.mpf(q["model"][k]) for k in NAMES}
    a, b = q["slice"]
    pts = g_breakpoints(m)
    F = {}
    for u, v in ((a, a), (a, b), (b, b)):
        F[u, v] = g_expect(lambda x, u=u, v=v: (lambda s: s[u] * s[v])(g_scores(x, m)), m, pts)
    f = [[F[a, a], F[a, b]], [F[a, b], F[b, b]]]
    det = f[0][0] * f[1][1] - f[0][1] ** 2
    disc = mp.sqrt(((f[0][0] - f[1][1]) / 2) ** 2 + f[0][1] ** 2)
    lmax = (f[0][0] + f[1][1]) / 2 + disc
    lmin = det / lmax if lmax > 0 else mp.mpf(0)
    out = dict(q)
    out.update(fisher=[[float(v) for v in row] for row in f],
               eigenvalues=[float(lmax), float(lmin)])
    if q.get("target") is not None:
        t = {k: mp.mpf(q["target"][k]) for k in NAMES}
        tp = g_breakpoints(m, t)
        g = [-g_expect(lambda x, u=u: g_scores(x, m)[u], t, tp) for u in (a, b)]

        def kl_integrand(x):
            pt = g_parts(x, t)[2]
            return mp.log(pt) - mp.log(g_parts(x, m)[2]) if pt > 0 else mp.mpf(0)
        kl = g_expect(kl_integrand, t, tp)
        E = {}
        for u, v in ((a, a), (a, b), (b, b)):
            E[u, v] = g_expect(lambda x, u=u, v=v: (lambda s: s[u] * s[v])(g_scores(x, m)), t, tp)
        ef = [[E[a, a], E[a, b]], [E[a, b], E[b, b]]]
        n = None
        if det != 0:
            n = [(f[1][1] * g[0] - f[0][1] * g[1]) / det, (f[0][0] * g[1] - f[0][1] * g[0]) / det]
        out.update(kl=float(kl), grad=[float(v) for v in g],
                   natgrad=[float(v) for v in n] if n else None,
                   empirical_fisher=[[float(v) for v in row] for row in ef])
    return out


def gm(pi, mu1, mu2, sigma1, sigma2):
    return {"pi": pi, "mu1": mu1, "mu2": mu2, "sigma1": sigma1, "sigma2": sigma2}


def gp(label, model, slc, target=None):
    q = {"label": label, "model": model, "slice": list(slc)}
    if target is not None:
        q["target"] = target
    return q


GENERAL_POINTS = [
    # The seed's slice (mu1, mu2), pi = 1/2, sigma1 = sigma2.
    gp("seed", gm(0.5, -0.3, 0.4, 1, 1), ("mu1", "mu2"), gm(0.5, -1, 1.5, 1, 1)),
    gp("seed near diagonal, delta = 0.001 sigma", gm(0.5, 0.2, 0.2005, 0.5, 0.5), ("mu1", "mu2"),
       gm(0.5, -0.5, 0.8, 0.5, 0.5)),
    gp("seed 20 sigma apart, target on the midpoint", gm(0.5, -10, 10, 1, 1), ("mu1", "mu2"),
       gm(0.5, 0.3, -0.2, 1, 1)),
    gp("seed, sigma 2, delta = 0.01 sigma, no target", gm(0.5, 1, 1.02, 2, 2), ("mu1", "mu2")),
    # The half-plane (mu1, sigma1) at pi = 1.
    gp("half-plane", gm(1, 0.3, 0, 0.7, 1), ("mu1", "sigma1"), gm(1, -0.4, 0, 1.3, 1)),
    gp("half-plane, small sigma, reversed order", gm(1, 2, 0, 0.05, 1), ("sigma1", "mu1"),
       gm(1, 2.2, 0, 0.1, 1)),
    gp("half-plane, target off the slice (a mixture)", gm(1, 0, 2, 1, 0.5), ("mu1", "sigma1"),
       gm(0.7, 0.5, 2, 1, 0.5)),
    # The weight singularity (pi, mu1).
    gp("(pi, mu1)", gm(0.3, -1, 1, 1, 1), ("pi", "mu1"), gm(0.6, -0.5, 1, 1, 1)),
    gp("(pi, mu1) at pi = 1e-3", gm(1e-3, -1, 1, 1, 1), ("pi", "mu1"), gm(0.2, 0, 1, 1, 1)),
    gp("(pi, mu1) at pi = 1e-3, sigma1 = 2 sigma2 (heavy F_pipi tail)", gm(1e-3, 0, 0, 2, 1),
       ("pi", "mu1"), gm(0.1, 0.5, 0, 2, 1)),
    gp("(pi, mu1) at pi = 1 - 1e-3", gm(0.999, -1, 1, 0.5, 1), ("pi", "mu1"),
       gm(0.9, -1, 1, 0.5, 1)),
    gp("(pi, mu1) at pi = 0.9", gm(0.9, 0, 3, 1, 1), ("pi", "mu1"), gm(0.5, 1, 3, 1, 1)),
    # (sigma1, sigma2).
    gp("(sigma1, sigma2)", gm(0.5, -1, 1, 1, 1), ("sigma1", "sigma2"), gm(0.5, -1, 1, 0.5, 2)),
    gp("(sigma1, sigma2), sigma1/sigma2 = 10", gm(0.5, 0, 0, 3, 0.3), ("sigma1", "sigma2"),
       gm(0.5, 0, 0, 1, 1)),
    gp("(sigma1, sigma2), sigma1/sigma2 = 0.1", gm(0.25, 0, 1, 0.2, 2), ("sigma1", "sigma2"),
       gm(0.25, 0, 1, 0.4, 1.5)),
    gp("(sigma1, sigma2) at pi = 1 - 1e-3, sigma2 = 10 sigma1", gm(0.999, 0, 0, 1, 10),
       ("sigma1", "sigma2"), gm(0.999, 0, 0, 1.2, 5)),
    # (mu1, sigma2).
    gp("(mu1, sigma2)", gm(0.5, 0, 2, 1, 1), ("mu1", "sigma2"), gm(0.5, 1, 2, 1, 0.5)),
    gp("(mu1, sigma2), target off the slice", gm(0.25, -2, 2, 0.5, 1.5), ("mu1", "sigma2"),
       gm(0.6, 0, 1, 1, 1)),
    # (mu1, mu2) with pi != 1/2 or sigma1 != sigma2.
    gp("(mu1, mu2) at pi = 0.25", gm(0.25, -1, 1, 1, 1), ("mu1", "mu2"), gm(0.25, 0.5, -0.5, 1, 1)),
    gp("(mu1, mu2) at pi = 0.3 near the diagonal, delta = 0.001 sigma", gm(0.3, 0.4, 0.4005, 0.5, 0.5),
       ("mu1", "mu2"), gm(0.3, -1, 1, 0.5, 0.5)),
    gp("(mu1, mu2) on the diagonal with sigma1 != sigma2", gm(0.5, 0.2, 0.2, 0.8, 1.6), ("mu1", "mu2"),
       gm(0.5, 1, -1, 0.8, 1.6)),
    gp("(mu1, mu2), sigma1/sigma2 = 10", gm(0.5, 0, 0.5, 5, 0.5), ("mu1", "mu2"), gm(0.5, -2, 1, 5, 0.5)),
    gp("(mu1, mu2) at pi = 1e-3 (mu1 row -> 0)", gm(1e-3, 1, -1, 1, 1), ("mu1", "mu2"),
       gm(1e-3, 0, 0, 1, 1)),
    gp("(mu1, mu2) 20 sigma apart at pi = 0.25, target on the switch", gm(0.25, -10, 10, 1, 1),
       ("mu1", "mu2"), gm(0.25, -0.05, 0.5, 1, 1)),
    gp("(mu1, mu2) reversed order, target off the slice", gm(0.7, 1, -1, 1, 0.8), ("mu2", "mu1"),
       gm(0.4, 0.5, -0.5, 1.2, 0.6)),
    # Other slices and hard cases.
    gp("(mu2, sigma1), means 40 apart (20 sigma1), sigma1 != sigma2", gm(0.6, -20, 20, 2, 1.5),
       ("mu2", "sigma1"), gm(0.6, -20, 0.5, 3, 1.5)),
    gp("(sigma2, pi) reversed", gm(0.25, 0, 1, 1, 0.5), ("sigma2", "pi"), gm(0.5, 0, 1, 1, 1)),
    gp("(pi, sigma1), sigma1 = 10 sigma2", gm(0.25, 0, 0, 10, 1), ("pi", "sigma1"), gm(0.5, 0, 0, 5, 1)),
    gp("(pi, mu2), target off the slice", gm(0.5, -1, 1.5, 0.5, 1), ("pi", "mu2"), gm(0.3, 0, 1, 0.6, 1)),
    gp("(mu1, sigma1) at pi = 1/2", gm(0.5, -1, 1, 0.7, 1.1), ("mu1", "sigma1"), gm(0.5, 0, 1, 1.5, 1.1)),
    gp("(pi, sigma2) at pi = 0.9, sigma2 = 0.1 sigma1", gm(0.9, 0, 0.5, 1, 0.1), ("pi", "sigma2"),
       gm(0.8, 0, 0.5, 1, 0.3)),
    gp("(mu2, sigma2) at pi = 1e-3, sigma1 = 0.1 sigma2", gm(1e-3, 0, 1, 0.2, 2), ("mu2", "sigma2"),
       gm(0.5, 0, 0, 1, 1)),
    gp("(pi, mu1) at pi = 1e-3, means 20 apart", gm(1e-3, -10, 10, 1, 1), ("pi", "mu1"),
       gm(0.5, -9, 10, 1, 1)),
    gp("(pi, sigma1) at pi = 1e-3, sigma1 = 3 sigma2 (F_pipi mass far out in N2)",
       gm(1e-3, 0, 0.5, 3, 1), ("pi", "sigma1"), gm(0.05, 0, 0.5, 2, 1)),
    gp("(pi, mu2) at pi = 1 - 1e-3, sigma2 = 2 sigma1 (the mirror)", gm(0.999, 0, 0, 1, 2),
       ("pi", "mu2"), gm(0.9, 0, 1, 1, 2)),
]


if __name__ == "__main__" and sys.argv[1:] == ["--general"]:
    results = []
    for q in GENERAL_POINTS:
        before = WORST[0]
        WORST[0] = mp.mpf(0)
        results.append(general_point(q))
        sys.stderr.write(f"{q['label']}: quad error estimate {mp.nstr(WORST[0], 3)}\n")
        WORST[0] = max(before, WORST[0])
    sys.stderr.write(f"worst mp.quad relative error estimate: {mp.nstr(WORST[0], 3)}\n")
    if WORST[0] > mp.mpf("1e-20"):
        sys.exit("a 30-digit integral did not converge")
    print(json.dumps(results, indent=1))
