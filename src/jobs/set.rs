//! The jobs of a scene, requested from it: [`SceneJobs::update`] asks each job for what the
//! scene shows (nothing when it shows none) and picks up what is ready; the canvas layers and
//! the panels read the results from here, so each is computed once for both.

use std::sync::Arc;

use super::policy_edges::{EdgeDistances, EdgeKey, edge_work};
use super::{Job, JobMode};
use crate::features::estimates::job::{EstimateKey, ProbeEstimates, compute};
use crate::features::estimates::job_policy::{
    PolicyEstimateKey, SampleEfficiency, sample_efficiency_work,
};
use crate::features::geodesics::job_paths::{PathKey, PathSet, compute_paths_until};
use crate::features::kfac_lab::job::{LabKey, lab_job};
use crate::features::race::job::{RaceKey, RaceSet, compute_race};
use crate::kfac::lab::LabSnapshot;
use crate::scene::{Scene, Tab};

/// Every background job of the viewer, and the mode they run in.
pub struct SceneJobs {
    mode: JobMode,
    /// The optimizer race from the race's start (or the probe) to θ*.
    pub race: Job<RaceKey, RaceSet>,
    /// The shortest and descent paths from the probe.
    pub paths: Job<PathKey, PathSet>,
    /// F, EF, EF_N and the Monte-Carlo Fisher at the probe.
    pub estimates: Job<EstimateKey, ProbeEstimates>,
    /// The policy plane's sample efficiency at the probe.
    pub policy_estimates: Job<PolicyEstimateKey, SampleEfficiency>,
    /// The policy plane's Fisher–Rao distances from the probe to the edge along its arrows.
    pub policy_edges: Job<EdgeKey, EdgeDistances>,
    /// The K-FAC lab's training.
    pub lab: Job<LabKey, LabSnapshot>,
    lab_restarts: u32,
}

impl SceneJobs {
    /// The jobs, none started yet.
    pub fn new(mode: JobMode) -> Self {
        Self {
            mode,
            race: Job::single("race", mode, compute_race),
            // A path solve stops as soon as a newer request waits (it may take a second
            // near the model's edges): the newest request wins at once.
            paths: Job::new("paths", mode, |key, progress| {
                if let Some(paths) = compute_paths_until(key, &|| progress.superseded()) {
                    progress.publish(paths);
                }
            }),
            estimates: Job::single("estimates", mode, compute),
            policy_estimates: Job::new("policy estimates", mode, sample_efficiency_work),
            policy_edges: Job::new("policy edges", mode, edge_work),
            lab: lab_job(mode),
            lab_restarts: 0,
        }
    }

    /// Where the jobs run from the next request on.
    pub fn set_mode(&mut self, mode: JobMode) {
        self.mode = mode;
        self.race.set_mode(mode);
        self.paths.set_mode(mode);
        self.estimates.set_mode(mode);
        self.policy_estimates.set_mode(mode);
        self.policy_edges.set_mode(mode);
        self.lab.set_mode(mode);
    }

    /// The mode the jobs run in.
    pub fn mode(&self) -> JobMode {
        self.mode
    }

    /// Requests what `scene` shows and picks up finished results. The estimates at the probe
    /// are requested whenever there is a probe on the geometry tab (the side panel shows their
    /// numbers whether or not the canvas draws them; at the default N they take milliseconds);
    /// the lab trains while its tab is shown.
    pub fn update(&mut self, scene: &Scene) {
        let geometry = scene.tab == Tab::Geometry;
        if let Some(key) = RaceKey::for_scene(scene).filter(|_| geometry) {
            self.race.request(key);
        }
        if let Some(key) = PathKey::for_scene(scene).filter(|_| geometry) {
            self.paths.request(key);
        }
        if let Some(key) = EstimateKey::at_probe(scene).filter(|_| geometry) {
            self.estimates.request(key);
        }
        if let Some(key) = PolicyEstimateKey::for_scene(scene).filter(|_| geometry) {
            self.policy_estimates.request(key);
        }
        if let Some(key) = EdgeKey::for_scene(scene).filter(|_| geometry) {
            self.policy_edges.request(key);
        }
        if scene.tab == Tab::Kfac {
            self.lab.request(LabKey {
                settings: scene.features.kfac,
                target: scene.model,
                restarts: self.lab_restarts,
            });
        }
        self.race.poll();
        self.paths.poll();
        self.estimates.poll();
        self.policy_estimates.poll();
        self.policy_edges.poll();
        self.lab.poll();
    }

    /// The jobs whose work panicked, with the first message of each (empty when none did).
    pub fn failures(&self) -> Vec<String> {
        [
            ("race", self.race.failure()),
            ("paths", self.paths.failure()),
            ("estimates", self.estimates.failure()),
            ("policy estimates", self.policy_estimates.failure()),
            ("policy edges", self.policy_edges.failure()),
            ("kfac lab", self.lab.failure()),
        ]
        .into_iter()
        .filter_map(|(name, failure)| failure.map(|f| format!("the {name} job panicked: {f}")))
        .collect()
    }

    /// Starts the lab's training from Xavier again (the tab's reset button).
    pub fn restart_lab(&mut self) {
        self.lab_restarts = self.lab_restarts.wrapping_add(1);
    }

    /// The race `scene` shows: its own when ready, else the newest one on the same slice and
    /// target (drawn while a dragged start is solved, so the race does not flicker).
    pub fn race_for(&self, scene: &Scene) -> Option<Arc<RaceSet>> {
        let key = RaceKey::for_scene(scene)?;
        self.race.ready().filter(|set| set.key == key).or_else(|| {
            let (_, set) = self.race.latest()?;
            (set.key.slice == key.slice && set.key.model == key.model).then(|| set.clone())
        })
    }

    /// Whether `scene`'s race is still being computed.
    pub fn race_pending(&self, scene: &Scene) -> bool {
        RaceKey::for_scene(scene)
            .is_some_and(|key| self.race.requested() == Some(&key) && self.race.pending())
    }

    /// The paths `scene` shows, once solved.
    pub fn paths_for(&self, scene: &Scene) -> Option<Arc<PathSet>> {
        let key = PathKey::for_scene(scene)?;
        self.paths.ready().filter(|set| set.key == key)
    }

    /// The estimates at `scene`'s probe, once computed.
    pub fn estimates_at_probe(&self, scene: &Scene) -> Option<Arc<ProbeEstimates>> {
        let key = EstimateKey::at_probe(scene)?;
        self.estimates.ready().filter(|e| e.key == key)
    }

    /// The policy plane's sample-efficiency curve at `scene`'s probe, once computed.
    pub fn sample_efficiency(&self, scene: &Scene) -> Option<Arc<SampleEfficiency>> {
        let key = PolicyEstimateKey::for_scene(scene)?;
        self.policy_estimates.ready().filter(|e| e.key == key)
    }

    /// The edge distances at `scene`'s probe, once shot.
    pub fn edge_distances(&self, scene: &Scene) -> Option<Arc<EdgeDistances>> {
        let key = EdgeKey::for_scene(scene)?;
        self.policy_edges.ready().filter(|e| e.key == key)
    }

    /// The lab's newest snapshot, whatever settings it was made for.
    pub fn lab_snapshot(&self) -> Option<Arc<LabSnapshot>> {
        self.lab.latest().map(|(_, s)| s.clone())
    }
}
