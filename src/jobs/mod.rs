//! Work the frame loop must never wait for — the optimizer race, the shortest paths, the
//! Fisher estimates at the probe, the K-FAC lab's training — as [`Job`]s: one background
//! thread per job computes the newest request; the owner polls for the result and draws the
//! last one meanwhile.
//!
//! How it works: [`Job::request`] hands a key to the job's thread (a key equal to the current
//! request changes nothing). The thread always starts on the newest key it has been given, so
//! requests made while the user drags are dropped unsolved. The work function publishes one
//! or more results through its [`Progress`] (the K-FAC lab publishes after every training
//! step) and may stop early when [`Progress::keep_going`] says a newer request is waiting.
//! [`Job::poll`] picks up what was published and answers with the result of the current
//! request; [`Job::latest`] with the newest result whatever its key (drawn while a new one is
//! computed, so nothing flickers).
//!
//! [`JobMode::Deterministic`] (captures, screenshots, tests) runs the work on the calling
//! thread inside `request`, so every frame shows the result of its own scene and a recording is
//! the same on every run; a continuing job publishes its first result only there (the lab's
//! training advances on the background thread alone).
//!
//! In the viewer the job threads, and the rayon pool their work fans out to, run at the lowest
//! scheduling priority ([`yield_cores_to_the_frame_loop`]): on a software adapter the frame's
//! GPU work shares the same cores.
//!
//! The jobs of a scene ([`SceneJobs`]) are owned by the simulation, which requests them from
//! the scene every frame and hands the layers and panels what is ready.

pub mod policy_edges;
pub mod set;

pub use set::SceneJobs;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where a job's work runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum JobMode {
    /// On the job's own thread; the owner polls (the interactive viewer).
    #[default]
    Background,
    /// On the caller's thread, inside [`Job::request`]: the result is there when `request`
    /// returns (captures, screenshots, tests).
    Deterministic,
}

/// A job's work: computes results for a key and publishes them.
type Work<K, R> = dyn FnMut(&K, &mut Progress<'_, K, R>) + Send;

/// What the work function publishes through, and asks whether to go on.
pub struct Progress<'a, K, R> {
    key: &'a K,
    /// This run's request number and the newest request's (background mode).
    run: u64,
    newest: Option<&'a AtomicU64>,
    sink: Sink<'a, K, R>,
}

