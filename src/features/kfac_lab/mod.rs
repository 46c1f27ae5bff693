//! The K-FAC lab's tab: a small classifier on the mixture trained off the frame loop, its
//! exact layer Fisher blocks against K-FAC's A ⊗ G. The numbers are `kfac`'s.
//!
//! Its files, by role: `settings.rs` (the settings' clamping), `job.rs` (the training),
//! `panel.rs` (the tab).

pub mod job;
pub mod panel;
pub mod settings;
