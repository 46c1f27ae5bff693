// The one seeded generator of the finite-sample Fisher estimates, in WGSL. Rust twin (the
// definition): `src/math/estimates.rs` (`pcg_hash`, `random_bits`, `uniform`, `sample`), whose
// module docs give the formulas; this file follows them name for name:
//
//   pcg_hash(x)          the 32-bit PCG hash (common/random.wgsl: the same function the
//                        particles use);
//   random_bits(s, t, c) = pcg_hash(pcg_hash(s ^ pcg_hash(t)) ^ pcg_hash(c))   (seed s,
//                        stream t, counter c; wrapping u32 arithmetic);
//   sample_uniform       ((bits >> 8) + ½)/2²⁴, rounded to f32 (`uniform`; a WGSL name of its
//                        own since `uniform` is an address space);
//   draw_sample          sample i uses counters 3i, 3i + 1, 3i + 2: component 1 when
//                        u0 < π, then z = √(−2 ln u1)·cos(2π u2) and x = μ_c + σ_c·z
//                        (`sample`; `sample` is reserved in WGSL).
//
// Bit-identical to the CPU in the integers: `random_bits` equals the Rust function for every
// (seed, stream, counter) (tests/estimates_gpu.rs checks thousands of counters), and the
// component pick is decided exactly on the 24 integer bits (below), so CPU and GPU draw the
// same component for every sample. The transforms are f32, fed from the 24-bit integers so
// that no uniform is rounded on the way (`sample_uniform` itself is the f64 value rounded to
// f32: exact below ½, but from ½ up (k + ½)/2²⁴ needs 25 bits and rounds by up to 2⁻²⁵ — and
// that rounding, through cos(2πu), was the largest error of the draws before the transforms
// took k), and ln and cos are evaluated with series that do not rely on the built-ins'
// accuracy near 1 or for large arguments (WGSL allows cos an absolute error of 2⁻¹¹), so a
// draw agrees with the f64 one to a few f32 ulps of max(|z|, 1) on any conforming device.
//
// Contract with the including shader: none (it includes common/random.wgsl itself).

// #include <common/random.wgsl>

const SAMPLING_TWO_PI: f32 = 6.283185307179586;
const SAMPLING_INV_2_24: f32 = 5.9604644775390625e-8;   // 2⁻²⁴, exact

// The random bits of draw `counter` of (`seed`, `stream`).
fn random_bits(seed: u32, stream: u32, counter: u32) -> u32 {
    let key = pcg_hash(seed ^ pcg_hash(stream));
    return pcg_hash(key ^ pcg_hash(counter));
}

// The 24-bit integer k of a draw: its uniform is (k + ½)/2²⁴.
fn uniform_integer(seed: u32, stream: u32, counter: u32) -> u32 {
    return random_bits(seed, stream, counter) >> 8u;
}

// The uniform in (0, 1) of draw `counter`, rounded to f32.
fn sample_uniform(seed: u32, stream: u32, counter: u32) -> f32 {
    return (f32(uniform_integer(seed, stream, counter)) + 0.5) * SAMPLING_INV_2_24;
}

// Whether (k + ½)/2²⁴ < p, decided exactly (the CPU compares in f64, where both sides are
// exact): with P = p·2²⁴ (exact) = fl + fr, fl = floor(P) and fr = P − fl (both exact),
// k + ½ < P ⟺ k < fl + 1 when fr > ½, else k < fl. f32(k) and fl + 1 ≤ 2²⁴ are exact.
fn uniform_below(k: u32, p: f32) -> bool {
    let scaled = p * 16777216.0;
    let fl = floor(scaled);
    let fr = scaled - fl;
    let threshold = select(fl, fl + 1.0, fr > 0.5);
    return f32(k) < threshold;
}

