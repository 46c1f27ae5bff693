//! 2×2 row-major matrices: the small linear algebra of relaxation and shooting.

use crate::math::sym2::Sym2;

/// A 2×2 matrix, row-major.
pub(super) type Mat2 = [[f64; 2]; 2];

pub(super) fn mat(s: &Sym2<f64>) -> Mat2 {
    s.to_array()
}

pub(super) fn mat_mul(a: &Mat2, b: &Mat2) -> Mat2 {
    std::array::from_fn(|i| std::array::from_fn(|j| a[i][0] * b[0][j] + a[i][1] * b[1][j]))
}

pub(super) fn mat_vec(a: &Mat2, v: [f64; 2]) -> [f64; 2] {
    [
        a[0][0] * v[0] + a[0][1] * v[1],
        a[1][0] * v[0] + a[1][1] * v[1],
    ]
}

pub(super) fn mat_sub(a: &Mat2, b: &Mat2) -> Mat2 {
    std::array::from_fn(|i| std::array::from_fn(|j| a[i][j] - b[i][j]))
}

pub(super) fn mat_inv(a: &Mat2) -> Option<Mat2> {
    let det = a[0][0] * a[1][1] - a[0][1] * a[1][0];
    (det.is_finite() && det != 0.0).then(|| {
        [
            [a[1][1] / det, -a[0][1] / det],
            [-a[1][0] / det, a[0][0] / det],
        ]
    })
}
