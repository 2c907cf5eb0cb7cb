//! Requests per hour into the event store, for the console's overview: the guard counts the
//! responses it sends; this samples that count about once a minute and at each hour's end,
//! and adds what was served since to the hour. At exit the last minute is written too.

use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use palisade_core::Timestamp;
use palisade_events::Store;

const EVERY: Duration = Duration::from_secs(60);
const HOUR_MS: i64 = 3_600_000;

/// The sampling thread; dropping it writes the last count and stops it.
pub struct Recorder {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Recorder {
    /// Samples `served` (a running total) into the store at `database`.
    pub fn start(
        database: PathBuf,
        served: impl Fn() -> u64 + Send + 'static,
    ) -> std::io::Result<Recorder> {
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("palisade-traffic".into())
            .spawn(move || run(&database, &served, &stopped))?;
        Ok(Recorder {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(database: &std::path::Path, served: &dyn Fn() -> u64, stopped: &mpsc::Receiver<()>) {
    let mut store: Option<Store> = None;
    let mut written = served();
    loop {
        let now = Timestamp::now().0;
        let next_hour = (now.div_euclid(HOUR_MS) + 1) * HOUR_MS;
        let to_hour = Duration::from_millis(u64::try_from(next_hour - now).unwrap_or(0));
        // Waking on the hour keeps each hour's count to the requests of that hour.
        let (wait, at_hour_end) = if to_hour <= EVERY {
            (to_hour, true)
        } else {
            (EVERY, false)
        };
        let last = match stopped.recv_timeout(wait) {
            Err(RecvTimeoutError::Timeout) => false,
            Ok(()) | Err(RecvTimeoutError::Disconnected) => true,
        };
        let at = if at_hour_end && !last {
            Timestamp(next_hour - 1)
        } else {
            Timestamp::now()
        };
        let total = served();
        if total > written {
            match write(&mut store, database, at, total - written) {
                Ok(()) => written = total,
                // Kept for the next round: the store may be busy or not created yet.
                Err(e) => tracing::warn!("requests per hour not written yet: {e}"),
            }
        }
        if last {
            return;
        }
    }
}

fn write(
    store: &mut Option<Store>,
    database: &std::path::Path,
    at: Timestamp,
    requests: u64,
) -> Result<(), String> {
    if store.is_none() {
        *store = Some(Store::open(database).map_err(|e| e.to_string())?);
    }
    let s = store.as_ref().ok_or("no store")?;
    s.add_traffic(at, requests).map_err(|e| {
        // Reopen next time: the file may have been replaced.
        *store = None;
        e.to_string()
    })
}

/// The recorder for `server`'s requests, when events are stored (`database`); a failure to
/// start it is logged, not fatal: the proxy matters more than its chart.
pub fn record(database: Option<PathBuf>, server: &palisade_guard::GuardServer) -> Option<Recorder> {
    let database = database?;
    Recorder::start(database, server.served())
        .inspect_err(|e| tracing::warn!("requests per hour are not recorded: {e}"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn the_last_count_is_written_at_stop() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("events.db");
        let count = Arc::new(AtomicU64::new(7));
        let c = count.clone();
        let recorder = Recorder::start(db.clone(), move || c.load(Ordering::Relaxed)).unwrap();
        // Served before start is not this run's; after it is.
        std::thread::sleep(Duration::from_millis(50));
        count.fetch_add(42, Ordering::Relaxed);
        drop(recorder);
        let store = Store::open_read_only(&db).unwrap();
        let rows = store.traffic(Timestamp(0)).unwrap();
        assert_eq!(rows.iter().map(|r| r.requests).sum::<u64>(), 42, "{rows:?}");
    }
}
