// The K-FAC lab's matrices on the GPU (issue 13; MATH.md, "K-FAC"). Rust side:
// src/compute/kfac.rs; f64 mirror: src/kfac/fisher.rs (`network_stats`, `LayerStats::exact`).
//
// The network: a0 = [x, 1]; h1 = tanh(W1 a0); a1 = [h1, 1]; h2 = tanh(W2 a1); a2 = [h2, 1];
// z = W3 a2; p = softmax(z) over two classes. Weights row-major, W1 | W2 | W3 in one buffer.
//
// Two entry points:
// * `forward_backward`, one invocation per quadrature node x_k (weight w_k): the forward pass,
//   then for each class y the backward pass g_ℓ = ∂ log p(y|x)/∂(W_ℓ a_{ℓ−1}) from
//   g3 = e_y − p, written to the node's record in `rows`:
//       [a0 (2) | a1 (H+1) | a2 (H+1) | class 0: w p0, g1 (H), g2 (H), g3 (2) | class 1: …]
//   (RECORD = 6H + 10 floats). Activations go straight to storage, so no private array bounds
//   the width.
// * `accumulate`, one invocation per output entry of the chosen layer: the exact block
//   F[i·d_in + j, k·d_in + l] = Σ_{x,y} w p_y g_i g_k a_j a_l (n² entries), then
//   A[j, l] = Σ_x w a_j a_l (d_in²), then G[i, k] = Σ_{x,y} w p_y g_i g_k (d_out²), each a loop
//   over the records in f32.

const WORKGROUP_SIZE: u32 = 64u;

// #include <common/dispatch.wgsl>

