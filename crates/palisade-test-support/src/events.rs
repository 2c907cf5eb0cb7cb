//! The events a palisade process stored, read back the way a user would: `palisade events
//! --json` in the process's working directory (its `palisade.db`).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The stored events of one category, as ECS documents, newest first.
pub fn stored_events(bin: &Path, dir: &Path, category: &str) -> Vec<serde_json::Value> {
    let out = Command::new(bin)
        .args(["events", "--json", "--database", "palisade.db"])
        .args(["--category", category, "--limit", "100000"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run palisade events");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("an ECS JSON line"))
        .collect()
}

/// [`stored_events`], waiting up to `limit` for at least `n` of them.
pub fn wait_stored_events(
    bin: &Path,
    dir: &Path,
    category: &str,
    n: usize,
    limit: Duration,
) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + limit;
    loop {
        let got = stored_events(bin, dir, category);
        if got.len() >= n || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
