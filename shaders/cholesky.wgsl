// Dense Cholesky factorization and solves on the GPU, f32, for the K-FAC lab's cost benchmark
// (issue 13): the exact n × n block against K-FAC's two factor solves. Rust side:
// src/compute/cholesky.rs; the CPU race uses faer (src/kfac/cost.rs), the f64 reference is
// kfac::fisher::cholesky_factor / cholesky_apply.
//
// The factorization is the unblocked right-looking algorithm, two dispatches per column k
// (the column index comes from a dynamic offset into the step buffer, one 256-byte slot per k):
// * `scale_column`: L[i][k] = A[i][k] / √A[k][k] for i > k (A[k][k] itself is left alone, so
//   no invocation reads what another writes);
// * `update_trailing`: A[i][j] −= L[i][k]·L[j][k] for k < j ≤ i (the lower triangle of the
//   trailing block, one invocation per entry), and the invocation of entry (k, k) replaces
//   A[k][k] by its square root (nothing else in this dispatch reads it).
// n³/6 multiply-adds in 2n dispatches, every one spread over the whole device; memory-bound
// (no tiling): a plain baseline, not a tuned GPU Cholesky.
//
// The solves L Lᵀ X = B use the factor in `matrix` (lower triangle; the upper one is stale),
// also one dispatch per row k, each over all right-hand sides at once:
// * `forward_step` (k ascending): Y[k] = B[k]/L[k][k] into `scratch`, and B[i] −= L[i][k]·Y[k]
//   for i > k (every invocation forms Y[k] itself from B[k], which this dispatch never writes);
// * `backward_step` (k descending): X[k] = Y[k]/L[k][k] into `rhs`, and Y[i] −= L[k][i]·X[k]
//   for i < k.
// B has `count` right-hand sides: as the columns of an n × count block (layout 0), or as the
// rows of a count × n block (layout 1: X A⁻¹ = (A⁻¹ Xᵀ)ᵀ with A symmetric, no transpose).

const WORKGROUP_SIZE: u32 = 64u;

// #include <common/dispatch.wgsl>

struct CholeskyStep {
    n: u32,       // matrix order
    k: u32,       // the column (factorization) or row (solves) of this step
    count: u32,   // right-hand sides (solves only)
    rhs_rows: u32, // 0: right-hand sides are columns, 1: rows (solves only)
}

@group(0) @binding(0) var<storage, read> step: CholeskyStep;
@group(0) @binding(1) var<storage, read_write> matrix: array<f32>;
@group(0) @binding(2) var<storage, read_write> rhs: array<f32>;
@group(0) @binding(3) var<storage, read_write> scratch: array<f32>;

// Where entry (row i, right-hand side c) of a right-hand-side block lives.
fn rhs_index(i: u32, c: u32) -> u32 {
    return select(i * step.count + c, c * step.n + i, step.rhs_rows == 1u);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn scale_column(@builtin(global_invocation_id) gid: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>) {
    let n = step.n;
    let k = step.k;
    let i = k + 1u + linear_index(gid, groups);
    if i >= n {
        return;
    }
    matrix[i * n + k] = matrix[i * n + k] * inverseSqrt(matrix[k * n + k]);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn update_trailing(@builtin(global_invocation_id) gid: vec3<u32>,
                   @builtin(num_workgroups) groups: vec3<u32>) {
    let n = step.n;
    let k = step.k;
    let index = linear_index(gid, groups);
    let m = n - k - 1u;          // order of the trailing block
    let entries = m * (m + 1u) / 2u;
    if index == entries {
        matrix[k * n + k] = sqrt(matrix[k * n + k]);
        return;
    }
    if index > entries {
        return;
    }
    // index → (r, c) with c ≤ r in the trailing block's lower triangle, row by row:
    // r = ⌊(√(8·index + 1) − 1)/2⌋, corrected for f32 rounding.
    var r = u32((sqrt(8.0 * f32(index) + 1.0) - 1.0) * 0.5);
    loop {
        if r * (r + 1u) / 2u > index {
            r -= 1u;
        } else if (r + 1u) * (r + 2u) / 2u <= index {
            r += 1u;
        } else {
            break;
        }
    }
    let c = index - r * (r + 1u) / 2u;
    let i = k + 1u + r;
    let j = k + 1u + c;
    matrix[i * n + j] -= matrix[i * n + k] * matrix[j * n + k];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn forward_step(@builtin(global_invocation_id) gid: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>) {
    let n = step.n;
    let k = step.k;
    let index = linear_index(gid, groups);
    let rows = n - k;
    if index >= rows * step.count {
        return;
    }
    let i = k + index / step.count;
    let c = index % step.count;
    let y = rhs[rhs_index(k, c)] / matrix[k * n + k];
    if i == k {
        scratch[rhs_index(k, c)] = y;
    } else {
        rhs[rhs_index(i, c)] -= matrix[i * n + k] * y;
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn backward_step(@builtin(global_invocation_id) gid: vec3<u32>,
                 @builtin(num_workgroups) groups: vec3<u32>) {
    let n = step.n;
    let k = step.k;
    let index = linear_index(gid, groups);
    let rows = k + 1u;
    if index >= rows * step.count {
        return;
    }
    let i = index / step.count;
    let c = index % step.count;
    let x = scratch[rhs_index(k, c)] / matrix[k * n + k];
    if i == k {
        rhs[rhs_index(k, c)] = x;
    } else {
        scratch[rhs_index(i, c)] -= matrix[k * n + i] * x;
    }
}
