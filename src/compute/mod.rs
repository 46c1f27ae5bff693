//! GPU compute stages, one file per WGSL shader of the same name: each owns its pipelines
//! (built once) and a small data struct with the buffers and bind groups that change with
//! the scene.

pub mod fim_field;
pub mod general;
pub mod particles;
