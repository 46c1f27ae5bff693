//! The optimizer race of the viewer (issue 12): every enabled optimizer of `math::optimize`
//! run from the race's start (or the probe) to θ* on the scene's slice, in f64 on the CPU.
//!
//! A race of 100 steps × 7 optimizers takes ~0.1 s (release), thousands of steps proportionally
//! more, so the frame loop never runs it: one [`RaceWorker`] owns a background thread, takes
//! the newest request (stale ones are dropped unsolved while the user drags the start) and
//! hands the result back when ready — the same pattern as `geodesic_paths::PathWorker`. The
//! canvas layer (`render::race`) and the panel (`viewer::race_panel`) read one process-wide
//! worker ([`shared`]), so a race is computed once for both. Captures and screenshots wait
//! for it, so a recording is the same on every run.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::math::general::DEFAULT_NODES_GENERAL;
use crate::math::optimize::{Optimizer, Run, race};
use crate::math::{Model, QuadratureRule, Slice};
use crate::scene::{Race, Scene};

/// Each optimizer's colour (sRGB hex), in [`Optimizer::ALL`] order: the canvas polylines, the
/// panel's swatches and plot lines.
pub const RACE_COLORS: [u32; 7] = [
    0xff4b3e, // gd: the Euclidean red of the flow
    0xffa94d, // momentum
    0xffe066, // adam
    0x2ee6f0, // ngd: the natural cyan of the flow
    0x4d8dff, // ngd-damped
    0xc77dff, // ef-ngd
    0x8dff5a, // mc-ngd
];

/// The colour of `o`.
pub fn color(o: Optimizer) -> u32 {
    RACE_COLORS[o.index()]
}

/// Everything a race depends on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RaceKey {
    /// The target θ* (all five parameters; the held three are the slice's).
    pub model: Model,
    /// The slice.
    pub slice: Slice,
    /// The start, slice coordinates (the race's own or the probe).
    pub start: [f64; 2],
    /// The race settings (optimizers, steps, rates, hyperparameters).
    pub race: Race,
}

impl RaceKey {
    /// The key of `scene`'s race, or None when there is none to run (race off, no start, no
    /// optimizer enabled, a start or target outside the model).
    pub fn for_scene(scene: &Scene) -> Option<Self> {
        let race = scene.race;
        if !race.enabled || !Optimizer::ALL.iter().any(|&o| race.optimizers.get(o)) {
            return None;
        }
        let start = race.start.or(scene.probe)?;
        scene.model.validate_for(&scene.slice).ok()?;
        scene
            .slice
            .place(&scene.model, start)
            .validate_for(&scene.slice)
            .ok()?;
        Some(Self {
            model: scene.model,
            slice: scene.slice,
            start,
            race: Race {
                start: Some(start),
                ..race
            },
        })
    }

    /// The enabled optimizers, in [`Optimizer::ALL`] order.
    pub fn optimizers(&self) -> Vec<Optimizer> {
        Optimizer::ALL
            .into_iter()
            .filter(|&o| self.race.optimizers.get(o))
            .collect()
    }
}

/// The runs of one [`RaceKey`].
#[derive(Clone, Debug, PartialEq)]
pub struct RaceSet {
    /// What they were computed for.
    pub key: RaceKey,
    /// One run per enabled optimizer, in [`Optimizer::ALL`] order.
    pub runs: Vec<Run>,
    /// Wall time of the race, seconds.
    pub seconds: f64,
}

/// Runs the race of `key` (f64, the default general rule, on the calling thread).
pub fn compute_race(key: &RaceKey) -> RaceSet {
    let began = Instant::now();
    let rule = QuadratureRule::new(DEFAULT_NODES_GENERAL).expect("the default rule is valid");
    let runs = race(
        &key.model,
        &key.slice,
        key.start,
        &key.optimizers(),
        &key.race.lr,
        key.race.steps,
        &key.race.hyper,
        &rule,
    );
    RaceSet {
        key: *key,
        runs,
        seconds: began.elapsed().as_secs_f64(),
    }
}

/// A background thread that runs the newest requested race.
pub struct RaceWorker {
    requests: Option<Sender<RaceKey>>,
    results: Option<Receiver<Arc<RaceSet>>>,
    requested: Option<RaceKey>,
    latest: Option<Arc<RaceSet>>,
}

impl Default for RaceWorker {
    fn default() -> Self {
        Self::new()
    }
}

