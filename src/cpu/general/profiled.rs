//! The profiled metric's Schur complement: the regression of the slice scores on the held
//! ones, from the full F (f32, as the shader's `profiled_block`).

use super::passes::tri_index;
use crate::math::sym2::Sym2;

/// Pivot limit of the f32 Schur complement (`PROFILE_MIN_PIVOT`).
pub const PROFILE_MIN_PIVOT: f32 = 1e-3;

/// `Profiled`: the rough Schur complement, the regression P = F_sn F_nn⁻¹ of the slice scores
/// on the held ones (rows `p_a`, `p_b` over `held`).
#[derive(Clone, Copy, Debug)]
pub struct Profiled {
    /// F_ss − WᵀW from the sums (cancels where S ≪ F_ss; used to choose a basis).
    pub block: Sym2<f32>,
    /// Row a of P.
    pub p_a: [f32; 3],
    /// Row b of P.
    pub p_b: [f32; 3],
    /// The held parameters, ascending.
    pub held: [u32; 3],
}

/// `profiled_block`: None where F_nn is singular to f32 working precision.
pub fn profiled_block(f: &[f32; 15], slice: [u32; 2]) -> Option<Profiled> {
    let (sa, sb) = (slice[0] as usize, slice[1] as usize);
    let mut n = [0usize; 3];
    let mut count = 0;
    for k in 0..5 {
        if k != sa && k != sb {
            n[count] = k;
            count += 1;
        }
    }
    let mut d = [0.0f32; 3];
    for i in 0..3 {
        let fii = f[tri_index(n[i], n[i])];
        // Written so that NaN also fails (as the shader's `!(… > …)`).
        let positive = fii > 0.0;
        if !positive {
            return None;
        }
        d[i] = 1.0 / fii.sqrt();
    }
    let c10 = f[tri_index(n[1], n[0])] * d[1] * d[0];
    let c20 = f[tri_index(n[2], n[0])] * d[2] * d[0];
    let c21 = f[tri_index(n[2], n[1])] * d[2] * d[1];
    let l10 = c10;
    let l20 = c20;
    let p1 = 1.0 - l10 * l10;
    let pivot_ok = p1 >= PROFILE_MIN_PIVOT;
    if !pivot_ok {
        return None;
    }
    let l11 = p1.sqrt();
    let l21 = (c21 - l20 * l10) / l11;
    let p2 = 1.0 - l20 * l20 - l21 * l21;
    let pivot_ok = p2 >= PROFILE_MIN_PIVOT;
    if !pivot_ok {
        return None;
    }
    let l22 = p2.sqrt();
    let row = |i: usize| [d[i] * f[tri_index(n[i], sa)], d[i] * f[tri_index(n[i], sb)]];
    let w0 = row(0);
    let mut w1 = row(1);
    let mut w2 = row(2);
    for c in 0..2 {
        w1[c] = (w1[c] - l10 * w0[c]) / l11;
        w2[c] = (w2[c] - l20 * w0[c] - l21 * w1[c]) / l22;
    }
    let block = Sym2::new(
        f[tri_index(sa, sa)] - (w0[0] * w0[0] + w1[0] * w1[0] + w2[0] * w2[0]),
        f[tri_index(sa, sb)] - (w0[0] * w0[1] + w1[0] * w1[1] + w2[0] * w2[1]),
        f[tri_index(sb, sb)] - (w0[1] * w0[1] + w1[1] * w1[1] + w2[1] * w2[1]),
    );
    // P's rows: D L⁻ᵀ W (back substitution), column by column.
    let mut p = [[0.0f32; 3]; 2];
    for c in 0..2 {
        let v2 = w2[c] / l22;
        let v1 = (w1[c] - l21 * v2) / l11;
        let v0 = w0[c] - l10 * v1 - l20 * v2;
        p[c] = [d[0] * v0, d[1] * v1, d[2] * v2];
    }
    Some(Profiled {
        block,
        p_a: p[0],
        p_b: p[1],
        held: n.map(|k| k as u32),
    })
}
