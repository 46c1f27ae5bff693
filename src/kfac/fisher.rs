//! The layer Fisher blocks of the K-FAC lab's network and their Kronecker factorization, in
//! f64 (MATH.md, "K-FAC"): the reference the WGSL kernel is tested against.
//!
//! For layer ℓ with input a and g = ∂ log p(y|x)/∂(W a), the exact block is
//! F_ℓ = E_x Σ_y p(y|x) (g gᵀ) ⊗ (a aᵀ), parameters row-major (index i·d_in + j), so the
//! parameter vector of one (x, y) is the Kronecker product g ⊗ a. K-FAC replaces it by G ⊗ A,
//! A = E_x[a aᵀ], G = E_x Σ_y p(y|x) g gᵀ.
//!
//! The expectation over x is the project's quadrature over the target mixture (two
//! Gauss–Legendre panels per component, [`MixtureNodes::quadrature`]) or N seeded samples
//! ([`MixtureNodes::samples`]). Either way F_ℓ = Uᵀ U with one row u_k = √(w p(y|x)) (g ⊗ a)
//! per (node, class): m = 2·nodes rows of n = d_in·d_out. Everything the lab reports is
//! computed from U without forming the n × n block unless asked ([`LayerStats::exact`]):
//! ‖F‖_F = ‖U Uᵀ‖_F (an m × m Gram matrix), ⟨F, G ⊗ A⟩ = Σ_k w p (gᵀG g)(aᵀA a), the exact
//! damped natural gradient by Woodbury, (λI + UᵀU)⁻¹v = (v − Uᵀ(λI + UUᵀ)⁻¹U v)/λ, and F's
//! nonzero spectrum as that of U Uᵀ. So large widths cost O(m²n), not O(n³).

use super::network::{CLASSES, Network};
use crate::math::Model;
use crate::math::estimates::{STREAM_TARGET, samples};
use crate::math::general::GeneralMixture;
use crate::math::quadrature::{QuadratureRule, TRUNCATION_SIGMAS};

/// Points x_k and weights w_k (summing to 1) that stand for E_{x∼p*}.
#[derive(Clone, Debug, PartialEq)]
pub struct MixtureNodes {
    /// The points.
    pub x: Vec<f64>,
    /// Their weights.
    pub w: Vec<f64>,
    /// The target's responsibility of component 1 at each point: q(y = 0 | x), the true
    /// label distribution the classification loss is measured against.
    pub label0: Vec<f64>,
}

impl MixtureNodes {
    /// The split Gauss–Legendre rule of `math::quadrature` on each component of `target`:
    /// panels [c − Tσ, c] and [c, c + Tσ], Q/2 nodes each, weighted by the component's weight
    /// and density. No sampling noise.
    pub fn quadrature(target: &Model, rule: &QuadratureRule) -> Self {
        let g = GeneralMixture::new(target);
        let gl = rule.panel_rule();
        let mut x = Vec::new();
        let mut w = Vec::new();
        for (weight, (center, sigma)) in g.weights().into_iter().zip(g.components()) {
            if weight <= 0.0 {
                continue;
            }
            let norm = 1.0 / (sigma * (2.0 * std::f64::consts::PI).sqrt());
            for (a, b) in [
                (center - TRUNCATION_SIGMAS * sigma, center),
                (center, center + TRUNCATION_SIGMAS * sigma),
            ] {
                let (half, mid) = (0.5 * (b - a), 0.5 * (a + b));
                for (&xi, &omega) in gl.nodes.iter().zip(&gl.weights) {
                    let xk = mid + half * xi;
                    let t = (xk - center) / sigma;
                    x.push(xk);
                    w.push(weight * half * omega * norm * (-0.5 * t * t).exp());
                }
            }
        }
        let label0 = x.iter().map(|&xk| g.responsibilities(xk).0).collect();
        Self { x, w, label0 }
    }

    /// N samples of `target` from the project's seeded generator (stream
    /// [`STREAM_TARGET`]), each of weight 1/N: the finite-sample version, with its noise.
    pub fn samples(target: &Model, n: u32, seed: u32) -> Self {
        let g = GeneralMixture::new(target);
        let x = samples(target, n, seed, STREAM_TARGET);
        let w = vec![1.0 / f64::from(n); x.len()];
        let label0 = x.iter().map(|&xk| g.responsibilities(xk).0).collect();
        Self { x, w, label0 }
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }
}

