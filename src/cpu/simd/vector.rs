//! The f32 vector types the SIMD kernels are written against: [`F32x`] with two
//! implementations, [`Avx2`] (8 lanes, AVX2 + FMA) and [`Avx512`] (16 lanes, AVX-512F). The
//! kernels in [`super::kernel`] are generic over it, so each rule is written once and compiled
//! once per instruction set inside a `#[target_feature]` entry point ([`super::entry`]).
//!
//! Safety model: a value of either type can only be made through the `unsafe` constructors
//! ([`F32x::splat`], [`F32x::zero`], [`F32x::load`]), whose contract is that the CPU has the
//! type's instruction set. Once a value exists that has been checked, so arithmetic on it
//! (the operators, [`F32x::fmadd`], comparisons, selects) is safe. Every method is
//! `#[inline(always)]`: inlined into the `#[target_feature]` entry points, the intrinsics
//! become single instructions of that set.

use std::ops::{Add, Div, Mul, Sub};

/// Most lanes of any vector type (AVX-512's 16 f32): the size of the kernels' lane buffers.
pub const MAX_LANES: usize = 16;

/// Lane values in memory: the first [`F32x::LANES`] entries are used.
pub type LaneArray = [f32; MAX_LANES];

/// An f32 vector of [`F32x::LANES`] lanes.
pub trait F32x:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self>
{
    /// Lanes per vector.
    const LANES: usize;
    /// A per-lane boolean (a vector of all-ones lanes on AVX2, a bit mask on AVX-512).
    type Mask: Copy;

    /// Every lane `v`.
    ///
    /// # Safety
    /// The CPU must have this type's instruction set (checked at run time by the caller).
    unsafe fn splat(v: f32) -> Self;
    /// Every lane 0.
    ///
    /// # Safety
    /// As [`F32x::splat`].
    unsafe fn zero() -> Self;
    /// The first [`F32x::LANES`] entries of `values`.
    ///
    /// # Safety
    /// As [`F32x::splat`].
    unsafe fn load(values: &LaneArray) -> Self;
    /// The lanes, written to the first [`F32x::LANES`] entries (the rest 0).
    fn to_array(self) -> LaneArray;
    /// self·b + c, fused.
    fn fmadd(self, b: Self, c: Self) -> Self;
    /// 1/self to within 2 ulp, for finite positive denominators away from 0 and ∞ (the
    /// kernels' are ≥ 1): the hardware estimate (12 bits on AVX2, 14 on AVX-512) and one
    /// Newton step r·(2 − x·r). A division takes ~10 cycles per vector where this takes ~4; the
    /// field has five per node.
    fn recip(self) -> Self;
    /// Lane-wise minimum; where either is NaN, `other` (the x86 rule).
    fn min(self, other: Self) -> Self;
    /// Lane-wise maximum; where either is NaN, `other`.
    fn max(self, other: Self) -> Self;
    /// |self|.
    fn abs(self) -> Self;
    /// self's sign bits only (−0.0 where negative, +0.0 elsewhere).
    fn sign_bits(self) -> Self;
    /// Bitwise or (to put sign bits onto a magnitude).
    fn or_bits(self, other: Self) -> Self;
    /// Rounded to the nearest integer (ties to even).
    fn round(self) -> Self;
    /// 2ⁿ for integral n ∈ [−126, 127] in each lane, built in the exponent field.
    fn pow2_int(self) -> Self;
    /// (e, m) with self = m·2ᵉ and m ∈ [1, 2), read from the bits of positive normal lanes
    /// (e as a float).
    fn exponent_mantissa(self) -> (Self, Self);
    /// √self, correctly rounded.
    fn sqrt(self) -> Self;
    /// self < other (ordered, quiet: false on NaN).
    fn lt(self, other: Self) -> Self::Mask;
    /// self ≤ other (ordered, quiet).
    fn le(self, other: Self) -> Self::Mask;
    /// self ≥ other (ordered, quiet).
    fn ge(self, other: Self) -> Self::Mask;
    /// `if_true` where `mask`, else `if_false`.
    fn select(mask: Self::Mask, if_true: Self, if_false: Self) -> Self;
    /// self where `mask`, 0 elsewhere.
    fn keep(self, mask: Self::Mask) -> Self;
    /// The sum of the lanes.
    fn sum(self) -> f32 {
        self.to_array()[..Self::LANES].iter().sum()
    }
}

