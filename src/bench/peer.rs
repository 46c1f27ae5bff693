//! The JAX peer (`--jax-peer`): how to run it, running it with a timeout, and its rows.

use std::time::Instant;

use serde::Serialize;

/// How to run a peer implementation: `program args… N Q repeats`, one JSON line on stdout
/// with `cells_per_s` (see `../shared/peers/jax_fim.py`).
#[derive(Clone, Debug)]
pub struct PeerCommand {
    /// The program and its leading arguments (e.g. `python3 jax_fim.py`).
    pub command: Vec<String>,
    /// Each run is killed after this long.
    pub timeout_s: u64,
}

/// One peer measurement (the peer's own JSON, the fields we use).
#[derive(Clone, Debug, Serialize)]
pub struct PeerRow {
    /// The peer's name and version (e.g. "jax-0.8.1").
    pub peer: String,
    /// Grid side N.
    pub grid: u32,
    /// Nodes per component.
    pub nodes: u32,
    /// Best wall time of the peer's repeats.
    pub seconds: f64,
    /// Cells per second.
    pub cells_per_s: f64,
}

/// Runs `command` to completion and returns its stdout, or an error naming the exit status
/// (with the end of stderr) or the timeout (the child is then killed).
fn run_with_timeout(
    command: &mut std::process::Command,
    timeout: std::time::Duration,
) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    use std::process::Stdio;
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start: {e}"))?;
    // Both pipes drained on their own threads, so a chatty child never blocks on a full pipe.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("no result within {} s; killed", timeout.as_secs()));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let out = stdout.join().unwrap_or_default();
    let err = stderr.join().unwrap_or_default();
    if !status.success() {
        let err = String::from_utf8_lossy(&err);
        let tail: String = err.lines().rev().take(3).collect::<Vec<_>>().join(" | ");
        return Err(format!("exited with {status}: {tail}"));
    }
    Ok(out)
}

/// Runs the peer for one grid and node count.
pub(super) fn run_peer(peer: &PeerCommand, grid: u32, nodes: u32) -> Result<PeerRow, String> {
    let (program, leading) = peer
        .command
        .split_first()
        .ok_or_else(|| "empty peer command".to_owned())?;
    let output = run_with_timeout(
        std::process::Command::new(program).args(leading).args([
            grid.to_string(),
            nodes.to_string(),
            "5".to_owned(),
        ]),
        std::time::Duration::from_secs(peer.timeout_s),
    )
    .map_err(|e| format!("{}: {e}", peer.command.join(" ")))?;
    let line = String::from_utf8_lossy(&output);
    let value: serde_json::Value = line
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| format!("the peer printed no JSON line: {line}"))?;
    let number = |key: &str| {
        value[key]
            .as_f64()
            .ok_or_else(|| format!("the peer's JSON lacks `{key}`: {value}"))
    };
    Ok(PeerRow {
        peer: value["peer"].as_str().unwrap_or("peer").to_owned(),
        grid,
        nodes,
        seconds: number("seconds")?,
        cells_per_s: number("cells_per_s")?,
    })
}
