//! 2×2 symmetric matrices: eigen-decomposition, solves, the natural gradient and the angle,
//! generic over f32 and f64 so the f64 reference and the f32 CPU mirror of the WGSL kernel run
//! the same algorithm (the WGSL twin is `shaders/common/sym2.wgsl`).
//!
//! Accuracy for near-zero eigenvalues: λ_max = mean + r never cancels (both terms ≥ 0 for a
//! positive semi-definite matrix); λ_min is then det/λ_max with the determinant computed by
//! Kahan's fused-multiply-add scheme, accurate to a few ulps whenever the off-diagonal entry
//! is small against the diagonal, which is the case in the rotated basis that fisherflow
//! works in. Computing λ_min = mean − r instead loses everything when κ ≳ 1/ε.

use num_traits::Float;
use serde::{Deserialize, Serialize};

/// Beyond this condition number (F + λI) counts as singular to working precision and the
/// natural gradient is reported as undefined. In the rotated basis F's eigenvalues are
/// resolved to relative precision well past κ = 1/ε_f32, so the bound is set by what is still
/// meaningful, not by cancellation: κ = 1e12 is reached at |Δ| ≈ 1.4e-6 σ.
pub const SINGULAR_CONDITION: f64 = 1e12;

/// A symmetric 2×2 matrix [[xx, xy], [xy, yy]].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sym2<T> {
    /// Entry (1, 1).
    pub xx: T,
    /// Entries (1, 2) = (2, 1).
    pub xy: T,
    /// Entry (2, 2).
    pub yy: T,
}

/// Eigen-decomposition M = λ_max q_max q_maxᵀ + λ_min q_min q_minᵀ.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Eigen<T> {
    /// Larger eigenvalue.
    pub lambda_max: T,
    /// Smaller eigenvalue (clamped at 0: the matrices here are positive semi-definite and a
    /// negative value could only be rounding).
    pub lambda_min: T,
    /// Unit eigenvector of λ_max.
    pub q_max: [T; 2],
    /// Unit eigenvector of λ_min (q_max turned by +90°).
    pub q_min: [T; 2],
}

impl<T: Float> Eigen<T> {
    /// κ = λ_max/λ_min, or None when λ_min = 0 (κ infinite).
    pub fn condition(&self) -> Option<T> {
        (self.lambda_min > T::zero()).then(|| self.lambda_max / self.lambda_min)
    }

    /// Semi-axes √(ε/λ) of the level set δᵀMδ = ε, [along q_max, along q_min]; infinite
    /// along a zero eigenvalue.
    pub fn ellipse_semi_axes(&self, epsilon: T) -> [T; 2] {
        [
            (epsilon / self.lambda_max).sqrt(),
            (epsilon / self.lambda_min).sqrt(),
        ]
    }
}

impl<T: Float> Sym2<T> {
    /// The matrix [[xx, xy], [xy, yy]].
    pub fn new(xx: T, xy: T, yy: T) -> Self {
        Self { xx, xy, yy }
    }

    /// det = xx·yy − xy², by Kahan's compensated scheme.
    pub fn det(&self) -> T {
        let w = self.xy * self.xy;
        let product_error = (-self.xy).mul_add(self.xy, w);
        self.xx.mul_add(self.yy, -w) + product_error
    }

    /// M + λI.
    pub fn add_diagonal(&self, lambda: T) -> Self {
        Self::new(self.xx + lambda, self.xy, self.yy + lambda)
    }

    /// Largest absolute entry, the scale for entry-wise tolerances; NaN if any entry is NaN
    /// (`max` alone would drop it and let a NaN matrix pass a tolerance check).
    pub fn max_abs(&self) -> T {
        let entries = [self.xx, self.xy, self.yy];
        if entries.iter().any(|v| v.is_nan()) {
            return T::nan();
        }
        self.xx.abs().max(self.xy.abs()).max(self.yy.abs())
    }

