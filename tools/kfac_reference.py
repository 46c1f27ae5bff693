#!/usr/bin/env python3
"""An independent check of `fisherflow kfac --json` (issue 13), in plain Python.

Reads the JSON on stdin and the target mixture from argv (pi mu1 mu2 sigma1 sigma2), and
recomputes every layer's exact Fisher block, A and G at the JSON's weights without sharing
anything with the Rust code: the scores d log p(y|x)/dW come from central differences of the
network's log-probability (no backward pass), and the expectation over x is a plain trapezoid
rule over [min μ − 12σ, max μ + 12σ] (spectrally accurate for these smooth integrands), not the
project's Gauss–Legendre panels. Prints the largest relative entry error per matrix and exits 1
when one exceeds the tolerance (default 1e-6, set by --tol).

    target/release/fisherflow kfac --hidden 3 --seed 5 --target-model pi=0.3,mu1=-1,mu2=2,sigma1=0.6,sigma2=1.2 \
        --train-steps 3 --json | python3 tools/kfac_reference.py 0.3 -1 2 0.6 1.2
"""
import json
import math
import sys


def forward(ws, x):
    """Returns the three layer inputs (with the trailing 1) and log p(y|x)."""
    a0 = [x, 1.0]
    h1 = [math.tanh(sum(w * a for w, a in zip(row, a0))) for row in ws[0]]
    a1 = h1 + [1.0]
    h2 = [math.tanh(sum(w * a for w, a in zip(row, a1))) for row in ws[1]]
    a2 = h2 + [1.0]
    z = [sum(w * a for w, a in zip(row, a2)) for row in ws[2]]
    m = max(z)
    lse = m + math.log(sum(math.exp(v - m) for v in z))
    return [a0, a1, a2], [v - lse for v in z]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--tol")]
    tol = 1e-6
    for a in sys.argv[1:]:
        if a.startswith("--tol="):
            tol = float(a.split("=", 1)[1])
    pi, mu1, mu2, s1, s2 = map(float, args[:5])
    data = json.load(sys.stdin)
    ws = [data["weights"][k] for k in ("W1", "W2", "W3")]

    lo = min(mu1 - 12 * s1, mu2 - 12 * s2)
    hi = max(mu1 + 12 * s1, mu2 + 12 * s2)
    count = 1601
    step = (hi - lo) / (count - 1)

    def density(x, mu, s):
        return math.exp(-0.5 * ((x - mu) / s) ** 2) / (s * math.sqrt(2 * math.pi))

    worst_all = 0.0
    for layer in data["layers"]:
        l = layer["layer"] - 1
        d_out, d_in = len(ws[l]), len(ws[l][0])
        n = d_in * d_out
        exact = [[0.0] * n for _ in range(n)]
        big_a = [[0.0] * d_in for _ in range(d_in)]
        big_g = [[0.0] * d_out for _ in range(d_out)]
        for k in range(count):
            x = lo + k * step
            weight = step * (0.5 if k in (0, count - 1) else 1.0)
            weight *= pi * density(x, mu1, s1) + (1 - pi) * density(x, mu2, s2)
            if weight < 1e-300:
                continue
            inputs, logp = forward(ws, x)
            a = inputs[l]
            for i in range(d_in):
                for j in range(d_in):
                    big_a[i][j] += weight * a[i] * a[j]
            # Scores by central differences of log p(y|x) in each weight of layer l.
            h = 1e-6
            scores = [[0.0] * n for _ in range(2)]
            for p in range(n):
                i, j = divmod(p, d_in)
                keep = ws[l][i][j]
                ws[l][i][j] = keep + h
                _, lp = forward(ws, x)
                ws[l][i][j] = keep - h
                _, lm = forward(ws, x)
                ws[l][i][j] = keep
                for y in range(2):
                    scores[y][p] = (lp[y] - lm[y]) / (2 * h)
            for y in range(2):
                py = math.exp(logp[y])
                s = scores[y]
                for p in range(n):
                    sp = weight * py * s[p]
                    row = exact[p]
                    for q in range(n):
                        row[q] += sp * s[q]
                # g = ds/da_j for the bias column j = d_in − 1 (a = 1 there): the score of
                # W[i][d_in − 1] is g_i.
                g = [s[i * d_in + d_in - 1] for i in range(d_out)]
                for i in range(d_out):
                    for j in range(d_out):
                        big_g[i][j] += weight * py * g[i] * g[j]
        for name, mine in (("exact", exact), ("A", big_a), ("G", big_g)):
            theirs = layer[name]
            scale = max(abs(v) for row in mine for v in row)
            worst = max(
                abs(a - b) for ra, rb in zip(mine, theirs) for a, b in zip(ra, rb)
            ) / scale
            worst_all = max(worst_all, worst)
            print(f"layer {l + 1} {name:>5}: max |diff| / max |entry| = {worst:.3e}")
    print(f"worst {worst_all:.3e} (tolerance {tol:g})")
    sys.exit(0 if worst_all <= tol else 1)


if __name__ == "__main__":
    main()
