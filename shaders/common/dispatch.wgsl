// The invocation index of a 2-D dispatch of 1-D work (the x dimension alone caps at 65535
// workgroups, so large grids spill into y). Contract with the including shader: it declares
//     const WORKGROUP_SIZE: u32 = …;
// and dispatches (x, y) groups as `compute::fim_field::dispatch_size` computes them.

fn linear_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return gid.x + gid.y * groups.x * WORKGROUP_SIZE;
}