enum Sink<'a, K, R> {
    Channel(&'a Sender<(K, Arc<R>)>),
    Local(&'a mut Vec<(K, Arc<R>)>),
}

impl<K: Clone, R> Progress<'_, K, R> {
    /// Hands a result for this run's key to the owner.
    pub fn publish(&mut self, result: R) {
        let item = (self.key.clone(), Arc::new(result));
        match &mut self.sink {
            // The owner may be gone; the run then ends at the next `keep_going`.
            Sink::Channel(tx) => {
                let _ = tx.send(item);
            }
            Sink::Local(out) => out.push(item),
        }
    }

    /// Whether continuing work (training) should go on: false once a newer request (or the
    /// owner's drop) is waiting, and always false in [`JobMode::Deterministic`].
    pub fn keep_going(&self) -> bool {
        self.newest
            .is_some_and(|newest| newest.load(Ordering::Acquire) == self.run)
    }

    /// Whether a newer request is waiting (never in [`JobMode::Deterministic`]): work that
    /// only the newest key's result matters for stops early on it.
    pub fn superseded(&self) -> bool {
        self.newest
            .is_some_and(|newest| newest.load(Ordering::Acquire) != self.run)
    }

    /// Waits up to `wait` for the request to settle (a slider still moving asks again every
    /// frame); false when a newer request came meanwhile. At once true in
    /// [`JobMode::Deterministic`]. Costly work calls it first, so a drag does not spend a core
    /// on keys it has already left.
    pub fn settle(&self, wait: Duration) -> bool {
        if self.newest.is_none() {
            return true;
        }
        let until = Instant::now() + wait;
        while Instant::now() < until {
            if self.superseded() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        !self.superseded()
    }
}

/// The thread's side: the work, the number of the newest request, and the first panic.
struct Shared<K, R> {
    work: Mutex<Box<Work<K, R>>>,
    newest: AtomicU64,
    failure: Mutex<Option<String>>,
}

/// The owner's ends of a job thread's channels: numbered requests out, keyed results in.
type Channels<K, R> = (Sender<(u64, K)>, Receiver<(K, Arc<R>)>);

/// A background computation of the newest requested key (module docs).
pub struct Job<K, R> {
    name: &'static str,
    mode: JobMode,
    shared: Arc<Shared<K, R>>,
    /// Started with the first background request.
    thread: Option<Channels<K, R>>,
    requested: Option<K>,
    request_count: u64,
    latest: Option<(K, Arc<R>)>,
}

impl<K, R> Job<K, R>
where
    K: Clone + PartialEq + Send + 'static,
    R: Send + Sync + 'static,
{
    /// A job named `name` (its thread's name) computing with `work`; no thread runs until the
    /// first request.
    pub fn new(
        name: &'static str,
        mode: JobMode,
        work: impl FnMut(&K, &mut Progress<'_, K, R>) + Send + 'static,
    ) -> Self {
        Self {
            name,
            mode,
            shared: Arc::new(Shared {
                work: Mutex::new(Box::new(work)),
                newest: AtomicU64::new(0),
                failure: Mutex::new(None),
            }),
            thread: None,
            requested: None,
            request_count: 0,
            latest: None,
        }
    }

    /// A job whose work publishes one result per key: `compute(key)`.
    pub fn single(
        name: &'static str,
        mode: JobMode,
        compute: impl Fn(&K) -> R + Send + 'static,
    ) -> Self {
        Self::new(name, mode, move |key, progress| {
            progress.publish(compute(key))
        })
    }

    /// Where the work runs from the next request on.
    pub fn set_mode(&mut self, mode: JobMode) {
        self.mode = mode;
    }

    /// Asks for `key`'s result (nothing new if it is the current request). In
    /// [`JobMode::Deterministic`] the work runs here, before this returns.
    pub fn request(&mut self, key: K) {
        if self.requested.as_ref() == Some(&key) {
            return;
        }
        self.request_count += 1;
        self.shared
            .newest
            .store(self.request_count, Ordering::Release);
        self.requested = Some(key.clone());
        match self.mode {
            JobMode::Deterministic => self.run_here(&key),
            JobMode::Background => {
                let count = self.request_count;
                let (tx, _) = self
                    .thread
                    .get_or_insert_with(|| spawn(self.name, Arc::clone(&self.shared)));
                // A closed channel means the thread panicked: the job then stays pending.
                let _ = tx.send((count, key));
            }
        }
    }

    /// Forgets the current request, so the next `request` of the same key computes it again
    /// (the K-FAC lab's reset).
    pub fn forget_request(&mut self) {
        self.requested = None;
    }

    fn run_here(&mut self, key: &K) {
        let mut out = Vec::new();
        {
            let mut work = self.shared.work.lock().unwrap_or_else(|e| e.into_inner());
            let mut progress = Progress {
                key,
                run: self.request_count,
                newest: None,
                sink: Sink::Local(&mut out),
            };
            work(key, &mut progress);
        }
        // Whatever a background run published before this one took the work is older.
        if let Some((_, rx)) = &self.thread {
            while rx.try_recv().is_ok() {}
        }
        if let Some(last) = out.pop() {
            self.latest = Some(last);
        }
    }

    /// The current request's result, if ready (never blocks).
    pub fn poll(&mut self) -> Option<Arc<R>> {
        if let Some((_, rx)) = &self.thread {
            while let Ok(item) = rx.try_recv() {
                self.latest = Some(item);
            }
        }
        self.ready()
    }

    /// The current request's result, waiting up to `timeout` for it.
    pub fn wait(&mut self, timeout: Duration) -> Option<Arc<R>> {
        let deadline = Instant::now() + timeout;
        while self.poll().is_none() && self.requested.is_some() {
            let Some((_, rx)) = &self.thread else { break };
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(item) => self.latest = Some(item),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        self.ready()
    }

    /// The newest result and its key, whatever it was computed for.
    pub fn latest(&self) -> Option<(&K, &Arc<R>)> {
        self.latest.as_ref().map(|(k, r)| (k, r))
    }

    /// The current request, if any.
    pub fn requested(&self) -> Option<&K> {
        self.requested.as_ref()
    }

    /// The message of the first panic in the job's thread, if its work ever panicked (the
    /// request it was working on then stays pending; later requests are still served).
    pub fn failure(&self) -> Option<String> {
        self.shared
            .failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Whether the current request has no result yet.
    pub fn pending(&self) -> bool {
        self.requested.is_some() && self.ready().is_none()
    }

    /// The current request's result as of the last [`Job::poll`] (or deterministic request).
    pub fn ready(&self) -> Option<Arc<R>> {
        let (key, result) = self.latest.as_ref()?;
        (Some(key) == self.requested.as_ref()).then(|| Arc::clone(result))
    }
}

impl<K, R> Drop for Job<K, R> {
    fn drop(&mut self) {
        // Continuing work sees a newer request and stops; the thread ends when its request
        // channel closes.
        self.shared.newest.store(u64::MAX, Ordering::Release);
    }
}

/// Whether job threads run below the frame loop's scheduling priority
/// ([`yield_cores_to_the_frame_loop`]; the viewer's choice).
static YIELD_TO_THE_FRAME_LOOP: AtomicBool = AtomicBool::new(false);

/// The nice value job threads take in the viewer: the lowest, so they run on what the frame
/// loop leaves, and still get every idle core.
const JOB_NICENESS: i32 = 19;

/// The viewer's choice, made once before its first frame: job threads started from now on
/// lower their own scheduling priority, and the rayon pool their work fans out to (the race,
/// the shortest paths, the policy plane's sampling) is built with the same, unless a pool
/// already exists. Why: on a software adapter the GPU's work runs on the CPU's cores between a
/// frame's submission and its present, so a job computing beside it (the race and the paths
/// after a switch) slowed llvmpipe's threads and the frame with them. Turning the race on
/// measured 70–78 ms a switch frame before, 46–74 after (llvmpipe, 2 cores, 1400 × 900).
/// Elsewhere (captures, the bench, tests, Python) jobs keep the default priority.
pub fn yield_cores_to_the_frame_loop() {
    YIELD_TO_THE_FRAME_LOOP.store(true, Ordering::Relaxed);
    let built = rayon::ThreadPoolBuilder::new()
        .start_handler(|_| lower_this_threads_priority())
        .build_global();
    if let Err(e) = built {
        log::debug!("the rayon pool keeps its priority: {e}");
    }
}

/// Lowers the calling thread's scheduling priority to [`JOB_NICENESS`] (Linux; elsewhere a
/// no-op).
fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: setpriority only reads its arguments. With PRIO_PROCESS and `who` = 0 Linux
        // changes the calling thread alone (nice values are per thread under NPTL).
        let failed = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, JOB_NICENESS) } != 0;
        if failed {
            log::debug!(
                "a job thread keeps its priority: {}",
                std::io::Error::last_os_error()
            );
        }
    }
}

