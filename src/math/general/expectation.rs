//! Expectations under the general mixture: the panels split at the switch points, the
//! window's truncation derived from the integrand, Gauss–Legendre on each panel.

use super::mixture::GeneralMixture;
use crate::math::quadrature::QuadratureRule;

/// The tail bound of the truncation rule: Q(T)·(1 + T²)² ≤ TAIL·m² ([`super`]'s docs).
const TAIL: f64 = 1e-18;

/// The half-width T (in σ) of each component's window: the smallest T with
/// Q(T)·(1 + T²)² ≤ 1e-18·m², m the smallest positive weight among the mixtures ([`super`]'s
/// docs).
pub fn truncation_sigmas(mixtures: &[&GeneralMixture]) -> f64 {
    let m = mixtures
        .iter()
        .flat_map(|g| g.weights())
        .filter(|&w| w > 0.0)
        .fold(1.0f64, f64::min);
    let bound = TAIL * m * m;
    // Q(T) ≤ φ(T)/T: solve φ(T)(1 + T²)²/T = bound by fixed-point iteration on T² (monotone,
    // converges in a few steps from T = 8).
    let mut t: f64 = 8.0;
    for _ in 0..20 {
        let poly = (1.0 + t * t).powi(2) / (t * (2.0 * std::f64::consts::PI).sqrt());
        t = (2.0 * (poly / bound).ln()).sqrt();
    }
    t.clamp(8.0, 40.0)
}

/// E_{x∼p_under}[f(x)] for K quantities, with the panels of [`super`]'s docs: splits from every
/// mixture in `features` (whose responsibilities or log-density enter f) and truncation from
/// all of them and `under`.
pub fn expectation<const K: usize>(
    rule: &QuadratureRule,
    under: &GeneralMixture,
    features: &[&GeneralMixture],
    mut f: impl FnMut(f64) -> [f64; K],
) -> [f64; K] {
    let mut all: Vec<&GeneralMixture> = features.to_vec();
    all.push(under);
    let t = truncation_sigmas(&all);
    let splits: Vec<f64> = features
        .iter()
        .flat_map(|g| g.quadrature_splits())
        .collect();
    let mut acc = [0.0; K];
    for (weight, (center, sigma)) in under.weights().into_iter().zip(under.components()) {
        if weight <= 0.0 {
            continue;
        }
        let edges = panel_edges(center, sigma, t, &splits);
        let part = rule.panel_expectation(center, sigma, &edges, &mut f);
        for (a, p) in acc.iter_mut().zip(part) {
            *a += weight * p;
        }
    }
    acc
}

/// The ascending panel edges over [c − Tσ, c + Tσ]: the ends, c, and every split inside.
pub fn panel_edges(center: f64, sigma: f64, t: f64, splits: &[f64]) -> Vec<f64> {
    let (lo, hi) = (center - t * sigma, center + t * sigma);
    let mut edges: Vec<f64> = splits
        .iter()
        .copied()
        .filter(|&x| x > lo && x < hi)
        .collect();
    edges.push(lo);
    edges.push(center);
    edges.push(hi);
    edges.sort_by(f64::total_cmp);
    edges.dedup();
    edges
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::model::Model;

    #[test]
    fn truncation_widens_with_small_weights() {
        let g = GeneralMixture::new(&Model::default());
        let t = truncation_sigmas(&[&g]);
        assert!((9.0..11.0).contains(&t), "{t}");
        let small = GeneralMixture::new(&Model {
            pi: 1e-3,
            ..Model::default()
        });
        let ts = truncation_sigmas(&[&small]);
        assert!(ts > t + 1.0 && ts < 13.0, "{ts}");
        let one = GeneralMixture::new(&Model {
            pi: 1.0,
            ..Model::default()
        });
        assert!(truncation_sigmas(&[&one]) < t);
    }
}
