// 2×2 symmetric algebra packed as vec3 (xx, xy, yy): eigen-decomposition, solve, the natural
// gradient and the angle. CPU twin (generic f32/f64): `src/math/sym2.rs`; read its module docs
// for why λ_min = det/λ_max with a compensated determinant.

const SINGULAR_CONDITION: f32 = 1e12;
const DEGREES_PER_RADIAN: f32 = 57.29577951308232;
const INV_SQRT2: f32 = 0.7071067811865476;

// det = xx·yy − xy² by Kahan's fma scheme. If a backend does not fuse fma the correction is
// zero and we get the plain formula, still fine in the rotated basis where xy² ≪ xx·yy.
fn sym2_det(m: vec3<f32>) -> f32 {
    let w = m.y * m.y;
    let product_error = fma(-m.y, m.y, w);
    return fma(m.x, m.z, -w) + product_error;
}

// |v| without underflow or overflow in the squares (CPU twin: f32::hypot). A matrix with an
// off-diagonal of 1e-22 beside equal diagonals is a real case (two components 20σ apart):
// its squares are denormal, which llvmpipe flushes to zero, and the eigenvector came out 6e-4
// off unit length.
fn scaled_length(v: vec2<f32>) -> f32 {
    let s = max(abs(v.x), abs(v.y));
    return s * length(v / select(s, 1.0, s == 0.0));
}

struct Eigen2 {
    lambda_max: f32,
    lambda_min: f32,
    q_max: vec2<f32>,
}

fn sym2_eigen(m: vec3<f32>) -> Eigen2 {
    let mean = 0.5 * (m.x + m.z);
    let half_gap = 0.5 * (m.x - m.z);
    let radius = scaled_length(vec2<f32>(half_gap, m.y));
    let lambda_max = mean + radius;
    var lambda_min = 0.0;
    if lambda_max > 0.0 {
        lambda_min = max(sym2_det(m) / lambda_max, 0.0);
    }
    return Eigen2(lambda_max, lambda_min, sym2_q_max(half_gap, m.y, radius));
}

// The unit eigenvector of λ_max, (cos φ, sin φ) with φ = ½·atan2(2·xy, xx − yy), formed without
// trigonometry: (half_gap + radius, xy) or (xy, radius − half_gap), whichever adds two terms of
// one sign, normalised, x ≥ 0. llvmpipe's atan2, cos and sin are approximations a few 1e-6
// off, and an eigenvector that far off leaks (q·g)/λ_max into the natural gradient's
// 1/λ_min term (CPU twin: math::sym2::Sym2::eigen).
fn sym2_q_max(half_gap: f32, xy: f32, radius: f32) -> vec2<f32> {
    var v = select(vec2<f32>(xy, radius - half_gap), vec2<f32>(half_gap + radius, xy),
        half_gap >= 0.0);
    let norm = scaled_length(v);
    // The zero matrix: any direction, (1, 0) as atan2(0, 0) = 0 gave; NaN stays NaN.
    if norm == 0.0 {
        return vec2<f32>(1.0, 0.0);
    }
    v = v / norm;
    return select(v, -v, v.x < 0.0);
}

fn sym2_solve(m: vec3<f32>, g: vec2<f32>) -> vec2<f32> {
    let det = sym2_det(m);
    return vec2<f32>(m.z * g.x - m.y * g.y, m.x * g.y - m.y * g.x) / det;
}

// A symmetric matrix from the rotated (u, v) basis to the standard basis (R M Rᵀ,
// R = [[1, 1], [1, −1]]/√2); R is an involution so this also maps back.
fn sym2_rotate_basis(m: vec3<f32>) -> vec3<f32> {
    let mean = 0.5 * (m.x + m.z);
    return vec3<f32>(mean + m.y, 0.5 * (m.x - m.z), mean - m.y);
}

fn rotate_vector(v: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(v.x + v.y, v.x - v.y) * INV_SQRT2;
}

// (F + λI)⁻¹g; `defined` is false when F + λI is singular to working precision.
struct NaturalGradient {
    value: vec2<f32>,
    defined: bool,
}

fn natural_gradient(fisher: vec3<f32>, damping: f32, g: vec2<f32>) -> NaturalGradient {
    let damped = fisher + vec3<f32>(damping, 0.0, damping);
    let eig = sym2_eigen(damped);
    if !(eig.lambda_min * SINGULAR_CONDITION > eig.lambda_max) {
        return NaturalGradient(vec2<f32>(0.0), false);
    }
    return NaturalGradient(sym2_solve(damped, g), true);
}

// Angle between a and b in degrees by atan2(|a×b|, a·b); negative when undefined (a zero vector).
fn angle_deg(a: vec2<f32>, b: vec2<f32>) -> f32 {
    if all(a == vec2<f32>(0.0)) || all(b == vec2<f32>(0.0)) {
        return -1.0;
    }
    let cross = a.x * b.y - a.y * b.x;
    return atan2(abs(cross), dot(a, b)) * DEGREES_PER_RADIAN;
}

// The rows (q_max, q_min) of a block's eigenbasis as a mat2x2 B (p = B·s); mat2x2 is
// column-major: columns (q.x, −q.y), (q.y, q.x).
fn eigen_basis(q: vec2<f32>) -> mat2x2<f32> {
    return mat2x2<f32>(q.x, -q.y, q.y, q.x);
}
