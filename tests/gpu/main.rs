//! The compute stages on the test adapter (lavapipe in CI) against their f64/f32 CPU mirrors:
//! the FIM field (seed and general kernels), geodesics, particles, convergence maps, the Fisher
//! estimates' sampling and the K-FAC blocks.

#[path = "../common/mod.rs"]
mod common;

mod convergence;
mod estimates;
mod fim;
mod general;
mod geodesic;
mod kfac;
mod particle_order;
mod particles;
mod policy;
mod policy_convergence;
mod policy_flow;
mod policy_geodesic;
mod policy_rollouts;
