//! Fisher estimates at the probe: the ellipses of F, the population empirical Fisher and the
//! finite-sample EF and Monte-Carlo Fisher from N seeded samples; on the policy plane, the
//! sample efficiency of REINFORCE's gradient and Fisher estimates against N.
//!
//! Its files, by role: `settings.rs`, `job.rs` (the mixture's estimates), `job_policy.rs`
//! (the policy plane's sample-efficiency curve), `layer.rs` (the ellipses at the probe),
//! `panel.rs` and `panel_policy.rs` (their side-panel sections).

pub mod job;
pub mod job_policy;
pub mod layer;
pub mod panel;
pub mod panel_policy;
pub mod settings;
