//! Finite-sample Fisher estimates (MATH.md, "Fisher estimates") and the one seeded generator
//! that draws their samples, on the CPU and (bit for bit in its integers) in WGSL
//! (`shaders/common/sampling.wgsl`).
//!
//! # The generator
//! Counter-based, so any sample can be drawn on its own (one GPU invocation per sample, no
//! sequential state) and the CPU and the GPU draw the same samples:
//!
//! * `hash(x)` is the 32-bit PCG hash (the RXS-M-XS output of one PCG step; Jarzynski & Olano,
//!   "Hash Functions for GPU Rendering", JCGT 2020): `state = x·747796405 + 2891336453`,
//!   `word = ((state >> ((state >> 28) + 4)) ^ state)·277803737`, `hash = (word >> 22) ^ word`,
//!   all wrapping u32 arithmetic;
//! * a draw is keyed by (seed, stream, counter): `key = hash(seed ^ hash(stream))`, and its
//!   bits are `hash(key ^ hash(counter))`;
//! * a uniform is the top 24 bits k = `bits >> 8` as (k + ½)/2²⁴, in (0, 1). That needs 25
//!   significant bits for k ≥ 2²³, so it is *not* exact in f32: the GPU twin therefore works
//!   from the integer k where it matters (the component pick compares k with π·2²⁴ − ½, so
//!   both sides pick the same component) and forms the Box–Muller uniforms in f32 (an f32
//!   rounding of the same number);
//! * sample i of a mixture uses counters 3i, 3i + 1, 3i + 2: the first uniform picks the
//!   component (the first when u < π), the other two make a standard normal by Box–Muller,
//!   z = √(−2 ln u1)·cos(2π u2), and x = μ_c + σ_c z.
//!
//! Streams: [`STREAM_TARGET`] draws data from p* (the finite-sample empirical Fisher);
//! [`stream_model`]`(k)` draws from the model for the Monte-Carlo Fisher, a fresh resample for
//! every k (the optimizer's step index; `fisherflow fim` uses k = 0).
//!
//! # The estimates
//! With N samples xᵢ, both are (1/N) Σ s(xᵢ) s(xᵢ)ᵀ with s the model's score at θ: the
//! **finite-sample empirical Fisher** takes xᵢ ∼ p* (it converges to the population EF =
//! E_{p*}[s sᵀ], [`super::general::empirical_fisher_full`]); the **Monte-Carlo Fisher** takes
//! xᵢ ∼ p_θ (it converges to F). Each has rank ≤ N.

use super::general::{GeneralMixture, Mat5, slice_block};
use super::model::{Model, Slice};
use super::sym2::Sym2;

/// Stream of the data drawn from the target p* (finite-sample empirical Fisher).
pub const STREAM_TARGET: u32 = 0;

/// Stream of the k-th resample from the model (Monte-Carlo Fisher; k = an optimizer's step).
pub const fn stream_model(k: u32) -> u32 {
    1u32.wrapping_add(k)
}

/// Most samples one estimate may use (the UI's and the CLI's limit).
pub const MAX_SAMPLES: u32 = 1 << 20;

/// The 32-bit PCG hash (module docs).
pub const fn pcg_hash(x: u32) -> u32 {
    let state = x.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
    let word = ((state >> ((state >> 28) + 4)) ^ state).wrapping_mul(277_803_737);
    (word >> 22) ^ word
}

/// The random bits of draw `counter` of (`seed`, `stream`).
pub const fn random_bits(seed: u32, stream: u32, counter: u32) -> u32 {
    let key = pcg_hash(seed ^ pcg_hash(stream));
    pcg_hash(key ^ pcg_hash(counter))
}

/// A uniform in (0, 1) with 24 random bits: (k + ½)/2²⁴ for k = `bits >> 8` (exact in f64).
pub fn uniform(seed: u32, stream: u32, counter: u32) -> f64 {
    ((random_bits(seed, stream, counter) >> 8) as f64 + 0.5) / 16_777_216.0
}

/// Sample `index` of the mixture `model` from (`seed`, `stream`) (module docs).
pub fn sample(model: &Model, seed: u32, stream: u32, index: u32) -> f64 {
    let c = index.wrapping_mul(3);
    let pick = uniform(seed, stream, c);
    let u1 = uniform(seed, stream, c.wrapping_add(1));
    let u2 = uniform(seed, stream, c.wrapping_add(2));
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    if pick < model.pi {
        model.mu1 + model.sigma1 * z
    } else {
        model.mu2 + model.sigma2 * z
    }
}

/// The first `n` samples of (`seed`, `stream`) from `model`.
pub fn samples(model: &Model, n: u32, seed: u32, stream: u32) -> Vec<f64> {
    (0..n).map(|i| sample(model, seed, stream, i)).collect()
}

/// (1/N) Σ s(xᵢ) s(xᵢ)ᵀ, the model's scores at the given points, 5×5. An empty set gives NaN.
pub fn score_outer_mean(model: &Model, xs: &[f64]) -> Mat5 {
    let g = GeneralMixture::new(model);
    let mut m = [[0.0; 5]; 5];
    for &x in xs {
        let s = g.scores(x);
        for i in 0..5 {
            for j in i..5 {
                m[i][j] += s[i] * s[j];
            }
        }
    }
    let inv_n = 1.0 / xs.len() as f64;
    #[allow(clippy::needless_range_loop)] // mirrors the upper triangle: both indices needed
    for i in 0..5 {
        for j in i..5 {
            m[i][j] *= inv_n;
            m[j][i] = m[i][j];
        }
    }
    m
}

