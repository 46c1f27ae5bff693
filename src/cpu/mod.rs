//! CPU mirrors of the WGSL compute stages, in f32, multi-threaded with rayon. Each file reads
//! side by side with its shader (same function names, same constants): the GPU tests compare
//! against the f64 reference in [`crate::math`], and the benchmark races these against the GPU.

pub mod convergence;
pub mod fim_field;
pub mod general;
pub mod geodesic;
pub mod gmm;
pub mod particles;
pub mod policy;
pub mod policy_flow;
pub mod simd;
