//! GPU plumbing shared by the compute stages and the renderer: device selection
//! ([`context`]), byte layouts shared with WGSL ([`gpu_data`]) and shader loading with the
//! include splice ([`shader`]).

pub mod context;
pub mod convergence_data;
pub mod general_data;
pub mod geodesic_data;
pub mod gpu_data;
pub mod limits;
pub mod shader;
pub mod timing;
