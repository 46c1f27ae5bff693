//! fisherflow: the information geometry of a two-component Gaussian mixture, computed in WGSL
//! compute shaders and drawn in real time.
//!
//! * [`cli`]: the command line;
//! * [`bench`]: the GPU-vs-CPU benchmark;
//! * [`capture`]: scripted, headless demo captures;
//! * [`math`]: the f64 reference (MATH.md made executable);
//! * [`cpu`]: f32 multi-threaded mirrors of the WGSL compute stages;
//! * [`gpu`]: device selection, shared byte layouts, shader loading;
//! * [`compute`]: the GPU compute stages;
//! * [`scene`]: the scene state the UI edits and the renderer draws;
//! * [`render`]: the scene renderer (instanced pipelines into a texture);
//! * [`verify`]: error measures of the f32 paths against the f64 reference.

#![warn(missing_docs)]

pub mod bench;
pub mod capture;
pub mod cli;
pub mod compute;
pub mod cpu;
pub mod gpu;
pub mod math;
pub mod output;
pub mod render;
pub mod scene;
pub mod verify;
pub mod viewer;