struct KfacParams {
    hidden: u32,      // H
    node_count: u32,  // quadrature nodes (records)
    layer: u32,       // 0, 1, 2 for `accumulate`
    d_in: u32,
    d_out: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<storage, read> params: KfacParams;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read> nodes: array<vec2<f32>>;   // (x, w)
@group(0) @binding(3) var<storage, read_write> rows: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;     // F | A | G

fn record_len() -> u32 {
    return 6u * params.hidden + 10u;
}

// Offset of layer ℓ's input a_{ℓ−1} inside a record.
fn input_offset(layer: u32) -> u32 {
    let h = params.hidden;
    return select(select(0u, 2u, layer == 1u), 2u + h + 1u, layer == 2u);
}

// Offset of class y's sub-record (its w p_y first) inside a record.
fn class_offset(y: u32) -> u32 {
    let h = params.hidden;
    return 2u * h + 4u + y * (2u * h + 3u);
}

// Offset of layer ℓ's g inside a class sub-record.
fn grad_offset(layer: u32) -> u32 {
    let h = params.hidden;
    return 1u + layer * h;
}

// tanh without overflow: the built-in may form e^{2x} and give NaN for large |x| on some
// drivers; |x| ≥ 15 is ±1 to f32 precision anyway.
fn safe_tanh(x: f32) -> f32 {
    return tanh(clamp(x, -15.0, 15.0));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn forward_backward(@builtin(global_invocation_id) gid: vec3<u32>,
                    @builtin(num_workgroups) groups: vec3<u32>) {
    let node = linear_index(gid, groups);
    if node >= params.node_count {
        return;
    }
    let h = params.hidden;
    let base = node * record_len();
    let x = nodes[node].x;
    let w = nodes[node].y;
    let w2_offset = 2u * h;                  // W1 is H × 2
    let w3_offset = w2_offset + h * (h + 1u); // W2 is H × (H + 1)
    let a1 = base + 2u;
    let a2 = base + 2u + h + 1u;

    rows[base] = x;
    rows[base + 1u] = 1.0;
    for (var i = 0u; i < h; i++) {
        rows[a1 + i] = safe_tanh(weights[2u * i] * x + weights[2u * i + 1u]);
    }
    rows[a1 + h] = 1.0;
    for (var i = 0u; i < h; i++) {
        var s = 0.0;
        for (var j = 0u; j <= h; j++) {
            s += weights[w2_offset + i * (h + 1u) + j] * rows[a1 + j];
        }
        rows[a2 + i] = safe_tanh(s);
    }
    rows[a2 + h] = 1.0;
    var z = vec2<f32>(0.0);
    for (var j = 0u; j <= h; j++) {
        z.x += weights[w3_offset + j] * rows[a2 + j];
        z.y += weights[w3_offset + (h + 1u) + j] * rows[a2 + j];
    }
    // p0 = logistic(z0 − z1), written to avoid overflow for either sign.
    let d = z.x - z.y;
    let e = exp(-abs(d));
    let p_big = 1.0 / (1.0 + e);
    let p0 = select(1.0 - p_big, p_big, d >= 0.0);
    let p = vec2<f32>(p0, 1.0 - p0);

    for (var y = 0u; y < 2u; y++) {
        let c = base + class_offset(y);
        let g3 = select(vec2<f32>(-p.x, 1.0 - p.y), vec2<f32>(1.0 - p.x, -p.y), y == 0u);
        rows[c] = w * p[y];
        let g1 = c + grad_offset(0u);
        let g2 = c + grad_offset(1u);
        let g3_at = c + grad_offset(2u);
        rows[g3_at] = g3.x;
        rows[g3_at + 1u] = g3.y;
        // g2_i = (1 − h2_i²) Σ_k W3[k, i] g3_k.
        for (var i = 0u; i < h; i++) {
            let back = weights[w3_offset + i] * g3.x + weights[w3_offset + (h + 1u) + i] * g3.y;
            let t = rows[a2 + i];
            rows[g2 + i] = (1.0 - t * t) * back;
        }
        // g1_i = (1 − h1_i²) Σ_k W2[k, i] g2_k.
        for (var i = 0u; i < h; i++) {
            var back = 0.0;
            for (var k = 0u; k < h; k++) {
                back += weights[w2_offset + k * (h + 1u) + i] * rows[g2 + k];
            }
            let t = rows[a1 + i];
            rows[g1 + i] = (1.0 - t * t) * back;
        }
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>,
              @builtin(num_workgroups) groups: vec3<u32>) {
    let index = linear_index(gid, groups);
    let d_in = params.d_in;
    let d_out = params.d_out;
    let n = d_in * d_out;
    let exact_len = n * n;
    let a_len = d_in * d_in;
    let g_len = d_out * d_out;
    if index >= exact_len + a_len + g_len {
        return;
    }
    let layer = params.layer;
    let len = record_len();
    let a_at = input_offset(layer);
    let g_at = grad_offset(layer);
    var sum = 0.0;
    if index < exact_len {
        let row = index / n;
        let col = index % n;
        let i = row / d_in;
        let j = row % d_in;
        let k = col / d_in;
        let l = col % d_in;
        for (var node = 0u; node < params.node_count; node++) {
            let r = node * len;
            let aa = rows[r + a_at + j] * rows[r + a_at + l];
            for (var y = 0u; y < 2u; y++) {
                let c = r + class_offset(y);
                sum += rows[c] * rows[c + g_at + i] * rows[c + g_at + k] * aa;
            }
        }
    } else if index < exact_len + a_len {
        let e = index - exact_len;
        let j = e / d_in;
        let l = e % d_in;
        for (var node = 0u; node < params.node_count; node++) {
            let r = node * len;
            sum += nodes[node].y * rows[r + a_at + j] * rows[r + a_at + l];
        }
    } else {
        let e = index - exact_len - a_len;
        let i = e / d_out;
        let k = e % d_out;
        for (var node = 0u; node < params.node_count; node++) {
            let r = node * len;
            for (var y = 0u; y < 2u; y++) {
                let c = r + class_offset(y);
                sum += rows[c] * rows[c + g_at + i] * rows[c + g_at + k];
            }
        }
    }
    out[index] = sum;
}