/// One layer's statistics at the current weights.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerStats {
    /// Inputs (with the bias 1).
    pub d_in: usize,
    /// Outputs.
    pub d_out: usize,
    /// A = E[a aᵀ], d_in × d_in row-major.
    pub a: Vec<f64>,
    /// G = E Σ_y p g gᵀ, d_out × d_out row-major.
    pub g: Vec<f64>,
    /// U: one row √(w p) (g ⊗ a) per (node, class), m × n row-major, F = UᵀU.
    pub u: Vec<f64>,
    /// Rows of U.
    pub m: usize,
    /// ∇ of the classification loss ℒ = E_x[−Σ_y q(y|x) log p(y|x)] w.r.t. W (row-major).
    pub grad: Vec<f64>,
    /// Per row of U: its weight w p and the two quadratic forms gᵀG g and aᵀA a.
    row_forms: Vec<[f64; 3]>,
}

/// The whole network's statistics and loss.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkStats {
    /// Layers 1, 2, 3.
    pub layers: [LayerStats; 3],
    /// ℒ, the expected cross-entropy against the target's true component.
    pub loss: f64,
}

/// The statistics of every layer at the network's weights.
pub fn network_stats(net: &Network, nodes: &MixtureNodes) -> NetworkStats {
    let mut layers: [LayerStats; 3] = std::array::from_fn(|l| {
        let (d_out, d_in) = (net.layers[l].d_out, net.layers[l].d_in);
        LayerStats {
            d_in,
            d_out,
            a: vec![0.0; d_in * d_in],
            g: vec![0.0; d_out * d_out],
            u: Vec::with_capacity(nodes.len() * CLASSES * d_in * d_out),
            m: 0,
            grad: vec![0.0; d_in * d_out],
            row_forms: Vec::new(),
        }
    });
    let mut loss = 0.0;
    // Per-node g's and a's are kept to form U's rows once A and G are known (the quadratic
    // forms need the finished A and G).
    let mut per_row: Vec<[(Vec<f64>, usize); 3]> = Vec::new();
    let mut row_weights = Vec::new();
    let mut node_inputs = Vec::new();
    for k in 0..nodes.len() {
        let (x, w) = (nodes.x[k], nodes.w[k]);
        let act = net.forward(x);
        let q = [nodes.label0[k], 1.0 - nodes.label0[k]];
        loss -= w
            * (q[0] * act.probs[0].max(f64::MIN_POSITIVE).ln()
                + q[1] * act.probs[1].max(f64::MIN_POSITIVE).ln());
        for (l, st) in layers.iter_mut().enumerate() {
            let a = &act.inputs[l];
            add_outer(&mut st.a, a, a, w);
        }
        for (y, (&py, &qy)) in act.probs.iter().zip(&q).enumerate() {
            let gs = net.backward(&act, Network::output_sensitivity(&act, y));
            for (l, st) in layers.iter_mut().enumerate() {
                let a = &act.inputs[l];
                add_outer(&mut st.g, &gs[l], &gs[l], w * py);
                // ∇ℒ = −E Σ_y q_y g aᵀ.
                add_outer(&mut st.grad, &gs[l], a, -w * qy);
            }
            per_row.push(gs.map(|g| (g, k)));
            row_weights.push(w * py);
        }
        node_inputs.push(act.inputs);
    }
    for (l, st) in layers.iter_mut().enumerate() {
        for (row, &wp) in per_row.iter().zip(&row_weights) {
            let (g, k) = &row[l];
            let a = &node_inputs[*k][l];
            let scale = wp.max(0.0).sqrt();
            for gi in g {
                st.u.extend(a.iter().map(|aj| scale * gi * aj));
            }
            st.row_forms
                .push([wp, quad_form(&st.g, g), quad_form(&st.a, a)]);
        }
        st.m = row_weights.len();
    }
    NetworkStats { layers, loss }
}

/// m += scale · x yᵀ (row-major, len(x) × len(y)).
fn add_outer(m: &mut [f64], x: &[f64], y: &[f64], scale: f64) {
    let cols = y.len();
    for (i, xi) in x.iter().enumerate() {
        let s = scale * xi;
        for (mij, yj) in m[i * cols..(i + 1) * cols].iter_mut().zip(y) {
            *mij += s * yj;
        }
    }
}