// −2 ln u for u = (k + ½)/2²⁴. From u ≥ ½ on, ln u = 2 atanh(s) with s = −w/(2 − w), w = 1 − u
// formed exactly from k ((2²⁴ − 1 − k) + ½ fits 24 bits there), summed as the odd series to
// s¹⁵ (|s| ≤ ⅓: truncation < 2e-9 relative): no cancellation as u → 1, where the built-in
// log may be accurate only in absolute terms. Below ½, |ln u| ≥ ln 2 and the built-in's
// absolute error is a relative one.
fn minus_two_log_uniform(k: u32) -> f32 {
    if k < 8388608u {
        return -2.0 * log((f32(k) + 0.5) * SAMPLING_INV_2_24);
    }
    let w = (f32(16777215u - k) + 0.5) * SAMPLING_INV_2_24;
    let s = -w / (2.0 - w);
    let s2 = s * s;
    var series = 1.0 / 15.0;
    series = 1.0 / 13.0 + s2 * series;
    series = 1.0 / 11.0 + s2 * series;
    series = 1.0 / 9.0 + s2 * series;
    series = 1.0 / 7.0 + s2 * series;
    series = 1.0 / 5.0 + s2 * series;
    series = 1.0 / 3.0 + s2 * series;
    series = 1.0 + s2 * series;
    return -4.0 * s * series;
}

// cos(2π u) for u = (k + ½)/2²⁴, by reduction to |x| ≤ π/4 (all reductions exact in f32:
// Sterbenz; u − ½ is formed from k) and Taylor polynomials (truncation
// < 1e-12): with a = |u − ½|, cos(2πu) = −cos(2πa), which is −cos(2πa) for a ≤ ⅛,
// sin(2π(a − ¼)) for a ≤ ⅜ and cos(2π(½ − a)) beyond.
fn cos_two_pi(k: u32) -> f32 {
    // u − ½ = (2k + 1 − 2²⁴)/2²⁵: an odd integer below 2²⁴ in size over a power of two, exact
    // in f32 even where u itself is not.
    let a = abs(f32(i32(2u * k + 1u) - 16777216) * (0.5 * SAMPLING_INV_2_24));
    if a > 0.125 && a <= 0.375 {
        // cos(2πu) = −cos(2πa) = sin(2π(a − ¼)): sin x to x¹³.
        let x = SAMPLING_TWO_PI * (a - 0.25);
        let x2 = x * x;
        var p = -1.0 / 6227020800.0;
        p = 1.0 / 39916800.0 + x2 * p;
        p = -1.0 / 362880.0 + x2 * p;
        p = 1.0 / 5040.0 + x2 * p;
        p = -1.0 / 120.0 + x2 * p;
        p = 1.0 / 6.0 + x2 * p;
        return x - x * x2 * p;
    }
    // a ≤ ⅛: cos(2πu) = −cos(2πa); a > ⅜: −cos(2πa) = cos(2π(½ − a)). cos x to x¹².
    let near = a <= 0.125;
    let x = SAMPLING_TWO_PI * select(0.5 - a, a, near);
    let x2 = x * x;
    var p = 1.0 / 479001600.0;
    p = -1.0 / 3628800.0 + x2 * p;
    p = 1.0 / 40320.0 + x2 * p;
    p = -1.0 / 720.0 + x2 * p;
    p = 1.0 / 24.0 + x2 * p;
    p = -0.5 + x2 * p;
    let c = 1.0 + x2 * p;
    return select(c, -c, near);
}

// A standard normal from draws (counter 3i + 1, 3i + 2) of (seed, stream): Box–Muller.
fn sample_normal(seed: u32, stream: u32, index: u32) -> f32 {
    let c = index * 3u;
    let k1 = uniform_integer(seed, stream, c + 1u);
    let k2 = uniform_integer(seed, stream, c + 2u);
    return sqrt(minus_two_log_uniform(k1)) * cos_two_pi(k2);
}

// Which component sample `index` of (seed, stream) comes from (true: the first, weight π).
fn sample_first_component(seed: u32, stream: u32, index: u32, pi: f32) -> bool {
    return uniform_below(uniform_integer(seed, stream, index * 3u), pi);
}

// Sample `index` of the mixture π N(μ1, σ1²) + (1 − π) N(μ2, σ2²), means given relative to a
// frame origin of the caller's choice (the result is in the same frame).
fn draw_sample(pi: f32, mean: vec2<f32>, sigma: vec2<f32>, seed: u32, stream: u32,
        index: u32) -> f32 {
    let z = sample_normal(seed, stream, index);
    if sample_first_component(seed, stream, index, pi) {
        return mean.x + sigma.x * z;
    }
    return mean.y + sigma.y * z;
}
