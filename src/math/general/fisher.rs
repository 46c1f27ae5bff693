//! The Fisher matrix of the general mixture: the full 5×5 F (score-square and negative-Hessian
//! forms), its block on a slice, the profiled metric (its Schur complement).

use serde::{Deserialize, Serialize};

use super::expectation::expectation;
use super::mixture::{GeneralMixture, Mat5};
use crate::math::model::{Model, Slice};
use crate::math::quadrature::QuadratureRule;
use crate::math::sym2::Sym2;

/// Packs the upper triangle of a symmetric 5×5 product into 15 values and back.
const TRI: [(usize, usize); 15] = {
    let mut out = [(0, 0); 15];
    let mut k = 0;
    let mut i = 0;
    while i < 5 {
        let mut j = i;
        while j < 5 {
            out[k] = (i, j);
            k += 1;
            j += 1;
        }
        i += 1;
    }
    out
};

pub(super) fn unpack(v: [f64; 15]) -> Mat5 {
    let mut m = [[0.0; 5]; 5];
    for (k, &(i, j)) in TRI.iter().enumerate() {
        m[i][j] = v[k];
        m[j][i] = v[k];
    }
    m
}

pub(super) fn outer(s: [f64; 5]) -> [f64; 15] {
    TRI.map(|(i, j)| s[i] * s[j])
}

/// The full Fisher matrix F = E_p[s sᵀ] (score-square form), rows in [`Param::ALL`](crate::math::Param::ALL) order.
/// The π row and column are NaN on the weight boundary.
pub fn fisher_full(model: &Model, rule: &QuadratureRule) -> Mat5 {
    let g = GeneralMixture::new(model);
    unpack(expectation(rule, &g, &[&g], |x| outer(g.scores(x))))
}

/// The full Fisher matrix in the negative-Hessian form F = −E_p[∂² log p].
pub fn fisher_full_hessian(model: &Model, rule: &QuadratureRule) -> Mat5 {
    let g = GeneralMixture::new(model);
    let h = expectation(rule, &g, &[&g], |x| {
        let h = g.log_density_hessian(x);
        TRI.map(|(i, j)| h[i][j])
    });
    unpack(h.map(|v| -v))
}

/// The 2×2 block of a 5×5 matrix for a slice, in slice order.
pub fn slice_block(full: &Mat5, slice: &Slice) -> Sym2<f64> {
    let (a, b) = (slice.a.index(), slice.b.index());
    Sym2::new(full[a][a], full[a][b], full[b][b])
}

/// The slice's components of a 5-vector, in slice order.
pub fn slice_vector(v: &[f64; 5], slice: &Slice) -> [f64; 2] {
    [v[slice.a.index()], v[slice.b.index()]]
}

/// The induced metric on the slice: the (a, b) block of F, in slice order.
pub fn fisher_slice(model: &Model, slice: &Slice, rule: &QuadratureRule) -> Sym2<f64> {
    slice_block(&fisher_full(model, rule), slice)
}

/// Which metric a slice carries (MATH.md, "The general two-component mixture and its slices").
///
/// * `Induced`: the (a, b) block F_ss of the full 5×5 F — the geometry of the slice as a
///   submanifold, the three held parameters known exactly;
/// * `Profiled`: its Schur complement F_ss − F_sn F_nn⁻¹ F_ns — the information about (a, b)
///   left when the three held parameters are unknown and estimated too (the inverse of the
///   (s, s) block of F⁻¹). It is ≤ the induced metric in the Loewner order, with equality where
///   the held parameters are orthogonal to the slice (F_sn = 0).
///
/// Serialized as "induced" / "profiled"; [`Metric::code`] is the kernels' `metric` value
/// (`METRIC_*` in `shaders/common/gmm_general.wgsl`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// The (a, b) block of F.
    #[default]
    Induced = 0,
    /// The Schur complement of the held parameters' block.
    Profiled = 1,
}

impl Metric {
    /// Both, in code order.
    pub const ALL: [Metric; 2] = [Metric::Induced, Metric::Profiled];

    /// The kernels' `metric` value.
    pub const fn code(self) -> u32 {
        self as u32
    }

    /// The name used in files and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Metric::Induced => "induced",
            Metric::Profiled => "profiled",
        }
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Metric {
    type Err = String;

    /// Parses "induced" or "profiled".
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Metric::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| format!("unknown metric '{s}': expected induced or profiled"))
    }
}

/// Why the profiled metric is undefined at a point.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
pub enum ProfiledError {
    /// π is held at exactly 0 or 1: one component is absent, the π score (φ1 − φ2)/p is
    /// undefined there and F_ππ = ∫φ1²/φ2 − 1 (or its mirror) is infinite when the present
    /// component is wide enough (σ1 ≥ √2σ2), so π cannot be profiled out.
    #[error(
        "the profiled metric is undefined with pi held at {pi}: F_pi,pi is undefined (or infinite) on the weight boundary; use the induced metric or hold pi inside (0, 1)"
    )]
    WeightOnBoundary {
        /// The held π.
        pi: f64,
    },
    /// The held parameters' block F_nn is singular to working precision: a pivot of its
    /// unit-diagonal scaling is below [`PROFILE_MIN_PIVOT`] (e.g. the π score vanishes where
    /// the two components coincide), so F_nn⁻¹ does not exist.
    #[error(
        "the profiled metric is undefined here: the held parameters' Fisher block is singular (smallest pivot {min_pivot:.1e})"
    )]
    SingularNuisance {
        /// The smallest pivot of the unit-diagonal F_nn (0 when a diagonal entry is 0).
        min_pivot: f64,
    },
}

