// The particles in place order: before each general-mode step, a counting sort of the particle
// indices by the cell of the view each particle is in (PLACE_CELLS × PLACE_CELLS cells, row by
// row with every other row reversed, so that neighbours in the order are neighbours on the
// canvas). particles.wgsl's `step_general` then steps particle `order[i]` in invocation i.
//
// Why: a general step's cost is its union passes', whose panel count depends on where the
// particle is, and a SIMD vector of invocations (llvmpipe's 8 lanes, a warp) walks as many
// panels as its lane with the most, and refines F when any of its lanes must. In index order a
// vector's particles lie anywhere on the canvas; in place order they are neighbours, with
// nearly the same windows. Each particle's step is its own whatever its slot: the order changes
// no result, only which lanes run together.
//
// Three dispatches, one pass each (fixed loop counts in every lane):
// * `order_count`: every particle adds 1 to its cell's count;
// * `order_scan`: one workgroup turns the counts into each cell's first slot (an exclusive
//   prefix sum) and zeroes the counts for the next step;
// * `order_scatter`: every particle takes the next slot of its cell.
// Slots within a cell go in whatever order the atomics grant them. CPU mirror:
// cpu::particles::place_cell and spatial_order. Dispatch: src/compute/particles.rs.

// #include <common/flow_state.wgsl>
// #include <common/dispatch.wgsl>

const WORKGROUP_SIZE: u32 = 64u;
// Cells per side; must equal gpu_data::PLACE_CELLS (Rust).
const PLACE_CELLS: u32 = 32u;
const CELL_COUNT: u32 = PLACE_CELLS * PLACE_CELLS;
// Cells per invocation of the scan.
const CELLS_PER_INVOCATION: u32 = CELL_COUNT / WORKGROUP_SIZE;

@group(0) @binding(0) var<storage, read> params: FlowParams;
@group(0) @binding(1) var<storage, read> particles: array<Particle>;
// [0, CELL_COUNT): the counts; [CELL_COUNT, 2·CELL_COUNT): each cell's next free slot.
@group(0) @binding(2) var<storage, read_write> cells: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> order: array<u32>;

var<workgroup> partial_sums: array<u32, WORKGROUP_SIZE>;

// A coordinate's cell along one axis: off the view (and ±∞) in the edge cells, NaN in the
// first (as the mirror's saturating cast).
fn axis_cell(x: f32, lo: f32, hi: f32) -> u32 {
    let u = (x - lo) / (hi - lo) * f32(PLACE_CELLS);
    return u32(select(0.0, min(u, f32(PLACE_CELLS - 1u)), u >= 0.0));
}

fn place_cell(position: vec2<f32>) -> u32 {
    let x = axis_cell(position.x, params.view_min.x, params.view_max.x);
    let y = axis_cell(position.y, params.view_min.y, params.view_max.y);
    return y * PLACE_CELLS + select(PLACE_CELLS - 1u - x, x, y % 2u == 0u);
}

@compute @workgroup_size(64)
fn order_count(@builtin(global_invocation_id) gid: vec3<u32>,
               @builtin(num_workgroups) groups: vec3<u32>) {
    let index = linear_index(gid, groups);
    if index >= params.count {
        return;
    }
    atomicAdd(&cells[place_cell(particles[index].position)], 1u);
}

// One workgroup: each invocation sums its run of cells, invocation 0 prefix-sums the runs, and
// each writes its cells' first slots and zeroes their counts.
@compute @workgroup_size(64)
fn order_scan(@builtin(local_invocation_index) lane: u32) {
    let first = lane * CELLS_PER_INVOCATION;
    var sum = 0u;
    for (var k = 0u; k < CELLS_PER_INVOCATION; k++) {
        sum += atomicLoad(&cells[first + k]);
    }
    partial_sums[lane] = sum;
    workgroupBarrier();
    if lane == 0u {
        var running = 0u;
        for (var k = 0u; k < WORKGROUP_SIZE; k++) {
            let run = partial_sums[k];
            partial_sums[k] = running;
            running += run;
        }
    }
    workgroupBarrier();
    var slot = partial_sums[lane];
    for (var k = 0u; k < CELLS_PER_INVOCATION; k++) {
        let count = atomicLoad(&cells[first + k]);
        atomicStore(&cells[CELL_COUNT + first + k], slot);
        atomicStore(&cells[first + k], 0u);
        slot += count;
    }
}

@compute @workgroup_size(64)
fn order_scatter(@builtin(global_invocation_id) gid: vec3<u32>,
                 @builtin(num_workgroups) groups: vec3<u32>) {
    let index = linear_index(gid, groups);
    if index >= params.count {
        return;
    }
    let cell = place_cell(particles[index].position);
    order[atomicAdd(&cells[CELL_COUNT + cell], 1u)] = index;
}
