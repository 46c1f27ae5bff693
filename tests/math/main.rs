//! The f64 reference and the shaders' text, no GPU: math facts, geodesics, the optimizers, the
//! general model, the 30-digit reference points and naga's validation of every WGSL file.

#[path = "../common/mod.rs"]
mod common;

mod facts;
mod family;
mod general_model;
mod geodesic;
mod optimize;
mod policy;
mod reference_points;
mod shader_validation;
