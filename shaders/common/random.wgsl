// Deterministic hashing for particle seeding: PCG-style integer hash (Jarzynski & Olano,
// "Hash Functions for GPU Rendering", 2020). CPU twin: src/cpu/particles.rs (`pcg_hash`).

fn pcg_hash(input: u32) -> u32 {
    let state = input * 747796405u + 2891336453u;
    let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

// A uniform float in [0, 1) from a hash value (24 random bits).
fn unit_float(h: u32) -> f32 {
    return f32(h >> 8u) * (1.0 / 16777216.0);
}

// Hash of (seed, stream, generation, salt): independent streams per particle pair and respawn.
fn hash4(seed: u32, stream: u32, generation: u32, salt: u32) -> u32 {
    return pcg_hash(seed ^ pcg_hash(stream ^ pcg_hash(generation ^ pcg_hash(salt))));
}
