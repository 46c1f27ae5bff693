//! Child processes under a time limit, so no test can hang the suite.
//!
//! Every process a test starts goes through [`run_with_timeout`]: the child runs in its own
//! process group (so `xvfb-run`'s Xvfb server and the viewer under it belong to it too), its
//! stdout and stderr are drained by threads while we wait (a chatty child can never block on a
//! full pipe), and when the limit passes the whole group is killed and the test panics naming
//! the command, the limit and what the child had written to stderr so far.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How often the child is polled. Short enough to add nothing noticeable to a test's time.
const POLL: Duration = Duration::from_millis(10);

/// How long the pipe readers may take after the child exited or was killed: they only have to
/// read what is already buffered, unless some other process still holds the pipe open.
const DRAIN_GRACE: Duration = Duration::from_secs(5);

/// A child that ran past its limit and was killed, with what it wrote before.
#[derive(Debug)]
pub struct TimedOut {
    /// The command, as `Debug` prints it.
    pub command: String,
    /// The limit it ran past.
    pub limit: Duration,
    /// The process group that was killed (the child's pid).
    pub pgid: u32,
    /// Stdout written before the kill (possibly incomplete).
    pub stdout: Vec<u8>,
    /// Stderr written before the kill (possibly incomplete).
    pub stderr: Vec<u8>,
}

impl std::fmt::Display for TimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` did not finish within {:?}; its process group was killed. stderr so far:\n{}",
            self.command,
            self.limit,
            String::from_utf8_lossy(&self.stderr)
        )
    }
}

/// Runs `cmd` to completion, feeding it `stdin` (or nothing: stdin is /dev/null), and returns
/// its output. Panics with a clear message if it runs longer than `limit`.
pub fn run_with_timeout(cmd: &mut Command, stdin: Option<&[u8]>, limit: Duration) -> Output {
    try_run_with_timeout(cmd, stdin, limit).unwrap_or_else(|e| panic!("{e}"))
}

/// [`run_with_timeout`] returning the timeout as an error instead of panicking (for tests of
/// the helper itself). Still panics if the command cannot be started.
pub fn try_run_with_timeout(
    cmd: &mut Command,
    stdin: Option<&[u8]>,
    limit: Duration,
) -> Result<Output, TimedOut> {
    let command = format!("{cmd:?}");
    run(cmd, stdin, limit).unwrap_or_else(|e| panic!("cannot start `{command}`: {e}"))
}

/// Runs `cmd` (stdin empty) if it can be started at all: None when it cannot (not installed),
/// its output otherwise. For probing tools such as `xvfb-run --help`; panics past `limit`.
pub fn probe_with_timeout(cmd: &mut Command, limit: Duration) -> Option<Output> {
    run(cmd, None, limit)
        .ok()
        .map(|result| result.unwrap_or_else(|e| panic!("{e}")))
}

/// The common core: Err when the command cannot be started, Ok(Err) when it timed out.
fn run(
    cmd: &mut Command,
    stdin: Option<&[u8]>,
    limit: Duration,
) -> std::io::Result<Result<Output, TimedOut>> {
    let command = format!("{cmd:?}");
    let start = Instant::now();
    // Group 0: the child leads a new process group whose id is its pid; everything it starts
    // (and does not move elsewhere) is killed with it.
    let mut child = cmd
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()?;
    let pgid = child.id();
    // Written from a thread, never joined: a child (or a grandchild holding the pipe) that
    // does not read its input must not block us. The thread ends when the last reader closes
    // the pipe.
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().expect("stdin was piped");
        let bytes = bytes.to_vec();
        thread::spawn(move || {
            // A child that exits without reading everything closes the pipe: not our error.
            let _ = pipe.write_all(&bytes);
        });
    }
    let stdout = drain(child.stdout.take().expect("stdout was piped"));
    let stderr = drain(child.stderr.take().expect("stderr was piped"));

    let status = wait_until(&mut child, start + limit);
    let Some(status) = status else {
        kill_group(pgid, &mut child);
        let _ = child.wait();
        return Ok(Err(TimedOut {
            command,
            limit,
            pgid,
            stdout: stdout.recv_timeout(DRAIN_GRACE).unwrap_or_default(),
            stderr: stderr.recv_timeout(DRAIN_GRACE).unwrap_or_default(),
        }));
    };
    // The child has exited; its pipes close when every process holding them has too. A
    // leftover member of its group (say an Xvfb that outlived xvfb-run) would keep them open:
    // kill the group then, rather than wait for it.
    let remaining = (start + limit).saturating_duration_since(Instant::now());
    let mut collect = |rx: &mpsc::Receiver<Vec<u8>>, name: &str| match rx
        .recv_timeout(remaining.max(DRAIN_GRACE))
    {
        Ok(bytes) => bytes,
        Err(_) => {
            kill_group(pgid, &mut child);
            rx.recv_timeout(DRAIN_GRACE).unwrap_or_else(|_| {
                panic!("`{command}` exited ({status}) but its {name} stayed open past {limit:?}")
            })
        }
    };
    let stdout = collect(&stdout, "stdout");
    let stderr = collect(&stderr, "stderr");
    Ok(Ok(Output {
        status,
        stdout,
        stderr,
    }))
}

/// Reads `pipe` to its end on a thread; the bytes arrive on the returned channel.
fn drain(mut pipe: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        let _ = tx.send(bytes);
    });
    rx
}

/// Polls `child` until it exits (Some) or `deadline` passes (None).
fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    loop {
        if let Some(status) = child.try_wait().expect("wait for a child") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        thread::sleep(POLL);
    }
}

/// SIGKILL to the whole process group `pgid`, then to the child itself (in case the group kill
/// could not be sent).
fn kill_group(pgid: u32, child: &mut Child) {
    // SAFETY: kill(2) has no memory-safety preconditions; a negative pid names a group.
    unsafe {
        libc::kill(-(pgid as libc::pid_t), libc::SIGKILL);
    }
    let _ = child.kill();
}
