// The finite-sample Fisher estimates at a list of points (entry point `estimates`): per point,
// N samples from the seeded generator (common/sampling.wgsl) and the mean of s sᵀ (the model's
// scores on the point's slice, standard basis, slice order) over
//   * samples of the target p* (stream 0): the finite-sample empirical Fisher EF_N;
//   * samples of the model p_ψ (stream 1 + k): the Monte-Carlo Fisher.
// One workgroup per point; its threads stride over the samples (thread j takes i = j, j + 256,
// …), each summing its share in f32, then a tree reduction in workgroup memory and one write.
//
// Two more entry points expose the generator itself for the tests: `bits` writes
// random_bits(seed, stream, i) for i < count, and `draws` writes the f32 bits of sample i
// (absolute position) of point 0's model from (seed, stream).
//
// Rust side: `src/compute/estimates.rs` (dispatch, `EstimateParams`, `EstimateCell`); f64
// reference: `math::estimates::{empirical_fisher_samples, mc_fisher, random_bits, sample}`.
// Scores: gmm_general.wgsl's `score` (logistic responsibilities, the stable π score) in the
// model's y frame (positions relative to the model's μ1).

// #include <common/gmm_general.wgsl>
// #include <common/general_point.wgsl>
// #include <common/sampling.wgsl>

// gmm_general.wgsl's union pass may be asked for L here.
const UNION_LOSS_POSSIBLE: bool = true;

const WORKGROUP_SIZE: u32 = 256u;

struct EstimateParams {
    sample_count: u32,       // N (`estimates`, `draws`) or words to write (`bits`)
    seed: u32,
    model_stream: u32,       // 1 + k for `estimates`; the stream of `bits` and `draws`
    point_count: u32,
}

// One point's estimates: (aa, ab, bb, w) blocks; `empirical.w` is 1 when the point has a
// target (else the block is 0), `mc.w` is N.
struct EstimateCell {
    empirical: vec4<f32>,
    mc: vec4<f32>,
}

@group(0) @binding(0) var<storage, read> params: EstimateParams;
@group(0) @binding(1) var<storage, read> point_inputs: array<GeneralPointInput>;
@group(0) @binding(2) var<storage, read_write> cells: array<EstimateCell>;
@group(0) @binding(3) var<storage, read_write> words: array<u32>;
// gmm_general.wgsl's contract; no entry point here integrates, so it is never bound.
@group(0) @binding(4) var<uniform> quadrature_nodes: array<vec4<f32>, 256>;

var<workgroup> partial_empirical: array<vec3<f32>, WORKGROUP_SIZE>;
var<workgroup> partial_mc: array<vec3<f32>, WORKGROUP_SIZE>;

// (s_a², s_a·s_b, s_b²) of the model `m` (y frame) at y.
fn score_outer(m: Mixture, y: f32, slice: vec2<u32>) -> vec3<f32> {
    let st = node_state(m, y);
    let s = vec2<f32>(score(m, st, slice.x), score(m, st, slice.y));
    return vec3<f32>(s.x * s.x, s.x * s.y, s.y * s.y);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn estimates(@builtin(workgroup_id) wid: vec3<u32>,
             @builtin(num_workgroups) groups: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
    // Workgroup-uniform: every thread of the group takes the same branch.
    let index = wid.x + wid.y * groups.x;
    let valid = index < params.point_count;
    let p = point_inputs[min(index, params.point_count - 1u)];
    let slice = vec2<u32>(p.slice_a, p.slice_b);
    let origin = p.model_mu1;
    let m = make_mixture(p.model_pi, vec2<f32>(0.0, p.model_mu2 - origin),
        vec2<f32>(p.model_sigma1, p.model_sigma2));
    let target_mean = vec2<f32>(p.target_mu1 - origin, p.target_mu2 - origin);
    let target_sigma = vec2<f32>(p.target_sigma1, p.target_sigma2);
    let has_target = p.has_target != 0u;
    let n = params.sample_count;
    var empirical = vec3<f32>(0.0);
    var mc = vec3<f32>(0.0);
    if valid {
        for (var i = lid; i < n; i += WORKGROUP_SIZE) {
            if has_target {
                let y = draw_sample(p.target_pi, target_mean, target_sigma, params.seed, 0u, i);
                empirical += score_outer(m, y, slice);
            }
            let y = draw_sample(p.model_pi, m.mean, m.sigma, params.seed, params.model_stream, i);
            mc += score_outer(m, y, slice);
        }
    }
    partial_empirical[lid] = empirical;
    partial_mc[lid] = mc;
    workgroupBarrier();
    for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
        if lid < stride {
            partial_empirical[lid] += partial_empirical[lid + stride];
            partial_mc[lid] += partial_mc[lid + stride];
        }
        workgroupBarrier();
    }
    if valid && lid == 0u {
        let inv_n = 1.0 / f32(n);
        var out: EstimateCell;
        out.empirical = vec4<f32>(select(vec3<f32>(0.0), partial_empirical[0] * inv_n, has_target),
            select(0.0, 1.0, has_target));
        out.mc = vec4<f32>(partial_mc[0] * inv_n, f32(n));
        cells[index] = out;
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn bits(@builtin(global_invocation_id) gid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
    let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
    if i >= params.sample_count {
        return;
    }
    words[i] = random_bits(params.seed, params.model_stream, i);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn draws(@builtin(global_invocation_id) gid: vec3<u32>,
         @builtin(num_workgroups) groups: vec3<u32>) {
    let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
    if i >= params.sample_count {
        return;
    }
    let p = point_inputs[0];
    let x = draw_sample(p.model_pi, vec2<f32>(p.model_mu1, p.model_mu2),
        vec2<f32>(p.model_sigma1, p.model_sigma2), params.seed, params.model_stream, i);
    words[i] = bitcast<u32>(x);
}