/// The finite-sample empirical Fisher at `model`: N samples of `target` from
/// ([`STREAM_TARGET`], `seed`), slice block.
pub fn empirical_fisher_samples(
    model: &Model,
    slice: &Slice,
    target: &Model,
    n: u32,
    seed: u32,
) -> Sym2<f64> {
    let xs = samples(target, n, seed, STREAM_TARGET);
    slice_block(&score_outer_mean(model, &xs), slice)
}

/// The Monte-Carlo Fisher at `model`: N samples of the model itself from
/// ([`stream_model`]`(k)`, `seed`), slice block.
pub fn mc_fisher(model: &Model, slice: &Slice, n: u32, seed: u32, k: u32) -> Sym2<f64> {
    let xs = samples(model, n, seed, stream_model(k));
    slice_block(&score_outer_mean(model, &xs), slice)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::QuadratureRule;
    use crate::math::general::{empirical_fisher_full, fisher_slice};

    #[test]
    fn pcg_hash_matches_its_definition_on_known_words() {
        // Worked by hand from the formula: hash(0): state = 2891336453 (0xAC564B05),
        // state >> 28 = 10, shift 14.
        let state: u32 = 2_891_336_453;
        let word = ((state >> 14) ^ state).wrapping_mul(277_803_737);
        assert_eq!(pcg_hash(0), (word >> 22) ^ word);
        // Different counters and streams give different bits.
        assert_ne!(random_bits(1, 0, 0), random_bits(1, 0, 1));
        assert_ne!(random_bits(1, 0, 0), random_bits(1, 1, 0));
        assert_ne!(random_bits(1, 0, 0), random_bits(2, 0, 0));
    }

    #[test]
    fn uniforms_are_open_and_evenly_spread() {
        let n = 100_000u32;
        let (mut sum, mut lo, mut hi) = (0.0, 1.0f64, 0.0f64);
        for i in 0..n {
            let u = uniform(7, 3, i);
            sum += u;
            lo = lo.min(u);
            hi = hi.max(u);
        }
        assert!(lo > 0.0 && hi < 1.0);
        let mean = sum / n as f64;
        // Standard error of the mean 1/√(12n) ≈ 9e-4.
        assert!((mean - 0.5).abs() < 5e-3, "mean {mean}");
        // f32-exact: 24 bits plus a half.
        assert_eq!(uniform(7, 3, 5) as f32 as f64, uniform(7, 3, 5));
    }

    #[test]
    fn samples_have_the_mixtures_moments() {
        let m = Model {
            pi: 0.3,
            mu1: -2.0,
            mu2: 1.0,
            sigma1: 0.5,
            sigma2: 1.5,
        };
        let xs = samples(&m, 200_000, 11, STREAM_TARGET);
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        let want_mean = 0.3 * -2.0 + 0.7 * 1.0;
        let want_var = 0.3 * (0.25 + 4.0) + 0.7 * (2.25 + 1.0) - want_mean * want_mean;
        assert!((mean - want_mean).abs() < 0.02, "{mean} vs {want_mean}");
        assert!(
            (var - want_var).abs() / want_var < 0.02,
            "{var} vs {want_var}"
        );
    }

    #[test]
    fn estimates_converge_to_their_population_values() {
        let rule = QuadratureRule::new(64).unwrap();
        let target = Model::seed(-1.0, 1.5, 1.0);
        let at = Model::seed(0.3, 0.8, 1.0);
        let slice = Slice::SEED;
        let ef = slice_block(&empirical_fisher_full(&at, &target, &rule), &slice);
        let ef_n = empirical_fisher_samples(&at, &slice, &target, 400_000, 5);
        let f = fisher_slice(&at, &slice, &rule);
        let mc = mc_fisher(&at, &slice, 400_000, 5, 0);
        assert!(
            ef_n.max_abs_difference(&ef) < 0.02 * ef.max_abs(),
            "{ef_n:?} vs {ef:?}"
        );
        assert!(
            mc.max_abs_difference(&f) < 0.02 * f.max_abs(),
            "{mc:?} vs {f:?}"
        );
        // Negative control: the two estimates are not the same matrix away from θ*.
        assert!(ef.max_abs_difference(&f) > 0.1 * f.max_abs());
        // A resample is a different estimate.
        let mc1 = mc_fisher(&at, &slice, 64, 5, 1);
        assert!(mc1.max_abs_difference(&mc_fisher(&at, &slice, 64, 5, 0)) > 0.0);
    }

    #[test]
    fn one_sample_has_rank_one_and_empty_is_nan() {
        let at = Model::seed(0.3, 0.8, 1.0);
        let one = mc_fisher(&at, &Slice::SEED, 1, 9, 0);
        assert!(one.det().abs() <= 1e-12 * one.max_abs().powi(2));
        assert!(score_outer_mean(&at, &[])[0][0].is_nan());
    }
}