/// Starts the job's thread: it waits for a request, skips to the newest one queued, runs the
/// work, and ends when the owner drops its sender.
fn spawn<K, R>(name: &'static str, shared: Arc<Shared<K, R>>) -> Channels<K, R>
where
    K: Clone + Send + 'static,
    R: Send + Sync + 'static,
{
    let (request_tx, request_rx) = channel::<(u64, K)>();
    let (result_tx, result_rx) = channel::<(K, Arc<R>)>();
    std::thread::Builder::new()
        .name(format!("fisherflow {name}"))
        .spawn(move || {
            if YIELD_TO_THE_FRAME_LOOP.load(Ordering::Relaxed) {
                lower_this_threads_priority();
            }
            while let Ok(mut request) = request_rx.recv() {
                while let Ok(newer) = request_rx.try_recv() {
                    request = newer;
                }
                let (run, key) = request;
                let mut work = shared.work.lock().unwrap_or_else(|e| e.into_inner());
                let mut progress = Progress {
                    key: &key,
                    run,
                    newest: Some(&shared.newest),
                    sink: Sink::Channel(&result_tx),
                };
                // A panic is a bug in the work: keep its message for the owner (the soak test
                // fails on it) and serve the next request instead of dying silently.
                let outcome = catch_unwind(AssertUnwindSafe(|| work(&key, &mut progress)));
                if let Err(panic) = outcome {
                    let message = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_else(|| "(no message)".to_owned());
                    log::error!("the {name} job panicked: {message}");
                    shared
                        .failure
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get_or_insert(message);
                }
            }
        })
        .expect("spawning a job thread");
    (request_tx, result_rx)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A job that squares its key after a short sleep, counting its runs.
    fn squares(mode: JobMode, runs: Arc<AtomicU64>) -> Job<u64, u64> {
        Job::single("test squares", mode, move |&k| {
            runs.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(20));
            k * k
        })
    }

    #[test]
    fn the_newest_request_wins_and_stale_ones_are_skipped() {
        let runs = Arc::new(AtomicU64::new(0));
        let mut job = squares(JobMode::Background, Arc::clone(&runs));
        for k in 1..=20 {
            job.request(k);
        }
        let got = job.wait(Duration::from_secs(60)).expect("in time");
        assert_eq!(*got, 400);
        assert!(!job.pending());
        // The thread took the first request at once and the newest after it, not all twenty.
        assert!(runs.load(Ordering::Relaxed) < 20, "{runs:?}");
        // A result for another key is not the current one.
        job.request(3);
        assert!(job.poll().is_none_or(|r| *r == 9));
        assert_eq!(*job.wait(Duration::from_secs(60)).unwrap(), 9);
        assert_eq!(job.latest().map(|(k, r)| (*k, **r)), Some((3, 9)));
    }

    #[test]
    fn deterministic_mode_computes_inside_request_and_repeats_nothing() {
        let runs = Arc::new(AtomicU64::new(0));
        let mut job = squares(JobMode::Deterministic, Arc::clone(&runs));
        job.request(7);
        assert_eq!(job.poll().as_deref(), Some(&49));
        job.request(7);
        assert_eq!(
            runs.load(Ordering::Relaxed),
            1,
            "the same key is not recomputed"
        );
        job.forget_request();
        job.request(7);
        assert_eq!(runs.load(Ordering::Relaxed), 2, "a forgotten request is");
        // Negative control: nothing requested, nothing pending, nothing current.
        let idle = squares(JobMode::Deterministic, Arc::new(AtomicU64::new(0)));
        assert!(!idle.pending() && idle.latest().is_none());
    }

    #[test]
    fn a_panic_in_the_work_is_reported_and_the_job_goes_on() {
        let mut job: Job<u64, u64> = Job::single("test panics", JobMode::Background, |&k| {
            assert!(k != 13, "thirteen");
            k + 1
        });
        job.request(13);
        assert!(job.wait(Duration::from_millis(300)).is_none());
        job.request(1);
        assert_eq!(job.wait(Duration::from_secs(60)).as_deref(), Some(&2));
        let failure = job.failure().expect("the panic is kept");
        assert!(failure.contains("thirteen"), "{failure}");
        // Negative control: a job that never panicked reports nothing.
        let mut fine = squares(JobMode::Background, Arc::new(AtomicU64::new(0)));
        fine.request(2);
        fine.wait(Duration::from_secs(60));
        assert!(fine.failure().is_none());
    }

    #[test]
    fn continuing_work_stops_for_a_newer_request() {
        // Counts up from the key, publishing each number, until told to stop.
        let mut job: Job<u64, u64> = Job::new("test counter", JobMode::Background, |&k, p| {
            let mut n = k;
            p.publish(n);
            while p.keep_going() && n < k + 1_000_000 {
                n += 1;
                std::thread::sleep(Duration::from_micros(50));
                p.publish(n);
            }
        });
        job.request(0);
        job.wait(Duration::from_secs(60)).expect("first result");
        job.request(5_000_000);
        let got = job
            .wait(Duration::from_secs(60))
            .expect("the newer run started");
        assert!(*got >= 5_000_000, "{got}");
        // In deterministic mode it publishes its first result only.
        job.set_mode(JobMode::Deterministic);
        job.request(10);
        assert_eq!(job.poll().as_deref(), Some(&10));
    }
}