#[cfg(target_arch = "x86_64")]
pub use x86::{Avx2, Avx512};

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;
    use std::ops::{Add, Div, Mul, Sub};

    use super::{F32x, LaneArray, MAX_LANES};

    /// 8 f32 lanes in a `__m256`, AVX2 + FMA.
    #[derive(Clone, Copy)]
    pub struct Avx2(__m256);

    /// 16 f32 lanes in a `__m512`, AVX-512F (+ FMA, which every AVX-512F CPU has).
    #[derive(Clone, Copy)]
    pub struct Avx512(__m512);

    // SAFETY (every `unsafe` block below): a value of the type exists only if the CPU has its
    // instruction set (the module's safety model), so its intrinsics may run.
    macro_rules! binary_ops {
        ($t:ident, $add:ident, $sub:ident, $mul:ident, $div:ident) => {
            impl Add for $t {
                type Output = Self;
                #[inline(always)]
                fn add(self, o: Self) -> Self {
                    $t(unsafe { $add(self.0, o.0) })
                }
            }
            impl Sub for $t {
                type Output = Self;
                #[inline(always)]
                fn sub(self, o: Self) -> Self {
                    $t(unsafe { $sub(self.0, o.0) })
                }
            }
            impl Mul for $t {
                type Output = Self;
                #[inline(always)]
                fn mul(self, o: Self) -> Self {
                    $t(unsafe { $mul(self.0, o.0) })
                }
            }
            impl Div for $t {
                type Output = Self;
                #[inline(always)]
                fn div(self, o: Self) -> Self {
                    $t(unsafe { $div(self.0, o.0) })
                }
            }
        };
    }

    binary_ops!(
        Avx2,
        _mm256_add_ps,
        _mm256_sub_ps,
        _mm256_mul_ps,
        _mm256_div_ps
    );
    binary_ops!(
        Avx512,
        _mm512_add_ps,
        _mm512_sub_ps,
        _mm512_mul_ps,
        _mm512_div_ps
    );

    impl F32x for Avx2 {
        const LANES: usize = 8;
        type Mask = Avx2;

        #[inline(always)]
        unsafe fn splat(v: f32) -> Self {
            Avx2(unsafe { _mm256_set1_ps(v) })
        }
        #[inline(always)]
        unsafe fn zero() -> Self {
            Avx2(unsafe { _mm256_setzero_ps() })
        }
        #[inline(always)]
        unsafe fn load(values: &LaneArray) -> Self {
            Avx2(unsafe { _mm256_loadu_ps(values.as_ptr()) })
        }
        #[inline(always)]
        fn to_array(self) -> LaneArray {
            let mut out = [0.0; MAX_LANES];
            unsafe { _mm256_storeu_ps(out.as_mut_ptr(), self.0) };
            out
        }
        #[inline(always)]
        fn fmadd(self, b: Self, c: Self) -> Self {
            Avx2(unsafe { _mm256_fmadd_ps(self.0, b.0, c.0) })
        }
        #[inline(always)]
        fn recip(self) -> Self {
            let r = Avx2(unsafe { _mm256_rcp_ps(self.0) });
            // r + r·(1 − x·r): the Newton step arranged for two FMAs.
            let one = Avx2(unsafe { _mm256_set1_ps(1.0) });
            r.fmadd(Avx2(unsafe { _mm256_fnmadd_ps(self.0, r.0, one.0) }), r)
        }
        #[inline(always)]
        fn min(self, o: Self) -> Self {
            Avx2(unsafe { _mm256_min_ps(self.0, o.0) })
        }
        #[inline(always)]
        fn max(self, o: Self) -> Self {
            Avx2(unsafe { _mm256_max_ps(self.0, o.0) })
        }
        #[inline(always)]
        fn abs(self) -> Self {
            Avx2(unsafe { _mm256_andnot_ps(_mm256_set1_ps(-0.0), self.0) })
        }
        #[inline(always)]
        fn sign_bits(self) -> Self {
            Avx2(unsafe { _mm256_and_ps(self.0, _mm256_set1_ps(-0.0)) })
        }
        #[inline(always)]
        fn or_bits(self, o: Self) -> Self {
            Avx2(unsafe { _mm256_or_ps(self.0, o.0) })
        }
        #[inline(always)]
        fn round(self) -> Self {
            Avx2(unsafe {
                _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(self.0)
            })
        }
        #[inline(always)]
        fn pow2_int(self) -> Self {
            Avx2(unsafe {
                let biased = _mm256_add_epi32(_mm256_cvtps_epi32(self.0), _mm256_set1_epi32(127));
                _mm256_castsi256_ps(_mm256_slli_epi32::<23>(biased))
            })
        }
        #[inline(always)]
        fn exponent_mantissa(self) -> (Self, Self) {
            unsafe {
                let bits = _mm256_castps_si256(self.0);
                let e = _mm256_sub_epi32(_mm256_srli_epi32::<23>(bits), _mm256_set1_epi32(127));
                let fraction = _mm256_and_si256(bits, _mm256_set1_epi32(0x007f_ffff));
                let m = _mm256_or_si256(fraction, _mm256_set1_epi32(0x3f80_0000));
                (Avx2(_mm256_cvtepi32_ps(e)), Avx2(_mm256_castsi256_ps(m)))
            }
        }
        #[inline(always)]
        fn sqrt(self) -> Self {
            Avx2(unsafe { _mm256_sqrt_ps(self.0) })
        }
        #[inline(always)]
        fn lt(self, o: Self) -> Self {
            Avx2(unsafe { _mm256_cmp_ps::<_CMP_LT_OQ>(self.0, o.0) })
        }
        #[inline(always)]
        fn le(self, o: Self) -> Self {
            Avx2(unsafe { _mm256_cmp_ps::<_CMP_LE_OQ>(self.0, o.0) })
        }
        #[inline(always)]
        fn ge(self, o: Self) -> Self {
            Avx2(unsafe { _mm256_cmp_ps::<_CMP_GE_OQ>(self.0, o.0) })
        }
        #[inline(always)]
        fn select(mask: Self, if_true: Self, if_false: Self) -> Self {
            Avx2(unsafe { _mm256_blendv_ps(if_false.0, if_true.0, mask.0) })
        }
        #[inline(always)]
        fn keep(self, mask: Self) -> Self {
            Avx2(unsafe { _mm256_and_ps(self.0, mask.0) })
        }
    }

    impl F32x for Avx512 {
        const LANES: usize = 16;
        type Mask = __mmask16;

        #[inline(always)]
        unsafe fn splat(v: f32) -> Self {
            Avx512(unsafe { _mm512_set1_ps(v) })
        }
        #[inline(always)]
        unsafe fn zero() -> Self {
            Avx512(unsafe { _mm512_setzero_ps() })
        }
        #[inline(always)]
        unsafe fn load(values: &LaneArray) -> Self {
            Avx512(unsafe { _mm512_loadu_ps(values.as_ptr()) })
        }
        #[inline(always)]
        fn to_array(self) -> LaneArray {
            let mut out = [0.0; MAX_LANES];
            unsafe { _mm512_storeu_ps(out.as_mut_ptr(), self.0) };
            out
        }
        #[inline(always)]
        fn fmadd(self, b: Self, c: Self) -> Self {
            Avx512(unsafe { _mm512_fmadd_ps(self.0, b.0, c.0) })
        }
        #[inline(always)]
        fn recip(self) -> Self {
            let r = Avx512(unsafe { _mm512_rcp14_ps(self.0) });
            let one = Avx512(unsafe { _mm512_set1_ps(1.0) });
            r.fmadd(Avx512(unsafe { _mm512_fnmadd_ps(self.0, r.0, one.0) }), r)
        }
        #[inline(always)]
        fn min(self, o: Self) -> Self {
            Avx512(unsafe { _mm512_min_ps(self.0, o.0) })
        }
        #[inline(always)]
        fn max(self, o: Self) -> Self {
            Avx512(unsafe { _mm512_max_ps(self.0, o.0) })
        }
        #[inline(always)]
        fn abs(self) -> Self {
            Avx512(unsafe { _mm512_abs_ps(self.0) })
        }
        #[inline(always)]
        fn sign_bits(self) -> Self {
            // Integer and: the f32 form needs AVX-512DQ, which AVX-512F alone does not promise.
            Avx512(unsafe {
                _mm512_castsi512_ps(_mm512_and_si512(
                    _mm512_castps_si512(self.0),
                    _mm512_set1_epi32(i32::MIN),
                ))
            })
        }
        #[inline(always)]
        fn or_bits(self, o: Self) -> Self {
            Avx512(unsafe {
                _mm512_castsi512_ps(_mm512_or_si512(
                    _mm512_castps_si512(self.0),
                    _mm512_castps_si512(o.0),
                ))
            })
        }
        #[inline(always)]
        fn round(self) -> Self {
            Avx512(unsafe {
                _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(self.0)
            })
        }
        #[inline(always)]
        fn pow2_int(self) -> Self {
            Avx512(unsafe {
                let biased = _mm512_add_epi32(_mm512_cvtps_epi32(self.0), _mm512_set1_epi32(127));
                _mm512_castsi512_ps(_mm512_slli_epi32::<23>(biased))
            })
        }
        #[inline(always)]
        fn exponent_mantissa(self) -> (Self, Self) {
            unsafe {
                let bits = _mm512_castps_si512(self.0);
                let e = _mm512_sub_epi32(_mm512_srli_epi32::<23>(bits), _mm512_set1_epi32(127));
                let fraction = _mm512_and_si512(bits, _mm512_set1_epi32(0x007f_ffff));
                let m = _mm512_or_si512(fraction, _mm512_set1_epi32(0x3f80_0000));
                (
                    Avx512(_mm512_cvtepi32_ps(e)),
                    Avx512(_mm512_castsi512_ps(m)),
                )
            }
        }
        #[inline(always)]
        fn sqrt(self) -> Self {
            Avx512(unsafe { _mm512_sqrt_ps(self.0) })
        }
        #[inline(always)]
        fn lt(self, o: Self) -> __mmask16 {
            unsafe { _mm512_cmp_ps_mask::<_CMP_LT_OQ>(self.0, o.0) }
        }
        #[inline(always)]
        fn le(self, o: Self) -> __mmask16 {
            unsafe { _mm512_cmp_ps_mask::<_CMP_LE_OQ>(self.0, o.0) }
        }
        #[inline(always)]
        fn ge(self, o: Self) -> __mmask16 {
            unsafe { _mm512_cmp_ps_mask::<_CMP_GE_OQ>(self.0, o.0) }
        }
        #[inline(always)]
        fn select(mask: __mmask16, if_true: Self, if_false: Self) -> Self {
            // blend takes b where the mask bit is set.
            Avx512(unsafe { _mm512_mask_blend_ps(mask, if_false.0, if_true.0) })
        }
        #[inline(always)]
        fn keep(self, mask: __mmask16) -> Self {
            Avx512(unsafe { _mm512_maskz_mov_ps(mask, self.0) })
        }
    }
}
