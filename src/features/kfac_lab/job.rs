//! The K-FAC lab's training as a [`Job`]: the tab's settings and target are the key; the work
//! keeps one [`LabState`] across requests, restarting it only when a setting that defines the
//! start changed (or the user pressed reset), and publishes a snapshot after every step while
//! training runs, up to [`LAB_MAX_STEPS`].

use crate::jobs::{Job, JobMode};
use crate::kfac::lab::{KfacLab, LAB_MAX_STEPS, LabSnapshot, LabState};
use crate::math::Model;

/// What the lab's training depends on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LabKey {
    /// The tab's settings.
    pub settings: KfacLab,
    /// The target mixture (the data).
    pub target: Model,
    /// How often the user pressed reset: a new count starts from Xavier again.
    pub restarts: u32,
}

/// The lab's job: one snapshot for a changed key, then one per training step while training
/// runs and no newer key waits.
pub fn lab_job(mode: JobMode) -> Job<LabKey, LabSnapshot> {
    let mut state: Option<(LabState, u32)> = None;
    Job::new("kfac lab", mode, move |key: &LabKey, progress| {
        let restart = state.as_ref().is_none_or(|(s, restarts)| {
            s.settings.start_key() != key.settings.start_key()
                || s.target != key.target
                || *restarts != key.restarts
        });
        if restart {
            state = Some((LabState::new(key.settings, key.target), key.restarts));
        }
        let Some((lab, _)) = &mut state else { return };
        lab.settings = key.settings;
        progress.publish(lab.snapshot());
        while lab.settings.training && lab.step < LAB_MAX_STEPS && progress.keep_going() {
            lab.train_step();
            progress.publish(lab.snapshot());
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn key(training: bool, restarts: u32) -> LabKey {
        LabKey {
            settings: KfacLab {
                hidden: 3,
                nodes: 32,
                training,
                ..KfacLab::default()
            },
            target: Model {
                pi: 0.4,
                mu1: -1.2,
                mu2: 1.0,
                sigma1: 0.8,
                sigma2: 1.0,
            },
            restarts,
        }
    }

    /// The job trains all three optimizers and publishes decreasing losses; a reset starts
    /// from step 0 again.
    #[test]
    fn trains_publishes_and_restarts() {
        let mut job = lab_job(JobMode::Background);
        job.request(key(true, 0));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(s) = job.poll()
                && s.step >= 10
            {
                for losses in &s.losses {
                    assert!(losses[10] < losses[0], "{losses:?}");
                }
                break;
            }
            assert!(Instant::now() < deadline, "no snapshot with 10 steps");
            std::thread::sleep(Duration::from_millis(20));
        }
        // Pausing keeps the steps taken; a reset goes back to the start.
        job.request(key(false, 0));
        let paused = job.wait(Duration::from_secs(60)).expect("paused snapshot");
        assert!(paused.step >= 10, "{}", paused.step);
        job.request(key(false, 1));
        let reset = job.wait(Duration::from_secs(60)).expect("reset snapshot");
        assert_eq!(reset.step, 0);
    }
}