/// The f64 reference's pivot limit for the profiled metric: F_nn counts as singular where a
/// pivot of its unit-diagonal Cholesky factorization is below this (the Schur complement's
/// rounding grows like ε/pivot, 1e-4 relative at the limit). The f32 kernels use 1e-3.
pub const PROFILE_MIN_PIVOT: f64 = 1e-12;

/// The three parameters a slice holds, ascending.
pub fn held_params(slice: &Slice) -> [usize; 3] {
    let (a, b) = (slice.a.index(), slice.b.index());
    let mut out = [0; 3];
    let mut n = 0;
    for k in 0..5 {
        if k != a && k != b {
            out[n] = k;
            n += 1;
        }
    }
    out
}

/// The Schur complement F_ss − F_sn F_nn⁻¹ F_ns of a full F for a slice (slice order), with the
/// smallest pivot of F_nn's unit-diagonal Cholesky factorization. The algorithm is the f32
/// kernel's (`profiled_block` in gmm_general.wgsl): scale F_nn to unit diagonal (the held
/// parameters mix units), factor it C = LLᵀ, and S = F_ss − WᵀW with W = L⁻¹ D F_ns. The
/// pivot is 0 (and the block NaN) where a diagonal entry of F_nn is not positive.
pub fn schur_complement(full: &Mat5, slice: &Slice) -> (Sym2<f64>, f64) {
    let n = held_params(slice);
    let s = [slice.a.index(), slice.b.index()];
    let d = n.map(|k| full[k][k]);
    if !d.iter().all(|&v| v > 0.0) {
        return (Sym2::new(f64::NAN, f64::NAN, f64::NAN), 0.0);
    }
    let d = d.map(|v| v.sqrt().recip());
    let c = |i: usize, j: usize| full[n[i]][n[j]] * d[i] * d[j];
    let l10 = c(1, 0);
    let l20 = c(2, 0);
    let p1 = 1.0 - l10 * l10;
    let l11 = p1.max(0.0).sqrt();
    let l21 = (c(2, 1) - l20 * l10) / l11;
    let p2 = 1.0 - l20 * l20 - l21 * l21;
    let l22 = p2.max(0.0).sqrt();
    // W = L⁻¹ D F_ns, row by row (forward substitution), both columns at once.
    let row = |i: usize| s.map(|sc| d[i] * full[n[i]][sc]);
    let w0 = row(0);
    let w1: [f64; 2] = std::array::from_fn(|c| (row(1)[c] - l10 * w0[c]) / l11);
    let w2: [f64; 2] = std::array::from_fn(|c| (row(2)[c] - l20 * w0[c] - l21 * w1[c]) / l22);
    let w = [w0, w1, w2];
    let dot = |x: usize, y: usize| w.iter().map(|r| r[x] * r[y]).sum::<f64>();
    let block = Sym2::new(
        full[s[0]][s[0]] - dot(0, 0),
        full[s[0]][s[1]] - dot(0, 1),
        full[s[1]][s[1]] - dot(1, 1),
    );
    (block, p1.min(p2))
}

/// The profiled metric on the slice (see [`Metric::Profiled`]): the Schur complement of the
/// held parameters' block of [`fisher_full`], in slice order. Undefined — an error saying why,
/// never a number — where π is held at exactly 0 or 1, or where F_nn is singular to f64
/// working precision (a pivot below [`PROFILE_MIN_PIVOT`], e.g. on (μ1, μ2) at μ1 = μ2 with
/// σ1 = σ2, where the held π's score vanishes). Near that set the block is accurate to about
/// ε/pivot relative to F_sn F_nn⁻¹ F_ns.
pub fn fisher_profiled(
    model: &Model,
    slice: &Slice,
    rule: &QuadratureRule,
) -> Result<Sym2<f64>, ProfiledError> {
    if model.pi == 0.0 || model.pi == 1.0 {
        return Err(ProfiledError::WeightOnBoundary { pi: model.pi });
    }
    let (block, min_pivot) = schur_complement(&fisher_full(model, rule), slice);
    // Written so that a NaN pivot also counts as singular.
    let regular = min_pivot >= PROFILE_MIN_PIVOT;
    if !regular {
        return Err(ProfiledError::SingularNuisance { min_pivot });
    }
    Ok(block)
}

/// The slice's metric block of either kind (induced never fails).
pub fn fisher_metric(
    model: &Model,
    slice: &Slice,
    metric: Metric,
    rule: &QuadratureRule,
) -> Result<Sym2<f64>, ProfiledError> {
    match metric {
        Metric::Induced => Ok(fisher_slice(model, slice, rule)),
        Metric::Profiled => fisher_profiled(model, slice, rule),
    }
}