impl RaceWorker {
    /// A worker; its thread starts with the first request.
    pub fn new() -> Self {
        Self {
            requests: None,
            results: None,
            requested: None,
            latest: None,
        }
    }

    /// Asks for the race of `key` (nothing new if it is already the request).
    pub fn request(&mut self, key: RaceKey) {
        if self.requested == Some(key) {
            return;
        }
        self.requested = Some(key);
        if self.requests.is_none() {
            let (request_tx, request_rx) = channel::<RaceKey>();
            let (result_tx, result_rx) = channel::<Arc<RaceSet>>();
            std::thread::Builder::new()
                .name("fisherflow race".into())
                .spawn(move || {
                    while let Ok(mut key) = request_rx.recv() {
                        // Only the newest request matters (the start is being dragged).
                        while let Ok(newer) = request_rx.try_recv() {
                            key = newer;
                        }
                        if result_tx.send(Arc::new(compute_race(&key))).is_err() {
                            break;
                        }
                    }
                })
                .expect("spawning the race thread");
            self.requests = Some(request_tx);
            self.results = Some(result_rx);
        }
        if let Some(tx) = &self.requests {
            let _ = tx.send(key);
        }
    }

    /// The race of the current request, if it is ready (never blocks).
    pub fn poll(&mut self) -> Option<Arc<RaceSet>> {
        if let Some(rx) = &self.results {
            while let Ok(set) = rx.try_recv() {
                self.latest = Some(set);
            }
        }
        self.current()
    }

    /// The race of the current request, waiting up to `timeout` for it.
    pub fn wait(&mut self, timeout: Duration) -> Option<Arc<RaceSet>> {
        let deadline = Instant::now() + timeout;
        while self.poll().is_none() && self.requested.is_some() {
            let Some(rx) = &self.results else { break };
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(set) => self.latest = Some(set),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        self.current()
    }

    /// The newest result, whatever it was computed for (drawn while a new one is solved, so
    /// the race does not flicker while the start is dragged).
    pub fn latest(&self) -> Option<Arc<RaceSet>> {
        self.latest.clone()
    }

    fn current(&self) -> Option<Arc<RaceSet>> {
        self.latest
            .clone()
            .filter(|s| Some(s.key) == self.requested)
    }

    /// Whether a request is still being solved.
    pub fn pending(&self) -> bool {
        self.requested.is_some() && self.current().is_none()
    }
}

/// The process-wide worker the canvas layer and the panel share.
pub fn shared() -> &'static Mutex<RaceWorker> {
    static WORKER: OnceLock<Mutex<RaceWorker>> = OnceLock::new();
    WORKER.get_or_init(|| Mutex::new(RaceWorker::new()))
}

/// The race for `scene` from the shared worker: requested, then waited for up to `wait` (zero:
/// only what is ready). None when the scene has no race or it is not ready.
pub fn race_for(scene: &Scene, wait: Duration) -> Option<Arc<RaceSet>> {
    let key = RaceKey::for_scene(scene)?;
    let mut worker = shared().lock().unwrap_or_else(|e| e.into_inner());
    worker.request(key);
    if wait.is_zero() {
        worker.poll()
    } else {
        worker.wait(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn race_scene() -> Scene {
        let mut scene = Scene::default();
        scene.race.enabled = true;
        scene.race.steps = 10;
        scene.race.start = Some([0.1, 0.3]);
        scene
    }

    #[test]
    fn no_key_when_off_or_empty() {
        let mut scene = race_scene();
        assert!(RaceKey::for_scene(&scene).is_some());
        scene.race.optimizers = crate::math::optimize::PerOptimizer::splat(false);
        assert!(RaceKey::for_scene(&scene).is_none());
        let mut scene = race_scene();
        scene.race.enabled = false;
        assert!(RaceKey::for_scene(&scene).is_none());
    }

    #[test]
    fn worker_returns_the_newest_request() {
        let mut worker = RaceWorker::new();
        let first = RaceKey::for_scene(&race_scene()).unwrap();
        let second = RaceKey {
            start: [0.2, 0.3],
            ..first
        };
        worker.request(first);
        worker.request(second);
        let set = worker.wait(Duration::from_secs(120)).expect("in time");
        assert_eq!(set.key, second);
        assert_eq!(set.runs.len(), first.optimizers().len());
        assert_eq!(set.runs[0].trajectory[0].theta, [0.2, 0.3]);
        assert!(!worker.pending());
    }
}
