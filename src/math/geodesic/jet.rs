//! The geodesic equation's right-hand side on any [`Plane`](crate::math::family::Plane): the
//! Christoffel symbols from the metric's jet, the acceleration, the Fisher–Rao speed.

pub use crate::math::family::MetricJet;
use crate::math::sym2::Sym2;

/// Γᵏᵢⱼ as `gamma[k][i][j]` (symmetric in i, j), slice order.
pub type Christoffel = [[[f64; 2]; 2]; 2];

/// The entry (i, j) of a symmetric 2×2 matrix.
fn entry(m: &Sym2<f64>, i: usize, j: usize) -> f64 {
    match (i, j) {
        (0, 0) => m.xx,
        (1, 1) => m.yy,
        _ => m.xy,
    }
}

/// Γᵏᵢⱼ from a jet, or None where F is not positive definite (det F ≤ 0, or not finite).
pub fn christoffel(jet: &MetricJet) -> Option<Christoffel> {
    let f = &jet.metric;
    let det = f.det();
    if !(det > 0.0 && det.is_finite() && f.xx > 0.0) {
        return None;
    }
    let inv = [[f.yy / det, -f.xy / det], [-f.xy / det, f.xx / det]];
    let d = |k: usize, i: usize, j: usize| entry(&jet.derivative[k], i, j);
    // Christoffel symbols of the first kind: Γ_lij = ½(∂ᵢF_lj + ∂ⱼF_li − ∂ₗF_ij).
    let first = |l: usize, i: usize, j: usize| 0.5 * (d(i, l, j) + d(j, l, i) - d(l, i, j));
    let mut gamma = [[[0.0; 2]; 2]; 2];
    for (k, gk) in gamma.iter_mut().enumerate() {
        for (i, row) in gk.iter_mut().enumerate() {
            for (j, g) in row.iter_mut().enumerate() {
                *g = (0..2).map(|l| inv[k][l] * first(l, i, j)).sum();
            }
        }
    }
    Some(gamma)
}

/// The geodesic equation's acceleration θ̈ᵏ = −Γᵏᵢⱼ vⁱ vʲ at velocity `v`.
pub fn acceleration(gamma: &Christoffel, v: [f64; 2]) -> [f64; 2] {
    std::array::from_fn(|k| {
        -(gamma[k][0][0] * v[0] * v[0]
            + 2.0 * gamma[k][0][1] * v[0] * v[1]
            + gamma[k][1][1] * v[1] * v[1])
    })
}

/// The squared Fisher–Rao speed vᵀFv.
pub fn speed_squared(metric: &Sym2<f64>, v: [f64; 2]) -> f64 {
    metric.xx * v[0] * v[0] + 2.0 * metric.xy * v[0] * v[1] + metric.yy * v[1] * v[1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::general::metric_jet;
    use crate::math::{Model, QuadratureRule, Slice};

    fn rule() -> QuadratureRule {
        QuadratureRule::new(64).unwrap()
    }

    /// On the seed's diagonal F is singular: no Christoffel symbols.
    #[test]
    fn christoffel_is_none_on_the_singular_diagonal() {
        let model = Model::seed(0.4, 0.4, 1.0);
        let jet = metric_jet(&model, &Slice::SEED, &rule());
        assert!(
            christoffel(&jet).is_none() || jet.metric.det() < 1e-12,
            "{jet:?}"
        );
        let off = metric_jet(&Model::seed(0.0, 1.0, 1.0), &Slice::SEED, &rule());
        assert!(christoffel(&off).is_some());
        let nan = MetricJet {
            metric: Sym2::new(f64::NAN, 0.0, 1.0),
            derivative: off.derivative,
        };
        assert!(christoffel(&nan).is_none());
    }
}
