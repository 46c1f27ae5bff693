//! Running the `fisherflow` binary as a user does: under a timeout, its JSON parsed, its
//! refusals checked (exit 2, nothing on stdout, stderr naming what is wrong).

use std::process::{Command, Output};
use std::time::Duration;

use super::process::run_with_timeout;

/// `fisherflow <prefix…> <args…>`, killed after `limit`.
pub fn fisherflow(prefix: &[&str], args: &[&str], limit: Duration) -> Output {
    run_with_timeout(
        Command::new(env!("CARGO_BIN_EXE_fisherflow"))
            .args(prefix)
            .args(args),
        None,
        limit,
    )
}

/// The JSON a successful `fisherflow <prefix…> <args…>` prints (60 s at most).
pub fn json(prefix: &[&str], args: &[&str]) -> serde_json::Value {
    let out = fisherflow(prefix, args, Duration::from_secs(60));
    assert!(
        out.status.success(),
        "{prefix:?} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// `fisherflow <prefix…> <args…>` exits 2, writes nothing on stdout and names every one of
/// `needles` on stderr.
pub fn assert_refused(prefix: &[&str], args: &[&str], needles: &[&str], limit: Duration) {
    let out = fisherflow(prefix, args, limit);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{prefix:?} {args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{prefix:?} {args:?} wrote to stdout");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{prefix:?} {args:?}: `{needle}` not in: {stderr}"
        );
    }
}