/// vᵀ M v for a row-major square M.
fn quad_form(m: &[f64], v: &[f64]) -> f64 {
    let n = v.len();
    (0..n)
        .map(|i| v[i] * (0..n).map(|j| m[i * n + j] * v[j]).sum::<f64>())
        .sum()
}

impl LayerStats {
    /// Parameter count n = d_in·d_out.
    pub fn n(&self) -> usize {
        self.d_in * self.d_out
    }

    /// The exact block F_ℓ = UᵀU, n × n row-major (only for moderate n).
    pub fn exact(&self) -> Vec<f64> {
        let n = self.n();
        let mut f = vec![0.0; n * n];
        for row in self.u.chunks_exact(n) {
            for (i, &ui) in row.iter().enumerate() {
                if ui == 0.0 {
                    continue;
                }
                for (fij, &uj) in f[i * n..(i + 1) * n].iter_mut().zip(row) {
                    *fij += ui * uj;
                }
            }
        }
        f
    }

    /// G ⊗ A, n × n row-major: entry (i·d_in + j, k·d_in + l) = G_ik A_jl.
    pub fn kronecker(&self) -> Vec<f64> {
        kron(&self.g, self.d_out, &self.a, self.d_in)
    }

    /// The m × m Gram matrix U Uᵀ (F's nonzero eigenvalues are its eigenvalues).
    pub fn gram(&self) -> Vec<f64> {
        let (m, n) = (self.m, self.n());
        let mut k = vec![0.0; m * m];
        for i in 0..m {
            let ri = &self.u[i * n..(i + 1) * n];
            for j in 0..=i {
                let rj = &self.u[j * n..(j + 1) * n];
                let v: f64 = ri.iter().zip(rj).map(|(a, b)| a * b).sum();
                k[i * m + j] = v;
                k[j * m + i] = v;
            }
        }
        k
    }

    /// ‖F_ℓ − G ⊗ A‖_F / ‖F_ℓ‖_F without forming either n × n matrix.
    pub fn rel_frobenius_error(&self) -> f64 {
        // ‖F‖_F² from whichever square is smaller: F itself (n × n, m n² work) or the Gram
        // matrix U Uᵀ (m × m, m² n work); both have the same Frobenius norm.
        let square = if self.n() <= self.m {
            self.exact()
        } else {
            self.gram()
        };
        let f2: f64 = square.iter().map(|v| v * v).sum();
        let cross: f64 = self.row_forms.iter().map(|[wp, gg, aa]| wp * gg * aa).sum();
        let g2: f64 = self.g.iter().map(|v| v * v).sum();
        let a2: f64 = self.a.iter().map(|v| v * v).sum();
        let diff2 = (f2 - 2.0 * cross + g2 * a2).max(0.0);
        (diff2 / f2).sqrt()
    }

    /// (F_ℓ + λI)⁻¹ v by Woodbury through the m × m system (λI + UUᵀ) (λ > 0). All NaN when
    /// that system is not positive definite (weights that diverged to ∞ or NaN: a large
    /// learning rate in the K-FAC lab), so the caller shows the divergence instead of failing.
    pub fn exact_solve(&self, v: &[f64], lambda: f64) -> Vec<f64> {
        let (m, n) = (self.m, self.n());
        let mut k = self.gram();
        for i in 0..m {
            k[i * m + i] += lambda;
        }
        let mut uv: Vec<f64> = self
            .u
            .chunks_exact(n)
            .map(|row| row.iter().zip(v).map(|(a, b)| a * b).sum())
            .collect();
        if cholesky_solve(&mut k, m, &mut uv).is_err() {
            return vec![f64::NAN; v.len()];
        }
        let mut out = v.to_vec();
        for (row, c) in self.u.chunks_exact(n).zip(&uv) {
            for (o, r) in out.iter_mut().zip(row) {
                *o -= r * c;
            }
        }
        out.iter_mut().for_each(|o| *o /= lambda);
        out
    }

    /// Martens and Grosse's π_ℓ (see [`pi_split`]).
    pub fn pi_split(&self) -> f64 {
        pi_split(&self.a, self.d_in, &self.g, self.d_out)
    }

