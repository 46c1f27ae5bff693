//! The `fisherflow` binary as a user runs it: every subcommand's output and exit codes, and the
//! viewer's real window under Xvfb.

#[path = "../common/mod.rs"]
mod common;

mod bench;
mod fim;
mod geodesic;
mod model;
mod optimize;
mod policy;
mod window_smoke;