    /// Largest absolute entry of `self − other`, NaN if any entry is NaN.
    pub fn max_abs_difference(&self, other: &Self) -> T {
        Self::new(self.xx - other.xx, self.xy - other.xy, self.yy - other.yy).max_abs()
    }

    /// Entries as a row-major 2×2 array.
    pub fn to_array(&self) -> [[T; 2]; 2] {
        [[self.xx, self.xy], [self.xy, self.yy]]
    }

    /// Eigen-decomposition, accurate for near-zero and near-equal eigenvalues (module docs).
    pub fn eigen(&self) -> Eigen<T> {
        let two = T::one() + T::one();
        let half = T::one() / two;
        let mean = half * (self.xx + self.yy);
        let half_gap = half * (self.xx - self.yy);
        let radius = half_gap.hypot(self.xy);
        let lambda_max = mean + radius;
        let lambda_min = if lambda_max > T::zero() {
            (self.det() / lambda_max).max(T::zero())
        } else {
            T::zero()
        };
        // (cos φ, sin φ) with φ = ½·atan2(2·xy, xx − yy), without trigonometry (the shader's
        // `sym2_q_max`: the GPU's trigonometric functions are approximations): the vector of
        // two same-signed terms, normalised, x ≥ 0.
        let v = if half_gap >= T::zero() {
            [half_gap + radius, self.xy]
        } else {
            [self.xy, radius - half_gap]
        };
        let length = v[0].hypot(v[1]);
        // The zero matrix: any direction, (1, 0) as atan2(0, 0) = 0 gave; NaN stays NaN.
        let [c, s] = if length == T::zero() {
            [T::one(), T::zero()]
        } else {
            let u = [v[0] / length, v[1] / length];
            if u[0] < T::zero() { [-u[0], -u[1]] } else { u }
        };
        Eigen {
            lambda_max,
            lambda_min,
            q_max: [c, s],
            q_min: [-s, c],
        }
    }

    /// Solves M·n = g by Cramer's rule with the compensated determinant.
    pub fn solve(&self, g: [T; 2]) -> [T; 2] {
        let det = self.det();
        [
            (self.yy * g[0] - self.xy * g[1]) / det,
            (self.xx * g[1] - self.xy * g[0]) / det,
        ]
    }

    /// R·M·Rᵀ with R = [[1, 1], [1, −1]]/√2: a matrix given in the rotated (u, v) basis,
    /// expressed in the standard (μ1, μ2) basis. R is its own inverse, so this also maps back.
    pub fn rotate_basis(&self) -> Self {
        let half = T::one() / (T::one() + T::one());
        let mean = half * (self.xx + self.yy);
        Self::new(mean + self.xy, half * (self.xx - self.yy), mean - self.xy)
    }
}

/// R·v with R = [[1, 1], [1, −1]]/√2: (u, v) components to (μ1, μ2) components and back.
pub fn rotate_vector<T: Float>(v: [T; 2]) -> [T; 2] {
    let inv_sqrt2 = (T::one() + T::one()).sqrt().recip();
    [(v[0] + v[1]) * inv_sqrt2, (v[0] - v[1]) * inv_sqrt2]
}

/// The damped natural gradient (F + λI)⁻¹ g, with F and g in the same basis; None when
/// F + λI is singular to working precision (κ > [`SINGULAR_CONDITION`]) or the result is not
/// finite.
pub fn natural_gradient<T: Float>(fisher: &Sym2<T>, damping: T, grad: [T; 2]) -> Option<[T; 2]> {
    let damped = fisher.add_diagonal(damping);
    let eig = damped.eigen();
    let limit = T::from(SINGULAR_CONDITION).expect("1e12 is representable in f32 and f64");
    // Written so that NaN eigenvalues also count as singular.
    let well_conditioned = eig.lambda_min * limit > eig.lambda_max;
    if !well_conditioned {
        return None;
    }
    let n = damped.solve(grad);
    (n[0].is_finite() && n[1].is_finite()).then_some(n)
}