    /// K-FAC's damped factored solve with this layer's A and G ([`kfac_solve`]).
    pub fn kfac_solve(&self, v: &[f64], lambda: f64) -> Vec<f64> {
        kfac_solve(&self.a, self.d_in, &self.g, self.d_out, v, lambda)
    }
}

/// Martens and Grosse's π = √((tr A / d_in) / (tr G / d_out)), which splits the damping
/// between the factors in proportion to their scales.
pub fn pi_split(a: &[f64], d_in: usize, g: &[f64], d_out: usize) -> f64 {
    let tr_a: f64 = (0..d_in).map(|i| a[i * d_in + i]).sum();
    let tr_g: f64 = (0..d_out).map(|i| g[i * d_out + i]).sum();
    ((tr_a / d_in as f64) / (tr_g / d_out as f64).max(f64::MIN_POSITIVE)).sqrt()
}

/// K-FAC's damped factored solve: (G + (√λ/π) I)⁻¹ ⊗ (A + π√λ I)⁻¹ applied to v, i.e.
/// vec_r(G_λ⁻¹ V A_λ⁻¹) with V = v as d_out × d_in. All NaN when a damped factor is not
/// positive definite (diverged weights), like [`LayerStats::exact_solve`].
pub fn kfac_solve(
    a: &[f64],
    d_in: usize,
    g: &[f64],
    d_out: usize,
    v: &[f64],
    lambda: f64,
) -> Vec<f64> {
    let (di, d_o) = (d_in, d_out);
    let pi = pi_split(a, d_in, g, d_out);
    let mut ga = g.to_vec();
    for i in 0..d_o {
        ga[i * d_o + i] += lambda.sqrt() / pi;
    }
    let mut aa = a.to_vec();
    for i in 0..di {
        aa[i * di + i] += pi * lambda.sqrt();
    }
    // X = G_λ⁻¹ V: solve column by column (V's columns are strided by d_in).
    let mut x = v.to_vec();
    let Some(gf) = cholesky_factor(&mut ga, d_o) else {
        return vec![f64::NAN; v.len()];
    };
    for j in 0..di {
        let mut col: Vec<f64> = (0..d_o).map(|i| x[i * di + j]).collect();
        cholesky_apply(&gf, d_o, &mut col);
        for i in 0..d_o {
            x[i * di + j] = col[i];
        }
    }
    // Y = X A_λ⁻¹: A symmetric, so each row of Y solves A_λ yᵀ = xᵀ.
    let Some(af) = cholesky_factor(&mut aa, di) else {
        return vec![f64::NAN; v.len()];
    };
    for row in x.chunks_exact_mut(di) {
        cholesky_apply(&af, di, row);
    }
    x
}

/// The cosine between two vectors (0 when either is zero).
pub fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

/// X ⊗ Y for row-major squares X (p × p) and Y (q × q), row-major (pq × pq).
pub fn kron(x: &[f64], p: usize, y: &[f64], q: usize) -> Vec<f64> {
    let n = p * q;
    let mut out = vec![0.0; n * n];
    for i in 0..p {
        for k in 0..p {
            let xik = x[i * p + k];
            for j in 0..q {
                let row = (i * q + j) * n + k * q;
                for l in 0..q {
                    out[row + l] = xik * y[j * q + l];
                }
            }
        }
    }
    out
}

/// In-place lower Cholesky factor of a row-major SPD matrix; None when it is not positive
/// definite to working precision.
pub fn cholesky_factor(a: &mut [f64], n: usize) -> Option<Vec<f64>> {
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        if d.is_nan() || d <= 0.0 {
            return None;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / d;
        }
    }
    Some(a.to_vec())
}

/// Solves L Lᵀ x = b in place given the factor from [`cholesky_factor`].
pub fn cholesky_apply(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * n + k] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= l[k * n + i] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// Solves A x = b (A SPD, row-major, overwritten) in place; Err when A is not SPD.
pub fn cholesky_solve(a: &mut [f64], n: usize, b: &mut [f64]) -> Result<(), String> {
    let l = cholesky_factor(a, n).ok_or("matrix is not positive definite")?;
    cholesky_apply(&l, n, b);
    Ok(())
}