/// The angle between two vectors in degrees, by atan2(|a×b|, a·b) (accurate near 0°, where
/// arccos is not); None when either vector is zero.
pub fn angle_deg<T: Float>(a: [T; 2], b: [T; 2]) -> Option<T> {
    let zero = T::zero();
    if (a[0] == zero && a[1] == zero) || (b[0] == zero && b[1] == zero) {
        return None;
    }
    let cross = a[0] * b[1] - a[1] * b[0];
    let dot = a[0] * b[0] + a[1] * b[1];
    Some(cross.abs().atan2(dot).to_degrees())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigen_resolves_tiny_eigenvalue_in_f32() {
        // diag(0.5, 2.5e-9) rotated: near-singular but the rotated form keeps λ_min exact.
        let m = Sym2::new(0.5f32, 1e-12, 2.5e-9);
        let e = m.eigen();
        assert!(
            (e.lambda_min / 2.5e-9 - 1.0).abs() < 1e-5,
            "λmin {}",
            e.lambda_min
        );
        assert!((e.lambda_max - 0.5).abs() < 1e-7);
        // The naive formula mean − r gives garbage here: the negative control.
        let naive = 0.5 * (m.xx + m.yy) - (0.5 * (m.xx - m.yy)).hypot(m.xy);
        assert!((naive / 2.5e-9 - 1.0).abs() > 1e-2, "naive {naive}");
    }

    #[test]
    fn eigenvectors_reconstruct_the_matrix() {
        let m = Sym2::new(0.3, -0.12, 0.7);
        let e = m.eigen();
        let rebuild = |i: usize, j: usize| {
            e.lambda_max * e.q_max[i] * e.q_max[j] + e.lambda_min * e.q_min[i] * e.q_min[j]
        };
        assert!((rebuild(0, 0) - 0.3).abs() < 1e-15);
        assert!((rebuild(0, 1) + 0.12).abs() < 1e-15);
        assert!((rebuild(1, 1) - 0.7).abs() < 1e-15);
    }

    #[test]
    fn rotation_round_trips_and_diagonalises_equal_diagonal_matrices() {
        let m = Sym2::new(0.4, 0.1, 0.4);
        let r = m.rotate_basis();
        assert!((r.xy).abs() < 1e-16 && (r.xx - 0.5).abs() < 1e-16 && (r.yy - 0.3).abs() < 1e-16);
        let back = r.rotate_basis();
        assert!((back.xx - 0.4).abs() < 1e-16 && (back.xy - 0.1).abs() < 1e-16);
        assert!((back.yy - 0.4).abs() < 1e-16);
        // NaN is never a small difference.
        let nan = Sym2::new(1.0, f64::NAN, 1.0);
        assert!(nan.max_abs().is_nan() && nan.max_abs_difference(&m).is_nan());
    }

    #[test]
    fn natural_gradient_is_undefined_only_when_singular() {
        let singular = Sym2::new(0.5, 0.0, 0.0);
        assert_eq!(natural_gradient(&singular, 0.0, [1.0, 1.0]), None);
        let damped = natural_gradient(&singular, 0.1, [1.0, 1.0]).unwrap();
        assert!((damped[1] - 10.0).abs() < 1e-12 && (damped[0] - 1.0 / 0.6).abs() < 1e-12);
        assert!(natural_gradient(&Sym2::new(0.5, 0.0, 1e-9), 0.0, [0.0, 1.0]).is_some());
    }

    #[test]
    fn angle_is_accurate_near_zero_and_undefined_for_zero_vectors() {
        let a = angle_deg([1.0, 0.0], [1.0, 1e-9]).unwrap();
        assert!((a - 1e-9f64.to_degrees()).abs() < 1e-20);
        assert_eq!(angle_deg([0.0, 0.0], [1.0, 0.0]), None);
        assert!((angle_deg([1.0f64, 0.0], [0.0, 2.0]).unwrap() - 90.0).abs() < 1e-12);
    }
}
